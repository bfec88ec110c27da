// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The database: open (backend, pool, log, recovery, catalogue), close,
 * checkpoints, named tables, counters.
 *
 * Page 0 is the meta page (struct meta_page: space accounting, next
 * table id); page 1 is the root of the catalogue, table 0, a B+tree from
 * table name to (id, root page).  Table roots never move, so the
 * catalogue changes only when a table is made.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../internal.h"

int txn_apply_internal(struct exodb *db, int (*fn)(struct exodb *,
		       struct tree_ctx *, void *), void *arg, uint64_t *lsn);

/* exo grew by an extent: the header lists it before a page in it is used */
static int extents_changed(struct backend *be, void *ctx)
{
	struct exodb *db = ctx;

	(void)be;
	if (db->recovering)
		return 0;	/* the checkpoint after recovery writes it */
	return wal_write_header(&db->wal, db->wal.ckpt_lsn);
}

static int flush_log(struct exodb *db, uint64_t lsn)
{
	return wal_flush_to(&db->wal, lsn);
}

/*
 * Checkpoint: log durable, every dirty page written, header moved on.
 * A page whose frame exo repossessed is rebuilt first (the log it needs
 * must stay until it is written); one lost while writing: again.
 */
static int checkpoint(struct exodb *db)
{
	struct meta_page *m;
	uint64_t hw, r, seq;
	int err, tries = 0;

	for (;;) {
		err = db_rebuild_lost(db);
		/*
		 * A broken handle's pool lacks committed state that only the
		 * log holds (a repossessed dirty page that could not be
		 * rebuilt): no checkpoint may truncate the log; the next open
		 * recovers from it.
		 */
		if (!err && atomic_load(&db->broken))
			err = -EIO;
		if (err)
			return err;
		seq = atomic_load(&db->pool.lost_seq);
		err = wal_flush_to(&db->wal, db->wal.tail);
		if (err)
			return err;
		m = pool_fix_s(&db->pool, 0, 0, 0, &err);
		if (!m)
			return err;
		hw = m->npages;
		pool_unfix_s(&db->pool, 0);
		r = db->wal.tail;
		err = pool_flush_all(&db->pool, hw);
		if (err || (atomic_load(&db->pool.lost_seq) == seq &&
			    !atomic_load(&db->pool.lost_pages)))
			break;
		if (++tries == 1000)
			return -EAGAIN;
	}
	if (!err)
		err = wal_write_header(&db->wal, r);
	if (!err)
		atomic_fetch_add(&db->checkpoints, 1);
	return err;
}

/* The writer lock held; the pool's rebuild lock taken here. */
int db_checkpoint_locked(struct exodb *db)
{
	int err;

	pthread_mutex_lock(&db->rebuild);
	err = checkpoint(db);
	pthread_mutex_unlock(&db->rebuild);
	return err;
}

int exodb_checkpoint(struct exodb *db)
{
	int err;

	if (!db || db->magic != DB_MAGIC || db->closed)
		return -EBADF;
	pthread_mutex_lock(&db->writer);
	err = db_checkpoint_locked(db);
	pthread_mutex_unlock(&db->writer);
	return err;
}

/* ---- making a database ------------------------------------------------------- */

static int init_pages(struct exodb *db, struct tree_ctx *tc, void *arg)
{
	struct meta_page *m;
	struct node *root;
	int err;

	(void)arg;
	if (db->be->data_pages < 2 && (err = db->be->ops->grow(db->be, 2)))
		return err;
	m = tc_fix_new(db, tc, 0, 0, &err);
	if (!m)
		return err;
	m->h.type = PT_META;
	m->h.pid = 0;
	m->magic = META_MAGIC;
	m->version = 1;
	m->page_size = PAGE;
	m->npages = 2;
	m->next_table = 1;
	tc_unfix(db, tc, 0);
	root = tc_fix_new(db, tc, CATALOG_ROOT, CATALOG_TABLE, &err);
	if (!root)
		return err;
	node_init(root, CATALOG_ROOT, CATALOG_TABLE, 0);
	tc_unfix(db, tc, CATALOG_ROOT);
	return 0;
}

