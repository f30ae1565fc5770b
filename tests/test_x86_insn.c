/* SPDX-License-Identifier: MIT */
/*
 * The x86 length decoder (platform/x86_insn.c): lengths of common code in
 * each opcode map and mode, checked against GNU as, the port-I/O forms
 * with the fields a VMX I/O exit reports, and where a memory operand is.
 */
#include "tdtest.h"

#include "../platform/x86_insn.h"

#include <string.h>

#define M16	X86_MODE_16
#define M32	X86_MODE_32
#define M64	X86_MODE_64

enum { ES, CS, SS, DS, FS, GS };

/* Up to 15 bytes of instruction; the rest of the buffer is filler. */
struct insn {
	enum x86_mode mode;
	unsigned int len;
	u8 b[16];
	const char *what;
};

static const struct insn lengths[] = {
	/* 64-bit: one-byte map, ModRM/SIB/displacement forms */
	{ M64, 7, { 0x48, 0x8B, 0x05, 0x11, 0x22, 0x33, 0x44 }, "mov rax,[rip+disp32]" },
	{ M64, 4, { 0x8B, 0x44, 0x24, 0x08 }, "mov eax,[rsp+8]" },
	{ M64, 3, { 0x8B, 0x04, 0x24 }, "mov eax,[rsp]" },
	{ M64, 7, { 0x8B, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00 }, "mov eax,[0x1000] (SIB, no base)" },
	{ M64, 7, { 0x8B, 0x84, 0x24, 0x00, 0x01, 0x00, 0x00 }, "mov eax,[rsp+0x100]" },
	{ M64, 6, { 0x8B, 0x80, 0x00, 0x01, 0x00, 0x00 }, "mov eax,[rax+0x100]" },
	{ M64, 8, { 0x42, 0x8B, 0x04, 0x2D, 0x00, 0x10, 0x00, 0x00 }, "mov eax,[r13*1+0x1000]: SIB base 101, mod 00" },
	{ M64, 3, { 0x48, 0x89, 0xE5 }, "mov rbp,rsp" },
	{ M64, 1, { 0x55 }, "push rbp" },
	{ M64, 1, { 0xC3 }, "ret" },
	{ M64, 3, { 0xC2, 0x08, 0x00 }, "ret 8" },
	{ M64, 4, { 0xC8, 0x10, 0x00, 0x00 }, "enter 0x10,0" },
	{ M64, 4, { 0x48, 0x83, 0xEC, 0x28 }, "sub rsp,0x28" },
	{ M64, 7, { 0x48, 0x81, 0xEC, 0x00, 0x01, 0x00, 0x00 }, "sub rsp,0x100" },
	{ M64, 5, { 0xB8, 0x78, 0x56, 0x34, 0x12 }, "mov eax,imm32" },
	{ M64, 4, { 0x66, 0xB8, 0x34, 0x12 }, "mov ax,imm16" },
	{ M64, 10, { 0x48, 0xB8, 1, 2, 3, 4, 5, 6, 7, 8 }, "movabs rax,imm64" },
	{ M64, 7, { 0x48, 0xC7, 0xC0, 0xFF, 0xFF, 0xFF, 0xFF }, "mov rax,-1 (imm32)" },
	{ M64, 5, { 0x66, 0xC7, 0x00, 0x34, 0x12 }, "mov word [rax],0x1234" },
	{ M64, 7, { 0xC6, 0x05, 0x00, 0x00, 0x00, 0x00, 0x01 }, "mov byte [rip+0],1" },
	{ M64, 3, { 0xF6, 0xC1, 0x01 }, "test cl,1" },
	{ M64, 6, { 0xF7, 0xC1, 0x00, 0x00, 0x01, 0x00 }, "test ecx,0x10000" },
	{ M64, 2, { 0xF7, 0xD8 }, "neg eax: no immediate for /3" },
	{ M64, 9, { 0xA1, 1, 2, 3, 4, 5, 6, 7, 8 }, "movabs eax,[moffs64]" },
	{ M64, 6, { 0x67, 0xA1, 1, 2, 3, 4 }, "mov eax,[moffs32] (addr32)" },
	{ M64, 5, { 0xE8, 0x00, 0x00, 0x00, 0x00 }, "call rel32" },
	{ M64, 6, { 0x66, 0xE8, 0x00, 0x00, 0x00, 0x00 }, "call rel32: Intel ignores 66 in 64-bit (AMD, objdump: rel16)" },
	{ M64, 2, { 0xEB, 0x05 }, "jmp rel8" },
	{ M64, 2, { 0x75, 0xFE }, "jne rel8" },
	{ M64, 3, { 0x41, 0xFF, 0xD0 }, "call r8" },
	{ M64, 6, { 0xFF, 0x25, 0x00, 0x00, 0x00, 0x00 }, "jmp [rip+0]" },
	{ M64, 5, { 0x68, 0x00, 0x10, 0x00, 0x00 }, "push imm32" },
	{ M64, 2, { 0x6A, 0x01 }, "push imm8" },
	{ M64, 2, { 0xCD, 0x80 }, "int 0x80" },
	{ M64, 2, { 0x8F, 0x00 }, "pop qword [rax] (8F /0 is not XOP)" },
	{ M64, 5, { 0xF0, 0x48, 0x0F, 0xB1, 0x0A }, "lock cmpxchg [rdx],rcx" },
	{ M64, 1, { 0x90 }, "nop" },
	/* 64-bit: 0F map */
	{ M64, 3, { 0x0F, 0x01, 0xCA }, "clac" },
	{ M64, 4, { 0x66, 0x0F, 0x01, 0xCC }, "tdcall" },
	{ M64, 5, { 0x0F, 0x1F, 0x44, 0x00, 0x00 }, "nop dword [rax+rax]" },
	{ M64, 6, { 0x0F, 0x84, 0x00, 0x01, 0x00, 0x00 }, "je rel32" },
	{ M64, 2, { 0x0F, 0x05 }, "syscall" },
	{ M64, 2, { 0x0F, 0xA2 }, "cpuid" },
	{ M64, 3, { 0x0F, 0x20, 0xC0 }, "mov rax,cr0" },
	{ M64, 3, { 0x0F, 0x22, 0x05 }, "mov cr0,rbp encoded with mod 00: no displacement" },
	{ M64, 4, { 0xF3, 0x0F, 0x1E, 0xFA }, "endbr64" },
	{ M64, 4, { 0x0F, 0xBA, 0xE0, 0x05 }, "bt eax,5" },
	{ M64, 4, { 0x48, 0x0F, 0xC7, 0xF0 }, "rdrand rax" },
	{ M64, 3, { 0x0F, 0xAE, 0xF0 }, "mfence" },
	{ M64, 4, { 0x0F, 0xA4, 0xC8, 0x04 }, "shld eax,ecx,4" },
	{ M64, 5, { 0x66, 0x0F, 0x73, 0xD8, 0x08 }, "psrldq xmm0,8" },
	{ M64, 5, { 0x66, 0x0F, 0xC6, 0xC1, 0x01 }, "shufpd xmm0,xmm1,1" },
	{ M64, 4, { 0x0F, 0x0F, 0xC1, 0xB4 }, "pfmul mm0,mm1 (3DNow)" },
	{ M64, 5, { 0x66, 0x0F, 0x38, 0x00, 0xC1 }, "pshufb xmm0,xmm1" },
	{ M64, 6, { 0x66, 0x0F, 0x3A, 0x0F, 0xC1, 0x08 }, "palignr xmm0,xmm1,8" },
	{ M64, 3, { 0x0F, 0x78, 0xC8 }, "vmread eax,ecx" },
	/* 64-bit: VEX, EVEX, XOP */
	{ M64, 4, { 0xC5, 0xF9, 0x6F, 0xC1 }, "vmovdqa xmm0,xmm1" },
	{ M64, 6, { 0xC4, 0xE3, 0x79, 0x0F, 0xC1, 0x08 }, "vpalignr xmm0,xmm0,xmm1,8" },
	{ M64, 5, { 0xC4, 0xE2, 0x79, 0x00, 0xC1 }, "vpshufb xmm0,xmm0,xmm1" },
	{ M64, 3, { 0xC5, 0xF8, 0x77 }, "vzeroupper" },
	{ M64, 8, { 0x62, 0xF1, 0x7C, 0x48, 0x10, 0x44, 0x24, 0x01 }, "vmovups zmm0,[rsp+0x40]" },
	{ M64, 7, { 0x62, 0xF3, 0x7D, 0x48, 0x03, 0xC1, 0x01 }, "valignd zmm0,zmm0,zmm1,1" },
	{ M64, 6, { 0x8F, 0xE8, 0x78, 0xC0, 0xC1, 0x05 }, "vprotb xmm0,xmm1,5 (XOP 8)" },
	{ M64, 5, { 0x8F, 0xE9, 0x78, 0x90, 0xC1 }, "vprotb xmm0,xmm1,xmm0 (XOP 9)" },
	{ M64, 9, { 0x8F, 0xEA, 0x78, 0x10, 0xC1, 0x04, 0x08, 0x00, 0x00 }, "bextr eax,ecx,0x804 (XOP A)" },
	/* 32-bit */
	{ M32, 1, { 0x40 }, "inc eax" },
	{ M32, 2, { 0xC4, 0x06 }, "les eax,[esi]" },
	{ M32, 2, { 0xC5, 0x06 }, "lds eax,[esi]" },
	{ M32, 2, { 0x62, 0x02 }, "bound eax,[edx]" },
	{ M32, 4, { 0xC5, 0xF9, 0x6F, 0xC1 }, "vmovdqa xmm0,xmm1" },
	{ M32, 8, { 0x62, 0xF1, 0x7C, 0x48, 0x10, 0x44, 0x24, 0x01 }, "vmovups zmm0,[esp+0x40]" },
	{ M32, 7, { 0x9A, 0x00, 0x10, 0x00, 0x00, 0x08, 0x00 }, "call 0x8:0x1000" },
	{ M32, 5, { 0x05, 0x00, 0x00, 0x00, 0x01 }, "add eax,imm32" },
	{ M32, 4, { 0x66, 0x05, 0x01, 0x00 }, "add ax,imm16" },
	{ M32, 5, { 0xA1, 0x00, 0x10, 0x00, 0x00 }, "mov eax,[moffs32]" },
	{ M32, 4, { 0x67, 0xA1, 0x00, 0x10 }, "mov eax,[moffs16]" },
	{ M32, 4, { 0x66, 0xE8, 0x00, 0x00 }, "call rel16" },
	{ M32, 5, { 0x66, 0x0F, 0x84, 0x00, 0x00 }, "je rel16" },
	{ M32, 6, { 0x8B, 0x05, 0x00, 0x10, 0x00, 0x00 }, "mov eax,[disp32]" },
	{ M32, 4, { 0x67, 0x8B, 0x46, 0x02 }, "mov eax,[bp+2] (addr16)" },
	{ M32, 1, { 0x48, 0x8B, 0x05 }, "dec eax: no REX outside 64-bit mode" },
	/* 16-bit */
	{ M16, 3, { 0x8B, 0x46, 0x02 }, "mov ax,[bp+2]" },
	{ M16, 4, { 0x8B, 0x1E, 0x34, 0x12 }, "mov bx,[0x1234]" },
	{ M16, 4, { 0x8B, 0x87, 0x00, 0x01 }, "mov ax,[bx+0x100]" },
	{ M16, 2, { 0x8B, 0x07 }, "mov ax,[bx]" },
	{ M16, 3, { 0xB8, 0x34, 0x12 }, "mov ax,imm16" },
	{ M16, 6, { 0x66, 0xB8, 0x78, 0x56, 0x34, 0x12 }, "mov eax,imm32" },
	{ M16, 3, { 0xA1, 0x34, 0x12 }, "mov ax,[moffs16]" },
	{ M16, 3, { 0xE8, 0x00, 0x00 }, "call rel16" },
	{ M16, 4, { 0x0F, 0x84, 0x00, 0x00 }, "je rel16" },
	{ M16, 5, { 0xEA, 0x5B, 0xE0, 0x00, 0xF0 }, "jmp 0xf000:0xe05b" },
	{ M16, 8, { 0x66, 0xEA, 0x00, 0x10, 0x00, 0x00, 0x08, 0x00 }, "jmp 0x8:0x1000 (op32)" },
	{ M16, 5, { 0x67, 0x8B, 0x44, 0x24, 0x08 }, "mov ax,[esp+8] (addr32)" },
	{ M16, 5, { 0x0F, 0x01, 0x16, 0x34, 0x12 }, "lgdt [0x1234]" },
};

