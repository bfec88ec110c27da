// SPDX-License-Identifier: GPL-2.0
/*
 * NIC transmit offloads (EXO_NIC_BIND_TX_OFFLOAD), each against a Linux
 * receiver in the peer namespace (netenv.h):
 *   - checksum offload: UDP datagrams whose checksum the kernel finishes
 *     reach a peer socket whose stack verifies checksums (exo1 rx
 *     checksumming off, exo0 tx off so the kernel's fallback computes it);
 *     the same datagram with a wrong checksum is dropped and counted there;
 *   - TSO: a 64 KiB TCP segment over a real handshake with a Linux
 *     listener arrives as 45 segments of at most the MSS, each with a
 *     correct checksum (seen by a packet socket on exo1), and the accepted
 *     socket reads the stream byte for byte; with exo0's offloads on, the
 *     same goes through veth as one GSO packet;
 *   - zero-copy payload from frames: byte-exact; a frame in flight (a
 *     netem qdisc holds the packet) is not freed, cannot be taken by
 *     another env or come back from a repossession before the packet is
 *     gone, and tx_done says when; kill -9 with packets in flight leaks
 *     nothing;
 *   - spoofing through a TSO header, fragments naming capabilities the
 *     env does not hold readable, and malformed descriptors: dropped with
 *     a precise errno (NIC_TX's error) and counted by reason;
 *   - io_uring transmit of a zero-copy packet; plain bindings unchanged.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <liburing.h>

#include "kselftest_harness.h"
#include "exo_test.h"
#include "netenv.h"

EXO_REQUIRE_DEVICE

#define WAIT_MS		10000	/* bound for asynchronous delivery (TCG) */
#define PEER_PORT	6000
#define PEER_TCP_PORT	7000
#define HOLD_MS		3000	/* netem delay that keeps packets in flight */
#define PAGE		4096

FIXTURE(tx) {
	struct netenv ne;
	int fd;
	int peer;
};

FIXTURE_SETUP(tx)
{
	self->fd = -1;
	self->peer = -1;
	ASSERT_EQ(0, netenv_setup(&self->ne));
	self->fd = exo_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, exo_nic_attach(self->fd, NETENV_DEV));
	self->peer = netenv_udp_socket(&self->ne, 1, NETENV_PEER_ADDR,
				       PEER_PORT);
	ASSERT_LE(0, self->peer);
}

FIXTURE_TEARDOWN(tx)
{
	nictest_teardown(&self->ne, self->fd, self->peer);
}

#define TX_TEST(name) TEST_F_TIMEOUT(tx, name, 240)

/* ---- helpers ------------------------------------------------------------ */

/* Frames of the env, mapped read-write into one region. */
struct frames {
	int n;
	exo_cap_t cap[16];
	__u64 pfn[16];
	unsigned char *va;
};

static int frames_get(int fd, int n, struct frames *f)
{
	struct exo_map_entry ents[16];
	int i, ret;

	memset(f, 0, sizeof(*f));
	memset(ents, 0, sizeof(ents));
	ret = exo_frame_alloc(fd, n, f->cap, f->pfn);
	if (ret)
		return ret;
	f->n = n;
	f->va = exo_region__create(fd, NULL, (size_t)n * PAGE,
				   PROT_READ | PROT_WRITE);
	if (!f->va)
		return -errno;
	for (i = 0; i < n; i++) {
		ents[i].addr = (uintptr_t)f->va + (size_t)i * PAGE;
		ents[i].cap = f->cap[i];
		ents[i].prot = EXO_PROT_READ | EXO_PROT_WRITE;
	}
	ret = exo_frame_map(fd, ents, n);
	return ret == n ? 0 : ret < 0 ? ret : -EIO;
}

/* Byte @i of the test pattern @seed. */
static unsigned char pat(unsigned int seed, size_t i)
{
	return (unsigned char)(i * 7 + seed + (i >> 8) * 13);
}

static void pat_fill(unsigned char *p, size_t len, unsigned int seed,
		     size_t from)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pat(seed, from + i);
}

static __u16 ip_csum(const void *p, size_t len)
{
	return (__u16)~netenv_csum_fold(p, len, 0);
}

/*
 * Ethernet + IPv4 headers from exo0 to exo1, @l4len bytes of transport
 * header and payload after them, IP checksum filled.  Returns 34.
 */
static int hdr_ip(unsigned char *b, const struct netenv *ne, int proto,
		  size_t l4len, __be32 saddr)
{
	memcpy(b, ne->peer_mac, 6);
	memcpy(b + 6, ne->mac, 6);
	b[12] = 0x08;
	b[13] = 0x00;
	b += 14;
	memset(b, 0, 20);
	b[0] = 0x45;
	*(__be16 *)(b + 2) = htons(20 + l4len);
	*(__be16 *)(b + 4) = htons(0x1234);
	b[6] = 0x40;		/* DF */
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, &saddr, 4);
	memcpy(b + 16, &ne->peer_addr, 4);
	*(__u16 *)(b + 10) = ip_csum(b, 20);
	return 34;
}

/* UDP header at @b + 34 for @plen payload bytes; checksum 0.  Returns 42. */
static int hdr_udp(unsigned char *b, const struct netenv *ne, __u16 sport,
		   __u16 dport, size_t plen)
{
	hdr_ip(b, ne, IPPROTO_UDP, 8 + plen, ne->addr);
	*(__be16 *)(b + 34) = htons(sport);
	*(__be16 *)(b + 36) = htons(dport);
	*(__be16 *)(b + 38) = htons(8 + plen);
	*(__be16 *)(b + 40) = 0;
	return 42;
}

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_PSH	0x08
#define TH_ACK	0x10

