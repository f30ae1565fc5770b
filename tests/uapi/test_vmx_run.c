// SPDX-License-Identifier: MIT
/*
 * KVM_RUN on a normal VM (KVM_X86_DEFAULT_VM), through ioctls only, as the
 * KVM selftests do it: small guests written here as machine code, run from
 * the RESET state in real mode (CS F000, base FFFF0000, IP FFF0) or from a
 * protected-mode or long-mode state set with KVM_SET_SREGS.  Checked:
 * KVM_EXIT_IO (fields, resumption with the IN value), KVM_EXIT_MMIO (no
 * memslot, read-only memslot), KVM_EXIT_HLT, the registers after exits,
 * immediate_exit, the dirty log, the error exits, and a TD running in the
 * same process.
 */
#include "kvm_util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROM_GPA		0xFFFF0000ULL
#define ROM_SIZE	0x10000ULL
#define CODE_OFFSET	0xF000		/* the reset vector jumps here (CS base FFFF0000) */
#define RO_GPA		0x8000ULL	/* a read-only slot's page */
#define PIO_OFFSET	4096

struct vm {
	int vm, vcpu;
	struct kvm_run *run;
	unsigned char *rom, *ram, *ro;
	size_t ram_size;
};

static void set_slot(int vm, unsigned int slot, unsigned int flags, unsigned long long gpa,
		     size_t size, void *mem)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (__u64)(uintptr_t)mem,
	};

	assert_int_equal(kvm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), 0);
}

static void *alloc_mem(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

/*
 * A VM with one vCPU and RAM at GPA 0 (@ram_flags for its memslot), nothing
 * else; an in-kernel local APIC with @irqchip.
 */
static void vm_new(struct vm *t, size_t ram_size, unsigned int ram_flags, bool irqchip)
{
	int size = kvm_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

	memset(t, 0, sizeof(*t));
	t->vm = vm_create(kvm, KVM_X86_DEFAULT_VM);
	if (irqchip)
		vm_enable_split_irqchip(t->vm);
	t->ram_size = ram_size;
	if (ram_size) {
		t->ram = alloc_mem(ram_size);
		set_slot(t->vm, 1, ram_flags, 0, ram_size, t->ram);
	}
	t->vcpu = kvm_ioctl(t->vm, KVM_CREATE_VCPU, 0);
	assert_true(t->vcpu >= 0);
	t->run = kvm_mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, t->vcpu, 0);
	assert_true(t->run != MAP_FAILED);
}

static void vm_bare(struct vm *t, size_t ram_size, unsigned int ram_flags)
{
	vm_new(t, ram_size, ram_flags, false);
}

/*
 * A real-mode guest: @code at F000:F000 behind the reset vector's near
 * jump, 16 KiB of RAM at GPA 0, and a read-only page at RO_GPA holding 0x5A.
 */
static void vm_real_mode_apic(struct vm *t, const unsigned char *code, size_t len, bool irqchip)
{
	static const unsigned char reset[] = { 0xE9, 0x0D, 0xF0 };	/* jmp near 0xF000 */

	vm_new(t, 0x4000, 0, irqchip);
	t->rom = alloc_mem(ROM_SIZE);
	memcpy(t->rom + 0xFFF0, reset, sizeof(reset));
	memcpy(t->rom + CODE_OFFSET, code, len);
	set_slot(t->vm, 0, 0, ROM_GPA, ROM_SIZE, t->rom);
	t->ro = alloc_mem(4096);
	t->ro[0] = 0x5A;
	set_slot(t->vm, 2, KVM_MEM_READONLY, RO_GPA, 4096, t->ro);
}

static void vm_real_mode(struct vm *t, const unsigned char *code, size_t len)
{
	vm_real_mode_apic(t, code, len, false);
}

static void vm_destroy(struct vm *t)
{
	munmap(t->run, 3 * 4096);
	kvm_close(t->vcpu);
	kvm_close(t->vm);
	if (t->ram)
		munmap(t->ram, t->ram_size);
	if (t->rom)
		munmap(t->rom, ROM_SIZE);
	if (t->ro)
		munmap(t->ro, 4096);
}

static void run_ok(struct vm *t, unsigned int exit_reason)
{
	assert_int_equal(kvm_ioctl(t->vcpu, KVM_RUN, 0), 0);
	assert_int_equal(t->run->exit_reason, exit_reason);
}

