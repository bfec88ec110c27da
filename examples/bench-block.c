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
 * over its rate alone, the same rounds alternating; .spin the same beside
 * a neighbour that only keeps its vCPU busy (NOISY_SPIN: no exo call, no
 * I/O), the floor of a path that shares nothing with its neighbour.
 *
 * xn.update: XN's checked metadata updates per second over unchecked
 * writes of as many blocks with the same durability (one at a time, each
 * FUA, on the extent).  Each update rewrites one of 16 list blocks under
 * a root (the selftests' format: a count, then references), swapping one
 * of its 32 data references for a free block: exo runs the template over
 * the old and the new contents, checks the claim, commits its table and
 * writes the block in place.  xn.update.table: the same with a claim
 * that adds and releases nothing (a block whose references stay the
 * same: the check and the writes without the ownership change).
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

#include <arpa/inet.h>
#include <sys/mman.h>

#include "exo.h"
#include "noisy.h"
#include "../selftests/xn_list.h"

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

/* ---- xn.update ----------------------------------------------------------- */

#define XN_META		16	/* list blocks under the root */
#define XN_REFS		32	/* data references in each */
#define XN_SPARE	64	/* free blocks the swaps rotate through */

struct xn_bench {
	int fd;
	exo_cap_t frame, ext;	/* the frame written; the peer's extent */
	char *buf;		/* mapped at the frame */
	__u64 root;
	__u64 meta[XN_META];
	__u64 refs[XN_META][XN_REFS];
	__u64 spare[XN_SPARE];	/* a ring of free blocks */
	unsigned int head;	/* next spare to claim */
	unsigned int tail;	/* next slot for a released block */
	unsigned long op;
};

static void xn_list(char *buf, const __u64 *blocks, __u32 n, __u32 type)
{
	__u32 *w = (__u32 *)buf;

	memset(buf, 0, BLK);
	w[0] = htonl(n);
	for (__u32 i = 0; i < n; i++)
		w[1 + i] = htonl(EXO_XN_REF(type, blocks[i]));
}

/* One checked update: swap a reference (@swap) or only rewrite a block. */
static int xn_one(struct xn_bench *x, int swap)
{
	unsigned int m = x->op % XN_META, k = (x->op / XN_META) % XN_REFS;
	struct exo_xn_ref add = { .type = 0 }, rel = { .type = 0 };
	int ret;

	x->op++;
	if (swap) {
		rel.block = x->refs[m][k];
		add.block = x->spare[x->head % XN_SPARE];
		x->refs[m][k] = add.block;
	}
	xn_list(x->buf, x->refs[m], XN_REFS, 0);
	/* a field that changes every time, past the references */
	memcpy(x->buf + BLK - 8, &x->op, 8);
	ret = exo_xn_update(x->fd, x->meta[m], x->frame, swap ? &add : NULL,
			    swap, swap ? &rel : NULL, swap);
	if (!ret && swap) {
		x->head++;
		x->spare[x->tail++ % XN_SPARE] = rel.block;
	}
	return ret;
}

/* XN updates per second (@swap: with an ownership change), @n of them. */
static double xn_run(struct xn_bench *x, int swap, unsigned long n)
{
	double t0 = now();

	for (unsigned long i = 0; i < n; i++) {
		int ret = xn_one(x, swap);

		if (ret)
			die("exo_xn_update", ret);
	}
	return n / (now() - t0);
}

/* The peer: @n single-block FUA writes on the extent, one at a time. */
static double fua_run(struct xn_bench *x, unsigned long n)
{
	double t0 = now();

	for (unsigned long i = 0; i < n; i++) {
		struct exo_extent_iovec v = {
			.extent = x->ext, .block = i % (XN_META * 4),
			.frame = x->frame, .op = EXO_IO_WRITE,
			.flags = EXO_IO_FUA,
		};

		if (exo_extent_io(x->fd, &v, 1, 0) != 1)
			die("FUA write", -errno);
	}
	return n / (now() - t0);
}

/* Templates, a root, 16 lists of 32 data blocks, from the device's end. */
static void xn_setup(struct xn_bench *x, const struct exo_extent_stat *st,
		     exo_cap_t ext)
{
	__u64 b = st->nblocks - 1;
	int ret;

	x->ext = ext;
	x->buf = exo_region__create(x->fd, NULL, BLK, PROT_READ | PROT_WRITE);
	if (!x->buf)
		die("exo_region__create", -ENOMEM);
	ret = exo_frame_alloc(x->fd, 1, &x->frame, NULL);
	if (!ret)
		ret = exo_frame_map_one(x->fd, x->buf, x->frame,
					EXO_PROT_READ | EXO_PROT_WRITE);
	if (!ret)
		ret = exo_xn_template_set(x->fd, 1, list_prog, LIST_LEN);
	if (!ret)
		ret = exo_xn_template_set(x->fd, 2, list_prog, LIST_LEN);
	if (!ret)
		ret = exo_xn_root(x->fd, 0, 1, &x->root);
	if (ret)
		die("XN set-up", ret);
	for (int m = 0; m < XN_META; m++) {
		x->meta[m] = b--;
		for (int k = 0; k < XN_REFS; k++)
			x->refs[m][k] = b--;
	}
	for (int i = 0; i < XN_SPARE; i++)
		x->spare[i] = b--;
	x->tail = XN_SPARE;
	/* the root lists the 16 blocks (type 2); each lists its 32 */
	{
		struct exo_xn_ref add[XN_REFS];

		for (int m = 0; m < XN_META; m++)
			add[m] = (struct exo_xn_ref){ .block = x->meta[m],
						      .type = 2 };
		xn_list(x->buf, x->meta, XN_META, 2);
		ret = exo_xn_update(x->fd, x->root, x->frame, add, XN_META,
				    NULL, 0);
		for (int m = 0; m < XN_META && !ret; m++) {
			for (int k = 0; k < XN_REFS; k++)
				add[k] = (struct exo_xn_ref){
					.block = x->refs[m][k] };
			xn_list(x->buf, x->refs[m], XN_REFS, 0);
			ret = exo_xn_update(x->fd, x->meta[m], x->frame, add,
					    XN_REFS, NULL, 0);
		}
		if (ret)
			die("XN tree", ret);
	}
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
	double ca[2][ROUNDS], cn[2][ROUNDS], cs[2][ROUNDS], nrate = 0, rate;
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

	/* EXO_BENCH_XN_ONLY: only the XN rows (to profile them) */
	if (getenv("EXO_BENCH_XN_ONLY"))
		goto xn;

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
			ret = noisy_start(&n, NOISY_SPIN, now());
			if (ret)
				die("noisy_start", ret);
			usleep(20000);
			cs[w][r] = run(&exo);
			if (noisy_stop(&n, now()) < 0)
				die("spinning neighbour", -EIO);
		}
		qsort(ca[w], ROUNDS, sizeof(double), cmp);
		qsort(cn[w], ROUNDS, sizeof(double), cmp);
		qsort(cs[w], ROUNDS, sizeof(double), cmp);
	}

	/* XN: checked updates against FUA writes, alternating */
