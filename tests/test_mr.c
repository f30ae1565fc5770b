// SPDX-License-Identifier: MIT
/*
 * TDH.MR.EXTEND and TDH.MR.FINALIZE: the MRTD algorithm against the worked
 * examples of tdx-module-abi.md section 8.2 and an independent SHA-384
 * model, the operand and state checks of both leaves, and the extended
 * error information EXTEND reports for a GPA it cannot measure.
 */
#include "tdtest.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define MR_CHUNK	256ULL

/* ---- helpers --------------------------------------------------------------- */

static void hex_to_bytes(const char *hex, u8 *out, size_t n)
{
	assert_int_equal(strlen(hex), 2 * n);
	for (size_t i = 0; i < n; i++) {
		char byte[3] = { hex[2 * i], hex[2 * i + 1], 0 };

		out[i] = (u8)strtoul(byte, NULL, 16);
	}
}

static void assert_mrtd(struct tdlib_td *td, const u8 want[48])
{
	u8 mrtd[48];

	assert_status(tdlib_read_mrtd(td, mrtd), TDX_SUCCESS);
	assert_memory_equal(mrtd, want, 48);
}

static void assert_mrtd_hex(struct tdlib_td *td, const char *hex)
{
	u8 want[48];

	hex_to_bytes(hex, want, sizeof(want));
	assert_mrtd(td, want);
}

static u64 extend(struct tdtest *t, u64 gpa, u64 tdr, struct seamcall_regs *r)
{
	*r = (struct seamcall_regs){ .rcx = gpa, .rdx = tdr };
	return tdtest_call(t, TDH_MR_EXTEND, r);
}

static void extend_page(struct tdtest *t, struct tdlib_td *td, u64 gpa)
{
	struct seamcall_regs r;

	for (u64 off = 0; off < TDX_PAGE_SIZE; off += MR_CHUNK) {
		assert_status(extend(t, gpa + off, td->tdr, &r), TDX_SUCCESS);
		assert_int_equal(r.rcx, 0);
		assert_int_equal(r.rdx, 0);
	}
}

static u64 finalize(struct tdtest *t, u64 tdr)
{
	struct seamcall_regs r = { .rcx = tdr };

	return tdtest_call(t, TDH_MR_FINALIZE, &r);
}

static void fill_page(u8 *page, u64 gpa)
{
	for (u64 i = 0; i < TDX_PAGE_SIZE; i++)
		page[i] = (u8)((gpa >> 12) * 7 + i);
}

/* ---- reference model of section 8.1 -------------------------------------------- */

static void ref_header(EVP_MD_CTX *ctx, const char *op, u64 gpa)
{
	u8 block[128] = { 0 };

	memcpy(block, op, strlen(op));
	for (int i = 0; i < 8; i++)
		block[16 + i] = (u8)(gpa >> (8 * i));
	assert_int_equal(EVP_DigestUpdate(ctx, block, sizeof(block)), 1);
}

static void ref_add(EVP_MD_CTX *ctx, u64 gpa)
{
	ref_header(ctx, "MEM.PAGE.ADD", gpa);
}

static void ref_extend_page(EVP_MD_CTX *ctx, u64 gpa, const u8 *page)
{
	for (u64 off = 0; off < TDX_PAGE_SIZE; off += MR_CHUNK) {
		ref_header(ctx, "MR.EXTEND", gpa + off);
		assert_int_equal(EVP_DigestUpdate(ctx, page + off, MR_CHUNK), 1);
	}
}

static EVP_MD_CTX *ref_begin(void)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha384(), NULL), 1);
	return ctx;
}

static void ref_end(EVP_MD_CTX *ctx, u8 out[48])
{
	unsigned int len = 0;

	assert_int_equal(EVP_DigestFinal_ex(ctx, out, &len), 1);
	assert_int_equal(len, 48);
	EVP_MD_CTX_free(ctx);
}

/* ---- worked examples ------------------------------------------------------------ */

static void run_example(struct tdtest *t, u64 gpa, int fill, bool measure, const char *hex)
{
	u8 page[TDX_PAGE_SIZE], zero[48] = { 0 };

	memset(page, fill, sizeof(page));
	assert_status(tdlib_add_page(&t->td, gpa, page, measure), TDX_SUCCESS);
	assert_status(tdlib_add_vcpu(&t->td, 0, 0), TDX_SUCCESS);
	/* MRTD reads as zero until it is finalized. */
	assert_mrtd(&t->td, zero);
	assert_status(tdlib_finalize(&t->td), TDX_SUCCESS);
	assert_mrtd_hex(&t->td, hex);
}

