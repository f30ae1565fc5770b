/* SPDX-License-Identifier: MIT */
/*
 * KVM TDX and guest_memfd userspace ABI, as of Linux 6.16.
 *
 * Debian 12 ships linux-libc-dev 6.1, whose <linux/kvm.h> predates TDX,
 * guest_memfd, memory attributes and the VM-type capability.  This header
 * adds only those missing pieces, with the upstream names and values (they
 * are ABI), so a VMM can talk to a 6.16+ KVM (or to softtdx's KVM) while
 * building against the older system headers.  Every addition is guarded so
 * newer system headers that already carry it take precedence; the
 * _Static_asserts then check that both agree on the ABI.
 *
 * Reference: /work/shared/reference/kvm-tdx-uapi.md (sections 1-3).
 */
#ifndef SOFTTDX_UAPI_KVM_TDX_H
#define SOFTTDX_UAPI_KVM_TDX_H

#if !defined(__x86_64__)
#error "KVM TDX uapi is x86-64 only (layouts below assume LP64)"
#endif

#include <stddef.h>
#include <linux/const.h>
#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/kvm.h>
#include <linux/kvm_para.h>	/* KVM_HC_MAP_GPA_RANGE, KVM_MAP_GPA_RANGE_* */

/* ---- VM types: the KVM_CREATE_VM argument (asm/kvm.h) ---- */

#ifndef KVM_X86_DEFAULT_VM
#define KVM_X86_DEFAULT_VM	0
#endif
#ifndef KVM_X86_SW_PROTECTED_VM
#define KVM_X86_SW_PROTECTED_VM	1
#endif
#ifndef KVM_X86_SEV_VM
#define KVM_X86_SEV_VM		2
#endif
#ifndef KVM_X86_SEV_ES_VM
#define KVM_X86_SEV_ES_VM	3
#endif
#ifndef KVM_X86_SNP_VM
#define KVM_X86_SNP_VM		4
#endif
#ifndef KVM_X86_TDX_VM
#define KVM_X86_TDX_VM		5
#endif

/* ---- Capabilities (linux/kvm.h) ---- */

#ifndef KVM_CAP_USER_MEMORY2
#define KVM_CAP_USER_MEMORY2 231
#endif
#ifndef KVM_CAP_MEMORY_FAULT_INFO
#define KVM_CAP_MEMORY_FAULT_INFO 232
#endif
#ifndef KVM_CAP_MEMORY_ATTRIBUTES
#define KVM_CAP_MEMORY_ATTRIBUTES 233
#endif
#ifndef KVM_CAP_GUEST_MEMFD
#define KVM_CAP_GUEST_MEMFD 234
#endif
#ifndef KVM_CAP_VM_TYPES
#define KVM_CAP_VM_TYPES 235
#endif
#ifndef KVM_CAP_PRE_FAULT_MEMORY
#define KVM_CAP_PRE_FAULT_MEMORY 236
#endif
#ifndef KVM_CAP_X86_APIC_BUS_CYCLES_NS
#define KVM_CAP_X86_APIC_BUS_CYCLES_NS 237
#endif

/* ---- Memslots backed by guest_memfd ---- */

#ifndef KVM_MEM_GUEST_MEMFD
#define KVM_MEM_GUEST_MEMFD	(1UL << 2)
#endif

#ifndef KVM_SET_USER_MEMORY_REGION2
struct kvm_userspace_memory_region2 {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
	__u64 guest_memfd_offset;
	__u32 guest_memfd;
	__u32 pad1;
	__u64 pad2[14];
};

#define KVM_SET_USER_MEMORY_REGION2 \
	_IOW(KVMIO, 0x49, struct kvm_userspace_memory_region2)
#endif

/* ---- Per-GFN memory attributes (private vs. shared) ---- */

#ifndef KVM_SET_MEMORY_ATTRIBUTES
struct kvm_memory_attributes {
	__u64 address;
	__u64 size;
	__u64 attributes;
	__u64 flags;
};

