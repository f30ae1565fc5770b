// SPDX-License-Identifier: MIT
/*
 * q35's ICH9 LPC bridge as QEMU models it for a TD: PMBASE and ACPI_CNTL,
 * which place the power-management block (ich9_pm.c), the PIRQ routing
 * bytes (routed in APIC mode to GSIs 16-23 whatever they hold), and the
 * reset control at 0xCF9.  A TD cannot be reset, so a reset ends the
 * machine, as QEMU shuts a TD down.  The root-complex register block that
 * RCBA points at is not decoded yet.
 */
#include "../vmm.h"

#include <stdatomic.h>

#define LPC_DEVICE_ID		0x2918
#define LPC_REVISION		0x02
#define PCI_CLASS_ISA_BRIDGE	0x060100
#define LPC_PMBASE		0x40
#define PMBASE_BASE_MASK	0xFF80u
#define PMBASE_RESET		0x00000001u
#define LPC_ACPI_CNTL		0x44
#define ACPI_CNTL_EN		0x80
#define LPC_PIRQA		0x60
#define LPC_PIRQE		0x68
#define PIRQ_DISABLED		0x80
#define LPC_EN			0x82
#define LPC_EN_COMA		0x01
#define RST_CNT_RST_CPU		0x04
#define RST_CNT_KEPT		0x0A	/* SYS_RST, FULL_RST */

void vmm_power_request(struct vmm_power *p, const char *reason)
{
	int running = -1;

	p->reason = reason;
	atomic_compare_exchange_strong(&p->status, &running, 0);
}

static void pm_update(struct vmm_ich9_lpc *l)
{
	const uint8_t *c = l->fn.cfg;
	uint16_t base = (uint16_t)((c[LPC_PMBASE] | c[LPC_PMBASE + 1] << 8) & PMBASE_BASE_MASK);

	if (!(c[LPC_ACPI_CNTL] & ACPI_CNTL_EN))
		base = 0;
	if (vmm_ich9_pm_map(&l->pm, base) && l->pm.bus->trace)
		fprintf(stderr, "softtdx: PMBASE %#x overlaps a device; no PM block\n", base);
}

static void lpc_written(struct vmm_pci_fn *f, unsigned int offset, unsigned int size)
{
	if (offset <= LPC_ACPI_CNTL && offset + size > LPC_PMBASE)
		pm_update(f->dev);
}

static uint64_t rst_cnt_read(void *dev, uint64_t offset, unsigned int size)
{
	struct vmm_ich9_lpc *l = dev;

	(void)offset;
	(void)size;
	return l->rst_cnt;
}

static void rst_cnt_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	struct vmm_ich9_lpc *l = dev;

	(void)offset;
	(void)size;
	if (val & RST_CNT_RST_CPU)
		vmm_power_request(l->power, "reset");
	else
		l->rst_cnt = val & RST_CNT_KEPT;
}

static const struct vmm_io_ops rst_cnt_ops = { rst_cnt_read, rst_cnt_write };

int vmm_ich9_lpc_init(struct vmm_ich9_lpc *l, struct vmm_pci *pci, struct vmm_power *power)
{
	struct vmm_pci_fn *f = &l->fn;

	vmm_pci_fn_init(f, 0x8086, LPC_DEVICE_ID, LPC_REVISION, PCI_CLASS_ISA_BRIDGE, 256);
	f->cfg[0x0E] = 0x80;			/* multi-function */
	/* PMBASE: bits 15:7, and bits 2:0 as QEMU leaves them writable. */
	f->cfg[LPC_PMBASE] = (uint8_t)PMBASE_RESET;
	f->wmask[LPC_PMBASE] = 0x87;
	f->wmask[LPC_PMBASE + 1] = 0xFF;
	f->wmask[LPC_PMBASE + 2] = 0;
	f->wmask[LPC_PMBASE + 3] = 0;
	for (unsigned int i = 0; i < 4; i++) {
		f->cfg[LPC_PIRQA + i] = PIRQ_DISABLED;
		f->cfg[LPC_PIRQE + i] = PIRQ_DISABLED;
	}
	f->cfg[LPC_EN] = LPC_EN_COMA;
	f->written = lpc_written;
	f->dev = l;
	l->power = power;
	l->pm = (struct vmm_ich9_pm){ .bus = pci->bus, .power = power };
	pci->rcr = &rst_cnt_ops;
	pci->rcr_dev = l;
	return vmm_pci_add(pci, 31 << 3, f);
}