static void test_example_single_add(void **state)
{
	run_example(*state, 0xFFFFF000ULL, 0, false,
		    "8d411e4377a0da03b249acbe9a7939b44b4483b5a6c81341"
		    "f00d60c1f417257f9a5c1c03f2f223c59f010f4933f238b8");
}

static void test_example_zero_page(void **state)
{
	run_example(*state, 0, 0, true,
		    "236f0efa607ff8843f1855d7ef80dc3dda8fb455787a186b"
		    "8787212951eab0096e3193bb26f817c2b63c21f5e10f9938");
}

static void test_example_ab_page(void **state)
{
	run_example(*state, 0x1000, 0xAB, true,
		    "c2f8aa74d820ee87ead847f3fb0ffc10c1afc95051dab0ad"
		    "fd50e7b2c824ff41fb939a1b07f7ecc29c03a92a864027d1");
}

static void test_empty_td(void **state)
{
	struct tdtest *t = *state;

	assert_status(tdlib_add_vcpu(&t->td, 0, 0), TDX_SUCCESS);
	assert_status(tdlib_finalize(&t->td), TDX_SUCCESS);
	assert_mrtd_hex(&t->td, "38b060a751ac96384cd9327eb1b1e36a21fdb71114be0743"
				"4c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b");
}

/* ---- order dependence ------------------------------------------------------------ */

/* Two pages; @interleave: ADD,EXTEND,ADD,EXTEND, else ADD,ADD,EXTEND,EXTEND. */
static void build_two_pages(struct tdtest *t, struct tdlib_td *td, bool interleave, u8 out[48])
{
	const u64 gpa[2] = { TDTEST_GPA, TDTEST_GPA + 5 * TDX_PAGE_SIZE };
	u8 page[2][TDX_PAGE_SIZE], want[48];
	EVP_MD_CTX *ctx = ref_begin();

	for (int i = 0; i < 2; i++)
		fill_page(page[i], gpa[i]);
	for (int i = 0; i < 2; i++) {
		assert_status(tdlib_add_page(td, gpa[i], page[i], false), TDX_SUCCESS);
		ref_add(ctx, gpa[i]);
		if (interleave) {
			extend_page(t, td, gpa[i]);
			ref_extend_page(ctx, gpa[i], page[i]);
		}
	}
	for (int i = 0; !interleave && i < 2; i++) {
		extend_page(t, td, gpa[i]);
		ref_extend_page(ctx, gpa[i], page[i]);
	}
	assert_status(tdlib_add_vcpu(td, 0, 0), TDX_SUCCESS);
	assert_status(tdlib_finalize(td), TDX_SUCCESS);
	ref_end(ctx, want);
	assert_status(tdlib_read_mrtd(td, out), TDX_SUCCESS);
	assert_memory_equal(out, want, 48);
}

static void test_order_dependence(void **state)
{
	struct tdtest *t = *state;
	struct td_params tp;
	struct tdlib_td second;
	u8 grouped[48], interleaved[48];
	u64 st;

	build_two_pages(t, &t->td, false, grouped);
	tdlib_default_params(&tp);
	assert_status(tdlib_create(t->h, &second, &tp), TDX_SUCCESS);
	build_two_pages(t, &second, true, interleaved);
	assert_memory_not_equal(grouped, interleaved, 48);
	st = tdlib_teardown(&second);
	if (st != TDX_SUCCESS)
		fail_msg("second TD teardown: %s: %s", second.failed, tdx_status_name(st));
}

/* Every byte of the measured page counts. */
static void test_content_sensitivity(void **state)
{
	struct tdtest *t = *state;
	u8 page[TDX_PAGE_SIZE], want[48];
	EVP_MD_CTX *ctx = ref_begin();
	struct seamcall_regs r;

	fill_page(page, TDTEST_GPA);
	page[TDX_PAGE_SIZE - 1] ^= 1;
	assert_status(tdlib_add_page(&t->td, TDTEST_GPA, page, true), TDX_SUCCESS);
	ref_add(ctx, TDTEST_GPA);
	ref_extend_page(ctx, TDTEST_GPA, page);
	/* A partial page: only the first chunk is extended. */
	fill_page(page, TDTEST_GPA + TDX_PAGE_SIZE);
	assert_status(tdlib_add_page(&t->td, TDTEST_GPA + TDX_PAGE_SIZE, page, false), TDX_SUCCESS);
	ref_add(ctx, TDTEST_GPA + TDX_PAGE_SIZE);
	assert_status(extend(t, TDTEST_GPA + TDX_PAGE_SIZE, t->td.tdr, &r), TDX_SUCCESS);
	ref_header(ctx, "MR.EXTEND", TDTEST_GPA + TDX_PAGE_SIZE);
	assert_int_equal(EVP_DigestUpdate(ctx, page, MR_CHUNK), 1);
	ref_end(ctx, want);
	assert_status(tdlib_add_vcpu(&t->td, 0, 0), TDX_SUCCESS);
	assert_status(tdlib_finalize(&t->td), TDX_SUCCESS);
	assert_mrtd(&t->td, want);
}