/* TCP header (20 bytes, no options) at @b + 34; checksum 0.  Returns 54. */
static int hdr_tcp(unsigned char *b, const struct netenv *ne, __u16 sport,
		   __u16 dport, __u32 seq, __u32 ack, __u8 flags, size_t plen)
{
	unsigned char *t = b + 34;

	hdr_ip(b, ne, IPPROTO_TCP, 20 + plen, ne->addr);
	memset(t, 0, 20);
	*(__be16 *)(t + 0) = htons(sport);
	*(__be16 *)(t + 2) = htons(dport);
	*(__be32 *)(t + 4) = htonl(seq);
	*(__be32 *)(t + 8) = htonl(ack);
	t[12] = 5 << 4;
	t[13] = flags;
	*(__be16 *)(t + 14) = htons(65535);
	return 54;
}

/* The TCP/UDP checksum of the segment at @l4 (@len bytes) is right. */
static int l4_csum_ok(const unsigned char *ip, const unsigned char *l4,
		      size_t len)
{
	unsigned char ph[12];
	__u32 sum;

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = ip[9];
	*(__be16 *)(ph + 10) = htons(len);
	sum = netenv_csum_fold(ph, sizeof(ph), 0);
	return netenv_csum_fold(l4, len, sum) == 0xffff;
}

/* One descriptor, kicked: returns sent; *@err gets NIC_TX's error. */
static int send_one(struct exo_nic *nic, __u16 len, __u16 flags, __u16 mss,
		    const struct exo_nic_frag *fr, unsigned int nr, int *err)
{
	unsigned int dropped = 0;
	int ret;

	*err = 0;
	ret = exo_nic__tx_commit_ext(nic, len, flags, mss, fr, nr);
	if (ret)
		return ret;
	ret = exo_nic__tx_kick(nic, &dropped);
	*err = exo_nic__tx_error(nic, NULL);
	return ret;
}

static struct exo_nic *bind_offload(int fd, int proto, __u16 port,
				    exo_cap_t *flow)
{
	int ret = exo_flow_alloc(fd, NETENV_DEV, proto, NETENV_ADDR, port,
				 NULL, 0, flow);

	if (ret) {
		errno = -ret;
		return NULL;
	}
	return exo_nic__bind_flags(fd, *flow, 4, 4, EXO_NIC_BIND_TX_OFFLOAD);
}

/* A UDP datagram of @plen bytes whose payload is @nr ranges of frames. */
static int send_udp_frags(struct exo_nic *nic, const struct netenv *ne,
			  __u16 sport, __u16 flags,
			  const struct exo_nic_frag *fr, unsigned int nr,
			  int *err)
{
	unsigned char *s = exo_nic__tx_slot(nic);
	size_t plen = 0;
	unsigned int i;

	if (!s)
		return -errno;
	for (i = 0; i < nr; i++)
		plen += fr[i].len;
	hdr_udp(s, ne, sport, PEER_PORT, plen);
	return send_one(nic, 42, flags, 0, fr, nr, err);
}

/* The Udp InCsumErrors counter of the peer namespace, or -errno. */
static long long peer_udp_csum_errors(struct netenv *ne)
{
	char buf[4096], *p;
	long long v[9];
	int ret;

	ret = netenv_sh(ne, 1, "cp /proc/net/snmp /tmp/exo_nic_tx.snmp");
	if (ret)
		return ret < 0 ? ret : -EIO;
	if (exo_read_file("/tmp/exo_nic_tx.snmp", buf, sizeof(buf)) < 0)
		return -EIO;
	/* The second "Udp:" line holds the values. */
	p = strstr(buf, "\nUdp:");
	p = p ? strstr(p + 1, "\nUdp:") : NULL;
	if (!p || sscanf(p, "\nUdp: %lld %lld %lld %lld %lld %lld %lld",
			 &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) != 7)
		return -EPROTO;
	return v[6];
}

static long long zc_inflight(void)
{
	long long v = -1;

	exo_totals_value("nic_zc_inflight", &v);
	return v;
}

/* Hold what exo0 sends for @ms in a netem qdisc (0: remove it). */
/*
 * The tests that keep a packet in flight need netem.  A kernel without a
 * packet scheduler (CONFIG_NET_SCHED unset, as make check-debug's was until
 * 2026-12-04) has no /proc/net/psched and cannot hold one: they skip,
 * saying why.  Where there is a scheduler, hold_tx() must work.
 */
#define NEED_NETEM()							\
	do {								\
		if (access("/proc/net/psched", R_OK))			\
			SKIP(return, "no packet scheduler in this kernel (CONFIG_NET_SCHED): netem cannot hold a packet in flight"); \
	} while (0)

static int hold_tx(struct netenv *ne, int ms)
{
	if (!ms)
		return netenv_sh(ne, 0, "tc qdisc del dev %s root", NETENV_DEV);
	return netenv_sh(ne, 0, "tc qdisc add dev %s root netem delay %dms",
			 NETENV_DEV, ms);
}

/* Receive a datagram and compare it with the pattern. */
static int peer_recv_pat(int peer, size_t len, unsigned int seed, int ms)
{
	static unsigned char buf[65536];
	size_t i;
	int n;

	n = netenv_recv(peer, buf, sizeof(buf), ms);
	if (n < 0)
		return n;
	if ((size_t)n != len)
		return -EMSGSIZE;
	for (i = 0; i < len; i++)
		if (buf[i] != pat(seed, i))
			return -EBADMSG;
	return 0;
}

/* ---- checksum offload --------------------------------------------------- */

