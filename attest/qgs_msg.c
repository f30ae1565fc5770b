// SPDX-License-Identifier: MIT
/*
 * QGS messages: the header and the bodies of GET_QUOTE and
 * GET_PLATFORM_INFO, encoded and checked byte by byte (no packed structs,
 * so nothing here depends on the host's byte order or alignment).  The
 * checks and their error codes follow Intel's qgs_msg_lib, the library
 * both ends of a real QGS link against.
 */
#include "qgs.h"
#include "le.h"

#include <string.h>

/* GET_QUOTE_RESP body: selected_id_size, quote_size. */
#define QUOTE_RESP_FIXED	(QGS_HEADER_SIZE + 8)
/* GET_QUOTE_REQ body: report_size, id_list_size. */
#define QUOTE_REQ_FIXED		(QGS_HEADER_SIZE + 8)
/* GET_COLLATERAL_RESP fixed part: two u16 versions and seven u32 sizes. */
#define COLLATERAL_RESP_FIXED	(QGS_HEADER_SIZE + 4 + 7 * 4)
/* GET_PLATFORM_INFO_RESP fixed part: two u16 SVNs and two u32 sizes. */
#define PLATFORM_RESP_FIXED	(QGS_HEADER_SIZE + 4 + 8)

const char *qgs_error_name(uint32_t code)
{
	static const char *const names[] = {
		"QGS_MSG_ERROR_UNEXPECTED", "QGS_MSG_ERROR_OUT_OF_MEMORY",
		"QGS_MSG_ERROR_INVALID_PARAMETER", "QGS_MSG_ERROR_INVALID_VERSION",
		"QGS_MSG_ERROR_INVALID_TYPE", "QGS_MSG_ERROR_INVALID_SIZE",
		"QGS_MSG_ERROR_INVALID_CODE",
	};

	if (code == QGS_MSG_SUCCESS)
		return "QGS_MSG_SUCCESS";
	if (code >= QGS_MSG_ERROR_UNEXPECTED && code < QGS_MSG_ERROR_MAX)
		return names[code - QGS_MSG_ERROR_UNEXPECTED];
	return "unknown";
}

void qgs_put_prefix(uint8_t out[QGS_PREFIX_SIZE], uint32_t len)
{
	for (int i = 0; i < 4; i++)
		out[i] = (uint8_t)(len >> (24 - 8 * i));
}

