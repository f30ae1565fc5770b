// SPDX-License-Identifier: MIT
/*
 * TDH.SYS.*: the bring-up order, each leaf's state checks, TDMR/PAMT
 * validation in TDH.SYS.CONFIG, and enumeration (INFO, RD, RDALL).
 */
#include "tdtest.h"

#include <stdlib.h>
#include <string.h>

struct sys_fixture {
	struct platform *p;
	struct tdx_module *m;
	u64 page;		/* shared page for the TDMR pointer array + TDMR_INFO */
	struct tdmr_info ti;
};

static u64 sys(struct sys_fixture *f, u32 lp, u64 leaf, struct seamcall_regs *r)
{
	r->rax = leaf;
	return seamcall(f->m, lp, r);
}

static int setup(void **state)
{
	struct sys_fixture *f = calloc(1, sizeof(*f));
	struct platform_config cfg;

	platform_default_config(&cfg);
	f->p = platform_create(&cfg);
	f->m = tdx_module_load(f->p);
	f->page = platform_alloc_page(f->p);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct sys_fixture *f = *state;

	tdx_module_unload(f->m);
	platform_destroy(f->p);
	free(f);
	return 0;
}

/* Through TDH.SYS.LP.INIT on every LP. */
static void init_lps(struct sys_fixture *f)
{
	struct seamcall_regs r = { 0 };

	assert_status(sys(f, 0, TDH_SYS_INIT, &r), TDX_SUCCESS);
	for (u32 lp = 0; lp < platform_nr_lps(f->p); lp++) {
		memset(&r, 0, sizeof(r));
		assert_status(sys(f, lp, TDH_SYS_LP_INIT, &r), TDX_SUCCESS);
	}
}

/* A valid TDMR over all of memory with the PAMT as its reserved area. */
static void make_tdmr(struct sys_fixture *f)
{
	u64 size = platform_get_config(f->p)->mem_size;
	u64 pamt = platform_alloc_pages(f->p, 1027, 1);

	memset(&f->ti, 0, sizeof(f->ti));
	f->ti.base = PLATFORM_MEM_BASE;
	f->ti.size = size;
	f->ti.pamt_4k_base = pamt;
	f->ti.pamt_4k_size = 1024 * TDX_PAGE_SIZE;
	f->ti.pamt_2m_base = pamt + 1024 * TDX_PAGE_SIZE;
	f->ti.pamt_2m_size = 2 * TDX_PAGE_SIZE;	/* 512 entries of 16 bytes */
	f->ti.pamt_1g_base = pamt + 1026 * TDX_PAGE_SIZE;
	f->ti.pamt_1g_size = TDX_PAGE_SIZE;
	f->ti.reserved_areas[0].offset = pamt - PLATFORM_MEM_BASE;
	f->ti.reserved_areas[0].size = 1027 * TDX_PAGE_SIZE;
}

/* A 2 GiB TDMR, with a correct PAMT, on a machine with 1 GiB of memory. */
static struct tdmr_info big_tdmr(struct sys_fixture *f)
{
	u64 pamt = platform_alloc_pages(f->p, 2053, 1);
	struct tdmr_info ti = { .base = PLATFORM_MEM_BASE, .size = 2ULL << 30 };

	ti.pamt_4k_base = pamt;
	ti.pamt_4k_size = 2048 * TDX_PAGE_SIZE;
	ti.pamt_2m_base = pamt + 2048 * TDX_PAGE_SIZE;
	ti.pamt_2m_size = 4 * TDX_PAGE_SIZE;
	ti.pamt_1g_base = pamt + 2052 * TDX_PAGE_SIZE;
	ti.pamt_1g_size = TDX_PAGE_SIZE;
	ti.reserved_areas[0].offset = pamt - PLATFORM_MEM_BASE;
	ti.reserved_areas[0].size = 2053 * TDX_PAGE_SIZE;
	return ti;
}

static u64 sys_config(struct sys_fixture *f, u64 hkid)
{
	struct seamcall_regs r = { .rcx = f->page, .rdx = 1, .r8 = hkid };
	u64 info = f->page + TDX_TDMR_INFO_ALIGN;

	platform_host_write(f->p, f->page, &info, sizeof(info));
	platform_host_write(f->p, info, &f->ti, sizeof(f->ti));
	return sys(f, 0, TDH_SYS_CONFIG, &r);
}

static u32 global_hkid(struct sys_fixture *f)
{
	return platform_private_keyid_min(f->p);
}

