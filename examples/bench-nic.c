// SPDX-License-Identifier: GPL-2.0
/*
 * bench-nic — 64-byte UDP frames received by an application: an exo NIC
 * binding against AF_PACKET (TPACKET_V3) and AF_XDP (copy mode), on the
 * same veth pair between two network namespaces, fed by the same sender,
 * in the same guest and the same run.  Runs in the test VM as root with
 * exo loaded; scripts/bench nic (make bench-nic) makes the namespaces and
 * the veth pair first.
 *
 *   bench-nic [-w SEC] [-r ROUNDS] [-S packet|pktgen] [-P 1|0] [-L PPS,..]
 *             [-B K,T_US] [-o NAME] [-t TESTS]
 *
 *   -w SEC     measurement window of each run (default 1, after 0.5 s)
 *   -r ROUNDS  runs of each system, interleaved (default 9): medians
 *   -S         sender: AF_PACKET sendmmsg() past the qdisc (default), or
 *              the kernel's pktgen (no XDP_SKB receiver then), or
 *              pktgen-rx: pktgen on the receiver's vCPU injecting into
 *              veth0's receive path (xmit_mode netif_receive, RPS off;
 *              no AF_XDP receiver then: its skb mode cannot take
 *              pktgen's shared skbs, and native mode never sees frames
 *              that do not come through veth1)
 *   -P 1|0     veth0's receive path on the receiver's vCPU (RPS, default)
 *              or in the sender's softirq
 *   -L PPS     offered load(s) of the wakeup test (default 10000)
 *   -B K,T_US  exo's batching predicate: pred_batch(K, T_US) (64,2000)
 *   -o NAME    only the receiver of that name, as the tables print it
 *              (to profile it alone: no ratios without its peer)
 *   -t TESTS   subset of rx64,demux,wakeups (default all); "spin" adds
 *              the spinning receivers and exo napping without a predicate,
 *              "none" a run with no receiver, "senders" compares senders
 *
 * Namespace exo-rx holds veth0 (10.77.0.1), exo-tx its peer veth1
 * (10.77.0.2).  The sender runs on vCPU 1 in exo-tx, the application on
 * vCPU 0 in exo-rx; with RPS on, veth0's receive path (backlog, taps,
 * generic XDP, exo's rx_handler, the stack; veth's native XDP by
 * threaded NAPI) runs on vCPU 0 too, so the sender's vCPU only sends.
 *
 * Each system runs as its users run it, and each ratio is best against
 * best: exo sleeping on a batching predicate or spinning on its ring;
 * AF_PACKET with poll() or spinning on block status, and with tc dropping
 * the flow after the tap (Linux's stack otherwise still handles every
 * frame); AF_XDP in XDP_SKB or veth's native mode, with poll() or
 * spinning.
 *
 * A receiver's rate is the frames of the flow the application consumed
 * (checked the port, read the sequence number) per second of the window;
 * offered is what the sender handed to veth1 in the same window, lost
 * what veth0's backlog dropped.  Prints a table per test, then "RATIO
 * <name> <value>" lines (exo over its peer, the median of per-round
 * ratios; higher is better).  Without exo's NIC calls only the peers are
 * measured.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/if_xdp.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "exo.h"
#include "bench_xsk.skel.h"

#ifndef SOL_XDP
#define SOL_XDP		283
#endif

#define RX_NS		"exo-rx"
#define TX_NS		"exo-tx"
#define RX_IF		"veth0"
#define TX_IF		"veth1"
#define RX_IP		"10.77.0.1"
#define TX_IP		"10.77.0.2"
#define PORT		9000		/* the measured flow; idle ones above */
#define STR_(x)		#x
#define STR(x)		STR_(x)
#define SRC_PORT	9

#define FRAME_LEN	64		/* Ethernet header to end of payload */
#define UDP_DPORT_OFF	36
#define PAYLOAD_OFF	42		/* pktgen header: magic, seq, time */
#define PKTGEN_MAGIC	0xbe9be955

#define BURST		256		/* packets taken from a ring at once */
#define MAX_ROUNDS	15

/* exo: the ring, at its largest; 999 idle bindings with the smallest. */
#define EXO_RX_FRAMES	EXO_NIC_MAX_RING_FRAMES		/* 1024 slots */
#define DEMUX_FLOWS	1000
#define DEMUX_ENVS	4

/*
 * AF_PACKET: TPACKET_V3 blocks of 256 KiB (~1600 of these frames each),
 * 32 of them, retired after 10 ms if not full.
 */
#define TP_BLOCK	(256u << 10)
#define TP_BLOCKS	32u
#define TP_FRAME	2048u
#define TP_TIMEOUT_MS	10u

/* AF_XDP: 4096-entry rings, as many 2 KiB chunks, batches of BURST. */
#define XSK_RING	4096u
#define XSK_FRAMES	XSK_RING
#define XSK_CHUNK	2048u

#define NSEC		1000000000ull
#define WAIT_TIMEOUT_NS	(100ull * 1000 * 1000)	/* then look at the stop flag */

/* ---- Options and set-up ---------------------------------------------- */

static double window = 1.0, warmup = 0.5;
static int rounds = 9;
/*
 * SEND_PKTGEN_RX: pktgen on the receiver's vCPU, injecting each frame
 * into veth0's receive path itself (xmit_mode netif_receive, RPS off): a
 * capacity measure no sender limits (-S pktgen-rx).
 */
static enum { SEND_PKTGEN, SEND_PACKET, SEND_PKTGEN_RX } sender = SEND_PACKET;
static const int rx_cpu = 0, tx_cpu = 1;

static int rxns, txns;				/* namespace fds */
static unsigned char rx_mac[ETH_ALEN], tx_mac[ETH_ALEN];
static int rx_ifindex, tx_ifindex;		/* each in its namespace */
static int rps = 1;				/* -P */

/* Shared by the parent and its receiver and sender children. */
struct shared {
	int ready;			/* receiver set up: 1, failed: -1 */
	int rx_stop, tx_stop;		/* set by the parent */
	unsigned long long consumed;	/* frames the application used */
	unsigned long long wakeups;	/* sleeps that ended with frames */
	unsigned long long bad;		/* frames not of the flow */
	unsigned long long sum;		/* of sequence numbers: used data */
	unsigned long long drops;	/* receiver's ring drops, whole run */
	char err[256];
};
static struct shared *sh;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench-nic: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static unsigned long long load(unsigned long long *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void store(unsigned long long *p, unsigned long long v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static int stopped(int *flag)
{
	return __atomic_load_n(flag, __ATOMIC_RELAXED);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity(%d): %s", cpu, strerror(errno));
}

static int open_ns(const char *name)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s (scripts/bench nic makes it)", path, strerror(errno));
	return fd;
}

static void enter_ns(int fd)
{
	if (setns(fd, CLONE_NEWNET))
		die("setns: %s", strerror(errno));
}

/* The MAC address and index of @ifname in the current namespace. */
static void if_info(const char *ifname, unsigned char *mac, int *ifindex)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr))
		die("%s: %s", ifname, strerror(errno));
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	*ifindex = if_nametoindex(ifname);
	close(s);
}

/*
 * Write @val to veth0's sysfs attribute @attr, from a process already in
 * the receive namespace: sysfs shows a namespace's devices only when
 * mounted from it, as `ip netns exec` does.  Returns 0 or -errno.
 */
