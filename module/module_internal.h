/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the module's leaf families.  Nothing outside module/
 * includes this file.
 */
#ifndef SOFTTDX_MODULE_INTERNAL_H
#define SOFTTDX_MODULE_INTERNAL_H

#define SOFTTDX_SEAM
#include "../platform/platform.h"
#include "tdx_module.h"

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define MODULE_MAJOR_VERSION	1
#define MODULE_MINOR_VERSION	5
#define MODULE_UPDATE_VERSION	1
#define MODULE_BUILD_NUM	0x2a1
#define MODULE_BUILD_DATE	20261121
#define MODULE_VENDOR_ID	0x8086

#define MIN_NUM_TDCS_PAGES	6
#define MAX_NUM_TDCS_PAGES	9
#define MIN_TDVPS_PAGES		6
#define MAX_TDVPS_PAGES		15
#define TDCS_PAGE_MR_LOG	1
#define TDCS_PAGE_MSR_BITMAPS	2
#define TDCS_PAGE_SEPT_ROOT	3
#define TDCS_PAGE_ZERO		4
#define SEPT_ENTRIES		512
#define MAX_PKGS		8
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define MAX_CHECKED_TDS		256

static inline u64 api_error(u64 status, u64 operand)
{
	return status + operand;
}

/* ---- shared/exclusive try-locks (the module's sharex_lock) ---------------- */

typedef _Atomic u16 sharex_lock_t;
enum lock_mode { LOCK_SHARED, LOCK_EXCLUSIVE };
#define SHAREX_EXCLUSIVE	0x8000

bool sharex_trylock(sharex_lock_t *l, enum lock_mode mode);
void sharex_unlock(sharex_lock_t *l, enum lock_mode mode);

/* ---- PAMT ------------------------------------------------------------------- */

struct pamt_entry {
	sharex_lock_t lock;
	u8 pt;
	u8 owner_lo;
	u32 owner_hi;
	u64 bepoch;
};
static_assert(sizeof(struct pamt_entry) == TDX_PAMT_ENTRY_SIZE, "PAMT entry is 16 bytes");

static inline u64 pamt_owner(const struct pamt_entry *e)
{
	return ((u64)e->owner_lo | (u64)e->owner_hi << 8) << 12;
}

static inline void pamt_set_owner(struct pamt_entry *e, u64 owner_pa)
{
	e->owner_lo = (u8)(owner_pa >> 12);
	e->owner_hi = (u32)(owner_pa >> 20);
}

struct tdmr {
	u64 base, size;
	struct pamt_entry *pamt[3];	/* indexed by enum tdx_page_level */
	u64 pamt_base[3], pamt_size[3];
	struct tdmr_reserved_area rsvd[TDX_MAX_RESERVED_AREAS];
	sharex_lock_t init_lock;
	u64 next_init;			/* TDH.SYS.TDMR.INIT progress */
	_Atomic u64 usable_end;		/* PAMT initialized below this */
};

/* The PAMT entry of @hpa at @level, or NULL if no TDMR covers it. */
struct pamt_entry *pamt_entry_of(struct tdx_module *m, u64 hpa, enum tdx_page_level level);

/*
 * A locked PAMT entry: the one holding the page's metadata, at @level or
 * at a larger TD page above it (pl->level says which), locked in @mode.
 * pamt_lock_page() fails with an api error for operand @opnd.
 */
struct pamt_lock {
	struct pamt_entry *e[3];
	enum tdx_page_level level;
	enum lock_mode mode;
};
u64 pamt_lock_page(struct tdx_module *m, u64 hpa, enum tdx_page_level level,
		   enum lock_mode mode, u64 opnd, struct pamt_lock *pl);
void pamt_unlock_page(struct pamt_lock *pl);
static inline struct pamt_entry *pamt_leaf(struct pamt_lock *pl)
{
	return pl->e[pl->level];
}

/* Effective page size of @hpa: the highest level whose entry is not NDA. */
enum tdx_page_level pamt_page_level(struct tdx_module *m, u64 hpa);

/* ---- TD control structures (live in TD-owned pages, under the TD's HKID) -- */

struct tdr {
	u8 lifecycle;
	u8 fatal;
	u16 hkid;
	u32 num_tdcx;
	_Atomic u64 chldcnt;
	u64 tdcx_pa[MAX_NUM_TDCS_PAGES];
	u64 pkg_config_bitmap;
	u8 td_uuid[32];
};
static_assert(sizeof(struct tdr) <= TDX_PAGE_SIZE, "TDR fits a page");

