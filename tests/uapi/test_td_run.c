// SPDX-License-Identifier: MIT
/*
 * KVM_RUN on TD vCPUs, through ioctls only, as a VMM drives it: the guest
 * images from tests/guests/ are loaded with KVM_TDX_INIT_MEM_REGION below
 * 4 GiB, the TD is finalized, and every exit the GHCI calls produce is
 * answered here (KVM_EXIT_IO, _MMIO, _HYPERCALL for MapGPA, _TDX,
 * _MEMORY_FAULT, _SYSTEM_EVENT, _SHUTDOWN), with KVM's own answers
 * (CPUID, MSRs, private faults) checked from inside the guest.
 */
#include "kvm_util.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

extern const unsigned char guest_hello[], guest_ghci[], guest_triple[], guest_halt[],
	guest_spin[], guest_smp[], guest_irq[], guest_timer[], guest_mapgpa[], guest_nmi[],
	guest_irqflood[];
extern const unsigned long long guest_hello_size, guest_ghci_size, guest_triple_size,
	guest_halt_size, guest_spin_size, guest_smp_size, guest_irq_size, guest_timer_size,
	guest_mapgpa_size, guest_nmi_size, guest_irqflood_size;

#define IMAGE_GPA	TD_IMAGE_GPA
#define IMAGE_SIZE	TD_IMAGE_SIZE
#define RAM_SIZE	TD_RAM_SIZE
#define INITIAL_RCX	0x7E57000ULL
#define SHARED_BIT	(1ULL << 47)

#define TDVMCALL_SUCCESS		0ULL
#define TDVMCALL_INVALID_OPERAND	0x8000000000000000ULL
#define TDVMCALL_ALIGN_ERROR		0x8000000000000002ULL
#define TDVMCALL_SUBFUNC_UNSUPPORTED	0x8000000000000003ULL

struct td_run {
	int td, vcpu, gmem;
	struct kvm_run *run;
	int ap;				/* a second vCPU, or -1 */
	struct kvm_run *ap_run;
	void *ram, *image;
	/* What the VMM saw */
	unsigned long long reports[64];	/* ports 0x80 (low half) and 0x84 (high) */
	unsigned int nr_reports, report_low;
	char console[128];
	unsigned int console_len;
	int exit_code;
	unsigned int map_gpa_exits, memory_faults, mmio_exits;
	unsigned long long quote_gpa, notify_vector;
};

/*
 * A finalized TD: 16 MiB of RAM at 0 and @image at the top of 4 GiB, all
 * private; a second vCPU too with @ap.
 */
static void td_run_create_smp(struct td_run *t, const unsigned char *image,
			      unsigned long long size, bool ap)
{
	struct kvm_enable_cap hc = { .cap = KVM_CAP_EXIT_HYPERCALL, .args = { 1ULL << 12 } };
	struct kvm_create_guest_memfd g = { .size = RAM_SIZE + IMAGE_SIZE };
	struct kvm_tdx_cmd init = { .id = KVM_TDX_INIT_VCPU, .data = INITIAL_RCX };

	memset(t, 0, sizeof(*t));
	t->exit_code = -1;
	t->td = td_create(kvm);
	vm_enable_split_irqchip(t->td);
	vm_enable_apic_bus_25mhz(t->td);
	assert_int_equal(kvm_ioctl(t->td, KVM_ENABLE_CAP, &hc), 0);
	t->vcpu = kvm_ioctl(t->td, KVM_CREATE_VCPU, 0);
	assert_true(t->vcpu >= 0);
	vcpu_set_cpuid_td(t->vcpu);
	assert_int_equal(kvm_ioctl(t->vcpu, KVM_MEMORY_ENCRYPT_OP, &init), 0);
	t->ap = -1;
	if (ap) {
		t->ap = kvm_ioctl(t->td, KVM_CREATE_VCPU, 1);
		assert_true(t->ap >= 0);
		vcpu_set_cpuid_td(t->ap);
		assert_int_equal(kvm_ioctl(t->ap, KVM_MEMORY_ENCRYPT_OP, &init), 0);
		t->ap_run = kvm_mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, t->ap, 0);
		assert_true(t->ap_run != MAP_FAILED);
	}
	t->gmem = kvm_ioctl(t->td, KVM_CREATE_GUEST_MEMFD, &g);
	assert_true(t->gmem >= 0);
	t->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t->image = mmap(NULL, IMAGE_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(t->ram != MAP_FAILED && t->image != MAP_FAILED);
	td_load_and_finalize(t->td, t->vcpu, t->gmem, t->ram, t->image, image, size);
	t->run = kvm_mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, t->vcpu, 0);
	assert_true(t->run != MAP_FAILED);
}

static void td_run_create(struct td_run *t, const unsigned char *image, unsigned long long size)
{
	td_run_create_smp(t, image, size, false);
}

static void td_run_destroy(struct td_run *t)
{
	if (t->ap >= 0) {
		munmap(t->ap_run, 3 * 4096);
		kvm_close(t->ap);
	}
	munmap(t->run, 3 * 4096);
	kvm_close(t->gmem);
	kvm_close(t->vcpu);
	kvm_close(t->td);
	munmap(t->ram, RAM_SIZE);
	munmap(t->image, IMAGE_SIZE);
}

static void handle_io(struct td_run *t)
{
	struct kvm_run *run = t->run;
	unsigned char *data = (unsigned char *)run + run->io.data_offset;
	unsigned int v = 0;

	assert_int_equal(run->io.count, 1);
	assert_int_equal(run->io.data_offset, 4096);
	if (run->io.direction == KVM_EXIT_IO_IN) {
		assert_int_equal(run->io.port, 0x71);
		data[0] = 0x5A;
		return;
	}
	memcpy(&v, data, run->io.size);
	if (run->io.port == 0x80)
		t->report_low = v;
	else if (run->io.port == 0x84 && t->nr_reports < 64)
		t->reports[t->nr_reports++] = (unsigned long long)v << 32 | t->report_low;
	else if (run->io.port == 0x3F8 && t->console_len < sizeof(t->console) - 1)
		t->console[__atomic_fetch_add(&t->console_len, 1, __ATOMIC_RELEASE)] = (char)v;
	else if (run->io.port == 0xF4)
		t->exit_code = (int)v;
}

