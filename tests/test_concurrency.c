// SPDX-License-Identifier: MIT
/*
 * Concurrency: a SEAMCALL never waits.  White-box tests hold each module
 * lock and check the exact TDX_OPERAND_BUSY operand a leaf reports; stress
 * tests run SEAMCALLs from several LPs at once (retrying on BUSY, as a host
 * does) and then check the module's invariants and that no page leaked.
 */
#include "../module/module_internal.h"	/* white-box: first, for the SEAM API */
#include "tdtest.h"

#include <pthread.h>
#include <string.h>

#define AUG_GPA		0x40000000ULL

static struct pamt_entry *pamt4k(struct tdtest *t, u64 hpa)
{
	return pamt_entry_of(t->h->mod, hpa, TDX_PS_4K);
}

static struct tdcs *tdcs_of(struct tdtest *t)
{
	return seam_page(t->h->plat, t->td.tdcs[0]);
}

static u64 aug(struct tdtest *t, u64 gpa, int level, u64 hpa)
{
	struct seamcall_regs r = { .rcx = gpa | (u64)level, .rdx = t->td.tdr, .r8 = hpa };

	return tdtest_call(t, TDH_MEM_PAGE_AUG, &r);
}

static void test_busy_tdr(void **state)
{
	struct tdtest *t = *state;
	sharex_lock_t *l = &pamt4k(t, t->td.tdr)->lock;
	struct seamcall_regs r;
	u64 page = tdtest_page(t);

	assert_true(sharex_trylock(l, LOCK_EXCLUSIVE));
	assert_status(aug(t, TDTEST_GPA + 0x10000, 0, page), TDX_OPERAND_BUSY | TDX_OPERAND_ID_RDX);
	r = (struct seamcall_regs){ .rcx = t->td.tdr, .rdx = MD_TD_OP_STATE };
	assert_status(tdtest_call(t, TDH_MNG_RD, &r), TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MEM_TRACK, &r), TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX);
	/* Implicit TDR (through the TDVPR's owner): operand TDR. */
	r = (struct seamcall_regs){ .rcx = t->td.vcpu[0].tdvpr, .rdx = MD_VP_VCPU_INDEX };
	assert_status(tdtest_call(t, TDH_VP_RD, &r), TDX_OPERAND_BUSY | TDX_OPERAND_ID_TDR);
	sharex_unlock(l, LOCK_EXCLUSIVE);
	/* A shared holder still lets shared users in, but not exclusive ones. */
	assert_true(sharex_trylock(l, LOCK_SHARED));
	r = (struct seamcall_regs){ .rcx = t->td.tdr, .rdx = MD_TD_OP_STATE };
	assert_status(tdtest_call(t, TDH_MNG_RD, &r), TDX_SUCCESS);
	r = (struct seamcall_regs){ .rcx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MR_FINALIZE, &r), TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX);
	sharex_unlock(l, LOCK_SHARED);
	platform_free_pages(t->h->plat, page, 1);
}

static void test_busy_td_locks(void **state)
{
	struct tdtest *t = *state;
	struct tdcs *tdcs = tdcs_of(t);
	struct seamcall_regs r;
	u64 page = tdtest_page(t);

	assert_true(sharex_trylock(&tdcs->op_state_lock, LOCK_EXCLUSIVE));
	r = (struct seamcall_regs){ .rcx = t->td.tdr, .rdx = MD_TD_OP_STATE };
	assert_status(tdtest_call(t, TDH_MNG_RD, &r), TDX_OPERAND_BUSY | TDX_OPERAND_ID_OP_STATE);
	sharex_unlock(&tdcs->op_state_lock, LOCK_EXCLUSIVE);

	assert_true(sharex_trylock(&tdcs->sept_lock, LOCK_EXCLUSIVE));
	assert_status(aug(t, TDTEST_GPA + 0x10000, 0, page), TDX_OPERAND_BUSY | TDX_OPERAND_ID_SEPT);
	sharex_unlock(&tdcs->sept_lock, LOCK_EXCLUSIVE);

	assert_true(sharex_trylock(&tdcs->epoch_lock, LOCK_EXCLUSIVE));
	r = (struct seamcall_regs){ .rcx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MEM_TRACK, &r), TDX_OPERAND_BUSY | TDX_OPERAND_ID_TD_EPOCH);
	sharex_unlock(&tdcs->epoch_lock, LOCK_EXCLUSIVE);

	/* The target page's PAMT entry: operand R8. */
	assert_true(sharex_trylock(&pamt4k(t, page)->lock, LOCK_SHARED));
	assert_status(aug(t, TDTEST_GPA + 0x10000, 0, page), TDX_OPERAND_BUSY | TDX_OPERAND_ID_R8);
	sharex_unlock(&pamt4k(t, page)->lock, LOCK_SHARED);
	platform_free_pages(t->h->plat, page, 1);
}

