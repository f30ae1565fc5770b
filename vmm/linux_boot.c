// SPDX-License-Identifier: MIT
/*
 * -kernel through softtdx's TDVF: where the kernel, initrd and boot region
 * go in the TD, and the zero page the firmware hands the kernel's 64-bit
 * entry.  The VMM adds all three measured before the TD runs, so MRTD
 * covers the kernel, initrd, command line and ACPI tables byte for byte.
 */
#include "linux.h"
#include "tdvf_internal.h"
#include "vmm.h"

#include <string.h>

#define GiB			(1ULL << 30)
#define LOW_RAM_SPLIT		0xB0000000ULL	/* as td_ram_map_build() */
#define ICH9_PM_BASE		0x600		/* where the firmware puts PMBASE, as OVMF */

/* boot_params (arch/x86/include/uapi/asm/bootparam.h) */
#define BP_ACPI_RSDP_ADDR	0x070
#define BP_EXT_RAMDISK_IMAGE	0x0c0
#define BP_EXT_RAMDISK_SIZE	0x0c4
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_E820_ENTRIES		0x1e8
#define BP_HDR			0x1f1
#define BP_TYPE_OF_LOADER	0x210
#define BP_LOADFLAGS		0x211
#define BP_CODE32_START		0x214
#define BP_RAMDISK_IMAGE	0x218
#define BP_RAMDISK_SIZE		0x21c
#define BP_CMD_LINE_PTR		0x228
#define BP_E820_TABLE		0x2d0
#define E820_MAX		128
#define LOADER_UNDEFINED	0xff
#define LOADED_HIGH		(1u << 0)

enum e820_type { E820_RAM = 1, E820_ACPI = 3, E820_NVS = 4 };

/* f74bc86c... is the payload window; this is the Linux boot region's entry. */
static const uint8_t linux_window_guid[16] = {
	0x27, 0x72, 0xe6, 0x50, 0x42, 0x7d, 0x50, 0x42,
	0xb3, 0xce, 0x93, 0xbc, 0xcd, 0x5e, 0x21, 0x79,
};

static uint64_t page_up(uint64_t n)
{
	return (n + PAGE_SIZE_4K - 1) & ~(uint64_t)(PAGE_SIZE_4K - 1);
}

static size_t cmdline_area(const struct linux_boot *lb)
{
	return page_up(strlen(lb->cmdline) + 1);
}

static void add_section(struct tdvf_meta *meta, uint64_t offset, uint64_t raw, uint64_t gpa)
{
	meta->sections[meta->nr_sections++] = (struct tdvf_section){
		.data_offset = (uint32_t)offset, .raw_size = (uint32_t)raw, .address = gpa,
		.size = page_up(raw), .type = TDVF_SECTION_PAYLOAD,
		.attributes = TDVF_ATTR_MR_EXTEND,
	};
}

/* The firmware's boot region: where, and how much it may hold. */
static int boot_window(const uint8_t *image, size_t fw_len, struct linux_boot *lb,
		       uint64_t *max, char *err, size_t errlen)
{
	const uint8_t *entry;
	size_t entry_len;

	if (tdvf_find_table_entry(image, fw_len, linux_window_guid, &entry, &entry_len, err,
				  errlen) || entry_len < 16)
		return tdvf_fail(err, errlen, "the firmware takes no -kernel (not softtdx's TDVF; "
				 "OVMF loads a kernel itself)");
	lb->boot_gpa = le64(entry);
	*max = le64(entry + 8);
	return 0;
}

