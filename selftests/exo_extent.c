// SPDX-License-Identifier: GPL-2.0
/*
 * Disk extents: attach and format, the on-disk table (both copies, damage
 * detection), allocation by count and by block number, persistent
 * ownership through principal keys (detach and re-attach read the table
 * back from disk), exact data through frames (checked against the raw
 * device), read-only capabilities, other principals, free, kill -9 in the
 * middle of I/O, and every bad input.
 *
 * The scratch disk is $EXO_TEST_DISK, else /dev/vda (scripts/vm --disk);
 * without it every test skips.  Nothing else is ever opened for writing.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

#define BLK	EXO_EXTENT_BLOCK
#define NF	4
#define BOGUS_CAP	((1ULL << 32) | 999)	/* slot 999, generation 1 */

FIXTURE(ext) {
	const char *disk;
	int fd;
	char *region;		/* NF pages, frames mapped */
	exo_cap_t frames[NF];
	struct exo_extent_stat st;
};

FIXTURE_SETUP(ext)
{
	struct exo_map_entry e;
	int i;

	self->fd = -1;
	self->region = NULL;
	self->disk = exo_test_disk();
	if (!self->disk)
		return;
	self->fd = exo_open();
	ASSERT_LE(0, self->fd);
	exo_extent_detach(self->fd);
	ASSERT_EQ(0, exo_extent_attach(self->fd, self->disk,
				       EXO_ATTACH_FORMAT, &self->st));
	self->region = exo_region__create(self->fd, NULL, NF * BLK,
					  PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, self->region);
	ASSERT_EQ(0, exo_frame_alloc(self->fd, NF, self->frames, NULL));
	for (i = 0; i < NF; i++) {
		e = (struct exo_map_entry){
			.addr = (unsigned long)(self->region + i * BLK),
			.cap = self->frames[i],
			.prot = EXO_PROT_READ | EXO_PROT_WRITE,
		};
		ASSERT_EQ(1, exo_frame_map(self->fd, &e, 1));
	}
}

FIXTURE_TEARDOWN(ext)
{
	if (self->region)
		exo_region__destroy(self->region, NF * BLK);
	if (self->fd >= 0)
		exo_close(self->fd);
}

static char *frame(FIXTURE_DATA(ext) *self, int i)
{
	return self->region + i * BLK;
}

/* A counter of debugfs totals, or -1. */
static long long totals_field(const char *name)
{
	long long v;

	return exo_totals_value(name, &v) ? -1 : v;
}

static struct exo_extent_iovec iov(exo_cap_t ext, __u64 block,
				   exo_cap_t frame, __u32 op)
{
	return (struct exo_extent_iovec){
		.extent = ext, .block = block, .frame = frame, .op = op,
	};
}

TEST_F(ext, format_and_stat)
{
	struct exo_extent_stat st;

	NEED_DISK();
	ASSERT_EQ(0, exo_extent_stat(self->fd, &st));
	EXPECT_EQ(self->st.nblocks, st.nblocks);
	EXPECT_LT(st.data_start, st.nblocks);
	EXPECT_EQ(st.nblocks - st.data_start, st.free);
	EXPECT_EQ(2, st.generation);	/* both copies written */
	/* A second attach, a second detach. */
	EXPECT_EQ(-EBUSY, exo_extent_attach(self->fd, self->disk, 0, NULL));
	EXPECT_EQ(0, exo_extent_detach(self->fd));
	EXPECT_EQ(-ENODEV, exo_extent_detach(self->fd));
	EXPECT_EQ(-ENODEV, exo_extent_stat(self->fd, &st));
	/* Re-attach reads the same table back. */
	ASSERT_EQ(0, exo_extent_attach(self->fd, self->disk, 0, &st));
	EXPECT_EQ(self->st.nblocks, st.nblocks);
	EXPECT_EQ(self->st.free, st.free);
	EXPECT_EQ(2, st.generation);
}

