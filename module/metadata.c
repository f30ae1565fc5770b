// SPDX-License-Identifier: MIT
/*
 * Metadata access by field ID: TDH.SYS.RD/RDALL (platform scope),
 * TDH.MNG.RD/WR (TD scope) and TDH.VP.RD/WR (vCPU scope).
 *
 * Each scope has a table of fields.  A field ID names one element: class
 * and field code select the table entry and the element within it; the
 * element size always comes from the table.  Readability and writability
 * are masks that differ between production and DEBUG TDs.
 */
#include "module_internal.h"

#define ALL	~0ULL
#define MD_RSVD_BITS	((0xFFULL << 24) | (7ULL << 47) | (1ULL << 55) | (1ULL << 62))
#define MD_CONTEXT_MASK	(7ULL << 52)
#define MD_LAST_MASK	((0xFULL << 34) | (0x1FFULL << 38))

struct md_ctx {
	struct seam_ctx *c;
	struct tdr *tdr;
	struct tdcs *tdcs;
	struct tdvps *tdvps;
	bool debug;
	bool guest;		/* TDG.VM.RD/WR: the guest's masks */
};

struct md_field {
	u64 id;			/* canonical ID of the first element */
	u16 num_fields;
	u16 num_elems;
	u64 rd, wr;		/* production TD masks */
	u64 dbg_rd, dbg_wr;	/* DEBUG TD masks */
	u64 (*get)(struct md_ctx *x, u32 i);
	void (*set)(struct md_ctx *x, u32 i, u64 v);
	u64 guest_rd, guest_wr;	/* TDG.VM.RD/WR masks (the TD itself) */
};

static u32 md_count(const struct md_field *f)
{
	return (u32)f->num_fields * f->num_elems;
}

static u64 elem_mask(u64 id)
{
	u32 bytes = MD_ELEM_BYTES(id);

	return bytes == 8 ? ALL : (1ULL << (8 * bytes)) - 1;
}

static u64 rd_mask(const struct md_field *f, const struct md_ctx *x)
{
	return (x->guest ? f->guest_rd : x->debug ? f->dbg_rd : f->rd) & elem_mask(f->id);
}

static u64 wr_mask(const struct md_field *f, const struct md_ctx *x)
{
	return (x->guest ? f->guest_wr : x->debug ? f->dbg_wr : f->wr) & elem_mask(f->id);
}

static u64 bytes_elem(const u8 *p, u32 i)
{
	u64 v;

	memcpy(&v, p + 8 * i, sizeof(v));
	return v;
}

/* ---- platform scope ------------------------------------------------------------- */

