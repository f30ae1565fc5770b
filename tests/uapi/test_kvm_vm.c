// SPDX-License-Identifier: MIT
/*
 * The /dev/kvm and VM-scope interface: API version, capabilities at both
 * scopes and per VM type, VM creation, KVM_ENABLE_CAP, TSC frequency,
 * descriptor semantics (dup, close of the last reference), and the errnos
 * Linux gives for unknown requests.
 */
#include "kvm_util.h"

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void test_api_version(void **state)
{
	int kvm = kvm_open();

	(void)state;
	assert_int_equal(kvm_ioctl(kvm, KVM_GET_API_VERSION, 0), KVM_API_VERSION);
	TEST_ASSERT_ERRNO(kvm_ioctl(kvm, KVM_GET_API_VERSION, 1), EINVAL);
	assert_int_equal(kvm_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), 3 * 4096);
	/* x86's kvm_arch_dev_ioctl answers unknown requests with EINVAL. */
	TEST_ASSERT_ERRNO(kvm_ioctl(kvm, KVM_CREATE_VCPU, 0), EINVAL);
	kvm_close(kvm);
}

static void test_system_extensions(void **state)
{
	int kvm = kvm_open();

	(void)state;
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES),
			 1 << KVM_X86_DEFAULT_VM | 1 << KVM_X86_TDX_VM);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD), 1);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MEMORY_ATTRIBUTES),
			 KVM_MEMORY_ATTRIBUTE_PRIVATE);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_EXIT_HYPERCALL),
			 1 << KVM_HC_MAP_GPA_RANGE);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SPLIT_IRQCHIP), 1);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY2), 1);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS), 32764);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MULTI_ADDRESS_SPACE), 2);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT), 1);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_VCPU_EVENTS), 1);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MP_STATE), 1);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_USER_NMI), 1);
	/* What QEMU requires and Linux always reports. */
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_INTERNAL_ERROR_DATA), 1);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR), 1);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_GET_TSC_KHZ), 1);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER), 1);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ADJUST_CLOCK),
			 KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID), 256);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD), 1);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD_ANY_LENGTH), 1);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD), 1);
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, 9999), 0);
	kvm_close(kvm);
}

static void test_vm_types(void **state)
{
	int kvm = kvm_open(), vm, td;

	(void)state;
	vm = vm_create(kvm, KVM_X86_DEFAULT_VM);
	td = vm_create(kvm, KVM_X86_TDX_VM);
	assert_true(vm != td && vm != kvm);
	TEST_ASSERT_ERRNO(__vm_create(kvm, KVM_X86_SW_PROTECTED_VM), EINVAL);
	TEST_ASSERT_ERRNO(__vm_create(kvm, KVM_X86_SNP_VM), EINVAL);
	TEST_ASSERT_ERRNO(__vm_create(kvm, 32), EINVAL);
	/* A VM's capabilities depend on its type. */
	assert_int_equal(kvm_ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM), 1);
	assert_int_equal(kvm_ioctl(td, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM), 0);
	assert_int_equal(kvm_ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD), 0);
	assert_int_equal(kvm_ioctl(td, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD), 1);
	assert_int_equal(kvm_ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_MEMORY_ATTRIBUTES), 0);
	assert_int_equal(kvm_ioctl(td, KVM_CHECK_EXTENSION, KVM_CAP_MEMORY_ATTRIBUTES),
			 KVM_MEMORY_ATTRIBUTE_PRIVATE);
	assert_int_equal(kvm_ioctl(td, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS), 0);
	assert_int_equal(kvm_ioctl(td, KVM_CHECK_EXTENSION, KVM_CAP_X86_SMM), 0);
	/* A TD has one address space (no SMM); a normal VM two. */
	assert_int_equal(kvm_ioctl(td, KVM_CHECK_EXTENSION, KVM_CAP_MULTI_ADDRESS_SPACE), 1);
	assert_int_equal(kvm_ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_MULTI_ADDRESS_SPACE), 2);
	/* PRE_FAULT_MEMORY: TDs (after FINALIZE); normal VMs have no EPT yet. */
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_PRE_FAULT_MEMORY), 1);
	assert_int_equal(kvm_ioctl(td, KVM_CHECK_EXTENSION, KVM_CAP_PRE_FAULT_MEMORY), 1);
	assert_int_equal(kvm_ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_PRE_FAULT_MEMORY), 0);
	/* A TD's vCPU limit is the number of present CPUs (2 here). */
	assert_int_equal(kvm_ioctl(td, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS), 64);
	/* Unknown VM requests: ENOTTY; the TDX op on a normal VM: ENOTTY. */
	TEST_ASSERT_ERRNO(kvm_ioctl(vm, KVM_GET_API_VERSION, 0), ENOTTY);
	TEST_ASSERT_ERRNO(__tdx_vm_ioctl(vm, KVM_TDX_CAPABILITIES, 0, NULL, NULL), ENOTTY);
	kvm_close(td);
	kvm_close(vm);
	kvm_close(kvm);
}

