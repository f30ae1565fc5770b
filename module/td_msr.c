// SPDX-License-Identifier: MIT
/*
 * The TD's MSRs, as the module's MSR lookup table (msr_config_lookup.c,
 * TDX 1.5) configures the MSR bitmaps and td_msr_access.c handles the
 * exits: per range, reads and writes either run natively, or exit to the
 * module, which raises #GP, raises #VE (the guest asks the VMM with
 * TDVMCALL), or answers itself.  An MSR outside every range, or outside
 * what the bitmaps cover, is a #VE.
 *
 * The bits that depend on the TD (ATTRIBUTES.PERFMON, XFAM's PT, CET, LBR,
 * ULI, TSX, UMWAIT, XFD, PKS) are all off for the TDs softtdx builds: its
 * XFAM is x87|SSE and it offers no PERFMON, so those ranges exit with #GP.
 */
#include "module_internal.h"

enum msr_how {
	NATIVE,		/* the bitmap bit is 0: no exit */
	EXIT_GP,	/* #GP(0) */
	EXIT_VE,	/* #VE: the guest emulates it with TDVMCALL<Instruction.RDMSR/WRMSR> */
	EXIT_GP_OR_VE,	/* #GP if the TD's CPUID does not enumerate it, else #VE */
	EXIT_MODULE,	/* the module answers (td_msr_read/write below) */
};

struct msr_range {
	u32 first, last;
	u8 rd, wr;
};

