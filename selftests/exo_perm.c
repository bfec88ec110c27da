// SPDX-License-Identifier: GPL-2.0
/*
 * Who may open /dev/exo: the node is 0660 root:<dev_gid> (run.sh loads the
 * module with dev_gid=65534), so uid/gid 65534 may open it and a process
 * in no such group gets EACCES.  Once open, capabilities are the only
 * authority: an unprivileged env can do every cap operation.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

#define R	EXO_RIGHT_READ
#define W	EXO_RIGHT_WRITE
#define D	EXO_RIGHT_DERIVE
#define G	EXO_RIGHT_GRANT
#define V	EXO_RIGHT_REVOKE

static const struct exo_agent_creds nobody = {
	.uid = EXO_NOBODY_UID, .gid = EXO_NOBODY_GID, .ngroups = 0,
};
static const struct exo_agent_creds other_group = {
	.uid = EXO_NOBODY_UID, .gid = EXO_OTHER_GID, .ngroups = 0,
};
static const struct exo_agent_creds supplementary = {
	.uid = EXO_NOBODY_UID, .gid = EXO_OTHER_GID,
	.ngroups = 1, .groups = { EXO_NOBODY_GID },
};

FIXTURE(perm) {
	struct exo_agent a;
};

FIXTURE_SETUP(perm)
{
	self->a.pid = -1;
}

FIXTURE_TEARDOWN(perm)
{
	if (self->a.pid > 0)
		exo_agent_stop(&self->a);
}

TEST(device_node_mode_and_group)
{
	struct stat st;
	long gid;

	ASSERT_EQ(0, stat(EXO_DEVICE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0660, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	ASSERT_EQ(0, exo_param_get("dev_gid", &gid));
	EXPECT_EQ(EXO_NOBODY_GID, gid);
	EXPECT_EQ(gid, st.st_gid);
}

TEST_F(perm, nobody_can_open)
{
	ASSERT_EQ(0, exo_agent_start(&self->a, &nobody));
	EXPECT_EQ(0, exo_agent_open(&self->a));
}

TEST_F(perm, other_group_eacces)
{
	ASSERT_EQ(0, exo_agent_start(&self->a, &other_group));
	EXPECT_EQ(-EACCES, exo_agent_open(&self->a));
}

TEST_F(perm, supplementary_group_can_open)
{
	ASSERT_EQ(0, exo_agent_start(&self->a, &supplementary));
	EXPECT_EQ(0, exo_agent_open(&self->a));
}

TEST_F(perm, unprivileged_cap_ops)
{
	struct exo_features f;
	struct exo_env_info info;
	struct exo_cap_info ci;
	struct exo_key key;
	exo_cap_t root, child, imported, gc;
	__u32 rights;
	__u64 obj, count;

	ASSERT_EQ(0, exo_agent_start(&self->a, &nobody));
	ASSERT_EQ(0, exo_agent_open(&self->a));

	ASSERT_EQ(0, exo_agent_get_features(&self->a, &f));
	EXPECT_EQ(EXO_API_VERSION, f.api_version);
	ASSERT_EQ(0, exo_agent_null_alloc(&self->a, &root, &obj));
	ASSERT_EQ(0, exo_agent_cap_info(&self->a, root, &ci));
	EXPECT_EQ(EXO_RIGHTS_ALL, ci.rights);
	EXPECT_EQ(obj, ci.obj_id);
	ASSERT_EQ(0, exo_agent_cap_derive(&self->a, root, R | D | G | V, &child));
	ASSERT_EQ(0, exo_agent_cap_export(&self->a, child, R | D, 0, &key));
	ASSERT_EQ(0, exo_agent_cap_import(&self->a, &key, &imported, &rights));
	EXPECT_EQ(R | D, rights);
	ASSERT_EQ(0, exo_agent_cap_derive(&self->a, imported, R, &gc));
	ASSERT_EQ(0, exo_agent_cap_export(&self->a, child, R, EXO_KEY_REUSABLE, &key));
	ASSERT_EQ(0, exo_agent_key_drop(&self->a, &key));
	ASSERT_EQ(0, exo_agent_cap_revoke(&self->a, child, 0, &count));
	EXPECT_EQ(2, count);
	ASSERT_EQ(0, exo_agent_cap_info(&self->a, gc, &ci));
	EXPECT_EQ(EXO_CAP_REVOKED, ci.state);
	ASSERT_EQ(0, exo_agent_cap_close(&self->a, gc));
	ASSERT_EQ(0, exo_agent_cap_close(&self->a, imported));
	ASSERT_EQ(0, exo_agent_cap_revoke(&self->a, child, EXO_REVOKE_SELF, &count));
	EXPECT_EQ(1, count);
	ASSERT_EQ(0, exo_agent_cap_close(&self->a, child));
	ASSERT_EQ(0, exo_agent_cap_close(&self->a, root));
	ASSERT_EQ(0, exo_agent_env_info(&self->a, &info));
	EXPECT_EQ(0, info.caps);
	EXPECT_EQ(0, info.keys);
	EXPECT_EQ(0, info.used[EXO_KIND_NULL]);
}

TEST_F(perm, set_quota_needs_cap_sys_admin)
{
	struct exo_env_info info;
	int fd;

	fd = exo_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, exo_env_info(fd, &info));
	ASSERT_EQ(0, exo_agent_start(&self->a, &nobody));
	ASSERT_EQ(0, exo_agent_open(&self->a));
	/* Not its own quota (it could raise it), nor anyone else's. */
	EXPECT_EQ(-EPERM, exo_agent_set_quota(&self->a, 0, EXO_KIND_NULL, 1 << 20));
	EXPECT_EQ(-EPERM, exo_agent_set_quota(&self->a, info.env_id, EXO_KIND_NULL, 0));
	ASSERT_EQ(0, exo_agent_env_info(&self->a, &info));
	EXPECT_NE(1 << 20, info.quota[EXO_KIND_NULL]);
	/* Root may. */
	EXPECT_EQ(0, exo_set_quota(fd, info.env_id, EXO_KIND_NULL, 7));
	ASSERT_EQ(0, exo_agent_env_info(&self->a, &info));
	EXPECT_EQ(7, info.quota[EXO_KIND_NULL]);
	EXPECT_EQ(0, exo_close(fd));
}

