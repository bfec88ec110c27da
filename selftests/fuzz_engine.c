// SPDX-License-Identifier: GPL-2.0
/*
 * exo_fuzz's engine: shared counters, PRNG, the process's handles and
 * pointer targets, the racer thread, expected faults, value choosers,
 * do_ioctl() and its size games, the op table and the worker loop.
 */
#include "fuzz.h"

/* Side processes and background children die with their parent. */
void prctl_pdeathsig(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* ---- shared between all processes ---------------------------------------- */

struct shared *sh;

long budget_calls = 30000;
int nprocs = 4;
int profile = -1;
unsigned long long seed;
int use_race = 1;
int use_fail_nth = 1;	/* main() clears it where the kernel has no fail-nth */
int use_extent = 1;
int use_nic = 1;
int use_traffic = 1;
const char *disk;
pid_t traffic_pid, links_pid;	/* the side processes */

/* ---- PRNG (xorshift64*) ---------------------------------------------------- */

__thread unsigned long long rs;

unsigned long long rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 2685821657736338717ULL;
}

unsigned long long rn(unsigned long long n) { return n ? rnd() % n : 0; }
int one_in(int n) { return rn(n) == 0; }

unsigned long long now_ns(void)
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

int fds[MAX_FDS + 1];
exo_cap_t caps[MAX_CAPS];
static signed char cap_env[MAX_CAPS];	/* index in fds[] of the env it came from */
int ncaps;
int cur;				/* fds[] index of the current op's env */
exo_cap_t frame_caps[TYPED], extent_caps[TYPED];	/* recent, any env */
exo_cap_t xn_caps[TYPED];			/* XN subtrees */
struct exo_key own_keys[16];			/* keys this process exported */
__u64 pfns[MAX_PFNS];
int npfns;
struct region regions[MAX_REGIONS];
int nregions;
void *infos[MAX_FDS];
unsigned long arena;
int worker_idx;

/* Pointer targets. */
unsigned char *argpage;		/* RW, never unmapped: ioctl structs */
unsigned char *scratch;		/* RW arrays */
static unsigned char *ro_page;		/* PROT_READ */
static unsigned char *none_page;	/* PROT_NONE */
unsigned char *edge_page;	/* RW page followed by a guard page */
/*
 * A page no access reaches (EFAULT in the kernel, SIGSEGV in user space):
 * PROT_NONE, not a hole.  A hole was the first free page of the address
 * space, and the next mapping of a page or less took it, an io_uring ring
 * as a rule: the pointers that should fault then had the kernel read and
 * write the ring's header (session 10, issue 12's "child of worker 1 died
 * by signal 11").  worker() checks that no new mapping can land on it.
 */
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
unsigned char *race_extra;
unsigned int race_extra_width;

/*
 * Per thread: set while a fault on the access in progress is expected.
 * sigsetjmp() does not save the signal mask (a system call each time):
 * the fault handler (SA_NODEFER, empty sa_mask) leaves it as it was.
 */
__thread sigjmp_buf touch_jmp;
__thread volatile sig_atomic_t in_touch;

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


/* The last ioctl do_ioctl() made (for a crash report). */
static volatile unsigned long last_cmd, last_arg;
static volatile int last_fd;

/*
 * Where an unexpected fault happened, from the signal's ucontext: RIP, the
 * code bytes there (read through process_vm_readv, so an unreadable RIP
 * costs no second fault), the trap number and error code, the registers.
 * A SIGSEGV with si_code SI_KERNEL and address 0 is a #GP (a non-canonical
 * address) or a signal frame the kernel could not write: the registers
 * tell which pointer it was.
 */