TEST_F(ext, attach_errors)
{
	struct exo_extent_attach a = { .size = sizeof(a) };
	struct exo_extent_stat st;
	void *buf;
	int status;
	pid_t pid;

	NEED_DISK();
	ASSERT_EQ(0, exo_extent_detach(self->fd));
	EXPECT_EQ(-ENOENT, exo_extent_attach(self->fd, "/dev/exo-no-such",
					     0, NULL));
	EXPECT_EQ(-ENOTBLK, exo_extent_attach(self->fd, "/dev/null", 0,
					      NULL));
	a.path = 0;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_EXTENT_ATTACH, &a));
	EXPECT_EQ(EFAULT, errno);
	a.path = (unsigned long)self->disk;
	a.flags = 1U << 7;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_EXTENT_ATTACH, &a));
	EXPECT_EQ(EINVAL, errno);

	/* Not root: EPERM for attach and detach. */
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		if (setgid(EXO_NOBODY_GID) || setuid(EXO_NOBODY_UID))
			_exit(2);
		fd = exo_open();
		if (fd < 0)
			_exit(3);
		if (exo_extent_attach(fd, self->disk, 0, NULL) != -EPERM)
			_exit(4);
		if (exo_extent_detach(fd) != -EPERM)
			_exit(5);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));

	/* Damage copy 0's body: copy 1 still carries the table. */
	ASSERT_EQ(0, posix_memalign(&buf, BLK, BLK));
	ASSERT_EQ(0, exo_raw_read(self->disk, 2, buf, 1));
	((char *)buf)[100] ^= 0x5a;
	ASSERT_EQ(0, exo_raw_write(self->disk, 2, buf, 1));
	ASSERT_EQ(0, exo_extent_attach(self->fd, self->disk, 0, &st));
	EXPECT_EQ(2, st.generation);
	ASSERT_EQ(0, exo_extent_detach(self->fd));

	/* Damage copy 1's header too: nothing consistent is left. */
	ASSERT_EQ(0, exo_raw_read(self->disk, 1 + (self->st.data_start - 1) / 2,
			      buf, 1));
	((char *)buf)[40] ^= 0x01;
	ASSERT_EQ(0, exo_raw_write(self->disk, 1 + (self->st.data_start - 1) / 2,
			       buf, 1));
	EXPECT_EQ(-EUCLEAN, exo_extent_attach(self->fd, self->disk, 0, NULL));

	/* No magic anywhere: not an exo disk, EINVAL without FORMAT. */
	memset(buf, 0, BLK);
	ASSERT_EQ(0, exo_raw_write(self->disk, 1, buf, 1));
	ASSERT_EQ(0, exo_raw_write(self->disk, 1 + (self->st.data_start - 1) / 2,
			       buf, 1));
	EXPECT_EQ(-EINVAL, exo_extent_attach(self->fd, self->disk, 0, NULL));
	EXPECT_EQ(0, exo_extent_attach(self->fd, self->disk,
				       EXO_ATTACH_FORMAT, NULL));
	free(buf);
}

TEST_F(ext, alloc_and_names)
{
	struct exo_extent_stat st;
	struct exo_cap_info ci;
	struct exo_key key, key2;
	exo_cap_t a, b, c;
	__u64 sa, sb;
	int new_key;

	NEED_DISK();
	ASSERT_EQ(0, exo_extent_alloc(self->fd, 8, &a, &sa, &key, &new_key));
	EXPECT_EQ(1, new_key);
	EXPECT_LE(self->st.data_start, sa);
	ASSERT_EQ(0, exo_cap_info(self->fd, a, &ci));
	EXPECT_EQ(EXO_KIND_EXTENT, ci.kind);
	EXPECT_EQ(sa, ci.obj_id);		/* named by its first block */
	EXPECT_EQ(EXO_RIGHTS_ALL, ci.rights);
	memset(&key2, 0, sizeof(key2));
	ASSERT_EQ(0, exo_extent_alloc(self->fd, 3, &b, &sb, &key2, &new_key));
	EXPECT_EQ(0, new_key);			/* shown only once */
	EXPECT_EQ(0, key2.lo | key2.hi);
	EXPECT_EQ(sa + 8, sb);			/* first fit */
	ASSERT_EQ(0, exo_extent_stat(self->fd, &st));
	EXPECT_EQ(self->st.free - 11, st.free);
	EXPECT_EQ(4, st.generation);		/* one commit per alloc */

	/* At a block number: free, taken, reserved, past the end. */
	ASSERT_EQ(0, exo_extent_alloc_at(self->fd, sb + 10, 2, &c, NULL,
					 NULL));
	ASSERT_EQ(0, exo_cap_info(self->fd, c, &ci));
	EXPECT_EQ(sb + 10, ci.obj_id);
	EXPECT_EQ(-EBUSY, exo_extent_alloc_at(self->fd, sb + 11, 1, &c, NULL,
					      NULL));
	EXPECT_EQ(-EBUSY, exo_extent_alloc_at(self->fd, sa + 7, 2, &c, NULL,
					      NULL));
	EXPECT_EQ(-EBUSY, exo_extent_alloc_at(self->fd, 0, 1, &c, NULL,
					      NULL));
	EXPECT_EQ(-EBUSY, exo_extent_alloc_at(self->fd,
					      self->st.data_start - 1, 1, &c,
					      NULL, NULL));
	EXPECT_EQ(-ERANGE, exo_extent_alloc_at(self->fd, self->st.nblocks,
					       1, &c, NULL, NULL));
	EXPECT_EQ(-ERANGE, exo_extent_alloc_at(self->fd,
					       self->st.nblocks - 1, 2, &c,
					       NULL, NULL));
	EXPECT_EQ(-EOVERFLOW, exo_extent_alloc_at(self->fd, ~0ULL - 1, 4, &c,
						  NULL, NULL));
	EXPECT_EQ(-ENOSPC, exo_extent_alloc(self->fd, self->st.nblocks, &c,
					    NULL, NULL, NULL));
	EXPECT_EQ(-EINVAL, exo_extent_alloc(self->fd, 0, &c, NULL, NULL,
					    NULL));
	/* Closing a capability frees nothing. */
	ASSERT_EQ(0, exo_cap_close(self->fd, a));
	EXPECT_EQ(-EBUSY, exo_extent_alloc_at(self->fd, sa, 1, &c, NULL,
					      NULL));
	ASSERT_EQ(0, exo_extent_stat(self->fd, &st));
	EXPECT_EQ(self->st.free - 13, st.free);
}