static struct kvm_regs get_regs(struct vm *t)
{
	struct kvm_regs r;

	assert_int_equal(kvm_ioctl(t->vcpu, KVM_GET_REGS, &r), 0);
	return r;
}

static struct kvm_sregs get_sregs(struct vm *t)
{
	struct kvm_sregs s;

	assert_int_equal(kvm_ioctl(t->vcpu, KVM_GET_SREGS, &s), 0);
	return s;
}

static unsigned char *pio_data(struct vm *t)
{
	return (unsigned char *)t->run + t->run->io.data_offset;
}

static void expect_io(struct vm *t, int dir, unsigned int size, unsigned int port)
{
	run_ok(t, KVM_EXIT_IO);
	assert_int_equal(t->run->io.direction, dir);
	assert_int_equal(t->run->io.size, size);
	assert_int_equal(t->run->io.port, port);
	assert_int_equal(t->run->io.count, 1);
	assert_int_equal(t->run->io.data_offset, PIO_OFFSET);
}

static void expect_mmio(struct vm *t, unsigned long long gpa, unsigned int len, int is_write)
{
	run_ok(t, KVM_EXIT_MMIO);
	assert_int_equal(t->run->mmio.phys_addr, gpa);
	assert_int_equal(t->run->mmio.len, len);
	assert_int_equal(t->run->mmio.is_write, is_write);
}

/*
 * OUT and IN of 1, 2 and 4 bytes at the reset state.  During KVM_EXIT_IO
 * RIP is on the instruction, as with KVM's fast PIO; the next KVM_RUN
 * completes it on top of what userspace set, even with immediate_exit.
 */
static void test_port_io(void **state)
{
	static const unsigned char code[] = {
		0xB0, 0x42,		/* F000 mov al,0x42 */
		0xE6, 0x80,		/* F002 out 0x80,al */
		0xBA, 0xF8, 0x03,	/* F004 mov dx,0x3f8 */
		0xEC,			/* F007 in al,dx */
		0x88, 0xC3,		/* F008 mov bl,al */
		0xB8, 0x34, 0x12,	/* F00A mov ax,0x1234 */
		0xEF,			/* F00D out dx,ax */
		0x66, 0xED,		/* F00E in eax,dx */
		0xF4,			/* F010 hlt */
	};
	struct kvm_sregs s;
	struct kvm_regs r;
	struct vm t;
	uint32_t v;

	(void)state;
	vm_real_mode(&t, code, sizeof(code));
	expect_io(&t, KVM_EXIT_IO_OUT, 1, 0x80);
	assert_int_equal(pio_data(&t)[0], 0x42);
	r = get_regs(&t);
	assert_int_equal(r.rip, 0xF002);
	assert_int_equal(r.rax & 0xFF, 0x42);
	assert_int_equal(r.rdx, 0x600);		/* the RESET value is still there */
	s = get_sregs(&t);
	assert_int_equal(s.cs.selector, 0xF000);
	assert_int_equal(s.cs.base, 0xFFFF0000);
	assert_int_equal(s.cs.limit, 0xFFFF);
	assert_int_equal(s.cs.type, 0xB);
	assert_int_equal(s.cr0, 0x60000010);
	assert_int_equal(s.ds.base, 0);

	expect_io(&t, KVM_EXIT_IO_IN, 1, 0x3F8);
	r = get_regs(&t);
	assert_int_equal(r.rip, 0xF007);
	r.rsi = 0x5151;				/* userspace's change stands */
	assert_int_equal(kvm_ioctl(t.vcpu, KVM_SET_REGS, &r), 0);
	pio_data(&t)[0] = 0x99;
	t.run->immediate_exit = 1;
	TEST_ASSERT_ERRNO(kvm_ioctl(t.vcpu, KVM_RUN, 0), EINTR);
	t.run->immediate_exit = 0;
	r = get_regs(&t);
	assert_int_equal(r.rip, 0xF008);	/* completed all the same */
	assert_int_equal(r.rax & 0xFF, 0x99);
	assert_int_equal(r.rsi, 0x5151);
	expect_io(&t, KVM_EXIT_IO_OUT, 2, 0x3F8);
	memcpy(&v, pio_data(&t), 2);
	assert_int_equal(v & 0xFFFF, 0x1234);
	expect_io(&t, KVM_EXIT_IO_IN, 4, 0x3F8);
	v = 0xCAFEBABE;
	memcpy(pio_data(&t), &v, 4);
	run_ok(&t, KVM_EXIT_HLT);
	r = get_regs(&t);
	assert_int_equal(r.rbx & 0xFF, 0x99);
	assert_int_equal(r.rax, 0xCAFEBABE);
	assert_int_equal(r.rip, 0xF011);
	vm_destroy(&t);
}

