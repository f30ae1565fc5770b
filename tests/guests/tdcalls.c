// SPDX-License-Identifier: MIT
/*
 * The TDCALL guest interface and #VE, seen from inside a TD
 * (tests/test_vp_enter.c runs it): every result goes to port 0x80 through
 * TDVMCALL<Instruction.IO>, and the #VE handler does what Linux's does:
 * TDG.VP.VEINFO.GET, then the instruction through a TDVMCALL.
 */
#include "guest.h"

#define PAGE_AUG	0x10000000ULL	/* the test AUGs it when asked */
#define PAGE_PENDING	0x10001000ULL	/* AUGed before entry, never accepted here */

static volatile u64 ve_count, ve_reason, ve_qual, ve_gpa, ve_len, df_count;
static u8 report_buf[1024] __attribute__((aligned(1024)));
static u8 report_data[64] __attribute__((aligned(64))) = "report data from inside the TD";

static void report(u64 v)
{
	tdvmcall(TDVMCALL_IO, 4, 1, 0x80, v, 0);
}

static u64 call(u64 leaf, u64 rcx, u64 rdx, struct tdcall_regs *out)
{
	struct tdcall_regs r = { .rax = leaf, .rcx = rcx, .rdx = rdx };

	tdcall(&r);
	if (out)
		*out = r;
	return r.rax;
}

