// SPDX-License-Identifier: MIT
/*
 * bench/measure: what building a measured TD costs on the software module.
 *
 *  1. TDH.MEM.PAGE.ADD + 16 x TDH.MR.EXTEND per 4 KiB page over a large
 *     image, as MB/s of page data, against OpenSSL SHA-384 over the very
 *     byte stream the module hashes (128-byte headers plus page data),
 *     measured in the same run.  The ratio is the headline: SHA-384 is the
 *     physical limit of measurement.
 *  2. SEAMCALL dispatch cost: ns per TDH.SYS.RD.
 *  3. PAMT overhead: bytes of PAMT per GiB of TDX-managed memory.
 */
#include "../tools/tdlib.h"

#include <getopt.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STREAM_PER_PAGE	(128 + 16 * (128 + 256))

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void header(u8 *b, const char *op, u64 gpa)
{
	memset(b, 0, 128);
	memcpy(b, op, strlen(op));
	memcpy(b + 16, &gpa, 8);
}

/* The module's measurement stream for @pages pages of @data at GPA 0... */
static u8 *build_stream(u64 pages, const u8 *data)
{
	u8 *s = malloc(pages * STREAM_PER_PAGE), *p = s;

	if (!s)
		abort();
	for (u64 i = 0; i < pages; i++) {
		u64 gpa = i * TDX_PAGE_SIZE;

		header(p, "MEM.PAGE.ADD", gpa);
		p += 128;
		for (u64 off = 0; off < TDX_PAGE_SIZE; off += 256) {
			header(p, "MR.EXTEND", gpa + off);
			memcpy(p + 128, data + off, 256);
			p += 384;
		}
	}
	return s;
}

static double sha384_seconds(const u8 *stream, u64 len, u8 out[48])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n;
	double t = now();

	EVP_DigestInit_ex(ctx, EVP_sha384(), NULL);
	EVP_DigestUpdate(ctx, stream, len);
	EVP_DigestFinal_ex(ctx, out, &n);
	t = now() - t;
	EVP_MD_CTX_free(ctx);
	return t;
}

static void die(struct tdlib_td *td, u64 st)
{
	fprintf(stderr, "measure: %s failed: %s (%#llx)\n", td->failed, tdx_status_name(st),
		(unsigned long long)st);
	exit(1);
}

/* What KVM does per page: PAGE.ADD from one source page, then 16 EXTENDs. */
static u64 add_measured(struct tdlib_td *td, u64 gpa, u64 target)
{
	struct seamcall_regs r = { .rcx = gpa, .rdx = td->tdr, .r8 = target, .r9 = td->source };
	u64 st = tdlib_call(td->h, 0, TDH_MEM_PAGE_ADD, &r);

	for (u64 off = 0; !st && off < TDX_PAGE_SIZE; off += 256) {
		r = (struct seamcall_regs){ .rcx = gpa + off, .rdx = td->tdr };
		st = tdlib_call(td->h, 0, TDH_MR_EXTEND, &r);
	}
	return st;
}

static double measure_seconds(struct tdx_host *h, u64 pages, const u8 *data, u8 mrtd[48])
{
	u64 *target = malloc(pages * sizeof(*target));
	struct td_params tp;
	struct tdlib_td td;
	double t;
	u64 st;

	tdlib_default_params(&tp);
	st = tdlib_create(h, &td, &tp);
	if (!st)
		st = tdlib_add_vcpu(&td, 0, 0);
	/* S-EPT and target pages first: the timed loop is ADD + EXTEND only. */
	for (u64 gpa = 0; !st && gpa < pages * TDX_PAGE_SIZE; gpa += TDX_PAGE_SIZE_2M)
		st = tdlib_map_sept(&td, gpa, 0);
	if (st || !target)
		die(&td, st);
	for (u64 i = 0; i < pages; i++) {
		target[i] = platform_alloc_page(h->plat);
		tdlib_adopt_page(&td, target[i], 1);
	}
	platform_host_write(h->plat, td.source, data, TDX_PAGE_SIZE);
	t = now();
	for (u64 i = 0; i < pages && !st; i++)
		st = add_measured(&td, i * TDX_PAGE_SIZE, target[i]);
	t = now() - t;
	td.failed = "TDH.MEM.PAGE.ADD / TDH.MR.EXTEND";
	if (!st)
		st = tdlib_finalize(&td);
	if (!st)
		st = tdlib_read_mrtd(&td, mrtd);
	if (!st)
		st = tdlib_teardown(&td);
	if (st)
		die(&td, st);
	free(target);
	return t;
}

