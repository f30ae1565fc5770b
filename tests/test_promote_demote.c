// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.PAGE.DEMOTE / PROMOTE: splitting a 2M page into 512 4K entries
 * under a new S-EPT page and merging them back, the merge conditions, the
 * blocking and TLB tracking a runnable TD needs, and the page sizes
 * TDH.PHYMEM.PAGE.RDMD reports on the way.
 */
#include "tdtest.h"

#include <stdlib.h>
#include <string.h>

#define GPA_2M			0x400000ULL
#define GPA_2M_B		0x600000ULL
/* The @i-th 4K page from @base (GPA or HPA). */
#define PG(base, i)		((base) + (u64)(i) * TDX_PAGE_SIZE)

/* ---- host page bookkeeping (tdlib's list, reclaimed at teardown) ---------- */

/* Takes the list entry @entry (HPA | 2M bit) off tdlib's list. */
static void disown(struct tdtest *t, u64 entry)
{
	struct tdlib_td *td = &t->td;

	for (size_t i = 0; i < td->nr_pages; i++) {
		if (td->pages[i] == entry) {
			td->pages[i] = td->pages[--td->nr_pages];
			return;
		}
	}
	fail_msg("page %#llx not owned by the TD", (unsigned long long)entry);
}

/* After DEMOTE the TD owns 512 4K pages, reclaimed one by one. */
static void split_owned(struct tdtest *t, u64 base)
{
	disown(t, base | 1);
	for (int i = 0; i < 512; i++)
		tdlib_adopt_page(&t->td, PG(base, i), 1);
}

/* After PROMOTE it owns one 2M page again. */
static void merge_owned(struct tdtest *t, u64 base)
{
	for (int i = 0; i < 512; i++)
		disown(t, PG(base, i));
	tdlib_adopt_page(&t->td, base, 512);
}

/* ---- SEAMCALL wrappers ------------------------------------------------------- */

static u64 block(struct tdtest *t, u64 gpa, int level)
{
	struct seamcall_regs r;

	return tdtest_mem_call(t, TDH_MEM_RANGE_BLOCK, gpa, level, &r);
}

static u64 aug_2m(struct tdtest *t, u64 gpa)
{
	u64 pa = tdtest_alloc_2m(t);
	struct seamcall_regs r = { .rcx = gpa | 1, .rdx = t->td.tdr, .r8 = pa };

	assert_status(tdtest_call(t, TDH_MEM_PAGE_AUG, &r), TDX_SUCCESS);
	tdlib_adopt_page(&t->td, pa, 512);
	return pa;
}

static u64 demote_raw(struct tdtest *t, u64 page_info, u64 handle, u64 new_pa,
		      struct seamcall_regs *r)
{
	*r = (struct seamcall_regs){ .rcx = page_info, .rdx = handle, .r8 = new_pa };
	return tdtest_call(t, TDH_MEM_PAGE_DEMOTE, r);
}

