// SPDX-License-Identifier: MIT
/*
 * The IA-32e page walk.  Accessed bits are set on every entry the walk
 * uses, the dirty bit on the leaf of a permitted write, both atomically
 * as the CPU's locked updates are.  A page first read is reported not
 * writable until a write walk has set its dirty bit, so that the TLB
 * entry of a read never lets a store skip that walk.
 */
#include "x86_walk.h"

#include <stdatomic.h>

#define CR0_WP		(1ULL << 16)
#define CR4_LA57	(1ULL << 12)
#define CR4_SMEP	(1ULL << 20)
#define CR4_SMAP	(1ULL << 21)
#define EFER_NXE	(1ULL << 11)
#define RFLAGS_AC	(1ULL << 18)

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_A		(1ULL << 5)
#define PTE_D		(1ULL << 6)
#define PTE_PS		(1ULL << 7)
#define PTE_NX		(1ULL << 63)
#define PTE_ADDR	0x000FFFFFFFFFF000ULL

#define PF_P		(1u << 0)
#define PF_W		(1u << 1)
#define PF_U		(1u << 2)
#define PF_RSVD		(1u << 3)
#define PF_I		(1u << 4)

/* SMAP: a supervisor data access to a user page is refused unless AC allows it. */
static bool smap_blocks(const struct x86_paging *pg)
{
	return !pg->user && (pg->cr4 & CR4_SMAP) && (pg->implicit || !(pg->rflags & RFLAGS_AC));
}

/* Whether @access may use a page with these combined permissions. */
static bool permitted(const struct x86_paging *pg, unsigned int access, bool rw, bool us, bool nx)
{
	bool wp = pg->user || (pg->cr0 & CR0_WP);

	if (pg->user && !us)
		return false;
	if (access & CPU_ACCESS_FETCH)
		return !(nx && (pg->efer & EFER_NXE)) &&
		       !(us && !pg->user && (pg->cr4 & CR4_SMEP));
	if (us && smap_blocks(pg))
		return false;
	return !(access & CPU_ACCESS_WRITE) || rw || !wp;
}

enum x86_walk_result x86_walk_long(const struct x86_paging *pg, u64 va, unsigned int access,
				   x86_table_entry_fn entry, void *ctx, struct x86_walk *w)
{
	int levels = (pg->cr4 & CR4_LA57) ? 5 : 4, level;
	u64 table = pg->cr3 & PTE_ADDR, e = 0, size;
	bool rw = true, us = true, nx = false;
	_Atomic u64 *slot;
	u32 err = (access & CPU_ACCESS_WRITE ? PF_W : 0) | (pg->user ? PF_U : 0) |
		  ((access & CPU_ACCESS_FETCH) && (pg->efer & EFER_NXE || pg->cr4 & CR4_SMEP) ?
		   PF_I : 0);

	for (level = levels; level >= 1; level--) {
		slot = entry(ctx, table + 8 * ((va >> (12 + 9 * (level - 1))) & 511));
		if (!slot)
			return X86_WALK_STOPPED;
		e = atomic_load(slot);
		if (!(e & PTE_P)) {
			w->pf_error = err;
			return X86_WALK_PF;
		}
		/* NX without EFER.NXE, and PS above the PDPTE, are reserved bits. */
		if (((e & PTE_NX) && !(pg->efer & EFER_NXE)) || ((e & PTE_PS) && level > 3)) {
			w->pf_error = err | PF_P | PF_RSVD;
			return X86_WALK_PF;
		}
		rw &= !!(e & PTE_RW);
		us &= !!(e & PTE_US);
		nx |= !!(e & PTE_NX);
		if (!(e & PTE_A))
			atomic_fetch_or(slot, PTE_A);
		if (level == 1 || (e & PTE_PS))
			break;
		table = e & PTE_ADDR;
	}
	if (!permitted(pg, access, rw, us, nx)) {
		w->pf_error = err | PF_P;
		return X86_WALK_PF;
	}
	if ((access & CPU_ACCESS_WRITE) && !(e & PTE_D))
		atomic_fetch_or(slot, PTE_D);
	size = 1ULL << (12 + 9 * (level - 1));
	w->gpa = (e & PTE_ADDR & ~(size - 1)) | (va & (size - 1) & ~0xFFFULL);
	w->writable = permitted(pg, CPU_ACCESS_WRITE, rw, us, nx) &&
		      ((access & CPU_ACCESS_WRITE) || (e & PTE_D));
	w->executable = permitted(pg, CPU_ACCESS_FETCH, rw, us, nx);
	return X86_WALK_OK;
}
