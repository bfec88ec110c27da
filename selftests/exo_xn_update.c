// SPDX-License-Identifier: GPL-2.0
/*
 * XN roots and checked metadata updates.  The metadata format of these
 * tests: a big-endian count, then that many EXO_XN_REF words, the rest of
 * the block free for anything (a "secret" pattern, to see it never
 * reaches another principal).  Types 1 and 2 are such lists; type 0 is
 * data.
 *
 * Checked: a good update and its effect (the new contents read back, the
 * added blocks owned, typed, taken from the device and reading as
 * zeroes, the released ones free and reading as zeroes to the next
 * owner); every refusal with its errno (another principal's block, a
 * reference without a claim, a block claimed twice, a block freed while
 * referenced, a lie about the difference, an update of a block the
 * principal does not own, a template replaced while in use), each
 * leaving the table and the disk exactly as they were (exo's table area
 * and the blocks compared byte for byte); an update that took effect but
 * could not copy its results back answering 0 when made again, and only
 * then; roots declared and removed (a new root whose number cannot be
 * copied back removed again);
 * roots, templates and ownership surviving a detach and re-attach; a
 * tree broken on the device behind exo's back reported by debugfs check
 * (a block owned twice, a block owned and unreachable) and refused by
 * attach.
 * run.sh reloads the module between two phases of this binary
 * (EXO_XN_PHASE=save/check, below).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/filter.h>

#include "kselftest_harness.h"
#include "exo_test.h"
#include "xn_list.h"

EXO_REQUIRE_DEVICE

#define BLK	EXO_EXTENT_BLOCK

/* Through libexo, or the raw call for what libexo never sends. */
static int xn_root(int fd, __u64 *block, __u32 type, __u32 flags)
{
	struct exo_xn_root r = {
		.size = sizeof(r), .flags = flags, .block = *block,
		.type = type,
	};

	if (!flags)
		return exo_xn_root(fd, *block, type, block);
	if (flags == EXO_XN_ROOT_REMOVE && !type)
		return exo_xn_root_remove(fd, *block);
	if (ioctl(fd, EXO_IOC_XN_ROOT, &r))
		return -errno;
	*block = r.block;
	return 0;
}

static int xn_update(int fd, __u64 block, exo_cap_t frame,
		     const struct exo_xn_ref *add, __u32 nadd,
		     const struct exo_xn_ref *rel, __u32 nrel)
{
	return exo_xn_update(fd, block, frame, add, nadd, rel, nrel);
}

/* Read XN block @block into @frame; its type, or -errno. */
static int xn_read(int fd, __u64 block, exo_cap_t frame, __u32 *root)
{
	int is_root = 0, ret = exo_xn_read(fd, block, frame, &is_root);

	if (ret >= 0 && root)
		*root = (__u32)is_root;
	return ret;
}

/* A list block: @n references, then a pattern no one else may see. */
static void put_list(char *buf, __u32 n, const struct exo_xn_ref *refs)
{
	__u32 *w = (__u32 *)buf;
	__u32 i;

	for (i = 0; i < BLK; i++)
		buf[i] = (char)(0xa5 ^ i);
	w[0] = htonl(n);
	for (i = 0; i < n; i++)
		w[1 + i] = htonl(EXO_XN_REF(refs[i].type, refs[i].block));
}

static int is_zero(const char *p)
{
	int i;

	for (i = 0; i < BLK; i++)
		if (p[i])
			return 0;
	return 1;
}

static struct exo_xn_ref ref(__u64 block, __u32 type)
{
	return (struct exo_xn_ref){ .block = block, .type = type };
}

FIXTURE(xu) {
	const char *disk;
	int fd;
	char *buf;		/* frame f: what we write */
	char *rd;		/* frame r: what we read */
	exo_cap_t f, r, x;
	__u64 root;
	__u64 b[8];		/* free blocks at the end of the device */
	struct exo_extent_stat st;
	char *table;		/* exo's table area on disk, as it was */
	char *blocks;		/* the root and b[0..7] on disk, as they were */
};

FIXTURE_SETUP(xu)
{
	int i;

	self->fd = -1;
	self->buf = NULL;
	self->table = NULL;
	self->blocks = NULL;
	self->disk = exo_test_disk();
	if (!self->disk)
		return;
	self->fd = exo_open();
	ASSERT_LE(0, self->fd);
	exo_extent_detach(self->fd);
	ASSERT_EQ(0, exo_extent_attach(self->fd, self->disk,
				       EXO_ATTACH_FORMAT, &self->st));
	self->buf = exo_region__create(self->fd, NULL, 2 * BLK,
				       PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, self->buf);
	self->rd = self->buf + BLK;
	ASSERT_EQ(0, exo_frame_alloc(self->fd, 1, &self->f, NULL));
	ASSERT_EQ(0, exo_frame_alloc(self->fd, 1, &self->r, NULL));
	ASSERT_EQ(0, exo_frame_map_one(self->fd, self->buf, self->f,
				       EXO_PROT_READ | EXO_PROT_WRITE));
	ASSERT_EQ(0, exo_frame_map_one(self->fd, self->rd, self->r,
				       EXO_PROT_READ | EXO_PROT_WRITE));
	/* An extent makes the env a principal. */
	ASSERT_EQ(0, exo_extent_alloc(self->fd, 1, &self->x, NULL, NULL,
				      NULL));
	ASSERT_EQ(0, exo_xn_template_set(self->fd, 1, list_prog, LIST_LEN));
	ASSERT_EQ(0, exo_xn_template_set(self->fd, 2, list_prog, LIST_LEN));
	self->root = 0;
	ASSERT_EQ(0, xn_root(self->fd, &self->root, 1, 0));
	for (i = 0; i < 8; i++)
		self->b[i] = self->st.nblocks - 1 - i;
	ASSERT_EQ(0, posix_memalign((void **)&self->table, BLK,
				    self->st.data_start * BLK));
	ASSERT_EQ(0, posix_memalign((void **)&self->blocks, BLK, 9 * BLK));
}

FIXTURE_TEARDOWN(xu)
{
	free(self->table);
	free(self->blocks);
	if (self->buf)
		exo_region__destroy(self->buf, 2 * BLK);
	if (self->fd >= 0)
		exo_close(self->fd);
}

/* The root and b[0..7] as the device holds them, into @out (9 blocks). */
static void blocks_read(FIXTURE_DATA(xu) *self,
			struct __test_metadata *_metadata, char *out)
{
	int i;

	ASSERT_EQ(0, exo_raw_read(self->disk, self->root, out, 1));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, exo_raw_read(self->disk, self->b[i],
					  out + (i + 1) * BLK, 1));
}

