// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Repossessed frames: what the engine does when exo's abort protocol
 * takes frames it did not give back in time.
 *
 * exo takes the newest frames first, kills their capabilities, unbinds
 * them and says which in the env page's repossession vector (read by
 * the event thread: backend-exo.c, take_repossessed).  Three things can
 * then happen to a page of the pool:
 *
 *  - nobody touches it before the event thread hears: pool_mark_lost()
 *    marks it lost, and db_rebuild_lost() drops it (a clean page) or
 *    reads the disk's copy and redoes the log on it (a dirty one);
 *  - an I/O names its dead frame (eviction, a checkpoint, a miss that
 *    took a frame from the free list): exo answers EKEYREVOKED (or, once
 *    the event thread closed the tombstone, ESTALE) and the pool drops
 *    the frame, or marks its page lost;
 *  - a thread touches it: exo answers the access with SIGBUS.  The
 *    handler here binds a fresh frame at the page's address holding the
 *    disk's copy (a valid, older version of the page: the thread cannot
 *    run off it), marks the page lost and bumps pool.lost_seq.  A thread
 *    in the middle of an operation must not go on with a page that
 *    changed under it: if the operation armed an escape (lost_arm), the
 *    handler jumps back to it (siglongjmp), the latches the thread holds
 *    (recorded by the pool's fix functions while armed) are released
 *    (lost_landed), the pages are rebuilt and the operation runs again;
 *    a write transaction's apply rolls back first.  Inside the pool's
 *    own code (a miss, an eviction) the escape waits until the pool is
 *    consistent again (lost_tls.depth) and is taken at the next fix.
 *
 * No operation starts while a page is lost (lost_settle: it waits for, or
 * does, the rebuild), and each compares lost_seq at its end with the
 * value it started with: the handler counts the page lost and moves
 * lost_seq before the disk's copy can be read, so whoever read that copy
 * (another thread's handler bound it) runs again too.  A rebuild keeps
 * the page latched from the drop to its last redone record.
 *
 * The log's records live in ordinary memory; its frames only stage its
 * I/O (wal.c), and a staging frame taken is replaced and the I/O redone.
 * A dirty page that cannot be rebuilt (its redo failed) breaks the
 * database: its committed state is only in the log now, so every later
 * call fails with EIO (none that was acknowledged is lost; reopen).
 *
 * The handler is process-wide (SIGBUS, installed at the first exo-backed
 * open); an address that is not ours gets the previous disposition.  It
 * makes only system calls (exo's ioctls) and atomic stores, and may nest
 * (SA_NODEFER): the frame it binds can be taken before it is filled.
 */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../internal.h"

#define LOST_MAX_DBS	16
#define REBUILD_TRIES	1000	/* reloads of one page taken again and again */

__thread struct lost_tls lost_tls __attribute__((tls_model("initial-exec")));

static struct exodb *_Atomic lost_dbs[LOST_MAX_DBS];
static struct sigaction old_bus;
static pthread_once_t bus_once = PTHREAD_ONCE_INIT;

static void page_lost(struct pool *p, struct pmeta *m)
{
	if (!__atomic_exchange_n(&m->lost, 1, __ATOMIC_SEQ_CST))
		atomic_fetch_add(&p->lost_pages, 1);
}

void pool_page_lost(struct pool *p, uint64_t pid)
{
	page_lost(p, &p->pm[pid]);
}

/* The handler's work for page @pid: 0 if the page is usable again. */
static int replace_page(struct pool *p, uint64_t pid)
{
	struct pmeta *m = &p->pm[pid];
	int ret;

	if (PS_STATE(atomic_load(&m->state)) == PS_EVICTED)
		return -1;	/* touched without a latch: a bug, not ours */
	/*
	 * Lost, and lost_seq moved, before the new frame is there to be read
	 * (a seqlock's writer): whoever reads the disk's copy sees one of them.
	 */
	page_lost(p, m);
	atomic_fetch_add(&p->lost_seq, 1);
	/*
	 * The frame the page had is dead (its tombstone goes with its event),
	 * so the slot may name the new one before it holds anything.
	 */
	uint64_t dead = __atomic_load_n(&m->frame, __ATOMIC_ACQUIRE);

	__atomic_store_n(&m->replaced, 1, __ATOMIC_RELEASE);
	ret = p->be->ops->replace(p->be, BE_DATA, pid, pool_addr(p, pid),
				  &m->frame);
	if (ret && ret != -EEXIST)	/* EEXIST: another thread's handler */
		return ret;
	/* forgotten here: its tombstone goes (pool.c, drop_dead) */
	if (!ret && dead)
		p->be->ops->frames_put(p->be, &dead, 1);
	atomic_fetch_add(&p->lost_seq, 1);
	return 0;
}

/* A staging frame of the log (wal.c copies through them): a new one. */
static int replace_stage(struct wal *w, char *a)
{
	size_t i = (size_t)(a - (char *)w->stage) / PAGE;
	int ret = w->be->ops->replace(w->be, BE_LOG, UINT64_MAX,
				      w->stage + i * PAGE, &w->frames[i]);

	if (ret && ret != -EEXIST)
		return ret;
	atomic_store(&w->stage_lost, 1);	/* the copy goes again */
	return 0;
}

/* The handler cannot go on: say why, with what a handler may call. */
static void say_lost(const char *what, char *a, int err)
{
	char msg[128];
	int n = snprintf(msg, sizeof(msg), "exodb: SIGBUS at %p (%s): no "
			 "frame to replace the repossessed one (errno %d)\n",
			 a, what, -err);

	if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0)
		return;
}

/*
 * SA_NODEFER: exo may take the frame the handler just bound before it is
 * filled (another abort: the newest frames go first), and the handler's
 * own touch of it faults again.  A blocked SIGBUS would kill the process
 * there; the nested handler binds another frame and returns, and the
 * outer one goes on over it.  Only the outermost one escapes.
 */
static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	char *a = si->si_addr;
	int saved = errno, hit = 0, err = 0;

	(void)sig, (void)uc;
	lost_tls.in_handler++;
	for (int i = 0; i < LOST_MAX_DBS && !hit; i++) {
		struct exodb *db = atomic_load(&lost_dbs[i]);
		struct pool *p;

		if (!db)
			continue;
		p = &db->pool;
		if (a >= p->base && a < p->base + p->npages * PAGE) {
			err = replace_page(p, (uint64_t)(a - p->base) / PAGE);
			hit = err ? -1 : 1;
			if (err)
				say_lost("a page of the pool", a, err);
		} else if (db->wal.stage && a >= (char *)db->wal.stage &&
			   a < (char *)db->wal.stage + WAL_FRAMES * PAGE) {
			err = replace_stage(&db->wal, a);
			hit = err ? -1 : 2;
			if (err)
				say_lost("a staging frame of the log", a, err);
		}
	}
	errno = saved;
	lost_tls.in_handler--;
	if (hit <= 0) {
		/* not ours, or beyond help: the access again, as before us */
		sigaction(SIGBUS, &old_bus, NULL);
		return;
	}
	if (hit == 2 || lost_tls.in_handler)
		return;
	if (lost_tls.jb && !lost_tls.depth && !lost_tls.overflow)
		siglongjmp(*lost_tls.jb, 1);
	lost_tls.pending = 1;
}

static void install(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO | SA_NODEFER };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &old_bus))
		fprintf(stderr, "exodb: no SIGBUS handler: %s\n",
			strerror(errno));
}

