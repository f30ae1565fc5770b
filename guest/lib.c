// SPDX-License-Identifier: MIT
/* The guest kit's library: TDVMCALL wrappers, console, IDT. */
#include "guest.h"

u64 tdvmcall(u64 fn, u64 r12, u64 r13, u64 r14, u64 r15, u64 *r11)
{
	struct tdcall_regs r = {
		.rax = TDG_VP_VMCALL, .rcx = TDVMCALL_EXPOSE, .r10 = 0, .r11 = fn,
		.r12 = r12, .r13 = r13, .r14 = r14, .r15 = r15,
	};

	tdcall(&r);
	if (r11)
		*r11 = r.r11;
	return r.r10;
}

void tdvmcall_outb(u16 port, u8 value)
{
	tdvmcall(TDVMCALL_IO, 1, 1, port, value, 0);
}

u32 tdvmcall_in(u16 port, unsigned int size)
{
	u64 v = 0;

	tdvmcall(TDVMCALL_IO, size, 0, port, 0, &v);
	return (u32)v;
}

void guest_puts(const char *s)
{
	while (*s)
		tdvmcall_outb(0x3F8, (u8)*s++);
}

void guest_put_hex(u64 v)
{
	char buf[19] = "0x";
	int i;

	for (i = 0; i < 16; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xF];
	buf[18] = 0;
	guest_puts(buf);
}

void guest_put_dec(u64 v)
{
	char buf[21], *p = buf + sizeof(buf) - 1;

	*p = 0;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	guest_puts(p);
}

void guest_report(u64 v)
{
	tdvmcall(TDVMCALL_IO, 4, 1, 0x80, (u32)v, 0);
	tdvmcall(TDVMCALL_IO, 4, 1, 0x84, v >> 32, 0);
}

void guest_exit(u8 code)
{
	tdvmcall_outb(0xF4, code);
	for (;;)
		tdvmcall(TDVMCALL_REPORT_FATAL, 0, 0, 0, 0, 0);
}

/* ---- what gcc may call even in freestanding code ------------------------------ */

void *memcpy(void *dst, const void *src, unsigned long n)
{
	void *d = dst;

	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

void *memset(void *dst, int c, unsigned long n)
{
	void *d = dst;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

int memcmp(const void *a, const void *b, unsigned long n)
{
	const u8 *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

/* ---- exceptions ---------------------------------------------------------------- */

struct idt_gate {
	u16 offset_lo, selector;
	u8 ist, type;
	u16 offset_mid;
	u32 offset_hi, reserved;
} __attribute__((packed));

#define NR_VECTORS	256
extern const char guest_vector_0[], guest_vector_1[];

static struct idt_gate idt[NR_VECTORS] __attribute__((aligned(16)));
static guest_exception_fn handler;

void guest_exception(struct guest_frame *f);
void guest_exception(struct guest_frame *f)
{
	if (handler)
		handler(f);
	else
		guest_exit(0x7F);
}

void guest_set_exception_handler(guest_exception_fn fn)
{
	/* The stubs are 16-byte aligned and each fits in 16 bytes. */
	u64 stride = (u64)(guest_vector_1 - guest_vector_0);
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (u64)idt };
	int v;

	handler = fn;
	for (v = 0; v < NR_VECTORS; v++) {
		u64 a = (u64)guest_vector_0 + stride * (u64)v;

		idt[v] = (struct idt_gate){
			.offset_lo = (u16)a, .selector = 0x08, .type = 0x8E,
			.offset_mid = (u16)(a >> 16), .offset_hi = (u32)(a >> 32),
		};
	}
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void guest_start(u64 initial_rcx, u32 vcpu_index, u32 gpaw);
void guest_start(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	guest_main(initial_rcx, vcpu_index, gpaw);
	guest_exit(0);
}
