/* SPDX-License-Identifier: MIT */
/*
 * The IA-32e page walk (4- and 5-level paging) as the SDM defines it
 * (vol. 3, chapter 4), engine-free: permissions with CR0.WP, EFER.NXE,
 * CR4.SMEP and CR4.SMAP (RFLAGS.AC, implicit supervisor accesses),
 * reserved-bit faults, and accessed/dirty bits set as the CPU sets them.
 * The caller supplies the second stage for the paging structures.
 */
#ifndef SOFTTDX_X86_WALK_H
#define SOFTTDX_X86_WALK_H

#include <stdbool.h>

#include "cpu.h"

/* The state the walk reads, and who is accessing. */
struct x86_paging {
	u64 cr0, cr3, cr4, efer, rflags;
	bool user;		/* a CPL-3 access that is not an implicit supervisor one */
	bool implicit;		/* an implicit supervisor access (SMAP ignores RFLAGS.AC) */
};

/*
 * The paging-structure entry at guest-physical @gpa (8-byte aligned), or
 * NULL when the second stage stopped the walk (the caller knows why).
 */
typedef _Atomic u64 *(*x86_table_entry_fn)(void *ctx, u64 gpa);

struct x86_walk {
	u64 gpa;		/* of the 4 KiB page */
	bool writable;		/* stores may hit it without another walk (D already set) */
	bool executable;	/* fetches at this privilege may */
	u32 pf_error;		/* X86_WALK_PF: the #PF error code */
};

enum x86_walk_result { X86_WALK_OK, X86_WALK_PF, X86_WALK_STOPPED };

/* @access: CPU_ACCESS_READ, _WRITE or _FETCH. */
enum x86_walk_result x86_walk_long(const struct x86_paging *pg, u64 va, unsigned int access,
				   x86_table_entry_fn entry, void *ctx, struct x86_walk *w);

#endif /* SOFTTDX_X86_WALK_H */
