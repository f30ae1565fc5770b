// SPDX-License-Identifier: MIT
/* A #UD with no IDT: the delivery fails twice, the vCPU triple-faults. */
#include "guest.h"

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	(void)initial_rcx;
	(void)vcpu_index;
	(void)gpaw;
	guest_puts("about to triple-fault\n");
	__builtin_trap();
}