static void handle_mmio(struct td_run *t)
{
	struct kvm_run *run = t->run;
	unsigned long long v = 0;

	t->mmio_exits++;
	if (run->mmio.is_write) {
		memcpy(&v, run->mmio.data, run->mmio.len);
		assert_int_equal(run->mmio.phys_addr, 0xFED00008);
		assert_int_equal(run->mmio.len, 8);
		assert_int_equal(v, 0x1122334455667788ULL);
	} else {
		assert_int_equal(run->mmio.len, 4);
		v = run->mmio.phys_addr == 0xFEC00000 ? 0x12345678 : 0xCAFEF00D;
		if (v == 0xCAFEF00D)
			assert_int_equal(run->mmio.phys_addr, 0xFED00000);
		memcpy(run->mmio.data, &v, 4);
	}
}

/* MapGPA in chunks of at most 2 MiB: the attributes follow; [0xC00000, ..) is refused. */
static void handle_map_gpa(struct td_run *t)
{
	struct kvm_run *run = t->run;
	unsigned long long gpa = run->hypercall.args[0], pages = run->hypercall.args[1];
	bool private = run->hypercall.args[2] & KVM_MAP_GPA_RANGE_ENCRYPTED;

	assert_int_equal(run->hypercall.nr, KVM_HC_MAP_GPA_RANGE);
	assert_true(pages && pages <= 512);
	t->map_gpa_exits++;
	if (gpa == 0xC00000) {
		run->hypercall.ret = 1;
		return;
	}
	vm_set_memory_attributes(t->td, gpa, pages * 4096, private);
	run->hypercall.ret = 0;
}

static void handle_tdx(struct td_run *t)
{
	struct kvm_tdx_exit *x = kvm_run_tdx(t->run);

	switch (x->nr) {
	case 0x10000:	/* GetTdVmCallInfo leaf 1 */
		assert_int_equal(x->get_tdvmcall_info.leaf, 1);
		x->get_tdvmcall_info.r11 = 3;
		x->get_tdvmcall_info.ret = TDVMCALL_SUCCESS;
		break;
	case 0x10002:	/* GetQuote */
		assert_int_equal(x->get_quote.ret, TDVMCALL_SUBFUNC_UNSUPPORTED);
		t->quote_gpa = x->get_quote.gpa;
		assert_int_equal(x->get_quote.size, 0x1000);
		x->get_quote.ret = TDVMCALL_SUCCESS;
		break;
	case 0x10004:	/* SetupEventNotifyInterrupt */
		t->notify_vector = x->setup_event_notify.vector;
		x->setup_event_notify.ret = TDVMCALL_SUCCESS;
		break;
	default:
		fail_msg("KVM_EXIT_TDX %llu", (unsigned long long)x->nr);
	}
}

/* Runs until an exit this VMM does not answer; returns KVM_RUN's result. */
static int run_until_stop(struct td_run *t)
{
	for (;;) {
		int r = kvm_ioctl(t->vcpu, KVM_RUN, 0);

		if (r && t->run->exit_reason == KVM_EXIT_MEMORY_FAULT && errno == EFAULT) {
			struct kvm_memory_fault_exit *mf = kvm_run_memory_fault(t->run);

			assert_int_equal(mf->flags, KVM_MEMORY_EXIT_FLAG_PRIVATE);
			t->memory_faults++;
			vm_set_memory_attributes(t->td, mf->gpa, mf->size, true);
			continue;
		}
		if (r)
			return r;
		switch (t->run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(t);
			if (t->exit_code >= 0)
				return 0;
			break;
		case KVM_EXIT_MMIO:
			handle_mmio(t);
			break;
		case KVM_EXIT_HYPERCALL:
			handle_map_gpa(t);
			break;
		case KVM_EXIT_TDX:
			handle_tdx(t);
			break;
		default:
			return 0;
		}
	}
}

static void test_hello(void **state)
{
	struct td_run t;

	(void)state;
	td_run_create(&t, guest_hello, guest_hello_size);
	assert_int_equal(run_until_stop(&t), 0);
	assert_string_equal(t.console, "hello from a TD\n");
	assert_int_equal(t.exit_code, 0x21);
	td_run_destroy(&t);
}

static int ioeventfd(int vm, unsigned long long addr, unsigned int len, int fd,
		     unsigned int flags, unsigned long long datamatch)
{
	struct kvm_ioeventfd a = { .datamatch = datamatch, .addr = addr, .len = len, .fd = fd,
				   .flags = flags };

	return kvm_ioctl(vm, KVM_IOEVENTFD, &a);
}

static unsigned long long eventfd_count(int fd)
{
	unsigned long long n = 0;

	return read(fd, &n, sizeof(n)) == sizeof(n) ? n : 0;
}

/*
 * KVM_IOEVENTFD: the guest's writes of 'l' to COM1's THR signal the
 * eventfd instead of exiting (hello's console loses them); the checks and
 * errnos of virt/kvm/eventfd.c.
 */
static void test_ioeventfd(void **state)
{
	const unsigned int pio = KVM_IOEVENTFD_FLAG_PIO, dm = KVM_IOEVENTFD_FLAG_DATAMATCH;
	int efd = eventfd(0, EFD_NONBLOCK), other = eventfd(0, EFD_NONBLOCK), pipefd[2];
	struct td_run t;

	(void)state;
	assert_int_equal(pipe(pipefd), 0);
	td_run_create(&t, guest_hello, guest_hello_size);
	TEST_ASSERT_ERRNO(ioeventfd(t.td, 0x3F8, 1, efd, 1u << 4, 0), EINVAL);
	TEST_ASSERT_ERRNO(ioeventfd(t.td, 0x3F8, 3, efd, pio, 0), EINVAL);
	TEST_ASSERT_ERRNO(ioeventfd(t.td, 0x3F8, 0, efd, pio | dm, 'l'), EINVAL);
	TEST_ASSERT_ERRNO(ioeventfd(t.td, ~0ULL, 8, efd, 0, 0), EINVAL);
	TEST_ASSERT_ERRNO(ioeventfd(t.td, 0x3F8, 1, 999, pio, 0), EBADF);
	TEST_ASSERT_ERRNO(ioeventfd(t.td, 0x3F8, 1, pipefd[0], pio, 0), EINVAL);
	TEST_ASSERT_ERRNO(ioeventfd(t.td, 0x3F8, 1, efd, pio | KVM_IOEVENTFD_FLAG_DEASSIGN, 0),
			  ENOENT);
	assert_int_equal(ioeventfd(t.td, 0x3F8, 1, efd, pio | dm, 'l'), 0);
	TEST_ASSERT_ERRNO(ioeventfd(t.td, 0x3F8, 1, other, pio, 0), EEXIST);	/* any value */
	/* Any length on MMIO, then gone again; the MMIO bus is apart from ports. */
	assert_int_equal(ioeventfd(t.td, 0x3F8, 0, other, 0, 0), 0);
	assert_int_equal(ioeventfd(t.td, 0x3F8, 0, other, KVM_IOEVENTFD_FLAG_DEASSIGN, 0), 0);
	assert_int_equal(run_until_stop(&t), 0);
	assert_string_equal(t.console, "heo from a TD\n");
	assert_int_equal(eventfd_count(efd), 2);
	assert_int_equal(eventfd_count(other), 0);
	assert_int_equal(ioeventfd(t.td, 0x3F8, 1, efd, pio | dm | KVM_IOEVENTFD_FLAG_DEASSIGN, 'l'),
			 0);
	td_run_destroy(&t);
	close(pipefd[0]);
	close(pipefd[1]);
	close(other);
	close(efd);
}

