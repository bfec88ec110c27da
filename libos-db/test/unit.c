// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Host unit tests of libexodb on the file backend (TAP).
 *
 *  random      writers, a transfer thread and readers at once, checked
 *              against an in-memory model, with a pool of 48 frames so
 *              eviction runs all the time; scans exact both ways; check
 *              clean; the same after reopening
 *  larger      a database many times its pool
 *  scan        2Q keeps a hot table resident while a table twice the
 *              pool is scanned again and again (CLOCK does not)
 *  limits      keys and values at the size limits and one past
 *  misuse      commit without begin, a finished transaction, a read-only
 *              write, a closed database, a dead cursor
 *  corrupt     a damaged page is reported by its checksum, never followed
 *  drop        a table ten times the pool dropped under a reader of it and
 *              a writer of another: its pages free, its id made again, a
 *              drop cut short finished at the next open
 *  merge       random deletes from a four-level tree merge it back down
 *              to its root leaf; check clean and scans exact on the way
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "include/exodb.h"
#include "test/tap.h"

static char dir[512];

static const char *path(const char *name)
{
	static char p[4][600];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static void rm_db(const char *p)
{
	char w[700];

	unlink(p);
	snprintf(w, sizeof(w), "%s-wal", p);
	unlink(w);
}

static unsigned read_ahead;	/* the exo backend's read-ahead, on files */

static exodb *open_db(const char *p, unsigned pool, int policy, int create)
{
	struct exodb_opts o = { .sz = sizeof(o), .create = create,
				.pool_pages = pool, .policy = policy,
				.no_sync = 1, .exo_fd = -1,
				.read_ahead = read_ahead };
	exodb *db = NULL;
	int err = exodb_open(p, &o, &db);

	if (err)
		tap_diag("open %s: %s", p, exodb_strerror(err));
	return db;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- self-describing values ---------------------------------------------- */

static size_t make_value(uint8_t *buf, const char *key, uint64_t seed,
			 size_t len)
{
	uint64_t s = seed | 1;
	uint32_t h = 2166136261u;

	for (const char *k = key; *k; k++)
		h = (h ^ (uint8_t)*k) * 16777619u;
	memcpy(buf, &h, 4);
	memcpy(buf + 4, &len, 4);
	memcpy(buf + 8, &seed, 8);
	for (size_t i = 16; i < len; i++)
		buf[i] = (uint8_t)rnd(&s);
	return len;
}

static int value_ok(const uint8_t *v, size_t vl, const char *key, size_t kl)
{
	uint32_t h = 2166136261u, hv, lv;
	uint64_t seed, s;

	if (vl < 16)
		return 0;
	for (size_t i = 0; i < kl; i++)
		h = (h ^ (uint8_t)key[i]) * 16777619u;
	memcpy(&hv, v, 4);
	memcpy(&lv, v + 4, 4);
	memcpy(&seed, v + 8, 8);
	if (hv != h || lv != vl)
		return 0;
	s = seed | 1;
	for (size_t i = 16; i < vl; i++)
		if (v[i] != (uint8_t)rnd(&s))
			return 0;
	return 1;
}

/* ---- random operations against a model ------------------------------------ */

#define WRITERS		2
#define READERS		2
#define KEYS		2000
#define ACCOUNTS	16
#define WITERS		250

struct model {
	uint8_t *val[KEYS];
	size_t len[KEYS];
};

static struct model models[WRITERS];
static exodb *rdb;
static unsigned t_data, t_acct;
static volatile int writers_left;
static int bad_reads, bad_sums, errors;
static long sums_ok, conflicts;
static pthread_mutex_t mlock = PTHREAD_MUTEX_INITIALIZER;

static void key_of(char *k, int w, int j)
{
	sprintf(k, "w%d-%05d", w, j);
}

static void note_error(const char *what, int err)
{
	pthread_mutex_lock(&mlock);
	if (errors++ < 10)
		tap_diag("%s: %s", what, exodb_strerror(err));
	pthread_mutex_unlock(&mlock);
}

static void *writer(void *arg)
{
	int w = (int)(intptr_t)arg;
	uint64_t s = 0x9e3779b97f4a7c15ULL * (w + 1);
	static __thread uint8_t buf[9000];

	for (int it = 0; it < WITERS; it++) {
		exodb_txn *t;
		int pj[16], np = 0, err;
		uint8_t *pv[16];
		size_t pl[16];

		if ((err = exodb_begin(rdb, 0, &t))) {
			note_error("begin", err);
			break;
		}
		int ops = 1 + rnd(&s) % 12;
		for (int o = 0; o < ops; o++) {
			int j = rnd(&s) % KEYS;
			char k[32];
			const void *v;
			size_t vl;

			key_of(k, w, j);
			if (rnd(&s) % 4 == 0) {
				err = exodb_del(t, t_data, k, strlen(k));
				/* model: absent unless pending or stored */
				int present = models[w].val[j] != NULL;
				for (int q = 0; q < np; q++)
					if (pj[q] == j)
						present = pv[q] != NULL;
				if (err != (present ? 0 : -ENOENT))
					note_error("del result", err ? err : -EEXIST);
				pj[np] = j;
				pv[np] = NULL;
				pl[np++] = 0;
			} else {
				size_t len = rnd(&s) % 20 == 0 ?
					1000 + rnd(&s) % 8000 : 16 + rnd(&s) % 200;

				make_value(buf, k, rnd(&s), len);
				err = exodb_put(t, t_data, k, strlen(k), buf, len);
				if (err)
					note_error("put", err);
				pj[np] = j;
				pv[np] = malloc(len);
				memcpy(pv[np], buf, len);
				pl[np++] = len;
			}
			/* read your own writes */
			err = exodb_get(t, t_data, k, strlen(k), &v, &vl);
			if (pv[np - 1] ? (err || vl != pl[np - 1] ||
					  memcmp(v, pv[np - 1], vl))
				       : err != -ENOENT)
				note_error("read own write", err ? err : -EIO);
			if (np == 16)
				break;
		}
		if (rnd(&s) % 8 == 0) {
			exodb_abort(t);
			for (int q = 0; q < np; q++)
				free(pv[q]);
			continue;
		}
		err = exodb_commit(t);
		if (err) {
			note_error("commit", err);
			for (int q = 0; q < np; q++)
				free(pv[q]);
			continue;
		}
		for (int q = 0; q < np; q++) {
			free(models[w].val[pj[q]]);
			models[w].val[pj[q]] = pv[q];
			models[w].len[pj[q]] = pl[q];
		}
	}
	__atomic_fetch_sub(&writers_left, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *transfers(void *arg)
{
	uint64_t s = 77;

	(void)arg;
	while (__atomic_load_n(&writers_left, __ATOMIC_SEQ_CST) > 1) {
		exodb_txn *t;
		char a[16], b[16];
		int64_t va, vb, amt = (int64_t)(rnd(&s) % 50);
		const void *v;
		size_t vl;
		int ia = rnd(&s) % ACCOUNTS, ib = rnd(&s) % ACCOUNTS, err;

		if (ia == ib)
			continue;
		sprintf(a, "acct%02d", ia);
		sprintf(b, "acct%02d", ib);
		if (exodb_begin(rdb, 0, &t))
			break;
		err = exodb_get(t, t_acct, a, strlen(a), &v, &vl);
		if (!err) {
			memcpy(&va, v, 8);
			err = exodb_get(t, t_acct, b, strlen(b), &v, &vl);
		}
		if (!err) {
			memcpy(&vb, v, 8);
			va -= amt;
			vb += amt;
			err = exodb_put(t, t_acct, a, strlen(a), &va, 8);
		}
		if (!err)
			err = exodb_put(t, t_acct, b, strlen(b), &vb, 8);
		if (err) {
			note_error("transfer", err);
			exodb_abort(t);
			break;
		}
		if ((err = exodb_commit(t)))
			note_error("transfer commit", err);
	}
	__atomic_fetch_sub(&writers_left, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *reader(void *arg)
{
	uint64_t s = 1234 + (uintptr_t)arg;

	while (__atomic_load_n(&writers_left, __ATOMIC_SEQ_CST) > 0) {
		exodb_txn *t;
		exodb_cursor *c;
		int64_t sum = 0, x;
		int err, n = 0;
		const void *k, *v;
		size_t kl, vl;

		if (exodb_begin(rdb, EXODB_RDONLY, &t))
			break;
		/* the accounts, half by gets and half by a cursor */
		for (int i = 0; i < ACCOUNTS / 2; i++) {
			char a[16];

			sprintf(a, "acct%02d", i);
			err = exodb_get(t, t_acct, a, strlen(a), &v, &vl);
			if (err)
				goto end;
			memcpy(&x, v, 8);
			sum += x;
		}
		if ((err = exodb_cursor_open(t, t_acct, &c)))
			goto end;
		for (err = exodb_cursor_seek(c, EXODB_GE, "acct08", 6); !err;
		     err = exodb_cursor_next(c)) {
			exodb_cursor_get(c, &k, &kl, &v, &vl);
			memcpy(&x, v, 8);
			sum += x;
			n++;
		}
		exodb_cursor_close(c);
		if (err == -ENOENT)
			err = 0;
		/* a random value of a writer: intact and its key's */
		if (!err) {
			char key[32];

			key_of(key, rnd(&s) % WRITERS, rnd(&s) % KEYS);
			err = exodb_get(t, t_data, key, strlen(key), &v, &vl);
			if (!err && !value_ok(v, vl, key, strlen(key)))
				__atomic_fetch_add(&bad_reads, 1, __ATOMIC_SEQ_CST);
			if (err == -ENOENT)
				err = 0;
		}
end:
		if (!err)
			err = exodb_commit(t);
		else
			exodb_abort(t);
		if (err == -EAGAIN) {
			__atomic_fetch_add(&conflicts, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		if (err) {
			note_error("reader", err);
			continue;
		}
		if (sum != ACCOUNTS * 1000 || n != ACCOUNTS / 2)
			__atomic_fetch_add(&bad_sums, 1, __ATOMIC_SEQ_CST);
		else
			__atomic_fetch_add(&sums_ok, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

/* The table holds exactly the models: forward and backward. */
static int compare_models(exodb *db, int backward)
{
	exodb_txn *t;
	exodb_cursor *c;
	int err, w = backward ? WRITERS - 1 : 0, j = backward ? KEYS : -1;
	int mismatches = 0;

	if (exodb_begin(db, EXODB_RDONLY, &t) ||
	    exodb_cursor_open(t, t_data, &c))
		return -1;
	err = exodb_cursor_seek(c, backward ? EXODB_LAST : EXODB_FIRST, NULL, 0);
	for (;;) {
		/* the model's next present key */
		for (;;) {
			j += backward ? -1 : 1;
			if (j < 0) {
				if (--w < 0)
					break;
				j = KEYS - 1;
			}
			if (j >= KEYS) {
				if (++w >= WRITERS)
					break;
				j = 0;
			}
			if (models[w].val[j])
				break;
		}
		int model_end = w < 0 || w >= WRITERS;

		if (err == -ENOENT || model_end) {
			if (!(err == -ENOENT && model_end))
				mismatches++;
			break;
		}
		if (err) {
			mismatches++;
			break;
		}
		const void *k, *v;
		size_t kl, vl;
		char key[32];

		exodb_cursor_get(c, &k, &kl, &v, &vl);
		key_of(key, w, j);
		if (kl != strlen(key) || memcmp(k, key, kl) ||
		    vl != models[w].len[j] || memcmp(v, models[w].val[j], vl))
			mismatches++;
		err = backward ? exodb_cursor_prev(c) : exodb_cursor_next(c);
	}
	exodb_cursor_close(c);
	exodb_commit(t);
	return mismatches;
}

static int64_t account_sum(exodb *db)
{
	exodb_txn *t;
	exodb_cursor *c;
	int64_t sum = 0, x;
	int err;

	if (exodb_begin(db, EXODB_RDONLY, &t) ||
	    exodb_cursor_open(t, t_acct, &c))
		return -1;
	for (err = exodb_cursor_seek(c, EXODB_LAST, NULL, 0); !err;
	     err = exodb_cursor_prev(c)) {
		const void *v;
		size_t vl;

		exodb_cursor_get(c, NULL, NULL, &v, &vl);
		memcpy(&x, v, 8);
		sum += x;
	}
	exodb_cursor_close(c);
	exodb_commit(t);
	return sum;
}

static void test_random(void)
{
	const char *p = path("random.db");
	pthread_t th[WRITERS + 1 + READERS];
	exodb_txn *t;
	struct exodb_stats st;
	int err = 0;

	rm_db(p);
	rdb = open_db(p, 48, EXODB_POLICY_2Q, 1);
	if (!tap_ok(rdb != NULL, "random: open a database with a 48-frame pool"))
		return;
	err = exodb_table(rdb, "data", 1, &t_data);
	if (!err)
		err = exodb_table(rdb, "accounts", 1, &t_acct);
	if (!err)
		err = exodb_begin(rdb, 0, &t);
	for (int i = 0; !err && i < ACCOUNTS; i++) {
		char a[16];
		int64_t v = 1000;

		sprintf(a, "acct%02d", i);
		err = exodb_put(t, t_acct, a, strlen(a), &v, 8);
	}
	if (!err)
		err = exodb_commit(t);
	tap_ok(!err, "random: two tables made, 16 accounts of 1000");
	writers_left = WRITERS + 1;
	for (int i = 0; i < WRITERS; i++)
		pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i);
	pthread_create(&th[WRITERS], NULL, transfers, NULL);
	for (int i = 0; i < READERS; i++)
		pthread_create(&th[WRITERS + 1 + i], NULL, reader,
			       (void *)(intptr_t)i);
	for (int i = 0; i < WRITERS + 1 + READERS; i++)
		pthread_join(th[i], NULL);
	exodb_stats(rdb, &st);
	tap_diag("%ld consistent reader snapshots, %ld retried; %llu commits, "
		 "%llu log flushes, %llu evictions, %llu misses", sums_ok,
		 conflicts, st.commits, st.log_flushes, st.evictions, st.misses);
	tap_ok(errors == 0, "random: no operation failed (%d errors)", errors);
	tap_ok(st.evictions > 200, "random: eviction ran constantly (%llu)",
	       st.evictions);
	tap_ok(bad_reads == 0, "random: every value a reader saw was intact and "
	       "its key's (%d bad)", bad_reads);
	tap_ok(bad_sums == 0 && sums_ok > 0, "random: every read-only "
	       "transaction saw the accounts sum to 16000 (%d did not, %ld did)",
	       bad_sums, sums_ok);
	tap_ok(compare_models(rdb, 0) == 0, "random: forward scan equals the model");
	tap_ok(compare_models(rdb, 1) == 0, "random: backward scan equals the model");
	tap_ok(account_sum(rdb) == ACCOUNTS * 1000, "random: accounts sum to 16000");
	tap_ok(exodb_check(rdb, stdout) == 0, "random: check clean");
	tap_ok(exodb_close(rdb) == 0, "random: close");
	rdb = open_db(p, 48, EXODB_POLICY_CLOCK, 0);
	if (!tap_ok(rdb != NULL, "random: reopen (with CLOCK)"))
		return;
	tap_ok(compare_models(rdb, 0) == 0 && compare_models(rdb, 1) == 0,
	       "random: after reopening, scans both ways equal the model");
	tap_ok(exodb_check(rdb, stdout) == 0, "random: check clean after reopening");
	exodb_close(rdb);
	for (int w = 0; w < WRITERS; w++)
		for (int j = 0; j < KEYS; j++)
			free(models[w].val[j]);
}

/* ---- a database many times its pool --------------------------------------- */

static void test_larger(void)
{
	const char *p = path("larger.db");
	exodb *db;
	exodb_txn *t;
	unsigned tb;
	struct exodb_stats st;
	uint8_t v[300];
	int err = 0, bad = 0;
	const int N = 20000;

	rm_db(p);
	db = open_db(p, 64, 0, 1);
	if (!db || exodb_table(db, "big", 1, &tb)) {
		tap_ok(0, "larger: open");
		return;
	}
	/* a commit may touch at most half the pool: small transactions */
	for (int i = 0; i < N && !err; i += 10) {
		err = exodb_begin(db, 0, &t);
		for (int j = i; j < i + 10 && !err; j++) {
			char k[32];

			sprintf(k, "%08d", (j * 7919) % N);
			make_value(v, k, j, 100 + j % 200);
			err = exodb_put(t, tb, k, strlen(k), v, 100 + j % 200);
		}
		if (!err)
			err = exodb_commit(t);
	}
	exodb_stats(db, &st);
	tap_ok(!err && st.pages > 10 * 64, "larger: %d rows, %llu pages in a "
	       "64-page pool (%s)", N, st.pages, exodb_strerror(err));
	err = exodb_begin(db, EXODB_RDONLY, &t);
	for (int i = 0; i < N && !err; i++) {
		char k[32];
		const void *val;
		size_t vl;

		sprintf(k, "%08d", i);
		err = exodb_get(t, tb, k, strlen(k), &val, &vl);
		if (!err && !value_ok(val, vl, k, strlen(k)))
			bad++;
	}
	exodb_commit(t);
	tap_ok(!err && !bad, "larger: every row reads back (%d bad)", bad);
	tap_ok(exodb_check(db, stdout) == 0, "larger: check clean");
	exodb_close(db);
}

/* ---- scan resistance ---------------------------------------------------------- */

static long hot_misses(exodb *db, unsigned hot)
{
	struct exodb_table_stats ts[8];
	int n = exodb_table_stats(db, ts, 8);

	for (int i = 0; i < n; i++)
		if (ts[i].id == hot)
			return (long)ts[i].misses;
	return -1;
}

/* Hot-table misses in sweeps 2-5; the big table's misses there in *@bmiss,
 * in its first (cold) sweep in *@bcold. */
static long scan_readahead, scan_misses;

static long scan_run(int policy, int hint, long *lookups, long *bmiss,
		     long *bcold)
{
	const char *p = path("scan.db");
	exodb *db;
	exodb_txn *t;
	unsigned hot, big;
	uint8_t v[200];
	uint64_t s = 5;
	long before, after, b0 = 0;
	int err = 0;
	const unsigned pool = 256;

	rm_db(p);
	db = open_db(p, pool, policy, 1);
	if (!db || exodb_table(db, "hot", 1, &hot) ||
	    exodb_table(db, "big", 1, &big))
		return -1;
	/* hot: ~24 pages; big: ~2x the pool */
	for (int i = 0; i < 24 * 18 && !err; i += 100) {
		err = exodb_begin(db, 0, &t);
		for (int j = i; j < i + 100 && !err; j++) {
			char k[16];

			sprintf(k, "h%06d", j);
			err = exodb_put(t, hot, k, strlen(k), v, sizeof(v));
		}
		if (!err)
			err = exodb_commit(t);
	}
	for (int i = 0; i < (int)pool * 2 * 18 && !err; i += 100) {
		err = exodb_begin(db, 0, &t);
		for (int j = i; j < i + 100 && !err; j++) {
			char k[16];

			sprintf(k, "b%06d", j);
			err = exodb_put(t, big, k, strlen(k), v, sizeof(v));
		}
		if (!err)
			err = exodb_commit(t);
	}
	if (err)
		return -1;
	*lookups = 0;
	before = 0;
	for (int round = 0; round < 6; round++) {
		exodb_cursor *c;

		if (round == 1)
			*bcold = hot_misses(db, big);
		if (round == 2) {
			before = hot_misses(db, hot);
			b0 = hot_misses(db, big);
		}
		exodb_begin(db, EXODB_RDONLY, &t);
		exodb_cursor_open(t, big, &c);
		exodb_cursor_hint_scan(c, hint);
		/* the scan, hinted or not, with hot lookups in between */
		int rows = 0;
		for (err = exodb_cursor_seek(c, EXODB_FIRST, NULL, 0); !err;
		     err = exodb_cursor_next(c)) {
			if (++rows % 64 == 0) {
				char k[16];
				const void *val;
				size_t vl;

				sprintf(k, "h%06d", (int)(rnd(&s) % (24 * 18)));
				exodb_get(t, hot, k, strlen(k), &val, &vl);
				if (round >= 2)
					(*lookups)++;
			}
		}
		exodb_cursor_close(c);
		exodb_commit(t);
	}
	after = hot_misses(db, hot);
	*bmiss = hot_misses(db, big) - b0;
	{
		struct exodb_stats st;

		exodb_stats(db, &st);
		scan_readahead = (long)st.readahead;
		scan_misses = (long)st.misses;
	}
	exodb_close(db);
	return after - before;
}

static void test_scan(void)
{
	long l2, lc, lh, b2, bc, bh, cold, m2;
	long mc = scan_run(EXODB_POLICY_CLOCK, 0, &lc, &bc, &cold), mh, ra_h;
	long miss_h, ra_off;

	read_ahead = 1;		/* as the exo backend does */
	mh = scan_run(EXODB_POLICY_2Q, 1, &lh, &bh, &cold);
	ra_h = scan_readahead;
	miss_h = scan_misses;
	read_ahead = 0;
	scan_run(EXODB_POLICY_2Q, 1, &lh, &bh, &cold);
	ra_off = scan_readahead;
	read_ahead = 1;

	m2 = scan_run(EXODB_POLICY_2Q, 0, &l2, &b2, &cold);

	tap_diag("hot-table misses over 4 scans of a table twice the pool: "
		 "2Q %ld of %ld lookups, CLOCK %ld of %ld", m2, l2, mc, lc);
	tap_ok(m2 >= 0 && l2 > 500 && m2 * 50 < l2,
	       "scan: 2Q keeps the hot set resident (hot misses %ld < 2%% of "
	       "%ld lookups)", m2, l2);
	tap_ok(mc >= 0 && lc == l2, "scan: the same workload ran under CLOCK");
	/* hinted, 2Q sweeps MRU: of a table twice the 256-frame pool, most
	 * of the pool's worth stays and a sweep re-reads the rest: fewer than
	 * (pages - 128), where FIFO (what the hint gave before) re-reads all */
	tap_diag("big-table misses: cold sweep %ld; 4 sweeps after: unhinted "
		 "%ld, hinted %ld; hot misses hinted %ld of %ld", cold, b2, bh,
		 mh, lh);
	tap_ok(mh >= 0 && bh > 0 && cold > 256 && bh < 4 * (cold - 128) &&
	       mh * 50 < lh,
	       "scan: a hinted sweep keeps what fits (MRU: %ld misses in 4 "
	       "sweeps of %ld pages) and the hot set (%ld of %ld)", bh, cold,
	       mh, lh);
	tap_ok(ra_h * 2 > miss_h && scan_readahead == 0 && ra_off == 0,
	       "scan: a hinted sweep's misses are read ahead in batches (%ld "
	       "of %ld pages read); an unhinted one reads none ahead (%ld), "
	       "nor the file backend by default (%ld)", ra_h, miss_h,
	       scan_readahead, ra_off);
}

/* ---- limits -------------------------------------------------------------------- */

static void test_limits(void)
{
	const char *p = path("limits.db");
	exodb *db;
	exodb_txn *t;
	unsigned tb;
	static uint8_t big[(1 << 20) + 1];
	char key[EXODB_MAX_KEY + 1];
	const void *v;
	size_t vl;
	int err;

	rm_db(p);
	db = open_db(p, 2048, 0, 1);
	if (!db || exodb_table(db, "l", 1, &tb)) {
		tap_ok(0, "limits: open");
		return;
	}
	memset(key, 'k', sizeof(key));
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 31 + 7);
	exodb_begin(db, 0, &t);
	tap_ok(exodb_put(t, tb, key, EXODB_MAX_KEY, "x", 1) == 0,
	       "limits: a key of %d bytes is taken", EXODB_MAX_KEY);
	tap_ok(exodb_put(t, tb, key, EXODB_MAX_KEY + 1, "x", 1) == -E2BIG,
	       "limits: a key of %d bytes is -E2BIG", EXODB_MAX_KEY + 1);
	tap_ok(exodb_put(t, tb, "", 0, "", 0) == 0, "limits: the empty key "
	       "with the empty value");
	tap_ok(exodb_put(t, tb, "big", 3, big, sizeof(big)) == 0,
	       "limits: a 1 MiB value (overflow pages)");
	tap_ok(exodb_put(t, tb, "huge", 4, big, (size_t)EXODB_MAX_VALUE + 1) ==
	       -E2BIG, "limits: a value over EXODB_MAX_VALUE is -E2BIG");
	/* many maximal keys: splits with maximal separators */
	err = 0;
	for (int i = 0; i < 200 && !err; i++) {
		snprintf(key, 8, "%06d", i);
		key[6] = 'k';
		err = exodb_put(t, tb, key, EXODB_MAX_KEY, big, 600);
	}
	tap_ok(!err, "limits: 200 keys of maximal size with 600-byte values");
	err = exodb_commit(t);
	tap_ok(err == 0, "limits: commit (%s)", exodb_strerror(err));
	exodb_close(db);
	db = open_db(p, 2048, 0, 0);
	if (!db) {
		tap_ok(0, "limits: reopen");
		return;
	}
	exodb_begin(db, EXODB_RDONLY, &t);
	err = exodb_get(t, tb, "big", 3, &v, &vl);
	tap_ok(!err && vl == sizeof(big) && !memcmp(v, big, vl),
	       "limits: the 1 MiB value reads back after reopening");
	err = exodb_get(t, tb, "", 0, &v, &vl);
	tap_ok(!err && vl == 0, "limits: the empty key reads back");
	exodb_commit(t);
	tap_ok(exodb_check(db, stdout) == 0, "limits: check clean");
	/* overwrite and delete the big value: its pages go to the free list */
	exodb_begin(db, 0, &t);
	exodb_put(t, tb, "big", 3, "small", 5);
	exodb_commit(t);
	struct exodb_stats st;
	exodb_stats(db, &st);
	tap_ok(st.free_pages >= 256, "limits: the old value's %llu pages are free",
	       st.free_pages);
	tap_ok(exodb_check(db, stdout) == 0, "limits: check clean after freeing");
	exodb_close(db);
}

/* ---- misuse ---------------------------------------------------------------------- */

static void test_misuse(void)
{
	const char *p = path("misuse.db");
	exodb *db;
	exodb_txn *t, *r;
	exodb_cursor *c;
	unsigned tb;
	const void *v;
	size_t vl;

	rm_db(p);
	db = open_db(p, 64, 0, 1);
	if (!db || exodb_table(db, "m", 1, &tb)) {
		tap_ok(0, "misuse: open");
		return;
	}
	tap_ok(exodb_commit(NULL) == -EINVAL, "misuse: commit without begin "
	       "is -EINVAL");
	exodb_begin(db, 0, &t);
	exodb_put(t, tb, "a", 1, "1", 1);
	exodb_commit(t);
	tap_ok(exodb_commit(t) == -EINVAL, "misuse: a second commit is -EINVAL");
	tap_ok(exodb_put(t, tb, "b", 1, "2", 1) == -EINVAL,
	       "misuse: put in a finished transaction is -EINVAL");
	exodb_begin(db, EXODB_RDONLY, &r);
	tap_ok(exodb_put(r, tb, "b", 1, "2", 1) == -EROFS,
	       "misuse: put in a read-only transaction is -EROFS");
	tap_ok(exodb_get(r, 99, "a", 1, &v, &vl) == -ENOENT,
	       "misuse: an unknown table is -ENOENT");
	exodb_cursor_open(r, tb, &c);
	exodb_commit(r);
	tap_ok(exodb_cursor_seek(c, EXODB_FIRST, NULL, 0) == -EINVAL,
	       "misuse: a cursor of a finished transaction is -EINVAL");
	exodb_cursor_close(c);
	tap_ok(exodb_begin(db, 7, &t) == -EINVAL, "misuse: unknown flags");
	exodb_close(db);
	tap_ok(exodb_begin(db, 0, &t) == -EBADF, "misuse: begin on a closed "
	       "database is -EBADF");
	tap_ok(exodb_close(db) == -EBADF, "misuse: a second close is -EBADF");
	tap_ok(exodb_check(db, NULL) == -EBADF, "misuse: check of a closed "
	       "database is -EBADF");
}

/* ---- corruption ------------------------------------------------------------------ */

static void test_corrupt(void)
{
	const char *p = path("corrupt.db");
	exodb *db;
	exodb_txn *t;
	unsigned tb;
	uint8_t v[100] = { 0 };
	int err = 0, fd, eu = 0, ok = 0;
	long problems;

	rm_db(p);
	db = open_db(p, 64, 0, 1);
	if (!db || exodb_table(db, "c", 1, &tb)) {
		tap_ok(0, "corrupt: open");
		return;
	}
	for (int i = 0; i < 2000 && !err; i++) {
		char k[16];

		if (i % 50 == 0)
			err = exodb_begin(db, 0, &t);
		sprintf(k, "%06d", i);
		if (!err)
			err = exodb_put(t, tb, k, strlen(k), v, sizeof(v));
		if (!err && i % 50 == 49)
			err = exodb_commit(t);
	}
	tap_ok(!err, "corrupt: 2000 rows loaded");
	exodb_close(db);
	/* flip a byte in the middle of page 20 */
	fd = open(p, O_RDWR);
	uint8_t b;
	pread(fd, &b, 1, 20 * 4096 + 2000);
	b ^= 0x40;
	pwrite(fd, &b, 1, 20 * 4096 + 2000);
	close(fd);
	db = open_db(p, 64, 0, 0);
	if (!tap_ok(db != NULL, "corrupt: a database with a damaged page opens"))
		return;
	exodb_begin(db, EXODB_RDONLY, &t);
	for (int i = 0; i < 2000; i++) {
		char k[16];
		const void *val;
		size_t vl;

		sprintf(k, "%06d", i);
		err = exodb_get(t, tb, k, strlen(k), &val, &vl);
		if (err == -EUCLEAN)
			eu++;
		else if (!err)
			ok++;
	}
	exodb_commit(t);
	tap_ok(eu > 0 && eu + ok == 2000, "corrupt: reads through the damaged "
	       "page give -EUCLEAN (%d), the others their rows (%d)", eu, ok);
	problems = exodb_check(db, NULL);
	tap_ok(problems > 0, "corrupt: check reports the damage (%ld problems)",
	       problems);
	exodb_close(db);
}

/* ---- dropping tables -------------------------------------------------------- */

int db_table_drop(exodb *db, const char *name, unsigned int max_steps);

#define DROP_ROWS	1500

/* Fill @name with DROP_ROWS rows, every fifth a two-page overflow value. */
static int fill_table(exodb *db, const char *name, unsigned *id)
{
	static uint8_t buf[9000];
	exodb_txn *t = NULL;
	int err = exodb_table(db, name, 1, id);

	for (int i = 0; !err && i < DROP_ROWS; i++) {
		char k[32];
		size_t len = i % 5 ? 60 + i % 200 : 6000;

		if (i % 10 == 0 && (err = exodb_begin(db, 0, &t)))
			break;
		sprintf(k, "row%05d", i);
		len = make_value(buf, k, (uint64_t)i, len);
		err = exodb_put(t, *id, k, strlen(k), buf, len);
		if (!err && i % 10 == 9)
			err = exodb_commit(t);
	}
	if (err)
		tap_diag("fill %s: %s", name, exodb_strerror(err));
	return err;
}

static exodb *drop_db;
static int drop_writes;
static _Atomic int drop_phase;	/* 0 before the drop, 1 during, 2 after */
static _Atomic long drop_odd, drop_reads;

/* Reads the table being dropped: a value, -ENOENT or -EAGAIN, never worse. */
static void *drop_reader(void *arg)
{
	exodb *db = drop_db;
	unsigned id = (unsigned)(intptr_t)arg;
	uint64_t s = 7;

	while (atomic_load(&drop_phase) < 2) {
		exodb_txn *t;
		const void *v;
		size_t vl;
		char k[32];
		int err;

		if (exodb_begin(db, EXODB_RDONLY, &t))
			break;
		sprintf(k, "row%05d", (int)(rnd(&s) % DROP_ROWS));
		err = exodb_get(t, id, k, strlen(k), &v, &vl);
		if (!err && !value_ok(v, vl, k, strlen(k)))
			atomic_fetch_add(&drop_odd, 1);
		else if (err && err != -ENOENT && err != -EAGAIN)
			atomic_fetch_add(&drop_odd, 1);
		atomic_fetch_add(&drop_reads, 1);
		exodb_commit(t);
	}
	return NULL;
}

/* Commits to another table while the drop runs, between its commits. */
static void *drop_writer(void *arg)
{
	exodb *db = drop_db;
	unsigned id = (unsigned)(intptr_t)arg;
	int n = 0;

	/* 50 small rows: one leaf, so the page count after the drop is known */
	while (n < 50) {
		exodb_txn *t;
		char k[32];

		sprintf(k, "w%05d", n);
		if (exodb_begin(db, 0, &t) ||
		    exodb_put(t, id, k, strlen(k), &n, sizeof(n)) ||
		    exodb_commit(t)) {
			atomic_fetch_add(&drop_odd, 1);
			break;
		}
		n++;
		if (atomic_load(&drop_phase) < 2)
			usleep(200);
	}
	drop_writes = n;
	return NULL;
}

static unsigned long long used_pages(exodb *db)
{
	struct exodb_stats st;

	exodb_stats(db, &st);
	return st.pages - st.free_pages;
}

static void test_drop(void)
{
	const char *p = path("drop.db");
	unsigned keep, gone, again, id;
	pthread_t rd, wr;
	struct exodb_stats st;
	unsigned long long used0, used1, hw1;
	exodb_txn *t;
	const void *v;
	size_t vl;
	int err, n;

	rm_db(p);
	drop_db = open_db(p, 32, EXODB_POLICY_2Q, 1);
	if (!tap_ok(drop_db != NULL, "drop: open with a 32-frame pool"))
		return;
	err = exodb_table(drop_db, "keep", 1, &keep);
	used0 = used_pages(drop_db);
	if (!err)
		err = fill_table(drop_db, "gone", &gone);
	exodb_stats(drop_db, &st);
	used1 = st.pages - st.free_pages;
	hw1 = st.pages;
	tap_ok(!err && used1 - used0 > 10 * 32, "drop: a table of %llu pages, "
	       "more than ten times the pool", used1 - used0);

	/* drop it under a reader of it and a writer of another table */
	pthread_create(&rd, NULL, drop_reader, (void *)(intptr_t)gone);
	pthread_create(&wr, NULL, drop_writer, (void *)(intptr_t)keep);
	atomic_store(&drop_phase, 1);
	err = exodb_table_drop(drop_db, "gone");
	atomic_store(&drop_phase, 2);
	pthread_join(rd, NULL);
	pthread_join(wr, NULL);
	tap_ok(!err, "drop: exodb_table_drop (%s) while %ld reads of it and %d "
	       "commits to another table ran", exodb_strerror(err),
	       (long)drop_reads, drop_writes);
	tap_ok(drop_odd == 0, "drop: readers of the dropped table saw values "
	       "intact, -ENOENT or -EAGAIN; the writer never failed (%ld odd)",
	       (long)drop_odd);
	tap_ok(exodb_table(drop_db, "gone", 0, &id) == -ENOENT &&
	       exodb_table_drop(drop_db, "gone") == -ENOENT,
	       "drop: the name is gone (-ENOENT), dropping it again -ENOENT");
	err = exodb_begin(drop_db, EXODB_RDONLY, &t);
	tap_ok(!err && exodb_get(t, gone, "row00001", 8, &v, &vl) == -ENOENT,
	       "drop: a get through the old id -ENOENT");
	if (!err)
		exodb_commit(t);
	err = exodb_begin(drop_db, 0, &t);
	tap_ok(!err && exodb_put(t, gone, "x", 1, "y", 1) == -ENOENT,
	       "drop: a put through the old id -ENOENT");
	if (!err)
		exodb_abort(t);
	tap_ok(used_pages(drop_db) <= used0 + 4, "drop: its pages are free "
	       "(%llu in use, %llu before it was filled; the writer's rows "
	       "take a few)", used_pages(drop_db), used0);
	tap_ok(exodb_check(drop_db, stdout) == 0, "drop: check clean");

	/* the id is made again; the same rows fit in the freed pages */
	err = fill_table(drop_db, "again", &again);
	exodb_stats(drop_db, &st);
	tap_ok(!err && again == gone && st.pages <= hw1 + 4,
	       "drop: a new table gets the id back (%u, was %u) and its pages "
	       "from the free list (%llu pages, %llu before)", again, gone,
	       st.pages, hw1);
	n = 0;
	err = exodb_begin(drop_db, EXODB_RDONLY, &t);
	for (int i = 0; !err && i < drop_writes; i++) {
		char k[32];

		sprintf(k, "w%05d", i);
		n += exodb_get(t, keep, k, strlen(k), &v, &vl) == 0 &&
		     vl == sizeof(int) && !memcmp(v, &i, sizeof(int));
	}
	if (!err)
		exodb_commit(t);
	tap_ok(n == drop_writes, "drop: the other table holds all %d rows "
	       "committed during the drop (%d)", drop_writes, n);

	/* a drop cut short goes on at the next open */
	err = db_table_drop(drop_db, "again", 3);
	tap_ok(err == -EINTR && exodb_table(drop_db, "again", 0, &id) == -ENOENT,
	       "drop: cut after three steps, the name is gone already");
	tap_ok(exodb_check(drop_db, stdout) == 0, "drop: check clean with the "
	       "drop half done (the rest of the tree walked)");
	tap_ok(exodb_close(drop_db) == 0, "drop: close with the drop half done");
	drop_db = open_db(p, 32, EXODB_POLICY_2Q, 0);
	if (!tap_ok(drop_db != NULL, "drop: reopen"))
		return;
	tap_ok(used_pages(drop_db) <= used0 + 4 &&
	       exodb_check(drop_db, stdout) == 0, "drop: reopening finished it: "
	       "%llu pages in use, check clean", used_pages(drop_db));
	err = exodb_table(drop_db, "third", 1, &id);
	tap_ok(!err && id == gone, "drop: and gave the id back (%u)", id);
	exodb_close(drop_db);
}

/* ---- merging on delete ------------------------------------------------------ */

#define MERGE_ROWS	3000

/* The first live row after @i (key order is row order), or -1. */
static int next_live(const uint8_t *live, int i)
{
	while (++i < MERGE_ROWS)
		if (live[i])
			return i;
	return -1;
}

static void merge_key(char *k, int i)
{
	char num[16];

	/* 300-byte keys in row order: a dozen per leaf, four levels */
	memset(k, 'a' + i % 26, 300);
	sprintf(num, "%08d", i);
	memcpy(k, num, 8);
}

static int merge_scan(exodb *db, unsigned id, const uint8_t *live, int *n)
{
	exodb_cursor *c;
	exodb_txn *t;
	int err = exodb_begin(db, EXODB_RDONLY, &t), bad = 0, want = -1;

	*n = 0;
	if (err)
		return -1;
	err = exodb_cursor_open(t, id, &c);
	for (err = err ? err : exodb_cursor_seek(c, EXODB_FIRST, NULL, 0); !err;
	     err = exodb_cursor_next(c)) {
		const void *k, *v;
		size_t kl, vl;
		char want_k[300];

		exodb_cursor_get(c, &k, &kl, &v, &vl);
		want = next_live(live, want);
		if (want < 0) {
			bad++;
			break;
		}
		merge_key(want_k, want);
		if (kl != 300 || memcmp(k, want_k, 300) || vl != 4 ||
		    memcmp(v, &want, 4))
			bad++;
		(*n)++;
	}
	exodb_cursor_close(c);
	exodb_commit(t);
	return err == -ENOENT && next_live(live, want) < 0 ? bad : bad + 1;
}

static exodb *merge_db;
static unsigned merge_id;
static _Atomic int merge_stop;
static _Atomic long merge_scans, merge_odd;

/* Scans both ways while the tree merges: rows in order, each intact. */
static void *merge_scanner(void *arg)
{
	(void)arg;
	for (int back = 0; !atomic_load(&merge_stop); back ^= 1) {
		exodb_txn *t;
		exodb_cursor *c;
		int err, last = back ? MERGE_ROWS : -1;

		if (exodb_begin(merge_db, EXODB_RDONLY, &t))
			break;
		err = exodb_cursor_open(t, merge_id, &c);
		if (!err)
			err = exodb_cursor_seek(c, back ? EXODB_LAST : EXODB_FIRST,
						NULL, 0);
		while (!err) {
			const void *k, *v;
			size_t kl, vl;
			char want[300];
			int row;

			exodb_cursor_get(c, &k, &kl, &v, &vl);
			if (vl != 4) {
				atomic_fetch_add(&merge_odd, 1);
				break;
			}
			memcpy(&row, v, 4);
			merge_key(want, row);
			if (kl != 300 || memcmp(k, want, 300) ||
			    (back ? row >= last : row <= last)) {
				atomic_fetch_add(&merge_odd, 1);
				break;
			}
			last = row;
			err = back ? exodb_cursor_prev(c) : exodb_cursor_next(c);
		}
		exodb_cursor_close(c);
		if (err != -ENOENT && err != -EAGAIN && err)
			atomic_fetch_add(&merge_odd, 1);
		exodb_commit(t);
		atomic_fetch_add(&merge_scans, 1);
	}
	return NULL;
}

static void test_merge(void)
{
	const char *p = path("merge.db");
	static uint8_t live[MERGE_ROWS];
	static int order[MERGE_ROWS];
	unsigned long long full, used;
	uint64_t s = 99;
	exodb *db;
	exodb_txn *t = NULL;
	unsigned id;
	int err, n, bad = 0, checks = 0;

	rm_db(p);
	db = open_db(p, 64, EXODB_POLICY_2Q, 1);
	if (!tap_ok(db != NULL, "merge: open with a 64-frame pool"))
		return;
	err = exodb_table(db, "m", 1, &id);
	for (int i = 0; !err && i < MERGE_ROWS; i++) {
		char k[300];

		if (i % 10 == 0 && (err = exodb_begin(db, 0, &t)))
			break;
		merge_key(k, i);
		err = exodb_put(t, id, k, 300, &i, 4);
		live[i] = 1;
		if (!err && i % 10 == 9)
			err = exodb_commit(t);
		else if (err)
			exodb_abort(t);
	}
	if (err)
		tap_diag("fill: %s", exodb_strerror(err));
	full = used_pages(db);
	tap_ok(!err && full > 250, "merge: %d rows of 300-byte keys in %llu "
	       "pages", MERGE_ROWS, full);
	for (int i = 0; i < MERGE_ROWS; i++)
		order[i] = i;
	for (int i = MERGE_ROWS - 1; i > 0; i--) {
		int j = (int)(rnd(&s) % (uint64_t)(i + 1)), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	/* delete all but 30 in random order, checking, scanned meanwhile */
	pthread_t th;
	merge_db = db;
	merge_id = id;
	pthread_create(&th, NULL, merge_scanner, NULL);
	for (int i = 0; !err && i < MERGE_ROWS - 30; i++) {
		char k[300];

		if (i % 5 == 0 && (err = exodb_begin(db, 0, &t)))
			break;
		merge_key(k, order[i]);
		err = exodb_del(t, id, k, 300);
		live[order[i]] = 0;
		if (!err && (i % 5 == 4 || i == MERGE_ROWS - 31))
			err = exodb_commit(t);
		else if (err)
			exodb_abort(t);
		if (!err && i % 600 == 599) {
			checks++;
			if (exodb_check(db, stdout) || merge_scan(db, id, live, &n))
				bad++;
		}
	}
	atomic_store(&merge_stop, 1);
	pthread_join(th, NULL);
	tap_ok(merge_odd == 0 && merge_scans > 0, "merge: %ld cursor scans "
	       "both ways meanwhile saw rows in order and intact (%ld odd)",
	       (long)merge_scans, (long)merge_odd);
	used = used_pages(db);
	tap_ok(!err && bad == 0 && checks == 4, "merge: %d random deletes, "
	       "check clean and a scan equal to the model at %d points (%d "
	       "not)", MERGE_ROWS - 30, checks, bad);
	bad = merge_scan(db, id, live, &n);
	tap_ok(bad == 0 && n == 30, "merge: the 30 rows left scan in order "
	       "(%d)", n);
	/* 30 rows need 3 leaves; half-full nodes at most twice that, a root */
	tap_ok(used <= 3 + 6 + 1, "merge: %llu pages in use after the deletes, "
	       "%llu before: the tree merged down (at most 10)", used, full);
	/* the rest: the root is a leaf again, the table one page */
	err = exodb_begin(db, 0, &t);
	for (int i = MERGE_ROWS - 30; !err && i < MERGE_ROWS; i++) {
		char k[300];

		merge_key(k, order[i]);
		err = exodb_del(t, id, k, 300);
		live[order[i]] = 0;
	}
	err = err ? (exodb_abort(t), err) : exodb_commit(t);
	bad = merge_scan(db, id, live, &n);
	tap_ok(!err && used_pages(db) == 3 && exodb_check(db, stdout) == 0 &&
	       bad == 0 && n == 0,
	       "merge: every row deleted: the table is its root leaf (%llu "
	       "pages in use: meta, catalogue, root), check clean",
	       used_pages(db));
	/* and it grows again from there */
	err = exodb_begin(db, 0, &t);
	for (int i = 0; !err && i < 200; i++) {
		char k[300];

		merge_key(k, i);
		err = exodb_put(t, id, k, 300, &i, 4);
		live[i] = 1;
	}
	err = err ? (exodb_abort(t), err) : exodb_commit(t);
	bad = merge_scan(db, id, live, &n);
	tap_ok(!err && exodb_check(db, stdout) == 0 && bad == 0 && n == 200,
	       "merge: 200 rows put back, check clean, scan exact (%d)", n);
	exodb_close(db);
}

/*
 * Read-only transactions validate the pages they read, not every commit:
 * a scan of 2,000 rows stops half way until a writer has committed 60
 * more times (to another table, and every 50th commit moves 7 from the
 * first row to the 501st, pages the scan has read already), then goes on.  The old rule (retry on any commit) never
 * completes such a scan; per-page validation does in at most two
 * attempts (a transfer while the first reads the first half dooms it),
 * and every scan sees the sum of one committed state.
 */
#define SNAP_ROWS 2000

static _Atomic long snap_commits;
static _Atomic int snap_stop, snap_xfer;
static unsigned snap_tbl, snap_hot;
static exodb *snap_db;

static int snap_bal(exodb_txn *t, int row, int64_t *b)
{
	char k[16];
	const void *v;
	size_t vl;
	int err;

	snprintf(k, sizeof(k), "s%05d", row);
	err = exodb_get(t, snap_tbl, k, 6, &v, &vl);
	if (!err)
		memcpy(b, v, 8);
	return err;
}

static int snap_set(exodb_txn *t, int row, int64_t b)
{
	char k[16];
	uint8_t v[100] = { 0 };

	snprintf(k, sizeof(k), "s%05d", row);
	memcpy(v, &b, 8);
	return exodb_put(t, snap_tbl, k, 6, v, sizeof(v));
}

static void *snap_writer(void *arg)
{
	uint64_t s = 99;
	long n = 0;

	(void)arg;
	while (!atomic_load(&snap_stop)) {
		exodb_txn *t;
		char k[16];
		int64_t a, b;
		int err = exodb_begin(snap_db, 0, &t);

		if (err) {
			note_error("snap writer begin", err);
			break;
		}
		snprintf(k, sizeof(k), "h%03d", (int)(rnd(&s) % 500));
		err = exodb_put(t, snap_hot, k, strlen(k), &n, sizeof(n));
		if (!err && ++n % 50 == 0 && atomic_load(&snap_xfer)) {
			err = snap_bal(t, 0, &a);
			if (!err)
				err = snap_bal(t, SNAP_ROWS / 4, &b);
			if (!err)
				err = snap_set(t, 0, a - 7);
			if (!err)
				err = snap_set(t, SNAP_ROWS / 4, b + 7);
		}
		if (!err)
			err = exodb_commit(t);
		else
			exodb_abort(t);
		if (err) {
			note_error("snap writer", err);
			break;
		}
		atomic_fetch_add(&snap_commits, 1);
	}
	return NULL;
}

/* Transfers on or off; a writer's transaction that saw them on is done. */
static void snap_xfers(int on)
{
	long c = atomic_load(&snap_commits);

	atomic_store(&snap_xfer, on);
	while (atomic_load(&snap_commits) < c + 2 && !atomic_load(&snap_stop))
		sched_yield();
}

/*
 * One scan attempt: 0 with @sum and @rows, or -EAGAIN.  Transfers run
 * while the first attempt reads (it may retry) and during every wait
 * (pages read already); a retry's reads see none.
 */
static int snap_scan(int attempt, int64_t *sum, int *rows, long *during)
{
	exodb_txn *t;
	exodb_cursor *c;
	long c0;
	int err;

	snap_xfers(attempt == 0);
	c0 = atomic_load(&snap_commits);
	err = exodb_begin(snap_db, EXODB_RDONLY, &t);
	*sum = 0;
	*rows = 0;
	if (err)
		return err;
	err = exodb_cursor_open(t, snap_tbl, &c);
	for (err = err ? err : exodb_cursor_seek(c, EXODB_FIRST, NULL, 0);
	     !err; err = exodb_cursor_next(c)) {
		const void *v;
		size_t vl;
		int64_t b;

		exodb_cursor_get(c, NULL, NULL, &v, &vl);
		memcpy(&b, v, 8);
		*sum += b;
		if (++*rows == SNAP_ROWS / 2) {
			long w = atomic_load(&snap_commits);

			atomic_store(&snap_xfer, 1);
			while (atomic_load(&snap_commits) < w + 60 &&
			       !atomic_load(&snap_stop))
				sched_yield();
			snap_xfers(attempt == 0);
		}
	}
	exodb_cursor_close(c);
	if (err == -ENOENT)
		err = 0;
	if (!err)
		err = exodb_commit(t);
	else
		exodb_abort(t);
	*during = atomic_load(&snap_commits) - c0;
	return err;
}

static void test_snapshot(void)
{
	const char *p = path("snap.db");
	pthread_t w;
	int scans = 0, worst = 0, bad = 0, other = 0;
	long during = 0;

	rm_db(p);
	snap_db = open_db(p, 48, EXODB_POLICY_2Q, 1);
	if (!tap_ok(snap_db != NULL, "snapshot: open"))
		return;
	exodb_table(snap_db, "scan", 1, &snap_tbl);
	exodb_table(snap_db, "hot", 1, &snap_hot);
	for (int i = 0; i < SNAP_ROWS; i += 100) {
		exodb_txn *t;
		int err = exodb_begin(snap_db, 0, &t);

		for (int j = i; j < i + 100 && !err; j++)
			err = snap_set(t, j, 1000);
		err = err ? err : exodb_commit(t);
		if (err)
			tap_diag("snapshot fill: %s", exodb_strerror(err));
	}
	atomic_store(&snap_stop, 0);
	pthread_create(&w, NULL, snap_writer, NULL);
	for (int i = 0; i < 10; i++) {
		int attempts = 0, rows, err;
		int64_t sum;
		long d = 0;

		do {
			err = snap_scan(attempts, &sum, &rows, &d);
		} while (err == -EAGAIN && ++attempts < 100);
		if (err) {
			tap_diag("snapshot scan %d: %s after %d attempts", i,
				 exodb_strerror(err), attempts);
			other++;
			continue;
		}
		scans++;
		during += d;
		worst = attempts + 1 > worst ? attempts + 1 : worst;
		if (sum != (int64_t)SNAP_ROWS * 1000 || rows != SNAP_ROWS)
			bad++;
	}
	atomic_store(&snap_stop, 1);
	pthread_join(w, NULL);
	tap_ok(scans == 10 && !other, "snapshot: 10 scans completed (%d, %d failed)",
	       scans, other);
	tap_ok(worst <= 2, "snapshot: at most %d attempts per scan", worst);
	tap_ok(during >= 60 * scans, "snapshot: %ld commits during the %d scans",
	       during, scans);
	tap_ok(!bad, "snapshot: every scan saw one committed state (%d bad)",
	       bad);
	tap_ok(atomic_load(&snap_commits) >= 50, "snapshot: writer ran (%ld commits)",
	       atomic_load(&snap_commits));
	tap_ok(exodb_check(snap_db, NULL) == 0, "snapshot: check clean");
	exodb_close(snap_db);
	rm_db(p);
}

int main(void)
{
	const char *t = getenv("EXODB_TMP");

	snprintf(dir, sizeof(dir), "%s", t ? t : "/tmp");
	test_misuse();
	test_limits();
	test_corrupt();
	test_larger();
	test_scan();
	test_random();
	test_drop();
	test_merge();
	test_snapshot();
	tap_plan(tap_n);
	return tap_done();
}
