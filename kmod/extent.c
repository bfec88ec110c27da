// SPDX-License-Identifier: GPL-2.0
/*
 * exo — raw disk extents: the attached block device, its on-disk table of
 * owners, extent capabilities and block I/O straight into owned frames.
 *
 * One device at a time.  Its table (see the drawing in uapi/linux/exo.h)
 * is kept in memory exactly as it sits on disk: one vmalloc()ed image of a
 * copy (header, bitmap, principals, extent records), so an update edits the
 * image and writes it to the older copy: the body blocks that differ from
 * what that copy holds (what this commit and the last one changed; all of
 * them when it is unknown), then the header with REQ_PREFLUSH | REQ_FUA,
 * so the header of the new generation can only be durable after its body.  A
 * failed write restores the image from a shadow of the last committed one;
 * the copy on disk that was being written is then invalid (its body
 * checksum no longer holds) and the other one, untouched, still carries
 * the table.
 *
 * Checksums are CRC32C (Castagnoli) computed with __crc32c_le() from
 * vmlinux rather than crc32c() from libcrc32c: the same function, but the
 * module then loads with plain insmod, without libcrc32c loaded first.
 *
 * No data crosses principals.  Freed blocks are not scrubbed and an
 * allocation hands them out as they are, so exo must never let a new
 * owner read what a previous one left: the table keeps, beside the
 * allocation bitmap, a *written* bitmap, and a block whose bit is clear
 * reads as zeroes without touching the device (ext4's unwritten extents).
 * Allocation and free clear the bits of their range, so the cost is one
 * bit per block per allocation and nothing per byte.  A bit is set when a
 * write to the block completes, in a live copy (d->wlive, set with atomic
 * bit operations from the completion), and reaches the disk with the next
 * table commit, masked by the allocation bitmap.  A set bit may only be
 * durable once the data it vouches for is: the commit's header goes out
 * with REQ_PREFLUSH, which makes every write completed before it durable,
 * and only bits of completed writes are in the image.  A crash before the
 * commit loses the bit, never the secret: the block then reads as zeroes.
 * For a libOS's own durability, a flush (EXO_IO_FLUSH, EXTENT_FLUSH) or a
 * FUA write commits the table first when bits are pending, so what it has
 * made durable also reads back after a crash.
 *
 * Locking: exo_xsem guards the attached device and its table.  Table
 * updates (attach, detach, alloc, free, reclaim, XN) take exo_xtab and
 * then exo_xsem for writing (exo_xwrite_lock()); synchronous I/O takes
 * exo_xsem for reading across submission and completion, so a detach
 * waits for the I/O in flight.  An extent alloc or free does not keep the
 * other envs' I/O out while its commit writes the table and flushes
 * (exo_xcommit_shared(): exo_xsem downgraded to reading, exo_xtab keeping
 * every other writer out), and a free waits only for the asynchronous I/O
 * on its own extent (d->rec_inflight[], its record's count), after
 * refusing new I/O on it (d->freeing).  Order: exo_xtab -> exo_xsem ->
 * exo_lock.  Extent objects point at their device (a reference); the
 * device's bdev is released at detach, the struct when the last extent
 * object dies.
 */
#include <crypto/algapi.h>
#include <crypto/sha2.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/capability.h>
#include <linux/crc32.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/rwsem.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "xdev.h"

static char *exo_extent_devpath;
module_param_named(extent_dev, exo_extent_devpath, charp, 0444);
MODULE_PARM_DESC(extent_dev, "Block device to attach at load time (never formatted; default none)");

unsigned int exo_extent_quota = 1024;
module_param_named(extent_quota, exo_extent_quota, uint, 0644);
MODULE_PARM_DESC(extent_quota, "Extent capabilities made by alloc/reclaim per env (applies to new envs; default 1024)");

struct exo_extent {
	struct exo_obj obj;
	struct exo_xdev *dev;
	u64 start;
	u64 len;
	u32 rec;		/* index of its record in dev->rec[] */
};

DEFINE_MUTEX(exo_xtab);
DECLARE_RWSEM(exo_xsem);
struct exo_xdev *exo_xdev;

static u32 exo_xcrc(const void *p, size_t len)
{
	return __crc32c_le(~0U, p, len) ^ ~0U;
}

/* ---- the device and its table ------------------------------------------- */

static void exo_xdev_free(struct kref *ref)
{
	struct exo_xdev *d = container_of(ref, struct exo_xdev, ref);

	WARN_ON_ONCE(d->bdev);
	vfree(d->meta);
	vfree(d->shadow);
	kvfree(d->bcrc);
	bitmap_free(d->chg);
	bitmap_free(d->prev);
	vfree(d->wlive);
	exo_xn_table_free(d->xn);
	kfree(d->path);
	kfree(d);
}

/* Drop a reference taken on @d (it outlives its attachment). */
void exo_xdev_put(struct exo_xdev *d)
{
	kref_put(&d->ref, exo_xdev_free);
}

/* Lay the table of a device of @nblocks blocks out in a fresh @d. */
static int exo_xdev_layout(struct exo_xdev *d, u64 nblocks)
{
	size_t size;

	d->nblocks = min(nblocks, EXO_XNBLOCKS_MAX);
	d->bitmap_blocks = DIV_ROUND_UP(d->nblocks, EXO_XBLK * 8);
	d->meta_blocks = 1 + 3 * d->bitmap_blocks + EXO_XPRINC_BLOCKS +
			 EXO_XREC_BLOCKS + EXO_XROOT_BLOCKS +
			 EXO_XTMPL_BLOCKS + EXO_XPROG_BLOCKS + 1;
	d->data_start = 1 + 2 * (u64)d->meta_blocks;
	if (d->nblocks <= d->data_start)
		return -EINVAL;
	size = (size_t)d->meta_blocks * EXO_XBLK;
	d->meta = vzalloc(size);
	d->shadow = vzalloc(size);
	d->bcrc = kvcalloc(d->meta_blocks, sizeof(*d->bcrc), GFP_KERNEL);
	d->chg = bitmap_zalloc(d->meta_blocks, GFP_KERNEL);
	d->prev = bitmap_zalloc(d->meta_blocks, GFP_KERNEL);
	d->wlive = vzalloc((size_t)d->bitmap_blocks * EXO_XBLK);
	if (!d->meta || !d->shadow || !d->bcrc || !d->chg ||
	    !d->prev || !d->wlive || exo_xn_table_init(d))
		return -ENOMEM;
	d->sb = d->meta;
	d->bitmap = d->meta + EXO_XBLK;
	d->written = d->bitmap + (size_t)d->bitmap_blocks * EXO_XBLK;
	d->xnmap = d->written + (size_t)d->bitmap_blocks * EXO_XBLK;
	d->princ = d->xnmap + (size_t)d->bitmap_blocks * EXO_XBLK;
	d->rec = (void *)d->princ + EXO_XPRINC_BLOCKS * EXO_XBLK;
	d->roots = (void *)d->rec + EXO_XREC_BLOCKS * EXO_XBLK;
	d->tmpl = (void *)d->roots + EXO_XROOT_BLOCKS * EXO_XBLK;
	d->progs = (void *)d->tmpl + EXO_XTMPL_BLOCKS * EXO_XBLK;
	d->pending = (void *)d->progs + EXO_XPROG_BLOCKS * EXO_XBLK;
	return 0;
}

static u64 exo_xcopy_block(struct exo_xdev *d, u32 copy)
{
	return 1 + (u64)copy * d->meta_blocks;
}

/* Read or write @n blocks at @block from/to the vmalloc()ed @buf. */
int exo_xrw(struct block_device *bdev, u64 block, void *buf, u32 n,
		   blk_opf_t opf)
{
	while (n) {
		u32 k = min_t(u32, n, BIO_MAX_VECS), i;
		struct bio *bio;
		int ret;

		bio = bio_alloc(bdev, k, opf, GFP_KERNEL);
		bio->bi_iter.bi_sector = block * EXO_XSECTS;
		for (i = 0; i < k; i++)
			__bio_add_page(bio, vmalloc_to_page(buf + i * EXO_XBLK),
				       EXO_XBLK, 0);
		ret = submit_bio_wait(bio);
		bio_put(bio);
		if (ret)
			return ret;
		block += k;
		buf += (size_t)k * EXO_XBLK;
		n -= k;
	}
	return 0;
}

/* Bits in one bitmap of the table (a whole number of blocks). */
static unsigned int exo_xbits(struct exo_xdev *d)
{
	return d->bitmap_blocks * EXO_XBLK * 8;
}

