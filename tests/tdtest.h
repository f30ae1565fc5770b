/* SPDX-License-Identifier: MIT */
/*
 * Test support: cmocka fixtures that bring up a platform and module and
 * build a TD to a given stage, with the invariant checker on after every
 * SEAMCALL and a page-leak check at the end of each test.
 */
#ifndef SOFTTDX_TESTS_TDTEST_H
#define SOFTTDX_TESTS_TDTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../tools/tdlib.h"

struct tdtest {
	struct tdx_host *h;
	struct tdlib_td td;
	bool has_td;
	u64 free_at_start;
};

/* GPAs the fixtures use. */
#define TDTEST_GPA		0x100000ULL	/* first initial page */
#define TDTEST_NR_PAGES		4
/* The next free 4K slot after the built image. */
#define GPA_NEXT		(TDTEST_GPA + TDTEST_NR_PAGES * TDX_PAGE_SIZE)
/* A 2M range whose PD entry is FREE in a built TD: no PT below. */
#define GPA_NO_PT		0x200000ULL
/* The shared bit of a GPA with GPAW 48 (the default TD_PARAMS). */
#define GPA_SHARED_BIT		(1ULL << 47)

/*
 * S-EPT entries as TDH.MEM.SEPT.RD reports them: RCX is the architectural
 * entry the module exposes, RDX is SEPT_INFO(level, state).
 */
#define ARCH_SVE		(1ULL << 63)
#define ARCH_FREE		ARCH_SVE
#define ARCH_NL_MAPPED		0x7ULL
#define ARCH_NL_BLOCKED		0x0ULL
#define ARCH_LEAF_ATTRS		(0x30ULL | 0x40ULL | ARCH_SVE)	/* MT WB, IPAT, SVE */
#define ARCH_MAPPED(hpa)	((hpa) | 0x7ULL | ARCH_LEAF_ATTRS)
#define ARCH_NO_ACCESS(hpa)	((hpa) | ARCH_LEAF_ATTRS)	/* pending, blocked */
#define ARCH_PS			0x80ULL
#define SEPT_INFO(level, state)	((u64)(level) | (u64)(state) << 8)
/* The HPA bits of an architectural S-EPT entry. */
#define HPA_MASK		0x000FFFFFFFFFF000ULL

/* TDVPS page count, a VP metadata field the tests read. */
#define MD_VP_NUM_TDVPS_PAGES	0xA020000000000003ULL

/* Fixtures: each builds on the one before. */
int tdtest_setup_host(void **state);		/* module SYS_READY */
int tdtest_setup_td(void **state);		/* + TD after TDH.MNG.INIT */
int tdtest_setup_vcpu(void **state);		/* + one initialized vCPU */
int tdtest_setup_built(void **state);		/* + TDTEST_NR_PAGES measured pages */
int tdtest_setup_finalized(void **state);	/* + TDH.MR.FINALIZE */
/* Tears the TD down (if any), checks no page leaked, frees the host. */
int tdtest_teardown(void **state);

/* A SEAMCALL on LP 0 / on @lp. */
u64 tdtest_call(struct tdtest *t, u64 leaf, struct seamcall_regs *r);
u64 tdtest_call_lp(struct tdtest *t, u32 lp, u64 leaf, struct seamcall_regs *r);

/* A free host page, zeroed; the test frees it or hands it to the TD. */
u64 tdtest_page(struct tdtest *t);
/* A free 2M-aligned 2M host page, not zeroed. */
u64 tdtest_alloc_2m(struct tdtest *t);
/* An HPA one past the end of memory: outside every TDMR. */
u64 tdtest_beyond_memory(struct tdtest *t);

/* A TDH.MEM.* leaf on (@gpa, @level) of the fixture's TD; @r gets the outputs. */
u64 tdtest_mem_call(struct tdtest *t, u64 leaf, u64 gpa, int level, struct seamcall_regs *r);
/* TDH.MEM.TRACK of the fixture's TD. */
u64 tdtest_track(struct tdtest *t);
/* TD_EPOCH through TDH.MNG.RD. */
u64 tdtest_td_epoch(struct tdtest *t);
/* Reads (@gpa, @level) with SEPT.RD; asserts the arch entry and RDX info. */
void tdtest_assert_entry(struct tdtest *t, u64 gpa, int level, u64 arch, u64 info);
/* The HPA mapped at (@gpa, @level), from SEPT.RD's architectural entry. */
u64 tdtest_hpa_at(struct tdtest *t, u64 gpa, int level);
/* The HPA tdlib adopted last (the newest S-EPT or private page). */
u64 tdtest_last_page(struct tdtest *t);

/*
 * For a TD a test took to TD_TEARDOWN itself (tdlib_teardown would redo
 * VP.FLUSH and VPFLUSHDONE): every page back to the host, TDR last; the
 * fixture then only checks for leaks.
 */
void tdtest_reclaim_all(struct tdtest *t);

#define assert_status(actual, expected)                                          \
	do {                                                                     \
		u64 a_ = (actual), e_ = (expected);                              \
		if (a_ != e_)                                                    \
			fail_msg("status %#llx (%s), expected %#llx (%s)",       \
				 (unsigned long long)a_, tdx_status_name(a_),    \
				 (unsigned long long)e_, tdx_status_name(e_));   \
	} while (0)

#endif /* SOFTTDX_TESTS_TDTEST_H */
