// SPDX-License-Identifier: GPL-2.0
/*
 * Page frames through libexo: allocation (by count and by PFN), secure
 * binding into regions, read-only bindings, revocation unmapping the page
 * everywhere, a batch of scattered pages unmapped for every thread and
 * process, the information pages, batched close, and per-env quota.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

#define N	4

FIXTURE(frames) {
	int fd;
	long page;
	char *region;		/* N pages */
	exo_cap_t caps[N];
	__u64 pfns[N];
	int allocated;
};

FIXTURE_SETUP(frames)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = exo_open();
	ASSERT_LE(0, self->fd) TH_LOG("exo_open: %s", strerror(-self->fd));
	self->region = exo_region__create(self->fd, NULL, N * self->page,
					  PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, self->region) TH_LOG("exo_region__create: %s",
					     strerror(errno));
	ASSERT_EQ(0, exo_frame_alloc(self->fd, N, self->caps, self->pfns));
	self->allocated = 1;
}

FIXTURE_TEARDOWN(frames)
{
	if (self->region)
		exo_region__destroy(self->region, N * self->page);
	if (self->fd >= 0)
		exo_close(self->fd);
}

static struct exo_map_entry entry(char *addr, exo_cap_t cap, __u32 prot)
{
	return (struct exo_map_entry){
		.addr = (__u64)(unsigned long)addr, .cap = cap, .prot = prot,
	};
}

#define RW	(EXO_PROT_READ | EXO_PROT_WRITE)

/*
 * Touch @p in a child process: read it, or write @val.  Returns the signal
 * that killed the child, or 0 if the access worked.
 */
static int touch(volatile char *p, int write, char val)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (write)
			*p = val;
		else
			(void)*p;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

TEST_F(frames, alloc_gives_frame_caps)
{
	struct exo_env_info info;
	struct exo_cap_info ci;
	int i, j;

	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, exo_cap_info(self->fd, self->caps[i], &ci));
		EXPECT_EQ(EXO_CAP_LIVE, ci.state);
		EXPECT_EQ(EXO_KIND_FRAME, ci.kind);
		EXPECT_EQ(EXO_RIGHTS_ALL, ci.rights);
		EXPECT_EQ(0, ci.depth);
		/* Frames are named by their PFN: that is the object's name. */
		EXPECT_EQ(self->pfns[i], ci.obj_id) TH_LOG("frame %d", i);
		for (j = i + 1; j < N; j++)
			EXPECT_NE(self->pfns[i], self->pfns[j]);
	}
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	EXPECT_EQ(N, info.used[EXO_KIND_FRAME]);
	EXPECT_EQ(N, exo_caps_close(self->fd, self->caps, N));
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	EXPECT_EQ(0, info.used[EXO_KIND_FRAME]);
	EXPECT_EQ(0, info.caps);
}

TEST_F(frames, map_touch_unmap)
{
	struct exo_map_entry ents[N];
	__u64 addrs[N];
	int i;

	/* An empty region faults. */
	EXPECT_EQ(SIGBUS, touch(self->region, 0, 0));

	for (i = 0; i < N; i++) {
		ents[i] = entry(self->region + i * self->page, self->caps[i], RW);
		addrs[i] = ents[i].addr;
	}
	ASSERT_EQ(N, exo_frame_map(self->fd, ents, N));
	for (i = 0; i < N; i++) {
		/* Frames come zeroed. */
		EXPECT_EQ(0, self->region[i * self->page]);
		EXPECT_EQ(0, self->region[(i + 1) * self->page - 1]);
		memset(self->region + i * self->page, 'a' + i, self->page);
	}
	for (i = 0; i < N; i++)
		EXPECT_EQ('a' + i, self->region[i * self->page + 17]);
	/* A child (fork shares the region) sees the same frames. */
	EXPECT_EQ(0, touch(self->region + self->page, 1, 'z'));
	EXPECT_EQ('z', self->region[self->page]);

	ASSERT_EQ(N, exo_frame_unmap(self->fd, addrs, N));
	EXPECT_EQ(SIGBUS, touch(self->region, 0, 0));
	/* Twice: nothing bound there any more. */
	errno = 0;
	EXPECT_EQ(0, exo_frame_unmap(self->fd, addrs, 1));
	EXPECT_EQ(ENOENT, errno);

	/* Bound again, the frame still holds what was written. */
	ents[0] = entry(self->region + 2 * self->page, self->caps[0], RW);
	ASSERT_EQ(1, exo_frame_map(self->fd, ents, 1));
	EXPECT_EQ('a', self->region[2 * self->page + 100]);
}

TEST_F(frames, map_needs_map_right)
{
	struct exo_map_entry e;
	exo_cap_t nomap, ro;

	ASSERT_EQ(0, exo_cap_derive(self->fd, self->caps[0],
				    EXO_RIGHT_READ | EXO_RIGHT_WRITE, &nomap));
	e = entry(self->region, nomap, EXO_PROT_READ);
	errno = 0;
	EXPECT_EQ(0, exo_frame_map(self->fd, &e, 1));
	EXPECT_EQ(EACCES, errno);

	/* Writable binding needs WRITE. */
	ASSERT_EQ(0, exo_cap_derive(self->fd, self->caps[0],
				    EXO_RIGHT_READ | EXO_RIGHT_MAP, &ro));
	e = entry(self->region, ro, RW);
	errno = 0;
	EXPECT_EQ(0, exo_frame_map(self->fd, &e, 1));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(SIGBUS, touch(self->region, 0, 0));
}

TEST_F(frames, read_only_binding_stays_read_only)
{
	struct exo_map_entry e;
	exo_cap_t ro;
	__u64 addr;
	int sig;

	/* Write a pattern through a writable binding, then drop it. */
	e = entry(self->region, self->caps[0], RW);
	ASSERT_EQ(1, exo_frame_map(self->fd, &e, 1));
	memset(self->region, 'x', self->page);
	addr = e.addr;
	ASSERT_EQ(1, exo_frame_unmap(self->fd, &addr, 1));

	/* Bind a READ|MAP child read-only into the (PROT_WRITE) region. */
	ASSERT_EQ(0, exo_cap_derive(self->fd, self->caps[0],
				    EXO_RIGHT_READ | EXO_RIGHT_MAP, &ro));
	e = entry(self->region + self->page, ro, EXO_PROT_READ);
	ASSERT_EQ(1, exo_frame_map(self->fd, &e, 1));
	EXPECT_EQ('x', self->region[self->page + 5]);
	sig = touch(self->region + self->page, 1, 'w');
	EXPECT_TRUE(sig == SIGSEGV || sig == SIGBUS) TH_LOG("write survived (%d)", sig);
	/* mprotect() cannot upgrade it either. */
	ASSERT_EQ(0, mprotect(self->region, N * self->page, PROT_READ | PROT_WRITE));
	sig = touch(self->region + self->page, 1, 'w');
	EXPECT_TRUE(sig == SIGSEGV || sig == SIGBUS) TH_LOG("write survived (%d)", sig);
	EXPECT_EQ('x', self->region[self->page + 5]);
}

