// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Transactions.
 *
 * Writers: one at a time (db->writer).  A write transaction buffers its
 * puts and deletes in a private write set, sorted by (table, key); its
 * reads look there first.  Nothing touches the tree before commit, so
 * nobody else can see an uncommitted change.  Commit applies the write
 * set to the trees (every page changed is pre-imaged and pinned:
 * tree_ctx), appends one redo record per changed page (a full image the
 * first time a page changes after a checkpoint, else the changed byte
 * ranges) and a commit record to the log buffer, lets the writer lock go
 * and only then waits for the log to be durable (pipelined group commit:
 * the next writer applies while this one's flush is in flight, and one
 * flush serves every commit waiting).  If anything fails while applying,
 * the pre-images go back and nothing happened.
 *
 * Readers never take the writer lock.  db->commit_seq is odd while a
 * commit is being applied, and every page an apply touches gets that odd
 * value (its wseq) under its exclusive latch before it changes.  A
 * read-only transaction's snapshot is an even commit_seq S, taken at its
 * first read; every page it then latches must have wseq < S, i.e. be as
 * every commit before S left it and no later one touched it (pool.c
 * checks under the shared latch).  A page touched since, or a table
 * dropped since (cat_seq), gives -EAGAIN and the transaction must retry:
 * every read-only transaction that completes read the committed state at
 * S, so the schedule is serializable, and commits to pages it does not
 * read (or has read already) do not disturb it.  A read that has returned
 * nothing yet is retried internally with a new snapshot.  Reads wait for
 * nothing but page latches.  A read transaction's commit waits until the
 * commits it saw are durable.
 */
#include <sched.h>
#include <stdlib.h>

#include "../internal.h"

#define TXN_MAGIC	0x7478e0dbu
#define CUR_MAGIC	0xc0c0e0dbu
#define WS_MAX_BYTES	(256u << 20)

struct ws_ent {
	uint32_t tbl;
	bool del;
	uint8_t *key, *val;
	size_t klen, vlen;
};

enum { T_DONE = 0, T_ACTIVE = 1 };

struct exodb_txn {
	uint32_t magic;
	int state;
	struct exodb *db;
	bool rw, doomed, read_any;
	uint64_t snap, snap_lsn;
	struct ws_ent *ws;
	size_t nws, capws, ws_bytes;
	uint8_t *vbuf;
	size_t vcap;
	int ncursors;
	struct exodb_txn *next_free;
};

struct exodb_cursor {
	uint32_t magic;
	struct exodb_txn *txn;
	uint32_t tbl;
	struct bt_cursor bt;
	bool valid;
	const uint8_t *k, *v;
	size_t kl, vl;
	uint8_t *kbuf;
	size_t kcap;
};

/* ---- the commit being applied --------------------------------------------- */

struct touched {
	uint64_t pid;
	uint8_t *pre;		/* pre-image */
	uint64_t was_wseq;	/* back if the page ends unchanged */
	bool was_dirty;
	bool held;		/* latched by this commit now */
};

struct tree_ctx {
	struct touched *t;
	size_t n, cap;
	uint32_t *hash;		/* open addressing: index + 1 */
	size_t hcap;
	size_t limit;		/* pages a commit may touch */
};

static size_t hslot(const struct tree_ctx *tc, uint64_t pid)
{
	return (size_t)(pid * 0x9e3779b97f4a7c15ULL >> 20) & (tc->hcap - 1);
}

static struct touched *tc_find(struct tree_ctx *tc, uint64_t pid)
{
	if (!tc->hcap)
		return NULL;
	for (size_t i = hslot(tc, pid);; i = (i + 1) & (tc->hcap - 1)) {
		if (!tc->hash[i])
			return NULL;
		if (tc->t[tc->hash[i] - 1].pid == pid)
			return &tc->t[tc->hash[i] - 1];
	}
}

static int tc_add(struct exodb *db, struct tree_ctx *tc, uint64_t pid,
		  const void *page)
{
	struct touched *t;

	if (tc->n >= tc->limit)
		return -ENOMEM;		/* transaction too large for the pool */
	if (tc->n + 1 > tc->cap) {
		size_t nc = tc->cap ? tc->cap * 2 : 64;
		struct touched *nt = realloc(tc->t, nc * sizeof(*nt));

		if (!nt)
			return -ENOMEM;
		memset(nt + tc->cap, 0, (nc - tc->cap) * sizeof(*nt));
		tc->t = nt;
		tc->cap = nc;
	}
	if (2 * (tc->n + 1) > tc->hcap) {
		size_t nh = tc->hcap ? tc->hcap * 2 : 256;
		uint32_t *h = calloc(nh, sizeof(*h));

		if (!h)
			return -ENOMEM;
		free(tc->hash);
		tc->hash = h;
		tc->hcap = nh;
		for (size_t i = 0; i < tc->n; i++) {
			size_t s = hslot(tc, tc->t[i].pid);

			while (tc->hash[s])
				s = (s + 1) & (nh - 1);
			tc->hash[s] = (uint32_t)i + 1;
		}
	}
	t = &tc->t[tc->n];
	if (!t->pre && !(t->pre = malloc(PAGE)))	/* else kept: tc_free */
		return -ENOMEM;
	memcpy(t->pre, page, PAGE);
	t->pid = pid;
	t->held = false;
	t->was_dirty = db->pool.pm[pid].dirty;
	size_t s = hslot(tc, pid);

	while (tc->hash[s])
		s = (s + 1) & (tc->hcap - 1);
	tc->hash[s] = (uint32_t)++tc->n;
	db->pool.pm[pid].pinned = 1;
	t->was_wseq = atomic_load(&db->pool.pm[pid].wseq);
	/* before any change, under the exclusive latch: readers see it */
	atomic_store(&db->pool.pm[pid].wseq, atomic_load(&db->commit_seq));
	return 0;
}