/* The initrd at the top of low RAM, under the kernel's limit and above everything else. */
static int place_initrd(struct linux_boot *lb, uint64_t low_top, const struct tdvf_meta *meta,
			char *err, size_t errlen)
{
	uint64_t top = low_top, kernel_end = lb->kernel_gpa + lb->bz.init_size;

	if (!lb->initrd_len)
		return 0;
	if (top > (uint64_t)lb->bz.initrd_addr_max + 1)
		top = (uint64_t)lb->bz.initrd_addr_max + 1;
	top &= ~(uint64_t)(PAGE_SIZE_4K - 1);
	if (lb->initrd_len > top || top - page_up(lb->initrd_len) < page_up(kernel_end))
		return tdvf_fail(err, errlen, "initrd of %llu bytes does not fit between the kernel "
				 "(up to %#llx) and %#llx: give the TD more memory (-m)",
				 (unsigned long long)lb->initrd_len, (unsigned long long)kernel_end,
				 (unsigned long long)top);
	lb->initrd_gpa = top - page_up(lb->initrd_len);
	if (tdvf_meets_section(meta, lb->initrd_gpa, page_up(lb->initrd_len)))
		return tdvf_fail(err, errlen, "initrd at %#llx would overlap the firmware's memory",
				 (unsigned long long)lb->initrd_gpa);
	return 0;
}

int linux_boot_place(const uint8_t *image, size_t fw_len, size_t kernel_len, size_t initrd_len,
		     uint64_t ram_size, struct tdvf_meta *meta, struct linux_boot *lb, char *err,
		     size_t errlen)
{
	uint64_t low_top = ram_size >= LOW_RAM_SPLIT ? 2 * GiB : ram_size, max = 0;
	size_t acpi_max = 64 * 1024;

	if (bzimage_parse(image + fw_len, kernel_len, &lb->bz, err, errlen) ||
	    boot_window(image, fw_len, lb, &max, err, errlen))
		return -1;
	if (strlen(lb->cmdline) > lb->bz.cmdline_max)
		return tdvf_fail(err, errlen, "-append: %zu bytes, the kernel takes %u at most",
				 strlen(lb->cmdline), lb->bz.cmdline_max);
	lb->boot_size = LINUX_CMDLINE_OFFSET + cmdline_area(lb) + acpi_max;
	if (lb->boot_size > max || lb->boot_gpa % PAGE_SIZE_4K ||
	    tdvf_meets_section(meta, lb->boot_gpa, lb->boot_size))
		return tdvf_fail(err, errlen, "the firmware's boot region %#llx (%llu bytes) cannot "
				 "hold %llu bytes", (unsigned long long)lb->boot_gpa,
				 (unsigned long long)max, (unsigned long long)lb->boot_size);
	lb->kernel_gpa = lb->bz.pref_address;
	if (lb->kernel_gpa + lb->bz.init_size > low_top ||
	    tdvf_meets_section(meta, lb->kernel_gpa, lb->bz.init_size))
		return tdvf_fail(err, errlen, "the kernel needs [%#llx, %#llx) in RAM below 4 GiB: "
				 "give the TD more memory (-m)", (unsigned long long)lb->kernel_gpa,
				 (unsigned long long)(lb->kernel_gpa + lb->bz.init_size));
	lb->initrd_len = initrd_len;
	if (place_initrd(lb, low_top, meta, err, errlen))
		return -1;
	if (meta->nr_sections + 3 > TDVF_MAX_SECTIONS)
		return tdvf_fail(err, errlen, "too many sections");
	add_section(meta, fw_len + lb->bz.setup_len, lb->bz.kernel_len, lb->kernel_gpa);
	if (initrd_len)
		add_section(meta, fw_len + kernel_len, initrd_len, lb->initrd_gpa);
	add_section(meta, fw_len + kernel_len + initrd_len, lb->boot_size, lb->boot_gpa);
	return 0;
}

/* ---- the boot region --------------------------------------------------------------------- */

struct e820 {
	uint8_t *zp;
	unsigned int nr;
	bool full;
};

/* Appends [addr, addr + len) of @type, merged with the last entry when they meet. */
static void e820_add(struct e820 *e, uint64_t addr, uint64_t len, enum e820_type type)
{
	uint8_t *last = e->zp + BP_E820_TABLE + 20 * (e->nr - 1);

	if (!len)
		return;
	if (e->nr && le32(last + 16) == type && le64(last) + le64(last + 8) == addr) {
		put_le(last + 8, le64(last + 8) + len, 8);
		return;
	}
	if (e->nr == E820_MAX) {
		e->full = true;
		return;
	}
	last = e->zp + BP_E820_TABLE + 20 * e->nr++;
	put_le(last, addr, 8);
	put_le(last + 8, len, 8);
	put_le(last + 16, type, 4);
}