static int rx_sysfs(const char *attr, const char *val)
{
	static int mounted;
	char path[128];
	int fd, n = strlen(val), ret = 0;

	if (!mounted) {
		if (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) ||
		    mount("sysfs", "/sys", "sysfs", 0, NULL))
			return -errno;
		mounted = 1;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", RX_IF, attr);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, val, n) != n)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * Where veth0's receive path runs: with RPS on, veth1's transmit queues
 * each frame to vCPU rx_cpu's backlog, and that vCPU runs the taps,
 * generic XDP, exo's rx_handler and the stack as well as the
 * application; with it off, all of it runs in the sender's softirq on
 * vCPU tx_cpu.  (veth's native XDP runs in NAPI instead: see rx_xdp().)
 */
static void set_rps(int on)
{
	char mask[16];
	pid_t pid = fork();
	int status, ret;

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		enter_ns(rxns);
		snprintf(mask, sizeof(mask), "%x\n", on ? 1u << rx_cpu : 0);
		ret = rx_sysfs("queues/rx-0/rps_cpus", mask);
		if (ret)
			die("%s rps_cpus: %s", RX_IF, strerror(-ret));
		_exit(0);
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		exit(1);
}

/*
 * veth's native XDP runs in veth0's NAPI, which the transmitting side
 * schedules on its own CPU.  With RPS on, move it where the other systems'
 * receive paths run: threaded NAPI, its kthreads ("napi/veth0-N") pinned
 * to rx_cpu.  Called once the XDP program (and so the NAPI) is there.
 */
static int napi_to_rx_cpu(void)
{
	char path[300], comm[64], name[32];
	int ret, pinned = 0;
	struct dirent *de;
	cpu_set_t set;
	DIR *proc;
	FILE *f;

	ret = rx_sysfs("threaded", "1\n");
	if (ret)
		return ret;
	snprintf(name, sizeof(name), "napi/%s-", RX_IF);
	CPU_ZERO(&set);
	CPU_SET(rx_cpu, &set);
	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((de = readdir(proc))) {
		int pid = atoi(de->d_name);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    !strncmp(comm, name, strlen(name))) {
			if (sched_setaffinity(pid, sizeof(set), &set))
				ret = -errno;
			pinned++;
		}
		fclose(f);
	}
	closedir(proc);
	return ret ? ret : pinned ? 0 : -ESRCH;
}

/*
 * veth1's frames passed on to veth0, and dropped there because veth0's
 * backlog (or its NAPI ring) was full (/proc/net/dev, tx side).
 */
static void tx_counters(unsigned long long *packets, unsigned long long *drops)
{
	char line[512];
	FILE *f = fopen("/proc/net/dev", "r");

	*packets = *drops = 0;
	if (!f)
		die("/proc/net/dev: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[16];
		char *p = strchr(line, ':');

		if (!p || strncmp(line + strspn(line, " "), TX_IF ":",
				  strlen(TX_IF) + 1))
			continue;
		if (sscanf(p + 1, "%llu %llu %llu %llu %llu %llu %llu %llu "
			   "%llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
			   &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10],
			   &v[11]) == 12) {
			*packets = v[9];
			*drops = v[11];
		}
	}
	fclose(f);
}

/* ---- What every receiver does with a frame --------------------------- */

struct tally {
	unsigned long long consumed, bad, sum;
};

/* Check that it is the flow's and use its sequence number. */
static inline void consume(struct tally *t, const unsigned char *f,
			   unsigned int len)
{
	__u16 dport;
	__u32 seq;

	if (len < PAYLOAD_OFF + 8) {
		t->bad++;
		return;
	}
	memcpy(&dport, f + UDP_DPORT_OFF, sizeof(dport));
	if (dport != htons(PORT)) {
		t->bad++;
		return;
	}
	memcpy(&seq, f + PAYLOAD_OFF + 4, sizeof(seq));
	t->sum += ntohl(seq);
	t->consumed++;
}

static void publish(const struct tally *t)
{
	store(&sh->consumed, t->consumed);
}

static void finish(const struct tally *t, unsigned long long wakeups,
		   unsigned long long drops)
{
	store(&sh->consumed, t->consumed);
	store(&sh->wakeups, wakeups);
	store(&sh->bad, t->bad);
	store(&sh->sum, t->sum);
	store(&sh->drops, drops);
}

static void rx_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sh->err, sizeof(sh->err), fmt, ap);
	va_end(ap);
	__atomic_store_n(&sh->ready, -1, __ATOMIC_RELEASE);
	_exit(1);
}

static void rx_ready(void)
{
	__atomic_store_n(&sh->ready, 1, __ATOMIC_RELEASE);
}

/* ---- The receivers ----------------------------------------------------- */

struct rx_spec {
	const char *name;	/* a row of the table */
	enum { RX_EXO, RX_PACKET, RX_XDP, RX_NONE } kind;
	int spin;		/* poll the ring without ever sleeping */
	int nap_us;		/* exo: sleep this long when empty, no wait */
	int no_tick;		/* exo: no timer in the wait (bound unenforced) */
	unsigned int k;		/* exo: exo_bpf_pred_batch(k, t_ns) */
	__u64 t_ns;
	unsigned int idle;	/* exo: idle bindings beside the measured one */
	int xdp_drv;		/* AF_XDP: veth's native XDP, else XDP_SKB */
	int tc_drop;		/* AF_PACKET: tc drops the flow after the tap */
};

/*
 * exo: bind the flow's receive ring (1024 slots), read it in bursts, and
 * sleep in EXO_IOC_WAIT on a batching predicate when it is empty (or spin).
 * With @s->idle, that many more flows are bound, on other UDP ports, over
 * DEMUX_ENVS envs; no traffic goes to them.
 */
