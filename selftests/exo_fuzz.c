// SPDX-License-Identifier: GPL-2.0
/*
 * exo_fuzz — a small, typed fuzzer for /dev/exo (not syzkaller).
 *
 *   exo_fuzz [--calls N] [--procs P] [--seed S] [--no-race] [--no-extent]
 *   (or EXO_FUZZ_CALLS, EXO_FUZZ_PROCS, EXO_FUZZ_SEED in the environment)
 *
 * P worker processes (each with its own env(s) and a racing thread) make N
 * calls in all, drawn from a PRNG seeded with S + worker index: every exo
 * ioctl with well-typed but boundary-seeking arguments (sizes 0, first
 * version - 1, larger with junk, unknown flags, reserved bits, counts 0 and
 * EXO_BATCH_MAX + 1, NULL / unmapped / read-only / PROT_NONE / kernel /
 * exo-region user pointers, stale, revoked, foreign and garbage handles),
 * mmap/munmap/mprotect/mremap of regions and info pages, touching region
 * pages, read()/poll() of events, closing and reopening envs, fork + kill -9
 * of children that share the envs, and grant keys passed between workers
 * through shared memory.  The racing thread flips the size, count and
 * pointer fields of the argument struct while the ioctl runs (double
 * fetch).  The sequence of calls is fixed by the seed; the racer's timing
 * is not.
 *
 * A crash is a worker or child killed by a signal we did not send (SIGBUS
 * and SIGSEGV on deliberately touched region pages are caught and
 * expected), or a kernel problem in dmesg.  Afterwards, with every env
 * closed, the debugfs live counters must drop to zero and the frame pool
 * must be whole again.
 *
 * Output: TAP (run.sh runs it as one of the selftests, with the default
 * short budget), then "FUZZ calls=<n> crashes=<n>".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <liburing.h>
#include <linux/exo.h>

#include "exo_test.h"

#define PAGE		4096UL
#define MAX_FDS		4
#define MAX_CAPS	512
#define MAX_REGIONS	16
#define MAX_PFNS	256
#define SHARED_KEYS	64
#define ARENA_SIZE	(256UL << 20)	/* per worker, for regions */
#define ARENA_BASE	0x200000000000UL
#define SCRATCH_SIZE	(2UL << 20)	/* arrays for batched calls */

/* ---- shared between all processes ---------------------------------------- */

struct shared {
	unsigned long calls;
	unsigned long crashes;
	unsigned long expected_faults;
	unsigned long forks;
	unsigned long ok;
	unsigned long errnos[160];
	unsigned long op_calls[64], op_ok[64];	/* per op kind */
	int last_op[64];		/* per worker: op being run, for crash reports */
	unsigned long last_call[64];
	struct exo_key keys[SHARED_KEYS];
	__u64 env_ids[SHARED_KEYS];
};
static struct shared *sh;

static long budget_calls = 20000;
static int nprocs = 4;
static unsigned long long seed;
static int use_race = 1;
static int use_extent = 1;
static const char *disk;

/* ---- PRNG (xorshift64*) ---------------------------------------------------- */

static __thread unsigned long long rs;

static unsigned long long rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 2685821657736338717ULL;
}

static unsigned long long rn(unsigned long long n) { return n ? rnd() % n : 0; }
static int one_in(int n) { return rn(n) == 0; }

/* ---- per-process state ---------------------------------------------------- */

struct region {
	unsigned long addr, len;
	int fd;
};

static int fds[MAX_FDS];
static exo_cap_t caps[MAX_CAPS];
static signed char cap_env[MAX_CAPS];	/* index in fds[] of the env it came from */
static int ncaps;
static int cur;				/* fds[] index of the current op's env */
#define TYPED 32
static exo_cap_t frame_caps[TYPED], extent_caps[TYPED];	/* recent, any env */
static struct exo_key own_keys[16];			/* keys this process exported */
static __u64 pfns[MAX_PFNS];
static int npfns;
static struct region regions[MAX_REGIONS];
static int nregions;
static void *infos[MAX_FDS];
static unsigned long arena;
static int worker_idx;

/* Pointer targets. */
static unsigned char *argpage;		/* RW, never unmapped: ioctl structs */
static unsigned char *scratch;		/* RW arrays */
static unsigned char *ro_page;		/* PROT_READ */
static unsigned char *none_page;	/* PROT_NONE */
static unsigned char *edge_page;	/* RW page followed by an unmapped one */
static unsigned long unmapped_addr;

/* ---- the racer thread ------------------------------------------------------ */

/*
 * While an ioctl runs, the racer rewrites one 4- or 8-byte field of the
 * argument struct back and forth between its original value and a nasty
 * one: the kernel must copy the struct once and never trust a second read.
 */
static volatile int race_on;
static volatile int racer_running;
static volatile unsigned int race_off;	/* field offset in argpage */
static volatile unsigned int race_width;
static volatile unsigned long long race_val;
static sem_t race_go, race_done;

static void *racer(void *arg)
{
	unsigned long long orig;

	(void)arg;
	for (;;) {
		while (sem_wait(&race_go))
			;
		if (race_width == 4) {
			volatile __u32 *p = (volatile __u32 *)(argpage + race_off);

			orig = *p;
			racer_running = 1;
			while (race_on) {
				*p = (__u32)race_val;
				*p = (__u32)orig;
			}
		} else {
			volatile __u64 *p = (volatile __u64 *)(argpage + race_off);

			orig = *p;
			racer_running = 1;
			while (race_on) {
				*p = race_val;
				*p = orig;
			}
		}
		racer_running = 0;
		sem_post(&race_done);
	}
	return NULL;
}

/* ---- expected faults --------------------------------------------------------- */

static sigjmp_buf touch_jmp;
static volatile sig_atomic_t in_touch;

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (in_touch) {
		in_touch = 0;
		siglongjmp(touch_jmp, 1);
	}
	/* Not ours: die of it, so the parent counts a crash. */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Read or write one byte at @p; SIGBUS/SIGSEGV there is expected. */
static void touch(volatile unsigned char *p, int write)
{
	if (sigsetjmp(touch_jmp, 1)) {
		__atomic_fetch_add(&sh->expected_faults, 1, __ATOMIC_RELAXED);
		return;
	}
	in_touch = 1;
	if (write)
		*p = (unsigned char)rnd();
	else
		(void)*p;
	in_touch = 0;
}

/* ---- value choosers ------------------------------------------------------------ */

