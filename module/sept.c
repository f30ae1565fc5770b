// SPDX-License-Identifier: MIT
/*
 * Secure-EPT: real 4- or 5-level EPT tables in TD-owned pages, encrypted
 * with the TD's HKID.  Each entry holds the architectural EPT bits the CPU
 * would use plus the module's state in bits that hardware ignores:
 *
 *   2:0 RWX   5:3 MT   6 IPAT   7 PS   11 entry lock   51:12 HPA
 *   55:52 S-EPT state (enum sept_istate)   63 suppress-#VE
 */
#include "module_internal.h"

#define SEPT_ENTRY_LOCK		(1ULL << 11)
#define SEPT_ARCH_LEAF_MASK	(SEPT_RWX | (7ULL << 3) | SEPT_IPAT | SEPT_PS | \
				 SEPT_HPA_MASK | SEPT_SVE)
#define SEPT_ARCH_NL_MASK	(SEPT_RWX | SEPT_PS)

static const u8 public_state[SEPTI_NR] = {
	[SEPTI_FREE]		= SEPT_FREE,
	[SEPTI_REMOVED]		= SEPT_REMOVED,
	[SEPTI_NL_MAPPED]	= SEPT_NL_MAPPED,
	[SEPTI_NL_BLOCKED]	= SEPT_NL_BLOCKED,
	[SEPTI_MAPPED]		= SEPT_MAPPED,
	[SEPTI_BLOCKED]		= SEPT_BLOCKED,
	[SEPTI_PENDING]		= SEPT_PENDING,
	[SEPTI_PENDING_BLOCKED]	= SEPT_PENDING_BLOCKED,
};

/* The S-EPT entry states each leaf accepts (the module's state table). */
#define S(x) (1u << SEPTI_##x)
#define ANY_LEAF (S(MAPPED) | S(BLOCKED) | S(PENDING) | S(PENDING_BLOCKED))
static const u16 sept_state_table[64] = {
	[TDH_MEM_PAGE_ADD]	= S(FREE),
	[TDH_MEM_SEPT_ADD]	= S(FREE) | S(NL_MAPPED),
	[TDH_MEM_PAGE_AUG]	= S(FREE) | S(REMOVED),
	[TDH_MEM_RANGE_BLOCK]	= S(NL_MAPPED) | S(MAPPED) | S(PENDING),
	[TDH_MEM_RD]		= S(MAPPED),
	[TDH_MEM_WR]		= S(MAPPED),
	[TDH_MEM_PAGE_DEMOTE]	= ANY_LEAF,
	[TDH_MR_EXTEND]		= S(MAPPED),
	[TDH_MEM_PAGE_PROMOTE]	= S(NL_MAPPED) | S(NL_BLOCKED),
	[TDH_MEM_SEPT_RD]	= (1u << SEPTI_NR) - 1,
	[TDH_MEM_PAGE_REMOVE]	= ANY_LEAF,
	[TDH_MEM_SEPT_REMOVE]	= S(NL_MAPPED) | S(NL_BLOCKED),
	[TDH_MEM_RANGE_UNBLOCK]	= S(NL_BLOCKED) | S(BLOCKED) | S(PENDING_BLOCKED),
};

bool sept_state_allows(u32 leaf, enum sept_istate s)
{
	return sept_state_table[leaf] >> s & 1;
}

bool sept_is_blocked(enum sept_istate s)
{
	return s == SEPTI_NL_BLOCKED || s == SEPTI_BLOCKED || s == SEPTI_PENDING_BLOCKED;
}

enum sept_istate sept_blocked(enum sept_istate s)
{
	switch (s) {
	case SEPTI_NL_MAPPED:	return SEPTI_NL_BLOCKED;
	case SEPTI_MAPPED:	return SEPTI_BLOCKED;
	case SEPTI_PENDING:	return SEPTI_PENDING_BLOCKED;
	default:		return s;
	}
}

enum sept_istate sept_unblocked(enum sept_istate s)
{
	switch (s) {
	case SEPTI_NL_BLOCKED:		return SEPTI_NL_MAPPED;
	case SEPTI_BLOCKED:		return SEPTI_MAPPED;
	case SEPTI_PENDING_BLOCKED:	return SEPTI_PENDING;
	default:			return s;
	}
}

u8 sept_public_state(enum sept_istate s)
{
	return public_state[s];
}

u64 sept_make(enum sept_istate s, u64 hpa, int level)
{
	u64 e = SEPT_SVE | (u64)s << SEPT_STATE_SHIFT;

	switch (s) {
	case SEPTI_FREE:
	case SEPTI_REMOVED:
		return e;
	case SEPTI_NL_MAPPED:
		return e | hpa | SEPT_RWX;
	case SEPTI_NL_BLOCKED:
		return e | hpa;
	case SEPTI_MAPPED:
		e |= SEPT_RWX;
		break;
	default:	/* blocked and pending leaves have no permissions */
		break;
	}
	return e | hpa | SEPT_MT_WB | SEPT_IPAT | (level ? SEPT_PS : 0);
}

