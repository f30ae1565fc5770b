// SPDX-License-Identifier: MIT
/*
 * The ACPI tables softtdx's q35 describes itself with (ACPI 6.5): what a
 * TD's OS needs to find its CPUs (x2APIC entries and the multiprocessor
 * wakeup mailbox TDX guests start APs with), its IOAPIC, the ICH9 PM
 * block it powers off through and COM1.  All little-endian, every table
 * checksummed, each 16-byte aligned after the RSDP (FACS: 64).
 */
#include "linux.h"
#include "tdvf_internal.h"

#include <string.h>

#define HDR_LEN		36
#define RSDP_LEN	36
#define FADT_LEN	276
#define FACS_LEN	64
#define MADT_REVISION	5	/* ACPI 6.4 and later: the MP wakeup structure */

/* FADT flags, as QEMU's q35 sets them. */
#define FADT_WBINVD		(1u << 0)
#define FADT_PROC_C1		(1u << 2)
#define FADT_SLP_BUTTON		(1u << 5)
#define FADT_RTC_S4		(1u << 7)
#define FADT_RESET_REG_SUP	(1u << 10)

/* MADT structure types. */
#define MADT_IOAPIC		1
#define MADT_ISO		2
#define MADT_LOCAL_X2APIC	9
#define MADT_MP_WAKEUP		0x10

struct out {
	uint8_t *buf;
	size_t size, len;
	uint64_t gpa;
	bool overflow;
};

static uint8_t *take(struct out *o, size_t n, size_t align)
{
	size_t at = (o->len + align - 1) & ~(align - 1);

	if (o->overflow || at > o->size || n > o->size - at) {
		o->overflow = true;
		return NULL;
	}
	o->len = at + n;
	memset(o->buf + at, 0, n);
	return o->buf + at;
}

static uint64_t gpa_of(const struct out *o, const uint8_t *p)
{
	return o->gpa + (uint64_t)(p - o->buf);
}

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum += *p++;
	return (uint8_t)-sum;
}

/* The common header; the length and checksum are set by finish(). */
static uint8_t *table(struct out *o, const char sig[4], size_t len, uint8_t revision)
{
	uint8_t *t = take(o, len, 16);

	if (t) {
		memcpy(t, sig, 4);
		t[8] = revision;
		memcpy(t + 10, "SOFTDX", 6);
		memcpy(t + 16, "SOFTTDX ", 8);
		put_le(t + 24, 1, 4);
		memcpy(t + 28, "STDX", 4);
		put_le(t + 32, 1, 4);
	}
	return t;
}

static void finish(uint8_t *t, size_t len)
{
	put_le(t + 4, len, 4);
	t[9] = checksum(t, len);
}

/* ---- DSDT: a little AML ---------------------------------------------------------------- */

/* @op, a PkgLength for @n bytes that follow it, then those bytes (n < 4096). */
static size_t aml_package(uint8_t *out, const uint8_t *op, size_t oplen, const uint8_t *body,
			  size_t n)
{
	size_t len = n + (n + 1 < 0x40 ? 1 : 2);

	memcpy(out, op, oplen);
	out += oplen;
	if (len < 0x40) {
		out[0] = (uint8_t)len;
	} else {
		out[0] = (uint8_t)(0x40 | (len & 0xf));
		out[1] = (uint8_t)(len >> 4);
	}
	memmove(out + len - n, body, n);
	return oplen + len;
}

static size_t aml_dsdt(uint8_t *out)
{
	static const uint8_t s5[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0,	/* Name(_S5, {0,0,0,0}) */
	};
	static const uint8_t com1_body[] = {
		'C', 'O', 'M', '1',
		0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01,	/* EisaId("PNP0501") */
		0x08, '_', 'U', 'I', 'D', 0x01,				/* One */
		0x08, '_', 'C', 'R', 'S', 0x11, 0x10, 0x0a, 0x0d,		/* Buffer(13) */
		0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x00, 0x08,		/* IO 0x3F8, 8 ports */
		0x22, 0x10, 0x00,					/* IRQNoFlags {4} */
		0x79, 0x00,						/* end tag */
	};
	static const uint8_t device_op[] = { 0x5b, 0x82 }, scope_op[] = { 0x10 };
	uint8_t dev[64], scope[80];
	size_t n;

	n = aml_package(dev, device_op, sizeof(device_op), com1_body, sizeof(com1_body));
	memmove(dev + 4, dev, n);
	memcpy(dev, "_SB_", 4);
	n = aml_package(scope, scope_op, sizeof(scope_op), dev, n + 4);
	memcpy(out, s5, sizeof(s5));
	memcpy(out + sizeof(s5), scope, n);
	return sizeof(s5) + n;
}

/* ---- the tables ------------------------------------------------------------------------- */

