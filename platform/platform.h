/* SPDX-License-Identifier: MIT */
/*
 * The machine softtdx runs TDs on: host physical memory addressed by HPA,
 * MKTME/TDX KeyIDs in the top HPA bits, logical processors grouped in
 * packages, and TDX's logical-integrity model of private memory.
 *
 * Host code (kvm/, vmm/, tools) sees physical memory only through
 * platform_host_read()/platform_host_write(), never through a pointer, so it
 * cannot reach TD-private contents: like hardware, a host read of a line that
 * a TD owns returns zeros, and a host write to it clears the line's TD bit,
 * so the next private access detects an integrity failure (poison).
 *
 * The SEAM half of this header (SOFTTDX_SEAM) is for module/ only.
 */
#ifndef SOFTTDX_PLATFORM_H
#define SOFTTDX_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>

#include <softtdx/tdx_arch.h>

#define PLATFORM_NO_HPA		(~0ULL)
/* Physical memory starts at 4 GiB so HPA 0 is never a valid page. */
#define PLATFORM_MEM_BASE	(4ULL << 30)
#define PLATFORM_MAX_LPS	64

struct platform_config {
	u64 mem_size;		/* bytes, a multiple of 1 GiB */
	u32 nr_packages;
	u32 lps_per_package;
	u32 keyid_bits;		/* KeyID bits at the top of the 52-bit PA */
	u32 nr_private_keyids;	/* TDX KeyIDs: the highest ones */
	u32 trace;		/* PLATFORM_TRACE_*: tracepoints to print on stderr */
};

/*
 * Tracepoints (SOFTTDX_TRACE in softtdx's KVM), one line each on stderr,
 * as KVM's tracefs events would show them: every SEAMCALL with its status,
 * every TDCALL a guest makes, every TDVMCALL KVM handles.
 */
enum {
	PLATFORM_TRACE_SEAMCALL = 1u << 0,
	PLATFORM_TRACE_TDCALL = 1u << 1,
	PLATFORM_TRACE_VMCALL = 1u << 2,
};

struct platform;

/* A sensible machine: 1 GiB, 1 package x 2 LPs, 6 KeyID bits, 32 TDX keys. */
void platform_default_config(struct platform_config *cfg);
struct platform *platform_create(const struct platform_config *cfg);
void platform_destroy(struct platform *p);

const struct platform_config *platform_get_config(const struct platform *p);
u32 platform_nr_lps(const struct platform *p);

/*
 * The platform's invariant TSC, PLATFORM_TSC_HZ from an arbitrary origin
 * (the host's CLOCK_MONOTONIC): what RDTSC would read on the bare metal.
 * TDs and VMs see it scaled and offset (VMX TSC multiplier and offset).
 */
#define PLATFORM_TSC_HZ		2000000000ULL
u64 platform_rdtsc(void);
u32 platform_lp_package(const struct platform *p, u32 lp);

/* KeyIDs: bits [52-keyid_bits, 52) of an HPA. */
u32 platform_keyid_shift(const struct platform *p);
u32 platform_max_keyid(const struct platform *p);
u32 platform_private_keyid_min(const struct platform *p);
u64 platform_hpa_keyid(const struct platform *p, u64 pa);
u64 platform_hpa_strip_keyid(const struct platform *p, u64 pa);
u64 platform_hpa_with_keyid(const struct platform *p, u64 hpa, u32 keyid);
bool platform_hpa_in_memory(const struct platform *p, u64 hpa, u64 len);

/* The host kernel's page allocator.  Returns PLATFORM_NO_HPA when empty. */
u64 platform_alloc_pages(struct platform *p, u64 nr_pages, u64 align_pages);
u64 platform_alloc_page(struct platform *p);
void platform_free_pages(struct platform *p, u64 hpa, u64 nr_pages);
u64 platform_free_page_count(struct platform *p);

/*
 * Host (non-SEAM) accesses.  @pa carries the KeyID; a TDX private KeyID
 * is refused (-EPERM), addresses outside memory give -EFAULT.
 */
int platform_host_read(struct platform *p, u64 pa, void *dst, size_t len);
int platform_host_write(struct platform *p, u64 pa, const void *src, size_t len);
int platform_host_fill(struct platform *p, u64 pa, int byte, size_t len);

/* Makes the next @count RDSEED/PCONFIG key or random requests fail. */
void platform_inject_rng_failures(struct platform *p, u32 count);

