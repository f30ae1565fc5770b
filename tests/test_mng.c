// SPDX-License-Identifier: MIT
/*
 * TDH.MNG.*: CREATE (HKID and TDR checks), KEY.CONFIG per package, ADDCX
 * (TDCS pages and their limits), INIT (every TD_PARAMS check in the order
 * the module makes them), and the teardown leaves VPFLUSHDONE, KEY.FREEID
 * and KEY.RECLAIMID.
 *
 * TDs are built in the tdlib_td layout even when a test drives the
 * SEAMCALLs by hand, so the tdtest teardown fixture can reclaim them.
 */
#include "tdtest.h"

#include <stdlib.h>
#include <string.h>

/* A TD_PARAMS field value that sets a PWL (levels - 1) in EPTP_CONTROLS. */
#define EPTP(levels)	(TDX_EPTP_MT_WB | ((u64)((levels) - 1) << TDX_EPTP_PWL_SHIFT))
#define XFAM_ALL	(TDX_XFAM_FIXED1 | TDX_XFAM_AVX | TDX_XFAM_AVX512 | \
			 TDX_XFAM_CET | TDX_XFAM_AMX)
#define NO_SUB		((u64)TDX_CPUID_NO_SUBLEAF << 32)
#define MD_TD_NUM_TDCX		0x8010000200000002ULL
#define MD_TD_PKG_BITMAP	0x8110000300000002ULL

/* ---- host and TD construction ------------------------------------------------ */

/* As tdtest_setup_host(), on a machine with two packages of two LPs. */
static int setup_host_2pkg(void **state)
{
	struct tdtest *t = calloc(1, sizeof(*t));
	struct platform_config cfg;

	assert_non_null(t);
	platform_default_config(&cfg);
	cfg.nr_packages = 2;
	t->h = tdx_host_create(&cfg);
	assert_non_null(t->h);
	tdx_module_set_invariant_checks(t->h->mod, true);
	t->free_at_start = platform_free_page_count(t->h->plat);
	*state = t;
	return 0;
}

static const struct platform_config *cfg_of(struct tdtest *t)
{
	return platform_get_config(t->h->plat);
}

/* The pages and HKID tdlib_create() would take, before any SEAMCALL. */
static void td_prepare(struct tdtest *t)
{
	struct tdlib_td *td = &t->td;

	memset(td, 0, sizeof(*td));
	td->h = t->h;
	td->hkid = tdx_host_alloc_hkid(t->h);
	assert_true(td->hkid >= 0);
	td->tdr = tdtest_page(t);
	td->source = tdtest_page(t);
	td->pwl = 4;
}

/* TDH.MNG.CREATE of the prepared TD; from here on teardown owns it. */
static u64 td_create(struct tdtest *t)
{
	struct seamcall_regs r = { .rcx = t->td.tdr, .rdx = (u64)t->td.hkid };
	u64 st = tdtest_call(t, TDH_MNG_CREATE, &r);

	if (st == TDX_SUCCESS)
		t->has_td = true;
	return st;
}

static u64 key_config(struct tdtest *t, u32 lp)
{
	struct seamcall_regs r = { .rcx = t->td.tdr };

	return tdtest_call_lp(t, lp, TDH_MNG_KEY_CONFIG, &r);
}

/* TDH.MNG.KEY.CONFIG on the first LP of every package. */
static void key_config_all(struct tdtest *t)
{
	for (u32 pkg = 0; pkg < cfg_of(t)->nr_packages; pkg++)
		assert_status(key_config(t, pkg * cfg_of(t)->lps_per_package), TDX_SUCCESS);
}

static u64 addcx(struct tdtest *t, u64 page)
{
	struct seamcall_regs r = { .rcx = page, .rdx = t->td.tdr };

	return tdtest_call(t, TDH_MNG_ADDCX, &r);
}

/* Adds TDCX pages until the TD has @n (at most tdlib's six). */
static void addcx_upto(struct tdtest *t, u32 n)
{
	while (t->td.nr_tdcs < n) {
		u64 page = tdtest_page(t);

		assert_status(addcx(t, page), TDX_SUCCESS);
		t->td.tdcs[t->td.nr_tdcs++] = page;
	}
}

/* CREATE, KEY.CONFIG and @ntdcx TDCX pages: a TD up to TDH.MNG.INIT. */
static void td_build(struct tdtest *t, u32 ntdcx)
{
	td_prepare(t);
	assert_status(td_create(t), TDX_SUCCESS);
	key_config_all(t);
	addcx_upto(t, ntdcx);
}

static int setup_keyed(void **state)
{
	tdtest_setup_host(state);
	td_build(*state, 0);
	return 0;
}

static int setup_uninit(void **state)
{
	tdtest_setup_host(state);
	td_build(*state, TDLIB_TDCS_PAGES);
	return 0;
}

/* TDH.MNG.INIT with @tp in a fresh shared page; RCX out in *rcx. */
static u64 mng_init_rcx(struct tdtest *t, const struct td_params *tp, u64 *rcx)
{
	u64 params = tdtest_page(t);
	struct seamcall_regs r = { .rcx = t->td.tdr, .rdx = params };
	u64 st;

	assert_int_equal(platform_host_write(t->h->plat, params, tp, sizeof(*tp)), 0);
	st = tdtest_call(t, TDH_MNG_INIT, &r);
	platform_free_pages(t->h->plat, params, 1);
	*rcx = r.rcx;
	return st;
}

/* Expects @status from MNG.INIT; RCX names a leaf only for CPUID errors. */
static void expect_init(struct tdtest *t, const struct td_params *tp, u64 status)
{
	u64 rcx;

	assert_status(mng_init_rcx(t, tp, &rcx), status);
	if (status != (TDX_OPERAND_INVALID | TDX_OPERAND_ID_CPUID_CONFIG))
		assert_int_equal(rcx, 0);
}

