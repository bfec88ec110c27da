// SPDX-License-Identifier: GPL-2.0
/*
 * CAP_REVOKE: kills every descendant of a cap in every env (and the cap
 * itself with EXO_REVOKE_SELF), leaving tombstones that answer EKEYREVOKED
 * to everything but CAP_INFO (state EXO_CAP_REVOKED) and CAP_CLOSE.
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

FIXTURE(revoke) {
	int fd;
	exo_cap_t root;
	__u64 obj;
	struct exo_agent b, c;
};

FIXTURE_SETUP(revoke)
{
	self->b.pid = self->c.pid = -1;
	self->fd = exo_open();
	ASSERT_LE(0, self->fd) TH_LOG("exo_open: %s", strerror(-self->fd));
	ASSERT_EQ(0, exo_null_alloc(self->fd, &self->root, &self->obj));
}

FIXTURE_TEARDOWN(revoke)
{
	if (self->b.pid > 0)
		exo_agent_stop(&self->b);
	if (self->c.pid > 0)
		exo_agent_stop(&self->c);
	if (self->fd >= 0)
		exo_close(self->fd);
}

TEST_F(revoke, reaches_grandchildren_in_other_envs)
{
	struct exo_cap_info ci;
	struct exo_totals t0, t1;
	struct exo_key k1, k2;
	exo_cap_t child, cb, gb, cc, out;
	__u32 rights;
	__u64 count = 0;

	ASSERT_EQ(0, exo_agent_start(&self->b, NULL));
	ASSERT_EQ(0, exo_agent_open(&self->b));
	ASSERT_EQ(0, exo_agent_start(&self->c, NULL));
	ASSERT_EQ(0, exo_agent_open(&self->c));

	/* A: root -> child; exported to B. */
	ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, R | W | D | G | V, &child));
	ASSERT_EQ(0, exo_cap_export(self->fd, child, R | D | G, 0, &k1));
	/* B: import (depth 2), derive a grandchild (depth 3), export it to C. */
	ASSERT_EQ(0, exo_agent_cap_import(&self->b, &k1, &cb, &rights));
	ASSERT_EQ(0, exo_agent_cap_derive(&self->b, cb, R | G, &gb));
	ASSERT_EQ(0, exo_agent_cap_export(&self->b, gb, R, 0, &k2));
	/* C: import (depth 4). */
	ASSERT_EQ(0, exo_agent_cap_import(&self->c, &k2, &cc, &rights));
	ASSERT_EQ(0, exo_agent_cap_info(&self->c, cc, &ci));
	ASSERT_EQ(EXO_CAP_LIVE, ci.state);
	EXPECT_EQ(4, ci.depth);

	ASSERT_EQ(0, exo_totals(&t0));
	/* A revokes its child's descendants: B's two caps and C's one. */
	ASSERT_EQ(0, exo_cap_revoke(self->fd, child, 0, &count));
	EXPECT_EQ(3, count);
	ASSERT_EQ(0, exo_totals(&t1));
	EXPECT_EQ(t0.caps_revoked + 3, t1.caps_revoked);
	EXPECT_EQ(t0.tombstones + 3, t1.tombstones);
	EXPECT_EQ(t0.caps, t1.caps);	/* tombstones still hold their slots */

	ASSERT_EQ(0, exo_agent_cap_info(&self->b, cb, &ci));
	EXPECT_EQ(EXO_CAP_REVOKED, ci.state);
	EXPECT_EQ(0, ci.kind);
	EXPECT_EQ(0, ci.obj_id);
	EXPECT_EQ(-EKEYREVOKED, exo_agent_cap_derive(&self->b, cb, R, &out));
	ASSERT_EQ(0, exo_agent_cap_info(&self->b, gb, &ci));
	EXPECT_EQ(EXO_CAP_REVOKED, ci.state);
	EXPECT_EQ(-EKEYREVOKED, exo_agent_cap_derive(&self->b, gb, R, &out));
	ASSERT_EQ(0, exo_agent_cap_info(&self->c, cc, &ci));
	EXPECT_EQ(EXO_CAP_REVOKED, ci.state);
	EXPECT_EQ(0, ci.kind);
	EXPECT_EQ(0, ci.obj_id);
	EXPECT_EQ(-EKEYREVOKED, exo_agent_cap_derive(&self->c, cc, 0, &out));

	/* A's child and root are untouched, the child now childless. */
	ASSERT_EQ(0, exo_cap_info(self->fd, child, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
	EXPECT_EQ(0, ci.children);
	EXPECT_EQ(R | W | D | G | V, ci.rights);
	ASSERT_EQ(0, exo_cap_info(self->fd, self->root, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
	EXPECT_EQ(1, ci.children);

	/* The holders free their tombstones. */
	EXPECT_EQ(0, exo_agent_cap_close(&self->b, gb));
	EXPECT_EQ(0, exo_agent_cap_close(&self->b, cb));
	EXPECT_EQ(0, exo_agent_cap_close(&self->c, cc));
	ASSERT_EQ(0, exo_totals(&t1));
	EXPECT_EQ(t0.tombstones, t1.tombstones);
	EXPECT_EQ(t0.caps - 3, t1.caps);
}

TEST_F(revoke, self_makes_a_tombstone)
{
	struct exo_cap_info ci;
	struct exo_key key;
	exo_cap_t child, grandchild, out;
	__u64 count = 0;

	ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, EXO_RIGHTS_ALL, &child));
	ASSERT_EQ(0, exo_cap_derive(self->fd, child, R, &grandchild));
	ASSERT_EQ(0, exo_cap_revoke(self->fd, child, EXO_REVOKE_SELF, &count));
	EXPECT_EQ(2, count);

	/* CAP_INFO answers 0 and says revoked; it names nothing any more. */
	ASSERT_EQ(0, exo_cap_info(self->fd, child, &ci));
	EXPECT_EQ(EXO_CAP_REVOKED, ci.state);
	EXPECT_EQ(0, ci.kind);
	EXPECT_EQ(0, ci.obj_id);
	EXPECT_EQ(0, ci.children);
	ASSERT_EQ(0, exo_cap_info(self->fd, grandchild, &ci));
	EXPECT_EQ(EXO_CAP_REVOKED, ci.state);

	/* Every other use is EKEYREVOKED. */
	errno = 0;
	EXPECT_EQ(-EKEYREVOKED, exo_cap_derive(self->fd, child, R, &out));
	EXPECT_EQ(EKEYREVOKED, errno);
	EXPECT_EQ(-EKEYREVOKED, exo_cap_export(self->fd, child, R, 0, &key));
	EXPECT_EQ(-EKEYREVOKED, exo_cap_revoke(self->fd, child, 0, &count));
	EXPECT_EQ(-EKEYREVOKED, exo_cap_revoke(self->fd, child, EXO_REVOKE_SELF, &count));

	/* The parent is live, with no live children. */
	ASSERT_EQ(0, exo_cap_info(self->fd, self->root, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
	EXPECT_EQ(0, ci.children);
}

TEST_F(revoke, root_stays_live_without_self)
{
	struct exo_cap_info ci;
	exo_cap_t c[3], gc[2];
	__u64 count = 0;
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, R | D, &c[i]));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, exo_cap_derive(self->fd, c[2], R, &gc[i]));
	ASSERT_EQ(0, exo_cap_revoke(self->fd, self->root, 0, &count));
	EXPECT_EQ(5, count);
	ASSERT_EQ(0, exo_cap_info(self->fd, self->root, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
	EXPECT_EQ(EXO_RIGHTS_ALL, ci.rights);
	EXPECT_EQ(self->obj, ci.obj_id);
	EXPECT_EQ(0, ci.children);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, exo_cap_info(self->fd, gc[i], &ci));
		EXPECT_EQ(EXO_CAP_REVOKED, ci.state);
	}
	/* Nothing left to kill: count 0, still fine. */
	ASSERT_EQ(0, exo_cap_revoke(self->fd, self->root, 0, &count));
	EXPECT_EQ(0, count);
	/* And the root can make new children. */
	EXPECT_EQ(0, exo_cap_derive(self->fd, self->root, R, &c[0]));
}

