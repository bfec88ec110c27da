// SPDX-License-Identifier: GPL-2.0
/*
 * NIC bindings: the packets of a bound flow reach its receive ring and
 * every other packet reaches Linux; packet filters (eBPF filter_drop, a
 * classic filter installed by an unprivileged env); application-specific
 * handlers (ash_echo answering ICMP and UDP in the kernel, without waking
 * the libOS); transmit checks (spoofed MAC, address or port; bad lengths);
 * ring-full drops; out-of-range ring indices; two envs on two flows.
 *
 * Every test runs on a veth pair of its own (netenv.h): exo0 10.99.0.1 in
 * the test's network namespace, attached to exo; exo1 10.99.0.2 in a peer
 * namespace, where ordinary sockets send and receive.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/icmp.h>
#include <bpf/bpf.h>

#include "kselftest_harness.h"
#include "exo_test.h"
#include "netenv.h"

EXO_REQUIRE_DEVICE

#define WAIT_MS		10000	/* bound for asynchronous delivery (TCG) */
#define PEER_PORT	6000

static const struct exo_agent_creds nobody = {
	.uid = EXO_NOBODY_UID, .gid = EXO_NOBODY_GID, .ngroups = 0,
};

FIXTURE(nic) {
	struct netenv ne;
	int fd;
	int peer;		/* UDP socket of the peer, 10.99.0.2:PEER_PORT */
	struct exo_agent a;
};

FIXTURE_SETUP(nic)
{
	self->fd = -1;
	self->peer = -1;
	self->a.pid = -1;
	ASSERT_EQ(0, netenv_setup(&self->ne));
	self->fd = exo_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, exo_nic_attach(self->fd, NETENV_DEV));
	self->peer = netenv_udp_socket(&self->ne, 1, NETENV_PEER_ADDR,
				       PEER_PORT);
	ASSERT_LE(0, self->peer);
}

FIXTURE_TEARDOWN(nic)
{
	if (self->a.pid > 0)
		exo_agent_kill(&self->a);
	nictest_teardown(&self->ne, self->fd, self->peer);
}

#define NIC_TEST(name) TEST_F_TIMEOUT(nic, name, 180)

/* Peer -> NETENV_ADDR:@port, payload @s. */
static int peer_send(int peer, __u16 port, const char *s)
{
	return netenv_udp_send(peer, NETENV_ADDR, port, s, strlen(s));
}

/*
 * Queue one UDP frame in @nic's next transmit slot (not kicked): from
 * @smac, @saddr:@sport to the peer's MAC and 10.99.0.2:@dport.
 */
static int queue_udp(struct exo_nic *nic, const struct netenv *ne,
		     const __u8 *smac, __be32 saddr, __u16 sport, __u16 dport,
		     const char *payload)
{
	void *slot = exo_nic__tx_slot(nic);
	int len;

	if (!slot)
		return -errno;
	len = netenv_udp_frame(slot, EXO_NIC_MAX_LEN, smac, ne->peer_mac,
			       saddr, ne->peer_addr, sport, dport, payload,
			       strlen(payload));
	if (len < 0)
		return len;
	exo_nic__tx_commit(nic, len);
	return 0;
}

/* Receive one datagram on the peer socket into @buf as a string. */
static int peer_recv_str(int fd, char *buf, size_t len, int ms)
{
	int n = netenv_recv(fd, buf, len - 1, ms);

	buf[n > 0 ? n : 0] = '\0';
	return n;
}

