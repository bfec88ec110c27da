// SPDX-License-Identifier: GPL-2.0
/*
 * exo_failnth — fault-injection sweep over every exo call.
 *
 * For each call (open and every ioctl, with a setup that makes it succeed)
 * and for n = 1, 2, ...: a fresh env is set up, /proc/thread-self/fail-nth
 * is set to n (the n-th fault site the call reaches fails: a slab or page
 * allocation, a user copy), the call is made, and then:
 *
 *  - if no fault was injected (fail-nth still > 0) the call must succeed,
 *    and the sweep of that call is over;
 *  - if one was, the call must either succeed or fail with an errno the
 *    ABI allows for it (ENOMEM, EFAULT, EIO for extent I/O), and a failed
 *    non-batched call must have changed nothing: the env's ENV_INFO (caps,
 *    keys, used[]) is as before, and a retry without injection succeeds
 *    (a one-shot key is not used up by a failed IMPORT);
 *  - after the env is closed, every debugfs live counter is 0 and the
 *    frame pool is whole.
 * Three calls run once more in an env whose capability table is full, so
 * that they grow it (its reallocation is a fault site of its own).
 * dmesg is checked by run.sh (KASAN, lockdep, WARN on the error paths).
 *
 * To chase one failure: EXO_FAILNTH_ONLY=SUBSTRING sweeps only the calls
 * whose name contains it (the others report SKIP), and EXO_FAILNTH_VERBOSE=1
 * leaves the fault-injection sites verbose, so dmesg shows the stack of
 * every injected fault ("FAULT_INJECTION: forcing a failure").
 *
 * Needs CONFIG_FAULT_INJECTION (and FAILSLAB, FAIL_PAGE_ALLOC,
 * FAULT_INJECTION_USERCOPY with FAULT_INJECTION_DEBUG_FS for the sites to
 * count): Debian's stock kernel has none, so there the binary reports
 * "1..0 # SKIP"; `make check-debug` runs it for real.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <linux/filter.h>

#include <linux/exo.h>

#include "exo_test.h"

#define PAGE		4096UL
#define MAX_N		400	/* fault sites per call, at most */
#define REGION		0x300000000000UL

static int nth_fd = -1;
static int kmsg_fd = -1;	/* EXO_FAILNTH_VERBOSE: marks each fault in dmesg */
static const char *disk;

static void set_nth(int n)
{
	char b[16];
	int len = snprintf(b, sizeof(b), "%d", n);

	if (pwrite(nth_fd, b, len, 0) != len) {
		/* writing 0 may fail with EINVAL on some kernels: ignore */
		if (n)
			perror("fail-nth write");
	}
}

/*
 * 1 if the fault set with set_nth() was injected; disarms it either way.
 * Reading and writing fail-nth copy to and from user space, which is a
 * fault site itself: a failed read means the count was still positive
 * (nothing injected), and the write of 0 is retried until it sticks.
 */
static int injected(void)
{
	char b[16] = "";
	int was, i;

	was = pread(nth_fd, b, sizeof(b) - 1, 0) > 0 && atoi(b) == 0;
	for (i = 0; i < 1000; i++)
		if (pwrite(nth_fd, "0", 1, 0) == 1)
			break;
	return was;
}

static void debugfs_set(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return;
	if (write(fd, val, strlen(val)) < 0)
		printf("# cannot set %s: %s\n", path, strerror(errno));
	close(fd);
}

/* ---- state of one attempt ------------------------------------------------ */

struct st {
	int fd, fd2;
	exo_cap_t cap, child, frames[4];
	struct exo_key key;
	void *region;
	void *info;		/* info pages mapped by the call, for teardown */
	int batched;		/* the call reports errors in the struct */
	int attached;
	__u64 root, nblocks;	/* XN */
};

