// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * test_exofs — exofs's logic on the host, over exofs_fake.c's stand-in
 * for exo's XN calls: mkfs and open; files of every shape (inline, direct
 * blocks, indirect blocks) read back byte for byte; directories, paths
 * and their errors; a directory long enough to chain blocks; the grouped
 * and the scattered placement; blocks another principal holds skipped;
 * ENOSPC; every block checked (a flipped bit in a directory, an indirect
 * or a data block found); malformed directory blocks refused by
 * exofs_check(); fsck of a clean and a damaged tree; XN's view of every
 * block the one the tree gives.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exofs_fake.h"
#include "tap.h"

static uint8_t *pattern(uint64_t size, unsigned seed)
{
	uint8_t *p = malloc(size ? size : 1);

	for (uint64_t i = 0; i < size; i++)
		p[i] = (uint8_t)((i * 131 + seed * 7 + (i >> 12)) ^ (i >> 5));
	return p;
}

static struct exofs_dev *make(struct exofs *fs, uint64_t nblocks, uint32_t flags)
{
	struct exofs_dev *dev = fake_new(nblocks);
	uint64_t super = 0;

	tap_eq(exofs_mkfs(dev, flags, &super), 0, "mkfs on %llu blocks (flags %u)",
	       (unsigned long long)nblocks, flags);
	tap_eq(exofs_open(fs, dev, super), 0, "open at the superblock %llu",
	       (unsigned long long)super);
	return dev;
}

/* Create @name of @size bytes under @dir and read it back. */
static void roundtrip(struct exofs *fs, const char *dir, const char *name,
		      uint64_t size, uint8_t want_kind)
{
	struct exofs_ino parent, ino;
	char path[256];
	uint8_t *data = pattern(size, (unsigned)size), *back = malloc(size ? size : 1);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	exofs_lookup(fs, dir, &parent);
	tap_eq(exofs_create(fs, &parent, name, data, size), 0, "create %s (%llu bytes)",
	       path, (unsigned long long)size);
	tap_eq(exofs_lookup(fs, path, &ino), 0, "lookup %s", path);
	tap_eq(ino.kind, want_kind, "%s: kind", path);
	tap_eq(ino.size, size, "%s: size", path);
	tap_eq(exofs_read(fs, &ino, back), 0, "%s: read", path);
	tap_ok(!memcmp(data, back, size), "%s: the bytes read are the bytes written", path);
	free(data);
	free(back);
}

static void test_shapes(void)
{
	struct exofs fs;
	struct exofs_dev *dev = make(&fs, 4096, 0);
	struct exofs_ino root, ino;
	uint64_t blocks;

	exofs_root_ino(&fs, &root);
	roundtrip(&fs, "", "empty", 0, EXOFS_E_INLINE);
	roundtrip(&fs, "", "one", 1, EXOFS_E_INLINE);
	roundtrip(&fs, "", "inl", EXOFS_INLINE_MAX, EXOFS_E_INLINE);
	roundtrip(&fs, "", "b1", EXOFS_INLINE_MAX + 1, EXOFS_E_FILE);
	roundtrip(&fs, "", "b4097", 4097, EXOFS_E_FILE);
	roundtrip(&fs, "", "direct", 64 * 4096, EXOFS_E_FILE);
	roundtrip(&fs, "", "ind1", 64 * 4096 + 1, EXOFS_E_FILE_IND);
	roundtrip(&fs, "", "ind2", 300 * 4096 + 5, EXOFS_E_FILE_IND);
	tap_eq(exofs_mkdir(&fs, &root, "d"), 0, "mkdir /d");
	tap_eq(exofs_mkdir(&fs, &root, "d"), -EEXIST, "mkdir /d again: EEXIST");
	tap_eq(exofs_create(&fs, &root, "one", "x", 1), -EEXIST, "create /one again: EEXIST");
	exofs_lookup(&fs, "/d", &ino);
	tap_eq(exofs_mkdir(&fs, &ino, "e"), 0, "mkdir /d/e");
	roundtrip(&fs, "/d/e", "deep", 9000, EXOFS_E_FILE);
	tap_eq(exofs_lookup(&fs, "//d///e/deep", &ino), 0, "lookup with repeated slashes");
	tap_eq(exofs_lookup(&fs, "/d/nothing", &ino), -ENOENT, "lookup of no such name: ENOENT");
	tap_eq(exofs_lookup(&fs, "/one/x", &ino), -ENOTDIR, "lookup through a file: ENOTDIR");
	tap_eq(exofs_create(&fs, &root, "a/b", "x", 1), -EINVAL, "a name with '/': EINVAL");
	{
		char longname[300];

		memset(longname, 'n', sizeof(longname) - 1);
		longname[299] = 0;
		tap_eq(exofs_create(&fs, &root, longname, "x", 1), -ENAMETOOLONG,
		       "a 299-byte name: ENAMETOOLONG");
	}
	tap_eq(exofs_fsck(&fs, stdout, &blocks), 0, "fsck: clean");
	/* super + root dir + d + e; b1 1, b4097 2, direct 64, ind1 1 IND + 65,
	 * ind2 2 IND + 301, deep 3 */
	tap_eq(blocks, 4 + 1 + 2 + 64 + 66 + 303 + 3, "fsck reached every block once");
	/* exo's view: every block the tree reaches is ours with its type */
	tap_eq(fake_type(dev, fs.super), EXOFS_T_SUPER, "XN: the superblock is type SUPER");
	tap_eq(fake_type(dev, fs.root), EXOFS_T_DIR, "XN: the root directory is type DIR");
	exofs_lookup(&fs, "/ind2", &ino);
	tap_eq(fake_type(dev, EXOFS_REF_BLOCK(ino.refs[0])), EXOFS_T_IND,
	       "XN: an indirect block is type IND");
	/* reopen: the walk marks every block, a new file gets fresh blocks */
	exofs_close(&fs);
	tap_eq(exofs_open(&fs, dev, fs.super), 0, "reopen");
	roundtrip(&fs, "/d", "later", 5000, EXOFS_E_FILE);
	tap_eq(exofs_fsck(&fs, stdout, &blocks), 0, "fsck after reopen and a new file: clean");
	exofs_close(&fs);
	fake_free(dev);
}

