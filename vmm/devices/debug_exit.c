// SPDX-License-Identifier: MIT
/*
 * QEMU's isa-debug-exit: a write of V to its two ports asks to end with
 * status (V << 1) | 1, so a guest's 0 is 1 and no guest can fake 0 ("all
 * went well" is the VMM's to say); reads give all ones.
 */
#include "../vmm.h"

static uint64_t debug_exit_read(void *dev, uint64_t offset, unsigned int size)
{
	(void)dev;
	(void)offset;
	return vmm_ones(size);
}

static void debug_exit_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	struct vmm_debug_exit *d = dev;

	(void)offset;
	(void)size;
	d->status = (int)(((val << 1) | 1) & 0xFF);
}

static const struct vmm_io_ops debug_exit_ops = { debug_exit_read, debug_exit_write };

int vmm_debug_exit_register(struct vmm_debug_exit *d, struct vmm_bus *b, uint16_t iobase)
{
	d->status = -1;
	return vmm_bus_register(b, &(struct vmm_region){ VMM_SPACE_PIO, iobase, 2, 4,
							 &debug_exit_ops, d });
}
