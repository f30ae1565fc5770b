// SPDX-License-Identifier: MIT
/*
 * q35's chipset in softtdx run's machine (vmm/devices/): configuration
 * mechanism #1, the MCH's IDs and PCIEXBAR with the ECAM window it places,
 * the LPC's PMBASE/ACPI_CNTL with the PM block they place, the PM timer,
 * S5 power-off and the reset control, each as QEMU's q35 answers a TD.
 */
#include "tdtest.h"

#include "../vmm/vmm.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LPC	(31u << 3)

static struct vmm_machine m;
static struct vmm_chardev none = { .in_fd = -1 };

/* The IOAPIC's messages, as KVM_SIGNAL_MSI would get them. */
static struct { uint32_t address, data; unsigned int n; } msis;

static void record_msi(void *ctx, uint32_t address, uint32_t data)
{
	(void)ctx;
	msis.address = address;
	msis.data = data;
	msis.n++;
}

static const struct vmm_msi_sink sink = { record_msi, NULL };

static int machine_init(struct vmm_chardev *serial, FILE *debugcon)
{
	memset(&msis, 0, sizeof(msis));
	return vmm_machine_init(&m, &(struct vmm_machine_config){
		.serial = serial, .debugcon = debugcon, .exit_port = -1, .ram = 256 << 20,
		.low = 256 << 20, .cpus = 1, .msi = &sink });
}

static void machine_up(void)
{
	assert_int_equal(machine_init(&none, NULL), 0);
}

static uint32_t pio(uint16_t port, unsigned int size)
{
	uint32_t v = 0;

	vmm_bus_access(&m.bus, VMM_SPACE_PIO, port, size, false, (uint8_t *)&v);
	return v;
}

static void pio_out(uint16_t port, unsigned int size, uint32_t v)
{
	vmm_bus_access(&m.bus, VMM_SPACE_PIO, port, size, true, (uint8_t *)&v);
}

static uint32_t mmio(uint64_t gpa, unsigned int size)
{
	uint32_t v = 0;

	vmm_bus_access(&m.bus, VMM_SPACE_MMIO, gpa, size, false, (uint8_t *)&v);
	return v;
}

static void mmio_out(uint64_t gpa, unsigned int size, uint32_t v)
{
	vmm_bus_access(&m.bus, VMM_SPACE_MMIO, gpa, size, true, (uint8_t *)&v);
}

static uint32_t ioapic_reg(uint8_t reg)
{
	mmio_out(0xFEC00000, 4, reg);
	return mmio(0xFEC00010, 4);
}

static void ioapic_reg_write(uint8_t reg, uint32_t v)
{
	mmio_out(0xFEC00000, 4, reg);
	mmio_out(0xFEC00010, 4, v);
}

/* As OVMF's PciCf8Lib does it: address dword, then the data port at the byte offset. */
static uint32_t cf8_read(unsigned int devfn, unsigned int reg, unsigned int size)
{
	pio_out(0xCF8, 4, 0x80000000u | devfn << 8 | (reg & 0xFC));
	return pio(0xCFC + (reg & 3), size);
}

static void cf8_write(unsigned int devfn, unsigned int reg, unsigned int size, uint32_t v)
{
	pio_out(0xCF8, 4, 0x80000000u | devfn << 8 | (reg & 0xFC));
	pio_out(0xCFC + (reg & 3), size, v);
}

