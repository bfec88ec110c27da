// SPDX-License-Identifier: GPL-2.0
/*
 * exo_fuzz — a small, typed fuzzer for /dev/exo (not syzkaller).
 *
 *   exo_fuzz [--calls N] [--procs P] [--seed S] [--profile short|long]
 *            [--no-race] [--no-extent] [--no-nic] [--no-traffic]
 *            [--hang-secs S]
 *   (or EXO_FUZZ_CALLS, EXO_FUZZ_PROCS, EXO_FUZZ_SEED, EXO_FUZZ_PROFILE in
 *   the environment; defaults: 30000 calls, 4 processes, a seed from the
 *   time)
 *
 * P worker processes (each with its own env(s) and a racing thread) make
 * calls until N have been made in all (the workers' and their children's:
 * the count of the FUZZ line, which is N or a little more), drawn from a
 * PRNG seeded with S + worker index: every exo
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
 * NIC calls (all of section "NIC queues" of exo.h): as root, the parent
 * first moves into a private network namespace, makes a peer namespace
 * and two veth pairs (fz0/fz1 on 10.77.0.0/24, fz2/fz3 on 10.77.1.0/24,
 * the second end of each in the peer namespace) and four dummy devices
 * (more than EXO_NIC_MAX_DEVS; veth ends where the kernel has no dummy
 * driver), loads a few tiny XDP programs with raw
 * bpf(2) (constant verdicts, XDP_TX echo, bpf_xdp_adjust_head/tail,
 * predicates reading struct exo_wait_ctx) and attaches fz0.  Workers then
 * attach and detach devices, mint flows (UDP, TCP, ICMP; boundary ports
 * and addresses), bind rings over frames they map (boundary geometry;
 * frame arrays with repeated, stale, foreign, read-only, non-frame and
 * tombstone handles), install eBPF and classic filters (bad fds, bad
 * programs, bad lengths and pointers), write packets (good, spoofed,
 * bad lengths) and garbage indices into their own ring pages, kick
 * NIC_TX, read the receive ring, NIC_STAT, WAIT on predicates (huge
 * timeouts and ticks are cut short by an itimer: EINTR), issue
 * EXO_URING_NIC_TX/RX, close and revoke flow and ring-frame capabilities,
 * and run a background child doing transmit/wait/receive on the same
 * bindings that may be killed -9 at any point.  A traffic process in the
 * peer namespace sends UDP, ICMP, TCP SYNs and raw Ethernet frames (some
 * malformed) to the flows' ports; a link process changes MTUs, takes
 * links down, deletes and re-creates fz0 (`ip link del`), moves it to the
 * peer namespace and back, and detaches and re-attaches it (through
 * rtnetlink and interface ioctls of its own, not ip(8): a fork and exec
 * costs seconds under the debug kernel).  Every
 * device is detached at the end.  --no-traffic keeps the NIC calls but
 * starts neither side process; --no-nic leaves NIC calls out entirely.
 *
 * A worker that makes no call at all for --hang-secs (default 120) is a
 * hang: every process's kernel stack (/proc/PID/task/TID/stack) is
 * printed, the workers are killed and it counts as a crash.
 *
 * A crash is a worker or child killed by a signal we did not send (SIGBUS
 * and SIGSEGV on deliberately touched region pages are caught and
 * expected), or a kernel problem in dmesg.  Afterwards, with every env
 * closed, the debugfs live counters must drop to zero and the frame pool
 * must be whole again (nic_devs, nic_binds and objects.flow included).
 * A few NIC results are checked for sense (an anomaly fails test 4): a
 * WAIT whose predicate is constant false never returns 0, a binding's
 * ring header shows the geometry asked for, a binding made of repeated,
 * read-only, non-frame or tombstone handles is refused, and NIC_STAT after
 * a successful NIC_UNBIND fails.
 *
 * A kernel problem found this way is reduced to a small stand-alone
 * program selftests/repro-<signature>.c (not an exo_* test: run.sh does
 * not run it) and reported with its dmesg excerpt.
 *
 * Profiles.  "short" (the default under 200000 calls: make check's slice)
 * and "long" (the default from 200000 calls on: make check-debug's
 * fixed-length run of 10^6 calls, which must fit in 20 minutes of guest
 * time under KASAN, lockdep and kmemleak in an emulated VM).  Under the
 * debug kernel a call that allocates costs about a millisecond, a fault
 * delivered as SIGBUS 4 ms, a fork 100 ms, a fork and exec of ip(8)
 * seconds, a packet through the peer's stack 5 ms.  The long profile
 * keeps every op kind and every boundary value but holds the expensive
 * ones to a rate or a lower weight: a fork at most every FORK_EVERY calls
 * (all workers together), a background NIC child every BG_EVERY, a netns
 * child every NETNS_EVERY; NIC_BIND, mmap, munmap and touch ops less
 * often (ops[].lweight), an mmap into a full region table one time in
 * four; typical batches of 1-4 frames to allocate and 1-8 entries to map
 * (not 1-8 and 1-16), valid batches of more than 64 frames one time in
 * 32 of what the short profile makes, rings of 1, 2 or 4 frames a
 * direction (64 one time in 240, 512 one time in 4000); 1-2 page touches
 * per touch op (not 1-8); a raced call half as often; one packet from
 * the traffic process per PKT_CALLS calls and one link change per
 * LINK_CALLS calls (paced by calls made, not by the clock).
 *
 * Output: TAP (run.sh runs it as one of the selftests, with the default
 * short budget), a summary: calls and errnos, "ops (succeeded/made)" per
 * op kind, "time by op" (wall time each op kind took in the workers, its
 * CPU time: the calling thread's, sampled one op in CPU_EVERY, plus the
 * children it reaped; how often it ran; the mean; the 16 longest), the
 * same for ops run by children, the racer's hit rate, CPU time of the
 * guest, the workers, the racer threads and the side processes, then
 * "FUZZ calls=<n> crashes=<n>".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <liburing.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/exo.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "exo_test.h"

#include <sys/prctl.h>

/* Side processes and background children die with their parent. */
static void prctl_pdeathsig(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

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

	/* NIC: the devices of the fuzz netns, as the link process keeps them */
	int ifindex[6];			/* fz0, fz2, fzd0..fzd3; 0 while gone */
	unsigned char mac0[6];		/* fz0's MAC (traffic goes to it) */
	unsigned char peer_mac[2][6];	/* fz1's, fz3's */
	volatile int stop;		/* side processes: finish */
	unsigned long pkts_sent;	/* by the traffic process */
	unsigned long link_ops[8];	/* by the link process, per kind */
	unsigned long nic_ctr[17];	/* NIC_STAT counters, summed deltas */
	unsigned long waits[4];		/* WAIT: 0, ETIME, EINTR, other */
	unsigned long wake_reasons[6];	/* WAIT returned 0: EXO_WAKE_* bit */
	unsigned long anomalies;
	unsigned long bg_children;
	unsigned int op_errnos[64][160];	/* per op kind, per errno */
	unsigned int ports[64];		/* recently minted flows: dev << 16 | port */
	unsigned long rx_seen, rx_claimed;	/* fz0's, sampled from debugfs nic */
	/*
	 * Time by op kind (CLOCK_MONOTONIC ns, index NOPS is "fork"): ops a
	 * worker runs itself (wall time, children waited for included), and
	 * ops of fork, background and netns children.
	 */
	unsigned long long op_ns[65], kid_ns[65];
	unsigned long long op_cpu[65], kid_cpu[65];	/* the thread's CPU time */
	unsigned long op_runs[65], kid_runs[65];
	unsigned long long spawn_cpu[65];	/* children an op made and reaped (wait4) */
	unsigned long long racer_cpu;	/* the racer threads */
	unsigned long raced, race_live;	/* calls raced; the racer flipped during them */
	unsigned long op_next[65];	/* long profile: sh->calls before which op kind i waits */
	unsigned long long link_ns[8];	/* the link process, per kind */
	unsigned long long link_busy;	/* when its change in progress began (0: none) */
	int link_kind;			/* which (L_*) */
};
static struct shared *sh;
static int op_gate(int i, unsigned long every);

static long budget_calls = 30000;
static int nprocs = 4;
/*
 * The profile: 0 "short" (make check), 1 "long" (make check-debug's
 * fixed-length run); -1 until chosen (long from LONG_CALLS calls on).
 * The long profile keeps every op kind but holds the expensive ones to a
 * rate (at most one per *_EVERY calls, all workers together: op_gate()) or
 * a lower weight (ops[].lweight), and paces the side processes by calls
 * made rather than by time (side_pace()).
 */
#define LONG_CALLS	200000
static int profile = -1;
#define LONG		(profile == 1)
#define PKT_CALLS	120	/* long: calls made per packet the traffic process sends */
#define LINK_CALLS	6000	/* long: calls made per link change */
#define FORK_EVERY	4000	/* long: calls per fork (op_fork) */
#define BG_EVERY	3000	/* long: calls per background child (op_nic_bg) */
#define NETNS_EVERY	20000	/* long: calls per netns child (op_nic_netns) */
static unsigned long long seed;
static int use_race = 1;
static int use_extent = 1;
static int use_nic = 1;
static int use_traffic = 1;
static const char *disk;
static pid_t traffic_pid, links_pid;	/* the side processes */

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

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned long long cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- per-process state ---------------------------------------------------- */

struct region {
	unsigned long addr, len;
	int fd;
};

/*
 * fds[NIC_ENV] is an env only the NIC calls choose (two times in three):
 * the generic calls close handles at random and would rarely let a
 * binding live long enough to carry packets.
 */
