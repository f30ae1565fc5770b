// SPDX-License-Identifier: MIT
/*
 * eventfds in place of exits and interrupt lines, as virt/kvm/eventfd.c:
 * KVM_IOEVENTFD claims guest writes to a port or MMIO address (of one
 * length, or any with length 0, optionally only of one value) and signals
 * an eventfd instead of exiting to userspace; KVM_IRQFD fires a GSI's
 * routes whenever userspace signals an eventfd, from a thread that polls
 * them all for the VM.
 *
 * KVM holds the eventfd itself, not the descriptor number: each is kept
 * as a duplicate, and "the same eventfd" is the same open file (kcmp).
 */
#include "kvm_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#define IOEVENTFD_VALID_FLAGS	(KVM_IOEVENTFD_FLAG_DATAMATCH | KVM_IOEVENTFD_FLAG_PIO | \
				 KVM_IOEVENTFD_FLAG_DEASSIGN | KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY)
#define BUS_MMIO		0
#define BUS_PIO			1
#define BUS_CCW			2	/* s390's virtio notifications: never written on x86 */

struct ioeventfd {
	int fd;				/* KVM's own duplicate */
	int bus;
	u64 addr, datamatch;
	u32 len;			/* 0: any length */
	bool wildcard;			/* no DATAMATCH: any value */
};

struct irqfd {
	int fd;
	u32 gsi;
};

struct kvm_eventfds {
	pthread_mutex_t lock;
	struct ioeventfd *io;
	size_t nr_io;
	struct irqfd *irq;
	size_t nr_irq;
	u64 gen;			/* bumped at each change of irq[] */
	pthread_t thread;
	int wake;			/* tells the thread the set changed, or to quit */
	bool thread_started, quit;
};

static struct kvm_eventfds *eventfds(struct kvm_vm *vm)
{
	struct kvm_eventfds *e;

	pthread_mutex_lock(&vm->lock);
	e = vm->eventfds;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (e) {
			pthread_mutex_init(&e->lock, NULL);
			e->wake = -1;
			vm->eventfds = e;
		}
	}
	pthread_mutex_unlock(&vm->lock);
	return e;
}

/* eventfd_ctx_fdget(): a bad descriptor is EBADF, one that is no eventfd EINVAL. */
static int dup_eventfd(int fd)
{
	char path[32], target[64];
	ssize_t n;
	int copy;

	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -EBADF;
	target[n] = 0;
	if (strcmp(target, "anon_inode:[eventfd]"))
		return -EINVAL;
	copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	return copy < 0 ? -errno : copy;
}

static bool same_file(int a, int b)
{
	pid_t self = getpid();

	return syscall(SYS_kcmp, self, self, KCMP_FILE, a, b) == 0;
}

static void signal_eventfd(int fd)
{
	u64 one = 1;

	if (write(fd, &one, sizeof(one)) < 0) {
		/* A full counter (2^64 - 2 pending): the reader has plenty to do already. */
	}
}

/* ---- KVM_IOEVENTFD ---------------------------------------------------------------------- */

static int bus_of(u32 flags)
{
	if (flags & KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY)
		return BUS_CCW;
	return flags & KVM_IOEVENTFD_FLAG_PIO ? BUS_PIO : BUS_MMIO;
}

/* ioeventfd_check_collision(): same bus, address and length, and the same value or any. */
static bool collides(const struct ioeventfd *p, int bus, const struct kvm_ioeventfd *a)
{
	bool wildcard = !(a->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);

	return p->bus == bus && p->addr == a->addr && p->len == a->len &&
	       (p->wildcard || wildcard || p->datamatch == a->datamatch);
}

static long ioeventfd_assign(struct kvm_eventfds *e, const struct kvm_ioeventfd *a)
{
	int bus = bus_of(a->flags), fd = dup_eventfd(a->fd);
	struct ioeventfd *grown;
	long ret = 0;

	if (fd < 0)
		return fd;
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->nr_io && !ret; i++)
		if (collides(&e->io[i], bus, a))
			ret = -EEXIST;
	grown = ret ? NULL : realloc(e->io, (e->nr_io + 1) * sizeof(*e->io));
	if (!ret && !grown)
		ret = -ENOMEM;
	if (!ret) {
		e->io = grown;
		e->io[e->nr_io++] = (struct ioeventfd){
			fd, bus, a->addr, a->datamatch, a->len,
			!(a->flags & KVM_IOEVENTFD_FLAG_DATAMATCH),
		};
	}
	pthread_mutex_unlock(&e->lock);
	if (ret)
		close(fd);
	return ret;
}

