// SPDX-License-Identifier: MIT
/*
 * TD vCPUs on the platform's CPU cores: the second stage of translation
 * through the Secure-EPT, the instructions a TD cannot execute (#VE), and
 * TD exits.  This is what the CPU and the module's VM-exit dispatcher do
 * together on hardware; here the callbacks run on the core's thread while
 * the TDH.VP.ENTER that entered it waits.
 *
 * All vCPUs of a TD share one core group, so a TD's vCPUs never execute at
 * the same time and guest LOCK operations stay atomic.
 */
#include "module_internal.h"

#include <stdlib.h>

/* The cores of one TD: created with its first vCPU, gone with its TDR. */
struct td_cores {
	struct td_cores *next;
	u64 tdr_pa;
	struct cpu_group *group;
};

/*
 * MSRs a TD reads and writes natively: TDX context-switches them per vCPU.
 * IA32_TSC is read through the TD's TSC (td_tsc.c); a write is a #VE.
 */
/*
 * The MSRs the TD's bitmaps let through (td_msr.c), but for two the
 * module keeps on the intercept path: the TSC, which it offsets and
 * scales (td_tsc.c), and the x2APIC registers of the virtual APIC
 * (td_apic.c) that the CPU itself would virtualize.
 */
static bool td_msr_passthrough(u32 msr, bool write)
{
	return td_msr_native(msr, write) && msr != MSR_IA32_TSC && (msr < 0x800 || msr > 0x8FF);
}

void td_vcpu_ctx(struct td_vcpu *v, struct seam_ctx *c, struct seamcall_regs *scratch)
{
	memset(scratch, 0, sizeof(*scratch));
	*c = (struct seam_ctx){ .m = v->m, .p = v->m->plat, .lp = v->lp, .regs = scratch };
}

void td_exit(struct td_vcpu *v)
{
	cpu_core_exit(v->core);
}

void td_exit_ept_violation(struct td_vcpu *v, u64 gpa, u64 qual, u64 ext)
{
	v->exit = (struct seamcall_regs){
		.rax = VMX_EXIT_EPT_VIOLATION, .rcx = qual, .rdx = ext, .r8 = gpa,
	};
	v->tdvps->last_td_exit = LAST_EXIT_ASYNC_FAULT;
	td_exit(v);
}

void td_exit_fatal(struct td_vcpu *v, u64 status)
{
	td_mark_fatal(v->td.tdr);
	v->exit = (struct seamcall_regs){ .rax = status };
	td_exit(v);
}

/* VE_INFO as the module copies it from the TD VMCS, then the #VE (or #DF). */
static void inject_ve(struct td_vcpu *v, const struct tdx_ve_info *info)
{
	struct tdx_ve_info ve;

	memcpy(&ve, v->tdvps->ve_info, sizeof(ve));
	if (ve.valid == TDX_VE_INFO_VALID) {
		/* The guest has not read the last one: a #VE in a #VE handler. */
		cpu_core_inject(v->core, 8, true, 0);
		return;
	}
	memcpy(v->tdvps->ve_info, info, sizeof(*info));
	cpu_core_inject(v->core, X86_VECTOR_VE, false, 0);
}

void td_inject_ve(struct td_vcpu *v, u32 reason, u64 qual, u64 gla, u64 gpa, u32 insn_len)
{
	inject_ve(v, &(struct tdx_ve_info){
		.exit_reason = reason, .valid = TDX_VE_INFO_VALID, .exit_qualification = qual,
		.gla = gla, .gpa = gpa, .instruction_length = insn_len,
	});
}

static u64 access_qual(unsigned int access)
{
	return (access & CPU_ACCESS_WRITE ? EPT_QUAL_WRITE : 0) |
	       (access & CPU_ACCESS_FETCH ? EPT_QUAL_FETCH : 0) |
	       (access & CPU_ACCESS_READ ? EPT_QUAL_READ : 0) |
	       EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_FINAL;
}

/*
 * Shared GPAs go through the host's shared EPT, walked by the CPU: a
 * missing entry is the host's EPT violation, or the guest's #VE where the
 * host cleared suppress-#VE (its MMIO ranges).
 */
static enum cpu_xlate shared_translate(struct td_vcpu *v, u64 gpa, u64 gla, unsigned int access,
				       u64 *hpa, bool *writable)
{
	u64 eptp = v->tdvps->shared_eptp;
	enum cpu_ept_result res = eptp ? cpu_ept_translate(v->m->plat, eptp, gpa, access, hpa,
							     writable) : CPU_EPT_VIOLATION;

	if (res != CPU_EPT_OK && (access & CPU_ACCESS_PROBE))
		return CPU_XLATE_NONE;
	switch (res) {
	case CPU_EPT_OK:
		return CPU_XLATE_OK;
	case CPU_EPT_VE:
		td_inject_ve(v, VMX_EXIT_EPT_VIOLATION, access_qual(access), gla, gpa, 0);
		return CPU_XLATE_EVENT;
	default:
		td_exit_ept_violation(v, gpa, access_qual(access), TDX_EXT_EXIT_QUAL_NONE);
		return CPU_XLATE_EXIT;
	}
}

