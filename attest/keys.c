// SPDX-License-Identifier: MIT
/*
 * softtdx's attestation identity: a root CA, a platform CA and a PCK
 * certificate (the shape of Intel's SGX/TDX PCK chain), and the quoting
 * enclave's attestation key, all ECDSA P-256.  They are made once, in the
 * user's data directory, and named so that nobody mistakes them for
 * Intel's.  The two CA keys are dropped once they have issued: nothing more
 * can ever chain to this root.
 */
#include "attest_internal.h"

#include "../platform/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define YEAR_SECONDS	(365L * 24 * 3600)

static const char *const all_files[] = {
	ATTEST_ROOT_FILE, ATTEST_CA_FILE, ATTEST_PCK_FILE, ATTEST_PCK_KEY_FILE, ATTEST_AK_FILE,
};
#define NR_FILES	(sizeof(all_files) / sizeof(all_files[0]))

int attest_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int attest_path(const char *dir, const char *file, char *buf, size_t len)
{
	char d[PLATFORM_PATH_MAX];
	int n;

	if (!dir) {
		if (platform_data_dir(d, sizeof(d)))
			return -1;
		dir = d;
	}
	n = snprintf(buf, len, "%s/%s", dir, file);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* ---- making the chain -------------------------------------------------------------------- */

static EVP_PKEY *new_key(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static bool add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	bool ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ok = ext && X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

struct cert_spec {
	const char *cn;
	long serial, years;
	const char *constraints, *usage;
};

/* A certificate for @key, signed by @issuer_key (@issuer NULL: self-signed). */
static X509 *issue(const struct cert_spec *c, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	bool ok = x && name && X509_set_version(x, 2) &&
		  ASN1_INTEGER_set(X509_get_serialNumber(x), c->serial) &&
		  X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
		  X509_gmtime_adj(X509_getm_notAfter(x), c->years * YEAR_SECONDS) &&
		  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
					     (const unsigned char *)"softtdx", -1, -1, 0) &&
		  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					     (const unsigned char *)c->cn, -1, -1, 0) &&
		  X509_set_subject_name(x, name) &&
		  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) &&
		  X509_set_pubkey(x, key);

	/* The subject key id first: a self-signed AKID refers to it. */
	ok = ok && add_ext(x, issuer ? issuer : x, NID_basic_constraints, c->constraints) &&
	     add_ext(x, issuer ? issuer : x, NID_key_usage, c->usage) &&
	     add_ext(x, issuer ? issuer : x, NID_subject_key_identifier, "hash") &&
	     add_ext(x, issuer ? issuer : x, NID_authority_key_identifier, "keyid:always") &&
	     X509_sign(x, issuer_key, EVP_sha256());
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static const struct cert_spec root_spec = {
	"softtdx Attestation Root CA (NOT Intel)", 1, 30,
	"critical,CA:TRUE,pathlen:1", "critical,keyCertSign,cRLSign",
};
static const struct cert_spec ca_spec = {
	"softtdx Attestation Platform CA (NOT Intel)", 2, 25,
	"critical,CA:TRUE,pathlen:0", "critical,keyCertSign,cRLSign",
};
static const struct cert_spec pck_spec = {
	"softtdx PCK Certificate (NOT Intel)", 3, 20,
	"critical,CA:FALSE", "critical,digitalSignature,nonRepudiation",
};

/* Writes @path.tmp (mode 0600) with @write's output; renamed by the caller. */
static int write_pem(const char *path, bool (*write)(BIO *, void *), void *obj)
{
	char tmp[PLATFORM_PATH_MAX + 8];
	int fd, ok;
	BIO *bio;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	bio = BIO_new_fd(fd, BIO_CLOSE);
	if (!bio) {
		close(fd);
		return -1;
	}
	ok = write(bio, obj) && BIO_flush(bio) == 1 && !fsync(fd);
	BIO_free(bio);
	return ok ? 0 : -1;
}