struct tdcs {
	sharex_lock_t op_state_lock;
	sharex_lock_t sept_lock;
	sharex_lock_t epoch_lock;
	sharex_lock_t rtmr_lock;
	u8 op_state;
	u8 gpaw;
	u8 pwl;			/* S-EPT levels: 4 or 5 */
	u8 finalized;
	u16 max_vcpus;
	u16 tsc_frequency;
	_Atomic u32 num_vcpus;
	_Atomic u32 num_assoc_vcpus;
	u64 attributes;
	u64 xfam;
	u64 tsc_offset, tsc_multiplier;	/* the TD's TSC (td_tsc.c) */
	u64 eptp;
	u64 config_flags;
	u64 td_ctls;
	u64 notify_enables;
	u64 ia32_arch_capabilities_config;
	u64 td_epoch;
	_Atomic u16 refcount[2];
	u8 mrtd[48];
	u8 mrconfigid[48];
	u8 mrowner[48];
	u8 mrownerconfig[48];
	u8 rtmr[4][48];
	u8 servtd_hash[48];
	SHA512_CTX mrtd_ctx;
	struct tdx_cpuid_value cpuid_values[TDX_MAX_NUM_CPUID_CONFIG];
	u8 mig_enc_key[32];	/* drawn when the TDCS is complete */
	/* S-EPT changes so far; MR.EXTEND's last translation is valid while equal. */
	_Atomic u64 sept_gen;
	u64 mr_xlat_gen, mr_xlat_gpa, mr_xlat_hpa;
};
static_assert(sizeof(struct tdcs) <= TDX_PAGE_SIZE, "TDCS management fits a page");

#define NUM_CPUID_CONTROL	128	/* TDVPS CPUID_CONTROL entries */

struct tdvps {
	u8 ve_info[128];		/* VE_INFO is architecturally at offset 0 */
	u8 state;
	u8 last_td_exit;
	u16 reserved;
	u32 vcpu_index;
	_Atomic u32 assoc_lpid;
	u8 pend_nmi;
	u32 num_tdvps_pages;
	u64 tdvpx_pa[MAX_TDVPS_PAGES];
	u64 vcpu_epoch;
	u64 x2apic_id;
	/* Guest state set by TDH.VP.INIT; the first TDH.VP.ENTER loads it. */
	u64 gpr[16];
	u64 rip, rflags, cr0, cr3, cr4, xcr0, dr6, ia32_fmask;
	u64 cs_limit, cs_ar;
	/* #VE on every CPUID at CPL 0 / CPL > 0 (TDG.VP.CPUIDVE.SET, TDG.VP.WR). */
	u8 cpuid_supervisor_ve, cpuid_user_ve;
	/* The same per entry of the CPUID lookup table: bit 0 CPL 0, bit 1 CPL > 0. */
	u8 cpuid_control[NUM_CPUID_CONTROL];
	u64 shared_eptp;		/* TD VMCS SHARED_EPT_POINTER, from the host */
	u64 pid_hpa;			/* TD VMCS POSTED_INTR_DESC_ADDR, from the host */
	/* The virtual APIC's interrupt state (its page, in the real module). */
	u32 virr[8], visr[8];
	u8 vtpr;
	u64 debugctl;			/* IA32_DEBUGCTL, as the module keeps it for the guest */
};
static_assert(sizeof(struct tdvps) <= TDX_PAGE_SIZE, "TDVPS page 0 fits a page");

#define NO_LP		0xFFFFFFFFu

/* TDVPS.LAST_TD_EXIT: what the next TDH.VP.ENTER completes. */
enum last_td_exit {
	LAST_EXIT_ASYNC_FAULT = 0,
	LAST_EXIT_ASYNC_TRAP = 1,
	LAST_EXIT_TDVMCALL = 2,
};

/* ---- global module state ---------------------------------------------------- */

struct kot_entry {
	u8 state;
	u8 wbinvd_bitmap;	/* packages still to flush this HKID */
};

/* Per logical processor: only SEAMCALLs on that LP touch it. */
struct lp_state {
	bool lp_init_done;
	bool wbcache_in_progress;
	u64 seamcalls;
};

