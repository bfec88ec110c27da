/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the exo selftests (linked into every test binary as
 * exo_test.o).  Nothing here asserts: helpers return 0/values or -errno and
 * the tests check them with the harness's ASSERT_*, so a failure always
 * shows expected and got in the test's own words.
 *
 *  - debugfs:  exo_totals() reads /sys/kernel/debug/exo/totals.
 *  - params:   exo_param_get()/exo_param_set() on /sys/module/exo/parameters.
 *  - agents:   a peer env in another process (optionally with other
 *              credentials), driven over a pipe with one text line per
 *              call, so a test can act as env A, B and C at once and assert
 *              on every reply.  Keys cross the pipe as exo_key_to_string()
 *              text, as a real libOS would pass them.
 */
#ifndef EXO_TEST_H
#define EXO_TEST_H

#include <stdio.h>
#include <sys/types.h>

#include "exo.h"

#define EXO_DEBUGFS	"/sys/kernel/debug/exo"
#define EXO_PARAMS	"/sys/module/exo/parameters"

/* The unprivileged identity the runner gives /dev/exo (dev_gid=65534). */
#define EXO_NOBODY_UID	65534
#define EXO_NOBODY_GID	65534
#define EXO_OTHER_GID	12345

/*
 * Skip the whole binary (TAP "1..0 # SKIP") when /dev/exo is absent, e.g.
 * when built and run on a host without the module.  Put it once at file
 * scope.  Unlike SKIP() in FIXTURE_SETUP (which, in this kselftest version,
 * does not stop the test body) this runs before any test.
 */
#define EXO_REQUIRE_DEVICE						\
	static void __attribute__((constructor)) exo_require_device(void) \
	{								\
		exo_test_require_device();				\
	}
void exo_test_require_device(void);

/* ---- files, debugfs, module parameters ---------------------------- */

/* Read a whole small file into @buf (NUL-terminated).  Returns bytes or -errno. */
int exo_read_file(const char *path, char *buf, size_t len);

/*
 * Root asks env @env_id, through debugfs revoke, for @count frames (@what
 * NULL) or extents (@what "extents") back within @deadline_ms.
 * Returns 0 or -errno.
 */
int exo_request_revoke(const char *what, __u64 env_id, long count,
		       int deadline_ms);

/* The scratch disk ($EXO_TEST_DISK, else /dev/vda) or NULL if none. */
const char *exo_test_disk(void);

/*
 * Read or write @n EXO_EXTENT_BLOCK-sized blocks of @disk at @block,
 * bypassing every cache (O_DIRECT; a write also O_SYNC).  @buf must be
 * block-aligned.  Return 0 or -errno (-EIO on a short transfer).
 */
int exo_raw_read(const char *disk, __u64 block, void *buf, size_t n);
int exo_raw_write(const char *disk, __u64 block, const void *buf, size_t n);

/* In a fixture's test: skip unless its setup found the scratch disk. */
#define NEED_DISK()							\
	do {								\
		if (!self->disk)					\
			SKIP(return, "no scratch disk (EXO_TEST_DISK or /dev/vda)"); \
	} while (0)

/* Read *p in a child: its fatal signal (SIGBUS...), or 0. */
int exo_touch_read(volatile char *p);

/* CLOCK_MONOTONIC in ns. */
__u64 exo_now_ns(void);

/* Live and cumulative counters of /sys/kernel/debug/exo/totals. */
struct exo_totals {
	long long envs;
	long long caps;
	long long tombstones;
	long long keys;
	long long objects_null;
	long long objects_frame;
	long long envs_opened;
	long long caps_created;
	long long caps_revoked;
	long long keys_created;
};

/* Read totals; every field must be present.  Returns 0 or -errno (-ENODATA: a name missing). */
int exo_totals(struct exo_totals *t);

/*
 * One counter of /sys/kernel/debug/exo/totals by name, e.g. "objects.flow".
 * Returns 0, -ENOENT if there is no such line, or -errno.
 */
