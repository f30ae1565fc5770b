// SPDX-License-Identifier: MIT
/*
 * TD Quote v4: building one from a TDREPORT, and parsing one with every
 * length checked against the buffer.  The layout is Intel DCAP's
 * (sgx_quote_4.h; QVL's QuoteStructures.h): a 48-byte header, the 584-byte
 * TD quote body, then the signed data: the attestation key's signature,
 * the key, and certification data type 6, whose QE report binds the key
 * and carries the PCK certificate chain (type 5) inside it.
 */
#include "attest_internal.h"
#include "le.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

/* Signed data: signature, key, cert type and size; then the QE report data. */
#define SIGNED_FIXED	(ECDSA_P256_SIG_SIZE + ECDSA_P256_PUB_SIZE + 2 + 4)
/* QE report certification data: report, its signature, the auth data size. */
#define QE_CERT_FIXED	(SGX_REPORT_BODY_SIZE + ECDSA_P256_SIG_SIZE + 2)
/* The nested PCK chain's type and size. */
#define CHAIN_FIXED	6

/* softtdx's QE vendor ID: not Intel's, so no verifier takes it for a TDQE. */
static const uint8_t qe_vendor_id[16] = "softtdx QE 0001";

/* ---- raw ECDSA P-256 ------------------------------------------------------------------ */

int ecdsa_public_raw(EVP_PKEY *key, uint8_t out[ECDSA_P256_PUB_SIZE])
{
	uint8_t point[1 + ECDSA_P256_PUB_SIZE];
	size_t len = 0;

	if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point),
					     &len) || len != sizeof(point) ||
	    point[0] != POINT_CONVERSION_UNCOMPRESSED)
		return -1;
	memcpy(out, point + 1, ECDSA_P256_PUB_SIZE);
	return 0;
}

EVP_PKEY *ecdsa_public_from_raw(const uint8_t raw[ECDSA_P256_PUB_SIZE])
{
	uint8_t point[1 + ECDSA_P256_PUB_SIZE] = { POINT_CONVERSION_UNCOMPRESSED };
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)),
		OSSL_PARAM_END,
	};
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *key = NULL;

	memcpy(point + 1, raw, ECDSA_P256_PUB_SIZE);
	/* fromdata checks that the point is on the curve. */
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	return key;
}

int ecdsa_sign_raw(EVP_PKEY *key, const uint8_t *data, size_t len,
		   uint8_t sig[ECDSA_P256_SIG_SIZE])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t der[80];
	const uint8_t *p = der;
	size_t der_len = sizeof(der);
	ECDSA_SIG *s = NULL;
	int ret = -1;

	if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(md, der, &der_len, data, len) == 1 &&
	    (s = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) &&
	    BN_bn2binpad(ECDSA_SIG_get0_r(s), sig, 32) == 32 &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(s), sig + 32, 32) == 32)
		ret = 0;
	ECDSA_SIG_free(s);
	EVP_MD_CTX_free(md);
	return ret;
}

bool ecdsa_verify_raw(EVP_PKEY *key, const uint8_t *data, size_t len,
		      const uint8_t sig[ECDSA_P256_SIG_SIZE])
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *ss = BN_bin2bn(sig + 32, 32, NULL);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t *der = NULL;
	int der_len = -1;
	bool ok = false;

	if (s && r && ss && ECDSA_SIG_set0(s, r, ss)) {
		r = ss = NULL;	/* owned by s now */
		der_len = i2d_ECDSA_SIG(s, &der);
	}
	if (der_len > 0 && md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1)
		ok = EVP_DigestVerify(md, der, (size_t)der_len, data, len) == 1;
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	BN_free(r);
	BN_free(ss);
	ECDSA_SIG_free(s);
	return ok;
}

/* ---- building ------------------------------------------------------------------------------ */