/*
 * A table being dropped is kept in the catalogue under a key no name can
 * have (names hold no NUL): 0, then its id big-endian.
 */
#define DROP_KEY	5

static void drop_key(uint8_t *k, uint32_t id)
{
	k[0] = 0;
	k[1] = (uint8_t)(id >> 24);
	k[2] = (uint8_t)(id >> 16);
	k[3] = (uint8_t)(id >> 8);
	k[4] = (uint8_t)id;
}

int db_load_catalog(struct exodb *db)
{
	struct bt_cursor c = { .db = db, .tbl = CATALOG_TABLE,
			       .root = CATALOG_ROOT };
	int err;

	memset(db->tables, 0, (EXODB_MAX_TABLES + 1) * sizeof(*db->tables));
	db->tables[0].used = true;
	strcpy(db->tables[0].name, "(catalogue)");
	atomic_store_explicit(&db->tables[0].root, CATALOG_ROOT,
			      memory_order_release);
	for (err = btc_seek(&c, EXODB_FIRST, NULL, 0); !err;
	     err = btc_next(&c)) {
		struct catalog_val v;

		if (c.vlen != sizeof(v) || c.klen > EXODB_MAX_NAME || !c.klen) {
			err = -EUCLEAN;
			break;
		}
		memcpy(&v, c.val, sizeof(v));
		if (!v.id || v.id > EXODB_MAX_TABLES || !v.root ||
		    v.root >= db->pool.npages ||
		    db->tables[v.id].used || db->tables[v.id].drop_root) {
			err = -EUCLEAN;
			break;
		}
		if (!c.key[0]) {
			/* a table being dropped: its tree is freed at open */
			uint8_t k[DROP_KEY];

			drop_key(k, v.id);
			if (c.klen != DROP_KEY || memcmp(c.key, k, DROP_KEY)) {
				err = -EUCLEAN;
				break;
			}
			db->tables[v.id].drop_root = v.root;
			continue;
		}
		db->tables[v.id].used = true;
		memcpy(db->tables[v.id].name, c.key, c.klen);
		db->tables[v.id].name[c.klen] = 0;
		atomic_store_explicit(&db->tables[v.id].root, v.root,
				      memory_order_release);
	}
	btc_free(&c);
	return err == -ENOENT ? 0 : err;
}

static void *event_thread(void *arg)
{
	struct exodb *db = arg;

	while (!atomic_load(&db->ev_stop))
		db->be->ops->poll_events(db->be, db, 50);
	return NULL;
}

static void db_teardown(struct exodb *db)
{
	pool_hits_flush();	/* nothing of ours left to add to a freed db */
	if (db->ev_running) {
		atomic_store(&db->ev_stop, true);
		pthread_join(db->ev_thread, NULL);
		db->ev_running = false;
	}
	if (db->be && db->be->ops->replace)
		lost_unregister(db);
	pool_destroy(&db->pool);
	wal_close(&db->wal);
	if (db->be)
		db->be->ops->close(db->be);
	db->be = NULL;
	free(db->tables);
	db->tables = NULL;
	txn_shrink_all(db);
	tc_idle_free(db);
}

/*
 * A closed handle's shell (struct exodb, without its pool, log, catalogue
 * or backend) and its transactions' shells stay allocated, so that a
 * stale handle gets -EBADF rather than freed memory: about 9 KiB per
 * open and close (most of it the pool's per-table hit and miss counts), on a
 * list so that they are kept, not lost.
 */
static pthread_mutex_t closed_lock = PTHREAD_MUTEX_INITIALIZER;
static struct exodb *closed_dbs;

int exodb_open(const char *uri, const struct exodb_opts *uo,
	       struct exodb **dbp)
{
	struct exodb_opts o = { .sz = sizeof(o), .exo_fd = -1 };
	struct exodb *db;
	struct meta_page *m;
	uint32_t cap;
	uint64_t lsn;
	int err;

