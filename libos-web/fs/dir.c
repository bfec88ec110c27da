// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * dir.c — directories: a chain of DIR blocks (each's `cont` ref names the
 * next), entries with their inodes embedded (format.h).  An entry is
 * added by one checked update of the block that takes it: the new
 * version carries the entry and its refs, and claims the new blocks, so
 * exo's view and the directory change together or not at all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exofs.h"

int exofs_read_meta(struct exofs *fs, uint64_t block, uint32_t type, void *buf)
{
	int ret = fs->dev->ops->read(fs->dev, block, buf);

	fs->dev->reads++;
	if (ret < 0)
		return ret;
	if ((uint32_t)ret != type)
		return -EBADMSG;	/* exo's type is not the one we expect */
	return exofs_check(buf, type);
}

static void fill_ino(const void *blk, uint64_t block,
		     const struct exofs_dent *d, struct exofs_ino *ino)
{
	ino->kind = d->kind;
	ino->size = d->size;
	ino->crc = d->crc;
	ino->dir = block;
	ino->nref = d->nref;
	for (uint32_t i = 0; i < d->nref; i++)
		ino->refs[i] = exofs_ref(blk, d->first + i);
	if (d->kind == EXOFS_E_INLINE)
		memcpy(ino->data, exofs_dent_inline(d), d->size);
}

/*
 * Walk the chain at @dir: @fn(ctx, block, buf) for each block, stopping
 * at a non-zero return (returned).  0 at the end, or -errno.
 */
static int chain(struct exofs *fs, uint64_t dir,
		 int (*fn)(void *, uint64_t, void *), void *ctx)
{
	void *buf;
	int ret;

	if (posix_memalign(&buf, EXOFS_BLOCK, EXOFS_BLOCK))
		return -ENOMEM;
	for (uint32_t hops = 0; ; hops++) {
		const struct exofs_head *h = buf;

		ret = hops > fs->dev->nblocks ? -ELOOP :
		      exofs_read_meta(fs, dir, EXOFS_T_DIR, buf);
		if (!ret)
			ret = fn(ctx, dir, buf);
		if (ret || exofs_is_zero(buf) || h->cont == EXOFS_NO_CONT)
			break;
		dir = EXOFS_REF_BLOCK(exofs_ref(buf, h->cont));
	}
	free(buf);
	return ret;
}

struct each_ctx {
	int (*fn)(void *, const char *, const struct exofs_ino *);
	void *ctx;
	const char *want;	/* lookup: the name */
	struct exofs_ino *ino;
};

static int each_block(void *p, uint64_t block, void *blk)
{
	struct each_ctx *c = p;
	const struct exofs_dent *d;
	char name[EXOFS_NAME_MAX + 1];
	uint32_t off = 0;
	int ret;

	while ((d = exofs_dent_next(blk, &off))) {
		if (c->want) {
			if (strlen(c->want) != d->namelen ||
			    memcmp(c->want, exofs_dent_name(d), d->namelen))
				continue;
			fill_ino(blk, block, d, c->ino);
			return 1;
		}
		memcpy(name, exofs_dent_name(d), d->namelen);
		name[d->namelen] = 0;
		fill_ino(blk, block, d, c->ino);
		ret = c->fn(c->ctx, name, c->ino);
		if (ret)
			return ret;
	}
	return 0;
}

int exofs_dir_each(struct exofs *fs, uint64_t dir,
		   int (*fn)(void *, const char *, const struct exofs_ino *),
		   void *ctx)
{
	struct exofs_ino *ino = malloc(sizeof(*ino));
	struct each_ctx c = { .fn = fn, .ctx = ctx, .ino = ino };
	int ret;

	if (!ino)
		return -ENOMEM;
	ret = chain(fs, dir, each_block, &c);
	free(ino);
	return ret;
}

int exofs_dir_lookup(struct exofs *fs, uint64_t dir, const char *name,
		     struct exofs_ino *ino)
{
	struct each_ctx c = { .want = name, .ino = ino };
	int ret = chain(fs, dir, each_block, &c);