/* What the invariant checker remembers between SEAMCALLs. */
struct frozen_mrtd {
	u64 tdr_pa;
	u8 mrtd[48];
};

struct tdx_module {
	struct platform *plat;
	sharex_lock_t sys_lock;
	sharex_lock_t kot_lock;
	u8 sys_state;
	u32 nr_lps_done;
	u32 hkid_min, hkid_max;
	u32 global_hkid;
	u32 pkg_config_bitmap;	/* SYS.KEY.CONFIG done on these packages */
	u32 nr_tdmrs;
	struct tdmr tdmr[TDX_MAX_TDMRS];
	struct lp_state lp[PLATFORM_MAX_LPS];
	struct kot_entry kot[1 << 15];
	bool check_invariants;
	u32 nr_frozen;
	struct frozen_mrtd frozen[MAX_CHECKED_TDS];
	/* The CPU cores behind TD vCPUs (td_vcpu.c). */
	pthread_mutex_t vcpus_lock;
	struct td_vcpu *vcpus;
	struct td_cores *td_cores;
};

/* ---- the context a leaf runs in ---------------------------------------- */

struct seam_ctx {
	struct tdx_module *m;
	struct platform *p;
	u32 lp;
	u32 version;
	struct seamcall_regs *regs;
};

/* Leaf handlers: one per SEAMCALL, grouped one file per family. */
typedef u64 (*seamcall_handler)(struct seam_ctx *c);

u64 tdh_sys_init(struct seam_ctx *c);
u64 tdh_sys_lp_init(struct seam_ctx *c);
u64 tdh_sys_config(struct seam_ctx *c);
u64 tdh_sys_key_config(struct seam_ctx *c);
u64 tdh_sys_tdmr_init(struct seam_ctx *c);
u64 tdh_sys_info(struct seam_ctx *c);
u64 tdh_sys_rd(struct seam_ctx *c);
u64 tdh_sys_rdall(struct seam_ctx *c);
u64 tdh_mng_create(struct seam_ctx *c);
u64 tdh_mng_key_config(struct seam_ctx *c);
u64 tdh_mng_addcx(struct seam_ctx *c);
u64 tdh_mng_init(struct seam_ctx *c);
u64 tdh_mng_rd(struct seam_ctx *c);
u64 tdh_mng_wr(struct seam_ctx *c);
u64 tdh_mng_vpflushdone(struct seam_ctx *c);
u64 tdh_mng_key_freeid(struct seam_ctx *c);
u64 tdh_mng_key_reclaimid(struct seam_ctx *c);
u64 tdh_vp_enter(struct seam_ctx *c);
u64 tdh_vp_create(struct seam_ctx *c);
u64 tdh_vp_addcx(struct seam_ctx *c);
u64 tdh_vp_init(struct seam_ctx *c);
u64 tdh_vp_rd(struct seam_ctx *c);
u64 tdh_vp_wr(struct seam_ctx *c);
u64 tdh_vp_flush(struct seam_ctx *c);
u64 tdh_mem_sept_add(struct seam_ctx *c);
u64 tdh_mem_sept_remove(struct seam_ctx *c);
u64 tdh_mem_sept_rd(struct seam_ctx *c);
u64 tdh_mem_page_add(struct seam_ctx *c);
u64 tdh_mem_page_aug(struct seam_ctx *c);
u64 tdh_mem_page_remove(struct seam_ctx *c);
u64 tdh_mem_page_promote(struct seam_ctx *c);
u64 tdh_mem_page_demote(struct seam_ctx *c);
u64 tdh_mem_range_block(struct seam_ctx *c);
u64 tdh_mem_range_unblock(struct seam_ctx *c);
u64 tdh_mem_track(struct seam_ctx *c);
u64 tdh_mem_rd(struct seam_ctx *c);
u64 tdh_mem_wr(struct seam_ctx *c);
u64 tdh_mr_extend(struct seam_ctx *c);
u64 tdh_mr_finalize(struct seam_ctx *c);
u64 tdh_phymem_page_reclaim(struct seam_ctx *c);
u64 tdh_phymem_page_wbinvd(struct seam_ctx *c);
u64 tdh_phymem_cache_wb(struct seam_ctx *c);
u64 tdh_phymem_page_rdmd(struct seam_ctx *c);

/* ---- common operand checks (helpers.c) ------------------------------------- */

