/* SPDX-License-Identifier: MIT */
/* What tdvf.c shares with the other firmware files of vmm/; not a door. */
#ifndef SOFTTDX_VMM_TDVF_INTERNAL_H
#define SOFTTDX_VMM_TDVF_INTERNAL_H

#include <stddef.h>

#define PAGE_SIZE_4K	4096u	/* TD pages, section and RAM granularity */

/* Formats a one-line reason into @err; returns -1. */
int tdvf_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* SOFTTDX_VMM_TDVF_INTERNAL_H */