/* TDX 1.5's table with the TD-dependent bits resolved for XFAM x87|SSE, no PERFMON. */
static const struct msr_range msr_ranges[] = {
	{ 0x10, 0x10, NATIVE, EXIT_VE },		/* TSC */
	{ 0x48, 0x49, NATIVE, NATIVE },			/* SPEC_CTRL, PRED_CMD */
	{ 0x87, 0x87, EXIT_GP_OR_VE, EXIT_GP_OR_VE },	/* MKTME_PARTITIONING */
	{ 0x8c, 0x8f, EXIT_GP, EXIT_GP },		/* SGXLEPUBKEYHASH0..3 */
	{ 0x98, 0x9b, EXIT_GP, EXIT_GP },		/* WBINVDP .. SMM_MONITOR_CTL */
	{ 0x9e, 0x9e, EXIT_GP, EXIT_GP },		/* SMBASE */
	{ 0xbc, 0xbc, NATIVE, EXIT_VE },		/* MISC_PACKAGE_CTLS */
	{ 0xbd, 0xbd, EXIT_MODULE, NATIVE },		/* XAPIC_DISABLE_STATUS */
	{ 0xc1, 0xc8, EXIT_GP, EXIT_GP },		/* PMC0..7 */
	{ 0xe1, 0xe1, EXIT_GP, EXIT_GP },		/* UMWAIT_CONTROL */
	{ 0x10a, 0x10a, EXIT_MODULE, NATIVE },		/* ARCH_CAPABILITIES */
	{ 0x10b, 0x10b, NATIVE, NATIVE },		/* FLUSH_CMD */
	{ 0x122, 0x122, EXIT_GP, EXIT_GP },		/* TSX_CTRL */
	{ 0x174, 0x176, NATIVE, NATIVE },		/* SYSENTER_CS/ESP/EIP */
	{ 0x186, 0x18d, EXIT_GP, EXIT_GP },		/* PERFEVTSEL0..7 */
	{ 0x195, 0x195, EXIT_GP, EXIT_GP },		/* OVERCLOCKING_STATUS */
	{ 0x1a0, 0x1a0, EXIT_MODULE, EXIT_VE },		/* MISC_ENABLE */
	{ 0x1a6, 0x1a7, EXIT_GP, EXIT_GP },		/* OFFCORE_RSP0/1 */
	{ 0x1c4, 0x1c5, EXIT_GP, EXIT_GP },		/* XFD, XFD_ERR */
	{ 0x1d9, 0x1d9, EXIT_MODULE, EXIT_MODULE },	/* DEBUGCTL */
	{ 0x1f8, 0x1fa, EXIT_GP_OR_VE, EXIT_GP_OR_VE },	/* DCA capabilities */
	{ 0x276, 0x276, EXIT_GP, EXIT_GP },		/* SLAM_ENABLE */
	{ 0x277, 0x277, NATIVE, NATIVE },		/* PAT */
	{ 0x309, 0x310, EXIT_GP, EXIT_GP },		/* FIXED_CTR0..7 */
	{ 0x329, 0x329, EXIT_GP, EXIT_GP },		/* PERF_METRICS */
	{ 0x345, 0x345, EXIT_MODULE, EXIT_GP },		/* PERF_CAPABILITIES */
	{ 0x38d, 0x392, EXIT_GP, EXIT_GP },		/* FIXED_CTR_CTRL .. PERF_GLOBAL_INUSE */
	{ 0x3f1, 0x3f2, EXIT_GP, EXIT_GP },		/* PEBS_ENABLE, PEBS_MATRIX_VECT */
	{ 0x3f6, 0x3f7, EXIT_GP, EXIT_GP },		/* PEBS_LD_LATENCY, PEBS_FRONTEND */
	{ 0x480, 0x480, EXIT_MODULE, EXIT_GP },		/* VMX_BASIC */
	{ 0x481, 0x484, EXIT_VE, EXIT_GP },		/* VMX_{PINBASED,PROCBASED,EXIT,ENTRY}_CTLS */
	{ 0x485, 0x489, EXIT_MODULE, EXIT_GP },		/* VMX_MISC, CR0/CR4_FIXED0/1 */
	{ 0x48a, 0x48a, EXIT_VE, EXIT_GP },		/* VMX_VMCS_ENUM */
	{ 0x48b, 0x492, EXIT_MODULE, EXIT_GP },		/* VMX_PROCBASED_CTLS2 .. CTLS3 */
	{ 0x4c1, 0x4c8, EXIT_GP, EXIT_GP },		/* A_PMC0..7 */
	{ 0x500, 0x500, EXIT_GP, EXIT_GP },		/* SGX_SVN_STATUS */
	{ 0x560, 0x561, EXIT_GP, EXIT_GP },		/* RTIT_OUTPUT_BASE/MASK_PTRS */
	{ 0x570, 0x572, EXIT_GP, EXIT_GP },		/* RTIT_CTL, STATUS, CR3_MATCH */
	{ 0x580, 0x587, EXIT_GP, EXIT_GP },		/* RTIT_ADDR0..3_A/B */
	{ 0x600, 0x600, NATIVE, NATIVE },		/* DS_AREA */
	{ 0x6a0, 0x6a0, EXIT_GP, EXIT_GP },		/* U_CET */
	{ 0x6a2, 0x6a8, EXIT_GP, EXIT_GP },		/* S_CET, PL0..3_SSP, ISST_ADDR */
	{ 0x6e0, 0x6e0, EXIT_GP_OR_VE, EXIT_GP_OR_VE },	/* TSC_DEADLINE */
	{ 0x6e1, 0x6e1, EXIT_GP, EXIT_GP },		/* PKRS */
	{ 0x808, 0x808, NATIVE, NATIVE },		/* x2APIC TPR */
	{ 0x80a, 0x80b, NATIVE, NATIVE },		/* x2APIC PPR, EOI */
	{ 0x810, 0x827, NATIVE, NATIVE },		/* x2APIC ISR, TMR, IRR */
	{ 0x83f, 0x83f, NATIVE, NATIVE },		/* x2APIC SELF_IPI */
	{ 0x981, 0x984, EXIT_GP_OR_VE, EXIT_GP_OR_VE },	/* TME_CAPABILITY .. EXCLUDE_BASE */
	{ 0x985, 0x98a, EXIT_GP, EXIT_GP },		/* UINTR_* */
	{ 0xc80, 0xc80, NATIVE, EXIT_VE },		/* DEBUG_INTERFACE */
	{ 0xd90, 0xd90, EXIT_GP, EXIT_GP },		/* BNDCFGS */
	{ 0xd93, 0xd93, EXIT_GP, EXIT_GP },		/* PASID */
	{ 0xda0, 0xda0, NATIVE, EXIT_MODULE },		/* XSS */
	{ 0x1200, 0x12ff, EXIT_GP, EXIT_GP },		/* LBR_INFO */
	{ 0x14ce, 0x14cf, EXIT_GP, EXIT_GP },		/* LBR_CTL, LBR_DEPTH */
	{ 0x1500, 0x16ff, EXIT_GP, EXIT_GP },		/* LBR_FROM/TO_IP */
	{ 0x1b01, 0x1b01, NATIVE, NATIVE },		/* UARCH_MISC_CTL */
	/*
	 * EFER: the module checks that a write changes nothing but SCE; the
	 * engine runs EFER natively (platform/cpu_unicorn.c), so here it is.
	 */
	{ 0xc0000080, 0xc0000080, NATIVE, NATIVE },
	{ 0xc0000081, 0xc0000082, NATIVE, NATIVE },	/* STAR, LSTAR */
	{ 0xc0000084, 0xc0000084, NATIVE, NATIVE },	/* FMASK */
	{ 0xc0000100, 0xc0000103, NATIVE, NATIVE },	/* FS/GS/KERNEL_GS_BASE, TSC_AUX */
};

#define VECTOR_GP		13
#define MSR_MISC_ENABLE		0x1a0
#define MSR_DEBUGCTL		0x1d9
#define MSR_XAPIC_DISABLE	0xbd
#define MSR_ARCH_CAPABILITIES	0x10a
#define MSR_PERF_CAPABILITIES	0x345
#define MSR_TSC_DEADLINE	0x6e0
#define MSR_XSS			0xda0

