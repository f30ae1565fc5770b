/* SPDX-License-Identifier: MIT */
/*
 * TDVF firmware images: the TDX metadata of an OVMF-style image (its
 * sections, where they go in the TD and how they are measured), and the
 * MRTD a TD built from it will have.  Pure functions over a byte buffer:
 * no file or KVM access here.
 */
#ifndef SOFTTDX_VMM_TDVF_H
#define SOFTTDX_VMM_TDVF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tdvf_section_type {
	TDVF_SECTION_BFV = 0,		/* boot firmware volume: code, measured */
	TDVF_SECTION_CFV = 1,		/* configuration volume: variables */
	TDVF_SECTION_TD_HOB = 2,	/* where the VMM writes the TD HOB */
	TDVF_SECTION_TEMP_MEM = 3,	/* zeroed scratch memory */
	/*
	 * td-shim's number for a payload.  Never accepted from an image's
	 * metadata (QEMU rejects it too): tdvf_add_payload() makes it.
	 */
	TDVF_SECTION_PAYLOAD = 5,
};

#define TDVF_ATTR_MR_EXTEND	(1u << 0)	/* contents go into MRTD */
#define TDVF_ATTR_PAGE_AUG	(1u << 1)	/* AUGed at runtime, not ADDed */

struct tdvf_section {
	uint32_t data_offset;		/* in the image */
	uint32_t raw_size;		/* bytes taken from the image */
	uint64_t address;		/* GPA */
	uint64_t size;			/* bytes in the TD, >= raw_size */
	uint32_t type;
	uint32_t attributes;
};

#define TDVF_MAX_SECTIONS	64

struct tdvf_meta {
	uint32_t nr_sections;
	struct tdvf_section sections[TDVF_MAX_SECTIONS];
};

/*
 * Finds and checks the TDX metadata of @image (@len bytes), as QEMU does,
 * plus what a hostile image could otherwise get past: data outside the
 * image and overlapping sections.  0, or -1 with a one-line reason naming
 * the bad field in @err.
 */
int tdvf_parse(const uint8_t *image, size_t len, struct tdvf_meta *meta, char *err,
	       size_t errlen);

/*
 * --payload: softtdx's TDVF names, in its OVMF table, a window where the
 * VMM adds a payload ELF file (docs/payload-abi.md).  @image holds the
 * firmware (@fw_len bytes) followed by the file (@payload_len bytes); this
 * checks the file as the firmware will and appends to @meta a measured
 * PAYLOAD section with the file's pages.  @ram_size (0: unknown) bounds
 * where its segments may load.  0, or -1 with a one-line reason in @err.
 */
int tdvf_add_payload(const uint8_t *image, size_t fw_len, size_t payload_len,
		     uint64_t ram_size, struct tdvf_meta *meta, char *err, size_t errlen);

enum tdvf_measure_order {
	TDVF_MEASURE_PER_PAGE,	/* upstream KVM: each page's ADD, then its EXTENDs */
	TDVF_MEASURE_TWO_PASS,	/* older stacks: a section's ADDs, then its EXTENDs */
};

/*
 * The MRTD of a TD whose initial memory is @meta's sections of @image
 * (as tdvf_parse() accepted them).  0, or -1 if OpenSSL fails.
 */
int tdvf_mrtd(const uint8_t *image, const struct tdvf_meta *meta,
	      enum tdvf_measure_order order, uint8_t mrtd[48]);

/* ---- the TD's RAM map and the TD HOB (td_hob.c) -------------------------------------- */

enum td_ram_type {
	TD_RAM_UNACCEPTED,	/* the guest accepts it (TDG.MEM.PAGE.ACCEPT) */
	TD_RAM_ADDED,		/* a TD_HOB or TempMem section: added before finalize */
};

struct td_ram_entry {
	uint64_t address, length;
	enum td_ram_type type;
};

#define TD_RAM_MAX_ENTRIES	(2 + 2 * TDVF_MAX_SECTIONS)

struct td_ram_map {
	uint32_t nr;
	struct td_ram_entry e[TD_RAM_MAX_ENTRIES];
};

/*
 * QEMU's q35 layout of @ram_size bytes (below 4 GiB up to 2 GiB when
 * there are at least 0xB0000000 bytes, else all of it; the rest from
 * 4 GiB), with every TD_HOB and TempMem section that is not PAGE.AUG
 * carved out as ADDED, sorted by address.  Each such section must lie inside one RAM range.  0, or -1
 * with the reason in @err.
 */
int td_ram_map_build(uint64_t ram_size, const struct tdvf_meta *meta, struct td_ram_map *map,
		     char *err, size_t errlen);

/*
 * The TD HOB, as QEMU writes it into the TD_HOB section at @hob_gpa: a
 * PHIT handoff table, one resource descriptor per RAM range, the end HOB.
 * Returns the bytes used, or 0 (with @err) when @size is too small.
 */
size_t td_hob_build(const struct td_ram_map *map, uint64_t hob_gpa, uint8_t *buf, size_t size,
		    char *err, size_t errlen);

#endif /* SOFTTDX_VMM_TDVF_H */
