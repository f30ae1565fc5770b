/* SPDX-License-Identifier: MIT */
/*
 * Architectural interface of the Intel TDX module (TDX 1.5), as seen by the
 * host through SEAMCALL: leaf numbers, completion status codes, operand IDs,
 * metadata field IDs and the structures that cross the host/module boundary.
 *
 * Values follow intel/tdx-module (tdx_1.5, TDX_1.5.01) and Linux; see
 * shared/reference/tdx-module-abi.md for where each comes from.
 */
#ifndef SOFTTDX_TDX_ARCH_H
#define SOFTTDX_TDX_ARCH_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define TDX_PAGE_SIZE		4096ULL
#define TDX_PAGE_SIZE_2M	(2ULL << 20)
#define TDX_PAGE_SIZE_1G	(1ULL << 30)
#define TDX_MAX_PA		52

/* RAX of a SEAMCALL: bits 15:0 leaf, 23:16 version, rest reserved. */
#define TDX_LEAF(rax)		((rax) & 0xffffULL)
#define TDX_VERSION(rax)	(((rax) >> 16) & 0xffULL)
#define TDX_VERSION_SHIFT	16

enum tdh_leaf {
	TDH_VP_ENTER		= 0,
	TDH_MNG_ADDCX		= 1,
	TDH_MEM_PAGE_ADD	= 2,
	TDH_MEM_SEPT_ADD	= 3,
	TDH_VP_ADDCX		= 4,
	TDH_MEM_PAGE_RELOCATE	= 5,
	TDH_MEM_PAGE_AUG	= 6,
	TDH_MEM_RANGE_BLOCK	= 7,
	TDH_MNG_KEY_CONFIG	= 8,
	TDH_MNG_CREATE		= 9,
	TDH_VP_CREATE		= 10,
	TDH_MNG_RD		= 11,
	TDH_MEM_RD		= 12,
	TDH_MNG_WR		= 13,
	TDH_MEM_WR		= 14,
	TDH_MEM_PAGE_DEMOTE	= 15,
	TDH_MR_EXTEND		= 16,
	TDH_MR_FINALIZE		= 17,
	TDH_VP_FLUSH		= 18,
	TDH_MNG_VPFLUSHDONE	= 19,
	TDH_MNG_KEY_FREEID	= 20,
	TDH_MNG_INIT		= 21,
	TDH_VP_INIT		= 22,
	TDH_MEM_PAGE_PROMOTE	= 23,
	TDH_PHYMEM_PAGE_RDMD	= 24,
	TDH_MEM_SEPT_RD		= 25,
	TDH_VP_RD		= 26,
	TDH_MNG_KEY_RECLAIMID	= 27,
	TDH_PHYMEM_PAGE_RECLAIM	= 28,
	TDH_MEM_PAGE_REMOVE	= 29,
	TDH_MEM_SEPT_REMOVE	= 30,
	TDH_SYS_KEY_CONFIG	= 31,
	TDH_SYS_INFO		= 32,
	TDH_SYS_INIT		= 33,
	TDH_SYS_RD		= 34,
	TDH_SYS_LP_INIT		= 35,
	TDH_SYS_TDMR_INIT	= 36,
	TDH_SYS_RDALL		= 37,
	TDH_MEM_TRACK		= 38,
	TDH_MEM_RANGE_UNBLOCK	= 39,
	TDH_PHYMEM_CACHE_WB	= 40,
	TDH_PHYMEM_PAGE_WBINVD	= 41,
	TDH_VP_WR		= 43,
	TDH_SYS_LP_SHUTDOWN	= 44,
	TDH_SYS_CONFIG		= 45,
	TDH_SYS_SHUTDOWN	= 52,
	TDH_SYS_UPDATE		= 53,
};

/* TDCALL leaves (guest RAX bits 15:0). */
enum tdg_leaf {
	TDG_VP_VMCALL		= 0,
	TDG_VP_INFO		= 1,
	TDG_MR_RTMR_EXTEND	= 2,
	TDG_VP_VEINFO_GET	= 3,
	TDG_MR_REPORT		= 4,
	TDG_VP_CPUIDVE_SET	= 5,
	TDG_MEM_PAGE_ACCEPT	= 6,
	TDG_VM_RD		= 7,
	TDG_VM_WR		= 8,
	TDG_VP_RD		= 9,
	TDG_VP_WR		= 10,
	TDG_SYS_RD		= 11,
};