static u64 mng_rd(struct tdtest *t, u64 field, u64 *val)
{
	struct seamcall_regs r = { .rcx = t->td.tdr, .rdx = field };
	u64 st = tdtest_call(t, TDH_MNG_RD, &r);

	*val = r.r8;
	return st;
}

static void expect_td_field(struct tdtest *t, u64 field, u64 expected)
{
	u64 v;

	assert_status(mng_rd(t, field, &v), TDX_SUCCESS);
	assert_int_equal(v, expected);
}

/* PAMT type and owner of @pa through TDH.PHYMEM.PAGE.RDMD. */
static void expect_page_type(struct tdtest *t, u64 pa, u64 pt, u64 owner)
{
	struct seamcall_regs r = { .rcx = pa };

	assert_status(tdtest_call(t, TDH_PHYMEM_PAGE_RDMD, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, pt);
	assert_int_equal(r.rdx, owner);
	assert_int_equal(r.r8, TDX_PS_4K);
}

static u64 tdr_call(struct tdtest *t, u32 lp, u64 leaf)
{
	struct seamcall_regs r = { .rcx = t->td.tdr };

	return tdtest_call_lp(t, lp, leaf, &r);
}

static void cache_wb_all(struct tdtest *t)
{
	for (u32 pkg = 0; pkg < cfg_of(t)->nr_packages; pkg++) {
		struct seamcall_regs r = { .rcx = 0 };

		assert_status(tdtest_call_lp(t, pkg * cfg_of(t)->lps_per_package,
					     TDH_PHYMEM_CACHE_WB, &r), TDX_SUCCESS);
	}
}

/* tdtest_reclaim_all(), for a TD that has only 4K pages on tdlib's list. */
static void td_reclaim_all(struct tdtest *t)
{
	for (size_t i = 0; i < t->td.nr_pages; i++)
		assert_false(t->td.pages[i] & 1);
	tdtest_reclaim_all(t);
}

/* ---- TDH.MNG.CREATE ------------------------------------------------------------ */

static void test_create_hkid_operand(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 page = tdtest_page(t);
	int hkid = tdx_host_alloc_hkid(t->h);
	const u64 bad[] = {
		t->h->hkid_max + 1, 0, 1, t->h->hkid_min - 1,
		(u64)hkid | 1ULL << 16, (u64)hkid | 1ULL << 63,
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = (struct seamcall_regs){ .rcx = page, .rdx = bad[i] };
		assert_status(tdtest_call(t, TDH_MNG_CREATE, &r),
			      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	}
	/* The HKID is checked before the TDR. */
	r = (struct seamcall_regs){ .rcx = page + 8, .rdx = 0 };
	assert_status(tdtest_call(t, TDH_MNG_CREATE, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	/* The global private HKID is in range but RESERVED in the KOT. */
	r = (struct seamcall_regs){ .rcx = page, .rdx = t->h->global_hkid };
	assert_status(tdtest_call(t, TDH_MNG_CREATE, &r), TDX_HKID_NOT_FREE);
	expect_page_type(t, page, PT_NDA, 0);
	platform_free_pages(t->h->plat, page, 1);
	tdx_host_free_hkid(t->h, hkid);
}

static void test_create_tdr_operand(void **state)
{
	struct tdtest *t = *state;
	struct platform *p = t->h->plat;
	u64 page = tdtest_page(t);
	int hkid = tdx_host_alloc_hkid(t->h);
	struct {
		u64 tdr, status;
	} cases[] = {
		{ page + 8, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX },
		{ page + 2048, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX },
		{ platform_hpa_with_keyid(p, page, 1), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX },
		{ platform_hpa_with_keyid(p, page, (u32)hkid),
		  TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX },
		{ page | 1ULL << TDX_MAX_PA, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX },
		{ tdtest_beyond_memory(t), TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RCX },
		{ PLATFORM_MEM_BASE - TDX_PAGE_SIZE,
		  TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RCX },
		/* The PAMT lives in a TDMR reserved area: PT_RSVD. */
		{ t->h->pamt_hpa, TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct seamcall_regs r = { .rcx = cases[i].tdr, .rdx = (u64)hkid };

		assert_status(tdtest_call(t, TDH_MNG_CREATE, &r), cases[i].status);
	}
	platform_free_pages(p, page, 1);
	tdx_host_free_hkid(t->h, hkid);
}

static void test_create_success_and_reuse(void **state)
{
	struct tdtest *t = *state;
	u64 page = tdtest_page(t);
	int other = tdx_host_alloc_hkid(t->h);
	struct seamcall_regs r;

	td_prepare(t);
	assert_status(td_create(t), TDX_SUCCESS);
	expect_page_type(t, t->td.tdr, PT_TDR, 0);
	/* The page is a TDR now, whatever HKID comes with it. */
	r = (struct seamcall_regs){ .rcx = t->td.tdr, .rdx = (u64)other };
	assert_status(tdtest_call(t, TDH_MNG_CREATE, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	/* The TDR page is checked before the KOT. */
	r = (struct seamcall_regs){ .rcx = t->td.tdr, .rdx = (u64)t->td.hkid };
	assert_status(tdtest_call(t, TDH_MNG_CREATE, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = page, .rdx = (u64)t->td.hkid };
	assert_status(tdtest_call(t, TDH_MNG_CREATE, &r), TDX_HKID_NOT_FREE);
	expect_page_type(t, page, PT_NDA, 0);
	platform_free_pages(t->h->plat, page, 1);
	tdx_host_free_hkid(t->h, other);
}

static void test_create_no_entropy(void **state)
{
	struct tdtest *t = *state;

	td_prepare(t);
	platform_inject_rng_failures(t->h->plat, 1);
	assert_status(td_create(t), TDX_RND_NO_ENTROPY);
	assert_false(t->has_td);
	/* Nothing was taken: the same page and HKID work on a retry. */
	expect_page_type(t, t->td.tdr, PT_NDA, 0);
	assert_status(td_create(t), TDX_SUCCESS);
	expect_page_type(t, t->td.tdr, PT_TDR, 0);
}

/* ---- TDH.MNG.KEY.CONFIG ------------------------------------------------------------ */

static void test_key_config(void **state)
{
	struct tdtest *t = *state;
	u64 page = tdtest_page(t);
	struct seamcall_regs r;

	td_prepare(t);
	assert_status(td_create(t), TDX_SUCCESS);
	r = (struct seamcall_regs){ .rcx = page };
	assert_status(tdtest_call(t, TDH_MNG_KEY_CONFIG, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = t->td.tdr + 64 };
	assert_status(tdtest_call(t, TDH_MNG_KEY_CONFIG, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	platform_inject_rng_failures(t->h->plat, 1);
	assert_status(key_config(t, 0), TDX_KEY_GENERATION_FAILED);
	/* The package was not marked: still no keys, and a retry works. */
	assert_status(addcx(t, page), TDX_TD_KEYS_NOT_CONFIGURED);
	assert_status(key_config(t, 0), TDX_SUCCESS);
	/* One package: the TD already left HKID_ASSIGNED. */
	assert_status(key_config(t, 1), TDX_LIFECYCLE_STATE_INCORRECT);
	platform_free_pages(t->h->plat, page, 1);
	addcx_upto(t, 1);
	r = (struct seamcall_regs){ .rcx = t->td.tdcs[0] };
	assert_status(tdtest_call(t, TDH_MNG_KEY_CONFIG, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
}

static void test_key_config_two_packages(void **state)
{
	struct tdtest *t = *state;
	struct td_params tp;
	u64 page = tdtest_page(t);

	td_prepare(t);
	assert_status(td_create(t), TDX_SUCCESS);
	assert_status(key_config(t, 0), TDX_SUCCESS);
	/* LP 1 is in package 0, which has its key already. */
	assert_status(key_config(t, 1), TDX_KEY_CONFIGURED);
	assert_status(addcx(t, page), TDX_TD_KEYS_NOT_CONFIGURED);
	platform_free_pages(t->h->plat, page, 1);
	assert_status(key_config(t, 2), TDX_SUCCESS);
	assert_status(key_config(t, 3), TDX_LIFECYCLE_STATE_INCORRECT);
	addcx_upto(t, TDLIB_TDCS_PAGES);
	tdlib_default_params(&tp);
	expect_init(t, &tp, TDX_SUCCESS);
	expect_td_field(t, MD_TD_PKG_BITMAP, 3);
	expect_td_field(t, MD_TD_LIFECYCLE_STATE, TD_KEYS_CONFIGURED);
}

/* ---- TDH.MNG.ADDCX ----------------------------------------------------------------- */

static void test_addcx_operands(void **state)
{
	struct tdtest *t = *state;
	struct platform *p = t->h->plat;
	u64 page = tdtest_page(t), other = tdtest_page(t), tdr = t->td.tdr;
	const struct {
		u64 tdcx, tdr, status;
	} cases[] = {
		/* The TDR (RDX) is checked first... */
		{ page, other, TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX },
		{ page, tdr + 8, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX },
		{ page + 8, other, TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX },
		{ page, tdtest_beyond_memory(t),
		  TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RDX },
		/* ...then the new TDCX page (RCX). */
		{ page + 8, tdr, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX },
		{ platform_hpa_with_keyid(p, page, 1), tdr,
		  TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX },
		{ tdtest_beyond_memory(t), tdr, TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RCX },
		/* The TDR is already locked exclusively by this very call. */
		{ tdr, tdr, TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX },
		{ t->h->pamt_hpa, tdr, TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct seamcall_regs r = { .rcx = cases[i].tdcx, .rdx = cases[i].tdr };

		assert_status(tdtest_call(t, TDH_MNG_ADDCX, &r), cases[i].status);
	}
	platform_free_pages(p, other, 1);
	assert_status(addcx(t, page), TDX_SUCCESS);
	t->td.tdcs[t->td.nr_tdcs++] = page;
	expect_page_type(t, page, PT_TDCX, tdr);
	assert_status(addcx(t, page), TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
}

static void test_addcx_limit(void **state)
{
	struct tdtest *t = *state;
	struct td_params tp;
	u64 page;

	/* Up to nine TDCS pages before INIT: six plus one per possible L2 VM. */
	for (int i = 0; i < 3; i++) {
		page = tdtest_page(t);
		assert_status(addcx(t, page), TDX_SUCCESS);
		tdlib_adopt_page(&t->td, page, 1);
	}
	page = tdtest_page(t);
	assert_status(addcx(t, page), TDX_TDCX_NUM_INCORRECT);
	tdlib_default_params(&tp);
	expect_init(t, &tp, TDX_SUCCESS);
	expect_td_field(t, MD_TD_NUM_TDCX, 9);
	/* The count is checked before the page and the OP_STATE. */
	assert_status(addcx(t, page), TDX_TDCX_NUM_INCORRECT);
	platform_free_pages(t->h->plat, page, 1);
}

static void test_addcx_after_init(void **state)
{
	struct tdtest *t = *state;
	u64 page = tdtest_page(t);

	/* From the 7th page on, the OP_STATE must still be UNINITIALIZED. */
	assert_status(addcx(t, page), TDX_OP_STATE_INCORRECT);
	/* ...but the new page is checked first. */
	assert_status(addcx(t, t->td.tdcs[5]), TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	expect_page_type(t, page, PT_NDA, 0);
	platform_free_pages(t->h->plat, page, 1);
	expect_td_field(t, MD_TD_NUM_TDCX, TDLIB_TDCS_PAGES);
}

/* The 6th TDCS page draws the TD's migration key: it needs entropy. */
static void test_addcx_entropy(void **state)
{
	struct tdtest *t = *state;
	u64 page = tdtest_page(t), st;

	addcx_upto(t, TDLIB_TDCS_PAGES - 1);
	platform_inject_rng_failures(t->h->plat, 1);
	st = addcx(t, page);
	if (st == TDX_SUCCESS) {
		/* Taken anyway: let teardown reclaim it before failing. */
		t->td.tdcs[t->td.nr_tdcs++] = page;
		platform_inject_rng_failures(t->h->plat, 0);
	}
	assert_status(st, TDX_RND_NO_ENTROPY);
	expect_page_type(t, page, PT_NDA, 0);
	assert_status(addcx(t, page), TDX_SUCCESS);
	t->td.tdcs[t->td.nr_tdcs++] = page;
	expect_page_type(t, page, PT_TDCX, t->td.tdr);
}

/* Leaves that need the TDCS; in a TD without one, all give @status. */
static void expect_tdcs_leaves(struct tdtest *t, u64 status)
{
	const u64 leaves[] = { TDH_MNG_RD, TDH_MNG_WR, TDH_MEM_TRACK, TDH_MR_FINALIZE };
	struct td_params tp;
	struct seamcall_regs r;
	u64 page = tdtest_page(t), v;

	tdlib_default_params(&tp);
	expect_init(t, &tp, status);
	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
		assert_status(tdr_call(t, 0, leaves[i]), status);
	assert_status(mng_rd(t, MD_TD_ATTRIBUTES, &v), status);
	r = (struct seamcall_regs){ .rcx = page, .rdx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_VP_CREATE, &r), status);
	expect_page_type(t, page, PT_NDA, 0);
	platform_free_pages(t->h->plat, page, 1);
}

static void test_tdcs_not_allocated(void **state)
{
	struct tdtest *t = *state;
	struct td_params tp;

	td_prepare(t);
	assert_status(td_create(t), TDX_SUCCESS);
	expect_tdcs_leaves(t, TDX_TD_KEYS_NOT_CONFIGURED);
	key_config_all(t);
	expect_tdcs_leaves(t, TDX_TDCS_NOT_ALLOCATED);
	addcx_upto(t, TDLIB_TDCS_PAGES - 1);
	expect_tdcs_leaves(t, TDX_TDCS_NOT_ALLOCATED);
	addcx_upto(t, TDLIB_TDCS_PAGES);
	tdlib_default_params(&tp);
	expect_init(t, &tp, TDX_SUCCESS);
	expect_td_field(t, MD_TD_OP_STATE, OP_STATE_INITIALIZED);
}

/* ---- TDH.MNG.INIT ------------------------------------------------------------------ */

static void test_init_tdr_and_params_operands(void **state)
{
	struct tdtest *t = *state;
	struct platform *p = t->h->plat;
	u64 params = tdtest_page(t), free_page = tdtest_page(t), tdr = t->td.tdr;
	struct td_params tp;
	const struct {
		u64 tdr, params, status;
	} cases[] = {
		{ free_page, params, TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX },
		{ t->td.tdcs[0], params, TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX },
		{ tdr + 8, params, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX },
		{ tdr + 8, params + 8, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX },
		/* TD_PARAMS: 1024-aligned, with a shared KeyID. */
		{ tdr, params + 512, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX },
		{ tdr, params + 8, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX },
		{ tdr, platform_hpa_with_keyid(p, params, (u32)t->td.hkid),
		  TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX },
		{ tdr, platform_hpa_with_keyid(p, params, t->h->global_hkid),
		  TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX },
		{ tdr, params | 1ULL << TDX_MAX_PA, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX },
	};

	tdlib_default_params(&tp);
	assert_int_equal(platform_host_write(p, params, &tp, sizeof(tp)), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct seamcall_regs r = { .rcx = cases[i].tdr, .rdx = cases[i].params };

		assert_status(tdtest_call(t, TDH_MNG_INIT, &r), cases[i].status);
	}
	platform_free_pages(p, params, 1);
	platform_free_pages(p, free_page, 1);
	expect_init(t, &tp, TDX_SUCCESS);
}

static void test_init_attributes(void **state)
{
	struct tdtest *t = *state;
	const u64 bad[] = {
		1ULL << 1, 1ULL << 27, TDX_ATTR_KL, 1ULL << 62,
		TDX_ATTR_MIGRATABLE | TDX_ATTR_DEBUG,
		TDX_ATTR_MIGRATABLE | TDX_ATTR_PERFMON,
	};
	struct td_params tp;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tdlib_default_params(&tp);
		tp.attributes = bad[i];
		expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_ATTRIBUTES);
	}
	/* Every allowed bit, without MIGRATABLE, is accepted. */
	tdlib_default_params(&tp);
	tp.attributes = TDX_ATTRIBUTES_FIXED0 & ~TDX_ATTR_MIGRATABLE;
	expect_init(t, &tp, TDX_SUCCESS);
	expect_td_field(t, MD_TD_ATTRIBUTES, tp.attributes);
}

static void test_init_xfam(void **state)
{
	struct tdtest *t = *state;
	const u64 bad[] = {
		1,					/* FIXED1: x87 and SSE both */
		2,
		TDX_XFAM_FIXED1 | 1ULL << 3,		/* outside FIXED0 */
		TDX_XFAM_FIXED1 | 1ULL << 10,
		TDX_XFAM_FIXED1 | 1ULL << 19,
		TDX_XFAM_FIXED1 | TDX_XFAM_AVX | 1ULL << 5,	/* AVX512 in part */
		TDX_XFAM_FIXED1 | TDX_XFAM_AVX | 3ULL << 6,
		TDX_XFAM_FIXED1 | TDX_XFAM_AVX512,	/* AVX512 without AVX */
		TDX_XFAM_FIXED1 | 1ULL << 11,		/* CET_U without CET_S */
		TDX_XFAM_FIXED1 | 1ULL << 12,
		TDX_XFAM_FIXED1 | 1ULL << 17,		/* AMX TILECFG only */
		TDX_XFAM_FIXED1 | 1ULL << 18,
	};
	struct td_params tp;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tdlib_default_params(&tp);
		tp.xfam = bad[i];
		expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_XFAM);
	}
	tdlib_default_params(&tp);
	tp.xfam = XFAM_ALL;
	expect_init(t, &tp, TDX_SUCCESS);
	expect_td_field(t, MD_TD_XFAM, XFAM_ALL);
}

static void test_init_vcpus_and_l2(void **state)
{
	struct tdtest *t = *state;
	struct td_params tp;

	tdlib_default_params(&tp);
	tp.max_vcpus = 0;
	expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_MAX_VCPUS);
	/* No TD partitioning in this module: any L2 VM is refused. */
	for (u8 n = 1; n <= 4; n++) {
		tdlib_default_params(&tp);
		tp.num_l2_vms = n;
		expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_NUM_L2_VMS);
	}
	tdlib_default_params(&tp);
	tp.max_vcpus = TDX_MAX_VCPUS_PER_TD;
	expect_init(t, &tp, TDX_SUCCESS);
	expect_td_field(t, MD_TD_MAX_VCPUS, TDX_MAX_VCPUS_PER_TD);
}

static void test_init_reserved(void **state)
{
	struct tdtest *t = *state;
	const u64 rsvd = TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX;
	struct td_params tp;

	tdlib_default_params(&tp);
	tp.reserved0 = 1;
	expect_init(t, &tp, rsvd);
	tdlib_default_params(&tp);
	tp.reserved1[37] = 0x80;
	expect_init(t, &tp, rsvd);
	tdlib_default_params(&tp);
	tp.msr_config_ctls = 0x2;		/* bits 7:1 are reserved */
	expect_init(t, &tp, rsvd);
	tdlib_default_params(&tp);
	tp.reserved2[0] = 1;
	expect_init(t, &tp, rsvd);
	tdlib_default_params(&tp);
	tp.cpuid_values[TDX_MAX_NUM_CPUID_CONFIG].eax = 1;
	expect_init(t, &tp, rsvd);
	tdlib_default_params(&tp);
	tp.cpuid_values[47].edx = 1u << 31;
	expect_init(t, &tp, rsvd);
}

static void test_init_config_flags(void **state)
{
	struct tdtest *t = *state;
	struct td_params tp;

	for (int bit = 3; bit < 64; bit += 20) {
		tdlib_default_params(&tp);
		tp.config_flags = 1ULL << bit;
		expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_EXEC_CONTROLS);
	}
	tdlib_default_params(&tp);
	tp.config_flags = TDX_CONFIG_FLAGS_FLEX_PEND_VE | TDX_CONFIG_FLAGS_NO_RBP_MOD;
	expect_init(t, &tp, TDX_SUCCESS);
	expect_td_field(t, MD_TD_CONFIG_FLAGS, tp.config_flags);
	expect_td_field(t, MD_TD_GPAW, 0);
}

static void test_init_eptp_controls(void **state)
{
	struct tdtest *t = *state;
	const u64 bad[] = {
		EPTP(4) & ~7ULL,			/* memory type UC */
		(EPTP(4) & ~7ULL) | 4,
		EPTP(3), EPTP(6), EPTP(8),		/* walk length */
		EPTP(4) | 1ULL << 6,			/* A/D */
		EPTP(4) | 1ULL << 7,			/* supervisor shadow stack */
		EPTP(4) | 1ULL << 8, EPTP(4) | 1ULL << 11,
		EPTP(4) | PLATFORM_MEM_BASE,		/* a root PA */
		EPTP(4) | 1ULL << 12, EPTP(4) | 1ULL << 52, EPTP(4) | 1ULL << 63,
	};
	struct td_params tp;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tdlib_default_params(&tp);
		tp.eptp_controls = bad[i];
		expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_EPTP_CONTROLS);
	}
	/* GPAW (shared bit 51) needs a 5-level S-EPT. */
	tdlib_default_params(&tp);
	tp.config_flags = TDX_CONFIG_FLAGS_GPAW;
	expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_EPTP_CONTROLS);
	/* 5 levels without GPAW pass the check: the TSC one comes next. */
	tp.config_flags = 0;
	tp.eptp_controls = EPTP(5);
	tp.tsc_frequency = 0;
	expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_TSC_FREQUENCY);
	tp.config_flags = TDX_CONFIG_FLAGS_GPAW;
	tp.tsc_frequency = 100;
	expect_init(t, &tp, TDX_SUCCESS);
	t->td.pwl = 5;
	expect_td_field(t, MD_TD_GPAW, 1);
	expect_td_field(t, MD_TD_EPTP, EPTP(5) | t->td.tdcs[3]);
}

static void test_init_tsc_frequency(void **state)
{
	struct tdtest *t = *state;
	const u16 bad[] = { 0, 3, 401, 0xFFFF };
	const u16 good[] = { TDX_TSC_FREQ_MIN, TDX_TSC_FREQ_MAX };
	struct td_params tp;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tdlib_default_params(&tp);
		tp.tsc_frequency = bad[i];
		expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_TSC_FREQUENCY);
	}
	/* The bounds pass: a later check (reserved1) is what fails. */
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		tdlib_default_params(&tp);
		tp.tsc_frequency = good[i];
		tp.reserved1[0] = 1;
		expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	}
	tdlib_default_params(&tp);
	tp.tsc_frequency = TDX_TSC_FREQ_MAX;
	expect_init(t, &tp, TDX_SUCCESS);
	expect_td_field(t, MD_TD_TSC_FREQUENCY, TDX_TSC_FREQ_MAX);
}

static void expect_cpuid_error(struct tdtest *t, const struct td_params *tp, u64 leaf_subleaf)
{
	u64 rcx;

	assert_status(mng_init_rcx(t, tp, &rcx), TDX_OPERAND_INVALID | TDX_OPERAND_ID_CPUID_CONFIG);
	assert_int_equal(rcx, leaf_subleaf);
}

static void test_init_cpuid_config(void **state)
{
	struct tdtest *t = *state;
	struct td_params tp;

	tdlib_default_params(&tp);
	tp.cpuid_values[0].ecx = 1u << 2;	/* leaf 1: DTES64, not configurable */
	expect_cpuid_error(t, &tp, 0x1 | NO_SUB);
	tdlib_default_params(&tp);
	tp.cpuid_values[0].eax = 0xF0000000;	/* leaf 1 EAX: reserved bits */
	expect_cpuid_error(t, &tp, 0x1 | NO_SUB);
	tdlib_default_params(&tp);
	tp.cpuid_values[2].eax = 1;		/* leaf 4, subleaf 1 */
	expect_cpuid_error(t, &tp, 0x4 | 1ULL << 32);
	tdlib_default_params(&tp);
	tp.cpuid_values[9].ebx = 1;
	expect_cpuid_error(t, &tp, 0x80000008 | NO_SUB);
	tdlib_default_params(&tp);
	tp.cpuid_values[11].edx = 1u << 31;
	expect_cpuid_error(t, &tp, 0x23);
	/* In the module's table, but not in the platform's CPU: BMI2, PKU. */
	tdlib_default_params(&tp);
	tp.cpuid_values[5].ebx = 1u << 8;
	expect_cpuid_error(t, &tp, 0x7);
	tdlib_default_params(&tp);
	tp.cpuid_values[5].ecx = 1u << 3;
	expect_cpuid_error(t, &tp, 0x7);
	/* Two bad leaves: the first in TD_PARAMS order is reported. */
	tdlib_default_params(&tp);
	tp.cpuid_values[10].edx = 1u << 6;	/* leaf 7.2: mask 0x3f */
	tp.cpuid_values[3].ecx = 1;		/* leaf 4.2 */
	expect_cpuid_error(t, &tp, 0x4 | 2ULL << 32);
	/* Bits inside the mask are accepted. */
	tdlib_default_params(&tp);
	tp.cpuid_values[0].ecx = 0x47f82203;
	tp.cpuid_values[5].ebx = 0x01900281;	/* the platform has no BMI1/2, ADX */
	tp.cpuid_values[9].eax = 0x00ff0000;
	tp.cpuid_values[10].edx = 0x3f;
	expect_init(t, &tp, TDX_SUCCESS);
}

static void test_init_arch_capabilities(void **state)
{
	struct tdtest *t = *state;
	struct td_params tp;

	tdlib_default_params(&tp);
	tp.ia32_arch_capabilities_config = 1;
	expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_IA32_ARCH_CAP);
	/* Enabled in MSR_CONFIG_CTLS, but no bit is configurable here. */
	tp.msr_config_ctls = 1;
	expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_IA32_ARCH_CAP);
	tp.ia32_arch_capabilities_config = 1ULL << 63;
	expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_IA32_ARCH_CAP);
	/* The bit alone, with nothing to configure, is fine. */
	tp.ia32_arch_capabilities_config = 0;
	expect_init(t, &tp, TDX_SUCCESS);
}

