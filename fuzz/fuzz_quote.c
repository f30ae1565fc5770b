// SPDX-License-Identifier: MIT
/*
 * libFuzzer: a TD Quote through softtdx quote verify: parsing and the whole
 * verification against the data directory's root.  That nothing but a
 * genuine quote verifies is test_attest's (every bit flipped); this looks
 * for crashes and reads past the buffer on the way.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../attest/attest.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static char *root;
static size_t root_len;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[4096];
	const char *dir = getenv("SOFTTDX_DATA_DIR");
	FILE *f;

	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : ".", ATTEST_ROOT_FILE);
	f = fopen(path, "r");
	root = malloc(65536);
	if (!f || !root) {
		fprintf(stderr, "fuzz_quote: no root certificate at %s (run the fuzzer through "
			"make fuzz)\n", path);
		exit(1);
	}
	root_len = fread(root, 1, 65536, f);
	fclose(f);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct tdx_quote_view v;
	char err[256];

	tdx_quote_verify(data, len, root, root_len, &v, err, sizeof(err));
	return 0;
}
