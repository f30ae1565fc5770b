// SPDX-License-Identifier: MIT
/*
 * The CPUID leaves a host may configure in TD_PARAMS, in TD_PARAMS order
 * (the TDX 1.5 list).  A leaf's configurable mask is the set of feature bits
 * the platform CPU has (platform_cpuid()): a TD may keep or drop a native
 * feature, never add one.  Features that come with an XSAVE component are
 * not configurable: XFAM decides them (PKU with PKRU, XFAM bit 9).
 */
#include "module_internal.h"

#define NO_SUB TDX_CPUID_NO_SUBLEAF
#define V(a, b, c, d) { a, b, c, d }

const struct cpuid_config cpuid_configs[TDX_MAX_NUM_CPUID_CONFIG] = {
	{ 0x1, NO_SUB, V(0, 0, 0x47f82203, 0x0f8bfbfd) },
	{ 0x4, 0, V(0, 0, 0, 0) },
	{ 0x4, 1, V(0, 0, 0, 0) },
	{ 0x4, 2, V(0, 0, 0, 0) },
	{ 0x4, 3, V(0, 0, 0, 0) },
	{ 0x7, 0, V(0, 0x01980389, 0x00010000, 0xbc000410) },
	{ 0x7, 1, V(0x00001c00, 0, 0, 0) },
	{ 0xa, NO_SUB, V(0, 0, 0, 0) },
	{ 0x1c, NO_SUB, V(0, 0, 0, 0) },
	{ 0x80000008, NO_SUB, V(0x00ff0000, 0, 0, 0) },
	{ 0x7, 2, V(0, 0, 0, 0x0000003f) },
	{ 0x23, 0, V(0, 0, 0, 0) },
};

/* Feature flags (leaves 1 and 7) only where the CPU has them; fields such as GuestPhysBits as they are. */
struct tdx_cpuid_value cpuid_config_mask(struct platform *plat, int i)
{
	const struct cpuid_config *cc = &cpuid_configs[i];
	u32 nat[4] = { ~0u, ~0u, ~0u, ~0u };

	if (cc->leaf == 1 || cc->leaf == 7)
		platform_cpuid(plat, cc->leaf, cc->subleaf, nat);
	return (struct tdx_cpuid_value){
		cc->mask.eax & nat[0], cc->mask.ebx & nat[1], cc->mask.ecx & nat[2],
		cc->mask.edx & nat[3],
	};
}

/* ---- the TD's virtual CPUID (td_cpuid.c and cpuid_configurations.c) ---------- */

#define MAX_BASIC_LEAF	0x23
#define MAX_EXT_LEAF	0x80000008u
#define CR4_OSXSAVE	(1ULL << 18)
#define CR4_PKE		(1ULL << 22)
#define CPUID_1_ECX_HYPERVISOR	(1u << 31)
#define CPUID_7_ECX_PKU		(1u << 3)
#define XFAM_PKRU		(1ULL << 9)
#define XSAVE_LEGACY	576	/* legacy area + XSAVE header */

/* XSAVE state components: size and standard-format offset (0: supervisor). */
static const struct { u32 size, offset; } xsave_component[19] = {
	[2] = { 256, 576 }, [5] = { 64, 1088 }, [6] = { 512, 1152 }, [7] = { 1024, 1664 },
	[8] = { 128, 0 }, [9] = { 8, 2688 }, [11] = { 16, 0 }, [12] = { 24, 0 },
	[14] = { 16, 0 }, [15] = { 808, 0 }, [17] = { 64, 2752 }, [18] = { 8192, 2816 },
};
#define XFAM_SUPERVISOR	((1ULL << 8) | (3ULL << 11) | (3ULL << 14))

static u32 xsave_size(u64 components)
{
	u32 end = XSAVE_LEGACY;

	for (int i = 2; i < 19; i++)
		if ((components >> i & 1) && xsave_component[i].offset &&
		    xsave_component[i].offset + xsave_component[i].size > end)
			end = xsave_component[i].offset + xsave_component[i].size;
	return end;
}

