// SPDX-License-Identifier: MIT
/*
 * VM-scope TDX commands, as intel-tdx.rst describes them: the common
 * KVM_MEMORY_ENCRYPT_OP rules, KVM_TDX_CAPABILITIES, KVM_TDX_INIT_VM (every
 * check, in order), KVM_TDX_FINALIZE_VM's preconditions, and what closing a
 * TD gives back: its pages and its HKID.
 */
#include "kvm_util.h"

#include <stdlib.h>
#include <string.h>

#define TDX_OPERAND_INVALID_CPUID_CONFIG	0xC000010000000045ULL
#define TDX_NO_VCPUS				0xC000060900000000ULL
#define ATTR_DEBUG				(1ULL << 0)
#define ATTR_SEPT_VE_DISABLE			(1ULL << 28)

static void test_cmd_rules(void **state)
{
	int td = vm_create(kvm, KVM_X86_TDX_VM);
	struct kvm_tdx_cmd cmd = { .id = KVM_TDX_CAPABILITIES, .hw_error = 1 };

	(void)state;
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_MEMORY_ENCRYPT_OP, &cmd), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_MEMORY_ENCRYPT_OP, (void *)16), EFAULT);
	TEST_ASSERT_ERRNO(__tdx_vm_ioctl(td, KVM_TDX_CMD_NR_MAX, 0, NULL, NULL), EINVAL);
	TEST_ASSERT_ERRNO(__tdx_vm_ioctl(td, 77, 0, NULL, NULL), EINVAL);
	kvm_close(td);
}

static void test_capabilities(void **state)
{
	int td = vm_create(kvm, KVM_X86_TDX_VM);
	struct kvm_tdx_capabilities *caps;
	bool saw_gpaw = false;

	(void)state;
	caps = calloc(1, sizeof(*caps) + 4 * sizeof(struct kvm_cpuid_entry2));
	caps->cpuid.nent = 4;
	TEST_ASSERT_ERRNO(__tdx_vm_ioctl(td, KVM_TDX_CAPABILITIES, 0, caps, NULL), E2BIG);
	/* Nothing is written back on E2BIG: nent keeps the caller's value. */
	assert_int_equal(caps->cpuid.nent, 4);
	TEST_ASSERT_ERRNO(__tdx_vm_ioctl(td, KVM_TDX_CAPABILITIES, 1, caps, NULL), EINVAL);
	TEST_ASSERT_ERRNO(__tdx_vm_ioctl(td, KVM_TDX_CAPABILITIES, 0, (void *)8, NULL), EFAULT);
	free(caps);

	caps = tdx_get_caps(td);
	/* Only SEPT_VE_DISABLE is settable through KVM; DEBUG never is. */
	assert_int_equal(caps->supported_attrs, ATTR_SEPT_VE_DISABLE);
	assert_int_equal(caps->supported_xfam, 3);	/* x87 and SSE: what the cores execute */
	assert_int_equal(caps->user_tdvmcallinfo_1_r11, 1 << 1);
	assert_int_equal(caps->kernel_tdvmcallinfo_1_r11, 0);
	assert_int_equal(caps->cpuid.nent, 12);
	for (unsigned int i = 0; i < caps->cpuid.nent; i++) {
		struct kvm_cpuid_entry2 *e = &caps->cpuid.entries[i];

		assert_int_equal(e->flags, 0);
		if (e->function == 0x80000008) {
			assert_int_equal((e->eax >> 16) & 0xFF, 0xFF);
			saw_gpaw = true;
		}
		if (e->function == 7 && e->index == 0) {
			assert_int_equal(e->ebx & ((1 << 4) | (1 << 11)), 0);
			assert_int_equal(e->ecx & (1 << 5), 0);
		}
	}
	assert_true(saw_gpaw);
	free(caps);
	kvm_close(td);
}

static int init_vm(int td, struct kvm_tdx_init_vm *init, unsigned long long *hw_error)
{
	return __tdx_vm_ioctl(td, KVM_TDX_INIT_VM, 0, init, hw_error);
}

static struct kvm_cpuid_entry2 *entry(struct kvm_tdx_init_vm *init, unsigned int leaf)
{
	for (unsigned int i = 0; i < init->cpuid.nent; i++)
		if (init->cpuid.entries[i].function == leaf)
			return &init->cpuid.entries[i];
	return NULL;
}

