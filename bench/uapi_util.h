/* SPDX-License-Identifier: MIT */
/*
 * What the benchmarks that drive softtdx through its ioctl interface
 * (bench/kvm, bench/td-uapi) share: a clock, fatal checks, and a TD's
 * KVM_TDX_INIT_VM as a VMM issues it.
 */
#ifndef SOFTTDX_BENCH_UAPI_UTIL_H
#define SOFTTDX_BENCH_UAPI_UTIL_H

/* CLOCK_MONOTONIC in seconds. */
double bench_now(void);

/* Prints "bench/PROGRAM: message" and exits with status 1. */
void bench_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Dies with @what and errno's text when an ioctl returned < 0. */
void bench_check(int ret, const char *what);

/* KVM_MEMORY_ENCRYPT_OP sub-command @id on a softtdx descriptor. */
int bench_tdx_cmd(int fd, unsigned int id, void *data, unsigned int flags);

/* KVM_TDX_INIT_VM with every configurable CPUID leaf zero and GPAW 48. */
void bench_init_vm(int td);

#endif /* SOFTTDX_BENCH_UAPI_UTIL_H */
