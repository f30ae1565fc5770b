// SPDX-License-Identifier: MIT
/*
 * The Physical Address Metadata Table: one 16-byte entry per 1 GiB, 2 MiB
 * and 4 KiB page of every TDMR, in memory the host donated at
 * TDH.SYS.CONFIG.  A page's metadata lives at the level of its size: a
 * 2 MiB TD page has its type and owner in the 2M entry, its 4K entries NDA.
 */
#include "module_internal.h"

static const u64 level_size[3] = { TDX_PAGE_SIZE, TDX_PAGE_SIZE_2M, TDX_PAGE_SIZE_1G };

/* The TDMR covering @hpa, if TDH.SYS.TDMR.INIT has reached its 1G block. */
static struct tdmr *tdmr_of(struct tdx_module *m, u64 hpa)
{
	for (u32 i = 0; i < m->nr_tdmrs; i++) {
		struct tdmr *t = &m->tdmr[i];

		if (hpa >= t->base && hpa - t->base < t->size)
			return hpa < atomic_load_explicit(&t->usable_end, memory_order_acquire) ?
			       t : NULL;
	}
	return NULL;
}

struct pamt_entry *pamt_entry_of(struct tdx_module *m, u64 hpa, enum tdx_page_level level)
{
	struct tdmr *t = tdmr_of(m, hpa);

	if (!t)
		return NULL;
	return &t->pamt[level][(hpa - t->base) / level_size[level]];
}

static bool exclusively_locked(struct pamt_entry *e)
{
	return atomic_load(&e->lock) & SHAREX_EXCLUSIVE;
}

/*
 * An exclusive large-page lock must not overlap a held child lock.  Both
 * sides lock first and look second (sequentially consistent atomics), so
 * of two racing SEAMCALLs at least one sees the other and backs off.
 */
static bool children_unlocked(struct tdmr *t, u64 hpa, int level)
{
	u64 first = (hpa - t->base) / level_size[level - 1];

	for (u64 i = first; i < first + 512; i++) {
		struct pamt_entry *e = &t->pamt[level - 1][i];

		if (atomic_load(&e->lock))
			return false;
		if (level - 1 > TDX_PS_4K && e->pt != PT_REG &&
		    !children_unlocked(t, t->base + i * level_size[level - 1], level - 1))
			return false;
	}
	return true;
}

u64 pamt_lock_page(struct tdx_module *m, u64 hpa, enum tdx_page_level level,
		   enum lock_mode mode, u64 opnd, struct pamt_lock *pl)
{
	struct tdmr *t = tdmr_of(m, hpa);
	struct pamt_entry *e;
	int l;

	if (!t)
		return api_error(TDX_OPERAND_ADDR_RANGE_ERROR, opnd);
	/*
	 * The page's metadata is at @level, or higher if it is part of a
	 * large TD page: the walk stops there and the caller sees pl->level.
	 * Only that entry is locked; the ones above are checked, not locked.
	 */
	for (l = TDX_PS_1G; l > (int)level; l--) {
		pl->e[l] = &t->pamt[l][(hpa - t->base) / level_size[l]];
		if (pl->e[l]->pt == PT_REG)
			break;
	}
	e = &t->pamt[l][(hpa - t->base) / level_size[l]];
	if (!sharex_trylock(&e->lock, mode))
		return api_error(TDX_OPERAND_BUSY, opnd);
	pl->e[l] = e;
	pl->level = l;
	pl->mode = mode;
	for (int u = l + 1; u <= TDX_PS_1G; u++) {
		struct pamt_entry *up = &t->pamt[u][(hpa - t->base) / level_size[u]];

		/* A large page formed or is forming above: retry later. */
		if (exclusively_locked(up) || up->pt == PT_REG) {
			sharex_unlock(&e->lock, mode);
			return api_error(TDX_OPERAND_BUSY, opnd);
		}
	}
	if (l > TDX_PS_4K && mode == LOCK_EXCLUSIVE && e->pt != PT_REG &&
	    !children_unlocked(t, hpa & ~(level_size[l] - 1), l)) {
		sharex_unlock(&e->lock, mode);
		return api_error(TDX_OPERAND_BUSY, opnd);
	}
	return TDX_SUCCESS;
}

void pamt_unlock_page(struct pamt_lock *pl)
{
	sharex_unlock(&pl->e[pl->level]->lock, pl->mode);
}

enum tdx_page_level pamt_page_level(struct tdx_module *m, u64 hpa)
{
	for (int l = TDX_PS_1G; l > TDX_PS_4K; l--) {
		struct pamt_entry *e = pamt_entry_of(m, hpa, l);

		if (e && e->pt != PT_NDA)
			return l;
	}
	return TDX_PS_4K;
}
