/* SPDX-License-Identifier: MIT */
/*
 * The in-kernel local APIC (split irqchip): its register page lives in
 * struct kvm_vcpu_arch (x86.c keeps the state registers); lapic.c does
 * what acts: the APIC timer in its three modes and the guest's IPIs.  Not
 * a door: kvm/ only.
 */
#ifndef SOFTTDX_KVM_LAPIC_H
#define SOFTTDX_KVM_LAPIC_H

#include "kvm_internal.h"

#include <string.h>

/* APIC register offsets in struct kvm_lapic_state. */
enum {
	APIC_ID = 0x20, APIC_LVR = 0x30, APIC_TASKPRI = 0x80, APIC_PROCPRI = 0xa0,
	APIC_EOI = 0xb0, APIC_LDR = 0xd0, APIC_DFR = 0xe0, APIC_SPIV = 0xf0,
	APIC_ISR = 0x100, APIC_TMR = 0x180, APIC_IRR = 0x200, APIC_ESR = 0x280,
	APIC_ICR = 0x300, APIC_ICR2 = 0x310, APIC_LVTT = 0x320, APIC_LVTTHMR = 0x330,
	APIC_LVTPC = 0x340, APIC_LVT0 = 0x350, APIC_LVT1 = 0x360, APIC_LVTERR = 0x370,
	APIC_TMICT = 0x380, APIC_TMCCT = 0x390, APIC_TDCR = 0x3e0, APIC_SELF_IPI = 0x3f0,
};
#define APIC_LVT_MASKED		(1u << 16)
#define APIC_LVT_TIMER_MODE	(3u << 17)
#define APIC_LVT_TIMER_PERIODIC	(1u << 17)
#define APIC_LVT_TIMER_TSCDEADLINE (2u << 17)
#define APIC_SPIV_ENABLED	(1u << 8)
#define APIC_ICR_SELF		(1u << 18)	/* destination shorthand: self */

static inline u32 apic_get(const struct kvm_vcpu_arch *a, u32 reg)
{
	u32 v;

	memcpy(&v, &a->apic.regs[reg], sizeof(v));
	return v;
}

static inline void apic_set(struct kvm_vcpu_arch *a, u32 reg, u32 v)
{
	memcpy(&a->apic.regs[reg], &v, sizeof(v));
}

/*
 * The APIC timer, re-armed after a write of LVTT or TDCR
 * (the register already holds the new value; @old_lvtt is LVTT before, so
 * a mode change stops the timer as on hardware).
 */
void lapic_timer_update(struct kvm_vcpu *vcpu, u32 old_lvtt);
/* IA32_TSC_DEADLINE written in TSC-deadline mode: the new deadline (0 disarms). */
void lapic_timer_set_deadline(struct kvm_vcpu *vcpu, u64 deadline);
/* The guest wrote TMICT: count down from @count (0 stops the timer). */
void lapic_timer_start(struct kvm_vcpu *vcpu, u32 count);
/* TMCCT: what is left of the count. */
u32 lapic_timer_current(struct kvm_vcpu *vcpu);
/* Before the vCPU goes: the timer thread stops. */
void lapic_timer_destroy(struct kvm_vcpu *vcpu);

/* The guest wrote ICR (x2APIC: one 64-bit write) or SELF_IPI: 0, or 1 to refuse. */
int lapic_send_ipi(struct kvm_vcpu *vcpu, u64 icr);

#endif /* SOFTTDX_KVM_LAPIC_H */
