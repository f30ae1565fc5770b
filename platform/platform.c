// SPDX-License-Identifier: MIT
/*
 * Host physical memory, KeyIDs and TDX logical integrity.
 *
 * Memory is one MAP_NORESERVE mapping, so a large machine costs only the
 * pages that are touched.  Each 4 KiB page carries a 64-bit "TD bit" map, one
 * bit per cache line, and the KeyID it was last written with under SEAM; that
 * is the state TDX's logical-integrity mode keeps in the memory controller.
 */
#define SOFTTDX_SEAM
#include "platform_internal.h"

#include <emmintrin.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_SIZE	64
#define LINES_PER_PAGE	(TDX_PAGE_SIZE / LINE_SIZE)

struct page_integrity {
	_Atomic u64 td_bits;
	u32 keyid;
};

struct platform {
	struct platform_config cfg;
	u8 *mem;
	u64 nr_pages;
	struct page_integrity *integrity;

	pthread_mutex_t alloc_lock;
	u64 *alloc_bitmap;	/* 1 = allocated */
	u64 alloc_hint;
	u64 nr_free;

	_Atomic u32 rng_failures;	/* PCONFIG/RNG failures still to inject */

	/* The CPU's report MAC key (SEAMREPORT / EVERIFYREPORT2): the machine's. */
	u8 report_key[PLATFORM_REPORT_KEY_SIZE];

	/* Host memory windows (platform_map_user), by HPA; gaps are len 0. */
	pthread_mutex_t windows_lock;
	struct platform_window windows[PLATFORM_MAX_WINDOWS];
	u32 nr_windows;
	_Atomic u64 windows_gen, ept_gen;

	/* Cores in non-root mode, per LP, for IPIs. */
	pthread_mutex_t running_lock;
	struct cpu_core **running[PLATFORM_MAX_LPS];
	u32 nr_running[PLATFORM_MAX_LPS], cap_running[PLATFORM_MAX_LPS];
};

void platform_default_config(struct platform_config *cfg)
{
	*cfg = (struct platform_config){
		.mem_size = 1ULL << 30,
		.nr_packages = 1,
		.lps_per_package = 2,
		.keyid_bits = 6,
		.nr_private_keyids = 32,
	};
}

static bool config_valid(const struct platform_config *c)
{
	if (!c->mem_size || c->mem_size % TDX_PAGE_SIZE_1G)
		return false;
	if (!c->nr_packages || !c->lps_per_package ||
	    c->nr_packages * c->lps_per_package > PLATFORM_MAX_LPS)
		return false;
	if (c->keyid_bits < 1 || c->keyid_bits > 15)
		return false;
	/* KeyID 0 is the host's: at least one shared and one private. */
	if (!c->nr_private_keyids || c->nr_private_keyids >= (1u << c->keyid_bits))
		return false;
	return PLATFORM_MEM_BASE + c->mem_size <= 1ULL << (TDX_MAX_PA - c->keyid_bits);
}

/* ---- the machine's report key ---------------------------------------------------- */

int platform_data_dir(char *buf, size_t len)
{
	const char *dir = getenv("SOFTTDX_DATA_DIR"), *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	int n;

	if (dir && *dir)
		n = snprintf(buf, len, "%s", dir);
	else if (xdg && *xdg)
		n = snprintf(buf, len, "%s/softtdx", xdg);
	else if (home && *home)
		n = snprintf(buf, len, "%s/.local/share/softtdx", home);
	else
		return -1;
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* mkdir -p, new directories private to the user. */
int platform_make_dir(const char *path)
{
	char buf[PLATFORM_PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -1;
	for (char *c = buf + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = 0;
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -1;
		*c = '/';
	}
	return mkdir(buf, 0700) && errno != EEXIST ? -1 : 0;
}

/* Exactly PLATFORM_REPORT_KEY_SIZE bytes from @path, or -1. */
static int read_key(const char *path, u8 *key)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	ssize_t n = -1;

	if (fd < 0)
		return -1;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size == PLATFORM_REPORT_KEY_SIZE)
		n = read(fd, key, PLATFORM_REPORT_KEY_SIZE);
	close(fd);
	if (n == PLATFORM_REPORT_KEY_SIZE)
		return 0;
	errno = EINVAL;		/* there, but not a key: leave it alone */
	return -1;
}