static void test_enable_cap(void **state)
{
	int kvm = kvm_open(), td = vm_create(kvm, KVM_X86_TDX_VM), vm, vcpu;
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };

	(void)state;
	assert_int_equal(kvm_ioctl(td, KVM_ENABLE_CAP, &cap), 0);
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_ENABLE_CAP, &cap), EEXIST);
	cap.args[0] = 4097;
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_ENABLE_CAP, &cap), EINVAL);
	cap = (struct kvm_enable_cap){ .cap = KVM_CAP_EXIT_HYPERCALL,
				       .args = { 1 << KVM_HC_MAP_GPA_RANGE } };
	assert_int_equal(kvm_ioctl(td, KVM_ENABLE_CAP, &cap), 0);
	cap.args[0] = 1;
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_ENABLE_CAP, &cap), EINVAL);
	cap = (struct kvm_enable_cap){ .cap = KVM_CAP_EXIT_HYPERCALL, .flags = 1 };
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_ENABLE_CAP, &cap), EINVAL);
	cap = (struct kvm_enable_cap){ .cap = 9999 };
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_ENABLE_CAP, &cap), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_ENABLE_CAP, (void *)8), EFAULT);
	kvm_close(td);
	/* Once a vCPU exists the irqchip is settled: EEXIST, as x86.c says. */
	vm = vm_create(kvm, KVM_X86_DEFAULT_VM);
	vcpu = kvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	cap = (struct kvm_enable_cap){ .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	TEST_ASSERT_ERRNO(kvm_ioctl(vm, KVM_ENABLE_CAP, &cap), EEXIST);
	kvm_close(vcpu);
	kvm_close(vm);
	kvm_close(kvm);
}

/* KVM_CAP_MAX_VCPU_ID: set once (again with the same value), IDs at or above it refused. */
static void test_max_vcpu_id(void **state)
{
	int kvm = kvm_open(), vm = vm_create(kvm, KVM_X86_DEFAULT_VM), vcpu;
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MAX_VCPU_ID, .args = { 257 } };

	(void)state;
	TEST_ASSERT_ERRNO(kvm_ioctl(vm, KVM_ENABLE_CAP, &cap), EINVAL);
	cap.args[0] = 4;
	assert_int_equal(kvm_ioctl(vm, KVM_ENABLE_CAP, &cap), 0);
	assert_int_equal(kvm_ioctl(vm, KVM_ENABLE_CAP, &cap), 0);
	cap.args[0] = 8;
	TEST_ASSERT_ERRNO(kvm_ioctl(vm, KVM_ENABLE_CAP, &cap), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(vm, KVM_CREATE_VCPU, 4), EINVAL);
	vcpu = kvm_ioctl(vm, KVM_CREATE_VCPU, 3);
	assert_true(vcpu >= 0);
	kvm_close(vcpu);
	kvm_close(vm);
	kvm_close(kvm);
}

/*
 * kvmclock: KVM_GET_CLOCK counts from the VM's creation with the flags
 * Linux reports; KVM_SET_CLOCK moves it (with KVM_CLOCK_REALTIME, by the
 * real time since data.realtime too); unknown flags EINVAL.
 */
