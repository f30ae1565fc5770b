// SPDX-License-Identifier: MIT
/*
 * The QGS wire protocol: the pure encoders and parsers, then the daemon in
 * a thread behind a real Unix socket, fed good, malformed, truncated,
 * oversized and out-of-order messages, and the client's own errors.
 */
#include "attest_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../attest/attest.h"
#include "../attest/le.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char *tmp, *sock, *addr;
static struct qgs_server *server;
static pthread_t server_thread;
static struct tdx_report good, foreign;	/* MAC'ed by this machine / by another */
static char *root_pem;
static size_t root_len;

/* ---- pure encoding ------------------------------------------------------------------------ */

static void test_prefix_and_names(void **state)
{
	uint8_t p[4];

	(void)state;
	qgs_put_prefix(p, 0x01020304);
	assert_memory_equal(p, "\x01\x02\x03\x04", 4);
	assert_int_equal(qgs_get_prefix(p), 0x01020304);
	assert_string_equal(qgs_error_name(0), "QGS_MSG_SUCCESS");
	assert_string_equal(qgs_error_name(0x12001), "QGS_MSG_ERROR_UNEXPECTED");
	assert_string_equal(qgs_error_name(0x12007), "QGS_MSG_ERROR_INVALID_CODE");
	assert_string_equal(qgs_error_name(0x12008), "unknown");
}

static void test_quote_req_codec(void **state)
{
	uint8_t msg[64], report[8] = "TDREPRT";
	const uint8_t *r;
	uint32_t rlen;
	size_t n;

	(void)state;
	n = qgs_encode_get_quote_req(msg, sizeof(msg), report, 8);
	assert_int_equal(n, 32);
	assert_memory_equal(msg, "\x01\x00\x01\x00\x00\x00\x00\x00\x20\x00\x00\x00\x00\x00\x00\x00"
			    "\x08\x00\x00\x00\x00\x00\x00\x00", 24);
	assert_int_equal(qgs_parse_get_quote_req(msg, n, &r, &rlen), 0);
	assert_int_equal(rlen, 8);
	assert_ptr_equal(r, msg + 24);
	assert_int_equal(qgs_encode_get_quote_req(msg, 31, report, 8), 0);	/* no room */
	assert_int_equal(qgs_encode_get_quote_req(msg, sizeof(msg), report, 0), 0);
	assert_int_equal(qgs_parse_get_quote_req(msg, 23, &r, &rlen),
			 QGS_MSG_ERROR_INVALID_PARAMETER);
}

static void test_quote_resp_codec(void **state)
{
	uint8_t msg[64], quote[4] = { 1, 2, 3, 4 };
	const uint8_t *q = NULL;
	uint32_t qlen = 0, error = 7;
	size_t n = qgs_encode_get_quote_resp(msg, sizeof(msg), 0, quote, 4);

	(void)state;
	assert_int_equal(n, 28);
	assert_int_equal(qgs_parse_get_quote_resp(msg, n, &error, &q, &qlen), 0);
	assert_int_equal(error, 0);
	assert_int_equal(qlen, 4);
	assert_memory_equal(q, quote, 4);
	/* An error response carries no quote */
	n = qgs_encode_error_resp(msg, sizeof(msg), 1, QGS_GET_QUOTE_RESP, QGS_MSG_ERROR_UNEXPECTED);
	assert_int_equal(n, 24);
	assert_int_equal(qgs_parse_get_quote_resp(msg, n, &error, &q, &qlen), 0);
	assert_int_equal(error, QGS_MSG_ERROR_UNEXPECTED);
	le_put32(msg + 20, 4);	/* ...but says it has one */
	assert_int_equal(qgs_parse_get_quote_resp(msg, n, &error, &q, &qlen),
			 QGS_MSG_ERROR_INVALID_SIZE);
	le_put32(msg + 20, 0);
	le_put32(msg + 12, QGS_MSG_ERROR_MAX);	/* an error code nobody defines */
	assert_int_equal(qgs_parse_get_quote_resp(msg, n, &error, &q, &qlen),
			 QGS_MSG_ERROR_INVALID_CODE);
	le_put32(msg + 12, 0);	/* success without a quote */
	assert_int_equal(qgs_parse_get_quote_resp(msg, n, &error, &q, &qlen),
			 QGS_MSG_ERROR_INVALID_SIZE);
	le_put16(msg, 2);
	assert_int_equal(qgs_parse_get_quote_resp(msg, n, &error, &q, &qlen),
			 QGS_MSG_ERROR_INVALID_VERSION);
	assert_int_equal(qgs_encode_error_resp(msg, sizeof(msg), 1, QGS_GET_QUOTE_REQ, 1), 0);
	assert_int_equal(qgs_encode_error_resp(msg, sizeof(msg), 1, QGS_GET_QUOTE_RESP, 0), 0);
	assert_int_equal(qgs_encode_error_resp(msg, sizeof(msg), 1, QGS_GET_COLLATERAL_RESP, 1), 48);
	assert_int_equal(qgs_encode_error_resp(msg, sizeof(msg), 1, QGS_GET_PLATFORM_INFO_RESP, 1),
			 28);
}

