// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Crash simulation on the host (file backend).  Every write and sync the
 * engine makes is recorded (exodb_file_hook) while a committing workload
 * runs with a small pool (evictions write pages between commits) and a
 * small log (the ring wraps, checkpoints truncate it).  Then, for every
 * sync point, the disk is rebuilt as a crash there could leave it:
 *   - everything written before the point, and
 *   - only a random part of what was written since each area's last
 *     sync, with one of those writes torn in half,
 * recovered, and checked: every commit acknowledged before the point is
 * there, every transaction is there entirely or not at all, and in commit
 * order; check is clean.  For some states the recovery itself is cut at
 * each of its sync points and run again (a crash during recovery).  A
 * damaged log record with later durable records is reported (-EUCLEAN),
 * not followed.  Then the same for dropping a table many times the pool:
 * at every sync point the table is whole or gone (gone once the drop was
 * acknowledged) and, once open has finished the drop, check is clean.
 * Then group commit: four writers commit durably at once (a sync takes
 * 2 ms, so commits queue behind it): fewer log flushes than commits, and
 * at every sync point, exact and lossy, each writer is at its last
 * acknowledged commit or the one after (test/workload.h's workload).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "include/exodb.h"
#include "test/files.h"
#include "test/tap.h"
#include "test/workload.h"

extern void (*exodb_file_hook)(void *ctx, int area, uint64_t block,
			       const void *data);
extern void *exodb_file_hook_ctx;

enum { OP_W, OP_S, OP_ACK };
struct op { int type, area; uint64_t block; uint8_t *data; };
struct oplog { struct op *ops; size_t n, cap; };

static void push(struct oplog *l, struct op o)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->ops = realloc(l->ops, l->cap * sizeof(*l->ops));
	}
	l->ops[l->n++] = o;
}

static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static useconds_t sync_us;	/* a sync takes this long (group commit) */

static void hook(void *ctx, int area, uint64_t block, const void *data)
{
	struct oplog *l = ctx;

	pthread_mutex_lock(&hook_lock);
	if (data) {
		uint8_t *c = malloc(4096);

		memcpy(c, data, 4096);
		push(l, (struct op){ OP_W, area, block, c });
	} else {
		push(l, (struct op){ OP_S, area, 0, NULL });
	}
	pthread_mutex_unlock(&hook_lock);
	if (!data && sync_us)
		usleep(sync_us);
}

static char dir[512], base[600], basewal[700], scratch[600], scratchwal[700];
static uint8_t *img[2];
static size_t imglen[2];

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A new database at the base path, its table "t" made.  0 or -errno. */
static int new_base(const struct exodb_opts *o, exodb **db, unsigned *tb)
{
	int err;

	unlink(base);
	unlink(basewal);
	err = exodb_open(base, o, db);
	if (!err && (err = exodb_table(*db, "t", 1, tb)))
		exodb_close(*db);
	return err;
}

/* The base files, closed, as the image every state starts from. */
static int keep_base(void)
{
	free(img[0]);
	free(img[1]);
	img[0] = slurp(base, &imglen[0]);
	img[1] = slurp(basewal, &imglen[1]);
	return img[0] && img[1];
}

/*
 * Rebuild the disk as a crash after op @cut (exclusive) could leave it;
 * @lossy: writes after their area's last sync survive at random, one torn.
 */
static void materialise(const struct oplog *l, size_t cut, int lossy,
			uint64_t seed, const char *dp, const char *wp)
{
	size_t last_sync[2] = { 0, 0 };
	int fd[2];
	int torn = 0;

	spit(dp, img[0], imglen[0]);
	spit(wp, img[1], imglen[1]);
	fd[0] = open(dp, O_RDWR);
	fd[1] = open(wp, O_RDWR);
	for (size_t i = 0; i < cut; i++)
		if (l->ops[i].type == OP_S)
			last_sync[l->ops[i].area] = i + 1;
	for (size_t i = 0; i < cut; i++) {
		const struct op *o = &l->ops[i];
		size_t len = 4096;

		if (o->type != OP_W)
			continue;
		if (lossy && i >= last_sync[o->area]) {
			uint64_t r = rnd(&seed);

			if (r % 3 == 0)
				continue;	/* lost */
			if (!torn && r % 3 == 1) {
				len = 2048;	/* torn: half of it */
				torn = 1;
			}
		}
		if (pwrite(fd[o->area], o->data, len, (off_t)(o->block * 4096)) < 0)
			perror("pwrite");
	}
	close(fd[0]);
	close(fd[1]);
}

