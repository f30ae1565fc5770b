// SPDX-License-Identifier: MIT
/*
 * libsofttdx-preload.so: softtdx's KVM under an unmodified VMM binary.
 *
 *   SOFTTDX=1     open("/dev/kvm") returns softtdx's KVM.
 *   SOFTTDX=auto  the kernel's /dev/kvm if it offers TDX VMs, else softtdx.
 *
 * ioctl(), mmap() and close() on softtdx's descriptors are routed to it;
 * everything else goes to libc untouched.
 */
/* Define open and open64, mmap and mmap64 each under their own names. */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <softtdx/kvm.h>
#include <softtdx/uapi/kvm_tdx.h>

#define KVM_PATH	"/dev/kvm"

static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_ioctl)(int, unsigned long, ...);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_close)(int);

static void *next(const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);

	if (!fn)
		abort();	/* libc without the symbol: nothing sane to do */
	return fn;
}

/*
 * Resolved on first use, not in a constructor: a sanitizer runtime or
 * another preloaded library may open or map files before constructors run.
 */
static void resolve(void)
{
	if (real_close)
		return;
	real_open = next("open");
	real_openat = next("openat");
	real_ioctl = next("ioctl");
	real_mmap = next("mmap");
	real_close = next("close");
}

/* Does the kernel's KVM, open on @fd, run TDs? */
static bool kernel_has_tdx(int fd)
{
	int types = real_ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES);

	return types > 0 && (types & (1 << KVM_X86_TDX_VM));
}

/* -1 to let libc open the path, else the descriptor to return. */
static int open_kvm(const char *path, int flags)
{
	const char *mode = getenv("SOFTTDX");
	int fd;

	if (!mode || strcmp(path, KVM_PATH))
		return -2;
	if (!strcmp(mode, "auto")) {
		fd = real_open(path, flags);
		if (fd >= 0 && kernel_has_tdx(fd))
			return fd;
		if (fd >= 0)
			real_close(fd);
	} else if (strcmp(mode, "1")) {
		return -2;
	}
	return softtdx_kvm_open();
}

static mode_t mode_arg(int flags, va_list ap)
{
	return flags & (O_CREAT | O_TMPFILE) ? va_arg(ap, mode_t) : 0;
}

static int do_open(const char *path, int flags, mode_t mode)
{
	int fd;

	resolve();
	fd = open_kvm(path, flags);

	return fd != -2 ? fd : real_open(path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	mode_t mode;
	va_list ap;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return do_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode;
	va_list ap;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return do_open(path, flags | O_LARGEFILE, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode;
	va_list ap;
	int fd;

	resolve();
	fd = path[0] == '/' ? open_kvm(path, flags) : -2;
	if (fd != -2)
		return fd;
	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return real_openat(dirfd, path, flags, mode);
}

int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	resolve();
	if (softtdx_is_kvm_fd(fd))
		return softtdx_ioctl(fd, request, arg);
	return real_ioctl(fd, request, arg);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	resolve();
	if (fd >= 0 && softtdx_is_kvm_fd(fd))
		return softtdx_mmap(addr, len, prot, flags, fd, off);
	return real_mmap(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

int close(int fd)
{
	resolve();
	if (softtdx_is_kvm_fd(fd))
		return softtdx_close(fd);
	return real_close(fd);
}
