// SPDX-License-Identifier: MIT
/*
 * KVM's TDX VMs (Linux arch/x86/kvm/vmx/tdx.c): KVM_TDX_CAPABILITIES,
 * KVM_TDX_INIT_VM and KVM_TDX_FINALIZE_VM at VM scope, and the TD's life
 * in the module: TDH.MNG.CREATE/KEY.CONFIG/ADDCX/INIT at INIT_VM, and at
 * destruction the HKID release (VPFLUSHDONE, CACHE.WB, KEY.FREEID) and the
 * reclaim of every control page.
 */
#include "tdx_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the module reports through TDH.SYS.RD, read once. */
struct tdx_sysinfo {
	u64 attributes_fixed0, attributes_fixed1;
	u64 xfam_fixed0, xfam_fixed1;
	u32 tdcs_pages;
	u32 tdvps_pages;
	u32 nr_cpuid;
	struct { u32 leaf, subleaf; struct tdx_cpuid_value mask; } cpuid[TDX_MAX_NUM_CPUID_CONFIG];
};

static struct tdx_sysinfo sysinfo;
static pthread_once_t sysinfo_once = PTHREAD_ONCE_INIT;

static u64 sys_rd(u64 field)
{
	struct seamcall_regs r = { .rdx = field };

	return kvm_seamcall(TDH_SYS_RD, &r) == TDX_SUCCESS ? r.r8 : 0;
}

static void read_sysinfo(void)
{
	sysinfo.attributes_fixed0 = sys_rd(MD_SYS_ATTRIBUTES_FIXED0);
	sysinfo.attributes_fixed1 = sys_rd(MD_SYS_ATTRIBUTES_FIXED1);
	sysinfo.xfam_fixed0 = sys_rd(MD_SYS_XFAM_FIXED0);
	sysinfo.xfam_fixed1 = sys_rd(MD_SYS_XFAM_FIXED1);
	sysinfo.tdcs_pages = (u32)(sys_rd(MD_SYS_TDCS_BASE_SIZE) / TDX_PAGE_SIZE);
	sysinfo.tdvps_pages = (u32)(sys_rd(MD_SYS_TDVPS_BASE_SIZE) / TDX_PAGE_SIZE);
	sysinfo.nr_cpuid = (u32)sys_rd(MD_SYS_NUM_CPUID_CONFIG);
	if (sysinfo.nr_cpuid > TDX_MAX_NUM_CPUID_CONFIG)
		sysinfo.nr_cpuid = TDX_MAX_NUM_CPUID_CONFIG;
	for (u32 i = 0; i < sysinfo.nr_cpuid; i++) {
		u64 leaf = sys_rd(MD_FIELD_ELEM(MD_SYS_CPUID_CONFIG_LEAVES, i));
		u64 lo = sys_rd(MD_FIELD_ELEM(MD_SYS_CPUID_CONFIG_VALUES, 2 * i));
		u64 hi = sys_rd(MD_FIELD_ELEM(MD_SYS_CPUID_CONFIG_VALUES, 2 * i + 1));

		sysinfo.cpuid[i].leaf = (u32)leaf;
		sysinfo.cpuid[i].subleaf = (u32)(leaf >> 32);
		sysinfo.cpuid[i].mask = (struct tdx_cpuid_value){
			(u32)lo, (u32)(lo >> 32), (u32)hi, (u32)(hi >> 32) };
	}
}

static const struct tdx_sysinfo *tdx_sysinfo(void)
{
	pthread_once(&sysinfo_once, read_sysinfo);
	return &sysinfo;
}

static u64 supported_attrs(const struct tdx_sysinfo *si)
{
	if (si->attributes_fixed1 & ~KVM_SUPPORTED_TD_ATTRS)
		return 0;
	return KVM_SUPPORTED_TD_ATTRS & si->attributes_fixed0;
}

/*
 * What the host CPU's XSAVE supports (CPUID.0xD: XCR0 in subleaf 0, IA32_XSS
 * in subleaf 1), as Linux takes it from the host: here the platform's
 * CPUs, which execute x87 and SSE state only.
 */
static u64 host_xsave_features(void)
{
	u32 v0[4], v1[4];

	platform_cpuid(tdx_plat(), 0xD, 0, v0);
	platform_cpuid(tdx_plat(), 0xD, 1, v1);
	return ((u64)v0[3] << 32 | v0[0]) | ((u64)v1[3] << 32 | v1[2]);
}

static u64 supported_xfam(const struct tdx_sysinfo *si)
{
	u64 xfam = host_xsave_features() & si->xfam_fixed0;

	return (xfam & si->xfam_fixed1) == si->xfam_fixed1 ? xfam : 0;
}

/* ---- KVM_TDX_CAPABILITIES ----------------------------------------------------------- */

/* A configurable CPUID leaf as userspace sees it (KVM's fix-ups applied). */
static struct kvm_cpuid_entry2 cap_entry(const struct tdx_sysinfo *si, u32 i)
{
	struct kvm_cpuid_entry2 e = {
		.function = si->cpuid[i].leaf,
		.index = si->cpuid[i].subleaf == NO_SUBLEAF ? 0 : si->cpuid[i].subleaf,
		.eax = si->cpuid[i].mask.eax,
		.ebx = si->cpuid[i].mask.ebx,
		.ecx = si->cpuid[i].mask.ecx,
		.edx = si->cpuid[i].mask.edx,
	};

	/* The guest-physical-address width is KVM's GPAW knob. */
	if (e.function == 0x80000008)
		e.eax |= 0xFFu << 16;
	if (e.function == 7 && e.index == 0) {
		e.ebx &= ~CPUID_7_0_EBX_TSX;
		e.ecx &= ~CPUID_7_0_ECX_WAITPKG;
	}
	return e;
}

