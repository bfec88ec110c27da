// SPDX-License-Identifier: GPL-2.0
/*
 * Handles: generation << 32 | slot.  A closed slot's old handle is ESTALE
 * forever, even after the slot is reused (with a new generation); a handle
 * whose slot is out of range or empty, or handle 0, is EBADF.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

#define HANDLE(gen, slot)	((exo_cap_t)(gen) << 32 | (__u32)(slot))

FIXTURE(env) {
	int fd;
	long max_caps;
};

FIXTURE_SETUP(env)
{
	self->max_caps = -1;	/* max_caps as it was, once a test changes it */
	self->fd = exo_open();
	ASSERT_LE(0, self->fd) TH_LOG("exo_open: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(env)
{
	if (self->max_caps >= 0)
		EXPECT_EQ(0, exo_param_set("max_caps", self->max_caps));
	if (self->fd >= 0)
		exo_close(self->fd);
}

TEST_F(env, closed_handle_estale)
{
	struct exo_cap_info ci;
	struct exo_key key;
	exo_cap_t cap, out;

	ASSERT_EQ(0, exo_null_alloc(self->fd, &cap, NULL));
	ASSERT_EQ(0, exo_cap_close(self->fd, cap));
	errno = 0;
	EXPECT_EQ(-ESTALE, exo_cap_info(self->fd, cap, &ci));
	EXPECT_EQ(ESTALE, errno);
	EXPECT_EQ(-ESTALE, exo_cap_derive(self->fd, cap, EXO_RIGHT_READ, &out));
	EXPECT_EQ(-ESTALE, exo_cap_export(self->fd, cap, EXO_RIGHT_READ, 0, &key));
	EXPECT_EQ(-ESTALE, exo_cap_revoke(self->fd, cap, 0, NULL));
	EXPECT_EQ(-ESTALE, exo_cap_close(self->fd, cap));
}

TEST_F(env, handle_zero_ebadf)
{
	struct exo_cap_info ci;
	exo_cap_t out;

	errno = 0;
	EXPECT_EQ(-EBADF, exo_cap_info(self->fd, 0, &ci));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-EBADF, exo_cap_derive(self->fd, 0, 0, &out));
	EXPECT_EQ(-EBADF, exo_cap_close(self->fd, 0));
	EXPECT_EQ(-EBADF, exo_cap_revoke(self->fd, 0, 0, NULL));
}

TEST_F(env, slot_out_of_range_ebadf)
{
	struct exo_features f;
	struct exo_cap_info ci;
	exo_cap_t cap, out;

	ASSERT_EQ(0, exo_get_features(self->fd, &f));
	ASSERT_EQ(0, exo_null_alloc(self->fd, &cap, NULL));
	/* The live cap's generation with a slot past the table. */
	errno = 0;
	EXPECT_EQ(-EBADF, exo_cap_info(self->fd, HANDLE(EXO_CAP_GEN(cap), f.max_caps), &ci));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-EBADF, exo_cap_info(self->fd, HANDLE(1, f.max_caps), &ci));
	EXPECT_EQ(-EBADF, exo_cap_info(self->fd, HANDLE(1, 0xffffffffU), &ci));
	EXPECT_EQ(-EBADF, exo_cap_derive(self->fd, HANDLE(1, 0x80000000U), 0, &out));
	EXPECT_EQ(-EBADF, exo_cap_close(self->fd, HANDLE(0xffffffffU, 0xffffffffU)));
}

TEST_F(env, empty_slot_ebadf)
{
	struct exo_features f;
	struct exo_cap_info ci;

	/* A fresh env: the last slot has never held anything. */
	ASSERT_EQ(0, exo_get_features(self->fd, &f));
	EXPECT_EQ(-EBADF, exo_cap_info(self->fd, HANDLE(1, f.max_caps - 1), &ci));
	EXPECT_EQ(-EBADF, exo_cap_close(self->fd, HANDLE(1, f.max_caps - 1)));
}

