/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exo_fuzz, split along its sections (what the fuzzer does: exo_fuzz.c):
 *
 *   fuzz_engine.c  the shared counters, the PRNG, the process's handles and
 *                  pointer targets, the racer thread, expected faults, the
 *                  value choosers, do_ioctl() and its size games, the op
 *                  table and the worker loop
 *   fuzz_core.c    core ops: envs, capabilities, keys, frames, quotas,
 *                  extents, regions and info pages, events, io_uring,
 *                  raw ioctls, fork
 *   fuzz_nic.c     NIC ops: programs, packets, the namespaces and links,
 *                  the traffic and link processes, flows, bindings, rings,
 *                  filters, predicates, background and netns children
 *   exo_fuzz.c     the checks afterwards and main()
 *   rtnl.[ch]      the rtnetlink client (shared with netenv.c)
 *
 * Everything the files share is declared here; the rest is static.
 */
#ifndef EXO_FUZZ_H
#define EXO_FUZZ_H

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
#include <ucontext.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <liburing.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/exo.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

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

/* ---- shared between all processes (fuzz_engine.c) ----------------------- */

struct shared {
	unsigned long calls;
	unsigned long crashes;
	unsigned long nth_armed, nth_injected;	/* fail-nth: calls armed, faults made */
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

extern struct shared *sh;

/* The run's settings (main() sets them before the workers start). */
extern long budget_calls;
extern int nprocs;
extern unsigned long long seed;
extern int use_race, use_extent, use_nic, use_traffic, use_fail_nth;
extern const char *disk;
extern pid_t traffic_pid, links_pid;	/* the side processes */

/*
 * The profile: 0 "short" (make check), 1 "long" (make check-debug's
 * fixed-length run); -1 until chosen (long from LONG_CALLS calls on).
 * The long profile keeps every op kind but holds the expensive ones to a
 * rate (at most one per *_EVERY calls, all workers together: op_gate()) or
 * a lower weight (ops[].lweight), and paces the side processes by calls
 * made rather than by time (side_pace()).
 */
extern int profile;
#define LONG_CALLS	200000
#define LONG		(profile == 1)
#define PKT_CALLS	120	/* long: calls made per packet the traffic process sends */
#define LINK_CALLS	6000	/* long: calls made per link change */
#define FORK_EVERY	4000	/* long: calls per fork (op_fork) */
#define BG_EVERY	3000	/* long: calls per background child (op_nic_bg) */
#define NETNS_EVERY	20000	/* long: calls per netns child (op_nic_netns) */

/* ---- the PRNG and clocks (fuzz_engine.c) ---------------------------------- */

extern __thread unsigned long long rs;	/* xorshift64* state, per thread */
unsigned long long rnd(void);
unsigned long long rn(unsigned long long n);	/* [0, n), 0 if n is 0 */
int one_in(int n);
unsigned long long now_ns(void);		/* CLOCK_MONOTONIC */

/* ---- per-process state (fuzz_engine.c) ------------------------------------ */

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
#define TYPED		32
extern int fds[MAX_FDS + 1];
extern exo_cap_t caps[MAX_CAPS];
extern int ncaps;
extern int cur;				/* fds[] index of the current op's env */
extern exo_cap_t frame_caps[TYPED], extent_caps[TYPED];	/* recent, any env */
extern exo_cap_t xn_caps[TYPED];			/* XN subtrees */
extern struct exo_key own_keys[16];	/* keys this process exported */
extern __u64 pfns[MAX_PFNS];
extern int npfns;
extern struct region regions[MAX_REGIONS];
extern int nregions;
extern void *infos[MAX_FDS];
extern unsigned long arena;
extern int worker_idx;

/* Pointer targets. */
extern unsigned char *argpage;		/* RW, never unmapped: ioctl structs */
extern unsigned char *scratch;		/* RW arrays */
extern unsigned char *edge_page;	/* RW page followed by a guard page */

/* The racer (see fuzz_engine.c): an extra target for the next do_ioctl(). */
extern unsigned char *race_extra;
extern unsigned int race_extra_width;

/*
 * Per thread: set while a fault on the access in progress is expected
 * (sigsetjmp(touch_jmp, 0) first; the fault handler longjmps there).
 */
extern __thread sigjmp_buf touch_jmp;
extern __thread volatile sig_atomic_t in_touch;

/* Cut the next blocking call short after @us microseconds (0: cancel). */
void arm_alarm(long us);
/* Read or write one byte at @p; SIGBUS/SIGSEGV there is expected. */
void touch(volatile unsigned char *p, int write);
/* Side processes and background children die with their parent. */
void prctl_pdeathsig(void);

/* ---- value choosers (fuzz_engine.c) --------------------------------------- */

int pick_fd(void);
void add_cap(exo_cap_t c);
void forget_env(int idx);
void add_typed(exo_cap_t *pool, exo_cap_t c);
exo_cap_t pick_cap(void);
exo_cap_t pick_typed(const exo_cap_t *pool);
__u32 pick_rights(void);
__u32 pick_flags(__u32 known);
__u32 pick_count(__u32 sane);
__u64 region_addr(void);
unsigned long pick_ptr(void *good, size_t len);
__u32 pick_batch(__u32 typical);
unsigned long pick_words(__u32 count, __u64 (*gen)(void));

/* ---- the ioctl call (fuzz_engine.c) --------------------------------------- */

/* A field of an argument struct the racer may flip. */
struct field {
	unsigned short off, width;
};
#define F(type, member) { offsetof(type, member), sizeof(((type *)0)->member) }

extern int cur_op;		/* ops[] index of the op running */
extern int ioctl_plain;		/* the last do_ioctl() passed the struct as built */
void count_call(int ret);
int do_ioctl(int fd, unsigned long cmd, size_t len, const struct field *rf, int nrf);

/* ---- the op table and the worker loop (fuzz_engine.c) --------------------- */

typedef void (*op_fn)(void);

struct op {
	op_fn fn;
	const char *name;
	int weight;
	int extent;		/* 1: extent op, 2: NIC op */
	int lweight;		/* long profile: the weight, if not @weight */
};
#define NOPS		56	/* ops[]; index NOPS of the per-op counters is "fork" */
extern const struct op ops[NOPS];

int op_index(op_fn fn);
int op_gate(int i, unsigned long every);
void run_ops(long n, int depth);
void bg_run(int n);
void worker(int idx, long calls);

/* ---- core ops (fuzz_core.c) ----------------------------------------------- */

void op_open(void);
void op_features(void);
void op_env_info(void);
void op_null_alloc(void);
void op_cap_info(void);
void op_derive(void);
void op_revoke(void);
void op_close(void);
void op_export(void);
void op_import(void);
void op_key_drop(void);
void op_frame_alloc(void);
void op_frame_map(void);
void op_frame_unmap(void);
void op_caps_close(void);
void op_set_quota(void);
void op_extent_attach(void);
void op_extent_detach(void);
void op_extent_stat(void);
void op_extent_alloc(void);
void op_extent_free(void);
void op_extent_reclaim(void);
void op_extent_io(void);
void op_xn_template(void);
void op_xn_owns(void);
void op_xn_root(void);
void op_xn_update(void);
void op_xn_read(void);
void op_xn_write(void);
void op_xn_subtree(void);
void op_mmap_region(void);
void op_munmap_region(void);
void op_mprotect_region(void);
void op_mremap_region(void);
void op_touch(void);
void op_madvise(void);
void op_dup(void);
void op_info(void);
void op_read_poll(void);
void op_debugfs_revoke(void);
void op_raw(void);
void op_uring(void);
void op_fork(int depth);

/* The worker's io_uring for extent I/O (op_uring); also used by op_nic_uring. */
extern struct io_uring ring;
extern int ring_ok, ring_big;

/* ---- NIC ops (fuzz_nic.c) ------------------------------------------------- */

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

/* The XDP programs load_progs() loads (progs[] in fuzz_nic.c). */
enum {
	P_PASS, P_DROP, P_TX, P_ABORTED, P_SEVEN, P_ADJ, P_ADJ_TX, P_GROW,
	P_SHRINK, P_ECHO,		/* filters (any XDP program may be either) */
	Q_TRUE, Q_RXPEND, Q_EVALS, Q_WINDOW, Q_TIMER, Q_ADJ,	/* predicates */
	X_SOCKFILTER, X_DEVMAP, X_CPUMAP,	/* must be refused */
	NPROGS,
};

/* What the link process changes (sh->link_ops[], link_ns[]). */
enum { L_MTU, L_DOWNUP, L_DEL, L_MOVE, L_DETACH, L_ATTACH, L_DEL2, L_ADDR };

extern const char *const ctr_names[NCTR];
extern int ns_fuzz;			/* the fuzz network namespace (parent's fd) */
extern int net_dummies;			/* fzd0..3 are dummies, not veth ends */
extern int nonbpf_fd, closed_fd;
extern int fork_depth;			/* 0 in a worker, >0 in its children */
extern pid_t bg_pid;			/* the background NIC child */

void op_nic_attach(void);
void op_nic_detach(void);
void op_flow_alloc(void);
void op_nic_bind(void);
void op_nic_unbind(void);
void op_nic_filter(void);
void op_nic_tx(void);
void op_nic_rx(void);
void op_nic_stat(void);
void op_wait(void);
void op_nic_uring(void);
void op_nic_kill(void);
void op_nic_bg(void);
void op_nic_netns(void);

/* A NIC result that makes no sense: counted, printed (fails test 4). */
void anomaly(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int load_progs(void);		/* parent: the XDP programs; how many loaded */
int net_setup(void);		/* parent, as root: namespaces, links; 0 or -1 */
void net_detach_all(void);	/* parent, at the end */
void traffic_main(void);	/* the traffic process */
void link_main(void);		/* the link process */
void nic_env_known(void);	/* fds[NIC_ENV] opened: let debugfs revoke from it */
void nic_forget_env(int idx);	/* env @idx was closed */
void reap_bg(int kill9);	/* the background child, if any */
pid_t reap(pid_t pid, int *st, int flags, int op);

#endif
