// SPDX-License-Identifier: MIT
/*
 * softtdx's TDVF: a minimal TDX virtual firmware.  The BSP checks the TD
 * HOB the VMM built, then either loads the payload ELF the VMM added at
 * TDVF_PAYLOAD (accepting the memory its segments go to) and starts it on
 * every vCPU, as docs/payload-abi.md describes, or starts the Linux kernel
 * the VMM added with its boot region (docs/linux-td.md): all RAM accepted,
 * the APs parked on the ACPI multiprocessor-wakeup mailbox.  What it finds
 * wrong it prints on COM1 and reports with TDG.VP.VMCALL<ReportFatalError>:
 * it never runs a payload it could not check.
 */
#include "guest.h"
#include "tdvf_layout.h"

#include <stddef.h>

#define __stringify_1(x)	#x
#define __stringify(x)		__stringify_1(x)

#define PAGE_4K		0x1000ULL
#define PAGE_2M		0x200000ULL
#define FOUR_GIB	0x100000000ULL
#define STATUS_CLASS(s)	((s) >> 32)
#define TDX_PAGE_ALREADY_ACCEPTED	0x00000B0AULL

/* ELF64, the parts a static x86-64 executable needs. */
struct elf64_ehdr {
	u8 ident[16];
	u16 type, machine;
	u32 version;
	u64 entry, phoff, shoff;
	u32 flags;
	u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf64_phdr {
	u32 type, flags;
	u64 offset, vaddr, paddr, filesz, memsz, align;
};
#define ELF_ET_EXEC	2
#define ELF_EM_X86_64	62
#define ELF_PT_LOAD	1

/* PI specification HOBs, as the VMM writes them into the TD_HOB section. */
struct hob_header {
	u16 type, length;
	u32 reserved;
};
struct hob_resource {
	struct hob_header h;
	u8 owner[16];
	u32 resource_type, attributes;
	u64 start, length;
};
#define HOB_HANDOFF		0x0001
#define HOB_RESOURCE		0x0003
#define HOB_END			0xFFFF
#define RESOURCE_SYSTEM_MEMORY	0
#define RESOURCE_UNACCEPTED	7

static u64 payload_entry;	/* set by the BSP once the payload is in place */
static bool linux_boot;		/* set by the BSP before payload_entry: park the APs */
static u32 parked;		/* APs waiting on the mailbox */

/* The ACPI multiprocessor-wakeup mailbox (ACPI 6.4, 5.2.12.19), OS half. */
struct mp_wakeup_mailbox {
	u16 command, reserved;
	u32 apic_id;
	u64 wakeup_vector;
};
#define MP_WAKEUP_COMMAND_WAKEUP	1

/* The boot protocol's zero page fields the firmware reads. */
#define ZP_HDR_MAGIC		0x202
#define ZP_CODE32_START		0x214
#define LINUX_ENTRY64		0x200	/* from the protected-mode kernel's start */
#define ICH9_LPC_PCI		0x8000F800u	/* CONFIG_ADDRESS of 00:1f.0 */
#define ICH9_PMBASE		0x40
#define ICH9_ACPI_CNTL		0x44
#define ICH9_ACPI_EN		0x80
#define PM_BASE			0x600	/* what the FADT says: OVMF's choice too */

static void __attribute__((noreturn)) fatal(const char *why)
{
	guest_puts("softtdx-tdvf: ");
	guest_puts(why);
	guest_puts("\n");
	for (;;)
		tdvmcall(TDVMCALL_REPORT_FATAL, 0, 0, 0, 0, 0);
}

static void on_exception(struct guest_frame *f)
{
	guest_puts("softtdx-tdvf: exception ");
	guest_put_hex(f->vector);
	guest_puts(" at RIP ");
	guest_put_hex(f->rip);
	fatal("in the firmware");
}

/* The RAM resource of @type that holds [gpa, gpa + len), or NULL. */
static const struct hob_resource *find_ram(u64 hob, u32 type, u64 gpa, u64 len)
{
	const u8 *p = (const u8 *)hob, *end = p + TDVF_HOB_SIZE;

	while (end - p >= (long)sizeof(struct hob_header)) {
		const struct hob_header *h = (const void *)p;
		const struct hob_resource *r = (const void *)p;

		if (h->type == HOB_END)
			return NULL;
		if (h->length < sizeof(*h) || h->length % 8 || h->length > end - p)
			fatal("TD HOB: a HOB's length is out of range");
		if (h->type == HOB_RESOURCE && h->length >= sizeof(*r) &&
		    r->resource_type == type && gpa >= r->start && len <= r->length &&
		    gpa - r->start <= r->length - len)
			return r;
		p += h->length;
	}
	fatal("TD HOB: no end-of-list HOB");
}

static void check_hob(u64 hob)
{
	const struct hob_header *h = (const void *)hob;

	if (hob != TDVF_HOB)
		fatal("RCX is not the GPA of the TD_HOB section");
	if (h->type != HOB_HANDOFF || h->length < sizeof(*h))
		fatal("TD HOB: it does not start with a handoff HOB");
}

/* TDG.MEM.PAGE.ACCEPT of [gpa, end): 2 MiB where KVM mapped 2 MiB, else 4 KiB. */
static void accept(u64 gpa, u64 end)
{
	while (gpa < end) {
		u64 size = !(gpa % PAGE_2M) && end - gpa >= PAGE_2M ? PAGE_2M : PAGE_4K;
		struct tdcall_regs r = { .rax = TDG_MEM_PAGE_ACCEPT, .rcx = gpa | (size == PAGE_2M) };
		u64 status = tdcall(&r);

		if (status && size == PAGE_2M) {
			size = PAGE_4K;
			r = (struct tdcall_regs){ .rax = TDG_MEM_PAGE_ACCEPT, .rcx = gpa };
			status = tdcall(&r);
		}
		/* Two segments may share a page. */
		if (status && STATUS_CLASS(status) != TDX_PAGE_ALREADY_ACCEPTED)
			fatal("TDG.MEM.PAGE.ACCEPT of payload memory failed");
		gpa += size;
	}
}

static void load_segment(u64 hob, const u8 *file, const struct elf64_phdr *ph, u64 file_len)
{
	u64 start, end;

	if (ph->filesz > ph->memsz || ph->offset > file_len || ph->filesz > file_len - ph->offset)
		fatal("payload: a segment's file range is outside the file");
	if (ph->paddr >= FOUR_GIB || ph->memsz > FOUR_GIB - ph->paddr)
		fatal("payload: a segment is not below 4 GiB");
	start = ph->paddr & ~(PAGE_4K - 1);
	end = (ph->paddr + ph->memsz + PAGE_4K - 1) & ~(PAGE_4K - 1);
	if (!find_ram(hob, RESOURCE_UNACCEPTED, start, end - start))
		fatal("payload: a segment is not in unaccepted RAM");
	accept(start, end);
	__builtin_memcpy((void *)ph->paddr, file + ph->offset, ph->filesz);
	__builtin_memset((void *)(ph->paddr + ph->filesz), 0, ph->memsz - ph->filesz);
}

/* The payload's entry point, with its PT_LOAD segments in place. */
static u64 load_payload(u64 hob)
{
	const struct hob_resource *added = find_ram(hob, RESOURCE_SYSTEM_MEMORY, TDVF_PAYLOAD, 1);
	const u8 *file = (const u8 *)TDVF_PAYLOAD;
	const struct elf64_ehdr *eh = (const void *)file;
	u64 len, entry_ok = 0;

	if (!added || added->start != TDVF_PAYLOAD || added->length > TDVF_PAYLOAD_MAX)
		fatal("no payload: the VMM added none at 16 MiB");
	len = added->length;
	if (len < sizeof(*eh) || __builtin_memcmp(eh->ident, "\177ELF\2\1\1", 7))
		fatal("payload: not a little-endian ELF64 file");
	if (eh->type != ELF_ET_EXEC || eh->machine != ELF_EM_X86_64)
		fatal("payload: not an x86-64 executable");
	if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phoff > len ||
	    eh->phnum > (len - eh->phoff) / sizeof(struct elf64_phdr))
		fatal("payload: program headers outside the file");
	for (u16 i = 0; i < eh->phnum; i++) {
		const struct elf64_phdr *ph = (const struct elf64_phdr *)(file + eh->phoff) + i;

		if (ph->type != ELF_PT_LOAD || !ph->memsz)
			continue;
		load_segment(hob, file, ph, len);
		entry_ok |= eh->entry >= ph->paddr && eh->entry - ph->paddr < ph->memsz;
	}
	if (!entry_ok)
		fatal("payload: the entry point is in no loaded segment");
	return eh->entry;
}