/* kvm_deassign_ioeventfd_idx(): the entry with this eventfd, address, length and value. */
static long ioeventfd_deassign(struct kvm_eventfds *e, const struct kvm_ioeventfd *a)
{
	bool wildcard = !(a->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	int bus = bus_of(a->flags), fd = dup_eventfd(a->fd);
	long ret = -ENOENT;

	if (fd < 0)
		return fd;
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->nr_io; i++) {
		struct ioeventfd *p = &e->io[i];

		if (p->bus != bus || p->addr != a->addr || p->len != a->len ||
		    p->wildcard != wildcard || (!wildcard && p->datamatch != a->datamatch) ||
		    !same_file(p->fd, fd))
			continue;
		close(p->fd);
		*p = e->io[--e->nr_io];
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&e->lock);
	close(fd);
	return ret;
}

long kvm_vm_ioeventfd(struct kvm_vm *vm, unsigned long arg)
{
	struct kvm_ioeventfd a;
	struct kvm_eventfds *e;

	if (kvm_copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	if (a.flags & ~IOEVENTFD_VALID_FLAGS)
		return -EINVAL;
	if (a.len != 0 && a.len != 1 && a.len != 2 && a.len != 4 && a.len != 8)
		return -EINVAL;
	if (a.addr + a.len < a.addr)
		return -EINVAL;
	if (!a.len && (a.flags & KVM_IOEVENTFD_FLAG_DATAMATCH))
		return -EINVAL;
	e = eventfds(vm);
	if (!e)
		return -ENOMEM;
	return a.flags & KVM_IOEVENTFD_FLAG_DEASSIGN ? ioeventfd_deassign(e, &a) :
						       ioeventfd_assign(e, &a);
}

/* ioeventfd_in_range(): the address, the length unless any, the value unless any. */
static bool claims(const struct ioeventfd *p, int bus, u64 addr, u32 len, u64 val)
{
	u64 mask = len == 8 ? ~0ULL : (1ULL << 8 * len) - 1;

	if (p->bus != bus || p->addr != addr)
		return false;
	if (!p->len)
		return true;
	return p->len == len && (p->wildcard || (p->datamatch & mask) == (val & mask));
}

bool kvm_ioeventfd_write(struct kvm_vm *vm, bool pio, u64 addr, u32 len, u64 val)
{
	struct kvm_eventfds *e = vm->eventfds;
	bool claimed = false;

	if (!e)
		return false;
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->nr_io && !claimed; i++) {
		if (claims(&e->io[i], pio ? BUS_PIO : BUS_MMIO, addr, len, val)) {
			signal_eventfd(e->io[i].fd);
			claimed = true;
		}
	}
	pthread_mutex_unlock(&e->lock);
	return claimed;
}

/* ---- KVM_IRQFD ------------------------------------------------------------------------- */

/* The set to poll, copied under the lock with its generation: the wake-up descriptor first. */
static size_t poll_set(struct kvm_eventfds *e, struct pollfd **fds, u32 **gsis, u64 *gen)
{
	size_t n;

	pthread_mutex_lock(&e->lock);
	n = e->nr_irq + 1;
	*gen = e->gen;
	*fds = calloc(n, sizeof(**fds));
	*gsis = calloc(n, sizeof(**gsis));
	if (!*fds || !*gsis) {
		free(*fds);
		free(*gsis);
		pthread_mutex_unlock(&e->lock);
		return 0;
	}
	(*fds)[0] = (struct pollfd){ .fd = e->wake, .events = POLLIN };
	for (size_t i = 1; i < n; i++) {
		(*fds)[i] = (struct pollfd){ .fd = e->irq[i - 1].fd, .events = POLLIN };
		(*gsis)[i] = e->irq[i - 1].gsi;
	}
	pthread_mutex_unlock(&e->lock);
	return n;
}

/* Consumes a signalled eventfd's count without blocking (its O_NONBLOCK is the VMM's). */
static bool take_signal(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	u64 count;

	return poll(&p, 1, 0) == 1 && read(fd, &count, sizeof(count)) == sizeof(count);
}

/*
 * irqfd_wakeup(): each signal is consumed and fires the GSI once.  What
 * poll saw counts only if the set has not changed since (a descriptor
 * closed by a deassignment may have been reused); otherwise the thread
 * takes the set anew, and what is still signalled is seen again.
 */
