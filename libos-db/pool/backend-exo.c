// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The exo backend: pages in exo frames bound at their fixed addresses in
 * an exo region, data on exo extents of the attached device, I/O by
 * extent I/O straight between blocks and frames (EXO_IOC_EXTENT_IO in
 * batches; cache flushes through io_uring).  No file system and no page
 * cache on the path.
 *
 * Ownership.  The database is a principal of exo: its first extent made
 * it one, and exo showed its key once.  That key is kept in KEYFILE (the
 * URI is "exo:KEYFILE"), mode 0600, written by exo_extent_key_save; a
 * user supplies it by giving the path of that file (copy it to move the
 * database to another machine with the disk, or to back it up).  Opening
 * presents the key (EXTENT_RECLAIM), gets every extent back, finds the
 * log extent by its header and the data extents from the list in it.
 * An extent the header does not list (a crash between allocating and
 * recording it) is given back.
 *
 * Growth: one more data extent, twice the previous one, recorded in the
 * log header (durably, both copies eventually) before any page in it is
 * used.
 *
 * Revocation: exodb's event thread reads exo's events.  EXO_EV_REVOKE:
 * the pool gives back free frames, then the coldest clean pages, then
 * dirty ones written first (pool_give: what exo says is still owed, out
 * of what is held), well before the deadline; the
 * capacity follows the env page's quota.  A frame repossessed (listed in
 * the env page's repossession vector; its event wakes the thread) is
 * gone: a clean page is simply dropped, a dirty one is read back from
 * disk and brought up to date from the log; a thread that touches it
 * first gets a fresh frame from the SIGBUS handler (pool/lost.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <exo.h>

#include "../internal.h"

#define FIRST_EXTENT	1024	/* blocks of the first data extent */

struct be_exo {
	struct backend be;
	int fd;
	bool own_fd;
	exo_cap_t log_ext;
	__u64 log_start;
	exo_cap_t ext_cap[LOG_MAX_EXTENTS];
	uint64_t ext_first[LOG_MAX_EXTENTS + 1];	/* first page of each */
	const struct exo_pool_info *pinfo;
	const struct exo_env_page *env;
	uint32_t quota_seen;
	uint64_t repo_seen;	/* entries of the repossession vector read */
	pthread_mutex_t lock;
	struct exo_aio *aio;
};

static struct be_exo *X(struct backend *b) { return (struct be_exo *)b; }

uint32_t be_exo_quota(struct backend *b)
{
	if (strcmp(b->ops->name, "exo"))
		return 0;
	return X(b)->env ? X(b)->env->frame_quota : 0;
}

static int xe_get(struct backend *b, uint32_t n, uint64_t *frames)
{
	__u64 pfns[64];

	for (uint32_t i = 0; i < n; i += 64) {
		uint32_t k = MIN(64, n - i);
		int ret = exo_frame_alloc_flags(X(b)->fd, EXO_FRAME_RECYCLE, k,
						(exo_cap_t *)frames + i, pfns);
		if (ret < 0) {
			if (i)
				exo_caps_close(X(b)->fd, (exo_cap_t *)frames, i);
			return ret;
		}
	}
	return 0;
}

static int xe_put(struct backend *b, const uint64_t *frames, uint32_t n)
{
	int ret = exo_caps_close(X(b)->fd, (const exo_cap_t *)frames, n);

	return ret < 0 ? ret : 0;
}

static int xe_map(struct backend *b, const struct be_vec *v, uint32_t n)
{
	struct exo_map_entry e[64];

	for (uint32_t i = 0; i < n;) {
		uint32_t k = MIN(64, n - i);
		int ret;

		for (uint32_t j = 0; j < k; j++)
			e[j] = (struct exo_map_entry){
				.addr = (uintptr_t)v[i + j].addr,
				.cap = v[i + j].frame,
				.prot = EXO_PROT_READ | EXO_PROT_WRITE };
		ret = exo_frame_map(X(b)->fd, e, k);
		if (ret < 0)
			return ret;
		if ((uint32_t)ret < k)
			return -errno;
		i += k;
	}
	return 0;
}

static int xe_unmap(struct backend *b, const struct be_vec *v, uint32_t n)
{
	__u64 a[64];

	for (uint32_t i = 0; i < n;) {
		uint32_t k = MIN(64, n - i);
		int ret;

		for (uint32_t j = 0; j < k; j++)
			a[j] = (uintptr_t)v[i + j].addr;
		ret = exo_frame_unmap(X(b)->fd, a, k);
		/* a repossessed frame's binding is gone already: ENOENT */
		if (ret < 0 && errno != ENOENT)
			return ret;
		if (ret >= 0 && (uint32_t)ret < k && errno != ENOENT)
			return -errno;
		if (ret >= 0 && (uint32_t)ret < k) {
			i += (uint32_t)ret + 1;	/* skip the unbound one */
			continue;
		}
		i += k;
	}
	return 0;
}

/* Data page @pid: its extent and block there. */
static int locate(struct be_exo *x, uint64_t pid, exo_cap_t *ext,
		  __u64 *blk)
{
	uint32_t lo = 0, hi = x->be.nextents;

	if (pid >= x->ext_first[x->be.nextents])
		return -ERANGE;
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;

		if (x->ext_first[mid] <= pid)
			lo = mid;
		else
			hi = mid;
	}
	*ext = x->ext_cap[lo];
	*blk = pid - x->ext_first[lo];
	return 0;
}

