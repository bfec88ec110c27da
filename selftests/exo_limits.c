// SPDX-License-Identifier: GPL-2.0
/*
 * Per-env limits (the uapi header's DOC: limits): quotas answer EDQUOT, the
 * capability table ENOSPC, and the table follows the quotas, so an env
 * reaches its frame quota (EDQUOT), not a full table; the table grows under
 * use without breaking the capabilities already held.  Also what the header
 * documents a caller may observe: stale handles after a failed FRAME_ALLOC,
 * ENOENT from FRAME_UNMAP where nothing is bound, a forked child being the
 * same env.
 *
 * The module parameters null_quota, max_caps and caps_headroom apply to
 * envs opened after they change; each test that sets them opens a fresh
 * env, and the teardown puts the old values back.  run.sh runs this file a
 * second time with a 256 MiB pool (pool_pages=65536), where
 * frames_to_quota_edquot allocates a database libOS's 65,536 frames.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

FIXTURE(limits) {
	long null_quota;
	long max_caps;
	long caps_headroom;
	int fd;		/* opened before the parameters change */
};

FIXTURE_SETUP(limits)
{
	self->fd = -1;
	ASSERT_EQ(0, exo_param_get("null_quota", &self->null_quota));
	ASSERT_EQ(0, exo_param_get("max_caps", &self->max_caps));
	ASSERT_EQ(0, exo_param_get("caps_headroom", &self->caps_headroom));
	self->fd = exo_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(limits)
{
	long now;

	if (!exo_param_get("null_quota", &now) && now != self->null_quota)
		EXPECT_EQ(0, exo_param_set("null_quota", self->null_quota));
	if (!exo_param_get("max_caps", &now) && now != self->max_caps)
		EXPECT_EQ(0, exo_param_set("max_caps", self->max_caps));
	if (!exo_param_get("caps_headroom", &now) && now != self->caps_headroom)
		EXPECT_EQ(0, exo_param_set("caps_headroom", self->caps_headroom));
	if (self->fd >= 0)
		exo_close(self->fd);
}

TEST_F(limits, null_quota_edquot)
{
	struct exo_env_info info;
	exo_cap_t cap[5] = { 0 }, child;
	int fd, i;

	ASSERT_EQ(0, exo_param_set("null_quota", 4));
	fd = exo_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, exo_env_info(fd, &info));
	EXPECT_EQ(4, info.quota[EXO_KIND_NULL]);

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, exo_null_alloc(fd, &cap[i], NULL)) TH_LOG("alloc %d", i);
	errno = 0;
	EXPECT_EQ(-EDQUOT, exo_null_alloc(fd, &cap[4], NULL));
	EXPECT_EQ(EDQUOT, errno);

	/* The failed call took neither quota nor a slot. */
	ASSERT_EQ(0, exo_env_info(fd, &info));
	EXPECT_EQ(4, info.used[EXO_KIND_NULL]);
	EXPECT_EQ(4, info.caps);

	/* Deriving names the same object: no quota needed. */
	EXPECT_EQ(0, exo_cap_derive(fd, cap[0], EXO_RIGHT_READ, &child));

	/* Closing a root gives its unit back. */
	ASSERT_EQ(0, exo_cap_close(fd, cap[3]));
	EXPECT_EQ(0, exo_null_alloc(fd, &cap[3], NULL));
	EXPECT_EQ(-EDQUOT, exo_null_alloc(fd, &cap[4], NULL));
	EXPECT_EQ(0, exo_close(fd));
}

TEST_F(limits, null_quota_applies_to_new_envs_only)
{
	struct exo_env_info info;
	int fd;

	ASSERT_EQ(0, exo_param_set("null_quota", 4));
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	EXPECT_EQ(self->null_quota, info.quota[EXO_KIND_NULL]);
	fd = exo_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, exo_env_info(fd, &info));
	EXPECT_EQ(4, info.quota[EXO_KIND_NULL]);
	EXPECT_EQ(0, exo_close(fd));
}

