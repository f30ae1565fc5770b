// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.RANGE.BLOCK / UNBLOCK and TDH.MEM.TRACK: the S-EPT state changes
 * of blocking, the TD epoch, and the BLOCK -> TRACK -> REMOVE rule: a page
 * blocked in epoch e is tracked once td_epoch > e + 1, or td_epoch == e + 1
 * with no vCPU left in epoch e (no vCPU ever runs here).
 */
#include "tdtest.h"

#include <stdlib.h>
#include <string.h>

#define GPA_PAGE(i)		(TDTEST_GPA + (u64)(i) * TDX_PAGE_SIZE)
#define GPA_2M			0x400000ULL

/* ---- SEAMCALL wrappers ------------------------------------------------------- */

static u64 block(struct tdtest *t, u64 gpa, int level)
{
	struct seamcall_regs r;
	u64 st = tdtest_mem_call(t, TDH_MEM_RANGE_BLOCK, gpa, level, &r);

	if (st == TDX_SUCCESS) {
		assert_int_equal(r.rcx, 0);
		assert_int_equal(r.rdx, 0);
	}
	return st;
}

static u64 unblock(struct tdtest *t, u64 gpa, int level)
{
	struct seamcall_regs r;

	return tdtest_mem_call(t, TDH_MEM_RANGE_UNBLOCK, gpa, level, &r);
}

/* The BEPOCH the PAMT holds for @pa (PHYMEM.PAGE.RDMD R9). */
static u64 bepoch(struct tdtest *t, u64 pa)
{
	struct seamcall_regs r = { .rcx = pa };

	assert_status(tdtest_call(t, TDH_PHYMEM_PAGE_RDMD, &r), TDX_SUCCESS);
	return r.r9;
}

static u64 remove_page(struct tdtest *t, u64 gpa, int level)
{
	struct seamcall_regs r;
	u64 st = tdtest_mem_call(t, TDH_MEM_PAGE_REMOVE, gpa, level, &r);

	if (st == TDX_SUCCESS)
		tdlib_release_page(&t->td, r.rcx);
	return st;
}

static u64 aug(struct tdtest *t, u64 gpa, int level)
{
	u64 nr = level ? 512 : 1;
	u64 pa = platform_alloc_pages(t->h->plat, nr, nr);
	struct seamcall_regs r = { .rcx = gpa | (u64)level, .rdx = t->td.tdr, .r8 = pa };

	assert_true(pa != PLATFORM_NO_HPA);
	assert_status(tdtest_call(t, TDH_MEM_PAGE_AUG, &r), TDX_SUCCESS);
	tdlib_adopt_page(&t->td, pa, nr);
	return pa;
}

/* SEPT.ADD of a fresh table at (@gpa, @level); returns its HPA. */
static u64 add_table(struct tdtest *t, u64 gpa, int level)
{
	u64 pa = tdtest_page(t);
	struct seamcall_regs r = { .rcx = gpa | (u64)level, .rdx = t->td.tdr, .r8 = pa };

	assert_status(tdtest_call(t, TDH_MEM_SEPT_ADD, &r), TDX_SUCCESS);
	tdlib_adopt_page(&t->td, pa, 1);
	return pa;
}

/* ---- TDH.MEM.RANGE.BLOCK ----------------------------------------------------------- */

static void test_block_mapped(void **state)
{
	struct tdtest *t = *state;
	u64 hpa = tdtest_hpa_at(t, TDTEST_GPA, 0);

	assert_status(block(t, TDTEST_GPA, 0), TDX_SUCCESS);
	tdtest_assert_entry(t, TDTEST_GPA, 0, ARCH_NO_ACCESS(hpa), SEPT_INFO(0, SEPT_BLOCKED));
	assert_int_equal(bepoch(t, hpa), tdtest_td_epoch(t));
	/* The neighbours are untouched. */
	tdtest_assert_entry(t, GPA_PAGE(1), 0, ARCH_MAPPED(tdtest_hpa_at(t, GPA_PAGE(1), 0)),
			    SEPT_INFO(0, SEPT_MAPPED));
}

