// SPDX-License-Identifier: MIT
/*
 * linux-boot: Debian's 6.12 kernel with the test initramfs
 * (tests/linux/fixture.sh) from start to power-off, as a softtdx TD
 * (-kernel, 1 vCPU) and, as the baseline measured in the same run,
 * non-TD under Debian's qemu-system-x86_64 with TCG on q35.  The best of
 * RUNS each, with the TD's CPU time, its exits by kind from its --json
 * summary, and what accepting memory costs (the same boot with 1 GiB more).
 *   linux SOFTTDX KERNEL INITRD
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "piped.h"

#define RUNS		3
#define DEADLINE_S	600.0
#define INIT_MARK	"softtdx-init: up, 1 cpus"

static struct piped_output out;

struct boot {
	double s;		/* wall time to power-off, the best run's */
	double user_s, sys_s;	/* that run's CPU time */
	char json[1024];	/* that run's --json summary */
};

static double cpu_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec * 1e-6;
}

/* The best of RUNS to the end; each run must have reached /init. */
static bool best_of(char *const argv[], struct boot *b, char *why, size_t len)
{
	b->s = -1;
	for (int i = 0; i < RUNS; i++) {
		double t = piped_time_to(argv, NULL, DEADLINE_S, &out, why, len);
		const char *summary = strstr(out.buf, "{\"status\"");

		if (t >= 0 && !strstr(out.buf, INIT_MARK)) {
			snprintf(why, len, "%s: /init never ran", argv[0]);
			t = -1;
		}
		if (t < 0)
			return false;
		if (b->s < 0 || t < b->s) {
			b->s = t;
			b->user_s = cpu_s(&out.ru.ru_utime);
			b->sys_s = cpu_s(&out.ru.ru_stime);
			snprintf(b->json, sizeof(b->json), "%s", summary ? summary : "(no summary)\n");
		}
	}
	return true;
}

/* The baseline for accepting: the host's own first touch of 1 GiB of fresh memory. */
static double host_touch_ms_per_gib(void)
{
	const size_t gib = 1ULL << 30;
	char *m = mmap(NULL, gib, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t;

	if (m == MAP_FAILED)
		return -1;
	t = piped_now_s();
	for (size_t i = 0; i < gib; i += 4096)
		m[i] = 1;
	t = piped_now_s() - t;
	munmap(m, gib);
	return t * 1000;
}

int main(int argc, char **argv)
{
	char append[] = "console=ttyS0", mem[8] = "512M";
	char *td[] = { argc > 1 ? argv[1] : "build/vmm/softtdx", "run", "-kernel", argv[2],
		       "-initrd", argv[3], "-append", append, "-m", mem, "-serial", "stdio",
		       "--quiet", "--json", NULL };
	char *tcg[] = { "qemu-system-x86_64", "-accel", "tcg", "-machine", "q35", "-m", "512M",
			"-kernel", argv[2], "-initrd", argv[3], "-append", append, "-nodefaults",
			"-display", "none", "-serial", "stdio", "-no-reboot", NULL };
	struct boot b, big, q;
	char why[256];

	if (argc != 4) {
		fprintf(stderr, "usage: linux SOFTTDX KERNEL INITRD\n");
		return 2;
	}
	if (!best_of(td, &b, why, sizeof(why))) {
		printf("linux-boot s: FAILED (%s)\n", why);
		return 1;
	}
	printf("linux-boot s: %.2f (softtdx TD, 1 vCPU, 512M, to power-off, best of %d)\n", b.s,
	       RUNS);
	printf("linux-boot td cpu s: %.2f user, %.2f system (the engine runs in user time)\n",
	       b.user_s, b.sys_s);
	printf("linux-boot td exits: %s", b.json);
	/* The firmware accepts all RAM before the kernel runs: 1 GiB more, its cost. */
	snprintf(mem, sizeof(mem), "%s", "1536M");
	if (best_of(td, &big, why, sizeof(why)))
		printf("linux-boot accept ms/GiB: %.0f (1536M against 512M, 2 MiB accepts; "
		       "the host's first touch of 1 GiB: %.0f)\n", (big.s - b.s) * 1000,
		       host_touch_ms_per_gib());
	else
		printf("linux-boot accept ms/GiB: FAILED (%s)\n", why);
	if (!best_of(tcg, &q, why, sizeof(why))) {
		printf("linux-boot qemu-tcg s: skipped (%s)\n", why);
		return 0;
	}
	printf("linux-boot qemu-tcg s: %.2f (non-TD q35, same kernel and initramfs)\n", q.s);
	printf("linux-boot td/qemu-tcg ratio: %.2f\n", b.s / q.s);
	return 0;
}
