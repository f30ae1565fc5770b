// SPDX-License-Identifier: MIT
/*
 * --payload: softtdx's own TDVF (the image the build embeds) names its
 * payload window, and tdvf_add_payload() checks an ELF file as the firmware
 * will before it becomes a measured section: each rule on a synthetic ELF,
 * with the message that names it.
 */
#include "tdtest.h"

#include "../vmm/tdvf.h"

#include <stdlib.h>
#include <string.h>

#define RAM		(64ULL << 20)
#define WINDOW		0x1000000ULL
#define EHDR		64
#define PHDR		56

extern const uint8_t softtdx_tdvf[];
extern const uint64_t softtdx_tdvf_size;

struct segment {
	uint64_t offset, paddr, filesz, memsz;
};

static void put(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* softtdx's TDVF followed by an x86-64 ELF executable of @len bytes. */
static uint8_t *image_with_elf(size_t len, uint64_t entry, const struct segment *segs, int n)
{
	uint8_t *img = calloc(1, softtdx_tdvf_size + len), *elf = img + softtdx_tdvf_size;

	assert_non_null(img);
	memcpy(img, softtdx_tdvf, softtdx_tdvf_size);
	memcpy(elf, "\177ELF\2\1\1", 7);
	put(elf + 16, 2, 2);		/* ET_EXEC */
	put(elf + 18, 62, 2);		/* EM_X86_64 */
	put(elf + 24, entry, 8);
	put(elf + 32, EHDR, 8);		/* e_phoff */
	put(elf + 54, PHDR, 2);
	put(elf + 56, (uint64_t)n, 2);
	for (int i = 0; i < n; i++) {
		uint8_t *ph = elf + EHDR + PHDR * i;

		put(ph, 1, 4);		/* PT_LOAD */
		put(ph + 8, segs[i].offset, 8);
		put(ph + 24, segs[i].paddr, 8);
		put(ph + 32, segs[i].filesz, 8);
		put(ph + 40, segs[i].memsz, 8);
	}
	return img;
}

static int add(uint8_t *img, size_t len, uint64_t ram, struct tdvf_meta *meta, char *err)
{
	assert_int_equal(tdvf_parse(img, softtdx_tdvf_size, meta, err, 160), 0);
	return tdvf_add_payload(img, softtdx_tdvf_size, len, ram, meta, err, 160);
}

static void test_payload_section(void **state)
{
	struct segment seg = { 0, 0x200000, 0x1100, 0x3000 };
	uint8_t *img = image_with_elf(0x1100, 0x200040, &seg, 1);
	struct tdvf_meta meta;
	struct td_ram_map map;
	char err[160];
	const struct tdvf_section *s;

	(void)state;
	assert_int_equal(add(img, 0x1100, RAM, &meta, err), 0);
	assert_int_equal(meta.nr_sections, 4);
	s = &meta.sections[3];
	assert_int_equal(s->type, TDVF_SECTION_PAYLOAD);
	assert_int_equal(s->attributes, TDVF_ATTR_MR_EXTEND);
	assert_int_equal(s->data_offset, softtdx_tdvf_size);
	assert_int_equal(s->raw_size, 0x1100);
	assert_int_equal(s->address, WINDOW);
	assert_int_equal(s->size, 0x2000);
	/* The file's pages are added RAM in the HOB, the rest stays unaccepted. */
	assert_int_equal(td_ram_map_build(RAM, &meta, &map, err, sizeof(err)), 0);
	for (uint32_t i = 0; i < map.nr; i++)
		if (map.e[i].address == WINDOW)
			assert_int_equal(map.e[i].length == 0x2000 && map.e[i].type == TD_RAM_ADDED, 1);
	free(img);
}

struct bad_payload {
	const char *why;
	size_t len;
	uint64_t entry;
	struct segment seg;
	int patch_at;		/* -1: none; else a byte of the ELF set to patch_to */
	uint8_t patch_to;
	uint64_t ram;
};

static const struct bad_payload bad_payloads[] = {
	{ "not a little-endian ELF64 file", 0x1000, 0x200000, { 0, 0x200000, 0x100, 0x100 }, 0, 'X', RAM },
	{ "not a little-endian ELF64 file", 0x1000, 0x200000, { 0, 0x200000, 0x100, 0x100 }, 4, 1, RAM },
	{ "not a little-endian ELF64 file", 0x1000, 0x200000, { 0, 0x200000, 0x100, 0x100 }, 5, 2, RAM },
	{ "not a little-endian ELF64 file", 40, 0x200000, { 0, 0x200000, 0x10, 0x10 }, -1, 0, RAM },
	{ "not an x86-64 executable (ELF type 3, machine 62)", 0x1000, 0x200000,
	  { 0, 0x200000, 0x100, 0x100 }, 16, 3, RAM },
	{ "not an x86-64 executable (ELF type 2, machine 3)", 0x1000, 0x200000,
	  { 0, 0x200000, 0x100, 0x100 }, 18, 3, RAM },
	{ "program headers outside the file", 0x1000, 0x200000, { 0, 0x200000, 0x100, 0x100 },
	  54, 32, RAM },
	{ "program headers outside the file", 0x1000, 0x200000, { 0, 0x200000, 0x100, 0x100 },
	  57, 1, RAM },
	{ "segment 0: file range outside the file", 0x1000, 0x200000,
	  { 0, 0x200000, 0x200, 0x100 }, -1, 0, RAM },
	{ "segment 0: file range outside the file", 0x1000, 0x200000,
	  { 0xF80, 0x200000, 0x100, 0x100 }, -1, 0, RAM },
	{ "segment 0: [0x4000000, +0x100) is not in low RAM (below 0x4000000)", 0x1000, 0x4000000,
	  { 0, 0x4000000, 0x100, 0x100 }, -1, 0, RAM },
	{ "segment 0: [0xffff0000, +0x100) is not in low RAM (below 0x80000000)", 0x1000,
	  0xffff0000, { 0, 0xffff0000, 0x100, 0x100 }, -1, 0, 4ULL << 30 },
	{ "segment 0: [0x7ff800, +0x1000) overlaps the firmware's memory", 0x1000, 0x7ff800,
	  { 0, 0x7ff800, 0x100, 0x1000 }, -1, 0, RAM },
	{ "segment 0: [0x1000800, +0x100) overlaps the firmware's memory", 0x1000, 0x1000800,
	  { 0, 0x1000800, 0x100, 0x100 }, -1, 0, RAM },
	{ "entry point 0x300000 is in no loaded segment", 0x1000, 0x300000,
	  { 0, 0x200000, 0x100, 0x100 }, -1, 0, RAM },
};

static void test_bad_payloads(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_payloads) / sizeof(bad_payloads[0]); i++) {
		const struct bad_payload *b = &bad_payloads[i];
		uint8_t *img = image_with_elf(0x1000, b->entry, &b->seg, 1);
		struct tdvf_meta meta;
		char err[160];

		if (b->patch_at >= 0)
			img[softtdx_tdvf_size + (size_t)b->patch_at] = b->patch_to;
		if (add(img, b->len, b->ram, &meta, err) != -1)
			fail_msg("case %zu: accepted", i);
		if (strcmp(err, b->why))
			fail_msg("case %zu: '%s', want '%s'", i, err, b->why);
		assert_int_equal(meta.nr_sections, 3);	/* nothing half-added */
		free(img);
	}
}

static void test_window(void **state)
{
	struct segment seg = { 0, 0x200000, 0x100, 0x100 };
	size_t big = (16u << 20) + 1;
	uint8_t *img = image_with_elf(big, 0x200000, &seg, 1);
	uint8_t *window_guid;
	struct tdvf_meta meta;
	char err[160];

	(void)state;
	assert_int_equal(add(img, big, RAM, &meta, err), -1);
	assert_string_equal(err, "payload of 16777217 bytes, the firmware takes 16777216 at most");
	/* A TDVF without softtdx's window entry (OVMF's, say) takes no payload. */
	window_guid = memmem(img, softtdx_tdvf_size, "\x6c\xc8\x4b\xf7\x4d\xb4\xf5\x4a", 8);
	assert_non_null(window_guid);
	window_guid[0] ^= 1;
	assert_int_equal(add(img, 0x1000, RAM, &meta, err), -1);
	assert_string_equal(err, "the firmware takes no payload (not softtdx's TDVF)");
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload_section),
		cmocka_unit_test(test_bad_payloads),
		cmocka_unit_test(test_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