struct cpu_core;
/* An IPI to @lp: whatever guest runs there exits with an external interrupt. */
void platform_lp_kick(struct platform *p, u32 lp);

/*
 * The host's own memory as physical memory, as get_user_pages and
 * page_to_phys give a host kernel: @len bytes at @hva (page-aligned) get
 * host physical addresses from PLATFORM_WINDOW_BASE up, with KeyID 0, for
 * EPT entries.  PLATFORM_NO_HPA when no window is left.
 */
#define PLATFORM_WINDOW_BASE	(1ULL << 44)
#define PLATFORM_MAX_WINDOWS	1024
u64 platform_map_user(struct platform *p, void *hva, u64 len);
void platform_unmap_user(struct platform *p, u64 hpa);
/*
 * CPUID as the platform's CPUs report it natively (platform/cpu_model.c):
 * the instruction set the cores execute.  Unknown leaves read as zeros.
 */
void platform_cpuid(const struct platform *p, u32 leaf, u32 subleaf, u32 out[4]);

/* INVEPT, all contexts: every core drops its cached EPT translations. */
void platform_invept(struct platform *p);

/*
 * EVERIFYREPORT2: did this platform's CPU make the MAC of @reportmac (a
 * REPORTMACSTRUCT)?  What a quoting enclave asks before it signs.
 */
bool platform_verify_report_mac(struct platform *p, const struct tdx_reportmac *reportmac);

/*
 * The report key belongs to the machine, as a CPU's does: a per-user secret
 * in the data directory (PLATFORM_REPORT_KEY_FILE, mode 0600, made on first
 * use), so a quoting service in another process can check the MACs.  When
 * the directory cannot be used, a platform draws a random key instead.
 */
#define PLATFORM_REPORT_KEY_SIZE	48
#define PLATFORM_REPORT_KEY_FILE	"platform-report.key"
#define PLATFORM_PATH_MAX		4096
/* $SOFTTDX_DATA_DIR, else $XDG_DATA_HOME/softtdx, else ~/.local/share/softtdx. */
int platform_data_dir(char *buf, size_t len);
/* mkdir -p; directories it makes are mode 0700.  0 or -1 (errno). */
int platform_make_dir(const char *path);
/*
 * EVERIFYREPORT2 with no platform: 0 if this machine made the MAC,
 * -EBADMSG if not, -ENOKEY if the machine's key cannot be read or made.
 */
int platform_verify_report_mac_standalone(const struct tdx_reportmac *reportmac);

#ifdef SOFTTDX_SEAM
/*
 * SEAM-mode access for the TDX module.  seam_page() gives the storage of a
 * page; callers keep the integrity model themselves with seam_claim() when
 * they write under a private KeyID and seam_intact() before they consume.
 */
void *seam_page(struct platform *p, u64 hpa);
/* Writes under private @keyid set the TD bit of every line written. */
void seam_claim(struct platform *p, u64 hpa, u32 keyid);
/* False if any line of the page lost its TD bit or belongs to another key. */
bool seam_intact(struct platform *p, u64 hpa, u32 keyid);
/* Copies a shared page (@src_pa) into a page written under private @keyid. */
void seam_copy_page(struct platform *p, u64 dst_hpa, u32 keyid, u64 src_pa);
/* Reads under a shared KeyID: lines a TD owns read as zeros. */
void seam_read_shared(struct platform *p, u64 hpa, void *dst, size_t len);
/* Writes under a shared KeyID: the lines lose their TD bit. */
void seam_write_shared(struct platform *p, u64 hpa, const void *src, size_t len);
/* PCONFIG: program @keyid's key on @package; false when no entropy. */
bool seam_pconfig(struct platform *p, u32 package, u32 keyid);
/* RDRAND/RDSEED; false when no entropy is available. */
bool seam_rng(struct platform *p, void *dst, size_t len);
/* SEAMREPORT: the CPU's MAC over the first 224 bytes, into ->mac. */
void seam_report_mac(struct platform *p, struct tdx_reportmac *reportmac);
/* Host memory (shared KeyID) at @hpa, in RAM or a window; false if none is there. */
bool seam_read_host(struct platform *p, u64 hpa, void *dst, size_t len);
bool seam_write_host(struct platform *p, u64 hpa, const void *src, size_t len);
/* @core runs guest code on @lp from now on (@running) or no longer. */
void seam_lp_running(struct platform *p, u32 lp, struct cpu_core *core, bool running);
#endif

#include "cpu.h"

#endif /* SOFTTDX_PLATFORM_H */
