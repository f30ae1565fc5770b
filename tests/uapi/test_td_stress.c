// SPDX-License-Identifier: MIT
/*
 * A TD's running vCPUs against everything a VMM does to the TD at the same
 * time: 2 and 4 vCPUs run tests/guests/stress.c (vCPU 0 converting a
 * window with MapGPA, the others doing port I/O, all taking MSIs) while
 * this thread converts and pre-faults private memory, posts MSIs, and
 * creates and deletes a guest_memfd memslot.  No entry may fail and no
 * exit may be one a VMM cannot answer; at teardown every page, HKID and
 * object is back.  SOFTTDX_STRESS_ITERATIONS sets the rounds (make stress
 * runs many more than make check).
 */
#include "kvm_util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

extern const unsigned char guest_stress[];
extern const unsigned long long guest_stress_size;

#define MAX_VCPUS	4
#define RAM_SIZE	TD_RAM_SIZE
#define IMAGE_GPA	TD_IMAGE_GPA
#define IMAGE_SIZE	TD_IMAGE_SIZE
#define CHURN_GPA	0xA00000ULL	/* in RAM, never touched by the guest */
#define CHURN_SIZE	(2ULL << 20)
#define EXTRA_SLOT	2
#define EXTRA_GPA	0x40000000ULL	/* a slot that comes and goes */
#define EXTRA_SIZE	(2ULL << 20)
#define INITIAL_RCX	0x7E57000ULL
#define STRESS_SECONDS	120	/* per 100 rounds: a stuck vCPU fails, never hangs */

struct stress {
	int td, gmem, nr, idle;		/* idle: a vCPU that only pre-faults */
	int vcpu[MAX_VCPUS];
	struct kvm_run *run[MAX_VCPUS];
	void *ram, *image, *extra;
	bool stop;			/* atomic */
	unsigned long failures;		/* atomic */
	char failure[256];		/* the first one */
	unsigned long long rounds[MAX_VCPUS], irqs[MAX_VCPUS], map_gpas;
	unsigned int accept_report[3], nr_accept_report;	/* vCPU 0's port 0x9C */
};

struct vcpu_arg {
	struct stress *s;
	int i;
};

static void failed(struct stress *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void failed(struct stress *s, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&s->failures, 1, __ATOMIC_ACQ_REL))
		return;
	va_start(ap, fmt);
	vsnprintf(s->failure, sizeof(s->failure), fmt, ap);
	va_end(ap);
}

static int new_vcpu(struct stress *s, unsigned long id)
{
	struct kvm_tdx_cmd init = { .id = KVM_TDX_INIT_VCPU, .data = INITIAL_RCX };
	int fd = kvm_ioctl(s->td, KVM_CREATE_VCPU, id);

	assert_true(fd >= 0);
	vcpu_set_cpuid_td(fd);
	assert_int_equal(kvm_ioctl(fd, KVM_MEMORY_ENCRYPT_OP, &init), 0);
	return fd;
}

/* A finalized TD of @nr vCPUs (and an idle one) running the stress guest. */
static void stress_create(struct stress *s, int nr)
{
	struct kvm_enable_cap hc = { .cap = KVM_CAP_EXIT_HYPERCALL, .args = { 1ULL << 12 } };
	struct kvm_create_guest_memfd g = { .size = RAM_SIZE + IMAGE_SIZE + EXTRA_SIZE };
	int prot = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS;

	memset(s, 0, sizeof(*s));
	s->nr = nr;
	s->td = td_create(kvm);
	vm_enable_split_irqchip(s->td);
	vm_enable_apic_bus_25mhz(s->td);
	assert_int_equal(kvm_ioctl(s->td, KVM_ENABLE_CAP, &hc), 0);
	for (int i = 0; i < nr; i++)
		s->vcpu[i] = new_vcpu(s, (unsigned long)i);
	s->idle = new_vcpu(s, MAX_VCPUS);
	s->gmem = kvm_ioctl(s->td, KVM_CREATE_GUEST_MEMFD, &g);
	assert_true(s->gmem >= 0);
	s->ram = mmap(NULL, RAM_SIZE, prot, flags, -1, 0);
	s->image = mmap(NULL, IMAGE_SIZE, prot, flags, -1, 0);
	s->extra = mmap(NULL, EXTRA_SIZE, prot, flags, -1, 0);
	assert_true(s->ram != MAP_FAILED && s->image != MAP_FAILED && s->extra != MAP_FAILED);
	td_load_and_finalize(s->td, s->vcpu[0], s->gmem, s->ram, s->image, guest_stress,
			     guest_stress_size);
	for (int i = 0; i < nr; i++) {
		s->run[i] = kvm_mmap(NULL, 3 * 4096, prot, MAP_SHARED, s->vcpu[i], 0);
		assert_true(s->run[i] != MAP_FAILED);
	}
}

