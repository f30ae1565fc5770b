// SPDX-License-Identifier: MIT
/*
 * User mode as Linux uses it (tests/test_cpu.c): a GDT with user segments
 * and a 64-bit TSS, then CPL 3 through IRETQ, where the guest makes a
 * SYSCALL (SYSRET back), an INT $0x80 through a DPL-3 gate (delivered on
 * TSS.RSP0), an INT $0x81 through a DPL-0 gate (#GP), a read of a
 * supervisor page (#PF) and an INT3 through an IST gate; INT $0x82 ends
 * the excursion.  What each step saw goes to port 0x80.
 */
#include "guest.h"

#define KERNEL_CS	0x08
#define KERNEL_DS	0x10
#define USER_DS		0x1B
#define USER_CS		0x23
#define TSS_SEL		0x28
#define STACK_SIZE	4096

struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3, iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "the architectural TSS");

static struct tss64 tss;
static u64 gdt[7];
static u8 kernel_stack[STACK_SIZE] __attribute__((aligned(16)));
static u8 ist_stack[STACK_SIZE] __attribute__((aligned(16)));
static u8 user_stack[STACK_SIZE] __attribute__((aligned(16)));

/* Written by the assembly below and by the exception handler. */
#define ASM_SYMBOL	__attribute__((visibility("hidden")))
ASM_SYMBOL u64 kernel_rsp, syscall_rcx, syscall_r11, syscall_cs, syscall_rflags, user_syscall_ret;
static volatile u64 int80_cs, int80_ss, int80_on_rsp0, gp_error, pf_error, pf_cr2, int3_on_ist;

ASM_SYMBOL void user_code(void);
ASM_SYMBOL void syscall_entry(void);
ASM_SYMBOL void run_user(u64 user_rsp);
ASM_SYMBOL void back_to_kernel(void);

__asm__(
	"	.text\n"
	"	.globl	syscall_entry\n"
	"syscall_entry:\n"
	"	mov	%rcx, syscall_rcx(%rip)\n"
	"	mov	%r11, syscall_r11(%rip)\n"
	"	mov	%cs, %eax\n"
	"	mov	%rax, syscall_cs(%rip)\n"
	"	pushfq\n"
	"	pop	%rax\n"
	"	mov	%rax, syscall_rflags(%rip)\n"
	"	mov	$0x5CA11, %eax\n"
	"	sysretq\n"
	"	.globl	user_code\n"
	"user_code:\n"
	"	syscall\n"
	"	mov	%rax, user_syscall_ret(%rip)\n"
	"	int	$0x80\n"
	"	lea	1f(%rip), %rbx\n"
	"	int	$0x81\n"
	"1:	lea	2f(%rip), %rbx\n"
	"	mov	0x40000000, %rax\n"
	"2:	int3\n"
	"	int	$0x82\n"
	"	ud2\n"
	"	.globl	run_user\n"
	"run_user:\n"
	"	push	%rbx\n"
	"	push	%rbp\n"
	"	push	%r12\n"
	"	push	%r13\n"
	"	push	%r14\n"
	"	push	%r15\n"
	"	mov	%rsp, kernel_rsp(%rip)\n"
	"	push	$0x1B\n"
	"	push	%rdi\n"
	"	push	$0x202\n"
	"	push	$0x23\n"
	"	lea	user_code(%rip), %rax\n"
	"	push	%rax\n"
	"	iretq\n"
	"	.globl	back_to_kernel\n"
	"back_to_kernel:\n"
	"	mov	kernel_rsp(%rip), %rsp\n"
	"	pop	%r15\n"
	"	pop	%r14\n"
	"	pop	%r13\n"
	"	pop	%r12\n"
	"	pop	%rbp\n"
	"	pop	%rbx\n"
	"	ret\n");

static bool on_stack(const void *p, const u8 *stack)
{
	return (const u8 *)p >= stack && (const u8 *)p < stack + STACK_SIZE;
}