/* ---- Linux ------------------------------------------------------------------------- */

static void pci_config_write32(u32 address, u32 value)
{
	tdvmcall(TDVMCALL_IO, 4, 1, 0xCF8, address, 0);
	tdvmcall(TDVMCALL_IO, 4, 1, 0xCFC, value, 0);
}

/* Every unaccepted RAM range in the HOB: Linux gets no unaccepted-memory table here. */
static void accept_all(u64 hob)
{
	const u8 *p = (const u8 *)hob, *end = p + TDVF_HOB_SIZE;

	while (end - p >= (long)sizeof(struct hob_header)) {
		const struct hob_header *h = (const void *)p;
		const struct hob_resource *r = (const void *)p;

		if (h->type == HOB_END)
			return;
		if (h->length < sizeof(*h) || h->length % 8 || h->length > end - p)
			fatal("TD HOB: a HOB's length is out of range");
		if (h->type == HOB_RESOURCE && h->length >= sizeof(*r) &&
		    r->resource_type == RESOURCE_UNACCEPTED && r->start % PAGE_4K == 0 &&
		    r->length % PAGE_4K == 0 && r->start + r->length > r->start)
			accept(r->start, r->start + r->length);
		p += h->length;
	}
	fatal("TD HOB: no end-of-list HOB");
}

