// SPDX-License-Identifier: MIT
/*
 * The mirror of a TD's Secure-EPT: KVM's own copy of which S-EPT tables
 * exist and which private pages are mapped, kept in host memory so that
 * faults and zaps never have to ask the module.  Changes to it drive the
 * SEAMCALLs: TDH.MEM.SEPT.ADD for a missing table, TDH.MEM.PAGE.ADD before
 * finalize, and BLOCK -> TRACK -> REMOVE -> WBINVD to unmap.  After the
 * HKID is released, every S-EPT page is reclaimed from the mirror.
 *
 * Private mappings are 4 KiB, as in Linux 6.16.
 */
#include "tdx_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIRROR_ENTRIES	512
#define LEAF_PRESENT	1ULL

struct mirror_table {
	u64 sept_pa;		/* the S-EPT page behind this table (0: the root) */
	union {
		struct mirror_table *child[MIRROR_ENTRIES];	/* levels above 0 */
		u64 leaf[MIRROR_ENTRIES];			/* HPA | LEAF_PRESENT */
	};
};

/* Host memory the mirrors of all TDs take, and the private pages they map. */
static _Atomic u64 mirror_bytes, private_pages;

u64 tdx_mirror_bytes(void)
{
	return atomic_load(&mirror_bytes);
}

u64 tdx_private_pages(void)
{
	return atomic_load(&private_pages);
}

static unsigned int index_of(u64 gpa, int level)
{
	return (gpa >> (12 + 9 * level)) & (MIRROR_ENTRIES - 1);
}

static void set_leaf(struct mirror_table *pt, u64 gpa, u64 hpa)
{
	pt->leaf[index_of(gpa, 0)] = hpa | LEAF_PRESENT;
	atomic_fetch_add(&private_pages, 1);
}

static void clear_leaf(struct mirror_table *pt, unsigned int i)
{
	pt->leaf[i] = 0;
	atomic_fetch_sub(&private_pages, 1);
}


static long sept_status_to_errno(u64 st)
{
	if (TDX_STATUS(st) == TDX_OPERAND_BUSY)
		return -EBUSY;
	return st == TDX_SUCCESS ? 0 : -EIO;
}

/* The level-0 table for @gpa, adding S-EPT tables on the way down. */
static long mirror_walk_alloc(struct kvm_tdx *td, u64 gpa, struct mirror_table **out)
{
	struct mirror_table *t;
	long ret;

	if (!td->mirror_root) {
		td->mirror_root = calloc(1, sizeof(*td->mirror_root));
		if (!td->mirror_root)
			return -ENOMEM;
		atomic_fetch_add(&mirror_bytes, sizeof(struct mirror_table));
	}
	t = td->mirror_root;
	for (int level = td_levels(td) - 1; level > 0; level--) {
		struct mirror_table **slot = &t->child[index_of(gpa, level)];
		u64 base = gpa & ~((1ULL << (12 + 9 * level)) - 1);
		struct seamcall_regs r;

		if (!*slot) {
			struct mirror_table *n = calloc(1, sizeof(*n));

			if (!n)
				return -ENOMEM;
			n->sept_pa = tdx_alloc_td_page();
			if (n->sept_pa == PLATFORM_NO_HPA) {
				free(n);
				return -ENOMEM;
			}
			r = (struct seamcall_regs){ .rcx = base | (u64)level, .rdx = td->tdr,
						    .r8 = n->sept_pa };
			ret = sept_status_to_errno(kvm_seamcall(TDH_MEM_SEPT_ADD, &r));
			if (ret) {
				tdx_free_host_page(n->sept_pa);
				free(n);
				return ret;
			}
			*slot = n;
			atomic_fetch_add(&mirror_bytes, sizeof(*n));
		}
		t = *slot;
	}
	*out = t;
	return 0;
}

long tdx_mirror_page_add(struct kvm_tdx *td, u64 gpa, u64 hpa, u64 source)
{
	struct mirror_table *pt;
	struct seamcall_regs r;
	long ret = mirror_walk_alloc(td, gpa, &pt);

	if (ret)
		return ret;
	r = (struct seamcall_regs){ .rcx = gpa, .rdx = td->tdr, .r8 = hpa, .r9 = source };
	ret = sept_status_to_errno(kvm_seamcall(TDH_MEM_PAGE_ADD, &r));
	if (!ret)
		set_leaf(pt, gpa, hpa);
	return ret;
}