/*
 * Remember exo's table area (both copies) as it is on disk now, and the
 * blocks the tests update or claim (the root, b[0..7]).
 */
static void table_save(FIXTURE_DATA(xu) *self,
		       struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, exo_raw_read(self->disk, 0, self->table,
				  self->st.data_start));
	blocks_read(self, _metadata, self->blocks);
}

/*
 * ... and find it unchanged, and the blocks, with the generation, free
 * count, XN blocks.
 */
static void table_same(FIXTURE_DATA(xu) *self,
		       struct __test_metadata *_metadata, long long xn_blocks)
{
	struct exo_extent_stat st;
	char *now;
	long long n;

	ASSERT_EQ(0, posix_memalign((void **)&now, BLK,
				    self->st.data_start * BLK));
	ASSERT_EQ(0, exo_raw_read(self->disk, 0, now, self->st.data_start));
	EXPECT_EQ(0, memcmp(now, self->table, self->st.data_start * BLK));
	free(now);
	ASSERT_EQ(0, posix_memalign((void **)&now, BLK, 9 * BLK));
	blocks_read(self, _metadata, now);
	EXPECT_EQ(0, memcmp(now, self->blocks, 9 * BLK))
		TH_LOG("the root or a block b[0..7] changed on the device");
	free(now);
	ASSERT_EQ(0, exo_extent_stat(self->fd, &st));
	ASSERT_EQ(0, exo_extents_value("xn_blocks", &n));
	EXPECT_EQ(xn_blocks, n);
	ASSERT_EQ(0, exo_extents_value("generation", &n));
	EXPECT_EQ((long long)st.generation, n);
}

/* Root -> b0 (list of type 2, holding b2 as data), b1 (data). */
static void build_tree(FIXTURE_DATA(xu) *self,
		       struct __test_metadata *_metadata)
{
	struct exo_xn_ref top[2] = { ref(self->b[0], 2), ref(self->b[1], 0) };
	struct exo_xn_ref mid[1] = { ref(self->b[2], 0) };

	put_list(self->buf, 2, top);
	ASSERT_EQ(0, xn_update(self->fd, self->root, self->f, top, 2,
			       NULL, 0));
	put_list(self->buf, 1, mid);
	ASSERT_EQ(0, xn_update(self->fd, self->b[0], self->f, mid, 1,
			       NULL, 0));
}

TEST_F(xu, good_update_and_its_effect)
{
	struct exo_xn_ref top[2], mid[1];
	struct exo_extent_stat before, after;
	char want[BLK], *raw;
	exo_cap_t x2, f2;
	__u32 root = 9;
	char *b2;
	long long n;
	int fd2;

	NEED_DISK();
	top[0] = ref(self->b[0], 2);
	top[1] = ref(self->b[1], 0);
	mid[0] = ref(self->b[2], 0);
	/* The new root reads as zeroes: no references. */
	EXPECT_EQ(1, xn_read(self->fd, self->root, self->r, &root));
	EXPECT_EQ(1, root);
	EXPECT_TRUE(is_zero(self->rd));
	ASSERT_EQ(0, exo_extent_stat(self->fd, &before));
	/* Claims in any order. */
	put_list(self->buf, 2, top);
	memcpy(want, self->buf, BLK);
	{
		struct exo_xn_ref rev[2] = { top[1], top[0] };

		ASSERT_EQ(0, xn_update(self->fd, self->root, self->f, rev, 2,
				       NULL, 0));
	}
	ASSERT_EQ(0, exo_extent_stat(self->fd, &after));
	EXPECT_EQ(before.free - 2, after.free);
	EXPECT_LT(before.generation, after.generation);
	ASSERT_EQ(0, exo_extents_value("xn_blocks", &n));
	EXPECT_EQ(3, n);
	memset(self->rd, 0, BLK);
	EXPECT_EQ(1, xn_read(self->fd, self->root, self->r, NULL));
	EXPECT_EQ(0, memcmp(want, self->rd, BLK));
	/* The block itself, on the device. */
	ASSERT_EQ(0, posix_memalign((void **)&raw, BLK, BLK));
	ASSERT_EQ(0, exo_raw_read(self->disk, self->root, raw, 1));
	EXPECT_EQ(0, memcmp(want, raw, BLK));
	free(raw);
	/* The added blocks are typed, owned, and read as zeroes. */
	memset(self->rd, 1, BLK);
	EXPECT_EQ(2, xn_read(self->fd, self->b[0], self->r, &root));
	EXPECT_EQ(0, root);
	EXPECT_TRUE(is_zero(self->rd));
	EXPECT_EQ(0, xn_read(self->fd, self->b[1], self->r, NULL));
	EXPECT_EQ(-EACCES, xn_read(self->fd, self->b[2], self->r, NULL));
	/* Taken from the device: nobody else can allocate them. */
	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-EBUSY, exo_extent_alloc_at(fd2, self->b[0], 1, &x2,
					      NULL, NULL));
	/* Nor read them: reads are what one's roots reach. */
	EXPECT_EQ(-ENOKEY, xn_read(fd2, self->b[0], self->r, NULL));

	/* One level down, then everything released again. */
	put_list(self->buf, 1, mid);
	ASSERT_EQ(0, xn_update(self->fd, self->b[0], self->f, mid, 1,
			       NULL, 0));
	ASSERT_EQ(0, exo_extents_value("xn_blocks", &n));
	EXPECT_EQ(4, n);
	put_list(self->buf, 0, NULL);
	ASSERT_EQ(0, xn_update(self->fd, self->b[0], self->f, NULL, 0,
			       mid, 1));
	put_list(self->buf, 0, NULL);
	ASSERT_EQ(0, xn_update(self->fd, self->root, self->f, NULL, 0,
			       top, 2));
	ASSERT_EQ(0, exo_extents_value("xn_blocks", &n));
	EXPECT_EQ(1, n);
	ASSERT_EQ(0, exo_extent_stat(self->fd, &after));
	EXPECT_EQ(before.free, after.free);
	EXPECT_EQ(-EACCES, xn_read(self->fd, self->b[0], self->r, NULL));

	/*
	 * b0 held a list and a pattern when it was released: another
	 * principal that allocates it reads zeroes.
	 */
	b2 = exo_region__create(fd2, NULL, BLK, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, b2);
	ASSERT_EQ(0, exo_frame_alloc(fd2, 1, &f2, NULL));
	ASSERT_EQ(0, exo_frame_map_one(fd2, b2, f2,
				       EXO_PROT_READ | EXO_PROT_WRITE));
	ASSERT_EQ(0, exo_extent_alloc_at(fd2, self->b[2], 3, &x2, NULL,
					 NULL));
	memset(b2, 0x5a, BLK);
	ASSERT_EQ(0, exo_extent_read(fd2, x2, 2, f2));
	EXPECT_TRUE(is_zero(b2));
	ASSERT_EQ(0, exo_extent_free(fd2, x2));
	exo_region__destroy(b2, BLK);
	exo_close(fd2);
}

