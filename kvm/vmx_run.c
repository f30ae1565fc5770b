// SPDX-License-Identifier: MIT
/*
 * KVM_RUN of a normal (KVM_X86_DEFAULT_VM) vCPU: the guest runs on a CPU
 * core as a VMX guest of KVM would, from the RESET state in real mode.
 *
 * - One core per vCPU, made on its first KVM_RUN, in one CPU group per VM,
 *   so the VM's vCPUs never execute at the same time (guest LOCK stays
 *   atomic).  The cores need the platform KVM runs on: without one
 *   (the TDX bring-up failed) KVM_RUN fails with ENODEV.
 * - The architectural state lives in struct kvm_vcpu_arch, where the state
 *   ioctls read and write it.  Before an entry it goes into the core if
 *   userspace changed it since the last exit; after every exit it comes
 *   back, so KVM_GET_REGS/SREGS see what the guest did.
 * - The second stage is the memslots: a GPA's host page is the slot's
 *   userspace page through its platform window.  A GPA without a slot, or a
 *   write to a read-only slot, is MMIO: the core hands each access to
 *   vmx_mmio(), which exits with KVM_EXIT_MMIO.  A fetch there is an
 *   emulation failure, as in KVM.
 * - Exits that need userspace (port I/O, MMIO, HLT) are made by the
 *   callbacks on the core's thread: they fill kvm_run and park the core
 *   with cpu_core_exit(); the next KVM_RUN resumes them.  IN/OUT stop at
 *   an instruction boundary, so they complete as KVM's fast PIO does
 *   (complete_userspace_io); INS/OUTS and MMIO park inside the
 *   instruction and take userspace's answer when the core resumes.
 */
#include "kvm_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VEC_GP			13
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_TSC_AUX		0xc0000103
#define HALT_POLL_NS		100000L

struct kvm_vmx {
	struct cpu_group *group;
};

/* The state as the core last had it, in KVM's terms: what "changed" means. */
struct vmx_snapshot {
	struct kvm_regs regs;
	struct kvm_segment seg[CPU_NR_SEGS];
	struct kvm_dtable gdt, idt;
	u64 cr0, cr2, cr3, cr4, efer;
};

/* An IN/OUT stopped at its instruction, completed by the next KVM_RUN. */
struct vmx_pio {
	bool in;
	u8 size, len;
};

struct kvm_vcpu_vmx {
	struct cpu_core *core;
	struct vmx_pio pio;
	struct vmx_snapshot synced;
	bool loaded;		/* synced is what the core holds */
	bool user_exit;		/* a callback filled kvm_run for userspace */
};

static struct kvm_vcpu_vmx *vmx_of(struct kvm_vcpu *vcpu)
{
	return vcpu->vmx;
}

/* A callback's exit to userspace: kvm_run is filled; back when KVM_RUN comes again. */
static void user_exit(struct kvm_vcpu *vcpu, struct cpu_core *c)
{
	vmx_of(vcpu)->user_exit = true;
	cpu_core_exit(c);
}

static void internal_error(struct kvm_run *run, u32 suberror, u32 ndata, u64 data0)
{
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = ndata;
	run->internal.data[0] = data0;
}

/* ---- the second stage: memslots ------------------------------------------------------- */

static void mark_dirty(struct kvm_memslot *slot, u64 gfn)
{
	u64 i = gfn - slot->base_gfn;

	__atomic_fetch_or(&slot->dirty_bitmap[i / 64], 1ULL << (i % 64), __ATOMIC_RELAXED);
}

/*
 * The slot's page for @access, or PLATFORM_NO_HPA for MMIO (no slot, or a
 * write to a read-only one).  Pages of a dirty-logged slot are writable
 * only for a write, which marks them; a page first read faults again on
 * its first write.  *mapped is false when the slot's memory has no window.
 */
