// SPDX-License-Identifier: MIT
/*
 * SHLX and ADCX for the engine, which refuses them while CR4.OSFXSR is
 * clear (x86_emulate.h).  The decoding covers what these two can be: legacy
 * prefixes, REX or a 3-byte VEX, ModRM with SIB, displacement and
 * RIP-relative forms, 64- and 32-bit addressing.
 */
#include "x86_emulate.h"

#define RFLAGS_CF	1ULL

struct operand {
	bool mem;
	bool rip_rel;		/* ea is a displacement from the instruction's end */
	unsigned int reg;	/* ModRM.reg with its extension */
	unsigned int rm;	/* the register, when !mem */
	u64 ea;			/* the linear address, when mem */
};

static u32 rd32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

/* ModRM at code[*i] with REX/VEX's R, X, B; *i moves past it and its displacement. */
static bool decode_modrm(const u8 *code, unsigned int avail, unsigned int *i, bool r64,
			 unsigned int rex_r, unsigned int rex_x, unsigned int rex_b, bool addr32,
			 u64 seg_base, const struct x86_emu_regs *r, struct operand *op)
{
	unsigned int mod, rm, base, index = 4, scale = 0;
	bool has_base = true, rip_rel = false;
	u64 ea = 0, disp = 0;
	u8 m;

	if (*i >= avail)
		return false;
	m = code[(*i)++];
	mod = m >> 6;
	rm = m & 7;
	op->reg = ((m >> 3) & 7) | rex_r << 3;
	if (mod == 3) {
		op->mem = false;
		op->rm = rm | rex_b << 3;
		return true;
	}
	base = rm | rex_b << 3;
	if (rm == 4) {
		u8 sib;

		if (*i >= avail)
			return false;
		sib = code[(*i)++];
		scale = sib >> 6;
		index = ((sib >> 3) & 7) | rex_x << 3;
		base = (sib & 7) | rex_b << 3;
		if ((sib & 7) == 5 && mod == 0)
			has_base = false;
	} else if (rm == 5 && mod == 0) {
		has_base = false;
		rip_rel = r64;
	}
	if (mod == 1) {
		if (*i >= avail)
			return false;
		disp = (u64)(int64_t)(int8_t)code[(*i)++];
	} else if (mod == 2 || !has_base) {
		if (*i + 4 > avail)
			return false;
		disp = (u64)(int64_t)(int32_t)rd32(code + *i);
		*i += 4;
	}
	if (has_base)
		ea = r->gpr[base];
	if (index != 4)
		ea += r->gpr[index] << scale;
	ea += disp;
	op->mem = true;
	op->rip_rel = rip_rel;
	op->ea = rip_rel ? disp : (addr32 ? (u32)ea : ea) + seg_base;
	return true;
}

static int read_operand(const struct operand *op, const struct x86_emu_regs *r, bool w64,
			u64 end_rip, const struct x86_mem_ops *m, void *ctx, u64 *val,
			struct x86_fault *f)
{
	if (!op->mem) {
		*val = w64 ? r->gpr[op->rm] : (u32)r->gpr[op->rm];
		return 0;
	}
	*val = 0;
	/* These have no immediate: the end of the instruction is where RIP-relative counts from. */
	return m->read(ctx, op->rip_rel ? end_rip + op->ea : op->ea, val, w64 ? 8 : 4, f);
}

int x86_emulate_no_osfxsr(const u8 *code, unsigned int avail, enum x86_mode mode,
			  struct x86_emu_regs *r, const struct x86_mem_ops *m, void *ctx,
			  struct x86_fault *f)
{
	bool r64 = mode == X86_MODE_64, addr32 = !r64, has66 = false, other = false, w64;
	unsigned int i = 0, rex = 0, vvvv = 0;
	u64 seg_base = 0, src, dst, sum, cf;
	struct operand op;
	bool shlx;

	if (mode == X86_MODE_16)
		return 0;
	for (; i < avail; i++) {
		u8 b = code[i];

		if (b == 0x64 || b == 0x65)
			seg_base = b == 0x64 ? r->fs_base : r->gs_base;
		else if (b == 0x67)
			addr32 = !addr32;
		else if (b == 0x66)
			has66 = true;
		else if (b == 0xF2 || b == 0xF3 || b == 0xF0)
			other = true;
		else if (b != 0x26 && b != 0x2E && b != 0x36 && b != 0x3E)
			break;
	}
	/* 16-bit addressing never reaches these in the code Linux runs; refuse it. */
	if (!r64 && !addr32)
		return 0;
	if (r64 && i < avail && (code[i] & 0xF0) == 0x40)
		rex = code[i++];
	if (i + 3 <= avail && code[i] == 0xC4 && !has66 && !other && !rex &&
	    (r64 || (code[i + 1] & 0xC0) == 0xC0)) {
		u8 b1 = code[i + 1], b2 = code[i + 2];

		/* VEX.66.0F38.W0/W1.LZ F7 /r: SHLX Gy, Ey, By */
		if ((b1 & 0x1F) != 2 || (b2 & 7) != 1 || i + 3 >= avail || code[i + 3] != 0xF7)
			return 0;
		shlx = true;
		w64 = r64 && (b2 & 0x80);
		vvvv = (~b2 >> 3) & (r64 ? 15 : 7);
		i += 4;
		if (!decode_modrm(code, avail, &i, r64, r64 && !(b1 & 0x80), r64 && !(b1 & 0x40),
				  r64 && !(b1 & 0x20), addr32, seg_base, r, &op))
			return 0;
	} else if (has66 && !other && i + 3 <= avail && code[i] == 0x0F && code[i + 1] == 0x38 &&
		   code[i + 2] == 0xF6) {
		/* 66 [REX] 0F 38 F6 /r: ADCX Gy, Ey */
		shlx = false;
		w64 = rex & 8;
		i += 3;
		if (!decode_modrm(code, avail, &i, r64, (rex >> 2) & 1, (rex >> 1) & 1, rex & 1,
				  addr32, seg_base, r, &op))
			return 0;
	} else {
		return 0;
	}
	if (i > 15)
		return 0;
	if (read_operand(&op, r, w64, r->rip + i, m, ctx, &src, f))
		return -1;
	if (shlx) {
		dst = src << (r->gpr[vvvv] & (w64 ? 63 : 31));
	} else {
		cf = r->rflags & RFLAGS_CF;
		dst = w64 ? r->gpr[op.reg] : (u32)r->gpr[op.reg];
		sum = dst + src + cf;
		if (w64)
			cf = sum < dst || (cf && sum == dst);
		else
			cf = sum >> 32;
		dst = sum;
		r->rflags = (r->rflags & ~RFLAGS_CF) | cf;
	}
	r->gpr[op.reg] = w64 ? dst : (u32)dst;
	return (int)i;
}
