// SPDX-License-Identifier: GPL-2.0
/*
 * The event stream of an env: read() of struct exo_event, poll/epoll
 * readiness, the EXO_EV_QUEUE bound and EXO_EVF_LOST, and the deadline
 * rules of visible revocation.
 *
 *  - an abort that takes more frames than the queue holds: the oldest
 *    events are dropped, the first one read says so (EXO_EVF_LOST), the
 *    EXO_EV_ABORTED summary survives with the full count, and the env
 *    page's repossession vector and EXO_IOC_CAP_INFO tell the rest;
 *  - poll and epoll report readable exactly while events are pending, and
 *    a sleeper is woken by a new event;
 *  - read(): a buffer smaller than one event is EINVAL, an empty queue is
 *    EAGAIN with O_NONBLOCK, a blocking read sleeps until an event comes;
 *  - a request honoured by freeing frames ends with EXO_EV_REVOKE_DONE
 *    (and no abort at the deadline); a later request may grow a pending
 *    one but never postpone its deadline.
 *
 * Requests come from root through debugfs "revoke": "ENV COUNT DEADLINE_MS".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

#define BIG	200		/* frames taken by one abort: > EXO_EV_QUEUE */
#define N	8

FIXTURE(events) {
	int fd;
	long page;
	struct exo_env_info info;
	const struct exo_pool_info *pool;
	const struct exo_env_page *envp;
	exo_cap_t caps[BIG];
	__u64 pfns[BIG];
};

FIXTURE_SETUP(events)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = exo_open();
	ASSERT_LE(0, self->fd) TH_LOG("exo_open: %s", strerror(-self->fd));
	ASSERT_EQ(0, exo_env_info(self->fd, &self->info));
	ASSERT_EQ(0, exo_info__map(self->fd, &self->pool, &self->envp));
}

FIXTURE_TEARDOWN(events)
{
	if (self->pool)
		exo_info__unmap(self->pool);
	if (self->fd >= 0)
		exo_close(self->fd);
}

/* poll() @fd for input with @timeout_ms: 1 readable, 0 not, -errno. */
static int readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int ret = poll(&p, 1, timeout_ms);

	if (ret < 0)
		return -errno;
	return ret && (p.revents & POLLIN);
}

/* epoll_wait() on @ep for @timeout_ms: 1 if @fd is reported readable. */
static int ep_readable(int ep, int fd, int timeout_ms)
{
	struct epoll_event ev;
	int ret = epoll_wait(ep, &ev, 1, timeout_ms);

	if (ret < 0)
		return -errno;
	return ret == 1 && ev.data.fd == fd && (ev.events & EPOLLIN);
}

