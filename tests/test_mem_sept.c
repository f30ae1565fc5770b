// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.SEPT.ADD / REMOVE / RD: building and tearing down the Secure-EPT
 * non-leaf levels of a 4-level TD, each operand check with its status and
 * operand ID, the RCX/RDX extended error information, and the BLOCK ->
 * TRACK -> REMOVE rule for S-EPT pages of a finalized TD.
 */
#include "tdtest.h"

#include <stdlib.h>
#include <string.h>

#define GPA_2M			0x200000ULL

/* page_info for the level-@level entry covering @gpa. */
#define PI(gpa, level)		(((gpa) & ~((1ULL << (12 + 9 * (level))) - 1)) | (u64)(level))

/* ---- SEAMCALL wrappers ------------------------------------------------------- */

static u64 sept_add_raw(struct tdtest *t, u64 page_info, u64 handle, u64 new_pa,
			struct seamcall_regs *r)
{
	*r = (struct seamcall_regs){ .rcx = page_info, .rdx = handle, .r8 = new_pa };
	return tdtest_call(t, TDH_MEM_SEPT_ADD, r);
}

/* SEPT.ADD of a fresh page at (@gpa, @level); the TD keeps it on success. */
static u64 sept_add(struct tdtest *t, u64 gpa, int level, u64 *pa_out)
{
	struct seamcall_regs r;
	u64 pa = tdtest_page(t);
	u64 st = sept_add_raw(t, PI(gpa, level), t->td.tdr, pa, &r);

	if (st == TDX_SUCCESS)
		tdlib_adopt_page(&t->td, pa, 1);
	else
		platform_free_pages(t->h->plat, pa, 1);
	if (pa_out)
		*pa_out = pa;
	return st;
}