/* REP OUTSB: one KVM_EXIT_IO (count 1) per byte, from DS:SI. */
static void test_string_io(void **state)
{
	static const unsigned char code[] = {
		0xBE, 0x00, 0x01,	/* mov si,0x100 */
		0xB9, 0x02, 0x00,	/* mov cx,2 */
		0xBA, 0x80, 0x00,	/* mov dx,0x80 */
		0xF3, 0x6E,		/* rep outsb */
		0xF4,			/* hlt */
	};
	struct kvm_regs r;
	struct vm t;

	(void)state;
	vm_real_mode(&t, code, sizeof(code));
	t.ram[0x100] = 0xA1;
	t.ram[0x101] = 0xA2;
	expect_io(&t, KVM_EXIT_IO_OUT, 1, 0x80);
	assert_int_equal(pio_data(&t)[0], 0xA1);
	expect_io(&t, KVM_EXIT_IO_OUT, 1, 0x80);
	assert_int_equal(pio_data(&t)[0], 0xA2);
	run_ok(&t, KVM_EXIT_HLT);
	r = get_regs(&t);
	assert_int_equal(r.rsi, 0x102);
	assert_int_equal(r.rcx, 0);
	vm_destroy(&t);
}

/* MMIO without a memslot and to a read-only one; reads resume with userspace's data. */
static void test_mmio(void **state)
{
	static const unsigned char code[] = {
		0xA1, 0x00, 0x60,			/* F000 mov ax,[0x6000] */
		0x89, 0xC3,				/* F003 mov bx,ax */
		0x66, 0xC7, 0x06, 0x10, 0x60,		/* F005 mov dword [0x6010], */
		0x78, 0x56, 0x34, 0x12,			/*      0x12345678 */
		0xA0, 0x00, 0x80,			/* F00E mov al,[0x8000] */
		0xA2, 0x00, 0x80,			/* F011 mov [0x8000],al */
		0x8A, 0x0E, 0x00, 0x80,			/* F014 mov cl,[0x8000] */
		0xF4,					/* F018 hlt */
	};
	static const unsigned char written[] = { 0x78, 0x56, 0x34, 0x12 };
	struct kvm_regs r;
	struct vm t;

	(void)state;
	vm_real_mode(&t, code, sizeof(code));
	expect_mmio(&t, 0x6000, 2, 0);
	t.run->mmio.data[0] = 0xEF;
	t.run->mmio.data[1] = 0xBE;
	expect_mmio(&t, 0x6010, 4, 1);
	assert_memory_equal(t.run->mmio.data, written, sizeof(written));
	/* The read-only page reads without an exit; its write is MMIO. */
	expect_mmio(&t, RO_GPA, 1, 1);
	assert_int_equal(t.run->mmio.data[0], 0x5A);
	run_ok(&t, KVM_EXIT_HLT);
	r = get_regs(&t);
	assert_int_equal(r.rbx & 0xFFFF, 0xBEEF);
	assert_int_equal(r.rcx & 0xFF, 0x5A);
	assert_int_equal(r.rip, 0xF019);
	assert_int_equal(t.ro[0], 0x5A);
	vm_destroy(&t);
}

/*
 * Registers change only at an instruction boundary: during an MMIO exit
 * the guest is inside its instruction, so a new state is refused (EBUSY)
 * until userspace puts the old one back.
 */
