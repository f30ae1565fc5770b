// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.RD / TDH.MEM.WR: host access to the private memory of a DEBUG
 * TD, 8 bytes at a time.  A production TD refuses both; GPA alignment,
 * validity and the S-EPT state of the target are checked in that order.
 */
#include "tdtest.h"

#include <stdlib.h>
#include <string.h>

#define RW_NR_PAGES	2

static u64 pattern(u64 gpa)
{
	return gpa * 0x9E3779B97F4A7C15ULL ^ 0x0123456789ABCDEFULL;
}

/* A DEBUG TD with one vCPU and RW_NR_PAGES pages whose word at GPA g is pattern(g). */
static int setup_debug(void **state)
{
	u64 page[TDX_PAGE_SIZE / 8];
	struct td_params tp;
	struct tdtest *t;

	tdtest_setup_host(state);
	t = *state;
	tdlib_default_params(&tp);
	tp.attributes |= TDX_ATTR_DEBUG;
	assert_status(tdlib_create(t->h, &t->td, &tp), TDX_SUCCESS);
	t->has_td = true;
	assert_status(tdlib_add_vcpu(&t->td, 0, 0), TDX_SUCCESS);
	for (u64 p = 0; p < RW_NR_PAGES; p++) {
		u64 gpa = TDTEST_GPA + p * TDX_PAGE_SIZE;

		for (u64 i = 0; i < TDX_PAGE_SIZE / 8; i++)
			page[i] = pattern(gpa + 8 * i);
		assert_status(tdlib_add_page(&t->td, gpa, page, true), TDX_SUCCESS);
	}
	return 0;
}

static u64 mem_rd(struct tdtest *t, u64 gpa, struct seamcall_regs *r)
{
	*r = (struct seamcall_regs){ .rcx = gpa, .rdx = t->td.tdr };
	return tdtest_call(t, TDH_MEM_RD, r);
}

static u64 mem_wr(struct tdtest *t, u64 gpa, u64 value, struct seamcall_regs *r)
{
	*r = (struct seamcall_regs){ .rcx = gpa, .rdx = t->td.tdr, .r8 = value };
	return tdtest_call(t, TDH_MEM_WR, r);
}

static u64 read_word(struct tdtest *t, u64 gpa)
{
	struct seamcall_regs r;

	assert_status(mem_rd(t, gpa, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rdx, 0);
	return r.r8;
}

/* Both leaves fail the same way on @gpa, with @rcx/@rdx details. */
static void expect_both(struct tdtest *t, u64 gpa, u64 status, u64 rcx, u64 rdx)
{
	struct seamcall_regs r;

	assert_status(mem_rd(t, gpa, &r), status);
	assert_int_equal(r.rcx, rcx);
	assert_int_equal(r.rdx, rdx);
	assert_int_equal(r.r8, 0);
	assert_status(mem_wr(t, gpa, 0x5555, &r), status);
	assert_int_equal(r.rcx, rcx);
	assert_int_equal(r.rdx, rdx);
	assert_int_equal(r.r8, 0);
}

static void test_production_non_debug(void **state)
{
	struct tdtest *t = *state;

	expect_both(t, TDTEST_GPA, TDX_TD_NON_DEBUG, 0, 0);
	/* The DEBUG check comes before the GPA checks. */
	expect_both(t, TDTEST_GPA + 4, TDX_TD_NON_DEBUG, 0, 0);
	expect_both(t, 1ULL << 39, TDX_TD_NON_DEBUG, 0, 0);
}

static void test_read_initial_contents(void **state)
{
	struct tdtest *t = *state;

	for (u64 off = 0; off < TDX_PAGE_SIZE; off += 8)
		assert_int_equal(read_word(t, TDTEST_GPA + off), pattern(TDTEST_GPA + off));
	assert_int_equal(read_word(t, TDTEST_GPA + 2 * TDX_PAGE_SIZE - 8),
			 pattern(TDTEST_GPA + 2 * TDX_PAGE_SIZE - 8));
	/* Still readable once the TD runs. */
	assert_status(tdlib_finalize(&t->td), TDX_SUCCESS);
	assert_int_equal(read_word(t, TDTEST_GPA + 0x808), pattern(TDTEST_GPA + 0x808));
}

static void test_write_returns_old(void **state)
{
	struct tdtest *t = *state;
	u64 gpa = TDTEST_GPA + TDX_PAGE_SIZE + 0x100;
	struct seamcall_regs r;

	assert_status(mem_wr(t, gpa, 0xFEEDFACECAFEBEEFULL, &r), TDX_SUCCESS);
	assert_int_equal(r.r8, pattern(gpa));
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rdx, 0);
	assert_int_equal(read_word(t, gpa), 0xFEEDFACECAFEBEEFULL);
	/* Only those 8 bytes changed. */
	assert_int_equal(read_word(t, gpa - 8), pattern(gpa - 8));
	assert_int_equal(read_word(t, gpa + 8), pattern(gpa + 8));
	/* A second write returns the first write's value. */
	assert_status(tdlib_finalize(&t->td), TDX_SUCCESS);
	assert_status(mem_wr(t, gpa, 0, &r), TDX_SUCCESS);
	assert_int_equal(r.r8, 0xFEEDFACECAFEBEEFULL);
	assert_int_equal(read_word(t, gpa), 0);
}