/* TDH.VP.ENTER RCX: the TDVPR and two flags; bits 11:0 and 63:54 reserved. */
#define TDX_VP_ENTER_TDVPR_MASK		0x000FFFFFFFFFF000ULL
#define TDX_VP_ENTER_RECOVERABILITY	(1ULL << 52)
#define TDX_VP_ENTER_RESUME_L1		(1ULL << 53)

/* VMX basic exit reasons: TD exits (RAX 31:0) and #VE EXIT_REASON. */
enum vmx_exit_reason {
	VMX_EXIT_EXCEPTION_NMI		= 0,
	VMX_EXIT_EXTERNAL_INTERRUPT	= 1,
	VMX_EXIT_TRIPLE_FAULT		= 2,
	VMX_EXIT_CPUID			= 10,
	VMX_EXIT_HLT			= 12,
	VMX_EXIT_INVD			= 13,
	VMX_EXIT_VMCALL			= 18,
	VMX_EXIT_IO_INSTRUCTION		= 30,
	VMX_EXIT_MSR_READ		= 31,
	VMX_EXIT_MSR_WRITE		= 32,
	VMX_EXIT_MWAIT			= 36,
	VMX_EXIT_MONITOR		= 39,
	VMX_EXIT_EPT_VIOLATION		= 48,
	VMX_EXIT_EPT_MISCONFIG		= 49,
	VMX_EXIT_WBINVD			= 54,
	VMX_EXIT_TDCALL			= 77,
};

/* EPT-violation exit qualification bits. */
#define EPT_QUAL_READ		(1ULL << 0)
#define EPT_QUAL_WRITE		(1ULL << 1)
#define EPT_QUAL_FETCH		(1ULL << 2)
#define EPT_QUAL_GLA_VALID	(1ULL << 7)
#define EPT_QUAL_GLA_FINAL	(1ULL << 8)

/* I/O-instruction exit qualification: bits 2:0 size - 1, bits 31:16 the port. */
#define IO_QUAL_IN		(1ULL << 3)
#define IO_QUAL_STRING		(1ULL << 4)
#define IO_QUAL_REP		(1ULL << 5)
#define IO_QUAL_IMM		(1ULL << 6)
#define IO_QUAL_PORT_SHIFT	16
/* INS/OUTS instruction information: address size (0 16-bit, 1 32, 2 64), segment. */
#define IO_INFO_ADDR_SIZE_SHIFT	7
#define IO_INFO_SEG_SHIFT	15

/* TD-exit RDX: extended exit qualification type (bits 3:0). */
enum tdx_ext_exit_qual {
	TDX_EXT_EXIT_QUAL_NONE			= 0,
	TDX_EXT_EXIT_QUAL_ACCEPT		= 1,
	TDX_EXT_EXIT_QUAL_PENDING_EPT_VIOLATION	= 6,
};

/* VE_INFO, offset 0 of TDVPS page 0 (what TDG.VP.VEINFO.GET reads). */
struct tdx_ve_info {
	u32 exit_reason;
	u32 valid;		/* 0xFFFFFFFF when a #VE is pending */
	u64 exit_qualification;
	u64 gla;
	u64 gpa;
	u16 eptp_index;
	u16 reserved0;
	u32 instruction_length;
	u32 instruction_info;
	u8 reserved1[84];
} __attribute__((packed));
static_assert(sizeof(struct tdx_ve_info) == 128, "VE_INFO is 128 bytes");
#define TDX_VE_INFO_VALID	0xFFFFFFFFu

/* ---- TDREPORT_STRUCT (TDG.MR.REPORT) -------------------------------------- */

struct tdx_reportmac {
	u8 report_type[4];	/* type 0x81 (TDX), subtype, version, reserved */
	u8 reserved0[12];
	u8 cpusvn[16];
	u8 tee_tcb_info_hash[48];
	u8 tee_info_hash[48];
	u8 report_data[64];
	u8 reserved1[32];
	u8 mac[32];
} __attribute__((packed));
static_assert(sizeof(struct tdx_reportmac) == 256, "REPORTMACSTRUCT is 256 bytes");
#define TDX_REPORTMAC_MACED_BYTES	224	/* the MAC covers everything before it */

/*
 * TEE_TCB_INFO.VALID as SEAMREPORT sets it for Intel's module (Intel's ISA
 * extensions, SEAMREPORT): bit i marks the field at byte 8 * i populated;
 * VALID itself, TEE_TCB_SVN and MRSEAM.  MRSIGNERSEAM and ATTRIBUTES are
 * only for a non-Intel module, and stay zero.
 */
