// SPDX-License-Identifier: MIT
/*
 * tdx-module-demo: one trust domain's life on the software TDX module, told
 * SEAMCALL by SEAMCALL.  It brings the module up, builds a TD whose initial
 * image is a small firmware volume below 4 GiB, measures it, finalizes,
 * checks MRTD against an independent SHA-384 of the same measurement log,
 * adds and removes a page at run time, and tears everything down.
 */
#include "tdlib.h"

#include <getopt.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FW_PAGES	16
#define FW_BASE		(0x100000000ULL - FW_PAGES * TDX_PAGE_SIZE)
#define AUG_GPA		0x200000ULL

static int quiet;

static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static void hex(const char *label, const u8 *b, size_t n)
{
	printf("%s", label);
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n");
}

static void fw_page(u8 *page, u64 gpa)
{
	for (u64 i = 0; i < TDX_PAGE_SIZE; i++)
		page[i] = (u8)((gpa >> 12) * 31 + i * 7);
}

/* The measurement log the module hashes, rebuilt from the spec. */
static void expected_mrtd(u8 out[48])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	u8 page[TDX_PAGE_SIZE], block[128];
	unsigned int len;

	EVP_DigestInit_ex(ctx, EVP_sha384(), NULL);
	for (u64 p = 0; p < FW_PAGES; p++) {
		u64 gpa = FW_BASE + p * TDX_PAGE_SIZE;

		memset(block, 0, sizeof(block));
		memcpy(block, "MEM.PAGE.ADD", 12);
		memcpy(block + 16, &gpa, 8);
		EVP_DigestUpdate(ctx, block, sizeof(block));
		fw_page(page, gpa);
		for (u64 off = 0; off < TDX_PAGE_SIZE; off += 256) {
			u64 chunk = gpa + off;

			memset(block, 0, sizeof(block));
			memcpy(block, "MR.EXTEND", 9);
			memcpy(block + 16, &chunk, 8);
			EVP_DigestUpdate(ctx, block, sizeof(block));
			EVP_DigestUpdate(ctx, page + off, 256);
		}
	}
	EVP_DigestFinal_ex(ctx, out, &len);
	EVP_MD_CTX_free(ctx);
}

static u64 sys_rd(struct tdx_host *h, u64 field)
{
	struct seamcall_regs r = { .rdx = field };

	return tdlib_call(h, 0, TDH_SYS_RD, &r) == TDX_SUCCESS ? r.r8 : 0;
}

static int fail(struct tdlib_td *td, u64 st)
{
	fprintf(stderr, "tdx-module-demo: %s failed: %s (%#llx)\n", td->failed,
		tdx_status_name(st), (unsigned long long)st);
	return 1;
}

static int run(struct tdx_host *h)
{
	u8 page[TDX_PAGE_SIZE], mrtd[48], want[48];
	struct tdx_module_stats stats;
	struct td_params tp;
	struct tdlib_td td;
	u64 free_before, st;

	free_before = platform_free_page_count(h->plat);
	tdlib_default_params(&tp);
	st = tdlib_create(h, &td, &tp);
	if (st)
		return fail(&td, st);
	say("TDH.MNG.CREATE/KEY.CONFIG/ADDCX/INIT: TD at TDR %#llx, HKID %d\n",
	    (unsigned long long)td.tdr, td.hkid);
	st = tdlib_add_vcpu(&td, 0, 0);
	if (st)
		return fail(&td, st);
	say("TDH.VP.CREATE/ADDCX/INIT: vCPU 0 at TDVPR %#llx\n",
	    (unsigned long long)td.vcpu[0].tdvpr);
	for (u64 p = 0; p < FW_PAGES; p++) {
		fw_page(page, FW_BASE + p * TDX_PAGE_SIZE);
		st = tdlib_add_page(&td, FW_BASE + p * TDX_PAGE_SIZE, page, true);
		if (st)
			return fail(&td, st);
	}
	say("TDH.MEM.SEPT.ADD + PAGE.ADD + 16 x MR.EXTEND: %d pages below 4 GiB\n", FW_PAGES);
	st = tdlib_finalize(&td);
	if (!st)
		st = tdlib_read_mrtd(&td, mrtd);
	if (st)
		return fail(&td, st);
	expected_mrtd(want);
	hex("MRTD:          ", mrtd, sizeof(mrtd));
	hex("expected MRTD: ", want, sizeof(want));
	if (memcmp(mrtd, want, sizeof(mrtd))) {
		fprintf(stderr, "tdx-module-demo: MRTD does not match the measurement log\n");
		return 1;
	}
	st = tdlib_aug(&td, AUG_GPA, 0);
	if (!st)
		st = tdlib_remove(&td, AUG_GPA, 0);
	if (st)
		return fail(&td, st);
	say("TDH.MEM.PAGE.AUG, then RANGE.BLOCK/TRACK/PAGE.REMOVE at GPA %#llx\n", AUG_GPA);
	st = tdlib_teardown(&td);
	if (st)
		return fail(&td, st);
	tdx_module_get_stats(h->mod, &stats);
	printf("teardown: every page reclaimed, %llu pages leaked; %llu SEAMCALLs\n",
	       (unsigned long long)(free_before - platform_free_page_count(h->plat)),
	       (unsigned long long)stats.seamcalls);
	return free_before == platform_free_page_count(h->plat) ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct platform_config cfg;
	struct tdx_host *h;
	int opt, ret;

	while ((opt = getopt(argc, argv, "qh")) != -1) {
		switch (opt) {
		case 'q':
			quiet = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-q]\n"
				"Builds, measures, finalizes and tears down one TD on the "
				"software TDX module.\n", argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	platform_default_config(&cfg);
	h = tdx_host_create(&cfg);
	if (!h) {
		fprintf(stderr, "tdx-module-demo: TDX module bring-up failed\n");
		return 1;
	}
	tdx_module_set_invariant_checks(h->mod, true);
	printf("softtdx: TDX module %llu.%llu up: 1 TDMR of %llu MiB, PAMT %llu KiB\n",
	       (unsigned long long)sys_rd(h, MD_SYS_MAJOR_VERSION),
	       (unsigned long long)sys_rd(h, MD_SYS_MINOR_VERSION),
	       (unsigned long long)(cfg.mem_size >> 20), (unsigned long long)(h->pamt_bytes >> 10));
	ret = run(h);
	tdx_host_destroy(h);
	return ret;
}
