// SPDX-License-Identifier: GPL-2.0
/*
 * bench-block — 4 KiB random block I/O: exo extents through io_uring
 * (IORING_OP_URING_CMD on /dev/exo, bios straight into exo frames) against
 * io_uring with O_DIRECT on the raw device, same device, same blocks, same
 * queue depth, same guest, same run.  Runs in the test VM as root with exo
 * loaded and a scratch disk (make bench-block: scripts/vm --disk).
 *
 *   bench-block [DEVICE]      default $EXO_TEST_DISK, else /dev/vda
 *
 * The device is formatted for exo (its contents are lost).  Prints a table,
 * then "RATIO <name> <value>" lines: exo's IOPS over the peer's (higher is
 * better, 1.0 = parity), the median of 5 alternating rounds.
 *
 * contention.extent_<op>: exo's rate with a noisy neighbour env doing
 * control calls (noisy.h: frames, capabilities, extent alloc and free)
 * over its rate alone, the same rounds alternating.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <liburing.h>

#include "exo.h"
#include "noisy.h"

#define QD	32
#define BLK	EXO_EXTENT_BLOCK
#define ROUNDS	5

static unsigned long nblocks = 8192;	/* the extent: 32 MiB */
static unsigned long ops = 4000;	/* per round */
static __u64 *targets;			/* random blocks, same for both */

static void die(const char *what, int err)
{
	fprintf(stderr, "bench-block: %s: %s\n", what,
		strerror(err < 0 ? -err : err));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct target {
	int exo;		/* 1: exo uring_cmd, 0: O_DIRECT read/write */
	int write;
	int fd;			/* /dev/exo, or the O_DIRECT device fd */
	exo_cap_t ext;
	exo_cap_t frames[QD];
	__u64 start;		/* first block of the extent */
	char *bufs;		/* QD blocks, for the peer */
};

static void prep(struct io_uring *ring, const struct target *t,
		 unsigned long i, int slot)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (t->exo) {
		struct exo_extent_iovec v = {
			.extent = t->ext,
			.block = targets[i],
			.frame = t->frames[slot],
			.op = t->write ? EXO_IO_WRITE : EXO_IO_READ,
		};

		exo_extent_prep_io(sqe, t->fd, &v);
	} else if (t->write) {
		io_uring_prep_write(sqe, t->fd, t->bufs + slot * BLK, BLK,
				    (t->start + targets[i]) * BLK);
	} else {
		io_uring_prep_read(sqe, t->fd, t->bufs + slot * BLK, BLK,
				   (t->start + targets[i]) * BLK);
	}
	sqe->user_data = slot;
}

