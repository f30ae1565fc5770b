// SPDX-License-Identifier: MIT
/*
 * A 16550 UART as firmware and kernels drive it by polling: what is
 * written to THR goes out at once, LSR says the transmitter is empty and
 * whether a byte waits, RBR gives the received bytes in order (a 16-byte
 * FIFO filled from the character device when the guest looks), and the
 * other registers keep what is written (divisor latch, IER, LCR, MCR,
 * scratch).  No interrupt is raised yet: there is no interrupt controller
 * for the UART's IRQ 4 to reach (issue #12).
 */
#include "../vmm.h"

#define UART_RBR_THR	0	/* DLAB 0 */
#define UART_IIR	2
#define UART_LCR	3
#define UART_LSR	5
#define LCR_DLAB	0x80
#define LSR_DR		0x01
#define LSR_THR_EMPTY	0x60
#define IIR_NO_INT	0x01

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

static uint64_t serial_read(void *dev, uint64_t offset, unsigned int size)
{
	struct vmm_serial *s = dev;
	uint8_t b;

	(void)size;
	switch (offset) {
	case UART_RBR_THR:
		if (s->regs[UART_LCR] & LCR_DLAB)
			return s->regs[offset];
		fill_rx(s);
		if (!s->rx_len)
			return 0;
		b = s->rx[s->rx_head];
		s->rx_head = (s->rx_head + 1) % sizeof(s->rx);
		s->rx_len--;
		return b;
	case UART_IIR:
		return IIR_NO_INT;
	case UART_LSR:
		fill_rx(s);
		return LSR_THR_EMPTY | (s->rx_len ? LSR_DR : 0);
	default:
		return s->regs[offset];
	}
}

static void serial_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	struct vmm_serial *s = dev;

	(void)size;
	if (offset == UART_RBR_THR && !(s->regs[UART_LCR] & LCR_DLAB))
		vmm_chardev_put(s->chr, (uint8_t)val);
	else if (offset != UART_LSR && offset != UART_IIR)	/* IIR's port is FCR when written */
		s->regs[offset] = (uint8_t)val;
}

static const struct vmm_io_ops serial_ops = { serial_read, serial_write };

int vmm_serial_register(struct vmm_serial *s, struct vmm_bus *b, uint16_t base,
			struct vmm_chardev *chr)
{
	*s = (struct vmm_serial){ .chr = chr };
	return vmm_bus_register(b, &(struct vmm_region){ VMM_SPACE_PIO, base, 8, 1, &serial_ops,
							 s });
}