/* Read every pending event without waiting.  Returns how many, or -errno. */
static int drain(int fd, struct exo_event *evs, int max)
{
	int got = 0, n;

	while (got < max) {
		n = exo_events_read(fd, evs + got, max - got, 0);
		if (n < 0)
			return n;
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

/* Read one event, waiting up to @ms.  Returns 1, 0 on timeout, -errno. */
static int one(int fd, struct exo_event *ev, int ms)
{
	return exo_events_read(fd, ev, 1, ms);
}

/* Fork a child that sleeps @ms and then asks @env_id for @count frames. */
static pid_t request_later(__u64 env_id, long count, int deadline_ms, int ms)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		usleep(ms * 1000);
		_exit(exo_request_revoke(NULL, env_id, count, deadline_ms) ? 1 : 0);
	}
	return pid;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

TEST_F(events, abort_overflows_queue)
{
	__u64 aborted = self->pool->revocations_aborted, seq, want[BIG], got[BIG];
	struct exo_event evs[2 * EXO_EV_QUEUE];
	struct exo_map_entry *ents;
	struct exo_cap_info ci;
	int i, n, waited, first_repo;
	char *region;

	ASSERT_LT(EXO_EV_QUEUE, BIG);
	ASSERT_GE(EXO_REPO_SLOTS, BIG);
	ASSERT_EQ(0, exo_frame_alloc(self->fd, BIG, self->caps, self->pfns));
	/* Bind them all: the abort must unbind them all. */
	region = exo_region__create(self->fd, NULL, BIG * self->page,
				    PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, region);
	ents = calloc(BIG, sizeof(*ents));
	ASSERT_NE(NULL, ents);
	for (i = 0; i < BIG; i++)
		ents[i] = (struct exo_map_entry){
			.addr = (__u64)(unsigned long)(region + i * self->page),
			.cap = self->caps[i],
			.prot = EXO_PROT_READ | EXO_PROT_WRITE,
		};
	ASSERT_EQ(BIG, exo_frame_map(self->fd, ents, BIG));
	free(ents);
	region[0] = 1;
	region[(BIG - 1) * self->page] = 1;
	EXPECT_EQ(BIG, self->envp->frames_mapped);

	/* Ask for everything and read nothing: the kernel takes it all. */
	ASSERT_EQ(0, exo_request_revoke(NULL, self->info.env_id, BIG, 50));
	for (waited = 0; self->pool->revocations_aborted == aborted; waited++) {
		ASSERT_GT(500, waited) TH_LOG("no abort within 5 s");
		usleep(10000);
	}
	seq = self->envp->revoke_seq;
	EXPECT_EQ(BIG, self->envp->repo_count);
	EXPECT_EQ(0, self->envp->revoke_owed);
	EXPECT_EQ(0, self->envp->frames_used);
	EXPECT_EQ(0, self->envp->frames_mapped);
	/* 1 REVOKE + BIG REPOSSESSED + 1 ABORTED, of which the queue kept the last. */
	EXPECT_EQ(EXO_EV_QUEUE, self->envp->events_pending);
	EXPECT_EQ(1, readable(self->fd, 0));

	n = drain(self->fd, evs, 2 * EXO_EV_QUEUE);
	ASSERT_EQ(EXO_EV_QUEUE, n);
	EXPECT_EQ(0, self->envp->events_pending);
	EXPECT_EQ(0, readable(self->fd, 0));
	/* The first read says events were lost; no other does. */
	EXPECT_TRUE(evs[0].flags & EXO_EVF_LOST) TH_LOG("flags %#x", evs[0].flags);
	for (i = 1; i < n; i++)
		EXPECT_EQ(0, evs[i].flags & EXO_EVF_LOST) TH_LOG("event %d", i);
	/* The summary survives, last, with the full count. */
	EXPECT_EQ(EXO_EV_ABORTED, evs[n - 1].type);
	EXPECT_EQ(BIG, evs[n - 1].count);
	EXPECT_EQ(seq, evs[n - 1].seq);
	/* The rest are the last repossessions, in the vector's order. */
	first_repo = BIG - (n - 1);
	for (i = 0; i < n - 1; i++) {
		const struct exo_repo_entry *r =
			&self->envp->repo[(first_repo + i) % EXO_REPO_SLOTS];

		ASSERT_EQ(EXO_EV_REPOSSESSED, evs[i].type) TH_LOG("event %d", i);
		EXPECT_EQ(seq, evs[i].seq);
		EXPECT_EQ(r->pfn, evs[i].pfn) TH_LOG("event %d, repo %d", i,
						     first_repo + i);
		EXPECT_EQ(r->cap, evs[i].cap) TH_LOG("event %d", i);
	}
	/* The vector names exactly our frames and our caps, once each. */
	for (i = 0; i < BIG; i++) {
		want[i] = self->pfns[i];
		got[i] = self->envp->repo[i].pfn;
	}
	qsort(want, BIG, sizeof(want[0]), cmp_u64);
	qsort(got, BIG, sizeof(got[0]), cmp_u64);
	EXPECT_EQ(0, memcmp(want, got, sizeof(want)));
	for (i = 0; i < BIG; i++) {
		want[i] = self->caps[i];
		got[i] = self->envp->repo[i].cap;
	}
	qsort(want, BIG, sizeof(want[0]), cmp_u64);
	qsort(got, BIG, sizeof(got[0]), cmp_u64);
	EXPECT_EQ(0, memcmp(want, got, sizeof(want)));
	/* Every capability is a tombstone, every page faults. */
	for (i = 0; i < BIG; i++) {
		ASSERT_EQ(0, exo_cap_info(self->fd, self->caps[i], &ci));
		EXPECT_EQ(EXO_CAP_REVOKED, ci.state) TH_LOG("cap %d", i);
	}
	EXPECT_EQ(SIGBUS, exo_touch_read(region));
	EXPECT_EQ(SIGBUS, exo_touch_read(region + (BIG - 1) * self->page));
	EXPECT_EQ(aborted + 1, self->pool->revocations_aborted);
	EXPECT_EQ(BIG, exo_caps_close(self->fd, self->caps, BIG));
	exo_region__destroy(region, BIG * self->page);
}

TEST_F(events, poll_and_epoll_readable_iff_pending)
{
	struct epoll_event add = { .events = EPOLLIN };
	struct exo_event ev;
	int ep, status;
	pid_t pid;

	ASSERT_EQ(0, exo_frame_alloc(self->fd, N, self->caps, self->pfns));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	add.data.fd = self->fd;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &add));

	/* Nothing pending: not readable. */
	EXPECT_EQ(0, readable(self->fd, 0));
	EXPECT_EQ(0, ep_readable(ep, self->fd, 0));
	EXPECT_EQ(0, self->envp->events_pending);

	/* One request: readable (level-triggered: still, until read). */
	ASSERT_EQ(0, exo_request_revoke(NULL, self->info.env_id, 2, 10000));
	EXPECT_EQ(1, self->envp->events_pending);
	EXPECT_EQ(1, readable(self->fd, 0));
	EXPECT_EQ(1, ep_readable(ep, self->fd, 0));
	EXPECT_EQ(1, readable(self->fd, 0));
	ASSERT_EQ(1, one(self->fd, &ev, 0));
	EXPECT_EQ(EXO_EV_REVOKE, ev.type);
	EXPECT_EQ(0, readable(self->fd, 0));
	EXPECT_EQ(0, ep_readable(ep, self->fd, 0));

	/* Paying one of two posts nothing; paying both posts DONE. */
	ASSERT_EQ(1, exo_caps_close(self->fd, &self->caps[N - 1], 1));
	EXPECT_EQ(0, readable(self->fd, 0));
	ASSERT_EQ(1, exo_caps_close(self->fd, &self->caps[N - 2], 1));
	EXPECT_EQ(1, readable(self->fd, 0));
	EXPECT_EQ(1, ep_readable(ep, self->fd, 0));
	ASSERT_EQ(1, one(self->fd, &ev, 0));
	EXPECT_EQ(EXO_EV_REVOKE_DONE, ev.type);
	EXPECT_EQ(0, readable(self->fd, 0));

	/* A sleeper in poll() is woken by a request made meanwhile. */
	pid = request_later(self->info.env_id, 1, 10000, 200);
	ASSERT_LE(0, pid);
	EXPECT_EQ(1, readable(self->fd, 10000));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	/* Two pending, one read: still readable. */
	ASSERT_EQ(1, exo_caps_close(self->fd, &self->caps[N - 3], 1));
	EXPECT_EQ(2, self->envp->events_pending);
	ASSERT_EQ(1, one(self->fd, &ev, 0));
	EXPECT_EQ(EXO_EV_REVOKE, ev.type);
	EXPECT_EQ(1, readable(self->fd, 0));
	EXPECT_EQ(1, ep_readable(ep, self->fd, 0));
	ASSERT_EQ(1, one(self->fd, &ev, 0));
	EXPECT_EQ(EXO_EV_REVOKE_DONE, ev.type);
	EXPECT_EQ(0, readable(self->fd, 0));

	/* A sleeper in epoll_wait() likewise. */
	pid = request_later(self->info.env_id, 1, 10000, 200);
	ASSERT_LE(0, pid);
	EXPECT_EQ(1, ep_readable(ep, self->fd, 10000));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(1, one(self->fd, &ev, 0));
	EXPECT_EQ(EXO_EV_REVOKE, ev.type);
	EXPECT_EQ(0, ep_readable(ep, self->fd, 0));
	close(ep);
}