static void rx_exo(const struct rx_spec *s)
{
	static struct exo_nic *idle[DEMUX_FLOWS];
	int fds[DEMUX_ENVS], nfds = 1, fd, pred = -1, ret;
	struct exo_nic_pkt pkts[BURST];
	struct exo_nic_counters c;
	struct exo_wait_opts wo;
	unsigned long long wakeups = 0;
	struct tally t = { 0 };
	struct exo_nic *nic;
	__u32 reason;
	exo_cap_t flow;
	unsigned int i, n;

	fd = exo_open();
	if (fd < 0)
		rx_fail("exo_open: %s", strerror(-fd));
	fds[0] = fd;
	ret = exo_nic_attach(fd, RX_IF);
	if (ret == -EBUSY) {
		/* Left attached by a receiver that died: start afresh. */
		exo_nic_detach(fd, RX_IF);
		ret = exo_nic_attach(fd, RX_IF);
	}
	if (ret)
		rx_fail("exo_nic_attach(%s): %s", RX_IF, strerror(-ret));
	ret = exo_flow_alloc(fd, RX_IF, IPPROTO_UDP, RX_IP, PORT, NULL, 0,
			     &flow);
	if (ret)
		rx_fail("exo_flow_alloc: %s", strerror(-ret));
	nic = exo_nic__bind(fd, flow, EXO_RX_FRAMES, 1);
	if (!nic)
		rx_fail("exo_nic__bind: %s", strerror(errno));

	for (i = 0; i < s->idle; i++) {
		int e = i % DEMUX_ENVS;
		exo_cap_t f;

		if (e >= nfds) {
			fds[nfds] = exo_open();
			if (fds[nfds] < 0)
				rx_fail("exo_open: %s", strerror(-fds[nfds]));
			nfds++;
		}
		ret = exo_flow_alloc(fds[e], RX_IF, IPPROTO_UDP, RX_IP,
				     PORT + 1 + i, NULL, 0, &f);
		if (ret)
			rx_fail("idle flow %u: exo_flow_alloc: %s", i,
				strerror(-ret));
		idle[i] = exo_nic__bind(fds[e], f, 1, 1);
		if (!idle[i])
			rx_fail("idle flow %u: exo_nic__bind: %s", i,
				strerror(errno));
	}

	if (!s->spin && !s->nap_us) {
		pred = exo_bpf_pred_batch(s->k, s->t_ns);
		if (pred < 0)
			rx_fail("exo_bpf_pred_batch: %s", strerror(-pred));
	}
	wo = (struct exo_wait_opts){
		.prog_fd = pred,
		.nic = nic,
		.timeout_ns = WAIT_TIMEOUT_NS,
		/* The latency bound needs a clock when no frame comes. */
		.tick_ns = s->t_ns < WAIT_TIMEOUT_NS && !s->no_tick ? s->t_ns : 0,
	};
	rx_ready();

	while (!stopped(&sh->rx_stop)) {
		n = exo_nic__rx_burst(nic, pkts, BURST);
		if (!n) {
			if (s->spin)
				continue;
			if (s->nap_us) {
				sleep_s(s->nap_us / 1e6);
				continue;
			}
			ret = exo_wait(fd, &wo, &reason, NULL);
			/* A first evaluation that holds did not sleep. */
			if (!ret) {
				if (reason != EXO_WAKE_START)
					store(&sh->wakeups, ++wakeups);
			} else if (ret != -ETIME && ret != -EINTR)
				rx_fail("exo_wait: %s", strerror(-ret));
			continue;
		}
		for (i = 0; i < n; i++)
			consume(&t, pkts[i].data, pkts[i].len);
		exo_nic__rx_release(nic, n);
		publish(&t);
	}

	memset(&c, 0, sizeof(c));
	exo_nic__stat(nic, &c);
	finish(&t, wakeups, c.rx_ring_full);
	for (i = 0; i < s->idle; i++)
		exo_nic__free(idle[i]);
	exo_nic__free(nic);
	if (pred >= 0)
		close(pred);
	exo_nic_detach(fd, RX_IF);
	while (nfds--)
		exo_close(fds[nfds]);
}

/*
 * Linux's stack still gets every frame after the taps; an application
 * that only wants the flow may end that there: tc's ingress hook runs
 * after the taps (and before exo's rx_handler, so only in these runs).
 */
#define TC_DROP	"tc qdisc add dev " RX_IF " clsact && tc filter add dev " \
	RX_IF " ingress protocol ip prio 1 u32 match ip protocol 17 0xff " \
	"match ip dport " STR(PORT) " 0xffff action drop"
#define TC_UNDO	"tc qdisc del dev " RX_IF " clsact"

/*
 * AF_PACKET, TPACKET_V3: a mmap()ed ring of blocks that the kernel hands
 * over whole (full, or after TP_TIMEOUT_MS); poll() when the next block
 * is still the kernel's (or spin on its status).  Bound to veth0, all
 * protocols, as a capture tool would be.
 */
static void rx_packet(const struct rx_spec *s)
{
	struct tpacket_req3 req = {
		.tp_block_size = TP_BLOCK,
		.tp_block_nr = TP_BLOCKS,
		.tp_frame_size = TP_FRAME,
		.tp_frame_nr = TP_BLOCK / TP_FRAME * TP_BLOCKS,
		.tp_retire_blk_tov = TP_TIMEOUT_MS,
	};
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = rx_ifindex,
	};
	unsigned long long wakeups = 0;
	struct tpacket_stats_v3 st = { 0 };
	socklen_t len = sizeof(st);
	struct tally t = { 0 };
	unsigned int blk = 0, i;
	int fd, v = TPACKET_V3;
	unsigned char *ring;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		rx_fail("AF_PACKET socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)))
		rx_fail("TPACKET_V3 ring: %s", strerror(errno));
	ring = mmap(NULL, (size_t)TP_BLOCK * TP_BLOCKS, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, fd, 0);
	if (ring == MAP_FAILED)
		rx_fail("mmap ring: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		rx_fail("bind %s: %s", RX_IF, strerror(errno));
	if (s->tc_drop && system(TC_DROP))
		rx_fail("%s: failed", TC_DROP);
	rx_ready();

	while (!stopped(&sh->rx_stop)) {
		struct tpacket_block_desc *bd = (void *)(ring + (size_t)blk * TP_BLOCK);
		struct tpacket_hdr_v1 *h = &bd->hdr.bh1;
		unsigned char *p;

		if (!(__atomic_load_n(&h->block_status, __ATOMIC_ACQUIRE) &
		      TP_STATUS_USER)) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			if (s->spin)
				continue;
			if (poll(&pfd, 1, WAIT_TIMEOUT_NS / 1000000) > 0)
				store(&sh->wakeups, ++wakeups);
			continue;
		}
		p = (unsigned char *)bd + h->offset_to_first_pkt;
		for (i = 0; i < h->num_pkts; i++) {
			struct tpacket3_hdr *ph = (void *)p;

			consume(&t, p + ph->tp_mac, ph->tp_snaplen);
			p += ph->tp_next_offset;
		}
		__atomic_store_n(&h->block_status, TP_STATUS_KERNEL,
				 __ATOMIC_RELEASE);
		blk = (blk + 1) % TP_BLOCKS;
		publish(&t);
	}

	getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len);
	finish(&t, wakeups, st.tp_drops);
	if (s->tc_drop && system(TC_UNDO))
		rx_fail("%s: failed", TC_UNDO);
	munmap(ring, (size_t)TP_BLOCK * TP_BLOCKS);
	close(fd);
}

/* An AF_XDP ring as mapped: producer, consumer, flags, descriptors. */
struct xsk_ring {
	__u32 *prod, *cons, *flags;
	void *desc;
	__u32 mask;
};

static void xsk_map_ring(int fd, struct xsk_ring *r,
			 const struct xdp_ring_offset *o, size_t desc_size,
			 off_t pgoff)
{
	size_t len = o->desc + XSK_RING * desc_size;
	unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_POPULATE, fd, pgoff);

	if (m == MAP_FAILED)
		rx_fail("mmap AF_XDP ring: %s", strerror(errno));
	r->prod = (void *)(m + o->producer);
	r->cons = (void *)(m + o->consumer);
	r->flags = (void *)(m + o->flags);
	r->desc = m + o->desc;
	r->mask = XSK_RING - 1;
}

/*
 * AF_XDP in copy mode, set up with the raw socket calls: a UMEM of
 * XSK_FRAMES chunks, its fill ring kept full, a receive ring; bench_xsk
 * (bpf/bench_xsk.bpf.c) redirects the flow to the socket, attached in
 * XDP_SKB (generic) mode or veth's native mode.  Frames are taken in
 * batches of up to BURST and their chunks given straight back to the fill
 * ring; poll() when the receive ring is empty.
 */