TEST_F(xu, another_principals_block_refused)
{
	struct exo_xn_ref a[1];
	__u64 start2, root2 = 0, again;
	exo_cap_t x2;
	int fd2;

	NEED_DISK();
	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, exo_extent_alloc(fd2, 1, &x2, &start2, NULL, NULL));
	ASSERT_EQ(0, exo_xn_template_set(fd2, 1, list_prog, LIST_LEN));
	ASSERT_EQ(0, xn_root(fd2, &root2, 1, 0));
	table_save(self, _metadata);

	/* Its extent, its root, our own extent, exo's table: taken. */
	a[0] = ref(start2, 0);
	put_list(self->buf, 1, a);
	EXPECT_EQ(-EBUSY, xn_update(self->fd, self->root, self->f, a, 1,
				    NULL, 0));
	a[0] = ref(root2, 1);
	put_list(self->buf, 1, a);
	EXPECT_EQ(-EBUSY, xn_update(self->fd, self->root, self->f, a, 1,
				    NULL, 0));
	a[0] = ref(self->st.data_start - 1, 0);
	put_list(self->buf, 1, a);
	EXPECT_EQ(-EBUSY, xn_update(self->fd, self->root, self->f, a, 1,
				    NULL, 0));
	{
		struct exo_cap_info ci = { .size = sizeof(ci), .cap = self->x };

		ASSERT_EQ(0, ioctl(self->fd, EXO_IOC_CAP_INFO, &ci));
		a[0] = ref(ci.obj_id, 0);
	}
	put_list(self->buf, 1, a);
	EXPECT_EQ(-EBUSY, xn_update(self->fd, self->root, self->f, a, 1,
				    NULL, 0));
	/* Nor may it update, read or remove our root, or we its. */
	{
		exo_cap_t f2;
		char *b2;

		b2 = exo_region__create(fd2, NULL, BLK,
					PROT_READ | PROT_WRITE);
		ASSERT_NE(NULL, b2);
		ASSERT_EQ(0, exo_frame_alloc(fd2, 1, &f2, NULL));
		ASSERT_EQ(0, exo_frame_map_one(fd2, b2, f2,
					       EXO_PROT_READ |
					       EXO_PROT_WRITE));
		memset(b2, 0, BLK);
		EXPECT_EQ(-EACCES, xn_update(fd2, self->root, f2, NULL, 0,
					     NULL, 0));
		EXPECT_EQ(-EACCES, xn_read(fd2, self->root, f2, NULL));
		EXPECT_EQ(-ENOENT, xn_root(fd2, &self->root, 0,
					   EXO_XN_ROOT_REMOVE));
		exo_region__destroy(b2, BLK);
	}
	put_list(self->buf, 0, NULL);
	EXPECT_EQ(-EACCES, xn_update(self->fd, root2, self->f, NULL, 0,
				     NULL, 0));
	EXPECT_EQ(-EACCES, xn_read(self->fd, root2, self->r, NULL));
	EXPECT_EQ(-ENOENT, xn_root(self->fd, &root2, 0, EXO_XN_ROOT_REMOVE));
	/* A root on its blocks, or on ours again. */
	EXPECT_EQ(-EBUSY, xn_root(self->fd, &start2, 1, 0));
	again = self->root;
	EXPECT_EQ(-EEXIST, xn_root(self->fd, &again, 1, 0));
	table_same(self, _metadata, 2);
	exo_close(fd2);
}

TEST_F(xu, reference_without_claim_refused)
{
	struct exo_xn_ref a[2] = { ref(self->b[0], 0), ref(self->b[1], 0) };

	NEED_DISK();
	table_save(self, _metadata);
	/* Nothing claimed. */
	put_list(self->buf, 1, a);
	EXPECT_EQ(-EPERM, xn_update(self->fd, self->root, self->f, NULL, 0,
				    NULL, 0));
	/* One of two claimed. */
	put_list(self->buf, 2, a);
	EXPECT_EQ(-EPERM, xn_update(self->fd, self->root, self->f, a, 1,
				    NULL, 0));
	/* Claimed with another type than the block says. */
	put_list(self->buf, 1, a);
	{
		struct exo_xn_ref wrong = ref(self->b[0], 2);

		EXPECT_EQ(-EPERM, xn_update(self->fd, self->root, self->f,
					    &wrong, 1, NULL, 0));
	}
	/* Another principal's block, unclaimed. */
	{
		struct exo_xn_ref t = ref(self->st.data_start - 1, 0);

		put_list(self->buf, 1, &t);
		EXPECT_EQ(-EPERM, xn_update(self->fd, self->root, self->f,
					    NULL, 0, NULL, 0));
	}
	table_same(self, _metadata, 1);
}

TEST_F(xu, block_claimed_twice_refused)
{
	struct exo_xn_ref a[2] = { ref(self->b[3], 0), ref(self->b[3], 0) };
	struct exo_xn_ref mid[1];

	NEED_DISK();
	build_tree(self, _metadata);
	table_save(self, _metadata);
	/* Twice in the claim and in the block. */
	put_list(self->buf, 2, a);
	EXPECT_EQ(-EEXIST, xn_update(self->fd, self->b[0], self->f, a, 2,
				     NULL, 0));
	/* Twice in the block, once in the claim. */
	EXPECT_EQ(-EEXIST, xn_update(self->fd, self->b[0], self->f, a, 1,
				     NULL, 0));
	/* Already ours, referenced from the root: b1 into b0 as well. */
	mid[0] = ref(self->b[2], 0);
	a[0] = mid[0];
	a[1] = ref(self->b[1], 0);
	put_list(self->buf, 2, a);
	EXPECT_EQ(-EEXIST, xn_update(self->fd, self->b[0], self->f, &a[1], 1,
				     NULL, 0));
	/* The root itself. */
	a[1] = ref(self->root, 1);
	put_list(self->buf, 2, a);
	EXPECT_EQ(-EEXIST, xn_update(self->fd, self->b[0], self->f, &a[1], 1,
				     NULL, 0));
	/* The block pointing at itself. */
	a[1] = ref(self->b[0], 2);
	put_list(self->buf, 2, a);
	EXPECT_EQ(-EEXIST, xn_update(self->fd, self->b[0], self->f, &a[1], 1,
				     NULL, 0));
	/* Added and released at once. */
	a[1] = ref(self->b[2], 0);
	put_list(self->buf, 0, NULL);
	EXPECT_EQ(-EEXIST, xn_update(self->fd, self->b[0], self->f, mid, 1,
				     &a[1], 1));
	table_same(self, _metadata, 4);
}

