// SPDX-License-Identifier: MIT
/*
 * CPU cores on the Unicorn 2.1 emulator: the only file that includes
 * unicorn.h.  See ../shared/reference/unicorn-notes.md for the engine
 * behaviour this relies on; the shape of it:
 *
 * - Every engine is UC_MODE_64 (its register API is 64-bit only) and is put
 *   into 32-bit protected mode by register writes.
 * - All physical memory is mapped once at its HPA.  The engine never walks
 *   page tables itself (UC_TLB_VIRTUAL): on a TLB miss this file walks the
 *   guest's tables and asks the owner's second stage for each GPA, so a
 *   private/shared switch is a TLB flush, never a remap.
 * - Unicorn delivers no exception through the guest IDT; this file does.
 *   Because Unicorn never clears QEMU's "exception in flight", the next
 *   exception would become a #DF: its offset in the context blob is found
 *   at run time and reset after every exception.
 * - Unicorn has no hooks that stop before CPUID, HLT, RDMSR or WRMSR.
 *   QEMU's SVM intercept checks do, and Unicorn kept them: the engine runs
 *   as an SVM guest (HF_GUEST_MASK and the intercept vector set in the
 *   context blob, a VMCB and MSR permission map mapped outside RAM), and
 *   the "VM exit" arrives in the interrupt hook at the instruction.
 * - Each core runs on its own thread, so a callback can block in the middle
 *   of an instruction while the host answers (cpu_core_exit()).
 * - MMIO pages all sit in one uc_mmio_map region, at MMIO_WINDOW_PA plus
 *   their GPA, so the access callback learns the GPA from its offset and
 *   no region is ever added per page.
 * - Any mode (real, protected, long) is loaded by register writes for the
 *   control registers, then segment caches patched into the context blob
 *   with the mode flags QEMU derives from them (cpu_core_set_state()).
 *   Real-mode events go through the IVT, long-mode ones through the IDT.
 */
#include "page_map.h"
#include "platform_internal.h"
#include "x86_emulate.h"
#include "x86_event.h"
#include "x86_insn.h"
#include "x86_walk.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unicorn/unicorn.h>
#include <unistd.h>

#define QUANTUM_BLOCKS		4096
#define SPIN_GAP_BLOCKS		2	/* a run back to the same PAUSE this short only spun */
#define SPIN_STREAK		16	/* such runs in a row: the core waits for good */
#define SPIN_DOZE_NS		1000000
#define TICK_CHECK_BLOCKS	1024
#define TICK_NS			10000000ULL	/* the host's timer tick: 10 ms */
/*
 * Translated code: Unicorn 2.1 zeroes the whole buffer at every TB flush
 * (tcg_region_assign), 1 GiB by default, which took 0.3-2.5 s a flush.
 */
#define TCG_BUFFER_BYTES	(32u << 20)
#define HANDOVER_SPINS		4000		/* about 100 us of PAUSE */
#define DR0_MAGIC		0x5AFE7D0C0FFEE123ULL
#define RAX_MAGIC		0x7D0C0FFEE1235AFEULL

/* QEMU's SVM model: exit codes, the intercept bit of each, the VMCB. */
#define EXCP_VMEXIT		0x100
#define SVM_EXIT_INTR		0x060
#define SVM_EXIT_RDTSC		0x06e
#define SVM_EXIT_CPUID		0x072
#define SVM_EXIT_INVD		0x076
#define SVM_EXIT_PAUSE		0x077
#define SVM_EXIT_HLT		0x078
#define SVM_EXIT_MSR		0x07c
#define SVM_EXIT_WBINVD		0x089
#define SVM_EXIT_MONITOR	0x08a
#define SVM_EXIT_RDTSCP		0x087
#define SVM_EXIT_MWAIT		0x08b
#define SVM_BIT(exit)		(1ULL << ((exit) - SVM_EXIT_INTR))
#define HF_GUEST_MASK		(1u << 21)
#define HF_LMA_CS64_MASK	(3u << 14)
/* The hflags QEMU derives from the segment caches (cpu_x86_load_seg_cache). */
#define HF_CPL_MASK		3u
#define HF_CS32_MASK		(1u << 4)
#define HF_SS32_MASK		(1u << 5)
#define HF_ADDSEG_MASK		(1u << 6)
#define HF_PE_MASK		(1u << 7)
#define HF_LMA_MASK		(1u << 14)
#define HF_CS64_MASK		(1u << 15)
#define HF2_NMI_MASK		(1u << 2)	/* in hflags2, right after hflags: NMI blocked */
#define SEG_CACHE_SIZE		24	/* QEMU's SegmentCache: selector, base, limit, flags */
#define VMCB_MSRPM_BASE		72	/* offsetof(struct vmcb, control.msrpm_base_pa) */
/* Outside any RAM: the VMCB page, then the 8 KiB MSR permission map. */
#define SVM_AREA_PA		0xF00000000000ULL
#define SVM_AREA_SIZE		(3 * 4096)
/*
 * The MMIO window: an owner's MMIO page at GPA g sits at MMIO_WINDOW_PA + g
 * on the engine's bus, one uc_mmio_map region for all of them (regions are
 * slow to add and capped near 4096), so a callback's offset is the GPA.
 */
#define MMIO_WINDOW_PA		(1ULL << 50)
#define MMIO_WINDOW_SIZE	(1ULL << 50)
/*
 * Where the core asks the engine to drop the code of host page P: a
 * non-canonical address that only this file's fill answers, with P.
 */
#define CODE_PROBE_VA(hpa)	((1ULL << 63) | (hpa))
#define FS_BASE_MAGIC		0x0FF5E7B45E5AFE11ULL
#define GDT_BASE_MAGIC		0x6D7B45E0C0DE5A11ULL
#define TDCALL_BYTES		"\x66\x0f\x01\xcc"

#define CR0_PE			(1ULL << 0)
#define CR0_PG			(1ULL << 31)
#define CR4_PAE			(1ULL << 5)
#define CR4_OSFXSR		(1ULL << 9)
#define EFER_LMA		(1ULL << 10)
#define RFLAGS_IF		(1ULL << 9)
#define RFLAGS_VM		(1ULL << 17)

enum core_state { CORE_PARKED, CORE_RUNNING, CORE_QUIT };

#define GROUP_MAX_CORES	64

struct cpu_group {
	/*
	 * A ticket lock: the core holding the current ticket executes; FIFO,
	 * so fair.  Each waiter sleeps on the futex word of its own ticket's
	 * slot (at most GROUP_MAX_CORES tickets are out), so a hand-over wakes
	 * the next core only: with one word for all, every hand-over woke
	 * every waiting core (16 vCPUs on 2 host CPUs: 150,000 switches/s).
	 */
	_Atomic u64 next_ticket, now_serving;
	_Atomic u32 turn[GROUP_MAX_CORES];	/* the ticket last served in each slot */
	_Atomic int waiters;
	/*
	 * Each core has an engine, and each engine its own translated code,
	 * so code is kept coherent here: the host pages any core translated
	 * code from, with a bit for each core that did (see grant()).  Under
	 * code_lock, with cores[] and each core's stale_code.
	 */
	pthread_mutex_t code_lock;
	struct page_map code;
	struct cpu_core *cores[GROUP_MAX_CORES];
};

struct pending_event {
	bool valid;
	u8 vector;
	bool has_error;
	u32 error;
	bool nmi;		/* vector 2 as an NMI: blocks NMIs until IRET */
	bool soft;		/* INT n, INT3, INTO: RIP is past it, the gate's DPL counts */
};

struct cpu_core {
	struct platform *p;
	struct cpu_group *g;
	const struct cpu_ops *ops;
	void *owner;
	u8 *ram;
	u64 ram_size;

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	_Atomic int state;		/* enum core_state */
	enum cpu_run_result result;
	bool ready;			/* the engine is set up (or failed) */
	_Atomic bool kick;
	_Atomic u64 tick_deadline;	/* the host timer interrupts the guest then */

	/* Below: touched by the core thread, or by others while parked. */
	uc_engine *uc;
	uc_context *ctx;
	size_t off_hflags, off_error_code, off_is_int, off_old_exception, off_vmcb, off_intercept;
	size_t off_segs;		/* segs[6], ldt, tr, gdt: SegmentCache each */
	u8 *svm_area;
	bool failed;			/* c->error says why */
	/* Host memory windows on the engine's bus, and the EPT generation seen. */
	struct platform_window windows[PLATFORM_MAX_WINDOWS];
	size_t nr_windows;
	u64 windows_gen, ept_gen;
	struct cpu_regs regs;		/* the guest's view */
	struct cpu_regs loaded;		/* what the engine holds */
	bool want_protected_mode;
	u64 protected_efer;
	bool want_tlb_flush;
	/* cpu_core_set_state(): applied before the guest executes again. */
	bool want_state;
	struct cpu_regs state_regs;
	struct cpu_segs state_segs;
	bool mid_insn;			/* parked inside port I/O or an MMIO access */
	int undeliverable;		/* vector dropped outside long mode, or -1 */
	/*
	 * Precise port I/O (ops->io_insn): the I/O instructions the scan of
	 * translated blocks found, which are the engine's exits (stopping
	 * points); changed means not yet applied.
	 */
	/*
	 * The core's bit in its group's code map; code pages other cores
	 * wrote (frames, under the group's code_lock), and whether there is
	 * anything for the core to drop before it runs on.  probe_hpa: the
	 * page whose code is being dropped (CODE_PROBE_VA).
	 */
	unsigned int index;
	u64 *stale_code;
	size_t nr_stale_code, stale_code_cap;
	bool tlb_stale, all_code_stale;
	atomic_bool coherence;
	u64 probe_hpa;
	bool scan_io;			/* ops->io_insn: blocks are scanned */
	uc_hook first_block;		/* scans the engine's very first block, then goes */
	bool first_block_seen;
	u64 *io_sites;
	size_t nr_io_sites, io_sites_cap;
	bool io_sites_changed;
	struct pending_event event;
	bool nmi_pending;		/* an NMI the owner made pending, not delivered yet */
	bool irq_window;		/* the owner waits for RFLAGS.IF */
	bool irq_window_open;		/* ... and it is 1: call ops->irq_window */
	bool exit_pending;		/* translate() exited from a TLB fill */
	bool probe_missed;		/* an engine lookup of code found nothing (fetch_for_guest()) */
	bool ud_handled;		/* swallow the #UD report after a TDCALL or an emulated insn */
	bool syscall;			/* a SYSCALL ran Unicorn's stub: transfer after the stop */
	bool quantum_over;
	/*
	 * on_block() looks at the rest only when the budget runs out or the
	 * owner raised attention (a kick, a pending NMI, an interrupt window).
	 */
	unsigned int block_budget;
	unsigned int budgets_used;
	unsigned int slice_blocks;	/* the block count when this run began */
	unsigned int slice_pauses;	/* PAUSEs in this run */
	bool slice_spun;		/* each of them at the same RIP as the one before */
	unsigned int spin_streak;	/* runs in a row that only spun to the same PAUSE */
	bool pause_yield;		/* this run ended at a PAUSE for a waiting core */
	u64 last_pause_rip;
	atomic_bool attention;
	bool in_shutdown;
	char error[160];
};

/* ---- groups ------------------------------------------------------------------ */

struct cpu_group *cpu_group_create(void)
{
	struct cpu_group *g = calloc(1, sizeof(*g));

	if (g) {
		for (u32 i = 1; i < GROUP_MAX_CORES; i++)
			g->turn[i] = (u32)(i - GROUP_MAX_CORES);	/* not yet any ticket's */
		pthread_mutex_init(&g->code_lock, NULL);
	}
	return g;
}

