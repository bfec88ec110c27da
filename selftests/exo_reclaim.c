// SPDX-License-Identifier: GPL-2.0
/*
 * Visible revocation and abort.  Root asks an env for frames back
 * (debugfs "revoke": ENV_ID COUNT DEADLINE_MS); the env reads an
 * EXO_EV_REVOKE event and gives back frames of its choosing, which the
 * kernel acknowledges with EXO_EV_REVOKE_DONE.  An env that does not pay
 * by the deadline has frames taken: their caps become tombstones, their
 * pages fault, and each is reported (EXO_EV_REPOSSESSED and the env page's
 * repossession vector).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

#define N	8

FIXTURE(reclaim) {
	int fd;
	long page;
	char *region;
	exo_cap_t caps[N];
	__u64 pfns[N];
	struct exo_env_info info;
	const struct exo_pool_info *pool;
	const struct exo_env_page *envp;
};

FIXTURE_SETUP(reclaim)
{
	struct exo_map_entry e[N];
	int i;

	self->page = sysconf(_SC_PAGESIZE);
	self->fd = exo_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, exo_env_info(self->fd, &self->info));
	ASSERT_EQ(0, exo_info__map(self->fd, &self->pool, &self->envp));
	self->region = exo_region__create(self->fd, NULL, N * self->page,
					  PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, self->region);
	ASSERT_EQ(0, exo_frame_alloc(self->fd, N, self->caps, self->pfns));
	for (i = 0; i < N; i++)
		e[i] = (struct exo_map_entry){
			.addr = (__u64)(unsigned long)(self->region + i * self->page),
			.cap = self->caps[i],
			.prot = EXO_PROT_READ | EXO_PROT_WRITE,
		};
	ASSERT_EQ(N, exo_frame_map(self->fd, e, N));
	for (i = 0; i < N; i++)
		self->region[i * self->page] = 'A' + i;
}

FIXTURE_TEARDOWN(reclaim)
{
	if (self->pool)
		exo_info__unmap(self->pool);
	if (self->region)
		exo_region__destroy(self->region, N * self->page);
	if (self->fd >= 0)
		exo_close(self->fd);
}

TEST_F(reclaim, cooperative_revocation)
{
	struct exo_event ev;
	__u64 honoured = self->pool->revocations_honoured;
	int n;

	ASSERT_EQ(0, exo_request_revoke(NULL, self->info.env_id, 3, 10000));
	n = exo_events_read(self->fd, &ev, 1, 5000);
	ASSERT_EQ(1, n);
	EXPECT_EQ(EXO_EV_REVOKE, ev.type);
	EXPECT_EQ(3, ev.count);
	EXPECT_EQ(self->envp->revoke_seq, ev.seq);
	EXPECT_EQ(3, self->envp->revoke_owed);
	EXPECT_EQ(ev.deadline_ns, self->envp->revoke_deadline_ns);

	/* The libOS chooses: the last three frames. */
	ASSERT_EQ(3, exo_caps_close(self->fd, &self->caps[N - 3], 3));
	n = exo_events_read(self->fd, &ev, 1, 5000);
	ASSERT_EQ(1, n);
	EXPECT_EQ(EXO_EV_REVOKE_DONE, ev.type);
	EXPECT_EQ(self->envp->revoke_seq, ev.seq);
	EXPECT_EQ(0, self->envp->revoke_owed);
	EXPECT_EQ(honoured + 1, self->pool->revocations_honoured);
	EXPECT_EQ(N - 3, self->envp->frames_used);
	/* What it kept is intact. */
	EXPECT_EQ('A', self->region[0]);
	EXPECT_EQ(0, self->envp->repo_count);
}

