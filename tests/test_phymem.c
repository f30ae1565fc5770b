// SPDX-License-Identifier: MIT
/*
 * TDH.PHYMEM.*: PAGE.RECLAIM (type checks, the TD life-cycle gate and the
 * outputs it fills even on failure), PAGE.WBINVD (only for reclaimed pages,
 * HKID bits allowed), CACHE.WB (start/resume and its part in freeing a
 * TD's HKID) and PAGE.RDMD (any page, including free and PAMT pages).
 *
 * Tests that tear a TD down by hand reclaim every page themselves and
 * clear has_td, so the fixture only checks that nothing leaked.
 */
#include "tdtest.h"

#include <stdlib.h>
#include <string.h>

#define PH_GPA_2M	(16ULL << 20)

/* ---- helpers --------------------------------------------------------------- */

static u64 phy(struct tdtest *t, u64 leaf, u64 rcx, struct seamcall_regs *r)
{
	*r = (struct seamcall_regs){ .rcx = rcx };
	return tdtest_call(t, leaf, r);
}

static void expect_md(const struct seamcall_regs *r, u64 pt, u64 owner, u64 level)
{
	assert_int_equal(r->rcx, pt);
	assert_int_equal(r->rdx, owner);
	assert_int_equal(r->r8, level);
}

static void expect_no_md(const struct seamcall_regs *r)
{
	expect_md(r, 0, 0, 0);
	assert_int_equal(r->r9, 0);
}

static u64 with_hkid(struct tdtest *t, u64 pa)
{
	return platform_hpa_with_keyid(t->h->plat, pa, (u32)t->td.hkid);
}

/* VP.FLUSH, VPFLUSHDONE, CACHE.WB, KEY.FREEID: the TD enters TEARDOWN. */
static void start_teardown(struct tdtest *t)
{
	struct seamcall_regs r;

	for (u32 i = 0; i < t->td.nr_vcpus; i++) {
		r = (struct seamcall_regs){ .rcx = t->td.vcpu[i].tdvpr };
		assert_status(tdtest_call_lp(t, t->td.vcpu[i].lp, TDH_VP_FLUSH, &r), TDX_SUCCESS);
	}
	assert_status(phy(t, TDH_MNG_VPFLUSHDONE, t->td.tdr, &r), TDX_SUCCESS);
	assert_status(phy(t, TDH_PHYMEM_CACHE_WB, 0, &r), TDX_SUCCESS);
	assert_status(phy(t, TDH_MNG_KEY_FREEID, t->td.tdr, &r), TDX_SUCCESS);
}

/* RECLAIM (checking type, owner and size), WBINVD of each 4K, then free. */
static void reclaim_ok(struct tdtest *t, u64 pa, u64 nr, u64 pt, u64 owner)
{
	struct seamcall_regs r;

	assert_status(phy(t, TDH_PHYMEM_PAGE_RECLAIM, pa, &r), TDX_SUCCESS);
	if (pt != ~0ULL)
		assert_int_equal(r.rcx, pt);
	else
		assert_true(r.rcx == PT_REG || r.rcx == PT_EPT);
	assert_int_equal(r.rdx, owner);
	assert_int_equal(r.r8, nr > 1 ? TDX_PS_2M : TDX_PS_4K);
	for (u64 i = 0; i < nr; i++)
		assert_status(phy(t, TDH_PHYMEM_PAGE_WBINVD,
				  with_hkid(t, pa + i * TDX_PAGE_SIZE), &r), TDX_SUCCESS);
	platform_free_pages(t->h->plat, pa, nr);
}

/* Drops @pa from tdlib's list: the test reclaims it itself. */
static u64 untrack(struct tdlib_td *td, u64 pa)
{
	for (size_t i = 0; i < td->nr_pages; i++) {
		u64 e = td->pages[i];

		if ((e & ~1ULL) == pa) {
			td->pages[i] = td->pages[--td->nr_pages];
			return e & 1 ? 512 : 1;
		}
	}
	fail_msg("page %#llx not tracked", (unsigned long long)pa);
	return 0;
}

