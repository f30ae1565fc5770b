/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the uapi tests, in the style of the KVM selftests: each
 * ioctl has __foo(), which returns the ioctl result, and foo(), which
 * asserts success.  Tests reach softtdx only through the ioctl interface.
 */
#ifndef SOFTTDX_TESTS_KVM_UTIL_H
#define SOFTTDX_TESTS_KVM_UTIL_H

#include <errno.h>
#include <linux/kvm.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>	/* strerrorname_np() in TEST_ASSERT_ERRNO */
#include <sys/types.h>

#include <cmocka.h>

#include <softtdx/kvm.h>
#include <softtdx/uapi/kvm_tdx.h>

#define TEST_ASSERT_ERRNO(ret, err)                                              \
	do {                                                                     \
		int r_ = (ret), e_ = errno;                                      \
		if (r_ != -1 || e_ != (err))                                     \
			fail_msg("expected -1/%s, got %d/%s", #err, r_,          \
				 r_ == -1 ? strerrorname_np(e_) : "-");          \
	} while (0)

/*
 * The backend: softtdx by default; SOFTTDX_BACKEND=kernel runs the same
 * tests against the kernel's /dev/kvm (on a TDX host they test real KVM;
 * elsewhere every test is skipped with "kernel KVM has no TDX").
 */
bool kvm_backend_is_kernel(void);
/* Runs @tests, or, when the chosen backend has no TDX, one skipped test. */
#define kvm_run_tests(tests)                                                       \
	(kvm_backend_has_tdx() ? cmocka_run_group_tests(tests, NULL, NULL)          \
			       : kvm_run_skipped())
bool kvm_backend_has_tdx(void);
int kvm_run_skipped(void);
int kvm_open(void);

/* A test with softtdx's /dev/kvm open in kvm (per-test fixture). */
extern int kvm;
int kvm_test_setup(void **state);
int kvm_test_teardown(void **state);
#define KVM_TEST(fn) cmocka_unit_test_setup_teardown(fn, kvm_test_setup, kvm_test_teardown)
int kvm_ioctl(int fd, unsigned long request, ...);
void *kvm_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int kvm_close(int fd);
int __vm_create(int kvm, unsigned long type);
int vm_create(int kvm, unsigned long type);
int __tdx_vm_ioctl(int vm, unsigned int id, unsigned int flags, void *data,
		   unsigned long long *hw_error);
void tdx_vm_ioctl(int vm, unsigned int id, unsigned int flags, void *data);

/* KVM_TDX_CAPABILITIES, with the buffer grown until it fits. */
struct kvm_tdx_capabilities *tdx_get_caps(int vm);
/* A KVM_TDX_INIT_VM argument every configurable leaf zero, GPAW @gpaw. */
struct kvm_tdx_init_vm *tdx_init_vm_arg(int vm, int gpaw);
/* A TD after KVM_TDX_INIT_VM, GPAW 48. */
int td_create(int kvm);

/* KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP), as QEMU does for a TD. */
void vm_enable_split_irqchip(int vm);
void vm_enable_apic_bus_25mhz(int vm);
/* The entry @fn/@index of a CPUID table KVM returned, or NULL. */
const struct kvm_cpuid_entry2 *cpuid_find(const struct kvm_cpuid2 *c, unsigned int fn,
					  unsigned int index);
/* KVM_SET_CPUID2 with the one entry @entry. */
void vcpu_set_cpuid_entry(int vcpu, const struct kvm_cpuid_entry2 *entry);
/* KVM_SET_CPUID2 with one leaf: 1, x2APIC bit as asked. */
void vcpu_set_cpuid_x2apic(int vcpu, bool x2apic);
/* KVM_SET_CPUID2 as a TD vCPU needs it: x2APIC (INIT_VCPU checks) and KVM's leaf. */
void vcpu_set_cpuid_td(int vcpu);
/* KVM_SET_MEMORY_ATTRIBUTES: [gpa, gpa + size) private or shared. */
void vm_set_memory_attributes(int vm, unsigned long long gpa, unsigned long long size,
			      bool private);
/* KVM_SET_USER_MEMORY_REGION2 of a guest_memfd slot. */
void vm_set_gmem_region(int vm, unsigned int slot, unsigned long long gpa,
			unsigned long long size, void *uaddr, int gmem, unsigned long long off);
/* The guest kit's layout: RAM at 0 and a 64 KiB image ending at 4 GiB. */
#define TD_RAM_SIZE	(16ULL << 20)
#define TD_IMAGE_GPA	0xFFFF0000ULL
#define TD_IMAGE_SIZE	0x10000ULL
/*
 * RAM at @ram and the image at @image as private guest_memfd slots 0 and 1
 * (@gmem holds RAM, then the image), @blob copied into the image and added
 * measured through @vcpu, then KVM_TDX_FINALIZE_VM.
 */
void td_load_and_finalize(int td, int vcpu, int gmem, void *ram, void *image,
			  const void *blob, size_t size);
/* KVM_SIGNAL_MSI, fixed mode, physical destination @dest: the ioctl's result. */
int vm_signal_msi(int vm, unsigned int dest, unsigned int vector);
/* One MSR through KVM_GET_MSRS/KVM_SET_MSRS: the ioctl's count (1 = done). */
int __vcpu_get_msr(int vcpu, uint32_t index, uint64_t *data);
int __vcpu_set_msr(int vcpu, uint32_t index, uint64_t data);
uint64_t vcpu_get_msr(int vcpu, uint32_t index);
void vcpu_set_msr(int vcpu, uint32_t index, uint64_t data);

/* Host-side state, for leak checks (softtdx backend only; else zeros). */
struct softtdx_kvm_stats kvm_stats(void);

#endif /* SOFTTDX_TESTS_KVM_UTIL_H */