static u64 g_num_pkgs(struct md_ctx *x, u32 i)
{
	(void)i;
	return platform_get_config(x->c->p)->nr_packages;
}
static u64 g_vendor(struct md_ctx *x, u32 i) { (void)x; (void)i; return MODULE_VENDOR_ID; }
static u64 g_build_date(struct md_ctx *x, u32 i) { (void)x; (void)i; return MODULE_BUILD_DATE; }
static u64 g_build_num(struct md_ctx *x, u32 i) { (void)x; (void)i; return MODULE_BUILD_NUM; }
static u64 g_minor(struct md_ctx *x, u32 i) { (void)x; (void)i; return MODULE_MINOR_VERSION; }
static u64 g_major(struct md_ctx *x, u32 i) { (void)x; (void)i; return MODULE_MAJOR_VERSION; }
static u64 g_update(struct md_ctx *x, u32 i) { (void)x; (void)i; return MODULE_UPDATE_VERSION; }
static u64 g_zero(struct md_ctx *x, u32 i) { (void)x; (void)i; return 0; }
/* TDX_FEATURES0: bit 3, TDG.VP.RD/WR; no partitioning (bit 7), no other optional feature. */
static u64 g_features0(struct md_ctx *x, u32 i) { (void)x; (void)i; return TDX_FEATURES0_TDG_VP_RDWR; }
static u64 g_one(struct md_ctx *x, u32 i) { (void)x; (void)i; return 1; }
static u64 g_num_cmrs(struct md_ctx *x, u32 i) { (void)x; (void)i; return TDX_MAX_CMRS; }
static u64 g_cmr_base(struct md_ctx *x, u32 i) { (void)x; return i ? 0 : PLATFORM_MEM_BASE; }
static u64 g_cmr_size(struct md_ctx *x, u32 i)
{
	return i ? 0 : platform_get_config(x->c->p)->mem_size;
}
static u64 g_max_tdmrs(struct md_ctx *x, u32 i) { (void)x; (void)i; return TDX_MAX_TDMRS; }
static u64 g_max_rsvd(struct md_ctx *x, u32 i) { (void)x; (void)i; return TDX_MAX_RESERVED_AREAS; }
static u64 g_pamt_entry(struct md_ctx *x, u32 i) { (void)x; (void)i; return TDX_PAMT_ENTRY_SIZE; }
static u64 g_tdr_size(struct md_ctx *x, u32 i) { (void)x; (void)i; return TDX_PAGE_SIZE; }
static u64 g_tdcs_size(struct md_ctx *x, u32 i)
{
	(void)x; (void)i;
	return MIN_NUM_TDCS_PAGES * TDX_PAGE_SIZE;
}
static u64 g_tdvps_size(struct md_ctx *x, u32 i)
{
	(void)x; (void)i;
	return MIN_TDVPS_PAGES * TDX_PAGE_SIZE;
}
static u64 g_attr_fixed0(struct md_ctx *x, u32 i) { (void)x; (void)i; return TDX_ATTRIBUTES_FIXED0; }
static u64 g_attr_fixed1(struct md_ctx *x, u32 i) { (void)x; (void)i; return TDX_ATTRIBUTES_FIXED1; }
static u64 g_xfam_fixed0(struct md_ctx *x, u32 i) { (void)x; (void)i; return TDX_XFAM_FIXED0; }
static u64 g_xfam_fixed1(struct md_ctx *x, u32 i) { (void)x; (void)i; return TDX_XFAM_FIXED1; }
static u64 g_num_cpuid(struct md_ctx *x, u32 i) { (void)x; (void)i; return TDX_MAX_NUM_CPUID_CONFIG; }
static u64 g_cflags0(struct md_ctx *x, u32 i) { (void)x; (void)i; return TDX_CONFIG_FLAGS_VALID; }
static u64 g_max_vcpus(struct md_ctx *x, u32 i) { (void)x; (void)i; return TDX_MAX_VCPUS_PER_TD; }
static u64 g_cpuid_leaf(struct md_ctx *x, u32 i)
{
	(void)x;
	if (i >= TDX_MAX_NUM_CPUID_CONFIG)
		return ALL;
	return cpuid_configs[i].leaf | (u64)cpuid_configs[i].subleaf << 32;
}
static u64 g_cpuid_value(struct md_ctx *x, u32 i)
{
	struct tdx_cpuid_value m;

	if (i / 2 >= TDX_MAX_NUM_CPUID_CONFIG)
		return 0;
	m = cpuid_config_mask(x->c->p, (int)(i / 2));
	return i % 2 ? m.ecx | (u64)m.edx << 32 : m.eax | (u64)m.ebx << 32;
}

#define RO(id_, nf, ne, get_) { id_, nf, ne, ALL, 0, ALL, 0, get_, NULL, 0, 0 }
/* Readable by the TD too (TDG.VM.RD, TDG.SYS.RD), as the module's lookup tables say. */
#define RO_G(id_, nf, ne, get_) { id_, nf, ne, ALL, 0, ALL, 0, get_, NULL, ALL, 0 }

static const struct md_field sys_fields[] = {
	RO(MD_SYS_NUM_PKGS, 1, 1, g_num_pkgs),
	RO_G(MD_SYS_VENDOR_ID, 1, 1, g_vendor),
	RO(MD_SYS_BUILD_DATE, 1, 1, g_build_date),
	RO(MD_SYS_BUILD_NUM, 1, 1, g_build_num),
	RO_G(MD_SYS_MINOR_VERSION, 1, 1, g_minor),
	RO_G(MD_SYS_MAJOR_VERSION, 1, 1, g_major),
	RO(MD_SYS_UPDATE_VERSION, 1, 1, g_update),
	RO_G(MD_SYS_SYS_ATTRIBUTES, 1, 1, g_zero),
	RO_G(MD_SYS_NUM_TDX_FEATURES, 1, 1, g_one),
	RO_G(MD_SYS_TDX_FEATURES0, 1, 1, g_features0),
	RO(MD_SYS_NUM_CMRS, 1, 1, g_num_cmrs),
	RO(MD_SYS_CMR_BASE, TDX_MAX_CMRS, 1, g_cmr_base),
	RO(MD_SYS_CMR_SIZE, TDX_MAX_CMRS, 1, g_cmr_size),
	RO(MD_SYS_MAX_TDMRS, 1, 1, g_max_tdmrs),
	RO(MD_SYS_MAX_RESERVED_PER_TDMR, 1, 1, g_max_rsvd),
	RO(MD_SYS_PAMT_4K_ENTRY_SIZE, 1, 1, g_pamt_entry),
	RO(MD_SYS_PAMT_2M_ENTRY_SIZE, 1, 1, g_pamt_entry),
	RO(MD_SYS_PAMT_1G_ENTRY_SIZE, 1, 1, g_pamt_entry),
	RO(MD_SYS_TDR_BASE_SIZE, 1, 1, g_tdr_size),
	RO(MD_SYS_TDCS_BASE_SIZE, 1, 1, g_tdcs_size),
	RO(MD_SYS_TDVPS_BASE_SIZE, 1, 1, g_tdvps_size),
	RO(MD_SYS_ATTRIBUTES_FIXED0, 1, 1, g_attr_fixed0),
	RO(MD_SYS_ATTRIBUTES_FIXED1, 1, 1, g_attr_fixed1),
	RO(MD_SYS_XFAM_FIXED0, 1, 1, g_xfam_fixed0),
	RO(MD_SYS_XFAM_FIXED1, 1, 1, g_xfam_fixed1),
	RO(MD_SYS_NUM_CPUID_CONFIG, 1, 1, g_num_cpuid),
	RO(MD_SYS_CONFIG_FLAGS_FIXED0, 1, 1, g_cflags0),
	RO(MD_SYS_CONFIG_FLAGS_FIXED1, 1, 1, g_zero),
	RO(MD_SYS_MAX_VCPUS_PER_TD, 1, 1, g_max_vcpus),
	RO(MD_SYS_CPUID_CONFIG_LEAVES, 32, 1, g_cpuid_leaf),
	RO(MD_SYS_CPUID_CONFIG_VALUES, 32, 2, g_cpuid_value),
};

