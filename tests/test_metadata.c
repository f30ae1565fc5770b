// SPDX-License-Identifier: MIT
/*
 * TDH.MNG.RD/WR and TDH.VP.RD/WR: field-ID decoding (ignored and reserved
 * bits, context overwrite), production versus DEBUG read/write masks, the
 * write-mask semantics, version 1 iteration, and the TD, op-state and
 * vCPU-state checks in front of the metadata engine.
 */
#include "tdtest.h"

#include <stdlib.h>
#include <string.h>

#define MD_V1			(1ULL << TDX_VERSION_SHIFT)
#define MD_CTX_BITS		(7ULL << 52)
#define MD_FATAL		0x8010000000000001ULL	/* first TD field */
#define MD_GPR_RCX		1
#define MD_GPR_RBX		3
#define MD_GPR_RSI		6
#define MD_GPR_R8		8
#define MD_INITIAL_RCX		0x1234ABCDULL

#define GPR_RAX			0

/* ---- fixtures ----------------------------------------------------------------- */

static void md_params(struct td_params *tp, bool debug)
{
	tdlib_default_params(tp);
	if (debug)
		tp->attributes |= TDX_ATTR_DEBUG;
	for (int i = 0; i < 6; i++) {
		tp->mrconfigid[i] = 0x1111000000000000ULL + (u64)i;
		tp->mrowner[i] = 0x2222000000000000ULL + ((u64)i << 8);
		tp->mrownerconfig[i] = ~(0x3333ULL + (u64)i);
	}
}

static int setup_md(void **state, bool debug)
{
	struct td_params tp;
	struct tdtest *t;

	tdtest_setup_host(state);
	t = *state;
	md_params(&tp, debug);
	assert_status(tdlib_create(t->h, &t->td, &tp), TDX_SUCCESS);
	t->has_td = true;
	assert_status(tdlib_add_vcpu(&t->td, 0, MD_INITIAL_RCX), TDX_SUCCESS);
	return 0;
}

static int setup_prod(void **state)
{
	return setup_md(state, false);
}

static int setup_debug(void **state)
{
	return setup_md(state, true);
}

/* A TD whose TDH.MNG.INIT failed: OP_STATE stays UNINITIALIZED. */
static int setup_uninit(void **state)
{
	struct td_params tp;
	struct tdtest *t;

	tdtest_setup_host(state);
	t = *state;
	md_params(&tp, false);
	tp.max_vcpus = 0;
	assert_status(tdlib_create(t->h, &t->td, &tp),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_MAX_VCPUS);
	t->has_td = true;
	return 0;
}

/* ---- helpers ----------------------------------------------------------------- */

static u64 mng_rd(struct tdtest *t, u64 version, u64 id, struct seamcall_regs *r)
{
	*r = (struct seamcall_regs){ .rcx = t->td.tdr, .rdx = id };
	return tdtest_call(t, TDH_MNG_RD | version, r);
}

static u64 mng_wr(struct tdtest *t, u64 id, u64 value, u64 mask, struct seamcall_regs *r)
{
	*r = (struct seamcall_regs){ .rcx = t->td.tdr, .rdx = id, .r8 = value, .r9 = mask };
	return tdtest_call(t, TDH_MNG_WR, r);
}

static u64 td_field(struct tdtest *t, u64 id)
{
	struct seamcall_regs r;

	assert_status(mng_rd(t, 0, id, &r), TDX_SUCCESS);
	return r.r8;
}

static u64 vp_rd(struct tdtest *t, u32 lp, u32 vcpu, u64 id, struct seamcall_regs *r)
{
	*r = (struct seamcall_regs){ .rcx = t->td.vcpu[vcpu].tdvpr, .rdx = id };
	return tdtest_call_lp(t, lp, TDH_VP_RD, r);
}