static void rx_xdp(const struct rx_spec *s)
{
	struct xdp_umem_reg mr = {
		.len = (__u64)XSK_FRAMES * XSK_CHUNK,
		.chunk_size = XSK_CHUNK,
	};
	struct sockaddr_xdp sxdp = {
		.sxdp_family = AF_XDP,
		.sxdp_ifindex = rx_ifindex,
		.sxdp_queue_id = 0,
		.sxdp_flags = XDP_COPY | XDP_USE_NEED_WAKEUP,
	};
	__u32 xdp_flags = s->xdp_drv ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
	struct xdp_statistics st = { 0 };
	struct xdp_mmap_offsets off;
	struct xsk_ring fill, comp, rx;
	struct bench_xsk_bpf *skel;
	unsigned long long wakeups = 0;
	int fd, size = XSK_RING, ret;
	struct tally t = { 0 };
	__u32 key = 0, i;
	socklen_t len;
	void *umem;

	fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		rx_fail("AF_XDP socket: %s", strerror(errno));
	umem = mmap(NULL, mr.len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (umem == MAP_FAILED)
		rx_fail("mmap UMEM: %s", strerror(errno));
	mr.addr = (__u64)(unsigned long)umem;
	if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)))
		rx_fail("XDP_UMEM_REG: %s", strerror(errno));
	if (setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, &size, sizeof(size)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &size,
		       sizeof(size)) ||
	    setsockopt(fd, SOL_XDP, XDP_RX_RING, &size, sizeof(size)))
		rx_fail("AF_XDP rings: %s", strerror(errno));
	len = sizeof(off);
	if (getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &len))
		rx_fail("XDP_MMAP_OFFSETS: %s", strerror(errno));
	xsk_map_ring(fd, &fill, &off.fr, sizeof(__u64),
		     XDP_UMEM_PGOFF_FILL_RING);
	xsk_map_ring(fd, &comp, &off.cr, sizeof(__u64),
		     XDP_UMEM_PGOFF_COMPLETION_RING);
	xsk_map_ring(fd, &rx, &off.rx, sizeof(struct xdp_desc),
		     XDP_PGOFF_RX_RING);

	/* Every chunk to the fill ring. */
	for (i = 0; i < XSK_FRAMES; i++)
		((__u64 *)fill.desc)[i] = (__u64)i * XSK_CHUNK;
	__atomic_store_n(fill.prod, XSK_FRAMES, __ATOMIC_RELEASE);

	/*
	 * The previous run's socket lets go of the queue from a work item:
	 * EBUSY until that has run.
	 */
	for (i = 0; bind(fd, (struct sockaddr *)&sxdp, sizeof(sxdp)); i++) {
		if (errno != EBUSY || i == 200)
			rx_fail("bind AF_XDP to %s: %s", RX_IF, strerror(errno));
		sleep_s(0.01);
	}

	skel = bench_xsk_bpf__open();
	if (!skel)
		rx_fail("bench_xsk: open: %s", strerror(errno));
	skel->rodata->port = PORT;
	ret = bench_xsk_bpf__load(skel);
	if (ret)
		rx_fail("bench_xsk: load: %s", strerror(-ret));
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xsks), &key, &fd, 0))
		rx_fail("xsks map: %s", strerror(errno));
	ret = bpf_xdp_attach(rx_ifindex, bpf_program__fd(skel->progs.bench_xsk),
			     xdp_flags, NULL);
	if (ret)
		rx_fail("attach XDP (%s mode): %s", s->xdp_drv ? "drv" : "skb",
			strerror(-ret));
	if (s->xdp_drv && rps) {
		ret = napi_to_rx_cpu();
		if (ret) {
			bpf_xdp_detach(rx_ifindex, xdp_flags, NULL);
			rx_fail("threaded NAPI on vCPU %d: %s", rx_cpu,
				strerror(-ret));
		}
	}
	rx_ready();

	while (!stopped(&sh->rx_stop)) {
		__u32 cons = *rx.cons, fprod = *fill.prod, n;

		n = __atomic_load_n(rx.prod, __ATOMIC_ACQUIRE) - cons;
		if (!n) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			if (s->spin)
				continue;
			if (__atomic_load_n(fill.flags, __ATOMIC_RELAXED) &
			    XDP_RING_NEED_WAKEUP)
				recvfrom(fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
			if (poll(&pfd, 1, WAIT_TIMEOUT_NS / 1000000) > 0)
				store(&sh->wakeups, ++wakeups);
			continue;
		}
		if (n > BURST)
			n = BURST;
		/* The fill ring has room: it can hold every chunk there is. */
		for (i = 0; i < n; i++) {
			const struct xdp_desc *d =
				(struct xdp_desc *)rx.desc + ((cons + i) & rx.mask);

			consume(&t, (unsigned char *)umem + d->addr, d->len);
			((__u64 *)fill.desc)[(fprod + i) & fill.mask] =
				d->addr & ~(__u64)(XSK_CHUNK - 1);
		}
		__atomic_store_n(fill.prod, fprod + n, __ATOMIC_RELEASE);
		__atomic_store_n(rx.cons, cons + n, __ATOMIC_RELEASE);
		publish(&t);
	}

	len = sizeof(st);
	getsockopt(fd, SOL_XDP, XDP_STATISTICS, &st, &len);
	finish(&t, wakeups, st.rx_dropped + st.rx_ring_full);
	bpf_xdp_detach(rx_ifindex, xdp_flags, NULL);
	bench_xsk_bpf__destroy(skel);
	close(fd);
	munmap(umem, mr.len);
}

/* No receiver: the frames go up Linux's stack, which finds no socket. */
static void rx_none(const struct rx_spec *s)
{
	if (s->tc_drop && system(TC_DROP))
		rx_fail("%s: failed", TC_DROP);
	rx_ready();
	while (!stopped(&sh->rx_stop))
		sleep_s(0.05);
	if (s->tc_drop && system(TC_UNDO))
		rx_fail("%s: failed", TC_UNDO);
}

/* ---- The senders -------------------------------------------------------- */

static void pg_write(const char *file, const char *fmt, ...)
{
	char path[128], cmd[128];
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
	va_end(ap);
	cmd[n++] = '\n';		/* pgctrl drops the last byte */
	snprintf(path, sizeof(path), "/proc/net/pktgen/%s", file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s (modprobe pktgen)", path, strerror(errno));
	if (write(fd, cmd, n) != n)
		die("%s: '%.*s': %s", path, n - 1, cmd, strerror(errno));
	close(fd);
}

/*
 * pktgen: a kernel thread on vCPU 1 builds each frame and hands it to
 * veth1 with no system call; @pps 0 is as fast as it goes, else evenly
 * spaced frames at that rate.  It keeps a reference to each skb it sends,
 * so receivers get shared skbs: veth's native XDP copies them, generic
 * XDP cannot take them at all.  Not the default for that reason; into exo
 * it drove about as hard as the AF_PACKET sender (-t senders).
 */
static void pktgen_setup(unsigned long pps)
{
	/* pktgen is per network namespace: veth0's is exo-rx's. */
	int rxmode = sender == SEND_PKTGEN_RX;
	const char *dev = rxmode ? RX_IF : TX_IF;
	char thread[32];

	if (rxmode)
		enter_ns(rxns);
	snprintf(thread, sizeof(thread), "kpktgend_%d",
		 rxmode ? rx_cpu : tx_cpu);
	pg_write("pgctrl", "reset");
	pg_write(thread, "rem_device_all");
	pg_write(thread, "add_device %s", dev);
	pg_write(dev, "count 0");
	pg_write(dev, "clone_skb 0");	/* veth cannot share skbs */
	if (rxmode)
		pg_write(dev, "xmit_mode netif_receive");
	pg_write(dev, "pkt_size %d", FRAME_LEN);
	pg_write(dev, "flag NO_TIMESTAMP");
	if (pps)
		pg_write(dev, "ratep %lu", pps);
	else
		pg_write(dev, "delay 0");
	pg_write(dev, "dst " RX_IP);
	pg_write(dev, "src_min " TX_IP);
	pg_write(dev, "src_max " TX_IP);
	pg_write(dev, "dst_mac %02x:%02x:%02x:%02x:%02x:%02x", rx_mac[0],
		 rx_mac[1], rx_mac[2], rx_mac[3], rx_mac[4], rx_mac[5]);
	pg_write(dev, "udp_src_min %d", SRC_PORT);
	pg_write(dev, "udp_src_max %d", SRC_PORT);
	pg_write(dev, "udp_dst_min %d", PORT);
	pg_write(dev, "udp_dst_max %d", PORT);
	if (rxmode)
		enter_ns(txns);
}

/* Frames pktgen has injected into veth0 so far (pktgen-rx). */
static unsigned long long pktgen_sofar(void)
{
	unsigned long long n = 0;
	char line[256];
	FILE *f;

	enter_ns(rxns);
	f = fopen("/proc/net/pktgen/" RX_IF, "r");
	enter_ns(txns);
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "pkts-sofar:");

		if (p) {
			n = strtoull(p + strlen("pkts-sofar:"), NULL, 10);
			break;
		}
	}
	if (f)
		fclose(f);
	return n;
}

