// SPDX-License-Identifier: MIT
/*
 * The generic x86 half of the vCPU ioctls (Linux's x86.c): registers, FPU,
 * the local APIC page, events, MP state, NMI/SMI requests, the vCPU TSC
 * frequency and MSR access.  What a vendor hides from the host (a TD's
 * state belongs to the TDX module) is said by the protection flags its
 * create() sets; which MSRs exist is decided by its get_msr/set_msr, which
 * fall back to the common handlers here.
 */
#include "lapic.h"

#include <string.h>
#include <time.h>

#define MAX_IO_MSRS		256
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define MSR_IA32_TSC		0x10
#define MSR_IA32_UCODE_REV	0x8b
#define MSR_PLATFORM_INFO	0xce
#define MSR_MTRRcap		0xfe
#define MSR_IA32_ARCH_CAPABILITIES 0x10a
#define MSR_MISC_FEATURES_ENABLES 0x140
#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_IA32_SYSENTER_ESP	0x175
#define MSR_IA32_SYSENTER_EIP	0x176
#define MSR_IA32_MCG_CAP	0x179
#define MSR_IA32_MCG_STATUS	0x17a
#define MSR_IA32_MCG_CTL	0x17b
#define MSR_IA32_MISC_ENABLE	0x1a0
#define MSR_IA32_POWER_CTL	0x1fc
#define MSR_MTRR_PHYS_BASE0	0x200
#define MSR_MTRRfix64K_00000	0x250
#define MSR_MTRRfix16K_80000	0x258
#define MSR_MTRRfix16K_A0000	0x259
#define MSR_MTRRfix4K_C0000	0x268
#define MSR_MTRRfix4K_F8000	0x26f
#define MSR_IA32_CR_PAT		0x277
#define MSR_IA32_MC0_CTL2	0x280
#define MSR_MTRRdefType		0x2ff
#define MSR_IA32_MC0_CTL	0x400
#define MSR_IA32_TSC_DEADLINE	0x6e0
#define MSR_X2APIC_FIRST	0x800
#define MSR_X2APIC_LAST		0x8ff
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_TSC_AUX		0xc0000103

#define EFER_VALID		(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)
#define MCG_CTL_P		(1ULL << 8)
#define MCG_CMCI_P		(1ULL << 10)
#define MCG_SER_P		(1ULL << 24)
#define MCG_STATUS_MCIP		(1ULL << 2)
#define MCI_STATUS_VAL		(1ULL << 63)
#define MCI_STATUS_OVER		(1ULL << 62)
#define MCI_STATUS_UC		(1ULL << 61)
#define MCI_STATUS_PCC		(1ULL << 57)
#define MCI_STATUS_S		(1ULL << 56)
#define MCI_STATUS_AR		(1ULL << 55)
#define CR4_MCE			(1ULL << 6)
#define MC_VECTOR		18
/*
 * kvm_caps.supported_mce_cap without VMX's LMCE and CMCI: softtdx delivers
 * neither a local #MC nor a CMCI interrupt.
 */
#define KVM_SUPPORTED_MCE_CAP	(MCG_CTL_P | MCG_SER_P)
#define MCI_CTL2_VALID		(1ULL << 30 | 0x7fff)
#define PLATFORM_INFO_CPUID_FAULT (1ULL << 31)

/* ---- the local APIC page ---------------------------------------------------------------- */


static bool x2apic_mode(const struct kvm_vcpu_arch *a)
{
	return a->apic_base & APICBASE_X2APIC;
}

/* Cluster in the high half, one bit of 16 in the low half (SDM 10.12.10.2). */
static u32 x2apic_ldr(u32 id)
{
	return (id >> 4) << 16 | 1u << (id & 0xf);
}

static void lapic_reset(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	static const u32 lvts[] = { APIC_LVTT, APIC_LVTTHMR, APIC_LVTPC, APIC_LVT0,
				    APIC_LVT1, APIC_LVTERR };

	memset(&a->apic, 0, sizeof(a->apic));
	apic_set(a, APIC_ID, vcpu->id << 24);
	apic_set(a, APIC_LVR, 0x14 | (ARRAY_SIZE(lvts) - 1) << 16);
	for (size_t i = 0; i < ARRAY_SIZE(lvts); i++)
		apic_set(a, lvts[i], APIC_LVT_MASKED);
	apic_set(a, APIC_DFR, 0xffffffff);
	apic_set(a, APIC_SPIV, 0xff);
}

/* CPUID.80000008H:EAX[7:0], at most the architectural 52; 36 without it. */
static u32 guest_maxphyaddr(struct kvm_vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *e = kvm_vcpu_cpuid(vcpu, 0x80000008, 0);
	u32 bits = e ? (e->eax & 0xff) : 36;

	return bits < 52 ? bits : 52;
}

int kvm_apic_set_base(struct kvm_vcpu *vcpu, u64 value)
{
	const struct kvm_cpuid_entry2 *leaf1 = kvm_vcpu_cpuid(vcpu, 1, 0);
	struct kvm_vcpu_arch *a = &vcpu->arch;
	u64 reserved = ~0ULL << guest_maxphyaddr(vcpu) | 0x2ff;
	u64 old = a->apic_base;

	if (!leaf1 || !(leaf1->ecx & CPUID_1_ECX_X2APIC))
		reserved |= APICBASE_X2APIC;
	if (value & reserved || (value & (APICBASE_X2APIC | APICBASE_ENABLE)) == APICBASE_X2APIC)
		return 1;
	a->apic_base = value;
	if (!a->lapic_in_kernel || !((old ^ value) & APICBASE_X2APIC))
		return 0;
	if (value & APICBASE_X2APIC) {
		apic_set(a, APIC_ID, vcpu->id);
		apic_set(a, APIC_LDR, x2apic_ldr(vcpu->id));
	} else if (value & APICBASE_ENABLE) {
		apic_set(a, APIC_ID, vcpu->id << 24);
	}
	return 0;
}

static bool x2apic_readable(u32 reg)
{
	switch (reg) {
	case APIC_ID: case APIC_LVR: case APIC_TASKPRI: case APIC_PROCPRI:
	case APIC_LDR: case APIC_SPIV: case APIC_ESR: case APIC_ICR:
	case APIC_LVTT ... APIC_LVTERR: case APIC_TMICT: case APIC_TMCCT: case APIC_TDCR:
		return reg % 16 == 0;
	case APIC_ISR ... APIC_IRR + 0x70:
		return reg % 16 == 0;
	default:
		return false;
	}
}

