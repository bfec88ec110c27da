// SPDX-License-Identifier: GPL-2.0
/*
 * XN subtree capabilities: one file system shared by two principals.
 * Principal A builds  root -> m (a list, type 2) -> d (data)
 *                          -> o (data, outside m's subtree)
 * and hands B, another env and another principal, the subtree of m
 * (EXO_IOC_XN_SUBTREE, then export and import like any capability).
 *
 * Checked: a read-only grantee reads the subtree and nothing else, and
 * can neither update nor write it (EACCES, nothing changed on disk); a
 * read-write grantee writes data and makes checked updates whose new
 * blocks are A's and in the subtree; revoking (or A releasing the top
 * block, or a re-attach) ends access with its errno; the errno table of
 * XN_SUBTREE and of a bad @tree; the quota of the kind; the three calls
 * through io_uring (EXO_URING_XN_*), with and without a subtree.
 * debugfs check (the XN kind's: a live subtree tops a block its principal
 * owns) says "ok" with subtrees live, revoked, and gone with their block.
 *
 * The list format and its template are xn_list.h's: a big-endian count,
 * then EXO_XN_REF words.
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
#include <liburing.h>

#include "kselftest_harness.h"
#include "exo_test.h"
#include "xn_list.h"

EXO_REQUIRE_DEVICE

#define BLK	EXO_EXTENT_BLOCK

static struct exo_xn_ref ref(__u64 block, __u32 type)
{
	return (struct exo_xn_ref){ .block = block, .type = type };
}

static void put_list(char *buf, __u32 n, const struct exo_xn_ref *refs,
		     char fill)
{
	__u32 *w = (__u32 *)buf;
	__u32 i;

	memset(buf, fill, BLK);
	w[0] = htonl(n);
	for (i = 0; i < n; i++)
		w[1 + i] = htonl(EXO_XN_REF(refs[i].type, refs[i].block));
}

/* One env: its fd, and two mapped frames (w: to write, r: to read). */
struct side {
	int fd;
	char *w, *r;
	exo_cap_t fw, fr;
};

/* @s->fd opened already, or -1: open one. */
static int side_open(struct side *s, int principal)
{
	exo_cap_t x;

	if (s->fd < 0)
		s->fd = exo_open();
	if (s->fd < 0)
		return -1;
	s->w = exo_region__create(s->fd, NULL, 2 * BLK,
				  PROT_READ | PROT_WRITE);
	if (!s->w)
		return -1;
	s->r = s->w + BLK;
	if (exo_frame_alloc(s->fd, 1, &s->fw, NULL) ||
	    exo_frame_alloc(s->fd, 1, &s->fr, NULL) ||
	    exo_frame_map_one(s->fd, s->w, s->fw,
			       EXO_PROT_READ | EXO_PROT_WRITE) ||
	    exo_frame_map_one(s->fd, s->r, s->fr,
			       EXO_PROT_READ | EXO_PROT_WRITE))
		return -1;
	/* An extent makes the env a principal. */
	if (principal && exo_extent_alloc(s->fd, 1, &x, NULL, NULL, NULL))
		return -1;
	return 0;
}

static void side_close(struct side *s)
{
	if (s->w)
		exo_region__destroy(s->w, 2 * BLK);
	if (s->fd >= 0)
		exo_close(s->fd);
}

/* The calls through libexo: @tree 0 is the plain call. */
static int xn_subtree(int fd, __u64 block, exo_cap_t *cap, __u32 *type)
{
	return exo_xn_subtree(fd, block, cap, type);
}

static int xn_read(int fd, exo_cap_t tree, __u64 block, exo_cap_t frame)
{
	return exo_xn_read_tree(fd, tree, block, frame, NULL);
}

static int xn_write(int fd, exo_cap_t tree, __u64 block, exo_cap_t frame)
{
	return exo_xn_write_tree(fd, tree, block, frame, EXO_IO_FUA);
}

