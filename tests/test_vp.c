// SPDX-License-Identifier: MIT
/*
 * TDH.VP.*: CREATE, ADDCX and INIT (operands, the TD's OP_STATE seen
 * through the explicit or implicit TDR, TDVPS page counts, MAX_VCPUS, the
 * initial guest registers) and TDH.VP.FLUSH (LP association).
 *
 * vCPUs are recorded in the tdlib_td layout as they are built, so the
 * tdtest teardown fixture reclaims their pages whatever a test did.
 */
#include "tdtest.h"

#include <stdlib.h>
#include <string.h>

#define MD_VP_ASSOC_LPID	0xA020000200000004ULL
#define MD_TD_NUM_ASSOC_VCPUS	0x9010000200000002ULL
#define MD_TD_CHLDCNT		0x8010000300000004ULL
#define MAX_TDVPS_PAGES		15
/* CPUID(1).EAX of softtdx's virtual CPU (module/cpuid.c): not configurable. */
#define NATIVE_FMS		0x000806f8ULL

enum gpr { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8 };

/* ---- TD and vCPU construction ---------------------------------------------------- */

static int setup_uninit(void **state)
{
	struct tdtest *t;
	struct seamcall_regs r;

	tdtest_setup_host(state);
	t = *state;
	memset(&t->td, 0, sizeof(t->td));
	t->td.h = t->h;
	t->td.hkid = tdx_host_alloc_hkid(t->h);
	assert_true(t->td.hkid >= 0);
	t->td.tdr = tdtest_page(t);
	t->td.source = tdtest_page(t);
	t->td.pwl = 4;
	r = (struct seamcall_regs){ .rcx = t->td.tdr, .rdx = (u64)t->td.hkid };
	assert_status(tdtest_call(t, TDH_MNG_CREATE, &r), TDX_SUCCESS);
	t->has_td = true;
	r = (struct seamcall_regs){ .rcx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MNG_KEY_CONFIG, &r), TDX_SUCCESS);
	while (t->td.nr_tdcs < TDLIB_TDCS_PAGES) {
		u64 page = tdtest_page(t);

		r = (struct seamcall_regs){ .rcx = page, .rdx = t->td.tdr };
		assert_status(tdtest_call(t, TDH_MNG_ADDCX, &r), TDX_SUCCESS);
		t->td.tdcs[t->td.nr_tdcs++] = page;
	}
	return 0;
}

/* A TD from @tp on the fixture's host. */
static void make_td(struct tdtest *t, const struct td_params *tp)
{
	assert_status(tdlib_create(t->h, &t->td, tp), TDX_SUCCESS);
	t->has_td = true;
}

static void make_debug_td(struct tdtest *t, bool gpaw)
{
	struct td_params tp;

	tdlib_default_params(&tp);
	tp.attributes |= TDX_ATTR_DEBUG;
	if (gpaw) {
		tp.config_flags = TDX_CONFIG_FLAGS_GPAW;
		tp.eptp_controls = TDX_EPTP_MT_WB | (4ULL << TDX_EPTP_PWL_SHIFT);
	}
	make_td(t, &tp);
}

/* TDH.VP.CREATE of a new vCPU on @lp; recorded for teardown. */
static struct tdlib_vcpu *vcpu_create(struct tdtest *t, u32 lp)
{
	struct tdlib_vcpu *v = &t->td.vcpu[t->td.nr_vcpus];
	u64 page = tdtest_page(t);
	struct seamcall_regs r = { .rcx = page, .rdx = t->td.tdr };
	u64 st = tdtest_call_lp(t, lp, TDH_VP_CREATE, &r);

	if (st != TDX_SUCCESS)
		platform_free_pages(t->h->plat, page, 1);
	assert_status(st, TDX_SUCCESS);
	memset(v, 0, sizeof(*v));
	v->tdvpr = page;
	v->lp = lp;
	t->td.nr_vcpus++;
	return v;
}

static u64 vp_addcx(struct tdtest *t, u64 tdvpr, u64 page)
{
	struct seamcall_regs r = { .rcx = page, .rdx = tdvpr };

	return tdtest_call(t, TDH_VP_ADDCX, &r);
}