/* The 64-bit entry of the kernel the VMM added, with all RAM accepted and ACPI on. */
static u64 prepare_linux(u64 hob)
{
	const u8 *zp = (const u8 *)TDVF_LINUX_ZERO_PAGE;
	u64 kernel;

	if (__builtin_memcmp(zp + ZP_HDR_MAGIC, "HdrS", 4))
		fatal("-kernel: the zero page has no setup header");
	kernel = *(const u32 *)(zp + ZP_CODE32_START);
	if (!find_ram(hob, RESOURCE_SYSTEM_MEMORY, kernel, LINUX_ENTRY64 + 1))
		fatal("-kernel: the VMM added no kernel at code32_start");
	accept_all(hob);
	/* The PM block where the FADT says, as OVMF leaves it. */
	pci_config_write32(ICH9_LPC_PCI | ICH9_PMBASE, PM_BASE | 1);
	pci_config_write32(ICH9_LPC_PCI | ICH9_ACPI_CNTL, ICH9_ACPI_EN);
	return kernel + LINUX_ENTRY64;
}

static u32 vcpu_count(void)
{
	struct tdcall_regs r = { .rax = TDG_VP_INFO };

	if (tdcall(&r))
		fatal("TDG.VP.INFO failed");
	return (u32)r.r8;
}

/*
 * An AP waits for the OS's wakeup command for its APIC ID (the vCPU index,
 * as the MADT says), acknowledges it and jumps to the vector in 64-bit
 * mode with these identity-mapped page tables.  Registers only: the OS
 * owns the stacks' memory from the BSP's jump on.
 */
static void __attribute__((noreturn)) park(u32 apic_id)
{
	__atomic_add_fetch(&parked, 1, __ATOMIC_RELEASE);
	__asm__ volatile("1:\tpause\n\t"
			 "cmpw $" __stringify(MP_WAKEUP_COMMAND_WAKEUP) ", (%0)\n\t"
			 "jne 1b\n\t"
			 "cmpl %1, 4(%0)\n\t"
			 "jne 1b\n\t"
			 "mov 8(%0), %%rax\n\t"
			 "movw $0, (%0)\n\t"
			 "jmp *%%rax"
			 : : "r"(TDVF_LINUX_MAILBOX), "r"(apic_id) : "rax", "memory");
	__builtin_unreachable();
}

/* Into the kernel's 64-bit entry as the boot protocol wants it: __BOOT_CS 0x10, __BOOT_DS 0x18. */
static void __attribute__((noreturn)) start_linux(u64 entry)
{
	static const u64 gdt[4] = { 0, 0, 0x00AF9A000000FFFFULL, 0x00CF92000000FFFFULL };
	struct __attribute__((packed)) { u16 limit; u64 base; } desc = { sizeof(gdt) - 1, (u64)gdt };
	u32 aps = vcpu_count() - 1;

	while (__atomic_load_n(&parked, __ATOMIC_ACQUIRE) != aps)
		__builtin_ia32_pause();
	__asm__ volatile("lgdt %0\n\t"
			 "mov $0x18, %%eax\n\t"
			 "mov %%eax, %%ds\n\tmov %%eax, %%es\n\tmov %%eax, %%ss\n\t"
			 "pushq $0x10\n\tpushq %1\n\tlretq"
			 : : "m"(desc), "r"(entry), "S"((u64)TDVF_LINUX_ZERO_PAGE) : "rax", "memory");
	__builtin_unreachable();
}

void guest_main(u64 hob, u32 vcpu_index, u32 gpaw)
{
	u64 entry, stack;

	guest_set_exception_handler(on_exception);
	if ((u64)vcpu_index >= TDVF_TEMP_MEM_SIZE / TDVF_STACK_SIZE)
		fatal("more vCPUs than the firmware has stacks for");
	if (vcpu_index == 0) {
		check_hob(hob);
		linux_boot = find_ram(hob, RESOURCE_SYSTEM_MEMORY, TDVF_LINUX_ZERO_PAGE, PAGE_4K);
		entry = linux_boot ? prepare_linux(hob) : load_payload(hob);
		__atomic_store_n(&payload_entry, entry, __ATOMIC_RELEASE);
		if (linux_boot)
			start_linux(entry);
	}
	while (!(entry = __atomic_load_n(&payload_entry, __ATOMIC_ACQUIRE)))
		__builtin_ia32_pause();
	if (linux_boot)
		park(vcpu_index);
	stack = TDVF_TEMP_MEM + (vcpu_index + 1ULL) * TDVF_STACK_SIZE;
	__asm__ volatile("mov %0, %%rsp\n\txor %%ebp, %%ebp\n\tjmp *%1"
			 : : "r"(stack), "r"(entry), "D"(hob), "S"((u64)vcpu_index),
			   "d"((u64)gpaw) : "memory");
	__builtin_unreachable();
}