static u64 vp_wr(struct tdtest *t, u32 lp, u32 vcpu, u64 id, u64 value, u64 mask,
		 struct seamcall_regs *r)
{
	*r = (struct seamcall_regs){ .rcx = t->td.vcpu[vcpu].tdvpr, .rdx = id, .r8 = value,
				     .r9 = mask };
	return tdtest_call_lp(t, lp, TDH_VP_WR, r);
}

static u64 vp_field(struct tdtest *t, u32 vcpu, u64 id)
{
	struct seamcall_regs r;

	assert_status(vp_rd(t, 0, vcpu, id, &r), TDX_SUCCESS);
	return r.r8;
}

static void expect_td_fail(struct tdtest *t, u64 id, u64 status)
{
	struct seamcall_regs r;

	assert_status(mng_rd(t, 0, id, &r), status);
	assert_int_equal(r.r8, 0);
}

/* ---- TDH.MNG.RD: values --------------------------------------------------------- */

static void test_read_td_params(void **state)
{
	struct tdtest *t = *state;

	assert_int_equal(td_field(t, MD_TD_ATTRIBUTES), TDX_ATTR_SEPT_VE_DISABLE);
	assert_int_equal(td_field(t, MD_TD_XFAM), TDX_XFAM_FIXED1);
	assert_int_equal(td_field(t, MD_TD_MAX_VCPUS), TDLIB_MAX_VCPUS);
	assert_int_equal(td_field(t, MD_TD_GPAW), 0);
	/* EPTP: the controls from TD_PARAMS plus the S-EPT root, no HKID. */
	assert_int_equal(td_field(t, MD_TD_EPTP),
			 TDX_EPTP_MT_WB | (3ULL << TDX_EPTP_PWL_SHIFT) | t->td.tdcs[3]);
	assert_int_equal(td_field(t, MD_TD_TSC_FREQUENCY), 100);
	assert_int_equal(td_field(t, MD_TD_CONFIG_FLAGS), 0);
}

static void test_read_td_state(void **state)
{
	struct tdtest *t = *state;

	assert_int_equal(td_field(t, MD_TD_NUM_VCPUS), 1);
	assert_int_equal(td_field(t, MD_TD_OP_STATE), OP_STATE_INITIALIZED);
	assert_int_equal(td_field(t, MD_TD_EPOCH), 1);
	assert_int_equal(td_field(t, MD_TD_HKID), (u64)t->td.hkid);
	assert_int_equal(td_field(t, MD_TD_LIFECYCLE_STATE), TD_KEYS_CONFIGURED);
	assert_status(tdlib_add_vcpu(&t->td, 1, 0), TDX_SUCCESS);
	assert_int_equal(td_field(t, MD_TD_NUM_VCPUS), 2);
	assert_status(tdlib_finalize(&t->td), TDX_SUCCESS);
	assert_int_equal(td_field(t, MD_TD_OP_STATE), OP_STATE_RUNNABLE);
}

static void test_read_measurement_regs(void **state)
{
	struct tdtest *t = *state;
	struct td_params tp;

	md_params(&tp, false);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(td_field(t, MD_FIELD_ELEM(MD_TD_MRCONFIGID, i)), tp.mrconfigid[i]);
		assert_int_equal(td_field(t, MD_FIELD_ELEM(MD_TD_MROWNER, i)), tp.mrowner[i]);
		assert_int_equal(td_field(t, MD_FIELD_ELEM(MD_TD_MROWNERCONFIG, i)),
				 tp.mrownerconfig[i]);
		assert_int_equal(td_field(t, MD_FIELD_ELEM(MD_TD_MRTD, i)), 0);
	}
}

/* ---- TDH.MNG.RD: field IDs ------------------------------------------------------ */

