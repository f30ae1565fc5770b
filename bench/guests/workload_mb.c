// SPDX-License-Identifier: MIT
/*
 * bench/workload.h under QEMU: the rounds come from the command line
 * (-append "rounds=N"), the hash goes to debugcon (port 0xE9) as
 * "hash=<16 hex digits>", and isa-debug-exit (port 0xF4) ends QEMU with
 * status 1.  Same code and compiler flags as the TD's guest.
 */
#include <stdint.h>

#include "../workload.h"

#define MBI_CMDLINE	(1u << 2)	/* multiboot info flag: cmdline valid */
#define PORT_DEBUGCON	0xE9
#define PORT_DEBUG_EXIT	0xF4

static uint8_t buf[WORKLOAD_BYTES];

static void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static void put_hash(uint64_t h)
{
	static const char prefix[] = "hash=";

	for (const char *p = prefix; *p; p++)
		outb(PORT_DEBUGCON, (uint8_t)*p);
	for (int shift = 60; shift >= 0; shift -= 4)
		outb(PORT_DEBUGCON, (uint8_t)"0123456789abcdef"[(h >> shift) & 0xF]);
	outb(PORT_DEBUGCON, '\n');
}

/* The number after "rounds=" (QEMU puts the kernel's path first), or 0. */
static unsigned int rounds_from(const char *cmdline)
{
	static const char key[] = "rounds=";
	unsigned int n = 0;

	for (; *cmdline; cmdline++) {
		unsigned int i = 0;

		while (key[i] && cmdline[i] == key[i])
			i++;
		if (key[i])
			continue;
		for (cmdline += i; *cmdline >= '0' && *cmdline <= '9'; cmdline++)
			n = n * 10 + (unsigned int)(*cmdline - '0');
		break;
	}
	return n;
}

void mb_main(uint32_t mbi);
void mb_main(uint32_t mbi)
{
	const uint32_t *info = (const uint32_t *)(uintptr_t)mbi;
	const char *cmdline = info[0] & MBI_CMDLINE ? (const char *)(uintptr_t)info[4] : "";

	put_hash(workload(buf, rounds_from(cmdline)));
	outb(PORT_DEBUG_EXIT, 0);
}