static int x2apic_read(struct kvm_vcpu *vcpu, u32 index, u64 *data)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	u32 reg = (index - MSR_X2APIC_FIRST) << 4;

	if (!a->lapic_in_kernel || !x2apic_mode(a) || !x2apic_readable(reg))
		return 1;
	*data = reg == APIC_TMCCT ? lapic_timer_current(vcpu) : apic_get(a, reg);
	if (reg == APIC_ICR)
		*data |= (u64)apic_get(a, APIC_ICR2) << 32;
	return 0;
}

/* The bits of each LVT entry software can set. */
static u32 lvt_mask(u32 reg)
{
	switch (reg) {
	case APIC_LVTT:		return 0x700ff;
	case APIC_LVT0:
	case APIC_LVT1:		return 0x1e7ff;
	case APIC_LVTERR:	return 0x100ff;
	default:		return 0x107ff;
	}
}

/*
 * Host writes of the x2APIC registers that only hold state.  ICR, EOI,
 * SELF_IPI and TMICT act (IPIs, interrupt completion, the APIC timer), and
 * nothing acts before a vCPU runs: they are refused, like every read-only
 * register.
 */
static int x2apic_write(struct kvm_vcpu_arch *a, u32 index, u64 data)
{
	u32 reg = (index - MSR_X2APIC_FIRST) << 4;

	if (!a->lapic_in_kernel || !x2apic_mode(a) || data >> 32)
		return 1;
	switch (reg) {
	case APIC_TASKPRI:
		if (data & ~0xffULL)
			return 1;
		break;
	case APIC_SPIV:
		data &= 0x13ff;
		if (!(data & APIC_SPIV_ENABLED))
			for (u32 r = APIC_LVTT; r <= APIC_LVTERR; r += 0x10)
				apic_set(a, r, apic_get(a, r) | APIC_LVT_MASKED);
		break;
	case APIC_ESR:
		if (data)
			return 1;
		break;
	case APIC_LVTT ... APIC_LVTERR:
		if (reg % 16)
			return 1;
		data &= lvt_mask(reg);
		if (!(apic_get(a, APIC_SPIV) & APIC_SPIV_ENABLED))
			data |= APIC_LVT_MASKED;
		break;
	case APIC_TDCR:
		data &= 0xb;
		break;
	default:
		return 1;
	}
	apic_set(a, reg, (u32)data);
	return 0;
}

static bool lapic_tscdeadline_mode(const struct kvm_vcpu_arch *a)
{
	return a->lapic_in_kernel && (apic_get(a, APIC_LVTT) & (3u << 17)) == APIC_LVT_TIMER_TSCDEADLINE;
}

/* ---- MSRs --------------------------------------------------------------------------------- */

/*
 * The guest TSC as VMX makes it: the platform TSC times the ratio (48
 * fraction bits), plus the offset.  A TD's ratio and offset are the
 * module's; a VM's follow tsc_khz and the guest's writes.
 */
u64 kvm_guest_tsc(const struct kvm_vcpu_arch *a)
{
	return (u64)(((unsigned __int128)platform_rdtsc() * a->tsc_ratio) >> 48) + a->tsc_offset;
}

static u64 tsc_ratio_of(u32 khz)
{
	return (u64)(((unsigned __int128)khz * 1000 << 48) / PLATFORM_TSC_HZ);
}

