/* SPDX-License-Identifier: MIT */
/* What tdvf.c shares with the other firmware files of vmm/; not a door. */
#ifndef SOFTTDX_VMM_TDVF_INTERNAL_H
#define SOFTTDX_VMM_TDVF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE_4K	4096u	/* TD pages, section and RAM granularity */

/* Formats a one-line reason into @err; returns -1. */
int tdvf_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The data of @image's OVMF GUIDed-table entry @guid (16 bytes, in memory
 * order).  0, or -1 with a reason in @err.
 */
int tdvf_find_table_entry(const uint8_t *image, size_t len, const uint8_t *guid,
			  const uint8_t **data, size_t *data_len, char *err, size_t errlen);

struct tdvf_meta;

/* Whether [a, a + n) meets any section of @meta. */
bool tdvf_meets_section(const struct tdvf_meta *meta, uint64_t a, uint64_t n);

/* Firmware fields are little-endian whatever the host is. */
static inline uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16;
}

static inline uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The low @bytes bytes of @v at @p, little-endian. */
static inline void put_le(uint8_t *p, uint64_t v, unsigned int bytes)
{
	for (unsigned int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

#endif /* SOFTTDX_VMM_TDVF_INTERNAL_H */
