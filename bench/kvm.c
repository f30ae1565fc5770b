// SPDX-License-Identifier: MIT
/*
 * bench/kvm: softtdx's KVM through its ioctl interface.
 *
 *   convert-2m         private<->shared conversions of whole 2 MiB ranges,
 *                      GiB/s (KVM_SET_MEMORY_ATTRIBUTES + KVM_PRE_FAULT_MEMORY:
 *                      PAGE.AUG level 1 in, BLOCK/TRACK/REMOVE out)
 *   convert-4k         the same, one 4 KiB page at a time (each splits its
 *                      2 MiB page; the last one of a range promotes it back)
 *   metadata           host metadata per GiB of mapped TD memory, percent
 *                      (KVM's mirror S-EPT + attributes + the module's PAMT)
 *   td-create-destroy  KVM_CREATE_VM + KVM_TDX_INIT_VM + close, microseconds
 *   attributes         KVM_SET_MEMORY_ATTRIBUTES on one page, microseconds
 *                      per call, with 10 and with 20,000 private ranges in
 *                      the TD's layout, and their ratio (goal: within 2x)
 *
 * Each figure is one "name: value" line.  Sizes: -m MiB of TD memory.
 */
#include <stdint.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <softtdx/kvm.h>
#include <softtdx/uapi/kvm_tdx.h>

#include "uapi_util.h"

#define GPA_BASE	(1ULL << 32)

static double td_create_destroy_us(int kvm, int rounds)
{
	double t = bench_now();

	for (int i = 0; i < rounds; i++) {
		int td = softtdx_ioctl(kvm, KVM_CREATE_VM, KVM_X86_TDX_VM);

		bench_check(td, "KVM_CREATE_VM");
		bench_init_vm(td);
		softtdx_close(td);
	}
	return (bench_now() - t) * 1e6 / rounds;
}

struct td {
	int vm, vcpu, gmem;
	unsigned long long size;
};

static void td_with_memory(int kvm, struct td *t)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e;
	} c = { .hdr.nent = 1, .e = { .function = 1, .ecx = 1u << 21 } };
	struct kvm_create_guest_memfd g = { .size = t->size };
	struct kvm_userspace_memory_region2 region = {
		.flags = KVM_MEM_GUEST_MEMFD, .guest_phys_addr = GPA_BASE,
		.memory_size = t->size,
	};

	t->vm = softtdx_ioctl(kvm, KVM_CREATE_VM, KVM_X86_TDX_VM);
	bench_check(t->vm, "KVM_CREATE_VM");
	bench_init_vm(t->vm);
	bench_check(softtdx_ioctl(t->vm, KVM_ENABLE_CAP, &cap), "KVM_ENABLE_CAP");
	t->vcpu = softtdx_ioctl(t->vm, KVM_CREATE_VCPU, 0);
	bench_check(t->vcpu, "KVM_CREATE_VCPU");
	bench_check(softtdx_ioctl(t->vcpu, KVM_SET_CPUID2, &c), "KVM_SET_CPUID2");
	bench_check(bench_tdx_cmd(t->vcpu, KVM_TDX_INIT_VCPU, NULL, 0), "KVM_TDX_INIT_VCPU");
	t->gmem = softtdx_ioctl(t->vm, KVM_CREATE_GUEST_MEMFD, &g);
	bench_check(t->gmem, "KVM_CREATE_GUEST_MEMFD");
	region.guest_memfd = (unsigned int)t->gmem;
	region.userspace_addr = (unsigned long long)(uintptr_t)mmap(NULL, t->size,
		PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	bench_check(softtdx_ioctl(t->vm, KVM_SET_USER_MEMORY_REGION2, &region), "memslot");
	bench_check(bench_tdx_cmd(t->vm, KVM_TDX_FINALIZE_VM, NULL, 0), "KVM_TDX_FINALIZE_VM");
}

static void set_private(struct td *t, unsigned long long off, unsigned long long len, int private)
{
	struct kvm_memory_attributes a = {
		.address = GPA_BASE + off, .size = len,
		.attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};

	bench_check(softtdx_ioctl(t->vm, KVM_SET_MEMORY_ATTRIBUTES, &a), "KVM_SET_MEMORY_ATTRIBUTES");
}

