// SPDX-License-Identifier: MIT
/*
 * Verifying a TD Quote v4 in the order Intel's QVL does: the PCK chain to
 * the trusted root, the PCK's signature over the QE report, the QE report's
 * binding of the attestation key, and last the attestation key's signature
 * over the header and body.  Each failure names the link that broke.
 */
#include "attest_internal.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

static X509 *read_root(const char *pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

/* DER of @x (OPENSSL_malloc'ed), its length in *@len; NULL if it cannot be encoded. */
static unsigned char *der_of(X509 *x, int *len)
{
	unsigned char *der = NULL;

	*len = i2d_X509(x, &der);
	return *len > 0 ? der : NULL;
}

/*
 * The quote's own root must be the trusted one, byte for byte
 * (pck_chain_parse() made sure its DER is what the quote carries).
 */
static int check_root(X509 *root, X509 *quote_root, char *err, size_t errlen)
{
	int trusted_len, quote_len;
	unsigned char *trusted = der_of(root, &trusted_len), *der = der_of(quote_root, &quote_len);
	bool same = trusted && der && trusted_len == quote_len &&
		    !memcmp(trusted, der, (size_t)quote_len);

	OPENSSL_free(trusted);
	OPENSSL_free(der);
	return same ? 0 : attest_fail(err, errlen, "the PCK certificate chain's root "
				      "certificate is not the trusted root");
}

/* True if the path OpenSSL built is PCK, the quote's platform CA, root. */
static bool path_is_chain(X509_STORE_CTX *ctx, X509 *certs[PCK_CHAIN_CERTS])
{
	STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);

	return path && sk_X509_num(path) == PCK_CHAIN_CERTS &&
	       !X509_cmp(sk_X509_value(path, 0), certs[0]) &&
	       !X509_cmp(sk_X509_value(path, 1), certs[1]);
}

/* The PCK to @root through the quote's platform CA and nothing else. */
static int verify_chain(X509 *certs[PCK_CHAIN_CERTS], X509 *root, char *err, size_t errlen)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	int ret = -1;

	if (!store || !ctx || !untrusted || !X509_STORE_add_cert(store, root) ||
	    !sk_X509_push(untrusted, certs[1]) ||
	    !X509_STORE_CTX_init(ctx, store, certs[0], untrusted))
		attest_fail(err, errlen, "cannot set up certificate verification");
	else if ((X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT),
		  X509_verify_cert(ctx) != 1))
		attest_fail(err, errlen, "the PCK certificate chain does not verify: %s",
			    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	else if (!path_is_chain(ctx, certs))
		attest_fail(err, errlen, "the PCK certificate does not chain to the root through "
			    "the quote's platform CA");
	else
		ret = 0;
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ret;
}

/* SHA-256(attestation key || QE auth data), then 32 zero bytes. */
static bool key_bound(const struct tdx_quote_view *v)
{
	const uint8_t *rd = v->qe_report + SGX_RB_REPORTDATA;
	static const uint8_t zero[32];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t h[32];
	bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
		  EVP_DigestUpdate(md, v->attest_key, ECDSA_P256_PUB_SIZE) &&
		  EVP_DigestUpdate(md, v->qe_auth, v->qe_auth_len) &&
		  EVP_DigestFinal_ex(md, h, NULL);

	EVP_MD_CTX_free(md);
	return ok && !memcmp(rd, h, 32) && !memcmp(rd + 32, zero, 32);
}

/* Everything after the chain: three links, each by its own key. */
static int verify_links(const uint8_t *q, const struct tdx_quote_view *v, X509 *pck, char *err,
			size_t errlen)
{
	EVP_PKEY *pck_key = X509_get0_pubkey(pck), *ak;
	int ret = -1;

	if (!pck_key || !ecdsa_verify_raw(pck_key, v->qe_report, SGX_REPORT_BODY_SIZE,
					  v->qe_report_sig))
		return attest_fail(err, errlen, "the QE report's signature is not the PCK key's");
	if (!key_bound(v))
		return attest_fail(err, errlen, "the QE report does not bind the attestation key "
				   "(REPORTDATA is not SHA-256(key || QE auth data))");
	ak = ecdsa_public_from_raw(v->attest_key);
	if (!ak)
		return attest_fail(err, errlen, "the attestation key is not a P-256 point");
	if (!ecdsa_verify_raw(ak, q, TDX_QUOTE_SIGNED_LEN_OFF, v->sig))
		attest_fail(err, errlen, "the quote's signature is not the attestation key's");
	else
		ret = 0;
	EVP_PKEY_free(ak);
	return ret;
}

int tdx_quote_verify(const uint8_t *q, size_t len, const char *root_pem, size_t root_len,
		     struct tdx_quote_view *v, char *err, size_t errlen)
{
	X509 *certs[PCK_CHAIN_CERTS], *root;
	int ret = -1;

	if (tdx_quote_parse(q, len, v, err, errlen))
		return -1;
	root = read_root(root_pem, root_len);
	if (!root)
		return attest_fail(err, errlen, "the root certificate is not a PEM certificate");
	if (!pck_chain_parse(v->pck_chain, v->pck_chain_len, certs, err, errlen)) {
		if (!check_root(root, certs[PCK_CHAIN_CERTS - 1], err, errlen) &&
		    !verify_chain(certs, root, err, errlen))
			ret = verify_links(q, v, certs[0], err, errlen);
		pck_chain_free(certs);
	}
	X509_free(root);
	return ret;
}