int exo_totals_value(const char *name, long long *val);

/* One "name value" line of /sys/kernel/debug/exo/extents.  0, -ENOENT or -errno. */
int exo_extents_value(const char *name, long long *val);

/* Whether the live counters (envs, caps, tombstones, keys, objects.*) agree. */
int exo_totals_live_equal(const struct exo_totals *a, const struct exo_totals *b);

/*
 * Poll totals until the live counters equal @want or @ms milliseconds pass
 * (closing an fd is deferred: fput runs at return to user space or from a
 * workqueue).  Fills @got with the last reading.  Returns 0 if they matched,
 * -ETIMEDOUT if not, -errno if totals could not be read.
 */
int exo_totals_wait(const struct exo_totals *want, struct exo_totals *got,
		    int ms);

/* One line of debugfs totals for a log message. */
const char *exo_totals_str(const struct exo_totals *t);

/* Count lines of debugfs file @name (header excluded) whose first field is @env_id. */
int exo_debugfs_lines_for_env(const char *name, __u64 env_id);
/* The sum of every "WORD N" in debugfs file @name (e.g. nic's tx_tso). */
int exo_debugfs_sum(const char *name, const char *word, long long *sum);

/* Read or write /sys/module/exo/parameters/@name.  Return 0 or -errno. */
int exo_param_get(const char *name, long *val);
int exo_param_set(const char *name, long val);

/* ---- agents: a peer env in another process ------------------------- */

struct exo_agent {
	pid_t pid;
	FILE *cmd;	/* requests, one line each */
	FILE *reply;	/* replies, one line each */
};

/*
 * Credentials for an agent; NULL in exo_agent_start() keeps the caller's
 * (root).  The agent calls setgroups(ngroups, groups), setgid(gid) and
 * setuid(uid), in that order, before anything else.
 */
struct exo_agent_creds {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[4];
};

/*
 * Fork an agent.  It has no env until exo_agent_open().  Returns 0, or
 * -errno (also when the agent could not take @creds).
 */
int exo_agent_start(struct exo_agent *a, const struct exo_agent_creds *creds);

/* Ask the agent to exit and reap it.  Returns its wait status, or -errno. */
int exo_agent_stop(struct exo_agent *a);

/* SIGKILL the agent and reap it.  Returns its wait status, or -errno. */
int exo_agent_kill(struct exo_agent *a);

/*
 * The libexo calls, made by the agent in its own env; same arguments and
 * returns as the library (-EPIPE if the agent is gone).
 */
int exo_agent_open(struct exo_agent *a);	/* returns 0, not the fd */
int exo_agent_close_fd(struct exo_agent *a);
int exo_agent_get_features(struct exo_agent *a, struct exo_features *f);
int exo_agent_env_info(struct exo_agent *a, struct exo_env_info *info);
int exo_agent_null_alloc(struct exo_agent *a, exo_cap_t *cap, __u64 *obj_id);
int exo_agent_cap_info(struct exo_agent *a, exo_cap_t cap,
		       struct exo_cap_info *info);
int exo_agent_cap_derive(struct exo_agent *a, exo_cap_t cap, __u32 rights,
			 exo_cap_t *child);
int exo_agent_cap_revoke(struct exo_agent *a, exo_cap_t cap, __u32 flags,
			 __u64 *count);
int exo_agent_cap_close(struct exo_agent *a, exo_cap_t cap);
int exo_agent_cap_export(struct exo_agent *a, exo_cap_t cap, __u32 rights,
			 __u32 flags, struct exo_key *key);
int exo_agent_cap_import(struct exo_agent *a, const struct exo_key *key,
			 exo_cap_t *cap, __u32 *rights);
int exo_agent_key_drop(struct exo_agent *a, const struct exo_key *key);
int exo_agent_set_quota(struct exo_agent *a, __u64 env_id, __u32 kind,
			__u32 quota);