#define KVM_SET_MEMORY_ATTRIBUTES \
	_IOW(KVMIO, 0xd2, struct kvm_memory_attributes)
#endif

#ifndef KVM_MEMORY_ATTRIBUTE_PRIVATE
#define KVM_MEMORY_ATTRIBUTE_PRIVATE	(1ULL << 3)
#endif

/* ---- guest_memfd creation (VM ioctl, returns a new fd) ---- */

#ifndef KVM_CREATE_GUEST_MEMFD
struct kvm_create_guest_memfd {
	__u64 size;
	__u64 flags;
	__u64 reserved[6];
};

#define KVM_CREATE_GUEST_MEMFD \
	_IOWR(KVMIO, 0xd4, struct kvm_create_guest_memfd)
#endif

/* ---- Pre-populating the stage-2 tables (vCPU ioctl) ---- */

#ifndef KVM_PRE_FAULT_MEMORY
struct kvm_pre_fault_memory {
	__u64 gpa;
	__u64 size;
	__u64 flags;
	__u64 padding[5];
};

#define KVM_PRE_FAULT_MEMORY \
	_IOWR(KVMIO, 0xd5, struct kvm_pre_fault_memory)
#endif

/* ---- Exit reasons and their kvm_run payloads ---- */

/* If the system header has these exits, its kvm_run has the members too. */
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT	39
#else
#define SOFTTDX_HAVE_RUN_MEMORY_FAULT 1
#endif
#ifndef KVM_EXIT_TDX
#define KVM_EXIT_TDX		40
#else
#define SOFTTDX_HAVE_RUN_TDX 1
#endif

#ifndef KVM_MEMORY_EXIT_FLAG_PRIVATE
#define KVM_MEMORY_EXIT_FLAG_PRIVATE	(1ULL << 3)
#endif

#ifndef KVM_SYSTEM_EVENT_TDX_FATAL
#define KVM_SYSTEM_EVENT_TDX_FATAL	7
#endif

/*
 * Bit 0 of run->hypercall.flags.  Upstream overlays a __u64 "flags" on the
 * __u32 "longmode" that Debian's kvm_run still has; on little-endian x86
 * the bit lands in longmode, so either member can be used.
 */
#ifndef KVM_EXIT_HYPERCALL_LONG_MODE
#define KVM_EXIT_HYPERCALL_LONG_MODE	_BITULL(0)
#endif

/*
 * Named copies of two anonymous kvm_run union members (run->memory_fault and
 * run->tdx upstream).  The type names are softtdx's, the layout is the ABI.
 */
struct kvm_memory_fault_exit {
	__u64 flags;		/* KVM_MEMORY_EXIT_FLAG_* */
	__u64 gpa;
	__u64 size;
};

struct kvm_tdx_exit {
	__u64 flags;
	__u64 nr;		/* TDVMCALL sub-function (guest R11) */
	union {			/* "ret" is at the same offset in every variant */
		struct {
			__u64 ret;
			__u64 data[5];
		} unknown;
		struct {
			__u64 ret;
			__u64 gpa;
			__u64 size;
		} get_quote;
		struct {
			__u64 ret;
			__u64 leaf;
			__u64 r11, r12, r13, r14;
		} get_tdvmcall_info;
		struct {
			__u64 ret;
			__u64 vector;
		} setup_event_notify;
	};
};

/* Offset of the exit-payload union inside struct kvm_run (fixed ABI). */
#define SOFTTDX_KVM_RUN_EXIT_OFFSET	32

/* Debian 6.1's kvm_run union lacks these members, so address them by offset. */
static inline struct kvm_memory_fault_exit *
kvm_run_memory_fault(struct kvm_run *run)
{
	return (struct kvm_memory_fault_exit *)
		((char *)run + SOFTTDX_KVM_RUN_EXIT_OFFSET);
}

static inline struct kvm_tdx_exit *kvm_run_tdx(struct kvm_run *run)
{
	return (struct kvm_tdx_exit *)((char *)run + SOFTTDX_KVM_RUN_EXIT_OFFSET);
}