NIC_TEST(bound_flow_to_ring_rest_to_linux)
{
	struct exo_nic_counters c;
	struct exo_nic_ring *r;
	struct exo_nic_pkt pkt;
	struct netenv_udp u;
	char buf[256];
	struct exo_nic *nic;
	exo_cap_t flow;
	__u64 t0;
	int lin, i;

	nic = nictest_bind(self->fd, IPPROTO_UDP, 5000, 2, 1, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));
	r = exo_nic__ring(nic);
	/* The geometry the kernel wrote at bind. */
	EXPECT_EQ(4, r->rx_slots);
	EXPECT_EQ(2, r->tx_slots);
	EXPECT_EQ(EXO_NIC_SLOT_SIZE, r->slot_size);
	EXPECT_EQ(EXO_NIC_DATA_OFF, r->data_off);
	EXPECT_EQ(self->ne.ifindex, r->ifindex);
	EXPECT_EQ(IPPROTO_UDP, r->proto);
	EXPECT_EQ(self->ne.addr, r->laddr);
	EXPECT_EQ(5000, r->lport);
	EXPECT_EQ(0, r->raddr);
	EXPECT_EQ(0, r->rport);
	EXPECT_EQ(0, memcmp(r->mac, self->ne.mac, 6));
	EXPECT_EQ(1500, r->mtu);
	EXPECT_EQ(0, r->rx_head);
	EXPECT_EQ(0, r->tx_tail);

	/* A Linux socket on another port of the same address. */
	lin = netenv_udp_socket(&self->ne, 0, NETENV_ADDR, 5001);
	ASSERT_LE(0, lin);

	t0 = exo_now_ns();
	ASSERT_EQ(0, peer_send(self->peer, 5000, "to-ring"));
	ASSERT_EQ(0, peer_send(self->peer, 5001, "to-linux"));
	ASSERT_EQ(8, peer_recv_str(lin, buf, sizeof(buf), WAIT_MS));
	EXPECT_STREQ("to-linux", buf);
	ASSERT_TRUE(NETENV_WAIT_FOR(exo_nic__rx_pending(nic) >= 1, WAIT_MS));

	ASSERT_EQ(1, exo_nic__rx_burst(nic, &pkt, 1));
	ASSERT_EQ(0, netenv_parse_udp(pkt.data, pkt.len, &u));
	EXPECT_EQ(14 + 20 + 8 + 7, pkt.len);
	EXPECT_EQ(0, memcmp(u.dmac, self->ne.mac, 6));
	EXPECT_EQ(0, memcmp(u.smac, self->ne.peer_mac, 6));
	EXPECT_EQ(self->ne.peer_addr, u.saddr);
	EXPECT_EQ(self->ne.addr, u.daddr);
	EXPECT_EQ(PEER_PORT, u.sport);
	EXPECT_EQ(5000, u.dport);
	ASSERT_EQ(7, u.plen);
	EXPECT_EQ(0, memcmp(u.payload, "to-ring", 7));
	/* As on the wire: checksums complete, even if the sender offloaded. */
	EXPECT_EQ(0, netenv_udp_csum_check(pkt.data, pkt.len));
	EXPECT_EQ(0, pkt.flags);	/* no filter */
	EXPECT_LE(t0, pkt.tstamp_ns);
	EXPECT_GE(exo_now_ns(), pkt.tstamp_ns);
	exo_nic__rx_release(nic, 1);
	EXPECT_EQ(0, exo_nic__rx_pending(nic));
	EXPECT_EQ(1, r->rx_head);
	EXPECT_EQ(1, r->rx_tail);

	/* Linux got only its own datagram. */
	EXPECT_EQ(-EAGAIN, netenv_recv(lin, buf, sizeof(buf), 0));

	ASSERT_EQ(0, exo_nic__stat(nic, &c));
	EXPECT_EQ(1, c.rx_packets);
	EXPECT_EQ(14 + 20 + 8 + 7, c.rx_bytes);
	EXPECT_EQ(0, c.rx_ring_full);
	EXPECT_EQ(0, c.filter_runs);
	/* The ring header shows the same counters. */
	EXPECT_EQ(1, r->c.rx_packets);

	/* ICMP is not the flow's: Linux answers the peer's pings. */
	for (i = 1; i <= 3; i++)
		EXPECT_EQ(0, netenv_ping(&self->ne, NETENV_ADDR, 0x4242, i, 56,
					 WAIT_MS)) TH_LOG("ping %d", i);
	ASSERT_EQ(0, exo_nic__stat(nic, &c));
	EXPECT_EQ(1, c.rx_packets);

	/* More of the flow's packets keep coming to the ring, in order. */
	ASSERT_EQ(0, peer_send(self->peer, 5000, "a"));
	ASSERT_EQ(0, peer_send(self->peer, 5000, "b"));
	ASSERT_EQ(0, peer_send(self->peer, 5000, "c"));
	ASSERT_TRUE(NETENV_WAIT_FOR(exo_nic__rx_pending(nic) >= 3, WAIT_MS));
	EXPECT_EQ(3, nictest_rx_payloads(nic, buf, sizeof(buf)));
	EXPECT_STREQ("a,b,c", buf);
	exo_nic__rx_release(nic, 3);
	EXPECT_EQ(-EAGAIN, netenv_recv(lin, buf, sizeof(buf), 0));

	close(lin);
	exo_nic__free(nic);
	EXPECT_EQ(0, exo_cap_close(self->fd, flow));
}

NIC_TEST(filter_drop_ebpf)
{
	struct exo_nic_counters c;
	struct exo_nic_pkt pkts[8];
	struct exo_nic *nic;
	char buf[256];
	exo_cap_t flow;
	__u32 magic;
	int prog, i, n;

	nic = nictest_bind(self->fd, IPPROTO_UDP, 5010, 4, 1, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));
	memcpy(&magic, "DROP", 4);
	prog = exo_bpf_filter_drop(magic);
	ASSERT_LE(0, prog) TH_LOG("exo_bpf_filter_drop: %s", strerror(-prog));
	ASSERT_EQ(0, exo_nic__filter_ebpf(nic, prog));

	ASSERT_EQ(0, peer_send(self->peer, 5010, "DROP-1"));
	ASSERT_EQ(0, peer_send(self->peer, 5010, "keep-1"));
	ASSERT_EQ(0, peer_send(self->peer, 5010, "DROP-2"));
	ASSERT_EQ(0, peer_send(self->peer, 5010, "DROP-3"));
	ASSERT_EQ(0, peer_send(self->peer, 5010, "keep-2"));
	ASSERT_EQ(0, peer_send(self->peer, 5010, "DRO"));	/* too short */
	ASSERT_TRUE(NETENV_WAIT_FOR(nictest_stat(nic).filter_runs >= 6,
				    WAIT_MS));
	c = nictest_stat(nic);
	EXPECT_EQ(6, c.filter_runs);
	EXPECT_EQ(3, c.filter_drops);
	EXPECT_EQ(0, c.filter_aborts);
	EXPECT_EQ(3, c.rx_packets);
	EXPECT_EQ(0, c.rx_ring_full);
	EXPECT_EQ(3, nictest_rx_payloads(nic, buf, sizeof(buf)));
	EXPECT_STREQ("keep-1,keep-2,DRO", buf);
	n = exo_nic__rx_burst(nic, pkts, 8);
	for (i = 0; i < n; i++)
		EXPECT_EQ(EXO_NIC_DESC_FILTERED, pkts[i].flags);
	exo_nic__rx_release(nic, n);

	/* Without the filter the magic goes through. */
	ASSERT_EQ(0, exo_nic__filter_clear(nic));
	ASSERT_EQ(0, peer_send(self->peer, 5010, "DROP-4"));
	ASSERT_TRUE(NETENV_WAIT_FOR(exo_nic__rx_pending(nic) >= 1, WAIT_MS));
	EXPECT_EQ(1, nictest_rx_payloads(nic, buf, sizeof(buf)));
	EXPECT_STREQ("DROP-4", buf);
	ASSERT_EQ(1, exo_nic__rx_burst(nic, pkts, 1));
	EXPECT_EQ(0, pkts[0].flags);
	exo_nic__rx_release(nic, 1);
	c = nictest_stat(nic);
	EXPECT_EQ(6, c.filter_runs);
	EXPECT_EQ(3, c.filter_drops);
	EXPECT_EQ(4, c.rx_packets);

	close(prog);
	exo_nic__free(nic);
}