static int xe_io(struct backend *b, enum be_area a, const struct be_vec *v,
		 uint32_t n, bool wr, bool durable)
{
	struct be_exo *x = X(b);
	struct exo_extent_iovec io[64];

	for (uint32_t i = 0; i < n;) {
		uint32_t k = MIN(64, n - i);
		int ret;

		for (uint32_t j = 0; j < k; j++) {
			io[j] = (struct exo_extent_iovec){
				.frame = v[i + j].frame,
				.op = wr ? EXO_IO_WRITE : EXO_IO_READ };
			if (a == BE_LOG) {
				io[j].extent = x->log_ext;
				io[j].block = v[i + j].block;
			} else if ((ret = locate(x, v[i + j].block,
						 &io[j].extent, &io[j].block))) {
				return ret;
			}
		}
		ret = exo_extent_io(x->fd, io, k,
				    durable && i + k == n ?
				    EXO_IO_FUA | EXO_IO_FLUSH : 0);
		if (ret < 0)
			return ret;
		if ((uint32_t)ret < k)
			return -errno;
		i += k;
	}
	return 0;
}

static int xe_read(struct backend *b, enum be_area a, const struct be_vec *v,
		   uint32_t n)
{
	return xe_io(b, a, v, n, false, false);
}

static int xe_write(struct backend *b, enum be_area a, const struct be_vec *v,
		    uint32_t n, bool durable)
{
	if (b->no_sync)
		durable = false;
	return xe_io(b, a, v, n, true, durable);
}

static void on_flush(void *ctx, int res)
{
	*(int *)ctx = res;
}

static int xe_sync(struct backend *b, enum be_area a)
{
	struct be_exo *x = X(b);
	int res = 0, ret;

	(void)a;
	if (b->no_sync)
		return 0;
	pthread_mutex_lock(&x->lock);
	ret = exo_aio__queue_flush(x->aio, on_flush, &res);
	if (!ret)
		ret = exo_aio__reap(x->aio, 1);
	pthread_mutex_unlock(&x->lock);
	return ret < 0 ? ret : res;
}

static void index_extents(struct be_exo *x)
{
	x->ext_first[0] = 0;
	for (uint32_t i = 0; i < x->be.nextents; i++)
		x->ext_first[i + 1] = x->ext_first[i] + x->be.ext[i].count;
	x->be.data_pages = x->ext_first[x->be.nextents];
}

static int add_extent(struct be_exo *x, uint64_t count, struct exo_key *key,
		      int *new_key)
{
	exo_cap_t cap;
	__u64 start;
	int ret;

	if (x->be.nextents == LOG_MAX_EXTENTS)
		return -ENOSPC;
	ret = exo_extent_alloc(x->fd, count, &cap, &start, key, new_key);
	if (ret)
		return ret;
	x->ext_cap[x->be.nextents] = cap;
	x->be.ext[x->be.nextents].start = start;
	x->be.ext[x->be.nextents].count = count;
	x->be.nextents++;
	index_extents(x);
	return 0;
}

static int xe_grow(struct backend *b, uint64_t npages)
{
	struct be_exo *x = X(b);
	int ret;

	while (b->data_pages < npages) {
		uint64_t last = x->be.nextents ?
				x->be.ext[x->be.nextents - 1].count : FIRST_EXTENT;
		uint64_t want = MAX(last * 2, npages - b->data_pages);

		ret = add_extent(x, want, NULL, NULL);
		if (ret == -ENOSPC && want > npages - b->data_pages)
			ret = add_extent(x, npages - b->data_pages, NULL, NULL);
		if (ret)
			return ret;
		if (b->extents_changed && (ret = b->extents_changed(b, b->ctx)))
			return ret;
	}
	return 0;
}

