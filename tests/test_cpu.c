// SPDX-License-Identifier: MIT
/*
 * The CPU core on its own, with this test as the root-mode owner: a flat
 * second stage (GPA modulo memory size, shared bit ignored), TDCALL leaf 0
 * as a port-I/O service, CPUID answered from here.  Runs guests/probe.c
 * from the TDX reset state: 32-bit entry, long mode, #PF and INT3 through
 * the guest IDT, HLT, and a kick from another thread.
 */
#include "tdtest.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

extern const u8 guest_probe[], guest_hello[], guest_usermode[], guest_stalecode[], guest_churn[],
	guest_pingpong[];
extern const u64 guest_probe_size, guest_hello_size, guest_usermode_size, guest_stalecode_size,
	guest_churn_size, guest_pingpong_size;

#define IMAGE_GPA	0xFFFF0000ULL
#define TDX_EFER	0x901ULL

struct owner {
	struct platform *p;
	u64 mem_size;
	char console[256];
	unsigned int console_len;
	u64 reports[32];
	unsigned int nr_reports;
	int exit_code;		/* isa-debug-exit value, -1 until then */
	unsigned int hlts, translations, exits, msr_exits, counted_io;
	u32 last_msr;
	struct {
		u64 rip, rax, rbx;
		struct cpu_io_insn io;
	} io[8];		/* port I/O the core stopped before (io_ops) */
	unsigned int nr_io;
	u64 exit_once_gpa;	/* a second-stage exit the first time this page is used */
	u64 mmio_gpa;		/* a page this owner calls MMIO, though it has no mmio() */
};

static enum cpu_xlate flat_translate(void *data, struct cpu_core *c, u64 gpa, u64 gla,
				     unsigned int access, u64 *hpa, bool *writable)
{
	struct owner *o = data;

	(void)c;
	(void)gla;
	o->translations++;
	gpa &= ~(1ULL << 47) & ~0xFFFULL;
	if (o->exit_once_gpa && gpa == o->exit_once_gpa && !(access & CPU_ACCESS_PROBE)) {
		o->exit_once_gpa = 0;
		cpu_core_exit(c);
		return CPU_XLATE_EXIT;
	}
	if (o->mmio_gpa && gpa == o->mmio_gpa)
		return CPU_XLATE_MMIO;
	*hpa = PLATFORM_MEM_BASE + (gpa & (o->mem_size - 1));
	*writable = true;
	return CPU_XLATE_OK;
}

/* TDG.VP.VMCALL<Instruction.IO> only: enough for the guest kit's output. */
static void io_tdcall(void *data, struct cpu_core *c, struct cpu_regs *r)
{
	struct owner *o = data;
	u64 port = r->gpr[CPU_R14], val = r->gpr[CPU_R15];

	assert_int_equal(r->gpr[CPU_RAX], 0);
	assert_int_equal(r->gpr[CPU_R11], 30);
	if (port == 0x3F8 && o->console_len < sizeof(o->console) - 1)
		o->console[o->console_len++] = (char)val;
	else if (port == 0x80 && o->nr_reports < 32)
		o->reports[o->nr_reports++] = val;
	r->gpr[CPU_RAX] = 0;
	r->gpr[CPU_R10] = 0;
	r->rip += 4;
	if (port == 0xF4) {
		o->exit_code = (int)val;
		o->exits++;
		cpu_core_exit(c);
	}
}

/* CPUID answered from here, HLT counted, MSRs refused with #GP(0). */
static void intercept(void *data, struct cpu_core *c, struct cpu_regs *r,
		      enum cpu_intercept what)
{
	struct owner *o = data;

	switch (what) {
	case CPU_INTERCEPT_CPUID:
		r->gpr[CPU_RAX] = 0xA000 + (r->gpr[CPU_RAX] & 0xFF);
		r->gpr[CPU_RBX] = 0xB000 + (r->gpr[CPU_RCX] & 0xFF);
		r->gpr[CPU_RCX] = 0;
		r->gpr[CPU_RDX] = 0;
		r->rip += 2;
		break;
	case CPU_INTERCEPT_HLT:
		o->hlts++;
		r->rip += 1;
		break;
	case CPU_INTERCEPT_RDTSC:
	case CPU_INTERCEPT_RDTSCP:
		r->gpr[CPU_RAX] = 0x55667788 + (what == CPU_INTERCEPT_RDTSCP);
		r->gpr[CPU_RDX] = 0x11223344;
		r->rip += what == CPU_INTERCEPT_RDTSC ? 2 : 3;
		break;
	case CPU_INTERCEPT_RDMSR:
	case CPU_INTERCEPT_WRMSR:
		o->msr_exits++;
		o->last_msr = (u32)r->gpr[CPU_RCX];
		cpu_core_inject(c, 13, true, 0);
		break;
	default:
		fail();
	}
}

