// SPDX-License-Identifier: MIT
/*
 * vCPUs of TDs and normal VMs: KVM_CREATE_VCPU's rules for TDs, the
 * kvm_run mapping, KVM_SET_CPUID2, KVM_TDX_INIT_VCPU, the register ioctls a
 * TD refuses, finalizing a TD that has vCPUs, and that closing everything
 * gives every page back.
 */
#include "kvm_util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int __init_vcpu(int vcpu, unsigned int flags, unsigned long long rcx)
{
	struct kvm_tdx_cmd cmd = { .id = KVM_TDX_INIT_VCPU, .flags = flags, .data = rcx };

	return kvm_ioctl(vcpu, KVM_MEMORY_ENCRYPT_OP, &cmd);
}

static void test_create_vcpu_rules(void **state)
{
	int td = vm_create(kvm, KVM_X86_TDX_VM), v0, v[64];

	(void)state;
	/* Before INIT_VM a TD takes no vCPU. */
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_CREATE_VCPU, 0), EIO);
	kvm_close(td);
	td = td_create(kvm);
	/* TDs need the split irqchip. */
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_CREATE_VCPU, 0), EINVAL);
	vm_enable_split_irqchip(td);
	v0 = kvm_ioctl(td, KVM_CREATE_VCPU, 0);
	assert_true(v0 >= 0);
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_CREATE_VCPU, 0), EEXIST);
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_CREATE_VCPU, 4096), EINVAL);
	/* The limit is the number of present CPUs: the platform's 64. */
	assert_int_equal(kvm_ioctl(td, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS), 64);
	for (int i = 1; i < 64; i++) {
		v[i] = kvm_ioctl(td, KVM_CREATE_VCPU, i);
		assert_true(v[i] >= 0);
	}
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_CREATE_VCPU, 64), EINVAL);
	for (int i = 1; i < 64; i++)
		kvm_close(v[i]);
	kvm_close(v0);
	kvm_close(td);
}

static void test_kvm_run_mapping(void **state)
{
	int vm = vm_create(kvm, KVM_X86_DEFAULT_VM), vcpu;
	int size = kvm_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run, *again;

	(void)state;
	vcpu = kvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	run = kvm_mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	assert_true(run != MAP_FAILED);
	again = kvm_mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	run->immediate_exit = 1;
	assert_int_equal(again->immediate_exit, 1);	/* one kvm_run per vCPU */
	assert_true(kvm_mmap(NULL, 2 * size, PROT_READ, MAP_SHARED, vcpu, 0) == MAP_FAILED);
	assert_int_equal(errno, EINVAL);
	assert_true(kvm_mmap(NULL, 4096, PROT_READ, MAP_SHARED, vm, 0) == MAP_FAILED);
	assert_int_equal(errno, ENODEV);
	munmap(run, size);
	munmap(again, size);
	kvm_close(vcpu);
	kvm_close(vm);
}

static void test_normal_vcpu_state(void **state)
{
	int vm = vm_create(kvm, KVM_X86_DEFAULT_VM), vcpu;
	struct kvm_regs regs = { .rax = 0x1234, .rip = 0xfff0 }, out;

	(void)state;
	vcpu = kvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	assert_int_equal(kvm_ioctl(vcpu, KVM_SET_REGS, &regs), 0);
	assert_int_equal(kvm_ioctl(vcpu, KVM_GET_REGS, &out), 0);
	assert_memory_equal(&regs, &out, sizeof(regs));
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_GET_REGS, (void *)8), EFAULT);
	/* The TDX op on a normal vCPU, and unknown vCPU requests: EINVAL. */
	TEST_ASSERT_ERRNO(__init_vcpu(vcpu, 0, 0), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_GET_API_VERSION, 0), EINVAL);
	kvm_close(vcpu);
	kvm_close(vm);
}

static void test_init_vcpu_and_finalize(void **state)
{
	struct softtdx_kvm_stats start = kvm_stats();
	int td = td_create(kvm), vcpu;
	struct kvm_regs regs;
	unsigned long long hw_error = 0;

	(void)state;
	vm_enable_split_irqchip(td);
	vcpu = kvm_ioctl(td, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	/* x2APIC must be in the vCPU's CPUID first. */
	TEST_ASSERT_ERRNO(__init_vcpu(vcpu, 0, 0), EINVAL);
	vcpu_set_cpuid_x2apic(vcpu, false);
	TEST_ASSERT_ERRNO(__init_vcpu(vcpu, 0, 0), EINVAL);
	vcpu_set_cpuid_x2apic(vcpu, true);
	TEST_ASSERT_ERRNO(__init_vcpu(vcpu, 1, 0), EINVAL);
	assert_int_equal(__init_vcpu(vcpu, 0, 0x7e000), 0);
	TEST_ASSERT_ERRNO(__init_vcpu(vcpu, 0, 0), EINVAL);	/* once */
	/* A TD's registers are the module's. */
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_GET_REGS, &regs), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_SET_TSC_KHZ, 1000000), EINVAL);
	assert_int_equal(__tdx_vm_ioctl(td, KVM_TDX_FINALIZE_VM, 0, NULL, &hw_error), 0);
	assert_int_equal(hw_error, 0);
	/* Finalized: no more vCPUs, no more vCPU commands, no second finalize. */
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_CREATE_VCPU, 1), EIO);
	TEST_ASSERT_ERRNO(__init_vcpu(vcpu, 0, 0), EINVAL);
	TEST_ASSERT_ERRNO(__tdx_vm_ioctl(td, KVM_TDX_FINALIZE_VM, 0, NULL, NULL), EINVAL);
	kvm_close(vcpu);
	kvm_close(td);
	assert_int_equal(kvm_stats().free_pages, start.free_pages);
	assert_int_equal(kvm_stats().hkids_in_use, 0);
}