static void test_init_vm_checks(void **state)
{
	int td = vm_create(kvm, KVM_X86_TDX_VM);
	struct kvm_tdx_init_vm *init = tdx_init_vm_arg(td, 48), *bad;
	size_t len = sizeof(*init) + init->cpuid.nent * sizeof(struct kvm_cpuid_entry2);
	unsigned long long hw_error;

	(void)state;
	bad = malloc(len);
	TEST_ASSERT_ERRNO(__tdx_vm_ioctl(td, KVM_TDX_INIT_VM, 1, init, NULL), EINVAL);
	TEST_ASSERT_ERRNO(init_vm(td, (void *)8, NULL), EFAULT);
	memcpy(bad, init, len);
	bad->cpuid.nent = 257;
	TEST_ASSERT_ERRNO(init_vm(td, bad, NULL), E2BIG);
	memcpy(bad, init, len);
	bad->reserved[11] = 1;
	TEST_ASSERT_ERRNO(init_vm(td, bad, NULL), EINVAL);
	memcpy(bad, init, len);
	bad->cpuid.padding = 1;
	TEST_ASSERT_ERRNO(init_vm(td, bad, NULL), EINVAL);
	memcpy(bad, init, len);
	bad->attributes |= ATTR_DEBUG;
	TEST_ASSERT_ERRNO(init_vm(td, bad, NULL), EINVAL);
	memcpy(bad, init, len);
	bad->xfam |= 1ULL << 8;			/* PT: not in XFAM_FIXED0 */
	TEST_ASSERT_ERRNO(init_vm(td, bad, NULL), EINVAL);
	memcpy(bad, init, len);
	entry(bad, 0x80000008)->eax = 50 << 16;	/* GPAW is 48 or 52 */
	TEST_ASSERT_ERRNO(init_vm(td, bad, NULL), EINVAL);
	memcpy(bad, init, len);
	entry(bad, 0x80000008)->function = 0x80000007;	/* no GPAW at all */
	TEST_ASSERT_ERRNO(init_vm(td, bad, NULL), EINVAL);
	memcpy(bad, init, len);
	entry(bad, 0x1c)->function = 0x2;	/* not a configurable leaf */
	TEST_ASSERT_ERRNO(init_vm(td, bad, NULL), EINVAL);
	memcpy(bad, init, len);
	entry(bad, 7)->ebx |= 1 << 11;		/* RTM */
	TEST_ASSERT_ERRNO(init_vm(td, bad, NULL), EINVAL);
	/* A value the module refuses: EINVAL with its status in hw_error. */
	memcpy(bad, init, len);
	entry(bad, 0x1)->eax = 0xF0000000;
	hw_error = 0;
	TEST_ASSERT_ERRNO(init_vm(td, bad, &hw_error), EINVAL);
	assert_int_equal(hw_error, TDX_OPERAND_INVALID_CPUID_CONFIG);
	/* None of that consumed an HKID or a page. */
	assert_int_equal(kvm_stats().hkids_in_use, 0);
	assert_int_equal(init_vm(td, init, &hw_error), 0);
	assert_int_equal(hw_error, 0);
	assert_int_equal(kvm_stats().hkids_in_use, 1);
	TEST_ASSERT_ERRNO(init_vm(td, init, NULL), EINVAL);	/* only once */
	free(bad);
	free(init);
	kvm_close(td);
	assert_int_equal(kvm_stats().hkids_in_use, 0);
}

static void test_init_vm_gpaw52(void **state)
{
	int td = vm_create(kvm, KVM_X86_TDX_VM);
	struct kvm_tdx_init_vm *init = tdx_init_vm_arg(td, 52);

	(void)state;
	tdx_vm_ioctl(td, KVM_TDX_INIT_VM, 0, init);
	free(init);
	kvm_close(td);
}

static void test_finalize_rules(void **state)
{
	int td = vm_create(kvm, KVM_X86_TDX_VM);
	unsigned long long hw_error = 0;

	(void)state;
	TEST_ASSERT_ERRNO(__tdx_vm_ioctl(td, KVM_TDX_FINALIZE_VM, 0, NULL, NULL), EINVAL);
	kvm_close(td);
	/*
	 * Without a vCPU the module refuses to finalize; KVM_BUG_ON then marks
	 * the VM dead: every later ioctl on it is EIO, and closing it still
	 * gives everything back.
	 */
	td = td_create(kvm);
	TEST_ASSERT_ERRNO(__tdx_vm_ioctl(td, KVM_TDX_FINALIZE_VM, 0, NULL, &hw_error), EIO);
	assert_int_equal(hw_error, TDX_NO_VCPUS);
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_CREATE_VCPU, 0), EIO);
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD), EIO);
	kvm_close(td);
}

/*
 * 64 TDs at once: every HKID but the module's own (63) is handed out, the
 * 64th TD finds none, and closing one lets it in.
 */
static void test_hkid_exhaustion_and_reuse(void **state)
{
	struct softtdx_kvm_stats start = kvm_stats();
	int td[63], extra;
	struct kvm_tdx_init_vm *init;

	(void)state;
	for (int i = 0; i < 63; i++)
		td[i] = td_create(kvm);
	assert_int_equal(kvm_stats().hkids_in_use, 63);
	extra = vm_create(kvm, KVM_X86_TDX_VM);
	init = tdx_init_vm_arg(extra, 48);
	TEST_ASSERT_ERRNO(init_vm(extra, init, NULL), ENOSPC);
	kvm_close(td[7]);
	tdx_vm_ioctl(extra, KVM_TDX_INIT_VM, 0, init);
	free(init);
	kvm_close(extra);
	for (int i = 0; i < 63; i++)
		if (i != 7)
			kvm_close(td[i]);
	assert_int_equal(kvm_stats().hkids_in_use, 0);
	assert_int_equal(kvm_stats().free_pages, start.free_pages);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		KVM_TEST(test_cmd_rules),
		KVM_TEST(test_capabilities),
		KVM_TEST(test_init_vm_checks),
		KVM_TEST(test_init_vm_gpaw52),
		KVM_TEST(test_finalize_rules),
		KVM_TEST(test_hkid_exhaustion_and_reuse),
	};

	return kvm_run_tests(tests);
}