void cpu_group_destroy(struct cpu_group *g)
{
	if (!g)
		return;
	pthread_mutex_destroy(&g->code_lock);
	page_map_free(&g->code);
	free(g);
}

/* Gives @c a bit in the group's code map; false when all are taken. */
static bool group_add_core(struct cpu_group *g, struct cpu_core *c)
{
	bool found = false;

	pthread_mutex_lock(&g->code_lock);
	for (unsigned int i = 0; i < GROUP_MAX_CORES && !found; i++) {
		if (!g->cores[i]) {
			g->cores[i] = c;
			c->index = i;
			found = true;
		}
	}
	pthread_mutex_unlock(&g->code_lock);
	return found;
}

/*
 * The map may keep the core's bit on pages: whoever gets the slot next
 * drops that code once for nothing, which is harmless.
 */
static void group_remove_core(struct cpu_group *g, struct cpu_core *c)
{
	pthread_mutex_lock(&g->code_lock);
	g->cores[c->index] = NULL;
	pthread_mutex_unlock(&g->code_lock);
}

/* Sleeps until @ticket is served; a slot's word changes only when its next ticket is. */
static void group_wait_turn(struct cpu_group *g, u64 ticket)
{
	_Atomic u32 *slot = &g->turn[ticket % GROUP_MAX_CORES];

	for (;;) {
		u32 seen = atomic_load(slot);

		if (atomic_load(&g->now_serving) == ticket)
			return;
		syscall(SYS_futex, slot, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
	}
}

static void group_serve_next(struct cpu_group *g)
{
	u64 next = atomic_fetch_add(&g->now_serving, 1) + 1;
	_Atomic u32 *slot = &g->turn[next % GROUP_MAX_CORES];

	atomic_store(slot, (u32)next);
	/* A waiter counts itself before it takes a ticket: none counted, none asleep. */
	if (atomic_load(&g->waiters))
		syscall(SYS_futex, slot, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void group_enter(struct cpu_group *g)
{
	atomic_fetch_add(&g->waiters, 1);
	group_wait_turn(g, atomic_fetch_add(&g->next_ticket, 1));
	atomic_fetch_sub(&g->waiters, 1);
}

static void group_leave(struct cpu_group *g)
{
	group_serve_next(g);
}

/*
 * Ends the run.  At the end of each run Unicorn drops the blocks at all
 * its exits, which costs a lookup per stopping point and the translation
 * of every block with I/O again: with the thousands of I/O instructions a
 * kernel has, that is most of a run's cost.  The blocks stay right as long
 * as the stopping points do (io_site_drop() drops a block whose point
 * goes), so the exits are switched off for the end of the run and on again
 * at the next (run_slice()); nothing is translated in between.
 */
static void end_run(struct cpu_core *c)
{
	uc_ctl_exits_disable(c->uc);
	uc_emu_stop(c->uc);
}

/*
 * Gives the turn to the cores waiting for it and waits for the next.  The
 * core queues before it lets go, so whoever runs next sees it waiting
 * even when the host has not run this thread again yet.
 */
static void group_yield(struct cpu_group *g)
{
	u64 ticket;

	atomic_fetch_add(&g->waiters, 1);
	ticket = atomic_fetch_add(&g->next_ticket, 1);
	group_serve_next(g);
	group_wait_turn(g, ticket);
	atomic_fetch_sub(&g->waiters, 1);
}

/*
 * A core that only spins (an idle AP polling the MP-wakeup mailbox) lets
 * the group run without it for a while: queued, it would take a turn from
 * the working cores after each of theirs and from each of their returns
 * from the owner, only to spin again.  What it waits for (another core's
 * store, a host write to shared memory) has SPIN_DOZE_NS to happen.
 */
static void group_doze(struct cpu_group *g)
{
	struct timespec ts = { 0, SPIN_DOZE_NS };

	group_leave(g);
	nanosleep(&ts, NULL);
	group_enter(g);
}

/* ---- registers ----------------------------------------------------------------- */

static const int gpr_ids[CPU_NR_GPRS] = {
	UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
	UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
	UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11,
	UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
};

static u64 reg_read(struct cpu_core *c, int id)
{
	u64 v = 0;

	uc_reg_read(c->uc, id, &v);
	return v;
}

static void reg_write(struct cpu_core *c, int id, u64 v)
{
	uc_reg_write(c->uc, id, &v);
}

static u64 msr_read(struct cpu_core *c, u32 index)
{
	uc_x86_msr msr = { .rid = index };

	uc_reg_read(c->uc, UC_X86_REG_MSR, &msr);
	return msr.value;
}

static u64 efer_read(struct cpu_core *c)
{
	return msr_read(c, 0xC0000080);
}

static void efer_write(struct cpu_core *c, u64 v)
{
	uc_x86_msr msr = { .rid = 0xC0000080, .value = v };

	uc_reg_write(c->uc, UC_X86_REG_MSR, &msr);
}

static void blob_write32(struct cpu_core *c, size_t off, u32 v)
{
	memcpy((u8 *)c->ctx + off, &v, sizeof(v));
}

static u32 blob_read32(struct cpu_core *c, size_t off)
{
	u32 v;

	memcpy(&v, (u8 *)c->ctx + off, sizeof(v));
	return v;
}

/* Engine -> c->regs, on the core thread. */
static void pull_regs(struct cpu_core *c)
{
	struct cpu_regs *r = &c->regs;
	void *vals[CPU_NR_GPRS];
	uc_x86_mmr idtr = { 0 };
	int i;

	for (i = 0; i < CPU_NR_GPRS; i++)
		vals[i] = &r->gpr[i];
	uc_reg_read_batch(c->uc, (int *)gpr_ids, vals, CPU_NR_GPRS);
	r->rip = reg_read(c, UC_X86_REG_RIP);
	r->rflags = reg_read(c, UC_X86_REG_RFLAGS);
	r->cr0 = reg_read(c, UC_X86_REG_CR0);
	r->cr2 = reg_read(c, UC_X86_REG_CR2);
	r->cr3 = reg_read(c, UC_X86_REG_CR3);
	r->cr4 = reg_read(c, UC_X86_REG_CR4);
	r->efer = efer_read(c);
	r->cs = (u16)reg_read(c, UC_X86_REG_CS);
	r->ss = (u16)reg_read(c, UC_X86_REG_SS);
	uc_reg_read(c->uc, UC_X86_REG_IDTR, &idtr);
	r->idt_base = idtr.base;
	r->idt_limit = (u16)idtr.limit;
	c->loaded = *r;
}

/* c->regs -> engine, writing only what changed (CR writes flush the TLB). */
static void push_regs(struct cpu_core *c)
{
	struct cpu_regs *r = &c->regs, *l = &c->loaded;
	int i;

	for (i = 0; i < CPU_NR_GPRS; i++)
		if (r->gpr[i] != l->gpr[i])
			reg_write(c, gpr_ids[i], r->gpr[i]);
	if (r->rflags != l->rflags)
		reg_write(c, UC_X86_REG_RFLAGS, r->rflags);
	/* 2.1.1 writes CR2 through cpu_x86_update_cr3(): put CR3 back after it. */
	if (r->cr2 != l->cr2)
		reg_write(c, UC_X86_REG_CR2, r->cr2);
	if (r->cr3 != l->cr3 || r->cr2 != l->cr2)
		reg_write(c, UC_X86_REG_CR3, r->cr3);
	if (r->efer != l->efer)
		efer_write(c, r->efer);
	if (r->cr4 != l->cr4)
		reg_write(c, UC_X86_REG_CR4, r->cr4);
	if (r->cr0 != l->cr0)
		reg_write(c, UC_X86_REG_CR0, r->cr0);
	if (r->cs != l->cs)
		reg_write(c, UC_X86_REG_CS, r->cs);
	if (r->rip != l->rip)
		reg_write(c, UC_X86_REG_RIP, r->rip);
	c->loaded = *r;
}

void cpu_core_get_regs(struct cpu_core *c, struct cpu_regs *regs)
{
	*regs = c->regs;
}

void cpu_core_set_regs(struct cpu_core *c, const struct cpu_regs *regs)
{
	c->regs = *regs;
}

void cpu_core_set_protected_mode(struct cpu_core *c, u64 efer)
{
	c->want_protected_mode = true;
	c->protected_efer = efer;
}

void cpu_core_flush_tlb(struct cpu_core *c)
{
	if (pthread_equal(pthread_self(), c->thread))
		uc_ctl_flush_tlb(c->uc);
	else
		c->want_tlb_flush = true;
}

void cpu_core_inject(struct cpu_core *c, u8 vector, bool has_error, u32 error)
{
	c->event = (struct pending_event){ true, vector, has_error, error, false, false };
}

bool cpu_core_event_pending(const struct cpu_core *c)
{
	return c->event.valid;
}

void cpu_core_set_nmi_pending(struct cpu_core *c, bool pending)
{
	c->nmi_pending = pending;
	if (pending)
		atomic_store(&c->attention, true);
}

void cpu_core_request_irq_window(struct cpu_core *c, bool on)
{
	c->irq_window = on && c->ops->irq_window;
	if (c->irq_window)
		atomic_store(&c->attention, true);
}

bool cpu_core_nmi_pending(const struct cpu_core *c)
{
	return c->nmi_pending;
}

/* UC_MODE_64 starts in long mode; paging on then off leaves it (update_cr0). */
static void enter_protected_mode(struct cpu_core *c)
{
	reg_write(c, UC_X86_REG_CR4, CR4_PAE);
	reg_write(c, UC_X86_REG_CR0, CR0_PG | CR0_PE | 0x10);
	reg_write(c, UC_X86_REG_CR0, c->regs.cr0 & ~CR0_PG);
	reg_write(c, UC_X86_REG_CR4, c->regs.cr4);
	efer_write(c, c->protected_efer);
	reg_write(c, UC_X86_REG_RIP, c->regs.rip);
	uc_ctl_flush_tlb(c->uc);
	c->want_protected_mode = false;
}

/* ---- full state: any mode, segment caches included ------------------------------ */

static size_t seg_offset(const struct cpu_core *c, unsigned int i)
{
	return c->off_segs + SEG_CACHE_SIZE * i;
}

static void blob_get_seg(struct cpu_core *c, unsigned int i, struct cpu_segment *s)
{
	size_t off = seg_offset(c, i);

	s->selector = (u16)blob_read32(c, off);
	memcpy(&s->base, (u8 *)c->ctx + off + 8, sizeof(s->base));
	s->limit = blob_read32(c, off + 16);
	s->flags = blob_read32(c, off + 20);
}

static void blob_set_seg(struct cpu_core *c, unsigned int i, const struct cpu_segment *s)
{
	size_t off = seg_offset(c, i);

	blob_write32(c, off, s->selector);
	memcpy((u8 *)c->ctx + off + 8, &s->base, sizeof(s->base));
	blob_write32(c, off + 16, s->limit);
	blob_write32(c, off + 20, s->flags);
}

/*
 * What QEMU's cpu_x86_load_seg_cache() derives from the caches: code and
 * stack size, CPL (SS.DPL; 0 in real mode) and whether DS/ES/SS bases
 * must be added.  Bits from CR0, EFER and the SVM setup stay.
 */
static u32 seg_hflags(u32 hf, const struct cpu_segs *s, u64 rflags)
{
	u32 cs = s->seg[CPU_CS].flags, ss = s->seg[CPU_SS].flags;
	bool pe = hf & HF_PE_MASK;

	hf &= ~(HF_CPL_MASK | HF_CS32_MASK | HF_SS32_MASK | HF_ADDSEG_MASK | HF_CS64_MASK);
	if ((hf & HF_LMA_MASK) && (cs & CPU_SEG_FLAGS_L))
		hf |= HF_CS32_MASK | HF_CS64_MASK;
	else if (cs & CPU_SEG_FLAGS_DB)
		hf |= HF_CS32_MASK;
	if (ss & CPU_SEG_FLAGS_DB)
		hf |= HF_SS32_MASK;
	if (pe)
		hf |= rflags & RFLAGS_VM ? 3 : (ss >> 13) & 3;
	if (hf & HF_CS64_MASK)
		return hf;
	if (!pe || (rflags & RFLAGS_VM) || !(hf & HF_CS32_MASK) ||
	    (s->seg[CPU_DS].base | s->seg[CPU_ES].base | s->seg[CPU_SS].base))
		hf |= HF_ADDSEG_MASK;
	return hf;
}

/*
 * Control registers through the register API, so that QEMU enters or
 * leaves long mode and recomputes its mode flags: paging on then off leaves
 * whatever mode the engine was in, then EFER, CR3, CR4 and CR0 (PG with
 * LME enters long mode).  CR2 goes before CR3 (see push_regs).
 */
static void load_control_regs(struct cpu_core *c, const struct cpu_regs *r)
{
	reg_write(c, UC_X86_REG_CR4, CR4_PAE);
	reg_write(c, UC_X86_REG_CR0, CR0_PG | CR0_PE | 0x10);
	reg_write(c, UC_X86_REG_CR0, CR0_PE | 0x10);
	efer_write(c, r->efer & ~EFER_LMA);
	reg_write(c, UC_X86_REG_CR2, r->cr2);
	reg_write(c, UC_X86_REG_CR3, r->cr3);
	reg_write(c, UC_X86_REG_CR4, r->cr4);
	reg_write(c, UC_X86_REG_CR0, r->cr0);
}

/* cpu_core_set_state()'s state into the engine, on the core thread. */
static void load_state(struct cpu_core *c)
{
	const struct cpu_regs *r = &c->state_regs;
	const struct cpu_segs *s = &c->state_segs;
	uc_x86_mmr idtr = { .base = r->idt_base, .limit = r->idt_limit };
	int i;

	load_control_regs(c, r);
	for (i = 0; i < CPU_NR_GPRS; i++)
		reg_write(c, gpr_ids[i], r->gpr[i]);
	reg_write(c, UC_X86_REG_RFLAGS, r->rflags);
	reg_write(c, UC_X86_REG_RIP, r->rip);
	uc_reg_write(c->uc, UC_X86_REG_IDTR, &idtr);
	uc_context_save(c->uc, c->ctx);
	for (i = 0; i < CPU_NR_SEGS; i++)
		blob_set_seg(c, (unsigned int)i, &s->seg[i]);
	memcpy((u8 *)c->ctx + seg_offset(c, CPU_NR_SEGS) + 8, &s->gdt_base, sizeof(s->gdt_base));
	blob_write32(c, seg_offset(c, CPU_NR_SEGS) + 16, s->gdt_limit);
	blob_write32(c, c->off_hflags, seg_hflags(blob_read32(c, c->off_hflags), s, r->rflags));
	uc_context_restore(c->uc, c->ctx);
	uc_ctl_flush_tlb(c->uc);
	c->want_state = false;
	c->want_protected_mode = false;
	pull_regs(c);
}

bool cpu_core_mid_instruction(const struct cpu_core *c)
{
	return c->mid_insn;
}

int cpu_core_set_state(struct cpu_core *c, const struct cpu_regs *regs,
		       const struct cpu_segs *segs)
{
	/* Mid-instruction the engine would overwrite what we load. */
	if (c->mid_insn)
		return -EBUSY;
	c->state_regs = *regs;
	c->state_segs = *segs;
	c->regs = *regs;
	c->want_state = true;
	c->undeliverable = -1;
	return 0;
}

void cpu_core_get_segs(struct cpu_core *c, struct cpu_segs *segs)
{
	unsigned int i;

	if (c->want_state) {
		*segs = c->state_segs;
		return;
	}
	uc_context_save(c->uc, c->ctx);
	for (i = 0; i < CPU_NR_SEGS; i++)
		blob_get_seg(c, i, &segs->seg[i]);
	memcpy(&segs->gdt_base, (u8 *)c->ctx + seg_offset(c, CPU_NR_SEGS) + 8,
	       sizeof(segs->gdt_base));
	segs->gdt_limit = (u16)blob_read32(c, seg_offset(c, CPU_NR_SEGS) + 16);
}

int cpu_core_undeliverable_vector(const struct cpu_core *c)
{
	return c->undeliverable;
}

/* ---- the guest page walk ------------------------------------------------------ */

/* The storage of a physical page: RAM, or a window of host memory. */
static u8 *ram_at(struct cpu_core *c, u64 hpa)
{
	u8 *page;

	if (hpa >= PLATFORM_MEM_BASE && hpa - PLATFORM_MEM_BASE < c->ram_size)
		return c->ram + (hpa - PLATFORM_MEM_BASE);
	page = platform_phys_ptr(c->p, hpa & ~(TDX_PAGE_SIZE - 1), TDX_PAGE_SIZE);
	return page ? page + (hpa & (TDX_PAGE_SIZE - 1)) : NULL;
}

struct walk {
	u64 gpa;		/* of the 4 KiB page */
	u64 hpa;
	bool writable;		/* guest PTEs and second stage both allow stores */
	bool executable;	/* the guest may fetch from it at this privilege */
	bool mmio;		/* hpa is in the MMIO window */
	enum cpu_xlate xlate;	/* != OK: the second stage stopped the walk */
	u32 pf_error;		/* != 0 or pf: a guest #PF */
	bool pf;
};

static bool stage_failed(struct cpu_core *c, struct walk *w)
{
	c->failed = true;
	w->xlate = CPU_XLATE_EXIT;
	return false;
}

/* An MMIO page: its place in the window; never code, never without mmio(). */
static bool mmio_page(struct cpu_core *c, u64 gpa, unsigned int access, struct walk *w)
{
	if (!c->ops->mmio || gpa >= MMIO_WINDOW_SIZE || (access & CPU_ACCESS_FETCH)) {
		snprintf(c->error, sizeof(c->error), "%s MMIO at GPA 0x%llx is not supported",
			 access & CPU_ACCESS_FETCH ? "executing" : "this", (unsigned long long)gpa);
		return stage_failed(c, w);
	}
	w->hpa = MMIO_WINDOW_PA + (gpa & ~0xFFFULL);
	w->writable = true;
	w->mmio = true;
	w->xlate = CPU_XLATE_OK;
	return true;
}

static bool second_stage(struct cpu_core *c, u64 gpa, u64 gla, unsigned int access,
			 struct walk *w)
{
	u64 hpa = 0;
	bool writable = false;

	w->mmio = false;
	w->xlate = c->ops->translate(c->owner, c, gpa, gla, access, &hpa, &writable);
	if (w->xlate == CPU_XLATE_MMIO && (access & CPU_ACCESS_PROBE))
		w->xlate = CPU_XLATE_NONE;
	if (w->xlate == CPU_XLATE_MMIO)
		return mmio_page(c, gpa, access, w);
	if (w->xlate != CPU_XLATE_OK)
		return false;
	if (!ram_at(c, hpa)) {
		snprintf(c->error, sizeof(c->error),
			 "GPA 0x%llx resolved to 0x%llx, which is not memory",
			 (unsigned long long)gpa, (unsigned long long)hpa);
		return stage_failed(c, w);
	}
	/* A window made since the last slice is not on the bus yet: map it, retry. */
	if (hpa - PLATFORM_MEM_BASE >= c->ram_size && platform_windows_gen(c->p) != c->windows_gen) {
		w->xlate = access & CPU_ACCESS_PROBE ? CPU_XLATE_NONE : CPU_XLATE_EXIT;
		return false;
	}
	w->hpa = hpa;
	w->writable = writable;
	return true;
}

static bool is_user(struct cpu_core *c)
{
	return (reg_read(c, UC_X86_REG_CS) & 3) == 3;
}

static void set_pf(struct walk *w, u32 error)
{
	w->pf = true;
	w->pf_error = error;
}

/*
 * An implicit supervisor access (descriptor tables, the TSS, an event's
 * stack frame): the walk checks it as CPL 0's whatever the CPL.
 */
#define ACCESS_SUPERVISOR	0x100

/* A walk's paging structures come through the second stage. */
struct table_walk {
	struct cpu_core *c;
	struct walk *w;
	u64 va;
	unsigned int probe;	/* CPU_ACCESS_PROBE or 0 */
};

/* The entry at @gpa of a paging structure, or NULL with w->xlate saying why not. */
static _Atomic u64 *table_entry(void *ctx, u64 gpa)
{
	struct table_walk *t = ctx;
	struct walk tw;

	if (!second_stage(t->c, gpa, t->va, CPU_ACCESS_READ | CPU_ACCESS_WRITE | t->probe, &tw)) {
		t->w->xlate = tw.xlate;
		return NULL;
	}
	if (tw.mmio) {
		snprintf(t->c->error, sizeof(t->c->error), "a page table at MMIO GPA 0x%llx",
			 (unsigned long long)gpa);
		stage_failed(t->c, t->w);
		return NULL;
	}
	return (_Atomic u64 *)(void *)ram_at(t->c, tw.hpa + (gpa & 0xFFF));
}

/* IA-32e paging (x86_walk.c) with the core's control state. */
static bool walk_long(struct cpu_core *c, u64 va, unsigned int access, bool user, struct walk *w)
{
	const struct x86_paging pg = {
		c->regs.cr0, c->regs.cr3, c->regs.cr4, c->regs.efer, c->regs.rflags,
		user, access & ACCESS_SUPERVISOR,
	};
	struct table_walk t = { c, w, va, access & CPU_ACCESS_PROBE };
	struct x86_walk xw;

	switch (x86_walk_long(&pg, va, access & (CPU_ACCESS_READ | CPU_ACCESS_WRITE | CPU_ACCESS_FETCH),
			      table_entry, &t, &xw)) {
	case X86_WALK_OK:
		w->gpa = xw.gpa;
		w->writable = xw.writable;
		w->executable = xw.executable;
		return true;
	case X86_WALK_PF:
		set_pf(w, xw.pf_error);
		return false;
	default:
		return false;
	}
}

/* VA -> host page for @access, as the CPU would do it. */
static bool translate_va(struct cpu_core *c, u64 va, unsigned int access, struct walk *w)
{
	bool user = !(access & ACCESS_SUPERVISOR) && is_user(c);
	bool guest_rw;

	memset(w, 0, sizeof(*w));
	if (!(c->regs.cr0 & CR0_PG)) {
		w->gpa = va & 0xFFFFF000ULL;
		w->executable = true;
		guest_rw = true;
	} else if (c->regs.efer & EFER_LMA) {
		if (!walk_long(c, va, access, user, w))
			return false;
		guest_rw = w->writable;
	} else {
		snprintf(c->error, sizeof(c->error),
			 "32-bit paging (CR0.PG without long mode) is not supported");
		w->xlate = CPU_XLATE_EXIT;
		return false;
	}
	if (!second_stage(c, w->gpa | (va & 0xFFF), va, access & ~ACCESS_SUPERVISOR, w))
		return false;
	w->writable = w->writable && guest_rw;
	return true;
}

/*
 * Translated code and the stores that change it.  Unicorn 2.1 catches a
 * store into a page with translated code only through a TLB entry's first
 * store: it then marks the entry clean (tlb_set_dirty) whatever code the
 * page still holds, and marks nothing dirty again when code is translated
 * later (its tlb_protect_code is empty).  A store through a clean entry
 * leaves stale translations that run as the page's old code.  So the core
 * keeps that protection itself: no TLB entry is ever writable and
 * executable at once, a fetch fill makes its page a code page, and a
 * store fill into a code page drops the page's code first.  Between the
 * two, the whole TLB goes, so that no entry of the other kind survives
 * through another virtual address.
 */
static void drop_page_code(struct cpu_core *c, u64 frame)
{
	c->probe_hpa = frame << 12;
	uc_ctl_remove_cache(c->uc, CODE_PROBE_VA(c->probe_hpa), CODE_PROBE_VA(c->probe_hpa) + 4096);
	c->probe_hpa = 0;
}

static u64 core_bit(const struct cpu_core *c)
{
	return 1ULL << c->index;
}

/*
 * Cores share memory but not translated code: a page one core makes code
 * must lose every writable entry in the others' TLBs, and a store into it
 * must drop the code every core translated from it.  Other cores are not
 * running (the group runs one core at a time); they catch up before they
 * run on (core_catch_up()), as real CPUs need a serializing instruction
 * before they run code another CPU wrote.
 */
static void tell_core(struct cpu_core *o, u64 frame, bool code_written)
{
	if (!code_written) {
		o->tlb_stale = true;
	} else if (o->nr_stale_code < o->stale_code_cap) {
		o->stale_code[o->nr_stale_code++] = frame;
	} else {
		size_t cap = o->stale_code_cap ? 2 * o->stale_code_cap : 64;
		u64 *n = realloc(o->stale_code, cap * sizeof(*n));

		if (n) {
			o->stale_code = n;
			o->stale_code_cap = cap;
			o->stale_code[o->nr_stale_code++] = frame;
		} else {
			o->all_code_stale = true;	/* no room to say which page */
		}
	}
	atomic_store(&o->coherence, true);
	atomic_store(&o->attention, true);
}

/* Takes @frame out of the code map, dropping its code on every core. */
static void code_written(struct cpu_core *c, u64 frame)
{
	struct cpu_group *g = c->g;
	u64 mask;

	pthread_mutex_lock(&g->code_lock);
	mask = page_map_del(&g->code, frame);
	for (unsigned int i = 0; i < GROUP_MAX_CORES; i++)
		if ((mask >> i & 1) && i != c->index && g->cores[i])
			tell_core(g->cores[i], frame, true);
	pthread_mutex_unlock(&g->code_lock);
	if (mask & core_bit(c)) {
		drop_page_code(c, frame);
		uc_ctl_flush_tlb(c->uc);
	}
}

/* Puts @c's bit on @frame; a page new to the map leaves no writable TLB entry anywhere. */
static bool code_fetched(struct cpu_core *c, u64 frame)
{
	struct cpu_group *g = c->g;
	u64 old = 0;
	int err;

	pthread_mutex_lock(&g->code_lock);
	err = page_map_or(&g->code, frame, core_bit(c), &old);
	if (!err && !old)
		for (unsigned int i = 0; i < GROUP_MAX_CORES; i++)
			if (i != c->index && g->cores[i])
				tell_core(g->cores[i], frame, false);
	pthread_mutex_unlock(&g->code_lock);
	if (err)
		return false;
	if (!old)
		uc_ctl_flush_tlb(c->uc);
	return true;
}

static u64 code_cores(struct cpu_core *c, u64 frame)
{
	u64 mask;

	pthread_mutex_lock(&c->g->code_lock);
	mask = page_map_get(&c->g->code, frame);
	pthread_mutex_unlock(&c->g->code_lock);
	return mask;
}

/* What other cores told this one: code to drop, TLB entries to forget. */
static void core_catch_up(struct cpu_core *c)
{
	struct cpu_group *g = c->g;
	bool flush;

	if (!atomic_exchange(&c->coherence, false))
		return;
	pthread_mutex_lock(&g->code_lock);
	for (size_t i = 0; i < c->nr_stale_code; i++)
		drop_page_code(c, c->stale_code[i]);
	flush = c->tlb_stale || c->nr_stale_code || c->all_code_stale;
	if (c->all_code_stale)
		uc_ctl_flush_tb(c->uc);
	c->nr_stale_code = 0;
	c->tlb_stale = false;
	c->all_code_stale = false;
	pthread_mutex_unlock(&g->code_lock);
	if (flush)
		uc_ctl_flush_tlb(c->uc);
}

/* What a failed access of the core's own is: a guest #PF, or the engine's failure. */
#define FAULT_ENGINE	0xFF

/*
 * Copies guest-virtual memory as the CPU would access it (@access one of
 * READ/WRITE, maybe with ACCESS_SUPERVISOR); -1 with *f the fault.
 */
static int virt_copy(struct cpu_core *c, u64 gva, u8 *buf, unsigned int len,
		     unsigned int access, struct x86_fault *f)
{
	bool write = access & CPU_ACCESS_WRITE;
	struct walk w;

	while (len) {
		unsigned int n = 4096 - (gva & 0xFFF);

		if (n > len)
			n = len;
		if (!translate_va(c, gva, access, &w) || w.mmio || (write && !w.writable)) {
			*f = w.pf ? (struct x86_fault){ X86_VEC_PF, w.pf_error, true, gva }
				  : (struct x86_fault){ .vector = FAULT_ENGINE };
			return -1;
		}
		if (write) {
			cpu_core_host_wrote(c, w.hpa, 1);
			memcpy(ram_at(c, w.hpa) + (gva & 0xFFF), buf, n);
		} else {
			memcpy(buf, ram_at(c, w.hpa) + (gva & 0xFFF), n);
		}
		buf += n;
		gva += n;
		len -= n;
	}
	return 0;
}

int cpu_core_read_virt(struct cpu_core *c, u64 gva, void *dst, unsigned int len)
{
	struct x86_fault f;

	return virt_copy(c, gva, dst, len, CPU_ACCESS_READ, &f);
}

void cpu_core_host_wrote(struct cpu_core *c, u64 hpa, u64 len)
{
	for (u64 page = hpa & ~0xFFFULL; page < hpa + len; page += 4096)
		code_written(c, page >> 12);
}

/*
 * The engine permissions for @w, which the walk allowed for @access.  A
 * read entry is executable only on the core's own code pages, so that
 * every core's first fetch from a page comes through here.
 */
static int grant(struct cpu_core *c, const struct walk *w, unsigned int access)
{
	u64 frame = w->hpa >> 12, cores;

	if (w->mmio)
		return UC_PROT_READ | UC_PROT_WRITE;
	if (access & CPU_ACCESS_FETCH) {
		if (!code_fetched(c, frame)) {
			snprintf(c->error, sizeof(c->error), "out of memory for code pages");
			c->failed = true;
			end_run(c);
		}
		return UC_PROT_READ | UC_PROT_EXEC;
	}
	if (access & CPU_ACCESS_WRITE) {
		code_written(c, frame);
		return UC_PROT_READ | (w->writable ? UC_PROT_WRITE : 0);
	}
	cores = code_cores(c, frame);
	if (cores)
		return UC_PROT_READ | (w->executable && (cores & core_bit(c)) ? UC_PROT_EXEC : 0);
	return UC_PROT_READ | (w->writable ? UC_PROT_WRITE : 0);
}

/*
 * CS's base for a code fill, which must not cost a context save in long
 * mode: 0 there (64-bit code ignores it; compatibility-mode code with a
 * based CS is assumed away, as no 64-bit OS has one), the cached base
 * otherwise (a real-mode CS keeps any base, as F000 at RESET does).
 */
static u64 code_base(struct cpu_core *c)
{
	struct cpu_segment cs;

	if (c->regs.efer & EFER_LMA)
		return 0;
	uc_context_save(c->uc, c->ctx);
	blob_get_seg(c, CPU_CS, &cs);
	return cs.base;
}

/*
 * A code fill is the guest's when it is for the block at RIP, which may
 * run into the next page.  Any other comes from the engine looking code up
 * for itself: after each run Unicorn drops the blocks at its stopping
 * points, probing their pages, which the guest may have unmapped since
 * (Linux frees its __init text); such a miss must not become a guest #PF.
 */
static bool fetch_for_guest(struct cpu_core *c, u64 va)
{
	u64 rip = code_base(c) + c->regs.rip;

	return (va & ~0xFFFULL) == (rip & ~0xFFFULL) ||
	       (va & ~0xFFFULL) == (rip & ~0xFFFULL) + 4096;
}

static enum x86_mode code_mode(struct cpu_core *c);
static unsigned int read_code(struct cpu_core *c, u64 va, u8 *buf, unsigned int len);

/*
 * Unicorn hands the TLB-fill hook the page, not the byte, but #PF (CR2),
 * #VE (GLA and GPA) and an EPT violation report the byte: the faulting
 * instruction's memory operand, when it lies in that page (an access
 * that crosses into the page reports the page's start, as the CPU does).
 */
static u64 access_address(struct cpu_core *c, u64 page, unsigned int access)
{
	u64 rip = code_base(c) + c->regs.rip, ea, mask;
	struct x86_mem_operand m;
	u8 code[15];
	unsigned int n = read_code(c, rip, code, sizeof(code));

	if (!n || !x86_decode_mem(code, n, code_mode(c), &m))
		return page;
	if (m.string) {
		ea = c->regs.gpr[access & CPU_ACCESS_WRITE ? CPU_RDI : CPU_RSI];
	} else {
		ea = (u64)m.disp + (m.base >= 0 ? c->regs.gpr[m.base] : 0) +
		     (m.index >= 0 ? c->regs.gpr[m.index] * m.scale : 0) +
		     (m.rip_relative ? rip + m.len : 0);
	}
	mask = m.addr_size == 8 ? ~0ULL : (1ULL << (8 * m.addr_size)) - 1;
	ea &= mask;
	if (m.seg == CPU_FS || m.seg == CPU_GS)
		ea += reg_read(c, m.seg == CPU_FS ? UC_X86_REG_FS_BASE : UC_X86_REG_GS_BASE);
	return (ea & ~0xFFFULL) == page ? ea : page;
}

static bool on_tlb_fill(uc_engine *uc, uint64_t va, uc_mem_type type, uc_tlb_entry *e, void *data)
{
	struct cpu_core *c = data;
	unsigned int access = type == UC_MEM_WRITE ? CPU_ACCESS_WRITE :
			      type == UC_MEM_FETCH ? CPU_ACCESS_FETCH : CPU_ACCESS_READ;
	struct walk w;

	(void)uc;
	if (c->probe_hpa && va == CODE_PROBE_VA(c->probe_hpa)) {
		e->paddr = c->probe_hpa;
		e->perms = UC_PROT_READ | UC_PROT_EXEC;
		return true;
	}
	pull_regs(c);
	if (access == CPU_ACCESS_FETCH && !fetch_for_guest(c, va))
		access |= CPU_ACCESS_PROBE;
	if (access != CPU_ACCESS_FETCH && !(access & CPU_ACCESS_PROBE))
		va = access_address(c, va, access);
	if (!translate_va(c, va, access, &w)) {
		if (access & CPU_ACCESS_PROBE) {
			/* Nothing for the guest to see; the engine ignores the miss. */
			c->probe_missed = true;
		} else if (w.pf) {
			c->regs.cr2 = va;
			cpu_core_inject(c, X86_VEC_PF, true, w.pf_error);
		} else if (w.xlate == CPU_XLATE_EXIT) {
			c->exit_pending = true;
		}
		/* A guest's miss ends the run (the engine's own lookups come after it ended). */
		if (!(access & CPU_ACCESS_PROBE))
			uc_ctl_exits_disable(c->uc);
		if (!c->want_state)
			push_regs(c);
		return false;
	}
	if (!c->want_state)
		push_regs(c);
	e->paddr = w.hpa;
	e->perms = grant(c, &w, access);
	return true;
}

/* ---- event delivery through the IDT ------------------------------------------------ */

static int implicit_read(void *ctx, u64 la, void *buf, unsigned int len, struct x86_fault *f)
{
	return virt_copy(ctx, la, buf, len, CPU_ACCESS_READ | ACCESS_SUPERVISOR, f);
}

static int implicit_write(void *ctx, u64 la, const void *buf, unsigned int len,
			  struct x86_fault *f)
{
	return virt_copy(ctx, la, (u8 *)buf, len, CPU_ACCESS_WRITE | ACCESS_SUPERVISOR, f);
}

static const struct x86_mem_ops implicit_access = { implicit_read, implicit_write };

/* The architectural state x86_event.c reads, from the registers and a fresh blob. */
static void arch_state(struct cpu_core *c, struct x86_state *s)
{
	const struct cpu_regs *r = &c->regs;
	size_t gdt = seg_offset(c, CPU_NR_SEGS);

	uc_context_save(c->uc, c->ctx);
	*s = (struct x86_state){
		.rip = r->rip, .rsp = r->gpr[CPU_RSP], .rflags = r->rflags,
		.cr0 = r->cr0, .efer = r->efer,
		.cpl = blob_read32(c, c->off_hflags) & HF_CPL_MASK,
		.idt_base = r->idt_base, .idt_limit = r->idt_limit,
		.gdt_limit = (u16)blob_read32(c, gdt + 16),
	};
	memcpy(&s->gdt_base, (u8 *)c->ctx + gdt + 8, sizeof(s->gdt_base));
	blob_get_seg(c, CPU_CS, &s->cs);
	blob_get_seg(c, CPU_SS, &s->ss);
	blob_get_seg(c, CPU_TR, &s->tr);
}

/*
 * A control transfer into the engine: RIP, RSP, RFLAGS through the
 * registers, CS (and SS) as caches in the blob with the mode flags QEMU
 * derives from them, so that a privilege change moves the CPL.  The blob
 * is the one arch_state() just saved (the transfer's memory accesses
 * change no CPU state).
 */
static void load_transfer(struct cpu_core *c, const struct x86_transfer *t)
{
	struct cpu_segs segs;
	unsigned int i;

	for (i = 0; i < CPU_NR_SEGS; i++)
		blob_get_seg(c, i, &segs.seg[i]);
	segs.seg[CPU_CS] = t->cs;
	if (t->ss_changed)
		segs.seg[CPU_SS] = t->ss;
	blob_set_seg(c, CPU_CS, &segs.seg[CPU_CS]);
	blob_set_seg(c, CPU_SS, &segs.seg[CPU_SS]);
	blob_write32(c, c->off_hflags, seg_hflags(blob_read32(c, c->off_hflags), &segs, t->rflags));
	uc_context_restore(c->uc, c->ctx);
	c->regs.rip = t->rip;
	c->regs.gpr[CPU_RSP] = t->rsp;
	c->regs.rflags = t->rflags;
	c->regs.cs = c->loaded.cs = t->cs.selector;
	c->regs.ss = c->loaded.ss = segs.seg[CPU_SS].selector;
}

/*
 * QEMU keeps NMI blocking in hflags2 and its IRET clears it; the core sets
 * it when it delivers an NMI itself.
 */
static bool nmi_blocked(struct cpu_core *c)
{
	uc_context_save(c->uc, c->ctx);
	return blob_read32(c, c->off_hflags + 4) & HF2_NMI_MASK;
}

static void block_nmi(struct cpu_core *c)
{
	uc_context_save(c->uc, c->ctx);
	blob_write32(c, c->off_hflags + 4, blob_read32(c, c->off_hflags + 4) | HF2_NMI_MASK);
	uc_context_restore(c->uc, c->ctx);
}

/* An NMI the owner injected becomes the event when nothing else is, and NMIs are unblocked. */
static void take_nmi(struct cpu_core *c)
{
	if (!c->nmi_pending || c->event.valid || nmi_blocked(c))
		return;
	c->nmi_pending = false;
	c->event = (struct pending_event){ true, X86_VEC_NMI, false, 0, true, false };
}

/*
 * Delivers the pending event; a fault while delivering it is delivered
 * instead, or becomes #DF (x86_fault_during_delivery()); false for a triple
 * fault or an event the engine cannot deliver.
 */
static bool deliver_pending(struct cpu_core *c)
{
	struct pending_event pe = c->event;
	struct x86_event ev = {
		pe.vector, pe.soft ? X86_EVENT_SOFTWARE : X86_EVENT_EXTERNAL, pe.has_error, pe.error,
	};
	struct x86_transfer t;
	struct x86_state s;
	struct x86_fault f;
	int rc;

	c->event.valid = false;
	if (!pe.valid)
		return true;
	for (;;) {
		arch_state(c, &s);
		rc = x86_deliver(&s, &ev, &implicit_access, c, &t, &f);
		if (!rc)
			break;
		if (rc == -2) {
			if (c->undeliverable < 0)
				c->undeliverable = ev.vector;
			return false;
		}
		if (f.vector == FAULT_ENGINE || !x86_fault_during_delivery(ev.vector, &f))
			return false;
		if (f.has_cr2)
			c->regs.cr2 = f.cr2;
		ev = (struct x86_event){ f.vector, X86_EVENT_EXTERNAL, x86_vector_has_error(f.vector),
					 f.error };
	}
	load_transfer(c, &t);
	if (pe.nmi && ev.vector == X86_VEC_NMI)
		block_nmi(c);
	return true;
}

/*
 * After a callback at an instruction boundary: the event it raised (a
 * failed delivery shuts the core down), then the state it left, or a new one.
 */
static void finish_boundary(struct cpu_core *c)
{
	if (c->event.valid && !deliver_pending(c)) {
		c->in_shutdown = true;
		end_run(c);
	}
	if (c->want_state)
		load_state(c);
	else
		push_regs(c);
}

/* ---- precise port I/O -------------------------------------------------------------- */

/*
 * Unicorn runs IN/OUT without QEMU's SVM IOIO check and reports them from
 * inside the instruction, too late for a #VE.  So for owners with io_insn
 * every block is scanned when it is translated, before it runs; its I/O
 * instructions become Unicorn exits, at which the translator stops
 * precisely (through HLT's helper, so the stop arrives as an HLT intercept
 * at the instruction).  A stopping point is only ever hit at an instruction
 * boundary, and there the bytes are decoded again: code that changed since
 * drops it, and its blocks, translated anew, are scanned anew.
 */
#define TB_SCAN_MAX		(2 * 4096)

static bool io_site_known(const struct cpu_core *c, u64 addr)
{
	for (size_t i = 0; i < c->nr_io_sites; i++)
		if (c->io_sites[i] == addr)
			return true;
	return false;
}

static bool io_site_add(struct cpu_core *c, u64 addr)
{
	if (io_site_known(c, addr))
		return true;
	if (c->nr_io_sites == c->io_sites_cap) {
		size_t cap = c->io_sites_cap ? 2 * c->io_sites_cap : 64;
		u64 *n = realloc(c->io_sites, cap * sizeof(*n));

		if (!n)
			return false;
		c->io_sites = n;
		c->io_sites_cap = cap;
	}
	c->io_sites[c->nr_io_sites++] = addr;
	c->io_sites_changed = true;
	return true;
}

/*
 * A stopping point whose instruction is no longer I/O.  The code there was
 * rewritten (or mapped anew); its blocks are translated and scanned again.
 */
static void io_site_drop(struct cpu_core *c, u64 addr)
{
	for (size_t i = 0; i < c->nr_io_sites; i++)
		if (c->io_sites[i] == addr)
			c->io_sites[i] = c->io_sites[--c->nr_io_sites];
	c->io_sites_changed = true;
	/* The block that ends there, and the stop at it (see end_run()). */
	uc_ctl_remove_cache(c->uc, addr - 1, addr);
	uc_ctl_remove_cache(c->uc, addr, addr + 1);
}

/*
 * Stopping points take effect in blocks translated from now on: the block
 * that held a new one was dropped when it was scanned, and Unicorn drops
 * the blocks at every stopping point after each run.
 */
static void apply_io_sites(struct cpu_core *c)
{
	uc_ctl_set_exits(c->uc, c->io_sites, c->nr_io_sites);
	c->io_sites_changed = false;
}


/*
 * The code size the core runs: the mode flags QEMU's translator decodes
 * with, from the blob as last saved.
 */
static enum x86_mode blob_code_mode(struct cpu_core *c)
{
	u32 hf = blob_read32(c, c->off_hflags);

	if (hf & HF_CS64_MASK)
		return X86_MODE_64;
	return hf & HF_CS32_MASK ? X86_MODE_32 : X86_MODE_16;
}

static enum x86_mode code_mode(struct cpu_core *c)
{
	uc_context_save(c->uc, c->ctx);
	return blob_code_mode(c);
}

/* Reads code at @va: as much of @len as is mapped, 0 if nothing. */
static unsigned int read_code(struct cpu_core *c, u64 va, u8 *buf, unsigned int len)
{
	unsigned int first = 4096 - (unsigned int)(va & 0xFFF);

	if (!cpu_core_read_virt(c, va, buf, len))
		return len;
	if (first < len && !cpu_core_read_virt(c, va, buf, first))
		return first;
	return 0;
}

/* A block just translated, not run yet: its I/O instructions become stopping points. */
static void scan_block(struct cpu_core *c, u64 addr, u32 size)
{
	static _Thread_local u8 code[TB_SCAN_MAX];
	enum x86_mode mode;
	struct x86_io_insn io;
	unsigned int n, off, len;
	size_t sites = c->nr_io_sites;

	if (!size)
		return;
	pull_regs(c);
	mode = code_mode(c);
	n = read_code(c, addr, code, size < TB_SCAN_MAX ? size : TB_SCAN_MAX);
	for (off = 0; off < n; off += len) {
		len = x86_insn_len(code + off, n - off, mode);
		if (!len)
			break;
		/* With io() as well, string I/O stays inline: io_insn has no memory access. */
		if (x86_decode_io(code + off, n - off, mode, &io) && !(io.string && c->ops->io) &&
		    !io_site_add(c, addr + off))
			break;
	}
	if (c->nr_io_sites != sites) {
		/* Before the block runs: it goes, to come back with its exits. */
		uc_ctl_remove_cache(c->uc, addr, addr + size);
		end_run(c);
	}
}

/* Where RIP points: blocks and stopping points are linear addresses (CS base + RIP). */
static u64 rip_linear(struct cpu_core *c)
{
	struct cpu_segment cs;

	uc_context_save(c->uc, c->ctx);
	blob_get_seg(c, CPU_CS, &cs);
	return cs.base + c->regs.rip;
}

/*
 * The CPU's own checks come before an I/O exit: in protected mode with
 * CPL > IOPL, or in virtual-8086 mode, the 32/64-bit TSS's I/O permission
 * bitmap must clear every port accessed.  The blob is the one rip_linear()
 * just saved.
 */
static bool io_permitted(struct cpu_core *c, u16 port, unsigned int size)
{
	u32 cpl = blob_read32(c, c->off_hflags) & HF_CPL_MASK;
	u32 iopl = (u32)(c->regs.rflags >> 12) & 3, type;
	struct cpu_segment tr;
	u16 map, bits;

	if (!(c->regs.cr0 & CR0_PE) || (!(c->regs.rflags & RFLAGS_VM) && cpl <= iopl))
		return true;
	blob_get_seg(c, CPU_TR, &tr);
	type = (tr.flags >> 8) & 15;
	if (!(tr.flags & CPU_SEG_FLAGS_P) || (type != 9 && type != 11) || tr.limit < 103 ||
	    cpu_core_read_virt(c, tr.base + 0x66, &map, sizeof(map)) ||
	    (u32)map + port / 8 + 1 > tr.limit ||
	    cpu_core_read_virt(c, tr.base + map + port / 8, &bits, sizeof(bits)))
		return false;
	return !((bits >> (port & 7)) & ((1u << size) - 1));
}

/*
 * The core stopped at a stopping point: I/O for the owner, or code that
 * changed.  The blob is the one rip_linear() just saved.
 */
static void on_io_site(struct cpu_core *c, u64 linear)
{
	u8 code[15] = { 0 };
	unsigned int n = read_code(c, linear, code, sizeof(code));
	struct x86_io_insn x;
	struct cpu_io_insn io;

	if (!x86_decode_io(code, n, blob_code_mode(c), &x)) {
		io_site_drop(c, linear);
		end_run(c);
		return;
	}
	io = (struct cpu_io_insn){
		.port = x.imm ? x.port : (u16)c->regs.gpr[CPU_RDX], .size = x.size, .len = x.len,
		.in = x.in, .string = x.string, .rep = x.rep, .imm = x.imm,
		.addr_size = x.addr_size, .seg = x.seg,
	};
	if (io_permitted(c, io.port, io.size))
		c->ops->io_insn(c->owner, c, &c->regs, &io);
	else
		cpu_core_inject(c, X86_VEC_GP, true, 0);
	finish_boundary(c);
}

/* ---- hooks ---------------------------------------------------------------------- */

/*
 * The exception being reported: its error code, and whether it is a
 * software interrupt (INT n, INT3, INTO); QEMU's "exception in flight"
 * and "software interrupt" flags are cleared, as delivery would.
 */
static u32 take_exception(struct cpu_core *c, bool *soft)
{
	u32 err;

	uc_context_save(c->uc, c->ctx);
	err = blob_read32(c, c->off_error_code);
	*soft = blob_read32(c, c->off_is_int);
	blob_write32(c, c->off_old_exception, ~0u);
	blob_write32(c, c->off_is_int, 0);
	uc_context_restore(c->uc, c->ctx);
	return err;
}

static bool intercept_of(uint32_t svm_exit, const u8 *insn, enum cpu_intercept *what)
{
	switch (svm_exit) {
	case SVM_EXIT_CPUID:	*what = CPU_INTERCEPT_CPUID; return true;
	case SVM_EXIT_HLT:	*what = CPU_INTERCEPT_HLT; return true;
	case SVM_EXIT_INVD:	*what = CPU_INTERCEPT_INVD; return true;
	case SVM_EXIT_WBINVD:	*what = CPU_INTERCEPT_WBINVD; return true;
	case SVM_EXIT_MONITOR:	*what = CPU_INTERCEPT_MONITOR; return true;
	case SVM_EXIT_MWAIT:	*what = CPU_INTERCEPT_MWAIT; return true;
	case SVM_EXIT_RDTSC:	/* QEMU's RDTSCP runs RDTSC's helper, intercept included */
	case SVM_EXIT_RDTSCP:
		*what = insn[1] == 0x01 ? CPU_INTERCEPT_RDTSCP : CPU_INTERCEPT_RDTSC;
		return true;
	case SVM_EXIT_MSR:
		*what = insn[1] == 0x30 ? CPU_INTERCEPT_WRMSR : CPU_INTERCEPT_RDMSR;
		return true;
	default:
		return false;
	}
}

/* Blocks this core has run (wrapping). */
static unsigned int blocks_run(const struct cpu_core *c)
{
	return c->budgets_used * TICK_CHECK_BLOCKS + (TICK_CHECK_BLOCKS - c->block_budget);
}

/*
 * PAUSE: the core spins, waiting for another (a lock, the MP-wakeup
 * mailbox), so a core of the group waiting for its turn gets it now, not
 * at the end of this core's quantum.  The owner never hears of it.
 */
static void on_pause(struct cpu_core *c)
{
	u8 b = 0;

	/* Prefixes may come before F3 90; each byte was fetched already. */
	for (unsigned int len = 1; len <= 15; len++) {
		if (cpu_core_read_virt(c, c->regs.rip + len - 1, &b, 1))
			break;
		if (b == 0x90) {
			c->regs.rip += len;
			break;
		}
	}
	finish_boundary(c);
	/* Each iteration of a spin loop is at most SPIN_GAP_BLOCKS blocks back to the same PAUSE. */
	c->slice_spun = (c->slice_pauses++ == 0 || c->regs.rip == c->last_pause_rip) &&
			(c->slice_pauses == 1 ? c->regs.rip == c->last_pause_rip : c->slice_spun);
	c->last_pause_rip = c->regs.rip;
	if (atomic_load(&c->g->waiters)) {
		bool spun = c->slice_spun &&
			    blocks_run(c) - c->slice_blocks <= SPIN_GAP_BLOCKS * c->slice_pauses;

		c->spin_streak = spun ? c->spin_streak + 1 : 0;
		c->pause_yield = true;
		c->quantum_over = true;
		end_run(c);
	}
}

/* An SVM "VM exit" at the instruction: the owner emulates it in place. */
static void on_intercept(struct cpu_core *c, uint32_t svm_exit)
{
	enum cpu_intercept what;
	u8 insn[2] = { 0, 0 };

	pull_regs(c);
	if (svm_exit == SVM_EXIT_PAUSE) {
		on_pause(c);
		return;
	}
	if (svm_exit == SVM_EXIT_HLT && c->nr_io_sites) {
		u64 linear = rip_linear(c);

		if (io_site_known(c, linear)) {
			on_io_site(c, linear);
			return;
		}
	}
	cpu_core_read_virt(c, c->regs.rip, insn, sizeof(insn));
	if (!intercept_of(svm_exit, insn, &what)) {
		snprintf(c->error, sizeof(c->error), "unexpected intercept 0x%x at RIP 0x%llx",
			 svm_exit, (unsigned long long)c->regs.rip);
		c->failed = true;
		end_run(c);
		return;
	}
	if (what == CPU_INTERCEPT_RDTSCP)
		c->regs.gpr[CPU_RCX] = (u32)msr_read(c, 0xC0000103);	/* IA32_TSC_AUX */
	c->ops->intercept(c->owner, c, &c->regs, what);
	finish_boundary(c);
}

/* An access to the MMIO window: the offset is the GPA. */
static u64 mmio_access(struct cpu_core *c, u64 gpa, unsigned int size, bool write, u64 val)
{
	pull_regs(c);
	c->mid_insn = true;
	val = c->ops->mmio(c->owner, c, gpa, size, write, val);
	c->mid_insn = false;
	return val;
}

static uint64_t on_mmio_read(uc_engine *uc, uint64_t offset, unsigned size, void *data)
{
	(void)uc;
	return mmio_access(data, offset, size, false, 0);
}

static void on_mmio_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value,
			  void *data)
{
	(void)uc;
	mmio_access(data, offset, size, true, value);
}

static int explicit_read(void *ctx, u64 la, void *buf, unsigned int len, struct x86_fault *f)
{
	return virt_copy(ctx, la, buf, len, CPU_ACCESS_READ, f);
}

/*
 * SHLX and ADCX, which the engine refuses while CR4.OSFXSR is clear
 * (x86_emulate.h); false if the instruction at RIP is neither.
 */
static bool emulate_refused(struct cpu_core *c)
{
	static const struct x86_mem_ops explicit_access = { explicit_read, NULL };
	struct x86_emu_regs r = {
		.rip = c->regs.rip, .rflags = c->regs.rflags,
		.fs_base = reg_read(c, UC_X86_REG_FS_BASE), .gs_base = reg_read(c, UC_X86_REG_GS_BASE),
	};
	u8 code[15];
	unsigned int n = read_code(c, code_base(c) + c->regs.rip, code, sizeof(code));
	struct x86_fault f;
	int len;

	memcpy(r.gpr, c->regs.gpr, sizeof(r.gpr));
	len = x86_emulate_no_osfxsr(code, n, code_mode(c), &r, &explicit_access, c, &f);
	if (!len)
		return false;
	if (len < 0) {
		if (f.vector == FAULT_ENGINE)
			return false;
		c->regs.cr2 = f.cr2;
		cpu_core_inject(c, f.vector, true, f.error);
		return true;
	}
	memcpy(c->regs.gpr, r.gpr, sizeof(r.gpr));
	c->regs.rflags = r.rflags;
	c->regs.rip += (u64)len;
	return true;
}

static bool on_invalid(uc_engine *uc, void *data)
{
	struct cpu_core *c = data;
	u8 insn[4];

	(void)uc;
	pull_regs(c);
	if (cpu_core_read_virt(c, c->regs.rip, insn, sizeof(insn)) ||
	    memcmp(insn, TDCALL_BYTES, sizeof(insn)) || !c->ops->tdcall) {
		if (!(c->regs.cr4 & CR4_OSFXSR) && emulate_refused(c)) {
			c->ud_handled = true;
			finish_boundary(c);
		}
		/* Otherwise the #UD report that follows (on_interrupt) delivers it. */
		return true;
	}
	c->ops->tdcall(c->owner, c, &c->regs);
	c->ud_handled = true;
	if (c->event.valid) {
		deliver_pending(c);
	}
	push_regs(c);
	return true;
}

static void on_interrupt(uc_engine *uc, uint32_t intno, void *data)
{
	struct cpu_core *c = data;
	bool soft;
	u32 err;

	(void)uc;
	if (intno == 6 && c->ud_handled) {
		c->ud_handled = false;
		return;
	}
	c->ud_handled = false;
	if (intno >= EXCP_VMEXIT) {
		on_intercept(c, intno - EXCP_VMEXIT);
		return;
	}
	/* An exception, or INT n (RIP already past it): deliver it next. */
	err = take_exception(c, &soft);
	pull_regs(c);
	c->event = (struct pending_event){
		true, (u8)intno, !soft && intno < 32 && x86_vector_has_error((u8)intno), err,
		false, soft,
	};
	end_run(c);
}

static void refuse_io(struct cpu_core *c)
{
	snprintf(c->error, sizeof(c->error),
		 "port I/O near RIP 0x%llx ran before the core could stop at it "
		 "(Unicorn 2.1 reports IN/OUT only from inside the instruction)",
		 (unsigned long long)reg_read(c, UC_X86_REG_RIP));
	c->failed = true;
	end_run(c);
}

/*
 * Unicorn reports IN/OUT from inside the instruction (its translator skips
 * QEMU's I/O permission and SVM IOIO checks, so nothing stops before it):
 * the GPRs are those before the instruction, RIP is stale.
 */
static u32 io_access(struct cpu_core *c, u16 port, unsigned int size, bool in, u32 val)
{
	pull_regs(c);
	c->mid_insn = true;
	val = c->ops->io(c->owner, c, port, size, in, val);
	c->mid_insn = false;
	return val;
}

static u32 on_in(uc_engine *uc, uint32_t port, int size, void *data)
{
	struct cpu_core *c = data;

	(void)uc;
	if (!c->ops->io) {
		refuse_io(c);
		return ~0u;
	}
	return io_access(c, (u16)port, (unsigned int)size, true, 0);
}

static void on_out(uc_engine *uc, uint32_t port, int size, uint32_t value, void *data)
{
	struct cpu_core *c = data;

	(void)uc;
	if (!c->ops->io) {
		refuse_io(c);
		return;
	}
	io_access(c, (u16)port, (unsigned int)size, false, value);
}

/*
 * Unicorn 2.1's SYSCALL only calls hooks and steps over the instruction
 * (no transfer, no checks), and its block ends there: stop, and make the
 * architectural transfer with RIP already past it (do_syscall()).
 */
static void on_syscall(uc_engine *uc, void *data)
{
	struct cpu_core *c = data;

	(void)uc;
	c->syscall = true;
	end_run(c);
}

#define MSR_STAR		0xC0000081
#define MSR_LSTAR		0xC0000082
#define MSR_FMASK		0xC0000084
#define SYSCALL_LEN		2

static void do_syscall(struct cpu_core *c)
{
	struct x86_transfer t;
	struct x86_state s;
	u64 rcx, r11;

	c->syscall = false;
	arch_state(c, &s);
	if (!x86_syscall(&s, msr_read(c, MSR_STAR), msr_read(c, MSR_LSTAR), msr_read(c, MSR_FMASK),
			 &t, &rcx, &r11)) {
		/* #UD is a fault: reported at the instruction. */
		c->regs.rip -= SYSCALL_LEN;
		cpu_core_inject(c, X86_VEC_UD, false, 0);
		return;
	}
	c->regs.gpr[CPU_RCX] = rcx;
	c->regs.gpr[CPU_R11] = r11;
	load_transfer(c, &t);
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

/*
 * Kicks, the host's timer tick, the group's fairness, and what the owner
 * waits for.  Attention is cleared first, so a kick raised meanwhile is seen
 * here or at the next block; conditions still unmet keep it raised.
 */
static __attribute__((noinline)) void block_attention(struct cpu_core *c)
{
	bool quantum = false;

	atomic_store(&c->attention, false);
	core_catch_up(c);
	if (!c->block_budget) {
		c->block_budget = TICK_CHECK_BLOCKS;
		if (now_ns() >= atomic_load(&c->tick_deadline))
			atomic_store(&c->kick, true);
		quantum = ++c->budgets_used % (QUANTUM_BLOCKS / TICK_CHECK_BLOCKS) == 0 &&
			  atomic_load(&c->g->waiters);
	}
	/* An NMI held back by blocking: its handler's IRET has run, deliver it now. */
	if (c->nmi_pending) {
		if (!nmi_blocked(c))
			end_run(c);
		else
			atomic_store(&c->attention, true);
	}
	/* STI, POPF or IRET opened the owner's interrupt window. */
	if (c->irq_window) {
		if (reg_read(c, UC_X86_REG_RFLAGS) & RFLAGS_IF) {
			c->irq_window_open = true;
			end_run(c);
		} else {
			atomic_store(&c->attention, true);
		}
	}
	if (atomic_load(&c->kick) || quantum) {
		c->quantum_over = true;
		end_run(c);
	}
}

/* Every block start comes here: in tight guest loops its cost shows. */
static void on_block(uc_engine *uc, uint64_t addr, uint32_t size, void *data)
{
	struct cpu_core *c = data;

	(void)uc;
	(void)addr;
	(void)size;
	if (!--c->block_budget || atomic_load_explicit(&c->attention, memory_order_relaxed))
		block_attention(c);
}

/*
 * Blocks are scanned as the engine translates them.  It reports a new block
 * only once it has run one, so the very first comes from a block hook of its
 * own, which then goes (run_slice()) with the block that calls it.
 */
static void on_block_translated(uc_engine *uc, uc_tb *tb, uc_tb *prev, void *data)
{
	(void)uc;
	(void)prev;
	scan_block(data, tb->pc, tb->size);
}

static void on_first_block(uc_engine *uc, uint64_t addr, uint32_t size, void *data)
{
	struct cpu_core *c = data;

	scan_block(c, addr, size);
	uc_ctl_remove_cache(uc, addr, addr + size);
	c->first_block_seen = true;
	end_run(c);
}

/* ---- engine setup ------------------------------------------------------------------- */

/* Offset of the u64 register @id in the context blob, found by a magic value. */
static size_t blob_offset_of(struct cpu_core *c, int id, u64 magic)
{
	size_t size = uc_context_size(c->uc), i;
	u64 old = reg_read(c, id), v;

	reg_write(c, id, magic);
	uc_context_save(c->uc, c->ctx);
	reg_write(c, id, old);
	for (i = 0; i + 8 <= size; i += 4) {
		memcpy(&v, (u8 *)c->ctx + i, 8);
		if (v == magic)
			return i;
	}
	return 0;
}

/* Offset of the GDT's base in the context blob, found by a magic value. */
static size_t gdt_base_offset(struct cpu_core *c)
{
	size_t size = uc_context_size(c->uc), i;
	uc_x86_mmr old = { 0 }, gdtr = { .base = GDT_BASE_MAGIC };
	u64 v;

	uc_reg_read(c->uc, UC_X86_REG_GDTR, &old);
	uc_reg_write(c->uc, UC_X86_REG_GDTR, &gdtr);
	uc_context_save(c->uc, c->ctx);
	uc_reg_write(c->uc, UC_X86_REG_GDTR, &old);
	for (i = 0; i + 8 <= size; i += 4) {
		memcpy(&v, (u8 *)c->ctx + i, 8);
		if (v == GDT_BASE_MAGIC)
			return i;
	}
	return 0;
}

/*
 * QEMU's CPUX86State in the blob: regs[16] first, then eip, eflags, three
 * cc words, cc_op, df, hflags; and "int error_code, exception_is_int;
 * u64 next_eip; dr[8]; 4 pointers; int old_exception; u64 vm_vmcb,
 * tsc_offset, intercept" around dr[0].
 */
static bool find_context_offsets(struct cpu_core *c)
{
	size_t env = blob_offset_of(c, UC_X86_REG_RAX, RAX_MAGIC);
	size_t d0 = blob_offset_of(c, UC_X86_REG_DR0, DR0_MAGIC);
	size_t size = uc_context_size(c->uc);

	if (!env || !d0 || d0 + 128 > size)
		return false;
	c->off_hflags = env + 16 * 8 + 5 * 8 + 8;
	c->off_error_code = d0 - 16;
	c->off_is_int = d0 - 12;
	c->off_old_exception = d0 + 8 * 8 + 4 * sizeof(void *);
	c->off_vmcb = d0 + 104;
	c->off_intercept = d0 + 120;
	/* segs[] follow hflags and hflags2; FS's base and the GDT's check it. */
	c->off_segs = c->off_hflags + 8;
	if (blob_offset_of(c, UC_X86_REG_FS_BASE, FS_BASE_MAGIC) != seg_offset(c, CPU_FS) + 8 ||
	    gdt_base_offset(c) != seg_offset(c, CPU_NR_SEGS) + 8)
		return false;
	uc_context_save(c->uc, c->ctx);
	/* A fresh UC_MODE_64 engine is in long mode with a 64-bit CS. */
	return (blob_read32(c, c->off_hflags) & HF_LMA_CS64_MASK) == HF_LMA_CS64_MASK &&
	       blob_read32(c, c->off_old_exception) == ~0u;
}

/* The MSR permission map: two bits (read, write) per MSR in three ranges. */
static void build_msrpm(struct cpu_core *c, u8 *msrpm)
{
	static const u32 base[3] = { 0, 0xC0000000, 0xC0010000 };
	u32 r, i;

	memset(msrpm, 0xFF, 8192);
	for (r = 0; r < 3; r++) {
		for (i = 0; i < 0x2000; i++) {
			u32 msr = base[r] + i, bit = (r * 0x2000 + i) * 2;

			for (u32 write = 0; write < 2; write++)
				if (msr == 0xC0000080 || (c->ops->msr_passthrough &&
							  c->ops->msr_passthrough(msr, write)))
					msrpm[(bit + write) / 8] &= (u8)~(1u << ((bit + write) % 8));
		}
	}
}

/* Turns the engine into an SVM guest intercepting what struct cpu_ops lists. */
static bool setup_intercepts(struct cpu_core *c)
{
	u64 msrpm_pa = SVM_AREA_PA + 4096, vmcb = SVM_AREA_PA;
	u64 bits = SVM_BIT(SVM_EXIT_CPUID) | SVM_BIT(SVM_EXIT_HLT) | SVM_BIT(SVM_EXIT_MSR) |
		   SVM_BIT(SVM_EXIT_INVD) | SVM_BIT(SVM_EXIT_WBINVD) |
		   SVM_BIT(SVM_EXIT_MONITOR) | SVM_BIT(SVM_EXIT_MWAIT) |
		   SVM_BIT(SVM_EXIT_RDTSC) | SVM_BIT(SVM_EXIT_RDTSCP) | SVM_BIT(SVM_EXIT_PAUSE);

	c->svm_area = aligned_alloc(4096, SVM_AREA_SIZE);
	if (!c->svm_area)
		return false;
	memset(c->svm_area, 0, SVM_AREA_SIZE);
	memcpy(c->svm_area + VMCB_MSRPM_BASE, &msrpm_pa, sizeof(msrpm_pa));
	build_msrpm(c, c->svm_area + 4096);
	if (uc_mem_map_ptr(c->uc, SVM_AREA_PA, SVM_AREA_SIZE, UC_PROT_READ, c->svm_area))
		return false;
	uc_context_save(c->uc, c->ctx);
	blob_write32(c, c->off_hflags, blob_read32(c, c->off_hflags) | HF_GUEST_MASK);
	memcpy((u8 *)c->ctx + c->off_vmcb, &vmcb, sizeof(vmcb));
	memcpy((u8 *)c->ctx + c->off_intercept, &bits, sizeof(bits));
	return uc_context_restore(c->uc, c->ctx) == UC_ERR_OK;
}

static bool engine_setup(struct cpu_core *c)
{
	uc_hook h;
	uc_err e;

	e = uc_open(UC_ARCH_X86, UC_MODE_64, &c->uc);
	if (e) {
		snprintf(c->error, sizeof(c->error), "uc_open: %s", uc_strerror(e));
		return false;
	}
	if ((e = uc_ctl_set_tcg_buffer_size(c->uc, TCG_BUFFER_BYTES)) ||
	    (e = uc_ctl_set_cpu_model(c->uc, UC_CPU_X86_ICELAKE_SERVER)) ||
	    (e = uc_mem_map_ptr(c->uc, PLATFORM_MEM_BASE, c->ram_size, UC_PROT_ALL, c->ram)) ||
	    (e = uc_ctl_tlb_mode(c->uc, UC_TLB_VIRTUAL)) ||
	    (e = uc_ctl_exits_enable(c->uc)) ||
	    /*
	     * Unicorn 2.1.1 leaves its one translation region unclaimed, so
	     * the first time the buffer fills it starts over without a flush,
	     * over blocks still in use (SIGSEGV/SIGBUS; fixed in 2.1.3 by
	     * 2128e01e).  A flush claims it.
	     */
	    (e = uc_ctl_flush_tb(c->uc)) ||
	    (e = uc_context_alloc(c->uc, &c->ctx)) ||
	    (e = uc_hook_add(c->uc, &h, UC_HOOK_TLB_FILL, on_tlb_fill, c, 1, 0)) ||
	    (e = uc_hook_add(c->uc, &h, UC_HOOK_INSN_INVALID, on_invalid, c, 1, 0)) ||
	    (e = uc_hook_add(c->uc, &h, UC_HOOK_INTR, on_interrupt, c, 1, 0)) ||
	    (e = uc_hook_add(c->uc, &h, UC_HOOK_BLOCK, on_block, c, 1, 0)) ||
	    (c->scan_io &&
	     ((e = uc_hook_add(c->uc, &c->first_block, UC_HOOK_BLOCK, on_first_block, c, 1, 0)) ||
	      (e = uc_hook_add(c->uc, &h, UC_HOOK_EDGE_GENERATED, on_block_translated, c, 1, 0)))) ||
	    (e = uc_hook_add(c->uc, &h, UC_HOOK_INSN, on_in, c, 1, 0, UC_X86_INS_IN)) ||
	    (e = uc_hook_add(c->uc, &h, UC_HOOK_INSN, on_out, c, 1, 0, UC_X86_INS_OUT)) ||
	    (e = uc_hook_add(c->uc, &h, UC_HOOK_INSN, on_syscall, c, 1, 0, UC_X86_INS_SYSCALL))) {
		snprintf(c->error, sizeof(c->error), "Unicorn setup: %s", uc_strerror(e));
		return false;
	}
	if (!find_context_offsets(c)) {
		snprintf(c->error, sizeof(c->error),
			 "this Unicorn's context layout is not the one softtdx knows");
		return false;
	}
	if (!setup_intercepts(c)) {
		snprintf(c->error, sizeof(c->error), "could not set up SVM intercepts");
		return false;
	}
	if (c->ops->mmio && (e = uc_mmio_map(c->uc, MMIO_WINDOW_PA, MMIO_WINDOW_SIZE, on_mmio_read,
					    c, on_mmio_write, c))) {
		snprintf(c->error, sizeof(c->error), "MMIO window: %s", uc_strerror(e));
		return false;
	}
	pull_regs(c);
	return true;
}

/* ---- running ------------------------------------------------------------------------ */

static void set_state(struct cpu_core *c, enum core_state s)
{
	pthread_mutex_lock(&c->lock);
	atomic_store(&c->state, s);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* Host CPUs: at most that many threads spin in hand-overs at once. */
static int spin_slots(void)
{
	static _Atomic int slots = -1;
	int n = atomic_load(&slots);

	if (n < 0) {
		n = (int)sysconf(_SC_NPROCESSORS_ONLN);
		atomic_store(&slots, n < 1 ? 1 : n);
	}
	return atomic_load(&slots);
}

/*
 * Waits while the state is @s.  A hand-over between the entering thread and
 * the core thread is usually quick, and a sleeping thread takes tens of
 * microseconds to wake on a virtual machine, so spin a little first, but
 * only while no core queues for the group's turn and a host CPU is free
 * for it: otherwise the spinners take the CPU from the core they wait for
 * (16 vCPUs on 2 host CPUs spent half their time spinning, and booted
 * Linux 5 times slower).
 */
static void wait_while(struct cpu_core *c, enum core_state s)
{
	static _Atomic int spinning;

	if (atomic_fetch_add(&spinning, 1) < spin_slots() && !atomic_load(&c->g->waiters)) {
		for (unsigned int i = 0; i < HANDOVER_SPINS; i++) {
			if (atomic_load_explicit(&c->state, memory_order_acquire) != (int)s)
				break;
			__builtin_ia32_pause();
		}
	}
	atomic_fetch_sub(&spinning, 1);
	if (atomic_load_explicit(&c->state, memory_order_acquire) != (int)s)
		return;
	pthread_mutex_lock(&c->lock);
	while (atomic_load(&c->state) == (int)s)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
}

/* On the core thread: hand the result to cpu_core_run(), wait for the next entry. */
static void park(struct cpu_core *c, enum cpu_run_result result)
{
	c->spin_streak = 0;	/* it went back to its owner: not spinning for good */
	group_leave(c->g);
	c->result = result;
	set_state(c, CORE_PARKED);
	wait_while(c, CORE_PARKED);
	group_enter(c->g);
}

void cpu_core_exit(struct cpu_core *c)
{
	park(c, CPU_RUN_EXIT);
	if (c->state == CORE_QUIT)
		end_run(c);
}

static bool window_in(const struct platform_window *w, const struct platform_window *set,
		      size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i].hpa == w->hpa && set[i].len == w->len && set[i].hva == w->hva)
			return true;
	return false;
}

/* The bus follows the platform's windows; INVEPT empties the TLB. */
static bool sync_physical_space(struct cpu_core *c)
{
	static __thread struct platform_window now[PLATFORM_MAX_WINDOWS];
	u64 gen = platform_windows_gen(c->p), ept = platform_ept_gen(c->p);
	size_t n, i, kept = 0;

	if (ept != c->ept_gen) {
		c->ept_gen = ept;
		uc_ctl_flush_tlb(c->uc);
	}
	if (gen == c->windows_gen)
		return true;
	n = platform_windows(c->p, now, PLATFORM_MAX_WINDOWS);
	for (i = 0; i < c->nr_windows; i++) {
		if (window_in(&c->windows[i], now, n))
			c->windows[kept++] = c->windows[i];
		else
			uc_mem_unmap(c->uc, c->windows[i].hpa, c->windows[i].len);
	}
	c->nr_windows = kept;
	for (i = 0; i < n; i++) {
		if (window_in(&now[i], c->windows, c->nr_windows))
			continue;
		if (uc_mem_map_ptr(c->uc, now[i].hpa, now[i].len, UC_PROT_ALL, now[i].hva)) {
			snprintf(c->error, sizeof(c->error), "cannot map host memory at 0x%llx",
				 (unsigned long long)now[i].hpa);
			return false;
		}
		c->windows[c->nr_windows++] = now[i];
	}
	c->windows_gen = gen;
	uc_ctl_flush_tlb(c->uc);
	return true;
}

/* One uc_emu_start and what it ended with; false when the core must stop. */
static bool run_slice(struct cpu_core *c)
{
	uc_err e;

	if (!sync_physical_space(c))
		return false;
	core_catch_up(c);
	uc_ctl_exits_enable(c->uc);
	if (c->io_sites_changed)
		apply_io_sites(c);
	if (c->want_state)
		load_state(c);
	else if (c->want_protected_mode)
		enter_protected_mode(c);
	push_regs(c);
	take_nmi(c);
	if (c->irq_window_open && !c->event.valid) {
		c->irq_window_open = false;
		c->irq_window = false;
		c->ops->irq_window(c->owner, c);
	}
	if (c->event.valid && !deliver_pending(c)) {
		c->in_shutdown = true;
		return false;
	}
	push_regs(c);
	if (c->want_tlb_flush) {
		uc_ctl_flush_tlb(c->uc);
		c->want_tlb_flush = false;
	}
	if (c->first_block && c->first_block_seen) {
		uc_hook_del(c->uc, c->first_block);
		c->first_block = 0;
	}
	c->quantum_over = false;
	c->exit_pending = false;
	c->probe_missed = false;
	c->slice_blocks = blocks_run(c);
	c->slice_pauses = 0;
	e = uc_emu_start(c->uc, c->regs.rip, 0, 0, 0);
	pull_regs(c);
	if (c->syscall)
		do_syscall(c);
	if (c->exit_pending)
		return !c->failed;	/* the owner parked us in translate(); just retry */
	if (e == UC_ERR_EXCEPTION && (c->event.valid || c->probe_missed))
		return true;	/* a guest #PF from the walk, or the engine's own miss */
	if (e != UC_ERR_OK && e != UC_ERR_EXCEPTION) {
		snprintf(c->error, sizeof(c->error), "engine stopped at RIP 0x%llx: %s",
			 (unsigned long long)c->regs.rip, uc_strerror(e));
		return false;
	}
	if (e == UC_ERR_EXCEPTION && !c->event.valid) {
		if (!c->error[0])
			snprintf(c->error, sizeof(c->error), "unhandled fault at RIP 0x%llx",
				 (unsigned long long)c->regs.rip);
		return false;
	}
	/* A hook whose event could not be delivered put the core in shutdown. */
	return !c->failed && !c->in_shutdown;
}

static void *core_thread(void *arg)
{
	struct cpu_core *c = arg;
	bool ok = engine_setup(c);

	pthread_mutex_lock(&c->lock);
	c->ready = true;
	c->result = ok ? CPU_RUN_EXIT : CPU_RUN_FAILED;
	pthread_cond_broadcast(&c->cond);
	while (c->state == CORE_PARKED)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
	group_enter(c->g);
	while (c->state != CORE_QUIT) {
		if (!ok) {
			park(c, CPU_RUN_FAILED);
			continue;
		}
		if (atomic_exchange(&c->kick, false)) {
			park(c, CPU_RUN_KICKED);
			continue;
		}
		if (!c->pause_yield)
			c->spin_streak = 0;
		c->pause_yield = false;
		if (c->quantum_over && atomic_load(&c->g->waiters)) {
			if (c->spin_streak >= SPIN_STREAK) {
				group_doze(c->g);
			}
			else
				group_yield(c->g);
		}
		if (!run_slice(c)) {
			if (c->in_shutdown) {
				if (c->ops->shutdown)
					c->ops->shutdown(c->owner, c);
				park(c, CPU_RUN_SHUTDOWN);
			} else {
				ok = false;
				park(c, CPU_RUN_FAILED);
			}
		}
	}
	group_leave(c->g);
	if (c->ctx)
		uc_context_free(c->ctx);
	if (c->uc)
		uc_close(c->uc);
	free(c->svm_area);
	free(c->io_sites);
	return NULL;
}

struct cpu_core *cpu_core_create(struct platform *p, struct cpu_group *g,
				 const struct cpu_ops *ops, void *owner)
{
	struct cpu_core *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->p = p;
	c->g = g;
	c->ops = ops;
	c->owner = owner;
	c->ram = platform_ram(p);
	c->ram_size = platform_get_config(p)->mem_size;
	c->scan_io = ops->io_insn != NULL;
	c->state = CORE_PARKED;
	c->undeliverable = -1;
	c->block_budget = TICK_CHECK_BLOCKS;
	if (!group_add_core(g, c)) {
		fprintf(stderr, "softtdx: CPU engine: a group runs at most %d cores\n",
			GROUP_MAX_CORES);
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	if (pthread_create(&c->thread, NULL, core_thread, c)) {
		group_remove_core(g, c);
		free(c);
		return NULL;
	}
	pthread_mutex_lock(&c->lock);
	while (!c->ready)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
	if (c->result == CPU_RUN_FAILED) {
		fprintf(stderr, "softtdx: CPU engine: %s\n", c->error);
		cpu_core_destroy(c);
		return NULL;
	}
	return c;
}

enum cpu_run_result cpu_core_run(struct cpu_core *c)
{
	atomic_store(&c->tick_deadline, now_ns() + TICK_NS);
	set_state(c, CORE_RUNNING);
	wait_while(c, CORE_RUNNING);
	return c->result;
}

void cpu_core_kick(struct cpu_core *c)
{
	atomic_store(&c->kick, true);
	atomic_store(&c->attention, true);
}

const char *cpu_core_error(const struct cpu_core *c)
{
	return c->error[0] ? c->error : "no error";
}

void cpu_core_destroy(struct cpu_core *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->state = CORE_QUIT;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	group_remove_core(c->g, c);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	free(c->stale_code);
	free(c);
}

