// SPDX-License-Identifier: MIT
/*
 * Accepts one page, says so, then keeps reading it: the host converts the
 * page to shared under the running vCPU (tests/uapi/test_td_run.c).
 */
#include "guest.h"

#define PAGE	0x100000ULL

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	struct tdcall_regs r = { .rax = TDG_MEM_PAGE_ACCEPT, .rcx = PAGE };

	(void)initial_rcx;
	(void)vcpu_index;
	(void)gpaw;
	tdcall(&r);
	*(volatile u64 *)PAGE = 0x5A5A;
	tdvmcall_outb(0x80, (u8)r.rax);
	for (;;)
		(void)*(volatile u64 *)PAGE;
}
