// SPDX-License-Identifier: GPL-2.0
/*
 * bench-nic-tx — bulk transmit cost: payload bytes sent per second of the
 * sender's vCPU, exo's offloads against Linux UDP with UDP_SEGMENT (GSO),
 * on the same veth pair, in the same guest and the same run.  Run by
 * scripts/bench nic after bench-nic, in the test VM as root with exo
 * loaded, with the namespaces of that script: the sender in exo-tx on
 * veth1 (10.77.0.2, vCPU 1), veth0 (10.77.0.1, exo-rx) dropping every IPv4
 * frame at tc ingress, its receive path steered to vCPU 0 by RPS, so that
 * vCPU 1 does only the sending (and both systems' frames die the same
 * cheap death).
 *
 *   bench-nic-tx [-w SEC] [-r ROUNDS]
 *
 * Systems (each a child pinned to vCPU 1, sending flat out):
 *   linux.udp_gso   send() of 44 x 1472-byte UDP segments per call,
 *                   UDP_SEGMENT 1472: one GSO skb through veth
 *   exo.copy        1460-byte TCP segments written into ring slots from a
 *                   file cache (one copy), checksummed by the libOS
 *   exo.csum        the same, the kernel finishing the checksum
 *   exo.tso_copy    44 x 1448 bytes per descriptor (TSO), the payload in 16
 *                   frame ranges the kernel copies
 *   exo.tso_zc      the same, the frames attached without a copy, reused
 *                   as soon as tx_done passes their slot
 * A row's rate is payload bytes per second of vCPU 1 busy time (/proc/stat:
 * the window less idle); vCPU 0's busy time (the receive path, and for
 * zero-copy the completion work queued there) is shown beside it.
 * Prints the table, then "RATIO nic.tx.gso <exo.tso_zc / linux.udp_gso>"
 * (median of per-round ratios) and the steps as RATIO nic.tx.gso.* lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include "exo.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103
#endif

#define RX_IP		"10.77.0.1"
#define TX_IP		"10.77.0.2"
#define TX_IF		"veth1"
#define RX_IF		"veth0"
#define PORT		9000
#define EXO_PORT	9100
#define MAX_ROUNDS	15
#define PAGE		4096

#define UDP_SEG		1472		/* 1500 - IP - UDP */
#define UDP_SEGS	44
#define MSS		1448
#define TSO_SEGS	44		/* 63,712 bytes: an skb under 64 KiB */
#define TSO_LEN		(MSS * TSO_SEGS)
#define COPY_SEG	1460
#define CACHE_FRAMES	16
#define TX_FRAMES	32		/* 64 slots */

enum sys { LINUX_GSO, EXO_COPY, EXO_CSUM, EXO_TSO_COPY, EXO_TSO_ZC, NSYS };
static const char *const names[NSYS] = {
	"linux.udp_gso", "exo.copy", "exo.csum", "exo.tso_copy", "exo.tso_zc",
};

struct shared {
	unsigned long long bytes;
	int ready, stop;
	char err[160];
};

static struct shared *sh;
static int exo_port = EXO_PORT;		/* a new flow each run */
static double window = 2, warmup = 0.5;
static int rounds = 5, rx_cpu = 0, tx_cpu = 1;
static unsigned char rx_mac[6], tx_mac[6];

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench-nic-tx: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void child_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sh->err, sizeof(sh->err), fmt, ap);
	va_end(ap);
	__atomic_store_n(&sh->ready, -1, __ATOMIC_RELEASE);
	_exit(1);
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

	nanosleep(&ts, NULL);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity: %s", strerror(errno));
}

static void enter_ns(const char *name)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		die("netns %s: %s", name, strerror(errno));
	close(fd);
}

static void mac_of(const char *ifname, unsigned char *mac)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr))
		die("%s: %s", ifname, strerror(errno));
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(s);
}

/*
 * Idle seconds of the two vCPUs so far (/proc/stat idle + iowait).  With
 * NOHZ the kernel measures idle time exactly but only samples busy time
 * at the tick, so busy time is the window less idle time (as bench-nic).
 */
static void cpu_idle(double *idle)
{
	double hz = sysconf(_SC_CLK_TCK);
	char line[512];
	FILE *f = fopen("/proc/stat", "r");

	idle[0] = idle[1] = 0;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long v[5];
		int cpu, k;

		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu", &cpu, &v[0],
			   &v[1], &v[2], &v[3], &v[4]) != 6)
			continue;
		k = cpu == rx_cpu ? 0 : cpu == tx_cpu ? 1 : -1;
		if (k >= 0)
			idle[k] = (v[3] + v[4]) / hz;
	}
	if (f)
		fclose(f);
}

