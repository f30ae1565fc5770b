/* SPDX-License-Identifier: MIT */
/*
 * Attestation: TD Quote v4 (Intel DCAP's layout, ECDSA-P256), softtdx's own
 * certificate chain and attestation key, the quote verifier, and the Quote
 * Generation Service daemon.  This is the door of attest/'s upper half; the
 * launcher needs only attest/qgs.h.  Of the layers below, it uses only the
 * platform's report-MAC check (EVERIFYREPORT2 without a platform object).
 */
#ifndef SOFTTDX_ATTEST_ATTEST_H
#define SOFTTDX_ATTEST_ATTEST_H

#include <stdbool.h>
#include <stddef.h>

#include <softtdx/tdx_arch.h>

#include "qgs.h"

/* ---- TD Quote v4 layout ------------------------------------------------------------ */

#define TDX_QUOTE_VERSION		4
#define TDX_QUOTE_ATT_KEY_ECDSA_P256	2
#define TDX_QUOTE_TEE_TDX		0x81
#define TDX_QUOTE_HEADER_SIZE		48
#define TDX_QUOTE_BODY_SIZE		584
#define TDX_QUOTE_SIGNED_LEN_OFF	(TDX_QUOTE_HEADER_SIZE + TDX_QUOTE_BODY_SIZE)	/* 0x278 */
#define TDX_QUOTE_SIGNED_OFF		(TDX_QUOTE_SIGNED_LEN_OFF + 4)			/* 0x27C */
#define TDX_QUOTE_CERT_QE_REPORT	6	/* QE report certification data */
#define TDX_QUOTE_CERT_PCK_CHAIN	5	/* PCK certificate chain, PEM */
#define SGX_REPORT_BODY_SIZE		384
#define ECDSA_P256_SIG_SIZE		64	/* r || s, big-endian */
#define ECDSA_P256_PUB_SIZE		64	/* x || y, big-endian */

/* Header fields (Intel QVL's names; go-tdx-guest swaps the two SVNs). */
#define TDX_QUOTE_HDR_QE_SVN		8
#define TDX_QUOTE_HDR_PCE_SVN		10
#define TDX_QUOTE_HDR_QE_VENDOR		12
#define TDX_QUOTE_HDR_USER_DATA		28

/* TD quote body fields, offsets from the body's start. */
#define TDX_QB_TEE_TCB_SVN		0x00	/* 16 */
#define TDX_QB_MRSEAM			0x10	/* 48 */
#define TDX_QB_MRSIGNERSEAM		0x40	/* 48 */
#define TDX_QB_SEAM_ATTRIBUTES		0x70	/* 8 */
#define TDX_QB_TD_ATTRIBUTES		0x78	/* 8 */
#define TDX_QB_XFAM			0x80	/* 8 */
#define TDX_QB_MRTD			0x88	/* 48 */
#define TDX_QB_MRCONFIGID		0xB8	/* 48 */
#define TDX_QB_MROWNER			0xE8	/* 48 */
#define TDX_QB_MROWNERCONFIG		0x118	/* 48 */
#define TDX_QB_RTMR0			0x148	/* 4 x 48 */
#define TDX_QB_REPORTDATA		0x208	/* 64 */

/* SGX REPORT body (the QE report) fields. */
#define SGX_RB_CPUSVN			0
#define SGX_RB_ATTRIBUTES		48
#define SGX_RB_MRENCLAVE		64
#define SGX_RB_MRSIGNER			128
#define SGX_RB_ISVPRODID		256
#define SGX_RB_ISVSVN			258
#define SGX_RB_REPORTDATA		320

/* What softtdx's quoting enclave says of itself. */
#define ATTEST_QE_SVN			1
#define ATTEST_PCE_SVN			1
#define ATTEST_QE_PRODID		2
#define ATTEST_QE_AUTH_SIZE		32

/* A parsed quote: pointers into the buffer, every length checked. */
struct tdx_quote_view {
	const uint8_t *header, *body;
	uint16_t version, att_key_type, qe_svn, pce_svn;
	uint32_t tee_type;
	const uint8_t *sig, *attest_key;
	const uint8_t *qe_report, *qe_report_sig;
	const uint8_t *qe_auth;
	uint16_t qe_auth_len;
	const uint8_t *pck_chain;
	uint32_t pck_chain_len;
};

