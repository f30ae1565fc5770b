// SPDX-License-Identifier: MIT
/*
 * What the platform's CPUs report with CPUID, natively: a Sapphire Rapids
 * family/model whose features are the instruction set the cores really
 * execute (QEMU 5.0's TCG inside Unicorn 2.1): SSE up to 4.2, AES,
 * PCLMULQDQ, MOVBE, RDRAND, XSAVE, FSGSBASE, SMEP/SMAP, LA57; no AVX of
 * any kind, no PMU, no protection keys (the cores' page walk does not
 * check them).  No BMI1, BMI2 or ADX either: the engine refuses BMI2's
 * SHLX/SHRX and ADX's ADCX while CR4.OSFXSR is clear, and emulating them
 * (x86_emulate.c) costs ~0.6 us each; offered, they made Linux's zstd
 * decompressor run 8 million of them, 5 s of a 6 s boot.  MSR-controlled
 * speculation features are reported.  The TDX module derives a TD's CPUID from these values and
 * KVM its KVM_GET_SUPPORTED_CPUID.
 */
#include "platform_internal.h"

#include <string.h>

#define ANY_SUB	0xFFFFFFFFu

static const struct native_leaf {
	u32 leaf, subleaf;
	u32 v[4];
} native[] = {
	{ 0x0, ANY_SUB, { 0x23, 0x756e6547, 0x6c65746e, 0x49656e69 } },	/* GenuineIntel */
	{ 0x1, ANY_SUB, { 0x000806f8, 0x00000800, 0x47f82203, 0x0f8bfbfd } },
	{ 0x4, 0, { 0x1c004121, 0x02c0003f, 0x0000003f, 0 } },
	{ 0x4, 1, { 0x1c004122, 0x01c0003f, 0x0000003f, 0 } },
	{ 0x4, 2, { 0x1c004143, 0x03c0003f, 0x000007ff, 0 } },
	{ 0x4, 3, { 0x1c03c163, 0x0380003f, 0x0001ffff, 0x4 } },
	{ 0x6, ANY_SUB, { 0x4, 0, 0, 0 } },					/* ARAT */
	{ 0x7, 0, { 0x2, 0x01900281, 0x00010000, 0xbc000410 } },	/* no BMI1/2, ADX */
	{ 0x7, 1, { 0x00001c00, 0, 0, 0 } },
	{ 0x7, 2, { 0, 0, 0, 0x3f } },
	{ 0xd, 0, { 0x3, 576, 576, 0 } },					/* x87, SSE */
	{ 0xd, 1, { 0x5, 576, 0, 0 } },				/* XSAVEOPT, XGETBV1 */
	{ 0x80000000, ANY_SUB, { 0x80000008, 0, 0, 0 } },
	{ 0x80000001, ANY_SUB, { 0, 0, 0x121, 0x2c100800 } },
	{ 0x80000007, ANY_SUB, { 0, 0, 0, 1u << 8 } },				/* invariant TSC */
	{ 0x80000008, ANY_SUB, { 0x3934, 0, 0, 0 } },			/* 52-bit PA, 57-bit VA */
};

void platform_cpuid(const struct platform *p, u32 leaf, u32 subleaf, u32 out[4])
{
	(void)p;
	memset(out, 0, 4 * sizeof(u32));
	for (size_t i = 0; i < sizeof(native) / sizeof(native[0]); i++) {
		if (native[i].leaf == leaf &&
		    (native[i].subleaf == ANY_SUB || native[i].subleaf == subleaf)) {
			memcpy(out, native[i].v, 4 * sizeof(u32));
			return;
		}
	}
}