void lost_register(struct exodb *db)
{
	pthread_once(&bus_once, install);
	for (int i = 0; i < LOST_MAX_DBS; i++) {
		struct exodb *none = NULL;

		if (atomic_compare_exchange_strong(&lost_dbs[i], &none, db))
			return;
	}
	fprintf(stderr, "exodb: more than %d databases open on exo: a "
		"repossessed frame will kill the process\n", LOST_MAX_DBS);
}

void lost_unregister(struct exodb *db)
{
	for (int i = 0; i < LOST_MAX_DBS; i++) {
		struct exodb *me = db;

		atomic_compare_exchange_strong(&lost_dbs[i], &me, NULL);
	}
}

/* ---- escapes --------------------------------------------------------------- */

void lost_escape_pending(void)
{
	if (lost_tls.pending && lost_tls.jb && !lost_tls.depth &&
	    !lost_tls.overflow)
		siglongjmp(*lost_tls.jb, 1);
}

/* Back from an escape: let go of every latch the operation held. */
void lost_landed(struct pool *p)
{
	struct lost_tls l = lost_tls;
	sigset_t bus;

	lost_tls.jb = NULL;	/* the unfixes below record nothing */
	lost_tls.n = 0;
	lost_tls.pending = 0;
	lost_tls.overflow = 0;
	lost_tls.depth = 0;
	for (int i = l.n; i-- > 0;) {
		if (l.x[i])
			pool_unfix_x(p, l.pid[i]);
		else
			pool_unfix_s(p, l.pid[i]);
	}
	/* left the handler by a jump (SA_NODEFER: nothing should be blocked) */
	sigemptyset(&bus);
	sigaddset(&bus, SIGBUS);
	pthread_sigmask(SIG_UNBLOCK, &bus, NULL);
}

