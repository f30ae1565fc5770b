// SPDX-License-Identifier: MIT
/*
 * The TD's MSRs as the module's MSR table has them: each access below
 * reports two values on port 0x80, the vector it raised (0: none) and then
 * what it read, or the #VE's exit reason.  The handler steps over the
 * 2-byte RDMSR/WRMSR, so a fault leaves RAX:RDX as they were (0).
 */
#include "guest.h"

static volatile u64 vector, ve_reason;

static void report(u64 v)
{
	tdvmcall(TDVMCALL_IO, 4, 1, 0x80, v, 0);
}

static void on_fault(struct guest_frame *f)
{
	struct tdcall_regs r = { .rax = TDG_VP_VEINFO_GET };

	vector = f->vector;
	if (f->vector == 20 && !tdcall(&r))
		ve_reason = (u32)r.rcx;
	f->rip += 2;
}

static void done(u64 value)
{
	report(vector);
	report(vector == 20 ? ve_reason : value);
	vector = ve_reason = 0;
}

static void rd(u32 msr)
{
	u32 lo = 0, hi = 0;

	__asm__ volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
	done((u64)hi << 32 | lo);
}

static void wr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
	done(0);
}

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	(void)initial_rcx;
	(void)vcpu_index;
	(void)gpaw;
	guest_set_exception_handler(on_fault);
	rd(0x1A0);		/* MISC_ENABLE: the module's value */
	wr(0x1A0, 0x1801);	/* #VE */
	rd(0x10A);		/* ARCH_CAPABILITIES: the module's */
	rd(0xBD);		/* XAPIC_DISABLE_STATUS */
	rd(0xC1);		/* PMC0: #GP without PERFMON */
	rd(0xC0000083);		/* CSTAR: not in the table, #VE */
	rd(0x2000);		/* outside the bitmaps: #VE */
	wr(0x174, 0x10);	/* SYSENTER_CS: native */
	rd(0x174);
	wr(0x1D9, 0x1);		/* DEBUGCTL: kept by the module */
	rd(0x1D9);
	wr(0x1D9, 0x8);		/* a reserved bit: #GP */
	wr(0x1D9, 0x40);	/* TR without BTS: #VE */
	wr(0xDA0, 0);		/* XSS: nothing XFAM allows is fine */
	wr(0xDA0, 1);		/* #GP */
	rd(0x818);		/* TMR0: virtualized, 0 */
	wr(0x80A, 0);		/* PPR is read-only: #GP */
	rd(0x345);		/* PERF_CAPABILITIES: 0 */
	wr(0x345, 0);		/* #GP */
	guest_exit(0);
}
