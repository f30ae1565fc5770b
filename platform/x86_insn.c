/* SPDX-License-Identifier: MIT */
/*
 * x86 instruction lengths (Intel SDM Vol. 2, chapter 2 and appendix A):
 * prefixes, then an opcode from the one-byte map, the 0F map, 0F 38 or 0F 3A
 * (directly or named by a VEX, EVEX or XOP prefix), then a ModRM with its
 * SIB and displacement where the opcode has one, then an immediate.  The
 * opcode maps are kept as bitmaps, one 16-bit row per high nibble, bit n for
 * low nibble n.  Opcodes that are undefined get a best-effort length; the
 * common code of kernels and firmware is what has to be exact.
 */
#include "x86_insn.h"

/* The architectural limit: a longer instruction faults with #GP. */
#define X86_MAX_LEN	15
/* An immediate no instruction has room for: the opcode is not decodable. */
#define IMM_UNDECODABLE	X86_MAX_LEN

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_NONE = 0xFF };

/* One-byte map: opcodes followed by a ModRM. */
static const u16 modrm_1[16] = {
	0x0F0F, 0x0F0F, 0x0F0F, 0x0F0F, 0x0000, 0x0000, 0x0A0C, 0x0000,	/* 0x-7x */
	0xFFFF, 0x0000, 0x0000, 0x0000, 0x00F3, 0xFF0F, 0x0000, 0xC0C0,	/* 8x-Fx */
};
/* One-byte map: an imm8 or rel8 (ALU AL,ib; PUSH ib; Jcc; MOV r8,ib; shifts; INT; IN/OUT ib). */
static const u16 imm8_1[16] = {
	0x1010, 0x1010, 0x1010, 0x1010, 0x0000, 0x0000, 0x0C00, 0xFFFF,
	0x000D, 0x0000, 0x0100, 0x00FF, 0x2043, 0x0030, 0x08FF, 0x0000,
};
/* One-byte map: an immediate of the operand size, 2 or 4 bytes (never 8, but for B8-BF). */
static const u16 immz_1[16] = {
	0x2020, 0x2020, 0x2020, 0x2020, 0x0000, 0x0000, 0x0300, 0x0000,
	0x0002, 0x0000, 0x0200, 0xFF00, 0x0080, 0x0000, 0x0300, 0x0000,
};
/* 0F map: opcodes followed by a ModRM (0F 38 and 0F 3A are handled apart). */
static const u16 modrm_0f[16] = {
	0xA00F, 0xFFFF, 0xFFFF, 0x0000, 0xFFFF, 0xFFFF, 0xFFFF, 0xFF7F,	/* 0x-7x */
	0x0000, 0xFFFF, 0xF838, 0xFFFF, 0x00FF, 0xFFFF, 0xFFFF, 0xFFFF,	/* 8x-Fx */
};
/* 0F map: an imm8 after the ModRM (shifts by ib, SHLD/SHRD ib, BT ib, CMPPS, PINSRW...; 3DNow's suffix). */
static const u16 imm8_0f[16] = {
	0x8000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x0000, 0x000F,
	0x0000, 0x0000, 0x1010, 0x0400, 0x0074, 0x0000, 0x0000, 0x0000,
};

static bool bit(const u16 *map, u8 op)
{
	return map[op >> 4] >> (op & 15) & 1;
}

/* Reads stop at @lim, the bytes readable but at most 15; past it the decode fails. */
struct cursor {
	const u8 *buf;
	unsigned int pos, lim;
	bool bad;
	u8 rex;				/* REX, or VEX/EVEX's X and B as REX bits */
	struct x86_mem_operand *mem;	/* filled by a ModRM that names memory, if set */
};

static struct cursor cursor_at(const u8 *buf, unsigned int avail)
{
	return (struct cursor){ .buf = buf, .lim = avail < X86_MAX_LEN ? avail : X86_MAX_LEN };
}

static u8 fetch(struct cursor *c)
{
	if (c->pos >= c->lim) {
		c->bad = true;
		return 0;
	}
	return c->buf[c->pos++];
}

/* The next byte, not consumed; 0 past the end (the fetch that follows fails anyway). */
static u8 peek(const struct cursor *c)
{
	return c->pos < c->lim ? c->buf[c->pos] : 0;
}