TEST_F(limits, cap_table_full_enospc)
{
	struct exo_features f;
	struct exo_env_info info;
	exo_cap_t cap[9], child, imported, src;
	struct exo_key key;
	__u32 rights;
	int fd, i;

	ASSERT_EQ(0, exo_param_set("max_caps", 8));
	fd = exo_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, exo_get_features(fd, &f));
	EXPECT_EQ(8, f.max_caps);

	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, exo_null_alloc(fd, &cap[i], NULL)) TH_LOG("alloc %d", i);
	errno = 0;
	EXPECT_EQ(-ENOSPC, exo_null_alloc(fd, &cap[8], NULL));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(-ENOSPC, exo_cap_derive(fd, cap[0], EXO_RIGHT_READ, &child));

	/* A key from another env cannot land either, and is not used up. */
	ASSERT_EQ(0, exo_null_alloc(self->fd, &src, NULL));
	ASSERT_EQ(0, exo_cap_export(self->fd, src, EXO_RIGHT_READ, 0, &key));
	EXPECT_EQ(-ENOSPC, exo_cap_import(fd, &key, &imported, &rights));

	/* The failed calls took no slot and no quota. */
	ASSERT_EQ(0, exo_env_info(fd, &info));
	EXPECT_EQ(8, info.caps);
	EXPECT_EQ(8, info.used[EXO_KIND_NULL]);

	/* One slot free again: the key still works. */
	ASSERT_EQ(0, exo_cap_close(fd, cap[7]));
	EXPECT_EQ(0, exo_cap_import(fd, &key, &imported, &rights));
	EXPECT_EQ(EXO_RIGHT_READ, rights);
	EXPECT_EQ(-ENOSPC, exo_null_alloc(fd, &cap[8], NULL));
	EXPECT_EQ(0, exo_close(fd));
}

TEST_F(limits, key_table_full_enospc)
{
	struct exo_features f;
	struct exo_env_info info;
	struct exo_key first, key;
	exo_cap_t cap;
	__u32 i;

	ASSERT_EQ(0, exo_get_features(self->fd, &f));
	ASSERT_LT(0, f.max_keys);
	ASSERT_EQ(0, exo_null_alloc(self->fd, &cap, NULL));
	ASSERT_EQ(0, exo_cap_export(self->fd, cap, EXO_RIGHT_READ, 0, &first));
	for (i = 1; i < f.max_keys; i++)
		ASSERT_EQ(0, exo_cap_export(self->fd, cap, EXO_RIGHT_READ, 0, &key))
			TH_LOG("export %u of %u", i + 1, f.max_keys);
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	EXPECT_EQ(f.max_keys, info.keys);
	errno = 0;
	EXPECT_EQ(-ENOSPC, exo_cap_export(self->fd, cap, EXO_RIGHT_READ, 0, &key));
	EXPECT_EQ(ENOSPC, errno);

	/* Dropping one makes room for one. */
	ASSERT_EQ(0, exo_key_drop(self->fd, &first));
	EXPECT_EQ(0, exo_cap_export(self->fd, cap, EXO_RIGHT_READ, 0, &key));
	EXPECT_EQ(-ENOSPC, exo_cap_export(self->fd, cap, EXO_RIGHT_READ, 0, &key));
}

/* ---- the capability table follows the quotas ------------------------------ */

#define PROT_RW		(EXO_PROT_READ | EXO_PROT_WRITE)

static void expect_check_ok(struct __test_metadata *_metadata)
{
	char buf[4096];
	int n = exo_read_file(EXO_DEBUGFS "/check", buf, sizeof(buf));

	ASSERT_LT(0, n) TH_LOG("cannot read %s/check", EXO_DEBUGFS);
	buf[n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1] = '\0';
	EXPECT_STREQ("ok\n", buf);
}

