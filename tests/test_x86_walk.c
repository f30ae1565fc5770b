/* SPDX-License-Identifier: MIT */
/*
 * The IA-32e page walk (platform/x86_walk.c) over fake guest-physical
 * memory: translations of 4 KiB, 2 MiB and 1 GiB pages with 4 and 5
 * levels, accessed and dirty bits, and each permission rule (U/S, R/W
 * with CR0.WP, NX, SMEP, SMAP with RFLAGS.AC and implicit accesses,
 * reserved bits) with the #PF error code it gives.
 */
#include "tdtest.h"

#include "../platform/x86_walk.h"

#include <string.h>

#define P	0x1ULL
#define RW	0x2ULL
#define US	0x4ULL
#define A	0x20ULL
#define D	0x40ULL
#define PS	0x80ULL
#define NX	(1ULL << 63)

#define PML5	0x1000
#define PML4	0x2000
#define PDPT	0x3000
#define PD	0x4000
#define PT	0x5000
#define PAGE	0x7000
#define NO_TABLE 0x3F000	/* the second stage stops at this table */

#define CR0_WP	(1ULL << 16)
#define CR4_LA57 (1ULL << 12)
#define CR4_SMEP (1ULL << 20)
#define CR4_SMAP (1ULL << 21)
#define EFER	0xD01ULL	/* SCE, LME, LMA, NXE */
#define AC	(1ULL << 18)

static _Atomic u64 mem[0x40000 / 8];

static _Atomic u64 *entry(void *ctx, u64 gpa)
{
	(void)ctx;
	return (gpa & ~0xFFFULL) == NO_TABLE ? NULL : &mem[gpa / 8];
}

static void set(u64 table, unsigned int index, u64 value)
{
	mem[table / 8 + index] = value;
}

static u64 get(u64 table, unsigned int index)
{
	return mem[table / 8 + index];
}

/* VA 0x201000 -> PAGE through PML4[0], PDPT[0], PD[1], PT[1], with @leaf's flags everywhere. */
static void map_4k(u64 flags)
{
	memset((void *)mem, 0, sizeof(mem));
	set(PML4, 0, PDPT | flags);
	set(PDPT, 0, PD | flags);
	set(PD, 1, PT | flags);
	set(PT, 1, PAGE | flags);
}

static struct x86_paging kernel(void)
{
	return (struct x86_paging){ .cr0 = 0x80000011 | CR0_WP, .cr3 = PML4, .efer = EFER };
}

static enum x86_walk_result walk(const struct x86_paging *pg, u64 va, unsigned int access,
				 struct x86_walk *w)
{
	memset(w, 0, sizeof(*w));
	return x86_walk_long(pg, va, access, entry, NULL, w);
}

static void assert_pf(const struct x86_paging *pg, u64 va, unsigned int access, u32 error)
{
	struct x86_walk w;

	assert_int_equal(walk(pg, va, access, &w), X86_WALK_PF);
	assert_int_equal(w.pf_error, error);
}

static void test_translation_and_dirty(void **state)
{
	struct x86_paging pg = kernel();
	struct x86_walk w;

	(void)state;
	map_4k(P | RW);
	assert_int_equal(walk(&pg, 0x201234, CPU_ACCESS_READ, &w), X86_WALK_OK);
	assert_int_equal(w.gpa, PAGE);
	assert_true(get(PML4, 0) & A && get(PDPT, 0) & A && get(PD, 1) & A && get(PT, 1) & A);
	assert_false(get(PT, 1) & D);
	assert_false(w.writable);		/* not until a write walk sets D */
	assert_true(w.executable);
	assert_int_equal(walk(&pg, 0x201234, CPU_ACCESS_WRITE, &w), X86_WALK_OK);
	assert_true(get(PT, 1) & D);
	assert_false(get(PD, 1) & D);
	assert_true(w.writable);
	assert_int_equal(walk(&pg, 0x201000, CPU_ACCESS_READ, &w), X86_WALK_OK);
	assert_true(w.writable);
	/* Not present at the PTE: a #PF with W set for a write, P clear. */
	set(PT, 1, 0);
	assert_pf(&pg, 0x201000, CPU_ACCESS_WRITE, 0x2);
	/* The second stage stopped at a paging structure. */
	set(PD, 1, NO_TABLE | P | RW);
	assert_int_equal(walk(&pg, 0x201000, CPU_ACCESS_READ, &w), X86_WALK_STOPPED);
}

