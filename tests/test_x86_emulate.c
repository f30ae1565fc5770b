/* SPDX-License-Identifier: MIT */
/*
 * SHLX and ADCX as the core emulates them while CR4.OSFXSR is clear
 * (platform/x86_emulate.c): register and memory forms, REX/VEX register
 * extensions, SIB, RIP-relative and FS-based operands, 32-bit forms that
 * zero-extend, ADCX's carry, a faulting read, and what is not theirs.
 * Encodings from GNU as.
 */
#include "tdtest.h"

#include "../platform/x86_emulate.h"

#include <string.h>

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11 };

#define MEM_BASE	0x1000
#define FAULT_AT	0x3000

static u8 mem[0x2000];

static int fake_read(void *ctx, u64 la, void *buf, unsigned int len, struct x86_fault *f)
{
	(void)ctx;
	if (la >= FAULT_AT || la < MEM_BASE || la + len > MEM_BASE + sizeof(mem)) {
		*f = (struct x86_fault){ X86_VEC_PF, 0, true, la };
		return -1;
	}
	memcpy(buf, mem + (la - MEM_BASE), len);
	return 0;
}

static const struct x86_mem_ops ops = { fake_read, NULL };

static void put64(u64 la, u64 v)
{
	memcpy(mem + (la - MEM_BASE), &v, sizeof(v));
}

static int emulate(const u8 *code, unsigned int n, enum x86_mode mode, struct x86_emu_regs *r)
{
	struct x86_fault f;

	return x86_emulate_no_osfxsr(code, n, mode, r, &ops, NULL, &f);
}

static void test_shlx(void **state)
{
	static const u8 reg64[] = { 0xC4, 0xE2, 0xF1, 0xF7, 0xD0 };		/* shlx %rcx,%rax,%rdx */
	static const u8 mem32[] = { 0xC4, 0x62, 0x71, 0xF7, 0x0E };		/* shlx %ecx,(%rsi),%r9d */
	static const u8 sib[] = { 0xC4, 0x62, 0xA9, 0xF7, 0x44, 0x9C, 0x08 };	/* shlx %r10,8(%rsp,%rbx,4),%r8 */
	static const u8 riprel[] = { 0xC4, 0xE2, 0xF1, 0xF7, 0x05, 0x10, 0, 0, 0 };	/* shlx %rcx,0x10(%rip),%rax */
	static const u8 fs[] = { 0x64, 0xC4, 0xE2, 0xF1, 0xF7, 0x14, 0x25, 0x20, 0, 0, 0 };	/* shlx %rcx,%fs:0x20,%rdx */
	struct x86_emu_regs r = { 0 };

	(void)state;
	r.gpr[RAX] = 0x8000000000000001ULL;
	r.gpr[RCX] = 65;				/* the count is masked to 6 bits */
	r.gpr[RDX] = 0xDEAD;
	assert_int_equal(emulate(reg64, sizeof(reg64), X86_MODE_64, &r), 5);
	assert_int_equal(r.gpr[RDX], 2);
	assert_int_equal(r.gpr[RAX], 0x8000000000000001ULL);

	r.gpr[RSI] = MEM_BASE + 0x100;
	r.gpr[RCX] = 4;
	r.gpr[R9] = ~0ULL;
	put64(MEM_BASE + 0x100, 0xF0000001F0000001ULL);
	assert_int_equal(emulate(mem32, sizeof(mem32), X86_MODE_64, &r), 5);
	assert_int_equal(r.gpr[R9], 0x00000010);	/* 32-bit: zero-extended */

	r.gpr[RSP] = MEM_BASE + 0x200;
	r.gpr[RBX] = 2;
	r.gpr[R10] = 8;
	put64(MEM_BASE + 0x200 + 8 + 8, 0x1234);
	assert_int_equal(emulate(sib, sizeof(sib), X86_MODE_64, &r), 7);
	assert_int_equal(r.gpr[R8], 0x123400);

	r.rip = MEM_BASE + 0x300;
	r.gpr[RCX] = 1;
	put64(MEM_BASE + 0x300 + 9 + 0x10, 0x21);
	assert_int_equal(emulate(riprel, sizeof(riprel), X86_MODE_64, &r), 9);
	assert_int_equal(r.gpr[RAX], 0x42);

	r.fs_base = MEM_BASE + 0x400;
	put64(MEM_BASE + 0x400 + 0x20, 3);
	assert_int_equal(emulate(fs, sizeof(fs), X86_MODE_64, &r), 11);
	assert_int_equal(r.gpr[RDX], 6);
}

