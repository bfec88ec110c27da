// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * dev_exo.c — exofs's block layer on /dev/exo: XN_READ, XN_UPDATE,
 * XN_WRITE through one frame mapped in a one-block region.  A principal
 * exists only while it owns something exo can name by key, so the
 * principal keeps one one-block extent; its block records the
 * superblock's number (the XN root), so the key file is all a user keeps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <exo.h>

#include "dev_exo.h"
#include "template.h"

#define HOME_MAGIC	0x48667845u	/* "ExfH" */

struct exo_dev {
	struct exofs_dev dev;
	int fd;
	exo_cap_t ext;		/* the principal's one-block extent */
	exo_cap_t frame;
	void *buf;		/* the frame, mapped */
	int own_fd;
	uint64_t super;		/* what the home block says, 0: nothing yet */
	exo_cap_t (*cap_of)(void *ctx, const void *page);	/* read_page */
	void *cap_ctx;
};

static struct exo_dev *X(struct exofs_dev *d)
{
	return (struct exo_dev *)d;
}

static int x_read(struct exofs_dev *d, uint64_t block, void *buf)
{
	int ret = exo_xn_read(X(d)->fd, block, X(d)->frame, NULL);

	if (ret >= 0)
		memcpy(buf, X(d)->buf, EXOFS_BLOCK);
	return ret;
}

static int x_read_page(struct exofs_dev *d, uint64_t block, void *page)
{
	exo_cap_t cap = X(d)->cap_of ? X(d)->cap_of(X(d)->cap_ctx, page) : 0;
	int ret;

	if (!cap)
		return 1;
	ret = exo_xn_read(X(d)->fd, block, cap, NULL);
	return ret > 0 ? -EBADMSG : ret;	/* a data block is type 0 */
}

static int x_update(struct exofs_dev *d, uint64_t block, const void *buf,
		    const struct exofs_claim *add, uint32_t nadd,
		    const struct exofs_claim *rel, uint32_t nrel)
{
	struct exo_xn_ref a[EXOFS_MAX_REFS], r[EXOFS_MAX_REFS];

	if (nadd > EXOFS_MAX_REFS || nrel > EXOFS_MAX_REFS)
		return -EINVAL;
	for (uint32_t i = 0; i < nadd; i++)
		a[i] = (struct exo_xn_ref){ .block = add[i].block, .type = add[i].type };
	for (uint32_t i = 0; i < nrel; i++)
		r[i] = (struct exo_xn_ref){ .block = rel[i].block, .type = rel[i].type };
	memcpy(X(d)->buf, buf, EXOFS_BLOCK);
	return exo_xn_update(X(d)->fd, block, X(d)->frame, a, nadd, r, nrel);
}

static int x_write(struct exofs_dev *d, uint64_t block, const void *buf)
{
	memcpy(X(d)->buf, buf, EXOFS_BLOCK);
	return exo_xn_write(X(d)->fd, block, X(d)->frame, 0);
}

static int x_root(struct exofs_dev *d, uint32_t type, uint64_t *block)
{
	__u64 b = 0;
	int ret = exo_xn_root(X(d)->fd, 0, type, &b);

	*block = b;
	return ret;
}

/* Rewrite the home block with a flush: every data write before it is durable. */
static int home_write(struct exo_dev *x, uint64_t super, int flush)
{
	uint32_t *w = x->buf;

	memset(x->buf, 0, EXOFS_BLOCK);
	w[0] = HOME_MAGIC;
	memcpy(&w[2], &super, sizeof(super));
	w[1] = exofs_crc32c(0, &w[2], sizeof(super));
	return exo_extent_write(x->fd, x->ext, 0, x->frame,
				 EXO_IO_FUA | (flush ? EXO_IO_FLUSH : 0));
}

int exofs_exo_super(struct exofs_dev *d, uint64_t *super)
{
	uint32_t *w = X(d)->buf;
	int ret = exo_extent_read(X(d)->fd, X(d)->ext, 0, X(d)->frame);

	if (ret)
		return ret;
	memcpy(super, &w[2], sizeof(*super));
	if (w[0] != HOME_MAGIC || w[1] != exofs_crc32c(0, &w[2], sizeof(*super)) ||
	    !*super)
		return -ENOENT;
	X(d)->super = *super;
	return 0;
}

