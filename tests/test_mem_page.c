// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.PAGE.ADD / AUG / REMOVE: private pages in and out of a TD.  ADD
 * only while the TD is built, AUG of 4K and 2M pages before and after
 * finalize, REMOVE with and without the BLOCK -> TRACK protocol; every
 * operand check with its status, operand ID and extended information.
 */
#include "tdtest.h"

#include <stdlib.h>
#include <string.h>

/* Free 2M slots (GPA_NEXT and GPA_NO_PT are in tdtest.h). */
#define GPA_2M_A		0x400000ULL
#define GPA_2M_B		0x600000ULL

/* ---- SEAMCALL wrappers ------------------------------------------------------- */

static u64 page_add_raw(struct tdtest *t, u64 page_info, u64 tdr, u64 target, u64 source,
			struct seamcall_regs *r)
{
	*r = (struct seamcall_regs){ .rcx = page_info, .rdx = tdr, .r8 = target, .r9 = source };
	return tdtest_call(t, TDH_MEM_PAGE_ADD, r);
}

static u64 aug_raw(struct tdtest *t, u64 page_info, u64 hpa, struct seamcall_regs *r)
{
	*r = (struct seamcall_regs){ .rcx = page_info, .rdx = t->td.tdr, .r8 = hpa };
	return tdtest_call(t, TDH_MEM_PAGE_AUG, r);
}

/* AUG of a fresh page (2M-aligned range for level 1); kept on success. */
static u64 aug(struct tdtest *t, u64 gpa, int level, u64 *hpa)
{
	struct seamcall_regs r;
	u64 pa = level ? tdtest_alloc_2m(t) : tdtest_page(t);
	u64 st = aug_raw(t, gpa | (u64)level, pa, &r);

	if (st == TDX_SUCCESS)
		tdlib_adopt_page(&t->td, pa, level ? 512 : 1);
	else
		platform_free_pages(t->h->plat, pa, level ? 512 : 1);
	if (hpa)
		*hpa = pa;
	return st;
}

static u64 page_remove(struct tdtest *t, u64 gpa, int level, struct seamcall_regs *r)
{
	*r = (struct seamcall_regs){ .rcx = gpa | (u64)level, .rdx = t->td.tdr };
	return tdtest_call(t, TDH_MEM_PAGE_REMOVE, r);
}

static u64 block(struct tdtest *t, u64 gpa, int level)
{
	struct seamcall_regs r = { .rcx = gpa | (u64)level, .rdx = t->td.tdr };

	return tdtest_call(t, TDH_MEM_RANGE_BLOCK, &r);
}

/* Asserts the PAMT of @pa: page type, owner (if any) and page size. */
static void assert_pamt(struct tdtest *t, u64 pa, u64 pt, u64 owner, u64 level)
{
	struct seamcall_regs r = { .rcx = pa };

	assert_status(tdtest_call(t, TDH_PHYMEM_PAGE_RDMD, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, pt);
	if (pt != PT_NDA) {
		assert_int_equal(r.rdx, owner);
		assert_int_equal(r.r8, level);
	}
}

/* ---- TDH.MEM.PAGE.ADD ----------------------------------------------------------- */

static void test_add_success(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 pa = tdtest_page(t);

	assert_status(page_add_raw(t, GPA_NEXT, t->td.tdr, pa, t->td.source, &r), TDX_SUCCESS);
	tdlib_adopt_page(&t->td, pa, 1);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rdx, 0);
	tdtest_assert_entry(t, GPA_NEXT, 0, ARCH_MAPPED(pa), SEPT_INFO(0, SEPT_MAPPED));
	assert_pamt(t, pa, PT_REG, t->td.tdr, TDX_PS_4K);
}

static void test_add_after_finalize(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 pa = tdtest_page(t);

	assert_status(page_add_raw(t, GPA_NEXT, t->td.tdr, pa, t->td.source, &r),
		      TDX_OP_STATE_INCORRECT);
	assert_pamt(t, pa, PT_NDA, 0, 0);
	platform_free_pages(t->h->plat, pa, 1);
}

