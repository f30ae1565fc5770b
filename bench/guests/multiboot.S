/* SPDX-License-Identifier: MIT */
/*
 * Start-up of the QEMU baseline image: a multiboot v1 kernel (the address
 * fields make a flat binary loadable), entered in 32-bit protected mode
 * with EBX = the multiboot information; into 64-bit mode with the low
 * 1 GiB identity-mapped by 2 MiB pages, then mb_main(mbi).
 */
#define MB_MAGIC	0x1BADB002
#define MB_FLAGS	0x00010000	/* the address fields below are valid */
#define CR0_PE_PG	0x80000001
#define CR4_PAE		0x20
#define MSR_EFER	0xC0000080
#define EFER_LME	0x100
#define SEL_CODE64	0x08
#define SEL_DATA	0x10

	.section .multiboot, "a"
	.balign 4
mb_header:
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	(0 - (MB_MAGIC + MB_FLAGS)) & 0xFFFFFFFF
	.long	mb_header
	.long	mb_load_start
	.long	mb_load_end
	.long	mb_bss_end
	.long	mb_entry

	.section .text.entry32, "ax"
	.code32
	.globl	mb_entry
mb_entry:
	mov	%ebx, %edi
	lgdt	gdt_desc
	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	$pml4, %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME, %eax
	wrmsr
	mov	%cr0, %eax
	or	$CR0_PE_PG, %eax
	mov	%eax, %cr0
	ljmp	$SEL_CODE64, $entry64

	.code64
entry64:
	mov	$SEL_DATA, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	lea	stack_top(%rip), %rsp
	mov	%edi, %edi		/* the multiboot information's address */
	call	mb_main
1:	hlt
	jmp	1b

	.section .data
	.balign 8
gdt:
	.quad	0
	.quad	0x00AF9A000000FFFF	/* 64-bit code */
	.quad	0x00CF92000000FFFF	/* data */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt

	.balign 4096
pml4:
	.quad	pdpt + 3		/* present, writable */
	.fill	511, 8, 0
pdpt:
	.quad	pd + 3
	.fill	511, 8, 0
pd:
	.set	i, 0
	.rept	512
	.quad	(i << 21) | 0x83	/* present, writable, 2 MiB */
	.set	i, i + 1
	.endr

	.section .bss
	.balign 16
	.skip	16384
stack_top:

	.section .note.GNU-stack, "", @progbits
