/* SPDX-License-Identifier: MIT */
/* Baseline programs started with their standard output on a pipe. */
#ifndef SOFTTDX_BENCH_PIPED_H
#define SOFTTDX_BENCH_PIPED_H

#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

/*
 * Starts @argv (looked up in PATH) with stdin from /dev/null and stdout on
 * a pipe; the pipe's read end, or -1 with the errno in *err.
 */
int spawn_piped(char *const argv[], pid_t *pid, int *err);

struct piped_output {
	char buf[1 << 20];	/* far more than a firmware or kernel boot prints */
	size_t len;
	struct rusage ru;	/* the program's CPU time, once it is gone */
};

double piped_now_s(void);
/*
 * Seconds from starting @argv until its output shows @mark (then it is
 * killed) or, with @mark NULL, until it closes its output; what it printed
 * in @o.  -1 with *why after @deadline_s or on failure.
 */
double piped_time_to(char *const argv[], const char *mark, double deadline_s,
		     struct piped_output *o, char *why, size_t len);

#endif /* SOFTTDX_BENCH_PIPED_H */