/* Has block @b been written since it was allocated?  Any context. */
static bool exo_xwritten(struct exo_xdev *d, u64 b)
{
	return test_bit_le(b, d->wlive);
}

/* A write to block @b completed: from now on it reads from the device. */
void exo_xmark_written(struct exo_xdev *d, u64 b)
{
	if (!test_and_set_bit_le(b, d->wlive))
		atomic_set(&d->wdirty, 1);
}

static u64 exo_xcount_free(struct exo_xdev *d)
{
	u64 used = 0, b = 0;

	while ((b = find_next_bit_le(d->bitmap, d->nblocks, b)) < d->nblocks) {
		used++;
		b++;
	}
	return d->nblocks - used;
}

static void *exo_xblk(void *image, u32 i)
{
	return image + (size_t)i * EXO_XBLK;
}

/*
 * The body's checksum, from one per block: the blocks the commit changes
 * (those that differ from the shadow, into d->chg) are checksummed again,
 * the others keep theirs, and the checksums are combined.  The cost of a
 * commit then follows what it changes, not the size of the table.
 */
static u32 exo_xbody_crc(struct exo_xdev *d)
{
	u32 crc = ~0U, i;

	bitmap_zero(d->chg, d->meta_blocks);
	for (i = 1; i < d->meta_blocks; i++) {
		if (memcmp(exo_xblk(d->meta, i), exo_xblk(d->shadow, i),
			   EXO_XBLK))
			__set_bit(i, d->chg);
		if (test_bit(i, d->chg) || !d->bcrc_ok)
			d->bcrc[i] = __crc32c_le(0, exo_xblk(d->meta, i),
						 EXO_XBLK);
		crc = __crc32c_le_shift(crc, EXO_XBLK) ^ d->bcrc[i];
	}
	d->bcrc_ok = true;
	return crc ^ ~0U;
}

/*
 * Fill the header and the checksums of the image for the older copy, as
 * generation + 1.  exo_xsem held for writing, or for reading under
 * exo_xtab (exo_xcommit_shared()).
 */
static void exo_xcommit_prepare(struct exo_xdev *d, u32 copy)
{
	struct exo_xsb *sb = d->sb;

	sb->magic = cpu_to_le32(EXO_XMAGIC);
	sb->version = cpu_to_le32(EXO_XVERSION);
	sb->block_size = cpu_to_le32(EXO_XBLK);
	sb->meta_blocks = cpu_to_le32(d->meta_blocks);
	sb->nblocks = cpu_to_le64(d->nblocks);
	sb->generation = cpu_to_le64(d->generation + 1);
	sb->data_start = cpu_to_le64(d->data_start);
	sb->bitmap_blocks = cpu_to_le32(d->bitmap_blocks);
	sb->princ_max = cpu_to_le32(EXO_EXTENT_MAX_PRINCIPALS);
	sb->ext_max = cpu_to_le32(EXO_EXTENT_MAX_RECORDS);
	sb->copy = cpu_to_le32(copy);
	/*
	 * Bits of writes completed by now, masked by the allocation: a bit
	 * set after this is in the next commit (wdirty says so).
	 */
	atomic_set(&d->wdirty, 0);
	bitmap_and(d->written, d->wlive, d->bitmap, exo_xbits(d));
	exo_xn_table_store(d);
	sb->body_crc = cpu_to_le32(exo_xbody_crc(d));
	sb->sb_crc = 0;
	sb->sb_crc = cpu_to_le32(exo_xcrc(sb, sizeof(*sb)));
}

/*
 * Does body block @i of the image differ from the older copy's?  That
 * copy is the shadow as it was before the last commit: it differs in what
 * this commit changes and in what the last one did.
 */
static bool exo_xblock_changed(struct exo_xdev *d, u32 i)
{
	return !d->older_ok || test_bit(i, d->chg) || test_bit(i, d->prev);
}

/*
 * Write the prepared image: the body blocks that changed since the copy
 * was last written, in runs, then the header with a flush.
 */
static int exo_xcommit_write(struct exo_xdev *d, u32 copy)
{
	u64 block = exo_xcopy_block(d, copy);
	u32 i = 1, n;
	int ret = 0;

	while (!ret && i < d->meta_blocks) {
		if (!exo_xblock_changed(d, i)) {
			i++;
			continue;
		}
		for (n = 1; i + n < d->meta_blocks &&
			    exo_xblock_changed(d, i + n); n++)
			;
		ret = exo_xrw(d->bdev, block + i, exo_xblk(d->meta, i), n,
			      REQ_OP_WRITE);
		i += n;
	}
	if (!ret)
		ret = exo_xrw(d->bdev, block, d->meta, 1,
			      REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA);
	return ret;
}

/*
 * After the writes (@ret): the new generation, or on failure the image
 * back to the last committed table.  exo_xsem held for writing, or for
 * reading under exo_xtab on success (exo_xcommit_shared()).
 */
static int exo_xcommit_finish(struct exo_xdev *d, u32 copy, int ret)
{
	size_t size = (size_t)d->meta_blocks * EXO_XBLK;
	u32 i;

	if (ret) {
		memcpy(d->meta, d->shadow, size);
		d->bcrc_ok = false;
		d->older_ok = false;	/* written in part */
		exo_xn_table_touch(d);
		d->free = exo_xcount_free(d);
		atomic_set(&d->wdirty, 1);
		atomic64_inc(&d->errors);
		return -EIO;
	}
	/*
	 * The copy written last is the older one now, holding the shadow as
	 * it is before this commit: known if the shadow was on disk.  The
	 * shadow then takes what this commit changed.
	 */
	d->older_ok = d->active_ok;
	memcpy(d->shadow, d->meta, EXO_XBLK);
	for_each_set_bit(i, d->chg, d->meta_blocks)
		memcpy(exo_xblk(d->shadow, i), exo_xblk(d->meta, i), EXO_XBLK);
	bitmap_copy(d->prev, d->chg, d->meta_blocks);
	d->active_ok = true;
	d->generation++;
	d->active = copy;
	d->commits++;
	return 0;
}

/*
 * Write the image to the older copy as generation + 1.  On failure the
 * image goes back to the last committed table and nothing changed.
 * exo_xsem held for writing throughout.
 */
int exo_xcommit(struct exo_xdev *d)
{
	u32 copy = d->active ^ 1;

	lockdep_assert_held_write(&exo_xsem);
	exo_xcommit_prepare(d, copy);
	return exo_xcommit_finish(d, copy, exo_xcommit_write(d, copy));
}

/*
 * exo_xcommit() that lets readers in while it checksums, writes and
 * flushes: I/O of other extents goes on meanwhile.  Called with
 * exo_xwrite_lock(), which it holds again on return.  While exo_xsem is
 * only read-held, exo_xtab keeps every other table writer out (they take
 * it first), so the image changes only here and the device stays
 * attached.  Readers may see the table being committed (a free's extent
 * refuses I/O meanwhile: d->freeing; debugfs check takes exo_xtab); none
 * reads the header, the checksums or the shadow, which only table writers
 * use.  A failed write is undone under exo_xsem for writing, so no reader
 * sees the image going back.  Lockdep: exo_xsem is downgraded, then
 * released and taken again for writing with only exo_xtab held, the order
 * every writer uses.
 */
static int exo_xcommit_shared(struct exo_xdev *d)
{
	u32 copy = d->active ^ 1;
	int ret;

	lockdep_assert_held(&exo_xtab);
	lockdep_assert_held_write(&exo_xsem);
	downgrade_write(&exo_xsem);
	exo_xcommit_prepare(d, copy);
	ret = exo_xcommit_write(d, copy);
	if (!ret)
		ret = exo_xcommit_finish(d, copy, 0);
	up_read(&exo_xsem);
	down_write(&exo_xsem);
	return ret ? exo_xcommit_finish(d, copy, ret) : 0;
}