static bool pat_valid(u64 pat)
{
	for (int i = 0; i < 8; i++) {
		u8 t = (u8)(pat >> (8 * i));

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

static bool mtrr_type_valid(u8 t)
{
	return t < 8 && t != 2 && t != 3 && t != 7;
}

static u64 *mtrr_slot(struct kvm_vcpu_arch *a, u32 index)
{
	if (index >= MSR_MTRR_PHYS_BASE0 && index < MSR_MTRR_PHYS_BASE0 + 2 * KVM_NR_VAR_MTRR)
		return &a->mtrr_var[index - MSR_MTRR_PHYS_BASE0];
	if (index == MSR_MTRRfix64K_00000)
		return &a->mtrr_fixed[0];
	if (index == MSR_MTRRfix16K_80000 || index == MSR_MTRRfix16K_A0000)
		return &a->mtrr_fixed[1 + index - MSR_MTRRfix16K_80000];
	if (index >= MSR_MTRRfix4K_C0000 && index <= MSR_MTRRfix4K_F8000)
		return &a->mtrr_fixed[3 + index - MSR_MTRRfix4K_C0000];
	if (index == MSR_MTRRdefType)
		return &a->mtrr_def_type;
	return NULL;
}

static bool mtrr_valid(struct kvm_vcpu *vcpu, u32 index, u64 data)
{
	u64 phys_high = ~0ULL << guest_maxphyaddr(vcpu);

	if (index == MSR_MTRRdefType)
		return !(data & ~0xcffULL) && mtrr_type_valid((u8)data);
	if (index >= MSR_MTRR_PHYS_BASE0 && index < MSR_MTRR_PHYS_BASE0 + 2 * KVM_NR_VAR_MTRR) {
		if ((index - MSR_MTRR_PHYS_BASE0) % 2)	/* PhysMask */
			return !(data & (phys_high | 0x7ff));
		return !(data & (phys_high | 0xf00)) && mtrr_type_valid((u8)data);
	}
	for (int i = 0; i < 8; i++)		/* fixed: one type per byte */
		if (!mtrr_type_valid((u8)(data >> (8 * i))))
			return false;
	return true;
}

static u64 *mce_slot(struct kvm_vcpu_arch *a, u32 index)
{
	u32 banks = (u32)(a->mcg_cap & 0xff);

	if (index >= MSR_IA32_MC0_CTL2 && index < MSR_IA32_MC0_CTL2 + banks)
		return &a->mci_ctl2[index - MSR_IA32_MC0_CTL2];
	if (index >= MSR_IA32_MC0_CTL && index < MSR_IA32_MC0_CTL + 4 * banks)
		return &a->mce_banks[index - MSR_IA32_MC0_CTL];
	return NULL;
}

static int set_mce_msr(struct kvm_vcpu_arch *a, u32 index, u64 data)
{
	u64 *slot = mce_slot(a, index);

	if (index == MSR_IA32_MCG_STATUS) {
		a->mcg_status = data;
		return 0;
	}
	if (index == MSR_IA32_MCG_CTL) {
		if ((!(a->mcg_cap & MCG_CTL_P) && data) || (data && data != ~0ULL))
			return 1;
		a->mcg_ctl = data;
		return 0;
	}
	if (!slot)
		return 1;
	if (index < MSR_IA32_MC0_CTL) {			/* MCi_CTL2 */
		if ((!(a->mcg_cap & MCG_CMCI_P) && data) || data & ~MCI_CTL2_VALID)
			return 1;
	} else if ((index - MSR_IA32_MC0_CTL) % 4 == 0) {	/* MCi_CTL: 0 or all ones */
		if (data && (data | 1ULL << 10 | 1) != ~0ULL)
			return 1;
	}
	*slot = data;
	return 0;
}

static bool canonical(u64 va)
{
	return (u64)((int64_t)(va << 16) >> 16) == va;
}

/* The MSRs that are plain storage: their slot, and whether it takes a VA. */
static u64 *plain_msr(struct kvm_vcpu_arch *a, u32 index, bool *is_va)
{
	*is_va = true;
	switch (index) {
	case MSR_IA32_SYSENTER_ESP:	return &a->sysenter_esp;
	case MSR_IA32_SYSENTER_EIP:	return &a->sysenter_eip;
	case MSR_LSTAR:			return &a->lstar;
	case MSR_CSTAR:			return &a->cstar;
	case MSR_KERNEL_GS_BASE:	return &a->kernel_gs_base;
	}
	*is_va = false;
	switch (index) {
	case MSR_IA32_SYSENTER_CS:	return &a->sysenter_cs;
	case MSR_STAR:			return &a->star;
	case MSR_SYSCALL_MASK:		return &a->fmask;
	case MSR_IA32_POWER_CTL:	return &a->power_ctl;
	case MSR_IA32_UCODE_REV:	return &a->ucode_rev;
	case MSR_IA32_ARCH_CAPABILITIES: return &a->arch_capabilities;
	case MSR_PLATFORM_INFO:		return &a->platform_info;
	case MSR_IA32_MISC_ENABLE:	return &a->misc_enable;
	case MSR_IA32_CR_PAT:		return &a->pat;
	case MSR_EFER:			return &a->efer;
	case MSR_IA32_APICBASE:		return &a->apic_base;
	case MSR_MISC_FEATURES_ENABLES:	return &a->misc_features_enables;
	case MSR_KVM_POLL_CONTROL:	return &a->poll_control;
	case MSR_IA32_MCG_CAP:		return &a->mcg_cap;
	case MSR_IA32_MCG_STATUS:	return &a->mcg_status;
	case MSR_IA32_MCG_CTL:		return &a->mcg_ctl;
	default:			return NULL;
	}
}

int kvm_get_msr_common(struct kvm_vcpu *vcpu, u32 index, u64 *data)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	bool is_va;
	u64 *slot;

	if (index >= MSR_X2APIC_FIRST && index <= MSR_X2APIC_LAST)
		return x2apic_read(vcpu, index, data);
	switch (index) {
	case MSR_IA32_TSC:
		*data = kvm_guest_tsc(a);
		return 0;
	case MSR_TSC_AUX:
		*data = a->tsc_aux;
		return 0;
	case MSR_IA32_TSC_DEADLINE:
		*data = lapic_tscdeadline_mode(a) ? a->tsc_deadline : 0;
		return 0;
	case MSR_MTRRcap:
		*data = 0x500 | KVM_NR_VAR_MTRR;	/* WC, fixed ranges */
		return 0;
	}
	slot = mtrr_slot(a, index);
	if (!slot)
		slot = mce_slot(a, index);
	if (!slot)
		slot = plain_msr(a, index, &is_va);
	if (!slot)
		return 1;
	*data = *slot;
	return 0;
}

/*
 * The guest's x2APIC writes: ICR, SELF_IPI and TMICT act (lapic.c); the
 * state registers are stored as for the host, and those the timer depends
 * on re-arm it.
 */
static int x2apic_guest_write(struct kvm_vcpu *vcpu, u32 index, u64 data)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	u32 reg = (index - MSR_X2APIC_FIRST) << 4, old_lvtt = apic_get(a, APIC_LVTT);

	if (!a->lapic_in_kernel || !x2apic_mode(a))
		return 1;
	switch (reg) {
	case APIC_ICR:
		return lapic_send_ipi(vcpu, data);
	case APIC_SELF_IPI:
		return data >> 8 ? 1 : lapic_send_ipi(vcpu, APIC_ICR_SELF | (data & 0xff));
	case APIC_TMICT:
		if (data >> 32)
			return 1;
		lapic_timer_start(vcpu, (u32)data);
		return 0;
	}
	if (x2apic_write(a, index, data))
		return 1;
	if (reg == APIC_LVTT || reg == APIC_TDCR || reg == APIC_SPIV)
		lapic_timer_update(vcpu, old_lvtt);
	return 0;
}

int kvm_set_msr_common(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	bool is_va;
	u64 *slot;

	if (index >= MSR_X2APIC_FIRST && index <= MSR_X2APIC_LAST)
		return host ? x2apic_write(a, index, data) : x2apic_guest_write(vcpu, index, data);
	switch (index) {
	case MSR_IA32_TSC:
		if (!a->tsc_protected)	/* a TD's TSC is the module's */
			a->tsc_offset += data - kvm_guest_tsc(a);
		return 0;
	case MSR_TSC_AUX:
		if (data >> 32)
			return 1;
		a->tsc_aux = data;
		return 0;
	case MSR_IA32_TSC_DEADLINE:
		if (lapic_tscdeadline_mode(a))
			lapic_timer_set_deadline(vcpu, data);
		return 0;
	case MSR_IA32_APICBASE:
		return kvm_apic_set_base(vcpu, data);
	case MSR_EFER:
		if (data & ~EFER_VALID)
			return 1;
		break;
	case MSR_IA32_CR_PAT:
		if (!pat_valid(data))
			return 1;
		break;
	case MSR_MISC_FEATURES_ENABLES:
		if (data & ~1ULL || (data && !(a->platform_info & PLATFORM_INFO_CPUID_FAULT)))
			return 1;
		break;
	case MSR_KVM_POLL_CONTROL:
		if (data & ~1ULL)
			return 1;
		break;
	case MSR_MTRRcap:
	case MSR_IA32_MCG_CAP:		/* KVM_X86_SETUP_MCE's business */
		return 1;
	case MSR_IA32_MCG_STATUS:
	case MSR_IA32_MCG_CTL:
		return set_mce_msr(a, index, data);
	}
	slot = mtrr_slot(a, index);
	if (slot) {
		if (!mtrr_valid(vcpu, index, data))
			return 1;
		*slot = data;
		return 0;
	}
	if (mce_slot(a, index))
		return set_mce_msr(a, index, data);
	slot = plain_msr(a, index, &is_va);
	if (!slot || (is_va && !canonical(data)))
		return 1;
	*slot = data;
	return 0;
}

