// SPDX-License-Identifier: GPL-2.0
/*
 * No data crosses principals on disk.  Blocks are never scrubbed on the
 * device; instead a block not written since its allocation reads as
 * zeroes without touching it, so what a previous owner left there (freed,
 * repossessed, or written by anyone before a format) never reaches the
 * next one.  Each test first proves the old data really is on the device
 * (read raw, O_DIRECT), then that the new owner reads zeroes through exo,
 * by the ioctl and by io_uring; and that an owner's own writes, flushed
 * or FUA, read back after a detach and a re-attach.  Across a module
 * reload and a guest reboot: the save/check and torture/crashcheck phases
 * of exo_extent.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <liburing.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

#define BLK	EXO_EXTENT_BLOCK
#define NB	4

/* One principal: its own env, NB frames mapped at @buf. */
struct princ {
	int fd;
	char *buf;
	exo_cap_t f[NB];
};

static int princ_open(struct princ *p)
{
	int i, r;

	p->fd = exo_open();
	if (p->fd < 0)
		return p->fd;
	p->buf = exo_region__create(p->fd, NULL, NB * BLK,
				    PROT_READ | PROT_WRITE);
	if (!p->buf)
		return -errno;
	r = exo_frame_alloc(p->fd, NB, p->f, NULL);
	for (i = 0; !r && i < NB; i++)
		r = exo_frame_map_one(p->fd, p->buf + i * BLK, p->f[i],
				      EXO_PROT_READ | EXO_PROT_WRITE);
	return r;
}

static void princ_close(struct princ *p)
{
	if (p->buf)
		exo_region__destroy(p->buf, NB * BLK);
	if (p->fd >= 0)
		exo_close(p->fd);
	p->buf = NULL;
	p->fd = -1;
}

static void fill(char *p, __u64 block, int salt)
{
	size_t i;

	for (i = 0; i < BLK; i++)
		p[i] = (char)(block * 13 + i * 5 + salt) | 1;	/* never 0 */
}