/* ---- KVM_MEMORY_ENCRYPT_OP sub-commands for TDX (asm/kvm.h) ---- */

/*
 * KVM_TDX_MEASURE_MEMORY_REGION is defined in the same upstream block as the
 * structs below, so its presence means the system header has all of them.
 */
#ifndef KVM_TDX_MEASURE_MEMORY_REGION
enum kvm_tdx_cmd_id {
	KVM_TDX_CAPABILITIES = 0,
	KVM_TDX_INIT_VM,
	KVM_TDX_INIT_VCPU,
	KVM_TDX_INIT_MEM_REGION,
	KVM_TDX_FINALIZE_VM,
	KVM_TDX_GET_CPUID,
	KVM_TDX_TERMINATE_VM,	/* Linux 6.17 */

	KVM_TDX_CMD_NR_MAX,
};

/* Argument of KVM_MEMORY_ENCRYPT_OP on a TD's VM or vCPU fd. */
struct kvm_tdx_cmd {
	__u32 id;		/* enum kvm_tdx_cmd_id */
	__u32 flags;		/* per command; 0 when unused */
	__u64 data;		/* immediate or user pointer; 0 when unused */
	__u64 hw_error;		/* out: SEAMCALL status; must be 0 on input */
};

struct kvm_tdx_capabilities {
	__u64 supported_attrs;
	__u64 supported_xfam;

	__u64 kernel_tdvmcallinfo_1_r11;
	__u64 user_tdvmcallinfo_1_r11;
	__u64 kernel_tdvmcallinfo_1_r12;
	__u64 user_tdvmcallinfo_1_r12;

	__u64 reserved[250];

	/* In: capacity in cpuid.nent.  Out: the configurable CPUID bits. */
	struct kvm_cpuid2 cpuid;
};

struct kvm_tdx_init_vm {
	__u64 attributes;
	__u64 xfam;
	__u64 mrconfigid[6];		/* SHA-384 digests */
	__u64 mrowner[6];
	__u64 mrownerconfig[6];

	/* Pads the TD_PARAMS-derived part to 256 bytes; must be zero. */
	__u64 reserved[12];

	struct kvm_cpuid2 cpuid;
};

#define KVM_TDX_MEASURE_MEMORY_REGION	_BITULL(0)

struct kvm_tdx_init_mem_region {
	__u64 source_addr;
	__u64 gpa;
	__u64 nr_pages;
};
#endif /* KVM_TDX_MEASURE_MEMORY_REGION */

/* ---- ABI checks (x86-64 values from the fact sheet) ---- */

_Static_assert(KVM_X86_DEFAULT_VM == 0 && KVM_X86_SW_PROTECTED_VM == 1 &&
	       KVM_X86_SEV_VM == 2 && KVM_X86_SEV_ES_VM == 3 &&
	       KVM_X86_SNP_VM == 4 && KVM_X86_TDX_VM == 5, "VM types");

_Static_assert(KVM_CAP_USER_MEMORY2 == 231 &&
	       KVM_CAP_MEMORY_FAULT_INFO == 232 &&
	       KVM_CAP_MEMORY_ATTRIBUTES == 233 &&
	       KVM_CAP_GUEST_MEMFD == 234 && KVM_CAP_VM_TYPES == 235 &&
	       KVM_CAP_PRE_FAULT_MEMORY == 236 &&
	       KVM_CAP_X86_APIC_BUS_CYCLES_NS == 237, "capability numbers");

_Static_assert(KVM_MEM_GUEST_MEMFD == 4, "KVM_MEM_GUEST_MEMFD");
_Static_assert(KVM_MEMORY_ATTRIBUTE_PRIVATE == 8,
	       "KVM_MEMORY_ATTRIBUTE_PRIVATE");
_Static_assert(KVM_MEMORY_EXIT_FLAG_PRIVATE == 8,
	       "KVM_MEMORY_EXIT_FLAG_PRIVATE");