TEST_F(ext, alloc_bad_struct)
{
	struct exo_extent_alloc a = { .size = sizeof(a), .count = 1 };
	struct exo_extent_reclaim r = { .size = sizeof(r) };

	NEED_DISK();
	a.flags = 1U << 5;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_EXTENT_ALLOC, &a));
	EXPECT_EQ(EINVAL, errno);
	a.flags = 0;
	a.__reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_EXTENT_ALLOC, &a));
	EXPECT_EQ(EINVAL, errno);
	a.__reserved = 0;
	a.size = 8;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_EXTENT_ALLOC, &a));
	EXPECT_EQ(EINVAL, errno);
	r.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_EXTENT_RECLAIM, &r));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(ext, data_round_trip)
{
	struct exo_extent_iovec v[2 * NF];
	exo_cap_t x;
	__u64 start;
	void *raw;
	int i;

	NEED_DISK();
	ASSERT_EQ(0, exo_extent_alloc(self->fd, NF, &x, &start, NULL, NULL));
	for (i = 0; i < NF; i++) {
		memset(frame(self, i), 'A' + i, BLK);
		frame(self, i)[0] = i;
		v[i] = iov(x, NF - 1 - i, self->frames[i], EXO_IO_WRITE);
	}
	ASSERT_EQ(NF, exo_extent_io(self->fd, v, NF, EXO_IO_FUA |
				    EXO_IO_FLUSH));

	/* On the device, at the blocks the extent names. */
	ASSERT_EQ(0, posix_memalign(&raw, BLK, NF * BLK));
	ASSERT_EQ(0, exo_raw_read(self->disk, start, raw, NF));
	for (i = 0; i < NF; i++) {
		char *b = (char *)raw + (NF - 1 - i) * BLK;

		EXPECT_EQ(i, b[0]);
		EXPECT_EQ('A' + i, b[1]);
		EXPECT_EQ('A' + i, b[BLK - 1]);
	}

	/* And back into the frames, crossed over. */
	for (i = 0; i < NF; i++) {
		memset(frame(self, i), 0, BLK);
		v[i] = iov(x, i, self->frames[i], EXO_IO_READ);
	}
	ASSERT_EQ(NF, exo_extent_io(self->fd, v, NF, 0));
	for (i = 0; i < NF; i++)
		EXPECT_EQ(0, memcmp(frame(self, i),
				    (char *)raw + i * BLK, BLK))
			TH_LOG("block %d differs", i);

	/* Single-block helpers. */
	memset(frame(self, 0), 'q', BLK);
	EXPECT_EQ(0, exo_extent_write(self->fd, x, 2, self->frames[0], 0));
	memset(frame(self, 1), 0, BLK);
	EXPECT_EQ(0, exo_extent_read(self->fd, x, 2, self->frames[1]));
	EXPECT_EQ(0, memcmp(frame(self, 0), frame(self, 1), BLK));
	free(raw);
}

TEST_F(ext, read_only_caps)
{
	exo_cap_t x, xr, fr;
	__u64 killed;

	NEED_DISK();
	ASSERT_EQ(0, exo_extent_alloc(self->fd, 2, &x, NULL, NULL, NULL));
	ASSERT_EQ(0, exo_cap_derive(self->fd, x, EXO_RIGHT_READ, &xr));
	EXPECT_EQ(-EACCES, exo_extent_write(self->fd, xr, 0, self->frames[0],
					    0));
	EXPECT_EQ(0, exo_extent_read(self->fd, xr, 0, self->frames[0]));
	/* Freeing needs WRITE and REVOKE. */
	EXPECT_EQ(-EACCES, exo_extent_free(self->fd, xr));
	/* A read-only frame can be written out, not read into. */
	ASSERT_EQ(0, exo_cap_derive(self->fd, self->frames[1],
				    EXO_RIGHT_READ, &fr));
	EXPECT_EQ(-EACCES, exo_extent_read(self->fd, x, 0, fr));
	EXPECT_EQ(0, exo_extent_write(self->fd, x, 0, fr, 0));
	/* Revoked: a tombstone. */
	ASSERT_EQ(0, exo_cap_revoke(self->fd, x, 0, &killed));
	EXPECT_EQ(1, killed);
	EXPECT_EQ(-EKEYREVOKED, exo_extent_read(self->fd, xr, 0,
						self->frames[0]));
}

