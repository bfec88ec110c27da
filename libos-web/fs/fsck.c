// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * fsck.c — the walk of the tree from the superblock.  exofs_open() runs
 * it shallow (metadata only) to learn which blocks are its own; fsck runs
 * it deep: every metadata block checked (magic, CRC, shape), every block
 * reached exactly once, exo's type for it (XN_READ's answer) the one its
 * parent's reference gives, every indirect block's per-block CRCs and
 * every file's CRC over its bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "exofs.h"

#define DEPTH_MAX	64

struct walk {
	struct exofs *fs;
	FILE *out;
	int deep;
	long bad;
	uint64_t blocks;
	uint8_t *seen;
	struct exofs_ino ino;
	char path[4096];
};

static void problem(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	w->bad++;
	if (!w->out)
		return;
	fprintf(w->out, "exofs fsck: %s: ", w->path[0] ? w->path : "/");
	va_start(ap, fmt);
	vfprintf(w->out, fmt, ap);
	va_end(ap);
	fputc('\n', w->out);
}

/* Count block @b reached; a problem if it was reached before. */
static int reach(struct walk *w, uint64_t b)
{
	if (b >= w->fs->dev->nblocks) {
		problem(w, "block %llu past the device", (unsigned long long)b);
		return -ERANGE;
	}
	if ((w->seen[b / 8] >> (b % 8)) & 1) {
		problem(w, "block %llu reached twice", (unsigned long long)b);
		return -EEXIST;
	}
	w->seen[b / 8] |= (uint8_t)(1u << (b % 8));
	exofs_mark(w->fs, b);
	w->blocks++;
	return 0;
}

static int meta(struct walk *w, uint64_t b, uint32_t type, void *buf)
{
	int ret = reach(w, b);

	if (!ret)
		ret = exofs_read_meta(w->fs, b, type, buf);
	if (ret && ret != -EEXIST && ret != -ERANGE)
		problem(w, "metadata block %llu (type %u): %s", (unsigned long long)b,
			type, strerror(-ret));
	return ret;
}

static void walk_dir(struct walk *w, uint64_t b, int depth);

static void walk_entry(struct walk *w, const void *blk, const struct exofs_dent *d,
		       int depth, void *tmp)
{
	size_t len = strlen(w->path);
	uint8_t *bytes;
	int ret;

	snprintf(w->path + len, sizeof(w->path) - len, "/%.*s", d->namelen,
		 exofs_dent_name(d));
	for (uint32_t i = 0; i < d->nref; i++) {
		uint32_t r = exofs_ref(blk, d->first + i);

		if (d->kind == EXOFS_E_DIR)
			walk_dir(w, EXOFS_REF_BLOCK(r), depth + 1);
		else if (d->kind == EXOFS_E_FILE_IND) {
			if (!meta(w, EXOFS_REF_BLOCK(r), EXOFS_T_IND, tmp))
				for (uint32_t j = 0; j < exofs_nrefs(tmp); j++)
					reach(w, EXOFS_REF_BLOCK(exofs_ref(tmp, j)));
		} else
			reach(w, EXOFS_REF_BLOCK(r));
	}
	if (w->deep && d->kind != EXOFS_E_DIR) {
		/* the bytes: exo's type of each block, the CRCs */
		bytes = malloc(d->size ? d->size : 1);
		if (!bytes) {
			problem(w, "no memory for %llu bytes", (unsigned long long)d->size);
		} else {
			w->ino.kind = d->kind;
			w->ino.size = d->size;
			w->ino.crc = d->crc;
			w->ino.nref = d->nref;
			for (uint32_t i = 0; i < d->nref; i++)
				w->ino.refs[i] = exofs_ref(blk, d->first + i);
			if (d->kind == EXOFS_E_INLINE)
				memcpy(w->ino.data, exofs_dent_inline(d), d->size);
			ret = exofs_read(w->fs, &w->ino, bytes);
			if (ret)
				problem(w, "file of %llu bytes: %s",
					(unsigned long long)d->size, strerror(-ret));
			free(bytes);
		}
	}
	w->path[len] = 0;
}

static void walk_dir(struct walk *w, uint64_t b, int depth)
{
	void *blk, *tmp;

	if (depth > DEPTH_MAX) {
		problem(w, "directories nested deeper than %d", DEPTH_MAX);
		return;
	}
	blk = malloc(EXOFS_BLOCK);
	tmp = malloc(EXOFS_BLOCK);
	while (blk && tmp && !meta(w, b, EXOFS_T_DIR, blk) && !exofs_is_zero(blk)) {
		const struct exofs_head *h = blk;
		const struct exofs_dent *d;
		uint32_t off = 0;

		while ((d = exofs_dent_next(blk, &off)))
			walk_entry(w, blk, d, depth, tmp);
		if (h->cont == EXOFS_NO_CONT)
			break;
		b = EXOFS_REF_BLOCK(exofs_ref(blk, h->cont));
	}
	if (!blk || !tmp)
		problem(w, "no memory");
	free(blk);
	free(tmp);
}

long exofs_walk(struct exofs *fs, FILE *out, int deep, uint64_t *blocks);

long exofs_walk(struct exofs *fs, FILE *out, int deep, uint64_t *blocks)
{
	struct walk *w = calloc(1, sizeof(*w));
	long bad;

	if (!w)
		return -ENOMEM;
	w->fs = fs;
	w->out = out;
	w->deep = deep;
	w->seen = calloc(fs->dev->nblocks / 8 + 1, 1);
	if (!w->seen) {
		free(w);
		return -ENOMEM;
	}
	if (!reach(w, fs->super))
		walk_dir(w, fs->root, 0);
	bad = w->bad;
	if (blocks)
		*blocks = w->blocks;
	free(w->seen);
	free(w);
	return bad;
}

long exofs_fsck(struct exofs *fs, FILE *out, uint64_t *blocks)
{
	return exofs_walk(fs, out, 1, blocks);
}
