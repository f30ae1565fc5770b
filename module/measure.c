// SPDX-License-Identifier: MIT
/*
 * MRTD: one incremental SHA-384 over 128-byte blocks, kept in the TDCS.
 * TDH.MEM.PAGE.ADD hashes a header naming the operation and GPA; each
 * TDH.MR.EXTEND hashes its header and then 256 bytes of page content.
 *
 * The context lives inside the TDCS page, as in the module, which is why
 * this uses OpenSSL's plain SHA512_CTX rather than a heap EVP context.
 */
#include "module_internal.h"

struct mr_block {
	char op[16];
	u64 gpa;	/* little-endian, as on x86 */
	u8 zero[104];
};
static_assert(sizeof(struct mr_block) == 128, "measurement header is one SHA-384 block");

static void set_header(struct mr_block *b, const char *op, size_t op_len, u64 gpa)
{
	memset(b, 0, sizeof(*b));
	memcpy(b->op, op, op_len);
	b->gpa = gpa;
}

void mrtd_init(struct tdcs *tdcs)
{
	SHA384_Init(&tdcs->mrtd_ctx);
	memset(tdcs->mrtd, 0, sizeof(tdcs->mrtd));
}

void mrtd_extend_page_add(struct tdcs *tdcs, u64 gpa)
{
	struct mr_block b;

	set_header(&b, "MEM.PAGE.ADD", 12, gpa);
	SHA384_Update(&tdcs->mrtd_ctx, &b, sizeof(b));
}

void mrtd_extend_chunk(struct tdcs *tdcs, u64 gpa, const u8 chunk[256])
{
	/* Header and chunk in one update: three whole SHA-384 blocks. */
	struct {
		struct mr_block header;
		u8 data[256];
	} b;

	set_header(&b.header, "MR.EXTEND", 9, gpa);
	memcpy(b.data, chunk, sizeof(b.data));
	SHA384_Update(&tdcs->mrtd_ctx, &b, sizeof(b));
}

void mrtd_finalize(struct tdcs *tdcs)
{
	SHA384_Final(tdcs->mrtd, &tdcs->mrtd_ctx);
}
