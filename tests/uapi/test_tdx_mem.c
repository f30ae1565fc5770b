// SPDX-License-Identifier: MIT
/*
 * TD memory through the uapi: KVM_CREATE_GUEST_MEMFD, memslots with
 * guest_memfd (KVM_SET_USER_MEMORY_REGION2), KVM_SET_MEMORY_ATTRIBUTES,
 * KVM_TDX_INIT_MEM_REGION with and without measurement, conversions that
 * zap private pages, and that closing everything gives every page back.
 */
#include "kvm_util.h"

#include <linux/falloc.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CPUID_1_ECX_X2APIC	(1u << 21)
#define MEM_SIZE		(2ULL << 20)
#define MEM_GPA			0x100000ULL

static int __gmem_create(int vm, unsigned long long size, unsigned long long flags)
{
	struct kvm_create_guest_memfd g = { .size = size, .flags = flags };

	return kvm_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &g);
}

static int __set_region(int vm, unsigned int slot, unsigned int flags, unsigned long long gpa,
			unsigned long long size, void *uaddr, int gmem, unsigned long long off)
{
	struct kvm_userspace_memory_region2 r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (__u64)(uintptr_t)uaddr, .guest_memfd = (__u32)gmem,
		.guest_memfd_offset = off,
	};

	return kvm_ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &r);
}

static int __set_attrs(int vm, unsigned long long gpa, unsigned long long size,
		       unsigned long long attrs, unsigned long long flags)
{
	struct kvm_memory_attributes a = { gpa, size, attrs, flags };

	return kvm_ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &a);
}

static int __init_mem(int vcpu, unsigned int flags, struct kvm_tdx_init_mem_region *m)
{
	struct kvm_tdx_cmd cmd = { .id = KVM_TDX_INIT_MEM_REGION, .flags = flags,
				   .data = (__u64)(uintptr_t)m };

	return kvm_ioctl(vcpu, KVM_MEMORY_ENCRYPT_OP, &cmd);
}

/* A TD with an initialized vCPU, and MEM_SIZE of guest_memfd at MEM_GPA. */
struct td_mem {
	int td, vcpu, gmem;
	void *shared;
};

static void td_mem_create(struct td_mem *t)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e;
	} c = { .hdr.nent = 1, .e = { .function = 1, .ecx = CPUID_1_ECX_X2APIC } };
	struct kvm_tdx_cmd init = { .id = KVM_TDX_INIT_VCPU };

	t->td = td_create(kvm);
	assert_int_equal(kvm_ioctl(t->td, KVM_ENABLE_CAP, &cap), 0);
	t->vcpu = kvm_ioctl(t->td, KVM_CREATE_VCPU, 0);
	assert_int_equal(kvm_ioctl(t->vcpu, KVM_SET_CPUID2, &c), 0);
	assert_int_equal(kvm_ioctl(t->vcpu, KVM_MEMORY_ENCRYPT_OP, &init), 0);
	t->gmem = __gmem_create(t->td, MEM_SIZE, 0);
	assert_true(t->gmem >= 0);
	t->shared = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_int_equal(__set_region(t->td, 0, KVM_MEM_GUEST_MEMFD, MEM_GPA, MEM_SIZE,
				      t->shared, t->gmem, 0), 0);
}

static void td_mem_destroy(struct td_mem *t)
{
	kvm_close(t->gmem);
	kvm_close(t->vcpu);
	kvm_close(t->td);
	munmap(t->shared, MEM_SIZE);
}

struct closer {
	int fd;
	volatile bool go;
};

static void *close_when_told(void *arg)
{
	struct closer *c = arg;

	while (!c->go)
		;
	kvm_close(c->fd);
	return NULL;
}

/*
 * Binding a guest_memfd while another thread closes it: the bind holds
 * its own reference until slots_lock is dropped, so the last one is never
 * put (and the release, which takes slots_lock, never runs) under it.
 * Each round ends with the descriptor gone: EBADF, and nothing leaked.
 */