static void test_set_regs_during_mmio(void **state)
{
	static const unsigned char code[] = {
		0xA1, 0x00, 0x60,	/* F000 mov ax,[0x6000] */
		0xF4,			/* F003 hlt */
	};
	struct kvm_regs r, changed;
	struct vm t;

	(void)state;
	vm_real_mode(&t, code, sizeof(code));
	expect_mmio(&t, 0x6000, 2, 0);
	r = get_regs(&t);
	changed = r;
	changed.rbx = 7;
	assert_int_equal(kvm_ioctl(t.vcpu, KVM_SET_REGS, &changed), 0);
	TEST_ASSERT_ERRNO(kvm_ioctl(t.vcpu, KVM_RUN, 0), EBUSY);
	assert_int_equal(kvm_ioctl(t.vcpu, KVM_SET_REGS, &r), 0);
	t.run->mmio.data[0] = 1;
	t.run->mmio.data[1] = 2;
	run_ok(&t, KVM_EXIT_HLT);
	assert_int_equal(get_regs(&t).rax & 0xFFFF, 0x0201);
	vm_destroy(&t);
}

/* HLT exits past the instruction; the guest's counter is in KVM_GET_REGS. */
static void test_hlt_and_registers(void **state)
{
	static const unsigned char code[] = {
		0x31, 0xC9,			/* F000 xor cx,cx */
		0x41,				/* F002 inc cx */
		0x81, 0xF9, 0xE8, 0x03,		/* F003 cmp cx,1000 */
		0x75, 0xF9,			/* F007 jne F002 */
		0xF4,				/* F009 hlt */
		0x89, 0xC8,			/* F00A mov ax,cx */
		0xE6, 0x81,			/* F00C out 0x81,al */
		0xF4,				/* F00E hlt */
	};
	struct kvm_regs r;
	struct vm t;

	(void)state;
	vm_real_mode(&t, code, sizeof(code));
	run_ok(&t, KVM_EXIT_HLT);
	r = get_regs(&t);
	assert_int_equal(r.rcx, 1000);
	assert_int_equal(r.rip, 0xF00A);
	/* What userspace sets is what the guest continues with. */
	r.rcx = 0x55;
	assert_int_equal(kvm_ioctl(t.vcpu, KVM_SET_REGS, &r), 0);
	expect_io(&t, KVM_EXIT_IO_OUT, 1, 0x81);
	assert_int_equal(pio_data(&t)[0], 0x55);
	run_ok(&t, KVM_EXIT_HLT);
	assert_int_equal(get_regs(&t).rip, 0xF00F);
	vm_destroy(&t);
}

static void *set_immediate_exit(void *arg)
{
	const struct timespec delay = { 0, 50 * 1000 * 1000 };

	nanosleep(&delay, NULL);
	__atomic_store_n(&((struct kvm_run *)arg)->immediate_exit, 1, __ATOMIC_RELEASE);
	return NULL;
}

static unsigned int mp_state(struct vm *t)
{
	struct kvm_mp_state mp;

	assert_int_equal(kvm_ioctl(t->vcpu, KVM_GET_MP_STATE, &mp), 0);
	return mp.mp_state;
}

/*
 * With an in-kernel APIC, HLT halts inside KVM; nothing can wake a normal
 * VM's vCPU yet, so only immediate_exit ends KVM_RUN (EINTR), and
 * KVM_SET_MP_STATE(RUNNABLE) lets it go on.
 */
static void test_hlt_in_kernel_apic(void **state)
{
	static const unsigned char code[] = {
		0xF4,		/* F000 hlt */
		0xE6, 0x80,	/* F001 out 0x80,al */
	};
	struct kvm_mp_state runnable = { KVM_MP_STATE_RUNNABLE };
	pthread_t thread;
	struct vm t;

	(void)state;
	vm_real_mode_apic(&t, code, sizeof(code), true);
	/* On a loaded host the flag may beat KVM_RUN to the HLT: then run again. */
	for (int tries = 0; tries < 10; tries++) {
		t.run->immediate_exit = 0;
		assert_int_equal(pthread_create(&thread, NULL, set_immediate_exit, t.run), 0);
		TEST_ASSERT_ERRNO(kvm_ioctl(t.vcpu, KVM_RUN, 0), EINTR);
		pthread_join(thread, NULL);
		if (get_regs(&t).rip != 0xF000)
			break;
	}
	assert_int_equal(t.run->exit_reason, KVM_EXIT_INTR);
	assert_int_equal(mp_state(&t), KVM_MP_STATE_HALTED);
	assert_int_equal(get_regs(&t).rip, 0xF001);
	t.run->immediate_exit = 0;
	assert_int_equal(kvm_ioctl(t.vcpu, KVM_SET_MP_STATE, &runnable), 0);
	expect_io(&t, KVM_EXIT_IO_OUT, 1, 0x80);
	vm_destroy(&t);
}