static void on_exception(struct guest_frame *f)
{
	u64 cr2;

	switch (f->vector) {
	case 0x80:
		int80_cs = f->cs;
		int80_ss = f->ss;
		int80_on_rsp0 = on_stack(f, kernel_stack);
		break;
	case 13:
		gp_error = f->error;
		f->rip = f->rbx;
		break;
	case 14:
		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		pf_error = f->error;
		pf_cr2 = cr2;
		f->rip = f->rbx;
		break;
	case 3:
		int3_on_ist = on_stack(f, ist_stack);
		break;
	case 0x82:
		f->rip = (u64)back_to_kernel;
		f->cs = KERNEL_CS;
		f->ss = KERNEL_DS;
		f->rsp = kernel_rsp;
		f->rflags = 2;
		break;
	default:
		guest_puts("usermode: unexpected exception\n");
		guest_exit(0x7F);
	}
}

static void report(u64 v)
{
	tdvmcall(TDVMCALL_IO, 4, 1, 0x80, v, 0);
}

static void load_gdt_and_tss(void)
{
	u64 base = (u64)&tss;
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) gdtr = { sizeof(gdt) - 1, (u64)gdt };

	gdt[1] = 0x00AF9A000000FFFFULL;		/* kernel code, 64-bit */
	gdt[2] = 0x00CF92000000FFFFULL;		/* kernel data */
	gdt[3] = 0x00CFF2000000FFFFULL;		/* user data, DPL 3 */
	gdt[4] = 0x00AFFA000000FFFFULL;		/* user code, 64-bit, DPL 3 */
	gdt[5] = (sizeof(tss) - 1) | (base & 0xFFFFFF) << 16 | 0x89ULL << 40 |
		 (base >> 24 & 0xFF) << 56;	/* available 64-bit TSS */
	gdt[6] = base >> 32;
	tss.rsp[0] = (u64)kernel_stack + STACK_SIZE;
	tss.ist[0] = (u64)ist_stack + STACK_SIZE;
	tss.iomap_base = sizeof(tss);
	__asm__ volatile("lgdt %0\n\t"
			 "pushq $0x08\n\tlea 1f(%%rip), %%rax\n\tpushq %%rax\n\tlretq\n"
			 "1:\tmov $0x10, %%eax\n\tmov %%eax, %%ds\n\tmov %%eax, %%es\n\t"
			 "mov %%eax, %%ss\n\tltr %w1"
			 : : "m"(gdtr), "r"(TSS_SEL) : "rax", "memory");
}

/* The user gates: INT $0x80 and $0x82 and INT3 at DPL 3, INT3 on IST1. */
static void open_gates(void)
{
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) idtr;
	u8 *idt;

	__asm__ volatile("sidt %0" : "=m"(idtr));
	idt = (u8 *)idtr.base;
	idt[16 * 0x80 + 5] = 0xEE;
	idt[16 * 0x82 + 5] = 0xEE;
	idt[16 * 3 + 5] = 0xEE;
	idt[16 * 3 + 4] = 1;
}

/* The GiB this program lives in becomes user-accessible; the second stays supervisor-only. */
static void user_own_gib(void)
{
	u64 cr3, *pml4, *pdpt;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	pml4 = (u64 *)(cr3 & ~0xFFFULL);
	pdpt = (u64 *)(pml4[0] & 0x000FFFFFFFFFF000ULL);
	pml4[0] |= 4;
	pdpt[(u64)user_code >> 30 & 511] |= 4;
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	(void)initial_rcx;
	(void)gpaw;
	if (vcpu_index)
		return;
	guest_set_exception_handler(on_exception);
	load_gdt_and_tss();
	open_gates();
	user_own_gib();
	guest_wrmsr(0xC0000080, guest_rdmsr(0xC0000080) | 1);	/* EFER.SCE */
	guest_wrmsr(0xC0000081, 0x0010000800000000ULL);	/* STAR: SYSCALL CS 0x08, SYSRET base 0x10 */
	guest_wrmsr(0xC0000082, (u64)syscall_entry);
	guest_wrmsr(0xC0000084, 0x47700);			/* FMASK: TF DF IF IOPL NT AC */
	run_user((u64)user_stack + STACK_SIZE);
	report(syscall_rcx - (u64)user_code);
	report(syscall_r11);
	report(syscall_cs);
	report(syscall_rflags);
	report(user_syscall_ret);
	report(int80_cs);
	report(int80_ss);
	report(int80_on_rsp0);
	report(gp_error);
	report(pf_error);
	report(pf_cr2);
	report(int3_on_ist);
	guest_puts("usermode: back in the kernel\n");
}