static void *xe_reserve(struct backend *b, size_t len)
{
	return exo_region__create(X(b)->fd, NULL, len, PROT_READ | PROT_WRITE);
}

static void xe_release(struct backend *b, void *addr, size_t len)
{
	(void)b;
	exo_region__destroy(addr, len);
}

/*
 * SIGBUS handler (pool/lost.c): a fresh frame at @addr with the disk's
 * copy of data page @block.  Only exo's ioctls: no lock, no allocation.
 */
static int xe_replace(struct backend *b, enum be_area a, uint64_t block,
		      void *addr, uint64_t *frame)
{
	struct be_exo *x = X(b);
	exo_cap_t fr;
	__u64 pfn;
	int ret = exo_frame_alloc_flags(x->fd, 0, 1, &fr, &pfn);

	if (ret)
		return ret;
	ret = exo_frame_map_one(x->fd, addr, fr,
				EXO_PROT_READ | EXO_PROT_WRITE);
	if (ret) {
		exo_caps_close(x->fd, &fr, 1);
		return ret;
	}
	__atomic_store_n(frame, fr, __ATOMIC_RELEASE);
	if (a == BE_DATA && block < x->ext_first[x->be.nextents]) {
		struct be_vec v = { block, addr, fr };

		/*
		 * A page the thread can walk: the disk's copy if it is one of
		 * this page (checksum, pid), else zeroes (a page made since
		 * the last checkpoint: the block holds nothing of it yet).
		 */
		if (xe_io(b, BE_DATA, &v, 1, false, false) ||
		    page_verify(addr, block))
			memset(addr, 0, PAGE);
	}
	return 0;
}

/* For pool_sweep_dead: did exo take @frame?  Then its tombstone goes. */
static bool frame_taken(void *ctx, uint64_t frame)
{
	struct exo_cap_info ci;

	if (exo_cap_info(X(ctx)->fd, frame, &ci) ||
	    ci.state != EXO_CAP_REVOKED)
		return false;
	exo_cap_close(X(ctx)->fd, frame);
	return true;
}

/* Frame @cap was repossessed: its page is lost, its tombstone closed. */
static void repossessed(struct be_exo *x, struct exodb *db, exo_cap_t cap)
{
	atomic_fetch_add(&db->repossessed, 1);
	pool_mark_lost(&db->pool, cap);
	exo_cap_close(x->fd, cap);
}

/*
 * The frames exo took since the last look.  The env page's repossession
 * vector lists every one, in a ring of EXO_REPO_SLOTS; the event queue
 * holds only EXO_EV_QUEUE events and drops the oldest, so an abort of
 * more frames than that loses some of their events but none of their
 * entries.  An entry overwritten before it was read (more than the ring
 * since the last look) leaves only asking exo about every frame held.
 * Returns how many were taken.
 */
static int take_repossessed(struct be_exo *x, struct exodb *db)
{
	const struct exo_env_page *e = x->env;
	uint64_t end = __atomic_load_n(&e->repo_count, __ATOMIC_ACQUIRE);
	int n = 0;
	bool sweep = end - x->repo_seen > EXO_REPO_SLOTS;

	if (sweep)
		x->repo_seen = end - EXO_REPO_SLOTS;
	for (; x->repo_seen < end && !sweep; x->repo_seen++) {
		exo_cap_t cap = __atomic_load_n(
			&e->repo[x->repo_seen % EXO_REPO_SLOTS].cap,
			__ATOMIC_ACQUIRE);

		/* the slot was written again while we read it */
		if (__atomic_load_n(&e->repo_count, __ATOMIC_ACQUIRE) -
		    x->repo_seen > EXO_REPO_SLOTS) {
			sweep = true;
			break;
		}
		repossessed(x, db, cap);
		n++;
	}
	if (sweep) {
		x->repo_seen = __atomic_load_n(&e->repo_count, __ATOMIC_ACQUIRE);
		int swept = pool_sweep_dead(&db->pool, frame_taken, x);

		atomic_fetch_add(&db->repossessed, swept);
		n += swept;
	}
	return n;
}

