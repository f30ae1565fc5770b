/* SPDX-License-Identifier: MIT */
/*
 * KVM internals: the file-descriptor objects (system, VM, vCPU,
 * guest_memfd), the VM with its TDX/VMX split, and the TDX state of a TD.
 * Nothing outside kvm/ includes this; the door is <softtdx/kvm.h>.
 */
#ifndef SOFTTDX_KVM_INTERNAL_H
#define SOFTTDX_KVM_INTERNAL_H

#include <signal.h>
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#include <softtdx/kvm.h>
#include <softtdx/uapi/kvm_tdx.h>

#include "tdx_host.h"

#define KVM_MAX_VCPUS_SUPPORTED	256
/* vCPU IDs below this (KVM_CAP_MAX_VCPU_ID): softtdx's table of vCPUs, Linux's is larger. */
#define KVM_MAX_VCPU_IDS	KVM_MAX_VCPUS_SUPPORTED
#define KVM_CLOCK_VALID_FLAGS	(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC)
#define KVM_VCPU_MMAP_PAGES	3	/* kvm_run, PIO data, coalesced MMIO */
#define KVM_PIO_PAGE_OFFSET	1
#define KVM_MAX_CPUID_ENTRIES	256
#define KVM_MAX_IRQ_ROUTES	4096
#define APIC_BUS_CYCLE_NS_DEFAULT 1
#define KVM_USER_MEM_SLOTS	32764
#define KVM_MAX_NR_ADDRESS_SPACES 2	/* x86: normal and SMM */

/* ---- file-descriptor objects ------------------------------------------------ */

enum kvm_obj_type { KVM_OBJ_SYSTEM, KVM_OBJ_VM, KVM_OBJ_VCPU, KVM_OBJ_GMEM };

struct kvm_obj;

struct kvm_obj_ops {
	/* A request on a descriptor: >= 0, or -errno. */
	long (*ioctl)(struct kvm_obj *obj, unsigned int request, unsigned long arg);
	/* The last reference went away. */
	void (*release)(struct kvm_obj *obj);
};

/*
 * An object is one end of a socketpair: the caller holds the other end,
 * so the kernel tells us (POLLHUP) when its last descriptor closes.
 */
struct kvm_obj {
	enum kvm_obj_type type;
	const struct kvm_obj_ops *ops;
	ino_t ino;		/* identifies every dup of the caller's end */
	int peer;		/* our end */
	_Atomic int refs;	/* the caller's descriptors count as one */
};

/* Makes @obj a descriptor; returns the caller's fd or -errno. */
int kvm_obj_install(struct kvm_obj *obj, enum kvm_obj_type type, const struct kvm_obj_ops *ops);
/* The object behind a descriptor, with a reference, or NULL. */
struct kvm_obj *kvm_obj_of_fd(int fd);
void kvm_obj_get(struct kvm_obj *obj);
void kvm_obj_put(struct kvm_obj *obj);

/* ---- the device (what loading kvm_intel with tdx=1 sets up) ---------------- */

struct kvm_dev {
	struct tdx_host *tdx;	/* NULL: TDX unavailable, only default VMs */
	pthread_mutex_t tdx_lock;	/* MNG.CREATE, CACHE.WB, KEY.FREEID */
};

struct kvm_dev *kvm_dev(void);
/* The logical processor the calling thread's SEAMCALLs run on. */
u32 kvm_current_lp(void);
/* A SEAMCALL of @leaf from the calling thread. */
u64 kvm_seamcall(u64 leaf, struct seamcall_regs *regs);
u64 kvm_seamcall_on(u32 lp, u64 leaf, struct seamcall_regs *regs);

long kvm_dev_ioctl(struct kvm_obj *obj, unsigned int request, unsigned long arg);

/*
 * copy_from_user/copy_to_user: the "user" pointers of ioctl arguments live
 * in this process, and a bad one must be -EFAULT, not a crash.
 */
int kvm_copy_from_user(void *dst, unsigned long uaddr, size_t len);
int kvm_copy_to_user(unsigned long uaddr, const void *src, size_t len);

