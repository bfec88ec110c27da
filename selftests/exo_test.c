// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the exo selftests: debugfs and module parameters, and
 * agents (peer envs in other processes driven over pipes).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest.h"
#include "exo_test.h"

void exo_test_require_device(void)
{
	if (access(EXO_DEVICE, F_OK))
		ksft_exit_skip("%s: %s (is exo.ko loaded?)\n", EXO_DEVICE,
			       strerror(errno));
}

/* ---- files, debugfs, module parameters ---------------------------- */

int exo_read_file(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got + 1 < len) {
		ssize_t n = read(fd, buf + got, len - 1 - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		got += n;
	}
	buf[got] = '\0';
	close(fd);
	return got;
}

static const struct {
	const char *name;
	size_t off;
} totals_fields[] = {
#define F(n, f) { n, offsetof(struct exo_totals, f) }
	F("envs", envs),
	F("caps", caps),
	F("tombstones", tombstones),
	F("keys", keys),
	F("objects.null", objects_null),
	F("objects.frame", objects_frame),
	F("envs_opened", envs_opened),
	F("caps_created", caps_created),
	F("caps_revoked", caps_revoked),
	F("keys_created", keys_created),
#undef F
};

int exo_totals(struct exo_totals *t)
{
	char buf[4096], *line, *save = NULL;
	unsigned int seen = 0, i;
	int ret;

	ret = exo_read_file(EXO_DEBUGFS "/totals", buf, sizeof(buf));
	if (ret < 0)
		return ret;
	memset(t, 0, sizeof(*t));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		long long v;

		if (sscanf(line, "%63s %lli", name, &v) != 2)
			continue;
		for (i = 0; i < ARRAY_SIZE(totals_fields); i++) {
			if (strcmp(name, totals_fields[i].name))
				continue;
			*(long long *)((char *)t + totals_fields[i].off) = v;
			seen |= 1U << i;
		}
	}
	return seen == (1U << ARRAY_SIZE(totals_fields)) - 1 ? 0 : -ENODATA;
}

/* A "name value" line of debugfs file @file. */
static int debugfs_value(const char *file, const char *name, long long *val)
{
	char path[256], buf[8192], *line, *save = NULL;
	int ret;

	snprintf(path, sizeof(path), EXO_DEBUGFS "/%s", file);
	ret = exo_read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char n[64];
		long long v;

		if (sscanf(line, "%63s %lli", n, &v) == 2 && !strcmp(n, name)) {
			*val = v;
			return 0;
		}
	}
	return -ENOENT;
}

int exo_totals_value(const char *name, long long *val)
{
	return debugfs_value("totals", name, val);
}

int exo_extents_value(const char *name, long long *val)
{
	return debugfs_value("extents", name, val);
}

int exo_totals_live_equal(const struct exo_totals *a, const struct exo_totals *b)
{
	return a->envs == b->envs && a->caps == b->caps &&
	       a->tombstones == b->tombstones && a->keys == b->keys &&
	       a->objects_null == b->objects_null &&
	       a->objects_frame == b->objects_frame;
}

int exo_totals_wait(const struct exo_totals *want, struct exo_totals *got,
		    int ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int ret, waited;

	for (waited = 0;; waited += 10) {
		ret = exo_totals(got);
		if (ret)
			return ret;
		if (exo_totals_live_equal(want, got))
			return 0;
		if (waited >= ms)
			return -ETIMEDOUT;
		nanosleep(&ts, NULL);
	}
}

const char *exo_totals_str(const struct exo_totals *t)
{
	static char buf[256];

	snprintf(buf, sizeof(buf),
		 "envs %lld caps %lld tombstones %lld keys %lld objects.null %lld objects.frame %lld",
		 t->envs, t->caps, t->tombstones, t->keys, t->objects_null,
		 t->objects_frame);
	return buf;
}

int exo_debugfs_lines_for_env(const char *name, __u64 env_id)
{
	static char buf[1 << 20];
	char path[256], *line, *save = NULL;
	int ret, n = 0, first = 1;

	snprintf(path, sizeof(path), EXO_DEBUGFS "/%s", name);
	ret = exo_read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long id;

		if (first) {	/* header */
			first = 0;
			continue;
		}
		if (sscanf(line, "%lli", (long long *)&id) == 1 && id == env_id)
			n++;
	}
	return n;
}