int exofs_exo_set_super(struct exofs_dev *d, uint64_t super)
{
	X(d)->super = super;
	return home_write(X(d), super, 1);
}

/* The home block again, with a flush before it (in mkfs: no super yet). */
static int x_sync(struct exofs_dev *d)
{
	return home_write(X(d), X(d)->super, 1);
}

static const struct exofs_dev_ops exo_ops = {
	.read = x_read, .update = x_update, .write = x_write,
	.root = x_root, .sync = x_sync, .read_page = x_read_page,
};

void exofs_exo_frames(struct exofs_dev *d,
		      exo_cap_t (*cap_of)(void *ctx, const void *page), void *ctx)
{
	X(d)->cap_of = cap_of;
	X(d)->cap_ctx = ctx;
}

int exofs_exo_fd(struct exofs_dev *d)
{
	return X(d)->fd;
}

/* Become the principal of @keyfile, or a new one. */
static int principal(struct exo_dev *x, const char *keyfile, int create)
{
	struct exo_extent_desc desc[4];
	const struct sock_filter *prog;
	struct exo_key key;
	struct stat st;
	unsigned int len;
	int ret, new_key = 0;

	if (stat(keyfile, &st) == 0) {
		ret = exo_extent_key_load(keyfile, &key);
		if (ret)
			return ret;
		ret = exo_extent_reclaim(x->fd, &key, desc, 4);
		if (ret < 0)
			return ret;
		if (ret != 1 || desc[0].count != 1)
			return -EUCLEAN;	/* not a principal exofs made */
		x->ext = desc[0].cap;
		return 0;
	}
	if (errno != ENOENT || !create)
		return -errno;
	ret = exo_extent_alloc(x->fd, 1, &x->ext, NULL, &key, &new_key);
	if (!ret && !new_key)
		ret = -EEXIST;
	if (!ret)
		ret = exo_extent_key_save(keyfile, &key);
	prog = exofs_template(&len);
	for (uint32_t t = EXOFS_T_SUPER; !ret && t < EXOFS_NTYPES; t++)
		ret = exo_xn_template_set(x->fd, t, prog, len);
	return ret;
}

int exofs_exo_open(const char *keyfile, int create, struct exofs_dev **devp)
{
	return exofs_exo_open_fd(-1, keyfile, create, devp);
}

int exofs_exo_open_fd(int fd, const char *keyfile, int create,
		      struct exofs_dev **devp)
{
	struct exo_dev *x = calloc(1, sizeof(*x));
	struct exo_extent_stat st;
	int ret;

	if (!x)
		return -ENOMEM;
	x->dev.ops = &exo_ops;
	x->own_fd = fd < 0;
	x->fd = fd < 0 ? exo_open() : fd;
	if (x->fd < 0) {
		ret = x->fd;
		free(x);
		return ret;
	}
	x->buf = exo_region__create(x->fd, NULL, EXOFS_BLOCK, PROT_READ | PROT_WRITE);
	ret = x->buf ? exo_frame_alloc(x->fd, 1, &x->frame, NULL) : -errno;
	if (!ret)
		ret = exo_frame_map_one(x->fd, x->buf, x->frame,
					 EXO_PROT_READ | EXO_PROT_WRITE);
	if (!ret)
		ret = exo_extent_stat(x->fd, &st);
	if (!ret)
		ret = principal(x, keyfile, create);
	if (ret) {
		exofs_exo_close(&x->dev);
		return ret;
	}
	x->dev.nblocks = st.nblocks;
	x->dev.first = st.data_start;
	*devp = &x->dev;
	return 0;
}

void exofs_exo_close(struct exofs_dev *d)
{
	struct exo_dev *x = X(d);

	if (x->buf)
		exo_region__destroy(x->buf, EXOFS_BLOCK);
	if (x->own_fd)
		exo_close(x->fd);
	free(x);
}
