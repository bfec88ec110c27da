// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs/exo/check walks every capability tree, key, binding and the
 * frame pool under exo's lock; it must say "ok" in every state the ABI can
 * reach: deep derivations across envs, keys outstanding, tombstones,
 * bindings shared through derived capabilities, a revocation pending, and
 * frame allocations in progress (their frames are zeroed outside the lock,
 * off the free stack and not yet anyone's), by count and by PFN.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

static void expect_ok(struct __test_metadata *_metadata)
{
	char buf[4096];
	int n = exo_read_file(EXO_DEBUGFS "/check", buf, sizeof(buf));

	ASSERT_LT(0, n) TH_LOG("cannot read %s/check", EXO_DEBUGFS);
	buf[n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1] = '\0';
	EXPECT_STREQ("ok\n", buf);
}

TEST(check_holds_through_a_busy_life)
{
	int a = exo_open(), b = exo_open();
	exo_cap_t root, kid, imp, deep, frames[8], shared, tomb;
	struct exo_map_entry e[8];
	struct exo_key key, key2;
	__u64 pfns[8], n;
	__u32 rights;
	char *ra, *rb;
	int i;

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	expect_ok(_metadata);

	/* A null tree across two envs, a reusable key outstanding. */
	ASSERT_EQ(0, exo_null_alloc(a, &root, NULL));
	ASSERT_EQ(0, exo_cap_derive(a, root, EXO_RIGHTS_ALL, &kid));
	ASSERT_EQ(0, exo_cap_export(a, kid, EXO_RIGHT_READ | EXO_RIGHT_DERIVE |
				    EXO_RIGHT_GRANT, EXO_KEY_REUSABLE, &key));
	ASSERT_EQ(0, exo_cap_import(b, &key, &imp, &rights));
	ASSERT_EQ(0, exo_cap_derive(b, imp, EXO_RIGHT_READ, &deep));
	ASSERT_EQ(0, exo_cap_derive(a, root, EXO_RIGHT_READ | EXO_RIGHT_REVOKE,
				    &tomb));
	ASSERT_EQ(0, exo_cap_revoke(a, tomb, EXO_REVOKE_SELF, &n));
	expect_ok(_metadata);

	/* Frames bound in both envs through a derived, granted capability. */
	ASSERT_EQ(0, exo_frame_alloc(a, 8, frames, pfns));
	ra = exo_region__create(a, NULL, 8 * 4096, PROT_READ | PROT_WRITE);
	rb = exo_region__create(b, NULL, 4096, PROT_READ);
	ASSERT_NE(NULL, ra);
	ASSERT_NE(NULL, rb);
	for (i = 0; i < 8; i++)
		e[i] = (struct exo_map_entry){
			.addr = (unsigned long)(ra + i * 4096),
			.cap = frames[i],
			.prot = EXO_PROT_READ | EXO_PROT_WRITE,
		};
	ASSERT_EQ(8, exo_frame_map(a, e, 8));
	ASSERT_EQ(0, exo_cap_export(a, frames[0], EXO_RIGHT_READ |
				    EXO_RIGHT_MAP, 0, &key2));
	ASSERT_EQ(0, exo_cap_import(b, &key2, &shared, &rights));
	ASSERT_EQ(0, exo_frame_map_one(b, rb, shared, EXO_PROT_READ));
	expect_ok(_metadata);

	/* Revoke the shared frame's descendants, unbind half, free some. */
	ASSERT_EQ(0, exo_cap_revoke(a, frames[0], 0, &n));
	EXPECT_EQ(1, n);
	ASSERT_EQ(1, exo_frame_unmap(a, (const __u64 *)&e[1].addr, 1));
	ASSERT_EQ(2, exo_caps_close(a, &frames[6], 2));
	expect_ok(_metadata);

	/* Close the middle of the null tree, then everything. */
	ASSERT_EQ(0, exo_cap_close(b, imp));
	expect_ok(_metadata);
	exo_region__destroy(rb, 4096);
	exo_close(b);
	expect_ok(_metadata);
	exo_region__destroy(ra, 8 * 4096);
	exo_close(a);
	expect_ok(_metadata);
}

#define BIG	512

struct churn {
	atomic_int stop;
	atomic_long rounds;
	int err;
};

/* Allocate and free big batches (by count, then the same PFNs by name). */
static void *churn(void *arg)
{
	static exo_cap_t caps[BIG];
	static __u64 pfns[BIG];
	struct churn *c = arg;
	int fd = exo_open();

	if (fd < 0) {
		c->err = fd;
		return NULL;
	}
	while (!atomic_load(&c->stop) && !c->err) {
		if (exo_frame_alloc(fd, BIG, caps, pfns) ||
		    exo_caps_close(fd, caps, BIG) != BIG ||
		    exo_frame_alloc_at(fd, BIG, pfns, caps) ||
		    exo_caps_close(fd, caps, BIG) != BIG)
			c->err = -errno ?: -EIO;
		atomic_fetch_add(&c->rounds, 1);
	}
	exo_close(fd);
	return NULL;
}

TEST(check_holds_while_frames_are_allocated)
{
	struct churn c = { 0 };
	time_t t0 = time(NULL);
	pthread_t th;
	char buf[4096];
	int i, n;

	/* 200 checks beside 3 rounds, or 10 s (a debug kernel is slow). */
	ASSERT_EQ(0, pthread_create(&th, NULL, churn, &c));
	for (i = 0; i < 200 || atomic_load(&c.rounds) < 3; i++) {
		n = exo_read_file(EXO_DEBUGFS "/check", buf, sizeof(buf));
		ASSERT_LT(0, n);
		buf[n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1] = '\0';
		if (strcmp(buf, "ok\n") || time(NULL) - t0 >= 10)
			break;
	}
	atomic_store(&c.stop, 1);
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_STREQ("ok\n", buf);
	EXPECT_EQ(0, c.err);
	EXPECT_LT(0, atomic_load(&c.rounds));
	TH_LOG("%d checks beside %ld rounds of %d frames", i,
	       atomic_load(&c.rounds), BIG);
	expect_ok(_metadata);
}

TEST_HARNESS_MAIN
