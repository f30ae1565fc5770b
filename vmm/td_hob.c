// SPDX-License-Identifier: MIT
/*
 * The TD's memory map and the TD HOB that hands it to TDVF, byte for byte
 * as QEMU builds them (hw/i386/tdvf-hob.c, the TDX machine-done notifier):
 * OVMF measures the HOB into RTMR0, so a different byte is a different
 * RTMR0.  All fields little-endian, each HOB 8-byte aligned.
 */
#include "tdvf.h"
#include "tdvf_internal.h"

#include <stdlib.h>
#include <string.h>

#define GiB			(1ULL << 30)
#define Q35_LOWMEM_SPLIT	0xb0000000ULL	/* from this much RAM, low RAM ends at 2 GiB */

/* PI spec HOB types and fields. */
#define HOB_TYPE_HANDOFF		0x0001
#define HOB_TYPE_RESOURCE_DESCRIPTOR	0x0003
#define HOB_TYPE_END_OF_HOB_LIST	0xffff
#define HOB_HANDOFF_TABLE_VERSION	0x0009
#define HOB_HANDOFF_SIZE		56
#define HOB_RESOURCE_SIZE		48
#define HOB_END_SIZE			8
#define RESOURCE_SYSTEM_MEMORY		0x00000000
#define RESOURCE_MEMORY_UNACCEPTED	0x00000007
/* PRESENT | INITIALIZED | TESTED: QEMU's TDVF_PRIVATE and TDVF_UNACCEPTED alike. */
#define RESOURCE_ATTR_TDVF		0x00000007

static void add_entry(struct td_ram_map *map, uint64_t address, uint64_t length,
		      enum td_ram_type type)
{
	map->e[map->nr++] = (struct td_ram_entry){ address, length, type };
}

/* [address, address + length) becomes ADDED; what is left of its range stays unaccepted. */
static int accept_range(struct td_ram_map *map, uint64_t address, uint64_t length)
{
	for (uint32_t i = 0; i < map->nr; i++) {
		struct td_ram_entry old = map->e[i];

		if (address < old.address || address + length > old.address + old.length)
			continue;
		if (old.type == TD_RAM_ADDED)
			return -1;
		map->e[i] = (struct td_ram_entry){ address, length, TD_RAM_ADDED };
		if (address > old.address)
			add_entry(map, old.address, address - old.address, TD_RAM_UNACCEPTED);
		if (address + length < old.address + old.length)
			add_entry(map, address + length, old.address + old.length - address - length,
				  TD_RAM_UNACCEPTED);
		return 0;
	}
	return -1;
}

static int by_address(const void *a, const void *b)
{
	const struct td_ram_entry *x = a, *y = b;

	return x->address < y->address ? -1 : x->address > y->address;
}

int td_ram_map_build(uint64_t ram_size, const struct tdvf_meta *meta, struct td_ram_map *map,
		     char *err, size_t errlen)
{
	uint64_t low = ram_size >= Q35_LOWMEM_SPLIT ? 2 * GiB : ram_size;

	memset(map, 0, sizeof(*map));
	if (!ram_size || ram_size % PAGE_SIZE_4K)
		return tdvf_fail(err, errlen, "memory size %#llx is not a positive multiple of 4 KiB",
			    (unsigned long long)ram_size);
	add_entry(map, 0, low, TD_RAM_UNACCEPTED);
	if (ram_size > low)
		add_entry(map, 4 * GiB, ram_size - low, TD_RAM_UNACCEPTED);
	for (uint32_t i = 0; i < meta->nr_sections; i++) {
		const struct tdvf_section *s = &meta->sections[i];

		/*
		 * A PAGE.AUG section is not added before finalize: the guest
		 * accepts it like any RAM (QEMU ignores the attribute).
		 */
		if ((s->type != TDVF_SECTION_TD_HOB && s->type != TDVF_SECTION_TEMP_MEM &&
		     s->type != TDVF_SECTION_PAYLOAD) ||
		    (s->attributes & TDVF_ATTR_PAGE_AUG))
			continue;
		if (accept_range(map, s->address, s->size))
			return tdvf_fail(err, errlen, "section %u [%#llx, %#llx) is not inside guest RAM "
				    "(memory too small for the firmware?)", i,
				    (unsigned long long)s->address,
				    (unsigned long long)(s->address + s->size));
	}
	qsort(map->e, map->nr, sizeof(map->e[0]), by_address);
	return 0;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	return put16(put16(p, (uint16_t)v), (uint16_t)(v >> 16));
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
	return put32(put32(p, (uint32_t)v), (uint32_t)(v >> 32));
}

/* The generic HOB header: type, length, 4 reserved bytes. */
static uint8_t *hob_header(uint8_t *p, uint16_t type, uint16_t length)
{
	return put32(put16(put16(p, type), length), 0);
}

size_t td_hob_build(const struct td_ram_map *map, uint64_t hob_gpa, uint8_t *buf, size_t size,
		    char *err, size_t errlen)
{
	size_t need = HOB_HANDOFF_SIZE + (size_t)map->nr * HOB_RESOURCE_SIZE + HOB_END_SIZE;
	uint8_t *p = buf;

	if (need > size) {
		tdvf_fail(err, errlen, "TD HOB needs %zu bytes, the TD_HOB section has %zu", need, size);
		return 0;
	}
	memset(buf, 0, need);
	/* PHIT: version, boot mode 0, memory top/bottom left 0 as QEMU does. */
	p = put32(hob_header(p, HOB_TYPE_HANDOFF, HOB_HANDOFF_SIZE), HOB_HANDOFF_TABLE_VERSION);
	p = put32(p, 0);
	p += 4 * 8;
	p = put64(p, hob_gpa + need);			/* EfiEndOfHobList */
	for (uint32_t i = 0; i < map->nr; i++) {
		const struct td_ram_entry *e = &map->e[i];

		p = hob_header(p, HOB_TYPE_RESOURCE_DESCRIPTOR, HOB_RESOURCE_SIZE);
		p += 16;				/* owner GUID: zero */
		p = put32(p, e->type == TD_RAM_ADDED ? RESOURCE_SYSTEM_MEMORY :
						       RESOURCE_MEMORY_UNACCEPTED);
		p = put32(p, RESOURCE_ATTR_TDVF);
		p = put64(put64(p, e->address), e->length);
	}
	hob_header(p, HOB_TYPE_END_OF_HOB_LIST, HOB_END_SIZE);
	return need;
}
