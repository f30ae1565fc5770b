// SPDX-License-Identifier: MIT
/*
 * A TD's shared EPT: KVM's own EPT for the GPAs with the shared bit, in host
 * pages the CPU walks (the TD VMCS SHARED_EPT_POINTER).  Absent entries keep
 * suppress-#VE set, so a first touch is an EPT violation KVM sees; KVM then
 * maps the memslot's host page, or, where no memslot is, leaves an MMIO
 * entry with suppress-#VE clear so that the guest's next access is a #VE
 * it turns into TDVMCALL<#VE.RequestMMIO> (Linux's shadow_mmio_value 0).
 */
#include "tdx_internal.h"

#include <stdlib.h>

#define EPT_RWX		7ULL
#define EPT_MT_WB	(6ULL << 3)
#define EPT_SVE		(1ULL << 63)
#define EPT_ADDR	0x000FFFFFFFFFF000ULL
#define EPT_NONPRESENT	EPT_SVE
#define EPT_MMIO	0ULL
#define EPT_ENTRIES	512

static u64 read_entry(u64 table, unsigned int i)
{
	u64 e = 0;

	platform_host_read(tdx_plat(), table + 8ULL * i, &e, sizeof(e));
	return e;
}

static void write_entry(u64 table, unsigned int i, u64 e)
{
	platform_host_write(tdx_plat(), table + 8ULL * i, &e, sizeof(e));
}

static bool entry_is_table(u64 e, int level)
{
	return level > 0 && (e & EPT_RWX) && !(e & (1ULL << 7));
}

/* A table of non-present, suppress-#VE entries; 0 when memory is short. */
static u64 new_table(void)
{
	u64 entries[EPT_ENTRIES], pa = tdx_alloc_td_page();

	if (pa == PLATFORM_NO_HPA)
		return 0;
	for (unsigned int i = 0; i < EPT_ENTRIES; i++)
		entries[i] = EPT_NONPRESENT;
	platform_host_write(tdx_plat(), pa, entries, sizeof(entries));
	return pa;
}

static unsigned int index_of(u64 gpa, int level)
{
	return (gpa >> (12 + 9 * level)) & (EPT_ENTRIES - 1);
}

u64 tdx_shared_eptp(struct kvm_tdx *td)
{
	if (!td->shared_root)
		td->shared_root = new_table();
	return td->shared_root ? td->shared_root | (u64)(td_levels(td) - 1) << 3 | 6 : 0;
}

/* The leaf @e for the 4 KiB page at shared @gpa, with tables made on the way. */
static long set_leaf(struct kvm_tdx *td, u64 gpa, u64 e)
{
	u64 table = td->shared_root;

	if (!table)
		return -ENOMEM;
	for (int level = td_levels(td) - 1; level > 0; level--) {
		u64 next = read_entry(table, index_of(gpa, level));

		if (!entry_is_table(next, level)) {
			u64 t = new_table();

			if (!t)
				return -ENOMEM;
			write_entry(table, index_of(gpa, level), t | EPT_RWX);
			next = t | EPT_RWX;
		}
		table = next & EPT_ADDR;
	}
	write_entry(table, index_of(gpa, 0), e);
	return 0;
}

long tdx_shared_map(struct kvm_tdx *td, u64 gpa, u64 hpa)
{
	return set_leaf(td, gpa, hpa | EPT_RWX | EPT_MT_WB);
}

long tdx_shared_map_mmio(struct kvm_tdx *td, u64 gpa)
{
	return set_leaf(td, gpa, EPT_MMIO);
}

/* Every leaf of [start, end) in the table at @table (covering from @base) goes. */
static void zap_table(u64 table, int level, u64 base, u64 start, u64 end)
{
	u64 span = 1ULL << (12 + 9 * level);

	for (unsigned int i = 0; i < EPT_ENTRIES; i++) {
		u64 lo = base + i * span, e;

		if (lo + span <= start || lo >= end)
			continue;
		e = read_entry(table, i);
		if (entry_is_table(e, level))
			zap_table(e & EPT_ADDR, level - 1, lo, start, end);
		else if (e != EPT_NONPRESENT)
			write_entry(table, i, EPT_NONPRESENT);
	}
}

void tdx_shared_zap(struct kvm_vm *vm, u64 start_gfn, u64 end_gfn)
{
	struct kvm_tdx *td = vm->tdx;

	if (!td->shared_root)
		return;	/* nothing mapped yet (and before INIT_VM there is no GPAW) */
	zap_table(td->shared_root, td_levels(td) - 1, 0,
		  td_shared_bit(td) | start_gfn * TDX_PAGE_SIZE,
		  td_shared_bit(td) | end_gfn * TDX_PAGE_SIZE);
	/* kvm_flush_remote_tlbs(): INVEPT, and running vCPUs leave the guest. */
	platform_invept(tdx_plat());
	tdx_kick_vcpus(td);
}

static void free_table(u64 table, int level)
{
	for (unsigned int i = 0; level > 0 && i < EPT_ENTRIES; i++) {
		u64 e = read_entry(table, i);

		if (entry_is_table(e, level))
			free_table(e & EPT_ADDR, level - 1);
	}
	platform_host_fill(tdx_plat(), table, 0, TDX_PAGE_SIZE);
	tdx_free_host_page(table);
}

void tdx_shared_ept_free(struct kvm_tdx *td)
{
	if (td->shared_root)
		free_table(td->shared_root, td_levels(td) - 1);
	td->shared_root = 0;
}