static void test_bind_while_closing(void **state)
{
	struct softtdx_kvm_stats start;
	int vm = td_create(kvm);
	void *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);

	(void)state;
	start = kvm_stats();
	for (int round = 0; round < 100; round++) {
		struct closer c = { .fd = __gmem_create(vm, MEM_SIZE, 0) };
		pthread_t thr;
		int r;

		assert_true(c.fd >= 0);
		assert_int_equal(pthread_create(&thr, NULL, close_when_told, &c), 0);
		c.go = true;
		do {
			r = __set_region(vm, 0, KVM_MEM_GUEST_MEMFD, 0, MEM_SIZE, mem, c.fd, 0);
			if (!r)
				assert_int_equal(__set_region(vm, 0, 0, 0, 0, NULL, -1, 0), 0);
		} while (!r);
		pthread_join(thr, NULL);
		assert_true(errno == EBADF || errno == EINVAL);	/* EINVAL: fd reused */
	}
	assert_int_equal(kvm_stats().objects, start.objects);
	munmap(mem, MEM_SIZE);
	kvm_close(vm);
}

static void test_guest_memfd(void **state)
{
	int td = vm_create(kvm, KVM_X86_TDX_VM), g;

	(void)state;
	TEST_ASSERT_ERRNO(__gmem_create(td, MEM_SIZE, 1), EINVAL);
	TEST_ASSERT_ERRNO(__gmem_create(td, 0, 0), EINVAL);
	TEST_ASSERT_ERRNO(__gmem_create(td, 4095, 0), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_CREATE_GUEST_MEMFD, (void *)8), EFAULT);
	g = __gmem_create(td, MEM_SIZE, 0);
	assert_true(g >= 0);
	TEST_ASSERT_ERRNO(kvm_ioctl(g, KVM_CHECK_EXTENSION, 0), ENOTTY);
	kvm_close(g);
	/* Any size Linux takes, at the cost of what is used (make fuzz found 126 GB) */
	g = __gmem_create(td, 1ULL << 62, 0);
	assert_true(g >= 0);
	/* A hole across all of it costs what it holds, not its size */
	if (!kvm_backend_is_kernel()) {
		unsigned long long free_pages = kvm_stats().free_pages;

		assert_int_equal(softtdx_fallocate(g, FALLOC_FL_KEEP_SIZE, 1LL << 61, 4096), 0);
		assert_int_equal(kvm_stats().free_pages, free_pages - 1);
		assert_int_equal(softtdx_fallocate(g, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
						   1LL << 62), 0);
		assert_int_equal(kvm_stats().free_pages, free_pages);
	}
	TEST_ASSERT_ERRNO(__gmem_create(td, 1ULL << 63, 0), EINVAL);
	kvm_close(g);
	g = __gmem_create(td, MEM_SIZE, 0);
	/* TD memory has no user mapping. */
	assert_true(kvm_mmap(NULL, 4096, PROT_READ, MAP_SHARED, g, 0) == MAP_FAILED);
	assert_int_equal(errno, ENODEV);
	kvm_close(g);
	kvm_close(td);
}

