// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.PAGE.*: private pages in and out of a TD: ADD (measured, before
 * finalize), AUG (pending, accepted later by the guest), REMOVE, and the
 * 2M/1G size changes PROMOTE and DEMOTE.
 */
#include "module_internal.h"

static const u64 level_bytes[3] = { TDX_PAGE_SIZE, TDX_PAGE_SIZE_2M, TDX_PAGE_SIZE_1G };

static u64 pages_at(int level)
{
	return level_bytes[level] / TDX_PAGE_SIZE;
}

static void pamt_set(struct pamt_entry *e, enum tdx_page_type pt, u64 owner)
{
	e->pt = pt;
	pamt_set_owner(e, owner);
	e->bepoch = 0;
}

/* ---- TDH.MEM.PAGE.ADD ---------------------------------------------------------- */

static u64 page_add_locked(struct seam_ctx *c, struct td_ref *td, u64 page_info,
			   u64 target, u64 source)
{
	struct page_info pi;
	struct pamt_lock pl;
	struct mr_log *log;
	u64 *entry, val;
	int reached;
	u64 err;

	err = decode_page_info(c, td, page_info, 0, 0, &pi);
	if (err)
		return err;
	/* The exclusive TDR lock stands for the S-EPT tree and entry locks. */
	entry = sept_walk(c, td, pi.gpa, 0, &reached);
	if (!entry)
		return TDX_TD_FATAL;
	val = sept_entry_read(entry);
	if (reached != 0) {
		sept_set_details(c, val, reached);
		return api_error(TDX_EPT_WALK_FAILED, TDX_OPERAND_ID_RCX);
	}
	if (!sept_state_allows(TDH_MEM_PAGE_ADD, sept_state(val))) {
		sept_set_details(c, val, 0);
		return api_error(TDX_EPT_ENTRY_STATE_INCORRECT, TDX_OPERAND_ID_RCX);
	}
	if (!hpa_is_valid_shared(c, source, TDX_PAGE_SIZE))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R9);
	err = check_and_lock_hpa(c, target, PT_NDA, LOCK_EXCLUSIVE, TDX_OPERAND_ID_R8, &pl);
	if (err)
		return err;
	log = td_mr_log(c, td);
	if (!log) {
		pamt_unlock_page(&pl);
		return TDX_TD_FATAL;
	}
	seam_copy_page(c->p, target, td_hkid(td), source);
	sept_entry_set_unlock(td->tdcs, entry, sept_make(SEPTI_MAPPED, target, 0));
	mrtd_extend_page_add(td->tdcs, log, pi.gpa);
	atomic_fetch_add(&td->tdr->chldcnt, 1);
	pamt_set(pamt_leaf(&pl), PT_REG, td->tdr_pa);
	pamt_unlock_page(&pl);
	return TDX_SUCCESS;
}

u64 tdh_mem_page_add(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	u64 page_info = r->rcx, tdr_pa = r->rdx;
	struct td_ref td;
	u64 err;

	r->rcx = r->rdx = 0;
	err = td_lock_excl_and_check(c, tdr_pa, TDX_OPERAND_ID_RDX, TDH_MEM_PAGE_ADD, &td);
	if (err)
		return err;
	err = page_add_locked(c, &td, page_info, r->r8, r->r9);
	td_release(&td);
	return err;
}

/* ---- TDH.MEM.PAGE.AUG ------------------------------------------------------------ */

static bool pamt_2m_range_free(struct tdx_module *m, u64 hpa)
{
	struct pamt_entry *e = pamt_entry_of(m, hpa, TDX_PS_4K);

	for (int i = 0; i < SEPT_ENTRIES; i++)
		if (e[i].pt != PT_NDA)
			return false;
	return true;
}

/* A free 4K page or 2M range at @hpa, locked at @level. */
static u64 lock_free_range(struct seam_ctx *c, u64 hpa, int level, struct pamt_lock *pl)
{
	u64 err;

	if (level == TDX_PS_4K)
		return check_and_lock_hpa(c, hpa, PT_NDA, LOCK_EXCLUSIVE, TDX_OPERAND_ID_R8, pl);
	if (!hpa_is_valid_private(c, hpa, TDX_PAGE_SIZE_2M))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R8);
	err = pamt_lock_page(c->m, hpa, TDX_PS_2M, LOCK_EXCLUSIVE, TDX_OPERAND_ID_R8, pl);
	if (err)
		return err;
	if (pl->level != TDX_PS_2M || pamt_leaf(pl)->pt != PT_NDA ||
	    !pamt_2m_range_free(c->m, hpa)) {
		pamt_unlock_page(pl);
		return api_error(TDX_PAGE_METADATA_INCORRECT, TDX_OPERAND_ID_R8);
	}
	return TDX_SUCCESS;
}