static u64 slot_page(struct kvm_vm *vm, u64 gpa, unsigned int access, bool *writable,
		     bool *mapped)
{
	u64 gfn = gpa / TDX_PAGE_SIZE, hpa = PLATFORM_NO_HPA;
	struct kvm_memslot *slot;
	bool write = access & CPU_ACCESS_WRITE;

	*mapped = true;
	pthread_mutex_lock(&vm->slots_lock);
	slot = kvm_gfn_to_memslot(vm, gfn);
	if (slot && !(write && (slot->flags & KVM_MEM_READONLY))) {
		hpa = kvm_memslot_hpa(slot, gfn);
		*mapped = hpa != PLATFORM_NO_HPA;
		*writable = !(slot->flags & KVM_MEM_READONLY) && (!slot->dirty_bitmap || write);
		if (*mapped && write && slot->dirty_bitmap)
			mark_dirty(slot, gfn);
	}
	pthread_mutex_unlock(&vm->slots_lock);
	return hpa;
}

static enum cpu_xlate vmx_translate(void *owner, struct cpu_core *c, u64 gpa, u64 gla,
				    unsigned int access, u64 *hpa, bool *writable)
{
	struct kvm_vcpu *vcpu = owner;
	bool mapped;

	(void)gla;
	*hpa = slot_page(vcpu->vm, gpa, access, writable, &mapped);
	if (*hpa != PLATFORM_NO_HPA)
		return CPU_XLATE_OK;
	if (access & CPU_ACCESS_PROBE)
		return CPU_XLATE_NONE;
	if (!mapped) {
		/* The slot's memory could not become host-physical (no window left). */
		internal_error(vcpu->run, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON, 1, gpa);
		user_exit(vcpu, c);
		return CPU_XLATE_EXIT;
	}
	if (access & CPU_ACCESS_FETCH) {
		/* KVM's emulator cannot fetch the instruction from MMIO either. */
		internal_error(vcpu->run, KVM_INTERNAL_ERROR_EMULATION, 0, 0);
		user_exit(vcpu, c);
		return CPU_XLATE_EXIT;
	}
	return CPU_XLATE_MMIO;
}

/* A read from a read-only slot whose page went to MMIO for a write. */
static bool read_readonly(struct kvm_vm *vm, u64 gpa, unsigned int size, u64 *val)
{
	struct kvm_memslot *slot;
	bool found;

	pthread_mutex_lock(&vm->slots_lock);
	slot = kvm_gfn_to_memslot(vm, gpa / TDX_PAGE_SIZE);
	found = slot != NULL;
	if (found)
		memcpy(val, (u8 *)(uintptr_t)(slot->userspace_addr +
					       (gpa - slot->base_gfn * TDX_PAGE_SIZE)), size);
	pthread_mutex_unlock(&vm->slots_lock);
	return found;
}

static u64 vmx_mmio(void *owner, struct cpu_core *c, u64 gpa, unsigned int size, bool write,
		    u64 val)
{
	struct kvm_vcpu *vcpu = owner;
	struct kvm_run *run = vcpu->run;

	if (!write && read_readonly(vcpu->vm, gpa, size, &val))
		return val;
	if (write && kvm_ioeventfd_write(vcpu->vm, false, gpa, size, val))
		return 0;
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = size;
	run->mmio.is_write = write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (write)
		memcpy(run->mmio.data, &val, size);
	user_exit(vcpu, c);
	val = 0;
	if (!write)
		memcpy(&val, run->mmio.data, size);
	return val;
}

/* ---- port I/O and intercepted instructions ----------------------------------------------- */

/* KVM_EXIT_IO of one element; @out is what OUT writes.  The data area is returned. */
static u8 *fill_io_exit(struct kvm_vcpu *vcpu, u16 port, unsigned int size, bool in,
			const void *out)
{
	struct kvm_run *run = vcpu->run;
	u8 *data = (u8 *)run + KVM_PIO_PAGE_OFFSET * 4096;

	vcpu->arch.io_exits++;
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = (u8)size;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * 4096;
	if (!in)
		memcpy(data, out, size);
	return data;
}

static u32 vmx_io(void *owner, struct cpu_core *c, u16 port, unsigned int size, bool in, u32 val)
{
	struct kvm_vcpu *vcpu = owner;
	u8 *data;

	if (!in && kvm_ioeventfd_write(vcpu->vm, true, port, size, val))
		return 0;
	data = fill_io_exit(owner, port, size, in, &val);

	user_exit(owner, c);
	val = 0;
	if (in)
		memcpy(&val, data, size);
	return val;
}

