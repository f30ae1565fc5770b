// SPDX-License-Identifier: MIT
/*
 * Character devices behind COM1 and the debug console, as QEMU's -serial
 * and -debugcon take them: stdio, file:PATH, none.  stdio also reads: on
 * a terminal it goes raw (keys reach the guest as typed, Ctrl-C still
 * ends softtdx) and is restored on every way out, and Ctrl-A x quits as
 * QEMU's multiplexed stdio does (Ctrl-A Ctrl-A sends one Ctrl-A).
 */
#include "vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define CTRL_A		0x01

/* The terminal's state before raw mode, for whichever way softtdx ends. */
static struct termios saved_tty;
static volatile sig_atomic_t tty_raw;

static void restore_tty(void)
{
	if (tty_raw) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
		tty_raw = 0;
	}
}

static void restore_and_die(int sig)
{
	restore_tty();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void make_raw(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty))
		return;
	t = saved_tty;
	/* Raw input and no echo, but signals stay: Ctrl-C ends softtdx as on QEMU's stdio. */
	t.c_iflag &= ~(unsigned)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(unsigned)(ECHO | ECHONL | ICANON | IEXTEN);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	/* TCSANOW, as QEMU's stdio: what was typed ahead is kept, not flushed. */
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t))
		return;
	tty_raw = 1;
	atexit(restore_tty);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], restore_and_die);
}

int vmm_chardev_open(struct vmm_chardev *c, const char *spec, bool input)
{
	*c = (struct vmm_chardev){ .in_fd = -1 };
	if (!spec || !strcmp(spec, "none"))
		return 0;
	if (!strcmp(spec, "stdio")) {
		c->out = stdout;
		if (input) {
			c->in_fd = STDIN_FILENO;
			make_raw();
		}
		return 0;
	}
	if (!strncmp(spec, "file:", 5)) {
		c->out = fopen(spec + 5, "w");
		return c->out ? 0 : -errno;
	}
	return -EINVAL;
}

void vmm_chardev_close(struct vmm_chardev *c)
{
	if (c->out && c->out != stdout)
		fclose(c->out);
	else if (c->out)
		fflush(c->out);
	if (c->in_fd == STDIN_FILENO)
		restore_tty();
	c->out = NULL;
	c->in_fd = -1;
}

void vmm_chardev_put(struct vmm_chardev *c, uint8_t byte)
{
	if (c->out) {
		fputc(byte, c->out);
		fflush(c->out);
	}
}

/* Ctrl-A x quits; Ctrl-A Ctrl-A is one Ctrl-A; Ctrl-A and anything else is dropped. */
static bool escaped(struct vmm_chardev *c, uint8_t b, uint8_t *out)
{
	if (c->escape) {
		c->escape = false;
		if (b == 'x') {
			fprintf(stderr, "\r\nsofttdx: terminated (Ctrl-A x)\r\n");
			if (c->quit)
				vmm_power_request(c->quit, "quit");
			return false;
		}
		*out = b;
		return b == CTRL_A;
	}
	if (b == CTRL_A && c->in_fd == STDIN_FILENO && tty_raw) {
		c->escape = true;
		return false;
	}
	*out = b;
	return true;
}

size_t vmm_chardev_read(struct vmm_chardev *c, uint8_t *buf, size_t n)
{
	struct pollfd p = { .fd = c->in_fd, .events = POLLIN };
	uint8_t raw[64];
	size_t got = 0;
	ssize_t r;

	if (c->in_fd < 0 || c->eof || !n || poll(&p, 1, 0) <= 0)
		return 0;
	r = read(c->in_fd, raw, n < sizeof(raw) ? n : sizeof(raw));
	if (r <= 0) {
		c->eof = r == 0;	/* the input ended: nothing more comes */
		return 0;
	}
	for (ssize_t i = 0; i < r; i++)
		if (escaped(c, raw[i], &buf[got]))
			got++;
	return got;
}
