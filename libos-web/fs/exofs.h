/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * exofs.h — the exofs library: a file system on exo's XN (format.h says
 * what is on the disk).  The block layer is a table of operations so the
 * pure logic runs on the host against a file-backed stand-in
 * (test/host/exofs_fake.c) and in the guest against /dev/exo (dev_exo.c).
 */
#ifndef EXOFS_H
#define EXOFS_H

#include <stdint.h>
#include <stdio.h>

#include "format.h"

/* A claimed reference: the same shape as struct exo_xn_ref. */
struct exofs_claim {
	uint64_t block;
	uint32_t type;
	uint32_t reserved;
};

struct exofs_dev;
struct exofs_dev_ops {
	/* Read @block into @buf: its XN type, or -errno (-EACCES: not ours). */
	int (*read)(struct exofs_dev *, uint64_t block, void *buf);
	/* A checked metadata update (EXO_IOC_XN_UPDATE): 0 or -errno. */
	int (*update)(struct exofs_dev *, uint64_t block, const void *buf,
		      const struct exofs_claim *add, uint32_t nadd,
		      const struct exofs_claim *rel, uint32_t nrel);
	/* Write data block @block (EXO_IOC_XN_WRITE): 0 or -errno. */
	int (*write)(struct exofs_dev *, uint64_t block, const void *buf);
	/* Declare a root of @type at a free block (EXO_IOC_XN_ROOT). */
	int (*root)(struct exofs_dev *, uint32_t type, uint64_t *block);
	/* Make every write so far durable: 0 or -errno. */
	int (*sync)(struct exofs_dev *);
	/*
	 * Optional: read data block @block straight into the page @page
	 * (no copy: dev_exo.c reads into the frame bound there).  0, 1 if
	 * @page cannot be read into (then exofs reads and copies), or -errno.
	 */
	int (*read_page)(struct exofs_dev *, uint64_t block, void *page);
};

struct exofs_dev {
	const struct exofs_dev_ops *ops;
	uint64_t nblocks;	/* blocks on the device */
	uint64_t first;		/* first block XN may hand out */
	uint64_t reads, updates, writes;	/* calls made */
	uint64_t direct;	/* reads of them straight into the caller's pages */
};

/* A file system opened on a device at its superblock. */
struct exofs {
	struct exofs_dev *dev;
	uint64_t super;
	uint64_t root;		/* the root directory's first block */
	uint32_t flags;		/* EXOFS_SCATTER */
	uint8_t *map;		/* a bit per block: ours, or found taken */
	uint64_t rand;		/* the scatter policy's state */
	uint64_t mkfs_time;	/* the superblock's, in seconds */
};

/* An inode, as its directory entry holds it. */
struct exofs_ino {
	uint8_t kind;		/* EXOFS_E_* */
	uint64_t size;
	uint32_t crc;
	uint64_t dir;		/* the directory block that holds the entry */
	uint32_t nref;
	uint32_t refs[EXOFS_MAX_REFS];	/* EXOFS_REF words of its slice */
	uint8_t data[EXOFS_INLINE_MAX];	/* EXOFS_E_INLINE */
};

/* Read metadata block @block of @type and check it (format.c). */
int exofs_read_meta(struct exofs *fs, uint64_t block, uint32_t type, void *buf);

/* ---- mkfs, open (inode.c) ---- */

/* Make a file system: a root superblock and an empty root directory. */
int exofs_mkfs(struct exofs_dev *dev, uint32_t flags, uint64_t *super);
/* Open the file system at @super: reads it and marks its blocks. */
int exofs_open(struct exofs *fs, struct exofs_dev *dev, uint64_t super);
void exofs_close(struct exofs *fs);

/* ---- allocation policy (alloc.c) ---- */

/*
 * Pick @n blocks XN may hand out, near @near (grouped: a run right after
 * it if one is free) or anywhere (EXOFS_SCATTER), marked taken.  0 or
 * -ENOSPC.
 */