TEST_F(xu, freeing_a_referenced_block_refused)
{
	struct exo_xn_ref top[2] = { ref(self->b[0], 2), ref(self->b[1], 0) };
	struct exo_xn_ref mid[1] = { ref(self->b[2], 0) };

	NEED_DISK();
	build_tree(self, _metadata);
	table_save(self, _metadata);
	/* b2 released while b0's new contents still point at it. */
	put_list(self->buf, 1, mid);
	EXPECT_EQ(-ENOTEMPTY, xn_update(self->fd, self->b[0], self->f, NULL,
					0, mid, 1));
	/* b0 released from the root while it still references b2. */
	put_list(self->buf, 1, &top[1]);
	EXPECT_EQ(-ENOTEMPTY, xn_update(self->fd, self->root, self->f, NULL,
					0, top, 1));
	/* The root given back while it references blocks. */
	{
		__u64 r = self->root;

		EXPECT_EQ(-ENOTEMPTY, xn_root(self->fd, &r, 0,
					      EXO_XN_ROOT_REMOVE));
	}
	/* A template replaced or removed while blocks of its type exist. */
	EXPECT_EQ(-EBUSY, exo_xn_template_set(self->fd, 2, list_prog,
					      LIST_LEN));
	EXPECT_EQ(-EBUSY, exo_xn_template_remove(self->fd, 1));
	table_same(self, _metadata, 4);
}

TEST_F(xu, lying_about_the_difference_refused)
{
	struct exo_xn_ref top[2] = { ref(self->b[0], 2), ref(self->b[1], 0) };
	struct exo_xn_ref extra = ref(self->b[5], 0);

	NEED_DISK();
	build_tree(self, _metadata);
	table_save(self, _metadata);
	/* A claimed addition the new contents lack. */
	put_list(self->buf, 2, top);
	EXPECT_EQ(-EPROTO, xn_update(self->fd, self->root, self->f, &extra, 1,
				     NULL, 0));
	/* A claimed addition the old contents had already. */
	EXPECT_EQ(-EPROTO, xn_update(self->fd, self->root, self->f, top, 1,
				     NULL, 0));
	/* A reference dropped without being released. */
	put_list(self->buf, 1, top);
	EXPECT_EQ(-EPROTO, xn_update(self->fd, self->root, self->f, NULL, 0,
				     NULL, 0));
	/* A release of a block the old contents never referenced. */
	put_list(self->buf, 2, top);
	EXPECT_EQ(-EPROTO, xn_update(self->fd, self->root, self->f, NULL, 0,
				     &extra, 1));
	/* Released with another type than it has. */
	{
		struct exo_xn_ref wrong = ref(self->b[1], 2);

		put_list(self->buf, 1, top);
		EXPECT_EQ(-EPROTO, xn_update(self->fd, self->root, self->f,
					     NULL, 0, &wrong, 1));
	}
	table_same(self, _metadata, 4);
}

/*
 * An update whose results cannot be copied back (the struct on a
 * read-only page) has taken effect and answers EFAULT; the same call made
 * again answers 0 and changes nothing (not EPROTO: the claim describes
 * what the update did).  After another update it is refused again, and a
 * call with the same contents but part of the claim never counts as done.
 */
TEST_F(xu, retry_of_an_update_that_failed_to_copy_back)
{
	struct exo_xn_ref top[2] = { ref(self->b[0], 2), ref(self->b[1], 0) };
	struct exo_xn_ref mid[1] = { ref(self->b[2], 0) };
	struct exo_xn_ref rev[2] = { top[1], top[0] };
	struct exo_xn_update *ro, u = {
		.size = sizeof(u), .block = self->root, .frame = self->f,
		.add = (unsigned long)top, .nadd = 2,
	};
	struct exo_extent_stat st;
	char want[BLK];
	long long n;

	NEED_DISK();
	put_list(self->buf, 2, top);
	memcpy(want, self->buf, BLK);
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	*ro = u;
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_XN_UPDATE, ro));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, exo_extents_value("xn_blocks", &n));
	EXPECT_EQ(3, n);	/* it took effect */
	table_save(self, _metadata);

	/* The retry: 0, with the generation, and nothing changed. */
	ASSERT_EQ(0, exo_extent_stat(self->fd, &st));
	u.generation = 0;
	EXPECT_EQ(0, ioctl(self->fd, EXO_IOC_XN_UPDATE, &u));
	EXPECT_EQ(st.generation, u.generation);
	table_same(self, _metadata, 3);
	memset(self->rd, 0, BLK);
	EXPECT_EQ(1, xn_read(self->fd, self->root, self->r, NULL));
	EXPECT_EQ(0, memcmp(want, self->rd, BLK));
	/* Again, with the claim in another order: the same update. */
	EXPECT_EQ(0, xn_update(self->fd, self->root, self->f, rev, 2, NULL, 0));
	/* Part of the claim is not the update that was made. */
	EXPECT_EQ(-EPROTO, xn_update(self->fd, self->root, self->f, top, 1,
				     NULL, 0));
	table_same(self, _metadata, 3);

	/* After another update, the first one's retry is a lie again. */
	put_list(self->buf, 1, mid);
	ASSERT_EQ(0, xn_update(self->fd, self->b[0], self->f, mid, 1, NULL, 0));
	put_list(self->buf, 2, top);
	EXPECT_EQ(-EPROTO, xn_update(self->fd, self->root, self->f, top, 2,
				     NULL, 0));
	ASSERT_EQ(0, exo_extents_value("xn_blocks", &n));
	EXPECT_EQ(4, n);
	munmap(ro, 4096);
}

