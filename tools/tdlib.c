// SPDX-License-Identifier: MIT
#include "tdlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STEP(td, what, expr)                     \
	do {                                     \
		u64 st_ = (expr);                \
		if (st_ != TDX_SUCCESS) {        \
			(td)->failed = (what);   \
			return st_;              \
		}                                \
	} while (0)

void tdlib_default_params(struct td_params *tp)
{
	memset(tp, 0, sizeof(*tp));
	tp->attributes = TDX_ATTR_SEPT_VE_DISABLE;
	tp->xfam = TDX_XFAM_FIXED1;
	tp->max_vcpus = TDLIB_MAX_VCPUS;
	tp->eptp_controls = TDX_EPTP_MT_WB | (3ULL << TDX_EPTP_PWL_SHIFT);
	tp->tsc_frequency = 100;	/* 2.5 GHz */
}

static _Atomic u32 busy_retries;

void tdlib_set_busy_retries(u32 n)
{
	busy_retries = n;
}

u64 tdlib_call(struct tdx_host *h, u32 lp, u64 leaf, struct seamcall_regs *r)
{
	struct seamcall_regs in = *r;
	u32 tries = busy_retries;
	u64 st;

	for (;;) {
		r->rax = leaf;
		st = seamcall(h->mod, lp, r);
		if (TDX_STATUS(st) != TDX_OPERAND_BUSY || !tries--)
			return st;
		*r = in;	/* a busy SEAMCALL changed nothing: retry as is */
	}
}

static u64 alloc_page(struct tdlib_td *td)
{
	u64 pa = platform_alloc_page(td->h->plat);

	if (pa == PLATFORM_NO_HPA)
		abort();
	return pa;
}

void tdlib_adopt_page(struct tdlib_td *td, u64 pa, u64 nr)
{
	if (td->nr_pages == td->cap_pages) {
		td->cap_pages = td->cap_pages ? td->cap_pages * 2 : 256;
		td->pages = realloc(td->pages, td->cap_pages * sizeof(*td->pages));
		if (!td->pages)
			abort();
	}
	td->pages[td->nr_pages++] = pa | (nr > 1);	/* bit 0: a 2M page */
}

/* Gives a fresh page to a SEAMCALL in r->r8; keeps it only on success. */
static u64 call_with_page(struct tdlib_td *td, u64 leaf, struct seamcall_regs *r, u64 nr)
{
	u64 pa = platform_alloc_pages(td->h->plat, nr, nr);
	u64 st;

	if (pa == PLATFORM_NO_HPA)
		abort();
	r->r8 = pa;
	st = tdlib_call(td->h, td->lp, leaf, r);
	if (st == TDX_SUCCESS)
		tdlib_adopt_page(td, pa, nr);
	else
		platform_free_pages(td->h->plat, pa, nr);
	return st;
}

void tdlib_release_page(struct tdlib_td *td, u64 pa)
{
	for (size_t i = 0; i < td->nr_pages; i++) {
		if ((td->pages[i] & ~1ULL) == pa) {
			u64 nr = td->pages[i] & 1 ? 512 : 1;

			td->pages[i] = td->pages[--td->nr_pages];
			platform_free_pages(td->h->plat, pa, nr);
			return;
		}
	}
	fprintf(stderr, "tdlib: page %#llx is not the TD's\n", (unsigned long long)pa);
	abort();
}

/* An LP of package @pkg, preferring the TD's own LP. */
static u32 lp_of_package(struct tdlib_td *td, u32 pkg)
{
	const struct platform_config *cfg = platform_get_config(td->h->plat);

	if (platform_lp_package(td->h->plat, td->lp) == pkg)
		return td->lp;
	return pkg * cfg->lps_per_package;
}

u64 tdlib_create(struct tdx_host *h, struct tdlib_td *td, const struct td_params *tp)
{
	return tdlib_create_on(h, td, tp, 0);
}

u64 tdlib_create_on(struct tdx_host *h, struct tdlib_td *td, const struct td_params *tp, u32 lp)
{
	const struct platform_config *cfg = platform_get_config(h->plat);
	struct seamcall_regs r = { 0 };
	u64 params;

	memset(td, 0, sizeof(*td));
	td->h = h;
	td->lp = lp;
	td->hkid = tdx_host_alloc_hkid(h);
	if (td->hkid < 0)
		abort();
	td->tdr = alloc_page(td);
	td->pwl = (int)((tp->eptp_controls >> TDX_EPTP_PWL_SHIFT) & 7) + 1;
	td->source = alloc_page(td);
	r.rcx = td->tdr;
	r.rdx = (u64)td->hkid;
	STEP(td, "TDH.MNG.CREATE", tdlib_call(h, td->lp, TDH_MNG_CREATE, &r));
	for (u32 pkg = 0; pkg < cfg->nr_packages; pkg++) {
		r = (struct seamcall_regs){ .rcx = td->tdr };
		STEP(td, "TDH.MNG.KEY.CONFIG",
		     tdlib_call(h, lp_of_package(td, pkg), TDH_MNG_KEY_CONFIG, &r));
	}
	for (u32 i = 0; i < TDLIB_TDCS_PAGES; i++) {
		td->tdcs[i] = alloc_page(td);
		r = (struct seamcall_regs){ .rcx = td->tdcs[i], .rdx = td->tdr };
		STEP(td, "TDH.MNG.ADDCX", tdlib_call(h, td->lp, TDH_MNG_ADDCX, &r));
		td->nr_tdcs++;
	}
	params = alloc_page(td);
	platform_host_write(h->plat, params, tp, sizeof(*tp));
	r = (struct seamcall_regs){ .rcx = td->tdr, .rdx = params };
	r.rax = tdlib_call(h, td->lp, TDH_MNG_INIT, &r);
	platform_free_pages(h->plat, params, 1);
	STEP(td, "TDH.MNG.INIT", r.rax);
	return TDX_SUCCESS;
}

