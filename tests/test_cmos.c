// SPDX-License-Identifier: MIT
/*
 * The launcher's CMOS (vmm/devices/cmos.c): the memory-size bytes QEMU's
 * q35 puts there, for the sizes and splits firmware sees, and the
 * index/data ports, reached through a port bus as the machine has it.
 */
#include "tdtest.h"

#include "../vmm/vmm.h"

#include <string.h>
#include <time.h>

#define MiB	(1ULL << 20)
#define GiB	(1ULL << 30)

static struct vmm_bus bus;

/* Puts @c on a fresh bus, as the machine does. */
static void on_bus(struct vmm_cmos *c)
{
	vmm_bus_init(&bus, false);
	assert_int_equal(vmm_cmos_register(c, &bus), 0);
}

static void cmos_io(uint16_t port, bool write, uint8_t *v)
{
	vmm_bus_access(&bus, VMM_SPACE_PIO, port, 1, write, v);
}

static uint8_t cmos_read(struct vmm_cmos *c, uint8_t reg)
{
	uint8_t v = reg;

	(void)c;
	cmos_io(0x70, true, &v);
	cmos_io(0x71, false, &v);
	return v;
}

/* OVMF's reading: ((0x35 << 8 | 0x34) << 16) + 16 MiB below 4 GiB, 0x5b..0x5d above. */
static void test_memory_size(void **state)
{
	static const struct { uint64_t below, above; } sizes[] = {
		{ 256 * MiB, 0 }, { 2 * GiB, 2 * GiB }, { 2 * GiB, 62 * GiB }, { 3 * GiB + 512 * MiB, 0 },
	};
	struct vmm_cmos c;

	(void)state;
	on_bus(&c);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		vmm_cmos_init(&c, sizes[i].below, sizes[i].above, 4);
		assert_int_equal((((uint64_t)cmos_read(&c, 0x35) << 8 | cmos_read(&c, 0x34)) << 16) +
				 16 * MiB, sizes[i].below);
		assert_int_equal(((uint64_t)cmos_read(&c, 0x5d) << 16 | cmos_read(&c, 0x5c) << 8 |
				  cmos_read(&c, 0x5b)) << 16, sizes[i].above);
		assert_int_equal(cmos_read(&c, 0x5f), 3);	/* CPUs - 1 */
	}
	vmm_cmos_init(&c, 16 * MiB, 0, 1);			/* nothing above 16 MiB */
	assert_int_equal(cmos_read(&c, 0x34) | cmos_read(&c, 0x35), 0);
	assert_int_equal(cmos_read(&c, 0x30) | cmos_read(&c, 0x31) << 8, 15 * 1024);
	vmm_cmos_init(&c, 256 * MiB, 0, 1);			/* KiB above 1 MiB, capped */
	assert_int_equal(cmos_read(&c, 0x30) | cmos_read(&c, 0x31) << 8, 0xFFFF);
	vmm_bus_destroy(&bus);
}

static void test_ports(void **state)
{
	struct vmm_cmos c;
	uint8_t v;

	(void)state;
	vmm_cmos_init(&c, 256 * MiB, 0, 1);
	on_bus(&c);
	v = 0x80 | 0x40;			/* NMI-disable bit set */
	cmos_io(0x70, true, &v);
	v = 0x5A;
	cmos_io(0x71, true, &v);
	assert_int_equal(cmos_read(&c, 0x40), 0x5A);
	cmos_io(0x70, false, &v);
	assert_int_equal(v, 0xFF);		/* the index port reads nothing */
	v = 0x0D;
	cmos_io(0x70, true, &v);
	v = 0;
	cmos_io(0x71, true, &v);		/* register D is read-only */
	assert_int_equal(cmos_read(&c, 0x0D), 0x80);
	assert_int_equal(cmos_read(&c, 0x0B), 0x02);	/* 24-hour, BCD */
	v = 0;
	cmos_io(0x72, false, &v);		/* not the CMOS's: all ones */
	assert_int_equal(v, 0xFF);
	vmm_bus_destroy(&bus);
}

static void test_clock(void **state)
{
	struct vmm_cmos c;
	time_t now = time(NULL);
	struct tm tm;
	uint8_t year;

	(void)state;
	gmtime_r(&now, &tm);
	vmm_cmos_init(&c, 256 * MiB, 0, 1);
	on_bus(&c);
	year = cmos_read(&c, 0x09);
	assert_int_equal((year >> 4) * 10 + (year & 15), tm.tm_year % 100);
	assert_int_equal(cmos_read(&c, 0x32), 0x20);	/* century */
	assert_true(cmos_read(&c, 0x00) <= 0x59 && (cmos_read(&c, 0x00) & 15) <= 9);
	vmm_bus_destroy(&bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory_size),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