static void test_memslots(void **state)
{
	int td = vm_create(kvm, KVM_X86_TDX_VM), vm = vm_create(kvm, KVM_X86_DEFAULT_VM);
	int g = __gmem_create(td, MEM_SIZE, 0), other = __gmem_create(vm, MEM_SIZE, 0);
	void *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	/* Flags by VM type. */
	TEST_ASSERT_ERRNO(__set_region(vm, 0, KVM_MEM_GUEST_MEMFD, 0, MEM_SIZE, mem, other, 0),
			  EINVAL);
	TEST_ASSERT_ERRNO(__set_region(td, 0, KVM_MEM_READONLY, 0, MEM_SIZE, mem, -1, 0), EINVAL);
	TEST_ASSERT_ERRNO(__set_region(td, 0, KVM_MEM_GUEST_MEMFD | KVM_MEM_LOG_DIRTY_PAGES, 0,
				       MEM_SIZE, mem, g, 0), EINVAL);
	TEST_ASSERT_ERRNO(__set_region(td, 0, 1 << 7, 0, MEM_SIZE, mem, -1, 0), EINVAL);
	/* A TD has one address space; a normal VM two. */
	TEST_ASSERT_ERRNO(__set_region(td, 1 << 16, 0, 0, MEM_SIZE, mem, -1, 0), EINVAL);
	assert_int_equal(__set_region(vm, 1 << 16, 0, 0, MEM_SIZE, mem, -1, 0), 0);
	/* Alignment. */
	TEST_ASSERT_ERRNO(__set_region(td, 0, 0, 0x800, MEM_SIZE, mem, -1, 0), EINVAL);
	TEST_ASSERT_ERRNO(__set_region(td, 0, 0, 0, 0x800, mem, -1, 0), EINVAL);
	TEST_ASSERT_ERRNO(__set_region(td, 0, 0, 0, MEM_SIZE, (char *)mem + 8, -1, 0), EINVAL);
	TEST_ASSERT_ERRNO(__set_region(td, 0, KVM_MEM_GUEST_MEMFD, 0, MEM_SIZE, mem, g, 8), EINVAL);
	/* The guest_memfd must be open (EBADF), this VM's, and big enough. */
	TEST_ASSERT_ERRNO(__set_region(td, 0, KVM_MEM_GUEST_MEMFD, 0, MEM_SIZE, mem, 999, 0),
			  EBADF);
	TEST_ASSERT_ERRNO(__set_region(td, 0, KVM_MEM_GUEST_MEMFD, 0, MEM_SIZE, mem, kvm, 0),
			  EINVAL);
	TEST_ASSERT_ERRNO(__set_region(td, 0, KVM_MEM_GUEST_MEMFD, 0, MEM_SIZE, mem, g, 4096),
			  EINVAL);
	assert_int_equal(__set_region(td, 0, KVM_MEM_GUEST_MEMFD, 0, MEM_SIZE / 2, mem, g, 0), 0);
	/* No overlap in GPA, none in the file. */
	TEST_ASSERT_ERRNO(__set_region(td, 1, 0, 0x1000, 0x1000, mem, -1, 0), EEXIST);
	TEST_ASSERT_ERRNO(__set_region(td, 1, KVM_MEM_GUEST_MEMFD, MEM_SIZE, MEM_SIZE / 2, mem, g,
				       0x1000), EEXIST);
	assert_int_equal(__set_region(td, 1, KVM_MEM_GUEST_MEMFD, MEM_SIZE, MEM_SIZE / 2, mem, g,
				      MEM_SIZE / 2), 0);
	/* guest_memfd slots cannot change in place; deleting works once. */
	TEST_ASSERT_ERRNO(__set_region(td, 1, KVM_MEM_GUEST_MEMFD, 8 * MEM_SIZE, MEM_SIZE / 2, mem,
				       g, MEM_SIZE / 2), EINVAL);
	assert_int_equal(__set_region(td, 1, 0, 0, 0, NULL, -1, 0), 0);
	TEST_ASSERT_ERRNO(__set_region(td, 1, 0, 0, 0, NULL, -1, 0), EINVAL);
	kvm_close(other);
	kvm_close(g);
	kvm_close(vm);
	kvm_close(td);
	munmap(mem, MEM_SIZE);
}

/*
 * kvm_set_memory_region()'s limits: user addresses only, at most 2^31 - 1
 * pages, GFNs within MAXPHYADDR (52 bits here) and, on an initialized TD,
 * none with the shared bit (a GFN alias).
 */