static void test_lengths(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		const struct insn *t = &lengths[i];
		u8 buf[32];

		/* Filler after the instruction must not matter. */
		memset(buf, 0xCC, sizeof(buf));
		memcpy(buf, t->b, t->len);
		if (x86_insn_len(buf, sizeof(buf), t->mode) != t->len)
			fail_msg("%s: length %u, expected %u", t->what,
				 x86_insn_len(buf, sizeof(buf), t->mode), t->len);
		assert_int_equal(x86_insn_len(buf, t->len, t->mode), t->len);
		/* Any fewer bytes readable: not decodable. */
		for (unsigned int avail = 0; avail < t->len; avail++)
			assert_int_equal(x86_insn_len(buf, avail, t->mode), 0);
	}
}

/* An I/O instruction and every field x86_decode_io() reports for it. */
struct io_case {
	enum x86_mode mode;
	u8 b[16];
	struct x86_io_insn io;
	const char *what;
};

#define IO(l, sz, i, str, r, im, p, a, s) \
	{ .len = l, .size = sz, .in = i, .string = str, .rep = r, .imm = im, .port = p, .addr_size = a, .seg = s }

static const struct io_case io_cases[] = {
	/* 64-bit */
	{ M64, { 0xE4, 0x60 }, IO(2, 1, true, false, false, true, 0x60, 8, ES), "in al,0x60" },
	{ M64, { 0xE5, 0x71 }, IO(2, 4, true, false, false, true, 0x71, 8, ES), "in eax,0x71" },
	{ M64, { 0x66, 0xE5, 0x71 }, IO(3, 2, true, false, false, true, 0x71, 8, ES), "in ax,0x71" },
	{ M64, { 0xE6, 0x80 }, IO(2, 1, false, false, false, true, 0x80, 8, DS), "out 0x80,al" },
	{ M64, { 0x66, 0xE7, 0x70 }, IO(3, 2, false, false, false, true, 0x70, 8, DS), "out 0x70,ax" },
	{ M64, { 0xE7, 0xFF }, IO(2, 4, false, false, false, true, 0xFF, 8, DS), "out 0xff,eax" },
	{ M64, { 0xEC }, IO(1, 1, true, false, false, false, 0, 8, ES), "in al,dx" },
	{ M64, { 0x66, 0xED }, IO(2, 2, true, false, false, false, 0, 8, ES), "in ax,dx" },
	{ M64, { 0xED }, IO(1, 4, true, false, false, false, 0, 8, ES), "in eax,dx" },
	{ M64, { 0x48, 0xED }, IO(2, 4, true, false, false, false, 0, 8, ES), "in eax,dx with REX.W: still 4" },
	{ M64, { 0x40, 0xEC }, IO(2, 1, true, false, false, false, 0, 8, ES), "in al,dx with REX" },
	{ M64, { 0x41, 0x66, 0xED }, IO(3, 2, true, false, false, false, 0, 8, ES), "REX before 66 is ignored" },
	{ M64, { 0xEE }, IO(1, 1, false, false, false, false, 0, 8, DS), "out dx,al" },
	{ M64, { 0xEF }, IO(1, 4, false, false, false, false, 0, 8, DS), "out dx,eax" },
	{ M64, { 0x66, 0xEF }, IO(2, 2, false, false, false, false, 0, 8, DS), "out dx,ax" },
	{ M64, { 0x6C }, IO(1, 1, true, true, false, false, 0, 8, ES), "insb" },
	{ M64, { 0x66, 0x6D }, IO(2, 2, true, true, false, false, 0, 8, ES), "insw" },
	{ M64, { 0xF3, 0x6D }, IO(2, 4, true, true, true, false, 0, 8, ES), "rep insd" },
	{ M64, { 0x67, 0xF3, 0x6C }, IO(3, 1, true, true, true, false, 0, 4, ES), "rep insb, addr32" },
	{ M64, { 0x2E, 0x6C }, IO(2, 1, true, true, false, false, 0, 8, ES), "insb: no override of ES" },
	{ M64, { 0xF3, 0x6E }, IO(2, 1, false, true, true, false, 0, 8, DS), "rep outsb" },
	{ M64, { 0x2E, 0xF3, 0x6F }, IO(3, 4, false, true, true, false, 0, 8, CS), "rep outsd cs:" },
	{ M64, { 0x65, 0x66, 0xF3, 0x6F }, IO(4, 2, false, true, true, false, 0, 8, GS), "rep outsw gs:" },
	{ M64, { 0xF2, 0x6E }, IO(2, 1, false, true, true, false, 0, 8, DS), "repne outsb" },
	{ M64, { 0x26, 0x6E }, IO(2, 1, false, true, false, false, 0, 8, ES), "outsb es:" },
	{ M64, { 0xF3, 0xEC }, IO(2, 1, true, false, false, false, 0, 8, ES), "rep on IN: not a string" },
	/* 32-bit */
	{ M32, { 0xED }, IO(1, 4, true, false, false, false, 0, 4, ES), "in eax,dx" },
	{ M32, { 0x66, 0xED }, IO(2, 2, true, false, false, false, 0, 4, ES), "in ax,dx" },
	{ M32, { 0xE4, 0x60 }, IO(2, 1, true, false, false, true, 0x60, 4, ES), "in al,0x60" },
	{ M32, { 0x66, 0xF3, 0x6D }, IO(3, 2, true, true, true, false, 0, 4, ES), "rep insw" },
	{ M32, { 0x67, 0x6E }, IO(2, 1, false, true, false, false, 0, 2, DS), "outsb, addr16" },
	{ M32, { 0x2E, 0xF3, 0x6F }, IO(3, 4, false, true, true, false, 0, 4, CS), "rep outsd cs:" },
	{ M32, { 0x36, 0x6F }, IO(2, 4, false, true, false, false, 0, 4, SS), "outsd ss:" },
	{ M32, { 0x64, 0x6E }, IO(2, 1, false, true, false, false, 0, 4, FS), "outsb fs:" },
	{ M32, { 0x3E, 0x64, 0x6E }, IO(3, 1, false, true, false, false, 0, 4, FS), "the last override counts" },
	/* 16-bit */
	{ M16, { 0xED }, IO(1, 2, true, false, false, false, 0, 2, ES), "in ax,dx" },
	{ M16, { 0x66, 0xED }, IO(2, 4, true, false, false, false, 0, 2, ES), "in eax,dx" },
	{ M16, { 0xE5, 0x40 }, IO(2, 2, true, false, false, true, 0x40, 2, ES), "in ax,0x40" },
	{ M16, { 0xE6, 0x80 }, IO(2, 1, false, false, false, true, 0x80, 2, DS), "out 0x80,al" },
	{ M16, { 0x6C }, IO(1, 1, true, true, false, false, 0, 2, ES), "insb" },
	{ M16, { 0x67, 0xF3, 0x6D }, IO(3, 2, true, true, true, false, 0, 4, ES), "rep insw, addr32" },
	{ M16, { 0xF3, 0x66, 0x6F }, IO(3, 4, false, true, true, false, 0, 2, DS), "rep outsd" },
};