TX_TEST(csum_offload_verified_by_receiving_stack)
{
	static const char msg[] = "checksummed by the kernel";
	struct exo_nic_counters c;
	struct frames f;
	struct exo_nic *nic;
	struct exo_nic_frag fr[3];
	unsigned char *s;
	char buf[256];
	long long errs0, errs1;
	exo_cap_t flow;
	int err, n;

	/* The receiver checks every checksum; the sender computes them. */
	ASSERT_EQ(0, netenv_sh(&self->ne, 1, "ethtool -K %s rx off",
			       NETENV_PEER_DEV));
	ASSERT_EQ(0, netenv_sh(&self->ne, 0, "ethtool -K %s tx off",
			       NETENV_DEV));
	nic = bind_offload(self->fd, IPPROTO_UDP, 5000, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));

	/* Inline payload, garbage in the checksum field: the kernel's wins. */
	s = exo_nic__tx_slot(nic);
	ASSERT_NE(NULL, s);
	hdr_udp(s, &self->ne, 5000, PEER_PORT, sizeof(msg) - 1);
	memcpy(s + 42, msg, sizeof(msg) - 1);
	*(__u16 *)(s + 40) = 0xbeef;
	ASSERT_EQ(1, send_one(nic, 42 + sizeof(msg) - 1, EXO_NIC_TX_CSUM, 0,
			      NULL, 0, &err));
	ASSERT_EQ(0, err);
	n = netenv_recv(self->peer, buf, sizeof(buf), WAIT_MS);
	ASSERT_EQ((int)sizeof(msg) - 1, n);
	ASSERT_EQ(0, memcmp(buf, msg, n));

	/* Payload in three ranges of two frames, checksummed across them. */
	ASSERT_EQ(0, frames_get(self->fd, 2, &f));
	pat_fill(f.va + 100, 700, 1, 0);
	pat_fill(f.va + PAGE + 3, 600, 1, 700);
	pat_fill(f.va + 2000, 50, 1, 1300);
	fr[0] = (struct exo_nic_frag){ f.cap[0], 100, 700 };
	fr[1] = (struct exo_nic_frag){ f.cap[1], 3, 600 };
	fr[2] = (struct exo_nic_frag){ f.cap[0], 2000, 50 };
	ASSERT_EQ(1, send_udp_frags(nic, &self->ne, 5000, EXO_NIC_TX_CSUM,
				    fr, 3, &err));
	ASSERT_EQ(0, peer_recv_pat(self->peer, 1350, 1, WAIT_MS));

	/* The control: a wrong full checksum, no offload, is dropped there. */
	errs0 = peer_udp_csum_errors(&self->ne);
	ASSERT_LE(0, errs0);
	s = exo_nic__tx_slot(nic);
	ASSERT_NE(NULL, s);
	n = netenv_udp_frame(s, EXO_NIC_MAX_LEN, self->ne.mac,
			     self->ne.peer_mac, self->ne.addr,
			     self->ne.peer_addr, 5000, PEER_PORT, msg,
			     sizeof(msg) - 1);
	ASSERT_LT(0, n);
	s[41] ^= 0x5a;
	ASSERT_EQ(1, send_one(nic, n, 0, 0, NULL, 0, &err));
	ASSERT_TRUE(NETENV_WAIT_FOR(peer_udp_csum_errors(&self->ne) > errs0,
				    WAIT_MS));
	errs1 = peer_udp_csum_errors(&self->ne);
	ASSERT_EQ(errs0 + 1, errs1);
	ASSERT_EQ(-EAGAIN, netenv_recv(self->peer, buf, sizeof(buf), 0));

	c = nictest_stat(nic);
	ASSERT_EQ(3, c.tx_packets);
	ASSERT_EQ(1, c.tx_zc_packets);
	ASSERT_TRUE(NETENV_WAIT_FOR(exo_nic__tx_done(nic) ==
				    exo_nic__tx_index(nic), WAIT_MS));
	exo_nic__free(nic);
}

/* ---- TSO over a real TCP connection --------------------------------------- */

struct tcpconn {
	int lsn, conn, pkt;
	__u32 snd_nxt, rcv_nxt;
};

/* The sequence number of a SYN-ACK from the peer in @nic's ring, or -1. */
static long long synack_seq(struct exo_nic *nic)
{
	struct exo_nic_pkt p[8];
	unsigned int n, i;
	long long seq = -1;

	n = exo_nic__rx_burst(nic, p, 8);
	for (i = 0; i < n; i++) {
		const unsigned char *b = p[i].data;

		if (p[i].len >= 54 && b[23] == IPPROTO_TCP &&
		    (b[47] & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
			seq = ntohl(*(const __be32 *)(b + 38));
	}
	exo_nic__rx_release(nic, n);
	return seq;
}

/* Handshake from exo's flow (port 5001) to a Linux listener. */
static int tcp_open(struct netenv *ne, struct exo_nic *nic,
		    struct tcpconn *tc)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons(PEER_TCP_PORT),
	};
	int one = 1, big = 1 << 20, err;
	struct pollfd pfd;
	unsigned char *s;
	long long seq = -1;

	inet_pton(AF_INET, NETENV_PEER_ADDR, &sin.sin_addr);
	tc->lsn = netenv_peer_socket(ne, AF_INET, SOCK_STREAM, 0);
	if (tc->lsn < 0)
		return tc->lsn;
	/* A receive buffer big enough to open a 64 KiB window at once. */
	setsockopt(tc->lsn, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(tc->lsn, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(tc->lsn, (void *)&sin, sizeof(sin)) || listen(tc->lsn, 4))
		return -errno;

	tc->snd_nxt = 1000;
	s = exo_nic__tx_slot(nic);
	if (!s)
		return -errno;
	hdr_tcp(s, ne, 5001, PEER_TCP_PORT, tc->snd_nxt, 0, TH_SYN, 0);
	if (send_one(nic, 54, EXO_NIC_TX_CSUM, 0, NULL, 0, &err) != 1)
		return -EIO;
	tc->snd_nxt++;
	if (!NETENV_WAIT_FOR((seq = synack_seq(nic)) >= 0, WAIT_MS))
		return -ETIMEDOUT;
	tc->rcv_nxt = (__u32)seq + 1;
	s = exo_nic__tx_slot(nic);
	if (!s)
		return -errno;
	hdr_tcp(s, ne, 5001, PEER_TCP_PORT, tc->snd_nxt, tc->rcv_nxt, TH_ACK,
		0);
	if (send_one(nic, 54, EXO_NIC_TX_CSUM, 0, NULL, 0, &err) != 1)
		return -EIO;
	pfd = (struct pollfd){ .fd = tc->lsn, .events = POLLIN };
	if (poll(&pfd, 1, WAIT_MS) != 1)
		return -ETIMEDOUT;
	tc->conn = accept(tc->lsn, NULL, NULL);
	return tc->conn < 0 ? -errno : 0;
}

/* Read exactly @len bytes of the stream and compare with pattern @seed. */
static int tcp_read_pat(int fd, size_t len, unsigned int seed)
{
	static unsigned char buf[65536];
	size_t got = 0, i;

	while (got < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, WAIT_MS) != 1)
			return -ETIMEDOUT;
		n = recv(fd, buf + got, len - got, 0);
		if (n <= 0)
			return n ? -errno : -EPIPE;
		got += n;
	}
	for (i = 0; i < len; i++)
		if (buf[i] != pat(seed, i))
			return -EBADMSG;
	return 0;
}

