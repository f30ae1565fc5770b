// SPDX-License-Identifier: MIT
/*
 * ovmf-shell: how long Debian's OVMF takes from start to the UEFI shell
 * (the moment it offers to run startup.nsh, before its 5-second
 * countdown), in a softtdx TD and, as the baseline measured in the same
 * run, non-TD on Debian's qemu-system-x86_64 with TCG and the same q35
 * machine.  The best of RUNS each; stdout is watched through a pipe.
 */
#include <stdio.h>
#include <unistd.h>

#include "piped.h"

#define OVMF		"/usr/share/ovmf/OVMF.fd"
#define MARK		"startup.nsh"
#define RUNS		3
#define DEADLINE_S	600.0	/* a run that never gets there is a failure, not a figure */

static double best_of(char *const argv[], char *why, size_t len)
{
	double best = -1;

	for (int i = 0; i < RUNS; i++) {
		static struct piped_output out;
		double t = piped_time_to(argv, MARK, DEADLINE_S, &out, why, len);

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