/* A flat segment for KVM_SET_SREGS. */
static struct kvm_segment flat(unsigned int selector, unsigned int type, int db, int l)
{
	return (struct kvm_segment){ .base = 0, .limit = 0xFFFFFFFF, .selector = (__u16)selector,
				     .type = (__u8)type, .present = 1, .s = 1, .db = (__u8)db,
				     .l = (__u8)l, .g = 1 };
}

/* The GDT at 0x500: null, code (@code_desc), flat data. */
static void set_gdt(struct vm *t, struct kvm_sregs *s, uint64_t code_desc)
{
	const uint64_t gdt[3] = { 0, code_desc, 0x00CF93000000FFFFULL };

	memcpy(t->ram + 0x500, gdt, sizeof(gdt));
	s->gdt.base = 0x500;
	s->gdt.limit = sizeof(gdt) - 1;
	s->ds = s->es = s->ss = flat(0x10, 3, 1, 0);
}

/* A VM with @code at 0x1000 and RIP there, in flat 32-bit protected mode, paging off. */
static void vm_protected_mode(struct vm *t, const void *code, size_t len)
{
	struct kvm_regs r = { .rip = 0x1000, .rflags = 2 };
	struct kvm_sregs s;

	vm_bare(t, 0x10000, 0);
	memcpy(t->ram + 0x1000, code, len);
	s = get_sregs(t);
	set_gdt(t, &s, 0x00CF9B000000FFFFULL);
	s.cs = flat(0x8, 0xB, 1, 0);
	s.cr0 = 0x11;
	assert_int_equal(kvm_ioctl(t->vcpu, KVM_SET_SREGS, &s), 0);
	assert_int_equal(kvm_ioctl(t->vcpu, KVM_SET_REGS, &r), 0);
}

/* 32-bit protected mode, paging off, set up with KVM_SET_SREGS as selftests do. */
static void test_protected_mode(void **state)
{
	static const unsigned char code[] = {
		0xB8, 0x78, 0x56, 0x34, 0x12,		/* 1000 mov eax,0x12345678 */
		0xA3, 0x00, 0x20, 0x00, 0x00,		/* 1005 mov [0x2000],eax */
		0x8B, 0x1D, 0x00, 0x20, 0x00, 0x00,	/* 100A mov ebx,[0x2000] */
		0xE7, 0x80,				/* 1010 out 0x80,eax */
		0xF4,					/* 1012 hlt */
	};
	struct kvm_regs r;
	struct kvm_sregs s;
	struct vm t;
	uint32_t v;

	(void)state;
	vm_protected_mode(&t, code, sizeof(code));
	expect_io(&t, KVM_EXIT_IO_OUT, 4, 0x80);
	memcpy(&v, pio_data(&t), 4);
	assert_int_equal(v, 0x12345678);
	run_ok(&t, KVM_EXIT_HLT);
	r = get_regs(&t);
	assert_int_equal(r.rbx, 0x12345678);
	assert_int_equal(r.rip, 0x1013);
	memcpy(&v, t.ram + 0x2000, 4);
	assert_int_equal(v, 0x12345678);
	s = get_sregs(&t);
	assert_int_equal(s.cs.selector, 8);
	assert_int_equal(s.cs.db, 1);
	assert_int_equal(s.cs.limit, 0xFFFFFFFF);
	assert_int_equal(s.cr0 & 1, 1);
	vm_destroy(&t);
}

/*
 * Long mode with identity-mapped 2 MiB paging, set up with KVM_SET_SREGS;
 * the RAM slot logs dirty pages; an 8-byte MMIO store.  Then a #UD with no
 * IDT: triple fault.
 */
