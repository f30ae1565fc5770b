// SPDX-License-Identifier: MIT
/*
 * KVM_RUN of a TD vCPU: TDH.VP.ENTER in a loop and the TD-exit handlers, as
 * Linux 6.16's vmx/tdx.c has them (tdx_vcpu_enter_exit, tdx_handle_exit,
 * handle_tdvmcall).  The TDVMCALL sub-functions that need the VMM become
 * KVM_EXIT_IO, _MMIO, _HYPERCALL (MapGPA), _SYSTEM_EVENT (fatal error) and
 * _TDX exits; the answer comes back through complete_userspace_io on the
 * next KVM_RUN.  Private EPT violations go to the mirror MMU.
 */
#include "tdx_internal.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define TDVMCALL_STATUS_SUCCESS			0x0000000000000000ULL
#define TDVMCALL_STATUS_RETRY			0x0000000000000001ULL
#define TDVMCALL_STATUS_INVALID_OPERAND		0x8000000000000000ULL
#define TDVMCALL_STATUS_ALIGN_ERROR		0x8000000000000002ULL
#define TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED	0x8000000000000003ULL

#define TDVMCALL_GET_TD_VM_CALL_INFO		0x10000
#define TDVMCALL_MAP_GPA			0x10001
#define TDVMCALL_GET_QUOTE			0x10002
#define TDVMCALL_REPORT_FATAL_ERROR		0x10003
#define TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT	0x10004

#define TDX_MAP_GPA_MAX_LEN	(2ULL << 20)
/* The extended exit qualification of an ACCEPT's EPT violation, bits 63:32. */
#define ACCEPT_REQ_LEVEL(info)	((info) & 7)
#define ACCEPT_ERR_LEVEL(info)	(((info) >> 3) & 7)
#define ACCEPT_ERR_IS_LEAF(info)	(((info) >> 14) & 1)
#define KVM_ENOSYS		1000
#define FAILED_VMENTRY		(~0u)
#define TDX_ERROR_OR_NON_RECOVERABLE	(3ULL << 62)

static struct kvm_vcpu_tdx *tdx_of(struct kvm_vcpu *vcpu)
{
	return vcpu->tdx;
}

static void set_return_code(struct kvm_vcpu *vcpu, u64 val)
{
	tdx_of(vcpu)->vp_enter_args.r10 = val;
}

static void set_return_val(struct kvm_vcpu *vcpu, u64 val)
{
	tdx_of(vcpu)->vp_enter_args.r11 = val;
}

static bool gpa_is_private(struct kvm_vcpu *vcpu, u64 gpa)
{
	return !(gpa & td_shared_bit(vcpu->vm->tdx));
}

static u64 gpa_strip_shared(struct kvm_vcpu *vcpu, u64 gpa)
{
	return gpa & ~td_shared_bit(vcpu->vm->tdx);
}

/* kvm_vcpu_is_legal_gpa(): below the guest's MAXPHYADDR (CPUID 0x80000008). */
static bool gpa_is_legal(struct kvm_vcpu *vcpu, u64 gpa)
{
	const struct kvm_cpuid_entry2 *e = kvm_vcpu_cpuid(vcpu, 0x80000008, 0);
	unsigned int bits = e && (e->eax & 0xFF) ? e->eax & 0xFF : 52;

	return bits >= 64 || gpa < (1ULL << bits);
}

