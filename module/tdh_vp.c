// SPDX-License-Identifier: MIT
/*
 * TDH.VP.*: vCPU creation (CREATE, ADDCX, INIT) and TDH.VP.FLUSH.  A vCPU's
 * state lives in its TDVPS pages: TDVPR first, then TDCX pages.
 * TDH.VP.ENTER, which runs it, is in tdh_vp_enter.c.
 */
#include "module_internal.h"

#define INITIAL_RIP	0xFFFFFFF0ULL
#define INITIAL_CR0	0x21ULL
#define INITIAL_CR4	0x2040ULL
#define INITIAL_CS_AR	0xC09BULL
#define INITIAL_DR6	0xFFFF0FF0ULL
#define INITIAL_FMASK	0x20200ULL

enum gpr { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8 };

void vp_release(struct vp_ref *vp)
{
	td_release(&vp->td);
	if (vp->tdvps)
		pamt_unlock_page(&vp->tdvpr_lock);
	vp->tdvps = NULL;
}

u64 vp_lock(struct seam_ctx *c, u64 tdvpr_pa, u64 opnd, enum lock_mode mode,
		   u32 leaf, struct vp_ref *vp)
{
	struct pamt_lock tdr_lock;
	u64 err, tdr_pa;

	memset(vp, 0, sizeof(*vp));
	err = check_and_lock_hpa(c, tdvpr_pa, PT_TDVPR, mode, opnd, &vp->tdvpr_lock);
	if (err)
		return err;
	vp->tdvpr_pa = tdvpr_pa;
	tdr_pa = pamt_owner(pamt_leaf(&vp->tdvpr_lock));
	err = pamt_lock_page(c->m, tdr_pa, TDX_PS_4K, LOCK_SHARED, TDX_OPERAND_ID_TDR, &tdr_lock);
	if (err) {
		pamt_unlock_page(&vp->tdvpr_lock);
		return err;
	}
	vp->td.tdr_pa = tdr_pa;
	vp->td.tdr_lock = tdr_lock;
	vp->td.tdr = seam_page(c->p, tdr_pa);
	vp->tdvps = td_map_private(c, vp->td.tdr, tdvpr_pa);
	if (!vp->tdvps) {
		td_release(&vp->td);
		pamt_unlock_page(&vp->tdvpr_lock);
		return TDX_TD_FATAL;
	}
	if (leaf == ~0u)
		return TDX_SUCCESS;
	err = td_check_state(c, &vp->td, leaf, LOCK_SHARED);
	if (err)
		vp_release(vp);
	return err;
}

/* ---- TDH.VP.CREATE ------------------------------------------------------------ */

u64 tdh_vp_create(struct seam_ctx *c)
{
	u64 tdvpr_pa = c->regs->rcx;
	struct pamt_lock pl;
	struct tdvps *tdvps;
	struct td_ref td;
	u64 err;

	err = td_lock_and_check(c, c->regs->rdx, TDX_OPERAND_ID_RDX, LOCK_SHARED,
				TDH_VP_CREATE, LOCK_SHARED, &td);
	if (err)
		return err;
	err = check_and_lock_hpa(c, tdvpr_pa, PT_NDA, LOCK_EXCLUSIVE, TDX_OPERAND_ID_RCX, &pl);
	if (!err) {
		seam_init_page(c, tdvpr_pa, td_hkid(&td), 0);
		tdvps = seam_page(c->p, tdvpr_pa);
		tdvps->num_tdvps_pages = 1;
		tdvps->tdvpx_pa[0] = tdvpr_pa;
		tdvps->assoc_lpid = NO_LP;
		tdvps->state = VCPU_UNINITIALIZED;
		atomic_fetch_add(&td.tdr->chldcnt, 1);
		pamt_leaf(&pl)->pt = PT_TDVPR;
		pamt_set_owner(pamt_leaf(&pl), td.tdr_pa);
		pamt_leaf(&pl)->bepoch = 0;
		pamt_unlock_page(&pl);
	}
	td_release(&td);
	return err;
}

/* ---- TDH.VP.ADDCX ------------------------------------------------------------- */

