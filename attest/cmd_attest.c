// SPDX-License-Identifier: MIT
/*
 * `softtdx qgs` (the Quote Generation Service) and `softtdx quote verify`.
 * Usage errors exit 2, failures 1, each with one line on stderr.
 */
#include "attest_cmd.h"
#include "attest_internal.h"

#include "../platform/platform.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE	(1u << 20)

static struct qgs_server *running;

static void usage_qgs(FILE *f)
{
	fprintf(f,
		"usage: softtdx qgs (--socket PATH | --vsock PORT) [--quiet]\n"
		"                   [--max-connections N] [--idle-timeout SECONDS]\n"
		"  Quote Generation Service: turns TDREPORTs made on this machine into TD\n"
		"  Quotes (v4, ECDSA-P256) signed by softtdx's own attestation key.\n"
		"  --socket PATH  listen on a Unix socket (QEMU's quote-generation-socket)\n"
		"  --vsock PORT   listen on vsock PORT (any CID)\n"
		"  --quiet        no line per request on stderr\n"
		"  --max-connections N     clients served at once (default 64); more are\n"
		"                          closed at once\n"
		"  --idle-timeout SECONDS  how long a connection may wait for its next\n"
		"                          request (default 60)\n"
		"  Keys and certificates live in $SOFTTDX_DATA_DIR, else\n"
		"  $XDG_DATA_HOME/softtdx, else ~/.local/share/softtdx.\n");
}

static void usage_quote(FILE *f)
{
	fprintf(f,
		"usage: softtdx quote verify FILE [--report-data HEX] [--mrtd HEX] [--root CERT]\n"
		"                            [--json]\n"
		"  Verifies a TD Quote v4: the PCK chain up to the root (CERT, or the data\n"
		"  directory's attest-root.pem), the QE report, and the quote's signature;\n"
		"  then prints the TD's measurements.\n"
		"  --report-data HEX  REPORTDATA must be HEX (up to 64 bytes, zero-padded)\n"
		"  --mrtd HEX         MRTD must be HEX (48 bytes)\n"
		"  --json             one JSON object instead of text\n");
}

static void on_signal(int sig)
{
	(void)sig;
	if (running)
		qgs_server_stop(running);
}

/* A decimal number in [@min, @max], or -1. */
static int parse_number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	return end == s || *end || errno || v < min || v > max ? -1 : (int)v;
}

/* The value of --@name: @max at most, never 0. */
static int parse_limit(const char *name, const char *arg, long max)
{
	int v = parse_number(arg, 1, max);

	if (v < 0)
		fprintf(stderr, "softtdx qgs: bad --%s '%s' (1 to %ld)\n", name, arg, max);
	return v;
}

static int parse_qgs(int argc, char **argv, struct qgs_server_config *cfg)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "vsock", required_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': cfg->socket_path = optarg; break;
		case 'v':
			cfg->vsock_port = parse_number(optarg, 0, 0x7FFFFFFF);
			if (cfg->vsock_port < 0) {
				fprintf(stderr, "softtdx qgs: bad vsock port '%s'\n", optarg);
				return 2;
			}
			break;
		case 'q': cfg->quiet = true; break;
		case 'm':
			cfg->max_connections = parse_limit("max-connections", optarg, 4096);
			if (cfg->max_connections < 0)
				return 2;
			break;
		case 'i':
			cfg->idle_timeout_ms = parse_limit("idle-timeout", optarg, 86400);
			if (cfg->idle_timeout_ms < 0)
				return 2;
			cfg->idle_timeout_ms *= 1000;
			break;
		case 'h': usage_qgs(stdout); return 0;
		default: usage_qgs(stderr); return 2;
		}
	}
	if (optind != argc || (!cfg->socket_path && cfg->vsock_port < 0)) {
		fprintf(stderr, "softtdx qgs: %s\n", optind != argc ? "unexpected argument" :
			"give --socket PATH or --vsock PORT");
		return 2;
	}
	return -1;
}