static int io(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int null_alloc(int fd, exo_cap_t *cap)
{
	struct exo_null_alloc a = { .size = sizeof(a) };
	int r = io(fd, EXO_IOC_NULL_ALLOC, &a);

	*cap = a.cap;
	return r;
}

static int derive(int fd, exo_cap_t cap, __u32 rights, exo_cap_t *child)
{
	struct exo_cap_derive a = { .size = sizeof(a), .cap = cap, .rights = rights };
	int r = io(fd, EXO_IOC_CAP_DERIVE, &a);

	*child = a.child;
	return r;
}

static int export(int fd, exo_cap_t cap, struct exo_key *key)
{
	struct exo_cap_export a = {
		.size = sizeof(a), .cap = cap, .rights = EXO_RIGHT_READ,
	};
	int r = io(fd, EXO_IOC_CAP_EXPORT, &a);

	*key = a.key;
	return r;
}

static int frame_alloc(int fd, exo_cap_t *caps, __u32 n)
{
	__u64 pfns[16];
	struct exo_frame_alloc a = {
		.size = sizeof(a), .count = n,
		.caps = (unsigned long)caps, .pfns = (unsigned long)pfns,
	};

	return io(fd, EXO_IOC_FRAME_ALLOC, &a);
}

static int map_region(struct st *s)
{
	s->region = mmap((void *)REGION, 4 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED_NOREPLACE, s->fd, REGION);
	return s->region == MAP_FAILED ? (s->region = NULL, -errno) : 0;
}

static int frame_map(struct st *s, int n)
{
	struct exo_map_entry e[4];
	struct exo_frame_map a = {
		.size = sizeof(a), .count = n, .entries = (unsigned long)e,
	};
	int i, r;

	for (i = 0; i < n; i++) {
		e[i] = (struct exo_map_entry){
			.addr = REGION + i * PAGE, .cap = s->frames[i],
			.prot = EXO_PROT_READ | EXO_PROT_WRITE,
		};
	}
	r = io(s->fd, EXO_IOC_FRAME_MAP, &a);
	if (!r && a.error)
		r = -a.error;
	return r;
}

/* ---- the calls ------------------------------------------------------------ */

static int setup_env(struct st *s)
{
	s->fd = open(EXO_DEVICE, O_RDWR);
	return s->fd < 0 ? -errno : 0;
}

static int setup_null(struct st *s)
{
	return setup_env(s) ?: null_alloc(s->fd, &s->cap);
}

/*
 * An env whose capability table is full at its first size (16 slots), so
 * the call under test has to grow it: a reallocation and a copy, whose
 * failure must leave the table and every handle as they were (ENOMEM).
 */
static int setup_table_full(struct st *s)
{
	exo_cap_t c;
	int i, r = setup_null(s);

	for (i = 1; i < 16 && !r; i++)
		r = null_alloc(s->fd, &c);
	return r;
}

static int setup_child(struct st *s)
{
	return setup_null(s) ?: derive(s->fd, s->cap, EXO_RIGHTS_ALL, &s->child);
}

static int setup_key(struct st *s)
{
	int r = setup_null(s) ?: export(s->fd, s->cap, &s->key);

	if (r)
		return r;
	s->fd2 = open(EXO_DEVICE, O_RDWR);
	return s->fd2 < 0 ? -errno : 0;
}

static int setup_frames(struct st *s)
{
	return setup_env(s) ?: frame_alloc(s->fd, s->frames, 4) ?: map_region(s);
}

static int setup_mapped(struct st *s)
{
	return setup_frames(s) ?: frame_map(s, 4);
}

static int call_open(struct st *s)
{
	s->fd = open(EXO_DEVICE, O_RDWR);
	return s->fd < 0 ? -errno : 0;
}

static int call_features(struct st *s)
{
	struct exo_features a = { .size = sizeof(a) };

	return io(s->fd, EXO_IOC_GET_FEATURES, &a);
}

static int call_env_info(struct st *s)
{
	struct exo_env_info a = { .size = sizeof(a) };

	return io(s->fd, EXO_IOC_ENV_INFO, &a);
}

static int call_null_alloc(struct st *s)
{
	exo_cap_t c;

	return null_alloc(s->fd, &c);
}

static int call_cap_info(struct st *s)
{
	struct exo_cap_info a = { .size = sizeof(a), .cap = s->child };

	return io(s->fd, EXO_IOC_CAP_INFO, &a);
}

static int call_derive(struct st *s)
{
	exo_cap_t c;

	return derive(s->fd, s->cap, EXO_RIGHT_READ | EXO_RIGHT_DERIVE, &c);
}

static int call_revoke(struct st *s)
{
	struct exo_cap_revoke a = { .size = sizeof(a), .cap = s->cap };

	return io(s->fd, EXO_IOC_CAP_REVOKE, &a);
}

static int call_close(struct st *s)
{
	struct exo_cap_close a = { .size = sizeof(a), .cap = s->cap };

	return io(s->fd, EXO_IOC_CAP_CLOSE, &a);
}

static int call_export(struct st *s)
{
	struct exo_key k;

	return export(s->fd, s->cap, &k);
}

static int call_import(struct st *s)
{
	struct exo_cap_import a = { .size = sizeof(a), .key = s->key };

	return io(s->fd2, EXO_IOC_CAP_IMPORT, &a);
}

static int call_key_drop(struct st *s)
{
	struct exo_key_drop a = { .size = sizeof(a), .key = s->key };

	return io(s->fd, EXO_IOC_KEY_DROP, &a);
}

static int call_frame_alloc(struct st *s)
{
	exo_cap_t c[4];

	return frame_alloc(s->fd, c, 4);
}

static int call_frame_map(struct st *s)
{
	return frame_map(s, 4);
}

static int call_frame_unmap(struct st *s)
{
	__u64 ad[4] = { REGION, REGION + PAGE, REGION + 2 * PAGE, REGION + 3 * PAGE };
	struct exo_frame_unmap a = {
		.size = sizeof(a), .count = 4, .addrs = (unsigned long)ad,
	};
	int r = io(s->fd, EXO_IOC_FRAME_UNMAP, &a);

	return r ?: -a.error;
}

static int call_caps_close(struct st *s)
{
	struct exo_caps_close a = {
		.size = sizeof(a), .count = 4, .caps = (unsigned long)s->frames,
	};
	int r = io(s->fd, EXO_IOC_CAPS_CLOSE, &a);

	return r ?: -a.error;
}

static int call_set_quota(struct st *s)
{
	struct exo_set_quota a = {
		.size = sizeof(a), .kind = EXO_KIND_NULL, .quota = 100,
	};

	return io(s->fd, EXO_IOC_SET_QUOTA, &a);
}

static int call_info_mmap(struct st *s)
{
	void *p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, s->fd,
		       EXO_INFO_OFFSET);

	if (p == MAP_FAILED)
		return -errno;
	/*
	 * Unmapped in teardown, once fail-nth is disarmed: a fault injected
	 * into munmap() would leave the mapping (and so the env) alive.
	 */
	s->info = p;
	return 0;
}