/* ---- TD scope ------------------------------------------------------------------- */

static u64 t_fatal(struct md_ctx *x, u32 i) { (void)i; return x->tdr->fatal; }
static u64 t_num_tdcx(struct md_ctx *x, u32 i) { (void)i; return x->tdr->num_tdcx; }
static u64 t_chldcnt(struct md_ctx *x, u32 i) { (void)i; return atomic_load(&x->tdr->chldcnt); }
static u64 t_lifecycle(struct md_ctx *x, u32 i) { (void)i; return x->tdr->lifecycle; }
static u64 t_tdcx_pa(struct md_ctx *x, u32 i)
{
	return i < x->tdr->num_tdcx ? x->tdr->tdcx_pa[i] : 0;
}
static u64 t_uuid(struct md_ctx *x, u32 i) { return bytes_elem(x->tdr->td_uuid, i); }
static u64 t_hkid(struct md_ctx *x, u32 i) { (void)i; return x->tdr->hkid; }
static u64 t_pkg_bitmap(struct md_ctx *x, u32 i) { (void)i; return x->tdr->pkg_config_bitmap; }
static u64 t_num_vcpus(struct md_ctx *x, u32 i) { (void)i; return atomic_load(&x->tdcs->num_vcpus); }
static u64 t_num_assoc(struct md_ctx *x, u32 i)
{
	(void)i;
	return atomic_load(&x->tdcs->num_assoc_vcpus);
}
static u64 t_op_state(struct md_ctx *x, u32 i) { (void)i; return x->tdcs->op_state; }
static u64 t_attributes(struct md_ctx *x, u32 i) { (void)i; return x->tdcs->attributes; }
static u64 t_xfam(struct md_ctx *x, u32 i) { (void)i; return x->tdcs->xfam; }
static u64 t_max_vcpus(struct md_ctx *x, u32 i) { (void)i; return x->tdcs->max_vcpus; }
static u64 t_gpaw(struct md_ctx *x, u32 i) { (void)i; return x->tdcs->gpaw; }
static u64 t_eptp(struct md_ctx *x, u32 i) { (void)i; return x->tdcs->eptp; }
static u64 t_tsc_freq(struct md_ctx *x, u32 i) { (void)i; return x->tdcs->tsc_frequency; }
static u64 t_tsc_offset(struct md_ctx *x, u32 i) { (void)i; return x->tdcs->tsc_offset; }
static u64 t_tsc_mult(struct md_ctx *x, u32 i) { (void)i; return x->tdcs->tsc_multiplier; }
static u64 t_notify(struct md_ctx *x, u32 i) { (void)i; return x->tdcs->notify_enables; }
static void t_set_notify(struct md_ctx *x, u32 i, u64 v) { (void)i; x->tdcs->notify_enables = v; }
static void t_set_td_ctls(struct md_ctx *x, u32 i, u64 v) { (void)i; x->tdcs->td_ctls = v; }
static u64 t_config_flags(struct md_ctx *x, u32 i) { (void)i; return x->tdcs->config_flags; }
static u64 t_td_ctls(struct md_ctx *x, u32 i) { (void)i; return x->tdcs->td_ctls; }
static u64 t_epoch(struct md_ctx *x, u32 i) { (void)i; return x->tdcs->td_epoch; }
static u64 t_refcount(struct md_ctx *x, u32 i) { return atomic_load(&x->tdcs->refcount[i]); }
static u64 t_mrtd(struct md_ctx *x, u32 i) { return bytes_elem(x->tdcs->mrtd, i); }
static u64 t_mrconfigid(struct md_ctx *x, u32 i) { return bytes_elem(x->tdcs->mrconfigid, i); }
static u64 t_mrowner(struct md_ctx *x, u32 i) { return bytes_elem(x->tdcs->mrowner, i); }
static u64 t_mrownerconfig(struct md_ctx *x, u32 i)
{
	return bytes_elem(x->tdcs->mrownerconfig, i);
}
static u64 t_rtmr(struct md_ctx *x, u32 i) { return bytes_elem(x->tdcs->rtmr[i / 6], i % 6); }