static void on_exception(struct guest_frame *f)
{
	struct tdcall_regs r;
	u64 v;

	if (f->vector == 8) {
		df_count++;
		guest_exit(0x3D);
	}
	if (f->vector != 20)
		guest_exit(0x40 + (u8)f->vector);
	if (call(TDG_VP_VEINFO_GET, 0, 0, &r))
		guest_exit(0x3E);
	ve_count++;
	ve_reason = r.rcx;
	ve_qual = r.rdx;
	ve_gpa = r.r9;
	ve_len = (u32)r.r10;
	switch (ve_reason) {
	case 10:	/* CPUID: ask the VMM */
		{
			struct tdcall_regs c = {
				.rax = TDG_VP_VMCALL, .rcx = TDVMCALL_EXPOSE,
				.r11 = TDVMCALL_CPUID, .r12 = f->rax, .r13 = f->rcx,
			};
			tdcall(&c);
			f->rax = c.r12;
			f->rbx = c.r13;
			f->rcx = c.r14;
			f->rdx = c.r15;
		}
		break;
	case 12:	/* HLT */
		tdvmcall(TDVMCALL_HLT, 0, 0, 0, 0, 0);
		break;
	case 31:	/* RDMSR */
		tdvmcall(TDVMCALL_RDMSR, f->rcx, 0, 0, 0, &v);
		f->rax = (u32)v;
		f->rdx = v >> 32;
		break;
	case 48:	/* a pending page: accept it and retry */
		if (call(TDG_MEM_PAGE_ACCEPT, ve_gpa & ~0xFFFULL, 0, 0))
			guest_exit(0x3F);
		return;
	default:
		guest_exit(0x3C);
	}
	f->rip += ve_len;
}

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	struct tdcall_regs r;
	u32 a, b, c, d;
	u64 lo, hi;

	(void)initial_rcx;
	(void)vcpu_index;
	guest_set_exception_handler(on_exception);

	/* 1: TDG.VP.INFO */
	report(call(TDG_VP_INFO, 0, 0, &r));
	report(r.rcx);
	report(r.rdx);
	report(r.r8);
	report(r.r9);

	/* 2: no #VE yet */
	report(call(TDG_VP_VEINFO_GET, 0, 0, 0));

	/* 3: CPUID the module answers, then one it leaves to the VMM (#VE) */
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x21), "c"(0));
	report(b);
	report(d);
	report(c);
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000), "c"(0));
	report(ve_count);
	report(ve_reason);
	report(ve_len);
	report(a);

	/* 4: HLT and RDMSR through #VE */
	__asm__ volatile("hlt");
	report(ve_reason);
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x1b));
	report(ve_reason);
	report(lo | hi << 32);

	/* 5: ACCEPT of a GPA with nothing behind it: the VMM AUGs, then it works */
	report(call(TDG_MEM_PAGE_ACCEPT, PAGE_AUG, 0, 0));
	*(volatile u64 *)PAGE_AUG = 0x1122334455667788ULL;
	report(*(volatile u64 *)PAGE_AUG);
	report(call(TDG_MEM_PAGE_ACCEPT, PAGE_AUG, 0, 0));
	report(call(TDG_MEM_PAGE_ACCEPT, PAGE_AUG | 1, 0, 0));	/* 2M: a 4K table is there */
	report(call(TDG_MEM_PAGE_ACCEPT, (PAGE_AUG + 0x1000) | 1, 0, 0));	/* not 2M aligned */
	report(call(TDG_MEM_PAGE_ACCEPT, PAGE_AUG | (1ULL << 47), 0, 0));

	/* 6: touching a PENDING page: #VE(EPT violation), the handler accepts */
	report(*(volatile u64 *)PAGE_PENDING);
	report(ve_reason);
	report(ve_gpa);

	/* 7: bad leaves and operands */
	report(call(99, 0, 0, 0));
	report(call(TDG_VP_INFO | (1ULL << 16), 0, 0, 0));
	{
		struct tdcall_regs v = { .rax = TDG_VP_VMCALL, .rcx = 1 };

		report(tdcall(&v));
	}
	report(call(TDG_VP_CPUIDVE_SET, 4, 0, 0));
	report(call(TDG_MR_RTMR_EXTEND, 0xFFFF0008ULL, 0, 0));	/* not 64-byte aligned */
	report(call(TDG_MR_RTMR_EXTEND, 0xFFFF0000ULL, 4, 0));	/* no RTMR 4 */
	report(call(TDG_MR_RTMR_EXTEND, 0xFFFF0000ULL, 2, 0));
	/* The RTMR extend above went in before the report below. */

	/* 8: CPUIDVE.SET makes every CPUID a #VE */
	report(call(TDG_VP_CPUIDVE_SET, 1, 0, 0));
	ve_reason = 0;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	report(ve_reason);
	report(df_count);

	/* 9: TDG.MR.REPORT, bad operands first; the report goes out on port 0x88 */
	{
		struct tdcall_regs r9 = { .rax = TDG_MR_REPORT, .rcx = (u64)report_buf + 512,
					  .rdx = (u64)report_data };

		report(tdcall(&r9));
		r9 = (struct tdcall_regs){ .rax = TDG_MR_REPORT, .rcx = (u64)report_buf,
					   .rdx = (u64)report_data + 8 };
		report(tdcall(&r9));
		r9 = (struct tdcall_regs){ .rax = TDG_MR_REPORT, .rcx = (u64)report_buf,
					   .rdx = (u64)report_data, .r8 = 1 };
		report(tdcall(&r9));
		r9 = (struct tdcall_regs){ .rax = TDG_MR_REPORT, .rcx = (u64)report_buf,
					   .rdx = (u64)report_data };
		report(tdcall(&r9));
		for (int i = 0; i < 1024; i += 8)
			tdvmcall(TDVMCALL_IO, 4, 1, 0x88, *(u64 *)(report_buf + i), 0);
	}

	/* 10: TDG.VM.RD/WR with the guest's masks */
	{
		struct tdcall_regs m = { .rax = TDG_VM_RD, .rdx = 0x1110000300000000ULL };

		report(tdcall(&m));					/* ATTRIBUTES */
		report(m.r8);
		m = (struct tdcall_regs){ .rax = TDG_VM_RD | 1ULL << 16, .rdx = 0x1110000300000000ULL };
		report(tdcall(&m));
		report(m.rdx);						/* the next field */
		m = (struct tdcall_regs){ .rax = TDG_VM_RD, .rdx = 0x1110000300000004ULL };
		report(tdcall(&m));					/* EPTP: the host's */
		m = (struct tdcall_regs){ .rax = TDG_VM_RD, .rcx = 1, .rdx = 0x1110000300000000ULL };
		report(tdcall(&m));					/* no L2 VM 1 */
		m = (struct tdcall_regs){ .rax = TDG_VM_WR, .rdx = 0x9110000300000010ULL,
					  .r8 = 1, .r9 = 1 };
		report(tdcall(&m));					/* NOTIFY_ENABLES */
		m = (struct tdcall_regs){ .rax = TDG_VM_WR, .rdx = 0x9110000300000010ULL,
					  .r8 = 2, .r9 = 2 };
		report(tdcall(&m));
		m = (struct tdcall_regs){ .rax = TDG_VM_RD | 2ULL << 16, .rdx = 0x1110000300000000ULL };
		report(tdcall(&m));
		m = (struct tdcall_regs){ .rax = TDG_VM_WR | 1ULL << 16, .rdx = 0x9110000300000010ULL };
		report(tdcall(&m));
	}

	/* 11: TDG.SYS.RD: the first field the TD may read, one of them, a host-only one */
	{
		struct tdcall_regs m = { .rax = TDG_VP_INFO };

		tdcall(&m);
		report(m.r10);						/* SYS.RD available */
		m = (struct tdcall_regs){ .rax = TDG_SYS_RD, .rdx = ~0ULL };
		report(tdcall(&m));
		report(m.rdx);						/* VENDOR_ID */
		m = (struct tdcall_regs){ .rax = TDG_SYS_RD, .rdx = 0x0800000100000004ULL };
		report(tdcall(&m));					/* MAJOR_VERSION */
		report(m.r8);
		report(m.rdx);
		m = (struct tdcall_regs){ .rax = TDG_SYS_RD, .rdx = 0x0000000200000000ULL };
		report(tdcall(&m));					/* NUM_PKGS */
		m = (struct tdcall_regs){ .rax = TDG_SYS_RD | 1ULL << 16, .rdx = ~0ULL };
		report(tdcall(&m));
	}

	/* 12: TDG.VP.RD/WR: VCPU_INDEX, the CPUID #VE controls; the host's fields, operands */
	{
		struct tdcall_regs m = { .rax = TDG_VP_RD, .rdx = ~0ULL };

		report(tdcall(&m));
		report(m.rdx);						/* VCPU_INDEX */
		m = (struct tdcall_regs){ .rax = TDG_VP_RD, .rdx = 0xA020000200000002ULL };
		report(tdcall(&m));
		report(m.r8);
		report(m.rdx);						/* the next field */
		m = (struct tdcall_regs){ .rax = TDG_VP_RD, .rdx = 0xA020000000000007ULL };
		report(tdcall(&m));					/* CPUID_SUPERVISOR_VE */
		report(m.r8);						/* set in step 8 */
		m = (struct tdcall_regs){ .rax = TDG_VP_WR, .rdx = 0xA020000000000007ULL,
					  .r8 = 0, .r9 = 0xFF };
		report(tdcall(&m));
		report(m.r8);						/* the old value */
		/* CPUID_CONTROL[11], leaf 3's entry: only that leaf is a #VE now */
		m = (struct tdcall_regs){ .rax = TDG_VP_WR, .rdx = 0xA12000000000000BULL,
					  .r8 = 1, .r9 = 1 };
		report(tdcall(&m));
		ve_reason = 0;
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
		report(ve_reason);
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(3), "c"(0));
		report(ve_reason);
		m = (struct tdcall_regs){ .rax = TDG_VP_WR, .rdx = 0xA12000000000000BULL,
					  .r8 = 4, .r9 = 4 };
		report(tdcall(&m));					/* bit 2 is not the TD's */
		m = (struct tdcall_regs){ .rax = TDG_VP_RD, .rdx = 0x002000030000203CULL };
		report(tdcall(&m));					/* SHARED_EPTP */
		m = (struct tdcall_regs){ .rax = TDG_VP_WR, .rdx = 0xA020000200000002ULL,
					  .r8 = 5, .r9 = 0xFFFFFFFF };
		report(tdcall(&m));					/* VCPU_INDEX */
		m = (struct tdcall_regs){ .rax = TDG_VP_RD, .rcx = 1, .rdx = 0xA020000200000002ULL };
		report(tdcall(&m));
		m = (struct tdcall_regs){ .rax = TDG_VP_RD | 1ULL << 16, .rdx = 0xA020000200000002ULL };
		report(tdcall(&m));
	}

	/*
	 * 14: TDG.MR.REPORT's order: the REPORTDATA walk before the subtype,
	 * the subtype before the output's walk, which may be shared (none is
	 * mapped here, so it fails, but only then).
	 */
	{
		u64 shared = 1ULL << (gpaw - 1);
		struct tdcall_regs r14 = { .rax = TDG_MR_REPORT, .rcx = (u64)report_buf,
					   .rdx = (u64)report_data | shared, .r8 = 1 };

		report(tdcall(&r14));
		r14 = (struct tdcall_regs){ .rax = TDG_MR_REPORT, .rcx = (u64)report_buf | shared,
					    .rdx = (u64)report_data, .r8 = 1 };
		report(tdcall(&r14));
		r14 = (struct tdcall_regs){ .rax = TDG_MR_REPORT, .rcx = (u64)report_buf | shared,
					    .rdx = (u64)report_data };
		report(tdcall(&r14));
	}
}
