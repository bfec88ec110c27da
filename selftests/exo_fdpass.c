// SPDX-License-Identifier: GPL-2.0
/*
 * Passing the /dev/exo fd over a Unix socket (SCM_RIGHTS): the receiver
 * acts as the same env (same env_id, same handles work), and the env
 * lives until the last fd to it is closed.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

/* What the receiving process saw, sent back over the socket. */
struct report {
	int env_ret;
	__u64 env_id;
	int info_ret;
	__u32 state;
	__u32 rights;
	__u64 obj_id;
	int derive_ret;
	exo_cap_t child;
	int import_ret;
};

/* The message: a cap handle, a key, and the fd. */
struct msg {
	exo_cap_t cap;
	struct exo_key key;
};

static int send_fd(int sock, int fd, const struct msg *m)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof(*m) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;

	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == sizeof(*m) ? 0 : -errno;
}

static int recv_fd(int sock, struct msg *m)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != sizeof(*m))
		return -EPROTO;
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* The receiver: no /dev/exo of its own, only what it is sent. */
static void __attribute__((noreturn)) receiver(int sock)
{
	struct exo_env_info info;
	struct exo_cap_info ci;
	struct report r;
	struct msg m;
	exo_cap_t imported;
	char go;
	int fd;

	memset(&r, 0, sizeof(r));
	fd = recv_fd(sock, &m);
	if (fd < 0)
		_exit(2);
	/* Wait until the sender has closed its own copy. */
	if (read(sock, &go, 1) != 1)
		_exit(3);
	r.env_ret = exo_env_info(fd, &info);
	r.env_id = info.env_id;
	r.info_ret = exo_cap_info(fd, m.cap, &ci);
	r.state = ci.state;
	r.rights = ci.rights;
	r.obj_id = ci.obj_id;
	r.derive_ret = exo_cap_derive(fd, m.cap, EXO_RIGHT_READ, &r.child);
	r.import_ret = exo_cap_import(fd, &m.key, &imported, NULL);
	if (write(sock, &r, sizeof(r)) != sizeof(r))
		_exit(4);
	/* Hold the env until the sender has looked at debugfs. */
	if (read(sock, &go, 1) != 1)
		_exit(5);
	exo_close(fd);
	_exit(0);
}

TEST(receiver_is_the_same_env)
{
	struct exo_totals t0, t1;
	struct exo_env_info info;
	struct report r;
	struct msg m;
	__u64 obj;
	pid_t pid;
	int sv[2], fd, status;

	ASSERT_EQ(0, exo_totals(&t0));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(sv[0]);
		receiver(sv[1]);
	}
	close(sv[1]);

	fd = exo_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, exo_env_info(fd, &info));
	ASSERT_EQ(0, exo_null_alloc(fd, &m.cap, &obj));
	ASSERT_EQ(0, exo_cap_export(fd, m.cap, EXO_RIGHT_READ, 0, &m.key));
	ASSERT_EQ(0, send_fd(sv[0], fd, &m));

	/* The sender lets go: the env must live on in the receiver. */
	ASSERT_EQ(0, exo_close(fd));
	ASSERT_EQ(1, write(sv[0], "g", 1));
	ASSERT_EQ(sizeof(r), read(sv[0], &r, sizeof(r)));

	EXPECT_EQ(0, r.env_ret);
	EXPECT_EQ(info.env_id, r.env_id);
	EXPECT_EQ(0, r.info_ret);
	EXPECT_EQ(EXO_CAP_LIVE, r.state);
	EXPECT_EQ(EXO_RIGHTS_ALL, r.rights);
	EXPECT_EQ(obj, r.obj_id);
	EXPECT_EQ(0, r.derive_ret);
	EXPECT_NE(0, r.child);
	/* Its own key, imported in the same env. */
	EXPECT_EQ(0, r.import_ret);

	/* Still one env, with root + derived child + imported cap. */
	ASSERT_EQ(0, exo_totals(&t1));
	EXPECT_EQ(t0.envs + 1, t1.envs);
	EXPECT_EQ(t0.caps + 3, t1.caps);
	EXPECT_EQ(1, exo_debugfs_lines_for_env("envs", info.env_id));

	/* Last fd closed: the env is gone. */
	ASSERT_EQ(1, write(sv[0], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, exo_totals_wait(&t0, &t1, 1000))
		TH_LOG("after: %s", exo_totals_str(&t1));
	close(sv[0]);
}

TEST(dup_is_the_same_env)
{
	struct exo_env_info a, b;
	struct exo_cap_info ci;
	exo_cap_t cap;
	int fd, fd2;

	fd = exo_open();
	ASSERT_LE(0, fd);
	fd2 = dup(fd);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, exo_null_alloc(fd, &cap, NULL));
	ASSERT_EQ(0, exo_env_info(fd, &a));
	ASSERT_EQ(0, exo_env_info(fd2, &b));
	EXPECT_EQ(a.env_id, b.env_id);
	EXPECT_EQ(0, exo_close(fd));
	ASSERT_EQ(0, exo_cap_info(fd2, cap, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
	EXPECT_EQ(0, exo_close(fd2));
}

TEST_HARNESS_MAIN
