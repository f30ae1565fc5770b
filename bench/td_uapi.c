// SPDX-License-Identifier: MIT
/*
 * bench/td-uapi: a TD run through softtdx's ioctl interface only, as a VMM
 * runs one (guest: tests/guests/bench_uapi.c, layout: td_uapi.h), against
 * baselines measured in the same run (baselines.h).
 *
 *   io-exit us           TDVMCALL<Instruction.IO> to KVM_EXIT_IO in this
 *                        program and KVM_RUN back, microseconds each
 *   io-exit-kvm us       the same round trip on the kernel's /dev/kvm
 *   io-exit/kvm ratio    the two (goal <= 1.0)
 *   fault-in-4k us       TDG.MEM.PAGE.ACCEPT of fresh private memory, per
 *   fault-in-2m us       4 KiB / 2 MiB page: EPT violation, PAGE.AUG through
 *                        KVM's mirror S-EPT, re-entry, the accept, a write
 *   guest/native ratio   bench/workload.h in the TD against natively
 *   guest/qemu-tcg ratio the same against qemu-system-x86_64 -accel tcg
 *                        (goal >= 1.0)
 *
 * Each figure is one "name: value" line.
 */
#include <linux/kvm.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <softtdx/kvm.h>
#include <softtdx/uapi/kvm_tdx.h>

#include "baselines.h"
#include "td_uapi.h"
#include "uapi_util.h"
#include "workload.h"

extern const unsigned char guest_bench_uapi[];
extern const unsigned long long guest_bench_uapi_size;

#define IMAGE_GPA	0xFFFF0000ULL
#define IMAGE_SIZE	0x10000ULL
#define TD_ROUNDS	256u	/* workload rounds in the TD and natively */
#define QEMU_ROUNDS	4096u	/* and under QEMU, whose start-up is subtracted */
#define QEMU_IMAGE	"workload-mb.bin"	/* next to this program */

struct td {
	int kvm, vm, vcpu, gmem;
	struct kvm_run *run;
	void *ram, *image;
};

/* What the guest reported: when each phase started, the workload's hash. */
struct td_result {
	double start[PHASE_DONE + 1];
	double compute_best;	/* the fastest run of the workload, seconds */
	unsigned int hash;
};

static void set_region(struct td *t, unsigned int slot, unsigned long long gpa,
		       unsigned long long size, void *uaddr, unsigned long long off)
{
	struct kvm_userspace_memory_region2 r = {
		.slot = slot, .flags = KVM_MEM_GUEST_MEMFD, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (unsigned long long)(uintptr_t)uaddr,
		.guest_memfd = (unsigned int)t->gmem, .guest_memfd_offset = off,
	};

	bench_check(softtdx_ioctl(t->vm, KVM_SET_USER_MEMORY_REGION2, &r), "memslot");
}

/* All of it private from the start, as QEMU leaves a TD's RAM. */
static void set_private(struct td *t, unsigned long long gpa, unsigned long long size)
{
	struct kvm_memory_attributes a = {
		.address = gpa, .size = size, .attributes = KVM_MEMORY_ATTRIBUTE_PRIVATE,
	};

	bench_check(softtdx_ioctl(t->vm, KVM_SET_MEMORY_ATTRIBUTES, &a),
		    "KVM_SET_MEMORY_ATTRIBUTES");
}

/* vCPU 0 with x2APIC; its initial RCX is the workload's round count. */
static void add_vcpu(struct td *t, unsigned int rounds)
{
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e;
	} c = { .hdr.nent = 1, .e = { .function = 1, .ecx = 1u << 21 } };
	struct kvm_tdx_cmd init = { .id = KVM_TDX_INIT_VCPU, .data = rounds };

	t->vcpu = softtdx_ioctl(t->vm, KVM_CREATE_VCPU, 0);
	bench_check(t->vcpu, "KVM_CREATE_VCPU");
	bench_check(softtdx_ioctl(t->vcpu, KVM_SET_CPUID2, &c), "KVM_SET_CPUID2");
	bench_check(softtdx_ioctl(t->vcpu, KVM_MEMORY_ENCRYPT_OP, &init), "KVM_TDX_INIT_VCPU");
	t->run = softtdx_mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, t->vcpu, 0);
	if (t->run == MAP_FAILED)
		bench_die("mmap of the vCPU failed");
}