static void test_busy_kot(void **state)
{
	struct tdtest *t = *state;
	u64 tdr = tdtest_page(t);
	struct seamcall_regs r = { .rcx = tdr, .rdx = (u64)t->td.hkid + 1 };

	assert_true(sharex_trylock(&t->h->mod->kot_lock, LOCK_EXCLUSIVE));
	assert_status(tdtest_call(t, TDH_MNG_CREATE, &r), TDX_OPERAND_BUSY | TDX_OPERAND_ID_KOT);
	r = (struct seamcall_regs){ 0 };
	assert_status(tdtest_call(t, TDH_PHYMEM_CACHE_WB, &r),
		      TDX_OPERAND_BUSY | TDX_OPERAND_ID_KOT);
	sharex_unlock(&t->h->mod->kot_lock, LOCK_EXCLUSIVE);
	platform_free_pages(t->h->plat, tdr, 1);
}

/* The S-EPT entry of a 4K GPA, found the way the module walks. */
static u64 *sept_entry_of(struct tdtest *t, u64 gpa)
{
	u64 table = t->td.tdcs[3];

	for (int l = 3; l > 0; l--) {
		u64 e = ((u64 *)seam_page(t->h->plat, table))[(gpa >> (12 + 9 * l)) & 511];

		table = sept_hpa(e);
	}
	return &((u64 *)seam_page(t->h->plat, table))[(gpa >> 12) & 511];
}

static void test_busy_sept_entry(void **state)
{
	struct tdtest *t = *state;
	u64 *entry = sept_entry_of(t, TDTEST_GPA);
	struct seamcall_regs r = { .rcx = TDTEST_GPA, .rdx = t->td.tdr };

	assert_true(sept_entry_trylock(entry));
	assert_status(tdtest_call(t, TDH_MEM_SEPT_RD, &r), TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX);
	/* The details name the entry: a 4K leaf in state MAPPED. */
	assert_int_equal(r.rdx, (u64)SEPT_MAPPED << 8);
	r = (struct seamcall_regs){ .rcx = TDTEST_GPA, .rdx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MEM_RANGE_BLOCK, &r),
		      TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX);
	sept_entry_unlock(entry);
	r = (struct seamcall_regs){ .rcx = TDTEST_GPA, .rdx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MEM_SEPT_RD, &r), TDX_SUCCESS);
}

/* 2M and 4K PAMT locks exclude each other in both directions. */
static void test_busy_2m_vs_4k(void **state)
{
	struct tdtest *t = *state;
	u64 big = platform_alloc_pages(t->h->plat, 512, 512);
	struct pamt_entry *child = pamt4k(t, big + 5 * TDX_PAGE_SIZE);
	struct pamt_entry *parent = pamt_entry_of(t->h->mod, big, TDX_PS_2M);

	assert_status(tdlib_map_sept(&t->td, AUG_GPA, 1), TDX_SUCCESS);
	assert_true(sharex_trylock(&child->lock, LOCK_SHARED));
	assert_status(aug(t, AUG_GPA, 1, big), TDX_OPERAND_BUSY | TDX_OPERAND_ID_R8);
	sharex_unlock(&child->lock, LOCK_SHARED);
	assert_true(sharex_trylock(&parent->lock, LOCK_EXCLUSIVE));
	assert_status(aug(t, TDTEST_GPA + 0x10000, 0, big + 5 * TDX_PAGE_SIZE),
		      TDX_OPERAND_BUSY | TDX_OPERAND_ID_R8);
	sharex_unlock(&parent->lock, LOCK_EXCLUSIVE);
	platform_free_pages(t->h->plat, big, 512);
}

/* ---- stress ---------------------------------------------------------------- */

#define NR_THREADS	4
#define ROUNDS		4

struct worker {
	struct tdx_host *h;
	u32 lp;
	u64 status;
	const char *failed;
};