/* Adds @n TDCX pages to @v: tdlib's five slots first, then td->pages. */
static void vcpu_addcx(struct tdtest *t, struct tdlib_vcpu *v, u32 n)
{
	while (n--) {
		u64 page = tdtest_page(t);
		u32 slot = 0;

		while (slot < TDLIB_TDVPS_PAGES - 1 && v->tdcx[slot])
			slot++;
		assert_status(vp_addcx(t, v->tdvpr, page), TDX_SUCCESS);
		if (slot < TDLIB_TDVPS_PAGES - 1)
			v->tdcx[slot] = page;
		else
			tdlib_adopt_page(&t->td, page, 1);
	}
}

/* A vCPU with the minimum six TDVPS pages, not yet initialized. */
static struct tdlib_vcpu *vcpu_build(struct tdtest *t, u32 lp)
{
	struct tdlib_vcpu *v = vcpu_create(t, lp);

	vcpu_addcx(t, v, TDLIB_TDVPS_PAGES - 1);
	return v;
}

static u64 vp_init(struct tdtest *t, const struct tdlib_vcpu *v, u64 initial_rcx)
{
	struct seamcall_regs r = { .rcx = v->tdvpr, .rdx = initial_rcx };

	return tdtest_call_lp(t, v->lp, TDH_VP_INIT, &r);
}

static u64 vp_flush(struct tdtest *t, u32 lp, u64 tdvpr)
{
	struct seamcall_regs r = { .rcx = tdvpr };

	return tdtest_call_lp(t, lp, TDH_VP_FLUSH, &r);
}

static u64 vp_rd(struct tdtest *t, u32 lp, u64 tdvpr, u64 field, u64 *val)
{
	struct seamcall_regs r = { .rcx = tdvpr, .rdx = field };
	u64 st = tdtest_call_lp(t, lp, TDH_VP_RD, &r);

	*val = r.r8;
	return st;
}

static void expect_vp_field(struct tdtest *t, const struct tdlib_vcpu *v, u64 field, u64 expected)
{
	u64 val;

	assert_status(vp_rd(t, v->lp, v->tdvpr, field, &val), TDX_SUCCESS);
	assert_int_equal(val, expected);
}

static void expect_td_field(struct tdtest *t, u64 field, u64 expected)
{
	struct seamcall_regs r = { .rcx = t->td.tdr, .rdx = field };

	assert_status(tdtest_call(t, TDH_MNG_RD, &r), TDX_SUCCESS);
	assert_int_equal(r.r8, expected);
}

static void expect_page_type(struct tdtest *t, u64 pa, u64 pt, u64 owner)
{
	struct seamcall_regs r = { .rcx = pa };

	assert_status(tdtest_call(t, TDH_PHYMEM_PAGE_RDMD, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, pt);
	assert_int_equal(r.rdx, owner);
}

/*
 * Finishes the teardown of a TD a test blocked itself (tdlib_teardown
 * would redo VP.FLUSH and VPFLUSHDONE): CACHE.WB, KEY.FREEID, and every
 * page back to the host, TDR last.
 */
static void td_finish_teardown(struct tdtest *t)
{
	struct seamcall_regs r = { .rcx = 0 };

	assert_status(tdtest_call(t, TDH_PHYMEM_CACHE_WB, &r), TDX_SUCCESS);
	r = (struct seamcall_regs){ .rcx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MNG_KEY_FREEID, &r), TDX_SUCCESS);
	tdtest_reclaim_all(t);
}

/*
 * tdlib_teardown() flushes every vCPU, which a vCPU short of six TDVPS
 * pages refuses (TDCX_NUM_INCORRECT): without associated vCPUs there is
 * nothing to flush, so block the TD directly.
 */
static void td_teardown_unflushed(struct tdtest *t)
{
	struct seamcall_regs r = { .rcx = t->td.tdr };

	assert_status(tdtest_call(t, TDH_MNG_VPFLUSHDONE, &r), TDX_SUCCESS);
	td_finish_teardown(t);
}

/* ---- TDH.VP.CREATE ------------------------------------------------------------------ */