/* Does the image in d->meta hold a consistent table?  0 or -EUCLEAN. */
static int exo_xcheck(struct exo_xdev *d)
{
	unsigned long *seen;
	u32 i, j;
	int ret = -EUCLEAN;

	seen = bitmap_zalloc(d->bitmap_blocks * EXO_XBLK * 8, GFP_KERNEL);
	if (!seen)
		return -ENOMEM;
	for (i = 0; i < d->data_start; i++)
		__set_bit_le(i, seen);
	for (i = 0; i < EXO_EXTENT_MAX_RECORDS; i++) {
		u64 start = le64_to_cpu(d->rec[i].start);
		u64 len = le64_to_cpu(d->rec[i].len), end, b;
		u64 owner = le64_to_cpu(d->rec[i].principal);
		bool found = false;

		if (!len)
			continue;
		if (check_add_overflow(start, len, &end) ||
		    start < d->data_start || end > d->nblocks)
			goto out;
		for (j = 0; j < EXO_EXTENT_MAX_PRINCIPALS && !found; j++)
			found = owner && le64_to_cpu(d->princ[j].id) == owner;
		if (!found)
			goto out;
		for (b = start; b < end; b++)
			if (__test_and_set_bit_le(b, seen))
				goto out;
	}
	/* XN's blocks, outside every extent; its roots and templates. */
	if (exo_xn_check_image(d, seen))
		goto out;
	if (memcmp(seen, d->bitmap, (size_t)d->bitmap_blocks * EXO_XBLK))
		goto out;
	/* Only an allocated block can have been written by its owner. */
	if (!bitmap_subset(d->written, d->bitmap, exo_xbits(d)))
		goto out;
	ret = 0;
out:
	bitmap_free(seen);
	return ret;
}

/*
 * Read copy @copy into d->meta and check it.  Returns 0, -ENODATA if the
 * copy has no magic, -EUCLEAN if it is damaged, or an I/O error.
 */
static int exo_xload_copy(struct exo_xdev *d, u32 copy, u64 *gen)
{
	size_t size = (size_t)d->meta_blocks * EXO_XBLK;
	struct exo_xsb *sb = d->sb;
	u32 crc;
	int ret;

	ret = exo_xrw(d->bdev, exo_xcopy_block(d, copy), d->meta, 1,
		      REQ_OP_READ);
	if (ret)
		return ret;
	if (le32_to_cpu(sb->magic) != EXO_XMAGIC)
		return -ENODATA;
	/* Older tables are refused, never upgraded: their layout differs. */
	if (le32_to_cpu(sb->version) != EXO_XVERSION) {
		pr_warn("exo: %s: copy %u holds a table of version %u; this exo reads version %u only: format the device again\n",
			d->path, copy, le32_to_cpu(sb->version), EXO_XVERSION);
		return -EUCLEAN;
	}
	crc = le32_to_cpu(sb->sb_crc);
	sb->sb_crc = 0;
	if (exo_xcrc(sb, sizeof(*sb)) != crc ||
	    le32_to_cpu(sb->block_size) != EXO_XBLK ||
	    le64_to_cpu(sb->nblocks) != d->nblocks ||
	    le32_to_cpu(sb->meta_blocks) != d->meta_blocks ||
	    le32_to_cpu(sb->bitmap_blocks) != d->bitmap_blocks ||
	    le64_to_cpu(sb->data_start) != d->data_start ||
	    le32_to_cpu(sb->princ_max) != EXO_EXTENT_MAX_PRINCIPALS ||
	    le32_to_cpu(sb->ext_max) != EXO_EXTENT_MAX_RECORDS ||
	    le32_to_cpu(sb->copy) != copy)
		return -EUCLEAN;
	ret = exo_xrw(d->bdev, exo_xcopy_block(d, copy) + 1, d->meta + EXO_XBLK,
		      d->meta_blocks - 1, REQ_OP_READ);
	if (ret)
		return ret;
	if (exo_xcrc(d->meta + EXO_XBLK, size - EXO_XBLK) !=
	    le32_to_cpu(sb->body_crc))
		return -EUCLEAN;
	ret = exo_xcheck(d);
	if (ret)
		return ret;
	*gen = le64_to_cpu(sb->generation);
	return 0;
}

/* Load the newest consistent copy. */
static int exo_xload(struct exo_xdev *d)
{
	size_t size = (size_t)d->meta_blocks * EXO_XBLK;
	u64 gen[2] = { 0, 0 };
	int ret[2], best;

	ret[0] = exo_xload_copy(d, 0, &gen[0]);
	if (!ret[0])
		memcpy(d->shadow, d->meta, size);
	ret[1] = exo_xload_copy(d, 1, &gen[1]);
	if (ret[0] == -ENODATA && ret[1] == -ENODATA)
		return -EINVAL;		/* never formatted */
	if (ret[0] && ret[1])
		return ret[0] == -EIO || ret[1] == -EIO ? -EIO : -EUCLEAN;
	best = ret[0] ? 1 : ret[1] ? 0 : gen[1] > gen[0];
	if (best == 0)
		memcpy(d->meta, d->shadow, size);
	else
		memcpy(d->shadow, d->meta, size);
	d->active = best;
	d->active_ok = true;
	d->older_ok = false;
	d->bcrc_ok = false;
	d->generation = gen[best];
	d->free = exo_xcount_free(d);
	memcpy(d->wlive, d->written, (size_t)d->bitmap_blocks * EXO_XBLK);
	return 0;
}

/* A fresh table: both copies, the first one valid before the second. */
static int exo_xformat(struct exo_xdev *d)
{
	u64 b;
	int ret;

	memset(d->meta, 0, (size_t)d->meta_blocks * EXO_XBLK);
	/* neither copy on disk is known: both are written whole */
	d->older_ok = false;
	d->active_ok = false;
	d->bcrc_ok = false;
	/* Kill any older table's copy 1 first: it might carry a higher gen. */
	ret = exo_xrw(d->bdev, exo_xcopy_block(d, 1), d->meta, 1,
		      REQ_OP_WRITE | REQ_FUA);
	if (ret)
		return -EIO;
	for (b = 0; b < d->data_start; b++)
		__set_bit_le(b, d->bitmap);
	d->sb->next_principal = cpu_to_le64(1);
	d->generation = 0;
	d->active = 1;
	memcpy(d->shadow, d->meta, (size_t)d->meta_blocks * EXO_XBLK);
	ret = exo_xcommit(d);
	if (!ret)
		ret = exo_xcommit(d);
	d->free = exo_xcount_free(d);
	return ret;
}

static void exo_xstat(struct exo_xdev *d, struct exo_extent_stat *st)
{
	st->nblocks = d->nblocks;
	st->data_start = d->data_start;
	st->free = d->free;
	st->generation = d->generation;
}

/* Open, check or format, and attach.  Called with exo_xsem held. */
static int exo_xattach(const char *path, bool format,
		       struct exo_extent_stat *st)
{
	struct block_device *bdev;
	struct exo_xdev *d;
	int ret;