static void test_memslot_limits(void **state)
{
	const unsigned long long max_pages = (1ULL << 31) - 1, top = 1ULL << 47;
	int vm = vm_create(kvm, KVM_X86_DEFAULT_VM), td = td_create(kvm);
	int bare = vm_create(kvm, KVM_X86_TDX_VM), g = __gmem_create(td, MEM_SIZE, 0);
	char *low = (char *)(uintptr_t)0x10000;	/* never touched: no access needed */
	void *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	/* A host range that is not user memory, or wraps */
	TEST_ASSERT_ERRNO(__set_region(vm, 0, 0, 0, MEM_SIZE, (void *)0xFFFF800000000000ULL, -1,
				       0), EINVAL);
	TEST_ASSERT_ERRNO(__set_region(vm, 0, 0, 0, 0x2000, (void *)(top - 0x1000), -1, 0),
			  EINVAL);
	TEST_ASSERT_ERRNO(__set_region(vm, 0, 0, 0, 0x2000, (void *)-0x1000ULL, -1, 0), EINVAL);
	TEST_ASSERT_ERRNO(__set_region(vm, 0, 0, 0, 0, (char *)mem + 8, -1, 0), EINVAL);
	/* 2^31 - 1 pages is the most one slot takes; its metadata is paid only as used */
	TEST_ASSERT_ERRNO(__set_region(vm, 0, 0, 0, (max_pages + 1) << 12, low, -1, 0), EINVAL);
	assert_int_equal(__set_region(vm, 0, 0, 0, max_pages << 12, low, -1, 0), 0);
	assert_int_equal(__set_region(vm, 0, 0, 0, 0, NULL, -1, 0), 0);
	/* GFNs within MAXPHYADDR, for creates and moves */
	assert_int_equal(__set_region(vm, 0, 0, (1ULL << 52) - MEM_SIZE, MEM_SIZE, mem, -1, 0), 0);
	TEST_ASSERT_ERRNO(__set_region(vm, 1, 0, 1ULL << 52, MEM_SIZE, mem, -1, 0), EINVAL);
	TEST_ASSERT_ERRNO(__set_region(vm, 0, 0, (1ULL << 52) - MEM_SIZE / 2, MEM_SIZE, mem, -1,
				       0), EINVAL);
	assert_int_equal(__set_region(vm, 0, 0, 0, MEM_SIZE, mem, -1, 0), 0);	/* moved */
	/* A refused move keeps the slot: moving onto another slot is EEXIST */
	assert_int_equal(__set_region(vm, 1, 0, MEM_SIZE, MEM_SIZE, mem, -1, 0), 0);
	TEST_ASSERT_ERRNO(__set_region(vm, 1, 0, 0, MEM_SIZE, mem, -1, 0), EEXIST);
	TEST_ASSERT_ERRNO(__set_region(vm, 2, 0, MEM_SIZE, MEM_SIZE, mem, -1, 0), EEXIST);
	/* A GPAW-48 TD: GPAs with bit 47 alias private ones; before INIT_VM there is no bit */
	TEST_ASSERT_ERRNO(__set_region(td, 0, 0, top, MEM_SIZE, mem, -1, 0), EINVAL);
	TEST_ASSERT_ERRNO(__set_region(td, 0, KVM_MEM_GUEST_MEMFD, top - MEM_SIZE / 2, MEM_SIZE,
				       mem, g, 0), EINVAL);
	TEST_ASSERT_ERRNO(__set_region(td, 0, KVM_MEM_GUEST_MEMFD, top, MEM_SIZE, mem, 999, 0),
			  EBADF);
	assert_int_equal(__set_region(td, 0, KVM_MEM_GUEST_MEMFD, top - MEM_SIZE, MEM_SIZE, mem,
				      g, 0), 0);
	assert_int_equal(__set_region(bare, 0, 0, top, MEM_SIZE, mem, -1, 0), 0);
	kvm_close(g);
	kvm_close(bare);
	kvm_close(td);
	kvm_close(vm);
	munmap(mem, MEM_SIZE);
}

static int __get_dirty_log(int vm, unsigned int slot, void *bitmap)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };

	return kvm_ioctl(vm, KVM_GET_DIRTY_LOG, &log);
}

