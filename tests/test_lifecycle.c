// SPDX-License-Identifier: MIT
/*
 * Whole TD lifecycles, in the order a host runs them, and the ordering
 * rules between the steps: create -> keys -> TDCS -> init -> vCPUs ->
 * S-EPT/PAGE.ADD/EXTEND -> finalize -> AUG -> block/track/remove -> flush
 * -> free the HKID -> reclaim every page, with a count proving no page
 * leaks and the HKID can be used again.
 */
#include "tdtest.h"

static u64 call1(struct tdtest *t, u64 leaf, u64 rcx)
{
	struct seamcall_regs r = { .rcx = rcx };

	return tdtest_call(t, leaf, &r);
}

static void test_full_lifecycle_no_leak(void **state)
{
	struct tdtest *t = *state;
	u8 page[TDX_PAGE_SIZE] = { 0x42 };
	struct td_params tp;
	struct tdlib_td td;
	u64 before = platform_free_page_count(t->h->plat);
	u64 used;

	tdlib_default_params(&tp);
	assert_status(tdlib_create(t->h, &td, &tp), TDX_SUCCESS);
	assert_status(tdlib_add_vcpu(&td, 0, 0x1234), TDX_SUCCESS);
	assert_status(tdlib_add_vcpu(&td, 1, 0x1234), TDX_SUCCESS);
	for (u64 i = 0; i < 8; i++)
		assert_status(tdlib_add_page(&td, 0xFFFF8000ULL + i * TDX_PAGE_SIZE, page, i & 1),
			      TDX_SUCCESS);
	assert_status(tdlib_finalize(&td), TDX_SUCCESS);
	assert_status(tdlib_aug(&td, 0x200000, 1), TDX_SUCCESS);	/* 2M */
	for (u64 i = 0; i < 4; i++)
		assert_status(tdlib_aug(&td, 0x400000 + i * TDX_PAGE_SIZE, 0), TDX_SUCCESS);
	assert_status(tdlib_remove(&td, 0x200000, 1), TDX_SUCCESS);
	assert_status(tdlib_remove(&td, 0x400000, 0), TDX_SUCCESS);
	used = before - platform_free_page_count(t->h->plat);
	/* TDR, 6 TDCS, 2 x 6 TDVPS, S-EPT tables, 8 + 3 private pages, source. */
	assert_true(used > 1 + 6 + 12 + 8 + 3);
	assert_status(tdlib_teardown(&td), TDX_SUCCESS);
	assert_int_equal(platform_free_page_count(t->h->plat), before);
	/* The HKID is free again: a new TD can take it. */
	assert_status(tdlib_create(t->h, &td, &tp), TDX_SUCCESS);
	assert_status(tdlib_teardown(&td), TDX_SUCCESS);
}

static void test_teardown_order(void **state)
{
	struct tdtest *t = *state;
	struct tdlib_td *td = &t->td;
	struct seamcall_regs r;

	/* Pages cannot be reclaimed from a live TD. */
	assert_status(call1(t, TDH_PHYMEM_PAGE_RECLAIM, td->tdcs[0]),
		      TDX_LIFECYCLE_STATE_INCORRECT);
	assert_status(call1(t, TDH_MNG_KEY_FREEID, td->tdr), TDX_LIFECYCLE_STATE_INCORRECT);
	/* A vCPU still associated with LP 0 blocks VPFLUSHDONE. */
	assert_status(call1(t, TDH_MNG_VPFLUSHDONE, td->tdr), TDX_FLUSHVP_NOT_DONE);
	r = (struct seamcall_regs){ .rcx = td->vcpu[0].tdvpr };
	assert_status(tdtest_call_lp(t, 1, TDH_VP_FLUSH, &r), TDX_VCPU_NOT_ASSOCIATED);
	assert_status(call1(t, TDH_VP_FLUSH, td->vcpu[0].tdvpr), TDX_SUCCESS);
	assert_status(call1(t, TDH_MNG_VPFLUSHDONE, td->tdr), TDX_SUCCESS);
	/* Blocked: nothing builds or runs any more. */
	assert_status(tdlib_aug(td, 0x800000, 0), TDX_TD_KEYS_NOT_CONFIGURED);
	assert_status(call1(t, TDH_MNG_VPFLUSHDONE, td->tdr), TDX_LIFECYCLE_STATE_INCORRECT);
	/* The HKID cannot be freed before its cache lines are written back. */
	assert_status(call1(t, TDH_MNG_KEY_FREEID, td->tdr), TDX_WBCACHE_NOT_COMPLETE);
	assert_status(call1(t, TDH_PHYMEM_CACHE_WB, 0), TDX_SUCCESS);
	assert_status(call1(t, TDH_MNG_KEY_FREEID, td->tdr), TDX_SUCCESS);
	/* No HKID is waiting for a write-back any more. */
	assert_status(call1(t, TDH_PHYMEM_CACHE_WB, 0), TDX_NO_HKID_READY_TO_WBCACHE);
	/* The TDR goes last: its children keep it alive. */
	r = (struct seamcall_regs){ .rcx = td->tdr };
	assert_status(tdtest_call(t, TDH_PHYMEM_PAGE_RECLAIM, &r), TDX_TD_ASSOCIATED_PAGES_EXIST);
	assert_int_equal(r.rcx, PT_TDR);
	assert_status(tdlib_reclaim_all(td), TDX_SUCCESS);
	t->has_td = false;
}