/* After start_teardown(): reclaims every remaining page, TDR last. */
static void finish_teardown(struct tdtest *t)
{
	struct tdlib_td *td = &t->td;

	while (td->nr_pages) {
		u64 e = td->pages[--td->nr_pages];

		reclaim_ok(t, e & ~1ULL, e & 1 ? 512 : 1, ~0ULL, td->tdr);
	}
	for (u32 i = 0; i < td->nr_vcpus; i++) {
		for (u32 j = 0; j < TDLIB_TDVPS_PAGES - 1; j++)
			reclaim_ok(t, td->vcpu[i].tdcx[j], 1, PT_TDCX, td->tdr);
		reclaim_ok(t, td->vcpu[i].tdvpr, 1, PT_TDVPR, td->tdr);
	}
	for (u32 i = 0; i < td->nr_tdcs; i++)
		reclaim_ok(t, td->tdcs[i], 1, PT_TDCX, td->tdr);
	reclaim_ok(t, td->tdr, 1, PT_TDR, 0);
	platform_free_pages(t->h->plat, td->source, 1);
	tdx_host_free_hkid(t->h, td->hkid);
	free(td->pages);
	td->pages = NULL;
	t->has_td = false;
}

/* ---- TDH.PHYMEM.PAGE.RECLAIM -------------------------------------------------- */