TEST_F(frames, revoke_unmaps)
{
	struct exo_map_entry e;
	struct exo_cap_info ci;
	exo_cap_t child;
	__u64 count;

	ASSERT_EQ(0, exo_cap_derive(self->fd, self->caps[1],
				    EXO_RIGHT_READ | EXO_RIGHT_WRITE | EXO_RIGHT_MAP,
				    &child));
	e = entry(self->region, child, RW);
	ASSERT_EQ(1, exo_frame_map(self->fd, &e, 1));
	self->region[0] = 'r';
	ASSERT_EQ(0, exo_cap_revoke(self->fd, self->caps[1], 0, &count));
	EXPECT_EQ(1, count);
	EXPECT_EQ(SIGBUS, touch(self->region, 0, 0));
	ASSERT_EQ(0, exo_cap_info(self->fd, child, &ci));
	EXPECT_EQ(EXO_CAP_REVOKED, ci.state);
	/* The root still names the frame, with what was written. */
	e = entry(self->region + self->page, self->caps[1], RW);
	ASSERT_EQ(1, exo_frame_map(self->fd, &e, 1));
	EXPECT_EQ('r', self->region[self->page]);
}

TEST_F(frames, shared_with_another_env_and_revoked)
{
	/*
	 * A grants B a frame; B binds it in its own region and sees A's data;
	 * A revokes; B's next access faults.
	 */
	char ks[EXO_KEY_STRLEN + 1], seen = 0, go = 'g';
	struct exo_map_entry e;
	struct exo_key key;
	int to[2], from[2], status;
	pid_t pid;

	e = entry(self->region, self->caps[2], RW);
	ASSERT_EQ(1, exo_frame_map(self->fd, &e, 1));
	strcpy(self->region, "hello from A");
	ASSERT_EQ(0, exo_cap_export(self->fd, self->caps[2],
				    EXO_RIGHT_READ | EXO_RIGHT_MAP, 0, &key));
	ASSERT_EQ(EXO_KEY_STRLEN, exo_key_to_string(&key, ks, sizeof(ks)));
	ASSERT_EQ(0, pipe(to));
	ASSERT_EQ(0, pipe(from));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char buf[EXO_KEY_STRLEN + 1] = { 0 }, *r;
		struct exo_key k;
		exo_cap_t cap;
		int fd;

		close(self->fd);	/* B is a different env */
		fd = exo_open();
		if (fd < 0 || read(to[0], buf, EXO_KEY_STRLEN) != EXO_KEY_STRLEN ||
		    exo_key_from_string(buf, &k) || exo_cap_import(fd, &k, &cap, NULL))
			_exit(10);
		r = exo_region__create(fd, NULL, self->page, PROT_READ);
		if (!r)
			_exit(11);
		e = entry(r, cap, EXO_PROT_READ);
		if (exo_frame_map(fd, &e, 1) != 1)
			_exit(12);
		if (write(from[1], &r[6], 1) != 1 || read(to[0], buf, 1) != 1)
			_exit(13);
		(void)*(volatile char *)r;	/* revoked by now: SIGBUS */
		_exit(0);
	}
	ASSERT_EQ(EXO_KEY_STRLEN, write(to[1], ks, EXO_KEY_STRLEN));
	ASSERT_EQ(1, read(from[0], &seen, 1));
	EXPECT_EQ('f', seen);			/* "hello from A"[6] */
	ASSERT_EQ(0, exo_cap_revoke(self->fd, self->caps[2], 0, NULL));
	ASSERT_EQ(1, write(to[1], &go, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status)) TH_LOG("B exited with %d",
						WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		EXPECT_EQ(SIGBUS, WTERMSIG(status));
	/* A's own binding (the root) is untouched. */
	EXPECT_EQ(0, strcmp(self->region, "hello from A"));
}

TEST_F(frames, alloc_by_pfn)
{
	exo_cap_t caps[2];
	__u64 pfns[2];
	struct exo_cap_info ci;

	/* Give two frames back, then ask for exactly those. */
	ASSERT_EQ(2, exo_caps_close(self->fd, self->caps, 2));
	pfns[0] = self->pfns[0];
	pfns[1] = self->pfns[1];
	ASSERT_EQ(0, exo_frame_alloc_at(self->fd, 2, pfns, caps));
	EXPECT_EQ(self->pfns[0], pfns[0]);
	EXPECT_EQ(self->pfns[1], pfns[1]);
	ASSERT_EQ(0, exo_cap_info(self->fd, caps[1], &ci));
	EXPECT_EQ(EXO_KIND_FRAME, ci.kind);

	/* Taken now: EBUSY, all or nothing. */
	pfns[0] = self->pfns[0];
	EXPECT_EQ(-EBUSY, exo_frame_alloc_at(self->fd, 1, pfns, caps));
	/* Repeated: EINVAL. */
	ASSERT_EQ(1, exo_caps_close(self->fd, &caps[0], 1));
	pfns[0] = pfns[1] = self->pfns[0];
	EXPECT_EQ(-EINVAL, exo_frame_alloc_at(self->fd, 2, pfns, caps));
	/* Not in the pool: EINVAL. */
	pfns[0] = 0;
	EXPECT_EQ(-EINVAL, exo_frame_alloc_at(self->fd, 1, pfns, caps));
}

TEST_F(frames, info_pages)
{
	const struct exo_pool_info *pool;
	const struct exo_env_page *envp;
	struct exo_env_info info;
	__u64 sum = 0, free_before;
	__u32 i;
	int j;

	ASSERT_EQ(0, exo_info__map(self->fd, &pool, &envp));
	EXPECT_EQ(EXO_POOL_MAGIC, pool->magic);
	EXPECT_EQ(EXO_API_VERSION, pool->version);
	EXPECT_EQ(self->page, pool->page_size);
	ASSERT_GE(EXO_POOL_RANGES, pool->nr_ranges);
	for (i = 0; i < pool->nr_ranges; i++)
		sum += pool->ranges[i].count;
	EXPECT_EQ(pool->frames_total, sum);
	/* Our frames are in the listed ranges. */
	for (j = 0; j < N; j++) {
		int found = 0;

		for (i = 0; i < pool->nr_ranges; i++)
			found |= self->pfns[j] >= pool->ranges[i].start &&
				 self->pfns[j] < pool->ranges[i].start +
						 pool->ranges[i].count;
		EXPECT_TRUE(found) TH_LOG("pfn %llu", (unsigned long long)self->pfns[j]);
	}
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	EXPECT_EQ(info.env_id, envp->env_id);
	EXPECT_EQ(N, envp->frames_used);
	EXPECT_EQ(info.quota[EXO_KIND_FRAME], envp->frame_quota);

	free_before = pool->frames_free;
	ASSERT_EQ(N, exo_caps_close(self->fd, self->caps, N));
	EXPECT_EQ(free_before + N, pool->frames_free);
	EXPECT_EQ(0, envp->frames_used);
	/* Read-only for the libOS. */
	EXPECT_EQ(SIGSEGV, touch((char *)pool, 1, 1));
	EXPECT_EQ(0, exo_info__unmap(pool));
}