/*
 * A page this commit holds latched already is never fixed again on a
 * sound tree; a damaged pointer (a child, sibling or overflow link back
 * to a page on the path) would make the exclusive latch wait for itself
 * forever: -EUCLEAN (test/fuzzdisk found one: a child pointing at the
 * root).
 */
static void *fix_common(struct exodb *db, struct tree_ctx *tc, uint64_t pid,
			uint32_t tbl, unsigned fl, int *err)
{
	struct touched *t = tc_find(tc, pid);
	void *p;

	if (t && t->held) {
		*err = -EUCLEAN;
		return NULL;
	}
	p = pool_fix_x(&db->pool, pid, tbl, fl, err);
	if (!p)
		return NULL;
	if (!t) {
		*err = tc_add(db, tc, pid, p);
		if (*err) {
			pool_unfix_x(&db->pool, pid);
			return NULL;
		}
		t = &tc->t[tc->n - 1];
	}
	t->held = true;
	return p;
}

void *tc_fix(struct exodb *db, struct tree_ctx *tc, uint64_t pid,
	     uint32_t tbl, int *err)
{
	return fix_common(db, tc, pid, tbl, 0, err);
}

void *tc_fix_new(struct exodb *db, struct tree_ctx *tc, uint64_t pid,
		 uint32_t tbl, int *err)
{
	return fix_common(db, tc, pid, tbl, FIX_NEW, err);
}

void tc_unfix(struct exodb *db, struct tree_ctx *tc, uint64_t pid)
{
	struct touched *t = tc_find(tc, pid);

	if (t)
		t->held = false;
	pool_unfix_x(&db->pool, pid);
}

/*
 * One commit context is kept between commits (db->tc_idle, under
 * db->writer like every commit), with its arrays and up to TC_KEEP_PRE
 * pre-image buffers: a commit of a few hundred pages allocated and freed
 * as many 4 KiB buffers, and the heap's top was trimmed and faulted in
 * again each time (a quarter of a bulk load's time).
 */
#define TC_KEEP_PRE	1024
#define REC_BUF_KEEP	(4u << 20)	/* bytes of db->rec_buf kept */

int tc_begin(struct exodb *db, struct tree_ctx **tcp)
{
	struct tree_ctx *tc = db->tc_idle;

	if (tc) {
		db->tc_idle = NULL;
		tc->n = 0;
		if (tc->hcap)
			memset(tc->hash, 0, tc->hcap * sizeof(*tc->hash));
	} else if (!(tc = calloc(1, sizeof(*tc)))) {
		return -ENOMEM;
	}
	/* pinned pages may fill three quarters of the pool */
	tc->limit = MAX(8, db->pool.capacity * 3 / 4);
	*tcp = tc;
	return 0;
}

static void tc_destroy(struct tree_ctx *tc)
{
	for (size_t i = 0; i < tc->cap; i++)
		free(tc->t[i].pre);
	free(tc->t);
	free(tc->hash);
	free(tc);
}

static void tc_free(struct exodb *db, struct tree_ctx *tc)
{
	if (db->tc_idle) {
		tc_destroy(tc);
		return;
	}
	for (size_t i = TC_KEEP_PRE; i < tc->cap; i++) {
		free(tc->t[i].pre);
		tc->t[i].pre = NULL;
	}
	db->tc_idle = tc;
}

/* At close: the kept context goes. */
void tc_idle_free(struct exodb *db)
{
	if (db->tc_idle)
		tc_destroy(db->tc_idle);
	db->tc_idle = NULL;
	free(db->rec_buf);
	db->rec_buf = NULL;
	db->rec_cap = 0;
}

void tc_rollback(struct exodb *db, struct tree_ctx *tc)
{
	for (size_t i = tc->n; i-- > 0;) {
		struct touched *t = &tc->t[i];
		int err;
		void *p = pool_fix_x(&db->pool, t->pid, 0, 0, &err);

		/* pinned pages stay resident: this cannot fail */
		if (p) {
			memcpy(p, t->pre, PAGE);
			db->pool.pm[t->pid].dirty = t->was_dirty;
			db->pool.pm[t->pid].pinned = 0;
			/* as before: a reader of the change saw the new wseq */
			atomic_store(&db->pool.pm[t->pid].wseq, t->was_wseq);
			pool_unfix_x(&db->pool, t->pid);
		}
	}
	tc_free(db, tc);
}