static void skip(struct cursor *c, unsigned int n)
{
	if (n > c->lim - c->pos)
		c->bad = true;
	else
		c->pos += n;
}

/* What the prefixes decide for the rest of the instruction. */
struct prefixes {
	u8 opsize;	/* 2, 4 or 8 */
	u8 addr;	/* 2, 4 or 8 */
	u8 seg;		/* the last segment override, or SEG_NONE */
	bool rep;	/* F2 or F3 */
};

static u8 segment_prefix(u8 b)
{
	switch (b) {
	case 0x26: return SEG_ES;
	case 0x2E: return SEG_CS;
	case 0x36: return SEG_SS;
	case 0x3E: return SEG_DS;
	case 0x64: return SEG_FS;
	case 0x65: return SEG_GS;
	default: return SEG_NONE;
	}
}

/*
 * Consumes the legacy prefixes and, in 64-bit mode, REX (40-4F; elsewhere
 * they are INC/DEC).  A REX counts only right before the opcode: one that a
 * legacy prefix follows is ignored, so a legacy prefix forgets it.
 */
static void read_prefixes(struct cursor *c, enum x86_mode mode, struct prefixes *px)
{
	bool p66 = false, p67 = false;
	u8 rex = 0;

	px->seg = SEG_NONE;
	px->rep = false;
	for (;;) {
		u8 b = peek(c);

		if (mode == X86_MODE_64 && (b & 0xF0) == 0x40) {
			rex = b;
		} else if (b == 0x66 || b == 0x67 || b == 0xF0 || b == 0xF2 || b == 0xF3 ||
			   segment_prefix(b) != SEG_NONE) {
			rex = 0;
			p66 |= b == 0x66;
			p67 |= b == 0x67;
			px->rep |= b == 0xF2 || b == 0xF3;
			if (segment_prefix(b) != SEG_NONE)
				px->seg = segment_prefix(b);
		} else {
			break;
		}
		fetch(c);
	}
	c->rex = rex;
	/* REX.W wins over 66; 16-bit code has 16-bit defaults that 66 and 67 turn to 32. */
	if (rex & 8)
		px->opsize = 8;
	else
		px->opsize = (mode == X86_MODE_16) != p66 ? 2 : 4;
	if (mode == X86_MODE_64)
		px->addr = p67 ? 4 : 8;
	else
		px->addr = (mode == X86_MODE_16) != p67 ? 2 : 4;
}

/* The 16-bit forms' base and index by rm: BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP, BX. */
static const int8_t base16[8] = { 3, 3, 5, 5, 6, 7, 5, 3 }, index16[8] = { 6, 7, 6, 7, -1, -1, -1, -1 };

/* A little-endian displacement of @n bytes at @p, sign-extended. */
static int64_t disp_at(const u8 *p, unsigned int n)
{
	u64 v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (u64)p[i] << 8 * i;
	return n == 1 ? (int8_t)v : n == 2 ? (int16_t)v : (int32_t)v;
}

/* Consumes a ModRM with its SIB and displacement; returns the ModRM. */
static u8 modrm(struct cursor *c, u8 addr)
{
	u8 m = fetch(c), mod = m >> 6, rm = m & 7, sib = 0;
	unsigned int disp;
	int8_t base, index = -1;

	if (mod == 3)
		return m;
	if (addr == 2) {	/* [BX+SI]...: disp16 alone is rm=110 with mod=00 */
		disp = mod == 1 ? 1 : (mod == 2 || rm == 6) ? 2 : 0;
		base = mod == 0 && rm == 6 ? -1 : base16[rm];
		index = index16[rm];
	} else {		/* disp32 alone (RIP-relative in 64-bit) is rm=101 with mod=00 */
		disp = mod == 1 ? 1 : mod == 2 ? 4 : 0;
		base = (int8_t)(rm | (c->rex & 1) << 3);
		if (rm == 4) {
			sib = fetch(c);
			base = (int8_t)((sib & 7) | (c->rex & 1) << 3);
			index = (int8_t)((sib >> 3 & 7) | (c->rex & 2) << 2);
			if (index == 4)				/* no index */
				index = -1;
			if (mod == 0 && (sib & 7) == 5) {	/* SIB without a base */
				disp = 4;
				base = -1;
			}
		} else if (mod == 0 && rm == 5) {
			disp = 4;
			base = -2;				/* RIP-relative, or disp32 alone */
		}
	}
	if (c->mem && !c->bad && c->pos + disp <= c->lim)
		*c->mem = (struct x86_mem_operand){
			.addr_size = addr, .base = base, .index = index, .scale = (u8)(1u << (sib >> 6)),
			.disp = disp_at(c->buf + c->pos, disp), .has_modrm = true,
		};
	skip(c, disp);
	return m;
}