void sept_init_table(u64 *table)
{
	for (int i = 0; i < SEPT_ENTRIES; i++)
		table[i] = sept_free_entry();
}

static unsigned int sept_index(u64 gpa, int level)
{
	return (gpa >> (12 + 9 * level)) & (SEPT_ENTRIES - 1);
}

static bool walk_continues(u64 e)
{
	enum sept_istate s = sept_state(e);

	return (e & SEPT_RWX) && !sept_is_leaf_state(s);
}

u64 *sept_walk(struct seam_ctx *c, struct td_ref *td, u64 gpa, int level, int *reached)
{
	u64 *table = td_map_private(c, td->tdr, td->tdr->tdcx_pa[TDCS_PAGE_SEPT_ROOT]);
	int l = td->tdcs->pwl - 1;

	for (;;) {
		u64 *entry;

		if (!table)
			return NULL;
		entry = &table[sept_index(gpa, l)];
		if (l == level || !walk_continues(*entry)) {
			*reached = l;
			return entry;
		}
		table = td_map_private(c, td->tdr, sept_hpa(*entry));
		l--;
	}
}

u64 sept_arch_entry(u64 e, int level)
{
	enum sept_istate s = sept_state(e);

	(void)level;
	if (s == SEPTI_FREE)
		return SEPT_SVE;
	if (sept_is_leaf_state(s))
		return e & SEPT_ARCH_LEAF_MASK & ~SEPT_ENTRY_LOCK;
	return e & SEPT_ARCH_NL_MASK;
}

void sept_set_details(struct seam_ctx *c, u64 entry, int level)
{
	c->regs->rcx = sept_arch_entry(entry, level);
	c->regs->rdx = (u64)level | (u64)sept_public_state(sept_state(entry)) << 8;
}

bool sept_entry_trylock(u64 *entry)
{
	return !(__atomic_fetch_or(entry, SEPT_ENTRY_LOCK, __ATOMIC_ACQUIRE) & SEPT_ENTRY_LOCK);
}

void sept_entry_set_unlock(struct tdcs *tdcs, u64 *entry, u64 value)
{
	/*
	 * Only inequality matters to readers (MR.EXTEND, under the exclusive
	 * TDR lock, when nobody writes): a plain increment is enough even if
	 * concurrent writers lose one, and it keeps a locked instruction off
	 * this path.
	 */
	atomic_store_explicit(&tdcs->sept_gen,
			      atomic_load_explicit(&tdcs->sept_gen, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	__atomic_store_n(entry, value & ~SEPT_ENTRY_LOCK, __ATOMIC_RELEASE);
}

void sept_entry_unlock(u64 *entry)
{
	__atomic_fetch_and(entry, ~SEPT_ENTRY_LOCK, __ATOMIC_RELEASE);
}

u64 sept_entry_read(const u64 *entry)
{
	return __atomic_load_n(entry, __ATOMIC_ACQUIRE) & ~SEPT_ENTRY_LOCK;
}

u64 sept_lock(struct td_ref *td, enum lock_mode mode)
{
	if (!sharex_trylock(&td->tdcs->sept_lock, mode))
		return api_error(TDX_OPERAND_BUSY, TDX_OPERAND_ID_SEPT);
	return TDX_SUCCESS;
}

void sept_unlock(struct td_ref *td, enum lock_mode mode)
{
	sharex_unlock(&td->tdcs->sept_lock, mode);
}

bool bepoch_is_tracked(const struct tdcs *tdcs, u64 bepoch)
{
	if (bepoch >> 63)
		return false;
	if (bepoch + 1 == tdcs->td_epoch)
		return atomic_load(&((struct tdcs *)tdcs)->refcount[bepoch & 1]) == 0;
	return bepoch + 1 < tdcs->td_epoch;
}

static const u64 level_bytes[3] = { TDX_PAGE_SIZE, TDX_PAGE_SIZE_2M, TDX_PAGE_SIZE_1G };

/*
 * Walks to whatever leaf maps @gpa.  A walk that ends on a non-leaf or a
 * leaf without access is EPT_ENTRY_NOT_PRESENT with the entry's details.
 */
u64 sept_walk_to_leaf(struct seam_ctx *c, struct td_ref *td, u64 gpa, u64 **entry, int *level)
{
	u64 val;

	*entry = sept_walk(c, td, gpa, 0, level);
	if (!*entry)
		return TDX_TD_FATAL;
	val = sept_entry_read(*entry);
	if (!sept_is_leaf_state(sept_state(val)) || !(val & SEPT_RWX)) {
		sept_set_details(c, val, *level);
		return api_error(TDX_EPT_ENTRY_NOT_PRESENT, TDX_OPERAND_ID_RCX);
	}
	return TDX_SUCCESS;
}

u64 sept_leaf_hpa(u64 val, int level, u64 gpa)
{
	return sept_hpa(val) + (gpa & (level_bytes[level] - 1));
}