/*
 * Before an operation: no page lost, and in *@seq the lost_seq to compare
 * with after it.  The handler counts a page lost before it moves lost_seq,
 * so a loss after the count read here shows in lost_seq at the end.
 * -EIO once a lost page could not be rebuilt (db->broken): its committed
 * state is only in the log, and nothing may read or change the pool.
 */
int lost_settle(struct exodb *db, uint64_t *seq)
{
	for (;;) {
		lost_wait_rebuilt(db);
		*seq = atomic_load(&db->pool.lost_seq);
		if (atomic_load(&db->broken))
			return -EIO;
		if (!atomic_load(&db->pool.lost_pages))
			return 0;
	}
}

/*
 * Until no page is lost: rebuild them ourselves unless a commit is being
 * applied (or a checkpoint, or another rebuild, runs): db->rebuild, which
 * a thread that holds it gets again.  Not db->writer: a write transaction
 * holds that from begin to commit, while its owner may wait for us.
 */
void lost_wait_rebuilt(struct exodb *db)
{
	while (atomic_load(&db->pool.lost_pages) && !atomic_load(&db->broken)) {
		if (!pthread_mutex_trylock(&db->rebuild)) {
			db_rebuild_lost(db);
			pthread_mutex_unlock(&db->rebuild);
		} else {
			sched_yield();
		}
	}
}

/* ---- the event thread's side ----------------------------------------------- */

/* Frame @frame was repossessed (an event): its page must be rebuilt. */
void pool_mark_lost(struct pool *p, uint64_t frame)
{
	for (uint64_t pid = 0; pid < p->hw; pid++) {
		struct pmeta *m = &p->pm[pid];

		if (PS_STATE(atomic_load(&m->state)) != PS_EVICTED &&
		    __atomic_load_n(&m->frame, __ATOMIC_ACQUIRE) == frame) {
			page_lost(p, m);
			return;
		}
	}
	/* a free frame: drop it from the free list */
	pthread_mutex_lock(&p->lock);
	for (uint32_t i = 0; i < p->nfree; i++)
		if (p->free_frames[i] == frame) {
			p->free_frames[i] = p->free_frames[--p->nfree];
			p->held--;
			break;
		}
	pthread_mutex_unlock(&p->lock);
}

/*
 * Every frame of the pool that @dead says exo took (the repossession
 * vector overflowed; @dead closes its tombstone): its page is marked
 * lost, or it leaves the free list.  Returns how many.
 */
int pool_sweep_dead(struct pool *p, bool (*dead)(void *, uint64_t),
		    void *ctx)
{
	uint64_t *fr;
	uint32_t n;
	int taken = 0;

	for (uint64_t pid = 0; pid < p->hw; pid++) {
		struct pmeta *m = &p->pm[pid];
		uint64_t f = __atomic_load_n(&m->frame, __ATOMIC_ACQUIRE);

		if (f && PS_STATE(atomic_load(&m->state)) != PS_EVICTED &&
		    dead(ctx, f)) {
			page_lost(p, m);
			taken++;
		}
	}
	pthread_mutex_lock(&p->lock);
	n = p->nfree;
	fr = malloc(sizeof(*fr) * (n ? n : 1));
	if (fr)
		memcpy(fr, p->free_frames, sizeof(*fr) * n);
	pthread_mutex_unlock(&p->lock);
	for (uint32_t i = 0; fr && i < n; i++)
		if (dead(ctx, fr[i])) {
			pool_mark_lost(p, fr[i]);
			taken++;
		}
	free(fr);
	return taken;
}