/* The rest of a 0F-map instruction (also VEX/EVEX map 1): ModRM, then imm8 for a few. */
static void map_0f_rest(struct cursor *c, const struct prefixes *px, u8 op)
{
	if (bit(modrm_0f, op))
		modrm(c, px->addr);
	if (bit(imm8_0f, op))
		skip(c, 1);
}

static void two_byte(struct cursor *c, enum x86_mode mode, const struct prefixes *px)
{
	u8 op = fetch(c);

	switch (op) {
	case 0x38:		/* 0F 38 xx: all take a ModRM */
		fetch(c);
		modrm(c, px->addr);
		return;
	case 0x3A:		/* 0F 3A xx: ModRM and imm8 */
		fetch(c);
		modrm(c, px->addr);
		skip(c, 1);
		return;
	case 0x20: case 0x21: case 0x22: case 0x23:
	case 0x24: case 0x26:	/* MOV CR/DR (and the 486's TR): mod is ignored, always registers */
		fetch(c);
		return;
	}
	if ((op & 0xF0) == 0x80)	/* Jcc rel16/32 by operand size; always rel32 in 64-bit mode */
		skip(c, mode == X86_MODE_64 || px->opsize != 2 ? 4 : 2);
	else
		map_0f_rest(c, px, op);
}

/*
 * VEX (C4: 3 bytes, C5: 2 bytes), EVEX (62: 4 bytes) or XOP (8F: 3 bytes):
 * the prefix names the opcode map, after the opcode come a ModRM and, by
 * map, an immediate.  EVEX's compressed disp8 is still one byte.
 */
static void vex(struct cursor *c, const struct prefixes *px, u8 esc)
{
	unsigned int map;
	u8 op;

	fetch(c);			/* C4/C5/62/8F */
	if (esc == 0xC5) {
		map = 1;
		fetch(c);
		c->rex = 0;
	} else if (esc == 0x62) {
		map = peek(c) & 7;
		c->rex = (u8)(~fetch(c) >> 5 & 3);	/* inverted X, B */
		skip(c, 2);
	} else {
		map = peek(c) & 0x1F;
		c->rex = (u8)(~fetch(c) >> 5 & 3);
		fetch(c);
	}
	op = fetch(c);
	switch (map) {
	case 1:			/* 0F */
		map_0f_rest(c, px, op);
		break;
	case 2: case 4: case 5: case 6: case 9:	/* 0F 38, EVEX's APX/FP16 maps, XOP 9 */
		modrm(c, px->addr);
		break;
	case 3: case 8:		/* 0F 3A, XOP 8: imm8 */
		modrm(c, px->addr);
		skip(c, 1);
		break;
	case 10:		/* XOP A: imm32 (BEXTR, LWPINS...) */
		modrm(c, px->addr);
		skip(c, 4);
		break;
	default:		/* maps no instruction we know uses */
		c->bad = true;
	}
}

/* The immediate of a one-byte-map opcode; @m is its ModRM if it has one. */
static unsigned int imm_1(enum x86_mode mode, const struct prefixes *px, u8 op, u8 m)
{
	unsigned int z = px->opsize == 2 ? 2 : 4, reg = m >> 3 & 7;

	if (op >= 0xA0 && op <= 0xA3)	/* MOV moffs: an address */
		return px->addr;
	if (op >= 0xB8 && op <= 0xBF)	/* MOV r,imm: the only imm64 */
		return px->opsize;
	switch (op) {
	case 0xC2: case 0xCA:		/* RET iw */
		return 2;
	case 0xC8:			/* ENTER iw, ib */
		return 3;
	case 0x9A: case 0xEA:		/* CALL/JMP ptr16:16/32; #UD in 64-bit mode */
		return mode == X86_MODE_64 ? IMM_UNDECODABLE : z + 2;
	case 0xF6:			/* group 3: only TEST (/0, /1) has an immediate */
		return reg < 2 ? 1 : 0;
	case 0xF7:
		return reg < 2 ? z : 0;
	case 0xE8: case 0xE9:		/* CALL/JMP rel: Intel ignores 66 in 64-bit mode */
		return mode == X86_MODE_64 ? 4 : z;
	}
	if (bit(imm8_1, op))
		return 1;
	return bit(immz_1, op) ? z : 0;
}

