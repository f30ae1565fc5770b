// SPDX-License-Identifier: MIT
/*
 * linux-boot: Debian's 6.12 kernel with the test initramfs
 * (tests/linux/fixture.sh) from start to power-off, as a softtdx TD
 * (-kernel, 1 vCPU) and, as the baseline measured in the same run,
 * non-TD under Debian's qemu-system-x86_64 with TCG on q35.  The best of
 * RUNS each, with the TD's exits by kind from its --json summary.
 *   linux SOFTTDX KERNEL INITRD
 */
#include <stdio.h>
#include <string.h>

#include "piped.h"

#define RUNS		3
#define DEADLINE_S	600.0
#define INIT_MARK	"softtdx-init: up, 1 cpus"

static struct piped_output out;

/* The best time of RUNS to the end; each run must have reached /init. */
static double best_of(char *const argv[], char *json, size_t json_len, char *why, size_t len)
{
	double best = -1;

	for (int i = 0; i < RUNS; i++) {
		double t = piped_time_to(argv, NULL, DEADLINE_S, &out, why, len);
		const char *summary = strstr(out.buf, "{\"status\"");

		if (t >= 0 && !strstr(out.buf, INIT_MARK)) {
			snprintf(why, len, "%s: /init never ran", argv[0]);
			t = -1;
		}
		if (t < 0)
			return -1;
		if (best < 0 || t < best) {
			best = t;
			if (json)
				snprintf(json, json_len, "%s", summary ? summary : "");
		}
	}
	return best;
}

int main(int argc, char **argv)
{
	char append[] = "console=ttyS0";
	char *td[] = { argc > 1 ? argv[1] : "build/vmm/softtdx", "run", "-kernel", argv[2],
		       "-initrd", argv[3], "-append", append, "-m", "512M", "-serial", "stdio",
		       "--quiet", "--json", NULL };
	char *tcg[] = { "qemu-system-x86_64", "-accel", "tcg", "-machine", "q35", "-m", "512M",
			"-kernel", argv[2], "-initrd", argv[3], "-append", append, "-nodefaults",
			"-display", "none", "-serial", "stdio", "-no-reboot", NULL };
	char why[256], json[1024] = "";
	double t_td, t_tcg;

	if (argc != 4) {
		fprintf(stderr, "usage: linux SOFTTDX KERNEL INITRD\n");
		return 2;
	}
	t_td = best_of(td, json, sizeof(json), why, sizeof(why));
	if (t_td < 0) {
		printf("linux-boot s: FAILED (%s)\n", why);
		return 1;
	}
	printf("linux-boot s: %.2f (softtdx TD, 1 vCPU, to power-off, best of %d)\n", t_td, RUNS);
	printf("linux-boot td exits: %s", json[0] ? json : "(no summary)\n");
	t_tcg = best_of(tcg, NULL, 0, why, sizeof(why));
	if (t_tcg < 0) {
		printf("linux-boot qemu-tcg s: skipped (%s)\n", why);
		return 0;
	}
	printf("linux-boot qemu-tcg s: %.2f (non-TD q35, same kernel and initramfs)\n", t_tcg);
	printf("linux-boot td/qemu-tcg ratio: %.2f\n", t_td / t_tcg);
	return 0;
}
