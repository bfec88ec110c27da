// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * inode.c — mkfs, open, paths and files.  A file is written in this
 * order: its entry (size, CRC, and the claim of its data or indirect
 * blocks) in one checked update of its directory's block; then each
 * indirect block's refs in one checked update each; then the data,
 * straight to the blocks exo now knows are ours.  A crash in between
 * leaves blocks reading as zeroes, which fsck reports as a CRC mismatch;
 * ownership is consistent at every step.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exofs.h"

#define DIRECT_MAX	64	/* blocks a file keeps in its directory's refs */

static void *block_alloc(void)
{
	void *p;

	return posix_memalign(&p, EXOFS_BLOCK, EXOFS_BLOCK) ? NULL : p;
}

int exofs_mkfs(struct exofs_dev *dev, uint32_t flags, uint64_t *super)
{
	struct exofs fs = { .dev = dev, .flags = flags };
	struct exofs_super *s;
	void *blk = block_alloc();
	uint64_t root;
	int ret;

	fs.map = calloc(dev->nblocks / 8 + 1, 1);
	if (!blk || !fs.map) {
		ret = -ENOMEM;
		goto out;
	}
	ret = dev->ops->root(dev, EXOFS_T_SUPER, super);
	if (ret)
		goto out;
	exofs_mark(&fs, *super);
	memset(blk, 0, EXOFS_BLOCK);
	s = (void *)((char *)blk + EXOFS_BODY_OFF);
	s->version = EXOFS_VERSION;
	s->flags = flags;
	s->mkfs_time = (uint64_t)time(NULL);
	exofs_set_nrefs(blk, 1);
	/* the root directory: a zeroed DIR block is an empty directory */
	ret = exofs_update_claiming(&fs, *super, blk, EXOFS_MAGIC_SUPER, 0, 1,
				    EXOFS_T_DIR, *super, &root);
	if (!ret)
		ret = dev->ops->sync(dev);
out:
	free(fs.map);
	free(blk);
	return ret;
}

long exofs_walk(struct exofs *fs, FILE *out, int deep, uint64_t *blocks);

int exofs_open(struct exofs *fs, struct exofs_dev *dev, uint64_t super)
{
	void *blk = block_alloc();
	long bad;
	int ret;

	memset(fs, 0, sizeof(*fs));
	fs->dev = dev;
	fs->super = super;
	fs->rand = super * 0x9e3779b97f4a7c15ull;
	fs->map = calloc(dev->nblocks / 8 + 1, 1);
	if (!blk || !fs->map) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = exofs_read_meta(fs, super, EXOFS_T_SUPER, blk);
	if (!ret && exofs_is_zero(blk))
		ret = -EBADMSG;		/* no file system here */
	if (ret)
		goto fail;
	fs->flags = ((struct exofs_super *)((char *)blk + EXOFS_BODY_OFF))->flags;
	fs->mkfs_time = ((struct exofs_super *)((char *)blk + EXOFS_BODY_OFF))->mkfs_time;
	fs->root = EXOFS_REF_BLOCK(exofs_ref(blk, 0));
	free(blk);
	/* every block of the tree marked, so allocation avoids them */
	bad = exofs_walk(fs, NULL, 0, NULL);
	if (bad) {
		exofs_close(fs);
		return bad < 0 ? (int)bad : -EUCLEAN;
	}
	return 0;
fail:
	free(blk);
	exofs_close(fs);
	return ret;
}

void exofs_close(struct exofs *fs)
{
	free(fs->map);
	fs->map = NULL;
}

void exofs_root_ino(const struct exofs *fs, struct exofs_ino *ino)
{
	memset(ino, 0, offsetof(struct exofs_ino, refs));
	ino->kind = EXOFS_E_DIR;
	ino->dir = fs->super;
	ino->nref = 1;
	ino->refs[0] = EXOFS_REF(EXOFS_T_DIR, fs->root);
}

int exofs_lookup(struct exofs *fs, const char *path, struct exofs_ino *ino)
{
	char name[EXOFS_NAME_MAX + 1];

	exofs_root_ino(fs, ino);
	while (*path) {
		size_t n;
		int ret;

		path += strspn(path, "/");
		n = strcspn(path, "/");
		if (!n)
			break;
		if (n > EXOFS_NAME_MAX)
			return -ENAMETOOLONG;
		if (ino->kind != EXOFS_E_DIR)
			return -ENOTDIR;
		memcpy(name, path, n);
		name[n] = 0;
		path += n;
		ret = exofs_dir_lookup(fs, EXOFS_REF_BLOCK(ino->refs[0]), name, ino);
		if (ret)
			return ret;
	}
	return 0;
}