/*
 * complete_fast_pio_in/out: IN's data from the run area into RAX (a 4-byte
 * IN zero-extends, as KVM writes it), RIP past the instruction, on top of
 * whatever userspace set meanwhile.
 */
static int complete_pio(struct kvm_vcpu *vcpu)
{
	struct vmx_pio *pio = &vmx_of(vcpu)->pio;
	struct kvm_regs *regs = &vcpu->arch.regs;

	if (pio->in) {
		u64 val = 0, mask = (1ULL << 8 * pio->size) - 1;

		memcpy(&val, (u8 *)vcpu->run + KVM_PIO_PAGE_OFFSET * 4096, pio->size);
		regs->rax = pio->size == 4 ? val : (regs->rax & ~mask) | val;
	}
	regs->rip += pio->len;
	return 1;
}

/*
 * IN/OUT the core stopped at: KVM_EXIT_IO with RIP on the instruction, as
 * KVM's fast PIO leaves it; the next KVM_RUN completes it (complete_pio).
 */
static void vmx_io_insn(void *owner, struct cpu_core *c, struct cpu_regs *r,
			const struct cpu_io_insn *io)
{
	struct kvm_vcpu *vcpu = owner;

	if (!io->in && !io->string &&
	    kvm_ioeventfd_write(vcpu->vm, true, io->port, io->size, r->gpr[CPU_RAX])) {
		r->rip += io->len;	/* KVM's fast PIO, with no exit */
		return;
	}
	fill_io_exit(vcpu, io->port, io->size, io->in, &r->gpr[CPU_RAX]);
	vmx_of(vcpu)->pio = (struct vmx_pio){ io->in, io->size, io->len };
	vcpu->arch.complete_userspace_io = complete_pio;
	user_exit(vcpu, c);
}

/* kvm_emulate_cpuid() over the KVM_SET_CPUID2 table; a missing leaf reads zeros. */
static void emulate_cpuid(struct kvm_vcpu *vcpu, struct cpu_regs *r)
{
	const struct kvm_cpuid_entry2 *e =
		kvm_vcpu_cpuid(vcpu, (u32)r->gpr[CPU_RAX], (u32)r->gpr[CPU_RCX]);

	r->gpr[CPU_RAX] = e ? e->eax : 0;
	r->gpr[CPU_RBX] = e ? e->ebx : 0;
	r->gpr[CPU_RCX] = e ? e->ecx : 0;
	r->gpr[CPU_RDX] = e ? e->edx : 0;
}

/* RDMSR/WRMSR through the common MSR code; a refused access is #GP(0). */
static bool emulate_msr(struct kvm_vcpu *vcpu, struct cpu_regs *r, bool write)
{
	u32 index = (u32)r->gpr[CPU_RCX];
	u64 data = (u32)r->gpr[CPU_RAX] | r->gpr[CPU_RDX] << 32;

	if (write)
		return !vcpu->vm->vcpu_ops->set_msr(vcpu, index, data, false);
	if (vcpu->vm->vcpu_ops->get_msr(vcpu, index, &data))
		return false;
	r->gpr[CPU_RAX] = (u32)data;
	r->gpr[CPU_RDX] = data >> 32;
	return true;
}

static void emulate_rdtsc(struct kvm_vcpu *vcpu, struct cpu_regs *r, bool rdtscp)
{
	u64 tsc = kvm_guest_tsc(&vcpu->arch);

	r->gpr[CPU_RAX] = (u32)tsc;
	r->gpr[CPU_RDX] = tsc >> 32;
	if (rdtscp)
		r->gpr[CPU_RCX] = (u32)vcpu->arch.tsc_aux;
}

/*
 * HLT: KVM_EXIT_HLT without an in-kernel APIC (no irqchip: userspace owns
 * interrupts); with one the vCPU halts in KVM until woken.  RIP is past it.
 */