static void test_block_pending(void **state)
{
	struct tdtest *t = *state;
	u64 pa = aug(t, GPA_NEXT, 0), big = aug(t, GPA_2M, 1);

	assert_status(block(t, GPA_NEXT, 0), TDX_SUCCESS);
	tdtest_assert_entry(t, GPA_NEXT, 0, ARCH_NO_ACCESS(pa), SEPT_INFO(0, SEPT_PENDING_BLOCKED));
	assert_status(tdtest_track(t), TDX_SUCCESS);
	assert_status(block(t, GPA_2M, 1), TDX_SUCCESS);
	tdtest_assert_entry(t, GPA_2M, 1, ARCH_NO_ACCESS(big) | ARCH_PS,
			    SEPT_INFO(1, SEPT_PENDING_BLOCKED));
	/* A 2M page's BEPOCH is in its 2M PAMT entry. */
	assert_int_equal(bepoch(t, big), tdtest_td_epoch(t));
	assert_int_equal(bepoch(t, pa), tdtest_td_epoch(t) - 1);
}

static void test_block_non_leaf(void **state)
{
	struct tdtest *t = *state;
	u64 table = add_table(t, GPA_NO_PT, 1);
	struct seamcall_regs r;

	assert_status(tdtest_track(t), TDX_SUCCESS);
	assert_status(tdtest_track(t), TDX_SUCCESS);
	assert_status(block(t, GPA_NO_PT, 1), TDX_SUCCESS);
	tdtest_assert_entry(t, GPA_NO_PT, 1, ARCH_NL_BLOCKED, SEPT_INFO(1, SEPT_NL_BLOCKED));
	/* The BEPOCH of a non-leaf is the child table's. */
	assert_int_equal(bepoch(t, table), tdtest_td_epoch(t));
	/* Below a blocked non-leaf nothing is reachable. */
	assert_status(block(t, 0, 1), TDX_SUCCESS);
	assert_status(tdtest_mem_call(t, TDH_MEM_RANGE_BLOCK, TDTEST_GPA, 0, &r),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NL_BLOCKED);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_NL_BLOCKED));
	/* The whole top level can be blocked too. */
	assert_status(block(t, 0, 3), TDX_SUCCESS);
	tdtest_assert_entry(t, 0, 3, ARCH_NL_BLOCKED, SEPT_INFO(3, SEPT_NL_BLOCKED));
}

static void test_block_twice(void **state)
{
	struct tdtest *t = *state;
	u64 hpa = tdtest_hpa_at(t, TDTEST_GPA, 0), pa = aug(t, GPA_NEXT, 0), e = tdtest_td_epoch(t);
	struct seamcall_regs r;
	u64 st;

	assert_status(block(t, TDTEST_GPA, 0), TDX_SUCCESS);
	assert_status(block(t, GPA_NEXT, 0), TDX_SUCCESS);
	assert_status(tdtest_track(t), TDX_SUCCESS);
	st = tdtest_mem_call(t, TDH_MEM_RANGE_BLOCK, TDTEST_GPA, 0, &r);
	assert_status(st, TDX_GPA_RANGE_ALREADY_BLOCKED | TDX_OPERAND_ID_RCX);
	assert_false(TDX_IS_ERROR(st));
	assert_int_equal(r.rcx, ARCH_NO_ACCESS(hpa));
	assert_int_equal(r.rdx, SEPT_INFO(0, SEPT_BLOCKED));
	/* The second BLOCK does not restamp the epoch. */
	assert_int_equal(bepoch(t, hpa), e);
	assert_status(tdtest_mem_call(t, TDH_MEM_RANGE_BLOCK, GPA_NEXT, 0, &r),
		      TDX_GPA_RANGE_ALREADY_BLOCKED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NO_ACCESS(pa));
	assert_int_equal(r.rdx, SEPT_INFO(0, SEPT_PENDING_BLOCKED));
	assert_int_equal(bepoch(t, pa), e);
	assert_status(block(t, 0, 1), TDX_SUCCESS);
	assert_status(tdtest_mem_call(t, TDH_MEM_RANGE_BLOCK, 0, 1, &r),
		      TDX_GPA_RANGE_ALREADY_BLOCKED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NL_BLOCKED);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_NL_BLOCKED));
}

