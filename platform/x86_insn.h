/* SPDX-License-Identifier: MIT */
/*
 * Just enough x86 decoding to know where an instruction ends and, for the
 * port-I/O instructions, what a VMX I/O exit would report about them: the
 * lengths of prefixed, one-, two- and three-byte, VEX, EVEX and XOP
 * instructions, without their meaning.  Pure functions over a byte buffer.
 */
#ifndef SOFTTDX_X86_INSN_H
#define SOFTTDX_X86_INSN_H

#include <stdbool.h>

#include <softtdx/tdx_arch.h>

/* Default operand/address size; 64 = long mode 64-bit code. */
enum x86_mode { X86_MODE_16, X86_MODE_32, X86_MODE_64 };

/* IN, OUT, INS, OUTS as VMX describes them in an I/O exit. */
struct x86_io_insn {
	u8 len;		/* the whole instruction, prefixes included */
	u8 size;	/* access size: 1, 2 or 4 */
	bool in;	/* IN/INS (else OUT/OUTS) */
	bool string;	/* INS/OUTS */
	bool rep;	/* REP (F3 or F2) prefix on a string form */
	bool imm;	/* port in an imm8 (E4-E7); otherwise in DX */
	u8 port;	/* the imm8 port when imm */
	u8 addr_size;	/* 2, 4 or 8: the string forms' address size (67 prefix applied) */
	u8 seg;		/* OUTS: source segment (override prefix or DS), INS: ES; as 0=ES 1=CS 2=SS 3=DS 4=FS 5=GS */
};
/*
 * seg keeps an ES/CS/SS/DS override as written even in 64-bit mode, where
 * those four all have base 0 (objdump shows them as DS there).
 */

/*
 * Length of the instruction at @buf (@avail bytes readable), or 0 when it is
 * longer than @avail, longer than 15 bytes, or not decodable.
 */
unsigned int x86_insn_len(const u8 *buf, unsigned int avail, enum x86_mode mode);

/* Where an instruction's explicit memory operand is: the ModRM form, or a string one. */
struct x86_mem_operand {
	u8 len;			/* the whole instruction */
	u8 addr_size;		/* 2, 4 or 8 */
	u8 seg;			/* the override, as in x86_io_insn, or 0xFF: none */
	int8_t base, index;		/* GPR numbers (16-bit forms: BX 3, BP 5, SI 6, DI 7), -1: none */
	u8 scale;		/* 1, 2, 4 or 8 */
	bool rip_relative;	/* disp from the next instruction (64-bit mode) */
	bool has_modrm;		/* base + index * scale + disp */
	bool string;		/* MOVS, STOS, LODS: reads at rSI, writes at rDI */
	int64_t disp;
};

/* True if the instruction at @buf has one of those; fills @m. */
bool x86_decode_mem(const u8 *buf, unsigned int avail, enum x86_mode mode,
		    struct x86_mem_operand *m);

/*
 * True if the instruction at @buf is IN/OUT/INS/OUTS (opcodes E4-E7, EC-EF,
 * 6C-6F after any prefixes); fills @io.  @io is left alone otherwise.
 */
bool x86_decode_io(const u8 *buf, unsigned int avail, enum x86_mode mode, struct x86_io_insn *io);

#endif
