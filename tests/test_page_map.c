/* SPDX-License-Identifier: MIT */
/*
 * The page-frame map a group of cores keeps its code pages in
 * (platform/page_map.c): masks through growth and through deletions inside
 * probe runs, checked against a plain array.
 */
#include "tdtest.h"

#include "../platform/page_map.h"

#include <string.h>

#define FRAMES	8192

static u64 next(u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void test_matches_array(void **state)
{
	static u64 in[FRAMES];
	struct page_map m = { 0 };
	u64 x = 12345, old;
	size_t n = 0;

	(void)state;
	memset(in, 0, sizeof(in));
	assert_int_equal(page_map_get(&m, 0), 0);
	assert_int_equal(page_map_del(&m, 0), 0);
	for (int i = 0; i < 200000; i++) {
		u64 r = next(&x), f, bit = 1ULL << (r >> 58);

		/* Dense frames with a stride, as code pages are, so runs form. */
		f = (r % FRAMES) * (i & 1 ? 1 : 512) % FRAMES;
		if (r & 0x100000) {
			assert_int_equal(page_map_or(&m, f, bit, &old), 0);
			assert_int_equal(old, in[f]);
			n += !in[f];
			in[f] |= bit;
		} else {
			assert_int_equal(page_map_del(&m, f), in[f]);
			n -= !!in[f];
			in[f] = 0;
		}
		if (i % 1000 == 0)
			for (u64 g = 0; g < FRAMES; g++)
				assert_int_equal(page_map_get(&m, g), in[g]);
	}
	assert_int_equal(m.used, n);
	page_map_free(&m);
	assert_int_equal(page_map_get(&m, 1), 0);
}

/* Each OR says what the mask was; deleting gives the last mask back. */
static void test_or_reports_old_mask(void **state)
{
	struct page_map m = { 0 };
	u64 old = 99;

	(void)state;
	assert_int_equal(page_map_or(&m, 7, 1ULL << 63, &old), 0);
	assert_int_equal(old, 0);
	assert_int_equal(page_map_or(&m, 7, 1, &old), 0);
	assert_int_equal(old, 1ULL << 63);
	assert_int_equal(page_map_get(&m, 7), (1ULL << 63) | 1);
	assert_int_equal(page_map_del(&m, 7), (1ULL << 63) | 1);
	assert_int_equal(page_map_get(&m, 7), 0);
	page_map_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_array),
		cmocka_unit_test(test_or_reports_old_mask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