/*
 * The byte ranges where @a and @b differ, ignoring the checksum and the
 * LSN, gaps under 16 bytes merged: (u16 off, u16 len, bytes)...
 * Returns the encoded length, or 0 if a full image is smaller.
 */
static size_t diff(const uint8_t *a, const uint8_t *b, uint8_t *out)
{
	size_t o = 0, i = 4;

	while (i < PAGE) {
		size_t s, e, gap;

		if (i >= offsetof(struct page_hdr, lsn) &&
		    i < offsetof(struct page_hdr, lsn) + 8) {
			i++;
			continue;
		}
		if (a[i] == b[i]) {
			i++;
			continue;
		}
		s = e = i;
		for (gap = 0; i < PAGE && gap < 16; i++) {
			if (a[i] != b[i]) {
				e = i;
				gap = 0;
			} else {
				gap++;
			}
		}
		uint16_t off = (uint16_t)s, len = (uint16_t)(e - s + 1);

		if (o + 4 + len > PAGE / 2)
			return 0;
		memcpy(out + o, &off, 2);
		memcpy(out + o + 2, &len, 2);
		memcpy(out + o + 4, b + s, len);
		o += 4 + len;
		i = e + 1;
	}
	return o;
}

/*
 * Log the commit: one record per page changed, then the commit record.
 * The records are built first, in memory, from the pages as they are;
 * if a page lost its frame since @seq (the pool's lost_seq when the
 * apply began) they may describe a replaced page: -EAGAIN, nothing is
 * logged, the caller rolls back and applies again.  From the check on,
 * the commit goes through whatever happens to the pages.
 */
/* Room for @len more bytes of records in db->rec_buf (kept: db->writer). */
static int rec_room(struct exodb *db, size_t used, size_t len)
{
	if (used + len > db->rec_cap) {
		size_t nc = MAX(db->rec_cap * 2, used + len);
		uint8_t *nb = realloc(db->rec_buf, nc);

		if (!nb)
			return -ENOMEM;
		db->rec_buf = nb;
		db->rec_cap = nc;
	}
	return 0;
}

int tc_commit(struct exodb *db, struct tree_ctx *tc, uint64_t *lsnp,
	      uint64_t seq)
{
	/* the records' bytes at @off in db->rec_buf, which may move */
	struct rec { uint64_t pid; uint8_t type; size_t len, off; }
		*recs = calloc(tc->n ? tc->n : 1, sizeof(*recs));
	uint8_t d[PAGE / 2 + 8];
	uint64_t lsn = 0;
	size_t nr = 0, used = 0;
	int err = recs ? 0 : -ENOMEM;

	for (size_t i = 0; i < tc->n && !err; i++) {
		struct touched *t = &tc->t[i];
		const uint8_t *h = pool_addr(&db->pool, t->pid);
		const struct page_hdr *ph = (const struct page_hdr *)t->pre;
		size_t dl = 0;

		/* unchanged (if logged, for the checkpoint): readers need not retry */
		if (!memcmp(h + 4, t->pre + 4, PAGE - 4))
			atomic_store(&db->pool.pm[t->pid].wseq, t->was_wseq);
		/* a full image the first time after a checkpoint (torn pages) */
		if (ph->lsn >= db->wal.ckpt_lsn && ph->type != PT_ZERO)
			dl = diff(t->pre, h, d);
		if (dl) {
			recs[nr] = (struct rec){ t->pid, REC_DELTA, dl, used };
		} else if (memcmp(h + 4, t->pre + 4, PAGE - 4) ||
			   ph->lsn < db->wal.ckpt_lsn || ph->type == PT_ZERO) {
			recs[nr] = (struct rec){ t->pid, REC_IMAGE, PAGE, used };
		} else {
			continue;	/* fixed but unchanged */
		}
		err = rec_room(db, used, recs[nr].len);
		if (!err) {
			memcpy(db->rec_buf + used, dl ? d : h, recs[nr].len);
			used += recs[nr++].len;
		}
	}
	if (!err && atomic_load(&db->pool.lost_seq) != seq)
		err = -EAGAIN;
	if (!err)
		lost_disarm();	/* the commit point: no escape from here */
	for (size_t i = 0; i < nr && !err; i++) {
		struct page_hdr *h = pool_addr(&db->pool, recs[i].pid);

		err = wal_append(&db->wal, recs[i].type, recs[i].pid,
				 db->rec_buf + recs[i].off, recs[i].len, NULL,
				 0, &lsn);
		if (!err) {
			h->lsn = lsn;
			db->pool.pm[recs[i].pid].dirty = 1;
		}
	}
	if (!err)
		err = wal_append(&db->wal, REC_COMMIT, ++db->txid, NULL, 0,
				 NULL, 0, &lsn);
	/*
	 * Still pinned: each page says the commit record's LSN, so that
	 * writing it back first makes the commit durable, not just its own
	 * record (another thread's flush may have taken that one already).
	 */
	for (size_t i = 0; i < nr && !err; i++)
		((struct page_hdr *)pool_addr(&db->pool, recs[i].pid))->lsn = lsn;
	free(recs);
	if (db->rec_cap > REC_BUF_KEEP) {	/* a huge commit's: not kept */
		free(db->rec_buf);
		db->rec_buf = NULL;
		db->rec_cap = 0;
	}
	if (err)
		return err;	/* the caller rolls back: no commit record */
	for (size_t i = 0; i < tc->n; i++)
		db->pool.pm[tc->t[i].pid].pinned = 0;
	tc_free(db, tc);
	*lsnp = lsn;
	return 0;
}