/* A directory of 400 files outgrows one block: the chain. */
static void test_long_dir(void)
{
	struct exofs fs;
	struct exofs_dev *dev = make(&fs, 8192, 0);
	struct exofs_ino root, ino;
	char name[32];
	int ok = 1, found = 1;

	exofs_root_ino(&fs, &root);
	for (int i = 0; i < 400 && ok; i++) {
		snprintf(name, sizeof(name), "file-with-a-long-name-%03d", i);
		ok = !exofs_create(&fs, &root, name, name, i % 3 ? 100 : 5000);
	}
	tap_ok(ok, "400 files in one directory");
	for (int i = 0; i < 400 && found; i++) {
		snprintf(name, sizeof(name), "/file-with-a-long-name-%03d", i);
		found = !exofs_lookup(&fs, name, &ino) && ino.size == (i % 3 ? 100u : 5000u);
	}
	tap_ok(found, "every one found, with its size");
	tap_eq(exofs_fsck(&fs, stdout, NULL), 0, "fsck of the chained directory: clean");
	exofs_close(&fs);
	fake_free(dev);
}

/* Grouped: a directory's blocks follow it; scattered: they do not. */
static void test_placement(void)
{
	for (uint32_t flags = 0; flags <= EXOFS_SCATTER; flags += EXOFS_SCATTER) {
		struct exofs fs;
		struct exofs_dev *dev = make(&fs, 1 << 16, flags);
		struct exofs_ino root, ino;
		uint8_t *data = pattern(5 * 4096, 1);
		int contiguous = 1;

		exofs_root_ino(&fs, &root);
		exofs_create(&fs, &root, "page.html", data, 5 * 4096);
		exofs_lookup(&fs, "/page.html", &ino);
		for (uint32_t i = 1; i < ino.nref; i++)
			contiguous &= EXOFS_REF_BLOCK(ino.refs[i]) ==
				      EXOFS_REF_BLOCK(ino.refs[i - 1]) + 1;
		if (!flags) {
			tap_ok(contiguous, "grouped: a file's blocks are contiguous");
			tap_eq(EXOFS_REF_BLOCK(ino.refs[0]), fs.root + 1,
			       "grouped: right after its directory's block");
		} else {
			tap_ok(!contiguous, "scattered: a file's blocks are not contiguous");
			tap_eq(ino.kind, EXOFS_E_FILE, "scattered: no file is inline");
			exofs_create(&fs, &root, "tiny", "x", 1);
			exofs_lookup(&fs, "/tiny", &ino);
			tap_eq(ino.kind, EXOFS_E_FILE, "scattered: a 1-byte file gets a block");
		}
		free(data);
		exofs_close(&fs);
		fake_free(dev);
	}
}