TEST_F(xu, bad_calls_refused)
{
	struct exo_xn_ref a = ref(self->b[0], 0);
	struct exo_xn_update u = { .size = sizeof(u), .block = self->root,
				   .frame = self->f };
	__u64 r;
	int fd2;
	static const struct sock_filter one_ref[] = {	/* on any block */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, BLK),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, EXO_XN_REF(0, 100)),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};

	NEED_DISK();
	table_save(self, _metadata);
	put_list(self->buf, 1, &a);
	u.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_XN_UPDATE, &u));
	EXPECT_EQ(EINVAL, errno);
	u.flags = 0;
	u.nadd = EXO_XN_MAX_REFS + 1;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_XN_UPDATE, &u));
	EXPECT_EQ(EINVAL, errno);
	u.nadd = 1;
	u.add = 8;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_XN_UPDATE, &u));
	EXPECT_EQ(EFAULT, errno);
	a.__reserved = 1;
	EXPECT_EQ(-EINVAL, xn_update(self->fd, self->root, self->f, &a, 1,
				     NULL, 0));
	a = ref(self->b[0], EXO_XN_MAX_TYPES);
	EXPECT_EQ(-EINVAL, xn_update(self->fd, self->root, self->f, &a, 1,
				     NULL, 0));
	a = ref(1ULL << 40, 0);
	EXPECT_EQ(-ERANGE, xn_update(self->fd, self->root, self->f, &a, 1,
				     NULL, 0));
	a = ref(self->b[0], 0);
	/* The frame must be one, and readable. */
	EXPECT_EQ(-EINVAL, xn_update(self->fd, self->root, self->x, &a, 1,
				     NULL, 0));
	EXPECT_EQ(-EBADF, xn_update(self->fd, self->root, 0, &a, 1, NULL, 0));
	/* Not a metadata block of ours: free, past the device. */
	EXPECT_EQ(-EACCES, xn_update(self->fd, self->b[6], self->f, &a, 1,
				     NULL, 0));
	EXPECT_EQ(-EACCES, xn_update(self->fd, 1ULL << 40, self->f, &a, 1,
				     NULL, 0));
	/* An added metadata type without a template. */
	a = ref(self->b[0], 7);
	put_list(self->buf, 1, &a);
	EXPECT_EQ(-ENOENT, xn_update(self->fd, self->root, self->f, &a, 1,
				     NULL, 0));
	/* As an added block's type: a zeroed block has references. */
	a = ref(self->b[0], 3);
	put_list(self->buf, 1, &a);
	table_same(self, _metadata, 1);
	ASSERT_EQ(0, exo_xn_template_set(self->fd, 3, one_ref, 4));
	table_save(self, _metadata);
	EXPECT_EQ(-ENOTEMPTY, xn_update(self->fd, self->root, self->f, &a, 1,
					NULL, 0));
	/* ... or a root's. */
	r = 0;
	EXPECT_EQ(-ENOTEMPTY, xn_root(self->fd, &r, 3, 0));
	EXPECT_EQ(-ENOENT, xn_root(self->fd, &r, 4, 0));
	EXPECT_EQ(-EINVAL, xn_root(self->fd, &r, 0, 0));
	r = self->st.nblocks;
	EXPECT_EQ(-ERANGE, xn_root(self->fd, &r, 1, 0));
	table_same(self, _metadata, 1);
	ASSERT_EQ(0, exo_xn_template_remove(self->fd, 3));
	/* No principal. */
	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	r = 0;
	EXPECT_EQ(-ENOKEY, xn_root(fd2, &r, 1, 0));
	exo_close(fd2);
}

TEST_F(xu, roots_declared_and_removed)
{
	__u64 r2 = self->b[7], r3 = 0;
	struct exo_extent_stat a, b;
	__u32 root;
	long long n;

	NEED_DISK();
	ASSERT_EQ(0, exo_extent_stat(self->fd, &a));
	ASSERT_EQ(0, xn_root(self->fd, &r2, 2, 0));
	EXPECT_EQ(self->b[7], r2);
	EXPECT_EQ(2, xn_read(self->fd, r2, self->r, &root));
	EXPECT_EQ(1, root);
	ASSERT_EQ(0, exo_extents_value("xn_roots", &n));
	EXPECT_EQ(2, n);
	/* A root dies only empty; then its block is free again. */
	ASSERT_EQ(0, xn_root(self->fd, &r2, 0, EXO_XN_ROOT_REMOVE));
	ASSERT_EQ(0, exo_extent_stat(self->fd, &b));
	EXPECT_EQ(a.free, b.free);
	EXPECT_EQ(-EACCES, xn_read(self->fd, r2, self->r, NULL));
	EXPECT_EQ(-ENOENT, xn_root(self->fd, &r2, 0, EXO_XN_ROOT_REMOVE));
	/* Roots keep a principal with no extent alive; the last one ends it. */
	ASSERT_EQ(0, exo_extent_free(self->fd, self->x));
	ASSERT_EQ(0, exo_extents_value("xn_templates", &n));
	EXPECT_EQ(2, n);
	ASSERT_EQ(0, xn_root(self->fd, &r3, 1, 0));
	ASSERT_EQ(0, xn_root(self->fd, &r3, 1, EXO_XN_ROOT_REMOVE));
	ASSERT_EQ(0, xn_root(self->fd, &self->root, 1, EXO_XN_ROOT_REMOVE));
	ASSERT_EQ(0, exo_extents_value("xn_templates", &n));
	EXPECT_EQ(0, n);
	ASSERT_EQ(0, exo_extents_value("xn_roots", &n));
	EXPECT_EQ(0, n);
	EXPECT_EQ(-ENOKEY, xn_root(self->fd, &r3, 1, 0));
}

/*
 * A root whose number cannot be copied back (the struct on a read-only
 * page: EFAULT) is removed again: no root its caller cannot name stays.
 */
TEST_F(xu, root_not_copied_back_is_undone)
{
	struct exo_xn_root *ro;
	struct exo_extent_stat a, b;
	long long n;

	NEED_DISK();
	ASSERT_EQ(0, exo_extent_stat(self->fd, &a));
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ro->size = sizeof(*ro);
	ro->type = 1;
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_XN_ROOT, ro));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, exo_extents_value("xn_roots", &n));
	EXPECT_EQ(1, n);
	ASSERT_EQ(0, exo_extents_value("xn_blocks", &n));
	EXPECT_EQ(1, n);
	ASSERT_EQ(0, exo_extent_stat(self->fd, &b));
	EXPECT_EQ(a.free, b.free);
	munmap(ro, 4096);
}

/*
 * Data blocks are written directly; metadata only through updates.  A
 * written data block, released, reads as zeroes to the next owner; one
 * written with FUA reads back after a re-attach.
 */
