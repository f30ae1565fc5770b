// SPDX-License-Identifier: MIT
/*
 * Host-side TDX bring-up, as a host kernel does it:
 *
 *   TDH.SYS.INIT, TDH.SYS.LP.INIT on every LP, TDH.SYS.INFO, then one TDMR
 *   covering all memory with its PAMT carved from that memory and declared
 *   as the TDMR's reserved area, TDH.SYS.CONFIG with the global HKID,
 *   TDH.SYS.KEY.CONFIG on one LP of each package, and TDH.SYS.TDMR.INIT
 *   until the module reports the TDMR initialized.
 */
#include "tdx_host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { u64 status; const char *name; } status_names[] = {
	{ TDX_SUCCESS, "TDX_SUCCESS" },
	{ TDX_OPERAND_INVALID, "TDX_OPERAND_INVALID" },
	{ TDX_OPERAND_ADDR_RANGE_ERROR, "TDX_OPERAND_ADDR_RANGE_ERROR" },
	{ TDX_OPERAND_BUSY, "TDX_OPERAND_BUSY" },
	{ TDX_PREVIOUS_TLB_EPOCH_BUSY, "TDX_PREVIOUS_TLB_EPOCH_BUSY" },
	{ TDX_SYS_BUSY, "TDX_SYS_BUSY" },
	{ TDX_RND_NO_ENTROPY, "TDX_RND_NO_ENTROPY" },
	{ TDX_PAGE_METADATA_INCORRECT, "TDX_PAGE_METADATA_INCORRECT" },
	{ TDX_TD_ASSOCIATED_PAGES_EXIST, "TDX_TD_ASSOCIATED_PAGES_EXIST" },
	{ TDX_SYS_NOT_READY, "TDX_SYS_NOT_READY" },
	{ TDX_TD_FATAL, "TDX_TD_FATAL" },
	{ TDX_TD_NON_DEBUG, "TDX_TD_NON_DEBUG" },
	{ TDX_TDCS_NOT_ALLOCATED, "TDX_TDCS_NOT_ALLOCATED" },
	{ TDX_LIFECYCLE_STATE_INCORRECT, "TDX_LIFECYCLE_STATE_INCORRECT" },
	{ TDX_OP_STATE_INCORRECT, "TDX_OP_STATE_INCORRECT" },
	{ TDX_NO_VCPUS, "TDX_NO_VCPUS" },
	{ TDX_TDCX_NUM_INCORRECT, "TDX_TDCX_NUM_INCORRECT" },
	{ TDX_VCPU_STATE_INCORRECT, "TDX_VCPU_STATE_INCORRECT" },
	{ TDX_VCPU_ASSOCIATED, "TDX_VCPU_ASSOCIATED" },
	{ TDX_VCPU_NOT_ASSOCIATED, "TDX_VCPU_NOT_ASSOCIATED" },
	{ TDX_MAX_VCPUS_EXCEEDED, "TDX_MAX_VCPUS_EXCEEDED" },
	{ TDX_KEY_GENERATION_FAILED, "TDX_KEY_GENERATION_FAILED" },
	{ TDX_TD_KEYS_NOT_CONFIGURED, "TDX_TD_KEYS_NOT_CONFIGURED" },
	{ TDX_KEY_CONFIGURED, "TDX_KEY_CONFIGURED" },
	{ TDX_WBCACHE_NOT_COMPLETE, "TDX_WBCACHE_NOT_COMPLETE" },
	{ TDX_HKID_NOT_FREE, "TDX_HKID_NOT_FREE" },
	{ TDX_NO_HKID_READY_TO_WBCACHE, "TDX_NO_HKID_READY_TO_WBCACHE" },
	{ TDX_FLUSHVP_NOT_DONE, "TDX_FLUSHVP_NOT_DONE" },
	{ TDX_EPT_WALK_FAILED, "TDX_EPT_WALK_FAILED" },
	{ TDX_EPT_ENTRY_NOT_PRESENT, "TDX_EPT_ENTRY_NOT_PRESENT" },
	{ TDX_GPA_RANGE_NOT_BLOCKED, "TDX_GPA_RANGE_NOT_BLOCKED" },
	{ TDX_GPA_RANGE_ALREADY_BLOCKED, "TDX_GPA_RANGE_ALREADY_BLOCKED" },
	{ TDX_TLB_TRACKING_NOT_DONE, "TDX_TLB_TRACKING_NOT_DONE" },
	{ TDX_EPT_INVALID_PROMOTE_CONDITIONS, "TDX_EPT_INVALID_PROMOTE_CONDITIONS" },
	{ TDX_EPT_ENTRY_STATE_INCORRECT, "TDX_EPT_ENTRY_STATE_INCORRECT" },
	{ TDX_EPT_PAGE_NOT_FREE, "TDX_EPT_PAGE_NOT_FREE" },
	{ TDX_METADATA_FIELD_ID_INCORRECT, "TDX_METADATA_FIELD_ID_INCORRECT" },
	{ TDX_METADATA_FIELD_NOT_WRITABLE, "TDX_METADATA_FIELD_NOT_WRITABLE" },
	{ TDX_METADATA_FIELD_NOT_READABLE, "TDX_METADATA_FIELD_NOT_READABLE" },
	{ TDX_TDMR_ALREADY_INITIALIZED, "TDX_TDMR_ALREADY_INITIALIZED" },
};