static int xn_update(int fd, exo_cap_t tree, __u64 block, exo_cap_t frame,
		     const struct exo_xn_ref *add, __u32 nadd,
		     const struct exo_xn_ref *rel, __u32 nrel)
{
	return exo_xn_update_tree(fd, tree, block, frame, add, nadd, rel,
				  nrel);
}

/* A's subtree of @block into B with @rights (export, import). */
static int grant(int afd, exo_cap_t tree, __u32 rights, int bfd,
		 exo_cap_t *out)
{
	struct exo_key key;
	__u32 got;
	int ret;

	ret = exo_cap_export(afd, tree, rights, 0, &key);
	if (ret)
		return ret;
	return exo_cap_import(bfd, &key, out, &got);
}

FIXTURE(xs) {
	const char *disk;
	struct side a, b;
	struct exo_extent_stat st;
	__u64 root, m, d, o;
	exo_cap_t tree;		/* A's root capability for m's subtree */
};

FIXTURE_SETUP(xs)
{
	struct exo_xn_ref top[2], mid[1];

	self->a.fd = self->b.fd = -1;
	self->a.w = self->b.w = NULL;
	self->disk = exo_test_disk();
	if (!self->disk)
		return;
	self->a.fd = exo_open();
	ASSERT_LE(0, self->a.fd);
	exo_extent_detach(self->a.fd);
	ASSERT_EQ(0, exo_extent_attach(self->a.fd, self->disk,
					EXO_ATTACH_FORMAT, &self->st));
	ASSERT_EQ(0, side_open(&self->a, 1));
	ASSERT_EQ(0, side_open(&self->b, 1));
	ASSERT_EQ(0, exo_xn_template_set(self->a.fd, 1, list_prog,
					  LIST_LEN));
	ASSERT_EQ(0, exo_xn_template_set(self->a.fd, 2, list_prog,
					  LIST_LEN));
	self->root = 0;
	ASSERT_EQ(0, exo_xn_root(self->a.fd, 0, 1, &self->root));
	self->m = self->st.nblocks - 1;
	self->d = self->st.nblocks - 2;
	self->o = self->st.nblocks - 3;
	top[0] = ref(self->m, 2);
	top[1] = ref(self->o, 0);
	mid[0] = ref(self->d, 0);
	put_list(self->a.w, 2, top, 0x11);
	ASSERT_EQ(0, xn_update(self->a.fd, 0, self->root, self->a.fw, top,
			       2, NULL, 0));
	put_list(self->a.w, 1, mid, 0x22);
	ASSERT_EQ(0, xn_update(self->a.fd, 0, self->m, self->a.fw, mid, 1,
			       NULL, 0));
	memset(self->a.w, 0x33, BLK);
	ASSERT_EQ(0, xn_write(self->a.fd, 0, self->d, self->a.fw));
	memset(self->a.w, 0x44, BLK);
	ASSERT_EQ(0, xn_write(self->a.fd, 0, self->o, self->a.fw));
	ASSERT_EQ(0, xn_subtree(self->a.fd, self->m, &self->tree, NULL));
}

FIXTURE_TEARDOWN(xs)
{
	side_close(&self->b);
	side_close(&self->a);
}

