// SPDX-License-Identifier: MIT
/*
 * TDH.VP.ENTER: runs a TD vCPU on the calling logical processor until a TD
 * exit, and reports the exit as the module does (tdh_vp_enter.c and
 * td_exit.c in intel/tdx-module): the TDVPR locked shared, the vCPU
 * associated with this LP, the TD's epoch reference held while it runs, and
 * the guest registers a TDVMCALL selected handed over in both directions.
 */
#include "module_internal.h"

#include <stdio.h>

#define VP_ENTER_RESERVED	(0xFFFULL | (0x3FFULL << 54))
#define TDX_EFER_INITIAL	0x901ULL	/* SCE | LME | NXE */
#define TDVMCALL_MASK_INVALID	((1ULL << 0) | (1ULL << 1) | (1ULL << 4))

/* seamcall_regs fields by GPR number (no RSP, no RBP: the host never sees them). */
static u64 *host_gpr(struct seamcall_regs *r, int i)
{
	switch (i) {
	case CPU_RAX: return &r->rax;
	case CPU_RCX: return &r->rcx;
	case CPU_RDX: return &r->rdx;
	case CPU_RBX: return &r->rbx;
	case CPU_RSI: return &r->rsi;
	case CPU_RDI: return &r->rdi;
	case CPU_R8: return &r->r8;
	case CPU_R9: return &r->r9;
	case CPU_R10: return &r->r10;
	case CPU_R11: return &r->r11;
	case CPU_R12: return &r->r12;
	case CPU_R13: return &r->r13;
	case CPU_R14: return &r->r14;
	case CPU_R15: return &r->r15;
	default: return NULL;
	}
}

/* The state TDH.VP.INIT left in the TDVPS, onto a fresh core. */
static void load_initial_state(struct td_vcpu *v)
{
	struct tdvps *t = v->tdvps;
	struct cpu_regs r;

	cpu_core_get_regs(v->core, &r);
	memcpy(r.gpr, t->gpr, sizeof(r.gpr));
	r.rip = t->rip;
	r.rflags = t->rflags;
	r.cr0 = t->cr0;
	r.cr3 = t->cr3;
	/* CR4.VMXE (bit 13) is the module's, not something the core models. */
	r.cr4 = t->cr4 & ~(1ULL << 13);
	cpu_core_set_regs(v->core, &r);
	cpu_core_set_protected_mode(v->core, TDX_EFER_INITIAL);
	v->started = true;
}

/* After a TDVMCALL exit: the host's values of the selected GPRs, RAX = 0. */
static void complete_tdvmcall(struct td_vcpu *v, struct seamcall_regs *host)
{
	struct cpu_regs r;
	u64 mask;

	cpu_core_get_regs(v->core, &r);
	mask = r.gpr[CPU_RCX];
	for (int i = CPU_RDX; i < CPU_NR_GPRS; i++) {
		u64 *h = host_gpr(host, i);

		if ((mask >> i & 1) && h)
			r.gpr[i] = *h;
	}
	r.gpr[CPU_RAX] = TDX_SUCCESS;
	cpu_core_set_regs(v->core, &r);
}

/* Association with this LP, as associate_vcpu() does it. */
static u64 associate(struct seam_ctx *c, struct vp_ref *vp)
{
	u32 none = NO_LP;

	if (!atomic_compare_exchange_strong(&vp->tdvps->assoc_lpid, &none, c->lp)) {
		if (none != c->lp)
			return TDX_VCPU_ASSOCIATED;
	} else {
		atomic_fetch_add(&vp->td.tdcs->num_assoc_vcpus, 1);
	}
	return TDX_SUCCESS;
}

/* Takes a reference on the current TD epoch; a new epoch flushes the core's TLB. */
static bool enter_epoch(struct vp_ref *vp, struct td_vcpu *v)
{
	struct tdcs *tdcs = vp->td.tdcs;
	u64 epoch;

	if (!sharex_trylock(&tdcs->epoch_lock, LOCK_SHARED))
		return false;
	epoch = tdcs->td_epoch;
	atomic_fetch_add(&tdcs->refcount[epoch & 1], 1);
	sharex_unlock(&tdcs->epoch_lock, LOCK_SHARED);
	if (epoch != vp->tdvps->vcpu_epoch) {
		cpu_core_flush_tlb(v->core);
		vp->tdvps->vcpu_epoch = epoch;
	}
	return true;
}

static void leave_epoch(struct vp_ref *vp)
{
	atomic_fetch_sub(&vp->td.tdcs->refcount[vp->tdvps->vcpu_epoch & 1], 1);
}

