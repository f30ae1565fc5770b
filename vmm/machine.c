// SPDX-License-Identifier: MIT
/*
 * The machine `softtdx run` gives a TD, assembled in one place: the
 * devices and where each sits on the buses.  It is a q35 as QEMU builds
 * one for a TD, so far its host bridge, LPC bridge with the ACPI PM block,
 * the IOAPIC, COM1 on its IRQ 4, the CMOS and QEMU's debug devices.
 */
#include "vmm.h"

#include <errno.h>
#include <string.h>

#define COM1		0x3F8
#define COM1_GSI	4		/* ISA IRQ 4, identity-mapped on the IOAPIC */
#define DEBUGCON	0x402

int vmm_machine_init(struct vmm_machine *m, const struct vmm_machine_config *c)
{
	int err;

	memset(m, 0, sizeof(*m));
	vmm_bus_init(&m->bus, c->trace);
	m->power.status = -1;
	m->debug_exit.status = -1;
	c->serial->quit = &m->power;
	vmm_cmos_init(&m->cmos, c->low, c->ram - c->low, c->cpus);
	err = vmm_ioapic_register(&m->ioapic, &m->bus, VMM_IOAPIC_BASE, c->msi);
	if (!err)
		err = vmm_pci_init(&m->pci, &m->bus);
	if (!err)
		err = vmm_q35_mch_init(&m->mch, &m->pci);
	if (!err)
		err = vmm_ich9_lpc_init(&m->lpc, &m->pci, &m->power);
	if (!err)
		err = vmm_serial_register(&m->com1, &m->bus, COM1, c->serial, &m->ioapic, COM1_GSI);
	if (!err && c->debugcon)
		err = vmm_debugcon_register(&m->debugcon, &m->bus, DEBUGCON, c->debugcon);
	if (!err)
		err = vmm_cmos_register(&m->cmos, &m->bus);
	if (err) {
		fprintf(stderr, "softtdx run: the machine's devices: %s\n", strerror(-err));
	} else if (c->exit_port >= 0 &&
		   (err = vmm_debug_exit_register(&m->debug_exit, &m->bus, (uint16_t)c->exit_port))) {
		/* The only device placed from the command line. */
		fprintf(stderr, "softtdx run: isa-debug-exit at port %#x: %s\n", c->exit_port,
			err == -EEXIST ? "overlaps another device" : strerror(-err));
	}
	if (err)
		vmm_bus_destroy(&m->bus);
	return err;
}

void vmm_machine_destroy(struct vmm_machine *m)
{
	vmm_bus_destroy(&m->bus);
}

void vmm_machine_input(struct vmm_machine *m)
{
	pthread_mutex_lock(&m->bus.lock);
	vmm_serial_input(&m->com1);
	pthread_mutex_unlock(&m->bus.lock);
}
