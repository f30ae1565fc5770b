/* SPDX-License-Identifier: MIT */
/*
 * x86 event delivery and SYSCALL (platform/x86_event.c) on their own,
 * over a flat fake memory: the frames, stacks and segments the SDM
 * prescribes, and the exception (with its error code) each bad gate,
 * selector or TSS raises.
 */
#include "tdtest.h"

#include "../platform/x86_event.h"

#include <string.h>

#define MEM_SIZE	0x10000
#define IDT		0x1000
#define GDT		0x2000
#define TSS		0x3000
#define USER_STACK	0x6000
#define KERNEL_STACK	0x8000
#define IST1_STACK	0x9000
#define NO_PAGE		0xA000		/* accesses here fault */
#define HANDLER		0xFFFFFFFF81000000ULL

#define KERNEL_CS	0x10
#define USER_CS		0x33
#define USER_SS		0x2B

#define CODE64_DPL(d)	(0xBu << 8 | CPU_SEG_FLAGS_S | (d) << 13 | CPU_SEG_FLAGS_P | CPU_SEG_FLAGS_L | \
			 CPU_SEG_FLAGS_G)

static u8 mem[MEM_SIZE];

static int fake_access(u64 la, unsigned int len, struct x86_fault *f)
{
	if (la + len > MEM_SIZE || (la < NO_PAGE + 0x1000 && la + len > NO_PAGE)) {
		*f = (struct x86_fault){ X86_VEC_PF, 2, true, la };
		return -1;
	}
	return 0;
}

static int fake_read(void *ctx, u64 la, void *buf, unsigned int len, struct x86_fault *f)
{
	(void)ctx;
	if (fake_access(la, len, f))
		return -1;
	memcpy(buf, mem + la, len);
	return 0;
}

static int fake_write(void *ctx, u64 la, const void *buf, unsigned int len, struct x86_fault *f)
{
	(void)ctx;
	if (fake_access(la, len, f))
		return -1;
	memcpy(mem + la, buf, len);
	return 0;
}

static const struct x86_mem_ops ops = { fake_read, fake_write };

static void set_gate(u8 vector, u16 sel, u8 ist, u8 type, u8 dpl, bool present)
{
	u8 *g = mem + IDT + 16 * vector;
	u64 h = HANDLER + vector;

	memset(g, 0, 16);
	g[0] = (u8)h;
	g[1] = (u8)(h >> 8);
	g[2] = (u8)sel;
	g[3] = (u8)(sel >> 8);
	g[4] = ist;
	g[5] = (u8)(type | dpl << 5 | (present ? 0x80 : 0));
	for (int i = 2; i < 8; i++)
		g[4 + i] = (u8)(h >> (8 * i));
}

static void set_desc(u16 sel, u32 hi)
{
	u32 d[2] = { 0xFFFF, hi | 0xF0000 };

	memcpy(mem + GDT + (sel & ~7u), d, sizeof(d));
}

static void set_tss_slot(unsigned int off, u64 rsp)
{
	memcpy(mem + TSS + off, &rsp, sizeof(rsp));
}

/* Long mode at @cpl: kernel and user code, a 64-bit TSS with RSP0 and IST1. */
static struct x86_state long_mode(unsigned int cpl)
{
	memset(mem, 0, sizeof(mem));
	for (int v = 0; v < 256; v++)
		set_gate((u8)v, KERNEL_CS, 0, 0xE, 0, true);
	set_desc(KERNEL_CS, CODE64_DPL(0u));
	set_desc(USER_CS, CODE64_DPL(3u));
	set_tss_slot(4, KERNEL_STACK);
	set_tss_slot(0x24, IST1_STACK);
	return (struct x86_state){
		.rip = 0x401000, .rsp = cpl ? USER_STACK + 8 : KERNEL_STACK - 0x108,
		.rflags = 0x246, .cr0 = 0x80050033, .efer = 0xD01, .cpl = cpl,
		.cs = { 0, 0xFFFFFFFF, CODE64_DPL(cpl), (u16)(cpl ? USER_CS : KERNEL_CS) },
		.ss = { 0, 0xFFFFFFFF, 0x3u << 8 | CPU_SEG_FLAGS_S | cpl << 13 | CPU_SEG_FLAGS_P,
			(u16)(cpl ? USER_SS : 0) },
		.tr = { TSS, 0x67, 0xBu << 8 | CPU_SEG_FLAGS_P, 0x40 },
		.idt_base = IDT, .idt_limit = 0xFFF, .gdt_base = GDT, .gdt_limit = 0x7F,
	};
}

