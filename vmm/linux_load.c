// SPDX-License-Identifier: MIT
/*
 * -kernel/-initrd/-append for `softtdx run` and `softtdx measure`: the
 * files read after the firmware, placed by linux_boot_place(), and the
 * boot region built for the RAM map the TD HOB will describe.
 */
#include "linux.h"
#include "vmm.h"

#include <stdlib.h>
#include <string.h>

#define MAX_KERNEL	(256u << 20)
#define MAX_INITRD	(2048u << 20)

static int append_file(uint8_t **image, size_t *len, const char *path, size_t max, size_t *n)
{
	uint8_t *data, *grown;

	*n = 0;
	if (!path)
		return 0;
	data = vmm_read_file(path, max, n);
	if (!data)
		return -1;
	grown = realloc(*image, *len + *n);
	if (!grown) {
		fprintf(stderr, "softtdx: out of memory for %s\n", path);
		free(data);
		return -1;
	}
	memcpy(grown + *len, data, *n);
	free(data);
	*image = grown;
	*len += *n;
	return 0;
}

int vmm_load_linux(const struct vmm_linux_args *a, uint8_t **image, size_t fw_len, size_t *len,
		   struct tdvf_meta *meta, struct td_ram_map *map)
{
	struct linux_boot lb = { .cmdline = a->append ? a->append : "", .cpus = a->cpus };
	size_t kernel_len, initrd_len;
	uint8_t *grown;
	char err[200];

	if (append_file(image, len, a->kernel, MAX_KERNEL, &kernel_len) ||
	    append_file(image, len, a->initrd, MAX_INITRD, &initrd_len))
		return -1;
	if (linux_boot_place(*image, fw_len, kernel_len, initrd_len, a->ram, meta, &lb, err,
			     sizeof(err))) {
		fprintf(stderr, "softtdx: %s: %s\n", a->kernel, err);
		return -1;
	}
	grown = realloc(*image, *len + lb.boot_size);
	if (!grown) {
		fprintf(stderr, "softtdx: out of memory\n");
		return -1;
	}
	*image = grown;
	if (td_ram_map_build(a->ram, meta, map, err, sizeof(err)) ||
	    linux_boot_build(&lb, grown + fw_len, map, grown + *len, err, sizeof(err))) {
		fprintf(stderr, "softtdx: %s: %s\n", a->kernel, err);
		return -1;
	}
	*len += lb.boot_size;
	return 0;
}
