/* SPDX-License-Identifier: MIT */
/*
 * The platform's CPU cores in VMX non-root operation: each struct cpu_core
 * holds one guest vCPU's architectural state and runs its code.  Included by
 * platform.h, which stays the door to platform/.
 *
 * The root-mode software that owns a core (the TDX module for a TD vCPU)
 * supplies struct cpu_ops: the second stage of address translation and the
 * instructions a guest cannot execute by itself (TDCALL, CPUID, HLT, port
 * I/O).  Those callbacks run on the core's own thread, in the middle of an
 * instruction; from there cpu_core_exit() hands control back to whoever
 * called cpu_core_run() and returns when the core is entered again, so a
 * callback can finish its instruction with the answer the host gave.
 *
 * Cores of one group (a TD or a VM) never run at the same time: guest LOCK
 * operations stay atomic, and a busy vCPU yields the group every quantum.
 */
#ifndef SOFTTDX_PLATFORM_CPU_H
#define SOFTTDX_PLATFORM_CPU_H

#include <stdbool.h>

#include <softtdx/tdx_arch.h>

struct platform;
struct cpu_core;
struct cpu_group;

enum cpu_gpr {
	CPU_RAX, CPU_RCX, CPU_RDX, CPU_RBX, CPU_RSP, CPU_RBP, CPU_RSI, CPU_RDI,
	CPU_R8, CPU_R9, CPU_R10, CPU_R11, CPU_R12, CPU_R13, CPU_R14, CPU_R15,
	CPU_NR_GPRS,
};

/* What the guest sees of a core; callbacks change it, the core reloads it. */
struct cpu_regs {
	u64 gpr[CPU_NR_GPRS];
	u64 rip, rflags;
	u64 cr0, cr2, cr3, cr4, efer;
	u16 cs, ss;
	u64 idt_base;
	u16 idt_limit;
};

enum cpu_access {
	CPU_ACCESS_READ = 1,
	CPU_ACCESS_WRITE = 2,
	CPU_ACCESS_FETCH = 4,
	/*
	 * With FETCH: the engine looks up code for itself (it drops cached
	 * code at its stopping points after each run), not for the guest.
	 * The owner answers OK for mapped memory and CPU_XLATE_NONE for
	 * anything else, with no exit, no event and no other side effect.
	 */
	CPU_ACCESS_PROBE = 8,
};

/* How a guest-physical access resolves. */
enum cpu_xlate {
	CPU_XLATE_OK,		/* *hpa is the page (and *writable says if stores may hit it) */
	CPU_XLATE_EXIT,		/* the owner called cpu_core_exit(); retry the instruction */
	CPU_XLATE_EVENT,	/* the owner injected an event with cpu_core_inject() */
	CPU_XLATE_MMIO,		/* no memory: each access goes to cpu_ops.mmio (not for fetches) */
	CPU_XLATE_NONE,		/* a CPU_ACCESS_PROBE found nothing mapped; nothing else happened */
};

/*
 * A segment register with its descriptor cache.  @flags holds bits 8..23
 * of the descriptor's high dword (type, S, DPL, P, AVL, L, D/B, G), as the
 * CPU caches them; @limit is in bytes (granularity already applied).
 */
struct cpu_segment {
	u64 base;
	u32 limit;
	u32 flags;
	u16 selector;
};

#define CPU_SEG_FLAGS_S		(1u << 12)
#define CPU_SEG_FLAGS_P		(1u << 15)
#define CPU_SEG_FLAGS_L		(1u << 21)
#define CPU_SEG_FLAGS_DB	(1u << 22)
#define CPU_SEG_FLAGS_G		(1u << 23)

enum cpu_seg { CPU_ES, CPU_CS, CPU_SS, CPU_DS, CPU_FS, CPU_GS, CPU_LDTR, CPU_TR, CPU_NR_SEGS };

/* The state struct cpu_regs leaves out: segments and the GDT. */
struct cpu_segs {
	struct cpu_segment seg[CPU_NR_SEGS];
	u64 gdt_base;
	u16 gdt_limit;
};

/* Instructions a core never executes itself: it stops precisely before them. */
enum cpu_intercept {
	CPU_INTERCEPT_CPUID,
	CPU_INTERCEPT_HLT,
	CPU_INTERCEPT_RDMSR,
	CPU_INTERCEPT_WRMSR,
	CPU_INTERCEPT_INVD,
	CPU_INTERCEPT_WBINVD,
	CPU_INTERCEPT_MONITOR,
	CPU_INTERCEPT_MWAIT,
	CPU_INTERCEPT_RDTSC,
	CPU_INTERCEPT_RDTSCP,	/* regs->rcx already holds IA32_TSC_AUX */
};