TEST_F(frames, caps_close_batch_stops_at_first_error)
{
	exo_cap_t caps[3] = { self->caps[0], 0, self->caps[1] };
	struct exo_cap_info ci;

	errno = 0;
	EXPECT_EQ(1, exo_caps_close(self->fd, caps, 3));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-ESTALE, exo_cap_info(self->fd, self->caps[0], &ci));
	ASSERT_EQ(0, exo_cap_info(self->fd, self->caps[1], &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
}

TEST_F(frames, set_quota_limits_frames)
{
	struct exo_env_info info, i2;
	exo_cap_t more[N + 1];
	int fd2;

	ASSERT_EQ(0, exo_set_quota(self->fd, 0, EXO_KIND_FRAME, N + 1));
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	EXPECT_EQ(N + 1, info.quota[EXO_KIND_FRAME]);
	EXPECT_EQ(-EDQUOT, exo_frame_alloc(self->fd, 2, more, NULL));
	EXPECT_EQ(0, exo_frame_alloc(self->fd, 1, more, NULL));
	EXPECT_EQ(-EDQUOT, exo_frame_alloc(self->fd, 1, more, NULL));
	/* Another env, by id; and an env that does not exist. */
	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, exo_env_info(fd2, &i2));
	EXPECT_EQ(0, exo_set_quota(self->fd, i2.env_id, EXO_KIND_NULL, 3));
	ASSERT_EQ(0, exo_env_info(fd2, &i2));
	EXPECT_EQ(3, i2.quota[EXO_KIND_NULL]);
	EXPECT_EQ(-ESRCH, exo_set_quota(self->fd, ~0ULL, EXO_KIND_NULL, 3));
	EXPECT_EQ(-EINVAL, exo_set_quota(self->fd, 0, 0, 3));
	EXPECT_EQ(-EINVAL, exo_set_quota(self->fd, 0, EXO_KIND_MAX, 3));
	EXPECT_EQ(0, exo_close(fd2));
}