_Static_assert(KVM_EXIT_MEMORY_FAULT == 39 && KVM_EXIT_TDX == 40,
	       "exit reasons");
_Static_assert(KVM_SYSTEM_EVENT_TDX_FATAL == 7, "KVM_SYSTEM_EVENT_TDX_FATAL");
_Static_assert(KVM_EXIT_HYPERCALL_LONG_MODE == 1,
	       "KVM_EXIT_HYPERCALL_LONG_MODE");
_Static_assert(KVM_HC_MAP_GPA_RANGE == 12, "KVM_HC_MAP_GPA_RANGE");
_Static_assert(KVM_MAP_GPA_RANGE_ENCRYPTED == 0x10 &&
	       KVM_MAP_GPA_RANGE_DECRYPTED == 0 &&
	       KVM_MAP_GPA_RANGE_PAGE_SZ_4K == 0 &&
	       KVM_MAP_GPA_RANGE_PAGE_SZ_2M == 1 &&
	       KVM_MAP_GPA_RANGE_PAGE_SZ_1G == 2, "KVM_MAP_GPA_RANGE_*");

_Static_assert(KVM_SET_USER_MEMORY_REGION2 == 0x40A0AE49,
	       "KVM_SET_USER_MEMORY_REGION2");
_Static_assert(KVM_SET_MEMORY_ATTRIBUTES == 0x4020AED2,
	       "KVM_SET_MEMORY_ATTRIBUTES");
_Static_assert(KVM_CREATE_GUEST_MEMFD == 0xC040AED4, "KVM_CREATE_GUEST_MEMFD");
_Static_assert(KVM_PRE_FAULT_MEMORY == 0xC040AED5, "KVM_PRE_FAULT_MEMORY");
_Static_assert(KVM_MEMORY_ENCRYPT_OP == 0xC008AEBA, "KVM_MEMORY_ENCRYPT_OP");

_Static_assert(sizeof(struct kvm_userspace_memory_region2) == 160,
	       "kvm_userspace_memory_region2 size");
_Static_assert(offsetof(struct kvm_userspace_memory_region2,
			guest_memfd_offset) == 32 &&
	       offsetof(struct kvm_userspace_memory_region2,
			guest_memfd) == 40 &&
	       offsetof(struct kvm_userspace_memory_region2, pad2) == 48,
	       "kvm_userspace_memory_region2 layout");
_Static_assert(sizeof(struct kvm_memory_attributes) == 32 &&
	       offsetof(struct kvm_memory_attributes, attributes) == 16,
	       "kvm_memory_attributes");
_Static_assert(sizeof(struct kvm_create_guest_memfd) == 64 &&
	       offsetof(struct kvm_create_guest_memfd, reserved) == 16,
	       "kvm_create_guest_memfd");
_Static_assert(sizeof(struct kvm_pre_fault_memory) == 64 &&
	       offsetof(struct kvm_pre_fault_memory, flags) == 16,
	       "kvm_pre_fault_memory");

_Static_assert(offsetof(struct kvm_run, padding) == SOFTTDX_KVM_RUN_EXIT_OFFSET,
	       "kvm_run exit union offset");
_Static_assert(sizeof(struct kvm_memory_fault_exit) == 24 &&
	       offsetof(struct kvm_memory_fault_exit, gpa) == 8 &&
	       offsetof(struct kvm_memory_fault_exit, size) == 16,
	       "memory_fault exit layout");
_Static_assert(sizeof(struct kvm_tdx_exit) == 64 &&
	       sizeof(struct kvm_tdx_exit) <=
			sizeof(((struct kvm_run *)0)->padding),
	       "tdx exit size");
