// SPDX-License-Identifier: GPL-2.0
/*
 * Frames failing cleanly: a double free is ESTALE and gives nothing back
 * twice; a stale or revoked capability binds nothing; a quota and an
 * empty pool refuse a whole batch and take nothing; a starved allocation
 * asks the largest other holder for the shortfall (reclaim_on_empty).
 *
 * (The frame quota's basic EDQUOT and batch closing are in exo_frames.c.)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

#define RW	(EXO_PROT_READ | EXO_PROT_WRITE)

FIXTURE(ferr) {
	int fd;
	long page;
	char *region;		/* 2 pages */
	const struct exo_pool_info *pool;
	const struct exo_env_page *envp;
	long max_caps;		/* to put back, if a test changed it */
	int reclaim_off;	/* a test turned reclaim_on_empty off */
	exo_cap_t *many;	/* a whole pool's worth of caps */
};

FIXTURE_SETUP(ferr)
{
	self->fd = -1;
	ASSERT_EQ(0, exo_param_get("max_caps", &self->max_caps));
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = exo_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, exo_info__map(self->fd, &self->pool, &self->envp));
	self->region = exo_region__create(self->fd, NULL, 2 * self->page,
					  PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, self->region);
}

FIXTURE_TEARDOWN(ferr)
{
	long now;

	if (!exo_param_get("max_caps", &now) && now != self->max_caps)
		EXPECT_EQ(0, exo_param_set("max_caps", self->max_caps));
	if (self->reclaim_off)
		EXPECT_EQ(0, exo_param_set("reclaim_on_empty", 1));
	if (self->pool)
		exo_info__unmap(self->pool);
	if (self->region)
		exo_region__destroy(self->region, 2 * self->page);
	if (self->fd >= 0)
		exo_close(self->fd);
	free(self->many);
}

TEST_F(ferr, double_free_estale_and_counted_once)
{
	__u64 free0 = self->pool->frames_free;
	struct exo_env_info info;
	exo_cap_t caps[3], twice[2];

	ASSERT_EQ(0, exo_frame_alloc(self->fd, 3, caps, NULL));
	EXPECT_EQ(free0 - 3, self->pool->frames_free);

	ASSERT_EQ(1, exo_caps_close(self->fd, &caps[0], 1));
	EXPECT_EQ(free0 - 2, self->pool->frames_free);
	/* Again: ESTALE, and the pool does not grow twice. */
	errno = 0;
	EXPECT_EQ(0, exo_caps_close(self->fd, &caps[0], 1));
	EXPECT_EQ(ESTALE, errno);
	EXPECT_EQ(-ESTALE, exo_cap_close(self->fd, caps[0]));
	EXPECT_EQ(free0 - 2, self->pool->frames_free);

	/* Twice in one batch: the first closes, the second is ESTALE. */
	twice[0] = twice[1] = caps[1];
	errno = 0;
	EXPECT_EQ(1, exo_caps_close(self->fd, twice, 2));
	EXPECT_EQ(ESTALE, errno);
	EXPECT_EQ(free0 - 1, self->pool->frames_free);

	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	EXPECT_EQ(1, info.used[EXO_KIND_FRAME]);
	EXPECT_EQ(1, info.caps);
	EXPECT_EQ(1, self->envp->frames_used);
	EXPECT_EQ(1, exo_caps_close(self->fd, &caps[2], 1));
	EXPECT_EQ(free0, self->pool->frames_free);
}