int exo_debugfs_sum(const char *name, const char *word, long long *sum)
{
	static char buf[1 << 20];
	char path[256], *p;
	size_t wl = strlen(word);
	int ret, n = 0;

	snprintf(path, sizeof(path), EXO_DEBUGFS "/%s", name);
	ret = exo_read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	*sum = 0;
	for (p = buf; (p = strstr(p, word)); p += wl) {
		long long v;

		if ((p > buf && p[-1] != ' ') || p[wl] != ' ' ||
		    sscanf(p + wl + 1, "%lli", &v) != 1)
			continue;
		*sum += v;
		n++;
	}
	return n ? 0 : -ENOENT;
}

int exo_param_get(const char *name, long *val)
{
	char path[256], buf[64], *end;
	int ret;

	snprintf(path, sizeof(path), EXO_PARAMS "/%s", name);
	ret = exo_read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	errno = 0;
	*val = strtol(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

int exo_param_set(const char *name, long val)
{
	char path[256], buf[64];
	int fd, len, ret = 0;

	snprintf(path, sizeof(path), EXO_PARAMS "/%s", name);
	len = snprintf(buf, sizeof(buf), "%ld\n", val);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != len)
		ret = -errno ?: -EIO;
	close(fd);
	return ret;
}

/* ---- agents --------------------------------------------------------- */

/*
 * Wire format: the parent writes "op arg...\n", the agent answers
 * "ret value...\n" with ret the libexo return value in decimal and every
 * other number in hex.  Keys travel as exo_key_to_string() text.
 */

static void agent_reply(FILE *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
}

static int agent_fill(int fd, int ncaps, int nkeys)
{
	exo_cap_t cap, child, first = 0;
	struct exo_key key;
	int i, ret;

	for (i = 0; i < ncaps; i++) {
		ret = exo_null_alloc(fd, &cap, NULL);
		if (ret)
			return ret;
		if (!i)
			first = cap;
		ret = exo_cap_derive(fd, cap, EXO_RIGHT_READ | EXO_RIGHT_GRANT,
				     &child);
		if (ret)
			return ret;
	}
	for (i = 0; i < nkeys; i++) {
		ret = exo_cap_export(fd, first, EXO_RIGHT_READ, 0, &key);
		if (ret)
			return ret;
	}
	return 0;
}

static void __attribute__((noreturn))
agent_main(FILE *in, FILE *out, const struct exo_agent_creds *c)
{
	char line[256], op[32], ks[EXO_KEY_STRLEN + 8];
	unsigned long long x, y, z;
	struct exo_key key;
	int fd = -1, ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (c && (setgroups(c->ngroups, c->groups) || setgid(c->gid) ||
		  setuid(c->uid))) {
		agent_reply(out, "%d", -errno);
		_exit(1);
	}
	agent_reply(out, "0");

	while (fgets(line, sizeof(line), in)) {
		x = y = z = 0;
		ks[0] = '\0';
		if (sscanf(line, "%31s", op) != 1)
			continue;

		if (!strcmp(op, "quit")) {
			break;
		} else if (!strcmp(op, "open")) {
			fd = exo_open();
			agent_reply(out, "%d", fd < 0 ? fd : 0);
		} else if (!strcmp(op, "closefd")) {
			ret = exo_close(fd);
			fd = -1;
			agent_reply(out, "%d", ret);
		} else if (!strcmp(op, "features")) {
			struct exo_features f;

			ret = exo_get_features(fd, &f);
			agent_reply(out, "%d %x %x %x %x %x %llx", ret,
				    f.api_version, f.kinds, f.rights,
				    f.max_caps, f.max_keys,
				    (unsigned long long)f.ioctls);
		} else if (!strcmp(op, "envinfo")) {
			struct exo_env_info e;

			ret = exo_env_info(fd, &e);
			agent_reply(out, "%d %llx %x %x %x %x", ret,
				    (unsigned long long)e.env_id, e.caps,
				    e.keys, e.quota[EXO_KIND_NULL],
				    e.used[EXO_KIND_NULL]);
		} else if (!strcmp(op, "alloc")) {
			exo_cap_t cap = 0;
			__u64 obj = 0;

			ret = exo_null_alloc(fd, &cap, &obj);
			agent_reply(out, "%d %llx %llx", ret,
				    (unsigned long long)cap,
				    (unsigned long long)obj);
		} else if (!strcmp(op, "info")) {
			struct exo_cap_info ci;

			sscanf(line, "%*s %llx", &x);
			ret = exo_cap_info(fd, x, &ci);
			agent_reply(out, "%d %x %x %x %x %llx %x", ret,
				    ci.state, ci.kind, ci.rights, ci.depth,
				    (unsigned long long)ci.obj_id,
				    ci.children);
		} else if (!strcmp(op, "derive")) {
			exo_cap_t child = 0;

			sscanf(line, "%*s %llx %llx", &x, &y);
			ret = exo_cap_derive(fd, x, y, &child);
			agent_reply(out, "%d %llx", ret,
				    (unsigned long long)child);
		} else if (!strcmp(op, "revoke")) {
			__u64 count = 0;

			sscanf(line, "%*s %llx %llx", &x, &y);
			ret = exo_cap_revoke(fd, x, y, &count);
			agent_reply(out, "%d %llx", ret,
				    (unsigned long long)count);
		} else if (!strcmp(op, "close")) {
			sscanf(line, "%*s %llx", &x);
			agent_reply(out, "%d", exo_cap_close(fd, x));
		} else if (!strcmp(op, "export")) {
			sscanf(line, "%*s %llx %llx %llx", &x, &y, &z);
			ret = exo_cap_export(fd, x, y, z, &key);
			if (!ret)
				exo_key_to_string(&key, ks, sizeof(ks));
			agent_reply(out, "%d %s", ret, ret ? "-" : ks);
		} else if (!strcmp(op, "import")) {
			exo_cap_t cap = 0;
			__u32 rights = 0;

			sscanf(line, "%*s %39s", ks);
			ret = exo_key_from_string(ks, &key);
			if (!ret)
				ret = exo_cap_import(fd, &key, &cap, &rights);
			agent_reply(out, "%d %llx %x", ret,
				    (unsigned long long)cap, rights);
		} else if (!strcmp(op, "drop")) {
			sscanf(line, "%*s %39s", ks);
			ret = exo_key_from_string(ks, &key);
			if (!ret)
				ret = exo_key_drop(fd, &key);
			agent_reply(out, "%d", ret);
		} else if (!strcmp(op, "setquota")) {
			sscanf(line, "%*s %llx %llx %llx", &x, &y, &z);
			agent_reply(out, "%d", exo_set_quota(fd, x, y, z));
		} else if (!strcmp(op, "run")) {
			char text[200] = "", *arg = NULL;
			exo_agent_fn fn;
			int n = 0;

			/* "run FN ARG...": FN is an address in this binary. */
			sscanf(line, "%*s %llx %n", &x, &n);
			fn = (exo_agent_fn)(uintptr_t)x;
			if (n > 0) {
				arg = line + n;
				arg[strcspn(arg, "\n")] = '\0';
			}
			ret = fn && arg ? fn(fd, arg, text, sizeof(text)) :
					  -EINVAL;
			text[strcspn(text, "\n")] = '\0';
			agent_reply(out, "%d %s", ret, text);
		} else if (!strcmp(op, "fill")) {
			sscanf(line, "%*s %llx %llx", &x, &y);
			agent_reply(out, "%d", agent_fill(fd, x, y));
		} else {
			agent_reply(out, "%d", -ENOSYS);
		}
	}
	_exit(0);
}

int exo_agent_start(struct exo_agent *a, const struct exo_agent_creds *creds)
{
	int to[2], from[2];
	char line[64];
	int ret;

	memset(a, 0, sizeof(*a));
	a->pid = -1;
	/* A dead agent must show up as -EPIPE, not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(to, O_CLOEXEC))
		return -errno;
	if (pipe2(from, O_CLOEXEC)) {
		ret = -errno;
		close(to[0]);
		close(to[1]);
		return ret;
	}
	fflush(stdout);
	fflush(stderr);
	a->pid = fork();
	if (a->pid < 0) {
		ret = -errno;
		close(to[0]);
		close(to[1]);
		close(from[0]);
		close(from[1]);
		return ret;
	}
	if (a->pid == 0) {
		FILE *in, *out;

		/*
		 * Keep nothing of the caller's but the two pipe ends: an
		 * inherited /dev/exo fd would keep the caller's env alive.
		 */
		for (ret = 3; ret < 1024; ret++)
			if (ret != to[0] && ret != from[1])
				close(ret);
		in = fdopen(to[0], "r");
		out = fdopen(from[1], "w");
		if (!in || !out)
			_exit(1);
		agent_main(in, out, creds);
	}
	close(to[0]);
	close(from[1]);
	a->cmd = fdopen(to[1], "w");
	a->reply = fdopen(from[0], "r");
	if (!a->cmd || !a->reply) {
		exo_agent_kill(a);
		return -ENOMEM;
	}
	/* The agent says whether it could take the credentials. */
	if (!fgets(line, sizeof(line), a->reply)) {
		exo_agent_kill(a);
		return -EPIPE;
	}
	ret = atoi(line);
	if (ret) {
		exo_agent_kill(a);
		return ret;
	}
	return 0;
}