/* tdx_to_vmx_exit_reason(): TDVMCALLs for instructions look like their VM exits. */
static u32 exit_reason_of(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_tdx *t = tdx_of(vcpu);
	u64 ret = t->vp_enter_ret;

	switch (TDX_STATUS(ret)) {
	case TDX_SUCCESS:
	case TDX_NON_RECOVERABLE_VCPU:
	case TDX_NON_RECOVERABLE_TD:
		break;
	default:
		return FAILED_VMENTRY;
	}
	if ((u32)ret != VMX_EXIT_TDCALL)
		return (u32)ret;
	if (t->vp_enter_args.r10)
		return VMX_EXIT_VMCALL;
	switch (t->vp_enter_args.r11) {
	case VMX_EXIT_CPUID:
	case VMX_EXIT_HLT:
	case VMX_EXIT_IO_INSTRUCTION:
	case VMX_EXIT_MSR_READ:
	case VMX_EXIT_MSR_WRITE:
		return (u32)t->vp_enter_args.r11;
	case VMX_EXIT_EPT_VIOLATION:
		return VMX_EXIT_EPT_MISCONFIG;	/* #VE.RequestMMIO */
	default:
		return VMX_EXIT_TDCALL;
	}
}

/* ---- port and MMIO ------------------------------------------------------------------ */

static int complete_pio_out(struct kvm_vcpu *vcpu)
{
	(void)vcpu;
	return 1;
}

static int complete_pio_in(struct kvm_vcpu *vcpu)
{
	u32 val = 0;

	memcpy(&val, (u8 *)vcpu->run + KVM_PIO_PAGE_OFFSET * 4096, tdx_of(vcpu)->pio_size);
	set_return_val(vcpu, val);
	return 1;
}

static int emulate_io(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_tdx *t = tdx_of(vcpu);
	struct kvm_run *run = vcpu->run;
	u64 size = t->vp_enter_args.r12, write = t->vp_enter_args.r13;
	u32 val = (u32)t->vp_enter_args.r15;

	vcpu->arch.io_exits++;
	if ((write != 0 && write != 1) || (size != 1 && size != 2 && size != 4)) {
		set_return_code(vcpu, TDVMCALL_STATUS_INVALID_OPERAND);
		return 1;
	}
	if (write && kvm_ioeventfd_write(vcpu->vm, true, (u16)t->vp_enter_args.r14, (u32)size, val))
		return 1;
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = write ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	run->io.size = (u8)size;
	run->io.port = (u16)t->vp_enter_args.r14;
	run->io.count = 1;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * 4096;
	t->pio_size = (u32)size;
	if (write)
		memcpy((u8 *)run + run->io.data_offset, &val, size);
	vcpu->arch.complete_userspace_io = write ? complete_pio_out : complete_pio_in;
	return 0;
}

static int complete_mmio_read(struct kvm_vcpu *vcpu)
{
	u64 val = 0;

	memcpy(&val, vcpu->run->mmio.data, tdx_of(vcpu)->mmio_len);
	set_return_val(vcpu, val);
	return 1;
}

static int emulate_mmio(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_tdx *t = tdx_of(vcpu);
	struct kvm_run *run = vcpu->run;
	u64 size = t->vp_enter_args.r12, write = t->vp_enter_args.r13;
	u64 gpa = t->vp_enter_args.r14, val = write ? t->vp_enter_args.r15 : 0;

	if ((size != 1 && size != 2 && size != 4 && size != 8) || (write != 0 && write != 1) ||
	    gpa_is_private(vcpu, gpa) || gpa_is_private(vcpu, gpa + size - 1)) {
		set_return_code(vcpu, TDVMCALL_STATUS_INVALID_OPERAND);
		return 1;
	}
	if (write && kvm_ioeventfd_write(vcpu->vm, false, gpa_strip_shared(vcpu, gpa), (u32)size, val))
		return 1;
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa_strip_shared(vcpu, gpa);
	run->mmio.len = (u32)size;
	run->mmio.is_write = (u8)write;
	if (write) {
		memcpy(run->mmio.data, &val, size);
	} else {
		t->mmio_len = (u32)size;
		vcpu->arch.complete_userspace_io = complete_mmio_read;
	}
	return 0;
}

/* ---- CPUID, HLT, MSRs ---------------------------------------------------------------- */

