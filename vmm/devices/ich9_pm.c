// SPDX-License-Identifier: MIT
/*
 * The ICH9 power-management I/O block at PMBASE, as QEMU models it for a
 * TD (ACPI-only: no SMM): PM1 status/enable (write 1 to clear), PM1
 * control with SCI_EN set from reset and S5 on SLP_EN with SLP_TYP 0, the
 * 24-bit ACPI PM timer at 3.579545 MHz, GPE0 status/enable and SMI_EN
 * (APMC_EN forced, so no SMI ever runs).  Each register group is a
 * region of its own, as QEMU's subregions: what lies between reads all
 * ones, and the widths each takes are QEMU's.
 */
#include "../vmm.h"

#include <time.h>

#define PM1_STS			0x00
#define PM1_EN			0x02
#define PM1_CNT			0x04
#define PM_TMR			0x08
#define GPE0_BLK		0x20
#define GPE0_LEN		16
#define SMI_EN			0x30
#define PM1_CNT_SCI_EN		0x0001
#define PM1_CNT_SLP_TYP		0x1C00
#define PM1_CNT_SLP_EN		0x2000
#define SMI_EN_APMC		0x20
#define PM_TIMER_HZ		3579545ULL

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint32_t pm_timer(const struct vmm_ich9_pm *pm)
{
	unsigned __int128 ticks = (unsigned __int128)(now_ns() - pm->start_ns) * PM_TIMER_HZ;

	return (uint32_t)(ticks / 1000000000ULL) & 0xFFFFFF;
}

/* @size bytes at @at bytes into the little-endian register @v. */
static uint64_t bytes_of(uint64_t v, uint64_t at, unsigned int size)
{
	return v >> 8 * at & vmm_ones(size);
}

static uint64_t put_bytes(uint64_t v, uint64_t at, unsigned int size, uint64_t val)
{
	uint64_t m = vmm_ones(size) << 8 * at;

	return (v & ~m) | (val << 8 * at & m);
}

/* PM1 status (write 1 to clear) and enable, 2 bytes each. */
static uint64_t evt_read(void *dev, uint64_t offset, unsigned int size)
{
	struct vmm_ich9_pm *pm = dev;

	return bytes_of((uint32_t)pm->pm1_en << 16 | pm->pm1_sts, offset, size);
}

static void evt_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	struct vmm_ich9_pm *pm = dev;

	if (offset < PM1_EN)
		pm->pm1_sts &= (uint16_t)~bytes_of(val << 8 * offset, 0, 2);
	else
		pm->pm1_en = (uint16_t)put_bytes(pm->pm1_en, offset - PM1_EN, size, val);
}

static uint64_t cnt_read(void *dev, uint64_t offset, unsigned int size)
{
	struct vmm_ich9_pm *pm = dev;

	return bytes_of(pm->pm1_cnt, offset, size);
}

/* SLP_EN is never kept; with SLP_TYP 0 (S5, QEMU's _S5) it powers off. */
static void cnt_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	struct vmm_ich9_pm *pm = dev;
	uint16_t v = (uint16_t)put_bytes(pm->pm1_cnt, offset, size, val);

	if ((v & PM1_CNT_SLP_EN) && !(v & PM1_CNT_SLP_TYP))
		vmm_power_request(pm->power, "poweroff");
	pm->pm1_cnt = v & ~PM1_CNT_SLP_EN;
}

static uint64_t tmr_read(void *dev, uint64_t offset, unsigned int size)
{
	return bytes_of(pm_timer(dev), offset, size);
}

static void ignore_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	(void)dev;
	(void)offset;
	(void)size;
	(void)val;
}

/* GPE0: 8 status bytes (write 1 to clear), then 8 enable bytes. */
static uint64_t gpe0_read(void *dev, uint64_t offset, unsigned int size)
{
	struct vmm_ich9_pm *pm = dev;

	(void)size;
	return pm->gpe0[offset];
}

static void gpe0_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	struct vmm_ich9_pm *pm = dev;

	(void)size;
	if (offset < GPE0_LEN / 2)
		pm->gpe0[offset] &= (uint8_t)~val;
	else
		pm->gpe0[offset] = (uint8_t)val;
}

/* SMI_EN (APMC_EN stays set: no SMI handler) and SMI_STS, dword accesses only. */
static uint64_t smi_read(void *dev, uint64_t offset, unsigned int size)
{
	struct vmm_ich9_pm *pm = dev;

	if (size != 4)
		return vmm_ones(size);
	return offset ? 0 : pm->smi_en;
}

static void smi_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	struct vmm_ich9_pm *pm = dev;

	if (size == 4 && !offset)
		pm->smi_en = (uint32_t)val | SMI_EN_APMC;
}

static const struct vmm_io_ops evt_ops = { evt_read, evt_write };
static const struct vmm_io_ops cnt_ops = { cnt_read, cnt_write };
static const struct vmm_io_ops tmr_ops = { tmr_read, ignore_write };
static const struct vmm_io_ops gpe0_ops = { gpe0_read, gpe0_write };
static const struct vmm_io_ops smi_ops = { smi_read, smi_write };

/* The block's registers, as QEMU's subregions: the gaps read all ones. */
static const struct {
	uint16_t offset, len;
	unsigned int max_access;
	const struct vmm_io_ops *ops;
} pm_regions[] = {
	{ PM1_STS, 4, 2, &evt_ops },
	{ PM1_CNT, 2, 2, &cnt_ops },
	{ PM_TMR, 4, 4, &tmr_ops },
	{ GPE0_BLK, GPE0_LEN, 1, &gpe0_ops },
	{ SMI_EN, 8, 4, &smi_ops },
};

#define NR_PM_REGIONS	(sizeof(pm_regions) / sizeof(pm_regions[0]))

static void pm_unmap(struct vmm_ich9_pm *pm, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vmm_bus_unregister(pm->bus, VMM_SPACE_PIO, pm->base + pm_regions[i].offset);
	pm->base = 0;
}

int vmm_ich9_pm_map(struct vmm_ich9_pm *pm, uint16_t base)
{
	size_t i;
	int err = 0;

	if (base == pm->base)
		return 0;
	if (pm->base)
		pm_unmap(pm, NR_PM_REGIONS);
	if (!pm->start_ns) {
		pm->start_ns = now_ns();
		pm->pm1_cnt = PM1_CNT_SCI_EN;
		pm->smi_en = SMI_EN_APMC;
	}
	pm->base = base;
	for (i = 0; base && !err && i < NR_PM_REGIONS; i++)
		err = vmm_bus_register(pm->bus, &(struct vmm_region){ VMM_SPACE_PIO,
			base + pm_regions[i].offset, pm_regions[i].len, pm_regions[i].max_access,
			pm_regions[i].ops, pm });
	if (err)
		pm_unmap(pm, i - 1);
	return err;
}
