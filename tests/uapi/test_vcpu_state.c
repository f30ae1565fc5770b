// SPDX-License-Identifier: MIT
/*
 * vCPU state ioctls: registers, FPU, LAPIC, MSRs, events, MP state, NMI and
 * SMI requests, machine checks, the vCPU TSC frequency and KVM_RUN's
 * checks, on a normal VM (fully) and on a TD (as upstream KVM: protected
 * state refused, only emulated MSRs, INIT and SIPI blocked, SMIs
 * swallowed, no KVM_RUN before FINALIZE).
 */
#include "kvm_util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MSR_IA32_TSC		0x10
#define MSR_IA32_APICBASE	0x1b
#define MSR_IA32_FEAT_CTL	0x3a
#define MSR_MTRRcap		0xfe
#define MSR_IA32_MCG_CTL	0x17b
#define MSR_IA32_CR_PAT		0x277
#define MSR_MTRRdefType		0x2ff
#define MSR_IA32_MC0_CTL	0x400
#define MSR_IA32_MCG_EXT_CTL	0x4d0
#define MSR_IA32_TSC_DEADLINE	0x6e0
#define X2APIC_MSR(reg)		(0x800 + ((reg) >> 4))
#define MSR_EFER		0xc0000080
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_TSC_AUX		0xc0000103

#define APIC_ID			0x20
#define APIC_LVR		0x30
#define APIC_TASKPRI		0x80
#define APIC_EOI		0xb0
#define APIC_LDR		0xd0
#define APIC_ICR		0x300
#define APIC_LVTT		0x320

static uint32_t lapic_reg(const struct kvm_lapic_state *s, unsigned int reg)
{
	uint32_t v;

	memcpy(&v, &s->regs[reg], sizeof(v));
	return v;
}

static uint32_t mp_state(int vcpu)
{
	struct kvm_mp_state mp;

	assert_int_equal(kvm_ioctl(vcpu, KVM_GET_MP_STATE, &mp), 0);
	return mp.mp_state;
}

static int __set_mp_state(int vcpu, uint32_t state)
{
	struct kvm_mp_state mp = { .mp_state = state };

	return kvm_ioctl(vcpu, KVM_SET_MP_STATE, &mp);
}

static struct kvm_vcpu_events events(int vcpu)
{
	struct kvm_vcpu_events ev;

	assert_int_equal(kvm_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev), 0);
	return ev;
}

/* No NMI pending, NMIs masked (as far as KVM knows), then three KVM_NMIs. */
static struct kvm_vcpu_events nmis_while_masked(int vcpu)
{
	struct kvm_vcpu_events ev = { .flags = KVM_VCPUEVENT_VALID_NMI_PENDING,
				      .nmi = { .pending = 0, .masked = 1 } };

	assert_int_equal(kvm_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(kvm_ioctl(vcpu, KVM_NMI, 0), 0);
	return events(vcpu);
}

static void test_normal_reset_state(void **state)
{
	int vm = vm_create(kvm, KVM_X86_DEFAULT_VM), vcpu = kvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu, out;
	struct kvm_lapic_state lapic;

	(void)state;
	assert_int_equal(kvm_ioctl(vcpu, KVM_GET_REGS, &regs), 0);
	assert_int_equal(regs.rip, 0xfff0);
	assert_int_equal(regs.rflags, 2);
	assert_int_equal(kvm_ioctl(vcpu, KVM_GET_SREGS, &sregs), 0);
	assert_int_equal(sregs.cs.selector, 0xf000);
	assert_int_equal(sregs.cs.base, 0xffff0000);
	assert_int_equal(sregs.cr0, 0x60000010);
	assert_int_equal(sregs.apic_base, 0xfee00900);	/* enabled, BSP */
	/* EFER with a reserved bit, or a CR8 above 15, is refused. */
	sregs.efer = 1ULL << 1;
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_SET_SREGS, &sregs), EINVAL);
	sregs.efer = 0;
	sregs.cr8 = 16;
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_SET_SREGS, &sregs), EINVAL);
	sregs.cr8 = 0;
	assert_int_equal(kvm_ioctl(vcpu, KVM_SET_SREGS, &sregs), 0);

	assert_int_equal(kvm_ioctl(vcpu, KVM_GET_FPU, &fpu), 0);
	assert_int_equal(fpu.fcw, 0x37f);
	assert_int_equal(fpu.mxcsr, 0x1f80);
	fpu.xmm[3][0] = 0xaa;
	assert_int_equal(kvm_ioctl(vcpu, KVM_SET_FPU, &fpu), 0);
	assert_int_equal(kvm_ioctl(vcpu, KVM_GET_FPU, &out), 0);
	assert_memory_equal(&fpu, &out, sizeof(fpu));
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_SET_FPU, (void *)8), EFAULT);

	/* No in-kernel APIC: no LAPIC state, and only RUNNABLE. */
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_GET_LAPIC, &lapic), EINVAL);
	assert_int_equal(mp_state(vcpu), KVM_MP_STATE_RUNNABLE);
	TEST_ASSERT_ERRNO(__set_mp_state(vcpu, KVM_MP_STATE_HALTED), EINVAL);
	TEST_ASSERT_ERRNO(__set_mp_state(vcpu, 99), EINVAL);
	assert_int_equal(__set_mp_state(vcpu, KVM_MP_STATE_RUNNABLE), 0);
	kvm_close(vcpu);
	kvm_close(vm);
}

