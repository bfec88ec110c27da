// SPDX-License-Identifier: GPL-2.0
/*
 * caps-demo — capabilities in exo, told as a short story.
 *
 * Three processes, three envs.  The owner allocates a resource, derives a
 * weaker capability and grants it to a reader through a one-shot key sent
 * over a pipe; the reader derives a read-only grandchild and grants that on
 * to a third process.  Then the owner revokes the child, and both other
 * envs find their capabilities dead, while the owner's own stays alive.
 *
 * Run inside the test VM with exo loaded (make run).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <exo.h>

#define CHECK(expr)							\
	do {								\
		int __r = (expr);					\
		if (__r < 0) {						\
			fprintf(stderr, "%s:%d: %s: %s\n", __FILE__,	\
				__LINE__, #expr, strerror(-__r));	\
			exit(1);					\
		}							\
	} while (0)

static void rights_str(__u32 r, char *buf)
{
	const char *names = "rwmdgx";	/* read write map derive grant revoke */
	int i;

	for (i = 0; i < 6; i++)
		buf[i] = (r & (1U << i)) ? names[i] : '-';
	buf[6] = '\0';
}

static void show(const char *who, int fd, exo_cap_t cap)
{
	struct exo_cap_info ci;
	char r[8];
	int ret = exo_cap_info(fd, cap, &ci);

	if (ret < 0) {
		printf("  %-7s cap %#llx: %s\n", who, (unsigned long long)cap,
		       strerror(-ret));
		return;
	}
	rights_str(ci.rights, r);
	printf("  %-7s cap %#llx: %s object %llu, rights %s, depth %u\n", who,
	       (unsigned long long)cap,
	       ci.state == EXO_CAP_LIVE ? "live," : "REVOKED",
	       (unsigned long long)ci.obj_id, r, ci.depth);
}

static void send_key(int wfd, const struct exo_key *key)
{
	char s[EXO_KEY_STRLEN + 1];

	CHECK(exo_key_to_string(key, s, sizeof(s)));
	if (write(wfd, s, EXO_KEY_STRLEN) != EXO_KEY_STRLEN)
		exit(1);
}

static void recv_key(int rfd, struct exo_key *key)
{
	char s[EXO_KEY_STRLEN + 1];

	if (read(rfd, s, EXO_KEY_STRLEN) != EXO_KEY_STRLEN)
		exit(1);
	s[EXO_KEY_STRLEN] = '\0';
	CHECK(exo_key_from_string(s, key));
}

static void wait_byte(int rfd)
{
	char c;

	if (read(rfd, &c, 1) != 1)
		exit(1);
}

static void post_byte(int wfd)
{
	if (write(wfd, "x", 1) != 1)
		exit(1);
}

/* Third env: imports the grandchild, waits for the revocation, looks. */
static int third(int keyfd, int gofd, int donefd)
{
	struct exo_key key;
	exo_cap_t cap;
	__u32 rights;
	int fd;

	CHECK(fd = exo_open());
	recv_key(keyfd, &key);
	CHECK(exo_cap_import(fd, &key, &cap, &rights));
	show("third", fd, cap);
	post_byte(donefd);
	wait_byte(gofd);
	show("third", fd, cap);
	exo_close(fd);
	return 0;
}

/* Second env: imports the child, derives read-only, grants it on. */
static int reader(int keyfd, int gofd, int donefd)
{
	int p3key[2], p3go[2], p3done[2];
	exo_cap_t cap, grandchild;
	struct exo_key key;
	__u32 rights;
	pid_t pid;
	int fd, st;

	if (pipe(p3key) || pipe(p3go) || pipe(p3done))
		exit(1);
	pid = fork();
	if (pid == 0)
		exit(third(p3key[0], p3go[0], p3done[1]));

	CHECK(fd = exo_open());
	recv_key(keyfd, &key);
	CHECK(exo_cap_import(fd, &key, &cap, &rights));
	show("reader", fd, cap);
	printf("  reader  importing the same one-shot key again: %s\n",
	       strerror(-exo_cap_import(fd, &key, &cap, &rights)));
	printf("  reader  deriving with WRITE it does not hold: %s\n",
	       strerror(-exo_cap_derive(fd, cap, EXO_RIGHT_READ |
					EXO_RIGHT_WRITE, &grandchild)));
	CHECK(exo_cap_derive(fd, cap, EXO_RIGHT_READ | EXO_RIGHT_GRANT,
			     &grandchild));
	CHECK(exo_cap_export(fd, grandchild, EXO_RIGHT_READ, 0, &key));
	send_key(p3key[1], &key);
	wait_byte(p3done[0]);
	post_byte(donefd);

	wait_byte(gofd);
	show("reader", fd, cap);
	show("reader", fd, grandchild);
	post_byte(p3go[1]);
	waitpid(pid, &st, 0);
	exo_close(fd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(void)
{
	int pkey[2], pgo[2], pdone[2], fd, st;
	struct exo_features f;
	exo_cap_t root, child;
	struct exo_key key;
	__u64 obj, killed;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* no buffered text across fork */
	if (pipe(pkey) || pipe(pgo) || pipe(pdone))
		return 1;
	fd = exo_open();
	if (fd < 0) {
		fprintf(stderr, "caps-demo: cannot open %s: %s (is exo.ko loaded?)\n",
			EXO_DEVICE, strerror(-fd));
		return 1;
	}
	CHECK(exo_get_features(fd, &f));
	printf("exo api %u: %u capability slots per env\n\n", f.api_version,
	       f.max_caps);

	printf("1. the owner allocates a resource and holds its root capability\n");
	CHECK(exo_null_alloc(fd, &root, &obj));
	show("owner", fd, root);

	printf("2. derive a weaker child and grant it by key, without the right to revoke\n");
	CHECK(exo_cap_derive(fd, root, EXO_RIGHT_READ | EXO_RIGHT_DERIVE |
			     EXO_RIGHT_GRANT | EXO_RIGHT_REVOKE, &child));
	show("owner", fd, child);
	CHECK(exo_cap_export(fd, child, EXO_RIGHT_READ | EXO_RIGHT_DERIVE |
			     EXO_RIGHT_GRANT, 0, &key));
	pid = fork();
	if (pid == 0)
		exit(reader(pkey[0], pgo[0], pdone[1]));
	send_key(pkey[1], &key);
	wait_byte(pdone[0]);

	printf("3. the owner revokes the child: every descendant dies, in every env\n");
	CHECK(exo_cap_revoke(fd, child, EXO_REVOKE_SELF, &killed));
	printf("  owner   revoked %llu capabilities\n",
	       (unsigned long long)killed);
	show("owner", fd, root);
	post_byte(pgo[1]);
	waitpid(pid, &st, 0);

	printf("4. closing the env gives everything back\n");
	exo_close(fd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
