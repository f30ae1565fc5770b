/* SPDX-License-Identifier: MIT */
/*
 * The software TDX module: the one door to module/.
 *
 * The host reaches the module only through seamcall(), exactly as a host
 * kernel does with the SEAMCALL instruction: leaf and version in RAX,
 * operands in RCX, RDX, R8..R15, completion status back in RAX and outputs in
 * the other registers.  A SEAMCALL never sleeps and never waits for another
 * caller: contention is reported as TDX_OPERAND_BUSY with the operand's ID.
 */
#ifndef SOFTTDX_TDX_MODULE_H
#define SOFTTDX_TDX_MODULE_H

#include <stdbool.h>
#include <stddef.h>

#include <softtdx/tdx_arch.h>

struct platform;
struct tdx_module;

/* The general-purpose registers a SEAMCALL reads and writes. */
struct seamcall_regs {
	u64 rax, rbx, rcx, rdx, rsi, rdi;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
};

/*
 * What the SEAM loader does: place a fresh module (sys_state
 * SYSINIT_PENDING) on @p.  The host then brings it up with TDH.SYS.*.
 */
struct tdx_module *tdx_module_load(struct platform *p);
void tdx_module_unload(struct tdx_module *m);

/* Executes one SEAMCALL on logical processor @lp; returns regs->rax. */
u64 seamcall(struct tdx_module *m, u32 lp, struct seamcall_regs *regs);

/*
 * Debug aid: after every SEAMCALL, check the module's global invariants
 * (PAMT owners agree with S-EPT and TD control structures, no page is in two
 * TDs, MRTD frozen after finalize).  A violation aborts with a report.
 */
void tdx_module_set_invariant_checks(struct tdx_module *m, bool on);
/* Runs the checks once; returns 0 or -1 with a description in @why. */
int tdx_module_check_invariants(struct tdx_module *m, char *why, size_t len);

/* Counters for tools and benchmarks. */
struct tdx_module_stats {
	u64 seamcalls;
	u64 pamt_bytes;		/* PAMT the host handed over at TDH.SYS.CONFIG */
	u64 tdmr_bytes;		/* memory those TDMRs cover */
};
void tdx_module_get_stats(struct tdx_module *m, struct tdx_module_stats *st);

#endif /* SOFTTDX_TDX_MODULE_H */