static void test_long_mode(void **state)
{
	static const unsigned char code[] = {
		0x48, 0xB8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* mov rax,imm64 */
		0x48, 0x89, 0x04, 0x25, 0x00, 0x20, 0x00, 0x00,	/* 100A mov [0x2000],rax */
		0x48, 0xFF, 0xC3,				/* 1012 inc rbx */
		0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x10, 0x00,	/* 1015 mov [0x100000],rax */
		0xF4,						/* 101D hlt */
		0x0F, 0x0B,					/* 101E ud2 */
	};
	const uint64_t pml4e = 0x4000 | 3, pdpte = 0x5000 | 3, pde = 0x83;
	struct kvm_regs r = { .rip = 0x1000, .rflags = 2, .rbx = 41 };
	uint64_t bitmap[1] = { 0 }, v;
	struct kvm_dirty_log log = { .slot = 1, .dirty_bitmap = bitmap };
	struct kvm_sregs s;
	struct vm t;

	(void)state;
	vm_bare(&t, 0x10000, KVM_MEM_LOG_DIRTY_PAGES);
	memcpy(t.ram + 0x1000, code, sizeof(code));
	memcpy(t.ram + 0x3000, &pml4e, 8);
	memcpy(t.ram + 0x4000, &pdpte, 8);
	memcpy(t.ram + 0x5000, &pde, 8);
	s = get_sregs(&t);
	set_gdt(&t, &s, 0x00AF9B000000FFFFULL);
	s.cs = flat(0x8, 0xB, 0, 1);
	s.cr0 = 0x80000011;
	s.cr3 = 0x3000;
	s.cr4 = 0x20;
	s.efer = 0x500;
	s.idt.limit = 0;
	assert_int_equal(kvm_ioctl(t.vcpu, KVM_SET_SREGS, &s), 0);
	assert_int_equal(kvm_ioctl(t.vcpu, KVM_SET_REGS, &r), 0);
	assert_int_equal(kvm_ioctl(t.vm, KVM_GET_DIRTY_LOG, &log), 0);	/* start clean */
	/* Unicorn splits an 8-byte MMIO store in two (KVM would make one exit). */
	expect_mmio(&t, 0x100000, 4, 1);
	assert_memory_equal(t.run->mmio.data, "\x88\x77\x66\x55", 4);
	expect_mmio(&t, 0x100004, 4, 1);
	assert_memory_equal(t.run->mmio.data, "\x44\x33\x22\x11", 4);
	run_ok(&t, KVM_EXIT_HLT);
	r = get_regs(&t);
	assert_int_equal(r.rax, 0x1122334455667788ULL);
	assert_int_equal(r.rbx, 42);
	assert_int_equal(r.rip, 0x101E);
	memcpy(&v, t.ram + 0x2000, 8);
	assert_int_equal(v, 0x1122334455667788ULL);
	s = get_sregs(&t);
	assert_int_equal(s.efer, 0x500);
	assert_int_equal(s.cs.l, 1);
	assert_int_equal(s.cr3, 0x3000);
	assert_int_equal(kvm_ioctl(t.vm, KVM_GET_DIRTY_LOG, &log), 0);
	assert_true(bitmap[0] & (1u << 2));		/* the store */
	assert_false(bitmap[0] & (1u << 1));		/* code, only read */
	run_ok(&t, KVM_EXIT_SHUTDOWN);
	vm_destroy(&t);
}

/* immediate_exit before KVM_RUN, and set while the guest spins: EINTR. */
static void test_immediate_exit(void **state)
{
	static const unsigned char code[] = { 0x41, 0xEB, 0xFD };	/* 1: inc cx; jmp 1b */
	struct vm t;
	pthread_t thread;

	(void)state;
	vm_real_mode(&t, code, sizeof(code));
	t.run->immediate_exit = 1;
	TEST_ASSERT_ERRNO(kvm_ioctl(t.vcpu, KVM_RUN, 0), EINTR);
	t.run->immediate_exit = 0;
	assert_int_equal(pthread_create(&thread, NULL, set_immediate_exit, t.run), 0);
	TEST_ASSERT_ERRNO(kvm_ioctl(t.vcpu, KVM_RUN, 0), EINTR);
	pthread_join(thread, NULL);
	assert_int_equal(t.run->exit_reason, KVM_EXIT_INTR);
	assert_true(get_regs(&t).rcx > 0);	/* it did run */
	vm_destroy(&t);
}

/* No memory at the reset vector: KVM cannot fetch the instruction either. */
static void test_no_memory(void **state)
{
	struct vm t;

	(void)state;
	vm_bare(&t, 0, 0);
	run_ok(&t, KVM_EXIT_INTERNAL_ERROR);
	assert_int_equal(t.run->internal.suberror, KVM_INTERNAL_ERROR_EMULATION);
	vm_destroy(&t);
}