/* ---- VMs ---------------------------------------------------------------------- */

struct kvm_vm;

/* The VMX/TDX split, made in one place (the "vt" ops of Linux's main.c). */
struct kvm_vm_ops {
	int (*init)(struct kvm_vm *vm);
	/* Before the vCPUs go (a TD releases its HKID here)... */
	void (*pre_destroy)(struct kvm_vm *vm);
	/* ...and after. */
	void (*destroy)(struct kvm_vm *vm);
	/* KVM_CHECK_EXTENSION at VM scope, given the generic answer. */
	long (*check_extension)(struct kvm_vm *vm, long cap, long generic);
	long (*mem_enc_op)(struct kvm_vm *vm, unsigned long arg);
	/*
	 * Private mappings of [start, end) go away: attribute conversion to
	 * shared, memslot deletion, or guest_memfd release.  slots_lock held.
	 */
	void (*zap_private)(struct kvm_vm *vm, u64 start_gfn, u64 end_gfn);
	/* The same for shared mappings: conversion to private, memslot deletion. */
	void (*zap_shared)(struct kvm_vm *vm, u64 start_gfn, u64 end_gfn);
	/* A fixed interrupt for APIC ID @dest: vCPUs reached, or -errno. */
	int (*deliver_interrupt)(struct kvm_vm *vm, u32 dest, u8 vector);
	int (*deliver_nmi)(struct kvm_vm *vm, u32 dest);
};

struct kvm_tdx;
struct kvm_vcpu;
struct kvm_gmem;

/* A memslot: guest frames [base_gfn, base_gfn + npages) of one address space. */
struct kvm_memslot {
	u16 as_id, id;
	u32 flags;
	u64 base_gfn, npages;
	u64 userspace_addr;
	struct kvm_gmem *gmem;		/* bound guest_memfd, or NULL */
	u64 gmem_pgoff;			/* its first page in the guest_memfd */
	/* Per 2M (index 0) and 1G (1) page the slot touches: LPAGE_MIXED. */
	u8 *lpage[2];
	u64 *dirty_bitmap;		/* KVM_MEM_LOG_DIRTY_PAGES: one bit per page */
	u64 user_hpa;			/* host physical address of userspace_addr, or 0 */
};

#define LPAGE_MIXED	1	/* private and shared GFNs inside one huge page */

/* GFN ranges [start, end), disjoint and coalesced (gfn_ranges.c). */
struct kvm_attr_ranges {
	struct gfn_range *root;
	u32 seed;
};

/* Puts [start, end) in the set (@in) or takes it out: 0 or -ENOMEM, the set unchanged. */
int gfn_ranges_set(struct kvm_attr_ranges *a, u64 start, u64 end, bool in);
/* The first range that ends after @from (it may hold @from): false if none. */
bool gfn_ranges_next(const struct kvm_attr_ranges *a, u64 from, u64 *start, u64 *end);
bool gfn_ranges_contains(const struct kvm_attr_ranges *a, u64 gfn);
void gfn_ranges_clear(struct kvm_attr_ranges *a);

/* The vCPU half of the split. */
struct kvm_vcpu_ops {
	/* Sets the vendor's reset state and protection flags. */
	int (*create)(struct kvm_vcpu *vcpu);
	void (*free)(struct kvm_vcpu *vcpu);
	long (*mem_enc_op)(struct kvm_vcpu *vcpu, unsigned long arg);
	/* Before entering the guest: > 0 to go on, else the KVM_RUN result. */
	int (*pre_run)(struct kvm_vcpu *vcpu);
	/* Runs the guest until an exit for userspace: 0, or -errno. */
	int (*run)(struct kvm_vcpu *vcpu);
	/* MSR access by the host (KVM_GET/SET_MSRS) or the guest: 0, or 1 to refuse. */
	int (*get_msr)(struct kvm_vcpu *vcpu, u32 index, u64 *data);
	int (*set_msr)(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host);
	/* vCPU requests x86.c does not handle; -EINVAL if none. */
	long (*vendor_ioctl)(struct kvm_vcpu *vcpu, unsigned int request, unsigned long arg);
};

