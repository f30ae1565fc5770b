// SPDX-License-Identifier: MIT
/*
 * TDH.SYS.*: module bring-up (INIT, LP.INIT, CONFIG, KEY.CONFIG, TDMR.INIT)
 * and enumeration (INFO).  The host kernel drives these once, in that order;
 * after TDH.SYS.KEY.CONFIG on every package the module is SYS_READY.
 */
#include "module_internal.h"

/* ---- global lock ------------------------------------------------------------ */

static bool sys_lock(struct seam_ctx *c, enum lock_mode mode)
{
	return sharex_trylock(&c->m->sys_lock, mode);
}

static void sys_unlock(struct seam_ctx *c, enum lock_mode mode)
{
	sharex_unlock(&c->m->sys_lock, mode);
}

/* ---- TDH.SYS.INIT / TDH.SYS.LP.INIT --------------------------------------- */

static u64 sys_init_locked(struct seam_ctx *c, u64 attributes)
{
	u64 canary;

	if (attributes)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	if (c->m->sys_state != TDX_SYSINIT_PENDING)
		return TDX_SYS_INIT_NOT_PENDING;
	if (!seam_rng(c->p, &canary, sizeof(canary)))
		return TDX_RND_NO_ENTROPY;
	c->m->nr_lps_done = 0;
	c->m->sys_state = TDX_SYSINIT_DONE;
	return TDX_SUCCESS;
}

u64 tdh_sys_init(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	u64 attributes = r->rcx, err;

	r->rcx = r->rdx = r->r8 = r->r9 = r->r10 = 0;
	if (!sys_lock(c, LOCK_EXCLUSIVE))
		return TDX_SYS_BUSY;
	err = sys_init_locked(c, attributes);
	sys_unlock(c, LOCK_EXCLUSIVE);
	return err;
}

static u64 lp_init_locked(struct seam_ctx *c)
{
	struct lp_state *lp = &c->m->lp[c->lp];
	u64 seed;

	if (c->m->sys_state != TDX_SYSINIT_DONE)
		return TDX_SYS_LP_INIT_NOT_PENDING;
	if (lp->lp_init_done)
		return TDX_SYS_LP_INIT_DONE;
	if (!seam_rng(c->p, &seed, sizeof(seed)))
		return TDX_RND_NO_ENTROPY;
	lp->lp_init_done = true;
	__atomic_fetch_add(&c->m->nr_lps_done, 1, __ATOMIC_SEQ_CST);
	return TDX_SUCCESS;
}

u64 tdh_sys_lp_init(struct seam_ctx *c)
{
	u64 err;

	c->regs->rcx = c->regs->rdx = c->regs->r8 = 0;
	if (!sys_lock(c, LOCK_SHARED))
		return TDX_SYS_BUSY;
	err = lp_init_locked(c);
	sys_unlock(c, LOCK_SHARED);
	return err;
}

/* ---- TDH.SYS.CONFIG -------------------------------------------------------- */

#define NO_INFO	0xFFu

/* Error with up to three info bytes (TDMR index, PAMT level, ...). */
static u64 tdmr_error(u64 status, u32 b0, u32 b1, u32 b2)
{
	u64 info = b0 & 0xFF;

	if (b1 != NO_INFO)
		info |= (u64)(b1 & 0xFF) << 8;
	if (b2 != NO_INFO)
		info |= (u64)(b2 & 0xFF) << 16;
	return status | info;
}

static bool overflows(u64 base, u64 size)
{
	return base + size < base;
}

static bool pa_ok(struct seam_ctx *c, u64 pa)
{
	return !(pa >> TDX_MAX_PA) && !platform_hpa_keyid(c->p, pa);
}

static bool ranges_overlap(u64 a, u64 asz, u64 b, u64 bsz)
{
	return asz && bsz && a < b + bsz && b < a + asz;
}

/* Does [base, base+size) touch a part of @t that is not a reserved area? */
static bool hits_tdmr_body(const struct tdmr *t, u64 base, u64 size)
{
	u64 cur = t->base;

	for (int j = 0; j <= TDX_MAX_RESERVED_AREAS; j++) {
		bool last = j == TDX_MAX_RESERVED_AREAS || !t->rsvd[j].size;
		u64 end = last ? t->base + t->size : t->base + t->rsvd[j].offset;

		if (ranges_overlap(base, size, cur, end - cur))
			return true;
		if (last)
			return false;
		cur = end + t->rsvd[j].size;
	}
	return false;
}

