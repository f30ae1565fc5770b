// SPDX-License-Identifier: MIT
/*
 * `softtdx run`'s command line: QEMU's options for what a TD needs, and
 * QEMU's refusals for what a TD cannot have (SMM, a PIC, an in-kernel or
 * userspace-only irqchip, a DEBUG TD), each a one-line message and exit
 * status 2.  Pure parsing: nothing here opens KVM.
 */
#include "vmm.h"

#include <errno.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define TD_ATTR_DEBUG		(1ULL << 0)
#define TD_ATTR_SEPT_VE_DISABLE	(1ULL << 28)
#define MIN_RAM			(16ULL << 20)
/* RAM runs from 4 GiB past 2 GiB of it; a GPAW-48 TD's private GPAs end at 2^47. */
#define MAX_RAM			((1ULL << 47) - (2ULL << 30))

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "softtdx run: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return 2;
}

void vmm_run_usage(FILE *f)
{
	fprintf(f,
		"usage: softtdx run (-bios FILE | --payload ELF | --image FILE |\n"
		"                    -kernel BZIMAGE [-initrd FILE] [-append CMDLINE]) [-m SIZE] [-smp N]\n"
		"                   [-serial stdio|none|file:PATH] [-debugcon stdio|none|file:PATH]\n"
		"                   [-device isa-debug-exit[,iobase=PORT]]\n"
		"                   [-object tdx-guest,id=ID[,attributes=N][,sept-ve-disable=on|off]\n"
		"                    [,mrconfigid=B64][,mrowner=B64][,mrownerconfig=B64]\n"
		"                    [,quote-generation-socket.type=unix,quote-generation-socket.path=P]\n"
		"                    [,quote-generation-socket.type=vsock,...cid=N,...port=N]]\n"
		"                   [-machine q35[,confidential-guest-support=ID][,kernel-irqchip=split]\n"
		"                    [,smm=off][,pic=off]]\n"
		"                   [--quote-socket ADDR] [--quote-out FILE]\n"
		"                   [--trace[=exit,vmcall,seamcall,tdcall]] [-d|--json] [--quiet]\n"
		"                   [--accel softtdx|kvm]\n"
		"  -bios FILE      a TDVF firmware image (OVMF with TDX metadata)\n"
		"  --payload ELF   an x86-64 ELF started by softtdx's own TDVF\n"
		"  --image FILE    a flat image that ends at 4 GiB (softtdx's guest kit)\n"
		"  -kernel FILE    a Linux bzImage started by softtdx's own TDVF (docs/linux-td.md)\n"
		"  -initrd FILE    its initramfs; -append: its command line\n"
		"  -m SIZE         guest RAM (default 256M; QEMU syntax)\n"
		"  -smp N          vCPUs, 1 to %d (default 1)\n"
		"  --quote-socket  the QGS for TDVMCALL<GetQuote>: a unix socket path, unix:PATH\n"
		"                  or vsock:CID:PORT (what quote-generation-socket says)\n"
		"  --quote-out     save each quote the TD gets there (for softtdx quote verify)\n"
		"  --trace         one line per event on stderr: KVM exits, TDVMCALLs, SEAMCALLs,\n"
		"                  TDCALLs (all when no list is given)\n"
		"  -d, --json      a JSON summary on stdout at the end\n"
		"  --accel         softtdx (the default) or kvm: the kernel's /dev/kvm on a TDX host\n"
		"  --quiet         no MRTD line and no build progress before the TD runs\n"
		"  isa-debug-exit: a write of V ends softtdx with status (V << 1) | 1\n",
		VMM_MAX_VCPUS);
}

static int parse_device(const char *spec, struct run_options *o)
{
	char *end;

	if (!strcmp(spec, "isa-debug-exit")) {
		o->exit_port = 0xF4;
		return 0;
	}
	if (strncmp(spec, "isa-debug-exit,iobase=", 22))
		return bad("unsupported device '%s'", spec);
	o->exit_port = (int)strtoul(spec + 22, &end, 0);
	if (*end || o->exit_port > 0xFFFF)
		return bad("unsupported device '%s'", spec);
	return 0;
}