/* Packets veth1 has sent (GSO skbs count once), from /proc/net/dev. */
static unsigned long long tx_skbs(void)
{
	unsigned long long v[10] = { 0 };
	char line[512];
	FILE *f = fopen("/proc/net/dev", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, TX_IF ":");

		if (p && sscanf(p + strlen(TX_IF ":"),
				"%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
				&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
				&v[7], &v[8], &v[9]) == 10)
			break;
	}
	if (f)
		fclose(f);
	return v[9];
}

static void add_bytes(unsigned long long n)
{
	__atomic_fetch_add(&sh->bytes, n, __ATOMIC_RELAXED);
}

static int stopped(void)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_RELAXED);
}

/* ---- Linux: UDP with UDP_SEGMENT ------------------------------------------- */

static void run_linux(void)
{
	static char buf[UDP_SEG * UDP_SEGS];
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(PORT) };
	int seg = UDP_SEG, s;

	memset(buf, 'x', sizeof(buf));
	inet_pton(AF_INET, RX_IP, &sin.sin_addr);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (void *)&sin, sizeof(sin)) ||
	    setsockopt(s, SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg)))
		child_fail("udp socket: %s", strerror(errno));
	__atomic_store_n(&sh->ready, 1, __ATOMIC_RELEASE);
	while (!stopped()) {
		ssize_t n = send(s, buf, sizeof(buf), 0);

		if (n > 0)
			add_bytes(n);
		else if (errno != ENOBUFS && errno != EAGAIN &&
			 errno != ECONNREFUSED)
			child_fail("send: %s", strerror(errno));
	}
	close(s);
}

/* ---- exo -------------------------------------------------------------------- */

static __u16 fold(const void *p, size_t len, __u32 sum)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (b[i] << 8) | b[i + 1];
	if (len & 1)
		sum += b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* Ethernet + IPv4 + TCP (20 bytes) for @plen payload bytes.  Returns 54. */
static int tcp_hdr(unsigned char *b, __u32 seq, size_t plen)
{
	unsigned char *ip = b + 14, *th = b + 34;
	__u16 c;

	memcpy(b, rx_mac, 6);
	memcpy(b + 6, tx_mac, 6);
	b[12] = 0x08;
	b[13] = 0;
	memset(ip, 0, 40);
	ip[0] = 0x45;
	*(__be16 *)(ip + 2) = htons(40 + plen);
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	inet_pton(AF_INET, TX_IP, ip + 12);
	inet_pton(AF_INET, RX_IP, ip + 16);
	c = ~fold(ip, 20, 0);
	ip[10] = c >> 8;
	ip[11] = c & 0xff;
	*(__be16 *)(th + 0) = htons(exo_port);
	*(__be16 *)(th + 2) = htons(PORT);
	*(__be32 *)(th + 4) = htonl(seq);
	*(__be32 *)(th + 8) = htonl(1);
	th[12] = 5 << 4;
	th[13] = 0x10;			/* ACK */
	*(__be16 *)(th + 14) = htons(65535);
	return 54;
}

/* The full TCP checksum, as a libOS without offloads computes it. */
static void tcp_csum(unsigned char *b, size_t plen)
{
	unsigned char ph[12];
	__u16 c;

	memcpy(ph, b + 26, 8);
	ph[8] = 0;
	ph[9] = IPPROTO_TCP;
	*(__be16 *)(ph + 10) = htons(20 + plen);
	c = ~fold(b + 34, 20 + plen, fold(ph, 12, 0));
	b[50] = c >> 8;
	b[51] = c & 0xff;
}

