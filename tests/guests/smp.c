// SPDX-License-Identifier: MIT
/*
 * Two vCPUs, one counter: each adds 200000 with LOCK INC.  vCPU 0 waits for
 * both, reports the total on port 0x80/0x84 and exits; vCPU 1 says it is
 * done on port 0x81, then halts.
 */
#include "guest.h"

#define ADDS	200000u

static volatile u64 counter, done;

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	(void)initial_rcx;
	(void)gpaw;
	for (u32 i = 0; i < ADDS; i++)
		__asm__ volatile("lock incq %0" : "+m"(counter));
	__asm__ volatile("lock incq %0" : "+m"(done));
	if (vcpu_index) {
		tdvmcall_outb(0x81, 1);
		for (;;)
			tdvmcall(TDVMCALL_HLT, 0, 0, 0, 0, 0);
	}
	while (done < 2)
		;
	tdvmcall(TDVMCALL_IO, 4, 1, 0x80, (u32)counter, 0);
	tdvmcall(TDVMCALL_IO, 4, 1, 0x84, counter >> 32, 0);
}
