// SPDX-License-Identifier: GPL-2.0
/*
 * Per-env limits: the null object quota (EDQUOT), the capability table
 * (ENOSPC) and the key table (ENOSPC).  The module parameters null_quota
 * and max_caps apply to envs opened after they change; each test sets them
 * low, opens a fresh env, and puts the old values back in its teardown.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

FIXTURE(limits) {
	long null_quota;
	long max_caps;
	int fd;		/* opened before the parameters change */
};

FIXTURE_SETUP(limits)
{
	self->fd = -1;
	ASSERT_EQ(0, exo_param_get("null_quota", &self->null_quota));
	ASSERT_EQ(0, exo_param_get("max_caps", &self->max_caps));
	self->fd = exo_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(limits)
{
	if (self->null_quota)
		EXPECT_EQ(0, exo_param_set("null_quota", self->null_quota));
	if (self->max_caps)
		EXPECT_EQ(0, exo_param_set("max_caps", self->max_caps));
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

TEST_HARNESS_MAIN