/* SYSENTER_CS, TSC_AUX and the SYSCALL MSRs run natively; nothing else does (EFER always does). */
static bool passthrough(u32 msr, bool write)
{
	(void)write;
	return msr == 0x174 || msr == 0xC0000103 || (msr >= 0xC0000081 && msr <= 0xC0000084);
}

static const struct cpu_ops test_ops = {
	.translate = flat_translate,
	.tdcall = io_tdcall,
	.intercept = intercept,
	.msr_passthrough = passthrough,
};

/*
 * Port I/O as a TD's module sees it: recorded where the core stopped, IN
 * answered with 0x5A5A5A5A, RIP moved on; port 0xF4 ends the run.
 */
static void io_insn(void *data, struct cpu_core *c, struct cpu_regs *r,
		    const struct cpu_io_insn *io)
{
	struct owner *o = data;

	assert_true(o->nr_io < 8);
	o->io[o->nr_io].rip = r->rip;
	o->io[o->nr_io].rax = r->gpr[CPU_RAX];
	o->io[o->nr_io].rbx = r->gpr[CPU_RBX];
	o->io[o->nr_io++].io = *io;
	if (io->in)
		r->gpr[CPU_RAX] = (r->gpr[CPU_RAX] & ~((1ULL << 8 * io->size) - 1)) |
				  (0x5A5A5A5AULL & ((1ULL << 8 * io->size) - 1));
	r->rip += io->len;
	if (io->port == 0xF4) {
		o->exit_code = (int)(r->gpr[CPU_RAX] & 0xFF);
		cpu_core_exit(c);
	}
}

static const struct cpu_ops io_ops = {
	.translate = flat_translate,
	.tdcall = io_tdcall,
	.intercept = intercept,
	.msr_passthrough = passthrough,
	.io_insn = io_insn,
};

/* Port I/O counted and stepped over: the guest runs on however much of it there is. */
static void count_io_insn(void *data, struct cpu_core *c, struct cpu_regs *r,
			  const struct cpu_io_insn *io)
{
	struct owner *o = data;

	(void)c;
	o->counted_io++;
	r->rip += io->len;
}

static const struct cpu_ops count_io_ops = {
	.translate = flat_translate,
	.tdcall = io_tdcall,
	.intercept = intercept,
	.msr_passthrough = passthrough,
	.io_insn = count_io_insn,
};

struct fixture {
	struct owner o;
	struct cpu_group *g;
	struct cpu_core *c;
};

/* A core of @ops at the TDX reset state with @image loaded below 4 GiB. */
static void setup_ops(struct fixture *f, const u8 *image, u64 size, const struct cpu_ops *ops)
{
	struct platform_config cfg;
	struct cpu_regs r;

	memset(f, 0, sizeof(*f));
	platform_default_config(&cfg);
	f->o.p = platform_create(&cfg);
	assert_non_null(f->o.p);
	f->o.mem_size = cfg.mem_size;
	f->o.exit_code = -1;
	assert_int_equal(platform_host_write(f->o.p, PLATFORM_MEM_BASE +
					     (IMAGE_GPA & (cfg.mem_size - 1)), image, size), 0);
	f->g = cpu_group_create();
	f->c = cpu_core_create(f->o.p, f->g, ops, &f->o);
	assert_non_null(f->c);
	cpu_core_get_regs(f->c, &r);
	memset(r.gpr, 0, sizeof(r.gpr));
	r.gpr[CPU_RCX] = 0x1234000;
	r.gpr[CPU_RBX] = 48;
	r.gpr[CPU_RSI] = 3;
	r.rip = 0xFFFFFFF0;
	r.rflags = 2;
	r.cr0 = 0x21;
	r.cr4 = 0x40;
	cpu_core_set_regs(f->c, &r);
	cpu_core_set_protected_mode(f->c, TDX_EFER);
}

static void setup(struct fixture *f, const u8 *image, u64 size)
{
	setup_ops(f, image, size, &test_ops);
}

/* A guest image as vCPU 0 (the kit's other vCPUs halt or return at once). */
static void setup_vcpu0(struct fixture *f, const u8 *image, u64 size, const struct cpu_ops *ops)
{
	struct cpu_regs r;

	setup_ops(f, image, size, ops);
	cpu_core_get_regs(f->c, &r);
	r.gpr[CPU_RSI] = 0;
	cpu_core_set_regs(f->c, &r);
}