static void test_msr_index_list(void **state)
{
	int vm = vm_create(kvm, KVM_X86_DEFAULT_VM), vcpu = kvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	struct kvm_msr_list probe = { .nmsrs = 1 }, *list;
	struct kvm_msrs *msrs;

	(void)state;
	TEST_ASSERT_ERRNO(kvm_ioctl(kvm, KVM_GET_MSR_INDEX_LIST, &probe), E2BIG);
	assert_true(probe.nmsrs > 10);
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(list->indices[0]));
	list->nmsrs = probe.nmsrs;
	assert_int_equal(kvm_ioctl(kvm, KVM_GET_MSR_INDEX_LIST, list), 0);
	/* Every MSR the list names can be read back. */
	msrs = calloc(1, sizeof(*msrs) + list->nmsrs * sizeof(msrs->entries[0]));
	msrs->nmsrs = list->nmsrs;
	for (uint32_t i = 0; i < list->nmsrs; i++)
		msrs->entries[i].index = list->indices[i];
	assert_int_equal(kvm_ioctl(vcpu, KVM_GET_MSRS, msrs), (int)list->nmsrs);
	/* And written back as read. */
	assert_int_equal(kvm_ioctl(vcpu, KVM_SET_MSRS, msrs), (int)list->nmsrs);
	msrs->nmsrs = 256;
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_GET_MSRS, msrs), E2BIG);
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_GET_MSRS, (void *)8), EFAULT);
	TEST_ASSERT_ERRNO(kvm_ioctl(kvm, KVM_GET_MSR_INDEX_LIST, (void *)8), EFAULT);
	free(msrs);
	free(list);
	kvm_close(vcpu);
	kvm_close(vm);
}

static void set_maxphyaddr(int vcpu, uint32_t bits)
{
	vcpu_set_cpuid_entry(vcpu, &(struct kvm_cpuid_entry2){ .function = 0x80000008,
							    .eax = bits });
}

static void test_normal_msrs(void **state)
{
	int vm = vm_create(kvm, KVM_X86_DEFAULT_VM), vcpu = kvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[3];
	} batch = { .hdr.nmsrs = 3, .e = { { .index = MSR_STAR, .data = 1 },
					   { .index = MSR_IA32_CR_PAT, .data = 0x02 },
					   { .index = MSR_STAR, .data = 2 } } };
	uint64_t v;

	(void)state;
	assert_int_equal(vcpu_get_msr(vcpu, MSR_IA32_CR_PAT), 0x0007040600070406ULL);
	/* The first refusal stops the batch: PAT type 2 is reserved. */
	assert_int_equal(kvm_ioctl(vcpu, KVM_SET_MSRS, &batch), 1);
	assert_int_equal(vcpu_get_msr(vcpu, MSR_STAR), 1);
	assert_int_equal(__vcpu_set_msr(vcpu, MSR_EFER, 1ULL << 1), 0);
	vcpu_set_msr(vcpu, MSR_EFER, 0xd01);
	assert_int_equal(__vcpu_set_msr(vcpu, MSR_LSTAR, 0x0000800000000000ULL), 0);
	vcpu_set_msr(vcpu, MSR_LSTAR, 0xffffffff81000000ULL);
	assert_int_equal(__vcpu_set_msr(vcpu, MSR_TSC_AUX, 1ULL << 32), 0);
	assert_int_equal(__vcpu_get_msr(vcpu, 0x12345, &v), 0);
	assert_int_equal(vcpu_get_msr(vcpu, MSR_MTRRcap), 0x508);
	assert_int_equal(__vcpu_set_msr(vcpu, MSR_MTRRcap, 0x508), 0);
	assert_int_equal(__vcpu_set_msr(vcpu, MSR_MTRRdefType, 0xc02), 0);
	vcpu_set_msr(vcpu, MSR_MTRRdefType, 0xc06);
	/* MCE banks: no MCG_CTL_P, 32 banks, MCi_CTL only 0 or all ones. */
	assert_int_equal(__vcpu_set_msr(vcpu, MSR_IA32_MCG_CTL, ~0ULL), 0);
	vcpu_set_msr(vcpu, MSR_IA32_MC0_CTL, ~0ULL);
	assert_int_equal(__vcpu_set_msr(vcpu, MSR_IA32_MC0_CTL, 5), 0);
	assert_int_equal(__vcpu_set_msr(vcpu, MSR_IA32_MC0_CTL + 4 * 32, 0), 0);
	/* A TSC write moves the TSC; it keeps counting from there. */
	vcpu_set_msr(vcpu, MSR_IA32_TSC, 1ULL << 40);
	v = vcpu_get_msr(vcpu, MSR_IA32_TSC);
	assert_true(v >= 1ULL << 40 && v < (1ULL << 40) + 1000000000000ULL);
	/* APIC base above MAXPHYADDR (36 without CPUID, at most 52). */
	assert_int_equal(__vcpu_set_msr(vcpu, MSR_IA32_APICBASE, 1ULL << 36 | 0x800), 0);
	set_maxphyaddr(vcpu, 0xff);
	vcpu_set_msr(vcpu, MSR_IA32_APICBASE, 1ULL << 36 | 0x800);
	assert_int_equal(__vcpu_set_msr(vcpu, MSR_IA32_APICBASE, 1ULL << 52 | 0x800), 0);
	/* No in-kernel APIC: no TSC deadline, no x2APIC registers. */
	vcpu_set_msr(vcpu, MSR_IA32_TSC_DEADLINE, 1234);
	assert_int_equal(vcpu_get_msr(vcpu, MSR_IA32_TSC_DEADLINE), 0);
	assert_int_equal(__vcpu_get_msr(vcpu, X2APIC_MSR(APIC_ID), &v), 0);
	kvm_close(vcpu);
	kvm_close(vm);
}

