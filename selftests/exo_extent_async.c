// SPDX-License-Identifier: GPL-2.0
/*
 * Asynchronous extent I/O through io_uring (IORING_OP_URING_CMD on
 * /dev/exo): 256 requests in flight with exact data, one CQE per request
 * with its own status, errors reported in the CQE, flush, a detach that
 * waits for the I/O in flight, kill -9 with I/O in flight, and another
 * env's extent allocs and frees (each freeing an extent with its own I/O
 * in flight) while this env's I/O goes on; the errno of I/O through a
 * capability revoked, closed, of too few rights or of another kind, once
 * it has been used (the kernel then finds it without exo_lock), and I/O
 * racing with the revocation, close and free of its capabilities.
 *
 * Scratch disk: $EXO_TEST_DISK, else /dev/vda; every test skips without.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <liburing.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

#define BLK	EXO_EXTENT_BLOCK
#define QD	256

FIXTURE(aio) {
	const char *disk;
	int fd;
	char *region;		/* QD pages */
	exo_cap_t frames[QD];
	exo_cap_t ext;
	__u64 start;
	struct io_uring ring;
	int have_ring;
};

FIXTURE_SETUP(aio)
{
	struct exo_map_entry e[QD];
	int i;

	self->fd = -1;
	self->region = NULL;
	self->have_ring = 0;
	self->disk = exo_test_disk();
	if (!self->disk)
		return;
	self->fd = exo_open();
	ASSERT_LE(0, self->fd);
	exo_extent_detach(self->fd);
	ASSERT_EQ(0, exo_extent_attach(self->fd, self->disk,
				       EXO_ATTACH_FORMAT, NULL));
	self->region = exo_region__create(self->fd, NULL, QD * BLK,
					  PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, self->region);
	ASSERT_EQ(0, exo_frame_alloc(self->fd, QD, self->frames, NULL));
	for (i = 0; i < QD; i++)
		e[i] = (struct exo_map_entry){
			.addr = (unsigned long)(self->region + i * BLK),
			.cap = self->frames[i],
			.prot = EXO_PROT_READ | EXO_PROT_WRITE,
		};
	ASSERT_EQ(QD, exo_frame_map(self->fd, e, QD));
	ASSERT_EQ(0, exo_extent_alloc(self->fd, QD, &self->ext, &self->start,
				      NULL, NULL));
	ASSERT_EQ(0, io_uring_queue_init(QD, &self->ring,
					 IORING_SETUP_SQE128));
	self->have_ring = 1;
}

FIXTURE_TEARDOWN(aio)
{
	if (self->have_ring)
		io_uring_queue_exit(&self->ring);
	if (self->region)
		exo_region__destroy(self->region, QD * BLK);
	if (self->fd >= 0)
		exo_close(self->fd);
}

static struct exo_extent_iovec iov(exo_cap_t ext, __u64 block,
				   exo_cap_t frame, __u32 op)
{
	return (struct exo_extent_iovec){
		.extent = ext, .block = block, .frame = frame, .op = op,
	};
}

/* Queue one request with @tag as user_data. */
static int queue(struct io_uring *ring, int fd,
		 const struct exo_extent_iovec *v, __u64 tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		return -EBUSY;
	if (v)
		exo_extent_prep_io(sqe, fd, v);
	else
		exo_extent_prep_flush(sqe, fd);
	sqe->user_data = tag;
	return 0;
}

/* Reap @n completions; res[tag] = CQE res.  Returns 0 or -errno. */
static int reap(struct io_uring *ring, int n, int *res)
{
	struct io_uring_cqe *cqe;
	int i, ret;

	for (i = 0; i < n; i++) {
		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret)
			return ret;
		res[cqe->user_data] = cqe->res;
		io_uring_cqe_seen(ring, cqe);
	}
	return 0;
}