/*
 * Every check fails at once, then the first failing field is fixed in
 * turn: each status names the next check in the module's order.
 */
static void test_init_check_order(void **state)
{
	struct tdtest *t = *state;
	struct td_params tp, good;

	tdlib_default_params(&good);
	memset(&tp, 0xFF, sizeof(tp));
	expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_ATTRIBUTES);
	tp.attributes = good.attributes;
	expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_XFAM);
	tp.xfam = good.xfam;
	tp.max_vcpus = 0;
	expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_MAX_VCPUS);
	tp.max_vcpus = 1;
	expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_NUM_L2_VMS);
	tp.num_l2_vms = 0;
	expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);	/* reserved0 */
	tp.reserved0 = 0;
	expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_EXEC_CONTROLS);
	tp.config_flags = 0;
	expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_EPTP_CONTROLS);
	tp.eptp_controls = good.eptp_controls;
	tp.tsc_frequency = 401;
	expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_TSC_FREQUENCY);
	tp.tsc_frequency = good.tsc_frequency;
	expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);	/* reserved1 */
	memset(tp.reserved1, 0, sizeof(tp.reserved1));
	expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);	/* MSR_CONFIG_CTLS */
	tp.msr_config_ctls = 1;
	expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);	/* reserved2 */
	memset(tp.reserved2, 0, sizeof(tp.reserved2));
	expect_cpuid_error(t, &tp, 0x1 | NO_SUB);
	memset(tp.cpuid_values, 0, TDX_MAX_NUM_CPUID_CONFIG * sizeof(tp.cpuid_values[0]));
	expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);	/* reserved3 */
	memset(tp.cpuid_values, 0, sizeof(tp.cpuid_values));
	expect_init(t, &tp, TDX_OPERAND_INVALID | TDX_OPERAND_ID_IA32_ARCH_CAP);
	tp.ia32_arch_capabilities_config = 0;
	/* MR fields are taken as they are, even all-ones. */
	expect_init(t, &tp, TDX_SUCCESS);
	expect_td_field(t, MD_FIELD_ELEM(MD_TD_MROWNER, 5), ~0ULL);
}

