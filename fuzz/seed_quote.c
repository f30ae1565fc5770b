// SPDX-License-Identifier: MIT
/*
 * make fuzz's seed for fuzz_quote: a genuine quote under the data
 * directory's keys (made there if missing), written to argv[1].
 */
#include <stdio.h>
#include <stdlib.h>

#include "../tests/attest_util.h"
#include "../attest/attest.h"

int main(int argc, char **argv)
{
	struct platform *p = attest_test_platform();
	struct attest_keys *k;
	struct tdx_report r;
	uint8_t *q = NULL;
	size_t len = 0;
	char err[256];
	FILE *f;

	if (argc != 2 || !p) {
		fprintf(stderr, "usage: seed_quote FILE\n");
		return 2;
	}
	k = attest_keys_load(NULL, err, sizeof(err));
	attest_test_report(p, &r, 1, "fuzz seed");
	if (!k || tdx_quote_build(k, &r, &q, &len, err, sizeof(err))) {
		fprintf(stderr, "seed_quote: %s\n", err);
		return 1;
	}
	f = fopen(argv[1], "wb");
	if (!f || fwrite(q, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "seed_quote: cannot write %s\n", argv[1]);
		return 1;
	}
	free(q);
	attest_keys_free(k);
	platform_destroy(p);
	return 0;
}
