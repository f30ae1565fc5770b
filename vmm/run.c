// SPDX-License-Identifier: MIT
/*
 * softtdx run: builds a TD through the KVM ioctl interface, as QEMU does
 * for TDX, and runs it.
 *
 *   -bios FILE   a TDVF image: its metadata sections go in with
 *                KVM_TDX_INIT_MEM_REGION (measured iff MR.EXTEND), the TD
 *                HOB describes the RAM, every vCPU starts with RCX = its GPA
 *   --payload FILE  an ELF executable that softtdx's TDVF (or -bios FILE,
 *                if that is softtdx's TDVF too) loads: the file goes in
 *                measured, at the window the firmware names
 *   --image FILE a flat image (the guest kit's) ending at 4 GiB, measured;
 *                RCX = 0
 *   -kernel FILE a bzImage (with -initrd, -append) that softtdx's TDVF
 *                starts: kernel, initrd and boot region go in measured
 *
 * All RAM is guest_memfd-backed and private; the guest accepts it.  vCPUs
 * run on their own threads; port I/O goes to the devices, MMIO nothing
 * claims reads all ones, MapGPA and memory faults convert attributes.
 */
#include "vmm.h"
#include "tdvf.h"
#include "linux.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <softtdx/kvm.h>
#include <softtdx/uapi/kvm_tdx.h>

/* Linux's memslots hold at most 2^31 - 1 pages: RAM goes in 4 TiB slots. */
#define SLOT_MAX	(4ULL << 40)
#define MAX_SLOTS	(2 + (1ULL << 47) / SLOT_MAX)
#define MAX_FIRMWARE	(16u << 20)
#define FOUR_GIB	(4ULL << 30)
#define LOW_RAM_MAX	(2ULL << 30)	/* q35: RAM above 2 GiB moves to 4 GiB when >= 0xB0000000 */
#define PAGE		4096ULL
#define INPUT_POLL_MS	20

/* Where the ioctls go: softtdx's KVM, or the kernel's /dev/kvm (--accel kvm). */
struct accel {
	const char *name;
	int (*open)(void);
	int (*ioctl)(int fd, unsigned long request, ...);
	void *(*mmap)(void *addr, size_t len, int prot, int flags, int fd, off_t off);
	int (*close)(int fd);
};

static int kernel_kvm_open(void)
{
	return open("/dev/kvm", O_RDWR | O_CLOEXEC);
}

static const struct accel accels[] = {
	{ "softtdx", softtdx_kvm_open, softtdx_ioctl, softtdx_mmap, softtdx_close },
	{ "kvm", kernel_kvm_open, ioctl, mmap, close },
};
static const struct accel *acc = &accels[0];
#define TDVMCALL_GET_TD_VM_CALL_INFO		0x10000
#define TDVMCALL_GET_QUOTE			0x10002
#define TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT	0x10004
#define TDVMCALL_SUCCESS			0ULL
#define TDVMCALL_INFO_SETUP_EVENT_NOTIFY	(1ULL << 1)

struct slot {
	uint64_t gpa, size, gmem_offset;
	void *shared;
};

struct td {
	const struct run_options *o;
	int kvm, vm, gmem;
	struct slot slots[MAX_SLOTS];
	unsigned int nr_slots;
	uint64_t gmem_size;
	int vcpu[VMM_MAX_VCPUS];
	struct kvm_run *run[VMM_MAX_VCPUS];
	unsigned int nr_vcpus;
	struct vmm_machine machine;
	struct vmm_msi_sink msi;		/* the IOAPIC's: KVM_SIGNAL_MSI */
	struct vmm_chardev serial, debugcon;	/* behind COM1 and the debug console */
	struct vmm_quotes quotes;
	pthread_mutex_t lock;		/* devices, attributes, the end */
	int status;			/* the process's exit status, -1 while running */
	const char *end;		/* how it ended, for --json */
	unsigned long exits[64];	/* KVM exits by reason */
	uint8_t mrtd[48];		/* computed offline */
	bool have_mrtd;
};

static int fail(const char *what)
{
	fprintf(stderr, "softtdx run: %s: %s\n", what, strerror(errno));
	return -1;
}

/* ---- building the TD ---------------------------------------------------------------- */

static int tdx_cmd(int fd, unsigned int id, unsigned int flags, uint64_t data)
{
	struct kvm_tdx_cmd cmd = { .id = id, .flags = flags, .data = data };

	return acc->ioctl(fd, KVM_MEMORY_ENCRYPT_OP, &cmd);
}