/* ---- keys and certificates (keys.c) ---------------------------------------------------- */

/* Files in the data directory (platform_data_dir), each mode 0600. */
#define ATTEST_ROOT_FILE	"attest-root.pem"
#define ATTEST_CA_FILE		"attest-platform-ca.pem"
#define ATTEST_PCK_FILE		"attest-pck.pem"
#define ATTEST_PCK_KEY_FILE	"attest-pck.key"
#define ATTEST_AK_FILE		"attest-ak.key"

struct attest_keys;

/*
 * The attestation key, PCK key and certificate chain in @dir (NULL: the
 * user's data directory), made on first use.  NULL with a one-line reason.
 */
struct attest_keys *attest_keys_load(const char *dir, char *err, size_t errlen);
void attest_keys_free(struct attest_keys *k);
/* The chain as it goes into quotes: PCK, platform CA, root, in PEM. */
const char *attest_keys_chain(const struct attest_keys *k, size_t *len);
/* The path of @file in @dir (NULL: the data directory); -1 if too long or no directory. */
int attest_path(const char *dir, const char *file, char *buf, size_t len);

/* ---- quotes (quote.c, quote_verify.c) -------------------------------------------------- */

/*
 * The TD Quote of @report (a TDREPORT whose MAC the caller has checked):
 * its hashes must bind its TDINFO and TEE_TCB_INFO.  0 with *@quote
 * malloc'ed, or -1 with a reason.
 */
int tdx_quote_build(const struct attest_keys *k, const struct tdx_report *report,
		    uint8_t **quote, size_t *quote_len, char *err, size_t errlen);

/* Bounds and constants only (no signatures).  0, or -1 with a reason. */
int tdx_quote_parse(const uint8_t *q, size_t len, struct tdx_quote_view *v, char *err,
		    size_t errlen);

/*
 * The whole check: parse, the PCK chain up to @root_pem (a PEM
 * certificate), the PCK's signature over the QE report, the QE report's
 * binding of the attestation key, and that key's signature over header and
 * body.  0, or -1 with a one-line reason.
 */
int tdx_quote_verify(const uint8_t *q, size_t len, const char *root_pem, size_t root_len,
		     struct tdx_quote_view *v, char *err, size_t errlen);

/* ---- the Quote Generation Service (qgs_server.c) ------------------------------------------- */

/* Connections served at once, and how long one may wait for its next request. */
#define QGS_DEFAULT_MAX_CONNECTIONS	64
#define QGS_DEFAULT_IDLE_MS		60000

struct qgs_server_config {
	const char *socket_path;	/* a Unix socket, or NULL */
	int vsock_port;			/* or -1 */
	bool quiet;			/* no per-request log on stderr */
	int max_connections;		/* 0: QGS_DEFAULT_MAX_CONNECTIONS */
	int idle_timeout_ms;		/* 0: QGS_DEFAULT_IDLE_MS */
};

struct qgs_server;

/*
 * Keys loaded from the data directory, sockets listening.  NULL with a
 * one-line reason.
 */
struct qgs_server *qgs_server_open(const struct qgs_server_config *cfg, char *err,
				   size_t errlen);
/*
 * Serves connections, each on its own thread, until qgs_server_stop();
 * returns once every connection has ended.
 */
void qgs_server_run(struct qgs_server *s);
/* Async-signal-safe: makes qgs_server_run() return. */
void qgs_server_stop(struct qgs_server *s);
/* Closes the sockets and removes the socket file. */
void qgs_server_close(struct qgs_server *s);

/*
 * One request message (no prefix) to one reply in @out (at most @cap
 * bytes): the reply's size, never 0 for a request of at least a header.
 */
size_t qgs_server_handle(struct qgs_server *s, const uint8_t *msg, size_t len, uint8_t *out,
			 size_t cap);

#endif /* SOFTTDX_ATTEST_ATTEST_H */