#define TXNS	100
static int nkeys(int i) { return 1 + i % 5; }
static size_t vlen(int i, int j) { return (i * 7 + j) % 9 == 0 ? 3000 : 40 + (i * 13 + j) % 300; }

static void value(uint8_t *b, int i, int j, size_t len)
{
	uint64_t s = (uint64_t)i * 1000003 + j + 1;

	for (size_t k = 0; k < len; k++)
		b[k] = (uint8_t)rnd(&s);
}

/* Open (recover) the state at @dp, its table "t" and a read-only
 * transaction.  Returns 0, or -1 with the reason in @why. */
static int open_t(const char *dp, const struct exodb_opts *o, exodb **db,
		  unsigned *tb, exodb_txn **t, char *why, size_t wl)
{
	int err = exodb_open(dp, o, db);

	if (err) {
		snprintf(why, wl, "open: %s", exodb_strerror(err));
		return -1;
	}
	if (exodb_table(*db, "t", 0, tb) || exodb_begin(*db, EXODB_RDONLY, t)) {
		snprintf(why, wl, "no table");
		exodb_close(*db);
		return -1;
	}
	return 0;
}

/* Open the state at @dp, recover, verify.  Returns 0 if all holds. */
static int verify(const char *dp, int acked, char *why, size_t wl)
{
	struct exodb_opts o = { .sz = sizeof(o), .pool_pages = 24,
				.no_sync = 1, .exo_fd = -1 };
	exodb *db;
	exodb_txn *t;
	unsigned tb;
	int err, counter = -1, ret = 0;
	const void *v;
	size_t vl;
	static uint8_t buf[4096];

	if (open_t(dp, &o, &db, &tb, &t, why, wl))
		return -1;
	err = exodb_get(t, tb, "counter", 7, &v, &vl);
	if (!err && vl == sizeof(int))
		memcpy(&counter, v, sizeof(int));
	else if (err != -ENOENT)
		ret = -1, snprintf(why, wl, "counter: %s", exodb_strerror(err));
	if (!ret && counter < acked - 1)
		ret = -1, snprintf(why, wl, "acknowledged commit %d lost "
				   "(counter %d)", acked - 1, counter);
	for (int i = 0; i < TXNS && !ret; i++) {
		for (int j = 0; j < nkeys(i) && !ret; j++) {
			char k[32];

			sprintf(k, "%04d-%d", i, j);
			err = exodb_get(t, tb, k, strlen(k), &v, &vl);
			if (i <= counter) {
				value(buf, i, j, vlen(i, j));
				if (err || vl != vlen(i, j) || memcmp(v, buf, vl))
					ret = -1, snprintf(why, wl, "txn %d key %d "
						"missing or wrong (%s)", i, j,
						exodb_strerror(err));
			} else if (err != -ENOENT) {
				ret = -1, snprintf(why, wl, "txn %d (after the "
						   "counter %d) half there", i,
						   counter);
			}
		}
	}
	exodb_commit(t);
	if (!ret && exodb_check(db, NULL) != 0)
		ret = -1, snprintf(why, wl, "check not clean");
	exodb_close(db);
	return ret;
}

static int acked_before(const struct oplog *l, size_t cut)
{
	int a = 0;

	for (size_t i = 0; i < cut; i++)
		a += l->ops[i].type == OP_ACK;
	return a;
}

static int count_syncs(const struct oplog *l)
{
	int n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += l->ops[i].type == OP_S;
	return n;
}

static void oplog_free(struct oplog *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->ops[i].data);
	free(l->ops);
	*l = (struct oplog){ 0 };
}

typedef int verify_fn(const char *dp, int acked, char *why, size_t wl);

/* the log and the cut sweep() is checking (for per-writer acks) */
static const struct oplog *sweep_log;
static size_t sweep_cut;