static void gas_io(uint8_t *g, unsigned int bytes, uint64_t port)
{
	g[0] = 1;			/* system I/O */
	g[1] = (uint8_t)(8 * bytes);
	put_le(g + 4, port, 8);
}

static uint8_t *fadt(struct out *o, const struct acpi_machine *m, uint64_t facs, uint64_t dsdt)
{
	uint8_t *t = table(o, "FACP", FADT_LEN, 6);

	if (!t)
		return NULL;
	put_le(t + 36, facs, 4);
	put_le(t + 40, dsdt, 4);
	put_le(t + 46, 9, 2);			/* SCI_INT */
	put_le(t + 56, m->pm_base, 4);		/* PM1a_EVT_BLK */
	put_le(t + 64, m->pm_base + 4u, 4);	/* PM1a_CNT_BLK */
	put_le(t + 76, m->pm_base + 8u, 4);	/* PM_TMR_BLK */
	put_le(t + 80, m->pm_base + 0x20u, 4);	/* GPE0_BLK */
	t[88] = 4;
	t[89] = 2;
	t[91] = 4;
	t[92] = 16;
	put_le(t + 96, 0xfff, 2);			/* no C2 */
	put_le(t + 98, 0xfff, 2);			/* no C3 */
	t[108] = 0x32;				/* CMOS century */
	put_le(t + 112, FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_RTC_S4 |
		     FADT_RESET_REG_SUP, 4);
	gas_io(t + 116, 1, 0xcf9);		/* RESET_REG: ICH9's reset control */
	t[128] = 0x0f;
	put_le(t + 132, facs, 8);
	put_le(t + 140, dsdt, 8);
	finish(t, FADT_LEN);
	return t;
}

static uint8_t *madt(struct out *o, const struct acpi_machine *m)
{
	size_t len = 44 + 16 * (size_t)m->cpus + 12 + 2 * 10 + 16;
	uint8_t *t = table(o, "APIC", len, MADT_REVISION), *p;

	if (!t)
		return NULL;
	put_le(t + 36, 0xfee00000, 4);
	p = t + 44;
	for (unsigned int i = 0; i < m->cpus; i++, p += 16) {
		p[0] = MADT_LOCAL_X2APIC;
		p[1] = 16;
		put_le(p + 4, i, 4);		/* x2APIC ID */
		put_le(p + 8, 1, 4);		/* enabled */
		put_le(p + 12, i, 4);		/* ACPI processor UID */
	}
	p[0] = MADT_IOAPIC;
	p[1] = 12;
	put_le(p + 4, m->ioapic_base, 4);
	p += 12;
	/* ISA IRQ 0 is GSI 2; the SCI is level-triggered, active high. */
	for (unsigned int i = 0; i < 2; i++, p += 10) {
		p[0] = MADT_ISO;
		p[1] = 10;
		p[3] = i ? 9 : 0;
		put_le(p + 4, i ? 9 : 2, 4);
		put_le(p + 8, i ? 0xd : 0, 2);
	}
	p[0] = MADT_MP_WAKEUP;
	p[1] = 16;
	put_le(p + 8, m->mailbox, 8);
	finish(t, len);
	return t;
}

size_t acpi_build(const struct acpi_machine *m, uint64_t gpa, uint8_t *buf, size_t size)
{
	struct out o = { .buf = buf, .size = size, .gpa = gpa };
	uint8_t aml[256], *rsdp = take(&o, RSDP_LEN, 16);
	size_t aml_len = aml_dsdt(aml);
	uint8_t *xsdt = table(&o, "XSDT", HDR_LEN + 16, 1);
	uint8_t *facs = take(&o, FACS_LEN, 64);
	uint8_t *dsdt = table(&o, "DSDT", HDR_LEN + aml_len, 2);
	uint8_t *fadt_t = dsdt && facs ? fadt(&o, m, gpa_of(&o, facs), gpa_of(&o, dsdt)) : NULL;
	uint8_t *madt_t = madt(&o, m);

	if (o.overflow || !fadt_t || !madt_t)
		return 0;
	memcpy(facs, "FACS", 4);
	put_le(facs + 4, FACS_LEN, 4);
	facs[32] = 2;				/* version */
	memcpy(dsdt + HDR_LEN, aml, aml_len);
	finish(dsdt, HDR_LEN + aml_len);
	put_le(xsdt + HDR_LEN, gpa_of(&o, fadt_t), 8);
	put_le(xsdt + HDR_LEN + 8, gpa_of(&o, madt_t), 8);
	finish(xsdt, HDR_LEN + 16);
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "SOFTDX", 6);
	rsdp[15] = 2;				/* ACPI 2.0+: the XSDT */
	put_le(rsdp + 20, RSDP_LEN, 4);
	put_le(rsdp + 24, gpa_of(&o, xsdt), 8);
	rsdp[8] = checksum(rsdp, 20);
	rsdp[32] = checksum(rsdp, RSDP_LEN);
	return o.len;
}