static inline void *td_page(struct seam_ctx *c, u64 hpa)
{
	return seam_page(c->p, hpa);
}

/* Zeroes a page under @keyid, as MOVDIR64B does, and tags its lines. */
void seam_init_page(struct seam_ctx *c, u64 hpa, u32 keyid, int fill);

/* A private HPA operand: aligned, no KeyID bits, below MAX_PA. */
bool hpa_is_valid_private(struct seam_ctx *c, u64 hpa, u64 align);
/* A shared HPA operand: aligned, in memory, and with a shared KeyID. */
bool hpa_is_valid_shared(struct seam_ctx *c, u64 pa, u64 align);

/*
 * Checks an explicit HPA operand for a page of type @pt and locks its PAMT
 * entry.  Errors carry @opnd (OPERAND_INVALID, ADDR_RANGE_ERROR, BUSY,
 * PAGE_METADATA_INCORRECT).
 */
u64 check_and_lock_hpa(struct seam_ctx *c, u64 hpa, enum tdx_page_type pt,
		       enum lock_mode mode, u64 opnd, struct pamt_lock *pl);

/* A locked, mapped TD: what most TD leaves start with. */
struct td_ref {
	u64 tdr_pa;
	struct pamt_lock tdr_lock;
	struct tdr *tdr;
	struct tdcs *tdcs;		/* NULL until enough TDCX pages */
	sharex_lock_t *op_lock;		/* held op_state lock, if any */
	enum lock_mode op_mode;
};

/* Locks and maps the TDR at @tdr_pa (operand @opnd). */
u64 td_lock_tdr(struct seam_ctx *c, u64 tdr_pa, enum lock_mode mode, u64 opnd,
		struct td_ref *td);
/*
 * TD build-state checks, then the OP_STATE table for @leaf and the TDCS
 * op-state lock in @op_mode.  Expects the TDR locked.
 */
u64 td_check_state(struct seam_ctx *c, struct td_ref *td, u32 leaf, enum lock_mode op_mode);
/* Both of the above, in the module's order. */
u64 td_lock_and_check(struct seam_ctx *c, u64 tdr_pa, u64 opnd, enum lock_mode tdr_mode,
		      u32 leaf, enum lock_mode op_mode, struct td_ref *td);
/* As td_check_state() without the op-state lock (leaves covered by an
 * exclusive TDR lock). */
u64 td_check_state_nolock(struct seam_ctx *c, struct td_ref *td, u32 leaf);
/*
 * The TDR exclusive, then the TD state without the op-state lock: the
 * build leaves (MNG.INIT, PAGE.ADD, MR.EXTEND, MR.FINALIZE) own the TD.
 */
u64 td_lock_excl_and_check(struct seam_ctx *c, u64 tdr_pa, u64 opnd, u32 leaf,
			   struct td_ref *td);
void td_release(struct td_ref *td);
/* The TD of a child page (TDVPR): PAMT owner, locked like td_lock_tdr. */
u32 td_hkid(const struct td_ref *td);

/* A TD control structure page, or NULL (marking the TD fatal) if poisoned. */
void *td_map_private(struct seam_ctx *c, struct tdr *tdr, u64 hpa);
void td_mark_fatal(struct tdr *tdr);

bool op_state_allows(u32 leaf, u8 op_state);
bool op_state_needs_tlb_tracking(u8 op_state);

/* page_info (RCX of memory leaves): GPA + level, reserved bits clear. */
struct page_info {
	u64 gpa;
	int level;
};
u64 decode_page_info(struct seam_ctx *c, struct td_ref *td, u64 raw, int min_level,
		     int max_level, struct page_info *out);
bool gpa_is_private(const struct tdcs *tdcs, u64 gpa);

/* A locked vCPU: its TDVPR, the owning TD (implicit, shared). */
struct vp_ref {
	u64 tdvpr_pa;
	struct pamt_lock tdvpr_lock;
	struct tdvps *tdvps;
	struct td_ref td;
};
/*
 * TDVPR operand checks (@opnd), then the implicit TDR; with @leaf != ~0u
 * also the TD state and OP_STATE for @leaf.
 */
u64 vp_lock(struct seam_ctx *c, u64 tdvpr_pa, u64 opnd, enum lock_mode mode, u32 leaf,
	    struct vp_ref *vp);
void vp_release(struct vp_ref *vp);