TEST_F(reclaim, abort_repossesses)
{
	struct exo_cap_info ci;
	struct exo_event ev[16];
	__u64 taken[2], aborted = self->pool->revocations_aborted;
	int got = 0, revoke_seen = 0, aborted_seen = 0, i, j, n;

	ASSERT_EQ(0, exo_request_revoke(NULL, self->info.env_id, 2, 100));
	/* An uncooperative libOS: reads, gives nothing back. */
	while (!aborted_seen) {
		n = exo_events_read(self->fd, ev, 16, 5000);
		ASSERT_LT(0, n) TH_LOG("no event within 5 s (%d repossessed)", got);
		for (i = 0; i < n; i++) {
			if (ev[i].type == EXO_EV_REVOKE) {
				revoke_seen++;
				continue;
			}
			if (ev[i].type == EXO_EV_ABORTED) {
				/* The summary comes after every frame's event. */
				EXPECT_EQ(2, got);
				EXPECT_EQ(2, ev[i].count);
				aborted_seen++;
				continue;
			}
			ASSERT_EQ(EXO_EV_REPOSSESSED, ev[i].type);
			ASSERT_GT(2, got) TH_LOG("more frames taken than owed");
			taken[got++] = ev[i].pfn;
			/* The cap named is ours, for that frame, and dead. */
			for (j = 0; j < N && self->caps[j] != ev[i].cap; j++)
				;
			ASSERT_GT(N, j) TH_LOG("cap %#llx is not ours",
					       (unsigned long long)ev[i].cap);
			EXPECT_EQ(self->pfns[j], ev[i].pfn);
			ASSERT_EQ(0, exo_cap_info(self->fd, ev[i].cap, &ci));
			EXPECT_EQ(EXO_CAP_REVOKED, ci.state);
			EXPECT_EQ(SIGBUS, exo_touch_read(self->region + j * self->page));
		}
	}
	EXPECT_EQ(1, revoke_seen);
	EXPECT_NE(taken[0], taken[1]);
	EXPECT_EQ(2, self->envp->repo_count);
	EXPECT_EQ(taken[0], self->envp->repo[0].pfn);
	EXPECT_EQ(taken[1], self->envp->repo[1].pfn);
	EXPECT_EQ(N - 2, self->envp->frames_used);
	EXPECT_EQ(aborted + 1, self->pool->revocations_aborted);
	/* Tombstones close like any other. */
	EXPECT_EQ(N, exo_caps_close(self->fd, self->caps, N));
}

TEST_F(reclaim, request_is_capped_at_holdings)
{
	struct exo_event ev;

	ASSERT_EQ(0, exo_request_revoke(NULL, self->info.env_id, 1000, 10000));
	ASSERT_EQ(1, exo_events_read(self->fd, &ev, 1, 5000));
	EXPECT_EQ(EXO_EV_REVOKE, ev.type);
	EXPECT_EQ(N, ev.count);
	ASSERT_EQ(N, exo_caps_close(self->fd, self->caps, N));
	ASSERT_EQ(1, exo_events_read(self->fd, &ev, 1, 5000));
	EXPECT_EQ(EXO_EV_REVOKE_DONE, ev.type);
}

TEST_F(reclaim, close_with_request_pending)
{
	struct exo_totals t0, t1;

	ASSERT_EQ(0, exo_totals(&t0));
	ASSERT_EQ(0, exo_request_revoke(NULL, self->info.env_id, 4, 200));
	/* Close everything before the deadline: the timer must not fire on a dead env. */
	exo_info__unmap(self->pool);
	self->pool = NULL;
	exo_region__destroy(self->region, N * self->page);
	self->region = NULL;
	ASSERT_EQ(0, exo_close(self->fd));
	self->fd = -1;
	t0.envs--;
	t0.caps -= N;
	t0.objects_frame -= N;
	EXPECT_EQ(0, exo_totals_wait(&t0, &t1, 1000))
		TH_LOG("after: %s", exo_totals_str(&t1));
	usleep(400 * 1000);	/* past the deadline */
}

TEST_F(reclaim, no_env_esrch)
{
	EXPECT_EQ(-ESRCH, exo_request_revoke(NULL, ~0ULL >> 1, 1, 100));
	EXPECT_EQ(-EINVAL, exo_request_revoke(NULL, self->info.env_id, 0, 100));
}

TEST_HARNESS_MAIN