TEST_F(xu, data_blocks_written_directly)
{
	struct exo_xn_ref top[2] = { ref(self->b[0], 2), ref(self->b[1], 0) };
	exo_cap_t x2, f2;
	char *b2;
	int fd2, i;

	NEED_DISK();
	build_tree(self, _metadata);
	for (i = 0; i < BLK; i++)
		self->buf[i] = (char)(i * 13 + 1);
	ASSERT_EQ(0, exo_xn_write(self->fd, self->b[1], self->f, EXO_IO_FUA));
	ASSERT_EQ(0, exo_xn_write(self->fd, self->b[2], self->f, 0));
	memset(self->rd, 0, BLK);
	EXPECT_EQ(0, xn_read(self->fd, self->b[1], self->r, NULL));
	EXPECT_EQ(0, memcmp(self->buf, self->rd, BLK));
	/* Not data, not ours, bad flags. */
	EXPECT_EQ(-EPERM, exo_xn_write(self->fd, self->b[0], self->f, 0));
	EXPECT_EQ(-EPERM, exo_xn_write(self->fd, self->root, self->f, 0));
	EXPECT_EQ(-EACCES, exo_xn_write(self->fd, self->b[6], self->f, 0));
	EXPECT_EQ(-EINVAL, exo_xn_write(self->fd, self->b[1], self->f, 4));
	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-ENOKEY, exo_xn_write(fd2, self->b[1], self->f, 0));

	/* FUA: durable, and readable after a re-attach. */
	ASSERT_EQ(0, exo_extent_detach(self->fd));
	ASSERT_EQ(0, exo_extent_attach(self->fd, self->disk, 0, NULL));
	memset(self->rd, 0, BLK);
	EXPECT_EQ(0, xn_read(self->fd, self->b[1], self->r, NULL));
	EXPECT_EQ(0, memcmp(self->buf, self->rd, BLK));

	/* Released: the next owner reads zeroes. */
	put_list(self->buf, 1, top);
	ASSERT_EQ(0, xn_update(self->fd, self->root, self->f, NULL, 0,
			       &top[1], 1));
	b2 = exo_region__create(fd2, NULL, BLK, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, b2);
	ASSERT_EQ(0, exo_frame_alloc(fd2, 1, &f2, NULL));
	ASSERT_EQ(0, exo_frame_map_one(fd2, b2, f2,
					EXO_PROT_READ | EXO_PROT_WRITE));
	ASSERT_EQ(0, exo_extent_alloc_at(fd2, self->b[1], 1, &x2, NULL,
					  NULL));
	memset(b2, 0x5a, BLK);
	ASSERT_EQ(0, exo_extent_read(fd2, x2, 0, f2));
	EXPECT_TRUE(is_zero(b2));
	ASSERT_EQ(0, exo_extent_free(fd2, x2));
	exo_region__destroy(b2, BLK);
	exo_close(fd2);
}

/* Detach and attach again: roots, templates and ownership come back. */
TEST_F(xu, survives_reattach)
{
	struct exo_xn_ref mid[2] = { ref(self->b[2], 0), ref(self->b[3], 0) };
	char want[BLK];
	long long n;

	NEED_DISK();
	build_tree(self, _metadata);
	memset(self->rd, 0, BLK);
	ASSERT_EQ(2, xn_read(self->fd, self->b[0], self->r, NULL));
	memcpy(want, self->rd, BLK);
	ASSERT_EQ(0, exo_extent_detach(self->fd));
	EXPECT_EQ(-ENODEV, xn_read(self->fd, self->b[0], self->r, NULL));
	ASSERT_EQ(0, exo_extent_attach(self->fd, self->disk, 0, NULL));
	ASSERT_EQ(0, exo_extents_value("xn_templates", &n));
	EXPECT_EQ(2, n);
	ASSERT_EQ(0, exo_extents_value("xn_roots", &n));
	EXPECT_EQ(1, n);
	ASSERT_EQ(0, exo_extents_value("xn_blocks", &n));
	EXPECT_EQ(4, n);
	memset(self->rd, 0, BLK);
	EXPECT_EQ(2, xn_read(self->fd, self->b[0], self->r, NULL));
	EXPECT_EQ(0, memcmp(want, self->rd, BLK));
	/* The templates work without registering them again. */
	put_list(self->buf, 2, mid);
	EXPECT_EQ(0, xn_update(self->fd, self->b[0], self->f, &mid[1], 1,
			       NULL, 0));
	/* And still refuse: b2 is b0's already. */
	{
		struct exo_xn_ref top[3] = {
			ref(self->b[0], 2), ref(self->b[1], 0), mid[0],
		};

		put_list(self->buf, 3, top);
		EXPECT_EQ(-EEXIST, xn_update(self->fd, self->root, self->f,
					     mid, 1, NULL, 0));
	}
	ASSERT_EQ(0, exo_extents_value("xn_blocks", &n));
	EXPECT_EQ(5, n);
}

/* debugfs check's report, into @buf; its length, or -errno. */
static int check_report(char *buf, size_t len)
{
	int n = exo_read_file(EXO_DEBUGFS "/check", buf, len);

	if (n >= 0)
		buf[(size_t)n < len ? (size_t)n : len - 1] = '\0';
	return n;
}

/*
 * A tree broken behind exo's back (the root rewritten on the device):
 * debugfs check, walking from the roots again, names a block reached
 * twice and a block owned and reached from no root, and attach refuses
 * the device (EUCLEAN) until the tree is whole again.
 */
TEST_F(xu, broken_tree_reported_and_refused)
{
	struct exo_xn_ref twice[3] = {
		ref(self->b[0], 2), ref(self->b[1], 0), ref(self->b[2], 0),
	};
	struct exo_xn_ref lost[1] = { ref(self->b[0], 2) };
	char report[4096], want[128], *good, *bad;
	long long n;

	NEED_DISK();
	build_tree(self, _metadata);
	ASSERT_LT(0, check_report(report, sizeof(report)));
	EXPECT_STREQ("ok\n", report);
	ASSERT_EQ(0, posix_memalign((void **)&good, BLK, BLK));
	ASSERT_EQ(0, posix_memalign((void **)&bad, BLK, BLK));
	ASSERT_EQ(0, exo_raw_read(self->disk, self->root, good, 1));

	/* The root forgets b1, which exo handed out: owned, unreachable. */
	put_list(bad, 1, lost);
	ASSERT_EQ(0, exo_raw_write(self->disk, self->root, bad, 1));
	ASSERT_LT(0, check_report(report, sizeof(report)));
	snprintf(want, sizeof(want),
		 "bad: xn: block %llu is owned and unreachable from the roots\n",
		 (unsigned long long)self->b[1]);
	EXPECT_NE(NULL, strstr(report, want)) TH_LOG("%s", report);

	/* The root names b2 too, which b0 holds: b2 owned twice. */
	put_list(bad, 3, twice);
	ASSERT_EQ(0, exo_raw_write(self->disk, self->root, bad, 1));
	ASSERT_LT(0, check_report(report, sizeof(report)));
	snprintf(want, sizeof(want),
		 "bad: xn: block %llu is owned twice (reached twice from the roots)\n",
		 (unsigned long long)self->b[2]);
	EXPECT_NE(NULL, strstr(report, want)) TH_LOG("%s", report);

	/* Attach walks from the roots: a broken tree is refused. */
	ASSERT_EQ(0, exo_extent_detach(self->fd));
	EXPECT_EQ(-EUCLEAN, exo_extent_attach(self->fd, self->disk, 0, NULL));
	put_list(bad, 1, lost);
	ASSERT_EQ(0, exo_raw_write(self->disk, self->root, bad, 1));
	EXPECT_EQ(-EUCLEAN, exo_extent_attach(self->fd, self->disk, 0, NULL));

	/* Whole again: attached, the owned set rebuilt, check clean. */
	ASSERT_EQ(0, exo_raw_write(self->disk, self->root, good, 1));
	ASSERT_EQ(0, exo_extent_attach(self->fd, self->disk, 0, NULL));
	ASSERT_EQ(0, exo_extents_value("xn_blocks", &n));
	EXPECT_EQ(4, n);
	ASSERT_LT(0, check_report(report, sizeof(report)));
	EXPECT_STREQ("ok\n", report);
	free(good);
	free(bad);
}

