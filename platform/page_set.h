/* SPDX-License-Identifier: MIT */
/*
 * A set of 4 KiB page frames (HPA >> 12), open addressing with linear
 * probing; what a core keeps of the physical pages it translated code from.
 * Internal to platform/.
 */
#ifndef SOFTTDX_PLATFORM_PAGE_SET_H
#define SOFTTDX_PLATFORM_PAGE_SET_H

#include <stdbool.h>
#include <stddef.h>

#include <softtdx/tdx_arch.h>

struct page_set {
	u64 *slot;		/* frame + 1; 0 is an empty slot */
	size_t cap, used;	/* cap is a power of two, or 0 */
};

/* 1 if @frame was added, 0 if it was there already, -ENOMEM. */
int page_set_add(struct page_set *s, u64 frame);
bool page_set_has(const struct page_set *s, u64 frame);
/* True if @frame was there. */
bool page_set_del(struct page_set *s, u64 frame);
void page_set_free(struct page_set *s);

#endif /* SOFTTDX_PLATFORM_PAGE_SET_H */
