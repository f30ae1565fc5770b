// SPDX-License-Identifier: MIT
/*
 * libFuzzer: sequences of KVM ioctls on softtdx's /dev/kvm, as a hostile
 * VMM would issue them: on the system, VM, vCPU and guest_memfd
 * descriptors the sequence created, with argument structs of the input's
 * bytes.  Every descriptor is closed at the end, so each input starts from
 * nothing.  A record is:
 *   [0] descriptor slot   [1] ioctl (or close)   [2] flags: bit 7 points
 *   struct's pointer field at a scratch area, bits 0-6 are the integer
 *   argument of an integer ioctl   [3] n, then n bytes: the start of the
 *   argument struct (the rest is zero)
 * KVM_RUN is left out: what guests do is the SEAMCALL and engine fuzzers'.
 */
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <softtdx/kvm.h>
#include <softtdx/uapi/kvm_tdx.h>

#define MAX_FDS		16
#define ARG_SIZE	4096
#define RAM_SIZE	(2u << 20)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

struct req {
	unsigned long nr;
	bool integer;		/* the argument is a number, not a struct */
	int ptr_at;		/* offset of a pointer field, or -1 */
};

/* The pointer fields: kvm_tdx_cmd.data, userspace_addr, source_addr, ... */
static const struct req reqs[] = {
	{ KVM_CREATE_VM, true, -1 },
	{ KVM_CHECK_EXTENSION, true, -1 },
	{ KVM_GET_VCPU_MMAP_SIZE, true, -1 },
	{ KVM_GET_SUPPORTED_CPUID, false, -1 },
	{ KVM_CREATE_VCPU, true, -1 },
	{ KVM_CREATE_GUEST_MEMFD, false, -1 },
	{ KVM_SET_USER_MEMORY_REGION, false, 16 },
	{ KVM_SET_USER_MEMORY_REGION2, false, 24 },
	{ KVM_SET_MEMORY_ATTRIBUTES, false, -1 },
	{ KVM_ENABLE_CAP, false, -1 },
	{ KVM_MEMORY_ENCRYPT_OP, false, 8 },
	{ KVM_SET_CPUID2, false, -1 },
	{ KVM_GET_CPUID2, false, -1 },
	{ KVM_PRE_FAULT_MEMORY, false, -1 },
	{ KVM_SIGNAL_MSI, false, -1 },
	{ KVM_SET_GSI_ROUTING, false, -1 },
	{ KVM_IRQFD, false, -1 },
	{ KVM_IOEVENTFD, false, -1 },
	{ KVM_GET_REGS, false, -1 },
	{ KVM_SET_REGS, false, -1 },
	{ KVM_GET_SREGS, false, -1 },
	{ KVM_SET_SREGS, false, -1 },
	{ KVM_GET_MSRS, false, -1 },
	{ KVM_SET_MSRS, false, -1 },
	{ KVM_GET_MP_STATE, false, -1 },
	{ KVM_SET_MP_STATE, false, -1 },
	{ KVM_GET_CLOCK, false, -1 },
	{ KVM_SET_CLOCK, false, -1 },
	{ KVM_INTERRUPT, false, -1 },
	{ KVM_NMI, true, -1 },
	{ KVM_GET_DIRTY_LOG, false, 8 },
	{ KVM_SET_TSC_KHZ, true, -1 },
	{ KVM_GET_TSC_KHZ, true, -1 },
	{ KVM_X86_SETUP_MCE, false, -1 },
	{ KVM_GET_FPU, false, -1 },
	{ KVM_SET_FPU, false, -1 },
	{ KVM_GET_LAPIC, false, -1 },
	{ KVM_SET_LAPIC, false, -1 },
	{ KVM_SET_TSS_ADDR, true, -1 },
	{ KVM_SET_IDENTITY_MAP_ADDR, false, -1 },
};
#define NR_REQS		(sizeof(reqs) / sizeof(reqs[0]))

static uint8_t *scratch;	/* what pointer fields point at */
static uint8_t *ram;		/* userspace_addr when it points at scratch */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	scratch = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ram = scratch;
	return scratch == MAP_FAILED;
}

/* One record's ioctl: a new descriptor goes into @fds. */
static void issue(int *fds, int *nr, const uint8_t *r, const uint8_t *bytes, size_t n)
{
	static uint8_t arg[ARG_SIZE] __attribute__((aligned(16)));
	int fd = fds[r[0] % *nr], ret;
	const struct req *q;

	if (r[1] >= NR_REQS) {	/* close one, never the system descriptor */
		int slot = 1 + r[0] % (*nr > 1 ? *nr - 1 : 1);

		if (slot < *nr) {
			softtdx_close(fds[slot]);
			fds[slot] = fds[--*nr];
		}
		return;
	}
	q = &reqs[r[1]];
	memset(arg, 0, sizeof(arg));
	memcpy(arg, bytes, n);
	if ((r[2] & 0x80) && q->ptr_at >= 0) {
		uint64_t p = (uint64_t)(uintptr_t)(q->nr == KVM_MEMORY_ENCRYPT_OP ? scratch : ram);

		memcpy(arg + q->ptr_at, &p, sizeof(p));
	}
	ret = q->integer ? softtdx_ioctl(fd, q->nr, (unsigned long)(r[2] & 0x7F)) :
			   softtdx_ioctl(fd, q->nr, arg);
	if (ret >= 0 && (q->nr == KVM_CREATE_VM || q->nr == KVM_CREATE_VCPU ||
			 q->nr == KVM_CREATE_GUEST_MEMFD)) {
		if (*nr < MAX_FDS)
			fds[(*nr)++] = ret;
		else
			softtdx_close(ret);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	int fds[MAX_FDS], nr = 1;

	fds[0] = softtdx_kvm_open();
	if (fds[0] < 0)
		return 0;
	for (size_t off = 0; off + 4 <= len;) {
		const uint8_t *r = data + off;
		size_t n = r[3];

		if (off + 4 + n > len)
			n = len - off - 4;
		issue(fds, &nr, r, r + 4, n);
		off += 4 + n;
	}
	while (nr)
		softtdx_close(fds[--nr]);
	return 0;
}
