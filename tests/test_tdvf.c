// SPDX-License-Identifier: MIT
/*
 * TDVF images: the metadata parser on a synthetic image, each rule it
 * enforces on a corrupted copy (the error names the field), Debian's
 * OVMF.fd when installed, the offline MRTD against the MRTD the module
 * computes while the same sections are added, and the TD's RAM map and
 * TD HOB as QEMU builds them.
 */
#include "tdtest.h"

#include "../vmm/tdvf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMAGE_SIZE	(16 * 4096)
#define META_OFFSET	0xe000		/* the descriptor, in the image */
#define NR_SECTIONS	5
#define DEBIAN_OVMF	"/usr/share/ovmf/OVMF.fd"

static const uint8_t footer_guid[16] = {
	0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
	0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d,
};
static const uint8_t tdx_offset_guid[16] = {
	0x35, 0x65, 0x7a, 0xe4, 0x4a, 0x98, 0x98, 0x47,
	0x86, 0x5e, 0x46, 0x85, 0xa7, 0xbf, 0x8e, 0xc2,
};

static const struct tdvf_section layout[NR_SECTIONS] = {
	{ 0x1000, 0x2000, 0x100000, 0x3000, TDVF_SECTION_BFV, TDVF_ATTR_MR_EXTEND },
	{ 0x0000, 0x1000, 0x200000, 0x1000, TDVF_SECTION_CFV, 0 },
	{ 0, 0, 0x300000, 0x1000, TDVF_SECTION_TD_HOB, 0 },
	{ 0, 0, 0x301000, 0x2000, TDVF_SECTION_TEMP_MEM, 0 },
	{ 0, 0, 0x400000, 0x1000, TDVF_SECTION_TEMP_MEM, TDVF_ATTR_PAGE_AUG },
};

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint8_t *section_entry(uint8_t *img, int i)
{
	return img + META_OFFSET + 16 + 32 * i;
}

/* An image laid out as OVMF's: data, descriptor, GUIDed table at the end. */
static uint8_t *build_image(void)
{
	uint8_t *img = calloc(1, IMAGE_SIZE), *table;

	for (int i = 0; i < 0x3000; i++)
		img[i] = (uint8_t)(i * 7 + 3);
	memcpy(img + META_OFFSET, "TDVF", 4);
	put32(img + META_OFFSET + 4, 16 + 32 * NR_SECTIONS);
	put32(img + META_OFFSET + 8, 1);
	put32(img + META_OFFSET + 12, NR_SECTIONS);
	for (int i = 0; i < NR_SECTIONS; i++) {
		uint8_t *e = section_entry(img, i);

		put32(e, layout[i].data_offset);
		put32(e + 4, layout[i].raw_size);
		put64(e + 8, layout[i].address);
		put64(e + 16, layout[i].size);
		put32(e + 24, layout[i].type);
		put32(e + 28, layout[i].attributes);
	}
	/* [u32 offset from end][u16 22][GUID] [u16 table length 40][footer GUID] */
	table = img + IMAGE_SIZE - 48 - 2 - 22;
	put32(table, IMAGE_SIZE - META_OFFSET);
	table[4] = 22;
	memcpy(table + 6, tdx_offset_guid, 16);
	table[22] = 40;
	memcpy(img + IMAGE_SIZE - 48, footer_guid, 16);
	return img;
}

static void test_parse(void **state)
{
	uint8_t *img = build_image();
	struct tdvf_meta meta;
	char err[160] = "";

	(void)state;
	assert_int_equal(tdvf_parse(img, IMAGE_SIZE, &meta, err, sizeof(err)), 0);
	assert_int_equal(meta.nr_sections, NR_SECTIONS);
	assert_memory_equal(meta.sections, layout, sizeof(layout));
	free(img);
}

struct corruption {
	size_t at;		/* byte offset; SIZE_MAX: truncate instead */
	int width;		/* bytes written: 2, 4 or 8 */
	uint64_t value;
	const char *message;	/* part of the error; NULL: still a valid image */
};

#define ENTRY(i, field)	(META_OFFSET + 16 + 32 * (i) + (field))
#define TRUNCATE	SIZE_MAX

