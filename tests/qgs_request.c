// SPDX-License-Identifier: MIT
/*
 * qgs-request ADDR OUT [REPORTDATA]: asks the QGS at ADDR for the quote of
 * a genuine TDREPORT (MAC'ed under this machine's key, as the data
 * directory in $SOFTTDX_DATA_DIR has it) and writes it to OUT.  The CLI
 * tests use it until the launcher's GetQuote can drive the same path.
 */
#include "attest_util.h"

#include "../attest/qgs.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	struct platform *p;
	struct tdx_report r;
	uint8_t *quote;
	size_t len;
	char err[256];
	FILE *f;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: qgs-request ADDR OUT [REPORTDATA]\n");
		return 2;
	}
	p = attest_test_platform();
	if (!p)
		return 1;
	attest_test_report(p, &r, 0x42, argc == 4 ? argv[3] : "qgs-request");
	platform_destroy(p);
	if (qgs_get_quote(argv[1], &r, sizeof(r), &quote, &len, err, sizeof(err))) {
		fprintf(stderr, "qgs-request: %s\n", err);
		return 1;
	}
	f = fopen(argv[2], "wb");
	if (!f || fwrite(quote, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "qgs-request: cannot write %s\n", argv[2]);
		return 1;
	}
	free(quote);
	return 0;
}