static void emulate_hlt(struct kvm_vcpu *vcpu, struct cpu_core *c)
{
	vcpu->arch.halt_exits++;
	if (vcpu->arch.lapic_in_kernel)
		vcpu->arch.mp_state = KVM_MP_STATE_HALTED;
	else
		vcpu->run->exit_reason = KVM_EXIT_HLT;
	user_exit(vcpu, c);
}

static void vmx_intercept(void *owner, struct cpu_core *c, struct cpu_regs *r,
			  enum cpu_intercept what)
{
	/* Instruction lengths without prefixes. */
	static const u8 len[] = {
		[CPU_INTERCEPT_CPUID] = 2, [CPU_INTERCEPT_HLT] = 1, [CPU_INTERCEPT_RDMSR] = 2,
		[CPU_INTERCEPT_WRMSR] = 2, [CPU_INTERCEPT_INVD] = 2, [CPU_INTERCEPT_WBINVD] = 2,
		[CPU_INTERCEPT_MONITOR] = 3, [CPU_INTERCEPT_MWAIT] = 3, [CPU_INTERCEPT_RDTSC] = 2,
		[CPU_INTERCEPT_RDTSCP] = 3,
	};
	struct kvm_vcpu *vcpu = owner;

	switch (what) {
	case CPU_INTERCEPT_CPUID:
		emulate_cpuid(vcpu, r);
		break;
	case CPU_INTERCEPT_RDMSR:
	case CPU_INTERCEPT_WRMSR:
		if (!emulate_msr(vcpu, r, what == CPU_INTERCEPT_WRMSR)) {
			cpu_core_inject(c, VEC_GP, true, 0);
			return;
		}
		break;
	case CPU_INTERCEPT_RDTSC:
	case CPU_INTERCEPT_RDTSCP:
		emulate_rdtsc(vcpu, r, what == CPU_INTERCEPT_RDTSCP);
		break;
	case CPU_INTERCEPT_HLT:
		r->rip += len[what];
		emulate_hlt(vcpu, c);
		return;
	default:
		/* INVD, WBINVD; MONITOR/MWAIT as NOPs (KVM's MWAIT_NEVER_UD_FAULTS quirk). */
		break;
	}
	r->rip += len[what];
}

/* FS and GS bases are segment state the core keeps; the rest goes to KVM's MSR code. */
static bool vmx_msr_passthrough(u32 msr, bool write)
{
	(void)write;
	return msr == MSR_FS_BASE || msr == MSR_GS_BASE;
}

static const struct cpu_ops vmx_cpu_ops = {
	.translate = vmx_translate,
	.intercept = vmx_intercept,
	.msr_passthrough = vmx_msr_passthrough,
	.io = vmx_io,
	.io_insn = vmx_io_insn,
	.mmio = vmx_mmio,
};

/* ---- state: struct kvm_vcpu_arch <-> the core ------------------------------------------- */

static u32 seg_flags(const struct kvm_segment *s)
{
	return (u32)s->type << 8 | (s->s ? CPU_SEG_FLAGS_S : 0) | (u32)s->dpl << 13 |
	       (s->present && !s->unusable ? CPU_SEG_FLAGS_P : 0) | (u32)s->avl << 20 |
	       (s->l ? CPU_SEG_FLAGS_L : 0) | (s->db ? CPU_SEG_FLAGS_DB : 0) |
	       (s->g ? CPU_SEG_FLAGS_G : 0);
}

static void seg_to_cpu(const struct kvm_segment *s, struct cpu_segment *out)
{
	out->base = s->base;
	out->limit = s->limit;
	out->selector = s->selector;
	out->flags = seg_flags(s);
}

static void seg_from_cpu(const struct cpu_segment *s, struct kvm_segment *out)
{
	memset(out, 0, sizeof(*out));
	out->base = s->base;
	out->limit = s->limit;
	out->selector = s->selector;
	out->type = (s->flags >> 8) & 15;
	out->s = !!(s->flags & CPU_SEG_FLAGS_S);
	out->dpl = (s->flags >> 13) & 3;
	out->present = !!(s->flags & CPU_SEG_FLAGS_P);
	out->avl = (s->flags >> 20) & 1;
	out->l = !!(s->flags & CPU_SEG_FLAGS_L);
	out->db = !!(s->flags & CPU_SEG_FLAGS_DB);
	out->g = !!(s->flags & CPU_SEG_FLAGS_G);
	out->unusable = !out->present;
}