/* One request, submitted and waited for: its CQE res. */
static int one(struct io_uring *ring, int fd, const struct exo_extent_iovec *v)
{
	int res[1] = { 1 }, ret;

	ret = queue(ring, fd, v, 0);
	if (!ret)
		ret = io_uring_submit(ring) == 1 ? 0 : -EIO;
	if (!ret)
		ret = reap(ring, 1, res);
	return ret ? ret : res[0];
}

TEST_F(aio, qd256_exact_data)
{
	struct exo_extent_iovec v;
	static int res[QD];
	void *raw;
	int fd, i;

	NEED_DISK();
	for (i = 0; i < QD; i++) {
		memset(self->region + i * BLK, i & 0xff, BLK);
		memcpy(self->region + i * BLK, &i, sizeof(i));
		v = iov(self->ext, QD - 1 - i, self->frames[i], EXO_IO_WRITE);
		v.flags = i % 8 == 0 ? EXO_IO_FUA : 0;
		ASSERT_EQ(0, queue(&self->ring, self->fd, &v, i));
		res[i] = 1;
	}
	ASSERT_EQ(QD, io_uring_submit(&self->ring));
	ASSERT_EQ(0, reap(&self->ring, QD, res));
	for (i = 0; i < QD; i++)
		ASSERT_EQ(0, res[i]) TH_LOG("write %d", i);
	EXPECT_EQ(0, one(&self->ring, self->fd, NULL));	/* flush */

	/* The device holds what was written, where the extent says. */
	ASSERT_EQ(0, posix_memalign(&raw, BLK, QD * BLK));
	fd = open(self->disk, O_RDONLY | O_DIRECT);
	ASSERT_LE(0, fd);
	ASSERT_EQ(QD * BLK, pread(fd, raw, QD * BLK, self->start * BLK));
	close(fd);
	for (i = 0; i < QD; i++)
		ASSERT_EQ(0, memcmp((char *)raw + (QD - 1 - i) * BLK,
				    self->region + i * BLK, BLK))
			TH_LOG("block %d", QD - 1 - i);

	/* Read back into zeroed frames, in the other order. */
	memset(self->region, 0, QD * BLK);
	for (i = 0; i < QD; i++) {
		v = iov(self->ext, i, self->frames[i], EXO_IO_READ);
		ASSERT_EQ(0, queue(&self->ring, self->fd, &v, i));
		res[i] = 1;
	}
	ASSERT_EQ(QD, io_uring_submit(&self->ring));
	ASSERT_EQ(0, reap(&self->ring, QD, res));
	for (i = 0; i < QD; i++) {
		ASSERT_EQ(0, res[i]) TH_LOG("read %d", i);
		ASSERT_EQ(0, memcmp((char *)raw + i * BLK,
				    self->region + i * BLK, BLK))
			TH_LOG("frame %d", i);
	}
	free(raw);
}

