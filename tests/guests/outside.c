// SPDX-License-Identifier: MIT
/*
 * Reads private memory at 1 GiB, which a TD with less RAM does not have:
 * the VMM must stop with an error (tests/cli/test_softtdx.sh), not convert
 * the page again and again.
 */
#include "guest.h"

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	(void)initial_rcx;
	(void)gpaw;
	if (vcpu_index)
		return;
	(void)*(volatile u64 *)0x40000000ULL;
	guest_exit(0x7F);
}
