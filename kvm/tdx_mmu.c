// SPDX-License-Identifier: MIT
/*
 * The mirror of a TD's Secure-EPT: KVM's own copy of which S-EPT tables
 * exist and which private pages are mapped, kept in host memory so that
 * faults and zaps never have to ask the module.  Changes to it drive the
 * SEAMCALLs: TDH.MEM.SEPT.ADD for a missing table, TDH.MEM.PAGE.ADD before
 * finalize, and BLOCK -> TRACK -> REMOVE -> WBINVD to unmap.  After the
 * HKID is released, every S-EPT page is reclaimed from the mirror.
 *
 * Private mappings are 2 MiB where guest_memfd, the memslot and the memory
 * attributes allow it (TDH.MEM.PAGE.AUG at level 1), else 4 KiB.  A
 * conversion that splits a 2 MiB mapping demotes it first; a 2 MiB range
 * whose 512 small pages all become mapped and contiguous is promoted.
 */
#include "tdx_internal.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIRROR_ENTRIES	512
#define ENTRY_LEAF	1ULL	/* HPA | ENTRY_LEAF: a mapped page; else a child table */
#define PAGES_2M	512

struct mirror_table {
	u64 sept_pa;		/* the S-EPT page behind this table (0: the root) */
	u64 e[MIRROR_ENTRIES];
};

/* Host memory the mirrors take, the private pages they map, and how many 2M. */
static _Atomic u64 mirror_bytes, private_pages, large_mappings;

u64 tdx_mirror_bytes(void)
{
	return atomic_load(&mirror_bytes);
}

u64 tdx_private_pages(void)
{
	return atomic_load(&private_pages);
}

u64 tdx_large_mappings(void)
{
	return atomic_load(&large_mappings);
}

static unsigned int index_of(u64 gpa, int level)
{
	return (gpa >> (12 + 9 * level)) & (MIRROR_ENTRIES - 1);
}

static u64 level_bytes(int level)
{
	return 1ULL << (12 + 9 * level);
}

static struct mirror_table *child_of(u64 e)
{
	return e && !(e & ENTRY_LEAF) ? (struct mirror_table *)(uintptr_t)e : NULL;
}

static u64 pages_at(int level)
{
	return level ? PAGES_2M : 1;
}

static void set_leaf(struct mirror_table *t, u64 gpa, int level, u64 hpa)
{
	t->e[index_of(gpa, level)] = hpa | ENTRY_LEAF;
	atomic_fetch_add(&private_pages, pages_at(level));
	if (level)
		atomic_fetch_add(&large_mappings, 1);
}

static void clear_leaf(struct mirror_table *t, unsigned int i, int level)
{
	t->e[i] = 0;
	atomic_fetch_sub(&private_pages, pages_at(level));
	if (level)
		atomic_fetch_sub(&large_mappings, 1);
}

static struct mirror_table *new_table(u64 sept_pa)
{
	struct mirror_table *t = calloc(1, sizeof(*t));

	if (t) {
		t->sept_pa = sept_pa;
		atomic_fetch_add(&mirror_bytes, sizeof(*t));
	}
	return t;
}

static void free_table_struct(struct mirror_table *t)
{
	atomic_fetch_sub(&mirror_bytes, sizeof(*t));
	free(t);
}

static long sept_status_to_errno(u64 st)
{
	if (TDX_STATUS(st) == TDX_OPERAND_BUSY)
		return -EBUSY;
	return st == TDX_SUCCESS ? 0 : -EIO;
}

/* A new S-EPT table for the entry of (@gpa, @level), via TDH.MEM.SEPT.ADD. */
static long add_table(struct kvm_tdx *td, u64 gpa, int level, u64 *slot)
{
	struct seamcall_regs r;
	struct mirror_table *n;
	u64 page = tdx_alloc_td_page();
	long ret;

	if (page == PLATFORM_NO_HPA)
		return -ENOMEM;
	r = (struct seamcall_regs){ .rcx = (gpa & ~(level_bytes(level) - 1)) | (u64)level,
				    .rdx = td->tdr, .r8 = page };
	ret = sept_status_to_errno(kvm_seamcall(TDH_MEM_SEPT_ADD, &r));
	n = ret ? NULL : new_table(page);
	if (!n) {
		tdx_free_host_page(page);	/* a failed SEPT.ADD left it the host's */
		return ret ? ret : -ENOMEM;
	}
	*slot = (u64)(uintptr_t)n;
	return 0;
}

