// SPDX-License-Identifier: GPL-2.0
/*
 * Revocation racing a mapping thread.
 *
 * Env B (this process) owns a frame F (root capability R) and shows it at
 * page 0 of its region.  Env A (a revoker process of its own) imports a
 * child C of R and exports C again with a reusable key: A is the grantor.
 * Then, ITERS times, generation g:
 *
 *   main thread   writes 2g into F, imports the key (capability X_g, a
 *                 child of C), publishes it, waits until the mapper has
 *                 bound X_g at least once, waits a random while, has A
 *                 revoke C's descendants (X_g dies), writes 2g+1 into F
 *                 and publishes "g revoked"; once the mapper has seen X_g
 *                 die it closes the tombstone and goes on with g+1.
 *   revoker (A)   revokes C's descendants each time main asks.
 *   mapper thread binds X_g at one of its pages, reads and writes through
 *                 the binding, unbinds, again and again, until binding
 *                 fails with EKEYREVOKED.  On odd g it keeps the binding
 *                 across the revocation (waits for "g revoked" with the
 *                 page bound), so the zap is hit head-on every other time.
 *
 * Invariants (any breach fails the test, the first one described):
 *  - a read through X_g's binding either faults (SIGBUS) or returns 2g:
 *    2g+1 or anything later means the access went through after the
 *    revoke returned (stale binding), anything earlier a wrong frame;
 *  - once the mapper has seen "g revoked" (i.e. A's revoke call returned),
 *    an access through the old binding faults and unbinding it finds
 *    nothing (ENOENT): the revocation took the page-table entry with it;
 *  - binding X_g fails only with EKEYREVOKED, and only after it was
 *    revoked; every revoke kills exactly one capability;
 *  - at the end, with every env closed, debugfs totals (capabilities,
 *    frames in use, free and mapped) are back at their starting values.
 *
 * The three parties hand over through futexes in shared memory rather
 * than exo_test.h's pipe-driven agent: under TCG an agent round trip made
 * a generation cost ~25 ms.  Even so a generation costs ~8 ms in the TCG
 * guest (measured when the mapper's binds and unbinds took exo_lock,
 * which A's revoke waited for), so the default is 6000 generations
 * (~50 s, with some 2.5 x 10^5 bind/touch/unbind cycles racing them)
 * rather than the 10^4 (84 s measured); EXO_RACE_ITERS=10000 in
 * the environment runs the full figure (scripts/vm passes EXO_* on).
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

#define ITERS		6000
#define NPAGES		4		/* the mapper's pages, after page 0 */
#define WAIT_MS		10000		/* for any one handover */

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

/* Shared by main, the mapper thread and the revoker process. */
struct race {
	/* handovers: generation numbers, each only grows */
	unsigned int gen;		/* main published X_gen */
	unsigned int bound;		/* mapper bound X_bound at least once */
	unsigned int dead;		/* mapper saw X_dead die */
	unsigned int revoked;		/* revoke of X_revoked returned */
	unsigned int req;		/* main asks A to revoke (generation) */
	unsigned int done;		/* A's revoke for generation done returned */
	unsigned int ready;		/* A holds C and has exported it */
	unsigned int stop;
	/* A's answers */
	struct exo_key key;		/* grants children of C (reusable) */
	int revoke_ret;
	__u64 revoke_count;
	/* B's state */
	int fd;
	long page;
	char *region;			/* page 0: main's view of F */
	exo_cap_t cap;			/* X_gen */
	/* what the mapper did */
	unsigned long binds, reads, faults, faults_after_return, held;
	int violations;
	char msg[256];
};

static struct race *rc;

static void wake(unsigned int *w, unsigned int v)
{
	STORE(w, v);
	syscall(SYS_futex, w, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/*
 * Sleep until *@w >= @want (in slices, to notice stop).  Returns 0,
 * -ECANCELED once stop is set, -ETIMEDOUT after WAIT_MS.
 */
static int wait_for(unsigned int *w, unsigned int want)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int slices = WAIT_MS / 10;
	unsigned int v;

	while ((v = LOAD(w)) < want) {
		if (LOAD(&rc->stop))
			return -ECANCELED;
		if (slices-- <= 0)
			return -ETIMEDOUT;
		syscall(SYS_futex, w, FUTEX_WAIT, v, &ts, NULL, 0);
	}
	return 0;
}

static sigjmp_buf mapper_jb;
static volatile sig_atomic_t mapper_armed;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (mapper_armed)
		siglongjmp(mapper_jb, 1);
	signal(sig, SIG_DFL);	/* not ours: die of it */
	raise(sig);
}

