// SPDX-License-Identifier: MIT
/*
 * TDH.PHYMEM.*: handing physical pages back to the host (PAGE.RECLAIM),
 * flushing a dead TD's key out of the caches (CACHE.WB, PAGE.WBINVD), and
 * reading a page's PAMT metadata (PAGE.RDMD).
 */
#include "module_internal.h"

static const u64 level_pages[3] = { 1, 512, 512 * 512 };

/*
 * The RCX page of RECLAIM and RDMD, locked at its real size (a large TD
 * page stops the PAMT walk early), with RCX = type, RDX = owner and
 * R8 = size filled in.  Every output register starts out zero.
 */
static u64 lock_any_page(struct seam_ctx *c, enum lock_mode mode, struct pamt_lock *pl)
{
	struct seamcall_regs *r = c->regs;
	u64 hpa = r->rcx, err;

	r->rcx = r->rdx = r->r8 = r->r9 = r->r10 = r->r11 = 0;
	if (!hpa_is_valid_private(c, hpa, TDX_PAGE_SIZE))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	err = pamt_lock_page(c->m, hpa, TDX_PS_4K, mode, TDX_OPERAND_ID_RCX, pl);
	if (err)
		return err;
	r->rcx = pamt_leaf(pl)->pt;
	r->rdx = pamt_owner(pamt_leaf(pl));
	r->r8 = pl->level;
	return TDX_SUCCESS;
}

static u64 reclaim_child(struct seam_ctx *c, struct pamt_entry *e, u64 level)
{
	struct pamt_lock tdr_lock;
	struct tdr *tdr;
	u64 err;

	err = pamt_lock_page(c->m, pamt_owner(e), TDX_PS_4K, LOCK_SHARED, TDX_OPERAND_ID_TDR,
			     &tdr_lock);
	if (err)
		return err;
	tdr = seam_page(c->p, pamt_owner(e));
	if (tdr->lifecycle != TD_TEARDOWN)
		err = TDX_LIFECYCLE_STATE_INCORRECT;
	else
		atomic_fetch_sub(&tdr->chldcnt, level_pages[level]);
	pamt_unlock_page(&tdr_lock);
	return err;
}

u64 tdh_phymem_page_reclaim(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	u64 hpa = r->rcx;
	struct pamt_entry *e;
	struct pamt_lock pl;
	u64 err;

	err = lock_any_page(c, LOCK_EXCLUSIVE, &pl);
	if (err)
		return err;
	e = pamt_leaf(&pl);
	if (e->pt == PT_NDA || e->pt == PT_RSVD) {
		r->rcx = r->rdx = r->r8 = 0;
		err = api_error(TDX_PAGE_METADATA_INCORRECT, TDX_OPERAND_ID_RCX);
		goto out;
	}
	if (hpa & ((level_pages[pl.level] << 12) - 1)) {
		err = api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	} else if (e->pt != PT_TDR) {
		err = reclaim_child(c, e, pl.level);
	} else {
		struct tdr *tdr = seam_page(c->p, hpa);

		if (tdr->lifecycle != TD_TEARDOWN)
			err = TDX_LIFECYCLE_STATE_INCORRECT;
		else if (atomic_load(&tdr->chldcnt))
			err = TDX_TD_ASSOCIATED_PAGES_EXIST;
	}
	if (!err) {
		td_vcpu_reclaim(c->m, hpa, e->pt);
		e->pt = PT_NDA;
	}
out:
	pamt_unlock_page(&pl);
	return err;
}

u64 tdh_phymem_page_wbinvd(struct seam_ctx *c)
{
	u64 hpa = platform_hpa_strip_keyid(c->p, c->regs->rcx);
	struct pamt_lock pl;
	u64 err;

	err = check_and_lock_hpa(c, hpa, PT_NDA, LOCK_SHARED, TDX_OPERAND_ID_RCX, &pl);
	if (err)
		return err;
	/* Caches are not modelled: the lines are written back by construction. */
	pamt_unlock_page(&pl);
	return TDX_SUCCESS;
}

u64 tdh_phymem_cache_wb(struct seam_ctx *c)
{
	struct tdx_module *m = c->m;
	struct lp_state *lp = &m->lp[c->lp];
	u64 resume = c->regs->rcx;
	u32 pkg = platform_lp_package(c->p, c->lp);
	bool any = false;

	if (resume > 1)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	if (!sharex_trylock(&m->kot_lock, LOCK_EXCLUSIVE))
		return api_error(TDX_OPERAND_BUSY, TDX_OPERAND_ID_KOT);
	if (resume && !lp->wbcache_in_progress) {
		sharex_unlock(&m->kot_lock, LOCK_EXCLUSIVE);
		return TDX_WBCACHE_RESUME_ERROR;
	}
	for (u32 h = m->hkid_min; h <= m->hkid_max; h++) {
		if (m->kot[h].state == KOT_STATE_HKID_FLUSHED) {
			m->kot[h].wbinvd_bitmap &= (u8)~(1u << pkg);
			any = true;
		}
	}
	lp->wbcache_in_progress = false;
	sharex_unlock(&m->kot_lock, LOCK_EXCLUSIVE);
	return any || resume ? TDX_SUCCESS : TDX_NO_HKID_READY_TO_WBCACHE;
}

u64 tdh_phymem_page_rdmd(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	struct pamt_entry *e;
	struct pamt_lock pl;
	u64 err;

	err = lock_any_page(c, LOCK_SHARED, &pl);
	if (err)
		return err;
	e = pamt_leaf(&pl);
	if (e->pt == PT_REG || e->pt == PT_EPT)
		r->r9 = e->bepoch;
	pamt_unlock_page(&pl);
	return TDX_SUCCESS;
}
