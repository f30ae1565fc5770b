/* SPDX-License-Identifier: MIT */
/* What the attestation tests share: genuine TDREPORTs and scratch directories. */
#ifndef SOFTTDX_TESTS_ATTEST_UTIL_H
#define SOFTTDX_TESTS_ATTEST_UTIL_H

#define SOFTTDX_SEAM	/* the tests play the module's SEAMREPORT */
#include "../platform/platform.h"

/*
 * A TDREPORT as TDG.MR.REPORT builds it (type, hashes binding TDINFO and
 * TEE_TCB_INFO), every measurement filled from @seed, MAC'ed by @p's CPU.
 */
void attest_test_report(struct platform *p, struct tdx_report *r, u8 seed,
			const char *report_data);
/* A platform with the default configuration; its report key is the machine's. */
struct platform *attest_test_platform(void);
/* A new empty directory under $TMPDIR (malloc'ed path). */
char *attest_test_tmpdir(void);
/* rm -rf @dir. */
void attest_test_rmtree(const char *dir);

#endif