/* Choose the env of the next op: mostly the first open one. */
static void choose_env(void)
{
	int i;

	cur = rn(MAX_FDS);
	if (fds[cur] >= 0 && !one_in(2))
		return;
	for (i = 0; i < MAX_FDS; i++) {
		if (fds[i] >= 0) {
			cur = i;
			return;
		}
	}
}

static int pick_fd(void)
{
	if (one_in(100))
		return one_in(2) ? -1 : 1000;	/* bad fd */
	if (one_in(100))
		return 0;			/* not /dev/exo */
	if (one_in(20))
		return fds[rn(MAX_FDS)];	/* maybe another env */
	return fds[cur];
}

static void add_cap(exo_cap_t c)
{
	if (!c)
		return;
	int i = ncaps < MAX_CAPS ? ncaps++ : (int)rn(MAX_CAPS);

	caps[i] = c;
	cap_env[i] = cur;
}

/* Forget most capabilities of a closed env (a few stay, stale). */
static void forget_env(int idx)
{
	int i;

	for (i = 0; i < ncaps; i++) {
		if (cap_env[i] == idx && !one_in(8)) {
			caps[i] = caps[--ncaps];
			cap_env[i] = cap_env[ncaps];
			i--;
		}
	}
}

static void add_typed(exo_cap_t *pool, exo_cap_t c)
{
	pool[rn(TYPED)] = c;
}

/* Mostly a recent frame (or extent) capability, else any handle. */
static exo_cap_t pick_typed(const exo_cap_t *pool);

/* A capability of the current env, if it has any. */
static exo_cap_t own_cap(void)
{
	int i, start;

	if (!ncaps)
		return (1ULL << 32) | rn(8);
	start = rn(ncaps);
	for (i = 0; i < 16; i++) {
		int k = (start + i) % ncaps;

		if (cap_env[k] == cur)
			return caps[k];
	}
	return caps[start];
}

static exo_cap_t pick_cap(void)
{
	exo_cap_t c;

	switch (rn(20)) {
	case 0:
		return 0;
	case 1:
		return ~0ULL;
	case 2:
		return rnd();
	case 3:	/* stale generation */
		c = ncaps ? caps[rn(ncaps)] : 1;
		return c - (1ULL << 32);
	case 4:	/* slot out of range / huge slot */
		return (1ULL << 32) | (__u32)(0xfffff000 + rn(0x1000));
	case 5:	/* small slot, generation 1 */
		return (1ULL << 32) | rn(16);
	case 6: case 7:
		return ncaps ? caps[rn(ncaps)] : (1ULL << 32) | rn(8);
	default:
		return own_cap();
	}
}

static exo_cap_t pick_typed(const exo_cap_t *pool)
{
	exo_cap_t c = pool[rn(TYPED)];

	return c && !one_in(3) ? c : pick_cap();
}

static __u32 pick_rights(void)
{
	switch (rn(6)) {
	case 0: return 0;
	case 1: return EXO_RIGHTS_ALL;
	case 2: return rnd();			/* unknown bits */
	case 3: return EXO_RIGHTS_ALL | (1U << 6);
	default: return rnd() & EXO_RIGHTS_ALL;
	}
}

static __u32 pick_flags(__u32 known)
{
	switch (rn(20)) {
	case 0: return rnd();
	case 1: return 1U << rn(32);
	case 2: return known;
	case 3: case 4: return rnd() & known;
	default: return 0;
	}
}

static __u32 pick_count(__u32 sane)
{
	switch (rn(12)) {
	case 0: return 0;
	case 1: return EXO_BATCH_MAX + 1;
	case 2: return EXO_BATCH_MAX;
	case 3: return 0xffffffff;
	case 4: return 0x80000000;
	case 5: return 1 + rn(1024);
	default: return 1 + rn(sane);
	}
}

static unsigned long region_addr(void)
{
	struct region *r;

	if (!nregions)
		return arena + rn(64) * PAGE;
	r = &regions[rn(nregions)];
	switch (rn(8)) {
	case 0: return r->addr + r->len;		/* just past the end */
	case 1: return r->addr + rn(r->len);		/* unaligned */
	case 2: return r->addr - PAGE;
	case 3: return rnd();
	default: return r->addr + rn(r->len / PAGE) * PAGE;
	}
}

/*
 * A user pointer for a buffer of @len bytes whose good copy is @good:
 * mostly @good, else every kind of bad pointer.
 */
static unsigned long pick_ptr(void *good, size_t len)
{
	switch (rn(40)) {
	case 0: return 0;
	case 1: return unmapped_addr;
	case 2: return (unsigned long)ro_page;
	case 3: return (unsigned long)none_page;
	case 4:	/* straddles the end of a page followed by a hole */
		return (unsigned long)edge_page + PAGE - (len > 8 && len < PAGE ? len / 2 : 4);
	case 5: return 0xffff888000000000UL;		/* kernel */
	case 6: return 0x0000800000000000UL;		/* non-canonical */
	case 7: return region_addr();			/* exo region */
	case 8: return (unsigned long)good + 1;		/* misaligned */
	case 9:	/* a flipped high bit: non-canonical (never another mapping of ours) */
		return (unsigned long)good ^ (1UL << (47 + rn(17)));
	default: return (unsigned long)good;
	}
}

/* ---- the ioctl call with size games and the racer --------------------------------- */

/*
 * Run ioctl @cmd on @fd with the struct of @len bytes at argpage (size
 * field at offset 0), after choosing the size to pass and the pointer to
 * pass.  @race_fields lists candidate offsets/widths for the racer.
 */
struct field {
	unsigned short off, width;
};

static int cur_op;

static void count_call(int ret)
{
	__atomic_fetch_add(&sh->op_calls[cur_op], 1, __ATOMIC_RELAXED);
	if (ret >= 0)
		__atomic_fetch_add(&sh->op_ok[cur_op], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&sh->calls, 1, __ATOMIC_RELAXED);
	if (ret >= 0)
		__atomic_fetch_add(&sh->ok, 1, __ATOMIC_RELAXED);
	else if (errno > 0 && errno < 160)
		__atomic_fetch_add(&sh->errnos[errno], 1, __ATOMIC_RELAXED);
}