static void violation(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void violation(const char *fmt, ...)
{
	va_list ap;

	if (__sync_fetch_and_add(&rc->violations, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(rc->msg, sizeof(rc->msg), fmt, ap);
	va_end(ap);
}

/*
 * Read word 0 of @p into @v and write it back to word 1.
 * Returns 0, or 1 if the access faulted (SIGBUS).
 */
static __attribute__((noinline)) int probe(volatile __u64 *p, __u64 *v)
{
	if (sigsetjmp(mapper_jb, 1)) {
		mapper_armed = 0;
		return 1;
	}
	mapper_armed = 1;
	*v = p[0];
	p[1] = *v;
	mapper_armed = 0;
	return 0;
}

static void *mapper(void *arg)
{
	unsigned int g, seen = 0;
	unsigned long cycle = 0;
	(void)arg;

	while (!LOAD(&rc->stop)) {
		unsigned int rv;
		char *page;
		__u64 v;
		int ret, faulted;

		if (wait_for(&rc->gen, seen + 1))
			continue;
		g = LOAD(&rc->gen);
		page = rc->region + (1 + cycle++ % NPAGES) * rc->page;
		ret = exo_frame_map_one(rc->fd, page, rc->cap,
					EXO_PROT_READ | EXO_PROT_WRITE);
		if (ret == -EKEYREVOKED) {
			if (LOAD(&rc->req) < g)
				violation("gen %u: EKEYREVOKED before anyone revoked it", g);
			seen = g;
			wake(&rc->dead, g);
			continue;
		}
		if (ret) {
			violation("gen %u: bind failed with %d (%s)", g, ret,
				  strerror(-ret));
			seen = g;
			wake(&rc->dead, g);
			continue;
		}
		rc->binds++;
		if (LOAD(&rc->bound) < g)
			wake(&rc->bound, g);
		if (g & 1) {
			/* Hold the binding across the revocation. */
			if (wait_for(&rc->revoked, g))
				continue;
			rc->held++;
		}

		rv = LOAD(&rc->revoked);
		faulted = probe((volatile __u64 *)page, &v);
		if (faulted) {
			rc->faults++;
			rc->faults_after_return += rv >= g;
		} else if (rv >= g) {
			violation("gen %u: read through the binding worked after the revoke returned (read %llu)",
				  g, (unsigned long long)v);
		} else if (v != 2ULL * g) {
			violation("gen %u: read %llu through the binding, expected %llu (%s)",
				  g, (unsigned long long)v, 2ULL * g,
				  v == 2ULL * g + 1 ?
				  "written after the revoke: stale binding" :
				  "not this generation's frame contents");
		} else {
			rc->reads++;
		}

		rv = LOAD(&rc->revoked);
		ret = exo_frame_unmap_one(rc->fd, page);
		if (ret == 0 && rv >= g)
			violation("gen %u: binding still there to unbind after the revoke returned",
				  g);
		else if (ret && ret != -ENOENT)
			violation("gen %u: unbind failed with %d (%s)", g, ret,
				  strerror(-ret));
	}
	return NULL;
}

/* Env A: import C from @key, grant it on, revoke its children on request. */
static void __attribute__((noreturn)) revoker(const struct exo_key *key)
{
	unsigned int g;
	exo_cap_t c;
	int fd, ret;

	fd = exo_open();
	if (fd < 0)
		_exit(10);
	if (exo_cap_import(fd, key, &c, NULL) ||
	    exo_cap_export(fd, c, EXO_RIGHT_READ | EXO_RIGHT_WRITE |
			   EXO_RIGHT_MAP, EXO_KEY_REUSABLE, &rc->key))
		_exit(11);
	wake(&rc->ready, 1);
	for (g = 1;;) {
		ret = wait_for(&rc->req, g);
		if (ret == -ECANCELED)
			break;
		if (ret)
			continue;	/* main is slow: keep waiting */
		rc->revoke_ret = exo_cap_revoke(fd, c, 0, &rc->revoke_count);
		wake(&rc->done, g++);
	}
	exo_close(fd);
	_exit(0);
}

/* A named counter of debugfs totals (frames_*), or -1. */
static long long total(const char *name)
{
	char buf[4096], *p;
	size_t len = strlen(name);
	int ret;

	ret = exo_read_file(EXO_DEBUGFS "/totals", buf, sizeof(buf));
	if (ret < 0)
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, len) && p[len] == ' ')
			return atoll(p + len + 1);
	return -1;
}

FIXTURE(race) {
	pid_t revoker;
};

FIXTURE_SETUP(race)
{
	self->revoker = -1;
	rc = mmap(NULL, sizeof(*rc), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rc);
	memset(rc, 0, sizeof(*rc));
	rc->fd = -1;
}

FIXTURE_TEARDOWN(race)
{
	if (self->revoker > 0) {
		wake(&rc->stop, 1);
		kill(self->revoker, SIGKILL);
		waitpid(self->revoker, NULL, 0);
	}
	munmap(rc, sizeof(*rc));
}

/* Thousands of generations: past the harness's default 30 s under TCG. */
TEST_F_TIMEOUT(race, revoke_while_mapping, 180)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO };
	long long free0, mapped0, free1 = -1, mapped1 = -1;
	unsigned int seed = 12345, iters = ITERS, g;
	struct exo_totals before, after;
	volatile __u64 *word;
	exo_cap_t root, imported;
	struct exo_key key;
	const char *env;
	int i, status;
	pthread_t th;
	__u64 t0;

	env = getenv("EXO_RACE_ITERS");
	if (env && atol(env) > 0)
		iters = atol(env);
	ASSERT_EQ(0, exo_totals(&before));
	free0 = total("frames_free");
	mapped0 = total("frames_mapped");
	ASSERT_LE(0, free0);
	ASSERT_LE(0, mapped0);
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));

	/* B: the frame, and a key for A to import it by. */
	rc->page = sysconf(_SC_PAGESIZE);
	rc->fd = exo_open();
	ASSERT_LE(0, rc->fd);
	ASSERT_EQ(0, exo_frame_alloc(rc->fd, 1, &root, NULL));
	ASSERT_EQ(0, exo_cap_export(rc->fd, root, EXO_RIGHTS_ALL, 0, &key));

	fflush(stdout);
	fflush(stderr);
	self->revoker = fork();
	ASSERT_LE(0, self->revoker);
	if (self->revoker == 0) {
		close(rc->fd);		/* A is an env of its own */
		revoker(&key);
	}
	ASSERT_EQ(0, wait_for(&rc->ready, 1)) TH_LOG("the revoker did not start");

	rc->region = exo_region__create(rc->fd, NULL, (1 + NPAGES) * rc->page,
					PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, rc->region);
	ASSERT_EQ(0, exo_frame_map_one(rc->fd, rc->region, root,
				       EXO_PROT_READ | EXO_PROT_WRITE));
	word = (volatile __u64 *)rc->region;

	ASSERT_EQ(0, pthread_create(&th, NULL, mapper, NULL));
	t0 = exo_now_ns();
	for (g = 1; g <= iters && !LOAD(&rc->violations); g++) {
		int spin = rand_r(&seed) % 4096;

		word[0] = 2ULL * g;
		ASSERT_EQ(0, exo_cap_import(rc->fd, &rc->key, &imported, NULL))
			TH_LOG("gen %u", g);
		rc->cap = imported;
		wake(&rc->gen, g);
		ASSERT_EQ(0, wait_for(&rc->bound, g))
			TH_LOG("gen %u: the mapper never bound it (%s)", g, rc->msg);
		/* Land the revoke anywhere in the mapper's bind/touch/unbind. */
		for (i = 0; i < spin; i++)
			__asm__ __volatile__("" ::: "memory");
		wake(&rc->req, g);
		ASSERT_EQ(0, wait_for(&rc->done, g)) TH_LOG("gen %u: no revoke", g);
		ASSERT_EQ(0, rc->revoke_ret) TH_LOG("gen %u", g);
		ASSERT_EQ(1, rc->revoke_count)
			TH_LOG("gen %u: revoke killed %llu caps", g,
			       (unsigned long long)rc->revoke_count);
		word[0] = 2ULL * g + 1;
		wake(&rc->revoked, g);
		ASSERT_EQ(0, wait_for(&rc->dead, g))
			TH_LOG("gen %u: the mapper never saw it die (%s)", g, rc->msg);
		ASSERT_EQ(0, exo_cap_close(rc->fd, imported)) TH_LOG("gen %u", g);
	}
	wake(&rc->stop, 1);
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(self->revoker, waitpid(self->revoker, &status, 0));
	self->revoker = -1;
	EXPECT_EQ(0, status) TH_LOG("revoker status %#x", status);

	TH_LOG("%u generations in %.1f s: %lu binds, %lu good reads, %lu SIGBUS (%lu after the revoke returned), %lu bindings held across a revoke",
	       g - 1, (exo_now_ns() - t0) / 1e9, rc->binds, rc->reads, rc->faults,
	       rc->faults_after_return, rc->held);
	EXPECT_EQ(0, rc->violations) TH_LOG("%d violations; first: %s",
					    rc->violations, rc->msg);
	EXPECT_EQ(iters, g - 1);
	/* Every held binding was hit by its revoke head-on, and faulted. */
	EXPECT_LE(rc->held, rc->faults_after_return);
	EXPECT_LT(0, rc->reads);

	/* The frame itself is untouched by all that: R still shows it. */
	EXPECT_EQ(2ULL * iters + 1, word[0]);
	ASSERT_EQ(0, exo_region__destroy(rc->region, (1 + NPAGES) * rc->page));
	ASSERT_EQ(0, exo_close(rc->fd));

	EXPECT_EQ(0, exo_totals_wait(&before, &after, 2000))
		TH_LOG("before: %s", exo_totals_str(&before));
	for (i = 0; i < 200; i++) {
		free1 = total("frames_free");
		mapped1 = total("frames_mapped");
		if (free1 == free0 && mapped1 == mapped0)
			break;
		usleep(10000);
	}
	EXPECT_EQ(free0, free1);
	EXPECT_EQ(mapped0, mapped1);
	EXPECT_EQ(before.caps_created + 2 + iters, after.caps_created)
		TH_LOG("R, C, and X_g for each generation");
}

TEST_HARNESS_MAIN
