/* SPDX-License-Identifier: MIT */
/*
 * Direct Linux boot (-kernel/-initrd/-append) through softtdx's TDVF:
 * the bzImage's setup header, the ACPI tables the machine describes
 * itself with, and the zero page (boot_params) with the e820 map.  Pure
 * functions over byte buffers, every field little-endian; run.c and
 * `softtdx measure` place the results in the TD.
 */
#ifndef SOFTTDX_VMM_LINUX_H
#define SOFTTDX_VMM_LINUX_H

#include <stddef.h>
#include <stdint.h>

#include "tdvf.h"

/* What the x86 boot protocol's setup header says about a bzImage. */
struct bzimage {
	uint16_t version;		/* boot protocol, e.g. 0x020f */
	uint32_t setup_len;		/* the real-mode part: (setup_sects + 1) * 512 */
	uint32_t kernel_len;		/* the protected-mode part that follows it */
	uint64_t pref_address;		/* where it runs without relocating */
	uint32_t alignment;		/* a relocated load address's alignment */
	uint32_t init_size;		/* memory from the load address it needs to start */
	uint32_t cmdline_max;		/* longest command line, without the NUL */
	uint32_t initrd_addr_max;	/* highest byte an initrd may occupy */
};

/* The oldest boot protocol with the 64-bit entry and the fields used here (2.12). */
#define BZIMAGE_MIN_VERSION	0x020c

/*
 * Checks @file (@len bytes) is a bzImage softtdx can start at its 64-bit
 * entry: setup header magic, protocol >= 2.12, XLF_KERNEL_64, relocatable,
 * a kernel part inside the file.  0, or -1 with a reason in @err.
 */
int bzimage_parse(const uint8_t *file, size_t len, struct bzimage *bz, char *err, size_t errlen);

/* ---- ACPI tables (acpi.c) --------------------------------------------------------------- */

struct acpi_machine {
	unsigned int cpus;		/* x2APIC IDs 0 .. cpus - 1 */
	uint64_t mailbox;		/* the MP-wakeup mailbox's GPA (4 KiB) */
	uint16_t pm_base;		/* the ICH9 PM block's port base */
	uint32_t ioapic_base;		/* the IOAPIC's MMIO base */
};

/*
 * RSDP, XSDT, FADT, FACS, DSDT and MADT for @m, laid out to sit at
 * @gpa: RSDP first.  Returns the bytes used, or 0 when @size is too small.
 */
size_t acpi_build(const struct acpi_machine *m, uint64_t gpa, uint8_t *buf, size_t size);

/* ---- the zero page and the boot region (linux_boot.c) ------------------------------------ */

/*
 * The boot region at @gpa, whose size softtdx's TDVF names: the MP-wakeup
 * mailbox, the zero page, the command line, the ACPI tables.
 */
#define LINUX_MAILBOX_OFFSET	0x0000
#define LINUX_ZERO_PAGE_OFFSET	0x1000
#define LINUX_CMDLINE_OFFSET	0x2000

struct linux_boot {
	struct bzimage bz;
	uint64_t kernel_gpa;		/* where the protected-mode part goes */
	uint64_t initrd_gpa, initrd_len;
	uint64_t boot_gpa, boot_size;	/* the boot region, from the firmware */
	const char *cmdline;
	unsigned int cpus;
};

/*
 * -kernel for softtdx's TDVF: @image is the firmware (@fw_len bytes), the
 * kernel file (@kernel_len) and the initrd (@initrd_len) back to back.
 * Checks the kernel and places kernel, initrd and boot region in RAM of
 * @ram_size bytes, appending three measured payload sections to @meta;
 * the boot region's section takes its data from @fw_len + @kernel_len +
 * @initrd_len, which linux_boot_build() fills.  0, or -1 with @err.
 */
int linux_boot_place(const uint8_t *image, size_t fw_len, size_t kernel_len, size_t initrd_len,
		     uint64_t ram_size, struct tdvf_meta *meta, struct linux_boot *lb, char *err,
		     size_t errlen);

/*
 * The boot region's bytes (lb->boot_size of them) into @buf: the zero page
 * with the setup header from @kernel, the command line, the e820 map from
 * @map (all RAM usable: the firmware accepts it before the kernel runs),
 * and the ACPI tables.  0, or -1 with @err.
 */
int linux_boot_build(const struct linux_boot *lb, const uint8_t *kernel,
		     const struct td_ram_map *map, uint8_t *buf, char *err, size_t errlen);

#endif /* SOFTTDX_VMM_LINUX_H */
