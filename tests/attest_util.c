// SPDX-License-Identifier: MIT
/* Genuine TDREPORTs for the attestation tests, and scratch directories. */
#include "attest_util.h"

#include <ftw.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void attest_test_report(struct platform *p, struct tdx_report *r, u8 seed,
			const char *report_data)
{
	memset(r, 0, sizeof(*r));
	r->mac.report_type[0] = TDX_REPORT_TYPE_TDX;
	memset(r->mac.cpusvn, 0x05, sizeof(r->mac.cpusvn));
	/* REPORTDATA is 64 bytes, not a string: no terminator when it is full. */
	memcpy(r->mac.report_data, report_data,
	       strnlen(report_data, sizeof(r->mac.report_data)));
	r->tee_tcb_info.valid = TDX_TEE_TCB_INFO_VALID;
	for (int i = 0; i < 16; i++)
		r->tee_tcb_info.tee_tcb_svn[i] = (u8)(seed + i);
	memset(r->tee_tcb_info.mrseam, seed ^ 0x11, 48);
	memset(r->tee_tcb_info.mrsignerseam, seed ^ 0x22, 48);
	r->tee_tcb_info.attributes = 0x0123456789abcdefULL;
	r->tdinfo.attributes = 0x10000000ULL | seed;
	r->tdinfo.xfam = 0xe7ULL;
	memset(r->tdinfo.mrtd, seed ^ 0x33, 48);
	memset(r->tdinfo.mrconfigid, seed ^ 0x44, 48);
	memset(r->tdinfo.mrowner, seed ^ 0x55, 48);
	memset(r->tdinfo.mrownerconfig, seed ^ 0x66, 48);
	for (int i = 0; i < 4; i++)
		memset(r->tdinfo.rtmr[i], seed ^ (0x70 + i), 48);
	SHA384((const u8 *)&r->tee_tcb_info, sizeof(r->tee_tcb_info), r->mac.tee_tcb_info_hash);
	SHA384((const u8 *)&r->tdinfo, sizeof(r->tdinfo), r->mac.tee_info_hash);
	seam_report_mac(p, &r->mac);
}

struct platform *attest_test_platform(void)
{
	struct platform_config cfg;

	platform_default_config(&cfg);
	return platform_create(&cfg);
}

char *attest_test_tmpdir(void)
{
	const char *tmp = getenv("TMPDIR");
	char *dir;

	if (asprintf(&dir, "%s/softtdx-attest-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
		return NULL;
	if (!mkdtemp(dir)) {
		free(dir);
		return NULL;
	}
	return dir;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void attest_test_rmtree(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