static int do_ioctl(int fd, unsigned long cmd, size_t len,
		    const struct field *rf, int nrf)
{
	unsigned long arg = (unsigned long)argpage;
	__u32 *size = (__u32 *)argpage;
	int ret, raced = 0;

	/* The size field. */
	switch (rn(40)) {
	case 0: *size = 0; break;
	case 1: *size = 7; break;
	case 2: *size = len - 4; break;			/* first version - 1 */
	case 3: *size = len + 8; break;			/* bigger, zero tail */
	case 4:						/* bigger, junk tail */
		*size = len + 8;
		memset(argpage + len, 0xa5, 8);
		break;
	case 5: *size = 0xffffffff; break;
	case 6: *size = PAGE * 2; break;
	default: *size = len; break;
	}
	if (*size != len + 8 || argpage[len] != 0xa5)
		memset(argpage + len, 0, 64);

	/* The argument pointer. */
	if (one_in(16))
		arg = pick_ptr(argpage, len);
	if (one_in(64)) {
		/* the struct right at the end of a page before a hole */
		memcpy(edge_page + PAGE - len, argpage, len);
		arg = (unsigned long)edge_page + PAGE - len + (one_in(2) ? 4 : 0);
	}
	if (one_in(64))
		cmd = (cmd & ~0xffUL) | rn(0x30);		/* wrong number */
	if (one_in(128))
		cmd = _IOWR(EXO_IOC_TYPE, _IOC_NR(cmd), __u64);	/* dir/size bits */

	if (use_race && nrf && one_in(4)) {
		const struct field *f = one_in(3) ? &(struct field){0, 4}
						  : &rf[rn(nrf)];

		race_off = f->off;
		race_width = f->width;
		switch (rn(4)) {
		case 0: race_val = 0; break;
		case 1: race_val = ~0ULL; break;
		case 2: race_val = EXO_BATCH_MAX + 1; break;
		default: race_val = rnd(); break;
		}
		__atomic_store_n(&race_on, 1, __ATOMIC_SEQ_CST);
		sem_post(&race_go);
		while (!racer_running)
			;
		raced = 1;
	}
	ret = ioctl(fd, cmd, arg);
	if (raced) {
		__atomic_store_n(&race_on, 0, __ATOMIC_SEQ_CST);
		while (sem_wait(&race_done))
			;
	}
	count_call(ret);
	return ret;
}

#define F(type, member) { offsetof(type, member), sizeof(((type *)0)->member) }

/* ---- operations ----------------------------------------------------------------- */

static void op_open(void)
{
	int i = rn(MAX_FDS);

	if (fds[i] >= 0) {
		if (infos[i] && one_in(2)) {
			munmap(infos[i], 2 * PAGE);
			infos[i] = NULL;
		}
		close(fds[i]);		/* regions of it stay mapped */
		fds[i] = -1;
		forget_env(i);
		count_call(0);
		return;
	}
	fds[i] = open(EXO_DEVICE, one_in(8) ? O_RDWR | O_NONBLOCK : O_RDWR);
	count_call(fds[i]);
}

static void op_features(void)
{
	static const struct field rf[] = { F(struct exo_features, flags) };
	struct exo_features *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	do_ioctl(pick_fd(), EXO_IOC_GET_FEATURES, sizeof(*a), rf, 1);
}

static void op_env_info(void)
{
	static const struct field rf[] = { F(struct exo_env_info, flags) };
	struct exo_env_info *a = (void *)argpage;
	int fd = pick_fd();

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	if (do_ioctl(fd, EXO_IOC_ENV_INFO, sizeof(*a), rf, 1) == 0)
		sh->env_ids[rn(SHARED_KEYS)] = a->env_id;
}

static void op_null_alloc(void)
{
	static const struct field rf[] = { F(struct exo_null_alloc, flags) };
	struct exo_null_alloc *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	if (do_ioctl(pick_fd(), EXO_IOC_NULL_ALLOC, sizeof(*a), rf, 1) == 0)
		add_cap(a->cap);
}

static void op_cap_info(void)
{
	static const struct field rf[] = { F(struct exo_cap_info, cap) };
	struct exo_cap_info *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->cap = pick_cap();
	if (do_ioctl(pick_fd(), EXO_IOC_CAP_INFO, sizeof(*a), rf, 1) == 0 &&
	    a->kind == EXO_KIND_FRAME && npfns < MAX_PFNS)
		pfns[npfns++] = a->obj_id;
}

static void op_derive(void)
{
	static const struct field rf[] = {
		F(struct exo_cap_derive, cap), F(struct exo_cap_derive, rights),
		F(struct exo_cap_derive, __reserved),
	};
	struct exo_cap_derive *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->cap = pick_cap();
	a->rights = pick_rights();
	if (one_in(20))
		a->__reserved = rnd();
	if (do_ioctl(pick_fd(), EXO_IOC_CAP_DERIVE, sizeof(*a), rf, 3) == 0)
		add_cap(a->child);
}

static void op_revoke(void)
{
	static const struct field rf[] = {
		F(struct exo_cap_revoke, cap), F(struct exo_cap_revoke, flags),
	};
	struct exo_cap_revoke *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(EXO_REVOKE_SELF);
	a->cap = pick_cap();
	do_ioctl(pick_fd(), EXO_IOC_CAP_REVOKE, sizeof(*a), rf, 2);
}

static void op_close(void)
{
	static const struct field rf[] = { F(struct exo_cap_close, cap) };
	struct exo_cap_close *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->cap = pick_cap();
	do_ioctl(pick_fd(), EXO_IOC_CAP_CLOSE, sizeof(*a), rf, 1);
}

static void op_export(void)
{
	static const struct field rf[] = {
		F(struct exo_cap_export, cap), F(struct exo_cap_export, rights),
		F(struct exo_cap_export, flags),
	};
	struct exo_cap_export *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(EXO_KEY_REUSABLE);
	a->cap = pick_cap();
	a->rights = pick_rights();
	if (one_in(20))
		a->__reserved = 1;
	if (do_ioctl(pick_fd(), EXO_IOC_CAP_EXPORT, sizeof(*a), rf, 3) == 0) {
		sh->keys[rn(SHARED_KEYS)] = a->key;
		own_keys[rn(16)] = a->key;
	}
}

static struct exo_key pick_key(void)
{
	struct exo_key k = one_in(2) ? own_keys[rn(16)] : sh->keys[rn(SHARED_KEYS)];

	if (one_in(8)) {
		k.lo = rnd();
		k.hi = rnd();
	} else if (one_in(10)) {
		k.lo ^= 1;
	}
	return k;
}