/* Dirty logging on a shared slot of a TD and on a normal VM's slots. */
static void test_dirty_log(void **state)
{
	int td = vm_create(kvm, KVM_X86_TDX_VM), vm = vm_create(kvm, KVM_X86_DEFAULT_VM);
	void *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t bitmap[MEM_SIZE / 4096 / 64] = { 0 }, clean[MEM_SIZE / 4096 / 64] = { 0 };

	(void)state;
	bitmap[0] = ~0ULL;
	assert_int_equal(__set_region(td, 0, 0, 0, MEM_SIZE, mem, -1, 0), 0);
	/* No logging on the slot, no slot, bad slot numbers. */
	TEST_ASSERT_ERRNO(__get_dirty_log(td, 0, bitmap), ENOENT);
	TEST_ASSERT_ERRNO(__get_dirty_log(td, 3, bitmap), ENOENT);
	TEST_ASSERT_ERRNO(__get_dirty_log(td, 1 << 16, bitmap), EINVAL);
	TEST_ASSERT_ERRNO(__get_dirty_log(td, 32764, bitmap), EINVAL);
	/* Turning logging on in place; no vCPU has written: a clean log. */
	assert_int_equal(__set_region(td, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, MEM_SIZE, mem, -1, 0), 0);
	assert_int_equal(__get_dirty_log(td, 0, bitmap), 0);
	assert_memory_equal(bitmap, clean, sizeof(bitmap));
	TEST_ASSERT_ERRNO(__get_dirty_log(td, 0, (void *)8), EFAULT);
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_GET_DIRTY_LOG, (void *)8), EFAULT);
	/* A flags-only change may not move the host mapping. */
	TEST_ASSERT_ERRNO(__set_region(td, 0, 0, 0, MEM_SIZE, (char *)mem + 4096, -1, 0), EINVAL);
	assert_int_equal(__set_region(td, 0, 0, 0, MEM_SIZE, mem, -1, 0), 0);
	TEST_ASSERT_ERRNO(__get_dirty_log(td, 0, bitmap), ENOENT);
	/* A normal VM logs in both address spaces. */
	assert_int_equal(__set_region(vm, 1 << 16 | 2, KVM_MEM_LOG_DIRTY_PAGES, 0, MEM_SIZE, mem,
				      -1, 0), 0);
	assert_int_equal(__get_dirty_log(vm, 1 << 16 | 2, bitmap), 0);
	TEST_ASSERT_ERRNO(__get_dirty_log(vm, 2 << 16, bitmap), EINVAL);
	kvm_close(vm);
	kvm_close(td);
	munmap(mem, MEM_SIZE);
}

static void test_attributes(void **state)
{
	int td = vm_create(kvm, KVM_X86_TDX_VM), vm = vm_create(kvm, KVM_X86_DEFAULT_VM);
	const unsigned long long P = KVM_MEMORY_ATTRIBUTE_PRIVATE;

	(void)state;
	assert_int_equal(__set_attrs(td, 0, MEM_SIZE, P, 0), 0);
	assert_int_equal(__set_attrs(td, 0x1000, 0x1000, 0, 0), 0);
	TEST_ASSERT_ERRNO(__set_attrs(td, 0, MEM_SIZE, P, 1), EINVAL);
	TEST_ASSERT_ERRNO(__set_attrs(td, 0, MEM_SIZE, 1 << 0, 0), EINVAL);
	TEST_ASSERT_ERRNO(__set_attrs(td, 0, 0, P, 0), EINVAL);
	TEST_ASSERT_ERRNO(__set_attrs(td, 0x800, 0x1000, P, 0), EINVAL);
	TEST_ASSERT_ERRNO(__set_attrs(td, 0, 0x800, P, 0), EINVAL);
	TEST_ASSERT_ERRNO(__set_attrs(td, ~0xFFFULL, 0x2000, P, 0), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_SET_MEMORY_ATTRIBUTES, (void *)8), EFAULT);
	/* A normal VM has no private memory. */
	TEST_ASSERT_ERRNO(__set_attrs(vm, 0, MEM_SIZE, P, 0), EINVAL);
	assert_int_equal(__set_attrs(vm, 0, MEM_SIZE, 0, 0), 0);
	kvm_close(vm);
	kvm_close(td);
}

