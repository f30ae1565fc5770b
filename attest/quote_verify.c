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

/* Every certificate in a PEM blob, in order; NULL if there is none or junk. */
static STACK_OF(X509) *read_chain(const uint8_t *pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509 *x;

	while (b && chain && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		if (!sk_X509_push(chain, x)) {
			X509_free(x);
			break;
		}
	BIO_free(b);
	if (chain && !sk_X509_num(chain)) {
		sk_X509_free(chain);
		chain = NULL;
	}
	return chain;
}

static X509 *read_root(const char *pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

/* Chain[0] (the PCK) up to @root through the rest of the chain. */
static int verify_chain(STACK_OF(X509) *chain, X509 *root, char *err, size_t errlen)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ret = -1;

	if (!store || !ctx || !X509_STORE_add_cert(store, root) ||
	    !X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0), chain))
		attest_fail(err, errlen, "cannot set up certificate verification");
	else if (X509_verify_cert(ctx) != 1)
		attest_fail(err, errlen, "the PCK certificate chain does not verify: %s",
			    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	else
		ret = 0;
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
	STACK_OF(X509) *chain;
	X509 *root;
	int ret = -1;

	if (tdx_quote_parse(q, len, v, err, errlen))
		return -1;
	root = read_root(root_pem, root_len);
	if (!root)
		return attest_fail(err, errlen, "the root certificate is not a PEM certificate");
	chain = read_chain(v->pck_chain, v->pck_chain_len);
	if (!chain)
		attest_fail(err, errlen, "the PCK certificate chain holds no PEM certificate");
	else if (!verify_chain(chain, root, err, errlen))
		ret = verify_links(q, v, sk_X509_value(chain, 0), err, errlen);
	sk_X509_pop_free(chain, X509_free);
	X509_free(root);
	return ret;
}