TEST_F(ferr, map_with_stale_cap)
{
	exo_cap_t old, fresh;
	struct exo_cap_info ci;

	ASSERT_EQ(0, exo_frame_alloc(self->fd, 1, &old, NULL));
	ASSERT_EQ(1, exo_caps_close(self->fd, &old, 1));
	EXPECT_EQ(-ESTALE, exo_frame_map_one(self->fd, self->region, old, RW));
	EXPECT_EQ(SIGBUS, exo_touch_read(self->region));
	EXPECT_EQ(0, self->envp->frames_mapped);

	/* The slot comes back with a new generation: the old handle stays dead. */
	ASSERT_EQ(0, exo_frame_alloc(self->fd, 1, &fresh, NULL));
	if (EXO_CAP_SLOT(fresh) == EXO_CAP_SLOT(old))
		EXPECT_NE(EXO_CAP_GEN(old), EXO_CAP_GEN(fresh));
	EXPECT_EQ(-ESTALE, exo_frame_map_one(self->fd, self->region, old, RW));
	EXPECT_EQ(-ENOENT, exo_frame_unmap_one(self->fd, self->region));
	EXPECT_EQ(SIGBUS, exo_touch_read(self->region));
	EXPECT_EQ(0, exo_frame_map_one(self->fd, self->region, fresh, RW));
	self->region[0] = 's';
	ASSERT_EQ(0, exo_cap_info(self->fd, fresh, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
}

TEST_F(ferr, map_with_dead_or_wrong_caps)
{
	exo_cap_t frame, child, null;
	struct exo_map_entry e[2];

	ASSERT_EQ(0, exo_frame_alloc(self->fd, 1, &frame, NULL));
	ASSERT_EQ(0, exo_cap_derive(self->fd, frame, EXO_RIGHTS_ALL, &child));
	ASSERT_EQ(0, exo_cap_revoke(self->fd, frame, 0, NULL));
	/* A tombstone binds nothing. */
	EXPECT_EQ(-EKEYREVOKED, exo_frame_map_one(self->fd, self->region,
						  child, RW));
	/* Nor does a capability of another kind, handle 0, a slot past the table. */
	ASSERT_EQ(0, exo_null_alloc(self->fd, &null, NULL));
	EXPECT_EQ(-EINVAL, exo_frame_map_one(self->fd, self->region, null,
					     EXO_PROT_READ));
	EXPECT_EQ(-EBADF, exo_frame_map_one(self->fd, self->region, 0, RW));
	EXPECT_EQ(-EBADF, exo_frame_map_one(self->fd, self->region,
					    (1ULL << 32) | 0xfffffff, RW));
	/* In a batch, the good entry before the bad one stays bound. */
	e[0] = (struct exo_map_entry){ .addr = (__u64)(unsigned long)self->region,
				       .cap = frame, .prot = RW };
	e[1] = (struct exo_map_entry){
		.addr = (__u64)(unsigned long)(self->region + self->page),
		.cap = child, .prot = RW };
	errno = 0;
	EXPECT_EQ(1, exo_frame_map(self->fd, e, 2));
	EXPECT_EQ(EKEYREVOKED, errno);
	EXPECT_EQ(1, self->envp->frames_mapped);
	EXPECT_EQ(0, exo_touch_read(self->region));
	EXPECT_EQ(SIGBUS, exo_touch_read(self->region + self->page));
}

TEST_F(ferr, quota_refuses_whole_batch_and_takes_nothing)
{
	exo_cap_t caps[4];
	__u64 free0;

	ASSERT_EQ(0, exo_frame_alloc(self->fd, 2, caps, NULL));
	ASSERT_EQ(0, exo_set_quota(self->fd, 0, EXO_KIND_FRAME, 4));
	free0 = self->pool->frames_free;
	errno = 0;
	EXPECT_EQ(-EDQUOT, exo_frame_alloc(self->fd, 3, &caps[2], NULL));
	EXPECT_EQ(EDQUOT, errno);
	EXPECT_EQ(free0, self->pool->frames_free);
	EXPECT_EQ(2, self->envp->frames_used);
	EXPECT_EQ(0, exo_frame_alloc(self->fd, 2, &caps[2], NULL));
	EXPECT_EQ(-EDQUOT, exo_frame_alloc(self->fd, 1, caps, NULL));

	/* A quota below use takes nothing away; it stops new allocations. */
	ASSERT_EQ(0, exo_set_quota(self->fd, 0, EXO_KIND_FRAME, 1));
	EXPECT_EQ(4, self->envp->frames_used);
	EXPECT_EQ(1, self->envp->frame_quota);
	ASSERT_EQ(3, exo_caps_close(self->fd, caps, 3));
	EXPECT_EQ(-EDQUOT, exo_frame_alloc(self->fd, 1, caps, NULL));
	ASSERT_EQ(1, exo_caps_close(self->fd, &caps[3], 1));
	EXPECT_EQ(0, exo_frame_alloc(self->fd, 1, caps, NULL));
}

/*
 * Open an env able to hold more than the whole pool: max_caps raised for
 * it, and a frame quota above the pool's size (the default quota is the
 * pool, and EDQUOT is checked before ENOMEM).
 */
static int open_big_env(struct __test_metadata *_metadata,
			FIXTURE_DATA(ferr) *self)
{
	int fd;

	EXPECT_EQ(0, exo_param_set("max_caps", self->pool->frames_total + 64));
	fd = exo_open();
	exo_param_set("max_caps", self->max_caps);
	if (fd >= 0)
		EXPECT_EQ(0, exo_set_quota(fd, 0, EXO_KIND_FRAME,
					   self->pool->frames_total + 64));
	return fd;
}

TEST_F(ferr, empty_pool_enomem_all_or_nothing)
{
	__u64 left;
	exo_cap_t one;
	char buf[8];
	int fd;

	/*
	 * Without reclaim: a starved allocation would also ask the big env
	 * for frames, and its abort a second later could change the counts
	 * below on a slow host.  (That policy is the next test's.)
	 */
	ASSERT_LT(0, exo_read_file(EXO_PARAMS "/reclaim_on_empty", buf,
				   sizeof(buf)));
	if (buf[0] == 'Y') {
		ASSERT_EQ(0, exo_param_set("reclaim_on_empty", 0));
		self->reclaim_off = 1;
	}
	fd = open_big_env(_metadata, self);
	ASSERT_LE(0, fd);
	left = self->pool->frames_free;
	ASSERT_LT(8, left);
	self->many = calloc(left, sizeof(*self->many));
	ASSERT_NE(NULL, self->many);
	/* More than is free: nothing taken. */
	EXPECT_EQ(-ENOMEM, exo_frame_alloc(fd, left + 1, self->many, NULL));
	EXPECT_EQ(left, self->pool->frames_free);
	/* Exactly what is free: the pool is empty. */
	ASSERT_EQ(0, exo_frame_alloc(fd, left, self->many, NULL));
	EXPECT_EQ(0, self->pool->frames_free);
	errno = 0;
	EXPECT_EQ(-ENOMEM, exo_frame_alloc(self->fd, 1, &one, NULL));
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ(-ENOMEM, exo_frame_alloc(fd, 1, &one, NULL));
	/* Three back, four asked: still nothing, and the three stay free. */
	ASSERT_EQ(3, exo_caps_close(fd, self->many, 3));
	EXPECT_EQ(-ENOMEM, exo_frame_alloc(self->fd, 4, self->many, NULL));
	EXPECT_EQ(3, self->pool->frames_free);
	EXPECT_EQ(0, self->envp->frames_used);
	EXPECT_EQ(0, exo_frame_alloc(self->fd, 3, self->many, NULL));
	EXPECT_EQ(0, self->pool->frames_free);
	EXPECT_EQ(0, exo_close(fd));
}

TEST_F(ferr, starved_allocation_asks_largest_holder)
{
	struct pollfd p = { .events = POLLIN };
	struct exo_event ev;
	__u64 left, revocations = self->pool->revocations;
	exo_cap_t caps[4];
	long deadline_ms;
	__u64 t0, t1;
	char buf[8];
	int fd, small;

	ASSERT_LT(0, exo_read_file(EXO_PARAMS "/reclaim_on_empty", buf,
				   sizeof(buf)));
	if (buf[0] != 'Y')
		SKIP(return, "reclaim_on_empty is off");
	ASSERT_EQ(0, exo_param_get("revoke_deadline_ms", &deadline_ms));

	/* A small holder and a big one, which takes the rest of the pool. */
	small = exo_open();
	ASSERT_LE(0, small);
	ASSERT_EQ(0, exo_frame_alloc(small, 2, caps, NULL));
	fd = open_big_env(_metadata, self);
	ASSERT_LE(0, fd);
	left = self->pool->frames_free;
	self->many = calloc(left, sizeof(*self->many));
	ASSERT_NE(NULL, self->many);
	ASSERT_EQ(0, exo_frame_alloc(fd, left, self->many, NULL));

	/* We are starved: ENOMEM at once, and the big holder is asked for 4. */
	t0 = exo_now_ns();
	EXPECT_EQ(-ENOMEM, exo_frame_alloc(self->fd, 4, caps, NULL));
	t1 = exo_now_ns();
	EXPECT_EQ(revocations + 1, self->pool->revocations);
	ASSERT_EQ(1, exo_events_read(fd, &ev, 1, 5000));
	EXPECT_EQ(EXO_EV_REVOKE, ev.type);
	EXPECT_EQ(4, ev.count);
	/* With the starved-allocation deadline, revoke_deadline_ms. */
	EXPECT_LE(t0 + deadline_ms * 1000000ULL, ev.deadline_ns);
	EXPECT_GE(t1 + deadline_ms * 1000000ULL, ev.deadline_ns);
	/* Not the small one, and not us. */
	p.fd = small;
	EXPECT_EQ(0, poll(&p, 1, 0));
	p.fd = self->fd;
	EXPECT_EQ(0, poll(&p, 1, 0));

	/* The big one pays; we retry and get them. */
	ASSERT_EQ(4, exo_caps_close(fd, self->many, 4));
	ASSERT_EQ(1, exo_events_read(fd, &ev, 1, 5000));
	EXPECT_EQ(EXO_EV_REVOKE_DONE, ev.type);
	EXPECT_EQ(0, exo_frame_alloc(self->fd, 4, caps, NULL));
	EXPECT_EQ(0, exo_close(fd));
	EXPECT_EQ(0, exo_close(small));
}

TEST_HARNESS_MAIN