static void test_flow_in_order(void **state)
{
	struct sys_fixture *f = *state;
	struct seamcall_regs r = { 0 };
	u64 st;

	init_lps(f);
	make_tdmr(f);
	assert_status(sys_config(f, global_hkid(f)), TDX_SUCCESS);
	assert_status(sys(f, 0, TDH_SYS_KEY_CONFIG, &r), TDX_SUCCESS);
	memset(&r, 0, sizeof(r));
	assert_status(sys(f, 0, TDH_SYS_KEY_CONFIG, &r), TDX_SYS_KEY_CONFIG_NOT_PENDING);
	/* 4 MiB per call; RDX reports progress in 1 GiB steps. */
	for (int i = 0; i < 256; i++) {
		r = (struct seamcall_regs){ .rcx = PLATFORM_MEM_BASE };
		assert_status(sys(f, 0, TDH_SYS_TDMR_INIT, &r), TDX_SUCCESS);
		assert_int_equal(r.rdx, i == 255 ? PLATFORM_MEM_BASE + (1ULL << 30) : PLATFORM_MEM_BASE);
	}
	r = (struct seamcall_regs){ .rcx = PLATFORM_MEM_BASE };
	st = sys(f, 0, TDH_SYS_TDMR_INIT, &r);
	assert_status(st, TDX_TDMR_ALREADY_INITIALIZED);
	assert_int_equal(r.rdx, 0);
}

static void test_leaves_before_ready(void **state)
{
	struct sys_fixture *f = *state;
	struct seamcall_regs r = { 0 };

	assert_status(sys(f, 0, TDH_MNG_CREATE, &r), TDX_SYS_NOT_READY);
	assert_status(sys(f, 0, TDH_SYS_LP_INIT, &r), TDX_SYS_LP_INIT_NOT_PENDING);
	r = (struct seamcall_regs){ .rcx = PLATFORM_MEM_BASE };
	assert_status(sys(f, 0, TDH_SYS_TDMR_INIT, &r), TDX_SYS_NOT_READY);
	memset(&r, 0, sizeof(r));
	assert_status(sys(f, 0, TDH_SYS_KEY_CONFIG, &r), TDX_SYS_KEY_CONFIG_NOT_PENDING);
	assert_status(sys(f, 0, TDH_SYS_INFO, &r), TDX_SYS_LP_INIT_NOT_DONE);
	assert_status(sys(f, 0, TDH_SYS_RD, &r), TDX_SYS_LP_INIT_NOT_DONE);
}

