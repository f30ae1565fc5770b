/* SPDX-License-Identifier: MIT */
/*
 * softtdx's KVM: Linux's /dev/kvm interface, TDX included, in a library.
 *
 * softtdx_kvm_open() returns a file descriptor that stands for /dev/kvm.
 * Every object it creates (VM, vCPU, guest_memfd) is a real, distinct file
 * descriptor: close() and dup() work on them, poll() reports nothing to
 * read, and when the last descriptor of an object closes the object goes
 * away, as on Linux.  Requests and structs are Linux's (<linux/kvm.h> plus
 * <softtdx/uapi/kvm_tdx.h> for what Debian 12's headers lack); the return
 * and errno conventions are ioctl(2)'s.
 *
 * Plain close() is noticed asynchronously; softtdx_close() closes and, if
 * that was the last descriptor, tears the object down before returning.
 */
#ifndef SOFTTDX_KVM_H
#define SOFTTDX_KVM_H

#include <stdbool.h>
#include <sys/types.h>

/* A new descriptor for softtdx's /dev/kvm, or -1 with errno. */
int softtdx_kvm_open(void);

/* ioctl(2) on a softtdx descriptor. */
int softtdx_ioctl(int fd, unsigned long request, ...);

/* mmap(2) of a vCPU descriptor: kvm_run at offset 0 (see KVM_GET_VCPU_MMAP_SIZE). */
void *softtdx_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset);

/* close(2), tearing the object down now if this was its last descriptor. */
int softtdx_close(int fd);

/*
 * fallocate(2) on a softtdx descriptor: a guest_memfd punches holes
 * (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE: private mappings zapped,
 * pages freed) or backs a range (FALLOC_FL_KEEP_SIZE), as Linux's.
 */
int softtdx_fallocate(int fd, int mode, off_t offset, off_t len);

/* Is @fd one of softtdx's KVM descriptors? */
bool softtdx_is_kvm_fd(int fd);

/* Waits until every object whose descriptors are all closed is gone. */
void softtdx_kvm_quiesce(void);

/* What the host side holds right now, for leak checks and tools. */
struct softtdx_kvm_stats {
	unsigned long long free_pages;	/* platform pages not in use */
	unsigned int hkids_in_use;	/* TD HKIDs handed out */
	unsigned int objects;		/* live descriptors' objects */
	unsigned long long mirror_bytes;	/* KVM's mirror S-EPT tables */
	unsigned long long private_pages;	/* 4K pages mapped private in TDs */
	unsigned long long large_mappings;	/* of those, 2M mappings */
	unsigned long long pamt_bytes;		/* PAMT handed to the module */
	unsigned long long tdx_memory_bytes;	/* TDX-managed memory (TDMRs) */
};
int softtdx_kvm_stats(struct softtdx_kvm_stats *st);

#endif /* SOFTTDX_KVM_H */