static void test_init_mem_region(void **state)
{
	struct softtdx_kvm_stats start = kvm_stats();
	struct kvm_tdx_init_mem_region m;
	unsigned char *src = aligned_alloc(4096, 8 * 4096);
	struct td_mem t;

	(void)state;
	memset(src, 0x5a, 8 * 4096);
	td_mem_create(&t);
	/* The range must be private first. */
	m = (struct kvm_tdx_init_mem_region){ (__u64)(uintptr_t)src, MEM_GPA, 4 };
	TEST_ASSERT_ERRNO(__init_mem(t.vcpu, KVM_TDX_MEASURE_MEMORY_REGION, &m), EINVAL);
	assert_int_equal(__set_attrs(t.td, MEM_GPA, MEM_SIZE, KVM_MEMORY_ATTRIBUTE_PRIVATE, 0), 0);
	/* The region's form. */
	TEST_ASSERT_ERRNO(__init_mem(t.vcpu, 2, &m), EINVAL);
	m.gpa = MEM_GPA + 8;
	TEST_ASSERT_ERRNO(__init_mem(t.vcpu, 0, &m), EINVAL);
	m = (struct kvm_tdx_init_mem_region){ (__u64)(uintptr_t)src + 8, MEM_GPA, 4 };
	TEST_ASSERT_ERRNO(__init_mem(t.vcpu, 0, &m), EINVAL);
	m = (struct kvm_tdx_init_mem_region){ (__u64)(uintptr_t)src, MEM_GPA, 0 };
	TEST_ASSERT_ERRNO(__init_mem(t.vcpu, 0, &m), EINVAL);
	m = (struct kvm_tdx_init_mem_region){ (__u64)(uintptr_t)src, MEM_GPA | 1ULL << 47, 1 };
	TEST_ASSERT_ERRNO(__init_mem(t.vcpu, 0, &m), EINVAL);
	m = (struct kvm_tdx_init_mem_region){ (__u64)(uintptr_t)src, 0x40000000, 1 };
	TEST_ASSERT_ERRNO(__init_mem(t.vcpu, 0, &m), EINVAL);	/* no memslot */
	TEST_ASSERT_ERRNO(kvm_ioctl(t.vcpu, KVM_MEMORY_ENCRYPT_OP, (void *)8), EFAULT);
	/* Four measured pages; the region comes back consumed. */
	m = (struct kvm_tdx_init_mem_region){ (__u64)(uintptr_t)src, MEM_GPA, 4 };
	assert_int_equal(__init_mem(t.vcpu, KVM_TDX_MEASURE_MEMORY_REGION, &m), 0);
	assert_int_equal(m.nr_pages, 0);
	assert_int_equal(m.gpa, MEM_GPA + 4 * 4096);
	assert_int_equal(m.source_addr, (__u64)(uintptr_t)src + 4 * 4096);
	/* A page cannot be added twice; the progress says where it stopped. */
	m = (struct kvm_tdx_init_mem_region){ (__u64)(uintptr_t)src, MEM_GPA + 3 * 4096, 2 };
	TEST_ASSERT_ERRNO(__init_mem(t.vcpu, 0, &m), EEXIST);
	assert_int_equal(m.nr_pages, 2);
	/* A bad source faults after the pages before it went in. */
	m = (struct kvm_tdx_init_mem_region){ (__u64)(uintptr_t)src, MEM_GPA + 4 * 4096, 1 };
	m.source_addr = 4096;
	TEST_ASSERT_ERRNO(__init_mem(t.vcpu, 0, &m), EFAULT);
	/* Converting to shared zaps the private pages: they can be added again. */
	assert_int_equal(__set_attrs(t.td, MEM_GPA, 4096, 0, 0), 0);
	assert_int_equal(__set_attrs(t.td, MEM_GPA, 4096, KVM_MEMORY_ATTRIBUTE_PRIVATE, 0), 0);
	m = (struct kvm_tdx_init_mem_region){ (__u64)(uintptr_t)src, MEM_GPA, 1 };
	assert_int_equal(__init_mem(t.vcpu, 0, &m), 0);
	tdx_vm_ioctl(t.td, KVM_TDX_FINALIZE_VM, 0, NULL);
	m = (struct kvm_tdx_init_mem_region){ (__u64)(uintptr_t)src, MEM_GPA + 8 * 4096, 1 };
	TEST_ASSERT_ERRNO(__init_mem(t.vcpu, 0, &m), EINVAL);	/* finalized */
	td_mem_destroy(&t);
	free(src);
	assert_int_equal(kvm_stats().free_pages, start.free_pages);
	assert_int_equal(kvm_stats().hkids_in_use, 0);
}