/*
 * At every sync point of @l, exact and lossy, the disk as a crash there
 * leaves it, checked by @check (the first failures named, @what first).
 * Returns how many failed; *@states counts the states.
 */
static int sweep(const struct oplog *l, verify_fn *check, const char *what,
		 uint64_t *seed, int *states)
{
	char why[200] = "";
	int bad = 0;

	for (size_t cut = 0; cut <= l->n; cut++) {
		if (cut < l->n && l->ops[cut].type != OP_S)
			continue;
		for (int lossy = 0; lossy < 2; lossy++) {
			int acked = acked_before(l, cut);

			materialise(l, cut, lossy, (*seed)++, scratch, scratchwal);
			(*states)++;
			sweep_log = l;
			sweep_cut = cut;
			if (check(scratch, acked, why, sizeof(why)) && bad++ < 5)
				tap_diag("%sstate at op %zu (%s, %d acked): %s",
					 what, cut, lossy ? "lossy" : "exact",
					 acked, why);
		}
	}
	return bad;
}

/* ---- a drop cut by a crash ------------------------------------------------ */

#define BIG_ROWS	150

static size_t big_len(int i) { return i % 4 ? 100 + i % 300 : 5000; }

/*
 * The state at @dp: the big table whole (drop not acknowledged and its
 * first commit lost) or gone; once the drop was acknowledged, gone; "t"
 * with its rows; after open, check clean (the drop finished by then, so
 * every page of the big table is free or still the whole table).
 */
static int verify_drop(const char *dp, int acked, char *why, size_t wl)
{
	struct exodb_opts o = { .sz = sizeof(o), .pool_pages = 24,
				.no_sync = 1, .exo_fd = -1 };
	static uint8_t buf[8192];
	exodb *db;
	exodb_txn *t;
	unsigned tb, big;
	int err, ret = 0, rows = 0, have;
	const void *v;
	size_t vl;

	err = exodb_open(dp, &o, &db);
	if (err) {
		snprintf(why, wl, "open: %s", exodb_strerror(err));
		return -1;
	}
	have = exodb_table(db, "big", 0, &big) == 0;
	if (have && acked >= 1)
		ret = -1, snprintf(why, wl, "the drop was acknowledged, the "
				   "table is there");
	if (!ret && exodb_table(db, "t", 0, &tb))
		ret = -1, snprintf(why, wl, "table t gone");
	if (!ret && exodb_begin(db, EXODB_RDONLY, &t))
		ret = -1, snprintf(why, wl, "begin");
	if (ret) {
		exodb_close(db);
		return ret;
	}
	for (int i = 0; have && i < BIG_ROWS; i++) {
		char k[32];

		sprintf(k, "big%04d", i);
		value(buf, i, 9, big_len(i));
		rows += exodb_get(t, big, k, strlen(k), &v, &vl) == 0 &&
			vl == big_len(i) && !memcmp(v, buf, vl);
	}
	if (have && rows != BIG_ROWS)
		ret = -1, snprintf(why, wl, "the big table is half there (%d of "
				   "%d rows)", rows, BIG_ROWS);
	err = exodb_get(t, tb, "after", 5, &v, &vl);
	if (!ret && acked >= 2 && (err || vl != 2 || memcmp(v, "ok", 2)))
		ret = -1, snprintf(why, wl, "the commit after the drop lost");
	exodb_commit(t);
	if (!ret && exodb_check(db, NULL) != 0)
		ret = -1, snprintf(why, wl, "check not clean");
	exodb_close(db);
	return ret;
}

