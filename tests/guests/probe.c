// SPDX-License-Identifier: MIT
/*
 * Exercises the CPU core itself (tests/test_cpu.c): console output through
 * TDVMCALL, CPUID, a #PF and an INT3 delivered through the IDT, a
 * pass-through MSR, an intercepted one the owner answers with #GP, HLT.
 * Each step reports through TDVMCALL<Instruction.IO> to port 0x80.
 */
#include "guest.h"

static volatile u64 faults, last_cr2, last_error, last_vector;

static void on_exception(struct guest_frame *f)
{
	u64 cr2;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	faults++;
	last_vector = f->vector;
	last_error = f->error;
	last_cr2 = cr2;
	if (f->vector == 13 || f->vector == 14)
		f->rip = f->rbx;	/* the recovery address the test put in RBX */
}

static void report(u64 v)
{
	tdvmcall(TDVMCALL_IO, 4, 1, 0x80, v, 0);
}

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	u32 a, b, c, d, lo, hi, aux;

	guest_puts("probe: hello\n");
	report(initial_rcx);
	report(vcpu_index);
	report(gpaw);

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x21), "c"(0));
	report(a);
	report(b);

	guest_set_exception_handler(on_exception);
	/* PML4[3] (VA 1.5 TiB) is not present: #PF, then resume at 1f. */
	__asm__ volatile("lea 1f(%%rip), %%rbx\n\tmovq (%0), %%rax\n1:"
			 : : "r"(0x18000000000ULL) : "rax", "rbx", "memory");
	report(faults);
	report(last_vector);
	report(last_error);
	report(last_cr2);

	__asm__ volatile("int3");
	report(last_vector);

	/* SYSENTER_CS is the owner's pass-through MSR; TSC (0x10) is not. */
	__asm__ volatile("wrmsr" : : "c"(0x174), "a"(0x1234), "d"(0));
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x174));
	report(lo);
	__asm__ volatile("lea 1f(%%rip), %%rbx\n\trdmsr\n1:" : : "c"(0x10) : "rax", "rdx", "rbx");
	report(last_vector);
	report(faults);

	/* RDTSC and RDTSCP are the owner's; RDTSCP's ECX is TSC_AUX (pass-through). */
	__asm__ volatile("wrmsr" : : "c"(0xC0000103), "a"(0x77), "d"(0));
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	report((u64)hi << 32 | lo);
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	report((u64)hi << 32 | lo);
	report(aux);

	__asm__ volatile("hlt");
	report(0xD0E);
}
