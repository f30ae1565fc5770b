/* SPDX-License-Identifier: MIT */
/* Baseline programs started with their standard output on a pipe. */
#ifndef SOFTTDX_BENCH_PIPED_H
#define SOFTTDX_BENCH_PIPED_H

#include <sys/types.h>

/*
 * Starts @argv (looked up in PATH) with stdin from /dev/null and stdout on
 * a pipe; the pipe's read end, or -1 with the errno in *err.
 */
int spawn_piped(char *const argv[], pid_t *pid, int *err);

#endif /* SOFTTDX_BENCH_PIPED_H */