/* ---- Secure-EPT (sept.c) ------------------------------------------------------ */

enum sept_istate {
	SEPTI_FREE = 0,
	SEPTI_REMOVED,
	SEPTI_NL_MAPPED,
	SEPTI_NL_BLOCKED,
	SEPTI_MAPPED,
	SEPTI_BLOCKED,
	SEPTI_PENDING,
	SEPTI_PENDING_BLOCKED,
	SEPTI_NR,
};

#define SEPT_STATE_SHIFT	52
#define SEPT_STATE_MASK		(0xFULL << SEPT_STATE_SHIFT)
#define SEPT_HPA_MASK		0x000FFFFFFFFFF000ULL
#define SEPT_SVE		(1ULL << 63)
#define SEPT_PS			(1ULL << 7)
#define SEPT_RWX		0x7ULL
#define SEPT_MT_WB		(6ULL << 3)
#define SEPT_IPAT		(1ULL << 6)

static inline enum sept_istate sept_state(u64 e)
{
	return (enum sept_istate)((e & SEPT_STATE_MASK) >> SEPT_STATE_SHIFT);
}
static inline u64 sept_hpa(u64 e)
{
	return e & SEPT_HPA_MASK;
}
u64 sept_make(enum sept_istate s, u64 hpa, int level);
static inline u64 sept_free_entry(void)
{
	return sept_make(SEPTI_FREE, 0, 0);
}
static inline bool sept_is_leaf_state(enum sept_istate s)
{
	return s >= SEPTI_MAPPED;
}
u8 sept_public_state(enum sept_istate s);
/* Does @leaf accept an entry in state @s? */
bool sept_state_allows(u32 leaf, enum sept_istate s);
bool sept_is_blocked(enum sept_istate s);
/* The state RANGE.BLOCK / UNBLOCK moves an entry to. */
enum sept_istate sept_blocked(enum sept_istate s);
enum sept_istate sept_unblocked(enum sept_istate s);

/* Fills a fresh S-EPT page with FREE entries. */
void sept_init_table(u64 *table);

/*
 * Walks from the root towards (@gpa, @level).  Returns the entry at the
 * deepest level reached (*reached); reaching @level means success.  A NULL
 * table on the way (poisoned page) marks the TD fatal and returns NULL.
 */
u64 *sept_walk(struct seam_ctx *c, struct td_ref *td, u64 gpa, int level, int *reached);

/*
 * Walks to whatever leaf maps @gpa (any size).  A walk that ends on a
 * non-leaf or on a leaf without access is EPT_ENTRY_NOT_PRESENT|RCX with
 * the entry's details in RCX/RDX.
 */
u64 sept_walk_to_leaf(struct seam_ctx *c, struct td_ref *td, u64 gpa, u64 **entry, int *level);
/* The HPA backing @gpa under a leaf entry @val at @level. */
u64 sept_leaf_hpa(u64 val, int level, u64 gpa);

/* RCX/RDX extended error information for an entry at @level. */
void sept_set_details(struct seam_ctx *c, u64 entry, int level);
u64 sept_arch_entry(u64 entry, int level);

/* Per-entry host lock (bit 11), as the module's TDEL bit. */
bool sept_entry_trylock(u64 *entry);
/*
 * Writes a new value and drops the entry lock in one store.  Every S-EPT
 * change goes through here and bumps the TD's S-EPT generation.
 */
void sept_entry_set_unlock(struct tdcs *tdcs, u64 *entry, u64 value);
void sept_entry_unlock(u64 *entry);
u64 sept_entry_read(const u64 *entry);

/*
 * The common prologue of the S-EPT leaves: TDR (RDX) shared, TD state and
 * OP_STATE shared, page_info in [min, max] (max < 0: the TD's top level),
 * GPA validity, the tree lock in @tree_mode, a walk to the level, the
 * entry lock, and the entry state against @leaf's state table.  On success
 * op->entry is locked and op->val is its value.
 */
struct sept_op {
	struct td_ref td;
	struct page_info pi;
	enum lock_mode tree_mode;
	bool tree_locked;
	u64 *entry;
	u64 val;
};
u64 sept_op_begin(struct seam_ctx *c, u32 leaf, u64 page_info, u64 tdr_pa, int min_level,
		  int max_level, enum lock_mode tree_mode, struct sept_op *op);
