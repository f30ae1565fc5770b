// SPDX-License-Identifier: MIT
/*
 * The demo TD `make run` starts: a banner from inside the TD, its
 * TDG.VP.INFO, an RTMR extend, and the TDREPORT that shows both, on COM1;
 * then a quote for that TDREPORT through TDVMCALL<GetQuote> (the VMM's
 * quote-generation socket), and isa-debug-exit with 0.
 */
#include "guest.h"

#define GET_QUOTE		0x10002
#define SETUP_EVENT_NOTIFY	0x10004
#define TDVMCALL_RETRY		1
#define QUOTE_VECTOR		0x50
#define QUOTE_IN_FLIGHT		(~0ULL)
#define QUOTE_QGS_UNAVAILABLE	0x8000000000000001ULL

static u8 report[1024] __attribute__((aligned(1024)));
static u8 report_data[64] __attribute__((aligned(64))) = "softtdx demo: report data";
static u8 event[48] __attribute__((aligned(64))) = "softtdx demo: an event for RTMR[2]";
/* GetQuote's buffer: private in the image, shared once the VMM is to see it. */
static u8 quote_buf[8192] __attribute__((aligned(4096)));
static volatile u64 notified;

static void put_bytes(const u8 *b, unsigned int n)
{
	static const char hex[] = "0123456789abcdef";
	char s[3] = { 0 };

	for (unsigned int i = 0; i < n; i++) {
		s[0] = hex[b[i] >> 4];
		s[1] = hex[b[i] & 15];
		guest_puts(s);
	}
}

static void on_interrupt(struct guest_frame *f)
{
	if (f->vector < 32) {
		guest_puts("demo: exception ");
		guest_put_hex(f->vector);
		guest_exit(0x7F);
	}
	notified++;
	__asm__ volatile("wrmsr" : : "c"(0x80B), "a"(0), "d"(0));	/* EOI */
}

/* TDVMCALL<MapGPA> of the buffer to shared, retried from where the VMM stopped. */
static bool make_shared(u64 gpa, u64 size, u64 shared_bit)
{
	u64 next = gpa, status;

	do {
		status = tdvmcall(TDVMCALL_MAP_GPA, next | shared_bit, gpa + size - next, 0, 0,
				  &next);
		next &= ~shared_bit;
	} while (status == TDVMCALL_RETRY);
	return !status;
}

/* GetQuote as a TD's attestation driver does it, waiting for the VMM's interrupt. */
static void get_quote(u32 gpaw)
{
	u64 shared_bit = 1ULL << (gpaw - 1), gpa = (u64)quote_buf, status;
	volatile u64 *hdr = (u64 *)((gpaw == 48 ? 1ULL << 39 : 1ULL << 40) + gpa);

	if (!make_shared(gpa, sizeof(quote_buf), shared_bit)) {
		guest_puts("GetQuote: MapGPA failed\n");
		return;
	}
	hdr[0] = 1;				/* structure version */
	hdr[1] = 0;				/* status */
	hdr[2] = sizeof(report);		/* in_len; out_len 0 */
	memcpy((u8 *)hdr + 24, report, sizeof(report));
	tdvmcall(SETUP_EVENT_NOTIFY, QUOTE_VECTOR, 0, 0, 0, 0);
	guest_set_exception_handler(on_interrupt);
	__asm__ volatile("sti");
	status = tdvmcall(GET_QUOTE, gpa | shared_bit, sizeof(quote_buf), 0, 0, 0);
	/* Interrupts off from the check to the HLT: the notification cannot slip in between. */
	while (!status) {
		__asm__ volatile("cli" ::: "memory");
		if (hdr[1] != QUOTE_IN_FLIGHT)
			break;
		tdvmcall(TDVMCALL_HLT, 0, 0, 0, 0, 0);
		__asm__ volatile("sti" ::: "memory");
	}
	__asm__ volatile("sti" ::: "memory");
	if (status || hdr[1]) {
		guest_puts(status ? "GetQuote: TDVMCALL status " : "GetQuote: ");
		guest_puts(hdr[1] == QUOTE_QGS_UNAVAILABLE ? "no quote-generation service\n" :
			   "the VMM could not get a quote\n");
		return;
	}
	guest_puts("GetQuote: a ");
	guest_put_dec(hdr[2] >> 32);
	guest_puts("-byte TD quote, version ");
	guest_put_dec(*((volatile u16 *)hdr + 12));
	guest_puts(notified ? ", notified by interrupt\n" : "\n");
}

void guest_main(u64 initial_rcx, u32 vcpu_index, u32 gpaw)
{
	struct tdcall_regs r = { .rax = TDG_VP_INFO };

	(void)initial_rcx;
	while (vcpu_index)	/* the other vCPUs wait for an interrupt that never comes */
		tdvmcall(TDVMCALL_HLT, 0, 0, 0, 0, 0);
	guest_puts("softtdx demo TD: hello from inside a trust domain\n");
	tdcall(&r);
	guest_puts("TDG.VP.INFO: GPAW ");
	guest_put_dec(r.rcx);
	guest_puts(", ATTRIBUTES ");
	guest_put_hex(r.rdx);
	guest_puts(", vCPU ");
	guest_put_dec(r.r9);
	guest_puts(" of ");
	guest_put_dec((u32)r.r8);
	guest_puts(" (max ");
	guest_put_dec(r.r8 >> 32);
	guest_puts(")\n");

	r = (struct tdcall_regs){ .rax = TDG_MR_RTMR_EXTEND, .rcx = (u64)event, .rdx = 2 };
	guest_puts(tdcall(&r) ? "TDG.MR.RTMR.EXTEND failed\n" : "RTMR[2] extended\n");

	r = (struct tdcall_regs){ .rax = TDG_MR_REPORT, .rcx = (u64)report,
				  .rdx = (u64)report_data };
	if (tdcall(&r)) {
		guest_puts("TDG.MR.REPORT failed\n");
		guest_exit(1);
	}
	guest_puts("TDREPORT: MRTD    ");
	put_bytes(report + 528, 48);
	guest_puts("\n          RTMR[2] ");
	put_bytes(report + 816, 48);
	guest_puts("\n          REPORTDATA \"");
	guest_puts((const char *)report + 128);
	guest_puts("\"\n");
	get_quote(gpaw);
}