TEST_F(events, read_smaller_than_an_event_einval)
{
	char buf[2 * sizeof(struct exo_event)];

	/* Nothing pending. */
	errno = 0;
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(struct exo_event) - 1));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, read(self->fd, buf, 1));
	EXPECT_EQ(EINVAL, errno);

	/* One pending: still EINVAL, and the event stays queued. */
	ASSERT_EQ(0, exo_frame_alloc(self->fd, N, self->caps, self->pfns));
	ASSERT_EQ(0, exo_request_revoke(NULL, self->info.env_id, 1, 10000));
	errno = 0;
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(struct exo_event) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1, self->envp->events_pending);
	/* One and a half events' room: one whole event. */
	EXPECT_EQ(sizeof(struct exo_event),
		  read(self->fd, buf, sizeof(struct exo_event) * 3 / 2));
	EXPECT_EQ(EXO_EV_REVOKE, ((struct exo_event *)buf)->type);
	EXPECT_EQ(0, self->envp->events_pending);
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST_F(events, nonblocking_and_blocking_read)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct itimerval it = { .it_value = { 0, 200 * 1000 } };
	struct exo_event ev;
	int fd2, status;
	__u64 t0;
	pid_t pid;

	/* Opened with O_NONBLOCK: EAGAIN at once. */
	fd2 = open(EXO_DEVICE, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	errno = 0;
	EXPECT_EQ(-1, read(fd2, &ev, sizeof(ev)));
	EXPECT_EQ(EAGAIN, errno);
	close(fd2);

	/* Set later with fcntl, on our env: EAGAIN too. */
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL,
			   fcntl(self->fd, F_GETFL) | O_NONBLOCK));
	errno = 0;
	EXPECT_EQ(-1, read(self->fd, &ev, sizeof(ev)));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL,
			   fcntl(self->fd, F_GETFL) & ~O_NONBLOCK));

	/* Blocking: sleeps until an event comes... */
	ASSERT_EQ(0, exo_frame_alloc(self->fd, N, self->caps, self->pfns));
	t0 = exo_now_ns();
	pid = request_later(self->info.env_id, 1, 10000, 200);
	ASSERT_LE(0, pid);
	EXPECT_EQ(sizeof(ev), read(self->fd, &ev, sizeof(ev)));
	EXPECT_EQ(EXO_EV_REVOKE, ev.type);
	EXPECT_LE(t0 + 150 * 1000000ULL, exo_now_ns()) TH_LOG("read did not wait");
	ASSERT_EQ(pid, waitpid(pid, &status, 0));

	/* ... and a signal interrupts the sleep. */
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	errno = 0;
	EXPECT_EQ(-1, read(self->fd, &ev, sizeof(ev)));
	EXPECT_EQ(EINTR, errno);
}