static void test_misaligned(void **state)
{
	struct tdtest *t = *state;

	for (u64 off = 1; off < 8; off++)
		expect_both(t, TDTEST_GPA + off, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX, 0, 0);
	assert_int_equal(read_word(t, TDTEST_GPA), pattern(TDTEST_GPA));
}

static void test_invalid_gpa(void **state)
{
	struct tdtest *t = *state;
	const u64 st = TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX;

	expect_both(t, TDTEST_GPA | GPA_SHARED_BIT, st, 0, 0);
	expect_both(t, TDTEST_GPA | (1ULL << 48), st, 0, 0);
	expect_both(t, TDTEST_GPA | (1ULL << 52), st, 0, 0);
}

static void test_unmapped(void **state)
{
	struct tdtest *t = *state;
	const u64 st = TDX_EPT_ENTRY_NOT_PRESENT | TDX_OPERAND_ID_RCX;

	expect_both(t, 1ULL << 39, st, ARCH_SVE, 3);
	expect_both(t, 1ULL << 30, st, ARCH_SVE, 2);
	expect_both(t, 1ULL << 21, st, ARCH_SVE, 1);
	expect_both(t, TDTEST_GPA + RW_NR_PAGES * TDX_PAGE_SIZE + 8, st, ARCH_SVE, 0);
}

static void test_pending_page(void **state)
{
	struct tdtest *t = *state;
	u64 gpa = TDTEST_GPA + RW_NR_PAGES * TDX_PAGE_SIZE;
	struct seamcall_regs r;
	u64 hpa;

	assert_status(tdlib_aug(&t->td, gpa, 0), TDX_SUCCESS);
	hpa = tdtest_last_page(t);
	assert_status(mem_rd(t, gpa + 0x10, &r), TDX_EPT_ENTRY_NOT_PRESENT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx & HPA_MASK, hpa);
	assert_int_equal(r.rcx & 7, 0);
	assert_int_equal(r.rdx, (u64)SEPT_PENDING << 8);
	assert_status(mem_wr(t, gpa + 0x10, 1, &r), TDX_EPT_ENTRY_NOT_PRESENT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rdx, (u64)SEPT_PENDING << 8);
	assert_int_equal(r.r8, 0);
}

static void test_blocked_page(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r = { .rcx = TDTEST_GPA, .rdx = t->td.tdr };

	assert_status(tdtest_call(t, TDH_MEM_RANGE_BLOCK, &r), TDX_SUCCESS);
	assert_status(mem_rd(t, TDTEST_GPA, &r), TDX_EPT_ENTRY_NOT_PRESENT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rdx, (u64)SEPT_BLOCKED << 8);
	/* The other page is unaffected. */
	assert_int_equal(read_word(t, TDTEST_GPA + TDX_PAGE_SIZE),
			 pattern(TDTEST_GPA + TDX_PAGE_SIZE));
}

static void test_tdr_operand(void **state)
{
	struct tdtest *t = *state;
	u64 free_page = tdtest_page(t);
	struct seamcall_regs r;

	r = (struct seamcall_regs){ .rcx = TDTEST_GPA, .rdx = t->td.tdr + 8 };
	assert_status(tdtest_call(t, TDH_MEM_RD, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	r = (struct seamcall_regs){ .rcx = TDTEST_GPA, .rdx = free_page };
	assert_status(tdtest_call(t, TDH_MEM_RD, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
	r = (struct seamcall_regs){ .rcx = TDTEST_GPA, .rdx = t->td.vcpu[0].tdvpr, .r8 = 1 };
	assert_status(tdtest_call(t, TDH_MEM_WR, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
	r = (struct seamcall_regs){ .rcx = TDTEST_GPA, .rdx = PLATFORM_MEM_BASE - TDX_PAGE_SIZE };
	assert_status(tdtest_call(t, TDH_MEM_WR, &r),
		      TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RDX);
	platform_free_pages(t->h->plat, free_page, 1);
	assert_int_equal(read_word(t, TDTEST_GPA), pattern(TDTEST_GPA));
}

#define RW_TEST(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, tdtest_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		RW_TEST(test_production_non_debug, tdtest_setup_built),
		RW_TEST(test_read_initial_contents, setup_debug),
		RW_TEST(test_write_returns_old, setup_debug),
		RW_TEST(test_misaligned, setup_debug),
		RW_TEST(test_invalid_gpa, setup_debug),
		RW_TEST(test_unmapped, setup_debug),
		RW_TEST(test_pending_page, setup_debug),
		RW_TEST(test_blocked_page, setup_debug),
		RW_TEST(test_tdr_operand, setup_debug),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
