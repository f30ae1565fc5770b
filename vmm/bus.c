// SPDX-License-Identifier: MIT
/*
 * The launcher's I/O buses, as QEMU's memory API and kvmtool's ioport and
 * MMIO trees: devices register port or MMIO regions, and each access goes
 * to the region that holds it.  An access wider than its region takes is
 * split into pieces the region takes, each dispatched on its own address,
 * little-endian, as QEMU splits them; what no region holds reads as all
 * ones and drops writes.  One device access at a time (QEMU's big lock):
 * vCPU threads share the devices.
 */
#include "vmm.h"

#include <errno.h>
#include <string.h>

void vmm_bus_init(struct vmm_bus *b, bool trace)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	b->trace = trace;
}

void vmm_bus_destroy(struct vmm_bus *b)
{
	pthread_mutex_destroy(&b->lock);
}

static bool overlaps(const struct vmm_region *r, enum vmm_space space, uint64_t base,
		     uint64_t len)
{
	return r->space == space && base < r->base + r->len && r->base < base + len;
}

int vmm_bus_register(struct vmm_bus *b, const struct vmm_region *r)
{
	uint64_t limit = r->space == VMM_SPACE_PIO ? 0x10000 : 0;

	if (!r->len || r->base + r->len < r->base || (limit && r->base + r->len > limit) ||
	    !r->ops || (r->max_access != 1 && r->max_access != 2 && r->max_access != 4 &&
			r->max_access != 8))
		return -EINVAL;
	for (size_t i = 0; i < b->nr; i++)
		if (overlaps(&b->r[i], r->space, r->base, r->len))
			return -EEXIST;
	if (b->nr == VMM_BUS_MAX_REGIONS)
		return -ENOSPC;
	b->r[b->nr++] = *r;
	return 0;
}

int vmm_bus_unregister(struct vmm_bus *b, enum vmm_space space, uint64_t base)
{
	for (size_t i = 0; i < b->nr; i++) {
		if (b->r[i].space == space && b->r[i].base == base) {
			b->r[i] = b->r[--b->nr];
			return 0;
		}
	}
	return -ENOENT;
}

static const struct vmm_region *find(const struct vmm_bus *b, enum vmm_space space,
				     uint64_t addr)
{
	for (size_t i = 0; i < b->nr; i++)
		if (overlaps(&b->r[i], space, addr, 1))
			return &b->r[i];
	return NULL;
}

/* Whether this unclaimed address is reported: the first time for each port, a few MMIO pages. */
static bool report_unclaimed(struct vmm_bus *b, enum vmm_space space, uint64_t addr)
{
	size_t n = sizeof(b->mmio_seen) / sizeof(b->mmio_seen[0]);
	uint64_t key = (addr >> 12) + 1;

	if (space == VMM_SPACE_PIO) {
		bool first = !(b->port_seen[addr / 8] & (1u << (addr % 8)));

		b->port_seen[addr / 8] |= (uint8_t)(1u << (addr % 8));
		return first;
	}
	for (size_t i = 0; i < n; i++) {
		if (b->mmio_seen[i] == key)
			return false;
		if (!b->mmio_seen[i]) {
			b->mmio_seen[i] = key;
			return true;
		}
	}
	return false;
}

/* One piece inside one region (or none): @size bytes at @addr. */
static void piece(struct vmm_bus *b, enum vmm_space space, uint64_t addr, unsigned int size,
		  bool write, uint8_t *data)
{
	const struct vmm_region *r = find(b, space, addr);
	uint64_t v = 0;

	if (!r) {
		if (b->trace && report_unclaimed(b, space, addr))
			fprintf(stderr, "softtdx: %s %#llx: no device (%s, %u bytes)\n",
				space == VMM_SPACE_PIO ? "port" : "MMIO", (unsigned long long)addr,
				write ? "write" : "read", size);
		if (!write)
			memset(data, 0xFF, size);
		return;
	}
	if (write) {
		memcpy(&v, data, size);
		r->ops->write(r->dev, addr - r->base, size, v);
	} else {
		v = r->ops->read(r->dev, addr - r->base, size);
		memcpy(data, &v, size);
	}
}

void vmm_bus_access(struct vmm_bus *b, enum vmm_space space, uint64_t addr, unsigned int size,
		    bool write, uint8_t *data)
{
	pthread_mutex_lock(&b->lock);
	while (size) {
		const struct vmm_region *r = find(b, space, addr);
		unsigned int n = size;

		if (r) {
			if (n > r->max_access)
				n = r->max_access;
			if (addr + n > r->base + r->len)
				n = (unsigned int)(r->base + r->len - addr);
		} else {
			for (unsigned int i = 1; i < n; i++)
				if (find(b, space, addr + i))
					n = i;	/* up to the region the access runs into */
		}
		while (n & (n - 1))	/* a power of two, as buses carry */
			n &= n - 1;
		piece(b, space, addr, n, write, data);
		addr += n;
		data += n;
		size -= n;
	}
	pthread_mutex_unlock(&b->lock);
}
