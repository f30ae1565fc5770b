/* SPDX-License-Identifier: MIT */
/*
 * x86 event delivery and the system-call instruction as the architecture
 * defines them (Intel SDM vol. 3, 6.12-6.14 and vol. 2 SYSCALL), apart
 * from any CPU engine: pure functions over a snapshot of the state they
 * read and two memory callbacks for the implicit supervisor accesses they
 * make.  The engine binding loads what they return.
 */
#ifndef SOFTTDX_X86_EVENT_H
#define SOFTTDX_X86_EVENT_H

#include <stdbool.h>

#include "cpu.h"

#define X86_VEC_DE	0
#define X86_VEC_DB	1
#define X86_VEC_NMI	2
#define X86_VEC_UD	6
#define X86_VEC_DF	8
#define X86_VEC_TS	10
#define X86_VEC_NP	11
#define X86_VEC_SS	12
#define X86_VEC_GP	13
#define X86_VEC_PF	14

/* Where a fault during delivery came from: a memory access gives CR2 too. */
struct x86_fault {
	u8 vector;
	u32 error;
	bool has_cr2;
	u64 cr2;
};

/*
 * Implicit supervisor accesses (descriptor tables, the TSS, the new stack):
 * 0, or -1 with *f the fault (a #PF with its CR2).
 */
struct x86_mem_ops {
	int (*read)(void *ctx, u64 la, void *buf, unsigned int len, struct x86_fault *f);
	int (*write)(void *ctx, u64 la, const void *buf, unsigned int len, struct x86_fault *f);
};

enum x86_event_kind {
	X86_EVENT_EXTERNAL,	/* an interrupt, NMI or exception: EXT is set in error codes */
	X86_EVENT_SOFTWARE,	/* INT n, INT3, INTO: gate DPL checked against CPL */
};

struct x86_event {
	u8 vector;
	enum x86_event_kind kind;
	bool has_error;
	u32 error;
};

/* The state delivery reads: everything but the GPRs other than RSP. */
struct x86_state {
	u64 rip, rsp, rflags;
	u64 cr0, efer;
	unsigned int cpl;
	struct cpu_segment cs, ss, tr;
	u64 idt_base, gdt_base;
	u16 idt_limit, gdt_limit;
};

/* What delivery (or SYSCALL) leaves: the new state to load. */
struct x86_transfer {
	u64 rip, rsp, rflags;
	struct cpu_segment cs, ss;
	bool ss_changed;
};

/* Exceptions that push an error code. */
bool x86_vector_has_error(u8 vector);

/*
 * The exception a fault while delivering @first becomes (SDM table 6-5):
 * the fault itself, or #DF; a fault while delivering #DF is a triple
 * fault, for which this returns false.
 */
bool x86_fault_during_delivery(u8 first, struct x86_fault *second);

/*
 * Delivers @ev from @s: through the IVT in real mode, through a 64-bit IDT
 * gate in IA-32e mode (IST stacks, a privilege change through the TSS's
 * RSPn with a NULL SS, interrupt/trap gates, the checks that raise #GP,
 * #NP, #TS and #SS).  0 with *t to load, or -1 with *f the fault.  32-bit
 * protected mode is not handled: -2.
 */
int x86_deliver(const struct x86_state *s, const struct x86_event *ev,
		const struct x86_mem_ops *m, void *ctx, struct x86_transfer *t, struct x86_fault *f);

/*
 * SYSCALL from @s with RIP already past it: *t (RCX and R11 in @rcx and
 * @r11), or false for the #UD it raises (EFER.SCE clear, not 64-bit code).
 */
bool x86_syscall(const struct x86_state *s, u64 star, u64 lstar, u64 fmask,
		 struct x86_transfer *t, u64 *rcx, u64 *r11);

#endif /* SOFTTDX_X86_EVENT_H */
