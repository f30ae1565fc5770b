// SPDX-License-Identifier: MIT
/*
 * The /dev/kvm device and its file-descriptor objects.
 *
 * Each object hands the caller one end of an AF_UNIX socketpair and keeps
 * the other.  The caller's end is a real descriptor the kernel manages:
 * dup() shares it, close() drops it, and once every copy is closed our end
 * sees POLLHUP.  A reaper thread polls our ends and releases objects whose
 * descriptors are all gone, which is how closing the last fd of a VM tears
 * the TD down.  Descriptors are matched to objects by their inode.
 */
#include "kvm_internal.h"
#include "tdx_internal.h"

#include <linux/falloc.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

struct registry {
	pthread_mutex_t lock;
	pthread_cond_t idle;
	struct kvm_obj **objs;
	size_t nr, cap;
	int wake;		/* eventfd: the object set changed */
	int reaping;		/* objects being released right now */
};

static struct registry reg = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.idle = PTHREAD_COND_INITIALIZER,
	.wake = -1,
};

static struct kvm_dev dev = { .tdx_lock = PTHREAD_MUTEX_INITIALIZER };
static pthread_once_t dev_once = PTHREAD_ONCE_INIT;

/*
 * After fork() the child holds copies of softtdx's descriptors, but not
 * its threads: like Linux's kvm->mm check, every ioctl there is EIO, and a
 * close only closes (the parent's objects live on).  The registry lock is
 * held across fork() so the child's copy is never left locked.
 */
static bool forked_child;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void fork_prepare(void)
{
	pthread_mutex_lock(&reg.lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&reg.lock);
}

static void fork_child(void)
{
	pthread_mutex_unlock(&reg.lock);
	forked_child = true;
}

