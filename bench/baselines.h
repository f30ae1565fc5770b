/* SPDX-License-Identifier: MIT */
/*
 * The baselines bench/td-uapi measures in the same run: the kernel's KVM
 * and Debian's QEMU.  Each returns the figure, or a negative value with
 * the reason it could not measure in @why (for a "skipped" line).
 */
#ifndef SOFTTDX_BENCH_BASELINES_H
#define SOFTTDX_BENCH_BASELINES_H

#include <stddef.h>

/* Microseconds per KVM_EXIT_IO round trip of a real-mode guest on /dev/kvm. */
double kernel_io_exit_us(unsigned int exits, char *why, size_t len);

/*
 * Microseconds per round of bench/workload.h under qemu-system-x86_64 TCG,
 * running @image (bench/guests/: a multiboot image) with @rounds and 1 round:
 * the difference leaves QEMU's start-up out.
 */
double qemu_tcg_round_us(const char *image, unsigned int rounds, char *why, size_t len);

#endif /* SOFTTDX_BENCH_BASELINES_H */