static void test_large_pages_and_levels(void **state)
{
	struct x86_paging pg = kernel();
	struct x86_walk w;

	(void)state;
	map_4k(P | RW);
	set(PD, 2, 0x40000000ULL | P | RW | PS);		/* 2 MiB at VA 4 MiB */
	assert_int_equal(walk(&pg, 0x4ABCDE, CPU_ACCESS_READ, &w), X86_WALK_OK);
	assert_int_equal(w.gpa, 0x400AB000);
	set(PDPT, 1, 0x80000000ULL | P | RW | PS);		/* 1 GiB at VA 1 GiB */
	assert_int_equal(walk(&pg, 0x7654321F, CPU_ACCESS_READ, &w), X86_WALK_OK);
	assert_int_equal(w.gpa, 0xB6543000);
	/* PS in a PML4E is a reserved bit. */
	set(PML4, 1, PDPT | P | RW | PS);
	assert_pf(&pg, 1ULL << 39, CPU_ACCESS_READ, 0x9);
	/* Five levels: PML5[0] -> the same PML4. */
	set(PML5, 0, PML4 | P | RW);
	pg.cr3 = PML5;
	pg.cr4 |= CR4_LA57;
	assert_int_equal(walk(&pg, 0x201000, CPU_ACCESS_READ, &w), X86_WALK_OK);
	assert_int_equal(w.gpa, PAGE);
	assert_true(get(PML5, 0) & A);
}

static void test_user_and_write_protect(void **state)
{
	struct x86_paging pg = kernel();
	struct x86_walk w;

	(void)state;
	map_4k(P | RW);
	pg.user = true;
	assert_pf(&pg, 0x201000, CPU_ACCESS_READ, 0x5);		/* supervisor page */
	map_4k(P | US);
	assert_int_equal(walk(&pg, 0x201000, CPU_ACCESS_READ, &w), X86_WALK_OK);
	assert_false(w.writable);
	assert_pf(&pg, 0x201000, CPU_ACCESS_WRITE, 0x7);		/* read-only, user */
	/* A supervisor write to a read-only page: refused with CR0.WP, done without. */
	pg.user = false;
	assert_pf(&pg, 0x201000, CPU_ACCESS_WRITE, 0x3);
	pg.cr0 &= ~CR0_WP;
	assert_int_equal(walk(&pg, 0x201000, CPU_ACCESS_WRITE, &w), X86_WALK_OK);
	assert_true(w.writable);
	/* User-mode writes obey R/W whatever CR0.WP says. */
	pg.user = true;
	assert_pf(&pg, 0x201000, CPU_ACCESS_WRITE, 0x7);
}

static void test_nx_and_smep(void **state)
{
	struct x86_paging pg = kernel();
	struct x86_walk w;

	(void)state;
	map_4k(P | RW | US);
	set(PT, 1, PAGE | P | RW | US | NX);
	assert_pf(&pg, 0x201000, CPU_ACCESS_FETCH, 0x11);
	assert_int_equal(walk(&pg, 0x201000, CPU_ACCESS_READ, &w), X86_WALK_OK);
	assert_false(w.executable);
	pg.efer &= ~(1ULL << 11);				/* NX is reserved without NXE */
	assert_pf(&pg, 0x201000, CPU_ACCESS_READ, 0x9);
	pg.efer = EFER;
	set(PT, 1, PAGE | P | RW | US);
	assert_int_equal(walk(&pg, 0x201000, CPU_ACCESS_FETCH, &w), X86_WALK_OK);
	pg.cr4 |= CR4_SMEP;					/* a user page, fetched by the kernel */
	assert_pf(&pg, 0x201000, CPU_ACCESS_FETCH, 0x11);
	assert_int_equal(walk(&pg, 0x201000, CPU_ACCESS_READ, &w), X86_WALK_OK);
	assert_false(w.executable);
	pg.user = true;
	assert_int_equal(walk(&pg, 0x201000, CPU_ACCESS_FETCH, &w), X86_WALK_OK);
	assert_true(w.executable);
}

static void test_smap(void **state)
{
	struct x86_paging pg = kernel();
	struct x86_walk w;

	(void)state;
	map_4k(P | RW | US);
	pg.cr4 |= CR4_SMAP;
	assert_pf(&pg, 0x201000, CPU_ACCESS_READ, 0x1);
	assert_pf(&pg, 0x201000, CPU_ACCESS_WRITE, 0x3);
	pg.rflags = AC;						/* STAC */
	assert_int_equal(walk(&pg, 0x201000, CPU_ACCESS_WRITE, &w), X86_WALK_OK);
	assert_true(w.writable);
	pg.implicit = true;					/* AC does not open implicit accesses */
	assert_pf(&pg, 0x201000, CPU_ACCESS_READ, 0x1);
	pg.implicit = false;
	pg.user = true;						/* SMAP is for supervisor accesses only */
	pg.rflags = 0;
	assert_int_equal(walk(&pg, 0x201000, CPU_ACCESS_READ, &w), X86_WALK_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translation_and_dirty),
		cmocka_unit_test(test_large_pages_and_levels),
		cmocka_unit_test(test_user_and_write_protect),
		cmocka_unit_test(test_nx_and_smep),
		cmocka_unit_test(test_smap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
