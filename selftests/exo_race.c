// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency: several processes share capability trees and race.
 *
 *  - owners allocate trees, publish reusable keys for them, then revoke or
 *    close them under everyone's feet;
 *  - importers import whatever key they find, derive, re-export, revoke
 *    their own subtrees; a prober shares each importer's env (same fd,
 *    inherited over fork) and pokes at random handles of it;
 *  - a churner opens envs, imports, and closes the env while owners revoke.
 *
 * Every call may only fail in the ways the race allows (a key gone, a cap
 * revoked meanwhile, a random handle that is empty or stale); anything
 * else is reported.  When all have exited, debugfs totals must be back
 * where they started, and the kernel log clean (run.sh checks that).
 */
#include <errno.h>
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

#define NKEYS		8
#define NOWNERS		2
#define NIMPORTERS	2
#define RUN_SECONDS	4

struct shared {
	volatile int stop;
	struct exo_key keys[NKEYS];
	int unexpected;		/* first one is described in @msg */
	char msg[256];
	unsigned long ops[16];	/* per worker */
	unsigned long imports;	/* that succeeded */
	unsigned long revoked;	/* calls that met a cap revoked meanwhile */
};

static struct shared *sh;

/* The errnos a racing call may legitimately return: ALLOW(ENOKEY, ...). */
#define ALLOW(...)	((const int[]){ __VA_ARGS__, 0 })
#define NONE		ALLOW(0)

/* Record @ret of @what unless it is 0 or -(one of @allowed). */
static void check(int worker, const char *what, int ret, const int *allowed)
{
	sh->ops[worker]++;
	if (ret == 0)
		return;
	if (ret == -EKEYREVOKED)
		__sync_fetch_and_add(&sh->revoked, 1);
	for (; *allowed; allowed++)
		if (ret == -*allowed)
			return;
	if (__sync_fetch_and_add(&sh->unexpected, 1) == 0)
		snprintf(sh->msg, sizeof(sh->msg), "worker %d: %s returned %d (%s)",
			 worker, what, ret, ret < 0 ? strerror(-ret) : "?");
}

static unsigned int rnd(unsigned int *seed, unsigned int n)
{
	return rand_r(seed) % n;
}

static void owner(int w)
{
	unsigned int seed = w * 7919;
	exo_cap_t root, child, gc[4];
	struct exo_key key;
	__u64 count;
	int fd, i, ret;

	fd = exo_open();
	if (fd < 0) {
		check(w, "open", fd, NONE);
		return;
	}
	while (!sh->stop) {
		ret = exo_null_alloc(fd, &root, NULL);
		check(w, "owner alloc", ret, NONE);
		if (ret)
			break;
		check(w, "owner derive", exo_cap_derive(fd, root, EXO_RIGHTS_ALL, &child), NONE);
		for (i = 0; i < 4; i++)
			check(w, "owner derive gc",
			      exo_cap_derive(fd, child, EXO_RIGHT_READ | EXO_RIGHT_GRANT, &gc[i]), NONE);
		check(w, "owner export",
		      exo_cap_export(fd, child, EXO_RIGHTS_ALL, EXO_KEY_REUSABLE, &key), NONE);
		sh->keys[rnd(&seed, NKEYS)] = key;
		usleep(rnd(&seed, 20000));
		switch (rnd(&seed, 3)) {
		case 0:
			check(w, "owner revoke", exo_cap_revoke(fd, root, 0, &count), NONE);
			break;
		case 1:
			check(w, "owner revoke self",
			      exo_cap_revoke(fd, child, EXO_REVOKE_SELF, &count), NONE);
			break;
		default:
			break;
		}
		/* Children first or root first: both must work. */
		if (rnd(&seed, 2)) {
			check(w, "owner close root", exo_cap_close(fd, root), NONE);
			check(w, "owner close child", exo_cap_close(fd, child), NONE);
		} else {
			check(w, "owner close child", exo_cap_close(fd, child), NONE);
			check(w, "owner close root", exo_cap_close(fd, root), NONE);
		}
		for (i = 0; i < 4; i++)
			check(w, "owner close gc", exo_cap_close(fd, gc[i]), NONE);
	}
	exo_close(fd);
}

/* Pokes at random handles of an env it shares with an importer. */
static void prober(int w, int fd)
{
	unsigned int seed = w * 104729;
	struct exo_cap_info ci;
	exo_cap_t h, child;
	int ret;

	while (!sh->stop) {
		h = (exo_cap_t)(1 + rnd(&seed, 4)) << 32 | rnd(&seed, 16);
		check(w, "probe info", exo_cap_info(fd, h, &ci),
		      ALLOW(EBADF, ESTALE));
		ret = exo_cap_derive(fd, h, EXO_RIGHT_READ, &child);
		check(w, "probe derive", ret,
		      ALLOW(EBADF, ESTALE, EKEYREVOKED, EACCES, EPERM));
		if (!ret)
			check(w, "probe close", exo_cap_close(fd, child), NONE);
	}
}

