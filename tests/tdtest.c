// SPDX-License-Identifier: MIT
#include "tdtest.h"

#include <stdlib.h>
#include <string.h>

static u8 test_page_data(u64 gpa, u64 i)
{
	return (u8)((gpa >> 12) ^ i);
}

int tdtest_setup_host(void **state)
{
	struct tdtest *t = calloc(1, sizeof(*t));
	struct platform_config cfg;

	assert_non_null(t);
	platform_default_config(&cfg);
	t->h = tdx_host_create(&cfg);
	assert_non_null(t->h);
	tdx_module_set_invariant_checks(t->h->mod, true);
	t->free_at_start = platform_free_page_count(t->h->plat);
	*state = t;
	return 0;
}

int tdtest_setup_td(void **state)
{
	struct td_params tp;
	struct tdtest *t;

	tdtest_setup_host(state);
	t = *state;
	tdlib_default_params(&tp);
	assert_status(tdlib_create(t->h, &t->td, &tp), TDX_SUCCESS);
	t->has_td = true;
	return 0;
}

int tdtest_setup_vcpu(void **state)
{
	tdtest_setup_td(state);
	assert_status(tdlib_add_vcpu(&((struct tdtest *)*state)->td, 0, 0), TDX_SUCCESS);
	return 0;
}

int tdtest_setup_built(void **state)
{
	u8 page[TDX_PAGE_SIZE];
	struct tdtest *t;

	tdtest_setup_vcpu(state);
	t = *state;
	for (u64 p = 0; p < TDTEST_NR_PAGES; p++) {
		u64 gpa = TDTEST_GPA + p * TDX_PAGE_SIZE;

		for (u64 i = 0; i < sizeof(page); i++)
			page[i] = test_page_data(gpa, i);
		assert_status(tdlib_add_page(&t->td, gpa, page, true), TDX_SUCCESS);
	}
	return 0;
}

int tdtest_setup_finalized(void **state)
{
	tdtest_setup_built(state);
	assert_status(tdlib_finalize(&((struct tdtest *)*state)->td), TDX_SUCCESS);
	return 0;
}

int tdtest_teardown(void **state)
{
	struct tdtest *t = *state;

	if (t->has_td) {
		u64 st = tdlib_teardown(&t->td);

		if (st != TDX_SUCCESS)
			fail_msg("teardown: %s failed: %s (%#llx)", t->td.failed,
				 tdx_status_name(st), (unsigned long long)st);
	}
	assert_int_equal(platform_free_page_count(t->h->plat), t->free_at_start);
	tdx_host_destroy(t->h);
	free(t);
	return 0;
}

u64 tdtest_call_lp(struct tdtest *t, u32 lp, u64 leaf, struct seamcall_regs *r)
{
	return tdlib_call(t->h, lp, leaf, r);
}

u64 tdtest_call(struct tdtest *t, u64 leaf, struct seamcall_regs *r)
{
	return tdtest_call_lp(t, 0, leaf, r);
}

u64 tdtest_page(struct tdtest *t)
{
	u64 pa = platform_alloc_page(t->h->plat);

	assert_true(pa != PLATFORM_NO_HPA);
	assert_int_equal(platform_host_fill(t->h->plat, pa, 0, TDX_PAGE_SIZE), 0);
	return pa;
}

u64 tdtest_alloc_2m(struct tdtest *t)
{
	u64 pa = platform_alloc_pages(t->h->plat, 512, 512);

	assert_true(pa != PLATFORM_NO_HPA);
	return pa;
}

u64 tdtest_beyond_memory(struct tdtest *t)
{
	return PLATFORM_MEM_BASE + platform_get_config(t->h->plat)->mem_size;
}

u64 tdtest_mem_call(struct tdtest *t, u64 leaf, u64 gpa, int level, struct seamcall_regs *r)
{
	*r = (struct seamcall_regs){ .rcx = gpa | (u64)level, .rdx = t->td.tdr };
	return tdtest_call(t, leaf, r);
}

u64 tdtest_track(struct tdtest *t)
{
	struct seamcall_regs r = { .rcx = t->td.tdr };

	return tdtest_call(t, TDH_MEM_TRACK, &r);
}

u64 tdtest_td_epoch(struct tdtest *t)
{
	struct seamcall_regs r = { .rcx = t->td.tdr, .rdx = MD_TD_EPOCH };

	assert_status(tdtest_call(t, TDH_MNG_RD, &r), TDX_SUCCESS);
	return r.r8;
}

void tdtest_assert_entry(struct tdtest *t, u64 gpa, int level, u64 arch, u64 info)
{
	struct seamcall_regs r;

	assert_status(tdtest_mem_call(t, TDH_MEM_SEPT_RD, gpa, level, &r), TDX_SUCCESS);
	assert_int_equal(r.rcx, arch);
	assert_int_equal(r.rdx, info);
}

u64 tdtest_hpa_at(struct tdtest *t, u64 gpa, int level)
{
	struct seamcall_regs r;

	assert_status(tdtest_mem_call(t, TDH_MEM_SEPT_RD, gpa, level, &r), TDX_SUCCESS);
	return r.rcx & HPA_MASK;
}

u64 tdtest_last_page(struct tdtest *t)
{
	return t->td.pages[t->td.nr_pages - 1] & ~1ULL;	/* bit 0: a 2M page */
}

void tdtest_reclaim_all(struct tdtest *t)
{
	u64 st = tdlib_reclaim_all(&t->td);

	if (st != TDX_SUCCESS)
		fail_msg("reclaim: %s failed: %s (%#llx)", t->td.failed,
			 tdx_status_name(st), (unsigned long long)st);
	t->has_td = false;
}
