/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exo — the attached block device and its on-disk table, as extent.c
 * (the device, the table, extents) and xn.c (XN: templates, roots,
 * checked metadata updates) both see it.  Nothing else includes this.
 */
#ifndef _EXO_XDEV_H
#define _EXO_XDEV_H

#include <crypto/sha2.h>
#include <linux/blkdev.h>
#include <linux/rwsem.h>

#include "exo_priv.h"

#define EXO_XMAGIC		0x586f7865	/* "exoX" */
/*
 * 2: the written bitmap; 3: XN (the XN bitmap, the root list, the
 * templates' programs and the pending metadata block).
 */
#define EXO_XVERSION		3
#define EXO_XBLK		EXO_EXTENT_BLOCK
#define EXO_XSECTS		(EXO_XBLK >> SECTOR_SHIFT)
#define EXO_XNBLOCKS_MAX	(1ULL << 24)	/* 64 GiB; the rest is unused */
static_assert(EXO_XNBLOCKS_MAX <= U32_MAX);	/* exo_uio.block */
static_assert(EXO_XNBLOCKS_MAX - 1 <= EXO_XN_REF_BLOCK(~0U));

/*
 * A libOS's writes are synchronous I/O, as O_DIRECT writes are: without
 * REQ_SYNC | REQ_IDLE the block layer's writeback throttling takes them for
 * background writeback and caps their queue depth.
 */
#define EXO_XWRITE	(REQ_OP_WRITE | REQ_SYNC | REQ_IDLE)

/* The header block of a copy.  Little-endian. */
struct exo_xsb {
	__le32 magic;
	__le32 version;
	__le32 block_size;
	__le32 meta_blocks;	/* blocks of one copy, header included */
	__le64 nblocks;
	__le64 generation;
	__le64 data_start;
	__le32 bitmap_blocks;
	__le32 princ_max;
	__le32 ext_max;
	__le32 copy;		/* 0 or 1 */
	__le64 next_principal;
	/*
	 * A metadata block whose new contents are in the copy's last block
	 * (0: none): attach writes them to their place before anything else
	 * (XN_UPDATE's redo; xn.c).
	 */
	__le64 xn_pending;
	__le32 body_crc;	/* over the copy's blocks 1 .. meta_blocks - 1 */
	__le32 sb_crc;		/* over this struct, sb_crc taken as 0 */
};

struct exo_xprinc {
	__le64 id;		/* 0: free entry */
	u8 key_hash[SHA256_DIGEST_SIZE];
	__le64 __reserved;
};

struct exo_xrec {
	__le64 start;
	__le64 len;		/* 0: free entry */
	__le64 principal;
};

/* An XN root: a metadata block a principal declared, and its type. */
struct exo_xroot {
	__le64 principal;	/* 0: free entry */
	__le64 block;
	__le32 type;
	__le32 __reserved;
	__le64 __reserved2;
};

/* A template of the table: @len instructions in the program area. */
struct exo_xtmpl {
	__le64 principal;	/* 0: free entry */
	__le32 type;
	__le32 len;
};

/* One classic BPF instruction (struct sock_filter), little-endian. */
struct exo_xinsn {
	__le16 code;
	u8 jt;
	u8 jf;
	__le32 k;
};

#define EXO_XPRINC_BLOCKS \
	DIV_ROUND_UP(EXO_EXTENT_MAX_PRINCIPALS * sizeof(struct exo_xprinc), \
		     EXO_XBLK)
#define EXO_XREC_BLOCKS \
	DIV_ROUND_UP(EXO_EXTENT_MAX_RECORDS * sizeof(struct exo_xrec), \
		     EXO_XBLK)
#define EXO_XROOT_BLOCKS \
	DIV_ROUND_UP(EXO_XN_MAX_ROOTS * sizeof(struct exo_xroot), EXO_XBLK)
#define EXO_XTMPL_BLOCKS \
	DIV_ROUND_UP(EXO_XN_TEMPLATES_MAX * sizeof(struct exo_xtmpl), \
		     EXO_XBLK)
#define EXO_XPROG_BLOCKS \
	DIV_ROUND_UP(EXO_XN_PROG_INSNS * sizeof(struct exo_xinsn), EXO_XBLK)

