/* SPDX-License-Identifier: MIT */
/*
 * What makes softtdx's firmware a TDVF image a VMM can load: the TDX
 * metadata (sections and how they are measured) and the OVMF GUIDed table
 * at the end of the image that points at it, laid out as OVMF lays its own
 * (footer GUID 48 bytes before the end, entries [data][u16 length][GUID]
 * walked backwards).  One more table entry, under softtdx's own GUID, says
 * where the VMM puts a payload, and one where it puts a Linux kernel's
 * boot region (docs/linux-td.md).  The addresses are in tdvf_layout.h.
 */
#include "tdvf_layout.h"

#define SECTION_BFV		0
#define SECTION_TD_HOB		2
#define SECTION_TEMP_MEM	3
#define ATTR_MR_EXTEND		1

/* boot.S starts each vCPU on the stack it will give the payload. */
	.globl	boot_stacks, boot_stack_shift
	.set	boot_stacks, TDVF_TEMP_MEM
	.set	boot_stack_shift, TDVF_STACK_SHIFT

.macro section offset, raw, address, size, type, attributes
	.long	\offset, \raw
	.quad	\address, \size
	.long	\type, \attributes
.endm

	.section .rodata
	.balign 16
	/* e9eaf9f3-168e-44d5-a8eb-7f4d8738f6ae: the metadata GUID precedes the descriptor */
	.byte	0xf3, 0xf9, 0xea, 0xe9, 0x8e, 0x16, 0xd5, 0x44
	.byte	0xa8, 0xeb, 0x7f, 0x4d, 0x87, 0x38, 0xf6, 0xae
	.globl	tdvf_descriptor
tdvf_descriptor:
	.ascii	"TDVF"
	.long	16 + 32 * 3, 1, 3	/* Length, Version, NumberOfSectionEntries */
	section	0, TDVF_IMAGE_SIZE, TDVF_IMAGE_BASE, TDVF_IMAGE_SIZE, SECTION_BFV, ATTR_MR_EXTEND
	section	0, 0, TDVF_TEMP_MEM, TDVF_TEMP_MEM_SIZE, SECTION_TEMP_MEM, 0
	section	0, 0, TDVF_HOB, TDVF_HOB_SIZE, SECTION_TD_HOB, 0

/*
 * The table, ending with the footer GUID at 0xFFFFFFD0; tdvf.ld puts this
 * section at 0xFFFFFF00 and the reset vector at 0xFFFFFFF0.
 */
#define PAYLOAD_ENTRY_LEN	(16 + 18)
#define LINUX_ENTRY_LEN		(16 + 18)
#define METADATA_ENTRY_LEN	(4 + 18)
#define TABLE_LEN		(LINUX_ENTRY_LEN + PAYLOAD_ENTRY_LEN + METADATA_ENTRY_LEN + 18)
	.section .ovmftable, "a"
table_start:
	.fill	0xD0 - (TABLE_LEN - 16), 1, 0
	/* softtdx Linux boot region, 50e67227-7d42-4250-b3ce-93bccd5e2179 */
	.quad	TDVF_LINUX_BOOT, TDVF_LINUX_BOOT_MAX
	.word	LINUX_ENTRY_LEN
	.byte	0x27, 0x72, 0xe6, 0x50, 0x42, 0x7d, 0x50, 0x42
	.byte	0xb3, 0xce, 0x93, 0xbc, 0xcd, 0x5e, 0x21, 0x79
	/* softtdx payload window, f74bc86c-b44d-4af5-8b36-5b60d23084b3 */
	.quad	TDVF_PAYLOAD, TDVF_PAYLOAD_MAX
	.word	PAYLOAD_ENTRY_LEN
	.byte	0x6c, 0xc8, 0x4b, 0xf7, 0x4d, 0xb4, 0xf5, 0x4a
	.byte	0x8b, 0x36, 0x5b, 0x60, 0xd2, 0x30, 0x84, 0xb3
	/* TDX metadata offset (from the end of the image), e47a6535-984a-4798-865e-4685a7bf8ec2 */
	.long	TDVF_DESCRIPTOR_FROM_END
	.word	METADATA_ENTRY_LEN
	.byte	0x35, 0x65, 0x7a, 0xe4, 0x4a, 0x98, 0x98, 0x47
	.byte	0x86, 0x5e, 0x46, 0x85, 0xa7, 0xbf, 0x8e, 0xc2
	/* the table's length, then the footer, 96b582de-1fb2-45f7-baea-a366c55a082d */
	.word	TABLE_LEN
	.if	. - table_start != 0xD0
	.error	"the OVMF table footer must sit 48 bytes before the end of the image"
	.endif
	.byte	0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45
	.byte	0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d
	.fill	16, 1, 0

	.section .note.GNU-stack, "", @progbits