	if (exo_xdev)
		return -EBUSY;
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	kref_init(&d->ref);
	init_waitqueue_head(&d->wq);
	d->path = kstrdup(path, GFP_KERNEL);
	if (!d->path) {
		ret = -ENOMEM;
		goto err_free;
	}
	bdev = blkdev_get_by_path(path, FMODE_READ | FMODE_WRITE | FMODE_EXCL,
				  &exo_xdev);
	if (IS_ERR(bdev)) {
		ret = PTR_ERR(bdev);
		goto err_free;
	}
	d->bdev = bdev;
	ret = -EINVAL;
	if (bdev_logical_block_size(bdev) > EXO_XBLK)
		goto err_put;
	ret = exo_xdev_layout(d, bdev_nr_sectors(bdev) / EXO_XSECTS);
	if (ret)
		goto err_put;
	ret = format ? exo_xformat(d) : exo_xload(d);
	if (!ret && !format)
		ret = exo_xn_attach(d);
	if (ret)
		goto err_put;
	exo_xstat(d, st);
	exo_xdev = d;
	pr_info("exo: attached %s: %llu blocks, %llu free, generation %llu\n",
		path, d->nblocks, d->free, d->generation);
	return 0;

err_put:
	blkdev_put(bdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
	d->bdev = NULL;
err_free:
	kref_put(&d->ref, exo_xdev_free);
	return ret;
}

/* Called with exo_xsem held for writing: no I/O is in flight. */
static void exo_xdetach(void)
{
	struct exo_xdev *d = exo_xdev;

	mutex_lock(&exo_lock);
	d->dead = true;
	exo_xdev = NULL;
	mutex_unlock(&exo_lock);
	wait_event(d->wq, !atomic_read(&d->inflight));
	/* A clean detach keeps every completed write readable. */
	if (atomic_read(&d->wdirty) && exo_xcommit(d))
		pr_warn("exo: %s: written blocks not recorded at detach; they read as zeroes\n",
			d->path);
	blkdev_put(d->bdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
	d->bdev = NULL;
	pr_info("exo: detached %s\n", d->path);
	mutex_lock(&exo_lock);
	kref_put(&d->ref, exo_xdev_free);
	mutex_unlock(&exo_lock);
}

/* ---- principals and records --------------------------------------------- */

static void exo_xkey_hash(const struct exo_key *key, u8 *hash)
{
	sha256((const u8 *)key, sizeof(*key), hash);
}

static struct exo_xprinc *exo_xprinc_find(struct exo_xdev *d,
					  const struct exo_key *key)
{
	u8 hash[SHA256_DIGEST_SIZE];
	u32 i;

	exo_xkey_hash(key, hash);
	for (i = 0; i < EXO_EXTENT_MAX_PRINCIPALS; i++)
		if (d->princ[i].id &&
		    !crypto_memneq(d->princ[i].key_hash, hash, sizeof(hash)))
			return &d->princ[i];
	return NULL;
}

static struct exo_xprinc *exo_xprinc_add(struct exo_xdev *d,
					 const struct exo_key *key)
{
	u64 id = le64_to_cpu(d->sb->next_principal);
	u32 i;

	for (i = 0; i < EXO_EXTENT_MAX_PRINCIPALS; i++) {
		if (d->princ[i].id)
			continue;
		d->princ[i].id = cpu_to_le64(id);
		exo_xkey_hash(key, d->princ[i].key_hash);
		d->sb->next_principal = cpu_to_le64(id + 1);
		return &d->princ[i];
	}
	return NULL;
}

/* The env's principal on @d, or NULL.  exo_xsem held. */
struct exo_xprinc *exo_xenv_principal(struct exo_env *env, struct exo_xdev *d)
{
	return env->xkey_set ? exo_xprinc_find(d, &env->xkey) : NULL;
}

/*
 * The env's principal on @d, made (in the image, committed with the
 * caller's update) if it has none yet: with a fresh key if the env never
 * had one (*@new_key set; exo_xprinc_leave() forgets it if the update
 * fails).  NULL if the principal table is full.  exo_xsem held for
 * writing.
 */
struct exo_xprinc *exo_xprinc_join(struct exo_env *env, struct exo_xdev *d,
				   bool *new_key)
{
	struct exo_xprinc *p;

	*new_key = false;
	if (!env->xkey_set) {
		get_random_bytes(&env->xkey, sizeof(env->xkey));
		env->xkey_set = true;
		*new_key = true;
	}
	p = exo_xprinc_find(d, &env->xkey);
	if (!p)
		p = exo_xprinc_add(d, &env->xkey);
	return p;
}

/* An update that made the env's key failed: the env has none again. */
void exo_xprinc_leave(struct exo_env *env, bool new_key)
{
	if (!new_key)
		return;
	memzero_explicit(&env->xkey, sizeof(env->xkey));
	env->xkey_set = false;
}

/* Forget principals that own nothing (no extent, no XN root). */
void exo_xprinc_gc(struct exo_xdev *d)
{
	u32 i, j;

	for (i = 0; i < EXO_EXTENT_MAX_PRINCIPALS; i++) {
		bool owns = false;

		if (!d->princ[i].id)
			continue;
		for (j = 0; j < EXO_EXTENT_MAX_RECORDS && !owns; j++)
			owns = d->rec[j].len &&
			       d->rec[j].principal == d->princ[i].id;
		if (owns || exo_xn_principal_holds(d, d->princ[i].id))
			continue;
		exo_xn_table_forget(d->xn, le64_to_cpu(d->princ[i].id));
		memset(&d->princ[i], 0, sizeof(d->princ[i]));
	}
}

static struct exo_xrec *exo_xrec_find(struct exo_xdev *d, u64 start)
{
	u32 i;

	for (i = 0; i < EXO_EXTENT_MAX_RECORDS; i++)
		if (d->rec[i].len && le64_to_cpu(d->rec[i].start) == start)
			return &d->rec[i];
	return NULL;
}

static bool exo_xrange_free(struct exo_xdev *d, u64 start, u64 count)
{
	return find_next_bit_le(d->bitmap, start + count, start) >=
	       start + count;
}

/* First fit.  Returns the first block, or 0 (always reserved) if none. */
static u64 exo_xfind_run(struct exo_xdev *d, u64 count)
{
	u64 b = d->data_start, end;

	while (b < d->nblocks) {
		b = find_next_zero_bit_le(d->bitmap, d->nblocks, b);
		if (b >= d->nblocks || count > d->nblocks - b)
			return 0;
		end = find_next_bit_le(d->bitmap, b + count, b);
		if (end >= b + count)
			return b;
		b = end;
	}
	return 0;
}

/*
 * Mark a range allocated or free.  An allocated range starts unwritten:
 * its live written bits are cleared (atomically: a completion may be
 * setting a bit of the same word for another extent).
 */
static void exo_xset(struct exo_xdev *d, u64 start, u64 count, bool used)
{
	u64 b;

	for (b = start; b < start + count; b++) {
		if (used) {
			__set_bit_le(b, d->bitmap);
			clear_bit_le(b, d->wlive);
		} else {
			__clear_bit_le(b, d->bitmap);
		}
	}
	if (used)
		d->free -= count;
	else
		d->free += count;
}

/* ---- extent objects ------------------------------------------------------ */

static void exo_extent_release(struct exo_obj *obj)
{
	struct exo_extent *x = container_of(obj, struct exo_extent, obj);

	kref_put(&x->dev->ref, exo_xdev_free);
	kfree(x);
}

/* Make an extent object and its root capability.  exo_lock held. */
static int exo_extent_install(struct exo_env *env, struct exo_xdev *d,
			      const struct exo_xrec *rec, exo_cap_t *h)
{
	struct exo_extent *x;
	int ret;

	x = kzalloc(sizeof(*x), GFP_KERNEL_ACCOUNT);
	if (!x)
		return -ENOMEM;
	ret = exo_obj_charge(env, EXO_KIND_EXTENT);
	if (ret) {
		kfree(x);
		return ret;
	}
	kref_get(&d->ref);
	x->dev = d;
	x->start = le64_to_cpu(rec->start);
	x->len = le64_to_cpu(rec->len);
	x->rec = rec - d->rec;
	exo_obj_init(&x->obj, env, EXO_KIND_EXTENT);
	x->obj.id = x->start;		/* an extent's name is its first block */
	ret = exo_cap_install_root(env, &x->obj, h);
	exo_obj_put(&x->obj);
	exo_lease_update(env, EXO_KIND_EXTENT);	/* one extent more */
	return ret;
}

static bool exo_is_extent_of(struct exo_obj *obj, struct exo_xdev *d,
			     u64 start)
{
	struct exo_extent *x;

	if (!obj || obj->kind != EXO_KIND_EXTENT)
		return false;
	x = container_of(obj, struct exo_extent, obj);
	return x->dev == d && x->start == start;
}

static u64 exo_xowned(struct exo_env *env);

/*
 * Kill every capability naming extent @start of @d, in every env; the
 * env that owned it holds one extent fewer (a revocation in progress
 * counts it).
 */
static void exo_extent_kill_all(struct exo_xdev *d, u64 start)
{
	struct exo_env *env;
	struct exo_cap *cap;
	bool owned;
	u32 pos;

	lockdep_assert_held(&exo_lock);
	list_for_each_entry(env, &exo_envs, node) {
		owned = false;
		exo_for_each_cap(env, cap, pos) {
			if (!exo_is_extent_of(cap->obj, d, start))
				continue;
			owned |= exo_cap_is_owned_root(cap, env,
						       EXO_KIND_EXTENT);
			exo_cap_kill_tree(cap, true);
		}
		if (owned)
			exo_lease_update(env, EXO_KIND_EXTENT);
	}
}

/* ---- ioctls ---------------------------------------------------------------- */

int exo_ioc_extent_attach(struct exo_env *env, void *arg)
{
	struct exo_extent_attach *xa = arg;
	struct exo_extent_stat st;
	char *path;
	int ret;

	if (xa->flags & ~EXO_ATTACH_FORMAT)
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	path = strndup_user(u64_to_user_ptr(xa->path), PATH_MAX);
	if (IS_ERR(path))
		return PTR_ERR(path) == -EINVAL ? -ENAMETOOLONG : PTR_ERR(path);
	exo_xwrite_lock();
	ret = exo_xattach(path, xa->flags & EXO_ATTACH_FORMAT, &st);
	exo_xwrite_unlock();
	kfree(path);
	if (ret)
		return ret;
	xa->nblocks = st.nblocks;
	xa->data_start = st.data_start;
	xa->free = st.free;
	xa->generation = st.generation;
	return 0;
}

int exo_ioc_extent_detach(struct exo_env *env, void *arg)
{
	struct exo_extent_detach *xd = arg;
	int ret = 0;

	if (xd->flags)
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	exo_xwrite_lock();
	if (exo_xdev)
		exo_xdetach();
	else
		ret = -ENODEV;
	exo_xwrite_unlock();
	return ret;
}

int exo_ioc_extent_stat(struct exo_env *env, void *arg)
{
	struct exo_extent_stat *st = arg;
	int ret = 0;

	if (st->flags)
		return -EINVAL;
	down_read(&exo_xsem);
	if (exo_xdev)
		exo_xstat(exo_xdev, st);
	else
		ret = -ENODEV;
	up_read(&exo_xsem);
	return ret;
}

int exo_ioc_extent_alloc(struct exo_env *env, void *arg)
{
	struct exo_extent_alloc *xa = arg;
	bool at = xa->flags & EXO_EXTENT_AT, new_key = false;
	struct exo_xprinc *p;
	struct exo_xrec *rec = NULL;
	struct exo_xdev *d;
	u64 start, end;
	u32 i;
	int ret;

	if ((xa->flags & ~EXO_EXTENT_AT) || xa->__reserved || !xa->count)
		return -EINVAL;
	if (at && check_add_overflow(xa->start, xa->count, &end))
		return -EOVERFLOW;

	exo_xwrite_lock();
	d = exo_xdev;
	ret = -ENODEV;
	if (!d)
		goto out;
	mutex_lock(&exo_lock);
	ret = env->used[EXO_KIND_EXTENT] >= env->quota[EXO_KIND_EXTENT] ?
	      -EDQUOT : 0;
	mutex_unlock(&exo_lock);
	if (ret)
		goto out;
	if (at) {
		start = xa->start;
		ret = -ERANGE;
		if (end > d->nblocks)
			goto out;
		ret = -EBUSY;
		if (start < d->data_start || !exo_xrange_free(d, start,
							      xa->count))
			goto out;
	} else {
		ret = -ENOSPC;
		start = xa->count < d->nblocks ? exo_xfind_run(d, xa->count)
					       : 0;
		if (!start)
			goto out;
	}
	for (i = 0; i < EXO_EXTENT_MAX_RECORDS && !rec; i++)
		if (!d->rec[i].len)
			rec = &d->rec[i];
	ret = -ENOSPC;
	if (!rec)
		goto out;

	p = exo_xprinc_join(env, d, &new_key);
	if (!p)
		goto out_key;
	rec->start = cpu_to_le64(start);
	rec->len = cpu_to_le64(xa->count);
	rec->principal = p->id;
	exo_xset(d, start, xa->count, true);
	ret = exo_xcommit_shared(d);
	if (ret)
		goto out_key;

	mutex_lock(&exo_lock);
	ret = exo_extent_install(env, d, rec, &xa->cap);
	mutex_unlock(&exo_lock);
	if (ret) {
		/* No capability, no extent: give the blocks back. */
		memset(rec, 0, sizeof(*rec));
		exo_xset(d, start, xa->count, false);
		exo_xprinc_gc(d);
		exo_xcommit_shared(d);
		goto out_key;
	}
	xa->start = start;
	xa->new_key = new_key;
	if (new_key)
		xa->key = env->xkey;
	else
		memset(&xa->key, 0, sizeof(xa->key));
	exo_xwrite_unlock();
	return 0;

out_key:
	exo_xprinc_leave(env, new_key);
out:
	exo_xwrite_unlock();
	return ret;
}

/*
 * Free the extent @start of @d on disk and kill its capabilities.
 * exo_xwrite_lock() held (exo_xsem only read-held during the commit).
 */
static int exo_xfree(struct exo_xdev *d, u64 start)
{
	struct exo_xrec *rec = exo_xrec_find(d, start);
	u32 idx;
	u64 len, b;
	int ret;

	lockdep_assert_held_write(&exo_xsem);
	if (!rec)
		return -ENOENT;
	idx = rec - d->rec;
	/*
	 * No new I/O on it from here, not even while the commit lets
	 * readers in (exo_xio_check(), under exo_xsem for reading, sees
	 * d->freeing, set and cleared with it held for writing).
	 * Synchronous I/O holds exo_xsem, so none is in flight; wait for
	 * the asynchronous I/O on this extent only.
	 */
	d->freeing = start;
	wait_event(d->wq, !atomic_read(&d->rec_inflight[idx]));
	len = le64_to_cpu(rec->len);
	exo_xset(d, start, len, false);
	memset(rec, 0, sizeof(*rec));
	exo_xprinc_gc(d);
	ret = exo_xcommit_shared(d);
	/* Free on disk (and so unwritten there): unwritten here too. */
	for (b = start; !ret && b < start + len; b++)
		clear_bit_le(b, d->wlive);
	mutex_lock(&exo_lock);
	if (!ret)
		exo_extent_kill_all(d, start);
	d->freeing = 0;
	mutex_unlock(&exo_lock);
	return ret;
}

/* ---- leases: visible revocation (lease.c) ------------------------------------ */

/* Extents @env owns: the root capabilities of extents in its table. */
static u64 exo_xowned(struct exo_env *env)
{
	struct exo_cap *cap;
	u64 n = 0;
	u32 pos;

	lockdep_assert_held(&exo_lock);
	exo_for_each_cap(env, cap, pos)
		if (exo_cap_is_owned_root(cap, env, EXO_KIND_EXTENT))
			n++;
	return n;
}

static void exo_xlease_lock(void)
{
	exo_xwrite_lock();
}

static void exo_xlease_unlock(void)
{
	exo_xwrite_unlock();
}

/*
 * The abort frees @env's newest extent on the attached device below
 * *@pos.  exo_xfree() waits for the I/O in flight on the extent, so a
 * write to a repossessed extent either completed before or fails with
 * EKEYREVOKED.  exo_xwrite_lock() held (exo_xlease_lock()): no extent
 * can be made meanwhile, so the slots above *@pos stay as they were.
 */
static int exo_extent_take_newest(struct exo_env *env, u32 *pos,
				  struct exo_lease_rec *rec)
{
	struct exo_cap *cap;
	u64 start;
	int ret;

	lockdep_assert_held(&exo_xsem);
	if (!exo_xdev)
		return 0;
	while ((cap = exo_cap_prev(env, pos))) {
		if (!exo_cap_is_owned_root(cap, env, EXO_KIND_EXTENT) ||
		    container_of(cap->obj, struct exo_extent, obj)->dev !=
		    exo_xdev)
			continue;
		start = container_of(cap->obj, struct exo_extent, obj)->start;
		rec->name = start;	/* an extent's name: its first block */
		rec->cap = exo_cap_handle(cap);
		mutex_unlock(&exo_lock);
		ret = exo_xfree(exo_xdev, start);
		mutex_lock(&exo_lock);
		return ret ?: 1;
	}
	return 0;
}

static const struct exo_lease_ops exo_extent_lease = {
	.ev_flags = EXO_EVF_EXTENT,
	.held = exo_xowned,
	.lock = exo_xlease_lock,
	.unlock = exo_xlease_unlock,
	.take = exo_extent_take_newest,
};

int exo_ioc_extent_free(struct exo_env *env, void *arg)
{
	struct exo_extent_free *xf = arg;
	struct exo_extent *x;
	struct exo_cap *cap;
	u64 start = 0;
	int ret;

	if (xf->flags)
		return -EINVAL;
	exo_xwrite_lock();
	mutex_lock(&exo_lock);
	ret = exo_cap_get(env, xf->cap, EXO_KIND_EXTENT,
			  EXO_RIGHT_WRITE | EXO_RIGHT_REVOKE, &cap);
	if (!ret) {
		x = container_of(cap->obj, struct exo_extent, obj);
		if (x->dev != exo_xdev)
			ret = -ENODEV;
		start = x->start;
	}
	mutex_unlock(&exo_lock);
	if (!ret)
		ret = exo_xfree(exo_xdev, start);
	exo_xwrite_unlock();
	return ret;
}

void exo_undo_extent_alloc(struct exo_env *env, void *arg)
{
	struct exo_extent_alloc *xa = arg;
	struct exo_cap *cap;
	bool same;

	/*
	 * The device may have been detached (and another attached) since
	 * the allocation: free only if the capability still names an extent
	 * of the attached one.
	 */
	exo_xwrite_lock();
	mutex_lock(&exo_lock);
	same = !exo_cap_get(env, xa->cap, EXO_KIND_EXTENT, 0, &cap) &&
	       exo_xdev &&
	       exo_is_extent_of(cap->obj, exo_xdev, xa->start);
	mutex_unlock(&exo_lock);
	if (same)
		exo_xfree(exo_xdev, xa->start);
	mutex_lock(&exo_lock);
	exo_cap_close_handle(env, xa->cap);
	mutex_unlock(&exo_lock);
	exo_xwrite_unlock();
}

int exo_ioc_extent_reclaim(struct exo_env *env, void *arg)
{
	struct exo_extent_reclaim *xr = arg;
	struct exo_extent_desc *descs = NULL;
	struct exo_xprinc *p;
	struct exo_xdev *d;
	u32 n = 0, i, made = 0;
	int ret;

	if (xr->flags || xr->__reserved)
		return -EINVAL;
	exo_xwrite_lock();
	d = exo_xdev;
	ret = -ENODEV;
	if (!d)
		goto out;
	p = exo_xprinc_find(d, &xr->key);
	ret = -ENOKEY;
	if (!p)
		goto out;
	for (i = 0; i < EXO_EXTENT_MAX_RECORDS; i++)
		n += d->rec[i].len && d->rec[i].principal == p->id;
	env->xkey = xr->key;
	env->xkey_set = true;
	xr->count = n;
	xr->done = 0;
	ret = 0;
	if (!n || n > xr->max)
		goto out;
	ret = -ENOMEM;
	descs = kvcalloc(n, sizeof(*descs), GFP_KERNEL);
	if (!descs)
		goto out;
	mutex_lock(&exo_lock);
	ret = env->used[EXO_KIND_EXTENT] + (u64)n >
	      env->quota[EXO_KIND_EXTENT] ? -EDQUOT : 0;
	for (i = 0; i < EXO_EXTENT_MAX_RECORDS && !ret; i++) {
		struct exo_xrec *r = &d->rec[i];

		if (!r->len || r->principal != p->id)
			continue;
		descs[made].start = le64_to_cpu(r->start);
		descs[made].count = le64_to_cpu(r->len);
		ret = exo_extent_install(env, d, r, &descs[made].cap);
		if (!ret)
			made++;
	}
	mutex_unlock(&exo_lock);
	if (!ret && copy_to_user(u64_to_user_ptr(xr->extents), descs,
				 n * sizeof(*descs)))
		ret = -EFAULT;
	if (ret) {
		mutex_lock(&exo_lock);
		for (i = 0; i < made; i++)
			exo_cap_close_handle(env, descs[i].cap);
		mutex_unlock(&exo_lock);
		goto out;
	}
	xr->done = n;
out:
	exo_xwrite_unlock();
	kvfree(descs);
	return ret;
}

/* ---- synchronous I/O ------------------------------------------------------ */

struct exo_xbatch {
	atomic_t pending;
	struct completion done;
	struct exo_xdev *dev;
};

struct exo_xio {
	struct exo_xbatch *batch;
	struct exo_obj *ext;
	struct exo_obj *frame;
	u64 pfn;
	u64 block;		/* device block */
	bool write;
	bool fua;
	bool unwritten;		/* a read of a never-written block */
	blk_status_t status;
};

static void exo_xio_end(struct bio *bio)
{
	struct exo_xio *io = bio->bi_private;
	struct exo_xbatch *b = io->batch;

	/* Hard IRQ on virtio-blk: record, count down, nothing else. */
	io->status = bio->bi_status;
	if (io->write && !io->status)
		exo_xmark_written(b->dev, io->block);
	bio_put(bio);
	if (atomic_dec_and_test(&b->pending))
		complete(&b->done);
}

/*
 * Check element @v and take its references (put them with
 * exo_obj_put_unlocked()).  exo_xsem held for reading, which keeps
 * d->freeing and d->dead as they are (set with it held for writing);
 * exo_lock not held: the capabilities are found by exo_cap_pin(), so one
 * env's I/O does not wait for another's control calls.  An extent's
 * start, length and device are fixed for its life.
 */
static int exo_xio_check(struct exo_env *env, struct exo_xdev *d,
			 const struct exo_extent_iovec *v, struct exo_xio *io)
{
	bool write = v->op == EXO_IO_WRITE;
	struct exo_extent *x;
	struct exo_obj *obj;
	int ret;

	if ((v->op != EXO_IO_READ && !write) || (v->flags & ~EXO_IO_FUA))
		return -EINVAL;
	ret = exo_cap_pin(env, v->extent, EXO_KIND_EXTENT,
			  write ? EXO_RIGHT_WRITE : EXO_RIGHT_READ, &obj);
	if (ret)
		return ret;
	x = container_of(obj, struct exo_extent, obj);
	ret = -ENODEV;
	if (!d || x->dev != d || d->dead)
		goto out_put;
	ret = -EKEYREVOKED;	/* its capabilities die in a moment */
	if (x->start == d->freeing)
		goto out_put;
	ret = -ERANGE;
	if (v->block >= x->len)
		goto out_put;
	ret = exo_cap_pin(env, v->frame, EXO_KIND_FRAME,
			  write ? EXO_RIGHT_READ : EXO_RIGHT_WRITE, &io->frame);
	if (ret)
		goto out_put;
	io->pfn = exo_frame_pfn(io->frame);
	io->ext = obj;
	io->block = x->start + v->block;
	io->write = write;
	io->fua = write && (v->flags & EXO_IO_FUA);
	io->unwritten = !write && !exo_xwritten(d, io->block);
	return 0;

out_put:
	exo_obj_put_unlocked(obj);
	return ret;
}

/*
 * A read of a block never written since its allocation: zeroes, whatever
 * the device holds (another principal's freed data, say).
 */
void exo_xio_zero(struct exo_xdev *d, u64 pfn)
{
	clear_highpage(pfn_to_page(pfn));
	atomic64_inc(&d->reads_unwritten);
}

/*
 * Make the written bits of completed writes durable (a commit), if any
 * are pending: what a flush or a FUA write made durable must read back
 * after a crash.  Takes exo_xsem for writing.  0 or -EIO.
 */
int exo_xsync_written(struct exo_xdev *d)
{
	int ret = 0;

	if (!atomic_read(&d->wdirty))
		return 0;
	exo_xwrite_lock();
	if (exo_xdev == d && atomic_read(&d->wdirty))
		ret = exo_xcommit(d);
	exo_xwrite_unlock();
	return ret;
}

int exo_ioc_extent_io(struct exo_env *env, void *arg)
{
	struct exo_extent_io *xi = arg;
	struct exo_extent_iovec *vecs;
	struct exo_xbatch batch;
	struct exo_xio *ios;
	struct blk_plug plug;
	struct exo_xdev *d;
	u32 n, i;
	bool durable = xi->flags & EXO_IO_FLUSH;
	int err = 0;

	if ((xi->flags & ~(EXO_IO_FUA | EXO_IO_FLUSH)) || xi->__reserved ||
	    !xi->count || xi->count > EXO_EXTENT_IO_MAX)
		return -EINVAL;
	vecs = kvmalloc_array(xi->count, sizeof(*vecs), GFP_KERNEL);
	ios = kvcalloc(xi->count, sizeof(*ios), GFP_KERNEL);
	if (!vecs || !ios) {
		err = -ENOMEM;
		goto out_free;
	}
	if (copy_from_user(vecs, u64_to_user_ptr(xi->vecs),
			   xi->count * sizeof(*vecs))) {
		err = -EFAULT;
		goto out_free;
	}

	down_read(&exo_xsem);
	d = exo_xdev;
	for (n = 0; n < xi->count; n++) {
		err = exo_xio_check(env, d, &vecs[n], &ios[n]);
		if (err)
			break;
	}

	atomic_set(&batch.pending, 1);
	init_completion(&batch.done);
	batch.dev = d;
	blk_start_plug(&plug);
	for (i = 0; i < n; i++) {
		blk_opf_t opf = ios[i].write ? EXO_XWRITE : REQ_OP_READ;
		struct bio *bio;

		if (ios[i].unwritten) {
			exo_xio_zero(d, ios[i].pfn);
			continue;
		}
		if (ios[i].fua || (ios[i].write && (xi->flags & EXO_IO_FUA))) {
			opf |= REQ_FUA;
			durable = true;
		}
		bio = bio_alloc(d->bdev, 1, opf, GFP_NOIO);
		bio->bi_iter.bi_sector = ios[i].block * EXO_XSECTS;
		__bio_add_page(bio, pfn_to_page(ios[i].pfn), EXO_XBLK, 0);
		bio->bi_end_io = exo_xio_end;
		bio->bi_private = &ios[i];
		ios[i].batch = &batch;
		atomic_inc(&batch.pending);
		submit_bio(bio);
	}
	blk_finish_plug(&plug);
	if (!atomic_dec_and_test(&batch.pending))
		wait_for_completion(&batch.done);

	xi->done = n;
	exo_env_io_done(env, n);
	for (i = 0; i < n; i++) {
		if (ios[i].status) {
			atomic64_inc(&d->errors);
		} else if (ios[i].write) {
			atomic64_inc(&d->writes);
			atomic64_add(EXO_XBLK, &d->bytes_written);
		} else if (!ios[i].unwritten) {
			atomic64_inc(&d->reads);
			atomic64_add(EXO_XBLK, &d->bytes_read);
		}
	}
	/*
	 * The first failure in array order wins; done counts the elements
	 * before it.  A failed check (err set above) comes after all of them.
	 */
	for (i = 0; i < n; i++)
		if (ios[i].status) {
			xi->done = i;
			err = blk_status_to_errno(ios[i].status);
			break;
		}
	if (!err && (xi->flags & EXO_IO_FLUSH)) {
		err = blkdev_issue_flush(d->bdev);
		if (err) {
			atomic64_inc(&d->errors);
			xi->done = n ? n - 1 : 0;
		} else {
			atomic64_inc(&d->flushes);
		}
	}
	up_read(&exo_xsem);
	/* Durable data must stay readable: its written bits too. */
	if (!err && n && durable && exo_xsync_written(d)) {
		err = -EIO;
		xi->done = n - 1;
	}

	for (i = 0; i < n; i++) {
		exo_obj_put_unlocked(ios[i].frame);
		exo_obj_put_unlocked(ios[i].ext);
	}
	xi->error = -err;
	err = 0;
out_free:
	kvfree(vecs);
	kvfree(ios);
	return err;
}

/* ---- XN templates ----------------------------------------------------------- */

/* Read device block @b into @page as EXTENT_IO would.  exo_xsem held. */
int exo_xread_page(struct exo_xdev *d, u64 b, struct page *page)
{
	struct bio *bio;
	int ret;

	if (!exo_xwritten(d, b)) {
		exo_xio_zero(d, page_to_pfn(page));
		return 0;
	}
	bio = bio_alloc(d->bdev, 1, REQ_OP_READ, GFP_KERNEL);
	bio->bi_iter.bi_sector = b * EXO_XSECTS;
	__bio_add_page(bio, page, EXO_XBLK, 0);
	ret = submit_bio_wait(bio);
	bio_put(bio);
	if (ret) {
		atomic64_inc(&d->errors);
		return ret;
	}
	atomic64_inc(&d->reads);
	atomic64_add(EXO_XBLK, &d->bytes_read);
	return 0;
}

int exo_ioc_xn_owns(struct exo_env *env, void *arg)
{
	struct exo_xn_owns *xo = arg;
	struct exo_xn_ref *refs = NULL;
	struct page *page = NULL;
	struct exo_xrec *rec;
	struct exo_extent *x;
	struct exo_cap *cap;
	struct exo_xdev *d;
	u64 owner = 0, b = 0;
	u32 count = 0, max = min_t(u32, xo->max, EXO_XN_MAX_REFS);
	int ret;

	if (xo->flags || xo->__reserved || !xo->type ||
	    xo->type >= EXO_XN_MAX_TYPES)
		return -EINVAL;
	page = alloc_page(GFP_KERNEL);
	refs = kcalloc(max ?: 1, sizeof(*refs), GFP_KERNEL);
	ret = -ENOMEM;
	if (!page || !refs)
		goto out_free;

	down_read(&exo_xsem);
	d = exo_xdev;
	mutex_lock(&exo_lock);
	ret = exo_cap_get(env, xo->extent, EXO_KIND_EXTENT, EXO_RIGHT_READ,
			  &cap);
	if (!ret) {
		x = container_of(cap->obj, struct exo_extent, obj);
		if (!d || x->dev != d || d->dead)
			ret = -ENODEV;
		else if (xo->block >= x->len)
			ret = -ERANGE;
		b = x->start + xo->block;
		rec = ret ? NULL : exo_xrec_find(d, x->start);
		owner = rec ? le64_to_cpu(rec->principal) : 0;
	}
	mutex_unlock(&exo_lock);
	if (!ret)
		ret = exo_xread_page(d, b, page);
	if (!ret)
		ret = exo_xn_run(d->xn, owner, xo->type, page_address(page),
				 d->nblocks, refs, max, &count);
	up_read(&exo_xsem);
	if (ret)
		goto out_free;
	if (copy_to_user(u64_to_user_ptr(xo->refs), refs,
			 (size_t)min(count, max) * sizeof(*refs))) {
		ret = -EFAULT;
		goto out_free;
	}
	xo->count = count;
out_free:
	kfree(refs);
	if (page)
		__free_page(page);
	return ret;
}

/* ---- asynchronous I/O: io_uring ------------------------------------------- */

/*
 * What a request in flight holds, in the command's pdu: references on the
 * extent and frame objects (NULL for a flush) and on the device.  The bio
 * completes in hard IRQ: it only records the status, lets free/detach go
 * on (the device is no longer touched), and defers the rest to task
 * context, where the references are dropped under exo_lock and the CQE is
 * posted.
 */
struct exo_uio {
	struct exo_obj *ext;
	struct exo_obj *frame;
	struct exo_xdev *dev;
	u32 block;		/* device block (< EXO_XNBLOCKS_MAX) */
	s16 status;		/* -errno */
	u8 write:1;
	u8 fua:1;
	u8 unwritten:1;		/* answered with zeroes, no bio */
};

static struct exo_uio *exo_uio(struct io_uring_cmd *ioucmd)
{
	BUILD_BUG_ON(sizeof(struct exo_uio) > sizeof(ioucmd->pdu));
	return (struct exo_uio *)ioucmd->pdu;
}

static void exo_uring_done(struct io_uring_cmd *ioucmd, unsigned int flags)
{
	struct exo_uio *u = exo_uio(ioucmd);
	struct exo_xdev *d = u->dev;
	int status = u->status;

	/* A FUA write is durable on completion: its written bit too. */
	if (!status && u->fua && exo_xsync_written(d))
		status = -EIO;
	if (status) {
		atomic64_inc(&d->errors);
	} else if (u->unwritten) {
		/* counted by exo_xio_zero() */
	} else if (!u->ext) {
		atomic64_inc(&d->flushes);
	} else if (u->write) {
		atomic64_inc(&d->writes);
		atomic64_add(EXO_XBLK, &d->bytes_written);
	} else {
		atomic64_inc(&d->reads);
		atomic64_add(EXO_XBLK, &d->bytes_read);
	}
	/* The last reference of either takes exo_lock; the others do not. */
	if (u->frame)
		exo_obj_put_unlocked(u->frame);
	if (u->ext)
		exo_obj_put_unlocked(u->ext);
	kref_put(&d->ref, exo_xdev_free);
	exo_env_io_done(ioucmd->file->private_data, 1);
	io_uring_cmd_done(ioucmd, status, 0, flags);
}

static void exo_uring_end_io(struct bio *bio)
{
	struct io_uring_cmd *ioucmd = bio->bi_private;
	struct exo_uio *u = exo_uio(ioucmd);
	struct exo_xdev *d = u->dev;
	bool wake;

	u->status = blk_status_to_errno(bio->bi_status);
	if (u->write && !u->status)
		exo_xmark_written(d, u->block);
	bio_put(bio);
	/* A flush has no extent; an extent's object lives until done. */
	wake = u->ext && atomic_dec_and_test(&d->rec_inflight[container_of(
			u->ext, struct exo_extent, obj)->rec]);
	if (atomic_dec_and_test(&d->inflight) || wake)
		wake_up(&d->wq);
	io_uring_cmd_complete_in_task(ioucmd, exo_uring_done);
}

/*
 * Never returns a positive value (this kernel's io_uring treats it as a
 * failure and may never complete the request): 0 is not used either; a
 * request is either refused with -errno or queued (-EIOCBQUEUED).
 */
int exo_extent_uring_cmd(struct io_uring_cmd *ioucmd,
			 unsigned int issue_flags)
{
	/*
	 * IO_URING_F_NONBLOCK is not honoured by punting with -EAGAIN: the
	 * checks only sleep on exo_xsem, and on exo_lock for a capability's
	 * first I/O (exo_cap_pin()), held briefly, and the
	 * io-wq path of this kernel is the fragile one (KERNEL-NOTES).
	 */
	struct exo_env *env = ioucmd->file->private_data;
	struct exo_uio *u = exo_uio(ioucmd);
	struct exo_extent_iovec v;
	struct exo_xio io = {};
	struct exo_xdev *d;
	blk_opf_t opf;
	struct bio *bio;
	int ret;

	if (!(issue_flags & IO_URING_F_SQE128))
		return -EINVAL;
	/* The SQE lives in the ring: one copy, now. */
	memcpy(&v, ioucmd->cmd, sizeof(v));
	memset(u, 0, sizeof(*u));

	/*
	 * A flush covers the writes completed before it: their written bits
	 * go to disk first (a commit, only when some are pending).
	 */
	if (ioucmd->cmd_op == EXO_URING_EXTENT_FLUSH) {
		down_read(&exo_xsem);
		d = exo_xdev;
		if (d)
			kref_get(&d->ref);
		up_read(&exo_xsem);
		ret = d ? exo_xsync_written(d) : 0;
		if (d)
			kref_put(&d->ref, exo_xdev_free);
		if (ret)
			return ret;
	}

	down_read(&exo_xsem);
	d = exo_xdev;
	if (ioucmd->cmd_op == EXO_URING_EXTENT_FLUSH) {
		ret = memchr_inv(&v, 0, sizeof(v)) ? -EINVAL :
		      d ? 0 : -ENODEV;
		opf = REQ_OP_WRITE | REQ_PREFLUSH;
	} else {
		ret = exo_xio_check(env, d, &v, &io);
		opf = io.write ? EXO_XWRITE : REQ_OP_READ;
		if (io.fua)
			opf |= REQ_FUA;
	}
	if (ret) {
		up_read(&exo_xsem);
		return ret;
	}
	kref_get(&d->ref);
	u->dev = d;
	u->ext = io.ext;
	u->frame = io.frame;
	u->write = io.write;
	u->fua = io.fua;
	u->block = io.block;
	if (io.unwritten) {
		exo_xio_zero(d, io.pfn);
		u->unwritten = true;
		up_read(&exo_xsem);
		io_uring_cmd_complete_in_task(ioucmd, exo_uring_done);
		return -EIOCBQUEUED;
	}
	atomic_inc(&d->inflight);
	if (io.ext)
		atomic_inc(&d->rec_inflight[container_of(io.ext,
					struct exo_extent, obj)->rec]);
	atomic64_inc(&d->async);
	bio = bio_alloc(d->bdev, io.ext ? 1 : 0, opf, GFP_NOIO);
	if (io.ext) {
		bio->bi_iter.bi_sector = io.block * EXO_XSECTS;
		__bio_add_page(bio, pfn_to_page(io.pfn), EXO_XBLK, 0);
	}
	bio->bi_end_io = exo_uring_end_io;
	bio->bi_private = ioucmd;
	submit_bio(bio);
	up_read(&exo_xsem);
	return -EIOCBQUEUED;
}

/* ---- module and debugfs ---------------------------------------------------- */

/*
 * debugfs check: the table in memory is one attach would accept (records
 * against the allocation bitmap, written blocks allocated), the free
 * count and the live written bits agree with it, and every live extent
 * object of the device names a record of its exact size.  Takes exo_xtab
 * (no table update is half done: a commit in progress lets readers in),
 * exo_xsem, then exo_lock: called without exo_lock.  Returns the problems
 * found.
 */
static u64 exo_extents_check(struct seq_file *m)
{
	struct exo_env *env;
	struct exo_cap *cap;
	struct exo_xdev *d;
	u64 bad = 0;
	u32 pos;

	mutex_lock(&exo_xtab);
	down_read(&exo_xsem);
	d = exo_xdev;
	if (!d)
		goto out;
	if (exo_xcheck(d)) {
		bad++;
		seq_puts(m, "bad: extents: the table in memory fails the attach checks (records, bitmaps)\n");
	}
	if (d->free != exo_xcount_free(d)) {
		bad++;
		seq_printf(m, "bad: extents: %llu blocks counted free, the bitmap has %llu\n",
			   d->free, exo_xcount_free(d));
	}
	if (!bitmap_subset(d->wlive, d->bitmap, exo_xbits(d))) {
		bad++;
		seq_puts(m, "bad: extents: a free block is marked written\n");
	}
	bad += exo_xn_walk_check(d, m);
	mutex_lock(&exo_lock);
	list_for_each_entry(env, &exo_envs, node)
		exo_for_each_cap(env, cap, pos) {
			struct exo_extent *x;
			struct exo_xrec *rec;

			if (!cap->obj || cap->obj->kind != EXO_KIND_EXTENT)
				continue;
			x = container_of(cap->obj, struct exo_extent, obj);
			if (x->dev != d)
				continue;
			rec = exo_xrec_find(d, x->start);
			if (!rec || le64_to_cpu(rec->len) != x->len) {
				bad++;
				seq_printf(m, "bad: env %llu: extent %llu+%llu has no record of its size\n",
					   env->id, x->start, x->len);
			}
		}
	mutex_unlock(&exo_lock);
out:
	up_read(&exo_xsem);
	mutex_unlock(&exo_xtab);
	return bad;
}

static void exo_extents_show(struct seq_file *m)
{
	struct exo_xdev *d;
	u32 i, j;

	down_read(&exo_xsem);
	d = exo_xdev;
	if (!d) {
		seq_puts(m, "device none\n");
		goto out;
	}
	seq_printf(m, "device %s\n", d->path);
	seq_printf(m, "blocks_total %llu\n", d->nblocks);
	seq_printf(m, "blocks_reserved %llu\n", d->data_start);
	seq_printf(m, "blocks_free %llu\n", d->free);
	seq_printf(m, "generation %llu\n", d->generation);
	seq_printf(m, "commits %llu\n", d->commits);
	seq_printf(m, "reads %lld\n", atomic64_read(&d->reads));
	seq_printf(m, "writes %lld\n", atomic64_read(&d->writes));
	seq_printf(m, "bytes_read %lld\n", atomic64_read(&d->bytes_read));
	seq_printf(m, "bytes_written %lld\n",
		   atomic64_read(&d->bytes_written));
	seq_printf(m, "reads_unwritten %lld\n",
		   atomic64_read(&d->reads_unwritten));
	seq_printf(m, "blocks_written %u\n",
		   bitmap_weight(d->wlive, exo_xbits(d)));
	seq_printf(m, "flushes %lld\n", atomic64_read(&d->flushes));
	seq_printf(m, "errors %lld\n", atomic64_read(&d->errors));
	seq_printf(m, "async_submitted %lld\n", atomic64_read(&d->async));
	seq_printf(m, "async_inflight %d\n", atomic_read(&d->inflight));
	exo_xn_show(d, m);
	seq_puts(m, "principal extents blocks\n");
	for (i = 0; i < EXO_EXTENT_MAX_PRINCIPALS; i++) {
		u64 ext = 0, blocks = 0;

		if (!d->princ[i].id)
			continue;
		for (j = 0; j < EXO_EXTENT_MAX_RECORDS; j++) {
			if (!d->rec[j].len ||
			    d->rec[j].principal != d->princ[i].id)
				continue;
			ext++;
			blocks += le64_to_cpu(d->rec[j].len);
		}
		seq_printf(m, "%llu %llu %llu\n",
			   le64_to_cpu(d->princ[i].id), ext, blocks);
	}
out:
	up_read(&exo_xsem);
}

const struct exo_kind_ops exo_extent_kind = {
	.name = "extent",
	.release = exo_extent_release,
	.debugfs = "extents",
	.show = exo_extents_show,
	.check = exo_extents_check,
	.lease = &exo_extent_lease,
};

void exo_extent_init(void)
{
	struct exo_extent_stat st;
	int ret;

	if (!exo_extent_devpath || !*exo_extent_devpath)
		return;
	exo_xwrite_lock();
	ret = exo_xattach(exo_extent_devpath, false, &st);
	exo_xwrite_unlock();
	if (ret)
		pr_warn("exo: cannot attach %s: %d\n", exo_extent_devpath,
			ret);
}

void exo_extent_exit(void)
{
	exo_xwrite_lock();
	if (exo_xdev)
		exo_xdetach();
	exo_xwrite_unlock();
}