xn:;
	struct xn_bench x = { .fd = exo.fd };
	double xu[ROUNDS], xt[ROUNDS], xf[ROUNDS];
	unsigned long xops = ops / 8 ? ops / 8 : 1;

	if (nblocks + 2 * (1 + XN_META * (1 + XN_REFS) + XN_SPARE) > st.free)
		die("XN: no room at the device's end", -ENOSPC);
	xn_setup(&x, &st, exo.ext);
	xn_run(&x, 1, xops / 4);
	fua_run(&x, xops / 4);
	for (r = 0; r < ROUNDS; r++) {
		xu[r] = xn_run(&x, 1, xops);
		xt[r] = xn_run(&x, 0, xops);
		xf[r] = fua_run(&x, xops);
	}
	qsort(xu, ROUNDS, sizeof(double), cmp);
	qsort(xt, ROUNDS, sizeof(double), cmp);
	qsort(xf, ROUNDS, sizeof(double), cmp);

	if (getenv("EXO_BENCH_XN_ONLY")) {
		printf("xn.update %.0f/s, xn.update.table %.0f/s, FUA %.0f/s\n",
		       xu[ROUNDS / 2], xt[ROUNDS / 2], xf[ROUNDS / 2]);
		return 0;
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
		printf("%-44s %12s %12.0f/s\n",
		       w ? "contention.extent_randwrite4k.spin: spins" :
			   "contention.extent_randread4k.spin: spins", "",
		       cs[w][ROUNDS / 2]);
	printf("%-44s %12.0f/s %12.0f/s  (%lu per round)\n",
	       "xn.update: swap a reference; FUA writes", xu[ROUNDS / 2],
	       xf[ROUNDS / 2], xops);
	printf("%-44s %12.0f/s %12.0f/s\n",
	       "xn.update.table: same references; FUA", xt[ROUNDS / 2],
	       xf[ROUNDS / 2]);
	for (w = 0; w < 2; w++)
		printf("RATIO block.%s %.2f\n", name[w],
		       e[w][ROUNDS / 2] / p[w][ROUNDS / 2]);
	for (w = 0; w < 2; w++)
		printf("RATIO contention.extent_%s %.2f\n", name[w],
		       cn[w][ROUNDS / 2] / ca[w][ROUNDS / 2]);
	for (w = 0; w < 2; w++)
		printf("RATIO contention.extent_%s.spin %.2f\n", name[w],
		       cs[w][ROUNDS / 2] / ca[w][ROUNDS / 2]);
	printf("RATIO xn.update %.2f\n", xu[ROUNDS / 2] / xf[ROUNDS / 2]);
	printf("RATIO xn.update.table %.2f\n", xt[ROUNDS / 2] / xf[ROUNDS / 2]);

	close(peer.fd);
	exo_extent_detach(exo.fd);
	exo_close(exo.fd);
	return 0;
}
