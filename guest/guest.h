/* SPDX-License-Identifier: MIT */
/*
 * The guest-side kit: what freestanding code running inside a softtdx TD
 * (or, later, a VMX guest) uses to talk to the TDX module and the VMM.
 * Entry: guest_main(initial_rcx, vcpu_index, gpaw) on the vCPU's own stack
 * (4 KiB in a guest image: link.ld), with
 * the low 4 GiB identity-mapped (see boot.S); exceptions go to the handler
 * set with guest_set_exception_handler().
 */
#ifndef SOFTTDX_GUEST_H
#define SOFTTDX_GUEST_H

#include <stdbool.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

/* Every register TDCALL reads or writes. */
struct tdcall_regs {
	u64 rax, rcx, rdx, rbx, rsi, rdi;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
};
_Static_assert(sizeof(struct tdcall_regs) == 14 * 8, "boot.S's offsets");

/* TDCALL with @r in and out; returns RAX (the TDX status). */
u64 tdcall(struct tdcall_regs *r);

/* TDCALL leaves (TDG.*) and TDG.VP.VMCALL sub-functions (GHCI). */
enum {
	TDG_VP_VMCALL = 0, TDG_VP_INFO = 1, TDG_MR_RTMR_EXTEND = 2, TDG_VP_VEINFO_GET = 3,
	TDG_MR_REPORT = 4, TDG_VP_CPUIDVE_SET = 5, TDG_MEM_PAGE_ACCEPT = 6, TDG_VM_RD = 7,
	TDG_VM_WR = 8, TDG_VP_RD = 9, TDG_VP_WR = 10, TDG_SYS_RD = 11,
};
enum {
	TDVMCALL_CPUID = 10, TDVMCALL_HLT = 12, TDVMCALL_IO = 30, TDVMCALL_RDMSR = 31,
	TDVMCALL_WRMSR = 32, TDVMCALL_MMIO = 48, TDVMCALL_MAP_GPA = 0x10001,
	TDVMCALL_REPORT_FATAL = 0x10003,
};
/* The registers a TDVMCALL hands to the VMM (GHCI: RBX, RSI, RDI, R8..R15, RDX). */
#define TDVMCALL_EXPOSE	0xFFCCULL

/* TDG.VP.VMCALL: @fn with R12..R15 in; R10 status out, R11 value out. */
u64 tdvmcall(u64 fn, u64 r12, u64 r13, u64 r14, u64 r15, u64 *r11);

/* Port output through TDVMCALL<Instruction.IO>. */
void tdvmcall_outb(u16 port, u8 value);
u32 tdvmcall_in(u16 port, unsigned int size);
void guest_puts(const char *s);		/* COM1 at 0x3F8 */
void guest_put_hex(u64 v);
void guest_put_dec(u64 v);
/* A 64-bit result for the VMM: the low half on port 0x80, then the high half on 0x84. */
void guest_report(u64 v);

/* RDMSR and WRMSR as the guest executes them (a TD's may #VE or #GP). */
static inline u64 guest_rdmsr(u32 msr)
{
	u32 lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | (u64)hi << 32;
}

static inline void guest_wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

/* isa-debug-exit at 0xF4: the VMM ends with status (code << 1) | 1. */
void __attribute__((noreturn)) guest_exit(u8 code);

struct guest_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8, rdi, rsi, rbp, rbx, rdx, rcx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss;
};
typedef void (*guest_exception_fn)(struct guest_frame *f);
/* Installs the IDT (all 256 vectors) and the C handler they call. */
void guest_set_exception_handler(guest_exception_fn fn);

/* The C library functions gcc may emit calls to. */
void *memcpy(void *dst, const void *src, unsigned long n);
void *memset(void *dst, int c, unsigned long n);
int memcmp(const void *a, const void *b, unsigned long n);

/*
 * The program's entry point, on every vCPU.  From boot.S (a flat image
 * started at the reset vector) @initial_rcx is KVM_TDX_INIT_VCPU's value;
 * from softtdx's TDVF (a payload) it is the TD HOB's GPA.
 */
void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw);

#endif /* SOFTTDX_GUEST_H */
