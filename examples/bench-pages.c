// SPDX-License-Identifier: GPL-2.0
/*
 * bench-pages — exo frames against the Linux VM, in the same guest, same run.
 *
 * pages.cycle   alloc + bind + touch + unbind + free of 64 Ki pages in
 *               batches, against mmap + touch + madvise(MADV_DONTNEED) +
 *               munmap of anonymous memory.  The libOS recycles its own
 *               frames (EXO_FRAME_RECYCLE: no zeroing of pages it is about
 *               to overwrite); pages.cycle.zeroed is the same with zeroed
 *               frames, as Linux always gives.
 * pages.revoke  a visible-revocation round trip (request written by root,
 *               event read, frames of the libOS's choosing freed, "done"
 *               read back) against munmap() of as many touched pages one by
 *               one; and the abort protocol's latency past the deadline.
 * contention.frame_map  bind + touch + unbind of 1024 held frames, over
 *               and over, with a noisy neighbour env doing control calls
 *               (noisy.h) against the same alone; .spin the same beside a
 *               neighbour that only keeps its vCPU busy (no exo call): the
 *               floor of a path that shares nothing with its neighbour.
 *
 * Prints a table, then "RATIO <name> <value>" lines: exo's throughput over
 * the peer's, higher is better.  Each figure is the median of several runs.
 * Run as root inside the test VM with exo loaded (make bench-pages).
 * "bench-pages cycle N" runs exo's pages.cycle N times and nothing else
 * (EXO_BENCH_PROFILE=1 make bench-pages profiles that; =map profiles
 * contention.frame_map's path beside its neighbour).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <exo.h>

#include "noisy.h"

#define TOTAL	65536		/* pages per cycle run */
#define BATCH	1024		/* pages per batch */
#define RUNS	9
#define REVOKE_N 256		/* frames per revocation round trip */
#define CONT_ROUNDS 7		/* contention: alone/neighbour/spin rounds */
#define CONT_BATCHES 128	/* contention: batches per measurement */

static long page;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench-pages: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* Bind BATCH frames at @addrs (@ents), touch each page, unbind them. */
static void map_touch_unmap(int fd, char *region,
			    const struct exo_map_entry *ents,
			    const __u64 *addrs)
{
	int i, ret;

	ret = exo_frame_map(fd, ents, BATCH);
	if (ret != BATCH)
		die("exo_frame_map", ret < 0 ? ret : -errno);
	for (i = 0; i < BATCH; i++)
		region[(size_t)i * page] = (char)i;
	ret = exo_frame_unmap(fd, addrs, BATCH);
	if (ret != BATCH)
		die("exo_frame_unmap", ret < 0 ? ret : -errno);
}

/*
 * Seconds for TOTAL pages through exo in batches of BATCH.  With
 * EXO_FRAME_RECYCLE the libOS takes back its own frames unzeroed: it
 * overwrites them anyway, so it skips work Linux cannot know to skip.
 */
static double exo_cycle(int fd, char *region, __u32 flags)
{
	static exo_cap_t caps[BATCH];
	static __u64 pfns[BATCH], addrs[BATCH];
	static struct exo_map_entry ents[BATCH];
	double t0 = now();
	int b, i, ret;

	for (i = 0; i < BATCH; i++)
		addrs[i] = (uintptr_t)(region + (size_t)i * page);
	for (b = 0; b < TOTAL / BATCH; b++) {
		ret = exo_frame_alloc_flags(fd, flags, BATCH, caps, pfns);
		if (ret)
			die("exo_frame_alloc", ret);
		for (i = 0; i < BATCH; i++)
			ents[i] = (struct exo_map_entry){
				.addr = addrs[i], .cap = caps[i],
				.prot = EXO_PROT_READ | EXO_PROT_WRITE,
			};
		map_touch_unmap(fd, region, ents, addrs);
		ret = exo_caps_close(fd, caps, BATCH);
		if (ret != BATCH)
			die("exo_caps_close", ret < 0 ? ret : -errno);
	}
	return now() - t0;
}