/*
 * Data segments from exo (sport 5001) seen by the peer's packet socket:
 * their number, the largest payload, and whether every checksum held.
 */
static int count_segments(int pkt, size_t *max_payload, size_t *total,
			  int *csum_bad)
{
	static unsigned char b[70000];
	int count = 0;
	ssize_t n;

	*max_payload = *total = 0;
	*csum_bad = 0;
	while ((n = recv(pkt, b, sizeof(b), MSG_DONTWAIT)) > 0) {
		size_t ihl, tot, thl, pl;

		if (n < 54 || b[12] != 0x08 || b[13] != 0x00 ||
		    b[23] != IPPROTO_TCP || ntohs(*(__be16 *)(b + 34)) != 5001)
			continue;
		ihl = (b[14] & 15) * 4;
		tot = ntohs(*(__be16 *)(b + 16));
		thl = (b[14 + ihl + 12] >> 4) * 4;
		if (tot > (size_t)n - 14 || tot < ihl + thl)
			continue;
		pl = tot - ihl - thl;
		if (!pl)
			continue;
		count++;
		*total += pl;
		if (pl > *max_payload)
			*max_payload = pl;
		if (!l4_csum_ok(b + 14, b + 14 + ihl, tot - ihl))
			(*csum_bad)++;
	}
	return count;
}

/* One TSO descriptor: 65,495 payload bytes from 16 frame ranges. */
#define TSO_PAYLOAD	(65535 - 40)
#define TSO_MSS		1460
#define TSO_WHOLE	(65535 - 14 - 40)	/* an skb under 64 KiB */

static int send_tso(struct netenv *ne, struct exo_nic *nic,
		    struct tcpconn *tc, struct frames *f, unsigned int seed,
		    __u16 flags, size_t plen, __u32 *idx)
{
	struct exo_nic_frag fr[16];
	unsigned char *s;
	size_t left = plen;
	int i, err, ret;

	for (i = 0; i < 16 && left; i++) {
		size_t len = left < PAGE ? left : PAGE;

		pat_fill(f->va + (size_t)i * PAGE, len, seed,
			 (size_t)i * PAGE);
		fr[i] = (struct exo_nic_frag){ f->cap[i], 0, len };
		left -= len;
	}
	s = exo_nic__tx_slot(nic);
	if (!s)
		return -errno;
	hdr_tcp(s, ne, 5001, PEER_TCP_PORT, tc->snd_nxt, tc->rcv_nxt,
		TH_ACK | TH_PSH, plen);
	*idx = exo_nic__tx_index(nic);
	ret = send_one(nic, 54, EXO_NIC_TX_TSO | flags, TSO_MSS, fr, i, &err);
	if (ret != 1)
		return ret < 0 ? ret : -err;
	tc->snd_nxt += plen;
	return 0;
}

TX_TEST(tso_64k_segment_arrives_as_segments_and_stream)
{
	struct tcpconn tc = { .lsn = -1, .conn = -1, .pkt = -1 };
	struct exo_nic_counters c;
	long long v;
	size_t maxp, total;
	struct frames f;
	struct exo_nic *nic;
	exo_cap_t flow;
	int bad, segs, i;
	__u32 idx;

	ASSERT_EQ(0, netenv_sh(&self->ne, 1, "ethtool -K %s rx off",
			       NETENV_PEER_DEV));
	/* Software GSO and checksums on the sender: real segments on veth. */
	ASSERT_EQ(0, netenv_sh(&self->ne, 0, "ethtool -K %s tx off",
			       NETENV_DEV));
	nic = bind_offload(self->fd, IPPROTO_TCP, 5001, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, frames_get(self->fd, 16, &f));
	tc.pkt = netenv_peer_socket(&self->ne, AF_PACKET, SOCK_RAW,
				    htons(ETH_P_IP));
	ASSERT_LE(0, tc.pkt);
	i = 1 << 22;
	setsockopt(tc.pkt, SOL_SOCKET, SO_RCVBUF, &i, sizeof(i));
	ASSERT_EQ(0, tcp_open(&self->ne, nic, &tc));

	ASSERT_EQ(0, send_tso(&self->ne, nic, &tc, &f, 3, 0, TSO_PAYLOAD,
			      &idx));
	ASSERT_EQ(0, tcp_read_pat(tc.conn, TSO_PAYLOAD, 3));
	segs = count_segments(tc.pkt, &maxp, &total, &bad);
	EXPECT_EQ((TSO_PAYLOAD + TSO_MSS - 1) / TSO_MSS, segs);
	EXPECT_EQ(TSO_MSS, maxp);
	EXPECT_EQ(TSO_PAYLOAD, total);
	EXPECT_EQ(0, bad);
	/* The frames are the env's again once tx_done has passed the slot. */
	ASSERT_TRUE(NETENV_WAIT_FOR(exo_nic__tx_complete(nic, idx), WAIT_MS));

	/*
	 * Offloads on: veth carries a GSO skb whole if it is shorter than
	 * its gso_max_size (64 KiB with the Ethernet header; longer ones the
	 * kernel's GSO splits, as above), and the receiver takes it whole.
	 */
	ASSERT_EQ(0, netenv_sh(&self->ne, 0, "ethtool -K %s tx on sg on tso on",
			       NETENV_DEV));
	ASSERT_EQ(0, send_tso(&self->ne, nic, &tc, &f, 4, 0, TSO_WHOLE, &idx));
	ASSERT_EQ(0, tcp_read_pat(tc.conn, TSO_WHOLE, 4));
	segs = count_segments(tc.pkt, &maxp, &total, &bad);
	EXPECT_EQ(1, segs);
	EXPECT_EQ(TSO_WHOLE, total);
	ASSERT_TRUE(NETENV_WAIT_FOR(exo_nic__tx_complete(nic, idx), WAIT_MS));

	/* The same with the payload copied at the kick. */
	ASSERT_EQ(0, send_tso(&self->ne, nic, &tc, &f, 5, EXO_NIC_TX_COPY,
			      TSO_PAYLOAD, &idx));
	ASSERT_EQ(0, tcp_read_pat(tc.conn, TSO_PAYLOAD, 5));

	c = nictest_stat(nic);
	EXPECT_EQ(3, c.tx_tso);
	EXPECT_EQ(2, c.tx_zc_packets);
	EXPECT_EQ(0, c.tx_spoofed + c.tx_bad_len + c.tx_bad_offload +
		     c.tx_bad_frag + c.tx_errors);
	/* debugfs shows the same (this is the guest's only binding) */
	ASSERT_EQ(0, exo_debugfs_sum("nic", "tx_tso", &v));
	EXPECT_EQ(3, v);
	ASSERT_EQ(0, exo_debugfs_sum("nic", "tx_bad_offload", &v));
	EXPECT_EQ(0, v);
	close(tc.conn);
	close(tc.lsn);
	close(tc.pkt);
	exo_nic__free(nic);
}