static void test_init_success_and_twice(void **state)
{
	struct tdtest *t = *state;
	struct td_params tp;
	u64 params = tdtest_page(t);
	struct seamcall_regs r;

	tdlib_default_params(&tp);
	tp.attributes |= TDX_ATTR_DEBUG;
	tp.max_vcpus = 3;
	for (int i = 0; i < 6; i++) {
		tp.mrconfigid[i] = 0x1111111111111111ULL * (u64)(i + 1);
		tp.mrowner[i] = ~tp.mrconfigid[i];
		tp.mrownerconfig[i] = (u64)i;
	}
	expect_init(t, &tp, TDX_SUCCESS);
	expect_td_field(t, MD_TD_OP_STATE, OP_STATE_INITIALIZED);
	expect_td_field(t, MD_TD_ATTRIBUTES, tp.attributes);
	expect_td_field(t, MD_TD_MAX_VCPUS, 3);
	expect_td_field(t, MD_TD_EPTP, EPTP(4) | t->td.tdcs[3]);
	expect_td_field(t, MD_TD_TSC_FREQUENCY, 100);
	expect_td_field(t, MD_TD_EPOCH, 1);
	expect_td_field(t, MD_TD_NUM_VCPUS, 0);
	expect_td_field(t, MD_TD_HKID, (u64)t->td.hkid);
	for (int i = 0; i < 6; i++) {
		expect_td_field(t, MD_FIELD_ELEM(MD_TD_MRCONFIGID, i), tp.mrconfigid[i]);
		expect_td_field(t, MD_FIELD_ELEM(MD_TD_MROWNER, i), tp.mrowner[i]);
		expect_td_field(t, MD_FIELD_ELEM(MD_TD_MROWNERCONFIG, i), tp.mrownerconfig[i]);
	}
	expect_init(t, &tp, TDX_OP_STATE_INCORRECT);
	/* The state is checked before the TD_PARAMS pointer. */
	r = (struct seamcall_regs){ .rcx = t->td.tdr, .rdx = params + 8 };
	assert_status(tdtest_call(t, TDH_MNG_INIT, &r), TDX_OP_STATE_INCORRECT);
	assert_int_equal(r.rcx, 0);
	platform_free_pages(t->h->plat, params, 1);
}

