// SPDX-License-Identifier: MIT
/*
 * Code the guest unmaps after it ran an I/O instruction there
 * (tests/test_cpu.c): after each run the engine drops its blocks at every
 * I/O stopping point and looks their pages up again, and that lookup must
 * never reach the guest as a #PF.  Linux frees its __init text this way.
 * The guest runs `out %al,$0x99` from a 4 KiB page mapped at 2 TiB, unmaps
 * it, then takes an INT3 (which ends the engine's run): it must see that
 * INT3 and no #PF.
 */
#include "guest.h"

#define CODE_VA		(4ULL << 39)	/* PML4[4] */
#define OUT_OFFSET	16		/* the stopping point shares its page with the byte before */

/* Free memory below the image (identity-mapped, zero at start) for the new tables and code. */
#define SCRATCH		0x200000ULL
static u64 *const pdpt = (u64 *)SCRATCH, *const pd = (u64 *)(SCRATCH + 0x1000);
static u64 *const pt = (u64 *)(SCRATCH + 0x2000);
static u8 *const code = (u8 *)(SCRATCH + 0x3000);
static volatile u64 int3s, page_faults;

static void on_exception(struct guest_frame *f)
{
	if (f->vector == 3)
		int3s++;
	else if (f->vector == 14)
		page_faults++;
	else
		guest_exit(0x7F);
}

static void report(u64 v)
{
	tdvmcall(TDVMCALL_IO, 4, 1, 0x80, v, 0);
}

static void reload_cr3(void)
{
	u64 cr3;

	__asm__ volatile("mov %%cr3, %0\n\tmov %0, %%cr3" : "=r"(cr3) : : "memory");
}

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	u64 cr3, *pml4;

	(void)initial_rcx;
	(void)gpaw;
	if (vcpu_index)
		return;
	guest_set_exception_handler(on_exception);
	code[OUT_OFFSET] = 0xE6;		/* out %al,$0x99 */
	code[OUT_OFFSET + 1] = 0x99;
	code[OUT_OFFSET + 2] = 0xC3;		/* ret */
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	pml4 = (u64 *)(cr3 & ~0xFFFULL);
	pml4[4] = (u64)pdpt | 3;
	pdpt[0] = (u64)pd | 3;
	pd[0] = (u64)pt | 3;
	pt[0] = (u64)code | 3;
	reload_cr3();
	((void (*)(void))(CODE_VA + OUT_OFFSET))();
	pt[0] = 0;
	reload_cr3();
	__asm__ volatile("int3");
	report(int3s);
	report(page_faults);
}