/* All RAM, the mailbox as ACPI NVS (the APs poll it) and the tables as ACPI data. */
static int build_e820(const struct linux_boot *lb, const struct td_ram_map *map,
		      uint64_t acpi_gpa, uint64_t acpi_len, uint8_t *zp)
{
	struct e820 e = { .zp = zp };

	for (uint32_t i = 0; i < map->nr; i++) {
		const struct td_ram_entry *r = &map->e[i];

		if (r->address != lb->boot_gpa) {
			e820_add(&e, r->address, r->length, E820_RAM);
			continue;
		}
		e820_add(&e, lb->boot_gpa, PAGE_SIZE_4K, E820_NVS);
		e820_add(&e, lb->boot_gpa + PAGE_SIZE_4K, acpi_gpa - lb->boot_gpa - PAGE_SIZE_4K,
			 E820_RAM);
		e820_add(&e, acpi_gpa, page_up(acpi_len), E820_ACPI);
		e820_add(&e, acpi_gpa + page_up(acpi_len),
			 r->address + r->length - acpi_gpa - page_up(acpi_len), E820_RAM);
	}
	zp[BP_E820_ENTRIES] = (uint8_t)e.nr;
	return e.full ? -1 : 0;
}

int linux_boot_build(const struct linux_boot *lb, const uint8_t *kernel,
		     const struct td_ram_map *map, uint8_t *buf, char *err, size_t errlen)
{
	uint8_t *zp = buf + LINUX_ZERO_PAGE_OFFSET;
	uint64_t cmdline_gpa = lb->boot_gpa + LINUX_CMDLINE_OFFSET;
	uint64_t acpi_off = LINUX_CMDLINE_OFFSET + cmdline_area(lb);
	const struct acpi_machine m = {
		.cpus = lb->cpus, .mailbox = lb->boot_gpa + LINUX_MAILBOX_OFFSET,
		.pm_base = ICH9_PM_BASE, .ioapic_base = VMM_IOAPIC_BASE,
	};
	size_t acpi_len;

	memset(buf, 0, lb->boot_size);
	acpi_len = acpi_build(&m, lb->boot_gpa + acpi_off, buf + acpi_off, lb->boot_size - acpi_off);
	if (!acpi_len)
		return tdvf_fail(err, errlen, "the ACPI tables for %u vCPUs do not fit", lb->cpus);
	/* The setup header as the file has it, then what the boot loader fills in. */
	memcpy(zp + BP_HDR, kernel + BP_HDR, 0x202 + kernel[0x201] - BP_HDR);
	zp[BP_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	zp[BP_LOADFLAGS] |= LOADED_HIGH;
	put_le(zp + BP_CODE32_START, lb->kernel_gpa, 4);
	put_le(zp + BP_RAMDISK_IMAGE, lb->initrd_gpa, 4);
	put_le(zp + BP_RAMDISK_SIZE, lb->initrd_len, 4);
	put_le(zp + BP_EXT_RAMDISK_IMAGE, lb->initrd_gpa >> 32, 4);
	put_le(zp + BP_EXT_RAMDISK_SIZE, lb->initrd_len >> 32, 4);
	put_le(zp + BP_CMD_LINE_PTR, cmdline_gpa, 4);
	put_le(zp + BP_EXT_CMD_LINE_PTR, cmdline_gpa >> 32, 4);
	put_le(zp + BP_ACPI_RSDP_ADDR, lb->boot_gpa + acpi_off, 8);
	memcpy(buf + LINUX_CMDLINE_OFFSET, lb->cmdline, strlen(lb->cmdline) + 1);
	if (build_e820(lb, map, lb->boot_gpa + acpi_off, acpi_len, zp))
		return tdvf_fail(err, errlen, "the memory map needs more than %d e820 entries",
				 E820_MAX);
	return 0;
}