/* The vCPU descriptor keeps the TD alive after the VM descriptor closes. */
/* KVM_TDX_GET_CPUID: the module's virtual CPUID for this TD, read with TDH.MNG.RD. */
static void test_get_cpuid(void **state)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 256 * sizeof(struct kvm_cpuid_entry2));
	struct kvm_tdx_cmd cmd = { .id = KVM_TDX_GET_CPUID, .data = (__u64)(uintptr_t)c };
	const struct kvm_cpuid_entry2 *e;
	int td = td_create(kvm), vcpu;
	unsigned int n;

	(void)state;
	vm_enable_split_irqchip(td);
	vcpu = kvm_ioctl(td, KVM_CREATE_VCPU, 0);
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_MEMORY_ENCRYPT_OP, &cmd), E2BIG);
	n = c->nent;
	assert_true(n > 30);
	assert_int_equal(kvm_ioctl(vcpu, KVM_MEMORY_ENCRYPT_OP, &cmd), 0);
	assert_int_equal(c->nent, n);
	e = cpuid_find(c, 0, 0);
	assert_non_null(e);
	assert_int_equal(e->eax, 0x23);
	assert_int_equal(e->ebx, 0x756e6547);			/* "Genu" */
	e = cpuid_find(c, 0x21, 0);
	assert_non_null(e);
	assert_int_equal(e->flags, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	assert_int_equal(e->ebx, 0x65746e49);			/* "Inte" */
	assert_int_equal(e->edx, 0x5844546c);			/* "lTDX" */
	e = cpuid_find(c, 1, 0);
	assert_non_null(e);
	assert_int_equal(e->flags, 0);
	assert_int_equal(e->ecx & (1u << 28), 0);		/* no AVX on these cores */
	assert_non_null(cpuid_find(c, 0xd, 0x12));
	assert_null(cpuid_find(c, 0xd, 0x13));
	assert_null(cpuid_find(c, 2, 0));			/* not in the module's table */
	e = cpuid_find(c, 0x80000008, 0);
	assert_non_null(e);
	assert_int_equal((e->eax >> 16) & 0xFF, 48);		/* MAXPA from the shared bit */
	cmd.data = 8;
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_MEMORY_ENCRYPT_OP, &cmd), EFAULT);
	cmd.data = (__u64)(uintptr_t)c;
	/* Only before the TD is finalized, as upstream. */
	vcpu_set_cpuid_x2apic(vcpu, true);
	assert_int_equal(__init_vcpu(vcpu, 0, 0), 0);
	tdx_vm_ioctl(td, KVM_TDX_FINALIZE_VM, 0, NULL);
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_MEMORY_ENCRYPT_OP, &cmd), EINVAL);
	free(c);
	kvm_close(vcpu);
	kvm_close(td);
}

static void test_vcpu_holds_vm(void **state)
{
	struct softtdx_kvm_stats start = kvm_stats();
	int td = td_create(kvm), vcpu;

	(void)state;
	vm_enable_split_irqchip(td);
	vcpu = kvm_ioctl(td, KVM_CREATE_VCPU, 0);
	vcpu_set_cpuid_x2apic(vcpu, true);
	assert_int_equal(__init_vcpu(vcpu, 0, 0), 0);
	kvm_close(td);
	assert_int_equal(kvm_stats().hkids_in_use, 1);
	assert_int_equal(kvm_ioctl(vcpu, KVM_SET_CPUID2, &(struct kvm_cpuid2){ 0 }), 0);
	kvm_close(vcpu);
	assert_int_equal(kvm_stats().hkids_in_use, 0);
	assert_int_equal(kvm_stats().free_pages, start.free_pages);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		KVM_TEST(test_create_vcpu_rules),
		KVM_TEST(test_kvm_run_mapping),
		KVM_TEST(test_normal_vcpu_state),
		KVM_TEST(test_init_vcpu_and_finalize),
		KVM_TEST(test_vcpu_holds_vm),
		KVM_TEST(test_get_cpuid),
	};

	return kvm_run_tests(tests);
}
