// SPDX-License-Identifier: MIT
/*
 * include/softtdx/uapi/kvm_tdx.h: the KVM TDX / guest_memfd ABI on top of
 * the system <linux/kvm.h>.  The header checks itself at compile time; this
 * program re-checks a few values at run time and exercises the kvm_run
 * accessors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <linux/kvm.h>
#include "../include/softtdx/uapi/kvm_tdx.h"

static void test_constants(void **state)
{
	(void)state;
	assert_int_equal(KVM_X86_TDX_VM, 5);
	assert_int_equal(KVM_EXIT_MEMORY_FAULT, 39);
	assert_int_equal(KVM_EXIT_TDX, 40);
	assert_int_equal(KVM_SYSTEM_EVENT_TDX_FATAL, 7);
	assert_int_equal(KVM_CAP_VM_TYPES, 235);
	assert_int_equal(KVM_TDX_GET_CPUID, 5);
	assert_int_equal(KVM_MEMORY_ATTRIBUTE_PRIVATE, 8);
	assert_int_equal(KVM_CREATE_GUEST_MEMFD, 0xC040AED4UL);
	assert_int_equal(KVM_MEMORY_ENCRYPT_OP, 0xC008AEBAUL);
}

static void test_struct_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct kvm_tdx_cmd), 24);
	assert_int_equal(offsetof(struct kvm_tdx_capabilities, cpuid), 2048);
	assert_int_equal(offsetof(struct kvm_tdx_init_vm, cpuid), 256);
	assert_int_equal(sizeof(struct kvm_tdx_init_mem_region), 24);
	assert_int_equal(sizeof(struct kvm_userspace_memory_region2), 160);
	assert_int_equal(sizeof(struct kvm_tdx_exit), 64);
}

static void test_run_accessors(void **state)
{
	struct kvm_run run;

	(void)state;
	memset(&run, 0, sizeof(run));
	assert_ptr_equal(kvm_run_tdx(&run), (char *)&run + 32);
	assert_ptr_equal(kvm_run_memory_fault(&run), (char *)&run + 32);

	/* The TDX exit overlays the union that Debian's members also use. */
	kvm_run_tdx(&run)->nr = 0x10002;
	kvm_run_tdx(&run)->get_quote.ret = 0x8000000000000003ULL;
	assert_int_equal(run.hypercall.nr, 0);	/* tdx.flags */
	assert_int_equal(run.hypercall.args[0], 0x10002);
	assert_int_equal(run.hypercall.args[1], 0x8000000000000003ULL);
	assert_int_equal(kvm_run_tdx(&run)->unknown.ret, 0x8000000000000003ULL);

	kvm_run_memory_fault(&run)->gpa = 0x1000;
	assert_int_equal(run.hypercall.args[0], 0x1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_struct_layout),
		cmocka_unit_test(test_run_accessors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