static void stress_destroy(struct stress *s)
{
	for (int i = 0; i < s->nr; i++) {
		munmap(s->run[i], 3 * 4096);
		kvm_close(s->vcpu[i]);
	}
	kvm_close(s->idle);
	kvm_close(s->gmem);
	kvm_close(s->td);
	munmap(s->ram, RAM_SIZE);
	munmap(s->image, IMAGE_SIZE);
	munmap(s->extra, EXTRA_SIZE);
}

static int set_attrs(struct stress *s, unsigned long long gpa, unsigned long long size,
		     bool private)
{
	struct kvm_memory_attributes a = {
		gpa, size, private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0, 0,
	};

	return kvm_ioctl(s->td, KVM_SET_MEMORY_ATTRIBUTES, &a);
}

/* What QEMU does with an exit; false once the vCPU must stop. */
static bool answer(struct stress *s, int i)
{
	struct kvm_run *run = s->run[i];
	unsigned int v = 0, port;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		port = run->io.port;
		memcpy(&v, (char *)run + run->io.data_offset, run->io.size);
		if (port == 0x90u + (unsigned int)i)
			__atomic_store_n(&s->rounds[i], v, __ATOMIC_RELEASE);
		else if (port == 0x98u + (unsigned int)i)
			__atomic_store_n(&s->irqs[i], v, __ATOMIC_RELEASE);
		else if (port == 0x9C && s->nr_accept_report < 3)
			s->accept_report[s->nr_accept_report++] = v;
		else
			failed(s, "vCPU %d: port %#x value %#x (0xF4: the guest's check failed; "
			       "a failed ACCEPT: status %#x%08x at GPA %#x)", i, port, v,
			       s->accept_report[0], s->accept_report[1], s->accept_report[2]);
		return port != 0xF4;
	case KVM_EXIT_HYPERCALL:
		s->map_gpas++;
		run->hypercall.ret = set_attrs(s, run->hypercall.args[0],
					       run->hypercall.args[1] * 4096,
					       run->hypercall.args[2] & KVM_MAP_GPA_RANGE_ENCRYPTED) ?
				     1 : 0;
		return true;
	default:
		failed(s, "vCPU %d: exit reason %u (hardware reason %#llx)", i, run->exit_reason,
		       (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu_arg *a = arg;
	struct stress *s = a->s;
	struct kvm_run *run = s->run[a->i];

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		if (!kvm_ioctl(s->vcpu[a->i], KVM_RUN, 0)) {
			if (!answer(s, a->i))
				break;
		} else if (errno == EFAULT && run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
			struct kvm_memory_fault_exit *mf = kvm_run_memory_fault(run);

			set_attrs(s, mf->gpa, mf->size, mf->flags & KVM_MEMORY_EXIT_FLAG_PRIVATE);
		} else if (errno != EINTR) {
			failed(s, "vCPU %d: KVM_RUN: %s", a->i, strerrorname_np(errno));
			break;
		}
	}
	return NULL;
}

static void pre_fault(struct stress *s, unsigned long long gpa, unsigned long long size)
{
	struct kvm_pre_fault_memory pf = { .gpa = gpa, .size = size };

	assert_int_equal(kvm_ioctl(s->idle, KVM_PRE_FAULT_MEMORY, &pf), 0);
	assert_int_equal(pf.size, 0);
}

/* One round of what the VMM does beside the running vCPUs. */
static void churn(struct stress *s, int round)
{
	switch (round % 4) {
	case 0:		/* a 2 MiB range faulted in private, then converted away */
		assert_int_equal(set_attrs(s, CHURN_GPA, CHURN_SIZE, true), 0);
		pre_fault(s, CHURN_GPA, CHURN_SIZE);
		assert_int_equal(set_attrs(s, CHURN_GPA, CHURN_SIZE, false), 0);
		break;
	case 1:		/* one page at a time, splitting the 2 MiB range */
		assert_int_equal(set_attrs(s, CHURN_GPA, CHURN_SIZE, true), 0);
		pre_fault(s, CHURN_GPA + (unsigned long long)(round % 512) * 4096, 4096);
		assert_int_equal(set_attrs(s, CHURN_GPA + 0x1000, 0x1000, false), 0);
		break;
	case 2:		/* a memslot with private pages deleted under the vCPUs */
		vm_set_gmem_region(s->td, EXTRA_SLOT, EXTRA_GPA, EXTRA_SIZE, s->extra, s->gmem,
				   RAM_SIZE + IMAGE_SIZE);
		assert_int_equal(set_attrs(s, EXTRA_GPA, EXTRA_SIZE, true), 0);
		pre_fault(s, EXTRA_GPA, 64 * 1024);
		vm_set_gmem_region(s->td, EXTRA_SLOT, EXTRA_GPA, 0, NULL, s->gmem, 0);
		assert_int_equal(set_attrs(s, EXTRA_GPA, EXTRA_SIZE, false), 0);
		break;
	default:	/* an MSI for each vCPU */
		for (int i = 0; i < s->nr; i++)
			assert_int_equal(vm_signal_msi(s->td, (unsigned int)i, 0x40 + (round & 0x3F)),
					 1);
		break;
	}
}

static bool failed_yet(struct stress *s)
{
	return __atomic_load_n(&s->failures, __ATOMIC_ACQUIRE);
}

/* Every vCPU did @n rounds and took an MSI. */
static bool all_ran(struct stress *s, int n)
{
	for (int i = 0; i < s->nr; i++)
		if (__atomic_load_n(&s->rounds[i], __ATOMIC_ACQUIRE) < (unsigned long long)n ||
		    !__atomic_load_n(&s->irqs[i], __ATOMIC_ACQUIRE))
			return false;
	return true;
}

static int iterations(void)
{
	const char *e = getenv("SOFTTDX_STRESS_ITERATIONS");

	return e && atoi(e) > 0 ? atoi(e) : 100;
}

static void stress(int nr)
{
	struct softtdx_kvm_stats start = kvm_stats();
	struct vcpu_arg args[MAX_VCPUS];
	pthread_t thr[MAX_VCPUS];
	struct stress s;
	int n = iterations(), round;
	bool ran = false;
	time_t deadline;

	stress_create(&s, nr);
	for (int i = 0; i < nr; i++) {
		args[i] = (struct vcpu_arg){ &s, i };
		assert_int_equal(pthread_create(&thr[i], NULL, vcpu_thread, &args[i]), 0);
	}
	/*
	 * Both sides go on until each has done @n rounds (the guest's are its
	 * conversions), or for at most STRESS_SECONDS per 100 rounds.
	 */
	deadline = time(NULL) + STRESS_SECONDS * (n + 99) / 100;
	for (round = 0; (round < n || !(ran = all_ran(&s, n))) && !failed_yet(&s) &&
			time(NULL) < deadline; round++)
		churn(&s, round);
	__atomic_store_n(&s.stop, true, __ATOMIC_RELEASE);
	for (int i = 0; i < nr; i++) {
		__atomic_store_n(&s.run[i]->immediate_exit, 1, __ATOMIC_RELEASE);
		pthread_join(thr[i], NULL);
	}
	print_message("%d vCPUs: %d VMM rounds, vCPU 0 converted its window %llu times (%llu "
		      "MapGPA exits), %lu failures\n", nr, round, s.rounds[0], s.map_gpas, s.failures);
	for (int i = 0; i < nr; i++)
		print_message("vCPU %d: %llu rounds, %llu interrupts\n", i, s.rounds[i], s.irqs[i]);
	if (s.failures)
		fail_msg("%lu failures; the first: %s", s.failures, s.failure);
	if (!ran)
		fail_msg("not every vCPU did %d rounds and took an MSI in time", n);
	stress_destroy(&s);
	assert_int_equal(kvm_stats().private_pages, start.private_pages);
	assert_int_equal(kvm_stats().hkids_in_use, start.hkids_in_use);
	assert_int_equal(kvm_stats().objects, start.objects);
	assert_int_equal(kvm_stats().free_pages, start.free_pages);
}

static void test_two_vcpus(void **state)
{
	(void)state;
	stress(2);
}

static void test_four_vcpus(void **state)
{
	(void)state;
	stress(4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		KVM_TEST(test_two_vcpus),
		KVM_TEST(test_four_vcpus),
	};

	return kvm_run_tests(tests);
}
