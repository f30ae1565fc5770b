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

#define assert_status(actual, expected)                                          \
	do {                                                                     \
		u64 a_ = (actual), e_ = (expected);                              \
		if (a_ != e_)                                                    \
			fail_msg("status %#llx (%s), expected %#llx (%s)",       \
				 (unsigned long long)a_, tdx_status_name(a_),    \
				 (unsigned long long)e_, tdx_status_name(e_));   \
	} while (0)

#endif /* SOFTTDX_TESTS_TDTEST_H */
