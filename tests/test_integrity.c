// SPDX-License-Identifier: MIT
/*
 * TDX logical integrity: the host cannot read a TD's memory (it sees
 * zeros), and a host write behind the TD's back is caught the next time the
 * module consumes that memory: the TD becomes fatal, nothing else does.
 */
#include "tdtest.h"

#include <errno.h>
#include <string.h>

static u64 extend(struct tdtest *t, u64 gpa)
{
	struct seamcall_regs r = { .rcx = gpa, .rdx = t->td.tdr };

	return tdtest_call(t, TDH_MR_EXTEND, &r);
}

static void test_host_reads_zeros(void **state)
{
	struct tdtest *t = *state;
	u8 buf[TDX_PAGE_SIZE], zero[TDX_PAGE_SIZE] = { 0 };

	assert_int_equal(platform_host_read(t->h->plat, tdtest_hpa_at(t, TDTEST_GPA, 0), buf,
					    sizeof(buf)), 0);
	assert_memory_equal(buf, zero, sizeof(buf));
	assert_int_equal(platform_host_read(t->h->plat, t->td.tdcs[0], buf, sizeof(buf)), 0);
	assert_memory_equal(buf, zero, sizeof(buf));
	/* Reading through the TD's own KeyID is refused outright. */
	assert_int_equal(platform_host_read(t->h->plat,
					    platform_hpa_with_keyid(t->h->plat, t->td.tdr,
								    (u32)t->td.hkid),
					    buf, 8), -EPERM);
}

static void test_poisoned_page_kills_td(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	assert_status(extend(t, TDTEST_GPA), TDX_SUCCESS);
	platform_host_write(t->h->plat, tdtest_hpa_at(t, TDTEST_GPA, 0) + 200, "!", 1);
	/* Pages the host did not touch are still fine... */
	assert_status(extend(t, TDTEST_GPA + TDX_PAGE_SIZE), TDX_SUCCESS);
	/* ...consuming the poisoned one is a machine check: the TD dies. */
	assert_status(extend(t, TDTEST_GPA), TDX_TD_FATAL);
	assert_status(extend(t, TDTEST_GPA + TDX_PAGE_SIZE), TDX_TD_FATAL);
	r = (struct seamcall_regs){ .rcx = t->td.tdr, .rdx = MD_TD_OP_STATE };
	assert_status(tdtest_call(t, TDH_MNG_RD, &r), TDX_TD_FATAL);
	r = (struct seamcall_regs){ .rcx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MR_FINALIZE, &r), TDX_TD_FATAL);
	/* The fixture's teardown proves a fatal TD can still be reclaimed. */
}

static void test_poisoned_tdcs(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r = { .rcx = t->td.tdr, .rdx = MD_TD_OP_STATE };

	platform_host_fill(t->h->plat, t->td.tdcs[0] + 512, 0, 64);
	assert_status(tdtest_call(t, TDH_MNG_RD, &r), TDX_TD_FATAL);
}

static void test_poisoned_sept(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	/* The S-EPT root lives in TDCS page 3. */
	platform_host_fill(t->h->plat, t->td.tdcs[3], 0xFF, 8);
	r = (struct seamcall_regs){ .rcx = TDTEST_GPA, .rdx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MEM_SEPT_RD, &r), TDX_TD_FATAL);
}

static void test_other_tds_unaffected(void **state)
{
	struct tdtest *t = *state;
	struct td_params tp;
	struct tdlib_td other;

	tdlib_default_params(&tp);
	assert_status(tdlib_create(t->h, &other, &tp), TDX_SUCCESS);
	platform_host_write(t->h->plat, tdtest_hpa_at(t, TDTEST_GPA, 0), "!", 1);
	assert_status(extend(t, TDTEST_GPA), TDX_TD_FATAL);
	assert_status(tdlib_add_vcpu(&other, 0, 0), TDX_SUCCESS);
	assert_status(tdlib_aug(&other, 0x400000, 0), TDX_SUCCESS);
	assert_status(tdlib_teardown(&other), TDX_SUCCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_reads_zeros, tdtest_setup_built,
						tdtest_teardown),
		cmocka_unit_test_setup_teardown(test_poisoned_page_kills_td, tdtest_setup_built,
						tdtest_teardown),
		cmocka_unit_test_setup_teardown(test_poisoned_tdcs, tdtest_setup_built,
						tdtest_teardown),
		cmocka_unit_test_setup_teardown(test_poisoned_sept, tdtest_setup_built,
						tdtest_teardown),
		cmocka_unit_test_setup_teardown(test_other_tds_unaffected, tdtest_setup_built,
						tdtest_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