/* Leaf 0xD: what the TD's XFAM allows. */
static void xsave_leaf(u64 xfam, u32 subleaf, u32 out[4])
{
	u64 user = xfam & ~XFAM_SUPERVISOR, sup = xfam & XFAM_SUPERVISOR;

	if (subleaf == 0) {
		out[0] = (u32)user;
		out[1] = out[2] = xsave_size(user);
		out[3] = (u32)(user >> 32);
	} else if (subleaf == 1) {
		out[0] = 0x5;	/* XSAVEOPT, XGETBV with ECX = 1 (the cores lack XSAVEC/XSAVES) */
		out[1] = xsave_size(user);
		out[2] = (u32)sup;
		out[3] = (u32)(sup >> 32);
	} else if (subleaf < 19 && (xfam >> subleaf & 1)) {
		out[0] = xsave_component[subleaf].size;
		out[1] = xsave_component[subleaf].offset;
		out[2] = xsave_component[subleaf].offset ? 0 : 1;
	}
}

static void set4(u32 out[4], u32 a, u32 b, u32 c, u32 d)
{
	out[0] = a;
	out[1] = b;
	out[2] = c;
	out[3] = d;
}

/*
 * The module's CPUID lookup table (cpuid_configurations.c, 1.5): leaves or
 * runs of subleaves, each with the lookup index of its first (sub)leaf,
 * which names its TDVPS CPUID_CONTROL entry.
 */
static const struct cpuid_leaf {
	u32 leaf;
	u32 first_sub, last_sub;	/* NO_SUB for a leaf without subleaves */
	u8 index;
	bool faulting;			/* in the table, but CPUID gives #VE */
} cpuid_table[] = {
	{ 0x0, NO_SUB, NO_SUB, 10, false }, { 0x1, NO_SUB, NO_SUB, 0, false },
	{ 0x3, NO_SUB, NO_SUB, 11, false }, { 0x4, 0, 3, 1, false }, { 0x4, 4, 4, 12, false },
	{ 0x5, NO_SUB, NO_SUB, 63, false }, { 0x6, NO_SUB, NO_SUB, 13, true },
	{ 0x7, 0, 1, 5, false }, { 0x7, 2, 2, 14, false }, { 0x8, NO_SUB, NO_SUB, 15, false },
	{ 0xa, NO_SUB, NO_SUB, 7, false }, { 0xd, 0, 0x12, 16, false },
	{ 0xe, NO_SUB, NO_SUB, 35, false }, { 0x11, NO_SUB, NO_SUB, 36, false },
	{ 0x12, NO_SUB, NO_SUB, 37, false }, { 0x13, NO_SUB, NO_SUB, 38, false },
	{ 0x14, 0, 1, 39, false }, { 0x15, NO_SUB, NO_SUB, 41, false },
	{ 0x19, NO_SUB, NO_SUB, 42, false }, { 0x1c, NO_SUB, NO_SUB, 8, false },
	{ 0x1d, 0, 1, 43, false }, { 0x1e, NO_SUB, NO_SUB, 45, false }, { 0x1f, 0, 5, 46, true },
	{ 0x20, NO_SUB, NO_SUB, 52, false }, { 0x21, 0, 0, 53, false },
	{ 0x22, NO_SUB, NO_SUB, 58, false }, { 0x23, 0, 3, 59, false },
	{ 0x80000000, NO_SUB, NO_SUB, 54, false }, { 0x80000001, NO_SUB, NO_SUB, 55, false },
	{ 0x80000006, NO_SUB, NO_SUB, 56, true }, { 0x80000007, NO_SUB, NO_SUB, 57, false },
	{ 0x80000008, NO_SUB, NO_SUB, 9, false },
};

/* The table entry for (@leaf, @subleaf); NO_SUB asks for a leaf without subleaves. */
static const struct cpuid_leaf *table_entry(u32 leaf, u32 subleaf)
{
	for (size_t i = 0; i < ARRAY_SIZE(cpuid_table); i++) {
		const struct cpuid_leaf *e = &cpuid_table[i];

		if (e->leaf != leaf)
			continue;
		if (e->first_sub == NO_SUB)
			return subleaf == NO_SUB ? e : NULL;
		if (subleaf != NO_SUB && subleaf >= e->first_sub && subleaf <= e->last_sub)
			return e;
	}
	return NULL;
}

