// SPDX-License-Identifier: MIT
/*
 * libFuzzer: one QGS message as the daemon and the client read it: every
 * parser of attest/qgs.h, then the daemon's whole answer (qgs_server_handle:
 * a TDREPORT that passes the parsers goes on to the MAC check and quoting),
 * whose reply must parse as the client parses replies.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../attest/attest.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static struct qgs_server *server;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct qgs_server_config cfg = { .vsock_port = -1, .quiet = true };
	char err[256];

	(void)argc;
	(void)argv;
	server = qgs_server_open(&cfg, err, sizeof(err));
	if (!server) {
		fprintf(stderr, "fuzz_qgs: %s\n", err);
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static uint8_t reply[QGS_MAX_MSG];
	const uint8_t *report, *quote;
	uint32_t report_len, quote_len, error;
	struct qgs_header h;
	size_t n;

	qgs_parse_header(data, len, &h);
	qgs_parse_get_quote_req(data, len, &report, &report_len);
	qgs_parse_get_quote_resp(data, len, &error, &quote, &quote_len);
	qgs_parse_get_platform_info_req(data, len);
	n = qgs_server_handle(server, data, len, reply, sizeof(reply));
	if (len >= QGS_HEADER_SIZE && (!n || qgs_parse_header(reply, n, &h) || h.size != n))
		abort();	/* a request of at least a header always gets a whole reply */
	return 0;
}
