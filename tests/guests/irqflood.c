// SPDX-License-Identifier: MIT
/*
 * Interrupts of two priority classes posted as fast as the VMM can
 * (tests/uapi/test_td_run.c): the guest runs with RFLAGS.IF set and EOIs
 * each one.  An interrupt put in service at a TD entry that a kick then
 * interrupted must still reach this handler; if a later one replaced it,
 * its ISR bit would stay set and mask its class for good.  The last vector
 * the VMM sends, 0x21, is below every class here: once it came, the guest
 * reports the ISR words (all zero) and exits.
 */
#include "guest.h"

static volatile u64 taken, lowest_taken;

static void on_interrupt(struct guest_frame *f)
{
	if (f->vector < 32)
		guest_exit(0x40 + (u8)f->vector);
	taken++;
	if (f->vector == 0x21)
		lowest_taken = 1;
	guest_wrmsr(0x80B, 0);	/* EOI */
}

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	u64 isr = 0;

	(void)initial_rcx;
	(void)vcpu_index;
	(void)gpaw;
	guest_set_exception_handler(on_interrupt);
	guest_report(1);			/* the VMM starts posting now */
	__asm__ volatile("sti");
	while (!lowest_taken)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	for (u32 i = 0; i < 8; i++)
		isr |= guest_rdmsr(0x810 + i);
	guest_report(isr);
	guest_report(taken);
}