static void test_io(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(io_cases) / sizeof(io_cases[0]); i++) {
		const struct io_case *t = &io_cases[i];
		struct x86_io_insn io;
		u8 buf[32];

		memset(buf, 0x90, sizeof(buf));
		memcpy(buf, t->b, t->io.len);
		memset(&io, 0xA5, sizeof(io));
		if (!x86_decode_io(buf, sizeof(buf), t->mode, &io))
			fail_msg("%s: not I/O", t->what);
		if (io.len != t->io.len || io.size != t->io.size || io.in != t->io.in ||
		    io.string != t->io.string || io.rep != t->io.rep || io.imm != t->io.imm ||
		    io.port != t->io.port || io.addr_size != t->io.addr_size || io.seg != t->io.seg)
			fail_msg("%s: len %u size %u in %d string %d rep %d imm %d port %#x addr %u seg %u",
				 t->what, io.len, io.size, io.in, io.string, io.rep, io.imm, io.port,
				 io.addr_size, io.seg);
		assert_int_equal(x86_insn_len(buf, sizeof(buf), t->mode), t->io.len);
		/* Exactly its bytes are enough; one fewer is not. */
		assert_true(x86_decode_io(buf, t->io.len, t->mode, &io));
		assert_false(x86_decode_io(buf, t->io.len - 1, t->mode, &io));
	}
}