static bool inside_cmrs(struct seam_ctx *c, u64 base, u64 size)
{
	return platform_hpa_in_memory(c->p, base, size);
}

static bool tdmr_body_inside_cmrs(struct seam_ctx *c, const struct tdmr *t)
{
	u64 cur = t->base;

	for (int j = 0; j <= TDX_MAX_RESERVED_AREAS; j++) {
		bool last = j == TDX_MAX_RESERVED_AREAS || !t->rsvd[j].size;
		u64 end = last ? t->base + t->size : t->base + t->rsvd[j].offset;

		if (end > cur && !inside_cmrs(c, cur, end - cur))
			return false;
		if (last)
			return true;
		cur = end + t->rsvd[j].size;
	}
	return true;
}

static u64 check_tdmr_range(struct seam_ctx *c, const struct tdmr_info *ti, u32 i)
{
	const struct tdmr *prev = i ? &c->m->tdmr[i - 1] : NULL;

	if (overflows(ti->base, ti->size))
		return tdmr_error(TDX_INVALID_TDMR, i, NO_INFO, NO_INFO);
	if (prev && (ti->base < prev->base || ti->base < prev->base + prev->size))
		return tdmr_error(TDX_NON_ORDERED_TDMR, i, NO_INFO, NO_INFO);
	if ((ti->base | ti->size) & (TDX_PAGE_SIZE_1G - 1) || !ti->size)
		return tdmr_error(TDX_INVALID_TDMR, i, NO_INFO, NO_INFO);
	if (!pa_ok(c, ti->base) || !pa_ok(c, ti->base + ti->size - 1))
		return tdmr_error(TDX_INVALID_TDMR, i, NO_INFO, NO_INFO);
	return TDX_SUCCESS;
}

static u64 check_reserved_areas(const struct tdmr_info *ti, u32 i)
{
	bool ended = false;

	for (u32 j = 0; j < TDX_MAX_RESERVED_AREAS; j++) {
		const struct tdmr_reserved_area *r = &ti->reserved_areas[j];
		const struct tdmr_reserved_area *p = j ? r - 1 : NULL;

		if (!r->size) {
			ended = true;
			continue;
		}
		if (ended)
			return tdmr_error(TDX_NON_ORDERED_RESERVED_IN_TDMR, i, j, NO_INFO);
		if (overflows(r->offset, r->size))
			return tdmr_error(TDX_INVALID_RESERVED_IN_TDMR, i, j, NO_INFO);
		if (p && (r->offset < p->offset || r->offset < p->offset + p->size))
			return tdmr_error(TDX_NON_ORDERED_RESERVED_IN_TDMR, i, j, NO_INFO);
		if ((r->offset | r->size) & (TDX_PAGE_SIZE - 1))
			return tdmr_error(TDX_INVALID_RESERVED_IN_TDMR, i, j, NO_INFO);
		if (overflows(ti->base, r->offset) || r->offset + r->size > ti->size)
			return tdmr_error(TDX_INVALID_RESERVED_IN_TDMR, i, j, NO_INFO);
	}
	return TDX_SUCCESS;
}

static const u64 pamt_granule[3] = { TDX_PAGE_SIZE, TDX_PAGE_SIZE_2M, TDX_PAGE_SIZE_1G };
/* The module checks the 1G PAMT first, then 2M, then 4K. */
static const int pamt_check_order[3] = { TDX_PS_1G, TDX_PS_2M, TDX_PS_4K };