static void importer(int w)
{
	unsigned int seed = w * 31337;
	struct exo_cap_info ci;
	struct exo_key key, mine;
	exo_cap_t cap, d;
	pid_t probe;
	__u64 count;
	int fd, ret;

	fd = exo_open();
	if (fd < 0) {
		check(w, "open", fd, NONE);
		return;
	}
	probe = fork();
	if (probe == 0) {
		prober(w + 8, fd);
		_exit(0);
	}
	while (!sh->stop) {
		key = sh->keys[rnd(&seed, NKEYS)];
		ret = exo_cap_import(fd, &key, &cap, NULL);
		check(w, "import", ret, ALLOW(ENOKEY));
		if (ret)
			continue;
		__sync_fetch_and_add(&sh->imports, 1);
		d = 0;
		ret = exo_cap_derive(fd, cap, EXO_RIGHT_READ | EXO_RIGHT_GRANT, &d);
		check(w, "derive", ret, ALLOW(EKEYREVOKED));
		ret = exo_cap_export(fd, cap, EXO_RIGHT_READ | EXO_RIGHT_DERIVE |
				     EXO_RIGHT_GRANT, 0, &mine);
		check(w, "export", ret, ALLOW(EKEYREVOKED));
		if (!ret)
			sh->keys[rnd(&seed, NKEYS)] = mine;
		check(w, "info", exo_cap_info(fd, cap, &ci), NONE);
		if (rnd(&seed, 2))
			check(w, "revoke", exo_cap_revoke(fd, cap, 0, &count),
			      ALLOW(EKEYREVOKED, EACCES));
		check(w, "close", exo_cap_close(fd, cap), NONE);
		/* d, if made, died with cap: a tombstone to close. */
		if (d)
			check(w, "close derived", exo_cap_close(fd, d), NONE);
	}
	kill(probe, SIGTERM);
	waitpid(probe, NULL, 0);
	exo_close(fd);
}

static void churner(int w)
{
	unsigned int seed = w * 65537;
	struct exo_key key;
	exo_cap_t cap, d;
	int fd, ret;

	while (!sh->stop) {
		fd = exo_open();
		check(w, "churn open", fd < 0 ? fd : 0, NONE);
		if (fd < 0)
			break;
		key = sh->keys[rnd(&seed, NKEYS)];
		ret = exo_cap_import(fd, &key, &cap, NULL);
		check(w, "churn import", ret, ALLOW(ENOKEY));
		if (!ret)
			check(w, "churn derive",
			      exo_cap_derive(fd, cap, EXO_RIGHT_READ, &d),
			      ALLOW(EKEYREVOKED));
		/* Close the env with everything in it. */
		exo_close(fd);
	}
}

TEST(everything_at_once)
{
	struct exo_totals before, after;
	pid_t pids[NOWNERS + NIMPORTERS + 1];
	int i, n = 0, status;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset(sh, 0, sizeof(*sh));
	ASSERT_EQ(0, exo_totals(&before));

	for (i = 0; i < NOWNERS + NIMPORTERS + 1; i++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			if (i < NOWNERS)
				owner(i);
			else if (i < NOWNERS + NIMPORTERS)
				importer(i);
			else
				churner(i);
			_exit(0);
		}
		pids[n++] = pid;
	}
	sleep(RUN_SECONDS);
	sh->stop = 1;
	for (i = 0; i < n; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("worker %d status %#x", i, status);
	}

	EXPECT_EQ(0, sh->unexpected) TH_LOG("%s", sh->msg);
	for (i = 0; i < n; i++)
		EXPECT_LT(0, sh->ops[i]) TH_LOG("worker %d did nothing", i);
	for (i = NOWNERS; i < NOWNERS + NIMPORTERS; i++)
		EXPECT_LT(0, sh->ops[i + 8]) TH_LOG("prober %d did nothing", i + 8);
	EXPECT_LT(0, sh->imports);
	TH_LOG("%lu imports, %lu calls met a cap revoked under them",
	       sh->imports, sh->revoked);
	TH_LOG("ops: owners %lu %lu, importers %lu %lu, probers %lu %lu, churner %lu",
	       sh->ops[0], sh->ops[1], sh->ops[2], sh->ops[3], sh->ops[10],
	       sh->ops[11], sh->ops[4]);

	EXPECT_EQ(0, exo_totals_wait(&before, &after, 2000))
		TH_LOG("before: %s", exo_totals_str(&before));
	EXPECT_EQ(before.envs, after.envs);
	EXPECT_EQ(before.caps, after.caps);
	EXPECT_EQ(before.keys, after.keys);
	EXPECT_EQ(before.objects_null, after.objects_null);
	munmap(sh, sizeof(*sh));
}

TEST_HARNESS_MAIN