static void test_config_mechanism_1(void **state)
{
	(void)state;
	machine_up();
	assert_int_equal(cf8_read(0, 0, 4), 0x29C08086);
	assert_int_equal(cf8_read(0, 2, 2), 0x29C0);
	assert_int_equal(cf8_read(0, 8, 4), 0x06000000);	/* host bridge, revision 0 */
	assert_int_equal(cf8_read(0, 0x2C, 4), 0x11001AF4);	/* QEMU's subsystem */
	assert_int_equal(cf8_read(LPC, 0, 4), 0x29188086);
	assert_int_equal(cf8_read(LPC, 8, 4), 0x06010002);	/* ISA bridge, revision 2 */
	assert_int_equal(cf8_read(LPC, 0x0E, 1), 0x80);		/* multi-function */
	assert_int_equal(cf8_read(LPC, 0x60, 4), 0x80808080);	/* PIRQA-D unrouted */
	assert_int_equal(cf8_read(1 << 3, 0, 4), 0xFFFFFFFF);	/* nothing at 00:01.0 */
	/* The address latch takes dwords only and reads back as written. */
	pio_out(0xCF8, 4, 0x8000F840);
	pio_out(0xCF8, 2, 0);
	assert_int_equal(pio(0xCF8, 4), 0x8000F840);
	/* Disabled, or another bus: all ones, writes dropped. */
	pio_out(0xCF8, 4, 0x00000000);
	assert_int_equal(pio(0xCFC, 4), 0xFFFFFFFF);
	pio_out(0xCF8, 4, 0x80010000);
	assert_int_equal(pio(0xCFC, 4), 0xFFFFFFFF);
	/* Read-only IDs stay; the command register takes its writable bits only. */
	cf8_write(0, 0, 4, 0);
	assert_int_equal(cf8_read(0, 0, 4), 0x29C08086);
	cf8_write(0, 4, 2, 0xFFFF);
	assert_int_equal(cf8_read(0, 4, 2), 0x0507);
	vmm_machine_destroy(&m);
}

static void test_pciexbar(void **state)
{
	(void)state;
	machine_up();
	assert_int_equal(cf8_read(0, 0x60, 4), 0xB0000000);	/* QEMU's default, disabled */
	assert_int_equal(mmio(0xB0000000, 4), 0xFFFFFFFF);
	cf8_write(0, 0x60, 4, 0xB0000001);			/* OVMF: 256 MiB at 0xB0000000 */
	assert_int_equal(mmio(0xB0000000, 4), 0x29C08086);
	assert_int_equal(mmio(0xB00F8000, 4), 0x29188086);	/* 00:1f.0 */
	assert_int_equal(mmio(0xB00F8100, 4), 0xFFFFFFFF);	/* past a conventional function */
	assert_int_equal(mmio(0xB0100000, 4), 0xFFFFFFFF);	/* bus 1 */
	assert_int_equal(mmio(0xBFFFFFFC, 4), 0xFFFFFFFF);
	/* Writes through ECAM land in the same space. */
	vmm_bus_access(&m.bus, VMM_SPACE_MMIO, 0xB00F8044, 1, true, (uint8_t[]){ 0x80 });
	assert_int_equal(cf8_read(LPC, 0x44, 1), 0x80);
	/* 128 MiB at 0xC0000000, then the window off. */
	cf8_write(0, 0x60, 4, 0xC0000003);
	assert_int_equal(mmio(0xB0000000, 4), 0xFFFFFFFF);
	assert_int_equal(mmio(0xC7F00000 + 0, 4), 0xFFFFFFFF);	/* bus 127 */
	assert_int_equal(mmio(0xC0000000, 2), 0x8086);
	assert_int_equal(mmio(0xC8000000, 4), 0xFFFFFFFF);	/* beyond 128 MiB */
	cf8_write(0, 0x60, 4, 0xC0000002);
	assert_int_equal(mmio(0xC0000000, 4), 0xFFFFFFFF);
	/* Length 11 is reserved: nothing changes. */
	cf8_write(0, 0x60, 4, 0xB0000007);
	assert_int_equal(mmio(0xB0000000, 4), 0xFFFFFFFF);
	vmm_machine_destroy(&m);
}