static int all(const char *p, char c)
{
	int i;

	for (i = 0; i < BLK; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

/* Block @b on the device, its first byte after a header of @skip bytes. */
static char raw_byte(const char *disk, __u64 b, size_t skip)
{
	char *buf, c;

	if (posix_memalign((void **)&buf, BLK, BLK))
		return 0;
	c = exo_raw_read(disk, b, buf, 1) ? 0 : buf[skip];
	free(buf);
	return c;
}

/* debugfs/exo/check says "ok" (the XN kind's check among the others). */
static void expect_check_ok(struct __test_metadata *_metadata)
{
	char buf[4096];

	ASSERT_LT(0, exo_read_file(EXO_DEBUGFS "/check", buf, sizeof(buf)))
		TH_LOG("cannot read %s/check", EXO_DEBUGFS);
	EXPECT_STREQ("ok\n", buf);
}

TEST_F(xs, subtree_of_owned_block)
{
	struct exo_cap_info ci;
	exo_cap_t t;
	__u32 type = 9;

	NEED_DISK();
	ASSERT_EQ(0, exo_cap_info(self->a.fd, self->tree, &ci));
	EXPECT_EQ(EXO_KIND_XN, ci.kind);
	EXPECT_EQ(EXO_RIGHTS_ALL, ci.rights);
	EXPECT_EQ(0, ci.depth);
	/* Any block A owns: the root (type 1), a data block (type 0). */
	ASSERT_EQ(0, xn_subtree(self->a.fd, self->root, &t, &type));
	EXPECT_EQ(1, type);
	ASSERT_EQ(0, xn_subtree(self->a.fd, self->d, &t, &type));
	EXPECT_EQ(0, type);
	/* The owner reads through its own capability too. */
	EXPECT_EQ(2, xn_read(self->a.fd, self->tree, self->m, self->a.fr));
	EXPECT_EQ(-EACCES, xn_read(self->a.fd, self->tree, self->o,
				   self->a.fr));
}

TEST_F(xs, read_only_grantee)
{
	exo_cap_t t;

	NEED_DISK();
	ASSERT_EQ(0, grant(self->a.fd, self->tree,
			   EXO_RIGHT_READ | EXO_RIGHT_DERIVE, self->b.fd, &t));
	/* B reads the subtree: m and d, as A wrote them. */
	memset(self->b.r, 0, BLK);
	EXPECT_EQ(2, xn_read(self->b.fd, t, self->m, self->b.fr));
	EXPECT_EQ(htonl(1), *(__u32 *)self->b.r);
	EXPECT_EQ(0x22, self->b.r[BLK - 1]);
	EXPECT_EQ(0, xn_read(self->b.fd, t, self->d, self->b.fr));
	EXPECT_TRUE(all(self->b.r, 0x33));
	/* Nothing outside it: A's root, A's other data block. */
	EXPECT_EQ(-EACCES, xn_read(self->b.fd, t, self->root, self->b.fr));
	EXPECT_EQ(-EACCES, xn_read(self->b.fd, t, self->o, self->b.fr));
	/* Nor without the capability: B's principal owns none of it. */
	EXPECT_EQ(-EACCES, xn_read(self->b.fd, 0, self->m, self->b.fr));
	/* Read-only: no write, no update, and the disk unchanged. */
	memset(self->b.w, 0x55, BLK);
	EXPECT_EQ(-EACCES, xn_write(self->b.fd, t, self->d, self->b.fw));
	put_list(self->b.w, 0, NULL, 0x55);
	EXPECT_EQ(-EACCES, xn_update(self->b.fd, t, self->m, self->b.fw,
				     NULL, 0, NULL, 0));
	EXPECT_EQ(0x33, raw_byte(self->disk, self->d, 0));
	EXPECT_EQ(0x22, raw_byte(self->disk, self->m, BLK - 1));
	/* B cannot widen its rights either. */
	EXPECT_EQ(-EPERM, exo_cap_derive(self->b.fd, t,
					 EXO_RIGHT_READ | EXO_RIGHT_WRITE,
					 &t));
}

TEST_F(xs, read_write_grantee)
{
	struct exo_xn_ref mid[2], add[1];
	exo_cap_t t;
	__u64 e = self->st.nblocks - 4;

	NEED_DISK();
	ASSERT_EQ(0, grant(self->a.fd, self->tree,
			   EXO_RIGHT_READ | EXO_RIGHT_WRITE, self->b.fd, &t));
	/* B writes A's data block; A reads B's bytes. */
	memset(self->b.w, 0x66, BLK);
	ASSERT_EQ(0, xn_write(self->b.fd, t, self->d, self->b.fw));
	EXPECT_EQ(0, xn_read(self->a.fd, 0, self->d, self->a.fr));
	EXPECT_TRUE(all(self->a.r, 0x66));
	/* A checked update through the capability adds e to m. */
	mid[0] = ref(self->d, 0);
	mid[1] = ref(e, 0);
	add[0] = ref(e, 0);
	put_list(self->b.w, 2, mid, 0x77);
	/* The checks are the plain call's: a lie about the claim. */
	EXPECT_EQ(-EPERM, xn_update(self->b.fd, t, self->m, self->b.fw,
				    NULL, 0, NULL, 0));
	ASSERT_EQ(0, xn_update(self->b.fd, t, self->m, self->b.fw, add, 1,
			       NULL, 0));
	/* e is A's (A reads it) and in the subtree (B writes it). */
	EXPECT_EQ(0, xn_read(self->a.fd, 0, e, self->a.fr));
	EXPECT_TRUE(all(self->a.r, 0));
	memset(self->b.w, 0x78, BLK);
	EXPECT_EQ(0, xn_write(self->b.fd, t, e, self->b.fw));
	EXPECT_EQ(0x78, raw_byte(self->disk, e, 0));
	EXPECT_EQ(-EACCES, xn_read(self->b.fd, 0, e, self->b.fr));
	/* Still nothing outside the subtree. */
	EXPECT_EQ(-EACCES, xn_write(self->b.fd, t, self->o, self->b.fw));
	put_list(self->b.w, 0, NULL, 0);
	EXPECT_EQ(-EACCES, xn_update(self->b.fd, t, self->root, self->b.fw,
				     NULL, 0, NULL, 0));
	EXPECT_EQ(0x44, raw_byte(self->disk, self->o, 0));
	/* Data blocks change only through XN_WRITE, metadata only so. */
	EXPECT_EQ(-EACCES, xn_update(self->b.fd, t, self->d, self->b.fw,
				     NULL, 0, NULL, 0));
	EXPECT_EQ(-EPERM, xn_write(self->b.fd, t, self->m, self->b.fw));
}

TEST_F(xs, revoke_ends_access)
{
	struct exo_cap_info ci;
	exo_cap_t t, mine;
	__u64 count = 0;

	NEED_DISK();
	ASSERT_EQ(0, grant(self->a.fd, self->tree,
			   EXO_RIGHT_READ | EXO_RIGHT_WRITE, self->b.fd, &t));
	ASSERT_EQ(0, exo_cap_derive(self->a.fd, self->tree, EXO_RIGHT_READ,
				    &mine));
	EXPECT_EQ(0, xn_read(self->b.fd, t, self->d, self->b.fr));
	expect_check_ok(_metadata);
	/* A kills every descendant of its capability: B's dies. */
	ASSERT_EQ(0, exo_cap_revoke(self->a.fd, self->tree, 0, &count));
	EXPECT_EQ(2, count);
	EXPECT_EQ(-EKEYREVOKED, xn_read(self->b.fd, t, self->d, self->b.fr));
	memset(self->b.w, 0x99, BLK);
	EXPECT_EQ(-EKEYREVOKED, xn_write(self->b.fd, t, self->d,
					 self->b.fw));
	EXPECT_EQ(-EKEYREVOKED, xn_read(self->a.fd, mine, self->d,
					self->a.fr));
	ASSERT_EQ(0, exo_cap_info(self->b.fd, t, &ci));
	EXPECT_EQ(EXO_CAP_REVOKED, ci.state);
	EXPECT_EQ(0x33, raw_byte(self->disk, self->d, 0));
	/* A's own capability lives on; closed, its handle is stale. */
	EXPECT_EQ(0, xn_read(self->a.fd, self->tree, self->d, self->a.fr));
	ASSERT_EQ(0, exo_cap_close(self->b.fd, t));
	EXPECT_EQ(-ESTALE, xn_read(self->b.fd, t, self->d, self->b.fr));
	expect_check_ok(_metadata);
}

TEST_F(xs, released_top_block_is_gone)
{
	struct exo_xn_ref top[1], rel[1], mid[1], both[2];
	exo_cap_t t;

	NEED_DISK();
	ASSERT_EQ(0, grant(self->a.fd, self->tree, EXO_RIGHT_READ,
			   self->b.fd, &t));
	/* A empties m, then releases it from the root. */
	mid[0] = ref(self->d, 0);
	put_list(self->a.w, 0, NULL, 0);
	ASSERT_EQ(0, xn_update(self->a.fd, 0, self->m, self->a.fw, NULL, 0,
			       mid, 1));
	EXPECT_EQ(-EACCES, xn_read(self->b.fd, t, self->d, self->b.fr));
	rel[0] = ref(self->m, 2);
	top[0] = ref(self->o, 0);
	put_list(self->a.w, 1, top, 0);
	ASSERT_EQ(0, xn_update(self->a.fd, 0, self->root, self->a.fw, NULL,
			       0, rel, 1));
	EXPECT_EQ(-EIDRM, xn_read(self->b.fd, t, self->m, self->b.fr));
	/* m is no one's now: check holds because the release marked it gone. */
	expect_check_ok(_metadata);
	/* m comes back, at the same place: still not the subtree's. */
	both[0] = ref(self->m, 2);
	both[1] = ref(self->o, 0);
	put_list(self->a.w, 2, both, 0);
	ASSERT_EQ(0, xn_update(self->a.fd, 0, self->root, self->a.fw, rel, 1,
			       NULL, 0));
	EXPECT_EQ(-EIDRM, xn_read(self->b.fd, t, self->m, self->b.fr));
	EXPECT_EQ(-EIDRM, xn_read(self->a.fd, self->tree, self->m,
				  self->a.fr));
	expect_check_ok(_metadata);
}

TEST_F(xs, errno_table)
{
	struct exo_xn_subtree xs = { .size = sizeof(xs), .block = self->m };
	struct side c = { .fd = -1, .w = NULL };
	exo_cap_t t, closed = 0;
	long q;

	NEED_DISK();
	/* XN_SUBTREE */
	xs.flags = 1;
	EXPECT_EQ(-1, ioctl(self->a.fd, EXO_IOC_XN_SUBTREE, &xs));
	EXPECT_EQ(EINVAL, errno);
	xs.flags = 0;
	xs.__reserved = 1;
	EXPECT_EQ(-1, ioctl(self->a.fd, EXO_IOC_XN_SUBTREE, &xs));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EACCES, xn_subtree(self->b.fd, self->m, &t, NULL));
	EXPECT_EQ(-EACCES, xn_subtree(self->a.fd, self->st.nblocks - 5, &t,
				      NULL));
	EXPECT_EQ(-EACCES, xn_subtree(self->a.fd, ~0ULL, &t, NULL));
	ASSERT_EQ(0, side_open(&c, 0));
	EXPECT_EQ(-ENOKEY, xn_subtree(c.fd, self->m, &t, NULL));
	/* A bad @tree: not a handle, another kind, closed. */
	EXPECT_EQ(-EBADF, xn_read(self->a.fd, 12345, self->m, self->a.fr));
	EXPECT_EQ(-EINVAL, xn_read(self->a.fd, self->a.fw, self->m,
				   self->a.fr));
	ASSERT_EQ(0, xn_subtree(self->a.fd, self->m, &closed, NULL));
	ASSERT_EQ(0, exo_cap_close(self->a.fd, closed));
	EXPECT_EQ(-ESTALE, xn_read(self->a.fd, closed, self->m, self->a.fr));
	/* An env with no principal acts through a capability. */
	ASSERT_EQ(0, grant(self->a.fd, self->tree, EXO_RIGHT_READ, c.fd, &t));
	EXPECT_EQ(2, xn_read(c.fd, t, self->m, c.fr));
	EXPECT_EQ(-ENOKEY, xn_read(c.fd, 0, self->m, c.fr));
	/* The kind's quota. */
	ASSERT_EQ(0, exo_param_get("xn_quota", &q));
	EXPECT_EQ(1024, q);
	ASSERT_EQ(0, exo_set_quota(self->a.fd, 0, EXO_KIND_XN, 1));
	EXPECT_EQ(-EDQUOT, xn_subtree(self->a.fd, self->m, &t, NULL));
	/* A re-attach: the subtree was made on a device since detached. */
	side_close(&c);
	ASSERT_EQ(0, exo_extent_detach(self->a.fd));
	ASSERT_EQ(0, exo_extent_attach(self->a.fd, self->disk, 0, NULL));
	EXPECT_EQ(-ENODEV, xn_read(self->a.fd, self->tree, self->m,
				   self->a.fr));
	EXPECT_EQ(2, xn_read(self->a.fd, 0, self->m, self->a.fr));
}

/*
 * An SQE carrying the XN call @op with its struct @arg of @len bytes:
 * through libexo's prep calls, or raw for what libexo never sends.
 */
static void prep_xn(struct io_uring *ring, int fd, __u32 op, const void *arg,
		    size_t len, __u64 tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (op == EXO_URING_XN_UPDATE && len == sizeof(struct exo_xn_update))
		exo_xn_prep_update(sqe, fd, arg);
	else if (op == EXO_URING_XN_READ && len == sizeof(struct exo_xn_read))
		exo_xn_prep_read(sqe, fd, arg);
	else if (op == EXO_URING_XN_WRITE &&
		 len == sizeof(struct exo_xn_write))
		exo_xn_prep_write(sqe, fd, arg);
	else {
		io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
		sqe->cmd_op = op;
		memset(sqe->cmd, 0, EXO_URING_CMD_BYTES);
		memcpy(sqe->cmd, arg, len);
	}
	sqe->user_data = tag;
}

/* Submit, then collect @n completions into res[user_data]. */
static int reap(struct io_uring *ring, int n, int *res)
{
	struct io_uring_cqe *cqe;
	int i, ret = io_uring_submit_and_wait(ring, n);

	if (ret < 0)
		return ret;
	for (i = 0; i < n; i++) {
		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret)
			return ret;
		res[cqe->user_data] = cqe->res;
		io_uring_cqe_seen(ring, cqe);
	}
	return 0;
}