u64 tdlib_add_vcpu(struct tdlib_td *td, u32 lp, u64 initial_rcx)
{
	struct tdlib_vcpu *v = &td->vcpu[td->nr_vcpus];
	struct seamcall_regs r;

	if (td->nr_vcpus == TDLIB_MAX_VCPUS)
		abort();
	v->tdvpr = alloc_page(td);
	v->lp = lp;
	r = (struct seamcall_regs){ .rcx = v->tdvpr, .rdx = td->tdr };
	STEP(td, "TDH.VP.CREATE", tdlib_call(td->h, lp, TDH_VP_CREATE, &r));
	td->nr_vcpus++;
	for (u32 i = 0; i < TDLIB_TDVPS_PAGES - 1; i++) {
		v->tdcx[i] = alloc_page(td);
		r = (struct seamcall_regs){ .rcx = v->tdcx[i], .rdx = v->tdvpr };
		STEP(td, "TDH.VP.ADDCX", tdlib_call(td->h, lp, TDH_VP_ADDCX, &r));
	}
	r = (struct seamcall_regs){ .rcx = v->tdvpr, .rdx = initial_rcx };
	STEP(td, "TDH.VP.INIT", tdlib_call(td->h, lp, TDH_VP_INIT, &r));
	return TDX_SUCCESS;
}

static bool sept_table_exists(struct tdlib_td *td, u64 gpa, int level)
{
	struct seamcall_regs r = { .rcx = gpa | (u64)level, .rdx = td->tdr };

	return tdlib_call(td->h, td->lp, TDH_MEM_SEPT_RD, &r) == TDX_SUCCESS &&
	       ((r.rdx >> 8) & 0xFF) != SEPT_FREE;
}

u64 tdlib_map_sept(struct tdlib_td *td, u64 gpa, int level)
{
	for (int l = td->pwl - 1; l > level; l--) {
		u64 base = gpa & ~((1ULL << (12 + 9 * l)) - 1);
		struct seamcall_regs r;

		if (sept_table_exists(td, base, l))
			continue;
		r = (struct seamcall_regs){ .rcx = base | (u64)l, .rdx = td->tdr };
		STEP(td, "TDH.MEM.SEPT.ADD", call_with_page(td, TDH_MEM_SEPT_ADD, &r, 1));
	}
	return TDX_SUCCESS;
}

u64 tdlib_add_page(struct tdlib_td *td, u64 gpa, const void *data, bool measure)
{
	struct seamcall_regs r;

	STEP(td, "S-EPT", tdlib_map_sept(td, gpa, 0));
	platform_host_write(td->h->plat, td->source, data, TDX_PAGE_SIZE);
	r = (struct seamcall_regs){ .rcx = gpa, .rdx = td->tdr, .r9 = td->source };
	STEP(td, "TDH.MEM.PAGE.ADD", call_with_page(td, TDH_MEM_PAGE_ADD, &r, 1));
	for (u64 off = 0; measure && off < TDX_PAGE_SIZE; off += 256) {
		r = (struct seamcall_regs){ .rcx = gpa + off, .rdx = td->tdr };
		STEP(td, "TDH.MR.EXTEND", tdlib_call(td->h, td->lp, TDH_MR_EXTEND, &r));
	}
	return TDX_SUCCESS;
}

u64 tdlib_finalize(struct tdlib_td *td)
{
	struct seamcall_regs r = { .rcx = td->tdr };

	STEP(td, "TDH.MR.FINALIZE", tdlib_call(td->h, td->lp, TDH_MR_FINALIZE, &r));
	return TDX_SUCCESS;
}

u64 tdlib_aug(struct tdlib_td *td, u64 gpa, int level)
{
	struct seamcall_regs r;

	STEP(td, "S-EPT", tdlib_map_sept(td, gpa, level));
	r = (struct seamcall_regs){ .rcx = gpa | (u64)level, .rdx = td->tdr };
	STEP(td, "TDH.MEM.PAGE.AUG", call_with_page(td, TDH_MEM_PAGE_AUG, &r, level ? 512 : 1));
	return TDX_SUCCESS;
}

