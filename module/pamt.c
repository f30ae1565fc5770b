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

static u64 pamt_walk_busy(struct pamt_lock *pl, int failed_level, u64 opnd)
{
	for (int l = failed_level + 1; l <= TDX_PS_1G; l++)
		sharex_unlock(&pl->e[l]->lock, LOCK_SHARED);
	return api_error(TDX_OPERAND_BUSY, opnd);
}

u64 pamt_lock_page(struct tdx_module *m, u64 hpa, enum tdx_page_level level,
		   enum lock_mode mode, u64 opnd, struct pamt_lock *pl)
{
	struct tdmr *t = tdmr_of(m, hpa);

	if (!t)
		return api_error(TDX_OPERAND_ADDR_RANGE_ERROR, opnd);
	pl->mode = mode;
	/*
	 * Walk down with shared locks, stopping early at a large TD page: its
	 * metadata is at that level, and the caller sees the size mismatch in
	 * pl->level.  The stop entry's lock is promoted if @mode wants it.
	 */
	for (int l = TDX_PS_1G; l >= (int)level; l--) {
		struct pamt_entry *e = &t->pamt[l][(hpa - t->base) / level_size[l]];

		if (!sharex_trylock(&e->lock, LOCK_SHARED))
			return pamt_walk_busy(pl, l, opnd);
		pl->e[l] = e;
		if (l != (int)level && e->pt != PT_REG)
			continue;
		if (mode == LOCK_EXCLUSIVE && !sharex_promote(&e->lock)) {
			sharex_unlock(&e->lock, LOCK_SHARED);
			return pamt_walk_busy(pl, l, opnd);
		}
		pl->level = l;
		break;
	}
	return TDX_SUCCESS;
}

void pamt_unlock_page(struct pamt_lock *pl)
{
	for (int l = pl->level; l <= TDX_PS_1G; l++)
		sharex_unlock(&pl->e[l]->lock, l == (int)pl->level ? pl->mode : LOCK_SHARED);
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