/* What KVM_GET_MSR_INDEX_LIST reports: the MSRs a VMM saves and restores. */
static const u32 msrs_to_save[] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_STAR, MSR_CSTAR, MSR_KERNEL_GS_BASE, MSR_SYSCALL_MASK, MSR_LSTAR,
	MSR_IA32_TSC, MSR_IA32_CR_PAT, MSR_TSC_AUX,
	MSR_IA32_TSC_DEADLINE, MSR_IA32_ARCH_CAPABILITIES, MSR_IA32_MISC_ENABLE,
	MSR_IA32_MCG_STATUS, MSR_IA32_MCG_CTL, MSR_PLATFORM_INFO,
	MSR_MISC_FEATURES_ENABLES, MSR_IA32_POWER_CTL, MSR_IA32_UCODE_REV,
	MSR_KVM_POLL_CONTROL,
};

long kvm_get_msr_index_list(unsigned long arg)
{
	struct kvm_msr_list list;
	u32 room;

	if (kvm_copy_from_user(&list, arg, sizeof(list)))
		return -EFAULT;
	room = list.nmsrs;
	list.nmsrs = ARRAY_SIZE(msrs_to_save);
	if (kvm_copy_to_user(arg, &list, sizeof(list)))
		return -EFAULT;
	if (room < list.nmsrs)
		return -E2BIG;
	if (kvm_copy_to_user(arg + sizeof(list), msrs_to_save, sizeof(msrs_to_save)))
		return -EFAULT;
	return 0;
}

/* ---- KVM_GET_SUPPORTED_CPUID ------------------------------------------------------ */

#define CPUID_1_ECX_HYPERVISOR		(1u << 31)
#define CPUID_1_ECX_TSC_DEADLINE	(1u << 24)
#define KVM_CPUID_SIGNATURE		0x40000000
#define KVM_CPUID_FEATURES		0x40000001

/* The leaves KVM reports; those with subleaves carry SIGNIFCANT_INDEX. */
static const struct {
	u32 function, index;
	bool indexed;
} supported_leaves[] = {
	{ 0x0, 0, false }, { 0x1, 0, false }, { 0x4, 0, true }, { 0x4, 1, true },
	{ 0x4, 2, true }, { 0x4, 3, true }, { 0x6, 0, false }, { 0x7, 0, true },
	{ 0x7, 1, true }, { 0x7, 2, true }, { 0xd, 0, true }, { 0xd, 1, true },
	{ KVM_CPUID_SIGNATURE, 0, false }, { KVM_CPUID_FEATURES, 0, false },
	{ 0x80000000, 0, false }, { 0x80000001, 0, false }, { 0x80000007, 0, false },
	{ 0x80000008, 0, false },
};

/*
 * One entry: the platform CPU's value with what KVM adds (x2APIC and the
 * TSC-deadline timer it emulates, the hypervisor bit, its own leaves, the
 * guest's physical address width).
 */
static struct kvm_cpuid_entry2 supported_entry(u32 function, u32 index, bool indexed)
{
	struct tdx_host *h = kvm_dev()->tdx;
	struct kvm_cpuid_entry2 e = {
		.function = function, .index = index,
		.flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
	};
	u32 v[4];

	platform_cpuid(h ? h->plat : NULL, function, index, v);
	e.eax = v[0];
	e.ebx = v[1];
	e.ecx = v[2];
	e.edx = v[3];
	switch (function) {
	case 0x0:
		e.eax = 0xd;	/* the highest basic leaf reported here */
		break;
	case 0x1:
		e.ebx &= 0x0000FFFF;	/* no APIC ID or logical-CPU count */
		e.ecx |= CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DEADLINE | CPUID_1_ECX_HYPERVISOR;
		break;
	case KVM_CPUID_SIGNATURE:
		e.eax = KVM_CPUID_FEATURES;
		e.ebx = 0x4b4d564b;	/* "KVMKVMKVM\0\0\0" */
		e.ecx = 0x564b4d56;
		e.edx = 0x4d;
		break;
	case 0x80000008: {
		/*
		 * With TDP (Linux >= 6.10): the raw MAXPHYADDR, KeyID bits and
		 * all (they narrow HPAs, not GPAs), and the same in
		 * GuestPhysBits (EAX[23:16]) as the EPT has five levels.
		 */
		u32 phys = e.eax & 0xFF, virt = e.eax >> 8 & 0xFF;

		e.eax = phys | (virt < 48 ? 48 : virt) << 8 | phys << 16;
		break;
	}
	default:
		break;
	}
	return e;
}

u64 kvm_mmu_max_gfn(void)
{
	struct tdx_host *h = kvm_dev()->tdx;
	u32 v[4];

	platform_cpuid(h ? h->plat : NULL, 0x80000008, 0, v);
	return (1ULL << ((v[0] & 0xFF) - 12)) - 1;
}