	if (!uri || !dbp)
		return -EINVAL;
	if (uo) {
		if (uo->sz < sizeof(size_t) || uo->sz > sizeof(o))
			return -EINVAL;
		memcpy(&o, uo, uo->sz);
	}
	if (!o.pool_pages)
		o.pool_pages = 4096;
	if (!o.max_pages)
		o.max_pages = 1ull << 22;
	if (o.pool_pages < 16 || o.max_pages < 16 || o.max_pages > 1ull << 32 ||
	    o.policy > EXODB_POLICY_CLOCK ||
	    (o.log_blocks && o.log_blocks < 300))
		return -EINVAL;
	db = calloc(1, sizeof(*db));
	if (db)
		db->tables = calloc(EXODB_MAX_TABLES + 1, sizeof(*db->tables));
	if (!db || !db->tables) {
		free(db);
		return -ENOMEM;
	}
	db->magic = DB_MAGIC;
	pthread_mutex_init(&db->writer, NULL);
	{
		pthread_mutexattr_t ra;

		pthread_mutexattr_init(&ra);
		pthread_mutexattr_settype(&ra, PTHREAD_MUTEX_RECURSIVE);
		pthread_mutex_init(&db->rebuild, &ra);
		pthread_mutexattr_destroy(&ra);
	}
	pthread_mutex_init(&db->txn_lock, NULL);
	pthread_mutex_init(&db->cat_lock, NULL);
	if (!strncmp(uri, "exo:", 4))
		err = be_exo_open(uri + 4, &o, &db->be);
	else
		err = be_file_open(!strncmp(uri, "file:", 5) ? uri + 5 : uri,
				   &o, &db->be);
	if (err)
		goto fail;
	db->be->extents_changed = extents_changed;
	db->be->ctx = db;
	cap = o.pool_pages;
	if (be_exo_quota(db->be)) {
		/* the info page's quota, less the log's frames and a margin */
		uint32_t q = be_exo_quota(db->be);

		if (q < WAL_FRAMES + 64 + 16) {
			err = -EDQUOT;
			goto fail;
		}
		cap = MIN(cap, q - WAL_FRAMES - 64);
	}
	err = pool_init(&db->pool, db, db->be, o.max_pages, cap, o.policy);
	if (err)
		goto fail;
	db->pool.flush_log = flush_log;
	err = wal_open(&db->wal, db, db->be);
	if (err)
		goto fail;
	/* exo may take frames back: the SIGBUS handler covers pool and log */
	if (db->be->ops->replace)
		lost_register(db);
	if (db->be->created) {
		db->wal.ring_bytes = (db->be->log_blocks - LOG_HDR_BLOCKS) * PAGE;
		db->wal.tail = db->wal.durable = db->wal.ckpt_lsn = PAGE;
		db->wal.epoch = 1;
		err = wal_write_header(&db->wal, PAGE);
		if (!err)
			err = txn_apply_internal(db, init_pages, NULL, &lsn);
		if (!err)
			err = wal_flush_to(&db->wal, lsn);
	} else {
		db->recovering = true;
		err = wal_recover(&db->wal);
		db->recovering = false;
	}
	if (!err)
		err = db_checkpoint_locked(db);
	if (err)
		goto fail;
	m = pool_fix_s(&db->pool, 0, 0, 0, &err);
	if (!m)
		goto fail;
	if (m->magic != META_MAGIC || m->page_size != PAGE ||
	    m->npages < 2 || m->npages > db->pool.npages)
		err = -EUCLEAN;
	pool_unfix_s(&db->pool, 0);
	if (!err)
		err = db_load_catalog(db);
	if (err)
		goto fail;
	/* a dropped tree that cannot be freed stays (check reports it) */
	(void)db_drop_resume(db);
	if (strcmp(db->be->ops->name, "file")) {
		if (pthread_create(&db->ev_thread, NULL, event_thread, db) == 0)
			db->ev_running = true;
	}
	*dbp = db;
	return 0;
fail:
	db_teardown(db);
	free(db);
	errno = -err;
	return err;
}