static void test_adcx(void **state)
{
	static const u8 reg64[] = { 0x66, 0x48, 0x0F, 0x38, 0xF6, 0xC3 };	/* adcx %rbx,%rax */
	static const u8 mem32[] = { 0x66, 0x44, 0x0F, 0x38, 0xF6, 0x1F };	/* adcx (%rdi),%r11d */
	static const u8 rex_b[] = { 0x66, 0x4D, 0x0F, 0x38, 0xF6, 0xD1 };	/* adcx %r9,%r10 */
	struct x86_emu_regs r = { 0 };

	(void)state;
	r.gpr[RAX] = ~0ULL;
	r.gpr[RBX] = 0;
	r.rflags = 0x2 | 1 | 0x40;			/* CF and ZF in */
	assert_int_equal(emulate(reg64, sizeof(reg64), X86_MODE_64, &r), 6);
	assert_int_equal(r.gpr[RAX], 0);
	assert_int_equal(r.rflags, 0x43);		/* CF out; ZF untouched */

	r.gpr[RDI] = MEM_BASE + 0x10;
	r.gpr[R11] = 0xFFFFFFFF00000005ULL;
	put64(MEM_BASE + 0x10, 7);
	r.rflags = 0x2;
	assert_int_equal(emulate(mem32, sizeof(mem32), X86_MODE_64, &r), 6);
	assert_int_equal(r.gpr[R11], 12);
	assert_int_equal(r.rflags, 0x2);

	r.gpr[R9] = 1;
	r.gpr[R10] = 0x7FFFFFFFFFFFFFFFULL;
	r.rflags = 0x3;
	assert_int_equal(emulate(rex_b, sizeof(rex_b), X86_MODE_64, &r), 6);
	assert_int_equal(r.gpr[R10], 0x8000000000000001ULL);
	assert_int_equal(r.rflags, 0x2);
}

static void test_32bit(void **state)
{
	static const u8 shlx[] = { 0xC4, 0xE2, 0x61, 0xF7, 0x7E, 0x04 };	/* shlx %ebx,4(%esi),%edi */
	static const u8 adcx[] = { 0x66, 0x0F, 0x38, 0xF6, 0xC3 };		/* adcx %ebx,%eax */
	struct x86_emu_regs r = { 0 };

	(void)state;
	r.gpr[RSI] = MEM_BASE + 0x20;
	r.gpr[RBX] = 8;
	put64(MEM_BASE + 0x24, 0x11);
	assert_int_equal(emulate(shlx, sizeof(shlx), X86_MODE_32, &r), 6);
	assert_int_equal(r.gpr[RDI], 0x1100);
	r.gpr[RAX] = 0xFFFFFFFF;
	r.gpr[RBX] = 1;
	r.rflags = 2;
	assert_int_equal(emulate(adcx, sizeof(adcx), X86_MODE_32, &r), 5);
	assert_int_equal(r.gpr[RAX], 0);
	assert_int_equal(r.rflags, 3);
	assert_int_equal(emulate(adcx, sizeof(adcx), X86_MODE_16, &r), 0);
}

static void test_not_theirs(void **state)
{
	static const u8 sarx[] = { 0xC4, 0xE2, 0xF2, 0xF7, 0xD0 };	/* sarx: F3, which QEMU runs */
	static const u8 adox[] = { 0xF3, 0x48, 0x0F, 0x38, 0xF6, 0xC3 };
	static const u8 locked[] = { 0xF0, 0xC4, 0xE2, 0xF1, 0xF7, 0xD0 };
	static const u8 pshufb[] = { 0x66, 0x0F, 0x38, 0x00, 0xC1 };
	static const u8 cut[] = { 0xC4, 0xE2, 0xF1, 0xF7 };
	static const u8 faults[] = { 0xC4, 0x62, 0x71, 0xF7, 0x0E };	/* shlx %ecx,(%rsi),%r9d */
	struct x86_emu_regs r = { 0 };
	struct x86_fault f;

	(void)state;
	assert_int_equal(emulate(sarx, sizeof(sarx), X86_MODE_64, &r), 0);
	assert_int_equal(emulate(adox, sizeof(adox), X86_MODE_64, &r), 0);
	assert_int_equal(emulate(locked, sizeof(locked), X86_MODE_64, &r), 0);
	assert_int_equal(emulate(pshufb, sizeof(pshufb), X86_MODE_64, &r), 0);
	assert_int_equal(emulate(cut, sizeof(cut), X86_MODE_64, &r), 0);
	r.gpr[RSI] = FAULT_AT + 8;
	r.gpr[R9] = 0x77;
	assert_int_equal(x86_emulate_no_osfxsr(faults, sizeof(faults), X86_MODE_64, &r, &ops, NULL,
					       &f), -1);
	assert_int_equal(f.vector, X86_VEC_PF);
	assert_int_equal(f.cr2, FAULT_AT + 8);
	assert_int_equal(r.gpr[R9], 0x77);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shlx),
		cmocka_unit_test(test_adcx),
		cmocka_unit_test(test_32bit),
		cmocka_unit_test(test_not_theirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