static __u32 prog_id(int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* Is the program with this id gone from the kernel? */
static int prog_gone(__u32 id)
{
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd >= 0)
		close(fd);
	return fd < 0 && errno == ENOENT;
}

/*
 * A second filter replaces the first at once (the first one's packets are
 * not filtered by it any more), and the kernel lets go of the first
 * program: replaced, then cleared, each is freed.
 */
NIC_TEST(filter_replace_ebpf)
{
	struct exo_nic_counters c;
	struct exo_nic *nic;
	char buf[256];
	exo_cap_t flow;
	__u32 magic, id_a, id_b;
	int a, b;

	nic = nictest_bind(self->fd, IPPROTO_UDP, 5011, 4, 1, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));
	memcpy(&magic, "DROP", 4);
	a = exo_bpf_filter_drop(magic);
	memcpy(&magic, "KEEP", 4);
	b = exo_bpf_filter_drop(magic);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	id_a = prog_id(a);
	id_b = prog_id(b);
	ASSERT_NE(0, id_a);
	ASSERT_NE(0, id_b);

	ASSERT_EQ(0, exo_nic__filter_ebpf(nic, a));
	ASSERT_EQ(0, exo_nic__filter_ebpf(nic, b));
	close(a);
	ASSERT_TRUE(NETENV_WAIT_FOR(prog_gone(id_a), WAIT_MS))
		TH_LOG("the replaced filter's program is still loaded");

	ASSERT_EQ(0, peer_send(self->peer, 5011, "DROP-1"));
	ASSERT_EQ(0, peer_send(self->peer, 5011, "KEEP-1"));
	ASSERT_TRUE(NETENV_WAIT_FOR(nictest_stat(nic).filter_runs >= 2,
				    WAIT_MS));
	c = nictest_stat(nic);
	EXPECT_EQ(2, c.filter_runs);
	EXPECT_EQ(1, c.filter_drops);
	EXPECT_EQ(1, nictest_rx_payloads(nic, buf, sizeof(buf)));
	EXPECT_STREQ("DROP-1", buf);

	/* Cleared: the second program goes too, once its fd is closed. */
	ASSERT_EQ(0, exo_nic__filter_clear(nic));
	close(b);
	ASSERT_TRUE(NETENV_WAIT_FOR(prog_gone(id_b), WAIT_MS))
		TH_LOG("the cleared filter's program is still loaded");
	exo_nic__free(nic);
	EXPECT_EQ(0, exo_cap_close(self->fd, flow));
}

/* ---- the same, installed by an unprivileged env (an agent as nobody) --- */

static struct exo_nic *agent_nic;	/* in the agent process */

/* "PROTO PORT": mint NETENV_ADDR:PORT and bind it (1 + 1 frames). */
static int ag_bind(int fd, const char *arg, char *out, size_t len)
{
	unsigned int proto, port;
	exo_cap_t flow;

	if (sscanf(arg, "%u %u", &proto, &port) != 2)
		return -EINVAL;
	agent_nic = nictest_bind(fd, proto, port, 1, 1, &flow);
	snprintf(out, len, "%llx", (unsigned long long)flow);
	return agent_nic ? 0 : -errno;
}

/*
 * Drop what has IP TOS 0x28 (a byte of the IP header) or a payload
 * starting with 'X' (a byte of the UDP payload, IHL 5); accept the rest.
 */
static int ag_classic(int fd, const char *arg, char *out, size_t len)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 1),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x28, 3, 0),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20 + 8),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 'X', 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};

	return exo_nic__filter_classic(agent_nic, insns, ARRAY_SIZE(insns));
}

/* "runs drops rx_packets|payloads" of the agent's binding. */
static int ag_rx(int fd, const char *arg, char *out, size_t len)
{
	struct exo_nic_counters c = nictest_stat(agent_nic);
	char p[160];

	nictest_rx_payloads(agent_nic, p, sizeof(p));
	snprintf(out, len, "%llu %llu %llu|%s",
		 (unsigned long long)c.filter_runs,
		 (unsigned long long)c.filter_drops,
		 (unsigned long long)c.rx_packets, p);
	return 0;
}

/* Load filter_drop; then ash_echo. */
static int ag_load_ebpf(int fd, const char *arg, char *out, size_t len)
{
	int a = exo_bpf_filter_drop(0x12345678);
	int b = exo_bpf_ash_echo();

	snprintf(out, len, "%d", b);
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	return a;
}

static unsigned long long agent_runs(struct exo_agent *a)
{
	char out[200];

	if (exo_agent_run(a, ag_rx, "", out, sizeof(out)))
		return 0;
	return strtoull(out, NULL, 10);
}