struct kvm_vm {
	struct kvm_obj obj;
	unsigned long type;
	const struct kvm_vm_ops *ops;
	pthread_mutex_t lock;		/* kvm->lock */
	bool split_irqchip;
	bool has_protected_state;
	bool has_private_mem;
	u64 exit_hypercall;		/* KVM_CAP_EXIT_HYPERCALL mask */
	u64 apic_bus_cycle_ns;		/* KVM_CAP_X86_APIC_BUS_CYCLES_NS */
	u32 max_vcpus;
	u32 created_vcpus;
	u64 default_tsc_khz;
	int64_t kvmclock_offset;		/* KVM_GET/SET_CLOCK: ns added to the host's boot time */
	u32 tss_addr;			/* KVM_SET_TSS_ADDR (a normal VM's; TDs ignore it) */
	u64 identity_map_addr;		/* KVM_SET_IDENTITY_MAP_ADDR (likewise) */
	u32 max_vcpu_ids;		/* KVM_CAP_MAX_VCPU_ID; 0: the default */
	struct kvm_tdx *tdx;
	struct kvm_vmx *vmx;		/* a normal VM's CPU group (vmx_run.c) */
	const struct kvm_vcpu_ops *vcpu_ops;
	struct kvm_vcpu *vcpus[KVM_MAX_VCPUS_SUPPORTED];
	pthread_mutex_t slots_lock;	/* memslots, attributes, bindings */
	struct kvm_memslot *slots;
	size_t nr_slots, cap_slots;
	struct kvm_attr_ranges private_gfns;
	u64 gfn_direct_bits;		/* a TD's shared bit as a GFN, once INIT_VM set it (slots_lock) */
	struct kvm_msi_route *msi_routes;	/* KVM_SET_GSI_ROUTING (irq.c), under lock */
	u32 nr_msi_routes;
	struct kvm_eventfds *eventfds;	/* KVM_IOEVENTFD, KVM_IRQFD (eventfd.c) */
	_Atomic bool dead;		/* KVM_BUG_ON hit: every ioctl is EIO from then on */
};

/*
 * KVM_BUG_ON()'s effect (kvm_vm_bugged()): KVM found its state broken, so
 * the VM and its vCPUs answer every ioctl with -EIO until they are closed.
 */
void kvm_vm_bug(struct kvm_vm *vm);

/* ---- userspace interrupts (irq.c) ---------------------------------------------------- */

#define KVM_MAX_IRQ_ROUTES	4096
long kvm_vm_signal_msi(struct kvm_vm *vm, unsigned long arg);
long kvm_vm_set_gsi_routing(struct kvm_vm *vm, unsigned long arg);
/* KVM_IRQ_LINE, or KVM_IRQ_LINE_STATUS with @with_status. */
long kvm_vm_irq_line(struct kvm_vm *vm, unsigned long arg, bool with_status);
void kvm_vm_free_gsi_routing(struct kvm_vm *vm);
/* Every route of @gsi fires (an eventfd's edge); the number of vCPUs that got it, or -1. */
int kvm_vm_fire_gsi(struct kvm_vm *vm, u32 gsi);

/* ---- eventfds (eventfd.c) -------------------------------------------------------------- */

long kvm_vm_ioeventfd(struct kvm_vm *vm, unsigned long arg);
long kvm_vm_irqfd(struct kvm_vm *vm, unsigned long arg);
/* A guest write of @len bytes of @val: true when an ioeventfd took it (no exit). */
bool kvm_ioeventfd_write(struct kvm_vm *vm, bool pio, u64 addr, u32 len, u64 val);
void kvm_vm_free_eventfds(struct kvm_vm *vm);

struct kvm_vcpu_tdx;

#define KVM_MAX_MCE_BANKS	32
#define KVM_NR_VAR_MTRR		8
#define KVM_NR_FIXED_MTRR	11