/*
 * Real mode through the IVT: INT 10h and a #UD whose handler skips the
 * instruction; IRET returns to CS F000, whose base is then F0000 (the ROM's
 * alias below 1 MiB, as on a PC).
 */
static void test_real_mode_interrupts(void **state)
{
	static const unsigned char code[] = {
		0xCD, 0x10,	/* F000 int 0x10 */
		0x0F, 0x0B,	/* F002 ud2 */
		0xF4,		/* F004 hlt */
	};
	static const unsigned char int10[] = {
		0xB0, 0x10, 0xE6, 0x80, 0xCF,		/* mov al,0x10; out 0x80,al; iret */
	};
	static const unsigned char ud[] = {
		0xB0, 0x06, 0xE6, 0x80,			/* mov al,6; out 0x80,al */
		0x89, 0xE5, 0x83, 0x46, 0x00, 0x02,	/* mov bp,sp; add word [bp],2 */
		0xCF,					/* iret */
	};
	const uint16_t ivt_int10[2] = { 0x1000, 0 }, ivt_ud[2] = { 0x1010, 0 };
	struct kvm_regs r;
	struct kvm_sregs s;
	struct vm t;

	(void)state;
	vm_real_mode(&t, code, sizeof(code));
	set_slot(t.vm, 3, 0, 0xF0000, ROM_SIZE, t.rom);
	memcpy(t.ram + 0x1000, int10, sizeof(int10));
	memcpy(t.ram + 0x1010, ud, sizeof(ud));
	memcpy(t.ram + 4 * 0x10, ivt_int10, sizeof(ivt_int10));
	memcpy(t.ram + 4 * 6, ivt_ud, sizeof(ivt_ud));
	r = get_regs(&t);
	r.rsp = 0x3000;
	r.rflags |= 1u << 9;	/* IF, which delivery clears and IRET restores */
	assert_int_equal(kvm_ioctl(t.vcpu, KVM_SET_REGS, &r), 0);
	expect_io(&t, KVM_EXIT_IO_OUT, 1, 0x80);
	assert_int_equal(pio_data(&t)[0], 0x10);
	assert_int_equal(get_regs(&t).rflags & (1u << 9), 0);
	assert_int_equal(get_sregs(&t).cs.base, 0);
	expect_io(&t, KVM_EXIT_IO_OUT, 1, 0x80);
	assert_int_equal(pio_data(&t)[0], 6);
	run_ok(&t, KVM_EXIT_HLT);
	r = get_regs(&t);
	assert_int_equal(r.rip, 0xF005);
	assert_int_equal(r.rsp, 0x3000);
	assert_true(r.rflags & (1u << 9));
	assert_int_equal(t.ram[0x3000 - 6], 0x04);	/* the #UD frame's IP, F002 + 2 */
	s = get_sregs(&t);
	assert_int_equal(s.cs.selector, 0xF000);
	assert_int_equal(s.cs.base, 0xF0000);
	vm_destroy(&t);
}

/* What the engine cannot do is an error exit, never a silent success. */
static void test_unsupported(void **state)
{
	static const unsigned char ud2[] = { 0x0F, 0x0B };
	static const unsigned char in_mmio[] = { 0xA1, 0x00, 0x60, 0xF4 };	/* mov ax,[0x6000] */
	struct kvm_regs r;
	struct vm t;

	(void)state;
	/* A 32-bit protected-mode exception: the engine has no 32-bit IDT delivery. */
	vm_protected_mode(&t, ud2, sizeof(ud2));
	run_ok(&t, KVM_EXIT_INTERNAL_ERROR);
	assert_int_equal(t.run->internal.suberror, KVM_INTERNAL_ERROR_DELIVERY_EV);
	assert_int_equal(t.run->internal.ndata, 1);
	assert_int_equal(t.run->internal.data[0], 6);
	vm_destroy(&t);
	/* A new state inside an instruction: the engine would lose it. */
	vm_real_mode(&t, in_mmio, sizeof(in_mmio));
	expect_mmio(&t, 0x6000, 2, 0);
	r = get_regs(&t);
	r.rbx = 7;
	assert_int_equal(kvm_ioctl(t.vcpu, KVM_SET_REGS, &r), 0);
	TEST_ASSERT_ERRNO(kvm_ioctl(t.vcpu, KVM_RUN, 0), EBUSY);
	vm_destroy(&t);
}