NIC_TEST(filter_classic_unprivileged)
{
	unsigned long long runs, drops, rx;
	char out[200], *bar;
	int tos = 0x28, peer2;

	ASSERT_EQ(0, exo_agent_start(&self->a, &nobody));
	ASSERT_EQ(0, exo_agent_open(&self->a));
	ASSERT_EQ(0, exo_agent_run(&self->a, ag_bind, "17 5020", out,
				   sizeof(out)));
	ASSERT_EQ(0, exo_agent_run(&self->a, ag_classic, "", NULL, 0));

	peer2 = netenv_udp_socket(&self->ne, 1, NETENV_PEER_ADDR, 6001);
	ASSERT_LE(0, peer2);
	ASSERT_EQ(0, setsockopt(peer2, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)));
	ASSERT_EQ(0, peer_send(self->peer, 5020, "Xdrop"));
	ASSERT_EQ(0, peer_send(self->peer, 5020, "ok-1"));
	ASSERT_EQ(0, peer_send(peer2, 5020, "tos-drop"));
	ASSERT_EQ(0, peer_send(self->peer, 5020, "ok-2X"));
	ASSERT_TRUE(NETENV_WAIT_FOR(agent_runs(&self->a) >= 4, WAIT_MS));

	ASSERT_EQ(0, exo_agent_run(&self->a, ag_rx, "", out, sizeof(out)));
	ASSERT_EQ(3, sscanf(out, "%llu %llu %llu", &runs, &drops, &rx)) TH_LOG("%s", out);
	EXPECT_EQ(4, runs);
	EXPECT_EQ(2, drops);
	EXPECT_EQ(2, rx);
	bar = strchr(out, '|');
	ASSERT_NE(NULL, bar);
	EXPECT_STREQ("ok-1,ok-2X", bar + 1);
	close(peer2);
}

NIC_TEST(ebpf_load_unprivileged_eperm)
{
	char out[200];

	/* Root may load it (the other tests do), nobody may not. */
	ASSERT_EQ(0, exo_agent_start(&self->a, &nobody));
	ASSERT_EQ(0, exo_agent_open(&self->a));
	EXPECT_EQ(-EPERM, exo_agent_run(&self->a, ag_load_ebpf, "", out,
					sizeof(out)));
	EXPECT_EQ(-EPERM, atoi(out)) TH_LOG("ash_echo: %s", out);
}

/* ---- application-specific handlers ---------------------------------------- */

NIC_TEST(ash_echo_icmp_without_wakeup)
{
	struct nictest_waiter w = { .fd = self->fd };
	struct exo_nic_counters c;
	struct exo_nic *nic;
	exo_cap_t flow;
	int prog, i;

	/* A port-less ICMP flow: root only. */
	nic = nictest_bind(self->fd, IPPROTO_ICMP, 0, 2, 1, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));

	/* Bound without a handler: the request lands in the ring, no reply. */
	EXPECT_EQ(-ETIMEDOUT, netenv_ping(&self->ne, NETENV_ADDR, 7, 1, 16,
					  1500));
	ASSERT_TRUE(NETENV_WAIT_FOR(exo_nic__rx_pending(nic) >= 1, WAIT_MS));
	exo_nic__rx_release(nic, exo_nic__rx_pending(nic));
	c = nictest_stat(nic);
	EXPECT_EQ(1, c.rx_packets);

	prog = exo_bpf_ash_echo();
	ASSERT_LE(0, prog) TH_LOG("exo_bpf_ash_echo: %s", strerror(-prog));
	ASSERT_EQ(0, exo_nic__filter_ebpf(nic, prog));

	/* A task of the libOS sleeps on any event of this env. */
	w.opts.prog_fd = -1;
	w.opts.nic = nic;
	ASSERT_EQ(0, nictest_waiter_start(&w)) TH_LOG("waiter ret %d", w.ret);

	for (i = 1; i <= 5; i++)
		EXPECT_EQ(0, netenv_ping(&self->ne, NETENV_ADDR, 7, 10 + i,
					 56, WAIT_MS)) TH_LOG("ping %d", i);
	c = nictest_stat(nic);
	EXPECT_EQ(5, c.ash_tx);
	EXPECT_EQ(0, c.ash_drops);
	EXPECT_EQ(1, c.rx_packets);	/* the one before the handler */
	EXPECT_EQ(5, c.filter_runs);
	EXPECT_EQ(0, c.wakeups);
	EXPECT_EQ(0, exo_nic__rx_pending(nic));
	/* Not woken: still asleep in the same call. */
	EXPECT_FALSE(nictest_waiter_done(&w));
	EXPECT_TRUE(nictest_blocked_in_ioctl(w.tid));

	/* ICMP the handler does not answer goes to the ring and wakes it. */
	ASSERT_EQ(0, netenv_icmp_send(&self->ne, NETENV_ADDR, ICMP_TIMESTAMP,
				      7, 99));
	ASSERT_EQ(0, nictest_waiter_join(&w, WAIT_MS));
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(EXO_WAKE_RX, w.reason);
	EXPECT_EQ(2, w.evals);	/* the start, then that packet */
	c = nictest_stat(nic);
	EXPECT_EQ(1, c.wakeups);
	EXPECT_EQ(2, c.rx_packets);
	EXPECT_EQ(5, c.ash_tx);
	EXPECT_EQ(1, exo_nic__rx_pending(nic));

	close(prog);
	exo_nic__free(nic);
}

NIC_TEST(ash_echo_udp)
{
	struct exo_nic_counters c;
	__be32 from_addr = 0;
	__u16 from_port = 0;
	struct exo_nic *nic;
	char buf[256];
	exo_cap_t flow;
	int prog, n;

	nic = nictest_bind(self->fd, IPPROTO_UDP, 5030, 2, 1, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));
	prog = exo_bpf_ash_echo();
	ASSERT_LE(0, prog) TH_LOG("exo_bpf_ash_echo: %s", strerror(-prog));
	ASSERT_EQ(0, exo_nic__filter_ebpf(nic, prog));

	ASSERT_EQ(0, peer_send(self->peer, 5030, "ECHO hello"));
	n = netenv_recv_from(self->peer, buf, sizeof(buf) - 1, WAIT_MS,
			     &from_addr, &from_port);
	ASSERT_EQ(10, n);
	buf[n] = '\0';
	EXPECT_STREQ("ECHO hello", buf);
	EXPECT_EQ(self->ne.addr, from_addr);
	EXPECT_EQ(5030, from_port);

	ASSERT_EQ(0, peer_send(self->peer, 5030, "plain"));
	ASSERT_TRUE(NETENV_WAIT_FOR(exo_nic__rx_pending(nic) >= 1, WAIT_MS));
	EXPECT_EQ(1, nictest_rx_payloads(nic, buf, sizeof(buf)));
	EXPECT_STREQ("plain", buf);
	c = nictest_stat(nic);
	EXPECT_EQ(1, c.ash_tx);
	EXPECT_EQ(1, c.rx_packets);
	EXPECT_EQ(2, c.filter_runs);
	/* The handler's reply was the only thing the peer got. */
	EXPECT_EQ(-EAGAIN, netenv_recv(self->peer, buf, sizeof(buf), 0));

	close(prog);
	exo_nic__free(nic);
}