/* RAM at GPA 0 and the image below 4 GiB, both in one guest_memfd. */
static void add_memory(struct td *t)
{
	struct kvm_create_guest_memfd g = { .size = BENCH_RAM_SIZE + IMAGE_SIZE };

	t->gmem = softtdx_ioctl(t->vm, KVM_CREATE_GUEST_MEMFD, &g);
	bench_check(t->gmem, "KVM_CREATE_GUEST_MEMFD");
	t->ram = mmap(NULL, BENCH_RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	t->image = mmap(NULL, IMAGE_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->ram == MAP_FAILED || t->image == MAP_FAILED)
		bench_die("cannot map the TD's shared memory");
	memcpy(t->image, guest_bench_uapi, guest_bench_uapi_size);
	set_region(t, 0, 0, BENCH_RAM_SIZE, t->ram, 0);
	set_region(t, 1, IMAGE_GPA, IMAGE_SIZE, t->image, BENCH_RAM_SIZE);
	set_private(t, 0, BENCH_RAM_SIZE);
	set_private(t, IMAGE_GPA, IMAGE_SIZE);
}

/* The image measured in with KVM_TDX_INIT_MEM_REGION, then the TD finalized. */
static void load_image(struct td *t)
{
	struct kvm_tdx_init_mem_region m = {
		.source_addr = (unsigned long long)(uintptr_t)t->image,
		.gpa = IMAGE_GPA, .nr_pages = IMAGE_SIZE / 4096,
	};

	bench_check(bench_tdx_cmd(t->vcpu, KVM_TDX_INIT_MEM_REGION, &m,
				  KVM_TDX_MEASURE_MEMORY_REGION), "KVM_TDX_INIT_MEM_REGION");
	bench_check(bench_tdx_cmd(t->vm, KVM_TDX_FINALIZE_VM, NULL, 0), "KVM_TDX_FINALIZE_VM");
}

static void td_create(struct td *t, unsigned int rounds)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };

	t->kvm = softtdx_kvm_open();
	bench_check(t->kvm, "softtdx_kvm_open");
	t->vm = softtdx_ioctl(t->kvm, KVM_CREATE_VM, KVM_X86_TDX_VM);
	bench_check(t->vm, "KVM_CREATE_VM");
	bench_init_vm(t->vm);
	bench_check(softtdx_ioctl(t->vm, KVM_ENABLE_CAP, &cap), "KVM_CAP_SPLIT_IRQCHIP");
	add_vcpu(t, rounds);
	add_memory(t);
	load_image(t);
}

static void td_destroy(struct td *t)
{
	munmap(t->run, 3 * 4096);
	softtdx_close(t->vcpu);
	softtdx_close(t->gmem);
	softtdx_close(t->vm);
	softtdx_close(t->kvm);
	munmap(t->ram, BENCH_RAM_SIZE);
	munmap(t->image, IMAGE_SIZE);
}

/* A phase starts at @t; the workload's runs are timed one by one. */
static void mark(struct td_result *res, unsigned int phase, double t)
{
	if (phase < PHASE_IO || phase > PHASE_DONE)
		bench_die("the guest marked phase %u", phase);
	if (phase >= PHASE_COMPUTE && res->start[PHASE_COMPUTE]) {
		double run = t - res->start[PHASE_COMPUTE];

		if (!res->compute_best || run < res->compute_best)
			res->compute_best = run;
	}
	res->start[phase] = t;
}