TEST_F(aio, errors_in_cqes)
{
	struct exo_extent_iovec v;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	exo_cap_t ro;
	int res[4], i;

	NEED_DISK();
	ASSERT_EQ(0, exo_cap_derive(self->fd, self->ext, EXO_RIGHT_READ, &ro));
	/* A batch of good and bad requests: each CQE has its own status. */
	v = iov(self->ext, 0, self->frames[0], EXO_IO_WRITE);
	ASSERT_EQ(0, queue(&self->ring, self->fd, &v, 0));
	v = iov(ro, 0, self->frames[1], EXO_IO_WRITE);
	ASSERT_EQ(0, queue(&self->ring, self->fd, &v, 1));
	v = iov(self->ext, QD, self->frames[2], EXO_IO_READ);
	ASSERT_EQ(0, queue(&self->ring, self->fd, &v, 2));
	v = iov((1ULL << 32) | 4000, 0, self->frames[3], EXO_IO_READ);
	ASSERT_EQ(0, queue(&self->ring, self->fd, &v, 3));
	ASSERT_EQ(4, io_uring_submit(&self->ring));
	ASSERT_EQ(0, reap(&self->ring, 4, res));
	EXPECT_EQ(0, res[0]);
	EXPECT_EQ(-EACCES, res[1]);
	EXPECT_EQ(-ERANGE, res[2]);
	EXPECT_EQ(-EBADF, res[3]);
	v = iov(self->ext, 0, self->frames[0], 9);
	EXPECT_EQ(-EINVAL, one(&self->ring, self->fd, &v));
	v = iov(self->ext, 0, self->ext, EXO_IO_READ);
	EXPECT_EQ(-EINVAL, one(&self->ring, self->fd, &v));

	/* Unknown command; a flush with a non-zero payload. */
	sqe = io_uring_get_sqe(&self->ring);
	v = iov(self->ext, 0, self->frames[0], EXO_IO_READ);
	exo_extent_prep_io(sqe, self->fd, &v);
	sqe->cmd_op = 77;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, reap(&self->ring, 1, res));
	EXPECT_EQ(-EOPNOTSUPP, res[0]);
	sqe = io_uring_get_sqe(&self->ring);
	exo_extent_prep_flush(sqe, self->fd);
	sqe->cmd[3] = 1;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, reap(&self->ring, 1, res));
	EXPECT_EQ(-EINVAL, res[0]);

	/* A ring with 64-byte SQEs cannot carry the command. */
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, self->fd, NULL, 0, 0);
	sqe->cmd_op = EXO_URING_EXTENT_FLUSH;
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(0, reap(&ring, 1, res));
	EXPECT_EQ(-EINVAL, res[0]);
	io_uring_queue_exit(&ring);

	/* Detached: ENODEV. */
	ASSERT_EQ(0, exo_extent_detach(self->fd));
	v = iov(self->ext, 0, self->frames[0], EXO_IO_READ);
	EXPECT_EQ(-ENODEV, one(&self->ring, self->fd, &v));
	EXPECT_EQ(-ENODEV, one(&self->ring, self->fd, NULL));
	for (i = 0; i < 4; i++)
		res[i] = 0;
}

/* Detach and free wait for what is in flight; every CQE still arrives. */
TEST_F(aio, detach_waits)
{
	struct exo_extent_iovec v;
	static int res[QD];
	int i;

	NEED_DISK();
	for (i = 0; i < QD; i++) {
		v = iov(self->ext, i, self->frames[i], EXO_IO_WRITE);
		ASSERT_EQ(0, queue(&self->ring, self->fd, &v, i));
		res[i] = 1;
	}
	ASSERT_EQ(QD, io_uring_submit(&self->ring));
	EXPECT_EQ(0, exo_extent_free(self->fd, self->ext));
	EXPECT_EQ(0, exo_extent_detach(self->fd));
	ASSERT_EQ(0, reap(&self->ring, QD, res));
	for (i = 0; i < QD; i++)
		EXPECT_EQ(0, res[i]) TH_LOG("request %d", i);
}

struct tally {
	int ok;
	int err;
	int last;
};

static void count(void *ctx, int res)
{
	struct tally *t = ctx;

	if (res)
		t->err++, t->last = res;
	else
		t->ok++;
}