/* Blocks another principal holds: exo says EBUSY, exofs picks again. */
static void test_foreign(void)
{
	struct exofs fs;
	struct exofs_dev *dev = make(&fs, 512, 0);
	struct exofs_ino root, ino;
	uint8_t *data = pattern(40 * 4096, 2), *back = malloc(40 * 4096);

	for (uint64_t b = fs.root + 1; b < fs.root + 30; b += 3)
		fake_foreign(dev, b);
	exofs_root_ino(&fs, &root);
	tap_eq(exofs_create(&fs, &root, "f", data, 40 * 4096), 0,
	       "create past blocks another principal holds");
	exofs_lookup(&fs, "/f", &ino);
	tap_eq(exofs_read(&fs, &ino, back), 0, "read it back");
	tap_ok(!memcmp(data, back, 40 * 4096), "the bytes read are the bytes written");
	for (uint32_t i = 0; i < ino.nref; i++)
		if (fake_type(dev, EXOFS_REF_BLOCK(ino.refs[i])) != EXOFS_T_DATA)
			tap_ok(0, "block %u is ours", i);
	free(back);
	free(data);
	data = pattern(600 * 4096, 3);
	tap_eq(exofs_create(&fs, &root, "big", data, 600 * 4096), -ENOSPC,
	       "a file larger than the device: ENOSPC");
	tap_eq(exofs_fsck(&fs, stdout, NULL), 0, "fsck: clean after ENOSPC");
	free(data);
	exofs_close(&fs);
	fake_free(dev);
}

/* A flipped bit anywhere is found. */
static void test_corruption(void)
{
	struct exofs fs;
	struct exofs_dev *dev = make(&fs, 4096, 0);
	struct exofs_ino root, ino;
	uint8_t *data = pattern(100 * 4096, 4), *back = malloc(100 * 4096);
	uint64_t ind, dblk;

	exofs_root_ino(&fs, &root);
	exofs_create(&fs, &root, "small", "hello", 5);
	exofs_create(&fs, &root, "big", data, 100 * 4096);
	exofs_lookup(&fs, "/big", &ino);
	ind = EXOFS_REF_BLOCK(ino.refs[0]);

	fake_poke(dev, fs.root, EXOFS_BODY_OFF + 30, 0x01);
	tap_eq(exofs_lookup(&fs, "/small", &ino), -EILSEQ, "a flipped bit in a directory: EILSEQ");
	tap_eq(exofs_fsck(&fs, NULL, NULL) > 0, 1, "fsck reports it");
	fake_poke(dev, fs.root, EXOFS_BODY_OFF + 30, 0x01);
	tap_eq(exofs_fsck(&fs, NULL, NULL), 0, "flipped back: clean");

	exofs_lookup(&fs, "/big", &ino);
	fake_poke(dev, ind, EXOFS_BODY_OFF + 8, 0x80);
	tap_eq(exofs_read(&fs, &ino, back), -EILSEQ, "a flipped bit in an indirect block: EILSEQ");
	fake_poke(dev, ind, EXOFS_BODY_OFF + 8, 0x80);
	tap_eq(exofs_read(&fs, &ino, back), 0, "flipped back: reads");
	exofs_create(&fs, &root, "mid", data, 10000);
	exofs_lookup(&fs, "/mid", &ino);
	dblk = EXOFS_REF_BLOCK(ino.refs[1]);
	fake_poke(dev, dblk, 77, 0x10);
	tap_eq(exofs_read(&fs, &ino, back), -EILSEQ, "a flipped bit in a data block: EILSEQ");
	tap_eq(exofs_fsck(&fs, NULL, NULL), 1, "fsck reports one problem");
	fake_poke(dev, dblk, 77, 0x10);
	tap_eq(exofs_fsck(&fs, NULL, NULL), 0, "flipped back: clean");
	free(back);
	free(data);
	exofs_close(&fs);
	fake_free(dev);
}