/* ---- the daemon ------------------------------------------------------------------------------- */

static void *serve(void *arg)
{
	qgs_server_run(arg);
	return NULL;
}

/* One raw message through the socket; the reply's header. */
static struct qgs_header ask(const uint8_t *msg, size_t len, uint8_t **reply, size_t *reply_len)
{
	struct qgs_header h = { 0 };
	char err[256];
	int fd = qgs_connect(addr, err, sizeof(err));
	uint8_t *resp = NULL;
	size_t rlen = 0;

	assert_true(fd >= 0);
	if (qgs_exchange(fd, msg, len, &resp, &rlen, 10000, err, sizeof(err)))
		fail_msg("%s", err);
	close(fd);
	assert_int_equal(qgs_parse_header(resp, rlen, &h), 0);
	assert_int_equal(h.size, rlen);
	assert_int_equal(h.major, 1);
	assert_int_equal(h.minor, 1);
	if (reply) {
		*reply = resp;
		*reply_len = rlen;
	} else {
		free(resp);
	}
	return h;
}

/* A GET_QUOTE_REQ for @r, with the header's fields patched afterwards. */
static size_t quote_req(uint8_t *msg, const void *r, uint32_t len)
{
	return qgs_encode_get_quote_req(msg, QGS_MAX_MSG, r, len);
}

static void expect_error(const uint8_t *msg, size_t len, uint32_t type, uint32_t code,
			 uint32_t size)
{
	struct qgs_header h = ask(msg, len, NULL, NULL);

	assert_int_equal(h.type, type);
	if (h.error_code != code)
		fail_msg("got %s, want %s", qgs_error_name(h.error_code), qgs_error_name(code));
	assert_int_equal(h.size, size);
}

static void test_daemon_quote(void **state)
{
	uint8_t msg[QGS_HEADER_SIZE + 8 + 1024], *resp, *quote;
	size_t n = quote_req(msg, &good, sizeof(good)), rlen, qlen;
	const uint8_t *q;
	uint32_t ql, error;
	struct tdx_quote_view v;
	char err[256];

	(void)state;
	ask(msg, n, &resp, &rlen);
	assert_int_equal(qgs_parse_get_quote_resp(resp, rlen, &error, &q, &ql), 0);
	assert_int_equal(error, 0);
	assert_int_equal(tdx_quote_verify(q, ql, root_pem, root_len, &v, err, sizeof(err)), 0);
	assert_memory_equal(v.body + TDX_QB_REPORTDATA, good.mac.report_data, 64);
	assert_memory_equal(v.body + TDX_QB_MRTD, good.tdinfo.mrtd, 48);
	free(resp);
	/* An old QGS client's minor version 0 is served too */
	le_put16(msg + 2, 0);
	ask(msg, n, &resp, &rlen);
	assert_int_equal(qgs_parse_get_quote_resp(resp, rlen, &error, &q, &ql), 0);
	assert_int_equal(error, 0);
	free(resp);
	/* The launcher's call */
	assert_int_equal(qgs_get_quote(sock, &good, sizeof(good), &quote, &qlen, err,
				       sizeof(err)), 0);
	assert_int_equal(tdx_quote_verify(quote, qlen, root_pem, root_len, &v, err, sizeof(err)), 0);
	free(quote);
}