static uint64_t dir_block(const struct exofs_ino *parent)
{
	return EXOFS_REF_BLOCK(parent->refs[0]);
}

int exofs_mkdir(struct exofs *fs, const struct exofs_ino *parent, const char *name)
{
	uint64_t b;

	if (parent->kind != EXOFS_E_DIR)
		return -ENOTDIR;
	return exofs_dir_add(fs, dir_block(parent), name, EXOFS_E_DIR, 0, 0,
			     1, EXOFS_T_DIR, NULL, &b);
}

/* Write @n data blocks @b from @data (@size bytes from block 0's start). */
static int write_data(struct exofs *fs, const uint64_t *b, uint32_t n,
		      const uint8_t *data, uint64_t size, void *blk)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t off = (uint64_t)i * EXOFS_BLOCK;
		size_t len = size - off < EXOFS_BLOCK ? size - off : EXOFS_BLOCK;
		int ret;

		memset(blk, 0, EXOFS_BLOCK);
		memcpy(blk, data + off, len);
		ret = fs->dev->ops->write(fs->dev, b[i], blk);
		fs->dev->writes++;
		if (ret)
			return ret;
	}
	return 0;
}

int exofs_create(struct exofs *fs, const struct exofs_ino *parent,
		 const char *name, const void *data, uint64_t size)
{
	uint64_t nblk = (size + EXOFS_BLOCK - 1) / EXOFS_BLOCK, *b = NULL;
	uint32_t crc = exofs_crc32c(0, data, size), nind;
	const uint8_t *p = data;
	uint64_t ind[EXOFS_MAX_REFS];
	void *blk = NULL;
	int ret;

	if (parent->kind != EXOFS_E_DIR)
		return -ENOTDIR;
	if (size <= EXOFS_INLINE_MAX && !(fs->flags & EXOFS_SCATTER))
		return exofs_dir_add(fs, dir_block(parent), name, EXOFS_E_INLINE,
				     size, crc, 0, EXOFS_T_DATA, data, NULL);
	nind = (uint32_t)((nblk + EXOFS_MAX_REFS - 1) / EXOFS_MAX_REFS);
	if (nind >= EXOFS_MAX_REFS)
		return -EFBIG;
	/* refuse up front what cannot fit: a file half made stays (no rm yet) */
	if (nblk + (nblk > DIRECT_MAX ? nind : 0) > exofs_free_blocks(fs))
		return -ENOSPC;
	blk = block_alloc();
	b = malloc((nblk ? nblk : 1) * sizeof(*b));
	if (!blk || !b) {
		ret = -ENOMEM;
		goto out;
	}
	if (nblk <= DIRECT_MAX) {
		ret = exofs_dir_add(fs, dir_block(parent), name, EXOFS_E_FILE,
				    size, crc, (uint32_t)nblk, EXOFS_T_DATA, NULL, b);
		if (!ret)
			ret = write_data(fs, b, (uint32_t)nblk, p, size, blk);
		goto out;
	}
	ret = exofs_dir_add(fs, dir_block(parent), name, EXOFS_E_FILE_IND,
			    size, crc, nind, EXOFS_T_IND, NULL, ind);
	for (uint32_t k = 0; !ret && k < nind; k++) {
		uint64_t first = (uint64_t)k * EXOFS_MAX_REFS;
		uint32_t n = (uint32_t)(nblk - first < EXOFS_MAX_REFS ?
					nblk - first : EXOFS_MAX_REFS);
		uint32_t *crcs = (uint32_t *)((char *)blk + EXOFS_BODY_OFF);

		/* the indirect block: its data blocks' refs and CRCs */
		memset(blk, 0, EXOFS_BLOCK);
		exofs_set_nrefs(blk, n);
		for (uint32_t i = 0; i < n; i++) {
			uint64_t off = (first + i) * EXOFS_BLOCK;
			size_t len = size - off < EXOFS_BLOCK ? size - off : EXOFS_BLOCK;
			static const uint8_t zero[EXOFS_BLOCK];

			crcs[i] = exofs_crc32c(exofs_crc32c(0, p + off, len),
					       zero, EXOFS_BLOCK - len);
		}
		ret = exofs_update_claiming(fs, ind[k], blk, EXOFS_MAGIC_IND,
					    0, n, EXOFS_T_DATA, ind[k], b + first);
		if (!ret)
			ret = write_data(fs, b + first, n, p + first * EXOFS_BLOCK,
					 size - first * EXOFS_BLOCK, blk);
	}
out:
	free(b);
	free(blk);
	return ret;
}

