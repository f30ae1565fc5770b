// SPDX-License-Identifier: MIT
/*
 * TDH.MNG.*: a TD's life from TDR to teardown: CREATE (HKID), KEY.CONFIG
 * (per package), ADDCX (TDCS pages), INIT (TD_PARAMS), and the teardown
 * steps VPFLUSHDONE, KEY.FREEID and KEY.RECLAIMID.
 */
#include "module_internal.h"

static u32 all_packages(struct seam_ctx *c)
{
	return (1u << platform_get_config(c->p)->nr_packages) - 1;
}

static void pamt_assign(struct pamt_lock *pl, enum tdx_page_type pt, u64 owner)
{
	struct pamt_entry *e = pamt_leaf(pl);

	e->pt = pt;
	pamt_set_owner(e, owner);
	e->bepoch = 0;
}

/* ---- TDH.MNG.CREATE ------------------------------------------------------------ */

u64 tdh_mng_create(struct seam_ctx *c)
{
	u64 tdr_pa = c->regs->rcx, hkid = c->regs->rdx;
	struct tdx_module *m = c->m;
	struct pamt_lock pl;
	struct tdr *tdr;
	u64 err;

	if (hkid >> 16 || hkid < m->hkid_min || hkid > m->hkid_max)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	err = check_and_lock_hpa(c, tdr_pa, PT_NDA, LOCK_EXCLUSIVE, TDX_OPERAND_ID_RCX, &pl);
	if (err)
		return err;
	if (!sharex_trylock(&m->kot_lock, LOCK_EXCLUSIVE)) {
		err = api_error(TDX_OPERAND_BUSY, TDX_OPERAND_ID_KOT);
		goto out_pamt;
	}
	if (m->kot[hkid].state != KOT_STATE_HKID_FREE) {
		err = TDX_HKID_NOT_FREE;
		goto out_kot;
	}
	seam_init_page(c, tdr_pa, m->global_hkid, 0);
	tdr = seam_page(c->p, tdr_pa);
	if (!seam_rng(c->p, tdr->td_uuid, sizeof(tdr->td_uuid))) {
		err = TDX_RND_NO_ENTROPY;
		goto out_kot;
	}
	tdr->hkid = (u16)hkid;
	tdr->lifecycle = TD_HKID_ASSIGNED;
	m->kot[hkid].state = KOT_STATE_HKID_ASSIGNED;
	pamt_assign(&pl, PT_TDR, 0);
out_kot:
	sharex_unlock(&m->kot_lock, LOCK_EXCLUSIVE);
out_pamt:
	pamt_unlock_page(&pl);
	return err;
}

/* ---- TDH.MNG.KEY.CONFIG ----------------------------------------------------------- */

u64 tdh_mng_key_config(struct seam_ctx *c)
{
	u32 pkg = platform_lp_package(c->p, c->lp);
	struct td_ref td;
	u64 err;

	err = td_lock_tdr(c, c->regs->rcx, LOCK_EXCLUSIVE, TDX_OPERAND_ID_RCX, &td);
	if (err)
		return err;
	if (td.tdr->fatal)
		err = TDX_TD_FATAL;
	else if (td.tdr->lifecycle != TD_HKID_ASSIGNED)
		err = TDX_LIFECYCLE_STATE_INCORRECT;
	else if (td.tdr->pkg_config_bitmap & (1u << pkg))
		err = TDX_KEY_CONFIGURED;
	else if (!seam_pconfig(c->p, pkg, td.tdr->hkid))
		err = TDX_KEY_GENERATION_FAILED;
	if (!err) {
		td.tdr->pkg_config_bitmap |= 1u << pkg;
		if (td.tdr->pkg_config_bitmap == all_packages(c))
			td.tdr->lifecycle = TD_KEYS_CONFIGURED;
	}
	td_release(&td);
	return err;
}

/* ---- TDH.MNG.ADDCX ---------------------------------------------------------------- */