/* Extents (only with a scratch disk). */
static int setup_attached(struct st *s)
{
	struct exo_extent_attach a = {
		.size = sizeof(a), .flags = EXO_ATTACH_FORMAT,
		.path = (unsigned long)disk,
	};
	int r = setup_env(s) ?: io(s->fd, EXO_IOC_EXTENT_ATTACH, &a);

	s->attached = !r;
	return r;
}

static int call_attach(struct st *s)
{
	struct exo_extent_attach a = {
		.size = sizeof(a), .flags = EXO_ATTACH_FORMAT,
		.path = (unsigned long)disk,
	};
	int r = io(s->fd, EXO_IOC_EXTENT_ATTACH, &a);

	s->attached = !r;
	return r;
}

static int call_extent_alloc(struct st *s)
{
	struct exo_extent_alloc a = { .size = sizeof(a), .count = 2 };

	return io(s->fd, EXO_IOC_EXTENT_ALLOC, &a);
}

static int setup_extent(struct st *s)
{
	struct exo_extent_alloc a = { .size = sizeof(a), .count = 2 };
	int r = setup_attached(s) ?: io(s->fd, EXO_IOC_EXTENT_ALLOC, &a) ?:
		frame_alloc(s->fd, s->frames, 1);

	s->cap = a.cap;
	s->key = a.key;
	return r;
}

