// SPDX-License-Identifier: GPL-2.0
/*
 * CAP_DERIVE: a child holds a subset of its parent's rights (never more:
 * EPERM), needs DERIVE on the parent (EACCES), sits one level deeper, and
 * is counted in its parent's live children.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

#define R	EXO_RIGHT_READ
#define W	EXO_RIGHT_WRITE
#define D	EXO_RIGHT_DERIVE
#define G	EXO_RIGHT_GRANT
#define V	EXO_RIGHT_REVOKE

FIXTURE(tree) {
	int fd;
	exo_cap_t root;
	__u64 obj;
};

FIXTURE_SETUP(tree)
{
	self->fd = exo_open();
	ASSERT_LE(0, self->fd) TH_LOG("exo_open: %s", strerror(-self->fd));
	ASSERT_EQ(0, exo_null_alloc(self->fd, &self->root, &self->obj));
}

FIXTURE_TEARDOWN(tree)
{
	if (self->fd >= 0)
		exo_close(self->fd);
}

TEST_F(tree, subset)
{
	struct exo_cap_info ci;
	exo_cap_t child = 0;

	ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, R | W, &child));
	EXPECT_NE(0, child);
	EXPECT_NE(self->root, child);
	ASSERT_EQ(0, exo_cap_info(self->fd, child, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
	EXPECT_EQ(EXO_KIND_NULL, ci.kind);
	EXPECT_EQ(R | W, ci.rights);
	EXPECT_EQ(1, ci.depth);
	EXPECT_EQ(self->obj, ci.obj_id);
	EXPECT_EQ(0, ci.children);

	/* The parent is unchanged but for its child count. */
	ASSERT_EQ(0, exo_cap_info(self->fd, self->root, &ci));
	EXPECT_EQ(EXO_RIGHTS_ALL, ci.rights);
	EXPECT_EQ(0, ci.depth);
	EXPECT_EQ(1, ci.children);
}

TEST_F(tree, equal_rights)
{
	struct exo_cap_info ci;
	exo_cap_t child, grandchild;

	ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, EXO_RIGHTS_ALL, &child));
	ASSERT_EQ(0, exo_cap_info(self->fd, child, &ci));
	EXPECT_EQ(EXO_RIGHTS_ALL, ci.rights);
	ASSERT_EQ(0, exo_cap_derive(self->fd, child, EXO_RIGHTS_ALL, &grandchild));
	ASSERT_EQ(0, exo_cap_info(self->fd, grandchild, &ci));
	EXPECT_EQ(EXO_RIGHTS_ALL, ci.rights);
	EXPECT_EQ(2, ci.depth);
}

TEST_F(tree, no_rights_at_all)
{
	struct exo_cap_info ci;
	exo_cap_t child;

	/* The empty set is a subset too: a cap that only names the object. */
	ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, 0, &child));
	ASSERT_EQ(0, exo_cap_info(self->fd, child, &ci));
	EXPECT_EQ(0, ci.rights);
	EXPECT_EQ(self->obj, ci.obj_id);
}

TEST_F(tree, widening_is_eperm)
{
	exo_cap_t child, out = 0;
	struct exo_env_info before, after;

	ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, R | D, &child));
	ASSERT_EQ(0, exo_env_info(self->fd, &before));
	errno = 0;
	EXPECT_EQ(-EPERM, exo_cap_derive(self->fd, child, R | W, &out));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-EPERM, exo_cap_derive(self->fd, child, R | D | G, &out));
	EXPECT_EQ(-EPERM, exo_cap_derive(self->fd, child, EXO_RIGHTS_ALL, &out));
	EXPECT_EQ(0, out);
	/* Nothing was created. */
	ASSERT_EQ(0, exo_env_info(self->fd, &after));
	EXPECT_EQ(before.caps, after.caps);
	/* Narrowing from the same parent still works. */
	EXPECT_EQ(0, exo_cap_derive(self->fd, child, R, &out));
}

TEST_F(tree, without_derive_right_is_eacces)
{
	exo_cap_t child, out;

	ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, R | W | G | V, &child));
	errno = 0;
	EXPECT_EQ(-EACCES, exo_cap_derive(self->fd, child, R, &out));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-EACCES, exo_cap_derive(self->fd, child, 0, &out));
}

TEST_F(tree, depth_and_children)
{
	struct exo_cap_info ci;
	exo_cap_t c[3], gc[2];
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, R | D, &c[i]));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, exo_cap_derive(self->fd, c[0], R, &gc[i]));

	ASSERT_EQ(0, exo_cap_info(self->fd, self->root, &ci));
	EXPECT_EQ(3, ci.children);	/* direct children only */
	ASSERT_EQ(0, exo_cap_info(self->fd, c[0], &ci));
	EXPECT_EQ(1, ci.depth);
	EXPECT_EQ(2, ci.children);
	ASSERT_EQ(0, exo_cap_info(self->fd, c[1], &ci));
	EXPECT_EQ(0, ci.children);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, exo_cap_info(self->fd, gc[i], &ci));
		EXPECT_EQ(2, ci.depth);
		EXPECT_EQ(R, ci.rights);
		EXPECT_EQ(self->obj, ci.obj_id);
	}

	/* Closing a child drops the count; its own children die with it. */
	ASSERT_EQ(0, exo_cap_close(self->fd, c[1]));
	ASSERT_EQ(0, exo_cap_info(self->fd, self->root, &ci));
	EXPECT_EQ(2, ci.children);
	ASSERT_EQ(0, exo_cap_close(self->fd, gc[1]));
	ASSERT_EQ(0, exo_cap_info(self->fd, c[0], &ci));
	EXPECT_EQ(1, ci.children);
}

TEST_F(tree, deep_chain)
{
	struct exo_cap_info ci;
	exo_cap_t cur = self->root, next;
	int i;

	for (i = 1; i <= 32; i++) {
		ASSERT_EQ(0, exo_cap_derive(self->fd, cur, EXO_RIGHTS_ALL, &next));
		cur = next;
	}
	ASSERT_EQ(0, exo_cap_info(self->fd, cur, &ci));
	EXPECT_EQ(32, ci.depth);
	EXPECT_EQ(self->obj, ci.obj_id);
}

TEST_F(tree, close_parent_kills_child)
{
	struct exo_cap_info ci;
	exo_cap_t child, grandchild, out;

	ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, R | D, &child));
	ASSERT_EQ(0, exo_cap_derive(self->fd, child, R, &grandchild));
	ASSERT_EQ(0, exo_cap_close(self->fd, child));
	ASSERT_EQ(0, exo_cap_info(self->fd, grandchild, &ci));
	EXPECT_EQ(EXO_CAP_REVOKED, ci.state);
	EXPECT_EQ(-EKEYREVOKED, exo_cap_derive(self->fd, grandchild, 0, &out));
	ASSERT_EQ(0, exo_cap_info(self->fd, self->root, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
	EXPECT_EQ(0, ci.children);
}

TEST_HARNESS_MAIN