/* ---- transmit checks ------------------------------------------------------- */

NIC_TEST(tx_spoofed_rejected)
{
	__be32 other = netenv_addr(NETENV_OTHER_ADDR);
	struct exo_nic_counters c;
	struct exo_nic *nic;
	unsigned int dropped = 99;
	__u8 bad_mac[6];
	char buf[256];
	exo_cap_t flow;

	nic = nictest_bind(self->fd, IPPROTO_UDP, 5040, 1, 2, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));
	memcpy(bad_mac, self->ne.mac, 6);
	bad_mac[5] ^= 0x01;

	/* Wrong source IP, port, MAC: each dropped, counted, not sent. */
	ASSERT_EQ(0, queue_udp(nic, &self->ne, self->ne.mac, other, 5040,
			       PEER_PORT, "bad-ip"));
	EXPECT_EQ(0, exo_nic__tx_kick(nic, &dropped));
	EXPECT_EQ(1, dropped);
	ASSERT_EQ(0, queue_udp(nic, &self->ne, self->ne.mac, self->ne.addr,
			       5041, PEER_PORT, "bad-port"));
	EXPECT_EQ(0, exo_nic__tx_kick(nic, &dropped));
	EXPECT_EQ(1, dropped);
	ASSERT_EQ(0, queue_udp(nic, &self->ne, bad_mac, self->ne.addr, 5040,
			       PEER_PORT, "bad-mac"));
	EXPECT_EQ(0, exo_nic__tx_kick(nic, &dropped));
	EXPECT_EQ(1, dropped);
	c = nictest_stat(nic);
	EXPECT_EQ(3, c.tx_spoofed);
	EXPECT_EQ(0, c.tx_packets);

	/* A good one goes out; the peer's socket gets it and nothing else. */
	ASSERT_EQ(0, queue_udp(nic, &self->ne, self->ne.mac, self->ne.addr,
			       5040, PEER_PORT, "good"));
	EXPECT_EQ(1, exo_nic__tx_kick(nic, &dropped));
	EXPECT_EQ(0, dropped);
	ASSERT_EQ(4, peer_recv_str(self->peer, buf, sizeof(buf), WAIT_MS));
	EXPECT_STREQ("good", buf);
	EXPECT_EQ(-EAGAIN, netenv_recv(self->peer, buf, sizeof(buf), 0));

	/* Several in one batch: only the good ones go, in order. */
	ASSERT_EQ(0, queue_udp(nic, &self->ne, self->ne.mac, self->ne.addr,
			       5040, PEER_PORT, "good-2"));
	ASSERT_EQ(0, queue_udp(nic, &self->ne, bad_mac, other, 7, PEER_PORT,
			       "bad-all"));
	ASSERT_EQ(0, queue_udp(nic, &self->ne, self->ne.mac, self->ne.addr,
			       5040, PEER_PORT, "good-3"));
	EXPECT_EQ(2, exo_nic__tx_kick(nic, &dropped));
	EXPECT_EQ(1, dropped);
	ASSERT_EQ(6, peer_recv_str(self->peer, buf, sizeof(buf), WAIT_MS));
	EXPECT_STREQ("good-2", buf);
	ASSERT_EQ(6, peer_recv_str(self->peer, buf, sizeof(buf), WAIT_MS));
	EXPECT_STREQ("good-3", buf);
	EXPECT_EQ(-EAGAIN, netenv_recv(self->peer, buf, sizeof(buf), 0));

	c = nictest_stat(nic);
	EXPECT_EQ(4, c.tx_spoofed);
	EXPECT_EQ(3, c.tx_packets);
	EXPECT_EQ(0, c.tx_bad_len);
	EXPECT_EQ(0, c.tx_errors);
	EXPECT_EQ(7, exo_nic__ring(nic)->tx_tail);	/* every slot consumed */
	exo_nic__free(nic);
}

/* NIC_TX on @flow directly: sent, or -errno. */
static int kick_with(int fd, exo_cap_t flow)
{
	struct exo_nic_tx arg = { .size = sizeof(arg), .flow = flow };

	return ioctl(fd, EXO_IOC_NIC_TX, &arg) ? -errno : (int)arg.sent;
}

/*
 * A kick names its binding by the flow capability it was bound through
 * (found without exo_lock) or by another capability of the flow (found
 * under it): the same answers either way.  A binding made through a
 * read-only capability cannot transmit through it, but can through a
 * writable capability of the same flow; once that capability is closed
 * its handle is stale, also after a new flow's capability may have taken
 * its slot, whose binding answers to its own handle.
 */
