// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * format.c — exofs blocks: CRC-32C, sealing, and the checks every block
 * read from the disk passes before any other code looks at it (disk
 * pages are untrusted input: another principal cannot write our blocks,
 * but a crash, a bug or a raw write to the device can).
 */
#include <errno.h>
#include <string.h>

#include "format.h"

/* CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), a byte at a time. */
uint32_t exofs_crc32c(uint32_t crc, const void *buf, size_t len)
{
	static uint32_t table[256];
	const uint8_t *p = buf;

	if (!table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = (c >> 1) ^ (0x82f63b78u & -(c & 1));
			table[i] = c;
		}
	}
	crc = ~crc;
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static uint32_t block_crc(const void *blk)
{
	const struct exofs_head *h = blk;
	uint32_t zero = 0, c;

	c = exofs_crc32c(0, blk, offsetof(struct exofs_head, crc));
	c = exofs_crc32c(c, &zero, sizeof(zero));
	return exofs_crc32c(c, &h->used, EXOFS_BLOCK - offsetof(struct exofs_head, used));
}

void exofs_seal(void *blk, uint32_t magic)
{
	struct exofs_head *h = blk;

	h->magic = magic;
	h->crc = block_crc(blk);
}

int exofs_is_zero(const void *blk)
{
	const uint64_t *w = blk;

	for (size_t i = 0; i < EXOFS_BLOCK / 8; i++)
		if (w[i])
			return 0;
	return 1;
}

static const uint32_t magic_of[EXOFS_NTYPES] = {
	[EXOFS_T_SUPER] = EXOFS_MAGIC_SUPER,
	[EXOFS_T_DIR] = EXOFS_MAGIC_DIR,
	[EXOFS_T_IND] = EXOFS_MAGIC_IND,
};

/* May a block of @type reference one of @rtype? */
static int ref_type_ok(uint32_t type, uint32_t rtype)
{
	switch (type) {
	case EXOFS_T_SUPER:
		return rtype == EXOFS_T_DIR;
	case EXOFS_T_DIR:
		return rtype == EXOFS_T_DATA || rtype == EXOFS_T_DIR ||
		       rtype == EXOFS_T_IND;
	case EXOFS_T_IND:
		return rtype == EXOFS_T_DATA;
	}
	return 0;
}

const struct exofs_dent *exofs_dent_next(const void *blk, uint32_t *off)
{
	const struct exofs_head *h = blk;
	const struct exofs_dent *d;

	if (*off >= h->used)
		return NULL;
	d = (const void *)((const char *)blk + EXOFS_BODY_OFF + *off);
	*off += d->reclen;
	return d;
}

/* The entries of a DIR block: tiling, names, slices.  0 or -EBADMSG. */
static int check_dir(const void *blk, uint32_t nrefs)
{
	const struct exofs_head *h = blk;
	uint8_t taken[EXOFS_MAX_REFS] = { 0 };
	uint32_t off = 0;

	if (h->used > EXOFS_BODY || (h->used & 3))
		return -EBADMSG;
	if (h->cont != EXOFS_NO_CONT) {
		if (h->cont >= nrefs ||
		    EXOFS_REF_TYPE(exofs_ref(blk, h->cont)) != EXOFS_T_DIR)
			return -EBADMSG;
		taken[h->cont] = 1;
	}
	while (off < h->used) {
		const struct exofs_dent *d;
		uint32_t want;

		if (h->used - off < sizeof(*d))
			return -EBADMSG;
		d = (const void *)((const char *)blk + EXOFS_BODY_OFF + off);
		if (d->reclen < sizeof(*d) || (d->reclen & 3) ||
		    d->reclen > h->used - off || !d->namelen ||
		    exofs_reclen(d->namelen, 0) > d->reclen ||
		    memchr(exofs_dent_name(d), '/', d->namelen) ||
		    memchr(exofs_dent_name(d), 0, d->namelen) ||
		    (size_t)d->first + d->nref > nrefs)
			return -EBADMSG;
		switch (d->kind) {
		case EXOFS_E_INLINE:
			if (d->nref || d->size > EXOFS_INLINE_MAX ||
			    exofs_reclen(d->namelen, d->size) != d->reclen)
				return -EBADMSG;
			break;
		case EXOFS_E_DIR:
			if (d->nref != 1 || d->size)
				return -EBADMSG;
			want = EXOFS_T_DIR;
			goto slice;
		case EXOFS_E_FILE:
			if (d->nref != (d->size + EXOFS_BLOCK - 1) / EXOFS_BLOCK)
				return -EBADMSG;
			want = EXOFS_T_DATA;
			goto slice;
		case EXOFS_E_FILE_IND:
			if (!d->nref || (uint64_t)d->nref * EXOFS_MAX_REFS <
			    (d->size + EXOFS_BLOCK - 1) / EXOFS_BLOCK)
				return -EBADMSG;
			want = EXOFS_T_IND;
slice:
			for (uint32_t i = d->first; i < d->first + d->nref; i++) {
				if (taken[i] ||
				    EXOFS_REF_TYPE(exofs_ref(blk, i)) != want)
					return -EBADMSG;
				taken[i] = 1;
			}
			break;
		default:
			return -EBADMSG;
		}
		off += d->reclen;
	}
	/* every ref belongs to an entry or is the continuation */
	for (uint32_t i = 0; i < nrefs; i++)
		if (!taken[i])
			return -EBADMSG;
	return 0;
}

int exofs_check(const void *blk, uint32_t type)
{
	const struct exofs_head *h = blk;
	uint32_t nrefs, i;

	if (type >= EXOFS_NTYPES || !magic_of[type])
		return -EBADMSG;
	if (exofs_is_zero(blk))
		return 0;
	if (h->magic != magic_of[type])
		return -EBADMSG;
	if (h->crc != block_crc(blk))
		return -EILSEQ;
	nrefs = exofs_nrefs(blk);
	if (nrefs > EXOFS_MAX_REFS)
		return -EBADMSG;
	for (i = 0; i < nrefs; i++) {
		uint32_t r = exofs_ref(blk, i);

		if (!EXOFS_REF_BLOCK(r) || !ref_type_ok(type, EXOFS_REF_TYPE(r)))
			return -EBADMSG;
	}
	for (; i < EXOFS_MAX_REFS; i++)
		if (exofs_ref(blk, i))
			return -EBADMSG;
	switch (type) {
	case EXOFS_T_SUPER:
		if (nrefs != 1 || ((const struct exofs_super *)
				   ((const char *)blk + EXOFS_BODY_OFF))->version != EXOFS_VERSION)
			return -EBADMSG;
		return 0;
	case EXOFS_T_DIR:
		return check_dir(blk, nrefs);
	}
	return 0;
}