/* kvm_dev_ioctl_get_cpuid(): nent < 1 or too small → E2BIG, the header unchanged. */
long kvm_get_supported_cpuid(unsigned long arg)
{
	struct kvm_cpuid_entry2 e[ARRAY_SIZE(supported_leaves)];
	struct kvm_cpuid2 hdr;

	if (kvm_copy_from_user(&hdr, arg, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < ARRAY_SIZE(supported_leaves))
		return -E2BIG;
	for (size_t i = 0; i < ARRAY_SIZE(supported_leaves); i++)
		e[i] = supported_entry(supported_leaves[i].function, supported_leaves[i].index,
				       supported_leaves[i].indexed);
	hdr.nent = ARRAY_SIZE(supported_leaves);
	if (kvm_copy_to_user(arg + sizeof(hdr), e, sizeof(e)) ||
	    kvm_copy_to_user(arg, &hdr, sizeof(hdr)))
		return -EFAULT;
	return 0;
}

/* KVM_GET_MSRS/KVM_SET_MSRS: the count done; the first refusal stops. */
static long msr_io(struct kvm_vcpu *vcpu, unsigned long arg, bool set)
{
	const struct kvm_vcpu_ops *ops = vcpu->vm->vcpu_ops;
	struct kvm_msr_entry e[MAX_IO_MSRS];
	struct kvm_msrs hdr;
	u32 i;

	if (kvm_copy_from_user(&hdr, arg, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs >= MAX_IO_MSRS)
		return -E2BIG;
	if (kvm_copy_from_user(e, arg + sizeof(hdr), hdr.nmsrs * sizeof(e[0])))
		return -EFAULT;
	for (i = 0; i < hdr.nmsrs; i++) {
		u64 data = e[i].data;

		if (set ? ops->set_msr(vcpu, e[i].index, data, true) :
			  ops->get_msr(vcpu, e[i].index, &data))
			break;
		e[i].data = data;
	}
	if (!set && kvm_copy_to_user(arg + sizeof(hdr), e, hdr.nmsrs * sizeof(e[0])))
		return -EFAULT;
	return i;
}

/* ---- machine checks ---------------------------------------------------------------------- */

long kvm_get_mce_cap_supported(unsigned long arg)
{
	u64 cap = KVM_SUPPORTED_MCE_CAP;

	return kvm_copy_to_user(arg, &cap, sizeof(cap)) ? -EFAULT : 0;
}

static long vcpu_ioctl_setup_mce(struct kvm_vcpu *vcpu, unsigned long arg)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	u64 cap;
	u32 banks;

	if (kvm_copy_from_user(&cap, arg, sizeof(cap)))
		return -EFAULT;
	banks = (u32)(cap & 0xff);
	if (!banks || banks > KVM_MAX_MCE_BANKS || cap & ~(KVM_SUPPORTED_MCE_CAP | 0xff | 0xff0000))
		return -EINVAL;
	a->mcg_cap = cap;
	if (cap & MCG_CTL_P)
		a->mcg_ctl = ~0ULL;
	for (u32 b = 0; b < banks; b++)
		a->mce_banks[4 * b] = ~0ULL;
	return 0;
}

/*
 * An uncorrected error with #MC impossible (one in progress, or CR4.MCE
 * clear) shuts the vCPU down; otherwise #MC is queued.  On a TD it stays
 * queued and is dropped at injection: KVM cannot inject into a TD.
 */
/* MCi_STATUS/ADDR/MISC of the bank take @mce's error, with @status. */
static void bank_record(u64 *bank, const struct kvm_x86_mce *mce, u64 status)
{
	bank[1] = status;
	bank[2] = mce->addr;
	bank[3] = mce->misc;
}

/* An error that replaces a valid one says so. */
static u64 status_over(const u64 *bank, u64 status)
{
	return bank[1] & MCI_STATUS_VAL ? status | MCI_STATUS_OVER : status;
}

static void raise_uncorrected(struct kvm_vcpu_arch *a, const struct kvm_x86_mce *mce, u64 *bank)
{
	if ((a->mcg_status & MCG_STATUS_MCIP) || !(a->sregs.cr4 & CR4_MCE)) {
		a->triple_fault = true;
		return;
	}
	bank_record(bank, mce, status_over(bank, mce->status));
	a->mcg_status = mce->mcg_status;
	a->exception = (typeof(a->exception)){ .pending = true, .nr = MC_VECTOR };
}

/* UCNA: an uncorrected error that needs no action, reported by CMCI only. */
static bool is_ucna(const struct kvm_x86_mce *mce)
{
	return !mce->mcg_status && !(mce->status & (MCI_STATUS_PCC | MCI_STATUS_S | MCI_STATUS_AR)) &&
	       (mce->status & MCI_STATUS_VAL) && (mce->status & MCI_STATUS_UC);
}

static long vcpu_ioctl_set_mce(struct kvm_vcpu *vcpu, unsigned long arg)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct kvm_x86_mce mce;
	u64 *bank;

	if (kvm_copy_from_user(&mce, arg, sizeof(mce)))
		return -EFAULT;
	if (mce.bank >= (a->mcg_cap & 0xff) || !(mce.status & MCI_STATUS_VAL))
		return -EINVAL;
	bank = &a->mce_banks[4 * mce.bank];
	if (is_ucna(&mce)) {
		bank_record(bank, &mce, mce.status);
		a->mcg_status = mce.mcg_status;
		return 0;
	}
	if (mce.status & MCI_STATUS_UC) {
		/* Reporting switched off globally or for the bank: dropped. */
		if (((a->mcg_cap & MCG_CTL_P) && a->mcg_ctl != ~0ULL) || bank[0] != ~0ULL)
			return 0;
		raise_uncorrected(a, &mce, bank);
	} else if (!(bank[1] & MCI_STATUS_VAL) || !(bank[1] & MCI_STATUS_UC)) {
		bank_record(bank, &mce, status_over(bank, mce.status));
	} else {
		bank[1] |= MCI_STATUS_OVER;
	}
	return 0;
}

/* ---- reset state ---------------------------------------------------------------------------- */

static void regs_reset(struct kvm_vcpu_arch *a)
{
	struct kvm_segment data = { .limit = 0xffff, .type = 3, .present = 1, .s = 1 };

	memset(&a->regs, 0, sizeof(a->regs));
	a->regs.rflags = 2;
	a->regs.rip = 0xfff0;
	a->regs.rdx = 0x600;
	memset(&a->sregs, 0, sizeof(a->sregs));
	a->sregs.cs = (struct kvm_segment){ .base = 0xffff0000, .limit = 0xffff,
					    .selector = 0xf000, .type = 0xb, .present = 1, .s = 1 };
	a->sregs.ds = a->sregs.es = a->sregs.fs = a->sregs.gs = a->sregs.ss = data;
	a->sregs.ldt = (struct kvm_segment){ .limit = 0xffff, .type = 2, .present = 1 };
	a->sregs.tr = (struct kvm_segment){ .limit = 0xffff, .type = 0xb, .present = 1 };
	a->sregs.gdt.limit = a->sregs.idt.limit = 0xffff;
	a->sregs.cr0 = 0x60000010;
	a->efer = 0;
}

void kvm_vcpu_arch_reset(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	memset(a, 0, sizeof(*a));
	regs_reset(a);
	a->fpu.fcw = 0x37f;
	a->fpu.mxcsr = 0x1f80;
	a->lapic_in_kernel = vcpu->vm->split_irqchip;
	a->pending_external_vector = -1;
	lapic_reset(vcpu);
	a->apic_base = APIC_DEFAULT_BASE | APICBASE_ENABLE | (vcpu->id ? 0 : APICBASE_BSP);
	a->mp_state = a->lapic_in_kernel && vcpu->id ? KVM_MP_STATE_UNINITIALIZED :
						       KVM_MP_STATE_RUNNABLE;
	a->pat = 0x0007040600070406ULL;
	a->misc_enable = 1ULL << 11 | 1ULL << 12;	/* BTS, PEBS unavailable */
	a->mcg_cap = KVM_MAX_MCE_BANKS;
	a->ucode_rev = 0x100000000ULL;
	a->platform_info = PLATFORM_INFO_CPUID_FAULT;
	/* RDCL_NO, IBRS_ALL, SKIP_L1DFL_VMENTRY, MDS_NO, PSCHANGE_MC_NO, TAA_NO */
	a->arch_capabilities = 0x16b;
	a->tsc_khz = (u32)vcpu->vm->default_tsc_khz;
	a->tsc_ratio = tsc_ratio_of(a->tsc_khz);
	a->tsc_offset = -kvm_guest_tsc(a);
}