TEST_F(perm, grant_between_root_and_nobody)
{
	struct exo_cap_info ci;
	struct exo_key key;
	exo_cap_t root, theirs, back;
	__u32 rights;
	int fd;

	fd = exo_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, exo_null_alloc(fd, &root, NULL));
	ASSERT_EQ(0, exo_cap_export(fd, root, R | G, 0, &key));
	ASSERT_EQ(0, exo_agent_start(&self->a, &nobody));
	ASSERT_EQ(0, exo_agent_open(&self->a));
	ASSERT_EQ(0, exo_agent_cap_import(&self->a, &key, &theirs, &rights));
	EXPECT_EQ(R | G, rights);
	/* ... and back again. */
	ASSERT_EQ(0, exo_agent_cap_export(&self->a, theirs, R, 0, &key));
	ASSERT_EQ(0, exo_cap_import(fd, &key, &back, &rights));
	ASSERT_EQ(0, exo_cap_info(fd, back, &ci));
	EXPECT_EQ(2, ci.depth);
	EXPECT_EQ(R, ci.rights);
	/* Root's revoke reaches the unprivileged env too. */
	ASSERT_EQ(0, exo_cap_revoke(fd, root, 0, NULL));
	ASSERT_EQ(0, exo_agent_cap_info(&self->a, theirs, &ci));
	EXPECT_EQ(EXO_CAP_REVOKED, ci.state);
	EXPECT_EQ(0, exo_close(fd));
}

TEST_HARNESS_MAIN