static void drop_crash(void)
{
	struct exodb_opts o = { .sz = sizeof(o), .create = 1, .pool_pages = 24,
				.log_blocks = 300, .no_sync = 1, .exo_fd = -1 };
	static uint8_t buf[8192];
	struct oplog log = { 0 };
	int err, states = 0, bad = 0, syncs = 0;
	uint64_t seed = 4242;
	unsigned tb, big;
	exodb_txn *t = NULL;
	exodb *db;

	err = new_base(&o, &db, &tb);
	if (!err)
		err = exodb_table(db, "big", 1, &big);
	for (int i = 0; !err && i < BIG_ROWS; i++) {
		char k[32];

		if (i % 8 == 0 && (err = exodb_begin(db, 0, &t)))
			break;
		sprintf(k, "big%04d", i);
		value(buf, i, 9, big_len(i));
		err = exodb_put(t, big, k, strlen(k), buf, big_len(i));
		if (!err && (i % 8 == 7 || i == BIG_ROWS - 1))
			err = exodb_commit(t);
	}
	struct exodb_stats st;
	exodb_stats(db, &st);
	if (!err)
		err = exodb_close(db);
	if (!tap_ok(!err && keep_base(), "drop: a database with a table of "
		    "%llu pages (the pool has 24)", st.pages))
		return;

	o.create = 0;
	exodb_file_hook = hook;
	exodb_file_hook_ctx = &log;
	err = exodb_open(base, &o, &db);
	if (!err)
		err = exodb_table_drop(db, "big");
	if (!err)
		push(&log, (struct op){ OP_ACK, 0, 0, NULL });
	if (!err)
		err = exodb_begin(db, 0, &t);
	if (!err)
		err = exodb_put(t, tb, "after", 5, "ok", 2);
	if (!err)
		err = exodb_commit(t);
	if (!err)
		push(&log, (struct op){ OP_ACK, 0, 0, NULL });
	exodb_file_hook = NULL;
	syncs = count_syncs(&log);
	tap_ok(!err, "drop: dropped, then a commit: %zu writes and syncs "
	       "recorded", log.n);
	bad = sweep(&log, verify_drop, "drop ", &seed, &states);
	tap_ok(bad == 0 && syncs > 4, "drop: a crash at each of its %d sync "
	       "points, exact and lossy: %d states, the table whole or gone, "
	       "gone once acknowledged, its pages free after open, check clean "
	       "(%d failed)", syncs, states, bad);
	oplog_free(&log);
	exodb_close(db);
}

/* ---- group commit: several writers committing durably at once ----------- */

#define WRITERS		4
#define WCOMMITS	15

static char wl_why[200];
static int wl_bad;

static void wl_result(int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok || wl_bad++)
		return;
	va_start(ap, fmt);
	vsnprintf(wl_why, sizeof(wl_why), fmt, ap);
	va_end(ap);
}

struct gw {
	pthread_t th;
	exodb *db;
	unsigned tb;
	int w, err;
	struct oplog *log;
};

static void *group_writer(void *arg)
{
	struct gw *g = arg;
	static __thread uint8_t buf[MAX_VAL];

	for (int i = 0; i < WCOMMITS && !g->err; i++) {
		g->err = wl_commit(g->db, g->tb, g->w, (uint64_t)i, buf);
		if (g->err)
			break;
		/* acknowledged: writer and commit number */
		pthread_mutex_lock(&hook_lock);
		push(g->log, (struct op){ OP_ACK, g->w, (uint64_t)i, NULL });
		pthread_mutex_unlock(&hook_lock);
	}
	return NULL;
}

/* Each writer at its last acknowledged commit before the cut, or the one
 * after; keys exact, no other key, check clean. */
static int verify_group(const char *dp, int acked, char *why, size_t wl)
{
	struct exodb_opts o = { .sz = sizeof(o), .pool_pages = 24,
				.no_sync = 1, .exo_fd = -1 };
	int64_t a[WRITERS];
	long want = 0, seen;
	exodb_txn *t;
	exodb *db;
	unsigned tb;

	(void)acked;
	for (int w = 0; w < WRITERS; w++)
		a[w] = -1;
	for (size_t i = 0; i < sweep_cut; i++)
		if (sweep_log->ops[i].type == OP_ACK)
			a[sweep_log->ops[i].area] = (int64_t)sweep_log->ops[i].block;
	wl_bad = 0;
	if (open_t(dp, &o, &db, &tb, &t, why, wl))
		return -1;
	for (int w = 0; w < WRITERS; w++)
		wl_verify(t, tb, w, a[w], a[w] + 1, "", &want);
	seen = wl_count(t, tb);
	wl_result(seen == want, "the table holds %ld keys, the model %ld", seen,
		  want);
	exodb_commit(t);
	wl_result(exodb_check(db, NULL) == 0, "check not clean");
	exodb_close(db);
	if (wl_bad)
		snprintf(why, wl, "%s", wl_why);
	return wl_bad ? -1 : 0;
}