/* The architectural vCPU state KVM keeps (x86.c), for both halves. */
struct kvm_vcpu_arch {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_lapic_state apic;	/* the APIC register page */
	u32 mp_state;
	bool lapic_in_kernel;
	u64 vapic_addr;			/* KVM_SET_VAPIC_ADDR */
	int pending_external_vector;	/* KVM_INTERRUPT's ExtINT, or -1 */
	bool tpr_access_reporting;	/* KVM_TPR_ACCESS_REPORTING */
	/* What the vendor hides from the host (TDs: everything). */
	bool guest_state_protected, apic_protected, fpu_confidential, tsc_protected;
	bool smi_ignored;		/* TDs swallow SMIs; normal VMs have no SMM */
	/* Events */
	struct {
		bool injected, pending, has_error_code;
		u8 nr;
		u32 error_code;
	} exception;
	struct {
		bool injected, soft;
		u8 nr, shadow;
	} interrupt;
	_Atomic u32 nmi_queued;		/* other vCPUs' NMI IPIs add to it */
	u32 nmi_pending;
	bool nmi_injected, nmi_masked, smi_pending;
	bool init_pending, sipi_pending;
	bool triple_fault;		/* KVM_REQ_TRIPLE_FAULT */
	u8 sipi_vector;
	/* MSRs */
	u64 apic_base, efer, pat, misc_enable, misc_features_enables;
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	u64 star, lstar, cstar, fmask, kernel_gs_base, tsc_aux;
	u64 tsc_offset, tsc_ratio, tsc_deadline, power_ctl, poll_control;
	u64 ucode_rev, arch_capabilities, platform_info;
	u64 mtrr_def_type, mtrr_fixed[KVM_NR_FIXED_MTRR], mtrr_var[2 * KVM_NR_VAR_MTRR];
	u64 mcg_cap, mcg_status, mcg_ctl, mcg_ext_ctl;
	u64 mce_banks[4 * KVM_MAX_MCE_BANKS], mci_ctl2[KVM_MAX_MCE_BANKS];
	u32 tsc_khz;
	/* What the next KVM_RUN finishes first (an exit userspace completed). */
	int (*complete_userspace_io)(struct kvm_vcpu *vcpu);
	u64 irq_exits, io_exits, halt_exits;
};

struct kvm_vcpu {
	struct kvm_obj obj;
	/* During KVM_RUN: the caller's signal mask, all blocked meanwhile (x86.c). */
	sigset_t run_saved_sigmask;
	struct kvm_vm *vm;
	u32 id;
	int run_fd;			/* memfd behind the kvm_run mapping */
	struct kvm_run *run;
	pthread_mutex_t lock;		/* vcpu->mutex */
	struct kvm_cpuid2 *cpuid;	/* from KVM_SET_CPUID2 */
	struct kvm_vcpu_arch arch;
	struct kvm_lapic_timer *lapic_timer;	/* lapic.c, once the guest arms it */
	struct kvm_vcpu_tdx *tdx;
	struct kvm_vcpu_vmx *vmx;	/* a normal vCPU's core (vmx_run.c) */
	/* kvm_vcpu_block()'s wait: a futex word wakers bump, and whether anyone sleeps on it */
	_Atomic u32 wake_seq;
	_Atomic bool sleeping;
};

long kvm_vm_create_vcpu(struct kvm_vm *vm, unsigned long id);
/*
 * Inside KVM_RUN: userspace wants it to end (immediate_exit, or a signal
 * the calling thread would take); the run loops then return -EINTR with
 * KVM_EXIT_INTR.
 */
bool kvm_vcpu_exit_requested(struct kvm_vcpu *vcpu);
/*
 * A halted vCPU's sleep (kvm_vcpu_block()): the caller reads
 * kvm_vcpu_wake_seq(), checks what would wake it, then sleeps until
 * kvm_vcpu_wake() or for at most 1 ms (how soon immediate_exit or a
 * signal, which nothing here wakes for, ends the sleep).
 */