long tdx_mirror_page_aug(struct kvm_tdx *td, u64 gpa, u64 hpa)
{
	struct mirror_table *pt;
	struct seamcall_regs r;
	long ret = mirror_walk_alloc(td, gpa, &pt);

	if (ret)
		return ret;
	r = (struct seamcall_regs){ .rcx = gpa, .rdx = td->tdr, .r8 = hpa };
	ret = sept_status_to_errno(kvm_seamcall(TDH_MEM_PAGE_AUG, &r));
	if (!ret)
		set_leaf(pt, gpa, hpa);
	return ret;
}

/* BLOCK, TRACK, REMOVE and WBINVD of one private 4K page. */
static bool remove_private_page(struct kvm_tdx *td, u64 gpa, u64 hpa)
{
	struct seamcall_regs r = { .rcx = gpa, .rdx = td->tdr };
	u64 st = kvm_seamcall(TDH_MEM_RANGE_BLOCK, &r);

	if (st != TDX_SUCCESS && TDX_STATUS(st) != TDX_GPA_RANGE_ALREADY_BLOCKED)
		return false;
	r = (struct seamcall_regs){ .rcx = td->tdr };
	if (kvm_seamcall(TDH_MEM_TRACK, &r))
		return false;
	/* No vCPU runs yet, so none has to be kicked out of the old epoch. */
	r = (struct seamcall_regs){ .rcx = gpa, .rdx = td->tdr };
	if (kvm_seamcall(TDH_MEM_PAGE_REMOVE, &r))
		return false;
	r = (struct seamcall_regs){ .rcx = platform_hpa_with_keyid(tdx_plat(), hpa, (u32)td->hkid) };
	kvm_seamcall(TDH_PHYMEM_PAGE_WBINVD, &r);
	platform_host_fill(tdx_plat(), hpa, 0, TDX_PAGE_SIZE);
	return true;
}

static void zap_table(struct kvm_vm *vm, struct mirror_table *t, int level, u64 base,
		      u64 start, u64 end)
{
	u64 span = 1ULL << (12 + 9 * level);

	for (unsigned int i = 0; i < MIRROR_ENTRIES; i++) {
		u64 gpa = base + i * span;

		if (gpa >= end || gpa + span <= start)
			continue;
		if (level) {
			if (t->child[i])
				zap_table(vm, t->child[i], level - 1, gpa, start, end);
			continue;
		}
		if (!(t->leaf[i] & LEAF_PRESENT))
			continue;
		if (!remove_private_page(vm->tdx, gpa, t->leaf[i] & ~LEAF_PRESENT)) {
			fprintf(stderr, "softtdx: private page at GPA %#llx could not be removed\n",
				(unsigned long long)gpa);
			continue;
		}
		clear_leaf(t, i);
		kvm_gmem_set_populated(kvm_gfn_to_memslot(vm, gpa / TDX_PAGE_SIZE),
				       gpa / TDX_PAGE_SIZE, false);
	}
}

void tdx_zap_private(struct kvm_vm *vm, u64 start_gfn, u64 end_gfn)
{
	struct kvm_tdx *td = vm->tdx;
	int top = td_levels(td) - 1;

	if (!td->mirror_root || td->hkid < 0)
		return;
	zap_table(vm, td->mirror_root, top, 0, start_gfn * TDX_PAGE_SIZE, end_gfn * TDX_PAGE_SIZE);
}

/* After the HKID is released: every S-EPT page, and any page still mapped. */
static void free_table(struct mirror_table *t, int level, u32 hkid)
{
	for (unsigned int i = 0; i < MIRROR_ENTRIES; i++) {
		if (level && t->child[i])
			free_table(t->child[i], level - 1, hkid);
		else if (!level && t->leaf[i] & LEAF_PRESENT) {
			tdx_reclaim_page(t->leaf[i] & ~LEAF_PRESENT, hkid);
			clear_leaf(t, i);
		}
	}
	if (t->sept_pa)
		tdx_reclaim_page(t->sept_pa, hkid);
	atomic_fetch_sub(&mirror_bytes, sizeof(*t));
	free(t);
}

void tdx_mirror_free(struct kvm_tdx *td)
{
	if (td->mirror_root)
		free_table(td->mirror_root, td_levels(td) - 1, (u32)td->hkid);
	td->mirror_root = NULL;
}