static u64 one_td_life(struct worker *w)
{
	u8 page[TDX_PAGE_SIZE];
	struct td_params tp;
	struct tdlib_td td;
	u64 st;

	memset(page, (int)w->lp, sizeof(page));
	tdlib_default_params(&tp);
	st = tdlib_create_on(w->h, &td, &tp, w->lp);
	if (!st)
		st = tdlib_add_vcpu(&td, w->lp, 0);
	for (u64 i = 0; !st && i < 8; i++)
		st = tdlib_add_page(&td, i * TDX_PAGE_SIZE, page, true);
	if (!st)
		st = tdlib_finalize(&td);
	for (u64 i = 0; !st && i < 16; i++)
		st = tdlib_aug(&td, 0x200000 + i * TDX_PAGE_SIZE, 0);
	for (u64 i = 0; !st && i < 8; i++)
		st = tdlib_remove(&td, 0x200000 + i * TDX_PAGE_SIZE, 0);
	if (!st)
		st = tdlib_teardown(&td);
	w->failed = td.failed;
	return st;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < ROUNDS && !w->status; i++)
		w->status = one_td_life(w);
	return NULL;
}

static void test_stress_many_tds(void **state)
{
	struct platform_config cfg;
	struct worker w[NR_THREADS];
	pthread_t th[NR_THREADS];
	struct tdx_host *h;
	char why[256];
	u64 free_pages;

	(void)state;
	platform_default_config(&cfg);
	cfg.lps_per_package = NR_THREADS;
	h = tdx_host_create(&cfg);
	assert_non_null(h);
	free_pages = platform_free_page_count(h->plat);
	tdlib_set_busy_retries(1000000);
	for (u32 i = 0; i < NR_THREADS; i++) {
		w[i] = (struct worker){ .h = h, .lp = i };
		pthread_create(&th[i], NULL, worker_main, &w[i]);
	}
	for (u32 i = 0; i < NR_THREADS; i++) {
		pthread_join(th[i], NULL);
		if (w[i].status)
			fail_msg("LP %u: %s: %s", i, w[i].failed, tdx_status_name(w[i].status));
	}
	tdlib_set_busy_retries(0);
	assert_int_equal(tdx_module_check_invariants(h->mod, why, sizeof(why)), 0);
	assert_int_equal(platform_free_page_count(h->plat), free_pages);
	tdx_host_destroy(h);
}

struct augger {
	struct tdtest *t;
	u32 lp;
	u64 base;
	u64 pages[64];
	u64 status;
};

static void *aug_main(void *arg)
{
	struct augger *a = arg;

	for (int i = 0; i < 64 && !a->status; i++) {
		struct seamcall_regs r = {
			.rcx = a->base + (u64)i * TDX_PAGE_SIZE,
			.rdx = a->t->td.tdr,
			.r8 = a->pages[i],
		};

		a->status = tdlib_call(a->t->h, a->lp, TDH_MEM_PAGE_AUG, &r);
	}
	return NULL;
}

/* Two LPs fill the same S-EPT page: tree lock shared, entry locks. */
static void test_stress_same_td(void **state)
{
	struct tdtest *t = *state;
	struct augger a[2];
	pthread_t th[2];
	char why[256];

	assert_status(tdlib_map_sept(&t->td, AUG_GPA, 0), TDX_SUCCESS);
	tdx_module_set_invariant_checks(t->h->mod, false);
	tdlib_set_busy_retries(1000000);
	for (u32 i = 0; i < 2; i++) {
		a[i] = (struct augger){ .t = t, .lp = i, .base = AUG_GPA + i * 64 * TDX_PAGE_SIZE };
		for (int p = 0; p < 64; p++)
			a[i].pages[p] = platform_alloc_page(t->h->plat);
		pthread_create(&th[i], NULL, aug_main, &a[i]);
	}
	for (u32 i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		assert_status(a[i].status, TDX_SUCCESS);
		for (int p = 0; p < 64; p++)
			tdlib_adopt_page(&t->td, a[i].pages[p], 1);
	}
	tdlib_set_busy_retries(0);
	tdx_module_set_invariant_checks(t->h->mod, true);
	assert_int_equal(tdx_module_check_invariants(t->h->mod, why, sizeof(why)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_busy_tdr, tdtest_setup_built, tdtest_teardown),
		cmocka_unit_test_setup_teardown(test_busy_td_locks, tdtest_setup_built,
						tdtest_teardown),
		cmocka_unit_test_setup_teardown(test_busy_kot, tdtest_setup_built, tdtest_teardown),
		cmocka_unit_test_setup_teardown(test_busy_sept_entry, tdtest_setup_built,
						tdtest_teardown),
		cmocka_unit_test_setup_teardown(test_busy_2m_vs_4k, tdtest_setup_built,
						tdtest_teardown),
		cmocka_unit_test(test_stress_many_tds),
		cmocka_unit_test_setup_teardown(test_stress_same_td, tdtest_setup_finalized,
						tdtest_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