/*
 * Private GPAs resolve through the Secure-EPT: MAPPED pages run, PENDING
 * ones give the guest a #VE (or the host an exit with SEPT_VE_DISABLE), any
 * other state is an EPT violation for the host to fix.
 */
static enum cpu_xlate td_translate(void *owner, struct cpu_core *core, u64 gpa, u64 gla,
				   unsigned int access, u64 *hpa, bool *writable)
{
	struct td_vcpu *v = owner;
	struct tdcs *tdcs = v->td.tdcs;
	struct seamcall_regs scratch;
	struct seam_ctx c;
	u64 *entry, val, page;
	int level;

	(void)core;
	if (!gpa_is_private(tdcs, gpa))
		return shared_translate(v, gpa, gla, access, hpa, writable);
	td_vcpu_ctx(v, &c, &scratch);
	entry = sept_walk(&c, &v->td, gpa, 0, &level);
	/* The engine's own lookups see MAPPED pages only, and change nothing. */
	if (access & CPU_ACCESS_PROBE) {
		val = entry ? sept_entry_read(entry) : 0;
		if (!entry || sept_state(val) != SEPTI_MAPPED)
			return CPU_XLATE_NONE;
		page = sept_leaf_hpa(val, level, gpa) & ~(TDX_PAGE_SIZE - 1);
		if (!seam_intact(c.p, page, v->td.tdr->hkid))
			return CPU_XLATE_NONE;
		*hpa = page;
		*writable = false;
		return CPU_XLATE_OK;
	}
	if (!entry) {
		td_exit_fatal(v, TDX_NON_RECOVERABLE_TD);
		return CPU_XLATE_EXIT;
	}
	val = sept_entry_read(entry);
	switch (sept_state(val)) {
	case SEPTI_MAPPED:
		page = sept_leaf_hpa(val, level, gpa) & ~(TDX_PAGE_SIZE - 1);
		if (!seam_intact(c.p, page, v->td.tdr->hkid)) {
			/* Consuming a line the host wrote: a machine check kills the TD. */
			td_exit_fatal(v, TDX_NON_RECOVERABLE_TD);
			return CPU_XLATE_EXIT;
		}
		*hpa = page;
		*writable = true;
		return CPU_XLATE_OK;
	case SEPTI_PENDING:
		/* TD_CTLS.PENDING_VE_DISABLE: SEPT_VE_DISABLE at first, the TD may set it. */
		if (!(tdcs->td_ctls & 1)) {
			td_inject_ve(v, VMX_EXIT_EPT_VIOLATION, access_qual(access), gla, gpa, 0);
			return CPU_XLATE_EVENT;
		}
		td_exit_ept_violation(v, gpa, access_qual(access),
				      TDX_EXT_EXIT_QUAL_PENDING_EPT_VIOLATION);
		return CPU_XLATE_EXIT;
	default:
		td_exit_ept_violation(v, gpa, access_qual(access), TDX_EXT_EXIT_QUAL_NONE);
		return CPU_XLATE_EXIT;
	}
}

static void td_cpuid_exit(struct td_vcpu *v, struct cpu_regs *r)
{
	u32 out[4], leaf = (u32)r->gpr[CPU_RAX], subleaf = (u32)r->gpr[CPU_RCX];
	bool user = (r->cs & 3) != 0;

	if (!(user ? v->tdvps->cpuid_user_ve : v->tdvps->cpuid_supervisor_ve) &&
	    td_cpuid(v->m->plat, v->td.tdcs, v->tdvps, r, leaf, subleaf, out)) {
		r->gpr[CPU_RAX] = out[0];
		r->gpr[CPU_RBX] = out[1];
		r->gpr[CPU_RCX] = out[2];
		r->gpr[CPU_RDX] = out[3];
		r->rip += 2;
		return;
	}
	td_inject_ve(v, VMX_EXIT_CPUID, 0, 0, 0, 2);
}

/* Everything but CPUID becomes a #VE with the VMX exit reason. */
static void td_intercept(void *owner, struct cpu_core *core, struct cpu_regs *r,
			 enum cpu_intercept what)
{
	static const struct { u32 reason, len; } ve[] = {
		[CPU_INTERCEPT_HLT]	= { VMX_EXIT_HLT, 1 },
		[CPU_INTERCEPT_RDMSR]	= { VMX_EXIT_MSR_READ, 2 },
		[CPU_INTERCEPT_WRMSR]	= { VMX_EXIT_MSR_WRITE, 2 },
		[CPU_INTERCEPT_INVD]	= { VMX_EXIT_INVD, 2 },
		[CPU_INTERCEPT_WBINVD]	= { VMX_EXIT_WBINVD, 2 },
		[CPU_INTERCEPT_MONITOR]	= { VMX_EXIT_MONITOR, 3 },
		[CPU_INTERCEPT_MWAIT]	= { VMX_EXIT_MWAIT, 3 },
	};
	struct td_vcpu *v = owner;

