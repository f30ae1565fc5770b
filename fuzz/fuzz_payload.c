// SPDX-License-Identifier: MIT
/*
 * libFuzzer: a --payload ELF file behind softtdx's own TDVF, checked as the
 * firmware will load it (tdvf_add_payload), then measured with the rest.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../vmm/tdvf.h"

extern const uint8_t softtdx_tdvf[];
extern const uint64_t softtdx_tdvf_size;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t *img = malloc(softtdx_tdvf_size + len), mrtd[48];
	struct tdvf_meta *meta = malloc(sizeof(*meta));
	char err[256];

	if (img && meta) {
		memcpy(img, softtdx_tdvf, softtdx_tdvf_size);
		memcpy(img + softtdx_tdvf_size, data, len);
		if (!tdvf_parse(img, softtdx_tdvf_size, meta, err, sizeof(err)) &&
		    !tdvf_add_payload(img, softtdx_tdvf_size, len, 1ULL << 30, meta, err,
				      sizeof(err)))
			tdvf_mrtd(img, meta, TDVF_MEASURE_PER_PAGE, mrtd);
	}
	free(img);
	free(meta);
	return 0;
}
