// SPDX-License-Identifier: MIT
/*
 * softtdx: the command line.  `softtdx measure -bios FILE` (or --payload
 * FILE) computes the MRTD a TD booted from a TDVF image will have, with no
 * TD created; `softtdx run` builds and runs a TD (run.c).
 */
#include "tdvf.h"
#include "vmm.h"
#include "../attest/attest_cmd.h"

#include <ctype.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IMAGE_SIZE	(64u << 20)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: softtdx run ... (softtdx run --help)\n"
		"       softtdx qgs --socket PATH | --vsock PORT (softtdx qgs --help)\n"
		"       softtdx quote verify FILE ... (softtdx quote --help)\n"
		"       softtdx measure (-bios FILE | --payload ELF | both) [-m SIZE] [--two-pass]\n"
		"                       [--json]\n"
		"       softtdx measure -kernel BZIMAGE [-initrd FILE] [-append CMDLINE] [-m SIZE]\n"
		"                       [-smp N] [--json]\n"
		"  Computes the MRTD of a TD booted from the TDVF image FILE (softtdx's\n"
		"  own TDVF when only --payload or -kernel is given) with the payload ELF,\n"
		"  or with the Linux kernel, initrd and command line as softtdx run -kernel\n"
		"  adds them (its boot region depends on -m and -smp: give run's values).\n"
		"  -m SIZE     guest RAM (QEMU syntax: 2G, 512M; plain numbers are MiB):\n"
		"              also print the TD's memory map and its TD HOB\n"
		"  --two-pass  all PAGE.ADDs of a section before its MR.EXTENDs (older\n"
		"              stacks); the default is upstream KVM's page-by-page order\n"
		"  --json      one JSON object instead of text\n");
}