const char *tdx_status_name(u64 status)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (status_names[i].status == TDX_STATUS(status))
			return status_names[i].name;
	return "TDX_(unnamed status)";
}

const char *tdh_leaf_name(u64 leaf)
{
	static const char *const names[] = {
		[TDH_VP_ENTER] = "TDH.VP.ENTER", [TDH_MNG_ADDCX] = "TDH.MNG.ADDCX",
		[TDH_MEM_PAGE_ADD] = "TDH.MEM.PAGE.ADD", [TDH_MEM_SEPT_ADD] = "TDH.MEM.SEPT.ADD",
		[TDH_VP_ADDCX] = "TDH.VP.ADDCX", [TDH_MEM_PAGE_RELOCATE] = "TDH.MEM.PAGE.RELOCATE",
		[TDH_MEM_PAGE_AUG] = "TDH.MEM.PAGE.AUG", [TDH_MEM_RANGE_BLOCK] = "TDH.MEM.RANGE.BLOCK",
		[TDH_MNG_KEY_CONFIG] = "TDH.MNG.KEY.CONFIG", [TDH_MNG_CREATE] = "TDH.MNG.CREATE",
		[TDH_VP_CREATE] = "TDH.VP.CREATE", [TDH_MNG_RD] = "TDH.MNG.RD",
		[TDH_MEM_RD] = "TDH.MEM.RD", [TDH_MNG_WR] = "TDH.MNG.WR", [TDH_MEM_WR] = "TDH.MEM.WR",
		[TDH_MEM_PAGE_DEMOTE] = "TDH.MEM.PAGE.DEMOTE", [TDH_MR_EXTEND] = "TDH.MR.EXTEND",
		[TDH_MR_FINALIZE] = "TDH.MR.FINALIZE", [TDH_VP_FLUSH] = "TDH.VP.FLUSH",
		[TDH_MNG_VPFLUSHDONE] = "TDH.MNG.VPFLUSHDONE",
		[TDH_MNG_KEY_FREEID] = "TDH.MNG.KEY.FREEID", [TDH_MNG_INIT] = "TDH.MNG.INIT",
		[TDH_VP_INIT] = "TDH.VP.INIT", [TDH_MEM_PAGE_PROMOTE] = "TDH.MEM.PAGE.PROMOTE",
		[TDH_PHYMEM_PAGE_RDMD] = "TDH.PHYMEM.PAGE.RDMD", [TDH_MEM_SEPT_RD] = "TDH.MEM.SEPT.RD",
		[TDH_VP_RD] = "TDH.VP.RD", [TDH_MNG_KEY_RECLAIMID] = "TDH.MNG.KEY.RECLAIMID",
		[TDH_PHYMEM_PAGE_RECLAIM] = "TDH.PHYMEM.PAGE.RECLAIM",
		[TDH_MEM_PAGE_REMOVE] = "TDH.MEM.PAGE.REMOVE", [TDH_MEM_SEPT_REMOVE] = "TDH.MEM.SEPT.REMOVE",
		[TDH_SYS_KEY_CONFIG] = "TDH.SYS.KEY.CONFIG", [TDH_SYS_INFO] = "TDH.SYS.INFO",
		[TDH_SYS_INIT] = "TDH.SYS.INIT", [TDH_SYS_RD] = "TDH.SYS.RD",
		[TDH_SYS_LP_INIT] = "TDH.SYS.LP.INIT", [TDH_SYS_TDMR_INIT] = "TDH.SYS.TDMR.INIT",
		[TDH_SYS_RDALL] = "TDH.SYS.RDALL", [TDH_MEM_TRACK] = "TDH.MEM.TRACK",
		[TDH_MEM_RANGE_UNBLOCK] = "TDH.MEM.RANGE.UNBLOCK",
		[TDH_PHYMEM_CACHE_WB] = "TDH.PHYMEM.CACHE.WB",
		[TDH_PHYMEM_PAGE_WBINVD] = "TDH.PHYMEM.PAGE.WBINVD", [TDH_VP_WR] = "TDH.VP.WR",
		[TDH_SYS_LP_SHUTDOWN] = "TDH.SYS.LP.SHUTDOWN", [TDH_SYS_CONFIG] = "TDH.SYS.CONFIG",
		[TDH_SYS_SHUTDOWN] = "TDH.SYS.SHUTDOWN", [TDH_SYS_UPDATE] = "TDH.SYS.UPDATE",
	};
	u64 nr = TDX_LEAF(leaf);

	return nr < sizeof(names) / sizeof(names[0]) && names[nr] ? names[nr] : "TDH.(unknown)";
}