/*
 * The table holding the entries of @level for @gpa, adding S-EPT tables on
 * the way down.  -EEXIST: a larger page already maps @gpa.
 */
static long mirror_walk_alloc(struct kvm_tdx *td, u64 gpa, int level, struct mirror_table **out)
{
	struct mirror_table *t;
	long ret;

	if (!td->mirror_root) {
		td->mirror_root = new_table(0);
		if (!td->mirror_root)
			return -ENOMEM;
	}
	t = td->mirror_root;
	for (int l = td_levels(td) - 1; l > level; l--) {
		u64 *e = &t->e[index_of(gpa, l)];

		if (*e & ENTRY_LEAF)
			return -EEXIST;
		if (!*e) {
			ret = add_table(td, gpa, l, e);
			if (ret)
				return ret;
		}
		t = child_of(*e);
	}
	*out = t;
	return 0;
}

/* TDH.MEM.PAGE.ADD (with @source) or PAGE.AUG (source 0) at (@gpa, @level). */
static long map_leaf(struct kvm_tdx *td, u64 gpa, int level, u64 hpa, u64 source)
{
	struct mirror_table *t;
	struct seamcall_regs r;
	long ret = mirror_walk_alloc(td, gpa, level, &t);

	if (ret)
		return ret;
	if (t->e[index_of(gpa, level)])
		return -EEXIST;
	r = (struct seamcall_regs){ .rcx = gpa | (u64)level, .rdx = td->tdr, .r8 = hpa,
				    .r9 = source };
	ret = sept_status_to_errno(kvm_seamcall(source ? TDH_MEM_PAGE_ADD : TDH_MEM_PAGE_AUG, &r));
	if (!ret)
		set_leaf(t, gpa, level, hpa);
	return ret;
}

/* The entry of @level for @gpa, if the tables down to it exist. */
static int mirror_entry(struct kvm_tdx *td, u64 gpa, int level, u64 **out)
{
	struct mirror_table *t = td->mirror_root;

	for (int l = td_levels(td) - 1; t; l--) {
		u64 *e = &t->e[index_of(gpa, l)];

		if (l == level) {
			*out = e;
			return 0;
		}
		t = child_of(*e);
	}
	return -ENOENT;
}

/* Is @gpa mapped, by a small or a large page? */
static bool mirror_maps(struct kvm_tdx *td, u64 gpa)
{
	u64 *e;

	return (!mirror_entry(td, gpa, 1, &e) && (*e & ENTRY_LEAF)) ||
	       (!mirror_entry(td, gpa, 0, &e) && (*e & ENTRY_LEAF));
}

long tdx_mirror_page_add(struct kvm_tdx *td, u64 gpa, u64 hpa, u64 source)
{
	return map_leaf(td, gpa, 0, hpa, source);
}

/* ---- BLOCK -> TRACK -> ... --------------------------------------------------------------- */

bool tdx_begin_enter(struct kvm_tdx *td)
{
	/*
	 * Not even counted in while a zap waits: vCPUs that came and went
	 * kept in_enter above zero for the waiter often enough to livelock it.
	 */
	if (atomic_load(&td->no_enter))
		return false;
	/* Counted in first, then the check: a zap that set no_enter sees this vCPU. */
	atomic_fetch_add(&td->in_enter, 1);
	if (!atomic_load(&td->no_enter))
		return true;
	atomic_fetch_sub(&td->in_enter, 1);
	return false;
}

void tdx_end_enter(struct kvm_tdx *td)
{
	atomic_fetch_sub(&td->in_enter, 1);
}

/* tdx_no_vcpus_enter_start(): no vCPU enters, and the ones inside are kicked out. */
static void no_vcpus_enter_start(struct kvm_tdx *td)
{
	atomic_fetch_add(&td->no_enter, 1);
	while (atomic_load(&td->in_enter)) {
		tdx_kick_vcpus(td);
		sched_yield();
	}
}