/* ---- frames in flight ------------------------------------------------------ */

TX_TEST(in_flight_frame_is_held_until_the_packet_is_gone)
{
	struct exo_env_info info = { .size = sizeof(info) };
	struct exo_nic_frag fr;
	struct frames f;
	struct exo_nic *nic;
	exo_cap_t flow, other;
	__u64 pfn;
	__u32 idx, used;
	int fd2, err = 0;

	NEED_NETEM();

	nic = bind_offload(self->fd, IPPROTO_UDP, 5002, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, frames_get(self->fd, 1, &f));
	pfn = f.pfn[0];
	pat_fill(f.va + 64, 1200, 9, 0);
	fd2 = exo_open();
	ASSERT_LE(0, fd2);

	ASSERT_EQ(0, hold_tx(&self->ne, HOLD_MS));
	fr = (struct exo_nic_frag){ f.cap[0], 64, 1200 };
	idx = exo_nic__tx_index(nic);
	ASSERT_EQ(1, send_udp_frags(nic, &self->ne, 5002, EXO_NIC_TX_CSUM,
				    &fr, 1, &err));
	ASSERT_EQ(1, zc_inflight());
	ASSERT_FALSE(exo_nic__tx_complete(nic, idx));

	/* Unmapped and closed: the env lets go, the kernel does not. */
	ASSERT_EQ(0, exo_region__destroy(f.va, PAGE));
	ASSERT_EQ(1, exo_caps_close(self->fd, f.cap, 1));
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	used = info.used[EXO_KIND_FRAME];
	/* Another env cannot have it, by name, while it is in flight. */
	ASSERT_EQ(-EBUSY, exo_frame_alloc_at(fd2, 1, &pfn, &other));

	/* The bytes arrive as they were; then the frame is free. */
	ASSERT_EQ(0, peer_recv_pat(self->peer, 1200, 9, WAIT_MS + HOLD_MS));
	ASSERT_TRUE(NETENV_WAIT_FOR(exo_nic__tx_complete(nic, idx), WAIT_MS));
	ASSERT_EQ(0, zc_inflight());
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	ASSERT_EQ(used - 1, info.used[EXO_KIND_FRAME]);
	ASSERT_EQ(0, exo_frame_alloc_at(fd2, 1, &pfn, &other));
	ASSERT_EQ(1, nictest_stat(nic).tx_zc_done);
	ASSERT_EQ(0, hold_tx(&self->ne, 0));
	exo_close(fd2);
	exo_nic__free(nic);
}

TX_TEST(repossession_of_in_flight_frame_completes_after_the_packet)
{
	struct exo_env_info info = { .size = sizeof(info) };
	struct exo_cap_info ci;
	struct exo_nic_frag fr;
	struct frames f;
	struct exo_nic *nic;
	exo_cap_t flow, other;
	__u64 pfn;
	__u32 idx, used;
	int fd2, err = 0;

	NEED_NETEM();

	nic = bind_offload(self->fd, IPPROTO_UDP, 5003, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));
	/* The newest frame: the one an abort takes first. */
	ASSERT_EQ(0, frames_get(self->fd, 1, &f));
	pfn = f.pfn[0];
	pat_fill(f.va, 1000, 11, 0);
	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	used = info.used[EXO_KIND_FRAME];

	ASSERT_EQ(0, hold_tx(&self->ne, HOLD_MS));
	fr = (struct exo_nic_frag){ f.cap[0], 0, 1000 };
	idx = exo_nic__tx_index(nic);
	ASSERT_EQ(1, send_udp_frags(nic, &self->ne, 5003, 0, &fr, 1, &err));

	/* Root asks for one frame back; the env ignores it; the abort comes. */
	ASSERT_EQ(0, exo_request_revoke(NULL, info.env_id, 1, 50));
	ASSERT_TRUE(NETENV_WAIT_FOR(!exo_cap_info(self->fd, f.cap[0], &ci) &&
				    ci.state == EXO_CAP_REVOKED, WAIT_MS));
	/* Taken from the env, yet not back in the pool: still charged. */
	ASSERT_EQ(-EBUSY, exo_frame_alloc_at(fd2, 1, &pfn, &other));
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	ASSERT_EQ(used, info.used[EXO_KIND_FRAME]);

	ASSERT_EQ(0, peer_recv_pat(self->peer, 1000, 11, WAIT_MS + HOLD_MS));
	ASSERT_TRUE(NETENV_WAIT_FOR(exo_nic__tx_complete(nic, idx), WAIT_MS));
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	ASSERT_EQ(used - 1, info.used[EXO_KIND_FRAME]);
	ASSERT_EQ(0, exo_frame_alloc_at(fd2, 1, &pfn, &other));
	ASSERT_EQ(0, hold_tx(&self->ne, 0));
	exo_close(fd2);
	exo_nic__free(nic);
}

