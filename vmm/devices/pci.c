// SPDX-License-Identifier: MIT
/*
 * PCI bus 0 behind a host bridge, reached through configuration mechanism
 * #1 and through the ECAM window, as QEMU's q35 host has it.  Each function
 * keeps its configuration space and a write mask; writes keep the bits
 * the mask protects, then the function hears of them.
 */
#include "../vmm.h"

#include <errno.h>
#include <string.h>

#define PCI_CONFIG_ADDRESS	0xCF8
#define PCI_CONFIG_DATA		0xCFC
#define CONFIG_ENABLE		0x80000000u
#define ECAM_BUS_SHIFT		20
#define ECAM_DEVFN_SHIFT	12
#define SUBSYS_VENDOR		0x1AF4	/* QEMU's default subsystem, on every function */
#define SUBSYS_DEVICE		0x1100

void vmm_pci_fn_init(struct vmm_pci_fn *f, uint16_t vendor, uint16_t device, uint8_t revision,
		     uint32_t class_code, unsigned int cfg_size)
{
	memset(f, 0, sizeof(*f));
	f->cfg_size = cfg_size;
	f->cfg[0x00] = (uint8_t)vendor;
	f->cfg[0x01] = (uint8_t)(vendor >> 8);
	f->cfg[0x02] = (uint8_t)device;
	f->cfg[0x03] = (uint8_t)(device >> 8);
	f->cfg[0x08] = revision;
	f->cfg[0x09] = (uint8_t)class_code;		/* programming interface */
	f->cfg[0x0A] = (uint8_t)(class_code >> 8);	/* subclass */
	f->cfg[0x0B] = (uint8_t)(class_code >> 16);	/* base class */
	f->cfg[0x2C] = (uint8_t)SUBSYS_VENDOR;
	f->cfg[0x2D] = SUBSYS_VENDOR >> 8;
	f->cfg[0x2E] = (uint8_t)SUBSYS_DEVICE;
	f->cfg[0x2F] = SUBSYS_DEVICE >> 8;
	/* QEMU's write masks: command (I/O, memory, bus master, SERR, INTx disable), cache line, latency, and all of 0x40 on. */
	f->wmask[0x04] = 0x07;
	f->wmask[0x05] = 0x05;
	f->wmask[0x0C] = 0xFF;
	f->wmask[0x0D] = 0xFF;
	memset(f->wmask + 0x40, 0xFF, cfg_size - 0x40);
}

uint32_t vmm_pci_config_read(struct vmm_pci *pci, unsigned int devfn, unsigned int offset,
			     unsigned int size)
{
	struct vmm_pci_fn *f = devfn < 256 ? pci->fn[devfn] : NULL;
	uint32_t v = 0;

	if (!f || offset + size > f->cfg_size)
		return (uint32_t)vmm_ones(size);
	memcpy(&v, f->cfg + offset, size);
	return v;
}

void vmm_pci_config_write(struct vmm_pci *pci, unsigned int devfn, unsigned int offset,
			  unsigned int size, uint32_t val)
{
	struct vmm_pci_fn *f = devfn < 256 ? pci->fn[devfn] : NULL;

	if (!f || offset + size > f->cfg_size)
		return;
	for (unsigned int i = 0; i < size; i++) {
		uint8_t m = f->wmask[offset + i], b = (uint8_t)(val >> 8 * i);

		f->cfg[offset + i] = (uint8_t)((f->cfg[offset + i] & ~m) | (b & m));
	}
	if (f->written)
		f->written(f, offset, size);
}

/* CONFIG_ADDRESS takes whole dwords only; 0xCF9's byte is the reset control's. */
static uint64_t address_read(void *dev, uint64_t offset, unsigned int size)
{
	struct vmm_pci *pci = dev;

	if (offset == 0 && size == 4)
		return pci->config_address;
	if (offset == 1 && size == 1 && pci->rcr)
		return pci->rcr->read(pci->rcr_dev, 0, 1);
	return vmm_ones(size);
}

static void address_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	struct vmm_pci *pci = dev;

	if (offset == 0 && size == 4)
		pci->config_address = (uint32_t)val;
	else if (offset == 1 && size == 1 && pci->rcr)
		pci->rcr->write(pci->rcr_dev, 0, 1, val);
}

/* CONFIG_DATA: the dword CONFIG_ADDRESS selects, bus 0 only, when enabled. */
static bool data_target(const struct vmm_pci *pci, uint64_t offset, unsigned int *devfn,
			unsigned int *reg)
{
	uint32_t a = pci->config_address;

	if (!(a & CONFIG_ENABLE) || (a >> 16 & 0xFF))
		return false;
	*devfn = a >> 8 & 0xFF;
	*reg = (a & 0xFC) + (unsigned int)offset;
	return true;
}

static uint64_t data_read(void *dev, uint64_t offset, unsigned int size)
{
	unsigned int devfn, reg;

	if (!data_target(dev, offset, &devfn, &reg))
		return vmm_ones(size);
	return vmm_pci_config_read(dev, devfn, reg, size);
}

static void data_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	unsigned int devfn, reg;

	if (data_target(dev, offset, &devfn, &reg))
		vmm_pci_config_write(dev, devfn, reg, size, (uint32_t)val);
}

static uint64_t ecam_read(void *dev, uint64_t offset, unsigned int size)
{
	if (offset >> ECAM_BUS_SHIFT)
		return vmm_ones(size);
	return vmm_pci_config_read(dev, offset >> ECAM_DEVFN_SHIFT & 0xFF, offset & 0xFFF, size);
}

static void ecam_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	if (!(offset >> ECAM_BUS_SHIFT))
		vmm_pci_config_write(dev, offset >> ECAM_DEVFN_SHIFT & 0xFF, offset & 0xFFF, size,
				     (uint32_t)val);
}

static const struct vmm_io_ops address_ops = { address_read, address_write };
static const struct vmm_io_ops data_ops = { data_read, data_write };
static const struct vmm_io_ops ecam_ops = { ecam_read, ecam_write };

int vmm_pci_init(struct vmm_pci *pci, struct vmm_bus *bus)
{
	int err;

	memset(pci, 0, sizeof(*pci));
	pci->bus = bus;
	err = vmm_bus_register(bus, &(struct vmm_region){ VMM_SPACE_PIO, PCI_CONFIG_ADDRESS, 4, 4,
							  &address_ops, pci });
	return err ? err : vmm_bus_register(bus, &(struct vmm_region){ VMM_SPACE_PIO,
			PCI_CONFIG_DATA, 4, 4, &data_ops, pci });
}

int vmm_pci_add(struct vmm_pci *pci, unsigned int devfn, struct vmm_pci_fn *f)
{
	if (devfn > 255)
		return -EINVAL;
	if (pci->fn[devfn])
		return -EEXIST;
	pci->fn[devfn] = f;
	return 0;
}

int vmm_pci_set_ecam(struct vmm_pci *pci, uint64_t base, uint64_t len)
{
	int err;

	if (pci->ecam_len)
		vmm_bus_unregister(pci->bus, VMM_SPACE_MMIO, pci->ecam_base);
	pci->ecam_base = base;
	pci->ecam_len = len;
	if (!len)
		return 0;
	err = vmm_bus_register(pci->bus, &(struct vmm_region){ VMM_SPACE_MMIO, base, len, 4,
							       &ecam_ops, pci });
	if (err)
		pci->ecam_len = 0;
	return err;
}
