// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * bench-db adapter: LMDB (Debian's liblmdb), a directory on ext4, default
 * flags or MDB_NORDAHEAD.  The bulk load appends (MDB_APPEND, what LMDB's
 * users do for sorted input); a lookup is a read-only transaction of one
 * get, reset and renewed per thread (LMDB's cheap path for readers).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <lmdb.h>

#include "bench/engine.h"

struct ldb {
	MDB_env *env;
	MDB_dbi dbi[BENCH_TABLES];
};

struct lthr {
	struct ldb *l;
	MDB_txn *txn;
};

static int l_err(const char *what, int rc)
{
	fprintf(stderr, "lmdb %s: %s\n", what, mdb_strerror(rc));
	return rc > 0 ? -rc : -EIO;
}

static int l_open(const struct bench_cfg *c, void **h)
{
	struct ldb *l = calloc(1, sizeof(*l));
	unsigned int flags = MDB_NOSUBDIR | (c->nordahead ? MDB_NORDAHEAD : 0);
	MDB_txn *t;
	int rc;

	if (!l)
		return -ENOMEM;
	if ((rc = mdb_env_create(&l->env)) ||
	    (rc = mdb_env_set_mapsize(l->env, 16ull << 30)) ||
	    (rc = mdb_env_set_maxreaders(l->env, 256)) ||
	    (rc = mdb_env_set_maxdbs(l->env, BENCH_TABLES)) ||
	    (rc = mdb_env_open(l->env, c->path, flags, 0644)))
		goto fail;
	if ((rc = mdb_txn_begin(l->env, NULL, 0, &t)))
		goto fail;
	/* "bench" is the main database, other tables named ones */
	for (int i = 0; !rc && i < BENCH_TABLES; i++)
		if (c->table[i])
			rc = mdb_dbi_open(t, strcmp(c->table[i], "bench") ?
					  c->table[i] : NULL,
					  c->create ? MDB_CREATE : 0, &l->dbi[i]);
	if (rc || (rc = mdb_txn_commit(t)))
		goto fail;
	*h = l;
	return 0;
fail:
	mdb_env_close(l->env);
	free(l);
	return l_err("open", rc);
}

static int l_load(void *h, int tb, uint64_t first, uint64_t n)
{
	struct ldb *l = h;
	uint8_t k[BENCH_KEY], v[BENCH_VAL];
	MDB_txn *t;
	int rc = mdb_txn_begin(l->env, NULL, 0, &t);

	for (uint64_t i = first; !rc && i < first + n; i++) {
		MDB_val mk = { BENCH_KEY, k }, mv = { BENCH_VAL, v };

		bench_key(i, k);
		bench_val(i, v);
		rc = mdb_put(t, l->dbi[tb], &mk, &mv, MDB_APPEND);
	}
	if (rc) {
		mdb_txn_abort(t);
		return l_err("put", rc);
	}
	rc = mdb_txn_commit(t);
	return rc ? l_err("commit", rc) : 0;
}

static void *l_thread_init(void *h)
{
	struct lthr *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->l = h;
	if (mdb_txn_begin(t->l->env, NULL, MDB_RDONLY, &t->txn)) {
		free(t);
		return NULL;
	}
	mdb_txn_reset(t->txn);
	return t;
}

static int l_get(void *tp, int tb, const uint8_t *key, uint8_t *val,
		 size_t *vlen)
{
	struct lthr *t = tp;
	MDB_val mk = { BENCH_KEY, (void *)key }, mv;
	int rc = mdb_txn_renew(t->txn);

	if (rc)
		return l_err("renew", rc);
	rc = mdb_get(t->txn, t->l->dbi[tb], &mk, &mv);
	if (!rc) {
		*vlen = mv.mv_size;
		if (mv.mv_size <= BENCH_VAL)
			memcpy(val, mv.mv_data, mv.mv_size);
	}
	mdb_txn_reset(t->txn);
	if (rc == MDB_NOTFOUND)
		return 1;
	return rc ? l_err("get", rc) : 0;
}

/* A write transaction of one put; mdb_txn_commit syncs (default flags). */
static int l_update(void *tp, int tb, const uint8_t *key, const uint8_t *val)
{
	struct lthr *t = tp;
	MDB_val mk = { BENCH_KEY, (void *)key }, mv = { BENCH_VAL, (void *)val };
	MDB_txn *w;
	int rc = mdb_txn_begin(t->l->env, NULL, 0, &w);

	if (rc)
		return l_err("begin", rc);
	rc = mdb_put(w, t->l->dbi[tb], &mk, &mv, 0);
	if (rc) {
		mdb_txn_abort(w);
		return l_err("put", rc);
	}
	rc = mdb_txn_commit(w);
	return rc ? l_err("commit", rc) : 0;
}

/* LMDB has no scan hint: @sweep is unused. */
static long long l_scan(void *h, int tb, int sweep,
			int (*check)(void *, const uint8_t *, size_t,
				     const uint8_t *, size_t), void *arg)
{
	struct ldb *l = h;
	MDB_txn *t;
	MDB_cursor *c;
	MDB_val k, v;
	long long n = 0;
	int rc = mdb_txn_begin(l->env, NULL, MDB_RDONLY, &t);

	if (rc)
		return l_err("begin", rc);
	(void)sweep;
	if ((rc = mdb_cursor_open(t, l->dbi[tb], &c))) {
		mdb_txn_abort(t);
		return l_err("cursor", rc);
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (check(arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size)) {
			rc = EILSEQ;
			break;
		}
		n++;
	}
	mdb_cursor_close(c);
	mdb_txn_abort(t);
	if (rc == EILSEQ)	/* @check said stop */
		return -EILSEQ;
	return rc == MDB_NOTFOUND ? n : l_err("scan", rc);
}

static void l_thread_fini(void *tp)
{
	struct lthr *t = tp;

	mdb_txn_abort(t->txn);
	free(t);
}

static int l_depth(void *h, int tb)
{
	struct ldb *l = h;
	MDB_stat st;
	MDB_txn *t;
	int d = 0;

	if (mdb_txn_begin(l->env, NULL, MDB_RDONLY, &t))
		return 0;
	if (!mdb_stat(t, l->dbi[tb], &st))
		d = st.ms_depth;
	mdb_txn_abort(t);
	return d;
}

static void l_stats(void *h, FILE *out)
{
	struct ldb *l = h;
	MDB_stat st;
	MDB_txn *t;

	if (mdb_txn_begin(l->env, NULL, MDB_RDONLY, &t))
		return;
	if (!mdb_stat(t, l->dbi[0], &st))
		fprintf(out, "entries=%zu depth=%u leaf_pages=%zu branch_pages=%zu",
			st.ms_entries, st.ms_depth, st.ms_leaf_pages,
			st.ms_branch_pages);
	mdb_txn_abort(t);
}

static int l_close(void *h)
{
	struct ldb *l = h;

	mdb_env_sync(l->env, 1);
	mdb_env_close(l->env);
	free(l);
	return 0;
}

const struct engine engine_lmdb = {
	.name = "lmdb",
	.open = l_open,
	.load = l_load,
	.thread_init = l_thread_init,
	.get = l_get,
	.update = l_update,
	.scan = l_scan,
	.depth = l_depth,
	.thread_fini = l_thread_fini,
	.stats = l_stats,
	.close = l_close,
};