/*
 * Run @fn(fd, @arg, out, outlen) in the agent, with the agent's env fd (-1
 * before exo_agent_open()), for calls the agent protocol has no verb for
 * (the NIC tests use it).  The agent is a fork of the test, so @fn is a
 * function of the test binary; static variables it keeps live on in the
 * agent between calls.  @arg: one line of text (no newline); @fn writes at
 * most one line of text to out (NUL-terminated), which comes back in @out
 * (may be NULL).  Returns what @fn returned, or -EPIPE if the agent is gone.
 */
typedef int (*exo_agent_fn)(int fd, const char *arg, char *out, size_t outlen);
int exo_agent_run(struct exo_agent *a, exo_agent_fn fn, const char *arg,
		  char *out, size_t outlen);

/*
 * Make the agent's env hold a lot: @ncaps null objects, one child derived
 * from each, and @nkeys keys exported from the roots.  Returns 0, or the
 * first -errno.
 */
int exo_agent_fill(struct exo_agent *a, int ncaps, int nkeys);

/*
 * What EXO_IOC_GET_FEATURES must report in @ioctls: one bit per ioctl the
 * module implements, spelled out so a number left unassigned stays clear.
 */
#define EXO_IOCTL_BIT(name)	(1ULL << EXO_NR_##name)
#define EXO_TEST_IOCTLS \
	(EXO_IOCTL_BIT(GET_FEATURES) | \
	EXO_IOCTL_BIT(ENV_INFO) | \
	EXO_IOCTL_BIT(NULL_ALLOC) | \
	EXO_IOCTL_BIT(CAP_INFO) | \
	EXO_IOCTL_BIT(CAP_DERIVE) | \
	EXO_IOCTL_BIT(CAP_REVOKE) | \
	EXO_IOCTL_BIT(CAP_CLOSE) | \
	EXO_IOCTL_BIT(CAP_EXPORT) | \
	EXO_IOCTL_BIT(CAP_IMPORT) | \
	EXO_IOCTL_BIT(KEY_DROP) | \
	EXO_IOCTL_BIT(FRAME_ALLOC) | \
	EXO_IOCTL_BIT(FRAME_MAP) | \
	EXO_IOCTL_BIT(FRAME_UNMAP) | \
	EXO_IOCTL_BIT(CAPS_CLOSE) | \
	EXO_IOCTL_BIT(SET_QUOTA) | \
	EXO_IOCTL_BIT(EXTENT_ATTACH) | \
	EXO_IOCTL_BIT(EXTENT_DETACH) | \
	EXO_IOCTL_BIT(EXTENT_STAT) | \
	EXO_IOCTL_BIT(EXTENT_ALLOC) | \
	EXO_IOCTL_BIT(EXTENT_FREE) | \
	EXO_IOCTL_BIT(EXTENT_RECLAIM) | \
	EXO_IOCTL_BIT(EXTENT_IO) | \
	EXO_IOCTL_BIT(XN_TEMPLATE) | \
	EXO_IOCTL_BIT(XN_OWNS) | \
	EXO_IOCTL_BIT(XN_ROOT) | \
	EXO_IOCTL_BIT(XN_UPDATE) | \
	EXO_IOCTL_BIT(XN_READ) | \
	EXO_IOCTL_BIT(XN_WRITE) | \
	EXO_IOCTL_BIT(XN_SUBTREE) | \
	EXO_IOCTL_BIT(NIC_ATTACH) | \
	EXO_IOCTL_BIT(NIC_DETACH) | \
	EXO_IOCTL_BIT(FLOW_ALLOC) | \
	EXO_IOCTL_BIT(NIC_BIND) | \
	EXO_IOCTL_BIT(NIC_UNBIND) | \
	EXO_IOCTL_BIT(NIC_FILTER) | \
	EXO_IOCTL_BIT(NIC_TX) | \
	EXO_IOCTL_BIT(NIC_STAT) | \
	EXO_IOCTL_BIT(WAIT))

#endif /* EXO_TEST_H */