NIC_TEST(tx_lookup_by_bound_capability)
{
	struct exo_nic_counters c;
	struct exo_nic *nic, *nic2;
	exo_cap_t flow, ro, flow2;
	char buf[256];

	ASSERT_EQ(0, exo_flow_alloc(self->fd, NETENV_DEV, IPPROTO_UDP,
				     NETENV_ADDR, 5060, NULL, 0, &flow));
	ASSERT_EQ(0, exo_cap_derive(self->fd, flow, EXO_RIGHT_READ, &ro));
	nic = exo_nic__bind(self->fd, ro, 1, 2);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));

	/* Through the read-only capability bound through: EACCES, twice. */
	ASSERT_EQ(0, queue_udp(nic, &self->ne, self->ne.mac, self->ne.addr,
			       5060, PEER_PORT, "ro"));
	EXPECT_EQ(-EACCES, exo_nic__tx_kick(nic, NULL));
	EXPECT_EQ(-EACCES, kick_with(self->fd, ro));
	EXPECT_EQ(-EAGAIN, netenv_recv(self->peer, buf, sizeof(buf), 0));
	/* Its counters need no right. */
	EXPECT_EQ(0, exo_nic__stat(nic, &c));
	EXPECT_EQ(0, c.tx_packets);
	/* The root capability of the flow sends what was queued. */
	EXPECT_EQ(1, kick_with(self->fd, flow));
	ASSERT_EQ(2, peer_recv_str(self->peer, buf, sizeof(buf), WAIT_MS));
	EXPECT_STREQ("ro", buf);
	/* A handle of another generation, or past the table: nothing. */
	EXPECT_EQ(-EBADF, kick_with(self->fd, ro + (1ULL << 32)));
	EXPECT_EQ(-EBADF, kick_with(self->fd, (ro & ~0xffffffffULL) | 0xfffff));

	/* Closing the capability bound through unbinds. */
	ASSERT_EQ(0, exo_cap_close(self->fd, ro));
	EXPECT_EQ(-ESTALE, kick_with(self->fd, ro));
	EXPECT_EQ(-ENOTCONN, kick_with(self->fd, flow));
	exo_nic__free(nic);

	/* A new flow's capability in the freed slot: only its own handle. */
	ASSERT_EQ(0, exo_flow_alloc(self->fd, NETENV_DEV, IPPROTO_UDP,
				     NETENV_ADDR, 5061, NULL, 0, &flow2));
	nic2 = exo_nic__bind(self->fd, flow2, 1, 2);
	ASSERT_NE(NULL, nic2) TH_LOG("bind: %s", strerror(errno));
	EXPECT_EQ(-ESTALE, kick_with(self->fd, ro));
	ASSERT_EQ(0, queue_udp(nic2, &self->ne, self->ne.mac, self->ne.addr,
			       5061, PEER_PORT, "new"));
	EXPECT_EQ(1, exo_nic__tx_kick(nic2, NULL));
	ASSERT_EQ(3, peer_recv_str(self->peer, buf, sizeof(buf), WAIT_MS));
	EXPECT_STREQ("new", buf);
	exo_nic__free(nic2);
	EXPECT_EQ(-ENOTCONN, kick_with(self->fd, flow2));
}

NIC_TEST(tx_connected_flow_checks)
{
	struct exo_nic_counters c;
	struct exo_nic *nic;
	unsigned int dropped;
	exo_cap_t flow;
	char buf[64];
	int peer2;

	/* A flow that talks only to 10.99.0.2:6000. */
	ASSERT_EQ(0, exo_flow_alloc(self->fd, NETENV_DEV, IPPROTO_UDP,
				    NETENV_ADDR, 5050, NETENV_PEER_ADDR,
				    PEER_PORT, &flow));
	nic = exo_nic__bind(self->fd, flow, 1, 1);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));
	EXPECT_EQ(self->ne.peer_addr, exo_nic__ring(nic)->raddr);
	EXPECT_EQ(PEER_PORT, exo_nic__ring(nic)->rport);
	peer2 = netenv_udp_socket(&self->ne, 1, NETENV_PEER_ADDR, 6001);
	ASSERT_LE(0, peer2);

	ASSERT_EQ(0, queue_udp(nic, &self->ne, self->ne.mac, self->ne.addr,
			       5050, 6001, "wrong-rport"));
	EXPECT_EQ(0, exo_nic__tx_kick(nic, &dropped));
	EXPECT_EQ(1, dropped);
	ASSERT_EQ(0, queue_udp(nic, &self->ne, self->ne.mac, self->ne.addr,
			       5050, PEER_PORT, "right"));
	EXPECT_EQ(1, exo_nic__tx_kick(nic, &dropped));
	ASSERT_EQ(5, peer_recv_str(self->peer, buf, sizeof(buf), WAIT_MS));
	EXPECT_STREQ("right", buf);
	EXPECT_EQ(-EAGAIN, netenv_recv(peer2, buf, sizeof(buf), 0));

	/* Received: only from the remote pair. */
	ASSERT_EQ(0, peer_send(self->peer, 5050, "from-6000"));
	ASSERT_TRUE(NETENV_WAIT_FOR(exo_nic__rx_pending(nic) >= 1, WAIT_MS));
	ASSERT_EQ(0, peer_send(peer2, 5050, "from-6001"));
	ASSERT_EQ(0, peer_send(self->peer, 5050, "from-6000b"));
	ASSERT_TRUE(NETENV_WAIT_FOR(exo_nic__rx_pending(nic) >= 2, WAIT_MS));
	EXPECT_EQ(2, nictest_rx_payloads(nic, buf, sizeof(buf)));
	EXPECT_STREQ("from-6000,from-6000b", buf);

	c = nictest_stat(nic);
	EXPECT_EQ(1, c.tx_spoofed);
	EXPECT_EQ(1, c.tx_packets);
	EXPECT_EQ(2, c.rx_packets);
	close(peer2);
	exo_nic__free(nic);
}

