// SPDX-License-Identifier: MIT
/*
 * The launcher's port devices, as QEMU has them: a 16550 UART at 0x3F8
 * (output and a line status that always says "transmitter empty"), the
 * debug console at 0x402, isa-debug-exit, the RTC's CMOS (cmos.c), and all
 * ones for a port nothing claims.
 */
#include "vmm.h"

#include <string.h>

#define COM1		0x3F8
#define COM1_LSR	(COM1 + 5)
#define LSR_THR_EMPTY	0x60
#define DEBUGCON	0x402
#define DEBUGCON_READ	0xE9	/* what QEMU's debugcon reads back */

static void put(FILE *f, uint8_t c)
{
	if (f) {
		fputc(c, f);
		if (c == '\n')
			fflush(f);
	}
}

static bool unclaimed(struct vmm_devices *d, uint16_t port)
{
	bool first = !(d->port_seen[port / 8] & (1u << (port % 8)));

	d->port_seen[port / 8] |= (uint8_t)(1u << (port % 8));
	return first;
}

void vmm_devices_io(struct vmm_devices *d, uint16_t port, unsigned int size, bool write,
		    uint8_t *data)
{
	if (port == COM1 && write) {
		put(d->serial, data[0]);
	} else if (port >= COM1 && port < COM1 + 8) {
		if (!write)
			memset(data, port == COM1_LSR ? LSR_THR_EMPTY : 0, size);
	} else if (port == DEBUGCON) {
		if (write)
			put(d->debugcon, data[0]);
		else
			memset(data, DEBUGCON_READ, size);
	} else if (size == 1 && vmm_cmos_io(&d->cmos, port, write, data)) {
		return;
	} else if (d->exit_port >= 0 && port == d->exit_port && write) {
		uint32_t v = 0;

		memcpy(&v, data, size < 4 ? size : 4);
		d->exit_status = (int)((v << 1) | 1) & 0xFF;
	} else {
		if (d->trace && unclaimed(d, port))
			fprintf(stderr, "softtdx: port 0x%x: no device (%s, %u bytes)\n", port,
				write ? "write" : "read", size);
		if (!write)
			memset(data, 0xFF, size);
	}
}

/* Whether @gpa's page is reported the first time: a small set, then always. */
static bool mmio_first(struct vmm_devices *d, uint64_t gpa)
{
	uint64_t key = (gpa >> 12) + 1;
	size_t n = sizeof(d->mmio_seen) / sizeof(d->mmio_seen[0]);

	for (size_t i = 0; i < n; i++) {
		if (d->mmio_seen[i] == key)
			return false;
		if (!d->mmio_seen[i]) {
			d->mmio_seen[i] = key;
			return true;
		}
	}
	return true;
}

void vmm_devices_mmio(struct vmm_devices *d, uint64_t gpa, unsigned int len, bool write,
		      uint8_t *data)
{
	if (!write)
		memset(data, 0xFF, len < 8 ? len : 8);
	if (d->trace && mmio_first(d, gpa))
		fprintf(stderr, "softtdx: MMIO %s %#llx: no device\n", write ? "write" : "read",
			(unsigned long long)gpa);
}
