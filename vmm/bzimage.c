// SPDX-License-Identifier: MIT
/*
 * The bzImage setup header (Documentation/arch/x86/boot.rst): what a boot
 * loader that enters at the 64-bit entry needs from it, checked before
 * anything is placed in a TD.
 */
#include "linux.h"
#include "tdvf_internal.h"

#define HDR_SETUP_SECTS		0x1f1
#define HDR_SYSSIZE		0x1f4
#define HDR_BOOT_FLAG		0x1fe
#define HDR_MAGIC		0x202
#define HDR_VERSION		0x206
#define HDR_INITRD_ADDR_MAX	0x22c
#define HDR_KERNEL_ALIGNMENT	0x230
#define HDR_RELOCATABLE		0x234
#define HDR_XLOADFLAGS		0x236
#define HDR_CMDLINE_SIZE	0x238
#define HDR_PREF_ADDRESS	0x258
#define HDR_INIT_SIZE		0x260
#define HDR_END			0x264
#define XLF_KERNEL_64		(1u << 0)

int bzimage_parse(const uint8_t *file, size_t len, struct bzimage *bz, char *err, size_t errlen)
{
	unsigned int sects;

	if (len < HDR_END || le16(file + HDR_BOOT_FLAG) != 0xAA55 ||
	    le32(file + HDR_MAGIC) != 0x53726448 /* "HdrS" */)
		return tdvf_fail(err, errlen, "not a bzImage (no boot sector and \"HdrS\" setup "
				 "header)");
	bz->version = le16(file + HDR_VERSION);
	if (bz->version < BZIMAGE_MIN_VERSION)
		return tdvf_fail(err, errlen, "boot protocol %u.%02u is too old: the 64-bit entry "
				 "needs 2.12 or later", bz->version >> 8, bz->version & 0xff);
	if (!(le16(file + HDR_XLOADFLAGS) & XLF_KERNEL_64))
		return tdvf_fail(err, errlen, "not a 64-bit kernel (XLF_KERNEL_64 is clear)");
	if (!file[HDR_RELOCATABLE])
		return tdvf_fail(err, errlen, "not a relocatable kernel");
	sects = file[HDR_SETUP_SECTS] ? file[HDR_SETUP_SECTS] : 4;
	bz->setup_len = (sects + 1) * 512;
	if (bz->setup_len >= len)
		return tdvf_fail(err, errlen, "the setup code (%u bytes) leaves no kernel in the "
				 "file", bz->setup_len);
	bz->kernel_len = (uint32_t)(len - bz->setup_len);
	if ((uint64_t)le32(file + HDR_SYSSIZE) * 16 > bz->kernel_len)
		return tdvf_fail(err, errlen, "truncated: the header says %llu kernel bytes, the file "
				 "has %u", (unsigned long long)le32(file + HDR_SYSSIZE) * 16,
				 bz->kernel_len);
	bz->pref_address = le64(file + HDR_PREF_ADDRESS);
	bz->alignment = le32(file + HDR_KERNEL_ALIGNMENT);
	bz->init_size = le32(file + HDR_INIT_SIZE);
	bz->cmdline_max = le32(file + HDR_CMDLINE_SIZE);
	bz->initrd_addr_max = le32(file + HDR_INITRD_ADDR_MAX);
	if (!bz->alignment || bz->alignment & (bz->alignment - 1) ||
	    bz->pref_address % bz->alignment)
		return tdvf_fail(err, errlen, "kernel alignment %#x or preferred address %#llx is "
				 "not usable", bz->alignment,
				 (unsigned long long)bz->pref_address);
	if (bz->init_size < bz->kernel_len)
		bz->init_size = bz->kernel_len;
	return 0;
}