static int call_extent_io(struct st *s)
{
	struct exo_extent_iovec v[2] = {
		{ .extent = s->cap, .block = 0, .frame = s->frames[0], .op = EXO_IO_WRITE },
		{ .extent = s->cap, .block = 1, .frame = s->frames[0], .op = EXO_IO_READ },
	};
	struct exo_extent_io a = {
		.size = sizeof(a), .count = 2, .vecs = (unsigned long)v,
		.flags = EXO_IO_FLUSH,
	};
	int r = io(s->fd, EXO_IOC_EXTENT_IO, &a);

	return r ?: -a.error;
}

static int call_extent_free(struct st *s)
{
	struct exo_extent_free a = { .size = sizeof(a), .cap = s->cap };

	return io(s->fd, EXO_IOC_EXTENT_FREE, &a);
}

static int call_extent_reclaim(struct st *s)
{
	struct exo_extent_desc d[4];
	struct exo_extent_reclaim a = {
		.size = sizeof(a), .key = s->key, .max = 4,
		.extents = (unsigned long)d,
	};

	return io(s->fd2, EXO_IOC_EXTENT_RECLAIM, &a);
}

static int setup_extent2(struct st *s)
{
	int r = setup_extent(s);

	if (r)
		return r;
	s->fd2 = open(EXO_DEVICE, O_RDWR);
	return s->fd2 < 0 ? -errno : 0;
}

/*
 * XN: a principal with the "count, then references" template as type 1,
 * a root of that type, and its frame mapped holding a list of one data
 * block (the device's last) for XN_UPDATE to claim.
 */
static const struct sock_filter xn_list[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, EXO_EXTENT_BLOCK),
	BPF_STMT(BPF_ST, 0),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
	BPF_STMT(BPF_LDX | BPF_W | BPF_MEM, 0),
	BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 5),
	BPF_STMT(BPF_MISC | BPF_TXA, 0),
	BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 2),
	BPF_STMT(BPF_MISC | BPF_TAX, 0),
	BPF_STMT(BPF_LD | BPF_W | BPF_IND, 4),
	BPF_STMT(BPF_RET | BPF_A, 0),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

static int xn_template(struct st *s, __u32 type)
{
	struct exo_xn_template a = {
		.size = sizeof(a), .type = type,
		.len = sizeof(xn_list) / sizeof(xn_list[0]),
		.insns = (unsigned long)xn_list,
	};

	return io(s->fd, EXO_IOC_XN_TEMPLATE, &a);
}

static int xn_root(struct st *s)
{
	struct exo_xn_root a = { .size = sizeof(a), .type = 1 };
	int r = io(s->fd, EXO_IOC_XN_ROOT, &a);

	s->root = a.block;
	return r;
}

static int setup_xn(struct st *s)
{
	struct exo_extent_stat st = { .size = sizeof(st) };
	__u32 *w;
	int r = setup_extent(s) ?: io(s->fd, EXO_IOC_EXTENT_STAT, &st) ?:
		xn_template(s, 1) ?: xn_root(s) ?: map_region(s) ?:
		frame_map(s, 1);

	if (r)
		return r;
	s->nblocks = st.nblocks;
	w = s->region;
	w[0] = htonl(1);
	w[1] = htonl(EXO_XN_REF(0, st.nblocks - 1));
	return 0;
}

static int call_xn_template(struct st *s)
{
	return xn_template(s, 2);
}

static int call_xn_root(struct st *s)
{
	return xn_root(s);
}

static int call_xn_update(struct st *s)
{
	struct exo_xn_ref add = { .block = s->nblocks - 1 };
	struct exo_xn_update a = {
		.size = sizeof(a), .block = s->root, .frame = s->frames[0],
		.add = (unsigned long)&add, .nadd = 1,
	};

	return io(s->fd, EXO_IOC_XN_UPDATE, &a);
}

static int call_xn_read(struct st *s)
{
	struct exo_xn_read a = {
		.size = sizeof(a), .block = s->root, .frame = s->frames[0],
	};

	return io(s->fd, EXO_IOC_XN_READ, &a);
}

/* ... and with the device's last block claimed as data, to write it. */
static int setup_xn_data(struct st *s)
{
	return setup_xn(s) ?: call_xn_update(s);
}

static int call_xn_write(struct st *s)
{
	struct exo_xn_write a = {
		.size = sizeof(a), .block = s->nblocks - 1,
		.frame = s->frames[0], .flags = EXO_IO_FUA,
	};

	return io(s->fd, EXO_IOC_XN_WRITE, &a);
}

