// SPDX-License-Identifier: GPL-2.0
/*
 * Death of a process releases its env: after SIGKILL every cap, tombstone,
 * key and null object it held is gone (debugfs totals back to where they
 * were before the fork), and caps other envs imported from it are revoked.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

#define R	EXO_RIGHT_READ
#define G	EXO_RIGHT_GRANT

FIXTURE(kill) {
	struct exo_agent a;
	struct exo_totals before;
};

FIXTURE_SETUP(kill)
{
	self->a.pid = -1;
	ASSERT_EQ(0, exo_totals(&self->before));
	ASSERT_EQ(0, exo_agent_start(&self->a, NULL));
	ASSERT_EQ(0, exo_agent_open(&self->a));
}

FIXTURE_TEARDOWN(kill)
{
	if (self->a.pid > 0)
		exo_agent_kill(&self->a);
}

TEST_F(kill, sigkill_releases_everything)
{
	struct exo_env_info info;
	struct exo_totals busy, after;
	int status;

	/* 100 objects, a child of each, 50 keys: then the agent waits for us. */
	ASSERT_EQ(0, exo_agent_fill(&self->a, 100, 50));
	ASSERT_EQ(0, exo_agent_env_info(&self->a, &info));
	EXPECT_EQ(200, info.caps);
	EXPECT_EQ(50, info.keys);
	EXPECT_EQ(100, info.used[EXO_KIND_NULL]);
	EXPECT_EQ(1, exo_debugfs_lines_for_env("envs", info.env_id));
	EXPECT_EQ(200, exo_debugfs_lines_for_env("caps", info.env_id));
	EXPECT_EQ(50, exo_debugfs_lines_for_env("keys", info.env_id));

	ASSERT_EQ(0, exo_totals(&busy));
	EXPECT_EQ(self->before.envs + 1, busy.envs);
	EXPECT_EQ(self->before.caps + 200, busy.caps);
	EXPECT_EQ(self->before.keys + 50, busy.keys);
	EXPECT_EQ(self->before.objects_null + 100, busy.objects_null);

	status = exo_agent_kill(&self->a);
	ASSERT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));

	EXPECT_EQ(0, exo_totals_wait(&self->before, &after, 1000))
		TH_LOG("before: %s", exo_totals_str(&self->before));
	EXPECT_EQ(self->before.envs, after.envs);
	EXPECT_EQ(self->before.caps, after.caps);
	EXPECT_EQ(self->before.tombstones, after.tombstones);
	EXPECT_EQ(self->before.keys, after.keys);
	EXPECT_EQ(self->before.objects_null, after.objects_null);
	EXPECT_EQ(0, exo_debugfs_lines_for_env("envs", info.env_id));
	EXPECT_EQ(0, exo_debugfs_lines_for_env("caps", info.env_id));
	EXPECT_EQ(0, exo_debugfs_lines_for_env("keys", info.env_id));
}

TEST_F(kill, exit_without_closing_releases_everything)
{
	struct exo_totals after;
	int status;

	ASSERT_EQ(0, exo_agent_fill(&self->a, 20, 5));
	status = exo_agent_stop(&self->a);	/* exits with the fd open */
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, exo_totals_wait(&self->before, &after, 1000))
		TH_LOG("after: %s", exo_totals_str(&after));
}

TEST_F(kill, death_of_exporter_revokes_importers)
{
	struct exo_cap_info ci;
	struct exo_key key;
	exo_cap_t acap, mine, out;
	__u32 rights;
	int fd;

	fd = exo_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, exo_agent_null_alloc(&self->a, &acap, NULL));
	ASSERT_EQ(0, exo_agent_cap_export(&self->a, acap, R, 0, &key));
	ASSERT_EQ(0, exo_cap_import(fd, &key, &mine, &rights));
	ASSERT_EQ(0, exo_cap_info(fd, mine, &ci));
	ASSERT_EQ(EXO_CAP_LIVE, ci.state);

	exo_agent_kill(&self->a);
	/* The agent's env is torn down by the deferred fput: wait for it. */
	{
		struct exo_totals want = self->before, got;

		want.envs++;		/* ours */
		want.caps++;		/* our tombstone */
		want.tombstones++;
		EXPECT_EQ(0, exo_totals_wait(&want, &got, 1000))
			TH_LOG("got: %s", exo_totals_str(&got));
	}
	ASSERT_EQ(0, exo_cap_info(fd, mine, &ci));
	EXPECT_EQ(EXO_CAP_REVOKED, ci.state);
	EXPECT_EQ(-EKEYREVOKED, exo_cap_derive(fd, mine, 0, &out));
	EXPECT_EQ(0, exo_cap_close(fd, mine));
	EXPECT_EQ(0, exo_close(fd));
}

TEST_F(kill, death_of_importer_leaves_exporter_whole)
{
	struct exo_totals want, got;
	struct exo_cap_info ci;
	struct exo_key key;
	exo_cap_t root, theirs;
	__u32 rights;
	int fd;

	fd = exo_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, exo_null_alloc(fd, &root, NULL));
	ASSERT_EQ(0, exo_cap_export(fd, root, R | G, 0, &key));
	ASSERT_EQ(0, exo_agent_cap_import(&self->a, &key, &theirs, &rights));
	ASSERT_EQ(0, exo_cap_info(fd, root, &ci));
	EXPECT_EQ(1, ci.children);

	exo_agent_kill(&self->a);
	want = self->before;
	want.envs++;
	want.caps++;
	want.objects_null++;
	EXPECT_EQ(0, exo_totals_wait(&want, &got, 1000))
		TH_LOG("got: %s", exo_totals_str(&got));
	ASSERT_EQ(0, exo_cap_info(fd, root, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
	EXPECT_EQ(0, ci.children);
	EXPECT_EQ(0, exo_close(fd));
}

TEST(sigkill_with_bound_frames)
{
	/* A libOS dies holding frames bound in its region: all come back. */
	struct exo_totals before, after;
	int ready[2], status;
	char c;
	pid_t pid;

	ASSERT_EQ(0, exo_totals(&before));
	ASSERT_EQ(0, pipe(ready));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		long page = sysconf(_SC_PAGESIZE);
		struct exo_map_entry e[16];
		exo_cap_t caps[16];
		char *r;
		int fd, i;

		fd = exo_open();
		r = fd < 0 ? NULL : exo_region__create(fd, NULL, 16 * page,
						       PROT_READ | PROT_WRITE);
		if (!r || exo_frame_alloc(fd, 16, caps, NULL))
			_exit(10);
		for (i = 0; i < 16; i++)
			e[i] = (struct exo_map_entry){
				.addr = (__u64)(unsigned long)(r + i * page),
				.cap = caps[i],
				.prot = EXO_PROT_READ | EXO_PROT_WRITE,
			};
		if (exo_frame_map(fd, e, 16) != 16)
			_exit(11);
		for (i = 0; i < 16; i++)
			r[i * page] = i;
		if (write(ready[1], "r", 1) != 1)
			_exit(12);
		pause();
		_exit(0);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(0, exo_totals(&after));
	EXPECT_EQ(before.objects_frame + 16, after.objects_frame);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(0, exo_totals_wait(&before, &after, 1000))
		TH_LOG("after: %s", exo_totals_str(&after));
	close(ready[0]);
}

TEST_HARNESS_MAIN