static void test_normal_lapic(void **state)
{
	int vm = vm_create(kvm, KVM_X86_DEFAULT_VM), v0, v1;
	struct kvm_lapic_state lapic, out;
	uint64_t v;

	(void)state;
	vm_enable_split_irqchip(vm);
	v0 = kvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	v1 = kvm_ioctl(vm, KVM_CREATE_VCPU, 1);
	assert_int_equal(mp_state(v0), KVM_MP_STATE_RUNNABLE);
	assert_int_equal(mp_state(v1), KVM_MP_STATE_UNINITIALIZED);
	assert_int_equal(kvm_ioctl(v1, KVM_GET_LAPIC, &lapic), 0);
	assert_int_equal(lapic_reg(&lapic, APIC_ID), 1u << 24);
	assert_int_equal(lapic_reg(&lapic, APIC_LVR), 0x50014);
	assert_int_equal(lapic_reg(&lapic, APIC_LVTT), 1u << 16);	/* masked */
	lapic.regs[APIC_TASKPRI] = 0x30;
	assert_int_equal(kvm_ioctl(v1, KVM_SET_LAPIC, &lapic), 0);
	assert_int_equal(kvm_ioctl(v1, KVM_GET_LAPIC, &out), 0);
	assert_memory_equal(&lapic, &out, sizeof(lapic));

	/* x2APIC: only with x2APIC in CPUID, never x2APIC without xAPIC. */
	assert_int_equal(__vcpu_get_msr(v1, X2APIC_MSR(APIC_ID), &v), 0);
	assert_int_equal(__vcpu_set_msr(v1, MSR_IA32_APICBASE, 0xfee00c00), 0);
	vcpu_set_cpuid_x2apic(v1, true);
	assert_int_equal(__vcpu_set_msr(v1, MSR_IA32_APICBASE, 0xfee00400), 0);
	assert_int_equal(__vcpu_set_msr(v1, MSR_IA32_APICBASE, 0xfee00801), 0);
	vcpu_set_msr(v1, MSR_IA32_APICBASE, 0xfee00c00);
	assert_int_equal(vcpu_get_msr(v1, X2APIC_MSR(APIC_ID)), 1);
	assert_int_equal(vcpu_get_msr(v1, X2APIC_MSR(APIC_LDR)), 1u << 1);
	assert_int_equal(kvm_ioctl(v1, KVM_GET_LAPIC, &out), 0);
	assert_int_equal(lapic_reg(&out, APIC_ID), 1u << 24);	/* xAPIC format */
	vcpu_set_msr(v1, X2APIC_MSR(APIC_TASKPRI), 0x20);
	assert_int_equal(__vcpu_set_msr(v1, X2APIC_MSR(APIC_TASKPRI), 0x100), 0);
	assert_int_equal(__vcpu_set_msr(v1, X2APIC_MSR(APIC_ID), 5), 0);
	/* Registers that act (IPIs, EOI) wait for a running vCPU. */
	assert_int_equal(__vcpu_set_msr(v1, X2APIC_MSR(APIC_ICR), 0x4500), 0);
	assert_int_equal(__vcpu_set_msr(v1, X2APIC_MSR(APIC_EOI), 0), 0);
	/*
	 * TSC-deadline mode holds a deadline: one far in the future, since a
	 * past one expires at once and reads back 0.
	 */
	vcpu_set_msr(v1, X2APIC_MSR(APIC_LVTT), 2u << 17 | 0xec);
	vcpu_set_msr(v1, MSR_IA32_TSC_DEADLINE, 1ULL << 62);
	assert_int_equal(vcpu_get_msr(v1, MSR_IA32_TSC_DEADLINE), 1ULL << 62);
	kvm_close(v0);
	kvm_close(v1);
	kvm_close(vm);
}

static void test_normal_init_sipi(void **state)
{
	int vm = vm_create(kvm, KVM_X86_DEFAULT_VM), v1;
	struct kvm_vcpu_events ev = { .flags = KVM_VCPUEVENT_VALID_SIPI_VECTOR,
				      .sipi_vector = 0x9a };
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	(void)state;
	vm_enable_split_irqchip(vm);
	v1 = kvm_ioctl(vm, KVM_CREATE_VCPU, 1);
	assert_int_equal(__set_mp_state(v1, KVM_MP_STATE_INIT_RECEIVED), 0);
	assert_int_equal(mp_state(v1), KVM_MP_STATE_INIT_RECEIVED);
	assert_int_equal(kvm_ioctl(v1, KVM_SET_VCPU_EVENTS, &ev), 0);
	assert_int_equal(__set_mp_state(v1, KVM_MP_STATE_SIPI_RECEIVED), 0);
	/* The SIPI is taken: real mode at vector << 12. */
	assert_int_equal(mp_state(v1), KVM_MP_STATE_RUNNABLE);
	assert_int_equal(kvm_ioctl(v1, KVM_GET_SREGS, &sregs), 0);
	assert_int_equal(sregs.cs.selector, 0x9a00);
	assert_int_equal(sregs.cs.base, 0x9a000);
	assert_int_equal(kvm_ioctl(v1, KVM_GET_REGS, &regs), 0);
	assert_int_equal(regs.rip, 0);
	kvm_close(v1);
	kvm_close(vm);
}