/*
 * The module-reload test of run.sh drives this binary in two phases, by
 * environment, before the harness starts:
 *
 *   EXO_XN_PHASE=save  STATE=file   format, build a tree (root, a list
 *                                   block, two data blocks), save the key
 *   (run.sh: rmmod exo; insmod exo.ko extent_dev=DISK)
 *   EXO_XN_PHASE=check STATE=file   reclaim with the key: the root and the
 *                                   list block read back, the templates
 *                                   check updates with no new
 *                                   registration, the refusals still hold
 *
 * and scripts/extent-crash (EXO_CRASH_TEST=xn), across a guest killed
 * from the host, in two:
 *
 *   EXO_XN_PHASE=torture STATE=file    format, a root, then until killed:
 *                                      add a list block to the root, fill
 *                                      one with a pattern (no references),
 *                                      release one, at random, among the
 *                                      last TORTURE_SPAN blocks
 *   (QEMU killed; next boot: insmod exo.ko extent_dev=DISK, which walks
 *   from the roots and refuses a broken tree)
 *   EXO_XN_PHASE=crashcheck STATE=file  the root's list and the owned set
 *                                      agree (each listed block is the
 *                                      principal's, of type 2, nothing
 *                                      else is), and every other block of
 *                                      the span reads as zeroes to a new
 *                                      principal
 */
#define TORTURE_SPAN	64
#define PHASE_FAIL(...) do { fprintf(stderr, __VA_ARGS__); _exit(1); } while (0)

/* The root's list: its blocks, or -1 if it is no list of ours. */
static int list_of(const char *blk, __u64 *out, int max)
{
	const __u32 *w = (const __u32 *)blk;
	int n = ntohl(w[0]), i;

	if (n < 0 || n > max)
		return -1;
	for (i = 0; i < n; i++) {
		__u32 r = ntohl(w[1 + i]);

		if (EXO_XN_REF_TYPE(r) != 2)
			return -1;
		out[i] = EXO_XN_REF_BLOCK(r);
	}
	return n;
}

static void phase_torture(int fd, const struct exo_extent_stat *st,
			  const char *state, char *buf, exo_cap_t f)
{
	struct exo_xn_ref kids[TORTURE_SPAN], one;
	struct exo_key key;
	__u64 root = 0, lo = st->nblocks - TORTURE_SPAN;
	unsigned long round;
	int n = 0, i, ret;
	exo_cap_t x;

	if (exo_extent_alloc(fd, 1, &x, NULL, &key, NULL) ||
	    exo_xn_template_set(fd, 1, list_prog, LIST_LEN) ||
	    exo_xn_template_set(fd, 2, list_prog, LIST_LEN) ||
	    xn_root(fd, &root, 1, 0))
		PHASE_FAIL("torture setup: %s\n", strerror(errno));
	if (exo_extent_key_save(state, &key))
		PHASE_FAIL("key_save: %s\n", strerror(errno));
	srandom(getpid());
	for (round = 0;; round++) {
		int op = random() % 3;

		if (op == 0 && n < TORTURE_SPAN) {
			/* A free block of the span, into the root. */
			one = ref(lo + random() % TORTURE_SPAN, 2);
			for (i = 0; i < n && kids[i].block != one.block; i++)
				;
			if (i < n)
				continue;
			kids[n] = one;
			put_list(buf, n + 1, kids);
			ret = xn_update(fd, root, f, &one, 1, NULL, 0);
			if (ret)
				PHASE_FAIL("add %llu: %d\n",
					   (unsigned long long)one.block, ret);
			n++;
		} else if (op == 1 && n) {
			/* A pattern, no references: contents to hide later. */
			i = random() % n;
			put_list(buf, 0, NULL);
			memset(buf + 4, (int)round | 1, BLK - 4);
			ret = xn_update(fd, kids[i].block, f, NULL, 0, NULL, 0);
			if (ret)
				PHASE_FAIL("fill: %d\n", ret);
		} else if (n) {
			i = random() % n;
			one = kids[i];
			kids[i] = kids[--n];
			put_list(buf, n, kids);
			ret = xn_update(fd, root, f, NULL, 0, &one, 1);
			if (ret)
				PHASE_FAIL("release %llu: %d\n",
					   (unsigned long long)one.block, ret);
		}
		if (round % 64 == 0) {
			printf("torture: round %lu, %d blocks under the root\n",
			       round, n);
			fflush(stdout);
		}
	}
}