static void no_vcpus_enter_stop(struct kvm_tdx *td)
{
	atomic_fetch_sub(&td->no_enter, 1);
}

static bool held_up(u64 st)
{
	return TDX_STATUS(st) == TDX_OPERAND_BUSY || TDX_STATUS(st) == TDX_TLB_TRACKING_NOT_DONE;
}

/*
 * A SEAMCALL that running vCPUs can hold up: OPERAND_BUSY from a TD entry
 * or a guest's TDCALL holding an S-EPT lock, or TLB tracking not done
 * because a vCPU still runs in the old epoch.  As Linux's
 * tdh_do_no_vcpus(): then every vCPU is kept out of the TD until the call
 * is through, and it never gives up (what can still hold it up is other
 * host threads' SEAMCALLs, which end).
 */
static u64 seamcall_kick_retry(struct kvm_tdx *td, u64 leaf, const struct seamcall_regs *in,
			       struct seamcall_regs *out)
{
	u64 st;

	*out = *in;
	st = kvm_seamcall(leaf, out);
	if (!held_up(st))
		return st;
	no_vcpus_enter_start(td);
	do {
		sched_yield();
		*out = *in;
		st = kvm_seamcall(leaf, out);
	} while (held_up(st));
	no_vcpus_enter_stop(td);
	return st;
}

/* Blocks (@gpa, @level) and starts a new TLB epoch. */
static bool block_and_track(struct kvm_tdx *td, u64 gpa, int level)
{
	struct seamcall_regs in = { .rcx = gpa | (u64)level, .rdx = td->tdr }, r;
	u64 st = seamcall_kick_retry(td, TDH_MEM_RANGE_BLOCK, &in, &r);

	if (st != TDX_SUCCESS && TDX_STATUS(st) != TDX_GPA_RANGE_ALREADY_BLOCKED)
		return false;
	in = (struct seamcall_regs){ .rcx = td->tdr };
	return seamcall_kick_retry(td, TDH_MEM_TRACK, &in, &r) == TDX_SUCCESS;
}

/* The cache lines of a page the TD no longer has, then a clean page. */
static void scrub(struct kvm_tdx *td, u64 hpa, u64 nr)
{
	for (u64 i = 0; i < nr; i++) {
		u64 pa = hpa + i * TDX_PAGE_SIZE;
		struct seamcall_regs r = {
			.rcx = platform_hpa_with_keyid(tdx_plat(), pa, (u32)td->hkid),
		};

		kvm_seamcall(TDH_PHYMEM_PAGE_WBINVD, &r);
	}
	platform_host_fill(tdx_plat(), hpa, 0, nr * TDX_PAGE_SIZE);
}

/* BLOCK, TRACK, REMOVE, WBINVD of the private page at (@gpa, @level). */
static bool remove_private(struct kvm_tdx *td, u64 gpa, int level, u64 hpa)
{
	struct seamcall_regs in = { .rcx = gpa | (u64)level, .rdx = td->tdr }, r;

	/*
	 * The HKID is gone (KVM_TDX_TERMINATE_VM): the page is reclaimed from
	 * the module and scrubbed; it stays the guest_memfd's.
	 */
	if (td->hkid_released) {
		r = (struct seamcall_regs){ .rcx = hpa };
		if (kvm_seamcall(TDH_PHYMEM_PAGE_RECLAIM, &r) != TDX_SUCCESS)
			return false;
		scrub(td, hpa, pages_at(level));
		return true;
	}

	if (!block_and_track(td, gpa, level) ||
	    seamcall_kick_retry(td, TDH_MEM_PAGE_REMOVE, &in, &r))
		return false;
	scrub(td, hpa, pages_at(level));
	return true;
}

