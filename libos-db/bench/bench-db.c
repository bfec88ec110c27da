// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * bench-db — one engine, one workload, the same code for every engine
 * (adapters: engine-exodb.c, engine-lmdb.c).  scripts/bench db runs it in
 * the test VM, each engine under the same memory budget, interleaved, and
 * prints the RATIO lines (make bench-db, issue 18).
 *
 *   bench-db -e exodb|lmdb -p PATH -w load|point [options]
 *
 *   -e ENGINE   exodb (PATH: "exo:KEYFILE" or a file) or lmdb (PATH: file)
 *   -p PATH     the database
 *   -w WORK     load: rows [0, N) in key order, -b rows per durable commit;
 *               point: uniform random lookups of rows [0, N) by -t threads,
 *               1 in 64 of an absent key, every answer checked
 *   -n N        rows (16-byte keys, 100-byte values)
 *   -t T        threads (default: the CPUs)
 *   -W S, -d S  warm-up and measured seconds (point; default 10, 20)
 *   -i S        print the rate every S seconds (default 5)
 *   -S          point: first scan the whole table in key order, checking
 *               every row and the count (warms a cache that holds the data)
 *   -P PAGES    exodb: pool frames
 *   -Q FRAMES   exodb on exo: set this env's frame quota first
 *   -A DEV      exodb on exo: attach DEV to exo (formatting it) if needed
 *   -R          lmdb: MDB_NORDAHEAD
 *   -D DEV      count reads/writes of block device DEV (e.g. vda) per op
 *   -L LABEL    the name on the RESULT line
 *
 * Output: "# ..." progress, then one line
 *   RESULT LABEL WORK rate=R ops=O secs=S reads_per_op=X ... stats
 * and exit status 0, or 1 if any answer was wrong (a fast wrong engine
 * cannot win: a wrong, missing or extra row ends the run).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <exo.h>

#include "bench/engine.h"

static const struct engine *eng;
static void *h;
static uint64_t rows;
static atomic_ullong *counts;	/* per thread, padded */
static atomic_int stop, failed;
static int nthreads;

#define PAD	8		/* counters 64 bytes apart */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads and writes completed on /sys/block/DEV. */
static void disk_io(const char *dev, unsigned long long *rd,
		    unsigned long long *wr, unsigned long long *sect)
{
	char p[128];
	FILE *f;

	*rd = *wr = *sect = 0;
	if (!dev)
		return;
	snprintf(p, sizeof(p), "/sys/block/%s/stat", dev);
	f = fopen(p, "r");
	if (!f)
		return;
	if (fscanf(f, "%llu %*u %llu %*u %llu", rd, sect, wr) != 3)
		*rd = *wr = *sect = 0;
	fclose(f);
}