/* What GET_FEATURES must report with max_caps=0: sum of quotas + headroom. */
static long limit_of(const struct exo_env_info *info, long headroom)
{
	long n = headroom;
	int k;

	for (k = 1; k < EXO_KIND_MAX; k++)
		n += info->quota[k];
	return n < (1L << 20) ? n : 1L << 20;
}

/*
 * Allocate @q frames into @caps[@from..@q) in batches that double from 1 (so
 * the table grows many times, under use) up to 4096.
 */
static int alloc_growing(int fd, exo_cap_t *caps, __u32 from, __u32 q)
{
	__u32 done = from, n = 1;
	int ret;

	while (done < q) {
		if (n > q - done)
			n = q - done;
		ret = exo_frame_alloc(fd, n, caps + done, NULL);
		if (ret)
			return ret;
		done += n;
		if (n < 4096)
			n *= 2;
	}
	return 0;
}

/*
 * An env reaches its frame quota, well past the 4,096 slots the table once
 * had (20,000 frames if the pool allows, else all but 8 of its frames), and
 * the next allocation answers EDQUOT.  A capability made while the table was
 * at its smallest still works after it grew many times; closing the env
 * gives everything back.
 */
TEST_F(limits, frames_to_quota_edquot)
{
	const struct exo_pool_info *pool;
	struct exo_totals t0, t1;
	struct exo_env_info info;
	struct exo_features f;
	struct exo_cap_info ci;
	long page = sysconf(_SC_PAGESIZE);
	exo_cap_t *caps, child, extra;
	__u64 free0, killed = 0;
	char *region;
	__u32 q;
	int fd;

	ASSERT_EQ(0, exo_param_set("max_caps", 0));
	ASSERT_EQ(0, exo_info__map(self->fd, &pool, NULL));
	free0 = pool->frames_free;
	if (free0 < 8192) {
		exo_info__unmap(pool);
		SKIP(return, "pool has %llu free frames", (unsigned long long)free0);
	}
	q = free0 - 8 < 20000 ? free0 - 8 : 20000;
	ASSERT_EQ(0, exo_totals(&t0));

	fd = exo_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, exo_set_quota(fd, 0, EXO_KIND_FRAME, q));
	caps = calloc(q, sizeof(*caps));
	ASSERT_NE(NULL, caps);
	region = exo_region__create(fd, NULL, 2 * page, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, region);

	/* One frame and a child of it, while the table is at its smallest. */
	ASSERT_EQ(0, exo_frame_alloc(fd, 1, caps, NULL));
	ASSERT_EQ(0, exo_cap_derive(fd, caps[0], EXO_RIGHT_READ | EXO_RIGHT_MAP,
				    &child));
	ASSERT_EQ(0, exo_frame_map_one(fd, region, caps[0], PROT_RW));
	strcpy(region, "made before the table grew");

	ASSERT_EQ(0, alloc_growing(fd, caps, 1, q)) TH_LOG("quota %u", q);
	errno = 0;
	EXPECT_EQ(-EDQUOT, exo_frame_alloc(fd, 1, &extra, NULL));
	EXPECT_EQ(EDQUOT, errno);
	EXPECT_EQ(-EDQUOT, exo_frame_alloc(fd, 64, caps, NULL));
	ASSERT_EQ(0, exo_env_info(fd, &info));
	EXPECT_EQ(q, info.used[EXO_KIND_FRAME]);
	EXPECT_EQ(q + 1, info.caps);
	ASSERT_EQ(0, exo_get_features(fd, &f));
	EXPECT_EQ(limit_of(&info, self->caps_headroom), f.max_caps);
	EXPECT_LT(q + 1, f.max_caps);

	/* The early handles after the growth: info, map, derive, revoke. */
	ASSERT_EQ(0, exo_cap_info(fd, child, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
	EXPECT_EQ(1, ci.depth);
	ASSERT_EQ(0, exo_cap_info(fd, caps[0], &ci));
	EXPECT_EQ(1, ci.children);
	EXPECT_EQ(0, exo_frame_map_one(fd, region + page, child, EXO_PROT_READ));
	EXPECT_STREQ("made before the table grew", region + page);
	EXPECT_EQ(0, exo_frame_unmap_one(fd, region));
	EXPECT_EQ(0, exo_cap_revoke(fd, caps[0], 0, &killed));
	EXPECT_EQ(1, killed);
	ASSERT_EQ(0, exo_cap_info(fd, child, &ci));
	EXPECT_EQ(EXO_CAP_REVOKED, ci.state);
	EXPECT_EQ(SIGBUS, exo_touch_read(region + page));
	EXPECT_EQ(0, exo_cap_close(fd, child));

	/* A slot freed near the top is reused; the quota still holds. */
	ASSERT_EQ(0, exo_cap_close(fd, caps[q - 1]));
	EXPECT_EQ(0, exo_frame_alloc(fd, 1, &caps[q - 1], NULL));
	EXPECT_EQ(-EDQUOT, exo_frame_alloc(fd, 1, &extra, NULL));
	expect_check_ok(_metadata);

	EXPECT_EQ(0, exo_region__destroy(region, 2 * page));
	EXPECT_EQ(0, exo_close(fd));
	free(caps);
	EXPECT_EQ(0, exo_totals_wait(&t0, &t1, 3000))
		TH_LOG("after close: %s", exo_totals_str(&t1));
	EXPECT_EQ(free0, pool->frames_free);
	exo_info__unmap(pool);
}

/*
 * A database libOS with a 256 MiB pool (run.sh's second run of this file,
 * pool_pages=65536): with the default quota, the whole pool, one env gets
 * every frame, and one more answers EDQUOT (checked before the empty pool).
 * 65536 frames take more than kselftest's 30 s under the debug kernel.
 */
TEST_F_TIMEOUT(limits, database_pool_default_quota, 300)
{
	const struct exo_pool_info *pool;
	struct exo_totals t0, t1;
	struct exo_env_info info;
	long frame_quota;
	exo_cap_t *caps, extra;
	__u64 total;
	int fd;

	ASSERT_EQ(0, exo_param_set("max_caps", 0));
	ASSERT_EQ(0, exo_param_get("frame_quota", &frame_quota));
	ASSERT_EQ(0, exo_info__map(self->fd, &pool, NULL));
	total = pool->frames_total;
	if (total < 65536 || frame_quota || pool->frames_free != total) {
		exo_info__unmap(pool);
		SKIP(return, "needs a pool of 65536 frames or more, all free, and frame_quota=0 (run.sh: pool_pages=65536)");
	}
	ASSERT_EQ(0, exo_totals(&t0));
	fd = exo_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, exo_env_info(fd, &info));
	ASSERT_EQ(total, info.quota[EXO_KIND_FRAME]);
	caps = calloc(total, sizeof(*caps));
	ASSERT_NE(NULL, caps);
	ASSERT_EQ(0, alloc_growing(fd, caps, 0, total));
	EXPECT_EQ(0, pool->frames_free);
	errno = 0;
	EXPECT_EQ(-EDQUOT, exo_frame_alloc(fd, 1, &extra, NULL));
	EXPECT_EQ(EDQUOT, errno);
	ASSERT_EQ(0, exo_env_info(fd, &info));
	EXPECT_EQ(total, info.used[EXO_KIND_FRAME]);
	EXPECT_EQ(total, info.caps);
	EXPECT_EQ(0, exo_close(fd));
	free(caps);
	EXPECT_EQ(0, exo_totals_wait(&t0, &t1, 5000))
		TH_LOG("after close: %s", exo_totals_str(&t1));
	EXPECT_EQ(total, pool->frames_free);
	exo_info__unmap(pool);
}

