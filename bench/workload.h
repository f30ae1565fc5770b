/* SPDX-License-Identifier: MIT */
/*
 * The compute work bench/td and bench/td-uapi run inside a TD, natively and
 * (bench/guests/) under QEMU: FNV-1a and xorshift over a 16 KiB buffer, a
 * serial integer loop, no libc.
 */
#ifndef SOFTTDX_BENCH_WORKLOAD_H
#define SOFTTDX_BENCH_WORKLOAD_H

#include <stdint.h>

#define WORKLOAD_BYTES	16384

static inline uint64_t workload(uint8_t *buf, unsigned int rounds)
{
	uint64_t h = 0xcbf29ce484222325ULL, x = 88172645463325252ULL;

	for (unsigned int r = 0; r < rounds; r++) {
		for (unsigned int i = 0; i < WORKLOAD_BYTES; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] ^= (uint8_t)x;
			h = (h ^ buf[i]) * 0x100000001b3ULL;
		}
	}
	return h;
}

#endif /* SOFTTDX_BENCH_WORKLOAD_H */
