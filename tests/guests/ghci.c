// SPDX-License-Identifier: MIT
/*
 * The GHCI TDVMCALLs a TD guest makes, each answered by KVM or by the VMM
 * behind KVM_RUN (tests/uapi/test_td_run.c).  Each 64-bit result goes out
 * as two 32-bit writes, to ports 0x80 (low) and 0x84 (high); the guest
 * ends with TDVMCALL<ReportFatalError>.
 */
#include "guest.h"

#define SHARED47	(1ULL << 47)
#define MSR_APIC_BASE	0x1b

#define SHARED_ALIAS	0x8000000000ULL	/* VA 512 GiB: GPA | bit 47 (boot.S) */

static u64 regs_r11;
static volatile u64 ve_reason, ve_gpa;

/* A TDVMCALL with R10 = @type; the status, R11 in regs_r11. */
static u64 vmcall(u64 type, u64 fn, u64 r12, u64 r13, u64 r14, u64 r15)
{
	struct tdcall_regs r = {
		.rax = TDG_VP_VMCALL, .rcx = TDVMCALL_EXPOSE, .r10 = type, .r11 = fn,
		.r12 = r12, .r13 = r13, .r14 = r14, .r15 = r15,
	};

	tdcall(&r);
	regs_r11 = r.r11;
	return r.r10;
}

static u64 accept(u64 gpa, int level)
{
	struct tdcall_regs r = { .rax = TDG_MEM_PAGE_ACCEPT, .rcx = gpa | (u64)level };

	return tdcall(&r);
}

/* #VE for MMIO: the one instruction below, mov (%rbx),%ecx (2 bytes). */
static void on_ve(struct guest_frame *f)
{
	struct tdcall_regs r = { .rax = TDG_VP_VEINFO_GET };

	if (f->vector != 20 || tdcall(&r))
		guest_exit(0x40 + (u8)f->vector);
	ve_reason = r.rcx;
	ve_gpa = r.r9;
	vmcall(0, TDVMCALL_MMIO, 4, 0, ve_gpa, 0);
	f->rcx = (u32)regs_r11;
	f->rip += 2;
}

/*
 * #VE for IN/OUT, handled as Linux's handle_io() does: TDVMCALL<IO> with
 * the exit qualification's size, direction and port, RIP past the
 * instruction by VE_INFO's length.  String I/O is only recorded, skipped.
 */
static volatile u64 io_qual, io_len_info;