static void setup_hello(struct fixture *f)
{
	setup_vcpu0(f, guest_hello, guest_hello_size, &test_ops);
}

/* Runs the core until it stops for good: the host's tick may end a run before the guest is done. */
static enum cpu_run_result run_past_ticks(struct fixture *f)
{
	enum cpu_run_result rr;

	while ((rr = cpu_core_run(f->c)) == CPU_RUN_KICKED)
		;
	return rr;
}

/* A core of @ops with @code at the image's first byte and RIP there (32-bit mode). */
static void setup_code_ops(struct fixture *f, const u8 *code, u64 size, const struct cpu_ops *ops)
{
	struct cpu_regs r;

	setup_ops(f, code, size, ops);
	cpu_core_get_regs(f->c, &r);
	r.rip = IMAGE_GPA;
	cpu_core_set_regs(f->c, &r);
}

static void setup_code(struct fixture *f, const u8 *code, u64 size)
{
	setup_code_ops(f, code, size, &test_ops);
}

static void teardown(struct fixture *f)
{
	cpu_core_destroy(f->c);
	cpu_group_destroy(f->g);
	platform_destroy(f->o.p);
}

static void test_hello(void **state)
{
	struct fixture f;

	(void)state;
	setup_hello(&f);
	assert_int_equal(cpu_core_run(f.c), CPU_RUN_EXIT);
	assert_string_equal(f.o.console, "hello from a TD\n");
	assert_int_equal(f.o.exit_code, 0x21);
	teardown(&f);
}

static void test_probe(void **state)
{
	struct fixture f;
	struct cpu_regs r;

	(void)state;
	setup(&f, guest_probe, guest_probe_size);
	assert_int_equal(cpu_core_run(f.c), CPU_RUN_EXIT);
	assert_string_equal(f.o.console, "probe: hello\n");
	assert_int_equal(f.o.nr_reports, 17);
	assert_int_equal(f.o.reports[0], 0x1234000);	/* initial RCX */
	assert_int_equal(f.o.reports[1], 3);		/* vCPU index from ESI */
	assert_int_equal(f.o.reports[2], 48);		/* GPAW from EBX */
	assert_int_equal(f.o.reports[3], 0xA021);	/* CPUID from the owner */
	assert_int_equal(f.o.reports[4], 0xB000);
	assert_int_equal(f.o.reports[5], 1);		/* one fault ... */
	assert_int_equal(f.o.reports[6], 14);		/* ... a #PF ... */
	assert_int_equal(f.o.reports[7], 0);		/* ... read, not present, CPL 0 */
	assert_int_equal(f.o.reports[8], 0x18000000000ULL);
	assert_int_equal(f.o.reports[9], 3);		/* INT3 */
	assert_int_equal(f.o.reports[10], 0x1234);	/* SYSENTER_CS, no intercept */
	assert_int_equal(f.o.reports[11], 13);		/* RDMSR(TSC): #GP from the owner */
	assert_int_equal(f.o.reports[12], 3);
	assert_int_equal(f.o.reports[13], 0x1122334455667788ULL);	/* RDTSC */
	assert_int_equal(f.o.reports[14], 0x1122334455667789ULL);	/* RDTSCP */
	assert_int_equal(f.o.reports[15], 0x77);			/* its TSC_AUX */
	assert_int_equal(f.o.reports[16], 0xD0E);
	assert_int_equal(f.o.msr_exits, 1);
	assert_int_equal(f.o.last_msr, 0x10);
	assert_int_equal(f.o.hlts, 1);
	assert_int_equal(f.o.exit_code, 0);
	cpu_core_get_regs(f.c, &r);
	assert_true(r.efer & (1ULL << 10));		/* long mode active */
	teardown(&f);
}

/* A second-stage exit in the middle of an instruction, then a retry. */
static void test_translate_exit_retries(void **state)
{
	struct fixture f;

	(void)state;
	setup_hello(&f);
	f.o.exit_once_gpa = 0xFFFFF000;		/* the reset vector's page */
	assert_int_equal(cpu_core_run(f.c), CPU_RUN_EXIT);
	assert_int_equal(f.o.translations, 1);
	assert_int_equal(f.o.exit_code, -1);
	assert_int_equal(cpu_core_run(f.c), CPU_RUN_EXIT);
	assert_string_equal(f.o.console, "hello from a TD\n");
	assert_int_equal(f.o.exit_code, 0x21);
	teardown(&f);
}