static __u16 ip_csum(const void *hdr, int len)
{
	const __u16 *w = hdr;
	__u32 sum = 0;

	while (len > 1) {
		sum += *w++;
		len -= 2;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* The frame both senders send: what pktgen builds, with sequence @seq. */
static void build_frame(unsigned char *f, __u32 seq)
{
	__u16 be16;
	__u32 be32;

	memset(f, 0, FRAME_LEN);
	memcpy(f, rx_mac, ETH_ALEN);
	memcpy(f + 6, tx_mac, ETH_ALEN);
	f[12] = 0x08;			/* ETH_P_IP */
	f[14] = 0x45;
	be16 = htons(FRAME_LEN - 14);
	memcpy(f + 16, &be16, 2);
	f[22] = 64;			/* TTL */
	f[23] = IPPROTO_UDP;
	inet_pton(AF_INET, TX_IP, f + 26);
	inet_pton(AF_INET, RX_IP, f + 30);
	be16 = ip_csum(f + 14, 20);
	memcpy(f + 24, &be16, 2);
	be16 = htons(SRC_PORT);
	memcpy(f + 34, &be16, 2);
	be16 = htons(PORT);
	memcpy(f + 36, &be16, 2);
	be16 = htons(FRAME_LEN - 34);
	memcpy(f + 38, &be16, 2);
	be32 = htonl(PKTGEN_MAGIC);
	memcpy(f + PAYLOAD_OFF, &be32, 4);
	be32 = htonl(seq);
	memcpy(f + PAYLOAD_OFF + 4, &be32, 4);
}

/*
 * The default sender, on vCPU 1: AF_PACKET sendmmsg() of 64 frames at a
 * time, past the qdisc (PACKET_QDISC_BYPASS), with a send buffer large
 * enough that frames queued at veth0 never hold it back (with the default
 * one it idled ~10% of the time); paced one frame per call at @pps if set.
 */
#define TX_BATCH 64
static void tx_packet(unsigned long pps)
{
	static unsigned char frames[TX_BATCH][FRAME_LEN];
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = tx_ifindex,
		.sll_halen = ETH_ALEN,
	};
	struct mmsghdr msgs[TX_BATCH];
	struct iovec iov[TX_BATCH];
	int fd, one = 1, sndbuf = 64 << 20, i, batch = pps ? 1 : TX_BATCH;
	double next = now();
	__u32 seq = 0;

	pin(tx_cpu);
	memcpy(sll.sll_addr, rx_mac, ETH_ALEN);
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
				 sizeof(one)) ||
	    /* Frames queued at veth0 hold send buffer: let many be. */
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)))
		die("AF_PACKET sender: %s", strerror(errno));
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < TX_BATCH; i++) {
		build_frame(frames[i], 0);
		iov[i] = (struct iovec){ frames[i], FRAME_LEN };
		msgs[i].msg_hdr.msg_name = &sll;
		msgs[i].msg_hdr.msg_namelen = sizeof(sll);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (!stopped(&sh->tx_stop)) {
		for (i = 0; i < batch; i++) {
			__u32 be = htonl(seq++);

			memcpy(frames[i] + PAYLOAD_OFF + 4, &be, 4);
		}
		if (pps) {
			next += 1.0 / pps;
			while (now() < next)
				;
		}
		sendmmsg(fd, msgs, batch, 0);
	}
	_exit(0);
}

static pid_t tx_pid;

static void tx_start(unsigned long pps)
{
	if (sender != SEND_PACKET)
		pktgen_setup(pps);
	__atomic_store_n(&sh->tx_stop, 0, __ATOMIC_RELAXED);
	tx_pid = fork();
	if (tx_pid < 0)
		die("fork: %s", strerror(errno));
	if (tx_pid)
		return;
	if (sender != SEND_PACKET) {
		/* Blocks until the parent writes "stop". */
		if (sender == SEND_PKTGEN_RX)
			enter_ns(rxns);
		pg_write("pgctrl", "start");
		_exit(0);
	}
	tx_packet(pps);
}

static void tx_stop(void)
{
	__atomic_store_n(&sh->tx_stop, 1, __ATOMIC_RELAXED);
	if (sender == SEND_PKTGEN_RX)
		enter_ns(rxns);
	if (sender != SEND_PACKET)
		pg_write("pgctrl", "stop");
	if (sender == SEND_PKTGEN_RX)
		enter_ns(txns);
	waitpid(tx_pid, NULL, 0);
}

/* ---- One measurement ------------------------------------------------------ */

struct result {
	double rx;		/* frames consumed per second */
	double tx;		/* frames handed to veth1 per second */
	double lost;		/* dropped at veth0's backlog per second */
	double wakeups;		/* per 10^5 frames consumed */
	double cpu[2];		/* % busy: receiver's vCPU, sender's */
	double cost;		/* receiver's vCPU busy µs per frame */
	unsigned long long drops;	/* receiver's ring, whole run */
	unsigned long long bad;
};

struct sample {
	double t;
	unsigned long long consumed, wakeups, tx, lost;
	double idle[2];				/* rx_cpu, tx_cpu: seconds */
};

/*
 * Idle time of the two vCPUs so far (/proc/stat).  With NOHZ the kernel
 * measures idle time exactly, whereas it only samples busy time at the
 * tick, which overcharges a vCPU that wakes often and briefly: busy time
 * is the window less idle time.
 */
static void cpu_idle(struct sample *s)
{
	double hz = sysconf(_SC_CLK_TCK);
	char line[512];
	FILE *f = fopen("/proc/stat", "r");

	s->idle[0] = s->idle[1] = 0;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long v[5];
		int cpu, k;

		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu", &cpu, &v[0],
			   &v[1], &v[2], &v[3], &v[4]) != 6)
			continue;
		k = cpu == rx_cpu ? 0 : cpu == tx_cpu ? 1 : -1;
		if (k >= 0)
			s->idle[k] = (v[3] + v[4]) / hz;	/* idle, iowait */
	}
	if (f)
		fclose(f);
}

static void take(struct sample *s)
{
	s->consumed = load(&sh->consumed);
	s->wakeups = load(&sh->wakeups);
	s->t = now();
	tx_counters(&s->tx, &s->lost);
	s->tx += s->lost;
	if (sender == SEND_PKTGEN_RX) {
		s->tx = pktgen_sofar();
		s->lost = 0;
	}
	cpu_idle(s);
}