TEST_F(events, honoured_request_posts_done_and_no_abort)
{
	__u64 honoured = self->pool->revocations_honoured;
	__u64 aborted = self->pool->revocations_aborted;
	struct exo_event ev, rev;
	exo_cap_t more[2];
	int wait_ms;

	ASSERT_EQ(0, exo_frame_alloc(self->fd, N, self->caps, self->pfns));
	/* Time enough to pay even on a slow, loaded TCG host. */
	ASSERT_EQ(0, exo_request_revoke(NULL, self->info.env_id, 3, 1500));
	ASSERT_EQ(1, one(self->fd, &rev, 5000));
	ASSERT_EQ(EXO_EV_REVOKE, rev.type);
	EXPECT_EQ(3, rev.count);
	EXPECT_EQ(3, self->envp->revoke_owed);

	/* Frames taken after the request do not count as paying... */
	ASSERT_EQ(0, exo_frame_alloc(self->fd, 2, more, NULL));
	EXPECT_EQ(5, self->envp->revoke_owed);
	/* ... giving back three is not enough now... */
	ASSERT_EQ(3, exo_caps_close(self->fd, self->caps, 3));
	EXPECT_EQ(2, self->envp->revoke_owed);
	EXPECT_EQ(0, readable(self->fd, 0));
	/* ... five is: exactly one DONE, for that request. */
	ASSERT_EQ(2, exo_caps_close(self->fd, more, 2));
	EXPECT_EQ(0, self->envp->revoke_owed);
	ASSERT_EQ(1, one(self->fd, &ev, 1000));
	EXPECT_EQ(EXO_EV_REVOKE_DONE, ev.type);
	EXPECT_EQ(rev.seq, ev.seq);
	EXPECT_EQ(honoured + 1, self->pool->revocations_honoured);

	/* Freeing more posts nothing; the deadline passes without an abort. */
	ASSERT_EQ(1, exo_caps_close(self->fd, &self->caps[3], 1));
	wait_ms = rev.deadline_ns > exo_now_ns() ?
		  (rev.deadline_ns - exo_now_ns()) / 1000000 + 300 : 300;
	EXPECT_EQ(0, one(self->fd, &ev, wait_ms))
		TH_LOG("unexpected event %u", ev.type);
	EXPECT_LT(rev.deadline_ns, exo_now_ns());
	EXPECT_EQ(aborted, self->pool->revocations_aborted);
	EXPECT_EQ(0, self->envp->repo_count);
	EXPECT_EQ(N - 4, self->envp->frames_used);
}