/* Readable (and, with a setter, writable) only on a DEBUG TD. */
#define DBG_RO(id_, nf, ne, get_) { id_, nf, ne, 0, 0, ALL, 0, get_, NULL, 0, 0 }
#define DBG_RO_G(id_, nf, ne, get_) { id_, nf, ne, 0, 0, ALL, 0, get_, NULL, ALL, 0 }
#define DBG_RW(id_, nf, ne, get_, set_) { id_, nf, ne, 0, 0, ALL, ALL, get_, set_, 0, 0 }

static const struct md_field td_fields[] = {
	RO(0x8010000000000001ULL, 1, 1, t_fatal),
	RO(0x8010000200000002ULL, 1, 1, t_num_tdcx),
	RO(0x8010000300000004ULL, 1, 1, t_chldcnt),
	RO(MD_TD_LIFECYCLE_STATE, 1, 1, t_lifecycle),
	RO(0x8010000300000010ULL, MAX_NUM_TDCS_PAGES, 1, t_tdcx_pa),
	RO_G(0x8010000300000020ULL, 1, 4, t_uuid),
	RO(MD_TD_HKID, 1, 1, t_hkid),
	RO(0x8110000300000002ULL, 1, 1, t_pkg_bitmap),
	RO_G(MD_TD_NUM_VCPUS, 1, 1, t_num_vcpus),
	RO(0x9010000200000002ULL, 1, 1, t_num_assoc),
	RO(MD_TD_OP_STATE, 1, 1, t_op_state),
	RO_G(0x9010000100000005ULL, 1, 1, g_zero),
	RO_G(MD_TD_ATTRIBUTES, 1, 1, t_attributes),
	RO_G(MD_TD_XFAM, 1, 1, t_xfam),
	RO_G(MD_TD_MAX_VCPUS, 1, 1, t_max_vcpus),
	RO_G(MD_TD_GPAW, 1, 1, t_gpaw),
	RO(MD_TD_EPTP, 1, 1, t_eptp),
	RO(MD_TD_TSC_OFFSET, 1, 1, t_tsc_offset),
	RO(MD_TD_TSC_MULTIPLIER, 1, 1, t_tsc_mult),
	RO_G(MD_TD_TSC_FREQUENCY, 1, 1, t_tsc_freq),
	/* Only bit 0 (#VE on zero-step mitigation) can be written. */
	{ MD_TD_NOTIFY_ENABLES, 1, 1, 0, 0, ALL, 1, t_notify, t_set_notify, 1, 1 },
	RO_G(MD_TD_CONFIG_FLAGS, 1, 1, t_config_flags),
	/* The TD may set PENDING_VE_DISABLE (bit 0) itself. */
	{ MD_TD_TD_CTLS, 1, 1, 0, 0, ALL, 0, t_td_ctls, t_set_td_ctls, ALL, 1 },
	RO(MD_TD_EPOCH, 1, 1, t_epoch),
	RO(0x9210000100000001ULL, 2, 1, t_refcount),
	RO_G(MD_TD_MRTD, 1, 6, t_mrtd),
	RO_G(MD_TD_MRCONFIGID, 1, 6, t_mrconfigid),
	RO_G(MD_TD_MROWNER, 1, 6, t_mrowner),
	RO_G(MD_TD_MROWNERCONFIG, 1, 6, t_mrownerconfig),
	DBG_RO_G(MD_TD_RTMR, 4, 6, t_rtmr),
};

/* ---- vCPU scope ------------------------------------------------------------------- */

