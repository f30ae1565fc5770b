// SPDX-License-Identifier: MIT
/*
 * 2 MiB private mappings: a private fault maps 2M when guest_memfd, the
 * memslot and the attributes allow; converting part of it demotes it;
 * the last small page of a contiguous 2M range promotes it back; and the
 * "mixed" tracking of huge pages follows attribute changes, rescanning only
 * the huge pages at the edges of a range (the tail one holds end - 1).
 */
#include "kvm_util.h"

#include <linux/falloc.h>
#include <stdlib.h>
#include <sys/mman.h>

#define SZ_2M		(2ULL << 20)
#define SLOT_GPA	SZ_2M
#define SLOT_SIZE	(3 * SZ_2M)
#define PRIVATE		KVM_MEMORY_ATTRIBUTE_PRIVATE

struct td {
	int vm, vcpu, gmem;
	void *shared;
};

static int set_attrs(int vm, unsigned long long gpa, unsigned long long size, int private)
{
	struct kvm_memory_attributes a = { gpa, size, private ? PRIVATE : 0, 0 };

	return kvm_ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &a);
}

static int pre_fault(int vcpu, unsigned long long gpa, unsigned long long size)
{
	struct kvm_pre_fault_memory r = { .gpa = gpa, .size = size };

	return kvm_ioctl(vcpu, KVM_PRE_FAULT_MEMORY, &r);
}

/* A finalized TD with SLOT_SIZE of guest_memfd at SLOT_GPA, all shared. */
static void td_create_finalized(struct td *t)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e;
	} c = { .hdr.nent = 1, .e = { .function = 1, .ecx = 1u << 21 } };
	struct kvm_tdx_cmd init = { .id = KVM_TDX_INIT_VCPU };
	struct kvm_create_guest_memfd g = { .size = SLOT_SIZE };
	struct kvm_userspace_memory_region2 r = {
		.flags = KVM_MEM_GUEST_MEMFD, .guest_phys_addr = SLOT_GPA, .memory_size = SLOT_SIZE,
	};

	t->vm = td_create(kvm);
	assert_int_equal(kvm_ioctl(t->vm, KVM_ENABLE_CAP, &cap), 0);
	t->vcpu = kvm_ioctl(t->vm, KVM_CREATE_VCPU, 0);
	assert_int_equal(kvm_ioctl(t->vcpu, KVM_SET_CPUID2, &c), 0);
	assert_int_equal(kvm_ioctl(t->vcpu, KVM_MEMORY_ENCRYPT_OP, &init), 0);
	t->gmem = kvm_ioctl(t->vm, KVM_CREATE_GUEST_MEMFD, &g);
	t->shared = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	r.userspace_addr = (__u64)(uintptr_t)t->shared;
	r.guest_memfd = (__u32)t->gmem;
	assert_int_equal(kvm_ioctl(t->vm, KVM_SET_USER_MEMORY_REGION2, &r), 0);
	tdx_vm_ioctl(t->vm, KVM_TDX_FINALIZE_VM, 0, NULL);
}

static void td_destroy(struct td *t)
{
	kvm_close(t->gmem);
	kvm_close(t->vcpu);
	kvm_close(t->vm);
	munmap(t->shared, SLOT_SIZE);
}

static void assert_mapped(struct softtdx_kvm_stats base, unsigned long long pages,
			  unsigned long long large)
{
	struct softtdx_kvm_stats now = kvm_stats();

	assert_int_equal(now.private_pages - base.private_pages, pages);
	assert_int_equal(now.large_mappings - base.large_mappings, large);
}

