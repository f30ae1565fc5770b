// SPDX-License-Identifier: MIT
/*
 * Two vCPUs hand a turn back and forth, each spinning with PAUSE while the
 * other holds it, as a lock or the MP-wakeup mailbox makes a CPU wait.
 * Each vCPU counts its quick rounds: those that waited at most QUICK
 * PAUSEs for the turn.  When both are done, vCPU 0 reports the two counts
 * on port 0x80 and exits with 0 on port 0xF4; vCPU 1 exits with 1 there.
 */
#include "guest.h"

#define ROUNDS	1000
#define QUICK	8

static volatile u32 turn, done;
static volatile u64 quick[2];

static void report(u64 v)
{
	tdvmcall(TDVMCALL_IO, 4, 1, 0x80, v, 0);
}

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	(void)initial_rcx;
	(void)gpaw;
	if (vcpu_index > 1)
		return;
	for (u32 i = 0; i < ROUNDS; i++) {
		u64 spins = 0;

		while (turn != vcpu_index) {
			__builtin_ia32_pause();
			spins++;
		}
		quick[vcpu_index] += spins <= QUICK;
		turn = !vcpu_index;
	}
	__atomic_add_fetch(&done, 1, __ATOMIC_SEQ_CST);
	if (vcpu_index)
		guest_exit(1);
	while (done < 2)
		__builtin_ia32_pause();
	report(quick[0]);
	report(quick[1]);
	guest_exit(0);
}