u64 tdx_host_seamcall(struct tdx_host *h, u64 leaf, struct seamcall_regs *regs)
{
	regs->rax = leaf;
	return seamcall(h->mod, 0, regs);
}

static int sys_call(struct tdx_host *h, u32 lp, u64 leaf, struct seamcall_regs *r,
		    const char *what)
{
	u64 st;

	r->rax = leaf;
	st = seamcall(h->mod, lp, r);
	if (st == TDX_SUCCESS || st == TDX_TDMR_ALREADY_INITIALIZED)
		return 0;
	fprintf(stderr, "softtdx: %s on LP %u failed: %s (%#llx)\n", what, lp,
		tdx_status_name(st), (unsigned long long)st);
	return -EIO;
}

static u64 round_up(u64 v, u64 a)
{
	return (v + a - 1) / a * a;
}

/* One TDMR over all memory; its PAMT sits inside it, as a reserved area. */
static int build_tdmr(struct tdx_host *h, struct tdmr_info *ti)
{
	u64 size = platform_get_config(h->plat)->mem_size;
	u64 sz4k = round_up(size / TDX_PAGE_SIZE * TDX_PAMT_ENTRY_SIZE, TDX_PAGE_SIZE);
	u64 sz2m = round_up(size / TDX_PAGE_SIZE_2M * TDX_PAMT_ENTRY_SIZE, TDX_PAGE_SIZE);
	u64 sz1g = round_up(size / TDX_PAGE_SIZE_1G * TDX_PAMT_ENTRY_SIZE, TDX_PAGE_SIZE);
	u64 total = sz4k + sz2m + sz1g;

	h->pamt_pages = total / TDX_PAGE_SIZE;
	h->pamt_bytes = total;
	h->pamt_hpa = platform_alloc_pages(h->plat, h->pamt_pages, 1);
	if (h->pamt_hpa == PLATFORM_NO_HPA)
		return -ENOMEM;
	memset(ti, 0, sizeof(*ti));
	ti->base = PLATFORM_MEM_BASE;
	ti->size = size;
	ti->pamt_4k_base = h->pamt_hpa;
	ti->pamt_4k_size = sz4k;
	ti->pamt_2m_base = h->pamt_hpa + sz4k;
	ti->pamt_2m_size = sz2m;
	ti->pamt_1g_base = h->pamt_hpa + sz4k + sz2m;
	ti->pamt_1g_size = sz1g;
	ti->reserved_areas[0].offset = h->pamt_hpa - PLATFORM_MEM_BASE;
	ti->reserved_areas[0].size = total;
	return 0;
}