static int all_zero(const char *p)
{
	size_t i;

	for (i = 0; i < BLK; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Does the device itself hold @salt's pattern at @block?  1, 0 or -errno. */
static int raw_has(const char *disk, __u64 block, int salt)
{
	char *buf, want[BLK];
	int r;

	if (posix_memalign((void **)&buf, BLK, BLK))
		return -ENOMEM;
	r = exo_raw_read(disk, block, buf, 1);
	fill(want, block, salt);
	if (!r)
		r = !memcmp(buf, want, BLK);
	free(buf);
	return r;
}

/* Put @salt's pattern on the device at @block behind exo's back. */
static int raw_put(const char *disk, __u64 block, int salt)
{
	char *buf;
	int r;

	if (posix_memalign((void **)&buf, BLK, BLK))
		return -ENOMEM;
	fill(buf, block, salt);
	r = exo_raw_write(disk, block, buf, 1);
	free(buf);
	return r;
}

static long long extents_field(const char *name)
{
	long long v;

	return exo_extents_value(name, &v) ? -1 : v;
}

FIXTURE(scrub) {
	const char *disk;
	struct princ a, b;
	struct exo_extent_stat st;
};

FIXTURE_SETUP(scrub)
{
	self->a.fd = self->b.fd = -1;
	self->a.buf = self->b.buf = NULL;
	self->disk = exo_test_disk();
	if (!self->disk)
		return;
	ASSERT_EQ(0, princ_open(&self->a));
	ASSERT_EQ(0, princ_open(&self->b));
	exo_extent_detach(self->a.fd);
	ASSERT_EQ(0, exo_extent_attach(self->a.fd, self->disk,
				       EXO_ATTACH_FORMAT, &self->st));
}

FIXTURE_TEARDOWN(scrub)
{
	princ_close(&self->a);
	princ_close(&self->b);
}

/* A writes its pattern to every block of a fresh NB-block extent. */
static int a_writes(FIXTURE_DATA(scrub) *self, exo_cap_t *x, __u64 *start,
		    __u32 flags)
{
	struct exo_extent_iovec v[NB];
	int i, r;

	r = exo_extent_alloc(self->a.fd, NB, x, start, NULL, NULL);
	if (r)
		return r;
	for (i = 0; i < NB; i++) {
		fill(self->a.buf + i * BLK, *start + i, 1);
		v[i] = (struct exo_extent_iovec){
			.extent = *x, .block = i, .frame = self->a.f[i],
			.op = EXO_IO_WRITE,
		};
	}
	r = exo_extent_io(self->a.fd, v, NB, flags);
	return r == NB ? 0 : r < 0 ? r : -EIO;
}

/* B takes the blocks at @start and reads them all; 1 if all are zero. */
static int b_reads_zero(FIXTURE_DATA(scrub) *self, __u64 start,
			exo_cap_t *x)
{
	int i, zero = 1;

	if (exo_extent_alloc_at(self->b.fd, start, NB, x, NULL, NULL))
		return -errno;
	for (i = 0; i < NB; i++) {
		memset(self->b.buf + i * BLK, 0x77, BLK);
		if (exo_extent_read(self->b.fd, *x, i, self->b.f[i]))
			return -errno;
		zero &= all_zero(self->b.buf + i * BLK);
	}
	return zero;
}

TEST_F(scrub, freed_flushed_blocks_read_as_zeroes)
{
	long long before;
	exo_cap_t xa, xb;
	char want[BLK];
	__u64 start;
	int i;

	NEED_DISK();
	ASSERT_EQ(0, a_writes(self, &xa, &start, EXO_IO_FLUSH));
	for (i = 0; i < NB; i++) {
		ASSERT_EQ(0, exo_extent_read(self->a.fd, xa, i, self->a.f[i]));
		ASSERT_EQ(1, raw_has(self->disk, start + i, 1));
	}
	ASSERT_EQ(0, exo_extent_free(self->a.fd, xa));
	before = extents_field("reads_unwritten");
	ASSERT_LE(0, before);
	ASSERT_EQ(1, b_reads_zero(self, start, &xb));
	/* Zeroes from exo, not from the device: A's data is still there. */
	for (i = 0; i < NB; i++)
		EXPECT_EQ(1, raw_has(self->disk, start + i, 1));
	EXPECT_EQ(before + NB, extents_field("reads_unwritten"));
	/* B's own write reads back, and then from the device. */
	fill(self->b.buf, start, 2);
	ASSERT_EQ(0, exo_extent_write(self->b.fd, xb, 0, self->b.f[0], 0));
	memset(self->b.buf, 0, BLK);
	ASSERT_EQ(0, exo_extent_read(self->b.fd, xb, 0, self->b.f[0]));
	fill(want, start, 2);
	EXPECT_EQ(0, memcmp(want, self->b.buf, BLK));
	EXPECT_EQ(0, exo_extent_free(self->b.fd, xb));
}

TEST_F(scrub, freed_unflushed_blocks_read_as_zeroes)
{
	exo_cap_t xa, xb;
	__u64 start;

	NEED_DISK();
	ASSERT_EQ(0, a_writes(self, &xa, &start, 0));
	ASSERT_EQ(0, exo_extent_free(self->a.fd, xa));
	ASSERT_EQ(1, b_reads_zero(self, start, &xb));
	EXPECT_EQ(0, exo_extent_free(self->b.fd, xb));
}

TEST_F(scrub, same_principal_gets_zeroes_too)
{
	exo_cap_t xa, x2;
	__u64 start;
	int i;

	NEED_DISK();
	ASSERT_EQ(0, a_writes(self, &xa, &start, EXO_IO_FLUSH));
	ASSERT_EQ(0, exo_extent_free(self->a.fd, xa));
	ASSERT_EQ(0, exo_extent_alloc_at(self->a.fd, start, NB, &x2, NULL,
					 NULL));
	for (i = 0; i < NB; i++) {
		memset(self->a.buf, 0x77, BLK);
		ASSERT_EQ(0, exo_extent_read(self->a.fd, x2, i, self->a.f[0]));
		EXPECT_TRUE(all_zero(self->a.buf));
	}
	EXPECT_EQ(0, exo_extent_free(self->a.fd, x2));
}

TEST_F(scrub, repossessed_blocks_read_as_zeroes)
{
	struct exo_env_info info;
	struct exo_event ev;
	exo_cap_t xa, xb;
	__u64 start;
	int reposs = 0, aborted = 0;

	NEED_DISK();
	ASSERT_EQ(0, a_writes(self, &xa, &start, EXO_IO_FLUSH));
	ASSERT_EQ(0, exo_env_info(self->a.fd, &info));
	ASSERT_EQ(0, exo_request_revoke("extents", info.env_id, 1, 100));
	while (!aborted) {
		ASSERT_EQ(1, exo_events_read(self->a.fd, &ev, 1, 5000));
		if (ev.type == EXO_EV_REPOSSESSED) {
			EXPECT_EQ(start, ev.pfn);
			reposs++;
		}
		aborted = ev.type == EXO_EV_ABORTED;
	}
	ASSERT_EQ(1, reposs);
	ASSERT_EQ(1, raw_has(self->disk, start, 1));
	ASSERT_EQ(1, b_reads_zero(self, start, &xb));
	EXPECT_EQ(0, exo_extent_free(self->b.fd, xb));
}

/* Old data on the device before a format never shows through. */
TEST_F(scrub, format_hides_what_the_device_held)
{
	exo_cap_t xb;
	__u64 start = self->st.data_start + 8;
	int i;

	NEED_DISK();
	ASSERT_EQ(0, exo_extent_detach(self->a.fd));
	for (i = 0; i < NB; i++)
		ASSERT_EQ(0, raw_put(self->disk, start + i, 3));
	ASSERT_EQ(0, exo_extent_attach(self->a.fd, self->disk,
				       EXO_ATTACH_FORMAT, NULL));
	ASSERT_EQ(1, b_reads_zero(self, start, &xb));
	EXPECT_EQ(1, raw_has(self->disk, start, 3));
	EXPECT_EQ(0, exo_extent_free(self->b.fd, xb));
}

/* Blocks of one extent: written ones read data, the others zeroes. */
TEST_F(scrub, unwritten_blocks_of_an_owned_extent)
{
	exo_cap_t x;
	__u64 start = self->st.data_start + 16;
	char want[BLK];
	int i;

	NEED_DISK();
	for (i = 0; i < NB; i++)
		ASSERT_EQ(0, raw_put(self->disk, start + i, 4));
	ASSERT_EQ(0, exo_extent_alloc_at(self->a.fd, start, NB, &x, NULL,
					 NULL));
	for (i = 1; i < NB; i += 2) {
		fill(self->a.buf, start + i, 5);
		ASSERT_EQ(0, exo_extent_write(self->a.fd, x, i, self->a.f[0],
					      0));
	}
	for (i = 0; i < NB; i++) {
		memset(self->a.buf, 0x77, BLK);
		ASSERT_EQ(0, exo_extent_read(self->a.fd, x, i, self->a.f[0]));
		if (i % 2) {
			fill(want, start + i, 5);
			EXPECT_EQ(0, memcmp(want, self->a.buf, BLK));
		} else {
			EXPECT_TRUE(all_zero(self->a.buf));
		}
	}
	EXPECT_EQ(0, exo_extent_free(self->a.fd, x));
}

/*
 * The written bits are part of the table: after a detach and a
 * re-attach (the table read back from disk) the owner's flushed, FUA and
 * plain writes all read back, and unwritten blocks still read as zeroes.
 */
TEST_F(scrub, written_blocks_survive_reattach)
{
	struct exo_extent_desc d;
	struct exo_key key;
	exo_cap_t x;
	__u64 start;
	char want[BLK];
	int nk, i;

	NEED_DISK();
	ASSERT_EQ(0, exo_extent_alloc(self->a.fd, NB, &x, &start, &key, &nk));
	ASSERT_EQ(1, nk);
	fill(self->a.buf, start + 0, 6);
	ASSERT_EQ(0, exo_extent_write(self->a.fd, x, 0, self->a.f[0],
				      EXO_IO_FUA));
	fill(self->a.buf, start + 1, 6);
	ASSERT_EQ(0, exo_extent_write(self->a.fd, x, 1, self->a.f[0],
				      EXO_IO_FLUSH));
	fill(self->a.buf, start + 2, 6);
	ASSERT_EQ(0, exo_extent_write(self->a.fd, x, 2, self->a.f[0], 0));
	ASSERT_EQ(0, raw_put(self->disk, start + 3, 7));

	ASSERT_EQ(0, exo_extent_detach(self->a.fd));
	ASSERT_EQ(0, exo_extent_attach(self->a.fd, self->disk, 0, NULL));
	ASSERT_EQ(1, exo_extent_reclaim(self->b.fd, &key, &d, 1));
	for (i = 0; i < NB; i++) {
		memset(self->b.buf, 0x77, BLK);
		ASSERT_EQ(0, exo_extent_read(self->b.fd, d.cap, i,
					     self->b.f[0]));
		if (i < 3) {
			fill(want, start + i, 6);
			EXPECT_EQ(0, memcmp(want, self->b.buf, BLK));
		} else {
			EXPECT_TRUE(all_zero(self->b.buf));
		}
	}
	EXPECT_EQ(0, exo_extent_free(self->b.fd, d.cap));
}

/* The same rule through io_uring: a read, and a write made durable by an
 * io_uring flush that survives a re-attach. */
TEST_F(scrub, io_uring_reads_zeroes_and_flush_records_writes)
{
	struct exo_extent_desc d;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	struct exo_extent_iovec v;
	struct exo_key key;
	exo_cap_t xa, xb;
	__u64 start;
	char want[BLK];
	int nk, i;

	NEED_DISK();
	ASSERT_EQ(0, a_writes(self, &xa, &start, EXO_IO_FLUSH));
	ASSERT_EQ(0, exo_extent_free(self->a.fd, xa));
	ASSERT_EQ(0, exo_extent_alloc_at(self->b.fd, start, NB, &xb, &key,
					 &nk));
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, IORING_SETUP_SQE128));
	memset(self->b.buf, 0x77, NB * BLK);
	for (i = 0; i < NB; i++) {
		v = (struct exo_extent_iovec){
			.extent = xb, .block = i, .frame = self->b.f[i],
			.op = EXO_IO_READ,
		};
		exo_extent_prep_io(io_uring_get_sqe(&ring), self->b.fd, &v);
	}
	ASSERT_EQ(NB, io_uring_submit_and_wait(&ring, NB));
	for (i = 0; i < NB; i++) {
		ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
		EXPECT_EQ(0, cqe->res);
		io_uring_cqe_seen(&ring, cqe);
	}
	for (i = 0; i < NB; i++)
		EXPECT_TRUE(all_zero(self->b.buf + i * BLK));

	fill(self->b.buf, start + 1, 8);
	v = (struct exo_extent_iovec){
		.extent = xb, .block = 1, .frame = self->b.f[0],
		.op = EXO_IO_WRITE,
	};
	exo_extent_prep_io(io_uring_get_sqe(&ring), self->b.fd, &v);
	ASSERT_EQ(1, io_uring_submit_and_wait(&ring, 1));
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	EXPECT_EQ(0, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	exo_extent_prep_flush(io_uring_get_sqe(&ring), self->b.fd);
	ASSERT_EQ(1, io_uring_submit_and_wait(&ring, 1));
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	EXPECT_EQ(0, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);

	ASSERT_EQ(0, exo_extent_detach(self->a.fd));
	ASSERT_EQ(0, exo_extent_attach(self->a.fd, self->disk, 0, NULL));
	ASSERT_EQ(1, exo_extent_reclaim(self->a.fd, &key, &d, 1));
	ASSERT_EQ(0, exo_extent_read(self->a.fd, d.cap, 1, self->a.f[0]));
	fill(want, start + 1, 8);
	EXPECT_EQ(0, memcmp(want, self->a.buf, BLK));
	ASSERT_EQ(0, exo_extent_read(self->a.fd, d.cap, 0, self->a.f[0]));
	EXPECT_TRUE(all_zero(self->a.buf));
	EXPECT_EQ(0, exo_extent_free(self->a.fd, d.cap));
}

TEST_HARNESS_MAIN
