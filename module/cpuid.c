// SPDX-License-Identifier: MIT
/*
 * The CPUID leaves a host may configure in TD_PARAMS, in TD_PARAMS order
 * (the TDX 1.5 list), with the platform CPU's native values.
 *
 * The native values describe softtdx's virtual platform CPU (a Sapphire
 * Rapids-class part).  A leaf's configurable mask is the set of feature bits
 * the platform has: a TD may keep or drop a native feature, never add one.
 * Cache and topology leaves are not configurable here and read natively.
 */
#include "module_internal.h"

#define NO_SUB TDX_CPUID_NO_SUBLEAF
#define V(a, b, c, d) { a, b, c, d }

const struct cpuid_config cpuid_configs[TDX_MAX_NUM_CPUID_CONFIG] = {
	{ 0x1, NO_SUB, V(0, 0, 0x76fa3203, 0x0f8bfbff),
	  V(0x000806f8, 0x00000800, 0x76fa3203, 0x0f8bfbff) },
	{ 0x4, 0, V(0, 0, 0, 0), V(0x1c004121, 0x02c0003f, 0x0000003f, 0) },
	{ 0x4, 1, V(0, 0, 0, 0), V(0x1c004122, 0x01c0003f, 0x0000003f, 0) },
	{ 0x4, 2, V(0, 0, 0, 0), V(0x1c004143, 0x03c0003f, 0x000007ff, 0) },
	{ 0x4, 3, V(0, 0, 0, 0), V(0x1c03c163, 0x0380003f, 0x0001ffff, 0x4) },
	{ 0x7, 0, V(0, 0xf1bf07ab, 0x1b415f6e, 0xbc814410),
	  V(0x00000002, 0xf1bf07ab, 0x1b415f6e, 0xbc814410) },
	{ 0x7, 1, V(0x00201c30, 0, 0, 0), V(0x00201c30, 0, 0, 0) },
	{ 0xa, NO_SUB, V(0, 0, 0, 0), V(0x08300805, 0, 0, 0x00008603) },
	{ 0x1c, NO_SUB, V(0, 0, 0, 0), V(0, 0, 0, 0) },
	{ 0x80000008, NO_SUB, V(0x00ff0000, 0, 0, 0), V(0x00003934, 0, 0, 0) },
	{ 0x7, 2, V(0, 0, 0, 0x0000003f), V(0, 0, 0, 0x0000003f) },
	{ 0x23, 0, V(0, 0, 0, 0), V(0, 0, 0, 0) },
};