static int sys_config(struct tdx_host *h)
{
	struct seamcall_regs r = { 0 };
	struct tdmr_info ti;
	u64 page = platform_alloc_page(h->plat);
	int ret;

	if (page == PLATFORM_NO_HPA)
		return -ENOMEM;
	ret = build_tdmr(h, &ti);
	if (!ret) {
		/* Page layout: the pointer array at 0, the TDMR_INFO at 512. */
		u64 info_pa = page + TDX_TDMR_INFO_ALIGN;

		platform_host_write(h->plat, info_pa, &ti, sizeof(ti));
		platform_host_write(h->plat, page, &info_pa, sizeof(info_pa));
		r.rcx = page;
		r.rdx = 1;
		r.r8 = h->global_hkid;
		ret = sys_call(h, 0, TDH_SYS_CONFIG, &r, "TDH.SYS.CONFIG");
	}
	platform_free_pages(h->plat, page, 1);
	return ret;
}

static int tdmr_init(struct tdx_host *h)
{
	struct seamcall_regs r;
	u64 st;

	do {
		memset(&r, 0, sizeof(r));
		r.rax = TDH_SYS_TDMR_INIT;
		r.rcx = PLATFORM_MEM_BASE;
		st = seamcall(h->mod, 0, &r);
	} while (st == TDX_SUCCESS);
	if (st == TDX_TDMR_ALREADY_INITIALIZED)
		return 0;
	fprintf(stderr, "softtdx: TDH.SYS.TDMR.INIT failed: %s (%#llx)\n",
		tdx_status_name(st), (unsigned long long)st);
	return -EIO;
}

int tdx_host_bringup(struct tdx_host *h)
{
	const struct platform_config *cfg = platform_get_config(h->plat);
	struct seamcall_regs r = { 0 };
	int ret;

	ret = sys_call(h, 0, TDH_SYS_INIT, &r, "TDH.SYS.INIT");
	for (u32 lp = 0; !ret && lp < platform_nr_lps(h->plat); lp++) {
		memset(&r, 0, sizeof(r));
		ret = sys_call(h, lp, TDH_SYS_LP_INIT, &r, "TDH.SYS.LP.INIT");
	}
	if (!ret)
		ret = sys_config(h);
	for (u32 pkg = 0; !ret && pkg < cfg->nr_packages; pkg++) {
		memset(&r, 0, sizeof(r));
		ret = sys_call(h, pkg * cfg->lps_per_package, TDH_SYS_KEY_CONFIG, &r,
			       "TDH.SYS.KEY.CONFIG");
	}
	if (!ret)
		ret = tdmr_init(h);
	return ret;
}

struct tdx_host *tdx_host_create(const struct platform_config *cfg)
{
	struct tdx_host *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	pthread_mutex_init(&h->hkid_lock, NULL);
	h->plat = platform_create(cfg);
	h->mod = h->plat ? tdx_module_load(h->plat) : NULL;
	if (!h->mod) {
		tdx_host_destroy(h);
		return NULL;
	}
	h->hkid_min = platform_private_keyid_min(h->plat);
	h->hkid_max = platform_max_keyid(h->plat);
	/* Like Linux, the first TDX KeyID is the module's global one. */
	h->global_hkid = h->hkid_min;
	h->hkid_used[h->global_hkid] = true;
	if (tdx_host_bringup(h)) {
		tdx_host_destroy(h);
		return NULL;
	}
	return h;
}

void tdx_host_destroy(struct tdx_host *h)
{
	if (!h)
		return;
	if (h->mod)
		tdx_module_unload(h->mod);
	platform_destroy(h->plat);
	pthread_mutex_destroy(&h->hkid_lock);
	free(h);
}

int tdx_host_alloc_hkid(struct tdx_host *h)
{
	int hkid = -ENOSPC;

	pthread_mutex_lock(&h->hkid_lock);
	for (u32 k = h->hkid_min; k <= h->hkid_max; k++) {
		if (!h->hkid_used[k]) {
			h->hkid_used[k] = true;
			hkid = (int)k;
			break;
		}
	}
	pthread_mutex_unlock(&h->hkid_lock);
	return hkid;
}

void tdx_host_free_hkid(struct tdx_host *h, int hkid)
{
	pthread_mutex_lock(&h->hkid_lock);
	h->hkid_used[hkid] = false;
	pthread_mutex_unlock(&h->hkid_lock);
}

unsigned int tdx_host_hkids_in_use(struct tdx_host *h)
{
	unsigned int n = 0;

	pthread_mutex_lock(&h->hkid_lock);
	for (u32 k = h->hkid_min; k <= h->hkid_max; k++)
		n += h->hkid_used[k] && k != h->global_hkid;
	pthread_mutex_unlock(&h->hkid_lock);
	return n;
}
