// SPDX-License-Identifier: MIT
/*
 * KVM's TDX VMs (Linux arch/x86/kvm/vmx/tdx.c): KVM_TDX_CAPABILITIES,
 * KVM_TDX_INIT_VM and KVM_TDX_FINALIZE_VM at VM scope, and the TD's life
 * in the module: TDH.MNG.CREATE/KEY.CONFIG/ADDCX/INIT at INIT_VM, and at
 * destruction the HKID release (VPFLUSHDONE, CACHE.WB, KEY.FREEID) and the
 * reclaim of every control page.
 */
#include "kvm_internal.h"

#include <stdlib.h>
#include <string.h>

enum kvm_tdx_state { TD_STATE_UNINITIALIZED, TD_STATE_INITIALIZED, TD_STATE_RUNNABLE };

#define TDCS_PAGES_MAX		9
#define RDRAND_RETRY_LOOPS	10
#define KVM_SUPPORTED_TD_ATTRS	TDX_ATTR_SEPT_VE_DISABLE
/* What the host CPU's XSAVE supports: XCR0 and IA32_XSS features. */
#define HOST_SUPPORTED_XCR0	0x602E7ULL	/* x87 SSE AVX AVX-512 PKRU AMX */
#define HOST_SUPPORTED_XSS	0x1800ULL	/* CET user and supervisor */
#define CPUID_7_0_EBX_TSX	((1u << 4) | (1u << 11))	/* HLE, RTM */
#define CPUID_7_0_ECX_WAITPKG	(1u << 5)
#define NO_SUBLEAF		0xFFFFFFFFu

struct kvm_tdx {
	enum kvm_tdx_state state;
	int hkid;			/* -1: none */
	u64 tdr;
	u64 tdcs[TDCS_PAGES_MAX];
	u32 nr_tdcs;
	u64 attributes, xfam;
	int gpaw;			/* 48 or 52 */
};

