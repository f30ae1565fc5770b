// SPDX-License-Identifier: MIT
/*
 * Interrupts into a TD (tests/uapi/test_td_run.c): the VMM posts vectors
 * with KVM_SIGNAL_MSI; the guest takes them through its IDT with RFLAGS.IF
 * set, EOIs through the x2APIC EOI register, and sleeps in TDVMCALL<HLT>
 * until one arrives.  Results go out on ports 0x80/0x84.
 */
#include "guest.h"

static volatile u64 count, last, isr_in_handler;

static void on_interrupt(struct guest_frame *f)
{
	if (f->vector < 32)
		guest_exit(0x40 + (u8)f->vector);
	count++;
	last = f->vector;
	isr_in_handler = guest_rdmsr(0x810 + (u32)f->vector / 32);
	guest_wrmsr(0x80B, 0);	/* EOI */
}

/* Sleeps until @n interrupts came, with none able to slip in before the HLT. */
static void wait_count(u64 n)
{
	for (;;) {
		__asm__ volatile("cli" ::: "memory");
		if (count >= n)
			break;
		tdvmcall(TDVMCALL_HLT, 0, 0, 0, 0, 0);
		__asm__ volatile("sti" ::: "memory");
	}
	__asm__ volatile("sti" ::: "memory");
}

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	(void)initial_rcx;
	(void)vcpu_index;
	(void)gpaw;
	guest_set_exception_handler(on_interrupt);
	guest_wrmsr(0x808, 0x20);		/* TPR: class 2 and below masked */
	guest_report(guest_rdmsr(0x808));
	__asm__ volatile("sti");
	guest_report(1);			/* the VMM posts 0x25 (masked) and 0x30 now */
	guest_report(count);
	guest_report(last);
	guest_report(isr_in_handler);
	guest_report(guest_rdmsr(0x810 + 1));	/* ISR after EOI */
	guest_report(guest_rdmsr(0x820 + 1));	/* IRR: 0x25 still waits */
	guest_wrmsr(0x808, 0);		/* TPR 0: 0x25 comes at once */
	guest_report(count);
	guest_report(last);
	guest_report(2);			/* asleep next: the VMM wakes it with 0x41 */
	wait_count(3);
	guest_report(last);
	guest_report(guest_rdmsr(0x80A));		/* PPR */
}
