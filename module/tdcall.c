// SPDX-License-Identifier: MIT
/*
 * TDCALL: the guest side of the module (tdx_td_dispatcher.c and
 * vm_exits/tdg_*.c in intel/tdx-module).  Runs on the vCPU's core thread
 * with the guest's registers; the status goes to guest RAX and RIP moves
 * past the TDCALL unless the leaf ends in a TD exit that retries it.
 */
#include "module_internal.h"

#include <stdio.h>

#define TDVMCALL_MASK_INVALID	((1ULL << CPU_RAX) | (1ULL << CPU_RCX) | (1ULL << CPU_RSP))
#define TDCALL_LEN		4
#define EFER_LMA		(1ULL << 10)
#define RTMR_ALIGN		64

/* ---- TDG.VP.VMCALL -------------------------------------------------------------- */

/*
 * A trap-like TD exit with the GPRs the guest's RCX mask selects; false
 * (and no exit) for a mask that selects RAX, RCX or RSP or sets bits 63:32.
 */
static bool tdg_vp_vmcall(struct td_vcpu *v, struct cpu_regs *r)
{
	u64 mask = r->gpr[CPU_RCX];
	u64 *out[CPU_NR_GPRS] = {
		[CPU_RDX] = &v->exit.rdx, [CPU_RBX] = &v->exit.rbx, [CPU_RSI] = &v->exit.rsi,
		[CPU_RDI] = &v->exit.rdi, [CPU_R8] = &v->exit.r8, [CPU_R9] = &v->exit.r9,
		[CPU_R10] = &v->exit.r10, [CPU_R11] = &v->exit.r11, [CPU_R12] = &v->exit.r12,
		[CPU_R13] = &v->exit.r13, [CPU_R14] = &v->exit.r14, [CPU_R15] = &v->exit.r15,
	};

	if ((mask & TDVMCALL_MASK_INVALID) || (mask >> 32))
		return false;
	v->exit = (struct seamcall_regs){ .rax = VMX_EXIT_TDCALL, .rcx = mask };
	for (int i = CPU_RDX; i < CPU_NR_GPRS; i++)
		if ((mask >> i & 1) && out[i])
			*out[i] = r->gpr[i];
	v->tdvps->last_td_exit = LAST_EXIT_TDVMCALL;
	r->rip += TDCALL_LEN;
	/* TDH.VP.ENTER puts the host's answer (and RAX = 0) into r. */
	td_exit(v);
	return true;
}

/* ---- TDG.VP.INFO, VEINFO.GET, CPUIDVE.SET ----------------------------------- */

static u64 tdg_vp_info(struct td_vcpu *v, struct cpu_regs *r)
{
	const struct tdcs *tdcs = v->td.tdcs;

	r->gpr[CPU_RCX] = tdcs->gpaw ? 52 : 48;
	r->gpr[CPU_RDX] = tdcs->attributes;
	r->gpr[CPU_R8] = (u64)atomic_load(&((struct tdcs *)tdcs)->num_vcpus) |
			 (u64)tdcs->max_vcpus << 32;
	r->gpr[CPU_R9] = v->tdvps->vcpu_index;
	r->gpr[CPU_R10] = 1;	/* TDG.SYS.RD is available */
	r->gpr[CPU_R11] = 0;
	return TDX_SUCCESS;
}

static u64 tdg_vp_veinfo_get(struct td_vcpu *v, struct cpu_regs *r)
{
	struct tdx_ve_info ve;

	memcpy(&ve, v->tdvps->ve_info, sizeof(ve));
	if (ve.valid != TDX_VE_INFO_VALID)
		return TDX_NO_VALID_VE_INFO;
	r->gpr[CPU_RCX] = ve.exit_reason;
	r->gpr[CPU_RDX] = ve.exit_qualification;
	r->gpr[CPU_R8] = ve.gla;
	r->gpr[CPU_R9] = ve.gpa;
	r->gpr[CPU_R10] = ve.instruction_length | (u64)ve.instruction_info << 32;
	ve.valid = 0;
	memcpy(v->tdvps->ve_info, &ve, sizeof(ve));
	return TDX_SUCCESS;
}

static u64 tdg_vp_cpuidve_set(struct td_vcpu *v, struct cpu_regs *r)
{
	if (r->gpr[CPU_RCX] & ~3ULL)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	v->tdvps->cpuid_supervisor_ve = r->gpr[CPU_RCX] & 1;
	v->tdvps->cpuid_user_ve = r->gpr[CPU_RCX] >> 1 & 1;
	return TDX_SUCCESS;
}

