// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * bench-db — one engine, one workload, the same code for every engine
 * (adapters: engine-exodb.c, engine-lmdb.c).  scripts/bench db runs it in
 * the test VM, each engine under the same memory budget, interleaved, and
 * prints the RATIO lines (make bench-db, issue 18).
 *
 *   bench-db -e exodb|lmdb|rocksdb -p PATH -w WORK -n N [options]
 *
 *   -e ENGINE   exodb (PATH: "exo:KEYFILE" or a file), lmdb (PATH: a file)
 *               or rocksdb (PATH: a directory)
 *   -p PATH     the database
 *   -T NAME     the table (default "bench"); -U NAME a second one (scan2x)
 *   -w WORK     load: rows [0, N) of the table in key order, -b rows per
 *               durable commit;
 *               point: random lookups of rows [0, N) by -t threads, every
 *               answer checked: uniform with 1 in 64 of an absent key, or
 *               YCSB's scrambled Zipfian with -z THETA (workload C);
 *               scan2x: thread 0 scans table -T (N rows) end to end again
 *               and again, the other threads look up rows uniformly in the
 *               hot range -H FIRST:COUNT of table -U (rate = rows scanned);
 *               ycsba: YCSB workload A, each op a lookup or (1 in 2) a
 *               durable one-row update (the row's own value written again:
 *               reads stay checkable), keys Zipfian (-z, default 0.99)
 *   -n N        rows (16-byte keys, 100-byte values)
 *   -t T        threads (default: the CPUs)
 *   -W S, -d S  warm-up and measured seconds (default 10, 20)
 *   -s          steady state: the warm-up ends early, once two successive
 *               intervals' rates are within 5% of each other (-W the most)
 *   -i S        print the rate every S seconds (default 5)
 *   -S          first scan the whole table in key order, checking every
 *               row and the count (warms a cache that holds the data)
 *   -M MIB      rocksdb: memory budget (block cache and memtables)
 *   -P PAGES    exodb: pool frames
 *   -Q FRAMES   exodb on exo: set this env's frame quota first
 *   -A DEV      exodb on exo: attach DEV to exo (formatting it) if needed
 *   -R          lmdb: MDB_NORDAHEAD
 *   -D DEV      count reads/writes of block device DEV (e.g. vda) per op
 *   -L LABEL    the name on the RESULT line
 *   -V B:A[:MS] point: db.revoke: B s of lookups, then the engine told to
 *               live in -x BYTES (exodb on exo: its frame quota lowered to
 *               that and exo's revocation request for the frames above it,
 *               due in MS, default 1000; other engines: their cgroup's
 *               memory.max set to BYTES), A s more; each second's rate to
 *               -o FILE
 *
 * Output: "# ..." progress, then one line
 *   RESULT LABEL WORK rate=R ops=O secs=S reads_per_op=X ... stats
 * with, for lookups, hit=H: the looked-up table's page hit ratio in the
 * measured window (exodb: its own counters; an engine that reads through
 * mmap: 1 - the lookup threads' major faults / (lookups x tree depth)),
 * and for scan2x, lookups=L: the hot lookups per second.
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
#include "bench/zipf.h"

enum work { W_LOAD, W_POINT, W_SCAN2X, W_YCSBA };

static const struct engine *eng;
static void *h;
static enum work work;
static uint64_t rows, hot0, hotn;	/* scan2x: hot range of table 1 */
static struct zipf zipf;
static double theta;		/* 0: uniform */
static atomic_ullong *counts;	/* per thread, padded */
static atomic_int tids[256];
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

/* Major faults of thread @tid of this process (field 12 of its stat). */
static unsigned long long majflt(int tid)
{
	char p[64], buf[1024], *c;
	unsigned long long v = 0;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/self/task/%d/stat", tid);
	f = fopen(p, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (c = strrchr(buf, ')')) &&
	    sscanf(c + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* A scan's rows arrive in key order: row *@next is due. */
static int check_row(void *arg, const uint8_t *k, size_t kl, const uint8_t *v,
		     size_t vl)
{
	uint64_t *next = arg;
	uint8_t ek[BENCH_KEY], ev[BENCH_VAL];

	bench_key(*next, ek);
	bench_val(*next, ev);
	++*next;
	return kl != BENCH_KEY || vl != BENCH_VAL || memcmp(k, ek, kl) ||
	       memcmp(v, ev, vl);
}

/* scan2x's scanner: also publishes its progress every 256 rows. */
static int count_row(void *arg, const uint8_t *k, size_t kl, const uint8_t *v,
		     size_t vl)
{
	uint64_t *next = arg;

	if ((*next & 255) == 255)
		atomic_fetch_add_explicit(&counts[0], 256, memory_order_relaxed);
	if (atomic_load_explicit(&stop, memory_order_relaxed))
		return 1;
	return check_row(arg, k, kl, v, vl);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Look up row @i of table @tb (absent: the odd key after it); 0 if right. */
static int lookup(void *t, int tb, uint64_t i, int absent)
{
	uint8_t k[BENCH_KEY], v[BENCH_VAL], ev[BENCH_VAL];
	size_t vl = 0;
	int r;

	bench_key_of(2 * i + !!absent, k);	/* 2i + 1: never loaded */
	r = eng->get(t, tb, k, v, &vl);
	if (absent)
		return r == 1 ? 0 : -1;
	if (r)
		return -1;
	bench_val(i, ev);
	return vl == BENCH_VAL && !memcmp(v, ev, vl) ? 0 : -1;
}

static int update(void *t, uint64_t i)
{
	uint8_t k[BENCH_KEY], v[BENCH_VAL];

	bench_key(i, k);
	bench_val(i, v);
	return eng->update(t, BENCH_T0, k, v);
}

static void fail(const char *what, uint64_t i)
{
	fprintf(stderr, "bench-db: %s row %llu\n", what, (unsigned long long)i);
	atomic_store(&failed, 1);
}

/* Thread 0 of scan2x: sweeps table 0 until told to stop. */
static void scanner(void)
{
	while (!atomic_load(&stop)) {
		uint64_t next = 0;
		long long got = eng->scan(h, BENCH_T0, 1, count_row, &next);

		if (atomic_load(&stop))
			break;
		if (got != (long long)rows) {
			fail("scan2x: the scan ended early or wrong at", next);
			break;
		}
	}
}

static void *worker(void *arg)
{
	long id = (long)arg;
	uint64_t s = bench_mix(id + 1) | 1, n = 0;
	void *t;

	tids[id] = gettid();
	if (work == W_SCAN2X && id == 0) {
		scanner();
		return NULL;
	}
	t = eng->thread_init(h);
	if (!t) {
		atomic_store(&failed, 1);
		return NULL;
	}
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint64_t x = rnd(&s), i;
		int absent = 0;

		if (work == W_SCAN2X) {
			if (lookup(t, BENCH_T1, hot0 + x % hotn, 0)) {
				fail("wrong answer for hot", hot0 + x % hotn);
				break;
			}
		} else {
			if (theta > 0) {
				i = zipf_scrambled(&zipf, (x >> 11) * 0x1.0p-53);
			} else {
				i = x % rows;
				absent = (x >> 58) == 0;
			}
			if (work == W_YCSBA && (rnd(&s) & 1)) {
				if (update(t, i)) {
					fail("update failed for", i);
					break;
				}
			} else if (lookup(t, BENCH_T0, i, absent)) {
				fail(absent ? "wrong answer for absent" :
				     "wrong answer for", i);
				break;
			}
		}
		if (++n % 16 == 0)
			atomic_store_explicit(&counts[id * PAD], n,
					      memory_order_relaxed);
	}
	atomic_store(&counts[id * PAD], n);
	eng->thread_fini(t);
	return NULL;
}

/* Operations of threads [from, nthreads) so far. */
static unsigned long long total(int from)
{
	unsigned long long n = 0;

	for (int i = from; i < nthreads; i++)
		n += atomic_load_explicit(&counts[i * PAD], memory_order_relaxed);
	return n;
}

/* Page accesses and misses of the looked-up table by lookup threads. */
static void lookup_io(unsigned long long *acc, unsigned long long *miss)
{
	int tb = work == W_SCAN2X ? BENCH_T1 : BENCH_T0;
	int first = work == W_SCAN2X;

	*acc = *miss = 0;
	if (eng->tbl_io) {
		eng->tbl_io(h, tb, acc, miss);
		return;
	}
	for (int i = first; i < nthreads; i++)
		*miss += majflt(tids[i]);
	*acc = total(first) * (eng->depth ? eng->depth(h, tb) : 1);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-db -e exodb|lmdb|rocksdb -p PATH "
		"-w load|point|scan2x|ycsba -n ROWS [-T TABLE -U TABLE "
		"-H FIRST:COUNT -z THETA -t T -W S -d S -s -i S -S -M MIB "
		"-P PAGES -Q FRAMES -A DEV -R -D DEV -L LABEL -b BATCH "
		"-V B:A[:MS] -x BYTES -o FILE]\n");
	exit(2);
}

static int do_load(const char *label, double ival, uint64_t batch)
{
	double t0 = now(), tl = t0;
	uint64_t last = 0;
	int err;

	for (uint64_t i = 0; i < rows; i += batch) {
		uint64_t n = rows - i < batch ? rows - i : batch;

		if ((err = eng->load(h, BENCH_T0, i, n))) {
			fprintf(stderr, "bench-db: load at row %llu: %s\n",
				(unsigned long long)i, strerror(-err));
			return 1;
		}
		if (now() - tl >= ival) {
			printf("# %s load: %.0f s, %llu rows, %.0f rows/s\n",
			       label, now() - t0, (unsigned long long)(i + n),
			       (i + n - last) / (now() - tl));
			fflush(stdout);
			tl = now();
			last = i + n;
		}
	}
	return 0;
}

/* Rows @first and @first + @n - 1 of table @tb are there; with @exact,
 * row @first + @n is not (the table holds exactly rows [0, n)). */
static int check_count(int tb, uint64_t first, uint64_t n, int exact)
{
	void *t = eng->thread_init(h);
	int bad = !t || lookup(t, tb, first + n - 1, 0) ||
		  (exact && lookup(t, tb, first + n, 0) == 0) ||
		  lookup(t, tb, first, 0);

	if (t)
		eng->thread_fini(t);
	if (bad)
		fprintf(stderr, "bench-db: table %d does not hold %srows "
			"[%llu, %llu)\n", tb, exact ? "exactly " : "",
			(unsigned long long)first,
			(unsigned long long)(first + n));
	return bad;
}

struct window {
	double t0, t1;
	unsigned long long ops, ops2, acc, miss;
};

/*
 * Start the threads, print the rate every @ival s, measure @dur s after
 * the warm-up (@warm s, or less with @steady once the rate holds).
 * ops: thread 0's for scan2x (rows scanned), all threads' otherwise;
 * ops2: scan2x's lookups.
 */
static void run_threads(const char *label, double warm, double dur,
			double ival, int steady, struct window *w)
{
	pthread_t th[256];
	int split = work == W_SCAN2X;
	unsigned long long nl = 0, n2l = 0, a0 = 0, m0 = 0, o0 = 0, o20 = 0;
	double t0, tl, prev = -1, t1 = 0;

	t0 = tl = now();
	for (long i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	while (!atomic_load(&failed)) {
		double next = tl + ival, end = t1 ? t1 + dur : t0 + warm, tn, r;
		unsigned long long n, n2;

		if (next > end)
			next = end;
		while (now() < next && !atomic_load(&failed))
			usleep(20000);
		n = split ? atomic_load(&counts[0]) : total(0);
		n2 = split ? total(1) : 0;
		tn = now();
		r = (n - nl) / (tn - tl);
		if (split)
			printf("# %s %s: %5.1f s %10.0f rows/s scanned %10.0f "
			       "lookups/s%s\n", label, "scan2x", tn - t0, r,
			       (n2 - n2l) / (tn - tl), t1 ? "" : " (warm-up)");
		else
			printf("# %s %s: %5.1f s %10.0f ops/s%s\n", label,
			       work == W_YCSBA ? "ycsba" : "point", tn - t0, r,
			       t1 ? "" : " (warm-up)");
		fflush(stdout);
		nl = n;
		n2l = n2;
		tl = tn;
		if (!t1 && (tn >= t0 + warm - 1e-3 ||
			    (steady && prev > 0 && r > 0.95 * prev &&
			     r < 1.05 * prev))) {
			t1 = tn;
			o0 = n;
			o20 = n2;
			lookup_io(&a0, &m0);
			if (tn < t0 + warm - 1e-3)
				printf("# %s: steady after %.0f s\n", label,
				       tn - t0);
		} else if (t1 && tn >= t1 + dur - 1e-3) {
			break;
		}
		prev = r;
	}
	w->t0 = t1;
	w->t1 = now();
	w->ops = (split ? atomic_load(&counts[0]) : total(0)) - o0;
	w->ops2 = split ? total(1) - o20 : 0;
	lookup_io(&w->acc, &w->miss);
	w->acc -= a0;
	w->miss -= m0;
	atomic_store(&stop, 1);
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
}

/* Lower this process's cgroup's memory.max to @bytes. */
static int cgroup_memmax(const char *bytes)
{
	char cg[256], p[300];
	FILE *f = fopen("/proc/self/cgroup", "r");
	int ok = f && fscanf(f, "0::%255s", cg) == 1;

	if (f)
		fclose(f);
	if (!ok)
		return -ENOENT;
	snprintf(p, sizeof(p), "/sys/fs/cgroup%s/memory.max", cg);
	f = fopen(p, "w");
	if (!f)
		return -errno;
	ok = fputs(bytes, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -EIO;
}

static double mean(const double *r, int from, int to)
{
	double s = 0;

	for (int i = from; i < to; i++)
		s += r[i];
	return to > from ? s / (to - from) : 0;
}

/*
 * db.revoke: lookups for @before s; then the engine told to live in
 * @memmax bytes (exodb on exo: its frame quota lowered to that and exo's
 * revocation request for the frames held above it, due in @deadline ms; a
 * peer: its cgroup's memory.max set to @memmax) and @after s more.  The rate of
 * each second goes to @series ("SECONDS RATE" lines, for gnuplot).
 * Before: the mean of the 10 s before the request; after: of the last 10 s;
 * settled: from the first second after which every 3 s mean of the rate is
 * within 15% of "after"; during: the mean from the request to then.
 * Deadline met: the env held no more than @memmax in time and nothing was
 * taken by exo up to 2 s past the deadline.
 */
static int run_revoke(const char *label, int before, int after, int deadline,
		      const char *memmax, const char *series)
{
	int secs = before + after, settle, verdict = -1, err;
	double *r = calloc(secs, sizeof(*r)), t0, tl, tr = 0, tmet = 0, a;
	FILE *f = fopen(series, "w");
	pthread_t th[256];
	unsigned long long nl = 0;

	if (!r || !f || before < 10 || after < 10)
		return 2;
	t0 = tl = now();
	for (long i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int s = 0; s < secs && !atomic_load(&failed); s++) {
		unsigned long long n;
		double tn;

		while (now() < t0 + s + 1 && !atomic_load(&failed)) {
			usleep(10000);
			/*
			 * Given back (1), or taken (0: missed, for good),
			 * looked at every 10 ms: once a second made every
			 * answer look 1 s late (a 1 s deadline "missed").
			 */
			if (tr && eng->shrink_met && verdict != 0 &&
			    now() - tr < deadline / 1000.0 + 2) {
				int v = eng->shrink_met(h);

				if (v == 1 && !tmet)
					tmet = now() - tr;
				if (v >= 0)
					verdict = v;
			}
		}
		n = total(0);
		tn = now();
		r[s] = (n - nl) / (tn - tl);
		fprintf(f, "%.1f %.0f\n", tn - t0, r[s]);
		nl = n;
		tl = tn;
		if (s + 1 == before) {
			err = eng->shrink ? eng->shrink(h, strtoull(memmax,
					NULL, 10), deadline) :
			      cgroup_memmax(memmax);
			tr = now();
			printf("# %s revoke: at %.1f s: %s: %s\n", label, tr - t0,
			       eng->shrink ? "exo quota lowered, frames asked back" :
			       "cgroup memory.max lowered", err ? strerror(-err) :
			       "ok");
			if (err)
				atomic_store(&failed, 1);
		}
		if ((s + 1) % 10 == 0)
			printf("# %s revoke: %3d s %10.0f lookups/s\n", label,
			       s + 1, mean(r, s - 9, s + 1));
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	fclose(f);
	if (atomic_load(&failed))
		return 1;
	a = mean(r, secs - 10, secs);
	for (settle = secs; settle > before + 2; settle--) {
		double m = mean(r, settle - 3, settle);	/* 3 s: 1 s is noisy */

		if (m < 0.85 * a || m > 1.15 * a)
			break;
	}
	printf("RESULT %s revoke rate=%.0f before=%.0f during=%.0f after=%.0f "
	       "settle_s=%d deadline_ms=%d deadline=%s answered_s=%.2f "
	       "guestload=%.2f ", label, a, mean(r, before - 10, before),
	       mean(r, before, settle > before ? settle : before + 1), a,
	       settle - before, deadline,
	       !eng->shrink ? "n/a" : verdict == 1 && tmet * 1000 <= deadline ?
	       "met" : "missed", tmet, loadavg());
	eng->stats(h, stdout);
	printf("\n");
	free(r);
	return eng->close(h) ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct bench_cfg c = { .exo_fd = -1, .table = { "bench" } };
	const char *dev = NULL, *label = NULL, *attach = NULL, *w = NULL;
	double warm = 10, dur = 20, ival = 5, t0;
	unsigned long long rd0, wr0, rd1, wr1, sc0, sc1;
	struct window win = { 0 };
	long quota = -1;
	uint64_t batch = 10000;
	int opt, scan = 0, steady = 0, err, rv_before = 0, rv_after = 0;
	int rv_deadline = 1000;
	const char *memmax = NULL, *series = NULL;

	nthreads = sysconf(_SC_NPROCESSORS_ONLN);
	while ((opt = getopt(argc, argv,
			     "e:p:w:n:T:U:H:z:t:W:d:si:SM:P:Q:A:RD:L:b:V:x:o:")) != -1) {
		switch (opt) {
		case 'e':
			eng = !strcmp(optarg, "exodb") ? &engine_exodb :
			      !strcmp(optarg, "lmdb") ? &engine_lmdb :
			      !strcmp(optarg, "rocksdb") ? &engine_rocksdb : NULL;
			if (!eng)
				usage();
			break;
		case 'p': c.path = optarg; break;
		case 'w': w = optarg; break;
		case 'n': rows = strtoull(optarg, NULL, 0); break;
		case 'T': c.table[0] = optarg; break;
		case 'U': c.table[1] = optarg; break;
		case 'H':
			if (sscanf(optarg, "%lu:%lu", &hot0, &hotn) != 2)
				usage();
			break;
		case 'z': theta = atof(optarg); break;
		case 't': nthreads = atoi(optarg); break;
		case 'W': warm = atof(optarg); break;
		case 'd': dur = atof(optarg); break;
		case 's': steady = 1; break;
		case 'i': ival = atof(optarg); break;
		case 'S': scan = 1; break;
		case 'M': c.budget_mib = atoi(optarg); break;
		case 'P': c.pool_pages = atoi(optarg); break;
		case 'Q': quota = atol(optarg); break;
		case 'A': attach = optarg; break;
		case 'R': c.nordahead = 1; break;
		case 'D': dev = optarg; break;
		case 'L': label = optarg; break;
		case 'b': batch = strtoull(optarg, NULL, 0); break;
		case 'V':
			if (sscanf(optarg, "%d:%d:%d", &rv_before, &rv_after,
				   &rv_deadline) < 2)
				usage();
			break;
		case 'x': memmax = optarg; break;
		case 'o': series = optarg; break;
		default: usage();
		}
	}
	if (!w)
		usage();
	work = !strcmp(w, "load") ? W_LOAD : !strcmp(w, "point") ? W_POINT :
	       !strcmp(w, "scan2x") ? W_SCAN2X : !strcmp(w, "ycsba") ? W_YCSBA :
	       (usage(), W_LOAD);
	if (work == W_YCSBA && theta == 0)
		theta = 0.99;
	if (!eng || !c.path || !rows || nthreads < 1 || nthreads > 256 ||
	    !batch || theta < 0 || theta >= 1 ||
	    (work == W_SCAN2X && (!c.table[1] || !hotn || nthreads < 2)))
		usage();
	if (!label)
		label = eng->name;
	c.create = work == W_LOAD;
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
	if (theta > 0)
		zipf_init(&zipf, rows, theta);
	t0 = now();
	if ((err = eng->open(&c, &h)))
		return 2;
	printf("# %s: opened in %.2f s\n", label, now() - t0);
	disk_io(dev, &rd0, &wr0, &sc0);
	t0 = now();
	if (work == W_LOAD) {
		if (do_load(label, ival, batch))
			return 1;
		win.ops = rows;
		eng->stats(h, stdout);
		printf("\n");
		if ((err = eng->close(h))) {
			fprintf(stderr, "bench-db: close: %s\n", strerror(-err));
			return 1;
		}
		h = NULL;
		win.t0 = t0;
		win.t1 = now();
	} else {
		if (check_count(BENCH_T0, 0, rows, 1) ||
		    (work == W_SCAN2X && check_count(BENCH_T1, hot0, hotn, 0)))
			return 1;
		if (scan) {
			uint64_t next = 0;
			long long got = eng->scan(h, BENCH_T0, 0, check_row,
						  &next);

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
		if (!counts)
			return 2;
		if (rv_before) {
			if (!series || !memmax ||
			    work != W_POINT)
				usage();
			return run_revoke(label, rv_before, rv_after,
					  rv_deadline, memmax, series);
		}
		run_threads(label, warm, dur, ival, steady, &win);
	}
	disk_io(dev, &rd1, &wr1, &sc1);
	if (atomic_load(&failed))
		return 1;
	printf("RESULT %s %s rate=%.0f ops=%llu secs=%.1f threads=%d "
	       "reads_per_op=%.3f read_kib_per_op=%.2f writes_per_op=%.3f "
	       "guestload=%.2f ", label, w, win.ops / (win.t1 - win.t0),
	       win.ops, win.t1 - win.t0, nthreads,
	       win.ops ? (double)(rd1 - rd0) / win.ops : 0,
	       win.ops ? (double)(sc1 - sc0) / 2 / win.ops : 0,
	       win.ops ? (double)(wr1 - wr0) / win.ops : 0, loadavg());
	if (work == W_SCAN2X)
		printf("lookups=%.0f ", win.ops2 / (win.t1 - win.t0));
	if (work != W_LOAD && win.acc)
		printf("hit=%.4f ", 1 - (double)win.miss / win.acc);
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