/* What the module reports through TDH.SYS.RD, read once. */
struct tdx_sysinfo {
	u64 attributes_fixed0, attributes_fixed1;
	u64 xfam_fixed0, xfam_fixed1;
	u32 tdcs_pages;
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

static u64 supported_xfam(const struct tdx_sysinfo *si)
{
	u64 xfam = (HOST_SUPPORTED_XCR0 | HOST_SUPPORTED_XSS) & si->xfam_fixed0;

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

static struct platform *plat(void)
{
	return kvm_dev()->tdx->plat;
}

static u64 alloc_td_page(void)
{
	return platform_alloc_page(plat());
}

/* TDH.PHYMEM.PAGE.RECLAIM, then WBINVD under @keyid, then back to the host. */
static void reclaim_page(u64 pa, u32 keyid)
{
	struct seamcall_regs r = { .rcx = pa };

	if (kvm_seamcall(TDH_PHYMEM_PAGE_RECLAIM, &r) != TDX_SUCCESS) {
		/* Like Linux: a page the module will not give back is leaked. */
		return;
	}
	r = (struct seamcall_regs){ .rcx = platform_hpa_with_keyid(plat(), pa, keyid) };
	kvm_seamcall(TDH_PHYMEM_PAGE_WBINVD, &r);
	platform_host_fill(plat(), pa, 0, TDX_PAGE_SIZE);
	platform_free_pages(plat(), pa, 1);
}

/*
 * TDH.PHYMEM.CACHE.WB on one LP of every package, resuming while the
 * module reports it was interrupted.
 */
static bool cache_wb_all_packages(void)
{
	const struct platform_config *cfg = platform_get_config(plat());

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

/* tdx_mmu_release_hkid: flush, write back and free the TD's key. */
static bool release_hkid(struct kvm_tdx *td)
{
	struct kvm_dev *d = kvm_dev();
	struct seamcall_regs r = { .rcx = td->tdr };
	bool ok;

	pthread_mutex_lock(&d->tdx_lock);
	ok = kvm_seamcall(TDH_MNG_VPFLUSHDONE, &r) == TDX_SUCCESS && cache_wb_all_packages();
	if (ok) {
		r = (struct seamcall_regs){ .rcx = td->tdr };
		ok = kvm_seamcall(TDH_MNG_KEY_FREEID, &r) == TDX_SUCCESS;
	}
	pthread_mutex_unlock(&d->tdx_lock);
	if (ok)
		tdx_host_free_hkid(d->tdx, td->hkid);
	return ok;
}

/* Everything the TD holds goes back to the host; the HKID if possible. */
static void td_teardown(struct kvm_tdx *td)
{
	if (!td->tdr)
		return;
	if (!release_hkid(td)) {
		/* The HKID stays assigned, so its pages cannot be reclaimed. */
		td->tdr = 0;
		return;
	}
	for (u32 i = 0; i < td->nr_tdcs; i++)
		reclaim_page(td->tdcs[i], (u32)td->hkid);
	reclaim_page(td->tdr, kvm_dev()->tdx->global_hkid);
	td->tdr = 0;
	td->nr_tdcs = 0;
	td->hkid = -1;
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
	const struct platform_config *cfg = platform_get_config(plat());
	struct kvm_dev *d = kvm_dev();
	struct seamcall_regs r;
	long ret;

	td->tdr = alloc_td_page();
	if (td->tdr == PLATFORM_NO_HPA) {
		td->tdr = 0;
		return -ENOMEM;
	}
	r = (struct seamcall_regs){ .rcx = td->tdr, .rdx = (u64)td->hkid };
	pthread_mutex_lock(&d->tdx_lock);
	ret = seamcall_rnd(TDH_MNG_CREATE, &r);
	pthread_mutex_unlock(&d->tdx_lock);
	if (ret) {
		platform_free_pages(plat(), td->tdr, 1);
		td->tdr = 0;
		return ret;
	}
	for (u32 pkg = 0; pkg < cfg->nr_packages; pkg++) {
		r = (struct seamcall_regs){ .rcx = td->tdr };
		if (kvm_seamcall_on(pkg * cfg->lps_per_package, TDH_MNG_KEY_CONFIG, &r))
			return -EIO;
	}
	for (u32 i = 0; i < tdx_sysinfo()->tdcs_pages; i++) {
		u64 page = alloc_td_page();

		if (page == PLATFORM_NO_HPA)
			return -ENOMEM;
		r = (struct seamcall_regs){ .rcx = page, .rdx = td->tdr };
		ret = seamcall_rnd(TDH_MNG_ADDCX, &r);
		if (ret) {
			platform_free_pages(plat(), page, 1);
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
	u64 page = alloc_td_page();
	struct seamcall_regs r;
	u64 st;

	if (page == PLATFORM_NO_HPA)
		return -ENOMEM;
	platform_host_write(plat(), page, tp, sizeof(*tp));
	r = (struct seamcall_regs){ .rcx = td->tdr, .rdx = page };
	st = kvm_seamcall(TDH_MNG_INIT, &r);
	platform_free_pages(plat(), page, 1);
	*hw_error = st;
	if (TDX_STATUS(st) == TDX_OPERAND_INVALID)
		return -EINVAL;
	return st == TDX_SUCCESS ? 0 : -EIO;
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
		td_teardown(td);
		if (td->hkid >= 0 && !td->tdr)
			tdx_host_free_hkid(kvm_dev()->tdx, td->hkid);
		td->hkid = -1;
		return ret;
	}
	td->attributes = tp.attributes;
	td->xfam = tp.xfam;
	td->state = TD_STATE_INITIALIZED;
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

static long tdx_finalize_vm(struct kvm_vm *vm, struct kvm_tdx_cmd *cmd)
{
	struct kvm_tdx *td = vm->tdx;
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
	u32 lps = platform_nr_lps(plat());

	vm->tdx = calloc(1, sizeof(*vm->tdx));
	if (!vm->tdx)
		return -ENOMEM;
	vm->tdx->hkid = -1;
	vm->has_protected_state = true;
	vm->has_private_mem = true;
	vm->max_vcpus = lps < vm->max_vcpus ? lps : vm->max_vcpus;
	return 0;
}

static void tdx_vm_destroy(struct kvm_vm *vm)
{
	td_teardown(vm->tdx);
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
	.destroy = tdx_vm_destroy,
	.check_extension = tdx_check_extension,
	.mem_enc_op = tdx_vm_mem_enc_op,
};