/*
 * The frame fast path of a libOS that holds its frames (a buffer pool):
 * bind BATCH frames, touch them, unbind them, CONT_BATCHES times.  Pages
 * per second; with @noisy, while a neighbour env does control calls (its
 * rounds per second added to *@nrate).
 */
static double map_cycle(int fd, char *region, const exo_cap_t *caps,
			int noisy, double *nrate)
{
	static struct exo_map_entry ents[BATCH];
	static __u64 addrs[BATCH];
	struct noisy n = { 0 };
	double t0, t;
	int b, i, ret;

	for (i = 0; i < BATCH; i++) {
		addrs[i] = (uintptr_t)(region + (size_t)i * page);
		ents[i] = (struct exo_map_entry){
			.addr = addrs[i], .cap = caps[i],
			.prot = EXO_PROT_READ | EXO_PROT_WRITE,
		};
	}
	if (noisy) {
		ret = noisy_start(&n, noisy > 1 ? NOISY_SPIN : 0, now());
		if (ret)
			die("noisy_start", ret);
		usleep(20000);	/* let it get going */
	}
	t0 = now();
	for (b = 0; b < CONT_BATCHES; b++) {
		map_touch_unmap(fd, region, ents, addrs);
	}
	t = now();
	if (noisy) {
		double r = noisy_stop(&n, t);

		if (r < 0)
			die("noisy neighbour", EIO);
		*nrate += r;
	}
	return (double)CONT_BATCHES * BATCH / (t - t0);
}

/* Seconds for TOTAL pages through the Linux VM in batches of BATCH. */
static double linux_cycle(void)
{
	size_t len = (size_t)BATCH * page;
	double t0 = now();
	int b, i;

	for (b = 0; b < TOTAL / BATCH; b++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("mmap", errno);
		for (i = 0; i < BATCH; i++)
			p[(size_t)i * page] = (char)i;
		madvise(p, len, MADV_DONTNEED);
		munmap(p, len);
	}
	return now() - t0;
}

static void revoke_request(__u64 env_id, int count, int deadline_ms)
{
	char cmd[64];
	int d, n;

	d = open("/sys/kernel/debug/exo/revoke", O_WRONLY);
	if (d < 0)
		die("open debugfs revoke", errno);
	n = snprintf(cmd, sizeof(cmd), "%llu %d %d", (unsigned long long)env_id,
		     count, deadline_ms);
	if (write(d, cmd, n) != n)
		die("write debugfs revoke", errno);
	close(d);
}

struct libos {
	int fd;
	exo_cap_t caps[REVOKE_N];
	int held;
	int done;
	int repossessed;
	int aborted;
};

/* The libOS's policy: give back the most recently allocated frames. */
static int on_revoke(void *ctx, const struct exo_event *ev)
{
	struct libos *l = ctx;
	int n = ev->count < (__u64)l->held ? (int)ev->count : l->held;
	int ret = exo_caps_close(l->fd, l->caps + l->held - n, n);

	if (ret != n)
		return ret < 0 ? ret : -EIO;
	l->held -= n;
	return 0;
}

static int on_done(void *ctx, const struct exo_event *ev)
{
	(void)ev;
	((struct libos *)ctx)->done = 1;
	return 0;
}

static int on_repossessed(void *ctx, const struct exo_event *ev)
{
	(void)ev;
	((struct libos *)ctx)->repossessed++;
	return 0;
}

static int on_aborted(void *ctx, const struct exo_event *ev)
{
	(void)ev;
	((struct libos *)ctx)->aborted = 1;
	return 0;
}