static void test_add_page_info(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 pa = tdtest_page(t), src = t->td.source;

	assert_status(page_add_raw(t, GPA_2M_A | 1, t->td.tdr, pa, src, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(page_add_raw(t, GPA_NEXT | 0x8, t->td.tdr, pa, src, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(page_add_raw(t, GPA_NEXT | 1ULL << 47, t->td.tdr, pa, src, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(page_add_raw(t, GPA_NEXT | 1ULL << 50, t->td.tdr, pa, src, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_pamt(t, pa, PT_NDA, 0, 0);
	platform_free_pages(t->h->plat, pa, 1);
}

static void test_add_source(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 pa = tdtest_page(t), src = t->td.source;
	u64 priv = platform_hpa_with_keyid(t->h->plat, src, (u32)t->td.hkid);

	assert_status(page_add_raw(t, GPA_NEXT, t->td.tdr, pa, priv, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R9);
	assert_status(page_add_raw(t, GPA_NEXT, t->td.tdr, pa, src + 0x100, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R9);
	assert_status(page_add_raw(t, GPA_NEXT, t->td.tdr, pa, 1ULL << 52, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R9);
	/* The source is checked before the target. */
	assert_status(page_add_raw(t, GPA_NEXT, t->td.tdr, pa + 1, priv, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R9);
	assert_pamt(t, pa, PT_NDA, 0, 0);
	platform_free_pages(t->h->plat, pa, 1);
}

static void test_add_target(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 pa = tdtest_page(t), src = t->td.source;

	assert_status(page_add_raw(t, GPA_NEXT, t->td.tdr, pa + 0x800, src, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
	assert_status(page_add_raw(t, GPA_NEXT, t->td.tdr,
				   platform_hpa_with_keyid(t->h->plat, pa, (u32)t->td.hkid),
				   src, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
	assert_status(page_add_raw(t, GPA_NEXT, t->td.tdr, 0x1000, src, &r),
		      TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_R8);
	assert_status(page_add_raw(t, GPA_NEXT, t->td.tdr, t->td.tdcs[2], src, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
	assert_status(page_add_raw(t, GPA_NEXT, t->td.tdr, t->td.vcpu[0].tdvpr, src, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
	/* A page already mapped at another GPA. */
	assert_status(page_add_raw(t, GPA_NEXT, t->td.tdr, tdtest_hpa_at(t, TDTEST_GPA, 0),
				   src, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
	tdtest_assert_entry(t, GPA_NEXT, 0, ARCH_FREE, SEPT_INFO(0, SEPT_FREE));
	platform_free_pages(t->h->plat, pa, 1);
}

static void test_add_entry_not_free(void **state)
{
	struct tdtest *t = *state;
	u64 mapped = tdtest_hpa_at(t, TDTEST_GPA, 0), pending;
	struct seamcall_regs r;
	u64 pa = tdtest_page(t);

	assert_status(page_add_raw(t, TDTEST_GPA, t->td.tdr, pa, t->td.source, &r),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_MAPPED(mapped));
	assert_int_equal(r.rdx, SEPT_INFO(0, SEPT_MAPPED));
	/* The entry state is checked before source and target. */
	assert_status(page_add_raw(t, TDTEST_GPA, t->td.tdr, 1, 1, &r),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_status(aug(t, GPA_NEXT, 0, &pending), TDX_SUCCESS);
	assert_status(page_add_raw(t, GPA_NEXT, t->td.tdr, pa, t->td.source, &r),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NO_ACCESS(pending));
	assert_int_equal(r.rdx, SEPT_INFO(0, SEPT_PENDING));
	assert_pamt(t, pa, PT_NDA, 0, 0);
	platform_free_pages(t->h->plat, pa, 1);
}

static void test_add_walk_failed(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 pa = tdtest_page(t), big;

	assert_status(page_add_raw(t, GPA_NO_PT, t->td.tdr, pa, t->td.source, &r),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_FREE);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_FREE));
	/* The walk comes before the source check. */
	assert_status(page_add_raw(t, GPA_NO_PT, t->td.tdr, pa, 1, &r),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	/* A 2M leaf above the GPA stops the walk at level 1. */
	assert_status(aug(t, GPA_2M_A, 1, &big), TDX_SUCCESS);
	assert_status(page_add_raw(t, GPA_2M_A + TDX_PAGE_SIZE, t->td.tdr, pa, t->td.source, &r),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NO_ACCESS(big) | ARCH_PS);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_PENDING));
	/* Nothing above 1G: the walk stops at the PDPT entry. */
	assert_status(page_add_raw(t, TDX_PAGE_SIZE_1G, t->td.tdr, pa, t->td.source, &r),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rdx, SEPT_INFO(2, SEPT_FREE));
	platform_free_pages(t->h->plat, pa, 1);
}

static void test_add_tdr_errors(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 pa = tdtest_page(t), src = t->td.source;

	assert_status(page_add_raw(t, GPA_NEXT, t->td.tdcs[0], pa, src, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
	assert_status(page_add_raw(t, GPA_NEXT, pa, pa, src, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
	assert_status(page_add_raw(t, GPA_NEXT, t->td.tdr | 1, pa, src, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	assert_status(page_add_raw(t, GPA_NEXT, 0x2000, pa, src, &r),
		      TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RDX);
	/* PAGE.ADD holds the TDR exclusive: R8 = TDR is busy. */
	assert_status(page_add_raw(t, GPA_NEXT, t->td.tdr, t->td.tdr, src, &r),
		      TDX_OPERAND_BUSY | TDX_OPERAND_ID_R8);
	platform_free_pages(t->h->plat, pa, 1);
}

/* ---- TDH.MEM.PAGE.AUG ----------------------------------------------------------- */

static void test_aug_4k(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 pa = tdtest_page(t);

	assert_status(aug_raw(t, GPA_NEXT, pa, &r), TDX_SUCCESS);
	tdlib_adopt_page(&t->td, pa, 1);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rdx, 0);
	tdtest_assert_entry(t, GPA_NEXT, 0, ARCH_NO_ACCESS(pa), SEPT_INFO(0, SEPT_PENDING));
	assert_pamt(t, pa, PT_REG, t->td.tdr, TDX_PS_4K);
}

static void test_aug_2m(void **state)
{
	struct tdtest *t = *state;
	u64 pa;

	assert_status(aug(t, GPA_2M_A, 1, &pa), TDX_SUCCESS);
	tdtest_assert_entry(t, GPA_2M_A, 1, ARCH_NO_ACCESS(pa) | ARCH_PS,
			    SEPT_INFO(1, SEPT_PENDING));
	assert_pamt(t, pa, PT_REG, t->td.tdr, TDX_PS_2M);
	assert_pamt(t, pa + 100 * TDX_PAGE_SIZE, PT_REG, t->td.tdr, TDX_PS_2M);
}

static void test_aug_after_finalize(void **state)
{
	struct tdtest *t = *state;
	u64 pa4k, pa2m;

	assert_status(aug(t, GPA_NEXT, 0, &pa4k), TDX_SUCCESS);
	tdtest_assert_entry(t, GPA_NEXT, 0, ARCH_NO_ACCESS(pa4k), SEPT_INFO(0, SEPT_PENDING));
	assert_status(aug(t, GPA_2M_A, 1, &pa2m), TDX_SUCCESS);
	tdtest_assert_entry(t, GPA_2M_A, 1, ARCH_NO_ACCESS(pa2m) | ARCH_PS,
			    SEPT_INFO(1, SEPT_PENDING));
}

/* An AUG that must fail with @expected and leave its 4K R8 page free. */
static void aug_fails(struct tdtest *t, u64 page_info, u64 expected)
{
	struct seamcall_regs r;
	u64 pa = tdtest_page(t);

	assert_status(aug_raw(t, page_info, pa, &r), expected);
	assert_pamt(t, pa, PT_NDA, 0, 0);
	platform_free_pages(t->h->plat, pa, 1);
}

static void test_aug_page_info(void **state)
{
	struct tdtest *t = *state;

	aug_fails(t, 0 | 2, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	aug_fails(t, (GPA_2M_A + TDX_PAGE_SIZE) | 1, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	aug_fails(t, GPA_NEXT | 0x10, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	aug_fails(t, GPA_NEXT | 1ULL << 47, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	aug_fails(t, GPA_NEXT | 1ULL << 49, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	aug_fails(t, GPA_NEXT | 1ULL << 52, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
}

static void test_aug_entry_state(void **state)
{
	struct tdtest *t = *state;
	u64 mapped = tdtest_hpa_at(t, TDTEST_GPA, 0), pending;
	struct seamcall_regs r;

	aug_fails(t, TDTEST_GPA, TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	/* The state is checked before R8. */
	assert_status(aug_raw(t, TDTEST_GPA, 0, &r),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_MAPPED(mapped));
	assert_int_equal(r.rdx, SEPT_INFO(0, SEPT_MAPPED));
	assert_status(aug(t, GPA_NEXT, 0, &pending), TDX_SUCCESS);
	assert_status(aug_raw(t, GPA_NEXT, 0, &r),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NO_ACCESS(pending));
	assert_int_equal(r.rdx, SEPT_INFO(0, SEPT_PENDING));
	/* 2M onto a PD entry that points to a PT. */
	assert_status(aug_raw(t, 0 | 1, 0, &r), TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NL_MAPPED);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_NL_MAPPED));
	/* 4K without a PT. */
	assert_status(aug_raw(t, GPA_NO_PT, 0, &r), TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_FREE);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_FREE));
}

static void test_aug_hpa_4k(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 pa = tdtest_page(t), big;

	assert_status(aug_raw(t, GPA_NEXT, 0, &r),
		      TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_R8);
	assert_status(aug_raw(t, GPA_NEXT, pa + 0x40, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
	assert_status(aug_raw(t, GPA_NEXT, platform_hpa_with_keyid(t->h->plat, pa, 1), &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
	assert_status(aug_raw(t, GPA_NEXT, t->td.tdcs[0], &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
	assert_status(aug_raw(t, GPA_NEXT, tdtest_hpa_at(t, TDTEST_GPA, 0), &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
	/* A 4K page inside a TD's 2M page. */
	assert_status(aug(t, GPA_2M_A, 1, &big), TDX_SUCCESS);
	assert_status(aug_raw(t, GPA_NEXT, big + 7 * TDX_PAGE_SIZE, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
	tdtest_assert_entry(t, GPA_NEXT, 0, ARCH_FREE, SEPT_INFO(0, SEPT_FREE));
	platform_free_pages(t->h->plat, pa, 1);
}

static void test_aug_hpa_2m(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 range = tdtest_alloc_2m(t), used = range + 5 * TDX_PAGE_SIZE, big;

	assert_status(aug_raw(t, GPA_2M_A | 1, range + TDX_PAGE_SIZE, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
	assert_status(aug_raw(t, GPA_2M_A | 1, range + TDX_PAGE_SIZE_2M / 2, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
	/* One 4K page of the range belongs to the TD. */
	assert_status(aug_raw(t, GPA_NEXT, used, &r), TDX_SUCCESS);
	assert_status(aug_raw(t, GPA_2M_A | 1, range, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
	platform_free_pages(t->h->plat, range, 5);
	platform_free_pages(t->h->plat, used + TDX_PAGE_SIZE, 512 - 6);
	tdlib_adopt_page(&t->td, used, 1);
	/* The range is already a 2M page of the TD. */
	assert_status(aug(t, GPA_2M_A, 1, &big), TDX_SUCCESS);
	assert_status(aug_raw(t, GPA_2M_B | 1, big, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
	tdtest_assert_entry(t, GPA_2M_B, 1, ARCH_FREE, SEPT_INFO(1, SEPT_FREE));
}

/* ---- TDH.MEM.PAGE.REMOVE -------------------------------------------------------- */

static void test_remove_before_finalize(void **state)
{
	struct tdtest *t = *state;
	u64 hpa = tdtest_hpa_at(t, TDTEST_GPA, 0), pending, big;
	struct seamcall_regs r;

	/* MAPPED, PENDING and 2M PENDING pages go without blocking. */
	assert_status(page_remove(t, TDTEST_GPA, 0, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, hpa);
	assert_int_equal(r.rdx, 0);
	tdlib_release_page(&t->td, hpa);
	tdtest_assert_entry(t, TDTEST_GPA, 0, ARCH_FREE, SEPT_INFO(0, SEPT_FREE));
	assert_pamt(t, hpa, PT_NDA, 0, 0);
	assert_status(aug(t, GPA_NEXT, 0, &pending), TDX_SUCCESS);
	assert_status(page_remove(t, GPA_NEXT, 0, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, pending);
	tdlib_release_page(&t->td, pending);
	assert_status(aug(t, GPA_2M_A, 1, &big), TDX_SUCCESS);
	assert_status(page_remove(t, GPA_2M_A, 1, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, big);
	tdlib_release_page(&t->td, big);
	tdtest_assert_entry(t, GPA_2M_A, 1, ARCH_FREE, SEPT_INFO(1, SEPT_FREE));
	/* The slot can be reused. */
	assert_status(aug(t, TDTEST_GPA, 0, NULL), TDX_SUCCESS);
}

static void test_remove_after_finalize(void **state)
{
	struct tdtest *t = *state;
	u64 hpa = tdtest_hpa_at(t, TDTEST_GPA, 0);
	struct seamcall_regs r;

	assert_status(page_remove(t, TDTEST_GPA, 0, &r),
		      TDX_GPA_RANGE_NOT_BLOCKED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_MAPPED(hpa));
	assert_int_equal(r.rdx, SEPT_INFO(0, SEPT_MAPPED));
	assert_status(block(t, TDTEST_GPA, 0), TDX_SUCCESS);
	assert_status(page_remove(t, TDTEST_GPA, 0, &r),
		      TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rdx, 0);
	assert_status(tdtest_track(t), TDX_SUCCESS);
	assert_status(page_remove(t, TDTEST_GPA, 0, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, hpa);
	assert_int_equal(r.rdx, 0);
	tdlib_release_page(&t->td, hpa);
	tdtest_assert_entry(t, TDTEST_GPA, 0, ARCH_FREE, SEPT_INFO(0, SEPT_FREE));
}

static void test_remove_pending_after_finalize(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 pa;

	assert_status(aug(t, GPA_NEXT, 0, &pa), TDX_SUCCESS);
	assert_status(page_remove(t, GPA_NEXT, 0, &r),
		      TDX_GPA_RANGE_NOT_BLOCKED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rdx, SEPT_INFO(0, SEPT_PENDING));
	assert_status(block(t, GPA_NEXT, 0), TDX_SUCCESS);
	assert_status(tdtest_track(t), TDX_SUCCESS);
	assert_status(page_remove(t, GPA_NEXT, 0, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, pa);
	tdlib_release_page(&t->td, pa);
}

static void test_remove_2m(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 pa;

	assert_status(aug(t, GPA_2M_A, 1, &pa), TDX_SUCCESS);
	assert_status(page_remove(t, GPA_2M_A, 1, &r),
		      TDX_GPA_RANGE_NOT_BLOCKED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NO_ACCESS(pa) | ARCH_PS);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_PENDING));
	assert_status(block(t, GPA_2M_A, 1), TDX_SUCCESS);
	assert_status(page_remove(t, GPA_2M_A, 1, &r),
		      TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_RCX);
	assert_status(tdtest_track(t), TDX_SUCCESS);
	assert_status(page_remove(t, GPA_2M_A, 1, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, pa);
	tdlib_release_page(&t->td, pa);
	tdtest_assert_entry(t, GPA_2M_A, 1, ARCH_FREE, SEPT_INFO(1, SEPT_FREE));
	assert_pamt(t, pa, PT_NDA, 0, 0);
}

static void test_remove_not_leaf(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 big;

	assert_status(page_remove(t, 0, 1, &r), TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NL_MAPPED);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_NL_MAPPED));
	assert_status(page_remove(t, 0, 2, &r), TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rdx, SEPT_INFO(2, SEPT_NL_MAPPED));
	assert_status(page_remove(t, GPA_NEXT, 0, &r),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_FREE);
	assert_int_equal(r.rdx, SEPT_INFO(0, SEPT_FREE));
	assert_status(page_remove(t, 0, 3, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(page_remove(t, TDTEST_GPA | 0x100, 0, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	/* A 4K request under a 2M leaf: the walk stops at the leaf. */
	assert_status(aug(t, GPA_2M_A, 1, &big), TDX_SUCCESS);
	assert_status(page_remove(t, GPA_2M_A + TDX_PAGE_SIZE, 0, &r),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NO_ACCESS(big) | ARCH_PS);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_PENDING));
}

static void test_remove_tdr_errors(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r = { .rcx = TDTEST_GPA, .rdx = t->td.tdcs[3] };

	assert_status(tdtest_call(t, TDH_MEM_PAGE_REMOVE, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
	r = (struct seamcall_regs){ .rcx = TDTEST_GPA, .rdx = t->td.tdr + 0x10 };
	assert_status(tdtest_call(t, TDH_MEM_PAGE_REMOVE, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	tdtest_assert_entry(t, TDTEST_GPA, 0, ARCH_MAPPED(tdtest_hpa_at(t, TDTEST_GPA, 0)),
			    SEPT_INFO(0, SEPT_MAPPED));
}

static void test_versions(void **state)
{
	struct tdtest *t = *state;
	u64 v1 = 1ULL << TDX_VERSION_SHIFT;
	struct seamcall_regs r;

	/* PAGE.ADD, AUG and PAGE.REMOVE are version 0 only. */
	r = (struct seamcall_regs){ .rcx = GPA_NEXT, .rdx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MEM_PAGE_ADD | v1, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	r = (struct seamcall_regs){ .rcx = GPA_NEXT, .rdx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MEM_PAGE_AUG | v1, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	r = (struct seamcall_regs){ .rcx = TDTEST_GPA, .rdx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MEM_PAGE_REMOVE | v1, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	tdtest_assert_entry(t, TDTEST_GPA, 0, ARCH_MAPPED(tdtest_hpa_at(t, TDTEST_GPA, 0)),
			    SEPT_INFO(0, SEPT_MAPPED));
}

#define TEST(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, tdtest_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_add_success, tdtest_setup_built),
		TEST(test_add_after_finalize, tdtest_setup_finalized),
		TEST(test_add_page_info, tdtest_setup_built),
		TEST(test_add_source, tdtest_setup_built),
		TEST(test_add_target, tdtest_setup_built),
		TEST(test_add_entry_not_free, tdtest_setup_built),
		TEST(test_add_walk_failed, tdtest_setup_built),
		TEST(test_add_tdr_errors, tdtest_setup_built),
		TEST(test_aug_4k, tdtest_setup_built),
		TEST(test_aug_2m, tdtest_setup_built),
		TEST(test_aug_after_finalize, tdtest_setup_finalized),
		TEST(test_aug_page_info, tdtest_setup_built),
		TEST(test_aug_entry_state, tdtest_setup_built),
		TEST(test_aug_hpa_4k, tdtest_setup_built),
		TEST(test_aug_hpa_2m, tdtest_setup_built),
		TEST(test_remove_before_finalize, tdtest_setup_built),
		TEST(test_remove_after_finalize, tdtest_setup_finalized),
		TEST(test_remove_pending_after_finalize, tdtest_setup_finalized),
		TEST(test_remove_2m, tdtest_setup_finalized),
		TEST(test_remove_not_leaf, tdtest_setup_built),
		TEST(test_remove_tdr_errors, tdtest_setup_finalized),
		TEST(test_versions, tdtest_setup_built),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