/* A base64 SHA-384 (QEMU's mrconfigid/mrowner/mrownerconfig): 48 bytes. */
static int parse_sha384(const char *name, const char *b64, uint8_t out[48])
{
	size_t len = strlen(b64);
	uint8_t buf[66];
	int n;

	if (len != 64 || (n = EVP_DecodeBlock(buf, (const uint8_t *)b64, (int)len)) != 48) {
		fprintf(stderr, "softtdx run: tdx-guest '%s' is not the base64 of a 48-byte SHA-384 "
				"digest\n", name);
		return 2;
	}
	memcpy(out, buf, 48);
	return 0;
}

/* quote-generation-socket.{type,path,cid,port}: an address qgs_get_quote() takes. */
static int parse_qgs_key(const char *key, const char *val, struct run_options *o)
{
	if (!strcmp(key, "type")) {
		if (strcmp(val, "unix") && strcmp(val, "vsock"))
			return bad("quote-generation-socket.type '%s' (unix or vsock)", val);
		snprintf(o->qgs_type, sizeof(o->qgs_type), "%s", val);
	} else if (!strcmp(key, "path")) {
		snprintf(o->qgs_path, sizeof(o->qgs_path), "%s", val);
	} else if (!strcmp(key, "cid")) {
		snprintf(o->qgs_cid, sizeof(o->qgs_cid), "%s", val);
	} else if (!strcmp(key, "port")) {
		snprintf(o->qgs_port, sizeof(o->qgs_port), "%s", val);
	} else {
		return bad("unsupported quote-generation-socket property '%s'", key);
	}
	return 0;
}

static int parse_object_key(char *tok, struct run_options *o)
{
	char *val = strchr(tok, '='), *end;

	if (!val)
		return bad("tdx-guest property '%s' has no value", tok);
	*val++ = 0;
	if (!strcmp(tok, "id")) {
		snprintf(o->object_id, sizeof(o->object_id), "%s", val);
	} else if (!strcmp(tok, "sept-ve-disable")) {
		if (strcmp(val, "on") && strcmp(val, "off"))
			return bad("sept-ve-disable='%s' (on or off)", val);
		/* In order with attributes=, as QEMU's property setters. */
		o->attributes = !strcmp(val, "on") ? o->attributes | TD_ATTR_SEPT_VE_DISABLE :
						     o->attributes & ~TD_ATTR_SEPT_VE_DISABLE;
	} else if (!strcmp(tok, "attributes")) {
		errno = 0;
		o->attributes = strtoull(val, &end, 0);
		if (errno || *end || !*val)
			return bad("tdx-guest attributes='%s' is not a number", val);
	} else if (!strcmp(tok, "mrconfigid")) {
		return parse_sha384(tok, val, o->mrconfigid);
	} else if (!strcmp(tok, "mrowner")) {
		return parse_sha384(tok, val, o->mrowner);
	} else if (!strcmp(tok, "mrownerconfig")) {
		return parse_sha384(tok, val, o->mrownerconfig);
	} else if (!strncmp(tok, "quote-generation-socket.", 24)) {
		return parse_qgs_key(tok + 24, val, o);
	} else {
		return bad("unsupported tdx-guest property '%s'", tok);
	}
	return 0;
}

/* -object tdx-guest,id=...,KEY=VALUE... */
static int parse_object(const char *spec, struct run_options *o)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	int ret = 0;

	if (!copy)
		return 1;
	tok = strtok_r(copy, ",", &save);
	if (!tok || strcmp(tok, "tdx-guest"))
		ret = bad("unsupported -object '%s' (only tdx-guest)", spec);
	while (!ret && (tok = strtok_r(NULL, ",", &save)))
		ret = parse_object_key(tok, o);
	free(copy);
	return ret;
}

