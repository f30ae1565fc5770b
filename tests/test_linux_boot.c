// SPDX-License-Identifier: MIT
/*
 * -kernel's pure half: the bzImage checks (each refusal names its
 * reason), where kernel, initrd and boot region go in the TD, the zero
 * page and e820 map the kernel gets, and ACPI tables that a parser would
 * accept (checksums, lengths, pointers, the MADT's entries).
 */
#include "tdtest.h"

#include "../vmm/linux.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const uint8_t softtdx_tdvf[];
extern const uint64_t softtdx_tdvf_size;

#define KERNEL_LEN	(64 * 1024)
#define SETUP_SECTS	3
#define MiB		(1ULL << 20)

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

/* A bzImage header as Debian's 6.12 kernel has it, around a small kernel. */
static void make_bzimage(uint8_t *k)
{
	memset(k, 0, KERNEL_LEN);
	k[0x1f1] = SETUP_SECTS;
	wr(k + 0x1f4, (KERNEL_LEN - (SETUP_SECTS + 1) * 512) / 16, 4);
	wr(k + 0x1fe, 0xAA55, 2);
	k[0x200] = 0xeb;
	k[0x201] = 0x66;			/* header ends at 0x268 */
	memcpy(k + 0x202, "HdrS", 4);
	wr(k + 0x206, 0x020f, 2);
	k[0x211] = 1;
	wr(k + 0x22c, 0x7fffffff, 4);
	wr(k + 0x230, 0x200000, 4);
	k[0x234] = 1;
	wr(k + 0x236, 0x7f, 2);
	wr(k + 0x238, 0x7ff, 4);
	wr(k + 0x258, 0x1000000, 8);
	wr(k + 0x260, 0x3800000, 4);
}

struct fixture {
	uint8_t *image;
	size_t len;
	struct tdvf_meta meta;
	struct linux_boot lb;
	struct td_ram_map map;
	char err[200];
};

/* firmware | kernel | initrd, placed for @ram bytes and @cpus vCPUs. */
static int place(struct fixture *f, const uint8_t *kernel, size_t initrd_len, uint64_t ram,
		 unsigned int cpus, const char *cmdline)
{
	f->len = softtdx_tdvf_size + KERNEL_LEN + initrd_len;
	f->image = calloc(1, f->len);
	memcpy(f->image, softtdx_tdvf, softtdx_tdvf_size);
	memcpy(f->image + softtdx_tdvf_size, kernel, KERNEL_LEN);
	memset(f->image + softtdx_tdvf_size + KERNEL_LEN, 0x5a, initrd_len);
	assert_int_equal(tdvf_parse(f->image, softtdx_tdvf_size, &f->meta, f->err, 200), 0);
	f->lb = (struct linux_boot){ .cmdline = cmdline, .cpus = cpus };
	return linux_boot_place(f->image, softtdx_tdvf_size, KERNEL_LEN, initrd_len, ram,
				&f->meta, &f->lb, f->err, sizeof(f->err));
}

static void test_bzimage_refusals(void **state)
{
	static const struct { int at, bytes; uint64_t v; const char *why; } bad[] = {
		{ 0x1fe, 2, 0, "not a bzImage" },
		{ 0x202, 4, 0, "not a bzImage" },
		{ 0x206, 2, 0x020b, "boot protocol 2.11 is too old" },
		{ 0x236, 2, 0x7e, "not a 64-bit kernel" },
		{ 0x234, 1, 0, "not a relocatable kernel" },
		{ 0x1f1, 1, 200, "leaves no kernel" },
		{ 0x1f4, 4, KERNEL_LEN, "truncated" },
		{ 0x230, 4, 0x300000, "alignment" },
	};
	uint8_t *k = malloc(KERNEL_LEN);
	struct bzimage bz;
	char err[200];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		make_bzimage(k);
		wr(k + bad[i].at, bad[i].v, bad[i].bytes);
		assert_int_equal(bzimage_parse(k, KERNEL_LEN, &bz, err, sizeof(err)), -1);
		if (!strstr(err, bad[i].why))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, bad[i].why);
	}
	assert_int_equal(bzimage_parse(k, 0x200, &bz, err, sizeof(err)), -1);
	make_bzimage(k);
	assert_int_equal(bzimage_parse(k, KERNEL_LEN, &bz, err, sizeof(err)), 0);
	assert_int_equal(bz.setup_len, (SETUP_SECTS + 1) * 512);
	assert_int_equal(bz.kernel_len, KERNEL_LEN - (SETUP_SECTS + 1) * 512);
	assert_int_equal(bz.version, 0x020f);
	assert_int_equal(bz.init_size, 0x3800000);
	free(k);
}