#define TDX_TEE_TCB_INFO_VALID	0x1FFULL

struct tdx_tee_tcb_info {
	u64 valid;
	u8 tee_tcb_svn[16];
	u8 mrseam[48];
	u8 mrsignerseam[48];
	u64 attributes;
	u8 reserved[128];
} __attribute__((packed));
static_assert(sizeof(struct tdx_tee_tcb_info) == 256, "TEE_TCB_INFO is 256 bytes");

struct tdx_tdinfo {
	u64 attributes;
	u64 xfam;
	u8 mrtd[48];
	u8 mrconfigid[48];
	u8 mrowner[48];
	u8 mrownerconfig[48];
	u8 rtmr[4][48];
	u8 servtd_hash[48];
	u8 reserved[64];
} __attribute__((packed));
static_assert(sizeof(struct tdx_tdinfo) == 512, "TDINFO_STRUCT is 512 bytes");

struct tdx_report {
	struct tdx_reportmac mac;
	struct tdx_tee_tcb_info tee_tcb_info;
	struct tdx_tdinfo tdinfo;
} __attribute__((packed));
static_assert(sizeof(struct tdx_report) == 1024, "TDREPORT_STRUCT is 1024 bytes");
#define TDX_REPORT_TYPE_TDX	0x81
#define X86_VECTOR_VE		20

/* ---- Completion status (RAX out) ---------------------------------------- */

#define TDX_STATUS_MASK		0xFFFFFFFF00000000ULL
#define TDX_STATUS(s)		((s) & TDX_STATUS_MASK)
#define TDX_OPERAND_OF(s)	((u32)(s))
#define TDX_IS_ERROR(s)		(((s) >> 63) & 1)