/* What a CPU without PERFMON in the TD shows: fast strings, no BTS, no PEBS, no perfmon. */
#define MISC_ENABLE_TD		((1ULL << 0) | (1ULL << 11) | (1ULL << 12))
/* RDCL_NO, IBRS_ALL, SKIP_L1DFL_VMENTRY, MDS_NO, IF_PSCHANGE_MC_NO, TAA_NO, XAPIC_DISABLE_STATUS */
#define ARCH_CAPABILITIES_TD	0x20016BULL
#define LEGACY_XAPIC_DISABLED	1
/* DEBUGCTL's defined bits: LBR, BTF, bus-lock detect, then TR (6) to RTM_DEBUG (15) */
#define DEBUGCTL_VALID		0xFFC7ULL
#define DEBUGCTL_TR		(1ULL << 6)
#define DEBUGCTL_BTS		(1ULL << 7)

static const struct msr_range *msr_range(u32 msr)
{
	for (size_t i = 0; i < sizeof(msr_ranges) / sizeof(msr_ranges[0]); i++)
		if (msr >= msr_ranges[i].first && msr <= msr_ranges[i].last)
			return &msr_ranges[i];
	return NULL;
}

/* The bitmaps cover MSRs 0..0x1FFF and 0xC0000000..0xC0001FFF. */
static bool in_bitmap(u32 msr)
{
	return msr <= 0x1FFF || (msr >= 0xC0000000 && msr <= 0xC0001FFF);
}

bool td_msr_native(u32 msr, bool write)
{
	const struct msr_range *r = in_bitmap(msr) ? msr_range(msr) : NULL;

	return r && (write ? r->wr : r->rd) == NATIVE;
}

/* Whether the TD's CPUID enumerates TSC deadline (leaf 1 ECX[24]); the others are never offered. */
static bool gp_or_ve_enumerated(struct td_vcpu *v, struct cpu_regs *regs, u32 msr)
{
	u32 out[4];

	return msr == MSR_TSC_DEADLINE &&
	       td_cpuid(v->m->plat, v->td.tdcs, v->tdvps, regs, 1, 0, out) && (out[2] >> 24 & 1);
}

/* RDMSR the module answers; false for #GP. */
static bool module_read(struct td_vcpu *v, u32 msr, u64 *val)
{
	switch (msr) {
	case MSR_MISC_ENABLE:		*val = MISC_ENABLE_TD; return true;
	case MSR_ARCH_CAPABILITIES:	*val = ARCH_CAPABILITIES_TD; return true;
	case MSR_XAPIC_DISABLE:		*val = LEGACY_XAPIC_DISABLED; return true;
	case MSR_PERF_CAPABILITIES:	*val = 0; return true;
	case MSR_DEBUGCTL:		*val = v->tdvps->debugctl; return true;
	default:			return false;	/* VMX capabilities: no VMX in a TD here */
	}
}

/* WRMSR the module checks: 0 done, else the vector to raise. */
static int module_write(struct td_vcpu *v, u32 msr, u64 val)
{
	switch (msr) {
	case MSR_XSS:			/* no supervisor state in XFAM x87|SSE */
		return val ? VECTOR_GP : 0;
	case MSR_DEBUGCTL:
		if (val & ~DEBUGCTL_VALID)
			return VECTOR_GP;
		if ((val & DEBUGCTL_TR) && !(val & DEBUGCTL_BTS))
			return X86_VECTOR_VE;
		v->tdvps->debugctl = val;
		return 0;
	default:
		return VECTOR_GP;
	}
}

void td_msr_exit(struct td_vcpu *v, struct cpu_regs *r, bool write)
{
	u32 msr = (u32)r->gpr[CPU_RCX];
	const struct msr_range *range = in_bitmap(msr) ? msr_range(msr) : NULL;
	u64 val = (u32)r->gpr[CPU_RAX] | r->gpr[CPU_RDX] << 32;
	int how = range ? (write ? range->wr : range->rd) : EXIT_VE, vec = X86_VECTOR_VE;

	switch (how) {
	case NATIVE:	/* the virtual APIC's, when td_apic_msr() took no such access */
	case EXIT_GP:
		vec = VECTOR_GP;
		break;
	case EXIT_GP_OR_VE:
		vec = gp_or_ve_enumerated(v, r, msr) ? X86_VECTOR_VE : VECTOR_GP;
		break;
	case EXIT_MODULE:
		if (!write && module_read(v, msr, &val)) {
			r->gpr[CPU_RAX] = (u32)val;
			r->gpr[CPU_RDX] = val >> 32;
			r->rip += 2;
			return;
		}
		vec = write ? module_write(v, msr, val) : VECTOR_GP;
		if (!vec) {
			r->rip += 2;
			return;
		}
		break;
	default:
		break;
	}
	if (vec == VECTOR_GP)
		cpu_core_inject(v->core, VECTOR_GP, true, 0);
	else
		td_inject_ve(v, write ? VMX_EXIT_MSR_WRITE : VMX_EXIT_MSR_READ, 0, 0, 0, 2);
}