/*
 * The limit is the quotas' sum plus caps_headroom and moves with SET_QUOTA:
 * allocations stop at their quotas with EDQUOT; only derived capabilities
 * filling the headroom meet the full table (ENOSPC).
 */
TEST_F(limits, table_follows_quotas)
{
	struct exo_features f;
	struct exo_env_info info;
	exo_cap_t null[5], frame[3], child[9];
	int fd, i;

	ASSERT_EQ(0, exo_param_set("max_caps", 0));
	ASSERT_EQ(0, exo_param_set("caps_headroom", 8));
	fd = exo_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, exo_set_quota(fd, 0, EXO_KIND_NULL, 4));
	ASSERT_EQ(0, exo_set_quota(fd, 0, EXO_KIND_FRAME, 2));
	ASSERT_EQ(0, exo_set_quota(fd, 0, EXO_KIND_EXTENT, 0));
	ASSERT_EQ(0, exo_set_quota(fd, 0, EXO_KIND_FLOW, 0));
	ASSERT_EQ(0, exo_set_quota(fd, 0, EXO_KIND_XN, 0));
	ASSERT_EQ(0, exo_get_features(fd, &f));
	EXPECT_EQ(4 + 2 + 8, f.max_caps);

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, exo_null_alloc(fd, &null[i], NULL));
	EXPECT_EQ(-EDQUOT, exo_null_alloc(fd, &null[4], NULL));
	ASSERT_EQ(0, exo_frame_alloc(fd, 2, frame, NULL));
	EXPECT_EQ(-EDQUOT, exo_frame_alloc(fd, 1, &frame[2], NULL));

	/* Eight derived capabilities fill the headroom; the ninth is ENOSPC. */
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, exo_cap_derive(fd, null[0], EXO_RIGHT_READ, &child[i]))
			TH_LOG("derive %d", i);
	errno = 0;
	EXPECT_EQ(-ENOSPC, exo_cap_derive(fd, frame[0], EXO_RIGHT_READ, &child[8]));
	EXPECT_EQ(ENOSPC, errno);
	/* A quota used up still says so first. */
	EXPECT_EQ(-EDQUOT, exo_null_alloc(fd, &null[4], NULL));

	/* One more null object allowed: one more slot with it. */
	ASSERT_EQ(0, exo_set_quota(fd, 0, EXO_KIND_NULL, 5));
	ASSERT_EQ(0, exo_get_features(fd, &f));
	EXPECT_EQ(5 + 2 + 8, f.max_caps);
	EXPECT_EQ(0, exo_null_alloc(fd, &null[4], NULL));
	EXPECT_EQ(-ENOSPC, exo_cap_derive(fd, null[4], EXO_RIGHT_READ, &child[8]));

	/* A closed slot makes room again; nothing failed took any. */
	ASSERT_EQ(0, exo_env_info(fd, &info));
	EXPECT_EQ(15, info.caps);
	ASSERT_EQ(0, exo_cap_close(fd, child[7]));
	EXPECT_EQ(0, exo_cap_derive(fd, null[4], EXO_RIGHT_READ, &child[7]));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(0, exo_cap_close(fd, child[i]));
	expect_check_ok(_metadata);
	EXPECT_EQ(0, exo_close(fd));
}

