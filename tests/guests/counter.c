// SPDX-License-Identifier: MIT
/*
 * Every vCPU of the TD (TDG.VP.INFO says how many) adds ADDS to two
 * counters: one with LOCK INC, one with a plain load-add-store under a
 * spinlock (XCHG).  vCPU 0 waits for all, prints both totals on COM1 and
 * ends through isa-debug-exit: 0 when both are exact, 1 when not.
 * tests/cli/test_softtdx.sh runs it as a payload with -smp 2, 4 and 16.
 */
#include "guest.h"

#define ADDS	50000u

static volatile u64 atomic_total, locked_total, done;
static volatile u32 lock;

static void spin_lock(void)
{
	u32 taken = 1;

	for (;;) {
		__asm__ volatile("xchg %0, %1" : "+r"(taken), "+m"(lock) : : "memory");
		if (!taken)
			return;
		while (lock)
			__builtin_ia32_pause();
		taken = 1;
	}
}

static void spin_unlock(void)
{
	__asm__ volatile("" : : : "memory");
	lock = 0;
}

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	struct tdcall_regs r = { .rax = TDG_VP_INFO };
	u64 vcpus;

	(void)initial_rcx;
	(void)gpaw;
	tdcall(&r);
	vcpus = (u32)r.r8;
	for (u32 i = 0; i < ADDS; i++) {
		__asm__ volatile("lock incq %0" : "+m"(atomic_total));
		spin_lock();
		locked_total = locked_total + 1;
		spin_unlock();
	}
	__asm__ volatile("lock incq %0" : "+m"(done));
	while (vcpu_index)
		tdvmcall(TDVMCALL_HLT, 0, 0, 0, 0, 0);
	while (done < vcpus)
		__builtin_ia32_pause();
	guest_puts("counter: ");
	guest_put_dec(vcpus);
	guest_puts(" vCPUs, LOCK INC ");
	guest_put_dec(atomic_total);
	guest_puts(", spinlock ");
	guest_put_dec(locked_total);
	guest_puts("\n");
	guest_exit(atomic_total == vcpus * ADDS && locked_total == vcpus * ADDS ? 0 : 1);
}
