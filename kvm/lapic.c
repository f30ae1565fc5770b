// SPDX-License-Identifier: MIT
/*
 * What the in-kernel local APIC does rather than holds: the APIC timer
 * (one-shot, periodic, TSC-deadline) and the IPIs a guest sends.  As in
 * KVM, they reach the target through the VM's deliver_interrupt(): for a
 * TD that is a posted interrupt the module's virtual APIC takes at the
 * next entry, so the timer works while the vCPU runs or halts.
 *
 * Each vCPU whose guest arms its timer gets a thread that sleeps until the
 * expiry (KVM's hrtimer); the APIC bus runs at the VM's
 * KVM_CAP_X86_APIC_BUS_CYCLES_NS, the TSC at the vCPU's ratio.
 */
#include "lapic.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define NSEC_PER_SEC		1000000000ULL
#define MIN_PERIOD_NS		200000ULL	/* KVM's min_timer_period_us */
#define ICR_DELIVERY_MODE(icr)	((u32)(icr) >> 8 & 7)
#define ICR_DEST_SHORTHAND(icr)	((u32)(icr) >> 18 & 3)
#define ICR_FIXED		0
#define ICR_LOWEST_PRIORITY	1
#define ICR_NMI			4
/* X2APIC_ICR_RESERVED_BITS: 31:20, 17:16 and 13 */
#define ICR_RESERVED		(0xFFF00000ULL | 3ULL << 16 | 1ULL << 13)
#define X2APIC_BROADCAST	0xffffffffu

struct kvm_lapic_timer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* on CLOCK_MONOTONIC */
	bool quit;
	u32 lvtt;			/* LVTT as the timer last saw it */
	u64 expires;			/* host ns; 0: not armed */
	u64 period;			/* ns, periodic mode */
	u64 count_ns;			/* ns per count: bus cycle x divide */
};

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * NSEC_PER_SEC + (u64)ts.tv_nsec;
}

static u32 timer_mode(u32 lvtt)
{
	return lvtt & APIC_LVT_TIMER_MODE;
}

/* TDCR's divide value: bits 0, 1 and 3 encode 2, 4, ..., 128, then 1. */
static u64 count_ns(const struct kvm_vcpu *vcpu)
{
	u32 tdcr = apic_get(&vcpu->arch, APIC_TDCR);
	u32 shift = (((tdcr & 3) | (tdcr & 8) >> 1) + 1) & 7;

	return vcpu->vm->apic_bus_cycle_ns << shift;
}

static void deliver(struct kvm_vcpu *vcpu, u32 lvtt)
{
	u8 vector = (u8)lvtt;

	if (!(lvtt & APIC_LVT_MASKED) && vector >= 16)
		vcpu->vm->ops->deliver_interrupt(vcpu->vm, vcpu->id, vector);
}

/* The hrtimer callback's part: fire, then re-arm a periodic timer. */
static void expire(struct kvm_vcpu *vcpu, struct kvm_lapic_timer *t, u64 now)
{
	u32 lvtt = t->lvtt;

	if (t->period) {
		t->expires += t->period;
		if (t->expires <= now)
			t->expires = now + t->period;	/* late: no burst of ticks */
	} else {
		t->expires = 0;
		if (timer_mode(lvtt) == APIC_LVT_TIMER_TSCDEADLINE)
			vcpu->arch.tsc_deadline = 0;
	}
	pthread_mutex_unlock(&t->lock);
	deliver(vcpu, lvtt);
	pthread_mutex_lock(&t->lock);
}