/* Asserts a failing SEPT.ADD leaves its R8 page untouched (still NDA). */
static void sept_add_fails(struct tdtest *t, u64 page_info, u64 handle, u64 expected)
{
	struct seamcall_regs r;
	u64 pa = tdtest_page(t);

	assert_status(sept_add_raw(t, page_info, handle, pa, &r), expected);
	r = (struct seamcall_regs){ .rcx = pa };
	assert_status(tdtest_call(t, TDH_PHYMEM_PAGE_RDMD, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, PT_NDA);
	platform_free_pages(t->h->plat, pa, 1);
}

static u64 sept_remove(struct tdtest *t, u64 gpa, int level, struct seamcall_regs *r)
{
	*r = (struct seamcall_regs){ .rcx = PI(gpa, level), .rdx = t->td.tdr };
	return tdtest_call(t, TDH_MEM_SEPT_REMOVE, r);
}

static u64 sept_rd_raw(struct tdtest *t, u64 page_info, u64 handle, struct seamcall_regs *r)
{
	*r = (struct seamcall_regs){ .rcx = page_info, .rdx = handle };
	return tdtest_call(t, TDH_MEM_SEPT_RD, r);
}

/* Reads (@gpa, @level); asserts the architectural entry and RDX info. */
static void assert_entry(struct tdtest *t, u64 gpa, int level, u64 arch, u64 info)
{
	struct seamcall_regs r;

	assert_status(sept_rd_raw(t, PI(gpa, level), t->td.tdr, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, arch);
	assert_int_equal(r.rdx, info);
}

static u64 leaf_call(struct tdtest *t, u64 leaf, u64 gpa, int level)
{
	struct seamcall_regs r = { .rcx = gpa | (u64)level, .rdx = t->td.tdr };

	return tdtest_call(t, leaf, &r);
}

/* Maps tables at levels 3, 2, 1 above @gpa. */
static void add_all_levels(struct tdtest *t, u64 gpa)
{
	for (int l = 3; l >= 1; l--)
		assert_status(sept_add(t, gpa, l, NULL), TDX_SUCCESS);
}

/* ---- TDH.MEM.SEPT.ADD ------------------------------------------------------------ */

static void test_add_levels(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 pa[4];

	for (int l = 3; l >= 1; l--) {
		assert_status(sept_add(t, GPA_2M, l, &pa[l]), TDX_SUCCESS);
		assert_entry(t, GPA_2M, l, ARCH_NL_MAPPED, SEPT_INFO(l, SEPT_NL_MAPPED));
		/* The new table is a PT_EPT page of this TD. */
		r = (struct seamcall_regs){ .rcx = pa[l] };
		assert_status(tdtest_call(t, TDH_PHYMEM_PAGE_RDMD, &r), TDX_SUCCESS);
		assert_int_equal(r.rcx, PT_EPT);
		assert_int_equal(r.rdx, t->td.tdr);
		assert_int_equal(r.r8, TDX_PS_4K);
	}
	/* The new PT is all FREE. */
	assert_entry(t, GPA_2M, 0, ARCH_FREE, SEPT_INFO(0, SEPT_FREE));
	assert_entry(t, GPA_2M + 511 * TDX_PAGE_SIZE, 0, ARCH_FREE, SEPT_INFO(0, SEPT_FREE));
	/* A neighbour PD entry in the same table is FREE too. */
	assert_entry(t, 2 * GPA_2M, 1, ARCH_FREE, SEPT_INFO(1, SEPT_FREE));
}

static void test_add_outputs_cleared(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 pa = tdtest_page(t);

	assert_status(sept_add_raw(t, PI(GPA_2M, 3), t->td.tdr, pa, &r), TDX_SUCCESS);
	tdlib_adopt_page(&t->td, pa, 1);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rdx, 0);
	assert_int_equal(r.r8, pa);
}

static void test_add_bad_level(void **state)
{
	struct tdtest *t = *state;

	sept_add_fails(t, GPA_2M | 0, t->td.tdr, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	sept_add_fails(t, 0 | 4, t->td.tdr, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	sept_add_fails(t, 0 | 7, t->td.tdr, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
}

static void test_add_misaligned_gpa(void **state)
{
	struct tdtest *t = *state;

	add_all_levels(t, 0);
	/* Level 1 maps 2M, level 2 1G, level 3 512G. */
	sept_add_fails(t, (GPA_2M + TDX_PAGE_SIZE) | 1, t->td.tdr,
		       TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	sept_add_fails(t, GPA_2M | 2, t->td.tdr, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	sept_add_fails(t, TDX_PAGE_SIZE_1G | 3, t->td.tdr,
		       TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
}

static void test_add_page_info_reserved(void **state)
{
	struct tdtest *t = *state;

	sept_add_fails(t, PI(GPA_2M, 3) | 0x8, t->td.tdr, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	sept_add_fails(t, PI(GPA_2M, 3) | 0x800, t->td.tdr,
		       TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	sept_add_fails(t, 3 | 1ULL << 52, t->td.tdr, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	sept_add_fails(t, 3 | 1ULL << 63, t->td.tdr, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
}

static void test_add_gpa_validity(void **state)
{
	struct tdtest *t = *state;

	/* GPAW 48: bit 47 is the shared bit, bits 51:48 are reserved. */
	sept_add_fails(t, 1ULL << 47 | 3, t->td.tdr, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	sept_add_fails(t, 1ULL << 48 | 3, t->td.tdr, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	sept_add_fails(t, 1ULL << 51 | 3, t->td.tdr, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	/* The highest private 512G region is fine. */
	assert_status(sept_add(t, (1ULL << 47) - (1ULL << 39), 3, NULL), TDX_SUCCESS);
}

static void test_add_missing_parent(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 pa = tdtest_page(t);

	/* The walk stops at the FREE PML4 entry. */
	assert_status(sept_add_raw(t, GPA_2M | 1, t->td.tdr, pa, &r),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_FREE);
	assert_int_equal(r.rdx, SEPT_INFO(3, SEPT_FREE));
	assert_status(sept_add(t, GPA_2M, 3, NULL), TDX_SUCCESS);
	/* Now at the FREE PDPT entry. */
	assert_status(sept_add_raw(t, GPA_2M | 1, t->td.tdr, pa, &r),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_FREE);
	assert_int_equal(r.rdx, SEPT_INFO(2, SEPT_FREE));
	platform_free_pages(t->h->plat, pa, 1);
	sept_add_fails(t, GPA_2M | 1, t->td.tdr, TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
}

static void test_add_existing(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 pa = tdtest_page(t);

	add_all_levels(t, GPA_2M);
	assert_status(sept_add_raw(t, PI(GPA_2M, 2), t->td.tdr, pa, &r),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NL_MAPPED);
	assert_int_equal(r.rdx, SEPT_INFO(2, SEPT_NL_MAPPED));
	/* ALLOW_EXISTING: success, and the page is not consumed. */
	assert_status(sept_add_raw(t, PI(GPA_2M, 2), t->td.tdr | 1, pa, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rdx, 0);
	platform_free_pages(t->h->plat, pa, 1);
	sept_add_fails(t, GPA_2M | 1, t->td.tdr | 1, TDX_SUCCESS);
	sept_add_fails(t, PI(GPA_2M, 3), t->td.tdr,
		       TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	/* R8 = 0 is checked after the state, before ALLOW_EXISTING. */
	assert_status(sept_add_raw(t, GPA_2M | 1, t->td.tdr | 1, 0, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
}

static void test_add_on_leaf(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 hpa;

	assert_status(tdlib_aug(&t->td, GPA_2M, 1), TDX_SUCCESS);
	hpa = tdtest_last_page(t);
	/* A 2M leaf: the state check comes before R8 (even R8 = 0). */
	assert_status(sept_add_raw(t, GPA_2M | 1, t->td.tdr, 0, &r),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NO_ACCESS(hpa) | ARCH_PS);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_PENDING));
	sept_add_fails(t, GPA_2M | 1, t->td.tdr | 1,
		       TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
}

static void test_add_r8_checks(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 pa;

	assert_status(sept_add_raw(t, PI(GPA_2M, 3), t->td.tdr, 0, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
	/* This call holds the TDR's PAMT entry shared: R8 can't lock it. */
	assert_status(sept_add_raw(t, PI(GPA_2M, 3), t->td.tdr, t->td.tdr, &r),
		      TDX_OPERAND_BUSY | TDX_OPERAND_ID_R8);
	assert_status(sept_add_raw(t, PI(GPA_2M, 3), t->td.tdr, t->td.tdcs[0], &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
	assert_status(sept_add_raw(t, PI(GPA_2M, 3), t->td.tdr, 0x1000, &r),
		      TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_R8);
	pa = tdtest_page(t);
	assert_status(sept_add_raw(t, PI(GPA_2M, 3), t->td.tdr, pa + 0x800, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
	assert_status(sept_add_raw(t, PI(GPA_2M, 3), t->td.tdr,
				   platform_hpa_with_keyid(t->h->plat, pa, (u32)t->td.hkid), &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
	/* Bit 63 of a non-zero R8 is ignored. */
	assert_status(sept_add_raw(t, PI(GPA_2M, 3), t->td.tdr, pa | 1ULL << 63, &r), TDX_SUCCESS);
	tdlib_adopt_page(&t->td, pa, 1);
	/* A page already used as an S-EPT table is not free. */
	assert_status(sept_add_raw(t, PI(GPA_2M, 2), t->td.tdr, pa, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
}

static void test_add_r8_inside_2m_page(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 hpa;

	assert_status(tdlib_aug(&t->td, GPA_2M, 1), TDX_SUCCESS);
	hpa = tdtest_last_page(t);
	assert_status(sept_add_raw(t, 2 * GPA_2M | 1, t->td.tdr, hpa + 5 * TDX_PAGE_SIZE, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
}

static void test_add_handle_reserved(void **state)
{
	struct tdtest *t = *state;

	sept_add_fails(t, PI(GPA_2M, 3), t->td.tdr | 2, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	sept_add_fails(t, PI(GPA_2M, 3), t->td.tdr | 0x800,
		       TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	sept_add_fails(t, PI(GPA_2M, 3), t->td.tdr | 1ULL << 52,
		       TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	sept_add_fails(t, PI(GPA_2M, 3), t->td.tdr | 1ULL << 63,
		       TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	/* Reserved RDX bits are checked before page_info. */
	sept_add_fails(t, GPA_2M | 0, t->td.tdr | 2, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
}

static void test_add_tdr_errors(void **state)
{
	struct tdtest *t = *state;
	u64 free_pa = tdtest_page(t);

	sept_add_fails(t, PI(GPA_2M, 3), t->td.tdcs[0],
		       TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
	sept_add_fails(t, PI(GPA_2M, 3), free_pa, TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
	sept_add_fails(t, PI(GPA_2M, 3), 0x1000, TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RDX);
	sept_add_fails(t, PI(GPA_2M, 3), 0, TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RDX);
	sept_add_fails(t, PI(GPA_2M, 3),
		       platform_hpa_with_keyid(t->h->plat, t->td.tdr, (u32)t->td.hkid),
		       TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	/* TDR checks come before page_info. */
	sept_add_fails(t, GPA_2M | 0, free_pa, TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
	platform_free_pages(t->h->plat, free_pa, 1);
}

static void test_add_after_finalize(void **state)
{
	struct tdtest *t = *state;

	/* SEPT.ADD is allowed in RUNNABLE: a new 2M range next to the image. */
	assert_status(sept_add(t, 2 * GPA_2M, 1, NULL), TDX_SUCCESS);
	assert_entry(t, 2 * GPA_2M, 1, ARCH_NL_MAPPED, SEPT_INFO(1, SEPT_NL_MAPPED));
	assert_status(sept_add(t, TDX_PAGE_SIZE_1G, 2, NULL), TDX_SUCCESS);
}

/* ---- TDH.MEM.SEPT.REMOVE --------------------------------------------------------- */

static void test_remove_before_finalize(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 pa[4];

	for (int l = 3; l >= 1; l--)
		assert_status(sept_add(t, GPA_2M, l, &pa[l]), TDX_SUCCESS);
	/* Top-down fails: each table still holds a non-leaf entry. */
	for (int l = 3; l >= 2; l--) {
		assert_status(sept_remove(t, GPA_2M, l, &r),
			      TDX_EPT_PAGE_NOT_FREE | TDX_OPERAND_ID_RCX);
		assert_int_equal(r.rcx, ARCH_NL_MAPPED);
		assert_int_equal(r.rdx, SEPT_INFO(l, SEPT_NL_MAPPED));
	}
	/* Bottom-up works without blocking: the TD is not yet runnable. */
	for (int l = 1; l <= 3; l++) {
		assert_status(sept_remove(t, GPA_2M, l, &r), TDX_SUCCESS);
		assert_int_equal(r.rcx, pa[l]);
		assert_int_equal(r.rdx, 0);
		tdlib_release_page(&t->td, pa[l]);
		assert_entry(t, GPA_2M, l, ARCH_FREE, SEPT_INFO(l, SEPT_FREE));
		r = (struct seamcall_regs){ .rcx = pa[l] };
		assert_status(tdtest_call(t, TDH_PHYMEM_PAGE_RDMD, &r), TDX_SUCCESS);
		assert_int_equal(r.rcx, PT_NDA);
	}
}

static void test_remove_table_with_leaf(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	/* The PT above TDTEST_GPA maps the image pages. */
	assert_status(sept_remove(t, 0, 1, &r), TDX_EPT_PAGE_NOT_FREE | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NL_MAPPED);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_NL_MAPPED));
	/* One pending 2M leaf keeps a PD busy too. */
	assert_status(tdlib_aug(&t->td, TDX_PAGE_SIZE_1G, 1), TDX_SUCCESS);
	assert_status(sept_remove(t, TDX_PAGE_SIZE_1G, 2, &r),
		      TDX_EPT_PAGE_NOT_FREE | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rdx, SEPT_INFO(2, SEPT_NL_MAPPED));
}

static void test_remove_operands(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	add_all_levels(t, GPA_2M);
	assert_status(sept_remove(t, GPA_2M, 0, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(sept_remove(t, GPA_2M, 4, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = GPA_2M | 0x10 | 1, .rdx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MEM_SEPT_REMOVE, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(sept_remove(t, 1ULL << 47 | GPA_2M, 1, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	/* A FREE entry is no table. */
	assert_status(sept_remove(t, 2 * GPA_2M, 1, &r),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_FREE);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_FREE));
	/* Nothing mapped above: the walk stops at the PML4 entry. */
	assert_status(sept_remove(t, TDX_PAGE_SIZE_1G * 512, 1, &r),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_FREE);
	assert_int_equal(r.rdx, SEPT_INFO(3, SEPT_FREE));
	/* RDX is a raw TDR: bit 0 makes it misaligned. */
	r = (struct seamcall_regs){ .rcx = GPA_2M | 1, .rdx = t->td.tdr | 1 };
	assert_status(tdtest_call(t, TDH_MEM_SEPT_REMOVE, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	r = (struct seamcall_regs){ .rcx = GPA_2M | 1, .rdx = t->td.tdcs[1] };
	assert_status(tdtest_call(t, TDH_MEM_SEPT_REMOVE, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
}

static void test_remove_runnable(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 pa;

	assert_status(sept_add(t, 2 * GPA_2M, 1, &pa), TDX_SUCCESS);
	assert_status(sept_remove(t, 2 * GPA_2M, 1, &r),
		      TDX_GPA_RANGE_NOT_BLOCKED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NL_MAPPED);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_NL_MAPPED));
	assert_status(leaf_call(t, TDH_MEM_RANGE_BLOCK, 2 * GPA_2M, 1), TDX_SUCCESS);
	assert_entry(t, 2 * GPA_2M, 1, ARCH_NL_BLOCKED, SEPT_INFO(1, SEPT_NL_BLOCKED));
	assert_status(sept_remove(t, 2 * GPA_2M, 1, &r),
		      TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_RCX);
	assert_status(tdtest_track(t), TDX_SUCCESS);
	assert_status(sept_remove(t, 2 * GPA_2M, 1, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, pa);
	assert_int_equal(r.rdx, 0);
	tdlib_release_page(&t->td, pa);
	assert_entry(t, 2 * GPA_2M, 1, ARCH_FREE, SEPT_INFO(1, SEPT_FREE));
}

static void test_remove_runnable_not_free(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	/* The TLB checks come before the table-empty check. */
	assert_status(sept_remove(t, 0, 1, &r), TDX_GPA_RANGE_NOT_BLOCKED | TDX_OPERAND_ID_RCX);
	assert_status(leaf_call(t, TDH_MEM_RANGE_BLOCK, 0, 1), TDX_SUCCESS);
	assert_status(sept_remove(t, 0, 1, &r), TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_RCX);
	/* Blocked and tracked, but the PT still maps the image. */
	assert_status(tdtest_track(t), TDX_SUCCESS);
	assert_status(sept_remove(t, 0, 1, &r), TDX_EPT_PAGE_NOT_FREE | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NL_BLOCKED);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_NL_BLOCKED));
}

/*
 * Version 1 of SEPT.ADD/SEPT.REMOVE carries L2 (TD partitioning) S-EPT
 * pages.  This module has no TD partitioning (TDX_FEATURES0 bit 7 clear),
 * so, like a module without the feature, it refuses version 1 and changes
 * nothing.
 */
static void test_versions_need_partitioning(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;
	u64 pa;

	add_all_levels(t, 0);
	assert_status(sept_add(t, GPA_2M, 1, &pa), TDX_SUCCESS);
	r = (struct seamcall_regs){ .rcx = PI(GPA_2M, 1), .rdx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MEM_SEPT_REMOVE | 1ULL << TDX_VERSION_SHIFT, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	r = (struct seamcall_regs){ .rcx = PI(GPA_2M, 1), .rdx = t->td.tdr, .r8 = pa };
	assert_status(tdtest_call(t, TDH_MEM_SEPT_ADD | 1ULL << TDX_VERSION_SHIFT, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	/* Still there: version 0 removes it. */
	r = (struct seamcall_regs){ .rcx = PI(GPA_2M, 1), .rdx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MEM_SEPT_REMOVE, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, pa);
	tdlib_release_page(&t->td, pa);
}

/* ---- TDH.MEM.SEPT.RD ---------------------------------------------------------------- */

static u64 hpa_at(struct tdtest *t, u64 gpa, int level)
{
	struct seamcall_regs r;

	assert_status(sept_rd_raw(t, gpa | (u64)level, t->td.tdr, &r), TDX_SUCCESS);
	return r.rcx & HPA_MASK;
}

static void test_rd_states(void **state)
{
	struct tdtest *t = *state;
	u64 mapped = hpa_at(t, TDTEST_GPA, 0), pending;
	const u64 pgpa = TDTEST_GPA + TDTEST_NR_PAGES * TDX_PAGE_SIZE;

	assert_entry(t, TDTEST_GPA, 0, ARCH_MAPPED(mapped), SEPT_INFO(0, SEPT_MAPPED));
	assert_entry(t, 0, 1, ARCH_NL_MAPPED, SEPT_INFO(1, SEPT_NL_MAPPED));
	assert_entry(t, 0, 3, ARCH_NL_MAPPED, SEPT_INFO(3, SEPT_NL_MAPPED));
	assert_entry(t, pgpa, 0, ARCH_FREE, SEPT_INFO(0, SEPT_FREE));
	assert_status(tdlib_aug(&t->td, pgpa, 0), TDX_SUCCESS);
	pending = t->td.pages[t->td.nr_pages - 1];
	assert_entry(t, pgpa, 0, ARCH_NO_ACCESS(pending), SEPT_INFO(0, SEPT_PENDING));
	assert_status(leaf_call(t, TDH_MEM_RANGE_BLOCK, pgpa, 0), TDX_SUCCESS);
	assert_entry(t, pgpa, 0, ARCH_NO_ACCESS(pending), SEPT_INFO(0, SEPT_PENDING_BLOCKED));
	assert_status(leaf_call(t, TDH_MEM_RANGE_BLOCK, TDTEST_GPA, 0), TDX_SUCCESS);
	assert_entry(t, TDTEST_GPA, 0, ARCH_NO_ACCESS(mapped), SEPT_INFO(0, SEPT_BLOCKED));
	assert_status(leaf_call(t, TDH_MEM_RANGE_BLOCK, 0, 1), TDX_SUCCESS);
	assert_entry(t, 0, 1, ARCH_NL_BLOCKED, SEPT_INFO(1, SEPT_NL_BLOCKED));
}

static void test_rd_2m_leaf(void **state)
{
	struct tdtest *t = *state;
	u64 hpa;

	assert_status(tdlib_aug(&t->td, 2 * GPA_2M, 1), TDX_SUCCESS);
	hpa = tdtest_last_page(t);
	assert_entry(t, 2 * GPA_2M, 1, ARCH_NO_ACCESS(hpa) | ARCH_PS,
		     SEPT_INFO(1, SEPT_PENDING));
}

static void test_rd_errors(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	/* Bit 0 asks for L2 attributes: only for a debug TD. */
	assert_status(sept_rd_raw(t, TDTEST_GPA, t->td.tdr | 1, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	assert_status(sept_rd_raw(t, TDTEST_GPA | 4, t->td.tdr, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(sept_rd_raw(t, TDTEST_GPA | 0x8, t->td.tdr, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(sept_rd_raw(t, TDTEST_GPA | 1, t->td.tdr, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(sept_rd_raw(t, TDTEST_GPA | 1ULL << 47, t->td.tdr, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	/* No PT for this 2M range: the walk stops at the FREE PD entry. */
	assert_status(sept_rd_raw(t, GPA_2M, t->td.tdr, &r),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_FREE);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_FREE));
	assert_status(sept_rd_raw(t, TDTEST_GPA, t->td.tdcs[0], &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
	assert_status(sept_rd_raw(t, TDTEST_GPA, 0x1000, &r),
		      TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RDX);
	/* SEPT.RD has no version 1. */
	r = (struct seamcall_regs){ .rcx = TDTEST_GPA, .rdx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MEM_SEPT_RD | 1ULL << TDX_VERSION_SHIFT, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
}

#define TEST(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, tdtest_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_add_levels, tdtest_setup_td),
		TEST(test_add_outputs_cleared, tdtest_setup_td),
		TEST(test_add_bad_level, tdtest_setup_td),
		TEST(test_add_misaligned_gpa, tdtest_setup_td),
		TEST(test_add_page_info_reserved, tdtest_setup_td),
		TEST(test_add_gpa_validity, tdtest_setup_td),
		TEST(test_add_missing_parent, tdtest_setup_td),
		TEST(test_add_existing, tdtest_setup_td),
		TEST(test_add_on_leaf, tdtest_setup_td),
		TEST(test_add_r8_checks, tdtest_setup_td),
		TEST(test_add_r8_inside_2m_page, tdtest_setup_built),
		TEST(test_add_handle_reserved, tdtest_setup_td),
		TEST(test_add_tdr_errors, tdtest_setup_td),
		TEST(test_add_after_finalize, tdtest_setup_finalized),
		TEST(test_remove_before_finalize, tdtest_setup_td),
		TEST(test_remove_table_with_leaf, tdtest_setup_built),
		TEST(test_remove_operands, tdtest_setup_td),
		TEST(test_remove_runnable, tdtest_setup_finalized),
		TEST(test_remove_runnable_not_free, tdtest_setup_finalized),
		TEST(test_versions_need_partitioning, tdtest_setup_td),
		TEST(test_rd_states, tdtest_setup_built),
		TEST(test_rd_2m_leaf, tdtest_setup_built),
		TEST(test_rd_errors, tdtest_setup_built),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