u64 tdlib_remove(struct tdlib_td *td, u64 gpa, int level)
{
	struct seamcall_regs r = { .rcx = gpa | (u64)level, .rdx = td->tdr };

	STEP(td, "TDH.MEM.RANGE.BLOCK", tdlib_call(td->h, td->lp, TDH_MEM_RANGE_BLOCK, &r));
	r = (struct seamcall_regs){ .rcx = td->tdr };
	STEP(td, "TDH.MEM.TRACK", tdlib_call(td->h, td->lp, TDH_MEM_TRACK, &r));
	r = (struct seamcall_regs){ .rcx = gpa | (u64)level, .rdx = td->tdr };
	STEP(td, "TDH.MEM.PAGE.REMOVE", tdlib_call(td->h, td->lp, TDH_MEM_PAGE_REMOVE, &r));
	tdlib_release_page(td, r.rcx);
	return TDX_SUCCESS;
}

u64 tdlib_read_mrtd(struct tdlib_td *td, u8 mrtd[48])
{
	for (int i = 0; i < 6; i++) {
		struct seamcall_regs r = { .rcx = td->tdr, .rdx = MD_FIELD_ELEM(MD_TD_MRTD, i) };

		STEP(td, "TDH.MNG.RD", tdlib_call(td->h, td->lp, TDH_MNG_RD, &r));
		memcpy(mrtd + 8 * i, &r.r8, 8);
	}
	return TDX_SUCCESS;
}

static u64 reclaim(struct tdlib_td *td, u64 pa, u64 nr)
{
	struct seamcall_regs r = { .rcx = pa };

	STEP(td, "TDH.PHYMEM.PAGE.RECLAIM", tdlib_call(td->h, td->lp, TDH_PHYMEM_PAGE_RECLAIM, &r));
	for (u64 i = 0; i < nr; i++) {
		u64 with_key = platform_hpa_with_keyid(td->h->plat, pa + i * TDX_PAGE_SIZE,
						       (u32)td->hkid);

		r = (struct seamcall_regs){ .rcx = with_key };
		STEP(td, "TDH.PHYMEM.PAGE.WBINVD",
		     tdlib_call(td->h, td->lp, TDH_PHYMEM_PAGE_WBINVD, &r));
	}
	platform_free_pages(td->h->plat, pa, nr);
	return TDX_SUCCESS;
}

static u64 flush_and_free_key(struct tdlib_td *td)
{
	const struct platform_config *cfg = platform_get_config(td->h->plat);
	struct seamcall_regs r;

	for (u32 i = 0; i < td->nr_vcpus; i++) {
		r = (struct seamcall_regs){ .rcx = td->vcpu[i].tdvpr };
		u64 st = tdlib_call(td->h, td->vcpu[i].lp, TDH_VP_FLUSH, &r);

		if (st != TDX_SUCCESS && st != TDX_VCPU_NOT_ASSOCIATED) {
			td->failed = "TDH.VP.FLUSH";
			return st;
		}
	}
	r = (struct seamcall_regs){ .rcx = td->tdr };
	STEP(td, "TDH.MNG.VPFLUSHDONE", tdlib_call(td->h, td->lp, TDH_MNG_VPFLUSHDONE, &r));
	for (u32 pkg = 0; pkg < cfg->nr_packages; pkg++) {
		r = (struct seamcall_regs){ 0 };
		u64 st = tdlib_call(td->h, lp_of_package(td, pkg), TDH_PHYMEM_CACHE_WB, &r);

		if (st != TDX_SUCCESS && st != TDX_NO_HKID_READY_TO_WBCACHE) {
			td->failed = "TDH.PHYMEM.CACHE.WB";
			return st;
		}
	}
	r = (struct seamcall_regs){ .rcx = td->tdr };
	STEP(td, "TDH.MNG.KEY.FREEID", tdlib_call(td->h, td->lp, TDH_MNG_KEY_FREEID, &r));
	return TDX_SUCCESS;
}

u64 tdlib_teardown(struct tdlib_td *td)
{
	u64 st = flush_and_free_key(td);

	return st ? st : tdlib_reclaim_all(td);
}

u64 tdlib_reclaim_all(struct tdlib_td *td)
{
	while (td->nr_pages) {
		u64 e = td->pages[--td->nr_pages];

		STEP(td, "reclaim", reclaim(td, e & ~1ULL, e & 1 ? 512 : 1));
	}
	for (u32 i = 0; i < td->nr_vcpus; i++) {
		for (u32 j = 0; j < TDLIB_TDVPS_PAGES - 1; j++)
			if (td->vcpu[i].tdcx[j])
				STEP(td, "reclaim", reclaim(td, td->vcpu[i].tdcx[j], 1));
		STEP(td, "reclaim", reclaim(td, td->vcpu[i].tdvpr, 1));
	}
	for (u32 i = 0; i < td->nr_tdcs; i++)
		STEP(td, "reclaim", reclaim(td, td->tdcs[i], 1));
	STEP(td, "reclaim TDR", reclaim(td, td->tdr, 1));
	platform_free_pages(td->h->plat, td->source, 1);
	tdx_host_free_hkid(td->h, td->hkid);
	free(td->pages);
	td->pages = NULL;
	return TDX_SUCCESS;
}
