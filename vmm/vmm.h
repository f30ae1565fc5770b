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
struct tdvf_meta;
struct td_ram_map;

/* -kernel FILE [-initrd FILE] [-append CMDLINE] for a TD of @ram bytes and @cpus vCPUs. */
struct vmm_linux_args {
	const char *kernel, *initrd, *append;
	uint64_t ram;
	unsigned int cpus;
};

/*
 * Appends the kernel, the initrd and the boot region to *@image (whose
 * first @fw_len bytes are softtdx's TDVF, parsed into @meta), adds their
 * measured sections to @meta and builds the RAM map into @map.  0, or -1
 * with a message on stderr.
 */
int vmm_load_linux(const struct vmm_linux_args *a, uint8_t **image, size_t fw_len, size_t *len,
		   struct tdvf_meta *meta, struct td_ram_map *map);

/* QEMU's -m syntax: 512M, 2G, plain MiB; 0 or -1. */
int vmm_parse_size(const char *s, uint64_t *bytes);
void vmm_print_hex(FILE *f, const uint8_t *b, size_t n);

/* ---- character devices (chardev.c) --------------------------------------------------- */

struct vmm_power;

struct vmm_chardev {
	FILE *out;			/* NULL: output dropped */
	int in_fd;			/* -1: no input */
	bool eof, escape;		/* input ended; Ctrl-A seen */
	struct vmm_power *quit;		/* where Ctrl-A x asks to end */
};

/* stdio, file:PATH or none (or NULL); @input: stdio also reads. -EINVAL, or -errno. */
int vmm_chardev_open(struct vmm_chardev *c, const char *spec, bool input);
void vmm_chardev_close(struct vmm_chardev *c);
void vmm_chardev_put(struct vmm_chardev *c, uint8_t byte);
/* What input there is now, at most @n bytes, without waiting. */
size_t vmm_chardev_read(struct vmm_chardev *c, uint8_t *buf, size_t n);

/* ---- the I/O buses (bus.c) -------------------------------------------------------- */

enum vmm_space { VMM_SPACE_PIO, VMM_SPACE_MMIO };

/* A device's side of its region: @offset from the region's base, @size bytes. */
struct vmm_io_ops {
	uint64_t (*read)(void *dev, uint64_t offset, unsigned int size);
	void (*write)(void *dev, uint64_t offset, unsigned int size, uint64_t val);
};

struct vmm_region {
	enum vmm_space space;
	uint64_t base, len;
	unsigned int max_access;	/* 1, 2, 4 or 8: wider accesses are split */
	const struct vmm_io_ops *ops;
	void *dev;
};

#define VMM_BUS_MAX_REGIONS	32

struct vmm_bus {
	pthread_mutex_t lock;		/* one device access at a time */
	struct vmm_region r[VMM_BUS_MAX_REGIONS];
	size_t nr;
	bool trace;			/* report unclaimed ports and MMIO pages once */
	uint64_t mmio_seen[64];		/* MMIO pages reported, +1 (0: free) */
	uint8_t port_seen[65536 / 8];
};

/* What nothing answers with: all ones, @size bytes (1 to 8) wide. */
static inline uint64_t vmm_ones(unsigned int size)
{
	return ~0ULL >> (64 - 8 * size);
}

void vmm_bus_init(struct vmm_bus *b, bool trace);
void vmm_bus_destroy(struct vmm_bus *b);
/*
 * Regions come and go before the vCPUs run, or from a device's own access
 * (a BAR or window the guest moves), when the bus lock is held already.
 * Register: -EINVAL (empty, wrapping, beyond port 0xFFFF, bad max_access),
 * -EEXIST (overlap), -ENOSPC.  Unregister: -ENOENT when no region starts at @base.
 */
int vmm_bus_register(struct vmm_bus *b, const struct vmm_region *r);
int vmm_bus_unregister(struct vmm_bus *b, enum vmm_space space, uint64_t base);
/* One access of @size bytes; @data holds what is written, or gets what is read. */
void vmm_bus_access(struct vmm_bus *b, enum vmm_space space, uint64_t addr, unsigned int size,
		    bool write, uint8_t *data);

/* ---- devices (devices/) ------------------------------------------------------------ */

