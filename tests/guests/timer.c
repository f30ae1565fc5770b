// SPDX-License-Identifier: MIT
/*
 * The x2APIC timer in a TD (tests/uapi/test_td_run.c), programmed as Linux
 * does from its #VE handler, through TDVMCALL<RDMSR/WRMSR>: one-shot,
 * periodic, masked and TSC-deadline modes, TMCCT, a mode change, then
 * self-IPIs by SELF_IPI and ICR (fixed, NMI, INIT).  The TSC it reads runs at the TD's
 * TSC_FREQUENCY (CPUID 0x15).  Results go out on ports 0x80/0x84.
 */
#include "guest.h"

#define LVTT		0x832
#define TMICT		0x838
#define TMCCT		0x839
#define TDCR		0x83E
#define SELF_IPI	0x83F
#define ICR		0x830
#define SPIV		0x80F
#define TSC_DEADLINE	0x6E0
#define PERIODIC	(1u << 17)
#define TSC_DEADLINE_MODE (2u << 17)
#define MASKED		(1u << 16)

static volatile u64 ticks, last, nmis;

static u64 msr_read(u32 msr)
{
	u64 v = 0;

	tdvmcall(TDVMCALL_RDMSR, msr, 0, 0, 0, &v);
	return v;
}

/* The TDVMCALL status: 0, or INVALID_OPERAND for a write KVM refuses. */
static u64 msr_write(u32 msr, u64 v)
{
	return tdvmcall(TDVMCALL_WRMSR, msr, v, 0, 0, 0);
}

static u64 rdtsc(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | (u64)hi << 32;
}

static void on_interrupt(struct guest_frame *f)
{
	if (f->vector == 2) {
		nmis++;		/* no EOI: the IRET ends an NMI */
		return;
	}
	if (f->vector < 32)
		guest_exit(0x40 + (u8)f->vector);
	ticks++;
	last = f->vector;
	__asm__ volatile("wrmsr" : : "c"(0x80B), "a"(0), "d"(0));	/* EOI */
}

/*
 * Interrupts off from the check to the HLT, so a tick cannot come in
 * between and leave the vCPU asleep; STI afterwards takes a waiting one.
 */
static void wait_ticks(u64 n)
{
	for (;;) {
		__asm__ volatile("cli" ::: "memory");
		if (ticks >= n)
			break;
		tdvmcall(TDVMCALL_HLT, 0, 0, 0, 0, 0);
		__asm__ volatile("sti" ::: "memory");
	}
	__asm__ volatile("sti" ::: "memory");
}

static u64 tsc_hz(void)
{
	u32 a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x15), "c"(0));
	return (u64)c * b / a;
}

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	u64 hz = tsc_hz(), t0, count, base;

	(void)initial_rcx;
	(void)vcpu_index;
	(void)gpaw;
	guest_set_exception_handler(on_interrupt);
	__asm__ volatile("sti");
	guest_report(hz);
	msr_write(SPIV, 0x1FF);		/* software-enabled: LVT writes are no longer masked */
	/* One-shot, 10 ms of a 25 MHz bus, divide by 1. */
	msr_write(TDCR, 0xB);
	msr_write(LVTT, 0x40);
	t0 = rdtsc();
	msr_write(TMICT, 250000);
	count = msr_read(TMCCT);
	guest_report(count > 0 && count <= 250000);
	wait_ticks(1);
	guest_report(rdtsc() - t0);
	guest_report(last);
	guest_report(msr_read(TMCCT));
	/* Periodic every 1 ms: five ticks, then TMICT 0 stops it. */
	msr_write(LVTT, PERIODIC | 0x41);
	msr_write(TMICT, 25000);
	wait_ticks(6);
	msr_write(TMICT, 0);
	guest_report(last);
	/*
	 * A tick that expired while TMICT 0 was on its way came in at that
	 * TDVMCALL's return; from here on, ticks count from where they stand.
	 */
	base = ticks;
	/* Masked: the count runs out, no interrupt. */
	msr_write(LVTT, MASKED | 0x42);
	msr_write(TMICT, 2500);
	for (t0 = rdtsc(); rdtsc() - t0 < hz / 200;)
		;
	guest_report(ticks - base);
	/* TSC-deadline: 1 ms ahead, then one already past. */
	msr_write(LVTT, TSC_DEADLINE_MODE | 0x43);
	guest_report(msr_read(TSC_DEADLINE));
	msr_write(TSC_DEADLINE, rdtsc() + hz / 1000);
	wait_ticks(base + 1);
	guest_report(last);
	guest_report(msr_read(TSC_DEADLINE));
	msr_write(TSC_DEADLINE, 1);
	wait_ticks(base + 2);
	guest_report(ticks - base);
	/* Leaving a mode stops the timer and clears TMICT. */
	msr_write(LVTT, PERIODIC | 0x44);
	msr_write(TMICT, 25000000);
	msr_write(LVTT, 0x44);
	guest_report(msr_read(TMICT));
	/* IPIs to itself. */
	msr_write(SELF_IPI, 0x45);
	wait_ticks(base + 3);
	guest_report(last);
	msr_write(ICR, 0x46);			/* fixed, physical, APIC ID 0 */
	wait_ticks(base + 4);
	guest_report(last);
	guest_report(msr_write(ICR, 4u << 8));		/* NMI to itself */
	while (!nmis)
		__asm__ volatile("pause");
	guest_report(nmis);
	guest_report(msr_write(ICR, 5u << 8));		/* INIT: accepted, a TD ignores it */
	guest_report(msr_write(ICR, 1u << 13 | 0x47));	/* reserved bit */
	guest_report(msr_write(SELF_IPI, 0x100));	/* reserved bits */
	guest_report(ticks - base);
}
