// SPDX-License-Identifier: MIT
/*
 * TDH.MR.EXTEND and TDH.MR.FINALIZE: measuring the initial TD contents into
 * MRTD, then sealing it.  TDH.MEM.PAGE.ADD contributes the page GPAs.
 */
#include "module_internal.h"

static u64 mr_extend_locked(struct seam_ctx *c, struct td_ref *td, u64 gpa)
{
	const u8 *page;
	u64 *entry, val, hpa;
	int level;
	u64 err;

	if (gpa & 0xFF || !gpa_is_private(td->tdcs, gpa))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	err = sept_walk_to_leaf(c, td, gpa, &entry, &level);
	if (err)
		return err;
	val = sept_entry_read(entry);
	if (!sept_state_allows(TDH_MR_EXTEND, sept_state(val)))
		return TDX_EPT_ENTRY_NOT_PRESENT;
	hpa = sept_leaf_hpa(val, level, gpa);
	page = td_map_private(c, td->tdr, hpa & ~(TDX_PAGE_SIZE - 1));
	if (!page)
		return TDX_TD_FATAL;
	mrtd_extend_chunk(td->tdcs, gpa, page + (hpa & (TDX_PAGE_SIZE - 1)));
	return TDX_SUCCESS;
}

u64 tdh_mr_extend(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	u64 gpa = r->rcx, tdr_pa = r->rdx;
	struct td_ref td;
	u64 err;

	r->rcx = r->rdx = 0;
	err = td_lock_tdr(c, tdr_pa, LOCK_EXCLUSIVE, TDX_OPERAND_ID_RDX, &td);
	if (err)
		return err;
	err = td_check_state_nolock(c, &td, TDH_MR_EXTEND);
	if (!err)
		err = mr_extend_locked(c, &td, gpa);
	td_release(&td);
	return err;
}

u64 tdh_mr_finalize(struct seam_ctx *c)
{
	struct td_ref td;
	u64 err;

	err = td_lock_tdr(c, c->regs->rcx, LOCK_EXCLUSIVE, TDX_OPERAND_ID_RCX, &td);
	if (err)
		return err;
	err = td_check_state_nolock(c, &td, TDH_MR_FINALIZE);
	if (!err && !atomic_load(&td.tdcs->num_vcpus))
		err = TDX_NO_VCPUS;
	if (!err) {
		mrtd_finalize(td.tdcs);
		/* No service TD can be bound: SERVTD_HASH stays zero. */
		memset(td.tdcs->servtd_hash, 0, sizeof(td.tdcs->servtd_hash));
		td.tdcs->finalized = 1;
		td.tdcs->op_state = OP_STATE_RUNNABLE;
	}
	td_release(&td);
	return err;
}
