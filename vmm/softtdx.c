// SPDX-License-Identifier: MIT
/*
 * softtdx: the command line.  `softtdx measure -bios FILE` computes the
 * MRTD a TD booted from a TDVF image will have, with no TD created.
 */
#include "tdvf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IMAGE_SIZE	(64u << 20)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: softtdx measure -bios FILE [--two-pass] [--json]\n"
		"  Computes the MRTD of a TD booted from the TDVF image FILE.\n"
		"  --two-pass  all PAGE.ADDs of a section before its MR.EXTENDs (older\n"
		"              stacks); the default is upstream KVM's page-by-page order\n"
		"  --json      one JSON object instead of text\n");
}

/* The whole file, or NULL with a message. */
static uint8_t *read_image(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;

	if (!f) {
		fprintf(stderr, "softtdx: cannot open %s: %m\n", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "softtdx: cannot read %s: %m\n", path);
	} else if (size == 0 || (unsigned long)size > MAX_IMAGE_SIZE) {
		fprintf(stderr, "softtdx: %s: %ld bytes is not a firmware image size\n", path, size);
	} else if (!(buf = malloc((size_t)size))) {
		fprintf(stderr, "softtdx: out of memory for %s\n", path);
	} else if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "softtdx: cannot read %s\n", path);
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)size;
	return buf;
}

static const char *section_type_name(uint32_t type)
{
	static const char *const names[] = { "BFV", "CFV", "TD_HOB", "TempMem" };

	return type < 4 ? names[type] : "?";
}

static void print_hex(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
}

static void print_text(const struct tdvf_meta *m, const uint8_t mrtd[48])
{
	printf("%-3s %-8s %-18s %-12s %-10s %s\n", "#", "type", "address", "size", "raw",
	       "attributes");
	for (uint32_t i = 0; i < m->nr_sections; i++) {
		const struct tdvf_section *s = &m->sections[i];

		printf("%-3u %-8s %#-18llx %#-12llx %#-10x %s%s\n", i, section_type_name(s->type),
		       (unsigned long long)s->address, (unsigned long long)s->size, s->raw_size,
		       s->attributes & TDVF_ATTR_MR_EXTEND ? "MR.EXTEND " : "",
		       s->attributes & TDVF_ATTR_PAGE_AUG ? "PAGE.AUG" : "");
	}
	printf("MRTD: ");
	print_hex(mrtd, 48);
	printf("\n");
}

static void print_json(const struct tdvf_meta *m, const uint8_t mrtd[48], bool two_pass)
{
	printf("{\"mrtd\": \"");
	print_hex(mrtd, 48);
	printf("\", \"order\": \"%s\", \"sections\": [", two_pass ? "two-pass" : "per-page");
	for (uint32_t i = 0; i < m->nr_sections; i++) {
		const struct tdvf_section *s = &m->sections[i];

		printf("%s{\"type\": \"%s\", \"address\": %llu, \"size\": %llu, \"raw_size\": %u, "
		       "\"attributes\": %u}", i ? ", " : "", section_type_name(s->type),
		       (unsigned long long)s->address, (unsigned long long)s->size, s->raw_size,
		       s->attributes);
	}
	printf("]}\n");
}

static int cmd_measure(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bios", required_argument, NULL, 'b' },
		{ "two-pass", no_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *bios = NULL;
	bool json = false, two_pass = false;
	struct tdvf_meta *meta;
	uint8_t *image, mrtd[48];
	char err[160];
	size_t len;
	int c, ret = 1;

	while ((c = getopt_long_only(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b': bios = optarg; break;
		case 't': two_pass = true; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!bios || optind != argc) {
		fprintf(stderr, "softtdx measure: %s\n", bios ? "unexpected argument" :
								 "-bios FILE is required");
		return 2;
	}
	image = read_image(bios, &len);
	meta = malloc(sizeof(*meta));
	if (!image || !meta)
		goto out;
	if (tdvf_parse(image, len, meta, err, sizeof(err))) {
		fprintf(stderr, "softtdx: %s: %s\n", bios, err);
	} else if (tdvf_mrtd(image, meta, two_pass ? TDVF_MEASURE_TWO_PASS :
				 TDVF_MEASURE_PER_PAGE, mrtd)) {
		fprintf(stderr, "softtdx: SHA-384 failed\n");
	} else {
		if (json)
			print_json(meta, mrtd, two_pass);
		else
			print_text(meta, mrtd);
		ret = 0;
	}
out:
	free(meta);
	free(image);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "measure"))
		return cmd_measure(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2)
		fprintf(stderr, "softtdx: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