/* Keep QD requests in flight until @ops are done.  Returns IOPS. */
static double run(const struct target *t)
{
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	unsigned long next = 0, done = 0;
	double t0;
	int ret, slot;

	ret = io_uring_queue_init(QD, &ring, t->exo ? IORING_SETUP_SQE128 : 0);
	if (ret)
		die("io_uring_queue_init", ret);
	t0 = now();
	for (slot = 0; slot < QD && next < ops; slot++)
		prep(&ring, t, next++, slot);
	while (done < ops) {
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0)
			die("io_uring_submit_and_wait", ret);
		while (!io_uring_peek_cqe(&ring, &cqe)) {
			if (cqe->res < 0 || (!t->exo && cqe->res != BLK))
				die(t->exo ? "exo I/O" : "O_DIRECT I/O",
				    cqe->res < 0 ? cqe->res : -EIO);
			slot = cqe->user_data;
			io_uring_cqe_seen(&ring, cqe);
			done++;
			if (next < ops)
				prep(&ring, t, next++, slot);
		}
	}
	t0 = now() - t0;
	io_uring_queue_exit(&ring);
	return ops / t0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *disk = argc > 1 ? argv[1] : getenv("EXO_TEST_DISK");
	struct exo_extent_stat st;
	struct target exo = { .exo = 1 }, peer = { .exo = 0 };
	double e[2][ROUNDS], p[2][ROUNDS];
	const char *name[2] = { "randread4k", "randwrite4k" };
	double ca[2][ROUNDS], cn[2][ROUNDS], nrate = 0, rate;
	struct noisy n = { 0 };
	unsigned long i;
	int w, r, ret;

	if (!disk || !*disk)
		disk = "/dev/vda";
	if (getenv("EXO_BENCH_OPS"))
		ops = strtoul(getenv("EXO_BENCH_OPS"), NULL, 0);

	exo.fd = exo_open();
	if (exo.fd < 0)
		die("exo_open", exo.fd);
	exo_extent_detach(exo.fd);
	ret = exo_extent_attach(exo.fd, disk, EXO_ATTACH_FORMAT, &st);
	if (ret)
		die(disk, ret);
	if (nblocks > st.free)
		nblocks = st.free;
	ret = exo_extent_alloc(exo.fd, nblocks, &exo.ext, &exo.start, NULL,
			       NULL);
	if (ret)
		die("exo_extent_alloc", ret);
	ret = exo_frame_alloc(exo.fd, QD, exo.frames, NULL);
	if (ret)
		die("exo_frame_alloc", ret);

	peer.fd = open(disk, O_RDWR | O_DIRECT);
	if (peer.fd < 0)
		die(disk, -errno);
	peer.start = exo.start;
	if (posix_memalign((void **)&peer.bufs, BLK, QD * BLK))
		die("posix_memalign", -ENOMEM);
	memset(peer.bufs, 0x5a, QD * BLK);

	targets = calloc(ops, sizeof(*targets));
	if (!targets)
		die("calloc", -ENOMEM);
	srand(42);
	for (i = 0; i < ops; i++)
		targets[i] = (unsigned long)rand() % nblocks;

	/*
	 * Write the whole extent once first, through exo: the scratch disk
	 * is a sparse file on the host, and a block's first write costs the
	 * host an allocation that whoever runs first would pay alone; and a
	 * block exo has never written reads as zeroes without any I/O (no
	 * data crosses principals), which would make exo's reads free.
	 */
	{
		struct exo_extent_iovec v[QD];
		unsigned long b;
		unsigned int k;

		for (b = 0; b < nblocks; b += k) {
			for (k = 0; k < QD && b + k < nblocks; k++)
				v[k] = (struct exo_extent_iovec){
					.extent = exo.ext, .block = b + k,
					.frame = exo.frames[k],
					.op = EXO_IO_WRITE,
				};
			if (exo_extent_io(exo.fd, v, k, 0) != (int)k)
				die("prefill", -errno);
		}
		if (exo_extent_io(exo.fd, v, 1, EXO_IO_FLUSH) != 1)
			die("prefill flush", -errno);
	}

	/* Warm up both paths once, then alternate so drift hits both. */
	exo.write = peer.write = 0;
	run(&exo);
	run(&peer);
	for (w = 0; w < 2; w++) {
		exo.write = peer.write = w;
		for (r = 0; r < ROUNDS; r++) {
			e[w][r] = run(&exo);
			p[w][r] = run(&peer);
		}
		qsort(e[w], ROUNDS, sizeof(double), cmp);
		qsort(p[w], ROUNDS, sizeof(double), cmp);
	}

	/* The same exo runs, alone and with a noisy neighbour. */
	for (w = 0; w < 2; w++) {
		exo.write = w;
		for (r = 0; r < ROUNDS; r++) {
			ca[w][r] = run(&exo);
			ret = noisy_start(&n, NOISY_EXTENTS, now());
			if (ret)
				die("noisy_start", ret);
			usleep(20000);	/* let it get going */
			cn[w][r] = run(&exo);
			rate = noisy_stop(&n, now());
			if (rate < 0)
				die("noisy neighbour", -EIO);
			nrate += rate;
		}
		qsort(ca[w], ROUNDS, sizeof(double), cmp);
		qsort(cn[w], ROUNDS, sizeof(double), cmp);
	}

	printf("# %s, %lu blocks of 4 KiB, queue depth %d, %lu ops per round\n",
	       disk, nblocks, QD, ops);
	printf("%-44s %14s %14s\n", "benchmark (median of 5, IOPS)", "exo",
	       "io_uring O_DIRECT");
	for (w = 0; w < 2; w++)
		printf("%-44s %12.0f/s %12.0f/s\n", name[w], e[w][ROUNDS / 2],
		       p[w][ROUNDS / 2]);
	for (w = 0; w < 2; w++)
		printf("%-44s %12.0f/s %12.0f/s  (neighbour: %.0f rounds/s)\n",
		       w ? "contention.extent_randwrite4k: alone, noisy" :
			   "contention.extent_randread4k: alone, noisy",
		       ca[w][ROUNDS / 2], cn[w][ROUNDS / 2],
		       nrate / (2 * ROUNDS));
	for (w = 0; w < 2; w++)
		printf("RATIO block.%s %.2f\n", name[w],
		       e[w][ROUNDS / 2] / p[w][ROUNDS / 2]);
	for (w = 0; w < 2; w++)
		printf("RATIO contention.extent_%s %.2f\n", name[w],
		       cn[w][ROUNDS / 2] / ca[w][ROUNDS / 2]);

	close(peer.fd);
	exo_extent_detach(exo.fd);
	exo_close(exo.fd);
	return 0;
}
