// SPDX-License-Identifier: MIT
/*
 * The QGS client: one framed request, one framed reply, under a deadline
 * for the whole exchange (a QGS that stops answering must not hang a vCPU's
 * GetQuote forever; QEMU gives up after 30 s too).
 */
#include "qgs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static const struct timeval connect_timeout = { .tv_sec = QGS_TIMEOUT_MS / 1000 };

static int connect_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (!*path || strlen(path) >= sizeof(sa.sun_path))
		return fail(err, errlen, "bad QGS socket path '%s'", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, errlen, "cannot create a socket: %s", strerror(errno));
	/* connect() waits while a busy QGS's backlog is full: not forever. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &connect_timeout, sizeof(connect_timeout));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fail(err, errlen, "cannot connect to the QGS at %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* "CID:PORT", both decimal. */
static int parse_vsock(const char *s, unsigned int *cid, unsigned int *port)
{
	char *end;
	unsigned long c, p;

	errno = 0;
	c = strtoul(s, &end, 10);
	if (end == s || *end != ':' || errno || c > 0xFFFFFFFFul)
		return -1;
	s = end + 1;
	p = strtoul(s, &end, 10);
	if (end == s || *end || errno || p > 0xFFFFFFFFul)
		return -1;
	*cid = (unsigned int)c;
	*port = (unsigned int)p;
	return 0;
}

static int connect_vsock(const char *spec, char *err, size_t errlen)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK };
	int fd;

	if (parse_vsock(spec, &sa.svm_cid, &sa.svm_port))
		return fail(err, errlen, "bad QGS address 'vsock:%s' (want vsock:CID:PORT)", spec);
	fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, errlen, "vsock is not available here (AF_VSOCK: %s)",
			    strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fail(err, errlen, "cannot connect to the QGS at vsock:%s: %s", spec,
		     strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int qgs_connect(const char *addr, char *err, size_t errlen)
{
	if (!strncmp(addr, "vsock:", 6))
		return connect_vsock(addr + 6, err, errlen);
	if (!strncmp(addr, "unix:", 5))
		addr += 5;
	return connect_unix(addr, err, errlen);
}

long long qgs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Waits for @events on @fd until @deadline or @cancel_fd; 0 or -1 with errno. */
static int wait_fd(int fd, short events, long long deadline, int cancel_fd)
{
	struct pollfd p[2] = { { .fd = fd, .events = events },
			       { .fd = cancel_fd, .events = POLLIN } };
	long long left;
	int n;

	do {
		left = deadline - qgs_now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(p, cancel_fd >= 0 ? 2 : 1, left > 60000 ? 60000 : (int)left);
	} while (n == 0 || (n < 0 && errno == EINTR));
	if (n > 0 && p[1].revents)
		errno = ECANCELED;
	return n > 0 && !p[1].revents ? 0 : -1;
}

int qgs_transfer(int fd, void *buf, size_t len, bool sending, long long deadline,
		 int cancel_fd)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = sending ? send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT) :
				      recv(fd, p, len, MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, sending ? POLLOUT : POLLIN, deadline, cancel_fd))
				return -1;
			continue;
		}
		if (n == 0)
			errno = ECONNRESET;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int io_fail(const char *what, int timeout_ms, char *err, size_t errlen)
{
	if (errno == ETIMEDOUT)
		return fail(err, errlen, "no answer from the QGS within %d ms", timeout_ms);
	if (errno == ECONNRESET)
		return fail(err, errlen, "the QGS closed the connection while %s", what);
	return fail(err, errlen, "QGS connection failed while %s: %s", what, strerror(errno));
}

int qgs_exchange(int fd, const uint8_t *req, size_t req_len, uint8_t **resp, size_t *resp_len,
		 int timeout_ms, char *err, size_t errlen)
{
	long long deadline = qgs_now_ms() + timeout_ms;
	uint8_t prefix[QGS_PREFIX_SIZE];
	uint32_t len;

	if (req_len > QGS_MAX_MSG)
		return fail(err, errlen, "a %zu-byte QGS request is too large", req_len);
	qgs_put_prefix(prefix, (uint32_t)req_len);
	if (qgs_transfer(fd, prefix, sizeof(prefix), true, deadline, -1) ||
	    qgs_transfer(fd, (void *)req, req_len, true, deadline, -1))
		return io_fail("sending", timeout_ms, err, errlen);
	if (qgs_transfer(fd, prefix, sizeof(prefix), false, deadline, -1))
		return io_fail("receiving", timeout_ms, err, errlen);
	len = qgs_get_prefix(prefix);
	if (len < QGS_HEADER_SIZE || len > QGS_MAX_MSG)
		return fail(err, errlen, "the QGS sent a %u-byte message (want %d to %u)", len,
			    QGS_HEADER_SIZE, QGS_MAX_MSG);
	*resp = malloc(len);
	if (!*resp)
		return fail(err, errlen, "out of memory for a %u-byte QGS reply", len);
	if (qgs_transfer(fd, *resp, len, false, deadline, -1)) {
		free(*resp);
		*resp = NULL;
		return io_fail("receiving", timeout_ms, err, errlen);
	}
	*resp_len = len;
	return 0;
}

/* The quote in a GET_QUOTE_RESP, copied out; 0 or -1 with a reason. */
static int take_quote(const uint8_t *msg, size_t len, uint8_t **quote, size_t *quote_len,
		      char *err, size_t errlen)
{
	const uint8_t *q = NULL;
	uint32_t qlen = 0, error = 0;
	uint32_t bad = qgs_parse_get_quote_resp(msg, len, &error, &q, &qlen);

	if (bad)
		return fail(err, errlen, "malformed GET_QUOTE_RESP from the QGS (%s)",
			    qgs_error_name(bad));
	if (error)
		return fail(err, errlen, "the QGS could not make a quote: %s (%#x)",
			    qgs_error_name(error), error);
	*quote = malloc(qlen);
	if (!*quote)
		return fail(err, errlen, "out of memory for a %u-byte quote", qlen);
	memcpy(*quote, q, qlen);
	*quote_len = qlen;
	return 0;
}

int qgs_get_quote(const char *addr, const void *tdreport, size_t report_len, uint8_t **quote,
		  size_t *quote_len, char *err, size_t errlen)
{
	size_t cap = QGS_HEADER_SIZE + 8 + report_len, req_len, resp_len = 0;
	uint8_t *req, *resp = NULL;
	int fd, ret = -1;

	if (!report_len || report_len > QGS_MAX_MSG - QGS_HEADER_SIZE - 8)
		return fail(err, errlen, "a %zu-byte TDREPORT cannot be sent", report_len);
	req = malloc(cap);
	if (!req)
		return fail(err, errlen, "out of memory for a QGS request");
	req_len = qgs_encode_get_quote_req(req, cap, tdreport, (uint32_t)report_len);
	fd = qgs_connect(addr, err, errlen);
	if (fd >= 0 && !qgs_exchange(fd, req, req_len, &resp, &resp_len, QGS_TIMEOUT_MS, err,
				     errlen))
		ret = take_quote(resp, resp_len, quote, quote_len, err, errlen);
	if (fd >= 0)
		close(fd);
	free(resp);
	free(req);
	return ret;
}