/* The RTC's CMOS RAM at 0x70/0x71, with QEMU's q35 memory-size bytes. */
struct vmm_cmos {
	uint8_t index;
	uint8_t ram[128];
};

void vmm_cmos_init(struct vmm_cmos *c, uint64_t ram_below_4g, uint64_t ram_above_4g,
		   unsigned int cpus);
int vmm_cmos_register(struct vmm_cmos *c, struct vmm_bus *b);

/* Where an interrupt controller's messages go: KVM_SIGNAL_MSI, for a TD. */
struct vmm_msi_sink {
	void (*send)(void *ctx, uint32_t address, uint32_t data);
	void *ctx;
};

#define VMM_IOAPIC_PINS		24
#define VMM_IOAPIC_BASE		0xFEC00000u

/* The IOAPIC (version 0x20, 24 pins); its pins fire MSIs into @sink. */
struct vmm_ioapic {
	const struct vmm_msi_sink *sink;
	uint8_t id, sel;
	uint32_t lines;			/* the pins' input levels */
	uint64_t redtbl[VMM_IOAPIC_PINS];
};

int vmm_ioapic_register(struct vmm_ioapic *io, struct vmm_bus *b, uint64_t base,
			const struct vmm_msi_sink *sink);
/* A device drives pin @pin: edge-triggered entries fire on the rising edge. */
void vmm_ioapic_set_irq(struct vmm_ioapic *io, unsigned int pin, bool level);

/* A 16550A UART (COM1 at 0x3F8) on a character device, its line on an IOAPIC pin. */
struct vmm_serial {
	struct vmm_chardev *chr;
	struct vmm_ioapic *ioapic;	/* NULL: no interrupt line */
	unsigned int gsi;
	uint8_t regs[8];
	uint8_t fcr;
	bool thr_pending;		/* the THR-empty interrupt is pending */
	uint8_t rx[16];			/* the receive FIFO */
	unsigned int rx_head, rx_len;
};

int vmm_serial_register(struct vmm_serial *s, struct vmm_bus *b, uint16_t base,
			struct vmm_chardev *chr, struct vmm_ioapic *ioapic, unsigned int gsi);
/* Input may be waiting on the character device: take it, with the bus lock held. */
void vmm_serial_input(struct vmm_serial *s);

/* QEMU's debug console at 0x402. */
struct vmm_debugcon {
	FILE *out;
};

int vmm_debugcon_register(struct vmm_debugcon *d, struct vmm_bus *b, uint16_t port, FILE *out);

/* isa-debug-exit: a write of V asks to end with status (V << 1) | 1. */
struct vmm_debug_exit {
	_Atomic int status;		/* -1 until written */
};

int vmm_debug_exit_register(struct vmm_debug_exit *d, struct vmm_bus *b, uint16_t iobase);

/* ---- PCI (devices/pci.c) ----------------------------------------------------------- */

#define VMM_PCI_CFG_SIZE	4096

/*
 * One PCI function: its configuration space, which bits of it the guest
 * may write, and what else a write does.  @cfg_size is 256 for a
 * conventional function (the rest reads all ones), 4096 for PCI Express.
 */
struct vmm_pci_fn {
	uint8_t cfg[VMM_PCI_CFG_SIZE];
	uint8_t wmask[VMM_PCI_CFG_SIZE];
	unsigned int cfg_size;
	/* Called after a write of @size bytes at @offset, with the bus lock held. */
	void (*written)(struct vmm_pci_fn *f, unsigned int offset, unsigned int size);
	void *dev;
};

/*
 * PCI bus 0 and its host's two ways in: configuration mechanism #1
 * (CONFIG_ADDRESS at 0xCF8, CONFIG_DATA at 0xCFC) and the memory-mapped
 * (ECAM) window its host bridge places.  0xCF9 sits inside CONFIG_ADDRESS's
 * dword (the chipset's reset control): byte accesses there go to @rcr.
 */
struct vmm_pci {
	struct vmm_bus *bus;
	struct vmm_pci_fn *fn[256];		/* by devfn: device << 3 | function */
	uint32_t config_address;
	uint64_t ecam_base, ecam_len;		/* ecam_len 0: no window */
	const struct vmm_io_ops *rcr;
	void *rcr_dev;
};

