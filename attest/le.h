/* SPDX-License-Identifier: MIT */
/*
 * Little-endian fields, byte by byte: QGS messages and quotes are
 * little-endian whatever the host, and their fields are not aligned.
 */
#ifndef SOFTTDX_ATTEST_LE_H
#define SOFTTDX_ATTEST_LE_H

#include <stdint.h>

static inline void le_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void le_put32(uint8_t *p, uint32_t v)
{
	le_put16(p, (uint16_t)v);
	le_put16(p + 2, (uint16_t)(v >> 16));
}

static inline uint16_t le_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le_get32(const uint8_t *p)
{
	return (uint32_t)le_get16(p) | (uint32_t)le_get16(p + 2) << 16;
}

#endif /* SOFTTDX_ATTEST_LE_H */