/* Instructions that are not port I/O, some with I/O-looking bytes. */
static void test_not_io(void **state)
{
	static const struct {
		enum x86_mode mode;
		unsigned int len;
		u8 b[8];
	} cases[] = {
		{ M32, 1, { 0x40, 0xEC } },		/* inc eax; in al,dx */
		{ M16, 1, { 0x4F, 0xEE } },		/* dec di; out dx,al */
		{ M64, 1, { 0x90 } },
		{ M64, 3, { 0x0F, 0x01, 0xCA } },	/* clac */
		{ M64, 2, { 0xE0, 0xFE } },		/* loopne */
		{ M64, 2, { 0xE3, 0xEC } },		/* jrcxz */
		{ M64, 5, { 0xE8, 0xEC, 0x00, 0x00, 0x00 } },	/* call */
		{ M64, 2, { 0xEB, 0xEC } },		/* jmp rel8 */
		{ M64, 3, { 0x6B, 0xC0, 0x6C } },	/* imul eax,eax,0x6c */
		{ M64, 3, { 0x0F, 0x6E, 0xC0 } },	/* 0F 6E is MOVD mm0,eax, not OUTS */
		{ M64, 2, { 0xB0, 0xE4 } },		/* mov al,0xe4 */
	};
	struct x86_io_insn io;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		u8 buf[16];

		memset(buf, 0xC0, sizeof(buf));
		memcpy(buf, cases[i].b, sizeof(cases[i].b));
		memset(&io, 0x5A, sizeof(io));
		assert_false(x86_decode_io(buf, sizeof(buf), cases[i].mode, &io));
		assert_int_equal(io.len, 0x5A);		/* left alone */
		assert_int_equal(x86_insn_len(buf, sizeof(buf), cases[i].mode), cases[i].len);
	}
}