/* Deleting the memslot zaps its private pages, and the file outlives it. */
static void test_slot_delete_and_gmem_close(void **state)
{
	struct softtdx_kvm_stats start = kvm_stats();
	unsigned char *src = aligned_alloc(4096, 4096);
	struct kvm_tdx_init_mem_region m;
	struct td_mem t;

	(void)state;
	td_mem_create(&t);
	assert_int_equal(__set_attrs(t.td, MEM_GPA, MEM_SIZE, KVM_MEMORY_ATTRIBUTE_PRIVATE, 0), 0);
	m = (struct kvm_tdx_init_mem_region){ (__u64)(uintptr_t)src, MEM_GPA, 1 };
	assert_int_equal(__init_mem(t.vcpu, KVM_TDX_MEASURE_MEMORY_REGION, &m), 0);
	assert_int_equal(__set_region(t.td, 0, 0, 0, 0, NULL, -1, 0), 0);
	/* The page can go in again through a new slot on the same file. */
	assert_int_equal(__set_region(t.td, 0, KVM_MEM_GUEST_MEMFD, MEM_GPA, MEM_SIZE, t.shared,
				      t.gmem, 0), 0);
	m = (struct kvm_tdx_init_mem_region){ (__u64)(uintptr_t)src, MEM_GPA, 1 };
	assert_int_equal(__init_mem(t.vcpu, 0, &m), 0);
	/* Closing the file first: its private pages are removed while the TD lives. */
	kvm_close(t.gmem);
	t.gmem = -1;
	assert_int_equal(__set_region(t.td, 0, 0, 0, 0, NULL, -1, 0), 0);
	kvm_close(t.vcpu);
	kvm_close(t.td);
	munmap(t.shared, MEM_SIZE);
	free(src);
	assert_int_equal(kvm_stats().free_pages, start.free_pages);
}

static int __pre_fault(int vcpu, struct kvm_pre_fault_memory *r)
{
	return kvm_ioctl(vcpu, KVM_PRE_FAULT_MEMORY, r);
}

/* After finalize, private faults AUG pages; conversions BLOCK/TRACK/REMOVE them. */
static void test_pre_fault_and_convert(void **state)
{
	struct softtdx_kvm_stats start = kvm_stats();
	struct kvm_pre_fault_memory r = { .gpa = MEM_GPA, .size = 16 * 4096 };
	struct td_mem t;

	(void)state;
	td_mem_create(&t);
	assert_int_equal(__set_attrs(t.td, MEM_GPA, MEM_SIZE, KVM_MEMORY_ATTRIBUTE_PRIVATE, 0), 0);
	TEST_ASSERT_ERRNO(__pre_fault(t.vcpu, &r), EOPNOTSUPP);	/* not finalized */
	tdx_vm_ioctl(t.td, KVM_TDX_FINALIZE_VM, 0, NULL);
	r.flags = 1;
	TEST_ASSERT_ERRNO(__pre_fault(t.vcpu, &r), EINVAL);
	r = (struct kvm_pre_fault_memory){ .gpa = MEM_GPA | 1ULL << 47, .size = 4096 };
	TEST_ASSERT_ERRNO(__pre_fault(t.vcpu, &r), EINVAL);
	r = (struct kvm_pre_fault_memory){ .gpa = MEM_GPA + 8, .size = 4096 };
	TEST_ASSERT_ERRNO(__pre_fault(t.vcpu, &r), EINVAL);
	r = (struct kvm_pre_fault_memory){ .gpa = MEM_GPA, .size = 0 };
	TEST_ASSERT_ERRNO(__pre_fault(t.vcpu, &r), EINVAL);
	r = (struct kvm_pre_fault_memory){ .gpa = -4096ULL, .size = 4096 };
	TEST_ASSERT_ERRNO(__pre_fault(t.vcpu, &r), EINVAL);
	r = (struct kvm_pre_fault_memory){ .gpa = 0x40000000, .size = 4096 };
	assert_int_equal(__set_attrs(t.td, 0x40000000, 4096, KVM_MEMORY_ATTRIBUTE_PRIVATE, 0), 0);
	TEST_ASSERT_ERRNO(__pre_fault(t.vcpu, &r), ENOENT);	/* no memslot */
	r = (struct kvm_pre_fault_memory){ .gpa = MEM_GPA, .size = 16 * 4096 };
	assert_int_equal(__pre_fault(t.vcpu, &r), 0);
	assert_int_equal(r.size, 0);
	assert_int_equal(r.gpa, MEM_GPA + 16 * 4096);
	assert_int_equal(kvm_stats().private_pages, start.private_pages + 16);
	r = (struct kvm_pre_fault_memory){ .gpa = MEM_GPA, .size = 16 * 4096 };
	assert_int_equal(__pre_fault(t.vcpu, &r), 0);		/* already mapped */
	assert_int_equal(kvm_stats().private_pages, start.private_pages + 16);
	/* Shared: zaps the private pages (the running-TD path: block, track). */
	assert_int_equal(__set_attrs(t.td, MEM_GPA, 8 * 4096, 0, 0), 0);
	assert_int_equal(kvm_stats().private_pages, start.private_pages + 8);
	r = (struct kvm_pre_fault_memory){ .gpa = MEM_GPA, .size = 4096 };
	TEST_ASSERT_ERRNO(__pre_fault(t.vcpu, &r), EOPNOTSUPP);	/* shared: needs vCPUs */
	assert_int_equal(__set_attrs(t.td, MEM_GPA, 8 * 4096, KVM_MEMORY_ATTRIBUTE_PRIVATE, 0), 0);
	r = (struct kvm_pre_fault_memory){ .gpa = MEM_GPA, .size = 8 * 4096 };
	assert_int_equal(__pre_fault(t.vcpu, &r), 0);
	assert_int_equal(kvm_stats().private_pages, start.private_pages + 16);
	td_mem_destroy(&t);
	assert_int_equal(kvm_stats().private_pages, start.private_pages);
	assert_int_equal(kvm_stats().free_pages, start.free_pages);
	assert_int_equal(kvm_stats().hkids_in_use, 0);
}