TEST_F(revoke, without_revoke_right_eacces)
{
	exo_cap_t child, grandchild;
	struct exo_cap_info ci;
	__u64 count = 99;

	ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, R | W | D | G, &child));
	ASSERT_EQ(0, exo_cap_derive(self->fd, child, R, &grandchild));
	errno = 0;
	EXPECT_EQ(-EACCES, exo_cap_revoke(self->fd, child, 0, &count));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-EACCES, exo_cap_revoke(self->fd, child, EXO_REVOKE_SELF, &count));
	EXPECT_EQ(99, count);
	ASSERT_EQ(0, exo_cap_info(self->fd, grandchild, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
}

TEST_F(revoke, close_tombstone_frees_slot)
{
	struct exo_env_info before, info;
	struct exo_cap_info ci;
	exo_cap_t child;

	ASSERT_EQ(0, exo_env_info(self->fd, &before));
	ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, R, &child));
	ASSERT_EQ(0, exo_cap_revoke(self->fd, self->root, 0, NULL));
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	EXPECT_EQ(before.caps + 1, info.caps);	/* tombstone holds its slot */
	ASSERT_EQ(0, exo_cap_close(self->fd, child));
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	EXPECT_EQ(before.caps, info.caps);
	/* Gone now, not revoked. */
	EXPECT_EQ(-ESTALE, exo_cap_info(self->fd, child, &ci));
	EXPECT_EQ(-ESTALE, exo_cap_close(self->fd, child));
}

TEST_F(revoke, revoke_self_on_root)
{
	struct exo_cap_info ci;
	exo_cap_t child;
	__u64 count = 0;

	ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, R, &child));
	ASSERT_EQ(0, exo_cap_revoke(self->fd, self->root, EXO_REVOKE_SELF, &count));
	EXPECT_EQ(2, count);
	ASSERT_EQ(0, exo_cap_info(self->fd, self->root, &ci));
	EXPECT_EQ(EXO_CAP_REVOKED, ci.state);
	EXPECT_EQ(0, ci.obj_id);
	EXPECT_EQ(0, exo_cap_close(self->fd, self->root));
	EXPECT_EQ(0, exo_cap_close(self->fd, child));
}