/* The body: TEE_TCB_INFO and TDINFO fields, one-to-one, and REPORTDATA. */
static void fill_body(uint8_t *b, const struct tdx_report *r)
{
	const struct tdx_tee_tcb_info *tcb = &r->tee_tcb_info;
	const struct tdx_tdinfo *td = &r->tdinfo;

	memcpy(b + TDX_QB_TEE_TCB_SVN, tcb->tee_tcb_svn, 16);
	memcpy(b + TDX_QB_MRSEAM, tcb->mrseam, 48);
	memcpy(b + TDX_QB_MRSIGNERSEAM, tcb->mrsignerseam, 48);
	memcpy(b + TDX_QB_SEAM_ATTRIBUTES, &tcb->attributes, 8);
	memcpy(b + TDX_QB_TD_ATTRIBUTES, &td->attributes, 8);
	memcpy(b + TDX_QB_XFAM, &td->xfam, 8);
	memcpy(b + TDX_QB_MRTD, td->mrtd, 48);
	memcpy(b + TDX_QB_MRCONFIGID, td->mrconfigid, 48);
	memcpy(b + TDX_QB_MROWNER, td->mrowner, 48);
	memcpy(b + TDX_QB_MROWNERCONFIG, td->mrownerconfig, 48);
	memcpy(b + TDX_QB_RTMR0, td->rtmr, 4 * 48);
	memcpy(b + TDX_QB_REPORTDATA, r->mac.report_data, 64);
}

static void fill_header(uint8_t *h)
{
	le_put16(h, TDX_QUOTE_VERSION);
	le_put16(h + 2, TDX_QUOTE_ATT_KEY_ECDSA_P256);
	le_put32(h + 4, TDX_QUOTE_TEE_TDX);
	le_put16(h + TDX_QUOTE_HDR_QE_SVN, ATTEST_QE_SVN);
	le_put16(h + TDX_QUOTE_HDR_PCE_SVN, ATTEST_PCE_SVN);
	memcpy(h + TDX_QUOTE_HDR_QE_VENDOR, qe_vendor_id, 16);
}

/*
 * The QE's own REPORT, as the TDQE makes it for the PCE: its identity and
 * REPORTDATA = SHA-256(attestation key || QE auth data), zero-padded.
 */
static void fill_qe_report(uint8_t *rb, const struct tdx_report *r, const uint8_t *ak,
			   const uint8_t *auth)
{
	static const char identity[] = "softtdx quoting enclave";
	uint8_t bound[ECDSA_P256_PUB_SIZE + ATTEST_QE_AUTH_SIZE];

	memcpy(rb + SGX_RB_CPUSVN, r->mac.cpusvn, 16);
	rb[SGX_RB_ATTRIBUTES] = 0x05;	/* INIT | MODE64BIT */
	SHA256((const uint8_t *)identity, sizeof(identity) - 1, rb + SGX_RB_MRENCLAVE);
	SHA256(qe_vendor_id, sizeof(qe_vendor_id), rb + SGX_RB_MRSIGNER);
	le_put16(rb + SGX_RB_ISVPRODID, ATTEST_QE_PRODID);
	le_put16(rb + SGX_RB_ISVSVN, ATTEST_QE_SVN);
	memcpy(bound, ak, ECDSA_P256_PUB_SIZE);
	memcpy(bound + ECDSA_P256_PUB_SIZE, auth, ATTEST_QE_AUTH_SIZE);
	SHA256(bound, sizeof(bound), rb + SGX_RB_REPORTDATA);
}