static long tdx_get_capabilities(struct kvm_tdx_cmd *cmd)
{
	const struct tdx_sysinfo *si = tdx_sysinfo();
	size_t hdr = offsetof(struct kvm_tdx_capabilities, cpuid.entries);
	struct kvm_tdx_capabilities *caps;
	u32 nent;
	long ret;

	if (cmd->flags)
		return -EINVAL;
	if (kvm_copy_from_user(&nent, cmd->data + offsetof(struct kvm_tdx_capabilities, cpuid.nent),
			       sizeof(nent)))
		return -EFAULT;
	if (nent < si->nr_cpuid)
		return -E2BIG;
	caps = calloc(1, hdr + si->nr_cpuid * sizeof(struct kvm_cpuid_entry2));
	if (!caps)
		return -ENOMEM;
	caps->supported_attrs = supported_attrs(si);
	caps->supported_xfam = supported_xfam(si);
	caps->user_tdvmcallinfo_1_r11 = 1ULL << 1;	/* SetupEventNotifyInterrupt */
	caps->cpuid.nent = si->nr_cpuid;
	for (u32 i = 0; i < si->nr_cpuid; i++)
		caps->cpuid.entries[i] = cap_entry(si, i);
	ret = caps->supported_attrs && caps->supported_xfam ? 0 : -EIO;
	if (!ret && kvm_copy_to_user(cmd->data, caps,
				     hdr + si->nr_cpuid * sizeof(struct kvm_cpuid_entry2)))
		ret = -EFAULT;
	free(caps);
	return ret;
}

/* ---- TD creation and teardown in the module -------------------------------------------- */

struct platform *tdx_plat(void)
{
	return kvm_dev()->tdx->plat;
}

u64 tdx_alloc_td_page(void)
{
	return platform_alloc_page(tdx_plat());
}

void tdx_free_host_page(u64 pa)
{
	platform_free_pages(tdx_plat(), pa, 1);
}

/* TDH.PHYMEM.PAGE.RECLAIM, then WBINVD under @keyid, then back to the host. */
void tdx_reclaim_pages(u64 pa, u64 nr, u32 keyid)
{
	struct seamcall_regs r = { .rcx = pa };

	if (kvm_seamcall(TDH_PHYMEM_PAGE_RECLAIM, &r) != TDX_SUCCESS) {
		/* Like Linux: a page the module will not give back is leaked. */
		return;
	}
	for (u64 i = 0; i < nr; i++) {
		r = (struct seamcall_regs){
			.rcx = platform_hpa_with_keyid(tdx_plat(), pa + i * TDX_PAGE_SIZE, keyid),
		};
		kvm_seamcall(TDH_PHYMEM_PAGE_WBINVD, &r);
	}
	platform_host_fill(tdx_plat(), pa, 0, nr * TDX_PAGE_SIZE);
	platform_free_pages(tdx_plat(), pa, nr);
}

void tdx_reclaim_page(u64 pa, u32 keyid)
{
	tdx_reclaim_pages(pa, 1, keyid);
}

/*
 * TDH.PHYMEM.CACHE.WB on one LP of every package, resuming while the
 * module reports it was interrupted.
 */
static bool cache_wb_all_packages(void)
{
	const struct platform_config *cfg = platform_get_config(tdx_plat());

	for (u32 pkg = 0; pkg < cfg->nr_packages; pkg++) {
		struct seamcall_regs r = { 0 };
		u64 st = kvm_seamcall_on(pkg * cfg->lps_per_package, TDH_PHYMEM_CACHE_WB, &r);

		for (int tries = 0; st == TDX_INTERRUPTED_RESUMABLE && tries < 10000; tries++) {
			r = (struct seamcall_regs){ .rcx = 1 };
			st = kvm_seamcall_on(pkg * cfg->lps_per_package, TDH_PHYMEM_CACHE_WB, &r);
		}
		if (st != TDX_SUCCESS && st != TDX_NO_HKID_READY_TO_WBCACHE)
			return false;
	}
	return true;
}

/* TDH.VP.FLUSH of every vCPU on the LP it is associated with. */
static void flush_vcpus(struct kvm_vm *vm)
{
	for (u32 i = 0; i < vm->created_vcpus; i++) {
		struct kvm_vcpu_tdx *v = vm->vcpus[i]->tdx;
		struct seamcall_regs r = { .rcx = v->tdvpr };

		if (v->tdvpr)
			kvm_seamcall_on(v->lp, TDH_VP_FLUSH, &r);	/* NOT_ASSOCIATED is fine */
	}
}

/*
 * tdx_mmu_release_hkid: flush, write back and free the TD's key.  If the
 * module refuses, the HKID and every page it protects stay with the TD.
 */
static void release_hkid(struct kvm_vm *vm)
{
	struct kvm_tdx *td = vm->tdx;
	struct kvm_dev *d = kvm_dev();
	struct seamcall_regs r = { .rcx = td->tdr };
	bool ok;

	if (!td->tdr || td->hkid_released)
		return;
	flush_vcpus(vm);
	pthread_mutex_lock(&d->tdx_lock);
	ok = kvm_seamcall(TDH_MNG_VPFLUSHDONE, &r) == TDX_SUCCESS && cache_wb_all_packages();
	if (ok) {
		r = (struct seamcall_regs){ .rcx = td->tdr };
		ok = kvm_seamcall(TDH_MNG_KEY_FREEID, &r) == TDX_SUCCESS;
	}
	pthread_mutex_unlock(&d->tdx_lock);
	if (!ok) {
		fprintf(stderr, "softtdx: TD HKID %d could not be released; its pages leak\n",
			td->hkid);
		return;
	}
	td->hkid_released = true;
}

/* The control pages go back once the HKID is released: TDCS, then TDR. */
static void reclaim_control_pages(struct kvm_tdx *td)
{
	if (!td->tdr || !td->hkid_released)
		return;
	tdx_mirror_free(td);
	for (u32 i = 0; i < td->nr_tdcs; i++)
		tdx_reclaim_page(td->tdcs[i], (u32)td->hkid);
	tdx_reclaim_page(td->tdr, kvm_dev()->tdx->global_hkid);
	tdx_host_free_hkid(kvm_dev()->tdx, td->hkid);
	td->tdr = 0;
	td->nr_tdcs = 0;
	td->hkid = -1;
	td->hkid_released = false;
}

/* A SEAMCALL that may run out of entropy: retried, then -EAGAIN. */
static long seamcall_rnd(u64 leaf, const struct seamcall_regs *in)
{
	struct seamcall_regs r;
	u64 st = TDX_RND_NO_ENTROPY;

	for (int i = 0; i < RDRAND_RETRY_LOOPS && st == TDX_RND_NO_ENTROPY; i++) {
		r = *in;
		st = kvm_seamcall(leaf, &r);
	}
	if (st == TDX_RND_NO_ENTROPY)
		return -EAGAIN;
	return st == TDX_SUCCESS ? 0 : -EIO;
}