static u64 stack_at(u64 la)
{
	u64 v;

	memcpy(&v, mem + la, sizeof(v));
	return v;
}

static const struct x86_event timer = { 0x20, X86_EVENT_EXTERNAL, false, 0 };

static void assert_fault(const struct x86_state *s, const struct x86_event *ev, u8 vector,
			 u32 error)
{
	struct x86_transfer t;
	struct x86_fault f;

	assert_int_equal(x86_deliver(s, ev, &ops, NULL, &t, &f), -1);
	assert_int_equal(f.vector, vector);
	assert_int_equal(f.error, error);
}

/* Same privilege: the aligned frame on the current stack, IF cleared by an interrupt gate. */
static void test_same_privilege(void **state)
{
	struct x86_state s = long_mode(0);
	struct x86_transfer t;
	struct x86_fault f;
	u64 rsp = (s.rsp & ~0xFULL) - 40;

	(void)state;
	assert_int_equal(x86_deliver(&s, &timer, &ops, NULL, &t, &f), 0);
	assert_int_equal(t.rip, HANDLER + 0x20);
	assert_int_equal(t.rsp, rsp);
	assert_int_equal(stack_at(rsp), 0x401000);
	assert_int_equal(stack_at(rsp + 8), KERNEL_CS);
	assert_int_equal(stack_at(rsp + 16), 0x246);
	assert_int_equal(stack_at(rsp + 24), s.rsp);
	assert_int_equal(stack_at(rsp + 32), 0);
	assert_int_equal(t.rflags, 0x046);
	assert_int_equal(t.cs.selector, KERNEL_CS);
	assert_false(t.ss_changed);
	/* A trap gate keeps IF; #GP pushes its error code. */
	set_gate(13, KERNEL_CS, 0, 0xF, 0, true);
	assert_int_equal(x86_deliver(&s, &(struct x86_event){ 13, X86_EVENT_EXTERNAL, true, 0x18 },
				     &ops, NULL, &t, &f), 0);
	assert_int_equal(t.rflags, 0x246);
	assert_int_equal(t.rsp, rsp - 8);
	assert_int_equal(stack_at(t.rsp), 0x18);
	assert_int_equal(stack_at(t.rsp + 8), 0x401000);
}

/* An IST gate switches stacks even without a privilege change. */
static void test_ist(void **state)
{
	struct x86_state s = long_mode(0);
	struct x86_transfer t;
	struct x86_fault f;

	(void)state;
	set_gate(X86_VEC_NMI, KERNEL_CS, 1, 0xE, 0, true);
	assert_int_equal(x86_deliver(&s, &(struct x86_event){ 2, X86_EVENT_EXTERNAL, false, 0 },
				     &ops, NULL, &t, &f), 0);
	assert_int_equal(t.rsp, IST1_STACK - 40);
	assert_int_equal(stack_at(t.rsp + 24), s.rsp);
	/* An IST slot beyond the TSS limit is a #TS naming TR, EXT set. */
	s.tr.limit = 0x2A;
	assert_fault(&s, &(struct x86_event){ 2, X86_EVENT_EXTERNAL, false, 0 }, X86_VEC_TS, 0x41);
}

