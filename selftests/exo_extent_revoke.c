// SPDX-License-Identifier: GPL-2.0
/*
 * Visible revocation of extent leases: the kernel asks an env for extents
 * back (EXO_EV_REVOKE with EXO_EVF_EXTENT), the libOS frees extents of its
 * choosing, and at the deadline the kernel frees what is still owed itself,
 * newest first, after the I/O in flight completes, telling the libOS which.
 * Needs the scratch disk (EXO_TEST_DISK or /dev/vda).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

#define NX	3

FIXTURE(xrev) {
	const char *disk;
	int fd;
	struct exo_env_info info;
	struct exo_extent_stat st;
	exo_cap_t x[NX];
	__u64 start[NX];
	exo_cap_t frame;
	char *region;
};

FIXTURE_SETUP(xrev)
{
	struct exo_key key;
	int i, new_key;

	self->fd = -1;
	self->region = NULL;
	self->disk = exo_test_disk();
	if (!self->disk)
		return;
	self->fd = exo_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, exo_env_info(self->fd, &self->info));
	exo_extent_detach(self->fd);
	ASSERT_EQ(0, exo_extent_attach(self->fd, self->disk,
				       EXO_ATTACH_FORMAT, &self->st));
	for (i = 0; i < NX; i++)
		ASSERT_EQ(0, exo_extent_alloc(self->fd, 2, &self->x[i],
					      &self->start[i], &key,
					      &new_key));
	ASSERT_EQ(0, exo_extent_stat(self->fd, &self->st));
	self->region = exo_region__create(self->fd, NULL, EXO_EXTENT_BLOCK,
					  PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, self->region);
	ASSERT_EQ(0, exo_frame_alloc(self->fd, 1, &self->frame, NULL));
	ASSERT_EQ(0, exo_frame_map_one(self->fd, self->region, self->frame,
				       EXO_PROT_READ | EXO_PROT_WRITE));
}

FIXTURE_TEARDOWN(xrev)
{
	int i;

	if (self->fd < 0)
		return;
	/* Ownership is persistent: give the blocks back for the next test. */
	for (i = 0; i < NX; i++)
		exo_extent_free(self->fd, self->x[i]);
	exo_region__destroy(self->region, EXO_EXTENT_BLOCK);
	exo_close(self->fd);
}

/* Read one event, failing the test if none comes within 5 s. */
static int next_event(int fd, struct exo_event *ev)
{
	return exo_events_read(fd, ev, 1, 5000);
}

TEST_F(xrev, cooperative_free_honours_request)
{
	struct exo_extent_stat st;
	struct exo_event ev;

	NEED_DISK();
	ASSERT_EQ(0, exo_request_revoke("extents", self->info.env_id, 2, 5000));
	ASSERT_EQ(1, next_event(self->fd, &ev));
	EXPECT_EQ(EXO_EV_REVOKE, ev.type);
	EXPECT_EQ(EXO_EVF_EXTENT, ev.flags & EXO_EVF_EXTENT);
	EXPECT_EQ(2, ev.count);
	EXPECT_LT(0, ev.deadline_ns);

	/* The libOS chooses: the oldest two. */
	ASSERT_EQ(0, exo_extent_free(self->fd, self->x[0]));
	ASSERT_EQ(0, exo_extent_free(self->fd, self->x[1]));
	ASSERT_EQ(1, next_event(self->fd, &ev));
	EXPECT_EQ(EXO_EV_REVOKE_DONE, ev.type);
	EXPECT_EQ(EXO_EVF_EXTENT, ev.flags & EXO_EVF_EXTENT);
	ASSERT_EQ(0, exo_extent_stat(self->fd, &st));
	EXPECT_EQ(self->st.free + 4, st.free);
	/* Paid in full: no abort follows. */
	EXPECT_EQ(0, exo_events_read(self->fd, &ev, 1, 300));
}

/*
 * The rule frames follow too: a request is honoured when the env owns no
 * more than it was told to keep, so an extent allocated after the request
 * and freed again pays nothing.
 */
TEST_F(xrev, allocations_after_the_request_do_not_count)
{
	struct exo_event ev;
	struct exo_key key;
	exo_cap_t extra;
	__u64 start;
	int nk;

	NEED_DISK();
	ASSERT_EQ(0, exo_request_revoke("extents", self->info.env_id, 2, 5000));
	ASSERT_EQ(1, next_event(self->fd, &ev));
	EXPECT_EQ(EXO_EV_REVOKE, ev.type);
	EXPECT_EQ(2, ev.count);
	ASSERT_EQ(0, exo_extent_alloc(self->fd, 2, &extra, &start, &key, &nk));
	ASSERT_EQ(0, exo_extent_free(self->fd, extra));
	ASSERT_EQ(0, exo_extent_free(self->fd, self->x[0]));
	/* Two freed, but it still owns two of the three it may keep one of. */
	EXPECT_EQ(0, exo_events_read(self->fd, &ev, 1, 300));
	ASSERT_EQ(0, exo_extent_free(self->fd, self->x[1]));
	ASSERT_EQ(1, next_event(self->fd, &ev));
	EXPECT_EQ(EXO_EV_REVOKE_DONE, ev.type);
	EXPECT_EQ(EXO_EVF_EXTENT, ev.flags & EXO_EVF_EXTENT);
	EXPECT_EQ(0, exo_events_read(self->fd, &ev, 1, 300));
}

