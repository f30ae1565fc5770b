// SPDX-License-Identifier: MIT
/*
 * NMIs into a TD (tests/uapi/test_td_run.c): KVM_NMI becomes the module's
 * PEND_NMI and the guest takes vector 2 through its IDT.  An NMI queued
 * while the handler runs waits for the handler's IRET and never nests; one
 * queued while the vCPU sleeps in TDVMCALL<HLT> wakes it.  Results go out
 * on ports 0x80/0x84.
 */
#include "guest.h"

static volatile u64 nmis, depth, max_depth;

static void on_nmi(struct guest_frame *f)
{
	if (f->vector != 2)
		guest_exit(0x40 + (u8)f->vector);
	if (++depth > max_depth)
		max_depth = depth;
	if (++nmis == 1)
		guest_report(0x100);		/* the VMM queues the second NMI now */
	for (volatile int i = 0; i < 10000; i++)
		;			/* room to nest, if it could */
	depth--;
}

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	(void)initial_rcx;
	(void)vcpu_index;
	(void)gpaw;
	guest_set_exception_handler(on_nmi);
	guest_report(1);			/* the VMM queues an NMI: taken at the next entry */
	guest_report(nmis);
	guest_report(max_depth);
	guest_report(2);			/* asleep next: the VMM wakes it with an NMI */
	while (nmis < 3)
		tdvmcall(TDVMCALL_HLT, 0, 0, 0, 0, 0);
	guest_report(nmis);
	guest_report(max_depth);
}