/* KVM_TDX_INIT_VM: every configurable CPUID leaf as KVM offers it, SEPT_VE_DISABLE on. */
static int init_vm(struct td *t)
{
	size_t cap_len = sizeof(struct kvm_tdx_capabilities) + 256 * sizeof(struct kvm_cpuid_entry2);
	struct kvm_tdx_capabilities *caps = calloc(1, cap_len);
	struct kvm_tdx_init_vm *init = calloc(1, sizeof(*init) + 256 * sizeof(struct kvm_cpuid_entry2));
	int ret = -1;

	if (!caps || !init)
		goto out;
	caps->cpuid.nent = 256;
	if (tdx_cmd(t->vm, KVM_TDX_CAPABILITIES, 0, (uint64_t)(uintptr_t)caps)) {
		fail("KVM_TDX_CAPABILITIES");
		goto out;
	}
	if (t->o->attributes & ~caps->supported_attrs) {
		fprintf(stderr, "softtdx run: invalid attributes %#llx for a TDX VM (KVM supports "
				"%#llx)\n", (unsigned long long)t->o->attributes,
			(unsigned long long)caps->supported_attrs);
		goto out;
	}
	init->attributes = t->o->attributes;
	memcpy(init->mrconfigid, t->o->mrconfigid, sizeof(init->mrconfigid));
	memcpy(init->mrowner, t->o->mrowner, sizeof(init->mrowner));
	memcpy(init->mrownerconfig, t->o->mrownerconfig, sizeof(init->mrownerconfig));
	init->xfam = 3;		/* x87 and SSE: what the cores execute */
	init->cpuid.nent = caps->cpuid.nent;
	for (unsigned int i = 0; i < caps->cpuid.nent; i++) {
		init->cpuid.entries[i] = caps->cpuid.entries[i];
		init->cpuid.entries[i].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		if (init->cpuid.entries[i].function == 0x80000008)
			init->cpuid.entries[i].eax = 48u << 16;	/* GPAW 48 */
	}
	ret = tdx_cmd(t->vm, KVM_TDX_INIT_VM, 0, (uint64_t)(uintptr_t)init);
	if (ret)
		fail("KVM_TDX_INIT_VM");
out:
	free(caps);
	free(init);
	return ret;
}

/* RAM below 4 GiB, as q35 lays it out: up to 2 GiB once there are 0xB0000000 bytes. */
static uint64_t low_ram(uint64_t ram)
{
	return ram >= 0xB0000000ULL ? LOW_RAM_MAX : ram;
}

/* A guest_memfd-backed slot at @gpa, private, with anonymous memory for its shared view. */
static int add_slot(struct td *t, uint64_t gpa, uint64_t size)
{
	struct slot *s = &t->slots[t->nr_slots];
	struct kvm_userspace_memory_region2 r;
	struct kvm_memory_attributes a = { gpa, size, KVM_MEMORY_ATTRIBUTE_PRIVATE, 0 };

	s->gpa = gpa;
	s->size = size;
	s->gmem_offset = t->gmem_size;
	s->shared = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s->shared == MAP_FAILED) {
		fprintf(stderr, "softtdx run: cannot reserve %llu MiB of address space for the "
			"shared view of GPA %#llx: %s\n", (unsigned long long)(size >> 20),
			(unsigned long long)gpa, strerror(errno));
		return -1;
	}
	t->nr_slots++;
	r = (struct kvm_userspace_memory_region2){
		.slot = t->nr_slots - 1, .flags = KVM_MEM_GUEST_MEMFD, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uint64_t)(uintptr_t)s->shared,
		.guest_memfd = (uint32_t)t->gmem, .guest_memfd_offset = s->gmem_offset,
	};
	if (acc->ioctl(t->vm, KVM_SET_USER_MEMORY_REGION2, &r))
		return fail("KVM_SET_USER_MEMORY_REGION2");
	if (acc->ioctl(t->vm, KVM_SET_MEMORY_ATTRIBUTES, &a))
		return fail("KVM_SET_MEMORY_ATTRIBUTES");
	t->gmem_size += size;
	return 0;
}

/* [gpa, gpa + size) in slots of at most SLOT_MAX. */
static int add_slots(struct td *t, uint64_t gpa, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += SLOT_MAX)
		if (add_slot(t, gpa + off, size - off < SLOT_MAX ? size - off : SLOT_MAX))
			return -1;
	return 0;
}

/* RAM as QEMU lays it out (below 2 GiB, the rest from 4 GiB), plus [fw_base, 4 GiB) if any. */
static int add_memory(struct td *t, uint64_t ram, uint64_t fw_base)
{
	uint64_t low = low_ram(ram);
	struct kvm_create_guest_memfd g = { .size = ram + (FOUR_GIB - fw_base) };

	t->gmem = acc->ioctl(t->vm, KVM_CREATE_GUEST_MEMFD, &g);
	if (t->gmem < 0)
		return fail("KVM_CREATE_GUEST_MEMFD");
	if (add_slot(t, 0, low) || (ram > low && add_slots(t, FOUR_GIB, ram - low)))
		return -1;
	return fw_base < FOUR_GIB ? add_slot(t, fw_base, FOUR_GIB - fw_base) : 0;
}

