// SPDX-License-Identifier: MIT
/*
 * The Quote Generation Service: takes TDREPORTs over a Unix or vsock
 * socket and answers with TD Quotes, speaking Intel's QGS protocol.
 *
 * Each connection has its own thread, so a slow or silent client delays
 * no one else; there are at most max_connections of them (more are closed
 * at once, with a line on stderr).  A connection may carry several
 * requests.  It may sit idle between them for the idle timeout, and each
 * message, once its first byte came, must arrive whole (and its reply be
 * taken) within QGS_TIMEOUT_MS: a client that never reads or dribbles
 * bytes holds its thread no longer than that.  Anything malformed gets an
 * error response with Intel's code; only a length prefix we cannot trust
 * (the stream cannot be resynchronised after it) ends the connection,
 * after an INVALID_SIZE response.
 */
#include "attest_internal.h"

#include "../platform/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_LISTEN	2

struct qgs_server {
	struct attest_keys *keys;
	int listen_fd[MAX_LISTEN];
	int nr_listen;
	int stop_pipe[2];
	char *socket_path;	/* ours to unlink */
	bool quiet;
	int max_connections, idle_ms;
	pthread_mutex_t lock;
	pthread_cond_t drained;
	int nr_connections;	/* under lock */
};

struct qgs_connection {
	struct qgs_server *server;
	int fd;
};

static void say(const struct qgs_server *s, const char *what, uint32_t code)
{
	if (!s->quiet)
		fprintf(stderr, "softtdx qgs: %s (%s)\n", what, qgs_error_name(code));
}

/* ---- requests -------------------------------------------------------------------------- */

static size_t error_resp(const struct qgs_server *s, uint8_t *out, size_t cap, uint32_t type,
			 uint32_t code, const char *why)
{
	say(s, why, code);
	return qgs_encode_error_resp(out, cap, QGS_MSG_MINOR, type, code);
}

/* The QE's gate: only a TDREPORT this machine's CPU made gets a quote. */
static const char *check_mac(const struct tdx_report *r)
{
	switch (platform_verify_report_mac_standalone(&r->mac)) {
	case 0:
		return NULL;
	case -ENOKEY:
		return "no platform report key in the data directory: cannot check TDREPORTs";
	default:
		return "the TDREPORT's MAC was not made on this machine";
	}
}

static size_t get_quote(struct qgs_server *s, const uint8_t *msg, size_t len, uint8_t *out,
			size_t cap)
{
	const uint8_t *report_bytes;
	uint32_t report_len, bad = qgs_parse_get_quote_req(msg, len, &report_bytes, &report_len);
	struct tdx_report report;
	uint8_t *quote = NULL;
	size_t quote_len = 0, n = 0;
	const char *why;
	char err[160];

	if (bad)
		return error_resp(s, out, cap, QGS_GET_QUOTE_RESP, bad, "malformed GET_QUOTE_REQ");
	if (report_len != sizeof(report))
		return error_resp(s, out, cap, QGS_GET_QUOTE_RESP, QGS_MSG_ERROR_INVALID_PARAMETER,
				  "the report is not a 1024-byte TDREPORT");
	memcpy(&report, report_bytes, sizeof(report));
	why = check_mac(&report);
	if (why)
		return error_resp(s, out, cap, QGS_GET_QUOTE_RESP, QGS_MSG_ERROR_UNEXPECTED, why);
	if (tdx_quote_build(s->keys, &report, &quote, &quote_len, err, sizeof(err)))
		return error_resp(s, out, cap, QGS_GET_QUOTE_RESP, QGS_MSG_ERROR_UNEXPECTED, err);
	n = qgs_encode_get_quote_resp(out, cap, QGS_MSG_MINOR, quote, (uint32_t)quote_len);
	free(quote);
	if (!n)
		return error_resp(s, out, cap, QGS_GET_QUOTE_RESP, QGS_MSG_ERROR_UNEXPECTED,
				  "the quote does not fit in a message");
	if (!s->quiet)
		fprintf(stderr, "softtdx qgs: quote of %zu bytes\n", quote_len);
	return n;
}