/* The segments of kvm_sregs in the engine's order (ES, CS, SS, DS, FS, GS, LDTR, TR). */
static struct kvm_segment *sregs_seg(struct kvm_sregs *s, int i)
{
	struct kvm_segment *segs[CPU_NR_SEGS] = {
		&s->es, &s->cs, &s->ss, &s->ds, &s->fs, &s->gs, &s->ldt, &s->tr,
	};

	return segs[i];
}

static void snapshot_of(struct kvm_vcpu_arch *a, struct vmx_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->regs = a->regs;
	for (int i = 0; i < CPU_NR_SEGS; i++)
		s->seg[i] = *sregs_seg(&a->sregs, i);
	s->gdt = a->sregs.gdt;
	s->idt = a->sregs.idt;
	s->cr0 = a->sregs.cr0;
	s->cr2 = a->sregs.cr2;
	s->cr3 = a->sregs.cr3;
	s->cr4 = a->sregs.cr4;
	s->efer = a->efer;
}

static void regs_to_cpu(const struct kvm_regs *k, struct cpu_regs *r)
{
	const u64 gprs[CPU_NR_GPRS] = {
		k->rax, k->rcx, k->rdx, k->rbx, k->rsp, k->rbp, k->rsi, k->rdi,
		k->r8, k->r9, k->r10, k->r11, k->r12, k->r13, k->r14, k->r15,
	};

	memcpy(r->gpr, gprs, sizeof(gprs));
	r->rip = k->rip;
	r->rflags = k->rflags;
}

static void regs_from_cpu(const struct cpu_regs *r, struct kvm_regs *k)
{
	const u64 *g = r->gpr;

	*k = (struct kvm_regs){
		.rax = g[CPU_RAX], .rbx = g[CPU_RBX], .rcx = g[CPU_RCX], .rdx = g[CPU_RDX],
		.rsi = g[CPU_RSI], .rdi = g[CPU_RDI], .rsp = g[CPU_RSP], .rbp = g[CPU_RBP],
		.r8 = g[CPU_R8], .r9 = g[CPU_R9], .r10 = g[CPU_R10], .r11 = g[CPU_R11],
		.r12 = g[CPU_R12], .r13 = g[CPU_R13], .r14 = g[CPU_R14], .r15 = g[CPU_R15],
		.rip = r->rip, .rflags = r->rflags,
	};
}

#define RFLAGS_VM	(1ULL << 17)

/*
 * Only the general registers, RIP or RFLAGS changed (KVM_SET_REGS, an IN
 * completed), and not RFLAGS.VM, which QEMU's mode flags follow: the core
 * takes them as they are, without reloading its whole state.
 */
static bool only_regs_changed(const struct vmx_snapshot *now, const struct vmx_snapshot *old)
{
	size_t off = offsetof(struct vmx_snapshot, seg);

	return !((now->regs.rflags ^ old->regs.rflags) & RFLAGS_VM) &&
	       !memcmp((const u8 *)now + off, (const u8 *)old + off, sizeof(*now) - off);
}

/* All of userspace's state: the control registers and segments as well. */
static int set_whole_state(struct kvm_vcpu_vmx *v, struct kvm_vcpu_arch *a,
			   struct cpu_regs *r)
{
	struct cpu_segs s;

	r->cr0 = a->sregs.cr0;
	r->cr2 = a->sregs.cr2;
	r->cr3 = a->sregs.cr3;
	r->cr4 = a->sregs.cr4;
	r->efer = a->efer;
	r->idt_base = a->sregs.idt.base;
	r->idt_limit = a->sregs.idt.limit;
	for (int i = 0; i < CPU_NR_SEGS; i++)
		seg_to_cpu(sregs_seg(&a->sregs, i), &s.seg[i]);
	s.gdt_base = a->sregs.gdt.base;
	s.gdt_limit = a->sregs.gdt.limit;
	return cpu_core_set_state(v->core, r, &s);
}

