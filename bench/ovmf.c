// SPDX-License-Identifier: MIT
/*
 * ovmf-shell: how long Debian's OVMF takes from start to the UEFI shell
 * (the moment it offers to run startup.nsh, before its 5-second
 * countdown), in a softtdx TD and, as the baseline measured in the same
 * run, non-TD on Debian's qemu-system-x86_64 with TCG and the same q35
 * machine.  The best of RUNS each; stdout is watched through a pipe.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "piped.h"

#define OVMF		"/usr/share/ovmf/OVMF.fd"
#define MARK		"startup.nsh"
#define RUNS		3
#define DEADLINE_S	600.0	/* a run that never gets there is a failure, not a figure */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Seconds until @argv prints MARK, or -1 with *why. */
static double time_to_shell(char *const argv[], char *why, size_t len)
{
	static char out[1 << 20];	/* what the firmware printed so far: far less than this */
	double start = now_s(), t = -1;
	size_t got = 0;
	int fd, err, status;
	pid_t pid;
	ssize_t n;

	fd = spawn_piped(argv, &pid, &err);
	if (fd < 0) {
		snprintf(why, len, "%s: %s", argv[0], strerror(err));
		return -1;
	}
	while (t < 0 && got < sizeof(out) && now_s() - start < DEADLINE_S) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 1000) == 0)
			continue;
		n = read(fd, out + got, sizeof(out) - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memmem(out, got, MARK, strlen(MARK)))
			t = now_s() - start;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(fd);
	if (t < 0)
		snprintf(why, len, "%s never reached the shell", argv[0]);
	return t;
}

static double best_of(char *const argv[], char *why, size_t len)
{
	double best = -1;

	for (int i = 0; i < RUNS; i++) {
		double t = time_to_shell(argv, why, len);

		if (t < 0)
			return -1;
		if (best < 0 || t < best)
			best = t;
	}
	return best;
}

int main(int argc, char **argv)
{
	char *td[] = { argc > 1 ? argv[1] : "build/vmm/softtdx", "run", "-bios", OVMF, "-m", "1G",
		       "-serial", "stdio", "--quiet", NULL };
	char *tcg[] = { "qemu-system-x86_64", "-accel", "tcg", "-machine", "q35", "-m", "1G",
			"-bios", OVMF, "-nodefaults", "-display", "none", "-serial", "stdio", NULL };
	char why[256];
	double t_td, t_tcg;

	if (access(OVMF, R_OK)) {
		printf("ovmf-shell s: skipped (%s not installed)\n", OVMF);
		return 0;
	}
	t_td = best_of(td, why, sizeof(why));
	if (t_td < 0) {
		printf("ovmf-shell s: FAILED (%s)\n", why);
		return 1;
	}
	printf("ovmf-shell s: %.2f (softtdx TD, best of %d)\n", t_td, RUNS);
	t_tcg = best_of(tcg, why, sizeof(why));
	if (t_tcg < 0) {
		printf("ovmf-shell qemu-tcg s: skipped (%s)\n", why);
		return 0;
	}
	printf("ovmf-shell qemu-tcg s: %.2f (non-TD q35, same firmware)\n", t_tcg);
	printf("ovmf-shell td/qemu-tcg ratio: %.2f\n", t_td / t_tcg);
	return 0;
}
