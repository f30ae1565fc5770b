// SPDX-License-Identifier: MIT
#include "kvm_util.h"

#include <stdlib.h>
#include <string.h>

int kvm_open(void)
{
	int fd = softtdx_kvm_open();

	assert_true(fd >= 0);
	return fd;
}

int __vm_create(int kvm, unsigned long type)
{
	return softtdx_ioctl(kvm, KVM_CREATE_VM, type);
}

int vm_create(int kvm, unsigned long type)
{
	int vm = __vm_create(kvm, type);

	if (vm < 0)
		fail_msg("KVM_CREATE_VM(%lu): %s", type, strerrorname_np(errno));
	return vm;
}

int __tdx_vm_ioctl(int vm, unsigned int id, unsigned int flags, void *data,
		   unsigned long long *hw_error)
{
	struct kvm_tdx_cmd cmd = { .id = id, .flags = flags, .data = (__u64)(uintptr_t)data };
	int ret = softtdx_ioctl(vm, KVM_MEMORY_ENCRYPT_OP, &cmd);

	if (hw_error)
		*hw_error = cmd.hw_error;
	return ret;
}

void tdx_vm_ioctl(int vm, unsigned int id, unsigned int flags, void *data)
{
	unsigned long long hw_error = 0;

	if (__tdx_vm_ioctl(vm, id, flags, data, &hw_error))
		fail_msg("KVM_MEMORY_ENCRYPT_OP(%u): %s, hw_error %#llx", id,
			 strerrorname_np(errno), hw_error);
}

struct kvm_tdx_capabilities *tdx_get_caps(int vm)
{
	for (unsigned int nent = 1;; nent *= 2) {
		size_t len = sizeof(struct kvm_tdx_capabilities) +
			     nent * sizeof(struct kvm_cpuid_entry2);
		struct kvm_tdx_capabilities *caps = calloc(1, len);

		assert_non_null(caps);
		caps->cpuid.nent = nent;
		if (!__tdx_vm_ioctl(vm, KVM_TDX_CAPABILITIES, 0, caps, NULL))
			return caps;
		assert_int_equal(errno, E2BIG);
		free(caps);
	}
}

struct kvm_tdx_init_vm *tdx_init_vm_arg(int vm, int gpaw)
{
	struct kvm_tdx_capabilities *caps = tdx_get_caps(vm);
	size_t len = sizeof(struct kvm_tdx_init_vm) +
		     caps->cpuid.nent * sizeof(struct kvm_cpuid_entry2);
	struct kvm_tdx_init_vm *init = calloc(1, len);

	assert_non_null(init);
	init->attributes = caps->supported_attrs;
	init->cpuid.nent = caps->cpuid.nent;
	for (unsigned int i = 0; i < caps->cpuid.nent; i++) {
		struct kvm_cpuid_entry2 *e = &init->cpuid.entries[i];

		e->function = caps->cpuid.entries[i].function;
		e->index = caps->cpuid.entries[i].index;
		e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		if (e->function == 0x80000008)
			e->eax = (unsigned int)gpaw << 16;
	}
	free(caps);
	return init;
}

int td_create(int kvm)
{
	int vm = vm_create(kvm, KVM_X86_TDX_VM);
	struct kvm_tdx_init_vm *init = tdx_init_vm_arg(vm, 48);

	tdx_vm_ioctl(vm, KVM_TDX_INIT_VM, 0, init);
	free(init);
	return vm;
}

struct softtdx_kvm_stats kvm_stats(void)
{
	struct softtdx_kvm_stats st;

	assert_int_equal(softtdx_kvm_stats(&st), 0);
	return st;
}