TEST_F(env, handle_of_other_env)
{
	struct exo_cap_info ci;
	exo_cap_t cap;
	int fd2;

	/* A's handle means nothing in a fresh env B: its table is empty. */
	ASSERT_EQ(0, exo_null_alloc(self->fd, &cap, NULL));
	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-EBADF, exo_cap_info(fd2, cap, &ci));
	EXPECT_EQ(-EBADF, exo_cap_close(fd2, cap));
	ASSERT_EQ(0, exo_cap_info(self->fd, cap, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
	EXPECT_EQ(0, exo_close(fd2));
}

TEST_F(env, old_handle_stays_stale_after_reuse)
{
	struct exo_cap_info ci;
	exo_cap_t old, new;
	__u64 old_obj, new_obj;

	ASSERT_EQ(0, exo_null_alloc(self->fd, &old, &old_obj));
	ASSERT_EQ(0, exo_cap_close(self->fd, old));
	ASSERT_EQ(0, exo_null_alloc(self->fd, &new, &new_obj));
	EXPECT_NE(old, new);
	EXPECT_EQ(-ESTALE, exo_cap_info(self->fd, old, &ci));
	ASSERT_EQ(0, exo_cap_info(self->fd, new, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
	EXPECT_EQ(new_obj, ci.obj_id);
}

TEST_F(env, reused_slot_gets_new_generation)
{
	struct exo_cap_info ci;
	exo_cap_t cap[8], again;
	int fd, i, round;

	/* A table of 8: once full, a freed slot is the only place to go. */
	ASSERT_EQ(0, exo_param_get("max_caps", &self->max_caps));
	ASSERT_EQ(0, exo_param_set("max_caps", 8));
	fd = exo_open();
	ASSERT_LE(0, fd);
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, exo_null_alloc(fd, &cap[i], NULL));

	for (round = 0; round < 3; round++) {
		ASSERT_EQ(0, exo_cap_close(fd, cap[3]));
		ASSERT_EQ(0, exo_null_alloc(fd, &again, NULL));
		EXPECT_EQ(EXO_CAP_SLOT(cap[3]), EXO_CAP_SLOT(again));
		EXPECT_NE(EXO_CAP_GEN(cap[3]), EXO_CAP_GEN(again));
		EXPECT_NE(0, EXO_CAP_GEN(again));
		EXPECT_EQ(-ESTALE, exo_cap_info(fd, cap[3], &ci));
		ASSERT_EQ(0, exo_cap_info(fd, again, &ci));
		EXPECT_EQ(EXO_CAP_LIVE, ci.state);
		cap[3] = again;
	}
	EXPECT_EQ(0, exo_close(fd));
}

TEST_F(env, key_does_not_follow_a_reused_slot)
{
	struct exo_cap_info ci;
	struct exo_key key;
	exo_cap_t x, z, y, got;
	int fd;

	/* Two slots: once both are used, a freed one is the only place to go. */
	ASSERT_EQ(0, exo_param_get("max_caps", &self->max_caps));
	ASSERT_EQ(0, exo_param_set("max_caps", 2));
	fd = exo_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, exo_null_alloc(fd, &x, NULL));
	ASSERT_EQ(0, exo_null_alloc(fd, &z, NULL));
	ASSERT_EQ(0, exo_cap_export(fd, x, EXO_RIGHT_READ, EXO_KEY_REUSABLE, &key));
	ASSERT_EQ(0, exo_cap_close(fd, x));
	ASSERT_EQ(0, exo_null_alloc(fd, &y, NULL));
	ASSERT_EQ(EXO_CAP_SLOT(x), EXO_CAP_SLOT(y));
	/* The key named x, not its slot: it must not hand out y. */
	EXPECT_EQ(-ENOKEY, exo_cap_import(self->fd, &key, &got, NULL));
	ASSERT_EQ(0, exo_cap_info(fd, y, &ci));
	EXPECT_EQ(0, ci.children);
	EXPECT_EQ(0, exo_close(fd));
}

TEST_HARNESS_MAIN
