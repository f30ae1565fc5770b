// SPDX-License-Identifier: MIT
/*
 * A 16550 UART as far as firmware and kernels print through it: what is
 * written to THR goes out, LSR always says the transmitter is empty, the
 * other registers keep what is written (the divisor latch, IER, LCR, MCR,
 * scratch) and nothing is ever received.
 */
#include "../vmm.h"

#define UART_THR	0	/* DLAB 0 */
#define UART_LCR	3
#define UART_LSR	5
#define LCR_DLAB	0x80
#define LSR_THR_EMPTY	0x60

static uint64_t serial_read(void *dev, uint64_t offset, unsigned int size)
{
	struct vmm_serial *s = dev;

	(void)size;
	if (offset == UART_LSR)
		return LSR_THR_EMPTY;
	if (offset == UART_THR && !(s->regs[UART_LCR] & LCR_DLAB))
		return 0;	/* RBR: nothing received */
	return s->regs[offset];
}

static void serial_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	struct vmm_serial *s = dev;

	(void)size;
	if (offset == UART_THR && !(s->regs[UART_LCR] & LCR_DLAB)) {
		if (s->out) {
			/* At once, as a UART sends it: a prompt has no newline. */
			fputc((int)(val & 0xFF), s->out);
			fflush(s->out);
		}
	} else if (offset != UART_LSR) {
		s->regs[offset] = (uint8_t)val;
	}
}

static const struct vmm_io_ops serial_ops = { serial_read, serial_write };

int vmm_serial_register(struct vmm_serial *s, struct vmm_bus *b, uint16_t base, FILE *out)
{
	*s = (struct vmm_serial){ .out = out };
	return vmm_bus_register(b, &(struct vmm_region){ VMM_SPACE_PIO, base, 8, 1, &serial_ops,
							 s });
}