/* CPL 3 -> 0: TSS.RSP0, a NULL SS with RPL 0, the user SS:RSP in the frame. */
static void test_privilege_change(void **state)
{
	struct x86_state s = long_mode(3);
	struct x86_transfer t;
	struct x86_fault f;

	(void)state;
	assert_int_equal(x86_deliver(&s, &timer, &ops, NULL, &t, &f), 0);
	assert_int_equal(t.rsp, KERNEL_STACK - 40);
	assert_int_equal(stack_at(t.rsp + 8), USER_CS);
	assert_int_equal(stack_at(t.rsp + 24), USER_STACK + 8);
	assert_int_equal(stack_at(t.rsp + 32), USER_SS);
	assert_int_equal(t.cs.selector, KERNEL_CS);
	assert_true(t.ss_changed);
	assert_int_equal(t.ss.selector, 0);
	assert_int_equal((t.ss.flags >> 13) & 3, 0);
	/* A non-canonical RSP0 is a #SS(EXT). */
	set_tss_slot(4, 0x0000800000000000ULL);
	assert_fault(&s, &timer, X86_VEC_SS, 1);
	/* The frame cannot be written: the #PF comes back with its CR2. */
	set_tss_slot(4, NO_PAGE + 0x100);
	assert_int_equal(x86_deliver(&s, &timer, &ops, NULL, &t, &f), -1);
	assert_int_equal(f.vector, X86_VEC_PF);
	assert_true(f.has_cr2);
	assert_int_equal(f.cr2, NO_PAGE + 0xD8);
}

/* INT n from user mode needs a gate DPL of 3; hardware events do not. */
static void test_software_int_dpl(void **state)
{
	struct x86_state s = long_mode(3);
	struct x86_event int80 = { 0x80, X86_EVENT_SOFTWARE, false, 0 };
	struct x86_transfer t;
	struct x86_fault f;

	(void)state;
	assert_fault(&s, &int80, X86_VEC_GP, 0x80 * 8 + 2);
	set_gate(0x80, KERNEL_CS, 0, 0xF, 3, true);
	assert_int_equal(x86_deliver(&s, &int80, &ops, NULL, &t, &f), 0);
	assert_int_equal(t.rip, HANDLER + 0x80);
	set_gate(3, KERNEL_CS, 0, 0xE, 0, true);
	assert_int_equal(x86_deliver(&s, &(struct x86_event){ 3, X86_EVENT_EXTERNAL, false, 0 },
				     &ops, NULL, &t, &f), 0);
}

/* Bad gates and code segments, each with the SDM's exception and error code. */
static void test_bad_gates(void **state)
{
	struct x86_state s = long_mode(0);

	(void)state;
	set_gate(0x21, KERNEL_CS, 0, 0xE, 0, false);
	assert_fault(&s, &(struct x86_event){ 0x21, X86_EVENT_EXTERNAL, false, 0 }, X86_VEC_NP,
		     0x21 * 8 + 3);
	set_gate(0x22, KERNEL_CS, 0, 0xC, 0, true);	/* a call gate */
	assert_fault(&s, &(struct x86_event){ 0x22, X86_EVENT_EXTERNAL, false, 0 }, X86_VEC_GP,
		     0x22 * 8 + 3);
	s.idt_limit = 16 * 0x20 - 1;
	assert_fault(&s, &timer, X86_VEC_GP, 0x20 * 8 + 3);
	s.idt_limit = 0xFFF;
	set_gate(0x20, 0, 0, 0xE, 0, true);
	assert_fault(&s, &timer, X86_VEC_GP, 1);
	set_gate(0x20, 0x18, 0, 0xE, 0, true);		/* a data segment */
	set_desc(0x18, 0x3u << 8 | CPU_SEG_FLAGS_S | CPU_SEG_FLAGS_P);
	assert_fault(&s, &timer, X86_VEC_GP, 0x19);
	set_desc(0x18, CODE64_DPL(0u) & ~CPU_SEG_FLAGS_P);
	assert_fault(&s, &timer, X86_VEC_NP, 0x19);
	set_gate(0x20, 0x80, 0, 0xE, 0, true);		/* beyond the GDT */
	assert_fault(&s, &timer, X86_VEC_GP, 0x81);
	set_gate(0x20, KERNEL_CS, 0, 0xE, 0, true);
	s.idt_base = NO_PAGE;
	assert_fault(&s, &timer, X86_VEC_PF, 2);
}