static void phase_crashcheck(int fd, const struct exo_extent_stat *st,
			     const struct exo_key *key, __u64 root, char *rd,
			     exo_cap_t r)
{
	__u64 kids[TORTURE_SPAN], lo = st->nblocks - TORTURE_SPAN, b;
	long long owned;
	int n, i, fd2, zero = 0;
	exo_cap_t x, f2;
	char *b2;

	if (exo_extent_reclaim(fd, key, NULL, 0) != 1)
		PHASE_FAIL("reclaim: %s\n", strerror(errno));
	if (xn_read(fd, root, r, NULL) != 1)
		PHASE_FAIL("root unreadable: %s\n", strerror(errno));
	n = list_of(rd, kids, TORTURE_SPAN);
	if (n < 0)
		PHASE_FAIL("the root holds no list\n");
	if (exo_extents_value("xn_blocks", &owned) || owned != n + 1)
		PHASE_FAIL("root lists %d blocks, %lld owned\n", n, owned);
	for (i = 0; i < n; i++)
		if (xn_read(fd, kids[i], r, NULL) != 2)
			PHASE_FAIL("listed block %llu not owned\n",
				   (unsigned long long)kids[i]);
	/* Every other block of the span: free, and zeroes to a newcomer. */
	fd2 = exo_open();
	b2 = exo_region__create(fd2, NULL, BLK, PROT_READ | PROT_WRITE);
	if (fd2 < 0 || !b2 || exo_frame_alloc(fd2, 1, &f2, NULL) ||
	    exo_frame_map_one(fd2, b2, f2, EXO_PROT_READ | EXO_PROT_WRITE))
		PHASE_FAIL("crashcheck: frame setup failed\n");
	for (b = lo; b < st->nblocks; b++) {
		for (i = 0; i < n && kids[i] != b; i++)
			;
		if (i < n)
			continue;
		if (exo_extent_alloc_at(fd2, b, 1, &x, NULL, NULL))
			PHASE_FAIL("free block %llu: %s\n",
				   (unsigned long long)b, strerror(errno));
		memset(b2, 0x77, BLK);
		if (exo_extent_read(fd2, x, 0, f2) || !is_zero(b2))
			PHASE_FAIL("released block %llu held data\n",
				   (unsigned long long)b);
		if (exo_extent_free(fd2, x))
			PHASE_FAIL("free: %s\n", strerror(errno));
		zero++;
	}
	printf("crashcheck: generation %llu, %d blocks under the root, all owned; %d free blocks read as zeroes\n",
	       (unsigned long long)st->generation, n, zero);
	_exit(0);
}

static void phase_run(const char *phase, const char *state, const char *disk)
{
	struct exo_extent_stat st;
	struct exo_xn_ref top[2], mid[1], more[1];
	struct exo_key key;
	__u64 root = 0, last;
	exo_cap_t f, r, x;
	char *buf, *rd, want[BLK];
	int fd, ret;

	fd = exo_open();
	if (fd < 0)
		PHASE_FAIL("exo_open: %d\n", fd);
	buf = exo_region__create(fd, NULL, 2 * BLK, PROT_READ | PROT_WRITE);
	rd = buf + BLK;
	if (!buf || exo_frame_alloc(fd, 1, &f, NULL) ||
	    exo_frame_alloc(fd, 1, &r, NULL) ||
	    exo_frame_map_one(fd, buf, f, EXO_PROT_READ | EXO_PROT_WRITE) ||
	    exo_frame_map_one(fd, rd, r, EXO_PROT_READ | EXO_PROT_WRITE))
		PHASE_FAIL("frame setup failed\n");
	if (!strcmp(phase, "save") || !strcmp(phase, "torture")) {
		exo_extent_detach(fd);
		if (exo_extent_attach(fd, disk, EXO_ATTACH_FORMAT, &st))
			PHASE_FAIL("attach %s: %s\n", disk, strerror(errno));
	} else if (exo_extent_stat(fd, &st)) {
		PHASE_FAIL("not attached at load: %s\n", strerror(errno));
	}
	last = st.nblocks - 1;
	top[0] = ref(last, 2);
	top[1] = ref(last - 1, 0);
	mid[0] = ref(last - 2, 0);
	more[0] = ref(last - 3, 0);
	if (!strcmp(phase, "save")) {
		if (exo_extent_alloc(fd, 1, &x, NULL, &key, NULL) ||
		    exo_xn_template_set(fd, 1, list_prog, LIST_LEN) ||
		    exo_xn_template_set(fd, 2, list_prog, LIST_LEN) ||
		    xn_root(fd, &root, 1, 0))
			PHASE_FAIL("setup: %s\n", strerror(errno));
		if (root != st.data_start + 1)
			PHASE_FAIL("root at %llu\n", (unsigned long long)root);
		put_list(buf, 2, top);
		if (xn_update(fd, root, f, top, 2, NULL, 0))
			PHASE_FAIL("update root: %s\n", strerror(errno));
		put_list(buf, 1, mid);
		if (xn_update(fd, last, f, mid, 1, NULL, 0))
			PHASE_FAIL("update list: %s\n", strerror(errno));
		if (exo_extent_key_save(state, &key))
			PHASE_FAIL("key_save %s: %s\n", state, strerror(errno));
		_exit(0);
	}
	if (!strcmp(phase, "torture"))
		phase_torture(fd, &st, state, buf, f);
	if (exo_extent_key_load(state, &key))
		PHASE_FAIL("key_load %s: %s\n", state, strerror(errno));
	root = st.data_start + 1;
	if (!strcmp(phase, "crashcheck"))
		phase_crashcheck(fd, &st, &key, root, rd, r);
	/* Before the key: not this env's. */
	if (xn_read(fd, root, r, NULL) != -ENOKEY)
		PHASE_FAIL("read without the key\n");
	if (exo_extent_reclaim(fd, &key, NULL, 0) != 1)
		PHASE_FAIL("reclaim: %s\n", strerror(errno));
	put_list(want, 2, top);
	if (xn_read(fd, root, r, NULL) != 1 || memcmp(want, rd, BLK))
		PHASE_FAIL("root differs after reload\n");
	put_list(want, 1, mid);
	if (xn_read(fd, last, r, NULL) != 2 || memcmp(want, rd, BLK))
		PHASE_FAIL("list block differs after reload\n");
	if (xn_read(fd, last - 2, r, NULL) != 0)
		PHASE_FAIL("data block not owned after reload\n");
	/* The persistent templates still check: a lie, then the truth. */
	put_list(buf, 1, mid);
	ret = xn_update(fd, last, f, more, 1, NULL, 0);
	if (ret != -EPROTO)
		PHASE_FAIL("a lie after reload answered %d\n", ret);
	{
		struct exo_xn_ref both[2] = { mid[0], more[0] };

		put_list(buf, 2, both);
		if (xn_update(fd, last, f, more, 1, NULL, 0))
			PHASE_FAIL("update after reload: %s\n",
				   strerror(errno));
	}
	_exit(0);
}

static void __attribute__((constructor)) phase_main(void)
{
	const char *phase = getenv("EXO_XN_PHASE");
	const char *state = getenv("STATE");
	const char *disk = exo_test_disk();

	if (!phase)
		return;
	if (!state || !disk)
		PHASE_FAIL("EXO_XN_PHASE needs STATE and a disk\n");
	phase_run(phase, state, disk);
}

TEST_HARNESS_MAIN