int exodb_close(struct exodb *db)
{
	int err;

	if (!db)
		return -EINVAL;
	if (db->magic != DB_MAGIC || db->closed)
		return -EBADF;
	pthread_mutex_lock(&db->writer);
	err = db_checkpoint_locked(db);
	db->closed = true;
	pthread_mutex_unlock(&db->writer);
	db_teardown(db);
	pthread_mutex_lock(&closed_lock);
	db->next_closed = closed_dbs;
	closed_dbs = db;
	pthread_mutex_unlock(&closed_lock);
	return err;
}

/* ---- tables ------------------------------------------------------------------ */

struct mk_table { const char *name; size_t len; uint32_t id; uint64_t root; };

static int make_table(struct exodb *db, struct tree_ctx *tc, void *arg)
{
	struct mk_table *mt = arg;
	struct catalog_val v = { 0 };
	struct meta_page *m;
	int err;

	/* the lowest id no table has or is giving back (writer held) */
	for (mt->id = 1; mt->id <= EXODB_MAX_TABLES; mt->id++)
		if (!db->tables[mt->id].used && !db->tables[mt->id].drop_root)
			break;
	if (mt->id > EXODB_MAX_TABLES)
		return -ENOSPC;
	m = tc_fix(db, tc, 0, 0, &err);
	if (!m)
		return err;
	m->next_table = MAX(m->next_table, mt->id + 1);
	tc_unfix(db, tc, 0);
	err = bt_create(db, tc, mt->id, &mt->root);
	if (err)
		return err;
	v.id = mt->id;
	v.root = mt->root;
	return bt_put(db, tc, CATALOG_TABLE, CATALOG_ROOT, mt->name, mt->len,
		      &v, sizeof(v));
}

int exodb_table(struct exodb *db, const char *name, int create,
		unsigned int *id)
{
	struct mk_table mt;
	uint64_t lsn = 0;
	int err;

	if (!db || !name || !id)
		return -EINVAL;
	if (db->magic != DB_MAGIC || db->closed)
		return -EBADF;
	mt.name = name;
	mt.len = strlen(name);
	if (!mt.len || mt.len > EXODB_MAX_NAME)
		return -EINVAL;
	pthread_mutex_lock(&db->writer);
	pthread_mutex_lock(&db->cat_lock);
	for (uint32_t i = 1; i <= EXODB_MAX_TABLES; i++)
		if (db->tables[i].used && !strcmp(db->tables[i].name, name)) {
			*id = i;
			pthread_mutex_unlock(&db->cat_lock);
			pthread_mutex_unlock(&db->writer);
			return 0;
		}
	pthread_mutex_unlock(&db->cat_lock);
	if (!create) {
		pthread_mutex_unlock(&db->writer);
		return -ENOENT;
	}
	err = txn_apply_internal(db, make_table, &mt, &lsn);
	if (!err) {
		pthread_mutex_lock(&db->cat_lock);
		db->tables[mt.id].used = true;
		strcpy(db->tables[mt.id].name, name);
		/* readers find it without the lock: the root last */
		atomic_store_explicit(&db->tables[mt.id].root, mt.root,
				      memory_order_release);
		pthread_mutex_unlock(&db->cat_lock);
	}
	pthread_mutex_unlock(&db->writer);
	if (!err)
		err = wal_flush_to(&db->wal, lsn);
	if (!err)
		*id = mt.id;
	return err;
}

/* ---- dropping tables ---------------------------------------------------------- */

struct drop { uint32_t id; uint64_t root; const char *name; size_t len;
	      long budget; bool done; };