/* XN_SUBTREE of the root; then XN_UPDATE through that capability. */
static int call_xn_subtree(struct st *s)
{
	struct exo_xn_subtree a = { .size = sizeof(a), .block = s->root };
	int r = io(s->fd, EXO_IOC_XN_SUBTREE, &a);

	s->cap = a.cap;
	return r;
}

static int setup_xn_tree(struct st *s)
{
	return setup_xn(s) ?: call_xn_subtree(s);
}

static int call_xn_update_tree(struct st *s)
{
	struct exo_xn_ref add = { .block = s->nblocks - 1 };
	struct exo_xn_update a = {
		.size = sizeof(a), .block = s->root, .frame = s->frames[0],
		.add = (unsigned long)&add, .nadd = 1, .tree = s->cap,
	};

	return io(s->fd, EXO_IOC_XN_UPDATE, &a);
}

static const struct scen {
	const char *name;
	int (*setup)(struct st *);
	int (*call)(struct st *);
	int batched;	/* partial effect allowed: no "unchanged" check */
	int retry;	/* a failed call must succeed when retried */
	int extent;
} scens[] = {
	{ "open", NULL, call_open, 0, 0, 0 },
	{ "GET_FEATURES", setup_env, call_features, 0, 0, 0 },
	{ "ENV_INFO", setup_env, call_env_info, 0, 0, 0 },
	{ "NULL_ALLOC", setup_env, call_null_alloc, 0, 1, 0 },
	{ "CAP_INFO", setup_child, call_cap_info, 0, 1, 0 },
	{ "CAP_DERIVE", setup_null, call_derive, 0, 1, 0 },
	{ "CAP_REVOKE", setup_child, call_revoke, 0, 1, 0 },
	{ "CAP_CLOSE", setup_child, call_close, 0, 1, 0 },
	{ "CAP_EXPORT", setup_null, call_export, 0, 1, 0 },
	{ "CAP_IMPORT", setup_key, call_import, 0, 1, 0 },
	{ "KEY_DROP", setup_key, call_key_drop, 0, 1, 0 },
	{ "FRAME_ALLOC", setup_env, call_frame_alloc, 0, 1, 0 },
	{ "NULL_ALLOC growing the table", setup_table_full, call_null_alloc, 0, 1, 0 },
	{ "CAP_DERIVE growing the table", setup_table_full, call_derive, 0, 1, 0 },
	{ "FRAME_ALLOC growing the table", setup_table_full, call_frame_alloc, 0, 1, 0 },
	{ "FRAME_MAP", setup_frames, call_frame_map, 1, 0, 0 },
	{ "FRAME_UNMAP", setup_mapped, call_frame_unmap, 1, 0, 0 },
	{ "CAPS_CLOSE", setup_mapped, call_caps_close, 1, 0, 0 },
	{ "SET_QUOTA", setup_env, call_set_quota, 0, 1, 0 },
	{ "info mmap", setup_env, call_info_mmap, 0, 1, 0 },
	{ "EXTENT_ATTACH", setup_env, call_attach, 1, 0, 1 },
	{ "EXTENT_ALLOC", setup_attached, call_extent_alloc, 1, 0, 1 },
	{ "EXTENT_IO", setup_extent, call_extent_io, 1, 0, 1 },
	{ "EXTENT_FREE", setup_extent, call_extent_free, 1, 0, 1 },
	{ "EXTENT_RECLAIM", setup_extent2, call_extent_reclaim, 1, 0, 1 },
	{ "XN_TEMPLATE", setup_xn, call_xn_template, 0, 1, 1 },
	{ "XN_ROOT", setup_xn, call_xn_root, 0, 1, 1 },
	{ "XN_UPDATE", setup_xn, call_xn_update, 0, 1, 1 },
	{ "XN_READ", setup_xn, call_xn_read, 0, 1, 1 },
	{ "XN_WRITE", setup_xn_data, call_xn_write, 0, 1, 1 },
	{ "XN_SUBTREE", setup_xn, call_xn_subtree, 0, 1, 1 },
	{ "XN_UPDATE through a subtree", setup_xn_tree, call_xn_update_tree, 0, 1, 1 },
};
#define NSCENS (sizeof(scens) / sizeof(scens[0]))