static void test_normal_events(void **state)
{
	int vm = vm_create(kvm, KVM_X86_DEFAULT_VM), vcpu = kvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	struct kvm_vcpu_events ev;

	(void)state;
	ev = events(vcpu);
	assert_int_equal(ev.flags, KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW |
				   KVM_VCPUEVENT_VALID_SMM);
	/* NMIs collapse to two pending, one while blocked. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(kvm_ioctl(vcpu, KVM_NMI, 0), 0);
	assert_int_equal(events(vcpu).nmi.pending, 2);
	ev = nmis_while_masked(vcpu);
	assert_int_equal(ev.nmi.pending, 1);
	assert_int_equal(ev.nmi.masked, 1);

	ev = (struct kvm_vcpu_events){ .exception = { .injected = 1, .nr = 14,
						      .has_error_code = 1, .error_code = 2 } };
	assert_int_equal(kvm_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev), 0);
	ev = events(vcpu);
	assert_int_equal(ev.exception.nr, 14);
	assert_int_equal(ev.exception.error_code, 2);
	/* Vectors above 31 and NMI are not exceptions. */
	ev = (struct kvm_vcpu_events){ .exception = { .injected = 1, .nr = 32 } };
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev), EINVAL);
	ev.exception.nr = 2;
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev), EINVAL);
	/* Unknown flags, payloads, triple faults and SMM are not offered. */
	ev = (struct kvm_vcpu_events){ .flags = 0x40 };
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev), EINVAL);
	ev.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev), EINVAL);
	ev.flags = KVM_VCPUEVENT_VALID_TRIPLE_FAULT;
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev), EINVAL);
	ev = (struct kvm_vcpu_events){ .flags = KVM_VCPUEVENT_VALID_SMM, .smi.pending = 1 };
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_SMI, 0), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_GET_VCPU_EVENTS, (void *)8), EFAULT);
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_SET_VCPU_EVENTS, (void *)8), EFAULT);
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_GET_MP_STATE, (void *)8), EFAULT);
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_SET_MP_STATE, (void *)8), EFAULT);
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_SET_SREGS, (void *)8), EFAULT);
	kvm_close(vcpu);
	kvm_close(vm);
}

static void test_vcpu_tsc_khz(void **state)
{
	int vm = vm_create(kvm, KVM_X86_DEFAULT_VM), vcpu;

	(void)state;
	assert_int_equal(kvm_ioctl(vm, KVM_SET_TSC_KHZ, 2000000), 0);
	vcpu = kvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	assert_int_equal(kvm_ioctl(vcpu, KVM_GET_TSC_KHZ, 0), 2000000);
	assert_int_equal(kvm_ioctl(vcpu, KVM_SET_TSC_KHZ, 1000000), 0);
	assert_int_equal(kvm_ioctl(vcpu, KVM_GET_TSC_KHZ, 0), 1000000);
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_SET_TSC_KHZ, 10000000), EINVAL);
	assert_int_equal(kvm_ioctl(vcpu, KVM_SET_TSC_KHZ, 0), 0);	/* the host's */
	assert_int_equal(kvm_ioctl(vcpu, KVM_GET_TSC_KHZ, 0), 2500000);
	kvm_close(vcpu);
	kvm_close(vm);
}

/* The TPR-patching pair: kept with an in-kernel APIC, checked as x86.c checks them. */
static void test_vapic_and_tpr_reporting(void **state)
{
	int vm = vm_create(kvm, KVM_X86_DEFAULT_VM), plain = vm_create(kvm, KVM_X86_DEFAULT_VM);
	int vcpu, bare;
	struct kvm_vapic_addr va = { .vapic_addr = 0xFEE00080 };
	struct kvm_tpr_access_ctl tac = { .enabled = 1 };

	(void)state;
	vm_enable_split_irqchip(vm);
	vcpu = kvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	bare = kvm_ioctl(plain, KVM_CREATE_VCPU, 0);
	assert_int_equal(kvm_ioctl(vcpu, KVM_SET_VAPIC_ADDR, &va), 0);
	va.vapic_addr = 0x1FFE;		/* its u32 would cross a page */
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_SET_VAPIC_ADDR, &va), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_SET_VAPIC_ADDR, (void *)8), EFAULT);
	va.vapic_addr = 0;
	TEST_ASSERT_ERRNO(kvm_ioctl(bare, KVM_SET_VAPIC_ADDR, &va), EINVAL);	/* no APIC */
	assert_int_equal(kvm_ioctl(vcpu, KVM_TPR_ACCESS_REPORTING, &tac), 0);
	tac.flags = 1;
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_TPR_ACCESS_REPORTING, &tac), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_TPR_ACCESS_REPORTING, (void *)8), EFAULT);
	kvm_close(bare);
	kvm_close(vcpu);
	kvm_close(plain);
	kvm_close(vm);
}

