/* SPDX-License-Identifier: MIT */
/* What attest/'s own files share: the keys and raw ECDSA P-256 helpers. */
#ifndef SOFTTDX_ATTEST_INTERNAL_H
#define SOFTTDX_ATTEST_INTERNAL_H

#include "attest.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

struct attest_keys {
	EVP_PKEY *ak, *pck;
	char *chain;		/* PCK, platform CA, root, in PEM */
	size_t chain_len;
};

/* A one-line reason into @err; returns -1. */
int attest_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* x || y of @key's public point (uncompressed, without the 04). */
int ecdsa_public_raw(EVP_PKEY *key, uint8_t out[ECDSA_P256_PUB_SIZE]);
/* The P-256 public key x || y, or NULL. */
EVP_PKEY *ecdsa_public_from_raw(const uint8_t raw[ECDSA_P256_PUB_SIZE]);
/* ECDSA-SHA256 over @data, as r || s. */
int ecdsa_sign_raw(EVP_PKEY *key, const uint8_t *data, size_t len,
		   uint8_t sig[ECDSA_P256_SIG_SIZE]);
/* True if @sig (r || s) is @key's ECDSA-SHA256 signature over @data. */
bool ecdsa_verify_raw(EVP_PKEY *key, const uint8_t *data, size_t len,
		      const uint8_t sig[ECDSA_P256_SIG_SIZE]);

/* PCK, platform CA, root: the chain a quote carries, as Intel's PCK chains are. */
#define PCK_CHAIN_CERTS	3

/*
 * The quote's PCK certificate chain, strictly: exactly PCK_CHAIN_CERTS
 * canonical PEM certificates and at most a terminating NUL.  Each X509
 * re-encodes (i2d_X509) to exactly the DER the quote carries.
 */
int pck_chain_parse(const uint8_t *pem, size_t len, X509 *certs[PCK_CHAIN_CERTS], char *err,
		    size_t errlen);
void pck_chain_free(X509 *certs[PCK_CHAIN_CERTS]);

#endif /* SOFTTDX_ATTEST_INTERNAL_H */