static void test_block_errors(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	assert_status(tdtest_mem_call(t, TDH_MEM_RANGE_BLOCK, GPA_NEXT, 0, &r),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_FREE);
	assert_int_equal(r.rdx, SEPT_INFO(0, SEPT_FREE));
	assert_status(tdtest_mem_call(t, TDH_MEM_RANGE_BLOCK, GPA_NO_PT, 1, &r),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_FREE));
	assert_status(tdtest_mem_call(t, TDH_MEM_RANGE_BLOCK, GPA_NO_PT, 0, &r),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_FREE);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_FREE));
	assert_status(tdtest_mem_call(t, TDH_MEM_RANGE_BLOCK, 0, 4, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(tdtest_mem_call(t, TDH_MEM_RANGE_BLOCK, TDTEST_GPA, 1, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(tdtest_mem_call(t, TDH_MEM_RANGE_BLOCK, TDTEST_GPA | 1ULL << 47, 0, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = TDTEST_GPA, .rdx = t->td.tdcs[0] };
	assert_status(tdtest_call(t, TDH_MEM_RANGE_BLOCK, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
	tdtest_assert_entry(t, TDTEST_GPA, 0, ARCH_MAPPED(tdtest_hpa_at(t, TDTEST_GPA, 0)),
			    SEPT_INFO(0, SEPT_MAPPED));
}

/* ---- TDH.MEM.RANGE.UNBLOCK --------------------------------------------------------- */

static void test_unblock_before_finalize(void **state)
{
	struct tdtest *t = *state;
	u64 hpa = tdtest_hpa_at(t, TDTEST_GPA, 0), pa = aug(t, GPA_NEXT, 0);

	assert_status(block(t, TDTEST_GPA, 0), TDX_SUCCESS);
	assert_status(block(t, GPA_NEXT, 0), TDX_SUCCESS);
	/* INITIALIZED needs no TLB tracking. */
	assert_status(unblock(t, TDTEST_GPA, 0), TDX_SUCCESS);
	tdtest_assert_entry(t, TDTEST_GPA, 0, ARCH_MAPPED(hpa), SEPT_INFO(0, SEPT_MAPPED));
	assert_status(unblock(t, GPA_NEXT, 0), TDX_SUCCESS);
	tdtest_assert_entry(t, GPA_NEXT, 0, ARCH_NO_ACCESS(pa), SEPT_INFO(0, SEPT_PENDING));
	assert_status(block(t, 0, 1), TDX_SUCCESS);
	assert_status(unblock(t, 0, 1), TDX_SUCCESS);
	tdtest_assert_entry(t, 0, 1, ARCH_NL_MAPPED, SEPT_INFO(1, SEPT_NL_MAPPED));
	tdtest_assert_entry(t, TDTEST_GPA, 0, ARCH_MAPPED(hpa), SEPT_INFO(0, SEPT_MAPPED));
}

static void test_unblock_runnable(void **state)
{
	struct tdtest *t = *state;
	u64 hpa = tdtest_hpa_at(t, TDTEST_GPA, 0);
	struct seamcall_regs r;

	assert_status(block(t, TDTEST_GPA, 0), TDX_SUCCESS);
	assert_status(tdtest_mem_call(t, TDH_MEM_RANGE_UNBLOCK, TDTEST_GPA, 0, &r),
		      TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_SEPT);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rdx, 0);
	tdtest_assert_entry(t, TDTEST_GPA, 0, ARCH_NO_ACCESS(hpa), SEPT_INFO(0, SEPT_BLOCKED));
	assert_status(tdtest_track(t), TDX_SUCCESS);
	assert_status(tdtest_mem_call(t, TDH_MEM_RANGE_UNBLOCK, TDTEST_GPA, 0, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rdx, 0);
	tdtest_assert_entry(t, TDTEST_GPA, 0, ARCH_MAPPED(hpa), SEPT_INFO(0, SEPT_MAPPED));
}

static void test_unblock_runnable_non_leaf(void **state)
{
	struct tdtest *t = *state;
	u64 pa = aug(t, GPA_NEXT, 0);

	assert_status(block(t, 0, 1), TDX_SUCCESS);
	assert_status(unblock(t, 0, 1), TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_SEPT);
	assert_status(tdtest_track(t), TDX_SUCCESS);
	assert_status(unblock(t, 0, 1), TDX_SUCCESS);
	tdtest_assert_entry(t, 0, 1, ARCH_NL_MAPPED, SEPT_INFO(1, SEPT_NL_MAPPED));
	assert_status(block(t, GPA_NEXT, 0), TDX_SUCCESS);
	assert_status(unblock(t, GPA_NEXT, 0), TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_SEPT);
	assert_status(tdtest_track(t), TDX_SUCCESS);
	assert_status(unblock(t, GPA_NEXT, 0), TDX_SUCCESS);
	tdtest_assert_entry(t, GPA_NEXT, 0, ARCH_NO_ACCESS(pa), SEPT_INFO(0, SEPT_PENDING));
}

static void test_unblock_not_blocked(void **state)
{
	struct tdtest *t = *state;
	u64 hpa = tdtest_hpa_at(t, TDTEST_GPA, 0), pa = aug(t, GPA_NEXT, 0);
	struct seamcall_regs r;

	assert_status(tdtest_mem_call(t, TDH_MEM_RANGE_UNBLOCK, TDTEST_GPA, 0, &r),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_MAPPED(hpa));
	assert_int_equal(r.rdx, SEPT_INFO(0, SEPT_MAPPED));
	assert_status(tdtest_mem_call(t, TDH_MEM_RANGE_UNBLOCK, GPA_NEXT, 0, &r),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NO_ACCESS(pa));
	assert_int_equal(r.rdx, SEPT_INFO(0, SEPT_PENDING));
	assert_status(tdtest_mem_call(t, TDH_MEM_RANGE_UNBLOCK, 0, 1, &r),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_NL_MAPPED));
	assert_status(tdtest_mem_call(t, TDH_MEM_RANGE_UNBLOCK, GPA_PAGE(5), 0, &r),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_FREE);
	assert_int_equal(r.rdx, SEPT_INFO(0, SEPT_FREE));
	assert_status(tdtest_mem_call(t, TDH_MEM_RANGE_UNBLOCK, GPA_NO_PT, 0, &r),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_status(tdtest_mem_call(t, TDH_MEM_RANGE_UNBLOCK, 0, 5, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
}

/* ---- TDH.MEM.TRACK ------------------------------------------------------------------- */

static void test_track_epoch(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	/* MNG.INIT starts the TD in epoch 1. */
	assert_int_equal(tdtest_td_epoch(t), 1);
	for (u64 e = 2; e <= 5; e++) {
		r = (struct seamcall_regs){ .rcx = t->td.tdr, .rdx = 0x1234 };
		assert_status(tdtest_call(t, TDH_MEM_TRACK, &r), TDX_SUCCESS);
		/* TRACK has no outputs and leaves RCX/RDX alone. */
		assert_int_equal(r.rcx, t->td.tdr);
		assert_int_equal(r.rdx, 0x1234);
		assert_int_equal(tdtest_td_epoch(t), e);
	}
}

static void test_track_operands(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 free_pa = tdtest_page(t), e = tdtest_td_epoch(t);

	r = (struct seamcall_regs){ .rcx = t->td.tdr + 8 };
	assert_status(tdtest_call(t, TDH_MEM_TRACK, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){
		.rcx = platform_hpa_with_keyid(t->h->plat, t->td.tdr, (u32)t->td.hkid) };
	assert_status(tdtest_call(t, TDH_MEM_TRACK, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = 0x1000 };
	assert_status(tdtest_call(t, TDH_MEM_TRACK, &r),
		      TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = t->td.tdcs[0] };
	assert_status(tdtest_call(t, TDH_MEM_TRACK, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = free_pa };
	assert_status(tdtest_call(t, TDH_MEM_TRACK, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	/* RDX is not an operand of TRACK. */
	r = (struct seamcall_regs){ .rcx = t->td.tdr, .rdx = free_pa | 1 };
	assert_status(tdtest_call(t, TDH_MEM_TRACK, &r), TDX_SUCCESS);
	assert_int_equal(tdtest_td_epoch(t), e + 1);
	platform_free_pages(t->h->plat, free_pa, 1);
}

/* ---- BLOCK -> TRACK -> REMOVE ------------------------------------------------------ */

static void test_epoch_one_track(void **state)
{
	struct tdtest *t = *state;
	u64 e = tdtest_td_epoch(t), hpa = tdtest_hpa_at(t, TDTEST_GPA, 0);

	assert_status(block(t, TDTEST_GPA, 0), TDX_SUCCESS);
	assert_int_equal(bepoch(t, hpa), e);
	assert_status(remove_page(t, TDTEST_GPA, 0),
		      TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_RCX);
	assert_status(tdtest_track(t), TDX_SUCCESS);
	/* td_epoch == e + 1 and no vCPU in epoch e: tracked. */
	assert_status(remove_page(t, TDTEST_GPA, 0), TDX_SUCCESS);
	tdtest_assert_entry(t, TDTEST_GPA, 0, ARCH_FREE, SEPT_INFO(0, SEPT_FREE));
}

static void test_epoch_two_tracks(void **state)
{
	struct tdtest *t = *state;

	assert_status(block(t, TDTEST_GPA, 0), TDX_SUCCESS);
	assert_status(tdtest_track(t), TDX_SUCCESS);
	assert_status(tdtest_track(t), TDX_SUCCESS);
	/* td_epoch > e + 1: tracked whatever the refcounts. */
	assert_status(remove_page(t, TDTEST_GPA, 0), TDX_SUCCESS);
}

static void test_epoch_per_page(void **state)
{
	struct tdtest *t = *state;
	u64 e = tdtest_td_epoch(t);

	assert_status(block(t, GPA_PAGE(0), 0), TDX_SUCCESS);
	assert_status(tdtest_track(t), TDX_SUCCESS);
	/* Blocked in epoch e + 1: the TRACK before does not cover it. */
	assert_status(block(t, GPA_PAGE(1), 0), TDX_SUCCESS);
	assert_int_equal(bepoch(t, tdtest_hpa_at(t, GPA_PAGE(1), 0)), e + 1);
	assert_status(remove_page(t, GPA_PAGE(1), 0),
		      TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_RCX);
	assert_status(remove_page(t, GPA_PAGE(0), 0), TDX_SUCCESS);
	assert_status(tdtest_track(t), TDX_SUCCESS);
	assert_status(remove_page(t, GPA_PAGE(1), 0), TDX_SUCCESS);
	assert_int_equal(tdtest_td_epoch(t), e + 2);
}

static void test_epoch_unblock_reblock(void **state)
{
	struct tdtest *t = *state;

	assert_status(block(t, TDTEST_GPA, 0), TDX_SUCCESS);
	assert_status(tdtest_track(t), TDX_SUCCESS);
	assert_status(unblock(t, TDTEST_GPA, 0), TDX_SUCCESS);
	/* Blocking again restamps: the old TRACK no longer counts. */
	assert_status(block(t, TDTEST_GPA, 0), TDX_SUCCESS);
	assert_status(remove_page(t, TDTEST_GPA, 0),
		      TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_RCX);
	assert_status(tdtest_track(t), TDX_SUCCESS);
	assert_status(remove_page(t, TDTEST_GPA, 0), TDX_SUCCESS);
}

static void test_epoch_2m(void **state)
{
	struct tdtest *t = *state;

	aug(t, GPA_2M, 1);
	assert_status(block(t, GPA_2M, 1), TDX_SUCCESS);
	assert_status(remove_page(t, GPA_2M, 1), TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_RCX);
	assert_status(tdtest_track(t), TDX_SUCCESS);
	assert_status(remove_page(t, GPA_2M, 1), TDX_SUCCESS);
	tdtest_assert_entry(t, GPA_2M, 1, ARCH_FREE, SEPT_INFO(1, SEPT_FREE));
}

#define TEST(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, tdtest_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_block_mapped, tdtest_setup_built),
		TEST(test_block_pending, tdtest_setup_built),
		TEST(test_block_non_leaf, tdtest_setup_built),
		TEST(test_block_twice, tdtest_setup_built),
		TEST(test_block_errors, tdtest_setup_finalized),
		TEST(test_unblock_before_finalize, tdtest_setup_built),
		TEST(test_unblock_runnable, tdtest_setup_finalized),
		TEST(test_unblock_runnable_non_leaf, tdtest_setup_finalized),
		TEST(test_unblock_not_blocked, tdtest_setup_finalized),
		TEST(test_track_epoch, tdtest_setup_built),
		TEST(test_track_operands, tdtest_setup_finalized),
		TEST(test_epoch_one_track, tdtest_setup_finalized),
		TEST(test_epoch_two_tracks, tdtest_setup_finalized),
		TEST(test_epoch_per_page, tdtest_setup_finalized),
		TEST(test_epoch_unblock_reblock, tdtest_setup_finalized),
		TEST(test_epoch_2m, tdtest_setup_finalized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