	return ret == 1 ? 0 : ret ? ret : -ENOENT;
}

struct add_ctx {
	struct exofs *fs;
	const char *name;
	uint8_t kind;
	uint64_t size;
	uint32_t crc, nnew, rtype;
	const void *data;
	uint64_t *out;
	void *new;
};

static int add_block(void *p, uint64_t block, void *blk)
{
	struct add_ctx *c = p;
	struct exofs_head *h = c->new;
	struct exofs_dent *d;
	size_t namelen = strlen(c->name);
	uint32_t inl = c->kind == EXOFS_E_INLINE ? (uint32_t)c->size : 0;
	uint32_t reclen = exofs_reclen(namelen, inl), off = 0, nrefs;
	const struct exofs_dent *e;
	int ret;

	while ((e = exofs_dent_next(blk, &off)))
		if (e->namelen == namelen && !memcmp(exofs_dent_name(e), c->name, namelen))
			return -EEXIST;
	memcpy(c->new, blk, EXOFS_BLOCK);
	if (exofs_is_zero(blk))
		h->cont = EXOFS_NO_CONT;
	nrefs = exofs_nrefs(c->new);
	/* room for the entry, its refs, and one ref kept for a continuation */
	if (h->used + reclen <= EXOFS_BODY &&
	    nrefs + c->nnew + (h->cont == EXOFS_NO_CONT) <= EXOFS_MAX_REFS) {
		d = (void *)((char *)c->new + EXOFS_BODY_OFF + h->used);
		*d = (struct exofs_dent){
			.reclen = (uint16_t)reclen, .kind = c->kind,
			.namelen = (uint8_t)namelen, .crc = c->crc,
			.size = c->size, .first = (uint16_t)nrefs,
			.nref = (uint16_t)c->nnew,
		};
		memcpy(d + 1, c->name, namelen);
		if (inl)
			memcpy((char *)(d + 1) + namelen, c->data, inl);
		h->used = (uint16_t)(h->used + reclen);
		exofs_set_nrefs(c->new, nrefs + c->nnew);
		ret = exofs_update_claiming(c->fs, block, c->new, EXOFS_MAGIC_DIR,
				      nrefs, c->nnew, c->rtype, block, c->out);
		return ret ? ret : 1;
	}
	if (h->cont != EXOFS_NO_CONT)
		return 0;	/* on to the next block */
	/* the last block is full: chain a new one, then add there */
	h->cont = (uint16_t)nrefs;
	exofs_set_nrefs(c->new, nrefs + 1);
	ret = exofs_update_claiming(c->fs, block, c->new, EXOFS_MAGIC_DIR, nrefs, 1,
			      EXOFS_T_DIR, block, &(uint64_t){ 0 });
	if (!ret)	/* chain() follows the new block's cont next */
		memcpy(blk, c->new, EXOFS_BLOCK);
	return ret;
}

int exofs_dir_add(struct exofs *fs, uint64_t dir, const char *name,
		  uint8_t kind, uint64_t size, uint32_t crc, uint32_t nnew,
		  uint32_t rtype, const void *data, uint64_t *out)
{
	struct add_ctx c = {
		.fs = fs, .name = name, .kind = kind, .size = size, .crc = crc,
		.nnew = nnew, .rtype = rtype, .data = data, .out = out,
	};
	size_t namelen = strlen(name);
	int ret;

	if (!namelen || strchr(name, '/'))
		return -EINVAL;
	if (namelen > EXOFS_NAME_MAX)
		return -ENAMETOOLONG;
	if (nnew >= EXOFS_MAX_REFS ||
	    (kind == EXOFS_E_INLINE && size > EXOFS_INLINE_MAX) ||
	    exofs_reclen(namelen, kind == EXOFS_E_INLINE ? size : 0) > EXOFS_BODY)
		return -EFBIG;
	if (posix_memalign(&c.new, EXOFS_BLOCK, EXOFS_BLOCK))
		return -ENOMEM;
	ret = chain(fs, dir, add_block, &c);
	free(c.new);
	if (ret == 1)
		return 0;
	return ret ? ret : -EIO;
}
