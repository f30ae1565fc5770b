// SPDX-License-Identifier: MIT
/*
 * Event delivery and SYSCALL as the SDM defines them, engine-free.  Every
 * memory access here is an implicit supervisor access through the
 * caller's callbacks; every check raises the exception, with the error
 * code, that the SDM gives for it (vol. 3, 6.12.1 and 6.14).
 */
#include "x86_event.h"

#include <string.h>

#define CR0_PE		(1ULL << 0)
#define EFER_SCE	(1ULL << 0)
#define EFER_LMA	(1ULL << 10)
#define RFLAGS_TF	(1ULL << 8)
#define RFLAGS_IF	(1ULL << 9)
#define RFLAGS_NT	(1ULL << 14)
#define RFLAGS_RF	(1ULL << 16)
#define RFLAGS_VM	(1ULL << 17)
#define RFLAGS_AC	(1ULL << 18)

#define GATE_INTR64	0xE
#define GATE_TRAP64	0xF
#define DESC_CODE	(1u << 11)	/* type bit 3, in the high dword */
#define DESC_CONFORMING	(1u << 10)
#define TSS64_AVAIL	0x9
#define TSS64_BUSY	0xB
#define TSS_RSP0	4
#define TSS_IST1	0x24

/* Flat 64-bit code and 32-bit stack segments as SYSCALL loads them. */
#define SYSCALL_CS_FLAGS (0xBu << 8 | CPU_SEG_FLAGS_S | CPU_SEG_FLAGS_P | CPU_SEG_FLAGS_L | \
			  CPU_SEG_FLAGS_G)
#define SYSCALL_SS_FLAGS (0x3u << 8 | CPU_SEG_FLAGS_S | CPU_SEG_FLAGS_P | CPU_SEG_FLAGS_DB | \
			  CPU_SEG_FLAGS_G)

bool x86_vector_has_error(u8 vector)
{
	return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 ||
	       vector == 29 || vector == 30;
}

enum fault_class { BENIGN, CONTRIBUTORY, PAGE_FAULT };

static enum fault_class fault_class(u8 vector)
{
	if (vector == X86_VEC_PF)
		return PAGE_FAULT;
	if (vector == X86_VEC_DE || (vector >= X86_VEC_TS && vector <= X86_VEC_GP))
		return CONTRIBUTORY;
	return BENIGN;
}

bool x86_fault_during_delivery(u8 first, struct x86_fault *second)
{
	enum fault_class a = fault_class(first), b = fault_class(second->vector);

	if (first == X86_VEC_DF)
		return false;
	if ((a == CONTRIBUTORY && b == CONTRIBUTORY) || (a == PAGE_FAULT && b != BENIGN))
		*second = (struct x86_fault){ .vector = X86_VEC_DF, .error = 0 };
	return true;
}

static int fault(struct x86_fault *f, u8 vector, u32 error)
{
	*f = (struct x86_fault){ .vector = vector, .error = error };
	return -1;
}

static bool canonical(u64 la)
{
	return (u64)((int64_t)(la << 16) >> 16) == la;
}

/* The segment cache a descriptor loads (flags: bits 8-23 of the high dword, in place). */
static struct cpu_segment seg_from_desc(u32 lo, u32 hi, u16 selector)
{
	u32 limit = (lo & 0xFFFF) | (hi & 0xF0000);

	return (struct cpu_segment){
		.base = (lo >> 16) | (hi & 0xFF) << 16 | (hi & 0xFF000000),
		.limit = hi & CPU_SEG_FLAGS_G ? limit << 12 | 0xFFF : limit,
		.flags = hi & 0x00F0FF00,
		.selector = selector,
	};
}

/* Real mode: the IVT entry, FLAGS, CS and IP on SS:SP; IF, TF and AC cleared. */
static int deliver_real(const struct x86_state *s, const struct x86_event *ev,
			const struct x86_mem_ops *m, void *ctx, struct x86_transfer *t,
			struct x86_fault *f)
{
	u16 entry[2], frame[3];
	u16 sp = (u16)(s->rsp - sizeof(frame));