/* Bit 0, VMXIP: a virtual interrupt is pending (what KVM asks before a vCPU halts). */
static u64 v_state_details(struct md_ctx *x, u32 i) { (void)i; return td_apic_pending(x->tdvps); }
static u64 v_index(struct md_ctx *x, u32 i) { (void)i; return x->tdvps->vcpu_index; }
static u64 v_num_pages(struct md_ctx *x, u32 i) { (void)i; return x->tdvps->num_tdvps_pages; }
static u64 v_assoc(struct md_ctx *x, u32 i) { (void)i; return x->tdvps->assoc_lpid; }
static u64 v_epoch(struct md_ctx *x, u32 i) { (void)i; return x->tdvps->vcpu_epoch; }
static u64 v_page_pa(struct md_ctx *x, u32 i)
{
	return i < x->tdvps->num_tdvps_pages ? x->tdvps->tdvpx_pa[i] : 0;
}
static u64 v_pend_nmi(struct md_ctx *x, u32 i) { (void)i; return x->tdvps->pend_nmi; }
static void v_set_pend_nmi(struct md_ctx *x, u32 i, u64 v) { (void)i; x->tdvps->pend_nmi = (u8)v; }
static u64 v_gpr(struct md_ctx *x, u32 i) { return x->tdvps->gpr[i]; }
static u64 v_cpuid_sup_ve(struct md_ctx *x, u32 i) { (void)i; return x->tdvps->cpuid_supervisor_ve; }
static void v_set_cpuid_sup_ve(struct md_ctx *x, u32 i, u64 v)
	{ (void)i; x->tdvps->cpuid_supervisor_ve = (u8)v; }
static u64 v_cpuid_user_ve(struct md_ctx *x, u32 i) { (void)i; return x->tdvps->cpuid_user_ve; }
static void v_set_cpuid_user_ve(struct md_ctx *x, u32 i, u64 v)
	{ (void)i; x->tdvps->cpuid_user_ve = (u8)v; }
static u64 v_cpuid_control(struct md_ctx *x, u32 i) { return x->tdvps->cpuid_control[i]; }
static void v_set_cpuid_control(struct md_ctx *x, u32 i, u64 v) { x->tdvps->cpuid_control[i] = (u8)v; }
static u64 v_shared_eptp(struct md_ctx *x, u32 i) { (void)i; return x->tdvps->shared_eptp; }
static u64 v_pid(struct md_ctx *x, u32 i) { (void)i; return x->tdvps->pid_hpa; }
static void v_set_pid(struct md_ctx *x, u32 i, u64 v) { (void)i; x->tdvps->pid_hpa = v; }
static void v_set_shared_eptp(struct md_ctx *x, u32 i, u64 v) { (void)i; x->tdvps->shared_eptp = v; }
static void v_set_gpr(struct md_ctx *x, u32 i, u64 v) { x->tdvps->gpr[i] = v; }

static const struct md_field vp_fields[] = {
	/* TD VMCS (class 0): the shared EPT the host builds, written by KVM. */
	{ MD_VP_SHARED_EPTP, 1, 1, ALL, ALL, ALL, ALL, v_shared_eptp, v_set_shared_eptp, 0, 0 },
	/* The host's posted-interrupt descriptor (64-byte aligned). */
	{ MD_VP_POSTED_INTR_DESC, 1, 1, ALL, ~63ULL, ALL, ~63ULL, v_pid, v_set_pid, 0, 0 },
	RO(MD_VP_VCPU_STATE_DETAILS, 1, 1, v_state_details),
	RO_G(MD_VP_VCPU_INDEX, 1, 1, v_index),
	/* The guest's own #VE-on-CPUID controls: the host only reads them. */
	{ MD_VP_CPUID_SUPERVISOR_VE, 1, 1, ALL, 0, ALL, 0, v_cpuid_sup_ve, v_set_cpuid_sup_ve,
	  ALL, ALL },
	{ MD_VP_CPUID_USER_VE, 1, 1, ALL, 0, ALL, 0, v_cpuid_user_ve, v_set_cpuid_user_ve, ALL, ALL },
	{ MD_VP_CPUID_CONTROL, NUM_CPUID_CONTROL, 1, 0, 0, ALL, 0, v_cpuid_control,
	  v_set_cpuid_control, ALL, 3 },
	RO(0xA020000000000003ULL, 1, 1, v_num_pages),
	RO(0xA020000200000004ULL, 1, 1, v_assoc),
	RO(0xA020000300000006ULL, 1, 1, v_epoch),
	{ MD_VP_PEND_NMI, 1, 1, ALL, ALL, ALL, ALL, v_pend_nmi, v_set_pend_nmi, 0, 0 },
	RO(0xA020000300000010ULL, MAX_TDVPS_PAGES, 1, v_page_pa),
	DBG_RW(MD_VP_RAX, 16, 1, v_gpr, v_set_gpr),
};

/* ---- the engine ------------------------------------------------------------------ */

struct md_table {
	const struct md_field *f;
	u32 n;
	u32 context;
};

static const struct md_table sys_table = { sys_fields, ARRAY_SIZE(sys_fields), MD_CONTEXT_PLATFORM };
static const struct md_table td_table = { td_fields, ARRAY_SIZE(td_fields), MD_CONTEXT_TD };
static const struct md_table vp_table = { vp_fields, ARRAY_SIZE(vp_fields), MD_CONTEXT_VCPU };

static u64 with_context(u64 id, u32 context)
{
	return (id & ~MD_CONTEXT_MASK) | (u64)context << 52;
}