/* ---- TDG.MEM.PAGE.ACCEPT --------------------------------------------------------- */

static bool guest_accessible(enum sept_istate s)
{
	return s == SEPTI_MAPPED;
}

/* Where an ACCEPT found no PENDING page: the entry, for the host's exit. */
struct accept_miss {
	bool miss;
	u64 entry;
	int level;
};

/* The checks of tdg_mem_page_accept.c; the entry is locked on success. */
static u64 accept_entry(struct td_vcpu *v, struct seam_ctx *c, u64 gpa, int level,
			u64 **entry, struct accept_miss *miss)
{
	int reached;
	u64 val;

	*entry = sept_walk(c, &v->td, gpa, level, &reached);
	if (!*entry)
		return TDX_TD_FATAL;
	val = sept_entry_read(*entry);
	*miss = (struct accept_miss){ true, val, reached };
	if (reached != level) {
		if (guest_accessible(sept_state(val)))
			return api_error(TDX_PAGE_ALREADY_ACCEPTED, (u64)reached);
		return TDX_SUCCESS;
	}
	if (!sept_entry_trylock(*entry)) {
		miss->miss = false;
		return api_error(TDX_OPERAND_BUSY, TDX_OPERAND_ID_RCX);
	}
	val = sept_entry_read(*entry);
	miss->entry = val;
	if (sept_state(val) != SEPTI_FREE && !sept_is_leaf_state(sept_state(val))) {
		sept_entry_unlock(*entry);
		return api_error(TDX_PAGE_SIZE_MISMATCH, (u64)level);
	}
	if (guest_accessible(sept_state(val))) {
		sept_entry_unlock(*entry);
		return api_error(TDX_PAGE_ALREADY_ACCEPTED, (u64)level);
	}
	if (sept_state(val) != SEPTI_PENDING) {
		sept_entry_unlock(*entry);
		return TDX_SUCCESS;
	}
	miss->miss = false;
	return TDX_SUCCESS;
}

/*
 * The EPT violation an ACCEPT ends in (async_tdexit_ept_violation): a write,
 * and in RDX bits 63:32 the requested level and the level, state and
 * leafness of the entry where the walk stopped, so the host can AUG or split.
 */
static void accept_exit(struct td_vcpu *v, u64 gpa, int req_level, const struct accept_miss *m)
{
	u64 arch = sept_arch_entry(m->entry, m->level);
	u64 info = (u64)req_level | (u64)m->level << 3 |
		   (u64)sept_public_state(sept_state(m->entry)) << 6 |
		   (u64)sept_is_leaf_state(sept_state(m->entry)) << 14;

	td_exit_ept_violation(v, gpa, EPT_QUAL_WRITE | (arch & SEPT_RWX) << 3,
			      TDX_EXT_EXIT_QUAL_ACCEPT | info << 32);
}

static u64 tdg_mem_page_accept(struct td_vcpu *v, struct cpu_regs *r, bool *retry)
{
	struct seamcall_regs scratch;
	struct accept_miss miss;
	struct page_info pi;
	struct seam_ctx c;
	u64 *entry, val, hpa, err;

	td_vcpu_ctx(v, &c, &scratch);
	err = decode_page_info(&c, &v->td, r->gpr[CPU_RCX], 0, 1, &pi);
	if (err || !gpa_is_private(v->td.tdcs, pi.gpa))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	/*
	 * No S-EPT tree lock, as tdg_mem_page_accept.c takes none: the host
	 * restructures the tree (SEPT.REMOVE, PROMOTE, DEMOTE) only where it
	 * blocked and tracked, which waits for this vCPU to leave the TD, and
	 * only the entry's own lock contends.  With the tree lock, a BLOCK
	 * anywhere in the TD failed the guest's ACCEPT with BUSY, which real
	 * modules never return it, and Linux guests do not retry.
	 */
	err = accept_entry(v, &c, pi.gpa, pi.level, &entry, &miss);
	if (err || miss.miss) {
		if (!err) {
			/* Nothing to accept there yet: the host must AUG (or split) first. */
			*retry = true;
			accept_exit(v, pi.gpa, pi.level, &miss);
		}
		return err;
	}
	val = sept_entry_read(entry);
	hpa = sept_hpa(val);
	for (u64 i = 0; i < (pi.level ? 512 : 1); i++)
		seam_init_page(&c, hpa + i * TDX_PAGE_SIZE, v->td.tdr->hkid, 0);
	/* The page may have held this vCPU's code before it was removed. */
	cpu_core_host_wrote(v->core, hpa, pi.level ? TDX_PAGE_SIZE_2M : TDX_PAGE_SIZE);
	sept_entry_set_unlock(v->td.tdcs, entry, sept_make(SEPTI_MAPPED, hpa, pi.level));
	return TDX_SUCCESS;
}