/* Run receiver @s against the sender at @pps (0: flat out). 0 or -1. */
static int measure(const struct rx_spec *s, unsigned long pps,
		   struct result *r)
{
	struct sample a, b;
	double t0 = now();
	pid_t pid;
	int status, i;

	memset(sh, 0, sizeof(*sh));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		enter_ns(rxns);
		pin(rx_cpu);
		if (s->kind == RX_EXO)
			rx_exo(s);
		else if (s->kind == RX_PACKET)
			rx_packet(s);
		else if (s->kind == RX_XDP)
			rx_xdp(s);
		else
			rx_none(s);
		_exit(0);
	}
	while (!__atomic_load_n(&sh->ready, __ATOMIC_ACQUIRE)) {
		if (waitpid(pid, &status, WNOHANG) == pid || now() - t0 > 300) {
			fprintf(stderr, "bench-nic: %s: receiver died in set-up%s%s\n",
				s->name, sh->err[0] ? ": " : "", sh->err);
			return -1;
		}
		sleep_s(0.01);
	}
	if (sh->ready < 0) {
		waitpid(pid, NULL, 0);
		fprintf(stderr, "bench-nic: %s: %s\n", s->name, sh->err);
		return -1;
	}

	tx_start(pps);
	sleep_s(warmup);
	take(&a);
	sleep_s(window);
	take(&b);
	tx_stop();
	__atomic_store_n(&sh->rx_stop, 1, __ATOMIC_RELAXED);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench-nic: %s: receiver failed%s%s\n", s->name,
			sh->err[0] ? ": " : "", sh->err);
		return -1;
	}

	r->rx = (b.consumed - a.consumed) / (b.t - a.t);
	r->tx = (b.tx - a.tx) / (b.t - a.t);
	r->lost = (b.lost - a.lost) / (b.t - a.t);
	r->wakeups = b.consumed > a.consumed ?
		1e5 * (b.wakeups - a.wakeups) / (b.consumed - a.consumed) : 0;
	r->drops = sh->drops;
	r->bad = sh->bad;
	for (i = 0; i < 2; i++) {
		r->cpu[i] = 100 * (1 - (b.idle[i] - a.idle[i]) / (b.t - a.t));
		r->cpu[i] = r->cpu[i] < 0 ? 0 : r->cpu[i] > 100 ? 100 : r->cpu[i];
	}
	r->cost = r->rx ? r->cpu[0] / 100 * 1e6 / r->rx : 0;
	if (s->kind == RX_NONE)	/* per frame offered: what it costs to drop */
		r->cost = r->tx ? r->cpu[0] / 100 * 1e6 / r->tx : 0;
	return 0;
}

/* ---- Runs, medians, the table ---------------------------------------------- */

/* One system's runs: r[i] is round i's, if ok[i]. */
struct row {
	const struct rx_spec *spec;
	int n;
	int ok[MAX_ROUNDS];
	struct result r[MAX_ROUNDS];
};

