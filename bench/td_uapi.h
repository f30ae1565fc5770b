/* SPDX-License-Identifier: MIT */
/*
 * What bench/td-uapi and its guest (tests/guests/bench_uapi.c) agree on:
 * the TD's memory layout and the ports the guest reports on.
 */
#ifndef SOFTTDX_BENCH_TD_UAPI_H
#define SOFTTDX_BENCH_TD_UAPI_H

/* Private RAM at GPA 0; the guest accepts two fresh regions of it. */
#define BENCH_RAM_SIZE		(512ULL << 20)
#define BENCH_4K_GPA		0x00200000ULL	/* accepted 4 KiB at a time */
#define BENCH_4K_PAGES		8192u		/* 32 MiB */
#define BENCH_2M_GPA		0x04000000ULL	/* accepted 2 MiB at a time */
#define BENCH_2M_PAGES		192u		/* 384 MiB */

/* TDVMCALL<Instruction.IO> round trips the guest makes in a row. */
#define BENCH_IO_EXITS		20000u

/* Times the guest runs the workload (the VMM keeps the fastest). */
#define BENCH_COMPUTE_RUNS	5u

/* Ports: phase markers (value = the phase that starts; PHASE_COMPUTE once per
 * run of the workload), the exits timed, results. */
#define BENCH_PORT_MARK		0x91
#define BENCH_PORT_EXIT		0x90
#define BENCH_PORT_HASH		0x80	/* the workload's hash, low 32 bits: the end */
#define BENCH_PORT_FAIL		0x83	/* an ACCEPT failed: status >> 32 */

enum bench_phase {
	PHASE_IO = 1, PHASE_4K, PHASE_2M, PHASE_COMPUTE, PHASE_DONE,
};

#endif /* SOFTTDX_BENCH_TD_UAPI_H */