/* kvm_cpuid() over the table userspace gave with KVM_SET_CPUID2. */
static int emulate_cpuid(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_tdx *t = tdx_of(vcpu);
	const struct kvm_cpuid_entry2 *e =
		kvm_vcpu_cpuid(vcpu, (u32)t->vp_enter_args.r12, (u32)t->vp_enter_args.r13);

	t->vp_enter_args.r12 = e ? e->eax : 0;
	t->vp_enter_args.r13 = e ? e->ebx : 0;
	t->vp_enter_args.r14 = e ? e->ecx : 0;
	t->vp_enter_args.r15 = e ? e->edx : 0;
	return 1;
}

/* tdx_protected_apic_has_interrupt(): VCPU_STATE_DETAILS.VMXIP through TDH.VP.RD. */
static bool virtual_interrupt_pending(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_tdx *t = tdx_of(vcpu);
	struct seamcall_regs r = { .rcx = t->tdvpr, .rdx = MD_VP_VCPU_STATE_DETAILS };

	return !kvm_seamcall_on(t->lp, TDH_VP_RD, &r) && (r.r8 & 1);
}

/*
 * A halted vCPU sleeps until an interrupt is posted to it (kvm_vcpu_block),
 * then enters again (1); a queued NMI (KVM_NMI, another vCPU's NMI IPI)
 * wakes it too.
 * immediate_exit or a signal ends the wait with -EINTR, and the next KVM_RUN sleeps
 * again.
 */
static int halt_wait(struct kvm_vcpu *vcpu)
{
	_Atomic u64 *pid = tdx_of(vcpu)->pid;

	if (atomic_load(&vcpu->arch.nmi_queued) || virtual_interrupt_pending(vcpu)) {
		vcpu->arch.mp_state = KVM_MP_STATE_RUNNABLE;
		return 1;
	}
	for (;;) {
		u32 seq = kvm_vcpu_wake_seq(vcpu);

		if ((pid && (atomic_load(&pid[4]) & 1)) || atomic_load(&vcpu->arch.nmi_queued)) {
			atomic_store(&vcpu->sleeping, false);
			vcpu->arch.mp_state = KVM_MP_STATE_RUNNABLE;
			return 1;
		}
		if (kvm_vcpu_exit_requested(vcpu))
			break;
		kvm_vcpu_sleep(vcpu, seq);
	}
	atomic_store(&vcpu->sleeping, false);
	vcpu->run->exit_reason = KVM_EXIT_INTR;
	return -EINTR;
}

static int emulate_halt(struct kvm_vcpu *vcpu)
{
	vcpu->arch.halt_exits++;
	vcpu->arch.mp_state = KVM_MP_STATE_HALTED;
	return halt_wait(vcpu);
}

static int emulate_msr(struct kvm_vcpu *vcpu, bool write)
{
	struct kvm_vcpu_tdx *t = tdx_of(vcpu);
	u32 index = (u32)t->vp_enter_args.r12;
	u64 data = t->vp_enter_args.r13;
	int err = write ? vcpu->vm->vcpu_ops->set_msr(vcpu, index, data, false) :
			  vcpu->vm->vcpu_ops->get_msr(vcpu, index, &data);

	if (err)
		set_return_code(vcpu, TDVMCALL_STATUS_INVALID_OPERAND);
	else if (!write)
		set_return_val(vcpu, data);
	return 1;
}

/* ---- KVM hypercalls and MapGPA ----------------------------------------------------- */

static bool user_exit_on_hypercall(struct kvm_vm *vm, u64 nr)
{
	return nr < 64 && (vm->exit_hypercall >> nr & 1);
}

static int complete_hypercall(struct kvm_vcpu *vcpu)
{
	set_return_code(vcpu, vcpu->run->hypercall.ret);
	return 1;
}

