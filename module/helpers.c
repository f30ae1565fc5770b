// SPDX-License-Identifier: MIT
/*
 * Operand checks shared by the leaves, in the order the TDX module makes
 * them: HPA form, PAMT range, PAMT lock, page size, page type; then the TD's
 * build state, its OP_STATE and its locks; then page_info and GPA checks.
 */
#include "module_internal.h"

/* Which OP_STATEs each SEAMCALL accepts; bit n = OP_STATE n. */
#define OPS(...) (0 __VA_OPT__(| OPS_BITS(__VA_ARGS__)))
#define B(s) (1u << (s))
enum {
	U = B(OP_STATE_UNINITIALIZED), I = B(OP_STATE_INITIALIZED),
	R = B(OP_STATE_RUNNABLE), LE = B(OP_STATE_LIVE_EXPORT),
	PE = B(OP_STATE_PAUSED_EXPORT), POE = B(OP_STATE_POST_EXPORT),
	MI = B(OP_STATE_MEMORY_IMPORT), SI = B(OP_STATE_STATE_IMPORT),
	POI = B(OP_STATE_POST_IMPORT), LI = B(OP_STATE_LIVE_IMPORT),
	FI = B(OP_STATE_FAILED_IMPORT),
	ALL_BUT_U = I | R | LE | PE | POE | MI | SI | POI | LI | FI,
};

static const u16 op_state_table[64] = {
	[TDH_VP_ENTER]		= R | LE | LI,
	[TDH_MNG_ADDCX]		= U,
	[TDH_MEM_PAGE_ADD]	= I,
	[TDH_MEM_SEPT_ADD]	= I | R | LE | MI | SI | POI | LI,
	[TDH_VP_ADDCX]		= I | SI,
	[TDH_MEM_PAGE_RELOCATE]	= I | R | LE | PE | POE | POI | LI,
	[TDH_MEM_PAGE_AUG]	= I | R | LE | LI,
	[TDH_MEM_RANGE_BLOCK]	= I | R | LE | PE | POE | POI | LI,
	[TDH_VP_CREATE]		= I | SI,
	[TDH_MNG_RD]		= ALL_BUT_U,
	[TDH_MEM_RD]		= ALL_BUT_U,
	[TDH_MNG_WR]		= I | R | LE | MI | SI | POI | LI | FI,
	[TDH_MEM_WR]		= I | R | LE | MI | SI | POI | LI | FI,
	[TDH_MEM_PAGE_DEMOTE]	= I | R | LE | PE | POE | POI | LI,
	[TDH_MR_EXTEND]		= I,
	[TDH_MR_FINALIZE]	= I,
	[TDH_VP_FLUSH]		= U | ALL_BUT_U,
	[TDH_MNG_INIT]		= U,
	[TDH_VP_INIT]		= I,
	[TDH_MEM_PAGE_PROMOTE]	= I | R | LE | PE | POE | POI | LI,
	[TDH_MEM_SEPT_RD]	= ALL_BUT_U,
	[TDH_VP_RD]		= ALL_BUT_U,
	[TDH_MEM_PAGE_REMOVE]	= I | R | LE | PE | POE | POI | LI | FI,
	[TDH_MEM_SEPT_REMOVE]	= ALL_BUT_U,
	[TDH_MEM_TRACK]		= ALL_BUT_U & ~FI,
	[TDH_MEM_RANGE_UNBLOCK]	= I | R | LE | PE | POE | POI | LI,
	[TDH_VP_WR]		= I | R | LE | MI | SI | POI | LI | FI,
};

bool op_state_allows(u32 leaf, u8 op_state)
{
	return leaf < 64 && op_state <= OP_STATE_FAILED_IMPORT &&
	       (op_state_table[leaf] >> op_state & 1);
}

bool op_state_needs_tlb_tracking(u8 op_state)
{
	return op_state == OP_STATE_RUNNABLE || op_state == OP_STATE_LIVE_EXPORT ||
	       op_state == OP_STATE_LIVE_IMPORT;
}

void seam_init_page(struct seam_ctx *c, u64 hpa, u32 keyid, int fill)
{
	memset(seam_page(c->p, hpa), fill, TDX_PAGE_SIZE);
	seam_claim(c->p, hpa, keyid);
}

static bool below_max_pa(u64 pa)
{
	return !(pa >> TDX_MAX_PA);
}

bool hpa_is_valid_private(struct seam_ctx *c, u64 hpa, u64 align)
{
	return !(hpa & (align - 1)) && !platform_hpa_keyid(c->p, hpa) && below_max_pa(hpa);
}

bool hpa_is_valid_shared(struct seam_ctx *c, u64 pa, u64 align)
{
	u64 hpa = platform_hpa_strip_keyid(c->p, pa);

	return !(pa & (align - 1)) && below_max_pa(pa) &&
	       platform_hpa_keyid(c->p, pa) < c->m->hkid_min &&
	       platform_hpa_in_memory(c->p, hpa, align);
}