static const struct corruption corruptions[] = {
	{ TRUNCATE, 0, 0, "no OVMF GUIDed table footer" },
	{ IMAGE_SIZE - 48, 4, 0, "no OVMF GUIDed table footer" },
	{ IMAGE_SIZE - 50, 2, 0xffff, "OVMF table length 65535" },
	{ IMAGE_SIZE - 50, 2, 17, "OVMF table length 17" },
	{ IMAGE_SIZE - 68, 2, 3, "OVMF table entry length 3" },
	{ IMAGE_SIZE - 68, 2, 23, "OVMF table entry length 23" },
	{ IMAGE_SIZE - 66, 4, 0x12345678, "no TDX metadata" },
	{ IMAGE_SIZE - 68, 2, 21, "offset entry too short" },
	{ IMAGE_SIZE - 72, 4, IMAGE_SIZE + 1, "beyond the" },
	{ IMAGE_SIZE - 72, 4, 8, "outside the image" },
	{ META_OFFSET, 4, 0x46564455, "bad signature" },
	{ META_OFFSET + 4, 4, 16 + 32 * 4, "Length 0x90, 5 sections need 0xb0" },
	{ META_OFFSET + 8, 4, 2, "Version 2" },
	{ META_OFFSET + 12, 4, 1, "NumberOfSectionEntries 1" },
	{ META_OFFSET + 12, 4, 65, "NumberOfSectionEntries 65" },
	{ ENTRY(0, 4), 4, 0x4000, "section 0: MemoryDataSize 0x3000 < RawDataSize 0x4000" },
	{ ENTRY(0, 8), 4, 0x100800, "section 0: MemoryAddress 0x100800 not 4 KiB aligned" },
	{ ENTRY(2, 16), 4, 0x1800, "section 2: MemoryDataSize 0x1800 not 4 KiB aligned" },
	{ ENTRY(0, 0), 4, IMAGE_SIZE - 0x1000, "section 0: DataOffset 0xf000" },
	{ ENTRY(1, 4), 4, 0, "section 1: type 1 with RawDataSize 0" },
	{ ENTRY(2, 4), 4, 0x1000, "section 2: type 2 with RawDataSize 0x1000 != 0" },
	{ ENTRY(3, 24), 4, 4, "section 3: unsupported section type 4" },
	{ ENTRY(1, 28), 4, 4, "section 1: unknown Attributes 0x4" },
	{ ENTRY(3, 8), 4, 0x300000, "section 3 overlaps section 2" },
	{ ENTRY(4, 8), 8, 0xfffffffffffff000ULL,
	  "section 4: [0xfffffffffffff000, +0x1000) beyond the 52-bit guest-physical space" },
	{ ENTRY(4, 8), 8, (1ULL << 52) - 0x1000, NULL },
	{ ENTRY(4, 16), 8, (1ULL << 32) + 0x1000, "section 4: MemoryDataSize 0x100001000 above 4 GiB" },
};

static void corrupt(uint8_t *img, const struct corruption *c)
{
	for (int i = 0; i < c->width; i++)
		img[c->at + (size_t)i] = (uint8_t)(c->value >> (8 * i));
}

/* Each corrupted copy is refused, with the reason, and nothing else. */
static void test_corrupted_images(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(corruptions) / sizeof(corruptions[0]); i++) {
		const struct corruption *c = &corruptions[i];
		uint8_t *img = build_image();
		size_t len = IMAGE_SIZE;
		struct tdvf_meta meta;
		char err[160] = "";

		if (c->at == TRUNCATE)
			len -= 1;
		else
			corrupt(img, c);
		if (!c->message) {	/* a change that is still valid */
			if (tdvf_parse(img, len, &meta, err, sizeof(err)))
				fail_msg("corruption %zu refused: %s", i, err);
			free(img);
			continue;
		}
		assert_int_equal(tdvf_parse(img, len, &meta, err, sizeof(err)), -1);
		if (!strstr(err, c->message))
			fail_msg("corruption %zu: \"%s\" lacks \"%s\"", i, err, c->message);
		free(img);
	}
	/* A descriptor whose sections would run past the end of the image. */
	{
		uint8_t *img = build_image();
		struct tdvf_meta meta;
		char err[160];

		memcpy(img + IMAGE_SIZE - 0x90, img + META_OFFSET, 16);
		put32(img + IMAGE_SIZE - 72, 0x90);
		assert_int_equal(tdvf_parse(img, IMAGE_SIZE, &meta, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "5 sections run past the image end"));
		free(img);
	}
	/* Images too small to hold anything. */
	{
		struct tdvf_meta meta;
		char err[160];

		assert_int_equal(tdvf_parse((const uint8_t *)"", 0, &meta, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "image too small"));
	}
}

