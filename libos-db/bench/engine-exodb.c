// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * bench-db adapter: libexodb, on exo ("exo:KEYFILE") or over a file (a path).
 * A lookup is a read-only transaction of one get.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <exo.h>

#include "include/exodb.h"
#include "bench/engine.h"

struct xdb {
	exodb *db;
	unsigned int tbl[BENCH_TABLES];
	int exo_fd;
	unsigned long long target, taken0;	/* shrink: frames, repossessed */
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
	x->exo_fd = c->exo_fd;
	err = exodb_open(c->path, &o, &x->db);
	for (int i = 0; !err && i < BENCH_TABLES; i++)
		if (c->table[i])
			err = exodb_table(x->db, c->table[i], c->create,
					  &x->tbl[i]);
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

static int x_load(void *h, int tb, uint64_t first, uint64_t n)
{
	struct xdb *x = h;
	exodb_txn *t;
	uint8_t k[BENCH_KEY], v[BENCH_VAL];
	int err = exodb_begin(x->db, 0, &t);

	for (uint64_t i = first; !err && i < first + n; i++) {
		bench_key(i, k);
		bench_val(i, v);
		err = exodb_put(t, x->tbl[tb], k, BENCH_KEY, v, BENCH_VAL);
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

static int x_get(void *h, int tb, const uint8_t *key, uint8_t *val,
		 size_t *vlen)
{
	struct xdb *x = h;
	exodb_txn *t;
	const void *v;
	int err;

	for (;;) {
		err = exodb_begin(x->db, EXODB_RDONLY, &t);
		if (err)
			return err;
		err = exodb_get(t, x->tbl[tb], key, BENCH_KEY, &v, vlen);
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

static int x_update(void *h, int tb, const uint8_t *key, const uint8_t *val)
{
	struct xdb *x = h;
	exodb_txn *t;
	int err = exodb_begin(x->db, 0, &t);

	if (err)
		return err;
	err = exodb_put(t, x->tbl[tb], key, BENCH_KEY, val, BENCH_VAL);
	if (err) {
		exodb_abort(t);
		return err;
	}
	return exodb_commit(t);
}

static long long x_scan(void *h, int tb, int sweep,
			int (*check)(void *, const uint8_t *, size_t,
				     const uint8_t *, size_t), void *arg)
{
	struct xdb *x = h;
	exodb_txn *t;
	exodb_cursor *c;
	long long n = 0;
	int err = exodb_begin(x->db, EXODB_RDONLY, &t);

	if (err)
		return err;
	err = exodb_cursor_open(t, x->tbl[tb], &c);
	if (err) {
		exodb_abort(t);
		return err;
	}
	exodb_cursor_hint_scan(c, sweep);
	for (err = exodb_cursor_seek(c, EXODB_FIRST, NULL, 0); !err;
	     err = exodb_cursor_next(c)) {
		const void *k, *v;
		size_t kl, vl;

		err = exodb_cursor_get(c, &k, &kl, &v, &vl);
		if (err)
			break;
		if (check(arg, k, kl, v, vl)) {
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

static int x_tbl_io(void *h, int tb, unsigned long long *acc,
		    unsigned long long *miss)
{
	struct xdb *x = h;
	struct exodb_table_stats ts[EXODB_MAX_TABLES];
	int n = exodb_table_stats(x->db, ts, EXODB_MAX_TABLES);

	for (int i = 0; i < n; i++)
		if (ts[i].id == x->tbl[tb]) {
			*acc = ts[i].hits + ts[i].misses;
			*miss = ts[i].misses;
			return 0;
		}
	return n < 0 ? n : -ENOENT;
}

/*
 * Live in @bytes from now on, as exo's resource manager would say it: the
 * env's frame quota lowered to @bytes (a cgroup's memory.max, for a peer)
 * and a revocation request, due in @deadline_ms, for the frames held above
 * it (the debugfs knob the selftests use; exo makes the same request when
 * another env needs frames).
 */
static int x_shrink(void *h, unsigned long long bytes, int deadline_ms)
{
	struct xdb *x = h;
	struct exo_env_info info = { .size = sizeof(info) };
	struct exodb_stats st;
	unsigned long long frames = bytes / 4096, used;
	char cmd[80];
	int fd, n, err;

	if (x->exo_fd < 0)
		return -EOPNOTSUPP;
	if ((err = exo_env_info(x->exo_fd, &info)) ||
	    (err = exodb_stats(x->db, &st)))
		return err;
	used = info.used[EXO_KIND_FRAME];
	x->target = frames;
	x->taken0 = st.repossessed;
	err = exo_set_quota(x->exo_fd, 0, EXO_KIND_FRAME, frames);
	if (err || used <= frames)
		return err;
	fd = open("/sys/kernel/debug/exo/revoke", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(cmd, sizeof(cmd), "%llu %llu %d",
		     (unsigned long long)info.env_id, used - frames,
		     deadline_ms);
	err = write(fd, cmd, n) == n ? 0 : -errno;
	close(fd);
	return err;
}

/* Met: exo says the env holds no more than asked; missed: exo took some. */
static int x_shrink_met(void *h)
{
	struct xdb *x = h;
	struct exo_env_info info = { .size = sizeof(info) };
	struct exodb_stats st;

	if (exodb_stats(x->db, &st) || exo_env_info(x->exo_fd, &info))
		return -1;
	if (st.repossessed > x->taken0)
		return 0;
	return info.used[EXO_KIND_FRAME] <= x->target ? 1 : -1;
}

static void x_stats(void *h, FILE *out)
{
	struct xdb *x = h;
	struct exodb_stats st;

	if (exodb_stats(x->db, &st))
		return;
	fprintf(out, "pages=%llu resident=%llu capacity=%llu hits=%llu "
		"misses=%llu evictions=%llu writebacks=%llu conflicts=%llu "
		"revoked=%llu repossessed=%llu",
		st.pages, st.resident, st.capacity, st.hits, st.misses,
		st.evictions, st.writebacks, st.conflicts, st.revoked_frames,
		st.repossessed);
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
	.update = x_update,
	.scan = x_scan,
	.tbl_io = x_tbl_io,
	.shrink = x_shrink,
	.shrink_met = x_shrink_met,
	.thread_fini = x_thread_fini,
	.stats = x_stats,
	.close = x_close,
};