_Static_assert(offsetof(struct kvm_tdx_exit, nr) == 8 &&
	       offsetof(struct kvm_tdx_exit, unknown.ret) == 16 &&
	       offsetof(struct kvm_tdx_exit, get_quote.ret) == 16 &&
	       offsetof(struct kvm_tdx_exit, get_tdvmcall_info.ret) == 16 &&
	       offsetof(struct kvm_tdx_exit, setup_event_notify.ret) == 16 &&
	       offsetof(struct kvm_tdx_exit, unknown.data) == 24 &&
	       offsetof(struct kvm_tdx_exit, get_quote.size) == 32 &&
	       offsetof(struct kvm_tdx_exit, get_tdvmcall_info.r14) == 56 &&
	       offsetof(struct kvm_tdx_exit, setup_event_notify.vector) == 24,
	       "tdx exit layout (ret at kvm_run+48)");

#ifdef SOFTTDX_HAVE_RUN_MEMORY_FAULT
_Static_assert(offsetof(struct kvm_run, memory_fault) ==
		       SOFTTDX_KVM_RUN_EXIT_OFFSET &&
	       sizeof(((struct kvm_run *)0)->memory_fault) ==
		       sizeof(struct kvm_memory_fault_exit),
	       "system kvm_run memory_fault matches the accessor");
#endif
#ifdef SOFTTDX_HAVE_RUN_TDX
_Static_assert(offsetof(struct kvm_run, tdx) == SOFTTDX_KVM_RUN_EXIT_OFFSET &&
	       sizeof(((struct kvm_run *)0)->tdx) == sizeof(struct kvm_tdx_exit),
	       "system kvm_run tdx matches the accessor");
#endif

_Static_assert(KVM_TDX_CAPABILITIES == 0 && KVM_TDX_INIT_VM == 1 &&
	       KVM_TDX_INIT_VCPU == 2 && KVM_TDX_INIT_MEM_REGION == 3 &&
	       KVM_TDX_FINALIZE_VM == 4 && KVM_TDX_GET_CPUID == 5 &&
	       KVM_TDX_TERMINATE_VM == 6 && KVM_TDX_CMD_NR_MAX == 7, "kvm_tdx_cmd_id");
_Static_assert(KVM_TDX_MEASURE_MEMORY_REGION == 1,
	       "KVM_TDX_MEASURE_MEMORY_REGION");
_Static_assert(sizeof(struct kvm_tdx_cmd) == 24 &&
	       offsetof(struct kvm_tdx_cmd, data) == 8 &&
	       offsetof(struct kvm_tdx_cmd, hw_error) == 16, "kvm_tdx_cmd");
_Static_assert(sizeof(struct kvm_cpuid2) == 8 &&
	       sizeof(struct kvm_cpuid_entry2) == 40, "kvm_cpuid2");
_Static_assert(sizeof(struct kvm_tdx_capabilities) == 2056 &&
	       offsetof(struct kvm_tdx_capabilities,
			kernel_tdvmcallinfo_1_r11) == 16 &&
	       offsetof(struct kvm_tdx_capabilities,
			user_tdvmcallinfo_1_r12) == 40 &&
	       offsetof(struct kvm_tdx_capabilities, reserved) == 48 &&
	       offsetof(struct kvm_tdx_capabilities, cpuid) == 2048,
	       "kvm_tdx_capabilities");
_Static_assert(sizeof(struct kvm_tdx_init_vm) == 264 &&
	       offsetof(struct kvm_tdx_init_vm, xfam) == 8 &&
	       offsetof(struct kvm_tdx_init_vm, mrconfigid) == 16 &&
	       offsetof(struct kvm_tdx_init_vm, mrowner) == 64 &&
	       offsetof(struct kvm_tdx_init_vm, mrownerconfig) == 112 &&
	       offsetof(struct kvm_tdx_init_vm, reserved) == 160 &&
	       offsetof(struct kvm_tdx_init_vm, cpuid) == 256,
	       "kvm_tdx_init_vm");
_Static_assert(sizeof(struct kvm_tdx_init_mem_region) == 24 &&
	       offsetof(struct kvm_tdx_init_mem_region, gpa) == 8 &&
	       offsetof(struct kvm_tdx_init_mem_region, nr_pages) == 16,
	       "kvm_tdx_init_mem_region");

#endif /* SOFTTDX_UAPI_KVM_TDX_H */
