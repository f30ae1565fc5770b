// SPDX-License-Identifier: MIT
/*
 * libFuzzer: sequences of SEAMCALLs against a module brought up fresh for
 * each input, with the module's invariant checker after every call (PAMT
 * owners agree with the S-EPT and the TD structures, no page in two TDs,
 * MRTD frozen after finalize: a violation aborts).  Each 12-byte record is
 * one call, or a write into one of the input's host pages:
 *   [0] leaf (TDH.VP.ENTER excluded: guest code is the engine's to fuzz),
 *       or >= 0xF0: write [4..11] at 8-byte slot [2] of page [1]
 *   [1] bit 0: leaf version 1; the rest: the logical processor
 *   [2..5] RCX, RDX, R8, R9: a host page of the input's pool (00xxxxxx), a
 *       GPA with level [6] & 3 (01xxxxxx), a small number (10xxxxxx), or
 *       bytes [6..11] (11xxxxxx)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../kvm/tdx_host.h"

#define POOL_PAGES	32
#define RECORD		12
#define MAX_LEAF	64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

struct pool {
	struct platform *p;
	u64 page[POOL_PAGES];
};

static u64 pool_page(struct pool *pl, unsigned int i)
{
	if (!pl->page[i]) {
		u64 pa = platform_alloc_page(pl->p);

		if (pa == PLATFORM_NO_HPA || platform_host_fill(pl->p, pa, 0, TDX_PAGE_SIZE))
			return 0;
		pl->page[i] = pa;
	}
	return pl->page[i];
}

static u64 operand(struct pool *pl, u8 sel, const u8 *r)
{
	u64 v = 0;

	switch (sel >> 6) {
	case 0:
		return pool_page(pl, sel % POOL_PAGES);
	case 1:
		return (u64)(sel & 63) << 12 | (r[6] & 3);
	case 2:
		return sel & 63;
	default:
		memcpy(&v, r + 6, 6);
		return v;
	}
}

static void write_slot(struct pool *pl, const u8 *r)
{
	u64 pa = pool_page(pl, r[1] % POOL_PAGES);

	if (pa)
		platform_host_write(pl->p, pa + (r[2] % 512) * 8, r + 4, 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct platform_config cfg;
	struct tdx_host *h;
	struct pool pl = { 0 };

	platform_default_config(&cfg);
	cfg.mem_size = 1ULL << 30;
	h = tdx_host_create(&cfg);
	if (!h)
		abort();
	tdx_module_set_invariant_checks(h->mod, true);
	pl.p = h->plat;
	for (size_t off = 0; off + RECORD <= len; off += RECORD) {
		const u8 *r = data + off;
		u64 leaf = r[0] % MAX_LEAF;
		struct seamcall_regs regs;

		if (r[0] >= 0xF0) {
			write_slot(&pl, r);
			continue;
		}
		if (leaf == TDH_VP_ENTER)
			continue;
		regs = (struct seamcall_regs){
			.rax = leaf | (u64)(r[1] & 1) << 16,
			.rcx = operand(&pl, r[2], r), .rdx = operand(&pl, r[3], r),
			.r8 = operand(&pl, r[4], r), .r9 = operand(&pl, r[5], r),
		};
		seamcall(h->mod, (u32)(r[1] >> 1) % platform_nr_lps(h->plat), &regs);
	}
	tdx_host_destroy(h);
	return 0;
}