/* A DIR block with one entry "a" of @kind, @nref refs of @rtype. */
static void *dir_block(uint8_t kind, uint16_t first, uint16_t nref,
		       uint32_t nrefs, uint32_t rtype, uint64_t size)
{
	static uint8_t blk[EXOFS_BLOCK];
	struct exofs_head *h = (void *)blk;
	struct exofs_dent *d = (void *)(blk + EXOFS_BODY_OFF);

	memset(blk, 0, sizeof(blk));
	h->cont = EXOFS_NO_CONT;
	exofs_set_nrefs(blk, nrefs);
	for (uint32_t i = 0; i < nrefs; i++)
		exofs_set_ref(blk, i, EXOFS_REF(rtype, 100 + i));
	*d = (struct exofs_dent){ .reclen = (uint16_t)exofs_reclen(1, 0), .kind = kind,
				  .namelen = 1, .size = size, .first = first, .nref = nref };
	((char *)(d + 1))[0] = 'a';
	h->used = d->reclen;
	exofs_seal(blk, EXOFS_MAGIC_DIR);
	return blk;
}

static void test_check(void)
{
	uint8_t *b;

	tap_eq(exofs_check(dir_block(EXOFS_E_FILE, 0, 2, 2, EXOFS_T_DATA, 5000), EXOFS_T_DIR),
	       0, "check: a good directory block");
	tap_eq(exofs_check(dir_block(EXOFS_E_FILE, 0, 2, 2, EXOFS_T_DATA, 5000), EXOFS_T_IND),
	       -EBADMSG, "check: a directory block read as IND: EBADMSG");
	tap_eq(exofs_check(dir_block(EXOFS_E_FILE, 1, 2, 2, EXOFS_T_DATA, 5000), EXOFS_T_DIR),
	       -EBADMSG, "check: a slice past nrefs: EBADMSG");
	tap_eq(exofs_check(dir_block(EXOFS_E_FILE, 0, 1, 2, EXOFS_T_DATA, 4000), EXOFS_T_DIR),
	       -EBADMSG, "check: a ref no entry owns: EBADMSG");
	tap_eq(exofs_check(dir_block(EXOFS_E_FILE, 0, 2, 2, EXOFS_T_DATA, 9000), EXOFS_T_DIR),
	       -EBADMSG, "check: fewer blocks than the size needs: EBADMSG");
	tap_eq(exofs_check(dir_block(EXOFS_E_FILE, 0, 2, 2, EXOFS_T_SUPER, 5000), EXOFS_T_DIR),
	       -EBADMSG, "check: a ref to a SUPER block: EBADMSG");
	tap_eq(exofs_check(dir_block(EXOFS_E_DIR, 0, 1, 1, EXOFS_T_DATA, 0), EXOFS_T_DIR),
	       -EBADMSG, "check: a directory entry whose ref is data: EBADMSG");
	tap_eq(exofs_check(dir_block(9, 0, 0, 0, 0, 0), EXOFS_T_DIR),
	       -EBADMSG, "check: an unknown kind: EBADMSG");
	b = dir_block(EXOFS_E_INLINE, 0, 0, 0, 0, 0);
	((struct exofs_dent *)(b + EXOFS_BODY_OFF))->reclen = 0;
	exofs_seal(b, EXOFS_MAGIC_DIR);
	tap_eq(exofs_check(b, EXOFS_T_DIR), -EBADMSG, "check: a zero reclen: EBADMSG");
	b = dir_block(EXOFS_E_INLINE, 0, 0, 0, 0, 0);
	((char *)(b + EXOFS_BODY_OFF + sizeof(struct exofs_dent)))[0] = '/';
	exofs_seal(b, EXOFS_MAGIC_DIR);
	tap_eq(exofs_check(b, EXOFS_T_DIR), -EBADMSG, "check: a '/' in a name: EBADMSG");
	b = dir_block(EXOFS_E_INLINE, 0, 0, 0, 0, 0);
	exofs_set_nrefs(b, 300);
	exofs_seal(b, EXOFS_MAGIC_DIR);
	tap_eq(exofs_check(b, EXOFS_T_DIR), -EBADMSG, "check: nrefs above 256: EBADMSG");
	b = dir_block(EXOFS_E_INLINE, 0, 0, 0, 0, 0);
	b[EXOFS_BLOCK - 1] ^= 1;
	tap_eq(exofs_check(b, EXOFS_T_DIR), -EILSEQ, "check: a flipped bit: EILSEQ");
	memset(b, 0, EXOFS_BLOCK);
	tap_eq(exofs_check(b, EXOFS_T_DIR), 0, "check: a zeroed block is an empty directory");
}

int main(void)
{
	test_check();
	test_shapes();
	test_long_dir();
	test_placement();
	test_foreign();
	test_corruption();
	return tap_done();
}