/* __kvm_emulate_hypercall() for R10 = nr, R11.. = arguments. */
static int emulate_vmcall(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_tdx *t = tdx_of(vcpu);
	struct kvm_run *run = vcpu->run;
	u64 nr = t->vp_enter_args.r10;

	if (nr == KVM_HC_MAP_GPA_RANGE && user_exit_on_hypercall(vcpu->vm, nr)) {
		run->exit_reason = KVM_EXIT_HYPERCALL;
		run->hypercall.nr = nr;
		run->hypercall.args[0] = t->vp_enter_args.r11;
		run->hypercall.args[1] = t->vp_enter_args.r12;
		run->hypercall.args[2] = t->vp_enter_args.r13;
		run->hypercall.ret = 0;
		run->hypercall.longmode = (u32)KVM_EXIT_HYPERCALL_LONG_MODE;
		vcpu->arch.complete_userspace_io = complete_hypercall;
		return 0;
	}
	set_return_code(vcpu, nr == KVM_HC_VAPIC_POLL_IRQ ? 0 : (u64)-KVM_ENOSYS);
	return 1;
}

static void map_gpa_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_tdx *t = tdx_of(vcpu);
	struct kvm_run *run = vcpu->run;
	u64 gpa = t->map_gpa_next, size = t->map_gpa_end - gpa;

	if (size > TDX_MAP_GPA_MAX_LEN)
		size = TDX_MAP_GPA_MAX_LEN;
	run->exit_reason = KVM_EXIT_HYPERCALL;
	run->hypercall.nr = KVM_HC_MAP_GPA_RANGE;
	run->hypercall.ret = 0;
	run->hypercall.args[0] = gpa_strip_shared(vcpu, gpa);
	run->hypercall.args[1] = size / TDX_PAGE_SIZE;
	run->hypercall.args[2] = gpa_is_private(vcpu, gpa) ? KVM_MAP_GPA_RANGE_ENCRYPTED :
							     KVM_MAP_GPA_RANGE_DECRYPTED;
	run->hypercall.longmode = (u32)KVM_EXIT_HYPERCALL_LONG_MODE;
}

/* One 2 MiB chunk done: the next one, or the guest resumes with R11 = where it stopped. */
static int complete_map_gpa(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_tdx *t = tdx_of(vcpu);

	if (vcpu->run->hypercall.ret) {
		set_return_code(vcpu, TDVMCALL_STATUS_INVALID_OPERAND);
		set_return_val(vcpu, t->map_gpa_next);
		return 1;
	}
	t->map_gpa_next += TDX_MAP_GPA_MAX_LEN;
	if (t->map_gpa_next >= t->map_gpa_end)
		return 1;
	map_gpa_exit(vcpu);
	vcpu->arch.complete_userspace_io = complete_map_gpa;
	return 0;
}

static int map_gpa(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_tdx *t = tdx_of(vcpu);
	u64 gpa = t->vp_enter_args.r12, size = t->vp_enter_args.r13, ret;

	if (!user_exit_on_hypercall(vcpu->vm, KVM_HC_MAP_GPA_RANGE)) {
		ret = TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED;
	} else if (gpa + size <= gpa || !gpa_is_legal(vcpu, gpa) ||
		   !gpa_is_legal(vcpu, gpa + size - 1) ||
		   gpa_is_private(vcpu, gpa) != gpa_is_private(vcpu, gpa + size - 1)) {
		ret = TDVMCALL_STATUS_INVALID_OPERAND;
	} else if ((gpa | size) & (TDX_PAGE_SIZE - 1)) {
		ret = TDVMCALL_STATUS_ALIGN_ERROR;
	} else {
		t->map_gpa_next = gpa;
		t->map_gpa_end = gpa + size;
		map_gpa_exit(vcpu);
		vcpu->arch.complete_userspace_io = complete_map_gpa;
		return 0;
	}
	set_return_code(vcpu, ret);
	set_return_val(vcpu, gpa);
	return 1;
}

/* ---- the GHCI calls that end in KVM_EXIT_TDX or KVM_EXIT_SYSTEM_EVENT ---------------- */