static void on_io_ve(struct guest_frame *f)
{
	struct tdcall_regs r = { .rax = TDG_VP_VEINFO_GET };
	unsigned int size;
	u16 port;

	if (f->vector != 20 || tdcall(&r) || (u32)r.rcx != 30)
		guest_exit(0x50 + (u8)f->vector);
	io_qual = r.rdx;
	io_len_info = r.r10;
	size = (r.rdx & 7) + 1;
	port = (u16)(r.rdx >> 16);
	if (!(r.rdx & 16)) {
		if (r.rdx & 8) {
			u64 mask = (1ULL << 8 * size) - 1;

			f->rax = (f->rax & ~mask) | (tdvmcall_in(port, size) & mask);
		} else {
			tdvmcall(TDVMCALL_IO, size, 1, port, f->rax, 0);
		}
	}
	f->rip += (u32)r.r10;
}

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	struct tdcall_regs r;
	u64 v;

	(void)vcpu_index;
	(void)gpaw;
	guest_report(initial_rcx);

	/* Port I/O in; a bad size */
	guest_report(tdvmcall_in(0x71, 1));
	guest_report(vmcall(0, TDVMCALL_IO, 3, 0, 0x71, 0));

	/* CPUID from KVM's table; MSRs KVM emulates for a TD, and ones it does not */
	r = (struct tdcall_regs){ .rax = TDG_VP_VMCALL, .rcx = TDVMCALL_EXPOSE,
				  .r11 = TDVMCALL_CPUID, .r12 = 0x40000000 };
	tdcall(&r);
	guest_report(r.r10);
	guest_report(r.r13);
	guest_report(vmcall(0, TDVMCALL_RDMSR, MSR_APIC_BASE, 0, 0, 0));
	guest_report(regs_r11);
	guest_report(vmcall(0, TDVMCALL_RDMSR, 0x1d9, 0, 0, 0));
	guest_report(vmcall(0, TDVMCALL_WRMSR, 0x6e0, 1234, 0, 0));
	guest_report(vmcall(0, TDVMCALL_WRMSR, MSR_APIC_BASE, 0, 0, 0));

	/* MMIO through #VE.RequestMMIO: shared GPAs only */
	guest_report(vmcall(0, TDVMCALL_MMIO, 4, 0, SHARED47 | 0xFED00000, 0));
	guest_report(regs_r11);
	guest_report(vmcall(0, TDVMCALL_MMIO, 8, 1, SHARED47 | 0xFED00008, 0x1122334455667788ULL));
	guest_report(vmcall(0, TDVMCALL_MMIO, 4, 0, 0xFED00000, 0));
	guest_report(vmcall(0, TDVMCALL_MMIO, 3, 0, SHARED47 | 0xFED00000, 0));

	/* GetTdVmCallInfo */
	guest_report(vmcall(0, 0x10000, 0, 0, 0, 0));
	guest_report(vmcall(0, 0x10000, 1, 0, 0, 0));
	guest_report(regs_r11);
	guest_report(vmcall(0, 0x10000, 2, 0, 0, 0));

	/* Private memory: 4K, a 4K piece of a pre-faulted 2M page, a whole 2M page */
	guest_report(accept(0x100000, 0));
	*(volatile u64 *)0x100000 = 0xA5A5;
	guest_report(*(volatile u64 *)0x100000);
	guest_report(accept(0x401000, 0));
	guest_report(accept(0x400000, 0));
	guest_report(accept(0x600000, 1));
	guest_report(*(volatile u64 *)0x7FF000);

	/* MapGPA: two 2M chunks to shared; misaligned; across the shared bit; refused */
	guest_report(vmcall(0, TDVMCALL_MAP_GPA, SHARED47 | 0x800000, 0x400000, 0, 0));
	guest_report(vmcall(0, TDVMCALL_MAP_GPA, SHARED47 | 0x800800, 0x1000, 0, 0));
	guest_report(regs_r11);
	guest_report(vmcall(0, TDVMCALL_MAP_GPA, SHARED47 - 0x1000, 0x2000, 0, 0));
	guest_report(vmcall(0, TDVMCALL_MAP_GPA, SHARED47 | 0xC00000, 0x200000, 0, 0));
	guest_report(regs_r11);

	/* A private access to a GFN that is shared now: the VMM converts it back */
	guest_report(accept(0x900000, 0));

	/* GetQuote and SetupEventNotifyInterrupt go to the VMM */
	guest_report(vmcall(0, 0x10002, SHARED47 | 0x3000000, 0x1000, 0, 0));
	guest_report(vmcall(0, 0x10002, 0x3000000, 0x1000, 0, 0));
	guest_report(vmcall(0, 0x10004, 0x30, 0, 0, 0));
	guest_report(vmcall(0, 0x10004, 5, 0, 0, 0));

	/* Shared memory, converted by MapGPA above: the VMM's own pages */
	*(volatile u32 *)(SHARED_ALIAS + 0x800000) = 0xFEEDBEEF;
	guest_report(*(volatile u32 *)(SHARED_ALIAS + 0x800004));

	/* A shared GPA with no memslot: KVM makes it MMIO, the access is a #VE */
	guest_set_exception_handler(on_ve);
	{
		u32 val;

		__asm__ volatile("mov (%%rbx), %%ecx" : "=c"(val) : "b"(SHARED_ALIAS + 0xFEC00000ULL)
				 : "memory");
		guest_report(val);
	}
	guest_report(ve_reason);
	guest_report(ve_gpa);

	/* Unknown sub-function; a KVM hypercall (R10 != 0) KVM does not have */
	guest_report(vmcall(0, 0x10099, 0, 0, 0, 0));
	v = vmcall(5, 0, 0, 0, 0, 0);
	guest_report(v);

	/* IN and OUT instructions: a #VE each, emulated by the handler above */
	guest_set_exception_handler(on_io_ve);
	{
		u64 val = 0x1100;

		__asm__ volatile("inb $0x71, %%al" : "+a"(val));
		guest_report(val);
		guest_report(io_qual);
		guest_report(io_len_info);
		__asm__ volatile("outl %%eax, %%dx" : : "a"(0xC0FFEE), "d"(0x80));
		__asm__ volatile("outl %%eax, $0x84" : : "a"(0));
		guest_report(io_qual);
		__asm__ volatile("rep outsb" : : "S"(&val), "c"(1), "d"(0x80) : "memory");
		guest_report(io_qual);
		guest_report(io_len_info);
	}

	tdvmcall(TDVMCALL_REPORT_FATAL, 0x1234, 0, 0, 0, 0);
	guest_exit(0x7E);
}