#define TDX_SUCCESS				0x0000000000000000ULL
#define TDX_NON_RECOVERABLE_VCPU		0x4000000100000000ULL
#define TDX_NON_RECOVERABLE_TD			0x6000000200000000ULL
#define TDX_INTERRUPTED_RESUMABLE		0x8000000300000000ULL
#define TDX_INTERRUPTED_RESTARTABLE		0x8000000400000000ULL
#define TDX_OPERAND_INVALID			0xC000010000000000ULL
#define TDX_OPERAND_ADDR_RANGE_ERROR		0xC000010100000000ULL
#define TDX_OPERAND_BUSY			0x8000020000000000ULL
#define TDX_PREVIOUS_TLB_EPOCH_BUSY		0x8000020100000000ULL
#define TDX_SYS_BUSY				0x8000020200000000ULL
#define TDX_RND_NO_ENTROPY			0x8000020300000000ULL
#define TDX_PAGE_METADATA_INCORRECT		0xC000030000000000ULL
#define TDX_PAGE_ALREADY_FREE			0x0000030100000000ULL
#define TDX_PAGE_NOT_OWNED_BY_TD		0xC000030200000000ULL
#define TDX_PAGE_NOT_FREE			0xC000030300000000ULL
#define TDX_TD_ASSOCIATED_PAGES_EXIST		0xC000040000000000ULL
#define TDX_SYS_INIT_NOT_PENDING		0xC000050000000000ULL
#define TDX_SYS_LP_INIT_NOT_DONE		0xC000050200000000ULL
#define TDX_SYS_LP_INIT_DONE			0xC000050300000000ULL
#define TDX_SYS_NOT_READY			0xC000050500000000ULL
#define TDX_SYS_SHUTDOWN			0xC000050600000000ULL
#define TDX_SYS_KEY_CONFIG_NOT_PENDING		0xC000050700000000ULL
#define TDX_SYS_STATE_INCORRECT			0xC000050800000000ULL
#define TDX_SYS_LP_INIT_NOT_PENDING		0xC000050B00000000ULL
#define TDX_SYS_CONFIG_NOT_PENDING		0xC000050C00000000ULL
#define TDX_TD_FATAL				0xE000060400000000ULL
#define TDX_TD_NON_DEBUG			0xC000060500000000ULL
#define TDX_TDCS_NOT_ALLOCATED			0xC000060600000000ULL
#define TDX_LIFECYCLE_STATE_INCORRECT		0xC000060700000000ULL
#define TDX_OP_STATE_INCORRECT			0xC000060800000000ULL
#define TDX_NO_VCPUS				0xC000060900000000ULL
#define TDX_TDCX_NUM_INCORRECT			0xC000061000000000ULL
#define TDX_VCPU_STATE_INCORRECT		0xC000070000000000ULL
#define TDX_VCPU_ASSOCIATED			0x8000070100000000ULL
#define TDX_VCPU_NOT_ASSOCIATED			0x8000070200000000ULL
#define TDX_NO_VALID_VE_INFO			0xC000070400000000ULL
#define TDX_MAX_VCPUS_EXCEEDED			0xC000070500000000ULL
#define TDX_KEY_GENERATION_FAILED		0x8000080000000000ULL
#define TDX_TD_KEYS_NOT_CONFIGURED		0x8000081000000000ULL
#define TDX_KEY_STATE_INCORRECT			0xC000081100000000ULL
#define TDX_KEY_CONFIGURED			0x0000081500000000ULL
#define TDX_WBCACHE_NOT_COMPLETE		0x8000081700000000ULL
#define TDX_HKID_NOT_FREE			0xC000082000000000ULL
#define TDX_NO_HKID_READY_TO_WBCACHE		0x0000082100000000ULL
#define TDX_WBCACHE_RESUME_ERROR		0xC000082300000000ULL
#define TDX_FLUSHVP_NOT_DONE			0x8000082400000000ULL
#define TDX_INCORRECT_CPUID_VALUE		0xC000090000000000ULL
#define TDX_INVALID_TDMR			0xC0000A0000000000ULL
#define TDX_NON_ORDERED_TDMR			0xC0000A0100000000ULL
#define TDX_TDMR_OUTSIDE_CMRS			0xC0000A0200000000ULL
#define TDX_TDMR_ALREADY_INITIALIZED		0x00000A0300000000ULL
#define TDX_INVALID_PAMT			0xC0000A1000000000ULL
#define TDX_PAMT_OUTSIDE_CMRS			0xC0000A1100000000ULL
#define TDX_PAMT_OVERLAP			0xC0000A1200000000ULL
#define TDX_INVALID_RESERVED_IN_TDMR		0xC0000A2000000000ULL
#define TDX_NON_ORDERED_RESERVED_IN_TDMR	0xC0000A2100000000ULL
#define TDX_EPT_WALK_FAILED			0xC0000B0000000000ULL
#define TDX_EPT_ENTRY_FREE			0xC0000B0100000000ULL
#define TDX_EPT_ENTRY_NOT_FREE			0xC0000B0200000000ULL
#define TDX_EPT_ENTRY_NOT_PRESENT		0xC0000B0300000000ULL
#define TDX_EPT_ENTRY_NOT_LEAF			0xC0000B0400000000ULL
#define TDX_EPT_ENTRY_LEAF			0xC0000B0500000000ULL
#define TDX_GPA_RANGE_NOT_BLOCKED		0xC0000B0600000000ULL
#define TDX_GPA_RANGE_ALREADY_BLOCKED		0x00000B0700000000ULL
#define TDX_TLB_TRACKING_NOT_DONE		0xC0000B0800000000ULL
#define TDX_EPT_INVALID_PROMOTE_CONDITIONS	0xC0000B0900000000ULL
#define TDX_PAGE_ALREADY_ACCEPTED		0x00000B0A00000000ULL
#define TDX_PAGE_SIZE_MISMATCH			0xC0000B0B00000000ULL
#define TDX_GPA_RANGE_BLOCKED			0xC0000B0C00000000ULL
#define TDX_EPT_ENTRY_STATE_INCORRECT		0xC0000B0D00000000ULL
#define TDX_EPT_PAGE_NOT_FREE			0xC0000B0E00000000ULL
#define TDX_METADATA_FIELD_ID_INCORRECT		0xC0000C0000000000ULL
#define TDX_METADATA_FIELD_NOT_WRITABLE		0xC0000C0100000000ULL
#define TDX_METADATA_FIELD_NOT_READABLE		0xC0000C0200000000ULL
#define TDX_METADATA_FIELD_VALUE_NOT_VALID	0xC0000C0300000000ULL
#define TDX_METADATA_LIST_OVERFLOW		0xC0000C0400000000ULL
#define TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT	0x00000C0B00000000ULL

/* ---- Operand IDs (low 32 bits of an error status) ----------------------- */