TEST_F(ext, bad_io)
{
	struct exo_extent_io io = { .size = sizeof(io), .count = 1 };
	struct exo_extent_iovec v[3];
	exo_cap_t x, n;
	__u64 obj;

	NEED_DISK();
	ASSERT_EQ(0, exo_extent_alloc(self->fd, 2, &x, NULL, NULL, NULL));
	ASSERT_EQ(0, exo_null_alloc(self->fd, &n, &obj));
	/* Past the end of the extent. */
	EXPECT_EQ(-ERANGE, exo_extent_read(self->fd, x, 2, self->frames[0]));
	EXPECT_EQ(-ERANGE, exo_extent_read(self->fd, x, ~0ULL,
					   self->frames[0]));
	/* Not held, stale, wrong kind. */
	EXPECT_EQ(-EBADF, exo_extent_read(self->fd, BOGUS_CAP,
					  0, self->frames[0]));
	EXPECT_EQ(-EBADF, exo_extent_read(self->fd, 0, 0, self->frames[0]));
	EXPECT_EQ(-EBADF, exo_extent_read(self->fd, x, 0,
					  BOGUS_CAP));
	EXPECT_EQ(-EINVAL, exo_extent_read(self->fd, self->frames[0], 0,
					   self->frames[1]));
	EXPECT_EQ(-EINVAL, exo_extent_read(self->fd, x, 0, n));
	EXPECT_EQ(-EINVAL, exo_extent_read(self->fd, n, 0, self->frames[0]));
	/* Bad op, reserved, flags, counts, pointer. */
	v[0] = iov(x, 0, self->frames[0], 7);
	EXPECT_EQ(0, exo_extent_io(self->fd, v, 1, 0));
	EXPECT_EQ(EINVAL, errno);
	v[0] = iov(x, 0, self->frames[0], EXO_IO_READ);
	v[0].flags = 1U << 4;
	EXPECT_EQ(0, exo_extent_io(self->fd, v, 1, 0));
	EXPECT_EQ(EINVAL, errno);
	v[0].flags = 0;
	EXPECT_EQ(-EINVAL, exo_extent_io(self->fd, v, 1, 1U << 9));
	io.vecs = (unsigned long)v;
	io.count = 0;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_EXTENT_IO, &io));
	EXPECT_EQ(EINVAL, errno);
	io.count = EXO_EXTENT_IO_MAX + 1;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_EXTENT_IO, &io));
	EXPECT_EQ(EINVAL, errno);
	io.count = 1;
	io.vecs = 8;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_EXTENT_IO, &io));
	EXPECT_EQ(EFAULT, errno);
	/* A batch stops at its first bad element. */
	v[0] = iov(x, 0, self->frames[0], EXO_IO_WRITE);
	v[1] = iov(x, 5, self->frames[1], EXO_IO_WRITE);
	v[2] = iov(x, 1, self->frames[2], EXO_IO_WRITE);
	EXPECT_EQ(1, exo_extent_io(self->fd, v, 3, 0));
	EXPECT_EQ(ERANGE, errno);
	/* Detached: ENODEV for I/O and free alike. */
	ASSERT_EQ(0, exo_extent_detach(self->fd));
	EXPECT_EQ(-ENODEV, exo_extent_read(self->fd, x, 0, self->frames[0]));
	EXPECT_EQ(-ENODEV, exo_extent_free(self->fd, x));
	EXPECT_EQ(-ENODEV, exo_extent_alloc(self->fd, 1, &n, NULL, NULL,
					    NULL));
	ASSERT_EQ(0, exo_extent_attach(self->fd, self->disk, 0, NULL));
	/* The old capability names the old attachment. */
	EXPECT_EQ(-ENODEV, exo_extent_read(self->fd, x, 0, self->frames[0]));
}