/* The first commit: the name goes, the tree is noted as being dropped. */
static int drop_begin(struct exodb *db, struct tree_ctx *tc, void *arg)
{
	struct drop *d = arg;
	struct catalog_val v = { .id = d->id, .root = d->root };
	uint8_t k[DROP_KEY];
	int err = bt_del(db, tc, CATALOG_TABLE, CATALOG_ROOT, d->name, d->len);

	if (err)
		return err == -ENOENT ? -EUCLEAN : err;
	drop_key(k, d->id);
	return bt_put(db, tc, CATALOG_TABLE, CATALOG_ROOT, k, DROP_KEY, &v,
		      sizeof(v));
}

/* Each later one frees a part; the last also forgets the table. */
static int drop_step(struct exodb *db, struct tree_ctx *tc, void *arg)
{
	struct drop *d = arg;
	uint8_t k[DROP_KEY];
	int err = bt_drop_step(db, tc, d->id, d->root, d->budget, &d->done);

	if (err || !d->done)
		return err;
	drop_key(k, d->id);
	err = bt_del(db, tc, CATALOG_TABLE, CATALOG_ROOT, k, DROP_KEY);
	return err == -ENOENT ? -EUCLEAN : err;
}

/*
 * Room in the log for a commit as large as the pool allows, else a
 * checkpoint first.  The writer lock held.
 */
int db_log_room(struct exodb *db)
{
	if (db->wal.tail - db->wal.ckpt_lsn > db->wal.ring_bytes / 2)
		return db_checkpoint_locked(db);
	return 0;
}

/*
 * Free the tree of table @id, being dropped, commit by commit (each
 * freeing a bounded number of pages, so a table larger than the pool
 * goes too), with the writer lock let go between commits.
 */
static int drop_finish(struct exodb *db, uint32_t id, uint64_t *lsn,
		       unsigned int max_steps)
{
	/* a freed page is logged whole: keep a commit well inside the log */
	long budget = MIN(db->pool.capacity / 4,
			  db->wal.ring_bytes / PAGE / 16);
	struct drop d = { .id = id, .budget = MAX(4, budget) };
	int err = 0;

	while (!err && !d.done) {
		if (!max_steps--)
			return -EINTR;
		pthread_mutex_lock(&db->writer);
		d.root = db->tables[id].drop_root;
		err = db_log_room(db);
		if (!err)
			err = txn_apply_internal(db, drop_step, &d, lsn);
		if (!err && d.done) {
			pthread_mutex_lock(&db->cat_lock);
			db->tables[id].drop_root = 0;
			pthread_mutex_unlock(&db->cat_lock);
		}
		pthread_mutex_unlock(&db->writer);
	}
	return err;
}

/* Tests stop a drop after @max_steps commits freeing pages (-EINTR). */
int db_table_drop(struct exodb *db, const char *name, unsigned int max_steps)
{
	struct drop d = { .name = name };
	uint64_t lsn = 0;
	int err;

	if (!db || !name)
		return -EINVAL;
	if (db->magic != DB_MAGIC || db->closed)
		return -EBADF;
	d.len = strlen(name);
	if (!d.len || d.len > EXODB_MAX_NAME)
		return -EINVAL;
	pthread_mutex_lock(&db->writer);
	for (uint32_t i = 1; i <= EXODB_MAX_TABLES && !d.id; i++)
		if (db->tables[i].used && !strcmp(db->tables[i].name, name))
			d.id = i;
	if (!d.id) {
		pthread_mutex_unlock(&db->writer);
		return -ENOENT;
	}
	d.root = table_root(db, d.id);
	err = db_log_room(db);
	if (!err)
		err = txn_apply_internal(db, drop_begin, &d, &lsn);
	if (!err) {
		pthread_mutex_lock(&db->cat_lock);
		/* readers whose snapshot saw the table: stale */
		atomic_store(&db->cat_seq, atomic_load(&db->commit_seq) + 1);
		atomic_store_explicit(&db->tables[d.id].root, 0,
				      memory_order_release);
		db->tables[d.id].used = false;
		db->tables[d.id].name[0] = 0;
		db->tables[d.id].drop_root = d.root;
		pthread_mutex_unlock(&db->cat_lock);
	}
	pthread_mutex_unlock(&db->writer);
	if (!err)
		err = drop_finish(db, d.id, &lsn, max_steps);
	if (!err || err == -EINTR) {
		int e2 = wal_flush_to(&db->wal, lsn);

		err = err ? err : e2;
	}
	return err;
}