static int agent_reap(struct exo_agent *a)
{
	int status;

	if (a->cmd)
		fclose(a->cmd);
	if (a->reply)
		fclose(a->reply);
	a->cmd = a->reply = NULL;
	if (a->pid <= 0)
		return -ESRCH;
	while (waitpid(a->pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = -errno;
			break;
		}
	}
	a->pid = -1;
	return status;
}

int exo_agent_stop(struct exo_agent *a)
{
	if (a->cmd) {
		fputs("quit\n", a->cmd);
		fflush(a->cmd);
	}
	return agent_reap(a);
}

int exo_agent_kill(struct exo_agent *a)
{
	if (a->pid > 0)
		kill(a->pid, SIGKILL);
	return agent_reap(a);
}

/* Send one request and read its reply line into @reply.  Returns ret or -EPIPE. */
static int agent_call(struct exo_agent *a, char *reply, size_t len,
		      const char *fmt, ...)
{
	va_list ap;

	if (!a->cmd || !a->reply)
		return -EPIPE;
	va_start(ap, fmt);
	vfprintf(a->cmd, fmt, ap);
	va_end(ap);
	fputc('\n', a->cmd);
	if (fflush(a->cmd))
		return -EPIPE;
	if (!fgets(reply, len, a->reply))
		return -EPIPE;
	return atoi(reply);
}