/* A port-I/O instruction the core stopped before (cpu_ops.io_insn). */
struct cpu_io_insn {
	u16 port;		/* from the imm8 or DX */
	u8 size;		/* 1, 2 or 4 bytes */
	u8 len;			/* instruction length, prefixes included */
	bool in, string, rep, imm;	/* IN/INS; INS/OUTS; REP; port in an imm8 */
	u8 addr_size;		/* string forms: 2, 4 or 8 */
	u8 seg;			/* string forms: the memory operand's enum cpu_seg */
};

struct cpu_ops {
	/*
	 * Second stage: the host page (4 KiB aligned) behind guest-physical
	 * @gpa, the byte accessed, as an EPT violation or #VE reports it.
	 */
	enum cpu_xlate (*translate)(void *owner, struct cpu_core *c, u64 gpa, u64 gla,
				    unsigned int access, u64 *hpa, bool *writable);
	/* TDCALL (66 0F 01 CC) at regs->rip; the callback moves rip on. */
	void (*tdcall)(void *owner, struct cpu_core *c, struct cpu_regs *regs);
	/*
	 * An intercepted instruction at regs->rip, not yet executed: the
	 * callback emulates it (moving rip on) or injects an event.
	 */
	void (*intercept)(void *owner, struct cpu_core *c, struct cpu_regs *regs,
			  enum cpu_intercept what);
	/* MSR reads or writes the guest makes without an intercept (EFER always). */
	bool (*msr_passthrough)(u32 msr, bool write);
	/*
	 * IN/OUT of @size bytes; returns what IN reads.  The engine reports
	 * port I/O only from inside the instruction: the GPRs are those before
	 * it, RIP is stale (RFLAGS may be too).  Without it, port I/O that
	 * runs (no io_insn, or a block io_insn's scan missed) is a
	 * CPU_RUN_FAILED error.
	 */
	u32 (*io)(void *owner, struct cpu_core *c, u16 port, unsigned int size, bool in, u32 val);
	/*
	 * Port I/O stopped precisely before the instruction, as a VMX I/O exit
	 * (for owners without io: a TD's #VE).  The core finds I/O
	 * instructions in each block before it first runs and makes them
	 * stopping points; the owner must move RIP on or inject an event (it
	 * may also park in cpu_core_exit() and give a new state).  An owner
	 * with io too keeps INS/OUTS there: io_insn has no memory access.
	 */
	void (*io_insn)(void *owner, struct cpu_core *c, struct cpu_regs *regs,
			const struct cpu_io_insn *io);
	/*
	 * A load (@write false: return the value) or store of @size bytes at
	 * @gpa, a page translate() answered CPU_XLATE_MMIO for.  It runs in the
	 * middle of the instruction: the GPRs are those before it, RIP is
	 * stale (RFLAGS may be too).  Unicorn splits an 8-byte access into
	 * two 4-byte ones.
	 */
	u64 (*mmio)(void *owner, struct cpu_core *c, u64 gpa, unsigned int size, bool write,
		    u64 val);
	/*
	 * RFLAGS.IF became 1 while the owner wanted to know (an interrupt
	 * window, cpu_core_request_irq_window()): called at an instruction
	 * boundary before the guest goes on, so the owner can inject.
	 */
	void (*irq_window)(void *owner, struct cpu_core *c);
	/* A triple fault: the core is in shutdown and will not run again. */
	void (*shutdown)(void *owner, struct cpu_core *c);
};

/* Why cpu_core_run() returned. */
enum cpu_run_result {
	CPU_RUN_EXIT,		/* a callback called cpu_core_exit() */
	CPU_RUN_KICKED,		/* cpu_core_kick() or the host's timer tick */
	CPU_RUN_SHUTDOWN,	/* triple fault */
	CPU_RUN_FAILED,		/* the engine could not go on (see cpu_core_error()) */
};

struct cpu_group *cpu_group_create(void);
void cpu_group_destroy(struct cpu_group *g);

/* A core in its power-on state, with all of @p's memory on its bus. */
struct cpu_core *cpu_core_create(struct platform *p, struct cpu_group *g,
				 const struct cpu_ops *ops, void *owner);
void cpu_core_destroy(struct cpu_core *c);

/* Runs the guest until it exits; call from one thread at a time. */
enum cpu_run_result cpu_core_run(struct cpu_core *c);
/* From a callback: leaves cpu_core_run(); returns on the next entry. */
void cpu_core_exit(struct cpu_core *c);
/*
 * Makes a running core leave with CPU_RUN_KICKED at its next block; the
 * host timer does the same every 10 ms of guest execution.
 */
