// SPDX-License-Identifier: MIT
/*
 * Code churn (tests/test_cpu.c): 8192 small functions rewritten and run
 * 24 times over, about 200,000 translations, so that the engine's
 * translation buffer fills and is flushed several times while code keeps
 * changing under it.  Each function does port I/O, so each is a stopping
 * point the core keeps across runs and flushes.  The sum of what the
 * functions return is reported; a stale translation or a broken flush
 * changes it, or kills the engine.
 */
#include "guest.h"

#define REGION		0x1000000ULL	/* 16 MiB, identity-mapped */
#define FUNCTIONS	8192
#define ROUNDS		24

static void report(u64 v)
{
	tdvmcall(TDVMCALL_IO, 4, 1, 0x80, v, 0);
}

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	u64 sum = 0;

	(void)initial_rcx;
	(void)gpaw;
	if (vcpu_index)
		return;
	for (u32 round = 0; round < ROUNDS; round++) {
		for (u32 i = 0; i < FUNCTIONS; i++) {
			u8 *f = (u8 *)(REGION + 16ULL * i);
			u32 value = round * 7 + i;

			f[0] = 0xB8;			/* mov $value,%eax */
			memcpy(f + 1, &value, sizeof(value));
			f[5] = 0xE6;			/* out %al,$0x81 */
			f[6] = 0x81;
			f[7] = 0xC3;			/* ret */
		}
		for (u32 i = 0; i < FUNCTIONS; i++)
			sum += ((u32 (*)(void))(REGION + 16ULL * i))();
	}
	report(sum);
}