static void test_ghci(void **state)
{
	const unsigned long long *rep;
	unsigned long long apic_base;
	struct td_run t;
	__u64 *data;

	(void)state;
	td_run_create(&t, guest_ghci, guest_ghci_size);
	{
		/* 2M of PENDING memory before the guest asks: it accepts 4K of it. */
		struct kvm_pre_fault_memory pf = { .gpa = 0x400000, .size = 2ULL << 20 };

		assert_int_equal(kvm_ioctl(t.vcpu, KVM_PRE_FAULT_MEMORY, &pf), 0);
	}
	apic_base = vcpu_get_msr(t.vcpu, 0x1b);
	((volatile unsigned int *)t.ram)[0x800004 / 4] = 0x600DF00D;
	assert_int_equal(run_until_stop(&t), 0);
	assert_int_equal(t.run->exit_reason, KVM_EXIT_SYSTEM_EVENT);
	assert_int_equal(t.run->system_event.type, KVM_SYSTEM_EVENT_TDX_FATAL);
	assert_int_equal(t.run->system_event.ndata, 16);
	data = t.run->system_event.data;
	assert_int_equal(data[0], 77);		/* TDH.VP.ENTER's TDCALL exit */
	assert_int_equal(data[11], 0x10003);	/* R11: ReportFatalError */
	assert_int_equal(data[12], 0x1234);	/* R12: the error code */

	rep = t.reports;
	assert_int_equal(t.nr_reports, 49);
	assert_int_equal(rep[0], INITIAL_RCX);
	assert_int_equal(rep[1], 0x5A);				/* IN from the VMM */
	assert_int_equal(rep[2], TDVMCALL_INVALID_OPERAND);	/* size 3 */
	assert_int_equal(rep[3], TDVMCALL_SUCCESS);		/* CPUID ... */
	assert_int_equal(rep[4], 0x4b4d564b);			/* ... from KVM_SET_CPUID2 */
	assert_int_equal(rep[5], TDVMCALL_SUCCESS);
	assert_int_equal(rep[6], apic_base);			/* RDMSR APIC base */
	assert_int_equal(rep[7], TDVMCALL_INVALID_OPERAND);	/* DEBUGCTL: the module's */
	assert_int_equal(rep[8], TDVMCALL_SUCCESS);		/* TSC_DEADLINE */
	assert_int_equal(rep[9], TDVMCALL_INVALID_OPERAND);	/* APIC base is fixed */
	assert_int_equal(rep[10], TDVMCALL_SUCCESS);		/* MMIO read */
	assert_int_equal(rep[11], 0xCAFEF00D);
	assert_int_equal(rep[12], TDVMCALL_SUCCESS);		/* MMIO write */
	assert_int_equal(rep[13], TDVMCALL_INVALID_OPERAND);	/* private GPA */
	assert_int_equal(rep[14], TDVMCALL_INVALID_OPERAND);	/* size 3 */
	assert_int_equal(rep[15], TDVMCALL_SUCCESS);		/* GetTdVmCallInfo(0) */
	assert_int_equal(rep[16], TDVMCALL_SUCCESS);		/* (1) from the VMM */
	assert_int_equal(rep[17], 3);
	assert_int_equal(rep[18], TDVMCALL_INVALID_OPERAND);	/* (2) */
	assert_int_equal(rep[19], 0);				/* ACCEPT 4K */
	assert_int_equal(rep[20], 0xA5A5);
	assert_int_equal(rep[21], 0);				/* 4K of a split 2M */
	assert_int_equal(rep[22], 0);
	assert_int_equal(rep[23], 0);				/* ACCEPT 2M */
	assert_int_equal(rep[24], 0);
	assert_int_equal(rep[25], TDVMCALL_SUCCESS);		/* MapGPA, 2 chunks */
	assert_int_equal(rep[26], TDVMCALL_ALIGN_ERROR);
	assert_int_equal(rep[27], SHARED_BIT | 0x800800);
	assert_int_equal(rep[28], TDVMCALL_INVALID_OPERAND);	/* across the shared bit */
	assert_int_equal(rep[29], TDVMCALL_INVALID_OPERAND);	/* the VMM said no */
	assert_int_equal(rep[30], SHARED_BIT | 0xC00000);
	assert_int_equal(t.map_gpa_exits, 3);
	assert_int_equal(rep[31], 0);				/* ACCEPT after MEMORY_FAULT */
	assert_int_equal(t.memory_faults, 1);
	assert_int_equal(rep[32], TDVMCALL_SUCCESS);		/* GetQuote */
	assert_int_equal(t.quote_gpa, 0x3000000);
	assert_int_equal(rep[33], TDVMCALL_INVALID_OPERAND);	/* private buffer */
	assert_int_equal(rep[34], TDVMCALL_SUCCESS);		/* SetupEventNotify */
	assert_int_equal(t.notify_vector, 0x30);
	assert_int_equal(rep[35], TDVMCALL_INVALID_OPERAND);	/* vector 5 */
	assert_int_equal(rep[36], 0x600DF00D);			/* shared memory */
	assert_int_equal(((volatile unsigned int *)t.ram)[0x800000 / 4], 0xFEEDBEEF);
	assert_int_equal(rep[37], 0x12345678);			/* MMIO by #VE */
	assert_int_equal(rep[38], 48);
	assert_int_equal(rep[39], SHARED_BIT | 0xFEC00000);
	assert_int_equal(t.mmio_exits, 3);
	assert_int_equal(rep[40], TDVMCALL_SUBFUNC_UNSUPPORTED);
	assert_int_equal(rep[41], (unsigned long long)-1000);	/* -KVM_ENOSYS */
	/* IN/OUT instructions: #VE, exit reason 30, VMX I/O exit qualification */
	assert_int_equal(rep[42], 0x115A);			/* inb $0x71: AL only */
	assert_int_equal(rep[43], 0x71ULL << 16 | 0x40 | 0x8);	/* port, imm, IN, size 1 */
	assert_int_equal(rep[44], 2);				/* length; no insn info */
	assert_int_equal(rep[45], 0xC0FFEE);			/* outl %eax,(%dx) to 0x80 */
	assert_int_equal(rep[46], 0x84ULL << 16 | 0x40 | 3);	/* outl $0x84: size 4 */
	assert_int_equal(rep[47], 0x80ULL << 16 | 0x20 | 0x10);	/* rep outsb: REP, string */
	assert_int_equal(rep[48], (2ULL << 7 | 3ULL << 15) << 32 | 2); /* 64-bit, DS; len 2 */
	td_run_destroy(&t);
}

