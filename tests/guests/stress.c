// SPDX-License-Identifier: MIT
/*
 * Every vCPU at once, for tests/uapi/test_td_stress.c.  vCPU 0 converts a
 * 64 KiB window with MapGPA (shared, written through the shared alias,
 * private again, accepted: it must read zero) over and over; the others do
 * port I/O.  All take the VMM's MSIs with interrupts on.  Each loop ends
 * with a port write (0x90 + vCPU index) of the loop count, and another
 * (0x98 + vCPU index) of the interrupts taken so far; anything wrong is
 * guest_exit() with a code naming it (a failed accept first says its
 * status and the GPA on port 0x9C).
 */
#include "guest.h"

#define WINDOW		0x800000ULL
#define WINDOW_PAGES	16
#define SHARED47	(1ULL << 47)
#define SHARED_ALIAS	0x8000000000ULL	/* VA 512 GiB: GPA | bit 47 (boot.S) */
#define MAX_VCPUS	4

static volatile u64 interrupts[MAX_VCPUS];

static void on_interrupt(struct guest_frame *f)
{
	struct tdcall_regs info = { .rax = TDG_VP_INFO };
	u32 index;

	if (f->vector < 32)
		guest_exit(0x40 + (u8)f->vector);
	if (tdcall(&info))
		guest_exit(0x65);
	index = (u32)info.r9;		/* VCPU_INDEX */
	if (index < MAX_VCPUS)
		interrupts[index]++;
	guest_wrmsr(0x80B, 0);	/* EOI */
}

static void out32(u16 port, u64 v)
{
	tdvmcall(TDVMCALL_IO, 4, 1, port, (u32)v, 0);
}

/* One round trip of the window through shared memory. */
static void convert_window(u64 round)
{
	volatile u64 *shared = (u64 *)(SHARED_ALIAS + WINDOW);

	if (tdvmcall(TDVMCALL_MAP_GPA, WINDOW | SHARED47, WINDOW_PAGES * 4096, 0, 0, 0))
		guest_exit(0x61);
	*shared = round;
	if (tdvmcall(TDVMCALL_MAP_GPA, WINDOW, WINDOW_PAGES * 4096, 0, 0, 0))
		guest_exit(0x62);
	for (u64 i = 0; i < WINDOW_PAGES; i++) {
		struct tdcall_regs r = { .rax = TDG_MEM_PAGE_ACCEPT, .rcx = WINDOW + i * 4096 };
		volatile u64 *page = (u64 *)(WINDOW + i * 4096);

		u64 status = tdcall(&r);

		if (status) {
			out32(0x9C, status >> 32);	/* the TDX status, then the GPA */
			out32(0x9C, status);
			out32(0x9C, WINDOW + i * 4096);
			guest_exit(0x63);
		}
		if (*page)
			guest_exit(0x64);	/* a fresh private page reads zero */
		*page = round + i;
	}
}

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	(void)initial_rcx;
	(void)gpaw;
	if (vcpu_index >= MAX_VCPUS)
		guest_exit(0x60);
	guest_set_exception_handler(on_interrupt);
	__asm__ volatile("sti");
	for (u64 round = 1;; round++) {
		if (!vcpu_index)
			convert_window(round);
		out32((u16)(0x90 + vcpu_index), round);
		out32((u16)(0x98 + vcpu_index), interrupts[vcpu_index]);
	}
}