/* SDM table 6-5: which second fault is delivered, which becomes #DF, and the triple fault. */
static void test_double_fault_rules(void **state)
{
	static const struct { u8 first, second, result; } rules[] = {
		{ 0x20, X86_VEC_GP, X86_VEC_GP }, { X86_VEC_DB, X86_VEC_PF, X86_VEC_PF },
		{ X86_VEC_GP, X86_VEC_NP, X86_VEC_DF }, { X86_VEC_DE, X86_VEC_SS, X86_VEC_DF },
		{ X86_VEC_GP, X86_VEC_PF, X86_VEC_PF }, { X86_VEC_PF, X86_VEC_GP, X86_VEC_DF },
		{ X86_VEC_PF, X86_VEC_PF, X86_VEC_DF }, { X86_VEC_PF, X86_VEC_UD, X86_VEC_UD },
	};
	struct x86_fault f;

	(void)state;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		f = (struct x86_fault){ .vector = rules[i].second, .error = 5 };
		assert_true(x86_fault_during_delivery(rules[i].first, &f));
		assert_int_equal(f.vector, rules[i].result);
	}
	f = (struct x86_fault){ .vector = X86_VEC_GP };
	assert_false(x86_fault_during_delivery(X86_VEC_DF, &f));
}

/* Real mode goes through the IVT; 32-bit protected mode is the caller's to refuse. */
static void test_real_and_protected_mode(void **state)
{
	struct x86_state s = {
		.rip = 0x1234, .rsp = 0x2000, .rflags = 0x40202, .cr0 = 0x10,
		.cs = { 0xF0000, 0xFFFF, 0, 0xF000 }, .ss = { 0x3000, 0xFFFF, 0, 0x300 },
		.idt_limit = 0x3FF,
	};
	u16 entry[2] = { 0x5678, 0x0800 }, frame[3];
	struct x86_transfer t;
	struct x86_fault f;

	(void)state;
	memset(mem, 0, sizeof(mem));
	memcpy(mem + 4 * 0x20, entry, sizeof(entry));
	assert_int_equal(x86_deliver(&s, &timer, &ops, NULL, &t, &f), 0);
	assert_int_equal(t.rip, 0x5678);
	assert_int_equal(t.cs.selector, 0x800);
	assert_int_equal(t.cs.base, 0x8000);
	assert_int_equal(t.rsp, 0x1FFA);
	assert_int_equal(t.rflags, 0x2);		/* IF, TF and AC cleared */
	memcpy(frame, mem + 0x3000 + 0x1FFA, sizeof(frame));
	assert_int_equal(frame[0], 0x1234);
	assert_int_equal(frame[1], 0xF000);
	assert_int_equal(frame[2], 0x0202);
	s.cr0 = 0x11;
	assert_int_equal(x86_deliver(&s, &timer, &ops, NULL, &t, &f), -2);
}

/* SYSCALL: LSTAR, STAR's selectors, FMASK, RCX/R11; #UD without SCE or outside 64-bit code. */
static void test_syscall(void **state)
{
	struct x86_state s = long_mode(3);
	struct x86_transfer t;
	u64 rcx = 0, r11 = 0;
	const u64 star = 0x0023001000000000ULL, lstar = 0xFFFFFFFF81800000ULL;

	(void)state;
	s.rflags = 0x10346;	/* RF, IF, TF, ZF, PF */
	assert_true(x86_syscall(&s, star, lstar, 0x47700, &t, &rcx, &r11));
	assert_int_equal(rcx, 0x401000);
	assert_int_equal(r11, 0x346);
	assert_int_equal(t.rip, lstar);
	assert_int_equal(t.rflags, 0x046);
	assert_int_equal(t.cs.selector, 0x10);
	assert_int_equal(t.ss.selector, 0x18);
	assert_true(t.cs.flags & CPU_SEG_FLAGS_L);
	assert_int_equal((t.cs.flags >> 13) & 3, 0);
	assert_int_equal((t.ss.flags >> 13) & 3, 0);
	assert_true(t.ss_changed);
	assert_int_equal(t.rsp, s.rsp);
	s.efer &= ~1ULL;
	assert_false(x86_syscall(&s, star, lstar, 0, &t, &rcx, &r11));
	s.efer |= 1;
	s.cs.flags &= ~CPU_SEG_FLAGS_L;
	assert_false(x86_syscall(&s, star, lstar, 0, &t, &rcx, &r11));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_privilege),
		cmocka_unit_test(test_ist),
		cmocka_unit_test(test_privilege_change),
		cmocka_unit_test(test_software_int_dpl),
		cmocka_unit_test(test_bad_gates),
		cmocka_unit_test(test_double_fault_rules),
		cmocka_unit_test(test_real_and_protected_mode),
		cmocka_unit_test(test_syscall),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
