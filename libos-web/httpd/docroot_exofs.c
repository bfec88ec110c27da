// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * docroot_exofs.c — exo-httpd serving an exofs.  The cache's memory is
 * exo frames the server's env owns (mem_exo.c); the exofs principal is
 * that same env, so XN_READ can put a data block straight into the frame
 * bound at the cache page it belongs in: the document is read from the
 * disk into the memory the TCP stack sends it from, with no copy.
 * Inline files come with their directory's block.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dev_exo.h"
#include "docroot_exofs.h"

static exo_cap_t cap_of(void *ctx, const void *page)
{
	const struct mem_exo *m = ctx;
	const uint8_t *p = page;

	if (p < m->base || p >= m->base + m->used || (p - m->base) % EXOFS_BLOCK)
		return 0;
	return m->caps[(p - m->base) / EXOFS_BLOCK];
}

struct list_ctx {
	struct docroot_exofs *d;
	int (*fn)(void *, const char *, bool, uint64_t, time_t);
	void *arg;
};

static int list_one(void *ctx, const char *name, const struct exofs_ino *ino)
{
	struct list_ctx *l = ctx;

	return l->fn(l->arg, name, ino->kind == EXOFS_E_DIR, ino->size,
		     (time_t)l->d->fs.mkfs_time);
}

static int src_list(void *ctx, const char *path,
		    int (*fn)(void *, const char *, bool, uint64_t, time_t),
		    void *arg)
{
	struct list_ctx l = { .d = ctx, .fn = fn, .arg = arg };
	struct exofs_ino *ino = malloc(sizeof(*ino));
	int ret;

	if (!ino)
		return -ENOMEM;
	ret = exofs_lookup(&l.d->fs, path, ino);
	if (!ret && ino->kind != EXOFS_E_DIR)
		ret = -ENOTDIR;
	if (!ret)
		ret = exofs_dir_each(&l.d->fs, EXOFS_REF_BLOCK(ino->refs[0]),
				     list_one, &l);
	free(ino);
	return ret;
}

static int src_read(void *ctx, const char *path, void *dst, uint64_t size)
{
	struct docroot_exofs *d = ctx;
	struct exofs_ino *ino = malloc(sizeof(*ino));
	int ret;

	if (!ino)
		return -ENOMEM;
	ret = exofs_lookup(&d->fs, path, ino);
	if (!ret && ino->size != size)
		ret = -ESTALE;
	if (!ret)
		ret = exofs_read_pages(&d->fs, ino, dst);
	free(ino);
	return ret;
}

int docroot_exofs_open(struct docroot_exofs *d, const char *keyfile,
		       const struct mem_exo *mem, struct http_docsrc *src)
{
	uint64_t super;
	int ret;

	memset(d, 0, sizeof(*d));
	d->mem = mem;
	ret = exofs_exo_open_fd(mem ? mem->fd : -1, keyfile, 0, &d->dev);
	if (ret)
		return ret;
	if (mem)
		exofs_exo_frames(d->dev, cap_of, (void *)mem);
	ret = exofs_exo_super(d->dev, &super);
	if (!ret)
		ret = exofs_open(&d->fs, d->dev, super);
	if (ret) {
		exofs_exo_close(d->dev);
		d->dev = NULL;
		return ret;
	}
	*src = (struct http_docsrc){ .ctx = d, .list = src_list, .read = src_read };
	return 0;
}

void docroot_exofs_close(struct docroot_exofs *d)
{
	if (!d->dev)
		return;
	exofs_close(&d->fs);
	exofs_exo_close(d->dev);
	d->dev = NULL;
}