int vmm_pci_init(struct vmm_pci *pci, struct vmm_bus *bus);
/* Puts @f at @devfn; -EEXIST when taken. */
int vmm_pci_add(struct vmm_pci *pci, unsigned int devfn, struct vmm_pci_fn *f);
/* Configuration accesses as both mechanisms make them: all ones where nothing is. */
uint32_t vmm_pci_config_read(struct vmm_pci *pci, unsigned int devfn, unsigned int offset,
			     unsigned int size);
void vmm_pci_config_write(struct vmm_pci *pci, unsigned int devfn, unsigned int offset,
			  unsigned int size, uint32_t val);
/* Moves the ECAM window (len 0 removes it); with the bus lock held, or before vCPUs run. */
int vmm_pci_set_ecam(struct vmm_pci *pci, uint64_t base, uint64_t len);
/* A function's identity (IDs, revision, class code, header type 0, QEMU's subsystem) and QEMU's write masks. */
void vmm_pci_fn_init(struct vmm_pci_fn *f, uint16_t vendor, uint16_t device, uint8_t revision,
		     uint32_t class_code, unsigned int cfg_size);

/* ---- q35's chipset (devices/q35_mch.c, devices/ich9_lpc.c, devices/ich9_pm.c) ------- */

/* How the guest asked the machine to end: power-off (S5) or a reset a TD cannot take. */
struct vmm_power {
	_Atomic int status;		/* -1 while running, else softtdx run's exit status */
	const char *_Atomic reason;	/* "poweroff" or "reset" */
};

void vmm_power_request(struct vmm_power *p, const char *reason);

/* The MCH host bridge (8086:29C0) at 00.0; it places the ECAM window. */
struct vmm_q35_mch {
	struct vmm_pci_fn fn;
	struct vmm_pci *pci;
};

int vmm_q35_mch_init(struct vmm_q35_mch *m, struct vmm_pci *pci);

/* The ICH9 power-management I/O block (128 ports at PMBASE) with the ACPI PM timer. */
struct vmm_ich9_pm {
	struct vmm_bus *bus;
	struct vmm_power *power;
	uint16_t base;			/* 0: not decoded */
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint8_t gpe0[16];
	uint32_t smi_en;
	uint64_t start_ns;		/* the PM timer's zero */
};

/* The ICH9 LPC bridge (8086:2918) at 1f.0: PMBASE, ACPI_CNTL, PIRQ routing, RST_CNT at 0xCF9. */
struct vmm_ich9_lpc {
	struct vmm_pci_fn fn;
	struct vmm_ich9_pm pm;
	struct vmm_power *power;
	uint8_t rst_cnt;
};

int vmm_ich9_lpc_init(struct vmm_ich9_lpc *l, struct vmm_pci *pci, struct vmm_power *power);
/* Decodes the PM block at @base (0: nowhere); with the bus lock held, or before vCPUs run. */
int vmm_ich9_pm_map(struct vmm_ich9_pm *pm, uint16_t base);

/* ---- the machine (machine.c) ------------------------------------------------------- */

struct vmm_machine {
	struct vmm_bus bus;
	struct vmm_power power;
	struct vmm_pci pci;
	struct vmm_q35_mch mch;
	struct vmm_ich9_lpc lpc;
	struct vmm_ioapic ioapic;
	struct vmm_serial com1;
	struct vmm_debugcon debugcon;
	struct vmm_debug_exit debug_exit;
	struct vmm_cmos cmos;
};

/* What the machine is built for. */
struct vmm_machine_config {
	struct vmm_chardev *serial;	/* behind COM1 */
	FILE *debugcon;			/* the debug console's output, or NULL: none */
	int exit_port;			/* isa-debug-exit, or -1 */
	uint64_t ram, low;		/* RAM bytes, and those below 4 GiB (the CMOS says) */
	unsigned int cpus;
	bool trace;			/* report unclaimed ports and MMIO pages */
	const struct vmm_msi_sink *msi;	/* where the IOAPIC's interrupts go (NULL: nowhere) */
};

/* The devices on their buses.  0, or -errno with a message. */
int vmm_machine_init(struct vmm_machine *m, const struct vmm_machine_config *c);
void vmm_machine_destroy(struct vmm_machine *m);
/* Console input may be waiting: COM1 takes what it can (from any thread). */
void vmm_machine_input(struct vmm_machine *m);

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
	const char *kernel, *initrd, *append;
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