static double loadavg(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

static int check_row(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	static uint64_t next;	/* scan: rows come in order, one thread */
	uint8_t ek[BENCH_KEY], ev[BENCH_VAL];

	bench_key(next, ek);
	bench_val(next, ev);
	next++;
	return kl != BENCH_KEY || vl != BENCH_VAL || memcmp(k, ek, kl) ||
	       memcmp(v, ev, vl);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Look up row @i (absent: the odd key after it); 0 if the answer is right. */
static int lookup(void *t, uint64_t i, int absent)
{
	uint8_t k[BENCH_KEY], v[BENCH_VAL], ev[BENCH_VAL];
	size_t vl = 0;
	int r;

	bench_key_of(2 * i + !!absent, k);	/* 2i + 1: never loaded */
	r = eng->get(t, k, v, &vl);
	if (absent)
		return r == 1 ? 0 : -1;
	if (r)
		return -1;
	bench_val(i, ev);
	return vl == BENCH_VAL && !memcmp(v, ev, vl) ? 0 : -1;
}

static void *point_thread(void *arg)
{
	long id = (long)arg;
	uint64_t s = bench_mix(id + 1) | 1, n = 0;
	void *t = eng->thread_init(h);

	if (!t) {
		atomic_store(&failed, 1);
		return NULL;
	}
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint64_t x = rnd(&s);

		if (lookup(t, x % rows, (x >> 58) == 0)) {
			fprintf(stderr, "bench-db: wrong answer for row %llu%s\n",
				(unsigned long long)(x % rows),
				(x >> 58) == 0 ? " (absent key)" : "");
			atomic_store(&failed, 1);
			break;
		}
		if (++n % 16 == 0)
			atomic_store_explicit(&counts[id * PAD], n,
					      memory_order_relaxed);
	}
	atomic_store(&counts[id * PAD], n);
	eng->thread_fini(t);
	return NULL;
}

static unsigned long long total(void)
{
	unsigned long long n = 0;

	for (int i = 0; i < nthreads; i++)
		n += atomic_load_explicit(&counts[i * PAD], memory_order_relaxed);
	return n;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-db -e exodb|lmdb -p PATH -w load|point "
		"-n ROWS [-t T -W S -d S -i S -S -P PAGES -Q FRAMES -A DEV -R "
		"-D DEV -L LABEL -b BATCH]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct bench_cfg c = { .exo_fd = -1 };
	const char *work = NULL, *dev = NULL, *label = NULL, *attach = NULL;
	double warm = 10, dur = 20, ival = 5, t0, t1;
	unsigned long long rd0, wr0, rd1, wr1, sc0, sc1, ops = 0;
	long quota = -1;
	uint64_t batch = 10000;
	int opt, scan = 0, err;

	nthreads = sysconf(_SC_NPROCESSORS_ONLN);
	while ((opt = getopt(argc, argv, "e:p:w:n:t:W:d:i:SP:Q:A:RD:L:b:")) != -1) {
		switch (opt) {
		case 'e':
			eng = !strcmp(optarg, "exodb") ? &engine_exodb :
			      !strcmp(optarg, "lmdb") ? &engine_lmdb : NULL;
			if (!eng)
				usage();
			break;
		case 'p': c.path = optarg; break;
		case 'w': work = optarg; break;
		case 'n': rows = strtoull(optarg, NULL, 0); break;
		case 't': nthreads = atoi(optarg); break;
		case 'W': warm = atof(optarg); break;
		case 'd': dur = atof(optarg); break;
		case 'i': ival = atof(optarg); break;
		case 'S': scan = 1; break;
		case 'P': c.pool_pages = atoi(optarg); break;
		case 'Q': quota = atol(optarg); break;
		case 'A': attach = optarg; break;
		case 'R': c.nordahead = 1; break;
		case 'D': dev = optarg; break;
		case 'L': label = optarg; break;
		case 'b': batch = strtoull(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (!eng || !c.path || !work || !rows || nthreads < 1 || !batch)
		usage();
	if (!label)
		label = eng->name;
	c.create = !strcmp(work, "load");
	if (eng == &engine_exodb && !strncmp(c.path, "exo:", 4)) {
		c.exo_fd = exo_open();
		if (c.exo_fd < 0) {
			fprintf(stderr, "bench-db: /dev/exo: %s\n",
				strerror(-c.exo_fd));
			return 2;
		}
		if (attach) {
			err = exo_extent_attach(c.exo_fd, attach,
						EXO_ATTACH_FORMAT, NULL);
			if (err && err != -EBUSY) {
				fprintf(stderr, "bench-db: attach %s: %s\n",
					attach, strerror(-err));
				return 2;
			}
		}
		if (quota > 0 && (err = exo_set_quota(c.exo_fd, 0, EXO_KIND_FRAME,
						       quota))) {
			fprintf(stderr, "bench-db: quota: %s\n", strerror(-err));
			return 2;
		}
	}
	t0 = now();
	if ((err = eng->open(&c, &h)))
		return 2;
	printf("# %s: opened in %.2f s\n", label, now() - t0);
	disk_io(dev, &rd0, &wr0, &sc0);
	t0 = now();
	if (!strcmp(work, "load")) {
		double tl = t0;
		uint64_t last = 0;

		for (uint64_t i = 0; i < rows; i += batch) {
			uint64_t n = rows - i < batch ? rows - i : batch;

			if ((err = eng->load(h, i, n))) {
				fprintf(stderr, "bench-db: load at row %llu: %s\n",
					(unsigned long long)i, strerror(-err));
				return 1;
			}
			if (now() - tl >= ival) {
				printf("# %s load: %.0f s, %llu rows, %.0f rows/s\n",
				       label, now() - t0,
				       (unsigned long long)(i + n),
				       (i + n - last) / (now() - tl));
				fflush(stdout);
				tl = now();
				last = i + n;
			}
		}
		ops = rows;
		eng->stats(h, stdout);
		printf("\n");
		if ((err = eng->close(h))) {
			fprintf(stderr, "bench-db: close: %s\n", strerror(-err));
			return 1;
		}
		h = NULL;
		t1 = now();
	} else if (!strcmp(work, "point")) {
		pthread_t th[256];
		unsigned long long n0 = 0, nl = 0;
		double tl;
		void *t = eng->thread_init(h);

		/* the count: the last row is there, the next one is not */
		if (!t || lookup(t, rows - 1, 0) || lookup(t, rows, 0) == 0 ||
		    lookup(t, 0, 0)) {
			fprintf(stderr, "bench-db: the table does not hold "
				"exactly rows [0, %llu)\n", (unsigned long long)rows);
			return 1;
		}
		eng->thread_fini(t);
		if (scan) {
			long long got = eng->scan(h, check_row);

			printf("# %s: scan checked %lld rows in %.1f s\n", label,
			       got, now() - t0);
			if (got != (long long)rows) {
				fprintf(stderr, "bench-db: scan found %lld rows, "
					"%s, expected %llu\n", got,
					got < 0 ? strerror(-got) : "checked",
					(unsigned long long)rows);
				return 1;
			}
		}
		counts = calloc(nthreads * PAD, sizeof(*counts));
		if (nthreads > 256 || !counts)
			usage();
		t0 = tl = now();
		for (long i = 0; i < nthreads; i++)
			pthread_create(&th[i], NULL, point_thread, (void *)i);
		/* intervals; the window starts after the warm-up */
		t1 = 0;
		while (!atomic_load(&failed)) {
			double next = tl + ival, end;

			end = t1 ? t1 + dur : t0 + warm;
			if (next > end)
				next = end;
			while (now() < next && !atomic_load(&failed))
				usleep(20000);
			unsigned long long n = total();
			double tn = now();

			printf("# %s point: %5.1f s %10.0f lookups/s%s\n", label,
			       tn - t0, (n - nl) / (tn - tl),
			       t1 ? "" : " (warm-up)");
			fflush(stdout);
			nl = n;
			tl = tn;
			if (!t1 && tn >= t0 + warm - 1e-3) {
				t1 = tn;
				n0 = n;
				disk_io(dev, &rd0, &wr0, &sc0);
			} else if (t1 && tn >= t1 + dur - 1e-3) {
				break;
			}
		}
		ops = total() - n0;
		t0 = t1;
		t1 = now();
		atomic_store(&stop, 1);
		for (int i = 0; i < nthreads; i++)
			pthread_join(th[i], NULL);
	} else {
		usage();
	}
	disk_io(dev, &rd1, &wr1, &sc1);
	if (atomic_load(&failed))
		return 1;
	printf("RESULT %s %s rate=%.0f ops=%llu secs=%.1f threads=%d "
	       "reads_per_op=%.3f read_kib_per_op=%.2f writes_per_op=%.3f "
	       "guestload=%.2f ", label,
	       work, ops / (t1 - t0), ops, t1 - t0, nthreads,
	       ops ? (double)(rd1 - rd0) / ops : 0,
	       ops ? (double)(sc1 - sc0) / 2 / ops : 0,
	       ops ? (double)(wr1 - wr0) / ops : 0, loadavg());
	if (h) {
		eng->stats(h, stdout);
		printf("\n");
		fflush(stdout);
		if ((err = eng->close(h)))
			return 1;
	} else {
		printf("\n");
	}
	return 0;
}