	if (4u * ev->vector + 3 > s->idt_limit)
		return fault(f, X86_VEC_GP, 0);
	if (m->read(ctx, s->idt_base + 4u * ev->vector, entry, sizeof(entry), f))
		return -1;
	frame[0] = (u16)s->rip;
	frame[1] = s->cs.selector;
	frame[2] = (u16)s->rflags;
	if (m->write(ctx, s->ss.base + sp, frame, sizeof(frame), f))
		return -1;
	*t = (struct x86_transfer){
		.rip = entry[0],
		.rsp = (s->rsp & ~0xFFFFULL) | sp,
		.rflags = s->rflags & ~(RFLAGS_TF | RFLAGS_IF | RFLAGS_AC),
		.cs = s->cs,
		.ss = s->ss,
	};
	t->cs.selector = entry[1];
	t->cs.base = (u64)entry[1] << 4;
	return 0;
}

/* The stack pointer from the 64-bit TSS at @off, checked against TR. */
static int tss_stack(const struct x86_state *s, unsigned int off, u32 ext,
		     const struct x86_mem_ops *m, void *ctx, u64 *rsp, struct x86_fault *f)
{
	u32 type = (s->tr.flags >> 8) & 0xF;

	if (!(s->tr.flags & CPU_SEG_FLAGS_P) || (type != TSS64_AVAIL && type != TSS64_BUSY) ||
	    off + 7 > s->tr.limit)
		return fault(f, X86_VEC_TS, (s->tr.selector & ~3u) | ext);
	if (m->read(ctx, s->tr.base + off, rsp, sizeof(*rsp), f))
		return -1;
	if (!canonical(*rsp))
		return fault(f, X86_VEC_SS, ext);
	return 0;
}

/* The code segment a 64-bit gate names, checked as the CPU checks it. */
static int gate_code_segment(const struct x86_state *s, u16 sel, u32 ext,
			     const struct x86_mem_ops *m, void *ctx, struct cpu_segment *cs,
			     struct x86_fault *f)
{
	u32 desc[2], dpl;

	if (!(sel & ~3u))
		return fault(f, X86_VEC_GP, ext);
	/* LDT code segments are refused, as Linux never uses them for gates. */
	if ((sel & 4) || (sel | 7u) > s->gdt_limit)
		return fault(f, X86_VEC_GP, (sel & ~3u) | ext);
	if (m->read(ctx, s->gdt_base + (sel & ~7u), desc, sizeof(desc), f))
		return -1;
	*cs = seg_from_desc(desc[0], desc[1], sel);
	dpl = (desc[1] >> 13) & 3;
	if (!(desc[1] & CPU_SEG_FLAGS_S) || !(desc[1] & DESC_CODE) ||
	    !(desc[1] & CPU_SEG_FLAGS_L) || (desc[1] & CPU_SEG_FLAGS_DB) || dpl > s->cpl)
		return fault(f, X86_VEC_GP, (sel & ~3u) | ext);
	if (!(desc[1] & CPU_SEG_FLAGS_P))
		return fault(f, X86_VEC_NP, (sel & ~3u) | ext);
	return 0;
}

static int deliver_long(const struct x86_state *s, const struct x86_event *ev,
			const struct x86_mem_ops *m, void *ctx, struct x86_transfer *t,
			struct x86_fault *f)
{
	u32 ext = ev->kind == X86_EVENT_EXTERNAL, idt_err = ev->vector * 8u + 2 + ext;
	u8 gate[16];
	u64 frame[6], rsp = s->rsp;
	unsigned int n = 0, type, ist, cpl;
	struct cpu_segment cs;