static int report_fatal_error(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_tdx *t = tdx_of(vcpu);
	struct kvm_run *run = vcpu->run;
	__u64 *regs = run->system_event.data;
	const u64 *r8_to_r15 = &t->vp_enter_args.r8;

	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	run->system_event.type = KVM_SYSTEM_EVENT_TDX_FATAL;
	run->system_event.ndata = 16;
	/* The 16 GPRs in ascending order; RSP and RBP are never exposed. */
	regs[0] = t->vp_enter_ret;
	regs[1] = t->vp_enter_args.rcx;
	regs[2] = t->vp_enter_args.rdx;
	regs[3] = t->vp_enter_args.rbx;
	regs[4] = 0;
	regs[5] = 0;
	regs[6] = t->vp_enter_args.rsi;
	regs[7] = t->vp_enter_args.rdi;
	for (int i = 0; i < 8; i++)
		regs[8 + i] = r8_to_r15[i];
	return 0;
}

static int complete_get_td_vm_call_info(struct kvm_vcpu *vcpu)
{
	struct kvm_tdx_exit *x = kvm_run_tdx(vcpu->run);
	struct kvm_vcpu_tdx *t = tdx_of(vcpu);

	set_return_code(vcpu, x->get_tdvmcall_info.ret);
	t->vp_enter_args.r11 = x->get_tdvmcall_info.r11;
	t->vp_enter_args.r12 = x->get_tdvmcall_info.r12;
	t->vp_enter_args.r13 = x->get_tdvmcall_info.r13;
	t->vp_enter_args.r14 = x->get_tdvmcall_info.r14;
	return 1;
}

static void tdx_exit(struct kvm_vcpu *vcpu, u64 nr)
{
	struct kvm_tdx_exit *x = kvm_run_tdx(vcpu->run);

	memset(x, 0, sizeof(*x));
	vcpu->run->exit_reason = KVM_EXIT_TDX;
	x->nr = nr;
}

static int get_td_vm_call_info(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_tdx *t = tdx_of(vcpu);
	struct kvm_tdx_exit *x = kvm_run_tdx(vcpu->run);

	switch (t->vp_enter_args.r12) {
	case 0:
		t->vp_enter_args.r11 = t->vp_enter_args.r12 = 0;
		t->vp_enter_args.r13 = t->vp_enter_args.r14 = 0;
		set_return_code(vcpu, TDVMCALL_STATUS_SUCCESS);
		return 1;
	case 1:
		tdx_exit(vcpu, TDVMCALL_GET_TD_VM_CALL_INFO);
		x->get_tdvmcall_info.leaf = 1;
		x->get_tdvmcall_info.ret = TDVMCALL_STATUS_SUCCESS;
		vcpu->arch.complete_userspace_io = complete_get_td_vm_call_info;
		return 0;
	default:
		set_return_code(vcpu, TDVMCALL_STATUS_INVALID_OPERAND);
		return 1;
	}
}

static int complete_simple(struct kvm_vcpu *vcpu)
{
	set_return_code(vcpu, kvm_run_tdx(vcpu->run)->unknown.ret);
	return 1;
}

static int get_quote(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_tdx *t = tdx_of(vcpu);
	struct kvm_tdx_exit *x = kvm_run_tdx(vcpu->run);
	u64 gpa = t->vp_enter_args.r12;

	if (gpa_is_private(vcpu, gpa)) {
		set_return_code(vcpu, TDVMCALL_STATUS_INVALID_OPERAND);
		return 1;
	}
	tdx_exit(vcpu, TDVMCALL_GET_QUOTE);
	x->get_quote.ret = TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED;
	x->get_quote.gpa = gpa_strip_shared(vcpu, gpa);
	x->get_quote.size = t->vp_enter_args.r13;
	vcpu->arch.complete_userspace_io = complete_simple;
	return 0;
}