/* What the run ended with, as TDH.VP.ENTER's outputs. */
static void report_exit(struct seam_ctx *c, struct td_vcpu *v, enum cpu_run_result res)
{
	switch (res) {
	case CPU_RUN_EXIT:
		*c->regs = v->exit;
		break;
	case CPU_RUN_KICKED:
		*c->regs = (struct seamcall_regs){ .rax = VMX_EXIT_EXTERNAL_INTERRUPT };
		v->tdvps->last_td_exit = LAST_EXIT_ASYNC_FAULT;
		break;
	case CPU_RUN_SHUTDOWN:
		*c->regs = (struct seamcall_regs){
			.rax = TDX_NON_RECOVERABLE_VCPU | VMX_EXIT_TRIPLE_FAULT,
		};
		v->tdvps->state = VCPU_DISABLED;
		break;
	case CPU_RUN_FAILED:
		fprintf(stderr, "softtdx: TD vCPU 0x%llx: %s\n",
			(unsigned long long)v->tdvpr_pa, cpu_core_error(v->core));
		td_mark_fatal(v->td.tdr);
		*c->regs = (struct seamcall_regs){ .rax = TDX_NON_RECOVERABLE_TD };
		break;
	}
}

static u64 run(struct seam_ctx *c, struct vp_ref *vp, struct td_vcpu *v)
{
	struct seamcall_regs host = *c->regs;
	enum cpu_run_result res;

	v->lp = c->lp;
	v->td = vp->td;
	v->tdvps = vp->tdvps;
	if (!v->started)
		load_initial_state(v);
	else if (vp->tdvps->last_td_exit == LAST_EXIT_TDVMCALL)
		complete_tdvmcall(v, &host);
	vp->tdvps->state = VCPU_ACTIVE;
	/*
	 * Running on the LP before the posted interrupts are taken: one posted
	 * after td_apic_entry() read them then kicks this core (cpu_core_run()
	 * sees the kick), as the notification IPI reaches a CPU in VMX
	 * non-root mode.  The other order lost such an interrupt until the
	 * next exit, forever for a vCPU that polled for it.
	 */
	seam_lp_running(c->p, c->lp, v->core, true);
	td_apic_entry(v);
	res = cpu_core_run(v->core);
	seam_lp_running(c->p, c->lp, v->core, false);
	vp->tdvps->pend_nmi = cpu_core_nmi_pending(v->core);
	if (vp->tdvps->state == VCPU_ACTIVE)
		vp->tdvps->state = VCPU_READY;
	report_exit(c, v, res);
	return c->regs->rax;
}

u64 tdh_vp_enter(struct seam_ctx *c)
{
	u64 flags = c->regs->rcx, tdvpr_pa = flags & TDX_VP_ENTER_TDVPR_MASK, err;
	struct td_vcpu *v;
	struct vp_ref vp;

	if (flags & VP_ENTER_RESERVED)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	err = vp_lock(c, tdvpr_pa, TDX_OPERAND_ID_RCX, LOCK_SHARED, TDH_VP_ENTER, &vp);
	if (err)
		return err;
	if (vp.tdvps->num_tdvps_pages < MIN_TDVPS_PAGES)
		err = TDX_TDCX_NUM_INCORRECT;
	else if (vp.tdvps->state != VCPU_READY)
		err = TDX_VCPU_STATE_INCORRECT;
	else
		err = associate(c, &vp);
	/* No trap-like exit ever happened and there is no L2: both flags are invalid. */
	if (!err && (flags & (TDX_VP_ENTER_RECOVERABILITY | TDX_VP_ENTER_RESUME_L1)) &&
	    ((flags & TDX_VP_ENTER_RESUME_L1) ||
	     vp.tdvps->last_td_exit != LAST_EXIT_ASYNC_TRAP))
		err = api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	v = err ? NULL : td_vcpu_get(c->m, vp.td.tdr_pa, tdvpr_pa);
	if (!err && !v)
		err = TDX_SYS_BUSY;	/* the platform could not give this vCPU a core */
	if (!err && !enter_epoch(&vp, v))
		err = api_error(TDX_OPERAND_BUSY, TDX_OPERAND_ID_TD_EPOCH);
	if (err) {
		vp_release(&vp);
		return err;
	}
	/* The OP_STATE lock is only for the entry checks. */
	sharex_unlock(vp.td.op_lock, vp.td.op_mode);
	vp.td.op_lock = NULL;
	err = run(c, &vp, v);
	leave_epoch(&vp);
	vp_release(&vp);
	return err;
}
