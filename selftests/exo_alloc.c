// SPDX-License-Identifier: GPL-2.0
/*
 * NULL_ALLOC: a root capability with every right, depth 0, live, naming a
 * fresh object; handles are never 0 and carry a generation.
 */
#include <errno.h>
#include <string.h>

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

TEST_F(env, root_cap_has_all_rights)
{
	struct exo_cap_info ci;
	exo_cap_t cap = 0;
	__u64 obj = 0;

	ASSERT_EQ(0, exo_null_alloc(self->fd, &cap, &obj));
	EXPECT_NE(0, cap);
	EXPECT_NE(0, EXO_CAP_GEN(cap));
	ASSERT_EQ(0, exo_cap_info(self->fd, cap, &ci));
	EXPECT_EQ(sizeof(ci), ci.size);
	EXPECT_EQ(0, ci.flags);
	EXPECT_EQ(cap, ci.cap);
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
	EXPECT_EQ(EXO_KIND_NULL, ci.kind);
	EXPECT_EQ(EXO_RIGHTS_ALL, ci.rights);
	EXPECT_EQ(0, ci.depth);
	EXPECT_EQ(obj, ci.obj_id);
	EXPECT_EQ(0, ci.children);
	EXPECT_EQ(0, ci.__reserved);
}

TEST_F(env, allocs_are_distinct)
{
	exo_cap_t caps[16];
	__u64 objs[16];
	int i, j;

	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, exo_null_alloc(self->fd, &caps[i], &objs[i]));
	for (i = 0; i < 16; i++) {
		for (j = i + 1; j < 16; j++) {
			EXPECT_NE(caps[i], caps[j]);
			EXPECT_NE(objs[i], objs[j]);
			EXPECT_NE(EXO_CAP_SLOT(caps[i]), EXO_CAP_SLOT(caps[j]));
		}
	}
}

TEST_F(env, object_names_are_global)
{
	/* Two envs never get the same object id. */
	exo_cap_t a, b;
	__u64 oa, ob;
	int fd2;

	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, exo_null_alloc(self->fd, &a, &oa));
	ASSERT_EQ(0, exo_null_alloc(fd2, &b, &ob));
	EXPECT_NE(oa, ob);
	EXPECT_EQ(0, exo_close(fd2));
}

TEST_F(env, debugfs_counts_objects)
{
	struct exo_totals before, t;
	exo_cap_t cap[3];
	int i;

	ASSERT_EQ(0, exo_totals(&before));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, exo_null_alloc(self->fd, &cap[i], NULL));
	ASSERT_EQ(0, exo_totals(&t));
	EXPECT_EQ(before.objects_null + 3, t.objects_null);
	EXPECT_EQ(before.caps + 3, t.caps);
	EXPECT_EQ(before.caps_created + 3, t.caps_created);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, exo_cap_close(self->fd, cap[i]));
	ASSERT_EQ(0, exo_totals(&t));
	EXPECT_EQ(before.objects_null, t.objects_null);
	EXPECT_EQ(before.caps, t.caps);
}

TEST_HARNESS_MAIN
