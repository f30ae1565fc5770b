// SPDX-License-Identifier: MIT
/*
 * Offline MRTD: the SHA-384 stream TDH.MEM.PAGE.ADD and TDH.MR.EXTEND
 * build, replayed from the image.  Each ADD contributes a 128-byte block
 * ("MEM.PAGE.ADD", zero-padded to 16, then the GPA); each EXTEND a block
 * ("MR.EXTEND", then the chunk's GPA) followed by the chunk's 256 bytes.
 * PAGE.AUG sections never enter MRTD.
 */
#include "tdvf.h"
#include "tdvf_internal.h"

#include <openssl/evp.h>
#include <string.h>

#define EXTEND_CHUNK	256u

static int block(EVP_MD_CTX *ctx, const char *op, uint64_t gpa)
{
	uint8_t b[128] = { 0 };

	memcpy(b, op, strlen(op));
	for (int i = 0; i < 8; i++)
		b[16 + i] = (uint8_t)(gpa >> (8 * i));
	return EVP_DigestUpdate(ctx, b, sizeof(b)) ? 0 : -1;
}

/* The page at @off of the section: image bytes, zeros past RawDataSize. */
static void page_data(const uint8_t *image, const struct tdvf_section *s, uint64_t off,
		      uint8_t page[PAGE_SIZE_4K])
{
	uint64_t have = off < s->raw_size ? s->raw_size - off : 0;

	if (have > PAGE_SIZE_4K)
		have = PAGE_SIZE_4K;
	memcpy(page, image + s->data_offset + off, have);
	memset(page + have, 0, PAGE_SIZE_4K - have);
}

static int extend_page(EVP_MD_CTX *ctx, const uint8_t *image, const struct tdvf_section *s,
		       uint64_t off)
{
	uint8_t page[PAGE_SIZE_4K];

	page_data(image, s, off, page);
	for (uint32_t c = 0; c < PAGE_SIZE_4K; c += EXTEND_CHUNK)
		if (block(ctx, "MR.EXTEND", s->address + off + c) ||
		    !EVP_DigestUpdate(ctx, page + c, EXTEND_CHUNK))
			return -1;
	return 0;
}

static int measure_section(EVP_MD_CTX *ctx, const uint8_t *image, const struct tdvf_section *s,
			   enum tdvf_measure_order order)
{
	bool extend = s->attributes & TDVF_ATTR_MR_EXTEND;

	if (s->attributes & TDVF_ATTR_PAGE_AUG)
		return 0;
	for (uint64_t off = 0; off < s->size; off += PAGE_SIZE_4K) {
		if (block(ctx, "MEM.PAGE.ADD", s->address + off))
			return -1;
		if (extend && order == TDVF_MEASURE_PER_PAGE && extend_page(ctx, image, s, off))
			return -1;
	}
	for (uint64_t off = 0; extend && order == TDVF_MEASURE_TWO_PASS && off < s->size;
	     off += PAGE_SIZE_4K)
		if (extend_page(ctx, image, s, off))
			return -1;
	return 0;
}

int tdvf_mrtd(const uint8_t *image, const struct tdvf_meta *meta,
	      enum tdvf_measure_order order, uint8_t mrtd[48])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ret = -1;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha384(), NULL))
		goto out;
	for (uint32_t i = 0; i < meta->nr_sections; i++)
		if (measure_section(ctx, image, &meta->sections[i], order))
			goto out;
	if (EVP_DigestFinal_ex(ctx, mrtd, &n) && n == 48)
		ret = 0;
out:
	EVP_MD_CTX_free(ctx);
	return ret;
}