/* ---- TDG.MR.RTMR.EXTEND -------------------------------------------------------- */

/*
 * The module's own view of private TD memory at @gpa (within one page):
 * the accepted page's storage, or NULL with the status in *err (@opnd names
 * the operand that gave the GPA).
 */
static u8 *private_at(struct td_vcpu *v, u64 gpa, u64 opnd, u64 *err)
{
	struct seamcall_regs scratch;
	struct seam_ctx c;
	u64 *entry, val, hpa, page;
	int level;

	td_vcpu_ctx(v, &c, &scratch);
	entry = sept_walk(&c, &v->td, gpa, 0, &level);
	if (!entry) {
		*err = TDX_TD_FATAL;
		return NULL;
	}
	val = sept_entry_read(entry);
	if (sept_state(val) != SEPTI_MAPPED) {
		*err = api_error(TDX_OPERAND_INVALID, opnd);
		return NULL;
	}
	hpa = sept_leaf_hpa(val, level, gpa);
	page = hpa & ~(TDX_PAGE_SIZE - 1);
	if (!seam_intact(c.p, page, v->td.tdr->hkid)) {
		*err = TDX_TD_FATAL;
		return NULL;
	}
	return (u8 *)seam_page(c.p, page) + (hpa & (TDX_PAGE_SIZE - 1));
}

static u64 read_private(struct td_vcpu *v, u64 gpa, void *dst, size_t len)
{
	u64 err = TDX_SUCCESS;
	u8 *src = private_at(v, gpa, TDX_OPERAND_ID_RCX, &err);

	if (src)
		memcpy(dst, src, len);
	return err;
}

static u64 tdg_mr_rtmr_extend(struct td_vcpu *v, struct cpu_regs *r)
{
	u64 gpa = r->gpr[CPU_RCX], index = r->gpr[CPU_RDX], err;
	struct tdcs *tdcs = v->td.tdcs;
	u8 buf[96];

	if ((gpa & (RTMR_ALIGN - 1)) || !gpa_is_private(tdcs, gpa))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	if (index >= 4)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	err = read_private(v, gpa, buf + 48, 48);
	if (err)
		return err;
	if (!sharex_trylock(&tdcs->rtmr_lock, LOCK_EXCLUSIVE))
		return api_error(TDX_OPERAND_BUSY, TDX_OPERAND_ID_RTMR);
	memcpy(buf, tdcs->rtmr[index], 48);
	SHA384(buf, sizeof(buf), tdcs->rtmr[index]);
	sharex_unlock(&tdcs->rtmr_lock, LOCK_EXCLUSIVE);
	return TDX_SUCCESS;
}

/* ---- TDG.MR.REPORT ---------------------------------------------------------------- */

/* What the module reports about itself: TEE_TCB_INFO and the CPU's SVN. */
static void tee_tcb_info(struct tdx_tee_tcb_info *t)
{
	static const char identity[] = "softtdx TDX module 1.5.1";

	memset(t, 0, sizeof(*t));
	t->valid = TDX_TEE_TCB_INFO_VALID;
	t->tee_tcb_svn[0] = MODULE_MINOR_VERSION;
	t->tee_tcb_svn[1] = MODULE_MAJOR_VERSION;
	SHA384((const u8 *)identity, sizeof(identity) - 1, t->mrseam);
	/* MRSIGNERSEAM stays zero: the module is Intel's (here, softtdx's own). */
}

static void tdinfo(const struct tdcs *tdcs, struct tdx_tdinfo *i)
{
	memset(i, 0, sizeof(*i));
	i->attributes = tdcs->attributes;
	i->xfam = tdcs->xfam;
	memcpy(i->mrtd, tdcs->mrtd, 48);
	memcpy(i->mrconfigid, tdcs->mrconfigid, 48);
	memcpy(i->mrowner, tdcs->mrowner, 48);
	memcpy(i->mrownerconfig, tdcs->mrownerconfig, 48);
	memcpy(i->rtmr, tdcs->rtmr, sizeof(i->rtmr));
	memcpy(i->servtd_hash, tdcs->servtd_hash, 48);
}