u64 tdh_mem_page_aug(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	u64 page_info = r->rcx, tdr_pa = r->rdx, hpa = r->r8;
	struct pamt_lock pl;
	struct sept_op op;
	u64 err;

	r->rcx = r->rdx = 0;
	err = sept_op_begin(c, TDH_MEM_PAGE_AUG, page_info, tdr_pa, 0, 1, LOCK_SHARED, &op);
	if (err)
		return err;
	err = lock_free_range(c, hpa, op.pi.level, &pl);
	if (!err) {
		pamt_set(pamt_leaf(&pl), PT_REG, op.td.tdr_pa);
		pamt_unlock_page(&pl);
		atomic_fetch_add(&op.td.tdr->chldcnt, pages_at(op.pi.level));
		sept_entry_set_unlock(op.td.tdcs, op.entry,
				      sept_make(SEPTI_PENDING, hpa, op.pi.level));
		op.entry = NULL;
	}
	sept_op_end(&op);
	return err;
}

/* ---- TDH.MEM.PAGE.REMOVE --------------------------------------------------------- */

u64 tdh_mem_page_remove(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	u64 page_info = r->rcx, tdr_pa = r->rdx, hpa;
	struct pamt_lock pl;
	struct sept_op op;
	u64 err;

	r->rcx = r->rdx = 0;
	err = sept_op_begin(c, TDH_MEM_PAGE_REMOVE, page_info, tdr_pa, 0, 2, LOCK_SHARED, &op);
	if (err)
		return err;
	hpa = sept_hpa(op.val);
	err = pamt_lock_page(c->m, hpa, op.pi.level, LOCK_EXCLUSIVE, TDX_OPERAND_ID_RCX, &pl);
	if (err)
		goto out;
	err = sept_tlb_check(c, &op, pamt_leaf(&pl), TDX_OPERAND_ID_RCX);
	if (!err) {
		sept_entry_set_unlock(op.td.tdcs, op.entry, sept_free_entry());
		op.entry = NULL;
		atomic_fetch_sub(&op.td.tdr->chldcnt, pages_at(op.pi.level));
		pamt_leaf(&pl)->pt = PT_NDA;
		r->rcx = hpa;
	}
	pamt_unlock_page(&pl);
out:
	sept_op_end(&op);
	return err;
}

/* ---- TDH.MEM.PAGE.PROMOTE -------------------------------------------------------- */

/* Are the 512 children one contiguous, equally mapped large page? */
static bool children_mergeable(const u64 *child, int parent_level, u64 first)
{
	u64 step = level_bytes[parent_level - 1];
	enum sept_istate st = sept_state(first);

	if (sept_hpa(first) & (level_bytes[parent_level] - 1))
		return false;
	if (st != SEPTI_MAPPED && st != SEPTI_PENDING)
		return false;
	for (int i = 1; i < SEPT_ENTRIES; i++)
		if (sept_entry_read(&child[i]) != first + i * step)
			return false;
	return true;
}

static int lock_children(u64 *child)
{
	for (int i = 0; i < SEPT_ENTRIES; i++) {
		if (!sept_entry_trylock(&child[i])) {
			while (i--)
				sept_entry_unlock(&child[i]);
			return -1;
		}
	}
	return 0;
}

static void unlock_children(u64 *child)
{
	for (int i = 0; i < SEPT_ENTRIES; i++)
		sept_entry_unlock(&child[i]);
}

/* PAMT side of a promotion: the large entry takes over the 512 children. */
static u64 pamt_promote(struct seam_ctx *c, u64 hpa, int level, u64 owner)
{
	struct pamt_entry *kids = pamt_entry_of(c->m, hpa, level - 1);
	struct pamt_lock pl;
	u64 err;

	err = pamt_lock_page(c->m, hpa, level, LOCK_EXCLUSIVE, TDX_OPERAND_ID_RCX, &pl);
	if (err)
		return err;
	pamt_set(pamt_leaf(&pl), PT_REG, owner);
	for (int i = 0; i < SEPT_ENTRIES; i++)
		kids[i].pt = PT_NDA;
	pamt_unlock_page(&pl);
	return TDX_SUCCESS;
}

