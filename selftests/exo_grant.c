// SPDX-License-Identifier: GPL-2.0
/*
 * Grant keys across processes.  Env A (this process) exports; envs B and C
 * live in agent processes and get the key as text over a pipe, as any
 * libOS would.  Import gives a child of the exported cap with the key's
 * rights; keys are one-shot unless REUSABLE, and die when dropped by their
 * exporter or when their cap is closed.
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

FIXTURE(grant) {
	int fd;			/* env A */
	exo_cap_t root;
	__u64 obj;
	struct exo_agent b, c;	/* envs B and C */
};

FIXTURE_SETUP(grant)
{
	self->b.pid = self->c.pid = -1;
	self->fd = exo_open();
	ASSERT_LE(0, self->fd) TH_LOG("exo_open: %s", strerror(-self->fd));
	ASSERT_EQ(0, exo_null_alloc(self->fd, &self->root, &self->obj));
	ASSERT_EQ(0, exo_agent_start(&self->b, NULL));
	ASSERT_EQ(0, exo_agent_open(&self->b));
	ASSERT_EQ(0, exo_agent_start(&self->c, NULL));
	ASSERT_EQ(0, exo_agent_open(&self->c));
}

FIXTURE_TEARDOWN(grant)
{
	if (self->b.pid > 0)
		exo_agent_stop(&self->b);
	if (self->c.pid > 0)
		exo_agent_stop(&self->c);
	if (self->fd >= 0)
		exo_close(self->fd);
}