TEST_F(ext, persistence_and_reclaim)
{
	struct exo_extent_desc d[4];
	struct exo_key key, bad;
	exo_cap_t x, y;
	__u64 sx, sy;
	int fd2, i;
	char path[] = "/tmp/exo-extent-key-XXXXXX";

	NEED_DISK();
	ASSERT_EQ(0, exo_extent_alloc(self->fd, 2, &x, &sx, &key, NULL));
	ASSERT_EQ(0, exo_extent_alloc(self->fd, 1, &y, &sy, NULL, NULL));
	memset(frame(self, 0), 'P', BLK);
	ASSERT_EQ(0, exo_extent_write(self->fd, x, 1, self->frames[0],
				      EXO_IO_FUA));
	i = mkstemp(path);
	ASSERT_LE(0, i);
	close(i);
	ASSERT_EQ(0, exo_extent_key_save(path, &key));
	memset(&key, 0, sizeof(key));
	ASSERT_EQ(0, exo_extent_key_load(path, &key));
	unlink(path);

	/* The table comes back from disk: detach, attach, new env. */
	ASSERT_EQ(0, exo_extent_detach(self->fd));
	ASSERT_EQ(0, exo_extent_attach(self->fd, self->disk, 0, NULL));
	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	bad = key;
	bad.lo ^= 1;
	EXPECT_EQ(-ENOKEY, exo_extent_reclaim(fd2, &bad, d, 4));
	/* Too little room: the count, and nothing made. */
	EXPECT_EQ(2, exo_extent_reclaim(fd2, &key, d, 1));
	ASSERT_EQ(2, exo_extent_reclaim(fd2, &key, d, 4));
	EXPECT_NE(d[0].start, d[1].start);
	for (i = 0; i < 2; i++) {
		if (d[i].start == sx) {
			EXPECT_EQ(2, d[i].count);
		} else {
			EXPECT_EQ(sy, d[i].start);
		}
	}
	/* Same data, through fd2's own frame. */
	{
		exo_cap_t f;

		ASSERT_EQ(0, exo_frame_alloc(fd2, 1, &f, NULL));
		ASSERT_EQ(0, exo_extent_read(fd2, d[0].start == sx ?
					     d[0].cap : d[1].cap, 1, f));
		ASSERT_EQ(0, exo_extent_write(fd2, d[0].start == sx ?
					      d[0].cap : d[1].cap, 0, f,
					      0));
	}
	/* fd2 is the principal now: new extents are its. */
	ASSERT_EQ(0, exo_extent_alloc(fd2, 1, &x, NULL, NULL, &i));
	EXPECT_EQ(0, i);
	EXPECT_EQ(3, exo_extent_reclaim(self->fd, &key, NULL, 0));
	/* Freeing everything forgets the principal. */
	ASSERT_EQ(3, exo_extent_reclaim(fd2, &key, d, 4));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, exo_extent_free(fd2, d[i].cap));
	EXPECT_EQ(-ENOKEY, exo_extent_reclaim(fd2, &key, d, 4));
	exo_close(fd2);
}

TEST_F(ext, other_principals)
{
	struct exo_extent_desc d[2];
	struct exo_key ka, kb, gk;
	exo_cap_t xa, xb, imp, fb;
	__u64 sa;
	int fdb;

	NEED_DISK();
	fdb = exo_open();
	ASSERT_LE(0, fdb);
	ASSERT_EQ(0, exo_frame_alloc(fdb, 1, &fb, NULL));
	ASSERT_EQ(0, exo_extent_alloc(self->fd, 2, &xa, &sa, &ka, NULL));
	ASSERT_EQ(0, exo_extent_alloc(fdb, 2, &xb, NULL, &kb, NULL));
	EXPECT_NE(0, memcmp(&ka, &kb, sizeof(ka)));
	/* Handles are per env: A's handle means nothing in B. */
	EXPECT_EQ(-EBADF, exo_extent_write(fdb, xa, 0, fb, 0));
	EXPECT_EQ(-EBUSY, exo_extent_alloc_at(fdb, sa, 1, &xb, NULL, NULL));
	/* B's key reclaims B's extent only. */
	EXPECT_EQ(1, exo_extent_reclaim(fdb, &kb, d, 2));
	EXPECT_NE(sa, d[0].start);
	/* A grants read access; B can read, not write, not free. */
	ASSERT_EQ(0, exo_cap_export(self->fd, xa, EXO_RIGHT_READ, 0, &gk));
	ASSERT_EQ(0, exo_cap_import(fdb, &gk, &imp, NULL));
	EXPECT_EQ(0, exo_extent_read(fdb, imp, 1, fb));
	EXPECT_EQ(-EACCES, exo_extent_write(fdb, imp, 1, fb, 0));
	EXPECT_EQ(-EACCES, exo_extent_free(fdb, imp));
	/* A frees: B's capability dies with the extent. */
	ASSERT_EQ(0, exo_extent_free(self->fd, xa));
	EXPECT_EQ(-EKEYREVOKED, exo_extent_read(fdb, imp, 1, fb));
	EXPECT_EQ(-EKEYREVOKED, exo_extent_read(self->fd, xa, 1,
						self->frames[0]));
	EXPECT_EQ(0, exo_extent_alloc_at(fdb, sa, 2, &xb, NULL, NULL));
	exo_close(fdb);
}

TEST_F(ext, quota)
{
	struct exo_env_info info;
	exo_cap_t x;

	NEED_DISK();
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	ASSERT_EQ(0, exo_set_quota(self->fd, 0, EXO_KIND_EXTENT, 1));
	ASSERT_EQ(0, exo_extent_alloc(self->fd, 1, &x, NULL, NULL, NULL));
	EXPECT_EQ(-EDQUOT, exo_extent_alloc(self->fd, 1, &x, NULL, NULL,
					    NULL));
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	EXPECT_EQ(1, info.used[EXO_KIND_EXTENT]);
}

