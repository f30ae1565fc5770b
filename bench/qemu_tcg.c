// SPDX-License-Identifier: MIT
/*
 * The baseline for guest throughput: bench/workload.h in Debian's
 * qemu-system-x86_64 with TCG (the emulator Unicorn was forked from),
 * timed from outside.  The image prints its hash, which must match the
 * native result, so both emulators are known to run the same work.
 */
#include "baselines.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "piped.h"
#include "uapi_util.h"
#include "workload.h"

#define QEMU		"qemu-system-x86_64"
#define RUNS		3	/* the fastest of RUNS per round count */


/* The QEMU command line for one run of @image with @rounds. */
static void qemu_argv(char *argv[], const char *image, char *append)
{
	const char *args[] = {
		QEMU, "-accel", "tcg", "-machine", "pc", "-m", "64M", "-nodefaults",
		"-display", "none", "-no-reboot", "-debugcon", "stdio",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		"-kernel", image, "-append", append, NULL,
	};

	memcpy(argv, args, sizeof(args));
}

/* Starts QEMU with its stdout on a pipe; returns the read end, or -1. */
static int spawn_qemu(const char *image, unsigned int rounds, pid_t *pid, char *why, size_t len)
{
	char append[32], *argv[20];
	int fd, err;

	snprintf(append, sizeof(append), "rounds=%u", rounds);
	qemu_argv(argv, image, append);
	fd = spawn_piped(argv, pid, &err);
	if (fd < 0) {
		if (err == ENOENT)
			snprintf(why, len, "qemu-system-x86 not installed");
		else
			snprintf(why, len, QEMU ": %s", strerror(err));
	}
	return fd;
}

/* Reads QEMU's output until it exits; the hash the image printed, or -1. */
static int collect(int fd, pid_t pid, uint64_t *hash, char *why, size_t len)
{
	char out[256] = "";
	size_t got = 0;
	ssize_t n;
	int status;
	const char *h;

	while ((n = read(fd, out + got, sizeof(out) - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fd);
	waitpid(pid, &status, 0);
	/* isa-debug-exit: the image's 0 becomes status (0 << 1) | 1. */
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 1) {
		snprintf(why, len, QEMU " failed (status %#x): %s", status, out);
		return -1;
	}
	h = strstr(out, "hash=");
	if (!h || sscanf(h, "hash=%" SCNx64, hash) != 1) {
		snprintf(why, len, QEMU " printed no hash: \"%s\"", out);
		return -1;
	}
	return 0;
}

/* Seconds for the fastest of RUNS whole QEMU runs with @rounds, or < 0. */
static double time_qemu(const char *image, unsigned int rounds, uint64_t *hash,
			char *why, size_t len)
{
	double best = -1;

	for (int i = 0; i < RUNS; i++) {
		double t = bench_now();
		pid_t pid;
		int fd = spawn_qemu(image, rounds, &pid, why, len);

		if (fd < 0 || collect(fd, pid, hash, why, len))
			return -1;
		t = bench_now() - t;
		if (best < 0 || t < best)
			best = t;
	}
	return best;
}

double qemu_tcg_round_us(const char *image, unsigned int rounds, char *why, size_t len)
{
	static uint8_t native_buf[WORKLOAD_BYTES];
	uint64_t hash, native;
	double one, many;

	one = time_qemu(image, 1, &hash, why, len);
	if (one < 0)
		return -1;
	many = time_qemu(image, rounds, &hash, why, len);
	if (many < 0)
		return -1;
	native = workload(native_buf, rounds);
	if (hash != native)
		bench_die("QEMU computed %#" PRIx64 ", natively %#" PRIx64, hash, native);
	return (many - one) * 1e6 / (rounds - 1);
}
