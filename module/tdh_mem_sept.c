// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.SEPT.ADD / REMOVE / RD: building, tearing down and reading the
 * Secure-EPT's non-leaf levels.
 */
#include "module_internal.h"

u64 tdh_mem_sept_add(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	u64 page_info = r->rcx, handle = r->rdx, new_pa = r->r8;
	struct pamt_lock pl;
	struct sept_op op;
	enum sept_istate st;
	u64 err;

	r->rcx = r->rdx = 0;
	if (handle & TD_HANDLE_RSVD)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	err = sept_op_begin(c, TDH_MEM_SEPT_ADD, page_info, handle & ~TD_HANDLE_FLAG, 1, -1,
			    LOCK_SHARED, &op);
	if (err)
		return err;
	st = sept_state(op.val);
	if (!new_pa) {
		err = api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R8);
	} else if (st == SEPTI_NL_MAPPED) {
		if (!(handle & TD_HANDLE_FLAG))
			err = sept_op_error(c, &op, TDX_EPT_ENTRY_STATE_INCORRECT);
	} else {
		new_pa &= ~(1ULL << 63);
		err = check_and_lock_hpa(c, new_pa, PT_NDA, LOCK_EXCLUSIVE, TDX_OPERAND_ID_R8, &pl);
		if (!err) {
			seam_claim(c->p, new_pa, td_hkid(&op.td));
			sept_init_table(seam_page(c->p, new_pa));
			pamt_leaf(&pl)->pt = PT_EPT;
			pamt_set_owner(pamt_leaf(&pl), op.td.tdr_pa);
			pamt_leaf(&pl)->bepoch = 0;
			pamt_unlock_page(&pl);
			atomic_fetch_add(&op.td.tdr->chldcnt, 1);
			sept_entry_set_unlock(op.td.tdcs, op.entry,
					      sept_make(SEPTI_NL_MAPPED, new_pa, op.pi.level));
			op.entry = NULL;
		}
	}
	sept_op_end(&op);
	return err;
}

static bool table_all_free(const u64 *table)
{
	for (int i = 0; i < SEPT_ENTRIES; i++)
		if (sept_state(sept_entry_read(&table[i])) != SEPTI_FREE)
			return false;
	return true;
}

u64 tdh_mem_sept_remove(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	u64 page_info = r->rcx, tdr_pa = r->rdx, child_pa;
	struct pamt_lock pl;
	struct sept_op op;
	u64 *child;
	u64 err;

	r->rcx = r->rdx = 0;
	err = sept_op_begin(c, TDH_MEM_SEPT_REMOVE, page_info, tdr_pa, 1, -1, LOCK_EXCLUSIVE, &op);
	if (err)
		return err;
	child_pa = sept_hpa(op.val);
	err = pamt_lock_page(c->m, child_pa, TDX_PS_4K, LOCK_EXCLUSIVE, TDX_OPERAND_ID_RCX, &pl);
	if (err)
		goto out;
	err = sept_tlb_check(c, &op, pamt_leaf(&pl), TDX_OPERAND_ID_RCX);
	if (!err) {
		child = td_map_private(c, op.td.tdr, child_pa);
		if (!child)
			err = TDX_TD_FATAL;
		else if (!table_all_free(child))
			err = sept_op_error(c, &op, TDX_EPT_PAGE_NOT_FREE);
	}
	if (!err) {
		pamt_leaf(&pl)->pt = PT_NDA;
		atomic_fetch_sub(&op.td.tdr->chldcnt, 1);
		sept_entry_set_unlock(op.td.tdcs, op.entry, sept_free_entry());
		op.entry = NULL;
		r->rcx = child_pa;
	}
	pamt_unlock_page(&pl);
out:
	sept_op_end(&op);
	return err;
}

u64 tdh_mem_sept_rd(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	u64 page_info = r->rcx, handle = r->rdx;
	struct sept_op op;
	u64 err;

	r->rcx = r->rdx = 0;
	memset(&op, 0, sizeof(op));
	err = td_lock_and_check(c, handle & ~TD_HANDLE_FLAG, TDX_OPERAND_ID_RDX, LOCK_SHARED,
				TDH_MEM_SEPT_RD, LOCK_SHARED, &op.td);
	if (err)
		return err;
	if ((handle & TD_HANDLE_FLAG) && !(op.td.tdcs->attributes & TDX_ATTR_DEBUG))
		err = api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	else
		err = sept_op_walk(c, TDH_MEM_SEPT_RD, &op, page_info, 0, -1, LOCK_SHARED);
	if (!err) {
		sept_set_details(c, op.val, op.pi.level);
		/* No L2 VMs: there are no L2 attributes to report. */
		if (handle & TD_HANDLE_FLAG)
			r->r8 = 0;
	}
	sept_op_end(&op);
	return err;
}
