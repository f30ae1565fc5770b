/* SPDX-License-Identifier: MIT */
/*
 * The launcher's own pieces (`softtdx run`): command-line helpers shared
 * with `softtdx measure`, the port devices, and the TD it builds and runs
 * through the KVM ioctl interface only.
 */
#ifndef SOFTTDX_VMM_VMM_H
#define SOFTTDX_VMM_VMM_H

#include <pthread.h>
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

/* ---- port devices (devices.c, cmos.c) ----------------------------------------- */

/* The RTC's CMOS RAM, with QEMU's q35 memory-size bytes. */
struct vmm_cmos {
	uint8_t index;
	uint8_t ram[128];
};

void vmm_cmos_init(struct vmm_cmos *c, uint64_t ram_below_4g, uint64_t ram_above_4g,
		   unsigned int cpus);
/* One byte at 0x70/0x71; false for any other port. */
bool vmm_cmos_io(struct vmm_cmos *c, uint16_t port, bool write, uint8_t *data);

struct vmm_devices {
	FILE *serial;		/* COM1 16550 at 0x3F8, or NULL (-serial none) */
	FILE *debugcon;		/* port 0x402, or NULL */
	int exit_port;		/* isa-debug-exit, or -1 */
	int exit_status;	/* what isa-debug-exit asked for, or -1 */
	bool trace;		/* report unclaimed ports and MMIO pages once */
	struct vmm_cmos cmos;
	uint64_t mmio_seen[64];	/* MMIO pages reported, +1 (0: free) */
	uint8_t port_seen[65536 / 8];
};

/* One port access; @data holds @size bytes (written, or to read into). */
void vmm_devices_io(struct vmm_devices *d, uint16_t port, unsigned int size, bool write,
		    uint8_t *data);
/* MMIO nothing claims: reads give all ones, as on QEMU. */
void vmm_devices_mmio(struct vmm_devices *d, uint64_t gpa, unsigned int len, bool write,
		      uint8_t *data);

/* ---- GetQuote (getquote.c) ----------------------------------------------------- */

#define VMM_MAX_QUOTES		16	/* requests in flight at once, as QEMU */
#define VMM_TDREPORT_SIZE	1024

struct vmm_quotes {
	const char *addr;		/* the quote-generation socket, or NULL */
	const char *out_path;		/* where each quote is saved, or NULL */
	/* Sends @vector to the vCPU with @apic_id (KVM_SIGNAL_MSI). */
	void (*notify)(void *ctx, uint32_t apic_id, uint8_t vector);
	void *ctx;
	pthread_mutex_t lock;
	pthread_cond_t idle;			/* in_flight went to 0 */
	uint32_t notify_vector, notify_apic_id;	/* SetupEventNotifyInterrupt */
	unsigned int in_flight;
	unsigned long quotes;			/* made and handed to the TD */
	uint8_t last_report[VMM_TDREPORT_SIZE];	/* the TDREPORT of the last one */
};

/*
 * TDVMCALL<GetQuote> for the shared buffer at @gpa (@len bytes, at @buf in
 * the VMM; NULL if no memslot holds it): the TDVMCALL status for the TD.
 */
uint64_t vmm_get_quote(struct vmm_quotes *q, uint8_t *buf, uint64_t gpa, uint64_t len);
void vmm_setup_event_notify(struct vmm_quotes *q, uint32_t vector, uint32_t apic_id);
void vmm_quotes_init(struct vmm_quotes *q, const char *addr, const char *out_path,
		     void (*notify)(void *ctx, uint32_t apic_id, uint8_t vector), void *ctx);
/* Waits for the requests in flight (each ends within the QGS timeout). */
void vmm_quotes_drain(struct vmm_quotes *q);

/* ---- `softtdx run`'s command line (run_options.c) -------------------------------- */

/* As many as softtdx's TDVF has stacks for, and a CPU group runs. */
#define VMM_MAX_VCPUS		64

enum {
	VMM_TRACE_EXIT = 1u << 0,	/* KVM exits the launcher handles */
	VMM_TRACE_VMCALL = 1u << 1,	/* SOFTTDX_TRACE's events, in softtdx's KVM */
	VMM_TRACE_SEAMCALL = 1u << 2,
	VMM_TRACE_TDCALL = 1u << 3,
	VMM_TRACE_ALL = 0xf,
};

struct run_options {
	const char *bios, *image, *payload;
	uint64_t ram;
	unsigned int smp;
	const char *serial, *debugcon;
	int exit_port;			/* isa-debug-exit, or -1 */
	uint64_t attributes;		/* TD ATTRIBUTES; SEPT_VE_DISABLE by default, as QEMU */
	uint8_t mrconfigid[48], mrowner[48], mrownerconfig[48];
	char object_id[64], machine_cgs[64];
	char qgs_type[8], qgs_path[256], qgs_cid[16], qgs_port[16], qgs_addr[300];
	const char *quote_socket;	/* for qgs_get_quote(), or NULL */
	const char *quote_out;
	unsigned int trace;		/* VMM_TRACE_* */
	bool json, quiet, kernel_kvm;
};

void vmm_run_usage(FILE *f);
/* -1 to go on; else the exit status (0 after --help, 2 with a message). */
int vmm_run_parse(int argc, char **argv, struct run_options *o);

/* ---- running a TD (run.c) ---------------------------------------------------- */

int cmd_run(int argc, char **argv);

/* softtdx's own TDVF (guest/tdvf.c), built in. */
extern const uint8_t softtdx_tdvf[];
extern const uint64_t softtdx_tdvf_size;

#endif /* SOFTTDX_VMM_VMM_H */