static void test_field_id_incorrect(void **state)
{
	struct tdtest *t = *state;
	const u64 st = TDX_METADATA_FIELD_ID_INCORRECT;

	expect_td_fail(t, MD_TD_ATTRIBUTES + 0x500, st);	/* no such code */
	expect_td_fail(t, MD_FIELD_ELEM(MD_TD_MRTD, 6), st);	/* past MRTD */
	expect_td_fail(t, 0x3F10000300000000ULL, st);		/* no such class */
	expect_td_fail(t, MD_TD_ATTRIBUTES | (1ULL << 24), st);	/* reserved0 */
	expect_td_fail(t, MD_TD_ATTRIBUTES | (1ULL << 47), st);	/* reserved1 */
	expect_td_fail(t, MD_TD_ATTRIBUTES | (1ULL << 55), st);	/* reserved2 */
	expect_td_fail(t, MD_TD_ATTRIBUTES | (1ULL << 62), st);	/* reserved3 */
	expect_td_fail(t, MD_TD_MRTD | (5ULL << 34), st);	/* last element */
	expect_td_fail(t, MD_TD_MRTD | (1ULL << 38), st);	/* last field */
	/* A platform-scope ID names no TD field. */
	expect_td_fail(t, MD_SYS_TDCS_BASE_SIZE, st);
	/* Version 0 has no null-ID enumeration. */
	expect_td_fail(t, MD_FIELD_ID_NONE, st);
}

static void test_field_id_ignored_bits(void **state)
{
	struct tdtest *t = *state;
	const u64 attr = TDX_ATTR_SEPT_VE_DISABLE;
	const u64 variants[] = {
		MD_TD_ATTRIBUTES & ~MD_CTX_BITS,		/* context 0 */
		(MD_TD_ATTRIBUTES & ~MD_CTX_BITS) | (2ULL << 52),
		MD_TD_ATTRIBUTES | MD_CTX_BITS,
		MD_TD_ATTRIBUTES & ~(3ULL << 32),		/* element size 1 byte */
		MD_TD_ATTRIBUTES | (1ULL << 50),		/* INC_SIZE */
		MD_TD_ATTRIBUTES | (1ULL << 51),		/* WRITE_MASK_VALID */
		MD_TD_ATTRIBUTES | (1ULL << 63),		/* NON_ARCH */
	};

	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
		assert_int_equal(td_field(t, variants[i]), attr);
	/* The element size comes from the table: HKID is 2 bytes. */
	assert_int_equal(td_field(t, MD_TD_HKID | (3ULL << 32)), (u64)t->td.hkid);
}

static void test_debug_only_fields(void **state)
{
	struct tdtest *t = *state;
	const u64 st = TDX_METADATA_FIELD_NOT_READABLE;

	expect_td_fail(t, MD_TD_RTMR, st);
	expect_td_fail(t, MD_FIELD_ELEM(MD_TD_RTMR, 23), st);
	expect_td_fail(t, MD_TD_NOTIFY_ENABLES, st);
	expect_td_fail(t, MD_TD_TD_CTLS, st);
}

static void test_debug_td_reads_more(void **state)
{
	struct tdtest *t = *state;

	for (int i = 0; i < 24; i++)
		assert_int_equal(td_field(t, MD_FIELD_ELEM(MD_TD_RTMR, i)), 0);
	assert_int_equal(td_field(t, MD_TD_NOTIFY_ENABLES), 0);
	assert_int_equal(td_field(t, MD_TD_ATTRIBUTES),
			 TDX_ATTR_SEPT_VE_DISABLE | TDX_ATTR_DEBUG);
	expect_td_fail(t, MD_FIELD_ELEM(MD_TD_RTMR, 24), TDX_METADATA_FIELD_ID_INCORRECT);
}

/* ---- TDH.MNG.RD version 1 --------------------------------------------------------- */