static void crash_report(ucontext_t *uc)
{
#ifdef __x86_64__
	const greg_t *g = uc->uc_mcontext.gregs;
	unsigned char code[16];
	struct iovec l = { code, sizeof(code) }, r = { (void *)g[REG_RIP], sizeof(code) };
	char msg[512];
	int n, i, got;

	got = process_vm_readv(getpid(), &l, 1, &r, 1, 0) == sizeof(code);
	n = snprintf(msg, sizeof(msg),
		     "# rip %llx rsp %llx trap %lld err %llx cr2 %llx; last ioctl fd %d cmd %lx arg %lx\n"
		     "# rax %llx rbx %llx rcx %llx rdx %llx rsi %llx rdi %llx rbp %llx\n"
		     "# r8 %llx r9 %llx r10 %llx r11 %llx r12 %llx r13 %llx r14 %llx r15 %llx\n"
		     "# code at rip:",
		     (unsigned long long)g[REG_RIP], (unsigned long long)g[REG_RSP],
		     (long long)g[REG_TRAPNO], (unsigned long long)g[REG_ERR],
		     (unsigned long long)g[REG_CR2], last_fd, last_cmd, last_arg,
		     (unsigned long long)g[REG_RAX], (unsigned long long)g[REG_RBX],
		     (unsigned long long)g[REG_RCX], (unsigned long long)g[REG_RDX],
		     (unsigned long long)g[REG_RSI], (unsigned long long)g[REG_RDI],
		     (unsigned long long)g[REG_RBP], (unsigned long long)g[REG_R8],
		     (unsigned long long)g[REG_R9], (unsigned long long)g[REG_R10],
		     (unsigned long long)g[REG_R11], (unsigned long long)g[REG_R12],
		     (unsigned long long)g[REG_R13], (unsigned long long)g[REG_R14],
		     (unsigned long long)g[REG_R15]);
	for (i = 0; i < (int)sizeof(code) && n > 0 && n < (int)sizeof(msg) - 8; i++)
		n += got ? snprintf(msg + n, sizeof(msg) - n, " %02x", code[i])
			 : snprintf(msg + n, sizeof(msg) - n, " ??");
	if (n > 0 && n < (int)sizeof(msg) - 1)
		msg[n++] = '\n';
	if (n > 0)
		(void)!write(2, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
#else
	(void)uc;
#endif
}

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	char msg[160];
	int n;

	if (in_touch) {
		in_touch = 0;
		siglongjmp(touch_jmp, 1);
	}
	/*
	 * Not ours: say where (an unexpected fault is a fuzzer or kernel
	 * bug, and the op is the first clue), then die of it, so the
	 * parent counts a crash.
	 */
	n = snprintf(msg, sizeof(msg),
		     "# pid %d (worker %d, depth %d): signal %d code %d at %p in op %s\n",
		     (int)getpid(), worker_idx, fork_depth, sig, si->si_code,
		     si->si_addr, cur_op < (int)NOPS ? ops[cur_op].name : "fork");
	if (n > 0)
		(void)!write(2, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	crash_report(uc);
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
void arm_alarm(long us)
{
	struct itimerval it = {
		.it_value = { us / 1000000, us % 1000000 },
		.it_interval = { 0, us ? 10000 : 0 },
	};

	setitimer(ITIMER_REAL, &it, NULL);
}

/* Read or write one byte at @p; SIGBUS/SIGSEGV there is expected. */
void touch(volatile unsigned char *p, int write)
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

int pick_fd(void)
{
	if (one_in(100))
		return one_in(2) ? -1 : 1000;	/* bad fd */
	if (one_in(100))
		return 0;			/* not /dev/exo */
	if (one_in(20))
		return fds[rn(MAX_FDS)];	/* maybe another env */
	return fds[cur];
}

void add_cap(exo_cap_t c)
{
	if (!c)
		return;
	int i = ncaps < MAX_CAPS ? ncaps++ : (int)rn(MAX_CAPS);

	caps[i] = c;
	cap_env[i] = cur;
}

/* Forget most capabilities of a closed env (a few stay, stale). */
void forget_env(int idx)
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

void add_typed(exo_cap_t *pool, exo_cap_t c)
{
	pool[rn(TYPED)] = c;
}

/* Mostly a recent frame (or extent) capability, else any handle. */

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

exo_cap_t pick_cap(void)
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

exo_cap_t pick_typed(const exo_cap_t *pool)
{
	exo_cap_t c = pool[rn(TYPED)];

	return c && !one_in(3) ? c : pick_cap();
}

__u32 pick_rights(void)
{
	switch (rn(6)) {
	case 0: return 0;
	case 1: return EXO_RIGHTS_ALL;
	case 2: return rnd();			/* unknown bits */
	case 3: return EXO_RIGHTS_ALL | (1U << 6);
	default: return rnd() & EXO_RIGHTS_ALL;
	}
}

__u32 pick_flags(__u32 known)
{
	switch (rn(20)) {
	case 0: return rnd();
	case 1: return 1U << rn(32);
	case 2: return known;
	case 3: case 4: return rnd() & known;
	default: return 0;
	}
}

__u32 pick_count(__u32 sane)
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

__u64 region_addr(void)
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
unsigned long pick_ptr(void *good, size_t len)
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
__u32 pick_batch(__u32 typical)
{
	return one_in(4) ? pick_count(typical) : 1 + rn(typical);
}

/*
 * A batch array of @count words from @gen (the first 256 of them) in the
 * scratch page, and a user pointer for it (pick_ptr).
 */
unsigned long pick_words(__u32 count, __u64 (*gen)(void))
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
int cur_op;

void count_call(int ret)
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
int ioctl_plain;

/* Set the racer going on race_ptr. */
static void race_start(void)
{
	__atomic_store_n(&race_on, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&sh->raced, 1, __ATOMIC_RELAXED);
	sem_post(&race_go);
}

/*
 * Fault injection (kernels with CONFIG_FAULT_INJECTION: make check-debug):
 * one core call in FAIL_NTH_ONE_IN gets /proc/thread-self/fail-nth set to
 * 1..4, so one of the first allocations or user copies it reaches fails.
 * The kernel must answer an errno and stay consistent (every error path:
 * the capability table's growth, a batch's undo, ...); the checks after the
 * run find what leaked.  Core calls only: the NIC checks count outcomes.
 * The file is per task: each process opens its own.
 *
 * fail-nth counts every fault site the task reaches, not only the ioctl's:
 * a call that returns before its n-th site (EINVAL, ENOTTY) leaves it armed
 * until fail_nth_disarm().  A SIGALRM (arm_alarm: the raw op's 20 ms timer)
 * delivered in that window meets the injected fault in the kernel's own
 * user copies: writing the signal frame (the FPU state's sw_reserved) or,
 * in rt_sigreturn, reading it back; either way the kernel kills the worker
 * with SIGSEGV, si_code SI_KERNEL, address 0 ("bad frame in rt_sigreturn"
 * in dmesg).  That was session 11's one crash of the 10^6-call fuzz under
 * the debug kernel (op raw): the fuzzer's own injection, not exo.  A probe
 * (fail-nth 3 or 4, then tgkill SIGALRM to a handler) dies so every time.
 * So SIGALRM is blocked from before the arming write to after the
 * disarming one: a timer that fires meanwhile is taken after.  The calls
 * armed never block (numbers up to SET_QUOTA), so none needs the alarm.
 */
#define FAIL_NTH_ONE_IN	32
static int nth_fd = -1;
static pid_t nth_pid;
static sigset_t nth_oldmask;

static int fail_nth_arm(unsigned long cmd)
{
	sigset_t block;
	char b[4];

	if (!use_fail_nth || _IOC_TYPE(cmd) != EXO_IOC_TYPE ||
	    _IOC_NR(cmd) > EXO_NR_SET_QUOTA || !one_in(FAIL_NTH_ONE_IN))
		return 0;
	if (nth_pid != getpid()) {
		if (nth_fd >= 0)
			close(nth_fd);
		nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
		nth_pid = getpid();
	}
	if (nth_fd < 0)
		return 0;
	b[0] = '1' + rn(4);
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &block, &nth_oldmask);
	if (pwrite(nth_fd, b, 1, 0) != 1) {
		pthread_sigmask(SIG_SETMASK, &nth_oldmask, NULL);
		return 0;
	}
	__atomic_fetch_add(&sh->nth_armed, 1, __ATOMIC_RELAXED);
	return 1;
}

/*
 * Disarm; count the fault if one was made (fail-nth reads 0 then).  The
 * read and write are user copies, so fault sites themselves: a failed read
 * means the count was still positive, and the write of 0 is retried.
 */
static void fail_nth_disarm(void)
{
	char b[16] = "";
	int i;

	if (pread(nth_fd, b, sizeof(b) - 1, 0) > 0 && atoi(b) == 0)
		__atomic_fetch_add(&sh->nth_injected, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 100; i++)
		if (pwrite(nth_fd, "0", 1, 0) == 1)
			break;
	pthread_sigmask(SIG_SETMASK, &nth_oldmask, NULL);
}

int do_ioctl(int fd, unsigned long cmd, size_t len,
		    const struct field *rf, int nrf)
{
	unsigned long arg = (unsigned long)argpage, cmd0 = cmd;
	__u32 *size = (__u32 *)argpage;
	unsigned char *extra = race_extra;
	int ret, raced = 0, armed;

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
	armed = fail_nth_arm(cmd);
	last_fd = fd;
	last_cmd = cmd;
	last_arg = arg;
	ret = ioctl(fd, cmd, arg);
	if (armed) {
		int e = errno;

		fail_nth_disarm();
		errno = e;
	}
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



/*
 * Every op kind: its function, its name in the summary, its weight, 0 for
 * a core op, 1 for an extent op, 2 for a NIC op, and (long profile) its
 * weight if not @weight.  NOPS in fuzz.h must match.
 */
const struct op ops[] = {
	{ op_open, "open", 3, 0 },
	{ op_features, "features", 2, 0 },
	{ op_env_info, "env_info", 3, 0 },
	{ op_null_alloc, "null_alloc", 8, 0 },
	{ op_cap_info, "cap_info", 6, 0 },
	{ op_derive, "derive", 10, 0 },
	{ op_revoke, "revoke", 6, 0 },
	{ op_close, "close", 6, 0 },
	{ op_export, "export", 6, 0 },
	{ op_import, "import", 6, 0 },
	{ op_key_drop, "key_drop", 3, 0 },
	{ op_frame_alloc, "frame_alloc", 10, 0 },
	{ op_frame_map, "frame_map", 12, 0 },
	{ op_frame_unmap, "frame_unmap", 6, 0 },
	{ op_caps_close, "caps_close", 4, 0 },
	{ op_set_quota, "set_quota", 2, 0 },
	{ op_extent_attach, "extent_attach", 1, 1 },
	{ op_extent_detach, "extent_detach", 1, 1 },
	{ op_extent_stat, "extent_stat", 1, 1 },
	{ op_extent_alloc, "extent_alloc", 4, 1 },
	{ op_extent_free, "extent_free", 2, 1 },
	{ op_extent_reclaim, "extent_reclaim", 2, 1 },
	{ op_extent_io, "extent_io", 4, 1 },
	{ op_xn_template, "xn_template", 2, 1 },
	{ op_xn_owns, "xn_owns", 2, 1 },
	{ op_xn_root, "xn_root", 2, 1 },
	{ op_xn_update, "xn_update", 3, 1 },
	{ op_xn_read, "xn_read", 2, 1 },
	{ op_xn_write, "xn_write", 2, 1 },
	{ op_xn_subtree, "xn_subtree", 2, 1 },
	{ op_mmap_region, "mmap_region", 6, 0, 3 },	/* mmap + munmap: 10+ ms under the debug kernel */
	{ op_munmap_region, "munmap_region", 3, 0, 1 },	/* 10 ms */
	{ op_mprotect_region, "mprotect_region", 2, 0 },
	{ op_mremap_region, "mremap_region", 1, 0 },
	{ op_touch, "touch", 6, 0, 2 },		/* a SIGBUS: 4 ms */
	{ op_madvise, "madvise", 2, 0 },
	{ op_dup, "dup", 1, 0 },
	{ op_info, "info", 3, 0 },
	{ op_read_poll, "read_poll", 3, 0 },
	{ op_debugfs_revoke, "debugfs_revoke", 1, 0 },
	{ op_raw, "raw", 2, 0 },
	{ op_uring, "uring", 3, 1 },
	{ op_nic_attach, "nic_attach", 2, 2 },
	{ op_nic_detach, "nic_detach", 1, 2 },
	{ op_flow_alloc, "flow_alloc", 4, 2 },
	{ op_nic_bind, "nic_bind", 4, 2, 1 },	/* ~10 calls, a dozen frames: 20+ ms */
	{ op_nic_unbind, "nic_unbind", 2, 2 },
	{ op_nic_filter, "nic_filter", 3, 2 },
	{ op_nic_tx, "nic_tx", 5, 2 },
	{ op_nic_rx, "nic_rx", 6, 2 },
	{ op_nic_stat, "nic_stat", 2, 2 },
	{ op_wait, "wait", 3, 2 },
	{ op_nic_uring, "nic_uring", 2, 2 },
	{ op_nic_kill, "nic_kill", 3, 2 },
	{ op_nic_bg, "nic_bg", 1, 2 },
	{ op_nic_netns, "nic_netns", 1, 2 },
};
_Static_assert(sizeof(ops) / sizeof(ops[0]) == NOPS, "NOPS in fuzz.h is the number of ops[]");


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
void bg_run(int n)
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

int op_index(void (*fn)(void))
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
int op_gate(int i, unsigned long every)
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
void run_ops(long n, int depth)
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

/*
 * The guard page stays ours: a one-page mapping (what an io_uring ring of
 * 8 entries takes) must land elsewhere.  With the guard a hole, it landed
 * on it every time.
 */
static void check_guard(void)
{
	void *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	if ((unsigned long)p == unmapped_addr) {
		fprintf(stderr, "# a new mapping took the guard page at %p\n", p);
		exit(1);
	}
	munmap(p, PAGE);
}

/* Worker @idx: ops until the workers have made @calls calls in all. */
void worker(int idx, long calls)
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
	if (two == MAP_FAILED || mprotect(two + PAGE, PAGE, PROT_NONE))
		exit(1);
	edge_page = two;
	unmapped_addr = (unsigned long)two + PAGE;
	check_guard();

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