static void *timer_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct kvm_lapic_timer *t = vcpu->lapic_timer;

	pthread_mutex_lock(&t->lock);
	while (!t->quit) {
		u64 now = now_ns();

		if (!t->expires) {
			pthread_cond_wait(&t->cond, &t->lock);
		} else if (now < t->expires) {
			struct timespec ts = { (time_t)(t->expires / NSEC_PER_SEC),
					       (long)(t->expires % NSEC_PER_SEC) };

			pthread_cond_timedwait(&t->cond, &t->lock, &ts);
		} else {
			expire(vcpu, t, now);
		}
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

/* The vCPU's timer, started the first time the guest arms it. */
static struct kvm_lapic_timer *timer_of(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic_timer *t = vcpu->lapic_timer;
	pthread_condattr_t attr;

	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &attr);
	pthread_condattr_destroy(&attr);
	vcpu->lapic_timer = t;
	if (pthread_create(&t->thread, NULL, timer_thread, vcpu)) {
		vcpu->lapic_timer = NULL;
		pthread_cond_destroy(&t->cond);
		pthread_mutex_destroy(&t->lock);
		free(t);
		return NULL;
	}
	return t;
}

static void arm(struct kvm_lapic_timer *t, u64 expires, u64 period)
{
	t->expires = expires;
	t->period = period;
	pthread_cond_signal(&t->cond);
}

/* TSC-deadline mode: the deadline in host time, through the vCPU's TSC ratio. */
static void arm_tsc_deadline(struct kvm_vcpu *vcpu, struct kvm_lapic_timer *t)
{
	const struct kvm_vcpu_arch *a = &vcpu->arch;
	u64 tsc = kvm_guest_tsc(a), now = now_ns(), hz;
	unsigned __int128 ns;

	if (!a->tsc_deadline) {
		arm(t, 0, 0);
		return;
	}
	hz = (u64)(((unsigned __int128)a->tsc_ratio * PLATFORM_TSC_HZ) >> 48);
	ns = a->tsc_deadline > tsc && hz ?
	     (unsigned __int128)(a->tsc_deadline - tsc) * NSEC_PER_SEC / hz : 0;
	arm(t, ns > ~0ULL - now ? ~0ULL : now + (u64)ns, 0);
}

void lapic_timer_update(struct kvm_vcpu *vcpu, u32 old_lvtt)
{
	u32 lvtt = apic_get(&vcpu->arch, APIC_LVTT);
	struct kvm_lapic_timer *t = vcpu->lapic_timer;

	if (!t && timer_mode(lvtt) == APIC_LVT_TIMER_TSCDEADLINE && vcpu->arch.tsc_deadline)
		t = timer_of(vcpu);
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->lvtt = lvtt;
	if (timer_mode(lvtt) != timer_mode(old_lvtt)) {
		/* A mode change stops the timer and clears the count. */
		apic_set(&vcpu->arch, APIC_TMICT, 0);
		vcpu->arch.tsc_deadline = 0;
		arm(t, 0, 0);
	} else if (timer_mode(lvtt) == APIC_LVT_TIMER_TSCDEADLINE) {
		arm_tsc_deadline(vcpu, t);
	} else if (t->expires) {
		/* A new divide: what is left of the count, at the new rate. */
		u64 now = now_ns(), left = t->expires > now ? (t->expires - now) / t->count_ns : 0;
		u64 per = count_ns(vcpu);

		t->count_ns = per;
		arm(t, now + left * per, t->period ? t->period / t->count_ns * per : 0);
	}
	pthread_mutex_unlock(&t->lock);
}

/*
 * Under the timer's lock, as the expiry that clears the old deadline runs
 * under it too: a deadline written while the old one fires must not be
 * cleared by that expiry, or the guest never gets its next tick.
 */
void lapic_timer_set_deadline(struct kvm_vcpu *vcpu, u64 deadline)
{
	struct kvm_lapic_timer *t = deadline ? timer_of(vcpu) : vcpu->lapic_timer;

	if (!t) {
		vcpu->arch.tsc_deadline = deadline;
		return;
	}
	pthread_mutex_lock(&t->lock);
	t->lvtt = apic_get(&vcpu->arch, APIC_LVTT);
	vcpu->arch.tsc_deadline = deadline;
	arm_tsc_deadline(vcpu, t);
	pthread_mutex_unlock(&t->lock);
}

