// SPDX-License-Identifier: MIT
/*
 * What the CPU does with structures the host keeps in its memory: the walk
 * of an EPT the host built (the shared EPT of a TD: 4 or 5 levels from the
 * EPTP, entries read with the host's KeyID; a non-present entry with
 * suppress-#VE (bit 63) clear is a #VE for the guest, with it set an EPT
 * violation for the host), and posted-interrupt descriptors.
 */
#include "platform_internal.h"

#include <stdatomic.h>
#include <string.h>

#define EPT_R		(1ULL << 0)
#define EPT_W		(1ULL << 1)
#define EPT_X		(1ULL << 2)
#define EPT_PS		(1ULL << 7)
#define EPT_SVE		(1ULL << 63)
#define EPT_ADDR	0x000FFFFFFFFFF000ULL

static bool read_entry(struct platform *p, u64 table, unsigned int index, u64 *e)
{
	u8 *t = platform_phys_ptr(p, table, TDX_PAGE_SIZE);

	if (!t)
		return false;
	memcpy(e, t + 8 * index, sizeof(*e));
	return true;
}

enum cpu_ept_result cpu_ept_translate(struct platform *p, u64 eptp, u64 gpa,
				      unsigned int access, u64 *hpa, bool *writable)
{
	int levels = (int)((eptp >> 3) & 7) + 1, level;
	u64 table = eptp & EPT_ADDR, e = 0;
	u64 need = (access & CPU_ACCESS_READ ? EPT_R : 0) | (access & CPU_ACCESS_WRITE ? EPT_W : 0) |
		   (access & CPU_ACCESS_FETCH ? EPT_X : 0);

	if (levels != 4 && levels != 5)
		return CPU_EPT_MISCONFIG;
	for (level = levels; level >= 1; level--) {
		unsigned int shift = 12 + 9 * (unsigned int)(level - 1);

		if (!read_entry(p, table, (unsigned int)((gpa >> shift) & 511), &e))
			return CPU_EPT_MISCONFIG;
		if (!(e & (EPT_R | EPT_W | EPT_X)))
			return e & EPT_SVE ? CPU_EPT_VIOLATION : CPU_EPT_VE;
		if (level == 1 || ((e & EPT_PS) && level <= 3)) {
			if ((e & need) != need)
				return CPU_EPT_VIOLATION;
			*hpa = (e & EPT_ADDR & ~((1ULL << shift) - 1)) |
			       (gpa & ((1ULL << shift) - 1) & ~(TDX_PAGE_SIZE - 1));
			*writable = e & EPT_W;
			return CPU_EPT_OK;
		}
		table = e & EPT_ADDR;
	}
	return CPU_EPT_MISCONFIG;
}

bool cpu_take_posted_interrupts(struct platform *p, u64 pid_hpa, u64 pir[4])
{
	_Atomic u64 *pid = (_Atomic u64 *)(void *)platform_phys_ptr(p, pid_hpa, 64);
	bool any = false;

	if (!pid || (pid_hpa & 63))
		return false;
	atomic_fetch_and(&pid[4], ~1ULL);	/* ON: the notification is taken */
	for (int i = 0; i < 4; i++) {
		pir[i] = atomic_exchange(&pid[i], 0);
		any |= pir[i] != 0;
	}
	return any;
}
