/* SPDX-License-Identifier: MIT */
/* What the platform's own parts share; nothing outside platform/ includes it. */
#ifndef SOFTTDX_PLATFORM_INTERNAL_H
#define SOFTTDX_PLATFORM_INTERNAL_H

#include "platform.h"

/* The storage of all physical memory: HPA PLATFORM_MEM_BASE is byte 0. */
u8 *platform_ram(struct platform *p);

#endif /* SOFTTDX_PLATFORM_INTERNAL_H */