static void test_clock(void **state)
{
	int kvm = kvm_open(), vm = vm_create(kvm, KVM_X86_DEFAULT_VM);
	struct kvm_clock_data d = { 0 }, e = { 0 };

	(void)state;
	assert_int_equal(kvm_ioctl(vm, KVM_GET_CLOCK, &d), 0);
	assert_int_equal(d.flags, KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC);
	assert_true(d.clock < 10ULL * 1000000000);	/* the VM is seconds old at most */
	assert_true(d.realtime > 0 && d.host_tsc > 0);
	e.clock = 1000ULL * 1000000000;
	assert_int_equal(kvm_ioctl(vm, KVM_SET_CLOCK, &e), 0);
	assert_int_equal(kvm_ioctl(vm, KVM_GET_CLOCK, &d), 0);
	assert_true(d.clock >= e.clock && d.clock < e.clock + 1000000000);
	/* Saved 5 s of real time ago: the clock went on meanwhile. */
	e = (struct kvm_clock_data){ .clock = 1000ULL * 1000000000, .flags = KVM_CLOCK_REALTIME,
				     .realtime = d.realtime - 5ULL * 1000000000 };
	assert_int_equal(kvm_ioctl(vm, KVM_SET_CLOCK, &e), 0);
	assert_int_equal(kvm_ioctl(vm, KVM_GET_CLOCK, &d), 0);
	assert_true(d.clock >= e.clock + 5ULL * 1000000000);
	e.flags = 1;
	TEST_ASSERT_ERRNO(kvm_ioctl(vm, KVM_SET_CLOCK, &e), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(vm, KVM_GET_CLOCK, (void *)8), EFAULT);
	kvm_close(vm);
	kvm_close(kvm);
}

/*
 * KVM_SET_TSS_ADDR (three pages below 4 GiB) and KVM_SET_IDENTITY_MAP_ADDR
 * (before any vCPU), on normal VMs and TDs alike, as x86.c.
 */
static void test_real_mode_pages(void **state)
{
	int kvm = kvm_open(), vm = vm_create(kvm, KVM_X86_DEFAULT_VM);
	int td = vm_create(kvm, KVM_X86_TDX_VM), vcpu;
	unsigned long long ident = 0xFEFFC000;

	(void)state;
	assert_int_equal(kvm_ioctl(vm, KVM_SET_TSS_ADDR, 0xFEFFD000), 0);
	assert_int_equal(kvm_ioctl(td, KVM_SET_TSS_ADDR, 0xFEFFD000), 0);
	TEST_ASSERT_ERRNO(kvm_ioctl(vm, KVM_SET_TSS_ADDR, 0xFFFFE000), EINVAL);
	assert_int_equal(kvm_ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &ident), 0);
	assert_int_equal(kvm_ioctl(td, KVM_SET_IDENTITY_MAP_ADDR, &ident), 0);
	TEST_ASSERT_ERRNO(kvm_ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, (void *)8), EFAULT);
	vcpu = kvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	TEST_ASSERT_ERRNO(kvm_ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &ident), EINVAL);
	kvm_close(vcpu);
	kvm_close(td);
	kvm_close(vm);
	kvm_close(kvm);
}

static void test_tsc_khz(void **state)
{
	int kvm = kvm_open(), td = vm_create(kvm, KVM_X86_TDX_VM);

	(void)state;
	assert_int_equal(kvm_ioctl(td, KVM_SET_TSC_KHZ, 1000000), 0);
	assert_int_equal(kvm_ioctl(td, KVM_GET_TSC_KHZ, 0), 1000000);
	assert_int_equal(kvm_ioctl(td, KVM_SET_TSC_KHZ, 0), 0);	/* 0: the host's */
	assert_true(kvm_ioctl(td, KVM_GET_TSC_KHZ, 0) > 0);
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_SET_TSC_KHZ, 1ULL << 40), EINVAL);
	kvm_close(td);
	kvm_close(kvm);
}

/* softtdx's own descriptor machinery: not a kernel-backend test. */
static void test_descriptors(void **state)
{
	struct softtdx_kvm_stats before;
	int kvm, vm, copy;
	struct pollfd p;

	(void)state;
	if (kvm_backend_is_kernel())
		skip();
	kvm = kvm_open();
	vm = vm_create(kvm, KVM_X86_DEFAULT_VM);
	before = kvm_stats();
	assert_true(softtdx_is_kvm_fd(vm));
	assert_false(softtdx_is_kvm_fd(STDIN_FILENO));
	copy = dup(vm);
	assert_int_equal(kvm_ioctl(copy, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM), 1);
	/* Closing one copy keeps the VM... */
	close(vm);
	assert_int_equal(kvm_stats().objects, before.objects);
	assert_int_equal(kvm_ioctl(copy, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM), 1);
	/* ...nothing to read on it... */
	p = (struct pollfd){ .fd = copy, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 0), 0);
	/* ...and closing the last one destroys it. */
	kvm_close(copy);
	assert_int_equal(kvm_stats().objects, before.objects - 1);
	TEST_ASSERT_ERRNO(kvm_ioctl(copy, KVM_CHECK_EXTENSION, 0), EBADF);
	TEST_ASSERT_ERRNO(kvm_ioctl(STDIN_FILENO, KVM_CHECK_EXTENSION, 0), ENOTTY);
	kvm_close(kvm);
}