/* A TD and a normal VM in one process, their exits interleaved. */
static void test_td_beside_vm(void **state)
{
	static const unsigned char code[] = {
		0xE6, 0x80,	/* out 0x80,al */
		0xE4, 0x81,	/* in al,0x81 */
		0xF4,		/* hlt */
	};
	struct kvm_tdx_cmd cmd = { .id = KVM_TDX_INIT_VCPU };
	unsigned long long hw_error = 0;
	int td = td_create(kvm), td_vcpu;
	struct kvm_run *td_run;
	struct vm t;

	(void)state;
	vm_real_mode(&t, code, sizeof(code));
	expect_io(&t, KVM_EXIT_IO_OUT, 1, 0x80);
	vm_enable_split_irqchip(td);
	td_vcpu = kvm_ioctl(td, KVM_CREATE_VCPU, 0);
	vcpu_set_cpuid_x2apic(td_vcpu, true);
	assert_int_equal(kvm_ioctl(td_vcpu, KVM_MEMORY_ENCRYPT_OP, &cmd), 0);
	assert_int_equal(__tdx_vm_ioctl(td, KVM_TDX_FINALIZE_VM, 0, NULL, &hw_error), 0);
	td_run = kvm_mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, td_vcpu, 0);
	assert_true(td_run != MAP_FAILED);
	/* The TD runs its reset vector, which has no memory. */
	TEST_ASSERT_ERRNO(kvm_ioctl(td_vcpu, KVM_RUN, 0), EFAULT);
	assert_int_equal(td_run->exit_reason, KVM_EXIT_MEMORY_FAULT);
	assert_int_equal(kvm_run_memory_fault(td_run)->gpa, 0xFFFFF000);
	expect_io(&t, KVM_EXIT_IO_IN, 1, 0x81);
	pio_data(&t)[0] = 0x3C;
	run_ok(&t, KVM_EXIT_HLT);
	assert_int_equal(get_regs(&t).rax & 0xFF, 0x3C);
	munmap(td_run, 3 * 4096);
	kvm_close(td_vcpu);
	kvm_close(td);
	vm_destroy(&t);
}

/*
 * Without a platform (here: SOFTTDX_MEM_GB=0 makes its creation fail)
 * there are no CPU cores to run on.  Run in a fresh process, since the
 * platform is made once per process; exits 0 when KVM_RUN said ENODEV.
 */
static int run_without_platform(void)
{
	int fd = softtdx_kvm_open(), vm, vcpu;

	if (fd < 0)
		return 2;
	vm = softtdx_ioctl(fd, KVM_CREATE_VM, (void *)KVM_X86_DEFAULT_VM);
	vcpu = vm < 0 ? -1 : softtdx_ioctl(vm, KVM_CREATE_VCPU, (void *)0);
	if (vcpu < 0)
		return 3;
	return softtdx_ioctl(vcpu, KVM_RUN, NULL) == -1 && errno == ENODEV ? 0 : 4;
}

static void test_no_platform(void **state)
{
	char *const argv[] = { "test_vmx_run", "--no-platform", NULL };
	int status = 0;
	pid_t pid;

	(void)state;
	if (kvm_backend_is_kernel())
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		setenv("SOFTTDX_MEM_GB", "0", 1);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		KVM_TEST(test_port_io),
		KVM_TEST(test_string_io),
		KVM_TEST(test_mmio),
		KVM_TEST(test_set_regs_during_mmio),
		KVM_TEST(test_hlt_and_registers),
		KVM_TEST(test_hlt_in_kernel_apic),
		KVM_TEST(test_protected_mode),
		KVM_TEST(test_long_mode),
		KVM_TEST(test_immediate_exit),
		KVM_TEST(test_no_memory),
		KVM_TEST(test_real_mode_interrupts),
		KVM_TEST(test_unsupported),
		KVM_TEST(test_td_beside_vm),
		KVM_TEST(test_no_platform),
	};

	if (argc > 1 && !strcmp(argv[1], "--no-platform"))
		return run_without_platform();

	return kvm_run_tests(tests);
}