static int setup_event_notify_interrupt(struct kvm_vcpu *vcpu)
{
	struct kvm_tdx_exit *x = kvm_run_tdx(vcpu->run);
	u64 vector = tdx_of(vcpu)->vp_enter_args.r12;

	if (vector < 32 || vector > 255) {
		set_return_code(vcpu, TDVMCALL_STATUS_INVALID_OPERAND);
		return 1;
	}
	tdx_exit(vcpu, TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT);
	x->setup_event_notify.ret = TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED;
	x->setup_event_notify.vector = vector;
	vcpu->arch.complete_userspace_io = complete_simple;
	return 0;
}

static int handle_tdvmcall(struct kvm_vcpu *vcpu)
{
	switch (tdx_of(vcpu)->vp_enter_args.r11) {
	case TDVMCALL_MAP_GPA:
		return map_gpa(vcpu);
	case TDVMCALL_REPORT_FATAL_ERROR:
		return report_fatal_error(vcpu);
	case TDVMCALL_GET_TD_VM_CALL_INFO:
		return get_td_vm_call_info(vcpu);
	case TDVMCALL_GET_QUOTE:
		return get_quote(vcpu);
	case TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT:
		return setup_event_notify_interrupt(vcpu);
	default:
		set_return_code(vcpu, TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED);
		return 1;
	}
}

/* ---- EPT violations ---------------------------------------------------------------- */

static int memory_fault_exit(struct kvm_vcpu *vcpu, u64 gpa, bool private)
{
	struct kvm_memory_fault_exit *mf = kvm_run_memory_fault(vcpu->run);

	vcpu->run->exit_reason = KVM_EXIT_MEMORY_FAULT;
	mf->flags = private ? KVM_MEMORY_EXIT_FLAG_PRIVATE : 0;
	mf->gpa = gpa & ~(TDX_PAGE_SIZE - 1);
	mf->size = TDX_PAGE_SIZE;
	return -EFAULT;
}

/*
 * A shared GPA: the memslot's host page into the shared EPT, or, with no
 * memslot, an MMIO entry so that the guest's retry is a #VE.  A shared
 * access to a private GFN is KVM_EXIT_MEMORY_FAULT for userspace.
 */
static int handle_shared_fault(struct kvm_vcpu *vcpu, u64 gpa)
{
	struct kvm_vm *vm = vcpu->vm;
	u64 gfn = gpa_strip_shared(vcpu, gpa) / TDX_PAGE_SIZE, hpa;
	struct kvm_memslot *slot;
	long ret;

	if (tdx_of(vcpu)->vp_enter_args.rcx & EPT_QUAL_FETCH)
		return -EIO;	/* Linux: a fetch from shared memory is broken hardware */
	pthread_mutex_lock(&vm->slots_lock);
	slot = kvm_gfn_to_memslot(vm, gfn);
	if (kvm_gfn_is_private(vm, gfn)) {
		ret = -ENOENT;
	} else if (!slot) {
		ret = tdx_shared_map_mmio(vm->tdx, gpa & ~(TDX_PAGE_SIZE - 1));
	} else {
		hpa = kvm_memslot_hpa(slot, gfn);
		ret = hpa == PLATFORM_NO_HPA ? -ENOMEM :
		      tdx_shared_map(vm->tdx, gpa & ~(TDX_PAGE_SIZE - 1), hpa);
	}
	pthread_mutex_unlock(&vm->slots_lock);
	if (ret == -ENOENT)
		return memory_fault_exit(vcpu, gpa_strip_shared(vcpu, gpa), false);
	return ret ? (int)ret : 1;
}

/*
 * A private GPA faults in through the mirror MMU (PAGE.AUG; the guest then
 * accepts).  Private access to a GFN that is shared, has no memslot or no
 * guest_memfd is KVM_EXIT_MEMORY_FAULT for userspace to convert or fix.
 */