static u64 promote_locked(struct seam_ctx *c, struct sept_op *op, struct pamt_lock *table_pl)
{
	u64 table_pa = sept_hpa(op->val), first;
	u64 *child;
	u64 err;

	err = sept_tlb_check(c, op, pamt_leaf(table_pl), TDX_OPERAND_ID_RCX);
	if (err)
		return err;
	child = td_map_private(c, op->td.tdr, table_pa);
	if (!child)
		return TDX_TD_FATAL;
	if (lock_children(child))
		return sept_op_error(c, op, TDX_OPERAND_BUSY);
	first = sept_entry_read(&child[0]);
	if (!children_mergeable(child, op->pi.level, first)) {
		unlock_children(child);
		return sept_op_error(c, op, TDX_EPT_INVALID_PROMOTE_CONDITIONS);
	}
	err = pamt_promote(c, sept_hpa(first), op->pi.level, op->td.tdr_pa);
	unlock_children(child);
	if (err)
		return err;
	sept_entry_set_unlock(op->td.tdcs, op->entry,
			      sept_make(sept_state(first), sept_hpa(first), op->pi.level));
	op->entry = NULL;
	atomic_fetch_sub(&op->td.tdr->chldcnt, 1);
	pamt_leaf(table_pl)->pt = PT_NDA;
	c->regs->rcx = table_pa;
	return TDX_SUCCESS;
}

u64 tdh_mem_page_promote(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	u64 page_info = r->rcx, tdr_pa = r->rdx;
	struct pamt_lock pl;
	struct sept_op op;
	u64 err;

	r->rcx = r->rdx = 0;
	err = sept_op_begin(c, TDH_MEM_PAGE_PROMOTE, page_info, tdr_pa, 1, 2, LOCK_SHARED, &op);
	if (err)
		return err;
	err = pamt_lock_page(c->m, sept_hpa(op.val), TDX_PS_4K, LOCK_EXCLUSIVE,
			     TDX_OPERAND_ID_RCX, &pl);
	if (!err) {
		err = promote_locked(c, &op, &pl);
		pamt_unlock_page(&pl);
	}
	sept_op_end(&op);
	return err;
}

/* ---- TDH.MEM.PAGE.DEMOTE --------------------------------------------------------- */

/* PAMT side of a demotion: the 512 children take over the large entry. */
static u64 pamt_demote(struct seam_ctx *c, u64 hpa, int level, u64 owner)
{
	struct pamt_entry *kids = pamt_entry_of(c->m, hpa, level - 1);
	struct pamt_lock pl;
	u64 err;

	err = pamt_lock_page(c->m, hpa, level, LOCK_EXCLUSIVE, TDX_OPERAND_ID_RCX, &pl);
	if (err)
		return err;
	for (int i = 0; i < SEPT_ENTRIES; i++)
		pamt_set(&kids[i], PT_REG, owner);
	pamt_leaf(&pl)->pt = PT_NDA;
	pamt_unlock_page(&pl);
	return TDX_SUCCESS;
}

static u64 demote_locked(struct seam_ctx *c, struct sept_op *op, u64 table_pa)
{
	struct pamt_entry *page_meta;
	u64 hpa = sept_hpa(op->val), step = level_bytes[op->pi.level - 1];
	enum sept_istate child_state = sept_unblocked(sept_state(op->val));
	struct pamt_lock pl;
	u64 *table;
	u64 err;

	page_meta = pamt_entry_of(c->m, hpa, op->pi.level);
	err = sept_tlb_check(c, op, page_meta, TDX_OPERAND_ID_RCX);
	if (err)
		return err;
	err = check_and_lock_hpa(c, table_pa, PT_NDA, LOCK_EXCLUSIVE, TDX_OPERAND_ID_R8, &pl);
	if (err)
		return err;
	err = pamt_demote(c, hpa, op->pi.level, op->td.tdr_pa);
	if (err) {
		pamt_unlock_page(&pl);
		return err;
	}
	seam_claim(c->p, table_pa, td_hkid(&op->td));
	table = seam_page(c->p, table_pa);
	for (int i = 0; i < SEPT_ENTRIES; i++)
		table[i] = sept_make(child_state, hpa + i * step, op->pi.level - 1);
	pamt_set(pamt_leaf(&pl), PT_EPT, op->td.tdr_pa);
	pamt_unlock_page(&pl);
	atomic_fetch_add(&op->td.tdr->chldcnt, 1);
	sept_entry_set_unlock(op->td.tdcs, op->entry,
			      sept_make(SEPTI_NL_MAPPED, table_pa, op->pi.level));
	op->entry = NULL;
	return TDX_SUCCESS;
}

u64 tdh_mem_page_demote(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	u64 page_info = r->rcx, handle = r->rdx;
	struct sept_op op;
	u64 err;

	r->rcx = r->rdx = 0;
	if (handle & TD_HANDLE_RSVD)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	err = sept_op_begin(c, TDH_MEM_PAGE_DEMOTE, page_info, handle & ~TD_HANDLE_FLAG, 1, 2,
			    LOCK_SHARED, &op);
	if (err)
		return err;
	err = demote_locked(c, &op, r->r8);
	sept_op_end(&op);
	return err;
}