/* Everything after the header and body's signature: key, QE report data, chain. */
static int fill_signed(const struct attest_keys *k, const struct tdx_report *r, uint8_t *s,
		       size_t signed_len)
{
	uint8_t *ak = s + ECDSA_P256_SIG_SIZE, *cert = ak + ECDSA_P256_PUB_SIZE;
	uint8_t *qe = cert + 6, *auth = qe + QE_CERT_FIXED, *chain = auth + ATTEST_QE_AUTH_SIZE;

	if (ecdsa_public_raw(k->ak, ak))
		return -1;
	le_put16(cert, TDX_QUOTE_CERT_QE_REPORT);
	le_put32(cert + 2, (uint32_t)(signed_len - SIGNED_FIXED));
	for (int i = 0; i < ATTEST_QE_AUTH_SIZE; i++)
		auth[i] = (uint8_t)i;	/* what Intel's QE puts there too */
	fill_qe_report(qe, r, ak, auth);
	le_put16(qe + SGX_REPORT_BODY_SIZE + ECDSA_P256_SIG_SIZE, ATTEST_QE_AUTH_SIZE);
	le_put16(chain, TDX_QUOTE_CERT_PCK_CHAIN);
	le_put32(chain + 2, (uint32_t)k->chain_len);
	memcpy(chain + CHAIN_FIXED, k->chain, k->chain_len);
	return ecdsa_sign_raw(k->pck, qe, SGX_REPORT_BODY_SIZE, qe + SGX_REPORT_BODY_SIZE);
}

/* The QE's checks of a TDREPORT beyond its MAC: type, and hashes that bind the rest. */
static int check_report(const struct tdx_report *r, char *err, size_t errlen)
{
	uint8_t h[48];

	if (r->mac.report_type[0] != TDX_REPORT_TYPE_TDX)
		return attest_fail(err, errlen, "report type %#x is not TDX (0x81)",
				   r->mac.report_type[0]);
	SHA384((const uint8_t *)&r->tee_tcb_info, sizeof(r->tee_tcb_info), h);
	if (memcmp(h, r->mac.tee_tcb_info_hash, 48))
		return attest_fail(err, errlen, "TEE_TCB_INFO_HASH does not match TEE_TCB_INFO");
	SHA384((const uint8_t *)&r->tdinfo, sizeof(r->tdinfo), h);
	if (memcmp(h, r->mac.tee_info_hash, 48))
		return attest_fail(err, errlen, "TEE_INFO_HASH does not match TDINFO");
	return 0;
}

int tdx_quote_build(const struct attest_keys *k, const struct tdx_report *report,
		    uint8_t **quote, size_t *quote_len, char *err, size_t errlen)
{
	size_t signed_len = SIGNED_FIXED + QE_CERT_FIXED + ATTEST_QE_AUTH_SIZE + CHAIN_FIXED +
			    k->chain_len;
	size_t len = TDX_QUOTE_SIGNED_OFF + signed_len;
	uint8_t *q;

	if (check_report(report, err, errlen))
		return -1;
	q = calloc(1, len);
	if (!q)
		return attest_fail(err, errlen, "out of memory for a %zu-byte quote", len);
	fill_header(q);
	fill_body(q + TDX_QUOTE_HEADER_SIZE, report);
	le_put32(q + TDX_QUOTE_SIGNED_LEN_OFF, (uint32_t)signed_len);
	if (fill_signed(k, report, q + TDX_QUOTE_SIGNED_OFF, signed_len) ||
	    ecdsa_sign_raw(k->ak, q, TDX_QUOTE_SIGNED_LEN_OFF, q + TDX_QUOTE_SIGNED_OFF)) {
		free(q);
		return attest_fail(err, errlen, "ECDSA signing failed");
	}
	*quote = q;
	*quote_len = len;
	return 0;
}

/* ---- parsing ---------------------------------------------------------------------------------- */