static void op_import(void)
{
	static const struct field rf[] = {
		F(struct exo_cap_import, key.lo), F(struct exo_cap_import, key.hi),
	};
	struct exo_cap_import *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->key = pick_key();
	if (do_ioctl(pick_fd(), EXO_IOC_CAP_IMPORT, sizeof(*a), rf, 2) == 0)
		add_cap(a->cap);
}

static void op_key_drop(void)
{
	static const struct field rf[] = { F(struct exo_key_drop, key.lo) };
	struct exo_key_drop *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->key = pick_key();
	do_ioctl(pick_fd(), EXO_IOC_KEY_DROP, sizeof(*a), rf, 1);
}

static void op_frame_alloc(void)
{
	static const struct field rf[] = {
		F(struct exo_frame_alloc, count), F(struct exo_frame_alloc, caps),
		F(struct exo_frame_alloc, pfns), F(struct exo_frame_alloc, flags),
	};
	struct exo_frame_alloc *a = (void *)argpage;
	exo_cap_t *c = (exo_cap_t *)scratch;
	__u64 *p = (__u64 *)(scratch + SCRATCH_SIZE / 2);
	__u32 i, n;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(EXO_FRAME_BY_PFN | EXO_FRAME_RECYCLE);
	a->count = one_in(3) ? pick_count(8) : 1 + rn(8);
	if (a->count > 4096 && !one_in(8))
		a->count = 1 + rn(16);	/* keep huge allocations rare */
	if (one_in(20))
		a->__reserved = rnd();
	n = a->count < (SCRATCH_SIZE / 2) / 8 ? a->count : (SCRATCH_SIZE / 2) / 8;
	for (i = 0; i < n && i < 64; i++) {
		switch (rn(6)) {
		case 0: p[i] = rnd(); break;
		case 1: p[i] = i ? p[i - 1] : 0; break;	/* repeated */
		default: p[i] = npfns ? pfns[rn(npfns)] + rn(3) - 1 : rn(1 << 20);
		}
	}
	a->caps = pick_ptr(c, 8 * (size_t)a->count);
	a->pfns = pick_ptr(p, 8 * (size_t)a->count);
	if (do_ioctl(pick_fd(), EXO_IOC_FRAME_ALLOC, sizeof(*a), rf, 4) == 0 &&
	    a->caps == (unsigned long)c) {
		for (i = 0; i < a->count && i < 64; i++) {
			add_cap(c[i]);
			add_typed(frame_caps, c[i]);
			if (a->pfns == (unsigned long)p && npfns < MAX_PFNS)
				pfns[npfns++] = p[i];
		}
	}
}

static void op_frame_map(void)
{
	static const struct field rf[] = {
		F(struct exo_frame_map, count), F(struct exo_frame_map, entries),
	};
	struct exo_frame_map *a = (void *)argpage;
	struct exo_map_entry *e = (struct exo_map_entry *)scratch;
	__u32 i;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->count = one_in(4) ? pick_count(16) : 1 + rn(16);
	for (i = 0; i < a->count && i < 256; i++) {
		e[i].addr = region_addr();
		e[i].cap = pick_typed(frame_caps);
		e[i].prot = one_in(10) ? rnd() : 1 + rn(3);
		e[i].__reserved = one_in(30) ? 1 : 0;
	}
	a->entries = pick_ptr(e, sizeof(*e) * (size_t)a->count);
	if (one_in(20))
		a->__reserved = 1;
	do_ioctl(pick_fd(), EXO_IOC_FRAME_MAP, sizeof(*a), rf, 2);
}

static void op_frame_unmap(void)
{
	static const struct field rf[] = {
		F(struct exo_frame_unmap, count), F(struct exo_frame_unmap, addrs),
	};
	struct exo_frame_unmap *a = (void *)argpage;
	__u64 *ad = (__u64 *)scratch;
	__u32 i;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->count = one_in(4) ? pick_count(16) : 1 + rn(16);
	for (i = 0; i < a->count && i < 256; i++)
		ad[i] = region_addr();
	a->addrs = pick_ptr(ad, 8 * (size_t)a->count);
	do_ioctl(pick_fd(), EXO_IOC_FRAME_UNMAP, sizeof(*a), rf, 2);
}

static void op_caps_close(void)
{
	static const struct field rf[] = {
		F(struct exo_caps_close, count), F(struct exo_caps_close, caps),
	};
	struct exo_caps_close *a = (void *)argpage;
	exo_cap_t *c = (exo_cap_t *)scratch;
	__u32 i;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->count = one_in(4) ? pick_count(8) : 1 + rn(8);
	for (i = 0; i < a->count && i < 256; i++)
		c[i] = pick_cap();
	a->caps = pick_ptr(c, 8 * (size_t)a->count);
	do_ioctl(pick_fd(), EXO_IOC_CAPS_CLOSE, sizeof(*a), rf, 2);
}

static void op_set_quota(void)
{
	static const struct field rf[] = {
		F(struct exo_set_quota, kind), F(struct exo_set_quota, env_id),
	};
	struct exo_set_quota *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->env_id = one_in(2) ? 0 : one_in(4) ? rnd() : sh->env_ids[rn(SHARED_KEYS)];
	a->kind = one_in(5) ? rnd() : rn(EXO_KIND_MAX + 1);
	/* mostly generous, so the other calls keep working */
	a->quota = one_in(4) ? rn(8) : one_in(8) ? 0xffffffff : 1024 + rn(4096);
	do_ioctl(pick_fd(), EXO_IOC_SET_QUOTA, sizeof(*a), rf, 2);
}

/* ---- extents -------------------------------------------------------------------- */

static void op_extent_attach(void)
{
	static const struct field rf[] = { F(struct exo_extent_attach, path) };
	struct exo_extent_attach *a = (void *)argpage;
	char *path = (char *)scratch;

	memset(a, 0, sizeof(*a));
	a->flags = one_in(3) ? pick_flags(EXO_ATTACH_FORMAT) : EXO_ATTACH_FORMAT;
	switch (rn(6)) {
	case 0: strcpy(path, "/dev/null"); break;
	case 1: strcpy(path, "/nonexistent"); break;
	case 2: memset(path, 'a', 8192); break;		/* no NUL for 8 KiB */
	default: strcpy(path, disk); break;
	}
	a->path = pick_ptr(path, 16);
	if (one_in(10)) {	/* a string that runs into a hole */
		memcpy(edge_page + PAGE - 4, "/dev", 4);
		a->path = (unsigned long)edge_page + PAGE - 4;
	}
	do_ioctl(pick_fd(), EXO_IOC_EXTENT_ATTACH, sizeof(*a), rf, 1);
}