/* The MRTD the module computes while a VMM adds @meta's sections. */
static void module_mrtd(struct tdtest *t, const uint8_t *img, const struct tdvf_meta *meta,
			uint8_t mrtd[48])
{
	uint8_t page[4096];

	for (uint32_t i = 0; i < meta->nr_sections; i++) {
		const struct tdvf_section *s = &meta->sections[i];

		if (s->attributes & TDVF_ATTR_PAGE_AUG)
			continue;
		for (uint64_t off = 0; off < s->size; off += 4096) {
			uint64_t have = off < s->raw_size ? s->raw_size - off : 0;

			memset(page, 0, sizeof(page));
			memcpy(page, img + s->data_offset + off, have > 4096 ? 4096 : have);
			assert_status(tdlib_map_sept(&t->td, s->address + off, 0), TDX_SUCCESS);
			assert_status(tdlib_add_page(&t->td, s->address + off, page,
						     s->attributes & TDVF_ATTR_MR_EXTEND),
				      TDX_SUCCESS);
		}
	}
	assert_status(tdlib_finalize(&t->td), TDX_SUCCESS);
	assert_status(tdlib_read_mrtd(&t->td, mrtd), TDX_SUCCESS);
}

/* What the module measures while the sections are added equals the offline MRTD. */
static void test_mrtd_matches_module(void **state)
{
	uint8_t *img = build_image(), offline[48], two_pass[48], module[48];
	struct tdvf_meta meta;
	char err[160];

	assert_int_equal(tdvf_parse(img, IMAGE_SIZE, &meta, err, sizeof(err)), 0);
	assert_int_equal(tdvf_mrtd(img, &meta, TDVF_MEASURE_PER_PAGE, offline), 0);
	assert_int_equal(tdvf_mrtd(img, &meta, TDVF_MEASURE_TWO_PASS, two_pass), 0);
	/* BFV has more than one page: the orders differ. */
	assert_memory_not_equal(offline, two_pass, 48);
	module_mrtd(*state, img, &meta, module);
	assert_memory_equal(offline, module, 48);
	free(img);
}

/* Debian's OVMF.fd (package ovmf) is a real TDVF image: parsed, and measured as the module does. */
static void test_debian_ovmf(void **state)
{
	FILE *f = fopen(DEBIAN_OVMF, "rb");
	static uint8_t img[4 << 20];
	struct tdvf_meta meta;
	uint8_t offline[48], module[48];
	char err[160];
	size_t len;
	int extended = 0;

	if (!f) {
		print_message("%s not installed\n", DEBIAN_OVMF);
		skip();
	}
	len = fread(img, 1, sizeof(img), f);
	fclose(f);
	assert_int_equal(tdvf_parse(img, len, &meta, err, sizeof(err)), 0);
	assert_true(meta.nr_sections >= 4);
	for (uint32_t i = 0; i < meta.nr_sections; i++)
		extended += meta.sections[i].type == TDVF_SECTION_BFV &&
			    (meta.sections[i].attributes & TDVF_ATTR_MR_EXTEND);
	assert_int_equal(extended, 1);
	assert_int_equal(tdvf_mrtd(img, &meta, TDVF_MEASURE_PER_PAGE, offline), 0);
	module_mrtd(*state, img, &meta, module);
	assert_memory_equal(offline, module, 48);
}

static const struct tdvf_meta *synthetic_meta(void)
{
	static struct tdvf_meta meta;

	meta.nr_sections = NR_SECTIONS;
	memcpy(meta.sections, layout, sizeof(layout));
	return &meta;
}

static void assert_ram(const struct td_ram_entry *e, uint64_t address, uint64_t length,
		       enum td_ram_type type)
{
	assert_int_equal(e->address, address);
	assert_int_equal(e->length, length);
	assert_int_equal(e->type, type);
}