static int parse_header(const uint8_t *q, size_t len, struct tdx_quote_view *v, char *err,
			size_t errlen)
{
	if (len < TDX_QUOTE_SIGNED_OFF)
		return attest_fail(err, errlen, "%zu bytes is too short for a TD quote (at least %d)",
				   len, TDX_QUOTE_SIGNED_OFF);
	v->header = q;
	v->body = q + TDX_QUOTE_HEADER_SIZE;
	v->version = le_get16(q);
	v->att_key_type = le_get16(q + 2);
	v->tee_type = le_get32(q + 4);
	v->qe_svn = le_get16(q + TDX_QUOTE_HDR_QE_SVN);
	v->pce_svn = le_get16(q + TDX_QUOTE_HDR_PCE_SVN);
	if (v->version != TDX_QUOTE_VERSION)
		return attest_fail(err, errlen, "quote version %u is not 4", v->version);
	if (v->att_key_type != TDX_QUOTE_ATT_KEY_ECDSA_P256)
		return attest_fail(err, errlen, "attestation key type %u is not 2 (ECDSA-P256)",
				   v->att_key_type);
	if (v->tee_type != TDX_QUOTE_TEE_TDX)
		return attest_fail(err, errlen, "TEE type %#x is not TDX (0x81)", v->tee_type);
	return 0;
}

/* The QE report certification data (type 6) of @size bytes at @p. */
static int parse_qe_cert(const uint8_t *p, size_t size, struct tdx_quote_view *v, char *err,
			 size_t errlen)
{
	size_t left;

	if (size < QE_CERT_FIXED)
		return attest_fail(err, errlen, "QE report certification data is %zu bytes, "
				   "too short for a QE report", size);
	v->qe_report = p;
	v->qe_report_sig = p + SGX_REPORT_BODY_SIZE;
	v->qe_auth_len = le_get16(p + SGX_REPORT_BODY_SIZE + ECDSA_P256_SIG_SIZE);
	v->qe_auth = p + QE_CERT_FIXED;
	left = size - QE_CERT_FIXED;
	if (v->qe_auth_len > left || left - v->qe_auth_len < CHAIN_FIXED)
		return attest_fail(err, errlen, "QE auth data size %u overruns the QE report "
				   "certification data", v->qe_auth_len);
	p = v->qe_auth + v->qe_auth_len;
	left -= v->qe_auth_len + CHAIN_FIXED;
	if (le_get16(p) != TDX_QUOTE_CERT_PCK_CHAIN)
		return attest_fail(err, errlen, "inner certification data type %u is not 5 "
				   "(PCK certificate chain)", le_get16(p));
	v->pck_chain_len = le_get32(p + 2);
	v->pck_chain = p + CHAIN_FIXED;
	if (v->pck_chain_len != left)
		return attest_fail(err, errlen, "PCK certificate chain size %u, but %zu bytes "
				   "are left", v->pck_chain_len, left);
	return 0;
}

int tdx_quote_parse(const uint8_t *q, size_t len, struct tdx_quote_view *v, char *err,
		    size_t errlen)
{
	size_t signed_len;
	const uint8_t *s;

	memset(v, 0, sizeof(*v));
	if (parse_header(q, len, v, err, errlen))
		return -1;
	signed_len = le_get32(q + TDX_QUOTE_SIGNED_LEN_OFF);
	if (signed_len != len - TDX_QUOTE_SIGNED_OFF)
		return attest_fail(err, errlen, "signed data size %zu, but the quote has %zu bytes "
				   "after the body", signed_len, len - TDX_QUOTE_SIGNED_OFF);
	if (signed_len < SIGNED_FIXED)
		return attest_fail(err, errlen, "signed data of %zu bytes is too short",
				   signed_len);
	s = q + TDX_QUOTE_SIGNED_OFF;
	v->sig = s;
	v->attest_key = s + ECDSA_P256_SIG_SIZE;
	s = v->attest_key + ECDSA_P256_PUB_SIZE;
	if (le_get16(s) != TDX_QUOTE_CERT_QE_REPORT)
		return attest_fail(err, errlen, "certification data type %u is not 6 "
				   "(QE report certification data)", le_get16(s));
	if (le_get32(s + 2) != signed_len - SIGNED_FIXED)
		return attest_fail(err, errlen, "certification data size %u, but %zu bytes are "
				   "left", le_get32(s + 2), signed_len - SIGNED_FIXED);
	return parse_qe_cert(s + 6, signed_len - SIGNED_FIXED, v, err, errlen);
}
