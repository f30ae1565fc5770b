// SPDX-License-Identifier: MIT
/*
 * The TD's virtual TSC.  TDH.MNG.INIT fixes a multiplier (48 fraction
 * bits, as the VMX TSC multiplier) from TSC_FREQUENCY and an offset that
 * starts the TD's TSC at 0; every vCPU then reads the same TSC at the
 * configured frequency, and KVM reads both values back (TDH.MNG.RD) to
 * know the TD's time, as upstream does.
 */
#include "module_internal.h"

#define TSC_FRAC_BITS	48

static u64 scale(u64 tsc, u64 multiplier)
{
	return (u64)(((unsigned __int128)tsc * multiplier) >> TSC_FRAC_BITS);
}

void td_tsc_init(struct tdcs *t)
{
	unsigned __int128 hz = (unsigned __int128)t->tsc_frequency * TDX_TSC_FREQ_UNIT_HZ;

	t->tsc_multiplier = (u64)((hz << TSC_FRAC_BITS) / PLATFORM_TSC_HZ);
	t->tsc_offset = -scale(platform_rdtsc(), t->tsc_multiplier);
}

static u64 td_tsc(const struct tdcs *t)
{
	return scale(platform_rdtsc(), t->tsc_multiplier) + t->tsc_offset;
}

/* RDTSC, RDTSCP and RDMSR(IA32_TSC) read the virtual TSC; false for anything else. */
bool td_tsc_intercept(struct td_vcpu *v, struct cpu_regs *r, enum cpu_intercept what)
{
	u64 tsc = td_tsc(v->td.tdcs);

	switch (what) {
	case CPU_INTERCEPT_RDTSC:
		r->rip += 2;
		break;
	case CPU_INTERCEPT_RDTSCP:	/* RCX already holds TSC_AUX */
		r->rip += 3;
		break;
	case CPU_INTERCEPT_RDMSR:
		if ((u32)r->gpr[CPU_RCX] != MSR_IA32_TSC)
			return false;
		r->rip += 2;
		break;
	default:
		return false;
	}
	r->gpr[CPU_RAX] = (u32)tsc;
	r->gpr[CPU_RDX] = tsc >> 32;
	return true;
}
