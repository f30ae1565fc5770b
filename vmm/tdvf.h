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

#endif /* SOFTTDX_VMM_TDVF_H */