size_t qgs_server_handle(struct qgs_server *s, const uint8_t *msg, size_t len, uint8_t *out,
			 size_t cap)
{
	struct qgs_header h;
	uint32_t resp_type, bad;

	if (qgs_parse_header(msg, len, &h))
		return error_resp(s, out, cap, QGS_GET_QUOTE_RESP, QGS_MSG_ERROR_INVALID_PARAMETER,
				  "message shorter than its header");
	/* Requests are even; the answer to one is the next type. */
	resp_type = h.type < QGS_MSG_TYPE_MAX && !(h.type & 1) ? h.type + 1 : QGS_GET_QUOTE_RESP;
	if (h.major != QGS_MSG_MAJOR)
		return error_resp(s, out, cap, resp_type, QGS_MSG_ERROR_INVALID_VERSION,
				  "unsupported major version");
	switch (h.type) {
	case QGS_GET_QUOTE_REQ:
		return get_quote(s, msg, len, out, cap);
	case QGS_GET_PLATFORM_INFO_REQ:
		bad = qgs_parse_get_platform_info_req(msg, len);
		return error_resp(s, out, cap, resp_type, bad ? bad : QGS_MSG_ERROR_UNEXPECTED,
				  bad ? "malformed GET_PLATFORM_INFO_REQ" :
					"GET_PLATFORM_INFO is not offered");
	case QGS_GET_COLLATERAL_REQ:
		return error_resp(s, out, cap, resp_type, QGS_MSG_ERROR_UNEXPECTED,
				  "no collateral service (GET_COLLATERAL)");
	default:
		return error_resp(s, out, cap, QGS_GET_QUOTE_RESP, QGS_MSG_ERROR_INVALID_TYPE,
				  "not a request type");
	}
}

/* ---- connections --------------------------------------------------------------------------- */

/* A reply of @len bytes at @out + QGS_PREFIX_SIZE, with its prefix. */
static bool send_reply(struct qgs_server *s, int fd, uint8_t *out, size_t len)
{
	qgs_put_prefix(out, (uint32_t)len);
	return !qgs_transfer(fd, out, QGS_PREFIX_SIZE + len, true, qgs_now_ms() + QGS_TIMEOUT_MS,
			     s->stop_pipe[0]);
}

/* One request and its reply; false when the connection is done. */
static bool serve_one(struct qgs_server *s, int fd, uint8_t *msg, uint8_t *out)
{
	uint8_t prefix[QGS_PREFIX_SIZE];
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
			       { .fd = s->stop_pipe[0], .events = POLLIN } };
	long long deadline;
	uint32_t len;
	size_t n;

	/* Idle until the next request starts, then QGS_TIMEOUT_MS for the rest. */
	if (poll(p, 2, s->idle_ms) <= 0 || p[1].revents)
		return false;
	deadline = qgs_now_ms() + QGS_TIMEOUT_MS;
	if (qgs_transfer(fd, prefix, sizeof(prefix), false, deadline, s->stop_pipe[0]))
		return false;
	len = qgs_get_prefix(prefix);
	if (len < QGS_HEADER_SIZE || len > QGS_MAX_MSG) {
		n = error_resp(s, out + QGS_PREFIX_SIZE, QGS_MAX_MSG, QGS_GET_QUOTE_RESP,
			       QGS_MSG_ERROR_INVALID_SIZE, "bad message length prefix");
		send_reply(s, fd, out, n);
		return false;
	}
	if (qgs_transfer(fd, msg, len, false, deadline, s->stop_pipe[0])) {
		say(s, "no whole message in time: closed", QGS_MSG_ERROR_INVALID_SIZE);
		return false;
	}
	n = qgs_server_handle(s, msg, len, out + QGS_PREFIX_SIZE, QGS_MAX_MSG);
	return send_reply(s, fd, out, n);
}

static void *serve(void *arg)
{
	struct qgs_connection *c = arg;
	struct qgs_server *s = c->server;
	uint8_t *msg = malloc(QGS_MAX_MSG), *out = malloc(QGS_PREFIX_SIZE + QGS_MAX_MSG);

	while (msg && out && serve_one(s, c->fd, msg, out))
		;
	free(msg);
	free(out);
	/*
	 * Closed under the lock: a client that sees the close finds the room
	 * free, and qgs_server_run() returns with every connection closed.
	 */
	pthread_mutex_lock(&s->lock);
	close(c->fd);
	if (!--s->nr_connections)
		pthread_cond_signal(&s->drained);
	pthread_mutex_unlock(&s->lock);
	free(c);
	return NULL;
}

/* A thread for the new connection @fd, or a close when there is no room. */
static void start_connection(struct qgs_server *s, int fd)
{
	struct qgs_connection *c = malloc(sizeof(*c));
	pthread_attr_t attr;
	pthread_t t;
	bool room;

	pthread_mutex_lock(&s->lock);
	room = c && s->nr_connections < s->max_connections;
	if (room)
		s->nr_connections++;
	pthread_mutex_unlock(&s->lock);
	if (room) {
		*c = (struct qgs_connection){ .server = s, .fd = fd };
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		room = !pthread_create(&t, &attr, serve, c);
		pthread_attr_destroy(&attr);
		if (room)
			return;
		pthread_mutex_lock(&s->lock);
		s->nr_connections--;
		pthread_mutex_unlock(&s->lock);
	}
	if (!s->quiet)
		fprintf(stderr, "softtdx qgs: connection refused: %d connections are open "
			"(--max-connections)\n", s->max_connections);
	free(c);
	close(fd);
}

