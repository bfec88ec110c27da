// SPDX-License-Identifier: GPL-2.0
/*
 * The module cannot go while an env exists: delete_module(2) with
 * O_NONBLOCK fails with EWOULDBLOCK (or EBUSY) as long as any /dev/exo
 * fd is open, in this process or another.  (run.sh checks that rmmod
 * succeeds once every env is closed.)
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

static int delete_exo(void)
{
	return syscall(SYS_delete_module, "exo", O_NONBLOCK) ? -errno : 0;
}

/* EWOULDBLOCK (== EAGAIN) is what 6.1 says for a module in use; EBUSY is also "in use". */
#define EXPECT_IN_USE(ret) do {						\
		int __r = (ret);					\
		EXPECT_TRUE(__r == -EWOULDBLOCK || __r == -EBUSY)	\
			TH_LOG("delete_module: expected -EWOULDBLOCK or -EBUSY, got %d (%s)", \
			       __r, __r ? strerror(-__r) : "unloaded!");	\
	} while (0)

TEST(open_env_pins_module)
{
	int fd;

	fd = exo_open();
	ASSERT_LE(0, fd);
	EXPECT_IN_USE(delete_exo());
	EXPECT_EQ(0, exo_close(fd));
}

TEST(env_with_caps_and_keys_pins_module)
{
	struct exo_key key;
	exo_cap_t cap;
	int fd;

	fd = exo_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, exo_null_alloc(fd, &cap, NULL));
	ASSERT_EQ(0, exo_cap_export(fd, cap, EXO_RIGHT_READ, 0, &key));
	EXPECT_IN_USE(delete_exo());
	/* The env still works after the failed unload. */
	EXPECT_EQ(0, exo_cap_derive(fd, cap, EXO_RIGHT_READ, &cap));
	EXPECT_EQ(0, exo_close(fd));
}

TEST(env_in_other_process_pins_module)
{
	struct exo_agent a;

	ASSERT_EQ(0, exo_agent_start(&a, NULL));
	ASSERT_EQ(0, exo_agent_open(&a));
	EXPECT_IN_USE(delete_exo());
	exo_agent_stop(&a);
}

TEST_HARNESS_MAIN
