// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/exo: totals, envs, caps and keys describe exactly what
 * exists, and the keys file never shows a key's value.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

static char buf[1 << 20];

FIXTURE(dbg) {
	int fd;
	struct exo_env_info info;
};

FIXTURE_SETUP(dbg)
{
	self->fd = exo_open();
	ASSERT_LE(0, self->fd) TH_LOG("exo_open: %s", strerror(-self->fd));
	ASSERT_EQ(0, exo_env_info(self->fd, &self->info));
}

FIXTURE_TEARDOWN(dbg)
{
	if (self->fd >= 0)
		exo_close(self->fd);
}

/* The line of debugfs file @name whose first field is @env_id and second @second (or any if -1). */
static char *find_line(const char *name, __u64 env_id, long long second)
{
	char path[256], *line, *save = NULL;
	int first = 1;

	snprintf(path, sizeof(path), EXO_DEBUGFS "/%s", name);
	if (exo_read_file(path, buf, sizeof(buf)) < 0)
		return NULL;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long id;
		long long f2;

		if (first) {
			first = 0;
			continue;
		}
		if (sscanf(line, "%llu %lli", &id, &f2) != 2 || id != env_id)
			continue;
		if (second < 0 || f2 == second)
			return line;
	}
	return NULL;
}

TEST_F(dbg, totals_has_every_counter)
{
	struct exo_totals t;

	ASSERT_EQ(0, exo_totals(&t));
	EXPECT_LE(1, t.envs);
	EXPECT_LE(1, t.envs_opened);
	EXPECT_LE(t.tombstones, t.caps);
}

TEST_F(dbg, cumulative_counters_count)
{
	struct exo_totals t0, t1;
	struct exo_key key;
	exo_cap_t cap, child;
	__u64 count;
	int fd2;

	ASSERT_EQ(0, exo_totals(&t0));
	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, exo_null_alloc(self->fd, &cap, NULL));
	ASSERT_EQ(0, exo_cap_derive(self->fd, cap, EXO_RIGHTS_ALL, &child));
	ASSERT_EQ(0, exo_cap_export(self->fd, cap, EXO_RIGHT_READ, 0, &key));
	ASSERT_EQ(0, exo_cap_revoke(self->fd, cap, 0, &count));
	ASSERT_EQ(1, count);
	ASSERT_EQ(0, exo_totals(&t1));
	EXPECT_EQ(t0.envs + 1, t1.envs);
	EXPECT_EQ(t0.envs_opened + 1, t1.envs_opened);
	EXPECT_EQ(t0.caps_created + 2, t1.caps_created);
	EXPECT_EQ(t0.caps_revoked + 1, t1.caps_revoked);
	EXPECT_EQ(t0.keys_created + 1, t1.keys_created);
	EXPECT_EQ(t0.keys + 1, t1.keys);
	EXPECT_EQ(t0.caps + 2, t1.caps);
	EXPECT_EQ(t0.tombstones + 1, t1.tombstones);
	EXPECT_EQ(t0.objects_null + 1, t1.objects_null);
	EXPECT_EQ(0, exo_close(fd2));
}

TEST_F(dbg, envs_line_describes_env)
{
	char comm[64];
	unsigned long long id;
	unsigned int caps, keys, used;
	struct exo_key key;
	exo_cap_t cap;
	char *line;
	int pid;

	ASSERT_EQ(0, exo_null_alloc(self->fd, &cap, NULL));
	ASSERT_EQ(0, exo_cap_derive(self->fd, cap, EXO_RIGHT_READ | EXO_RIGHT_GRANT,
				    &cap));
	ASSERT_EQ(0, exo_cap_export(self->fd, cap, EXO_RIGHT_READ, 0, &key));
	line = find_line("envs", self->info.env_id, -1);
	ASSERT_NE(NULL, line);
	ASSERT_EQ(6, sscanf(line, "%llu %d %63s %u %u %u", &id, &pid, comm,
			    &caps, &keys, &used)) TH_LOG("line: %s", line);
	EXPECT_EQ(self->info.env_id, id);
	EXPECT_EQ(getpid(), pid);
	EXPECT_EQ(0, strncmp(comm, "exo_debugfs", 11)) TH_LOG("comm %s", comm);
	EXPECT_EQ(2, caps);
	EXPECT_EQ(1, keys);
	EXPECT_EQ(1, used);
}

TEST_F(dbg, caps_line_describes_cap)
{
	unsigned long long id, obj;
	unsigned int slot, gen, rights, depth;
	char state[32], kind[32];
	exo_cap_t root, child;
	__u64 obj_id;
	char *line;

	ASSERT_EQ(0, exo_null_alloc(self->fd, &root, &obj_id));
	ASSERT_EQ(0, exo_cap_derive(self->fd, root, EXO_RIGHT_READ | EXO_RIGHT_DERIVE,
				    &child));
	EXPECT_EQ(2, exo_debugfs_lines_for_env("caps", self->info.env_id));

	line = find_line("caps", self->info.env_id, EXO_CAP_SLOT(child));
	ASSERT_NE(NULL, line);
	ASSERT_EQ(8, sscanf(line, "%llu %u %u %31s %31s %llu %i %u", &id, &slot,
			    &gen, state, kind, &obj, (int *)&rights, &depth))
		TH_LOG("line: %s", line);
	EXPECT_EQ(EXO_CAP_SLOT(child), slot);
	EXPECT_EQ(EXO_CAP_GEN(child), gen);
	EXPECT_STREQ("live", state);
	EXPECT_STREQ("null", kind);
	EXPECT_EQ(obj_id, obj);
	EXPECT_EQ(EXO_RIGHT_READ | EXO_RIGHT_DERIVE, rights);
	EXPECT_EQ(1, depth);

	ASSERT_EQ(0, exo_cap_revoke(self->fd, root, 0, NULL));
	line = find_line("caps", self->info.env_id, EXO_CAP_SLOT(child));
	ASSERT_NE(NULL, line);
	ASSERT_EQ(4, sscanf(line, "%llu %u %u %31s", &id, &slot, &gen, state));
	EXPECT_STREQ("revoked", state);
}

TEST_F(dbg, keys_file_never_shows_key)
{
	char needle[3][40];
	struct exo_key key;
	exo_cap_t cap;
	int i;

	ASSERT_EQ(0, exo_null_alloc(self->fd, &cap, NULL));
	ASSERT_EQ(0, exo_cap_export(self->fd, cap, EXO_RIGHT_READ, EXO_KEY_REUSABLE,
				    &key));
	EXPECT_EQ(1, exo_debugfs_lines_for_env("keys", self->info.env_id));
	ASSERT_LE(0, exo_read_file(EXO_DEBUGFS "/keys", buf, sizeof(buf)));
	snprintf(needle[0], sizeof(needle[0]), "%llx", (unsigned long long)key.lo);
	snprintf(needle[1], sizeof(needle[1]), "%llx", (unsigned long long)key.hi);
	snprintf(needle[2], sizeof(needle[2]), "%llu", (unsigned long long)key.lo);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(NULL, strstr(buf, needle[i])) TH_LOG("found %s", needle[i]);
	/* Nor any of the other debugfs files. */
	ASSERT_LE(0, exo_read_file(EXO_DEBUGFS "/caps", buf, sizeof(buf)));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(NULL, strstr(buf, needle[i])) TH_LOG("found %s", needle[i]);
}

TEST_HARNESS_MAIN
