// SPDX-License-Identifier: MIT
/*
 * The smallest TD guest: a line on COM1, then isa-debug-exit with 0x21.
 * Other vCPUs halt (TDVMCALL<HLT>) and wait for the end.
 */
#include "guest.h"

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	(void)initial_rcx;
	(void)gpaw;
	while (vcpu_index)
		tdvmcall(TDVMCALL_HLT, 0, 0, 0, 0, 0);
	guest_puts("hello from a TD\n");
	guest_exit(0x21);
}