/* The libexo callback API: 256 writes and reads, one callback each. */
TEST_F(aio, libexo_aio_callbacks)
{
	struct exo_extent_iovec v;
	struct tally t = { 0 };
	struct exo_aio *aio;
	int i, n;

	NEED_DISK();
	aio = exo_aio__new(self->fd, QD);
	ASSERT_NE(NULL, aio);
	for (i = 0; i < QD; i++) {
		memset(self->region + i * BLK, 0x40 + i % 64, BLK);
		v = iov(self->ext, i, self->frames[i], EXO_IO_WRITE);
		ASSERT_EQ(0, exo_aio__queue(aio, &v, count, &t));
	}
	/* Full: depth reached. */
	EXPECT_EQ(-EBUSY, exo_aio__queue(aio, &v, count, &t));
	EXPECT_EQ(QD, exo_aio__submit(aio));
	for (n = 0; n < QD; ) {
		i = exo_aio__reap(aio, 1);
		ASSERT_LT(0, i);
		n += i;
	}
	EXPECT_EQ(QD, t.ok);
	EXPECT_EQ(0, exo_aio__busy(aio));
	memset(self->region, 0, QD * BLK);
	for (i = 0; i < QD; i++) {
		v = iov(self->ext, i, self->frames[i], EXO_IO_READ);
		ASSERT_EQ(0, exo_aio__queue(aio, &v, count, &t));
	}
	/* A flush past the depth is refused too. */
	EXPECT_EQ(-EBUSY, exo_aio__queue_flush(aio, NULL, NULL));
	ASSERT_EQ(QD, exo_aio__reap(aio, QD));
	EXPECT_EQ(2 * QD, t.ok);
	for (i = 0; i < QD; i++)
		ASSERT_EQ(0x40 + i % 64, self->region[i * BLK + 100]);
	/* A failing request reports its errno to its callback. */
	v = iov(self->ext, QD, self->frames[0], EXO_IO_READ);
	ASSERT_EQ(0, exo_aio__queue(aio, &v, count, &t));
	ASSERT_EQ(0, exo_aio__queue_flush(aio, count, &t));
	ASSERT_EQ(2, exo_aio__reap(aio, 2));
	EXPECT_EQ(1, t.err);
	EXPECT_EQ(-ERANGE, t.last);
	EXPECT_EQ(2 * QD + 1, t.ok);
	exo_aio__free(aio);
}

static long long totals_field(const char *name)
{
	char buf[4096], *p;
	size_t len = strlen(name);

	if (exo_read_file(EXO_DEBUGFS "/totals", buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, len) && p[len] == ' ')
			return atoll(p + len + 1);
	return -1;
}

/* kill -9 with 256 requests in flight: frames and extent objects return. */
TEST_F(aio, kill_in_flight)
{
	long long frames0, ext0, envs0;
	int pfd[2], status, i;
	char c;
	pid_t pid;

	NEED_DISK();
	frames0 = totals_field("objects.frame");
	ext0 = totals_field("objects.extent");
	envs0 = totals_field("envs");
	ASSERT_EQ(0, pipe(pfd));
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct exo_extent_iovec v;
		struct io_uring ring;
		struct io_uring_cqe *cqe;
		exo_cap_t f[QD], x;
		int fd = exo_open(), n = 0;

		if (fd < 0 || exo_frame_alloc(fd, QD, f, NULL) ||
		    exo_extent_alloc(fd, QD, &x, NULL, NULL, NULL) ||
		    io_uring_queue_init(QD, &ring, IORING_SETUP_SQE128))
			_exit(1);
		for (;;) {
			for (i = 0; i < QD; i++) {
				v = iov(x, i, f[i], i & 1 ? EXO_IO_READ
							  : EXO_IO_WRITE);
				exo_extent_prep_io(io_uring_get_sqe(&ring),
						   fd, &v);
			}
			io_uring_submit(&ring);
			if (!n++ && write(pfd[1], "x", 1) != 1)
				_exit(1);
			for (i = 0; i < QD; i++) {
				if (io_uring_wait_cqe(&ring, &cqe))
					_exit(1);
				io_uring_cqe_seen(&ring, cqe);
			}
		}
	}
	close(pfd[1]);
	ASSERT_EQ(1, read(pfd[0], &c, 1));
	close(pfd[0]);
	usleep(50 * 1000);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	/* The ring's teardown and the last fput run asynchronously. */
	for (i = 0; i < 100; i++) {
		if (totals_field("objects.frame") == frames0 &&
		    totals_field("objects.extent") == ext0 &&
		    totals_field("envs") == envs0)
			break;
		usleep(50 * 1000);
	}
	EXPECT_EQ(frames0, totals_field("objects.frame"));
	EXPECT_EQ(ext0, totals_field("objects.extent"));
	EXPECT_EQ(envs0, totals_field("envs"));
}