struct exo_xdev {
	struct kref ref;	/* the attachment, plus one per extent object */
	struct block_device *bdev;	/* NULL once detached */
	char *path;
	bool dead;
	u64 nblocks;
	u64 data_start;
	u64 generation;
	u64 free;
	u32 meta_blocks;
	u32 bitmap_blocks;
	u32 active;		/* copy holding @generation */
	void *meta;		/* image of one copy */
	void *shadow;		/* the last committed image */
	bool older_ok;		/* the other copy: shadow but for prev */
	bool active_ok;		/* the active copy on disk is the shadow */
	bool bcrc_ok;		/* bcrc holds the image's block checksums */
	u32 *bcrc;		/* CRC32C (seed 0) of each block of the image */
	unsigned long *chg;	/* blocks the commit being made changes */
	unsigned long *prev;	/* blocks the last commit changed */
	struct exo_xsb *sb;
	void *bitmap;		/* little-endian bit order */
	void *written;		/* the written bitmap in the image */
	void *xnmap;		/* blocks XN allocated (not in extents) */
	void *wlive;		/* live written bits (atomic bit ops) */
	atomic_t wdirty;	/* wlive has bits the disk does not */
	struct exo_xn_table *xn;	/* XN state (xn.c) */
	struct exo_xprinc *princ;
	struct exo_xrec *rec;
	struct exo_xroot *roots;
	struct exo_xtmpl *tmpl;
	struct exo_xinsn *progs;
	void *pending;		/* the pending metadata block's contents */
	/* counters */
	atomic64_t reads;
	atomic64_t writes;
	atomic64_t bytes_read;
	atomic64_t bytes_written;
	atomic64_t reads_unwritten;	/* answered with zeroes, no I/O */
	atomic64_t errors;
	atomic64_t flushes;
	u64 commits;
	/* Asynchronous I/O in flight (io_uring), waited for by detach... */
	atomic_t inflight;
	/* ...and per extent record, by a free of that extent only. */
	atomic_t rec_inflight[EXO_EXTENT_MAX_RECORDS];
	/* The first block of the extent being freed, or 0.  exo_lock. */
	u64 freeing;
	wait_queue_head_t wq;
	atomic64_t async;
};

/*
 * exo_xsem guards the attached device (exo_xdev) and its table; exo_xtab
 * orders the table's writers, who take it before exo_xsem (for writing):
 * exo_xwrite_lock().  A commit may let readers (I/O) in while it writes
 * (exo_xcommit_shared() in extent.c); no other writer can come in then.
 * Order: exo_xtab -> exo_xsem -> exo_lock.
 */
extern struct mutex exo_xtab;
extern struct rw_semaphore exo_xsem;
extern struct exo_xdev *exo_xdev;

static inline void exo_xwrite_lock(void)
{
	mutex_lock(&exo_xtab);
	down_write(&exo_xsem);
}

static inline void exo_xwrite_unlock(void)
{
	up_write(&exo_xsem);
	mutex_unlock(&exo_xtab);
}

/* extent.c: the table */
void exo_xdev_put(struct exo_xdev *d);
int exo_xcommit(struct exo_xdev *d);
int exo_xrw(struct block_device *bdev, u64 block, void *buf, u32 n,
	    blk_opf_t opf);
int exo_xread_page(struct exo_xdev *d, u64 b, struct page *page);
void exo_xio_zero(struct exo_xdev *d, u64 pfn);
void exo_xmark_written(struct exo_xdev *d, u64 b);
int exo_xsync_written(struct exo_xdev *d);
struct exo_xprinc *exo_xenv_principal(struct exo_env *env,
				      struct exo_xdev *d);
struct exo_xprinc *exo_xprinc_join(struct exo_env *env, struct exo_xdev *d,
				   bool *new_key);
void exo_xprinc_leave(struct exo_env *env, bool new_key);
void exo_xprinc_gc(struct exo_xdev *d);

/* xn.c: XN state of a device, kept with the table */
int exo_xn_table_init(struct exo_xdev *d);
void exo_xn_table_store(struct exo_xdev *d);
void exo_xn_table_touch(struct exo_xdev *d);
int exo_xn_attach(struct exo_xdev *d);
int exo_xn_check_image(struct exo_xdev *d, unsigned long *seen);
bool exo_xn_principal_holds(struct exo_xdev *d, __le64 id);
u64 exo_xn_walk_check(struct exo_xdev *d, struct seq_file *m);
void exo_xn_show(struct exo_xdev *d, struct seq_file *m);
int exo_xn_owned_type(struct exo_xdev *d, u64 p, u64 b);

/* xn_share.c: subtree capabilities */
void exo_xn_subtree_gone(struct exo_xdev *d, u64 b);
int exo_xn_subtree_get(struct exo_env *env, exo_cap_t h, u32 need,
		       struct exo_xdev *d, u64 *principal, u64 *top);

#endif /* _EXO_XDEV_H */
