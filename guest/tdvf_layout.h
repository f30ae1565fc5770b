/* SPDX-License-Identifier: MIT */
/*
 * Where softtdx's TDVF puts things in the TD (docs/payload-abi.md); shared
 * by the firmware's C and its metadata.  Assembly includes it too.
 */
#ifndef SOFTTDX_TDVF_LAYOUT_H
#define SOFTTDX_TDVF_LAYOUT_H

#define TDVF_IMAGE_BASE		0xFFFF0000	/* BFV: the 64 KiB image, up to 4 GiB */
#define TDVF_IMAGE_SIZE		0x10000
#define TDVF_TEMP_MEM		0x00800000	/* the vCPUs' stacks */
#define TDVF_TEMP_MEM_SIZE	0x00400000
#define TDVF_STACK_SIZE		0x00010000	/* per vCPU: 64 vCPUs at most */
#define TDVF_STACK_SHIFT	16
#define TDVF_HOB		0x00C00000
#define TDVF_HOB_SIZE		0x00010000
#define TDVF_PAYLOAD		0x01000000	/* the VMM adds the payload ELF file here */
#define TDVF_PAYLOAD_MAX	0x01000000
/*
 * -kernel: the VMM adds the boot region here (MP-wakeup mailbox, zero
 * page, command line, ACPI tables; vmm/linux.h) and the kernel at its
 * preferred address, which is TDVF_PAYLOAD for x86-64 Linux.
 */
#define TDVF_LINUX_BOOT		0x00C10000
#define TDVF_LINUX_BOOT_MAX	0x00100000
#define TDVF_LINUX_MAILBOX	TDVF_LINUX_BOOT
#define TDVF_LINUX_ZERO_PAGE	(TDVF_LINUX_BOOT + 0x1000)

#endif /* SOFTTDX_TDVF_LAYOUT_H */
