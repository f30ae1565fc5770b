// SPDX-License-Identifier: MIT
/*
 * The demo TD `make run` starts: a banner from inside the TD, its
 * TDG.VP.INFO, an RTMR extend, and the TDREPORT that shows both, on COM1;
 * then isa-debug-exit with 0.
 */
#include "guest.h"

static u8 report[1024] __attribute__((aligned(1024)));
static u8 report_data[64] __attribute__((aligned(64))) = "softtdx demo: report data";
static u8 event[48] __attribute__((aligned(64))) = "softtdx demo: an event for RTMR[2]";

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

static void put_dec(u64 v)
{
	char buf[21], *p = buf + sizeof(buf) - 1;

	*p = 0;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	guest_puts(p);
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
	put_dec(r.rcx);
	guest_puts(", ATTRIBUTES ");
	guest_put_hex(r.rdx);
	guest_puts(", vCPU ");
	put_dec(r.r9);
	guest_puts(" of ");
	put_dec((u32)r.r8);
	guest_puts(" (max ");
	put_dec(r.r8 >> 32);
	guest_puts(")\n");
	(void)gpaw;

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
}