/* Truncated input and the 15-byte limit. */
static void test_limits(void **state)
{
	u8 buf[32] = { 0 };
	struct x86_io_insn io;

	(void)state;
	assert_int_equal(x86_insn_len(buf, 0, M64), 0);
	assert_false(x86_decode_io(buf, 0, M64, &io));
	buf[0] = 0xE4;				/* in al,imm8 without its imm8 */
	assert_false(x86_decode_io(buf, 1, M64, &io));
	assert_int_equal(x86_insn_len(buf, 1, M64), 0);
	buf[0] = 0xF3;				/* a prefix and nothing after */
	assert_false(x86_decode_io(buf, 1, M32, &io));
	assert_int_equal(x86_insn_len(buf, 1, M32), 0);
	buf[0] = 0xC4;				/* VEX or LES: neither fits */
	for (unsigned int mode = M16; mode <= M64; mode++)
		assert_int_equal(x86_insn_len(buf, 1, mode), 0);

	/* 14 prefixes and the opcode make 15 bytes, the most there can be. */
	memset(buf, 0x66, 14);
	buf[14] = 0xEC;
	assert_int_equal(x86_insn_len(buf, sizeof(buf), M64), 15);
	assert_true(x86_decode_io(buf, sizeof(buf), M64, &io));
	assert_int_equal(io.len, 15);
	assert_int_equal(io.size, 1);
	/* One more is 16 bytes: not an instruction. */
	memset(buf, 0x66, 15);
	buf[15] = 0xEC;
	assert_int_equal(x86_insn_len(buf, sizeof(buf), M64), 0);
	assert_false(x86_decode_io(buf, sizeof(buf), M64, &io));
	memset(buf, 0x66, 16);
	for (unsigned int mode = M16; mode <= M64; mode++) {
		assert_int_equal(x86_insn_len(buf, sizeof(buf), mode), 0);
		assert_false(x86_decode_io(buf, sizeof(buf), mode, &io));
	}
	/* Within 15 bytes only by its prefixes: 11 prefixes and a 5-byte mov. */
	memset(buf, 0x3E, 11);
	memcpy(buf + 11, (const u8[]){ 0xB8, 1, 2, 3, 4 }, 5);
	assert_int_equal(x86_insn_len(buf, sizeof(buf), M32), 0);
	assert_int_equal(x86_insn_len(buf + 1, sizeof(buf) - 1, M32), 15);

	/* Far pointers do not exist in 64-bit mode. */
	memcpy(buf, (const u8[]){ 0xEA, 0, 0x10, 0, 0, 8, 0 }, 7);
	assert_int_equal(x86_insn_len(buf, sizeof(buf), M64), 0);
	assert_int_equal(x86_insn_len(buf, sizeof(buf), M32), 7);
}