enum tdx_operand_id {
	TDX_OPERAND_ID_RAX		= 0,
	TDX_OPERAND_ID_RCX		= 1,
	TDX_OPERAND_ID_RDX		= 2,
	TDX_OPERAND_ID_RBX		= 3,
	TDX_OPERAND_ID_RSI		= 6,
	TDX_OPERAND_ID_RDI		= 7,
	TDX_OPERAND_ID_R8		= 8,
	TDX_OPERAND_ID_R9		= 9,
	TDX_OPERAND_ID_R10		= 10,
	TDX_OPERAND_ID_ATTRIBUTES	= 64,
	TDX_OPERAND_ID_XFAM		= 65,
	TDX_OPERAND_ID_EXEC_CONTROLS	= 66,
	TDX_OPERAND_ID_EPTP_CONTROLS	= 67,
	TDX_OPERAND_ID_MAX_VCPUS	= 68,
	TDX_OPERAND_ID_CPUID_CONFIG	= 69,
	TDX_OPERAND_ID_TSC_FREQUENCY	= 70,
	TDX_OPERAND_ID_NUM_L2_VMS	= 71,
	TDX_OPERAND_ID_IA32_ARCH_CAP	= 72,
	TDX_OPERAND_ID_TDMR_INFO_PA	= 96,
	TDX_OPERAND_ID_TDR		= 128,
	TDX_OPERAND_ID_TDCX		= 129,
	TDX_OPERAND_ID_TDVPR		= 130,
	TDX_OPERAND_ID_TDCS		= 144,
	TDX_OPERAND_ID_TDVPS		= 145,
	TDX_OPERAND_ID_SEPT		= 146,
	TDX_OPERAND_ID_RTMR		= 168,
	TDX_OPERAND_ID_TD_EPOCH		= 169,
	TDX_OPERAND_ID_OP_STATE		= 172,
	TDX_OPERAND_ID_SYS		= 184,
	TDX_OPERAND_ID_KOT		= 186,
	TDX_OPERAND_ID_KET		= 187,
	TDX_OPERAND_ID_WBCACHE		= 188,
};

/* ---- State machines ------------------------------------------------------ */

enum tdx_sys_state {
	TDX_SYSINIT_PENDING	= 0,
	TDX_SYSINIT_DONE	= 1,
	TDX_SYSCONFIG_DONE	= 2,
	TDX_SYS_READY		= 3,
	TDX_SYS_SHUTDOWN_STATE	= 4,
};

enum tdx_td_lifecycle {
	TD_HKID_ASSIGNED	= 0,
	TD_KEYS_CONFIGURED	= 1,
	TD_BLOCKED		= 2,
	TD_TEARDOWN		= 3,
};

enum tdx_kot_state {
	KOT_STATE_HKID_FREE	= 0,
	KOT_STATE_HKID_ASSIGNED	= 1,
	KOT_STATE_HKID_FLUSHED	= 2,
	KOT_STATE_HKID_RESERVED	= 3,
};

enum tdx_op_state {
	OP_STATE_UNINITIALIZED	= 0,
	OP_STATE_INITIALIZED	= 1,
	OP_STATE_RUNNABLE	= 2,
	OP_STATE_LIVE_EXPORT	= 3,
	OP_STATE_PAUSED_EXPORT	= 4,
	OP_STATE_POST_EXPORT	= 5,
	OP_STATE_MEMORY_IMPORT	= 6,
	OP_STATE_STATE_IMPORT	= 7,
	OP_STATE_POST_IMPORT	= 8,
	OP_STATE_LIVE_IMPORT	= 9,
	OP_STATE_FAILED_IMPORT	= 10,
};

enum tdx_vcpu_state {
	VCPU_UNINITIALIZED	= 0,
	VCPU_READY		= 2,
	VCPU_ACTIVE		= 4,
	VCPU_DISABLED		= 8,
};

/* PAMT page types (PHYMEM.PAGE.RDMD / RECLAIM, RCX out). */
enum tdx_page_type {
	PT_NDA		= 0,
	PT_RSVD		= 1,
	PT_REG		= 3,
	PT_TDR		= 4,
	PT_TDCX		= 5,
	PT_TDVPR	= 6,
	PT_EPT		= 8,
};

enum tdx_page_level {
	TDX_PS_4K	= 0,
	TDX_PS_2M	= 1,
	TDX_PS_1G	= 2,
};

/* Public S-EPT entry states, as TDH.MEM.SEPT.RD reports them in RDX[15:8]. */
enum tdx_sept_state {
	SEPT_FREE			= 0,
	SEPT_BLOCKED			= 1,
	SEPT_PENDING			= 2,
	SEPT_PENDING_BLOCKED		= 3,
	SEPT_MAPPED			= 4,
	SEPT_REMOVED			= 5,
	SEPT_NL_BLOCKED			= 0x81,
	SEPT_NL_MAPPED			= 0x84,
};

