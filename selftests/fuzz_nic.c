// SPDX-License-Identifier: GPL-2.0
/*
 * exo_fuzz's NIC ops: programs, packets, namespaces and links (rtnl.h),
 * the traffic and link processes, flows, bindings, rings, filters,
 * predicates, io_uring commands, background and netns children.
 */
#include "fuzz.h"
#include "rtnl.h"

#include <linux/rtnetlink.h>

/* ---- NIC: names, programs, packets ------------------------------------------------ */

const char *const ctr_names[NCTR] = {
	"rx_packets", "rx_bytes", "rx_ring_full", "rx_too_long",
	"rx_bad_index", "filter_runs", "filter_drops", "filter_aborts",
	"ash_tx", "ash_drops", "tx_packets", "tx_bytes", "tx_bad_len",
	"tx_spoofed", "tx_bad_index", "tx_errors", "wakeups",
};

int ns_fuzz = -1;			/* network namespaces (parent's fds): the fuzz one, */
static int ns_peer = -1;		/* the peer's */
int net_dummies;			/* fzd0..3 are dummies, not veth ends */

/* XDP programs (loaded by the parent with bpf(2); fds inherited), or -1. */
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

int load_progs(void)
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


/* Re-read the names and addresses the link process may have changed. */
static void net_refresh(void)
{
	static const char *const names[NIC_NDEVS] = {
		"fz0", "fz2", "fzd0", "fzd1", "fzd2", "fzd3",
	};
	int i;

	for (i = 0; i < NIC_NDEVS; i++)
		sh->ifindex[i] = rtnl_getlink(-1, names[i], i ? NULL : sh->mac0);
	rtnl_getlink(ns_peer, "fz1", sh->peer_mac[0]);
	rtnl_getlink(ns_peer, "fz3", sh->peer_mac[1]);
}

/* The veth pair @k (0: fz0/fz1, 1: fz2/fz3), addressed and up. */
static int make_pair(int k)
{
	char a[8], b[8];

	snprintf(a, sizeof(a), "fz%d", 2 * k);
	snprintf(b, sizeof(b), "fz%d", 2 * k + 1);
	if (rtnl_link_add(a, "veth", b, ns_peer))
		return -1;
	if (!rtnl_addr(-1, a, k ? ADDR1 : ADDR0, 24, 0))
		rtnl_link_set(-1, a, 1, 0);
	if (!rtnl_addr(ns_peer, b, k ? PEER1 : PEER0, 24, 0))
		rtnl_link_set(ns_peer, b, 1, 0);
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
int net_setup(void)
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
	rtnl_link_set(-1, "lo", 1, 0);
	if (ns_fuzz < 0 || ns_peer < 0 || setns(ns_fuzz, CLONE_NEWNET)) {
		printf("# nic: namespaces: %s\n", strerror(errno));
		return -1;
	}
	rtnl_link_set(-1, "lo", 1, 0);
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
		if (dummy && rtnl_link_add(name, "dummy", NULL, -1))
			dummy = 0;	/* no dummy driver (the debug kernel) */
		net_dummies = dummy;
		if (dummy || !rtnl_link_add(name, "veth", peer, ns_peer))
			rtnl_link_set(-1, name, 1, 0);
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
void net_detach_all(void)
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

void traffic_main(void)
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
			nic_attach(exo, !one_in(3), rtnl_getlink(-1, one_in(3) ? "fz3" : "fz1", NULL));
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
						       (pidx[k] = rtnl_getlink(-1, k ? "fz3" : "fz1", NULL)),
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
		nic_attach(exo, 1, rtnl_getlink(-1, i ? "fz3" : "fz1", NULL));
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

void link_main(void)
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
				rtnl_link_set(-1, "fz0", 0, mtus[rn(8)]);
			else
				rtnl_link_set(ns_peer, "fz1", 0, mtus[rn(8)]);
			break;
		case 3: case 4:			/* down and up */
			k = L_DOWNUP;
			if (one_in(2)) {
				rtnl_link_set(-1, "fz0", 0, 0);
				usleep(rn(10) * 10000);
				rtnl_link_set(-1, "fz0", 1, 0);
			} else {
				rtnl_link_set(ns_peer, "fz1", 0, 0);
				rtnl_link_set(ns_peer, "fz1", 1, 0);
			}
			break;
		case 5:				/* ip link del, then a new pair */
			k = L_DEL;
			rtnl_link_del(-1, "fz0");
			usleep(rn(50000));
			make_pair(0);
			net_refresh();
			if (fd >= 0 && !one_in(3))
				nic_attach(fd, 0, sh->ifindex[0]);
			break;
		case 6:				/* to the peer namespace and back */
			k = L_MOVE;
			rtnl_link_move(-1, "fz0", ns_peer);
			rtnl_link_move(ns_peer, "fz0", ns_fuzz);
			rtnl_addr(-1, "fz0", ADDR0, 24, 0);
			rtnl_link_set(-1, "fz0", 1, 0);
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
			rtnl_link_del(-1, "fz2");
			make_pair(1);
			net_refresh();
			break;
		case 10:			/* fz0's address goes and comes back */
			k = L_ADDR;
			rtnl_addr(-1, "fz0", ADDR0, 24, 1);
			usleep(rn(10) * 10000);
			rtnl_addr(-1, "fz0", ADDR0, 24, 0);
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
	int offload;			/* bound with EXO_NIC_BIND_TX_OFFLOAD */
	__u64 last[NCTR];		/* counters at the last NIC_STAT */
};