static void group_crash(void)
{
	struct exodb_opts o = { .sz = sizeof(o), .create = 1, .pool_pages = 48,
				.log_blocks = 300, .no_sync = 1, .exo_fd = -1 };
	struct oplog log = { 0 };
	struct gw g[WRITERS];
	struct exodb_stats st;
	uint64_t seed = 777;
	int err, states = 0, bad = 0, syncs, acks = 0;
	unsigned tb;
	exodb *db;

	err = new_base(&o, &db, &tb);
	if (!err)
		err = exodb_close(db);
	if (!tap_ok(!err && keep_base(), "group: a database with one table"))
		return;

	o.create = 0;
	sync_us = 2000;		/* a flush the other writers can wait on */
	exodb_file_hook = hook;
	exodb_file_hook_ctx = &log;
	err = exodb_open(base, &o, &db);
	if (!err)
		err = exodb_table(db, "t", 0, &tb);
	for (int w = 0; w < WRITERS && !err; w++) {
		g[w] = (struct gw){ .db = db, .tb = tb, .w = w, .log = &log };
		pthread_create(&g[w].th, NULL, group_writer, &g[w]);
	}
	for (int w = 0; w < WRITERS && !err; w++) {
		pthread_join(g[w].th, NULL);
		err = g[w].err;
	}
	exodb_file_hook = NULL;
	sync_us = 0;
	/* the process dies here: no close */
	exodb_stats(db, &st);
	syncs = count_syncs(&log);
	for (size_t i = 0; i < log.n; i++)
		acks += log.ops[i].type == OP_ACK;
	tap_ok(!err && acks == WRITERS * WCOMMITS &&
	       st.log_flushes < st.commits, "group: %d writers committed %d "
	       "durable transactions each at once: %llu commits, %llu log "
	       "flushes (%s)", WRITERS, WCOMMITS, st.commits, st.log_flushes,
	       exodb_strerror(err));
	bad = sweep(&log, verify_group, "group ", &seed, &states);
	tap_ok(bad == 0 && syncs > 4, "group: a crash at each of its %d sync "
	       "points, exact and lossy: %d states, each writer at its last "
	       "acknowledged commit or the next, keys exact, check clean (%d "
	       "failed)", syncs, states, bad);
	oplog_free(&log);
}