static void op_extent_detach(void)
{
	struct exo_extent_detach *a = (void *)argpage;

	if (!one_in(4))		/* keep the disk attached most of the time */
		return;
	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	do_ioctl(pick_fd(), EXO_IOC_EXTENT_DETACH, sizeof(*a), NULL, 0);
}

static void op_extent_stat(void)
{
	struct exo_extent_stat *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	do_ioctl(pick_fd(), EXO_IOC_EXTENT_STAT, sizeof(*a), NULL, 0);
}

static void op_extent_alloc(void)
{
	static const struct field rf[] = {
		F(struct exo_extent_alloc, start), F(struct exo_extent_alloc, count),
		F(struct exo_extent_alloc, flags),
	};
	struct exo_extent_alloc *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(EXO_EXTENT_AT);
	switch (rn(6)) {
	case 0: a->count = 0; break;
	case 1: a->count = ~0ULL; break;
	case 2: a->count = 1ULL << 40; break;
	default: a->count = 1 + rn(8);
	}
	switch (rn(6)) {
	case 0: a->start = ~0ULL - rn(4); break;	/* start + count overflows */
	case 1: a->start = 0; break;			/* reserved area */
	case 2: a->start = rnd(); break;
	default: a->start = 64 + rn(16000);
	}
	if (one_in(20))
		a->__reserved = 1;
	if (do_ioctl(pick_fd(), EXO_IOC_EXTENT_ALLOC, sizeof(*a), rf, 3) == 0) {
		add_cap(a->cap);
		add_typed(extent_caps, a->cap);
		if (a->new_key)
			sh->keys[rn(SHARED_KEYS)] = a->key;	/* principal keys */
	}
}

static void op_extent_free(void)
{
	static const struct field rf[] = { F(struct exo_extent_free, cap) };
	struct exo_extent_free *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->cap = pick_typed(extent_caps);
	do_ioctl(pick_fd(), EXO_IOC_EXTENT_FREE, sizeof(*a), rf, 1);
}

static void op_extent_reclaim(void)
{
	static const struct field rf[] = {
		F(struct exo_extent_reclaim, max), F(struct exo_extent_reclaim, extents),
	};
	struct exo_extent_reclaim *a = (void *)argpage;
	struct exo_extent_desc *d = (struct exo_extent_desc *)scratch;
	__u32 i;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->key = pick_key();
	a->max = one_in(4) ? pick_count(16) : rn(64);
	a->extents = pick_ptr(d, sizeof(*d) * (size_t)a->max);
	if (do_ioctl(pick_fd(), EXO_IOC_EXTENT_RECLAIM, sizeof(*a), rf, 2) == 0 &&
	    a->extents == (unsigned long)d)
		for (i = 0; i < a->done && i < 64; i++)
			add_cap(d[i].cap);
}

static void op_extent_io(void)
{
	static const struct field rf[] = {
		F(struct exo_extent_io, count), F(struct exo_extent_io, vecs),
	};
	struct exo_extent_io *a = (void *)argpage;
	struct exo_extent_iovec *v = (struct exo_extent_iovec *)scratch;
	__u32 i;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(EXO_IO_FUA | EXO_IO_FLUSH);
	a->count = one_in(4) ? pick_count(8) : 1 + rn(8);
	if (one_in(8))
		a->count = EXO_EXTENT_IO_MAX + 1;
	for (i = 0; i < a->count && i < 256; i++) {
		v[i].extent = pick_typed(extent_caps);
		v[i].frame = pick_typed(frame_caps);
		v[i].block = one_in(5) ? rnd() : rn(8);
		v[i].op = one_in(10) ? rnd() : rn(2);
		v[i].flags = pick_flags(EXO_IO_FUA);
	}
	a->vecs = pick_ptr(v, sizeof(*v) * (size_t)a->count);
	do_ioctl(pick_fd(), EXO_IOC_EXTENT_IO, sizeof(*a), rf, 2);
}

/* ---- memory: regions and info pages ------------------------------------------------ */

static void op_mmap_region(void)
{
	unsigned long addr, len, off;
	int fd = pick_fd(), prot, flags;
	void *p;

	addr = arena + rn(ARENA_SIZE / PAGE / 16) * 16 * PAGE;
	len = (1 + rn(16)) * PAGE;
	off = addr;
	if (one_in(12))
		off += PAGE;			/* offset != address */
	if (one_in(16))
		len = 0;
	prot = one_in(8) ? PROT_READ : one_in(16) ? PROT_NONE
					      : PROT_READ | PROT_WRITE;
	flags = one_in(16) ? MAP_PRIVATE : MAP_SHARED;
	flags |= MAP_FIXED_NOREPLACE;
	p = mmap((void *)addr, len, prot, flags, fd, off);
	count_call(p == MAP_FAILED ? -1 : 0);
	if (p == MAP_FAILED)
		return;
	if (p != (void *)addr || nregions == MAX_REGIONS) {
		munmap(p, len);
		return;
	}
	regions[nregions].addr = addr;
	regions[nregions].len = len;
	regions[nregions].fd = fd;
	nregions++;
}

static void op_munmap_region(void)
{
	struct region *r;
	int i;

	if (!nregions)
		return;
	i = rn(nregions);
	r = &regions[i];
	if (one_in(3) && r->len > PAGE) {
		/* split: unmap one page from the middle or end */
		unsigned long pg = rn(r->len / PAGE);

		count_call(munmap((void *)(r->addr + pg * PAGE), PAGE));
		if (pg == 0) {
			r->addr += PAGE;
			r->len -= PAGE;
		} else {
			r->len = pg * PAGE;	/* forget the tail */
		}
		return;
	}
	count_call(munmap((void *)r->addr, r->len));
	regions[i] = regions[--nregions];
}

static void op_mprotect_region(void)
{
	static const int prots[] = {
		PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE,
		PROT_READ | PROT_EXEC,
	};
	struct region *r;

	if (!nregions)
		return;
	r = &regions[rn(nregions)];
	count_call(mprotect((void *)r->addr, r->len, prots[rn(5)]));
}

static void op_mremap_region(void)
{
	struct region *r;
	void *p;

	if (!nregions)
		return;
	r = &regions[rn(nregions)];
	/* must fail (EINVAL): a region's offset is its address */
	p = mremap((void *)r->addr, r->len, r->len + PAGE, MREMAP_MAYMOVE);
	count_call(p == MAP_FAILED ? -1 : 0);
	if (p != MAP_FAILED) {
		fprintf(stderr, "# mremap of a region at %#lx succeeded\n", r->addr);
		munmap(p, r->len + PAGE);
		*r = regions[--nregions];
	}
}

