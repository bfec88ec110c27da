// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Repossession on the host: the file backend with a fault-injecting
 * wrapper that answers as exo does when it has taken a frame (the I/O
 * naming it: -EKEYREVOKED), below the public API.  The exo paths of
 * pool/lost.c and wal.c that only an abort reaches in the guest, by
 * chance, are driven here on purpose.
 *
 *  - the log's staging frames: a log write names a repossessed staging
 *    frame, and a fresh one is taken again before it is bound (another
 *    abort: exo takes the newest frames first).  The commit must still be
 *    made durable and acknowledged, and the log must go on working (a
 *    failed staging remap used to leave the log's sticky I/O error: no
 *    commit of the handle could ever succeed again).
 *  - pages lost (as the event thread marks them after an abort) while a
 *    write transaction is open and its owner waits for a reader: the
 *    reader must rebuild them and finish.  (The rebuild used to need the
 *    writer lock, which a write transaction holds from begin to commit:
 *    readers spun until the writer committed, here for ever, and the
 *    event thread stopped answering exo's revocation requests.)
 *  - dirty pages whose frames are taken under their write-back (by an
 *    eviction or a checkpoint): the batch's write answers EKEYREVOKED,
 *    each page is written alone, the dead one is marked lost and rebuilt
 *    (the disk's copy, then its records from the log).  Rows exact,
 *    check clean, and again after reopening.
 *  - the file backend is no part of it: an I/O error that happens to be
 *    one of the errnos exo answers for a taken frame (EBADF here, from a
 *    data file that can no longer be written; NFS answers ESTALE) is an
 *    error, not a repossession: the checkpoint fails with it, no page is
 *    marked lost, the pool's count of frames stays true.
 *  - frames taken for real, SIGBUS included: the fake unbinds a taken
 *    frame's page by mapping a page of an empty memfd over it (a touch
 *    gets SIGBUS, as on exo), I/O naming it answers EKEYREVOKED, and the
 *    library's handler gets a fresh frame from the fake's ->replace (the
 *    disk's copy).  Every resident page's frame taken under a reader, then
 *    under a writer with dirty pages, then with the handler's own new
 *    frames taken before they are filled (nested SIGBUS: SA_NODEFER),
 *    a cursor half way through a scan when frames are taken, a sweep
 *    (the vector overflowed: pool_sweep_dead), then marked as the event
 *    thread does before anyone touches them:
 *    rows exact, counts true, check clean, reopened exact.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* memfd_create */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "test/rows.h"
#include "test/tap.h"

static struct be_ops fake;
static const struct be_ops *real;
static struct exodb *cur;
static int log_writes_dead;	/* log writes to answer -EKEYREVOKED */
static int stage_maps_dead;	/* staging frame maps to answer likewise */
static int log_deaths, map_deaths;

static bool in_stage(const void *a)
{
	const char *s = (const char *)cur->wal.stage;

	return s && (const char *)a >= s &&
	       (const char *)a < s + (size_t)WAL_FRAMES * PAGE;
}

/* Frames taken (by number: the file backend's frames are numbers). */
#define MAXDEAD	4096
static uint64_t dead[MAXDEAD];
static int ndead, deadfd = -1, replaced, take_new;

static bool is_dead(uint64_t f)
{
	for (int i = 0; i < ndead; i++)
		if (dead[i] == f)
			return true;
	return false;
}

static int data_writes_dead;	/* data write-backs to meet a taken frame */
static int64_t victim = -1;	/* the page whose frame it is */
static int data_deaths;

static int fk_write(struct backend *b, enum be_area a, const struct be_vec *v,
		    uint32_t n, bool durable)
{
	if (a == BE_LOG && log_writes_dead > 0) {
		log_writes_dead--;
		log_deaths++;
		return -EKEYREVOKED;
	}
	if (a == BE_DATA && victim < 0 && data_writes_dead > 0 &&
	    v[0].block > 0) {
		/* the frame of the batch's first page was taken: the batch
		 * fails, as exo's does, and each page is written alone */
		victim = (int64_t)v[0].block;
		return -EKEYREVOKED;
	}
	for (uint32_t i = 0; a == BE_DATA && i < n; i++)
		if (is_dead(v[i].frame))
			return -EKEYREVOKED;
	if (a == BE_DATA && victim >= 0) {
		for (uint32_t i = 0; i < n; i++)
			if ((int64_t)v[i].block == victim) {
				data_writes_dead--;
				data_deaths++;
				victim = -1;
				return -EKEYREVOKED;
			}
	}
	return real->write(b, a, v, n, durable);
}

static int fk_map(struct backend *b, const struct be_vec *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (is_dead(v[i].frame))
			return -EKEYREVOKED;
	if (n && in_stage(v[0].addr) && stage_maps_dead > 0) {
		stage_maps_dead--;
		map_deaths++;
		return -EKEYREVOKED;
	}
	return real->map(b, v, n);
}

static void bind_anon(void *addr)
{
	if (mmap(addr, PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		abort();
}

/* exo takes page @pid's frame: unbound (SIGBUS on a touch), I/O refused. */
static uint64_t take(struct pool *p, uint64_t pid)
{
	uint64_t f = p->pm[pid].frame;

	if (ndead == MAXDEAD || deadfd < 0 ||
	    mmap(pool_addr(p, pid), PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, deadfd, 0) == MAP_FAILED)
		abort();
	dead[ndead++] = f;
	return f;
}

/* The SIGBUS handler's: a fresh frame at @addr with the disk's copy. */
static int fk_replace(struct backend *b, enum be_area a, uint64_t block,
		      void *addr, uint64_t *frame)
{
	uint64_t fr;
	struct be_vec v;

	if (a != BE_DATA || real->frames_get(b, 1, &fr))
		return -ENOMEM;
	replaced++;
	bind_anon(addr);
	__atomic_store_n(frame, fr, __ATOMIC_RELEASE);
	if (take_new > 0) {
		/* another abort takes the new frame before it is filled: the
		 * copy faults (EFAULT), the memset below gets SIGBUS (nested) */
		take_new--;
		if (ndead == MAXDEAD ||
		    mmap(addr, PAGE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, deadfd, 0) == MAP_FAILED)
			return -ENOMEM;
		dead[ndead++] = fr;
	}
	v = (struct be_vec){ block, addr, fr };
	if (real->read(b, BE_DATA, &v, 1) || page_verify(addr, block))
		memset(addr, 0, PAGE);
	return 0;
}

static int fk_read(struct backend *b, enum be_area a, const struct be_vec *v,
		   uint32_t n)
{
	for (uint32_t i = 0; a == BE_DATA && i < n; i++)
		if (is_dead(v[i].frame))
			return -EKEYREVOKED;
	return real->read(b, a, v, n);
}

static int fk_unmap(struct backend *b, const struct be_vec *v, uint32_t n)
{
	(void)b;
	for (uint32_t i = 0; i < n; i++)
		bind_anon(v[i].addr);	/* unbound: nothing there */
	return 0;
}

/* The database at @p, on the fake backend, with a pool of @pool frames. */
static exodb *open_pool(const char *p, int create, unsigned pool)
{
	struct exodb_opts o = { .sz = sizeof(o), .create = create,
				.pool_pages = pool, .no_sync = 1, .exo_fd = -1 };
	exodb *db = NULL;
	int err = exodb_open(p, &o, &db);

	if (err) {
		tap_diag("open %s: %s", p, exodb_strerror(err));
		return NULL;
	}
	cur = db;
	real = db->be->ops;
	fake = *real;
	fake.write = fk_write;
	fake.map = fk_map;
	fake.replace = fk_replace;	/* frames can be taken */
	db->be->ops = &fake;
	return db;
}

static exodb *open_db(const char *p, int create)
{
	return open_pool(p, create, 32);
}

static exodb *open_small(const char *p, int create)
{
	return open_pool(p, create, 16);
}

/* Reopened by @op: every row acknowledged is there, check clean. */
static void reopened(exodb *(*op)(const char *, int), const char *p, int n)
{
	exodb *db = op(p, 0);
	unsigned tb;
	int got = -1;

	if (db && !exodb_table(db, "t", 0, &tb))
		got = rows_count(db, tb, 300);
	tap_ok(got == n, "reopened: every acknowledged row is there (%d of %d)",
	       got, n);
	if (db) {
		tap_ok(exodb_check(db, stdout) == 0, "check clean");
		exodb_close(db);
	}
}

static void staging(const char *p)
{
	exodb *db = open_db(p, 1);
	unsigned tb;
	int err = 0, i, n = 0;

	if (!tap_ok(db && !exodb_table(db, "t", 1, &tb), "made a database"))
		return;
	for (i = 0; i < 20 && !err; i++)
		err = rows_put(db, tb, n++, 300);
	tap_ok(!err, "20 commits");

	/* a staging frame taken; the fresh one taken before it is bound */
	log_writes_dead = 1;
	stage_maps_dead = 1;
	err = rows_put(db, tb, n++, 300);
	tap_ok(err == 0 && log_deaths == 1 && map_deaths == 1,
	       "a commit whose log write met a repossessed staging frame, "
	       "and whose new one was taken too, is acknowledged (%s)",
	       exodb_strerror(err));
	for (i = 0, err = 0; i < 20 && !err; i++)
		err = rows_put(db, tb, n++, 300);
	tap_ok(!err, "the log goes on: 20 commits more (%s)",
	       exodb_strerror(err));

	/* taken again and again: a few times in a row is still survived */
	log_writes_dead = 3;
	stage_maps_dead = 3;
	err = rows_put(db, tb, n++, 300);
	tap_ok(err == 0 && !log_writes_dead && !stage_maps_dead,
	       "three log writes and three remaps in a row: acknowledged (%s)",
	       exodb_strerror(err));
	tap_ok(rows_count(db, tb, 300) == n, "every row reads back (%d)", n);
	tap_ok(exodb_check(db, stdout) == 0, "check clean");
	tap_ok(exodb_close(db) == 0, "close");

	reopened(open_db, p, n);
}

/* Every frame the pool counts is a free one or a resident page's. */
static bool counted(struct pool *p)
{
	bool ok;

	pthread_mutex_lock(&p->lock);
	ok = p->held == p->resident + p->nfree;
	if (!ok)
		tap_diag("held %u, resident %u, free %u", (unsigned)p->held,
			 (unsigned)p->resident, (unsigned)p->nfree);
	pthread_mutex_unlock(&p->lock);
	return ok;
}

static void write_back(const char *p)
{
	exodb *db = open_small(p, 1);
	unsigned tb;
	int err = 0, i, n = 0;

	if (!tap_ok(db && !exodb_table(db, "t", 1, &tb), "made a database"))
		return;
	/* 16 frames, ~40 pages: commits evict dirty pages as they go */
	data_writes_dead = 10;
	for (i = 0; i < 400 && !err; i++)
		err = rows_put(db, tb, n++, 300);
	tap_ok(!err && data_deaths == 10,
	       "400 commits while 10 evictions met a taken frame (%d; %s)",
	       data_deaths, exodb_strerror(err));
	tap_ok(rows_count(db, tb, 300) == n, "every row reads back (%d)", n);
	data_writes_dead = 3;
	for (i = 0; i < 30 && !err; i++)
		err = rows_put(db, tb, i, 300);	/* rewrites: pages dirty again */
	err = err ? err : exodb_checkpoint(db);
	tap_ok(!err && !atomic_load(&db->pool.lost_pages),
	       "a checkpoint whose write-back met taken frames (%d in all): "
	       "done, no page lost (%s)", data_deaths, exodb_strerror(err));
	data_writes_dead = 0;
	victim = -1;
	tap_ok(counted(&db->pool), "the pool's count of frames held is "
	       "its free and resident ones");
	tap_ok(rows_count(db, tb, 300) == n, "every row reads back (%d)", n);
	tap_ok(exodb_check(db, stdout) == 0, "check clean");
	tap_ok(exodb_close(db) == 0, "close");
	reopened(open_small, p, n);
}

/* The descriptor of ours that has @path open, other than @not. */
static int fd_of(const char *path, int not)
{
	char want[4096], l[64], got[4096];
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int fd = -1;

	if (!d || !realpath(path, want)) {
		if (d)
			closedir(d);
		return -1;
	}
	while (fd < 0 && (e = readdir(d))) {
		int f = atoi(e->d_name);
		ssize_t n;

		if (e->d_name[0] == '.' || f == not || f == dirfd(d))
			continue;
		snprintf(l, sizeof(l), "/proc/self/fd/%d", f);
		n = readlink(l, got, sizeof(got) - 1);
		if (n > 0) {
			got[n] = 0;
			if (!strcmp(got, want))
				fd = f;
		}
	}
	closedir(d);
	return fd;
}

static void file_errors(const char *p)
{
	exodb *db;
	struct exodb_opts o = { .sz = sizeof(o), .create = 1,
				.pool_pages = 16, .no_sync = 1, .exo_fd = -1 };
	unsigned tb;
	int err = 0, i, ro, fd, saved;

	if (!tap_ok(!exodb_open(p, &o, &db) && !exodb_table(db, "t", 1, &tb),
		    "made a database (the file backend as it is)"))
		return;
	for (i = 0; i < 10 && !err; i++)
		err = rows_put(db, tb, i, 300);
	ro = open(p, O_RDONLY);
	fd = fd_of(p, ro);
	saved = fd >= 0 ? dup(fd) : -1;
	if (!tap_ok(!err && ro >= 0 && fd >= 0 && saved >= 0,
		    "10 commits; the data file's descriptor found"))
		return;
	dup2(ro, fd);		/* pwrite now answers EBADF */
	err = exodb_checkpoint(db);
	tap_ok(err && err != -EAGAIN && !atomic_load(&db->pool.lost_pages),
	       "a checkpoint whose writes fail with EBADF fails (%s), and no "
	       "page is taken for repossessed", exodb_strerror(err));
	tap_ok(counted(&db->pool), "the pool's count of frames held is its "
	       "free and resident ones");
	dup2(saved, fd);	/* writable again */
	close(saved);
	close(ro);
	tap_ok(exodb_checkpoint(db) == 0 && rows_count(db, tb, 300) == 10,
	       "writable again: a checkpoint, 10 rows");
	tap_ok(exodb_check(db, stdout) == 0, "check clean");
	tap_ok(exodb_close(db) == 0, "close");
}

static bool sweep_cb(void *ctx, uint64_t f)
{
	(void)ctx;
	return is_dead(f);
}

static exodb *open_sigbus(const char *p, int create)
{
	exodb *db = open_small(p, create);

	if (!db)
		return NULL;
	fake.read = fk_read;
	fake.unmap = fk_unmap;
	lost_register(db);	/* the handler, as an exo-backed open does */
	return db;
}

/* Every resident page's frame taken; how many. */
static int take_all(struct pool *p, uint64_t *fr, int max)
{
	int n = 0;

	for (uint64_t pid = 0; pid < p->hw && n < max; pid++)
		if (PS_STATE(atomic_load(&p->pm[pid].state)) != PS_EVICTED &&
		    p->pm[pid].frame)
			fr[n++] = take(p, pid);
	return n;
}

static void sigbus(const char *p)
{
	exodb *db;
	unsigned tb;
	uint64_t fr[64];
	int err = 0, i, n = 0, k;

	deadfd = memfd_create("exodb-dead", MFD_CLOEXEC);
	db = open_sigbus(p, 1);
	if (!tap_ok(deadfd >= 0 && db && !exodb_table(db, "t", 1, &tb),
		    "made a database (frames can be taken, SIGBUS included)"))
		return;
	for (i = 0; i < 100 && !err; i++)
		err = rows_put(db, tb, n++, 300);
	err = err ? err : exodb_checkpoint(db);
	tap_ok(!err, "100 commits, checkpoint");

	/* clean pages, touched by a reader before the news comes */
	k = take_all(&db->pool, fr, 64);
	i = rows_count(db, tb, 300);
	tap_ok(i == n && !atomic_load(&db->pool.lost_pages) &&
	       counted(&db->pool) && replaced > 0, "%d frames taken: a reader "
	       "faults on them (%d SIGBUS), gets the disk's copies, and reads "
	       "all %d rows (%d)", k, replaced, n, i);
	replaced = 0;

	/* dirty pages, under a writer */
	for (i = 0; i < 20 && !err; i++)
		err = rows_put(db, tb, i, 300);	/* rewrites: dirty, not written */
	k = take_all(&db->pool, fr, 64);
	for (i = 0; i < 20 && !err; i++)
		err = rows_put(db, tb, n++, 300);
	i = rows_count(db, tb, 300);
	tap_ok(!err && i == n && counted(&db->pool) && replaced > 0,
	       "%d frames taken from dirty pages: 20 commits on (%d SIGBUS), "
	       "every row exact (%d of %d; %s)", k, replaced, i, n,
	       exodb_strerror(err));

	/* the handler's own new frames taken before they are filled */
	replaced = 0;
	take_new = 3;
	k = take_all(&db->pool, fr, 64);
	i = rows_count(db, tb, 300);
	tap_ok(i == n && !take_new && replaced > 3 && counted(&db->pool) &&
	       !atomic_load(&db->pool.lost_pages), "%d frames taken, and "
	       "the SIGBUS handler's new frame 3 times before it was filled "
	       "(nested SIGBUS, %d in all): all %d rows (%d)", k, replaced, n,
	       i);

	/* a cursor kept across it: on from where it was, no row twice */
	{
		exodb_txn *t;
		exodb_cursor *c;
		int seen = 0, inorder = 1;
		char last[16] = "";

		err = exodb_begin(db, EXODB_RDONLY, &t);
		err = err ? err : exodb_cursor_open(t, tb, &c);
		for (err = err ? err : exodb_cursor_seek(c, EXODB_FIRST, NULL, 0);
		     !err; err = exodb_cursor_next(c)) {
			const void *key;
			size_t kl;

			exodb_cursor_get(c, &key, &kl, NULL, NULL);
			if (kl >= sizeof(last) ||
			    (seen && memcmp(key, last, kl) <= 0))
				inorder = 0;
			memcpy(last, key, kl);
			last[kl] = 0;
			if (++seen == n / 2)
				k = take_all(&db->pool, fr, 64);
		}
		tap_ok(err == -ENOENT && seen == n && inorder,
		       "a cursor half way when %d frames were taken goes on: "
		       "%d rows, in order, none twice (%s)", k, seen,
		       exodb_strerror(err));
		exodb_cursor_close(c);
		exodb_abort(t);
		err = 0;
	}

	/* a write transaction's own reads, after its begin */
	{
		exodb_txn *t;
		const void *v = NULL;
		size_t vl = 0;
		char v2[300];

		err = exodb_begin(db, 0, &t);
		k = take_all(&db->pool, fr, 64);
		err = err ? err : exodb_get(t, tb, "k00007", 6, &v, &vl);
		i = !err && vl == 300 && ((const char *)v)[0] == 'a' + 7;
		memset(v2, 'a' + 7, sizeof(v2));
		err = err ? err : exodb_put(t, tb, "k00007", 6, v2, sizeof(v2));
		err = err ? err : exodb_commit(t);
		tap_ok(!err && i && rows_count(db, tb, 300) == n &&
		       counted(&db->pool), "%d frames taken in a write "
		       "transaction: its read exact, its commit done (%s)", k,
		       exodb_strerror(err));
	}

	/* the vector overflowed: every frame held asked about (a sweep) */
	for (i = 0; i < 10 && !err; i++)
		err = rows_put(db, tb, i, 300);
	k = take_all(&db->pool, fr, 64);
	pthread_mutex_lock(&db->rebuild);
	i = pool_sweep_dead(&db->pool, sweep_cb, NULL);
	err = err ? err : db_rebuild_lost(db);
	pthread_mutex_unlock(&db->rebuild);
	tap_ok(!err && i == k && !atomic_load(&db->pool.lost_pages) &&
	       rows_count(db, tb, 300) == n && counted(&db->pool),
	       "%d frames taken, found by a sweep (%d): rebuilt, every row "
	       "exact", k, i);

	/* the event thread's news first: marked, rebuilt, nobody touched */
	for (i = 0; i < 10 && !err; i++)
		err = rows_put(db, tb, i, 300);
	k = take_all(&db->pool, fr, 64);
	pthread_mutex_lock(&db->rebuild);
	for (i = 0; i < k; i++)
		pool_mark_lost(&db->pool, fr[i]);
	err = err ? err : db_rebuild_lost(db);
	pthread_mutex_unlock(&db->rebuild);
	tap_ok(!err && !atomic_load(&db->pool.lost_pages) &&
	       rows_count(db, tb, 300) == n && counted(&db->pool),
	       "%d frames taken and marked as the event thread does: rebuilt "
	       "(dirty ones from the log), every row exact", k);
	tap_ok(exodb_check(db, stdout) == 0, "check clean");
	tap_ok(exodb_close(db) == 0, "close");
	ndead = 0;
	reopened(open_small, p, n);
	close(deadfd);
	deadfd = -1;
}

static pthread_mutex_t wl = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wc = PTHREAD_COND_INITIALIZER;
static int w_begun, r_done, w_ended, w_err = 1;

/*
 * A writer that begins, then waits for the reader before it commits (as
 * an application may).  A bound on the wait turns a hang into a failure.
 */
static void *writer(void *arg)
{
	exodb *db = cur;
	unsigned tb = *(unsigned *)arg;
	struct timespec until;
	exodb_txn *t;

	w_err = exodb_begin(db, 0, &t);
	pthread_mutex_lock(&wl);
	w_begun = 1;
	pthread_cond_broadcast(&wc);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	while (!r_done && pthread_cond_timedwait(&wc, &wl, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&wl);
	if (!w_err) {
		char v[300];

		memset(v, 'a' + 50 % 26, sizeof(v));
		w_err = exodb_put(t, tb, "k00050", 6, v, sizeof(v));
		if (!w_err)
			w_err = exodb_commit(t);
		else
			exodb_abort(t);
	}
	pthread_mutex_lock(&wl);
	w_ended = 1;
	pthread_mutex_unlock(&wl);
	return NULL;
}

static void open_writer(const char *p)
{
	exodb *db = open_db(p, 1);
	struct pool *pool;
	pthread_t w;
	unsigned tb;
	int err = 0, i, lost = 0, n;

	if (!tap_ok(db && !exodb_table(db, "t", 1, &tb), "made a database"))
		return;
	for (i = 0; i < 50 && !err; i++)
		err = rows_put(db, tb, i, 300);
	tap_ok(!err && exodb_checkpoint(db) == 0, "50 commits, checkpoint");
	pool = &db->pool;

	pthread_create(&w, NULL, writer, &tb);
	pthread_mutex_lock(&wl);
	while (!w_begun)
		pthread_cond_wait(&wc, &wl);
	pthread_mutex_unlock(&wl);
	/* every resident page's frame taken, as the event thread marks it */
	for (uint64_t pid = 0; pid < pool->hw; pid++)
		if (PS_STATE(atomic_load(&pool->pm[pid].state)) != PS_EVICTED) {
			pool_page_lost(pool, pid);
			lost++;
		}
	n = rows_count(db, tb, 300);
	pthread_mutex_lock(&wl);
	tap_ok(n == 50 && !w_ended, "%d pages lost while a write transaction "
	       "is open: a reader rebuilds them and reads all 50 rows (%d) "
	       "before the writer commits", lost, n);
	r_done = 1;
	pthread_cond_broadcast(&wc);
	pthread_mutex_unlock(&wl);
	pthread_join(w, NULL);
	tap_ok(w_err == 0 && !atomic_load(&pool->lost_pages),
	       "the writer commits after it (%s); no page lost",
	       exodb_strerror(w_err));
	tap_ok(rows_count(db, tb, 300) == 51, "51 rows");
	tap_ok(counted(pool), "the pool's count of frames held is its free "
	       "and resident ones");
	tap_ok(exodb_check(db, stdout) == 0, "check clean");
	tap_ok(exodb_close(db) == 0, "close");
}

int main(void)
{
	const char *tmp = getenv("EXODB_TMP");
	char p[600], w[700];

	snprintf(p, sizeof(p), "%s/lost.db", tmp ? tmp : "/tmp");
	snprintf(w, sizeof(w), "%s-wal", p);
	unlink(p);
	unlink(w);
	staging(p);
	unlink(p);
	unlink(w);
	open_writer(p);
	unlink(p);
	unlink(w);
	write_back(p);
	unlink(p);
	unlink(w);
	file_errors(p);
	unlink(p);
	unlink(w);
	sigbus(p);
	unlink(p);
	unlink(w);
	tap_plan(tap_n);
	return tap_done();
}