void cpu_core_kick(struct cpu_core *c);
/* After CPU_RUN_FAILED: what went wrong. */
const char *cpu_core_error(const struct cpu_core *c);

/* The core's registers; from callbacks or while it is not running. */
void cpu_core_get_regs(struct cpu_core *c, struct cpu_regs *regs);
void cpu_core_set_regs(struct cpu_core *c, const struct cpu_regs *regs);
/* Leaves the 64-bit reset state for 32-bit protected mode, paging off. */
void cpu_core_set_protected_mode(struct cpu_core *c, u64 efer);
/*
 * The whole architectural state, any mode (real, protected, long): control
 * registers and EFER first, then the segment caches as given (a real-mode
 * CS may have any base, as at RESET).  While the core is not running, or
 * parked in a callback at an instruction boundary (intercepts, translate);
 * -EBUSY when it is parked inside an instruction (port I/O, MMIO).
 */
int cpu_core_set_state(struct cpu_core *c, const struct cpu_regs *regs,
		       const struct cpu_segs *segs);
/* Parked inside an instruction (port I/O, MMIO): no new registers now. */
bool cpu_core_mid_instruction(const struct cpu_core *c);
/* The segment registers and GDT; only while the core is not running or parked. */
void cpu_core_get_segs(struct cpu_core *c, struct cpu_segs *segs);
/*
 * After CPU_RUN_SHUTDOWN: the vector the core could not deliver because it
 * was in 32-bit protected mode (the engine delivers through the real-mode
 * IVT and 64-bit IDT gates only), or -1 for a true triple fault.
 */
int cpu_core_undeliverable_vector(const struct cpu_core *c);
/*
 * Delivers @vector through the guest IDT before the next instruction.  One
 * event at a time: a second injected before the first was delivered
 * replaces it, so owners ask cpu_core_event_pending() first.
 */
void cpu_core_inject(struct cpu_core *c, u8 vector, bool has_error, u32 error);
/*
 * An injected event not delivered yet.  It survives an exit: a core kicked
 * before it ran an instruction delivers it at the next run, as VMX's
 * IDT-vectoring information re-injects an event an exit interrupted.
 */
bool cpu_core_event_pending(const struct cpu_core *c);
/*
 * A pending NMI is delivered (vector 2) before the next instruction once
 * no other event is being delivered and NMIs are not blocked; delivery
 * blocks them until the guest's IRET and clears the pending state.  One
 * held back by blocking goes at the first block boundary after that IRET.
 */
void cpu_core_set_nmi_pending(struct cpu_core *c, bool pending);
/* Calls ops->irq_window once RFLAGS.IF is 1 (checked at each block boundary); off again after. */
void cpu_core_request_irq_window(struct cpu_core *c, bool on);
bool cpu_core_nmi_pending(const struct cpu_core *c);
/* Forgets cached translations (the guest's and the second stage's). */
void cpu_core_flush_tlb(struct cpu_core *c);
/*
 * The owner changed host memory at [@hpa, @hpa + @len) behind the engine
 * (a page zeroed at accept): code translated from it is dropped.  From the
 * core's callbacks or while it is not running.
 */
void cpu_core_host_wrote(struct cpu_core *c, u64 hpa, u64 len);
/* Guest-virtual copy through the core's page walk; -1 if it would fault. */
int cpu_core_read_virt(struct cpu_core *c, u64 gva, void *dst, unsigned int len);

/*
 * Posted-interrupt processing: the 256-bit PIR of the descriptor at
 * @pid_hpa (host memory) taken and cleared atomically, its ON bit too.
 * True when any vector was pending.
 */
bool cpu_take_posted_interrupts(struct platform *p, u64 pid_hpa, u64 pir[4]);

/* The CPU's walk of a host-built EPT (a TD's shared EPT). */
enum cpu_ept_result {
	CPU_EPT_OK,		/* *hpa is the 4 KiB page */
	CPU_EPT_VIOLATION,	/* not present with suppress-#VE, or no permission */
	CPU_EPT_VE,		/* not present, suppress-#VE clear: the guest's #VE */
	CPU_EPT_MISCONFIG,	/* a bad EPTP or a table outside memory */
};
enum cpu_ept_result cpu_ept_translate(struct platform *p, u64 eptp, u64 gpa,
				      unsigned int access, u64 *hpa, bool *writable);

#endif /* SOFTTDX_PLATFORM_CPU_H */
