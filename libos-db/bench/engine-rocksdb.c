// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * bench-db adapter: RocksDB (Debian's librocksdb, its C API), a directory on
 * ext4, one table (the default column family).  Every write is durable as
 * RocksDB's users make it so: WriteOptions.sync, the WAL fsynced before the
 * write returns.  Memory: an LRU block cache and the memtables within the
 * budget (-M): cache = budget - 2 memtables of budget/8 each; the rest of
 * the options are RocksDB's defaults.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <rocksdb/c.h>

#include "bench/engine.h"

struct rdb {
	rocksdb_t *db;
	rocksdb_options_t *opt;
	rocksdb_block_based_table_options_t *topt;
	rocksdb_cache_t *cache;
	rocksdb_readoptions_t *ro;
	rocksdb_writeoptions_t *wo;
};

static int r_err(const char *what, char *e)
{
	fprintf(stderr, "rocksdb %s: %s\n", what, e);
	rocksdb_free(e);
	return -EIO;
}

static int r_close(void *h)
{
	struct rdb *r = h;

	if (r->db)
		rocksdb_close(r->db);
	rocksdb_readoptions_destroy(r->ro);
	rocksdb_writeoptions_destroy(r->wo);
	rocksdb_options_destroy(r->opt);
	rocksdb_block_based_options_destroy(r->topt);
	rocksdb_cache_destroy(r->cache);
	free(r);
	return 0;
}

static int r_open(const struct bench_cfg *c, void **h)
{
	struct rdb *r = calloc(1, sizeof(*r));
	size_t budget = (size_t)(c->budget_mib ? c->budget_mib : 64) << 20;
	char *e = NULL;

	if (!r)
		return -ENOMEM;
	r->opt = rocksdb_options_create();
	r->topt = rocksdb_block_based_options_create();
	r->cache = rocksdb_cache_create_lru(budget - budget / 4);
	r->ro = rocksdb_readoptions_create();
	r->wo = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(r->wo, 1);
	rocksdb_block_based_options_set_block_cache(r->topt, r->cache);
	rocksdb_options_set_block_based_table_factory(r->opt, r->topt);
	rocksdb_options_set_write_buffer_size(r->opt, budget / 8);
	rocksdb_options_set_max_write_buffer_number(r->opt, 2);
	rocksdb_options_set_create_if_missing(r->opt, c->create);
	r->db = rocksdb_open(r->opt, c->path, &e);
	if (e) {
		r->db = NULL;
		r_close(r);
		return r_err("open", e);
	}
	*h = r;
	return 0;
}

static int r_load(void *h, int tb, uint64_t first, uint64_t n)
{
	struct rdb *r = h;
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	uint8_t k[BENCH_KEY], v[BENCH_VAL];
	char *e = NULL;

	(void)tb;
	for (uint64_t i = first; i < first + n; i++) {
		bench_key(i, k);
		bench_val(i, v);
		rocksdb_writebatch_put(b, (char *)k, BENCH_KEY, (char *)v,
				       BENCH_VAL);
	}
	rocksdb_write(r->db, r->wo, b, &e);
	rocksdb_writebatch_destroy(b);
	return e ? r_err("write", e) : 0;
}

static void *r_thread_init(void *h)
{
	return h;
}

static int r_get(void *h, int tb, const uint8_t *key, uint8_t *val,
		 size_t *vlen)
{
	struct rdb *r = h;
	char *e = NULL;
	rocksdb_pinnableslice_t *p;
	const char *v;

	(void)tb;
	p = rocksdb_get_pinned(r->db, r->ro, (const char *)key, BENCH_KEY, &e);
	if (e)
		return r_err("get", e);
	if (!p)
		return 1;
	v = rocksdb_pinnableslice_value(p, vlen);
	if (*vlen <= BENCH_VAL)
		memcpy(val, v, *vlen);
	rocksdb_pinnableslice_destroy(p);
	return 0;
}

static int r_update(void *h, int tb, const uint8_t *key, const uint8_t *val)
{
	struct rdb *r = h;
	char *e = NULL;

	(void)tb;
	rocksdb_put(r->db, r->wo, (const char *)key, BENCH_KEY,
		    (const char *)val, BENCH_VAL, &e);
	return e ? r_err("put", e) : 0;
}

static long long r_scan(void *h, int tb, int sweep,
			int (*check)(void *, const uint8_t *, size_t,
				     const uint8_t *, size_t), void *arg)
{
	struct rdb *r = h;
	rocksdb_iterator_t *it = rocksdb_create_iterator(r->db, r->ro);
	long long n = 0;
	char *e = NULL;

	(void)tb;
	(void)sweep;
	for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it);
	     rocksdb_iter_next(it)) {
		size_t kl, vl;
		const char *k = rocksdb_iter_key(it, &kl);
		const char *v = rocksdb_iter_value(it, &vl);

		if (check(arg, (const uint8_t *)k, kl, (const uint8_t *)v, vl)) {
			n = -EUCLEAN;
			break;
		}
		n++;
	}
	rocksdb_iter_get_error(it, &e);
	rocksdb_iter_destroy(it);
	return e ? r_err("scan", e) : n;
}

static void r_thread_fini(void *t)
{
	(void)t;
}

static void r_stats(void *h, FILE *out)
{
	struct rdb *r = h;
	char *s = rocksdb_property_value(r->db, "rocksdb.estimate-num-keys");
	char *l = rocksdb_property_value(r->db, "rocksdb.num-files-at-level0");

	fprintf(out, "keys~%s l0_files=%s", s ? s : "?", l ? l : "?");
	rocksdb_free(s);
	rocksdb_free(l);
}

const struct engine engine_rocksdb = {
	.name = "rocksdb",
	.open = r_open,
	.load = r_load,
	.thread_init = r_thread_init,
	.get = r_get,
	.update = r_update,
	.scan = r_scan,
	.thread_fini = r_thread_fini,
	.stats = r_stats,
	.close = r_close,
};
