// SPDX-License-Identifier: MIT
/*
 * KVM's private-GFN set (kvm/gfn_ranges.c) against a plain bitmap: random
 * sets and clears, then every GFN's membership and the set's canonical
 * form (disjoint, coalesced, non-empty ranges in order).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../kvm/kvm_internal.h"

#include <stdlib.h>
#include <string.h>

#define UNIVERSE	1024

static unsigned int rng = 12345;

static unsigned int next_rand(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

/* The set as the bitmap says it should be, range by range. */
static void expect_matches(const struct kvm_attr_ranges *a, const bool *ref)
{
	u64 s, e, from = 0, prev_end = 0;
	bool first = true;

	for (u64 gfn = 0; gfn < UNIVERSE; gfn++)
		if (gfn_ranges_contains(a, gfn) != ref[gfn])
			fail_msg("GFN %llu: set says %d", (unsigned long long)gfn, !ref[gfn]);
	while (gfn_ranges_next(a, from, &s, &e)) {
		assert_true(s < e);
		assert_true(first || s > prev_end);	/* touching ranges are one */
		assert_true(s >= from || first);
		assert_true(ref[s] && ref[e - 1] && e <= UNIVERSE);
		assert_true(s == 0 || !ref[s - 1]);
		assert_true(e == UNIVERSE || !ref[e]);
		prev_end = from = e;
		first = false;
	}
}

static void test_random_against_bitmap(void **state)
{
	struct kvm_attr_ranges a = { 0 };
	bool ref[UNIVERSE] = { 0 };

	(void)state;
	for (int op = 0; op < 20000; op++) {
		u64 start = next_rand() % UNIVERSE;
		u64 len = 1 + next_rand() % (op % 3 ? 8 : 200);
		u64 end = start + len > UNIVERSE ? UNIVERSE : start + len;
		bool in = next_rand() % 2;

		assert_int_equal(gfn_ranges_set(&a, start, end, in), 0);
		for (u64 g = start; g < end; g++)
			ref[g] = in;
		if (op % 16 == 0 || op > 19900)
			expect_matches(&a, ref);
	}
	expect_matches(&a, ref);
	gfn_ranges_clear(&a);
	assert_false(gfn_ranges_contains(&a, 0));
}

/* The cases one by one: inside, over, touching and splitting ranges. */
static void test_edges(void **state)
{
	struct kvm_attr_ranges a = { 0 };
	u64 s, e;

	(void)state;
	assert_false(gfn_ranges_next(&a, 0, &s, &e));
	assert_int_equal(gfn_ranges_set(&a, 10, 20, false), 0);	/* nothing to clear */
	assert_false(gfn_ranges_next(&a, 0, &s, &e));
	assert_int_equal(gfn_ranges_set(&a, 10, 20, true), 0);
	assert_int_equal(gfn_ranges_set(&a, 20, 30, true), 0);	/* touching: one range */
	assert_true(gfn_ranges_next(&a, 0, &s, &e));
	assert_true(s == 10 && e == 30);
	assert_int_equal(gfn_ranges_set(&a, 15, 16, false), 0);	/* a hole splits it */
	assert_true(gfn_ranges_next(&a, 12, &s, &e));
	assert_true(s == 10 && e == 15);
	assert_true(gfn_ranges_next(&a, 15, &s, &e));
	assert_true(s == 16 && e == 30);
	assert_int_equal(gfn_ranges_set(&a, 15, 16, true), 0);	/* and filling it joins */
	assert_true(gfn_ranges_next(&a, 29, &s, &e));
	assert_true(s == 10 && e == 30);
	assert_int_equal(gfn_ranges_set(&a, 40, 50, true), 0);
	assert_int_equal(gfn_ranges_set(&a, 5, 45, false), 0);	/* over one, into another */
	assert_true(gfn_ranges_next(&a, 0, &s, &e));
	assert_true(s == 45 && e == 50);
	assert_int_equal(gfn_ranges_set(&a, 0, ~0ULL, true), 0);
	assert_true(gfn_ranges_contains(&a, ~0ULL - 1));
	assert_false(gfn_ranges_contains(&a, ~0ULL));
	gfn_ranges_clear(&a);
}

/* 20,000 ranges: one page toggled in the middle, over and over. */
static void test_fragmented(void **state)
{
	struct kvm_attr_ranges a = { 0 };
	u64 s, e;

	(void)state;
	for (u64 i = 0; i < 20000; i++)
		assert_int_equal(gfn_ranges_set(&a, 2 * i, 2 * i + 1, true), 0);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(gfn_ranges_set(&a, 20001, 20002, i % 2 == 0), 0);
		assert_int_equal(gfn_ranges_contains(&a, 20001), i % 2 == 0);
	}
	assert_true(gfn_ranges_next(&a, 39998, &s, &e));
	assert_true(s == 39998 && e == 39999);
	assert_false(gfn_ranges_next(&a, 39999, &s, &e));
	gfn_ranges_clear(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_random_against_bitmap),
		cmocka_unit_test(test_fragmented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
