// SPDX-License-Identifier: MIT
/*
 * Runs inside the Linux TD (the test initramfs): asks /dev/tdx_guest for a
 * TDREPORT with TDX_CMD_GET_REPORT0 and prints it as one hex line, for the
 * host to check its REPORTDATA and MRTD.  Debian 12's kernel headers
 * predate <linux/tdx-guest.h>, so its uapi is spelled out here.
 *   tdreport REPORTDATA_HEX   (64 bytes, 128 hex digits)
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct tdx_report_req {
	unsigned char reportdata[64];
	unsigned char tdreport[1024];
};

#define TDX_CMD_GET_REPORT0	_IOWR('T', 1, struct tdx_report_req)

int main(int argc, char **argv)
{
	struct tdx_report_req req = { 0 };
	int fd;

	if (argc != 2 || strlen(argv[1]) != 2 * sizeof(req.reportdata)) {
		fprintf(stderr, "usage: tdreport REPORTDATA_HEX (128 digits)\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(req.reportdata); i++)
		if (sscanf(argv[1] + 2 * i, "%2hhx", &req.reportdata[i]) != 1)
			return 2;
	fd = open("/dev/tdx_guest", O_RDWR);
	if (fd < 0 || ioctl(fd, TDX_CMD_GET_REPORT0, &req)) {
		perror("tdreport: /dev/tdx_guest");
		return 1;
	}
	printf("softtdx-init: tdreport ");
	for (size_t i = 0; i < sizeof(req.tdreport); i++)
		printf("%02x", req.tdreport[i]);
	printf("\n");
	close(fd);
	return 0;
}
