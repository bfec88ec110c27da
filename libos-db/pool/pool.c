// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The buffer pool, the vmcache way.  Page pid lives at base + pid * PAGE
 * in one reserved range for as long as the database is open; a pointer to
 * a page is its address, with no translation table.  Each page has a
 * state word (struct pmeta.state): evicted, unlocked, shared by n,
 * locked (exclusive) or marked, and a version bumped at every exclusive
 * unlock, so a cursor can tell whether a page changed since it looked.
 *
 * A miss (fix of an evicted page) takes the page's latch exclusively by
 * one compare-and-swap, gets a frame (a free one, a new one while under
 * capacity, or by evicting a batch), binds it at the page's address,
 * reads the page straight into it and verifies its checksum.  Eviction
 * asks the policy (policy.c) for a batch of cold pages, latches those it
 * can without waiting, writes the dirty ones back in one batch (after
 * the log is durable up to their LSNs: the WAL rule), and unmaps the
 * batch in one call.  Pages pinned by the commit being applied are never
 * evicted (no steal: the log holds no undo).
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "../internal.h"

#define EVICT_BATCH	64
#define FRAME_CHUNK	64

int pool_init(struct pool *p, struct exodb *db, struct backend *be,
	      uint64_t npages, uint32_t capacity, enum exodb_policy pol)
{
	memset(p, 0, sizeof(*p));
	p->db = db;
	p->be = be;
	p->npages = npages;
	p->capacity = capacity;
	p->base = be->ops->reserve(be, npages * PAGE);
	if (!p->base)
		return -ENOMEM;
	p->pm = mmap(NULL, npages * sizeof(struct pmeta),
		     PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	p->free_frames = malloc(sizeof(uint64_t) * (capacity + FRAME_CHUNK));
	p->pol = policy_new(pol, npages, capacity);
	if (p->pm == MAP_FAILED || !p->free_frames || !p->pol) {
		if (p->pm == MAP_FAILED)
			p->pm = NULL;
		pool_destroy(p);
		return -ENOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	return 0;
}

void pool_destroy(struct pool *p)
{
	struct be_vec v;

	if (p->pm && p->base) {
		/* unmap whatever is resident and give every frame back */
		for (uint64_t pid = 0; pid < p->hw; pid++) {
			if (PS_STATE(p->pm[pid].state) == PS_EVICTED)
				continue;
			v = (struct be_vec){ pid, pool_addr(p, pid),
					     p->pm[pid].frame };
			p->be->ops->unmap(p->be, &v, 1);
			/*
			 * Ours, the handler's, or a repossessed frame's
			 * tombstone (marked lost after the event thread's last
			 * look; closed already: ESTALE, harmless): a database
			 * on the caller's exo fd leaves it no slot.
			 */
			p->be->ops->frames_put(p->be, &v.frame, 1);
			p->pm[pid].state = PS_EVICTED;
		}
	}
	if (p->nfree)
		p->be->ops->frames_put(p->be, p->free_frames, p->nfree);
	if (p->base)
		p->be->ops->release(p->be, p->base, p->npages * PAGE);
	if (p->pm)
		munmap(p->pm, p->npages * sizeof(struct pmeta));
	policy_free(p->pol);
	free(p->free_frames);
	p->base = NULL;
	p->pm = NULL;
}

static uint32_t tidx(uint32_t tbl)
{
	return tbl <= EXODB_MAX_TABLES ? tbl : EXODB_MAX_TABLES;
}

/* ---- writing back ------------------------------------------------------ */

/* Write the pages @pids (latched by the caller), log first. */
static int write_batch(struct pool *p, const uint64_t *pids, uint32_t n)
{
	struct be_vec v[EVICT_BATCH] = { { 0 } };
	uint64_t lsn = 0;
	uint32_t k = 0;
	int ret;

	for (uint32_t i = 0; i < n; i++) {
		struct page_hdr *h = pool_addr(p, pids[i]);

		lsn = MAX(lsn, h->lsn);
	}
	if (p->flush_log && lsn) {
		ret = p->flush_log(p->db, lsn);
		if (ret)
			return ret;
	}
	lost_enter();
	for (uint32_t i = 0; i < n; i++)
		page_seal(pool_addr(p, pids[i]));
	lost_leave();
	/*
	 * A page whose frame was repossessed (even while we sealed it) holds
	 * the disk's older copy now: it stays dirty for the rebuild, unwritten.
	 */
	for (uint32_t i = 0; i < n; i++)
		if (!__atomic_load_n(&p->pm[pids[i]].lost, __ATOMIC_ACQUIRE))
			v[k++] = (struct be_vec){ pids[i], pool_addr(p, pids[i]),
						  p->pm[pids[i]].frame };
	ret = k ? p->be->ops->write(p->be, BE_DATA, v, k, false) : 0;
	if (frame_dead(p->be, ret)) {
		/* a frame exo took back: which one?  Its page is lost. */
		ret = 0;
		for (uint32_t i = 0; i < k && !ret; i++) {
			ret = p->be->ops->write(p->be, BE_DATA, &v[i], 1, false);
			if (frame_dead(p->be, ret)) {
				pool_page_lost(p, v[i].block);
				ret = 0;
			}
		}
	}
	if (ret)
		return ret;
	for (uint32_t i = 0; i < k; i++)
		if (!__atomic_load_n(&p->pm[v[i].block].lost, __ATOMIC_ACQUIRE))
			p->pm[v[i].block].dirty = 0;
	atomic_fetch_add(&p->writebacks, k);
	return 0;
}

int pool_write_back(struct pool *p, uint64_t pid)
{
	return write_batch(p, &pid, 1);
}

/* ---- eviction ------------------------------------------------------------ */

static bool try_lock(struct pool *p, uint64_t pid)
{
	uint64_t w = atomic_load(&p->pm[pid].state);
	unsigned s = PS_STATE(w);

	if (s != PS_UNLOCKED && s != PS_MARKED)
		return false;
	return atomic_compare_exchange_strong(&p->pm[pid].state, &w,
			PS_MAKE(PS_VERSION(w), PS_LOCKED));
}

void set_evicted_at(struct pool *p, uint64_t pid)
{
	uint64_t w = atomic_load(&p->pm[pid].state);

	/* no stale frame for an event to match (pool_mark_lost) */
	__atomic_store_n(&p->pm[pid].frame, 0, __ATOMIC_RELEASE);

	atomic_store(&p->pm[pid].state, PS_MAKE(PS_VERSION(w) + 1, PS_EVICTED));
}

/*
 * Evict up to @want pages: clean ones only if @clean_only.  Frames go to
 * the free list.  Returns the number evicted, or -errno.
 */
static int evict(struct pool *p, uint32_t want, bool clean_only)
{
	uint64_t cand[EVICT_BATCH * 2], got[EVICT_BATCH], dirty[EVICT_BATCH];
	struct be_vec v[EVICT_BATCH] = { { 0 } };
	uint32_t nc, ng = 0, nd = 0;
	int ret = 0;

	want = MIN(want, EVICT_BATCH);
	pthread_mutex_lock(&p->lock);
	nc = policy_victims(p->pol, cand, MIN(want * 2, ARRAY_SIZE(cand)));
	pthread_mutex_unlock(&p->lock);
	for (uint32_t i = 0; i < nc && ng < want; i++) {
		struct pmeta *m = &p->pm[cand[i]];

		if (m->pinned || m->lost || (clean_only && m->dirty) ||
		    !try_lock(p, cand[i]))
			continue;
		if (m->pinned || m->lost || (clean_only && m->dirty)) {
			uint64_t w = atomic_load(&m->state);

			atomic_store(&m->state, PS_MAKE(PS_VERSION(w), PS_UNLOCKED));
			continue;
		}
		got[ng++] = cand[i];
		if (m->dirty)
			dirty[nd++] = cand[i];
	}
	if (nd)
		ret = write_batch(p, dirty, nd);
	if (ret) {
		for (uint32_t i = 0; i < ng; i++)
			pool_unfix_x(p, got[i]);
		return ret;
	}
	/* lost while we wrote: kept for the rebuild */
	for (uint32_t j = ng; j-- > 0;)
		if (p->pm[got[j]].lost || p->pm[got[j]].dirty) {
			pool_unfix_x(p, got[j]);
			got[j] = got[--ng];
		}
	for (uint32_t i = 0; i < ng; i++)
		v[i] = (struct be_vec){ got[i], pool_addr(p, got[i]),
					p->pm[got[i]].frame };
	if (ng && (ret = p->be->ops->unmap(p->be, v, ng))) {
		for (uint32_t i = 0; i < ng; i++)
			pool_unfix_x(p, got[i]);
		return ret;
	}
	pthread_mutex_lock(&p->lock);
	for (uint32_t i = 0; i < ng; i++) {
		policy_remove(p->pol, got[i]);
		p->free_frames[p->nfree++] = v[i].frame;
		p->resident--;
	}
	pthread_mutex_unlock(&p->lock);
	for (uint32_t i = 0; i < ng; i++)
		set_evicted_at(p, got[i]);
	atomic_fetch_add(&p->evictions, ng);
	return (int)ng;
}

/* A frame for a miss: free, new while under capacity, or by eviction. */
static int get_frame(struct pool *p, uint64_t *frame)
{
	for (int tries = 0;; tries++) {
		uint32_t want = 0;
		int ret;

		pthread_mutex_lock(&p->lock);
		if (p->nfree && p->held <= p->capacity) {
			*frame = p->free_frames[--p->nfree];
			pthread_mutex_unlock(&p->lock);
			return 0;
		}
		if (p->held < p->capacity) {
			want = MIN(FRAME_CHUNK, p->capacity - p->held);
			p->held += want;	/* reserved */
		}
		pthread_mutex_unlock(&p->lock);
		if (want) {
			uint64_t fr[FRAME_CHUNK];

			ret = p->be->ops->frames_get(p->be, want, fr);
			pthread_mutex_lock(&p->lock);
			if (ret) {
				p->held -= want;
				/*
				 * exo gives no more (quota, cap slots, its
				 * frame pool): live within what is held, by
				 * eviction, rather than asking again forever.
				 */
				if (p->held)
					p->capacity = MIN(p->capacity, p->held);
				pthread_mutex_unlock(&p->lock);
				if (want == 1 || !p->held)
					return ret;
				continue;
			}
			for (uint32_t i = 0; i < want; i++)
				p->free_frames[p->nfree++] = fr[i];
			pthread_mutex_unlock(&p->lock);
			continue;
		}
		ret = evict(p, MAX(1, MIN(EVICT_BATCH, p->capacity / 16)),
			    false);
		if (ret < 0)
			return ret;
		if (ret == 0) {
			/* everything is latched or pinned: wait a little */
			if (tries > 100000)
				return -ENOMEM;
			sched_yield();
		}
		pthread_mutex_lock(&p->lock);
		/* over capacity after a shrink: give the surplus back */
		while (p->held > p->capacity && p->nfree) {
			uint64_t f = p->free_frames[--p->nfree];

			p->held--;
			p->be->ops->frames_put(p->be, &f, 1);
		}
		pthread_mutex_unlock(&p->lock);
	}
}

/* A frame exo repossessed: not ours to give back or reuse. */
static void drop_dead(struct pool *p, uint64_t frame)
{
	pthread_mutex_lock(&p->lock);
	p->held--;
	pthread_mutex_unlock(&p->lock);
	/*
	 * Whoever forgets a dead frame closes its tombstone: the env page's
	 * vector may have overflowed and not name it (a second close
	 * answers ESTALE: handles carry a generation).
	 */
	p->be->ops->frames_put(p->be, &frame, 1);
}

/* Page @pid, loaded into @frame (from the disk if @read), is resident. */
static void make_resident(struct pool *p, uint64_t pid, uint64_t frame,
			  uint32_t tbl, enum pol_hint hint, bool read)
{
	struct pmeta *m = &p->pm[pid];

	pthread_mutex_lock(&p->lock);
	if (pid >= p->hw)
		p->hw = pid + 1;
	/* the SIGBUS handler may have bound its own frame meanwhile */
	if (!__atomic_load_n(&m->replaced, __ATOMIC_ACQUIRE))
		__atomic_store_n(&m->frame, frame, __ATOMIC_RELEASE);
	m->dirty = 0;
	m->table = tbl;
	p->resident++;
	policy_insert(p->pol, pid, hint);
	pthread_mutex_unlock(&p->lock);
	if (read) {
		atomic_fetch_add(&p->misses, 1);
		atomic_fetch_add(&p->tstat[tidx(tbl)].misses, 1);
	}
}

/*
 * Read-ahead for sweeps: a miss of a page a hinted scan wants reads the
 * next pages too, in the same batch, so that one round trip to the device
 * serves READAHEAD pages of a table laid out in key order (a bulk load
 * leaves its leaves in page order).  Only pages nobody has (evicted) are
 * taken, each latched exclusively while it is read; they go in as scanned
 * pages (POL_SCAN), so they do not push out the hot ones.  Anything that
 * goes wrong puts them back as they were and the miss is served alone.
 */
#define READAHEAD	16

static void ra_undo(struct pool *p, struct be_vec *v, const uint64_t *w,
		    uint32_t n, bool mapped)
{
	if (mapped && n)
		p->be->ops->unmap(p->be, v, n);
	pthread_mutex_lock(&p->lock);
	for (uint32_t i = 0; i < n; i++)
		p->free_frames[p->nfree++] = v[i].frame;
	pthread_mutex_unlock(&p->lock);
	for (uint32_t i = 0; i < n; i++)
		atomic_store(&p->pm[v[i].block].state,
			     PS_MAKE(PS_VERSION(w[i]), PS_EVICTED));
}

/* Read @pid's copy at @v->addr with up to READAHEAD - 1 pages after it. */
static int fault_ahead(struct pool *p, struct be_vec *v0, uint32_t tbl)
{
	struct be_vec v[READAHEAD];
	uint64_t w[READAHEAD];
	uint32_t n = 0;
	int ret = 0;

	v[0] = *v0;
	for (uint64_t q = v0->block + 1; q < v0->block + READAHEAD &&
	     q < p->npages && q < p->be->data_pages; q++) {
		struct pmeta *m = &p->pm[q];
		uint64_t x = atomic_load(&m->state);

		if (PS_STATE(x) != PS_EVICTED || m->lost || m->replaced ||
		    !atomic_compare_exchange_strong(&m->state, &x,
				PS_MAKE(PS_VERSION(x), PS_LOCKED)))
			continue;
		w[n] = x;
		v[1 + n] = (struct be_vec){ q, pool_addr(p, q), 0 };
		ret = get_frame(p, &v[1 + n].frame);
		if (ret) {
			atomic_store(&m->state, PS_MAKE(PS_VERSION(x),
							PS_EVICTED));
			break;
		}
		n++;
	}
	if (!n)
		return -EAGAIN;
	ret = p->be->ops->map(p->be, v + 1, n);
	if (ret) {
		ra_undo(p, v + 1, w, n, false);
		return -EAGAIN;
	}
	ret = p->be->ops->read(p->be, BE_DATA, v, 1 + n);
	if (ret) {
		ra_undo(p, v + 1, w, n, true);
		return -EAGAIN;
	}
	/* the pages after: in if intact, else back out one by one */
	for (uint32_t i = 0; i < n; i++) {
		struct be_vec *e = &v[1 + i];
		struct pmeta *m = &p->pm[e->block];

		if (page_verify(e->addr, e->block)) {
			ra_undo(p, e, &w[i], 1, true);
			continue;
		}
		make_resident(p, e->block, e->frame, tbl, POL_SCAN, true);
		atomic_fetch_add(&p->readahead, 1);
		atomic_store(&m->state, PS_MAKE(PS_VERSION(w[i]), PS_UNLOCKED));
	}
	return 0;
}

/* Load page @pid, latched exclusively by the caller, into a frame. */
static int fault(struct pool *p, uint64_t pid, uint32_t tbl, unsigned fl)
{
	struct pmeta *m = &p->pm[pid];
	struct be_vec v = { pid, pool_addr(p, pid), 0 };
	bool have = false;
	int ret;

	/* a loss noted after the page went (see db_rebuild_lost) */
	if (__atomic_exchange_n(&m->lost, 0, __ATOMIC_SEQ_CST))
		atomic_fetch_sub(&p->lost_pages, 1);
	m->replaced = 0;
	lost_enter();
	for (int tries = 0;; tries++) {
		ret = get_frame(p, &v.frame);
		if (ret)
			break;
		have = true;
		ret = p->be->ops->map(p->be, &v, 1);
		if (!ret) {
			if (fl & FIX_NEW) {
				memset(v.addr, 0, PAGE);
			} else {
				ret = -EAGAIN;
				if ((fl & FIX_SCAN) && !tries &&
				    p->be->read_ahead)
					ret = fault_ahead(p, &v, tbl);
				if (ret == -EAGAIN)
					ret = p->be->ops->read(p->be, BE_DATA,
							       &v, 1);
				if (!ret && !(fl & FIX_NOVERIFY))
					ret = page_verify(v.addr, pid);
			}
			if (ret)
				p->be->ops->unmap(p->be, &v, 1);
		}
		/*
		 * A frame exo took back (from the free list, or just now):
		 * the free list may hold many an abort took whose news has
		 * not come yet; each is dropped, so this ends.
		 */
		if (frame_dead(p->be, ret)) {
			drop_dead(p, v.frame);
			have = false;
			if (tries < 64 + (int)p->capacity)
				continue;
		}
		break;
	}
	lost_leave();
	if (ret && m->replaced) {
		/* the handler bound a frame meanwhile: it goes with the page */
		struct be_vec h = { pid, v.addr, m->frame };

		p->be->ops->unmap(p->be, &h, 1);
		p->be->ops->frames_put(p->be, &h.frame, 1);
		__atomic_store_n(&m->frame, 0, __ATOMIC_RELEASE);
		m->replaced = 0;
		if (__atomic_exchange_n(&m->lost, 0, __ATOMIC_SEQ_CST))
			atomic_fetch_sub(&p->lost_pages, 1);
	}
	if (ret && have) {
		pthread_mutex_lock(&p->lock);
		p->free_frames[p->nfree++] = v.frame;
		pthread_mutex_unlock(&p->lock);
	}
	if (ret)
		return ret;
	make_resident(p, pid, v.frame, tbl,
		      fl & FIX_SCAN ? POL_SCAN : POL_NORMAL, !(fl & FIX_NEW));
	return 0;
}

/*
 * Hits are counted per thread and added to the pool's and the table's
 * counters when the thread's transaction ends (pool_hits_flush), every
 * HIT_BATCH hits, or when it fixes a page of another pool or table: two
 * threads adding to the same counters at every fix made the lines
 * bounce between their CPUs.
 */
#define HIT_BATCH	64
static __thread struct { struct pool *p; uint32_t tbl, n; } hits_tls
	__attribute__((tls_model("initial-exec")));

void pool_hits_flush(void)
{
	if (!hits_tls.n)
		return;
	atomic_fetch_add_explicit(&hits_tls.p->hits, hits_tls.n,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&hits_tls.p->tstat[hits_tls.tbl].hits,
				  hits_tls.n, memory_order_relaxed);
	hits_tls.n = 0;
}

static void hit(struct pool *p, uint64_t pid, uint32_t tbl, unsigned fl)
{
	tbl = tidx(tbl);
	if (hits_tls.p != p || hits_tls.tbl != tbl) {
		pool_hits_flush();
		hits_tls.p = p;
		hits_tls.tbl = tbl;
	}
	if (++hits_tls.n == HIT_BATCH)
		pool_hits_flush();
	policy_hit(p->pol, pid, fl & FIX_SCAN ? POL_SCAN : POL_NORMAL);
}

/*
 * Page @pid, latched exclusively by the caller, lost its frame: let its
 * frame go (the dead one, and the SIGBUS handler's if any) and read the
 * disk's copy into a new one, the latch held throughout (pool/lost.c).
 */
int pool_reload(struct pool *p, uint64_t pid)
{
	struct pmeta *m = &p->pm[pid];
	struct be_vec v = { pid, pool_addr(p, pid),
			    __atomic_load_n(&m->frame, __ATOMIC_ACQUIRE) };

	if (v.frame) {	/* else let go by an earlier try whose fault failed */
		p->be->ops->unmap(p->be, &v, 1);	/* gone already: fine */
		/* the handler's (outside the count), or the dead one's
		 * tombstone (see drop_dead) */
		p->be->ops->frames_put(p->be, &v.frame, 1);
		pthread_mutex_lock(&p->lock);
		policy_remove(p->pol, pid);
		p->resident--;
		p->held--;	/* the repossessed one */
		pthread_mutex_unlock(&p->lock);
		__atomic_store_n(&m->frame, 0, __ATOMIC_RELEASE);
	}
	m->replaced = 0;
	m->dirty = 0;
	return fault(p, pid, m->table, FIX_NOVERIFY);
}

/* ---- latches --------------------------------------------------------------- */

__thread uint64_t pool_ro_limit;
__thread bool pool_ro_stale;

/*
 * Under a shared latch: did a commit applied after this thread's
 * read-only snapshot touch the page?  The writer sets wseq under the
 * exclusive latch before it changes the page, so a page that reads an
 * older wseq here holds what it held at the snapshot.
 */
static inline void ro_check(struct pmeta *m)
{
	if (pool_ro_limit && atomic_load_explicit(&m->wseq,
			memory_order_relaxed) >= pool_ro_limit)
		pool_ro_stale = true;
}

void *pool_fix_x(struct pool *p, uint64_t pid, uint32_t tbl, unsigned fl,
		 int *err)
{
	struct pmeta *m;

	if (pid >= p->npages) {
		*err = -ERANGE;
		return NULL;
	}
	m = &p->pm[pid];
	for (;;) {
		uint64_t w = atomic_load(&m->state);
		unsigned s = PS_STATE(w);

		if (s == PS_EVICTED) {
			if (!atomic_compare_exchange_weak(&m->state, &w,
					PS_MAKE(PS_VERSION(w), PS_LOCKED)))
				continue;
			*err = fault(p, pid, tbl, fl);
			if (*err) {
				atomic_store(&m->state, PS_MAKE(PS_VERSION(w),
								PS_EVICTED));
				return NULL;
			}
			lost_held(pid, true);
			lost_escape_pending();
			return pool_addr(p, pid);
		}
		if (s == PS_UNLOCKED || s == PS_MARKED) {
			if (atomic_compare_exchange_weak(&m->state, &w,
					PS_MAKE(PS_VERSION(w), PS_LOCKED))) {
				lost_held(pid, true);
				hit(p, pid, tbl, fl);
				if (fl & FIX_NEW)
					memset(pool_addr(p, pid), 0, PAGE);
				return pool_addr(p, pid);
			}
			continue;
		}
		sched_yield();
	}
}

void *pool_fix_s(struct pool *p, uint64_t pid, uint32_t tbl, unsigned fl,
		 int *err)
{
	struct pmeta *m;

	if (pid >= p->npages) {
		*err = -ERANGE;
		return NULL;
	}
	m = &p->pm[pid];
	for (;;) {
		uint64_t w = atomic_load(&m->state);
		unsigned s = PS_STATE(w);

		if (s == PS_EVICTED) {
			if (!atomic_compare_exchange_weak(&m->state, &w,
					PS_MAKE(PS_VERSION(w), PS_LOCKED)))
				continue;
			*err = fault(p, pid, tbl, fl);
			if (*err) {
				atomic_store(&m->state, PS_MAKE(PS_VERSION(w),
								PS_EVICTED));
				return NULL;
			}
			/* downgrade: the page was never visible unlocked */
			atomic_store(&m->state, PS_MAKE(PS_VERSION(w),
							PS_UNLOCKED + 1));
			ro_check(m);
			lost_held(pid, false);
			lost_escape_pending();
			return pool_addr(p, pid);
		}
		if (s == PS_UNLOCKED || s == PS_MARKED ||
		    (s > PS_UNLOCKED && s < PS_MAX_SHARED)) {
			unsigned ns = s == PS_MARKED ? PS_UNLOCKED + 1 : s + 1;

			if (atomic_compare_exchange_weak(&m->state, &w,
					PS_MAKE(PS_VERSION(w), ns))) {
				ro_check(m);
				lost_held(pid, false);
				hit(p, pid, tbl, fl);
				return pool_addr(p, pid);
			}
			continue;
		}
		sched_yield();
	}
}

bool pool_tryfix_s(struct pool *p, uint64_t pid)
{
	struct pmeta *m = &p->pm[pid];
	uint64_t w = atomic_load(&m->state);
	unsigned s = PS_STATE(w);

	if ((s == PS_UNLOCKED || (s > PS_UNLOCKED && s < PS_MAX_SHARED)) &&
	    atomic_compare_exchange_strong(&m->state, &w,
					   PS_MAKE(PS_VERSION(w), s + 1))) {
		ro_check(m);
		lost_held(pid, false);
		return true;
	}
	return false;
}

void pool_unfix_s(struct pool *p, uint64_t pid)
{
	struct pmeta *m = &p->pm[pid];
	uint64_t w = atomic_load(&m->state);

	lost_dropped(pid);
	while (!atomic_compare_exchange_weak(&m->state, &w,
			PS_MAKE(PS_VERSION(w), PS_STATE(w) - 1)))
		;
}

void pool_unfix_x(struct pool *p, uint64_t pid)
{
	struct pmeta *m = &p->pm[pid];
	uint64_t w = atomic_load(&m->state);

	lost_dropped(pid);
	atomic_store(&m->state, PS_MAKE(PS_VERSION(w) + 1, PS_UNLOCKED));
}

uint64_t pool_version(struct pool *p, uint64_t pid)
{
	return PS_VERSION(atomic_load(&p->pm[pid].state));
}

/* ---- checkpoints, revocation ---------------------------------------------- */

/* Write the latched batch @b of @n pages and unlatch it. */
static int flush_batch(struct pool *p, uint64_t *b, uint32_t *n)
{
	int ret = *n ? write_batch(p, b, *n) : 0;

	for (uint32_t i = 0; i < *n; i++)
		pool_unfix_x(p, b[i]);
	*n = 0;
	return ret;
}

/*
 * Write every dirty page below @hw.  Pages are latched in pid order, a
 * batch at a time; a reader latches in tree order, and may hold a page
 * of ours while it waits for one in our batch.  So never wait while
 * holding a batch: when a page is busy, write and unlatch what we hold,
 * then wait for it.
 */
int pool_flush_all(struct pool *p, uint64_t hw)
{
	uint64_t batch[EVICT_BATCH];
	uint32_t n = 0;
	int ret = 0, r;

	hw = MIN(hw, p->npages);
	for (uint64_t pid = 0; pid < hw; pid++) {
		struct pmeta *m = &p->pm[pid];

		if (PS_STATE(atomic_load(&m->state)) == PS_EVICTED ||
		    !m->dirty)
			continue;
		if (!try_lock(p, pid)) {
			if ((r = flush_batch(p, batch, &n)) && !ret)
				ret = r;
			bool got;

			/* evicted meanwhile: written by the eviction */
			while (!(got = try_lock(p, pid)) &&
			       PS_STATE(atomic_load(&m->state)) != PS_EVICTED)
				sched_yield();
			if (!got)
				continue;
		}
		if (!m->dirty) {
			pool_unfix_x(p, pid);
			continue;
		}
		batch[n++] = pid;
		if (n == EVICT_BATCH && (r = flush_batch(p, batch, &n)) && !ret)
			ret = r;
	}
	if ((r = flush_batch(p, batch, &n)) && !ret)
		ret = r;
	if (!ret)
		ret = p->be->ops->sync(p->be, BE_DATA);
	return ret;
}

void pool_set_capacity(struct pool *p, uint32_t cap)
{
	pthread_mutex_lock(&p->lock);
	p->capacity = MAX(cap, 8);
	policy_set_capacity(p->pol, p->capacity);
	pthread_mutex_unlock(&p->lock);
}

/*
 * Hold no more than @cap frames from now on (a lower quota, or what a
 * revocation leaves): lower the capacity, give free frames back first,
 * then evict the coldest clean pages, then dirty ones after writing them.
 * Returns how many frames went back.
 */
int pool_shrink_to(struct pool *p, uint32_t cap)
{
	uint32_t given = 0, n;
	int ret;

	pthread_mutex_lock(&p->lock);
	p->capacity = MAX(cap, 8);
	policy_set_capacity(p->pol, p->capacity);
	n = p->held > p->capacity ? p->held - p->capacity : 0;
	pthread_mutex_unlock(&p->lock);
	for (int pass = 0; pass < 2 && given < n;) {
		uint64_t f[EVICT_BATCH];
		uint32_t k;

		/* free frames first, a batch per call, exo's call unlocked */
		do {
			pthread_mutex_lock(&p->lock);
			for (k = 0; k < EVICT_BATCH && given + k < n &&
			     p->nfree; k++)
				f[k] = p->free_frames[--p->nfree];
			p->held -= k;
			pthread_mutex_unlock(&p->lock);
			if (k)
				p->be->ops->frames_put(p->be, f, k);
			given += k;
		} while (k == EVICT_BATCH);
		if (given >= n || !p->resident)
			break;
		ret = evict(p, n - given, pass == 0);
		if (ret < 0)
			return ret;
		if (ret == 0)
			pass++;
	}
	return (int)given;
}

/*
 * A revocation: give @n of the frames held back.  exo counts what the env
 * holds, not what the pool may hold: a capacity lowered by @n but still
 * above what is held would let misses take frames again, which exo does
 * not count as given (and repossesses at the deadline).
 */
int pool_give(struct pool *p, uint32_t n)
{
	uint32_t held;

	pthread_mutex_lock(&p->lock);
	held = p->held;
	pthread_mutex_unlock(&p->lock);
	return pool_shrink_to(p, held > n ? held - n : 0);
}
