// SPDX-License-Identifier: MIT
/*
 * TDVF metadata: the OVMF GUIDed table at the end of the image points at
 * the "TDVF" descriptor, whose section entries say what the VMM loads
 * where.  Every field is read through a little-endian accessor from a
 * buffer whose bounds are checked first.
 */
#include "tdvf.h"
#include "tdvf_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define GUID_SIZE		16
#define TABLE_FOOTER_FROM_END	48	/* the footer GUID; 32 bytes follow it */
#define TABLE_ENTRY_TRAILER	(2 + GUID_SIZE)	/* u16 length, GUID */
#define DESCRIPTOR_SIZE		16
#define SECTION_SIZE		32
#define TDVF_SIGNATURE		0x46564454u	/* "TDVF" */
/* Firmware regions, 32-bit sized like RawDataSize; keeps measuring bounded. */
#define MAX_SECTION_SIZE	(1ULL << 32)
#define MAX_GPA			(1ULL << 52)	/* the widest GPAW */

/* 96b582de-1fb2-45f7-baea-a366c55a082d, in its in-memory byte order. */
static const uint8_t ovmf_table_footer_guid[GUID_SIZE] = {
	0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
	0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d,
};

/* e47a6535-984a-4798-865e-4685a7bf8ec2: the TDX metadata offset entry. */
static const uint8_t tdx_metadata_offset_guid[GUID_SIZE] = {
	0x35, 0x65, 0x7a, 0xe4, 0x4a, 0x98, 0x98, 0x47,
	0x86, 0x5e, 0x46, 0x85, 0xa7, 0xbf, 0x8e, 0xc2,
};

int tdvf_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * The data of the GUIDed-table entry @guid: entries are walked backwards
 * from the footer, each laid out as [data][u16 length][GUID].
 */
int tdvf_find_table_entry(const uint8_t *image, size_t len, const uint8_t *guid,
			    const uint8_t **data, size_t *data_len, char *err, size_t errlen)
{
	const uint8_t *footer, *table, *end;
	uint16_t table_len;

	if (len < TABLE_FOOTER_FROM_END + 2)
		return tdvf_fail(err, errlen, "image too small (%zu bytes) for an OVMF table", len);
	footer = image + len - TABLE_FOOTER_FROM_END;
	if (memcmp(footer, ovmf_table_footer_guid, GUID_SIZE))
		return tdvf_fail(err, errlen, "no OVMF GUIDed table footer (not a TDVF/OVMF image)");
	table_len = le16(footer - 2);
	if (table_len < TABLE_ENTRY_TRAILER ||
	    (size_t)(table_len - TABLE_ENTRY_TRAILER) > (size_t)(footer - 2 - image))
		return tdvf_fail(err, errlen, "OVMF table length %u out of range", table_len);
	end = footer - 2;
	table = end - (table_len - TABLE_ENTRY_TRAILER);
	while (end - table >= TABLE_ENTRY_TRAILER) {
		uint16_t entry_len = le16(end - TABLE_ENTRY_TRAILER);

		if (entry_len < TABLE_ENTRY_TRAILER || entry_len > end - table)
			return tdvf_fail(err, errlen, "OVMF table entry length %u out of range",
				    entry_len);
		if (!memcmp(end - GUID_SIZE, guid, GUID_SIZE)) {
			*data = end - entry_len;
			*data_len = entry_len - TABLE_ENTRY_TRAILER;
			return 0;
		}
		end -= entry_len;
	}
	return tdvf_fail(err, errlen, "no TDX metadata in the OVMF table (not a TDVF image)");
}

