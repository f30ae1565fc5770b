/* SPDX-License-Identifier: MIT */
/* A guest image as data in a host program: BLOB_NAME[] and BLOB_NAME_size. */
#define CAT(a, b) a##b
#define SIZE(n) CAT(n, _size)
	.section .rodata
	.balign 4096
	.globl	BLOB_NAME
BLOB_NAME:
	.incbin	BLOB_FILE
1:
	.balign 8
	.globl	SIZE(BLOB_NAME)
SIZE(BLOB_NAME):
	.quad	1b - BLOB_NAME
	.section .note.GNU-stack, "", @progbits