static int allowed(const struct scen *sc, int err)
{
	return err == ENOMEM || err == EFAULT ||
	       (sc->extent && (err == EIO || err == ENOSPC));
}

static void teardown(struct st *s)
{
	if (s->attached && s->fd >= 0) {
		struct exo_extent_detach d = { .size = sizeof(d) };

		ioctl(s->fd, EXO_IOC_EXTENT_DETACH, &d);
	}
	if (s->region)
		munmap(s->region, 4 * PAGE);
	if (s->info)
		munmap(s->info, 2 * PAGE);
	if (s->fd >= 0)
		close(s->fd);
	if (s->fd2 >= 0)
		close(s->fd2);
}

/*
 * After an extent scenario's teardown the disk must be free again: not
 * attached to exo (EXTENT_STAT: ENODEV) and not claimed by anyone (an
 * O_EXCL open of the block device succeeds).  Says which one stayed held,
 * lets the device go so the next sweeps can run, and returns 1 if either
 * did.
 */
static int disk_still_held(const struct scen *sc, int n, int err)
{
	struct exo_extent_stat st = { .size = sizeof(st) };
	struct exo_extent_detach d = { .size = sizeof(d) };
	int fd = open(EXO_DEVICE, O_RDWR), bfd, held = 0;

	if (fd >= 0 && !ioctl(fd, EXO_IOC_EXTENT_STAT, &st)) {
		printf("# %s: fault %d (%s): exo still has %s attached after teardown (the call failed but attached, or its undo did not detach)\n",
		       sc->name, n, strerror(err), disk);
		ioctl(fd, EXO_IOC_EXTENT_DETACH, &d);
		held = 1;
	}
	if (fd >= 0)
		close(fd);
	bfd = open(disk, O_RDWR | O_EXCL);
	if (bfd < 0 && errno == EBUSY) {
		printf("# %s: fault %d (%s): %s is still claimed exclusively with exo detached (a blkdev_get_by_path claim not put)\n",
		       sc->name, n, strerror(err), disk);
		held = 1;
	}
	if (bfd >= 0)
		close(bfd);
	return held;
}

static int env_info(int fd, struct exo_env_info *i)
{
	memset(i, 0, sizeof(*i));
	i->size = sizeof(*i);
	return fd < 0 ? -EBADF : io(fd, EXO_IOC_ENV_INFO, i);
}

static int same_state(const struct exo_env_info *a, const struct exo_env_info *b)
{
	return a->caps == b->caps && a->keys == b->keys &&
	       !memcmp(a->used, b->used, sizeof(a->used));
}

/* Sweep one call.  Returns the number of problems; *sites the faults injected. */
static int sweep(const struct scen *sc, int *sites)
{
	struct exo_totals zero = { 0 }, got;
	int n, r, inj, bad = 0, err;

	*sites = 0;
	for (n = 1; n <= MAX_N; n++) {
		struct st s = { .fd = -1, .fd2 = -1 };
		struct exo_env_info before, after, before2, after2;
		int active;

		if (sc->setup && (r = sc->setup(&s))) {
			printf("# %s: setup failed: %s\n", sc->name, strerror(-r));
			teardown(&s);
			return bad + 1;
		}
		active = sc->call == call_import || sc->call == call_extent_reclaim ?
			 s.fd2 : s.fd;
		env_info(s.fd, &before);
		env_info(s.fd2, &before2);

		if (kmsg_fd >= 0)
			dprintf(kmsg_fd, "exo_failnth: %s: fault %d\n", sc->name, n);
		set_nth(n);
		r = sc->call(&s);
		err = -r;
		inj = injected();

		if (!inj) {
			if (r) {
				printf("# %s: failed without an injected fault: %s\n",
				       sc->name, strerror(err));
				bad++;
			}
			teardown(&s);
			break;
		}
		(*sites)++;
		if (r && !allowed(sc, err)) {
			printf("# %s: fault %d: errno %s is not one the ABI allows here\n",
			       sc->name, n, strerror(err));
			bad++;
		}
		if (r && !sc->batched && sc->call != call_open) {
			env_info(s.fd, &after);
			env_info(s.fd2, &after2);
			if (!same_state(&before, &after) ||
			    (s.fd2 >= 0 && !same_state(&before2, &after2))) {
				printf("# %s: fault %d (%s): the failed call changed the env (caps %u->%u keys %u->%u)\n",
				       sc->name, n, strerror(err), before.caps,
				       after.caps, before.keys, after.keys);
				bad++;
			}
			if (sc->retry && (r = sc->call(&s))) {
				printf("# %s: fault %d: retry without injection failed: %s\n",
				       sc->name, n, strerror(-r));
				bad++;
			}
		}
		(void)active;
		teardown(&s);
		if (sc->extent)
			bad += disk_still_held(sc, n, err);
		r = exo_totals_wait(&zero, &got, 3000);
		if (r) {
			printf("# %s: fault %d: after close: %s\n", sc->name, n,
			       r == -ETIMEDOUT ? exo_totals_str(&got) : strerror(-r));
			bad++;
		}
		if (bad > 5)
			break;
	}
	if (n > MAX_N)
		printf("# %s: still injecting after %d faults\n", sc->name, MAX_N);
	return bad;
}