/* ---- TD attributes, XFAM, TD_PARAMS --------------------------------------- */

#define TDX_ATTR_DEBUG			(1ULL << 0)
#define TDX_ATTR_SEPT_VE_DISABLE	(1ULL << 28)
#define TDX_ATTR_MIGRATABLE		(1ULL << 29)
#define TDX_ATTR_PKS			(1ULL << 30)
#define TDX_ATTR_KL			(1ULL << 31)
#define TDX_ATTR_PERFMON		(1ULL << 63)

#define TDX_ATTRIBUTES_FIXED0	(TDX_ATTR_DEBUG | TDX_ATTR_SEPT_VE_DISABLE | \
				 TDX_ATTR_MIGRATABLE | TDX_ATTR_PKS | \
				 TDX_ATTR_PERFMON)
#define TDX_ATTRIBUTES_FIXED1	0ULL
#define TDX_XFAM_FIXED0		0x0006DBE7ULL
#define TDX_XFAM_FIXED1		0x00000003ULL

#define TDX_XFAM_AVX		(1ULL << 2)
#define TDX_XFAM_AVX512		(7ULL << 5)
#define TDX_XFAM_CET		(3ULL << 11)
#define TDX_XFAM_AMX		(3ULL << 17)

#define TDX_CONFIG_FLAGS_GPAW		(1ULL << 0)
#define TDX_CONFIG_FLAGS_FLEX_PEND_VE	(1ULL << 1)
#define TDX_CONFIG_FLAGS_NO_RBP_MOD	(1ULL << 2)
#define TDX_CONFIG_FLAGS_VALID		0x7ULL

#define TDX_EPTP_MT_WB		6ULL
#define TDX_EPTP_PWL_SHIFT	3
#define TDX_TSC_FREQ_UNIT_HZ	25000000ULL
#define TDX_TSC_FREQ_MIN	4
#define TDX_TSC_FREQ_MAX	400

#define TDX_MAX_NUM_CPUID_CONFIG	12
#define TDX_MAX_VCPUS_PER_TD		0xFFFF

struct tdx_cpuid_value {
	u32 eax, ebx, ecx, edx;
} __attribute__((packed));

struct td_params {
	u64 attributes;
	u64 xfam;
	u16 max_vcpus;
	u8 num_l2_vms;
	u8 msr_config_ctls;
	u32 reserved0;
	u64 eptp_controls;
	u64 config_flags;
	u16 tsc_frequency;
	u8 reserved1[38];
	u64 mrconfigid[6];
	u64 mrowner[6];
	u64 mrownerconfig[6];
	u64 ia32_arch_capabilities_config;
	u8 reserved2[24];
	struct tdx_cpuid_value cpuid_values[48];
} __attribute__((packed));
static_assert(sizeof(struct td_params) == 1024, "TD_PARAMS is 1024 bytes");
static_assert(offsetof(struct td_params, mrconfigid) == 80, "TD_PARAMS.MRCONFIGID");
static_assert(offsetof(struct td_params, cpuid_values) == 256, "TD_PARAMS.CPUID");

/* The CPUID leaves a TD's TD_PARAMS may configure, in TD_PARAMS order. */
#define TDX_CPUID_NO_SUBLEAF	0xFFFFFFFFu
struct tdx_cpuid_config_leaf {
	u32 leaf, subleaf;
};

/* ---- TDH.SYS.CONFIG / TDH.SYS.INFO structures ----------------------------- */

#define TDX_MAX_TDMRS			64
#define TDX_MAX_RESERVED_AREAS		16
#define TDX_MAX_CMRS			32
#define TDX_TDMR_INFO_ALIGN		512
#define TDX_PAMT_ENTRY_SIZE		16

struct tdmr_reserved_area {
	u64 offset;
	u64 size;
} __attribute__((packed));

struct tdmr_info {
	u64 base;
	u64 size;
	u64 pamt_1g_base;
	u64 pamt_1g_size;
	u64 pamt_2m_base;
	u64 pamt_2m_size;
	u64 pamt_4k_base;
	u64 pamt_4k_size;
	struct tdmr_reserved_area reserved_areas[TDX_MAX_RESERVED_AREAS];
} __attribute__((packed));
static_assert(sizeof(struct tdmr_info) == 320, "TDMR_INFO is 320 bytes");

struct cmr_info {
	u64 base;
	u64 size;
} __attribute__((packed));
static_assert(sizeof(struct cmr_info) == 16, "CMR_INFO is 16 bytes");