u32 kvm_vcpu_wake_seq(struct kvm_vcpu *vcpu);
void kvm_vcpu_sleep(struct kvm_vcpu *vcpu, u32 seq);
/* After an event for @vcpu is posted: a sleeping vCPU wakes (kvm_vcpu_kick()'s wake-up). */
void kvm_vcpu_wake(struct kvm_vcpu *vcpu);
/* The vCPU structs live until their VM goes; this frees one. */
void kvm_vcpu_destroy(struct kvm_vcpu *vcpu);
/* CPUID entry @function/@index of a vCPU's KVM_SET_CPUID2 table. */
const struct kvm_cpuid_entry2 *kvm_vcpu_cpuid(struct kvm_vcpu *vcpu, u32 function, u32 index);

/* ---- generic x86 vCPU state (x86.c) ----------------------------------------------- */

/* Architectural bits both vCPU halves use. */
#define MSR_IA32_APICBASE	0x1b
#define MSR_EFER		0xc0000080
#define EFER_SCE		(1ULL << 0)
#define EFER_LME		(1ULL << 8)
#define EFER_LMA		(1ULL << 10)
#define EFER_NX			(1ULL << 11)
#define APICBASE_BSP		(1ULL << 8)
#define APICBASE_X2APIC		(1ULL << 10)
#define APICBASE_ENABLE		(1ULL << 11)
#define APIC_DEFAULT_BASE	0xfee00000ULL
#define CPUID_1_ECX_X2APIC	(1u << 21)

/* The RESET state of a new vCPU, before the vendor's create(). */
void kvm_vcpu_arch_reset(struct kvm_vcpu *vcpu);
/* The state ioctls of x86's kvm_arch_vcpu_ioctl; vcpu->lock held. */
long kvm_arch_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int request, unsigned long arg);
/* The guest's TSC now (platform TSC, ratio and offset). */
u64 kvm_guest_tsc(const struct kvm_vcpu_arch *a);

/* kvm_get_msr_common/kvm_set_msr_common: 0, or 1 on a refused access. */
int kvm_get_msr_common(struct kvm_vcpu *vcpu, u32 index, u64 *data);
int kvm_set_msr_common(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host);
/*
 * A host-initiated IA32_APIC_BASE write (mode switches set the APIC ID);
 * 1 for reserved bits or an invalid mode.
 */
int kvm_apic_set_base(struct kvm_vcpu *vcpu, u64 value);
/* KVM_GET_MSR_INDEX_LIST, KVM_GET_SUPPORTED_CPUID, KVM_X86_GET_MCE_CAP_SUPPORTED. */
long kvm_get_msr_index_list(unsigned long arg);
long kvm_get_supported_cpuid(unsigned long arg);
/* The last GFN a memslot may reach: the host's MAXPHYADDR bounds GPAs with TDP. */
u64 kvm_mmu_max_gfn(void);
long kvm_get_mce_cap_supported(unsigned long arg);

/* ---- memory: memslots, attributes, guest_memfd (kvm_mem.c, guest_memfd.c) ---- */

long kvm_vm_set_memory_region(struct kvm_vm *vm, unsigned long arg, bool v2);
long kvm_vm_set_memory_attributes(struct kvm_vm *vm, unsigned long arg);
long kvm_vm_get_dirty_log(struct kvm_vm *vm, unsigned long arg);
/* kvm_arch_nr_memslot_as_ids(): VMs with private memory have no SMM space. */
static inline u16 kvm_nr_memslot_as_ids(const struct kvm_vm *vm)
{
	return vm->has_private_mem ? 1 : KVM_MAX_NR_ADDRESS_SPACES;
}
void kvm_memslots_free(struct kvm_vm *vm);
/*
 * The host physical address of @gfn's page in @slot's userspace memory
 * (get_user_pages: the slot's memory becomes a platform window on first
 * use); PLATFORM_NO_HPA if it cannot.
 */