static int handle_ept_violation(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_tdx *t = tdx_of(vcpu);
	struct kvm_vm *vm = vcpu->vm;
	u64 gpa = t->vp_enter_args.r8, eeq_type = t->vp_enter_args.rdx & 0xF;
	u32 eeq_info = (u32)(t->vp_enter_args.rdx >> 32);
	long ret;

	if (!gpa_is_private(vcpu, gpa))
		return handle_shared_fault(vcpu, gpa);
	if (eeq_type == TDX_EXT_EXIT_QUAL_PENDING_EPT_VIOLATION) {
		/* The guest touched memory it never accepted (SEPT_VE_DISABLE): the VM is dead. */
		return -EIO;
	}
	pthread_mutex_lock(&vm->slots_lock);
	if (!kvm_gfn_is_private(vm, gpa / TDX_PAGE_SIZE))
		ret = -ENOENT;
	else if (eeq_type == TDX_EXT_EXIT_QUAL_ACCEPT && ACCEPT_ERR_IS_LEAF(eeq_info) &&
		 ACCEPT_ERR_LEVEL(eeq_info) > ACCEPT_REQ_LEVEL(eeq_info))
		ret = tdx_split_private(vm, gpa);	/* a 4K ACCEPT of a 2M page */
	else
		ret = tdx_fault_private(vm, gpa & ~(TDX_PAGE_SIZE - 1),
					eeq_type == TDX_EXT_EXIT_QUAL_ACCEPT ?
					(int)ACCEPT_REQ_LEVEL(eeq_info) : 1);
	pthread_mutex_unlock(&vm->slots_lock);
	if (ret == -ENOENT || ret == -EFAULT)
		return memory_fault_exit(vcpu, gpa, true);
	return ret ? (int)ret : 1;
}

/* ---- the loop ---------------------------------------------------------------------- */

static int unhandled_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON;
	run->internal.ndata = 2;
	run->internal.data[0] = tdx_of(vcpu)->vp_enter_ret;
	run->internal.data[1] = tdx_of(vcpu)->lp;
	return 0;
}

/* tdx_handle_exit(): 1 to enter again, 0 for userspace, -errno. */
/* The vmcall tracepoint: a TDVMCALL KVM is about to handle, by its exit reason. */
static void trace_vmcall(struct kvm_vcpu *vcpu)
{
	static const struct { u32 reason; const char *name; } calls[] = {
		{ VMX_EXIT_CPUID, "Instruction.CPUID" }, { VMX_EXIT_HLT, "Instruction.HLT" },
		{ VMX_EXIT_TDCALL, "TDVMCALL" }, { VMX_EXIT_VMCALL, "KVM hypercall" },
		{ VMX_EXIT_IO_INSTRUCTION, "Instruction.IO" }, { VMX_EXIT_MSR_READ, "Instruction.RDMSR" },
		{ VMX_EXIT_MSR_WRITE, "Instruction.WRMSR" }, { VMX_EXIT_EPT_MISCONFIG, "#VE.RequestMMIO" },
	};
	const struct kvm_vcpu_tdx *t = tdx_of(vcpu);
	const struct seamcall_regs *a = &t->vp_enter_args;

	if (!(platform_get_config(tdx_plat())->trace & PLATFORM_TRACE_VMCALL))
		return;
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		if (calls[i].reason != t->exit_reason)
			continue;
		fprintf(stderr, "softtdx-trace: vmcall vCPU %u %s r10=%#llx r11=%#llx r12=%#llx "
			"r13=%#llx r14=%#llx r15=%#llx\n", vcpu->id, calls[i].name,
			(unsigned long long)a->r10, (unsigned long long)a->r11,
			(unsigned long long)a->r12, (unsigned long long)a->r13,
			(unsigned long long)a->r14, (unsigned long long)a->r15);
	}
}