/* The entry and element an ID names, or NULL. */
static const struct md_field *md_find(const struct md_table *t, u64 id, u32 *elem)
{
	u32 code = MD_FIELD_CODE(id);

	if (id & (MD_RSVD_BITS | MD_LAST_MASK))
		return NULL;
	for (u32 k = 0; k < t->n; k++) {
		const struct md_field *f = &t->f[k];
		u32 base = MD_FIELD_CODE(f->id);

		if (MD_FIELD_CLASS(f->id) == MD_FIELD_CLASS(id) && code >= base &&
		    code < base + md_count(f)) {
			*elem = code - base;
			return f;
		}
	}
	return NULL;
}

static bool md_is_null_id(u64 id)
{
	return (id | MD_CONTEXT_MASK) == ALL;
}

/* The first readable element at or after (@k, @elem), as a field ID. */
static u64 md_next_readable(const struct md_table *t, struct md_ctx *x, u32 k, u32 elem)
{
	for (; k < t->n; k++, elem = 0) {
		const struct md_field *f = &t->f[k];

		if (rd_mask(f, x) && elem < md_count(f))
			return with_context(f->id, t->context) + elem;
	}
	return MD_FIELD_ID_NONE;
}

static u64 md_read(const struct md_table *t, struct md_ctx *x, u64 id, u64 *value, u64 *next)
{
	const struct md_field *f;
	u32 elem;

	id = with_context(id, t->context);
	if (md_is_null_id(id)) {
		*next = md_next_readable(t, x, 0, 0);
		return TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT;
	}
	f = md_find(t, id, &elem);
	if (!f)
		return TDX_METADATA_FIELD_ID_INCORRECT;
	if (!rd_mask(f, x))
		return TDX_METADATA_FIELD_NOT_READABLE;
	*value = f->get(x, elem) & rd_mask(f, x);
	*next = md_next_readable(t, x, (u32)(f - t->f), elem + 1);
	/* Within one entry the caller's own ID bits are kept. */
	if (*next != MD_FIELD_ID_NONE && MD_FIELD_CODE(*next) == MD_FIELD_CODE(id) + 1 &&
	    elem + 1 < md_count(f))
		*next = id + 1;
	return TDX_SUCCESS;
}

static u64 md_write(const struct md_table *t, struct md_ctx *x, u64 id, u64 value, u64 mask,
		    u64 *old_out)
{
	const struct md_field *f;
	u64 eff, old;
	u32 elem;

	f = md_find(t, with_context(id, t->context), &elem);
	if (!f)
		return TDX_METADATA_FIELD_ID_INCORRECT;
	eff = wr_mask(f, x) & mask;
	if (!eff || !f->set)
		return TDX_METADATA_FIELD_NOT_WRITABLE;
	old = f->get(x, elem);
	if ((value ^ old) & mask & ~eff & elem_mask(f->id))
		return TDX_METADATA_FIELD_VALUE_NOT_VALID;
	f->set(x, elem, (old & ~eff) | (value & eff));
	*old_out = old & rd_mask(f, x);
	return TDX_SUCCESS;
}

/* ---- TDH.SYS.RD / RDALL ------------------------------------------------------------ */

u64 tdh_sys_rd(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	struct md_ctx x = { .c = c };
	u64 id = r->rdx, value = 0, next = MD_FIELD_ID_NONE, err;

	if (!c->m->lp[c->lp].lp_init_done)
		return TDX_SYS_LP_INIT_NOT_DONE;
	err = md_read(&sys_table, &x, id, &value, &next);
	r->rdx = next;
	r->r8 = err == TDX_SUCCESS ? value : 0;
	return err;
}

/*
 * TDG.SYS.RD: a global field the TD may read (the lookup table's guest
 * mask); RDX = the next such field, the first one for the null ID.
 */
u64 tdg_sys_rd(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	struct md_ctx x = { .c = c, .guest = true };
	u64 id = r->rdx, value = 0, next = MD_FIELD_ID_NONE, err;

	err = md_read(&sys_table, &x, id, &value, &next);
	r->rdx = next;
	r->r8 = err == TDX_SUCCESS ? value : 0;
	return err;
}

struct md_list_header {
	u16 list_buff_size;
	u16 num_sequences;
	u32 reserved;
};