static void run_exo(enum sys sys)
{
	struct exo_nic_frag fr[16];
	struct exo_map_entry ents[CACHE_FRAMES];
	exo_cap_t flow, cache[CACHE_FRAMES];
	struct exo_nic *nic;
	unsigned char *va;
	__u32 seq = 1, done_seen = 0;
	int fd, i, tso = sys == EXO_TSO_COPY || sys == EXO_TSO_ZC;

	fd = exo_open();
	if (fd < 0)
		child_fail("open: %s", strerror(-fd));
	if (exo_flow_alloc(fd, TX_IF, IPPROTO_TCP, TX_IP, exo_port, NULL, 0,
			   &flow))
		child_fail("flow: %s", strerror(errno));
	nic = exo_nic__bind_flags(fd, flow, 1, TX_FRAMES,
				  EXO_NIC_BIND_TX_OFFLOAD);
	if (!nic)
		child_fail("bind: %s", strerror(errno));
	/* The "file cache": 16 frames of data, mapped. */
	if (exo_frame_alloc(fd, CACHE_FRAMES, cache, NULL))
		child_fail("frames: %s", strerror(errno));
	va = exo_region__create(fd, NULL, CACHE_FRAMES * PAGE,
				PROT_READ | PROT_WRITE);
	if (!va)
		child_fail("region: %s", strerror(errno));
	memset(ents, 0, sizeof(ents));
	for (i = 0; i < CACHE_FRAMES; i++) {
		ents[i].addr = (uintptr_t)va + (size_t)i * PAGE;
		ents[i].cap = cache[i];
		ents[i].prot = EXO_PROT_READ | EXO_PROT_WRITE;
	}
	if (exo_frame_map(fd, ents, CACHE_FRAMES) != CACHE_FRAMES)
		child_fail("map: %s", strerror(errno));
	for (i = 0; i < CACHE_FRAMES * PAGE; i++)
		va[i] = (unsigned char)(i * 31 + 7);
	for (i = 0; i < 16; i++) {
		size_t left = TSO_LEN - (size_t)i * PAGE;

		fr[i] = (struct exo_nic_frag){ cache[i], 0,
					       left < PAGE ? left : PAGE };
	}
	__atomic_store_n(&sh->ready, 1, __ATOMIC_RELEASE);

	while (!stopped()) {
		unsigned int queued = 0, dropped = 0;
		size_t off = 0;
		int sent;

		/* Fill every free slot, then one kick. */
		for (;;) {
			unsigned char *s = exo_nic__tx_slot(nic);

			if (!s)
				break;
			if (tso) {
				tcp_hdr(s, seq, TSO_LEN);
				exo_nic__tx_commit_ext(nic, 54, EXO_NIC_TX_TSO |
					(sys == EXO_TSO_COPY ? EXO_NIC_TX_COPY
							     : 0),
					MSS, fr, 16);
				seq += TSO_LEN;
			} else {
				tcp_hdr(s, seq, COPY_SEG);
				memcpy(s + 54, va + off, COPY_SEG);
				off = (off + COPY_SEG) % (15 * PAGE);
				if (sys == EXO_COPY)
					tcp_csum(s, COPY_SEG);
				exo_nic__tx_commit_ext(nic, 54 + COPY_SEG,
					sys == EXO_CSUM ? EXO_NIC_TX_CSUM : 0,
					0, NULL, 0);
				seq += COPY_SEG;
			}
			queued++;
		}
		if (!queued) {
			/*
			 * Zero-copy: every slot waits for its packets.  Sleep
			 * until an event (a completion moves tx_done and wakes
			 * the env), bounded: one that came just before the
			 * wait began is seen at the timeout.
			 */
			struct exo_wait_opts wo = {
				.prog_fd = -1, .timeout_ns = 1000000,
			};

			if (exo_nic__tx_done(nic) == done_seen)
				exo_wait(fd, &wo, NULL, NULL);
		}
		done_seen = exo_nic__tx_done(nic);
		sent = exo_nic__tx_kick(nic, &dropped);
		if (sent < 0)
			child_fail("kick: %s", strerror(-sent));
		/* veth's backlog full (ENOBUFS) drops; anything else is a bug. */
		if (dropped && exo_nic__tx_error(nic, NULL) != ENOBUFS)
			child_fail("kick: %u dropped (error %d)", dropped,
				   exo_nic__tx_error(nic, NULL));
		add_bytes((unsigned long long)sent *
			  (tso ? TSO_LEN : COPY_SEG));
	}
	if (getenv("BENCH_DEBUG")) {
		struct exo_nic_counters c;

		exo_nic__stat(nic, &c);
		fprintf(stderr, "%s: index %u done %u tail %u zc %llu/%llu tso %llu\n",
			names[sys], exo_nic__tx_index(nic), exo_nic__tx_done(nic),
			exo_nic__ring(nic)->tx_tail,
			(unsigned long long)c.tx_zc_done,
			(unsigned long long)c.tx_zc_packets,
			(unsigned long long)c.tx_tso);
	}
	exo_nic__free(nic);
	exo_close(fd);
}

/* ---- measurement -------------------------------------------------------------- */

struct result {
	double rate;		/* payload bytes per second of vCPU 1 */
	double gbps;		/* payload bits per second of wall time / 1e9 */
	double cpu[2];		/* busy %: vCPU 0, vCPU 1 */
	double skb_bytes;	/* payload bytes per skb veth1 sent */
};