/* The part of sept_op_begin() after the TD checks. */
u64 sept_op_walk(struct seam_ctx *c, u32 leaf, struct sept_op *op, u64 page_info,
		 int min_level, int max_level, enum lock_mode tree_mode);
/* Releases whatever sept_op_begin() took; the entry lock too if held. */
void sept_op_end(struct sept_op *op);
/* Error with operand RCX and the entry's details in RCX/RDX. */
u64 sept_op_error(struct seam_ctx *c, struct sept_op *op, u64 status);

/* RDX "TD handle" of SEPT.ADD/RD and DEMOTE: TDR HPA plus a flag in bit 0. */
#define TD_HANDLE_FLAG	1ULL
#define TD_HANDLE_RSVD	(0xFFEULL | (0xFFFULL << 52))

/*
 * BLOCK -> TRACK -> REMOVE: in OP_STATEs that need TLB tracking, the entry
 * must be blocked and its blocking epoch (@e->bepoch) tracked; @opnd is the
 * operand of TLB_TRACKING_NOT_DONE.
 */
u64 sept_tlb_check(struct seam_ctx *c, struct sept_op *op, const struct pamt_entry *e, u64 opnd);

/* The SEPT tree lock in @mode, failing with OPERAND_BUSY|SEPT. */
u64 sept_lock(struct td_ref *td, enum lock_mode mode);
void sept_unlock(struct td_ref *td, enum lock_mode mode);

/* TLB tracking (BLOCK -> TRACK -> REMOVE). */
bool bepoch_is_tracked(const struct tdcs *tdcs, u64 bepoch);

/* ---- CPUID configuration (cpuid.c) ---------------------------------------- */

/* A configurable CPUID leaf: the bits TD_PARAMS may set. */
struct cpuid_config {
	u32 leaf, subleaf;
	struct tdx_cpuid_value mask;
};
extern const struct cpuid_config cpuid_configs[TDX_MAX_NUM_CPUID_CONFIG];
/* Entry @i's configurable bits on @plat: the table's, feature flags where the CPU has them. */
struct tdx_cpuid_value cpuid_config_mask(struct platform *plat, int i);

/*
 * The TD's virtual CPUID for (@leaf, @subleaf) as a vCPU sees it; false
 * when the module has no value and the guest gets a #VE.
 */
bool td_cpuid(struct platform *plat, const struct tdcs *tdcs, const struct tdvps *v,
	      const struct cpu_regs *regs, u32 leaf, u32 subleaf, u32 out[4]);
/*
 * The TD-wide value of (@leaf, @subleaf) in the module's CPUID table
 * (TDX_CPUID_NO_SUBLEAF for a leaf without subleaves); false if the table
 * has no such entry.
 */
bool td_cpuid_value(struct platform *plat, const struct tdcs *tdcs, u32 leaf, u32 subleaf,
		    u32 out[4]);

/* ---- running vCPUs (td_vcpu.c, tdh_vp_enter.c, tdcall.c) ---------------------- */

/*
 * A vCPU's CPU core and what TDH.VP.ENTER hands to it: the callbacks run on
 * the core's thread while the entering SEAMCALL waits, so everything they
 * need is here.
 */
struct td_vcpu {
	struct td_vcpu *next;
	struct tdx_module *m;
	u64 tdvpr_pa, tdr_pa;
	struct cpu_core *core;
	bool started;			/* TDH.VP.INIT's state is loaded */
	/* Valid during an entry. */
	u32 lp;
	struct td_ref td;		/* tdr and tdcs mapped */
	struct tdvps *tdvps;
	struct seamcall_regs exit;	/* the TD exit, as VP.ENTER returns it */
};

/* The vCPU of @tdvpr_pa, with its core created on first use; NULL if none can be. */
struct td_vcpu *td_vcpu_get(struct tdx_module *m, u64 tdr_pa, u64 tdvpr_pa);
/* Page reclaim: a TDVPR's core, then a TDR's core group, go away. */
void td_vcpu_reclaim(struct tdx_module *m, u64 hpa, u8 page_type);
void td_vcpus_destroy(struct tdx_module *m);