static long td_create(struct kvm_tdx *td)
{
	const struct platform_config *cfg = platform_get_config(tdx_plat());
	struct kvm_dev *d = kvm_dev();
	struct seamcall_regs r;
	long ret;

	td->tdr = tdx_alloc_td_page();
	if (td->tdr == PLATFORM_NO_HPA) {
		td->tdr = 0;
		return -ENOMEM;
	}
	r = (struct seamcall_regs){ .rcx = td->tdr, .rdx = (u64)td->hkid };
	pthread_mutex_lock(&d->tdx_lock);
	ret = seamcall_rnd(TDH_MNG_CREATE, &r);
	pthread_mutex_unlock(&d->tdx_lock);
	if (ret) {
		platform_free_pages(tdx_plat(), td->tdr, 1);
		td->tdr = 0;
		return ret;
	}
	for (u32 pkg = 0; pkg < cfg->nr_packages; pkg++) {
		r = (struct seamcall_regs){ .rcx = td->tdr };
		if (kvm_seamcall_on(pkg * cfg->lps_per_package, TDH_MNG_KEY_CONFIG, &r))
			return -EIO;
	}
	for (u32 i = 0; i < tdx_sysinfo()->tdcs_pages; i++) {
		u64 page = tdx_alloc_td_page();

		if (page == PLATFORM_NO_HPA)
			return -ENOMEM;
		r = (struct seamcall_regs){ .rcx = page, .rdx = td->tdr };
		ret = seamcall_rnd(TDH_MNG_ADDCX, &r);
		if (ret) {
			platform_free_pages(tdx_plat(), page, 1);
			return ret;
		}
		td->tdcs[td->nr_tdcs++] = page;
	}
	return 0;
}

/* ---- KVM_TDX_INIT_VM ----------------------------------------------------------------- */