static int measure(enum sys sys, struct result *r)
{
	double b0[2], b1[2], t0, t1, start = now();
	unsigned long long n0, n1, k0, k1;
	int status, i;
	pid_t pid;

	memset(sh, 0, sizeof(*sh));
	exo_port++;
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		pin(tx_cpu);
		if (sys == LINUX_GSO)
			run_linux();
		else
			run_exo(sys);
		_exit(0);
	}
	while (!__atomic_load_n(&sh->ready, __ATOMIC_ACQUIRE)) {
		if (waitpid(pid, &status, WNOHANG) == pid || now() - start > 120) {
			fprintf(stderr, "bench-nic-tx: %s: sender died in set-up: %s\n",
				names[sys], sh->err);
			return -1;
		}
		sleep_s(0.01);
	}
	if (sh->ready < 0) {
		waitpid(pid, NULL, 0);
		fprintf(stderr, "bench-nic-tx: %s: %s\n", names[sys], sh->err);
		return -1;
	}
	sleep_s(warmup);
	n0 = __atomic_load_n(&sh->bytes, __ATOMIC_RELAXED);
	k0 = tx_skbs();
	t0 = now();
	cpu_idle(b0);
	sleep_s(window);
	n1 = __atomic_load_n(&sh->bytes, __ATOMIC_RELAXED);
	k1 = tx_skbs();
	t1 = now();
	cpu_idle(b1);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench-nic-tx: %s: sender failed: %s\n",
			names[sys], sh->err);
		return -1;
	}
	for (i = 0; i < 2; i++) {
		r->cpu[i] = 100 * (1 - (b1[i] - b0[i]) / (t1 - t0));
		r->cpu[i] = r->cpu[i] < 0 ? 0 : r->cpu[i] > 100 ? 100 : r->cpu[i];
	}
	r->gbps = (n1 - n0) * 8 / (t1 - t0) / 1e9;
	r->skb_bytes = k1 > k0 ? (double)(n1 - n0) / (k1 - k0) : 0;
	r->rate = r->cpu[1] > 0 ? (n1 - n0) / (t1 - t0) / (r->cpu[1] / 100)
				: 0;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	static struct result res[NSYS][MAX_ROUNDS];
	static int ok[NSYS][MAX_ROUNDS];
	int fd, opt, s, k, n;

	while ((opt = getopt(argc, argv, "w:r:")) != -1) {
		switch (opt) {
		case 'w':
			window = atof(optarg);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: bench-nic-tx [-w SEC] [-r ROUNDS]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || window <= 0)
		die("-r 1..%d, -w > 0", MAX_ROUNDS);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap: %s", strerror(errno));

	enter_ns("exo-rx");
	mac_of(RX_IF, rx_mac);
	enter_ns("exo-tx");
	mac_of(TX_IF, tx_mac);
	fd = exo_open();
	if (fd < 0)
		die("/dev/exo: %s", strerror(-fd));
	if (exo_nic_attach(fd, TX_IF))
		die("attach %s: %s", TX_IF, strerror(errno));

	printf("# bench-nic-tx: %d rounds of %.1f s, sender on vCPU %d, "
	       "veth0's receive path on vCPU %d, dropped at tc ingress\n",
	       rounds, window, tx_cpu, rx_cpu);
	for (k = 0; k < rounds; k++)
		for (s = 0; s < NSYS; s++)
			ok[s][k] = !measure(s, &res[s][k]);

	printf("\n| sender | MB/s of vCPU 1 | Gbit/s | vCPU 1 busy | vCPU 0 busy | bytes/skb |\n");
	printf("|---|---|---|---|---|---|\n");
	for (s = 0; s < NSYS; s++) {
		double v[5][MAX_ROUNDS];

		for (k = n = 0; k < rounds; k++) {
			if (!ok[s][k])
				continue;
			v[0][n] = res[s][k].rate / 1e6;
			v[1][n] = res[s][k].gbps;
			v[2][n] = res[s][k].cpu[1];
			v[3][n] = res[s][k].cpu[0];
			v[4][n] = res[s][k].skb_bytes;
			n++;
		}
		if (!n) {
			printf("| %s | failed | | | |\n", names[s]);
			continue;
		}
		printf("| %s | %.1f | %.3f | %.0f%% | %.0f%% | %.0f |\n",
		       names[s], median(v[0], n), median(v[1], n),
		       median(v[2], n), median(v[3], n), median(v[4], n));
	}
	printf("\n");
	for (s = EXO_COPY; s < NSYS; s++) {
		static const char *const rn[NSYS] = {
			NULL, "nic.tx.gso.copy", "nic.tx.gso.csum",
			"nic.tx.gso.tso_copy", "nic.tx.gso",
		};
		double v[MAX_ROUNDS];

		for (k = n = 0; k < rounds; k++)
			if (ok[s][k] && ok[LINUX_GSO][k] &&
			    res[LINUX_GSO][k].rate > 0)
				v[n++] = res[s][k].rate / res[LINUX_GSO][k].rate;
		if (n)
			printf("RATIO %s %.2f\n", rn[s], median(v, n));
	}
	exo_nic_detach(fd, TX_IF);
	exo_close(fd);
	return 0;
}