static void op_madvise(void)
{
	static const int advs[] = {
		MADV_DONTNEED, MADV_DONTFORK, MADV_DOFORK, MADV_REMOVE,
		MADV_WILLNEED, MADV_COLD, MADV_PAGEOUT, MADV_POPULATE_READ,
		MADV_POPULATE_WRITE, MADV_FREE, MADV_WIPEONFORK,
	};
	struct region *r;

	if (!nregions)
		return;
	r = &regions[rn(nregions)];
	count_call(madvise((void *)r->addr, r->len, advs[rn(11)]));
}

/* dup() an env fd into another slot (the env lives while either is open). */
static void op_dup(void)
{
	int i = rn(MAX_FDS), fd = pick_fd();

	if (fds[i] >= 0 || fd < 0)
		return;
	fds[i] = dup(fd);
	count_call(fds[i]);
}

static void op_touch(void)
{
	struct region *r;
	int i, n = 1 + rn(8);

	if (!nregions)
		return;
	r = &regions[rn(nregions)];
	for (i = 0; i < n; i++)
		touch((unsigned char *)r->addr + rn(r->len), rn(2));
	count_call(0);
}

static void op_info(void)
{
	int i = rn(MAX_FDS), fd = fds[i];
	unsigned long len = 2 * PAGE;
	int prot = PROT_READ, flags = MAP_SHARED;
	unsigned long long off = EXO_INFO_OFFSET;
	void *p;

	if (fd < 0)
		return;
	if (infos[i]) {
		volatile struct exo_env_page *ep = (void *)((char *)infos[i] + PAGE);

		if (one_in(3)) {
			munmap(infos[i], 2 * PAGE);
			infos[i] = NULL;
		} else {
			(void)ep->frames_used;
			/* writing a read-only info page must fault */
			if (one_in(20))
				touch((unsigned char *)infos[i], 1);
		}
		count_call(0);
		return;
	}
	switch (rn(10)) {
	case 0: len = 3 * PAGE; break;
	case 1: len = PAGE; break;
	case 2: prot |= PROT_WRITE; break;
	case 3: flags = MAP_PRIVATE; break;
	case 4: off += PAGE; break;
	case 5: len = 1; break;
	}
	p = mmap(NULL, len, prot, flags, fd, off);
	count_call(p == MAP_FAILED ? -1 : 0);
	if (p == MAP_FAILED)
		return;
	if (len == 2 * PAGE && prot == PROT_READ) {
		infos[i] = p;
		touch(p, 0);
		touch((unsigned char *)p + PAGE, 0);
	} else {
		touch(p, 0);
		munmap(p, len);
	}
}

static void op_read_poll(void)
{
	int fd = pick_fd();
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len;
	unsigned long buf;
	ssize_t r;

	if (one_in(2)) {
		count_call(poll(&pfd, 1, 0));
		return;
	}
	switch (rn(6)) {
	case 0: len = 0; break;
	case 1: len = sizeof(struct exo_event) - 1; break;
	case 2: len = 1UL << 30; break;
	default: len = sizeof(struct exo_event) * (1 + rn(EXO_EV_QUEUE + 2));
	}
	buf = pick_ptr(scratch, len > SCRATCH_SIZE ? SCRATCH_SIZE : len);
	if (len > SCRATCH_SIZE && buf == (unsigned long)scratch)
		len = SCRATCH_SIZE;
	/* never block: peek with poll first unless the fd is non-blocking */
	if (poll(&pfd, 1, 0) <= 0 && !(fcntl(fd, F_GETFL) & O_NONBLOCK))
		return;
	r = read(fd, (void *)buf, len);
	count_call(r < 0 ? -1 : 0);
}

/* Ask the kernel (debugfs) to revoke frames or extent leases from some env. */
static void op_debugfs_revoke(void)
{
	char line[64];
	int fd = open(EXO_DEBUGFS "/revoke", O_WRONLY);

	if (fd < 0)
		return;
	if (one_in(3))
		snprintf(line, sizeof(line), "all %u %u", (unsigned)rn(8),
			 (unsigned)rn(50));
	else if (one_in(2))	/* extent leases */
		snprintf(line, sizeof(line), "extents %llu %u %u",
			 (unsigned long long)sh->env_ids[rn(SHARED_KEYS)],
			 (unsigned)rn(4), (unsigned)rn(100));
	else
		snprintf(line, sizeof(line), "%llu %u %u",
			 (unsigned long long)sh->env_ids[rn(SHARED_KEYS)],
			 (unsigned)rn(16), (unsigned)rn(100));
	count_call(write(fd, line, strlen(line)) < 0 ? -1 : 0);
	close(fd);
}

/*
 * Extent I/O through io_uring (uring_cmd): a ring per worker, SQE128 most
 * of the time; a few commands with picked handles, then either reap the
 * completions or tear the ring down with them in flight.
 */
static struct io_uring ring;
static int ring_ok, ring_big;

static void op_uring(void)
{
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = { .tv_nsec = 200 * 1000 * 1000 };
	int i, n = 1 + rn(4), fd = pick_fd(), sub;

	if (!ring_ok || one_in(30)) {
		if (ring_ok)
			io_uring_queue_exit(&ring);	/* maybe with I/O in flight */
		ring_big = !one_in(8);
		ring_ok = !io_uring_queue_init(8, &ring,
					       ring_big ? IORING_SETUP_SQE128 : 0);
		count_call(ring_ok ? 0 : -1);
		return;
	}
	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		struct exo_extent_iovec v = {
			.extent = pick_typed(extent_caps),
			.frame = pick_typed(frame_caps),
			.block = one_in(5) ? rnd() : rn(8),
			.op = one_in(10) ? rnd() : rn(2),
			.flags = pick_flags(EXO_IO_FUA),
		};

		if (!sqe)
			break;
		io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
		sqe->cmd_op = one_in(10) ? rnd() : 1 + rn(2);
		/* a 64-byte SQE has only 16 bytes of command area */
		if (sqe->cmd_op == EXO_URING_EXTENT_IO || one_in(10))
			memcpy(sqe->cmd, &v, ring_big ? sizeof(v) : 16);
		if (one_in(10))
			sqe->flags |= IOSQE_IO_LINK;
		if (one_in(20))
			sqe->flags |= IOSQE_ASYNC;	/* the io-wq path */
	}
	sub = io_uring_submit(&ring);
	count_call(sub < 0 ? -1 : 0);
	if (sub <= 0 || one_in(10))
		return;		/* leave them in flight */
	for (i = 0; i < sub; i++) {
		if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts))
			break;
		io_uring_cqe_seen(&ring, cqe);
	}
}