static void test_rd_v1_next_id(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	assert_status(mng_rd(t, MD_V1, MD_TD_ATTRIBUTES, &r), TDX_SUCCESS);
	assert_int_equal(r.r8, TDX_ATTR_SEPT_VE_DISABLE);
	assert_int_equal(r.rdx, MD_TD_XFAM);
	assert_status(mng_rd(t, MD_V1, MD_TD_MRTD, &r), TDX_SUCCESS);
	assert_int_equal(r.rdx, MD_FIELD_ELEM(MD_TD_MRTD, 1));
	assert_status(mng_rd(t, MD_V1, MD_FIELD_ELEM(MD_TD_MRTD, 5), &r), TDX_SUCCESS);
	assert_int_equal(r.rdx, MD_TD_MRCONFIGID);
	/* The null ID, whatever its context bits. */
	assert_status(mng_rd(t, MD_V1, MD_FIELD_ID_NONE, &r),
		      TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
	assert_int_equal(r.rdx, MD_FATAL);
	assert_int_equal(r.r8, 0);
	assert_false(TDX_IS_ERROR(TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT));
	assert_status(mng_rd(t, MD_V1, MD_FIELD_ID_NONE & ~MD_CTX_BITS, &r),
		      TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
	assert_int_equal(r.rdx, MD_FATAL);
	/* On failure RDX is the null ID. */
	assert_status(mng_rd(t, MD_V1, MD_TD_ATTRIBUTES + 0x500, &r),
		      TDX_METADATA_FIELD_ID_INCORRECT);
	assert_int_equal(r.rdx, MD_FIELD_ID_NONE);
	assert_status(mng_rd(t, MD_V1, MD_TD_RTMR, &r), TDX_METADATA_FIELD_NOT_READABLE);
	assert_int_equal(r.rdx, MD_FIELD_ID_NONE);
}

static bool is_debug_only(u64 id)
{
	return id == MD_TD_NOTIFY_ENABLES || id == MD_TD_TD_CTLS ||
	       (id >= MD_TD_RTMR && id < MD_TD_RTMR + 24);
}

/* Walks every readable TD field; returns how many there were. */
static int walk_td_fields(struct tdtest *t, bool debug)
{
	struct seamcall_regs r;
	int n = 0, debug_only = 0;

	assert_status(mng_rd(t, MD_V1, MD_FIELD_ID_NONE, &r),
		      TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
	while (r.rdx != MD_FIELD_ID_NONE) {
		u64 id = r.rdx;

		assert_int_equal(MD_FIELD_CONTEXT(id), MD_CONTEXT_TD);
		assert_status(mng_rd(t, MD_V1, id, &r), TDX_SUCCESS);
		if (is_debug_only(id))
			debug_only++;
		if (++n > 1000)
			fail_msg("field walk does not end");
	}
	if (debug)
		assert_int_equal(debug_only, 26);
	else
		assert_int_equal(debug_only, 0);
	return n;
}

static void test_rd_v1_walk(void **state)
{
	struct tdtest *t = *state;
	int n = walk_td_fields(t, false);

	/* At least the MRs (4 x 6) and the configuration fields. */
	assert_true(n > 40);
}

static void test_rd_v1_walk_debug(void **state)
{
	walk_td_fields(*state, true);
}

static void test_rd_version2(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	assert_status(mng_rd(t, 2ULL << TDX_VERSION_SHIFT, MD_TD_ATTRIBUTES, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	assert_int_equal(r.r8, 0);
	/* RDX is set to the null ID before the version check. */
	assert_int_equal(r.rdx, MD_FIELD_ID_NONE);
	/* MNG.WR has no version 1. */
	r = (struct seamcall_regs){ .rcx = t->td.tdr, .rdx = MD_TD_NOTIFY_ENABLES };
	assert_status(tdtest_call(t, TDH_MNG_WR | MD_V1, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
}

/* CPUID_VALUES: leaf/subleaf in the field code, two elements per entry. */
static void test_cpuid_values(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	const u64 leaf0 = MD_TD_CPUID_VALUES | 0x1FE, leaf21 = MD_TD_CPUID_VALUES | 0x21 << 9;

	assert_int_equal(td_field(t, leaf0), 0x756e654700000023ULL);	/* "Genu", max 0x23 */
	assert_int_equal(td_field(t, leaf0 + 1), 0x49656e696c65746eULL);	/* EDX:ECX */
	assert_int_equal(td_field(t, leaf21), 0x65746e4900000000ULL);	/* subleaf 0 */
	assert_int_equal(td_field(t, leaf21 + 1), 0x5844546c20202020ULL);
	assert_int_equal(td_field(t, MD_TD_CPUID_VALUES | 1 << 16 | 0x1FE),
			 0x80000008);					/* 0x80000000 */
	/* Not in the table: leaf 2, leaf 0x21 "without subleaf", subleaf 1. */
	expect_td_fail(t, MD_TD_CPUID_VALUES | 2 << 9 | 0x1FE, TDX_METADATA_FIELD_ID_INCORRECT);
	expect_td_fail(t, MD_TD_CPUID_VALUES | 0x21 << 9 | 0x1FE, TDX_METADATA_FIELD_ID_INCORRECT);
	expect_td_fail(t, leaf21 | 1 << 1, TDX_METADATA_FIELD_ID_INCORRECT);
	/* "No subleaf" needs the subleaf bits all ones; bits 23:17 are reserved. */
	expect_td_fail(t, MD_TD_CPUID_VALUES | 0x100, TDX_METADATA_FIELD_ID_INCORRECT);
	expect_td_fail(t, leaf0 | 1 << 17, TDX_METADATA_FIELD_ID_INCORRECT);
	assert_status(mng_wr(t, leaf0, 0, ~0ULL, &r), TDX_METADATA_FIELD_NOT_WRITABLE);
}

/* ---- TDH.MNG.WR ------------------------------------------------------------------ */

static void test_wr_not_writable(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	assert_status(mng_wr(t, MD_TD_ATTRIBUTES, 0, ~0ULL, &r), TDX_METADATA_FIELD_NOT_WRITABLE);
	assert_int_equal(r.r8, 0);
	assert_status(mng_wr(t, MD_TD_ATTRIBUTES, TDX_ATTR_DEBUG, TDX_ATTR_DEBUG, &r),
		      TDX_METADATA_FIELD_NOT_WRITABLE);
	assert_status(mng_wr(t, MD_TD_MRTD, 1, ~0ULL, &r), TDX_METADATA_FIELD_NOT_WRITABLE);
	assert_status(mng_wr(t, MD_TD_NOTIFY_ENABLES, 1, 1, &r), TDX_METADATA_FIELD_NOT_WRITABLE);
	assert_status(mng_wr(t, MD_TD_ATTRIBUTES + 0x500, 1, 1, &r),
		      TDX_METADATA_FIELD_ID_INCORRECT);
	assert_int_equal(td_field(t, MD_TD_ATTRIBUTES), TDX_ATTR_SEPT_VE_DISABLE);
}

static void test_wr_notify_enables(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	assert_status(mng_wr(t, MD_TD_NOTIFY_ENABLES, 1, 1, &r), TDX_SUCCESS);
	assert_int_equal(r.r8, 0);
	assert_int_equal(td_field(t, MD_TD_NOTIFY_ENABLES), 1);
	/* Non-writable bits in the mask are fine when they match. */
	assert_status(mng_wr(t, MD_TD_NOTIFY_ENABLES, 0, ~0ULL, &r), TDX_SUCCESS);
	assert_int_equal(r.r8, 1);
	assert_int_equal(td_field(t, MD_TD_NOTIFY_ENABLES), 0);
	/* An empty mask writes nothing. */
	assert_status(mng_wr(t, MD_TD_NOTIFY_ENABLES, 1, 0, &r), TDX_METADATA_FIELD_NOT_WRITABLE);
	assert_int_equal(td_field(t, MD_TD_NOTIFY_ENABLES), 0);
	/* RTMRs are readable, never host-writable. */
	assert_status(mng_wr(t, MD_TD_RTMR, 1, ~0ULL, &r), TDX_METADATA_FIELD_NOT_WRITABLE);
}

/* NOTIFY_ENABLES: only bit 0 is writable (dbg_wr_mask = 1). */
static void test_wr_notify_enables_mask(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	assert_status(mng_wr(t, MD_TD_NOTIFY_ENABLES, 2, ~0ULL, &r),
		      TDX_METADATA_FIELD_VALUE_NOT_VALID);
	assert_int_equal(r.r8, 0);
	assert_int_equal(td_field(t, MD_TD_NOTIFY_ENABLES), 0);
	assert_status(mng_wr(t, MD_TD_NOTIFY_ENABLES, 2, 2, &r), TDX_METADATA_FIELD_NOT_WRITABLE);
	assert_int_equal(td_field(t, MD_TD_NOTIFY_ENABLES), 0);
	/* Bit 0 written, bit 1 in the mask but equal to its value: fine. */
	assert_status(mng_wr(t, MD_TD_NOTIFY_ENABLES, 1, 3, &r), TDX_SUCCESS);
	assert_int_equal(td_field(t, MD_TD_NOTIFY_ENABLES), 1);
}

/* ---- TD and op-state checks ------------------------------------------------------- */

static void test_before_mng_init(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	assert_status(mng_rd(t, 0, MD_TD_ATTRIBUTES, &r), TDX_OP_STATE_INCORRECT);
	assert_status(mng_rd(t, MD_V1, MD_FIELD_ID_NONE, &r), TDX_OP_STATE_INCORRECT);
	assert_status(mng_wr(t, MD_TD_NOTIFY_ENABLES, 0, 1, &r), TDX_OP_STATE_INCORRECT);
}

static void test_tdr_operand(void **state)
{
	struct tdtest *t = *state;
	u64 free_page = tdtest_page(t);
	struct seamcall_regs r;

	r = (struct seamcall_regs){ .rcx = t->td.tdr + 8, .rdx = MD_TD_ATTRIBUTES };
	assert_status(tdtest_call(t, TDH_MNG_RD, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = free_page, .rdx = MD_TD_ATTRIBUTES };
	assert_status(tdtest_call(t, TDH_MNG_RD, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = t->td.vcpu[0].tdvpr, .rdx = MD_TD_NOTIFY_ENABLES };
	assert_status(tdtest_call(t, TDH_MNG_WR, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	platform_free_pages(t->h->plat, free_page, 1);
}

/* ---- TDH.VP.RD / WR ---------------------------------------------------------------- */

static void test_vp_rd_fields(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	assert_status(tdlib_add_vcpu(&t->td, 0, 0), TDX_SUCCESS);
	assert_int_equal(vp_field(t, 0, MD_VP_VCPU_INDEX), 0);
	assert_int_equal(vp_field(t, 1, MD_VP_VCPU_INDEX), 1);
	assert_int_equal(vp_field(t, 0, MD_VP_NUM_TDVPS_PAGES), TDLIB_TDVPS_PAGES);
	/* The VP context is forced too. */
	assert_int_equal(vp_field(t, 1, MD_VP_VCPU_INDEX & ~MD_CTX_BITS), 1);
	assert_status(vp_rd(t, 0, 0, MD_VP_VCPU_INDEX + 0x100, &r),
		      TDX_METADATA_FIELD_ID_INCORRECT);
	/* A TD-scope ID is not a vCPU field. */
	assert_status(vp_rd(t, 0, 0, MD_TD_ATTRIBUTES, &r), TDX_METADATA_FIELD_ID_INCORRECT);
	assert_int_equal(r.r8, 0);
}

static void test_vp_gprs_production(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	for (int i = 0; i < 16; i++) {
		assert_status(vp_rd(t, 0, 0, MD_VP_RAX + (u64)i, &r),
			      TDX_METADATA_FIELD_NOT_READABLE);
		assert_int_equal(r.r8, 0);
	}
	assert_status(vp_wr(t, 0, 0, MD_VP_RAX, 1, ~0ULL, &r), TDX_METADATA_FIELD_NOT_WRITABLE);
}

static void test_vp_gprs_debug(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	assert_int_equal(vp_field(t, 0, MD_VP_RAX + MD_GPR_RCX), MD_INITIAL_RCX);
	assert_int_equal(vp_field(t, 0, MD_VP_RAX + MD_GPR_R8), MD_INITIAL_RCX);
	assert_int_equal(vp_field(t, 0, MD_VP_RAX + MD_GPR_RBX), 48);
	assert_int_equal(vp_field(t, 0, MD_VP_RAX + MD_GPR_RSI), 0);
	assert_status(vp_wr(t, 0, 0, MD_VP_RAX + GPR_RAX, 0xABCDEF, ~0ULL, &r), TDX_SUCCESS);
	assert_int_equal(vp_field(t, 0, MD_VP_RAX + GPR_RAX), 0xABCDEF);
}

static void test_vp_pend_nmi(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	assert_int_equal(vp_field(t, 0, MD_VP_PEND_NMI), 0);
	assert_status(vp_wr(t, 0, 0, MD_VP_PEND_NMI, 1, 1, &r), TDX_SUCCESS);
	assert_int_equal(r.r8, 0);
	assert_int_equal(vp_field(t, 0, MD_VP_PEND_NMI), 1);
	assert_status(vp_wr(t, 0, 0, MD_VP_PEND_NMI, 0, 0xFF, &r), TDX_SUCCESS);
	assert_int_equal(r.r8, 1);
	assert_int_equal(vp_field(t, 0, MD_VP_PEND_NMI), 0);
	assert_status(vp_wr(t, 0, 0, MD_VP_VCPU_INDEX, 5, ~0ULL, &r),
		      TDX_METADATA_FIELD_NOT_WRITABLE);
}

/* The TD's own CPUID #VE controls: the host reads the global ones, never writes them. */
static void test_vp_cpuid_ve_fields(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	assert_int_equal(vp_field(t, 0, MD_VP_CPUID_SUPERVISOR_VE), 0);
	assert_int_equal(vp_field(t, 0, MD_VP_CPUID_USER_VE), 0);
	assert_status(vp_wr(t, 0, 0, MD_VP_CPUID_USER_VE, 1, 0xFF, &r),
		      TDX_METADATA_FIELD_NOT_WRITABLE);
	assert_status(vp_rd(t, 0, 0, MD_VP_CPUID_CONTROL + 11, &r),
		      TDX_METADATA_FIELD_NOT_READABLE);	/* a production TD: debug only */
}

static void test_vp_associated(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	assert_status(vp_rd(t, 1, 0, MD_VP_VCPU_INDEX, &r), TDX_VCPU_ASSOCIATED);
	assert_int_equal(r.r8, 0);
	assert_status(vp_wr(t, 1, 0, MD_VP_PEND_NMI, 1, 1, &r), TDX_VCPU_ASSOCIATED);
	assert_int_equal(vp_field(t, 0, MD_VP_PEND_NMI), 0);
	/* Flushed, the vCPU follows the next LP that reads it. */
	r = (struct seamcall_regs){ .rcx = t->td.vcpu[0].tdvpr };
	assert_status(tdtest_call(t, TDH_VP_FLUSH, &r), TDX_SUCCESS);
	assert_status(vp_rd(t, 1, 0, MD_VP_VCPU_INDEX, &r), TDX_SUCCESS);
	t->td.vcpu[0].lp = 1;
	assert_status(vp_rd(t, 0, 0, MD_VP_VCPU_INDEX, &r), TDX_VCPU_ASSOCIATED);
}

static void test_vp_uninitialized(void **state)
{
	struct tdtest *t = *state;
	struct tdlib_vcpu *v = &t->td.vcpu[t->td.nr_vcpus];
	u32 idx = t->td.nr_vcpus;
	struct seamcall_regs r;

	v->tdvpr = tdtest_page(t);
	v->lp = 0;
	r = (struct seamcall_regs){ .rcx = v->tdvpr, .rdx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_VP_CREATE, &r), TDX_SUCCESS);
	t->td.nr_vcpus++;
	assert_status(vp_rd(t, 0, idx, MD_VP_VCPU_INDEX, &r), TDX_TDCX_NUM_INCORRECT);
	for (u32 i = 0; i < TDLIB_TDVPS_PAGES - 1; i++) {
		v->tdcx[i] = tdtest_page(t);
		r = (struct seamcall_regs){ .rcx = v->tdcx[i], .rdx = v->tdvpr };
		assert_status(tdtest_call(t, TDH_VP_ADDCX, &r), TDX_SUCCESS);
	}
	assert_status(vp_rd(t, 0, idx, MD_VP_VCPU_INDEX, &r), TDX_VCPU_STATE_INCORRECT);
	assert_status(vp_wr(t, 0, idx, MD_VP_PEND_NMI, 1, 1, &r), TDX_VCPU_STATE_INCORRECT);
	/* The initialized vCPU is unaffected. */
	assert_int_equal(vp_field(t, 0, MD_VP_VCPU_INDEX), 0);
}

static void test_vp_operands(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	r = (struct seamcall_regs){ .rcx = t->td.vcpu[0].tdvpr + 8, .rdx = MD_VP_VCPU_INDEX };
	assert_status(tdtest_call(t, TDH_VP_RD, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = t->td.tdr, .rdx = MD_VP_VCPU_INDEX };
	assert_status(tdtest_call(t, TDH_VP_RD, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = t->td.vcpu[0].tdvpr, .rdx = MD_VP_VCPU_INDEX };
	assert_status(tdtest_call(t, TDH_VP_RD | (2ULL << TDX_VERSION_SHIFT), &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	r = (struct seamcall_regs){ .rcx = t->td.vcpu[0].tdvpr, .rdx = MD_FIELD_ID_NONE };
	assert_status(tdtest_call(t, TDH_VP_RD | MD_V1, &r),
		      TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
	assert_true(r.rdx != MD_FIELD_ID_NONE);
	assert_int_equal(MD_FIELD_CONTEXT(r.rdx), MD_CONTEXT_VCPU);
}

#define MD_TEST(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, tdtest_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		MD_TEST(test_read_td_params, setup_prod),
		MD_TEST(test_read_td_state, setup_prod),
		MD_TEST(test_read_measurement_regs, setup_prod),
		MD_TEST(test_field_id_incorrect, setup_prod),
		MD_TEST(test_field_id_ignored_bits, setup_prod),
		MD_TEST(test_debug_only_fields, setup_prod),
		MD_TEST(test_debug_td_reads_more, setup_debug),
		MD_TEST(test_rd_v1_next_id, setup_prod),
		MD_TEST(test_rd_v1_walk, setup_prod),
		MD_TEST(test_rd_v1_walk_debug, setup_debug),
		MD_TEST(test_rd_version2, setup_prod),
		MD_TEST(test_cpuid_values, setup_prod),
		MD_TEST(test_wr_not_writable, setup_prod),
		MD_TEST(test_wr_notify_enables, setup_debug),
		MD_TEST(test_wr_notify_enables_mask, setup_debug),
		MD_TEST(test_before_mng_init, setup_uninit),
		MD_TEST(test_tdr_operand, setup_prod),
		MD_TEST(test_vp_rd_fields, setup_prod),
		MD_TEST(test_vp_gprs_production, setup_prod),
		MD_TEST(test_vp_gprs_debug, setup_debug),
		MD_TEST(test_vp_pend_nmi, setup_prod),
		MD_TEST(test_vp_cpuid_ve_fields, setup_prod),
		MD_TEST(test_vp_associated, setup_prod),
		MD_TEST(test_vp_uninitialized, setup_prod),
		MD_TEST(test_vp_operands, setup_prod),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
