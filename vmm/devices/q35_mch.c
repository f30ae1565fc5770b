// SPDX-License-Identifier: MIT
/*
 * q35's memory controller hub as QEMU models it for a TD (no SMM): the
 * host bridge firmware identifies the machine by, and PCIEXBAR, which
 * places the ECAM window.  The rest of its registers (PAM, SMRAM, TOLUD)
 * are plain bytes for a TD: QEMU gives them no effect without SMM, and a
 * TD has no legacy BIOS areas to shadow.
 */
#include "../vmm.h"

#define MCH_DEVICE_ID		0x29C0
#define PCI_CLASS_HOST_BRIDGE	0x060000
#define MCH_PCIEXBAR		0x60
#define PCIEXBAR_DEFAULT	0xB0000000ULL
#define PCIEXBAR_EN		1ULL
#define PCIEXBAR_BASE_256M	0xFF0000000ULL		/* bits 35:28 */

static uint64_t cfg64(const struct vmm_pci_fn *f, unsigned int off)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | f->cfg[off + i];
	return v;
}

/*
 * Length 256 MiB (00), 128 MiB (01), 64 MiB (10) with the base bits below
 * 28 each adds, as Intel's datasheet has them; 11 is reserved and changes
 * nothing (QEMU's recent behaviour).
 */
static void pciexbar_written(struct vmm_q35_mch *m)
{
	uint64_t v = cfg64(&m->fn, MCH_PCIEXBAR), len, mask = PCIEXBAR_BASE_256M;

	switch (v >> 1 & 3) {
	case 0: len = 256ULL << 20; break;
	case 1: len = 128ULL << 20; mask |= 1ULL << 27; break;
	case 2: len = 64ULL << 20; mask |= 3ULL << 26; break;
	default: return;
	}
	if (vmm_pci_set_ecam(m->pci, v & mask, v & PCIEXBAR_EN ? len : 0) && m->pci->bus->trace)
		fprintf(stderr, "softtdx: PCIEXBAR %#llx overlaps a device; no ECAM window\n",
			(unsigned long long)v);
}

static void mch_written(struct vmm_pci_fn *f, unsigned int offset, unsigned int size)
{
	if (offset < MCH_PCIEXBAR + 8 && offset + size > MCH_PCIEXBAR)
		pciexbar_written(f->dev);
}

int vmm_q35_mch_init(struct vmm_q35_mch *m, struct vmm_pci *pci)
{
	struct vmm_pci_fn *f = &m->fn;

	vmm_pci_fn_init(f, 0x8086, MCH_DEVICE_ID, 0, PCI_CLASS_HOST_BRIDGE, 256);
	for (unsigned int i = 0; i < 8; i++)
		f->cfg[MCH_PCIEXBAR + i] = (uint8_t)(PCIEXBAR_DEFAULT >> 8 * i);
	f->written = mch_written;
	f->dev = m;
	m->pci = pci;
	return vmm_pci_add(pci, 0, f);
}
