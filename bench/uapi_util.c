// SPDX-License-Identifier: MIT
#include "uapi_util.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <softtdx/kvm.h>
#include <softtdx/uapi/kvm_tdx.h>

/* Leaves KVM_TDX_CAPABILITIES may list: far more than the module has. */
#define MAX_CPUID_ENTRIES	64

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void bench_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench/%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void bench_check(int ret, const char *what)
{
	if (ret < 0)
		bench_die("%s: %s", what, strerror(errno));
}

int bench_tdx_cmd(int fd, unsigned int id, void *data, unsigned int flags)
{
	struct kvm_tdx_cmd cmd = { .id = id, .flags = flags,
				   .data = (unsigned long long)(uintptr_t)data };

	return softtdx_ioctl(fd, KVM_MEMORY_ENCRYPT_OP, &cmd);
}

void bench_init_vm(int td)
{
	size_t entries = MAX_CPUID_ENTRIES * sizeof(struct kvm_cpuid_entry2);
	struct kvm_tdx_capabilities *caps = calloc(1, sizeof(*caps) + entries);
	struct kvm_tdx_init_vm *init = calloc(1, sizeof(*init) + entries);

	if (!caps || !init)
		bench_die("out of memory");
	caps->cpuid.nent = MAX_CPUID_ENTRIES;
	bench_check(bench_tdx_cmd(td, KVM_TDX_CAPABILITIES, caps, 0), "KVM_TDX_CAPABILITIES");
	init->attributes = caps->supported_attrs;
	init->cpuid.nent = caps->cpuid.nent;
	for (unsigned int i = 0; i < caps->cpuid.nent; i++) {
		struct kvm_cpuid_entry2 *e = &init->cpuid.entries[i];

		e->function = caps->cpuid.entries[i].function;
		e->index = caps->cpuid.entries[i].index;
		e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		if (e->function == 0x80000008)
			e->eax = 48 << 16;	/* GPAW 48: the shared bit is 47 */
	}
	bench_check(bench_tdx_cmd(td, KVM_TDX_INIT_VM, init, 0), "KVM_TDX_INIT_VM");
	free(caps);
	free(init);
}