static void test_placement(void **state)
{
	uint8_t *k = malloc(KERNEL_LEN);
	struct fixture f;
	uint32_t n;

	(void)state;
	make_bzimage(k);
	assert_int_equal(place(&f, k, 3 * 4096 + 5, 256 * MiB, 1, "console=ttyS0"), 0);
	n = f.meta.nr_sections;
	/* kernel at its preferred address, initrd at the top of RAM, boot region from the firmware */
	assert_int_equal(f.meta.sections[n - 3].address, 0x1000000);
	assert_int_equal(f.meta.sections[n - 3].data_offset, softtdx_tdvf_size + 4 * 512);
	assert_int_equal(f.meta.sections[n - 2].address, 256 * MiB - 4 * 4096);
	assert_int_equal(f.meta.sections[n - 2].raw_size, 3 * 4096 + 5);
	assert_int_equal(f.meta.sections[n - 1].address, 0xC10000);
	for (uint32_t i = n - 3; i < n; i++) {
		assert_int_equal(f.meta.sections[i].type, TDVF_SECTION_PAYLOAD);
		assert_int_equal(f.meta.sections[i].attributes, TDVF_ATTR_MR_EXTEND);
	}
	free(f.image);

	/* From 0xB0000000 bytes, low RAM ends at 2 GiB: so does the initrd. */
	assert_int_equal(place(&f, k, 4096, 4ULL << 30, 1, ""), 0);
	assert_int_equal(f.meta.sections[f.meta.nr_sections - 2].address, (2ULL << 30) - 4096);
	free(f.image);

	assert_int_equal(place(&f, k, 0, 64 * MiB, 1, ""), -1);
	assert_non_null(strstr(f.err, "give the TD more memory"));
	free(f.image);
	assert_int_equal(place(&f, k, 200 * MiB, 256 * MiB, 1, ""), -1);
	assert_non_null(strstr(f.err, "initrd of 209715200 bytes does not fit"));
	free(f.image);
	{
		char *longline = malloc(0x900);

		memset(longline, 'x', 0x8ff);
		longline[0x8ff] = 0;
		assert_int_equal(place(&f, k, 0, 256 * MiB, 1, longline), -1);
		assert_non_null(strstr(f.err, "-append: 2303 bytes, the kernel takes 2047 at most"));
		free(f.image);
		free(longline);
	}
	free(k);
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* The table at @gpa in the boot region @buf, with its signature and checksum checked. */
static const uint8_t *table_at(const struct fixture *f, const uint8_t *buf, uint64_t gpa,
			       const char *sig)
{
	const uint8_t *t = buf + (gpa - f->lb.boot_gpa);

	assert_true(gpa > f->lb.boot_gpa && gpa < f->lb.boot_gpa + f->lb.boot_size);
	assert_memory_equal(t, sig, 4);
	assert_int_equal(sum(t, rd32(t + 4)), 0);
	return t;
}

static void test_boot_region(void **state)
{
	uint8_t *k = malloc(KERNEL_LEN), *buf, *zp;
	const uint8_t *rsdp, *xsdt, *madt, *fadt, *e;
	struct fixture f;
	uint64_t rsdp_gpa;

	(void)state;
	make_bzimage(k);
	assert_int_equal(place(&f, k, 8192, 512 * MiB, 4, "console=ttyS0 quiet"), 0);
	assert_int_equal(td_ram_map_build(512 * MiB, &f.meta, &f.map, f.err, 200), 0);
	buf = calloc(1, f.lb.boot_size);
	assert_int_equal(linux_boot_build(&f.lb, k, &f.map, buf, f.err, 200), 0);
	zp = buf + LINUX_ZERO_PAGE_OFFSET;
	/* The setup header as the file has it, and what the loader fills in. */
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(zp[0x210], 0xff);
	assert_int_equal(rd32(zp + 0x214), 0x1000000);
	assert_int_equal(rd32(zp + 0x218), 512 * MiB - 8192);
	assert_int_equal(rd32(zp + 0x21c), 8192);
	assert_int_equal(rd32(zp + 0x228), 0xC10000 + LINUX_CMDLINE_OFFSET);
	assert_string_equal((char *)buf + LINUX_CMDLINE_OFFSET, "console=ttyS0 quiet");
	/* e820: RAM, the mailbox as ACPI NVS, the tables as ACPI data, RAM. */
	assert_int_equal(zp[0x1e8], 5);
	e = zp + 0x2d0;
	assert_int_equal(rd64(e), 0);
	assert_int_equal(rd64(e + 8), 0xC10000);
	assert_int_equal(rd32(e + 16), 1);
	assert_int_equal(rd64(e + 20), 0xC10000);
	assert_int_equal(rd64(e + 28), 4096);
	assert_int_equal(rd32(e + 36), 4);
	assert_int_equal(rd32(e + 56), 1);
	assert_int_equal(rd32(e + 76), 3);
	assert_int_equal(rd64(e + 80) + rd64(e + 88), 512 * MiB);
	assert_int_equal(rd32(e + 96), 1);
	/* RSDP -> XSDT -> FADT (-> DSDT, FACS) and MADT, all checksummed. */
	rsdp_gpa = rd64(zp + 0x70);
	rsdp = buf + (rsdp_gpa - f.lb.boot_gpa);
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	assert_int_equal(sum(rsdp, 20), 0);
	assert_int_equal(sum(rsdp, 36), 0);
	assert_int_equal(rsdp_gpa, rd64(e + 60));	/* the ACPI range starts with it */
	xsdt = table_at(&f, buf, rd64(rsdp + 24), "XSDT");
	assert_int_equal(rd32(xsdt + 4), 36 + 16);
	fadt = table_at(&f, buf, rd64(xsdt + 36), "FACP");
	madt = table_at(&f, buf, rd64(xsdt + 44), "APIC");
	table_at(&f, buf, rd64(fadt + 140), "DSDT");
	assert_int_equal(rd32(fadt + 40), rd64(fadt + 140));
	assert_memory_equal(buf + (rd64(fadt + 132) - f.lb.boot_gpa), "FACS", 4);
	assert_int_equal(rd32(fadt + 64), 0x604);	/* PM1a_CNT: ICH9 PMBASE 0x600 + 4 */
	assert_int_equal(rd64(fadt + 120), 0xcf9);	/* RESET_REG */
	/* MADT: 4 x2APIC entries, the IOAPIC, 2 overrides, the wakeup mailbox. */
	assert_int_equal(rd32(madt + 4), 44 + 4 * 16 + 12 + 2 * 10 + 16);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(madt[44 + 16 * i], 9);
		assert_int_equal(rd32(madt + 44 + 16 * i + 4), i);
		assert_int_equal(rd32(madt + 44 + 16 * i + 8), 1);
	}
	assert_int_equal(madt[108], 1);
	assert_int_equal(rd32(madt + 112), 0xFEC00000);
	assert_int_equal(madt[140], 0x10);
	assert_int_equal(rd64(madt + 148), 0xC10000);
	free(buf);
	free(f.image);
	free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bzimage_refusals),
		cmocka_unit_test(test_placement),
		cmocka_unit_test(test_boot_region),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