/*
 * While this env keeps QD/2 writes and reads in flight on its extent, a
 * neighbour env allocates extents, writes them through io_uring and frees
 * each with its writes still in flight: each of its writes completes (0)
 * or finds the extent already being freed (EKEYREVOKED), each free
 * succeeds, and this env's I/O all succeeds with its data exact.  The
 * table checks out afterwards.
 */
TEST_F(aio, free_beside_others_io)
{
	int res[QD], pfd[2], status, rounds, i, j;
	char buf[64];
	pid_t pid;

	NEED_DISK();
	ASSERT_EQ(0, pipe(pfd));
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct io_uring ring;
		struct io_uring_cqe *cqe;
		struct exo_extent_iovec v;
		exo_cap_t f[32], x;
		int fd = exo_open(), k, n;

		close(pfd[0]);
		if (fd < 0 || exo_frame_alloc(fd, 32, f, NULL) ||
		    io_uring_queue_init(32, &ring, IORING_SETUP_SQE128))
			_exit(1);
		for (n = 0; n < 40; n++) {
			if (exo_extent_alloc(fd, 32, &x, NULL, NULL, NULL))
				_exit(2);
			for (k = 0; k < 32; k++) {
				v = iov(x, k, f[k], EXO_IO_WRITE);
				exo_extent_prep_io(io_uring_get_sqe(&ring),
						    fd, &v);
			}
			if (io_uring_submit(&ring) != 32)
				_exit(3);
			if (exo_extent_free(fd, x))
				_exit(4);
			for (k = 0; k < 32; k++) {
				if (io_uring_wait_cqe(&ring, &cqe))
					_exit(5);
				if (cqe->res && cqe->res != -EKEYREVOKED)
					_exit(6);
				io_uring_cqe_seen(&ring, cqe);
			}
			if (!n && write(pfd[1], "x", 1) != 1)
				_exit(7);
		}
		_exit(0);
	}
	close(pfd[1]);
	ASSERT_EQ(1, read(pfd[0], buf, 1));	/* it is under way */
	close(pfd[0]);
	for (rounds = 0; rounds < 20; rounds++) {
		struct exo_extent_iovec v;

		for (i = 0; i < QD / 2; i++)
			memset(self->region + i * BLK, rounds * 7 + i, BLK);
		for (i = 0; i < QD / 2; i++) {
			v = iov(self->ext, i, self->frames[i], EXO_IO_WRITE);
			ASSERT_EQ(0, queue(&self->ring, self->fd, &v, i));
		}
		ASSERT_EQ(QD / 2, io_uring_submit(&self->ring));
		ASSERT_EQ(0, reap(&self->ring, QD / 2, res));
		for (i = 0; i < QD / 2; i++)
			ASSERT_EQ(0, res[i]) TH_LOG("round %d write %d", rounds, i);
		for (i = 0; i < QD / 2; i++) {
			v = iov(self->ext, i, self->frames[QD / 2 + i],
				EXO_IO_READ);
			ASSERT_EQ(0, queue(&self->ring, self->fd, &v, i));
		}
		ASSERT_EQ(QD / 2, io_uring_submit(&self->ring));
		ASSERT_EQ(0, reap(&self->ring, QD / 2, res));
		for (i = 0; i < QD / 2; i++) {
			const unsigned char *p = (unsigned char *)self->region +
						 (QD / 2 + i) * BLK;
			int bad = 0;

			ASSERT_EQ(0, res[i]) TH_LOG("round %d read %d", rounds, i);
			for (j = 0; j < BLK; j++)
				bad += p[j] != (unsigned char)(rounds * 7 + i);
			ASSERT_EQ(0, bad) TH_LOG("round %d block %d", rounds, i);
		}
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("neighbour status %#x", status);
	ASSERT_LT(0, exo_read_file("/sys/kernel/debug/exo/check", buf,
				   sizeof(buf)));
	EXPECT_STREQ("ok\n", buf);
}

/* One synchronous EXTENT_IO element: 0 or -errno. */
static int sync1(int fd, exo_cap_t x, __u64 block, exo_cap_t f, __u32 op)
{
	struct exo_extent_iovec v = iov(x, block, f, op);

	errno = 0;
	if (exo_extent_io(fd, &v, 1, 0) == 1)
		return 0;
	return errno ? -errno : -EIO;
}

