/* SPDX-License-Identifier: MIT */
/*
 * Module-level TD lifecycle helpers for the demo, the tests and the
 * benchmarks: the SEAMCALL sequences a host runs to build, run-prepare and
 * tear down a TD, with the host's page bookkeeping.  Each helper returns
 * the first non-success SEAMCALL status and records which step it was.
 */
#ifndef SOFTTDX_TOOLS_TDLIB_H
#define SOFTTDX_TOOLS_TDLIB_H

#include "../kvm/tdx_host.h"

#define TDLIB_MAX_VCPUS		8
#define TDLIB_TDCS_PAGES	6
#define TDLIB_TDVPS_PAGES	6

struct tdlib_vcpu {
	u64 tdvpr;
	u64 tdcx[TDLIB_TDVPS_PAGES - 1];
	u32 lp;
};

struct tdlib_td {
	struct tdx_host *h;
	u64 tdr;
	int hkid;
	u64 tdcs[TDLIB_TDCS_PAGES];
	u32 nr_tdcs;
	int pwl;			/* S-EPT levels */
	struct tdlib_vcpu vcpu[TDLIB_MAX_VCPUS];
	u32 nr_vcpus;
	u64 *pages;			/* S-EPT and private pages, for reclaim */
	size_t nr_pages, cap_pages;
	u64 source;			/* shared staging page for PAGE.ADD */
	u32 lp;				/* the LP its SEAMCALLs run on */
	const char *failed;		/* the step that failed, for messages */
};

/* A TD_PARAMS a host would pass for a plain production TD. */
void tdlib_default_params(struct td_params *tp);

/*
 * A SEAMCALL on @lp; the status, with regs updated.  With busy retries set
 * (concurrent callers), TDX_OPERAND_BUSY is retried up to that many times,
 * as a host kernel does.
 */
void tdlib_set_busy_retries(u32 n);
u64 tdlib_call(struct tdx_host *h, u32 lp, u64 leaf, struct seamcall_regs *r);

/* TDH.MNG.CREATE, KEY.CONFIG per package, ADDCX x6 and MNG.INIT, on LP 0. */
u64 tdlib_create(struct tdx_host *h, struct tdlib_td *td, const struct td_params *tp);
/* The same with every later SEAMCALL of this TD on @lp. */
u64 tdlib_create_on(struct tdx_host *h, struct tdlib_td *td, const struct td_params *tp, u32 lp);
/* TDH.VP.CREATE, VP.ADDCX x5 and VP.INIT on @lp. */
u64 tdlib_add_vcpu(struct tdlib_td *td, u32 lp, u64 initial_rcx);
/* TDH.MEM.SEPT.ADD for every missing table above (@gpa, @level). */
u64 tdlib_map_sept(struct tdlib_td *td, u64 gpa, int level);
/* TDH.MEM.PAGE.ADD of @data (4 KiB) at @gpa, then 16 x MR.EXTEND if @measure. */
u64 tdlib_add_page(struct tdlib_td *td, u64 gpa, const void *data, bool measure);
u64 tdlib_finalize(struct tdlib_td *td);
/* TDH.MEM.PAGE.AUG of a fresh 4K or 2M page at @gpa. */
u64 tdlib_aug(struct tdlib_td *td, u64 gpa, int level);
/* BLOCK, TRACK, REMOVE of the page at (@gpa, @level); frees it. */
u64 tdlib_remove(struct tdlib_td *td, u64 gpa, int level);
/* Reads MRTD (48 bytes) through TDH.MNG.RD. */
u64 tdlib_read_mrtd(struct tdlib_td *td, u8 mrtd[48]);
/*
 * Full teardown: VP.FLUSH, VPFLUSHDONE, CACHE.WB, KEY.FREEID, then
 * PAGE.RECLAIM and WBINVD of every page, TDR last; all pages freed.
 */
u64 tdlib_teardown(struct tdlib_td *td);
/* The reclaim half of teardown, for a TD whose HKID is already freed. */
u64 tdlib_reclaim_all(struct tdlib_td *td);

/* Records @nr pages at @pa (1 or 512) that the TD now owns, for teardown. */
void tdlib_adopt_page(struct tdlib_td *td, u64 pa, u64 nr);
/*
 * A page the module handed back (PAGE.REMOVE, SEPT.REMOVE, PROMOTE) leaves
 * the TD's list and goes back to the allocator; abort()s if it is not there.
 */
void tdlib_release_page(struct tdlib_td *td, u64 pa);

#endif /* SOFTTDX_TOOLS_TDLIB_H */