static void test_fault_2m_demote_promote(void **state)
{
	struct softtdx_kvm_stats base = kvm_stats();
	struct td t;

	(void)state;
	if (kvm_backend_is_kernel())
		skip();	/* the mapping counts are softtdx's */
	td_create_finalized(&t);
	assert_int_equal(set_attrs(t.vm, SLOT_GPA, SZ_2M, 1), 0);
	assert_int_equal(pre_fault(t.vcpu, SLOT_GPA, SZ_2M), 0);
	assert_mapped(base, 512, 1);
	/* One 4K page goes shared: the 2M page is demoted, the rest stays. */
	assert_int_equal(set_attrs(t.vm, SLOT_GPA + 0x5000, 0x1000, 0), 0);
	assert_mapped(base, 511, 0);
	/* Back to private and faulted in: the range is whole again. */
	assert_int_equal(set_attrs(t.vm, SLOT_GPA + 0x5000, 0x1000, 1), 0);
	assert_int_equal(pre_fault(t.vcpu, SLOT_GPA + 0x5000, 0x1000), 0);
	assert_mapped(base, 512, 1);
	/* All of it shared: one 2M removal. */
	assert_int_equal(set_attrs(t.vm, SLOT_GPA, SZ_2M, 0), 0);
	assert_mapped(base, 0, 0);
	td_destroy(&t);
	assert_int_equal(kvm_stats().free_pages, base.free_pages);
}

static void test_mixed_tracking(void **state)
{
	struct softtdx_kvm_stats base = kvm_stats();
	const unsigned long long hp1 = SLOT_GPA, hp2 = SLOT_GPA + SZ_2M;
	struct td t;

	(void)state;
	if (kvm_backend_is_kernel())
		skip();
	td_create_finalized(&t);
	/* hp1 wholly private; hp2 has one private page: mixed, so 4K only. */
	assert_int_equal(set_attrs(t.vm, hp1, SZ_2M + 0x1000, 1), 0);
	assert_int_equal(pre_fault(t.vcpu, hp2, 0x1000), 0);
	assert_mapped(base, 1, 0);
	assert_int_equal(pre_fault(t.vcpu, hp1, SZ_2M), 0);
	assert_mapped(base, 513, 1);
	/*
	 * hp1 goes shared: a range ending exactly where hp2 starts.  hp2 is
	 * not part of it (its tail page holds end - 1) and stays mixed.
	 */
	assert_int_equal(set_attrs(t.vm, hp1, SZ_2M, 0), 0);
	assert_mapped(base, 1, 0);
	assert_int_equal(set_attrs(t.vm, hp2 + 0x2000, 0x1000, 1), 0);
	assert_int_equal(pre_fault(t.vcpu, hp2 + 0x2000, 0x1000), 0);
	assert_mapped(base, 2, 0);
	/* Now hp2 wholly private: faulting the rest ends in one 2M page. */
	assert_int_equal(set_attrs(t.vm, hp2, SZ_2M, 1), 0);
	assert_int_equal(pre_fault(t.vcpu, hp2, SZ_2M), 0);
	assert_mapped(base, 512, 1);
	td_destroy(&t);
	assert_int_equal(kvm_stats().free_pages, base.free_pages);
}

/* A slot that is exactly one huge page, and ranges that end at its end. */
static void test_slot_edges(void **state)
{
	struct softtdx_kvm_stats base = kvm_stats();
	const unsigned long long last = SLOT_GPA + 2 * SZ_2M;
	struct td t;

	(void)state;
	if (kvm_backend_is_kernel())
		skip();
	td_create_finalized(&t);
	/* The range ends at the slot's end: no huge page past it is touched. */
	assert_int_equal(set_attrs(t.vm, last, SZ_2M, 1), 0);
	assert_int_equal(set_attrs(t.vm, last + SZ_2M, SZ_2M, 1), 0);	/* beyond every slot */
	assert_int_equal(pre_fault(t.vcpu, last, SZ_2M), 0);
	assert_mapped(base, 512, 1);
	/* A range straddling the slot's start: the huge page there is mixed. */
	assert_int_equal(set_attrs(t.vm, 0, SLOT_GPA + 0x1000, 1), 0);
	assert_int_equal(pre_fault(t.vcpu, SLOT_GPA, 0x1000), 0);
	assert_mapped(base, 513, 1);
	td_destroy(&t);
	assert_int_equal(kvm_stats().free_pages, base.free_pages);
}