/*
 * A capability used once for I/O is found without exo_lock afterwards
 * (cap.c, exo_cap_pin()); every change of it must still answer exactly as
 * the lookup under exo_lock does, through io_uring and EXTENT_IO alike.
 */
TEST_F(aio, used_caps_answer_precisely)
{
	exo_cap_t xc, xc2, xr, fc, fw, x2, f2;
	struct exo_extent_iovec v;
	struct exo_key key;
	int fd2;

	NEED_DISK();
	ASSERT_EQ(0, exo_cap_derive(self->fd, self->ext, EXO_RIGHT_READ |
				    EXO_RIGHT_WRITE | EXO_RIGHT_REVOKE, &xc));
	ASSERT_EQ(0, exo_cap_derive(self->fd, self->frames[0], EXO_RIGHT_READ |
				    EXO_RIGHT_WRITE, &fc));
	v = iov(xc, 1, fc, EXO_IO_WRITE);
	ASSERT_EQ(0, one(&self->ring, self->fd, &v));
	ASSERT_EQ(0, sync1(self->fd, xc, 1, fc, EXO_IO_READ));

	/* Revoked: a tombstone.  Closed: a stale handle, slot reused or not. */
	ASSERT_EQ(0, exo_cap_revoke(self->fd, xc, EXO_REVOKE_SELF, NULL));
	EXPECT_EQ(-EKEYREVOKED, one(&self->ring, self->fd, &v));
	EXPECT_EQ(-EKEYREVOKED, sync1(self->fd, xc, 1, fc, EXO_IO_READ));
	ASSERT_EQ(0, exo_cap_close(self->fd, xc));
	EXPECT_EQ(-ESTALE, one(&self->ring, self->fd, &v));
	ASSERT_EQ(0, exo_cap_derive(self->fd, self->ext, EXO_RIGHT_READ |
				    EXO_RIGHT_WRITE, &xc2));
	EXPECT_EQ(-ESTALE, one(&self->ring, self->fd, &v));
	EXPECT_EQ(-ESTALE, sync1(self->fd, xc, 1, fc, EXO_IO_WRITE));
	v = iov(xc2, 1, fc, EXO_IO_WRITE);
	EXPECT_EQ(0, one(&self->ring, self->fd, &v));

	/* Used for reading, a read-only capability still cannot write. */
	ASSERT_EQ(0, exo_cap_derive(self->fd, self->ext, EXO_RIGHT_READ, &xr));
	EXPECT_EQ(0, sync1(self->fd, xr, 2, fc, EXO_IO_READ));
	v = iov(xr, 2, fc, EXO_IO_WRITE);
	EXPECT_EQ(-EACCES, one(&self->ring, self->fd, &v));
	EXPECT_EQ(-EACCES, sync1(self->fd, xr, 2, fc, EXO_IO_WRITE));
	/* A frame used as a frame is no extent, and the reverse. */
	v = iov(fc, 0, fc, EXO_IO_READ);
	EXPECT_EQ(-EINVAL, one(&self->ring, self->fd, &v));
	v = iov(xc2, 0, xc2, EXO_IO_READ);
	EXPECT_EQ(-EINVAL, one(&self->ring, self->fd, &v));
	/* A write-only frame capability, used to receive, cannot be read. */
	ASSERT_EQ(0, exo_cap_derive(self->fd, self->frames[1], EXO_RIGHT_WRITE,
				    &fw));
	EXPECT_EQ(0, sync1(self->fd, xc2, 1, fw, EXO_IO_READ));
	EXPECT_EQ(-EACCES, sync1(self->fd, xc2, 1, fw, EXO_IO_WRITE));

	/* The frame's capability dies with the frame's root closed. */
	ASSERT_EQ(0, exo_cap_close(self->fd, self->frames[1]));
	EXPECT_EQ(-EKEYREVOKED, sync1(self->fd, xc2, 1, fw, EXO_IO_READ));
	v = iov(xc2, 1, fw, EXO_IO_READ);
	EXPECT_EQ(-EKEYREVOKED, one(&self->ring, self->fd, &v));

	/* Another env's capability dies with the revocation here. */
	ASSERT_EQ(0, exo_cap_export(self->fd, self->ext, EXO_RIGHT_READ |
				    EXO_RIGHT_WRITE, 0, &key));
	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, exo_cap_import(fd2, &key, &x2, NULL));
	ASSERT_EQ(0, exo_frame_alloc(fd2, 1, &f2, NULL));
	EXPECT_EQ(0, sync1(fd2, x2, 3, f2, EXO_IO_WRITE));
	ASSERT_EQ(0, exo_cap_revoke(self->fd, self->ext, 0, NULL));
	EXPECT_EQ(-EKEYREVOKED, sync1(fd2, x2, 3, f2, EXO_IO_WRITE));
	EXPECT_EQ(-EKEYREVOKED, sync1(self->fd, xc2, 3, fc, EXO_IO_WRITE));
	EXPECT_EQ(-EKEYREVOKED, sync1(self->fd, xr, 3, fc, EXO_IO_READ));
	/* The root itself is untouched. */
	EXPECT_EQ(0, sync1(self->fd, self->ext, 3, fc, EXO_IO_READ));
	EXPECT_EQ(0, exo_close(fd2));

	/* Freed: every capability of the extent dies. */
	ASSERT_EQ(0, exo_extent_free(self->fd, self->ext));
	EXPECT_EQ(-EKEYREVOKED, sync1(self->fd, self->ext, 3, fc, EXO_IO_READ));
	v = iov(self->ext, 3, fc, EXO_IO_WRITE);
	EXPECT_EQ(-EKEYREVOKED, one(&self->ring, self->fd, &v));
}