/*
 * What QEMU enables for a TD: the split irqchip, MapGPA as
 * KVM_EXIT_HYPERCALL, and a 25 MHz APIC bus (the crystal CPUID 0x15 reports).
 */
static int enable_caps(struct td *t)
{
	struct kvm_enable_cap split = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	struct kvm_enable_cap hc = { .cap = KVM_CAP_EXIT_HYPERCALL,
				     .args = { 1ULL << KVM_HC_MAP_GPA_RANGE } };
	struct kvm_enable_cap bus = { .cap = KVM_CAP_X86_APIC_BUS_CYCLES_NS, .args = { 40 } };

	if (acc->ioctl(t->vm, KVM_ENABLE_CAP, &split))
		return fail("KVM_CAP_SPLIT_IRQCHIP");
	if (acc->ioctl(t->vm, KVM_ENABLE_CAP, &hc))
		return fail("KVM_CAP_EXIT_HYPERCALL");
	if (acc->ioctl(t->vm, KVM_ENABLE_CAP, &bus))
		return fail("KVM_CAP_X86_APIC_BUS_CYCLES_NS");
	return 0;
}

/*
 * The vCPUs' CPUID: what KVM supports, with the physical-address width of
 * the platform rather than KVM's (which leaves out the KeyID bits), as
 * QEMU's host-phys-bits takes it, and the TD's GPAW as the guest's width:
 * shared GPAs (bit 47) must be legal for MapGPA.
 */
static struct kvm_cpuid2 *vcpu_cpuid(struct td *t)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 64 * sizeof(struct kvm_cpuid_entry2));

	if (!c)
		return NULL;
	c->nent = 64;
	if (acc->ioctl(t->kvm, KVM_GET_SUPPORTED_CPUID, c)) {
		fail("KVM_GET_SUPPORTED_CPUID");
		free(c);
		return NULL;
	}
	for (unsigned int i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0x80000008)
			c->entries[i].eax = (c->entries[i].eax & ~0xFF00FFu) | 48u << 16 | 52u;
	return c;
}