uint8_t *vmm_read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size = 0;

	if (!f) {
		fprintf(stderr, "softtdx: cannot open %s: %m\n", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "softtdx: cannot read %s: %m\n", path);
	} else if (size == 0 || (unsigned long)size > max) {
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

uint8_t *vmm_read_firmware(const char *fw_path, size_t fw_max, const char *payload_path,
			   size_t *fw_len, size_t *len)
{
	uint8_t *fw = fw_path ? vmm_read_file(fw_path, fw_max, fw_len) : NULL;
	uint8_t *payload = NULL, *image;
	size_t payload_len = 0;

	if (fw_path && !fw)
		return NULL;
	if (payload_path && !(payload = vmm_read_file(payload_path, MAX_PAYLOAD_SIZE,
						      &payload_len))) {
		free(fw);
		return NULL;
	}
	if (!fw_path)
		*fw_len = (size_t)softtdx_tdvf_size;
	*len = *fw_len + payload_len;
	image = malloc(*len);
	if (image) {
		memcpy(image, fw ? fw : softtdx_tdvf, *fw_len);
		if (payload_len)
			memcpy(image + *fw_len, payload, payload_len);
	} else {
		fprintf(stderr, "softtdx: out of memory\n");
	}
	free(fw);
	free(payload);
	return image;
}

static const char *section_type_name(uint32_t type)
{
	static const char *const names[] = { "BFV", "CFV", "TD_HOB", "TempMem", "?", "Payload" };

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

void vmm_print_hex(FILE *f, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
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
	vmm_print_hex(stdout, mrtd, 48);
	printf("\n");
}

/* The rest of the JSON object the caller opened. */
static void print_json(const struct tdvf_meta *m, const uint8_t mrtd[48], bool two_pass)
{
	printf("\"mrtd\": \"");
	vmm_print_hex(stdout, mrtd, 48);
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

/* QEMU's -m: a number with an optional K/M/G/T suffix, MiB without one. */
int vmm_parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	unsigned long long n = strtoull(s, &end, 10);
	unsigned shift = 20;

	if (end == s || !isdigit((unsigned char)*s))
		return -1;
	switch (toupper((unsigned char)*end)) {
	case 0:   break;
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default:  return -1;
	}
	if (*end || !n || n > (~0ULL >> shift))
		return -1;
	*bytes = n << shift;
	return 0;
}

static const struct tdvf_section *hob_section(const struct tdvf_meta *m)
{
	for (uint32_t i = 0; i < m->nr_sections; i++)
		if (m->sections[i].type == TDVF_SECTION_TD_HOB)
			return &m->sections[i];
	return NULL;
}

/* The RAM map and the TD HOB a TD with @ram bytes starts with. */
static int print_memory(const struct tdvf_meta *meta, uint64_t ram, bool json)
{
	const struct tdvf_section *hs = hob_section(meta);
	struct td_ram_map map;
	uint8_t *hob, digest[48];
	char err[160];
	size_t used;

	if (!hs) {
		fprintf(stderr, "softtdx: the image has no TD_HOB section\n");
		return 1;
	}
	if (td_ram_map_build(ram, meta, &map, err, sizeof(err))) {
		fprintf(stderr, "softtdx: %s\n", err);
		return 1;
	}
	hob = malloc(hs->size);
	used = hob ? td_hob_build(&map, hs->address, hob, hs->size, err, sizeof(err)) : 0;
	if (!used || !EVP_Digest(hob, used, digest, NULL, EVP_sha384(), NULL)) {
		fprintf(stderr, "softtdx: %s\n", hob ? err : "out of memory");
		free(hob);
		return 1;
	}
	free(hob);
	printf(json ? "\"ram\": [" : "RAM:\n");
	for (uint32_t i = 0; i < map.nr; i++)
		printf(json ? "%s{\"address\": %llu, \"length\": %llu, \"accepted\": %s}" :
			      "%s  0x%012llx 0x%012llx %s\n",
		       json ? (i ? ", " : "") : "", (unsigned long long)map.e[i].address,
		       (unsigned long long)map.e[i].length,
		       map.e[i].type == TD_RAM_ADDED ? (json ? "true" : "added") :
						       (json ? "false" : "unaccepted"));
	printf(json ? "], \"td_hob\": {\"bytes\": %zu, \"sha384\": \"" :
		      "TD HOB: %zu bytes, SHA-384 ", used);
	vmm_print_hex(stdout, digest, 48);
	printf(json ? "\"}, " : "\n");
	return 0;
}

static int cmd_measure(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bios", required_argument, NULL, 'b' },
		{ "payload", required_argument, NULL, 'p' },
		{ "m", required_argument, NULL, 'm' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'r' },
		{ "append", required_argument, NULL, 'A' },
		{ "smp", required_argument, NULL, 's' },
		{ "two-pass", no_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *bios = NULL, *payload = NULL;
	struct vmm_linux_args linux_args = { .cpus = 1 };
	struct td_ram_map map;
	bool json = false, two_pass = false;
	uint64_t ram = 0;
	struct tdvf_meta *meta;
	uint8_t *image, mrtd[48];
	char err[160];
	size_t fw_len, len;
	int c, ret = 1;

	while ((c = getopt_long_only(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b': bios = optarg; break;
		case 'p': payload = optarg; break;
		case 'k': linux_args.kernel = optarg; break;
		case 'r': linux_args.initrd = optarg; break;
		case 'A': linux_args.append = optarg; break;
		case 's':
			linux_args.cpus = (unsigned int)strtoul(optarg, NULL, 10);
			if (!linux_args.cpus || linux_args.cpus > VMM_MAX_VCPUS) {
				fprintf(stderr, "softtdx measure: -smp takes 1 to %d\n", VMM_MAX_VCPUS);
				return 2;
			}
			break;
		case 'm':
			if (vmm_parse_size(optarg, &ram)) {
				fprintf(stderr, "softtdx measure: bad memory size '%s'\n", optarg);
				return 2;
			}
			break;
		case 't': two_pass = true; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if ((!bios && !payload && !linux_args.kernel) || optind != argc ||
	    (payload && linux_args.kernel) ||
	    ((linux_args.initrd || linux_args.append) && !linux_args.kernel)) {
		fprintf(stderr, "softtdx measure: %s\n", optind != argc ? "unexpected argument" :
			payload && linux_args.kernel ? "--payload or -kernel, not both" :
			!bios && !payload && !linux_args.kernel ?
			"-bios FILE, --payload FILE or -kernel FILE is required" :
			"-initrd and -append only go with -kernel");
		return 2;
	}
	/* The boot region describes the TD's memory: run's default unless told. */
	linux_args.ram = ram ? ram : 256ULL << 20;
	image = vmm_read_firmware(bios, MAX_IMAGE_SIZE, payload, &fw_len, &len);
	meta = malloc(sizeof(*meta));
	if (!image || !meta)
		goto out;
	if (tdvf_parse(image, fw_len, meta, err, sizeof(err))) {
		fprintf(stderr, "softtdx: %s: %s\n", bios ? bios : "softtdx's TDVF", err);
	} else if (payload &&
		   tdvf_add_payload(image, fw_len, len - fw_len, ram, meta, err, sizeof(err))) {
		fprintf(stderr, "softtdx: %s: %s\n", payload, err);
	} else if (linux_args.kernel &&
		   vmm_load_linux(&linux_args, &image, fw_len, &len, meta, &map)) {
		/* the message is out */
	} else if (tdvf_mrtd(image, meta, two_pass ? TDVF_MEASURE_TWO_PASS :
				 TDVF_MEASURE_PER_PAGE, mrtd)) {
		fprintf(stderr, "softtdx: SHA-384 failed\n");
	} else {
		if (json)
			printf("{");
		ret = ram || linux_args.kernel ? print_memory(meta, linux_args.ram, json) : 0;
		if (!ret && json)
			print_json(meta, mrtd, two_pass);
		else if (!ret)
			print_text(meta, mrtd);
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
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "qgs"))
		return cmd_qgs(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "quote"))
		return cmd_quote(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2)
		fprintf(stderr, "softtdx: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