u64 check_and_lock_hpa(struct seam_ctx *c, u64 hpa, enum tdx_page_type pt,
		       enum lock_mode mode, u64 opnd, struct pamt_lock *pl)
{
	u64 err;

	if (!hpa_is_valid_private(c, hpa, TDX_PAGE_SIZE))
		return api_error(TDX_OPERAND_INVALID, opnd);
	err = pamt_lock_page(c->m, hpa, TDX_PS_4K, mode, opnd, pl);
	if (err)
		return err;
	if (pl->level != TDX_PS_4K || pamt_leaf(pl)->pt != pt) {
		pamt_unlock_page(pl);
		return api_error(TDX_PAGE_METADATA_INCORRECT, opnd);
	}
	return TDX_SUCCESS;
}

void td_mark_fatal(struct tdr *tdr)
{
	tdr->fatal = 1;
}

void *td_map_private(struct seam_ctx *c, struct tdr *tdr, u64 hpa)
{
	if (!seam_intact(c->p, hpa, tdr->hkid)) {
		/* Consuming poisoned TD memory: a machine check kills the TD. */
		td_mark_fatal(tdr);
		return NULL;
	}
	return seam_page(c->p, hpa);
}

struct mr_log *td_mr_log(struct seam_ctx *c, struct td_ref *td)
{
	return td_map_private(c, td->tdr, td->tdr->tdcx_pa[TDCS_PAGE_MR_LOG]);
}

u32 td_hkid(const struct td_ref *td)
{
	return td->tdr->hkid;
}

u64 td_lock_tdr(struct seam_ctx *c, u64 tdr_pa, enum lock_mode mode, u64 opnd,
		struct td_ref *td)
{
	u64 err;

	memset(td, 0, sizeof(*td));
	err = check_and_lock_hpa(c, tdr_pa, PT_TDR, mode, opnd, &td->tdr_lock);
	if (err)
		return err;
	td->tdr_pa = tdr_pa;
	/* The TDR is encrypted with the module's global private key. */
	td->tdr = seam_page(c->p, tdr_pa);
	return TDX_SUCCESS;
}

static u64 td_check_build_state(struct seam_ctx *c, struct td_ref *td, struct tdcs **tdcs)
{
	struct tdr *tdr = td->tdr;

	if (tdr->fatal)
		return TDX_TD_FATAL;
	if (tdr->lifecycle != TD_KEYS_CONFIGURED)
		return TDX_TD_KEYS_NOT_CONFIGURED;
	if (tdr->num_tdcx < MIN_NUM_TDCS_PAGES)
		return TDX_TDCS_NOT_ALLOCATED;
	*tdcs = td_map_private(c, tdr, tdr->tdcx_pa[0]);
	return *tdcs ? TDX_SUCCESS : TDX_TD_FATAL;
}

u64 td_check_state(struct seam_ctx *c, struct td_ref *td, u32 leaf, enum lock_mode op_mode)
{
	struct tdcs *tdcs;
	u64 err = td_check_build_state(c, td, &tdcs);

	if (err)
		return err;
	if (!sharex_trylock(&tdcs->op_state_lock, op_mode))
		return api_error(TDX_OPERAND_BUSY, TDX_OPERAND_ID_OP_STATE);
	if (!op_state_allows(leaf, tdcs->op_state)) {
		sharex_unlock(&tdcs->op_state_lock, op_mode);
		return TDX_OP_STATE_INCORRECT;
	}
	td->tdcs = tdcs;
	td->op_lock = &tdcs->op_state_lock;
	td->op_mode = op_mode;
	return TDX_SUCCESS;
}

u64 td_check_state_nolock(struct seam_ctx *c, struct td_ref *td, u32 leaf)
{
	struct tdcs *tdcs;
	u64 err = td_check_build_state(c, td, &tdcs);

	if (err)
		return err;
	if (!op_state_allows(leaf, tdcs->op_state))
		return TDX_OP_STATE_INCORRECT;
	td->tdcs = tdcs;
	return TDX_SUCCESS;
}

u64 td_lock_and_check(struct seam_ctx *c, u64 tdr_pa, u64 opnd, enum lock_mode tdr_mode,
		      u32 leaf, enum lock_mode op_mode, struct td_ref *td)
{
	u64 err = td_lock_tdr(c, tdr_pa, tdr_mode, opnd, td);

	if (err)
		return err;
	err = td_check_state(c, td, leaf, op_mode);
	if (err)
		td_release(td);
	return err;
}

u64 td_lock_excl_and_check(struct seam_ctx *c, u64 tdr_pa, u64 opnd, u32 leaf,
			   struct td_ref *td)
{
	u64 err = td_lock_tdr(c, tdr_pa, LOCK_EXCLUSIVE, opnd, td);

	if (err)
		return err;
	err = td_check_state_nolock(c, td, leaf);
	if (err)
		td_release(td);
	return err;
}