static int add_vcpus(struct td *t, unsigned int n, uint64_t initial_rcx)
{
	int size = acc->ioctl(t->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	int max = acc->ioctl(t->vm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	struct kvm_cpuid2 *c;

	if (max > 0 && n > (unsigned int)max) {
		fprintf(stderr, "softtdx run: -smp %u: this TD takes at most %d vCPUs\n", n, max);
		return -1;
	}
	c = vcpu_cpuid(t);
	if (!c)
		return -1;
	for (t->nr_vcpus = 0; t->nr_vcpus < n; t->nr_vcpus++) {
		int fd = acc->ioctl(t->vm, KVM_CREATE_VCPU, t->nr_vcpus);

		if (fd < 0 || acc->ioctl(fd, KVM_SET_CPUID2, c) ||
		    tdx_cmd(fd, KVM_TDX_INIT_VCPU, 0, initial_rcx)) {
			free(c);
			return fail("vCPU");
		}
		t->vcpu[t->nr_vcpus] = fd;
		t->run[t->nr_vcpus] = acc->mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
						   MAP_SHARED, fd, 0);
		if (t->run[t->nr_vcpus] == MAP_FAILED) {
			free(c);
			return fail("mmap kvm_run");
		}
	}
	free(c);
	return 0;
}

/* KVM_TDX_INIT_MEM_REGION of @size bytes at @gpa from @data (@len bytes, the rest zero). */
static int init_region(struct td *t, uint64_t gpa, uint64_t size, const uint8_t *data,
		       size_t len, bool measure)
{
	struct kvm_tdx_init_mem_region m = { .gpa = gpa, .nr_pages = size / PAGE };
	uint8_t *src = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ret;

	if (src == MAP_FAILED)
		return fail("mmap");
	memcpy(src, data, len);
	m.source_addr = (uint64_t)(uintptr_t)src;
	ret = tdx_cmd(t->vcpu[0], KVM_TDX_INIT_MEM_REGION,
		      measure ? KVM_TDX_MEASURE_MEMORY_REGION : 0, (uint64_t)(uintptr_t)&m);
	if (ret)
		fail("KVM_TDX_INIT_MEM_REGION");
	munmap(src, size);
	return ret;
}

/* The TDVF sections in metadata order, with the TD HOB written into its own. */
/* On a terminal, which section is going in; a large firmware takes a moment. */
static void show_progress(const struct td *t, uint32_t i, uint32_t n, uint64_t size)
{
	if (t->o->quiet || !isatty(STDERR_FILENO))
		return;
	if (i < n)
		fprintf(stderr, "\rsofttdx run: adding section %u of %u (%llu KiB)\033[K", i + 1, n,
			(unsigned long long)(size >> 10));
	else
		fprintf(stderr, "\r\033[K");
}

static int load_tdvf(struct td *t, const uint8_t *image, const struct tdvf_meta *meta,
		     const struct td_ram_map *map)
{
	for (uint32_t i = 0; i < meta->nr_sections; i++) {
		const struct tdvf_section *s = &meta->sections[i];
		uint8_t *hob = NULL;
		char err[160];
		size_t used = 0;
		int ret;

		show_progress(t, i, meta->nr_sections, s->size);
		if (s->attributes & TDVF_ATTR_PAGE_AUG)
			continue;	/* accepted by the guest at run time */
		if (s->type == TDVF_SECTION_TD_HOB) {
			hob = calloc(1, s->size);
			used = hob ? td_hob_build(map, s->address, hob, s->size, err, sizeof(err)) : 0;
			if (!used) {
				fprintf(stderr, "softtdx run: TD HOB: %s\n", hob ? err : "out of memory");
				free(hob);
				return -1;
			}
		}
		ret = init_region(t, s->address, s->size, hob ? hob : image + s->data_offset,
				  hob ? used : s->raw_size, s->attributes & TDVF_ATTR_MR_EXTEND);
		free(hob);
		if (ret)
			return -1;
	}
	show_progress(t, meta->nr_sections, meta->nr_sections, 0);
	return 0;
}

/* Every vCPU starts with RCX = the TD HOB's GPA (0 without one), as QEMU does. */
static uint64_t td_hob_gpa(const struct tdvf_meta *meta)
{
	for (uint32_t i = 0; i < meta->nr_sections; i++)
		if (meta->sections[i].type == TDVF_SECTION_TD_HOB)
			return meta->sections[i].address;
	return 0;
}

/* The lowest section address above RAM: where the firmware slot starts. */
static uint64_t firmware_base(const struct tdvf_meta *meta, uint64_t ram)
{
	uint64_t base = FOUR_GIB;

	for (uint32_t i = 0; i < meta->nr_sections; i++)
		if (meta->sections[i].address >= (ram < LOW_RAM_MAX ? ram : LOW_RAM_MAX) &&
		    meta->sections[i].address < base)
			base = meta->sections[i].address;
	return base & ~(PAGE - 1);
}

/* ---- running it ---------------------------------------------------------------------- */

static void stop_all(struct td *t, int status)
{
	if (t->status < 0)
		t->status = status;
	for (unsigned int i = 0; i < t->nr_vcpus; i++)
		__atomic_store_n(&t->run[i]->immediate_exit, 1, __ATOMIC_RELEASE);
}

/* The guest powered the machine off, or reset it (a TD cannot be reset: it ends, as on QEMU). */
static void machine_ended(struct td *t)
{
	int status = t->machine.power.status;

	if (status >= 0 && t->status < 0) {
		t->end = t->machine.power.reason;
		stop_all(t, status);
	}
}

/*
 * Whether guest memory holds [@gpa, + @size): converting anything else
 * would not stop the guest faulting on it (QEMU refuses to convert
 * non-RAM too).
 */
static bool in_slots(const struct td *t, uint64_t gpa, uint64_t size)
{
	for (unsigned int i = 0; i < t->nr_slots; i++)
		if (gpa >= t->slots[i].gpa && gpa + size <= t->slots[i].gpa + t->slots[i].size)
			return true;
	return false;
}

static int set_private(struct td *t, uint64_t gpa, uint64_t size, bool private)
{
	struct kvm_memory_attributes a = {
		gpa, size, private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0, 0,
	};

	return acc->ioctl(t->vm, KVM_SET_MEMORY_ATTRIBUTES, &a);
}

/* The host address of [gpa, gpa + len) in a memslot's shared memory, or NULL. */
static uint8_t *shared_hva(struct td *t, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < t->nr_slots; i++) {
		const struct slot *s = &t->slots[i];

		if (gpa >= s->gpa && len <= s->size && gpa - s->gpa <= s->size - len)
			return (uint8_t *)s->shared + (gpa - s->gpa);
	}
	return NULL;
}

/* The IOAPIC's messages; before the TD exists there is no one to take them. */
static void signal_msi(void *ctx, uint32_t address, uint32_t data)
{
	struct td *t = ctx;
	struct kvm_msi msi = { .address_lo = address, .data = data };

	if (t->vm >= 0 && acc->ioctl(t->vm, KVM_SIGNAL_MSI, &msi) < 0 && !t->o->quiet)
		fprintf(stderr, "softtdx run: interrupt %#x to %#x lost: %s\n", data, address,
			strerror(errno));
}