struct converter {
	int td, vcpu;
	unsigned long long gpa;
	int rounds, err;
};

/* Converts its 64 KiB to shared and back, faulting it in each time. */
static void *convert_main(void *arg)
{
	struct converter *c = arg;

	for (int i = 0; i < c->rounds && !c->err; i++) {
		struct kvm_pre_fault_memory r = { .gpa = c->gpa, .size = 16 * 4096 };

		if (__set_attrs(c->td, c->gpa, 16 * 4096, 0, 0) ||
		    __set_attrs(c->td, c->gpa, 16 * 4096, KVM_MEMORY_ATTRIBUTE_PRIVATE, 0) ||
		    __pre_fault(c->vcpu, &r))
			c->err = errno;
	}
	return NULL;
}

/* Threads converting and faulting one TD at once keep it consistent. */
static void test_concurrent_conversions(void **state)
{
	struct softtdx_kvm_stats start = kvm_stats();
	struct converter c[3];
	pthread_t th[3];
	struct td_mem t;

	(void)state;
	td_mem_create(&t);
	assert_int_equal(__set_attrs(t.td, MEM_GPA, MEM_SIZE, KVM_MEMORY_ATTRIBUTE_PRIVATE, 0), 0);
	tdx_vm_ioctl(t.td, KVM_TDX_FINALIZE_VM, 0, NULL);
	for (int i = 0; i < 3; i++) {
		c[i] = (struct converter){ t.td, t.vcpu, MEM_GPA + i * 16 * 4096, 20, 0 };
		pthread_create(&th[i], NULL, convert_main, &c[i]);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(c[i].err, 0);
	}
	assert_int_equal(kvm_stats().private_pages, start.private_pages + 3 * 16);
	td_mem_destroy(&t);
	assert_int_equal(kvm_stats().free_pages, start.free_pages);
	assert_int_equal(kvm_stats().private_pages, start.private_pages);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		KVM_TEST(test_guest_memfd),
		KVM_TEST(test_bind_while_closing),
		KVM_TEST(test_memslots),
		KVM_TEST(test_memslot_limits),
		KVM_TEST(test_dirty_log),
		KVM_TEST(test_attributes),
		KVM_TEST(test_init_mem_region),
		KVM_TEST(test_slot_delete_and_gmem_close),
		KVM_TEST(test_pre_fault_and_convert),
		KVM_TEST(test_concurrent_conversions),
	};

	return kvm_run_tests(tests);
}