u64 kvm_memslot_hpa(struct kvm_memslot *slot, u64 gfn);
/* The memslot (address space 0) holding @gfn; slots_lock held. */
struct kvm_memslot *kvm_gfn_to_memslot(struct kvm_vm *vm, u64 gfn);
bool kvm_gfn_is_private(struct kvm_vm *vm, u64 gfn);
/*
 * May a private huge page at @level (1 = 2M, 2 = 1G) map @gfn?  It must
 * lie inside the slot, and its attributes must not be mixed.
 */
bool kvm_hugepage_allowed(struct kvm_memslot *slot, u64 gfn, int level);

long kvm_create_guest_memfd(struct kvm_vm *vm, unsigned long arg);
/*
 * The guest_memfd of this VM behind @fd, referenced (kvm_gmem_put()), or
 * NULL.  Look it up before slots_lock and put it after: the put may be the
 * last, and a guest_memfd's release takes slots_lock.
 */
struct kvm_gmem *kvm_gmem_of_fd(struct kvm_vm *vm, int fd);
void kvm_gmem_put(struct kvm_gmem *g);
/* Binding a slot's range of the file; -EINVAL or -EEXIST. slots_lock held. */
int kvm_gmem_bind(struct kvm_gmem *gmem, struct kvm_memslot *slot);
/* kvm_gmem_fallocate(): punch a hole (KEEP_SIZE|PUNCH_HOLE) or back a range (KEEP_SIZE). */
long kvm_gmem_fallocate(struct kvm_gmem *g, int mode, u64 offset, u64 len);
void kvm_gmem_unbind(struct kvm_memslot *slot);
/*
 * The host page behind @gfn of a guest_memfd-backed slot, allocated on
 * first use (-ENOMEM when none is left).  *populated: the TD has it.
 */
int kvm_gmem_get_pfn(struct kvm_memslot *slot, u64 gfn, u64 *hpa, bool *populated);
void kvm_gmem_set_populated(struct kvm_memslot *slot, u64 gfn, bool populated);
void kvm_gmem_set_populated_range(struct kvm_memslot *slot, u64 gfn, u64 nr, bool populated);
/*
 * The 2M-aligned, contiguous run of 512 pages behind the 2M-aligned @gfn,
 * none of them given to the TD yet; -EAGAIN if the file cannot offer one.
 */
int kvm_gmem_get_huge(struct kvm_memslot *slot, u64 gfn, u64 *hpa);

/* ---- normal VMs on the CPU engine (vmx_run.c) ---------------------------------- */

struct kvm_vmx;
struct kvm_vcpu_vmx;
/* KVM_RUN of a normal vCPU: 0 with an exit for userspace, or -errno. */
int vmx_vcpu_run(struct kvm_vcpu *vcpu);
void vmx_vcpu_teardown(struct kvm_vcpu *vcpu);
/* After every vCPU's teardown: the VM's CPU group. */
void vmx_vm_teardown(struct kvm_vm *vm);
/* Mappings changed (memslot deleted or moved): running vCPUs forget them. */
void vmx_flush_vm(struct kvm_vm *vm);

extern const struct kvm_vcpu_ops vmx_vcpu_ops;
extern const struct kvm_vcpu_ops tdx_vcpu_ops;

int kvm_create_vm(unsigned long type);
long kvm_vm_check_extension(struct kvm_vm *vm, long cap);
/* System-scope KVM_CHECK_EXTENSION (vm == NULL) and the generic part. */
long kvm_check_extension_generic(struct kvm_vm *vm, long cap);

extern const struct kvm_vm_ops vmx_vm_ops;
extern const struct kvm_vm_ops tdx_vm_ops;

/* Host TSC frequency the platform reports (kHz). */
#define KVM_HOST_TSC_KHZ	2500000ULL
/* kvm_caps.max_guest_tsc_khz: what TSC scaling reaches. */
#define MAX_GUEST_TSC_KHZ	(KVM_HOST_TSC_KHZ * 4)

#endif /* SOFTTDX_KVM_INTERNAL_H */