/* ---- events and MP state ---------------------------------------------------------------- */

/* Queued NMIs become pending: two at most, one while NMIs are blocked. */
static void process_nmi(struct kvm_vcpu_arch *a)
{
	u32 limit = a->nmi_masked || a->nmi_injected ? 1 : 2;

	a->nmi_pending += atomic_exchange(&a->nmi_queued, 0);
	if (a->nmi_pending > limit)
		a->nmi_pending = limit;
}

/* INIT and SIPI, which TDs never take (the module owns their vCPUs). */
static bool init_sipi_allowed(struct kvm_vcpu *vcpu)
{
	return !vcpu->arch.guest_state_protected;
}

static void accept_events(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	if (!a->lapic_in_kernel)
		return;
	if (!init_sipi_allowed(vcpu)) {
		a->sipi_pending = false;
		return;
	}
	if (a->init_pending) {
		a->init_pending = false;
		regs_reset(a);
		a->mp_state = a->apic_base & APICBASE_BSP ? KVM_MP_STATE_RUNNABLE :
							    KVM_MP_STATE_INIT_RECEIVED;
	}
	if (a->sipi_pending) {
		a->sipi_pending = false;
		if (a->mp_state == KVM_MP_STATE_INIT_RECEIVED) {
			a->sregs.cs.selector = (u16)(a->sipi_vector << 8);
			a->sregs.cs.base = (u64)a->sipi_vector << 12;
			a->regs.rip = 0;
			a->mp_state = KVM_MP_STATE_RUNNABLE;
		}
	}
}

static void get_vcpu_events(struct kvm_vcpu *vcpu, struct kvm_vcpu_events *ev)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	process_nmi(a);
	memset(ev, 0, sizeof(*ev));
	/* Without KVM_CAP_EXCEPTION_PAYLOAD, pending reads as injected. */
	ev->exception.injected = a->exception.injected || a->exception.pending;
	ev->exception.nr = a->exception.nr;
	ev->exception.has_error_code = a->exception.has_error_code;
	ev->exception.error_code = a->exception.error_code;
	ev->interrupt.injected = a->interrupt.injected && !a->interrupt.soft;
	ev->interrupt.nr = a->interrupt.nr;
	ev->interrupt.shadow = a->interrupt.shadow;
	ev->nmi.injected = a->nmi_injected;
	ev->nmi.pending = (u8)a->nmi_pending;
	ev->nmi.masked = a->nmi_masked;
	ev->smi.pending = a->smi_pending;
	ev->smi.latched_init = a->lapic_in_kernel && a->init_pending;
	ev->flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW |
		    KVM_VCPUEVENT_VALID_SMM;
}

#define VCPU_EVENTS_VALID (KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR | \
			   KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM |         \
			   KVM_VCPUEVENT_VALID_PAYLOAD | KVM_VCPUEVENT_VALID_TRIPLE_FAULT)

/*
 * x86.c's order.  Neither KVM_CAP_EXCEPTION_PAYLOAD nor the triple-fault
 * event is offered, and nothing has SMM: a TD's pending SMI is kept and
 * never delivered, a normal VM's is refused.
 */
static long set_vcpu_events(struct kvm_vcpu *vcpu, struct kvm_vcpu_events *ev)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	if (ev->flags & ~VCPU_EVENTS_VALID)
		return -EINVAL;
	if (ev->flags & KVM_VCPUEVENT_VALID_PAYLOAD)
		return -EINVAL;
	ev->exception.pending = 0;
	if (ev->exception.injected && (ev->exception.nr > 31 || ev->exception.nr == 2))
		return -EINVAL;
	if (ev->flags & KVM_VCPUEVENT_VALID_SMM &&
	    (ev->smi.smm || ev->smi.smm_inside_nmi || (ev->smi.pending && !a->smi_ignored)))
		return -EINVAL;
	if (ev->flags & KVM_VCPUEVENT_VALID_TRIPLE_FAULT)
		return -EINVAL;
	process_nmi(a);
	a->exception.injected = ev->exception.injected;
	a->exception.pending = false;
	a->exception.nr = ev->exception.nr;
	a->exception.has_error_code = ev->exception.has_error_code;
	a->exception.error_code = ev->exception.error_code;
	a->interrupt.injected = ev->interrupt.injected;
	a->interrupt.nr = ev->interrupt.nr;
	a->interrupt.soft = ev->interrupt.soft;
	if (ev->flags & KVM_VCPUEVENT_VALID_SHADOW)
		a->interrupt.shadow = ev->interrupt.shadow;
	a->nmi_injected = ev->nmi.injected;
	if (ev->flags & KVM_VCPUEVENT_VALID_NMI_PENDING) {
		a->nmi_pending = 0;
		atomic_store(&a->nmi_queued, ev->nmi.pending);
	}
	if (!a->guest_state_protected)	/* TDs: NMI blocking is the module's */
		a->nmi_masked = ev->nmi.masked;
	if (ev->flags & KVM_VCPUEVENT_VALID_SIPI_VECTOR && a->lapic_in_kernel)
		a->sipi_vector = ev->sipi_vector;
	if (ev->flags & KVM_VCPUEVENT_VALID_SMM) {
		a->smi_pending = ev->smi.pending;
		if (a->lapic_in_kernel)
			a->init_pending = ev->smi.latched_init;
	}
	return 0;
}

static long set_mp_state(struct kvm_vcpu *vcpu, u32 state)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	switch (state) {
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_HALTED:
	case KVM_MP_STATE_AP_RESET_HOLD:
	case KVM_MP_STATE_INIT_RECEIVED:
	case KVM_MP_STATE_SIPI_RECEIVED:
		if (!a->lapic_in_kernel)
			return -EINVAL;
		break;
	case KVM_MP_STATE_RUNNABLE:
		break;
	default:
		return -EINVAL;
	}
	if ((!init_sipi_allowed(vcpu) || a->smi_pending) &&
	    (state == KVM_MP_STATE_SIPI_RECEIVED || state == KVM_MP_STATE_INIT_RECEIVED))
		return -EINVAL;
	if (state == KVM_MP_STATE_SIPI_RECEIVED) {
		a->mp_state = KVM_MP_STATE_INIT_RECEIVED;
		a->sipi_pending = true;
	} else {
		a->mp_state = state;
	}
	return 0;
}