uint32_t qgs_get_prefix(const uint8_t in[QGS_PREFIX_SIZE])
{
	return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

static void put_header(uint8_t *out, uint16_t minor, uint32_t type, uint32_t size,
		       uint32_t error)
{
	le_put16(out, QGS_MSG_MAJOR);
	le_put16(out + 2, minor);
	le_put32(out + 4, type);
	le_put32(out + 8, size);
	le_put32(out + 12, error);
}

uint32_t qgs_parse_header(const uint8_t *msg, size_t len, struct qgs_header *h)
{
	if (len < QGS_HEADER_SIZE)
		return QGS_MSG_ERROR_INVALID_PARAMETER;
	h->major = le_get16(msg);
	h->minor = le_get16(msg + 2);
	h->type = le_get32(msg + 4);
	h->size = le_get32(msg + 8);
	h->error_code = le_get32(msg + 12);
	return QGS_MSG_SUCCESS;
}

/*
 * What every parser checks first, in Intel's order: long enough for the
 * fixed part, major version, type, declared size equal to the real one.
 */
static uint32_t check_common(const uint8_t *msg, size_t len, size_t fixed, uint32_t type,
			     struct qgs_header *h)
{
	if (len < fixed || qgs_parse_header(msg, len, h))
		return QGS_MSG_ERROR_INVALID_PARAMETER;
	if (h->major != QGS_MSG_MAJOR)
		return QGS_MSG_ERROR_INVALID_VERSION;
	if (h->type != type)
		return QGS_MSG_ERROR_INVALID_TYPE;
	if (h->size != len)
		return QGS_MSG_ERROR_INVALID_SIZE;
	return QGS_MSG_SUCCESS;
}

size_t qgs_encode_get_quote_req(uint8_t *out, size_t cap, const void *report, uint32_t len)
{
	size_t size = QUOTE_REQ_FIXED + (size_t)len;

	if (!len || size > cap || size > QGS_MAX_MSG)
		return 0;
	put_header(out, QGS_MSG_MINOR, QGS_GET_QUOTE_REQ, (uint32_t)size, 0);
	le_put32(out + QGS_HEADER_SIZE, len);
	le_put32(out + QGS_HEADER_SIZE + 4, 0);	/* no id list */
	memcpy(out + QUOTE_REQ_FIXED, report, len);
	return size;
}

uint32_t qgs_parse_get_quote_req(const uint8_t *msg, size_t len, const uint8_t **report,
				 uint32_t *report_len)
{
	struct qgs_header h;
	uint32_t err = check_common(msg, len, QUOTE_REQ_FIXED, QGS_GET_QUOTE_REQ, &h);
	uint64_t rsize, idsize;

	if (err)
		return err;
	if (h.error_code)
		return QGS_MSG_ERROR_INVALID_CODE;
	rsize = le_get32(msg + QGS_HEADER_SIZE);
	idsize = le_get32(msg + QGS_HEADER_SIZE + 4);
	if (!rsize)
		return QGS_MSG_ERROR_INVALID_CODE;	/* Intel's choice of code */
	if (QUOTE_REQ_FIXED + rsize + idsize != len)
		return QGS_MSG_ERROR_INVALID_SIZE;
	*report = msg + QUOTE_REQ_FIXED;
	*report_len = (uint32_t)rsize;
	return QGS_MSG_SUCCESS;
}

size_t qgs_encode_get_quote_resp(uint8_t *out, size_t cap, uint16_t minor, const uint8_t *quote,
				 uint32_t quote_len)
{
	size_t size = QUOTE_RESP_FIXED + (size_t)quote_len;

	if (!quote_len || size > cap || size > QGS_MAX_MSG)
		return 0;
	put_header(out, minor, QGS_GET_QUOTE_RESP, (uint32_t)size, QGS_MSG_SUCCESS);
	le_put32(out + QGS_HEADER_SIZE, 0);	/* selected_id_size */
	le_put32(out + QGS_HEADER_SIZE + 4, quote_len);
	memcpy(out + QUOTE_RESP_FIXED, quote, quote_len);
	return size;
}

uint32_t qgs_parse_get_quote_resp(const uint8_t *msg, size_t len, uint32_t *error,
				  const uint8_t **quote, uint32_t *quote_len)
{
	struct qgs_header h;
	uint32_t err = check_common(msg, len, QUOTE_RESP_FIXED, QGS_GET_QUOTE_RESP, &h);
	uint64_t idsize, qsize;

	if (err)
		return err;
	idsize = le_get32(msg + QGS_HEADER_SIZE);
	qsize = le_get32(msg + QGS_HEADER_SIZE + 4);
	if (QUOTE_RESP_FIXED + idsize + qsize != len)
		return QGS_MSG_ERROR_INVALID_SIZE;
	*error = h.error_code;
	if (h.error_code >= QGS_MSG_ERROR_MAX)
		return QGS_MSG_ERROR_INVALID_CODE;
	if (h.error_code)	/* an error carries no quote */
		return idsize || qsize ? QGS_MSG_ERROR_INVALID_SIZE : QGS_MSG_SUCCESS;
	if (!qsize)
		return QGS_MSG_ERROR_INVALID_SIZE;
	*quote = msg + QUOTE_RESP_FIXED + idsize;
	*quote_len = (uint32_t)qsize;
	return QGS_MSG_SUCCESS;
}

size_t qgs_encode_get_platform_info_req(uint8_t *out, size_t cap)
{
	if (cap < QGS_HEADER_SIZE)
		return 0;
	put_header(out, QGS_MSG_MINOR, QGS_GET_PLATFORM_INFO_REQ, QGS_HEADER_SIZE, 0);
	return QGS_HEADER_SIZE;
}

uint32_t qgs_parse_get_platform_info_req(const uint8_t *msg, size_t len)
{
	struct qgs_header h;
	uint32_t err = check_common(msg, len, QGS_HEADER_SIZE, QGS_GET_PLATFORM_INFO_REQ, &h);

	if (err)
		return err;
	return h.error_code ? QGS_MSG_ERROR_INVALID_CODE : QGS_MSG_SUCCESS;
}

size_t qgs_encode_error_resp(uint8_t *out, size_t cap, uint16_t minor, uint32_t type,
			     uint32_t error)
{
	size_t size;

	switch (type) {
	case QGS_GET_QUOTE_RESP: size = QUOTE_RESP_FIXED; break;
	case QGS_GET_COLLATERAL_RESP: size = COLLATERAL_RESP_FIXED; break;
	case QGS_GET_PLATFORM_INFO_RESP: size = PLATFORM_RESP_FIXED; break;
	default: return 0;
	}
	if (!error || size > cap)
		return 0;
	memset(out, 0, size);
	put_header(out, minor, type, (uint32_t)size, error);
	return size;
}