/* The GetQuote notification: an MSI to the vCPU that asked for it, as QEMU sends. */
static void notify_vcpu(void *ctx, uint32_t apic_id, uint8_t vector)
{
	struct td *t = ctx;
	struct kvm_msi msi = {
		.address_lo = 0xFEE00000u | (apic_id & 0xFF) << 12,
		.address_hi = apic_id & ~0xFFu, .data = vector,
	};

	if (acc->ioctl(t->vm, KVM_SIGNAL_MSI, &msi) < 0)
		fprintf(stderr, "softtdx run: GetQuote notification %u lost: %s\n", vector,
			strerror(errno));
}

/* The TDVMCALLs KVM leaves to userspace (KVM_EXIT_TDX), as QEMU answers them. */
static void handle_tdx_exit(struct td *t, unsigned int id, struct kvm_run *run)
{
	struct kvm_tdx_exit *x = kvm_run_tdx(run);

	switch (x->nr) {
	case TDVMCALL_GET_TD_VM_CALL_INFO:	/* leaf 1: what the VMM adds to the GHCI base */
		x->get_tdvmcall_info.r11 = TDVMCALL_INFO_SETUP_EVENT_NOTIFY;
		x->get_tdvmcall_info.ret = TDVMCALL_SUCCESS;
		break;
	case TDVMCALL_GET_QUOTE:
		x->get_quote.ret = vmm_get_quote(&t->quotes, shared_hva(t, x->get_quote.gpa,
							x->get_quote.size),
						 x->get_quote.gpa, x->get_quote.size);
		break;
	case TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT:
		vmm_setup_event_notify(&t->quotes, (uint32_t)x->setup_event_notify.vector, id);
		x->setup_event_notify.ret = TDVMCALL_SUCCESS;
		break;
	default:
		break;	/* ret stays SUBFUNC_UNSUPPORTED */
	}
}

static void report_fatal(struct td *t, unsigned int id, struct kvm_run *run)
{
	const __u64 *r = run->system_event.data;

	fprintf(stderr, "softtdx run: vCPU %u: the TD reported a fatal error, code %#llx\n", id,
		(unsigned long long)r[12]);
	t->end = "fatal-error";
	stop_all(t, 1);
}