static u64 addcx_locked(struct seam_ctx *c, struct td_ref *td, u64 tdcx_pa)
{
	struct tdr *tdr = td->tdr;
	u32 idx = tdr->num_tdcx;
	u8 mig_key[32];
	struct pamt_lock pl;
	struct tdcs *tdcs;
	u64 err;

	if (tdr->fatal)
		return TDX_TD_FATAL;
	if (tdr->lifecycle != TD_KEYS_CONFIGURED)
		return TDX_TD_KEYS_NOT_CONFIGURED;
	if (idx >= MAX_NUM_TDCS_PAGES)
		return TDX_TDCX_NUM_INCORRECT;
	err = check_and_lock_hpa(c, tdcx_pa, PT_NDA, LOCK_EXCLUSIVE, TDX_OPERAND_ID_RCX, &pl);
	if (err)
		return err;
	/* The last required page completes the TDCS: draw its migration key. */
	if (idx + 1 == MIN_NUM_TDCS_PAGES && !seam_rng(c->p, mig_key, sizeof(mig_key))) {
		pamt_unlock_page(&pl);
		return TDX_RND_NO_ENTROPY;
	}
	/* Beyond the minimum, OP_STATE is readable and must still be U. */
	if (idx >= MIN_NUM_TDCS_PAGES) {
		tdcs = td_map_private(c, tdr, tdr->tdcx_pa[0]);
		if (!tdcs)
			err = TDX_TD_FATAL;
		else if (!op_state_allows(TDH_MNG_ADDCX, tdcs->op_state))
			err = TDX_OP_STATE_INCORRECT;
		if (err) {
			pamt_unlock_page(&pl);
			return err;
		}
	}
	seam_init_page(c, tdcx_pa, tdr->hkid, idx == TDCS_PAGE_MSR_BITMAPS ? 0xFF : 0);
	if (idx == TDCS_PAGE_SEPT_ROOT)
		sept_init_table(seam_page(c->p, tdcx_pa));
	if (idx + 1 == MIN_NUM_TDCS_PAGES) {
		tdcs = seam_page(c->p, tdr->tdcx_pa[0]);
		memcpy(tdcs->mig_enc_key, mig_key, sizeof(mig_key));
	}
	tdr->tdcx_pa[idx] = tdcx_pa;
	tdr->num_tdcx = idx + 1;
	atomic_fetch_add(&tdr->chldcnt, 1);
	pamt_assign(&pl, PT_TDCX, td->tdr_pa);
	pamt_unlock_page(&pl);
	return TDX_SUCCESS;
}

u64 tdh_mng_addcx(struct seam_ctx *c)
{
	struct td_ref td;
	u64 err;

	err = td_lock_tdr(c, c->regs->rdx, LOCK_EXCLUSIVE, TDX_OPERAND_ID_RDX, &td);
	if (err)
		return err;
	err = addcx_locked(c, &td, c->regs->rcx);
	td_release(&td);
	return err;
}

/* ---- TDH.MNG.INIT ----------------------------------------------------------------- */

#define EPTP_AD_SSS		(3ULL << 6)
#define EPTP_RSVD_11_8		(0xFULL << 8)
#define EPTP_PWL(e)		((((e) >> TDX_EPTP_PWL_SHIFT) & 7) + 1)
#define MAX_PWL			5	/* the platform supports 5-level EPT */

static bool attributes_valid(u64 a)
{
	if ((a & ~TDX_ATTRIBUTES_FIXED0) || (a & TDX_ATTRIBUTES_FIXED1) != TDX_ATTRIBUTES_FIXED1)
		return false;
	return !((a & TDX_ATTR_MIGRATABLE) && (a & (TDX_ATTR_DEBUG | TDX_ATTR_PERFMON)));
}

static bool all_or_none(u64 v, u64 bits)
{
	return (v & bits) == 0 || (v & bits) == bits;
}

static bool xfam_valid(u64 x)
{
	if ((x & ~TDX_XFAM_FIXED0) || (x & TDX_XFAM_FIXED1) != TDX_XFAM_FIXED1)
		return false;
	if (!all_or_none(x, TDX_XFAM_AVX512) || !all_or_none(x, TDX_XFAM_CET) ||
	    !all_or_none(x, TDX_XFAM_AMX))
		return false;
	return !((x & TDX_XFAM_AVX512) && !(x & TDX_XFAM_AVX));
}

static bool eptp_controls_valid(u64 e, bool gpaw)
{
	u64 pwl = EPTP_PWL(e);

	if ((e & 7) != TDX_EPTP_MT_WB || pwl < 4 || pwl > MAX_PWL)
		return false;
	if (e & (EPTP_AD_SSS | EPTP_RSVD_11_8 | ~0xFFFULL))
		return false;
	return !(gpaw && pwl < 5);
}

