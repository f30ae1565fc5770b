// SPDX-License-Identifier: MIT
/*
 * One page's life across MapGPA (tests/uapi/test_td_run.c): private with
 * data, shared (what the TD writes there is the VMM's memory), private
 * again: accepted anew, it reads zero, neither the old private data nor
 * the shared data.  Results go out on ports 0x80/0x84.
 */
#include "guest.h"

#define PAGE		0x500000ULL
#define SHARED47	(1ULL << 47)
#define SHARED_ALIAS	0x8000000000ULL	/* VA 512 GiB: GPA | bit 47 (boot.S) */

static u64 accept(u64 gpa)
{
	struct tdcall_regs r = { .rax = TDG_MEM_PAGE_ACCEPT, .rcx = gpa };

	return tdcall(&r);
}

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	volatile u64 *private = (u64 *)PAGE, *shared = (u64 *)(SHARED_ALIAS + PAGE);

	(void)initial_rcx;
	(void)vcpu_index;
	(void)gpaw;
	guest_report(accept(PAGE));
	*private = 0x5EC12E7;
	guest_report(*private);
	guest_report(tdvmcall(TDVMCALL_MAP_GPA, PAGE | SHARED47, 4096, 0, 0, 0));
	guest_report(*shared);		/* the VMM's page, not the private one */
	*shared = 0x5A12ED;
	guest_report(tdvmcall(TDVMCALL_MAP_GPA, PAGE, 4096, 0, 0, 0));
	guest_report(accept(PAGE));
	guest_report(*private);
}
