// SPDX-License-Identifier: MIT
/* Says so on COM1, then halts with TDVMCALL<HLT>: nothing ever wakes it. */
#include "guest.h"

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	(void)initial_rcx;
	(void)vcpu_index;
	(void)gpaw;
	guest_puts("halting\n");
	tdvmcall(TDVMCALL_HLT, 0, 0, 0, 0, 0);
	guest_exit(0x11);
}
