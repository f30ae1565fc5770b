/* SPDX-License-Identifier: MIT */
/*
 * The launcher's own pieces (`softtdx run`): command-line helpers shared
 * with `softtdx measure`, the port devices, and the TD it builds and runs
 * through the KVM ioctl interface only.
 */
#ifndef SOFTTDX_VMM_VMM_H
#define SOFTTDX_VMM_VMM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The whole file (at most @max bytes), or NULL with a message. */
uint8_t *vmm_read_file(const char *path, size_t max, size_t *len);

#define MAX_PAYLOAD_SIZE	(16u << 20)

/*
 * The firmware at @fw_path (softtdx's TDVF when NULL) followed by the
 * payload file at @payload_path (if not NULL): one buffer for the sections'
 * DataOffsets to index.  @fw_len is the firmware's part of @len.
 */
uint8_t *vmm_read_firmware(const char *fw_path, size_t fw_max, const char *payload_path,
			   size_t *fw_len, size_t *len);
/* QEMU's -m syntax: 512M, 2G, plain MiB; 0 or -1. */
int vmm_parse_size(const char *s, uint64_t *bytes);
void vmm_print_hex(FILE *f, const uint8_t *b, size_t n);

/* ---- port devices (devices.c) ------------------------------------------------ */

struct vmm_devices {
	FILE *serial;		/* COM1 16550 at 0x3F8, or NULL (-serial none) */
	FILE *debugcon;		/* port 0x402, or NULL */
	int exit_port;		/* isa-debug-exit, or -1 */
	int exit_status;	/* what isa-debug-exit asked for, or -1 */
	bool trace;		/* report unclaimed ports once */
	uint8_t port_seen[65536 / 8];
};

/* One port access; @data holds @size bytes (written, or to read into). */
void vmm_devices_io(struct vmm_devices *d, uint16_t port, unsigned int size, bool write,
		    uint8_t *data);

/* ---- running a TD (run.c) ---------------------------------------------------- */

int cmd_run(int argc, char **argv);

/* softtdx's own TDVF (guest/tdvf.c), built in. */
extern const uint8_t softtdx_tdvf[];
extern const uint64_t softtdx_tdvf_size;

#endif /* SOFTTDX_VMM_VMM_H */