/* --trace=exit: one line per KVM exit the launcher handles. */
static void trace_exit(struct td *t, unsigned int id, const struct kvm_run *run)
{
	if (!(t->o->trace & VMM_TRACE_EXIT))
		return;
	fprintf(stderr, "softtdx-trace: exit vCPU %u reason %u", id, run->exit_reason);
	if (run->exit_reason == KVM_EXIT_IO)
		fprintf(stderr, " io port %#x %s size %u", run->io.port,
			run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", run->io.size);
	else if (run->exit_reason == KVM_EXIT_MMIO)
		fprintf(stderr, " mmio %#llx %s len %u", (unsigned long long)run->mmio.phys_addr,
			run->mmio.is_write ? "write" : "read", run->mmio.len);
	else if (run->exit_reason == KVM_EXIT_MEMORY_FAULT)
		fprintf(stderr, " memory fault %#llx size %#llx %s",
			(unsigned long long)kvm_run_memory_fault((struct kvm_run *)run)->gpa,
			(unsigned long long)kvm_run_memory_fault((struct kvm_run *)run)->size,
			kvm_run_memory_fault((struct kvm_run *)run)->flags &
			KVM_MEMORY_EXIT_FLAG_PRIVATE ? "private" : "shared");
	else if (run->exit_reason == KVM_EXIT_TDX)
		fprintf(stderr, " tdx nr %#llx", (unsigned long long)kvm_run_tdx((struct kvm_run *)run)->nr);
	fputc('\n', stderr);
}

/* One exit; false when this vCPU is done. */
static bool handle_exit(struct td *t, unsigned int id, int ret)
{
	struct kvm_run *run = t->run[id];
	bool go = true;

	pthread_mutex_lock(&t->lock);
	if (run->exit_reason < sizeof(t->exits) / sizeof(t->exits[0]))
		t->exits[run->exit_reason]++;
	if (!ret || errno == EFAULT)
		trace_exit(t, id, run);
	if (ret && errno == EFAULT && run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
		struct kvm_memory_fault_exit *mf = kvm_run_memory_fault(run);

		if (!in_slots(t, mf->gpa, mf->size)) {
			fprintf(stderr, "softtdx run: vCPU %u: %s access to %#llx, outside guest "
				"memory\n", id, mf->flags & KVM_MEMORY_EXIT_FLAG_PRIVATE ?
				"private" : "shared", (unsigned long long)mf->gpa);
			t->end = "error";
			stop_all(t, 1);
		} else if (set_private(t, mf->gpa, mf->size,
				       mf->flags & KVM_MEMORY_EXIT_FLAG_PRIVATE)) {
			stop_all(t, 1);
		}
	} else if (ret && errno == EINTR && !__atomic_load_n(&run->immediate_exit, __ATOMIC_ACQUIRE)) {
		/* A signal this thread took, not a stop: KVM_RUN again. */
	} else if (ret) {
		if (errno != EINTR) {
			fprintf(stderr, "softtdx run: vCPU %u: KVM_RUN: %s\n", id, strerror(errno));
			t->end = "error";
		}
		stop_all(t, errno == EINTR ? t->status : 1);
		go = false;
	} else {
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			for (uint32_t i = 0; i < run->io.count; i++)
				vmm_bus_access(&t->machine.bus, VMM_SPACE_PIO, run->io.port,
					       run->io.size, run->io.direction == KVM_EXIT_IO_OUT,
					       (uint8_t *)run + run->io.data_offset +
					       i * run->io.size);
			if (t->machine.debug_exit.status >= 0 && t->status < 0) {
				t->end = "isa-debug-exit";
				stop_all(t, t->machine.debug_exit.status);
			}
			machine_ended(t);
			break;
		case KVM_EXIT_MMIO:
			vmm_bus_access(&t->machine.bus, VMM_SPACE_MMIO, run->mmio.phys_addr,
				       run->mmio.len, run->mmio.is_write, run->mmio.data);
			machine_ended(t);
			break;
		case KVM_EXIT_HYPERCALL:	/* MapGPA */
			run->hypercall.ret = set_private(t, run->hypercall.args[0],
							 run->hypercall.args[1] * PAGE,
							 run->hypercall.args[2] &
							 KVM_MAP_GPA_RANGE_ENCRYPTED) ? 1 : 0;
			break;
		case KVM_EXIT_TDX:
			handle_tdx_exit(t, id, run);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			report_fatal(t, id, run);
			go = false;
			break;
		case KVM_EXIT_SHUTDOWN:
			fprintf(stderr, "softtdx run: vCPU %u: triple fault, the TD is shut down\n", id);
			if (t->status < 0)
				t->end = "shutdown";
			stop_all(t, 0);
			go = false;
			break;
		default:
			fprintf(stderr, "softtdx run: vCPU %u: exit reason %u\n", id, run->exit_reason);
			t->end = "error";
			stop_all(t, 1);
			go = false;
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return go;
}

struct vcpu_arg {
	struct td *t;
	unsigned int id;
};

static void *vcpu_thread(void *p)
{
	struct vcpu_arg *a = p;

	while (handle_exit(a->t, a->id, acc->ioctl(a->t->vcpu[a->id], KVM_RUN, 0)))
		;
	return NULL;
}

/*
 * Console input goes to COM1 when it comes, so a guest waiting for its
 * receive interrupt (or halted) gets it; a full FIFO waits for the guest.
 */
static void *input_thread(void *p)
{
	struct td *t = p;
	struct pollfd pfd = { .fd = t->serial.in_fd, .events = POLLIN };
	bool waiting = false, done = false;

	while (!done) {
		if (waiting || poll(&pfd, 1, INPUT_POLL_MS) == 0)
			usleep(waiting ? INPUT_POLL_MS * 1000 : 0);
		pthread_mutex_lock(&t->lock);
		done = t->status >= 0 || t->serial.eof;
		if (!done) {
			vmm_machine_input(&t->machine);
			waiting = t->machine.com1.rx_len != 0;
			machine_ended(t);
		}
		pthread_mutex_unlock(&t->lock);
	}
	return NULL;
}

static int run_vcpus(struct td *t)
{
	struct vcpu_arg args[VMM_MAX_VCPUS];
	pthread_t thr[VMM_MAX_VCPUS], input;
	bool have_input = t->serial.in_fd >= 0 &&
			  !pthread_create(&input, NULL, input_thread, t);

	for (unsigned int i = 0; i < t->nr_vcpus; i++) {
		args[i] = (struct vcpu_arg){ t, i };
		if (pthread_create(&thr[i], NULL, vcpu_thread, &args[i])) {
			stop_all(t, 1);
			t->nr_vcpus = i;
			break;
		}
	}
	for (unsigned int i = 0; i < t->nr_vcpus; i++)
		pthread_join(thr[i], NULL);
	if (have_input) {
		pthread_mutex_lock(&t->lock);
		stop_all(t, 0);		/* every vCPU is done: the input thread is too */
		pthread_mutex_unlock(&t->lock);
		pthread_join(input, NULL);
	}
	return t->status < 0 ? 0 : t->status;
}

static void td_destroy(struct td *t)
{
	for (unsigned int i = 0; i < t->nr_vcpus; i++)
		acc->close(t->vcpu[i]);
	if (t->gmem >= 0)
		acc->close(t->gmem);
	if (t->vm >= 0)
		acc->close(t->vm);
	for (unsigned int i = 0; i < t->nr_slots; i++)
		munmap(t->slots[i].shared, t->slots[i].size);
	if (t->kvm >= 0)
		acc->close(t->kvm);
}

/* ---- the command ------------------------------------------------------------------------ */

/* A flat image as one measured section ending at 4 GiB. */
static void image_meta(size_t len, struct tdvf_meta *meta)
{
	meta->nr_sections = 1;
	meta->sections[0] = (struct tdvf_section){
		.raw_size = (uint32_t)len, .address = FOUR_GIB - len, .size = len,
		.type = TDVF_SECTION_BFV, .attributes = TDVF_ATTR_MR_EXTEND,
	};
}

/* The MRTD the TD will report, computed offline as `softtdx measure` does. */
static void compute_mrtd(struct td *t, const uint8_t *image, const struct tdvf_meta *meta)
{
	t->have_mrtd = !tdvf_mrtd(image, meta, TDVF_MEASURE_PER_PAGE, t->mrtd);
	if (!t->have_mrtd || t->o->quiet)
		return;
	fprintf(stderr, "softtdx run: MRTD ");
	vmm_print_hex(stderr, t->mrtd, sizeof(t->mrtd));
	fprintf(stderr, "\n");
}

/* The firmware's sections, or a flat image's one; NULL with a message. */
static struct tdvf_meta *image_layout(const struct run_options *o, uint8_t **image,
				      size_t fw_len, size_t *len, struct td_ram_map *map)
{
	struct tdvf_meta *meta = malloc(sizeof(*meta));
	const char *what = o->bios ? o->bios : "softtdx's TDVF";
	const struct vmm_linux_args linux_args = {
		o->kernel, o->initrd, o->append, o->ram, o->smp,
	};
	char err[160];

	if (!meta) {
		fprintf(stderr, "softtdx run: out of memory\n");
	} else if (o->image) {
		if (*len % PAGE == 0 && *len <= MAX_FIRMWARE) {
			image_meta(*len, meta);
			return meta;
		}
		fprintf(stderr, "softtdx run: %s: %zu bytes is not a whole number of pages\n",
			o->image, *len);
	} else if (tdvf_parse(*image, fw_len, meta, err, sizeof(err))) {
		fprintf(stderr, "softtdx run: %s: %s\n", what, err);
	} else if (o->kernel) {
		if (!vmm_load_linux(&linux_args, image, fw_len, len, meta, map))
			return meta;
	} else if (o->payload &&
		   tdvf_add_payload(*image, fw_len, *len - fw_len, o->ram, meta, err, sizeof(err))) {
		fprintf(stderr, "softtdx run: %s: %s\n", o->payload, err);
	} else if (td_ram_map_build(o->ram, meta, map, err, sizeof(err))) {
		fprintf(stderr, "softtdx run: %s: %s\n", o->payload ? o->payload : what, err);
	} else {
		return meta;
	}
	free(meta);
	return NULL;
}

/* Everything before the first KVM_RUN; the measurement is reported then. */
static int build(struct td *t, uint8_t **image, size_t fw_len, size_t *len)
{
	const struct run_options *o = t->o;
	struct td_ram_map map;
	struct tdvf_meta *meta = image_layout(o, image, fw_len, len, &map);
	int ret = -1;

	if (!meta)
		return -1;
	if (enable_caps(t) || init_vm(t) || add_memory(t, o->ram, firmware_base(meta, o->ram)))
		goto out;
	if (add_vcpus(t, o->smp, td_hob_gpa(meta)))
		goto out;
	ret = !o->image ? load_tdvf(t, *image, meta, &map) :
			init_region(t, FOUR_GIB - *len, *len, *image, *len, true);
	if (!ret && tdx_cmd(t->vm, KVM_TDX_FINALIZE_VM, 0, 0))
		ret = fail("KVM_TDX_FINALIZE_VM");
	if (!ret)
		compute_mrtd(t, *image, meta);
out:
	free(meta);
	return ret;
}

static bool has_tdx_vm_type(int kvm)
{
	int types = acc->ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES);

	return types > 0 && (types & (1 << KVM_X86_TDX_VM));
}

/* --trace's events inside softtdx's KVM, turned on as tracefs would: before it starts. */
static void enable_kvm_tracepoints(unsigned int trace)
{
	char list[64] = "";

	if (trace & VMM_TRACE_VMCALL)
		strcat(list, "vmcall,");
	if (trace & VMM_TRACE_SEAMCALL)
		strcat(list, "seamcall,");
	if (trace & VMM_TRACE_TDCALL)
		strcat(list, "tdcall,");
	if (list[0])
		setenv("SOFTTDX_TRACE", list, 1);
}

static void json_hex(const char *name, const uint8_t *b, size_t n)
{
	printf("\"%s\": \"", name);
	vmm_print_hex(stdout, b, n);
	printf("\", ");
}

/* --json: what the run showed, on one line after the TD is gone. */
static void print_summary(struct td *t, int status)
{
	static const size_t rtmr_offset = 720;	/* TDREPORT: TDINFO's RTMR[0..3] */

	printf("{\"status\": %d, \"end\": \"%s\", ", status, t->end ? t->end : "error");
	if (t->have_mrtd)
		json_hex("mrtd", t->mrtd, sizeof(t->mrtd));
	if (t->quotes.quotes) {
		printf("\"rtmr\": [");
		for (int i = 0; i < 4; i++) {
			printf("%s\"", i ? ", " : "");
			vmm_print_hex(stdout, t->quotes.last_report + rtmr_offset + 48 * i, 48);
			printf("\"");
		}
		printf("], ");
	}
	printf("\"quotes\": %lu, \"exits\": {", t->quotes.quotes);
	for (size_t i = 0, n = 0; i < sizeof(t->exits) / sizeof(t->exits[0]); i++)
		if (t->exits[i])
			printf("%s\"%zu\": %lu", n++ ? ", " : "", i, t->exits[i]);
	printf("}}\n");
}

static int open_vm(struct td *t)
{
	t->kvm = acc->open();
	if (t->kvm < 0) {
		fprintf(stderr, "softtdx run: cannot open %s: %s\n",
			acc == &accels[0] ? "softtdx's KVM" : "/dev/kvm", strerror(errno));
		return -1;
	}
	if (!has_tdx_vm_type(t->kvm)) {
		fprintf(stderr, "softtdx run: %s KVM offers no KVM_X86_TDX_VM (not a TDX host; "
				"the default --accel softtdx runs TDs anywhere)\n",
			acc == &accels[0] ? "softtdx's" : "the kernel's");
		return -1;
	}
	t->vm = acc->ioctl(t->kvm, KVM_CREATE_VM, KVM_X86_TDX_VM);
	return t->vm < 0 ? fail("KVM_CREATE_VM(KVM_X86_TDX_VM)") : 0;
}

/* The consoles, then the machine's devices on them. */
static int open_machine(struct td *t)
{
	const struct run_options *o = t->o;

	if (vmm_chardev_open(&t->serial, o->serial, true) ||
	    vmm_chardev_open(&t->debugcon, o->debugcon, false)) {
		fprintf(stderr, "softtdx run: bad -serial '%s' or -debugcon '%s'\n", o->serial,
			o->debugcon ? o->debugcon : "none");
		vmm_chardev_close(&t->serial);
		return -1;
	}
	t->msi = (struct vmm_msi_sink){ signal_msi, t };
	if (vmm_machine_init(&t->machine, &(struct vmm_machine_config){
				.serial = &t->serial, .debugcon = t->debugcon.out,
				.exit_port = o->exit_port, .ram = o->ram, .low = low_ram(o->ram),
				.cpus = o->smp, .trace = o->trace & VMM_TRACE_EXIT, .msi = &t->msi })) {
		vmm_chardev_close(&t->serial);
		vmm_chardev_close(&t->debugcon);
		return -1;
	}
	return 0;
}

static void close_machine(struct td *t)
{
	vmm_machine_destroy(&t->machine);
	vmm_chardev_close(&t->serial);
	vmm_chardev_close(&t->debugcon);
	fflush(stdout);
}

int cmd_run(int argc, char **argv)
{
	struct td t = { .kvm = -1, .vm = -1, .gmem = -1, .status = -1 };
	struct run_options o;
	uint8_t *image;
	size_t fw_len, len;
	int ret = vmm_run_parse(argc, argv, &o);

	if (ret >= 0)
		return ret;
	t.o = &o;
	pthread_mutex_init(&t.lock, NULL);
	vmm_quotes_init(&t.quotes, o.quote_socket, o.quote_out, notify_vcpu, &t);
	if (open_machine(&t))
		return 2;
	image = vmm_read_firmware(o.bios ? o.bios : o.image, MAX_FIRMWARE, o.payload, &fw_len,
				  &len);
	acc = &accels[o.kernel_kvm];
	if (acc == &accels[0])
		enable_kvm_tracepoints(o.trace);
	ret = !image || open_vm(&t) || build(&t, &image, fw_len, &len) ? 1 : run_vcpus(&t);
	vmm_quotes_drain(&t.quotes);
	td_destroy(&t);
	free(image);
	if (o.json)
		print_summary(&t, ret);
	close_machine(&t);
	return ret;
}
