// SPDX-License-Identifier: MIT
/*
 * The baseline for TDVMCALL<Instruction.IO>: a real KVM_EXIT_IO round trip
 * on the kernel's /dev/kvm (plain ioctl(2)), from a real-mode guest that
 * does OUT in a loop in a default VM.
 */
#include "baselines.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <softtdx/uapi/kvm_tdx.h>	/* KVM_X86_DEFAULT_VM, newer than Debian 12 */

#include "uapi_util.h"

#define CODE_GPA	0x1000
#define MEM_SIZE	0x10000
#define PORT		0x90

/* out %al, $0x90; jmp back to the out */
static const unsigned char out_loop[] = { 0xE6, PORT, 0xEB, 0xFC };

struct kernel_vm {
	int kvm, vm, vcpu;
	void *mem;
	struct kvm_run *run;
	size_t run_size;
};

static int why_errno(char *why, size_t len, const char *what)
{
	snprintf(why, len, "/dev/kvm: %s: %s", what, strerror(errno));
	return -1;
}

/* Guest memory with the loop at CODE_GPA, in slot 0 at GPA 0. */
static int add_memory(struct kernel_vm *k, char *why, size_t len)
{
	struct kvm_userspace_memory_region r = { .slot = 0, .memory_size = MEM_SIZE };

	k->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (k->mem == MAP_FAILED) {
		k->mem = NULL;
		return why_errno(why, len, "mmap");
	}
	memcpy((char *)k->mem + CODE_GPA, out_loop, sizeof(out_loop));
	r.userspace_addr = (unsigned long long)(unsigned long)k->mem;
	if (ioctl(k->vm, KVM_SET_USER_MEMORY_REGION, &r))
		return why_errno(why, len, "KVM_SET_USER_MEMORY_REGION");
	return 0;
}

/* The vCPU in real mode with CS base 0, at the loop. */
static int setup_vcpu(struct kernel_vm *k, char *why, size_t len)
{
	struct kvm_regs regs = { .rip = CODE_GPA, .rflags = 2 };
	struct kvm_sregs sregs;
	int size;

	k->vcpu = ioctl(k->vm, KVM_CREATE_VCPU, 0);
	if (k->vcpu < 0)
		return why_errno(why, len, "KVM_CREATE_VCPU");
	size = ioctl(k->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		return why_errno(why, len, "KVM_GET_VCPU_MMAP_SIZE");
	k->run_size = (size_t)size;
	k->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu, 0);
	if (k->run == MAP_FAILED) {
		k->run = NULL;
		return why_errno(why, len, "mmap of the vCPU");
	}
	if (ioctl(k->vcpu, KVM_GET_SREGS, &sregs))
		return why_errno(why, len, "KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(k->vcpu, KVM_SET_SREGS, &sregs) || ioctl(k->vcpu, KVM_SET_REGS, &regs))
		return why_errno(why, len, "KVM_SET_SREGS/REGS");
	return 0;
}

static int create(struct kernel_vm *k, char *why, size_t len)
{
	k->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->kvm < 0) {
		if (errno == ENOENT)
			snprintf(why, len, "no /dev/kvm");
		else
			snprintf(why, len, "/dev/kvm: %s", strerror(errno));
		return -1;
	}
	k->vm = ioctl(k->kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
	if (k->vm < 0)
		return why_errno(why, len, "KVM_CREATE_VM");
	if (add_memory(k, why, len))
		return -1;
	return setup_vcpu(k, why, len);
}

static void destroy(struct kernel_vm *k)
{
	if (k->run)
		munmap(k->run, k->run_size);
	if (k->mem)
		munmap(k->mem, MEM_SIZE);
	if (k->vcpu >= 0)
		close(k->vcpu);
	if (k->vm >= 0)
		close(k->vm);
	if (k->kvm >= 0)
		close(k->kvm);
}

/* One KVM_RUN that must end in the guest's OUT. */
static int one_exit(struct kernel_vm *k, char *why, size_t len)
{
	while (ioctl(k->vcpu, KVM_RUN, 0))
		if (errno != EINTR)
			return why_errno(why, len, "KVM_RUN");
	if (k->run->exit_reason != KVM_EXIT_IO || k->run->io.port != PORT) {
		snprintf(why, len, "/dev/kvm: exit reason %u, not the guest's OUT",
			 k->run->exit_reason);
		return -1;
	}
	return 0;
}

double kernel_io_exit_us(unsigned int exits, char *why, size_t len)
{
	struct kernel_vm k = { .kvm = -1, .vm = -1, .vcpu = -1 };
	double t = -1;

	if (create(&k, why, len) == 0 && one_exit(&k, why, len) == 0) {
		unsigned int i = 0;

		t = bench_now();
		while (i < exits && one_exit(&k, why, len) == 0)
			i++;
		t = i == exits ? (bench_now() - t) * 1e6 / exits : -1;
	}
	destroy(&k);
	return t;
}