static void hold(struct libos *l, char *region)
{
	static __u64 pfns[REVOKE_N];
	static struct exo_map_entry ents[REVOKE_N];
	int i, ret;

	ret = exo_frame_alloc(l->fd, REVOKE_N, l->caps, pfns);
	if (ret)
		die("exo_frame_alloc", ret);
	for (i = 0; i < REVOKE_N; i++)
		ents[i] = (struct exo_map_entry){
			.addr = (uintptr_t)(region + (size_t)i * page),
			.cap = l->caps[i], .prot = EXO_PROT_READ | EXO_PROT_WRITE,
		};
	if (exo_frame_map(l->fd, ents, REVOKE_N) != REVOKE_N)
		die("exo_frame_map", errno);
	for (i = 0; i < REVOKE_N; i++)
		region[(size_t)i * page] = 1;
	l->held = REVOKE_N;
	l->done = 0;
	l->repossessed = 0;
	l->aborted = 0;
}

/* Seconds from the request to the "honoured" event, REVOKE_N frames. */
static double exo_revoke_trip(struct libos *l, __u64 env_id, char *region)
{
	const struct exo_event_ops ops = {
		.revoke = on_revoke, .revoke_done = on_done,
	};
	double t0;

	hold(l, region);
	t0 = now();
	revoke_request(env_id, REVOKE_N, 10000);
	while (!l->done)
		if (exo_events_dispatch(l->fd, &ops, l, 5000) <= 0)
			die("no revocation event", ETIMEDOUT);
	return now() - t0;
}

/* Seconds past the deadline until every owed frame was repossessed. */
static double exo_abort_latency(struct libos *l, __u64 env_id, char *region,
				int deadline_ms)
{
	const struct exo_event_ops ops = {
		.repossessed = on_repossessed, .aborted = on_aborted,
	};
	double t0, t;

	hold(l, region);
	t0 = now();
	revoke_request(env_id, REVOKE_N, deadline_ms);
	/* An uncooperative libOS: reads events but gives nothing back. */
	while (!l->aborted)
		if (exo_events_dispatch(l->fd, &ops, l, 5000) <= 0)
			die("no abort event", ETIMEDOUT);
	t = now() - t0 - deadline_ms / 1000.0;
	/* The repossessed capabilities are tombstones now: close them. */
	exo_caps_close(l->fd, l->caps, REVOKE_N);
	return t;
}

static double linux_munmaps(void)
{
	size_t len = (size_t)REVOKE_N * page;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0;
	int i;

	if (p == MAP_FAILED)
		die("mmap", errno);
	for (i = 0; i < REVOKE_N; i++)
		p[(size_t)i * page] = 1;
	t0 = now();
	for (i = 0; i < REVOKE_N; i++)
		munmap(p + (size_t)i * page, page);
	return now() - t0;
}