static int punch(int fd, int mode, long long offset, long long len)
{
	return softtdx_fallocate(fd, mode, offset, len);
}

/*
 * fallocate(2) on a guest_memfd, as QEMU punches holes when memory turns
 * shared: the private mappings of the range go (a 2M one is split first)
 * and its pages go back to the host; KEEP_SIZE alone backs a range.  With
 * Linux's checks and errnos (vfs_fallocate, then kvm_gmem_fallocate).
 */
static void test_punch_hole(void **state)
{
	const int PH = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	struct softtdx_kvm_stats base = kvm_stats();
	unsigned long long free_before;
	struct td t;

	(void)state;
	if (kvm_backend_is_kernel())
		skip();	/* softtdx's entry point and counts */
	td_create_finalized(&t);
	assert_int_equal(set_attrs(t.vm, SLOT_GPA, SZ_2M, 1), 0);
	assert_int_equal(pre_fault(t.vcpu, SLOT_GPA, SZ_2M), 0);
	assert_mapped(base, 512, 1);
	/* 16 KiB at file offset 0x4000: the 2M mapping splits, 4 pages go */
	assert_int_equal(punch(t.gmem, PH, 0x4000, 0x4000), 0);
	assert_mapped(base, 508, 0);
	/* Past the end of the file is fine for a hole, not for backing */
	assert_int_equal(punch(t.gmem, PH, SLOT_SIZE - 0x1000, 0x10000), 0);
	TEST_ASSERT_ERRNO(punch(t.gmem, FALLOC_FL_KEEP_SIZE, SLOT_SIZE - 0x1000, 0x2000), EINVAL);
	free_before = kvm_stats().free_pages;
	assert_int_equal(punch(t.gmem, FALLOC_FL_KEEP_SIZE, 2 * SZ_2M, 0x3000), 0);
	assert_int_equal(kvm_stats().free_pages, free_before - 3);
	assert_int_equal(punch(t.gmem, PH, 2 * SZ_2M, 0x3000), 0);
	assert_int_equal(kvm_stats().free_pages, free_before);
	/* The checks, in Linux's order */
	TEST_ASSERT_ERRNO(punch(t.gmem, PH, -0x1000, 0x1000), EINVAL);
	TEST_ASSERT_ERRNO(punch(t.gmem, PH, 0, 0), EINVAL);
	TEST_ASSERT_ERRNO(punch(t.gmem, FALLOC_FL_PUNCH_HOLE, 0, 0x1000), EOPNOTSUPP);
	TEST_ASSERT_ERRNO(punch(t.gmem, 0, 0, 0x1000), EOPNOTSUPP);
	TEST_ASSERT_ERRNO(punch(t.gmem, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 0x1000),
			  EOPNOTSUPP);
	TEST_ASSERT_ERRNO(punch(t.gmem, PH | 0x4000, 0, 0x1000), EOPNOTSUPP);
	TEST_ASSERT_ERRNO(punch(t.gmem, PH, 0x800, 0x1000), EINVAL);
	TEST_ASSERT_ERRNO(punch(t.gmem, PH, 0, 0x800), EINVAL);
	TEST_ASSERT_ERRNO(punch(t.gmem, PH, 0x7FFFFFFFFFFFF000LL, 0x2000), EFBIG);
	TEST_ASSERT_ERRNO(punch(t.vm, PH, 0, 0x1000), ENODEV);
	TEST_ASSERT_ERRNO(punch(t.vcpu, PH, 0, 0x1000), ENODEV);
	TEST_ASSERT_ERRNO(punch(999, PH, 0, 0x1000), EBADF);
	td_destroy(&t);
	assert_int_equal(kvm_stats().free_pages, base.free_pages);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		KVM_TEST(test_fault_2m_demote_promote),
		KVM_TEST(test_mixed_tracking),
		KVM_TEST(test_slot_edges),
		KVM_TEST(test_punch_hole),
	};

	return kvm_run_tests(tests);
}