NIC_TEST(tx_bad_len_counted)
{
	struct exo_nic_counters c;
	struct exo_nic *nic;
	unsigned int dropped = 0;
	exo_cap_t flow;
	char buf[64];
	void *slot;
	int len;

	nic = nictest_bind(self->fd, IPPROTO_UDP, 5060, 1, 4, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));

	/* A good frame in each slot; the descriptor says otherwise. */
	slot = exo_nic__tx_slot(nic);
	ASSERT_NE(NULL, slot);
	len = netenv_udp_frame(slot, EXO_NIC_MAX_LEN, self->ne.mac,
			       self->ne.peer_mac, self->ne.addr,
			       self->ne.peer_addr, 5060, PEER_PORT, "len0", 4);
	ASSERT_LT(0, len);
	exo_nic__tx_commit(nic, 0);
	slot = exo_nic__tx_slot(nic);
	ASSERT_NE(NULL, slot);
	len = netenv_udp_frame(slot, EXO_NIC_MAX_LEN, self->ne.mac,
			       self->ne.peer_mac, self->ne.addr,
			       self->ne.peer_addr, 5060, PEER_PORT, "long", 4);
	exo_nic__tx_commit(nic, EXO_NIC_MAX_LEN + 1);
	slot = exo_nic__tx_slot(nic);
	ASSERT_NE(NULL, slot);
	len = netenv_udp_frame(slot, EXO_NIC_MAX_LEN, self->ne.mac,
			       self->ne.peer_mac, self->ne.addr,
			       self->ne.peer_addr, 5060, PEER_PORT, "short", 5);
	exo_nic__tx_commit(nic, EXO_NIC_MIN_LEN - 1);
	/* Shorter than its IP header says. */
	slot = exo_nic__tx_slot(nic);
	ASSERT_NE(NULL, slot);
	len = netenv_udp_frame(slot, EXO_NIC_MAX_LEN, self->ne.mac,
			       self->ne.peer_mac, self->ne.addr,
			       self->ne.peer_addr, 5060, PEER_PORT,
			       "truncated", 9);
	exo_nic__tx_commit(nic, len - 4);
	EXPECT_EQ(0, exo_nic__tx_kick(nic, &dropped));
	EXPECT_EQ(4, dropped);
	c = nictest_stat(nic);
	EXPECT_EQ(4, c.tx_bad_len);
	EXPECT_EQ(0, c.tx_spoofed);
	EXPECT_EQ(0, c.tx_packets);

	/* The ring goes on working. */
	ASSERT_EQ(0, queue_udp(nic, &self->ne, self->ne.mac, self->ne.addr,
			       5060, PEER_PORT, "fine"));
	EXPECT_EQ(1, exo_nic__tx_kick(nic, &dropped));
	EXPECT_EQ(0, dropped);
	ASSERT_EQ(4, peer_recv_str(self->peer, buf, sizeof(buf), WAIT_MS));
	EXPECT_STREQ("fine", buf);
	EXPECT_EQ(-EAGAIN, netenv_recv(self->peer, buf, sizeof(buf), 0));
	c = nictest_stat(nic);
	EXPECT_EQ(1, c.tx_packets);
	EXPECT_EQ(4, c.tx_bad_len);
	exo_nic__free(nic);
}

/* ---- receive ring limits and indices --------------------------------------- */

NIC_TEST(rx_ring_full_counted)
{
	struct exo_nic_counters c;
	struct exo_nic *nic;
	exo_cap_t flow;
	char buf[256], p[8];
	int i;

	/* One receive frame: two slots. */
	nic = nictest_bind(self->fd, IPPROTO_UDP, 5070, 1, 1, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(2, exo_nic__ring(nic)->rx_slots);
	for (i = 0; i < 10; i++) {
		snprintf(p, sizeof(p), "p%d", i);
		ASSERT_EQ(0, peer_send(self->peer, 5070, p));
	}
	ASSERT_TRUE(NETENV_WAIT_FOR(nictest_stat(nic).rx_packets +
				    nictest_stat(nic).rx_ring_full >= 10,
				    WAIT_MS));
	c = nictest_stat(nic);
	EXPECT_EQ(2, c.rx_packets);
	EXPECT_EQ(8, c.rx_ring_full);
	EXPECT_EQ(2, exo_nic__rx_pending(nic));
	EXPECT_EQ(2, nictest_rx_payloads(nic, buf, sizeof(buf)));
	EXPECT_STREQ("p0,p1", buf);

	/* Room again after the libOS reads. */
	exo_nic__rx_release(nic, 2);
	ASSERT_EQ(0, peer_send(self->peer, 5070, "after"));
	ASSERT_TRUE(NETENV_WAIT_FOR(exo_nic__rx_pending(nic) >= 1, WAIT_MS));
	EXPECT_EQ(1, nictest_rx_payloads(nic, buf, sizeof(buf)));
	EXPECT_STREQ("after", buf);
	c = nictest_stat(nic);
	EXPECT_EQ(3, c.rx_packets);
	EXPECT_EQ(8, c.rx_ring_full);
	exo_nic__free(nic);
}

NIC_TEST(rx_bad_index_counted)
{
	struct exo_nic_ring *r;
	struct exo_nic *nic;
	exo_cap_t flow;
	char buf[64];

	nic = nictest_bind(self->fd, IPPROTO_UDP, 5080, 1, 1, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));
	r = exo_nic__ring(nic);

	/* rx_tail ahead of rx_head: nothing can be delivered. */
	__atomic_store_n(&r->rx_tail, r->rx_head + 100, __ATOMIC_RELEASE);
	ASSERT_EQ(0, peer_send(self->peer, 5080, "lost-1"));
	ASSERT_TRUE(NETENV_WAIT_FOR(nictest_stat(nic).rx_bad_index >= 1,
				    WAIT_MS));
	/* rx_tail more than a ring behind. */
	__atomic_store_n(&r->rx_tail, r->rx_head - 3, __ATOMIC_RELEASE);
	ASSERT_EQ(0, peer_send(self->peer, 5080, "lost-2"));
	ASSERT_TRUE(NETENV_WAIT_FOR(nictest_stat(nic).rx_bad_index >= 2,
				    WAIT_MS));
	EXPECT_EQ(2, nictest_stat(nic).rx_bad_index);
	EXPECT_EQ(0, nictest_stat(nic).rx_packets);
	EXPECT_EQ(0, r->rx_head);

	/* The library writes its own cursor back: delivery resumes. */
	exo_nic__rx_release(nic, 0);
	EXPECT_EQ(0, r->rx_tail);
	ASSERT_EQ(0, peer_send(self->peer, 5080, "kept"));
	ASSERT_TRUE(NETENV_WAIT_FOR(exo_nic__rx_pending(nic) >= 1, WAIT_MS));
	EXPECT_EQ(1, nictest_rx_payloads(nic, buf, sizeof(buf)));
	EXPECT_STREQ("kept", buf);
	EXPECT_EQ(1, nictest_stat(nic).rx_packets);
	EXPECT_EQ(2, nictest_stat(nic).rx_bad_index);
	exo_nic__free(nic);
}