static void test_hkid_reuse_needs_teardown(void **state)
{
	struct tdtest *t = *state;
	u64 tdr = tdtest_page(t);
	struct seamcall_regs r = { .rcx = tdr, .rdx = (u64)t->td.hkid };

	assert_status(tdtest_call(t, TDH_MNG_CREATE, &r), TDX_HKID_NOT_FREE);
	/* The global HKID belongs to the module itself. */
	r = (struct seamcall_regs){ .rcx = tdr, .rdx = t->h->global_hkid };
	assert_status(tdtest_call(t, TDH_MNG_CREATE, &r), TDX_HKID_NOT_FREE);
	platform_free_pages(t->h->plat, tdr, 1);
}

static void test_many_tds(void **state)
{
	struct tdtest *t = *state;
	struct tdlib_td td[8];
	struct td_params tp;
	u8 page[TDX_PAGE_SIZE] = { 1 };

	tdlib_default_params(&tp);
	for (int i = 0; i < 8; i++) {
		assert_status(tdlib_create(t->h, &td[i], &tp), TDX_SUCCESS);
		assert_status(tdlib_add_vcpu(&td[i], 0, 0), TDX_SUCCESS);
		assert_status(tdlib_add_page(&td[i], 0, page, true), TDX_SUCCESS);
		assert_status(tdlib_finalize(&td[i]), TDX_SUCCESS);
	}
	for (int i = 7; i >= 0; i--)
		assert_status(tdlib_teardown(&td[i]), TDX_SUCCESS);
}

/*
 * GPAW 52: a 5-level Secure-EPT, the shared bit at 51, and private GPAs
 * above 256 TiB.  The same lifecycle works end to end.
 */
static void test_five_level_td(void **state)
{
	struct tdtest *t = *state;
	const u64 high = 1ULL << 50;
	u8 page[TDX_PAGE_SIZE] = { 7 };
	struct seamcall_regs r;
	struct td_params tp;
	struct tdlib_td td;

	tdlib_default_params(&tp);
	tp.config_flags = TDX_CONFIG_FLAGS_GPAW;
	tp.eptp_controls = TDX_EPTP_MT_WB | (4ULL << TDX_EPTP_PWL_SHIFT);
	assert_status(tdlib_create(t->h, &td, &tp), TDX_SUCCESS);
	assert_status(tdlib_add_vcpu(&td, 0, 0), TDX_SUCCESS);
	assert_status(tdlib_add_page(&td, high, page, true), TDX_SUCCESS);
	/* Bit 47 is an ordinary address bit now; bit 51 is the shared one. */
	assert_status(tdlib_add_page(&td, 1ULL << 47, page, true), TDX_SUCCESS);
	r = (struct seamcall_regs){ .rcx = (1ULL << 51) | 4, .rdx = td.tdr, .r8 = td.source };
	assert_status(tdtest_call(t, TDH_MEM_SEPT_ADD, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	/* The root is a PML5 table: level 4 is the top SEPT.ADD level. */
	r = (struct seamcall_regs){ .rcx = high | 4, .rdx = td.tdr };
	assert_status(tdtest_call(t, TDH_MEM_SEPT_RD, &r), TDX_SUCCESS);
	assert_int_equal(r.rdx, 4 | (u64)SEPT_NL_MAPPED << 8);
	assert_status(tdlib_finalize(&td), TDX_SUCCESS);
	assert_status(tdlib_aug(&td, high + TDX_PAGE_SIZE_2M, 1), TDX_SUCCESS);
	assert_status(tdlib_remove(&td, high + TDX_PAGE_SIZE_2M, 1), TDX_SUCCESS);
	assert_status(tdlib_teardown(&td), TDX_SUCCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_lifecycle_no_leak, tdtest_setup_host,
						tdtest_teardown),
		cmocka_unit_test_setup_teardown(test_teardown_order, tdtest_setup_finalized,
						tdtest_teardown),
		cmocka_unit_test_setup_teardown(test_hkid_reuse_needs_teardown, tdtest_setup_td,
						tdtest_teardown),
		cmocka_unit_test_setup_teardown(test_many_tds, tdtest_setup_host, tdtest_teardown),
		cmocka_unit_test_setup_teardown(test_five_level_td, tdtest_setup_host,
						tdtest_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