int main(void)
{
	unsigned int i;
	const char *only, *verbose;
	struct stat sb;
	int t = 0;

	printf("TAP version 13\n");
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0) {
		printf("1..0 # SKIP no /proc/thread-self/fail-nth (kernel without CONFIG_FAULT_INJECTION)\n");
		return 4;
	}
	if (access(EXO_DEVICE, R_OK | W_OK)) {
		printf("1..0 # SKIP %s not available\n", EXO_DEVICE);
		return 4;
	}
	disk = getenv("EXO_TEST_DISK");
	if (!disk && getenv("EXO_VM") && !stat("/dev/vda", &sb) && S_ISBLK(sb.st_mode))
		disk = "/dev/vda";

	only = getenv("EXO_FAILNTH_ONLY");
	verbose = getenv("EXO_FAILNTH_VERBOSE") && *getenv("EXO_FAILNTH_VERBOSE") == '1' ?
		  "1" : "0";

	/* Let fail-nth reach every allocation, quietly (unless told). */
	debugfs_set("/sys/kernel/debug/failslab/ignore-gfp-wait", "N");
	debugfs_set("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N");
	debugfs_set("/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N");
	debugfs_set("/sys/kernel/debug/fail_page_alloc/min-order", "0");
	debugfs_set("/sys/kernel/debug/failslab/verbose", verbose);
	debugfs_set("/sys/kernel/debug/fail_page_alloc/verbose", verbose);
	debugfs_set("/sys/kernel/debug/fail_usercopy/verbose", verbose);
	if (*verbose == '1')
		kmsg_fd = open("/dev/kmsg", O_WRONLY);

	/*
	 * A test binary run before this one may have left the disk attached
	 * (attachment outlives the env): let it go, so that the first
	 * EXTENT_ATTACH sweep does not find it attached and blame the call.
	 */
	if (disk) {
		struct exo_extent_detach d = { .size = sizeof(d) };
		int fd = open(EXO_DEVICE, O_RDWR);

		if (fd >= 0) {
			ioctl(fd, EXO_IOC_EXTENT_DETACH, &d);
			close(fd);
		}
	}

	printf("1..%zu\n", NSCENS);
	for (i = 0; i < NSCENS; i++) {
		const struct scen *sc = &scens[i];
		int sites, bad;

		t++;
		if (sc->extent && !disk) {
			printf("ok %d fail-nth %s # SKIP no scratch disk\n", t, sc->name);
			continue;
		}
		if (only && !strstr(sc->name, only)) {
			printf("ok %d fail-nth %s # SKIP not in EXO_FAILNTH_ONLY\n", t, sc->name);
			continue;
		}
		bad = sweep(sc, &sites);
		printf("%sok %d fail-nth %s: %d fault sites%s\n", bad ? "not " : "",
		       t, sc->name, sites, bad ? ", see above" : ", all handled");
		fflush(stdout);
	}
	return 0;
}