/* A 2M mapping becomes a table of 512 small ones (TDH.MEM.PAGE.DEMOTE). */
static long demote(struct kvm_tdx *td, u64 gpa, u64 *entry)
{
	u64 hpa = *entry & ~ENTRY_LEAF, page = tdx_alloc_td_page();
	struct seamcall_regs in, r;
	struct mirror_table *n;

	if (page == PLATFORM_NO_HPA)
		return -ENOMEM;
	in = (struct seamcall_regs){ .rcx = gpa | 1, .rdx = td->tdr, .r8 = page };
	if (!block_and_track(td, gpa, 1) || seamcall_kick_retry(td, TDH_MEM_PAGE_DEMOTE, &in, &r)) {
		tdx_free_host_page(page);
		return -EIO;
	}
	n = new_table(page);
	if (!n)
		return -ENOMEM;	/* the module has split it; the mirror cannot follow */
	for (unsigned int i = 0; i < PAGES_2M; i++)
		n->e[i] = (hpa + i * TDX_PAGE_SIZE) | ENTRY_LEAF;
	*entry = (u64)(uintptr_t)n;
	atomic_fetch_sub(&large_mappings, 1);
	return 0;
}

/*
 * 512 small pages that are all mapped, physically contiguous and 2M-aligned
 * become one 2M mapping (TDH.MEM.PAGE.PROMOTE); the S-EPT page is freed.
 */
static void try_promote(struct kvm_tdx *td, u64 gpa, u64 *entry)
{
	struct mirror_table *t = child_of(*entry);
	struct seamcall_regs in, r;
	u64 first;

	if (!t || !(t->e[0] & ENTRY_LEAF))
		return;
	first = t->e[0] & ~ENTRY_LEAF;
	if (first & (TDX_PAGE_SIZE_2M - 1))
		return;
	for (unsigned int i = 1; i < PAGES_2M; i++)
		if (t->e[i] != ((first + i * TDX_PAGE_SIZE) | ENTRY_LEAF))
			return;
	if (!block_and_track(td, gpa, 1))
		return;
	in = (struct seamcall_regs){ .rcx = gpa | 1, .rdx = td->tdr };
	if (seamcall_kick_retry(td, TDH_MEM_PAGE_PROMOTE, &in, &r)) {
		/* E.g. some pages accepted and some not: stay small. */
		r = (struct seamcall_regs){ .rcx = gpa | 1, .rdx = td->tdr };
		kvm_seamcall(TDH_MEM_RANGE_UNBLOCK, &r);
		return;
	}
	scrub(td, t->sept_pa, 1);
	tdx_free_host_page(t->sept_pa);
	free_table_struct(t);
	*entry = first | ENTRY_LEAF;
	atomic_fetch_add(&large_mappings, 1);
}

/* ---- the private fault path ---------------------------------------------------------- */

static bool can_map_2m(struct kvm_vm *vm, struct kvm_memslot *slot, u64 gfn)
{
	u64 head = gfn & ~(u64)(PAGES_2M - 1);

	(void)vm;
	return kvm_hugepage_allowed(slot, gfn, 1) &&
	       !((slot->gmem_pgoff + head - slot->base_gfn) % PAGES_2M);
}

/* 2M: a contiguous guest_memfd chunk, mapped pending with PAGE.AUG level 1. */
static long fault_2m(struct kvm_vm *vm, struct kvm_memslot *slot, u64 gfn)
{
	u64 head = gfn & ~(u64)(PAGES_2M - 1), hpa;
	struct mirror_table *t;
	long ret;

	ret = mirror_walk_alloc(vm->tdx, head * TDX_PAGE_SIZE, 1, &t);
	if (ret || t->e[index_of(head * TDX_PAGE_SIZE, 1)])
		return -EAGAIN;	/* small pages there already: stay small */
	if (kvm_gmem_get_huge(slot, head, &hpa))
		return -EAGAIN;
	ret = map_leaf(vm->tdx, head * TDX_PAGE_SIZE, 1, hpa, 0);
	if (!ret)
		kvm_gmem_set_populated_range(slot, head, PAGES_2M, true);
	return ret;
}

static long fault_4k(struct kvm_vm *vm, struct kvm_memslot *slot, u64 gfn)
{
	u64 gpa = gfn * TDX_PAGE_SIZE, hpa, *entry;
	bool populated;
	long ret;

	ret = kvm_gmem_get_pfn(slot, gfn, &hpa, &populated);
	if (ret || populated)
		return ret;
	ret = map_leaf(vm->tdx, gpa, 0, hpa, 0);
	if (ret)
		return ret;
	kvm_gmem_set_populated(slot, gfn, true);
	if (can_map_2m(vm, slot, gfn) && !mirror_entry(vm->tdx, gpa, 1, &entry))
		try_promote(vm->tdx, gpa & ~(TDX_PAGE_SIZE_2M - 1), entry);
	return 0;
}

