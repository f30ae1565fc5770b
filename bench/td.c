// SPDX-License-Identifier: MIT
/*
 * bench/td: a TD's execution on the CPU cores, with this program as the
 * host (tools/tdlib.c: module-level SEAMCALLs, as the tests do).
 *
 *   tdcall        TDG.VP.INFO round trips handled inside the core, ns each
 *   td-exit       TDVMCALL<Instruction.IO> exits to the host and back
 *                 (TDH.VP.ENTER to TD exit), ns each
 *   compute       bench/workload.h in the TD against the same code natively,
 *                 in this run: native/TD speed ratio
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tools/tdlib.h"
#include "workload.h"

extern const u8 guest_bench[];
extern const u64 guest_bench_size;

#define IMAGE_GPA	0xFFFF0000ULL
#define ITERS		200000u
#define ROUNDS		64u

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void check(u64 st, const char *what)
{
	if (st != TDX_SUCCESS) {
		fprintf(stderr, "bench/td: %s: %s (%#llx)\n", what, tdx_status_name(st),
			(unsigned long long)st);
		exit(1);
	}
}

int main(void)
{
	static u8 native_buf[WORKLOAD_BYTES];
	struct platform_config cfg;
	struct seamcall_regs r = { 0 };
	struct td_params tp;
	struct tdlib_td td;
	struct tdx_host *h;
	double t[5] = { 0 }, t0;
	u64 guest_hash = 0, native_hash;
	int phase = 0;

	platform_default_config(&cfg);
	h = tdx_host_create(&cfg);
	if (!h)
		return 1;
	tdlib_default_params(&tp);
	check(tdlib_create(h, &td, &tp), "create");
	check(tdlib_add_vcpu(&td, 0, ROUNDS), "vcpu");
	for (u64 off = 0; off < guest_bench_size; off += TDX_PAGE_SIZE)
		check(tdlib_add_page(&td, IMAGE_GPA + off, guest_bench + off, false), "image");
	check(tdlib_finalize(&td), "finalize");
	while (phase < 4) {
		u64 st;

		r.rcx = td.vcpu[0].tdvpr;
		st = tdlib_call(h, 0, TDH_VP_ENTER, &r);
		if (st == VMX_EXIT_EXTERNAL_INTERRUPT)
			continue;	/* the host's timer tick */
		if (st != VMX_EXIT_TDCALL || r.r11 != 30) {
			fprintf(stderr, "bench/td: unexpected exit %#llx\n", (unsigned long long)st);
			return 1;
		}
		if (r.r14 == 0x91)
			t[phase = (int)r.r15] = now();
		else if (r.r14 == 0x80)
			guest_hash = (u32)r.r15;
		r.r10 = 0;
	}
	t0 = now();
	native_hash = workload(native_buf, ROUNDS);
	t0 = now() - t0;
	if ((u32)native_hash != guest_hash) {
		fprintf(stderr, "bench/td: the TD computed %#llx, natively %#llx\n",
			(unsigned long long)guest_hash, (unsigned long long)(u32)native_hash);
		return 1;
	}
	printf("tdcall: %.0f ns per TDG.VP.INFO in place\n", (t[2] - t[1]) * 1e9 / ITERS);
	printf("td-exit: %.0f ns per TDVMCALL exit to the host and back\n",
	       (t[3] - t[2]) * 1e9 / (ITERS / 10));
	printf("compute: native %.2f ms, TD %.2f ms, ratio native/TD %.3f\n", t0 * 1e3,
	       (t[4] - t[3]) * 1e3, t0 / (t[4] - t[3]));
	check(tdlib_teardown(&td), "teardown");
	tdx_host_destroy(h);
	return 0;
}