static void *kicker(void *arg)
{
	usleep(20000);
	cpu_core_kick(arg);
	return NULL;
}

/* A guest spinning forever leaves on a kick, and resumes where it was. */
static void test_kick(void **state)
{
	static const u8 spin[] = { 0xEB, 0xFE };	/* jmp . */
	struct fixture f;
	struct cpu_regs r;
	pthread_t t;

	(void)state;
	setup_code(&f, spin, sizeof(spin));
	assert_int_equal(pthread_create(&t, NULL, kicker, f.c), 0);
	assert_int_equal(cpu_core_run(f.c), CPU_RUN_KICKED);
	pthread_join(t, NULL);
	cpu_core_get_regs(f.c, &r);
	assert_int_equal(r.rip, IMAGE_GPA);
	teardown(&f);
}

/*
 * An injected event a kick interrupted before the first instruction stays
 * pending and goes at the next run: through this guest's empty IDT, a
 * shutdown, where the spin alone would run on.
 */
static void test_event_survives_kick(void **state)
{
	static const u8 spin[] = { 0xEB, 0xFE };	/* jmp . */
	struct fixture f;

	(void)state;
	setup_code(&f, spin, sizeof(spin));
	assert_false(cpu_core_event_pending(f.c));
	cpu_core_inject(f.c, 0x30, false, 0);
	cpu_core_kick(f.c);
	assert_int_equal(cpu_core_run(f.c), CPU_RUN_KICKED);
	assert_true(cpu_core_event_pending(f.c));
	assert_int_equal(cpu_core_run(f.c), CPU_RUN_SHUTDOWN);
	assert_false(cpu_core_event_pending(f.c));
	teardown(&f);
}

/* An exception with no usable IDT is a triple fault: the core shuts down. */
static void test_triple_fault(void **state)
{
	static const u8 ud2[] = { 0x0F, 0x0B };
	struct fixture f;

	(void)state;
	setup_code(&f, ud2, sizeof(ud2));
	assert_int_equal(cpu_core_run(f.c), CPU_RUN_SHUTDOWN);
	teardown(&f);
}

/* MMIO for an owner without an mmio() callback is an error, never a dropped access. */
static void test_mmio_refused(void **state)
{
	static const u8 load[] = { 0xA1, 0x00, 0x50, 0x00, 0x00, 0xEB, 0xFE };	/* mov eax,[0x5000] */
	struct fixture f;

	(void)state;
	setup_code(&f, load, sizeof(load));
	f.o.mmio_gpa = 0x5000;
	assert_int_equal(cpu_core_run(f.c), CPU_RUN_FAILED);
	assert_non_null(strstr(cpu_core_error(f.c), "MMIO at GPA 0x5000"));
	teardown(&f);
}

/* Port I/O without an io() callback is an error, never silently dropped. */
static void test_port_io_refused(void **state)
{
	static const u8 out80[] = { 0xE6, 0x80, 0xEB, 0xFE };	/* out %al,$0x80; jmp . */
	struct fixture f;

	(void)state;
	setup_code(&f, out80, sizeof(out80));
	assert_int_equal(cpu_core_run(f.c), CPU_RUN_FAILED);
	assert_non_null(strstr(cpu_core_error(f.c), "port I/O"));
	assert_int_equal(cpu_core_run(f.c), CPU_RUN_FAILED);
	teardown(&f);
}

static void assert_io(const struct owner *o, unsigned int i, u64 rip, u16 port, u8 size,
		      u8 len, bool in, bool imm)
{
	const struct cpu_io_insn *io = &o->io[i].io;

	assert_int_equal(o->io[i].rip, rip);
	assert_int_equal(io->port, port);
	assert_int_equal(io->size, size);
	assert_int_equal(io->len, len);
	assert_int_equal(io->in, in);
	assert_int_equal(io->imm, imm);
}

/*
 * With io_insn the core stops before each IN/OUT/INS/OUTS, in the middle
 * of a block: what came before ran once, nothing after it ran, and the
 * owner's answer and RIP stand.
 */