/* ---- transactions ----------------------------------------------------------- */

static int bad(int err)
{
	errno = -err;
	return err;
}

static int db_live(struct exodb *db)
{
	if (!db)
		return -EINVAL;
	if (db->magic != DB_MAGIC || db->closed)
		return -EBADF;
	if (atomic_load(&db->broken))
		return -EIO;	/* pool/lost.c: reopen */
	return 0;
}

static int txn_live(struct exodb_txn *t)
{
	if (!t || t->magic != TXN_MAGIC || t->state != T_ACTIVE)
		return -EINVAL;
	return db_live(t->db);
}

/*
 * Transaction shells are reused, never freed (a stale handle finds its
 * magic and state).  Each thread keeps the last one it ended, so that a
 * transaction per lookup takes no process-wide lock; other shells wait on
 * their database's list, and a thread's goes there when the thread exits.
 */
static pthread_key_t shell_key;
static bool shell_key_ok;
static pthread_once_t shell_once = PTHREAD_ONCE_INIT;

static void shell_push(struct exodb_txn *t)
{
	struct exodb *db = t->db;

	pthread_mutex_lock(&db->txn_lock);
	t->next_free = db->free_txns;
	db->free_txns = t;
	pthread_mutex_unlock(&db->txn_lock);
}

static void shell_thread_exit(void *t)
{
	shell_push(t);
}

static void shell_key_make(void)
{
	shell_key_ok = !pthread_key_create(&shell_key, shell_thread_exit);
}

static struct exodb_txn *shell_get(struct exodb *db)
{
	struct exodb_txn *t;

	pthread_once(&shell_once, shell_key_make);
	if (shell_key_ok && (t = pthread_getspecific(shell_key)) &&
	    t->db == db) {
		pthread_setspecific(shell_key, NULL);
		return t;
	}
	pthread_mutex_lock(&db->txn_lock);
	t = db->free_txns;
	if (t)
		db->free_txns = t->next_free;
	pthread_mutex_unlock(&db->txn_lock);
	return t;
}

static void shell_put(struct exodb_txn *t)
{
	struct exodb_txn *kept = shell_key_ok ?
				 pthread_getspecific(shell_key) : NULL;

	if (!shell_key_ok || (kept && kept->db == t->db)) {
		shell_push(t);
		return;
	}
	/* this thread's database now is @t's */
	if (pthread_setspecific(shell_key, t)) {
		shell_push(t);
		return;
	}
	if (kept)
		shell_push(kept);
}

int exodb_begin(struct exodb *db, unsigned int flags, struct exodb_txn **tp)
{
	struct exodb_txn *t;
	int err = db_live(db);

	if (err || !tp || (flags & ~EXODB_RDONLY))
		return bad(err ? err : -EINVAL);
	t = shell_get(db);
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return bad(-ENOMEM);
	}
	t->magic = TXN_MAGIC;
	t->db = db;
	t->rw = !(flags & EXODB_RDONLY);
	t->doomed = t->read_any = false;
	t->nws = t->ws_bytes = 0;
	t->ncursors = 0;
	if (t->rw)
		pthread_mutex_lock(&db->writer);
	t->state = T_ACTIVE;
	*tp = t;
	return 0;
}

static void ws_clear(struct exodb_txn *t)
{
	for (size_t i = 0; i < t->nws; i++) {
		free(t->ws[i].key);
		free(t->ws[i].val);
	}
	t->nws = t->ws_bytes = 0;
}

void txn_shrink_all(struct exodb *db)
{
	pthread_mutex_lock(&db->txn_lock);
	for (struct exodb_txn *t = db->free_txns; t; t = t->next_free) {
		free(t->ws);
		free(t->vbuf);
		t->ws = NULL;
		t->vbuf = NULL;
		t->capws = t->vcap = 0;
	}
	pthread_mutex_unlock(&db->txn_lock);
}

static void txn_end(struct exodb_txn *t)
{
	pool_hits_flush();
	ws_clear(t);
	t->state = T_DONE;
	shell_put(t);
}

int exodb_abort(struct exodb_txn *t)
{
	int err = txn_live(t);

	if (err)
		return bad(err);
	if (t->rw)
		pthread_mutex_unlock(&t->db->writer);
	txn_end(t);
	return 0;
}