u64 tdh_sys_rdall(struct seam_ctx *c)
{
	struct seamcall_regs *r = c->regs;
	struct md_ctx x = { .c = c };
	u64 list_pa = r->rdx, start = r->r8;
	u64 buf[TDX_PAGE_SIZE / 8] = { 0 };
	struct md_list_header *h = (void *)buf;
	u32 pos = 1, k = 0;

	r->r8 = MD_FIELD_ID_NONE;
	if (!c->m->lp[c->lp].lp_init_done)
		return TDX_SYS_LP_INIT_NOT_DONE;
	if (!hpa_is_valid_shared(c, list_pa, TDX_PAGE_SIZE))
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	if (start != MD_FIELD_ID_NONE) {
		u32 elem;
		const struct md_field *f = md_find(&sys_table, with_context(start, 0), &elem);

		if (!f || elem || with_context(start, 0) != f->id)
			return TDX_METADATA_FIELD_ID_INCORRECT;
		k = (u32)(f - sys_fields);
	}
	for (; k < sys_table.n; k++) {
		const struct md_field *f = &sys_fields[k];
		u32 n = md_count(f);

		if (pos + 1 + n > ARRAY_SIZE(buf)) {
			r->r8 = f->id;
			seam_write_shared(c->p, list_pa, buf, sizeof(buf));
			return TDX_METADATA_LIST_OVERFLOW;
		}
		buf[pos++] = f->id | (u64)(f->num_elems - 1) << 34 | (u64)(f->num_fields - 1) << 38;
		for (u32 e = 0; e < n; e++)
			buf[pos++] = f->get(&x, e);
		h->num_sequences++;
	}
	h->list_buff_size = (u16)(pos * 8);
	seam_write_shared(c->p, list_pa, buf, pos * 8);
	return TDX_SUCCESS;
}

/* ---- TDH.MNG.RD / WR -------------------------------------------------------------- */

static void md_ctx_td(struct md_ctx *x, struct seam_ctx *c, struct td_ref *td)
{
	*x = (struct md_ctx){
		.c = c,
		.tdr = td->tdr,
		.tdcs = td->tdcs,
		.debug = !!(td->tdcs->attributes & TDX_ATTR_DEBUG),
	};
}

/*
 * The RD/WR core shared by TDH.MNG.* and TDH.VP.*: version 1 of RD returns
 * the next readable field in RDX; version 0 knows no null ID.
 */
static u64 md_access(struct seam_ctx *c, const struct md_table *t, struct md_ctx *x, bool write,
		     u64 id, u64 value, u64 mask)
{
	struct seamcall_regs *r = c->regs;
	u64 out = 0, next = MD_FIELD_ID_NONE, err;

	if (write) {
		err = md_write(t, x, id, value, mask, &out);
	} else {
		err = md_read(t, x, id, &out, &next);
		if (c->version)
			r->rdx = next;
		else if (err == TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT)
			err = TDX_METADATA_FIELD_ID_INCORRECT;
	}
	if (err == TDX_SUCCESS)
		r->r8 = out;
	return err;
}

/* R8 is 0 on any error; RD version 1 starts with the null ID in RDX. */
static u64 md_prologue(struct seam_ctx *c, bool write)
{
	c->regs->r8 = 0;
	if (!write && c->version)
		c->regs->rdx = MD_FIELD_ID_NONE;
	return c->version > 1 ? api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX) : TDX_SUCCESS;
}

/*
 * TDCS CPUID_VALUES (class 0x14): the field code names a leaf of the
 * module's table (bit 16 leaf bit 31, bits 15:9 leaf 6:0, bit 8 "no
 * subleaf", bits 7:1 subleaf 6:0) and bit 0 the element: EBX:EAX or
 * EDX:ECX.  Readable by the host for every TD, never writable.
 */
static bool cpuid_values_field(u64 id)
{
	return MD_FIELD_CLASS(id) == MD_FIELD_CLASS(MD_TD_CPUID_VALUES);
}

static u64 cpuid_values_read(struct seam_ctx *c, const struct tdcs *tdcs, u64 id)
{
	u32 code = MD_FIELD_CODE(id), leaf, subleaf, v[4];

	if ((id & MD_RSVD_BITS) || (code >> 17))
		return TDX_METADATA_FIELD_ID_INCORRECT;
	leaf = (code >> 16 & 1) << 31 | (code >> 9 & 0x7F);
	subleaf = code >> 8 & 1 ? TDX_CPUID_NO_SUBLEAF : code >> 1 & 0x7F;
	if ((code >> 8 & 1) && (code >> 1 & 0x7F) != 0x7F)
		return TDX_METADATA_FIELD_ID_INCORRECT;
	if (!td_cpuid_value(c->p, tdcs, leaf, subleaf, v))
		return TDX_METADATA_FIELD_ID_INCORRECT;
	c->regs->r8 = code & 1 ? (u64)v[3] << 32 | v[2] : (u64)v[1] << 32 | v[0];
	return TDX_SUCCESS;
}