static int __enable_apic_bus_cycles(int vm, uint64_t ns)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_APIC_BUS_CYCLES_NS, .args = { ns } };

	return kvm_ioctl(vm, KVM_ENABLE_CAP, &cap);
}

static void test_apic_bus_cycles_ns(void **state)
{
	int vm = vm_create(kvm, KVM_X86_DEFAULT_VM), vcpu;

	(void)state;
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_X86_APIC_BUS_CYCLES_NS), 1);
	TEST_ASSERT_ERRNO(__enable_apic_bus_cycles(vm, 0), EINVAL);
	TEST_ASSERT_ERRNO(__enable_apic_bus_cycles(vm, 1ULL << 30), EINVAL);	/* overflows */
	TEST_ASSERT_ERRNO(__enable_apic_bus_cycles(vm, 40), ENXIO);	/* no APIC */
	vm_enable_split_irqchip(vm);
	assert_int_equal(__enable_apic_bus_cycles(vm, 40), 0);
	vcpu = kvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	TEST_ASSERT_ERRNO(__enable_apic_bus_cycles(vm, 40), EINVAL);
	kvm_close(vcpu);
	kvm_close(vm);
}

/* A TD with split irqchip, vCPUs 0 and 1, vCPU 1 through KVM_TDX_INIT_VCPU. */
static int td_with_vcpus(int *v0, int *v1)
{
	int td = td_create(kvm);
	struct kvm_tdx_cmd cmd = { .id = KVM_TDX_INIT_VCPU };

	vm_enable_split_irqchip(td);
	*v0 = kvm_ioctl(td, KVM_CREATE_VCPU, 0);
	*v1 = kvm_ioctl(td, KVM_CREATE_VCPU, 1);
	assert_int_equal(mp_state(*v1), KVM_MP_STATE_UNINITIALIZED);
	vcpu_set_cpuid_x2apic(*v1, true);
	assert_int_equal(kvm_ioctl(*v1, KVM_MEMORY_ENCRYPT_OP, &cmd), 0);
	return td;
}

static void test_td_protected_state(void **state)
{
	int v0, v1, td = td_with_vcpus(&v0, &v1);
	struct kvm_regs regs = { 0 };
	struct kvm_sregs sregs = { 0 };
	struct kvm_fpu fpu = { 0 };
	struct kvm_lapic_state lapic = { 0 };

	(void)state;
	TEST_ASSERT_ERRNO(kvm_ioctl(v1, KVM_GET_REGS, &regs), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(v1, KVM_SET_REGS, &regs), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(v1, KVM_GET_SREGS, &sregs), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(v1, KVM_SET_SREGS, &sregs), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(v1, KVM_GET_FPU, &fpu), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(v1, KVM_SET_FPU, &fpu), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(v1, KVM_GET_LAPIC, &lapic), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(v1, KVM_SET_LAPIC, &lapic), EINVAL);
	/* The TD's TSC frequency is fixed by INIT_VM. */
	TEST_ASSERT_ERRNO(kvm_ioctl(v1, KVM_SET_TSC_KHZ, 1000000), EINVAL);
	assert_int_equal(kvm_ioctl(v1, KVM_GET_TSC_KHZ, 0), 2500000);
	/* INIT_VCPU made vCPU 1 runnable; INIT and SIPI never reach a TD. */
	assert_int_equal(mp_state(v1), KVM_MP_STATE_RUNNABLE);
	TEST_ASSERT_ERRNO(__set_mp_state(v1, KVM_MP_STATE_INIT_RECEIVED), EINVAL);
	TEST_ASSERT_ERRNO(__set_mp_state(v1, KVM_MP_STATE_SIPI_RECEIVED), EINVAL);
	assert_int_equal(__set_mp_state(v1, KVM_MP_STATE_HALTED), 0);
	assert_int_equal(mp_state(v1), KVM_MP_STATE_HALTED);
	kvm_close(v0);
	kvm_close(v1);
	kvm_close(td);
}

