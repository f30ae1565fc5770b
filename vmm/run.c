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
 *
 * All RAM is guest_memfd-backed and private; the guest accepts it.  vCPUs
 * run on their own threads; port I/O goes to the devices, MMIO nothing
 * claims reads all ones, MapGPA and memory faults convert attributes.
 */
#include "vmm.h"
#include "tdvf.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <softtdx/kvm.h>
#include <softtdx/uapi/kvm_tdx.h>

#define MAX_VCPUS	4
#define MAX_SLOTS	4
#define MAX_FIRMWARE	(16u << 20)
#define FOUR_GIB	(4ULL << 30)
#define LOW_RAM_MAX	(2ULL << 30)	/* q35: RAM above 2 GiB moves to 4 GiB when >= 0xB0000000 */
#define PAGE		4096ULL
#define TD_ATTR_SEPT_VE_DISABLE	(1ULL << 28)	/* QEMU's sept-ve-disable=on, its default */

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

struct slot {
	uint64_t gpa, size, gmem_offset;
	void *shared;
};

struct td {
	int kvm, vm, gmem;
	struct slot slots[MAX_SLOTS];
	unsigned int nr_slots;
	uint64_t gmem_size;
	int vcpu[MAX_VCPUS];
	struct kvm_run *run[MAX_VCPUS];
	unsigned int nr_vcpus;
	struct vmm_devices dev;
	pthread_mutex_t lock;		/* devices, attributes, the end */
	int status;			/* the process's exit status, -1 while running */
	bool trace, sept_ve_disable;
};

struct options {
	const char *bios, *image, *payload;
	uint64_t ram;
	unsigned int smp;
	const char *serial, *debugcon;
	const struct accel *accel;
	int exit_port;
	bool trace, sept_ve_disable, quiet;
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
	init->attributes = t->sept_ve_disable ? caps->supported_attrs & TD_ATTR_SEPT_VE_DISABLE : 0;
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
	if (s->shared == MAP_FAILED)
		return fail("mmap");
	r = (struct kvm_userspace_memory_region2){
		.slot = t->nr_slots, .flags = KVM_MEM_GUEST_MEMFD, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uint64_t)(uintptr_t)s->shared,
		.guest_memfd = (uint32_t)t->gmem, .guest_memfd_offset = s->gmem_offset,
	};
	if (acc->ioctl(t->vm, KVM_SET_USER_MEMORY_REGION2, &r))
		return fail("KVM_SET_USER_MEMORY_REGION2");
	if (acc->ioctl(t->vm, KVM_SET_MEMORY_ATTRIBUTES, &a))
		return fail("KVM_SET_MEMORY_ATTRIBUTES");
	t->nr_slots++;
	t->gmem_size += size;
	return 0;
}