/* Where the memory operand is, for the address a fault reports. */
static void test_mem_operand(void **state)
{
	static const struct {
		struct insn i;
		int8_t base, index;
		u8 scale, addr, seg;
		int64_t disp;
		bool rip, string;
	} cases[] = {
		{ { M64, 4, { 0x8B, 0x44, 0x24, 0x08 }, "mov eax,[rsp+8]" },
		  4, -1, 1, 8, 0xFF, 8, false, false },
		{ { M64, 7, { 0x48, 0x8B, 0x05, 0x11, 0x22, 0x33, 0x44 }, "mov rax,[rip+d]" },
		  -1, -1, 1, 8, 0xFF, 0x44332211, true, false },
		{ { M64, 2, { 0x8B, 0x0B }, "mov ecx,[rbx]" }, 3, -1, 1, 8, 0xFF, 0, false, false },
		{ { M64, 4, { 0x41, 0x89, 0x04, 0x88 }, "mov [r8+rcx*4],eax" },
		  8, 1, 4, 8, 0xFF, 0, false, false },
		{ { M64, 5, { 0x4A, 0x8B, 0x44, 0xF5, 0xF0 }, "mov rax,[rbp+r14*8-16]" },
		  5, 14, 8, 8, 0xFF, -16, false, false },
		{ { M64, 9, { 0x65, 0x48, 0x8B, 0x04, 0x25, 0x28, 0, 0, 0 }, "mov rax,gs:[0x28]" },
		  -1, -1, 1, 8, GS, 0x28, false, false },
		{ { M64, 3, { 0x67, 0x8B, 0x01 }, "mov eax,[ecx]" },
		  1, -1, 1, 4, 0xFF, 0, false, false },
		{ { M16, 3, { 0x8B, 0x40, 0x02 }, "mov ax,[bx+si+2]" },
		  3, 6, 1, 2, 0xFF, 2, false, false },
		{ { M64, 1, { 0xA5 }, "movsd" }, -1, -1, 0, 8, 0xFF, 0, false, true },
		{ { M64, 2, { 0xF3, 0xAA }, "rep stosb" }, -1, -1, 0, 8, 0xFF, 0, false, true },
		{ { M64, 5, { 0xC4, 0xC2, 0x61, 0xF7, 0x00 }, "shlx eax,[r8],ebx" },
		  8, -1, 1, 8, 0xFF, 0, false, false },
	};
	static const struct insn none[] = {
		{ M64, 2, { 0x89, 0xC8 }, "mov eax,ecx" },
		{ M64, 1, { 0x50 }, "push rax" },
		{ M64, 2, { 0xEB, 0xFE }, "jmp $" },
	};
	struct x86_mem_operand m;

	(void)state;
	for (size_t n = 0; n < sizeof(cases) / sizeof(cases[0]); n++) {
		if (!x86_decode_mem(cases[n].i.b, 16, cases[n].i.mode, &m))
			fail_msg("%s: no memory operand", cases[n].i.what);
		if (m.len != cases[n].i.len || m.base != cases[n].base ||
		    m.index != cases[n].index || m.addr_size != cases[n].addr ||
		    m.seg != cases[n].seg || m.disp != cases[n].disp ||
		    m.rip_relative != cases[n].rip || m.string != cases[n].string ||
		    (!m.string && m.scale != cases[n].scale))
			fail_msg("%s: len %u base %d index %d scale %u addr %u seg %#x disp %lld "
				 "rip %d string %d", cases[n].i.what, m.len, m.base, m.index, m.scale,
				 m.addr_size, m.seg, (long long)m.disp, m.rip_relative, m.string);
	}
	for (size_t n = 0; n < sizeof(none) / sizeof(none[0]); n++)
		if (x86_decode_mem(none[n].b, 16, none[n].mode, &m))
			fail_msg("%s: a memory operand?", none[n].what);
	/* Cut short: no operand. */
	assert_false(x86_decode_mem(cases[1].i.b, 4, M64, &m));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_io),
		cmocka_unit_test(test_not_io),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_mem_operand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