/* A triple fault shuts the vCPU down; it never enters again. */
static void test_triple_fault(void **state)
{
	struct td_run t;

	(void)state;
	td_run_create(&t, guest_triple, guest_triple_size);
	assert_int_equal(run_until_stop(&t), 0);
	assert_string_equal(t.console, "about to triple-fault\n");
	assert_int_equal(t.run->exit_reason, KVM_EXIT_SHUTDOWN);
	assert_int_equal(kvm_ioctl(t.vcpu, KVM_RUN, 0), 0);
	assert_int_equal(t.run->exit_reason, KVM_EXIT_FAIL_ENTRY);
	td_run_destroy(&t);
}

/*
 * Until the halt guest has printed its line (at most 10 s), then 30 ms
 * for the HLT right after it: however slow the machine, the vCPU is halted.
 */
static void wait_for_halt(struct td_run *t)
{
	for (int i = 0; i < 10000 && __atomic_load_n(&t->console_len, __ATOMIC_ACQUIRE) <
					 sizeof("halting\n") - 1; i++)
		usleep(1000);
	usleep(30000);
}

static void *set_immediate_exit(void *arg)
{
	struct td_run *t = arg;

	wait_for_halt(t);
	__atomic_store_n(&t->run->immediate_exit, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* A halted TD vCPU sleeps in KVM_RUN until immediate_exit; it stays halted. */
static int terminate_errno;

/* KVM_TDX_TERMINATE_VM while the vCPU sleeps inside KVM_RUN, then immediate_exit. */
static void *terminate_while_running(void *arg)
{
	struct td_run *t = arg;
	struct kvm_tdx_cmd term = { .id = KVM_TDX_TERMINATE_VM };

	wait_for_halt(t);
	terminate_errno = kvm_ioctl(t->td, KVM_MEMORY_ENCRYPT_OP, &term) ? errno : 0;
	__atomic_store_n(&t->run->immediate_exit, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * KVM_TDX_TERMINATE_VM (Linux 6.17): EBUSY while a vCPU is inside an
 * ioctl; then the VM is dead (every ioctl EIO) and its HKID released, and
 * closing it (the guest_memfd first) gives back every page and the HKID.
 */
static void test_terminate_vm(void **state)
{
	struct softtdx_kvm_stats start = kvm_stats(), end;
	struct kvm_tdx_cmd term = { .id = KVM_TDX_TERMINATE_VM };
	struct td_run t;
	pthread_t thr;

	(void)state;
	td_run_create(&t, guest_halt, guest_halt_size);
	assert_int_equal(pthread_create(&thr, NULL, terminate_while_running, &t), 0);
	TEST_ASSERT_ERRNO(run_until_stop(&t), EINTR);
	pthread_join(thr, NULL);
	assert_int_equal(terminate_errno, EBUSY);
	assert_true(kvm_stats().private_pages > start.private_pages);
	assert_int_equal(kvm_ioctl(t.td, KVM_MEMORY_ENCRYPT_OP, &term), 0);
	TEST_ASSERT_ERRNO(kvm_ioctl(t.td, KVM_MEMORY_ENCRYPT_OP, &term), EIO);
	TEST_ASSERT_ERRNO(kvm_ioctl(t.vcpu, KVM_RUN, 0), EIO);
	TEST_ASSERT_ERRNO(kvm_ioctl(t.td, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD), EIO);
	td_run_destroy(&t);
	end = kvm_stats();
	assert_int_equal(end.private_pages, start.private_pages);
	assert_int_equal(end.hkids_in_use, start.hkids_in_use);
	assert_int_equal(end.free_pages, start.free_pages);
}

static void test_halt_and_immediate_exit(void **state)
{
	struct kvm_mp_state mp;
	struct td_run t;
	pthread_t thr;

	(void)state;
	td_run_create(&t, guest_halt, guest_halt_size);
	assert_int_equal(pthread_create(&thr, NULL, set_immediate_exit, &t), 0);
	TEST_ASSERT_ERRNO(run_until_stop(&t), EINTR);
	pthread_join(thr, NULL);
	assert_string_equal(t.console, "halting\n");
	assert_int_equal(t.run->exit_reason, KVM_EXIT_INTR);
	assert_int_equal(kvm_ioctl(t.vcpu, KVM_GET_MP_STATE, &mp), 0);
	assert_int_equal(mp.mp_state, KVM_MP_STATE_HALTED);
	TEST_ASSERT_ERRNO(kvm_ioctl(t.vcpu, KVM_RUN, 0), EINTR);
	assert_int_equal(t.exit_code, -1);
	td_run_destroy(&t);
}

static volatile sig_atomic_t sigusr1_taken;

static void on_sigusr1(int sig)
{
	(void)sig;
	sigusr1_taken++;
}

struct kick {
	pthread_t target;
	int sig;
	struct td_run *t;
};

/* @sig to the halted vCPU's thread; immediate_exit 270 ms later, so the test never hangs. */
static void *signal_then_exit(void *arg)
{
	struct kick *k = arg;

	wait_for_halt(k->t);
	pthread_kill(k->target, k->sig);
	usleep(270000);
	__atomic_store_n(&k->t->run->immediate_exit, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A signal the vCPU's thread takes ends KVM_RUN with EINTR (KVM_EXIT_INTR),
 * and its handler runs as KVM_RUN returns; one the thread ignores does not
 * end it.
 */
static void test_halt_and_signal(void **state)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 }, old;
	struct kick k;
	struct td_run t;
	pthread_t thr;

	(void)state;
	td_run_create(&t, guest_halt, guest_halt_size);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	sigusr1_taken = 0;
	k = (struct kick){ pthread_self(), SIGUSR1, &t };
	assert_int_equal(pthread_create(&thr, NULL, signal_then_exit, &k), 0);
	TEST_ASSERT_ERRNO(run_until_stop(&t), EINTR);
	assert_int_equal(t.run->exit_reason, KVM_EXIT_INTR);
	assert_int_equal(sigusr1_taken, 1);
	/* the signal, not the fallback */
	assert_int_equal(__atomic_load_n(&t.run->immediate_exit, __ATOMIC_ACQUIRE), 0);
	pthread_join(thr, NULL);
	t.run->immediate_exit = 0;

	k.sig = SIGCHLD;				/* ignored by default */
	assert_int_equal(pthread_create(&thr, NULL, signal_then_exit, &k), 0);
	TEST_ASSERT_ERRNO(kvm_ioctl(t.vcpu, KVM_RUN, 0), EINTR);
	assert_int_equal(__atomic_load_n(&t.run->immediate_exit, __ATOMIC_ACQUIRE), 1);
	pthread_join(thr, NULL);
	assert_string_equal(t.console, "halting\n");
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
	td_run_destroy(&t);
}

static void *run_vcpu(void *arg)
{
	struct td_run *t = arg;
	long r = kvm_ioctl(t->vcpu, KVM_RUN, 0);

	return (void *)(r ? (long)errno : 0L);
}

/*
 * A conversion under a running vCPU: the private page goes (BLOCK, TRACK,
 * the vCPU kicked out of its epoch, REMOVE), and the guest's next touch of
 * it is a memory-fault exit, since the GFN is shared now.
 */
static void test_convert_under_running_vcpu(void **state)
{
	unsigned long long before;
	struct td_run t;
	pthread_t thr;
	void *ret;

	(void)state;
	td_run_create(&t, guest_spin, guest_spin_size);
	assert_int_equal(kvm_ioctl(t.vcpu, KVM_RUN, 0), 0);	/* the report: accepted */
	assert_int_equal(t.run->exit_reason, KVM_EXIT_IO);
	assert_int_equal(((unsigned char *)t.run)[t.run->io.data_offset], 0);
	before = kvm_stats().private_pages;
	assert_int_equal(pthread_create(&thr, NULL, run_vcpu, &t), 0);
	usleep(20000);					/* the guest spins on the page */
	vm_set_memory_attributes(t.td, 0x100000, 4096, false);
	assert_int_equal(kvm_stats().private_pages, before - 1);
	pthread_join(thr, &ret);
	assert_int_equal((long)ret, EFAULT);
	assert_int_equal(t.run->exit_reason, KVM_EXIT_MEMORY_FAULT);
	assert_int_equal(kvm_run_memory_fault(t.run)->gpa, 0x100000);
	assert_int_equal(kvm_run_memory_fault(t.run)->flags, KVM_MEMORY_EXIT_FLAG_PRIVATE);
	td_run_destroy(&t);
}

/*
 * Entries that lose a race for the TD epoch or the S-EPT to a zap (BLOCK,
 * TRACK, REMOVE) are entered again, as Linux's TDX fast path does, never
 * a failed entry: 2 MiB pre-faulted through the other vCPU and converted
 * to shared, and an MSI posted, 200 times, while the first vCPU spins in
 * the guest with interrupts off.
 */
static void test_entry_contention(void **state)
{
	struct kvm_pre_fault_memory pf;
	unsigned long long before;
	struct td_run t;
	pthread_t thr;
	void *ret;

	(void)state;
	td_run_create_smp(&t, guest_spin, guest_spin_size, true);
	assert_int_equal(kvm_ioctl(t.vcpu, KVM_RUN, 0), 0);	/* the report: accepted */
	before = kvm_stats().private_pages;
	assert_int_equal(pthread_create(&thr, NULL, run_vcpu, &t), 0);
	for (int i = 0; i < 200; i++) {
		vm_set_memory_attributes(t.td, 0x600000, 2ULL << 20, true);
		pf = (struct kvm_pre_fault_memory){ .gpa = 0x600000, .size = 2ULL << 20 };
		assert_int_equal(kvm_ioctl(t.ap, KVM_PRE_FAULT_MEMORY, &pf), 0);
		assert_int_equal(kvm_stats().private_pages, before + 512);
		vm_set_memory_attributes(t.td, 0x600000, 2ULL << 20, false);
		/* An interrupt the spinning guest never takes: one more exit and entry. */
		assert_int_equal(vm_signal_msi(t.td, 0, 0x40), 1);
	}
	__atomic_store_n(&t.run->immediate_exit, 1, __ATOMIC_RELEASE);
	pthread_join(thr, &ret);
	assert_int_equal((long)ret, EINTR);
	assert_int_equal(t.run->exit_reason, KVM_EXIT_INTR);
	assert_int_equal(kvm_stats().private_pages, before);
	td_run_destroy(&t);
}

static void *run_ap(void *arg)
{
	struct td_run *t = arg;

	/* Its report on port 0x81, then TDVMCALL<HLT> until immediate_exit. */
	if (kvm_ioctl(t->ap, KVM_RUN, 0) || t->ap_run->exit_reason != KVM_EXIT_IO ||
	    t->ap_run->io.port != 0x81)
		return (void *)1L;
	return (void *)(long)(kvm_ioctl(t->ap, KVM_RUN, 0) == -1 && errno == EINTR ? 0 : 2);
}

/*
 * Two vCPUs on two host threads add to one counter with LOCK INC: a TD's
 * vCPUs never execute at the same time, so no increment is lost.
 */
static void test_two_vcpus_atomic(void **state)
{
	struct td_run t;
	pthread_t thr;
	void *ret;

	(void)state;
	td_run_create_smp(&t, guest_smp, guest_smp_size, true);
	assert_int_equal(pthread_create(&thr, NULL, run_ap, &t), 0);
	assert_int_equal(run_until_stop(&t), 0);
	assert_int_equal(t.exit_code, 0);
	assert_int_equal(t.nr_reports, 1);
	assert_int_equal(t.reports[0], 2 * 200000);
	__atomic_store_n(&t.ap_run->immediate_exit, 1, __ATOMIC_RELEASE);
	pthread_join(thr, &ret);
	assert_int_equal((long)ret, 0);
	td_run_destroy(&t);
}

/* KVM_SET_GSI_ROUTING with one entry; the ioctl's result. */
static int set_route(int vm, unsigned int gsi, unsigned int type, unsigned int flags,
		     unsigned int address_lo, unsigned int data)
{
	struct {
		struct kvm_irq_routing hdr;
		struct kvm_irq_routing_entry e[1];
	} r = {
		.hdr.nr = 1,
		.e[0] = { .gsi = gsi, .type = type, .flags = flags,
			  .u.msi = { .address_lo = address_lo, .data = data } },
	};

	return kvm_ioctl(vm, KVM_SET_GSI_ROUTING, &r);
}

static int irq_line_status(int vm, unsigned int gsi, unsigned int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	assert_int_equal(kvm_ioctl(vm, KVM_IRQ_LINE_STATUS, &irq), 0);
	return irq.status;
}

/* The wake-up is GSI 10, routed to vector 0x41 of APIC ID 0, fired by KVM_IRQ_LINE_STATUS. */
static void *msi_later(void *arg)
{
	struct td_run *t = arg;

	usleep(20000);
	return (void *)(long)irq_line_status(t->td, 10, 1);
}

static int irqfd(int vm, int fd, unsigned int gsi, unsigned int flags)
{
	struct kvm_irqfd a = { .fd = (unsigned int)fd, .gsi = gsi, .flags = flags };

	return kvm_ioctl(vm, KVM_IRQFD, &a);
}

static int wake_eventfd = -1;

/* The same wake-up through KVM_IRQFD: an eventfd bound to GSI 10, signalled. */
static void *eventfd_later(void *arg)
{
	unsigned long long one = 1;

	(void)arg;
	usleep(20000);
	return (void *)(long)(write(wake_eventfd, &one, sizeof(one)) == sizeof(one));
}

/* Routes the split irqchip takes (MSIs only) and the errnos of the rest. */
static void check_gsi_routing(int td)
{
	struct kvm_irq_routing big = { .nr = 4097 }, flagged = { .flags = 1 };
	struct kvm_irq_level line = { .irq = 10, .level = 1 };
	int vm = vm_create(kvm, KVM_X86_DEFAULT_VM);

	assert_int_equal(kvm_ioctl(td, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING), 4096);
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_SET_GSI_ROUTING, &big), EINVAL);
	TEST_ASSERT_ERRNO(kvm_ioctl(td, KVM_SET_GSI_ROUTING, &flagged), EINVAL);
	TEST_ASSERT_ERRNO(set_route(td, 4096, KVM_IRQ_ROUTING_MSI, 0, 0xFEE00000u, 0x41), EINVAL);
	TEST_ASSERT_ERRNO(set_route(td, 10, KVM_IRQ_ROUTING_IRQCHIP, 0, 0, 0), EINVAL);
	TEST_ASSERT_ERRNO(set_route(td, 10, KVM_IRQ_ROUTING_MSI, 2, 0xFEE00000u, 0x41), EINVAL);
	/* Any message is stored (QEMU's zeroed placeholders); one not deliverable reaches no one. */
	assert_int_equal(set_route(td, 10, KVM_IRQ_ROUTING_MSI, 0, 0, 0), 0);
	assert_int_equal(irq_line_status(td, 10, 1), -1);
	assert_int_equal(set_route(td, 10, KVM_IRQ_ROUTING_MSI, 0, 0xFEE00000u, 0x41), 0);
	assert_int_equal(irq_line_status(td, 11, 1), -1);	/* no route */
	assert_int_equal(irq_line_status(td, 10, 0), -1);	/* an MSI has no low level */
	/* Without an in-kernel irqchip there is nothing to route to. */
	TEST_ASSERT_ERRNO(kvm_ioctl(vm, KVM_IRQ_LINE, &line), ENXIO);
	TEST_ASSERT_ERRNO(set_route(vm, 10, KVM_IRQ_ROUTING_MSI, 0, 0xFEE00000u, 0x41), EINVAL);
	kvm_close(vm);
}

/*
 * KVM_SIGNAL_MSI into a TD: posted to the vCPU, delivered through its IDT
 * when RFLAGS.IF and the TPR allow, EOI through the x2APIC; a vCPU asleep
 * in TDVMCALL<HLT> wakes for one that comes as a routed GSI (KVM_IRQ_LINE).
 */
static void run_irq_guest(void *(*wake)(void *))
{
	const unsigned long long *rep;
	struct kvm_msi bad = { .address_lo = 0xFEE00000u, .data = 0x30, .flags = 2 };
	struct td_run t;
	pthread_t thr;
	void *ret = NULL;
	bool started = false;

	td_run_create(&t, guest_irq, guest_irq_size);
	TEST_ASSERT_ERRNO(kvm_ioctl(t.td, KVM_SIGNAL_MSI, &bad), EINVAL);
	TEST_ASSERT_ERRNO(vm_signal_msi(t.td, 0, 5), EINVAL);		/* reserved vector */
	assert_int_equal(vm_signal_msi(t.td, 7, 0x30), 0);		/* no such APIC ID */
	assert_int_equal(kvm_ioctl(t.td, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI), 1);
	check_gsi_routing(t.td);
	if (wake == eventfd_later)
		assert_int_equal(irqfd(t.td, wake_eventfd, 10, 0), 0);
	while (t.exit_code < 0) {
		assert_int_equal(kvm_ioctl(t.vcpu, KVM_RUN, 0), 0);
		assert_int_equal(t.run->exit_reason, KVM_EXIT_IO);
		handle_io(&t);
		if (t.run->io.port != 0x84)
			continue;
		if (t.nr_reports == 2) {
			assert_int_equal(vm_signal_msi(t.td, 0, 0x25), 1);
			assert_int_equal(vm_signal_msi(t.td, 0, 0x30), 1);
		} else if (t.nr_reports == 10 && !started) {
			assert_int_equal(pthread_create(&thr, NULL, wake, &t), 0);
			started = true;
		}
	}
	if (started)
		pthread_join(thr, &ret);
	assert_int_equal((long)ret, 1);
	rep = t.reports;
	assert_int_equal(t.exit_code, 0);			/* isa-debug-exit(0) */
	assert_int_equal(t.nr_reports, 12);
	assert_int_equal(rep[0], 0x20);		/* TPR */
	assert_int_equal(rep[2], 1);			/* one taken at entry ... */
	assert_int_equal(rep[3], 0x30);			/* ... 0x30: 0x25 is masked by the TPR */
	assert_int_equal(rep[4], 1u << (0x30 - 32));	/* in service in the handler */
	assert_int_equal(rep[5], 0);			/* EOI cleared it */
	assert_int_equal(rep[6], 1u << (0x25 - 32));	/* 0x25 waits in IRR */
	assert_int_equal(rep[7], 2);			/* TPR 0: 0x25 at once ... */
	assert_int_equal(rep[8], 0x25);			/* ... without a TD exit */
	assert_int_equal(rep[10], 0x41);		/* woken from HLT */
	assert_int_equal(rep[11], 0);			/* PPR */
	td_run_destroy(&t);
}

static void test_interrupts(void **state)
{
	(void)state;
	run_irq_guest(msi_later);
}

/*
 * KVM_IRQFD: the wake-up from HLT comes from an eventfd bound to GSI 10;
 * its checks and errnos (resampling needs the full in-kernel irqchip).
 */
static void test_irqfd(void **state)
{
	int vm = vm_create(kvm, KVM_X86_DEFAULT_VM), td = td_create(kvm), pipefd[2], other;

	(void)state;
	wake_eventfd = eventfd(0, 0);
	other = eventfd(0, 0);
	assert_int_equal(pipe(pipefd), 0);
	TEST_ASSERT_ERRNO(irqfd(vm, wake_eventfd, 10, 0), EINVAL);	/* no irqchip */
	vm_enable_split_irqchip(td);
	TEST_ASSERT_ERRNO(irqfd(td, wake_eventfd, 10, 4), EINVAL);
	TEST_ASSERT_ERRNO(irqfd(td, wake_eventfd, 10, KVM_IRQFD_FLAG_RESAMPLE), EINVAL);
	TEST_ASSERT_ERRNO(irqfd(td, 999, 10, 0), EBADF);
	TEST_ASSERT_ERRNO(irqfd(td, pipefd[0], 10, 0), EINVAL);
	assert_int_equal(irqfd(td, other, 10, 0), 0);
	TEST_ASSERT_ERRNO(irqfd(td, other, 11, 0), EBUSY);
	assert_int_equal(irqfd(td, other, 10, KVM_IRQFD_FLAG_DEASSIGN), 0);
	assert_int_equal(irqfd(td, other, 10, KVM_IRQFD_FLAG_DEASSIGN), 0);	/* none: fine */
	assert_int_equal(irqfd(td, other, 11, 0), 0);	/* free again; closed with the VM */
	kvm_close(td);
	kvm_close(vm);
	run_irq_guest(eventfd_later);
	close(pipefd[0]);
	close(pipefd[1]);
	close(other);
	close(wake_eventfd);
}

struct flood {
	struct td_run *t;
	volatile bool stop;
};

/* 0x30 and 0x50 in turn, 0 to 60 us apart (kicks at every point of an entry), then 0x21. */
static void *flood_msis(void *arg)
{
	struct flood *f = arg;

	for (int i = 0; i < 20000 && !__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE); i++) {
		if (vm_signal_msi(f->t->td, 0, i & 1 ? 0x50 : 0x30) != 1)
			return (void *)1L;
		usleep(i % 7 * 10);
	}
	return (void *)(long)(vm_signal_msi(f->t->td, 0, 0x21) != 1);
}

/* The vCPU thread's end: the flood's last vector within 30 s, or immediate_exit. */
static void *stop_after(void *arg)
{
	struct flood *f = arg;

	for (int i = 0; i < 3000 && !__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE); i++)
		usleep(10000);
	__atomic_store_n(&f->t->run->immediate_exit, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Interrupts posted while others are being delivered: each kick can land
 * between the entry that put a vector in service and the guest's first
 * instruction.  That vector is still delivered (never replaced by a newer
 * one), so every ISR bit is EOId and the lowest class still gets through.
 */
static void test_interrupt_flood(void **state)
{
	struct td_run t;
	struct flood f = { .t = &t };
	pthread_t sender, timer;
	void *ret;
	int r;

	(void)state;
	td_run_create(&t, guest_irqflood, guest_irqflood_size);
	assert_int_equal(kvm_ioctl(t.vcpu, KVM_RUN, 0), 0);	/* report(1): go */
	handle_io(&t);
	assert_int_equal(pthread_create(&sender, NULL, flood_msis, &f), 0);
	assert_int_equal(pthread_create(&timer, NULL, stop_after, &f), 0);
	r = run_until_stop(&t);
	__atomic_store_n(&f.stop, true, __ATOMIC_RELEASE);
	pthread_join(sender, &ret);
	pthread_join(timer, NULL);
	if (r)
		fail_msg("vector 0x21 never came: a vector stuck in service (errno %d)", errno);
	assert_int_equal((long)ret, 0);
	assert_int_equal(t.exit_code, 0);
	assert_int_equal(t.nr_reports, 3);
	assert_int_equal(t.reports[1], 0);		/* nothing left in service */
	assert_true(t.reports[2] >= 3);
	td_run_destroy(&t);
}

/*
 * KVM_NMI (and an MSI in NMI mode) into a TD: PEND_NMI, taken at the next
 * entry through the guest's IDT; one queued in the handler waits for its IRET (never nests); one
 * queued while the vCPU is halted wakes it.
 */
static void test_nmi(void **state)
{
	const unsigned long long *rep;
	struct td_run t;
	pthread_t thr;

	(void)state;
	td_run_create(&t, guest_nmi, guest_nmi_size);
	while (t.exit_code < 0) {
		int r = kvm_ioctl(t.vcpu, KVM_RUN, 0);

		if (r) {
			/* Asleep in HLT until immediate_exit: an NMI wakes it. */
			assert_int_equal(errno, EINTR);
			pthread_join(thr, NULL);
			t.run->immediate_exit = 0;
			assert_int_equal(kvm_ioctl(t.vcpu, KVM_NMI, 0), 0);
			continue;
		}
		assert_int_equal(t.run->exit_reason, KVM_EXIT_IO);
		handle_io(&t);
		if (t.run->io.port != 0x84)
			continue;
		if (t.nr_reports == 1)
			assert_int_equal(kvm_ioctl(t.vcpu, KVM_NMI, 0), 0);
		else if (t.nr_reports == 2)	/* the second as an MSI in NMI mode */
			assert_int_equal(vm_signal_msi(t.td, 0, 4u << 8), 1);
		else if (t.nr_reports == 5)
			assert_int_equal(pthread_create(&thr, NULL, set_immediate_exit, &t), 0);
	}
	rep = t.reports;
	assert_int_equal(t.exit_code, 0);
	assert_int_equal(t.nr_reports, 7);
	assert_int_equal(rep[1], 0x100);	/* the first NMI's handler */
	assert_int_equal(rep[2], 2);		/* the second came after its IRET */
	assert_int_equal(rep[3], 1);		/* and did not nest */
	assert_int_equal(rep[5], 3);		/* the third woke HLT */
	assert_int_equal(rep[6], 1);
	td_run_destroy(&t);
}

/*
 * The x2APIC timer: one-shot, periodic, masked and TSC-deadline, TMCCT, a
 * mode change, and self-IPIs (an NMI one queued as KVM_NMI would), the
 * rest fired into the TD as posted interrupts;
 * the TD's TSC runs at its TSC_FREQUENCY against the 25 MHz APIC bus.
 */
static void test_timer(void **state)
{
	const unsigned long long *rep;
	struct td_run t;

	(void)state;
	td_run_create(&t, guest_timer, guest_timer_size);
	assert_int_equal(run_until_stop(&t), 0);
	rep = t.reports;
	assert_int_equal(t.exit_code, 0);
	assert_int_equal(t.nr_reports, 20);
	assert_int_equal(rep[0], 2500000000ULL);	/* CPUID 0x15: the TD's 2.5 GHz */
	assert_int_equal(rep[1], 1);			/* TMCCT counts down */
	/* 10 ms of the APIC bus took at least 10 ms of the TD's TSC. */
	assert_true(rep[2] >= rep[0] / 100 && rep[2] < rep[0] * 10);
	assert_int_equal(rep[3], 0x40);			/* one-shot */
	assert_int_equal(rep[4], 0);			/* TMCCT 0 once expired */
	assert_int_equal(rep[5], 0x41);			/* five periodic ticks */
	assert_int_equal(rep[6], 0);			/* masked: none more */
	assert_int_equal(rep[7], 0);			/* IA32_TSC_DEADLINE disarmed */
	assert_int_equal(rep[8], 0x43);			/* TSC-deadline fired ... */
	assert_int_equal(rep[9], 0);			/* ... and disarmed itself */
	assert_int_equal(rep[10], 2);			/* a past deadline fires at once */
	assert_int_equal(rep[11], 0);			/* a mode change clears TMICT */
	assert_int_equal(rep[12], 0x45);		/* SELF_IPI */
	assert_int_equal(rep[13], 0x46);		/* ICR to itself */
	assert_int_equal(rep[14], TDVMCALL_SUCCESS);	/* NMI IPI to itself ... */
	assert_int_equal(rep[15], 1);			/* ... taken */
	assert_int_equal(rep[16], TDVMCALL_SUCCESS);	/* INIT: dropped, as for a TD */
	assert_int_equal(rep[17], TDVMCALL_INVALID_OPERAND);	/* ICR reserved bit */
	assert_int_equal(rep[18], TDVMCALL_INVALID_OPERAND);	/* SELF_IPI reserved bits */
	assert_int_equal(rep[19], 4);			/* four since the periodic ticks */
	td_run_destroy(&t);
}

/*
 * MapGPA private -> shared -> private: the shared data is the VMM's and
 * stays there; the page comes back private and empty.
 */
static void test_map_gpa_round_trip(void **state)
{
	const unsigned long long *rep;
	struct td_run t;
	unsigned long long host;

	(void)state;
	td_run_create(&t, guest_mapgpa, guest_mapgpa_size);
	memset((char *)t.ram + 0x500000, 0x77, 8);	/* the shared view, before */
	assert_int_equal(run_until_stop(&t), 0);
	rep = t.reports;
	assert_int_equal(t.exit_code, 0);
	assert_int_equal(t.nr_reports, 7);
	assert_int_equal(rep[0], 0);			/* accepted */
	assert_int_equal(rep[1], 0x5EC12E7);		/* private data */
	assert_int_equal(rep[2], TDVMCALL_SUCCESS);	/* MapGPA to shared */
	assert_int_equal(rep[3], 0x7777777777777777ULL);	/* the VMM's page shows */
	assert_int_equal(rep[4], TDVMCALL_SUCCESS);	/* MapGPA to private */
	assert_int_equal(rep[5], 0);			/* accepted anew */
	assert_int_equal(rep[6], 0);			/* and empty */
	memcpy(&host, (char *)t.ram + 0x500000, sizeof(host));
	assert_int_equal(host, 0x5A12ED);		/* what the TD wrote shared */
	td_run_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		KVM_TEST(test_hello),
		KVM_TEST(test_ioeventfd),
		KVM_TEST(test_timer),
		KVM_TEST(test_map_gpa_round_trip),
		KVM_TEST(test_ghci),
		KVM_TEST(test_triple_fault),
		KVM_TEST(test_halt_and_immediate_exit),
		KVM_TEST(test_terminate_vm),
		KVM_TEST(test_halt_and_signal),
		KVM_TEST(test_convert_under_running_vcpu),
		KVM_TEST(test_entry_contention),
		KVM_TEST(test_two_vcpus_atomic),
		KVM_TEST(test_interrupts),
		KVM_TEST(test_irqfd),
		KVM_TEST(test_interrupt_flood),
		KVM_TEST(test_nmi),
	};

	return kvm_run_tests(tests);
}