static void test_reclaim_operands(void **state)
{
	struct tdtest *t = *state;
	u64 page = tdtest_page(t);
	struct seamcall_regs r;

	assert_status(phy(t, TDH_PHYMEM_PAGE_RECLAIM, page, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	expect_no_md(&r);
	assert_status(phy(t, TDH_PHYMEM_PAGE_RECLAIM, t->h->pamt_hpa, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	expect_no_md(&r);
	assert_status(phy(t, TDH_PHYMEM_PAGE_RECLAIM, page + 0x40, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(phy(t, TDH_PHYMEM_PAGE_RECLAIM, platform_hpa_with_keyid(t->h->plat, page, 1),
			  &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(phy(t, TDH_PHYMEM_PAGE_RECLAIM, tdtest_beyond_memory(t), &r),
		      TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RCX);
	expect_no_md(&r);
	platform_free_pages(t->h->plat, page, 1);
}

/* A running TD's pages stay put, but RECLAIM still reports what they are. */
static void test_reclaim_live_td(void **state)
{
	struct tdtest *t = *state;
	u64 tdr = t->td.tdr, data = tdtest_hpa_at(t, TDTEST_GPA, 0);
	struct seamcall_regs r;

	assert_status(phy(t, TDH_PHYMEM_PAGE_RECLAIM, data, &r), TDX_LIFECYCLE_STATE_INCORRECT);
	expect_md(&r, PT_REG, tdr, TDX_PS_4K);
	assert_status(phy(t, TDH_PHYMEM_PAGE_RECLAIM, t->td.pages[0], &r),
		      TDX_LIFECYCLE_STATE_INCORRECT);
	expect_md(&r, PT_EPT, tdr, TDX_PS_4K);
	assert_status(phy(t, TDH_PHYMEM_PAGE_RECLAIM, t->td.tdcs[2], &r),
		      TDX_LIFECYCLE_STATE_INCORRECT);
	expect_md(&r, PT_TDCX, tdr, TDX_PS_4K);
	assert_status(phy(t, TDH_PHYMEM_PAGE_RECLAIM, t->td.vcpu[0].tdvpr, &r),
		      TDX_LIFECYCLE_STATE_INCORRECT);
	expect_md(&r, PT_TDVPR, tdr, TDX_PS_4K);
	assert_status(phy(t, TDH_PHYMEM_PAGE_RECLAIM, tdr, &r), TDX_LIFECYCLE_STATE_INCORRECT);
	expect_md(&r, PT_TDR, 0, TDX_PS_4K);
	/* Nothing changed hands. */
	assert_status(phy(t, TDH_PHYMEM_PAGE_RDMD, data, &r), TDX_SUCCESS);
	expect_md(&r, PT_REG, tdr, TDX_PS_4K);
}

static void test_reclaim_teardown(void **state)
{
	struct tdtest *t = *state;
	u64 tdr = t->td.tdr, data = tdtest_hpa_at(t, TDTEST_GPA, 0);
	struct seamcall_regs r;

	start_teardown(t);
	assert_status(phy(t, TDH_PHYMEM_PAGE_RECLAIM, tdr, &r), TDX_TD_ASSOCIATED_PAGES_EXIST);
	expect_md(&r, PT_TDR, 0, TDX_PS_4K);
	untrack(&t->td, data);
	assert_status(phy(t, TDH_PHYMEM_PAGE_RECLAIM, data, &r), TDX_SUCCESS);
	expect_md(&r, PT_REG, tdr, TDX_PS_4K);
	assert_status(phy(t, TDH_PHYMEM_PAGE_RDMD, data, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, PT_NDA);
	assert_status(phy(t, TDH_PHYMEM_PAGE_RECLAIM, data, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	expect_no_md(&r);
	assert_status(phy(t, TDH_PHYMEM_PAGE_WBINVD, with_hkid(t, data), &r), TDX_SUCCESS);
	platform_free_pages(t->h->plat, data, 1);
	/* Still children: the TDCS, the vCPU and the other pages. */
	assert_status(phy(t, TDH_PHYMEM_PAGE_RECLAIM, tdr, &r), TDX_TD_ASSOCIATED_PAGES_EXIST);
	finish_teardown(t);
}

static void test_reclaim_2m(void **state)
{
	struct tdtest *t = *state;
	u64 tdr = t->td.tdr, hpa, nr;
	struct seamcall_regs r;

	assert_status(tdlib_aug(&t->td, PH_GPA_2M, TDX_PS_2M), TDX_SUCCESS);
	hpa = tdtest_last_page(t);
	assert_status(phy(t, TDH_PHYMEM_PAGE_RDMD, hpa + 5 * TDX_PAGE_SIZE, &r), TDX_SUCCESS);
	expect_md(&r, PT_REG, tdr, TDX_PS_2M);
	start_teardown(t);
	/* Inside the 2M page: the outputs are filled, then the alignment fails. */
	assert_status(phy(t, TDH_PHYMEM_PAGE_RECLAIM, hpa + TDX_PAGE_SIZE, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	expect_md(&r, PT_REG, tdr, TDX_PS_2M);
	nr = untrack(&t->td, hpa);
	assert_int_equal(nr, 512);
	reclaim_ok(t, hpa, nr, PT_REG, tdr);
	finish_teardown(t);
}

/* ---- TDH.PHYMEM.PAGE.WBINVD ---------------------------------------------------- */

static void test_wbinvd(void **state)
{
	struct tdtest *t = *state;
	u64 page = tdtest_page(t), data = tdtest_hpa_at(t, TDTEST_GPA, 0);
	struct seamcall_regs r;

	assert_status(phy(t, TDH_PHYMEM_PAGE_WBINVD, page, &r), TDX_SUCCESS);
	assert_status(phy(t, TDH_PHYMEM_PAGE_WBINVD, with_hkid(t, page), &r), TDX_SUCCESS);
	assert_status(phy(t, TDH_PHYMEM_PAGE_WBINVD, with_hkid(t, page) + 0x200, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(phy(t, TDH_PHYMEM_PAGE_WBINVD, tdtest_beyond_memory(t), &r),
		      TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RCX);
	assert_status(phy(t, TDH_PHYMEM_PAGE_WBINVD, with_hkid(t, data), &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_status(phy(t, TDH_PHYMEM_PAGE_WBINVD, t->td.tdr, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_status(phy(t, TDH_PHYMEM_PAGE_WBINVD, t->h->pamt_hpa, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	platform_free_pages(t->h->plat, page, 1);
}

/* ---- TDH.PHYMEM.CACHE.WB ------------------------------------------------------- */

static void test_cache_wb_operands(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	assert_status(phy(t, TDH_PHYMEM_CACHE_WB, 2, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(phy(t, TDH_PHYMEM_CACHE_WB, ~0ULL, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	/* A live TD's HKID is ASSIGNED, not FLUSHED. */
	assert_status(phy(t, TDH_PHYMEM_CACHE_WB, 0, &r), TDX_NO_HKID_READY_TO_WBCACHE);
	assert_false(TDX_IS_ERROR(TDX_NO_HKID_READY_TO_WBCACHE));
	assert_status(phy(t, TDH_PHYMEM_CACHE_WB, 1, &r), TDX_WBCACHE_RESUME_ERROR);
}

static void test_cache_wb_flow(void **state)
{
	struct tdtest *t = *state;
	u64 tdr = t->td.tdr;
	struct seamcall_regs r;

	assert_status(phy(t, TDH_MNG_VPFLUSHDONE, tdr, &r), TDX_FLUSHVP_NOT_DONE);
	r = (struct seamcall_regs){ .rcx = t->td.vcpu[0].tdvpr };
	assert_status(tdtest_call_lp(t, 1, TDH_VP_FLUSH, &r), TDX_VCPU_NOT_ASSOCIATED);
	r = (struct seamcall_regs){ .rcx = t->td.vcpu[0].tdvpr };
	assert_status(tdtest_call(t, TDH_VP_FLUSH, &r), TDX_SUCCESS);
	assert_status(phy(t, TDH_MNG_VPFLUSHDONE, tdr, &r), TDX_SUCCESS);
	assert_status(phy(t, TDH_MNG_KEY_FREEID, tdr, &r), TDX_WBCACHE_NOT_COMPLETE);
	assert_status(phy(t, TDH_PHYMEM_CACHE_WB, 1, &r), TDX_WBCACHE_RESUME_ERROR);
	assert_status(phy(t, TDH_PHYMEM_CACHE_WB, 0, &r), TDX_SUCCESS);
	/* Completed: nothing left to resume. */
	assert_status(phy(t, TDH_PHYMEM_CACHE_WB, 1, &r), TDX_WBCACHE_RESUME_ERROR);
	assert_status(phy(t, TDH_MNG_KEY_FREEID, tdr, &r), TDX_SUCCESS);
	/* The HKID is FREE now. */
	assert_status(phy(t, TDH_PHYMEM_CACHE_WB, 0, &r), TDX_NO_HKID_READY_TO_WBCACHE);
	assert_status(phy(t, TDH_MNG_KEY_FREEID, tdr, &r), TDX_LIFECYCLE_STATE_INCORRECT);
	finish_teardown(t);
}

/* ---- TDH.PHYMEM.PAGE.RDMD ----------------------------------------------------- */

static void rdmd_ok(struct tdtest *t, u64 pa, u64 pt, u64 owner, u64 level, u64 bepoch)
{
	struct seamcall_regs r;

	assert_status(phy(t, TDH_PHYMEM_PAGE_RDMD, pa, &r), TDX_SUCCESS);
	expect_md(&r, pt, owner, level);
	assert_int_equal(r.r9, bepoch);
	assert_int_equal(r.r10, 0);
	assert_int_equal(r.r11, 0);
}

static void test_rdmd_types(void **state)
{
	struct tdtest *t = *state;
	u64 page = tdtest_page(t), tdr = t->td.tdr;

	rdmd_ok(t, page, PT_NDA, 0, TDX_PS_4K, 0);
	rdmd_ok(t, t->h->pamt_hpa, PT_RSVD, 0, TDX_PS_4K, 0);
	rdmd_ok(t, t->h->pamt_hpa + (t->h->pamt_pages - 1) * TDX_PAGE_SIZE, PT_RSVD, 0,
		TDX_PS_4K, 0);
	rdmd_ok(t, tdr, PT_TDR, 0, TDX_PS_4K, 0);
	rdmd_ok(t, t->td.tdcs[0], PT_TDCX, tdr, TDX_PS_4K, 0);
	rdmd_ok(t, t->td.vcpu[0].tdvpr, PT_TDVPR, tdr, TDX_PS_4K, 0);
	rdmd_ok(t, t->td.vcpu[0].tdcx[4], PT_TDCX, tdr, TDX_PS_4K, 0);
	rdmd_ok(t, t->td.pages[0], PT_EPT, tdr, TDX_PS_4K, 0);
	rdmd_ok(t, tdtest_hpa_at(t, TDTEST_GPA, 0), PT_REG, tdr, TDX_PS_4K, 0);
	platform_free_pages(t->h->plat, page, 1);
}

static void test_rdmd_operands(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	r = (struct seamcall_regs){ .rcx = PLATFORM_MEM_BASE - TDX_PAGE_SIZE, .rdx = 7, .r9 = 7 };
	assert_status(tdtest_call(t, TDH_PHYMEM_PAGE_RDMD, &r),
		      TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RCX);
	expect_no_md(&r);
	assert_status(phy(t, TDH_PHYMEM_PAGE_RDMD, tdtest_beyond_memory(t), &r),
		      TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RCX);
	assert_status(phy(t, TDH_PHYMEM_PAGE_RDMD, t->td.tdr + 0x800, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	expect_no_md(&r);
	assert_status(phy(t, TDH_PHYMEM_PAGE_RDMD, with_hkid(t, t->td.tdr), &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(phy(t, TDH_PHYMEM_PAGE_RDMD, 1ULL << 52, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
}

/* RANGE.BLOCK stamps the blocked page (or child S-EPT page) with TD_EPOCH. */
static void test_rdmd_bepoch(void **state)
{
	struct tdtest *t = *state;
	u64 tdr = t->td.tdr, data = tdtest_hpa_at(t, TDTEST_GPA, 0);
	u64 pt_page = t->td.pages[2], epoch = tdtest_td_epoch(t);
	struct seamcall_regs r;

	rdmd_ok(t, data, PT_REG, tdr, TDX_PS_4K, 0);
	r = (struct seamcall_regs){ .rcx = TDTEST_GPA, .rdx = tdr };
	assert_status(tdtest_call(t, TDH_MEM_RANGE_BLOCK, &r), TDX_SUCCESS);
	rdmd_ok(t, data, PT_REG, tdr, TDX_PS_4K, epoch);
	assert_status(phy(t, TDH_MEM_TRACK, tdr, &r), TDX_SUCCESS);
	assert_int_equal(tdtest_td_epoch(t), epoch + 1);
	rdmd_ok(t, data, PT_REG, tdr, TDX_PS_4K, epoch);
	/* The level-1 entry over TDTEST_GPA: its child is the PT page. */
	rdmd_ok(t, pt_page, PT_EPT, tdr, TDX_PS_4K, 0);
	r = (struct seamcall_regs){ .rcx = (TDTEST_GPA & ~(TDX_PAGE_SIZE_2M - 1)) | 1, .rdx = tdr };
	assert_status(tdtest_call(t, TDH_MEM_RANGE_BLOCK, &r), TDX_SUCCESS);
	rdmd_ok(t, pt_page, PT_EPT, tdr, TDX_PS_4K, epoch + 1);
}

#define PH_TEST(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, tdtest_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PH_TEST(test_reclaim_operands, tdtest_setup_host),
		PH_TEST(test_reclaim_live_td, tdtest_setup_built),
		PH_TEST(test_reclaim_teardown, tdtest_setup_built),
		PH_TEST(test_reclaim_2m, tdtest_setup_td),
		PH_TEST(test_wbinvd, tdtest_setup_built),
		PH_TEST(test_cache_wb_operands, tdtest_setup_built),
		PH_TEST(test_cache_wb_flow, tdtest_setup_built),
		PH_TEST(test_rdmd_types, tdtest_setup_built),
		PH_TEST(test_rdmd_operands, tdtest_setup_built),
		PH_TEST(test_rdmd_bepoch, tdtest_setup_finalized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