/* Apply the write set once (armed: a lost page jumps back to the caller). */
static int apply_once(struct exodb *db, struct exodb_txn *t,
		      struct tree_ctx *tc, uint64_t *lsn, uint64_t seq)
{
	int err = 0;

	for (size_t i = 0; i < t->nws && !err; i++) {
		struct ws_ent *e = &t->ws[i];
		uint64_t root = table_root(db, e->tbl);

		if (!root)
			err = -ENOENT;
		else if (e->del)
			err = bt_del(db, tc, e->tbl, root, e->key, e->klen);
		else
			err = bt_put(db, tc, e->tbl, root, e->key, e->klen,
				     e->val, e->vlen);
		if (err == -ENOENT && e->del)
			err = 0;
	}
	if (!err)
		err = tc_commit(db, tc, lsn, seq);
	return err;
}

/*
 * Apply, log, and let the writer lock go; the caller waits for @lsn.
 * A page that loses its frame to exo while we apply (pool/lost.c) sends
 * us back here: roll back, rebuild the lost pages, apply again.
 */
static int apply_locked(struct exodb *db, struct exodb_txn *t, uint64_t *lsn)
{
	struct tree_ctx *volatile tc = NULL;
	volatile int tries = 0;
	sigjmp_buf jb;
	int err;

	err = db_log_room(db);
	if (err)
		return err;
	pthread_mutex_lock(&db->rebuild);	/* no rebuild under the apply */
	atomic_fetch_add(&db->commit_seq, 1);	/* odd: applying */
	for (;;) {
		struct tree_ctx *c;

		if (sigsetjmp(jb, 0)) {
			lost_landed(&db->pool);
			err = -EAGAIN;
		} else {
			/* no lost page may be read as if it were current */
			uint64_t seq;

			err = lost_settle(db, &seq);
			if (err)
				break;
			err = tc_begin(db, &c);
			if (err)
				break;
			tc = c;
			lost_arm(&jb);
			err = apply_once(db, t, c, lsn, seq);
			lost_disarm();
			if (!err)
				tc = NULL;	/* committed: tc_commit freed it */
		}
		if (tc)
			tc_rollback(db, tc);
		tc = NULL;
		if (err != -EAGAIN || ++tries > 1000)
			break;
	}
	if (!err)
		atomic_store(&db->last_commit_lsn, *lsn);
	atomic_fetch_add(&db->commit_seq, 1);	/* even again */
	pthread_mutex_unlock(&db->rebuild);
	return err;
}

int exodb_commit(struct exodb_txn *t)
{
	struct exodb *db;
	uint64_t lsn = 0;
	int err = txn_live(t);

	if (err)
		return bad(err);
	db = t->db;
	if (!t->rw) {
		err = t->doomed ? -EAGAIN : 0;
		if (!err && t->snap_lsn)
			err = wal_flush_to(&db->wal, t->snap_lsn);
		txn_end(t);
		return err ? bad(err) : 0;
	}
	if (t->nws)
		err = apply_locked(db, t, &lsn);
	pthread_mutex_unlock(&db->writer);
	txn_end(t);
	if (!err && lsn) {
		err = wal_flush_to(&db->wal, lsn);	/* group commit */
		atomic_fetch_add(&db->commits, 1);
	}
	return err ? bad(err) : 0;
}

/* Internal commits (catalogue): the caller holds db->writer. */
int txn_apply_internal(struct exodb *db, int (*fn)(struct exodb *,
		       struct tree_ctx *, void *), void *arg, uint64_t *lsn)
{
	struct tree_ctx *tc;
	uint64_t seq;
	int err;

	pthread_mutex_lock(&db->rebuild);	/* no rebuild under the apply */
	err = tc_begin(db, &tc);
	if (err)
		goto out;
	err = lost_settle(db, &seq);
	if (err) {
		tc_rollback(db, tc);
		goto out;
	}
	atomic_fetch_add(&db->commit_seq, 1);
	err = fn(db, tc, arg);
	if (!err)
		err = tc_commit(db, tc, lsn, seq);
	if (err)
		tc_rollback(db, tc);
	else
		atomic_store(&db->last_commit_lsn, *lsn);
	atomic_fetch_add(&db->commit_seq, 1);
out:
	pthread_mutex_unlock(&db->rebuild);
	return err;
}

/* ---- the write set ------------------------------------------------------------ */

static int ws_cmp(const struct ws_ent *e, uint32_t tbl, const void *k,
		  size_t kl)
{
	if (e->tbl != tbl)
		return e->tbl < tbl ? -1 : 1;
	return keycmp(e->key, e->klen, k, kl);
}

/* First entry >= (tbl, k). */
static size_t ws_lb(const struct exodb_txn *t, uint32_t tbl, const void *k,
		    size_t kl, bool *eq)
{
	size_t lo = 0, hi = t->nws;

	*eq = false;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = ws_cmp(&t->ws[mid], tbl, k, kl);

		if (c < 0) {
			lo = mid + 1;
		} else {
			*eq |= c == 0;
			hi = mid;
		}
	}
	return lo;
}