	if (16u * ev->vector + 15 > s->idt_limit)
		return fault(f, X86_VEC_GP, idt_err);
	if (m->read(ctx, s->idt_base + 16u * ev->vector, gate, sizeof(gate), f))
		return -1;
	type = gate[5] & 0xF;
	if (type != GATE_INTR64 && type != GATE_TRAP64)
		return fault(f, X86_VEC_GP, idt_err);
	if (ev->kind == X86_EVENT_SOFTWARE && ((gate[5] >> 5) & 3) < s->cpl)
		return fault(f, X86_VEC_GP, idt_err);
	if (!(gate[5] & 0x80))
		return fault(f, X86_VEC_NP, idt_err);
	if (gate_code_segment(s, (u16)(gate[2] | gate[3] << 8), ext, m, ctx, &cs, f))
		return -1;
	cpl = cs.flags & DESC_CONFORMING ? s->cpl : (cs.flags >> 13) & 3;
	ist = gate[4] & 7;
	if (ist && tss_stack(s, TSS_IST1 + 8 * (ist - 1), ext, m, ctx, &rsp, f))
		return -1;
	if (!ist && cpl < s->cpl && tss_stack(s, TSS_RSP0 + 8 * cpl, ext, m, ctx, &rsp, f))
		return -1;
	if (ev->has_error)
		frame[n++] = ev->error;
	frame[n++] = s->rip;
	frame[n++] = s->cs.selector;
	frame[n++] = s->rflags;
	frame[n++] = s->rsp;
	frame[n++] = s->ss.selector;
	/* 64-bit delivery aligns the stack; frame[] is already in memory order. */
	rsp = (rsp & ~0xFULL) - 8ULL * n;
	if (m->write(ctx, rsp, frame, 8 * n, f))
		return -1;
	cs.selector = (u16)((cs.selector & ~3u) | cpl);
	*t = (struct x86_transfer){
		.rip = (u64)gate[0] | (u64)gate[1] << 8 | (u64)gate[6] << 16 | (u64)gate[7] << 24 |
		       (u64)gate[8] << 32 | (u64)gate[9] << 40 | (u64)gate[10] << 48 |
		       (u64)gate[11] << 56,
		.rsp = rsp,
		.rflags = s->rflags & ~(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM |
					(type == GATE_INTR64 ? RFLAGS_IF : 0)),
		.cs = cs,
		.ss = s->ss,
	};
	if (cpl != s->cpl) {
		/* A privilege change loads a NULL SS whose RPL is the new CPL. */
		t->ss = (struct cpu_segment){ .selector = (u16)cpl, .flags = cpl << 13 };
		t->ss_changed = true;
	}
	return 0;
}

int x86_deliver(const struct x86_state *s, const struct x86_event *ev,
		const struct x86_mem_ops *m, void *ctx, struct x86_transfer *t, struct x86_fault *f)
{
	if (!(s->cr0 & CR0_PE))
		return deliver_real(s, ev, m, ctx, t, f);
	if (!(s->efer & EFER_LMA))
		return -2;
	return deliver_long(s, ev, m, ctx, t, f);
}

bool x86_syscall(const struct x86_state *s, u64 star, u64 lstar, u64 fmask,
		 struct x86_transfer *t, u64 *rcx, u64 *r11)
{
	u16 sel = (u16)(star >> 32);

	if (!(s->efer & EFER_SCE) || !(s->efer & EFER_LMA) || !(s->cs.flags & CPU_SEG_FLAGS_L))
		return false;
	*rcx = s->rip;
	*r11 = s->rflags & ~RFLAGS_RF;
	*t = (struct x86_transfer){
		.rip = lstar,
		.rsp = s->rsp,
		.rflags = (s->rflags & ~fmask & ~RFLAGS_RF) | 2,
		.cs = { .base = 0, .limit = 0xFFFFFFFF, .flags = SYSCALL_CS_FLAGS,
			.selector = sel & 0xFFFC },
		.ss = { .base = 0, .limit = 0xFFFFFFFF, .flags = SYSCALL_SS_FLAGS,
			.selector = (u16)(sel + 8) },
		.ss_changed = true,
	};
	return true;
}