TEST_F(xrev, abort_frees_newest_and_tells)
{
	struct exo_extent_stat st;
	struct exo_cap_info ci;
	struct exo_event ev;
	struct exo_key key;
	__u64 taken[2];
	int got = 0, aborted = 0, nk;
	exo_cap_t c;

	NEED_DISK();
	ASSERT_EQ(0, exo_request_revoke("extents", self->info.env_id, 2, 200));
	while (!aborted) {
		ASSERT_EQ(1, next_event(self->fd, &ev));
		ASSERT_EQ(EXO_EVF_EXTENT, ev.flags & EXO_EVF_EXTENT);
		if (ev.type == EXO_EV_REVOKE)
			continue;
		if (ev.type == EXO_EV_ABORTED) {
			EXPECT_EQ(2, ev.count);
			aborted = 1;
			continue;
		}
		ASSERT_EQ(EXO_EV_REPOSSESSED, ev.type);
		ASSERT_GT(2, got);
		taken[got++] = ev.block;
		ASSERT_EQ(0, exo_cap_info(self->fd, ev.cap, &ci));
		EXPECT_EQ(EXO_CAP_REVOKED, ci.state);
	}
	ASSERT_EQ(2, got);
	/* Newest first. */
	EXPECT_EQ(self->start[2], taken[0]);
	EXPECT_EQ(self->start[1], taken[1]);
	ASSERT_EQ(0, exo_cap_info(self->fd, self->x[0], &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
	EXPECT_EQ(-EKEYREVOKED, exo_extent_write(self->fd, self->x[2], 0,
						 self->frame, 0));
	EXPECT_EQ(0, exo_extent_write(self->fd, self->x[0], 0, self->frame,
				      0));
	ASSERT_EQ(0, exo_extent_stat(self->fd, &st));
	EXPECT_EQ(self->st.free + 4, st.free);
	/* The blocks are free for anyone: allocate them at their names. */
	EXPECT_EQ(0, exo_extent_alloc_at(self->fd, taken[0], 2, &c, &key,
					 &nk));
	EXPECT_EQ(0, exo_extent_free(self->fd, c));
}

struct writer {
	int fd;
	exo_cap_t x;
	exo_cap_t frame;
	int ok, revoked, other;
};

static void *write_loop(void *arg)
{
	struct writer *w = arg;

	for (;;) {
		int r = exo_extent_write(w->fd, w->x, 1, w->frame, 0);

		if (!r) {
			w->ok++;
		} else if (r == -EKEYREVOKED) {
			w->revoked++;
			break;
		} else {
			w->other = r;
			break;
		}
	}
	return NULL;
}

TEST_F(xrev, writes_in_flight_complete_or_fail_cleanly)
{
	struct writer w = { .fd = self->fd, .x = self->x[2],
			    .frame = self->frame };
	struct exo_event ev;
	pthread_t t;
	int aborted = 0;

	NEED_DISK();
	memset(self->region, 0x5a, EXO_EXTENT_BLOCK);
	ASSERT_EQ(0, pthread_create(&t, NULL, write_loop, &w));
	usleep(50000);
	ASSERT_EQ(0, exo_request_revoke("extents", self->info.env_id, 1, 50));
	while (!aborted) {
		ASSERT_EQ(1, next_event(self->fd, &ev));
		aborted = ev.type == EXO_EV_ABORTED;
	}
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, w.other);
	EXPECT_EQ(1, w.revoked);
	EXPECT_LT(0, w.ok);
}

TEST_F(xrev, request_capped_at_owned_and_never_postponed)
{
	struct exo_event ev;

	NEED_DISK();
	ASSERT_EQ(0, exo_request_revoke("extents", self->info.env_id, 10, 5000));
	ASSERT_EQ(1, next_event(self->fd, &ev));
	EXPECT_EQ(EXO_EV_REVOKE, ev.type);
	EXPECT_EQ(NX, ev.count);
	/* A smaller or equal request changes nothing. */
	EXPECT_EQ(-ENOENT, exo_request_revoke("extents", self->info.env_id, 1, 100));
	EXPECT_EQ(0, exo_events_read(self->fd, &ev, 1, 0));
	/* No such env. */
	EXPECT_EQ(-ESRCH, exo_request_revoke("extents", ~0ULL >> 1, 1, 100));
}

TEST_F(xrev, env_without_extents_owes_nothing)
{
	int fd2 = exo_open();
	struct exo_env_info info;

	NEED_DISK();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, exo_env_info(fd2, &info));
	EXPECT_EQ(-ENOENT, exo_request_revoke("extents", info.env_id, 1, 100));
	exo_close(fd2);
}

TEST_HARNESS_MAIN