TEST_F(xs, through_io_uring)
{
	__u64 e = self->st.nblocks - 4;
	struct exo_xn_ref mid[2] = { ref(self->d, 0), ref(e, 0) };
	struct exo_xn_ref add[1] = { ref(e, 0) };
	struct exo_xn_update xu = {
		.size = sizeof(xu), .block = self->m, .frame = self->a.fw,
		.add = (__u64)(unsigned long)add, .nadd = 1,
	};
	struct exo_xn_write xw = {
		.size = sizeof(xw), .flags = EXO_IO_FUA, .block = e,
		.frame = self->b.fw,
	};
	struct exo_xn_read xr = {
		.size = sizeof(xr), .block = e, .frame = self->a.fr,
	};
	struct io_uring ra, rb;
	exo_cap_t t, ro;
	int res[8];
	char big[EXO_URING_CMD_BYTES];

	NEED_DISK();
	ASSERT_EQ(0, io_uring_queue_init(8, &ra, IORING_SETUP_SQE128));
	ASSERT_EQ(0, io_uring_queue_init(8, &rb, IORING_SETUP_SQE128));
	ASSERT_EQ(0, grant(self->a.fd, self->tree,
			   EXO_RIGHT_READ | EXO_RIGHT_WRITE, self->b.fd, &t));
	ASSERT_EQ(0, grant(self->a.fd, self->tree, EXO_RIGHT_READ,
			   self->b.fd, &ro));
	/* A: a checked update adding e to m, then a read of e. */
	put_list(self->a.w, 2, mid, 0x12);
	memset(self->a.r, 0x7f, BLK);
	prep_xn(&ra, self->a.fd, EXO_URING_XN_UPDATE, &xu, sizeof(xu), 0);
	prep_xn(&ra, self->a.fd, EXO_URING_XN_READ, &xr, sizeof(xr), 1);
	ASSERT_EQ(0, reap(&ra, 2, res));
	EXPECT_EQ(0, res[0]);
	EXPECT_EQ(0, res[1]);
	EXPECT_TRUE(all(self->a.r, 0));
	EXPECT_EQ(0x12, raw_byte(self->disk, self->m, BLK - 1));
	/*
	 * The same call again is a retry of the update just made: 0, and
	 * nothing changes.  A claim the contents lack is refused.
	 */
	prep_xn(&ra, self->a.fd, EXO_URING_XN_UPDATE, &xu, sizeof(xu), 0);
	ASSERT_EQ(0, reap(&ra, 1, res));
	EXPECT_EQ(0, res[0]);
	EXPECT_EQ(0x12, raw_byte(self->disk, self->m, BLK - 1));
	add[0] = ref(self->st.nblocks - 5, 0);
	prep_xn(&ra, self->a.fd, EXO_URING_XN_UPDATE, &xu, sizeof(xu), 0);
	ASSERT_EQ(0, reap(&ra, 1, res));
	EXPECT_EQ(-EPROTO, res[0]);
	add[0] = ref(e, 0);
	/* B: writes e through the read-write subtree; not the read-only. */
	memset(self->b.w, 0x5e, BLK);
	xw.tree = t;
	prep_xn(&rb, self->b.fd, EXO_URING_XN_WRITE, &xw, sizeof(xw), 0);
	xw.tree = ro;
	prep_xn(&rb, self->b.fd, EXO_URING_XN_WRITE, &xw, sizeof(xw), 1);
	xw.tree = 0;
	prep_xn(&rb, self->b.fd, EXO_URING_XN_WRITE, &xw, sizeof(xw), 2);
	xr.frame = self->b.fr;
	xr.tree = ro;
	prep_xn(&rb, self->b.fd, EXO_URING_XN_READ, &xr, sizeof(xr), 3);
	xu.frame = self->b.fw;
	xu.tree = ro;
	xu.nadd = 0;
	prep_xn(&rb, self->b.fd, EXO_URING_XN_UPDATE, &xu, sizeof(xu), 4);
	ASSERT_EQ(0, reap(&rb, 5, res));
	EXPECT_EQ(0, res[0]);
	EXPECT_EQ(-EACCES, res[1]);
	EXPECT_EQ(-EACCES, res[2]);
	EXPECT_EQ(0, res[3]);
	EXPECT_TRUE(all(self->b.r, 0x5e));
	EXPECT_EQ(-EACCES, res[4]);
	EXPECT_EQ(0x5e, raw_byte(self->disk, e, 0));
	EXPECT_EQ(0x12, raw_byte(self->disk, self->m, BLK - 1));
	/* The struct's checks: a short size, unknown bytes, a flag. */
	xr.size = 8;
	prep_xn(&rb, self->b.fd, EXO_URING_XN_READ, &xr, sizeof(xr), 0);
	memset(big, 0, sizeof(big));
	xr.size = sizeof(big);
	memcpy(big, &xr, sizeof(xr));
	big[sizeof(big) - 1] = 1;
	prep_xn(&rb, self->b.fd, EXO_URING_XN_READ, big, sizeof(big), 1);
	xr.size = sizeof(xr);
	xr.flags = 1;
	prep_xn(&rb, self->b.fd, EXO_URING_XN_READ, &xr, sizeof(xr), 2);
	ASSERT_EQ(0, reap(&rb, 3, res));
	EXPECT_EQ(-EINVAL, res[0]);
	EXPECT_EQ(-E2BIG, res[1]);
	EXPECT_EQ(-EINVAL, res[2]);
	io_uring_queue_exit(&ra);
	io_uring_queue_exit(&rb);
	/* A ring without SQE128 cannot carry them. */
	ASSERT_EQ(0, io_uring_queue_init(2, &ra, 0));
	xr.flags = 0;
	{
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ra);

		io_uring_prep_rw(IORING_OP_URING_CMD, sqe, self->b.fd, NULL,
				 0, 0);
		sqe->cmd_op = EXO_URING_XN_READ;
		sqe->user_data = 0;
	}
	ASSERT_EQ(0, reap(&ra, 1, res));
	EXPECT_EQ(-EINVAL, res[0]);
	io_uring_queue_exit(&ra);
}

TEST_HARNESS_MAIN