static bool all_zero(const void *p, size_t n)
{
	const u8 *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static u64 check_td_params(struct seam_ctx *c, const struct td_params *tp, u32 num_tdcx)
{
	if (!attributes_valid(tp->attributes))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_ATTRIBUTES);
	if (!xfam_valid(tp->xfam))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_XFAM);
	if (!tp->max_vcpus)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_MAX_VCPUS);
	/* This module has no TD partitioning: no L2 VMs. */
	if (tp->num_l2_vms)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_NUM_L2_VMS);
	if (num_tdcx < MIN_NUM_TDCS_PAGES + (u32)tp->num_l2_vms)
		return TDX_TDCS_NOT_ALLOCATED;
	if (tp->reserved0)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	if (tp->config_flags & ~TDX_CONFIG_FLAGS_VALID)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_EXEC_CONTROLS);
	if (!eptp_controls_valid(tp->eptp_controls, tp->config_flags & TDX_CONFIG_FLAGS_GPAW))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_EPTP_CONTROLS);
	if (tp->tsc_frequency < TDX_TSC_FREQ_MIN || tp->tsc_frequency > TDX_TSC_FREQ_MAX)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_TSC_FREQUENCY);
	if (!all_zero(tp->reserved1, sizeof(tp->reserved1)) || (tp->msr_config_ctls & 0xFE) ||
	    !all_zero(tp->reserved2, sizeof(tp->reserved2)))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	for (int i = 0; i < TDX_MAX_NUM_CPUID_CONFIG; i++) {
		const struct tdx_cpuid_value *v = &tp->cpuid_values[i];
		const struct cpuid_config *cc = &cpuid_configs[i];
		struct tdx_cpuid_value m = cpuid_config_mask(c->p, i);

		if ((v->eax & ~m.eax) || (v->ebx & ~m.ebx) || (v->ecx & ~m.ecx) || (v->edx & ~m.edx)) {
			c->regs->rcx = cc->leaf | (u64)cc->subleaf << 32;
			return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_CPUID_CONFIG);
		}
	}
	if (!all_zero(&tp->cpuid_values[TDX_MAX_NUM_CPUID_CONFIG],
		      sizeof(tp->cpuid_values) - TDX_MAX_NUM_CPUID_CONFIG * sizeof(tp->cpuid_values[0])))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	/* No IA32_ARCH_CAPABILITIES bit is configurable on this platform. */
	if (tp->ia32_arch_capabilities_config)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_IA32_ARCH_CAP);
	if ((tp->attributes & TDX_ATTR_MIGRATABLE) && tp->num_l2_vms)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	return TDX_SUCCESS;
}

static void apply_td_params(struct seam_ctx *c, struct td_ref *td, const struct td_params *tp,
			    struct mr_log *log)
{
	struct tdcs *t = td->tdcs;

	t->attributes = tp->attributes;
	t->xfam = tp->xfam;
	t->max_vcpus = tp->max_vcpus;
	t->gpaw = !!(tp->config_flags & TDX_CONFIG_FLAGS_GPAW);
	t->pwl = (u8)EPTP_PWL(tp->eptp_controls);
	t->eptp = tp->eptp_controls | td->tdr->tdcx_pa[TDCS_PAGE_SEPT_ROOT];
	t->config_flags = tp->config_flags;
	t->td_ctls = !!(tp->attributes & TDX_ATTR_SEPT_VE_DISABLE);
	t->tsc_frequency = tp->tsc_frequency;
	td_tsc_init(t);
	t->ia32_arch_capabilities_config = tp->ia32_arch_capabilities_config;
	memcpy(t->mrconfigid, tp->mrconfigid, sizeof(t->mrconfigid));
	memcpy(t->mrowner, tp->mrowner, sizeof(t->mrowner));
	memcpy(t->mrownerconfig, tp->mrownerconfig, sizeof(t->mrownerconfig));
	for (int i = 0; i < TDX_MAX_NUM_CPUID_CONFIG; i++) {
		const struct cpuid_config *cc = &cpuid_configs[i];
		const struct tdx_cpuid_value *in = &tp->cpuid_values[i];

		u32 nat[4];

		platform_cpuid(c->p, cc->leaf, cc->subleaf, nat);
		t->cpuid_values[i] = (struct tdx_cpuid_value){
			(nat[0] & ~cc->mask.eax) | in->eax,
			(nat[1] & ~cc->mask.ebx) | in->ebx,
			(nat[2] & ~cc->mask.ecx) | in->ecx,
			(nat[3] & ~cc->mask.edx) | in->edx,
		};
	}
	t->td_epoch = 1;
	t->refcount[0] = t->refcount[1] = 0;
	t->num_vcpus = 0;
	memset(t->rtmr, 0, sizeof(t->rtmr));
	mrtd_init(t, log);
	t->mr_xlat_gpa = ~0ULL;
	t->op_state = OP_STATE_INITIALIZED;
}