static void test_port_io_precise(void **state)
{
	static const u8 code[] = {
		0xBB, 0, 0, 0, 0,		/* 0: mov $0,%ebx */
		0x43,				/* 5: inc %ebx */
		0x66, 0xBA, 0xF8, 0x03,		/* 6: mov $0x3f8,%dx */
		0xEE,				/* 10: out %al,(%dx) */
		0x43,				/* 11: inc %ebx */
		0xE4, 0x60,			/* 12: in $0x60,%al */
		0x66, 0xED,			/* 14: in (%dx),%ax */
		0x2E, 0xF3, 0x6F,		/* 16: rep outsl %cs:(%esi),(%dx) */
		0xB0, 0x07, 0xE6, 0xF4,		/* 19: mov $7,%al; out %al,$0xf4 */
	};
	struct fixture f;
	const struct cpu_io_insn *outs;

	(void)state;
	setup_code_ops(&f, code, sizeof(code), &io_ops);
	assert_int_equal(cpu_core_run(f.c), CPU_RUN_EXIT);
	assert_int_equal(f.o.nr_io, 5);
	assert_io(&f.o, 0, IMAGE_GPA + 10, 0x3F8, 1, 1, false, false);
	assert_int_equal(f.o.io[0].rbx, 1);
	assert_io(&f.o, 1, IMAGE_GPA + 12, 0x60, 1, 2, true, true);
	assert_int_equal(f.o.io[1].rbx, 2);
	assert_io(&f.o, 2, IMAGE_GPA + 14, 0x3F8, 2, 2, true, false);
	assert_int_equal(f.o.io[2].rax & 0xFF, 0x5A);
	assert_io(&f.o, 3, IMAGE_GPA + 16, 0x3F8, 4, 3, false, false);
	outs = &f.o.io[3].io;
	assert_true(outs->string && outs->rep);
	assert_int_equal(outs->seg, CPU_CS);
	assert_int_equal(outs->addr_size, 4);
	assert_int_equal(f.o.io[3].rax & 0xFFFF, 0x5A5A);
	assert_io(&f.o, 4, IMAGE_GPA + 21, 0xF4, 1, 2, false, true);
	assert_int_equal(f.o.exit_code, 7);
	teardown(&f);
}

/*
 * The guest rewrites an OUT it ran into a NOP: the stopping point left at
 * that address finds no I/O there, goes, and the NOP runs.
 */
static void test_port_io_code_changed(void **state)
{
	static const u8 code[] = {
		0xBB, 0, 0, 0, 0,			/* 0: mov $0,%ebx */
		0xEE,					/* 5: out %al,(%dx) */
		0x43,					/* 6: inc %ebx */
		0x83, 0xFB, 0x02,			/* 7: cmp $2,%ebx */
		0x74, 0x09,				/* 10: je 21 */
		0xC6, 0x05, 0x05, 0x00, 0xFF, 0xFF, 0x90, /* 12: movb $0x90,0xffff0005 */
		0xEB, 0xF0,				/* 19: jmp 5 */
		0xB0, 0x03, 0xE6, 0xF4,			/* 21: mov $3,%al; out %al,$0xf4 */
	};
	struct fixture f;
	struct cpu_regs r;

	(void)state;
	setup_code_ops(&f, code, sizeof(code), &io_ops);
	assert_int_equal(cpu_core_run(f.c), CPU_RUN_EXIT);
	assert_int_equal(f.o.nr_io, 2);
	assert_io(&f.o, 0, IMAGE_GPA + 5, 0, 1, 1, false, false);
	assert_io(&f.o, 1, IMAGE_GPA + 23, 0xF4, 1, 2, false, true);
	cpu_core_get_regs(f.c, &r);
	assert_int_equal(r.gpr[CPU_RBX], 2);
	assert_int_equal(f.o.exit_code, 3);
	teardown(&f);
}

/*
 * CPL 3 as Linux's user space reaches it: SYSCALL and SYSRET, INT n
 * through a DPL-3 gate onto TSS.RSP0, INT n through a DPL-0 gate (#GP with
 * the gate's error code), a user read of a supervisor page (#PF), INT3
 * on an IST stack (guests/usermode.c).
 */
static void test_usermode(void **state)
{
	struct fixture f;

	(void)state;
	setup_vcpu0(&f, guest_usermode, guest_usermode_size, &test_ops);
	assert_int_equal(run_past_ticks(&f), CPU_RUN_EXIT);
	assert_string_equal(f.o.console, "usermode: back in the kernel\n");
	assert_int_equal(f.o.exit_code, 0);
	assert_int_equal(f.o.nr_reports, 12);
	assert_int_equal(f.o.reports[0], 2);		/* RCX: past the SYSCALL */
	assert_int_equal(f.o.reports[1], 0x202);	/* R11: the user's RFLAGS */
	assert_int_equal(f.o.reports[2], 0x08);		/* CS from STAR */
	assert_int_equal(f.o.reports[3], 0x002);	/* RFLAGS masked by FMASK */
	assert_int_equal(f.o.reports[4], 0x5CA11);	/* SYSRET came back */
	assert_int_equal(f.o.reports[5], 0x23);		/* INT $0x80: the user's CS ... */
	assert_int_equal(f.o.reports[6], 0x1B);		/* ... and SS in the frame ... */
	assert_int_equal(f.o.reports[7], 1);		/* ... on TSS.RSP0's stack */
	assert_int_equal(f.o.reports[8], 0x40A);	/* INT $0x81, a DPL-0 gate: #GP(0x81 * 8 + 2) */
	assert_int_equal(f.o.reports[9], 5);		/* #PF: present, user */
	assert_int_equal(f.o.reports[10], 0x40000000);
	assert_int_equal(f.o.reports[11], 1);		/* INT3 on IST1 */
	teardown(&f);
}