/* FRAME_MAP, read, FRAME_UNMAP and CAP_INFO on a held frame, until told to stop. */
struct looker {
	int fd;
	exo_cap_t cap;
	char *page;
	volatile int stop;
	volatile long rounds;
	long errors;
	int first_error;
};

static void *look(void *arg)
{
	struct looker *l = arg;
	struct exo_cap_info ci;
	int r;

	while (!l->stop) {
		r = exo_frame_map_one(l->fd, l->page, l->cap, PROT_RW);
		if (!r)
			r = strcmp(l->page, "held") ? -EIO : 0;
		if (!r)
			r = exo_frame_unmap_one(l->fd, l->page);
		if (!r)
			r = exo_cap_info(l->fd, l->cap, &ci);
		if (r) {
			if (!l->errors++)
				l->first_error = -r;
			exo_frame_unmap_one(l->fd, l->page);
		}
		l->rounds++;
	}
	return NULL;
}

/*
 * One thread keeps using a capability (map, read, unmap, info) while
 * another grows the table from 16 slots to thousands, by derivations and
 * frame allocations one at a time: every use succeeds, every time.
 */
TEST_F(limits, growth_with_concurrent_lookups)
{
	long page = sysconf(_SC_PAGESIZE);
	struct looker l = { 0 };
	struct exo_env_info info;
	exo_cap_t root, c, frames[512];
	pthread_t th;
	int fd, i;

	ASSERT_EQ(0, exo_param_set("max_caps", 0));
	fd = exo_open();
	ASSERT_LE(0, fd);
	l.fd = fd;
	l.page = exo_region__create(fd, NULL, page, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, l.page);
	ASSERT_EQ(0, exo_frame_alloc(fd, 1, &l.cap, NULL));
	ASSERT_EQ(0, exo_frame_map_one(fd, l.page, l.cap, PROT_RW));
	strcpy(l.page, "held");
	ASSERT_EQ(0, exo_frame_unmap_one(fd, l.page));
	ASSERT_EQ(0, exo_null_alloc(fd, &root, NULL));

	ASSERT_EQ(0, pthread_create(&th, NULL, look, &l));
	while (!l.rounds)
		usleep(1000);
	for (i = 0; i < 3000; i++) {
		ASSERT_EQ(0, exo_cap_derive(fd, root, EXO_RIGHT_READ, &c))
			TH_LOG("derive %d", i);
		if (i < 512)
			ASSERT_EQ(0, exo_frame_alloc(fd, 1, &frames[i], NULL));
	}
	l.stop = 1;
	pthread_join(th, NULL);
	EXPECT_EQ(0, l.errors) TH_LOG("%ld of %ld rounds failed, first with %s",
				      l.errors, l.rounds, strerror(l.first_error));
	ASSERT_EQ(0, exo_env_info(fd, &info));
	EXPECT_EQ(2 + 3000 + 512, info.caps);
	expect_check_ok(_metadata);
	EXPECT_EQ(0, exo_region__destroy(l.page, page));
	EXPECT_EQ(0, exo_close(fd));
}