/*
 * I/O through capabilities that another thread revokes, closes and frees
 * as it goes: extents and frames made, used and given back round after
 * round, through roots and children.  Each request completes or answers
 * one of the errors of a capability that died or was closed, nothing
 * else; objects all come back, debugfs check is clean (and the debug
 * kernel sees no use after free).
 */
#define RACE_ROUNDS	200
#define RACE_BATCH	16

struct race {
	int fd;
	_Atomic exo_cap_t x, f;	/* what the I/O thread uses now */
	atomic_int stop;
	atomic_long ops, ok, bad, last_bad;
};

static void race_res(struct race *r, int res)
{
	atomic_fetch_add(&r->ops, 1);
	if (!res)
		atomic_fetch_add(&r->ok, 1);
	else if (res != -EKEYREVOKED && res != -ESTALE) {
		atomic_fetch_add(&r->bad, 1);
		atomic_store(&r->last_bad, res);
	}
}

static void *race_io(void *arg)
{
	struct race *r = arg;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	unsigned int n = 0;
	int i, done;

	if (io_uring_queue_init(RACE_BATCH, &ring, IORING_SETUP_SQE128)) {
		atomic_fetch_add(&r->bad, 1);
		return NULL;
	}
	while (!atomic_load(&r->stop)) {
		exo_cap_t x = atomic_load(&r->x), f = atomic_load(&r->f);
		__u32 op = n++ & 1 ? EXO_IO_READ : EXO_IO_WRITE;

		if (n % 4 == 0) {
			race_res(r, sync1(r->fd, x, n % 4, f, op));
			continue;
		}
		for (i = 0; i < RACE_BATCH; i++) {
			struct exo_extent_iovec v = iov(x, i % 4, f, op);

			exo_extent_prep_io(io_uring_get_sqe(&ring), r->fd, &v);
		}
		if (io_uring_submit(&ring) != RACE_BATCH) {
			atomic_fetch_add(&r->bad, 1);
			break;
		}
		for (i = 0, done = 0; i < RACE_BATCH; i++) {
			if (io_uring_wait_cqe(&ring, &cqe)) {
				atomic_fetch_add(&r->bad, 1);
				break;
			}
			done += !cqe->res;
			race_res(r, cqe->res);
			io_uring_cqe_seen(&ring, cqe);
		}
		if (!done)	/* both dead: leave the CPU to their maker */
			sched_yield();
	}
	io_uring_queue_exit(&ring);
	return NULL;
}

