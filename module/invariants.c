// SPDX-License-Identifier: MIT
/*
 * A debug checker for the module's global invariants, run after every
 * SEAMCALL when enabled (tests do).  It trusts nothing it checks: PAMT,
 * TDR, TDCS and S-EPT are cross-checked against each other.
 *
 *  - every child page's PAMT owner is a TDR page;
 *  - each TD's CHLDCNT equals the 4K pages its children occupy;
 *  - the TDCS pages in the TDR are PT_TDCX pages of that TD;
 *  - every S-EPT table is PT_EPT and every mapped page PT_REG of this TD,
 *    at the PAMT level of the mapping, and no page is mapped twice;
 *  - MRTD never changes after TDH.MR.FINALIZE.
 *
 * It reads state without locks, so it is meaningful only between SEAMCALLs
 * of a single caller.
 */
#include "module_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct td_tally {
	u64 tdr_pa;
	u64 children;		/* 4K pages owned, from the PAMT */
	u64 mapped;		/* 4K pages reached through the S-EPT */
	bool partial;		/* part of the S-EPT was unreadable (poisoned) */
};

struct checker {
	struct tdx_module *m;
	struct td_tally td[MAX_CHECKED_TDS];
	u32 nr_td;
	u8 *seen;		/* one bit per 4K page of memory: mapped once */
	char *why;
	size_t len;
};

static int fail(struct checker *k, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k->why, k->len, fmt, ap);
	va_end(ap);
	return -1;
}

static const u64 level_bytes[3] = { TDX_PAGE_SIZE, TDX_PAGE_SIZE_2M, TDX_PAGE_SIZE_1G };

static struct td_tally *tally_of(struct checker *k, u64 tdr_pa)
{
	for (u32 i = 0; i < k->nr_td; i++)
		if (k->td[i].tdr_pa == tdr_pa)
			return &k->td[i];
	return NULL;
}

static int expect_page(struct checker *k, u64 hpa, int level, u8 pt, u64 owner);

/* A vCPU's TDVPS pages: the TDVPR and its TDCX pages, all of this TD. */
static int count_vcpu(struct checker *k, struct td_tally *td, u64 tdvpr_pa)
{
	struct tdvps *v = seam_page(k->m->plat, tdvpr_pa);
	struct tdr *tdr = seam_page(k->m->plat, td->tdr_pa);

	if (tdr->lifecycle == TD_TEARDOWN || tdr->fatal)
		return 0;
	if (v->num_tdvps_pages < 1 || v->num_tdvps_pages > MAX_TDVPS_PAGES ||
	    v->tdvpx_pa[0] != tdvpr_pa)
		return fail(k, "TDVPR %#llx: bad TDVPS page list", (unsigned long long)tdvpr_pa);
	if (expect_page(k, tdvpr_pa, TDX_PS_4K, PT_TDVPR, td->tdr_pa))
		return -1;
	for (u32 i = 1; i < v->num_tdvps_pages; i++)
		if (expect_page(k, v->tdvpx_pa[i], TDX_PS_4K, PT_TDCX, td->tdr_pa))
			return -1;
	td->mapped += v->num_tdvps_pages;
	return 0;
}

static int scan_level(struct checker *k, struct tdmr *t, int level, bool pass_tdrs)
{
	u64 n = t->size / level_bytes[level];
	u64 limit = atomic_load(&t->usable_end);

	for (u64 i = 0; i < n && t->base + i * level_bytes[level] < limit; i++) {
		struct pamt_entry *e = &t->pamt[level][i];
		u64 hpa = t->base + i * level_bytes[level];
		struct td_tally *td;

		if (pass_tdrs) {
			if (e->pt == PT_TDR) {
				if (k->nr_td == MAX_CHECKED_TDS)
					return fail(k, "more than %d TDs", MAX_CHECKED_TDS);
				k->td[k->nr_td++] = (struct td_tally){ .tdr_pa = hpa };
			}
			continue;
		}
		if (e->pt == PT_NDA || e->pt == PT_RSVD || e->pt == PT_TDR)
			continue;
		td = tally_of(k, pamt_owner(e));
		if (!td)
			return fail(k, "page %#llx (type %u) owned by %#llx, not a TDR",
				    (unsigned long long)hpa, e->pt,
				    (unsigned long long)pamt_owner(e));
		td->children += level_bytes[level] / TDX_PAGE_SIZE;
		if (e->pt == PT_TDVPR && count_vcpu(k, td, hpa))
			return -1;
	}
	return 0;
}

static int expect_page(struct checker *k, u64 hpa, int level, u8 pt, u64 owner)
{
	struct pamt_entry *e = pamt_entry_of(k->m, hpa, level);
	u64 idx = (hpa - PLATFORM_MEM_BASE) / TDX_PAGE_SIZE;

	if (!e || e->pt != pt || pamt_owner(e) != owner)
		return fail(k, "page %#llx: PAMT says type %d owner %#llx at level %d, "
			    "expected type %u of TD %#llx", (unsigned long long)hpa,
			    e ? e->pt : -1, e ? (unsigned long long)pamt_owner(e) : 0ULL,
			    level, pt, (unsigned long long)owner);
	if (k->seen[idx / 8] & (1u << (idx % 8)))
		return fail(k, "page %#llx is referenced twice", (unsigned long long)hpa);
	k->seen[idx / 8] |= 1u << (idx % 8);
	return 0;
}