int exo_agent_open(struct exo_agent *a)
{
	char r[64];

	return agent_call(a, r, sizeof(r), "open");
}

int exo_agent_close_fd(struct exo_agent *a)
{
	char r[64];

	return agent_call(a, r, sizeof(r), "closefd");
}

int exo_agent_get_features(struct exo_agent *a, struct exo_features *f)
{
	unsigned long long ioctls = 0;
	char r[256];
	int ret;

	memset(f, 0, sizeof(*f));
	ret = agent_call(a, r, sizeof(r), "features");
	if (!ret)
		sscanf(r, "%*d %x %x %x %x %x %llx", &f->api_version,
		       &f->kinds, &f->rights, &f->max_caps, &f->max_keys,
		       &ioctls);
	f->ioctls = ioctls;
	return ret;
}

int exo_agent_env_info(struct exo_agent *a, struct exo_env_info *info)
{
	unsigned long long id = 0;
	char r[256];
	int ret;

	memset(info, 0, sizeof(*info));
	ret = agent_call(a, r, sizeof(r), "envinfo");
	if (!ret)
		sscanf(r, "%*d %llx %x %x %x %x", &id, &info->caps,
		       &info->keys, &info->quota[EXO_KIND_NULL],
		       &info->used[EXO_KIND_NULL]);
	info->env_id = id;
	return ret;
}

int exo_agent_null_alloc(struct exo_agent *a, exo_cap_t *cap, __u64 *obj_id)
{
	unsigned long long c = 0, o = 0;
	char r[256];
	int ret;

	ret = agent_call(a, r, sizeof(r), "alloc");
	if (!ret)
		sscanf(r, "%*d %llx %llx", &c, &o);
	*cap = c;
	if (obj_id)
		*obj_id = o;
	return ret;
}

int exo_agent_cap_info(struct exo_agent *a, exo_cap_t cap,
		       struct exo_cap_info *info)
{
	unsigned long long obj = 0;
	char r[256];
	int ret;

	memset(info, 0, sizeof(*info));
	info->cap = cap;
	ret = agent_call(a, r, sizeof(r), "info %llx", (unsigned long long)cap);
	if (!ret)
		sscanf(r, "%*d %x %x %x %x %llx %x", &info->state, &info->kind,
		       &info->rights, &info->depth, &obj, &info->children);
	info->obj_id = obj;
	return ret;
}

int exo_agent_cap_derive(struct exo_agent *a, exo_cap_t cap, __u32 rights,
			 exo_cap_t *child)
{
	unsigned long long c = 0;
	char r[256];
	int ret;

	ret = agent_call(a, r, sizeof(r), "derive %llx %x",
			 (unsigned long long)cap, rights);
	if (!ret)
		sscanf(r, "%*d %llx", &c);
	*child = c;
	return ret;
}

int exo_agent_cap_revoke(struct exo_agent *a, exo_cap_t cap, __u32 flags,
			 __u64 *count)
{
	unsigned long long n = 0;
	char r[256];
	int ret;

	ret = agent_call(a, r, sizeof(r), "revoke %llx %x",
			 (unsigned long long)cap, flags);
	if (!ret)
		sscanf(r, "%*d %llx", &n);
	if (count)
		*count = n;
	return ret;
}