/* ---- what the header says a caller may observe ----------------------------- */

/*
 * FRAME_ALLOC is all or nothing: when copying the PFNs out fails after the
 * handles were copied, the frames go back and the handles in the caller's
 * array are stale.
 */
TEST_F(limits, failed_frame_alloc_leaves_stale_handles)
{
	long page = sysconf(_SC_PAGESIZE);
	exo_cap_t caps[4] = { 0 }, again[4];
	struct exo_frame_alloc a = {
		.size = sizeof(a), .count = 4, .caps = (unsigned long)caps,
	};
	struct exo_env_info info;
	struct exo_cap_info ci;
	void *ro;
	int i;

	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	a.pfns = (unsigned long)ro;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_FRAME_ALLOC, &a));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	EXPECT_EQ(0, info.used[EXO_KIND_FRAME]);
	EXPECT_EQ(0, info.caps);
	/* Today the handles are copied out first: they are there, and dead. */
	for (i = 0; i < 4; i++) {
		EXPECT_NE(0, caps[i]) TH_LOG("caps[%d] not written", i);
		EXPECT_EQ(-ESTALE, exo_cap_info(self->fd, caps[i], &ci));
	}
	/* The same slots come back with a new generation. */
	ASSERT_EQ(0, exo_frame_alloc(self->fd, 4, again, NULL));
	for (i = 0; i < 4; i++) {
		EXPECT_NE(caps[i], again[i]);
		EXPECT_EQ(-ESTALE, exo_cap_info(self->fd, caps[i], &ci));
	}
	munmap(ro, page);
}