static bool write_cert(BIO *b, void *x)
{
	return PEM_write_bio_X509(b, x);
}

static bool write_key(BIO *b, void *k)
{
	return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}

/* Every file under its .tmp name first, then all renamed: never a half set. */
static int store(const char *dir, X509 *const certs[3], EVP_PKEY *pck, EVP_PKEY *ak)
{
	char path[NR_FILES][PLATFORM_PATH_MAX], tmp[PLATFORM_PATH_MAX + 8];
	int ret = 0;

	for (size_t i = 0; i < NR_FILES; i++)
		if (attest_path(dir, all_files[i], path[i], sizeof(path[i])))
			return -1;
	for (int i = 0; i < 3 && !ret; i++)
		ret = write_pem(path[i], write_cert, certs[i]);
	if (!ret)
		ret = write_pem(path[3], write_key, pck);
	if (!ret)
		ret = write_pem(path[4], write_key, ak);
	for (size_t i = 0; i < NR_FILES; i++) {
		snprintf(tmp, sizeof(tmp), "%.*s.tmp", (int)sizeof(path[i]) - 1, path[i]);
		if (ret || rename(tmp, path[i])) {
			unlink(tmp);
			ret = -1;
		}
	}
	return ret;
}

static int generate(const char *dir, char *err, size_t errlen)
{
	EVP_PKEY *root_key = new_key(), *ca_key = new_key(), *pck = new_key(), *ak = new_key();
	X509 *c[3] = { NULL, NULL, NULL };
	int ret = -1;

	if (root_key && ca_key && pck && ak) {
		c[0] = issue(&root_spec, root_key, NULL, root_key);
		c[1] = c[0] ? issue(&ca_spec, ca_key, c[0], root_key) : NULL;
		c[2] = c[1] ? issue(&pck_spec, pck, c[1], ca_key) : NULL;
	}
	if (!c[2])
		attest_fail(err, errlen, "cannot make softtdx's attestation keys and certificates");
	else if (store(dir, (X509 *const[]){ c[0], c[1], c[2] }, pck, ak))
		attest_fail(err, errlen, "cannot write the attestation files in %s: %s", dir,
		     strerror(errno));
	else
		ret = 0;
	for (int i = 0; i < 3; i++)
		X509_free(c[i]);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(pck);
	EVP_PKEY_free(ak);
	return ret;
}

/* ---- loading --------------------------------------------------------------------------------- */

static BIO *open_file(const char *dir, const char *file, char *err, size_t errlen)
{
	char path[PLATFORM_PATH_MAX];
	BIO *b;

	if (attest_path(dir, file, path, sizeof(path))) {
		attest_fail(err, errlen, "the path of %s is too long", file);
		return NULL;
	}
	b = BIO_new_file(path, "r");
	if (!b)
		attest_fail(err, errlen, "cannot read %s: %s", path, strerror(errno));
	return b;
}

static EVP_PKEY *load_key(const char *dir, const char *file, char *err, size_t errlen)
{
	BIO *b = open_file(dir, file, err, errlen);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;

	if (b && (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC || EVP_PKEY_get_bits(k) != 256)) {
		attest_fail(err, errlen, "%s/%s is not an ECDSA P-256 private key", dir, file);
		EVP_PKEY_free(k);
		k = NULL;
	}
	BIO_free(b);
	return k;
}

static X509 *load_cert(const char *dir, const char *file, char *err, size_t errlen)
{
	BIO *b = open_file(dir, file, err, errlen);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	if (b && !x)
		attest_fail(err, errlen, "%s/%s is not a PEM certificate", dir, file);
	BIO_free(b);
	return x;
}

