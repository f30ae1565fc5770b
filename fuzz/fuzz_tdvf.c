// SPDX-License-Identifier: MIT
/*
 * libFuzzer: a firmware image through what softtdx run and softtdx measure
 * do with it: the TDX metadata (tdvf_parse), the RAM map and TD HOB built
 * from its sections, and MRTD over them.  Any input may be refused; none
 * may crash, hang or read outside the buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../vmm/tdvf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct tdvf_meta *meta = malloc(sizeof(*meta));
	struct td_ram_map map;
	uint8_t hob[4096], mrtd[48];
	char err[256];

	if (meta && !tdvf_parse(data, len, meta, err, sizeof(err)) &&
	    !td_ram_map_build(256ULL << 20, meta, &map, err, sizeof(err))) {
		td_hob_build(&map, 0x809000, hob, sizeof(hob), err, sizeof(err));
		tdvf_mrtd(data, meta, TDVF_MEASURE_PER_PAGE, mrtd);
	}
	free(meta);
	return 0;
}
