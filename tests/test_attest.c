// SPDX-License-Identifier: MIT
/*
 * Attestation without sockets: the machine's report key and the data
 * directory, the key and certificate set, TD Quote v4 built from a genuine
 * TDREPORT field by field, and every way verification must fail.
 */
#include "attest_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../attest/attest_internal.h"
#include "../attest/le.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *tmp;		/* the data directory of this run */
static char *root_pem;
static size_t root_len;

static char *path_in(const char *dir, const char *file)
{
	static char buf[4][PLATFORM_PATH_MAX];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, PLATFORM_PATH_MAX, "%s/%s", dir, file);
	return p;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(65536);

	assert_non_null(f);
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* ---- the data directory and the report key ---------------------------------------------- */

static void test_data_dir_precedence(void **state)
{
	char *saved = strdup(getenv("SOFTTDX_DATA_DIR")), *home = getenv("HOME");
	char buf[PLATFORM_PATH_MAX];

	(void)state;
	home = home ? strdup(home) : NULL;
	setenv("XDG_DATA_HOME", "/xdg", 1);
	setenv("HOME", "/home/u", 1);
	assert_int_equal(platform_data_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, saved);
	unsetenv("SOFTTDX_DATA_DIR");
	assert_int_equal(platform_data_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/xdg/softtdx");
	unsetenv("XDG_DATA_HOME");
	assert_int_equal(platform_data_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/u/.local/share/softtdx");
	unsetenv("HOME");
	assert_int_equal(platform_data_dir(buf, sizeof(buf)), -1);
	setenv("HOME", "/home/u", 1);
	assert_int_equal(platform_data_dir(buf, 8), -1);	/* too long for the buffer */
	setenv("SOFTTDX_DATA_DIR", saved, 1);
	if (home)
		setenv("HOME", home, 1);
	free(saved);
	free(home);
}

/* Two platforms (two processes' worth) share the machine's key. */
static void test_report_key_is_the_machines(void **state)
{
	struct platform *a = attest_test_platform(), *b = attest_test_platform();
	const char *key = path_in(tmp, PLATFORM_REPORT_KEY_FILE);
	struct tdx_report r;
	struct stat st;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_size, PLATFORM_REPORT_KEY_SIZE);
	assert_int_equal(st.st_mode & 07777, 0600);
	attest_test_report(a, &r, 1, "two platforms");
	assert_true(platform_verify_report_mac(b, &r.mac));
	assert_int_equal(platform_verify_report_mac_standalone(&r.mac), 0);
	r.mac.report_data[0] ^= 1;
	assert_false(platform_verify_report_mac(b, &r.mac));
	assert_int_equal(platform_verify_report_mac_standalone(&r.mac), -EBADMSG);
	platform_destroy(a);
	platform_destroy(b);
}

/* An unusable directory: a random key, and nothing verifies without a platform. */
static void test_report_key_fallback(void **state)
{
	char *saved = strdup(getenv("SOFTTDX_DATA_DIR"));
	struct platform *p;
	struct tdx_report r;

	(void)state;
	setenv("SOFTTDX_DATA_DIR", "/proc/softtdx-cannot-exist", 1);
	p = attest_test_platform();
	assert_non_null(p);
	attest_test_report(p, &r, 2, "fallback");
	assert_true(platform_verify_report_mac(p, &r.mac));
	assert_int_equal(platform_verify_report_mac_standalone(&r.mac), -ENOKEY);
	setenv("SOFTTDX_DATA_DIR", saved, 1);
	/* The machine's key is another one. */
	assert_int_equal(platform_verify_report_mac_standalone(&r.mac), -EBADMSG);
	platform_destroy(p);
	free(saved);
}

/* A key file of the wrong size is left alone, and the platform falls back. */
static void test_report_key_bad_file(void **state)
{
	char *dir = attest_test_tmpdir(), *saved = strdup(getenv("SOFTTDX_DATA_DIR"));
	const char *key = path_in(dir, PLATFORM_REPORT_KEY_FILE);
	struct platform *p;
	struct tdx_report r;
	size_t len;
	int fd;

	(void)state;
	fd = open(key, O_WRONLY | O_CREAT, 0600);
	assert_int_equal(write(fd, "short", 5), 5);
	close(fd);
	setenv("SOFTTDX_DATA_DIR", dir, 1);
	p = attest_test_platform();
	attest_test_report(p, &r, 3, "bad key file");
	assert_int_equal(platform_verify_report_mac_standalone(&r.mac), -ENOKEY);
	free(slurp(key, &len));
	assert_int_equal(len, 5);
	setenv("SOFTTDX_DATA_DIR", saved, 1);
	platform_destroy(p);
	attest_test_rmtree(dir);
	free(dir);
	free(saved);
}

/* ---- keys and certificates ----------------------------------------------------------------- */

static void test_keys_made_once(void **state)
{
	char *dir = attest_test_tmpdir(), *sub, err[256];
	struct attest_keys *k1, *k2;
	const char *c1, *c2;
	size_t l1, l2;

	(void)state;
	assert_true(asprintf(&sub, "%s/a/b", dir) > 0);
	k1 = attest_keys_load(sub, err, sizeof(err));
	assert_non_null(k1);
	assert_int_equal(mode_of(sub), 0700);
	assert_int_equal(mode_of(path_in(dir, "a")), 0700);
	assert_int_equal(mode_of(path_in(sub, ATTEST_ROOT_FILE)), 0600);
	assert_int_equal(mode_of(path_in(sub, ATTEST_CA_FILE)), 0600);
	assert_int_equal(mode_of(path_in(sub, ATTEST_PCK_FILE)), 0600);
	assert_int_equal(mode_of(path_in(sub, ATTEST_PCK_KEY_FILE)), 0600);
	assert_int_equal(mode_of(path_in(sub, ATTEST_AK_FILE)), 0600);
	k2 = attest_keys_load(sub, err, sizeof(err));	/* the second start reuses them */
	assert_non_null(k2);
	c1 = attest_keys_chain(k1, &l1);
	c2 = attest_keys_chain(k2, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(c1, c2, l1);
	assert_non_null(strstr(c1, "-----BEGIN CERTIFICATE-----"));
	attest_keys_free(k1);
	attest_keys_free(k2);
	attest_test_rmtree(dir);
	free(sub);
	free(dir);
}

/* Writes @text over @file in @dir. */
static void clobber(const char *dir, const char *file, const char *text)
{
	int fd = open(path_in(dir, file), O_WRONLY | O_TRUNC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_keys_partial_or_broken(void **state)
{
	char *dir = attest_test_tmpdir(), err[512], want[512];

	(void)state;
	attest_keys_free(attest_keys_load(dir, err, sizeof(err)));
	clobber(dir, ATTEST_CA_FILE, "junk\n");
	assert_null(attest_keys_load(dir, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s/%s is not a PEM certificate", dir, ATTEST_CA_FILE);
	assert_string_equal(err, want);
	clobber(dir, ATTEST_AK_FILE, "junk\n");	/* keys are read first */
	assert_null(attest_keys_load(dir, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s/%s is not an ECDSA P-256 private key", dir, ATTEST_AK_FILE);
	assert_string_equal(err, want);
	/* Some files gone: never silently replaced */
	assert_int_equal(unlink(path_in(dir, ATTEST_ROOT_FILE)), 0);
	assert_int_equal(unlink(path_in(dir, ATTEST_AK_FILE)), 0);
	assert_null(attest_keys_load(dir, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s has only some attestation files (no %s): remove its "
		 "attest-* files to make a new set", dir, ATTEST_ROOT_FILE);
	assert_string_equal(err, want);
	attest_test_rmtree(dir);
	free(dir);
}

static void test_keys_pck_mismatch(void **state)
{
	char *a = attest_test_tmpdir(), *b = attest_test_tmpdir(), err[512], want[512];

	(void)state;
	attest_keys_free(attest_keys_load(a, err, sizeof(err)));
	attest_keys_free(attest_keys_load(b, err, sizeof(err)));
	assert_int_equal(rename(path_in(b, ATTEST_PCK_FILE), path_in(a, ATTEST_PCK_FILE)), 0);
	assert_null(attest_keys_load(a, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s/%s does not belong to %s", a, ATTEST_PCK_FILE,
		 ATTEST_PCK_KEY_FILE);
	assert_string_equal(err, want);
	assert_null(attest_keys_load("/proc/softtdx-cannot-exist", err, sizeof(err)));
	assert_string_equal(err, "cannot create /proc/softtdx-cannot-exist: No such file or "
			    "directory");
	attest_test_rmtree(a);
	attest_test_rmtree(b);
	free(a);
	free(b);
}

/* ---- quotes ------------------------------------------------------------------------------------ */

static uint8_t *make_quote(u8 seed, const char *rd, size_t *len, struct tdx_report *out)
{
	struct platform *p = attest_test_platform();
	struct attest_keys *k;
	struct tdx_report r;
	uint8_t *q = NULL;
	char err[256];

	k = attest_keys_load(NULL, err, sizeof(err));
	assert_non_null(k);
	attest_test_report(p, &r, seed, rd);
	assert_int_equal(tdx_quote_build(k, &r, &q, len, err, sizeof(err)), 0);
	if (out)
		*out = r;
	attest_keys_free(k);
	platform_destroy(p);
	return q;
}

static void test_quote_round_trip(void **state)
{
	struct tdx_report r;
	struct tdx_quote_view v;
	size_t len;
	uint8_t *q = make_quote(7, "round trip", &len, &r);
	const uint8_t *b = q + 48;
	char err[256];

	(void)state;
	assert_int_equal(le_get16(q), 4);
	assert_int_equal(le_get16(q + 2), 2);
	assert_int_equal(le_get32(q + 4), 0x81);
	assert_int_equal(le_get16(q + 8), ATTEST_QE_SVN);
	assert_int_equal(le_get16(q + 10), ATTEST_PCE_SVN);
	assert_memory_equal(q + 12, "softtdx QE 0001", 16);
	/* The body: TEE_TCB_INFO and TDINFO one to one */
	assert_memory_equal(b + 0x00, r.tee_tcb_info.tee_tcb_svn, 16);
	assert_memory_equal(b + 0x10, r.tee_tcb_info.mrseam, 48);
	assert_memory_equal(b + 0x40, r.tee_tcb_info.mrsignerseam, 48);
	assert_memory_equal(b + 0x70, &r.tee_tcb_info.attributes, 8);
	assert_memory_equal(b + 0x78, &r.tdinfo.attributes, 8);
	assert_memory_equal(b + 0x80, &r.tdinfo.xfam, 8);
	assert_memory_equal(b + 0x88, r.tdinfo.mrtd, 48);
	assert_memory_equal(b + 0xB8, r.tdinfo.mrconfigid, 48);
	assert_memory_equal(b + 0xE8, r.tdinfo.mrowner, 48);
	assert_memory_equal(b + 0x118, r.tdinfo.mrownerconfig, 48);
	assert_memory_equal(b + 0x148, r.tdinfo.rtmr, 192);
	assert_memory_equal(b + 0x208, r.mac.report_data, 64);
	/* Signed data: 64 + 64 + 6 + (384 + 64 + 2 + 32 + 6 + chain) */
	assert_int_equal(le_get32(q + 0x278), len - 0x27C);
	assert_int_equal(le_get16(q + 0x27C + 128), 6);
	assert_int_equal(le_get32(q + 0x27C + 130), len - 0x27C - 134);
	assert_int_equal(tdx_quote_verify(q, len, root_pem, root_len, &v, err, sizeof(err)), 0);
	assert_int_equal(v.qe_auth_len, 32);
	assert_int_equal(le_get16(v.qe_report + SGX_RB_ISVSVN), ATTEST_QE_SVN);
	assert_memory_equal(v.qe_report, r.mac.cpusvn, 16);
	assert_int_equal(v.pck_chain_len, len - 0x27C - 134 - 384 - 64 - 2 - 32 - 6);
	assert_int_equal(v.pck_chain[v.pck_chain_len - 1], '\n');
	free(q);
}

/* The TDREPORT's own consistency: the QE refuses reports whose hashes lie. */
static void test_quote_refuses_bad_report(void **state)
{
	struct platform *p = attest_test_platform();
	struct attest_keys *k;
	struct tdx_report r;
	uint8_t *q = NULL;
	size_t len;
	char err[256];

	(void)state;
	k = attest_keys_load(NULL, err, sizeof(err));
	attest_test_report(p, &r, 1, "x");
	r.tdinfo.mrtd[0] ^= 1;
	assert_int_equal(tdx_quote_build(k, &r, &q, &len, err, sizeof(err)), -1);
	assert_string_equal(err, "TEE_INFO_HASH does not match TDINFO");
	attest_test_report(p, &r, 1, "x");
	r.tee_tcb_info.mrseam[0] ^= 1;
	assert_int_equal(tdx_quote_build(k, &r, &q, &len, err, sizeof(err)), -1);
	assert_string_equal(err, "TEE_TCB_INFO_HASH does not match TEE_TCB_INFO");
	r.mac.report_type[0] = 0;
	assert_int_equal(tdx_quote_build(k, &r, &q, &len, err, sizeof(err)), -1);
	assert_string_equal(err, "report type 0 is not TDX (0x81)");
	attest_keys_free(k);
	platform_destroy(p);
}

/* Verifies @q with byte @off xor @x (or @len cut short) and expects @want. */
static void expect_fail(const uint8_t *q, size_t len, size_t off, uint8_t x, const char *want)
{
	uint8_t *c = malloc(len + 1);
	struct tdx_quote_view v;
	char err[256];

	memcpy(c, q, len);
	if (off < len)
		c[off] ^= x;
	assert_int_equal(tdx_quote_verify(c, len, root_pem, root_len, &v, err, sizeof(err)), -1);
	if (strcmp(err, want))
		fail_msg("offset %#zx: got '%s', want '%s'", off, err, want);
	free(c);
}

static void test_verify_flipped_bytes(void **state)
{
	size_t len, qe = 0x27C + 134, auth = qe + 384 + 64 + 2;
	uint8_t *q = make_quote(9, "flips", &len, NULL);
	static const char bad_sig[] = "the quote's signature is not the attestation key's";
	static const char unbound[] = "the QE report does not bind the attestation key "
				      "(REPORTDATA is not SHA-256(key || QE auth data))";
	static const char bad_qe[] = "the QE report's signature is not the PCK key's";

	(void)state;
	expect_fail(q, len, 0x30, 1, bad_sig);			/* body: TEE_TCB_SVN */
	expect_fail(q, len, 0x30 + 0x88, 0x80, bad_sig);	/* body: MRTD */
	expect_fail(q, len, 0x30 + 0x247, 1, bad_sig);		/* body: last REPORTDATA byte */
	expect_fail(q, len, 28, 1, bad_sig);			/* header: user data */
	expect_fail(q, len, 8, 1, bad_sig);			/* header: QE SVN */
	expect_fail(q, len, 0x27C, 1, bad_sig);			/* signature r */
	expect_fail(q, len, 0x27C + 63, 1, bad_sig);		/* signature s */
	expect_fail(q, len, 0x27C + 64, 1, unbound);		/* attestation key */
	expect_fail(q, len, qe + 0x40, 1, bad_qe);		/* QE report: MRENCLAVE */
	expect_fail(q, len, qe + 320, 1, bad_qe);		/* QE report: REPORTDATA */
	expect_fail(q, len, qe + 384, 1, bad_qe);		/* QE report signature */
	expect_fail(q, len, auth, 1, unbound);			/* QE auth data */
	expect_fail(q, len, 0, 1, "quote version 5 is not 4");
	expect_fail(q, len, 2, 1, "attestation key type 3 is not 2 (ECDSA-P256)");
	expect_fail(q, len, 4, 1, "TEE type 0x80 is not TDX (0x81)");
	free(q);
}

/* Verifies @q with the u32 (or u16) at @off set to @v. */
static void expect_field(const uint8_t *q, size_t len, size_t off, uint32_t v, int width,
			 const char *want)
{
	uint8_t *c = malloc(len);
	struct tdx_quote_view view;
	char err[256];

	memcpy(c, q, len);
	le_put32(c + off, width == 4 ? v : (v & 0xFFFF) | (uint32_t)le_get16(c + off + 2) << 16);
	assert_int_equal(tdx_quote_verify(c, len, root_pem, root_len, &view, err, sizeof(err)),
			 -1);
	if (strcmp(err, want))
		fail_msg("offset %#zx: got '%s', want '%s'", off, err, want);
	free(c);
}

static void test_verify_bad_lengths(void **state)
{
	size_t len, cert = 0x27C + 128, qe = cert + 6, auth_size = qe + 384 + 64;
	size_t inner = auth_size + 2 + 32, chain;
	uint8_t *q = make_quote(11, "lengths", &len, NULL);
	char want[256];

	(void)state;
	chain = len - inner - 6;
	snprintf(want, sizeof(want), "signed data size %zu, but the quote has %zu bytes after "
		 "the body", len - 0x27C + 1, len - 0x27C);
	expect_field(q, len, 0x278, (uint32_t)(len - 0x27C + 1), 4, want);
	snprintf(want, sizeof(want), "signed data size 0, but the quote has %zu bytes after "
		 "the body", len - 0x27C);
	expect_field(q, len, 0x278, 0, 4, want);
	expect_field(q, len, cert, 5, 2, "certification data type 5 is not 6 (QE report "
		     "certification data)");
	snprintf(want, sizeof(want), "certification data size 100, but %zu bytes are left",
		 len - 0x27C - 134);
	expect_field(q, len, cert + 2, 100, 4, want);
	expect_field(q, len, auth_size, 0xFFFF, 2, "QE auth data size 65535 overruns the QE "
		     "report certification data");
	expect_field(q, len, inner, 4, 2, "inner certification data type 4 is not 5 (PCK "
		     "certificate chain)");
	snprintf(want, sizeof(want), "PCK certificate chain size %zu, but %zu bytes are left",
		 chain + 1, chain);
	expect_field(q, len, inner + 2, (uint32_t)(chain + 1), 4, want);
	free(q);
}

static void test_verify_truncated(void **state)
{
	static const size_t cuts[] = { 0, 1, 48, 631, 635 };
	struct tdx_quote_view v;
	size_t len;
	uint8_t *q = make_quote(13, "cut", &len, NULL);
	char err[256], want[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		assert_int_equal(tdx_quote_verify(q, cuts[i], root_pem, root_len, &v, err,
						  sizeof(err)), -1);
		snprintf(want, sizeof(want), "%zu bytes is too short for a TD quote (at least 636)",
			 cuts[i]);
		assert_string_equal(err, want);
	}
	for (size_t cut = 636; cut < len; cut += cut < 800 ? 64 : 997) {
		assert_int_equal(tdx_quote_verify(q, cut, root_pem, root_len, &v, err,
						  sizeof(err)), -1);
		snprintf(want, sizeof(want), "signed data size %zu, but the quote has %zu bytes "
			 "after the body", len - 636, cut - 636);
		assert_string_equal(err, want);
	}
	/* Consistent lengths, too short for their parts */
	le_put32(q + 0x278, 100);
	assert_int_equal(tdx_quote_verify(q, 736, root_pem, root_len, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "signed data of 100 bytes is too short");
	le_put32(q + 0x278, 200);
	le_put32(q + 0x27C + 130, 200 - 134);
	assert_int_equal(tdx_quote_verify(q, 836, root_pem, root_len, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "QE report certification data is 66 bytes, too short for a QE "
			    "report");
	free(q);
}

static void test_verify_wrong_root(void **state)
{
	char *other = attest_test_tmpdir(), err[256];
	struct attest_keys *k = attest_keys_load(other, err, sizeof(err));
	struct tdx_quote_view v;
	size_t len, other_len;
	uint8_t *q = make_quote(15, "root", &len, NULL);
	char *other_root = slurp(path_in(other, ATTEST_ROOT_FILE), &other_len);

	(void)state;
	assert_non_null(k);
	assert_int_equal(tdx_quote_verify(q, len, other_root, other_len, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "the PCK certificate chain's root certificate is not the trusted "
			    "root");
	assert_int_equal(tdx_quote_verify(q, len, "junk", 4, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "the root certificate is not a PEM certificate");
	/* The chain's own root must be there, and be the trusted one */
	assert_int_equal(tdx_quote_parse(q, len, &v, err, sizeof(err)), 0);
	memset((uint8_t *)v.pck_chain + v.pck_chain_len - 100, 'x', 100);
	assert_int_equal(tdx_quote_verify(q, len, root_pem, root_len, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "the PCK certificate chain's root certificate is not a PEM block "
			    "(BEGIN CERTIFICATE ... END CERTIFICATE)");
	memset((uint8_t *)v.pck_chain, 'x', v.pck_chain_len);
	assert_int_equal(tdx_quote_verify(q, len, root_pem, root_len, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "the PCK certificate chain's PCK certificate is not a PEM block "
			    "(BEGIN CERTIFICATE ... END CERTIFICATE)");
	attest_keys_free(k);
	attest_test_rmtree(other);
	free(other);
	free(other_root);
	free(q);
}

/* ---- the PCK chain, strictly ---------------------------------------------------------------- */

/* @q with its PCK chain replaced by @chain: every size field follows. */
static uint8_t *with_chain(const uint8_t *q, size_t len, const char *chain, size_t chain_len,
			   size_t *out_len)
{
	struct tdx_quote_view v;
	char err[256];
	size_t off;
	uint8_t *c;

	assert_int_equal(tdx_quote_parse(q, len, &v, err, sizeof(err)), 0);
	off = (size_t)(v.pck_chain - q);
	*out_len = off + chain_len;
	c = malloc(*out_len);
	memcpy(c, q, off);
	memcpy(c + off, chain, chain_len);
	le_put32(c + 0x278, (uint32_t)(*out_len - 0x27C));
	le_put32(c + 0x27C + 130, (uint32_t)(*out_len - 0x27C - 134));
	le_put32(c + off - 4, (uint32_t)chain_len);
	return c;
}

/* Verifies @q carrying @chain; @want NULL for success. */
static void expect_chain(const uint8_t *q, size_t len, const char *chain, size_t chain_len,
			 const char *want)
{
	size_t c_len;
	uint8_t *c = with_chain(q, len, chain, chain_len, &c_len);
	struct tdx_quote_view v;
	char err[256] = "";
	int ret = tdx_quote_verify(c, c_len, root_pem, root_len, &v, err, sizeof(err));

	if (want ? ret != -1 || strcmp(err, want) : ret != 0)
		fail_msg("got %d '%s', want '%s'", ret, err, want ? want : "success");
	free(c);
}

/* The quote's three PEM blocks, each a malloc'ed string. */
static void chain_blocks(const uint8_t *q, size_t len, char *block[3])
{
	static const char end[] = "-----END CERTIFICATE-----\n";
	struct tdx_quote_view v;
	const char *p;
	char err[256];

	assert_int_equal(tdx_quote_parse(q, len, &v, err, sizeof(err)), 0);
	p = (const char *)v.pck_chain;
	for (int i = 0; i < 3; i++) {
		const char *e = strstr(p, end) + strlen(end);

		block[i] = strndup(p, (size_t)(e - p));
		p = e;
	}
	assert_ptr_equal(p, (const char *)v.pck_chain + v.pck_chain_len);
}

static char *concat(const char *a, const char *b, const char *c)
{
	char *s = malloc(strlen(a) + strlen(b) + strlen(c) + 1);

	return strcat(strcat(strcpy(s, a), b), c);
}

/* @pem's base64 lines rewrapped every @width characters, ending each with @eol. */
static char *rewrap(const char *pem, size_t width, const char *eol)
{
	const char *body = strchr(pem, '\n') + 1, *end = strstr(pem, "-----END");
	char *out = calloc(1, strlen(pem) * 2), *o = out;
	size_t col = 0;

	o = stpcpy(o, "-----BEGIN CERTIFICATE-----\n");
	for (const char *p = body; p < end; p++) {
		if (*p == '\n')
			continue;
		*o++ = *p;
		if (++col % width == 0 || p + 2 >= end)
			o = stpcpy(o, eol);
	}
	strcpy(o, end);
	return out;
}

/* @pem's certificate with @extra zero bytes after its DER, in canonical PEM. */
static char *der_with_trailer(const char *pem, size_t extra)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	uint8_t *padded = calloc(1, (size_t)len + extra);
	BIO *out = BIO_new(BIO_s_mem());
	char *data, *text;
	long n;

	memcpy(padded, der, (size_t)len);
	assert_true(PEM_write_bio(out, "CERTIFICATE", "", padded, (long)len + (long)extra) > 0);
	n = BIO_get_mem_data(out, &data);
	text = strndup(data, (size_t)n);
	BIO_free(out);
	BIO_free(b);
	X509_free(x);
	OPENSSL_free(der);
	free(padded);
	return text;
}

static void test_verify_chain_strict(void **state)
{
	static const char not_pem_root[] = "the PCK certificate chain's root certificate is not "
					   "a PEM block (BEGIN CERTIFICATE ... END CERTIFICATE)";
	static const char pck_not_canonical[] = "the PCK certificate chain's PCK certificate is "
						"not canonical PEM (base64 in 64-character "
						"lines, no padding bits)";
	size_t len;
	uint8_t *q = make_quote(21, "strict", &len, NULL);
	char *b[3], *chain, *two, *four, *pck, *s;

	(void)state;
	chain_blocks(q, len, b);
	chain = concat(b[0], b[1], b[2]);
	expect_chain(q, len, chain, strlen(chain), NULL);
	/* A C string's terminator may follow; nothing else may */
	expect_chain(q, len, chain, strlen(chain) + 1, NULL);
	s = concat(chain, "\n", "");
	expect_chain(q, len, s, strlen(s), "the PCK certificate chain has trailing data after "
		     "its root certificate (1 bytes)");
	free(s);
	s = calloc(1, strlen(chain) + 2);
	strcpy(s, chain);
	expect_chain(q, len, s, strlen(chain) + 2, "the PCK certificate chain has trailing data "
		     "after its root certificate (2 bytes)");
	free(s);
	four = concat(chain, b[2], "");
	s = NULL;
	assert_true(asprintf(&s, "the PCK certificate chain has trailing data after its root "
			     "certificate (%zu bytes)", strlen(b[2])) > 0);
	expect_chain(q, len, four, strlen(four), s);
	free(s);
	/* The root is part of the chain, not optional */
	two = concat(b[0], b[1], "");
	expect_chain(q, len, two, strlen(two), not_pem_root);
	/* Only the canonical text of each DER */
	pck = rewrap(b[0], 64, "\n");
	assert_string_equal(pck, b[0]);
	free(pck);
	pck = rewrap(b[0], 76, "\n");
	s = concat(pck, b[1], b[2]);
	expect_chain(q, len, s, strlen(s), pck_not_canonical);
	free(s);
	free(pck);
	pck = rewrap(b[0], 64, "\r\n");
	s = concat(pck, b[1], b[2]);
	expect_chain(q, len, s, strlen(s), pck_not_canonical);
	free(s);
	free(pck);
	pck = der_with_trailer(b[0], 3);
	s = concat(pck, b[1], b[2]);
	expect_chain(q, len, s, strlen(s), "the PCK certificate chain's PCK certificate is not "
		     "one DER certificate");
	free(s);
	free(pck);
	/* The platform CA in the PCK's place chains to the root, but not through a CA */
	s = concat(b[1], b[0], b[2]);
	expect_chain(q, len, s, strlen(s), "the PCK certificate does not chain to the root "
		     "through the quote's platform CA");
	free(s);
	for (int i = 0; i < 3; i++)
		free(b[i]);
	free(chain);
	free(two);
	free(four);
	free(q);
}

/*
 * Every single-bit change of a genuine quote, and every truncation of it,
 * fails verification: no byte of it goes unchecked.
 */
static void test_verify_every_bit(void **state)
{
	size_t len, verified = 0;
	uint8_t *q = make_quote(23, "every bit", &len, NULL);
	struct tdx_quote_view v;
	char err[256];

	(void)state;
	assert_int_equal(tdx_quote_verify(q, len, root_pem, root_len, &v, err, sizeof(err)), 0);
	for (size_t bit = 0; bit < len * 8; bit++) {
		q[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (!tdx_quote_verify(q, len, root_pem, root_len, &v, err, sizeof(err))) {
			print_message("bit %zu (byte %#zx) flipped still verifies\n", bit, bit / 8);
			verified++;
		}
		q[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	for (size_t cut = 0; cut < len; cut++)
		if (!tdx_quote_verify(q, cut, root_pem, root_len, &v, err, sizeof(err))) {
			print_message("cut at %zu still verifies\n", cut);
			verified++;
		}
	assert_int_equal(verified, 0);
	free(q);
}

/* A quote signed by a different attestation key than the QE report binds. */
static void test_verify_swapped_key(void **state)
{
	size_t l1, l2;
	uint8_t *q1 = make_quote(17, "one", &l1, NULL);
	uint8_t *q2 = make_quote(17, "two", &l2, NULL);

	(void)state;
	assert_int_equal(l1, l2);
	/* q1's header and body with q2's signature */
	memcpy(q1 + 0x27C, q2 + 0x27C, 64);
	expect_fail(q1, l1, l1, 0, "the quote's signature is not the attestation key's");
	free(q1);
	free(q2);
}

/*
 * Only the PCK key's holder can bind another attestation key; even then the
 * key must be a point on P-256.
 */
static void test_verify_key_off_curve(void **state)
{
	size_t len;
	uint8_t *q = make_quote(19, "curve", &len, NULL), *ak, *rd, *qe;
	FILE *f = fopen(path_in(tmp, ATTEST_PCK_KEY_FILE), "r");
	EVP_PKEY *pck = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	struct tdx_quote_view v;
	uint8_t bound[64 + ATTEST_QE_AUTH_SIZE];
	char err[256];

	(void)state;
	fclose(f);
	assert_non_null(pck);
	assert_int_equal(tdx_quote_parse(q, len, &v, err, sizeof(err)), 0);
	ak = (uint8_t *)v.attest_key;
	qe = (uint8_t *)v.qe_report;
	rd = qe + SGX_RB_REPORTDATA;
	memset(ak, 1, 64);
	memcpy(bound, ak, 64);
	memcpy(bound + 64, v.qe_auth, ATTEST_QE_AUTH_SIZE);
	assert_true(EVP_Digest(bound, sizeof(bound), rd, NULL, EVP_sha256(), NULL));
	assert_int_equal(ecdsa_sign_raw(pck, qe, SGX_REPORT_BODY_SIZE, qe + SGX_REPORT_BODY_SIZE),
			 0);
	assert_int_equal(tdx_quote_verify(q, len, root_pem, root_len, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "the attestation key is not a P-256 point");
	EVP_PKEY_free(pck);
	free(q);
}

static int setup(void **state)
{
	struct attest_keys *k;
	char err[256];

	(void)state;
	tmp = attest_test_tmpdir();
	if (!tmp)
		return -1;
	setenv("SOFTTDX_DATA_DIR", tmp, 1);
	k = attest_keys_load(NULL, err, sizeof(err));
	if (!k)
		return -1;
	attest_keys_free(k);
	root_pem = slurp(path_in(tmp, ATTEST_ROOT_FILE), &root_len);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	attest_test_rmtree(tmp);
	free(tmp);
	free(root_pem);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_dir_precedence),
		cmocka_unit_test(test_report_key_is_the_machines),
		cmocka_unit_test(test_report_key_fallback),
		cmocka_unit_test(test_report_key_bad_file),
		cmocka_unit_test(test_keys_made_once),
		cmocka_unit_test(test_keys_partial_or_broken),
		cmocka_unit_test(test_keys_pck_mismatch),
		cmocka_unit_test(test_quote_round_trip),
		cmocka_unit_test(test_quote_refuses_bad_report),
		cmocka_unit_test(test_verify_flipped_bytes),
		cmocka_unit_test(test_verify_bad_lengths),
		cmocka_unit_test(test_verify_truncated),
		cmocka_unit_test(test_verify_wrong_root),
		cmocka_unit_test(test_verify_chain_strict),
		cmocka_unit_test(test_verify_every_bit),
		cmocka_unit_test(test_verify_swapped_key),
		cmocka_unit_test(test_verify_key_off_curve),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
