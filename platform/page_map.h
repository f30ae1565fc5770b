/* SPDX-License-Identifier: MIT */
/*
 * A map from 4 KiB page frames (HPA >> 12) to a nonzero 64-bit mask, open
 * addressing with linear probing; what a group of cores keeps of the
 * physical pages they translated code from, one bit per core.  Internal to
 * platform/.
 */
#ifndef SOFTTDX_PLATFORM_PAGE_MAP_H
#define SOFTTDX_PLATFORM_PAGE_MAP_H

#include <stdbool.h>
#include <stddef.h>

#include <softtdx/tdx_arch.h>

struct page_map {
	u64 *key;		/* frame + 1; 0 is an empty slot */
	u64 *mask;
	size_t cap, used;	/* cap is a power of two, or 0 */
};

/* Sets @bits in @frame's mask (adding it); the mask before in *old; -ENOMEM. */
int page_map_or(struct page_map *m, u64 frame, u64 bits, u64 *old);
/* @frame's mask, 0 when it is not in the map. */
u64 page_map_get(const struct page_map *m, u64 frame);
/* Removes @frame; its mask, or 0 when it was not there. */
u64 page_map_del(struct page_map *m, u64 frame);
void page_map_free(struct page_map *m);

#endif /* SOFTTDX_PLATFORM_PAGE_MAP_H */