static int xe_poll(struct backend *b, struct exodb *db, int timeout_ms)
{
	struct be_exo *x = X(b);
	struct exo_event ev[16];
	int n, total = 0;
	uint32_t q = x->env->frame_quota;

	/* follow the quota: the pool is the quota less the log's frames */
	if (q != x->quota_seen && q > WAL_FRAMES + 64 + 8) {
		uint32_t cap = q - WAL_FRAMES - 64;

		x->quota_seen = q;
		if (cap < db->pool.capacity)
			pool_shrink_to(&db->pool, cap);
		else
			pool_set_capacity(&db->pool, cap);
	}
	/*
	 * Every event there is; a frame's repossession is read from the env
	 * page (take_repossessed), its event only wakes us.  Repossessions
	 * first, requests after: a dead frame still on the free list would
	 * otherwise be "given back", the request fall short, and exo abort
	 * again.
	 */
	int revokes = 0;
again:
	n = exo_events_read(x->fd, ev, 16, total ? 0 : timeout_ms);
	total += n > 0 ? n : 0;
	for (int i = 0; i < n; i++)
		revokes += ev[i].type == EXO_EV_REVOKE &&
			   !(ev[i].flags & EXO_EVF_EXTENT); /* extents: kept */
	if (n == (int)ARRAY_SIZE(ev))
		goto again;
	if (__atomic_load_n(&x->env->repo_count, __ATOMIC_ACQUIRE) !=
	    x->repo_seen) {
		pthread_mutex_lock(&db->rebuild);  /* no commit being applied */
		if (take_repossessed(x, db))
			db_rebuild_lost(db);
		pthread_mutex_unlock(&db->rebuild);
	}
	if (revokes) {
		/* what is still owed (the env page): a request that grew, or
		 * frames given since, are counted there */
		uint64_t owed = __atomic_load_n(&x->env->revoke_owed,
						__ATOMIC_ACQUIRE);
		int got = owed ? pool_give(&db->pool,
					   (uint32_t)MIN(owed, UINT32_MAX)) : 0;

		atomic_fetch_add(&db->revoke_requests, revokes);
		if (got > 0)
			atomic_fetch_add(&db->revoked_frames, got);
	}
	return total;
}

static void xe_close(struct backend *b)
{
	struct be_exo *x = X(b);

	if (x->aio)
		exo_aio__free(x->aio);
	/*
	 * The caller's env lives on: the tombstones of frames taken since the
	 * event thread last looked go too (the pool and the log closed what
	 * they still named; a second close answers ESTALE).  More than the
	 * vector holds since then cannot be named: they stay to the env's end.
	 */
	if (!x->own_fd && x->env) {
		uint64_t end = __atomic_load_n(&x->env->repo_count,
					       __ATOMIC_ACQUIRE);

		if (end - x->repo_seen > EXO_REPO_SLOTS)
			x->repo_seen = end - EXO_REPO_SLOTS;
		for (; x->repo_seen < end; x->repo_seen++)
			exo_cap_close(x->fd, x->env->repo[x->repo_seen %
						       EXO_REPO_SLOTS].cap);
	}
	if (x->pinfo)
		exo_info__unmap(x->pinfo);
	if (x->own_fd) {
		exo_close(x->fd);	/* closes every capability with it */
	} else {
		/* the caller's env lives on: close our extent capabilities */
		for (uint32_t i = 0; i < x->be.nextents; i++)
			exo_cap_close(x->fd, x->ext_cap[i]);
		if (x->log_ext)
			exo_cap_close(x->fd, x->log_ext);
	}
	free(x);
}

static const struct be_ops exo_ops = {
	.name = "exo", .read_ahead = true, .frames_get = xe_get, .frames_put = xe_put,
	.map = xe_map, .unmap = xe_unmap, .read = xe_read, .write = xe_write,
	.sync = xe_sync, .grow = xe_grow, .reserve = xe_reserve,
	.release = xe_release, .poll_events = xe_poll, .close = xe_close,
	.replace = xe_replace,
};

/* Read the two header blocks of extent @cap; the newer valid one. */
static int read_log_header(struct be_exo *x, exo_cap_t cap,
			   struct log_header *out)
{
	exo_cap_t fr;
	__u64 pfn;
	uint8_t *page;
	int ret, found = 0;

