// SPDX-License-Identifier: MIT
/*
 * --payload: a freestanding x86-64 ELF that softtdx's TDVF loads.  The
 * firmware's OVMF table says where the VMM adds the file; the checks here
 * are the firmware's own (guest/tdvf.c), made early so a bad file gets a
 * clear message instead of a TD that reports a fatal error.  Pure
 * functions over byte buffers; every field read little-endian.
 */
#include "tdvf.h"
#include "tdvf_internal.h"

#define TWO_GIB		0x80000000ULL
#define LOW_RAM_SPLIT	0xB0000000ULL	/* as td_ram_map_build(): RAM past 2 GiB moves up */
#define EHDR_SIZE	64
#define PHDR_SIZE	56
#define ELF_ET_EXEC	2
#define ELF_EM_X86_64	62
#define ELF_PT_LOAD	1
#define WINDOW_ENTRY	16	/* u64 GPA, u64 maximum size */

/* f74bc86c-b44d-4af5-8b36-5b60d23084b3: softtdx TDVF's payload window. */
static const uint8_t payload_window_guid[16] = {
	0x6c, 0xc8, 0x4b, 0xf7, 0x4d, 0xb4, 0xf5, 0x4a,
	0x8b, 0x36, 0x5b, 0x60, 0xd2, 0x30, 0x84, 0xb3,
};

struct load_segment {
	uint64_t offset, paddr, filesz, memsz;
};

static void read_phdr(const uint8_t *p, uint32_t *type, struct load_segment *seg)
{
	*type = le32(p);
	seg->offset = le64(p + 8);
	seg->paddr = le64(p + 24);
	seg->filesz = le64(p + 32);
	seg->memsz = le64(p + 40);
}

static int check_header(const uint8_t *elf, size_t len, char *err, size_t errlen)
{
	static const uint8_t ident[7] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	uint64_t phoff;
	uint16_t phnum;

	for (size_t i = 0; i < sizeof(ident); i++)
		if (len < EHDR_SIZE || elf[i] != ident[i])
			return tdvf_fail(err, errlen, "not a little-endian ELF64 file");
	if (le16(elf + 16) != ELF_ET_EXEC || le16(elf + 18) != ELF_EM_X86_64)
		return tdvf_fail(err, errlen, "not an x86-64 executable (ELF type %u, machine %u)",
				 le16(elf + 16), le16(elf + 18));
	phoff = le64(elf + 32);
	phnum = le16(elf + 56);
	if (le16(elf + 54) != PHDR_SIZE || phoff > len || phnum > (len - phoff) / PHDR_SIZE)
		return tdvf_fail(err, errlen, "program headers outside the file");
	return 0;
}

bool tdvf_meets_section(const struct tdvf_meta *meta, uint64_t a, uint64_t n)
{
	for (uint32_t i = 0; i < meta->nr_sections; i++)
		if (a < meta->sections[i].address + meta->sections[i].size &&
		    meta->sections[i].address < a + n)
			return true;
	return false;
}

static int check_segment(const struct load_segment *s, size_t len, uint64_t ram_top,
			 const struct tdvf_meta *meta, unsigned int i, char *err, size_t errlen)
{
	uint64_t start = s->paddr & ~(uint64_t)(PAGE_SIZE_4K - 1);

	if (s->filesz > s->memsz || s->offset > len || s->filesz > len - s->offset)
		return tdvf_fail(err, errlen, "segment %u: file range outside the file", i);
	if (s->paddr >= ram_top || s->memsz > ram_top - s->paddr)
		return tdvf_fail(err, errlen, "segment %u: [%#llx, +%#llx) is not in low RAM (below "
				 "%#llx)", i, (unsigned long long)s->paddr,
				 (unsigned long long)s->memsz, (unsigned long long)ram_top);
	if (tdvf_meets_section(meta, start, s->paddr + s->memsz - start))
		return tdvf_fail(err, errlen, "segment %u: [%#llx, +%#llx) overlaps the firmware's "
				 "memory", i, (unsigned long long)s->paddr,
				 (unsigned long long)s->memsz);
	return 0;
}

/* Every PT_LOAD segment, and that the entry point is in one of them. */
static int check_segments(const uint8_t *elf, size_t len, uint64_t ram_size,
			  const struct tdvf_meta *meta, char *err, size_t errlen)
{
	uint64_t entry = le64(elf + 24), phoff = le64(elf + 32);
	uint64_t ram_top = !ram_size ? 1ULL << 32 :
			   ram_size >= LOW_RAM_SPLIT ? TWO_GIB : ram_size;
	bool entry_loaded = false;

	for (unsigned int i = 0; i < le16(elf + 56); i++) {
		struct load_segment s;
		uint32_t type;

		read_phdr(elf + phoff + (uint64_t)i * PHDR_SIZE, &type, &s);
		if (type != ELF_PT_LOAD || !s.memsz)
			continue;
		if (check_segment(&s, len, ram_top, meta, i, err, errlen))
			return -1;
		entry_loaded |= entry >= s.paddr && entry - s.paddr < s.memsz;
	}
	if (!entry_loaded)
		return tdvf_fail(err, errlen, "entry point %#llx is in no loaded segment",
				 (unsigned long long)entry);
	return 0;
}

int tdvf_add_payload(const uint8_t *image, size_t fw_len, size_t payload_len,
		     uint64_t ram_size, struct tdvf_meta *meta, char *err, size_t errlen)
{
	const uint8_t *window;
	size_t window_len;
	uint64_t gpa, max, size = (payload_len + PAGE_SIZE_4K - 1) & ~(uint64_t)(PAGE_SIZE_4K - 1);

	if (tdvf_find_table_entry(image, fw_len, payload_window_guid, &window, &window_len, err,
				  errlen))
		return tdvf_fail(err, errlen, "the firmware takes no payload (not softtdx's TDVF)");
	if (window_len < WINDOW_ENTRY)
		return tdvf_fail(err, errlen, "the firmware's payload window entry is %zu bytes",
				 window_len);
	gpa = le64(window);
	max = le64(window + 8);
	if (payload_len > max || payload_len > UINT32_MAX)
		return tdvf_fail(err, errlen, "payload of %zu bytes, the firmware takes %llu at most",
				 payload_len, (unsigned long long)max);
	if (gpa % PAGE_SIZE_4K || tdvf_meets_section(meta, gpa, size) ||
	    meta->nr_sections == TDVF_MAX_SECTIONS)
		return tdvf_fail(err, errlen, "the firmware's payload window %#llx is misaligned or "
				 "overlaps its sections", (unsigned long long)gpa);
	if (check_header(image + fw_len, payload_len, err, errlen))
		return -1;
	/* The window is in place first, so no segment may load over it. */
	meta->sections[meta->nr_sections++] = (struct tdvf_section){
		.data_offset = (uint32_t)fw_len, .raw_size = (uint32_t)payload_len,
		.address = gpa, .size = size, .type = TDVF_SECTION_PAYLOAD,
		.attributes = TDVF_ATTR_MR_EXTEND,
	};
	if (check_segments(image + fw_len, payload_len, ram_size, meta, err, errlen)) {
		meta->nr_sections--;
		return -1;
	}
	return 0;
}
