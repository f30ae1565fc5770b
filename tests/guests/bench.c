// SPDX-License-Identifier: MIT
/*
 * bench/td's guest: phases bracketed by markers on port 0x91 (phase id),
 * timed by the host: TDCALLs handled in place, TDVMCALL exits to the host,
 * and compute (bench/workload.h) whose result goes to port 0x80.
 */
#include "guest.h"
#include "../../bench/workload.h"

#define ITERS	200000u

static u8 buf[WORKLOAD_BYTES];

static void marker(u32 phase)
{
	tdvmcall(TDVMCALL_IO, 4, 1, 0x91, phase, 0);
}

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	struct tdcall_regs r;
	u64 rounds = initial_rcx;

	(void)vcpu_index;
	(void)gpaw;
	marker(1);
	for (u32 i = 0; i < ITERS; i++) {
		r = (struct tdcall_regs){ .rax = TDG_VP_INFO };
		tdcall(&r);
	}
	marker(2);
	for (u32 i = 0; i < ITERS / 10; i++)
		tdvmcall(TDVMCALL_IO, 1, 1, 0x90, 0, 0);
	marker(3);
	tdvmcall(TDVMCALL_IO, 4, 1, 0x80, (u32)workload(buf, (unsigned int)rounds), 0);
	marker(4);
}
