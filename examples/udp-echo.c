// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * udp-echo — a tiny network libOS on exo: a UDP echo server that owns its
 * receive and transmit rings, and an ICMP echo answered inside the kernel
 * by an application-specific handler (ASH).
 *
 * Run as root in the test VM (make run):
 *
 *     exo-udp-echo netns                     exo-udp-peer netns
 *     exo-e0 10.77.0.1  <------ veth ------>  exo-e1 10.77.0.2
 *     this program: flow UDP :7777           a client process sends N
 *     (rings in its frames) and ICMP         datagrams and checks each
 *     (ASH: replies without waking it)       echo; then `ping -c 5`
 *
 * The server sleeps in a wakeup predicate (bpf/pred_batch: at least 8
 * packets, or one waiting for 2 ms) rather than on every packet, builds
 * each reply in its own transmit slot (swap the Ethernet, IP and UDP
 * addresses; the checksums stay valid) and sends them with one kick per
 * batch.  The kernel checks each reply against the flow (source MAC, IP,
 * port) before it leaves.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <unistd.h>

#include <exo.h>

#define DEV		"exo-e0"
#define ADDR		"10.77.0.1"
#define PEER_ADDR	"10.77.0.2"
#define PORT		7777
#define COUNT		200

static void die(const char *what, int err)
{
	fprintf(stderr, "udp-echo: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static void sh(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "udp-echo: failed: %s\n", cmd);
		exit(1);
	}
}

static void net_up(void)
{
	sh("ip netns add exo-udp-echo && ip netns add exo-udp-peer && "
	   "ip link add " DEV " netns exo-udp-echo type veth peer name exo-e1 netns exo-udp-peer && "
	   "ip -n exo-udp-echo addr add " ADDR "/24 dev " DEV " && "
	   "ip -n exo-udp-echo link set " DEV " up && "
	   "ip -n exo-udp-peer addr add " PEER_ADDR "/24 dev exo-e1 && "
	   "ip -n exo-udp-peer link set exo-e1 up");
}

static void net_down(void)
{
	if (system("ip netns del exo-udp-echo; ip netns del exo-udp-peer") != 0)
		fprintf(stderr, "udp-echo: could not delete the namespaces\n");
}

static void enter_netns(const char *name)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		die(path, errno);
	close(fd);
}

/* The client, in the peer namespace: COUNT datagrams, each echoed? */
static int client(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	struct timeval tv = { .tv_sec = 2 };
	char msg[64], got[64];
	int s, i, ok = 0;

	enter_netns("exo-udp-peer");
	inet_pton(AF_INET, ADDR, &to.sin_addr);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		die("client socket", errno);
	for (i = 0; i < COUNT; i++) {
		int n = snprintf(msg, sizeof(msg), "hello %d", i);
		ssize_t r;

		if (sendto(s, msg, n, 0, (struct sockaddr *)&to, sizeof(to)) != n)
			die("sendto", errno);
		r = recv(s, got, sizeof(got), 0);
		ok += r == n && !memcmp(got, msg, n);
	}
	printf("client: %d of %d datagrams echoed\n", ok, COUNT);
	return ok == COUNT ? 0 : 1;
}

/* Turn the request in @p (len bytes) into its reply, in place. */
static int make_reply(unsigned char *p, unsigned int len)
{
	struct ethhdr *eth = (void *)p;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp;
	unsigned char mac[ETH_ALEN];
	__u32 a;
	__u16 port;

	if (len < sizeof(*eth) + sizeof(*ip) + sizeof(*udp) ||
	    eth->h_proto != htons(ETH_P_IP) || ip->protocol != IPPROTO_UDP)
		return -1;
	udp = (void *)((unsigned char *)ip + ip->ihl * 4);
	if ((unsigned char *)(udp + 1) > p + len)
		return -1;
	memcpy(mac, eth->h_dest, ETH_ALEN);
	memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	memcpy(eth->h_source, mac, ETH_ALEN);
	a = ip->saddr, ip->saddr = ip->daddr, ip->daddr = a;
	port = udp->source, udp->source = udp->dest, udp->dest = port;
	return 0;
}