int exodb_table_drop(struct exodb *db, const char *name)
{
	return db_table_drop(db, name, UINT_MAX);
}

/* At open: go on with drops a crash or a close cut short. */
int db_drop_resume(struct exodb *db)
{
	uint64_t lsn = 0;
	int err = 0;

	for (uint32_t i = 1; i <= EXODB_MAX_TABLES && !err; i++)
		if (db->tables[i].drop_root)
			err = drop_finish(db, i, &lsn, UINT_MAX);
	if (!err && lsn)
		err = wal_flush_to(&db->wal, lsn);
	return err;
}

/* ---- counters ---------------------------------------------------------------- */

int exodb_stats(struct exodb *db, struct exodb_stats *st)
{
	struct meta_page *m;
	int err;

	if (!db || !st)
		return -EINVAL;
	if (db->magic != DB_MAGIC || db->closed)
		return -EBADF;
	memset(st, 0, sizeof(*st));
	pool_hits_flush();
	m = pool_fix_s(&db->pool, 0, 0, 0, &err);
	if (!m)
		return err;
	st->pages = m->npages;
	st->free_pages = m->nfree;
	pool_unfix_s(&db->pool, 0);
	pthread_mutex_lock(&db->pool.lock);
	st->resident = db->pool.resident;
	st->capacity = db->pool.capacity;
	pthread_mutex_unlock(&db->pool.lock);
	st->hits = db->pool.hits;
	st->misses = db->pool.misses;
	st->evictions = db->pool.evictions;
	st->writebacks = db->pool.writebacks;
	st->commits = db->commits;
	st->log_flushes = db->wal.flushes;
	st->log_bytes = db->wal.bytes;
	st->checkpoints = db->checkpoints;
	st->conflicts = db->conflicts;
	st->revoke_requests = db->revoke_requests;
	st->revoked_frames = db->revoked_frames;
	st->repossessed = db->repossessed;
	st->backend = db->be->ops->name;
	st->policy = policy_name(db->pool.pol);
	st->readahead = db->pool.readahead;
	return 0;
}

int exodb_table_stats(struct exodb *db, struct exodb_table_stats *ts, int max)
{
	int n = 0;

	if (!db || (!ts && max))
		return -EINVAL;
	if (db->magic != DB_MAGIC || db->closed)
		return -EBADF;
	pool_hits_flush();
	pthread_mutex_lock(&db->cat_lock);
	for (uint32_t i = 0; i <= EXODB_MAX_TABLES; i++) {
		if (!db->tables[i].used)
			continue;
		if (n < max) {
			strcpy(ts[n].name, db->tables[i].name);
			ts[n].id = i;
			ts[n].hits = db->pool.tstat[i].hits;
			ts[n].misses = db->pool.tstat[i].misses;
		}
		n++;
	}
	pthread_mutex_unlock(&db->cat_lock);
	return n;
}

int exodb_poll_events(struct exodb *db, int timeout_ms)
{
	if (!db)
		return -EINVAL;
	if (db->magic != DB_MAGIC || db->closed)
		return -EBADF;
	return db->be->ops->poll_events(db->be, db, timeout_ms);
}

const char *exodb_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case EAGAIN:
		return "a commit happened under this read-only transaction: retry it";
	case EUCLEAN:
		return "checksum or structure check failed: the database is damaged";
	case E2BIG:
		return "key or value too large";
	case EROFS:
		return "write in a read-only transaction";
	case EINVAL:
		return "invalid argument, or not a live transaction or cursor";
	case EBADF:
		return "the database is closed";
	case ENOENT:
		return "not found";
	case ENOMEM:
		return "out of memory, or a transaction too large for the pool";
	}
	return strerror(err < 0 ? -err : err);
}