static void fault_in(struct td *t, unsigned long long off, unsigned long long len)
{
	struct kvm_pre_fault_memory r = { .gpa = GPA_BASE + off, .size = len };

	bench_check(softtdx_ioctl(t->vcpu, KVM_PRE_FAULT_MEMORY, &r), "KVM_PRE_FAULT_MEMORY");
}

/* Whole-range conversions: @rounds times shared and back to private. */
static double convert_2m_gibs(struct td *t, int rounds)
{
	double secs = bench_now();

	for (int i = 0; i < rounds; i++) {
		set_private(t, 0, t->size, 0);
		set_private(t, 0, t->size, 1);
		fault_in(t, 0, t->size);
	}
	secs = bench_now() - secs;
	return 2.0 * rounds * (double)t->size / (1 << 30) / secs;
}

/* Every 4K page of the first @bytes, one at a time, shared and back. */
static double convert_4k_gibs(struct td *t, unsigned long long bytes)
{
	double secs = bench_now();

	for (unsigned long long off = 0; off < bytes; off += 4096) {
		set_private(t, off, 4096, 0);
		set_private(t, off, 4096, 1);
		fault_in(t, off, 4096);
	}
	secs = bench_now() - secs;
	return 2.0 * (double)bytes / (1 << 30) / secs;
}

/*
 * Microseconds per KVM_SET_MEMORY_ATTRIBUTES when @ranges private pages,
 * every other one, fragment the layout: one page between them goes private
 * and shared again (two calls, joining three ranges and splitting them).
 */
static double attributes_us(struct td *t, unsigned long long ranges, int rounds)
{
	unsigned long long mid = ranges / 2 * 2 + 1;
	double secs;

	set_private(t, 0, t->size, 0);
	for (unsigned long long i = 0; i < ranges; i++)
		set_private(t, 2 * i * 4096, 4096, 1);
	secs = bench_now();
	for (int i = 0; i < rounds; i++) {
		set_private(t, mid * 4096, 4096, 1);
		set_private(t, mid * 4096, 4096, 0);
	}
	return (bench_now() - secs) * 1e6 / (2.0 * rounds);
}

int main(int argc, char **argv)
{
	unsigned long long mib = argc > 2 && !strcmp(argv[1], "-m") ? strtoull(argv[2], NULL, 0) : 256;
	struct softtdx_kvm_stats before, mapped;
	int kvm = softtdx_kvm_open(), rounds = 4;
	struct td t = { .size = mib << 20 };
	double pamt_share, attr_few, attr_many;

	bench_check(kvm, "open");
	softtdx_kvm_stats(&before);
	td_with_memory(kvm, &t);
	set_private(&t, 0, t.size, 1);
	fault_in(&t, 0, t.size);
	softtdx_kvm_stats(&mapped);
	pamt_share = (double)mapped.pamt_bytes / (double)mapped.tdx_memory_bytes;
	attr_few = attributes_us(&t, 10, 20000);
	attr_many = attributes_us(&t, 20000, 20000);
	set_private(&t, 0, t.size, 1);
	printf("convert-2m: %.3f GiB/s\n", convert_2m_gibs(&t, rounds));
	printf("convert-4k: %.3f GiB/s\n", convert_4k_gibs(&t, t.size < (64 << 20) ? t.size : 64 << 20));
	printf("metadata: %.3f percent (mirror %.3f + PAMT %.3f; attributes negligible)\n",
	       100.0 * ((double)(mapped.mirror_bytes - before.mirror_bytes) / (double)t.size +
			pamt_share),
	       100.0 * (double)(mapped.mirror_bytes - before.mirror_bytes) / (double)t.size,
	       100.0 * pamt_share);
	softtdx_close(t.gmem);
	softtdx_close(t.vcpu);
	softtdx_close(t.vm);
	printf("td-create-destroy: %.0f us\n", td_create_destroy_us(kvm, 50));
	printf("attributes: %.2f us per call at 10 ranges, %.2f us at 20000 (ratio %.2f, goal <= 2)\n",
	       attr_few, attr_many, attr_many / attr_few);
	softtdx_close(kvm);
	return 0;
}