/* One KVM_EXIT_IO answered; true once the guest has reported its hash. */
static int handle_io(struct td *t, struct td_result *res)
{
	const struct kvm_run *run = t->run;
	unsigned int v = 0;

	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.count != 1 || run->io.size > 4)
		bench_die("unexpected port access to %#x", run->io.port);
	memcpy(&v, (const char *)run + run->io.data_offset, run->io.size);
	switch (run->io.port) {
	case BENCH_PORT_EXIT:
		return 0;
	case BENCH_PORT_MARK:
		mark(res, v, bench_now());
		return 0;
	case BENCH_PORT_HASH:
		res->hash = v;
		return 1;
	case BENCH_PORT_FAIL:
		bench_die("the guest's TDG.MEM.PAGE.ACCEPT failed: status %#x00000000", v);
	default:
		bench_die("the guest wrote %#x to port %#x", v, run->io.port);
	}
}

static void td_run(struct td *t, struct td_result *res)
{
	do {
		bench_check(softtdx_ioctl(t->vcpu, KVM_RUN, 0), "KVM_RUN");
		if (t->run->exit_reason != KVM_EXIT_IO)
			bench_die("KVM_RUN: exit reason %u", t->run->exit_reason);
	} while (!handle_io(t, res));
}

static double phase_secs(const struct td_result *res, enum bench_phase p)
{
	return res->start[p + 1] - res->start[p];
}

/* Seconds for @rounds of the workload natively: the best of as many runs. */
static double native_secs(unsigned int rounds, unsigned int guest_hash)
{
	static uint8_t buf[WORKLOAD_BYTES];
	double best = 0;

	for (unsigned int i = 0; i < BENCH_COMPUTE_RUNS; i++) {
		double t = bench_now();
		uint64_t h;

		memset(buf, 0, sizeof(buf));
		h = workload(buf, rounds);
		t = bench_now() - t;
		if ((unsigned int)h != guest_hash)
			bench_die("the TD computed %#x, natively %#x", guest_hash, (unsigned int)h);
		if (!i || t < best)
			best = t;
	}
	return best;
}

static void print_io_exit(const struct td_result *res)
{
	double us = phase_secs(res, PHASE_IO) * 1e6 / BENCH_IO_EXITS, kvm_us;
	char why[256];

	printf("io-exit us: %.2f\n", us);
	kvm_us = kernel_io_exit_us(BENCH_IO_EXITS, why, sizeof(why));
	if (kvm_us < 0) {
		printf("io-exit/kvm ratio: skipped (%s)\n", why);
		return;
	}
	printf("io-exit-kvm us: %.2f\n", kvm_us);
	printf("io-exit/kvm ratio: %.2f\n", us / kvm_us);
}

/* QEMU's image lives next to this program in the build directory. */
static void qemu_image_path(char *path, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", path, len - 1);
	char *slash;

	if (n < 0)
		bench_die("cannot find this program's directory: readlink failed");
	path[n] = '\0';
	slash = strrchr(path, '/');
	snprintf(slash + 1, len - (size_t)(slash + 1 - path), "%s", QEMU_IMAGE);
	if (access(path, R_OK))
		bench_die("%s is missing: build with ninja first", path);
}

static void print_compute(const struct td_result *res)
{
	double td_round = res->compute_best / TD_ROUNDS, qemu_us;
	char path[PATH_MAX], why[512];

	printf("guest/native ratio: %.3f\n", native_secs(TD_ROUNDS, res->hash) / TD_ROUNDS / td_round);
	qemu_image_path(path, sizeof(path));
	qemu_us = qemu_tcg_round_us(path, QEMU_ROUNDS, why, sizeof(why));
	if (qemu_us < 0) {
		printf("guest/qemu-tcg ratio: skipped (%s)\n", why);
		return;
	}
	printf("guest/qemu-tcg ratio: %.3f\n", qemu_us * 1e-6 / td_round);
}

int main(void)
{
	struct td_result res = { 0 };
	struct td t;

	td_create(&t, TD_ROUNDS);
	td_run(&t, &res);
	td_destroy(&t);
	print_io_exit(&res);
	printf("fault-in-4k us: %.2f\n", phase_secs(&res, PHASE_4K) * 1e6 / BENCH_4K_PAGES);
	printf("fault-in-2m us: %.1f\n", phase_secs(&res, PHASE_2M) * 1e6 / BENCH_2M_PAGES);
	print_compute(&res);
	return 0;
}
