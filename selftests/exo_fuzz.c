// SPDX-License-Identifier: GPL-2.0
/*
 * exo_fuzz — a small, typed fuzzer for /dev/exo (not syzkaller).
 *
 *   exo_fuzz [--calls N] [--procs P] [--seed S] [--profile short|long]
 *            [--no-race] [--no-extent] [--no-nic] [--no-traffic]
 *            [--no-fail-nth] [--hang-secs S]
 *   (or EXO_FUZZ_CALLS, EXO_FUZZ_PROCS, EXO_FUZZ_SEED, EXO_FUZZ_PROFILE,
 *   EXO_FUZZ_FAIL_NTH=0 in the environment; defaults: 30000 calls, 4
 *   processes, a seed from the time)
 *
 * On a kernel with fault injection (make check-debug) one core call in 32
 * runs with /proc/thread-self/fail-nth armed (fuzz_engine.c: fail_nth_arm),
 * so allocation and user-copy failures reach every error path the calls
 * have, the capability table's growth among them.  SIGALRM is blocked while
 * it is armed: a signal frame written or read back meanwhile meets the
 * injected fault and the kernel kills the worker (SIGSEGV SI_KERNEL).
 *
 * An unexpected fault is reported with its RIP, the code bytes there, the
 * trap number, the registers and the last ioctl made (fuzz_engine.c:
 * crash_report), then the worker dies of it and counts as a crash.
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
 * expected), or a kernel problem in dmesg (scripts/kernel-problems.sh
 * defines them; kernel_problems.h is generated from it).  Afterwards, with
 * every env closed, the debugfs live counters must drop to zero and the
 * frame pool must be whole again (nic_devs, nic_binds and objects.flow
 * included).
 * A few NIC results are checked for sense (an anomaly fails test 4): a
 * WAIT whose predicate is constant false never returns 0, a binding's
 * ring header shows the geometry asked for, a binding made of repeated,
 * read-only, non-frame or tombstone handles is refused, and NIC_STAT after
 * a successful NIC_UNBIND fails.
 *
 * A kernel problem found this way is reduced to a small stand-alone
 * program selftests/repro-<signature>.c and reported with its dmesg
 * excerpt.
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
 *
 * The code: fuzz.h says which file holds what (engine, core ops, NIC ops,
 * and here the checks and main).
 */
#include <regex.h>

#include "fuzz.h"
#include "kernel_problems.h"

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

/*
 * Kernel log lines since the first since_lines that are kernel problems, as
 * scripts/kernel-problems.sh defines them (kernel_problems.h, generated from
 * it): printed, and counted.
 */
static int dmesg_problems(int since_lines)
{
	static const size_t npats = sizeof(kernel_problem_patterns) /
				    sizeof(kernel_problem_patterns[0]);
	regex_t re[sizeof(kernel_problem_patterns) /
		   sizeof(kernel_problem_patterns[0])], skip;
	char line[1024];
	int n = 0, bad = 0;
	size_t i, ncomp = 0;
	FILE *f;

	for (; ncomp < npats; ncomp++) {
		if (regcomp(&re[ncomp], kernel_problem_patterns[ncomp],
			    REG_EXTENDED | REG_NOSUB)) {
			printf("# bad kernel problem pattern: %s\n",
			       kernel_problem_patterns[ncomp]);
			bad++;
			goto out;
		}
	}
	if (regcomp(&skip, kernel_problem_exclude, REG_EXTENDED | REG_NOSUB)) {
		printf("# bad pattern: %s\n", kernel_problem_exclude);
		bad++;
		goto out;
	}
	f = popen("dmesg", "r");
	if (!f) {
		printf("# dmesg: %s\n", strerror(errno));
		bad++;
		goto out_skip;
	}
	while (fgets(line, sizeof(line), f)) {
		if (n++ < since_lines)
			continue;
		if (!regexec(&skip, line, 0, NULL, 0))
			continue;
		for (i = 0; i < npats; i++) {
			if (!regexec(&re[i], line, 0, NULL, 0)) {
				printf("# dmesg: %s", line);
				bad++;
				break;
			}
		}
	}
	pclose(f);
out_skip:
	regfree(&skip);
out:
	for (i = 0; i < ncomp; i++)
		regfree(&re[i]);
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
		printf(" %s=%.0f/%.0f/%lu/%.2f", i == (int)NOPS ? "fork" : ops[i].name,
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
		"[--no-traffic] [--no-fail-nth] [--hang-secs S]\n");
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
					       ops[sh->last_op[i]].name, sh->last_call[i]);
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
		{ "no-fail-nth", no_argument, NULL, 'F' },
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
		case 'F': use_fail_nth = 0; break;
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
	if ((env = getenv("EXO_FUZZ_FAIL_NTH")) && !atoi(env))
		use_fail_nth = 0;
	if (access("/proc/thread-self/fail-nth", R_OK | W_OK))
		use_fail_nth = 0;	/* a kernel without fault injection */
	if (use_fail_nth) {
		/* Let fail-nth reach GFP_KERNEL allocations, quietly. */
		static const char *const knob[][2] = {
			{ "failslab/ignore-gfp-wait", "N" },
			{ "fail_page_alloc/ignore-gfp-wait", "N" },
			{ "failslab/verbose", "0" },
			{ "fail_page_alloc/verbose", "0" },
			{ "fail_usercopy/verbose", "0" },
		};
		char path[128];
		unsigned int k;
		int kfd;

		for (k = 0; k < sizeof(knob) / sizeof(knob[0]); k++) {
			snprintf(path, sizeof(path), "/sys/kernel/debug/%s", knob[k][0]);
			kfd = open(path, O_WRONLY);
			if (kfd >= 0) {
				if (write(kfd, knob[k][1], 1) != 1)
					perror(path);
				close(kfd);
			}
		}
	}
	printf("1..4\n");
	printf("# seed=%llu calls=%ld procs=%d profile=%s race=%d extent=%d nic=%d fail-nth=%d disk=%s\n",
	       seed, budget_calls, nprocs, LONG ? "long" : "short", use_race, use_extent,
	       use_nic, use_fail_nth, disk);
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
			       ops[sh->last_op[i]].name);
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
		printf(" %s=%lu/%lu", ops[i].name, sh->op_ok[i], sh->op_calls[i]);
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
		printf("# %s: %lu/%lu ok;", ops[i].name, sh->op_ok[i], sh->op_calls[i]);
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
	if (use_fail_nth)
		printf("# fail-nth: %lu core calls armed, %lu faults injected\n",
		       sh->nth_armed, sh->nth_injected);
	printf("FUZZ calls=%lu crashes=%lu\n", sh->calls, sh->crashes);
	return sh->crashes || sh->anomalies || c || i != 1 ? 1 : 0;
}
