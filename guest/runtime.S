/* SPDX-License-Identifier: MIT */
/*
 * What every softtdx guest program needs at run time, whoever started it
 * (boot.S from the reset vector, or the firmware for a payload): the
 * exception and interrupt stubs of the IDT, and the TDCALL wrapper.
 */
	.text
/* One stub per exception vector: the same frame for all, then C. */
.macro stub vec, has_error
	.balign 16
	.globl	guest_vector_\vec
guest_vector_\vec:
	.if !\has_error
	push	$0
	.endif
	push	$\vec
	jmp	exception_common
.endm

	stub 0,0; stub 1,0; stub 2,0; stub 3,0; stub 4,0; stub 5,0; stub 6,0; stub 7,0
	stub 8,1; stub 9,0; stub 10,1; stub 11,1; stub 12,1; stub 13,1; stub 14,1; stub 15,0
	stub 16,0; stub 17,1; stub 18,0; stub 19,0; stub 20,0; stub 21,1

/* Vectors 22-255 (interrupts): the same frame with error 0; 16 bytes apart. */
	.set	vec, 22
	.rept	256 - 22
	.balign 16
	push	$0
	push	$vec
	jmp	exception_common
	.set	vec, vec + 1
	.endr

exception_common:
	push	%rax
	push	%rcx
	push	%rdx
	push	%rbx
	push	%rbp
	push	%rsi
	push	%rdi
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, %rdi
	call	guest_exception
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rbp
	pop	%rbx
	pop	%rdx
	pop	%rcx
	pop	%rax
	add	$16, %rsp
	iretq

/* u64 tdcall(struct tdcall_regs *r): every register in and out. */
	.globl	tdcall
tdcall:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	%rdi
	mov	0(%rdi), %rax
	mov	8(%rdi), %rcx
	mov	16(%rdi), %rdx
	mov	24(%rdi), %rbx
	mov	32(%rdi), %rsi
	mov	48(%rdi), %r8
	mov	56(%rdi), %r9
	mov	64(%rdi), %r10
	mov	72(%rdi), %r11
	mov	80(%rdi), %r12
	mov	88(%rdi), %r13
	mov	96(%rdi), %r14
	mov	104(%rdi), %r15
	mov	40(%rdi), %rdi
	.byte	0x66, 0x0f, 0x01, 0xcc
	xchg	%rdi, (%rsp)
	mov	%rax, 0(%rdi)
	mov	%rcx, 8(%rdi)
	mov	%rdx, 16(%rdi)
	mov	%rbx, 24(%rdi)
	mov	%rsi, 32(%rdi)
	mov	%r8, 48(%rdi)
	mov	%r9, 56(%rdi)
	mov	%r10, 64(%rdi)
	mov	%r11, 72(%rdi)
	mov	%r12, 80(%rdi)
	mov	%r13, 88(%rdi)
	mov	%r14, 96(%rdi)
	mov	%r15, 104(%rdi)
	pop	%rcx
	mov	%rcx, 40(%rdi)
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret

	.section .note.GNU-stack, "", @progbits