static int walk_sept(struct checker *k, struct td_tally *td, u64 table_pa, int level)
{
	const struct tdr *tdr = seam_page(k->m->plat, td->tdr_pa);
	const u64 *table = seam_page(k->m->plat, table_pa);

	/* Poison the module has not consumed yet: it will kill the TD then. */
	if (!seam_intact(k->m->plat, table_pa, tdr->hkid)) {
		td->partial = true;
		return 0;
	}
	for (int i = 0; i < SEPT_ENTRIES; i++) {
		u64 e = sept_entry_read(&table[i]);
		enum sept_istate s = sept_state(e);

		if (s == SEPTI_FREE || s == SEPTI_REMOVED)
			continue;
		if (s == SEPTI_NL_MAPPED || s == SEPTI_NL_BLOCKED) {
			if (!level)
				return fail(k, "non-leaf S-EPT entry at the 4K level");
			if (expect_page(k, sept_hpa(e), TDX_PS_4K, PT_EPT, td->tdr_pa))
				return -1;
			td->mapped++;
			if (walk_sept(k, td, sept_hpa(e), level - 1))
				return -1;
			continue;
		}
		if (level > TDX_PS_1G)
			return fail(k, "leaf S-EPT entry above 1G");
		if (expect_page(k, sept_hpa(e), level, PT_REG, td->tdr_pa))
			return -1;
		td->mapped += level_bytes[level] / TDX_PAGE_SIZE;
	}
	return 0;
}

static int check_frozen(struct checker *k, u64 tdr_pa, const struct tdcs *tdcs)
{
	struct tdx_module *m = k->m;

	for (u32 i = 0; i < m->nr_frozen; i++) {
		if (m->frozen[i].tdr_pa != tdr_pa)
			continue;
		if (memcmp(m->frozen[i].mrtd, tdcs->mrtd, sizeof(tdcs->mrtd)))
			return fail(k, "MRTD of TD %#llx changed after finalize",
				    (unsigned long long)tdr_pa);
		return 0;
	}
	if (m->nr_frozen < MAX_CHECKED_TDS) {
		m->frozen[m->nr_frozen].tdr_pa = tdr_pa;
		memcpy(m->frozen[m->nr_frozen++].mrtd, tdcs->mrtd, sizeof(tdcs->mrtd));
	}
	return 0;
}

static void forget_dead_tds(struct checker *k)
{
	struct tdx_module *m = k->m;

	for (u32 i = 0; i < m->nr_frozen;)
		if (!tally_of(k, m->frozen[i].tdr_pa))
			m->frozen[i] = m->frozen[--m->nr_frozen];
		else
			i++;
}

static int check_td(struct checker *k, struct td_tally *td)
{
	struct tdr *tdr = seam_page(k->m->plat, td->tdr_pa);
	struct tdcs *tdcs;

	if (td->children != atomic_load(&tdr->chldcnt))
		return fail(k, "TD %#llx: CHLDCNT %llu but the PAMT holds %llu pages",
			    (unsigned long long)td->tdr_pa,
			    (unsigned long long)atomic_load(&tdr->chldcnt),
			    (unsigned long long)td->children);
	/*
	 * In teardown pages leave one by one, and a fatal TD's structures may
	 * be what the host corrupted: only the PAMT-side counts hold then.
	 */
	if (tdr->lifecycle == TD_TEARDOWN || tdr->fatal)
		return 0;
	for (u32 i = 0; i < tdr->num_tdcx; i++) {
		if (expect_page(k, tdr->tdcx_pa[i], TDX_PS_4K, PT_TDCX, td->tdr_pa))
			return -1;
		td->mapped++;
	}
	if (tdr->num_tdcx >= MIN_NUM_TDCS_PAGES) {
		tdcs = seam_page(k->m->plat, tdr->tdcx_pa[0]);
		if (tdcs->op_state != OP_STATE_UNINITIALIZED &&
		    walk_sept(k, td, tdr->tdcx_pa[TDCS_PAGE_SEPT_ROOT], tdcs->pwl - 1))
			return -1;
		if (tdcs->finalized && check_frozen(k, td->tdr_pa, tdcs))
			return -1;
	}
	if (!td->partial && td->mapped != td->children)
		return fail(k, "TD %#llx: %llu pages owned, %llu reachable from TDR, TDVPS "
			    "and S-EPT", (unsigned long long)td->tdr_pa,
			    (unsigned long long)td->children, (unsigned long long)td->mapped);
	return 0;
}

int module_invariants(struct tdx_module *m, char *why, size_t len)
{
	u64 mem = platform_get_config(m->plat)->mem_size;
	struct checker *k = calloc(1, sizeof(*k));
	int ret = 0;

	if (!k)
		return 0;
	*k = (struct checker){ .m = m, .why = why, .len = len };
	k->seen = calloc(mem / TDX_PAGE_SIZE / 8, 1);
	if (!k->seen)
		goto out;
	for (int pass = 1; pass >= 0 && !ret; pass--)
		for (u32 i = 0; i < m->nr_tdmrs && !ret; i++)
			for (int l = TDX_PS_1G; l >= TDX_PS_4K && !ret; l--)
				ret = scan_level(k, &m->tdmr[i], l, pass);
	for (u32 i = 0; i < k->nr_td && !ret; i++)
		ret = check_td(k, &k->td[i]);
	if (!ret)
		forget_dead_tds(k);
out:
	free(k->seen);
	free(k);
	return ret;
}