TEST_F(events, new_request_cannot_postpone_deadline)
{
	struct exo_event ev1, ev2, evs[16];
	int n, i, taken = 0, done = 0;
	__u64 deadline, end;

	ASSERT_EQ(0, exo_frame_alloc(self->fd, N, self->caps, self->pfns));
	ASSERT_EQ(0, exo_request_revoke(NULL, self->info.env_id, 2, 2000));
	ASSERT_EQ(1, one(self->fd, &ev1, 5000));
	ASSERT_EQ(EXO_EV_REVOKE, ev1.type);
	deadline = ev1.deadline_ns;

	/* A bigger request with a later deadline: grows, keeps the deadline. */
	ASSERT_EQ(0, exo_request_revoke(NULL, self->info.env_id, 4, 60000));
	ASSERT_EQ(1, one(self->fd, &ev2, 5000));
	ASSERT_EQ(EXO_EV_REVOKE, ev2.type);
	EXPECT_EQ(ev1.seq + 1, ev2.seq);
	EXPECT_EQ(4, ev2.count);
	EXPECT_EQ(deadline, ev2.deadline_ns);
	EXPECT_EQ(deadline, self->envp->revoke_deadline_ns);
	EXPECT_EQ(4, self->envp->revoke_owed);

	/* One asking for less than is pending changes nothing. */
	exo_request_revoke(NULL, self->info.env_id, 3, 60000);	/* -ENOENT: nothing new asked */
	EXPECT_EQ(0, readable(self->fd, 0));
	EXPECT_EQ(ev2.seq, self->envp->revoke_seq);
	EXPECT_EQ(deadline, self->envp->revoke_deadline_ns);
	EXPECT_EQ(4, self->envp->revoke_owed);

	/* Pay nothing: at the first deadline (not 60 s later) four are taken. */
	while (!done) {
		n = exo_events_read(self->fd, evs, 16, 10000);
		ASSERT_LT(0, n) TH_LOG("no abort 10 s after the first request's deadline");
		for (i = 0; i < n; i++) {
			if (evs[i].type == EXO_EV_REPOSSESSED) {
				EXPECT_EQ(ev2.seq, evs[i].seq);
				taken++;
				continue;
			}
			ASSERT_EQ(EXO_EV_ABORTED, evs[i].type);
			EXPECT_EQ(ev2.seq, evs[i].seq);
			EXPECT_EQ(4, evs[i].count);
			done = 1;
		}
	}
	end = exo_now_ns();
	EXPECT_EQ(4, taken);
	/* Never before the deadline; soon after it, even under TCG. */
	EXPECT_LE(deadline, end);
	EXPECT_GT(deadline + 5000000000ULL, end)
		TH_LOG("abort came %llu ms after the deadline",
		       (unsigned long long)(end - deadline) / 1000000);
	EXPECT_EQ(4, self->envp->repo_count);
	EXPECT_EQ(N - 4, self->envp->frames_used);
}

TEST_F(events, earlier_deadline_of_new_request_is_kept)
{
	/*
	 * A pending request has a distant deadline; a bigger one comes with
	 * a near deadline (a starved allocation, say).  The event advertises
	 * the nearer one, and the kernel must act on what it advertised.
	 */
	struct exo_event ev1, ev2, evs[16];
	int n, i, done = 0;
	__u64 end;

	ASSERT_EQ(0, exo_frame_alloc(self->fd, N, self->caps, self->pfns));
	ASSERT_EQ(0, exo_request_revoke(NULL, self->info.env_id, 2, 30000));
	ASSERT_EQ(1, one(self->fd, &ev1, 5000));
	ASSERT_EQ(0, exo_request_revoke(NULL, self->info.env_id, 4, 300));
	ASSERT_EQ(1, one(self->fd, &ev2, 5000));
	ASSERT_EQ(EXO_EV_REVOKE, ev2.type);
	EXPECT_GT(ev1.deadline_ns, ev2.deadline_ns)
		TH_LOG("the nearer deadline was not advertised");
	EXPECT_EQ(ev2.deadline_ns, self->envp->revoke_deadline_ns);

	while (!done) {
		n = exo_events_read(self->fd, evs, 16, 10000);
		ASSERT_LT(0, n)
			TH_LOG("no abort 10 s after the advertised deadline (the first request's, %llu ms later, still rules?)",
			       (unsigned long long)(ev1.deadline_ns -
						    ev2.deadline_ns) / 1000000);
		for (i = 0; i < n; i++)
			done |= evs[i].type == EXO_EV_ABORTED;
	}
	end = exo_now_ns();
	EXPECT_LE(ev2.deadline_ns, end);
	EXPECT_GT(ev1.deadline_ns, end);
}

TEST_HARNESS_MAIN