/* 64 bytes of REPORTDATA: private memory, or shared memory through the shared EPT. */
/* The host page behind shared @gpa through the TD's shared EPT, for @access; false if none. */
static bool shared_at(struct td_vcpu *v, u64 gpa, unsigned int access, u64 *hpa)
{
	bool writable;

	if (!v->tdvps->shared_eptp ||
	    cpu_ept_translate(v->m->plat, v->tdvps->shared_eptp, gpa, access, hpa,
			      &writable) != CPU_EPT_OK ||
	    ((access & CPU_ACCESS_WRITE) && !writable))
		return false;
	*hpa |= gpa & (TDX_PAGE_SIZE - 1);
	return true;
}

/* REPORTDATA from private or shared memory (RDX). */
static u64 read_report_data(struct td_vcpu *v, u64 gpa, u8 out[64])
{
	u64 hpa, err = TDX_SUCCESS;
	u8 *src;

	if (gpa_is_private(v->td.tdcs, gpa)) {
		src = private_at(v, gpa, TDX_OPERAND_ID_RDX, &err);
		if (src)
			memcpy(out, src, 64);
		return err;
	}
	if (!shared_at(v, gpa, CPU_ACCESS_READ, &hpa) || !seam_read_host(v->m->plat, hpa, out, 64))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	return TDX_SUCCESS;
}

/* The TDREPORT into private or shared memory (RCX), mapped only now, as the module does. */
static u64 write_report(struct td_vcpu *v, u64 gpa, const struct tdx_report *rep)
{
	u64 hpa, err = TDX_SUCCESS;
	u8 *dst;

	if (gpa_is_private(v->td.tdcs, gpa)) {
		dst = private_at(v, gpa, TDX_OPERAND_ID_RCX, &err);
		if (dst)
			memcpy(dst, rep, sizeof(*rep));
		return err;
	}
	if (!shared_at(v, gpa, CPU_ACCESS_WRITE, &hpa) ||
	    !seam_write_host(v->m->plat, hpa, rep, sizeof(*rep)))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	return TDX_SUCCESS;
}

/*
 * Intel's order (tdg_mr_report.c): both alignments, the REPORTDATA walk,
 * the subtype, and the output's walk last, after the report is built.
 */
static u64 tdg_mr_report(struct td_vcpu *v, struct cpu_regs *r)
{
	u64 out_gpa = r->gpr[CPU_RCX], data_gpa = r->gpr[CPU_RDX], err;
	struct tdcs *tdcs = v->td.tdcs;
	struct tdx_report rep;

	if (out_gpa & 1023)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	if (data_gpa & 63)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	memset(&rep, 0, sizeof(rep));
	err = read_report_data(v, data_gpa, rep.mac.report_data);
	if (err)
		return err;
	if (r->gpr[CPU_R8])
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R8);
	tee_tcb_info(&rep.tee_tcb_info);
	tdinfo(tdcs, &rep.tdinfo);
	rep.mac.report_type[0] = TDX_REPORT_TYPE_TDX;
	memset(rep.mac.cpusvn, 0x05, sizeof(rep.mac.cpusvn));
	SHA384((const u8 *)&rep.tee_tcb_info, sizeof(rep.tee_tcb_info), rep.mac.tee_tcb_info_hash);
	SHA384((const u8 *)&rep.tdinfo, sizeof(rep.tdinfo), rep.mac.tee_info_hash);
	seam_report_mac(v->m->plat, &rep.mac);
	return write_report(v, out_gpa, &rep);
}

/* ---- TDG.SYS.RD, TDG.VM.RD / WR ------------------------------------------------------ */

static u64 tdg_sys_read(struct td_vcpu *v, struct cpu_regs *r)
{
	struct seamcall_regs regs;
	struct seam_ctx c;
	u64 err;

	td_vcpu_ctx(v, &c, &regs);
	regs.rdx = r->gpr[CPU_RDX];
	err = tdg_sys_rd(&c);
	r->gpr[CPU_RDX] = regs.rdx;
	r->gpr[CPU_R8] = regs.r8;
	return err;
}

/*
 * TDG.VM.RD/WR and TDG.VP.RD/WR on the guest's RCX, RDX, R8, R9; a read
 * hands RDX back when it reports the next field (VM.RD version 1, VP.RD).
 */
