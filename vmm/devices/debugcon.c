// SPDX-License-Identifier: MIT
/* QEMU's debug console (-debugcon): bytes written go out, reads give 0xE9 as QEMU's. */
#include "../vmm.h"

#define DEBUGCON_READ	0xE9

static uint64_t debugcon_read(void *dev, uint64_t offset, unsigned int size)
{
	(void)dev;
	(void)offset;
	(void)size;
	return DEBUGCON_READ;
}

static void debugcon_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	struct vmm_debugcon *d = dev;

	(void)offset;
	(void)size;
	if (d->out) {
		fputc((int)(val & 0xFF), d->out);
		fflush(d->out);
	}
}

static const struct vmm_io_ops debugcon_ops = { debugcon_read, debugcon_write };

int vmm_debugcon_register(struct vmm_debugcon *d, struct vmm_bus *b, uint16_t port, FILE *out)
{
	d->out = out;
	return vmm_bus_register(b, &(struct vmm_region){ VMM_SPACE_PIO, port, 1, 1,
							 &debugcon_ops, d });
}