static int handle_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_tdx *t = tdx_of(vcpu);
	u64 ret = t->vp_enter_ret;

	if (t->exit_reason == FAILED_VMENTRY) {
		vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		vcpu->run->fail_entry.hardware_entry_failure_reason = t->exit_reason;
		vcpu->run->fail_entry.cpu = t->lp;
		return 0;
	}
	if ((ret & TDX_ERROR_OR_NON_RECOVERABLE) && t->exit_reason != VMX_EXIT_TRIPLE_FAULT)
		return unhandled_exit(vcpu);
	trace_vmcall(vcpu);
	switch (t->exit_reason) {
	case VMX_EXIT_TRIPLE_FAULT:
		vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
		return 0;
	case VMX_EXIT_EXTERNAL_INTERRUPT:
		vcpu->arch.irq_exits++;
		return 1;
	case VMX_EXIT_CPUID:
		return emulate_cpuid(vcpu);
	case VMX_EXIT_HLT:
		return emulate_halt(vcpu);
	case VMX_EXIT_TDCALL:
		return handle_tdvmcall(vcpu);
	case VMX_EXIT_VMCALL:
		return emulate_vmcall(vcpu);
	case VMX_EXIT_IO_INSTRUCTION:
		return emulate_io(vcpu);
	case VMX_EXIT_MSR_READ:
		return emulate_msr(vcpu, false);
	case VMX_EXIT_MSR_WRITE:
		return emulate_msr(vcpu, true);
	case VMX_EXIT_EPT_MISCONFIG:
		return emulate_mmio(vcpu);
	case VMX_EXIT_EPT_VIOLATION:
		return handle_ept_violation(vcpu);
	default:
		return unhandled_exit(vcpu);
	}
}

/*
 * tdx_inject_nmi(): a queued NMI is the module's PEND_NMI, and KVM is done
 * with it; more queued before the TD takes it collapse into that one.
 */
static int inject_nmi(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_tdx *t = tdx_of(vcpu);
	struct seamcall_regs r = { .rcx = t->tdvpr, .rdx = MD_VP_PEND_NMI, .r8 = 1, .r9 = 1 };

	if (!atomic_exchange(&vcpu->arch.nmi_queued, 0) && !vcpu->arch.nmi_pending)
		return 0;
	vcpu->arch.nmi_pending = 0;
	return kvm_seamcall_on(t->lp, TDH_VP_WR, &r) ? -EIO : 0;
}

/*
 * tdx_exit_handlers_fastpath(): TDH.VP.ENTER that lost a race for the
 * S-EPT (an S-EPT change, or a zap) or for the TD epoch (TDH.MEM.TRACK)
 * entered nothing; KVM enters again, it is no failed entry.
 */
static bool entry_contended(u64 ret)
{
	return ret == (TDX_OPERAND_BUSY | TDX_OPERAND_ID_SEPT) ||
	       ret == (TDX_OPERAND_BUSY | TDX_OPERAND_ID_TD_EPOCH);
}

int tdx_vcpu_run(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_tdx *t = tdx_of(vcpu);
	int r;

	if (vcpu->arch.mp_state == KVM_MP_STATE_HALTED && (r = halt_wait(vcpu)) <= 0)
		return r;
	for (;;) {
		if (kvm_vcpu_exit_requested(vcpu)) {
			vcpu->run->exit_reason = KVM_EXIT_INTR;
			return -EINTR;
		}
		r = inject_nmi(vcpu);
		if (r)
			return r;
		if (!tdx_begin_enter(vcpu->vm->tdx)) {
			sched_yield();		/* a zap keeps the TD's vCPUs out for now */
			continue;
		}
		t->vp_enter_args.rcx = t->tdvpr;
		t->vp_enter_ret = kvm_seamcall_on(t->lp, TDH_VP_ENTER, &t->vp_enter_args);
		tdx_end_enter(vcpu->vm->tdx);
		if (entry_contended(t->vp_enter_ret))
			continue;
		t->exit_reason = exit_reason_of(vcpu);
		r = handle_exit(vcpu);
		if (r <= 0)
			return r;
	}
}