/* kill -9 while a child has I/O in flight: frames and leases come back. */
TEST_F(ext, kill_mid_io)
{
	long long frames0, ext0;
	struct exo_extent_desc d[2];
	struct exo_key key;
	int pfd[2], status;
	pid_t pid;

	NEED_DISK();
	usleep(100 * 1000);
	frames0 = totals_field("objects.frame");
	ext0 = totals_field("objects.extent");
	ASSERT_LE(0, frames0);
	ASSERT_EQ(0, pipe(pfd));
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct exo_extent_iovec v[64];
		exo_cap_t f[64], x;
		int fd = exo_open(), i;

		if (fd < 0 || exo_frame_alloc(fd, 64, f, NULL) ||
		    exo_extent_alloc(fd, 64, &x, NULL, &key, NULL))
			_exit(1);
		if (write(pfd[1], &key, sizeof(key)) != sizeof(key))
			_exit(1);
		for (i = 0; i < 64; i++)
			v[i] = iov(x, i, f[i], i & 1 ? EXO_IO_READ
						     : EXO_IO_WRITE);
		for (;;)
			exo_extent_io(fd, v, 64, EXO_IO_FUA);
	}
	close(pfd[1]);
	ASSERT_EQ(sizeof(key), read(pfd[0], &key, sizeof(key)));
	close(pfd[0]);
	usleep(300 * 1000);
	{
		char buf[4096], *w;

		/* The child was writing when it died. */
		ASSERT_LT(0, exo_read_file(EXO_DEBUGFS "/extents", buf,
					   sizeof(buf)));
		w = strstr(buf, "\nwrites ");
		ASSERT_NE(NULL, w);
		EXPECT_LT(0, atoll(w + 8));
	}
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	usleep(200 * 1000);
	EXPECT_EQ(frames0, totals_field("objects.frame"));
	EXPECT_EQ(ext0, totals_field("objects.extent"));
	/* The blocks are still the dead child's principal's. */
	ASSERT_EQ(1, exo_extent_reclaim(self->fd, &key, d, 2));
	EXPECT_EQ(64, d[0].count);
	EXPECT_EQ(0, exo_extent_free(self->fd, d[0].cap));
}

TEST_F(ext, debugfs)
{
	char buf[4096];
	exo_cap_t x;

	NEED_DISK();
	ASSERT_EQ(0, exo_extent_alloc(self->fd, 5, &x, NULL, NULL, NULL));
	ASSERT_EQ(0, exo_extent_write(self->fd, x, 0, self->frames[0], 0));
	ASSERT_LT(0, exo_read_file(EXO_DEBUGFS "/extents", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "blocks_total "));
	EXPECT_NE(NULL, strstr(buf, "blocks_free "));
	EXPECT_NE(NULL, strstr(buf, "bytes_written "));
	EXPECT_NE(NULL, strstr(buf, "errors 0"));
	EXPECT_NE(NULL, strstr(buf, "\n1 1 5\n")) TH_LOG("%s", buf);
}

/*
 * The module-reload test of run.sh drives this binary in two phases, by
 * environment, before the harness starts:
 *
 *   EXO_EXTENT_PHASE=save  STATE=file   format the disk, allocate three
 *                                       extents, write a pattern, save the key;
 *                                       write and free a fourth (STATE.scrub
 *                                       names it)
 *   (run.sh: rmmod exo; insmod exo.ko extent_dev=DISK)
 *   EXO_EXTENT_PHASE=check STATE=file   reclaim with the key, compare, free;
 *                                       the fourth's blocks, allocated
 *                                       again, read as zeroes
 *
 * and scripts/extent-crash, across a guest killed from the host, in two:
 *
 *   EXO_EXTENT_PHASE=torture STATE=file  format, allocate and write an
 *                                        anchor extent, save the key, then
 *                                        allocate, write and free until killed
 *   (QEMU killed; next boot: insmod exo.ko extent_dev=DISK)
 *   EXO_EXTENT_PHASE=crashcheck STATE=file  the table attached (it passed
 *                                        every consistency check), the key
 *                                        reclaims the anchor, its data holds;
 *                                        every free block, allocated by a new
 *                                        principal, reads as zeroes (the
 *                                        torture wrote and freed many)
 *
 * Exit status 0 on success; the reason on stderr otherwise.
 */
static const __u64 phase_counts[] = { 3, 1, 5 };

static void phase_fill(char *p, __u64 block)
{
	size_t i;

	for (i = 0; i < BLK; i++)
		p[i] = (char)(block * 31 + i * 7);
}

#define PHASE_FAIL(...) do { fprintf(stderr, __VA_ARGS__); _exit(1); } while (0)

static int phase_zero(const char *p)
{
	size_t i;

	for (i = 0; i < BLK; i++)
		if (p[i])
			return 0;
	return 1;
}

/*
 * A new principal (its own env) allocates every free block, in extents
 * of up to 64, and reads each: all must be zeroes.  Returns the blocks
 * read; fails the phase otherwise.
 */