/* ---- the ioctls ---------------------------------------------------------------------------- */

static long copy_state(unsigned long arg, void *state, size_t len, bool set)
{
	if (set)
		return kvm_copy_from_user(state, arg, len) ? -EFAULT : 0;
	return kvm_copy_to_user(arg, state, len) ? -EFAULT : 0;
}

static long get_sregs(struct kvm_vcpu *vcpu, unsigned long arg)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	a->sregs.efer = a->efer;
	a->sregs.apic_base = a->apic_base;
	a->sregs.cr8 = apic_get(a, APIC_TASKPRI) >> 4;
	return copy_state(arg, &a->sregs, sizeof(a->sregs), false);
}

static long set_sregs(struct kvm_vcpu *vcpu, unsigned long arg)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct kvm_sregs s;

	if (kvm_copy_from_user(&s, arg, sizeof(s)))
		return -EFAULT;
	if (s.efer & ~EFER_VALID || s.cr8 > 15)
		return -EINVAL;
	if (s.apic_base != a->apic_base && kvm_apic_set_base(vcpu, s.apic_base))
		return -EINVAL;
	a->sregs = s;
	a->efer = s.efer;
	apic_set(a, APIC_TASKPRI, (u32)s.cr8 << 4);
	return 0;
}

static long get_lapic(struct kvm_vcpu *vcpu, unsigned long arg)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct kvm_lapic_state s = a->apic;

	/* Without KVM_CAP_X2APIC_API the ID reads in xAPIC format. */
	if (x2apic_mode(a))
		memcpy(&s.regs[APIC_ID], &(u32){ vcpu->id << 24 }, sizeof(u32));
	return copy_state(arg, &s, sizeof(s), false);
}

static long set_lapic(struct kvm_vcpu *vcpu, unsigned long arg)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	if (kvm_copy_from_user(&a->apic, arg, sizeof(a->apic)))
		return -EFAULT;
	/* In x2APIC mode ID and LDR follow the vCPU id whatever userspace says. */
	if (x2apic_mode(a)) {
		apic_set(a, APIC_ID, vcpu->id);
		apic_set(a, APIC_LDR, x2apic_ldr(vcpu->id));
	}
	return 0;
}

static long vcpu_events_ioctl(struct kvm_vcpu *vcpu, unsigned long arg, bool set)
{
	struct kvm_vcpu_events ev;

	if (!set) {
		get_vcpu_events(vcpu, &ev);
		return copy_state(arg, &ev, sizeof(ev), false);
	}
	if (kvm_copy_from_user(&ev, arg, sizeof(ev)))
		return -EFAULT;
	return set_vcpu_events(vcpu, &ev);
}

static long mp_state_ioctl(struct kvm_vcpu *vcpu, unsigned long arg, bool set)
{
	struct kvm_mp_state mp;

	if (!set) {
		accept_events(vcpu);
		mp.mp_state = vcpu->arch.mp_state;
		return copy_state(arg, &mp, sizeof(mp), false);
	}
	if (kvm_copy_from_user(&mp, arg, sizeof(mp)))
		return -EFAULT;
	return set_mp_state(vcpu, mp.mp_state);
}

static long vcpu_set_tsc_khz(struct kvm_vcpu *vcpu, unsigned long khz)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	u64 tsc = kvm_guest_tsc(a);

	if (a->tsc_protected || (u32)khz >= MAX_GUEST_TSC_KHZ)
		return -EINVAL;
	a->tsc_khz = (u32)khz ? (u32)khz : KVM_HOST_TSC_KHZ;
	a->tsc_ratio = tsc_ratio_of(a->tsc_khz);
	a->tsc_offset += tsc - kvm_guest_tsc(a);	/* the TSC does not jump */
	return 0;
}

static long smi(struct kvm_vcpu *vcpu)
{
	if (!vcpu->arch.smi_ignored)
		return -EINVAL;
	vcpu->arch.smi_pending = true;
	return 0;
}

/* Whether the vendor hides the state @request reads or writes. */
static bool state_refused(const struct kvm_vcpu_arch *a, unsigned int request)
{
	switch (request) {
	case KVM_GET_REGS:
	case KVM_SET_REGS:
	case KVM_GET_SREGS:
	case KVM_SET_SREGS:
		return a->guest_state_protected;
	case KVM_GET_FPU:
	case KVM_SET_FPU:
		return a->fpu_confidential;
	case KVM_GET_LAPIC:
	case KVM_SET_LAPIC:
		return !a->lapic_in_kernel || a->apic_protected;
	default:
		return false;
	}
}

/* After every KVM_RUN, the run area tells what userspace needs to inject. */
static void post_run_save(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct kvm_run *run = vcpu->run;

	run->if_flag = !a->guest_state_protected && (a->regs.rflags & (1u << 9));
	run->cr8 = apic_get(a, APIC_TASKPRI) >> 4;
	run->apic_base = a->apic_base;
}

/*
 * x86's kvm_arch_vcpu_ioctl_run, in its order.  A vCPU still UNINITIALIZED
 * would block until INIT/SIPI; no other vCPU can send one yet, so it
 * returns -EAGAIN as after a wakeup.  Sync regs are not offered
 * (KVM_CAP_SYNC_REGS is 0).  What userspace completed (port I/O, MMIO,
 * hypercalls) is finished before the vendor runs the guest.
 */
/* What the kernel discards instead of making pending: ignored, or ignored by default. */
static bool signal_ignored(int sig)
{
	struct sigaction sa;

	if (sigaction(sig, NULL, &sa))
		return true;
	if (sa.sa_handler == SIG_IGN)
		return true;
	return sa.sa_handler == SIG_DFL &&
	       (sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH);
}

/*
 * Signals end KVM_RUN with EINTR, as in Linux: the calling thread blocks
 * them for the duration of KVM_RUN, and one that arrives and the thread
 * would have taken ends the run; restoring the mask then delivers it, as
 * the return to user mode does.
 */
static bool run_signal_pending(struct kvm_vcpu *vcpu)
{
	sigset_t pending;

	if (sigpending(&pending))
		return false;
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&pending, sig) == 1 &&
		    !sigismember(&vcpu->run_saved_sigmask, sig) && !signal_ignored(sig))
			return true;
	return false;
}

bool kvm_vcpu_exit_requested(struct kvm_vcpu *vcpu)
{
	return __atomic_load_n(&vcpu->run->immediate_exit, __ATOMIC_ACQUIRE) ||
	       run_signal_pending(vcpu);
}