u64 tdh_vp_addcx(struct seam_ctx *c)
{
	u64 tdcx_pa = c->regs->rcx;
	struct pamt_lock pl;
	struct vp_ref vp;
	u64 err;

	err = vp_lock(c, c->regs->rdx, TDX_OPERAND_ID_RDX, LOCK_EXCLUSIVE, TDH_VP_ADDCX, &vp);
	if (err)
		return err;
	if (vp.tdvps->state != VCPU_UNINITIALIZED)
		err = TDX_VCPU_STATE_INCORRECT;
	else if (vp.tdvps->num_tdvps_pages >= MAX_TDVPS_PAGES)
		err = TDX_TDCX_NUM_INCORRECT;
	else
		err = check_and_lock_hpa(c, tdcx_pa, PT_NDA, LOCK_EXCLUSIVE,
					 TDX_OPERAND_ID_RCX, &pl);
	if (!err) {
		seam_init_page(c, tdcx_pa, td_hkid(&vp.td), 0);
		vp.tdvps->tdvpx_pa[vp.tdvps->num_tdvps_pages++] = tdcx_pa;
		atomic_fetch_add(&vp.td.tdr->chldcnt, 1);
		pamt_leaf(&pl)->pt = PT_TDCX;
		pamt_set_owner(pamt_leaf(&pl), vp.td.tdr_pa);
		pamt_leaf(&pl)->bepoch = 0;
		pamt_unlock_page(&pl);
	}
	vp_release(&vp);
	return err;
}

/* ---- TDH.VP.INIT -------------------------------------------------------------- */

static void init_vcpu_state(struct seam_ctx *c, struct td_ref *td, struct tdvps *v,
			    u64 initial_rcx, u32 index)
{
	struct tdcs *tdcs = td->tdcs;

	memset(v->gpr, 0, sizeof(v->gpr));
	v->gpr[RCX] = initial_rcx;
	v->gpr[R8] = initial_rcx;
	v->gpr[RBX] = tdcs->gpaw ? 52 : 48;
	v->gpr[RDX] = tdcs->cpuid_values[0].eax;	/* CPUID(1).EAX */
	v->gpr[RSI] = index;
	v->rip = INITIAL_RIP;
	v->rflags = 2;
	v->cr0 = INITIAL_CR0;
	v->cr3 = 0;
	v->cr4 = INITIAL_CR4;
	v->xcr0 = 1;
	v->dr6 = INITIAL_DR6;
	v->ia32_fmask = INITIAL_FMASK;
	v->cs_limit = 0xFFFFFFFF;
	v->cs_ar = INITIAL_CS_AR;
	v->vcpu_index = index;
	v->vcpu_epoch = 0;
	v->state = VCPU_READY;
	v->assoc_lpid = c->lp;
	atomic_fetch_add(&tdcs->num_assoc_vcpus, 1);
}

u64 tdh_vp_init(struct seam_ctx *c)
{
	u64 initial_rcx = c->regs->rdx, x2apic_id = c->regs->r8;
	struct vp_ref vp;
	u32 index;
	u64 err;

	if (c->version > 1)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
	err = vp_lock(c, c->regs->rcx, TDX_OPERAND_ID_RCX, LOCK_EXCLUSIVE, TDH_VP_INIT, &vp);
	if (err)
		return err;
	if (vp.tdvps->num_tdvps_pages < MIN_TDVPS_PAGES) {
		err = TDX_TDCX_NUM_INCORRECT;
	} else if (vp.tdvps->state != VCPU_UNINITIALIZED) {
		err = TDX_VCPU_STATE_INCORRECT;
	} else {
		index = atomic_fetch_add(&vp.td.tdcs->num_vcpus, 1);
		if (index >= vp.td.tdcs->max_vcpus) {
			atomic_fetch_sub(&vp.td.tdcs->num_vcpus, 1);
			err = TDX_MAX_VCPUS_EXCEEDED;
		} else {
			init_vcpu_state(c, &vp.td, vp.tdvps, initial_rcx, index);
			/* Version 1 (newer modules, Linux >= 6.16) passes the x2APIC ID. */
			vp.tdvps->x2apic_id = c->version ? x2apic_id : index;
		}
	}
	vp_release(&vp);
	return err;
}

/* ---- TDH.VP.FLUSH ------------------------------------------------------------- */

u64 tdh_vp_flush(struct seam_ctx *c)
{
	struct tdr *tdr;
	struct tdcs *tdcs;
	struct vp_ref vp;
	u64 err;

	err = vp_lock(c, c->regs->rcx, TDX_OPERAND_ID_RCX, LOCK_EXCLUSIVE, ~0u, &vp);
	if (err)
		return err;
	tdr = vp.td.tdr;
	if (tdr->lifecycle != TD_KEYS_CONFIGURED)
		err = TDX_TD_KEYS_NOT_CONFIGURED;
	else if (vp.tdvps->num_tdvps_pages < MIN_TDVPS_PAGES)
		err = TDX_TDCX_NUM_INCORRECT;
	else if (vp.tdvps->assoc_lpid != c->lp)
		err = TDX_VCPU_NOT_ASSOCIATED;
	if (!err) {
		tdcs = td_map_private(c, tdr, tdr->tdcx_pa[0]);
		vp.tdvps->assoc_lpid = NO_LP;
		if (tdcs)
			atomic_fetch_sub(&tdcs->num_assoc_vcpus, 1);
	}
	vp_release(&vp);
	return err;
}