static void register_atfork(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* ---- objects ------------------------------------------------------------------ */

void kvm_obj_get(struct kvm_obj *obj)
{
	atomic_fetch_add(&obj->refs, 1);
}

/*
 * close(2) itself: under libsofttdx-preload.so, close() is the shim's, and
 * it would route a KVM descriptor back here.
 */
static int sys_close(int fd)
{
	return (int)syscall(SYS_close, fd);
}

void kvm_obj_put(struct kvm_obj *obj)
{
	if (atomic_fetch_sub(&obj->refs, 1) == 1) {
		sys_close(obj->peer);
		obj->ops->release(obj);
	}
}

static void wake_reaper(void)
{
	u64 one = 1;

	if (write(reg.wake, &one, sizeof(one)) < 0)
		perror("softtdx: reaper wakeup");
}

int kvm_obj_install(struct kvm_obj *obj, enum kvm_obj_type type, const struct kvm_obj_ops *ops)
{
	struct kvm_obj **grown;
	struct stat st;
	int sv[2];

	pthread_once(&atfork_once, register_atfork);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	if (fstat(sv[0], &st)) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	obj->type = type;
	obj->ops = ops;
	obj->ino = st.st_ino;
	obj->peer = sv[1];
	atomic_init(&obj->refs, 1);
	pthread_mutex_lock(&reg.lock);
	if (reg.nr == reg.cap) {
		reg.cap = reg.cap ? 2 * reg.cap : 16;
		grown = realloc(reg.objs, reg.cap * sizeof(*reg.objs));
		if (!grown) {
			pthread_mutex_unlock(&reg.lock);
			close(sv[0]);
			close(sv[1]);
			return -ENOMEM;
		}
		reg.objs = grown;
	}
	reg.objs[reg.nr++] = obj;
	pthread_mutex_unlock(&reg.lock);
	wake_reaper();
	return sv[0];
}

/* The object behind @fd, with a reference, or NULL. */
struct kvm_obj *kvm_obj_of_fd(int fd)
{
	struct kvm_obj *obj = NULL;
	struct stat st;

	if (fstat(fd, &st) || !S_ISSOCK(st.st_mode))
		return NULL;
	pthread_mutex_lock(&reg.lock);
	for (size_t i = 0; i < reg.nr; i++) {
		if (reg.objs[i]->ino == st.st_ino) {
			obj = reg.objs[i];
			kvm_obj_get(obj);
			break;
		}
	}
	pthread_mutex_unlock(&reg.lock);
	return obj;
}

static bool peer_hung_up(struct kvm_obj *obj)
{
	struct pollfd p = { .fd = obj->peer, .events = POLLIN };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
}

/* Drops every object whose descriptors are all closed.  Registry locked. */
static void reap_locked(void)
{
	for (size_t i = 0; i < reg.nr;) {
		struct kvm_obj *obj = reg.objs[i];

		if (!peer_hung_up(obj)) {
			i++;
			continue;
		}
		reg.objs[i] = reg.objs[--reg.nr];
		reg.reaping++;
		pthread_mutex_unlock(&reg.lock);
		kvm_obj_put(obj);
		pthread_mutex_lock(&reg.lock);
		reg.reaping--;
		i = 0;	/* releasing may have changed the set */
	}
	pthread_cond_broadcast(&reg.idle);
}

static void *reaper_main(void *unused)
{
	(void)unused;
	for (;;) {
		struct pollfd *p;
		size_t n;
		u64 drain;

		pthread_mutex_lock(&reg.lock);
		n = reg.nr;
		p = calloc(n + 1, sizeof(*p));
		for (size_t i = 0; p && i < n; i++)
			p[i] = (struct pollfd){ .fd = reg.objs[i]->peer, .events = POLLIN };
		pthread_mutex_unlock(&reg.lock);
		if (!p) {
			sleep(1);
			continue;
		}
		p[n] = (struct pollfd){ .fd = reg.wake, .events = POLLIN };
		if (poll(p, n + 1, -1) > 0) {
			if (p[n].revents & POLLIN && read(reg.wake, &drain, sizeof(drain)) < 0)
				perror("softtdx: reaper");
			pthread_mutex_lock(&reg.lock);
			reap_locked();
			pthread_mutex_unlock(&reg.lock);
		}
		free(p);
	}
	return NULL;
}

/* ---- user memory ------------------------------------------------------------------- */

int kvm_copy_from_user(void *dst, unsigned long uaddr, size_t len)
{
	struct iovec local = { dst, len }, remote = { (void *)uaddr, len };

	if (!len)
		return 0;
	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

int kvm_copy_to_user(unsigned long uaddr, const void *src, size_t len)
{
	struct iovec local = { (void *)src, len }, remote = { (void *)uaddr, len };

	if (!len)
		return 0;
	return process_vm_writev(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

/* ---- the device ---------------------------------------------------------------- */

static u64 env_u64(const char *name, u64 def)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return def;
	n = strtoull(v, &end, 0);
	return *end ? def : n;
}

/* SOFTTDX_TRACE=seamcall,tdcall,vmcall: the tracepoints to turn on. */
static u32 env_trace(void)
{
	static const struct { const char *name; u32 bit; } events[] = {
		{ "seamcall", PLATFORM_TRACE_SEAMCALL }, { "tdcall", PLATFORM_TRACE_TDCALL },
		{ "vmcall", PLATFORM_TRACE_VMCALL },
	};
	const char *v = getenv("SOFTTDX_TRACE");
	u32 mask = 0;

	while (v && *v) {
		size_t len = strcspn(v, ",");
		bool known = false;

		for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
			if (strlen(events[i].name) == len && !strncmp(v, events[i].name, len)) {
				mask |= events[i].bit;
				known = true;
			}
		}
		if (len && !known)
			fprintf(stderr, "softtdx: SOFTTDX_TRACE: unknown event '%.*s' (seamcall, "
					"tdcall, vmcall)\n", (int)len, v);
		v += len + (v[len] == ',');
	}
	return mask;
}

/*
 * The machine softtdx's KVM runs on: SOFTTDX_MEM_GB of TDX memory (default
 * 4), SOFTTDX_LPS logical processors (default 64: a TD gets at most as many
 * vCPUs, as upstream caps them at the present CPUs) and 64 TDX KeyIDs,
 * then the TDX module brought up on it.  Without TDX, only default VMs can be created.
 */
static void dev_init(void)
{
	struct platform_config cfg;
	pthread_t reaper;

	platform_default_config(&cfg);
	/* 64 TDX KeyIDs, as on a Sapphire Rapids part: 63 TDs at once. */
	cfg.keyid_bits = 7;
	cfg.nr_private_keyids = 64;
	cfg.mem_size = env_u64("SOFTTDX_MEM_GB", 4) << 30;
	cfg.lps_per_package = (u32)env_u64("SOFTTDX_LPS", 64);
	cfg.trace = env_trace();
	dev.tdx = tdx_host_create(&cfg);
	if (!dev.tdx)
		fprintf(stderr, "softtdx: TDX module unavailable; only default VMs\n");
	reg.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (reg.wake < 0 || pthread_create(&reaper, NULL, reaper_main, NULL)) {
		perror("softtdx: cannot start the descriptor reaper");
		abort();
	}
	pthread_detach(reaper);
}

struct kvm_dev *kvm_dev(void)
{
	pthread_once(&dev_once, dev_init);
	return &dev;
}

u32 kvm_current_lp(void)
{
	static _Atomic u32 next;
	static __thread u32 lp = ~0u;

	if (lp == ~0u)
		lp = atomic_fetch_add(&next, 1) % platform_nr_lps(dev.tdx->plat);
	return lp;
}

u64 kvm_seamcall_on(u32 lp, u64 leaf, struct seamcall_regs *regs)
{
	u64 rcx = regs->rcx, rdx = regs->rdx, st;

	regs->rax = leaf;
	st = seamcall(dev.tdx->mod, lp, regs);
	if (platform_get_config(dev.tdx->plat)->trace & PLATFORM_TRACE_SEAMCALL)
		fprintf(stderr, "softtdx-trace: seamcall LP %u %s rcx=%#llx rdx=%#llx -> %s\n", lp,
			tdh_leaf_name(leaf), (unsigned long long)rcx, (unsigned long long)rdx,
			tdx_status_name(st));
	return st;
}

u64 kvm_seamcall(u64 leaf, struct seamcall_regs *regs)
{
	return kvm_seamcall_on(kvm_current_lp(), leaf, regs);
}

static long dev_get_api_version(unsigned long arg)
{
	return arg ? -EINVAL : KVM_API_VERSION;
}

long kvm_dev_ioctl(struct kvm_obj *obj, unsigned int request, unsigned long arg)
{
	(void)obj;
	switch (request) {
	case KVM_GET_API_VERSION:
		return dev_get_api_version(arg);
	case KVM_CREATE_VM:
		return kvm_create_vm(arg);
	case KVM_CHECK_EXTENSION:
		return kvm_check_extension_generic(NULL, (long)arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		return arg ? -EINVAL : KVM_VCPU_MMAP_PAGES * 4096;
	case KVM_GET_MSR_INDEX_LIST:
		return kvm_get_msr_index_list(arg);
	case KVM_GET_SUPPORTED_CPUID:
		return kvm_get_supported_cpuid(arg);
	case KVM_X86_GET_MCE_CAP_SUPPORTED:
		return kvm_get_mce_cap_supported(arg);
	default:
		return -EINVAL;	/* x86's kvm_arch_dev_ioctl */
	}
}

static void dev_release(struct kvm_obj *obj)
{
	free(obj);
}

static const struct kvm_obj_ops dev_ops = {
	.ioctl = kvm_dev_ioctl,
	.release = dev_release,
};

/* ---- the public door ----------------------------------------------------------- */

static int set_errno(long ret)
{
	if (ret >= 0)
		return (int)ret;
	errno = (int)-ret;
	return -1;
}

int softtdx_kvm_open(void)
{
	struct kvm_obj *obj;
	int fd;

	kvm_dev();
	obj = calloc(1, sizeof(*obj));
	if (!obj)
		return set_errno(-ENOMEM);
	fd = kvm_obj_install(obj, KVM_OBJ_SYSTEM, &dev_ops);
	if (fd < 0)
		free(obj);
	return set_errno(fd);
}

int softtdx_ioctl(int fd, unsigned long request, ...)
{
	struct kvm_obj *obj = kvm_obj_of_fd(fd);
	unsigned long arg;
	va_list ap;
	long ret;

	va_start(ap, request);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	if (!obj)
		return set_errno(fcntl(fd, F_GETFD) < 0 ? -EBADF : -ENOTTY);
	ret = forked_child ? -EIO : obj->ops->ioctl(obj, (unsigned int)request, arg);
	kvm_obj_put(obj);
	return set_errno(ret);
}

/*
 * vfs_fallocate()'s checks, then the file's own: only a guest_memfd (a
 * regular inode on Linux) has a fallocate method; the other KVM files are
 * anonymous inodes, ENODEV.
 */
int softtdx_fallocate(int fd, int mode, off_t offset, off_t len)
{
	const int supported = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_NO_HIDE_STALE |
			      FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_ZERO_RANGE |
			      FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE;
	struct kvm_obj *obj = kvm_obj_of_fd(fd);
	long ret;

	if (!obj)
		ret = -EBADF;
	else if (offset < 0 || len <= 0)
		ret = -EINVAL;
	else if (mode & ~supported ||
		 ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE)))
		ret = -EOPNOTSUPP;
	else if (obj->type != KVM_OBJ_GMEM)
		ret = -ENODEV;
	else if ((u64)offset + (u64)len > (u64)INT64_MAX)	/* past s_maxbytes */
		ret = -EFBIG;
	else
		ret = kvm_gmem_fallocate((struct kvm_gmem *)obj, mode, (u64)offset, (u64)len);
	if (obj)
		kvm_obj_put(obj);
	return set_errno(ret);
}

bool softtdx_is_kvm_fd(int fd)
{
	struct kvm_obj *obj = kvm_obj_of_fd(fd);

	if (obj)
		kvm_obj_put(obj);
	return obj != NULL;
}

void softtdx_kvm_quiesce(void)
{
	pthread_mutex_lock(&reg.lock);
	reap_locked();
	while (reg.reaping)
		pthread_cond_wait(&reg.idle, &reg.lock);
	pthread_mutex_unlock(&reg.lock);
}

int softtdx_close(int fd)
{
	bool ours = !forked_child && softtdx_is_kvm_fd(fd);
	int ret = sys_close(fd);

	if (!ret && ours)
		softtdx_kvm_quiesce();
	return ret;
}

int softtdx_kvm_stats(struct softtdx_kvm_stats *st)
{
	struct kvm_dev *d = kvm_dev();

	softtdx_kvm_quiesce();
	*st = (struct softtdx_kvm_stats){ 0 };
	pthread_mutex_lock(&reg.lock);
	st->objects = (unsigned int)reg.nr;
	pthread_mutex_unlock(&reg.lock);
	if (d->tdx) {
		struct tdx_module_stats ms;

		tdx_module_get_stats(d->tdx->mod, &ms);
		st->free_pages = platform_free_page_count(d->tdx->plat);
		st->hkids_in_use = tdx_host_hkids_in_use(d->tdx);
		st->mirror_bytes = tdx_mirror_bytes();
		st->private_pages = tdx_private_pages();
		st->large_mappings = tdx_large_mappings();
		st->pamt_bytes = ms.pamt_bytes;
		st->tdx_memory_bytes = ms.tdmr_bytes;
	}
	return 0;
}
