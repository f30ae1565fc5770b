// SPDX-License-Identifier: MIT
/*
 * MRTD: one incremental SHA-384 over 128-byte blocks, kept in the TDCS.
 * TDH.MEM.PAGE.ADD hashes a header naming the operation and GPA; each
 * TDH.MR.EXTEND hashes its header and then 256 bytes of page content.
 *
 * The context lives inside the TDCS page, as in the module, which is why
 * this uses OpenSSL's plain SHA512_CTX rather than a heap EVP context.
 * Blocks are first appended to a log in TDCS page 1 and hashed a few KiB at
 * a time: SHA-384 is sequential, so the digest is the same, and hashing
 * larger runs is what lets measurement go at SHA-384 speed.
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

static void log_flush(struct tdcs *tdcs, struct mr_log *log)
{
	SHA384_Update(&tdcs->mrtd_ctx, log->data, log->len);
	log->len = 0;
}

/* Room for @n more bytes, hashing what is logged if need be. */
static u8 *log_reserve(struct tdcs *tdcs, struct mr_log *log, u32 n)
{
	if (log->len + n > sizeof(log->data))
		log_flush(tdcs, log);
	log->len += n;
	return log->data + log->len - n;
}

void mrtd_init(struct tdcs *tdcs, struct mr_log *log)
{
	SHA384_Init(&tdcs->mrtd_ctx);
	memset(tdcs->mrtd, 0, sizeof(tdcs->mrtd));
	log->len = 0;
}

void mrtd_extend_page_add(struct tdcs *tdcs, struct mr_log *log, u64 gpa)
{
	set_header((void *)log_reserve(tdcs, log, sizeof(struct mr_block)), "MEM.PAGE.ADD", 12,
		   gpa);
}

void mrtd_extend_chunk(struct tdcs *tdcs, struct mr_log *log, u64 gpa, const u8 chunk[256])
{
	u8 *p = log_reserve(tdcs, log, sizeof(struct mr_block) + 256);

	set_header((void *)p, "MR.EXTEND", 9, gpa);
	memcpy(p + sizeof(struct mr_block), chunk, 256);
}

void mrtd_finalize(struct tdcs *tdcs, struct mr_log *log)
{
	log_flush(tdcs, log);
	SHA384_Final(tdcs->mrtd, &tdcs->mrtd_ctx);
}