/* RAM as QEMU lays it out (below 2 GiB, the rest from 4 GiB), plus [fw_base, 4 GiB) if any. */
static int add_memory(struct td *t, uint64_t ram, uint64_t fw_base)
{
	uint64_t low = ram >= 0xB0000000ULL ? LOW_RAM_MAX : ram;
	struct kvm_create_guest_memfd g = { .size = ram + (FOUR_GIB - fw_base) };

	t->gmem = acc->ioctl(t->vm, KVM_CREATE_GUEST_MEMFD, &g);
	if (t->gmem < 0)
		return fail("KVM_CREATE_GUEST_MEMFD");
	if (add_slot(t, 0, low) || (ram > low && add_slot(t, FOUR_GIB, ram - low)))
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

static int add_vcpus(struct td *t, unsigned int n, uint64_t initial_rcx)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 64 * sizeof(struct kvm_cpuid_entry2));
	int size = acc->ioctl(t->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

	int max = acc->ioctl(t->vm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (max > 0 && n > (unsigned int)max) {
		fprintf(stderr, "softtdx run: -smp %u: this TD takes at most %d vCPUs\n", n, max);
		free(c);
		return -1;
	}
	if (!c)
		return -1;
	c->nent = 64;
	if (acc->ioctl(t->kvm, KVM_GET_SUPPORTED_CPUID, c)) {
		free(c);
		return fail("KVM_GET_SUPPORTED_CPUID");
	}
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
static int load_tdvf(struct td *t, const uint8_t *image, const struct tdvf_meta *meta,
		     const struct td_ram_map *map)
{
	for (uint32_t i = 0; i < meta->nr_sections; i++) {
		const struct tdvf_section *s = &meta->sections[i];
		uint8_t *hob = NULL;
		char err[160];
		size_t used = 0;
		int ret;

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

static int set_private(struct td *t, uint64_t gpa, uint64_t size, bool private)
{
	struct kvm_memory_attributes a = {
		gpa, size, private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0, 0,
	};

	return acc->ioctl(t->vm, KVM_SET_MEMORY_ATTRIBUTES, &a);
}

static void handle_tdx_exit(struct kvm_run *run)
{
	struct kvm_tdx_exit *x = kvm_run_tdx(run);

	switch (x->nr) {
	case 0x10000:	/* GetTdVmCallInfo leaf 1: no GetQuote or notification yet */
		x->get_tdvmcall_info.r11 = 0;
		x->get_tdvmcall_info.ret = 0;
		break;
	default:	/* GetQuote, SetupEventNotifyInterrupt: no quoting service */
		break;	/* ret stays SUBFUNC_UNSUPPORTED */
	}
}

static void report_fatal(struct td *t, unsigned int id, struct kvm_run *run)
{
	const __u64 *r = run->system_event.data;

	fprintf(stderr, "softtdx run: vCPU %u: the TD reported a fatal error, code %#llx\n", id,
		(unsigned long long)r[12]);
	stop_all(t, 1);
}

/* One exit; false when this vCPU is done. */
static bool handle_exit(struct td *t, unsigned int id, int ret)
{
	struct kvm_run *run = t->run[id];
	bool go = true;

	pthread_mutex_lock(&t->lock);
	if (ret && errno == EFAULT && run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
		struct kvm_memory_fault_exit *mf = kvm_run_memory_fault(run);

		if (set_private(t, mf->gpa, mf->size, mf->flags & KVM_MEMORY_EXIT_FLAG_PRIVATE))
			stop_all(t, 1);
	} else if (ret) {
		if (errno != EINTR)
			fprintf(stderr, "softtdx run: vCPU %u: KVM_RUN: %s\n", id, strerror(errno));
		stop_all(t, errno == EINTR ? t->status : 1);
		go = false;
	} else {
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			vmm_devices_io(&t->dev, run->io.port, run->io.size,
				       run->io.direction == KVM_EXIT_IO_OUT,
				       (uint8_t *)run + run->io.data_offset);
			if (t->dev.exit_status >= 0)
				stop_all(t, t->dev.exit_status);
			break;
		case KVM_EXIT_MMIO:
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xFF, sizeof(run->mmio.data));
			if (t->trace)
				fprintf(stderr, "softtdx: MMIO %s %#llx: no device\n",
					run->mmio.is_write ? "write" : "read",
					(unsigned long long)run->mmio.phys_addr);
			break;
		case KVM_EXIT_HYPERCALL:	/* MapGPA */
			run->hypercall.ret = set_private(t, run->hypercall.args[0],
							 run->hypercall.args[1] * PAGE,
							 run->hypercall.args[2] &
							 KVM_MAP_GPA_RANGE_ENCRYPTED) ? 1 : 0;
			break;
		case KVM_EXIT_TDX:
			handle_tdx_exit(run);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			report_fatal(t, id, run);
			go = false;
			break;
		case KVM_EXIT_SHUTDOWN:
			fprintf(stderr, "softtdx run: vCPU %u: triple fault, the TD is shut down\n", id);
			stop_all(t, 0);
			go = false;
			break;
		default:
			fprintf(stderr, "softtdx run: vCPU %u: exit reason %u\n", id, run->exit_reason);
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

static int run_vcpus(struct td *t)
{
	struct vcpu_arg args[MAX_VCPUS];
	pthread_t thr[MAX_VCPUS];

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

static void usage(FILE *f)
{
	fprintf(f,
		"usage: softtdx run (-bios FILE | --payload FILE | --image FILE) [-m SIZE] [-smp N]\n"
		"                   [-serial stdio|none|file:PATH] [-debugcon stdio|none|file:PATH]\n"
		"                   [-device isa-debug-exit[,iobase=PORT]] [--trace]\n"
		"                   [-object tdx-guest[,id=NAME][,sept-ve-disable=on|off]]\n"
		"                   [--accel softtdx|kvm] [--quiet]\n"
		"  -bios FILE    a TDVF firmware image (OVMF with TDX metadata)\n"
		"  --payload FILE  an x86-64 ELF started by softtdx's own TDVF\n"
		"  --image FILE  a flat image that ends at 4 GiB (softtdx's guest kit)\n"
		"  -m SIZE       guest RAM (default 256M; QEMU syntax)\n"
		"  -smp N        vCPUs, 1 to %d (default 1)\n"
		"  --accel       softtdx (the default) or kvm: the kernel's /dev/kvm on a TDX host\n"
		"  --quiet       do not print the TD's MRTD before it runs\n"
		"  isa-debug-exit: a write of V ends softtdx with status (V << 1) | 1\n", MAX_VCPUS);
}

static FILE *open_chardev(const char *spec)
{
	if (!spec || !strcmp(spec, "none"))
		return NULL;
	if (!strcmp(spec, "stdio"))
		return stdout;
	if (!strncmp(spec, "file:", 5))
		return fopen(spec + 5, "w");
	errno = EINVAL;
	return NULL;
}

static int parse_device(const char *spec, struct options *o)
{
	char *end;

	if (!strcmp(spec, "isa-debug-exit")) {
		o->exit_port = 0xF4;
		return 0;
	}
	if (strncmp(spec, "isa-debug-exit,iobase=", 22))
		return -1;
	o->exit_port = (int)strtoul(spec + 22, &end, 0);
	return *end || o->exit_port > 0xFFFF ? -1 : 0;
}

/* -object tdx-guest[,id=NAME][,sept-ve-disable=on|off] */
static int parse_object(const char *spec, struct options *o)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	int ret = -1;

	if (!copy)
		return -1;
	tok = strtok_r(copy, ",", &save);
	if (tok && !strcmp(tok, "tdx-guest")) {
		ret = 0;
		while (!ret && (tok = strtok_r(NULL, ",", &save))) {
			if (!strncmp(tok, "id=", 3))
				continue;
			if (!strcmp(tok, "sept-ve-disable=on"))
				o->sept_ve_disable = true;
			else if (!strcmp(tok, "sept-ve-disable=off"))
				o->sept_ve_disable = false;
			else
				ret = -1;
		}
	}
	free(copy);
	return ret;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "bios", required_argument, NULL, 'b' }, { "image", required_argument, NULL, 'i' },
		{ "m", required_argument, NULL, 'm' }, { "smp", required_argument, NULL, 's' },
		{ "serial", required_argument, NULL, 'S' }, { "debugcon", required_argument, NULL, 'd' },
		{ "device", required_argument, NULL, 'D' }, { "trace", no_argument, NULL, 't' },
		{ "object", required_argument, NULL, 'o' }, { "accel", required_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' }, { "payload", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	char *end;
	int c;

	*o = (struct options){ .ram = 256ULL << 20, .smp = 1, .serial = "stdio",
			       .exit_port = -1, .sept_ve_disable = true, .accel = &accels[0] };
	while ((c = getopt_long_only(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b': o->bios = optarg; break;
		case 'i': o->image = optarg; break;
		case 'p': o->payload = optarg; break;
		case 'm':
			if (vmm_parse_size(optarg, &o->ram) || o->ram < (16ULL << 20) ||
			    o->ram % (2ULL << 20)) {
				fprintf(stderr, "softtdx run: bad memory size '%s' (16M or more, "
						"a multiple of 2M)\n", optarg);
				return 2;
			}
			break;
		case 's':
			o->smp = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || !o->smp || o->smp > MAX_VCPUS) {
				fprintf(stderr, "softtdx run: -smp takes 1 to %d\n", MAX_VCPUS);
				return 2;
			}
			break;
		case 'S': o->serial = optarg; break;
		case 'd': o->debugcon = optarg; break;
		case 'D':
			if (parse_device(optarg, o)) {
				fprintf(stderr, "softtdx run: unsupported device '%s'\n", optarg);
				return 2;
			}
			break;
		case 't': o->trace = true; break;
		case 'q': o->quiet = true; break;
		case 'a':
			o->accel = !strcmp(optarg, "kvm") ? &accels[1] :
				   !strcmp(optarg, "softtdx") ? &accels[0] : NULL;
			if (!o->accel) {
				fprintf(stderr, "softtdx run: --accel takes softtdx or kvm\n");
				return 2;
			}
			break;
		case 'o':
			if (parse_object(optarg, o)) {
				fprintf(stderr, "softtdx run: unsupported -object '%s' (tdx-guest "
						"with id= and sept-ve-disable=on|off)\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || (o->image && (o->bios || o->payload)) ||
	    !(o->image || o->bios || o->payload)) {
		fprintf(stderr, "softtdx run: %s\n", optind != argc ? "unexpected argument" :
			"give -bios FILE, --payload FILE (both, for another softtdx TDVF) "
			"or --image FILE");
		return 2;
	}
	return -1;
}

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
static void print_mrtd(const uint8_t *image, const struct tdvf_meta *meta)
{
	uint8_t mrtd[48];

	if (tdvf_mrtd(image, meta, TDVF_MEASURE_PER_PAGE, mrtd))
		return;
	fprintf(stderr, "softtdx run: MRTD ");
	vmm_print_hex(stderr, mrtd, sizeof(mrtd));
	fprintf(stderr, "\n");
}

/* Everything before the first KVM_RUN; the measurement is reported then. */
static int build(struct td *t, const struct options *o, const uint8_t *image, size_t fw_len,
		 size_t len)
{
	struct tdvf_meta *meta = NULL;
	struct td_ram_map map;
	char err[160];
	int ret = -1;

	if (!o->image) {
		meta = malloc(sizeof(*meta));
		const char *bad = o->bios ? o->bios : "softtdx's TDVF";

		if (!meta || tdvf_parse(image, fw_len, meta, err, sizeof(err)) ||
		    (o->payload && (bad = o->payload) &&
		     tdvf_add_payload(image, fw_len, len - fw_len, o->ram, meta, err, sizeof(err))) ||
		    td_ram_map_build(o->ram, meta, &map, err, sizeof(err))) {
			fprintf(stderr, "softtdx run: %s: %s\n", bad, meta ? err : "out of memory");
			goto out;
		}
	} else if (len % PAGE || len > MAX_FIRMWARE) {
		fprintf(stderr, "softtdx run: %s: %zu bytes is not a whole number of pages\n",
			o->image, len);
		goto out;
	} else if ((meta = malloc(sizeof(*meta)))) {
		image_meta(len, meta);
	}
	if (!meta)
		goto out;
	if (enable_caps(t) || init_vm(t) || add_memory(t, o->ram, firmware_base(meta, o->ram)))
		goto out;
	if (add_vcpus(t, o->smp, td_hob_gpa(meta)))
		goto out;
	ret = !o->image ? load_tdvf(t, image, meta, &map) :
			init_region(t, FOUR_GIB - len, len, image, len, true);
	if (!ret && tdx_cmd(t->vm, KVM_TDX_FINALIZE_VM, 0, 0))
		ret = fail("KVM_TDX_FINALIZE_VM");
	if (!ret && !o->quiet)
		print_mrtd(image, meta);
out:
	free(meta);
	return ret;
}

static bool has_tdx_vm_type(int kvm)
{
	int types = acc->ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES);

	return types > 0 && (types & (1 << KVM_X86_TDX_VM));
}

int cmd_run(int argc, char **argv)
{
	struct td t = { .kvm = -1, .vm = -1, .gmem = -1, .status = -1 };
	struct options o;
	uint8_t *image;
	size_t fw_len, len;
	int ret = parse_options(argc, argv, &o);

	if (ret >= 0)
		return ret;
	pthread_mutex_init(&t.lock, NULL);
	t.trace = o.trace;
	t.sept_ve_disable = o.sept_ve_disable;
	t.dev = (struct vmm_devices){ .exit_port = o.exit_port, .exit_status = -1, .trace = o.trace };
	t.dev.serial = open_chardev(o.serial);
	t.dev.debugcon = open_chardev(o.debugcon);
	if ((!t.dev.serial && strcmp(o.serial, "none")) ||
	    (o.debugcon && !t.dev.debugcon && strcmp(o.debugcon, "none"))) {
		fprintf(stderr, "softtdx run: bad -serial or -debugcon '%s'\n",
			t.dev.serial ? o.debugcon : o.serial);
		return 2;
	}
	image = vmm_read_firmware(o.bios ? o.bios : o.image, MAX_FIRMWARE, o.payload, &fw_len,
				  &len);
	if (!image)
		return 1;
	acc = o.accel;
	t.kvm = acc->open();
	if (t.kvm < 0) {
		fprintf(stderr, "softtdx run: cannot open %s: %s\n",
			acc == &accels[0] ? "softtdx's KVM" : "/dev/kvm", strerror(errno));
		ret = 1;
	} else if (!has_tdx_vm_type(t.kvm)) {
		fprintf(stderr, "softtdx run: %s KVM offers no KVM_X86_TDX_VM (not a TDX host; "
				"the default --accel softtdx runs TDs anywhere)\n",
			acc == &accels[0] ? "softtdx's" : "the kernel's");
		ret = 1;
	} else if ((t.vm = acc->ioctl(t.kvm, KVM_CREATE_VM, KVM_X86_TDX_VM)) < 0) {
		fail("KVM_CREATE_VM(KVM_X86_TDX_VM)");
		ret = 1;
	} else {
		ret = build(&t, &o, image, fw_len, len) ? 1 : run_vcpus(&t);
	}
	td_destroy(&t);
	free(image);
	if (t.dev.serial && t.dev.serial != stdout)
		fclose(t.dev.serial);
	if (t.dev.debugcon && t.dev.debugcon != stdout)
		fclose(t.dev.debugcon);
	fflush(stdout);
	return ret;
}