/* A repossessed frame's page, dirty, latched: redo it from the log. */
int wal_redo_page(struct wal *w, uint64_t pid, void *page);

/*
 * Rebuild every lost page: a clean one is dropped (and the handler's
 * frame, if any); a dirty one is read from disk into a new frame and
 * brought up to date from the log, latched throughout, so nobody reads
 * it half done.  The caller holds db->rebuild (no commit is being
 * applied) and no latch.
 */
int db_rebuild_lost(struct exodb *db)
{
	struct pool *p = &db->pool;
	int ret = 0;

	if (!atomic_load(&p->lost_pages))
		return 0;
	wal_flush_to(&db->wal, db->wal.tail);
	for (uint64_t pid = 0; pid < p->hw; pid++) {
		struct pmeta *m = &p->pm[pid];
		struct be_vec v = { pid, pool_addr(p, pid), 0 };
		bool dirty;

		unsigned s;

		if (!__atomic_load_n(&m->lost, __ATOMIC_ACQUIRE))
			continue;
		/* wait out readers */
		for (;;) {
			uint64_t w = atomic_load(&m->state);

			s = PS_STATE(w);
			if (s == PS_EVICTED)
				break;
			if ((s == PS_UNLOCKED || s == PS_MARKED) &&
			    atomic_compare_exchange_strong(&m->state, &w,
					PS_MAKE(PS_VERSION(w), PS_LOCKED)))
				break;
			sched_yield();
		}
		/*
		 * Evicted (written, then its frame taken before it went to the
		 * free list, where a miss finds it dead): nothing to rebuild.
		 * Or a miss cleared the flag (it was evicted, then faulted in).
		 */
		if (s == PS_EVICTED || !__atomic_exchange_n(&m->lost, 0,
							    __ATOMIC_SEQ_CST)) {
			if (s == PS_EVICTED &&
			    __atomic_exchange_n(&m->lost, 0, __ATOMIC_SEQ_CST))
				atomic_fetch_sub(&p->lost_pages, 1);
			else if (s != PS_EVICTED)
				pool_unfix_x(p, pid);
			continue;
		}
		dirty = m->dirty;
		if (dirty) {
			/*
			 * The disk's copy, then its records.  A frame taken
			 * meanwhile (the new one, or a staging frame of the
			 * log: another abort) is no reason to give up: again
			 * (redo is idempotent; a page taken while it is redone
			 * gets the disk's copy from the handler and is lost
			 * again: the next pass rebuilds it once more).
			 */
			int err, tries = 0;
			bool loaded = false;

			do {
				err = loaded ? 0 : pool_reload(p, pid);
				loaded = !err;
				if (!err)
					err = wal_redo_page(&db->wal, pid,
							    pool_addr(p, pid));
			} while (frame_dead(p->be, err) &&
				 ++tries < REBUILD_TRIES);
			if (!err) {
				m->dirty = 1;
				pool_unfix_x(p, pid);
			} else {
				/* its committed state is only in the log now */
				fprintf(stderr, "exodb: rebuilding page %llu: "
					"%s; reopen the database\n",
					(unsigned long long)pid,
					exodb_strerror(err));
				atomic_store(&db->broken, err);
				if (!ret)
					ret = err;
				if (PS_STATE(atomic_load(&m->state)) ==
				    PS_LOCKED && !p->pm[pid].frame)
					set_evicted_at(p, pid);
				else
					pool_unfix_x(p, pid);
			}
			atomic_fetch_sub(&p->lost_pages, 1);
			continue;
		}
		v.frame = __atomic_load_n(&m->frame, __ATOMIC_ACQUIRE);
		p->be->ops->unmap(p->be, &v, 1);	/* gone already: fine */
		/* the handler's (outside the count), or the dead one's
		 * tombstone (pool.c, drop_dead) */
		p->be->ops->frames_put(p->be, &v.frame, 1);
		pthread_mutex_lock(&p->lock);
		policy_remove(p->pol, pid);
		p->resident--;
		p->held--;	/* the repossessed one */
		pthread_mutex_unlock(&p->lock);
		m->replaced = 0;
		set_evicted_at(p, pid);
		atomic_fetch_sub(&p->lost_pages, 1);
	}
	return ret;
}