/* ---- TDH.MR.EXTEND operand checks ------------------------------------------------ */

static void test_extend_misaligned(void **state)
{
	struct tdtest *t = *state;
	const u64 offs[] = { 8, 0x80, 0xFF, 0x101 };
	struct seamcall_regs r;

	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		assert_status(extend(t, TDTEST_GPA + offs[i], t->td.tdr, &r),
			      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
		assert_int_equal(r.rcx, 0);
		assert_int_equal(r.rdx, 0);
	}
}

static void test_extend_invalid_gpa(void **state)
{
	struct tdtest *t = *state;
	struct seamcall_regs r;

	assert_status(extend(t, TDTEST_GPA | GPA_SHARED_BIT, t->td.tdr, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	/* GPAW 48: bits 51:48 are reserved; bits 63:52 never valid. */
	assert_status(extend(t, TDTEST_GPA | (1ULL << 48), t->td.tdr, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(extend(t, TDTEST_GPA | (1ULL << 52), t->td.tdr, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rdx, 0);
}

static void expect_not_present(struct tdtest *t, u64 gpa, u64 rcx, u64 rdx)
{
	struct seamcall_regs r;

	assert_status(extend(t, gpa, t->td.tdr, &r),
		      TDX_EPT_ENTRY_NOT_PRESENT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx, rcx);
	assert_int_equal(r.rdx, rdx);
}

static void test_extend_unmapped(void **state)
{
	struct tdtest *t = *state;

	/* The walk stops at the first FREE entry: RCX = SVE, RDX = level. */
	expect_not_present(t, 1ULL << 39, ARCH_SVE, 3);
	expect_not_present(t, 1ULL << 30, ARCH_SVE, 2);
	expect_not_present(t, 1ULL << 21, ARCH_SVE, 1);
	expect_not_present(t, TDTEST_GPA + TDTEST_NR_PAGES * TDX_PAGE_SIZE, ARCH_SVE, 0);
}

static void test_extend_pending_and_blocked(void **state)
{
	struct tdtest *t = *state;
	u64 gpa = TDTEST_GPA + TDTEST_NR_PAGES * TDX_PAGE_SIZE, hpa;
	struct seamcall_regs r;

	assert_status(tdlib_aug(&t->td, gpa, 0), TDX_SUCCESS);
	hpa = tdtest_last_page(t);
	assert_status(extend(t, gpa + MR_CHUNK, t->td.tdr, &r),
		      TDX_EPT_ENTRY_NOT_PRESENT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx & HPA_MASK, hpa);
	assert_int_equal(r.rcx & 7, 0);
	assert_int_equal(r.rdx, (u64)SEPT_PENDING << 8);

	/* A blocked MAPPED page has lost its RWX too. */
	r = (struct seamcall_regs){ .rcx = TDTEST_GPA, .rdx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MEM_RANGE_BLOCK, &r), TDX_SUCCESS);
	assert_status(extend(t, TDTEST_GPA, t->td.tdr, &r),
		      TDX_EPT_ENTRY_NOT_PRESENT | TDX_OPERAND_ID_RCX);
	assert_int_equal(r.rcx & 7, 0);
	assert_int_equal(r.rdx, (u64)SEPT_BLOCKED << 8);
}

static void test_extend_tdr_operand(void **state)
{
	struct tdtest *t = *state;
	u64 free_page = tdtest_page(t);
	struct seamcall_regs r;

	assert_status(extend(t, TDTEST_GPA, t->td.tdr + 8, &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	assert_status(extend(t, TDTEST_GPA, platform_hpa_with_keyid(t->h->plat, t->td.tdr,
								   (u32)t->td.hkid), &r),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	assert_status(extend(t, TDTEST_GPA, PLATFORM_MEM_BASE - TDX_PAGE_SIZE, &r),
		      TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RDX);
	assert_status(extend(t, TDTEST_GPA, free_page, &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
	assert_status(extend(t, TDTEST_GPA, t->td.tdcs[0], &r),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
	platform_free_pages(t->h->plat, free_page, 1);
}

/* ---- TDH.MR.FINALIZE ------------------------------------------------------------- */

static void test_finalize_no_vcpus(void **state)
{
	struct tdtest *t = *state;

	assert_status(finalize(t, t->td.tdr), TDX_NO_VCPUS);
	assert_status(tdlib_add_vcpu(&t->td, 0, 0), TDX_SUCCESS);
	assert_status(finalize(t, t->td.tdr), TDX_SUCCESS);
}

static void test_finalize_tdr_operand(void **state)
{
	struct tdtest *t = *state;
	u64 free_page = tdtest_page(t);

	assert_status(finalize(t, t->td.tdr + 0x800), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(finalize(t, PLATFORM_MEM_BASE + platform_get_config(t->h->plat)->mem_size),
		      TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RCX);
	assert_status(finalize(t, free_page), TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_status(finalize(t, t->td.vcpu[0].tdvpr),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	platform_free_pages(t->h->plat, free_page, 1);
}

static void test_after_finalize(void **state)
{
	struct tdtest *t = *state;
	u8 before[48], page[TDX_PAGE_SIZE];
	struct seamcall_regs r;

	assert_status(tdlib_read_mrtd(&t->td, before), TDX_SUCCESS);
	assert_status(extend(t, TDTEST_GPA, t->td.tdr, &r), TDX_OP_STATE_INCORRECT);
	fill_page(page, 0);
	assert_status(tdlib_add_page(&t->td, TDTEST_GPA + TDTEST_NR_PAGES * TDX_PAGE_SIZE, page,
				     false), TDX_OP_STATE_INCORRECT);
	assert_string_equal(t->td.failed, "TDH.MEM.PAGE.ADD");
	assert_status(finalize(t, t->td.tdr), TDX_OP_STATE_INCORRECT);
	assert_mrtd(&t->td, before);
}

/*
 * The same GPA, remapped to another page between extends, must hash the
 * new page: no translation may outlive an S-EPT change.
 */
static void test_extend_after_remap(void **state)
{
	struct tdtest *t = *state;
	u8 page[TDX_PAGE_SIZE], want[48];
	struct seamcall_regs r;
	EVP_MD_CTX *ref = ref_begin();
	const u64 gpa = 0x10000;

	fill_page(page, gpa);
	assert_status(tdlib_add_page(&t->td, gpa, page, true), TDX_SUCCESS);
	ref_add(ref, gpa);
	ref_extend_page(ref, gpa, page);
	/* Before finalize a mapped page can be removed without blocking. */
	r = (struct seamcall_regs){ .rcx = gpa, .rdx = t->td.tdr };
	assert_status(tdtest_call(t, TDH_MEM_PAGE_REMOVE, &r), TDX_SUCCESS);
	tdlib_release_page(&t->td, r.rcx);
	memset(page, 0x5C, sizeof(page));
	assert_status(tdlib_add_page(&t->td, gpa, page, false), TDX_SUCCESS);
	ref_add(ref, gpa);
	extend_page(t, &t->td, gpa);
	ref_extend_page(ref, gpa, page);
	assert_status(tdlib_add_vcpu(&t->td, 0, 0), TDX_SUCCESS);
	assert_status(tdlib_finalize(&t->td), TDX_SUCCESS);
	ref_end(ref, want);
	assert_mrtd(&t->td, want);
}

#define MR_TEST(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, tdtest_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		MR_TEST(test_example_single_add, tdtest_setup_td),
		MR_TEST(test_example_zero_page, tdtest_setup_td),
		MR_TEST(test_example_ab_page, tdtest_setup_td),
		MR_TEST(test_empty_td, tdtest_setup_td),
		MR_TEST(test_order_dependence, tdtest_setup_td),
		MR_TEST(test_content_sensitivity, tdtest_setup_td),
		MR_TEST(test_extend_misaligned, tdtest_setup_built),
		MR_TEST(test_extend_invalid_gpa, tdtest_setup_built),
		MR_TEST(test_extend_unmapped, tdtest_setup_built),
		MR_TEST(test_extend_pending_and_blocked, tdtest_setup_built),
		MR_TEST(test_extend_tdr_operand, tdtest_setup_built),
		MR_TEST(test_finalize_no_vcpus, tdtest_setup_td),
		MR_TEST(test_finalize_tdr_operand, tdtest_setup_vcpu),
		MR_TEST(test_after_finalize, tdtest_setup_finalized),
		MR_TEST(test_extend_after_remap, tdtest_setup_td),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