static int ws_set(struct exodb_txn *t, uint32_t tbl, const void *k,
		  size_t kl, const void *v, size_t vl, bool del)
{
	bool eq;
	size_t i = ws_lb(t, tbl, k, kl, &eq);
	uint8_t *vc = NULL;

	if (t->ws_bytes + kl + vl > WS_MAX_BYTES)
		return -ENOMEM;
	if (!del) {
		vc = malloc(vl ? vl : 1);
		if (!vc)
			return -ENOMEM;
		memcpy(vc, v, vl);
	}
	if (eq) {
		free(t->ws[i].val);
	} else {
		uint8_t *kc = malloc(kl ? kl : 1);

		if (!kc || (t->nws == t->capws &&
			    !(t->ws = realloc(t->ws, (t->capws = t->capws ?
					      t->capws * 2 : 16) *
					      sizeof(*t->ws))))) {
			free(kc);
			free(vc);
			return -ENOMEM;
		}
		memcpy(kc, k, kl);
		memmove(&t->ws[i + 1], &t->ws[i], (t->nws - i) * sizeof(*t->ws));
		t->nws++;
		t->ws[i] = (struct ws_ent){ .tbl = tbl, .key = kc, .klen = kl };
	}
	t->ws[i].del = del;
	t->ws[i].val = vc;
	t->ws[i].vlen = del ? 0 : vl;
	t->ws_bytes += kl + vl;
	return 0;
}

/* ---- reads ------------------------------------------------------------------- */

static int check_table(struct exodb *db, unsigned int tbl)
{
	return table_root(db, tbl) ? 0 : -ENOENT;
}

/* Before a read-only transaction's read: its snapshot. */
static void ro_enter(struct exodb_txn *t)
{
	struct exodb *db = t->db;

	if (t->read_any) {
		pool_ro_limit = t->snap + 1;
		pool_ro_stale = false;
		return;
	}
	for (;;) {
		uint64_t s = atomic_load(&db->commit_seq);

		if (!(s & 1)) {
			t->snap = s;
			t->snap_lsn = atomic_load(&db->last_commit_lsn);
			if (atomic_load(&db->commit_seq) == s)
				break;
		}
		sched_yield();
	}
	pool_ro_limit = t->snap + 1;
	pool_ro_stale = false;
}

/* After it: still the same committed state?  (0, or -EAGAIN) */
static int ro_leave(struct exodb_txn *t, bool *retry)
{
	bool stale = pool_ro_stale ||
		     atomic_load(&t->db->cat_seq) > t->snap;

	*retry = false;
	pool_ro_limit = 0;
	pool_ro_stale = false;
	if (!stale) {
		t->read_any = true;
		return 0;
	}
	if (!t->read_any) {
		*retry = true;	/* nothing returned yet: read again */
		return 0;
	}
	t->doomed = true;
	atomic_fetch_add(&t->db->conflicts, 1);
	return -EAGAIN;
}

/*
 * Run read @fn(@arg, again) so that a page losing its frame under it
 * (pool/lost.c) cannot make it return what it read there: the loss
 * jumps back here, or shows in lost_seq; the latches are let go, the
 * lost pages rebuilt, and @fn runs again (@again set).
 */
static int guarded(struct exodb_txn *t, int (*fn)(void *arg, bool again),
		   void *arg)
{
	struct exodb *db = t->db;
	volatile int tries = 0;
	sigjmp_buf jb;
	int err;

	for (;;) {
		uint64_t seq;

		err = lost_settle(db, &seq);
		if (err)
			return err;
		if (sigsetjmp(jb, 0)) {
			lost_landed(&db->pool);
		} else {
			lost_arm(&jb);
			err = fn(arg, tries > 0);
			lost_disarm();
			if (atomic_load(&db->pool.lost_seq) == seq)
				return err;
		}
		if (++tries > 1000)
			return -EIO;
	}
}

struct get_args {
	struct exodb_txn *t;
	unsigned int tbl;
	const void *k;
	size_t kl, *vl;
};

static int get_fn(void *arg, bool again)
{
	struct get_args *a = arg;
	struct exodb_txn *t = a->t;

	uint64_t root = table_root(t->db, a->tbl);

	(void)again;
	if (!root)
		return -ENOENT;		/* dropped since the check */
	return bt_get(t->db, a->tbl, root, a->k, a->kl, &t->vbuf, &t->vcap,
		      a->vl, 0);
}

int exodb_get(struct exodb_txn *t, unsigned int tbl, const void *k,
	      size_t kl, const void **v, size_t *vl)
{
	struct get_args ga = { t, tbl, k, kl, vl };
	int err = txn_live(t);
	bool retry;

	if (err)
		return bad(err);
	if (!k || !v || !vl || kl > EXODB_MAX_KEY)
		return bad(kl > EXODB_MAX_KEY ? -E2BIG : -EINVAL);
	if (t->doomed)
		return bad(-EAGAIN);
	if ((err = check_table(t->db, tbl)))
		return bad(err);
	if (t->rw) {
		bool eq;
		size_t i = ws_lb(t, tbl, k, kl, &eq);

		if (eq) {
			if (t->ws[i].del)
				return bad(-ENOENT);
			*v = t->ws[i].val;
			*vl = t->ws[i].vlen;
			return 0;
		}
		err = guarded(t, get_fn, &ga);
		*v = t->vbuf;
		return err ? bad(err) : 0;
	}
	do {
		ro_enter(t);
		err = guarded(t, get_fn, &ga);
		int e2 = ro_leave(t, &retry);

		if (e2)
			err = e2;
	} while (retry);
	*v = t->vbuf;
	return err ? bad(err) : 0;
}

