// SPDX-License-Identifier: GPL-2.0
/*
 * Opening /dev/exo: every open is a new env with its own id and an empty
 * table; GET_FEATURES describes the module; ENV_INFO follows allocations.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

FIXTURE(env) {
	int fd;
};

FIXTURE_SETUP(env)
{
	self->fd = exo_open();
	ASSERT_LE(0, self->fd) TH_LOG("exo_open: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(env)
{
	if (self->fd >= 0)
		exo_close(self->fd);
}

TEST(two_opens_are_two_envs)
{
	struct exo_env_info a, b;
	exo_cap_t cap;
	int fa, fb;

	fa = exo_open();
	ASSERT_LE(0, fa);
	fb = exo_open();
	ASSERT_LE(0, fb);
	ASSERT_EQ(0, exo_env_info(fa, &a));
	ASSERT_EQ(0, exo_env_info(fb, &b));
	EXPECT_NE(a.env_id, b.env_id);
	EXPECT_EQ(0, a.caps);
	EXPECT_EQ(0, b.caps);
	/* A cap in one env is invisible in the other. */
	ASSERT_EQ(0, exo_null_alloc(fa, &cap, NULL));
	ASSERT_EQ(0, exo_env_info(fb, &b));
	EXPECT_EQ(0, b.caps);
	EXPECT_EQ(0, b.used[EXO_KIND_NULL]);
	EXPECT_EQ(0, exo_close(fa));
	EXPECT_EQ(0, exo_close(fb));
}

TEST(env_ids_are_not_reused)
{
	struct exo_env_info info;
	__u64 ids[8];
	int i, j, fd, same = 0;

	for (i = 0; i < 8; i++) {
		fd = exo_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, exo_env_info(fd, &info));
		ids[i] = info.env_id;
		ASSERT_EQ(0, exo_close(fd));
	}
	for (i = 0; i < 8; i++)
		for (j = i + 1; j < 8; j++)
			same += ids[i] == ids[j];
	EXPECT_EQ(0, same);
}

TEST_F(env, get_features)
{
	struct exo_features f;
	long max_caps, max_keys;

	ASSERT_EQ(0, exo_get_features(self->fd, &f));
	EXPECT_EQ(sizeof(f), f.size);
	EXPECT_EQ(0, f.flags);
	EXPECT_EQ(EXO_API_VERSION, f.api_version);
	/* Every kind the header knows, 1 .. EXO_KIND_MAX - 1; bit 0 unused. */
	EXPECT_EQ(((1U << EXO_KIND_MAX) - 1) & ~1U, f.kinds);
	EXPECT_EQ(EXO_RIGHTS_ALL, f.rights);
	EXPECT_EQ(0, f.__reserved);
	EXPECT_EQ(EXO_TEST_IOCTLS, f.ioctls);
	ASSERT_EQ(0, exo_param_get("max_caps", &max_caps));
	ASSERT_EQ(0, exo_param_get("max_keys", &max_keys));
	if (!max_caps) {	/* the default: the quotas' sum plus headroom */
		struct exo_env_info info;
		long headroom;
		int k;

		ASSERT_EQ(0, exo_param_get("caps_headroom", &headroom));
		ASSERT_EQ(0, exo_env_info(self->fd, &info));
		max_caps = headroom;
		for (k = 1; k < EXO_KIND_MAX; k++)
			max_caps += info.quota[k];
		if (max_caps > 1L << 20)
			max_caps = 1L << 20;
	}
	EXPECT_EQ(max_caps, f.max_caps);
	EXPECT_EQ(max_keys, f.max_keys);
}

TEST_F(env, env_info_fresh)
{
	struct exo_env_info info;
	long quota;
	int k;

	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	EXPECT_EQ(sizeof(info), info.size);
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(0, info.caps);
	EXPECT_EQ(0, info.keys);
	ASSERT_EQ(0, exo_param_get("null_quota", &quota));
	EXPECT_EQ(quota, info.quota[EXO_KIND_NULL]);
	for (k = 0; k < EXO_INFO_KINDS; k++)
		EXPECT_EQ(0, info.used[k]) TH_LOG("used[%d]", k);
}

TEST_F(env, env_info_counts_alloc)
{
	struct exo_env_info before, info;
	exo_cap_t cap, child;

	ASSERT_EQ(0, exo_env_info(self->fd, &before));
	ASSERT_EQ(0, exo_null_alloc(self->fd, &cap, NULL));
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	EXPECT_EQ(before.env_id, info.env_id);
	EXPECT_EQ(1, info.used[EXO_KIND_NULL]);
	EXPECT_EQ(1, info.caps);

	/* A derived cap takes a slot but no quota: it names the same object. */
	ASSERT_EQ(0, exo_cap_derive(self->fd, cap, EXO_RIGHT_READ, &child));
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	EXPECT_EQ(1, info.used[EXO_KIND_NULL]);
	EXPECT_EQ(2, info.caps);

	/* Closing the root frees the object, and kills the child (tombstone). */
	ASSERT_EQ(0, exo_cap_close(self->fd, cap));
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	EXPECT_EQ(0, info.used[EXO_KIND_NULL]);
	EXPECT_EQ(1, info.caps);
	ASSERT_EQ(0, exo_cap_close(self->fd, child));
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	EXPECT_EQ(0, info.caps);
}

TEST(close_returns_everything)
{
	struct exo_totals before, after;
	exo_cap_t cap, child;
	struct exo_key key;
	int fd, i;

	ASSERT_EQ(0, exo_totals(&before));
	fd = exo_open();
	ASSERT_LE(0, fd);
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(0, exo_null_alloc(fd, &cap, NULL));
		ASSERT_EQ(0, exo_cap_derive(fd, cap, EXO_RIGHTS_ALL, &child));
		ASSERT_EQ(0, exo_cap_export(fd, child, EXO_RIGHT_READ, 0, &key));
	}
	ASSERT_EQ(0, exo_totals(&after));
	EXPECT_EQ(before.envs + 1, after.envs);
	EXPECT_EQ(before.caps + 20, after.caps);
	EXPECT_EQ(before.keys + 10, after.keys);
	EXPECT_EQ(before.objects_null + 10, after.objects_null);
	EXPECT_EQ(before.envs_opened + 1, after.envs_opened);
	EXPECT_EQ(before.caps_created + 20, after.caps_created);
	EXPECT_EQ(before.keys_created + 10, after.keys_created);

	ASSERT_EQ(0, exo_close(fd));
	EXPECT_EQ(0, exo_totals_wait(&before, &after, 1000))
		TH_LOG("after close: %s", exo_totals_str(&after));
}

TEST(closed_fd_is_ebadf)
{
	struct exo_env_info info;
	int fd;

	fd = exo_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, exo_close(fd));
	EXPECT_EQ(-EBADF, exo_env_info(fd, &info));
	EXPECT_EQ(EBADF, errno);
}

TEST_HARNESS_MAIN
