/* SPDX-License-Identifier: MIT */
/*
 * The page-frame set the cores keep their code pages in
 * (platform/page_set.c): membership through growth and through deletions
 * inside probe runs, checked against a plain bitmap.
 */
#include "tdtest.h"

#include "../platform/page_set.h"

#include <string.h>

#define FRAMES	8192

static void test_matches_bitmap(void **state)
{
	static bool in[FRAMES];
	struct page_set s = { 0 };
	u64 x = 12345;
	size_t n = 0;

	(void)state;
	memset(in, 0, sizeof(in));
	assert_false(page_set_has(&s, 0));
	assert_false(page_set_del(&s, 0));
	for (int i = 0; i < 200000; i++) {
		u64 f;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* Dense frames with a stride, as code pages are, so runs form. */
		f = (x % FRAMES) * (i & 1 ? 1 : 512) % FRAMES;
		if (x & 0x100000) {
			assert_int_equal(page_set_add(&s, f), in[f] ? 0 : 1);
			n += !in[f];
			in[f] = true;
		} else {
			assert_int_equal(page_set_del(&s, f), in[f]);
			n -= in[f];
			in[f] = false;
		}
		if (i % 1000 == 0)
			for (u64 g = 0; g < FRAMES; g++)
				assert_int_equal(page_set_has(&s, g), in[g]);
	}
	assert_int_equal(s.used, n);
	page_set_free(&s);
	assert_false(page_set_has(&s, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_bitmap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