int exodb_put(struct exodb_txn *t, unsigned int tbl, const void *k,
	      size_t kl, const void *v, size_t vl)
{
	int err = txn_live(t);

	if (err)
		return bad(err);
	if (!t->rw)
		return bad(-EROFS);
	if ((!k && kl) || (!v && vl))
		return bad(-EINVAL);
	if (kl > EXODB_MAX_KEY || vl > EXODB_MAX_VALUE)
		return bad(-E2BIG);
	if ((err = check_table(t->db, tbl)))
		return bad(err);
	err = ws_set(t, tbl, k ? k : "", kl, v ? v : "", vl, false);
	return err ? bad(err) : 0;
}

int exodb_del(struct exodb_txn *t, unsigned int tbl, const void *k,
	      size_t kl)
{
	const void *v;
	size_t vl;
	int err = txn_live(t);

	if (err)
		return bad(err);
	if (!t->rw)
		return bad(-EROFS);
	if (!k && kl)
		return bad(-EINVAL);
	err = exodb_get(t, tbl, k ? k : "", kl, &v, &vl);
	if (err)
		return err;
	err = ws_set(t, tbl, k ? k : "", kl, NULL, 0, true);
	return err ? bad(err) : 0;
}

/* ---- cursors: the tree merged with the write set -------------------------------- */

static int cur_live(struct exodb_cursor *c)
{
	if (!c || c->magic != CUR_MAGIC)
		return -EINVAL;
	return txn_live(c->txn);
}

int exodb_cursor_open(struct exodb_txn *t, unsigned int tbl,
		      struct exodb_cursor **cp)
{
	struct exodb_cursor *c;
	int err = txn_live(t);

	if (err)
		return bad(err);
	if (!cp)
		return bad(-EINVAL);
	if ((err = check_table(t->db, tbl)))
		return bad(err);
	c = calloc(1, sizeof(*c));
	if (!c)
		return bad(-ENOMEM);
	c->magic = CUR_MAGIC;
	c->txn = t;
	c->tbl = tbl;
	c->bt.db = t->db;
	c->bt.tbl = tbl;
	c->bt.root = table_root(t->db, tbl);
	t->ncursors++;
	*cp = c;
	return 0;
}

void exodb_cursor_hint_scan(struct exodb_cursor *c, int on)
{
	if (c && c->magic == CUR_MAGIC)
		c->bt.fixfl = on ? FIX_SCAN : 0;
}

void exodb_cursor_close(struct exodb_cursor *c)
{
	if (!c || c->magic != CUR_MAGIC)
		return;
	c->magic = 0;
	btc_free(&c->bt);
	free(c->kbuf);
	free(c);
}

/* The write-set entries of the cursor's table: [lo, hi). */
static void ws_range(struct exodb_cursor *c, size_t *lo, size_t *hi)
{
	struct exodb_txn *t = c->txn;
	bool eq;

	*lo = ws_lb(t, c->tbl, "", 0, &eq);
	*hi = *lo;
	while (*hi < t->nws && t->ws[*hi].tbl == c->tbl)
		(*hi)++;
}

/*
 * Position on the entry nearest @k in direction @fwd (@strict: not @k
 * itself); @k NULL: the first (fwd) or last entry.  Tree and write set
 * merged: the write set wins on equal keys, its deletions hide keys.
 */