int exo_agent_cap_close(struct exo_agent *a, exo_cap_t cap)
{
	char r[64];

	return agent_call(a, r, sizeof(r), "close %llx",
			  (unsigned long long)cap);
}

int exo_agent_cap_export(struct exo_agent *a, exo_cap_t cap, __u32 rights,
			 __u32 flags, struct exo_key *key)
{
	char r[256], ks[EXO_KEY_STRLEN + 8];
	int ret;

	ret = agent_call(a, r, sizeof(r), "export %llx %x %x",
			 (unsigned long long)cap, rights, flags);
	if (ret)
		return ret;
	if (sscanf(r, "%*d %39s", ks) != 1 || exo_key_from_string(ks, key))
		return -EPROTO;
	return 0;
}

int exo_agent_cap_import(struct exo_agent *a, const struct exo_key *key,
			 exo_cap_t *cap, __u32 *rights)
{
	char r[256], ks[EXO_KEY_STRLEN + 1];
	unsigned long long c = 0;
	unsigned int rr = 0;
	int ret;

	exo_key_to_string(key, ks, sizeof(ks));
	ret = agent_call(a, r, sizeof(r), "import %s", ks);
	if (!ret)
		sscanf(r, "%*d %llx %x", &c, &rr);
	*cap = c;
	if (rights)
		*rights = rr;
	return ret;
}

int exo_agent_key_drop(struct exo_agent *a, const struct exo_key *key)
{
	char r[64], ks[EXO_KEY_STRLEN + 1];

	exo_key_to_string(key, ks, sizeof(ks));
	return agent_call(a, r, sizeof(r), "drop %s", ks);
}

int exo_agent_set_quota(struct exo_agent *a, __u64 env_id, __u32 kind,
			__u32 quota)
{
	char r[64];

	return agent_call(a, r, sizeof(r), "setquota %llx %x %x",
			  (unsigned long long)env_id, kind, quota);
}

int exo_agent_run(struct exo_agent *a, exo_agent_fn fn, const char *arg,
		  char *out, size_t outlen)
{
	char r[256] = "", *p;
	int ret;

	if (strchr(arg, '\n') || strlen(arg) > 200)
		return -EINVAL;
	ret = agent_call(a, r, sizeof(r), "run %llx %s",
			 (unsigned long long)(uintptr_t)fn, arg);
	if (out && outlen) {
		/* The reply is "RET TEXT": TEXT starts after the first space. */
		p = strchr(r, ' ');
		p = p ? p + 1 : r + strlen(r);
		p[strcspn(p, "\n")] = '\0';
		snprintf(out, outlen, "%s", ret == -EPIPE ? "" : p);
	}
	return ret;
}

int exo_agent_fill(struct exo_agent *a, int ncaps, int nkeys)
{
	char r[64];

	return agent_call(a, r, sizeof(r), "fill %x %x", ncaps, nkeys);
}

int exo_request_revoke(const char *what, __u64 env_id, long count,
		       int deadline_ms)
{
	char cmd[80];
	int fd, n, ret = 0;

	fd = open(EXO_DEBUGFS "/revoke", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(cmd, sizeof(cmd), "%s%s%llu %ld %d", what ? what : "",
		     what ? " " : "", (unsigned long long)env_id, count,
		     deadline_ms);
	if (write(fd, cmd, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

const char *exo_test_disk(void)
{
	const char *p = getenv("EXO_TEST_DISK");
	struct stat st;

	if (!p || !*p)
		p = "/dev/vda";
	if (stat(p, &st) || !S_ISBLK(st.st_mode))
		return NULL;
	return p;
}

static int raw_io(const char *disk, __u64 block, void *buf, size_t n,
		  int write)
{
	size_t len = n * EXO_EXTENT_BLOCK;
	int fd = open(disk, write ? O_WRONLY | O_DIRECT | O_SYNC
				  : O_RDONLY | O_DIRECT);
	ssize_t r;

	if (fd < 0)
		return -errno;
	r = write ? pwrite(fd, buf, len, block * EXO_EXTENT_BLOCK)
		  : pread(fd, buf, len, block * EXO_EXTENT_BLOCK);
	close(fd);
	return r == (ssize_t)len ? 0 : r < 0 ? -errno : -EIO;
}

int exo_raw_read(const char *disk, __u64 block, void *buf, size_t n)
{
	return raw_io(disk, block, buf, n, 0);
}

int exo_raw_write(const char *disk, __u64 block, const void *buf, size_t n)
{
	return raw_io(disk, block, (void *)buf, n, 1);
}

int exo_touch_read(volatile char *p)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		(void)*p;
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

__u64 exo_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}