void qgs_server_run(struct qgs_server *s)
{
	struct pollfd p[MAX_LISTEN + 1];

	for (int i = 0; i < s->nr_listen; i++)
		p[i] = (struct pollfd){ .fd = s->listen_fd[i], .events = POLLIN };
	p[s->nr_listen] = (struct pollfd){ .fd = s->stop_pipe[0], .events = POLLIN };
	for (;;) {
		int n = poll(p, (nfds_t)s->nr_listen + 1, -1);

		if (n < 0 && errno == EINTR)
			continue;	/* revents are stale: poll again */
		if (n < 0 || p[s->nr_listen].revents)
			break;
		for (int i = 0; i < s->nr_listen; i++) {
			int fd = p[i].revents ? accept4(p[i].fd, NULL, NULL, SOCK_CLOEXEC) : -1;

			if (fd >= 0)
				start_connection(s, fd);
		}
	}
	/* The stop pipe ends every connection's wait too. */
	pthread_mutex_lock(&s->lock);
	while (s->nr_connections)
		pthread_cond_wait(&s->drained, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

void qgs_server_stop(struct qgs_server *s)
{
	ssize_t n = write(s->stop_pipe[1], "", 1);

	(void)n;	/* a full pipe already says stop */
}

/* ---- sockets ------------------------------------------------------------------------------------ */

/* A socket file left by a QGS that died is reused; a live one is not taken over. */
static int clear_path(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, live;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : attest_fail(err, errlen, "cannot use %s: %s", path,
							 strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return attest_fail(err, errlen, "%s exists and is not a socket", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	live = fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (fd >= 0)
		close(fd);
	if (live)
		return attest_fail(err, errlen, "a QGS is already listening on %s", path);
	unlink(path);
	return 0;
}

static int listen_unix(struct qgs_server *s, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (!*path || strlen(path) >= sizeof(sa.sun_path))
		return attest_fail(err, errlen, "bad socket path '%s'", path);
	if (clear_path(path, err, errlen))
		return -1;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
		attest_fail(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	s->socket_path = strdup(path);
	s->listen_fd[s->nr_listen++] = fd;
	return 0;
}

static int listen_vsock(struct qgs_server *s, int port, char *err, size_t errlen)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				  .svm_port = (unsigned int)port };
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return attest_fail(err, errlen, "vsock is not available on this kernel "
				   "(AF_VSOCK: %s)", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
		attest_fail(err, errlen, "cannot listen on vsock port %d: %s", port,
			    strerror(errno));
		close(fd);
		return -1;
	}
	s->listen_fd[s->nr_listen++] = fd;
	return 0;
}

struct qgs_server *qgs_server_open(const struct qgs_server_config *cfg, char *err,
				   size_t errlen)
{
	struct qgs_server *s = calloc(1, sizeof(*s));

	if (!s) {
		attest_fail(err, errlen, "out of memory");
		return NULL;
	}
	s->quiet = cfg->quiet;
	s->max_connections = cfg->max_connections ? cfg->max_connections :
			     QGS_DEFAULT_MAX_CONNECTIONS;
	s->idle_ms = cfg->idle_timeout_ms ? cfg->idle_timeout_ms : QGS_DEFAULT_IDLE_MS;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->drained, NULL);
	s->stop_pipe[0] = s->stop_pipe[1] = -1;
	if (pipe2(s->stop_pipe, O_CLOEXEC | O_NONBLOCK)) {
		attest_fail(err, errlen, "cannot make a pipe: %s", strerror(errno));
		qgs_server_close(s);
		return NULL;
	}
	s->keys = attest_keys_load(NULL, err, errlen);
	if (!s->keys || (cfg->socket_path && listen_unix(s, cfg->socket_path, err, errlen)) ||
	    (cfg->vsock_port >= 0 && listen_vsock(s, cfg->vsock_port, err, errlen))) {
		qgs_server_close(s);
		return NULL;
	}
	return s;
}

void qgs_server_close(struct qgs_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nr_listen; i++)
		close(s->listen_fd[i]);
	if (s->socket_path)
		unlink(s->socket_path);
	for (int i = 0; i < 2; i++)
		if (s->stop_pipe[i] >= 0)
			close(s->stop_pipe[i]);
	free(s->socket_path);
	attest_keys_free(s->keys);
	pthread_cond_destroy(&s->drained);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
