// SPDX-License-Identifier: MIT
/*
 * The IOAPIC of q35 with kernel-irqchip=split, as QEMU's userspace one:
 * 24 pins, version 0x20 (with the EOI register a guest uses to complete a
 * level-triggered interrupt), at 0xFEC00000.  A pin that fires sends its
 * redirection entry as an MSI through the VMM's sink (KVM_SIGNAL_MSI), so
 * in a TD it arrives as a posted interrupt.  A TD's virtual APIC reports
 * every vector as edge-triggered (TMR 0), so Linux completes level
 * interrupts with the EOI register rather than a broadcast EOI.
 */
#include "../vmm.h"

#define IOREGSEL		0x00
#define IOWIN			0x10
#define IOEOI			0x40
#define REG_ID			0x00
#define REG_VERSION		0x01
#define REG_ARB			0x02
#define REG_REDTBL		0x10
#define IOAPIC_VERSION		0x20

#define RTE_VECTOR(e)		((uint32_t)(e) & 0xff)
#define RTE_DELIVERY(e)		((uint32_t)((e) >> 8) & 7)
#define RTE_DEST_LOGICAL	(1ULL << 11)
#define RTE_DELIVERY_STATUS	(1ULL << 12)
#define RTE_REMOTE_IRR		(1ULL << 14)
#define RTE_LEVEL		(1ULL << 15)
#define RTE_MASKED		(1ULL << 16)
#define RTE_RO_BITS		(RTE_DELIVERY_STATUS | RTE_REMOTE_IRR)
#define RTE_DEST(e)		((uint32_t)((e) >> 56))

/* Sends pin @pin's entry; a level-triggered one then waits for its EOI. */
static void fire(struct vmm_ioapic *io, unsigned int pin)
{
	uint64_t e = io->redtbl[pin];

	if (!io->sink || e & RTE_MASKED || (e & RTE_LEVEL && e & RTE_REMOTE_IRR))
		return;
	if (e & RTE_LEVEL)
		io->redtbl[pin] |= RTE_REMOTE_IRR;
	io->sink->send(io->sink->ctx,
		       0xFEE00000u | RTE_DEST(e) << 12 | (e & RTE_DEST_LOGICAL ? 4 : 0),
		       RTE_VECTOR(e) | RTE_DELIVERY(e) << 8 | (e & RTE_LEVEL ? 0xC000 : 0));
}

void vmm_ioapic_set_irq(struct vmm_ioapic *io, unsigned int pin, bool level)
{
	bool rising = level && !(io->lines & 1u << pin);

	if (pin >= VMM_IOAPIC_PINS)
		return;
	io->lines = level ? io->lines | 1u << pin : io->lines & ~(1u << pin);
	if (io->redtbl[pin] & RTE_LEVEL ? level : rising)
		fire(io, pin);
}

static uint32_t reg_read(struct vmm_ioapic *io)
{
	unsigned int pin = (io->sel - REG_REDTBL) / 2;

	switch (io->sel) {
	case REG_ID:
	case REG_ARB:
		return (uint32_t)io->id << 24;
	case REG_VERSION:
		return IOAPIC_VERSION | (VMM_IOAPIC_PINS - 1) << 16;
	default:
		if (io->sel < REG_REDTBL || pin >= VMM_IOAPIC_PINS)
			return 0xffffffff;
		return (uint32_t)(io->redtbl[pin] >> (io->sel & 1 ? 32 : 0));
	}
}

static void reg_write(struct vmm_ioapic *io, uint32_t val)
{
	unsigned int pin = (io->sel - REG_REDTBL) / 2;
	uint64_t e;

	if (io->sel == REG_ID) {
		io->id = val >> 24 & 0xf;
		return;
	}
	if (io->sel < REG_REDTBL || pin >= VMM_IOAPIC_PINS)
		return;
	e = io->redtbl[pin];
	if (io->sel & 1)
		e = (e & 0xffffffffULL) | (uint64_t)val << 32;
	else
		e = (e & ~0xffffffffULL) | (val & ~RTE_RO_BITS) | (e & RTE_RO_BITS);
	/* An edge-triggered entry has no remote IRR to keep. */
	if (!(e & RTE_LEVEL))
		e &= ~RTE_REMOTE_IRR;
	io->redtbl[pin] = e;
	if (e & RTE_LEVEL && io->lines & 1u << pin)
		fire(io, pin);
}

/* A directed EOI: every level-triggered pin with @vector may fire again. */
static void eoi(struct vmm_ioapic *io, uint8_t vector)
{
	for (unsigned int pin = 0; pin < VMM_IOAPIC_PINS; pin++) {
		uint64_t e = io->redtbl[pin];

		if (!(e & RTE_LEVEL) || !(e & RTE_REMOTE_IRR) || RTE_VECTOR(e) != vector)
			continue;
		io->redtbl[pin] &= ~RTE_REMOTE_IRR;
		if (io->lines & 1u << pin)
			fire(io, pin);
	}
}

static uint64_t ioapic_read(void *dev, uint64_t offset, unsigned int size)
{
	struct vmm_ioapic *io = dev;

	if (size != 4)
		return vmm_ones(size);
	switch (offset) {
	case IOREGSEL:	return io->sel;
	case IOWIN:	return reg_read(io);
	default:	return 0;
	}
}

static void ioapic_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	struct vmm_ioapic *io = dev;

	if (size != 4)
		return;
	switch (offset) {
	case IOREGSEL:	io->sel = (uint8_t)val; break;
	case IOWIN:	reg_write(io, (uint32_t)val); break;
	case IOEOI:	eoi(io, (uint8_t)val); break;
	default:	break;
	}
}

static const struct vmm_io_ops ioapic_ops = { ioapic_read, ioapic_write };

int vmm_ioapic_register(struct vmm_ioapic *io, struct vmm_bus *b, uint64_t base,
			const struct vmm_msi_sink *sink)
{
	*io = (struct vmm_ioapic){ .sink = sink };
	for (unsigned int pin = 0; pin < VMM_IOAPIC_PINS; pin++)
		io->redtbl[pin] = RTE_MASKED;
	return vmm_bus_register(b, &(struct vmm_region){ VMM_SPACE_MMIO, base, 0x1000, 4,
							 &ioapic_ops, io });
}