int main(void)
{
	const char *tmp = getenv("EXODB_TMP");
	struct exodb_opts o = { .sz = sizeof(o), .create = 1, .pool_pages = 24,
				.log_blocks = 300, .no_sync = 1, .exo_fd = -1 };
	struct oplog log = { 0 };
	exodb *db;
	exodb_txn *t;
	unsigned tb;
	int err = 0, states = 0, bad = 0, rstates = 0, rbad = 0, syncs = 0;
	char why[200] = "";
	static uint8_t buf[4096];
	uint64_t seed = 42;

	snprintf(dir, sizeof(dir), "%s", tmp ? tmp : "/tmp");
	snprintf(base, sizeof(base), "%s/crash.db", dir);
	snprintf(basewal, sizeof(basewal), "%s-wal", base);
	snprintf(scratch, sizeof(scratch), "%s/crash-s.db", dir);
	snprintf(scratchwal, sizeof(scratchwal), "%s-wal", scratch);
	err = new_base(&o, &db, &tb);
	if (!err)
		err = exodb_close(db);
	if (!tap_ok(!err && keep_base(), "a database with one table"))
		return tap_done();

	/* the workload, every write and sync recorded */
	o.create = 0;
	exodb_file_hook = hook;
	exodb_file_hook_ctx = &log;
	err = exodb_open(base, &o, &db);
	for (int i = 0; i < TXNS && !err; i++) {
		err = exodb_begin(db, 0, &t);
		for (int j = 0; j < nkeys(i) && !err; j++) {
			char k[32];

			sprintf(k, "%04d-%d", i, j);
			value(buf, i, j, vlen(i, j));
			err = exodb_put(t, tb, k, strlen(k), buf, vlen(i, j));
		}
		if (!err)
			err = exodb_put(t, tb, "counter", 7, &i, sizeof(i));
		if (!err)
			err = exodb_commit(t);
		if (!err)
			push(&log, (struct op){ OP_ACK, 0, 0, NULL });
	}
	exodb_file_hook = NULL;
	/* the process dies here: no close, nothing more written */
	syncs = count_syncs(&log);
	struct exodb_stats st;
	exodb_stats(db, &st);
	tap_ok(!err && st.checkpoints > 1, "workload: %d commits, %zu writes and "
	       "syncs recorded, %llu checkpoints (the log wrapped)", TXNS, log.n,
	       st.checkpoints);

	/* every sync point, exact and lossy */
	bad = sweep(&log, verify, "", &seed, &states);
	tap_ok(bad == 0, "crash at each of %d sync points, exact and with "
	       "unsynced writes lost or torn: %d states, every acknowledged "
	       "commit there, no transaction half there (%d failed)", syncs,
	       states, bad);

	/* a crash during recovery: cut recovery's own writes */
	for (size_t cut = log.n / 3; cut <= log.n; cut += log.n / 5 + 1) {
		struct oplog rlog = { 0 };
		struct exodb_opts ro = { .sz = sizeof(ro), .pool_pages = 24,
					 .no_sync = 1, .exo_fd = -1 };
		int acked = acked_before(&log, cut);
		exodb *r;
		uint8_t *save[2];
		size_t savelen[2];

		while (cut < log.n && log.ops[cut].type != OP_S)
			cut++;
		materialise(&log, cut, 1, seed++, scratch, scratchwal);
		/* the crashed state becomes the base for recovery's writes */
		save[0] = img[0], save[1] = img[1];
		savelen[0] = imglen[0], savelen[1] = imglen[1];
		img[0] = slurp(scratch, &imglen[0]);
		img[1] = slurp(scratchwal, &imglen[1]);
		exodb_file_hook = hook;
		exodb_file_hook_ctx = &rlog;
		if (exodb_open(scratch, &ro, &r) == 0) {
			exodb_file_hook = NULL;
			exodb_close(r);
		}
		exodb_file_hook = NULL;
		for (size_t rc = 0; rc <= rlog.n; rc++) {
			if (rc < rlog.n && rlog.ops[rc].type != OP_S)
				continue;
			materialise(&rlog, rc, 1, seed++, scratch, scratchwal);
			rstates++;
			if (verify(scratch, acked, why, sizeof(why)) &&
			    rbad++ < 5)
				tap_diag("recovery cut at %zu: %s", rc, why);
		}
		free(img[0]);
		free(img[1]);
		img[0] = save[0], img[1] = save[1];
		imglen[0] = savelen[0], imglen[1] = savelen[1];
		oplog_free(&rlog);
	}
	tap_ok(rstates > 5 && rbad == 0, "crash during recovery, at each of its "
	       "sync points: %d states recover again (%d failed)", rstates, rbad);

	/* a damaged log record with durable records after it */
	{
		size_t target = 0;
		int later = 0;

		for (size_t i = log.n; i-- > 0;) {
			if (log.ops[i].type == OP_S && log.ops[i].area == 1)
				later++;
			if (later >= 3 && log.ops[i].type == OP_W &&
			    log.ops[i].area == 1 && log.ops[i].block >= 2) {
				target = i;
				break;
			}
		}
		materialise(&log, log.n, 0, 0, scratch, scratchwal);
		int fd = open(scratchwal, O_RDWR);
		uint8_t b;
		off_t off = (off_t)(log.ops[target].block * 4096 + 12);

		pread(fd, &b, 1, off);
		b ^= 0x10;
		pwrite(fd, &b, 1, off);
		close(fd);
		exodb *d2;
		struct exodb_opts ro = { .sz = sizeof(ro), .pool_pages = 24,
					 .no_sync = 1, .exo_fd = -1 };
		err = exodb_open(scratch, &ro, &d2);
		tap_ok(target && err == -EUCLEAN, "a damaged log record followed "
		       "by durable records: open reports -EUCLEAN (%s)",
		       exodb_strerror(err));
		if (!err)
			exodb_close(d2);
	}
	oplog_free(&log);
	drop_crash();
	group_crash();
	unlink(scratch);
	unlink(scratchwal);
	tap_plan(tap_n);
	return tap_done();
}