TX_TEST(kill9_with_packets_in_flight_leaks_nothing)
{
	struct exo_totals before, after;
	int pipefd[2], i, got;
	pid_t pid;
	char c;

	NEED_NETEM();

	ASSERT_EQ(0, exo_totals(&before));
	ASSERT_EQ(0, hold_tx(&self->ne, HOLD_MS));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct exo_nic_frag fr;
		struct frames f;
		struct exo_nic *nic;
		exo_cap_t flow;
		int fd = exo_open(), err;

		nic = fd < 0 ? NULL : bind_offload(fd, IPPROTO_UDP, 5004,
						   &flow);
		if (!nic || frames_get(fd, 8, &f))
			_exit(1);
		for (i = 0; i < 8; i++) {
			pat_fill(f.va + (size_t)i * PAGE, 500, 20, 0);
			fr = (struct exo_nic_frag){ f.cap[i], 0, 500 };
			if (send_udp_frags(nic, &self->ne, 5004, 0, &fr, 1,
					   &err) != 1)
				_exit(2);
		}
		if (write(pipefd[1], "k", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	close(pipefd[0]);
	ASSERT_EQ(8, zc_inflight());
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));

	/* The packets still go out whole, from frames nobody else got. */
	for (got = 0; got < 8; got++)
		if (peer_recv_pat(self->peer, 500, 20, WAIT_MS + HOLD_MS))
			break;
	EXPECT_EQ(8, got);
	ASSERT_TRUE(NETENV_WAIT_FOR(zc_inflight() == 0, WAIT_MS));
	ASSERT_EQ(0, exo_totals_wait(&before, &after, WAIT_MS))
		TH_LOG("before %s", exo_totals_str(&before));
	ASSERT_EQ(0, hold_tx(&self->ne, 0));
}

/* ---- what is refused --------------------------------------------------------- */

TX_TEST(spoofing_through_tso_or_foreign_fragments_refused)
{
	struct exo_nic_counters c;
	struct exo_nic_frag fr;
	struct frames f, g;
	struct exo_nic *nic;
	exo_cap_t flow, noread, h;
	unsigned char *s;
	char buf[64];
	int fd2, err = 0, i;

	nic = bind_offload(self->fd, IPPROTO_TCP, 5005, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, frames_get(self->fd, 1, &f));

	/* A TSO header with someone else's port, then address. */
	s = exo_nic__tx_slot(nic);
	ASSERT_NE(NULL, s);
	hdr_tcp(s, &self->ne, 5999, PEER_TCP_PORT, 1, 1, TH_ACK, 3000);
	fr = (struct exo_nic_frag){ f.cap[0], 0, 3000 };
	ASSERT_EQ(0, send_one(nic, 54, EXO_NIC_TX_TSO, 1000, &fr, 1, &err));
	ASSERT_EQ(EPERM, err);
	s = exo_nic__tx_slot(nic);
	ASSERT_NE(NULL, s);
	hdr_tcp(s, &self->ne, 5005, PEER_TCP_PORT, 1, 1, TH_ACK, 3000);
	hdr_ip(s, &self->ne, IPPROTO_TCP, 20 + 3000,
	       netenv_addr(NETENV_OTHER_ADDR));
	ASSERT_EQ(0, send_one(nic, 54, EXO_NIC_TX_TSO, 1000, &fr, 1, &err));
	ASSERT_EQ(EPERM, err);

	/* Another env's frame handles mean nothing in this env's table. */
	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, frames_get(fd2, 16, &g));
	h = g.cap[15];
	s = exo_nic__tx_slot(nic);
	ASSERT_NE(NULL, s);
	hdr_tcp(s, &self->ne, 5005, PEER_TCP_PORT, 1, 1, TH_ACK, 100);
	fr = (struct exo_nic_frag){ h, 0, 100 };
	ASSERT_EQ(0, send_one(nic, 54, EXO_NIC_TX_CSUM, 0, &fr, 1, &err));
	ASSERT_EQ(EBADF, err);
	/* A slot of this env holding a flow, not a frame. */
	fr.frame = flow;
	s = exo_nic__tx_slot(nic);
	ASSERT_NE(NULL, s);
	hdr_tcp(s, &self->ne, 5005, PEER_TCP_PORT, 1, 1, TH_ACK, 100);
	ASSERT_EQ(0, send_one(nic, 54, EXO_NIC_TX_COPY, 0, &fr, 1, &err));
	ASSERT_EQ(EINVAL, err);
	/* Its own frame, through a capability without READ. */
	ASSERT_EQ(0, exo_cap_derive(self->fd, f.cap[0], EXO_RIGHT_MAP,
				    &noread));
	fr.frame = noread;
	s = exo_nic__tx_slot(nic);
	ASSERT_NE(NULL, s);
	hdr_tcp(s, &self->ne, 5005, PEER_TCP_PORT, 1, 1, TH_ACK, 100);
	ASSERT_EQ(0, send_one(nic, 54, 0, 0, &fr, 1, &err));
	ASSERT_EQ(EACCES, err);
	/* A closed one. */
	ASSERT_EQ(0, exo_cap_close(self->fd, noread));
	s = exo_nic__tx_slot(nic);
	ASSERT_NE(NULL, s);
	hdr_tcp(s, &self->ne, 5005, PEER_TCP_PORT, 1, 1, TH_ACK, 100);
	ASSERT_EQ(0, send_one(nic, 54, 0, 0, &fr, 1, &err));
	ASSERT_EQ(ESTALE, err);

	c = nictest_stat(nic);
	EXPECT_EQ(2, c.tx_spoofed);
	EXPECT_EQ(4, c.tx_bad_frag);
	EXPECT_EQ(0, c.tx_packets);
	EXPECT_EQ(0, c.tx_zc_packets);
	EXPECT_EQ(-EAGAIN, netenv_recv(self->peer, buf, sizeof(buf), 0));
	ASSERT_EQ(0, zc_inflight());
	exo_close(fd2);
	exo_nic__free(nic);
}