/* SEC's AcpiTimerLib: PMBASE 0x601, ACPI_CNTL 0x80; then the timer at 0x608. */
static void test_pm_block(void **state)
{
	uint32_t t0, t1;

	(void)state;
	machine_up();
	assert_int_equal(cf8_read(LPC, 0x40, 4), 0x00000001);
	assert_int_equal(pio(0x608, 4), 0xFFFFFFFF);		/* not decoded yet */
	cf8_write(LPC, 0x40, 4, 0xFFFF0601);
	assert_int_equal(cf8_read(LPC, 0x40, 4), 0x00000601);	/* QEMU's 0xFF87 mask */
	assert_int_equal(pio(0x608, 4), 0xFFFFFFFF);		/* ACPI_EN still clear */
	cf8_write(LPC, 0x44, 1, 0x80);
	t0 = pio(0x608, 4);
	for (int i = 0; i < 1000000 && pio(0x608, 4) == t0; i++)
		;
	t1 = pio(0x608, 4);
	assert_true(t0 <= 0xFFFFFF && t1 <= 0xFFFFFF && t1 != t0);	/* 24 bits, running */
	assert_int_equal(pio(0x604, 2), 0x0001);		/* SCI_EN from reset (no SMM) */
	assert_int_equal(pio(0x630, 4), 0x20);			/* SMI_EN: APMC_EN forced */
	assert_int_equal(pio(0x610, 4), 0xFFFFFFFF);		/* a gap in the block */
	pio_out(0x602, 2, 0x0121);
	assert_int_equal(pio(0x600, 4), 0x01210000);		/* PM1_EN above PM1_STS */
	pio_out(0x628, 1, 0x5A);				/* GPE0_EN */
	assert_int_equal(pio(0x628, 1), 0x5A);
	/* Moved: the old ports go, the new ones come. */
	cf8_write(LPC, 0x40, 2, 0xB001);
	assert_int_equal(pio(0x608, 4), 0xFFFFFFFF);
	assert_true(pio(0xB008, 4) <= 0xFFFFFF);
	cf8_write(LPC, 0x44, 1, 0x00);
	assert_int_equal(pio(0xB008, 4), 0xFFFFFFFF);
	vmm_machine_destroy(&m);
}

/* A PM block placed over another device is not decoded; the device keeps its port. */
static void test_pm_block_overlap(void **state)
{
	char out[8] = { 0 };
	FILE *debugcon = fmemopen(out, sizeof(out), "w");

	(void)state;
	assert_non_null(debugcon);
	assert_int_equal(machine_init(&none, debugcon), 0);
	cf8_write(LPC, 0x40, 4, 0x401);		/* PM1 at 0x400-0x403: the debug console's 0x402 */
	cf8_write(LPC, 0x44, 1, 0x80);
	assert_int_equal(m.lpc.pm.base, 0);
	assert_int_equal(pio(0x408, 4), 0xFFFFFFFF);
	assert_int_equal(pio(0x402, 1), 0xE9);
	cf8_write(LPC, 0x40, 4, 0x601);		/* elsewhere it comes */
	assert_true(pio(0x608, 4) <= 0xFFFFFF);
	vmm_machine_destroy(&m);
	fclose(debugcon);
}

/* OVMF's ResetSystem(EfiResetShutdown): SLP_TYP 0 with SLP_EN in PM1_CNT. */
static void test_s5_and_reset(void **state)
{
	(void)state;
	machine_up();
	cf8_write(LPC, 0x40, 4, 0x601);
	cf8_write(LPC, 0x44, 1, 0x80);
	pio_out(0x604, 2, 5 << 10 | 1 << 13);			/* S3-type: not ours to end */
	assert_int_equal(m.power.status, -1);
	assert_int_equal(pio(0x604, 2), 5 << 10);		/* SLP_EN is not kept */
	pio_out(0x604, 2, 1 << 13);
	assert_int_equal(m.power.status, 0);
	assert_string_equal(m.power.reason, "poweroff");
	vmm_machine_destroy(&m);

	machine_up();
	pio_out(0xCF9, 1, 0x02);				/* SYS_RST alone is kept */
	assert_int_equal(pio(0xCF9, 1), 0x02);
	assert_int_equal(m.power.status, -1);
	pio_out(0xCF9, 1, 0x06);				/* OVMF's cold reset */
	assert_int_equal(m.power.status, 0);
	assert_string_equal(m.power.reason, "reset");
	vmm_machine_destroy(&m);
}