/* QEMU's q35 RAM layout, with the TD_HOB and TempMem sections carved out. */
static void test_ram_map(void **state)
{
	struct td_ram_map map;
	char err[160];

	(void)state;
	assert_int_equal(td_ram_map_build(2ULL << 30, synthetic_meta(), &map, err, sizeof(err)), 0);
	assert_int_equal(map.nr, 4);
	assert_ram(&map.e[0], 0, 0x300000, TD_RAM_UNACCEPTED);
	assert_ram(&map.e[1], 0x300000, 0x1000, TD_RAM_ADDED);
	assert_ram(&map.e[2], 0x301000, 0x2000, TD_RAM_ADDED);
	/* The PAGE.AUG TempMem at 4 MiB stays for the guest to accept. */
	assert_ram(&map.e[3], 0x303000, (2ULL << 30) - 0x303000, TD_RAM_UNACCEPTED);
	/* From 0xB0000000 bytes on, low RAM ends at 2 GiB and the rest is above 4 GiB. */
	assert_int_equal(td_ram_map_build(0xb0000000, synthetic_meta(), &map, err, sizeof(err)), 0);
	assert_int_equal(map.nr, 5);
	assert_ram(&map.e[3], 0x303000, (2ULL << 30) - 0x303000, TD_RAM_UNACCEPTED);
	assert_ram(&map.e[4], 4ULL << 30, 0xb0000000 - (2ULL << 30), TD_RAM_UNACCEPTED);
	assert_int_equal(td_ram_map_build(0xaffff000, synthetic_meta(), &map, err, sizeof(err)), 0);
	assert_int_equal(map.nr, 4);
	assert_int_equal(map.e[3].address + map.e[3].length, 0xaffff000);
	/* Too little memory for the sections, or an odd size. */
	assert_int_equal(td_ram_map_build(0x301000, synthetic_meta(), &map, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "section 3 [0x301000, 0x303000) is not inside guest RAM"));
	assert_int_equal(td_ram_map_build(0x1800, synthetic_meta(), &map, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a positive multiple of 4 KiB"));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The HOB bytes, field by field, as QEMU lays them out. */
static void test_td_hob(void **state)
{
	struct td_ram_map map;
	uint8_t hob[4096];
	char err[160];
	size_t used;

	(void)state;
	assert_int_equal(td_ram_map_build(2ULL << 30, synthetic_meta(), &map, err, sizeof(err)), 0);
	memset(hob, 0xaa, sizeof(hob));
	used = td_hob_build(&map, 0x300000, hob, sizeof(hob), err, sizeof(err));
	assert_int_equal(used, 56 + 4 * 48 + 8);
	/* PHIT: type 1, length 56, version 9, EfiEndOfHobList after the end HOB. */
	assert_int_equal(hob[0] | hob[1] << 8, 1);
	assert_int_equal(hob[2] | hob[3] << 8, 56);
	assert_int_equal(hob[8], 9);
	assert_int_equal(get64(hob + 48), 0x300000 + used);
	for (int i = 0; i < 4; i++) {
		const uint8_t *r = hob + 56 + 48 * i;

		assert_int_equal(r[0] | r[1] << 8, 3);		/* resource descriptor */
		assert_int_equal(r[2] | r[3] << 8, 48);
		assert_int_equal(r[24], map.e[i].type == TD_RAM_ADDED ? 0 : 7);
		assert_int_equal(r[28], 7);			/* present, initialized, tested */
		assert_int_equal(get64(r + 32), map.e[i].address);
		assert_int_equal(get64(r + 40), map.e[i].length);
	}
	assert_int_equal(hob[used - 8] | hob[used - 7] << 8, 0xffff);
	assert_int_equal(hob[used - 6], 8);
	assert_int_equal(hob[used], 0xaa);			/* nothing written beyond */
	/* A TD_HOB section too small for the list. */
	assert_int_equal(td_hob_build(&map, 0x300000, hob, used - 8, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "TD HOB needs 256 bytes"));
}

/*
 * Random damage to the table, the descriptor and the section entries: the
 * parser either refuses with a reason or accepts sections that every later
 * step (MRTD, RAM map, HOB) can use without reading outside the image.
 */
static void test_mutated_images(void **state)
{
	unsigned int seed = 7;
	uint8_t mrtd[48], hob[4096];

	(void)state;
	for (int round = 0; round < 3000; round++) {
		uint8_t *img = build_image();
		struct tdvf_meta meta;
		struct td_ram_map map;
		char err[160];

		for (int k = 0; k < 1 + round % 4; k++) {
			size_t at = round % 2 ? META_OFFSET + (size_t)rand_r(&seed) % (16 + 32 * 5) :
				    IMAGE_SIZE - 80 + (size_t)rand_r(&seed) % 80;

			img[at] = (uint8_t)rand_r(&seed);
		}
		err[0] = 0;
		if (tdvf_parse(img, IMAGE_SIZE, &meta, err, sizeof(err))) {
			assert_true(err[0] != 0);
		} else {
			assert_int_equal(tdvf_mrtd(img, &meta, TDVF_MEASURE_PER_PAGE, mrtd), 0);
			if (!td_ram_map_build(8ULL << 30, &meta, &map, err, sizeof(err)))
				td_hob_build(&map, 0, hob, sizeof(hob), err, sizeof(err));
		}
		free(img);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_corrupted_images),
		cmocka_unit_test(test_ram_map),
		cmocka_unit_test(test_td_hob),
		cmocka_unit_test(test_mutated_images),
		cmocka_unit_test_setup_teardown(test_mrtd_matches_module, tdtest_setup_vcpu,
						tdtest_teardown),
		cmocka_unit_test_setup_teardown(test_debian_ovmf, tdtest_setup_vcpu,
						tdtest_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