static int parse_machine_key(const char *key, const char *val, struct run_options *o)
{
	if (!strcmp(key, "confidential-guest-support")) {
		snprintf(o->machine_cgs, sizeof(o->machine_cgs), "%s", val);
	} else if (!strcmp(key, "kernel-irqchip")) {
		if (strcmp(val, "split"))
			return bad("kernel-irqchip=%s: a TDX VM requires kernel-irqchip=split", val);
	} else if (!strcmp(key, "smm")) {
		if (strcmp(val, "off") && strcmp(val, "auto"))
			return bad("smm=%s: a TDX VM doesn't support SMM", val);
	} else if (!strcmp(key, "pic")) {
		if (strcmp(val, "off") && strcmp(val, "auto"))
			return bad("pic=%s: a TDX VM doesn't support PIC", val);
	} else if (!strncmp(key, "pflash", 6)) {
		return bad("%s: a TD boots from -bios; pflash is not supported", key);
	} else {
		return bad("unsupported -machine property '%s'", key);
	}
	return 0;
}

/* -machine q35[,KEY=VALUE...] */
static int parse_machine(const char *spec, struct run_options *o)
{
	char *copy = strdup(spec), *save = NULL, *tok, *val;
	int ret = 0;

	if (!copy)
		return 1;
	tok = strtok_r(copy, ",", &save);
	if (tok && strchr(tok, '=')) {
		val = strchr(tok, '=');
		*val++ = 0;
		ret = strcmp(tok, "type") ? parse_machine_key(tok, val, o) :
		      strcmp(val, "q35") ? bad("machine type '%s': TDX needs q35", val) : 0;
	} else if (tok && strcmp(tok, "q35")) {
		ret = bad("machine type '%s': TDX needs q35", tok);
	}
	while (!ret && (tok = strtok_r(NULL, ",", &save))) {
		val = strchr(tok, '=');
		if (!val) {
			ret = bad("-machine property '%s' has no value", tok);
			break;
		}
		*val++ = 0;
		ret = parse_machine_key(tok, val, o);
	}
	free(copy);
	return ret;
}

/* --trace[=exit,vmcall,seamcall,tdcall] */
static int parse_trace(const char *list, struct run_options *o)
{
	static const struct { const char *name; unsigned int bit; } events[] = {
		{ "exit", VMM_TRACE_EXIT }, { "vmcall", VMM_TRACE_VMCALL },
		{ "seamcall", VMM_TRACE_SEAMCALL }, { "tdcall", VMM_TRACE_TDCALL },
	};

	if (!list) {
		o->trace = VMM_TRACE_ALL;
		return 0;
	}
	while (*list) {
		size_t len = strcspn(list, ","), i;

		for (i = 0; i < sizeof(events) / sizeof(events[0]); i++)
			if (strlen(events[i].name) == len && !strncmp(list, events[i].name, len))
				break;
		if (i == sizeof(events) / sizeof(events[0])) {
			fprintf(stderr, "softtdx run: --trace: unknown event '%.*s' (exit, vmcall, "
					"seamcall, tdcall)\n", (int)len, list);
			return 2;
		}
		o->trace |= events[i].bit;
		list += len + (list[len] == ',');
	}
	return 0;
}

static int parse_ram(const char *arg, struct run_options *o)
{
	if (vmm_parse_size(arg, &o->ram) || o->ram < MIN_RAM || o->ram % (2ULL << 20))
		return bad("bad memory size '%s' (16M or more, a multiple of 2M)", arg);
	if (o->ram > MAX_RAM)
		return bad("memory size '%s' is too large: a TD's private GPAs end at 128 TiB "
			   "(GPAW 48), so RAM stops at 131070G", arg);
	return 0;
}

static int parse_smp(const char *arg, struct run_options *o)
{
	char *end;

	o->smp = (unsigned int)strtoul(arg, &end, 10);
	if (*end || !o->smp || o->smp > VMM_MAX_VCPUS) {
		fprintf(stderr, "softtdx run: -smp takes 1 to %d\n", VMM_MAX_VCPUS);
		return 2;
	}
	return 0;
}