/*
 * The engine's own lookups of code it drops after each run (at its I/O
 * stopping points) never become guest faults, even once the guest unmapped
 * that code (guests/stalecode.c): the guest sees its INT3, and no #PF.
 */
static void test_unmapped_stopping_point(void **state)
{
	struct fixture f;

	(void)state;
	setup_vcpu0(&f, guest_stalecode, guest_stalecode_size, &io_ops);
	assert_int_equal(run_past_ticks(&f), CPU_RUN_EXIT);
	assert_int_equal(f.o.exit_code, 0);
	assert_int_equal(f.o.nr_io, 1);
	assert_int_equal(f.o.io[0].rip, (4ULL << 39) + 16);
	assert_int_equal(f.o.nr_reports, 2);
	assert_int_equal(f.o.reports[0], 1);	/* the INT3 */
	assert_int_equal(f.o.reports[1], 0);	/* no #PF */
	teardown(&f);
}

/*
 * SHLX and ADCX with CR4.OSFXSR clear, as Linux's decompressor runs them:
 * the engine refuses them (#UD), the core emulates them.
 */
static void test_bmi_without_osfxsr(void **state)
{
	static const u8 code[] = {
		0xB9, 0x04, 0x00, 0x00, 0x00,		/* mov $4,%ecx */
		0xB8, 0x03, 0x00, 0x00, 0x00,		/* mov $3,%eax */
		0xC4, 0xE2, 0x71, 0xF7, 0xD0,		/* shlx %ecx,%eax,%edx */
		0xF9,					/* stc */
		0xBB, 0x0F, 0x00, 0x00, 0x00,		/* mov $0xf,%ebx */
		0x66, 0x0F, 0x38, 0xF6, 0xD3,		/* adcx %ebx,%edx */
		0x89, 0xD0,				/* mov %edx,%eax */
		0xE6, 0xF4,				/* out %al,$0xf4 */
	};
	struct fixture f;

	(void)state;
	setup_code_ops(&f, code, sizeof(code), &io_ops);
	assert_int_equal(cpu_core_run(f.c), CPU_RUN_EXIT);
	assert_int_equal(f.o.exit_code, (3 << 4) + 0xF + 1);
	teardown(&f);
}

/*
 * Translation-buffer flushes under load (guests/churn.c): code rewritten
 * and run until the buffer has filled several times; every function
 * returns what its latest bytes say, and each of its 196,608 OUTs reaches
 * the owner.  Unicorn 2.1.1 dropped the blocks at all 8192 stopping points
 * after every run: 28 s, and a SIGBUS in most runs.
 */
static void test_code_churn(void **state)
{
	struct fixture f;
	u64 expect = 0;

	(void)state;
	for (u64 round = 0; round < 24; round++)
		for (u64 i = 0; i < 8192; i++)
			expect += round * 7 + i;
	setup_vcpu0(&f, guest_churn, guest_churn_size, &count_io_ops);
	assert_int_equal(run_past_ticks(&f), CPU_RUN_EXIT);
	assert_int_equal(f.o.exit_code, 0);
	assert_int_equal(f.o.nr_reports, 1);
	assert_int_equal(f.o.reports[0], expect);
	assert_int_equal(f.o.counted_io, 24 * 8192);
	teardown(&f);
}

/*
 * Code the guest rewrites after it ran: the new code runs, whether the
 * store goes through the mapping whose TLB entry already caught one store
 * into that code (Unicorn 2.1 checks an entry's first store only) or
 * through another guest-physical alias of the same host page.  Debian's OVMF died in DXE
 * of the first: a driver's code ran as an older image's at that address.
 */