/* DEMOTE of the 2M page at @gpa (HPA @base); returns the new S-EPT page. */
static u64 demote(struct tdtest *t, u64 gpa, u64 base)
{
	struct seamcall_regs r;
	u64 table = tdtest_page(t);

	assert_status(demote_raw(t, gpa | 1, t->td.tdr, table, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rdx, 0);
	tdlib_adopt_page(&t->td, table, 1);
	split_owned(t, base);
	return table;
}

/* A DEMOTE that must fail with @expected and leave its R8 page free. */
static void demote_fails(struct tdtest *t, u64 page_info, u64 handle, u64 expected)
{
	struct seamcall_regs r;
	u64 table = tdtest_page(t);

	assert_status(demote_raw(t, page_info, handle, table, &r), expected);
	r = (struct seamcall_regs){ .rcx = table };
	assert_status(tdtest_call(t, TDH_PHYMEM_PAGE_RDMD, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, PT_NDA);
	platform_free_pages(t->h->plat, table, 1);
}

/* PROMOTE at (@gpa, 2M) of the pages at @base; frees the S-EPT page. */
static void promote(struct tdtest *t, u64 gpa, u64 base, u64 table)
{
	struct seamcall_regs r;

	assert_status(tdtest_mem_call(t, TDH_MEM_PAGE_PROMOTE, gpa, 1, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, table);
	assert_int_equal(r.rdx, 0);
	tdlib_release_page(&t->td, table);
	merge_owned(t, base);
}

/* PHYMEM.PAGE.RDMD of @pa: asserts type and owner, returns the page size. */
static u64 rdmd_size(struct tdtest *t, u64 pa, u64 pt)
{
	struct seamcall_regs r = { .rcx = pa };

	assert_status(tdtest_call(t, TDH_PHYMEM_PAGE_RDMD, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, pt);
	if (pt != PT_NDA)
		assert_int_equal(r.rdx, t->td.tdr);
	return r.r8;
}

/* The 512 children of (@gpa, 2M) map @base.. in @state (no access). */
static void assert_children(struct tdtest *t, u64 gpa, u64 base, u8 state, u64 rwx)
{
	static const int idx[] = { 0, 1, 2, 255, 256, 510, 511 };

	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
		tdtest_assert_entry(t, PG(gpa, idx[i]), 0,
				    ARCH_NO_ACCESS(PG(base, idx[i])) | rwx, SEPT_INFO(0, state));
}

/* SEPT.ADD of a PT for the 2M range at @gpa. */
static void add_pt(struct tdtest *t, u64 gpa)
{
	u64 pa = tdtest_page(t);
	struct seamcall_regs r = { .rcx = gpa | 1, .rdx = t->td.tdr, .r8 = pa };

	assert_status(tdtest_call(t, TDH_MEM_SEPT_ADD, &r), TDX_SUCCESS);
	tdlib_adopt_page(&t->td, pa, 1);
}

/* PAGE.AUG (or PAGE.ADD if @add) of 4K page @hpa at @gpa. */
static void map_4k(struct tdtest *t, u64 gpa, u64 hpa, bool add)
{
	struct seamcall_regs r = { .rcx = gpa, .rdx = t->td.tdr, .r8 = hpa, .r9 = t->td.source };

	assert_status(tdtest_call(t, add ? TDH_MEM_PAGE_ADD : TDH_MEM_PAGE_AUG, &r),
		      TDX_SUCCESS);
	tdlib_adopt_page(&t->td, hpa, 1);
}

/* ---- TDH.MEM.PAGE.DEMOTE ------------------------------------------------------- */

static void test_demote_pending_2m(void **state)
{
	struct tdtest *t = *state;
	u64 base = aug_2m(t, GPA_2M), table;

	assert_int_equal(rdmd_size(t, base, PT_REG), TDX_PS_2M);
	table = demote(t, GPA_2M, base);
	tdtest_assert_entry(t, GPA_2M, 1, ARCH_NL_MAPPED, SEPT_INFO(1, SEPT_NL_MAPPED));
	assert_children(t, GPA_2M, base, SEPT_PENDING, 0);
	/* The PAMT now holds 512 4K pages and one S-EPT page. */
	assert_int_equal(rdmd_size(t, base, PT_REG), TDX_PS_4K);
	assert_int_equal(rdmd_size(t, PG(base, 1), PT_REG), TDX_PS_4K);
	assert_int_equal(rdmd_size(t, PG(base, 511), PT_REG), TDX_PS_4K);
	assert_int_equal(rdmd_size(t, table, PT_EPT), TDX_PS_4K);
}

static void test_demote_operands(void **state)
{
	struct tdtest *t = *state;
	u64 base = aug_2m(t, GPA_2M), tdr = t->td.tdr;
	struct seamcall_regs r;

	demote_fails(t, GPA_2M | 1, tdr | 2, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	demote_fails(t, GPA_2M | 1, tdr | 0x400, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	demote_fails(t, GPA_2M | 1, tdr | 1ULL << 55, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	demote_fails(t, GPA_2M | 1, t->td.tdcs[0],
		     TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
	demote_fails(t, GPA_2M | 0, tdr, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	demote_fails(t, GPA_2M | 3, tdr, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	demote_fails(t, (GPA_2M + TDX_PAGE_SIZE) | 1, tdr,
		     TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	demote_fails(t, GPA_2M | 1 | 1ULL << 47, tdr, TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	/* Only leaves can be split. */
	demote_fails(t, 0 | 1, tdr, TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	demote_fails(t, GPA_2M_B | 1, tdr, TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_status(demote_raw(t, 0 | 1, tdr, 0, &r),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NL_MAPPED);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_NL_MAPPED));
	/* The new S-EPT page (R8). */
	assert_status(demote_raw(t, GPA_2M | 1, tdr, 0, &r),
		      TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_R8);
	assert_status(demote_raw(t, GPA_2M | 1, tdr, t->td.tdcs[1], &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
	assert_status(demote_raw(t, GPA_2M | 1, tdr, PG(base, 3), &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
	assert_status(demote_raw(t, GPA_2M | 1, tdr, t->td.source + 0x10, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
	/* Unlike SEPT.ADD, DEMOTE does not ignore R8 bit 63. */
	assert_status(demote_raw(t, GPA_2M | 1, tdr, t->td.source | 1ULL << 63, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
	/* Nothing changed. */
	tdtest_assert_entry(t, GPA_2M, 1, ARCH_NO_ACCESS(base) | ARCH_PS,
			    SEPT_INFO(1, SEPT_PENDING));
	assert_int_equal(rdmd_size(t, base, PT_REG), TDX_PS_2M);
}

static void test_demote_runnable(void **state)
{
	struct tdtest *t = *state;
	u64 base = aug_2m(t, GPA_2M);
	struct seamcall_regs r;

	assert_status(demote_raw(t, GPA_2M | 1, t->td.tdr, t->td.tdcs[0], &r),
		      TDX_GPA_RANGE_NOT_BLOCKED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NO_ACCESS(base) | ARCH_PS);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_PENDING));
	demote_fails(t, GPA_2M | 1, t->td.tdr, TDX_GPA_RANGE_NOT_BLOCKED | TDX_OPERAND_ID_RCX);
	assert_status(block(t, GPA_2M, 1), TDX_SUCCESS);
	demote_fails(t, GPA_2M | 1, t->td.tdr, TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_RCX);
	assert_status(tdtest_track(t), TDX_SUCCESS);
	demote(t, GPA_2M, base);
	/* The children come out unblocked. */
	tdtest_assert_entry(t, GPA_2M, 1, ARCH_NL_MAPPED, SEPT_INFO(1, SEPT_NL_MAPPED));
	assert_children(t, GPA_2M, base, SEPT_PENDING, 0);
	assert_int_equal(rdmd_size(t, base, PT_REG), TDX_PS_4K);
}

static void test_demote_blocked_before_finalize(void **state)
{
	struct tdtest *t = *state;
	u64 base = aug_2m(t, GPA_2M);

	/* A PENDING_BLOCKED leaf splits into PENDING children. */
	assert_status(block(t, GPA_2M, 1), TDX_SUCCESS);
	demote(t, GPA_2M, base);
	assert_children(t, GPA_2M, base, SEPT_PENDING, 0);
}

/* ---- TDH.MEM.PAGE.PROMOTE ------------------------------------------------------- */

static void test_promote_back(void **state)
{
	struct tdtest *t = *state;
	u64 base = aug_2m(t, GPA_2M), table;

	table = demote(t, GPA_2M, base);
	promote(t, GPA_2M, base, table);
	tdtest_assert_entry(t, GPA_2M, 1, ARCH_NO_ACCESS(base) | ARCH_PS,
			    SEPT_INFO(1, SEPT_PENDING));
	assert_int_equal(rdmd_size(t, base, PT_REG), TDX_PS_2M);
	assert_int_equal(rdmd_size(t, PG(base, 9), PT_REG), TDX_PS_2M);
	assert_int_equal(rdmd_size(t, table, PT_NDA), TDX_PS_4K);
	/* And once more. */
	table = demote(t, GPA_2M, base);
	assert_children(t, GPA_2M, base, SEPT_PENDING, 0);
	promote(t, GPA_2M, base, table);
}

static void test_promote_mapped_round_trip(void **state)
{
	struct tdtest *t = *state;
	u64 base = tdtest_alloc_2m(t), table;

	/* 512 contiguous PAGE.ADDs merge into a MAPPED 2M page. */
	add_pt(t, GPA_2M);
	for (int i = 0; i < 512; i++)
		map_4k(t, PG(GPA_2M, i), PG(base, i), true);
	table = t->td.pages[t->td.nr_pages - 513];
	promote(t, GPA_2M, base, table);
	tdtest_assert_entry(t, GPA_2M, 1, ARCH_MAPPED(base) | ARCH_PS, SEPT_INFO(1, SEPT_MAPPED));
	assert_int_equal(rdmd_size(t, base, PT_REG), TDX_PS_2M);
	demote(t, GPA_2M, base);
	assert_children(t, GPA_2M, base, SEPT_MAPPED, 0x7);
}

static void test_promote_missing_child(void **state)
{
	struct tdtest *t = *state;
	u64 base = aug_2m(t, GPA_2M), table, other;
	struct seamcall_regs r;

	table = demote(t, GPA_2M, base);
	other = tdtest_page(t);		/* before the allocator gets page 3 back */
	assert_status(tdtest_mem_call(t, TDH_MEM_PAGE_REMOVE, PG(GPA_2M, 3), 0, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, PG(base, 3));
	tdlib_release_page(&t->td, PG(base, 3));
	assert_status(tdtest_mem_call(t, TDH_MEM_PAGE_PROMOTE, GPA_2M, 1, &r),
		      TDX_EPT_INVALID_PROMOTE_CONDITIONS | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NL_MAPPED);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_NL_MAPPED));
	/* Refilled with a page from elsewhere: not contiguous. */
	map_4k(t, PG(GPA_2M, 3), other, false);
	assert_status(tdtest_mem_call(t, TDH_MEM_PAGE_PROMOTE, GPA_2M, 1, &r),
		      TDX_EPT_INVALID_PROMOTE_CONDITIONS | TDX_OPERAND_ID_RCX);
	/* Nothing changed: the S-EPT page is still in use. */
	assert_int_equal(rdmd_size(t, table, PT_EPT), TDX_PS_4K);
	tdtest_assert_entry(t, GPA_2M, 1, ARCH_NL_MAPPED, SEPT_INFO(1, SEPT_NL_MAPPED));
	tdtest_assert_entry(t, PG(GPA_2M, 4), 0, ARCH_NO_ACCESS(PG(base, 4)),
			    SEPT_INFO(0, SEPT_PENDING));
}

static void test_promote_mixed_states(void **state)
{
	struct tdtest *t = *state;
	u64 base = aug_2m(t, GPA_2M), table;
	struct seamcall_regs r;

	table = demote(t, GPA_2M, base);
	/* One blocked child among pending ones. */
	assert_status(block(t, PG(GPA_2M, 7), 0), TDX_SUCCESS);
	assert_status(tdtest_mem_call(t, TDH_MEM_PAGE_PROMOTE, GPA_2M, 1, &r),
		      TDX_EPT_INVALID_PROMOTE_CONDITIONS | TDX_OPERAND_ID_RCX);
	assert_status(tdtest_mem_call(t, TDH_MEM_RANGE_UNBLOCK, PG(GPA_2M, 7), 0, &r), TDX_SUCCESS);
	/* The first child blocked. */
	assert_status(block(t, GPA_2M, 0), TDX_SUCCESS);
	assert_status(tdtest_mem_call(t, TDH_MEM_PAGE_PROMOTE, GPA_2M, 1, &r),
		      TDX_EPT_INVALID_PROMOTE_CONDITIONS | TDX_OPERAND_ID_RCX);
	assert_status(tdtest_mem_call(t, TDH_MEM_RANGE_UNBLOCK, GPA_2M, 0, &r), TDX_SUCCESS);
	promote(t, GPA_2M, base, table);
}

static void test_promote_mapped_and_pending(void **state)
{
	struct tdtest *t = *state;
	u64 base = tdtest_alloc_2m(t);
	struct seamcall_regs r;

	/* Contiguous pages, but child 100 is MAPPED and the rest PENDING. */
	add_pt(t, GPA_2M);
	for (int i = 0; i < 512; i++)
		map_4k(t, PG(GPA_2M, i), PG(base, i), i == 100);
	assert_status(tdtest_mem_call(t, TDH_MEM_PAGE_PROMOTE, GPA_2M, 1, &r),
		      TDX_EPT_INVALID_PROMOTE_CONDITIONS | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_NL_MAPPED));
}

static void test_promote_non_contiguous(void **state)
{
	struct tdtest *t = *state;
	u64 base = tdtest_alloc_2m(t), shifted = tdtest_alloc_2m(t);
	struct seamcall_regs r;

	/* Children 1 and 2 swapped. */
	add_pt(t, GPA_2M);
	for (int i = 0; i < 512; i++)
		map_4k(t, PG(GPA_2M, i), PG(base, i == 1 ? 2 : i == 2 ? 1 : i), false);
	assert_status(tdtest_mem_call(t, TDH_MEM_PAGE_PROMOTE, GPA_2M, 1, &r),
		      TDX_EPT_INVALID_PROMOTE_CONDITIONS | TDX_OPERAND_ID_RCX);
	/* Contiguous but not 2M-aligned: child i maps page i + 1 mod 512. */
	add_pt(t, GPA_2M_B);
	for (int i = 0; i < 512; i++)
		map_4k(t, PG(GPA_2M_B, i), PG(shifted, (i + 1) % 512), false);
	assert_status(tdtest_mem_call(t, TDH_MEM_PAGE_PROMOTE, GPA_2M_B, 1, &r),
		      TDX_EPT_INVALID_PROMOTE_CONDITIONS | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_NL_MAPPED));
}

static void test_promote_from_aug(void **state)
{
	struct tdtest *t = *state;
	u64 base = tdtest_alloc_2m(t), table;

	add_pt(t, GPA_2M);
	table = t->td.pages[t->td.nr_pages - 1];
	for (int i = 0; i < 512; i++)
		map_4k(t, PG(GPA_2M, i), PG(base, i), false);
	assert_int_equal(rdmd_size(t, base, PT_REG), TDX_PS_4K);
	promote(t, GPA_2M, base, table);
	tdtest_assert_entry(t, GPA_2M, 1, ARCH_NO_ACCESS(base) | ARCH_PS,
			    SEPT_INFO(1, SEPT_PENDING));
	assert_int_equal(rdmd_size(t, base, PT_REG), TDX_PS_2M);
}

static void test_promote_operands(void **state)
{
	struct tdtest *t = *state;
	u64 base = aug_2m(t, GPA_2M);
	struct seamcall_regs r;

	/* Already a leaf. */
	assert_status(tdtest_mem_call(t, TDH_MEM_PAGE_PROMOTE, GPA_2M, 1, &r),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NO_ACCESS(base) | ARCH_PS);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_PENDING));
	assert_status(tdtest_mem_call(t, TDH_MEM_PAGE_PROMOTE, GPA_2M_B, 1, &r),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_FREE);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_FREE));
	assert_status(tdtest_mem_call(t, TDH_MEM_PAGE_PROMOTE, GPA_2M, 0, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(tdtest_mem_call(t, TDH_MEM_PAGE_PROMOTE, 0, 3, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(tdtest_mem_call(t, TDH_MEM_PAGE_PROMOTE, GPA_2M + TDX_PAGE_SIZE, 1, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	/* No PD for the second GiB. */
	assert_status(tdtest_mem_call(t, TDH_MEM_PAGE_PROMOTE, TDX_PAGE_SIZE_1G, 1, &r),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_FREE);
	assert_int_equal(r.rdx, SEPT_INFO(2, SEPT_FREE));
	/* The image's PT: child 0 is FREE. */
	assert_status(tdtest_mem_call(t, TDH_MEM_PAGE_PROMOTE, 0, 1, &r),
		      TDX_EPT_INVALID_PROMOTE_CONDITIONS | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = GPA_2M | 1, .rdx = t->td.tdr | 1 };
	assert_status(tdtest_call(t, TDH_MEM_PAGE_PROMOTE, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
}

static void test_promote_runnable(void **state)
{
	struct tdtest *t = *state;
	u64 base = aug_2m(t, GPA_2M), table;
	struct seamcall_regs r;

	assert_status(block(t, GPA_2M, 1), TDX_SUCCESS);
	assert_status(tdtest_track(t), TDX_SUCCESS);
	table = demote(t, GPA_2M, base);
	assert_status(tdtest_mem_call(t, TDH_MEM_PAGE_PROMOTE, GPA_2M, 1, &r),
		      TDX_GPA_RANGE_NOT_BLOCKED | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, ARCH_NL_MAPPED);
	assert_int_equal(r.rdx, SEPT_INFO(1, SEPT_NL_MAPPED));
	assert_status(block(t, GPA_2M, 1), TDX_SUCCESS);
	tdtest_assert_entry(t, GPA_2M, 1, 0, SEPT_INFO(1, SEPT_NL_BLOCKED));
	assert_status(tdtest_mem_call(t, TDH_MEM_PAGE_PROMOTE, GPA_2M, 1, &r),
		      TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rdx, 0);
	assert_status(tdtest_track(t), TDX_SUCCESS);
	promote(t, GPA_2M, base, table);
	/* The merged leaf is unblocked. */
	tdtest_assert_entry(t, GPA_2M, 1, ARCH_NO_ACCESS(base) | ARCH_PS,
			    SEPT_INFO(1, SEPT_PENDING));
	assert_int_equal(rdmd_size(t, base, PT_REG), TDX_PS_2M);
}

static void test_demote_version0_only(void **state)
{
	struct tdtest *t = *state;
	u64 table = tdtest_page(t);
	struct seamcall_regs r;

	aug_2m(t, GPA_2M);
	r = (struct seamcall_regs){ .rcx = GPA_2M | 1, .rdx = t->td.tdr, .r8 = table };
	assert_status(tdtest_call(t, TDH_MEM_PAGE_DEMOTE | 1ULL << TDX_VERSION_SHIFT, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	platform_free_pages(t->h->plat, table, 1);
}

/* Version 1 is the TD-partitioning (L2) form, which this module lacks. */
static void test_promote_version1(void **state)
{
	struct tdtest *t = *state;
	u64 base = aug_2m(t, GPA_2M), table;
	struct seamcall_regs r;

	table = demote(t, GPA_2M, base);
	r = (struct seamcall_regs){ .rcx = GPA_2M | 1, .rdx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MEM_PAGE_PROMOTE | 1ULL << TDX_VERSION_SHIFT, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	r = (struct seamcall_regs){ .rcx = GPA_2M | 1, .rdx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MEM_PAGE_PROMOTE, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, table);
	tdlib_release_page(&t->td, table);
	merge_owned(t, base);
}

/* ---- TDH.PHYMEM.PAGE.RDMD page sizes ---------------------------------------------- */

static void test_rdmd_sizes(void **state)
{
	struct tdtest *t = *state;
	u64 base = aug_2m(t, GPA_2M), table;

	for (int i = 0; i < 512; i += 73)
		assert_int_equal(rdmd_size(t, PG(base, i), PT_REG), TDX_PS_2M);
	table = demote(t, GPA_2M, base);
	for (int i = 0; i < 512; i += 73)
		assert_int_equal(rdmd_size(t, PG(base, i), PT_REG), TDX_PS_4K);
	promote(t, GPA_2M, base, table);
	assert_int_equal(rdmd_size(t, base, PT_REG), TDX_PS_2M);
}

#define TEST(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, tdtest_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_demote_pending_2m, tdtest_setup_built),
		TEST(test_demote_operands, tdtest_setup_built),
		TEST(test_demote_runnable, tdtest_setup_finalized),
		TEST(test_demote_blocked_before_finalize, tdtest_setup_built),
		TEST(test_promote_back, tdtest_setup_built),
		TEST(test_promote_mapped_round_trip, tdtest_setup_built),
		TEST(test_promote_missing_child, tdtest_setup_built),
		TEST(test_promote_mixed_states, tdtest_setup_built),
		TEST(test_promote_mapped_and_pending, tdtest_setup_built),
		TEST(test_promote_non_contiguous, tdtest_setup_built),
		TEST(test_promote_from_aug, tdtest_setup_built),
		TEST(test_promote_operands, tdtest_setup_built),
		TEST(test_promote_runnable, tdtest_setup_finalized),
		TEST(test_demote_version0_only, tdtest_setup_built),
		TEST(test_promote_version1, tdtest_setup_built),
		TEST(test_rdmd_sizes, tdtest_setup_built),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