long tdx_fault_private(struct kvm_vm *vm, u64 gpa, int max_level)
{
	struct kvm_memslot *slot = kvm_gfn_to_memslot(vm, gpa / TDX_PAGE_SIZE);
	u64 gfn = gpa / TDX_PAGE_SIZE;

	if (!slot)
		return -ENOENT;
	if (!slot->gmem)
		return -EFAULT;	/* a private access to a slot without guest_memfd */
	if (mirror_maps(vm->tdx, gpa))
		return 0;
	if (max_level >= 1 && can_map_2m(vm, slot, gfn) && !fault_2m(vm, slot, gfn))
		return 0;
	return fault_4k(vm, slot, gfn);
}

long tdx_split_private(struct kvm_vm *vm, u64 gpa)
{
	u64 *entry;

	if (mirror_entry(vm->tdx, gpa, 1, &entry) || !(*entry & ENTRY_LEAF))
		return 0;
	return demote(vm->tdx, gpa & ~(TDX_PAGE_SIZE_2M - 1), entry);
}

/* ---- zapping ------------------------------------------------------------------------------ */

static void zap_leaf(struct kvm_vm *vm, struct mirror_table *t, unsigned int i, int level,
		     u64 gpa)
{
	u64 gfn = gpa / TDX_PAGE_SIZE;

	if (!remove_private(vm->tdx, gpa, level, t->e[i] & ~ENTRY_LEAF)) {
		fprintf(stderr, "softtdx: private page at GPA %#llx could not be removed\n",
			(unsigned long long)gpa);
		return;
	}
	clear_leaf(t, i, level);
	kvm_gmem_set_populated_range(kvm_gfn_to_memslot(vm, gfn), gfn, pages_at(level), false);
}

static void zap_table(struct kvm_vm *vm, struct mirror_table *t, int level, u64 base,
		      u64 start, u64 end)
{
	u64 span = level_bytes(level);

	for (unsigned int i = 0; i < MIRROR_ENTRIES; i++) {
		u64 gpa = base + i * span;

		if (!t->e[i] || gpa >= end || gpa + span <= start)
			continue;
		if (t->e[i] & ENTRY_LEAF) {
			bool whole = gpa >= start && gpa + span <= end;

			/* Part of a 2M page goes: split it, then zap the part. */
			if (whole || demote(vm->tdx, gpa, &t->e[i])) {
				if (whole)
					zap_leaf(vm, t, i, level, gpa);
				continue;
			}
		}
		zap_table(vm, child_of(t->e[i]), level - 1, gpa, start, end);
	}
}

void tdx_zap_private(struct kvm_vm *vm, u64 start_gfn, u64 end_gfn)
{
	struct kvm_tdx *td = vm->tdx;

	if (!td->mirror_root || td->hkid < 0)
		return;
	zap_table(vm, td->mirror_root, td_levels(td) - 1, 0, start_gfn * TDX_PAGE_SIZE,
		  end_gfn * TDX_PAGE_SIZE);
}

/* ---- teardown ------------------------------------------------------------------------------- */

/* After the HKID is released: every S-EPT page, and any page still mapped. */
static void free_table(struct mirror_table *t, int level, u32 hkid)
{
	for (unsigned int i = 0; i < MIRROR_ENTRIES; i++) {
		if (t->e[i] & ENTRY_LEAF) {
			tdx_reclaim_pages(t->e[i] & ~ENTRY_LEAF, pages_at(level), hkid);
			clear_leaf(t, i, level);
		} else if (t->e[i]) {
			free_table(child_of(t->e[i]), level - 1, hkid);
		}
	}
	if (t->sept_pa)
		tdx_reclaim_pages(t->sept_pa, 1, hkid);
	free_table_struct(t);
}

void tdx_mirror_free(struct kvm_tdx *td)
{
	if (td->mirror_root)
		free_table(td->mirror_root, td_levels(td) - 1, (u32)td->hkid);
	td->mirror_root = NULL;
}