static void test_code_rewritten(void **state)
{
	static const u8 code[] = {
		0xC6, 0x05, 0x10, 0x10, 0xFF, 0xBF, 0x90,	/* movb $0x90,A+0x10 */
		0xC7, 0x05, 0x00, 0x10, 0xFF, 0xFF,		/* movl $0x1b8,P: */
		0xB8, 0x01, 0x00, 0x00,				/*   mov $1,%eax ... */
		0x66, 0xC7, 0x05, 0x04, 0x10, 0xFF, 0xFF,	/* movw $0xc300,P+4: */
		0x00, 0xC3,					/*   ... ret */
		0xBC, 0x00, 0x30, 0xFF, 0xFF,			/* mov $0xffff3000,%esp */
		0xBE, 0x00, 0x10, 0xFF, 0xFF,			/* mov $P,%esi */
		0xFF, 0xD6,					/* call *%esi: 1 */
		0x89, 0xC3,					/* mov %eax,%ebx */
		0xC6, 0x05, 0x01, 0x10, 0xFF, 0xFF, 0x02,	/* movb $2,P+1 */
		0xFF, 0xD6,					/* call *%esi: 2 */
		0x01, 0xC3,					/* add %eax,%ebx */
		0xC6, 0x05, 0x01, 0x10, 0xFF, 0xFF, 0x08,	/* movb $8,P+1 */
		0xFF, 0xD6,					/* call *%esi: 8 */
		0x01, 0xC3,					/* add %eax,%ebx */
		0xC6, 0x05, 0x01, 0x10, 0xFF, 0xBF, 0x04,	/* movb $4,A+1 */
		0xFF, 0xD6,					/* call *%esi: 4 */
		0x01, 0xC3,					/* add %eax,%ebx */
		0x89, 0xD8,					/* mov %ebx,%eax */
		0xE6, 0xF4,					/* out %al,$0xf4 */
	};
	struct fixture f;

	(void)state;
	/* P = 0xffff1000; A = 0xbfff1000 is P's page too (the flat second stage wraps at 1 GiB). */
	setup_code_ops(&f, code, sizeof(code), &io_ops);
	assert_int_equal(cpu_core_run(f.c), CPU_RUN_EXIT);
	assert_int_equal(f.o.exit_code, 1 + 2 + 8 + 4);
	teardown(&f);
}

/* Another core of @f's group with @f's owner, in 32-bit flat mode at @rip. */
static struct cpu_core *add_core(struct fixture *f, const struct cpu_ops *ops, u64 rip)
{
	struct cpu_core *c = cpu_core_create(f->o.p, f->g, ops, &f->o);
	struct cpu_regs r;

	assert_non_null(c);
	cpu_core_get_regs(f->c, &r);
	r.rip = rip;
	cpu_core_set_regs(c, &r);
	cpu_core_set_protected_mode(c, TDX_EFER);
	return c;
}

/*
 * Code one core writes is what the other core runs next (Linux patches
 * its text on one CPU and syncs the others): core 0 calls P, which returns
 * the byte core 1 increments.  The second round also checks core 1's
 * writable TLB entry went when core 0 made the page code again.
 */
static void test_code_written_by_other_core(void **state)
{
	static const u8 caller[] = {
		0xBC, 0x00, 0x30, 0xFF, 0xFF,		/* mov $0xffff3000,%esp */
		0xBE, 0x00, 0x10, 0xFF, 0xFF,		/* 1: mov $P,%esi */
		0xFF, 0xD6,				/* call *%esi */
		0xE6, 0xF4,				/* out %al,$0xf4 */
		0xEB, 0xF5,				/* jmp 1b */
	};
	static const u8 patcher[] = {
		0xFE, 0x05, 0x01, 0x10, 0xFF, 0xFF,	/* 1: incb P+1 */
		0xE6, 0xF4,				/* out %al,$0xf4 */
		0xEB, 0xF6,				/* jmp 1b */
	};
	static const u8 p[] = { 0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3 };	/* mov $1,%eax; ret */
	static u8 image[0x1100];
	struct cpu_core *other;
	struct fixture f;

	(void)state;
	memcpy(image, caller, sizeof(caller));
	memcpy(image + 0x100, patcher, sizeof(patcher));
	memcpy(image + 0x1000, p, sizeof(p));		/* P = 0xffff1000 */
	setup_code_ops(&f, image, sizeof(image), &io_ops);
	other = add_core(&f, &io_ops, IMAGE_GPA + 0x100);
	for (int round = 1; round <= 4; round++) {
		assert_int_equal(cpu_core_run(f.c), CPU_RUN_EXIT);
		assert_int_equal(f.o.exit_code, round);
		f.o.exit_code = -1;
		assert_int_equal(cpu_core_run(other), CPU_RUN_EXIT);
		f.o.nr_io = 0;
	}
	cpu_core_destroy(other);
	teardown(&f);
}