static void test_daemon_malformed(void **state)
{
	uint8_t *msg = malloc(QGS_MAX_MSG);
	size_t n = quote_req(msg, &good, sizeof(good));
	const uint32_t R = QGS_GET_QUOTE_RESP;

	(void)state;
	le_put16(msg, 2);					/* major version */
	expect_error(msg, n, R, QGS_MSG_ERROR_INVALID_VERSION, 24);
	le_put16(msg, 1);
	le_put32(msg + 8, (uint32_t)n + 1);		/* header size */
	expect_error(msg, n, R, QGS_MSG_ERROR_INVALID_SIZE, 24);
	le_put32(msg + 8, (uint32_t)n);
	le_put32(msg + 12, 5);				/* error_code in a request */
	expect_error(msg, n, R, QGS_MSG_ERROR_INVALID_CODE, 24);
	le_put32(msg + 12, 0);
	le_put32(msg + 16, 0);				/* report_size 0 */
	expect_error(msg, n, R, QGS_MSG_ERROR_INVALID_CODE, 24);
	le_put32(msg + 16, 1000);				/* sizes do not add up */
	expect_error(msg, n, R, QGS_MSG_ERROR_INVALID_SIZE, 24);
	le_put32(msg + 16, 1020);
	le_put32(msg + 20, 4);				/* an id list: not a TDREPORT */
	expect_error(msg, n, R, QGS_MSG_ERROR_INVALID_PARAMETER, 24);
	n = quote_req(msg, &good, 512);			/* half a TDREPORT */
	expect_error(msg, n, R, QGS_MSG_ERROR_INVALID_PARAMETER, 24);
	n = quote_req(msg, &good, sizeof(good));
	expect_error(msg, 20, R, QGS_MSG_ERROR_INVALID_PARAMETER, 24);	/* cut to 20 bytes */
	free(msg);
}

static void test_daemon_types(void **state)
{
	uint8_t msg[64];
	size_t n = qgs_encode_get_platform_info_req(msg, sizeof(msg));

	(void)state;
	assert_int_equal(n, 16);
	expect_error(msg, n, QGS_GET_PLATFORM_INFO_RESP, QGS_MSG_ERROR_UNEXPECTED, 28);
	le_put32(msg + 12, 1);
	expect_error(msg, n, QGS_GET_PLATFORM_INFO_RESP, QGS_MSG_ERROR_INVALID_CODE, 28);
	le_put32(msg + 12, 0);
	le_put32(msg + 4, QGS_GET_COLLATERAL_REQ);
	expect_error(msg, n, QGS_GET_COLLATERAL_RESP, QGS_MSG_ERROR_UNEXPECTED, 48);
	le_put32(msg + 4, QGS_GET_QUOTE_RESP);		/* a response sent as a request */
	expect_error(msg, n, QGS_GET_QUOTE_RESP, QGS_MSG_ERROR_INVALID_TYPE, 24);
	le_put32(msg + 4, 99);
	expect_error(msg, n, QGS_GET_QUOTE_RESP, QGS_MSG_ERROR_INVALID_TYPE, 24);
	le_put16(msg, 0);
	le_put32(msg + 4, QGS_GET_PLATFORM_INFO_REQ);
	expect_error(msg, n, QGS_GET_PLATFORM_INFO_RESP, QGS_MSG_ERROR_INVALID_VERSION, 28);
}