int cmd_qgs(int argc, char **argv)
{
	struct qgs_server_config cfg = { .vsock_port = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	int ret = parse_qgs(argc, argv, &cfg);
	char err[256];

	if (ret >= 0)
		return ret;
	running = qgs_server_open(&cfg, err, sizeof(err));
	if (!running) {
		fprintf(stderr, "softtdx qgs: %s\n", err);
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (cfg.socket_path)
		fprintf(stderr, "softtdx qgs: listening on %s\n", cfg.socket_path);
	if (cfg.vsock_port >= 0)
		fprintf(stderr, "softtdx qgs: listening on vsock port %d\n", cfg.vsock_port);
	qgs_server_run(running);
	qgs_server_close(running);
	running = NULL;
	return 0;
}

/* ---- softtdx quote ------------------------------------------------------------------------ */

/* The whole of @path (at most MAX_FILE bytes), or NULL with a reason. */
static uint8_t *read_all(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = f ? malloc(MAX_FILE + 1) : NULL;

	if (!f) {
		attest_fail(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	*len = buf ? fread(buf, 1, MAX_FILE + 1, f) : 0;
	if (!buf || ferror(f) || *len > MAX_FILE) {
		attest_fail(err, errlen, buf && !ferror(f) ? "%s is larger than %u bytes" :
			    "cannot read %s", path, MAX_FILE);
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Up to @max bytes of hex into @out (zero-padded to @max); the count, or -1. */
static int parse_hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s);

	if (!n || n % 2 || n / 2 > max)
		return -1;
	memset(out, 0, max);
	for (size_t i = 0; i < n; i++) {
		int c = tolower((unsigned char)s[i]);
		int v = isdigit(c) ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (v < 0)
			return -1;
		out[i / 2] |= (uint8_t)(v << (i % 2 ? 0 : 4));
	}
	return (int)(n / 2);
}

struct verify_opts {
	const char *file, *root;
	bool json, want_rd, want_mrtd;
	uint8_t report_data[64], mrtd[48];
};

static int parse_verify(int argc, char **argv, struct verify_opts *o)
{
	static const struct option opts[] = {
		{ "report-data", required_argument, NULL, 'r' },
		{ "mrtd", required_argument, NULL, 'm' },
		{ "root", required_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->want_rd = parse_hex(optarg, o->report_data, 64) > 0;
			if (!o->want_rd) {
				fprintf(stderr, "softtdx quote: bad --report-data '%s' "
					"(want up to 128 hex digits)\n", optarg);
				return 2;
			}
			break;
		case 'm':
			o->want_mrtd = parse_hex(optarg, o->mrtd, 48) == 48;
			if (!o->want_mrtd) {
				fprintf(stderr, "softtdx quote: bad --mrtd '%s' (want 96 hex "
					"digits)\n", optarg);
				return 2;
			}
			break;
		case 'R': o->root = optarg; break;
		case 'j': o->json = true; break;
		case 'h': usage_quote(stdout); return 0;
		default: usage_quote(stderr); return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "softtdx quote verify: %s\n", optind == argc ?
			"FILE is required" : "unexpected argument");
		return 2;
	}
	o->file = argv[optind];
	return -1;
}

static void hex(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static const struct field {
	const char *name, *json;
	unsigned int off, len;
} fields[] = {
	{ "MRTD", "mrtd", TDX_QB_MRTD, 48 },
	{ "RTMR0", "rtmr0", TDX_QB_RTMR0, 48 },
	{ "RTMR1", "rtmr1", TDX_QB_RTMR0 + 48, 48 },
	{ "RTMR2", "rtmr2", TDX_QB_RTMR0 + 96, 48 },
	{ "RTMR3", "rtmr3", TDX_QB_RTMR0 + 144, 48 },
	{ "REPORTDATA", "report_data", TDX_QB_REPORTDATA, 64 },
	{ "ATTRIBUTES", "attributes", TDX_QB_TD_ATTRIBUTES, 8 },
	{ "XFAM", "xfam", TDX_QB_XFAM, 8 },
	{ "MRCONFIGID", "mrconfigid", TDX_QB_MRCONFIGID, 48 },
	{ "MROWNER", "mrowner", TDX_QB_MROWNER, 48 },
	{ "MROWNERCONFIG", "mrownerconfig", TDX_QB_MROWNERCONFIG, 48 },
	{ "TEE_TCB_SVN", "tee_tcb_svn", TDX_QB_TEE_TCB_SVN, 16 },
	{ "MRSEAM", "mrseam", TDX_QB_MRSEAM, 48 },
};

/* One field per line, or one JSON object; 8-byte fields as 64-bit numbers. */
static void print_fields(const struct tdx_quote_view *v, size_t len, bool json)
{
	size_t n = sizeof(fields) / sizeof(fields[0]);

	if (json)
		printf("{\"verified\": true, \"version\": %u, \"size\": %zu", v->version, len);
	else
		printf("quote: verified, TD Quote v%u, %zu bytes\n", v->version, len);
	for (size_t i = 0; i < n; i++) {
		const struct field *f = &fields[i];

		printf(json ? ", \"%s\": \"" : "%-14s", json ? f->json : f->name);
		if (!json)
			printf(" ");
		if (f->len == 8)
			printf("0x%016llx", (unsigned long long)le64(v->body + f->off));
		else
			hex(v->body + f->off, f->len);
		printf(json ? "\"" : "\n");
	}
	if (json)
		printf("}\n");
}

/* The root certificate PEM: --root, or the data directory's. */
static char *read_root(const char *path, size_t *len, char *err, size_t errlen)
{
	char def[PLATFORM_PATH_MAX];

	if (!path && attest_path(NULL, ATTEST_ROOT_FILE, def, sizeof(def))) {
		attest_fail(err, errlen, "no data directory for the root certificate: give --root");
		return NULL;
	}
	return (char *)read_all(path ? path : def, len, err, errlen);
}

static int check_expected(const struct verify_opts *o, const struct tdx_quote_view *v)
{
	if (o->want_rd && memcmp(v->body + TDX_QB_REPORTDATA, o->report_data, 64)) {
		fprintf(stderr, "softtdx quote: %s: REPORTDATA does not match --report-data\n",
			o->file);
		return 1;
	}
	if (o->want_mrtd && memcmp(v->body + TDX_QB_MRTD, o->mrtd, 48)) {
		fprintf(stderr, "softtdx quote: %s: MRTD does not match --mrtd\n", o->file);
		return 1;
	}
	return 0;
}

static int cmd_verify(int argc, char **argv)
{
	struct verify_opts o = { 0 };
	struct tdx_quote_view v;
	int ret = parse_verify(argc, argv, &o);
	uint8_t *quote = NULL;
	size_t qlen = 0, rlen = 0;
	char *root = NULL, err[256];

	if (ret >= 0)
		return ret;
	ret = 1;
	quote = read_all(o.file, &qlen, err, sizeof(err));
	root = quote ? read_root(o.root, &rlen, err, sizeof(err)) : NULL;
	if (!root)
		fprintf(stderr, "softtdx quote: %s\n", err);
	else if (tdx_quote_verify(quote, qlen, root, rlen, &v, err, sizeof(err)))
		fprintf(stderr, "softtdx quote: %s: %s\n", o.file, err);
	else if (!(ret = check_expected(&o, &v)))
		print_fields(&v, qlen, o.json);
	free(root);
	free(quote);
	return ret;
}

int cmd_quote(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "verify"))
		return cmd_verify(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage_quote(stdout);
		return 0;
	}
	if (argc >= 2)
		fprintf(stderr, "softtdx quote: unknown command '%s'\n", argv[1]);
	usage_quote(stderr);
	return 2;
}