int main(int argc, char **argv)
{
	double exo_t[RUNS], exz_t[RUNS], lin_t[RUNS], rev_t[RUNS], unm_t[RUNS];
	double ab_t[RUNS], z, ca[CONT_ROUNDS], cn[CONT_ROUNDS], cs[CONT_ROUNDS];
	double nrate = 0, srate = 0;
	static exo_cap_t held[BATCH];
	struct exo_env_info info;
	struct libos l = { 0 };
	double e, x, r, u, a;
	char *region;
	int fd, i, ret;

	page = sysconf(_SC_PAGESIZE);
	fd = exo_open();
	if (fd < 0)
		die("exo_open", fd);
	ret = exo_env_info(fd, &info);
	if (ret)
		die("exo_env_info", ret);
	region = exo_region__create(fd, NULL, (size_t)BATCH * page,
				    PROT_READ | PROT_WRITE);
	if (!region)
		die("exo_region__create", errno);
	l.fd = fd;

	/*
	 * For a profile: "bench-pages cycle N", N runs of exo's cycle alone;
	 * "bench-pages map N [noisy]", N rounds of contention.frame_map's
	 * fast path, alone or beside the neighbour (rates printed).
	 */
	if (argc == 3 && !strcmp(argv[1], "cycle")) {
		for (i = atoi(argv[2]); i > 0; i--)
			exo_cycle(fd, region, EXO_FRAME_RECYCLE);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "map")) {
		ret = exo_frame_alloc(fd, BATCH, held, NULL);
		if (ret)
			die("exo_frame_alloc", ret);
		for (i = atoi(argv[2]); i > 0; i--)
			printf("%.0f pages/s\n",
			       map_cycle(fd, region, held, argc > 3 ?
					 1 + !strcmp(argv[3], "spin") : 0,
					 &nrate));
		return 0;
	}
	exo_cycle(fd, region, 0);	/* warm up both */
	linux_cycle();
	for (i = 0; i < RUNS; i++) {
		exo_t[i] = exo_cycle(fd, region, EXO_FRAME_RECYCLE);
		exz_t[i] = exo_cycle(fd, region, 0);
		lin_t[i] = linux_cycle();
		rev_t[i] = exo_revoke_trip(&l, info.env_id, region);
		unm_t[i] = linux_munmaps();
		ab_t[i] = exo_abort_latency(&l, info.env_id, region, 50);
	}
	/* Contention: alternate alone and with a neighbour. */
	ret = exo_frame_alloc(fd, BATCH, held, NULL);
	if (ret)
		die("exo_frame_alloc", ret);
	map_cycle(fd, region, held, 0, &nrate);
	for (i = 0; i < CONT_ROUNDS; i++) {
		ca[i] = map_cycle(fd, region, held, 0, &nrate);
		cn[i] = map_cycle(fd, region, held, 1, &nrate);
		cs[i] = map_cycle(fd, region, held, 2, &srate);
	}
	if (exo_caps_close(fd, held, BATCH) != BATCH)
		die("exo_caps_close", errno);
	e = median(exo_t, RUNS);
	z = median(exz_t, RUNS);
	x = median(lin_t, RUNS);
	r = median(rev_t, RUNS);
	u = median(unm_t, RUNS);
	a = median(ab_t, RUNS);

	printf("%-38s (median of %d) %14s %14s\n", "benchmark", RUNS, "exo", "linux");
	printf("%-44s %12.0f/s %12.0f/s\n",
	       "pages.cycle: pages through alloc..free", TOTAL / e, TOTAL / x);
	printf("%-44s %12.0f/s %12.0f/s\n",
	       "pages.cycle.zeroed: same, frames zeroed", TOTAL / z, TOTAL / x);
	printf("%-44s %12.0f/s %12.0f/s\n",
	       "pages.revoke: frames revoked vs munmap()s", REVOKE_N / r,
	       REVOKE_N / u);
	printf("%-44s %10.2f ms\n",
	       "pages.revoke: revocation round trip", r * 1e3);
	printf("%-44s %10.2f ms\n",
	       "pages.abort: deadline to all repossessed", a * 1e3);
	printf("%-44s %12.0f/s %12.0f/s  (neighbour: %.0f rounds/s)\n",
	       "contention.frame_map: alone, with neighbour",
	       median(ca, CONT_ROUNDS), median(cn, CONT_ROUNDS),
	       nrate / CONT_ROUNDS);
	printf("%-44s %12s %12.0f/s  (neighbour: %.0f KiB/s)\n",
	       "contention.frame_map.spin: neighbour spins", "",
	       median(cs, CONT_ROUNDS), srate / CONT_ROUNDS * 64);
	printf("RATIO pages.cycle %.2f\n", x / e);
	printf("RATIO pages.cycle.zeroed %.2f\n", x / z);
	printf("RATIO pages.revoke %.2f\n", u / r);
	printf("RATIO contention.frame_map %.2f\n",
	       median(cn, CONT_ROUNDS) / median(ca, CONT_ROUNDS));
	printf("RATIO contention.frame_map.spin %.2f\n",
	       median(cs, CONT_ROUNDS) / median(ca, CONT_ROUNDS));
	exo_region__destroy(region, (size_t)BATCH * page);
	exo_close(fd);
	return 0;
}
