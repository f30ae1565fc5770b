// SPDX-License-Identifier: MIT
/* libFuzzer: a -kernel file through the bzImage parser (linux/boot protocol header). */
#include <stdint.h>
#include <stdlib.h>

#include "../vmm/linux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct bzimage bz;
	char err[256];

	bzimage_parse(data, len, &bz, err, sizeof(err));
	return 0;
}