TEST_F(grant, import_in_another_process)
{
	struct exo_env_info ea, eb;
	struct exo_cap_info ci;
	struct exo_key key;
	exo_cap_t cap = 0;
	__u32 rights = 0;

	ASSERT_EQ(0, exo_cap_export(self->fd, self->root, R | W, 0, &key));
	ASSERT_EQ(0, exo_env_info(self->fd, &ea));
	EXPECT_EQ(1, ea.keys);

	ASSERT_EQ(0, exo_agent_cap_import(&self->b, &key, &cap, &rights));
	EXPECT_NE(0, cap);
	EXPECT_EQ(R | W, rights);

	/* B holds a child of A's root: same object, one level down. */
	ASSERT_EQ(0, exo_agent_cap_info(&self->b, cap, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
	EXPECT_EQ(EXO_KIND_NULL, ci.kind);
	EXPECT_EQ(R | W, ci.rights);
	EXPECT_EQ(1, ci.depth);
	EXPECT_EQ(self->obj, ci.obj_id);
	ASSERT_EQ(0, exo_cap_info(self->fd, self->root, &ci));
	EXPECT_EQ(1, ci.children);

	/* B's table grew, A's did not; the one-shot key is used up. */
	ASSERT_EQ(0, exo_agent_env_info(&self->b, &eb));
	EXPECT_EQ(1, eb.caps);
	EXPECT_EQ(0, eb.used[EXO_KIND_NULL]);
	EXPECT_NE(ea.env_id, eb.env_id);
	ASSERT_EQ(0, exo_env_info(self->fd, &ea));
	EXPECT_EQ(1, ea.caps);
	EXPECT_EQ(0, ea.keys);
}

TEST_F(grant, one_shot_key_second_import_enokey)
{
	struct exo_key key;
	exo_cap_t cap;
	__u32 rights;

	ASSERT_EQ(0, exo_cap_export(self->fd, self->root, R, 0, &key));
	ASSERT_EQ(0, exo_agent_cap_import(&self->b, &key, &cap, &rights));
	EXPECT_EQ(-ENOKEY, exo_agent_cap_import(&self->c, &key, &cap, &rights));
	EXPECT_EQ(-ENOKEY, exo_agent_cap_import(&self->b, &key, &cap, &rights));
	errno = 0;
	EXPECT_EQ(-ENOKEY, exo_cap_import(self->fd, &key, &cap, &rights));
	EXPECT_EQ(ENOKEY, errno);
}

TEST_F(grant, reusable_key_imports_twice)
{
	struct exo_env_info ea;
	struct exo_cap_info ci;
	struct exo_key key;
	exo_cap_t cb, cc;
	__u32 rb, rc;

	ASSERT_EQ(0, exo_cap_export(self->fd, self->root, R | D, EXO_KEY_REUSABLE,
				    &key));
	ASSERT_EQ(0, exo_agent_cap_import(&self->b, &key, &cb, &rb));
	ASSERT_EQ(0, exo_agent_cap_import(&self->c, &key, &cc, &rc));
	EXPECT_EQ(R | D, rb);
	EXPECT_EQ(R | D, rc);
	ASSERT_EQ(0, exo_cap_info(self->fd, self->root, &ci));
	EXPECT_EQ(2, ci.children);
	ASSERT_EQ(0, exo_env_info(self->fd, &ea));
	EXPECT_EQ(1, ea.keys);

	/* Withdrawn, it stops working; the caps it gave stay. */
	ASSERT_EQ(0, exo_key_drop(self->fd, &key));
	EXPECT_EQ(-ENOKEY, exo_agent_cap_import(&self->b, &key, &cb, &rb));
	ASSERT_EQ(0, exo_agent_cap_info(&self->c, cc, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
	ASSERT_EQ(0, exo_env_info(self->fd, &ea));
	EXPECT_EQ(0, ea.keys);
}

TEST_F(grant, import_in_own_env)
{
	struct exo_cap_info ci;
	struct exo_key key;
	exo_cap_t cap;
	__u32 rights;

	ASSERT_EQ(0, exo_cap_export(self->fd, self->root, W, 0, &key));
	ASSERT_EQ(0, exo_cap_import(self->fd, &key, &cap, &rights));
	EXPECT_EQ(W, rights);
	ASSERT_EQ(0, exo_cap_info(self->fd, cap, &ci));
	EXPECT_EQ(1, ci.depth);
	EXPECT_EQ(W, ci.rights);
}

TEST_F(grant, drop_then_import_enokey)
{
	struct exo_key key;
	exo_cap_t cap;
	__u32 rights;

	ASSERT_EQ(0, exo_cap_export(self->fd, self->root, R, 0, &key));
	ASSERT_EQ(0, exo_key_drop(self->fd, &key));
	EXPECT_EQ(-ENOKEY, exo_agent_cap_import(&self->b, &key, &cap, &rights));
	/* Dropping twice: the key is not live any more. */
	errno = 0;
	EXPECT_EQ(-ENOKEY, exo_key_drop(self->fd, &key));
	EXPECT_EQ(ENOKEY, errno);
}

TEST_F(grant, drop_by_other_env_enokey)
{
	struct exo_key key;
	exo_cap_t cap;
	__u32 rights;

	ASSERT_EQ(0, exo_cap_export(self->fd, self->root, R, 0, &key));
	/* Holding a key is the right to import it, not to withdraw it. */
	EXPECT_EQ(-ENOKEY, exo_agent_key_drop(&self->b, &key));
	/* ... and the failed drop left it live. */
	EXPECT_EQ(0, exo_agent_cap_import(&self->c, &key, &cap, &rights));
	EXPECT_EQ(R, rights);
}

TEST_F(grant, unknown_key_enokey)
{
	struct exo_key key = { .lo = 0x0123456789abcdefULL,
			       .hi = 0xfedcba9876543210ULL };
	exo_cap_t cap;
	__u32 rights;

	EXPECT_EQ(-ENOKEY, exo_cap_import(self->fd, &key, &cap, &rights));
	key.lo = key.hi = 0;
	EXPECT_EQ(-ENOKEY, exo_cap_import(self->fd, &key, &cap, &rights));
	EXPECT_EQ(-ENOKEY, exo_key_drop(self->fd, &key));
}

TEST_F(grant, keys_are_unguessable)
{
	/* Two exports of one cap never give the same (or a zero) key. */
	struct exo_key k[16];
	int i, j;

	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, exo_cap_export(self->fd, self->root, R, 0, &k[i]));
		EXPECT_FALSE(k[i].lo == 0 && k[i].hi == 0);
	}
	for (i = 0; i < 16; i++)
		for (j = i + 1; j < 16; j++)
			EXPECT_FALSE(k[i].lo == k[j].lo && k[i].hi == k[j].hi);
}

TEST_F(grant, export_without_grant_eacces)
{
	struct exo_key key;
	exo_cap_t child;

	ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, R | W | D, &child));
	errno = 0;
	EXPECT_EQ(-EACCES, exo_cap_export(self->fd, child, R, 0, &key));
	EXPECT_EQ(EACCES, errno);
}