static void test_sys_init_checks(void **state)
{
	struct sys_fixture *f = *state;
	struct seamcall_regs r = { .rcx = 1 };

	assert_status(sys(f, 0, TDH_SYS_INIT, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	memset(&r, 0, sizeof(r));
	platform_inject_rng_failures(f->p, 1);
	assert_status(sys(f, 0, TDH_SYS_INIT, &r), TDX_RND_NO_ENTROPY);
	assert_status(sys(f, 0, TDH_SYS_INIT, &r), TDX_SUCCESS);
	assert_status(sys(f, 0, TDH_SYS_INIT, &r), TDX_SYS_INIT_NOT_PENDING);
	assert_status(sys(f, 0, TDH_SYS_LP_INIT, &r), TDX_SUCCESS);
	assert_status(sys(f, 0, TDH_SYS_LP_INIT, &r), TDX_SYS_LP_INIT_DONE);
	/* LP 1 has not run LP.INIT: no configuration yet. */
	make_tdmr(f);
	assert_status(sys_config(f, global_hkid(f)), TDX_SYS_CONFIG_NOT_PENDING);
}

static void test_rax_reserved_and_version(void **state)
{
	struct sys_fixture *f = *state;
	struct seamcall_regs r = { 0 };

	r.rax = TDH_SYS_INIT | (1ULL << 24);
	assert_status(seamcall(f->m, 0, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	r.rax = TDH_SYS_INIT | (1ULL << TDX_VERSION_SHIFT);
	assert_status(seamcall(f->m, 0, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	r.rax = 99;
	assert_status(seamcall(f->m, 0, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	/* A known leaf before SYS_READY; a version it does not have. */
	r.rax = TDH_VP_ENTER;
	assert_status(seamcall(f->m, 0, &r), TDX_SYS_NOT_READY);
	r.rax = TDH_VP_ENTER | (1ULL << TDX_VERSION_SHIFT);
	assert_status(seamcall(f->m, 0, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
}

static void test_config_operands(void **state)
{
	struct sys_fixture *f = *state;
	struct seamcall_regs r;

	init_lps(f);
	make_tdmr(f);
	r = (struct seamcall_regs){ .rcx = f->page + 8, .rdx = 1, .r8 = global_hkid(f) };
	assert_status(sys(f, 0, TDH_SYS_CONFIG, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = f->page, .rdx = 0, .r8 = global_hkid(f) };
	assert_status(sys(f, 0, TDH_SYS_CONFIG, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	r = (struct seamcall_regs){ .rcx = f->page, .rdx = 65, .r8 = global_hkid(f) };
	assert_status(sys(f, 0, TDH_SYS_CONFIG, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	/* A shared KeyID is not a valid global private HKID. */
	assert_status(sys_config(f, 1), TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
	assert_status(sys_config(f, global_hkid(f) | 1ULL << 16),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
}

static void test_config_tdmr_checks(void **state)
{
	struct sys_fixture *f = *state;
	struct tdmr_info good;

	init_lps(f);
	make_tdmr(f);
	good = f->ti;

	f->ti.base += TDX_PAGE_SIZE_2M;
	assert_status(sys_config(f, global_hkid(f)), TDX_INVALID_TDMR | 0);
	f->ti = good;
	f->ti.size = 0;
	assert_status(sys_config(f, global_hkid(f)), TDX_INVALID_TDMR | 0);
	f->ti = good;
	f->ti.pamt_4k_size = TDX_PAGE_SIZE;	/* far too small for 1 GiB */
	assert_status(sys_config(f, global_hkid(f)), TDX_INVALID_PAMT | (0 << 8) | 0);
	f->ti = good;
	f->ti.pamt_2m_base = f->ti.pamt_4k_base;
	assert_status(sys_config(f, global_hkid(f)), TDX_PAMT_OVERLAP | (0 << 8) | 0);
	f->ti = good;
	f->ti.reserved_areas[0].size = 0;	/* PAMT now lies in TDMR body */
	/* Info bytes: PAMT owner TDMR 0, the 4K PAMT, TDMR 0's body. */
	assert_status(sys_config(f, global_hkid(f)), TDX_PAMT_OVERLAP | (0 << 8) | 0);
	f->ti = good;
	f->ti.reserved_areas[1] = (struct tdmr_reserved_area){ 0, TDX_PAGE_SIZE };
	assert_status(sys_config(f, global_hkid(f)),
		      TDX_NON_ORDERED_RESERVED_IN_TDMR | (1 << 8) | 0);
	f->ti = good;
	f->ti.reserved_areas[0].offset += 1;
	assert_status(sys_config(f, global_hkid(f)), TDX_INVALID_RESERVED_IN_TDMR | 0);
	f->ti = big_tdmr(f);		/* beyond the convertible memory range */
	assert_status(sys_config(f, global_hkid(f)), TDX_TDMR_OUTSIDE_CMRS | 0);
	f->ti = good;
	assert_status(sys_config(f, global_hkid(f)), TDX_SUCCESS);
}

static void test_info(void **state)
{
	struct sys_fixture *f = *state;
	u64 cmr_page = platform_alloc_page(f->p);
	struct seamcall_regs r;
	struct tdsysinfo si;
	struct cmr_info cmr[2];

	init_lps(f);
	r = (struct seamcall_regs){ .rcx = f->page + 64, .rdx = 1024, .r8 = cmr_page, .r9 = 32 };
	assert_status(sys(f, 0, TDH_SYS_INFO, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = f->page, .rdx = 1023, .r8 = cmr_page, .r9 = 32 };
	assert_status(sys(f, 0, TDH_SYS_INFO, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	r = (struct seamcall_regs){ .rcx = f->page, .rdx = 1024, .r8 = cmr_page, .r9 = 31 };
	assert_status(sys(f, 0, TDH_SYS_INFO, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_R9);
	r = (struct seamcall_regs){ .rcx = f->page, .rdx = 1024, .r8 = cmr_page, .r9 = 32 };
	assert_status(sys(f, 0, TDH_SYS_INFO, &r), TDX_SUCCESS);
	assert_int_equal(r.rdx, 1024);
	assert_int_equal(r.r9, 32);
	platform_host_read(f->p, f->page, &si, sizeof(si));
	assert_int_equal(si.vendor_id, 0x8086);
	assert_int_equal(si.major_version, 1);
	assert_int_equal(si.minor_version, 5);
	assert_int_equal(si.tdcs_base_size, 6 * 4096);
	assert_int_equal(si.tdvps_base_size, 6 * 4096);
	assert_int_equal(si.attributes_fixed0, 0x8000000070000001ULL);
	assert_int_equal(si.xfam_fixed0, 0x6DBE7);
	assert_int_equal(si.xfam_fixed1, 3);
	assert_int_equal(si.num_cpuid_config, 12);
	assert_int_equal(si.cpuid_config[0].leaf, 1);
	platform_host_read(f->p, cmr_page, cmr, sizeof(cmr));
	assert_int_equal(cmr[0].base, PLATFORM_MEM_BASE);
	assert_int_equal(cmr[0].size, platform_get_config(f->p)->mem_size);
	assert_int_equal(cmr[1].size, 0);
	platform_free_pages(f->p, cmr_page, 1);
}

static void test_rd_and_iteration(void **state)
{
	struct sys_fixture *f = *state;
	struct seamcall_regs r;
	int n = 0;

	init_lps(f);
	r = (struct seamcall_regs){ .rdx = MD_SYS_TDCS_BASE_SIZE };
	assert_status(sys(f, 0, TDH_SYS_RD, &r), TDX_SUCCESS);
	assert_int_equal(r.r8, 6 * 4096);
	r = (struct seamcall_regs){ .rdx = MD_SYS_XFAM_FIXED0 };
	assert_status(sys(f, 0, TDH_SYS_RD, &r), TDX_SUCCESS);
	assert_int_equal(r.r8, 0x6DBE7);
	r = (struct seamcall_regs){ .rdx = MD_SYS_CPUID_CONFIG_LEAVES + 5 };
	assert_status(sys(f, 0, TDH_SYS_RD, &r), TDX_SUCCESS);
	assert_int_equal(r.r8, 0x7);	/* leaf 7, subleaf 0 */
	assert_int_equal(r.rdx, MD_SYS_CPUID_CONFIG_LEAVES + 6);
	r = (struct seamcall_regs){ .rdx = 0x9900000300000300ULL };
	assert_status(sys(f, 0, TDH_SYS_RD, &r), TDX_METADATA_FIELD_ID_INCORRECT);
	assert_int_equal(r.r8, 0);
	r = (struct seamcall_regs){ .rdx = MD_SYS_TDCS_BASE_SIZE | (1ULL << 34) };
	assert_status(sys(f, 0, TDH_SYS_RD, &r), TDX_METADATA_FIELD_ID_INCORRECT);
	/* Walk every readable field from the null ID to the end. */
	r = (struct seamcall_regs){ .rdx = ~0ULL };
	assert_status(sys(f, 0, TDH_SYS_RD, &r), TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
	while (r.rdx != ~0ULL) {
		assert_status(sys(f, 0, TDH_SYS_RD, &r), TDX_SUCCESS);
		n++;
	}
	assert_true(n > 100);
}

static void test_rdall(void **state)
{
	struct sys_fixture *f = *state;
	u64 list = platform_alloc_page(f->p);
	struct seamcall_regs r;
	u64 buf[512];
	u16 size, nseq;

	init_lps(f);
	r = (struct seamcall_regs){ .rdx = list + 8, .r8 = ~0ULL };
	assert_status(sys(f, 0, TDH_SYS_RDALL, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	r = (struct seamcall_regs){ .rdx = list, .r8 = MD_SYS_TDCS_BASE_SIZE + 1 };
	assert_status(sys(f, 0, TDH_SYS_RDALL, &r), TDX_METADATA_FIELD_ID_INCORRECT);
	r = (struct seamcall_regs){ .rdx = list, .r8 = ~0ULL };
	assert_status(sys(f, 0, TDH_SYS_RDALL, &r), TDX_SUCCESS);
	assert_int_equal(r.r8, ~0ULL);
	platform_host_read(f->p, list, buf, sizeof(buf));
	memcpy(&size, buf, 2);
	memcpy(&nseq, (u8 *)buf + 2, 2);
	assert_true(size > 8 && size <= 4096);
	assert_true(nseq > 20);
	/* The first sequence is NUM_PKGS with one element: 1 package. */
	assert_int_equal(buf[1] & ~(0x7ULL << 52), MD_SYS_NUM_PKGS);
	assert_int_equal(buf[2], 1);
	platform_free_pages(f->p, list, 1);
}

static void test_key_config_entropy(void **state)
{
	struct sys_fixture *f = *state;
	struct seamcall_regs r = { 0 };

	init_lps(f);
	make_tdmr(f);
	assert_status(sys_config(f, global_hkid(f)), TDX_SUCCESS);
	platform_inject_rng_failures(f->p, 1);
	assert_status(sys(f, 0, TDH_SYS_KEY_CONFIG, &r), TDX_KEY_GENERATION_FAILED);
	/* The package may retry; LP 1 is in the same package. */
	assert_status(sys(f, 1, TDH_SYS_KEY_CONFIG, &r), TDX_SUCCESS);
	r = (struct seamcall_regs){ .rcx = PLATFORM_MEM_BASE + TDX_PAGE_SIZE_1G };
	assert_status(sys(f, 0, TDH_SYS_TDMR_INIT, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	r = (struct seamcall_regs){ .rcx = PLATFORM_MEM_BASE + 4096 };
	assert_status(sys(f, 0, TDH_SYS_TDMR_INIT, &r), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flow_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaves_before_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sys_init_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rax_reserved_and_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_operands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_tdmr_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rd_and_iteration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rdall, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_config_entropy, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