TEST_F(revoke, closing_exporter_cap_revokes_importers)
{
	struct exo_cap_info ci;
	struct exo_key key;
	exo_cap_t child, cb;
	__u32 rights;

	ASSERT_EQ(0, exo_agent_start(&self->b, NULL));
	ASSERT_EQ(0, exo_agent_open(&self->b));
	ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, R | G, &child));
	ASSERT_EQ(0, exo_cap_export(self->fd, child, R, 0, &key));
	ASSERT_EQ(0, exo_agent_cap_import(&self->b, &key, &cb, &rights));
	/* CLOSE revokes descendants first, in every env. */
	ASSERT_EQ(0, exo_cap_close(self->fd, child));
	ASSERT_EQ(0, exo_agent_cap_info(&self->b, cb, &ci));
	EXPECT_EQ(EXO_CAP_REVOKED, ci.state);
	EXPECT_EQ(0, ci.obj_id);
}

TEST_F(revoke, importer_can_revoke_own_subtree_only)
{
	/* B imports with REVOKE and revokes its own children: A's other caps live. */
	struct exo_cap_info ci;
	struct exo_key key;
	exo_cap_t sibling, cb, gb;
	__u32 rights;
	__u64 count = 0;

	ASSERT_EQ(0, exo_agent_start(&self->b, NULL));
	ASSERT_EQ(0, exo_agent_open(&self->b));
	ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, R, &sibling));
	ASSERT_EQ(0, exo_cap_export(self->fd, self->root, R | D | V, 0, &key));
	ASSERT_EQ(0, exo_agent_cap_import(&self->b, &key, &cb, &rights));
	ASSERT_EQ(0, exo_agent_cap_derive(&self->b, cb, R, &gb));
	ASSERT_EQ(0, exo_agent_cap_revoke(&self->b, cb, EXO_REVOKE_SELF, &count));
	EXPECT_EQ(2, count);
	ASSERT_EQ(0, exo_cap_info(self->fd, sibling, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
	ASSERT_EQ(0, exo_cap_info(self->fd, self->root, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
	EXPECT_EQ(1, ci.children);
}

TEST_F(revoke, tombstones_are_not_counted_twice)
{
	exo_cap_t child, grandchild;
	__u64 count = 0;

	ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, R | D | V, &child));
	ASSERT_EQ(0, exo_cap_derive(self->fd, child, R, &grandchild));
	ASSERT_EQ(0, exo_cap_revoke(self->fd, child, 0, &count));
	EXPECT_EQ(1, count);
	/* The grandchild is already dead: only the child dies now. */
	ASSERT_EQ(0, exo_cap_revoke(self->fd, self->root, 0, &count));
	EXPECT_EQ(1, count);
}

TEST_F(revoke, deep_chain)
{
	/* A derivation chain thousands deep: revoke must not recurse per level. */
	struct exo_totals t0, t1;
	struct exo_cap_info ci;
	exo_cap_t cur = self->root, next, last;
	__u64 count = 0;
	int i, n = 3000;

	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, exo_cap_derive(self->fd, cur, EXO_RIGHTS_ALL, &next))
			TH_LOG("depth %d", i + 1);
		cur = next;
	}
	last = cur;
	ASSERT_EQ(0, exo_cap_info(self->fd, last, &ci));
	EXPECT_EQ(n, ci.depth);
	ASSERT_EQ(0, exo_totals(&t0));
	ASSERT_EQ(0, exo_cap_revoke(self->fd, self->root, 0, &count));
	EXPECT_EQ(n, count);
	ASSERT_EQ(0, exo_totals(&t1));
	EXPECT_EQ(t0.tombstones + n, t1.tombstones);
	ASSERT_EQ(0, exo_cap_info(self->fd, last, &ci));
	EXPECT_EQ(EXO_CAP_REVOKED, ci.state);

	/* And closing the root of a fresh deep chain. */
	cur = self->root;
	for (i = 0; i < 500; i++) {
		ASSERT_EQ(0, exo_cap_derive(self->fd, cur, EXO_RIGHTS_ALL, &next));
		cur = next;
	}
	ASSERT_EQ(0, exo_cap_close(self->fd, self->root));
	ASSERT_EQ(0, exo_cap_info(self->fd, cur, &ci));
	EXPECT_EQ(EXO_CAP_REVOKED, ci.state);
}

TEST_F(revoke, wide_tree)
{
	struct exo_cap_info ci;
	exo_cap_t child;
	__u64 count = 0;
	int i, n = 2000;

	for (i = 0; i < n; i++)
		ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, R, &child));
	ASSERT_EQ(0, exo_cap_info(self->fd, self->root, &ci));
	EXPECT_EQ(n, ci.children);
	ASSERT_EQ(0, exo_cap_revoke(self->fd, self->root, 0, &count));
	EXPECT_EQ(n, count);
	ASSERT_EQ(0, exo_cap_info(self->fd, self->root, &ci));
	EXPECT_EQ(0, ci.children);
}

TEST_HARNESS_MAIN