/* Userspace's state into the core, if it changed since the core last had it. */
static int load_state(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_vmx *v = vmx_of(vcpu);
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct vmx_snapshot now;
	struct cpu_regs r;
	int ret = 0;

	snapshot_of(a, &now);
	if (v->loaded && !memcmp(&now, &v->synced, sizeof(now)))
		return 0;
	cpu_core_get_regs(v->core, &r);
	regs_to_cpu(&a->regs, &r);
	if (!v->loaded || !only_regs_changed(&now, &v->synced) ||
	    cpu_core_undeliverable_vector(v->core) >= 0)
		ret = set_whole_state(v, a, &r);
	else if (cpu_core_mid_instruction(v->core))
		ret = -EBUSY;	/* as cpu_core_set_state() says */
	else
		cpu_core_set_regs(v->core, &r);
	if (ret)
		return ret;
	v->synced = now;
	v->loaded = true;
	return 0;
}

/* The core's state back into struct kvm_vcpu_arch, after every exit. */
static void store_state(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_vmx *v = vmx_of(vcpu);
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct cpu_regs r;
	struct cpu_segs s;

	cpu_core_get_regs(v->core, &r);
	cpu_core_get_segs(v->core, &s);
	regs_from_cpu(&r, &a->regs);
	for (int i = 0; i < CPU_NR_SEGS; i++)
		seg_from_cpu(&s.seg[i], sregs_seg(&a->sregs, i));
	a->sregs.gdt = (struct kvm_dtable){ .base = s.gdt_base, .limit = s.gdt_limit };
	a->sregs.idt = (struct kvm_dtable){ .base = r.idt_base, .limit = r.idt_limit };
	a->sregs.cr0 = r.cr0;
	a->sregs.cr2 = r.cr2;
	a->sregs.cr3 = r.cr3;
	a->sregs.cr4 = r.cr4;
	a->efer = r.efer;
	snapshot_of(a, &v->synced);
	v->loaded = true;
}

/* ---- cores and the run loop ------------------------------------------------------------ */

/*
 * Before an entry: every memslot gets its platform window now, so that the
 * core puts it on its bus before the guest runs (a window made in the
 * middle of a slice costs a retry, and fails an access the core makes
 * itself, such as pushing an interrupt frame).  True if a slot logs dirty
 * pages.
 */
static bool prepare_slots(struct kvm_vm *vm)
{
	bool logging = false;

	pthread_mutex_lock(&vm->slots_lock);
	for (size_t i = 0; i < vm->nr_slots; i++) {
		struct kvm_memslot *slot = &vm->slots[i];

		if (!slot->as_id && slot->npages)
			kvm_memslot_hpa(slot, slot->base_gfn);
		logging |= slot->dirty_bitmap != NULL;
	}
	pthread_mutex_unlock(&vm->slots_lock);
	return logging;
}

/* The VM's CPU group, made by its first running vCPU. */
static struct cpu_group *vm_group(struct kvm_vm *vm)
{
	struct cpu_group *g = NULL;

	pthread_mutex_lock(&vm->lock);
	if (!vm->vmx) {
		vm->vmx = calloc(1, sizeof(*vm->vmx));
		if (vm->vmx && !(vm->vmx->group = cpu_group_create())) {
			free(vm->vmx);
			vm->vmx = NULL;
		}
	}
	if (vm->vmx)
		g = vm->vmx->group;
	pthread_mutex_unlock(&vm->lock);
	return g;
}

static int vcpu_core(struct kvm_vcpu *vcpu)
{
	struct kvm_dev *d = kvm_dev();
	struct cpu_group *g;
	struct cpu_core *c;

	if (vcpu->vmx)
		return 0;
	if (!d->tdx)
		return -ENODEV;	/* no platform, so no CPU cores to run on */
	vcpu->vmx = calloc(1, sizeof(*vcpu->vmx));
	g = vcpu->vmx ? vm_group(vcpu->vm) : NULL;
	c = g ? cpu_core_create(d->tdx->plat, g, &vmx_cpu_ops, vcpu) : NULL;
	if (!c) {
		free(vcpu->vmx);
		vcpu->vmx = NULL;
		return -ENOMEM;
	}
	__atomic_store_n(&vcpu->vmx->core, c, __ATOMIC_RELEASE);
	return 0;
}