/* ---- teardown leaves ----------------------------------------------------------------- */

static void test_vpflushdone_vcpu_associated(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r = { .rcx = t->td.vcpu[0].tdvpr };

	assert_status(tdr_call(t, 0, TDH_MNG_VPFLUSHDONE), TDX_FLUSHVP_NOT_DONE);
	expect_td_field(t, MD_TD_LIFECYCLE_STATE, TD_KEYS_CONFIGURED);
	assert_status(tdtest_call_lp(t, 1, TDH_VP_FLUSH, &r), TDX_VCPU_NOT_ASSOCIATED);
	assert_status(tdr_call(t, 0, TDH_MNG_VPFLUSHDONE), TDX_FLUSHVP_NOT_DONE);
	r = (struct seamcall_regs){ .rcx = t->td.vcpu[0].tdvpr };
	assert_status(tdtest_call_lp(t, 0, TDH_VP_FLUSH, &r), TDX_SUCCESS);
	expect_td_field(t, 0x9010000200000002ULL, 0);	/* NUM_ASSOC_VCPUS */
	assert_status(tdr_call(t, 0, TDH_MNG_VPFLUSHDONE), TDX_SUCCESS);
	assert_status(tdr_call(t, 0, TDH_MNG_VPFLUSHDONE), TDX_LIFECYCLE_STATE_INCORRECT);
	cache_wb_all(t);
	assert_status(tdr_call(t, 0, TDH_MNG_KEY_FREEID), TDX_SUCCESS);
	td_reclaim_all(t);
}