static double seamcall_ns(struct tdx_host *h, u64 n)
{
	struct seamcall_regs r;
	double t = now();

	for (u64 i = 0; i < n; i++) {
		r = (struct seamcall_regs){ .rax = TDH_SYS_RD, .rdx = MD_SYS_TDCS_BASE_SIZE };
		if (seamcall(h->mod, 0, &r) != TDX_SUCCESS)
			abort();
	}
	return (now() - t) * 1e9 / (double)n;
}

int main(int argc, char **argv)
{
	u64 mib = 256, pages;
	struct platform_config cfg;
	struct tdx_module_stats st;
	u8 data[TDX_PAGE_SIZE], mrtd[48], want[48];
	double t_mod, t_sha, mbs_mod, mbs_sha;
	struct tdx_host *h;
	u8 *stream;
	int opt;

	while ((opt = getopt(argc, argv, "m:h")) != -1) {
		if (opt == 'm' && atoi(optarg) > 0) {
			mib = (u64)atoi(optarg);
			continue;
		}
		fprintf(stderr, "usage: %s [-m MiB]   (default 256)\n", argv[0]);
		return opt == 'h' ? 0 : 2;
	}
	pages = mib << 8;
	for (u64 i = 0; i < sizeof(data); i++)
		data[i] = (u8)(i * 131 + 7);
	platform_default_config(&cfg);
	cfg.mem_size = ((mib * 2 >> 10) + 1) << 30;
	h = tdx_host_create(&cfg);
	if (!h) {
		fprintf(stderr, "measure: TDX module bring-up failed\n");
		return 1;
	}
	/* A first pass faults the memory in; the second one is measured. */
	measure_seconds(h, pages, data, mrtd);
	t_mod = measure_seconds(h, pages, data, mrtd);
	stream = build_stream(pages, data);
	t_sha = sha384_seconds(stream, pages * STREAM_PER_PAGE, want);
	free(stream);
	if (memcmp(mrtd, want, sizeof(mrtd))) {
		fprintf(stderr, "measure: MRTD differs from SHA-384 of the stream\n");
		return 1;
	}
	mbs_mod = (double)(pages * TDX_PAGE_SIZE) / t_mod / 1e6;
	mbs_sha = (double)(pages * TDX_PAGE_SIZE) / t_sha / 1e6;
	printf("measure: %llu MiB via PAGE.ADD + 16 x MR.EXTEND per page: %.1f MB/s (%.2f s)\n",
	       (unsigned long long)mib, mbs_mod, t_mod);
	printf("sha384:  OpenSSL over the same %.0f MiB stream:     %.1f MB/s of page data\n",
	       (double)(pages * STREAM_PER_PAGE) / (1 << 20), mbs_sha);
	printf("measure/sha384 ratio: %.2f\n", mbs_mod / mbs_sha);
	printf("seamcall: %.0f ns per TDH.SYS.RD\n", seamcall_ns(h, 1000000));
	tdx_module_get_stats(h->mod, &st);
	printf("pamt: %llu bytes per GiB of TDMR (%.3f %%)\n",
	       (unsigned long long)(st.pamt_bytes * (1ULL << 30) / st.tdmr_bytes),
	       100.0 * (double)st.pamt_bytes / (double)st.tdmr_bytes);
	tdx_host_destroy(h);
	return 0;
}