/*
 * A vCPU halted with an in-kernel APIC: nothing delivers interrupts to a
 * normal VM yet, so only immediate_exit or a signal ends the wait (EINTR), as in the
 * TD path; the next KVM_RUN waits again.
 */
static int halt_wait(struct kvm_vcpu *vcpu)
{
	const struct timespec tick = { 0, HALT_POLL_NS };

	while (!kvm_vcpu_exit_requested(vcpu))
		nanosleep(&tick, NULL);
	vcpu->run->exit_reason = KVM_EXIT_INTR;
	return -EINTR;
}

/* How the core stopped, as KVM_RUN's result: 1 to enter again. */
static int handle_stop(struct kvm_vcpu *vcpu, enum cpu_run_result res)
{
	struct kvm_vcpu_vmx *v = vmx_of(vcpu);
	int vector;

	switch (res) {
	case CPU_RUN_EXIT:
		return v->user_exit ? 0 : 1;
	case CPU_RUN_KICKED:
		vcpu->arch.irq_exits++;
		return 1;
	case CPU_RUN_SHUTDOWN:
		vector = cpu_core_undeliverable_vector(v->core);
		if (vector < 0) {
			vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
			return 0;
		}
		/* The engine has no 32-bit IDT delivery: not a triple fault. */
		fprintf(stderr, "softtdx: vCPU %u: vector %d in 32-bit protected mode cannot "
			"be delivered\n", vcpu->id, vector);
		internal_error(vcpu->run, KVM_INTERNAL_ERROR_DELIVERY_EV, 1, (u64)vector);
		return 0;
	case CPU_RUN_FAILED:
	default:
		fprintf(stderr, "softtdx: vCPU %u: %s\n", vcpu->id, cpu_core_error(v->core));
		internal_error(vcpu->run, KVM_INTERNAL_ERROR_EMULATION, 0, 0);
		return 0;
	}
}

int vmx_vcpu_run(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_vmx *v;
	int r = vcpu_core(vcpu);

	if (r)
		return r;
	v = vmx_of(vcpu);
	if (vcpu->arch.mp_state == KVM_MP_STATE_HALTED)
		return halt_wait(vcpu);
	for (;;) {
		if (kvm_vcpu_exit_requested(vcpu)) {
			vcpu->run->exit_reason = KVM_EXIT_INTR;
			return -EINTR;
		}
		r = load_state(vcpu);
		if (r)
			return r;
		v->user_exit = false;
		/*
		 * KVM_GET_DIRTY_LOG may have cleared pages the core holds writable:
		 * it drops them, so their next write is marked again.
		 */
		if (prepare_slots(vcpu->vm))
			cpu_core_flush_tlb(v->core);
		r = handle_stop(vcpu, cpu_core_run(v->core));
		store_state(vcpu);
		if (r <= 0)
			return vcpu->arch.mp_state == KVM_MP_STATE_HALTED ? halt_wait(vcpu) : r;
	}
}

void vmx_vcpu_teardown(struct kvm_vcpu *vcpu)
{
	if (!vcpu->vmx)
		return;
	cpu_core_destroy(vcpu->vmx->core);
	free(vcpu->vmx);
	vcpu->vmx = NULL;
}

void vmx_vm_teardown(struct kvm_vm *vm)
{
	if (!vm->vmx)
		return;
	cpu_group_destroy(vm->vmx->group);
	free(vm->vmx);
	vm->vmx = NULL;
}

void vmx_flush_vm(struct kvm_vm *vm)
{
	struct kvm_dev *d = kvm_dev();

	if (!d->tdx)
		return;
	platform_invept(d->tdx->plat);
	for (u32 i = 0; i < __atomic_load_n(&vm->created_vcpus, __ATOMIC_ACQUIRE); i++) {
		struct kvm_vcpu_vmx *v = __atomic_load_n(&vm->vcpus[i]->vmx, __ATOMIC_ACQUIRE);

		if (v && __atomic_load_n(&v->core, __ATOMIC_ACQUIRE))
			cpu_core_kick(v->core);
	}
}
