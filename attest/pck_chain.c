// SPDX-License-Identifier: MIT
/*
 * The PCK certificate chain a quote carries (certification data type 5),
 * parsed strictly.  A verifier that stops at the first block it cannot read,
 * or reads PEM leniently, leaves bytes of the quote that nothing checks: a
 * root replaced by junk, padding bits, a second END line.  So the blob must
 * be exactly PCK, platform CA and root, each in the one canonical PEM text
 * of its DER (64-character lines, '\n' endings, canonical base64), each DER
 * exactly one certificate with nothing after it.
 */
#include "attest_internal.h"

#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

static const char pem_begin[] = "-----BEGIN CERTIFICATE-----\n";
static const char pem_end[] = "-----END CERTIFICATE-----\n";
#define PEM_BEGIN_LEN	(sizeof(pem_begin) - 1)
#define PEM_END_LEN	(sizeof(pem_end) - 1)
/* 48 DER bytes make one 64-character base64 line. */
#define PEM_LINE_BYTES	48

static const char *const cert_name[PCK_CHAIN_CERTS] = {
	"PCK certificate", "platform CA certificate", "root certificate",
};

/* The canonical PEM text of @der (malloc'ed, @out_len bytes), or NULL. */
static char *pem_encode(const uint8_t *der, size_t len, size_t *out_len)
{
	size_t lines = (len + PEM_LINE_BYTES - 1) / PEM_LINE_BYTES;
	size_t size = PEM_BEGIN_LEN + 4 * ((len + 2) / 3) + lines + PEM_END_LEN + 1;
	char *text = malloc(size), *p;

	if (!text)
		return NULL;
	p = stpcpy(text, pem_begin);
	for (size_t off = 0; off < len; off += PEM_LINE_BYTES) {
		size_t n = len - off < PEM_LINE_BYTES ? len - off : PEM_LINE_BYTES;

		p += EVP_EncodeBlock((unsigned char *)p, der + off, (int)n);
		*p++ = '\n';
	}
	p = stpcpy(p, pem_end);
	*out_len = (size_t)(p - text);
	return text;
}

/*
 * The DER under the base64 lines of @body (@len bytes, newlines included),
 * or NULL.  Leniency here is harmless: the caller re-encodes what came out
 * and wants the input back byte for byte.
 */
static uint8_t *pem_decode(const char *body, size_t len, size_t *der_len)
{
	char *b64 = malloc(len + 1);
	uint8_t *der = malloc(len);
	size_t n = 0, pad = 0;
	int out = -1;

	for (size_t i = 0; b64 && i < len; i++)
		if (body[i] != '\n')
			b64[n++] = body[i];
	if (b64 && der && n && n % 4 == 0) {
		pad = (b64[n - 1] == '=') + (b64[n - 2] == '=');
		out = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)n);
	}
	free(b64);
	if (out < 0 || (size_t)out < pad) {
		free(der);
		return NULL;
	}
	*der_len = (size_t)out - pad;
	return der;
}

/*
 * Exactly one certificate in @der, re-encoding to the same bytes: the outer
 * SEQUENCE and the signature fields lie outside what the issuer signed, so
 * a BER variant of them would otherwise verify as the same certificate.
 */
static X509 *der_certificate(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	unsigned char *again = NULL;
	int again_len;

	if (!x)
		return NULL;
	again_len = i2d_X509(x, &again);
	if (p != der + len || again_len != (int)len || memcmp(again, der, len)) {
		X509_free(x);
		x = NULL;
	}
	OPENSSL_free(again);
	return x;
}

/*
 * One certificate's PEM block at the start of @p (@left bytes), its X509 in
 * *@x: the block's length, or 0 with @err set.
 */
static size_t parse_block(const char *p, size_t left, int i, X509 **x, char *err,
			  size_t errlen)
{
	const char *end = left > PEM_BEGIN_LEN ?
			  memmem(p + PEM_BEGIN_LEN, left - PEM_BEGIN_LEN, pem_end, PEM_END_LEN) :
			  NULL;
	size_t block, der_len = 0, canon_len = 0;
	char *canon = NULL;
	uint8_t *der;

	if (!end || memcmp(p, pem_begin, PEM_BEGIN_LEN)) {
		attest_fail(err, errlen, "the PCK certificate chain's %s is not a PEM block "
			    "(BEGIN CERTIFICATE ... END CERTIFICATE)", cert_name[i]);
		return 0;
	}
	block = (size_t)(end - p) + PEM_END_LEN;
	der = pem_decode(p + PEM_BEGIN_LEN, (size_t)(end - p) - PEM_BEGIN_LEN, &der_len);
	if (der)
		canon = pem_encode(der, der_len, &canon_len);
	if (!canon || canon_len != block || memcmp(canon, p, block)) {
		free(canon);
		free(der);
		attest_fail(err, errlen, "the PCK certificate chain's %s is not canonical PEM "
			    "(base64 in 64-character lines, no padding bits)", cert_name[i]);
		return 0;
	}
	free(canon);
	*x = der_certificate(der, der_len);
	free(der);
	if (!*x) {
		attest_fail(err, errlen, "the PCK certificate chain's %s is not one DER "
			    "certificate", cert_name[i]);
		return 0;
	}
	return block;
}

int pck_chain_parse(const uint8_t *pem, size_t len, X509 *certs[PCK_CHAIN_CERTS], char *err,
		    size_t errlen)
{
	const char *p = (const char *)pem;
	size_t left = len, block;
	int i;

	memset(certs, 0, PCK_CHAIN_CERTS * sizeof(*certs));
	for (i = 0; i < PCK_CHAIN_CERTS; i++) {
		block = parse_block(p, left, i, &certs[i], err, errlen);
		if (!block)
			break;
		p += block;
		left -= block;
	}
	/* A C string's terminator, which quote libraries may keep, and nothing else. */
	if (i == PCK_CHAIN_CERTS && (left > 1 || (left == 1 && *p)))
		attest_fail(err, errlen, "the PCK certificate chain has trailing data after its "
			    "root certificate (%zu bytes)", left);
	else if (i == PCK_CHAIN_CERTS)
		return 0;
	pck_chain_free(certs);
	return -1;
}

void pck_chain_free(X509 *certs[PCK_CHAIN_CERTS])
{
	for (int i = 0; i < PCK_CHAIN_CERTS; i++) {
		X509_free(certs[i]);
		certs[i] = NULL;
	}
}