TEST_F(frames, revoke_reaches_forked_child)
{
	/* The child faulted the page in itself; revoke must zap its PTE too. */
	struct exo_map_entry e;
	int to[2], from[2], status;
	char c = 0;
	pid_t pid;

	e = entry(self->region, self->caps[0], RW);
	ASSERT_EQ(1, exo_frame_map(self->fd, &e, 1));
	self->region[0] = 'p';
	ASSERT_EQ(0, pipe(to));
	ASSERT_EQ(0, pipe(from));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char v = *(volatile char *)self->region;

		if (write(from[1], &v, 1) != 1 || read(to[0], &v, 1) != 1)
			_exit(10);
		(void)*(volatile char *)self->region;
		_exit(0);
	}
	ASSERT_EQ(1, read(from[0], &c, 1));
	EXPECT_EQ('p', c);
	ASSERT_EQ(0, exo_cap_revoke(self->fd, self->caps[0], EXO_REVOKE_SELF, NULL));
	ASSERT_EQ(1, write(to[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
		TH_LOG("child status %#x", status);
	EXPECT_EQ(SIGBUS, touch(self->region, 0, 0));
}

/* A neighbour env doing control calls until *stop (a thread's body). */
static void *control_calls(void *arg)
{
	volatile int *stop = arg;
	exo_cap_t caps[8], child;
	int fd = exo_open();
	long rounds = 0;

	if (fd < 0)
		return (void *)-1L;
	while (!*stop) {
		if (exo_frame_alloc(fd, 8, caps, NULL) ||
		    exo_cap_derive(fd, caps[0], EXO_RIGHT_READ, &child) ||
		    exo_cap_revoke(fd, caps[0], 0, NULL) ||
		    exo_cap_close(fd, child) ||
		    exo_caps_close(fd, caps, 8) != 8)
			break;
		rounds++;
	}
	exo_close(fd);
	return *stop ? (void *)rounds : (void *)-1L;
}

/*
 * A second mapping of the region (another process's, made afresh) has no
 * entries: each access faults, and the fault handler installs the bound
 * frame, readable and writable as bound, while another env does control
 * calls all along.  Writes through it land in the frames the first
 * mapping sees.
 */
TEST_F(frames, fault_in_fresh_mapping_beside_control_calls)
{
	struct exo_map_entry e[N];
	volatile int stop = 0;
	pthread_t th;
	void *rounds;
	int i, status;
	pid_t pid;

	for (i = 0; i < N; i++)
		e[i] = entry(self->region + i * self->page, self->caps[i], RW);
	ASSERT_EQ(N, exo_frame_map(self->fd, e, N));
	for (i = 0; i < N; i++)
		self->region[i * self->page] = 'a' + i;
	ASSERT_EQ(0, pthread_create(&th, NULL, control_calls, (void *)&stop));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		volatile char *p;
		int round;

		for (round = 0; round < 200; round++) {
			if (munmap(self->region, N * self->page))
				_exit(1);
			p = mmap(self->region, N * self->page,
				 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
				 self->fd, (off_t)(unsigned long)self->region);
			if (p != (volatile char *)self->region)
				_exit(2);
			for (i = 0; i < N; i++) {
				char want = (round ? 'A' : 'a') + i;

				if (p[i * self->page] != want)
					_exit(3);
				p[i * self->page] = 'A' + i;
			}
		}
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	stop = 1;
	ASSERT_EQ(0, pthread_join(th, &rounds));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x", status);
	EXPECT_LT(0, (long)rounds);
	for (i = 0; i < N; i++)
		EXPECT_EQ('A' + i, self->region[i * self->page]);
}

TEST_F(frames, frames_come_back_zeroed)
{
	struct exo_map_entry e;
	exo_cap_t cap;
	__u64 pfn, addr;
	int fd2, i, dirty = 0;
	char *r2;

	/* Env A scribbles on a frame and frees it... */
	e = entry(self->region, self->caps[3], RW);
	ASSERT_EQ(1, exo_frame_map(self->fd, &e, 1));
	memset(self->region, 0xa5, self->page);
	addr = e.addr;
	ASSERT_EQ(1, exo_frame_unmap(self->fd, &addr, 1));
	ASSERT_EQ(1, exo_caps_close(self->fd, &self->caps[3], 1));

	/* ... env B asks for exactly that frame and must see zeroes. */
	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	pfn = self->pfns[3];
	ASSERT_EQ(0, exo_frame_alloc_at(fd2, 1, &pfn, &cap));
	r2 = exo_region__create(fd2, NULL, self->page, PROT_READ);
	ASSERT_NE(NULL, r2);
	e = entry(r2, cap, EXO_PROT_READ);
	ASSERT_EQ(1, exo_frame_map(fd2, &e, 1));
	for (i = 0; i < self->page; i++)
		dirty |= r2[i];
	EXPECT_EQ(0, dirty);
	exo_region__destroy(r2, self->page);
	EXPECT_EQ(0, exo_close(fd2));
}

TEST_F(frames, map_outside_own_region_einval)
{
	struct exo_map_entry e;
	char *other, *anon;
	int fd2;

	/* Another env's region, in the same process. */
	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	other = exo_region__create(fd2, NULL, self->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, other);
	e = entry(other, self->caps[0], RW);
	errno = 0;
	EXPECT_EQ(0, exo_frame_map(self->fd, &e, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(SIGBUS, touch(other, 0, 0));

	/* Plain anonymous memory. */
	anon = mmap(NULL, self->page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, anon);
	e = entry(anon, self->caps[0], RW);
	errno = 0;
	EXPECT_EQ(0, exo_frame_map(self->fd, &e, 1));
	EXPECT_EQ(EINVAL, errno);

	/* Nothing mapped at all, and a misaligned address. */
	ASSERT_EQ(0, munmap(anon, self->page));
	errno = 0;
	EXPECT_EQ(0, exo_frame_map(self->fd, &e, 1));
	EXPECT_EQ(EINVAL, errno);
	e = entry(self->region + 1, self->caps[0], RW);
	errno = 0;
	EXPECT_EQ(0, exo_frame_map(self->fd, &e, 1));
	EXPECT_EQ(EINVAL, errno);

	exo_region__destroy(other, self->page);
	EXPECT_EQ(0, exo_close(fd2));
}

TEST_F(frames, page_already_bound_eexist)
{
	struct exo_map_entry e[2];

	e[0] = entry(self->region, self->caps[0], RW);
	e[1] = entry(self->region, self->caps[1], RW);
	errno = 0;
	EXPECT_EQ(1, exo_frame_map(self->fd, e, 2));
	EXPECT_EQ(EEXIST, errno);
	self->region[0] = 'k';
	e[1] = entry(self->region + self->page, self->caps[0], RW);
	/* The same frame at a second page is fine: both show it. */
	ASSERT_EQ(1, exo_frame_map(self->fd, &e[1], 1));
	EXPECT_EQ('k', self->region[self->page]);
}

TEST_F(frames, region_mmap_rules)
{
	void *p, *hint;

	/* Private mappings are refused (PFNMAP cannot be copied on write). */
	hint = mmap(NULL, self->page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hint);
	p = mmap(hint, self->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
		 self->fd, (off_t)(unsigned long)hint);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	/* The offset must be the address. */
	p = mmap(hint, self->page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 self->fd, (off_t)(unsigned long)hint + self->page);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	munmap(hint, self->page);
}

TEST_F(frames, pages_cannot_be_pinned)
{
	/* vmsplice() pins user pages; a bound frame must refuse, or revoke leaks. */
	struct exo_map_entry e;
	struct iovec iov;
	int p[2];

	e = entry(self->region, self->caps[0], RW);
	ASSERT_EQ(1, exo_frame_map(self->fd, &e, 1));
	self->region[0] = 'v';
	ASSERT_EQ(0, pipe(p));
	iov.iov_base = self->region;
	iov.iov_len = self->page;
	errno = 0;
	EXPECT_EQ(-1, vmsplice(p[1], &iov, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	/* A copy is fine. */
	EXPECT_EQ(1, write(p[1], self->region, 1));
	close(p[0]);
	close(p[1]);
}

TEST_F(frames, region_gone_then_env_closed)
{
	struct exo_totals t0, t1;
	struct exo_map_entry e;
	int fd2;
	char *r;

	ASSERT_EQ(0, exo_totals(&t0));
	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	r = exo_region__create(fd2, NULL, self->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, exo_frame_alloc(fd2, 1, &e.cap, NULL));
	e = entry(r, e.cap, RW);
	ASSERT_EQ(1, exo_frame_map(fd2, &e, 1));
	r[0] = 1;
	/* munmap with the frame still bound, then close the env. */
	ASSERT_EQ(0, exo_region__destroy(r, self->page));
	EXPECT_EQ(0, exo_close(fd2));
	EXPECT_EQ(0, exo_totals_wait(&t0, &t1, 1000))
		TH_LOG("after: %s", exo_totals_str(&t1));
}

TEST_F(frames, map_one_and_unmap_one)
{
	exo_cap_t nomap;

	EXPECT_EQ(0, exo_frame_map_one(self->fd, self->region, self->caps[0], RW));
	self->region[1] = 'o';
	EXPECT_EQ(-EEXIST, exo_frame_map_one(self->fd, self->region, self->caps[1], RW));
	EXPECT_EQ(0, exo_frame_unmap_one(self->fd, self->region));
	errno = 0;
	EXPECT_EQ(-ENOENT, exo_frame_unmap_one(self->fd, self->region));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, exo_cap_derive(self->fd, self->caps[0], EXO_RIGHT_READ, &nomap));
	EXPECT_EQ(-EACCES, exo_frame_map_one(self->fd, self->region, nomap,
					     EXO_PROT_READ));
}

/*
 * A run of consecutive entries whose pages lie in two vmas of one region
 * (mprotect() split it): each page gets its own vma's protection, not the
 * first page's (page.c, exo_ioc_frame_map installs a run per vma).
 */
TEST_F(frames, map_run_across_mprotect_split)
{
	struct exo_map_entry ents[N];
	int i;

	/* Second half read-only: a write there must fault, however bound. */
	ASSERT_EQ(0, mprotect(self->region + 2 * self->page, 2 * self->page,
			      PROT_READ));
	for (i = 0; i < N; i++)
		ents[i] = entry(self->region + i * self->page, self->caps[i], RW);
	ASSERT_EQ(N, exo_frame_map(self->fd, ents, N));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, touch(self->region + i * self->page, 1, 'p'))
			TH_LOG("page %d", i);
		EXPECT_EQ('p', self->region[i * self->page]);
	}
	for (i = 2; i < N; i++) {
		EXPECT_EQ(0, touch(self->region + i * self->page, 0, 0));
		EXPECT_EQ(SIGSEGV, touch(self->region + i * self->page, 1, 'q'))
			TH_LOG("page %d", i);
		EXPECT_EQ(0, self->region[i * self->page]);
	}
	/* Made writable again, the (writable) bindings take writes. */
	ASSERT_EQ(0, mprotect(self->region, N * self->page,
			      PROT_READ | PROT_WRITE));
	for (i = 0; i < N; i++) {
		EXPECT_EQ(0, touch(self->region + i * self->page, 1, 'r'));
		EXPECT_EQ('r', self->region[i * self->page]);
	}
}

/* The other way round, and a PROT_NONE part: first page none, then RO, RW. */
TEST_F(frames, map_run_across_three_protections)
{
	struct exo_map_entry ents[N];
	int i;

	ASSERT_EQ(0, mprotect(self->region, self->page, PROT_NONE));
	ASSERT_EQ(0, mprotect(self->region + self->page, self->page,
			      PROT_READ));
	for (i = 0; i < N; i++)
		ents[i] = entry(self->region + i * self->page, self->caps[i], RW);
	ASSERT_EQ(N, exo_frame_map(self->fd, ents, N));
	EXPECT_EQ(SIGSEGV, touch(self->region, 0, 0));
	EXPECT_EQ(0, touch(self->region + self->page, 0, 0));
	EXPECT_EQ(SIGSEGV, touch(self->region + self->page, 1, 'q'));
	for (i = 2; i < N; i++) {
		EXPECT_EQ(0, touch(self->region + i * self->page, 1, 'w'))
			TH_LOG("page %d", i);
		EXPECT_EQ('w', self->region[i * self->page]);
	}
	/* Readable again, the PROT_NONE page shows its (zeroed) frame. */
	ASSERT_EQ(0, mprotect(self->region, self->page, PROT_READ | PROT_WRITE));
	EXPECT_EQ(0, self->region[7]);
	self->region[7] = 's';
	EXPECT_EQ('s', self->region[7]);
	EXPECT_EQ(SIGSEGV, touch(self->region + self->page, 1, 'q'));
}

/*
 * A read-only binding in a run beside writable ones, all in a read-only
 * vma: making the vma writable widens only the writable bindings.
 */
TEST_F(frames, read_only_binding_in_run_stays_read_only)
{
	struct exo_map_entry ents[N];
	exo_cap_t ro;
	int i, sig;

	ASSERT_EQ(0, exo_cap_derive(self->fd, self->caps[1],
				    EXO_RIGHT_READ | EXO_RIGHT_MAP, &ro));
	ASSERT_EQ(0, mprotect(self->region, N * self->page, PROT_READ));
	for (i = 0; i < N; i++)
		ents[i] = entry(self->region + i * self->page,
				i == 1 ? ro : self->caps[i],
				i == 1 ? EXO_PROT_READ : RW);
	ASSERT_EQ(N, exo_frame_map(self->fd, ents, N));
	ASSERT_EQ(0, mprotect(self->region, N * self->page,
			      PROT_READ | PROT_WRITE));
	for (i = 0; i < N; i++) {
		sig = touch(self->region + i * self->page, 1, 't');
		if (i == 1) {
			EXPECT_TRUE(sig == SIGSEGV || sig == SIGBUS)
				TH_LOG("write survived (%d)", sig);
		} else {
			EXPECT_EQ(0, sig) TH_LOG("page %d", i);
		}
		EXPECT_EQ(i == 1 ? 0 : 't', self->region[i * self->page]);
	}
}

/*
 * A page munmap()ed from the middle of a region: a run over it stops at
 * the hole (EINVAL, nothing bound there), the rest of the region works.
 */
TEST_F(frames, map_run_across_munmapped_page)
{
	struct exo_map_entry ents[N];
	__u64 addr;
	int i;

	ASSERT_EQ(0, munmap(self->region + self->page, self->page));
	for (i = 0; i < N; i++)
		ents[i] = entry(self->region + i * self->page, self->caps[i], RW);
	errno = 0;
	EXPECT_EQ(1, exo_frame_map(self->fd, ents, N));
	EXPECT_EQ(EINVAL, errno);
	/* The first entry is bound; the pages after the hole are not yet. */
	EXPECT_EQ(0, touch(self->region, 1, 'a'));
	EXPECT_EQ(SIGBUS, touch(self->region + 2 * self->page, 0, 0));
	ASSERT_EQ(2, exo_frame_map(self->fd, ents + 2, 2));
	for (i = 2; i < N; i++) {
		EXPECT_EQ(0, touch(self->region + i * self->page, 1, 'b' + i));
		EXPECT_EQ('b' + i, self->region[i * self->page]);
	}
	/* Nothing is bound in the hole. */
	addr = ents[1].addr;
	errno = 0;
	EXPECT_EQ(0, exo_frame_unmap(self->fd, &addr, 1));
	EXPECT_EQ(ENOENT, errno);
}

/*
 * A batch of scattered pages (one run each) unmapped by one FRAME_UNMAP.
 * The kernel flushes the TLB once for such a batch, not once per run
 * (page.c, exo_zap_runs): whoever had the pages in its TLB must fault on
 * each of them once the call returns, and the pages between stay bound.
 */
#define SPREAD	8

struct spread {
	int fd;
	long page;
	char *region;			/* SPREAD pages, all bound */
	exo_cap_t caps[SPREAD];
	__u64 pfns[SPREAD];
};

static int spread_setup(struct spread *sp)
{
	struct exo_map_entry e[SPREAD];

	sp->page = sysconf(_SC_PAGESIZE);
	sp->fd = exo_open();
	if (sp->fd < 0)
		return sp->fd;
	sp->region = exo_region__create(sp->fd, NULL, SPREAD * sp->page,
					PROT_READ | PROT_WRITE);
	if (!sp->region || exo_frame_alloc(sp->fd, SPREAD, sp->caps,
					    sp->pfns))
		return -1;
	for (int i = 0; i < SPREAD; i++)
		e[i] = entry(sp->region + i * sp->page, sp->caps[i], RW);
	if (exo_frame_map(sp->fd, e, SPREAD) != SPREAD)
		return -1;
	for (int i = 0; i < SPREAD; i++)
		memset(sp->region + i * sp->page, 'A' + i, sp->page);
	return 0;
}

/* Unmap the even pages in one call: four runs of one page. */
static int spread_unmap_evens(struct spread *sp)
{
	__u64 a[SPREAD / 2];

	for (int i = 0; i < SPREAD / 2; i++)
		a[i] = (__u64)(unsigned long)(sp->region + 2 * i * sp->page);
	return exo_frame_unmap(sp->fd, a, SPREAD / 2);
}

static __thread sigjmp_buf spread_jb;

static void spread_bus(int sig)
{
	(void)sig;
	siglongjmp(spread_jb, 1);
}

/* Read page @i's first byte: its value, or -1 on SIGBUS. */
static int spread_read(struct spread *sp, int i)
{
	if (sigsetjmp(spread_jb, 1))
		return -1;
	return *(volatile char *)(sp->region + i * sp->page);
}

/* After the unmap: evens fault, odds hold what was written.  0 if so. */
static int spread_check(struct spread *sp)
{
	int bad = 0;

	for (int i = 0; i < SPREAD; i++)
		bad += spread_read(sp, i) != (i % 2 ? 'A' + i : -1);
	return bad;
}

struct spread_reader {
	struct spread *sp;
	atomic_int phase;	/* 0: reading, 1: read every page, 2: unmapped */
	int bad;
};

static void *spread_reader(void *arg)
{
	struct spread_reader *r = arg;
	cpu_set_t cpus;

	/* another CPU than the unmapper's, where there is one */
	CPU_ZERO(&cpus);
	CPU_SET(1, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	while (atomic_load(&r->phase) != 2) {
		/* the unmap may land while we read: a fault here is fine */
		for (int i = 0; i < SPREAD; i++)
			spread_read(r->sp, i);
		if (atomic_load(&r->phase) == 0)
			atomic_store(&r->phase, 1);
	}
	r->bad = spread_check(r->sp);
	return NULL;
}

TEST(unmap_batch_reaches_other_threads)
{
	struct sigaction sa = { .sa_handler = spread_bus }, old;
	struct spread sp;
	struct spread_reader r = { .sp = &sp };
	cpu_set_t cpus;
	pthread_t th;

	ASSERT_EQ(0, spread_setup(&sp));
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, &old));
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	ASSERT_EQ(0, pthread_create(&th, NULL, spread_reader, &r));
	while (atomic_load(&r.phase) == 0)
		sched_yield();
	/* the reader has every page in its TLB and goes on reading them */
	EXPECT_EQ(SPREAD / 2, spread_unmap_evens(&sp));
	atomic_store(&r.phase, 2);
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(0, r.bad) TH_LOG("%d pages read wrong by the other thread",
				   r.bad);
	EXPECT_EQ(0, spread_check(&sp));
	sigaction(SIGBUS, &old, NULL);
	CPU_ZERO(&cpus);
	for (int c = 0; c < CPU_SETSIZE; c++)
		CPU_SET(c, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	exo_region__destroy(sp.region, SPREAD * sp.page);
	exo_close(sp.fd);
}

TEST(unmap_batch_reaches_forked_child)
{
	struct sigaction sa = { .sa_handler = spread_bus };
	int to[2], from[2], status;
	struct spread sp;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(0, spread_setup(&sp));
	ASSERT_EQ(0, pipe(to));
	ASSERT_EQ(0, pipe(from));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ok = 1;

		sigemptyset(&sa.sa_mask);
		sigaction(SIGBUS, &sa, NULL);
		for (int i = 0; i < SPREAD; i++)
			ok &= spread_read(&sp, i) == 'A' + i;
		if (write(from[1], "r", 1) != 1 || read(to[0], &c, 1) != 1)
			_exit(10);
		_exit(ok && !spread_check(&sp) ? 0 : 1);
	}
	ASSERT_EQ(1, read(from[0], &c, 1));
	/* two processes map the region: one zap per run */
	EXPECT_EQ(SPREAD / 2, spread_unmap_evens(&sp));
	ASSERT_EQ(1, write(to[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x", status);
	exo_region__destroy(sp.region, SPREAD * sp.page);
	exo_close(sp.fd);
}

/*
 * Map and unmap look capabilities up without exo_lock, under the env's own
 * lock (page.c): every change of a capability must still answer as the
 * lookup under exo_lock does, and its death must still unbind every page.
 */
TEST_F(frames, mapped_through_cap_answers_precisely)
{
	exo_cap_t ro, rw;
	__u64 addr;

	ASSERT_EQ(0, exo_cap_derive(self->fd, self->caps[0], EXO_RIGHT_READ |
				    EXO_RIGHT_MAP, &ro));
	EXPECT_EQ(0, exo_frame_map_one(self->fd, self->region, ro,
				       EXO_PROT_READ));
	EXPECT_EQ(0, exo_frame_unmap_one(self->fd, self->region));
	EXPECT_EQ(-EACCES, exo_frame_map_one(self->fd, self->region, ro, RW));
	EXPECT_EQ(SIGBUS, touch(self->region, 0, 0));

	/* One capability, two pages; its death unbinds both. */
	ASSERT_EQ(0, exo_cap_derive(self->fd, self->caps[1], EXO_RIGHT_READ |
				    EXO_RIGHT_WRITE | EXO_RIGHT_MAP, &rw));
	EXPECT_EQ(0, exo_frame_map_one(self->fd, self->region + self->page,
				       rw, RW));
	EXPECT_EQ(0, exo_frame_map_one(self->fd, self->region + 2 * self->page,
				       rw, RW));
	self->region[self->page] = 'd';
	EXPECT_EQ('d', self->region[2 * self->page]);
	ASSERT_EQ(0, exo_cap_revoke(self->fd, self->caps[1], 0, NULL));
	EXPECT_EQ(SIGBUS, touch(self->region + self->page, 0, 0));
	EXPECT_EQ(SIGBUS, touch(self->region + 2 * self->page, 0, 0));
	addr = (unsigned long)(self->region + self->page);
	errno = 0;
	EXPECT_EQ(0, exo_frame_unmap(self->fd, &addr, 1));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-EKEYREVOKED, exo_frame_map_one(self->fd, self->region +
						  self->page, rw, RW));
	ASSERT_EQ(0, exo_cap_close(self->fd, rw));
	EXPECT_EQ(-ESTALE, exo_frame_map_one(self->fd, self->region +
					     self->page, rw, RW));
	/* A batch naming one good capability and one dead one. */
	{
		struct exo_map_entry e[2] = {
			entry(self->region + 3 * self->page, self->caps[2], RW),
			entry(self->region + self->page, rw, RW),
		};

		errno = 0;
		EXPECT_EQ(1, exo_frame_map(self->fd, e, 2));
		EXPECT_EQ(ESTALE, errno);
		EXPECT_EQ(0, touch(self->region + 3 * self->page, 1, 'e'));
	}
	/* The frame's root closed: its pages go, and it maps no more. */
	EXPECT_EQ(1, exo_caps_close(self->fd, &self->caps[2], 1));
	EXPECT_EQ(SIGBUS, touch(self->region + 3 * self->page, 0, 0));
	EXPECT_EQ(-ESTALE, exo_frame_map_one(self->fd, self->region,
					     self->caps[2], RW));
}

/*
 * Maps and unmaps through children that another thread revokes and closes
 * round after round: the only errors are those of a dead or closed
 * capability (or ENOENT for a page its death unbound), and debugfs check
 * (every binding through a live capability) holds after each revocation.
 */
#define MRACE_PAGES	8
#define MRACE_ROUNDS	300

struct mrace {
	int fd;
	long page;
	char *region;
	int touch;		/* write each page bound (SIGBUS counted) */
	_Atomic exo_cap_t kids[MRACE_PAGES];
	atomic_int stop;
	atomic_long maps, ok, bad, last_bad, sigbus;
};

static __thread sigjmp_buf mrace_jmp;

static void mrace_on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(mrace_jmp, 1);
}

static void *mrace_mapper(void *arg)
{
	struct mrace *r = arg;
	struct exo_map_entry e[MRACE_PAGES];
	int i, n, err;

	while (!atomic_load(&r->stop)) {
		for (i = 0; i < MRACE_PAGES; i++)
			e[i] = entry(r->region + i * r->page,
				     atomic_load(&r->kids[i]), RW);
		errno = 0;
		n = exo_frame_map(r->fd, e, MRACE_PAGES);
		err = n == MRACE_PAGES ? 0 : errno;
		atomic_fetch_add(&r->maps, 1);
		if (!err)
			atomic_fetch_add(&r->ok, 1);
		else if (err != EKEYREVOKED && err != ESTALE) {
			atomic_fetch_add(&r->bad, 1);
			atomic_store(&r->last_bad, err);
		}
		/* A death may zap a page first: its fault answers SIGBUS. */
		for (i = 0; r->touch && i < n; i++) {
			if (!sigsetjmp(mrace_jmp, 1))
				((volatile char *)r->region)[i * r->page] = 1;
			else
				atomic_fetch_add(&r->sigbus, 1);
		}
		for (i = 0; i < MRACE_PAGES; i++) {
			err = exo_frame_unmap_one(r->fd, r->region + i * r->page);
			if (err && err != -ENOENT) {
				atomic_fetch_add(&r->bad, 1);
				atomic_store(&r->last_bad, -err);
			}
		}
	}
	return NULL;
}

TEST(map_races_revoke_and_close)
{
	struct mrace r = { .page = sysconf(_SC_PAGESIZE) };
	time_t t0 = time(NULL);
	exo_cap_t roots[MRACE_PAGES], kids[MRACE_PAGES];
	pthread_t th;
	char buf[4096];
	int round, i, n;

	r.fd = exo_open();
	ASSERT_LE(0, r.fd);
	r.region = exo_region__create(r.fd, NULL, MRACE_PAGES * r.page,
				      PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, r.region);
	ASSERT_EQ(0, exo_frame_alloc(r.fd, MRACE_PAGES, roots, NULL));
	for (i = 0; i < MRACE_PAGES; i++)
		atomic_store(&r.kids[i], roots[i]);
	ASSERT_EQ(0, pthread_create(&th, NULL, mrace_mapper, &r));
	/* MRACE_ROUNDS, or 2 and 15 s (a debug kernel is slow). */
	for (round = 0; round < MRACE_ROUNDS &&
	     (round < 2 || time(NULL) - t0 < 15); round++) {
		long ok = atomic_load(&r.ok);

		for (i = 0; i < MRACE_PAGES; i++) {
			ASSERT_EQ(0, exo_cap_derive(r.fd, roots[i],
						    EXO_RIGHT_READ | EXO_RIGHT_WRITE |
						    EXO_RIGHT_MAP, &kids[i]));
			atomic_store(&r.kids[i], kids[i]);
		}
		for (n = 0; n < 10000 && atomic_load(&r.ok) < ok + 2; n++)
			sched_yield();
		for (i = 0; i < MRACE_PAGES; i++)
			ASSERT_EQ(0, exo_cap_revoke(r.fd, roots[i], 0, NULL));
		n = exo_read_file(EXO_DEBUGFS "/check", buf, sizeof(buf));
		ASSERT_LT(0, n);
		buf[n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1] = '\0';
		ASSERT_STREQ("ok\n", buf) TH_LOG("round %d", round);
		if (round % 2)
			ASSERT_EQ(MRACE_PAGES, exo_caps_close(r.fd, kids,
							      MRACE_PAGES));
	}
	atomic_store(&r.stop, 1);
	ASSERT_EQ(0, pthread_join(th, NULL));
	TH_LOG("%d rounds, %ld maps, %ld whole", round, atomic_load(&r.maps),
	       atomic_load(&r.ok));
	EXPECT_EQ(0, atomic_load(&r.bad))
		TH_LOG("last unexpected errno %ld", atomic_load(&r.last_bad));
	EXPECT_LT(0, atomic_load(&r.ok));
	exo_region__destroy(r.region, MRACE_PAGES * r.page);
	EXPECT_EQ(0, exo_close(r.fd));
}

/* debugfs "frames": the reserved binding entries of env @id, or -1. */
static long frames_reserved(__u64 id)
{
	char buf[8192], *line;
	unsigned long long env, owed;
	unsigned int used, mapped, quota, reserved;
	int n = exo_read_file(EXO_DEBUGFS "/frames", buf, sizeof(buf) - 1);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (sscanf(line, "%llu %u %u %u %llu %u", &env, &used, &mapped,
			   &quota, &owed, &reserved) == 6 && env == id)
			return reserved;
	return -1;
}

/*
 * An unbound page keeps its entry in the env's bindings reserved, so the
 * next bind there allocates nothing (page.c, EXO_BINDS_SPARE); past 16384
 * of them an unmap sweeps them out.  Binding 1024 frames in each of 20
 * windows of a region in turn, the reserve never passes the bound, and a
 * page once bound answers as one never bound: SIGBUS, ENOENT to an unmap,
 * and it binds again.
 */
#define SPARE_WINDOWS	20

TEST(unbound_pages_keep_a_bounded_reserve)
{
	long page = sysconf(_SC_PAGESIZE), reserved, most = 0;
	static struct exo_map_entry e[1024];
	static exo_cap_t caps[1024];
	static __u64 addrs[1024];
	struct exo_env_info info = { .size = sizeof(info) };
	char *region, buf[256];
	int fd, w, i, n;

	fd = exo_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, exo_env_info(fd, &info));
	region = exo_region__create(fd, NULL, SPARE_WINDOWS * 1024 * page,
				    PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, region);
	ASSERT_EQ(0, exo_frame_alloc(fd, 1024, caps, NULL));
	for (w = 0; w < SPARE_WINDOWS; w++) {
		char *base = region + (size_t)w * 1024 * page;

		for (i = 0; i < 1024; i++) {
			addrs[i] = (unsigned long)(base + (size_t)i * page);
			e[i] = entry(base + (size_t)i * page, caps[i], RW);
		}
		ASSERT_EQ(1024, exo_frame_map(fd, e, 1024));
		base[0] = 'w';
		ASSERT_EQ(1024, exo_frame_unmap(fd, addrs, 1024));
		reserved = frames_reserved(info.env_id);
		if (!w)
			EXPECT_EQ(1024, reserved);
		EXPECT_GE(16384, reserved) TH_LOG("window %d", w);
		most = reserved > most ? reserved : most;
	}
	EXPECT_EQ(16384, most);
	EXPECT_GT(SPARE_WINDOWS * 1024 - 16384, frames_reserved(info.env_id));
	/* Reserved or swept, an unbound page is as one never bound. */
	for (w = 0; w < SPARE_WINDOWS; w += SPARE_WINDOWS - 1) {
		char *p = region + ((size_t)w * 1024 + 7) * page;

		EXPECT_EQ(SIGBUS, touch(p, 0, 0));
		EXPECT_EQ(-ENOENT, exo_frame_unmap_one(fd, p));
		EXPECT_EQ(0, exo_frame_map_one(fd, p, caps[7], RW));
		EXPECT_EQ(0, touch(p, 1, 'x'));
		EXPECT_EQ('x', *p);
		EXPECT_EQ(0, exo_frame_unmap_one(fd, p));
	}
	n = exo_read_file(EXO_DEBUGFS "/check", buf, sizeof(buf) - 1);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	EXPECT_STREQ("ok\n", buf);
	exo_region__destroy(region, SPARE_WINDOWS * 1024 * page);
	EXPECT_EQ(1024, exo_caps_close(fd, caps, 1024));
	EXPECT_EQ(0, exo_close(fd));
}

/*
 * The same across envs, with faults, then a SIGKILL: the capabilities
 * mapped are imported from another env (a second fd), whose calls kill them
 * by freeing the frames (closing its roots), so each death takes the
 * mapping env's lock from another env's call while the mapper maps, writes
 * (a fault where a death zapped first) and unmaps.  Then a child process
 * maps, writes and unmaps in a loop until SIGKILL: every count comes back.
 */
TEST(map_races_foreign_free_and_kill)
{
	struct sigaction sa = { .sa_handler = mrace_on_sigbus };
	struct mrace r = { .page = sysconf(_SC_PAGESIZE), .touch = 1 };
	exo_cap_t roots[MRACE_PAGES], kids[MRACE_PAGES];
	struct exo_totals before, after;
	time_t t0 = time(NULL);
	struct exo_key key;
	int round, i, n, afd, status;
	pthread_t th;
	char buf[4096];
	pid_t pid;

	ASSERT_EQ(0, exo_totals(&before));
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	r.fd = exo_open();
	afd = exo_open();
	ASSERT_LE(0, r.fd);
	ASSERT_LE(0, afd);
	r.region = exo_region__create(r.fd, NULL, MRACE_PAGES * r.page,
				      PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, r.region);
	for (round = 0; round < MRACE_ROUNDS &&
	     (round < 2 || time(NULL) - t0 < 15); round++) {
		long ok = atomic_load(&r.ok);

		ASSERT_EQ(0, exo_frame_alloc(afd, MRACE_PAGES, roots, NULL));
		for (i = 0; i < MRACE_PAGES; i++) {
			ASSERT_EQ(0, exo_cap_export(afd, roots[i], EXO_RIGHT_READ |
						    EXO_RIGHT_WRITE | EXO_RIGHT_MAP, 0,
						    &key));
			ASSERT_EQ(0, exo_cap_import(r.fd, &key, &kids[i], NULL));
			atomic_store(&r.kids[i], kids[i]);
		}
		/* (not before: handle 0 would answer EBADF) */
		if (!round)
			ASSERT_EQ(0, pthread_create(&th, NULL, mrace_mapper, &r));
		for (n = 0; n < 10000 && atomic_load(&r.ok) < ok + 2; n++)
			sched_yield();
		ASSERT_EQ(MRACE_PAGES, exo_caps_close(afd, roots, MRACE_PAGES));
		n = exo_read_file(EXO_DEBUGFS "/check", buf, sizeof(buf));
		ASSERT_LT(0, n);
		buf[n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1] = '\0';
		ASSERT_STREQ("ok\n", buf) TH_LOG("round %d", round);
		ASSERT_EQ(MRACE_PAGES, exo_caps_close(r.fd, kids, MRACE_PAGES));
	}
	atomic_store(&r.stop, 1);
	ASSERT_EQ(0, pthread_join(th, NULL));
	TH_LOG("%d rounds, %ld maps, %ld whole, %ld SIGBUS", round,
	       atomic_load(&r.maps), atomic_load(&r.ok), atomic_load(&r.sigbus));
	EXPECT_EQ(0, atomic_load(&r.bad))
		TH_LOG("last unexpected errno %ld", atomic_load(&r.last_bad));
	EXPECT_LT(0, atomic_load(&r.ok));
	exo_region__destroy(r.region, MRACE_PAGES * r.page);
	EXPECT_EQ(0, exo_close(r.fd));
	EXPECT_EQ(0, exo_close(afd));

	/* A process killed in the middle of its maps and unmaps. */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		r.fd = exo_open();
		r.region = r.fd < 0 ? NULL :
			   exo_region__create(r.fd, NULL, MRACE_PAGES * r.page,
					      PROT_READ | PROT_WRITE);
		if (!r.region || exo_frame_alloc(r.fd, MRACE_PAGES, kids, NULL))
			_exit(1);
		for (i = 0; i < MRACE_PAGES; i++)
			atomic_store(&r.kids[i], kids[i]);
		atomic_store(&r.stop, 0);
		mrace_mapper(&r);
		_exit(2);
	}
	usleep(200000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status)) TH_LOG("child status %#x", status);
	EXPECT_EQ(0, exo_totals_wait(&before, &after, 2000))
		TH_LOG("after: %s", exo_totals_str(&after));
}

TEST_HARNESS_MAIN