/*
 * Descriptors closed behind libc's back, by close_range(2) as a daemon or
 * a child before exec does: softtdx notices (its reaper sees the last user
 * descriptor of each object go) and releases the TD, its vCPU, its
 * guest_memfd and its HKID as if each had been closed.
 */
static void test_close_range(void **state)
{
	struct softtdx_kvm_stats before;
	int kvm, fds[4], first = 900;

	(void)state;
	if (kvm_backend_is_kernel())
		skip();
	kvm = kvm_open();
	before = kvm_stats();
	fds[0] = td_create(kvm);
	vm_enable_split_irqchip(fds[0]);
	fds[1] = kvm_ioctl(fds[0], KVM_CREATE_VCPU, 0);
	fds[2] = kvm_ioctl(fds[0], KVM_CREATE_GUEST_MEMFD,
			   &(struct kvm_create_guest_memfd){ .size = 1 << 20 });
	fds[3] = vm_create(kvm, KVM_X86_DEFAULT_VM);
	assert_int_equal(kvm_stats().hkids_in_use, before.hkids_in_use + 1);
	/* One block of descriptors, then one close_range over it */
	for (int i = 0; i < 4; i++) {
		assert_true(fds[i] >= 0);
		assert_int_equal(dup2(fds[i], first + i), first + i);
		assert_int_equal(syscall(SYS_close, fds[i]), 0);
	}
	assert_int_equal(syscall(SYS_close_range, first, first + 3, 0), 0);
	for (int ms = 0; ms < 5000 && kvm_stats().objects != before.objects; ms++)
		usleep(1000);
	assert_int_equal(kvm_stats().objects, before.objects);
	assert_int_equal(kvm_stats().hkids_in_use, before.hkids_in_use);
	assert_int_equal(kvm_stats().free_pages, before.free_pages);
	kvm_close(kvm);
}

/* KVM_GET_SUPPORTED_CPUID: the platform CPU as KVM offers it to a guest. */
static void test_supported_cpuid(void **state)
{
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[64];
	} c = { .hdr.nent = 1 };
	const struct kvm_cpuid_entry2 *e;
	int kvm = kvm_open();

	(void)state;
	TEST_ASSERT_ERRNO(kvm_ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &c), E2BIG);
	assert_int_equal(c.hdr.nent, 1);
	c.hdr.nent = 64;
	assert_int_equal(kvm_ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &c), 0);
	assert_int_equal(c.hdr.nent, 18);
	e = cpuid_find(&c.hdr, 0x40000000, 0);
	assert_non_null(e);
	assert_memory_equal(&e->ebx, "KVMKVMKVM\0\0\0", 12);
	e = cpuid_find(&c.hdr, 1, 0);
	assert_non_null(e);
	assert_int_equal(e->ecx & (1u << 21 | 1u << 31), 1u << 21 | 1u << 31);	/* x2APIC, hypervisor */
	assert_int_equal(e->ecx & (1u << 28), 0);				/* no AVX */
	e = cpuid_find(&c.hdr, 7, 1);
	assert_non_null(e);
	assert_int_equal(e->flags, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	e = cpuid_find(&c.hdr, 0x80000008, 0);
	assert_non_null(e);
	assert_int_equal(e->eax & 0xFF, 52);		/* raw MAXPHYADDR, KeyID bits and all */
	assert_int_equal((e->eax >> 8) & 0xFF, 57);	/* LA57 */
	assert_int_equal((e->eax >> 16) & 0xFF, 52);	/* GuestPhysBits: 5-level EPT */
	TEST_ASSERT_ERRNO(kvm_ioctl(kvm, KVM_GET_SUPPORTED_CPUID, (void *)8), EFAULT);
	kvm_close(kvm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_version),
		cmocka_unit_test(test_system_extensions),
		cmocka_unit_test(test_vm_types),
		cmocka_unit_test(test_enable_cap),
		cmocka_unit_test(test_tsc_khz),
		cmocka_unit_test(test_max_vcpu_id),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_real_mode_pages),
		cmocka_unit_test(test_descriptors),
		cmocka_unit_test(test_close_range),
		cmocka_unit_test(test_supported_cpuid),
	};

	return kvm_run_tests(tests);
}
