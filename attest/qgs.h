/* SPDX-License-Identifier: MIT */
/*
 * The Quote Generation Service wire protocol and its client: what a VMM
 * needs to turn a TD's TDREPORT into a quote (QEMU's quote-generation-socket).
 * This half of attest/ has no platform dependency; the launcher links
 * `attest_client_lib` only.
 *
 * A message on the socket is a 4-byte big-endian length, then the message
 * itself, little-endian: a 16-byte header {u16 major = 1; u16 minor;
 * u32 type; u32 size (the whole message, header included); u32 error_code}
 * and a body that depends on the type.  The encoders and parsers below are
 * pure (no I/O) and shared by the client and the daemon (attest.h).
 */
#ifndef SOFTTDX_ATTEST_QGS_H
#define SOFTTDX_ATTEST_QGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QGS_MSG_MAJOR		1
#define QGS_MSG_MINOR		1	/* we send 1; a peer's 0 or 1 is accepted */
#define QGS_HEADER_SIZE		16
#define QGS_PREFIX_SIZE		4
/* The largest message either side accepts (a quote is a few KiB). */
#define QGS_MAX_MSG		(64u << 10)
#define QGS_TDREPORT_SIZE	1024
/* The client's deadline for the whole exchange, as QEMU's. */
#define QGS_TIMEOUT_MS		30000

enum qgs_msg_type {
	QGS_GET_QUOTE_REQ = 0,
	QGS_GET_QUOTE_RESP = 1,
	QGS_GET_COLLATERAL_REQ = 2,
	QGS_GET_COLLATERAL_RESP = 3,
	QGS_GET_PLATFORM_INFO_REQ = 4,
	QGS_GET_PLATFORM_INFO_RESP = 5,
	QGS_MSG_TYPE_MAX,
};

/* Intel's qgs_msg_error_t: 0x12000 | n. */
enum qgs_msg_error {
	QGS_MSG_SUCCESS = 0,
	QGS_MSG_ERROR_UNEXPECTED = 0x12001,
	QGS_MSG_ERROR_OUT_OF_MEMORY = 0x12002,
	QGS_MSG_ERROR_INVALID_PARAMETER = 0x12003,
	QGS_MSG_ERROR_INVALID_VERSION = 0x12004,
	QGS_MSG_ERROR_INVALID_TYPE = 0x12005,
	QGS_MSG_ERROR_INVALID_SIZE = 0x12006,
	QGS_MSG_ERROR_INVALID_CODE = 0x12007,
	QGS_MSG_ERROR_MAX,
};

struct qgs_header {
	uint16_t major, minor;
	uint32_t type, size, error_code;
};

/* The name of a qgs_msg_error ("QGS_MSG_ERROR_INVALID_SIZE"), or "unknown". */
const char *qgs_error_name(uint32_t code);

/* ---- framing ---------------------------------------------------------------------- */

void qgs_put_prefix(uint8_t out[QGS_PREFIX_SIZE], uint32_t len);
uint32_t qgs_get_prefix(const uint8_t in[QGS_PREFIX_SIZE]);

/* ---- messages (no prefix); encoders return the size or 0 if @cap is short ------------- */

/* The header of @msg: a qgs_msg_error (INVALID_PARAMETER when too short). */
uint32_t qgs_parse_header(const uint8_t *msg, size_t len, struct qgs_header *h);

size_t qgs_encode_get_quote_req(uint8_t *out, size_t cap, const void *report, uint32_t len);
/*
 * A GET_QUOTE_REQ as Intel's qgs_msg_inflate_get_quote_req checks it:
 * major version, type, header size == @len, error_code 0, report_size != 0,
 * sizes adding up.  On success *@report points into @msg.
 */
uint32_t qgs_parse_get_quote_req(const uint8_t *msg, size_t len, const uint8_t **report,
				 uint32_t *report_len);
size_t qgs_encode_get_quote_resp(uint8_t *out, size_t cap, uint16_t minor, const uint8_t *quote,
				 uint32_t quote_len);
/*
 * A GET_QUOTE_RESP: the return value says whether the message is well
 * formed; *@error is the service's error_code.  Only with both 0 is
 * *@quote set (into @msg).
 */
uint32_t qgs_parse_get_quote_resp(const uint8_t *msg, size_t len, uint32_t *error,
				  const uint8_t **quote, uint32_t *quote_len);

size_t qgs_encode_get_platform_info_req(uint8_t *out, size_t cap);
uint32_t qgs_parse_get_platform_info_req(const uint8_t *msg, size_t len);

/* An error response of @type (a *_RESP), sized as Intel's qgs_msg_gen_error_resp. */
size_t qgs_encode_error_resp(uint8_t *out, size_t cap, uint16_t minor, uint32_t type,
			     uint32_t error);

/* ---- I/O shared by the client and the daemon ----------------------------------------------- */

/* Milliseconds on the monotonic clock. */
long long qgs_now_ms(void);

/*
 * Sends (@sending) or receives all @len bytes at @buf on the socket @fd by
 * @deadline (qgs_now_ms() time), giving up early once @cancel_fd (or -1)
 * is readable.  0, or -1 with errno ETIMEDOUT, ECONNRESET (the peer
 * closed), ECANCELED, or the socket's own error.
 */
int qgs_transfer(int fd, void *buf, size_t len, bool sending, long long deadline,
		 int cancel_fd);

/* ---- the client ------------------------------------------------------------------------ */

/*
 * A connected stream socket to @addr: "unix:PATH", "vsock:CID:PORT", or a
 * plain path.  -1 with a one-line reason in @err.
 */
int qgs_connect(const char *addr, char *err, size_t errlen);

/*
 * One exchange on a connected socket: sends @req (a message; the length
 * prefix is added) and reads one framed reply into *@resp (malloc'ed),
 * within @timeout_ms.  0, or -1 with a one-line reason.
 */
int qgs_exchange(int fd, const uint8_t *req, size_t req_len, uint8_t **resp, size_t *resp_len,
		 int timeout_ms, char *err, size_t errlen);

/*
 * What the launcher calls for TDVMCALL<GetQuote>: connects to @addr, sends
 * GET_QUOTE_REQ with @tdreport (1024 bytes), and returns the TD Quote in
 * *@quote (malloc'ed; the caller frees) within QGS_TIMEOUT_MS.  0, or -1
 * with a one-line reason in @err.
 */
int qgs_get_quote(const char *addr, const void *tdreport, size_t report_len, uint8_t **quote,
		  size_t *quote_len, char *err, size_t errlen);

#endif /* SOFTTDX_ATTEST_QGS_H */