	(void)core;
	if (what == CPU_INTERCEPT_CPUID)
		td_cpuid_exit(v, r);
	else if (td_tsc_intercept(v, r, what))
		return;
	else if ((what == CPU_INTERCEPT_RDMSR || what == CPU_INTERCEPT_WRMSR) &&
		 !td_apic_msr(v, r, what == CPU_INTERCEPT_WRMSR))
		td_msr_exit(v, r, what == CPU_INTERCEPT_WRMSR);
	else if (what != CPU_INTERCEPT_RDMSR && what != CPU_INTERCEPT_WRMSR)
		td_inject_ve(v, ve[what].reason, 0, 0, 0, ve[what].len);
}

/*
 * IN/OUT/INS/OUTS: a #VE with the VMX I/O exit qualification, length and,
 * for the string forms, instruction information; GLA and GPA stay 0.
 */
static void td_io_insn(void *owner, struct cpu_core *core, struct cpu_regs *r,
		       const struct cpu_io_insn *io)
{
	u64 qual = (u64)(io->size - 1) | (io->in ? IO_QUAL_IN : 0) |
		   (io->string ? IO_QUAL_STRING : 0) | (io->rep ? IO_QUAL_REP : 0) |
		   (io->imm ? IO_QUAL_IMM : 0) | (u64)io->port << IO_QUAL_PORT_SHIFT;
	u32 info = io->string ? (u32)(io->addr_size == 8 ? 2 : io->addr_size == 4 ? 1 : 0)
					<< IO_INFO_ADDR_SIZE_SHIFT |
				(u32)io->seg << IO_INFO_SEG_SHIFT : 0;

	(void)core;
	(void)r;
	inject_ve(owner, &(struct tdx_ve_info){
		.exit_reason = VMX_EXIT_IO_INSTRUCTION, .valid = TDX_VE_INFO_VALID,
		.exit_qualification = qual, .instruction_length = io->len,
		.instruction_info = info,
	});
}

/* RFLAGS.IF set with a virtual interrupt waiting (STI, POPF, IRET): it goes now. */
static void td_irq_window(void *owner, struct cpu_core *core)
{
	(void)core;
	td_apic_deliver(owner);
}

static const struct cpu_ops td_cpu_ops = {
	.translate = td_translate,
	.tdcall = td_tdcall,
	.intercept = td_intercept,
	.msr_passthrough = td_msr_passthrough,
	.io_insn = td_io_insn,
	.irq_window = td_irq_window,
};

/* ---- the registry ------------------------------------------------------------ */

static struct cpu_group *cores_of(struct tdx_module *m, u64 tdr_pa)
{
	struct td_cores *t;

	for (t = m->td_cores; t; t = t->next)
		if (t->tdr_pa == tdr_pa)
			return t->group;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->group = cpu_group_create();
	if (!t->group) {
		free(t);
		return NULL;
	}
	t->tdr_pa = tdr_pa;
	t->next = m->td_cores;
	m->td_cores = t;
	return t->group;
}

struct td_vcpu *td_vcpu_get(struct tdx_module *m, u64 tdr_pa, u64 tdvpr_pa)
{
	struct cpu_group *group;
	struct td_vcpu *v;

	pthread_mutex_lock(&m->vcpus_lock);
	for (v = m->vcpus; v; v = v->next)
		if (v->tdvpr_pa == tdvpr_pa)
			goto out;
	group = cores_of(m, tdr_pa);
	v = group ? calloc(1, sizeof(*v)) : NULL;
	if (!v)
		goto out;
	v->m = m;
	v->tdr_pa = tdr_pa;
	v->tdvpr_pa = tdvpr_pa;
	v->core = cpu_core_create(m->plat, group, &td_cpu_ops, v);
	if (!v->core) {
		free(v);
		v = NULL;
		goto out;
	}
	v->next = m->vcpus;
	m->vcpus = v;
out:
	pthread_mutex_unlock(&m->vcpus_lock);
	return v;
}

void td_vcpu_reclaim(struct tdx_module *m, u64 hpa, u8 page_type)
{
	pthread_mutex_lock(&m->vcpus_lock);
	if (page_type == PT_TDVPR) {
		for (struct td_vcpu **p = &m->vcpus; *p; p = &(*p)->next) {
			struct td_vcpu *v = *p;

			if (v->tdvpr_pa == hpa) {
				*p = v->next;
				cpu_core_destroy(v->core);
				free(v);
				break;
			}
		}
	} else if (page_type == PT_TDR) {
		for (struct td_cores **p = &m->td_cores; *p; p = &(*p)->next) {
			struct td_cores *t = *p;

			if (t->tdr_pa == hpa) {
				*p = t->next;
				cpu_group_destroy(t->group);
				free(t);
				break;
			}
		}
	}
	pthread_mutex_unlock(&m->vcpus_lock);
}

void td_vcpus_destroy(struct tdx_module *m)
{
	while (m->vcpus) {
		struct td_vcpu *v = m->vcpus;

		m->vcpus = v->next;
		cpu_core_destroy(v->core);
		free(v);
	}
	while (m->td_cores) {
		struct td_cores *t = m->td_cores;

		m->td_cores = t->next;
		cpu_group_destroy(t->group);
		free(t);
	}
}
