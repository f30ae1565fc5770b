// SPDX-License-Identifier: MIT
/*
 * The launcher's buses (vmm/bus.c) and its simple devices: registration
 * errors, dispatch by address, accesses split to what a region takes,
 * unclaimed addresses, and the machine `softtdx run` assembles.
 */
#include "tdtest.h"

#include "../vmm/vmm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A recording device: what it saw, and reads that say where they went. */
struct probe {
	unsigned int reads, writes;
	uint64_t last_offset, last_val;
	unsigned int last_size;
};

static uint64_t probe_read(void *dev, uint64_t offset, unsigned int size)
{
	struct probe *p = dev;

	p->reads++;
	p->last_offset = offset;
	p->last_size = size;
	return 0xA0 + offset;
}

static void probe_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	struct probe *p = dev;

	p->writes++;
	p->last_offset = offset;
	p->last_size = size;
	p->last_val = val;
}

static const struct vmm_io_ops probe_ops = { probe_read, probe_write };

static struct vmm_region region(enum vmm_space s, uint64_t base, uint64_t len,
				unsigned int max, struct probe *p)
{
	return (struct vmm_region){ s, base, len, max, &probe_ops, p };
}

static void test_register_errors(void **state)
{
	struct vmm_bus b;
	struct probe p = { 0 };
	struct vmm_region r;

	(void)state;
	vmm_bus_init(&b, false);
	r = region(VMM_SPACE_PIO, 0x100, 0, 1, &p);
	assert_int_equal(vmm_bus_register(&b, &r), -EINVAL);		/* empty */
	r = region(VMM_SPACE_PIO, 0xFFFF, 2, 1, &p);
	assert_int_equal(vmm_bus_register(&b, &r), -EINVAL);		/* past port 0xFFFF */
	r = region(VMM_SPACE_MMIO, ~0ULL, 2, 1, &p);
	assert_int_equal(vmm_bus_register(&b, &r), -EINVAL);		/* wraps */
	r = region(VMM_SPACE_PIO, 0x100, 4, 3, &p);
	assert_int_equal(vmm_bus_register(&b, &r), -EINVAL);		/* access size 3 */
	r = region(VMM_SPACE_PIO, 0x100, 4, 1, &p);
	assert_int_equal(vmm_bus_register(&b, &r), 0);
	r = region(VMM_SPACE_PIO, 0x103, 1, 1, &p);
	assert_int_equal(vmm_bus_register(&b, &r), -EEXIST);
	r = region(VMM_SPACE_MMIO, 0x100, 4, 1, &p);			/* the other space */
	assert_int_equal(vmm_bus_register(&b, &r), 0);
	for (unsigned int i = 2; i < VMM_BUS_MAX_REGIONS; i++) {
		r = region(VMM_SPACE_PIO, 0x200 + i, 1, 1, &p);
		assert_int_equal(vmm_bus_register(&b, &r), 0);
	}
	r = region(VMM_SPACE_PIO, 0x300, 1, 1, &p);
	assert_int_equal(vmm_bus_register(&b, &r), -ENOSPC);
	vmm_bus_destroy(&b);
}

/* A 4-byte read of a byte-wide region is four reads, assembled little-endian. */
static void test_split_and_unclaimed(void **state)
{
	struct vmm_bus b;
	struct probe narrow = { 0 }, wide = { 0 };
	struct vmm_region r;
	uint8_t data[8];
	uint32_t v;

	(void)state;
	vmm_bus_init(&b, false);
	r = region(VMM_SPACE_PIO, 0x10, 4, 1, &narrow);
	assert_int_equal(vmm_bus_register(&b, &r), 0);
	r = region(VMM_SPACE_MMIO, 0x1000, 16, 4, &wide);
	assert_int_equal(vmm_bus_register(&b, &r), 0);

	vmm_bus_access(&b, VMM_SPACE_PIO, 0x10, 4, false, data);
	memcpy(&v, data, 4);
	assert_int_equal(v, 0xA3A2A1A0);
	assert_int_equal(narrow.reads, 4);
	assert_int_equal(narrow.last_size, 1);

	/* Two bytes below the region, two in it. */
	vmm_bus_access(&b, VMM_SPACE_PIO, 0x0E, 4, false, data);
	memcpy(&v, data, 4);
	assert_int_equal(v, 0xA1A0FFFF);

	/* Two in it, two above it: the write's upper half goes nowhere. */
	narrow.writes = 0;
	memcpy(data, "\x11\x22\x33\x44", 4);
	vmm_bus_access(&b, VMM_SPACE_PIO, 0x12, 4, true, data);
	assert_int_equal(narrow.writes, 2);
	assert_int_equal(narrow.last_offset, 3);
	assert_int_equal(narrow.last_val, 0x22);

	/* An 8-byte MMIO read of a 4-byte-wide region: two reads. */
	vmm_bus_access(&b, VMM_SPACE_MMIO, 0x1008, 8, false, data);
	assert_int_equal(wide.reads, 2);
	assert_int_equal(wide.last_offset, 0xC);
	assert_int_equal(wide.last_size, 4);
	assert_int_equal(data[0], 0xA8);
	assert_int_equal(data[4], 0xAC);

	/* Nothing at all: all ones, whatever the size. */
	memset(data, 0, sizeof(data));
	vmm_bus_access(&b, VMM_SPACE_MMIO, 0x8000, 8, false, data);
	assert_memory_equal(data, "\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 8);
	vmm_bus_destroy(&b);
}

/* softtdx run's machine: COM1 output, isa-debug-exit's status, CMOS and debugcon. */
static void test_machine(void **state)
{
	struct vmm_machine m;
	char out[64] = { 0 };
	struct vmm_chardev serial = { .out = fmemopen(out, sizeof(out), "w"), .in_fd = -1 };
	uint8_t v;

	(void)state;
	assert_non_null(serial.out);
	assert_int_equal(vmm_machine_init(&m, &(struct vmm_machine_config){
		.serial = &serial, .exit_port = 0x501, .ram = 256 << 20, .low = 256 << 20,
		.cpus = 2 }), 0);
	for (const char *s = "hi\n"; *s; s++) {
		v = (uint8_t)*s;
		vmm_bus_access(&m.bus, VMM_SPACE_PIO, 0x3F8, 1, true, &v);
	}
	vmm_bus_access(&m.bus, VMM_SPACE_PIO, 0x3FD, 1, false, &v);
	assert_int_equal(v, 0x60);				/* LSR: transmitter empty */
	v = 0x5A;
	vmm_bus_access(&m.bus, VMM_SPACE_PIO, 0x3FF, 1, true, &v);	/* scratch */
	v = 0;
	vmm_bus_access(&m.bus, VMM_SPACE_PIO, 0x3FF, 1, false, &v);
	assert_int_equal(v, 0x5A);
	vmm_bus_access(&m.bus, VMM_SPACE_PIO, 0x402, 1, false, &v);
	assert_int_equal(v, 0xFF);				/* no -debugcon: no device */
	assert_int_equal(m.debug_exit.status, -1);
	v = 0x21;
	vmm_bus_access(&m.bus, VMM_SPACE_PIO, 0x502, 1, true, &v);	/* iosize 2 */
	assert_int_equal(m.debug_exit.status, 0x43);
	vmm_machine_destroy(&m);
	vmm_chardev_close(&serial);
	assert_string_equal(out, "hi\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_errors),
		cmocka_unit_test(test_split_and_unclaimed),
		cmocka_unit_test(test_machine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
