// SPDX-License-Identifier: MIT
/*
 * A 16550A UART as QEMU models one: what is written to THR goes out at
 * once, so the transmitter is always empty; received bytes wait in a
 * 16-byte FIFO filled from the character device when the guest looks or
 * when input arrives (vmm_serial_input()).  The interrupt line (ISA IRQ 4
 * for COM1, through the IOAPIC) is up while an enabled interrupt is
 * pending: received data, or THR empty, which a THR write re-arms and an
 * IIR read that reports it clears.  MCR's loopback mode reflects the
 * modem-control outputs in MSR, as kernels probing the UART expect.
 */
#include "../vmm.h"

#define UART_RBR_THR	0	/* DLAB 0 */
#define UART_IER	1
#define UART_IIR_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define LCR_DLAB	0x80
#define IER_RDI		0x01
#define IER_THRI	0x02
#define IIR_NO_INT	0x01
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_FIFO	0xC0
#define FCR_ENABLE	0x01
#define LSR_DR		0x01
#define LSR_THR_EMPTY	0x60
#define MCR_LOOP	0x10
#define MSR_IDLE	0xB0	/* DCD, DSR, CTS: a terminal is there */

static uint8_t pending(const struct vmm_serial *s)
{
	if (s->regs[UART_IER] & IER_RDI && s->rx_len)
		return IIR_RDI;
	if (s->regs[UART_IER] & IER_THRI && s->thr_pending)
		return IIR_THRI;
	return IIR_NO_INT;
}

static void update_irq(struct vmm_serial *s)
{
	if (s->ioapic)
		vmm_ioapic_set_irq(s->ioapic, s->gsi, pending(s) != IIR_NO_INT);
}

static void fill_rx(struct vmm_serial *s)
{
	uint8_t buf[sizeof(s->rx)];
	size_t n;

	if (s->rx_len)
		return;
	n = vmm_chardev_read(s->chr, buf, sizeof(buf));
	for (size_t i = 0; i < n; i++)
		s->rx[(s->rx_head + s->rx_len++) % sizeof(s->rx)] = buf[i];
}

void vmm_serial_input(struct vmm_serial *s)
{
	fill_rx(s);
	update_irq(s);
}

/* In loopback, MSR's CTS, DSR, RI and DCD are MCR's RTS, DTR, OUT1 and OUT2. */
static uint8_t modem_status(const struct vmm_serial *s)
{
	uint8_t mcr = s->regs[UART_MCR];

	if (!(mcr & MCR_LOOP))
		return MSR_IDLE;
	return (uint8_t)((mcr & 2) << 3 | (mcr & 1) << 5 | (mcr & 4) << 4 | (mcr & 8) << 4);
}

static uint8_t receive(struct vmm_serial *s)
{
	uint8_t b;

	fill_rx(s);
	if (!s->rx_len)
		return 0;
	b = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % sizeof(s->rx);
	s->rx_len--;
	update_irq(s);
	return b;
}

static uint64_t serial_read(void *dev, uint64_t offset, unsigned int size)
{
	struct vmm_serial *s = dev;
	uint8_t iir;

	(void)size;
	switch (offset) {
	case UART_RBR_THR:
		return s->regs[UART_LCR] & LCR_DLAB ? s->regs[offset] : receive(s);
	case UART_IIR_FCR:
		iir = pending(s);
		if (iir == IIR_THRI) {
			s->thr_pending = false;
			update_irq(s);
		}
		return iir | (s->fcr & FCR_ENABLE ? IIR_FIFO : 0);
	case UART_LSR:
		fill_rx(s);
		update_irq(s);
		return LSR_THR_EMPTY | (s->rx_len ? LSR_DR : 0);
	case UART_MSR:
		return modem_status(s);
	default:
		return s->regs[offset];
	}
}

static void serial_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	struct vmm_serial *s = dev;
	bool dlab = s->regs[UART_LCR] & LCR_DLAB;

	(void)size;
	if (offset == UART_RBR_THR && !dlab) {
		s->thr_pending = false;
		update_irq(s);
		if (!(s->regs[UART_MCR] & MCR_LOOP))
			vmm_chardev_put(s->chr, (uint8_t)val);
		s->thr_pending = true;		/* sent at once: THR is empty again */
	} else if (offset == UART_IER && !dlab) {
		if (val & IER_THRI && !(s->regs[UART_IER] & IER_THRI))
			s->thr_pending = true;
		s->regs[UART_IER] = (uint8_t)val & 0x0F;
	} else if (offset == UART_IIR_FCR) {
		s->fcr = (uint8_t)val & 0xC9;	/* the clear bits act and read back 0 */
	} else if (offset != UART_LSR && offset != UART_MSR) {
		s->regs[offset] = (uint8_t)val;
	}
	update_irq(s);
}

static const struct vmm_io_ops serial_ops = { serial_read, serial_write };

int vmm_serial_register(struct vmm_serial *s, struct vmm_bus *b, uint16_t base,
			struct vmm_chardev *chr, struct vmm_ioapic *ioapic, unsigned int gsi)
{
	*s = (struct vmm_serial){ .chr = chr, .ioapic = ioapic, .gsi = gsi };
	return vmm_bus_register(b, &(struct vmm_region){ VMM_SPACE_PIO, base, 8, 1, &serial_ops,
							 s });
}
