// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * exofs_fake.c — exo's XN rules, as the uapi header states them, over
 * blocks kept in an unlinked temporary file: a block is free, another
 * principal's, or ours with a type; reads of blocks not ours answer
 * EACCES; an update runs the template's meaning (refs[i] for i < nrefs,
 * format.h) on the old and new contents and refuses a claim that is not
 * exactly the difference (EPERM, EPROTO), an added block taken (EBUSY)
 * or ours already (EEXIST); data writes need a data block of ours.  A
 * host test of exofs's logic; the guest tests run the real thing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exofs_fake.h"

enum { FREE = -1, FOREIGN = -2 };

struct fake {
	struct exofs_dev dev;
	FILE *file;
	int *own;		/* FREE, FOREIGN, or our XN type */
	uint8_t scratch[EXOFS_BLOCK];
};

static struct fake *F(struct exofs_dev *d)
{
	return (struct fake *)d;
}

static void load(struct fake *f, uint64_t b, void *buf)
{
	fseek(f->file, (long)(b * EXOFS_BLOCK), SEEK_SET);
	if (fread(buf, 1, EXOFS_BLOCK, f->file) != EXOFS_BLOCK)
		memset(buf, 0, EXOFS_BLOCK);
}

static void store(struct fake *f, uint64_t b, const void *buf)
{
	fseek(f->file, (long)(b * EXOFS_BLOCK), SEEK_SET);
	fwrite(buf, 1, EXOFS_BLOCK, f->file);
	fflush(f->file);
}

static int ours(struct fake *f, uint64_t b)
{
	return b < f->dev.nblocks && f->own[b] >= 0;
}

static int f_read(struct exofs_dev *d, uint64_t b, void *buf)
{
	if (!ours(F(d), b))
		return -EACCES;
	load(F(d), b, buf);
	return F(d)->own[b];
}

static int has(const void *blk, uint32_t ref)
{
	for (uint32_t i = 0; i < exofs_nrefs(blk) && i < EXOFS_MAX_REFS; i++)
		if (exofs_ref(blk, i) == ref)
			return 1;
	return 0;
}

static int claimed(const struct exofs_claim *c, uint32_t n, uint32_t ref)
{
	for (uint32_t i = 0; i < n; i++)
		if (EXOFS_REF(c[i].type, c[i].block) == ref)
			return 1;
	return 0;
}

static int f_update(struct exofs_dev *d, uint64_t b, const void *buf,
		    const struct exofs_claim *add, uint32_t nadd,
		    const struct exofs_claim *rel, uint32_t nrel)
{
	struct fake *f = F(d);
	uint8_t *old = f->scratch;

	(void)rel;

	if (nadd > EXOFS_MAX_REFS || nrel)
		return -EINVAL;		/* exofs never releases */
	if (!ours(f, b) || f->own[b] == EXOFS_T_DATA)
		return -EACCES;
	if (exofs_nrefs(buf) > EXOFS_MAX_REFS)
		return -EOVERFLOW;
	load(f, b, old);
	for (uint32_t i = 0; i < exofs_nrefs(buf); i++) {
		uint32_t r = exofs_ref(buf, i);

		if (!has(old, r) && !claimed(add, nadd, r))
			return -EPERM;
	}
	for (uint32_t i = 0; i < exofs_nrefs(old); i++)
		if (!has(buf, exofs_ref(old, i)))
			return -EPROTO;	/* dropped without a release */
	for (uint32_t i = 0; i < nadd; i++) {
		uint32_t r = EXOFS_REF(add[i].type, add[i].block);

		if (!has(buf, r) || has(old, r))
			return -EPROTO;
		if (add[i].block >= f->dev.nblocks || add[i].block < f->dev.first)
			return -ERANGE;
		if (f->own[add[i].block] == FOREIGN)
			return -EBUSY;
		if (f->own[add[i].block] >= 0)
			return -EEXIST;
	}
	for (uint32_t i = 0; i < nadd; i++) {
		static const uint8_t zero[EXOFS_BLOCK];

		f->own[add[i].block] = (int)add[i].type;
		store(f, add[i].block, zero);	/* an added block reads as zeroes */
	}
	store(f, b, buf);
	return 0;
}

static int f_write(struct exofs_dev *d, uint64_t b, const void *buf)
{
	if (!ours(F(d), b))
		return -EACCES;
	if (F(d)->own[b] != EXOFS_T_DATA)
		return -EPERM;
	store(F(d), b, buf);
	return 0;
}

static int f_root(struct exofs_dev *d, uint32_t type, uint64_t *block)
{
	struct fake *f = F(d);

	for (uint64_t b = f->dev.first; b < f->dev.nblocks; b++)
		if (f->own[b] == FREE) {
			static const uint8_t zero[EXOFS_BLOCK];

			f->own[b] = (int)type;
			store(f, b, zero);
			*block = b;
			return 0;
		}
	return -ENOSPC;
}

static int f_sync(struct exofs_dev *d)
{
	return fflush(F(d)->file) ? -errno : 0;
}

static const struct exofs_dev_ops fake_ops = {
	.read = f_read, .update = f_update, .write = f_write,
	.root = f_root, .sync = f_sync,
};

struct exofs_dev *fake_new(uint64_t nblocks)
{
	struct fake *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->file = tmpfile();
	f->own = malloc(nblocks * sizeof(*f->own));
	if (!f->file || !f->own) {
		fake_free(&f->dev);
		return NULL;
	}
	for (uint64_t b = 0; b < nblocks; b++)
		f->own[b] = FREE;
	f->dev.ops = &fake_ops;
	f->dev.nblocks = nblocks;
	f->dev.first = 1;
	return &f->dev;
}

void fake_free(struct exofs_dev *d)
{
	struct fake *f = F(d);

	if (f->file)
		fclose(f->file);
	free(f->own);
	free(f);
}

void fake_foreign(struct exofs_dev *d, uint64_t b)
{
	F(d)->own[b] = FOREIGN;
}

void fake_poke(struct exofs_dev *d, uint64_t b, size_t off, uint8_t x)
{
	load(F(d), b, F(d)->scratch);
	F(d)->scratch[off % EXOFS_BLOCK] ^= x;
	store(F(d), b, F(d)->scratch);
}

int fake_type(struct exofs_dev *d, uint64_t b)
{
	return ours(F(d), b) ? F(d)->own[b] : -1;
}