static struct nflow nflows[NFLOWS];
static int nnflows;
static struct nbind nbs[NBINDS];
static exo_cap_t tombs[8];		/* tombstone flow handles */
static exo_cap_t ring_caps[TYPED];	/* frames that went into bindings */
int nonbpf_fd = -1, closed_fd = -1;
pid_t bg_pid;				/* the background NIC child */
int fork_depth;			/* 0 in a worker, >0 in its children */
static int in_bg;			/* this is the background child */

void anomaly(const char *fmt, ...)
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
void nic_env_known(void)
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
void nic_forget_env(int idx)
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

void op_nic_attach(void)
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

void op_nic_detach(void)
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

void op_flow_alloc(void)
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
void op_nic_bind(void)
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
	a->flags = one_in(2) ? EXO_NIC_BIND_TX_OFFLOAD :
		   pick_flags(EXO_NIC_BIND_TX_OFFLOAD);
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
		.offload = a->flags == EXO_NIC_BIND_TX_OFFLOAD,
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

void op_nic_unbind(void)
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

/*
 * An offload descriptor for a packet of @len inline bytes at @pkt: random
 * EXO_NIC_TX_* flags (sometimes unknown ones), an MSS from the sane and
 * the absurd, and a fragment table at @frags naming recent frame
 * capabilities of any env (or anything), with ranges in and out of their
 * frames, overlapping, empty, too many.  Half the time the IP length is
 * made to agree with what the fragments add, so that the kernel gets past
 * its length checks and builds, segments and sends the packet.
 */
static void offload_desc(struct exo_nic_txdesc *d, struct exo_nic_frag *frags,
			 __u8 *pkt, int len)
{
	static const __u16 msses[] = { 0, 1, 63, 64, 536, 1448, 1460, 1500,
				       9000, 65535 };
	__u32 i, total = 0, nr;

	memset(d, 0, sizeof(*d));
	d->len = len;
	d->flags = one_in(10) ? rnd() : rn(EXO_NIC_TX_FLAGS + 1);
	d->mss = d->flags & EXO_NIC_TX_TSO || one_in(10) ?
		 msses[rn(sizeof(msses) / sizeof(msses[0]))] : 0;
	nr = one_in(3) ? 0 : one_in(10) ? rn(256) : 1 + rn(EXO_NIC_TX_MAX_FRAGS);
	d->nr_frags = nr;
	if (one_in(20))
		d->__reserved0 = 1;
	if (one_in(20))
		d->__reserved1 = rnd();
	for (i = 0; i < EXO_NIC_TX_MAX_FRAGS; i++) {
		struct exo_nic_frag *f = &frags[i];

		f->frame = one_in(8) ? pick_cap() : pick_typed(frame_caps);
		switch (rn(8)) {
		case 0: f->off = rnd(); f->len = rnd(); break;
		case 1: f->off = PAGE - rn(64); f->len = 1 + rn(128); break;
		case 2: f->off = 0; f->len = PAGE; break;
		case 3: f->off = rn(PAGE); f->len = 0; break;
		default:
			f->off = rn(PAGE / 2);
			f->len = 1 + rn(PAGE - f->off);
		}
		if (i < nr)
			total += f->len;
	}
	if (one_in(2) && len >= 18 && total < 65536) {
		__u32 tot = len - 14 + total;

		pkt[16] = tot >> 8;
		pkt[17] = tot & 0xff;
	}
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
		if (b->offload && !one_in(5)) {
			struct exo_nic_frag frags[EXO_NIC_TX_MAX_FRAGS];
			struct exo_nic_txdesc xd;

			offload_desc(&xd, frags, pkt, d.len);
			memcpy(&d, &xd, sizeof(d));
			if (guarded_copy(slot + EXO_NIC_TX_FRAG_OFF, frags,
					 sizeof(frags)))
				return;
		}
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

void op_nic_tx(void)
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
	} else if (ioctl_plain && !a->dropped != !a->error) {
		anomaly("NIC_TX: dropped %u but error %u", a->dropped, a->error);
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
void op_nic_rx(void)
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

void op_nic_stat(void)
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

void op_nic_filter(void)
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

void op_wait(void)
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

void op_nic_uring(void)
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

void op_nic_kill(void)
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
pid_t reap(pid_t pid, int *st, int flags, int op)
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


void reap_bg(int kill9)
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
void op_nic_netns(void)
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
		if (fd < 0 || unshare(CLONE_NEWNET) || rtnl_link_add("fy0", "veth", "fy1", -1) ||
		    rtnl_addr(-1, "fy0", htonl(0x0a4e0001), 24, 0) ||
		    rtnl_addr(-1, "fy1", htonl(0x0a4e0002), 24, 0) ||
		    rtnl_link_set(-1, "fy0", 1, 0) || rtnl_link_set(-1, "fy1", 1, 0))
			_exit(0);
		ia = rtnl_getlink(-1, "fy0", NULL);
		ib = rtnl_getlink(-1, "fy1", NULL);
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
			rtnl_link_del(-1, "fy0");
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

void op_nic_bg(void)
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