static bool cpuid_matches(const struct kvm_cpuid_entry2 *e, u32 leaf, u32 subleaf)
{
	if (e->function != leaf)
		return false;
	return subleaf == NO_SUBLEAF || !(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
	       e->index == subleaf;
}

static const struct kvm_cpuid_entry2 *find_cpuid(const struct kvm_cpuid2 *c, u32 leaf, u32 sub)
{
	for (u32 i = 0; i < c->nent; i++)
		if (cpuid_matches(&c->entries[i], leaf, sub))
			return &c->entries[i];
	return NULL;
}

/* The GPAW from CPUID 0x80000008 EAX[23:16]: 48 or 52, else -EINVAL. */
static int gpaw_of(const struct kvm_cpuid2 *c)
{
	const struct kvm_cpuid_entry2 *e = find_cpuid(c, 0x80000008, 0);
	int bits = e ? (e->eax >> 16) & 0xFF : 0;

	return bits == 48 || bits == 52 ? bits : -EINVAL;
}

/* TD_PARAMS from INIT_VM's input, as setup_tdparams() builds it. */
static long build_td_params(struct kvm_vm *vm, const struct kvm_tdx_init_vm *in,
			    struct td_params *tp)
{
	const struct tdx_sysinfo *si = tdx_sysinfo();
	int gpaw = gpaw_of(&in->cpuid);
	u32 matched = 0;

	if (gpaw < 0)
		return gpaw;
	memset(tp, 0, sizeof(*tp));
	tp->attributes = in->attributes | si->attributes_fixed1;
	tp->xfam = in->xfam | si->xfam_fixed1;
	tp->max_vcpus = (u16)vm->max_vcpus;
	tp->eptp_controls = TDX_EPTP_MT_WB | (u64)(gpaw == 52 ? 4 : 3) << TDX_EPTP_PWL_SHIFT;
	tp->config_flags = TDX_CONFIG_FLAGS_NO_RBP_MOD | (gpaw == 52 ? TDX_CONFIG_FLAGS_GPAW : 0);
	tp->tsc_frequency = (u16)(vm->default_tsc_khz / 25000);
	memcpy(tp->mrconfigid, in->mrconfigid, sizeof(tp->mrconfigid));
	memcpy(tp->mrowner, in->mrowner, sizeof(tp->mrowner));
	memcpy(tp->mrownerconfig, in->mrownerconfig, sizeof(tp->mrownerconfig));
	for (u32 i = 0; i < si->nr_cpuid; i++) {
		const struct kvm_cpuid_entry2 *e =
			find_cpuid(&in->cpuid, si->cpuid[i].leaf, si->cpuid[i].subleaf);

		if (!e)
			continue;
		matched++;
		tp->cpuid_values[i] = (struct tdx_cpuid_value){ e->eax, e->ebx, e->ecx, e->edx };
		if (e->function == 0x80000008)
			tp->cpuid_values[i].eax &= ~(0xFFu << 16);
		if (e->function == 7 && e->index == 0 &&
		    ((e->ebx & CPUID_7_0_EBX_TSX) || (e->ecx & CPUID_7_0_ECX_WAITPKG)))
			return -EINVAL;
	}
	return matched == in->cpuid.nent ? gpaw : -EINVAL;
}

/* Copies the INIT_VM argument in: header, then its CPUID entries. */
static long copy_init_vm(unsigned long uaddr, struct kvm_tdx_init_vm **out)
{
	struct kvm_tdx_init_vm hdr, *in;
	size_t len;

	if (kvm_copy_from_user(&hdr, uaddr, sizeof(hdr)))
		return -EFAULT;
	if (hdr.cpuid.nent > KVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	len = sizeof(hdr) + hdr.cpuid.nent * sizeof(struct kvm_cpuid_entry2);
	in = malloc(len);
	if (!in)
		return -ENOMEM;
	if (kvm_copy_from_user(in, uaddr, len)) {
		free(in);
		return -EFAULT;
	}
	*out = in;
	return 0;
}

static bool init_vm_reserved_clear(const struct kvm_tdx_init_vm *in)
{
	for (size_t i = 0; i < sizeof(in->reserved) / sizeof(in->reserved[0]); i++)
		if (in->reserved[i])
			return false;
	return !in->cpuid.padding;
}

/* TDH.MNG.INIT with @tp; an operand error is -EINVAL with the status out. */
static long td_init(struct kvm_tdx *td, const struct td_params *tp, u64 *hw_error)
{
	u64 page = tdx_alloc_td_page();
	struct seamcall_regs r;
	u64 st;

	if (page == PLATFORM_NO_HPA)
		return -ENOMEM;
	platform_host_write(tdx_plat(), page, tp, sizeof(*tp));
	r = (struct seamcall_regs){ .rcx = td->tdr, .rdx = page };
	st = kvm_seamcall(TDH_MNG_INIT, &r);
	platform_free_pages(tdx_plat(), page, 1);
	*hw_error = st;
	if (TDX_STATUS(st) == TDX_OPERAND_INVALID)
		return -EINVAL;
	return st == TDX_SUCCESS ? 0 : -EIO;
}

/* TDH.MNG.RD of one TD-scope field. */
static u64 td_read(struct kvm_tdx *td, u64 field, u64 *value)
{
	struct seamcall_regs r = { .rcx = td->tdr, .rdx = field };
	u64 st = kvm_seamcall(TDH_MNG_RD, &r);

	*value = r.r8;
	return st;
}

static long tdx_init_vm_checked(struct kvm_vm *vm, struct kvm_tdx_init_vm *in, u64 *hw_error)
{
	const struct tdx_sysinfo *si = tdx_sysinfo();
	struct kvm_tdx *td = vm->tdx;
	struct td_params tp;
	long ret;

	if (!init_vm_reserved_clear(in))
		return -EINVAL;
	if (vm->created_vcpus)
		return -EBUSY;
	if ((in->attributes & ~supported_attrs(si)) || (in->xfam & ~supported_xfam(si)))
		return -EINVAL;
	ret = build_td_params(vm, in, &tp);
	if (ret < 0)
		return ret;
	td->gpaw = (int)ret;
	td->hkid = tdx_host_alloc_hkid(kvm_dev()->tdx);
	if (td->hkid < 0)
		return td->hkid;
	ret = td_create(td);
	if (!ret)
		ret = td_init(td, &tp, hw_error);
	if (ret) {
		if (td->tdr) {
			release_hkid(vm);
			reclaim_control_pages(td);
		} else {
			tdx_host_free_hkid(kvm_dev()->tdx, td->hkid);
			td->hkid = -1;
		}
		return ret;
	}
	td->attributes = tp.attributes;
	td->xfam = tp.xfam;
	/* The TD's TSC, for the APIC timer's TSC-deadline mode, as upstream reads it. */
	if (td_read(td, MD_TD_TSC_OFFSET, &td->tsc_offset) ||
	    td_read(td, MD_TD_TSC_MULTIPLIER, &td->tsc_multiplier))
		return -EIO;
	td->state = TD_STATE_INITIALIZED;
	pthread_mutex_lock(&vm->slots_lock);
	vm->gfn_direct_bits = td_shared_bit(td) / TDX_PAGE_SIZE;
	pthread_mutex_unlock(&vm->slots_lock);
	return 0;
}

static long tdx_init_vm(struct kvm_vm *vm, struct kvm_tdx_cmd *cmd)
{
	struct kvm_tdx_init_vm *in = NULL;
	u64 hw_error = 0;
	long ret;

	if (vm->tdx->state != TD_STATE_UNINITIALIZED || cmd->flags)
		return -EINVAL;

	ret = copy_init_vm(cmd->data, &in);
	if (!ret)
		ret = tdx_init_vm_checked(vm, in, &hw_error);
	cmd->hw_error = hw_error;
	free(in);
	return ret;
}

/* ---- KVM_TDX_FINALIZE_VM ---------------------------------------------------------------- */

/*
 * TDH.MR.FINALIZE holds the TDR exclusively; under slots_lock, as upstream,
 * no zap or fault of this TD can meet it and get OPERAND_BUSY.
 */
static long __tdx_finalize_vm(struct kvm_tdx *td, struct kvm_tdx_cmd *cmd)
{
	struct seamcall_regs r = { .rcx = td->tdr };
	u64 st;

	if (td->state != TD_STATE_INITIALIZED)
		return -EINVAL;
	st = kvm_seamcall(TDH_MR_FINALIZE, &r);
	cmd->hw_error = st;
	if (TDX_STATUS(st) == TDX_OPERAND_BUSY)
		return -EBUSY;
	if (st != TDX_SUCCESS)
		return -EIO;
	td->state = TD_STATE_RUNNABLE;
	return 0;
}

static long tdx_finalize_vm(struct kvm_vm *vm, struct kvm_tdx_cmd *cmd)
{
	long ret;

	pthread_mutex_lock(&vm->slots_lock);
	ret = __tdx_finalize_vm(vm->tdx, cmd);
	pthread_mutex_unlock(&vm->slots_lock);
	/* KVM_BUG_ON(cmd->hw_error): MR.FINALIZE failing (no vCPU, say) breaks the VM. */
	if (ret == -EIO)
		kvm_vm_bug(vm);
	return ret;
}

/*
 * KVM_TDX_TERMINATE_VM (Linux 6.17): with no vCPU inside an ioctl
 * (kvm_trylock_all_vcpus, else EBUSY), the VM is dead from now on and its
 * HKID is released at once; its pages go back as they are zapped or when
 * it is closed, without the TD's key (TDH.PHYMEM.PAGE.RECLAIM).
 */
static long tdx_terminate_vm(struct kvm_vm *vm)
{
	u32 locked = 0;

	for (; locked < vm->created_vcpus; locked++)
		if (pthread_mutex_trylock(&vm->vcpus[locked]->lock))
			break;
	if (locked == vm->created_vcpus)
		kvm_vm_bug(vm);
	while (locked)
		pthread_mutex_unlock(&vm->vcpus[--locked]->lock);
	if (!atomic_load(&vm->dead))
		return -EBUSY;
	pthread_mutex_lock(&vm->slots_lock);
	release_hkid(vm);
	pthread_mutex_unlock(&vm->slots_lock);
	return 0;
}

/* ---- VM-scope KVM_MEMORY_ENCRYPT_OP ----------------------------------------------------- */

static long tdx_vm_mem_enc_op(struct kvm_vm *vm, unsigned long arg)
{
	struct kvm_tdx_cmd cmd;
	long ret;

	if (kvm_copy_from_user(&cmd, arg, sizeof(cmd)))
		return -EFAULT;
	if (cmd.hw_error)
		return -EINVAL;
	pthread_mutex_lock(&vm->lock);
	switch (cmd.id) {
	case KVM_TDX_CAPABILITIES:
		ret = tdx_get_capabilities(&cmd);
		break;
	case KVM_TDX_INIT_VM:
		ret = tdx_init_vm(vm, &cmd);
		break;
	case KVM_TDX_FINALIZE_VM:
		ret = tdx_finalize_vm(vm, &cmd);
		break;
	case KVM_TDX_TERMINATE_VM:
		ret = tdx_terminate_vm(vm);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	pthread_mutex_unlock(&vm->lock);
	/* The command goes back even on failure, so hw_error can be read. */
	if (kvm_copy_to_user(arg, &cmd, sizeof(cmd)))
		return -EFAULT;
	return ret;
}

/* ---- the TDX VM ops ----------------------------------------------------------------------- */

static int tdx_vm_init(struct kvm_vm *vm)
{
	u32 lps = platform_nr_lps(tdx_plat());

	vm->tdx = calloc(1, sizeof(*vm->tdx));
	if (!vm->tdx)
		return -ENOMEM;
	vm->tdx->hkid = -1;
	vm->has_protected_state = true;
	vm->has_private_mem = true;
	vm->max_vcpus = lps < vm->max_vcpus ? lps : vm->max_vcpus;
	return 0;
}

static void tdx_vm_pre_destroy(struct kvm_vm *vm)
{
	release_hkid(vm);
}

static void tdx_vm_destroy(struct kvm_vm *vm)
{
	tdx_shared_ept_free(vm->tdx);
	reclaim_control_pages(vm->tdx);
	free(vm->tdx);
}

static long tdx_check_extension(struct kvm_vm *vm, long cap, long generic)
{
	(void)vm;
	switch (cap) {
	case KVM_CAP_SYNC_REGS:
	case KVM_CAP_X86_SMM:
		return 0;
	default:
		return generic;
	}
}

const struct kvm_vm_ops tdx_vm_ops = {
	.init = tdx_vm_init,
	.pre_destroy = tdx_vm_pre_destroy,
	.destroy = tdx_vm_destroy,
	.check_extension = tdx_check_extension,
	.mem_enc_op = tdx_vm_mem_enc_op,
	.zap_private = tdx_zap_private,
	.zap_shared = tdx_shared_zap,
	.deliver_interrupt = tdx_deliver_interrupt,
	.deliver_nmi = tdx_deliver_nmi,
};

/* ---- TD vCPUs ------------------------------------------------------------------------------ */

static int tdx_vcpu_create(struct kvm_vcpu *vcpu)
{
	struct kvm_vm *vm = vcpu->vm;

	if (vm->tdx->state != TD_STATE_INITIALIZED)
		return -EIO;
	if (!vm->split_irqchip)
		return -EINVAL;
	vcpu->tdx = calloc(1, sizeof(*vcpu->tdx));
	if (!vcpu->tdx)
		return -ENOMEM;
	/* Registers, FPU, APIC and TSC are the module's; INIT/SIPI/SMI never land. */
	vcpu->arch.guest_state_protected = true;
	vcpu->arch.apic_protected = true;
	vcpu->arch.fpu_confidential = true;
	vcpu->arch.tsc_protected = true;
	vcpu->arch.tsc_offset = vm->tdx->tsc_offset;
	vcpu->arch.tsc_ratio = vm->tdx->tsc_multiplier;
	vcpu->arch.smi_ignored = true;
	vcpu->arch.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NX;
	return 0;
}

static void tdx_vcpu_free(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_tdx *v = vcpu->tdx;
	struct kvm_tdx *td = vcpu->vm->tdx;

	if (!v)
		return;
	if (v->pid_hpa)
		platform_unmap_user(tdx_plat(), v->pid_hpa);
	free((void *)v->pid);
	/* Reclaimable only once the HKID is gone; otherwise they leak. */
	if (v->tdvpr && td->hkid_released) {
		for (u32 i = 0; i < v->nr_tdcx; i++)
			tdx_reclaim_page(v->tdcx[i], (u32)td->hkid);
		tdx_reclaim_page(v->tdvpr, (u32)td->hkid);
	}
	free(v);
}

/* TDH.VP.CREATE, ADDCX for the rest of TDVPS, then VP.INIT (version 1). */
static long td_vcpu_init(struct kvm_vcpu *vcpu, u64 initial_rcx)
{
	struct kvm_vcpu_tdx *v = vcpu->tdx;
	u64 tdr = vcpu->vm->tdx->tdr;
	struct seamcall_regs r;

	v->lp = kvm_current_lp();
	atomic_fetch_or(&vcpu->vm->tdx->vcpu_lps, 1ULL << v->lp);
	v->tdvpr = tdx_alloc_td_page();
	if (v->tdvpr == PLATFORM_NO_HPA) {
		v->tdvpr = 0;
		return -ENOMEM;
	}
	r = (struct seamcall_regs){ .rcx = v->tdvpr, .rdx = tdr };
	if (kvm_seamcall_on(v->lp, TDH_VP_CREATE, &r)) {
		platform_free_pages(tdx_plat(), v->tdvpr, 1);
		v->tdvpr = 0;
		return -EIO;
	}
	while (v->nr_tdcx < tdx_sysinfo()->tdvps_pages - 1) {
		u64 page = tdx_alloc_td_page();

		if (page == PLATFORM_NO_HPA)
			return -ENOMEM;
		r = (struct seamcall_regs){ .rcx = page, .rdx = v->tdvpr };
		if (kvm_seamcall_on(v->lp, TDH_VP_ADDCX, &r)) {
			platform_free_pages(tdx_plat(), page, 1);
			return -EIO;
		}
		v->tdcx[v->nr_tdcx++] = page;
	}
	r = (struct seamcall_regs){ .rcx = v->tdvpr, .rdx = initial_rcx, .r8 = vcpu->id };
	if (kvm_seamcall_on(v->lp, TDH_VP_INIT | 1ULL << TDX_VERSION_SHIFT, &r))
		return -EIO;
	/* tdx_load_mmu_pgd(): the shared EPT root into the TD VMCS. */
	r = (struct seamcall_regs){ .rcx = v->tdvpr, .rdx = MD_VP_SHARED_EPTP,
				    .r8 = tdx_shared_eptp(vcpu->vm->tdx), .r9 = ~0ULL };
	if (!r.r8)
		return -ENOMEM;
	if (kvm_seamcall_on(v->lp, TDH_VP_WR, &r))
		return -EIO;
	/* The posted-interrupt descriptor, in KVM's memory, into the TD VMCS. */
	v->pid = aligned_alloc(TDX_PAGE_SIZE, TDX_PAGE_SIZE);
	if (!v->pid)
		return -ENOMEM;
	memset((void *)v->pid, 0, TDX_PAGE_SIZE);
	v->pid_hpa = platform_map_user(tdx_plat(), (void *)v->pid, TDX_PAGE_SIZE);
	if (v->pid_hpa == PLATFORM_NO_HPA) {
		v->pid_hpa = 0;
		return -ENOMEM;
	}
	r = (struct seamcall_regs){ .rcx = v->tdvpr, .rdx = MD_VP_POSTED_INTR_DESC,
				    .r8 = v->pid_hpa, .r9 = ~0ULL };
	if (kvm_seamcall_on(v->lp, TDH_VP_WR, &r))
		return -EIO;
	v->initialized = true;
	return 0;
}

static long tdx_init_vcpu(struct kvm_vcpu *vcpu, struct kvm_tdx_cmd *cmd)
{
	const struct kvm_cpuid_entry2 *leaf1 = kvm_vcpu_cpuid(vcpu, 1, 0);
	long ret;

	if (cmd->flags || vcpu->tdx->initialized)
		return -EINVAL;
	/* x2APIC mode, which TDs always run in, must be in the vCPU's CPUID. */
	if (!leaf1 || !(leaf1->ecx & CPUID_1_ECX_X2APIC))
		return -EINVAL;
	if (kvm_apic_set_base(vcpu, APIC_DEFAULT_BASE | APICBASE_X2APIC | APICBASE_ENABLE |
				    (vcpu->id ? 0 : APICBASE_BSP)))
		return -EINVAL;
	ret = td_vcpu_init(vcpu, cmd->data);
	if (!ret)
		vcpu->arch.mp_state = KVM_MP_STATE_RUNNABLE;
	return ret;
}

/* ---- KVM_TDX_INIT_MEM_REGION ---------------------------------------------------------- */

static bool region_valid(const struct kvm_tdx *td, const struct kvm_tdx_init_mem_region *m)
{
	u64 end = m->gpa + m->nr_pages * TDX_PAGE_SIZE;

	if ((m->source_addr | m->gpa) & (TDX_PAGE_SIZE - 1) || !m->nr_pages)
		return false;
	if (m->nr_pages > (~0ULL - m->gpa) / TDX_PAGE_SIZE)
		return false;
	/* Start and end must both be private GPAs. */
	return !(m->gpa & td_shared_bit(td)) && !((end - 1) & td_shared_bit(td));
}

/*
 * One page: the guest_memfd page behind @gpa (private, not yet populated)
 * gets @src's contents through TDH.MEM.PAGE.ADD, and is measured.
 */
static long add_initial_page(struct kvm_vm *vm, u64 gpa, u64 src, bool measure, u64 staging)
{
	u8 buf[TDX_PAGE_SIZE];
	struct kvm_memslot *slot;
	struct seamcall_regs r;
	bool populated;
	u64 hpa;
	long ret;

	slot = kvm_gfn_to_memslot(vm, gpa / TDX_PAGE_SIZE);
	if (!slot || !slot->gmem || !kvm_gfn_is_private(vm, gpa / TDX_PAGE_SIZE))
		return -EINVAL;
	ret = kvm_gmem_get_pfn(slot, gpa / TDX_PAGE_SIZE, &hpa, &populated);
	if (ret)
		return ret;
	if (populated)
		return -EEXIST;
	if (kvm_copy_from_user(buf, src, sizeof(buf)))
		return -EFAULT;
	platform_host_write(tdx_plat(), staging, buf, sizeof(buf));
	ret = tdx_mirror_page_add(vm->tdx, gpa, hpa, staging);
	if (ret)
		return ret;
	kvm_gmem_set_populated(slot, gpa / TDX_PAGE_SIZE, true);
	for (u64 off = 0; measure && off < TDX_PAGE_SIZE; off += 256) {
		r = (struct seamcall_regs){ .rcx = gpa + off, .rdx = vm->tdx->tdr };
		if (kvm_seamcall(TDH_MR_EXTEND, &r))
			return -EIO;
	}
	return 0;
}

static long tdx_init_mem_region(struct kvm_vcpu *vcpu, struct kvm_tdx_cmd *cmd)
{
	struct kvm_vm *vm = vcpu->vm;
	struct kvm_tdx_init_mem_region m;
	u64 staging;
	long ret = 0;

	if (!vcpu->tdx->initialized || cmd->flags & ~KVM_TDX_MEASURE_MEMORY_REGION)
		return -EINVAL;
	if (kvm_copy_from_user(&m, cmd->data, sizeof(m)))
		return -EFAULT;
	if (!region_valid(vm->tdx, &m))
		return -EINVAL;
	staging = tdx_alloc_td_page();
	if (staging == PLATFORM_NO_HPA)
		return -ENOMEM;
	pthread_mutex_lock(&vm->lock);
	pthread_mutex_lock(&vm->slots_lock);
	while (m.nr_pages && !ret) {
		ret = add_initial_page(vm, m.gpa, m.source_addr,
				       cmd->flags & KVM_TDX_MEASURE_MEMORY_REGION, staging);
		if (ret)
			break;
		m.source_addr += TDX_PAGE_SIZE;
		m.gpa += TDX_PAGE_SIZE;
		m.nr_pages--;
	}
	pthread_mutex_unlock(&vm->slots_lock);
	pthread_mutex_unlock(&vm->lock);
	tdx_free_host_page(staging);
	/* The progress always goes back, so userspace can resume. */
	if (kvm_copy_to_user(cmd->data, &m, sizeof(m)))
		return -EFAULT;
	return ret;
}

/* ---- KVM_TDX_GET_CPUID ----------------------------------------------------------------- */

/*
 * tdx_read_cpuid(): one entry of the module's table through TDH.MNG.RD
 * CPUID_VALUES.  -EIO when the module has no such leaf/subleaf.
 */
static int read_cpuid(struct kvm_vcpu *vcpu, u32 leaf, u32 sub, bool sub_set,
		      struct kvm_cpuid_entry2 *out)
{
	struct kvm_tdx *td = vcpu->vm->tdx;
	u64 field = MD_TD_CPUID_VALUES | (u64)(leaf >> 31) << 16 | (u64)(leaf & 0x7F) << 9 |
		    (sub_set ? (u64)(sub & 0x7F) << 1 : 0x1FE);
	u64 ebx_eax, edx_ecx;

	if (sub > 0x7F || (leaf & 0x7FFFFF80))
		return -EINVAL;
	if (td_read(td, field, &ebx_eax) || td_read(td, field + 1, &edx_ecx))
		return -EIO;
	*out = (struct kvm_cpuid_entry2){
		.function = leaf, .index = sub,
		.flags = sub_set ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
		.eax = (u32)ebx_eax, .ebx = (u32)(ebx_eax >> 32),
		.ecx = (u32)edx_ecx, .edx = (u32)(edx_ecx >> 32),
	};
	/* The guest's MAXPA (0x80000008 EAX 23:16) comes from the shared bit. */
	if (leaf == 0x80000008)
		out->eax = (out->eax & ~0xFF0000u) | (u32)td->gpaw << 16;
	return 0;
}

/* A leaf without subleaves, else its subleaves 0.. until the module has no more. */
static void get_cpuid_leaf(struct kvm_vcpu *vcpu, u32 leaf, u32 *n,
			   struct kvm_cpuid_entry2 *entries)
{
	if (*n < KVM_MAX_CPUID_ENTRIES && !read_cpuid(vcpu, leaf, 0, false, &entries[*n])) {
		(*n)++;
		return;
	}
	for (u32 sub = 0; *n < KVM_MAX_CPUID_ENTRIES && sub <= 0x7F; sub++) {
		if (read_cpuid(vcpu, leaf, sub, true, &entries[*n]))
			return;
		(*n)++;
	}
}

static long tdx_vcpu_get_cpuid(struct kvm_vcpu *vcpu, struct kvm_tdx_cmd *cmd)
{
	struct kvm_cpuid_entry2 *e = calloc(KVM_MAX_CPUID_ENTRIES, sizeof(*e));
	struct kvm_cpuid2 hdr;
	u32 n = 0, level;
	long ret = 0;

	if (!e)
		return -ENOMEM;
	if (kvm_copy_from_user(&hdr, cmd->data, sizeof(hdr))) {
		ret = -EFAULT;
		goto out;
	}
	static const u32 ranges[] = { 0, 0x80000000u };

	for (unsigned int r = 0; r < 2 && !ret; r++) {
		u32 base = ranges[r], first = n;

		get_cpuid_leaf(vcpu, base, &n, e);
		if (n == first) {
			ret = -EIO;
			break;
		}
		level = e[first].eax;
		for (u32 leaf = base + 1; leaf <= level && leaf > base; leaf++)
			get_cpuid_leaf(vcpu, leaf, &n, e);
	}
	if (ret)
		goto out;
	ret = hdr.nent < n ? -E2BIG : 0;
	hdr.nent = n;
	if (kvm_copy_to_user(cmd->data, &hdr, sizeof(hdr)) ||
	    (!ret && kvm_copy_to_user(cmd->data + sizeof(hdr), e, n * sizeof(*e))))
		ret = -EFAULT;
out:
	free(e);
	return ret;
}

static long tdx_vcpu_mem_enc_op(struct kvm_vcpu *vcpu, unsigned long arg)
{
	struct kvm_tdx *td = vcpu->vm->tdx;
	struct kvm_tdx_cmd cmd;

	if (td->hkid < 0 || td->state == TD_STATE_RUNNABLE)
		return -EINVAL;
	if (kvm_copy_from_user(&cmd, arg, sizeof(cmd)))
		return -EFAULT;
	if (cmd.hw_error)
		return -EINVAL;
	switch (cmd.id) {
	case KVM_TDX_INIT_VCPU:
		return tdx_init_vcpu(vcpu, &cmd);
	case KVM_TDX_INIT_MEM_REGION:
		return tdx_init_mem_region(vcpu, &cmd);
	case KVM_TDX_GET_CPUID:
		return tdx_vcpu_get_cpuid(vcpu, &cmd);
	default:
		return -EINVAL;
	}
}

/* The initialized TD vCPU with APIC ID @dest, or NULL. */
static struct kvm_vcpu *vcpu_of_apic_id(struct kvm_vm *vm, u32 dest)
{
	for (u32 i = 0; i < vm->created_vcpus; i++) {
		struct kvm_vcpu *vcpu = vm->vcpus[i];

		if (vcpu->id == dest && vcpu->tdx && vcpu->tdx->pid)
			return vcpu;
	}
	return NULL;
}

/* The event is posted or queued: the target leaves the TD, or wakes from HLT, to take it. */
static void notify(struct kvm_vcpu *vcpu)
{
	platform_lp_kick(tdx_plat(), vcpu->tdx->lp);
	kvm_vcpu_wake(vcpu);
}

int tdx_deliver_interrupt(struct kvm_vm *vm, u32 dest, u8 vector)
{
	struct kvm_vcpu *vcpu = vcpu_of_apic_id(vm, dest);

	if (!vcpu)
		return 0;
	/* __vmx_deliver_posted_interrupt(): PIR bit, ON, then the notification IPI. */
	atomic_fetch_or(&vcpu->tdx->pid[vector / 64], 1ULL << (vector % 64));
	atomic_fetch_or(&vcpu->tdx->pid[4], 1);
	notify(vcpu);
	return 1;
}

/* kvm_inject_nmi() from another vCPU's IPI or an NMI MSI: queued, then taken at entry. */
int tdx_deliver_nmi(struct kvm_vm *vm, u32 dest)
{
	struct kvm_vcpu *vcpu = vcpu_of_apic_id(vm, dest);

	if (!vcpu)
		return 0;
	atomic_fetch_add(&vcpu->arch.nmi_queued, 1);
	notify(vcpu);
	return 1;
}

void tdx_kick_vcpus(struct kvm_tdx *td)
{
	u64 lps = atomic_load(&td->vcpu_lps);

	for (u32 lp = 0; lps; lp++, lps >>= 1)
		if (lps & 1)
			platform_lp_kick(tdx_plat(), lp);
}

/* ---- KVM_PRE_FAULT_MEMORY ----------------------------------------------------------------- */

static long tdx_pre_fault_memory(struct kvm_vcpu *vcpu, unsigned long arg)
{
	struct kvm_vm *vm = vcpu->vm;
	struct kvm_pre_fault_memory range;
	long ret = 0;

	if (kvm_copy_from_user(&range, arg, sizeof(range)))
		return -EFAULT;
	/* kvm_vcpu_pre_fault_memory(): an empty range is as invalid as a wrapping one. */
	if (range.flags || (range.gpa | range.size) & (TDX_PAGE_SIZE - 1) ||
	    range.gpa + range.size <= range.gpa)
		return -EINVAL;
	if (vm->tdx->state != TD_STATE_RUNNABLE)
		return -EOPNOTSUPP;
	if (range.gpa & td_shared_bit(vm->tdx))
		return -EINVAL;
	pthread_mutex_lock(&vm->slots_lock);
	while (range.size && !ret) {
		/* Shared GPAs have no EPT to fill until vCPUs run (issue #4). */
		ret = kvm_gfn_is_private(vm, range.gpa / TDX_PAGE_SIZE) ?
		      tdx_fault_private(vm, range.gpa, 1) : -EOPNOTSUPP;
		if (!ret) {
			range.gpa += TDX_PAGE_SIZE;
			range.size -= TDX_PAGE_SIZE;
		}
	}
	pthread_mutex_unlock(&vm->slots_lock);
	if (kvm_copy_to_user(arg, &range, sizeof(range)))
		return -EFAULT;
	return ret;
}

/* ---- MSRs of a TD vCPU ------------------------------------------------------------------------ */

#define MSR_IA32_FEAT_CTL	0x3a
#define MSR_IA32_MCG_EXT_CTL	0x4d0
#define FEAT_CTL_LOCKED		(1ULL << 0)
#define FEAT_CTL_LMCE_ENABLED	(1ULL << 20)
#define MCG_LMCE_P		(1ULL << 27)
#define MCG_EXT_CTL_LMCE_EN	(1ULL << 0)

/* An x2APIC register the CPU virtualizes: KVM never sees the virtual APIC page. */
static bool x2apic_virtualized(u32 index)
{
	u32 reg = (index - 0x800) << 4;

	return reg == 0x80 || reg == 0xa0 || reg == 0xb0 ||	/* TPR, PPR, EOI */
	       (reg >= 0x100 && reg < 0x280);			/* ISR, TMR, IRR: not ESR */
}

/* tdx_has_emulated_msr(): what KVM emulates for a TD; the module owns the rest. */
static bool tdx_has_emulated_msr(u32 index)
{
	switch (index) {
	case 0x8b:			/* UCODE_REV */
	case 0x10a:			/* ARCH_CAPABILITIES */
	case 0x1fc:			/* POWER_CTL */
	case 0x277:			/* CR_PAT */
	case 0xfe:			/* MTRRcap */
	case 0x200 ... 0x26f:		/* MTRR variable and fixed ranges */
	case 0x2ff:			/* MTRRdefType */
	case 0x6e0:			/* TSC_DEADLINE */
	case 0x1a0:			/* MISC_ENABLE */
	case 0xce:			/* PLATFORM_INFO */
	case 0x140:			/* MISC_FEATURES_ENABLES */
	case MSR_IA32_APICBASE:
	case MSR_EFER:
	case MSR_IA32_FEAT_CTL:
	case 0x179 ... 0x17b:		/* MCG_CAP, MCG_STATUS, MCG_CTL */
	case MSR_IA32_MCG_EXT_CTL:
	case 0x400 ... 0x400 + 4 * KVM_MAX_MCE_BANKS - 1:	/* MCi_CTL..MISC */
	case 0x280 ... 0x280 + KVM_MAX_MCE_BANKS - 1:		/* MCi_CTL2 */
	case 0x4b564df5:		/* MSR_KVM_POLL_CONTROL */
		return true;
	case 0x800 ... 0x8ff:
		return !x2apic_virtualized(index);
	default:
		return false;
	}
}

static int tdx_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data)
{
	switch (index) {
	case MSR_IA32_FEAT_CTL:
		*data = FEAT_CTL_LOCKED |
			(vcpu->arch.mcg_cap & MCG_LMCE_P ? FEAT_CTL_LMCE_ENABLED : 0);
		return 0;
	case MSR_IA32_MCG_EXT_CTL:
		*data = vcpu->arch.mcg_ext_ctl;
		return 0;
	default:
		return tdx_has_emulated_msr(index) ? kvm_get_msr_common(vcpu, index, data) : 1;
	}
}

/* APIC base, EFER and FEATURE_CONTROL are fixed for a TD, even for the host. */
static int tdx_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	switch (index) {
	case MSR_IA32_MCG_EXT_CTL:
		if (data & ~MCG_EXT_CTL_LMCE_EN)
			return 1;
		vcpu->arch.mcg_ext_ctl = data;
		return 0;
	case MSR_IA32_APICBASE:
	case MSR_EFER:
	case MSR_IA32_FEAT_CTL:
		return 1;
	default:
		return tdx_has_emulated_msr(index) ? kvm_set_msr_common(vcpu, index, data, host) : 1;
	}
}

/* Only an initialized vCPU of a finalized TD enters it. */
static int tdx_vcpu_pre_run(struct kvm_vcpu *vcpu)
{
	if (!vcpu->tdx->initialized || vcpu->vm->tdx->state != TD_STATE_RUNNABLE)
		return -EINVAL;
	return 1;
}

static long tdx_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int request, unsigned long arg)
{
	if (request == KVM_PRE_FAULT_MEMORY)
		return tdx_pre_fault_memory(vcpu, arg);
	return -EINVAL;
}

const struct kvm_vcpu_ops tdx_vcpu_ops = {
	.create = tdx_vcpu_create,
	.free = tdx_vcpu_free,
	.mem_enc_op = tdx_vcpu_mem_enc_op,
	.pre_run = tdx_vcpu_pre_run,
	.run = tdx_vcpu_run,
	.get_msr = tdx_get_msr,
	.set_msr = tdx_set_msr,
	.vendor_ioctl = tdx_vcpu_ioctl,
};
