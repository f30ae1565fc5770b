// SPDX-License-Identifier: MIT
/*
 * A TD vCPU's virtual APIC, as TDX runs it with APICv and posted
 * interrupts: the host posts vectors into a descriptor in its own memory
 * and IPIs the LP; the CPU moves them into the virtual IRR and delivers
 * the highest one when the vCPU can take it.  The guest's TPR, PPR, EOI,
 * ISR and IRR accesses never leave the CPU; every other x2APIC register is
 * the host's (through #VE and TDVMCALL).
 *
 * Delivery happens at TD entry; an interrupt posted while the vCPU runs
 * comes with the IPI that makes it exit and enter again.  PEND_NMI, which
 * the host sets with TDH.VP.WR, is an NMI the CPU delivers the same way
 * (vector 2, blocked until the guest's IRET); it reads 0 once delivered.
 */
#include "module_internal.h"

#define RFLAGS_IF	(1ULL << 9)
#define X2APIC_TPR	0x808
#define X2APIC_PPR	0x80A
#define X2APIC_EOI	0x80B
#define X2APIC_ISR0	0x810
#define X2APIC_TMR0	0x818
#define X2APIC_IRR0	0x820
#define X2APIC_SELF_IPI	0x83F

/* The highest vector set in a 256-bit register, or -1. */
static int highest(const u32 reg[8])
{
	for (int w = 7; w >= 0; w--)
		if (reg[w])
			return w * 32 + 31 - __builtin_clz(reg[w]);
	return -1;
}

static u32 ppr(const struct tdvps *t)
{
	int isr = highest(t->visr);
	u32 isr_class = isr < 0 ? 0 : (u32)isr & 0xF0;

	return (t->vtpr & 0xF0) >= isr_class ? t->vtpr : isr_class;
}

bool td_apic_pending(const struct tdvps *t)
{
	int vec = highest(t->virr);

	return vec >= 32 && ((u32)vec & 0xF0) > (ppr(t) & 0xF0);
}

/*
 * The highest deliverable vector into service if RFLAGS.IF allows it;
 * otherwise the core tells us when IF is set (virtual-interrupt delivery
 * re-evaluates then, after STI, POPF or IRET).  A vector already put in
 * service whose delivery an exit interrupted goes first: a second one
 * would replace it in the core and leave its ISR bit set with no handler
 * to EOI it, masking its priority class for good.
 */
void td_apic_deliver(struct td_vcpu *v)
{
	struct tdvps *t = v->tdvps;
	bool delivering = cpu_core_event_pending(v->core);
	struct cpu_regs r;
	int vec;

	cpu_core_get_regs(v->core, &r);
	cpu_core_request_irq_window(v->core, td_apic_pending(t) &&
				    (delivering || !(r.rflags & RFLAGS_IF)));
	/* A pending NMI goes first; its handler runs with interrupts off anyway. */
	if (delivering || cpu_core_nmi_pending(v->core) || !td_apic_pending(t) ||
	    !(r.rflags & RFLAGS_IF))
		return;
	vec = highest(t->virr);
	t->virr[vec / 32] &= ~(1u << (vec % 32));
	t->visr[vec / 32] |= 1u << (vec % 32);
	cpu_core_inject(v->core, (u8)vec, false, 0);
}

void td_apic_entry(struct td_vcpu *v)
{
	struct tdvps *t = v->tdvps;
	u64 pir[4];

	if (t->pid_hpa && cpu_take_posted_interrupts(v->m->plat, t->pid_hpa, pir))
		for (int i = 0; i < 4; i++) {
			t->virr[2 * i] |= (u32)pir[i];
			t->virr[2 * i + 1] |= (u32)(pir[i] >> 32);
		}
	cpu_core_set_nmi_pending(v->core, t->pend_nmi);
	td_apic_deliver(v);
}

bool td_apic_msr(struct td_vcpu *v, struct cpu_regs *r, bool write)
{
	struct tdvps *t = v->tdvps;
	u32 msr = (u32)r->gpr[CPU_RCX];
	u64 value = 0;
	int isr;

	if (write && msr == X2APIC_EOI) {
		isr = highest(t->visr);
		if (isr >= 0)
			t->visr[isr / 32] &= ~(1u << (isr % 32));
		/* A vector the one in service held back may go now, or once IF is set. */
		r->rip += 2;
		td_apic_deliver(v);
		return true;
	} else if (write && msr == X2APIC_TPR) {
		/* A lower TPR may let a waiting vector through, as TPR virtualization does. */
		t->vtpr = (u8)r->gpr[CPU_RAX];
		r->rip += 2;
		td_apic_deliver(v);
		return true;
	} else if (write && msr == X2APIC_SELF_IPI) {
		/* Self-IPI virtualization: the vector goes into the virtual IRR. */
		t->virr[(u8)r->gpr[CPU_RAX] / 32] |= 1u << ((u8)r->gpr[CPU_RAX] % 32);
		r->rip += 2;
		td_apic_deliver(v);
		return true;
	} else if (msr == X2APIC_TPR) {
		value = t->vtpr;
	} else if (!write && msr == X2APIC_PPR) {
		value = ppr(t);
	} else if (!write && msr >= X2APIC_ISR0 && msr < X2APIC_ISR0 + 8) {
		value = t->visr[msr - X2APIC_ISR0];
	} else if (!write && msr >= X2APIC_IRR0 && msr < X2APIC_IRR0 + 8) {
		value = t->virr[msr - X2APIC_IRR0];
	} else if (!write && msr >= X2APIC_TMR0 && msr < X2APIC_TMR0 + 8) {
		value = 0;	/* every vector posted to a TD is edge-triggered */
	} else {
		return false;
	}
	if (!write) {
		r->gpr[CPU_RAX] = (u32)value;
		r->gpr[CPU_RDX] = value >> 32;
	}
	r->rip += 2;
	return true;
}