static void *irqfd_thread(void *arg)
{
	struct kvm_vm *vm = arg;
	struct kvm_eventfds *e = vm->eventfds;

	for (;;) {
		struct pollfd *fds;
		u32 *gsis;
		u64 gen;
		size_t n = poll_set(e, &fds, &gsis, &gen);
		bool quit;

		if (!n)
			return NULL;
		if (poll(fds, n, -1) > 0) {
			pthread_mutex_lock(&e->lock);
			if (fds[0].revents & POLLIN)
				take_signal(e->wake);
			for (size_t i = 1; i < n && e->gen == gen; i++)
				if ((fds[i].revents & POLLIN) && take_signal(fds[i].fd))
					kvm_vm_fire_gsi(vm, gsis[i]);
			pthread_mutex_unlock(&e->lock);
		}
		free(fds);
		free(gsis);
		pthread_mutex_lock(&e->lock);
		quit = e->quit;
		pthread_mutex_unlock(&e->lock);
		if (quit)
			return NULL;
	}
}

/* The set changed (under the lock): the thread polls the new one. */
static void rescan(struct kvm_eventfds *e)
{
	e->gen++;
	signal_eventfd(e->wake);
}

static long irqfd_assign(struct kvm_vm *vm, struct kvm_eventfds *e, const struct kvm_irqfd *a)
{
	int fd = dup_eventfd((int)a->fd);
	struct irqfd *grown;
	long ret = 0;

	if (fd < 0)
		return fd;
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->nr_irq && !ret; i++)
		if (same_file(e->irq[i].fd, fd))
			ret = -EBUSY;
	if (!ret && e->wake < 0 && (e->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		ret = -errno;
	if (!ret && !e->thread_started) {
		if (pthread_create(&e->thread, NULL, irqfd_thread, vm))
			ret = -ENOMEM;
		else
			e->thread_started = true;
	}
	grown = ret ? NULL : realloc(e->irq, (e->nr_irq + 1) * sizeof(*e->irq));
	if (!ret && !grown)
		ret = -ENOMEM;
	if (!ret) {
		e->irq = grown;
		e->irq[e->nr_irq++] = (struct irqfd){ fd, a->gsi };
		rescan(e);
	}
	pthread_mutex_unlock(&e->lock);
	if (ret)
		close(fd);
	return ret;
}

/* kvm_irqfd_deassign(): every irqfd of this eventfd and GSI goes; none is no error. */
static long irqfd_deassign(struct kvm_eventfds *e, const struct kvm_irqfd *a)
{
	int fd = dup_eventfd((int)a->fd);

	if (fd < 0)
		return fd;
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->nr_irq;) {
		if (e->irq[i].gsi == a->gsi && same_file(e->irq[i].fd, fd)) {
			close(e->irq[i].fd);
			e->irq[i] = e->irq[--e->nr_irq];
		} else {
			i++;
		}
	}
	if (e->wake >= 0)
		rescan(e);
	pthread_mutex_unlock(&e->lock);
	close(fd);
	return 0;
}

long kvm_vm_irqfd(struct kvm_vm *vm, unsigned long arg)
{
	struct kvm_irqfd a;
	struct kvm_eventfds *e;

	if (kvm_copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	if (a.flags & ~(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	e = eventfds(vm);
	if (!e)
		return -ENOMEM;
	if (a.flags & KVM_IRQFD_FLAG_DEASSIGN)
		return irqfd_deassign(e, &a);
	/* kvm_arch_irqfd_allowed(): resampling needs the full in-kernel irqchip. */
	if (!vm->split_irqchip || (a.flags & KVM_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	return irqfd_assign(vm, e, &a);
}

void kvm_vm_free_eventfds(struct kvm_vm *vm)
{
	struct kvm_eventfds *e = vm->eventfds;

	if (!e)
		return;
	if (e->thread_started) {
		pthread_mutex_lock(&e->lock);
		e->quit = true;
		rescan(e);
		pthread_mutex_unlock(&e->lock);
		pthread_join(e->thread, NULL);
	}
	for (size_t i = 0; i < e->nr_io; i++)
		close(e->io[i].fd);
	for (size_t i = 0; i < e->nr_irq; i++)
		close(e->irq[i].fd);
	if (e->wake >= 0)
		close(e->wake);
	free(e->io);
	free(e->irq);
	pthread_mutex_destroy(&e->lock);
	free(e);
	vm->eventfds = NULL;
}