/* A raw ioctl: any number in exo's space, any pointer. */
static void op_raw(void)
{
	unsigned long cmd = _IO(EXO_IOC_TYPE, rn(0x20));
	size_t i;

	for (i = 0; i < 128; i += 8)
		*(__u64 *)(argpage + i) = one_in(2) ? 0 : rnd();
	if (one_in(4))
		cmd = rnd() & 0xffffffff;
	do_ioctl(pick_fd(), cmd, 8 + rn(120), NULL, 0);
}

static void run_ops(long n, int depth);

/* fork: the child uses the same envs and regions, then is killed -9 or exits. */
static void op_fork(int depth)
{
	pid_t pid;
	int st;

	if (depth > 1)
		return;
	__atomic_fetch_add(&sh->forks, 1, __ATOMIC_RELAXED);
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		rs ^= 0x9e3779b97f4a7c15ULL;
		use_race = 0;		/* the racer thread stayed in the parent */
		ring_ok = 0;		/* the ring is the parent's */
		run_ops(20 + rn(200), depth + 1);
		_exit(0);
	}
	count_call(0);
	if (one_in(2)) {
		usleep(rn(3000));
		kill(pid, SIGKILL);
	}
	if (waitpid(pid, &st, 0) != pid)
		return;
	if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL) {
		fprintf(stderr, "# child of worker %d died by signal %d\n",
			worker_idx, WTERMSIG(st));
		__atomic_fetch_add(&sh->crashes, 1, __ATOMIC_RELAXED);
	}
}

typedef void (*op_fn)(void);