#define FIELD(r, off)	(*(const double *)((const char *)(r) + (off)))

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median, min and max of @n values (n > 0). */
static double stats(double *v, int n, double *lo, double *hi)
{
	qsort(v, n, sizeof(double), cmp_double);
	if (lo)
		*lo = v[0];
	if (hi)
		*hi = v[n - 1];
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The median over @w's runs of the result field at byte @off. */
static double median(const struct row *w, size_t off, double *lo, double *hi)
{
	double v[MAX_ROUNDS];
	int i, n = 0;

	for (i = 0; i < rounds; i++)
		if (w->ok[i])
			v[n++] = FIELD(&w->r[i], off);
	return n ? stats(v, n, lo, hi) : 0;
}

#define MED(w, f)	median(w, offsetof(struct result, f), NULL, NULL)
#define RX		offsetof(struct result, rx)

/*
 * The median of @a's field over @b's, round by round (runs of one round
 * are seconds apart, so drift in the host's load largely cancels).
 */
static double paired(const struct row *a, const struct row *b, size_t off,
		     double *lo, double *hi, int *n)
{
	double v[MAX_ROUNDS];
	int i;

	*n = 0;
	for (i = 0; i < rounds; i++)
		if (a->ok[i] && b->ok[i] && FIELD(&b->r[i], off) > 0)
			v[(*n)++] = FIELD(&a->r[i], off) / FIELD(&b->r[i], off);
	return *n ? stats(v, *n, lo, hi) : 0;
}

/* Did @w take (nearly) all the sender offered? */
static int kept_up(const struct row *w)
{
	return MED(w, lost) < 0.01 * MED(w, tx) && MED(w, rx) > 0.95 * MED(w, tx);
}

/*
 * "RATIO @name", the median of per-round @a/@b of the field at @off, with
 * what it compares.  For rates, also the receiving vCPU's time per frame,
 * which still tells the two apart when both keep up with the sender.
 */
static void print_ratio(const char *name, const struct row *a,
			const struct row *b, size_t off)
{
	double lo, hi, q;
	int n;

	if (!a || !b)
		return;
	q = paired(a, b, off, &lo, &hi, &n);
	if (!n)
		return;
	printf("# %s: %s / %s: per round %.2f-%.2f, median of %d\n", name,
	       a->spec->name, b->spec->name, lo, hi, n);
	if (off == RX) {
		printf("#   vCPU %d busy per frame: %.1f us / %.1f us%s\n", rx_cpu,
		       MED(a, cost), MED(b, cost), a->spec->spin || b->spec->spin ?
		       " (a spinning receiver takes all of it)" : "");
		if (kept_up(a) && kept_up(b))
			printf("#   both kept up with the sender: this rate "
			       "ratio is the sender's, not theirs\n");
	}
	printf("RATIO %s %.2f\n", name, q);
}

/*
 * @n systems, @rounds rounds each, the order rotated every round so that
 * drift in the host's load spreads over all of them.
 */
static const char *only;	/* -o */

static int skipped(const struct row *w)
{
	return only && strcmp(w->spec->name, only);
}

static void run_rows(struct row *rows, int n, unsigned long pps)
{
	int round, j;

	for (round = 0; round < rounds; round++) {
		for (j = 0; j < n; j++) {
			struct row *w = &rows[(j + round) % n];

			if (!w->spec || skipped(w))
				continue;
			w->ok[round] = !measure(w->spec, pps, &w->r[round]);
			w->n += w->ok[round];
		}
	}
}

static void print_head(const char *title)
{
	printf("\n## %s\n", title);
	printf("%-42s %9s %15s %9s %8s %6s %8s %5s %5s %6s\n",
	       "receiver (median)", "app rx/s", "(min-max)", "offered/s",
	       "lost/s", "rdrop", "wake/1e5", "cpu0%", "cpu1%", "us/rx");
}

static void print_row(const struct row *w)
{
	unsigned long long drops = 0;
	char range[32];
	double lo, hi, rx;
	int i;

	if (!w->spec || skipped(w))
		return;
	if (!w->n) {
		printf("%-42s %9s\n", w->spec->name, "failed");
		return;
	}
	for (i = 0; i < rounds; i++)
		drops += w->ok[i] ? w->r[i].drops : 0;
	rx = median(w, offsetof(struct result, rx), &lo, &hi);
	snprintf(range, sizeof(range), "(%.0f-%.0f)", lo, hi);
	printf("%-42s %9.0f %15s %9.0f %8.0f %6llu %8.0f %5.0f %5.0f %6.1f\n",
	       w->spec->name, rx, range, MED(w, tx), MED(w, lost),
	       drops / w->n, MED(w, wakeups), MED(w, cpu[0]), MED(w, cpu[1]),
	       MED(w, cost));
	/* exo's ring holds only the flow's frames. */
	for (i = 0; i < rounds; i++)
		if (w->ok[i] && w->r[i].bad && w->spec->kind == RX_EXO)
			printf("#   round %d: %llu frames not of the flow!\n",
			       i, w->r[i].bad);
}

/* The row of @rows[from .. to) with the highest median rate. */
/*
 * pktgen-rx: the injector runs on the receiving vCPU, and its cost per
 * frame (an skb allocated and zeroed each time: pktgen cannot reuse one
 * in netif_receive mode) is in both receivers' figures.  What each
 * receiver adds above the injector with tc dropping every frame at
 * ingress, before any receiver sees it; informative, not a goal.
 */
static void print_above(const struct row *a, const struct row *b,
			const struct row *none)
{
	double c0, ca, cb;

	if (!a || !b || !none->n || only)
		return;
	c0 = MED(none, cost);
	ca = MED(a, cost) - c0;
	cb = MED(b, cost) - c0;
	printf("# above the injector (%.1f us/frame with tc dropping every "
	       "frame): %s %.1f us, %s %.1f us\n", c0, a->spec->name, ca,
	       b->spec->name, cb);
	if (ca > 0 && cb > 0)
		printf("RATIO nic.rx64.above_injector %.2f\n", cb / ca);
}

static const struct row *best(const struct row *rows, int from, int to)
{
	const struct row *b = NULL;

	for (; from < to; from++)
		if (rows[from].spec && rows[from].n &&
		    (!b || MED(&rows[from], rx) > MED(b, rx)))
			b = &rows[from];
	return b;
}

static int have_exo;

/* Is exo there with its NIC calls?  Tried in the receive namespace. */
static int probe_exo(void)
{
	pid_t pid = fork();
	int status, fd, ret;

	if (!pid) {
		enter_ns(rxns);
		fd = exo_open();
		if (fd < 0)
			_exit(2);
		ret = exo_nic_attach(fd, RX_IF);
		if (ret) {
			fprintf(stderr, "bench-nic: exo_nic_attach: %s\n",
				strerror(-ret));
			_exit(3);
		}
		exo_nic_detach(fd, RX_IF);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && !WEXITSTATUS(status);
}

/*
 * -B K,T_US: the batching predicate (names filled in by main()).  The
 * bound on the oldest frame's age decides how often a lightly loaded
 * libOS wakes: at the wakeup test's 10^4 frames/s, 1 ms wakes it every
 * ~10 frames whatever K is; 2 ms lets K = 64 batch, for at most 2 ms of
 * added latency (the trade a libOS makes by choosing its predicate).
 */
static unsigned int batch_k = 64, batch_t_us = 2000;
static char batch_name[64];

static struct rx_spec exo_batch = { .name = batch_name, .kind = RX_EXO };
static const struct rx_spec exo_spin = {
	.name = "exo, spins on its ring", .kind = RX_EXO, .spin = 1 };
static const struct rx_spec exo_nap = {
	.name = "exo, naps 1 ms when its ring is empty", .kind = RX_EXO,
	.nap_us = 1000 };
static struct rx_spec exo_notick = {
	.name = "exo, same predicate, no 1 ms tick", .kind = RX_EXO,
	.no_tick = 1 };
static const struct rx_spec tpv3 = {
	.name = "AF_PACKET TPACKET_V3, poll()", .kind = RX_PACKET };
static const struct rx_spec tpv3_spin = {
	.name = "AF_PACKET TPACKET_V3, spins", .kind = RX_PACKET, .spin = 1 };
static const struct rx_spec tpv3_drop = {
	.name = "AF_PACKET TPACKET_V3, poll(), tc drop", .kind = RX_PACKET,
	.tc_drop = 1 };
static const struct rx_spec xsk_skb = {
	.name = "AF_XDP copy, XDP_SKB mode, poll()", .kind = RX_XDP };
static const struct rx_spec xsk_skb_spin = {
	.name = "AF_XDP copy, XDP_SKB mode, spins", .kind = RX_XDP, .spin = 1 };
static const struct rx_spec xsk_drv = {
	.name = "AF_XDP copy, veth native XDP, poll()", .kind = RX_XDP,
	.xdp_drv = 1 };
static const struct rx_spec xsk_drv_spin = {
	.name = "AF_XDP copy, veth native XDP, spins", .kind = RX_XDP,
	.xdp_drv = 1, .spin = 1 };
static const struct rx_spec no_rx = {
	.name = "(none: Linux drops them, no UDP socket)", .kind = RX_NONE };
static const struct rx_spec no_rx_tc = {
	.name = "(none: tc drops them at ingress)", .kind = RX_NONE,
	.tc_drop = 1 };
static struct rx_spec exo_demux = {
	.name = "exo, 1000 flows bound (999 idle), same", .kind = RX_EXO,
	.idle = DEMUX_FLOWS - 1 };
static const struct rx_spec exo_perpkt = {
	.name = "exo, per-packet wakeup: pred_batch(1, -)",
	.kind = RX_EXO, .k = 1, .t_ns = NSEC };

/*
 * Each system in the ways its users run it: sleeping until frames come,
 * or spinning on the ring.  Each ratio is best against best.
 */
static void test_rx64(int spin, int none)
{
	/*
	 * pktgen's frames are shared skbs (it keeps a reference), and
	 * generic XDP expands the head of a shared skb: BUG() in
	 * pskb_expand_head() on this kernel.  No XDP_SKB mode with it.
	 */
	int skb = sender == SEND_PACKET, veth = sender != SEND_PKTGEN_RX;
	struct row rows[] = {
		{ .spec = have_exo ? &exo_batch : NULL },
		{ .spec = have_exo && spin ? &exo_spin : NULL },
		{ .spec = &tpv3 },
		{ .spec = spin ? &tpv3_spin : NULL },
		{ .spec = &tpv3_drop },
		{ .spec = skb ? &xsk_skb : NULL },
		{ .spec = skb && spin ? &xsk_skb_spin : NULL },
		{ .spec = veth ? &xsk_drv : NULL },
		{ .spec = veth && spin ? &xsk_drv_spin : NULL },
		/* Not in the ratios: what exo's predicate wait costs. */
		{ .spec = have_exo && spin ? &exo_nap : NULL },
		{ .spec = have_exo && spin ? &exo_notick : NULL },
		{ .spec = none ? &no_rx : NULL },
		/* pktgen-rx: the injector's own cost, with the earliest drop */
		{ .spec = veth ? NULL : &no_rx_tc },
	};
	int i, n = sizeof(rows) / sizeof(rows[0]);

	run_rows(rows, n, 0);
	print_head("rx64: 64-byte UDP frames, sender flat out");
	for (i = 0; i < n; i++)
		print_row(&rows[i]);
	if (!have_exo)
		return;
	/*
	 * nic.rx64: against AF_PACKET as users run it (the frame goes on into
	 * Linux's stack after the tap); .tcdrop: against AF_PACKET with tc
	 * dropping the flow after the tap, the strictest peer.
	 */
	print_ratio("nic.rx64", best(rows, 0, 2), best(rows, 2, 4), RX);
	print_ratio("nic.rx64.tcdrop", best(rows, 0, 2), &rows[4], RX);
	if (!veth)
		print_above(best(rows, 0, 2), best(rows, 2, 4), &rows[n - 1]);
	if (veth)
		print_ratio("nic.rx64.afxdp", best(rows, 0, 2),
			    best(rows, 5, 9), RX);
	else
		printf("# nic.rx64.afxdp: not measurable with pktgen-rx "
		       "(AF_XDP skb mode cannot take pktgen's shared skbs, native "
		       "mode sees only frames veth1 sends): see the veth-sender "
		       "table\n");
}

/*
 * Which sender drives the receivers harder: pktgen and the AF_PACKET
 * sendmmsg() sender, alternately, into exo and into AF_PACKET with tc
 * dropping the flow.
 */
static void test_senders(void)
{
	const struct rx_spec *specs[2] = { have_exo ? &exo_batch : &tpv3_drop,
					   &tpv3_drop };
	struct row rows[2][2];
	int round, i, k, saved = sender;

	memset(rows, 0, sizeof(rows));
	for (i = 0; i < 2; i++)
		for (k = 0; k < 2; k++)
			rows[i][k].spec = specs[i];
	for (round = 0; round < rounds; round++)
		for (i = 0; i < 2; i++)
			for (k = 0; k < 2; k++) {
				struct row *w = &rows[i][(k + round) % 2];

				sender = (k + round) % 2 ? SEND_PACKET : SEND_PKTGEN;
				w->ok[round] = !measure(w->spec, 0, &w->r[round]);
				w->n += w->ok[round];
			}
	sender = saved;
	print_head("senders: pktgen vs AF_PACKET sendmmsg(), into the same receivers");
	for (i = 0; i < 2; i++)
		for (k = 0; k < 2; k++) {
			print_row(&rows[i][k]);
			printf("#   (%s)\n", k ? "AF_PACKET" : "pktgen");
		}
}

static void test_demux(void)
{
	struct row rows[2] = { { .spec = &exo_batch }, { .spec = &exo_demux } };

	if (!have_exo)
		return;
	run_rows(rows, 2, 0);
	print_head("demux1000: one flow of 1000 bound vs one flow bound");
	print_row(&rows[0]);
	print_row(&rows[1]);
	print_ratio("nic.demux1000", &rows[1], &rows[0], RX);
}

static void test_wakeups(unsigned long pps)
{
	struct row rows[2] = { { .spec = &exo_batch }, { .spec = &exo_perpkt } };
	char title[128];

	if (!have_exo)
		return;
	if (!pps)
		die("-L: a rate above 0");
	run_rows(rows, 2, pps);
	snprintf(title, sizeof(title),
		 "wakeups: offered load %lu frames/s, evenly spaced", pps);
	print_head(title);
	print_row(&rows[0]);
	print_row(&rows[1]);
	/* Inverted: per-packet wakeups over batched ones. */
	print_ratio("nic.wakeups", &rows[1], &rows[0],
		    offsetof(struct result, wakeups));
}

int main(int argc, char **argv)
{
	const char *tests = "rx64,demux,wakeups", *loads = "10000";
	char *end;
	int opt;

	while ((opt = getopt(argc, argv, "w:r:S:L:B:o:t:P:h")) != -1) {
		switch (opt) {
		case 'P':
			rps = atoi(optarg);
			break;
		case 'w':
			window = strtod(optarg, &end);
			if (*end || window <= 0)
				die("bad -w %s", optarg);
			break;
		case 'r':
			rounds = atoi(optarg);
			if (rounds < 1 || rounds > MAX_ROUNDS)
				die("-r: 1..%d", MAX_ROUNDS);
			break;
		case 'S':
			if (!strcmp(optarg, "pktgen"))
				sender = SEND_PKTGEN;
			else if (!strcmp(optarg, "packet"))
				sender = SEND_PACKET;
			else if (!strcmp(optarg, "pktgen-rx"))
				sender = SEND_PKTGEN_RX;
			else
				die("-S pktgen|packet|pktgen-rx");
			break;
		case 'L':
			loads = optarg;
			break;
		case 'B':
			if (sscanf(optarg, "%u,%u", &batch_k, &batch_t_us) != 2 ||
			    !batch_k)
				die("-B K,T_US");
			break;
		case 'o':
			only = optarg;
			break;
		case 't':
			tests = optarg;
			break;
		default:
			fprintf(stderr, "usage: bench-nic [-w SEC] [-r ROUNDS] "
				"[-S pktgen|packet] [-P 0|1] [-L PPS,..] [-B K,T_US] "
				"[-o NAME] [-t rx64,skb,demux,wakeups,spin,none]\n");
			return opt == 'h' ? 0 : 2;
		}
	}

	exo_batch.k = exo_demux.k = exo_notick.k = batch_k;
	exo_batch.t_ns = exo_demux.t_ns = exo_notick.t_ns = batch_t_us * 1000ull;
	snprintf(batch_name, sizeof(batch_name),
		 "exo, sleeps on pred_batch(%u, %u us)", batch_k, batch_t_us);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	libbpf_set_print(NULL);

	/* The parent lives in the sender's namespace: pktgen, /proc/net/dev. */
	rxns = open_ns(RX_NS);
	txns = open_ns(TX_NS);
	enter_ns(rxns);
	if_info(RX_IF, rx_mac, &rx_ifindex);
	enter_ns(txns);
	if_info(TX_IF, tx_mac, &tx_ifindex);
	have_exo = probe_exo();
	if (sender == SEND_PKTGEN_RX)
		rps = 0;	/* injected on the receiving vCPU already */
	set_rps(rps);

	printf("# %s/%s <- %s/%s, %d-byte UDP frames (%d with FCS), sender %s "
	       "on vCPU %d, receiver on vCPU %d\n", RX_NS, RX_IF, TX_NS, TX_IF,
	       FRAME_LEN, FRAME_LEN + 4,
	       sender == SEND_PKTGEN ? "pktgen" :
	       sender == SEND_PKTGEN_RX ? "pktgen netif_receive into veth0" :
	       "AF_PACKET sendmmsg",
	       sender == SEND_PKTGEN_RX ? rx_cpu : tx_cpu, rx_cpu);
	if (sender == SEND_PKTGEN_RX)
		printf("# receive path (taps, XDP, exo, stack) in pktgen's thread on vCPU %d, with the application; RPS off\n",
		       rx_cpu);
	else
		printf("# receive path (veth0 backlog, taps, XDP, exo, stack) on vCPU %d%s\n",
		       rps ? rx_cpu : tx_cpu,
		       rps ? " by RPS, with the application" : ", in the sender's softirq");
	printf("# window %.1f s after %.1f s warm-up, median of %d interleaved "
	       "runs; app rx/s = frames the application consumed\n", window,
	       warmup, rounds);
	printf("# offered/s = handed to %s; lost/s = of those, dropped at %s's backlog; "
	       "rdrop = receiver's ring full (per run)\n", TX_IF, RX_IF);
	printf("# cpuN%% = vCPU N busy in the window; us/rx = vCPU %d busy time "
	       "per frame consumed (receive path + application)\n", rx_cpu);
	if (!have_exo)
		printf("# exo's NIC calls are not available: peers only\n");
	fflush(stdout);

	if (strstr(tests, "senders"))
		test_senders();
	if (strstr(tests, "rx64"))
		test_rx64(!!strstr(tests, "spin"), !!strstr(tests, "none"));

	fflush(stdout);
	if (strstr(tests, "demux"))
		test_demux();
	fflush(stdout);
	/* -L 1000,5000,...: the wakeup test at each load. */
	while (strstr(tests, "wakeups") && *loads) {
		test_wakeups(strtoul(loads, &end, 0));
		fflush(stdout);
		loads = *end == ',' ? end + 1 : "";
	}
	return 0;
}
