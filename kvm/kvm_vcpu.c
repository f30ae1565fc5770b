// SPDX-License-Identifier: MIT
/*
 * vCPUs: KVM_CREATE_VCPU, the vCPU descriptor with its mmap-able kvm_run
 * area, KVM_SET/GET_CPUID2, and the dispatch of vCPU ioctls to the VMX or
 * TDX half.  A vCPU descriptor holds its VM; the vCPU itself lives until
 * the VM is destroyed, as on Linux.
 */
#include "kvm_internal.h"
#include "lapic.h"

#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define RUN_AREA_SIZE	(KVM_VCPU_MMAP_PAGES * 4096)

const struct kvm_cpuid_entry2 *kvm_vcpu_cpuid(struct kvm_vcpu *vcpu, u32 function, u32 index)
{
	struct kvm_cpuid2 *c = vcpu->cpuid;

	for (u32 i = 0; c && i < c->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == function &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index))
			return e;
	}
	return NULL;
}

static long vcpu_set_cpuid2(struct kvm_vcpu *vcpu, unsigned long arg)
{
	struct kvm_cpuid2 hdr, *c;
	size_t len;

	if (kvm_copy_from_user(&hdr, arg, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > KVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	len = sizeof(hdr) + hdr.nent * sizeof(struct kvm_cpuid_entry2);
	c = malloc(len);
	if (!c)
		return -ENOMEM;
	if (kvm_copy_from_user(c, arg, len)) {
		free(c);
		return -EFAULT;
	}
	free(vcpu->cpuid);
	vcpu->cpuid = c;
	return 0;
}

static long vcpu_get_cpuid2(struct kvm_vcpu *vcpu, unsigned long arg)
{
	u32 have = vcpu->cpuid ? vcpu->cpuid->nent : 0;
	struct kvm_cpuid2 hdr;

	if (kvm_copy_from_user(&hdr, arg, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < have) {
		hdr.nent = have;
		return kvm_copy_to_user(arg, &hdr, sizeof(hdr)) ? -EFAULT : -E2BIG;
	}
	hdr.nent = have;
	if (kvm_copy_to_user(arg, &hdr, sizeof(hdr)) ||
	    kvm_copy_to_user(arg + sizeof(hdr), vcpu->cpuid ? vcpu->cpuid->entries : NULL,
			     have * sizeof(struct kvm_cpuid_entry2)))
		return -EFAULT;
	return 0;
}

static long vcpu_ioctl(struct kvm_obj *obj, unsigned int request, unsigned long arg)
{
	struct kvm_vcpu *vcpu = (struct kvm_vcpu *)obj;
	long ret;

	if (atomic_load(&vcpu->vm->dead))
		return -EIO;
	pthread_mutex_lock(&vcpu->lock);
	switch (request) {
	case KVM_SET_CPUID2:
		ret = vcpu_set_cpuid2(vcpu, arg);
		break;
	case KVM_GET_CPUID2:
		ret = vcpu_get_cpuid2(vcpu, arg);
		break;
	case KVM_MEMORY_ENCRYPT_OP:
		ret = vcpu->vm->vcpu_ops->mem_enc_op(vcpu, arg);
		break;
	default:
		ret = kvm_arch_vcpu_ioctl(vcpu, request, arg);
		break;
	}
	pthread_mutex_unlock(&vcpu->lock);
	return ret;
}

/* The descriptor went away; the vCPU stays with its VM. */
static void vcpu_release(struct kvm_obj *obj)
{
	kvm_obj_put(&((struct kvm_vcpu *)obj)->vm->obj);
}

static const struct kvm_obj_ops vcpu_obj_ops = {
	.ioctl = vcpu_ioctl,
	.release = vcpu_release,
};

#define SLEEP_MAX_NS	1000000L

/*
 * The sleeper marks itself before reading the sequence and the waker bumps
 * the sequence before looking for a sleeper (both sequentially consistent):
 * an event posted meanwhile is either seen by the caller's check or wakes
 * the futex, and a vCPU that runs costs its wakers no system call.
 */
u32 kvm_vcpu_wake_seq(struct kvm_vcpu *vcpu)
{
	atomic_store(&vcpu->sleeping, true);
	return atomic_load(&vcpu->wake_seq);
}

void kvm_vcpu_sleep(struct kvm_vcpu *vcpu, u32 seq)
{
	struct timespec ts = { 0, SLEEP_MAX_NS };

	syscall(SYS_futex, &vcpu->wake_seq, FUTEX_WAIT_PRIVATE, seq, &ts, NULL, 0);
	atomic_store(&vcpu->sleeping, false);
}

void kvm_vcpu_wake(struct kvm_vcpu *vcpu)
{
	atomic_fetch_add(&vcpu->wake_seq, 1);
	if (atomic_load(&vcpu->sleeping))
		syscall(SYS_futex, &vcpu->wake_seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void kvm_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	lapic_timer_destroy(vcpu);
	vcpu->vm->vcpu_ops->free(vcpu);
	munmap(vcpu->run, RUN_AREA_SIZE);
	close(vcpu->run_fd);
	free(vcpu->cpuid);
	pthread_mutex_destroy(&vcpu->lock);
	free(vcpu);
}

static struct kvm_vcpu *vcpu_alloc(struct kvm_vm *vm, u32 id)
{
	struct kvm_vcpu *vcpu = calloc(1, sizeof(*vcpu));

	if (!vcpu)
		return NULL;
	vcpu->vm = vm;
	vcpu->id = id;
	kvm_vcpu_arch_reset(vcpu);
	pthread_mutex_init(&vcpu->lock, NULL);
	vcpu->run_fd = memfd_create("softtdx-kvm-run", MFD_CLOEXEC);
	if (vcpu->run_fd < 0 || ftruncate(vcpu->run_fd, RUN_AREA_SIZE))
		goto fail;
	vcpu->run = mmap(NULL, RUN_AREA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->run_fd, 0);
	if (vcpu->run == MAP_FAILED)
		goto fail;
	return vcpu;
fail:
	if (vcpu->run_fd >= 0)
		close(vcpu->run_fd);
	free(vcpu);
	return NULL;
}

static bool vcpu_id_taken(struct kvm_vm *vm, u32 id)
{
	for (u32 i = 0; i < vm->created_vcpus; i++)
		if (vm->vcpus[i]->id == id)
			return true;
	return false;
}

long kvm_vm_create_vcpu(struct kvm_vm *vm, unsigned long id)
{
	struct kvm_vcpu *vcpu;
	long ret;

	if (id >= KVM_MAX_VCPUS_SUPPORTED)
		return -EINVAL;
	pthread_mutex_lock(&vm->lock);
	ret = -EINVAL;
	if (vm->created_vcpus >= vm->max_vcpus || (vm->max_vcpu_ids && id >= vm->max_vcpu_ids))
		goto out;
	ret = -EEXIST;
	if (vcpu_id_taken(vm, (u32)id))
		goto out;
	ret = -ENOMEM;
	vcpu = vcpu_alloc(vm, (u32)id);
	if (!vcpu)
		goto out;
	ret = vm->vcpu_ops->create(vcpu);
	if (ret) {
		kvm_vcpu_destroy(vcpu);
		goto out;
	}
	kvm_obj_get(&vm->obj);
	ret = kvm_obj_install(&vcpu->obj, KVM_OBJ_VCPU, &vcpu_obj_ops);
	if (ret < 0) {
		kvm_obj_put(&vm->obj);
		kvm_vcpu_destroy(vcpu);
		goto out;
	}
	vm->vcpus[vm->created_vcpus++] = vcpu;
out:
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

/* mmap() of a vCPU descriptor: the kvm_run page and the two after it. */
void *softtdx_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct kvm_obj *obj = kvm_obj_of_fd(fd);
	void *p = MAP_FAILED;

	if (!obj || obj->type != KVM_OBJ_VCPU) {
		errno = obj ? ENODEV : EBADF;
	} else if (off < 0 || (size_t)off + len > RUN_AREA_SIZE) {
		errno = EINVAL;
	} else {
		p = mmap(addr, len, prot, flags, ((struct kvm_vcpu *)obj)->run_fd, off);
	}
	if (obj)
		kvm_obj_put(obj);
	return p;
}

/* ---- the normal (VMX) vCPU ------------------------------------------------------- */

static int vmx_vcpu_create(struct kvm_vcpu *vcpu)
{
	(void)vcpu;
	return 0;
}

static void vmx_vcpu_free(struct kvm_vcpu *vcpu)
{
	vmx_vcpu_teardown(vcpu);
}

static long vmx_vcpu_mem_enc_op(struct kvm_vcpu *vcpu, unsigned long arg)
{
	(void)vcpu;
	(void)arg;
	return -EINVAL;	/* vt_vcpu_mem_enc_ioctl on a non-TD vCPU */
}

static int vmx_vcpu_pre_run(struct kvm_vcpu *vcpu)
{
	(void)vcpu;
	return 1;
}

static long vmx_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int request, unsigned long arg)
{
	(void)vcpu;
	(void)request;
	(void)arg;
	return -EINVAL;	/* x86's kvm_arch_vcpu_ioctl */
}

const struct kvm_vcpu_ops vmx_vcpu_ops = {
	.create = vmx_vcpu_create,
	.free = vmx_vcpu_free,
	.mem_enc_op = vmx_vcpu_mem_enc_op,
	.pre_run = vmx_vcpu_pre_run,
	.run = vmx_vcpu_run,
	.get_msr = kvm_get_msr_common,
	.set_msr = kvm_set_msr_common,
	.vendor_ioctl = vmx_vcpu_ioctl,
};