static void *run_other(void *arg)
{
	while (cpu_core_run(arg) == CPU_RUN_KICKED)
		;
	return NULL;
}

/*
 * A core spinning with PAUSE gives the group to a core waiting for it, so
 * most hand-offs of the turn cost a few PAUSEs, not the spinner's whole
 * quantum (about 2,000).  Some take longer however fast the engine is: the
 * other core's thread is not waiting while the host's tick parks it.
 */
static void test_pause_yields(void **state)
{
	struct cpu_core *other;
	struct fixture f;
	struct cpu_regs r;
	pthread_t t;

	(void)state;
	setup_vcpu0(&f, guest_pingpong, guest_pingpong_size, &test_ops);
	other = add_core(&f, &test_ops, 0xFFFFFFF0);
	cpu_core_get_regs(other, &r);
	r.gpr[CPU_RSI] = 1;
	cpu_core_set_regs(other, &r);
	assert_int_equal(pthread_create(&t, NULL, run_other, other), 0);
	assert_int_equal(run_past_ticks(&f), CPU_RUN_EXIT);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(f.o.nr_reports, 2);
	assert_in_range(f.o.reports[0], 500, 1000);	/* quick rounds of 1000 */
	assert_in_range(f.o.reports[1], 500, 1000);
	cpu_core_destroy(other);
	teardown(&f);
}

/* 32-bit flat protected mode at CPL 3 with @rflags; no TSS. */
static void enter_cpl3(struct fixture *f, u64 rflags)
{
	const u32 code = 0xB << 8 | CPU_SEG_FLAGS_S | 3u << 13 | CPU_SEG_FLAGS_P |
			 CPU_SEG_FLAGS_DB | CPU_SEG_FLAGS_G;
	const u32 data = 0x3 << 8 | CPU_SEG_FLAGS_S | 3u << 13 | CPU_SEG_FLAGS_P |
			 CPU_SEG_FLAGS_DB | CPU_SEG_FLAGS_G;
	struct cpu_segs segs = { 0 };
	struct cpu_regs r;

	cpu_core_get_regs(f->c, &r);
	r.rflags = rflags;
	for (int i = CPU_ES; i <= CPU_GS; i++)
		segs.seg[i] = (struct cpu_segment){ 0, 0xFFFFFFFF, data, 0x23 };
	segs.seg[CPU_CS] = (struct cpu_segment){ 0, 0xFFFFFFFF, code, 0x1B };
	assert_int_equal(cpu_core_set_state(f->c, &r, &segs), 0);
}

/*
 * The CPU's IOPL and TSS checks come before the I/O exit: at CPL 3 with
 * IOPL 0 and no TSS, OUT is a #GP(0) (here undeliverable: 32-bit mode);
 * with IOPL 3 the owner gets it.
 */
static void test_port_io_privilege(void **state)
{
	static const u8 code[] = { 0xB0, 0x05, 0xE6, 0xF4 };	/* mov $5,%al; out %al,$0xf4 */
	struct fixture f;

	(void)state;
	setup_code_ops(&f, code, sizeof(code), &io_ops);
	enter_cpl3(&f, 0x2);
	assert_int_equal(cpu_core_run(f.c), CPU_RUN_SHUTDOWN);
	assert_int_equal(cpu_core_undeliverable_vector(f.c), 13);
	assert_int_equal(f.o.nr_io, 0);
	teardown(&f);

	setup_code_ops(&f, code, sizeof(code), &io_ops);
	enter_cpl3(&f, 0x3002);
	assert_int_equal(cpu_core_run(f.c), CPU_RUN_EXIT);
	assert_int_equal(f.o.nr_io, 1);
	assert_int_equal(f.o.exit_code, 5);
	teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_port_io_precise),
		cmocka_unit_test(test_port_io_code_changed),
		cmocka_unit_test(test_port_io_privilege),
		cmocka_unit_test(test_code_rewritten),
		cmocka_unit_test(test_code_churn),
		cmocka_unit_test(test_code_written_by_other_core),
		cmocka_unit_test(test_pause_yields),
		cmocka_unit_test(test_usermode),
		cmocka_unit_test(test_bmi_without_osfxsr),
		cmocka_unit_test(test_unmapped_stopping_point),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_translate_exit_retries),
		cmocka_unit_test(test_kick),
		cmocka_unit_test(test_event_survives_kick),
		cmocka_unit_test(test_triple_fault),
		cmocka_unit_test(test_mmio_refused),
		cmocka_unit_test(test_port_io_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