static void serve(struct exo_nic *nic, int fd, int pred)
{
	struct exo_wait_opts wo = {
		.prog_fd = pred, .nic = nic,
		.timeout_ns = 5000000000ULL, .tick_ns = 1000000,
	};
	struct exo_nic_pkt pkts[32];
	unsigned int served = 0, waits = 0;

	while (served < COUNT) {
		unsigned int n, i;
		int ret;

		n = exo_nic__rx_burst(nic, pkts, 32);
		if (!n) {
			ret = exo_wait(fd, &wo, NULL, NULL);
			if (ret == -ETIME)
				break;
			if (ret)
				die("exo_wait", ret);
			waits++;
			continue;
		}
		for (i = 0; i < n; i++) {
			unsigned char *slot = exo_nic__tx_slot(nic);

			if (!slot)
				break;
			memcpy(slot, pkts[i].data, pkts[i].len);
			if (make_reply(slot, pkts[i].len))
				continue;
			exo_nic__tx_commit(nic, pkts[i].len);
			served++;
		}
		exo_nic__rx_release(nic, i);
		ret = exo_nic__tx_kick(nic, NULL);
		if (ret < 0)
			die("exo_nic__tx_kick", ret);
	}
	printf("server: %u datagrams echoed from exo rings, %u predicate waits\n",
	       served, waits);
}

static void show(const char *what, struct exo_nic *nic)
{
	struct exo_nic_counters c;
	int ret = exo_nic__stat(nic, &c);

	if (ret)
		die("exo_nic__stat", ret);
	printf("%-5s rx %llu  tx %llu  ash_tx %llu  filter_runs %llu  tx_spoofed %llu\n",
	       what, (unsigned long long)c.rx_packets,
	       (unsigned long long)c.tx_packets, (unsigned long long)c.ash_tx,
	       (unsigned long long)c.filter_runs,
	       (unsigned long long)c.tx_spoofed);
}

int main(void)
{
	struct exo_nic *udp, *icmp;
	exo_cap_t fudp, ficmp;
	int fd, ret, pred, ash, status;
	pid_t pid;

	if (!access("/run/netns/exo-udp-echo", F_OK))
		net_down();	/* left over from an interrupted run */
	net_up();
	enter_netns("exo-udp-echo");
	fd = exo_open();
	if (fd < 0)
		die("exo_open", fd);
	ret = exo_nic_attach(fd, DEV);
	if (ret)
		die("exo_nic_attach", ret);

	ret = exo_flow_alloc(fd, DEV, IPPROTO_UDP, ADDR, PORT, NULL, 0, &fudp);
	if (ret)
		die("exo_flow_alloc udp", ret);
	udp = exo_nic__bind(fd, fudp, 4, 4);
	if (!udp)
		die("exo_nic__bind udp", errno);
	pred = exo_bpf_pred_batch(8, 2000000);
	if (pred < 0)
		die("exo_bpf_pred_batch", pred);

	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (!pid)
		_exit(client());
	serve(udp, fd, pred);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("client", EPROTO);
	show("udp", udp);

	/* ICMP echo in the kernel: a filter that answers (XDP_TX). */
	ret = exo_flow_alloc(fd, DEV, IPPROTO_ICMP, ADDR, 0, NULL, 0, &ficmp);
	if (ret)
		die("exo_flow_alloc icmp", ret);
	icmp = exo_nic__bind(fd, ficmp, 1, 1);
	if (!icmp)
		die("exo_nic__bind icmp", errno);
	ash = exo_bpf_ash_echo();
	if (ash < 0)
		die("exo_bpf_ash_echo", ash);
	ret = exo_nic__filter_ebpf(icmp, ash);
	if (ret)
		die("exo_nic__filter_ebpf", ret);
	sh("ip netns exec exo-udp-peer ping -q -c 5 -i 0.2 -W 2 " ADDR);
	show("icmp", icmp);
	printf("the pings were answered by the ASH: the ring got %u packets\n",
	       exo_nic__rx_pending(icmp));

	exo_nic__free(icmp);
	exo_nic__free(udp);
	close(ash);
	close(pred);
	exo_nic_detach(fd, DEV);
	exo_close(fd);
	net_down();
	return 0;
}
