// SPDX-License-Identifier: MIT
/*
 * TDH.MR.EXTEND and TDH.MR.FINALIZE: measuring the initial TD contents into
 * MRTD, then sealing it.  TDH.MEM.PAGE.ADD contributes the page GPAs.
 */
#include "module_internal.h"

/*
 * The 4K page backing @gpa.  A host extends a page in 16 consecutive calls,
 * so the last translation is kept until the S-EPT next changes.
 */
static u64 mr_translate(struct seam_ctx *c, struct td_ref *td, u64 gpa, u64 *hpa)
{
	struct tdcs *tdcs = td->tdcs;
	u64 gen = atomic_load_explicit(&tdcs->sept_gen, memory_order_relaxed);
	u64 page_gpa = gpa & ~(TDX_PAGE_SIZE - 1), *entry, val;
	int level;
	u64 err;

	if (tdcs->mr_xlat_gen == gen && tdcs->mr_xlat_gpa == page_gpa) {
		*hpa = tdcs->mr_xlat_hpa;
		return TDX_SUCCESS;
	}
	err = sept_walk_to_leaf(c, td, gpa, &entry, &level);
	if (err)
		return err;
	val = sept_entry_read(entry);
	if (!sept_state_allows(TDH_MR_EXTEND, sept_state(val)))
		return TDX_EPT_ENTRY_NOT_PRESENT;
	*hpa = sept_leaf_hpa(val, level, page_gpa);
	tdcs->mr_xlat_gen = gen;
	tdcs->mr_xlat_gpa = page_gpa;
	tdcs->mr_xlat_hpa = *hpa;
	return TDX_SUCCESS;
}

static u64 mr_extend_locked(struct seam_ctx *c, struct td_ref *td, u64 gpa)
{
	struct mr_log *log;
	const u8 *page;
	u64 hpa;
	u64 err;

	if (gpa & 0xFF || !gpa_is_private(td->tdcs, gpa))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	err = mr_translate(c, td, gpa, &hpa);
	if (err)
		return err;
	page = td_map_private(c, td->tdr, hpa);
	log = td_mr_log(c, td);
	if (!page || !log)
		return TDX_TD_FATAL;
	mrtd_extend_chunk(td->tdcs, log, gpa, page + (gpa & (TDX_PAGE_SIZE - 1)));
	return TDX_SUCCESS;
}

u64 tdh_mr_extend(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	u64 gpa = r->rcx, tdr_pa = r->rdx;
	struct td_ref td;
	u64 err;

	r->rcx = r->rdx = 0;
	err = td_lock_excl_and_check(c, tdr_pa, TDX_OPERAND_ID_RDX, TDH_MR_EXTEND, &td);
	if (err)
		return err;
	err = mr_extend_locked(c, &td, gpa);
	td_release(&td);
	return err;
}

u64 tdh_mr_finalize(struct seam_ctx *c)
{
	struct mr_log *log = NULL;
	struct td_ref td;
	u64 err;

	err = td_lock_excl_and_check(c, c->regs->rcx, TDX_OPERAND_ID_RCX, TDH_MR_FINALIZE, &td);
	if (err)
		return err;
	if (!atomic_load(&td.tdcs->num_vcpus))
		err = TDX_NO_VCPUS;
	if (!err && !(log = td_mr_log(c, &td)))
		err = TDX_TD_FATAL;
	if (!err) {
		mrtd_finalize(td.tdcs, log);
		/* No service TD can be bound: SERVTD_HASH stays zero. */
		memset(td.tdcs->servtd_hash, 0, sizeof(td.tdcs->servtd_hash));
		td.tdcs->finalized = 1;
		td.tdcs->op_state = OP_STATE_RUNNABLE;
	}
	td_release(&td);
	return err;
}