static u64 check_pamts(struct seam_ctx *c, struct tdmr *t, u32 i)
{
	struct tdx_module *m = c->m;

	for (int k = 0; k < 3; k++) {
		int l = pamt_check_order[k];
		u64 base = t->pamt_base[l], size = t->pamt_size[l];

		if (overflows(base, size) || (base | size) & (TDX_PAGE_SIZE - 1) ||
		    !pa_ok(c, base) || !pa_ok(c, base + size - 1) ||
		    size < t->size / pamt_granule[l] * TDX_PAMT_ENTRY_SIZE)
			return tdmr_error(TDX_INVALID_PAMT, i, l, NO_INFO);
	}
	for (u32 j = 0; j < i; j++)
		for (int l = 0; l < 3; l++)
			for (int lj = 0; lj < 3; lj++)
				if (ranges_overlap(t->pamt_base[l], t->pamt_size[l],
						   m->tdmr[j].pamt_base[lj], m->tdmr[j].pamt_size[lj]))
					return tdmr_error(TDX_PAMT_OVERLAP, i, l, j);
	for (int a = 0; a < 3; a++)
		for (int b = a + 1; b < 3; b++)
			if (ranges_overlap(t->pamt_base[a], t->pamt_size[a],
					   t->pamt_base[b], t->pamt_size[b]))
				return tdmr_error(TDX_PAMT_OVERLAP, i, a, i);
	for (u32 j = 0; j <= i; j++)
		for (int l = 0; l < 3; l++) {
			if (hits_tdmr_body(&m->tdmr[j], t->pamt_base[l], t->pamt_size[l]))
				return tdmr_error(TDX_PAMT_OVERLAP, i, l, j);
			if (j < i && hits_tdmr_body(t, m->tdmr[j].pamt_base[l],
						    m->tdmr[j].pamt_size[l]))
				return tdmr_error(TDX_PAMT_OVERLAP, j, l, i);
		}
	for (int k = 0; k < 3; k++) {
		int l = pamt_check_order[k];

		if (!inside_cmrs(c, t->pamt_base[l], t->pamt_size[l]))
			return tdmr_error(TDX_PAMT_OUTSIDE_CMRS, i, l, NO_INFO);
	}
	if (!tdmr_body_inside_cmrs(c, t))
		return tdmr_error(TDX_TDMR_OUTSIDE_CMRS, i, NO_INFO, NO_INFO);
	return TDX_SUCCESS;
}

static u64 set_tdmr(struct seam_ctx *c, const struct tdmr_info *ti, u32 i)
{
	struct tdmr *t = &c->m->tdmr[i];
	u64 err = check_tdmr_range(c, ti, i);

	if (!err)
		err = check_reserved_areas(ti, i);
	if (err)
		return err;
	memset(t, 0, sizeof(*t));
	t->base = ti->base;
	t->size = ti->size;
	t->pamt_base[TDX_PS_1G] = ti->pamt_1g_base;
	t->pamt_size[TDX_PS_1G] = ti->pamt_1g_size;
	t->pamt_base[TDX_PS_2M] = ti->pamt_2m_base;
	t->pamt_size[TDX_PS_2M] = ti->pamt_2m_size;
	t->pamt_base[TDX_PS_4K] = ti->pamt_4k_base;
	t->pamt_size[TDX_PS_4K] = ti->pamt_4k_size;
	memcpy(t->rsvd, ti->reserved_areas, sizeof(t->rsvd));
	t->next_init = t->base;
	return check_pamts(c, t, i);
}

static u64 sys_config_locked(struct seam_ctx *c, u64 array_pa, u64 count, u64 hkid)
{
	struct tdx_module *m = c->m;
	u64 err;

	if (m->sys_state != TDX_SYSINIT_DONE || m->nr_lps_done < platform_nr_lps(c->p))
		return TDX_SYS_CONFIG_NOT_PENDING;
	if (!hpa_is_valid_shared(c, array_pa, TDX_TDMR_INFO_ALIGN))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	if (count < 1 || count > TDX_MAX_TDMRS)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	if (hkid >> 16 || hkid < m->hkid_min || hkid > m->hkid_max)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R8);
	m->kot[hkid].state = KOT_STATE_HKID_RESERVED;
	m->global_hkid = (u32)hkid;
	for (u32 i = 0; i < count; i++) {
		struct tdmr_info ti;
		u64 pa;

		seam_read_shared(c->p, array_pa + i * sizeof(u64), &pa, sizeof(pa));
		if (!hpa_is_valid_shared(c, pa, TDX_TDMR_INFO_ALIGN))
			return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
		seam_read_shared(c->p, pa, &ti, sizeof(ti));
		err = set_tdmr(c, &ti, i);
		if (err)
			return err;
	}
	for (u32 i = 0; i < count; i++)
		for (int l = 0; l < 3; l++)
			m->tdmr[i].pamt[l] = seam_page(c->p, m->tdmr[i].pamt_base[l]);
	m->nr_tdmrs = (u32)count;
	m->pkg_config_bitmap = 0;
	m->sys_state = TDX_SYSCONFIG_DONE;
	return TDX_SUCCESS;
}

