/* SPDX-License-Identifier: MIT */
/*
 * The host kernel's TDX support below KVM (Linux: arch/x86/virt/vmx/tdx):
 * it brings the TDX module up with the TDH.SYS.* flow, builds the TDMRs
 * and donates their PAMT, and hands out TDX private HKIDs.
 */
#ifndef SOFTTDX_KVM_TDX_HOST_H
#define SOFTTDX_KVM_TDX_HOST_H

#include <pthread.h>
#include <stdbool.h>

#include "../module/tdx_module.h"
#include "../platform/platform.h"

struct tdx_host {
	struct platform *plat;
	struct tdx_module *mod;
	u32 global_hkid;
	u32 hkid_min, hkid_max;
	u64 pamt_hpa, pamt_pages;	/* one block for all three levels */
	u64 pamt_bytes;			/* what the TDMRs actually need */
	pthread_mutex_t hkid_lock;
	bool hkid_used[1 << 15];
};

/* Creates a platform, loads the module and brings it up; NULL on error. */
struct tdx_host *tdx_host_create(const struct platform_config *cfg);
void tdx_host_destroy(struct tdx_host *h);

/* Runs TDH.SYS.INIT .. TDH.SYS.TDMR.INIT; 0 or -EIO (reason on stderr). */
int tdx_host_bringup(struct tdx_host *h);

/* TDX private HKIDs for TDs (the global HKID is never handed out). */
int tdx_host_alloc_hkid(struct tdx_host *h);
void tdx_host_free_hkid(struct tdx_host *h, int hkid);
unsigned int tdx_host_hkids_in_use(struct tdx_host *h);

/* A SEAMCALL of leaf @leaf on LP 0 with the given operands. */
u64 tdx_host_seamcall(struct tdx_host *h, u64 leaf, struct seamcall_regs *regs);

/* A short name for a SEAMCALL status ("TDX_OPERAND_BUSY", ...). */
const char *tdx_status_name(u64 status);
/* "TDH.MEM.PAGE.AUG" and so on, for the leaf number in RAX bits 15:0. */
const char *tdh_leaf_name(u64 leaf);

#endif /* SOFTTDX_KVM_TDX_HOST_H */
