// SPDX-License-Identifier: MIT
/*
 * VMs: creation by type, capabilities at system and VM scope, KVM_ENABLE_CAP,
 * the VM-scope TSC frequency, and KVM_MEMORY_ENCRYPT_OP's dispatch.  What
 * differs between a normal VM and a TD is behind struct kvm_vm_ops.
 */
#include "kvm_internal.h"
#include "lapic.h"

#include <stdlib.h>
#include <time.h>

#define EXIT_HYPERCALL_VALID	(1ULL << KVM_HC_MAP_GPA_RANGE)

static u32 supported_vm_types(void)
{
	return (1u << KVM_X86_DEFAULT_VM) | (kvm_dev()->tdx ? 1u << KVM_X86_TDX_VM : 0);
}

static u32 nr_present_cpus(void)
{
	struct kvm_dev *d = kvm_dev();

	return d->tdx ? platform_nr_lps(d->tdx->plat) : 1;
}

/*
 * KVM_CHECK_EXTENSION: the answers of Linux 6.16 on x86 for what softtdx
 * implements; anything else is 0.  @vm is NULL at system scope.
 */
long kvm_check_extension_generic(struct kvm_vm *vm, long cap)
{
	switch (cap) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case KVM_CAP_SET_TSS_ADDR:
	case KVM_CAP_EXT_CPUID:
	case KVM_CAP_ENABLE_CAP:
	case KVM_CAP_SPLIT_IRQCHIP:
	case KVM_CAP_TSC_CONTROL:
	case KVM_CAP_VM_TSC_CONTROL:
	case KVM_CAP_USER_MEMORY2:
	case KVM_CAP_SIGNAL_MSI:
	case KVM_CAP_MEMORY_FAULT_INFO:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_USER_NMI:
	case KVM_CAP_VCPU_EVENTS:
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_PRE_FAULT_MEMORY:		/* tdp_enabled */
	case KVM_CAP_INTERNAL_ERROR_DATA:
	case KVM_CAP_SET_IDENTITY_MAP_ADDR:
	case KVM_CAP_GET_TSC_KHZ:
	case KVM_CAP_TSC_DEADLINE_TIMER:
	case KVM_CAP_IOEVENTFD:
	case KVM_CAP_IOEVENTFD_ANY_LENGTH:
	case KVM_CAP_IOEVENTFD_NO_LENGTH:
	case KVM_CAP_IRQFD:
	case KVM_CAP_IRQFD_RESAMPLE:	/* as Linux, though only a full irqchip takes it */
		return 1;
	case KVM_CAP_ADJUST_CLOCK:
		return KVM_CLOCK_VALID_FLAGS;
	case KVM_CAP_NR_MEMSLOTS:
		return KVM_USER_MEM_SLOTS;
	case KVM_CAP_IRQ_ROUTING:
		return KVM_MAX_IRQ_ROUTES;
	case KVM_CAP_MULTI_ADDRESS_SPACE:
		return vm ? kvm_nr_memslot_as_ids(vm) : KVM_MAX_NR_ADDRESS_SPACES;
	case KVM_CAP_NR_VCPUS:
		return nr_present_cpus();
	case KVM_CAP_MAX_VCPUS:
		return vm ? vm->max_vcpus : KVM_MAX_VCPUS_SUPPORTED;
	case KVM_CAP_MAX_VCPU_ID:
		return KVM_MAX_VCPU_IDS;
	case KVM_CAP_VM_TYPES:
		return supported_vm_types();
	case KVM_CAP_EXIT_HYPERCALL:
		return EXIT_HYPERCALL_VALID;
	case KVM_CAP_X86_APIC_BUS_CYCLES_NS:
		return APIC_BUS_CYCLE_NS_DEFAULT;
	case KVM_CAP_MCE:
		return KVM_MAX_MCE_BANKS;
	case KVM_CAP_GUEST_MEMFD:
		return !vm || vm->has_private_mem;
	case KVM_CAP_MEMORY_ATTRIBUTES:
		return !vm || vm->has_private_mem ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0;
	case KVM_CAP_READONLY_MEM:
		return !vm || !vm->has_protected_state;
	default:
		return 0;
	}
}