void lapic_timer_start(struct kvm_vcpu *vcpu, u32 count)
{
	u32 lvtt = apic_get(&vcpu->arch, APIC_LVTT);
	struct kvm_lapic_timer *t;
	u64 period;

	apic_set(&vcpu->arch, APIC_TMICT, count);
	if (timer_mode(lvtt) == APIC_LVT_TIMER_TSCDEADLINE)
		return;		/* TMICT is ignored in TSC-deadline mode */
	t = count ? timer_of(vcpu) : vcpu->lapic_timer;
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->lvtt = lvtt;
	t->count_ns = count_ns(vcpu);
	period = count * t->count_ns;
	if (timer_mode(lvtt) == APIC_LVT_TIMER_PERIODIC && period < MIN_PERIOD_NS)
		period = MIN_PERIOD_NS;
	arm(t, count ? now_ns() + period : 0,
	    count && timer_mode(lvtt) == APIC_LVT_TIMER_PERIODIC ? period : 0);
	pthread_mutex_unlock(&t->lock);
}

u32 lapic_timer_current(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic_timer *t = vcpu->lapic_timer;
	u64 now = now_ns(), left = 0;

	if (!t)
		return 0;
	pthread_mutex_lock(&t->lock);
	if (t->expires > now && timer_mode(t->lvtt) != APIC_LVT_TIMER_TSCDEADLINE)
		left = (t->expires - now) / t->count_ns;
	pthread_mutex_unlock(&t->lock);
	return left > 0xffffffffu ? 0xffffffffu : (u32)left;
}

void lapic_timer_destroy(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic_timer *t = vcpu->lapic_timer;

	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->quit = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t);
	vcpu->lapic_timer = NULL;
}

/*
 * One IPI's effect on its target, as __apic_accept_irq() for a TD: fixed
 * and lowest-priority vectors are posted, an NMI is queued; INIT, SIPI and
 * SMI are accepted and dropped (a TD blocks INIT and has no SMM), as are
 * ExtINT and the reserved mode.
 */
static void accept_ipi(struct kvm_vm *vm, u32 dest, u32 mode, u8 vector)
{
	if (mode == ICR_FIXED || mode == ICR_LOWEST_PRIORITY)
		vm->ops->deliver_interrupt(vm, dest, vector);
	else if (mode == ICR_NMI)
		vm->ops->deliver_nmi(vm, dest);
}

/*
 * An x2APIC ICR write (kvm_x2apic_icr_write()): to one x2APIC ID, all of
 * them (0xFFFFFFFF), or by shorthand (self, all, all but self); a
 * lowest-priority one goes to the first vCPU of its set.  Reserved
 * bits and fixed vectors below 16 are refused (1).
 */
int lapic_send_ipi(struct kvm_vcpu *vcpu, u64 icr)
{
	struct kvm_vm *vm = vcpu->vm;
	u32 shorthand = ICR_DEST_SHORTHAND(icr), dest = (u32)(icr >> 32);
	u32 mode = ICR_DELIVERY_MODE(icr);
	u8 vector = (u8)icr;

	if ((icr & ICR_RESERVED) ||
	    ((mode == ICR_FIXED || mode == ICR_LOWEST_PRIORITY) && vector < 16))
		return 1;
	if (shorthand == 1 || (shorthand == 0 && dest == vcpu->id)) {
		accept_ipi(vm, vcpu->id, mode, vector);
		return 0;
	}
	for (u32 i = 0; i < vm->created_vcpus; i++) {
		u32 id = vm->vcpus[i]->id;

		if ((shorthand == 0 && dest != X2APIC_BROADCAST && id != dest) ||
		    (shorthand == 3 && id == vcpu->id))
			continue;
		accept_ipi(vm, id, mode, vector);
		if (mode == ICR_LOWEST_PRIORITY)
			break;		/* one of the set takes it */
	}
	return 0;
}