/*
 * A new key under a temporary name, then link(): the final name appears
 * whole or not at all, and of two processes racing the first one wins.
 */
static int create_key(const char *dir, const char *path, u8 *key)
{
	char tmp[PLATFORM_PATH_MAX];
	int fd, ret = -1, err = EIO;

	if (snprintf(tmp, sizeof(tmp), "%s/.platform-report.XXXXXX", dir) >= (int)sizeof(tmp))
		return -1;
	fd = mkstemp(tmp);	/* mode 0600 */
	if (fd < 0)
		return -1;
	if (getrandom(key, PLATFORM_REPORT_KEY_SIZE, 0) == PLATFORM_REPORT_KEY_SIZE &&
	    write(fd, key, PLATFORM_REPORT_KEY_SIZE) == PLATFORM_REPORT_KEY_SIZE && !fsync(fd)) {
		ret = link(tmp, path);
		err = errno;
	}
	close(fd);
	unlink(tmp);
	if (ret && err == EEXIST)
		return read_key(path, key);
	return ret;
}

/*
 * Real CPUs derive the report key from a per-part secret, so every process
 * on the machine (a QGS included) checks the MACs the others made.  Here it
 * is a per-user file in the data directory, made on first use.
 */
static int machine_report_key(u8 *key)
{
	char dir[PLATFORM_PATH_MAX], path[PLATFORM_PATH_MAX + 32];

	if (platform_data_dir(dir, sizeof(dir)) || platform_make_dir(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, PLATFORM_REPORT_KEY_FILE);
	if (!read_key(path, key))
		return 0;
	return errno == ENOENT ? create_key(dir, path, key) : -1;
}

struct platform *platform_create(const struct platform_config *cfg)
{
	struct platform *p;

	if (!config_valid(cfg))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->cfg = *cfg;
	p->nr_pages = cfg->mem_size / TDX_PAGE_SIZE;
	p->mem = mmap(NULL, cfg->mem_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	p->integrity = mmap(NULL, p->nr_pages * sizeof(*p->integrity),
			    PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	p->alloc_bitmap = calloc(p->nr_pages / 64, sizeof(u64));
	if (p->mem == MAP_FAILED || p->integrity == MAP_FAILED || !p->alloc_bitmap) {
		p->mem = p->mem == MAP_FAILED ? NULL : p->mem;
		p->integrity = p->integrity == MAP_FAILED ? NULL : p->integrity;
		platform_destroy(p);
		return NULL;
	}
	pthread_mutex_init(&p->alloc_lock, NULL);
	pthread_mutex_init(&p->running_lock, NULL);
	pthread_mutex_init(&p->windows_lock, NULL);
	if (machine_report_key(p->report_key) &&
	    getrandom(p->report_key, sizeof(p->report_key), 0) != sizeof(p->report_key)) {
		platform_destroy(p);
		return NULL;
	}
	p->nr_free = p->nr_pages;
	return p;
}

void platform_destroy(struct platform *p)
{
	if (!p)
		return;
	if (p->mem)
		munmap(p->mem, p->cfg.mem_size);
	if (p->integrity)
		munmap(p->integrity, p->nr_pages * sizeof(*p->integrity));
	free(p->alloc_bitmap);
	for (u32 lp = 0; lp < PLATFORM_MAX_LPS; lp++)
		free(p->running[lp]);
	free(p);
}

u8 *platform_ram(struct platform *p)
{
	return p->mem;
}

const struct platform_config *platform_get_config(const struct platform *p)
{
	return &p->cfg;
}

u64 platform_rdtsc(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec) * (PLATFORM_TSC_HZ / 1000000000ULL);
}

u32 platform_nr_lps(const struct platform *p)
{
	return p->cfg.nr_packages * p->cfg.lps_per_package;
}

u32 platform_lp_package(const struct platform *p, u32 lp)
{
	return lp / p->cfg.lps_per_package;
}

u32 platform_keyid_shift(const struct platform *p)
{
	return TDX_MAX_PA - p->cfg.keyid_bits;
}

u32 platform_max_keyid(const struct platform *p)
{
	return (1u << p->cfg.keyid_bits) - 1;
}

u32 platform_private_keyid_min(const struct platform *p)
{
	return platform_max_keyid(p) + 1 - p->cfg.nr_private_keyids;
}

u64 platform_hpa_keyid(const struct platform *p, u64 pa)
{
	return (pa >> platform_keyid_shift(p)) & platform_max_keyid(p);
}

u64 platform_hpa_strip_keyid(const struct platform *p, u64 pa)
{
	return pa & ((1ULL << platform_keyid_shift(p)) - 1);
}

u64 platform_hpa_with_keyid(const struct platform *p, u64 hpa, u32 keyid)
{
	return platform_hpa_strip_keyid(p, hpa) | ((u64)keyid << platform_keyid_shift(p));
}

bool platform_hpa_in_memory(const struct platform *p, u64 hpa, u64 len)
{
	return hpa >= PLATFORM_MEM_BASE && len <= p->cfg.mem_size &&
	       hpa - PLATFORM_MEM_BASE <= p->cfg.mem_size - len;
}

static u64 pfn_of(const struct platform *p, u64 hpa)
{
	(void)p;
	return (hpa - PLATFORM_MEM_BASE) / TDX_PAGE_SIZE;
}

/* ---- page allocator ------------------------------------------------------ */

static bool page_allocated(const struct platform *p, u64 pfn)
{
	return p->alloc_bitmap[pfn / 64] >> (pfn % 64) & 1;
}

static void mark_pages(struct platform *p, u64 pfn, u64 nr, bool allocated)
{
	for (u64 i = pfn; i < pfn + nr; i++) {
		if (allocated)
			p->alloc_bitmap[i / 64] |= 1ULL << (i % 64);
		else
			p->alloc_bitmap[i / 64] &= ~(1ULL << (i % 64));
	}
}

static u64 find_free_run(struct platform *p, u64 start, u64 end, u64 nr, u64 align)
{
	u64 pfn = (start + align - 1) / align * align;

	while (pfn + nr <= end) {
		u64 i;

		if (align == 1 && nr == 1 && p->alloc_bitmap[pfn / 64] == ~0ULL) {
			pfn = (pfn / 64 + 1) * 64;
			continue;
		}
		for (i = 0; i < nr && !page_allocated(p, pfn + i); i++)
			;
		if (i == nr)
			return pfn;
		pfn = (pfn + i + 1 + align - 1) / align * align;
	}
	return PLATFORM_NO_HPA;
}

u64 platform_alloc_pages(struct platform *p, u64 nr_pages, u64 align_pages)
{
	u64 pfn;

	if (!nr_pages || !align_pages || (align_pages & (align_pages - 1)))
		return PLATFORM_NO_HPA;
	pthread_mutex_lock(&p->alloc_lock);
	pfn = PLATFORM_NO_HPA;
	if (nr_pages <= p->nr_free) {
		pfn = find_free_run(p, p->alloc_hint, p->nr_pages, nr_pages, align_pages);
		if (pfn == PLATFORM_NO_HPA)
			pfn = find_free_run(p, 0, p->nr_pages, nr_pages, align_pages);
	}
	if (pfn != PLATFORM_NO_HPA) {
		mark_pages(p, pfn, nr_pages, true);
		p->nr_free -= nr_pages;
		p->alloc_hint = pfn + nr_pages;
	}
	pthread_mutex_unlock(&p->alloc_lock);
	return pfn == PLATFORM_NO_HPA ? pfn : PLATFORM_MEM_BASE + pfn * TDX_PAGE_SIZE;
}

u64 platform_alloc_page(struct platform *p)
{
	return platform_alloc_pages(p, 1, 1);
}

void platform_free_pages(struct platform *p, u64 hpa, u64 nr_pages)
{
	u64 pfn = pfn_of(p, hpa);

	pthread_mutex_lock(&p->alloc_lock);
	for (u64 i = pfn; i < pfn + nr_pages; i++) {
		if (!page_allocated(p, i))
			abort();	/* a double free is a host kernel bug */
	}
	mark_pages(p, pfn, nr_pages, false);
	p->nr_free += nr_pages;
	if (pfn < p->alloc_hint)
		p->alloc_hint = pfn;
	pthread_mutex_unlock(&p->alloc_lock);
}

u64 platform_free_page_count(struct platform *p)
{
	u64 n;

	pthread_mutex_lock(&p->alloc_lock);
	n = p->nr_free;
	pthread_mutex_unlock(&p->alloc_lock);
	return n;
}

/* ---- host accesses --------------------------------------------------------- */

static u64 line_mask(u64 off, size_t len)
{
	u64 first = off / LINE_SIZE, last = (off + len - 1) / LINE_SIZE;
	u64 n = last - first + 1;

	return (n == 64 ? ~0ULL : ((1ULL << n) - 1)) << first;
}

static int host_access_check(struct platform *p, u64 pa, size_t len)
{
	u64 keyid = platform_hpa_keyid(p, pa);

	if (keyid >= platform_private_keyid_min(p))
		return -EPERM;
	if (!platform_hpa_in_memory(p, platform_hpa_strip_keyid(p, pa), len))
		return -EFAULT;
	return 0;
}

/*
 * Walks [hpa, hpa+len) page by page.  @op gets the page storage, the
 * in-page offset and length, and the page's TD-bit state.
 */
typedef void (*host_op)(u8 *page, u64 off, size_t n, struct page_integrity *pi,
			void *buf);

static int host_walk(struct platform *p, u64 pa, size_t len, host_op op, u8 *buf)
{
	u64 hpa = platform_hpa_strip_keyid(p, pa);
	int ret = host_access_check(p, pa, len);

	if (ret || !len)
		return ret;
	while (len) {
		u64 off = hpa % TDX_PAGE_SIZE;
		size_t n = TDX_PAGE_SIZE - off < len ? TDX_PAGE_SIZE - off : len;
		u64 pfn = pfn_of(p, hpa);

		op(p->mem + pfn * TDX_PAGE_SIZE, off, n, &p->integrity[pfn], buf);
		hpa += n;
		buf += n;
		len -= n;
	}
	return 0;
}

static void read_op(u8 *page, u64 off, size_t n, struct page_integrity *pi, void *buf)
{
	u64 td = atomic_load_explicit(&pi->td_bits, memory_order_relaxed);

	/* Fast path: no line of this page is TD-owned. */
	if (!td) {
		memcpy(buf, page + off, n);
		return;
	}
	for (size_t done = 0; done < n;) {
		u64 line = (off + done) / LINE_SIZE;
		size_t chunk = (line + 1) * LINE_SIZE - (off + done);

		chunk = chunk < n - done ? chunk : n - done;
		if (td >> line & 1)
			memset((u8 *)buf + done, 0, chunk);
		else
			memcpy((u8 *)buf + done, page + off + done, chunk);
		done += chunk;
	}
}

static void write_op(u8 *page, u64 off, size_t n, struct page_integrity *pi, void *buf)
{
	atomic_fetch_and_explicit(&pi->td_bits, ~line_mask(off, n), memory_order_relaxed);
	memcpy(page + off, buf, n);
}

static void fill_op(u8 *page, u64 off, size_t n, struct page_integrity *pi, void *buf)
{
	atomic_fetch_and_explicit(&pi->td_bits, ~line_mask(off, n), memory_order_relaxed);
	memset(page + off, *(int *)buf, n);
}

int platform_host_read(struct platform *p, u64 pa, void *dst, size_t len)
{
	return host_walk(p, pa, len, read_op, dst);
}

int platform_host_write(struct platform *p, u64 pa, const void *src, size_t len)
{
	return host_walk(p, pa, len, write_op, (u8 *)src);
}

int platform_host_fill(struct platform *p, u64 pa, int byte, size_t len)
{
	u64 hpa = platform_hpa_strip_keyid(p, pa);
	int ret = host_access_check(p, pa, len);

	/* host_walk advances its buffer; a fill wants the same byte each page. */
	while (!ret && len) {
		size_t n = TDX_PAGE_SIZE - hpa % TDX_PAGE_SIZE;

		n = n < len ? n : len;
		ret = host_walk(p, hpa, n, fill_op, (u8 *)&byte);
		hpa += n;
		len -= n;
	}
	return ret;
}

/* ---- SEAM accesses ----------------------------------------------------------- */

void *seam_page(struct platform *p, u64 hpa)
{
	return p->mem + pfn_of(p, platform_hpa_strip_keyid(p, hpa)) * TDX_PAGE_SIZE;
}

void seam_claim(struct platform *p, u64 hpa, u32 keyid)
{
	struct page_integrity *pi = &p->integrity[pfn_of(p, platform_hpa_strip_keyid(p, hpa))];

	pi->keyid = keyid;
	atomic_store_explicit(&pi->td_bits, ~0ULL, memory_order_release);
}

/*
 * MOVDIR64B-style page copy: full-line stores that do not read the
 * destination first.  The module initializes TD pages this way, and it
 * saves the read-for-ownership of a destination that is usually cold.
 */
static void copy_page_streaming(void *dst, const void *src)
{
	__m128i *d = dst;
	const __m128i *s = src;

	for (size_t i = 0; i < TDX_PAGE_SIZE / sizeof(*d); i += 4) {
		_mm_stream_si128(d + i, _mm_loadu_si128(s + i));
		_mm_stream_si128(d + i + 1, _mm_loadu_si128(s + i + 1));
		_mm_stream_si128(d + i + 2, _mm_loadu_si128(s + i + 2));
		_mm_stream_si128(d + i + 3, _mm_loadu_si128(s + i + 3));
	}
	_mm_sfence();
}

void seam_copy_page(struct platform *p, u64 dst_hpa, u32 keyid, u64 src_pa)
{
	u64 src_pfn = pfn_of(p, platform_hpa_strip_keyid(p, src_pa));
	void *dst = seam_page(p, dst_hpa);

	/* A source line a TD owns reads as zeros under the shared key. */
	if (atomic_load_explicit(&p->integrity[src_pfn].td_bits, memory_order_relaxed))
		read_op(p->mem + src_pfn * TDX_PAGE_SIZE, 0, TDX_PAGE_SIZE,
			&p->integrity[src_pfn], dst);
	else
		copy_page_streaming(dst, p->mem + src_pfn * TDX_PAGE_SIZE);
	seam_claim(p, dst_hpa, keyid);
}

bool seam_intact(struct platform *p, u64 hpa, u32 keyid)
{
	struct page_integrity *pi = &p->integrity[pfn_of(p, platform_hpa_strip_keyid(p, hpa))];

	return atomic_load_explicit(&pi->td_bits, memory_order_acquire) == ~0ULL &&
	       pi->keyid == keyid;
}

void seam_read_shared(struct platform *p, u64 hpa, void *dst, size_t len)
{
	u64 pfn = pfn_of(p, platform_hpa_strip_keyid(p, hpa));

	read_op(p->mem + pfn * TDX_PAGE_SIZE, hpa % TDX_PAGE_SIZE, len,
		&p->integrity[pfn], dst);
}

/* Consumes one injected entropy failure, if any is pending. */
static bool entropy_available(struct platform *p)
{
	u32 left = atomic_load(&p->rng_failures);

	while (left && !atomic_compare_exchange_weak(&p->rng_failures, &left, left - 1))
		;
	return left == 0;
}

void platform_inject_rng_failures(struct platform *p, u32 count)
{
	atomic_store(&p->rng_failures, count);
}

void seam_write_shared(struct platform *p, u64 hpa, const void *src, size_t len)
{
	host_walk(p, platform_hpa_strip_keyid(p, hpa), len, write_op, (u8 *)src);
}

bool seam_pconfig(struct platform *p, u32 package, u32 keyid)
{
	/* Keys themselves are not modelled: the integrity tag is the KeyID. */
	(void)package;
	(void)keyid;
	return entropy_available(p);
}

bool seam_rng(struct platform *p, void *dst, size_t len)
{
	if (!entropy_available(p))
		return false;
	return getrandom(dst, len, 0) == (ssize_t)len;
}

/* ---- IPIs ------------------------------------------------------------------------ */

void seam_lp_running(struct platform *p, u32 lp, struct cpu_core *core, bool running)
{
	u32 i;

	pthread_mutex_lock(&p->running_lock);
	if (running) {
		if (p->nr_running[lp] == p->cap_running[lp]) {
			u32 cap = p->cap_running[lp] ? 2 * p->cap_running[lp] : 4;
			struct cpu_core **n = realloc(p->running[lp], cap * sizeof(*n));

			if (!n)
				abort();	/* a few pointers: out of memory is fatal */
			p->running[lp] = n;
			p->cap_running[lp] = cap;
		}
		p->running[lp][p->nr_running[lp]++] = core;
	} else {
		for (i = 0; i < p->nr_running[lp]; i++) {
			if (p->running[lp][i] == core) {
				p->running[lp][i] = p->running[lp][--p->nr_running[lp]];
				break;
			}
		}
	}
	pthread_mutex_unlock(&p->running_lock);
}

void platform_lp_kick(struct platform *p, u32 lp)
{
	if (lp >= platform_nr_lps(p))
		return;
	pthread_mutex_lock(&p->running_lock);
	for (u32 i = 0; i < p->nr_running[lp]; i++)
		cpu_core_kick(p->running[lp][i]);
	pthread_mutex_unlock(&p->running_lock);
}

/* ---- host memory windows and INVEPT ---------------------------------------------- */

/* Windows are placed one after the other; a 1 GiB gap keeps them apart. */
static u64 next_window_hpa(const struct platform *p)
{
	u64 end = PLATFORM_WINDOW_BASE;

	for (u32 i = 0; i < p->nr_windows; i++)
		if (p->windows[i].hpa + p->windows[i].len > end)
			end = p->windows[i].hpa + p->windows[i].len;
	return (end + TDX_PAGE_SIZE_1G - 1) & ~(TDX_PAGE_SIZE_1G - 1);
}

u64 platform_map_user(struct platform *p, void *hva, u64 len)
{
	u64 hpa = PLATFORM_NO_HPA;
	u32 i;

	if (!len || (len | (uintptr_t)hva) & (TDX_PAGE_SIZE - 1))
		return PLATFORM_NO_HPA;
	pthread_mutex_lock(&p->windows_lock);
	for (i = 0; i < p->nr_windows && p->windows[i].len; i++)
		;
	if (i < PLATFORM_MAX_WINDOWS) {
		hpa = next_window_hpa(p);
		if (hpa + len > 1ULL << platform_keyid_shift(p)) {
			hpa = PLATFORM_NO_HPA;
		} else {
			p->windows[i] = (struct platform_window){ hpa, len, hva };
			if (i == p->nr_windows)
				p->nr_windows++;
			atomic_fetch_add(&p->windows_gen, 1);
		}
	}
	pthread_mutex_unlock(&p->windows_lock);
	return hpa;
}

void platform_unmap_user(struct platform *p, u64 hpa)
{
	pthread_mutex_lock(&p->windows_lock);
	for (u32 i = 0; i < p->nr_windows; i++) {
		if (p->windows[i].len && p->windows[i].hpa == hpa) {
			p->windows[i].len = 0;
			atomic_fetch_add(&p->windows_gen, 1);
			break;
		}
	}
	pthread_mutex_unlock(&p->windows_lock);
}

u64 platform_windows_gen(struct platform *p)
{
	return atomic_load(&p->windows_gen);
}

size_t platform_windows(struct platform *p, struct platform_window *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&p->windows_lock);
	for (u32 i = 0; i < p->nr_windows; i++) {
		if (!p->windows[i].len)
			continue;
		if (n < max)
			out[n] = p->windows[i];
		n++;
	}
	pthread_mutex_unlock(&p->windows_lock);
	return n;
}

u8 *platform_phys_ptr(struct platform *p, u64 hpa, u64 len)
{
	u8 *ptr = NULL;

	if (platform_hpa_in_memory(p, hpa, len))
		return p->mem + (hpa - PLATFORM_MEM_BASE);
	pthread_mutex_lock(&p->windows_lock);
	for (u32 i = 0; i < p->nr_windows; i++) {
		const struct platform_window *w = &p->windows[i];

		if (w->len && hpa >= w->hpa && hpa - w->hpa + len <= w->len) {
			ptr = w->hva + (hpa - w->hpa);
			break;
		}
	}
	pthread_mutex_unlock(&p->windows_lock);
	return ptr;
}

void platform_invept(struct platform *p)
{
	atomic_fetch_add(&p->ept_gen, 1);
}

u64 platform_ept_gen(struct platform *p)
{
	return atomic_load(&p->ept_gen);
}

/* ---- report MACs ------------------------------------------------------------------ */

/* HMAC-SHA-384 under the CPU's key, truncated to the 32-byte MAC field. */
static void report_mac(const u8 *key, const struct tdx_reportmac *rm, u8 mac[32])
{
	u8 full[SHA384_DIGEST_LENGTH];
	unsigned int len = sizeof(full);

	HMAC(EVP_sha384(), key, PLATFORM_REPORT_KEY_SIZE, (const u8 *)rm,
	     TDX_REPORTMAC_MACED_BYTES, full, &len);
	memcpy(mac, full, 32);
}

void seam_report_mac(struct platform *p, struct tdx_reportmac *reportmac)
{
	report_mac(p->report_key, reportmac, reportmac->mac);
}

static bool mac_matches(const u8 *key, const struct tdx_reportmac *reportmac)
{
	u8 mac[32];

	report_mac(key, reportmac, mac);
	return CRYPTO_memcmp(mac, reportmac->mac, sizeof(mac)) == 0;
}

bool platform_verify_report_mac(struct platform *p, const struct tdx_reportmac *reportmac)
{
	return mac_matches(p->report_key, reportmac);
}

int platform_verify_report_mac_standalone(const struct tdx_reportmac *reportmac)
{
	u8 key[PLATFORM_REPORT_KEY_SIZE];
	int ret;

	if (machine_report_key(key))
		return -ENOKEY;
	ret = mac_matches(key, reportmac) ? 0 : -EBADMSG;
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

bool seam_write_host(struct platform *p, u64 hpa, const void *src, size_t len)
{
	u64 pa = platform_hpa_strip_keyid(p, hpa);
	u8 *dst;

	if (platform_hpa_in_memory(p, pa, len)) {
		seam_write_shared(p, pa, src, len);
		return true;
	}
	dst = platform_phys_ptr(p, pa, len);
	if (!dst)
		return false;
	memcpy(dst, src, len);
	return true;
}

bool seam_read_host(struct platform *p, u64 hpa, void *dst, size_t len)
{
	u64 pa = platform_hpa_strip_keyid(p, hpa);
	u8 *src;

	if (platform_hpa_in_memory(p, pa, len)) {
		seam_read_shared(p, pa, dst, len);
		return true;
	}
	src = platform_phys_ptr(p, pa, len);
	if (!src)
		return false;
	memcpy(dst, src, len);
	return true;
}