/* After the prefixes: the opcode and everything that follows it. */
static void opcode(struct cursor *c, enum x86_mode mode, const struct prefixes *px)
{
	u8 op = peek(c), m = 0;

	switch (op) {
	case 0xC4: case 0xC5: case 0x62:
		/* Outside 64-bit mode LES/LDS/BOUND, unless the ModRM would be a register (invalid for them). */
		if (mode == X86_MODE_64 || (c->pos + 1 < c->lim && c->buf[c->pos + 1] >= 0xC0)) {
			vex(c, px, op);
			return;
		}
		break;
	case 0x8F:		/* POP r/m is /0: any other reg field is XOP */
		if (c->pos + 1 < c->lim && (c->buf[c->pos + 1] >> 3 & 7)) {
			vex(c, px, op);
			return;
		}
		break;
	}
	fetch(c);
	if (op == 0x0F) {
		two_byte(c, mode, px);
		return;
	}
	if (bit(modrm_1, op))
		m = modrm(c, px->addr);
	skip(c, imm_1(mode, px, op, m));
}

unsigned int x86_insn_len(const u8 *buf, unsigned int avail, enum x86_mode mode)
{
	struct cursor c = cursor_at(buf, avail);
	struct prefixes px;

	read_prefixes(&c, mode, &px);
	opcode(&c, mode, &px);
	return c.bad ? 0 : c.pos;
}

bool x86_decode_mem(const u8 *buf, unsigned int avail, enum x86_mode mode,
		    struct x86_mem_operand *m)
{
	struct cursor c = cursor_at(buf, avail);
	struct prefixes px;
	u8 op;

	*m = (struct x86_mem_operand){ .base = -1, .index = -1 };
	c.mem = m;
	read_prefixes(&c, mode, &px);
	op = peek(&c);
	opcode(&c, mode, &px);
	if (c.bad)
		return false;
	/* MOVS, STOS, LODS: rSI is read, rDI written. */
	m->string = (op >= 0xA4 && op <= 0xA5) || (op >= 0xAA && op <= 0xAD);
	if (m->string)
		m->addr_size = px.addr;
	m->len = (u8)c.pos;
	m->seg = px.seg;
	if (m->base == -2) {
		m->base = -1;
		m->rip_relative = mode == X86_MODE_64 && m->addr_size != 2;
	}
	return m->has_modrm || m->string;
}

bool x86_decode_io(const u8 *buf, unsigned int avail, enum x86_mode mode, struct x86_io_insn *io)
{
	struct cursor c = cursor_at(buf, avail);
	struct prefixes px;
	u8 op, port = 0;
	bool imm, in, string;

	read_prefixes(&c, mode, &px);
	op = fetch(&c);
	if ((op & 0xF4) != 0xE4 && (op & 0xFC) != 0x6C)	/* E4-E7, EC-EF; 6C-6F */
		return false;
	imm = (op & 0xFC) == 0xE4;
	if (imm)
		port = fetch(&c);
	if (c.bad)
		return false;
	/* Bit 1 is the direction, bit 0 byte or word/dword (REX.W does not make it 8). */
	in = !(op & 2);
	string = (op & 0xF0) == 0x60;
	*io = (struct x86_io_insn){
		.len = (u8)c.pos,
		.size = !(op & 1) ? 1 : px.opsize == 2 ? 2 : 4,
		.in = in,
		.string = string,
		.rep = string && px.rep,
		.imm = imm,
		.port = port,
		.addr_size = px.addr,
		/* INS writes ES:rDI, which no override changes; OUTS reads DS:rSI or the override */
		.seg = in ? SEG_ES : px.seg != SEG_NONE ? px.seg : SEG_DS,
	};
	return true;
}