/* A TDREPORT whose MAC another machine's key made gets no quote. */
static void test_daemon_foreign_mac(void **state)
{
	uint8_t msg[QGS_HEADER_SIZE + 8 + 1024], *quote = NULL;
	size_t n = quote_req(msg, &foreign, sizeof(foreign)), qlen;
	struct tdx_report lying = good;
	char err[256];

	(void)state;
	expect_error(msg, n, QGS_GET_QUOTE_RESP, QGS_MSG_ERROR_UNEXPECTED, 24);
	assert_int_equal(qgs_get_quote(addr, &foreign, sizeof(foreign), &quote, &qlen, err,
				       sizeof(err)), -1);
	assert_string_equal(err, "the QGS could not make a quote: QGS_MSG_ERROR_UNEXPECTED "
			    "(0x12001)");
	assert_null(quote);
	lying.mac.report_data[5] ^= 1;			/* MAC'ed, then changed */
	n = quote_req(msg, &lying, sizeof(lying));
	expect_error(msg, n, QGS_GET_QUOTE_RESP, QGS_MSG_ERROR_UNEXPECTED, 24);
}

/* Raw bytes on a new connection; what comes back before the daemon closes it. */
static size_t raw(const void *bytes, size_t len, uint8_t *reply, size_t cap)
{
	char err[256];
	int fd = qgs_connect(addr, err, sizeof(err));
	size_t got = 0;
	ssize_t n;

	assert_true(fd >= 0);
	assert_int_equal(send(fd, bytes, len, MSG_NOSIGNAL), (ssize_t)len);
	shutdown(fd, SHUT_WR);
	while ((n = recv(fd, reply + got, cap - got, 0)) > 0)
		got += (size_t)n;
	close(fd);
	return got;
}

static void test_daemon_framing(void **state)
{
	uint8_t bad[8], reply[256];
	struct qgs_header h;
	size_t n;

	(void)state;
	qgs_put_prefix(bad, 0);				/* empty message */
	n = raw(bad, 4, reply, sizeof(reply));
	assert_int_equal(n, 28);
	assert_int_equal(qgs_get_prefix(reply), 24);
	assert_int_equal(qgs_parse_header(reply + 4, n - 4, &h), 0);
	assert_int_equal(h.error_code, QGS_MSG_ERROR_INVALID_SIZE);
	qgs_put_prefix(bad, QGS_MAX_MSG + 1);		/* oversized */
	n = raw(bad, 4, reply, sizeof(reply));
	assert_int_equal(n, 28);
	assert_int_equal(qgs_parse_header(reply + 4, n - 4, &h), 0);
	assert_int_equal(h.error_code, QGS_MSG_ERROR_INVALID_SIZE);
	qgs_put_prefix(bad, 0xFFFFFFFF);
	assert_int_equal(raw(bad, 4, reply, sizeof(reply)), 28);
	/* Truncated: a 100-byte message that stops after 4: closed, no reply */
	qgs_put_prefix(bad, 100);
	memcpy(bad + 4, "\x01\x00\x01\x00", 4);
	assert_int_equal(raw(bad, 8, reply, sizeof(reply)), 0);
	assert_int_equal(raw(bad, 2, reply, sizeof(reply)), 0);	/* half a prefix */
}

/* Several requests on one connection, a bad one between good ones. */
static void test_daemon_one_connection(void **state)
{
	uint8_t msg[QGS_HEADER_SIZE + 8 + 1024], *resp;
	size_t n = quote_req(msg, &good, sizeof(good)), rlen;
	struct qgs_header h;
	char err[256];
	int fd = qgs_connect(addr, err, sizeof(err));

	(void)state;
	for (int i = 0; i < 3; i++) {
		le_put16(msg, i == 1 ? 7 : 1);
		assert_int_equal(qgs_exchange(fd, msg, n, &resp, &rlen, 10000, err, sizeof(err)),
				 0);
		assert_int_equal(qgs_parse_header(resp, rlen, &h), 0);
		assert_int_equal(h.error_code, i == 1 ? QGS_MSG_ERROR_INVALID_VERSION : 0);
		free(resp);
	}
	close(fd);
}

