/* SPDX-License-Identifier: MIT */
/*
 * Start-up of a softtdx test guest: from the TDX initial vCPU state (32-bit
 * protected mode, paging off, EFER.LME set, EBX = GPAW, ESI = vCPU index,
 * ECX = the INIT_VCPU value) to 64-bit C with identity-mapped low 4 GiB.
 * vCPU i's stack is [boot_stacks + i << boot_stack_shift, + 1 << shift):
 * the image's own (link.ld), or softtdx's TDVF's in TempMem (tdvf_table.S).
 * Two more aliases of that 4 GiB carry a shared bit in their PTEs: VA
 * 512 GiB (GPA bit 47, GPAW 48) and VA 1 TiB (GPA bit 51, GPAW 52).
 */
#define CR0_PG		0x80000000
#define CR4_PAE		0x20
#define SEL_CODE64	0x08
#define SEL_DATA	0x10

	.section .text.entry32, "ax"
	.code32
entry32:
	mov	%ecx, %edi
	lgdt	gdt_desc
	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	$pml4, %eax
	mov	%eax, %cr3
	mov	%cr0, %eax
	or	$CR0_PG, %eax
	mov	%eax, %cr0
	ljmp	$SEL_CODE64, $entry64

	.code64
entry64:
	mov	$SEL_DATA, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	lea	1(%rsi), %eax
	mov	$boot_stack_shift, %ecx
	shl	%cl, %rax
	mov	$boot_stacks, %edx	/* below 4 GiB: zero-extended */
	add	%rdx, %rax
	mov	%rax, %rsp
	mov	%edi, %edi		/* initial RCX (low half) */
	mov	%esi, %esi		/* vCPU index */
	mov	%ebx, %edx		/* GPAW */
	call	guest_start
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

	.section .pagetables, "aw"
	.balign 4096
pml4:
	.quad	pdpt_private + 3
	.quad	pdpt_shared47 + 3
	.quad	pdpt_shared51 + 3
	.fill	509, 8, 0
.macro gib_pages bit
	.quad	\bit | 0x00000083, \bit | 0x40000083, \bit | 0x80000083, \bit | 0xC0000083
	.fill	508, 8, 0
.endm
pdpt_private:
	gib_pages 0
pdpt_shared47:
	gib_pages (1 << 47)
pdpt_shared51:
	gib_pages (1 << 51)

	.section .resetvector, "ax"
	.code32
	.globl	reset_vector
reset_vector:
	jmp	entry32

	.section .note.GNU-stack, "", @progbits
