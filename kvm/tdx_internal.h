/* SPDX-License-Identifier: MIT */
/*
 * What kvm/tdx.c (TD life, TDX ioctls) and kvm/tdx_mmu.c (the mirror
 * S-EPT) share.  Only those two include it.
 */
#ifndef SOFTTDX_KVM_TDX_INTERNAL_H
#define SOFTTDX_KVM_TDX_INTERNAL_H

#include "kvm_internal.h"

enum kvm_tdx_state { TD_STATE_UNINITIALIZED, TD_STATE_INITIALIZED, TD_STATE_RUNNABLE };

#define TDCS_PAGES_MAX		9
#define TDVPS_PAGES_MAX		15
#define RDRAND_RETRY_LOOPS	10
#define KVM_SUPPORTED_TD_ATTRS	TDX_ATTR_SEPT_VE_DISABLE
#define CPUID_7_0_EBX_TSX	((1u << 4) | (1u << 11))	/* HLE, RTM */
#define CPUID_7_0_ECX_WAITPKG	(1u << 5)
#define NO_SUBLEAF		0xFFFFFFFFu

struct mirror_table;

struct kvm_vcpu_tdx {
	bool initialized;
	u64 tdvpr;
	u64 tdcx[TDVPS_PAGES_MAX];
	u32 nr_tdcx;
	u32 lp;				/* where VP.INIT associated it */
	/* TDH.VP.ENTER's registers: the exit in, the TDVMCALL answers out. */
	struct seamcall_regs vp_enter_args;
	u64 vp_enter_ret;
	u32 exit_reason;		/* VMX basic exit reason, or ~0 for a failed entry */
	u64 map_gpa_next, map_gpa_end;	/* TDVMCALL<MapGPA> in progress */
	u64 mmio_gpa;
	u32 mmio_len, pio_size;
	/* The posted-interrupt descriptor: PIR (256 bits), then ON in bit 0 of word 4. */
	_Atomic u64 *pid;
	u64 pid_hpa;
};

struct kvm_tdx {
	enum kvm_tdx_state state;
	int hkid;			/* -1: none */
	bool hkid_released;		/* its pages can be reclaimed now */
	u64 tdr;
	u64 tdcs[TDCS_PAGES_MAX];
	u32 nr_tdcs;
	u64 attributes, xfam;
	u64 tsc_offset, tsc_multiplier;	/* the module's, read after TDH.MNG.INIT */
	int gpaw;			/* 48 or 52 */
	struct mirror_table *mirror_root;
	_Atomic u64 vcpu_lps;		/* LPs its vCPUs are associated with */
	/*
	 * tdx_no_vcpus_enter_start(): zaps that keep every vCPU out of the TD
	 * until their SEAMCALL is through, and the vCPUs inside TDH.VP.ENTER.
	 */
	_Atomic int no_enter, in_enter;
	u64 shared_root;		/* the shared EPT's root page, or 0 */
};

/* S-EPT levels: 4 for GPAW 48, 5 for GPAW 52. */
static inline int td_levels(const struct kvm_tdx *td)
{
	return td->gpaw == 52 ? 5 : 4;
}

static inline u64 td_shared_bit(const struct kvm_tdx *td)
{
	return 1ULL << (td->gpaw - 1);
}

/* A vCPU about to TDH.VP.ENTER: false while a zap keeps vCPUs out (try again). */
bool tdx_begin_enter(struct kvm_tdx *td);
void tdx_end_enter(struct kvm_tdx *td);

struct platform *tdx_plat(void);
u64 tdx_alloc_td_page(void);
void tdx_free_host_page(u64 pa);
/* TDH.PHYMEM.PAGE.RECLAIM, WBINVD under @keyid, then back to the host. */
void tdx_reclaim_page(u64 pa, u32 keyid);
/* The same for a page of @nr 4K pages (1 or 512). */
void tdx_reclaim_pages(u64 pa, u64 nr, u32 keyid);

/* Maps @hpa at private @gpa with TDH.MEM.PAGE.ADD from @source. */
long tdx_mirror_page_add(struct kvm_tdx *td, u64 gpa, u64 hpa, u64 source);
/*
 * The private fault path: the guest_memfd page(s) behind @gpa mapped with
 * TDH.MEM.PAGE.AUG, 2M when it can and @max_level allows.  -ENOENT: no
 * memslot; -EFAULT: the slot has no guest_memfd.
 */
long tdx_fault_private(struct kvm_vm *vm, u64 gpa, int max_level);
/* A 2M private mapping around @gpa becomes 512 small ones (a 4K ACCEPT). */
long tdx_split_private(struct kvm_vm *vm, u64 gpa);
/* An IPI to every LP this TD's vCPUs run on: they leave the guest. */
void tdx_kick_vcpus(struct kvm_tdx *td);
/* The shared EPT (tdx_shared_ept.c): its EPTP (0 when out of memory)... */
u64 tdx_shared_eptp(struct kvm_tdx *td);
/* ...the page at shared @gpa, or an MMIO entry that gives the guest #VE... */
long tdx_shared_map(struct kvm_tdx *td, u64 gpa, u64 hpa);
long tdx_shared_map_mmio(struct kvm_tdx *td, u64 gpa);
/* ...unmapping [start, end) (vm ops zap_shared), and its pages freed. */
void tdx_shared_zap(struct kvm_vm *vm, u64 start_gfn, u64 end_gfn);
void tdx_shared_ept_free(struct kvm_tdx *td);

/* Posts @vector to the TD vCPU with APIC ID @dest: 1, or 0 if there is none. */
int tdx_deliver_interrupt(struct kvm_vm *vm, u32 dest, u8 vector);
int tdx_deliver_nmi(struct kvm_vm *vm, u32 dest);

/* KVM_RUN of a TD vCPU after pre_run (tdx_run.c): 0 to userspace, or -errno. */
int tdx_vcpu_run(struct kvm_vcpu *vcpu);

/* Unmaps every private page of [start, end) (vm ops zap_private). */
void tdx_zap_private(struct kvm_vm *vm, u64 start_gfn, u64 end_gfn);
u64 tdx_mirror_bytes(void);
u64 tdx_private_pages(void);
u64 tdx_large_mappings(void);
/* After the HKID release: reclaims every S-EPT page and leftover page. */
void tdx_mirror_free(struct kvm_tdx *td);

#endif /* SOFTTDX_KVM_TDX_INTERNAL_H */