NIC_TEST(tx_bad_index_counted)
{
	struct exo_nic_tx tx = { .size = sizeof(tx) };
	struct exo_nic_ring *r;
	struct exo_nic *nic;
	unsigned int dropped;
	exo_cap_t flow;
	char buf[64];

	nic = nictest_bind(self->fd, IPPROTO_UDP, 5090, 1, 1, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));
	r = exo_nic__ring(nic);
	tx.flow = flow;

	/* tx_head more than a ring ahead of tx_tail: the batch is ignored. */
	__atomic_store_n(&r->tx_head, r->tx_tail + r->tx_slots + 1,
			 __ATOMIC_RELEASE);
	ASSERT_EQ(0, ioctl(self->fd, EXO_IOC_NIC_TX, &tx));
	EXPECT_EQ(0, tx.sent);
	EXPECT_EQ(1, nictest_stat(nic).tx_bad_index);
	EXPECT_EQ(0, r->tx_tail);
	/* Behind tx_tail (a huge batch, modulo 2^32). */
	__atomic_store_n(&r->tx_head, r->tx_tail - 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, ioctl(self->fd, EXO_IOC_NIC_TX, &tx));
	EXPECT_EQ(0, tx.sent);
	EXPECT_EQ(2, nictest_stat(nic).tx_bad_index);
	EXPECT_EQ(0, r->tx_tail);
	EXPECT_EQ(0, nictest_stat(nic).tx_packets);

	/* Sane again: the library publishes its own tx_head. */
	ASSERT_EQ(0, queue_udp(nic, &self->ne, self->ne.mac, self->ne.addr,
			       5090, PEER_PORT, "ok"));
	EXPECT_EQ(1, exo_nic__tx_kick(nic, &dropped));
	ASSERT_EQ(2, peer_recv_str(self->peer, buf, sizeof(buf), WAIT_MS));
	EXPECT_STREQ("ok", buf);
	EXPECT_EQ(2, nictest_stat(nic).tx_bad_index);
	EXPECT_EQ(1, nictest_stat(nic).tx_packets);
	exo_nic__free(nic);
}

/* ---- isolation -------------------------------------------------------------- */

NIC_TEST(two_envs_isolated)
{
	struct exo_nic *na, *nb;
	exo_cap_t fa, fb;
	char buf[256], p[8];
	int fd2, i;

	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	na = nictest_bind(self->fd, IPPROTO_UDP, 5100, 4, 1, &fa);
	ASSERT_NE(NULL, na) TH_LOG("bind A: %s", strerror(errno));
	nb = nictest_bind(fd2, IPPROTO_UDP, 5101, 4, 1, &fb);
	ASSERT_NE(NULL, nb) TH_LOG("bind B: %s", strerror(errno));

	for (i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "A%d", i);
		ASSERT_EQ(0, peer_send(self->peer, 5100, p));
		snprintf(p, sizeof(p), "B%d", i);
		ASSERT_EQ(0, peer_send(self->peer, 5101, p));
	}
	ASSERT_TRUE(NETENV_WAIT_FOR(exo_nic__rx_pending(na) >= 4 &&
				    exo_nic__rx_pending(nb) >= 4, WAIT_MS));
	EXPECT_EQ(4, nictest_rx_payloads(na, buf, sizeof(buf)));
	EXPECT_STREQ("A0,A1,A2,A3", buf);
	EXPECT_EQ(4, nictest_rx_payloads(nb, buf, sizeof(buf)));
	EXPECT_STREQ("B0,B1,B2,B3", buf);
	EXPECT_EQ(4, nictest_stat(na).rx_packets);
	EXPECT_EQ(4, nictest_stat(nb).rx_packets);

	/* B transmits only as its own flow: A's port is spoofing. */
	ASSERT_EQ(0, queue_udp(nb, &self->ne, self->ne.mac, self->ne.addr,
			       5100, PEER_PORT, "as-A"));
	EXPECT_EQ(0, exo_nic__tx_kick(nb, NULL));
	EXPECT_EQ(1, nictest_stat(nb).tx_spoofed);
	EXPECT_EQ(0, nictest_stat(na).tx_spoofed);
	EXPECT_EQ(-EAGAIN, netenv_recv(self->peer, buf, sizeof(buf), 0));

	exo_nic__free(nb);
	exo_nic__free(na);
	exo_close(fd2);
}

TEST_HARNESS_MAIN