/* ---- slow clients and limits --------------------------------------------------------------- */

static int connect_to(const char *where)
{
	char err[256];
	int fd = qgs_connect(where, err, sizeof(err));

	if (fd < 0)
		fail_msg("%s", err);
	return fd;
}

/* A quote for the good TDREPORT through @where, within @timeout_ms. */
static void quote_within(const char *where, int timeout_ms)
{
	uint8_t msg[QGS_HEADER_SIZE + 8 + 1024], *resp = NULL;
	size_t n = quote_req(msg, &good, sizeof(good)), rlen;
	struct qgs_header h;
	char err[256];
	int fd = connect_to(where);

	if (qgs_exchange(fd, msg, n, &resp, &rlen, timeout_ms, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(qgs_parse_header(resp, rlen, &h), 0);
	assert_int_equal(h.error_code, 0);
	free(resp);
	close(fd);
}

/* True once the daemon has closed @fd (EOF within @ms). */
static bool closed_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&p, 1, ms) == 1 && recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

/*
 * Clients that are idle, stop halfway through a message, or send request
 * after request and never read the replies (the daemon's sends block):
 * none of them delays another client's quote.
 */
static void test_daemon_slow_clients(void **state)
{
	uint8_t msg[QGS_HEADER_SIZE + 8 + 1024], prefix[QGS_PREFIX_SIZE];
	size_t n = quote_req(msg, &good, sizeof(good));
	int idle = connect_to(addr), partial = connect_to(addr), deaf = connect_to(addr);

	(void)state;
	qgs_put_prefix(prefix, (uint32_t)n);
	assert_int_equal(send(partial, prefix, sizeof(prefix), 0), sizeof(prefix));
	assert_int_equal(send(partial, msg, 100, 0), 100);
	/* Requests until the socket takes no more: the daemon is stuck sending replies */
	fcntl(deaf, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 10000; i++) {
		if (send(deaf, prefix, sizeof(prefix), MSG_NOSIGNAL) != sizeof(prefix) ||
		    send(deaf, msg, n, MSG_NOSIGNAL) != (ssize_t)n)
			break;
	}
	for (int i = 0; i < 3; i++)
		quote_within(addr, 5000);
	close(idle);
	close(partial);
	close(deaf);
}

/*
 * A daemon of two connections and a 1 s idle timeout: a third client is
 * closed at once; an idle client is closed after the timeout, one that
 * asks again in time is not; stopping ends connections still open.
 */
static void test_daemon_limits(void **state)
{
	char path[PLATFORM_PATH_MAX], where[PLATFORM_PATH_MAX + 8], err[256];
	struct qgs_server_config cfg = { .socket_path = path, .vsock_port = -1, .quiet = true,
					 .max_connections = 2, .idle_timeout_ms = 1000 };
	uint8_t msg[QGS_HEADER_SIZE + 8 + 1024], *resp;
	size_t n = quote_req(msg, &good, sizeof(good)), rlen;
	struct qgs_server *s;
	pthread_t t;
	int a, b, c;

	(void)state;
	snprintf(path, sizeof(path), "%s/limits.sock", tmp);
	snprintf(where, sizeof(where), "unix:%s", path);
	s = qgs_server_open(&cfg, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(pthread_create(&t, NULL, serve, s), 0);
	a = connect_to(where);
	assert_int_equal(qgs_exchange(a, msg, n, &resp, &rlen, 5000, err, sizeof(err)), 0);
	free(resp);
	b = connect_to(where);
	c = connect_to(where);
	assert_true(closed_within(c, 5000));		/* no room for a third */
	close(c);
	/* a asks again within the idle time and is served; b never asks */
	usleep(100 * 1000);
	assert_int_equal(qgs_exchange(a, msg, n, &resp, &rlen, 5000, err, sizeof(err)), 0);
	free(resp);
	assert_true(closed_within(b, 5000));
	close(b);
	quote_within(where, 5000);			/* b's room is free again */
	assert_true(closed_within(a, 5000));
	close(a);
	/* Stopping with a connection open: the daemon returns once it has ended */
	a = connect_to(where);
	assert_int_equal(qgs_exchange(a, msg, n, &resp, &rlen, 5000, err, sizeof(err)), 0);
	free(resp);
	qgs_server_stop(s);
	pthread_join(t, NULL);
	assert_true(closed_within(a, 0));
	close(a);
	qgs_server_close(s);
}

/* ---- the client's own errors -------------------------------------------------------------------- */

static void test_client_errors(void **state)
{
	uint8_t *q = NULL, req[32];
	size_t qlen, rlen;
	char err[256], path[PLATFORM_PATH_MAX];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd, fd;

	(void)state;
	assert_int_equal(qgs_get_quote("unix:/nonexistent/qgs", &good, 1024, &q, &qlen, err,
				       sizeof(err)), -1);
	assert_string_equal(err, "cannot connect to the QGS at /nonexistent/qgs: No such file or "
			    "directory");
	assert_int_equal(qgs_get_quote("vsock:2", &good, 1024, &q, &qlen, err, sizeof(err)), -1);
	assert_string_equal(err, "bad QGS address 'vsock:2' (want vsock:CID:PORT)");
	assert_int_equal(qgs_get_quote("vsock:x:1", &good, 1024, &q, &qlen, err, sizeof(err)), -1);
	assert_string_equal(err, "bad QGS address 'vsock:x:1' (want vsock:CID:PORT)");
	assert_int_equal(qgs_get_quote("", &good, 1024, &q, &qlen, err, sizeof(err)), -1);
	assert_string_equal(err, "bad QGS socket path ''");
	assert_int_equal(qgs_get_quote(addr, &good, 0, &q, &qlen, err, sizeof(err)), -1);
	assert_string_equal(err, "a 0-byte TDREPORT cannot be sent");
	/* A socket nobody answers on: the deadline */
	snprintf(path, sizeof(path), "%s/silent.sock", tmp);
	strcpy(sa.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	fd = qgs_connect(path, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(qgs_exchange(fd, req, qgs_encode_get_quote_req(req, 32, "r", 1), &q, &rlen,
				      200, err, sizeof(err)), -1);
	assert_string_equal(err, "no answer from the QGS within 200 ms");
	close(fd);
	close(lfd);
}

/* A peer that answers badly: the reply is queued before the request goes out. */
static void test_client_bad_replies(void **state)
{
	uint8_t req[32], reply[16], *resp = NULL, *big = calloc(1, QGS_MAX_MSG + 1);
	size_t len = qgs_encode_get_quote_req(req, sizeof(req), "r", 1), rlen;
	char err[256];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(qgs_exchange(sv[0], big, QGS_MAX_MSG + 1, &resp, &rlen, 1000, err,
				      sizeof(err)), -1);
	assert_string_equal(err, "a 65537-byte QGS request is too large");
	qgs_put_prefix(reply, 3);
	assert_int_equal(write(sv[1], reply, 4), 4);
	assert_int_equal(qgs_exchange(sv[0], req, len, &resp, &rlen, 1000, err, sizeof(err)), -1);
	assert_string_equal(err, "the QGS sent a 3-byte message (want 16 to 65536)");
	qgs_put_prefix(reply, 100);
	assert_int_equal(write(sv[1], reply, 14), 14);	/* 10 of 100 bytes, then EOF */
	shutdown(sv[1], SHUT_WR);
	assert_int_equal(qgs_exchange(sv[0], req, len, &resp, &rlen, 1000, err, sizeof(err)), -1);
	assert_string_equal(err, "the QGS closed the connection while receiving");
	assert_null(resp);
	close(sv[1]);
	assert_int_equal(qgs_exchange(sv[0], req, len, &resp, &rlen, 1000, err, sizeof(err)), -1);
	assert_string_equal(err, "QGS connection failed while sending: Broken pipe");
	close(sv[0]);
	free(big);
}

struct fake {
	int fd;
	uint8_t reply[64];
	size_t len;
};

/* @len bytes from @c, however the sender split them; false on EOF or error. */
static bool recv_all(int c, uint8_t *buf, size_t len)
{
	for (size_t got = 0; got < len;) {
		ssize_t n = recv(c, buf + got, len - got, 0);

		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

/*
 * One connection: reads the whole request (its prefix says how long), sends
 * the canned reply, closes.  Replying earlier would race the client's send.
 */
static void *fake_qgs(void *arg)
{
	struct fake *f = arg;
	uint8_t buf[2048];
	int c = accept(f->fd, NULL, NULL);

	if (c >= 0) {
		if (recv_all(c, buf, QGS_PREFIX_SIZE) && qgs_get_prefix(buf) <= sizeof(buf) &&
		    recv_all(c, buf, qgs_get_prefix(buf)))
			(void)!send(c, f->reply, f->len, MSG_NOSIGNAL);
		close(c);
	}
	return NULL;
}

/* qgs_get_quote() against a QGS that sends @msg; expects @want. */
static void expect_reply(const uint8_t *msg, size_t len, const char *want)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fake f = { .len = QGS_PREFIX_SIZE + len };
	uint8_t *q = NULL;
	size_t qlen;
	char err[256];
	pthread_t t;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/fake.sock", tmp);
	unlink(sa.sun_path);
	f.fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(f.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f.fd, 1), 0);
	qgs_put_prefix(f.reply, (uint32_t)len);
	memcpy(f.reply + QGS_PREFIX_SIZE, msg, len);
	assert_int_equal(pthread_create(&t, NULL, fake_qgs, &f), 0);
	assert_int_equal(qgs_get_quote(sa.sun_path, &good, sizeof(good), &q, &qlen, err,
				       sizeof(err)), -1);
	pthread_join(t, NULL);
	close(f.fd);
	assert_string_equal(err, want);
	assert_null(q);
}

static void test_client_malformed_resp(void **state)
{
	uint8_t msg[64];
	size_t n = qgs_encode_get_quote_resp(msg, sizeof(msg), 1, (const uint8_t *)"quote", 5);

	(void)state;
	le_put32(msg + 4, QGS_GET_PLATFORM_INFO_RESP);
	expect_reply(msg, n, "malformed GET_QUOTE_RESP from the QGS (QGS_MSG_ERROR_INVALID_TYPE)");
	le_put32(msg + 4, QGS_GET_QUOTE_RESP);
	le_put32(msg + 20, 6);				/* quote_size beyond the message */
	expect_reply(msg, n, "malformed GET_QUOTE_RESP from the QGS (QGS_MSG_ERROR_INVALID_SIZE)");
	n = qgs_encode_error_resp(msg, sizeof(msg), 0, QGS_GET_QUOTE_RESP,
				  QGS_MSG_ERROR_INVALID_VERSION);
	expect_reply(msg, n, "the QGS could not make a quote: QGS_MSG_ERROR_INVALID_VERSION "
		     "(0x12004)");
}

/* A second daemon does not take over a live socket; a stale file is reused. */
static void test_server_open_errors(void **state)
{
	struct qgs_server_config cfg = { .socket_path = sock, .vsock_port = -1, .quiet = true };
	char err[256], want[PLATFORM_PATH_MAX + 64], path[PLATFORM_PATH_MAX];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct qgs_server *s;
	FILE *f;
	int fd;

	(void)state;
	assert_null(qgs_server_open(&cfg, err, sizeof(err)));
	snprintf(want, sizeof(want), "a QGS is already listening on %s", sock);
	assert_string_equal(err, want);
	snprintf(path, sizeof(path), "%s/plain-file", tmp);
	f = fopen(path, "w");
	fclose(f);
	cfg.socket_path = path;
	assert_null(qgs_server_open(&cfg, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s exists and is not a socket", path);
	assert_string_equal(err, want);
	cfg.socket_path = "/etc/passwd/qgs.sock";
	assert_null(qgs_server_open(&cfg, err, sizeof(err)));
	assert_string_equal(err, "cannot use /etc/passwd/qgs.sock: Not a directory");
	cfg.socket_path = "/nonexistent/qgs.sock";
	assert_null(qgs_server_open(&cfg, err, sizeof(err)));
	assert_string_equal(err, "cannot listen on /nonexistent/qgs.sock: No such file or directory");
	cfg.socket_path = "";
	assert_null(qgs_server_open(&cfg, err, sizeof(err)));
	assert_string_equal(err, "bad socket path ''");
	/* A socket file whose daemon is gone */
	snprintf(path, sizeof(path), "%s/stale.sock", tmp);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	cfg.socket_path = path;
	s = qgs_server_open(&cfg, err, sizeof(err));
	assert_non_null(s);
	qgs_server_close(s);
	assert_int_equal(access(path, F_OK), -1);	/* close removed it */
}

static int setup(void **state)
{
	struct qgs_server_config cfg = { .vsock_port = -1, .quiet = true };
	struct platform *p;
	char err[256], root[PLATFORM_PATH_MAX];
	FILE *f;

	(void)state;
	tmp = attest_test_tmpdir();
	if (!tmp || asprintf(&sock, "%s/qgs.sock", tmp) < 0 || asprintf(&addr, "unix:%s", sock) < 0)
		return -1;
	/* The foreign report first: its platform's data directory is unusable. */
	setenv("SOFTTDX_DATA_DIR", "/proc/softtdx-cannot-exist", 1);
	p = attest_test_platform();
	attest_test_report(p, &foreign, 3, "from another machine");
	platform_destroy(p);
	setenv("SOFTTDX_DATA_DIR", tmp, 1);
	p = attest_test_platform();
	attest_test_report(p, &good, 5, "softtdx test: a good TD");
	platform_destroy(p);
	cfg.socket_path = sock;
	server = qgs_server_open(&cfg, err, sizeof(err));
	if (!server || pthread_create(&server_thread, NULL, serve, server))
		return -1;
	snprintf(root, sizeof(root), "%s/%s", tmp, ATTEST_ROOT_FILE);
	f = fopen(root, "r");
	root_pem = malloc(65536);
	root_len = fread(root_pem, 1, 65536, f);
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	qgs_server_stop(server);
	pthread_join(server_thread, NULL);
	qgs_server_close(server);
	assert_int_equal(access(sock, F_OK), -1);	/* the socket file is gone */
	attest_test_rmtree(tmp);
	free(tmp);
	free(sock);
	free(addr);
	free(root_pem);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_and_names),
		cmocka_unit_test(test_quote_req_codec),
		cmocka_unit_test(test_quote_resp_codec),
		cmocka_unit_test(test_daemon_quote),
		cmocka_unit_test(test_daemon_malformed),
		cmocka_unit_test(test_daemon_types),
		cmocka_unit_test(test_daemon_foreign_mac),
		cmocka_unit_test(test_daemon_framing),
		cmocka_unit_test(test_daemon_one_connection),
		cmocka_unit_test(test_daemon_slow_clients),
		cmocka_unit_test(test_daemon_limits),
		cmocka_unit_test(test_client_errors),
		cmocka_unit_test(test_client_bad_replies),
		cmocka_unit_test(test_client_malformed_resp),
		cmocka_unit_test(test_server_open_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
