// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * bench-db adapter: libexodb, on exo ("exo:KEYFILE") or over a file (a path).
 * A lookup is a read-only transaction of one get.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "include/exodb.h"
#include "bench/engine.h"

struct xdb {
	exodb *db;
	unsigned int tbl;
};

static int x_open(const struct bench_cfg *c, void **h)
{
	struct exodb_opts o = { .sz = sizeof(o), .create = c->create,
				.pool_pages = c->pool_pages,
				.exo_fd = c->exo_fd };
	struct xdb *x = calloc(1, sizeof(*x));
	int err;

	if (!x)
		return -ENOMEM;
	err = exodb_open(c->path, &o, &x->db);
	if (!err)
		err = exodb_table(x->db, "bench", c->create, &x->tbl);
	if (err) {
		fprintf(stderr, "exodb open %s: %s\n", c->path,
			exodb_strerror(err));
		if (x->db)
			exodb_close(x->db);
		free(x);
		return err;
	}
	*h = x;
	return 0;
}

static int x_load(void *h, uint64_t first, uint64_t n)
{
	struct xdb *x = h;
	exodb_txn *t;
	uint8_t k[BENCH_KEY], v[BENCH_VAL];
	int err = exodb_begin(x->db, 0, &t);

	for (uint64_t i = first; !err && i < first + n; i++) {
		bench_key(i, k);
		bench_val(i, v);
		err = exodb_put(t, x->tbl, k, BENCH_KEY, v, BENCH_VAL);
	}
	if (err) {
		exodb_abort(t);
		return err;
	}
	return exodb_commit(t);
}

static void *x_thread_init(void *h)
{
	return h;
}

static int x_get(void *h, const uint8_t *key, uint8_t *val, size_t *vlen)
{
	struct xdb *x = h;
	exodb_txn *t;
	const void *v;
	int err;

	for (;;) {
		err = exodb_begin(x->db, EXODB_RDONLY, &t);
		if (err)
			return err;
		err = exodb_get(t, x->tbl, key, BENCH_KEY, &v, vlen);
		if (!err && *vlen <= BENCH_VAL)
			memcpy(val, v, *vlen);
		exodb_abort(t);
		if (err != -EAGAIN)
			break;
	}
	if (err == -ENOENT)
		return 1;
	return err;
}

static long long x_scan(void *h, int (*check)(const uint8_t *, size_t,
					      const uint8_t *, size_t))
{
	struct xdb *x = h;
	exodb_txn *t;
	exodb_cursor *c;
	long long n = 0;
	int err = exodb_begin(x->db, EXODB_RDONLY, &t);

	if (err)
		return err;
	err = exodb_cursor_open(t, x->tbl, &c);
	if (err) {
		exodb_abort(t);
		return err;
	}
	for (err = exodb_cursor_seek(c, EXODB_FIRST, NULL, 0); !err;
	     err = exodb_cursor_next(c)) {
		const void *k, *v;
		size_t kl, vl;

		err = exodb_cursor_get(c, &k, &kl, &v, &vl);
		if (err)
			break;
		if (check(k, kl, v, vl)) {
			err = -EUCLEAN;
			break;
		}
		n++;
	}
	exodb_cursor_close(c);
	exodb_abort(t);
	return err == -ENOENT ? n : err;
}

static void x_thread_fini(void *t)
{
	(void)t;
}

static void x_stats(void *h, FILE *out)
{
	struct xdb *x = h;
	struct exodb_stats st;

	if (exodb_stats(x->db, &st))
		return;
	fprintf(out, "pages=%llu resident=%llu capacity=%llu hits=%llu "
		"misses=%llu evictions=%llu writebacks=%llu conflicts=%llu",
		st.pages, st.resident, st.capacity, st.hits, st.misses,
		st.evictions, st.writebacks, st.conflicts);
}

static int x_close(void *h)
{
	struct xdb *x = h;
	int err = exodb_close(x->db);

	free(x);
	return err;
}

const struct engine engine_exodb = {
	.name = "exodb",
	.open = x_open,
	.load = x_load,
	.thread_init = x_thread_init,
	.get = x_get,
	.scan = x_scan,
	.thread_fini = x_thread_fini,
	.stats = x_stats,
	.close = x_close,
};
