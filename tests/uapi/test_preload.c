// SPDX-License-Identifier: MIT
/*
 * An unmodified VMM: plain open("/dev/kvm"), ioctl(), mmap() and close()
 * from libc, no softtdx header for the calls.  Run with
 * LD_PRELOAD=libsofttdx-preload.so SOFTTDX=1 it gets softtdx's KVM.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/falloc.h>

#include <softtdx/uapi/kvm_tdx.h>

static void test_vmm_flow(void **state)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm, td, vcpu, size;
	struct kvm_tdx_capabilities *caps = calloc(1, sizeof(*caps) +
						   16 * sizeof(struct kvm_cpuid_entry2));
	struct kvm_tdx_cmd cmd = { .id = KVM_TDX_CAPABILITIES, .data = (uintptr_t)caps };
	struct kvm_run *run;

	(void)state;
	assert_true(kvm >= 0);
	assert_int_equal(ioctl(kvm, KVM_GET_API_VERSION, 0), KVM_API_VERSION);
	assert_true(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES) & (1 << KVM_X86_TDX_VM));
	td = ioctl(kvm, KVM_CREATE_VM, KVM_X86_TDX_VM);
	assert_true(td >= 0);
	caps->cpuid.nent = 16;
	assert_int_equal(ioctl(td, KVM_MEMORY_ENCRYPT_OP, &cmd), 0);
	assert_int_equal(caps->cpuid.nent, 12);
	vm = ioctl(kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	assert_true(run != MAP_FAILED);
	run->immediate_exit = 1;
	assert_int_equal(munmap(run, size), 0);
	/* errno conventions survive the shim. */
	assert_int_equal(ioctl(vm, KVM_GET_API_VERSION, 0), -1);
	assert_int_equal(errno, ENOTTY);
	/* No KVM descriptor reads or writes: EINVAL, never a block. */
	{
		int fds[] = { kvm, vm, td, vcpu };
		char byte = 0;
		struct iovec iov = { &byte, 1 };

		for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
			errno = 0;
			assert_int_equal(read(fds[i], &byte, 1), -1);
			assert_int_equal(errno, EINVAL);
			errno = 0;
			assert_int_equal(write(fds[i], &byte, 1), -1);
			assert_int_equal(errno, EINVAL);
			errno = 0;
			assert_int_equal(readv(fds[i], &iov, 1), -1);
			assert_int_equal(errno, EINVAL);
			errno = 0;
			assert_int_equal(pwrite(fds[i], &byte, 1, 0), -1);
			assert_int_equal(errno, EINVAL);
		}
	}
	/* fallocate() reaches a guest_memfd (QEMU punches holes); other KVM files are ENODEV */
	{
		struct kvm_create_guest_memfd g = { .size = 1 << 20 };
		int gmem = ioctl(td, KVM_CREATE_GUEST_MEMFD, &g);

		assert_true(gmem >= 0);
		assert_int_equal(fallocate(gmem, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
					   4096), 0);
		assert_int_equal(fallocate(vm, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096),
				 -1);
		assert_int_equal(errno, ENODEV);
		assert_int_equal(close(gmem), 0);
	}
	assert_int_equal(close(vcpu), 0);
	assert_int_equal(close(vm), 0);
	assert_int_equal(close(td), 0);
	assert_int_equal(close(kvm), 0);
	assert_int_equal(close(kvm), -1);
	assert_int_equal(errno, EBADF);
	free(caps);
}

/*
 * A child after fork() gets EIO from the descriptors it inherited (Linux's
 * kvm->mm check), and its close leaves the parent's VM alone.
 */
static void test_fork_child_gets_eio(void **state)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm, vcpu, status;
	pid_t child;

	(void)state;
	vm = ioctl(kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	assert_true(vm >= 0 && vcpu >= 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		bool ok = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) == -1 &&
			  errno == EIO && ioctl(vcpu, KVM_RUN, 0) == -1 && errno == EIO &&
			  close(vcpu) == 0 && close(vm) == 0;

		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY), 1);
	assert_int_equal(close(vcpu), 0);
	assert_int_equal(close(vm), 0);
	assert_int_equal(close(kvm), 0);
}

/* Without SOFTTDX, /dev/kvm is the kernel's (absent here, or without TDX). */
static void test_passthrough(void **state)
{
	int fd;

	(void)state;
	unsetenv("SOFTTDX");
	fd = open("/dev/kvm", O_RDWR);
	if (fd >= 0) {
		assert_false(ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES) > 0 &&
			     ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES) & 0x20);
		close(fd);
	}
	/* Other files are untouched. */
	fd = open("/dev/null", O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, &fd, 1), 0);
	assert_int_equal(write(fd, &fd, 1), 1);
	assert_int_equal(close(fd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmm_flow),
		cmocka_unit_test(test_fork_child_gets_eio),
		cmocka_unit_test(test_passthrough),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