static void test_td_msrs(void **state)
{
	int v0, v1, td = td_with_vcpus(&v0, &v1);
	uint64_t v;

	(void)state;
	/* x2APIC mode, enabled, vCPU 1 is no BSP; EFER long mode with NX. */
	assert_int_equal(vcpu_get_msr(v1, MSR_IA32_APICBASE), 0xfee00c00);
	assert_int_equal(vcpu_get_msr(v1, MSR_EFER), 0xd01);
	assert_int_equal(vcpu_get_msr(v1, MSR_IA32_FEAT_CTL), 1);	/* locked */
	/* Read-only even for the host. */
	assert_int_equal(__vcpu_set_msr(v1, MSR_IA32_APICBASE, 0xfee00c00), 0);
	assert_int_equal(__vcpu_set_msr(v1, MSR_EFER, 0xd01), 0);
	assert_int_equal(__vcpu_set_msr(v1, MSR_IA32_FEAT_CTL, 1), 0);
	/* What the module owns: TSC, syscall MSRs. */
	assert_int_equal(__vcpu_get_msr(v1, MSR_IA32_TSC, &v), 0);
	assert_int_equal(__vcpu_set_msr(v1, MSR_STAR, 0), 0);
	assert_int_equal(__vcpu_get_msr(v1, MSR_LSTAR, &v), 0);
	/* Emulated ones work. */
	vcpu_set_msr(v1, MSR_IA32_CR_PAT, 0x0606060606060606ULL);
	assert_int_equal(vcpu_get_msr(v1, MSR_IA32_CR_PAT), 0x0606060606060606ULL);
	vcpu_set_msr(v1, MSR_IA32_MCG_EXT_CTL, 1);
	assert_int_equal(__vcpu_set_msr(v1, MSR_IA32_MCG_EXT_CTL, 2), 0);
	/* x2APIC: KVM's registers yes, the CPU-virtualized ones (TPR, EOI) no. */
	assert_int_equal(vcpu_get_msr(v1, X2APIC_MSR(APIC_ID)), 1);
	assert_int_equal(__vcpu_get_msr(v1, X2APIC_MSR(APIC_TASKPRI), &v), 0);
	assert_int_equal(__vcpu_set_msr(v1, X2APIC_MSR(APIC_EOI), 0), 0);
	kvm_close(v0);
	kvm_close(v1);
	kvm_close(td);
}

/*
 * KVM_INTERRUPT with the split irqchip: an ExtINT held one at a time, as
 * Linux (a TD never takes it); normal VMs take no interrupts yet (ENOSYS).
 */
static void test_kvm_interrupt(void **state)
{
	int v0, v1, td = td_with_vcpus(&v0, &v1), vm = vm_create(kvm, KVM_X86_DEFAULT_VM), vcpu;
	struct kvm_interrupt irq = { .irq = 0x20 };

	(void)state;
	assert_int_equal(kvm_ioctl(v0, KVM_INTERRUPT, &irq), 0);
	TEST_ASSERT_ERRNO(kvm_ioctl(v0, KVM_INTERRUPT, &irq), EEXIST);
	irq.irq = 256;
	TEST_ASSERT_ERRNO(kvm_ioctl(v1, KVM_INTERRUPT, &irq), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(v1, KVM_INTERRUPT, (void *)8), EFAULT);
	vcpu = kvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	irq.irq = 0x20;
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_INTERRUPT, &irq), ENOSYS);
	kvm_close(vcpu);
	kvm_close(vm);
	kvm_close(v0);
	kvm_close(v1);
	kvm_close(td);
}

static void test_td_nmi_smi(void **state)
{
	int v0, v1, td = td_with_vcpus(&v0, &v1);
	struct kvm_vcpu_events ev;

	(void)state;
	/* An SMI is accepted and stays pending: a TD never enters SMM. */
	assert_int_equal(kvm_ioctl(v1, KVM_SMI, 0), 0);
	assert_int_equal(events(v1).smi.pending, 1);
	/* NMI blocking is the module's: KVM sees NMIs unmasked. */
	ev = nmis_while_masked(v1);
	assert_int_equal(ev.nmi.masked, 0);
	assert_int_equal(ev.nmi.pending, 2);
	kvm_close(v0);
	kvm_close(v1);
	kvm_close(td);
}

static struct kvm_run *map_run(int vcpu)
{
	int size = kvm_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run = kvm_mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED,
				       vcpu, 0);

	assert_true(run != MAP_FAILED);
	return run;
}

/* KVM_RUN's checks, in x86.c's order; guest execution is test_vmx_run's. */
static void test_kvm_run_rules(void **state)
{
	int vm = vm_create(kvm, KVM_X86_DEFAULT_VM), v0, v1;
	struct kvm_run *run;

	(void)state;
	vm_enable_split_irqchip(vm);
	v0 = kvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	v1 = kvm_ioctl(vm, KVM_CREATE_VCPU, 1);
	run = map_run(v0);
	TEST_ASSERT_ERRNO(kvm_ioctl(v0, KVM_RUN, 1), EINVAL);
	run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	TEST_ASSERT_ERRNO(kvm_ioctl(v0, KVM_RUN, 0), EINVAL);
	run->kvm_valid_regs = 0;
	run->immediate_exit = 1;
	TEST_ASSERT_ERRNO(kvm_ioctl(v0, KVM_RUN, 0), EINTR);
	run->immediate_exit = 0;
	/* Signals end KVM_RUN without a mask of its own (immediate_exit is QEMU's way). */
	TEST_ASSERT_ERRNO(kvm_ioctl(v0, KVM_SET_SIGNAL_MASK, 0), EINVAL);
	/* It runs: no memory at the reset vector, so no instruction to fetch. */
	assert_int_equal(kvm_ioctl(v0, KVM_RUN, 0), 0);
	assert_int_equal(run->exit_reason, KVM_EXIT_INTERNAL_ERROR);
	assert_int_equal(run->internal.suberror, KVM_INTERNAL_ERROR_EMULATION);
	assert_int_equal(run->apic_base, 0xfee00900);
	/* An AP waits for INIT/SIPI. */
	TEST_ASSERT_ERRNO(kvm_ioctl(v1, KVM_RUN, 0), EAGAIN);
	munmap(run, 3 * 4096);
	kvm_close(v0);
	kvm_close(v1);
	kvm_close(vm);
}