	ret = exo_frame_alloc_flags(x->fd, 0, 1, &fr, &pfn);
	if (ret)
		return ret;
	page = exo_region__create(x->fd, NULL, PAGE, PROT_READ);
	if (!page) {
		exo_caps_close(x->fd, &fr, 1);
		return -errno;
	}
	ret = exo_frame_map_one(x->fd, page, fr, EXO_PROT_READ);
	for (int i = 0; !ret && i < 2; i++) {
		struct log_header h;

		ret = exo_extent_read(x->fd, cap, (uint64_t)i, fr);
		if (ret)
			break;
		memcpy(&h, page, sizeof(h));
		if (h.magic == LOG_MAGIC && h.nextents <= LOG_MAX_EXTENTS &&
		    h.crc == crc32c(0, (uint8_t *)&h + 4, sizeof(h) - 4) &&
		    (!found || h.gen > out->gen)) {
			*out = h;
			found = 1;
		}
	}
	exo_region__destroy(page, PAGE);
	exo_caps_close(x->fd, &fr, 1);
	if (ret)
		return ret == -ERANGE ? 0 : ret;	/* a one-block extent */
	return found;
}

static int reopen(struct be_exo *x, const struct exo_key *key)
{
	struct exo_extent_desc d[LOG_MAX_EXTENTS + 8];
	struct log_header h = { 0 };
	int n, log = -1, ret;

	n = exo_extent_reclaim(x->fd, key, d, ARRAY_SIZE(d));
	if (n < 0)
		return n;
	if (n > (int)ARRAY_SIZE(d))
		return -E2BIG;
	for (int i = 0; i < n && log < 0; i++) {
		ret = read_log_header(x, d[i].cap, &h);
		if (ret < 0)
			return ret;
		if (ret)
			log = i;
	}
	if (log < 0)
		return -EUCLEAN;	/* extents, but no log: not a database */
	x->log_ext = d[log].cap;
	x->log_start = d[log].start;
	x->be.log_blocks = d[log].count;
	x->be.nextents = h.nextents;
	for (uint32_t e = 0; e < h.nextents; e++) {
		int k;

		x->be.ext[e].start = h.ext[e].start;
		x->be.ext[e].count = h.ext[e].count;
		for (k = 0; k < n; k++)
			if (d[k].start == h.ext[e].start &&
			    d[k].count == h.ext[e].count)
				break;
		if (k == n)
			return -EUCLEAN;	/* a listed extent is gone */
		x->ext_cap[e] = d[k].cap;
	}
	/* extents nobody lists: a growth that never got recorded */
	for (int k = 0; k < n; k++) {
		bool used = k == log;

		for (uint32_t e = 0; e < h.nextents && !used; e++)
			used = d[k].cap == x->ext_cap[e];
		if (!used)
			exo_extent_free(x->fd, d[k].cap);
	}
	index_extents(x);
	return 0;
}

int be_exo_open(const char *keyfile, const struct exodb_opts *o,
		struct backend **bep)
{
	struct be_exo *x = calloc(1, sizeof(*x));
	struct exo_key key;
	struct stat st;
	int ret, new_key = 0;

	if (!x)
		return -ENOMEM;
	pthread_mutex_init(&x->lock, NULL);
	x->be.ops = &exo_ops;
	x->be.no_sync = o->no_sync;
	x->be.read_ahead = true;
	x->fd = o->exo_fd;
	if (x->fd < 0) {
		x->fd = exo_open();
		x->own_fd = true;
	}
	if (x->fd < 0) {
		ret = x->fd;
		free(x);
		return ret;
	}
	ret = exo_info__map(x->fd, &x->pinfo, &x->env);
	if (!ret) {
		x->aio = exo_aio__new(x->fd, 4);
		if (!x->aio)
			ret = -errno;
	}
	if (ret)
		goto fail;
	x->quota_seen = x->env->frame_quota;
	x->repo_seen = __atomic_load_n(&x->env->repo_count, __ATOMIC_ACQUIRE);
	if (stat(keyfile, &st) == 0) {
		ret = exo_extent_key_load(keyfile, &key);
		if (!ret)
			ret = reopen(x, &key);
	} else if (errno == ENOENT && o->create) {
		/* a new principal: the log extent first, its key saved */
		uint64_t lb = LOG_HDR_BLOCKS + (o->log_blocks ? o->log_blocks : 4096);

		ret = exo_extent_alloc(x->fd, lb, &x->log_ext, &x->log_start,
				       &key, &new_key);
		if (!ret && !new_key)
			ret = -EEXIST;	/* this env is a principal already */
		if (!ret)
			ret = exo_extent_key_save(keyfile, &key);
		x->be.log_blocks = lb;
		if (!ret)
			ret = add_extent(x, FIRST_EXTENT, NULL, NULL);
		x->be.created = true;
	} else {
		ret = -errno;
	}
	if (ret)
		goto fail;
	*bep = &x->be;
	return 0;
fail:
	xe_close(&x->be);
	return ret;
}