struct tdsysinfo {
	/* Module info */
	u32 attributes;
	u32 vendor_id;
	u32 build_date;
	u16 build_num;
	u16 minor_version;
	u16 major_version;
	u8 sys_rd;		/* 1: use TDH.SYS.RD* for the rest */
	u8 reserved0[13];
	/* Memory info, @32 */
	u16 max_tdmrs;
	u16 max_reserved_per_tdmr;
	u16 pamt_entry_size;
	u8 reserved1[10];
	/* Control structure info, @48 */
	u16 tdcs_base_size;
	u8 reserved2[2];
	u16 tdvps_base_size;
	u8 tdvps_xfam_dependent_size;
	u8 reserved3[9];
	/* TD capabilities, @64 */
	u64 attributes_fixed0;
	u64 attributes_fixed1;
	u64 xfam_fixed0;
	u64 xfam_fixed1;
	u8 reserved4[32];
	u32 num_cpuid_config;
	struct {
		u32 leaf, subleaf;
		u32 eax, ebx, ecx, edx;
	} __attribute__((packed)) cpuid_config[TDX_MAX_NUM_CPUID_CONFIG];
	u8 reserved5[892 - 24 * TDX_MAX_NUM_CPUID_CONFIG];
} __attribute__((packed));
static_assert(offsetof(struct tdsysinfo, max_tdmrs) == 32, "TDSYSINFO memory info");
static_assert(offsetof(struct tdsysinfo, tdcs_base_size) == 48, "TDSYSINFO control info");
static_assert(offsetof(struct tdsysinfo, attributes_fixed0) == 64, "TDSYSINFO TD caps");
static_assert(offsetof(struct tdsysinfo, cpuid_config) == 132, "TDSYSINFO CPUID");
static_assert(sizeof(struct tdsysinfo) == 1024, "TDSYSINFO is 1024 bytes");

/* ---- Metadata field IDs ------------------------------------------------------ */

#define MD_FIELD_CODE(id)		((u32)((id) & 0xFFFFFF))
#define MD_FIELD_ELEM_SIZE_CODE(id)	((u32)(((id) >> 32) & 0x3))
#define MD_FIELD_LAST_ELEM(id)		((u32)(((id) >> 34) & 0xF))
#define MD_FIELD_LAST_FIELD(id)		((u32)(((id) >> 38) & 0x1FF))
#define MD_FIELD_INC_SIZE(id)		((u32)(((id) >> 50) & 0x1))
#define MD_FIELD_WRITE_MASK_VALID(id)	((u32)(((id) >> 51) & 0x1))
#define MD_FIELD_CONTEXT(id)		((u32)(((id) >> 52) & 0x7))
#define MD_FIELD_CLASS(id)		((u32)(((id) >> 56) & 0x3F))
#define MD_FIELD_NON_ARCH(id)		((u32)(((id) >> 63) & 0x1))
#define MD_FIELD_ID_NONE		(~0ULL)

#define MD_CONTEXT_PLATFORM	0
#define MD_CONTEXT_TD		1
#define MD_CONTEXT_VCPU		2