static void test_td_kvm_run_needs_finalize(void **state)
{
	int v0, v1, td = td_with_vcpus(&v0, &v1);
	unsigned long long hw_error = 0;

	(void)state;
	struct kvm_run *run = map_run(v1);

	TEST_ASSERT_ERRNO(kvm_ioctl(v1, KVM_RUN, 0), EINVAL);
	run->immediate_exit = 1;		/* x86.c checks it before the TD's checks */
	TEST_ASSERT_ERRNO(kvm_ioctl(v1, KVM_RUN, 0), EINTR);
	run->immediate_exit = 0;
	assert_int_equal(__tdx_vm_ioctl(td, KVM_TDX_FINALIZE_VM, 0, NULL, &hw_error), 0);
	/* It runs: the reset vector's page has no memslot, so userspace hears of it. */
	TEST_ASSERT_ERRNO(kvm_ioctl(v1, KVM_RUN, 0), EFAULT);
	assert_int_equal(run->exit_reason, KVM_EXIT_MEMORY_FAULT);
	assert_int_equal(kvm_run_memory_fault(run)->gpa, 0xFFFFF000);
	assert_int_equal(kvm_run_memory_fault(run)->flags, KVM_MEMORY_EXIT_FLAG_PRIVATE);
	assert_int_equal(kvm_run_memory_fault(run)->size, 4096);
	munmap(run, 3 * 4096);
	/* vCPU 0 never went through KVM_TDX_INIT_VCPU. */
	TEST_ASSERT_ERRNO(kvm_ioctl(v0, KVM_RUN, 0), EINVAL);
	kvm_close(v0);
	kvm_close(v1);
	kvm_close(td);
}

#define MCG_CTL_P	(1ULL << 8)
#define MCG_SER_P	(1ULL << 24)
#define MCI_STATUS_VAL	(1ULL << 63)
#define MCI_STATUS_OVER	(1ULL << 62)
#define MCI_STATUS_UC	(1ULL << 61)
#define MCI_STATUS_S	(1ULL << 56)
#define MSR_IA32_MCx_STATUS(b)	(MSR_IA32_MC0_CTL + 4 * (b) + 1)

static int __setup_mce(int vcpu, uint64_t cap)
{
	return kvm_ioctl(vcpu, KVM_X86_SETUP_MCE, &cap);
}

static int __set_mce(int vcpu, unsigned int bank, uint64_t status, uint64_t mcg_status)
{
	struct kvm_x86_mce mce = { .bank = (__u8)bank, .status = status, .mcg_status = mcg_status };

	return kvm_ioctl(vcpu, KVM_X86_SET_MCE, &mce);
}

static void test_mce(void **state)
{
	int vm = vm_create(kvm, KVM_X86_DEFAULT_VM), vcpu = kvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	uint64_t cap = 0, uc = MCI_STATUS_VAL | MCI_STATUS_UC | MCI_STATUS_S;
	struct kvm_run *run = map_run(vcpu);
	struct kvm_sregs sregs;

	(void)state;
	assert_int_equal(kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MCE), 32);
	assert_int_equal(kvm_ioctl(kvm, KVM_X86_GET_MCE_CAP_SUPPORTED, &cap), 0);
	assert_int_equal(cap, MCG_CTL_P | MCG_SER_P);
	TEST_ASSERT_ERRNO(__setup_mce(vcpu, MCG_CTL_P), EINVAL);		/* no banks */
	TEST_ASSERT_ERRNO(__setup_mce(vcpu, 33), EINVAL);
	TEST_ASSERT_ERRNO(__setup_mce(vcpu, 1ULL << 10 | 4), EINVAL);	/* CMCI */
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_X86_SETUP_MCE, (void *)8), EFAULT);
	TEST_ASSERT_ERRNO(kvm_ioctl(vcpu, KVM_X86_SET_MCE, (void *)8), EFAULT);
	TEST_ASSERT_ERRNO(kvm_ioctl(kvm, KVM_X86_GET_MCE_CAP_SUPPORTED, (void *)8), EFAULT);
	assert_int_equal(__setup_mce(vcpu, MCG_CTL_P | MCG_SER_P | 4), 0);
	assert_int_equal(vcpu_get_msr(vcpu, MSR_IA32_MCG_CTL), ~0ULL);
	assert_int_equal(vcpu_get_msr(vcpu, MSR_IA32_MC0_CTL + 4 * 3), ~0ULL);

	TEST_ASSERT_ERRNO(__set_mce(vcpu, 4, MCI_STATUS_VAL, 0), EINVAL);
	TEST_ASSERT_ERRNO(__set_mce(vcpu, 0, 1, 0), EINVAL);			/* not VAL */
	/* Corrected errors pile up with OVER. */
	assert_int_equal(__set_mce(vcpu, 1, MCI_STATUS_VAL | 0x17, 0), 0);
	assert_int_equal(__set_mce(vcpu, 1, MCI_STATUS_VAL | 0x18, 0), 0);
	assert_int_equal(vcpu_get_msr(vcpu, MSR_IA32_MCx_STATUS(1)),
			 MCI_STATUS_VAL | MCI_STATUS_OVER | 0x18);
	/* Uncorrected with CR4.MCE clear: shutdown at the next KVM_RUN. */
	assert_int_equal(__set_mce(vcpu, 2, uc, 1), 0);
	assert_int_equal(kvm_ioctl(vcpu, KVM_RUN, 0), 0);
	assert_int_equal(run->exit_reason, KVM_EXIT_SHUTDOWN);
	assert_int_equal(kvm_ioctl(vcpu, KVM_RUN, 0), 0);	/* no memory to run */
	assert_int_equal(run->exit_reason, KVM_EXIT_INTERNAL_ERROR);
	/* With CR4.MCE: #MC is queued. */
	assert_int_equal(kvm_ioctl(vcpu, KVM_GET_SREGS, &sregs), 0);
	sregs.cr4 |= 1u << 6;
	assert_int_equal(kvm_ioctl(vcpu, KVM_SET_SREGS, &sregs), 0);
	assert_int_equal(__set_mce(vcpu, 2, uc, 1), 0);
	assert_int_equal(events(vcpu).exception.nr, 18);
	assert_int_equal(vcpu_get_msr(vcpu, MSR_IA32_MCx_STATUS(2)), uc);
	munmap(run, 3 * 4096);
	kvm_close(vcpu);
	kvm_close(vm);
}

