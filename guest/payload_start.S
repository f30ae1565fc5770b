/* SPDX-License-Identifier: MIT */
/*
 * A payload's entry point, as softtdx's TDVF calls it on every vCPU
 * (docs/payload-abi.md): RDI = TD HOB GPA, ESI = vCPU index, EDX = GPAW,
 * RSP = the top of this vCPU's stack.  guest_start() calls guest_main()
 * with the same three values.
 */
	.section .text.entry, "ax"
	.globl	_start
_start:
	and	$-16, %rsp
	call	guest_start
1:	hlt
	jmp	1b

	.section .note.GNU-stack, "", @progbits
