// SPDX-License-Identifier: MIT
/*
 * SEAMCALL dispatch: RAX decoding, version and system-state gating, then
 * the leaf handler.  Mirrors the module's VMM dispatcher.
 */
#include "module_internal.h"

#include <stdio.h>
#include <stdlib.h>

static const seamcall_handler leaf_handlers[] = {
	[TDH_VP_ENTER]		= tdh_vp_enter,
	[TDH_MNG_ADDCX]		= tdh_mng_addcx,
	[TDH_MEM_PAGE_ADD]	= tdh_mem_page_add,
	[TDH_MEM_SEPT_ADD]	= tdh_mem_sept_add,
	[TDH_VP_ADDCX]		= tdh_vp_addcx,
	[TDH_MEM_PAGE_AUG]	= tdh_mem_page_aug,
	[TDH_MEM_RANGE_BLOCK]	= tdh_mem_range_block,
	[TDH_MNG_KEY_CONFIG]	= tdh_mng_key_config,
	[TDH_MNG_CREATE]	= tdh_mng_create,
	[TDH_VP_CREATE]		= tdh_vp_create,
	[TDH_MNG_RD]		= tdh_mng_rd,
	[TDH_MEM_RD]		= tdh_mem_rd,
	[TDH_MNG_WR]		= tdh_mng_wr,
	[TDH_MEM_WR]		= tdh_mem_wr,
	[TDH_MEM_PAGE_DEMOTE]	= tdh_mem_page_demote,
	[TDH_MR_EXTEND]		= tdh_mr_extend,
	[TDH_MR_FINALIZE]	= tdh_mr_finalize,
	[TDH_VP_FLUSH]		= tdh_vp_flush,
	[TDH_MNG_VPFLUSHDONE]	= tdh_mng_vpflushdone,
	[TDH_MNG_KEY_FREEID]	= tdh_mng_key_freeid,
	[TDH_MNG_INIT]		= tdh_mng_init,
	[TDH_VP_INIT]		= tdh_vp_init,
	[TDH_MEM_PAGE_PROMOTE]	= tdh_mem_page_promote,
	[TDH_PHYMEM_PAGE_RDMD]	= tdh_phymem_page_rdmd,
	[TDH_MEM_SEPT_RD]	= tdh_mem_sept_rd,
	[TDH_VP_RD]		= tdh_vp_rd,
	[TDH_MNG_KEY_RECLAIMID]	= tdh_mng_key_reclaimid,
	[TDH_PHYMEM_PAGE_RECLAIM] = tdh_phymem_page_reclaim,
	[TDH_MEM_PAGE_REMOVE]	= tdh_mem_page_remove,
	[TDH_MEM_SEPT_REMOVE]	= tdh_mem_sept_remove,
	[TDH_SYS_KEY_CONFIG]	= tdh_sys_key_config,
	[TDH_SYS_INFO]		= tdh_sys_info,
	[TDH_SYS_INIT]		= tdh_sys_init,
	[TDH_SYS_RD]		= tdh_sys_rd,
	[TDH_SYS_LP_INIT]	= tdh_sys_lp_init,
	[TDH_SYS_TDMR_INIT]	= tdh_sys_tdmr_init,
	[TDH_SYS_RDALL]		= tdh_sys_rdall,
	[TDH_MEM_TRACK]		= tdh_mem_track,
	[TDH_MEM_RANGE_UNBLOCK]	= tdh_mem_range_unblock,
	[TDH_PHYMEM_CACHE_WB]	= tdh_phymem_cache_wb,
	[TDH_PHYMEM_PAGE_WBINVD] = tdh_phymem_page_wbinvd,
	[TDH_VP_WR]		= tdh_vp_wr,
	[TDH_SYS_CONFIG]	= tdh_sys_config,
};
#define NR_LEAVES (sizeof(leaf_handlers) / sizeof(leaf_handlers[0]))

static bool leaf_has_versions(u32 leaf)
{
	/*
	 * PROMOTE, SEPT.ADD and SEPT.REMOVE have a version 1 for L2 VMs, which
	 * this module does not support; VP.INIT version 1 (x2APIC ID in R8) is
	 * what Linux >= 6.16 uses and newer modules than 1.5.01 accept.
	 */
	return leaf == TDH_MNG_RD || leaf == TDH_VP_RD || leaf == TDH_VP_INIT;
}

static bool leaf_runs_before_ready(u32 leaf)
{
	switch (leaf) {
	case TDH_SYS_INFO: case TDH_SYS_RD: case TDH_SYS_RDALL:
	case TDH_SYS_INIT: case TDH_SYS_LP_INIT: case TDH_SYS_CONFIG:
	case TDH_SYS_KEY_CONFIG:
		return true;
	default:
		return false;
	}
}

static u64 dispatch(struct seam_ctx *c, u64 rax)
{
	u32 leaf = (u32)TDX_LEAF(rax);

	if (rax >> 24)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
	if (leaf >= NR_LEAVES || !leaf_handlers[leaf])
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
	if (c->version && !leaf_has_versions(leaf))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
	if (c->m->sys_state != TDX_SYS_READY && !leaf_runs_before_ready(leaf))
		return TDX_SYS_NOT_READY;
	return leaf_handlers[leaf](c);
}

u64 seamcall(struct tdx_module *m, u32 lp, struct seamcall_regs *regs)
{
	u64 leaf = TDX_LEAF(regs->rax);
	struct seam_ctx c = {
		.m = m,
		.p = m->plat,
		.lp = lp,
		.version = (u32)TDX_VERSION(regs->rax),
		.regs = regs,
	};

	if (lp >= platform_nr_lps(m->plat))
		abort();	/* SEAMCALL from a CPU that does not exist */
	/* Host threads outnumber LPs and share them: a counter is all that is per LP and hot. */
	__atomic_fetch_add(&m->lp[lp].seamcalls, 1, __ATOMIC_RELAXED);
	regs->rax = dispatch(&c, regs->rax);
	if (m->check_invariants) {
		char why[256];

		if (module_invariants(m, why, sizeof(why))) {
			fprintf(stderr, "softtdx: TDX module invariant broken after leaf %llu: %s\n",
				(unsigned long long)leaf, why);
			abort();
		}
	}
	return regs->rax;
}

struct tdx_module *tdx_module_load(struct platform *p)
{
	struct tdx_module *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->plat = p;
	pthread_mutex_init(&m->vcpus_lock, NULL);
	m->sys_state = TDX_SYSINIT_PENDING;
	m->hkid_min = platform_private_keyid_min(p);
	m->hkid_max = platform_max_keyid(p);
	return m;
}

void tdx_module_unload(struct tdx_module *m)
{
	if (!m)
		return;
	td_vcpus_destroy(m);
	pthread_mutex_destroy(&m->vcpus_lock);
	free(m);
}

void tdx_module_set_invariant_checks(struct tdx_module *m, bool on)
{
	m->check_invariants = on;
}

int tdx_module_check_invariants(struct tdx_module *m, char *why, size_t len)
{
	return module_invariants(m, why, len);
}

void tdx_module_get_stats(struct tdx_module *m, struct tdx_module_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (u32 lp = 0; lp < PLATFORM_MAX_LPS; lp++)
		st->seamcalls += __atomic_load_n(&m->lp[lp].seamcalls, __ATOMIC_RELAXED);
	for (u32 i = 0; i < m->nr_tdmrs; i++) {
		st->tdmr_bytes += m->tdmr[i].size;
		for (int l = 0; l < 3; l++)
			st->pamt_bytes += m->tdmr[i].pamt_size[l];
	}
}
