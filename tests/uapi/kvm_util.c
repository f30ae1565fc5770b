// SPDX-License-Identifier: MIT
#include "kvm_util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

bool kvm_backend_is_kernel(void)
{
	const char *b = getenv("SOFTTDX_BACKEND");

	return b && !strcmp(b, "kernel");
}

static int kernel_kvm_open(void)
{
	return open("/dev/kvm", O_RDWR | O_CLOEXEC);
}

bool kvm_backend_has_tdx(void)
{
	int fd;
	bool tdx;

	if (!kvm_backend_is_kernel())
		return true;
	fd = kernel_kvm_open();
	tdx = fd >= 0 && ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES) & (1 << KVM_X86_TDX_VM);
	if (fd >= 0)
		close(fd);
	return tdx;
}

static void kernel_kvm_has_no_tdx(void **state)
{
	(void)state;
	print_message("kernel KVM has no TDX\n");
	skip();
}

int kvm_run_skipped(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(kernel_kvm_has_no_tdx) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}

int kvm_open(void)
{
	int fd = kvm_backend_is_kernel() ? kernel_kvm_open() : softtdx_kvm_open();

	assert_true(fd >= 0);
	return fd;
}

int kvm_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	return kvm_backend_is_kernel() ? ioctl(fd, request, arg) : softtdx_ioctl(fd, request, arg);
}

void *kvm_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (kvm_backend_is_kernel())
		return mmap(addr, len, prot, flags, fd, off);
	return softtdx_mmap(addr, len, prot, flags, fd, off);
}

int kvm_close(int fd)
{
	return kvm_backend_is_kernel() ? close(fd) : softtdx_close(fd);
}

int kvm = -1;

int kvm_test_setup(void **state)
{
	(void)state;
	kvm = kvm_open();
	return 0;
}

int kvm_test_teardown(void **state)
{
	(void)state;
	kvm_close(kvm);
	kvm = -1;
	return 0;
}

int __vm_create(int kvm, unsigned long type)
{
	return kvm_ioctl(kvm, KVM_CREATE_VM, type);
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
	int ret = kvm_ioctl(vm, KVM_MEMORY_ENCRYPT_OP, &cmd);

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

void vm_enable_split_irqchip(int vm)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };

	assert_int_equal(kvm_ioctl(vm, KVM_ENABLE_CAP, &cap), 0);
}

/* What QEMU sets for a TD: the 25 MHz crystal CPUID 0x15 reports. */
void vm_enable_apic_bus_25mhz(int vm)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_APIC_BUS_CYCLES_NS, .args = { 40 } };

	assert_int_equal(kvm_ioctl(vm, KVM_ENABLE_CAP, &cap), 0);
}

const struct kvm_cpuid_entry2 *cpuid_find(const struct kvm_cpuid2 *c, unsigned int fn,
					  unsigned int index)
{
	for (unsigned int i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == index)
			return &c->entries[i];
	return NULL;
}

void vcpu_set_cpuid_entry(int vcpu, const struct kvm_cpuid_entry2 *entry)
{
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[1];
	} c = { .hdr.nent = 1, .e[0] = *entry };

	assert_int_equal(kvm_ioctl(vcpu, KVM_SET_CPUID2, &c), 0);
}

void vcpu_set_cpuid_x2apic(int vcpu, bool x2apic)
{
	vcpu_set_cpuid_entry(vcpu, &(struct kvm_cpuid_entry2){ .function = 1,
							    .ecx = x2apic ? 1u << 21 : 0 });
}

struct one_msr {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e;
};

int __vcpu_get_msr(int vcpu, uint32_t index, uint64_t *data)
{
	struct one_msr m = { .hdr.nmsrs = 1, .e.index = index };
	int ret = kvm_ioctl(vcpu, KVM_GET_MSRS, &m);

	*data = m.e.data;
	return ret;
}

int __vcpu_set_msr(int vcpu, uint32_t index, uint64_t data)
{
	struct one_msr m = { .hdr.nmsrs = 1, .e = { .index = index, .data = data } };

	return kvm_ioctl(vcpu, KVM_SET_MSRS, &m);
}

uint64_t vcpu_get_msr(int vcpu, uint32_t index)
{
	uint64_t data;

	assert_int_equal(__vcpu_get_msr(vcpu, index, &data), 1);
	return data;
}

void vcpu_set_msr(int vcpu, uint32_t index, uint64_t data)
{
	assert_int_equal(__vcpu_set_msr(vcpu, index, data), 1);
}

struct softtdx_kvm_stats kvm_stats(void)
{
	struct softtdx_kvm_stats st = { 0 };

	if (!kvm_backend_is_kernel())
		assert_int_equal(softtdx_kvm_stats(&st), 0);
	return st;
}

void vcpu_set_cpuid_td(int vcpu)
{
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[2];
	} c = {
		.hdr.nent = 2,
		.e = {
			{ .function = 1, .ecx = 1u << 21 },
			{ .function = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b },
		},
	};

	assert_int_equal(kvm_ioctl(vcpu, KVM_SET_CPUID2, &c), 0);
}

void vm_set_memory_attributes(int vm, unsigned long long gpa, unsigned long long size,
			      bool private)
{
	struct kvm_memory_attributes a = {
		gpa, size, private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0, 0,
	};

	assert_int_equal(kvm_ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &a), 0);
}

void vm_set_gmem_region(int vm, unsigned int slot, unsigned long long gpa,
			unsigned long long size, void *uaddr, int gmem, unsigned long long off)
{
	struct kvm_userspace_memory_region2 r = {
		.slot = slot, .flags = KVM_MEM_GUEST_MEMFD, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (__u64)(uintptr_t)uaddr,
		.guest_memfd = (__u32)gmem, .guest_memfd_offset = off,
	};

	assert_int_equal(kvm_ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &r), 0);
}

int vm_signal_msi(int vm, unsigned int dest, unsigned int vector)
{
	struct kvm_msi msi = { .address_lo = 0xFEE00000u | dest << 12, .data = vector };

	return kvm_ioctl(vm, KVM_SIGNAL_MSI, &msi);
}

void td_load_and_finalize(int td, int vcpu, int gmem, void *ram, void *image,
			  const void *blob, size_t size)
{
	struct kvm_tdx_init_mem_region m = {
		.source_addr = (__u64)(uintptr_t)image, .gpa = TD_IMAGE_GPA,
		.nr_pages = TD_IMAGE_SIZE / 4096,
	};
	struct kvm_tdx_cmd region = { .id = KVM_TDX_INIT_MEM_REGION,
				      .flags = KVM_TDX_MEASURE_MEMORY_REGION,
				      .data = (__u64)(uintptr_t)&m };

	memcpy(image, blob, size);
	vm_set_gmem_region(td, 0, 0, TD_RAM_SIZE, ram, gmem, 0);
	vm_set_gmem_region(td, 1, TD_IMAGE_GPA, TD_IMAGE_SIZE, image, gmem, TD_RAM_SIZE);
	vm_set_memory_attributes(td, 0, TD_RAM_SIZE, true);
	vm_set_memory_attributes(td, TD_IMAGE_GPA, TD_IMAGE_SIZE, true);
	assert_int_equal(kvm_ioctl(vcpu, KVM_MEMORY_ENCRYPT_OP, &region), 0);
	tdx_vm_ioctl(td, KVM_TDX_FINALIZE_VM, 0, NULL);
}
