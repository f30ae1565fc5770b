/* SPDX-License-Identifier: MIT */
/* What the platform's own parts share; nothing outside platform/ includes it. */
#ifndef SOFTTDX_PLATFORM_INTERNAL_H
#define SOFTTDX_PLATFORM_INTERNAL_H

#include "platform.h"

/* The storage of all physical memory: HPA PLATFORM_MEM_BASE is byte 0. */
u8 *platform_ram(struct platform *p);

/* A window of host memory in the physical address space (platform_map_user). */
struct platform_window {
	u64 hpa, len;
	u8 *hva;
};
/* Changes when windows come or go; a core then re-reads them. */
u64 platform_windows_gen(struct platform *p);
/* Copies up to @max current windows; returns how many there are. */
size_t platform_windows(struct platform *p, struct platform_window *out, size_t max);
/* Changes with every platform_invept(). */
u64 platform_ept_gen(struct platform *p);
/* The storage behind @hpa for @len bytes, in RAM or a window, or NULL. */
u8 *platform_phys_ptr(struct platform *p, u64 hpa, u64 len);

#endif /* SOFTTDX_PLATFORM_INTERNAL_H */