/*
 * The TPR-patching pair QEMU's kvm-apic uses for old 32-bit guests: the
 * vapic page's address (its u32 within one page, as kvm_gpc_activate()
 * requires) and whether xAPIC TPR accesses exit with KVM_EXIT_TPR_ACCESS.
 * Both are kept; softtdx's in-kernel APIC is x2APIC only, so no TPR access
 * ever reaches it, and QEMU's option ROM never gets to patch anything.
 */
static long set_vapic_addr(struct kvm_vcpu *vcpu, unsigned long arg)
{
	struct kvm_vapic_addr va;

	if (!vcpu->arch.lapic_in_kernel)
		return -EINVAL;
	if (kvm_copy_from_user(&va, arg, sizeof(va)))
		return -EFAULT;
	if ((va.vapic_addr & 0xFFF) > 0x1000 - sizeof(u32))
		return -EINVAL;
	vcpu->arch.vapic_addr = va.vapic_addr;
	return 0;
}

static long tpr_access_reporting(struct kvm_vcpu *vcpu, unsigned long arg)
{
	struct kvm_tpr_access_ctl tac;

	if (kvm_copy_from_user(&tac, arg, sizeof(tac)))
		return -EFAULT;
	if (tac.flags)
		return -EINVAL;
	vcpu->arch.tpr_access_reporting = tac.enabled;
	return kvm_copy_to_user(arg, &tac, sizeof(tac)) ? -EFAULT : 0;
}

/*
 * kvm_vcpu_ioctl_interrupt(): with the in-kernel APIC the vector is an
 * ExtINT from the VMM's PIC, held one at a time (EEXIST while one waits)
 * until the APIC takes it through LVT0.  A TD never does (TDX has no
 * ExtINT), as in Linux.  Normal VMs take no interrupts in softtdx yet:
 * ENOSYS, as their MSIs.
 */
static long vcpu_interrupt(struct kvm_vcpu *vcpu, unsigned long arg)
{
	struct kvm_interrupt irq;

	if (kvm_copy_from_user(&irq, arg, sizeof(irq)))
		return -EFAULT;
	if (irq.irq >= 256)
		return -EINVAL;
	if (!vcpu->vm->tdx)
		return -ENOSYS;
	if (vcpu->arch.pending_external_vector != -1)
		return -EEXIST;
	vcpu->arch.pending_external_vector = (int)irq.irq;
	return 0;
}

static long vcpu_ioctl_run_guest(struct kvm_vcpu *vcpu)
{
	sigset_t all;
	long ret;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &vcpu->run_saved_sigmask);
	ret = vcpu->vm->vcpu_ops->run(vcpu);
	pthread_sigmask(SIG_SETMASK, &vcpu->run_saved_sigmask, NULL);
	return ret;
}

static long vcpu_ioctl_run(struct kvm_vcpu *vcpu, unsigned long arg)
{
	struct kvm_run *run = vcpu->run;
	bool wants_to_run = !run->immediate_exit;
	long ret;

	if (arg)
		return -EINVAL;
	run->flags = 0;
	if (vcpu->arch.mp_state == KVM_MP_STATE_UNINITIALIZED) {
		accept_events(vcpu);
		ret = wants_to_run ? -EAGAIN : -EINTR;
	} else if (run->kvm_valid_regs || run->kvm_dirty_regs) {
		ret = -EINVAL;
	} else {
		/*
		 * x86.c's order: what userspace completed goes in (even with
		 * immediate_exit), then immediate_exit, then the vendor's checks.
		 */
		ret = 1;
		if (vcpu->arch.complete_userspace_io) {
			int (*cui)(struct kvm_vcpu *) = vcpu->arch.complete_userspace_io;

			vcpu->arch.complete_userspace_io = NULL;
			ret = cui(vcpu);
		}
		if (ret > 0)
			ret = wants_to_run ? vcpu->vm->vcpu_ops->pre_run(vcpu) : -EINTR;
		if (ret > 0 && vcpu->arch.triple_fault) {
			vcpu->arch.triple_fault = false;
			run->exit_reason = KVM_EXIT_SHUTDOWN;
			ret = 0;
		} else if (ret > 0) {
			ret = vcpu_ioctl_run_guest(vcpu);
		}
	}
	post_run_save(vcpu);
	return ret;
}

long kvm_arch_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int request, unsigned long arg)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	if (state_refused(a, request))
		return -EINVAL;
	switch (request) {
	case KVM_GET_REGS:
	case KVM_SET_REGS:
		return copy_state(arg, &a->regs, sizeof(a->regs), request == KVM_SET_REGS);
	case KVM_GET_SREGS:
		return get_sregs(vcpu, arg);
	case KVM_SET_SREGS:
		return set_sregs(vcpu, arg);
	case KVM_GET_FPU:
	case KVM_SET_FPU:
		return copy_state(arg, &a->fpu, sizeof(a->fpu), request == KVM_SET_FPU);
	case KVM_GET_LAPIC:
		return get_lapic(vcpu, arg);
	case KVM_SET_LAPIC:
		return set_lapic(vcpu, arg);
	case KVM_RUN:
		return vcpu_ioctl_run(vcpu, arg);
	case KVM_GET_MSRS:
		return msr_io(vcpu, arg, false);
	case KVM_SET_MSRS:
		return msr_io(vcpu, arg, true);
	case KVM_GET_VCPU_EVENTS:
	case KVM_SET_VCPU_EVENTS:
		return vcpu_events_ioctl(vcpu, arg, request == KVM_SET_VCPU_EVENTS);
	case KVM_GET_MP_STATE:
	case KVM_SET_MP_STATE:
		return mp_state_ioctl(vcpu, arg, request == KVM_SET_MP_STATE);
	case KVM_NMI:
		atomic_fetch_add(&a->nmi_queued, 1);
		return 0;
	case KVM_SMI:
		return smi(vcpu);
	case KVM_X86_SETUP_MCE:
		return vcpu_ioctl_setup_mce(vcpu, arg);
	case KVM_X86_SET_MCE:
		return vcpu_ioctl_set_mce(vcpu, arg);
	case KVM_SET_TSC_KHZ:
		return vcpu_set_tsc_khz(vcpu, arg);
	case KVM_GET_TSC_KHZ:
		return a->tsc_khz;
	case KVM_SET_VAPIC_ADDR:
		return set_vapic_addr(vcpu, arg);
	case KVM_INTERRUPT:
		return vcpu_interrupt(vcpu, arg);
	case KVM_TPR_ACCESS_REPORTING:
		return tpr_access_reporting(vcpu, arg);
	default:
		return vcpu->vm->vcpu_ops->vendor_ioctl(vcpu, request, arg);
	}
}