TEST_F_TIMEOUT(aio, io_races_revoke_close_and_free, 120)
{
	long long frames0, ext0;
	struct race r = { .fd = self->fd };
	time_t t0 = time(NULL);
	pthread_t th;
	int round;
	char buf[64];

	NEED_DISK();
	frames0 = totals_field("objects.frame");
	ext0 = totals_field("objects.extent");
	atomic_store(&r.x, self->ext);
	atomic_store(&r.f, self->frames[0]);
	ASSERT_EQ(0, pthread_create(&th, NULL, race_io, &r));
	/* RACE_ROUNDS, or 8 and 20 s (a debug kernel is slow). */
	for (round = 0; round < RACE_ROUNDS &&
	     (round < 8 || time(NULL) - t0 < 20); round++) {
		exo_cap_t x, f, xc, fc;
		long ok;
		int spin;

		ASSERT_EQ(0, exo_extent_alloc(self->fd, 4, &x, NULL, NULL,
					      NULL));
		ASSERT_EQ(0, exo_frame_alloc(self->fd, 1, &f, NULL));
		ASSERT_EQ(0, exo_cap_derive(self->fd, x, EXO_RIGHT_READ |
					    EXO_RIGHT_WRITE, &xc));
		ASSERT_EQ(0, exo_cap_derive(self->fd, f, EXO_RIGHT_READ |
					    EXO_RIGHT_WRITE, &fc));
		atomic_store(&r.x, round & 1 ? xc : x);
		atomic_store(&r.f, round & 2 ? fc : f);
		/* Let a few requests through these before they go. */
		ok = atomic_load(&r.ok);
		for (spin = 0; spin < 100000 && atomic_load(&r.ok) < ok + 4;
		     spin++)
			sched_yield();
		switch (round % 4) {
		case 0:
			EXPECT_EQ(0, exo_cap_revoke(self->fd, x, 0, NULL));
			break;
		case 1:
			EXPECT_EQ(0, exo_extent_free(self->fd, x));
			break;
		case 2:
			EXPECT_EQ(0, exo_cap_close(self->fd, f));
			f = 0;
			break;
		case 3:
			EXPECT_EQ(0, exo_cap_close(self->fd, xc));
			EXPECT_EQ(0, exo_cap_close(self->fd, fc));
			xc = fc = 0;
			break;
		}
		sched_yield();
		if (round % 4 != 1)
			EXPECT_EQ(0, exo_extent_free(self->fd, x));
		EXPECT_EQ(0, exo_cap_close(self->fd, x));
		if (f)
			EXPECT_EQ(0, exo_cap_close(self->fd, f));
		if (xc)
			EXPECT_EQ(0, exo_cap_close(self->fd, xc));
		if (fc)
			EXPECT_EQ(0, exo_cap_close(self->fd, fc));
	}
	atomic_store(&r.stop, 1);
	ASSERT_EQ(0, pthread_join(th, NULL));
	TH_LOG("%d rounds, %ld requests, %ld completed", round,
	       atomic_load(&r.ops), atomic_load(&r.ok));
	EXPECT_EQ(0, atomic_load(&r.bad))
		TH_LOG("last unexpected result %ld", atomic_load(&r.last_bad));
	EXPECT_LT(0, atomic_load(&r.ok));
	EXPECT_EQ(frames0, totals_field("objects.frame"));
	EXPECT_EQ(ext0, totals_field("objects.extent"));
	ASSERT_LT(0, exo_read_file("/sys/kernel/debug/exo/check", buf,
				   sizeof(buf)));
	EXPECT_STREQ("ok\n", buf);
}

TEST_HARNESS_MAIN
