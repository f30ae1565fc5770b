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
#include <stdint.h>

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

int kvm_open(void);
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

/* Host-side state, for leak checks. */
struct softtdx_kvm_stats kvm_stats(void);

#endif /* SOFTTDX_TESTS_KVM_UTIL_H */