static __u64 phase_free_blocks_zero(void)
{
	exo_cap_t f, x[1024];
	__u64 n = 0, b, start;
	int fd, k = 0, i;
	char *buf;

	fd = exo_open();
	buf = fd < 0 ? NULL : exo_region__create(fd, NULL, BLK,
						 PROT_READ | PROT_WRITE);
	if (!buf || exo_frame_alloc(fd, 1, &f, NULL) ||
	    exo_frame_map_one(fd, buf, f, EXO_PROT_READ | EXO_PROT_WRITE))
		PHASE_FAIL("scrub: frame setup failed\n");
	for (__u64 cnt = 64; cnt && k < 1024; ) {
		if (exo_extent_alloc(fd, cnt, &x[k], &start, NULL, NULL)) {
			if (errno != ENOSPC)
				PHASE_FAIL("scrub: alloc: %s\n", strerror(errno));
			cnt /= 2;
			continue;
		}
		for (b = 0; b < cnt; b++, n++) {
			memset(buf, 0x77, BLK);
			if (exo_extent_read(fd, x[k], b, f))
				PHASE_FAIL("scrub: read: %s\n", strerror(errno));
			if (!phase_zero(buf))
				PHASE_FAIL("scrub: free block %llu held data\n",
					   (unsigned long long)(start + b));
		}
		k++;
	}
	for (i = 0; i < k; i++)
		if (exo_extent_free(fd, x[i]))
			PHASE_FAIL("scrub: free: %s\n", strerror(errno));
	exo_region__destroy(buf, BLK);
	exo_close(fd);
	return n;
}

static void phase_scrub_path(char *path, size_t len, const char *state)
{
	snprintf(path, len, "%s.scrub", state);
}