/* Version 0x20 with 24 pins; an unmasked edge entry sends its MSI on a rising edge. */
static void test_ioapic(void **state)
{
	(void)state;
	machine_up();
	assert_int_equal(ioapic_reg(1), 0x00170020);
	assert_int_equal(ioapic_reg(0x10), 0x10000);		/* pin 0: masked */
	ioapic_reg_write(0x10 + 2 * 5, 0x30);			/* pin 5: vector 0x30, edge */
	ioapic_reg_write(0x11 + 2 * 5, 3u << 24);		/* to APIC ID 3 */
	assert_int_equal(ioapic_reg(0x10 + 2 * 5), 0x30);
	assert_int_equal(ioapic_reg(0x11 + 2 * 5), 3u << 24);
	vmm_ioapic_set_irq(&m.ioapic, 5, true);
	assert_int_equal(msis.n, 1);
	assert_int_equal(msis.address, 0xFEE03000);
	assert_int_equal(msis.data, 0x30);
	vmm_ioapic_set_irq(&m.ioapic, 5, true);			/* no edge */
	assert_int_equal(msis.n, 1);
	vmm_ioapic_set_irq(&m.ioapic, 5, false);
	vmm_ioapic_set_irq(&m.ioapic, 5, true);
	assert_int_equal(msis.n, 2);
	/* Level: remote IRR holds it until the EOI register names the vector. */
	ioapic_reg_write(0x10 + 2 * 9, 0x8041);
	vmm_ioapic_set_irq(&m.ioapic, 9, true);
	assert_int_equal(msis.n, 3);
	assert_int_equal(msis.data, 0xC041);
	assert_int_equal(ioapic_reg(0x10 + 2 * 9), 0xC041);	/* remote IRR set */
	mmio_out(0xFEC00040, 4, 0x41);
	assert_int_equal(msis.n, 4);				/* still asserted: again */
	vmm_ioapic_set_irq(&m.ioapic, 9, false);
	mmio_out(0xFEC00040, 4, 0x41);
	assert_int_equal(msis.n, 4);
	assert_int_equal(ioapic_reg(0x10 + 2 * 9), 0x8041);
	vmm_machine_destroy(&m);
}

/* COM1's THR-empty and receive interrupts reach IOAPIC pin 4. */
static void test_serial_irq(void **state)
{
	int fds[2];
	struct vmm_chardev in = { .in_fd = -1 };

	(void)state;
	assert_int_equal(pipe(fds), 0);
	in.in_fd = fds[0];
	in.out = fopen("/dev/null", "w");
	assert_int_equal(machine_init(&in, NULL), 0);
	ioapic_reg_write(0x10 + 2 * 4, 0x24);
	pio_out(0x3FA, 1, 0x01);				/* FIFO on */
	assert_int_equal(pio(0x3FA, 1), 0xC1);			/* 16550A, nothing pending */
	pio_out(0x3F9, 1, 0x02);				/* THRI */
	assert_int_equal(msis.n, 1);
	assert_int_equal(msis.data, 0x24);
	assert_int_equal(pio(0x3FA, 1), 0xC2);			/* THR empty, cleared by the read */
	assert_int_equal(pio(0x3FA, 1), 0xC1);
	pio_out(0x3F8, 1, 'x');
	assert_int_equal(msis.n, 2);
	pio_out(0x3F9, 1, 0x01);				/* RDI only */
	assert_int_equal(write(fds[1], "ab", 2), 2);
	vmm_machine_input(&m);
	assert_int_equal(msis.n, 3);
	assert_int_equal(pio(0x3FA, 1), 0xC4);
	assert_int_equal(pio(0x3F8, 1), 'a');
	assert_int_equal(pio(0x3F8, 1), 'b');
	assert_int_equal(pio(0x3FA, 1), 0xC1);
	/* Loopback: MSR reflects MCR's outputs, as Linux's probe checks. */
	pio_out(0x3FC, 1, 0x1A);
	assert_int_equal(pio(0x3FE, 1) & 0xF0, 0x90);
	vmm_machine_destroy(&m);
	fclose(in.out);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_mechanism_1),
		cmocka_unit_test(test_pciexbar),
		cmocka_unit_test(test_pm_block),
		cmocka_unit_test(test_pm_block_overlap),
		cmocka_unit_test(test_s5_and_reset),
		cmocka_unit_test(test_ioapic),
		cmocka_unit_test(test_serial_irq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
