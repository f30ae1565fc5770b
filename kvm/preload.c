// SPDX-License-Identifier: MIT
/*
 * libsofttdx-preload.so: softtdx's KVM under an unmodified VMM binary.
 *
 *   SOFTTDX=1     open("/dev/kvm") returns softtdx's KVM.
 *   SOFTTDX=auto  the kernel's /dev/kvm if it offers TDX VMs, else softtdx.
 *
 * ioctl(), mmap(), fallocate() and close() on softtdx's descriptors are
 * routed to it;
 * read() and write() of any kind fail on them with EINVAL, as on Linux's
 * KVM descriptors, which have no read or write method; everything else
 * goes to libc untouched.
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
#include <sys/uio.h>
#include <unistd.h>

#include <softtdx/kvm.h>
#include <softtdx/uapi/kvm_tdx.h>

#define KVM_PATH	"/dev/kvm"

static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_ioctl)(int, unsigned long, ...);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_close)(int);
static int (*real_fallocate)(int, int, off_t, off_t);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_readv)(int, const struct iovec *, int);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pread)(int, void *, size_t, off_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pread64)(int, void *, size_t, off64_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);

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
	real_read = next("read");
	real_write = next("write");
	real_readv = next("readv");
	real_writev = next("writev");
	real_pread = next("pread");
	real_pwrite = next("pwrite");
	real_pread64 = next("pread64");
	real_pwrite64 = next("pwrite64");
	real_fallocate = next("fallocate");
	real_close = next("close");	/* last: resolve() tests it */
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

/* QEMU punches holes in guest_memfd when memory turns shared. */
int fallocate(int fd, int mode, off_t offset, off_t len)
{
	resolve();
	if (softtdx_is_kvm_fd(fd))
		return softtdx_fallocate(fd, mode, offset, len);
	return real_fallocate(fd, mode, offset, len);
}

int fallocate64(int fd, int mode, off64_t offset, off64_t len)
{
	return fallocate(fd, mode, offset, len);
}

/* vfs_read()/vfs_write() on a file without read or write methods. */
static bool no_read_write(int fd)
{
	resolve();
	if (!softtdx_is_kvm_fd(fd))
		return false;
	errno = EINVAL;
	return true;
}

ssize_t read(int fd, void *buf, size_t len)
{
	return no_read_write(fd) ? -1 : real_read(fd, buf, len);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	return no_read_write(fd) ? -1 : real_write(fd, buf, len);
}

ssize_t readv(int fd, const struct iovec *iov, int n)
{
	return no_read_write(fd) ? -1 : real_readv(fd, iov, n);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
	return no_read_write(fd) ? -1 : real_writev(fd, iov, n);
}

ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
	return no_read_write(fd) ? -1 : real_pread(fd, buf, len, off);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return no_read_write(fd) ? -1 : real_pwrite(fd, buf, len, off);
}

ssize_t pread64(int fd, void *buf, size_t len, off64_t off)
{
	return no_read_write(fd) ? -1 : real_pread64(fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
	return no_read_write(fd) ? -1 : real_pwrite64(fd, buf, len, off);
}