/* What the options say together: one firmware, QEMU's DEBUG refusal, one QGS. */
static int check_combination(struct run_options *o)
{
	if ((o->image && (o->bios || o->payload || o->kernel)) || (o->payload && o->kernel) ||
	    !(o->image || o->bios || o->payload || o->kernel))
		return bad("%s", "give -bios FILE, --payload FILE, -kernel FILE (with -bios, for "
			   "another softtdx TDVF) or --image FILE");
	if (o->initrd && !o->kernel)
		return bad("%s", "-initrd only allowed with -kernel option");
	if (o->append && !o->kernel)
		return bad("%s", "-append only allowed with -kernel option");
	if (o->attributes & TD_ATTR_DEBUG)
		return bad("%s", "tdx-guest attributes: softtdx doesn't support attributes.debug "
			   "[bit 0] for a TDX VM");
	if (o->machine_cgs[0] && strcmp(o->machine_cgs, o->object_id))
		return bad("confidential-guest-support=%s names no -object tdx-guest", o->machine_cgs);
	if (o->qgs_type[0]) {
		if (o->quote_socket)
			return bad("%s", "give quote-generation-socket or --quote-socket, not both");
		if (!strcmp(o->qgs_type, "unix") ? !o->qgs_path[0] : !o->qgs_cid[0] || !o->qgs_port[0])
			return bad("quote-generation-socket.type=%s lacks its path or cid and port",
				   o->qgs_type);
		if (!strcmp(o->qgs_type, "unix"))
			snprintf(o->qgs_addr, sizeof(o->qgs_addr), "unix:%s", o->qgs_path);
		else
			snprintf(o->qgs_addr, sizeof(o->qgs_addr), "vsock:%s:%s", o->qgs_cid, o->qgs_port);
		o->quote_socket = o->qgs_addr;
	}
	return -1;
}

static int parse_option(int c, struct run_options *o)
{
	switch (c) {
	case 'b': o->bios = optarg; return 0;
	case 'i': o->image = optarg; return 0;
	case 'p': o->payload = optarg; return 0;
	case 'k': o->kernel = optarg; return 0;
	case 'r': o->initrd = optarg; return 0;
	case 'A': o->append = optarg; return 0;
	case 'm': return parse_ram(optarg, o);
	case 's': return parse_smp(optarg, o);
	case 'S': o->serial = optarg; return 0;
	case 'd': o->debugcon = optarg; return 0;
	case 'D': return parse_device(optarg, o);
	case 'o': return parse_object(optarg, o);
	case 'M': return parse_machine(optarg, o);
	case 't': return parse_trace(optarg, o);
	case 'Q': o->quote_socket = optarg; return 0;
	case 'O': o->quote_out = optarg; return 0;
	case 'j': o->json = true; return 0;
	case 'q': o->quiet = true; return 0;
	case 'a':
		if (strcmp(optarg, "kvm") && strcmp(optarg, "softtdx"))
			return bad("%s", "--accel takes softtdx or kvm");
		o->kernel_kvm = !strcmp(optarg, "kvm");
		return 0;
	case 'h': vmm_run_usage(stdout); return 0;
	default: vmm_run_usage(stderr); return 2;
	}
}

int vmm_run_parse(int argc, char **argv, struct run_options *o)
{
	static const struct option opts[] = {
		{ "bios", required_argument, NULL, 'b' }, { "image", required_argument, NULL, 'i' },
		{ "payload", required_argument, NULL, 'p' }, { "m", required_argument, NULL, 'm' },
		{ "kernel", required_argument, NULL, 'k' }, { "initrd", required_argument, NULL, 'r' },
		{ "append", required_argument, NULL, 'A' },
		{ "smp", required_argument, NULL, 's' }, { "serial", required_argument, NULL, 'S' },
		{ "debugcon", required_argument, NULL, 'd' }, { "device", required_argument, NULL, 'D' },
		{ "object", required_argument, NULL, 'o' }, { "machine", required_argument, NULL, 'M' },
		{ "trace", optional_argument, NULL, 't' },
		{ "quote-socket", required_argument, NULL, 'Q' },
		{ "quote-out", required_argument, NULL, 'O' }, { "json", no_argument, NULL, 'j' },
		{ "d", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' }, { "accel", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	int c, ret;

	*o = (struct run_options){ .ram = 256ULL << 20, .smp = 1, .serial = "stdio",
				   .exit_port = -1, .attributes = TD_ATTR_SEPT_VE_DISABLE };
	while ((c = getopt_long_only(argc, argv, "", opts, NULL)) != -1) {
		ret = parse_option(c, o);
		if (ret || c == 'h')
			return ret;
	}
	if (optind != argc)
		return bad("unexpected argument '%s'", argv[optind]);
	return check_combination(o);
}