u64 tdh_sys_config(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	u64 err;

	if (!sys_lock(c, LOCK_EXCLUSIVE))
		return TDX_SYS_BUSY;
	err = sys_config_locked(c, r->rcx, r->rdx, r->r8);
	sys_unlock(c, LOCK_EXCLUSIVE);
	return err;
}

/* ---- TDH.SYS.KEY.CONFIG ------------------------------------------------------ */

static u64 sys_key_config_locked(struct seam_ctx *c)
{
	struct tdx_module *m = c->m;
	u32 pkg = platform_lp_package(c->p, c->lp);
	u32 all = (1u << platform_get_config(c->p)->nr_packages) - 1;

	if (m->sys_state != TDX_SYSCONFIG_DONE)
		return TDX_SYS_KEY_CONFIG_NOT_PENDING;
	if (m->pkg_config_bitmap & (1u << pkg))
		return TDX_KEY_CONFIGURED;
	if (!seam_pconfig(c->p, pkg, m->global_hkid))
		return TDX_KEY_GENERATION_FAILED;
	m->pkg_config_bitmap |= 1u << pkg;
	if (m->pkg_config_bitmap == all)
		m->sys_state = TDX_SYS_READY;
	return TDX_SUCCESS;
}

u64 tdh_sys_key_config(struct seam_ctx *c)
{
	u64 err;

	if (!sys_lock(c, LOCK_EXCLUSIVE))
		return TDX_SYS_BUSY;
	err = sys_key_config_locked(c);
	sys_unlock(c, LOCK_EXCLUSIVE);
	return err;
}

/* ---- TDH.SYS.TDMR.INIT ------------------------------------------------------ */

#define TDMR_INIT_CHUNK	(4ULL << 20)	/* 1024 PAMT_4K entries per call */

static bool in_reserved_area(const struct tdmr *t, u64 pa)
{
	for (int j = 0; j < TDX_MAX_RESERVED_AREAS && t->rsvd[j].size; j++)
		if (pa - t->base >= t->rsvd[j].offset &&
		    pa - t->base < t->rsvd[j].offset + t->rsvd[j].size)
			return true;
	return false;
}

static void init_pamt_entries(struct seam_ctx *c, struct tdmr *t, int level, u64 from, u64 len)
{
	u64 first = (from - t->base) / pamt_granule[level];
	u64 n = (len + pamt_granule[level] - 1) / pamt_granule[level];
	struct pamt_entry *e = &t->pamt[level][first];

	for (u64 k = 0; k < n; k++) {
		u64 pa = from + k * pamt_granule[level];

		memset(&e[k], 0, sizeof(e[k]));
		if (level == TDX_PS_4K && in_reserved_area(t, pa))
			e[k].pt = PT_RSVD;
	}
	/* PAMT lines now carry the module's global private key. */
	for (u64 pg = (u64)&e[0] & ~(TDX_PAGE_SIZE - 1); pg < (u64)&e[n]; pg += TDX_PAGE_SIZE)
		seam_claim(c->p, t->pamt_base[level] + (pg - (u64)t->pamt[level]),
			   c->m->global_hkid);
}

u64 tdh_sys_tdmr_init(struct seam_ctx *c)
{
	u64 base = c->regs->rcx;
	struct tdmr *t = NULL;

	c->regs->rdx = 0;
	if (base & (TDX_PAGE_SIZE_1G - 1) || !pa_ok(c, base))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	for (u32 i = 0; i < c->m->nr_tdmrs; i++)
		if (c->m->tdmr[i].base == base)
			t = &c->m->tdmr[i];
	if (!t)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	if (!sharex_trylock(&t->init_lock, LOCK_EXCLUSIVE))
		return api_error(TDX_OPERAND_BUSY, TDX_OPERAND_ID_RCX);
	if (t->next_init >= t->base + t->size) {
		sharex_unlock(&t->init_lock, LOCK_EXCLUSIVE);
		return TDX_TDMR_ALREADY_INITIALIZED;
	}
	if (!((t->next_init - t->base) % TDX_PAGE_SIZE_1G))
		init_pamt_entries(c, t, TDX_PS_1G, t->next_init, TDX_PAGE_SIZE_1G);
	init_pamt_entries(c, t, TDX_PS_2M, t->next_init, TDMR_INIT_CHUNK);
	init_pamt_entries(c, t, TDX_PS_4K, t->next_init, TDMR_INIT_CHUNK);
	t->next_init += TDMR_INIT_CHUNK;
	c->regs->rdx = t->next_init & ~(TDX_PAGE_SIZE_1G - 1);
	atomic_store_explicit(&t->usable_end, c->regs->rdx, memory_order_release);
	sharex_unlock(&t->init_lock, LOCK_EXCLUSIVE);
	return TDX_SUCCESS;
}