#define NIC_ENV		MAX_FDS
static int fds[MAX_FDS + 1];
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
 * NIC calls may also point it at an element of an array the call reads
 * (frame handles, classic filter instructions) or at the env's own ring
 * page (tx_head, a descriptor's length): those pages may be revoked under
 * it, so it touches them with its own fault guard.
 *
 * Neither side spins waiting for the other: the caller wakes the racer and
 * makes the call (the racer joins in if it gets a CPU in time: "racer:
 * N calls raced, the racer flipped during M" in the summary), and the
 * racer flips for at most RACE_NS, then sleeps until the call is over (a
 * WAIT, a receive with a timeout: a racer spinning on a busy CPU took a
 * fifth of the fuzz's CPU time under the debug kernel).
 */
#define RACE_NS		250000
static volatile int race_on;
static volatile unsigned char *volatile race_ptr;
static volatile unsigned int race_width;
static volatile unsigned long long race_val;
static sem_t race_go, race_done;
/* An extra target for the next do_ioctl() (NIC calls); cleared by it. */
static unsigned char *race_extra;
static unsigned int race_extra_width;

/*
 * Per thread: set while a fault on the access in progress is expected.
 * sigsetjmp() does not save the signal mask (a system call each time):
 * the fault handler (SA_NODEFER, empty sa_mask) leaves it as it was.
 */
static __thread sigjmp_buf touch_jmp;
static __thread volatile sig_atomic_t in_touch;

static void futex_wait(volatile int *p, int val)
{
	syscall(SYS_futex, p, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(volatile int *p)
{
	syscall(SYS_futex, p, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

static void *racer(void *arg)
{
	unsigned long long orig, end;
	unsigned long n;

	(void)arg;
	for (;;) {
		while (sem_wait(&race_go))
			;
		n = 0;
		end = now_ns() + RACE_NS;
		if (sigsetjmp(touch_jmp, 0)) {
			/* the target faulted (a revoked ring page): sit it out */
			n = 1;		/* (not what it was: a longjmp lost it) */
		} else if (race_width == 4) {
			volatile __u32 *p = (volatile __u32 *)race_ptr;

			in_touch = 1;
			orig = *p;
			while (race_on) {
				*p = (__u32)race_val;
				*p = (__u32)orig;
				if (!(++n % 1024) && now_ns() > end)
					break;
			}
		} else {
			volatile __u64 *p = (volatile __u64 *)race_ptr;

			in_touch = 1;
			orig = *p;
			while (race_on) {
				*p = race_val;
				*p = orig;
				if (!(++n % 1024) && now_ns() > end)
					break;
			}
		}
		in_touch = 0;
		if (n)
			__atomic_fetch_add(&sh->race_live, 1, __ATOMIC_RELAXED);
		/* a long or sleeping call (or a fault): wait for its end, asleep */
		while (race_on)
			futex_wait(&race_on, 1);
		sem_post(&race_done);
	}
	return NULL;
}

/* ---- expected faults --------------------------------------------------------- */


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

static void alarm_handler(int sig)
{
	(void)sig;	/* only there to interrupt a WAIT (EINTR) */
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
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = alarm_handler;	/* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
}

/*
 * Cut the next blocking call short after @us microseconds (SIGALRM, to
 * this thread: the racer blocks it), or cancel that with 0.  The timer
 * repeats every 10 ms until cancelled: a first expiry that comes before
 * the call has started (the racer may take long to get going) must not
 * leave the call to sleep for ever.
 */
static void arm_alarm(long us)
{
	struct itimerval it = {
		.it_value = { us / 1000000, us % 1000000 },
		.it_interval = { 0, us ? 10000 : 0 },
	};

	setitimer(ITIMER_REAL, &it, NULL);
}

/* Read or write one byte at @p; SIGBUS/SIGSEGV there is expected. */
static void touch(volatile unsigned char *p, int write)
{
	if (sigsetjmp(touch_jmp, 0)) {
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

static __u64 region_addr(void)
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

/* A batch length: mostly 1..@typical, one in four a boundary (pick_count). */
static __u32 pick_batch(__u32 typical)
{
	return one_in(4) ? pick_count(typical) : 1 + rn(typical);
}

/*
 * A batch array of @count words from @gen (the first 256 of them) in the
 * scratch page, and a user pointer for it (pick_ptr).
 */
static unsigned long pick_words(__u32 count, __u64 (*gen)(void))
{
	__u64 *w = (__u64 *)scratch;
	__u32 i;

	for (i = 0; i < count && i < 256; i++)
		w[i] = gen();
	return pick_ptr(w, 8 * (size_t)count);
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
	else if (errno > 0 && errno < 160) {
		__atomic_fetch_add(&sh->errnos[errno], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&sh->op_errnos[cur_op][errno], 1, __ATOMIC_RELAXED);
	}
}

/* Whether the last do_ioctl() passed the struct as built: right size, own pointer, right number, no racer. */
static int ioctl_plain;

/* Set the racer going on race_ptr. */
static void race_start(void)
{
	__atomic_store_n(&race_on, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&sh->raced, 1, __ATOMIC_RELAXED);
	sem_post(&race_go);
}

static int do_ioctl(int fd, unsigned long cmd, size_t len,
		    const struct field *rf, int nrf)
{
	unsigned long arg = (unsigned long)argpage, cmd0 = cmd;
	__u32 *size = (__u32 *)argpage;
	unsigned char *extra = race_extra;
	int ret, raced = 0;

	race_extra = NULL;

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

	/* long profile: half as often (a raced call costs two context switches) */
	if (use_race && extra && one_in(LONG ? 6 : 3)) {
		race_ptr = extra;
		race_width = race_extra_width;
		race_val = one_in(2) ? rnd() : rn(3) ? 0 : ~0ULL;
		race_start();
		raced = 1;
	} else if (use_race && nrf && one_in(LONG ? 8 : 4)) {
		const struct field *f = one_in(3) ? &(struct field){0, 4}
						  : &rf[rn(nrf)];

		race_ptr = argpage + f->off;
		race_width = f->width;
		switch (rn(4)) {
		case 0: race_val = 0; break;
		case 1: race_val = ~0ULL; break;
		case 2: race_val = EXO_BATCH_MAX + 1; break;
		default: race_val = rnd(); break;
		}
		race_start();
		raced = 1;
	}
	ioctl_plain = !raced && cmd == cmd0 && arg == (unsigned long)argpage &&
		      *size == len;
	ret = ioctl(fd, cmd, arg);
	if (raced) {
		int e = errno;

		__atomic_store_n(&race_on, 0, __ATOMIC_SEQ_CST);
		futex_wake(&race_on);
		while (sem_wait(&race_done))
			;
		errno = e;
	}
	count_call(ret);
	return ret;
}

#define F(type, member) { offsetof(type, member), sizeof(((type *)0)->member) }

/* ---- operations ----------------------------------------------------------------- */

static void nic_forget_env(int idx);

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
		nic_forget_env(i);
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
	a->count = one_in(3) ? pick_count(LONG ? 4 : 8) : 1 + rn(LONG ? 4 : 8);
	if (a->count > 4096 && !one_in(8))
		a->count = 1 + rn(16);	/* keep huge allocations rare */
	/*
	 * long profile: big valid batches too, and fewer frames a call (a
	 * frame costs ~0.5 ms under the debug kernel)
	 */
	if (LONG && a->count > 64 && a->count <= EXO_BATCH_MAX && !one_in(32))
		a->count = 1 + rn(16);
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
	/* long profile: shorter typical batches (a binding costs ~0.5 ms) */
	a->count = pick_batch(LONG ? 8 : 16);
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

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->count = pick_batch(16);
	a->addrs = pick_words(a->count, region_addr);
	do_ioctl(pick_fd(), EXO_IOC_FRAME_UNMAP, sizeof(*a), rf, 2);
}

static void op_caps_close(void)
{
	static const struct field rf[] = {
		F(struct exo_caps_close, count), F(struct exo_caps_close, caps),
	};
	struct exo_caps_close *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->count = pick_batch(8);
	a->caps = pick_words(a->count, pick_cap);
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
	a->count = pick_batch(8);
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

	/* long profile: a full table makes it mmap + munmap (10+ ms); mostly not */
	if (LONG && nregions == MAX_REGIONS && !one_in(4))
		return;
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
	int i, n = LONG ? 1 + rn(2) : 1 + rn(8);	/* a fault costs ms under a debug kernel */

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

static void anomaly(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void op_read_poll(void)
{
	int fd = pick_fd();
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLRDBAND };
	size_t len;
	unsigned long buf;
	ssize_t r;
	int i;

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
	/*
	 * Never block: peek with poll first unless the fd is non-blocking.
	 * POLLIN means read() has events (receive rings only ever add
	 * POLLRDBAND; they once added POLLIN too, and read() then blocked):
	 * a read that sleeps after POLLIN is an anomaly, cut short by the
	 * alarm.
	 */
	pfd.revents = 0;
	if ((poll(&pfd, 1, 0) <= 0 || !(pfd.revents & POLLIN)) &&
	    !(fcntl(fd, F_GETFL) & O_NONBLOCK))
		return;
	arm_alarm(500000);
	r = read(fd, (void *)buf, len);
	arm_alarm(0);
	count_call(r < 0 ? -1 : 0);
	for (i = 0; i <= MAX_FDS && fds[i] != fd; i++)
		;
	if (r < 0 && errno == EINTR && (pfd.revents & POLLIN) && fd >= 0 && i <= MAX_FDS)
		anomaly("read() of the env fd blocked after poll() reported POLLIN (revents %#x)",
			pfd.revents);
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
	unsigned long cmd = _IO(EXO_IOC_TYPE, rn(use_nic ? 0x30 : 0x20));
	size_t i;

	for (i = 0; i < 128; i += 8)
		*(__u64 *)(argpage + i) = one_in(2) ? 0 : rnd();
	if (one_in(4))
		cmd = rnd() & 0xffffffff;
	if (_IOC_NR(cmd) == EXO_NR_NIC_DETACH && !one_in(8))
		cmd = EXO_IOC_NIC_ATTACH;	/* keep the devices mostly attached */
	arm_alarm(20000);	/* a WAIT of zeroes would sleep for ever */
	do_ioctl(pick_fd(), cmd, 8 + rn(120), NULL, 0);
	arm_alarm(0);
}

/* ---- NIC: names, programs, packets ------------------------------------------------ */

/*
 * The fuzz network namespace holds fz0 (10.77.0.1/24) and fz2
 * (10.77.1.1/24), veth ends whose peers fz1 (10.77.0.2) and fz3
 * (10.77.1.2) live in the peer namespace, and dummies fzd0..fzd3 (or
 * veth ends whose peers fze0..fze3 are in the peer namespace).
 */
#define NIC_DEV		"fz0"
#define NIC_PEER	"fz1"
#define NIC_NDEVS	6		/* sh->ifindex[]: fz0, fz2, fzd0..fzd3 */
#define ADDR0		htonl(0x0a4d0001)	/* 10.77.0.1 */
#define ADDR1		htonl(0x0a4d0101)	/* 10.77.1.1 */
#define PEER0		htonl(0x0a4d0002)	/* 10.77.0.2 */
#define PEER1		htonl(0x0a4d0102)	/* 10.77.1.2 */
#define NOADDR		htonl(0x0a4d0009)	/* on no device */
#define PORT_BASE	20000		/* flows' ports: PORT_BASE + [0, NPORTS) */
#define NPORTS		48
#define PEER_PORT	30000		/* the traffic source's UDP port */
#define NBINDS		6		/* bindings per process */
#define NFLOWS		32
#define NIC_SPAN	(8UL << 20)	/* address space per binding slot */
#define NIC_ARENA_BASE	(ARENA_BASE + 64 * ARENA_SIZE)
#define NCTR		17		/* the named fields of exo_nic_counters */

static const char *const ctr_names[NCTR] = {
	"rx_packets", "rx_bytes", "rx_ring_full", "rx_too_long",
	"rx_bad_index", "filter_runs", "filter_drops", "filter_aborts",
	"ash_tx", "ash_drops", "tx_packets", "tx_bytes", "tx_bad_len",
	"tx_spoofed", "tx_bad_index", "tx_errors", "wakeups",
};

static int ns_fuzz = -1, ns_peer = -1;	/* network namespaces (parent's fds) */
static int net_dummies;			/* fzd0..3 are dummies, not veth ends */

/* XDP programs (loaded by the parent with bpf(2); fds inherited), or -1. */
enum {
	P_PASS, P_DROP, P_TX, P_ABORTED, P_SEVEN, P_ADJ, P_ADJ_TX, P_GROW,
	P_SHRINK, P_ECHO,		/* filters (any XDP program may be either) */
	Q_TRUE, Q_RXPEND, Q_EVALS, Q_WINDOW, Q_TIMER, Q_ADJ,	/* predicates */
	X_SOCKFILTER, X_DEVMAP, X_CPUMAP,	/* must be refused */
	NPROGS,
};
static const char *const prog_names[NPROGS] = {
	"pass", "drop", "tx", "aborted", "seven", "adjust_head", "adjust_head_tx",
	"grow", "shrink", "echo", "true", "rx_pending", "evals", "window",
	"timer", "adjust_head_false", "socket_filter", "devmap", "cpumap",
};
static int progs[NPROGS] = { [0 ... NPROGS - 1] = -1 };

/* Predicates that can never be true: WAIT must not return 0 with them. */
static int prog_never_true(int fd)
{
	return fd >= 0 && (fd == progs[P_ABORTED] || fd == progs[Q_ADJ]);
}

#define BI(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), \
					       .src_reg = (s), .off = (o), .imm = (i) })
#define B_MOVI(d, i)	BI(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define B_MOVR(d, s)	BI(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define B_ADDI(d, i)	BI(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define B_ANDI(d, i)	BI(BPF_ALU64 | BPF_AND | BPF_K, d, 0, 0, i)
#define B_RSHI(d, i)	BI(BPF_ALU64 | BPF_RSH | BPF_K, d, 0, 0, i)
#define B_LDX(sz, d, s, o) BI(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define B_STX(sz, d, s, o) BI(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define B_JGTR(d, s, o)	BI(BPF_JMP | BPF_JGT | BPF_X, d, s, o, 0)
#define B_CALL(f)	BI(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define B_EXIT()	BI(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* r2 = data, r3 = data_end, r4 = data + @n; if r4 > r3 skip @skip insns */
#define B_BOUNDS(n, skip) B_LDX(BPF_W, 2, 1, 0), B_LDX(BPF_W, 3, 1, 4), \
			B_MOVR(4, 2), B_ADDI(4, n), B_JGTR(4, 3, skip)

static int bpf_load(int type, int attach, const struct bpf_insn *insns,
		    int n, const char *name)
{
	static char log[4096];
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.expected_attach_type = attach;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = n;
	a.license = (uintptr_t)"GPL";
	fd = syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (fd >= 0)
		return fd;
	a.log_buf = (uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	log[0] = 0;
	fd = syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (fd < 0)
		printf("# bpf: program %s not loaded (%s): %.200s\n", name,
		       strerror(errno), log);
	return fd;
}

static int load_progs(void)
{
	static const int verdict[] = {
		[P_PASS] = XDP_PASS, [P_DROP] = XDP_DROP, [P_TX] = XDP_TX,
		[P_ABORTED] = XDP_ABORTED, [P_SEVEN] = 7,
	};
	const struct bpf_insn adj[] = {
		B_MOVI(2, -64), B_CALL(BPF_FUNC_xdp_adjust_head),
		B_MOVI(0, XDP_PASS), B_EXIT(),
	};
	const struct bpf_insn adj_tx[] = {
		B_MOVI(2, -64), B_CALL(BPF_FUNC_xdp_adjust_head),
		B_MOVI(0, XDP_TX), B_EXIT(),
	};
	const struct bpf_insn grow[] = {	/* push a header, then grow the tail */
		B_MOVR(6, 1), B_MOVI(2, -64), B_CALL(BPF_FUNC_xdp_adjust_head),
		B_MOVR(1, 6), B_MOVI(2, 1700), B_CALL(BPF_FUNC_xdp_adjust_tail),
		B_MOVR(1, 6), B_MOVI(2, 900), B_CALL(BPF_FUNC_xdp_adjust_tail),
		B_MOVR(1, 6), B_MOVI(2, 300), B_CALL(BPF_FUNC_xdp_adjust_tail),
		B_MOVI(0, XDP_PASS), B_EXIT(),
	};
	const struct bpf_insn shrink[] = {
		B_MOVI(2, -20), B_CALL(BPF_FUNC_xdp_adjust_tail),
		B_MOVI(0, XDP_TX), B_EXIT(),
	};
	/* An ASH: swap MACs, IPv4 addresses and ports, send back (XDP_TX). */
	const struct bpf_insn echo[] = {
		B_BOUNDS(42, 18),
		B_LDX(BPF_W, 5, 2, 0), B_LDX(BPF_W, 7, 2, 6),
		B_STX(BPF_W, 2, 7, 0), B_STX(BPF_W, 2, 5, 6),
		B_LDX(BPF_H, 5, 2, 4), B_LDX(BPF_H, 7, 2, 10),
		B_STX(BPF_H, 2, 7, 4), B_STX(BPF_H, 2, 5, 10),
		B_LDX(BPF_W, 5, 2, 26), B_LDX(BPF_W, 7, 2, 30),
		B_STX(BPF_W, 2, 7, 26), B_STX(BPF_W, 2, 5, 30),
		B_LDX(BPF_H, 5, 2, 34), B_LDX(BPF_H, 7, 2, 36),
		B_STX(BPF_H, 2, 7, 34), B_STX(BPF_H, 2, 5, 36),
		B_MOVI(0, XDP_TX), B_EXIT(),
		B_MOVI(0, XDP_DROP), B_EXIT(),
	};
	/* struct exo_wait_ctx: reason at 8, rx_pending at 48, evals at 52, window at 80 */
	const struct bpf_insn rxpend[] = {
		B_BOUNDS(56, 2), B_LDX(BPF_W, 0, 2, 48), B_EXIT(),
		B_MOVI(0, 0), B_EXIT(),
	};
	const struct bpf_insn evals[] = {
		B_BOUNDS(56, 3), B_LDX(BPF_W, 0, 2, 52), B_RSHI(0, 2), B_EXIT(),
		B_MOVI(0, 0), B_EXIT(),
	};
	const struct bpf_insn window[] = {
		B_BOUNDS(81, 2), B_LDX(BPF_B, 0, 2, 80), B_EXIT(),
		B_MOVI(0, 0), B_EXIT(),
	};
	const struct bpf_insn timer[] = {
		B_BOUNDS(16, 3), B_LDX(BPF_W, 0, 2, 8), B_ANDI(0, EXO_WAKE_TIMER),
		B_EXIT(), B_MOVI(0, 0), B_EXIT(),
	};
	const struct bpf_insn adj_false[] = {
		B_MOVI(2, -64), B_CALL(BPF_FUNC_xdp_adjust_head),
		B_MOVI(0, 0), B_EXIT(),
	};
	struct bpf_insn k[2] = { B_MOVI(0, 0), B_EXIT() };
	int i, n = 0;

#define LOAD(idx, type, attach, insns) \
	progs[idx] = bpf_load(type, attach, insns, \
			      sizeof(insns) / sizeof(insns[0]), prog_names[idx])
	for (i = P_PASS; i <= P_SEVEN; i++) {
		k[0].imm = verdict[i];
		LOAD(i, BPF_PROG_TYPE_XDP, 0, k);
	}
	LOAD(P_ADJ, BPF_PROG_TYPE_XDP, 0, adj);
	LOAD(P_ADJ_TX, BPF_PROG_TYPE_XDP, 0, adj_tx);
	LOAD(P_GROW, BPF_PROG_TYPE_XDP, 0, grow);
	LOAD(P_SHRINK, BPF_PROG_TYPE_XDP, 0, shrink);
	LOAD(P_ECHO, BPF_PROG_TYPE_XDP, 0, echo);
	k[0].imm = 1;
	LOAD(Q_TRUE, BPF_PROG_TYPE_XDP, 0, k);
	LOAD(Q_RXPEND, BPF_PROG_TYPE_XDP, 0, rxpend);
	LOAD(Q_EVALS, BPF_PROG_TYPE_XDP, 0, evals);
	LOAD(Q_WINDOW, BPF_PROG_TYPE_XDP, 0, window);
	LOAD(Q_TIMER, BPF_PROG_TYPE_XDP, 0, timer);
	LOAD(Q_ADJ, BPF_PROG_TYPE_XDP, 0, adj_false);
	k[0].imm = 0;
	LOAD(X_SOCKFILTER, BPF_PROG_TYPE_SOCKET_FILTER, 0, k);
	k[0].imm = XDP_PASS;
	LOAD(X_DEVMAP, BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP, k);
	LOAD(X_CPUMAP, BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP, k);
#undef LOAD
	for (i = 0; i < NPROGS; i++)
		n += progs[i] >= 0;
	return n;
}

/* ---- packets ------------------------------------------------------------------- */

static void put16(__u8 *p, unsigned int v) { p[0] = v >> 8; p[1] = v; }

static __u32 csum_add(const __u8 *p, size_t len, __u32 sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += p[0] << 8 | p[1];
	if (len)
		sum += p[0] << 8;
	return sum;
}

static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/*
 * An Ethernet + IPv4 + @proto (UDP, TCP SYN, ICMP echo request, or any
 * other number: 8 bytes of zeroes) frame with @plen payload bytes, correct
 * checksums.  Ports in host order.  Returns its length.
 */
static int build_frame(__u8 *buf, const __u8 *dmac, const __u8 *smac,
		       int proto, __be32 saddr, __be32 daddr, __u16 sport,
		       __u16 dport, int plen)
{
	__u8 *ip = buf + 14, *l4 = ip + 20;
	int l4len = proto == IPPROTO_TCP ? 20 : 8, tot = 20 + l4len + plen, i;
	__u32 sum;

	memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, tot);
	put16(ip + 4, rnd());
	ip[6] = 0x40;			/* DF */
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	put16(ip + 10, csum_fold(csum_add(ip, 20, 0)));
	memset(l4, 0, l4len);
	for (i = 0; i < plen; i++)
		l4[l4len + i] = 'a' + i % 26;
	switch (proto) {
	case IPPROTO_UDP:
		put16(l4, sport);
		put16(l4 + 2, dport);
		put16(l4 + 4, 8 + plen);	/* checksum 0: none */
		break;
	case IPPROTO_TCP:
		put16(l4, sport);
		put16(l4 + 2, dport);
		put16(l4 + 4, rnd());
		l4[12] = 5 << 4;
		l4[13] = 0x02;			/* SYN */
		put16(l4 + 14, 1024);
		sum = csum_add(ip + 12, 8, proto + l4len + plen);
		put16(l4 + 16, csum_fold(csum_add(l4, l4len + plen, sum)));
		break;
	case IPPROTO_ICMP:
		l4[0] = one_in(4) ? rn(20) : 8;	/* mostly echo requests */
		put16(l4 + 4, rnd());
		put16(l4 + 6, rnd());
		put16(l4 + 2, csum_fold(csum_add(l4, l4len + plen, 0)));
		break;
	}
	return 14 + tot;
}

/* One defect in a frame of @len bytes (room for @max); returns the new length. */
static int mutate_frame(__u8 *f, int len, int max)
{
	__u8 *ip = f + 14;

	switch (rn(17)) {
	case 0: f[6] ^= 0x02; break;			/* not the device's MAC */
	case 1: ip[12 + rn(4)] ^= 1 + rn(255); break;	/* another source address */
	case 2: ip[20 + rn(2)] ^= 1 + rn(255); break;	/* another source port */
	case 3: ip[9] = one_in(2) ? IPPROTO_TCP + IPPROTO_UDP - ip[9] : rn(256); break;
	case 4: put16(ip + 2, one_in(2) ? len : 0xffff); break;	/* tot_len too long */
	case 5: put16(ip + 2, rn(20)); break;		/* tot_len below the header */
	case 6: ip[0] = 0x40 | rn(5); break;		/* ihl < 5 */
	case 7: ip[0] = 0x4f; break;			/* ihl 15: options past the data */
	case 8: ip[0] = 0x60 | (ip[0] & 15); break;	/* version 6 */
	case 9: ip[6] = 0x20; break;			/* MF: a fragment */
	case 10: ip[7] = 1 + rn(255); break;		/* an offset: a fragment */
	case 11: f[12] = 0x08; f[13] = 0x06; break;	/* ARP */
	case 12: f[12] = 0x81; f[13] = 0x00; break;	/* 802.1Q */
	case 13:					/* trailing bytes */
		memset(f + len, rn(256), max - len);
		len = len + rn(max - len + 1);
		break;
	case 14: len = rn(EXO_NIC_MIN_LEN + 1); break;	/* too short */
	case 15: len = rn(len + 1); break;		/* cut anywhere */
	default: f[rn(len)] = rnd(); break;		/* one byte anywhere */
	}
	return len;
}

/* ---- links and namespaces, by rtnetlink --------------------------------------------- */

/* A socket made in network namespace @nsfd (the caller is in ns_fuzz). */
static int socket_in(int nsfd, int domain, int type, int proto)
{
	int s;

	if (setns(nsfd, CLONE_NEWNET))
		return -1;
	s = socket(domain, type, proto);
	setns(ns_fuzz, CLONE_NEWNET);
	return s;
}

/*
 * Link changes and look-ups through rtnetlink messages of our own rather
 * than ip(8): under a debug kernel in an emulated VM, a fork and exec of
 * sh and ip costs seconds of CPU per command, the kernel's part of the
 * change a small fraction of that.  @nsfd -1: the current namespace.
 */
struct nlreq {
	struct nlmsghdr n;
	union {
		struct ifinfomsg i;
		struct ifaddrmsg a;
	};
	char attrs[512];
};

static struct rtattr *nla_put(struct nlreq *r, int type, const void *data, int len)
{
	struct rtattr *rta = (void *)((char *)r + NLMSG_ALIGN(r->n.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + RTA_ALIGN(rta->rta_len);
	return rta;
}

static void nla_end(struct nlreq *r, struct rtattr *nest)
{
	nest->rta_len = (char *)r + r->n.nlmsg_len - (char *)nest;
}

/*
 * Send @n in namespace @nsfd, wait for the kernel's answer: 0 or -1
 * (errno); a message before the answer (RTM_GETLINK's) into @reply.
 */
static int nl_talk_reply(int nsfd, struct nlmsghdr *n, void *reply, size_t rlen)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[16384];	/* a device's RTM_NEWLINK is a few KiB */
	int s, ret = -1;
	ssize_t len;

	s = nsfd >= 0 ? socket_in(nsfd, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE) :
			socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return -1;
	n->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	n->nlmsg_seq = 1;
	if (sendto(s, n, n->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	while ((len = recv(s, buf, sizeof(buf), 0)) > 0) {
		struct nlmsghdr *h = (void *)buf;

		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type != NLMSG_ERROR) {
				if (reply)
					memcpy(reply, h, h->nlmsg_len < rlen ? h->nlmsg_len : rlen);
				continue;
			}
			errno = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
			ret = errno ? -1 : 0;
			goto out;
		}
	}
out:
	close(s);
	return ret;
}

static int nl_talk(int nsfd, struct nlmsghdr *n)
{
	return nl_talk_reply(nsfd, n, NULL, 0);
}

/*
 * The index (0 if none) and MAC of device @name in @nsfd, by rtnetlink:
 * if_nametoindex() and the SIOCGIF* ioctls ask for module "netdev-NAME"
 * when there is no such device, a modprobe of seconds under the debug
 * kernel (and devices come and go here).
 */
static int nl_getlink(int nsfd, const char *name, unsigned char *mac)
{
	struct nlreq r = {
		.n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		       .nlmsg_type = RTM_GETLINK },
		.i = { .ifi_family = AF_UNSPEC },
	};
	union {
		struct nlreq r;
		char buf[8192];
	} a;
	struct rtattr *rta;
	int len;

	nla_put(&r, IFLA_IFNAME, name, strlen(name) + 1);
	memset(&a, 0, sizeof(a));
	if (nl_talk_reply(nsfd, &r.n, &a, sizeof(a)) || a.r.n.nlmsg_type != RTM_NEWLINK)
		return 0;
	len = IFLA_PAYLOAD(&a.r.n);
	if (len > (int)(sizeof(a) - NLMSG_LENGTH(sizeof(struct ifinfomsg))))
		len = sizeof(a) - NLMSG_LENGTH(sizeof(struct ifinfomsg));
	for (rta = IFLA_RTA(&a.r.i); mac && RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == IFLA_ADDRESS && RTA_PAYLOAD(rta) >= 6)
			memcpy(mac, RTA_DATA(rta), 6);
	return a.r.i.ifi_index;
}

static int ifindex_in(int nsfd, const char *ifname)
{
	return nl_getlink(nsfd, ifname, NULL);
}

/* ip link add @name type @kind [peer name @peer [netns @peer_ns]] */
static int nl_link_add(const char *name, const char *kind, const char *peer, int peer_ns)
{
	struct nlreq r = {
		.n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		       .nlmsg_type = RTM_NEWLINK,
		       .nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL },
		.i = { .ifi_family = AF_UNSPEC },
	};
	struct rtattr *info, *data, *pinfo;
	struct ifinfomsg pi = { .ifi_family = AF_UNSPEC };

	nla_put(&r, IFLA_IFNAME, name, strlen(name) + 1);
	info = nla_put(&r, IFLA_LINKINFO, NULL, 0);
	nla_put(&r, IFLA_INFO_KIND, kind, strlen(kind) + 1);
	if (!peer) {
		nla_end(&r, info);
		return nl_talk(-1, &r.n);
	}
	data = nla_put(&r, IFLA_INFO_DATA, NULL, 0);
	pinfo = nla_put(&r, VETH_INFO_PEER, &pi, sizeof(pi));
	nla_put(&r, IFLA_IFNAME, peer, strlen(peer) + 1);
	if (peer_ns >= 0)
		nla_put(&r, IFLA_NET_NS_FD, &peer_ns, 4);
	nla_end(&r, pinfo);
	nla_end(&r, data);
	nla_end(&r, info);
	return nl_talk(-1, &r.n);
}

/* ip link del @name, in @nsfd */
static int nl_link_del(int nsfd, const char *name)
{
	struct nlreq r = {
		.n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		       .nlmsg_type = RTM_DELLINK },
		.i = { .ifi_family = AF_UNSPEC },
	};

	nla_put(&r, IFLA_IFNAME, name, strlen(name) + 1);
	return nl_talk(nsfd, &r.n);
}

/* ip link set @name netns @to, from @nsfd */
static int nl_link_move(int nsfd, const char *name, int to)
{
	struct nlreq r = {
		.n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		       .nlmsg_type = RTM_NEWLINK },
		.i = { .ifi_family = AF_UNSPEC },
	};

	nla_put(&r, IFLA_IFNAME, name, strlen(name) + 1);
	nla_put(&r, IFLA_NET_NS_FD, &to, 4);
	return nl_talk(nsfd, &r.n);
}

/* ip addr add|del @addr/24 dev @name, in @nsfd */
static int nl_addr(int nsfd, const char *name, __be32 addr, int del)
{
	struct nlreq r = {
		.n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
		       .nlmsg_type = del ? RTM_DELADDR : RTM_NEWADDR,
		       .nlmsg_flags = del ? 0 : NLM_F_CREATE | NLM_F_EXCL },
		.a = { .ifa_family = AF_INET, .ifa_prefixlen = 24 },
	};

	r.a.ifa_index = ifindex_in(nsfd, name);
	if (!r.a.ifa_index)
		return -1;
	nla_put(&r, IFA_LOCAL, &addr, 4);
	nla_put(&r, IFA_ADDRESS, &addr, 4);
	return nl_talk(nsfd, &r.n);
}

/* ip link set @name up|down, or mtu @mtu (if not 0), in @nsfd */
static int link_set(int nsfd, const char *name, int up, int mtu)
{
	struct nlreq r = {
		.n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		       .nlmsg_type = RTM_NEWLINK },
		.i = { .ifi_family = AF_UNSPEC },
	};

	nla_put(&r, IFLA_IFNAME, name, strlen(name) + 1);
	if (mtu) {
		nla_put(&r, IFLA_MTU, &mtu, 4);
	} else {
		r.i.ifi_change = IFF_UP;
		r.i.ifi_flags = up ? IFF_UP : 0;
	}
	return nl_talk(nsfd, &r.n);
}

/* Re-read the names and addresses the link process may have changed. */
static void net_refresh(void)
{
	static const char *const names[NIC_NDEVS] = {
		"fz0", "fz2", "fzd0", "fzd1", "fzd2", "fzd3",
	};
	int i;

	for (i = 0; i < NIC_NDEVS; i++)
		sh->ifindex[i] = nl_getlink(-1, names[i], i ? NULL : sh->mac0);
	nl_getlink(ns_peer, "fz1", sh->peer_mac[0]);
	nl_getlink(ns_peer, "fz3", sh->peer_mac[1]);
}

/* The veth pair @k (0: fz0/fz1, 1: fz2/fz3), addressed and up. */
static int make_pair(int k)
{
	char a[8], b[8];

	snprintf(a, sizeof(a), "fz%d", 2 * k);
	snprintf(b, sizeof(b), "fz%d", 2 * k + 1);
	if (nl_link_add(a, "veth", b, ns_peer))
		return -1;
	if (!nl_addr(-1, a, k ? ADDR1 : ADDR0, 0))
		link_set(-1, a, 1, 0);
	if (!nl_addr(ns_peer, b, k ? PEER1 : PEER0, 0))
		link_set(ns_peer, b, 1, 0);
	return 0;
}

/* NIC_ATTACH/DETACH of @ifindex through @fd. */
static int nic_attach(int fd, int detach, int ifindex)
{
	struct exo_nic_attach a = { .size = sizeof(a), .ifindex = ifindex };

	return ioctl(fd, detach ? EXO_IOC_NIC_DETACH : EXO_IOC_NIC_ATTACH, &a);
}

/*
 * Parent, as root: the namespaces, links and programs; attach fz0.
 * Returns 0, or -1 with a "# nic:" line saying what is missing.
 */
static int net_setup(void)
{
	int fd, i, dummy;

	if (unshare(CLONE_NEWNET)) {
		printf("# nic: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return -1;
	}
	ns_fuzz = open("/proc/self/ns/net", O_RDONLY);
	if (unshare(CLONE_NEWNET)) {
		printf("# nic: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return -1;
	}
	ns_peer = open("/proc/self/ns/net", O_RDONLY);
	link_set(-1, "lo", 1, 0);
	if (ns_fuzz < 0 || ns_peer < 0 || setns(ns_fuzz, CLONE_NEWNET)) {
		printf("# nic: namespaces: %s\n", strerror(errno));
		return -1;
	}
	link_set(-1, "lo", 1, 0);
	/* (veth.ko and dummy.ko, if modules, load themselves: "rtnl-link-veth") */
	if (make_pair(0) || make_pair(1)) {
		printf("# nic: no veth pair (ip link add ... type veth failed)\n");
		return -1;
	}
	for (i = 0, dummy = 1; i < 4; i++) {
		char name[8], peer[8];

		/* dummies, or veth pairs with the other end in the peer namespace */
		snprintf(name, sizeof(name), "fzd%d", i);
		snprintf(peer, sizeof(peer), "fze%d", i);
		if (dummy && nl_link_add(name, "dummy", NULL, -1))
			dummy = 0;	/* no dummy driver (the debug kernel) */
		net_dummies = dummy;
		if (dummy || !nl_link_add(name, "veth", peer, ns_peer))
			link_set(-1, name, 1, 0);
	}
	net_refresh();
	fd = open(EXO_DEVICE, O_RDWR);
	if (fd < 0 || nic_attach(fd, 0, sh->ifindex[0])) {
		printf("# nic: NIC_ATTACH of fz0: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Parent, at the end: detach whatever is attached in either namespace. */
static void net_detach_all(void)
{
	int fd = open(EXO_DEVICE, O_RDWR), i, max = 64, ns;

	if (fd < 0)
		return;
	for (i = 0; i < NIC_NDEVS; i++)
		if (sh->ifindex[i] > max)
			max = sh->ifindex[i];
	for (ns = 0; ns < 2; ns++) {
		if (ns && setns(ns_peer, CLONE_NEWNET))
			break;
		for (i = 1; i <= max + 64; i++)
			nic_attach(fd, 1, i);
	}
	setns(ns_fuzz, CLONE_NEWNET);
	close(fd);
}

/* ---- the traffic source (peer namespace) ------------------------------------------ */

/*
 * Long profile: a side process keeps pace with the workers rather than
 * the clock (under a debug kernel a packet costs more than many calls):
 * wait until @calls more calls have been made since *@mark.
 */
static void side_pace(unsigned long *mark, unsigned long calls)
{
	if (!LONG)
		return;
	while (!sh->stop && sh->calls < *mark + calls)
		usleep(20000);
	*mark = sh->calls;
}

static void traffic_main(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int udp, icmp, raw, pkt, exo, i, n, pidx[2];
	unsigned long mark = 0;
	__u8 buf[2048];

	prctl_pdeathsig();
	rs = seed ^ 0x7261666669637eULL;
	if (setns(ns_peer, CLONE_NEWNET))
		_exit(1);
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	sin.sin_port = htons(PEER_PORT);
	bind(udp, (struct sockaddr *)&sin, sizeof(sin));
	icmp = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMP);
	raw = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_RAW);
	pkt = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, 0);
	exo = open(EXO_DEVICE, O_RDWR);
	while (!sh->stop) {
		/*
		 * Now and then the peer ends are attached too (the same
		 * ifindex as a device of the fuzz namespace, likely): frames
		 * pass exo on both sides, and detaching by number in one
		 * namespace must leave the other's device alone.
		 */
		if (exo >= 0 && one_in(200))
			nic_attach(exo, !one_in(3), nl_getlink(-1, one_in(3) ? "fz3" : "fz1", NULL));
		n = 1 + rn(8);
		pidx[0] = pidx[1] = -1;		/* looked up once a burst, if needed */
		for (i = 0; i < n; i++) {
			int k = one_in(6), plen, len, r = rn(20);
			__be32 dst;
			__u16 port = PORT_BASE + rn(NPORTS);
			unsigned int live = sh->ports[rn(64)];

			if (live && !one_in(3)) {	/* a port a worker minted a flow for */
				k = live >> 16;
				port = live;
			}
			dst = k ? ADDR1 : ADDR0;

			plen = one_in(10) ? rn(1600) : one_in(30) ? 2000 + rn(7000) : rn(64);
			sin.sin_addr.s_addr = one_in(20) ? NOADDR : dst;
			sin.sin_port = htons(port);
			if (r < 9) {			/* UDP to a flow's port */
				memset(buf, 'u', plen < 2048 ? plen : 2048);
				if (plen > 2048)
					plen = 2048;
				sendto(udp, buf, plen, MSG_DONTWAIT,
				       (struct sockaddr *)&sin, sizeof(sin));
			} else if (r < 12) {		/* ICMP echo request (or other type) */
				len = build_frame(buf, sh->mac0, sh->mac0, IPPROTO_ICMP,
						  0, dst, 0, 0, plen % 1400);
				sin.sin_port = 0;
				sendto(icmp, buf + 34, len - 34, MSG_DONTWAIT,
				       (struct sockaddr *)&sin, sizeof(sin));
			} else if (r < 14) {		/* IPv4 by hand: TCP SYN, or odd */
				len = build_frame(buf, sh->mac0, sh->mac0,
						  one_in(3) ? IPPROTO_UDP : IPPROTO_TCP,
						  k ? PEER1 : PEER0, dst, PEER_PORT,
						  port, plen % 1400);
				if (one_in(3))
					len = mutate_frame(buf, len, 1514);
				sin.sin_port = 0;
				if (len > 34)
					sendto(raw, buf + 14, len - 14, MSG_DONTWAIT,
					       (struct sockaddr *)&sin, sizeof(sin));
			} else {			/* a whole Ethernet frame */
				struct sockaddr_ll sll = {
					.sll_family = AF_PACKET,
					.sll_ifindex = pidx[k] >= 0 ? pidx[k] :
						       (pidx[k] = nl_getlink(-1, k ? "fz3" : "fz1", NULL)),
					.sll_halen = 6,
				};
				int proto = one_in(3) ? IPPROTO_ICMP : one_in(3) ?
					    IPPROTO_TCP : IPPROTO_UDP;

				len = build_frame(buf, sh->mac0, sh->peer_mac[k], proto,
						  k ? PEER1 : PEER0, dst, PEER_PORT, port,
						  plen % 1400);
				if (!one_in(3))
					len = mutate_frame(buf, len, 1514);
				if (one_in(10))		/* not to us: broadcast, multicast, other */
					memcpy(buf, one_in(3) ? "\xff\xff\xff\xff\xff\xff" :
					       one_in(2) ? "\x01\x00\x5e\x00\x00\x01" :
					       "\x02\x11\x22\x33\x44\x55", 6);
				memcpy(sll.sll_addr, buf, 6);
				if (len >= 14)
					sendto(pkt, buf, len, MSG_DONTWAIT,
					       (struct sockaddr *)&sll, sizeof(sll));
			}
			__atomic_fetch_add(&sh->pkts_sent, 1, __ATOMIC_RELAXED);
		}
		/* drain what comes back, now and then */
		while (recv(udp, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		while (recv(icmp, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		usleep(500 + rn(4000));
		side_pace(&mark, n * PKT_CALLS);
	}
	for (i = 0; exo >= 0 && i < 2; i++)
		nic_attach(exo, 1, nl_getlink(-1, i ? "fz3" : "fz1", NULL));
	_exit(0);
}

/* ---- the link process (fuzz namespace): links change under the flows ------------ */

/* Add what fz0 saw and its flows claimed since the last look (debugfs nic). */
static void sample_rx(long long *seen0, long long *claimed0)
{
	char line[256];
	long long seen, claimed;
	FILE *f = fopen(EXO_DEBUGFS "/nic", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "dev fz0 ifindex %*d flows %*u seen %lld claimed %lld",
			   &seen, &claimed) != 2)
			continue;
		if (seen < *seen0 || claimed < *claimed0)	/* attached anew */
			*seen0 = *claimed0 = 0;
		sh->rx_seen += seen - *seen0;
		sh->rx_claimed += claimed - *claimed0;
		*seen0 = seen;
		*claimed0 = claimed;
	}
	if (f)
		fclose(f);
}

enum { L_MTU, L_DOWNUP, L_DEL, L_MOVE, L_DETACH, L_ATTACH, L_DEL2, L_ADDR };

static void link_main(void)
{
	static const int mtus[] = { 68, 576, 1280, 1400, 1500, 1792, 1806, 9000 };
	long long seen = 0, claimed = 0;
	unsigned long long t0;
	unsigned long mark = 0;
	int fd, k;

	prctl_pdeathsig();
	rs = seed ^ 0x6c696e6b2d2dULL;
	fd = open(EXO_DEVICE, O_RDWR);
	while (!sh->stop) {
		usleep(200000 + rn(500000));
		side_pace(&mark, LINK_CALLS);
		sample_rx(&seen, &claimed);
		if (sh->stop)
			break;
		t0 = now_ns();
		k = rn(24);
		sh->link_kind = k <= 2 ? L_MTU : k <= 4 ? L_DOWNUP : k == 5 ? L_DEL :
				k == 6 ? L_MOVE : k == 7 ? L_DETACH : k == 9 ? L_DEL2 :
				k == 10 ? L_ADDR : L_ATTACH;
		sh->link_busy = t0;
		switch (k) {
		case 0: case 1: case 2:		/* MTU of either end */
			k = L_MTU;
			if (one_in(2))
				link_set(-1, "fz0", 0, mtus[rn(8)]);
			else
				link_set(ns_peer, "fz1", 0, mtus[rn(8)]);
			break;
		case 3: case 4:			/* down and up */
			k = L_DOWNUP;
			if (one_in(2)) {
				link_set(-1, "fz0", 0, 0);
				usleep(rn(10) * 10000);
				link_set(-1, "fz0", 1, 0);
			} else {
				link_set(ns_peer, "fz1", 0, 0);
				link_set(ns_peer, "fz1", 1, 0);
			}
			break;
		case 5:				/* ip link del, then a new pair */
			k = L_DEL;
			nl_link_del(-1, "fz0");
			usleep(rn(50000));
			make_pair(0);
			net_refresh();
			if (fd >= 0 && !one_in(3))
				nic_attach(fd, 0, sh->ifindex[0]);
			break;
		case 6:				/* to the peer namespace and back */
			k = L_MOVE;
			nl_link_move(-1, "fz0", ns_peer);
			nl_link_move(ns_peer, "fz0", ns_fuzz);
			nl_addr(-1, "fz0", ADDR0, 0);
			link_set(-1, "fz0", 1, 0);
			net_refresh();
			if (fd >= 0 && one_in(2))
				nic_attach(fd, 0, sh->ifindex[0]);
			break;
		case 7:				/* NIC_DETACH, NIC_ATTACH */
			k = L_DETACH;
			if (fd >= 0) {
				nic_attach(fd, 1, sh->ifindex[0]);
				usleep(rn(20000));
				nic_attach(fd, 0, sh->ifindex[0]);
			}
			break;
		case 9:				/* the second pair goes and comes back */
			k = L_DEL2;
			nl_link_del(-1, "fz2");
			make_pair(1);
			net_refresh();
			break;
		case 10:			/* fz0's address goes and comes back */
			k = L_ADDR;
			nl_addr(-1, "fz0", ADDR0, 1);
			usleep(rn(10) * 10000);
			nl_addr(-1, "fz0", ADDR0, 0);
			break;
		default:			/* keep fz0 attached most of the time */
			k = L_ATTACH;
			if (fd >= 0 && nic_attach(fd, 0, sh->ifindex[0]) &&
			    errno == ENOSPC)
				nic_attach(fd, 1, sh->ifindex[2 + rn(4)]);
			break;
		}
		__atomic_fetch_add(&sh->link_ops[k], 1, __ATOMIC_RELAXED);
		sh->link_ns[k] += now_ns() - t0;
		sh->link_busy = 0;
	}
	_exit(0);
}

/* ---- NIC: what a process holds ------------------------------------------------------ */

struct nflow {
	exo_cap_t cap;
	signed char env;		/* fds[] index */
	__u8 proto;
	__u16 lport, rport;
	__be32 laddr, raddr;
};

struct nbind {
	int used;			/* bound once (it may have died since) */
	int env;			/* fds[] index it was made in */
	exo_cap_t flow;			/* the handle it was made through */
	exo_cap_t *frames;		/* n handles: header, rx frames, tx frames */
	__u32 n, rx, tx;
	unsigned long addr;		/* frames[i] mapped at addr + i pages, or 0 */
	struct nflow f;			/* the flow (proto 0: unknown); raddr, rport: where to send */
	unsigned char dmac[6];		/* where to send, if not the veth peer */
	int has_dmac;
	__u64 last[NCTR];		/* counters at the last NIC_STAT */
};

static struct nflow nflows[NFLOWS];
static int nnflows;
static struct nbind nbs[NBINDS];
static exo_cap_t tombs[8];		/* tombstone flow handles */
static exo_cap_t ring_caps[TYPED];	/* frames that went into bindings */
static int nonbpf_fd = -1, closed_fd = -1;
static pid_t bg_pid;			/* the background NIC child */
static int fork_depth;			/* 0 in a worker, >0 in its children */
static int in_bg;			/* this is the background child */

static void anomaly(const char *fmt, ...)
{
	va_list ap;

	__atomic_fetch_add(&sh->anomalies, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "# ANOMALY (worker %d): ", worker_idx);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Copy to or from pages that may be revoked (SIGBUS) or unmapped (SIGSEGV). */
static int guarded_copy(void *dst, const void *src, size_t n)
{
	if (sigsetjmp(touch_jmp, 0)) {
		__atomic_fetch_add(&sh->expected_faults, 1, __ATOMIC_RELAXED);
		return -1;
	}
	in_touch = 1;
	memcpy(dst, src, n);
	in_touch = 0;
	return 0;
}

static int get32(volatile __u32 *p, __u32 *v)
{
	return guarded_copy(v, (const void *)p, 4);
}

/* A store-release of @v, as a libOS advancing an index would. */
static void put32(volatile __u32 *p, __u32 v)
{
	if (sigsetjmp(touch_jmp, 0)) {
		__atomic_fetch_add(&sh->expected_faults, 1, __ATOMIC_RELAXED);
		return;
	}
	in_touch = 1;
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
	in_touch = 0;
}

/*
 * Remember flow @a of env @env; @known: made exactly as @a says (not a
 * raced call: the kernel may have read other values than @a shows now),
 * else kept as a handle whose flow is unknown (proto 0).
 */
static void nflow_add(const struct exo_flow_alloc *a, int env, int known)
{
	int i = nnflows < NFLOWS ? nnflows++ : (int)rn(NFLOWS);

	/* tell the traffic source where to send */
	if (known && (a->laddr == ADDR0 || a->laddr == ADDR1))
		sh->ports[rn(64)] = (a->laddr == ADDR1) << 16 | a->lport;

	nflows[i] = (struct nflow){
		.cap = a->cap, .env = env, .proto = known ? a->proto : 0,
		.lport = a->lport, .rport = a->rport,
		.laddr = a->laddr, .raddr = a->raddr,
	};
}

/* A flow of the current env (preferably not bound by us), or NULL. */
static struct nflow *own_flow(int unbound)
{
	int i, j, start = rn(NFLOWS);

	for (i = 0; i < nnflows; i++) {
		struct nflow *f = &nflows[(start + i) % nnflows];

		if (f->env != cur)
			continue;
		if (unbound)
			for (j = 0; j < NBINDS; j++)
				if (nbs[j].used && nbs[j].flow == f->cap)
					break;
		if (!unbound || j == NBINDS)
			return f;
	}
	return NULL;
}

/* A binding slot in use, preferably of the current env. */
static struct nbind *pick_nb(void)
{
	int i, start = rn(NBINDS), any = -1;

	for (i = 0; i < NBINDS; i++) {
		int k = (start + i) % NBINDS;

		if (!nbs[k].used)
			continue;
		if (nbs[k].env == cur)
			return &nbs[k];
		any = k;
	}
	return any >= 0 && one_in(3) ? &nbs[any] : NULL;
}

/* A flow handle for a NIC call: mostly a bound or held flow, else anything. */
static exo_cap_t pick_flow(void)
{
	struct nbind *b;
	struct nflow *f;

	switch (rn(20)) {
	case 0: case 1:
		return tombs[rn(8)] ?: pick_cap();
	case 2:
		return pick_typed(frame_caps);		/* not a flow */
	case 3:
		return pick_cap();
	case 4:						/* maybe another env's */
		return nnflows ? nflows[rn(nnflows)].cap : pick_cap();
	case 5: case 6: case 7:
		f = own_flow(0);
		return f ? f->cap : pick_cap();
	}
	b = pick_nb();
	if (b)
		return b->flow;
	f = own_flow(0);
	return f ? f->cap : pick_cap();
}

/* A program fd for a filter (@pred 0) or a predicate (@pred 1). */
static int pick_prog(int pred)
{
	switch (rn(30)) {
	case 0: return -1;
	case 1: return 0;				/* stdin: not BPF */
	case 2: return fds[cur];			/* /dev/exo */
	case 3: return nonbpf_fd;			/* a pipe */
	case 4: return closed_fd;			/* closed (or reused since) */
	case 5: return progs[X_SOCKFILTER];		/* not XDP */
	case 6: return progs[one_in(2) ? X_DEVMAP : X_CPUMAP];	/* refused kinds */
	case 7: return one_in(2) ? 1000 : INT_MAX;
	case 8: return one_in(2) ? -2 : INT_MIN;
	case 9: case 10: case 11:
		return progs[rn(X_SOCKFILTER)];		/* any of ours */
	}
	return pred ? progs[Q_TRUE + rn(X_SOCKFILTER - Q_TRUE)] :
		      progs[rn(Q_TRUE)];
}

/* Any device index: fz0 one time in four, mostly another device. */
static int pick_ifindex(void)
{
	switch (rn(16)) {
	case 0: return 0;
	case 1: return 1;				/* lo: not Ethernet */
	case 2: return rnd();
	case 3: return INT_MAX;
	case 4: return -1;
	case 5: case 6: case 7: case 8:
		return sh->ifindex[0];
	}
	return sh->ifindex[1 + rn(NIC_NDEVS - 1)];
}

static unsigned long nb_base(int i)
{
	return NIC_ARENA_BASE + ((unsigned long)worker_idx * NBINDS + i) * NIC_SPAN;
}

/* Close @n handles of @h in env @fd (counted). */
static void close_caps(int fd, const exo_cap_t *h, __u32 n)
{
	struct exo_caps_close c = {
		.size = sizeof(c), .count = n, .caps = (uintptr_t)h,
	};

	if (fd >= 0 && n)
		count_call(ioctl(fd, EXO_IOC_CAPS_CLOSE, &c));
}

static void unmap_range(int fd, unsigned long addr, __u32 n);

/* Let debugfs revocation requests reach the NIC env too. */
static void nic_env_known(void)
{
	struct exo_env_info ei = { .size = sizeof(ei) };

	if (fds[NIC_ENV] >= 0 && !ioctl(fds[NIC_ENV], EXO_IOC_ENV_INFO, &ei))
		sh->env_ids[rn(SHARED_KEYS)] = ei.env_id;
}

/* Forget binding slot @i: unbind (maybe), close its frames (maybe), unmap. */
static void nb_release(int i, int undo)
{
	struct nbind *b = &nbs[i];
	int fd = fds[b->env];

	if (!b->used)
		return;
	if (undo && fd >= 0) {
		struct exo_nic_unbind u = { .size = sizeof(u), .flow = b->flow };

		if (!one_in(3))
			count_call(ioctl(fd, EXO_IOC_NIC_UNBIND, &u));
		if (!one_in(8))		/* else orphans, for the env's close */
			close_caps(fd, b->frames, b->n);
	}
	if (b->addr) {
		unmap_range(fd, b->addr, b->n);
		munmap((void *)b->addr, (unsigned long)b->n * PAGE);
	}
	free(b->frames);
	memset(b, 0, sizeof(*b));
}

/* Env @idx was closed: forget most of what it held. */
static void nic_forget_env(int idx)
{
	int i;

	for (i = 0; i < NBINDS; i++)
		if (nbs[i].used && nbs[i].env == idx)
			nb_release(i, 0);
	for (i = 0; i < nnflows; i++) {
		if (nflows[i].env != idx)
			continue;
		if (!one_in(8)) {
			nflows[i] = nflows[--nnflows];
			i--;
		} else {
			/* kept, stale: in the env opened next in this slot it names another object */
			nflows[i].proto = 0;
		}
	}
}

/*
 * A call on @flow in env @env said it is gone for good (ENODEV: the device
 * went away; EBADF, ESTALE, EKEYREVOKED: the handle): mostly forget it,
 * and the bindings made through it, so new ones get made.
 */
static void flow_gone(exo_cap_t flow, int env, int err)
{
	int i;

	if (flow == 0 || one_in(4) ||
	    (err != ENODEV && err != EBADF && err != ESTALE && err != EKEYREVOKED))
		return;
	for (i = 0; i < nnflows; i++) {
		if (nflows[i].cap == flow && nflows[i].env == env) {
			nflows[i] = nflows[--nnflows];
			i--;
		}
	}
	for (i = 0; i < NBINDS; i++)
		if (nbs[i].used && nbs[i].flow == flow && nbs[i].env == env)
			nb_release(i, 1);
}

/* ---- NIC: devices and flows ------------------------------------------------------------ */

static void op_nic_attach(void)
{
	static const struct field rf[] = { F(struct exo_nic_attach, ifindex) };
	struct exo_nic_attach *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->ifindex = !one_in(3) ? sh->ifindex[0] : pick_ifindex();
	if (one_in(20))
		a->__reserved = rnd();
	if (do_ioctl(pick_fd(), EXO_IOC_NIC_ATTACH, sizeof(*a), rf, 1) &&
	    errno == ENOSPC && a->ifindex == (__u32)sh->ifindex[0] && fds[cur] >= 0)
		/* all EXO_NIC_MAX_DEVS taken: make room for fz0 */
		count_call(nic_attach(fds[cur], 1, sh->ifindex[1 + rn(NIC_NDEVS - 1)]));
}

static void op_nic_detach(void)
{
	static const struct field rf[] = { F(struct exo_nic_attach, ifindex) };
	struct exo_nic_attach *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	/* fz0 now and then (it comes back), the others more often */
	a->ifindex = one_in(16) ? sh->ifindex[0] :
		     one_in(6) ? pick_ifindex() : sh->ifindex[1 + rn(NIC_NDEVS - 1)];
	if (one_in(20))
		a->__reserved = rnd();
	do_ioctl(pick_fd(), EXO_IOC_NIC_DETACH, sizeof(*a), rf, 1);
}

static void op_flow_alloc(void)
{
	static const struct field rf[] = {
		F(struct exo_flow_alloc, ifindex), F(struct exo_flow_alloc, proto),
		F(struct exo_flow_alloc, laddr), F(struct exo_flow_alloc, lport),
	};
	struct exo_flow_alloc *a = (void *)argpage;
	int k = one_in(6);	/* fz2 instead of fz0 */
	int fd, env;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->ifindex = one_in(5) ? pick_ifindex() : sh->ifindex[k];
	switch (rn(12)) {
	case 0: case 1: a->proto = IPPROTO_TCP; break;
	case 2: a->proto = IPPROTO_ICMP; break;
	case 3: a->proto = one_in(2) ? rn(256) : rnd(); break;
	default: a->proto = IPPROTO_UDP;
	}
	switch (rn(14)) {
	case 0: a->laddr = 0; break;
	case 1: a->laddr = NOADDR; break;
	case 2: a->laddr = rnd(); break;
	case 3: a->laddr = htonl(INADDR_LOOPBACK); break;
	case 4: a->laddr = k ? ADDR0 : ADDR1; break;	/* the other device's */
	case 5: a->laddr = htonl(INADDR_BROADCAST); break;
	default: a->laddr = k ? ADDR1 : ADDR0;
	}
	if (a->proto == IPPROTO_ICMP && !one_in(8)) {
		a->lport = 0;
	} else {
		switch (rn(12)) {
		case 0: a->lport = 0; break;
		case 1: a->lport = 1 + rn(1023); break;	/* root only */
		case 2: a->lport = 65535; break;
		case 3: a->lport = 1024; break;
		default: a->lport = PORT_BASE + rn(NPORTS);
		}
	}
	switch (rn(10)) {
	case 0:			/* only from the traffic source */
		a->raddr = k ? PEER1 : PEER0;
		a->rport = a->proto == IPPROTO_ICMP ? 0 : PEER_PORT;
		break;
	case 1: a->raddr = k ? PEER1 : PEER0; break;
	case 2: a->rport = PEER_PORT; break;		/* a port and no address */
	case 3: a->raddr = rnd(); a->rport = rnd(); break;
	}
	if (one_in(20))
		a->__reserved = rnd();
	fd = pick_fd();
	if (do_ioctl(fd, EXO_IOC_FLOW_ALLOC, sizeof(*a), rf, 4) == 0) {
		if (one_in(4))		/* for the generic calls to close */
			add_cap(a->cap);
		/* the env it was made in (pick_fd() may pick another) */
		for (env = 0; env <= MAX_FDS && fds[env] != fd; env++)
			;
		if (env <= MAX_FDS)
			nflow_add(a, env, ioctl_plain);
	}
}

/* ---- NIC: bindings ----------------------------------------------------------------------- */

static __u32 good_geom(void)
{
	if (one_in(LONG ? 4000 : 400))		/* long profile: big rings rarer */
		return EXO_NIC_MAX_RING_FRAMES;
	if (one_in(LONG ? 240 : 60))
		return 64;
	return 1U << rn(LONG ? 3 : 4);
}

static __u32 bad_geom(void)
{
	static const __u32 v[] = {
		0, 3, 6, 12, EXO_NIC_MAX_RING_FRAMES + 1, EXO_NIC_MAX_RING_FRAMES * 2,
		0x80000000, 0xffffffff, 0x7fffffff,
	};

	return one_in(3) ? good_geom() : v[rn(sizeof(v) / sizeof(v[0]))];
}

/*
 * Remove the env's bindings of @n pages at @addr (a binding outlives
 * munmap(): it belongs to the env's region, named by its address).
 */
static void unmap_range(int fd, unsigned long addr, __u32 n)
{
	__u64 *ad = (__u64 *)(scratch + SCRATCH_SIZE / 4 * 3);
	struct exo_frame_unmap u = { .size = sizeof(u), .addrs = (uintptr_t)ad };
	__u32 i, at = 0;

	if (fd < 0)
		return;
	for (i = 0; i < n; i++)
		ad[i] = addr + (unsigned long)i * PAGE;
	while (at < n) {	/* the batch stops at a page with no binding */
		u.count = n - at;
		u.addrs = (uintptr_t)(ad + at);
		u.done = 0;
		if (ioctl(fd, EXO_IOC_FRAME_UNMAP, &u))
			break;
		at += u.done + 1;
	}
	count_call(0);
}

/* Map @n frames at @addr (a region of env @fd): 0 or -1. */
static int map_frames(int fd, unsigned long addr, const exo_cap_t *h, __u32 n)
{
	struct exo_map_entry *e = (struct exo_map_entry *)(scratch + SCRATCH_SIZE / 2);
	struct exo_frame_map m = { .size = sizeof(m), .count = n, .entries = (uintptr_t)e };
	void *p;
	__u32 i;
	int ret;

	p = mmap((void *)addr, (unsigned long)n * PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED_NOREPLACE, fd, addr);
	count_call(p == MAP_FAILED ? -1 : 0);
	if (p == MAP_FAILED)
		return -1;
	if (p != (void *)addr) {
		munmap(p, (unsigned long)n * PAGE);
		return -1;
	}
	for (i = 0; i < n; i++) {
		e[i].addr = addr + (unsigned long)i * PAGE;
		e[i].cap = h[i];
		e[i].prot = EXO_PROT_READ | EXO_PROT_WRITE;
		e[i].__reserved = 0;
	}
	ret = ioctl(fd, EXO_IOC_FRAME_MAP, &m);
	if (!ret && m.done < n && m.error == EEXIST) {
		/* bound since an earlier use of this slot: clear and retry */
		unmap_range(fd, addr, n);
		m.done = 0;
		ret = ioctl(fd, EXO_IOC_FRAME_MAP, &m);
	}
	count_call(ret);
	if (ret || m.done < n) {
		unmap_range(fd, addr, m.done);
		munmap((void *)addr, (unsigned long)n * PAGE);
		return -1;
	}
	return 0;
}

enum {
	D_REPEAT, D_STALE, D_FOREIGN, D_RDONLY, D_NONFRAME, D_RING, D_TOMB,
	D_GARBAGE, D_FLOW, ND,
};

/* A tombstone child of @c in env @fd (0 if that failed). */
static exo_cap_t make_tomb(int fd, exo_cap_t c, __u32 rights)
{
	struct exo_cap_derive d = { .size = sizeof(d), .cap = c, .rights = rights };
	struct exo_cap_revoke r = { .size = sizeof(r), .flags = EXO_REVOKE_SELF };

	if (ioctl(fd, EXO_IOC_CAP_DERIVE, &d))
		return 0;
	r.cap = d.child;
	if (ioctl(fd, EXO_IOC_CAP_REVOKE, &r))
		return 0;
	add_cap(d.child);
	return d.child;
}

/* A good flow for env @fd: UDP (or, as root, ICMP) on fz0 or fz2; NULL if none. */
static struct nflow *mint_flow(int fd)
{
	int k = one_in(10), i;
	struct exo_flow_alloc a = {
		.size = sizeof(a), .ifindex = sh->ifindex[k],
		.proto = one_in(6) ? IPPROTO_ICMP : one_in(5) ? IPPROTO_TCP : IPPROTO_UDP,
		.laddr = k ? ADDR1 : ADDR0,
	};

	for (i = 0; i < 4; i++) {
		if (a.proto != IPPROTO_ICMP)	/* then anywhere: the traffic source follows */
			a.lport = i < 2 ? PORT_BASE + rn(NPORTS) : 1024 + rn(60000);
		if (one_in(4)) {
			a.raddr = k ? PEER1 : PEER0;
			if (a.proto != IPPROTO_ICMP && one_in(2))
				a.rport = PEER_PORT;
		}
		if (!ioctl(fd, EXO_IOC_FLOW_ALLOC, &a)) {
			count_call(0);
			if (one_in(4))		/* for the generic calls to close */
				add_cap(a.cap);
			nflow_add(&a, cur, 1);
			return own_flow(1);
		}
		count_call(-1);
		if (errno != EADDRINUSE)
			break;
		a.proto = IPPROTO_UDP;
	}
	return NULL;
}

/*
 * Bind: fresh frames, mapped at this slot's address, a flow of this env;
 * one time in three with bad geometry or one bad handle in the array.
 */
static void op_nic_bind(void)
{
	static const struct field rf[] = {
		F(struct exo_nic_bind, flow), F(struct exo_nic_bind, frames),
		F(struct exo_nic_bind, rx_frames), F(struct exo_nic_bind, tx_frames),
	};
	struct exo_nic_bind *a = (void *)argpage;
	exo_cap_t *h = (exo_cap_t *)scratch, *fr;
	int fd = fds[cur], slot, bad = one_in(3), defect = -1, i, ret, bfd, plain;
	struct exo_frame_alloc fa = { .size = sizeof(fa) };
	unsigned long addr = 0;
	struct nflow *f;
	__u32 rx, tx, n, nalloc;

	if (fd < 0)
		return;
	for (slot = 0; slot < NBINDS && nbs[slot].used; slot++)
		;
	if (slot == NBINDS) {
		slot = rn(NBINDS);
		nb_release(slot, 1);
	}
	rx = bad && one_in(2) ? bad_geom() : good_geom();
	tx = bad && one_in(2) ? bad_geom() : good_geom();
	n = 1 + rx + tx;
	nalloc = rx <= EXO_NIC_MAX_RING_FRAMES && tx <= EXO_NIC_MAX_RING_FRAMES ?
		 n : 4;
	fr = malloc(sizeof(*fr) * nalloc);
	if (!fr)
		return;
	fa.count = nalloc;
	fa.caps = (uintptr_t)fr;
	fa.pfns = (uintptr_t)(scratch + SCRATCH_SIZE / 4);
	fa.flags = one_in(4) ? EXO_FRAME_RECYCLE : 0;
	ret = ioctl(fd, EXO_IOC_FRAME_ALLOC, &fa);
	count_call(ret);
	if (ret) {
		free(fr);
		return;
	}
	/* a few for the generic calls: closing one kills the binding */
	for (i = one_in(3) ? 0 : 2; i < 2; i++) {
		__u32 k = rn(nalloc);

		add_cap(fr[k]);
		add_typed(frame_caps, fr[k]);
	}
	if (nalloc == n && (!bad || one_in(2)) && !map_frames(fd, nb_base(slot), fr, n))
		addr = nb_base(slot);
	memcpy(h, fr, sizeof(*h) * nalloc);

	f = own_flow(1);
	if (!f && !one_in(4))
		f = mint_flow(fd);
	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->flow = f && !(bad && one_in(4)) ? f->cap : pick_flow();
	a->rx_frames = rx;
	a->tx_frames = tx;
	a->frames = (uintptr_t)h;
	if (bad && nalloc == n) {
		__u32 j = rn(n), k = (j + 1 + rn(n - 1)) % n;

		switch (defect = rn(ND)) {
		case D_REPEAT: h[j] = h[k]; break;
		case D_STALE: h[j] -= 1ULL << 32; break;
		case D_FOREIGN: h[j] = caps[rn(ncaps)]; break;
		case D_RDONLY: {
			struct exo_cap_derive d = {
				.size = sizeof(d), .cap = h[j],
				.rights = EXO_RIGHTS_ALL & ~EXO_RIGHT_WRITE,
			};

			if (ioctl(fd, EXO_IOC_CAP_DERIVE, &d))
				defect = -1;
			else
				h[j] = d.child, add_cap(d.child);
			break;
		}
		case D_NONFRAME: {
			struct exo_null_alloc na = { .size = sizeof(na) };

			if (ioctl(fd, EXO_IOC_NULL_ALLOC, &na))
				defect = -1;
			else
				h[j] = na.cap, add_cap(na.cap);
			break;
		}
		case D_RING: h[j] = ring_caps[rn(TYPED)]; break;
		case D_TOMB:
			h[j] = make_tomb(fd, h[j], EXO_RIGHTS_ALL);
			if (!h[j])
				defect = -1;
			break;
		case D_GARBAGE: h[j] = rnd(); break;
		case D_FLOW: h[j] = a->flow; break;
		}
	}
	if (bad && one_in(4))
		a->frames = pick_ptr(h, sizeof(*h) * n);
	race_extra = (unsigned char *)&h[rn(nalloc)];
	race_extra_width = 8;
	bfd = one_in(20) ? pick_fd() : fd;
	ret = do_ioctl(bfd, EXO_IOC_NIC_BIND, sizeof(*a), rf, 4);
	plain = ioctl_plain && bfd == fd;	/* as built, in this env */
	if (ret && plain && f && a->flow == f->cap && !bad)
		flow_gone(a->flow, cur, errno);
	if (ret) {
		if (addr) {
			unmap_range(fd, addr, n);
			munmap((void *)addr, (unsigned long)n * PAGE);
		}
		if (!one_in(8))
			close_caps(fd, fr, nalloc);
		free(fr);
		return;
	}
	if (plain && a->frames == (uintptr_t)h &&
	    (defect == D_REPEAT || defect == D_RDONLY || defect == D_NONFRAME ||
	     defect == D_TOMB || defect == D_FLOW))
		anomaly("NIC_BIND accepted a frame array with defect %d", defect);
	/*
	 * Bound, but not with the frames mapped at addr (a defect put another
	 * free frame of the env in, or the kernel read another array): what
	 * is mapped there is not this ring.
	 */
	if (addr && (a->frames != (uintptr_t)h ||
		     memcmp(h, fr, sizeof(*h) * nalloc))) {
		unmap_range(fd, addr, n);
		munmap((void *)addr, (unsigned long)n * PAGE);
		addr = 0;
	}
	nbs[slot] = (struct nbind){
		.used = 1, .env = cur, .flow = a->flow, .frames = fr,
		.n = nalloc, .rx = rx, .tx = tx, .addr = addr,
	};
	if (f && f->cap == a->flow)
		nbs[slot].f = *f;
	for (i = 0; i < 4; i++)
		ring_caps[rn(TYPED)] = fr[rn(nalloc)];
	/*
	 * The header as bound.  Not while a background child lives: its old
	 * mappings of this slot's addresses reach the new frames (bindings
	 * belong to the env), and it writes garbage there.
	 */
	if (addr && plain && a->frames == (uintptr_t)h && nalloc == n &&
	    !bg_pid && !fork_depth) {
		struct exo_nic_ring r;

		if (!guarded_copy(&r, (void *)addr, sizeof(r)) &&
		    (r.rx_slots != 2 * rx || r.tx_slots != 2 * tx ||
		     r.slot_size != EXO_NIC_SLOT_SIZE ||
		     r.data_off != EXO_NIC_DATA_OFF || r.rx_tail || r.tx_head ||
		     (nbs[slot].f.proto && (r.proto != nbs[slot].f.proto ||
					    r.lport != nbs[slot].f.lport))))
			anomaly("ring header after NIC_BIND rx %u tx %u (defect %d): rx_slots %u tx_slots %u slot_size %u data_off %u rx_tail %u tx_head %u proto %u lport %u (the flow bound: proto %u lport %u)",
				rx, tx, defect, r.rx_slots, r.tx_slots, r.slot_size,
				r.data_off, r.rx_tail, r.tx_head, r.proto, r.lport,
				nbs[slot].f.proto, nbs[slot].f.lport);
	}
}

static void op_nic_unbind(void)
{
	static const struct field rf[] = { F(struct exo_nic_unbind, flow) };
	struct exo_nic_unbind *a = (void *)argpage;
	int fd = pick_fd();

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->flow = pick_flow();
	if (do_ioctl(fd, EXO_IOC_NIC_UNBIND, sizeof(*a), rf, 1) == 0 &&
	    ioctl_plain && !in_bg) {
		struct exo_nic_stat st = { .size = sizeof(st), .flow = a->flow };

		if (ioctl(fd, EXO_IOC_NIC_STAT, &st) == 0)
			anomaly("NIC_STAT succeeded right after NIC_UNBIND of %#llx",
				(unsigned long long)a->flow);
	}
}

/* ---- NIC: the rings, from the env's side ------------------------------------------------ */

static unsigned char *nb_slot(struct nbind *b, int tx, __u32 idx)
{
	__u32 slots = 2 * (tx ? b->tx : b->rx), i = idx & (slots - 1);

	return (unsigned char *)b->addr +
	       PAGE * (1 + (tx ? b->rx : 0) + i / 2) + (i & 1) * EXO_NIC_SLOT_SIZE;
}

/* Write packets (some bad) into @b's transmit slots and move tx_head. */
static void fill_tx(struct nbind *b)
{
	struct exo_nic_ring *r = (void *)b->addr;
	__u32 tail, head, slots = 2 * b->tx, k, i;
	unsigned char mac[6];
	__u8 pkt[EXO_NIC_SLOT_SIZE];

	if (get32(&r->tx_tail, &tail) || guarded_copy(mac, r->mac, 6))
		return;
	k = one_in(10) ? slots : 1 + rn(slots < 8 ? slots : 8);
	for (i = 0; i < k; i++) {
		unsigned char *slot = nb_slot(b, 1, tail + i);
		struct exo_nic_desc d = { 0 };
		int len, proto = b->f.proto ? b->f.proto : IPPROTO_UDP;
		int kdev = b->f.laddr == ADDR1;

		len = build_frame(pkt, b->has_dmac ? b->dmac : sh->peer_mac[kdev], mac, proto,
				  b->f.laddr ?: ADDR0,
				  b->f.raddr ?: (kdev ? PEER1 : PEER0),
				  b->f.lport, b->f.rport ?: PEER_PORT,
				  one_in(10) ? rn(EXO_NIC_MAX_LEN - 60) : rn(100));
		if (one_in(3))
			len = mutate_frame(pkt, len, EXO_NIC_MAX_LEN);
		d.len = len;
		switch (rn(30)) {
		case 0: d.len = 0; break;
		case 1: d.len = 65535; break;
		case 2: d.len = EXO_NIC_MAX_LEN + 1; break;
		case 3: d.len = EXO_NIC_MIN_LEN - 1; break;
		case 4: d.len = rnd(); break;
		}
		d.flags = one_in(10) ? rnd() : 0;
		if (guarded_copy(slot + EXO_NIC_DATA_OFF, pkt,
				 len < EXO_NIC_MAX_LEN ? len : EXO_NIC_MAX_LEN) ||
		    guarded_copy(slot, &d, sizeof(d)))
			return;
	}
	head = tail + k;
	switch (rn(12)) {
	case 0: head = tail + slots + 1 + rn(100); break;	/* past the ring */
	case 1: head = tail - 1 - rn(4); break;			/* behind the tail */
	case 2: head = rnd(); break;
	}
	put32(&r->tx_head, head);
}

static void op_nic_tx(void)
{
	static const struct field rf[] = {
		F(struct exo_nic_tx, flow), F(struct exo_nic_tx, flags),
	};
	struct exo_nic_tx *a = (void *)argpage;
	struct nbind *b = pick_nb();
	int fd = b && fds[b->env] >= 0 && !one_in(10) ? fds[b->env] : pick_fd();

	if (b && b->addr && !one_in(8))
		fill_tx(b);
	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->flow = b && !one_in(6) ? b->flow : pick_flow();
	if (b && b->addr) {
		struct exo_nic_ring *r = (void *)b->addr;

		race_extra = one_in(2) ? (unsigned char *)&r->tx_head :
			     nb_slot(b, 1, rn(2 * b->tx));	/* a desc.len */
		race_extra_width = 4;
	}
	if (do_ioctl(fd, EXO_IOC_NIC_TX, sizeof(*a), rf, 2)) {
		if (ioctl_plain && b && a->flow == b->flow && fd == fds[b->env])
			flow_gone(b->flow, b->env, errno);
	} else if (ioctl_plain &&
		   (__u64)a->sent + a->dropped > 2 * EXO_NIC_MAX_RING_FRAMES) {
		anomaly("NIC_TX: sent %u + dropped %u is more than any ring holds",
			a->sent, a->dropped);
	}
}

/* Read every pending descriptor of @b's receive ring, give the slots back. */
static void consume(struct nbind *b, __u32 head, __u32 tail)
{
	struct exo_nic_ring *r = (void *)b->addr;
	__u32 i;

	if (head - tail <= 2 * b->rx) {
		for (i = tail; i != head; i++) {
			struct exo_nic_desc d;

			if (guarded_copy(&d, nb_slot(b, 0, i), sizeof(d)))
				return;
		}
	}
	put32(&r->rx_tail, one_in(4) ? tail + (head - tail) / 2 : head);
}

/* The env's side of the receive ring: consume, or write garbage. */
static void op_nic_rx(void)
{
	struct nbind *b = pick_nb();
	struct exo_nic_ring *r;
	__u32 head, tail, slots;

	if (!b || !b->addr)
		return;
	r = (void *)b->addr;
	slots = 2 * b->rx;
	if (get32(&r->rx_head, &head) || get32(&r->rx_tail, &tail))
		return;
	count_call(0);
	switch (rn(12)) {
	case 0: put32(&r->rx_tail, head + 1 + rn(64)); return;	/* ahead of head */
	case 1: put32(&r->rx_tail, head - slots - 1 - rn(8)); return;
	case 2: put32(&r->rx_tail, head - slots); return;	/* exactly full */
	case 3: put32(&r->rx_tail, rnd()); return;
	case 4: {						/* scribble on our own pages */
		__u32 v = rnd(), off = rn(PAGE / 4) * 4;
		unsigned char *p = one_in(2) ? (unsigned char *)r + off :
				   nb_slot(b, rn(2), rnd()) + rn(EXO_NIC_SLOT_SIZE / 4) * 4;

		guarded_copy(p, &v, 4);
		return;
	}
	case 5:	return;						/* let it fill up */
	}
	consume(b, head, tail);
}

static void op_nic_stat(void)
{
	static const struct field rf[] = { F(struct exo_nic_stat, flow) };
	struct exo_nic_stat *a = (void *)argpage;
	struct nbind *b = pick_nb();
	__u64 *c = (__u64 *)&a->c;
	int i, fd = b && fds[b->env] >= 0 && !one_in(10) ? fds[b->env] : pick_fd();

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->flow = b && !one_in(5) ? b->flow : pick_flow();
	if (do_ioctl(fd, EXO_IOC_NIC_STAT, sizeof(*a), rf, 1)) {
		if (b && ioctl_plain && a->flow == b->flow && fd == fds[b->env])
			flow_gone(b->flow, b->env, errno);
		return;
	}
	if (!b || !ioctl_plain || a->flow != b->flow)
		return;
	for (i = 0; i < NCTR; i++) {
		if (c[i] > b->last[i])
			__atomic_fetch_add(&sh->nic_ctr[i], c[i] - b->last[i],
					   __ATOMIC_RELAXED);
		b->last[i] = c[i];
	}
}

/* ---- NIC: filters ---------------------------------------------------------------------- */

#define S(c, k)		((struct sock_filter)BPF_STMT(c, k))
#define J(c, k, t, f)	((struct sock_filter)BPF_JUMP(c, k, t, f))

/* A classic program into @f (room for EXO_FILTER_MAX_CLASSIC + 8); its length. */
static __u32 classic_prog(struct sock_filter *f)
{
	__u32 i, n;

	switch (rn(17)) {
	case 0: f[0] = S(BPF_RET | BPF_K, 0xffff); return 1;
	case 1: f[0] = S(BPF_RET | BPF_K, 0); return 1;
	case 2:		/* UDP only */
		f[0] = S(BPF_LD | BPF_B | BPF_ABS, 9);
		f[1] = J(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 1);
		f[2] = S(BPF_RET | BPF_K, 0xffff);
		f[3] = S(BPF_RET | BPF_K, 0);
		return 4;
	case 3:		/* even destination ports, through the IP header length */
		f[0] = S(BPF_LDX | BPF_B | BPF_MSH, 0);
		f[1] = S(BPF_LD | BPF_H | BPF_IND, 2);
		f[2] = S(BPF_ALU | BPF_AND | BPF_K, 1);
		f[3] = J(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1);
		f[4] = S(BPF_RET | BPF_K, 0xffff);
		f[5] = S(BPF_RET | BPF_K, 0);
		return 6;
	case 4:		/* ancillary data */
		f[0] = S(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + 4 * rn(16));
		f[1] = S(BPF_RET | BPF_A, 0);
		return 2;
	case 5:		/* network and link-layer relative loads */
		f[0] = S(BPF_LD | BPF_B | BPF_ABS, SKF_NET_OFF + 9);
		f[1] = S(BPF_LD | BPF_H | BPF_ABS, SKF_LL_OFF + 12);
		f[2] = S(BPF_RET | BPF_A, 0);
		return 3;
	case 6:		/* a load past the packet: 0, drop */
		f[0] = S(BPF_LD | BPF_W | BPF_ABS, one_in(2) ? 5000 : 0x7fffffff);
		f[1] = S(BPF_RET | BPF_K, 0xffff);
		return 2;
	case 7:		/* scratch memory */
		f[0] = S(BPF_LD | BPF_IMM, 7);
		f[1] = S(BPF_ST, 3);
		f[2] = S(BPF_LDX | BPF_MEM, 3);
		f[3] = S(BPF_MISC | BPF_TXA, 0);
		f[4] = S(BPF_RET | BPF_A, 0);
		return 5;
	case 8:		/* the longest program there may be */
		n = EXO_FILTER_MAX_CLASSIC;
		for (i = 0; i + 1 < n; i++)
			f[i] = S(BPF_ALU | BPF_ADD | BPF_K, 1);
		f[n - 1] = S(BPF_RET | BPF_A, 0);
		return n;
	case 9: case 10:	/* random instructions: mostly refused */
		n = 1 + rn(8);
		for (i = 0; i < n; i++) {
			f[i].code = rnd();
			f[i].jt = rn(4);
			f[i].jf = rn(4);
			f[i].k = one_in(2) ? rn(64) : rnd();
		}
		if (one_in(2))
			f[n - 1] = S(BPF_RET | BPF_A, 0);
		return n;
	case 11:	/* a jump past the end */
		f[0] = S(BPF_JMP | BPF_JA, 100);
		f[1] = S(BPF_RET | BPF_K, 0);
		return 2;
	case 12:	/* no return */
		f[0] = S(BPF_LD | BPF_IMM, 1);
		return 1;
	case 13:	/* division by a constant 0 */
		f[0] = S(BPF_ALU | BPF_DIV | BPF_K, 0);
		f[1] = S(BPF_RET | BPF_A, 0);
		return 2;
	case 14:	/* scratch slot out of range */
		f[0] = S(BPF_LD | BPF_MEM, 16);
		f[1] = S(BPF_RET | BPF_A, 0);
		return 2;
	case 15:	/* division by X, which may be 0 at run time */
		f[0] = S(BPF_LDX | BPF_B | BPF_ABS, 1);
		f[1] = S(BPF_LD | BPF_IMM, 1000);
		f[2] = S(BPF_ALU | BPF_DIV | BPF_X, 0);
		f[3] = S(BPF_RET | BPF_A, 0);
		return 4;
	default:	/* ancillary offsets that do not exist */
		f[0] = S(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_MAX + rn(64));
		f[1] = S(BPF_RET | BPF_A, 0);
		return 2;
	}
}

static void op_nic_filter(void)
{
	static const struct field rf[] = {
		F(struct exo_nic_filter, flags), F(struct exo_nic_filter, prog_fd),
		F(struct exo_nic_filter, len), F(struct exo_nic_filter, insns),
		F(struct exo_nic_filter, flow),
	};
	struct exo_nic_filter *a = (void *)argpage;
	struct sock_filter *f = (struct sock_filter *)scratch;
	struct nbind *b = pick_nb();
	int sane = !one_in(3);
	__u32 n;

	memset(a, 0, sizeof(*a));
	a->flow = b && !one_in(5) ? b->flow : pick_flow();
	switch (rn(12)) {
	case 0:				/* remove */
		if (!sane && one_in(2))
			a->prog_fd = pick_prog(0);
		break;
	case 1: case 2: case 3: case 4: case 5:
		a->flags = EXO_FILTER_EBPF;
		a->prog_fd = sane ? progs[rn(X_SOCKFILTER)] : pick_prog(0);
		if (!sane && one_in(5))
			a->len = 1;
		break;
	case 6: case 7: case 8: case 9: case 10:
		a->flags = EXO_FILTER_CLASSIC;
		n = classic_prog(f);
		switch (sane ? 11 : rn(12)) {
		case 0: a->len = 0; break;
		case 1: a->len = EXO_FILTER_MAX_CLASSIC + 1; break;
		case 2: a->len = 0xffffffff; break;
		case 3: a->len = n + 1; break;
		case 4: a->len = n > 1 ? n - 1 : n; break;
		default: a->len = n;
		}
		a->insns = sane ? (uintptr_t)f : pick_ptr(f, sizeof(*f) * (n < 64 ? n : 64));
		if (!sane && one_in(5))
			a->prog_fd = pick_prog(0);
		race_extra = (unsigned char *)&f[rn(n)];
		race_extra_width = 8;
		break;
	default:
		a->flags = one_in(2) ? EXO_FILTER_EBPF | EXO_FILTER_CLASSIC :
			   pick_flags(3);
		a->prog_fd = pick_prog(0);
		a->len = rn(3);
		a->insns = one_in(2) ? (uintptr_t)f : 0;
	}
	do_ioctl(b && fds[b->env] >= 0 && !one_in(10) ? fds[b->env] : pick_fd(),
		 EXO_IOC_NIC_FILTER, sizeof(*a), rf, 5);
}

/* ---- NIC: wakeup predicates ------------------------------------------------------------ */

static void op_wait(void)
{
	static const struct field rf[] = {
		F(struct exo_wait, timeout_ns), F(struct exo_wait, tick_ns),
		F(struct exo_wait, window_off), F(struct exo_wait, window_len),
		F(struct exo_wait, prog_fd), F(struct exo_wait, window),
	};
	struct exo_wait *a = (void *)argpage;
	struct nbind *b = pick_nb();
	int sane = !one_in(3);	/* else every field may be out of range */
	long guard;
	int ret;

	memset(a, 0, sizeof(*a));
	if (!sane) {
		a->flags = pick_flags(0);
		if (one_in(10))
			a->__reserved = rnd();
	}
	a->prog_fd = one_in(10) ? -1 : sane ? progs[rn(NPROGS)] : pick_prog(1);
	if (a->prog_fd != -1 && !one_in(3)) {		/* a window */
		switch (rn(10)) {
		case 0: a->window = sane ? a->window : pick_cap(); break;	/* maybe not a frame */
		case 1: a->window = tombs[rn(8)]; break;
		case 2: a->window = ring_caps[rn(TYPED)]; break;
		case 3: case 4: case 5:
			if (b) {
				a->window = b->frames[one_in(2) ? 0 : rn(b->n)];
				break;
			}
			/* fall through */
		default: a->window = pick_typed(frame_caps);
		}
		switch (sane ? 9 : rn(10)) {
		case 0: a->window_off = PAGE; break;		/* past the page */
		case 1: a->window_off = PAGE - rn(8); a->window_len = 8; break;
		case 2: a->window_off = 0xffffffff; a->window_len = 2; break;
		case 3: a->window_len = EXO_WAIT_WINDOW_MAX + 1; break;
		case 4: a->window_off = PAGE - EXO_WAIT_WINDOW_MAX;
			a->window_len = EXO_WAIT_WINDOW_MAX; break;
		case 5: a->window_len = 0xffffffff; break;
		default:
			a->window_len = rn(EXO_WAIT_WINDOW_MAX + 1);
			a->window_off = rn(PAGE - a->window_len + 1);
		}
	} else if (!sane && one_in(5)) {	/* a window length and no window */
		a->window_len = 1 + rn(64);
		a->window_off = rn(2) * rn(PAGE);
	}
	if (!one_in(3))
		a->flow = b && !one_in(4) ? b->flow : sane ? 0 : pick_flow();
	switch (sane ? 5 + rn(10) : rn(16)) {
	case 0: a->timeout_ns = 0; break;			/* none */
	case 1: a->timeout_ns = EXO_WAIT_MAX_NS; break;
	case 2: a->timeout_ns = EXO_WAIT_MAX_NS + 1; break;
	case 3: a->timeout_ns = ~0ULL; break;
	case 4: a->timeout_ns = 1; break;
	case 5: a->timeout_ns = one_in(4) ? 0 : EXO_WAIT_MAX_NS; break;
	default: a->timeout_ns = 1000 * (1 + rn(20000));	/* up to 20 ms */
	}
	switch (a->prog_fd == -1 ? 11 : sane ? 5 + rn(7) : rn(12)) {
	case 0: a->tick_ns = EXO_WAIT_MIN_TICK_NS - 1; break;
	case 1: a->tick_ns = EXO_WAIT_MIN_TICK_NS; break;
	case 2: a->tick_ns = EXO_WAIT_MAX_NS; break;
	case 3: a->tick_ns = EXO_WAIT_MAX_NS + 1; break;
	case 4: a->tick_ns = ~0ULL; break;
	case 5: case 6: case 7: a->tick_ns = EXO_WAIT_MIN_TICK_NS + rn(3000000); break;
	default: a->tick_ns = 0;
	}
	/*
	 * Nothing sleeps long: a WAIT with no or a huge timeout (or one the
	 * racer rewrote) is cut short by SIGALRM (EINTR).
	 */
	guard = a->timeout_ns && a->timeout_ns <= 20000000ULL ?
		a->timeout_ns / 1000 + 2000 + rn(10000) : 2000 + rn(40000);
	arm_alarm(guard);
	ret = do_ioctl(b && fds[b->env] >= 0 && !one_in(10) ? fds[b->env] : pick_fd(),
		       EXO_IOC_WAIT, sizeof(*a), rf, 6);
	arm_alarm(0);
	__atomic_fetch_add(&sh->waits[ret == 0 ? 0 : errno == ETIME ? 1 :
				      errno == EINTR ? 2 : 3], 1, __ATOMIC_RELAXED);
	for (guard = 0; ret == 0 && guard < 6; guard++)
		if (a->reason & (1U << guard))
			__atomic_fetch_add(&sh->wake_reasons[guard], 1, __ATOMIC_RELAXED);
	if (ret == 0 && b && b->addr && !one_in(3)) {	/* woken: read what came */
		struct exo_nic_ring *r = (void *)b->addr;
		__u32 head, tail;

		if (!get32(&r->rx_head, &head) && !get32(&r->rx_tail, &tail))
			consume(b, head, tail);
	}
	if (ret == 0 && ioctl_plain && prog_never_true(a->prog_fd))
		anomaly("WAIT returned 0 (reason %#x, %u evals) with a predicate that is never true (%s)",
			a->reason, a->evals,
			a->prog_fd == progs[P_ABORTED] ? "aborted" : "adjust_head_false");
}

/* ---- NIC: io_uring commands -------------------------------------------------------------- */

static void ring_setup(void)
{
	if (ring_ok)
		io_uring_queue_exit(&ring);	/* maybe with commands in flight */
	ring_big = !one_in(8);
	ring_ok = !io_uring_queue_init(8, &ring, ring_big ? IORING_SETUP_SQE128 : 0);
	count_call(ring_ok ? 0 : -1);
}

#define URING_NIC_TAG	0x4e49430000000000ULL	/* "NIC" in user_data */

static void op_nic_uring(void)
{
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = { .tv_nsec = 100 * 1000 * 1000 };
	int i, n = 1 + rn(4), sub;
	struct nbind *b = pick_nb();
	int fd = b && fds[b->env] >= 0 && !one_in(10) ? fds[b->env] : pick_fd();

	if (!ring_ok || one_in(30)) {
		ring_setup();
		return;
	}
	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		struct { __u64 flow, timeout_ns; __u8 rest[64]; } c;

		if (!sqe)
			break;
		memset(&c, 0, sizeof(c));
		c.flow = b && !one_in(5) ? b->flow : pick_flow();
		io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
		sqe->cmd_op = one_in(20) ? rnd() : one_in(2) ? EXO_URING_NIC_TX :
							       EXO_URING_NIC_RX;
		if (sqe->cmd_op == EXO_URING_NIC_RX) {
			switch (rn(40)) {
			case 0: c.timeout_ns = 0; break;
			case 1: c.timeout_ns = EXO_URING_RX_MAX_NS + 1; break;
			case 2: c.timeout_ns = ~0ULL; break;
			case 3: c.timeout_ns = 1; break;
			case 4: c.timeout_ns = 100000000 + rn(400000000); break;
			case 5:	/* the longest: rare, it holds the exit up */
				c.timeout_ns = one_in(20) ? EXO_URING_RX_MAX_NS : 20000000;
				break;
			default: c.timeout_ns = 1000 * (1 + rn(30000));
			}
		} else if (one_in(10)) {
			c.timeout_ns = 1 + rn(1000);	/* must be 0 for TX */
		}
		if (one_in(10))			/* reserved bytes */
			c.rest[rn(sizeof(c.rest))] = 1 + rn(255);
		if (b && b->addr && sqe->cmd_op == EXO_URING_NIC_TX && one_in(2))
			fill_tx(b);
		memcpy(sqe->cmd, &c, ring_big ? sizeof(c) : 16);
		sqe->user_data = URING_NIC_TAG | sqe->cmd_op;
		if (one_in(10))
			sqe->flags |= IOSQE_IO_LINK;
		if (one_in(20))
			sqe->flags |= IOSQE_ASYNC;	/* the io-wq path */
	}
	sub = io_uring_submit(&ring);
	if (sub < 0)
		errno = -sub;
	count_call(sub < 0 ? -1 : 0);
	if (sub <= 0 || one_in(10))
		return;		/* leave them in flight */
	for (i = 0; i < sub; i++) {
		if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts))
			break;
		if ((cqe->user_data & ~0xffffffffULL) == URING_NIC_TAG) {
			__u32 op = cqe->user_data;

			errno = -cqe->res;
			count_call(cqe->res < 0 ? -1 : 0);
			/* RX: unread packets; TX: packets sent; both at most a ring */
			if ((op == EXO_URING_NIC_RX || op == EXO_URING_NIC_TX) &&
			    cqe->res > 2 * EXO_NIC_MAX_RING_FRAMES)
				anomaly("EXO_URING_NIC_%s completed with %d",
					op == EXO_URING_NIC_RX ? "RX" : "TX", cqe->res);
		}
		io_uring_cqe_seen(&ring, cqe);
	}
}

/* ---- NIC: capabilities die under bindings and waits ------------------------------------- */

static void op_nic_kill(void)
{
	struct nbind *b = pick_nb();
	struct nflow *f = own_flow(0);
	int fd = fds[cur], i;

	if (fd < 0)
		return;
	switch (rn(11)) {
	case 0: {				/* close the flow handle it was bound through */
		struct exo_cap_close c = { .size = sizeof(c) };

		if (!b)
			return;
		c.cap = b->flow;
		count_call(ioctl(fds[b->env] >= 0 ? fds[b->env] : fd,
				 EXO_IOC_CAP_CLOSE, &c));
		break;
	}
	case 1: case 2: {			/* revoke it (a tombstone), or only its children */
		struct exo_cap_revoke r = { .size = sizeof(r) };

		r.cap = b ? b->flow : f ? f->cap : pick_flow();
		r.flags = one_in(3) ? 0 : EXO_REVOKE_SELF;
		if (b && fds[b->env] >= 0)
			fd = fds[b->env];
		count_call(ioctl(fd, EXO_IOC_CAP_REVOKE, &r));
		if (r.flags)
			tombs[rn(8)] = r.cap;
		break;
	}
	case 3: case 4: {			/* close or revoke one of its ring frames */
		struct exo_cap_close c = { .size = sizeof(c) };
		struct exo_cap_revoke r = { .size = sizeof(r), .flags = EXO_REVOKE_SELF };

		if (!b || fds[b->env] < 0)
			return;
		c.cap = r.cap = b->frames[one_in(3) ? 0 : rn(b->n)];
		count_call(one_in(2) ? ioctl(fds[b->env], EXO_IOC_CAP_CLOSE, &c) :
				       ioctl(fds[b->env], EXO_IOC_CAP_REVOKE, &r));
		break;
	}
	case 5:					/* a tombstone flow handle to use */
		if (f) {
			exo_cap_t t = make_tomb(fd, f->cap, one_in(2) ? EXO_RIGHTS_ALL :
						EXO_RIGHT_READ | EXO_RIGHT_WRITE);

			count_call(t ? 0 : -1);
			if (t)
				tombs[rn(8)] = t;
		}
		break;
	case 6: {				/* a weaker child flow handle */
		struct exo_cap_derive d = { .size = sizeof(d) };

		if (!f)
			return;
		d.cap = f->cap;
		d.rights = one_in(2) ? EXO_RIGHT_READ : EXO_RIGHT_WRITE | EXO_RIGHT_GRANT;
		if (!ioctl(fd, EXO_IOC_CAP_DERIVE, &d)) {
			struct nflow child = *f;

			child.cap = d.child;
			add_cap(d.child);
			nflows[nnflows < NFLOWS ? nnflows++ : (int)rn(NFLOWS)] = child;
			count_call(0);
		} else {
			count_call(-1);
		}
		break;
	}
	case 7: {				/* a key for it, for another worker to import */
		struct exo_cap_export e = { .size = sizeof(e), .rights = EXO_RIGHTS_ALL };

		e.cap = b ? b->flow : f ? f->cap : 0;
		e.flags = one_in(2) ? EXO_KEY_REUSABLE : 0;
		if (!ioctl(fd, EXO_IOC_CAP_EXPORT, &e)) {
			sh->keys[rn(SHARED_KEYS)] = e.key;
			count_call(0);
		} else {
			count_call(-1);
		}
		break;
	}
	case 8: {				/* unmap the ring pages (the binding stays) */
		struct exo_frame_unmap u = { .size = sizeof(u) };
		__u64 *ad = (__u64 *)scratch;

		if (!b || !b->addr || fds[b->env] < 0)
			return;
		u.count = b->n;
		u.addrs = (uintptr_t)ad;
		for (i = 0; i < (int)b->n; i++)
			ad[i] = b->addr + (unsigned long)i * PAGE;
		if (one_in(2))
			count_call(ioctl(fds[b->env], EXO_IOC_FRAME_UNMAP, &u));
		else
			count_call(mprotect((void *)b->addr, b->n * PAGE, PROT_READ));
		break;
	}
	case 9:					/* the NIC env goes, with all it holds */
		if (one_in(4) && fds[NIC_ENV] >= 0 && !in_bg) {
			close(fds[NIC_ENV]);
			forget_env(NIC_ENV);
			nic_forget_env(NIC_ENV);
			fds[NIC_ENV] = open(EXO_DEVICE, O_RDWR);
			count_call(fds[NIC_ENV]);
			nic_env_known();
			break;
		}
		/* fall through */
	default:				/* forget the slot, tearing some of it down */
		if (b)
			nb_release(b - nbs, 1);
		count_call(0);
	}
}

/* ---- NIC: a background child on the same bindings ------------------------------------------ */

/* Reap child @pid (waitpid flags @flags) for op kind @op: its CPU time is the op's. */
static pid_t reap(pid_t pid, int *st, int flags, int op)
{
	struct rusage ru;
	pid_t r = wait4(pid, st, flags, &ru);

	if (r == pid)
		__atomic_fetch_add(&sh->spawn_cpu[op],
				   (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
				   (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL,
				   __ATOMIC_RELAXED);
	return r;
}

static int op_index(void (*fn)(void));
static void op_nic_bg(void);
static void op_nic_netns(void);

static void reap_bg(int kill9)
{
	int st;

	if (!bg_pid)
		return;
	if (kill9)
		kill(bg_pid, SIGKILL);
	if (reap(bg_pid, &st, kill9 ? 0 : WNOHANG, op_index(op_nic_bg)) != bg_pid)
		return;
	if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL) {
		fprintf(stderr, "# background child of worker %d died by signal %d\n",
			worker_idx, WTERMSIG(st));
		__atomic_fetch_add(&sh->crashes, 1, __ATOMIC_RELAXED);
	}
	bg_pid = 0;
}

static void bg_run(int n);

/* ---- NIC: a namespace of its own, both ends of a veth attached ----------------------- */

/* Bind a fresh UDP flow for @laddr:@port on @ifindex into slot @slot; 0 or -1. */
static int netns_bind(int fd, int slot, int ifindex, __be32 laddr, __u16 port)
{
	struct exo_flow_alloc a = {
		.size = sizeof(a), .ifindex = ifindex, .proto = IPPROTO_UDP,
		.laddr = laddr, .lport = port,
	};
	struct exo_frame_alloc fa = { .size = sizeof(fa), .count = 3 };
	struct exo_nic_bind nb = { .size = sizeof(nb), .rx_frames = 1, .tx_frames = 1 };
	exo_cap_t *fr = malloc(3 * sizeof(*fr));

	fa.caps = (uintptr_t)fr;
	fa.pfns = (uintptr_t)(scratch + SCRATCH_SIZE / 4);
	if (!fr || ioctl(fd, EXO_IOC_FLOW_ALLOC, &a) ||
	    ioctl(fd, EXO_IOC_FRAME_ALLOC, &fa)) {
		count_call(-1);
		free(fr);
		return -1;
	}
	nb_release(slot, 1);
	nb.flow = a.cap;
	nb.frames = (uintptr_t)fr;
	if (ioctl(fd, EXO_IOC_NIC_BIND, &nb)) {
		count_call(-1);
		free(fr);
		return -1;
	}
	count_call(0);
	nbs[slot] = (struct nbind){
		.used = 1, .env = cur, .flow = a.cap, .frames = fr,
		.n = 3, .rx = 1, .tx = 1,
		.f = { .cap = a.cap, .env = cur, .proto = IPPROTO_UDP,
		       .lport = port, .laddr = laddr },
	};
	if (!map_frames(fd, nb_base(slot), fr, 3))
		nbs[slot].addr = nb_base(slot);
	return 0;
}

/*
 * A child moves to a network namespace of its own with a veth pair whose
 * two ends it attaches (frames go from one exo ring to the other with no
 * Linux stack in between; an echo ASH on both ends bounces a packet for
 * ever), binds flows on both in the worker's (shared) envs, transmits,
 * waits and receives; then it exits or is killed -9, and the namespace,
 * its devices, flows and bindings go away while the envs live on.
 */
static void op_nic_netns(void)
{
	pid_t pid;
	int st;

	if (fork_depth || geteuid() || ns_fuzz < 0 || !one_in(6) ||
	    !op_gate(cur_op, NETNS_EVERY))
		return;
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		int fd = fds[cur], ia, ib, i;
		__u16 port = 1024 + rn(60000);

		prctl_pdeathsig();
		rs ^= 0x6e65746e73ULL;
		use_race = 0;
		ring_ok = 0;
		bg_pid = 0;
		fork_depth = 1;
		/* room for two more devices: drop dummies of the fuzz namespace */
		for (i = 0; i < 2 && fd >= 0; i++)
			nic_attach(fd, 1, sh->ifindex[2 + rn(4)]);
		if (fd < 0 || unshare(CLONE_NEWNET) || nl_link_add("fy0", "veth", "fy1", -1) ||
		    nl_addr(-1, "fy0", htonl(0x0a4e0001), 0) ||
		    nl_addr(-1, "fy1", htonl(0x0a4e0002), 0) ||
		    link_set(-1, "fy0", 1, 0) || link_set(-1, "fy1", 1, 0))
			_exit(0);
		ia = nl_getlink(-1, "fy0", NULL);
		ib = nl_getlink(-1, "fy1", NULL);
		count_call(nic_attach(fd, 0, ia));
		count_call(nic_attach(fd, 0, ib));
		if (!netns_bind(fd, 0, ia, htonl(0x0a4e0001), port) &&
		    !netns_bind(fd, 1, ib, htonl(0x0a4e0002), port) &&
		    nbs[0].addr && nbs[1].addr) {
			struct exo_nic_tx t = { .size = sizeof(t), .flow = nbs[0].flow };

			/* each end sends to the other: its MAC, address and port */
			for (i = 0; i < 2; i++) {
				struct exo_nic_ring *peer = (void *)nbs[!i].addr;

				nbs[i].has_dmac = !guarded_copy(nbs[i].dmac, peer->mac, 6);
				nbs[i].f.raddr = nbs[!i].f.laddr;
				nbs[i].f.rport = port;
			}
			for (i = 0; i < 2; i++) {
				struct exo_nic_filter f = {
					.size = sizeof(f), .flags = EXO_FILTER_EBPF,
					.flow = nbs[i].flow,
					.prog_fd = progs[one_in(3) ? P_PASS : P_ECHO],
				};

				if (f.prog_fd >= 0)
					count_call(ioctl(fd, EXO_IOC_NIC_FILTER, &f));
			}
			fill_tx(&nbs[0]);
			count_call(ioctl(fd, EXO_IOC_NIC_TX, &t));
		}
		bg_run(20 + rn(80));
		if (one_in(3))
			nl_link_del(-1, "fy0");
		_exit(0);
	}
	count_call(0);
	if (one_in(2)) {
		usleep(rn(300000));
		kill(pid, SIGKILL);
	}
	if (reap(pid, &st, 0, op_index(op_nic_netns)) == pid && WIFSIGNALED(st) &&
	    WTERMSIG(st) != SIGKILL) {
		fprintf(stderr, "# netns child of worker %d died by signal %d\n",
			worker_idx, WTERMSIG(st));
		__atomic_fetch_add(&sh->crashes, 1, __ATOMIC_RELAXED);
	}
}

static void op_nic_bg(void)
{
	pid_t pid;

	if (fork_depth)
		return;
	if (bg_pid) {
		reap_bg(0);
		if (bg_pid && one_in(3))
			reap_bg(1);	/* kill -9, wherever it is */
		count_call(0);
		return;
	}
	if (!op_gate(cur_op, BG_EVERY))
		return;
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		prctl_pdeathsig();
		rs ^= 0xb6b6b6b6b6b6b6b6ULL;
		use_race = 0;
		ring_ok = 0;
		in_bg = 1;
		fork_depth = 1;
		bg_run(50 + rn(300));
		_exit(0);
	}
	__atomic_fetch_add(&sh->bg_children, 1, __ATOMIC_RELAXED);
	bg_pid = pid;
	count_call(0);
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
		bg_pid = 0;		/* so is the background child */
		fork_depth = depth + 1;
		if (use_nic && one_in(4)) {
			/* an unprivileged process on the same envs */
			struct __user_cap_header_struct hd = {
				.version = _LINUX_CAPABILITY_VERSION_3,
			};
			struct __user_cap_data_struct d[2] = { { 0 } };

			syscall(SYS_capset, &hd, d);
		}
		run_ops(20 + rn(200), depth + 1);
		_exit(0);
	}
	count_call(0);
	if (one_in(2)) {
		usleep(rn(3000));
		kill(pid, SIGKILL);
	}
	if (reap(pid, &st, 0, cur_op) != pid)
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
	int extent;		/* 1: extent op, 2: NIC op */
	int lweight;		/* long profile: the weight, if not @weight */
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
	{ op_mmap_region, 6, 0, 3 },	/* mmap + munmap: 10+ ms under the debug kernel */
	{ op_munmap_region, 3, 0, 1 },	/* 10 ms */
	{ op_mprotect_region, 2, 0 },
	{ op_mremap_region, 1, 0 },
	{ op_touch, 6, 0, 2 },		/* a SIGBUS: 4 ms */
	{ op_madvise, 2, 0 },
	{ op_dup, 1, 0 },
	{ op_info, 3, 0 },
	{ op_read_poll, 3, 0 },
	{ op_debugfs_revoke, 1, 0 },
	{ op_raw, 2, 0 },
	{ op_uring, 3, 1 },
	{ op_nic_attach, 2, 2 },
	{ op_nic_detach, 1, 2 },
	{ op_flow_alloc, 4, 2 },
	{ op_nic_bind, 4, 2, 1 },	/* ~10 calls, a dozen frames: 20+ ms */
	{ op_nic_unbind, 2, 2 },
	{ op_nic_filter, 3, 2 },
	{ op_nic_tx, 5, 2 },
	{ op_nic_rx, 6, 2 },
	{ op_nic_stat, 2, 2 },
	{ op_wait, 3, 2 },
	{ op_nic_uring, 2, 2 },
	{ op_nic_kill, 3, 2 },
	{ op_nic_bg, 1, 2 },
	{ op_nic_netns, 1, 2 },
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
	"nic_attach",
	"nic_detach",
	"flow_alloc",
	"nic_bind",
	"nic_unbind",
	"nic_filter",
	"nic_tx",
	"nic_rx",
	"nic_stat",
	"wait",
	"nic_uring",
	"nic_kill",
	"nic_bg",
	"nic_netns",
};


/*
 * The thread's CPU time is a system call to read (the wall clock is not):
 * one op in CPU_EVERY is sampled (@c0 not 0), its CPU time counted
 * CPU_EVERY times.
 */
#define CPU_EVERY	8
#define CPU_SAMPLE(k)	((k) % CPU_EVERY ? 0 : cpu_ns())

/* Add the time since @t0 (CPU time since @c0) to op kind @op: a worker's own, or a child's. */
static void op_time(int op, unsigned long long t0, unsigned long long c0)
{
	unsigned long long d = now_ns() - t0, c = c0 ? (cpu_ns() - c0) * CPU_EVERY : 0;

	if (fork_depth) {
		__atomic_fetch_add(&sh->kid_ns[op], d, __ATOMIC_RELAXED);
		__atomic_fetch_add(&sh->kid_cpu[op], c, __ATOMIC_RELAXED);
		__atomic_fetch_add(&sh->kid_runs[op], 1, __ATOMIC_RELAXED);
	} else {
		__atomic_fetch_add(&sh->op_ns[op], d, __ATOMIC_RELAXED);
		__atomic_fetch_add(&sh->op_cpu[op], c, __ATOMIC_RELAXED);
		__atomic_fetch_add(&sh->op_runs[op], 1, __ATOMIC_RELAXED);
	}
}

/* The background child: transmit, receive, wait, close and revoke, on the worker's bindings. */
static void bg_run(int n)
{
	static const op_fn fns[] = {
		op_nic_tx, op_nic_tx, op_nic_tx, op_nic_rx, op_nic_rx, op_wait,
		op_wait, op_nic_stat, op_nic_uring, op_nic_filter, op_nic_unbind,
		op_nic_kill,
	};
	unsigned long long t0, c0;

	while (n--) {
		op_fn fn = fns[rn(sizeof(fns) / sizeof(fns[0]))];

		choose_env();
		if (fds[NIC_ENV] >= 0 && !one_in(3))
			cur = NIC_ENV;
		for (cur_op = 0; cur_op < (int)NOPS && ops[cur_op].fn != fn; cur_op++)
			;
		t0 = now_ns();
		c0 = CPU_SAMPLE(n);
		fn();
		op_time(cur_op, t0, c0);
	}
}

static int op_index(void (*fn)(void))
{
	int i;

	for (i = 0; i < (int)NOPS && ops[i].fn != fn; i++)
		;
	return i;
}

/*
 * Long profile: may op kind @i (NOPS: fork) run now?  At most one per
 * @every calls, whichever worker asks first (then the next may run
 * @every calls later).
 */
static int op_gate(int i, unsigned long every)
{
	unsigned long now = sh->calls, next;

	if (!LONG || !every)
		return 1;
	next = __atomic_load_n(&sh->op_next[i], __ATOMIC_RELAXED);
	return now >= next &&
	       __atomic_compare_exchange_n(&sh->op_next[i], &next, now + every, 0,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static int op_weight(unsigned int i)
{
	return LONG && ops[i].lweight ? ops[i].lweight : ops[i].weight;
}

static int op_enabled(unsigned int i)
{
	return ops[i].extent == 1 ? use_extent : ops[i].extent == 2 ? use_nic : 1;
}

/*
 * Run ops: @n of them in a child (@depth > 0); in a worker (@depth 0),
 * until the workers and their children have made @n calls in all.
 */
static void run_ops(long n, int depth)
{
	unsigned long long t0, c0;
	int total = 0;
	unsigned int i;
	long k;

	for (i = 0; i < NOPS; i++)
		if (op_enabled(i))
			total += op_weight(i);
	for (k = 0; depth ? k < n : (long)sh->calls < n; k++) {
		int w;

		if (one_in(400) && op_gate(NOPS, FORK_EVERY)) {
			cur_op = NOPS;		/* counted as "fork" */
			t0 = now_ns();
			c0 = CPU_SAMPLE(k);
			op_fork(depth);
			op_time(NOPS, t0, c0);
			continue;
		}
		choose_env();
		w = rn(total);
		for (i = 0; i < NOPS; i++) {
			if (!op_enabled(i))
				continue;
			w -= op_weight(i);
			if (w < 0)
				break;
		}
		if (depth == 0) {
			sh->last_op[worker_idx] = i;
			sh->last_call[worker_idx] = k;
		}
		if (ops[i].extent == 2 && fds[NIC_ENV] >= 0 && !one_in(3))
			cur = NIC_ENV;
		cur_op = i;
		t0 = now_ns();
		c0 = CPU_SAMPLE(k);
		ops[i].fn();
		op_time(i, t0, c0);
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

/* Worker @idx: ops until the workers have made @calls calls in all. */
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

	for (i = 0; i <= MAX_FDS; i++)
		fds[i] = -1;
	fds[0] = open(EXO_DEVICE, O_RDWR);
	if (use_nic) {
		fds[NIC_ENV] = open(EXO_DEVICE, O_RDWR);
		nic_env_known();
	}
	if (fds[0] < 0) {
		perror(EXO_DEVICE);
		exit(1);
	}
	if (use_nic) {
		int p[2];

		if (!pipe(p))
			nonbpf_fd = p[0];
		closed_fd = open("/dev/null", O_RDONLY);
		close(closed_fd);
	}
	if (use_race) {
		sigset_t ss, old;

		/* SIGALRM (cutting a WAIT short) is for this thread, not the racer */
		sigemptyset(&ss);
		sigaddset(&ss, SIGALRM);
		pthread_sigmask(SIG_BLOCK, &ss, &old);
		sem_init(&race_go, 0, 0);
		sem_init(&race_done, 0, 0);
		if (pthread_create(&t, NULL, racer, NULL))
			use_race = 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	run_ops(calls, 0);
	reap_bg(1);
	if (use_race) {
		clockid_t cl;
		struct timespec ts;

		if (!pthread_getcpuclockid(t, &cl) && !clock_gettime(cl, &ts))
			__atomic_fetch_add(&sh->racer_cpu, ts.tv_sec * 1000000000ULL +
					   ts.tv_nsec, __ATOMIC_RELAXED);
	}
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

/*
 * "# time by op (...): name=ms/cpu ms/runs/mean ms ...": the 16 op kinds
 * that took longest (wall time), their CPU time (of the calling thread),
 * how often they ran; then the rest summed.
 */
static void print_times(const char *what, const unsigned long long *ns,
			const unsigned long long *cpu, const unsigned long long *spawn,
			const unsigned long *runs)
{
	unsigned long long cpu_all = 0;
	unsigned long long all = 0, shown = 0;
	int idx[NOPS + 1], i, j, n = 0;

	for (i = 0; i <= (int)NOPS; i++) {
		all += ns[i];
		cpu_all += cpu[i] + (spawn ? spawn[i] : 0);
		if (!runs[i])
			continue;
		for (j = n++; j > 0 && ns[idx[j - 1]] < ns[i]; j--)
			idx[j] = idx[j - 1];
		idx[j] = i;
	}
	if (!n)
		return;
	printf("# %s (%.0f ms in all, %.0f ms CPU; ms/CPU ms/runs/mean ms):", what,
	       all / 1e6, cpu_all / 1e6);
	for (j = 0; j < n && j < 16; j++) {
		i = idx[j];
		shown += ns[i];
		printf(" %s=%.0f/%.0f/%lu/%.2f", i == (int)NOPS ? "fork" : op_names[i],
		       ns[i] / 1e6, (cpu[i] + (spawn ? spawn[i] : 0)) / 1e6, runs[i],
		       ns[i] / 1e6 / runs[i]);
	}
	if (n > 16)
		printf(" rest=%.0f", (all - shown) / 1e6);
	printf("\n");
}

static void usage(void)
{
	fprintf(stderr, "usage: exo_fuzz [--calls N] [--procs P] [--seed S] "
		"[--profile short|long] [--no-race] [--no-extent] [--no-nic] "
		"[--no-traffic] [--hang-secs S]\n");
	exit(2);
}

static int parse_profile(const char *s)
{
	if (!strcmp(s, "short"))
		return 0;
	if (!strcmp(s, "long"))
		return 1;
	usage();
	return -1;
}

/* A live counter of debugfs totals by name, or -1. */
static long long totals_get(const char *name)
{
	char buf[4096], *p;
	size_t n = strlen(name);

	if (exo_read_file(EXO_DEBUGFS "/totals", buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, name, n) && p[n] == ' ')
			return atoll(p + n + 1);
	}
	return -1;
}

/* Wait up to @ms for the NIC counters (and extents) to drop to zero; 0 if they did. */
static int nic_totals_zero(int ms, char *why, size_t len)
{
	static const char *const names[] = {
		"nic_devs", "nic_binds", "objects.flow", "objects.extent",
		"frames_mapped",
	};
	unsigned int i;
	long long v = 0;

	for (;;) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			v = totals_get(names[i]);
			if (v != 0 && !(v < 0 && i >= 3))	/* older modules lack some */
				break;
		}
		if (i == sizeof(names) / sizeof(names[0]))
			return 0;
		if (ms <= 0) {
			snprintf(why, len, "%s %lld", names[i], v);
			return -1;
		}
		usleep(100000);
		ms -= 100;
	}
}

/* Whether @pid is a descendant of ours; its comm and state into @comm/@state. */
static int ours(pid_t pid, char *comm, size_t len, char *state)
{
	pid_t me = getpid(), p = pid;
	int depth;

	for (depth = 0; depth < 16 && p > 1; depth++) {
		char path[64], buf[512], *rp;
		FILE *f;
		int ppid = 0;

		snprintf(path, sizeof(path), "/proc/%d/stat", p);
		f = fopen(path, "r");
		if (!f)
			return 0;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
		rp = strrchr(buf, ')');
		if (!rp || sscanf(rp + 2, "%*c %d", &ppid) != 1)
			return 0;
		if (p == pid) {
			char *lp = strchr(buf, '(');

			snprintf(comm, len, "%.*s", lp ? (int)(rp - lp - 1) : 0, lp ? lp + 1 : "");
			*state = rp[2];
		}
		if (ppid == me)
			return 1;
		p = ppid;
	}
	return 0;
}

static void print_file(const char *prefix, const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		printf("%s%s", prefix, line);
	fclose(f);
}

/* No call was made for a long time: show where each process of ours sleeps. */
static void hang_report(void)
{
	char path[128], comm[64], state, wchan[64];
	struct dirent *de;
	DIR *d = opendir("/proc"), *td;

	if (!d)
		return;
	while ((de = readdir(d))) {
		pid_t pid = atoi(de->d_name);

		if (pid <= 0 || !ours(pid, comm, sizeof(comm), &state))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task", pid);
		td = opendir(path);
		while (td && (de = readdir(td))) {
			pid_t tid = atoi(de->d_name);
			int n;

			if (tid <= 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", pid, tid);
			n = exo_read_file(path, wchan, sizeof(wchan));
			printf("# hang: pid %d tid %d (%s) state %c wchan %s\n", pid, tid,
			       comm, state, n > 0 ? wchan : "?");
			snprintf(path, sizeof(path), "/proc/%d/task/%d/stack", pid, tid);
			print_file("# hang:     ", path);
		}
		if (td)
			closedir(td);
	}
	closedir(d);
	fflush(stdout);
}

static int hang_secs = 120;

/* SIGKILL every process of ours but the side processes. */
static void kill_ours(void)
{
	char comm[64], state;
	struct dirent *de;
	DIR *d = opendir("/proc");

	while (d && (de = readdir(d))) {
		pid_t pid = atoi(de->d_name);

		if (pid > 0 && pid != traffic_pid && pid != links_pid &&
		    ours(pid, comm, sizeof(comm), &state))
			kill(pid, SIGKILL);
	}
	if (d)
		closedir(d);
}

static struct rusage ru_workers, ru_traffic, ru_links;

static const char *const link_names[] = {
	"mtu", "downup", "del", "move", "detach", "attach", "del2", "addr",
};

/*
 * A link change that takes more than 10 s (rtnl held elsewhere, a device
 * waiting for its last reference): print where the link process sleeps,
 * for the first three such.
 */
static void link_watch(void)
{
	static unsigned long long seen;
	static int dumps;
	unsigned long long busy = sh->link_busy;
	char path[64];

	if (!links_pid || !busy || busy == seen || dumps >= 3 ||
	    now_ns() - busy < 10000000000ULL)
		return;
	seen = busy;
	dumps++;
	printf("# link process: \"%s\" busy for %.0f s, in the kernel at:\n",
	       link_names[sh->link_kind], (now_ns() - busy) / 1e9);
	snprintf(path, sizeof(path), "/proc/%d/stack", links_pid);
	print_file("#     ", path);
	fflush(stdout);
}

static void ru_add(struct rusage *to, const struct rusage *ru)
{
	timeradd(&to->ru_utime, &ru->ru_utime, &to->ru_utime);
	timeradd(&to->ru_stime, &ru->ru_stime, &to->ru_stime);
}

static double ru_secs(const struct rusage *ru, int user, int sys)
{
	return (user ? ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 : 0) +
	       (sys ? ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6 : 0);
}

/* A line every PROGRESS_CALLS calls: where a long run is, and how fast. */
#define PROGRESS_CALLS	100000

static long meminfo_kb(const char *key)
{
	char line[128];
	long v = -1;
	size_t n = strlen(key);
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = atol(line + n + 1);
			break;
		}
	if (f)
		fclose(f);
	return v;
}

static void progress(unsigned long long start)
{
	static unsigned long next = PROGRESS_CALLS, last_calls;
	static unsigned long long last_ns;
	unsigned long calls = sh->calls;
	unsigned long long t = now_ns();

	if (calls < next)
		return;
	if (!last_ns)
		last_ns = start;
	printf("# progress: %lu calls in %.1f s (%.0f calls/s since the last line); slab %ld MiB, free %ld MiB\n",
	       calls, (t - start) / 1e9,
	       (calls - last_calls) / ((t - last_ns) / 1e9 ?: 1),
	       meminfo_kb("Slab") / 1024, meminfo_kb("MemFree") / 1024);
	fflush(stdout);
	last_calls = calls;
	last_ns = t;
	next = (calls / PROGRESS_CALLS + 1) * PROGRESS_CALLS;
}

/*
 * Wait for the @n workers, their statuses into @status; if no call at all
 * is made for hang_secs, report where everything sleeps (a hang is a
 * finding, counted as a crash), then kill them.
 */
static void wait_workers(const pid_t *pids, int *status, int n)
{
	struct rusage ru;
	unsigned long last = sh->calls;
	unsigned long long start = now_ns();
	int left = n, i, quiet = 0;
	char *done = calloc(n, 1);

	while (left > 0) {
		for (i = 0; i < n; i++) {
			if (done[i] || wait4(pids[i], &status[i], WNOHANG, &ru) != pids[i])
				continue;
			ru_add(&ru_workers, &ru);
			done[i] = 1;
			left--;
		}
		if (!left)
			break;
		link_watch();
		progress(start);
		if (sh->calls != last) {
			last = sh->calls;
			quiet = 0;
		} else if (++quiet == hang_secs * 10) {
			printf("# no call for %d s: a hang (%d workers still running)\n",
			       hang_secs, left);
			for (i = 0; i < n; i++)
				if (!done[i])
					printf("# worker %d: op %s, its call %lu\n", i,
					       op_names[sh->last_op[i]], sh->last_call[i]);
			hang_report();
			__atomic_fetch_add(&sh->crashes, 1, __ATOMIC_RELAXED);
			kill_ours();
		}
		usleep(100000);
	}
	free(done);
}

static pid_t side_start(void (*fn)(void))
{
	pid_t pid = fork();

	if (pid == 0)
		fn();
	return pid;
}

/* Ask a side process to finish, then make sure; its CPU time into @ru. */
static void side_stop(pid_t pid, struct rusage *ru)
{
	int i, st;

	if (pid <= 0)
		return;
	for (i = 0; i < 100; i++) {
		if (wait4(pid, &st, WNOHANG, ru) == pid)
			return;
		usleep(50000);
	}
	kill(pid, SIGKILL);
	wait4(pid, &st, 0, ru);
}

/* Kernel threads and their CPU time (ticks), from /proc. */
struct kthread {
	int pid;
	char comm[24];
	unsigned long long ticks;
};
#define MAX_KTHREADS 1024

static int kthreads(struct kthread *kt)
{
	char path[64], buf[512], *p;
	struct dirent *de;
	DIR *d = opendir("/proc");
	int n = 0;

	while (d && (de = readdir(d)) && n < MAX_KTHREADS) {
		unsigned long long ut, st;
		unsigned int flags;
		int pid = atoi(de->d_name), len;
		char *c;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		len = exo_read_file(path, buf, sizeof(buf) - 1);
		if (len <= 0)
			continue;
		buf[len] = 0;
		c = strchr(buf, '(');
		p = strrchr(buf, ')');
		if (!c || !p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %u %*u %*u %*u %*u %llu %llu",
				       &flags, &ut, &st) != 3 || !(flags & 0x00200000))	/* PF_KTHREAD */
			continue;
		kt[n].pid = pid;
		snprintf(kt[n].comm, sizeof(kt[n].comm), "%.*s", (int)(p - c - 1), c + 1);
		kt[n].ticks = ut + st;
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* "# kernel threads cpu s: N in all; the 6 busiest from @k0 (@n0 of them) to @k1". */
static void kthreads_print(const struct kthread *k0, int n0,
			   const struct kthread *k1, int n1)
{
	double hz = sysconf(_SC_CLK_TCK), all = 0, d[MAX_KTHREADS];
	int i, j, top[6] = { -1, -1, -1, -1, -1, -1 };

	for (i = 0; i < n1; i++) {
		d[i] = k1[i].ticks;
		for (j = 0; j < n0; j++)
			if (k0[j].pid == k1[i].pid)
				d[i] -= k0[j].ticks;
		all += d[i];
		for (j = 0; j < 6; j++) {
			if (top[j] < 0 || d[i] > d[top[j]]) {
				memmove(top + j + 1, top + j, sizeof(*top) * (5 - j));
				top[j] = i;
				break;
			}
		}
	}
	printf("# kernel threads cpu s: %.1f in all;", all / hz);
	for (j = 0; j < 6 && top[j] >= 0 && d[top[j]] > 0; j++)
		printf(" %s=%.1f", k1[top[j]].comm, d[top[j]] / hz);
	printf("\n");
}

/*
 * The guest's CPU time so far (/proc/stat, in ticks): [0] all, [1] busy,
 * [2] user, [3] system, [4] irq and softirq; [5] context switches.
 */
static void cpu_ticks(unsigned long long *t)
{
	unsigned long long v[8] = { 0 };
	char line[256];
	FILE *f = fopen("/proc/stat", "r");

	if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
			 &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		memset(v, 0, sizeof(v));
	t[5] = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "ctxt %llu", &t[5]) == 1)
			break;
	if (f)
		fclose(f);
	/* user nice system idle iowait irq softirq steal */
	t[0] = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	t[1] = t[0] - v[3] - v[4];
	t[2] = v[0] + v[1];
	t[3] = v[2];
	t[4] = v[5] + v[6];
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "calls", required_argument, NULL, 'n' },
		{ "procs", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "no-race", no_argument, NULL, 'r' },
		{ "no-extent", no_argument, NULL, 'e' },
		{ "no-nic", no_argument, NULL, 'N' },
		{ "no-traffic", no_argument, NULL, 'T' },
		{ "hang-secs", required_argument, NULL, 'H' },
		{ "profile", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	int nic_up = 0, nprog = 0, *status;
	char why[128] = "";
	struct exo_totals zero = { 0 }, got;
	struct timespec t0, t1;
	unsigned long long cpu0[6], cpu1[6], start = now_ns();
	static struct kthread kt0[MAX_KTHREADS], kt1[MAX_KTHREADS];
	int nkt0 = 0, nkt1 = 0;
	long long total = 0, free_ = 0;
	int c, i, n, st, before, bad, crashed_before;
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
	if ((env = getenv("EXO_FUZZ_PROFILE")) && *env)
		profile = parse_profile(env);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'n': budget_calls = atol(optarg); break;
		case 'p': nprocs = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'r': use_race = 0; break;
		case 'e': use_extent = 0; break;
		case 'N': use_nic = 0; break;
		case 'T': use_traffic = 0; break;
		case 'H': hang_secs = atoi(optarg); break;
		case 'P': profile = parse_profile(optarg); break;
		default: usage();
		}
	}
	if (nprocs < 1 || nprocs > 64 || budget_calls < 0)
		usage();
	if (profile < 0)
		profile = budget_calls >= LONG_CALLS;

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
	printf("1..4\n");
	printf("# seed=%llu calls=%ld procs=%d profile=%s race=%d extent=%d nic=%d disk=%s\n",
	       seed, budget_calls, nprocs, LONG ? "long" : "short", use_race, use_extent,
	       use_nic, disk);
	fflush(stdout);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	memset(sh, 0, sizeof(*sh));
	before = dmesg_lines();

	/*
	 * NIC: as root, a private network namespace with the links, a few
	 * XDP programs, fz0 attached; then the traffic and link processes.
	 * Without root (or with --no-nic) the NIC calls still run against
	 * no device.
	 */
	if (use_nic && geteuid() == 0) {
		unsigned long long t_progs, t_net;

		rs = seed ^ 0x6e6963ULL;
		t_progs = now_ns();
		nprog = load_progs();
		t_net = now_ns();
		nic_up = !net_setup();
		printf("# nic: %s; %d of %d XDP/BPF programs loaded (%.1f s); fz0 ifindex %d; dummies %s (%.1f s)\n",
		       nic_up ? "veth pairs up, fz0 attached" : "no network",
		       nprog, NPROGS, (t_net - t_progs) / 1e9, sh->ifindex[0],
		       net_dummies ? "dummy" : "veth", (now_ns() - t_net) / 1e9);
		if (nic_up && use_traffic) {
			traffic_pid = side_start(traffic_main);
			links_pid = side_start(link_main);
		}
		fflush(stdout);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cpu_ticks(cpu0);
	nkt0 = kthreads(kt0);

	pids = calloc(nprocs, sizeof(*pids));
	for (i = 0; i < nprocs; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			worker(i, budget_calls);
	}
	crashed_before = 0;
	status = calloc(nprocs, sizeof(*status));
	wait_workers(pids, status, nprocs);
	for (i = 0; i < nprocs; i++) {
		st = status[i];
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
	cpu_ticks(cpu1);
	nkt1 = kthreads(kt1);

	/* Side processes first, then every device they or the workers attached. */
	sh->stop = 1;
	side_stop(links_pid, &ru_links);
	side_stop(traffic_pid, &ru_traffic);
	if (use_nic && ns_fuzz >= 0)
		net_detach_all();

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
	print_times("time by op", sh->op_ns, sh->op_cpu, sh->spawn_cpu, sh->op_runs);
	print_times("time by op in children", sh->kid_ns, sh->kid_cpu, NULL, sh->kid_runs);
	{
		double hz = sysconf(_SC_CLK_TCK);

		printf("# racer: %lu calls raced, the racer flipped during %lu\n",
		       sh->raced, sh->race_live);
		printf("# cpu s: guest busy %.1f of %.1f (user %.1f system %.1f irq+softirq %.1f; %.1f context switches a call); workers and children %.1f (user %.1f; racer threads %.1f); traffic %.1f; links %.1f\n",
		       (cpu1[1] - cpu0[1]) / hz, (cpu1[0] - cpu0[0]) / hz,
		       (cpu1[2] - cpu0[2]) / hz, (cpu1[3] - cpu0[3]) / hz,
		       (cpu1[4] - cpu0[4]) / hz,
		       (double)(cpu1[5] - cpu0[5]) / (sh->calls ?: 1), ru_secs(&ru_workers, 1, 1),
		       ru_secs(&ru_workers, 1, 0), sh->racer_cpu / 1e9,
		       ru_secs(&ru_traffic, 1, 1), ru_secs(&ru_links, 1, 1));
		kthreads_print(kt0, nkt0, kt1, nkt1);
	}
	for (i = 0; i < (int)NOPS; i++) {
		int e, top[4] = { 0 }, k;

		if (ops[i].extent != 2)
			continue;
		for (e = 1; e < 160; e++) {	/* the 4 most frequent errnos */
			for (k = 0; k < 4; k++) {
				if (sh->op_errnos[i][e] > sh->op_errnos[i][top[k]]) {
					memmove(top + k + 1, top + k, sizeof(*top) * (3 - k));
					top[k] = e;
					break;
				}
			}
		}
		printf("# %s: %lu/%lu ok;", op_names[i], sh->op_ok[i], sh->op_calls[i]);
		for (k = 0; k < 4 && top[k]; k++)
			printf(" %s=%u", strerrorname_np(top[k]) ?: "?",
			       sh->op_errnos[i][top[k]]);
		printf("\n");
	}
	if (use_nic) {
		printf("# nic counters (NIC_STAT deltas):");
		for (i = 0; i < NCTR; i++)
			printf(" %s=%lu", ctr_names[i], sh->nic_ctr[i]);
		printf("\n# nic: waits ok=%lu (start %lu rx %lu tx %lu io %lu event %lu timer %lu) ETIME=%lu EINTR=%lu other=%lu; %lu background children; %lu packets from the peer, fz0 saw %lu frames and its flows claimed %lu (sampled); links: mtu=%lu downup=%lu del=%lu move=%lu detach=%lu attach=%lu del2=%lu addr=%lu\n",
		       sh->waits[0], sh->wake_reasons[0], sh->wake_reasons[1],
		       sh->wake_reasons[2], sh->wake_reasons[3], sh->wake_reasons[4],
		       sh->wake_reasons[5], sh->waits[1], sh->waits[2], sh->waits[3],
		       sh->bg_children, sh->pkts_sent, sh->rx_seen, sh->rx_claimed,
		       sh->link_ops[L_MTU],
		       sh->link_ops[L_DOWNUP], sh->link_ops[L_DEL],
		       sh->link_ops[L_MOVE], sh->link_ops[L_DETACH],
		       sh->link_ops[L_ATTACH], sh->link_ops[L_DEL2],
		       sh->link_ops[L_ADDR]);
		printf("# nic: link process ms: mtu=%.0f downup=%.0f del=%.0f move=%.0f detach=%.0f attach=%.0f del2=%.0f addr=%.0f\n",
		       sh->link_ns[L_MTU] / 1e6, sh->link_ns[L_DOWNUP] / 1e6,
		       sh->link_ns[L_DEL] / 1e6, sh->link_ns[L_MOVE] / 1e6,
		       sh->link_ns[L_DETACH] / 1e6, sh->link_ns[L_ATTACH] / 1e6,
		       sh->link_ns[L_DEL2] / 1e6, sh->link_ns[L_ADDR] / 1e6);
	}

	if (sh->crashes)
		printf("not ok 1 no process died of an unexpected signal (%lu did)\n",
		       sh->crashes);
	else
		printf("ok 1 no process died of an unexpected signal\n");

	/*
	 * Every env is closed: live counters zero, every frame back, no
	 * device attached and no binding left (an io_uring receive command
	 * may hold its env for up to EXO_URING_RX_MAX_NS).
	 */
	c = exo_totals_wait(&zero, &got, use_nic ? 15000 : 5000);
	n = nic_totals_zero(c ? 0 : 5000, why, sizeof(why));
	i = frames_whole(&total, &free_);
	if (c == 0 && i == 1 && n == 0) {
		printf("ok 2 after the fuzz every live counter (nic_devs and nic_binds too) is zero and frames_free == frames_total (%lld)\n",
		       total);
	} else {
		printf("# totals: %s; frames_total %lld frames_free %lld%s%s\n",
		       c == -ETIMEDOUT || c == 0 ? exo_totals_str(&got) : "unreadable",
		       total, free_, n ? "; " : "", n ? why : "");
		printf("not ok 2 after the fuzz every live counter (nic_devs and nic_binds too) is zero and frames_free == frames_total\n");
		if (!c)
			c = -1;
	}

	bad = dmesg_problems(before);
	if (bad) {
		sh->crashes += 1;
		printf("not ok 3 no kernel problem in dmesg (%d lines)\n", bad);
	} else {
		printf("ok 3 no kernel problem in dmesg\n");
	}
	if (!use_nic)
		printf("ok 4 # SKIP NIC calls left out (--no-nic)\n");
	else if (sh->anomalies)
		printf("not ok 4 NIC results make sense (%lu anomalies, see stderr)\n",
		       sh->anomalies);
	else
		printf("ok 4 NIC results make sense (no anomaly)\n");
	printf("# guest time: setup %.1f s, calls %.1f s, wind-down and checks %.1f s\n",
	       (t0.tv_sec * 1000000000ULL + t0.tv_nsec - start) / 1e9,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       (now_ns() - t1.tv_sec * 1000000000ULL - t1.tv_nsec) / 1e9);
	printf("FUZZ calls=%lu crashes=%lu\n", sh->calls, sh->crashes);
	return sh->crashes || sh->anomalies || c || i != 1 ? 1 : 0;
}