/* Read data block @b into @blk: 0, or -EBADMSG if exo calls it metadata. */
static int read_data(struct exofs *fs, uint32_t ref, void *blk)
{
	int ret = fs->dev->ops->read(fs->dev, EXOFS_REF_BLOCK(ref), blk);

	fs->dev->reads++;
	if (ret < 0)
		return ret;
	return ret == EXOFS_T_DATA ? 0 : -EBADMSG;
}

static void copy_out(uint8_t *buf, uint64_t size, uint64_t blkno, const void *blk)
{
	uint64_t off = blkno * EXOFS_BLOCK;

	if (off < size)
		memcpy(buf + off, blk, size - off < EXOFS_BLOCK ? size - off : EXOFS_BLOCK);
}

/*
 * Data block @ref, the @blkno-th of the file: straight into @buf's page
 * when @pages and the device can, else through @blk.  @chk: its CRC-32C
 * must be *@chk.  0 or -errno.
 */
static int get_block(struct exofs *fs, uint32_t ref, uint8_t *buf, uint64_t size,
		     uint64_t blkno, int pages, void *blk, const uint32_t *chk)
{
	uint8_t *at = buf + blkno * EXOFS_BLOCK;
	int ret = 1;

	if (blkno * EXOFS_BLOCK >= size)
		return 0;	/* past the size: nothing of it is kept */
	if (pages && fs->dev->ops->read_page) {
		ret = fs->dev->ops->read_page(fs->dev, EXOFS_REF_BLOCK(ref), at);
		fs->dev->reads += ret == 0;
		fs->dev->direct += ret == 0;
		if (!ret && chk && exofs_crc32c(0, at, EXOFS_BLOCK) != *chk)
			return -EILSEQ;
	}
	if (ret <= 0)
		return ret;
	ret = read_data(fs, ref, blk);
	if (!ret && chk && exofs_crc32c(0, blk, EXOFS_BLOCK) != *chk)
		ret = -EILSEQ;
	if (!ret)
		copy_out(buf, size, blkno, blk);
	return ret;
}

static int read_file(struct exofs *fs, const struct exofs_ino *ino, void *buf, int pages);

int exofs_read(struct exofs *fs, const struct exofs_ino *ino, void *buf)
{
	return read_file(fs, ino, buf, 0);
}

int exofs_read_pages(struct exofs *fs, const struct exofs_ino *ino, void *pages)
{
	return read_file(fs, ino, pages, 1);
}

static int read_file(struct exofs *fs, const struct exofs_ino *ino, void *buf, int pages)
{
	void *blk, *ind;
	uint64_t n = 0;
	int ret = 0;

	switch (ino->kind) {
	case EXOFS_E_INLINE:
		memcpy(buf, ino->data, ino->size);
		goto crc;
	case EXOFS_E_FILE:
	case EXOFS_E_FILE_IND:
		break;
	default:
		return -EISDIR;
	}
	blk = block_alloc();
	ind = block_alloc();
	if (!blk || !ind)
		ret = -ENOMEM;
	for (uint32_t i = 0; !ret && i < ino->nref; i++) {
		uint32_t cnt;

		if (ino->kind == EXOFS_E_FILE) {
			ret = get_block(fs, ino->refs[i], buf, ino->size, n++,
					pages, blk, NULL);
			continue;
		}
		ret = exofs_read_meta(fs, EXOFS_REF_BLOCK(ino->refs[i]), EXOFS_T_IND, ind);
		cnt = exofs_nrefs(ind);
		for (uint32_t j = 0; !ret && j < cnt; j++) {
			const uint32_t *crcs = (const uint32_t *)((char *)ind + EXOFS_BODY_OFF);

			ret = get_block(fs, exofs_ref(ind, j), buf, ino->size,
					n++, pages, blk, &crcs[j]);
		}
	}
	if (!ret && n * EXOFS_BLOCK < ino->size)
		ret = -EBADMSG;		/* fewer blocks than the size needs */
	free(blk);
	free(ind);
	if (ret)
		return ret;
crc:
	return exofs_crc32c(0, buf, ino->size) == ino->crc ? 0 : -EILSEQ;
}
