// SPDX-License-Identifier: MIT
/*
 * bench/td-uapi's guest: phases bracketed by markers the VMM times
 * (bench/td_uapi.h): TDVMCALL<Instruction.IO> exits, fresh private memory
 * accepted 4 KiB and 2 MiB at a time as a TD's kernel accepts its RAM, and
 * the compute workload, run BENCH_COMPUTE_RUNS times (rounds = the
 * INIT_VCPU value).
 */
#include "guest.h"
#include "../../bench/td_uapi.h"
#include "../../bench/workload.h"

static u8 buf[WORKLOAD_BYTES];

static void marker(enum bench_phase phase)
{
	tdvmcall(TDVMCALL_IO, 1, 1, BENCH_PORT_MARK, phase, 0);
}

/*
 * TDG.MEM.PAGE.ACCEPT of a GPA nothing is mapped at yet: an EPT violation
 * exit, KVM's PAGE.AUG through its mirror S-EPT, re-entry, then the accept.
 * The first write afterwards is the guest's first use of the page.
 */
static void accept_or_die(u64 gpa, u64 level)
{
	struct tdcall_regs r = { .rax = TDG_MEM_PAGE_ACCEPT, .rcx = gpa | level };

	if (tdcall(&r)) {
		tdvmcall(TDVMCALL_IO, 4, 1, BENCH_PORT_FAIL, r.rax >> 32, 0);
		guest_exit(1);
	}
	*(volatile u64 *)gpa = gpa;
}

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	u64 hash = 0;

	(void)vcpu_index;
	(void)gpaw;
	marker(PHASE_IO);
	for (u32 i = 0; i < BENCH_IO_EXITS; i++)
		tdvmcall(TDVMCALL_IO, 1, 1, BENCH_PORT_EXIT, i & 0xFF, 0);
	marker(PHASE_4K);
	for (u32 i = 0; i < BENCH_4K_PAGES; i++)
		accept_or_die(BENCH_4K_GPA + ((u64)i << 12), 0);
	marker(PHASE_2M);
	for (u32 i = 0; i < BENCH_2M_PAGES; i++)
		accept_or_die(BENCH_2M_GPA + ((u64)i << 21), 1);
	for (u32 i = 0; i < BENCH_COMPUTE_RUNS; i++) {
		marker(PHASE_COMPUTE);
		memset(buf, 0, sizeof(buf));	/* each run computes the same hash */
		hash = workload(buf, (unsigned int)initial_rcx);
	}
	marker(PHASE_DONE);
	tdvmcall(TDVMCALL_IO, 4, 1, BENCH_PORT_HASH, (u32)hash, 0);
}