/* A SEAM context for module code running on @v's core thread. */
void td_vcpu_ctx(struct td_vcpu *v, struct seam_ctx *c, struct seamcall_regs *scratch);
/* Ends the current instruction with a TD exit; returns at the next entry. */
void td_exit(struct td_vcpu *v);
/* Delivers #VE (or #DF when one is pending) with VE_INFO filled. */
void td_inject_ve(struct td_vcpu *v, u32 reason, u64 qual, u64 gla, u64 gpa, u32 insn_len);
/* TD exit for an EPT violation on @gpa with @ext extended qualification. */
void td_exit_ept_violation(struct td_vcpu *v, u64 gpa, u64 qual, u64 ext);
/* The TD is dead (poisoned memory, a broken S-EPT): exit with @status. */
void td_exit_fatal(struct td_vcpu *v, u64 status);

/*
 * TDG.VM.RD/WR on the TD's metadata with the guest's masks (metadata.c):
 * RCX (VM index), RDX field ID, R8 value, R9 mask in c->regs; R8 and, for
 * RD version 1, RDX out.
 */
u64 tdg_vm_access(struct seam_ctx *c, struct tdr *tdr, struct tdcs *tdcs, bool write);
/*
 * TDG.VP.RD/WR on the vCPU's own TDVPS with the guest's masks: RCX must be
 * 0, RDX field ID, R8 value, R9 mask; R8 and, for RD, the next field ID in
 * RDX out.
 */
u64 tdg_vp_access(struct seam_ctx *c, struct tdr *tdr, struct tdcs *tdcs, struct tdvps *tdvps,
		  bool write);
/* TDG.SYS.RD: RDX field ID in c->regs; R8 value and RDX next field out. */
u64 tdg_sys_rd(struct seam_ctx *c);

/*
 * The virtual APIC (td_apic.c): posted interrupts into IRR and the
 * highest one the vCPU can take delivered, at entry; the x2APIC registers
 * the CPU virtualizes (TPR, PPR, EOI, ISR, IRR).  td_apic_msr() is false
 * for any other MSR.
 */
void td_apic_entry(struct td_vcpu *v);
/* Delivers a pending virtual interrupt now, or asks the core for the interrupt window. */
void td_apic_deliver(struct td_vcpu *v);
/* A virtual interrupt the vCPU would take (VCPU_STATE_DETAILS.VMXIP). */
bool td_apic_pending(const struct tdvps *t);
bool td_apic_msr(struct td_vcpu *v, struct cpu_regs *r, bool write);

/*
 * The TD's TSC (td_tsc.c): fixed at TDH.MNG.INIT from TSC_FREQUENCY;
 * td_tsc_intercept() answers RDTSC, RDTSCP and RDMSR(IA32_TSC), and is
 * false for anything else.
 */
void td_tsc_init(struct tdcs *t);
bool td_tsc_intercept(struct td_vcpu *v, struct cpu_regs *r, enum cpu_intercept what);

/*
 * The TD's MSRs (td_msr.c): whether the bitmaps let an access through,
 * and the exit for one they do not (#GP, #VE, or the module's answer).
 */
#define MSR_IA32_TSC	0x10

bool td_msr_native(u32 msr, bool write);
void td_msr_exit(struct td_vcpu *v, struct cpu_regs *r, bool write);

/* TDCALL from the guest (tdcall.c). */
void td_tdcall(void *owner, struct cpu_core *core, struct cpu_regs *regs);

/* ---- measurement (measure.c) ------------------------------------------------- */

/* TDCS page 1: measurement blocks not hashed yet (whole 128-byte blocks). */
struct mr_log {
	u32 len;
	u8 pad[124];
	u8 data[31 * 128];
};
static_assert(sizeof(struct mr_log) == TDX_PAGE_SIZE, "the log is TDCS page 1");

void mrtd_init(struct tdcs *tdcs, struct mr_log *log);
void mrtd_extend_page_add(struct tdcs *tdcs, struct mr_log *log, u64 gpa);
void mrtd_extend_chunk(struct tdcs *tdcs, struct mr_log *log, u64 gpa, const u8 chunk[256]);
void mrtd_finalize(struct tdcs *tdcs, struct mr_log *log);
/* The log page of a TD, or NULL (TD fatal) if the host poisoned it. */
struct mr_log *td_mr_log(struct seam_ctx *c, struct td_ref *td);

/* ---- invariants (invariants.c) ------------------------------------------------- */

int module_invariants(struct tdx_module *m, char *why, size_t len);

#endif /* SOFTTDX_MODULE_INTERNAL_H */
