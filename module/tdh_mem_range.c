// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.RANGE.BLOCK / UNBLOCK and TDH.MEM.TRACK: the TLB-tracking
 * protocol.  BLOCK stamps the page with the current TD epoch; TRACK starts a
 * new epoch once no vCPU runs in the one before it; a blocked page is safe
 * to remove once every vCPU that might cache it has left its epoch.
 */
#include "module_internal.h"

/* The PAMT entry whose BEPOCH tracks a blocked S-EPT entry. */
static struct pamt_entry *bepoch_entry(struct seam_ctx *c, u64 val, int level)
{
	enum sept_istate s = sept_state(val);

	if (s == SEPTI_NL_MAPPED || s == SEPTI_NL_BLOCKED)
		return pamt_entry_of(c->m, sept_hpa(val), TDX_PS_4K);
	return pamt_entry_of(c->m, sept_hpa(val), level);
}

u64 tdh_mem_range_block(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	u64 page_info = r->rcx, tdr_pa = r->rdx;
	struct sept_op op;
	u64 err;

	r->rcx = r->rdx = 0;
	err = sept_op_begin(c, TDH_MEM_RANGE_BLOCK, page_info, tdr_pa, 0, -1, LOCK_EXCLUSIVE, &op);
	if (err)
		return err;
	bepoch_entry(c, op.val, op.pi.level)->bepoch = op.td.tdcs->td_epoch;
	sept_entry_set_unlock(op.td.tdcs, op.entry,
			      sept_make(sept_blocked(sept_state(op.val)), sept_hpa(op.val),
					op.pi.level));
	op.entry = NULL;
	sept_op_end(&op);
	return err;
}

u64 tdh_mem_range_unblock(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	u64 page_info = r->rcx, tdr_pa = r->rdx;
	struct sept_op op;
	u64 err;

	r->rcx = r->rdx = 0;
	err = sept_op_begin(c, TDH_MEM_RANGE_UNBLOCK, page_info, tdr_pa, 0, -1, LOCK_EXCLUSIVE,
			    &op);
	if (err)
		return err;
	err = sept_tlb_check(c, &op, bepoch_entry(c, op.val, op.pi.level), TDX_OPERAND_ID_SEPT);
	if (!err) {
		sept_entry_set_unlock(op.td.tdcs, op.entry, sept_make(sept_unblocked(sept_state(op.val)),
							  sept_hpa(op.val), op.pi.level));
		op.entry = NULL;
	}
	sept_op_end(&op);
	return err;
}

u64 tdh_mem_track(struct seam_ctx *c)
{
	struct tdcs *tdcs;
	struct td_ref td;
	u64 err;

	err = td_lock_and_check(c, c->regs->rcx, TDX_OPERAND_ID_RCX, LOCK_SHARED, TDH_MEM_TRACK,
				LOCK_SHARED, &td);
	if (err)
		return err;
	tdcs = td.tdcs;
	if (!sharex_trylock(&tdcs->epoch_lock, LOCK_EXCLUSIVE)) {
		err = api_error(TDX_OPERAND_BUSY, TDX_OPERAND_ID_TD_EPOCH);
	} else {
		if (atomic_load(&tdcs->refcount[1 - (tdcs->td_epoch & 1)]))
			err = TDX_PREVIOUS_TLB_EPOCH_BUSY;
		else
			tdcs->td_epoch++;
		sharex_unlock(&tdcs->epoch_lock, LOCK_EXCLUSIVE);
	}
	td_release(&td);
	return err;
}
