/* SPDX-License-Identifier: MIT */
/*
 * Instructions the engine refuses although the CPU model has them, done
 * here instead, engine-free.  QEMU 5.0's translator (inside Unicorn 2.1)
 * raises #UD for every 66-prefixed 0F38/0F3A instruction while CR4.OSFXSR
 * is clear, as if they were SSE; two of them are general-purpose:
 * SHLX (BMI2, VEX.66.0F38 F7) and ADCX (ADX, 66 0F 38 F6).  Linux's
 * decompressor runs its zstd code (SHLX) with OSFXSR clear.
 */
#ifndef SOFTTDX_X86_EMULATE_H
#define SOFTTDX_X86_EMULATE_H

#include "x86_event.h"
#include "x86_insn.h"

/* What an emulated instruction reads and changes. */
struct x86_emu_regs {
	u64 rip;		/* of the instruction (RIP-relative operands) */
	u64 gpr[16];
	u64 rflags;
	u64 fs_base, gs_base;
};

/*
 * Emulates SHLX or ADCX at @code (@avail bytes) in @mode, reading a memory
 * operand through @m->read (an explicit access at the current privilege).
 * Returns the instruction's length with @r updated, 0 if it is neither,
 * or -1 with *f the fault of the memory read.
 */
int x86_emulate_no_osfxsr(const u8 *code, unsigned int avail, enum x86_mode mode,
			  struct x86_emu_regs *r, const struct x86_mem_ops *m, void *ctx,
			  struct x86_fault *f);

#endif /* SOFTTDX_X86_EMULATE_H */