TEST_F(grant, export_more_rights_eperm)
{
	struct exo_key key;
	exo_cap_t child;

	ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, R | G, &child));
	errno = 0;
	EXPECT_EQ(-EPERM, exo_cap_export(self->fd, child, R | W, 0, &key));
	EXPECT_EQ(EPERM, errno);
	/* Exactly its own rights, or fewer, is fine. */
	EXPECT_EQ(0, exo_cap_export(self->fd, child, R | G, 0, &key));
	EXPECT_EQ(0, exo_cap_export(self->fd, child, R, 0, &key));
}

TEST_F(grant, key_dies_with_its_cap)
{
	struct exo_env_info ea;
	struct exo_key key;
	exo_cap_t child, cap;
	__u32 rights;

	ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, R | G, &child));
	ASSERT_EQ(0, exo_cap_export(self->fd, child, R, EXO_KEY_REUSABLE, &key));
	ASSERT_EQ(0, exo_cap_close(self->fd, child));
	EXPECT_EQ(-ENOKEY, exo_agent_cap_import(&self->b, &key, &cap, &rights));
	ASSERT_EQ(0, exo_env_info(self->fd, &ea));
	EXPECT_EQ(0, ea.keys);
}

TEST_F(grant, key_dies_when_cap_revoked)
{
	struct exo_key key;
	exo_cap_t child, cap;
	__u32 rights;

	ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, R | G, &child));
	ASSERT_EQ(0, exo_cap_export(self->fd, child, R, 0, &key));
	ASSERT_EQ(0, exo_cap_revoke(self->fd, self->root, 0, NULL));
	EXPECT_EQ(-ENOKEY, exo_agent_cap_import(&self->b, &key, &cap, &rights));
}

TEST_F(grant, imported_cap_can_be_granted_on)
{
	/* A -> B -> C: B re-exports what it imported; C is two levels down. */
	struct exo_cap_info ci;
	struct exo_key k1, k2;
	exo_cap_t cb, cc;
	__u32 rights;

	ASSERT_EQ(0, exo_cap_export(self->fd, self->root, R | G, 0, &k1));
	ASSERT_EQ(0, exo_agent_cap_import(&self->b, &k1, &cb, &rights));
	ASSERT_EQ(0, exo_agent_cap_export(&self->b, cb, R, 0, &k2));
	ASSERT_EQ(0, exo_agent_cap_import(&self->c, &k2, &cc, &rights));
	EXPECT_EQ(R, rights);
	ASSERT_EQ(0, exo_agent_cap_info(&self->c, cc, &ci));
	EXPECT_EQ(2, ci.depth);
	EXPECT_EQ(self->obj, ci.obj_id);
	/* Without GRANT, C cannot pass it further. */
	EXPECT_EQ(-EACCES, exo_agent_cap_export(&self->c, cc, R, 0, &k2));
}

TEST_F(grant, key_dies_with_its_env)
{
	struct exo_key key;
	exo_cap_t bcap, cap;
	__u32 rights;

	/* B exports a reusable key, then closes its env: the key is gone. */
	ASSERT_EQ(0, exo_agent_null_alloc(&self->b, &bcap, NULL));
	ASSERT_EQ(0, exo_agent_cap_export(&self->b, bcap, R, EXO_KEY_REUSABLE, &key));
	ASSERT_EQ(0, exo_cap_import(self->fd, &key, &cap, &rights));
	ASSERT_EQ(0, exo_agent_close_fd(&self->b));
	EXPECT_EQ(-ENOKEY, exo_agent_cap_import(&self->c, &key, &cap, &rights));
	EXPECT_EQ(-ENOKEY, exo_cap_import(self->fd, &key, &cap, &rights));
}

TEST_F(grant, reexported_key_dies_with_importer)
{
	struct exo_cap_info ci;
	struct exo_key k1, k2;
	exo_cap_t cb, cap;
	__u32 rights;

	/* A -> B, B re-exports; B's env closing kills B's key, not A's cap. */
	ASSERT_EQ(0, exo_cap_export(self->fd, self->root, R | G, 0, &k1));
	ASSERT_EQ(0, exo_agent_cap_import(&self->b, &k1, &cb, &rights));
	ASSERT_EQ(0, exo_agent_cap_export(&self->b, cb, R, 0, &k2));
	ASSERT_EQ(0, exo_agent_close_fd(&self->b));
	EXPECT_EQ(-ENOKEY, exo_agent_cap_import(&self->c, &k2, &cap, &rights));
	ASSERT_EQ(0, exo_cap_info(self->fd, self->root, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
	EXPECT_EQ(0, ci.children);
}

TEST_HARNESS_MAIN