static const struct {
	op_fn fn;
	int weight;
	int extent;
} ops[] = {
	{ op_open, 3, 0 },
	{ op_features, 2, 0 },
	{ op_env_info, 3, 0 },
	{ op_null_alloc, 8, 0 },
	{ op_cap_info, 6, 0 },
	{ op_derive, 10, 0 },
	{ op_revoke, 6, 0 },
	{ op_close, 6, 0 },
	{ op_export, 6, 0 },
	{ op_import, 6, 0 },
	{ op_key_drop, 3, 0 },
	{ op_frame_alloc, 10, 0 },
	{ op_frame_map, 12, 0 },
	{ op_frame_unmap, 6, 0 },
	{ op_caps_close, 4, 0 },
	{ op_set_quota, 2, 0 },
	{ op_extent_attach, 1, 1 },
	{ op_extent_detach, 1, 1 },
	{ op_extent_stat, 1, 1 },
	{ op_extent_alloc, 4, 1 },
	{ op_extent_free, 2, 1 },
	{ op_extent_reclaim, 2, 1 },
	{ op_extent_io, 4, 1 },
	{ op_mmap_region, 6, 0 },
	{ op_munmap_region, 3, 0 },
	{ op_mprotect_region, 2, 0 },
	{ op_mremap_region, 1, 0 },
	{ op_touch, 6, 0 },
	{ op_madvise, 2, 0 },
	{ op_dup, 1, 0 },
	{ op_info, 3, 0 },
	{ op_read_poll, 3, 0 },
	{ op_debugfs_revoke, 1, 0 },
	{ op_raw, 2, 0 },
	{ op_uring, 3, 1 },
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

static const char *const op_names[] = {
	"open",
	"features",
	"env_info",
	"null_alloc",
	"cap_info",
	"derive",
	"revoke",
	"close",
	"export",
	"import",
	"key_drop",
	"frame_alloc",
	"frame_map",
	"frame_unmap",
	"caps_close",
	"set_quota",
	"extent_attach",
	"extent_detach",
	"extent_stat",
	"extent_alloc",
	"extent_free",
	"extent_reclaim",
	"extent_io",
	"mmap_region",
	"munmap_region",
	"mprotect_region",
	"mremap_region",
	"touch",
	"madvise",
	"dup",
	"info",
	"read_poll",
	"debugfs_revoke",
	"raw",
	"uring",
};


static void run_ops(long n, int depth)
{
	int total = 0;
	unsigned int i;
	long k;

	for (i = 0; i < NOPS; i++)
		if (use_extent || !ops[i].extent)
			total += ops[i].weight;
	for (k = 0; k < n; k++) {
		int w;

		if (one_in(400)) {
			cur_op = NOPS;		/* counted as "fork" */
			op_fork(depth);
			continue;
		}
		choose_env();
		w = rn(total);
		for (i = 0; i < NOPS; i++) {
			if (!use_extent && ops[i].extent)
				continue;
			w -= ops[i].weight;
			if (w < 0)
				break;
		}
		if (depth == 0) {
			sh->last_op[worker_idx] = i;
			sh->last_call[worker_idx] = k;
		}
		cur_op = i;
		ops[i].fn();
	}
}

static void *map_anon(int prot)
{
	void *p = mmap(NULL, PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

static void worker(int idx, long calls)
{
	pthread_t t;
	unsigned char *two;
	int i;

	worker_idx = idx;
	rs = seed + idx * 0x9e3779b97f4a7c15ULL + 1;
	for (i = 0; i < 8; i++)
		rnd();
	arena = ARENA_BASE + (unsigned long)idx * ARENA_SIZE;
	install_handlers();

	argpage = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	scratch = mmap(NULL, SCRATCH_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (argpage == MAP_FAILED || scratch == MAP_FAILED)
		exit(1);
	ro_page = map_anon(PROT_READ);
	none_page = map_anon(PROT_NONE);
	two = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(two + PAGE, PAGE);
	edge_page = two;
	unmapped_addr = (unsigned long)two + PAGE;

	for (i = 0; i < MAX_FDS; i++)
		fds[i] = -1;
	fds[0] = open(EXO_DEVICE, O_RDWR);
	if (fds[0] < 0) {
		perror(EXO_DEVICE);
		exit(1);
	}
	if (use_race) {
		sem_init(&race_go, 0, 0);
		sem_init(&race_done, 0, 0);
		if (pthread_create(&t, NULL, racer, NULL))
			use_race = 0;
	}
	run_ops(calls, 0);
	exit(0);	/* closes every env, kills the racer */
}

/* ---- checks ------------------------------------------------------------------------ */

static int frames_whole(long long *total, long long *free_)
{
	char buf[4096], *p;

	if (exo_read_file(EXO_DEBUGFS "/totals", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "frames_total ");
	if (!p)
		return -1;
	*total = atoll(p + 13);
	p = strstr(buf, "frames_free ");
	if (!p)
		return -1;
	*free_ = atoll(p + 12);
	return *total == *free_;
}

static int dmesg_problems(int since_lines)
{
	FILE *f = popen("dmesg", "r");
	char line[1024];
	int n = 0, bad = 0;
	static const char *const pats[] = {
		"BUG:", "WARNING:", "Oops", "general protection",
		"possible circular locking", "INFO: lockdep",
		"inconsistent lock state", "suspicious RCU usage", "UBSAN:",
		"KASAN:", "hung_task", "blocked for more than",
	};
	unsigned int i;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (n++ < since_lines)
			continue;
		for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
			if (strstr(line, pats[i])) {
				printf("# dmesg: %s", line);
				bad++;
				break;
			}
		}
	}
	pclose(f);
	return bad;
}

static int dmesg_lines(void)
{
	FILE *f = popen("dmesg", "r");
	char line[1024];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n++;
	pclose(f);
	return n;
}

static void usage(void)
{
	fprintf(stderr, "usage: exo_fuzz [--calls N] [--procs P] [--seed S] "
		"[--no-race] [--no-extent]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "calls", required_argument, NULL, 'n' },
		{ "procs", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "no-race", no_argument, NULL, 'r' },
		{ "no-extent", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct exo_totals zero = { 0 }, got;
	struct timespec t0, t1;
	long long total, free_;
	int c, i, st, before, bad, crashed_before;
	pid_t *pids;
	const char *env;
	struct stat sb;

	seed = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 20);
	if ((env = getenv("EXO_FUZZ_CALLS")))
		budget_calls = atol(env);
	if ((env = getenv("EXO_FUZZ_PROCS")))
		nprocs = atoi(env);
	if ((env = getenv("EXO_FUZZ_SEED")))
		seed = strtoull(env, NULL, 0);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'n': budget_calls = atol(optarg); break;
		case 'p': nprocs = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'r': use_race = 0; break;
		case 'e': use_extent = 0; break;
		default: usage();
		}
	}
	if (nprocs < 1 || nprocs > 64 || budget_calls < 0)
		usage();

	printf("TAP version 13\n");
	if (access(EXO_DEVICE, R_OK | W_OK)) {
		printf("1..0 # SKIP %s not available\n", EXO_DEVICE);
		return 4;
	}
	disk = getenv("EXO_FUZZ_DISK");
	if (!disk && getenv("EXO_VM") && !stat("/dev/vda", &sb) && S_ISBLK(sb.st_mode))
		disk = "/dev/vda";
	if (!disk)
		disk = "/dev/exo-fuzz-no-disk";
	printf("1..3\n");
	printf("# seed=%llu calls=%ld procs=%d race=%d extent=%d disk=%s\n",
	       seed, budget_calls, nprocs, use_race, use_extent, disk);
	fflush(stdout);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	memset(sh, 0, sizeof(*sh));
	before = dmesg_lines();
	clock_gettime(CLOCK_MONOTONIC, &t0);

	pids = calloc(nprocs, sizeof(*pids));
	for (i = 0; i < nprocs; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			worker(i, budget_calls / nprocs +
				  (i < budget_calls % nprocs));
	}
	crashed_before = 0;
	for (i = 0; i < nprocs; i++) {
		if (waitpid(pids[i], &st, 0) != pids[i])
			continue;
		if (WIFSIGNALED(st)) {
			printf("# worker %d (seed %llu) died by signal %d in its call %lu (%s)\n",
			       i, seed, WTERMSIG(st), sh->last_call[i],
			       op_names[sh->last_op[i]]);
			crashed_before++;
		} else if (WEXITSTATUS(st)) {
			printf("# worker %d exited with %d\n", i, WEXITSTATUS(st));
			crashed_before++;
		}
	}
	sh->crashes += crashed_before;
	clock_gettime(CLOCK_MONOTONIC, &t1);

	/* Leave no device attached behind (the next test attaches its own). */
	if (use_extent) {
		int fd = open(EXO_DEVICE, O_RDWR);
		struct exo_extent_detach d = { .size = sizeof(d) };

		if (fd >= 0) {
			ioctl(fd, EXO_IOC_EXTENT_DETACH, &d);
			close(fd);
		}
	}

	printf("# %lu calls in %.1f s, %lu forks, %lu expected faults\n",
	       sh->calls, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       sh->forks, sh->expected_faults);
	printf("# succeeded %lu; errnos:", sh->ok);
	for (i = 0; i < 160; i++)
		if (sh->errnos[i])
			printf(" %s=%lu", strerrorname_np(i) ?: "?", sh->errnos[i]);
	printf("\n");

	printf("# ops (succeeded/made):");
	for (i = 0; i < (int)NOPS; i++)
		printf(" %s=%lu/%lu", op_names[i], sh->op_ok[i], sh->op_calls[i]);
	printf(" fork=%lu/%lu\n", sh->op_ok[NOPS], sh->op_calls[NOPS]);

	if (sh->crashes)
		printf("not ok 1 no process died of an unexpected signal (%lu did)\n",
		       sh->crashes);
	else
		printf("ok 1 no process died of an unexpected signal\n");

	/* Every env is closed: live counters zero, every frame back. */
	c = exo_totals_wait(&zero, &got, 5000);
	i = frames_whole(&total, &free_);
	if (c == 0 && i == 1) {
		printf("ok 2 after the fuzz every live counter is zero and frames_free == frames_total (%lld)\n",
		       total);
	} else {
		printf("# totals: %s; frames_total %lld frames_free %lld\n",
		       c == -ETIMEDOUT || c == 0 ? exo_totals_str(&got) : "unreadable",
		       total, free_);
		printf("not ok 2 after the fuzz every live counter is zero and frames_free == frames_total\n");
	}

	bad = dmesg_problems(before);
	if (bad) {
		sh->crashes += 1;
		printf("not ok 3 no kernel problem in dmesg (%d lines)\n", bad);
	} else {
		printf("ok 3 no kernel problem in dmesg\n");
	}
	printf("FUZZ calls=%lu crashes=%lu\n", sh->calls, sh->crashes);
	return sh->crashes || c || i != 1 ? 1 : 0;
}