/* ---- TDH.SYS.INFO ------------------------------------------------------------ */

static void fill_tdsysinfo(struct platform *plat, struct tdsysinfo *si)
{
	memset(si, 0, sizeof(*si));
	si->vendor_id = MODULE_VENDOR_ID;
	si->build_date = MODULE_BUILD_DATE;
	si->build_num = MODULE_BUILD_NUM;
	si->minor_version = MODULE_MINOR_VERSION;
	si->major_version = MODULE_MAJOR_VERSION;
	si->sys_rd = 1;
	si->max_tdmrs = TDX_MAX_TDMRS;
	si->max_reserved_per_tdmr = TDX_MAX_RESERVED_AREAS;
	si->pamt_entry_size = TDX_PAMT_ENTRY_SIZE;
	si->tdcs_base_size = MIN_NUM_TDCS_PAGES * TDX_PAGE_SIZE;
	si->tdvps_base_size = MIN_TDVPS_PAGES * TDX_PAGE_SIZE;
	si->attributes_fixed0 = TDX_ATTRIBUTES_FIXED0;
	si->attributes_fixed1 = TDX_ATTRIBUTES_FIXED1;
	si->xfam_fixed0 = TDX_XFAM_FIXED0;
	si->xfam_fixed1 = TDX_XFAM_FIXED1;
	si->num_cpuid_config = TDX_MAX_NUM_CPUID_CONFIG;
	for (int i = 0; i < TDX_MAX_NUM_CPUID_CONFIG; i++) {
		const struct cpuid_config *cc = &cpuid_configs[i];
		struct tdx_cpuid_value m = cpuid_config_mask(plat, i);

		si->cpuid_config[i].leaf = cc->leaf;
		si->cpuid_config[i].subleaf = cc->subleaf;
		si->cpuid_config[i].eax = m.eax;
		si->cpuid_config[i].ebx = m.ebx;
		si->cpuid_config[i].ecx = m.ecx;
		si->cpuid_config[i].edx = m.edx;
	}
}

u64 tdh_sys_info(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	u64 si_pa = r->rcx, si_len = r->rdx, cmr_pa = r->r8, nr_cmrs = r->r9;
	struct cmr_info cmrs[TDX_MAX_CMRS] = {
		{ PLATFORM_MEM_BASE, platform_get_config(c->p)->mem_size },
	};
	struct tdsysinfo si;

	r->rdx = r->r9 = 0;
	if (!c->m->lp[c->lp].lp_init_done)
		return TDX_SYS_LP_INIT_NOT_DONE;
	if (!hpa_is_valid_shared(c, si_pa, sizeof(si)))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	if (si_len < sizeof(si))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	memset(&si, 0, sizeof(si));
	seam_write_shared(c->p, si_pa, &si, sizeof(si));
	if (!hpa_is_valid_shared(c, cmr_pa, 512) ||
	    !platform_hpa_in_memory(c->p, platform_hpa_strip_keyid(c->p, cmr_pa), sizeof(cmrs)))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R8);
	if (nr_cmrs < TDX_MAX_CMRS)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R9);
	fill_tdsysinfo(c->p, &si);
	seam_write_shared(c->p, si_pa, &si, sizeof(si));
	seam_write_shared(c->p, cmr_pa, cmrs, sizeof(cmrs));
	r->rdx = sizeof(si);
	r->r9 = TDX_MAX_CMRS;
	return TDX_SUCCESS;
}