/* PCK, platform CA, root: the chain as quotes carry it. */
static int load_chain(struct attest_keys *k, const char *dir, char *err, size_t errlen)
{
	static const char *const order[] = { ATTEST_PCK_FILE, ATTEST_CA_FILE, ATTEST_ROOT_FILE };
	BIO *mem = BIO_new(BIO_s_mem());
	int ret = mem ? 0 : attest_fail(err, errlen, "out of memory");
	char *data;
	long len;

	for (int i = 0; i < 3 && !ret; i++) {
		X509 *x = load_cert(dir, order[i], err, errlen);

		if (!x || (i == 0 && X509_check_private_key(x, k->pck) != 1))
			ret = x ? attest_fail(err, errlen, "%s/%s does not belong to %s", dir,
				       ATTEST_PCK_FILE, ATTEST_PCK_KEY_FILE) : -1;
		else if (!PEM_write_bio_X509(mem, x))
			ret = attest_fail(err, errlen, "cannot encode %s", order[i]);
		X509_free(x);
	}
	len = ret ? 0 : BIO_get_mem_data(mem, &data);
	if (!ret && (len <= 0 || !(k->chain = malloc((size_t)len))))
		ret = attest_fail(err, errlen, "out of memory");
	if (!ret) {
		memcpy(k->chain, data, (size_t)len);
		k->chain_len = (size_t)len;
	}
	BIO_free(mem);
	return ret;
}

/* How many of the five files exist; the first missing one in *@missing. */
static size_t count_files(const char *dir, const char **missing)
{
	char path[PLATFORM_PATH_MAX];
	size_t n = 0;

	*missing = NULL;
	for (size_t i = 0; i < NR_FILES; i++) {
		if (!attest_path(dir, all_files[i], path, sizeof(path)) && !access(path, F_OK))
			n++;
		else if (!*missing)
			*missing = all_files[i];
	}
	return n;
}

/* Creates the set if none of it is there; a partial set is the user's to sort out. */
static int ensure_files(const char *dir, char *err, size_t errlen)
{
	const char *missing;
	size_t n = count_files(dir, &missing);

	if (n == NR_FILES)
		return 0;
	if (n)
		return attest_fail(err, errlen, "%s has only some attestation files (no %s): "
			    "remove its attest-* files to make a new set", dir, missing);
	return generate(dir, err, errlen);
}

/* Under an exclusive lock, so two first starts do not make two identities. */
static int ensure_locked(const char *dir, char *err, size_t errlen)
{
	char path[PLATFORM_PATH_MAX];
	int fd, ret;

	if (platform_make_dir(dir))
		return attest_fail(err, errlen, "cannot create %s: %s", dir, strerror(errno));
	if (attest_path(dir, ".attest.lock", path, sizeof(path)))
		return attest_fail(err, errlen, "data directory path too long");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX)) {
		attest_fail(err, errlen, "cannot lock %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	ret = ensure_files(dir, err, errlen);
	close(fd);
	return ret;
}

struct attest_keys *attest_keys_load(const char *dir, char *err, size_t errlen)
{
	char d[PLATFORM_PATH_MAX];
	struct attest_keys *k;

	if (!dir && platform_data_dir(d, sizeof(d))) {
		attest_fail(err, errlen, "no data directory: set SOFTTDX_DATA_DIR or HOME");
		return NULL;
	}
	dir = dir ? dir : d;
	if (ensure_locked(dir, err, errlen))
		return NULL;
	k = calloc(1, sizeof(*k));
	if (!k) {
		attest_fail(err, errlen, "out of memory");
		return NULL;
	}
	k->ak = load_key(dir, ATTEST_AK_FILE, err, errlen);
	k->pck = k->ak ? load_key(dir, ATTEST_PCK_KEY_FILE, err, errlen) : NULL;
	if (!k->pck || load_chain(k, dir, err, errlen)) {
		attest_keys_free(k);
		return NULL;
	}
	return k;
}

void attest_keys_free(struct attest_keys *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->ak);
	EVP_PKEY_free(k->pck);
	free(k->chain);
	free(k);
}

const char *attest_keys_chain(const struct attest_keys *k, size_t *len)
{
	*len = k->chain_len;
	return k->chain;
}