static int check_section(const struct tdvf_section *s, uint32_t i, size_t len, char *err,
			 size_t errlen)
{
	if (s->size < s->raw_size)
		return tdvf_fail(err, errlen, "section %u: MemoryDataSize %#llx < RawDataSize %#x", i,
			    (unsigned long long)s->size, s->raw_size);
	if (s->address % PAGE_SIZE_4K)
		return tdvf_fail(err, errlen, "section %u: MemoryAddress %#llx not 4 KiB aligned", i,
			    (unsigned long long)s->address);
	if (s->size % PAGE_SIZE_4K)
		return tdvf_fail(err, errlen, "section %u: MemoryDataSize %#llx not 4 KiB aligned", i,
			    (unsigned long long)s->size);
	if (s->size > MAX_SECTION_SIZE)
		return tdvf_fail(err, errlen, "section %u: MemoryDataSize %#llx above 4 GiB", i,
				 (unsigned long long)s->size);
	if (s->address > MAX_GPA - s->size)
		return tdvf_fail(err, errlen, "section %u: [%#llx, +%#llx) beyond the 52-bit "
				 "guest-physical space", i, (unsigned long long)s->address,
				 (unsigned long long)s->size);
	if ((uint64_t)s->data_offset + s->raw_size > len)
		return tdvf_fail(err, errlen, "section %u: DataOffset %#x + RawDataSize %#x beyond the "
			    "%zu-byte image", i, s->data_offset, s->raw_size, len);
	switch (s->type) {
	case TDVF_SECTION_BFV:
	case TDVF_SECTION_CFV:
		if (!s->raw_size)
			return tdvf_fail(err, errlen, "section %u: type %u with RawDataSize 0", i,
				    s->type);
		break;
	case TDVF_SECTION_TD_HOB:
	case TDVF_SECTION_TEMP_MEM:
		if (s->raw_size)
			return tdvf_fail(err, errlen, "section %u: type %u with RawDataSize %#x != 0", i,
				    s->type, s->raw_size);
		break;
	default:
		return tdvf_fail(err, errlen, "section %u: unsupported section type %u", i, s->type);
	}
	if (s->attributes & ~(TDVF_ATTR_MR_EXTEND | TDVF_ATTR_PAGE_AUG))
		return tdvf_fail(err, errlen, "section %u: unknown Attributes %#x", i, s->attributes);
	return 0;
}

static bool overlap(const struct tdvf_section *a, const struct tdvf_section *b)
{
	return a->address < b->address + b->size && b->address < a->address + a->size;
}

static void read_section(const uint8_t *p, struct tdvf_section *s)
{
	s->data_offset = le32(p);
	s->raw_size = le32(p + 4);
	s->address = le64(p + 8);
	s->size = le64(p + 16);
	s->type = le32(p + 24);
	s->attributes = le32(p + 28);
}

static int parse_descriptor(const uint8_t *image, size_t len, size_t off, struct tdvf_meta *meta,
			    char *err, size_t errlen)
{
	const uint8_t *d = image + off;
	uint32_t length, nr;

	if (off + DESCRIPTOR_SIZE > len)
		return tdvf_fail(err, errlen, "TDX metadata offset points outside the image");
	if (le32(d) != TDVF_SIGNATURE)
		return tdvf_fail(err, errlen, "TDX metadata: bad signature %#x (want \"TDVF\")", le32(d));
	length = le32(d + 4);
	if (le32(d + 8) != 1)
		return tdvf_fail(err, errlen, "TDX metadata: Version %u (want 1)", le32(d + 8));
	nr = le32(d + 12);
	if (nr < 2 || nr > TDVF_MAX_SECTIONS)
		return tdvf_fail(err, errlen, "TDX metadata: NumberOfSectionEntries %u (want 2..%u)", nr,
			    TDVF_MAX_SECTIONS);
	if (length != DESCRIPTOR_SIZE + SECTION_SIZE * nr)
		return tdvf_fail(err, errlen, "TDX metadata: Length %#x, %u sections need %#x", length,
			    nr, DESCRIPTOR_SIZE + SECTION_SIZE * nr);
	if (off + length > len)
		return tdvf_fail(err, errlen, "TDX metadata: %u sections run past the image end", nr);
	meta->nr_sections = nr;
	for (uint32_t i = 0; i < nr; i++) {
		read_section(d + DESCRIPTOR_SIZE + SECTION_SIZE * i, &meta->sections[i]);
		if (check_section(&meta->sections[i], i, len, err, errlen))
			return -1;
		for (uint32_t j = 0; j < i; j++)
			if (overlap(&meta->sections[i], &meta->sections[j]))
				return tdvf_fail(err, errlen, "section %u overlaps section %u", i, j);
	}
	return 0;
}

int tdvf_parse(const uint8_t *image, size_t len, struct tdvf_meta *meta, char *err,
	       size_t errlen)
{
	const uint8_t *data;
	size_t data_len;
	uint32_t from_end;

	memset(meta, 0, sizeof(*meta));
	if (tdvf_find_table_entry(image, len, tdx_metadata_offset_guid, &data, &data_len, err, errlen))
		return -1;
	if (data_len < 4)
		return tdvf_fail(err, errlen, "TDX metadata offset entry too short (%zu bytes)",
			    data_len);
	from_end = le32(data);
	if (from_end > len)
		return tdvf_fail(err, errlen, "TDX metadata offset %#x beyond the %zu-byte image",
			    from_end, len);
	return parse_descriptor(image, len, len - from_end, meta, err, errlen);
}
