// SPDX-License-Identifier: MIT
/*
 * The MC146818 RTC and its CMOS RAM at ports 0x70/0x71, filled as QEMU's
 * q35 fills it: firmware (OVMF) reads the RAM size from it when there is
 * no fw_cfg.  The clock reads the host's time in BCD, 24-hour mode.
 */
#include "../vmm.h"

#include <string.h>
#include <time.h>

#define CMOS_INDEX		0x70
#define RTC_SECONDS		0x00
#define RTC_MINUTES		0x02
#define RTC_HOURS		0x04
#define RTC_DAY_OF_WEEK		0x06
#define RTC_DAY_OF_MONTH	0x07
#define RTC_MONTH		0x08
#define RTC_YEAR		0x09
#define RTC_REG_A		0x0A
#define RTC_REG_B		0x0B
#define RTC_REG_C		0x0C
#define RTC_REG_D		0x0D
#define CMOS_EXT_MEM_KB_LO	0x30	/* above 1 MiB, KiB, at most 63 MiB */
#define CMOS_EXT_MEM_64K_LO	0x34	/* above 16 MiB below 4 GiB, 64 KiB units */
#define CMOS_HIGH_MEM_64K	0x5B	/* above 4 GiB, 64 KiB units, 3 bytes */
#define CMOS_NR_CPUS_MINUS_1	0x5F
#define CMOS_CENTURY		0x32
#define MiB			(1ULL << 20)

static uint8_t bcd(int v)
{
	return (uint8_t)((v / 10) << 4 | v % 10);
}

void vmm_cmos_init(struct vmm_cmos *c, uint64_t ram_below_4g, uint64_t ram_above_4g,
		   unsigned int cpus)
{
	uint64_t ext_kb = ram_below_4g > MiB ? (ram_below_4g - MiB) / 1024 : 0;
	uint64_t ext_64k = ram_below_4g > 16 * MiB ? (ram_below_4g - 16 * MiB) >> 16 : 0;
	uint64_t high_64k = ram_above_4g >> 16;

	memset(c, 0, sizeof(*c));
	c->ram[RTC_REG_A] = 0x26;	/* 32.768 kHz time base, 1024 Hz rate */
	c->ram[RTC_REG_B] = 0x02;	/* 24-hour, BCD */
	c->ram[RTC_REG_D] = 0x80;	/* CMOS RAM valid */
	if (ext_kb > 0xFFFF)
		ext_kb = 0xFFFF;
	c->ram[CMOS_EXT_MEM_KB_LO] = (uint8_t)ext_kb;
	c->ram[CMOS_EXT_MEM_KB_LO + 1] = (uint8_t)(ext_kb >> 8);
	if (ext_64k > 0xFFFF)
		ext_64k = 0xFFFF;
	c->ram[CMOS_EXT_MEM_64K_LO] = (uint8_t)ext_64k;
	c->ram[CMOS_EXT_MEM_64K_LO + 1] = (uint8_t)(ext_64k >> 8);
	for (int i = 0; i < 3; i++)
		c->ram[CMOS_HIGH_MEM_64K + i] = (uint8_t)(high_64k >> (8 * i));
	c->ram[CMOS_NR_CPUS_MINUS_1] = (uint8_t)(cpus - 1);
}

/* The clock registers: the host's time now. */
static uint8_t rtc_read(const struct vmm_cmos *c, uint8_t reg)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (reg) {
	case RTC_SECONDS:	return bcd(tm.tm_sec);
	case RTC_MINUTES:	return bcd(tm.tm_min);
	case RTC_HOURS:		return bcd(tm.tm_hour);
	case RTC_DAY_OF_WEEK:	return bcd(tm.tm_wday + 1);
	case RTC_DAY_OF_MONTH:	return bcd(tm.tm_mday);
	case RTC_MONTH:		return bcd(tm.tm_mon + 1);
	case RTC_YEAR:		return bcd(tm.tm_year % 100);
	case CMOS_CENTURY:	return bcd(19 + tm.tm_year / 100);
	default:		return c->ram[reg];
	}
}

/* 0x70: the index (bit 7 masks NMIs; reads float high); 0x71: the byte at the index. */
static uint64_t cmos_read(void *dev, uint64_t offset, unsigned int size)
{
	struct vmm_cmos *c = dev;

	(void)size;
	return offset ? rtc_read(c, c->index) : 0xFF;
}

static void cmos_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	struct vmm_cmos *c = dev;

	(void)size;
	if (!offset)
		c->index = val & 0x7F;
	else if (c->index != RTC_REG_C && c->index != RTC_REG_D)	/* read-only */
		c->ram[c->index] = (uint8_t)val;
}

static const struct vmm_io_ops cmos_ops = { cmos_read, cmos_write };

int vmm_cmos_register(struct vmm_cmos *c, struct vmm_bus *b)
{
	return vmm_bus_register(b, &(struct vmm_region){ VMM_SPACE_PIO, CMOS_INDEX, 2, 1,
							 &cmos_ops, c });
}