static u64 mng_access(struct seam_ctx *c, u32 leaf)
{
	struct seamcall_regs *r = c->regs;
	u64 id = r->rdx, value = r->r8, mask = r->r9;
	struct md_ctx x;
	struct td_ref td;
	u64 err;

	err = md_prologue(c, leaf == TDH_MNG_WR);
	if (!err)
		err = td_lock_and_check(c, r->rcx, TDX_OPERAND_ID_RCX, LOCK_SHARED, leaf,
					LOCK_SHARED, &td);
	if (err)
		return err;
	md_ctx_td(&x, c, &td);
	if (cpuid_values_field(id) && leaf == TDH_MNG_RD)
		err = cpuid_values_read(c, td.tdcs, id);
	else if (cpuid_values_field(id))
		err = TDX_METADATA_FIELD_NOT_WRITABLE;
	else
		err = md_access(c, &td_table, &x, leaf == TDH_MNG_WR, id, value, mask);
	td_release(&td);
	return err;
}

u64 tdh_mng_rd(struct seam_ctx *c)
{
	return mng_access(c, TDH_MNG_RD);
}

u64 tdh_mng_wr(struct seam_ctx *c)
{
	return mng_access(c, TDH_MNG_WR);
}

/* ---- TDH.VP.RD / WR ---------------------------------------------------------------- */

/* A successful VP.RD/WR leaves the vCPU associated with this LP. */
static u64 vp_associate(struct seam_ctx *c, struct vp_ref *vp)
{
	u32 expected = NO_LP;

	if (atomic_compare_exchange_strong(&vp->tdvps->assoc_lpid, &expected, c->lp)) {
		atomic_fetch_add(&vp->td.tdcs->num_assoc_vcpus, 1);
		return TDX_SUCCESS;
	}
	return expected == c->lp ? TDX_SUCCESS : TDX_VCPU_ASSOCIATED;
}

static u64 vp_access(struct seam_ctx *c, u32 leaf)
{
	struct seamcall_regs *r = c->regs;
	u64 id = r->rdx, value = r->r8, mask = r->r9;
	struct vp_ref vp;
	struct md_ctx x;
	u8 state;
	u64 err;

	err = md_prologue(c, leaf == TDH_VP_WR);
	if (!err)
		err = vp_lock(c, r->rcx, TDX_OPERAND_ID_RCX, LOCK_SHARED, leaf, &vp);
	if (err)
		return err;
	state = vp.tdvps->state;
	if (vp.tdvps->num_tdvps_pages < MIN_TDVPS_PAGES)
		err = TDX_TDCX_NUM_INCORRECT;
	else if (state != VCPU_READY && !(leaf == TDH_VP_RD && state == VCPU_DISABLED))
		err = TDX_VCPU_STATE_INCORRECT;
	else
		err = vp_associate(c, &vp);
	if (!err) {
		md_ctx_td(&x, c, &vp.td);
		x.tdvps = vp.tdvps;
		err = md_access(c, &vp_table, &x, leaf == TDH_VP_WR, id, value, mask);
	}
	vp_release(&vp);
	return err;
}

u64 tdh_vp_rd(struct seam_ctx *c)
{
	return vp_access(c, TDH_VP_RD);
}

u64 tdh_vp_wr(struct seam_ctx *c)
{
	return vp_access(c, TDH_VP_WR);
}

/* ---- TDG.VM.RD / WR (the TD's own access) ---------------------------------------------- */

u64 tdg_vm_access(struct seam_ctx *c, struct tdr *tdr, struct tdcs *tdcs, bool write)
{
	struct seamcall_regs *r = c->regs;
	struct md_ctx x = { .c = c, .tdr = tdr, .tdcs = tdcs, .guest = true,
			    .debug = !!(tdcs->attributes & TDX_ATTR_DEBUG) };
	u64 id = r->rdx, value = r->r8, mask = r->r9;

	if (r->rcx)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);	/* no L2 VMs */
	r->r8 = 0;
	if (!write && c->version)
		r->rdx = MD_FIELD_ID_NONE;
	return md_access(c, &td_table, &x, write, id, value, mask);
}

/* ---- TDG.VP.RD / WR (the vCPU's own access) ------------------------------------------- */

u64 tdg_vp_access(struct seam_ctx *c, struct tdr *tdr, struct tdcs *tdcs, struct tdvps *tdvps,
		  bool write)
{
	struct seamcall_regs *r = c->regs;
	struct md_ctx x = { .c = c, .tdr = tdr, .tdcs = tdcs, .tdvps = tdvps, .guest = true,
			    .debug = !!(tdcs->attributes & TDX_ATTR_DEBUG) };
	u64 id = r->rdx, value = r->r8, mask = r->r9;

	r->r8 = 0;
	if (!write)
		r->rdx = MD_FIELD_ID_NONE;
	c->version = 1;		/* a read always reports the next field ID */
	if (r->rcx)
		return api_error(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);	/* no L2 VMs */
	return md_access(c, &vp_table, &x, write, id, value, mask);
}