static u64 tdg_md_rd_wr(struct td_vcpu *v, struct cpu_regs *r, u32 version, bool write,
			bool vcpu)
{
	struct seamcall_regs regs;
	struct seam_ctx c;
	u64 err;

	td_vcpu_ctx(v, &c, &regs);
	c.version = version;
	regs = (struct seamcall_regs){ .rcx = r->gpr[CPU_RCX], .rdx = r->gpr[CPU_RDX],
				       .r8 = r->gpr[CPU_R8], .r9 = r->gpr[CPU_R9] };
	err = vcpu ? tdg_vp_access(&c, v->td.tdr, v->td.tdcs, v->tdvps, write) :
		     tdg_vm_access(&c, v->td.tdr, v->td.tdcs, write);
	r->gpr[CPU_R8] = regs.r8;
	if (!write && c.version)
		r->gpr[CPU_RDX] = regs.rdx;
	return err;
}

/* ---- dispatch ------------------------------------------------------------------ */

/* The tdcall tracepoint: the leaf, RCX and the status the guest gets. */
static void trace_tdcall(struct td_vcpu *v, u32 leaf, u64 rcx, u64 status)
{
	static const char *const names[] = {
		[TDG_VP_VMCALL] = "TDG.VP.VMCALL", [TDG_VP_INFO] = "TDG.VP.INFO",
		[TDG_MR_RTMR_EXTEND] = "TDG.MR.RTMR.EXTEND", [TDG_VP_VEINFO_GET] = "TDG.VP.VEINFO.GET",
		[TDG_MR_REPORT] = "TDG.MR.REPORT", [TDG_VP_CPUIDVE_SET] = "TDG.VP.CPUIDVE.SET",
		[TDG_MEM_PAGE_ACCEPT] = "TDG.MEM.PAGE.ACCEPT", [TDG_VM_RD] = "TDG.VM.RD",
		[TDG_VM_WR] = "TDG.VM.WR", [TDG_VP_RD] = "TDG.VP.RD", [TDG_VP_WR] = "TDG.VP.WR",
		[TDG_SYS_RD] = "TDG.SYS.RD",
	};

	if (!(platform_get_config(v->m->plat)->trace & PLATFORM_TRACE_TDCALL))
		return;
	fprintf(stderr, "softtdx-trace: tdcall vCPU %u %s rcx=%#llx -> %#llx\n", v->tdvps->vcpu_index,
		leaf < sizeof(names) / sizeof(names[0]) ? names[leaf] : "TDG.(unknown)",
		(unsigned long long)rcx, (unsigned long long)status);
}

void td_tdcall(void *owner, struct cpu_core *core, struct cpu_regs *r)
{
	struct td_vcpu *v = owner;
	u64 rax = r->gpr[CPU_RAX], rcx = r->gpr[CPU_RCX], status;
	u32 leaf = (u32)(rax & 0xFFFF), version = (u32)(rax >> 16 & 0xFF);
	bool retry = false;

	(void)core;
	/* TDCALL needs 64-bit mode at CPL 0, else #GP(0) and nothing happens. */
	if (!(r->efer & EFER_LMA) || (r->cs & 3)) {
		cpu_core_inject(v->core, 13, true, 0);
		return;
	}
	/* Only TDG.VM.RD has a version 1; bits 63:24 are reserved. */
	if ((rax >> 24) || (version && !(leaf == TDG_VM_RD && version == 1))) {
		status = api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
	} else {
		switch (leaf) {
		case TDG_VP_VMCALL:
			if (tdg_vp_vmcall(v, r))
				return;
			status = api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
			break;
		case TDG_VP_INFO:
			status = tdg_vp_info(v, r);
			break;
		case TDG_MR_RTMR_EXTEND:
			status = tdg_mr_rtmr_extend(v, r);
			break;
		case TDG_VP_VEINFO_GET:
			status = tdg_vp_veinfo_get(v, r);
			break;
		case TDG_MR_REPORT:
			status = tdg_mr_report(v, r);
			break;
		case TDG_VP_CPUIDVE_SET:
			status = tdg_vp_cpuidve_set(v, r);
			break;
		case TDG_MEM_PAGE_ACCEPT:
			status = tdg_mem_page_accept(v, r, &retry);
			break;
		case TDG_SYS_RD:
			status = tdg_sys_read(v, r);
			break;
		case TDG_VP_RD:
		case TDG_VP_WR:
			status = tdg_md_rd_wr(v, r, version, leaf == TDG_VP_WR, true);
			break;
		case TDG_VM_RD:
		case TDG_VM_WR:
			status = tdg_md_rd_wr(v, r, version, leaf == TDG_VM_WR, false);
			break;
		default:
			status = api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
			break;
		}
	}
	if (retry)
		return;		/* the TD exit re-executes the TDCALL */
	trace_tdcall(v, leaf, rcx, status);
	r->gpr[CPU_RAX] = status;
	r->rip += TDCALL_LEN;
}