static void test_vpflushdone_blocked(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r = { .rcx = t->td.tdcs[0] };
	u64 v;

	assert_status(tdtest_call(t, TDH_MNG_VPFLUSHDONE, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = t->td.tdr + 1 };
	assert_status(tdtest_call(t, TDH_MNG_VPFLUSHDONE, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	/* No vCPU: nothing to flush. */
	assert_status(tdr_call(t, 0, TDH_MNG_VPFLUSHDONE), TDX_SUCCESS);
	assert_status(tdr_call(t, 1, TDH_MNG_VPFLUSHDONE), TDX_LIFECYCLE_STATE_INCORRECT);
	assert_status(tdr_call(t, 0, TDH_MNG_KEY_CONFIG), TDX_LIFECYCLE_STATE_INCORRECT);
	assert_status(mng_rd(t, MD_TD_LIFECYCLE_STATE, &v), TDX_TD_KEYS_NOT_CONFIGURED);
	cache_wb_all(t);
	assert_status(tdr_call(t, 0, TDH_MNG_KEY_FREEID), TDX_SUCCESS);
	assert_status(tdr_call(t, 0, TDH_MNG_VPFLUSHDONE), TDX_LIFECYCLE_STATE_INCORRECT);
	td_reclaim_all(t);
}

/* A TD that has only its TDR can be flushed and freed as well. */
static void test_vpflushdone_hkid_assigned(void **state)
{
	struct tdtest *t = *state;

	td_prepare(t);
	assert_status(td_create(t), TDX_SUCCESS);
	assert_status(tdr_call(t, 0, TDH_MNG_VPFLUSHDONE), TDX_SUCCESS);
	assert_status(tdr_call(t, 0, TDH_MNG_KEY_CONFIG), TDX_LIFECYCLE_STATE_INCORRECT);
	cache_wb_all(t);
	assert_status(tdr_call(t, 0, TDH_MNG_KEY_FREEID), TDX_SUCCESS);
	td_reclaim_all(t);
}

static void test_key_freeid(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r = { .rcx = t->td.tdcs[1] };

	assert_status(tdtest_call(t, TDH_MNG_KEY_FREEID, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_status(tdr_call(t, 0, TDH_MNG_KEY_FREEID), TDX_LIFECYCLE_STATE_INCORRECT);
	r = (struct seamcall_regs){ .rcx = 0 };
	assert_status(tdtest_call(t, TDH_PHYMEM_CACHE_WB, &r), TDX_NO_HKID_READY_TO_WBCACHE);
	assert_status(tdr_call(t, 0, TDH_MNG_VPFLUSHDONE), TDX_SUCCESS);
	/* The HKID may still have dirty lines in a cache. */
	assert_status(tdr_call(t, 0, TDH_MNG_KEY_FREEID), TDX_WBCACHE_NOT_COMPLETE);
	cache_wb_all(t);
	assert_status(tdr_call(t, 0, TDH_MNG_KEY_FREEID), TDX_SUCCESS);
	assert_status(tdr_call(t, 0, TDH_MNG_KEY_FREEID), TDX_LIFECYCLE_STATE_INCORRECT);
	td_reclaim_all(t);
}

/* Two packages: both must write back their caches before KEY.FREEID. */
static void test_key_freeid_two_packages(void **state)
{
	struct tdtest *t = *state;
	struct td_params tp;
	struct seamcall_regs r = { .rcx = 0 };

	td_build(t, TDLIB_TDCS_PAGES);
	tdlib_default_params(&tp);
	expect_init(t, &tp, TDX_SUCCESS);
	assert_status(tdr_call(t, 0, TDH_MNG_VPFLUSHDONE), TDX_SUCCESS);
	assert_status(tdtest_call_lp(t, 1, TDH_PHYMEM_CACHE_WB, &r), TDX_SUCCESS);
	assert_status(tdr_call(t, 0, TDH_MNG_KEY_FREEID), TDX_WBCACHE_NOT_COMPLETE);
	r = (struct seamcall_regs){ .rcx = 0 };
	assert_status(tdtest_call_lp(t, 3, TDH_PHYMEM_CACHE_WB, &r), TDX_SUCCESS);
	assert_status(tdr_call(t, 0, TDH_MNG_KEY_FREEID), TDX_SUCCESS);
	td_reclaim_all(t);
}

static void test_key_reclaimid(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r = { .rcx = 0 };

	/* A no-op in TDX 1.5: succeeds whatever the operand, changes nothing. */
	assert_status(tdr_call(t, 0, TDH_MNG_KEY_RECLAIMID), TDX_SUCCESS);
	assert_status(tdtest_call(t, TDH_MNG_KEY_RECLAIMID, &r), TDX_SUCCESS);
	expect_td_field(t, MD_TD_LIFECYCLE_STATE, TD_KEYS_CONFIGURED);
	expect_td_field(t, MD_TD_HKID, (u64)t->td.hkid);
	assert_status(tdr_call(t, 0, TDH_MNG_VPFLUSHDONE), TDX_SUCCESS);
	assert_status(tdr_call(t, 0, TDH_MNG_KEY_RECLAIMID), TDX_SUCCESS);
	cache_wb_all(t);
	assert_status(tdr_call(t, 0, TDH_MNG_KEY_FREEID), TDX_SUCCESS);
	assert_status(tdr_call(t, 0, TDH_MNG_KEY_RECLAIMID), TDX_SUCCESS);
	td_reclaim_all(t);
}

#define HOST(fn)	cmocka_unit_test_setup_teardown(fn, tdtest_setup_host, tdtest_teardown)
#define HOST2(fn)	cmocka_unit_test_setup_teardown(fn, setup_host_2pkg, tdtest_teardown)
#define KEYED(fn)	cmocka_unit_test_setup_teardown(fn, setup_keyed, tdtest_teardown)
#define UNINIT(fn)	cmocka_unit_test_setup_teardown(fn, setup_uninit, tdtest_teardown)
#define TD(fn)		cmocka_unit_test_setup_teardown(fn, tdtest_setup_td, tdtest_teardown)
#define VCPU(fn)	cmocka_unit_test_setup_teardown(fn, tdtest_setup_vcpu, tdtest_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		HOST(test_create_hkid_operand),
		HOST(test_create_tdr_operand),
		HOST(test_create_success_and_reuse),
		HOST(test_create_no_entropy),
		HOST(test_key_config),
		HOST2(test_key_config_two_packages),
		KEYED(test_addcx_operands),
		UNINIT(test_addcx_limit),
		KEYED(test_addcx_entropy),
		TD(test_addcx_after_init),
		HOST(test_tdcs_not_allocated),
		UNINIT(test_init_tdr_and_params_operands),
		UNINIT(test_init_attributes),
		UNINIT(test_init_xfam),
		UNINIT(test_init_vcpus_and_l2),
		UNINIT(test_init_reserved),
		UNINIT(test_init_config_flags),
		UNINIT(test_init_eptp_controls),
		UNINIT(test_init_tsc_frequency),
		UNINIT(test_init_cpuid_config),
		UNINIT(test_init_arch_capabilities),
		UNINIT(test_init_check_order),
		UNINIT(test_init_success_and_twice),
		VCPU(test_vpflushdone_vcpu_associated),
		TD(test_vpflushdone_blocked),
		HOST(test_vpflushdone_hkid_assigned),
		TD(test_key_freeid),
		HOST2(test_key_freeid_two_packages),
		TD(test_key_reclaimid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
