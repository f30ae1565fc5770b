// SPDX-License-Identifier: MIT
/*
 * The platform model: configuration checks, KeyID encoding, the page
 * allocator, and the host's view of TD-owned memory (zeros on read, TD bit
 * cleared on write, private KeyIDs refused).
 */
#define SOFTTDX_SEAM	/* this test plays the module for seam_* calls */
#include "tdtest.h"

#include <errno.h>
#include <string.h>

static struct platform *make(void)
{
	struct platform_config cfg;
	struct platform *p;

	platform_default_config(&cfg);
	p = platform_create(&cfg);
	assert_non_null(p);
	return p;
}

static void test_config_validation(void **state)
{
	struct platform_config cfg;

	(void)state;
	platform_default_config(&cfg);
	cfg.mem_size = 3ULL << 29;		/* not a multiple of 1 GiB */
	assert_null(platform_create(&cfg));
	platform_default_config(&cfg);
	cfg.nr_private_keyids = 64;		/* leaves no shared KeyID */
	assert_null(platform_create(&cfg));
	platform_default_config(&cfg);
	cfg.lps_per_package = 0;
	assert_null(platform_create(&cfg));
	platform_default_config(&cfg);
	cfg.keyid_bits = 15;
	cfg.mem_size = 1ULL << 40;		/* collides with KeyID bits */
	assert_null(platform_create(&cfg));
}

static void test_keyids(void **state)
{
	struct platform *p = make();
	u64 hpa = PLATFORM_MEM_BASE + 0x5000;

	(void)state;
	assert_int_equal(platform_keyid_shift(p), 46);
	assert_int_equal(platform_max_keyid(p), 63);
	assert_int_equal(platform_private_keyid_min(p), 32);
	assert_int_equal(platform_hpa_with_keyid(p, hpa, 33), hpa | (33ULL << 46));
	assert_int_equal(platform_hpa_keyid(p, hpa | (33ULL << 46)), 33);
	assert_int_equal(platform_hpa_strip_keyid(p, hpa | (33ULL << 46)), hpa);
	platform_destroy(p);
}

static void test_allocator(void **state)
{
	struct platform *p = make();
	u64 total = platform_free_page_count(p), a, b, big;

	(void)state;
	a = platform_alloc_page(p);
	b = platform_alloc_page(p);
	assert_true(a != b && a >= PLATFORM_MEM_BASE && !(a & 0xFFF));
	big = platform_alloc_pages(p, 512, 512);
	assert_true(big != PLATFORM_NO_HPA);
	assert_int_equal((big - PLATFORM_MEM_BASE) % TDX_PAGE_SIZE_2M, 0);
	assert_int_equal(platform_free_page_count(p), total - 514);
	assert_int_equal(platform_alloc_pages(p, total, 1), PLATFORM_NO_HPA);
	assert_int_equal(platform_alloc_pages(p, 1, 3), PLATFORM_NO_HPA);
	platform_free_pages(p, big, 512);
	platform_free_pages(p, a, 1);
	platform_free_pages(p, b, 1);
	assert_int_equal(platform_free_page_count(p), total);
	platform_destroy(p);
}

static void test_host_access_rules(void **state)
{
	struct platform *p = make();
	u64 pa = platform_alloc_page(p);
	u8 buf[64] = { 0 };

	(void)state;
	assert_int_equal(platform_host_write(p, pa, "hello", 5), 0);
	assert_int_equal(platform_host_read(p, pa, buf, 5), 0);
	assert_memory_equal(buf, "hello", 5);
	/* Shared MKTME KeyIDs alias the same memory. */
	assert_int_equal(platform_host_read(p, platform_hpa_with_keyid(p, pa, 3), buf, 5), 0);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(platform_host_read(p, platform_hpa_with_keyid(p, pa, 40), buf, 5),
			 -EPERM);
	assert_int_equal(platform_host_write(p, PLATFORM_MEM_BASE - 4096, buf, 8), -EFAULT);
	assert_int_equal(platform_host_read(p, PLATFORM_MEM_BASE + (1ULL << 30) - 4, buf, 8),
			 -EFAULT);
	platform_free_pages(p, pa, 1);
	platform_destroy(p);
}

static void test_td_bit(void **state)
{
	struct platform *p = make();
	u64 pa = platform_alloc_page(p);
	u8 buf[128], zero[128] = { 0 };

	(void)state;
	memset(seam_page(p, pa), 0x5A, TDX_PAGE_SIZE);
	seam_claim(p, pa, 40);
	assert_true(seam_intact(p, pa, 40));
	assert_false(seam_intact(p, pa, 41));	/* another TD's key */
	/* The host sees zeros where a TD owns the lines... */
	assert_int_equal(platform_host_read(p, pa + 32, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, zero, sizeof(buf));
	/* ...and a host write takes the line away from the TD. */
	assert_int_equal(platform_host_write(p, pa + 100, "x", 1), 0);
	assert_false(seam_intact(p, pa, 40));
	assert_int_equal(platform_host_read(p, pa + 64, buf, 64), 0);
	assert_int_equal(buf[36], 'x');
	assert_int_equal(buf[0], 0x5A);		/* that line is no longer TD-owned */
	assert_int_equal(platform_host_read(p, pa, buf, 64), 0);
	assert_memory_equal(buf, zero, 64);	/* line 0 still is */
	platform_free_pages(p, pa, 1);
	platform_destroy(p);
}

static void test_entropy_injection(void **state)
{
	struct platform *p = make();
	u8 r[16];

	(void)state;
	platform_inject_rng_failures(p, 2);
	assert_false(seam_rng(p, r, sizeof(r)));
	assert_false(seam_pconfig(p, 0, 40));
	assert_true(seam_rng(p, r, sizeof(r)));
	platform_destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_validation),
		cmocka_unit_test(test_keyids),
		cmocka_unit_test(test_allocator),
		cmocka_unit_test(test_host_access_rules),
		cmocka_unit_test(test_td_bit),
		cmocka_unit_test(test_entropy_injection),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