/* A configurable leaf: the TD's INIT_VM values. */
static bool configured_leaf(const struct tdcs *tdcs, u32 leaf, u32 subleaf, u32 out[4])
{
	for (int i = 0; i < TDX_MAX_NUM_CPUID_CONFIG; i++) {
		const struct cpuid_config *cc = &cpuid_configs[i];
		const struct tdx_cpuid_value *val = &tdcs->cpuid_values[i];

		if (cc->leaf != leaf || (cc->subleaf != NO_SUB && cc->subleaf != subleaf))
			continue;
		set4(out, val->eax, val->ebx, val->ecx, val->edx);
		return true;
	}
	return false;
}

/* The TD-wide value of a leaf in the table (what TDH.MNG.RD CPUID_VALUES reads). */
static void td_leaf_value(struct platform *plat, const struct tdcs *tdcs, u32 leaf, u32 subleaf,
			  u32 out[4])
{
	set4(out, 0, 0, 0, 0);
	if (configured_leaf(tdcs, leaf, subleaf, out)) {
		if (leaf == 1)
			out[2] |= CPUID_1_ECX_HYPERVISOR;	/* fixed to 1 in every TD */
		if (leaf == 7 && subleaf == 0 && !(tdcs->xfam & XFAM_PKRU))
			out[2] &= ~CPUID_7_ECX_PKU;
		return;
	}
	switch (leaf) {
	case 0x0:
		set4(out, MAX_BASIC_LEAF, 0x756e6547, 0x6c65746e, 0x49656e69);	/* GenuineIntel */
		break;
	case 0xD:
		xsave_leaf(tdcs->xfam, subleaf, out);
		break;
	case 0x15:	/* TSC = 25 MHz crystal x TSC_FREQUENCY */
		set4(out, 1, tdcs->tsc_frequency, 25000000, 0);
		break;
	case 0x21:
		set4(out, 0, 0x65746e49, 0x20202020, 0x5844546c);	/* "IntelTDX    " */
		break;
	case 0x80000000:
		set4(out, MAX_EXT_LEAF, 0, 0, 0);
		break;
	case 0x80000001:
	case 0x80000007:
		platform_cpuid(plat, leaf, subleaf, out);
		break;
	default:
		break;	/* the other leaves of the table report nothing */
	}
}

bool td_cpuid_value(struct platform *plat, const struct tdcs *tdcs, u32 leaf, u32 subleaf,
		    u32 out[4])
{
	if (!table_entry(leaf, subleaf))
		return false;
	td_leaf_value(plat, tdcs, leaf, subleaf, out);
	return true;
}

bool td_cpuid(struct platform *plat, const struct tdcs *tdcs, const struct tdvps *v,
	      const struct cpu_regs *regs, u32 leaf, u32 subleaf, u32 out[4])
{
	const struct cpuid_leaf *e;
	u8 control;

	if (leaf >= 0x40000000 && leaf <= 0x4FFFFFFF)
		return false;	/* the hypervisor range is the VMM's, through #VE */
	if ((leaf > MAX_BASIC_LEAF && leaf < 0x80000000) || leaf > MAX_EXT_LEAF)
		leaf = MAX_BASIC_LEAF;
	e = table_entry(leaf, NO_SUB);
	if (!e)
		e = table_entry(leaf, subleaf);
	if (!e || e->faulting)
		return false;
	if (e->first_sub != NO_SUB)
		control = v->cpuid_control[e->index + subleaf - e->first_sub];
	else
		control = v->cpuid_control[e->index];
	if (control & (regs->cs & 3 ? 2 : 1))
		return false;	/* the TD asked for a #VE on this (sub)leaf */
	td_leaf_value(plat, tdcs, leaf, e->first_sub == NO_SUB ? NO_SUB : subleaf, out);
	if (leaf == 1) {
		out[1] = (out[1] & 0x00FFFFFF) | v->vcpu_index << 24;
		out[2] = (out[2] & ~(1u << 27)) | (regs->cr4 & CR4_OSXSAVE ? 1u << 27 : 0);
	} else if (leaf == 7 && subleaf == 0) {
		out[2] = (out[2] & ~(1u << 4)) | (regs->cr4 & CR4_PKE ? 1u << 4 : 0);
	}
	return true;
}