/* FRAME_UNMAP where nothing is bound: ENOENT; outside any exo region: EINVAL. */
TEST_F(limits, frame_unmap_unbound_enoent)
{
	long page = sysconf(_SC_PAGESIZE);
	__u64 addrs[2];
	char *region, *anon;
	exo_cap_t cap;

	region = exo_region__create(self->fd, NULL, 2 * page,
				    PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, region);
	ASSERT_EQ(0, exo_frame_alloc(self->fd, 1, &cap, NULL));
	ASSERT_EQ(0, exo_frame_map_one(self->fd, region, cap, PROT_RW));

	/* A region page never bound. */
	errno = 0;
	EXPECT_EQ(-ENOENT, exo_frame_unmap_one(self->fd, region + page));
	EXPECT_EQ(ENOENT, errno);
	/* Batched: the first element takes effect, the second is ENOENT. */
	addrs[0] = (unsigned long)region;
	addrs[1] = (unsigned long)(region + page);
	errno = 0;
	EXPECT_EQ(1, exo_frame_unmap(self->fd, addrs, 2));
	EXPECT_EQ(ENOENT, errno);
	/* Unbound already. */
	EXPECT_EQ(-ENOENT, exo_frame_unmap_one(self->fd, region));
	/* Bound, then the capability died: the binding went with it. */
	ASSERT_EQ(0, exo_frame_map_one(self->fd, region, cap, PROT_RW));
	ASSERT_EQ(0, exo_cap_close(self->fd, cap));
	EXPECT_EQ(-ENOENT, exo_frame_unmap_one(self->fd, region));
	/* An address in no mapping at all. */
	anon = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, anon);
	EXPECT_EQ(-EINVAL, exo_frame_unmap_one(self->fd, anon));
	ASSERT_EQ(0, munmap(anon, page));
	EXPECT_EQ(-ENOENT, exo_frame_unmap_one(self->fd, anon));
	EXPECT_EQ(0, exo_region__destroy(region, 2 * page));
}

/*
 * After fork() the child is the same env: same id, its binds and unmaps
 * change the parent's region, its allocations count against the same quota.
 */
TEST_F(limits, fork_child_is_same_env)
{
	long page = sysconf(_SC_PAGESIZE);
	struct exo_env_info info, mine;
	exo_cap_t cap[2];
	char *region;
	int status;
	pid_t pid;

	region = exo_region__create(self->fd, NULL, 2 * page,
				    PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, region);
	ASSERT_EQ(0, exo_frame_alloc(self->fd, 2, cap, NULL));
	ASSERT_EQ(0, exo_env_info(self->fd, &mine));

	/* The child binds a frame and writes through it. */
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (exo_env_info(self->fd, &info) || info.env_id != mine.env_id)
			_exit(1);
		if (exo_frame_map_one(self->fd, region, cap[0], PROT_RW))
			_exit(2);
		strcpy(region, "bound by the child");
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("1: another env id, 2: map failed");
	EXPECT_STREQ("bound by the child", region);

	/* The child unbinds it and allocates: both are the parent's doing. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		exo_cap_t c;

		if (exo_frame_unmap_one(self->fd, region))
			_exit(1);
		if (exo_frame_alloc(self->fd, 1, &c, NULL))
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("1: unmap failed, 2: alloc failed");
	EXPECT_EQ(SIGBUS, exo_touch_read(region));
	EXPECT_EQ(-ENOENT, exo_frame_unmap_one(self->fd, region));
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	EXPECT_EQ(3, info.used[EXO_KIND_FRAME]);
	EXPECT_EQ(3, info.caps);
	EXPECT_EQ(0, exo_region__destroy(region, 2 * page));
}

TEST_HARNESS_MAIN