static void phase_run(const char *phase, const char *state, const char *disk)
{
	struct exo_extent_desc d[4];
	struct exo_key key;
	char *buf;
	exo_cap_t f, x;
	__u64 start, b;
	int fd, i, n;

	fd = exo_open();
	if (fd < 0)
		PHASE_FAIL("exo_open: %d\n", fd);
	buf = exo_region__create(fd, NULL, BLK, PROT_READ | PROT_WRITE);
	if (!buf || exo_frame_alloc(fd, 1, &f, NULL) ||
	    exo_frame_map_one(fd, buf, f, EXO_PROT_READ | EXO_PROT_WRITE))
		PHASE_FAIL("frame setup failed\n");
	if (!strcmp(phase, "save")) {
		exo_extent_detach(fd);
		if (exo_extent_attach(fd, disk, EXO_ATTACH_FORMAT, NULL))
			PHASE_FAIL("attach %s: %s\n", disk, strerror(errno));
		for (i = 0; i < 3; i++) {
			if (exo_extent_alloc(fd, phase_counts[i], &x, &start,
					     &key, NULL))
				PHASE_FAIL("alloc: %s\n", strerror(errno));
			for (b = 0; b < phase_counts[i]; b++) {
				phase_fill(buf, start + b);
				if (exo_extent_write(fd, x, b, f, EXO_IO_FUA))
					PHASE_FAIL("write: %s\n",
						   strerror(errno));
			}
		}
		if (exo_extent_key_save(state, &key))
			PHASE_FAIL("key_save %s: %s\n", state,
				   strerror(errno));
		/* Written, made durable, freed: nobody may read it back. */
		if (exo_extent_alloc(fd, 2, &x, &start, NULL, NULL))
			PHASE_FAIL("alloc: %s\n", strerror(errno));
		for (b = 0; b < 2; b++) {
			phase_fill(buf, start + b);
			if (exo_extent_write(fd, x, b, f, EXO_IO_FUA))
				PHASE_FAIL("write: %s\n", strerror(errno));
		}
		if (exo_extent_free(fd, x))
			PHASE_FAIL("free: %s\n", strerror(errno));
		{
			char path[4096];
			FILE *sf;

			phase_scrub_path(path, sizeof(path), state);
			sf = fopen(path, "w");
			if (!sf || fprintf(sf, "%llu\n",
					   (unsigned long long)start) < 0 ||
			    fclose(sf))
				PHASE_FAIL("%s: %s\n", path, strerror(errno));
		}
		_exit(0);
	}
	if (!strcmp(phase, "torture")) {
		static exo_cap_t live[256];
		struct exo_extent_stat st;
		unsigned long round;

		exo_extent_detach(fd);
		if (exo_extent_attach(fd, disk, EXO_ATTACH_FORMAT, NULL) ||
		    exo_extent_alloc(fd, 3, &x, &start, &key, NULL))
			PHASE_FAIL("torture setup: %s\n", strerror(errno));
		for (b = 0; b < 3; b++) {
			phase_fill(buf, start + b);
			if (exo_extent_write(fd, x, b, f, EXO_IO_FUA))
				PHASE_FAIL("write: %s\n", strerror(errno));
		}
		if (exo_extent_key_save(state, &key))
			PHASE_FAIL("key_save: %s\n", strerror(errno));
		printf("torture: anchor at %llu, key saved; until killed\n",
		       (unsigned long long)start);
		fflush(stdout);
		srand(getpid());
		for (round = 0;; round++) {
			__u64 cnt = 1 + rand() % 16;

			/*
			 * At most 256 live extents: free the oldest.  A freed
			 * extent's capability is a tombstone: close it, or
			 * the table (max_caps) fills up.
			 */
			if (live[round % 256]) {
				if (exo_extent_free(fd, live[round % 256]) &&
				    errno != EKEYREVOKED)
					PHASE_FAIL("free: %s\n",
						   strerror(errno));
				exo_cap_close(fd, live[round % 256]);
			}
			live[round % 256] = 0;
			if (exo_extent_alloc(fd, cnt, &x, NULL, NULL, NULL))
				PHASE_FAIL("alloc: %s\n", strerror(errno));
			if (exo_extent_write(fd, x, cnt - 1, f, 0))
				PHASE_FAIL("write: %s\n", strerror(errno));
			if (rand() % 2) {
				if (exo_extent_free(fd, x))
					PHASE_FAIL("free: %s\n",
						   strerror(errno));
				exo_cap_close(fd, x);
			} else {
				live[round % 256] = x;
			}
			if (!(round % 64)) {
				exo_extent_stat(fd, &st);
				printf("torture: round %lu, generation %llu, %llu free\n",
				       round, (unsigned long long)st.generation,
				       (unsigned long long)st.free);
				fflush(stdout);
			}
		}
		_exit(0);
	}
	if (exo_extent_key_load(state, &key))
		PHASE_FAIL("key_load %s: %s\n", state, strerror(errno));
	if (!strcmp(phase, "crashcheck")) {
		struct exo_extent_desc *all;
		struct exo_extent_stat st;
		int found = 0;

		if (exo_extent_stat(fd, &st))
			PHASE_FAIL("not attached at load: %s\n", strerror(errno));
		n = exo_extent_reclaim(fd, &key, NULL, 0);
		if (n < 1)
			PHASE_FAIL("reclaim: %d\n", n);
		all = calloc(n, sizeof(*all));
		if (!all || exo_extent_reclaim(fd, &key, all, n) != n)
			PHASE_FAIL("reclaim %d: %s\n", n, strerror(errno));
		for (i = 0; i < n && !found; i++) {
			if (all[i].start != st.data_start || all[i].count != 3)
				continue;
			found = 1;
			for (b = 0; b < 3; b++) {
				char want[BLK];

				phase_fill(want, all[i].start + b);
				if (exo_extent_read(fd, all[i].cap, b, f) ||
				    memcmp(want, buf, BLK))
					PHASE_FAIL("anchor block %llu differs\n",
						   (unsigned long long)b);
			}
		}
		if (!found)
			PHASE_FAIL("anchor extent missing among %d\n", n);
		printf("crashcheck: generation %llu, %d extents, %llu free, anchor intact, %llu free blocks read as zeroes\n",
		       (unsigned long long)st.generation, n,
		       (unsigned long long)st.free,
		       (unsigned long long)phase_free_blocks_zero());
		_exit(0);
	}
	n = exo_extent_reclaim(fd, &key, d, 4);
	if (n != 3)
		PHASE_FAIL("reclaim: expected 3 extents, got %d\n", n);
	for (i = 0; i < n; i++) {
		for (b = 0; b < d[i].count; b++) {
			char want[BLK];

			phase_fill(want, d[i].start + b);
			if (exo_extent_read(fd, d[i].cap, b, f))
				PHASE_FAIL("read: %s\n", strerror(errno));
			if (memcmp(want, buf, BLK))
				PHASE_FAIL("extent %llu block %llu differs\n",
					   (unsigned long long)d[i].start,
					   (unsigned long long)b);
		}
		if (exo_extent_free(fd, d[i].cap))
			PHASE_FAIL("free: %s\n", strerror(errno));
	}
	{
		char path[4096];
		unsigned long long s4;
		FILE *sf;

		phase_scrub_path(path, sizeof(path), state);
		sf = fopen(path, "r");
		if (!sf || fscanf(sf, "%llu", &s4) != 1)
			PHASE_FAIL("%s: unreadable\n", path);
		fclose(sf);
		unlink(path);
		if (exo_extent_alloc_at(fd, s4, 2, &x, NULL, NULL))
			PHASE_FAIL("alloc_at %llu: %s\n", s4, strerror(errno));
		for (b = 0; b < 2; b++) {
			memset(buf, 0x77, BLK);
			if (exo_extent_read(fd, x, b, f))
				PHASE_FAIL("read: %s\n", strerror(errno));
			if (!phase_zero(buf))
				PHASE_FAIL("freed block %llu read back after reload\n",
					   s4 + b);
		}
		if (exo_extent_free(fd, x))
			PHASE_FAIL("free: %s\n", strerror(errno));
	}
	_exit(0);
}

static void __attribute__((constructor)) phase_main(void)
{
	const char *phase = getenv("EXO_EXTENT_PHASE");
	const char *state = getenv("STATE");
	const char *disk = exo_test_disk();

	if (!phase)
		return;
	if (!state || !disk)
		PHASE_FAIL("need STATE and a scratch disk\n");
	phase_run(phase, state, disk);
}

TEST_HARNESS_MAIN