/* A TD's banks are KVM's to emulate; the #MC itself could never be injected. */
static void test_td_mce(void **state)
{
	int v0, v1, td = td_with_vcpus(&v0, &v1);

	(void)state;
	assert_int_equal(__setup_mce(v1, MCG_SER_P | 2), 0);
	assert_int_equal(__set_mce(v1, 1, MCI_STATUS_VAL | 0x17, 0), 0);
	assert_int_equal(vcpu_get_msr(v1, MSR_IA32_MCx_STATUS(1)), MCI_STATUS_VAL | 0x17);
	TEST_ASSERT_ERRNO(__set_mce(v1, 2, MCI_STATUS_VAL, 0), EINVAL);
	kvm_close(v0);
	kvm_close(v1);
	kvm_close(td);
}

static void fill_random(void *buf, size_t len, unsigned int *seed)
{
	unsigned char *b = buf;

	for (size_t i = 0; i < len; i++)
		b[i] = (unsigned char)rand_r(seed);
}

/*
 * Random bytes into every state-setting request of a normal vCPU and a TD
 * vCPU: each call succeeds or fails with an errno, nothing else happens
 * (the ASan/UBSan build runs this too), and the vCPUs still answer.
 */
static void test_hostile_state(void **state)
{
	static const unsigned long requests[] = {
		KVM_SET_REGS, KVM_SET_SREGS, KVM_SET_FPU, KVM_SET_LAPIC, KVM_SET_MSRS,
		KVM_SET_VCPU_EVENTS, KVM_SET_MP_STATE, KVM_X86_SETUP_MCE, KVM_X86_SET_MCE,
		KVM_SET_CPUID2,
	};
	int vm = vm_create(kvm, KVM_X86_DEFAULT_VM), v0, v1, td, vcpus[2];
	union {
		struct kvm_msrs msrs;
		struct kvm_cpuid2 cpuid;
		unsigned char bytes[12288];	/* 256 CPUID entries fit */
	} buf;
	unsigned int seed = 1;

	(void)state;
	vm_enable_split_irqchip(vm);
	vcpus[0] = kvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	td = td_with_vcpus(&v0, &v1);
	vcpus[1] = v1;
	for (int round = 0; round < 2000; round++) {
		int vcpu = vcpus[round % 2], ret;

		fill_random(&buf, sizeof(buf), &seed);
		buf.msrs.nmsrs %= 300;		/* also a count for KVM_SET_CPUID2 */
		ret = kvm_ioctl(vcpu, requests[round % (sizeof(requests) / sizeof(requests[0]))],
				&buf);
		assert_true(ret >= 0 || errno == EINVAL || errno == E2BIG || errno == EFAULT);
	}
	for (int i = 0; i < 2; i++)
		assert_true(kvm_ioctl(vcpus[i], KVM_GET_MSRS, &(struct kvm_msrs){ 0 }) == 0);
	kvm_close(vcpus[0]);
	kvm_close(v0);
	kvm_close(v1);
	kvm_close(td);
	kvm_close(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		KVM_TEST(test_normal_reset_state),
		KVM_TEST(test_msr_index_list),
		KVM_TEST(test_normal_msrs),
		KVM_TEST(test_normal_lapic),
		KVM_TEST(test_normal_init_sipi),
		KVM_TEST(test_normal_events),
		KVM_TEST(test_vcpu_tsc_khz),
		KVM_TEST(test_vapic_and_tpr_reporting),
		KVM_TEST(test_apic_bus_cycles_ns),
		KVM_TEST(test_td_protected_state),
		KVM_TEST(test_td_msrs),
		KVM_TEST(test_td_nmi_smi),
		KVM_TEST(test_kvm_interrupt),
		KVM_TEST(test_kvm_run_rules),
		KVM_TEST(test_td_kvm_run_needs_finalize),
		KVM_TEST(test_mce),
		KVM_TEST(test_td_mce),
		KVM_TEST(test_hostile_state),
	};

	return kvm_run_tests(tests);
}