long kvm_vm_check_extension(struct kvm_vm *vm, long cap)
{
	return vm->ops->check_extension(vm, cap, kvm_check_extension_generic(vm, cap));
}

/*
 * The APIC timer's bus cycle: nonzero, small enough that a full TMICT at
 * divide 128 does not overflow, and fixed once vCPUs exist.  vm->lock held.
 */
static long enable_apic_bus_cycles_ns(struct kvm_vm *vm, u64 ns)
{
	if (!ns || ns > ~0ULL / (0xffffffffULL * 128))
		return -EINVAL;
	if (!vm->split_irqchip)
		return -ENXIO;
	if (vm->created_vcpus)
		return -EINVAL;
	vm->apic_bus_cycle_ns = ns;
	return 0;
}

static long vm_enable_cap(struct kvm_vm *vm, unsigned long arg)
{
	struct kvm_enable_cap cap;
	long ret = -EINVAL;

	if (kvm_copy_from_user(&cap, arg, sizeof(cap)))
		return -EFAULT;
	if (cap.flags)
		return -EINVAL;
	pthread_mutex_lock(&vm->lock);
	switch (cap.cap) {
	case KVM_CAP_SPLIT_IRQCHIP:
		/* args[0]: IOAPIC routes userspace reserves (x86.c order). */
		if (cap.args[0] > KVM_MAX_IRQ_ROUTES)
			break;
		ret = -EEXIST;
		if (vm->split_irqchip || vm->created_vcpus)
			break;
		vm->split_irqchip = true;
		ret = 0;
		break;
	case KVM_CAP_EXIT_HYPERCALL:
		if (cap.args[0] & ~EXIT_HYPERCALL_VALID)
			break;
		vm->exit_hypercall = cap.args[0];
		ret = 0;
		break;
	case KVM_CAP_X86_APIC_BUS_CYCLES_NS:
		ret = enable_apic_bus_cycles_ns(vm, cap.args[0]);
		break;
	case KVM_CAP_MAX_VCPU_ID:
		/* Set once (the same value again is fine), as x86.c; IDs at or above it are refused. */
		if (cap.args[0] > KVM_MAX_VCPU_IDS ||
		    (vm->max_vcpu_ids && vm->max_vcpu_ids != cap.args[0]))
			break;
		vm->max_vcpu_ids = (u32)cap.args[0];
		ret = 0;
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

static long vm_set_tsc_khz(struct kvm_vm *vm, unsigned long khz)
{
	if (khz >= MAX_GUEST_TSC_KHZ)
		return -EINVAL;
	pthread_mutex_lock(&vm->lock);
	vm->default_tsc_khz = khz ? khz : KVM_HOST_TSC_KHZ;
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* KVM_GET_CLOCK: kvmclock (ns since the VM was made, plus what SET_CLOCK moved it). */
static long vm_get_clock(struct kvm_vm *vm, unsigned long arg)
{
	struct kvm_clock_data d = {
		.flags = KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC,
	};

	pthread_mutex_lock(&vm->lock);
	d.host_tsc = platform_rdtsc();
	d.realtime = (u64)clock_ns(CLOCK_REALTIME);
	d.clock = (u64)(clock_ns(CLOCK_BOOTTIME) + vm->kvmclock_offset);
	pthread_mutex_unlock(&vm->lock);
	return kvm_copy_to_user(arg, &d, sizeof(d)) ? -EFAULT : 0;
}

/*
 * KVM_SET_CLOCK: the clock reads data.clock now, or, with KVM_CLOCK_REALTIME,
 * data.clock plus the real time elapsed since data.realtime (never less).
 */
static long vm_set_clock(struct kvm_vm *vm, unsigned long arg)
{
	struct kvm_clock_data d;
	int64_t now, clock;

	if (kvm_copy_from_user(&d, arg, sizeof(d)))
		return -EFAULT;
	if (d.flags & ~KVM_CLOCK_VALID_FLAGS)
		return -EINVAL;
	pthread_mutex_lock(&vm->lock);
	now = clock_ns(CLOCK_BOOTTIME);
	clock = (int64_t)d.clock;
	if (d.flags & KVM_CLOCK_REALTIME) {
		int64_t elapsed = clock_ns(CLOCK_REALTIME) - (int64_t)d.realtime;

		if (elapsed > 0)
			clock += elapsed;
	}
	vm->kvmclock_offset = clock - now;
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

/* KVM_SET_TSS_ADDR: three pages below 4 GiB; a TD has no real mode to use them. */
static long vm_set_tss_addr(struct kvm_vm *vm, unsigned long addr)
{
	if (addr > (u32)(-3 * 4096))
		return -EINVAL;
	if (!vm->tdx)
		vm->tss_addr = (u32)addr;
	return 0;
}

/* KVM_SET_IDENTITY_MAP_ADDR: before any vCPU; a TD ignores it too. */
static long vm_set_identity_map_addr(struct kvm_vm *vm, unsigned long arg)
{
	u64 addr;
	long ret = -EINVAL;

	pthread_mutex_lock(&vm->lock);
	if (!vm->created_vcpus) {
		ret = kvm_copy_from_user(&addr, arg, sizeof(addr)) ? -EFAULT : 0;
		if (!ret && !vm->tdx)
			vm->identity_map_addr = addr;
	}
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

void kvm_vm_bug(struct kvm_vm *vm)
{
	atomic_store(&vm->dead, true);
}

static long vm_ioctl(struct kvm_obj *obj, unsigned int request, unsigned long arg)
{
	struct kvm_vm *vm = (struct kvm_vm *)obj;

	if (atomic_load(&vm->dead))
		return -EIO;

	switch (request) {
	case KVM_CHECK_EXTENSION:
		return kvm_vm_check_extension(vm, (long)arg);
	case KVM_ENABLE_CAP:
		return vm_enable_cap(vm, arg);
	case KVM_SET_TSC_KHZ:
		return vm_set_tsc_khz(vm, arg);
	case KVM_GET_TSC_KHZ:
		return (long)vm->default_tsc_khz;
	case KVM_GET_CLOCK:
		return vm_get_clock(vm, arg);
	case KVM_SET_CLOCK:
		return vm_set_clock(vm, arg);
	case KVM_SET_TSS_ADDR:
		return vm_set_tss_addr(vm, arg);
	case KVM_SET_IDENTITY_MAP_ADDR:
		return vm_set_identity_map_addr(vm, arg);
	case KVM_MEMORY_ENCRYPT_OP:
		return vm->ops->mem_enc_op(vm, arg);
	case KVM_CREATE_VCPU:
		return kvm_vm_create_vcpu(vm, arg);
	case KVM_SET_USER_MEMORY_REGION:
		return kvm_vm_set_memory_region(vm, arg, false);
	case KVM_SET_USER_MEMORY_REGION2:
		return kvm_vm_set_memory_region(vm, arg, true);
	case KVM_SET_MEMORY_ATTRIBUTES:
		return kvm_vm_set_memory_attributes(vm, arg);
	case KVM_CREATE_GUEST_MEMFD:
		return kvm_create_guest_memfd(vm, arg);
	case KVM_GET_DIRTY_LOG:
		return kvm_vm_get_dirty_log(vm, arg);
	case KVM_SIGNAL_MSI:
		return kvm_vm_signal_msi(vm, arg);
	case KVM_SET_GSI_ROUTING:
		return kvm_vm_set_gsi_routing(vm, arg);
	case KVM_IRQ_LINE:
		return kvm_vm_irq_line(vm, arg, false);
	case KVM_IRQ_LINE_STATUS:
		return kvm_vm_irq_line(vm, arg, true);
	case KVM_IOEVENTFD:
		return kvm_vm_ioeventfd(vm, arg);
	case KVM_IRQFD:
		return kvm_vm_irqfd(vm, arg);
	default:
		return -ENOTTY;	/* x86's kvm_arch_vm_ioctl */
	}
}

static void vm_release(struct kvm_obj *obj)
{
	struct kvm_vm *vm = (struct kvm_vm *)obj;

	/* No timer or irqfd may deliver to a vCPU that is going. */
	kvm_vm_free_eventfds(vm);
	for (u32 i = 0; i < vm->created_vcpus; i++)
		lapic_timer_destroy(vm->vcpus[i]);
	vm->ops->pre_destroy(vm);
	for (u32 i = 0; i < vm->created_vcpus; i++)
		kvm_vcpu_destroy(vm->vcpus[i]);
	vm->ops->destroy(vm);
	kvm_vm_free_gsi_routing(vm);
	kvm_memslots_free(vm);
	pthread_mutex_destroy(&vm->slots_lock);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
}

static const struct kvm_obj_ops vm_obj_ops = {
	.ioctl = vm_ioctl,
	.release = vm_release,
};

int kvm_create_vm(unsigned long type)
{
	struct kvm_vm *vm;
	int fd, ret;

	if (type >= 32 || !(supported_vm_types() & (1u << type)))
		return -EINVAL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->type = type;
	vm->ops = type == KVM_X86_TDX_VM ? &tdx_vm_ops : &vmx_vm_ops;
	vm->vcpu_ops = type == KVM_X86_TDX_VM ? &tdx_vcpu_ops : &vmx_vcpu_ops;
	vm->max_vcpus = KVM_MAX_VCPUS_SUPPORTED;
	vm->apic_bus_cycle_ns = APIC_BUS_CYCLE_NS_DEFAULT;
	vm->default_tsc_khz = KVM_HOST_TSC_KHZ;
	vm->kvmclock_offset = -clock_ns(CLOCK_BOOTTIME);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_mutex_init(&vm->slots_lock, NULL);
	ret = vm->ops->init(vm);
	if (ret) {
		free(vm);
		return ret;
	}
	fd = kvm_obj_install(&vm->obj, KVM_OBJ_VM, &vm_obj_ops);
	if (fd < 0)
		vm_release(&vm->obj);
	return fd;
}

/* ---- the normal (VMX) VM ------------------------------------------------------- */

static int vmx_vm_init(struct kvm_vm *vm)
{
	(void)vm;
	return 0;
}

static void vmx_vm_nothing(struct kvm_vm *vm)
{
	(void)vm;
}

static void vmx_zap_private(struct kvm_vm *vm, u64 start_gfn, u64 end_gfn)
{
	/* A normal VM has no private memory. */
	(void)vm;
	(void)start_gfn;
	(void)end_gfn;
}

/* Normal VMs get their EPT with the CPU engine (issue #4): nothing to pre-fault yet. */
static long vmx_check_extension(struct kvm_vm *vm, long cap, long generic)
{
	(void)vm;
	/* No interrupt delivery into normal VMs yet either. */
	return cap == KVM_CAP_PRE_FAULT_MEMORY || cap == KVM_CAP_SIGNAL_MSI ? 0 : generic;
}

static long vmx_mem_enc_op(struct kvm_vm *vm, unsigned long arg)
{
	(void)vm;
	(void)arg;
	return -ENOTTY;	/* no confidential-computing backend on a normal VM */
}

/* The vCPUs' cores cache translations of memslot pages: they must go. */
static void vmx_zap_shared(struct kvm_vm *vm, u64 start_gfn, u64 end_gfn)
{
	(void)start_gfn;
	(void)end_gfn;
	vmx_flush_vm(vm);
}

/* Normal VMs run (vmx_run.c), but nothing injects interrupts into them yet. */
static int vmx_deliver_interrupt(struct kvm_vm *vm, u32 dest, u8 vector)
{
	(void)vm;
	(void)dest;
	(void)vector;
	return -ENOSYS;
}

static int vmx_deliver_nmi(struct kvm_vm *vm, u32 dest)
{
	(void)vm;
	(void)dest;
	return -ENOSYS;
}

const struct kvm_vm_ops vmx_vm_ops = {
	.init = vmx_vm_init,
	.pre_destroy = vmx_vm_nothing,
	.destroy = vmx_vm_teardown,
	.check_extension = vmx_check_extension,
	.mem_enc_op = vmx_mem_enc_op,
	.zap_private = vmx_zap_private,
	.zap_shared = vmx_zap_shared,
	.deliver_interrupt = vmx_deliver_interrupt,
	.deliver_nmi = vmx_deliver_nmi,
};