static void test_vp_create(void **state)
{
	struct tdtest *t = *state;
	struct tdlib_vcpu *v = vcpu_create(t, 0);
	struct seamcall_regs r = { .rcx = v->tdvpr, .rdx = t->td.tdr };

	expect_page_type(t, v->tdvpr, PT_TDVPR, t->td.tdr);
	expect_td_field(t, MD_TD_CHLDCNT, TDLIB_TDCS_PAGES + 1);
	/* MAX_VCPUS is enforced at VP.INIT, not here. */
	expect_td_field(t, MD_TD_NUM_VCPUS, 0);
	/* The page is a TDVPR now. */
	assert_status(tdtest_call(t, TDH_VP_CREATE, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	td_teardown_unflushed(t);
}

static void test_vp_create_operands(void **state)
{
	struct tdtest *t = *state;
	struct platform *p = t->h->plat;
	u64 page = tdtest_page(t), tdr = t->td.tdr, tdvpr = t->td.vcpu[0].tdvpr;
	const struct {
		u64 tdvpr, tdr, status;
	} cases[] = {
		/* The TDR (RDX) first... */
		{ page, tdvpr, TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX },
		{ page, t->td.tdcs[0], TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX },
		{ page + 8, page, TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX },
		{ page, tdr + 8, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX },
		{ page, platform_hpa_with_keyid(p, tdr, 1),
		  TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX },
		{ page, tdtest_beyond_memory(t),
		  TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RDX },
		/* ...then the new TDVPR page (RCX). */
		{ page + 8, tdr, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX },
		{ platform_hpa_with_keyid(p, page, (u32)t->td.hkid), tdr,
		  TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX },
		{ tdtest_beyond_memory(t), tdr, TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RCX },
		{ tdvpr, tdr, TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX },
		{ t->td.vcpu[0].tdcx[0], tdr, TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX },
		{ t->h->pamt_hpa, tdr, TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct seamcall_regs r = { .rcx = cases[i].tdvpr, .rdx = cases[i].tdr };

		assert_status(tdtest_call(t, TDH_VP_CREATE, &r), cases[i].status);
	}
	expect_page_type(t, page, PT_NDA, 0);
	platform_free_pages(p, page, 1);
}

static void test_vp_create_before_init(void **state)
{
	struct tdtest *t = *state;
	u64 page = tdtest_page(t);
	struct seamcall_regs r = { .rcx = page, .rdx = t->td.tdr };

	assert_status(tdtest_call(t, TDH_VP_CREATE, &r), TDX_OP_STATE_INCORRECT);
	/* The TD state comes before the TDVPR page. */
	r = (struct seamcall_regs){ .rcx = page + 8, .rdx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_VP_CREATE, &r), TDX_OP_STATE_INCORRECT);
	expect_page_type(t, page, PT_NDA, 0);
	platform_free_pages(t->h->plat, page, 1);
}

/* After TDH.MR.FINALIZE (RUNNABLE) the vCPU set is frozen. */
static void test_vp_after_finalize(void **state)
{
	struct tdtest *t = *state;
	const struct tdlib_vcpu *v = &t->td.vcpu[0];
	u64 page = tdtest_page(t);
	struct seamcall_regs r = { .rcx = page, .rdx = t->td.tdr };

	assert_status(tdtest_call(t, TDH_VP_CREATE, &r), TDX_OP_STATE_INCORRECT);
	/* The implicit TDR's OP_STATE is checked before the vCPU's own state. */
	assert_status(vp_addcx(t, v->tdvpr, page), TDX_OP_STATE_INCORRECT);
	assert_status(vp_init(t, v, 0), TDX_OP_STATE_INCORRECT);
	expect_page_type(t, page, PT_NDA, 0);
	platform_free_pages(t->h->plat, page, 1);
}

/* ---- TDH.VP.ADDCX ------------------------------------------------------------------- */

static void test_vp_addcx(void **state)
{
	struct tdtest *t = *state;
	struct platform *p = t->h->plat;
	struct tdlib_vcpu *v = vcpu_create(t, 0);
	u64 page = tdtest_page(t), tdr = t->td.tdr;
	const struct {
		u64 tdcx, tdvpr, status;
	} cases[] = {
		/* The TDVPR (RDX) first... */
		{ page, tdr, TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX },
		{ page, t->td.tdcs[0], TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX },
		{ page + 8, page, TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX },
		{ page, v->tdvpr + 8, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX },
		{ page, tdtest_beyond_memory(t),
		  TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RDX },
		/* ...then the new TDCX page (RCX). */
		{ page + 8, v->tdvpr, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX },
		{ platform_hpa_with_keyid(p, page, 1), v->tdvpr,
		  TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX },
		{ tdtest_beyond_memory(t), v->tdvpr,
		  TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RCX },
		/* The implicit TDR is locked (shared) by this very call. */
		{ tdr, v->tdvpr, TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX },
		{ t->td.tdcs[1], v->tdvpr, TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct seamcall_regs r = { .rcx = cases[i].tdcx, .rdx = cases[i].tdvpr };

		assert_status(tdtest_call(t, TDH_VP_ADDCX, &r), cases[i].status);
	}
	platform_free_pages(p, page, 1);
	/* Up to 15 TDVPS pages in all. */
	vcpu_addcx(t, v, MAX_TDVPS_PAGES - 1);
	expect_page_type(t, v->tdcx[0], PT_TDCX, tdr);
	expect_td_field(t, MD_TD_CHLDCNT, TDLIB_TDCS_PAGES + MAX_TDVPS_PAGES);
	page = tdtest_page(t);
	assert_status(vp_addcx(t, v->tdvpr, page), TDX_TDCX_NUM_INCORRECT);
	assert_status(vp_init(t, v, 0), TDX_SUCCESS);
	expect_vp_field(t, v, MD_VP_NUM_TDVPS_PAGES, MAX_TDVPS_PAGES);
	/* Once initialized, the vCPU state is what is wrong, not the count. */
	assert_status(vp_addcx(t, v->tdvpr, page), TDX_VCPU_STATE_INCORRECT);
	expect_page_type(t, page, PT_NDA, 0);
	platform_free_pages(p, page, 1);
}

/* ---- TDH.VP.INIT -------------------------------------------------------------------- */

static void test_vp_init_checks(void **state)
{
	struct tdtest *t = *state;
	struct tdlib_vcpu *v = vcpu_create(t, 0);
	const u64 bad[][2] = {
		{ t->td.tdr, TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX },
		{ t->td.tdcs[2], TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX },
		{ v->tdvpr + 8, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX },
		{ platform_hpa_with_keyid(t->h->plat, v->tdvpr, 1),
		  TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX },
		{ tdtest_beyond_memory(t), TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RCX },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct seamcall_regs r = { .rcx = bad[i][0] };

		assert_status(tdtest_call(t, TDH_VP_INIT, &r), bad[i][1]);
	}
	/* Six TDVPS pages are the minimum. */
	assert_status(vp_init(t, v, 0), TDX_TDCX_NUM_INCORRECT);
	vcpu_addcx(t, v, TDLIB_TDVPS_PAGES - 2);
	assert_status(vp_init(t, v, 0), TDX_TDCX_NUM_INCORRECT);
	expect_td_field(t, MD_TD_NUM_VCPUS, 0);
	vcpu_addcx(t, v, 1);
	assert_status(vp_init(t, v, 0), TDX_SUCCESS);
	expect_td_field(t, MD_TD_NUM_VCPUS, 1);
	assert_status(vp_init(t, v, 0), TDX_VCPU_STATE_INCORRECT);
	expect_td_field(t, MD_TD_NUM_VCPUS, 1);
	expect_vp_field(t, v, MD_VP_VCPU_INDEX, 0);
}

static void test_vp_init_max_vcpus(void **state)
{
	struct tdtest *t = *state;
	struct td_params tp;

	tdlib_default_params(&tp);
	tp.max_vcpus = 1;
	make_td(t, &tp);
	assert_status(tdlib_add_vcpu(&t->td, 0, 0), TDX_SUCCESS);
	/* tdlib records the second vCPU's pages even though INIT fails. */
	assert_status(tdlib_add_vcpu(&t->td, 1, 0), TDX_MAX_VCPUS_EXCEEDED);
	assert_int_equal(t->td.nr_vcpus, 2);
	/* The failed INIT gave its index back, and the vCPU stays UNINITIALIZED. */
	expect_td_field(t, MD_TD_NUM_VCPUS, 1);
	assert_status(vp_init(t, &t->td.vcpu[1], 0), TDX_MAX_VCPUS_EXCEEDED);
	expect_td_field(t, MD_TD_NUM_VCPUS, 1);
	expect_td_field(t, MD_TD_NUM_ASSOC_VCPUS, 1);
}

/* The architectural initial GPRs, read back through TDH.VP.RD (DEBUG TD). */
static void expect_initial_gprs(struct tdtest *t, const struct tdlib_vcpu *v, u64 rcx,
				u64 index, u64 gpaw_bits)
{
	expect_vp_field(t, v, MD_VP_RAX + RAX, 0);
	expect_vp_field(t, v, MD_VP_RAX + RCX, rcx);
	expect_vp_field(t, v, MD_VP_RAX + RDX, NATIVE_FMS);
	expect_vp_field(t, v, MD_VP_RAX + RBX, gpaw_bits);
	expect_vp_field(t, v, MD_VP_RAX + RSP, 0);
	expect_vp_field(t, v, MD_VP_RAX + RBP, 0);
	expect_vp_field(t, v, MD_VP_RAX + RSI, index);
	expect_vp_field(t, v, MD_VP_RAX + RDI, 0);
	expect_vp_field(t, v, MD_VP_RAX + R8, rcx);
	for (int n = R8 + 1; n < 16; n++)
		expect_vp_field(t, v, MD_VP_RAX + (u64)n, 0);
	expect_vp_field(t, v, MD_VP_VCPU_INDEX, index);
}

static void test_vp_init_initial_state(void **state)
{
	struct tdtest *t = *state;
	u64 val;

	make_debug_td(t, false);
	assert_status(tdlib_add_vcpu(&t->td, 0, 0x1234abcd5678ef00ULL), TDX_SUCCESS);
	assert_status(tdlib_add_vcpu(&t->td, 1, 0xdead), TDX_SUCCESS);
	expect_initial_gprs(t, &t->td.vcpu[0], 0x1234abcd5678ef00ULL, 0, 48);
	expect_initial_gprs(t, &t->td.vcpu[1], 0xdead, 1, 48);
	expect_vp_field(t, &t->td.vcpu[1], MD_VP_ASSOC_LPID, 1);
	expect_td_field(t, MD_TD_NUM_ASSOC_VCPUS, 2);
	/* Each vCPU is associated with the LP that ran its VP.INIT. */
	assert_status(vp_rd(t, 1, t->td.vcpu[0].tdvpr, MD_VP_RAX, &val), TDX_VCPU_ASSOCIATED);
	assert_int_equal(val, 0);
}

/* GPAW = 1: RBX reports a 52-bit guest physical address width. */
static void test_vp_init_gpaw(void **state)
{
	struct tdtest *t = *state;

	make_debug_td(t, true);
	assert_status(tdlib_add_vcpu(&t->td, 0, 7), TDX_SUCCESS);
	expect_initial_gprs(t, &t->td.vcpu[0], 7, 0, 52);
}

/* On a production TD the guest GPRs are not for the host to read. */
static void test_vp_init_production_gprs_hidden(void **state)
{
	struct tdtest *t = *state;
	const struct tdlib_vcpu *v = &t->td.vcpu[0];
	u64 val;

	assert_status(vp_rd(t, v->lp, v->tdvpr, MD_VP_RAX + RCX, &val),
		      TDX_METADATA_FIELD_NOT_READABLE);
	expect_vp_field(t, v, MD_VP_VCPU_INDEX, 0);
}

/*
 * Version 1 (Linux >= 6.16) adds the x2APIC ID in R8; the guest's initial
 * RCX still comes from RDX.
 */
static void test_vp_init_version1(void **state)
{
	struct tdtest *t = *state;
	struct tdlib_vcpu *v = vcpu_build(t, 0);
	struct seamcall_regs r = { .rcx = v->tdvpr, .rdx = 0x42, .r8 = 5 };

	assert_status(tdtest_call(t, TDH_VP_INIT | 2ULL << TDX_VERSION_SHIFT, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	r = (struct seamcall_regs){ .rcx = v->tdvpr, .rdx = 0x42, .r8 = 5 };
	assert_status(tdtest_call(t, TDH_VP_INIT | 1ULL << TDX_VERSION_SHIFT, &r), TDX_SUCCESS);
	expect_vp_field(t, v, MD_VP_VCPU_INDEX, 0);
	expect_td_field(t, MD_TD_NUM_VCPUS, 1);
	r = (struct seamcall_regs){ .rcx = v->tdvpr, .rdx = 0x42, .r8 = 5 };
	assert_status(tdtest_call(t, TDH_VP_INIT | 1ULL << TDX_VERSION_SHIFT, &r),
		      TDX_VCPU_STATE_INCORRECT);
}

/* ---- TDH.VP.FLUSH ------------------------------------------------------------------- */

static void test_vp_flush(void **state)
{
	struct tdtest *t = *state;
	const struct tdlib_vcpu *v = &t->td.vcpu[0];
	u64 val;

	assert_status(vp_flush(t, 0, t->td.tdr), TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_status(vp_flush(t, 0, v->tdvpr + 8), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(vp_flush(t, 0, v->tdcx[0]), TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	/* VP.INIT on LP 0 associated the vCPU there. */
	assert_status(vp_flush(t, 1, v->tdvpr), TDX_VCPU_NOT_ASSOCIATED);
	expect_td_field(t, MD_TD_NUM_ASSOC_VCPUS, 1);
	assert_status(vp_flush(t, 0, v->tdvpr), TDX_SUCCESS);
	expect_td_field(t, MD_TD_NUM_ASSOC_VCPUS, 0);
	assert_status(vp_flush(t, 0, v->tdvpr), TDX_VCPU_NOT_ASSOCIATED);
	/* A VP.RD on LP 1 associates it there; only LP 1 can flush it now. */
	assert_status(vp_rd(t, 1, v->tdvpr, MD_VP_VCPU_INDEX, &val), TDX_SUCCESS);
	expect_td_field(t, MD_TD_NUM_ASSOC_VCPUS, 1);
	assert_status(vp_flush(t, 0, v->tdvpr), TDX_VCPU_NOT_ASSOCIATED);
	assert_status(vp_flush(t, 1, v->tdvpr), TDX_SUCCESS);
	expect_td_field(t, MD_TD_NUM_ASSOC_VCPUS, 0);
}

static void test_vp_flush_unfinished_vcpu(void **state)
{
	struct tdtest *t = *state;
	struct tdlib_vcpu *v = vcpu_create(t, 0);

	vcpu_addcx(t, v, 2);
	assert_status(vp_flush(t, 0, v->tdvpr), TDX_TDCX_NUM_INCORRECT);
	vcpu_addcx(t, v, TDLIB_TDVPS_PAGES - 3);
	/* Never initialized: never associated with any LP. */
	assert_status(vp_flush(t, 0, v->tdvpr), TDX_VCPU_NOT_ASSOCIATED);
	assert_status(vp_flush(t, 1, v->tdvpr), TDX_VCPU_NOT_ASSOCIATED);
}

/*
 * After VPFLUSHDONE the TD is BLOCKED: leaves that reach it through the
 * TDVPR's implicit TDR see TD_KEYS_NOT_CONFIGURED.
 */
static void test_vp_blocked_td(void **state)
{
	struct tdtest *t = *state;
	const struct tdlib_vcpu *v = &t->td.vcpu[0];
	u64 page = tdtest_page(t), val;
	struct seamcall_regs r = { .rcx = t->td.tdr };

	assert_status(vp_flush(t, 0, v->tdvpr), TDX_SUCCESS);
	assert_status(tdtest_call(t, TDH_MNG_VPFLUSHDONE, &r), TDX_SUCCESS);
	assert_status(vp_flush(t, 0, v->tdvpr), TDX_TD_KEYS_NOT_CONFIGURED);
	assert_status(vp_addcx(t, v->tdvpr, page), TDX_TD_KEYS_NOT_CONFIGURED);
	assert_status(vp_init(t, v, 0), TDX_TD_KEYS_NOT_CONFIGURED);
	assert_status(vp_rd(t, 0, v->tdvpr, MD_VP_VCPU_INDEX, &val), TDX_TD_KEYS_NOT_CONFIGURED);
	r = (struct seamcall_regs){ .rcx = page, .rdx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_VP_CREATE, &r), TDX_TD_KEYS_NOT_CONFIGURED);
	platform_free_pages(t->h->plat, page, 1);
	td_finish_teardown(t);
}

#define HOST(fn)	cmocka_unit_test_setup_teardown(fn, tdtest_setup_host, tdtest_teardown)
#define UNINIT(fn)	cmocka_unit_test_setup_teardown(fn, setup_uninit, tdtest_teardown)
#define TD(fn)		cmocka_unit_test_setup_teardown(fn, tdtest_setup_td, tdtest_teardown)
#define VCPU(fn)	cmocka_unit_test_setup_teardown(fn, tdtest_setup_vcpu, tdtest_teardown)
#define FINAL(fn)	cmocka_unit_test_setup_teardown(fn, tdtest_setup_finalized, tdtest_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TD(test_vp_create),
		VCPU(test_vp_create_operands),
		UNINIT(test_vp_create_before_init),
		FINAL(test_vp_after_finalize),
		TD(test_vp_addcx),
		TD(test_vp_init_checks),
		HOST(test_vp_init_max_vcpus),
		HOST(test_vp_init_initial_state),
		HOST(test_vp_init_gpaw),
		VCPU(test_vp_init_production_gprs_hidden),
		TD(test_vp_init_version1),
		VCPU(test_vp_flush),
		TD(test_vp_flush_unfinished_vcpu),
		VCPU(test_vp_blocked_td),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