/* Global (TDH.SYS.RD) fields. */
#define MD_SYS_NUM_PKGS			0x0000000200000000ULL
#define MD_SYS_VENDOR_ID		0x0800000200000000ULL
#define MD_SYS_BUILD_DATE		0x8800000200000001ULL
#define MD_SYS_BUILD_NUM		0x8800000100000002ULL
#define MD_SYS_MINOR_VERSION		0x0800000100000003ULL
#define MD_SYS_MAJOR_VERSION		0x0800000100000004ULL
#define MD_SYS_UPDATE_VERSION		0x0800000100000005ULL
#define MD_SYS_SYS_ATTRIBUTES		0x0A00000200000000ULL
#define MD_SYS_NUM_TDX_FEATURES		0x0A00000000000001ULL
#define MD_SYS_TDX_FEATURES0		0x0A00000300000008ULL
#define TDX_FEATURES0_TDG_VP_RDWR	(1ULL << 3)
#define MD_SYS_NUM_CMRS			0x9000000100000000ULL
#define MD_SYS_CMR_BASE			0x9000000300000080ULL
#define MD_SYS_CMR_SIZE			0x9000000300000100ULL
#define MD_SYS_MAX_TDMRS		0x9100000100000008ULL
#define MD_SYS_MAX_RESERVED_PER_TDMR	0x9100000100000009ULL
#define MD_SYS_PAMT_4K_ENTRY_SIZE	0x9100000100000010ULL
#define MD_SYS_PAMT_2M_ENTRY_SIZE	0x9100000100000011ULL
#define MD_SYS_PAMT_1G_ENTRY_SIZE	0x9100000100000012ULL
#define MD_SYS_TDR_BASE_SIZE		0x9800000100000000ULL
#define MD_SYS_TDCS_BASE_SIZE		0x9800000100000100ULL
#define MD_SYS_TDVPS_BASE_SIZE		0x9800000100000200ULL
#define MD_SYS_ATTRIBUTES_FIXED0	0x1900000300000000ULL
#define MD_SYS_ATTRIBUTES_FIXED1	0x1900000300000001ULL
#define MD_SYS_XFAM_FIXED0		0x1900000300000002ULL
#define MD_SYS_XFAM_FIXED1		0x1900000300000003ULL
#define MD_SYS_NUM_CPUID_CONFIG		0x9900000100000004ULL
#define MD_SYS_CONFIG_FLAGS_FIXED0	0x9900000300000006ULL
#define MD_SYS_CONFIG_FLAGS_FIXED1	0x9900000300000007ULL
/* Read by Linux >= 6.16; published by TDX modules newer than 1.5.01. */
#define MD_SYS_MAX_VCPUS_PER_TD		0x9900000100000008ULL
#define MD_SYS_CPUID_CONFIG_LEAVES	0x9900000300000400ULL
#define MD_SYS_CPUID_CONFIG_VALUES	0x9900000300000500ULL

/* TD-scope (TDH.MNG.RD/WR) fields. */
#define MD_TD_ATTRIBUTES		0x1110000300000000ULL
#define MD_TD_XFAM			0x1110000300000001ULL
#define MD_TD_MAX_VCPUS			0x1110000200000002ULL
#define MD_TD_GPAW			0x1110000000000003ULL
#define MD_TD_EPTP			0x1110000300000004ULL
#define MD_TD_TSC_OFFSET		0x111000030000000AULL	/* execution controls */
#define MD_TD_TSC_MULTIPLIER		0x111000030000000BULL
#define MD_TD_TSC_FREQUENCY		0x111000010000000CULL
#define MD_TD_NOTIFY_ENABLES		0x9110000300000010ULL
#define MD_TD_CONFIG_FLAGS		0x1110000300000016ULL
#define MD_TD_TD_CTLS			0x1110000300000017ULL
#define MD_TD_MRTD			0x1310000300000000ULL
#define MD_TD_MRCONFIGID		0x1310000300000010ULL
#define MD_TD_MROWNER			0x1310000300000018ULL
#define MD_TD_MROWNERCONFIG		0x1310000300000020ULL
#define MD_TD_RTMR			0x1310000300000040ULL
#define MD_TD_CPUID_VALUES		0x9410000300000000ULL
#define MD_TD_NUM_VCPUS			0x9010000200000001ULL
#define MD_TD_OP_STATE			0x9010000200000004ULL
#define MD_TD_LIFECYCLE_STATE		0x8010000200000005ULL
#define MD_TD_HKID			0x8110000100000001ULL
#define MD_TD_EPOCH			0x9210000300000000ULL
#define MD_TD_CPUID_VALUES		0x9410000300000000ULL

/* vCPU-scope (TDH.VP.RD/WR) fields. */
#define MD_VP_RAX			0x1020000300000000ULL
#define MD_VP_SHARED_EPTP		0x002000030000203CULL	/* TD VMCS SHARED_EPT_POINTER */
#define MD_VP_POSTED_INTR_DESC		0x0020000300002016ULL	/* TD VMCS POSTED_INTR_DESC_ADDR */
#define MD_VP_VCPU_INDEX		0xA020000200000002ULL
#define MD_VP_VCPU_STATE_DETAILS	0x9120000300000100ULL
#define MD_VP_PEND_NMI			0x202000000000000BULL
#define MD_VP_CPUID_SUPERVISOR_VE	0xA020000000000007ULL
#define MD_VP_CPUID_USER_VE		0xA020000000000008ULL
#define MD_VP_CPUID_CONTROL		0xA120000000000000ULL

#define MD_ELEM_BYTES(id)	(1u << MD_FIELD_ELEM_SIZE_CODE(id))
/* Element i of a multi-element field (an RTMR, MRTD, ...): field code + i. */
#define MD_FIELD_ELEM(id, i)	((id) + (u64)(i))

#endif /* SOFTTDX_TDX_ARCH_H */