/* A descriptor written by hand (what libexo refuses to write). */
static int send_raw(struct exo_nic *nic, const struct exo_nic_txdesc *d,
		    const struct exo_nic_frag *fr, unsigned int nfr, int *err)
{
	unsigned char *s = exo_nic__tx_slot(nic);
	int ret;

	*err = 0;
	if (!s)
		return -errno;
	ret = exo_nic__tx_commit_ext(nic, d->len, 0, 0, NULL, 0);
	if (ret)
		return ret;
	s -= EXO_NIC_DATA_OFF;
	memcpy(s, d, sizeof(*d));
	memcpy(s + EXO_NIC_TX_FRAG_OFF, fr, nfr * sizeof(*fr));
	ret = exo_nic__tx_kick(nic, NULL);
	*err = exo_nic__tx_error(nic, NULL);
	return ret;
}

TX_TEST(bad_descriptors_get_precise_errors)
{
	struct exo_nic_frag fr[17];
	struct exo_nic_counters c;
	struct exo_nic_txdesc d;
	struct frames f;
	struct exo_nic *nic, *unic;
	exo_cap_t flow, uflow;
	unsigned char *s;
	int err = 0, i, bad = 0;

	nic = bind_offload(self->fd, IPPROTO_TCP, 5006, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));
	unic = bind_offload(self->fd, IPPROTO_UDP, 5007, &uflow);
	ASSERT_NE(NULL, unic) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, frames_get(self->fd, 2, &f));

#define TCP_CASE(plen, flags, mss, nfr, want) do {			\
		s = exo_nic__tx_slot(nic);				\
		ASSERT_NE(NULL, s);					\
		hdr_tcp(s, &self->ne, 5006, PEER_TCP_PORT, 1, 1, TH_ACK, plen); \
		ASSERT_EQ(0, send_one(nic, 54, flags, mss, fr, nfr, &err)); \
		EXPECT_EQ(want, err) TH_LOG("case at line %d", __LINE__); \
		bad++;							\
	} while (0)

	/* Overlapping ranges of one frame. */
	fr[0] = (struct exo_nic_frag){ f.cap[0], 0, 100 };
	fr[1] = (struct exo_nic_frag){ f.cap[0], 50, 100 };
	TCP_CASE(200, EXO_NIC_TX_CSUM, 0, 2, EINVAL);
	/* Past the end of the frame; an offset past the frame. */
	fr[0] = (struct exo_nic_frag){ f.cap[0], 4000, 200 };
	TCP_CASE(200, EXO_NIC_TX_CSUM, 0, 1, EOVERFLOW);
	fr[0] = (struct exo_nic_frag){ f.cap[0], 4096, 1 };
	TCP_CASE(1, EXO_NIC_TX_CSUM, 0, 1, EOVERFLOW);
	fr[0] = (struct exo_nic_frag){ f.cap[0], 0xffffffffu, 2 };
	TCP_CASE(2, EXO_NIC_TX_CSUM, 0, 1, EOVERFLOW);
	/* A fragment of length 0. */
	fr[0] = (struct exo_nic_frag){ f.cap[0], 0, 0 };
	TCP_CASE(0, EXO_NIC_TX_CSUM, 0, 1, EINVAL);
	/* MSS 0, a tiny one, MSS without TSO, an MSS over the MTU. */
	fr[0] = (struct exo_nic_frag){ f.cap[0], 0, 3000 };
	TCP_CASE(3000, EXO_NIC_TX_TSO, 0, 1, EINVAL);
	TCP_CASE(3000, EXO_NIC_TX_TSO, 63, 1, EINVAL);
	TCP_CASE(3000, EXO_NIC_TX_CSUM, 1000, 1, EINVAL);
	fr[1] = (struct exo_nic_frag){ f.cap[1], 0, 3000 };
	TCP_CASE(6000, EXO_NIC_TX_TSO, 1500, 2, EMSGSIZE);
	/* Without TSO, a packet over the MTU. */
	TCP_CASE(6000, EXO_NIC_TX_CSUM, 0, 2, EMSGSIZE);
	/* Lengths that disagree with the IP header, either way. */
	TCP_CASE(2000, EXO_NIC_TX_TSO, 1000, 1, EPROTO);
	TCP_CASE(4000, EXO_NIC_TX_TSO, 1000, 1, EPROTO);
	/* An unknown flag. */
	TCP_CASE(3000, 1U << 7, 0, 1, EINVAL);

	/* TSO with SYN. */
	s = exo_nic__tx_slot(nic);
	ASSERT_NE(NULL, s);
	hdr_tcp(s, &self->ne, 5006, PEER_TCP_PORT, 1, 1, TH_SYN, 3000);
	ASSERT_EQ(0, send_one(nic, 54, EXO_NIC_TX_TSO, 1000, fr, 1, &err));
	EXPECT_EQ(EINVAL, err);
	bad++;

	/* Too many fragments, a reserved field, inline bytes over the table. */
	for (i = 0; i < 17; i++)
		fr[i] = (struct exo_nic_frag){ f.cap[i % 2], (i / 2) * 100,
					       100 };
	s = exo_nic__tx_slot(nic);
	ASSERT_NE(NULL, s);
	hdr_tcp(s, &self->ne, 5006, PEER_TCP_PORT, 1, 1, TH_ACK, 1700);
	d = (struct exo_nic_txdesc){ .len = 54, .flags = EXO_NIC_TX_CSUM,
				     .nr_frags = 17 };
	ASSERT_EQ(0, send_raw(nic, &d, fr, 16, &err));
	EXPECT_EQ(E2BIG, err);
	bad++;
	s = exo_nic__tx_slot(nic);
	ASSERT_NE(NULL, s);
	hdr_tcp(s, &self->ne, 5006, PEER_TCP_PORT, 1, 1, TH_ACK, 100);
	d = (struct exo_nic_txdesc){ .len = 54, .nr_frags = 1,
				     .__reserved1 = 1 };
	ASSERT_EQ(0, send_raw(nic, &d, fr, 1, &err));
	EXPECT_EQ(EINVAL, err);
	bad++;
	s = exo_nic__tx_slot(nic);
	ASSERT_NE(NULL, s);
	hdr_tcp(s, &self->ne, 5006, PEER_TCP_PORT, 1, 1, TH_ACK,
		EXO_NIC_TX_FRAG_OFF - EXO_NIC_DATA_OFF + 1 - 54 + 100);
	d = (struct exo_nic_txdesc){
		.len = EXO_NIC_TX_FRAG_OFF - EXO_NIC_DATA_OFF + 1,
		.nr_frags = 1,
	};
	ASSERT_EQ(0, send_raw(nic, &d, fr, 1, &err));
	EXPECT_EQ(EINVAL, err);
	bad++;

	/* TSO on a UDP flow. */
	s = exo_nic__tx_slot(unic);
	ASSERT_NE(NULL, s);
	hdr_udp(s, &self->ne, 5007, PEER_PORT, 3000);
	fr[0] = (struct exo_nic_frag){ f.cap[0], 0, 3000 };
	ASSERT_EQ(0, send_one(unic, 42, EXO_NIC_TX_TSO, 1000, fr, 1, &err));
	EXPECT_EQ(EINVAL, err);

	/* Nothing stuck: a good one still goes. */
	fr[0] = (struct exo_nic_frag){ f.cap[0], 0, 500 };
	pat_fill(f.va, 500, 30, 0);
	ASSERT_EQ(1, send_udp_frags(unic, &self->ne, 5007, EXO_NIC_TX_CSUM,
				    fr, 1, &err));
	ASSERT_EQ(0, peer_recv_pat(self->peer, 500, 30, WAIT_MS));

	c = nictest_stat(nic);
	EXPECT_EQ(bad, (int)(c.tx_bad_offload + c.tx_bad_len));
	EXPECT_EQ(0, c.tx_packets);
	EXPECT_EQ(0, c.tx_zc_packets);
	ASSERT_EQ(0, zc_inflight());
	exo_nic__free(unic);
	exo_nic__free(nic);
}