static int position(struct exodb_cursor *c, bool fwd, const void *k,
		    size_t kl, bool strict)
{
	struct exodb_txn *t = c->txn;
	uint8_t key[EXODB_MAX_KEY];
	size_t lo = 0, hi = 0;

	if (k) {
		memcpy(key, k, kl);
		k = key;
	}
	if (t->rw)
		ws_range(c, &lo, &hi);
	c->valid = false;
	for (;;) {
		int err;
		bool bt_ok, ws_ok, eq;
		size_t wi = 0;

		/* tree */
		if (!k)
			err = btc_seek(&c->bt, fwd ? EXODB_FIRST : EXODB_LAST,
				       NULL, 0);
		else
			err = btc_seek(&c->bt, fwd ? EXODB_GE : EXODB_LE, k, kl);
		if (!err && k && strict &&
		    !keycmp(c->bt.key, c->bt.klen, k, kl))
			err = fwd ? btc_next(&c->bt) : btc_prev(&c->bt);
		if (err && err != -ENOENT)
			return err;
		bt_ok = !err;
		/* write set */
		ws_ok = false;
		if (lo < hi) {
			if (!k) {
				wi = fwd ? lo : hi - 1;
				ws_ok = true;
			} else {
				size_t i = ws_lb(t, c->tbl, k, kl, &eq);

				if (fwd) {
					if (eq && strict)
						i++;
					ws_ok = i < hi;
					wi = i;
				} else {
					if (eq && !strict)
						i++;
					ws_ok = i > lo;
					wi = i - 1;
				}
			}
		}
		if (!bt_ok && !ws_ok)
			return -ENOENT;
		if (ws_ok && bt_ok) {
			int cmp = keycmp(t->ws[wi].key, t->ws[wi].klen,
					 c->bt.key, c->bt.klen);

			if (fwd ? cmp > 0 : cmp < 0)
				ws_ok = false;	/* the tree's is nearer */
		}
		if (!ws_ok) {
			c->k = c->bt.key;
			c->kl = c->bt.klen;
			c->v = c->bt.val;
			c->vl = c->bt.vlen;
			break;
		}
		if (!t->ws[wi].del) {
			c->k = t->ws[wi].key;
			c->kl = t->ws[wi].klen;
			c->v = t->ws[wi].val;
			c->vl = t->ws[wi].vlen;
			break;
		}
		/* a deleted key: look past it */
		memcpy(key, t->ws[wi].key, t->ws[wi].klen);
		kl = t->ws[wi].klen;
		k = key;
		strict = true;
	}
	c->valid = true;
	return 0;
}

struct cur_args {
	struct exodb_cursor *c;
	bool fwd, strict, retry;
	const void *k;
	size_t kl;
	int step;
};

static int cur_fn(void *arg, bool again)
{
	struct cur_args *a = arg;
	struct exodb_cursor *c = a->c;
	struct exodb_txn *t = c->txn;
	int err;

	if (a->step && !(t->rw && t->nws) && c->bt.valid && !a->retry &&
	    !again) {
		/* fast path: the tree alone */
		err = a->step > 0 ? btc_next(&c->bt) : btc_prev(&c->bt);
		c->valid = !err;
		c->k = c->bt.key;
		c->kl = c->bt.klen;
		c->v = c->bt.val;
		c->vl = c->bt.vlen;
		return err;
	}
	return position(c, a->fwd, a->k, a->kl, a->strict);
}

/* Run @op as a read: read-only transactions validate, retry if unseen. */
static int cur_op(struct exodb_cursor *c, bool fwd, const void *k, size_t kl,
		  bool strict, int step)
{
	struct exodb_txn *t = c->txn;
	struct cur_args ca = { c, fwd, strict, false, k, kl, step };
	int err = cur_live(c);
	bool retry = false;

	if (err)
		return bad(err);
	if (t->doomed)
		return bad(-EAGAIN);
	do {
		if (!t->rw)
			ro_enter(t);
		ca.retry = retry;
		err = guarded(t, cur_fn, &ca);
		if (!t->rw) {
			int e2 = ro_leave(t, &retry);

			if (e2)
				err = e2;
		}
	} while (retry);
	if (err)
		c->valid = false;
	return err ? bad(err) : 0;
}

int exodb_cursor_seek(struct exodb_cursor *c, enum exodb_seek how,
		      const void *k, size_t kl)
{
	if ((how == EXODB_GE || how == EXODB_LE) && (!k || kl > EXODB_MAX_KEY))
		return bad(kl > EXODB_MAX_KEY ? -E2BIG : -EINVAL);
	switch (how) {
	case EXODB_FIRST:
		return cur_op(c, true, NULL, 0, false, 0);
	case EXODB_LAST:
		return cur_op(c, false, NULL, 0, false, 0);
	case EXODB_GE:
		return cur_op(c, true, k, kl, false, 0);
	case EXODB_LE:
		return cur_op(c, false, k, kl, false, 0);
	}
	return bad(-EINVAL);
}

static int step(struct exodb_cursor *c, int dir)
{
	int err = cur_live(c);

	if (err)
		return bad(err);
	if (!c->valid)
		return bad(-ENOENT);
	if (c->kcap < c->kl + 1) {
		uint8_t *n = realloc(c->kbuf, c->kl + 1);

		if (!n)
			return bad(-ENOMEM);
		c->kbuf = n;
		c->kcap = c->kl + 1;
	}
	memcpy(c->kbuf, c->k, c->kl);
	return cur_op(c, dir > 0, c->kbuf, c->kl, true, dir);
}

int exodb_cursor_next(struct exodb_cursor *c)
{
	return step(c, 1);
}

int exodb_cursor_prev(struct exodb_cursor *c)
{
	return step(c, -1);
}

int exodb_cursor_get(struct exodb_cursor *c, const void **k, size_t *kl,
		     const void **v, size_t *vl)
{
	int err = cur_live(c);

	if (err)
		return bad(err);
	if (!c->valid)
		return bad(-ENOENT);
	if (k)
		*k = c->k;
	if (kl)
		*kl = c->kl;
	if (v)
		*v = c->v;
	if (vl)
		*vl = c->vl;
	return 0;
}