u64 tdh_mng_init(struct seam_ctx *c)
{
	u64 tdr_pa = c->regs->rcx, params_pa = c->regs->rdx;
	struct mr_log *log = NULL;
	struct td_params tp;
	struct td_ref td;
	u64 err;

	c->regs->rcx = 0;
	err = td_lock_excl_and_check(c, tdr_pa, TDX_OPERAND_ID_RCX, TDH_MNG_INIT, &td);
	if (err)
		return err;
	if (!hpa_is_valid_shared(c, params_pa, sizeof(tp)))
		err = api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	if (!err) {
		seam_read_shared(c->p, params_pa, &tp, sizeof(tp));
		err = check_td_params(c, &tp, td.tdr->num_tdcx);
	}
	if (!err && !(log = td_mr_log(c, &td)))
		err = TDX_TD_FATAL;
	if (!err)
		apply_td_params(c, &td, &tp, log);
	td_release(&td);
	return err;
}

/* ---- teardown --------------------------------------------------------------------- */

u64 tdh_mng_vpflushdone(struct seam_ctx *c)
{
	struct tdx_module *m = c->m;
	struct td_ref td;
	struct tdr *tdr;
	u64 err;

	err = td_lock_tdr(c, c->regs->rcx, LOCK_EXCLUSIVE, TDX_OPERAND_ID_RCX, &td);
	if (err)
		return err;
	tdr = td.tdr;
	if (!sharex_trylock(&m->kot_lock, LOCK_EXCLUSIVE)) {
		td_release(&td);
		return api_error(TDX_OPERAND_BUSY, TDX_OPERAND_ID_KOT);
	}
	if (tdr->lifecycle != TD_KEYS_CONFIGURED && tdr->lifecycle != TD_HKID_ASSIGNED) {
		err = TDX_LIFECYCLE_STATE_INCORRECT;
	} else if (tdr->num_tdcx >= MIN_NUM_TDCS_PAGES) {
		struct tdcs *tdcs = td_map_private(c, tdr, tdr->tdcx_pa[0]);

		if (tdcs && tdcs->op_state != OP_STATE_UNINITIALIZED &&
		    atomic_load(&tdcs->num_assoc_vcpus))
			err = TDX_FLUSHVP_NOT_DONE;
	}
	if (!err) {
		m->kot[tdr->hkid].wbinvd_bitmap = (u8)all_packages(c);
		m->kot[tdr->hkid].state = KOT_STATE_HKID_FLUSHED;
		tdr->lifecycle = TD_BLOCKED;
	}
	sharex_unlock(&m->kot_lock, LOCK_EXCLUSIVE);
	td_release(&td);
	return err;
}

u64 tdh_mng_key_freeid(struct seam_ctx *c)
{
	struct tdx_module *m = c->m;
	struct td_ref td;
	u64 err;

	err = td_lock_tdr(c, c->regs->rcx, LOCK_EXCLUSIVE, TDX_OPERAND_ID_RCX, &td);
	if (err)
		return err;
	if (td.tdr->lifecycle != TD_BLOCKED) {
		err = TDX_LIFECYCLE_STATE_INCORRECT;
	} else if (!sharex_trylock(&m->kot_lock, LOCK_EXCLUSIVE)) {
		err = api_error(TDX_OPERAND_BUSY, TDX_OPERAND_ID_KOT);
	} else {
		if (m->kot[td.tdr->hkid].wbinvd_bitmap) {
			err = TDX_WBCACHE_NOT_COMPLETE;
		} else {
			m->kot[td.tdr->hkid].state = KOT_STATE_HKID_FREE;
			td.tdr->lifecycle = TD_TEARDOWN;
		}
		sharex_unlock(&m->kot_lock, LOCK_EXCLUSIVE);
	}
	td_release(&td);
	return err;
}

/* A no-op in TDX 1.5: HKIDs are reclaimed by KEY.FREEID. */
u64 tdh_mng_key_reclaimid(struct seam_ctx *c)
{
	(void)c;
	return TDX_SUCCESS;
}