void td_release(struct td_ref *td)
{
	if (td->op_lock)
		sharex_unlock(td->op_lock, td->op_mode);
	if (td->tdr)
		pamt_unlock_page(&td->tdr_lock);
	td->op_lock = NULL;
	td->tdr = NULL;
}

static u64 shared_bit(const struct tdcs *tdcs)
{
	return 1ULL << (tdcs->gpaw ? 51 : 47);
}

bool gpa_is_private(const struct tdcs *tdcs, u64 gpa)
{
	if (gpa & shared_bit(tdcs))
		return false;
	if (gpa >> TDX_MAX_PA)
		return false;
	/* With GPAW 48, bits 51:48 are reserved in every guest paging entry. */
	return tdcs->gpaw || !(gpa >> 48);
}

u64 decode_page_info(struct seam_ctx *c, struct td_ref *td, u64 raw, int min_level,
		     int max_level, struct page_info *out)
{
	int level = (int)(raw & 7);
	u64 gpa = raw & ~0xFFFULL;

	(void)c;
	if (max_level < 0)
		max_level = td->tdcs->pwl - 1;
	if ((raw & 0xFF8ULL) || (raw >> 52) || level < min_level || level > max_level ||
	    (gpa & ((1ULL << (12 + 9 * level)) - 1)))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	out->gpa = gpa;
	out->level = level;
	if (!gpa_is_private(td->tdcs, gpa))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	return TDX_SUCCESS;
}

u64 sept_op_error(struct seam_ctx *c, struct sept_op *op, u64 status)
{
	sept_set_details(c, op->val, op->pi.level);
	return api_error(status, TDX_OPERAND_ID_RCX);
}

u64 sept_op_walk(struct seam_ctx *c, u32 leaf, struct sept_op *op, u64 page_info,
		 int min_level, int max_level, enum lock_mode tree_mode)
{
	enum sept_istate st;
	int reached;
	u64 err;

	err = decode_page_info(c, &op->td, page_info, min_level, max_level, &op->pi);
	if (err)
		return err;
	err = sept_lock(&op->td, tree_mode);
	if (err)
		return err;
	op->tree_mode = tree_mode;
	op->tree_locked = true;
	op->entry = sept_walk(c, &op->td, op->pi.gpa, op->pi.level, &reached);
	if (!op->entry)
		return TDX_TD_FATAL;
	op->val = sept_entry_read(op->entry);
	if (reached != op->pi.level) {
		op->entry = NULL;
		sept_set_details(c, op->val, reached);
		return api_error(TDX_EPT_WALK_FAILED, TDX_OPERAND_ID_RCX);
	}
	if (!sept_entry_trylock(op->entry)) {
		op->entry = NULL;
		return sept_op_error(c, op, TDX_OPERAND_BUSY);
	}
	op->val = sept_entry_read(op->entry);
	st = sept_state(op->val);
	if (sept_state_allows(leaf, st))
		return TDX_SUCCESS;
	/* Blocking twice is not an error, and says so. */
	if (leaf == TDH_MEM_RANGE_BLOCK && sept_is_blocked(st))
		return sept_op_error(c, op, TDX_GPA_RANGE_ALREADY_BLOCKED);
	return sept_op_error(c, op, TDX_EPT_ENTRY_STATE_INCORRECT);
}

u64 sept_op_begin(struct seam_ctx *c, u32 leaf, u64 page_info, u64 tdr_pa, int min_level,
		  int max_level, enum lock_mode tree_mode, struct sept_op *op)
{
	u64 err;

	memset(op, 0, sizeof(*op));
	err = td_lock_and_check(c, tdr_pa, TDX_OPERAND_ID_RDX, LOCK_SHARED, leaf,
				LOCK_SHARED, &op->td);
	if (err)
		return err;
	err = sept_op_walk(c, leaf, op, page_info, min_level, max_level, tree_mode);
	if (err)
		sept_op_end(op);
	return err;
}

void sept_op_end(struct sept_op *op)
{
	if (op->entry)
		sept_entry_unlock(op->entry);
	if (op->tree_locked)
		sept_unlock(&op->td, op->tree_mode);
	td_release(&op->td);
	op->entry = NULL;
	op->tree_locked = false;
}

u64 sept_tlb_check(struct seam_ctx *c, struct sept_op *op, const struct pamt_entry *e, u64 opnd)
{
	enum sept_istate st = sept_state(op->val);

	if (!op_state_needs_tlb_tracking(op->td.tdcs->op_state) ||
	    st == SEPTI_FREE || st == SEPTI_REMOVED)
		return TDX_SUCCESS;
	if (!sept_is_blocked(st))
		return sept_op_error(c, op, TDX_GPA_RANGE_NOT_BLOCKED);
	if (!bepoch_is_tracked(op->td.tdcs, e->bepoch))
		return api_error(TDX_TLB_TRACKING_NOT_DONE, opnd);
	return TDX_SUCCESS;
}