int exofs_alloc(struct exofs *fs, uint64_t near, uint32_t n, uint64_t *out);
/* Give back blocks exofs_alloc() picked; @taken: exo refused them (EBUSY). */
void exofs_alloc_undo(struct exofs *fs, const uint64_t *b, uint32_t n, int taken);
void exofs_mark(struct exofs *fs, uint64_t block);
/* Blocks neither ours nor known taken: an upper bound of what may be had. */
uint64_t exofs_free_blocks(const struct exofs *fs);
/*
 * One checked update of metadata block @block to @new (sealed here with
 * @magic), claiming @nnew fresh blocks of @rtype picked near @near, whose
 * refs go to slots [@slot, @slot + @nnew) of @new (numbers to @out).
 * exo refuses a pick another principal holds (EBUSY): pick again, a
 * bounded number of times.  0 or -errno.
 */
int exofs_update_claiming(struct exofs *fs, uint64_t block, void *new,
			  uint32_t magic, uint32_t slot, uint32_t nnew,
			  uint32_t rtype, uint64_t near, uint64_t *out);
int exofs_marked(const struct exofs *fs, uint64_t block);

/* ---- directories (dir.c) ---- */

/* Find @name in the directory at @dir: 0 and *@ino, or -ENOENT. */
int exofs_dir_lookup(struct exofs *fs, uint64_t dir, const char *name,
		     struct exofs_ino *ino);
/*
 * Add entry @name of @kind to the directory at @dir, with @nnew new
 * blocks of type @rtype claimed for its slice (their numbers to @out),
 * and @len inline bytes @data.  Returns 0, -EEXIST, -ENAMETOOLONG,
 * -ENOSPC or another -errno.
 */
int exofs_dir_add(struct exofs *fs, uint64_t dir, const char *name,
		  uint8_t kind, uint64_t size, uint32_t crc, uint32_t nnew,
		  uint32_t rtype, const void *data, uint64_t *out);
/* Call @fn for each entry of the directory at @dir; stops at non-zero. */
int exofs_dir_each(struct exofs *fs, uint64_t dir,
		   int (*fn)(void *ctx, const char *name, const struct exofs_ino *),
		   void *ctx);

/* ---- files and paths (inode.c) ---- */

/* Resolve an absolute path ("/", "/a/b"): 0 and *@ino, or -errno. */
int exofs_lookup(struct exofs *fs, const char *path, struct exofs_ino *ino);
/* The root directory as an inode. */
void exofs_root_ino(const struct exofs *fs, struct exofs_ino *ino);
/* Create directory @name in the directory @parent (an EXOFS_E_DIR ino). */
int exofs_mkdir(struct exofs *fs, const struct exofs_ino *parent, const char *name);
/* Create file @name of @size bytes @data in @parent. */
int exofs_create(struct exofs *fs, const struct exofs_ino *parent,
		 const char *name, const void *data, uint64_t size);
/*
 * Read file @ino whole into @buf (@ino->size bytes), checking its CRC;
 * 0, or -errno (-EILSEQ: the bytes do not match the CRC).
 */
int exofs_read(struct exofs *fs, const struct exofs_ino *ino, void *buf);

/*
 * exofs_read() into @pages: page-aligned, with room for the size rounded
 * up to whole blocks; data blocks go straight into them where the device
 * can (read_page), so a file is read without a copy.
 */
int exofs_read_pages(struct exofs *fs, const struct exofs_ino *ino, void *pages);

/* ---- fsck (fsck.c) ---- */

/*
 * Walk the tree from the superblock: every metadata block checked, every
 * block reached once and of the type exo says, every file's bytes
 * matching its CRC.  Problems are printed to @out.  Returns the number
 * of problems (0: clean), the blocks reached in *@blocks.
 */
long exofs_fsck(struct exofs *fs, FILE *out, uint64_t *blocks);

#endif