/* ---- io_uring, and plain bindings ------------------------------------------ */

TX_TEST(uring_kick_sends_zero_copy_packet)
{
	struct exo_nic_frag fr[4];
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct frames f;
	struct exo_nic *nic;
	unsigned char *s;
	exo_cap_t flow;
	int i;

	nic = bind_offload(self->fd, IPPROTO_UDP, 5008, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, frames_get(self->fd, 4, &f));
	for (i = 0; i < 4; i++) {
		pat_fill(f.va + (size_t)i * PAGE + 10 * i, 300, 40, 300 * i);
		fr[i] = (struct exo_nic_frag){ f.cap[i], 10 * i, 300 };
	}
	s = exo_nic__tx_slot(nic);
	ASSERT_NE(NULL, s);
	hdr_udp(s, &self->ne, 5008, PEER_PORT, 1200);
	ASSERT_EQ(0, exo_nic__tx_commit_ext(nic, 42, EXO_NIC_TX_CSUM, 0, fr,
					    4));
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, IORING_SETUP_SQE128));
	ASSERT_EQ(0, exo_nic__prep_tx(io_uring_get_sqe(&ring), nic));
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	EXPECT_EQ(1, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	ASSERT_EQ(0, peer_recv_pat(self->peer, 1200, 40, WAIT_MS));
	ASSERT_TRUE(NETENV_WAIT_FOR(exo_nic__tx_done(nic) ==
				    exo_nic__tx_index(nic), WAIT_MS));
	io_uring_queue_exit(&ring);
	exo_nic__free(nic);
}

TX_TEST(plain_binding_ignores_descriptor_extensions)
{
	struct exo_nic_bind nb = { .size = sizeof(nb), .flags = 1U << 5 };
	struct exo_nic_desc *d;
	struct exo_nic *nic;
	exo_cap_t flow;
	unsigned char *s;
	char buf[64];
	int n;

	/* Unknown bind flags: EINVAL, as an old kernel answers offloads. */
	nic = nictest_bind(self->fd, IPPROTO_UDP, 5009, 1, 1, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));
	nb.flow = flow;
	ASSERT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_BIND, &nb));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-EOPNOTSUPP, exo_nic__tx_commit_ext(nic, 60, 0, 0, NULL, 0));

	/* What an old binary may leave in a descriptor changes nothing. */
	s = exo_nic__tx_slot(nic);
	ASSERT_NE(NULL, s);
	n = netenv_udp_frame(s, EXO_NIC_MAX_LEN, self->ne.mac,
			     self->ne.peer_mac, self->ne.addr,
			     self->ne.peer_addr, 5009, PEER_PORT, "old", 3);
	ASSERT_LT(0, n);
	exo_nic__tx_commit(nic, n);
	d = (void *)(s - EXO_NIC_DATA_OFF);
	d->flags = 0xffff;
	d->__reserved = 0xffffffff;
	ASSERT_EQ(1, exo_nic__tx_kick(nic, NULL));
	ASSERT_EQ(3, netenv_recv(self->peer, buf, sizeof(buf), WAIT_MS));
	ASSERT_EQ(0, memcmp(buf, "old", 3));
	/* tx_done follows tx_tail on a plain binding. */
	ASSERT_EQ(exo_nic__tx_index(nic), exo_nic__tx_done(nic));
	exo_nic__free(nic);
}

TEST_HARNESS_MAIN
