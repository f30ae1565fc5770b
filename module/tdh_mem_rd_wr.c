// SPDX-License-Identifier: MIT
/*
 * TDH.MEM.RD / TDH.MEM.WR: 8-byte host access to the private memory of a
 * DEBUG TD.  A production TD's memory is never readable by the host.
 */
#include "module_internal.h"

static u64 mem_access(struct seam_ctx *c, u32 leaf, bool write)
{
	struct seamcall_regs *r = c->regs;
	u64 gpa = r->rcx, tdr_pa = r->rdx, value = r->r8;
	struct td_ref td;
	u64 *entry, val, hpa, *word;
	bool tree_locked = false;
	int level;
	u64 err;

	r->rcx = r->rdx = r->r8 = 0;
	err = td_lock_and_check(c, tdr_pa, TDX_OPERAND_ID_RDX, LOCK_SHARED, leaf, LOCK_SHARED, &td);
	if (err)
		return err;
	entry = NULL;
	if (!(td.tdcs->attributes & TDX_ATTR_DEBUG)) {
		err = TDX_TD_NON_DEBUG;
		goto out;
	}
	if (gpa & 7) {
		err = api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
		goto out;
	}
	err = sept_lock(&td, LOCK_SHARED);
	if (err)
		goto out;
	tree_locked = true;
	if (!gpa_is_private(td.tdcs, gpa)) {
		err = api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
		goto out;
	}
	err = sept_walk_to_leaf(c, &td, gpa, &entry, &level);
	if (err) {
		entry = NULL;
		goto out;
	}
	val = sept_entry_read(entry);
	if (!sept_entry_trylock(entry)) {
		entry = NULL;
		sept_set_details(c, val, level);
		err = api_error(TDX_OPERAND_BUSY, TDX_OPERAND_ID_RCX);
		goto out;
	}
	val = sept_entry_read(entry);
	if (!sept_state_allows(leaf, sept_state(val))) {
		sept_set_details(c, val, level);
		err = api_error(TDX_EPT_ENTRY_STATE_INCORRECT, TDX_OPERAND_ID_RCX);
		goto out;
	}
	hpa = sept_leaf_hpa(val, level, gpa);
	word = td_map_private(c, td.tdr, hpa & ~(TDX_PAGE_SIZE - 1));
	if (!word) {
		err = TDX_TD_FATAL;
		goto out;
	}
	word += (hpa & (TDX_PAGE_SIZE - 1)) / sizeof(u64);
	r->r8 = *word;
	if (write)
		*word = value;
out:
	if (entry)
		sept_entry_unlock(entry);
	if (tree_locked)
		sept_unlock(&td, LOCK_SHARED);
	td_release(&td);
	return err;
}

u64 tdh_mem_rd(struct seam_ctx *c)
{
	return mem_access(c, TDH_MEM_RD, false);
}

u64 tdh_mem_wr(struct seam_ctx *c)
{
	return mem_access(c, TDH_MEM_WR, true);
}
