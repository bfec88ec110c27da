// SPDX-License-Identifier: GPL-2.0
/*
 * The veth pair across two network namespaces the NIC selftests run on:
 * see netenv.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/icmp.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>

#include "netenv.h"
#include "rtnl.h"

__be32 netenv_addr(const char *dotted)
{
	struct in_addr a;

	return inet_pton(AF_INET, dotted, &a) == 1 ? a.s_addr : 0;
}

void netenv_msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int enter_ns(int fd)
{
	return setns(fd, CLONE_NEWNET) ? -errno : 0;
}

static int vsh(const char *fmt, va_list ap)
{
	char cmd[512];
	int st;

	if (vsnprintf(cmd, sizeof(cmd) - 16, fmt, ap) >= (int)sizeof(cmd) - 16)
		return -ENAMETOOLONG;
	strcat(cmd, " >/dev/null");
	fflush(stdout);
	fflush(stderr);
	st = system(cmd);
	if (st < 0)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int sh(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vsh(fmt, ap);
	va_end(ap);
	return ret;
}

int netenv_sh(struct netenv *ne, int peer, const char *fmt, ...)
{
	va_list ap;
	int ret, back;

	if (peer) {
		ret = enter_ns(ne->peer_ns);
		if (ret)
			return ret;
	}
	va_start(ap, fmt);
	ret = vsh(fmt, ap);
	va_end(ap);
	if (peer) {
		back = enter_ns(ne->test_ns);
		if (back)
			return back;
	}
	return ret;
}

int netenv_peer_socket(struct netenv *ne, int domain, int type, int proto)
{
	int fd, ret;

	ret = enter_ns(ne->peer_ns);
	if (ret)
		return ret;
	fd = socket(domain, type | SOCK_CLOEXEC, proto);
	if (fd < 0)
		fd = -errno;
	ret = enter_ns(ne->test_ns);
	if (ret) {
		if (fd >= 0)
			close(fd);
		return ret;
	}
	return fd;
}

/* Write @val to the sysctl file @path of the current namespace (best effort). */
static void sysctl_set(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, val, strlen(val)) < 0) {
		/* Best effort: IPv6 may be absent. */
	}
	close(fd);
}

/*
 * Give @dev of the current namespace the /24 address @addr (if not NULL)
 * and bring it up, with the classic ioctls (no exec: fast under TCG).
 */
static int dev_up(const char *dev, const char *addr)
{
	struct sockaddr_in *sin;
	struct ifreq ifr;
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	if (addr) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = netenv_addr(addr);
		if (ioctl(fd, SIOCSIFADDR, &ifr))
			ret = -errno;
		sin->sin_addr.s_addr = htonl(0xffffff00);
		if (!ret && ioctl(fd, SIOCSIFNETMASK, &ifr))
			ret = -errno;
	}
	if (!ret && ioctl(fd, SIOCGIFFLAGS, &ifr))
		ret = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!ret && ioctl(fd, SIOCSIFFLAGS, &ifr))
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * A fresh namespace: loopback up, no IPv6 on the devices that will come
 * (keeps router solicitations and the like off the wire).
 */
static int prepare_ns(void)
{
	sysctl_set("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	sysctl_set("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	return dev_up("lo", NULL);
}

/* exo0 here, its peer exo1 straight in the namespace @peer_ns.  0 or -errno. */
static int veth_create(int peer_ns)
{
	return rtnl_link_add(NETENV_DEV, "veth", NETENV_PEER_DEV, peer_ns) ? -errno : 0;
}

int netenv_link_del(struct netenv *ne)
{
	(void)ne;
	return rtnl_link_del(-1, NETENV_DEV) ? -errno : 0;
}

/* The MAC and IFF_RUNNING of @dev in the current namespace. */
static int dev_info(const char *dev, __u8 *mac, int *running)
{
	struct ifreq ifr;
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		ret = -errno;
	else if (mac)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (!ret && ioctl(fd, SIOCGIFFLAGS, &ifr))
		ret = -errno;
	else if (!ret && running)
		*running = !!(ifr.ifr_flags & IFF_RUNNING);
	close(fd);
	return ret;
}

static int bound_port(int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &len))
		return -errno;
	return ntohs(sa.sin_port);
}

/*
 * Wait until Linux's own datapath works both ways: a datagram from here to
 * the peer and one back.  Linkwatch attaches the devices' queues some time
 * after the carrier comes up (until then transmits are dropped), and
 * IFF_RUNNING shows a moment before that.  Returns 0 or -errno.
 */
static int datapath_ready(struct netenv *ne)
{
	long long deadline = now_ms() + 10000;
	int a, b, pa, pb, ret = -ETIMEDOUT;
	char buf[8];

	a = netenv_udp_socket(ne, 0, NETENV_ADDR, 0);
	if (a < 0)
		return a;
	b = netenv_udp_socket(ne, 1, NETENV_PEER_ADDR, 0);
	if (b < 0) {
		close(a);
		return b;
	}
	pa = bound_port(a);
	pb = bound_port(b);
	while (pa > 0 && pb > 0 && now_ms() < deadline) {
		if (!netenv_udp_send(a, NETENV_PEER_ADDR, pb, "ping", 4) &&
		    netenv_recv(b, buf, sizeof(buf), 100) == 4 &&
		    !netenv_udp_send(b, NETENV_ADDR, pa, "pong", 4) &&
		    netenv_recv(a, buf, sizeof(buf), 100) == 4) {
			ret = 0;
			break;
		}
	}
	close(b);
	close(a);
	return ret;
}

int netenv_setup(struct netenv *ne)
{
	int ret, up = 0, peer_up = 0;
	long long deadline;

	memset(ne, 0, sizeof(*ne));
	ne->test_ns = ne->peer_ns = -1;
	ne->addr = netenv_addr(NETENV_ADDR);
	ne->peer_addr = netenv_addr(NETENV_PEER_ADDR);

	/* RTM_NEWLINK loads it on demand too; harmless if built in. */
	if (access("/sys/module/veth", F_OK))
		sh("modprobe veth 2>/dev/null");

	if (unshare(CLONE_NEWNET))
		return -errno;
	ne->peer_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ne->peer_ns < 0)
		return -errno;
	ret = prepare_ns();
	if (ret)
		return ret;
	if (unshare(CLONE_NEWNET))
		return -errno;
	ne->test_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ne->test_ns < 0)
		return -errno;
	ret = prepare_ns();
	if (ret)
		return ret;

	ret = veth_create(ne->peer_ns);
	if (ret)
		return ret;
	ret = dev_up(NETENV_DEV, NETENV_ADDR);
	if (ret)
		return ret;
	ret = enter_ns(ne->peer_ns);
	if (ret)
		return ret;
	ret = dev_up(NETENV_PEER_DEV, NETENV_PEER_ADDR);
	if (enter_ns(ne->test_ns))
		return -EIO;
	if (ret)
		return ret;
	ne->ifindex = if_nametoindex(NETENV_DEV);
	if (!ne->ifindex)
		return -errno;

	/* Both ends up and with carrier (bounded: TCG). */
	deadline = now_ms() + 10000;
	for (;;) {
		ret = dev_info(NETENV_DEV, ne->mac, &up);
		if (ret)
			return ret;
		ret = enter_ns(ne->peer_ns);
		if (ret)
			return ret;
		ret = dev_info(NETENV_PEER_DEV, ne->peer_mac, &peer_up);
		if (enter_ns(ne->test_ns))
			return -EIO;
		if (ret)
			return ret;
		if (up && peer_up)
			return datapath_ready(ne);
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		netenv_msleep(10);
	}
}

void netenv_teardown(struct netenv *ne)
{
	if (ne->test_ns >= 0) {
		enter_ns(ne->test_ns);
		netenv_link_del(ne);	/* -ENODEV if a test deleted it */
		close(ne->test_ns);
	}
	if (ne->peer_ns >= 0)
		close(ne->peer_ns);
	ne->test_ns = ne->peer_ns = -1;
}

int netenv_udp_socket(struct netenv *ne, int peer, const char *addr,
		      __u16 port)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = netenv_addr(addr),
	};
	int fd, ret;

	if (peer)
		fd = netenv_peer_socket(ne, AF_INET, SOCK_DGRAM, 0);
	else
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return peer ? fd : -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int netenv_udp_send(int fd, const char *addr, __u16 port, const void *buf,
		    size_t len)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = netenv_addr(addr),
	};
	ssize_t n;

	n = sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa));
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

int netenv_recv(int fd, void *buf, size_t len, int ms)
{
	return netenv_recv_from(fd, buf, len, ms, NULL, NULL);
}

int netenv_recv_from(int fd, void *buf, size_t len, int ms, __be32 *addr,
		     __u16 *port)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct sockaddr_in sa = { 0 };
	socklen_t salen = sizeof(sa);
	ssize_t n;
	int r;

	if (ms > 0) {
		r = poll(&p, 1, ms);
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
	}
	n = recvfrom(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&sa,
		     &salen);
	if (n < 0)
		return -errno;
	if (addr)
		*addr = sa.sin_addr.s_addr;
	if (port)
		*port = ntohs(sa.sin_port);
	return n;
}

__u16 netenv_csum_fold(const void *buf, size_t len, __u32 sum)
{
	const __u8 *p = buf;
	__u64 s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		__u16 w;

		memcpy(&w, p + i, 2);
		s += w;
	}
	if (len & 1) {
		__u16 w = 0;

		memcpy(&w, p + len - 1, 1);
		s += w;
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

static int icmp_message(void *buf, size_t size, __u8 type, __u16 id,
			__u16 seq, size_t plen)
{
	struct icmphdr *h = buf;
	size_t i;

	if (sizeof(*h) + plen > size)
		return -ENOSPC;
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->un.echo.id = htons(id);
	h->un.echo.sequence = htons(seq);
	for (i = 0; i < plen; i++)
		((__u8 *)(h + 1))[i] = (__u8)(i * 7 + seq);
	h->checksum = ~netenv_csum_fold(h, sizeof(*h) + plen, 0);
	return sizeof(*h) + plen;
}

static int icmp_sendto(int fd, const char *addr, const void *msg, int len)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = netenv_addr(addr),
	};

	if (sendto(fd, msg, len, 0, (struct sockaddr *)&sa, sizeof(sa)) != len)
		return -errno ?: -EIO;
	return 0;
}

int netenv_icmp_send(struct netenv *ne, const char *addr, __u8 type,
		     __u16 id, __u16 seq)
{
	__u8 msg[64];
	int fd, len, ret;

	fd = netenv_peer_socket(ne, AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (fd < 0)
		return fd;
	len = icmp_message(msg, sizeof(msg), type, id, seq, 8);
	ret = len < 0 ? len : icmp_sendto(fd, addr, msg, len);
	close(fd);
	return ret;
}

int netenv_ping(struct netenv *ne, const char *addr, __u16 id, __u16 seq,
		size_t plen, int ms)
{
	__u8 req[1500], buf[2048];
	struct icmp_filter filt = { ~(1U << ICMP_ECHOREPLY) };
	long long deadline = now_ms() + ms;
	int fd, len, ret;

	fd = netenv_peer_socket(ne, AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_RAW, ICMP_FILTER, &filt, sizeof(filt));
	len = icmp_message(req, sizeof(req), ICMP_ECHO, id, seq, plen);
	ret = len < 0 ? len : icmp_sendto(fd, addr, req, len);
	while (!ret) {
		const struct iphdr *ip = (const void *)buf;
		const struct icmphdr *h;
		int left = deadline - now_ms(), n, ihl;

		n = netenv_recv(fd, buf, sizeof(buf), left > 0 ? left : 1);
		if (n < 0) {
			ret = n;
			break;
		}
		/* A raw socket gets the IP header too. */
		if (n < (int)sizeof(*ip))
			continue;
		ihl = ip->ihl * 4;
		if (ip->protocol != IPPROTO_ICMP || n < ihl + (int)sizeof(*h))
			continue;
		h = (const void *)(buf + ihl);
		if (h->type != ICMP_ECHOREPLY || ntohs(h->un.echo.id) != id ||
		    ntohs(h->un.echo.sequence) != seq)
			continue;
		if (ip->saddr != netenv_addr(addr) || n - ihl != len ||
		    memcmp(h + 1, req + sizeof(*h), plen) ||
		    netenv_csum_fold(h, n - ihl, 0) != 0xffff)
			ret = -EBADMSG;
		break;
	}
	close(fd);
	return ret;
}

int netenv_udp_frame(void *buf, size_t size, const __u8 *smac,
		     const __u8 *dmac, __be32 saddr, __be32 daddr,
		     __u16 sport, __u16 dport, const void *payload,
		     size_t plen)
{
	struct ethhdr *eth = buf;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	struct {
		__be32 saddr, daddr;
		__u8 zero, proto;
		__be16 len;
	} __attribute__((packed)) pseudo;
	size_t total = sizeof(*eth) + sizeof(*ip) + sizeof(*udp) + plen;
	__u16 sum;

	if (total > size || total > 0xffff)
		return -ENOSPC;
	memcpy(eth->h_dest, dmac, 6);
	memcpy(eth->h_source, smac, 6);
	eth->h_proto = htons(ETH_P_IP);

	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(sizeof(*ip) + sizeof(*udp) + plen);
	ip->id = htons(0x4578);
	ip->frag_off = htons(0x4000);	/* DF */
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = saddr;
	ip->daddr = daddr;
	ip->check = ~netenv_csum_fold(ip, sizeof(*ip), 0);

	udp->source = htons(sport);
	udp->dest = htons(dport);
	udp->len = htons(sizeof(*udp) + plen);
	udp->check = 0;
	memcpy(udp + 1, payload, plen);
	pseudo.saddr = saddr;
	pseudo.daddr = daddr;
	pseudo.zero = 0;
	pseudo.proto = IPPROTO_UDP;
	pseudo.len = udp->len;
	sum = netenv_csum_fold(&pseudo, sizeof(pseudo), 0);
	sum = ~netenv_csum_fold(udp, sizeof(*udp) + plen, sum);
	udp->check = sum ? sum : 0xffff;
	return total;
}

int netenv_udp_csum_check(const void *frame, size_t len)
{
	const struct iphdr *ip = (const void *)((const __u8 *)frame +
						 sizeof(struct ethhdr));
	struct {
		__be32 saddr, daddr;
		__u8 zero, proto;
		__be16 len;
	} __attribute__((packed)) pseudo;
	const struct udphdr *udp;
	struct netenv_udp u;
	__u16 sum;

	if (netenv_parse_udp(frame, len, &u))
		return -EPROTO;
	if (netenv_csum_fold(ip, ip->ihl * 4, 0) != 0xffff)
		return -EBADMSG;
	udp = (const void *)(u.payload - sizeof(*udp));
	if (!udp->check)
		return 0;
	pseudo.saddr = ip->saddr;
	pseudo.daddr = ip->daddr;
	pseudo.zero = 0;
	pseudo.proto = IPPROTO_UDP;
	pseudo.len = udp->len;
	sum = netenv_csum_fold(&pseudo, sizeof(pseudo), 0);
	sum = netenv_csum_fold(udp, ntohs(udp->len), sum);
	return sum == 0xffff ? 0 : -EBADMSG;
}

int netenv_parse_udp(const void *frame, size_t len, struct netenv_udp *u)
{
	const struct ethhdr *eth = frame;
	const struct iphdr *ip = (const void *)(eth + 1);
	const struct udphdr *udp;
	size_t ihl, tot, ulen;

	memset(u, 0, sizeof(*u));
	if (len < sizeof(*eth) + sizeof(*ip) + sizeof(*udp) ||
	    eth->h_proto != htons(ETH_P_IP) || ip->version != 4 ||
	    ip->protocol != IPPROTO_UDP)
		return -EPROTO;
	ihl = ip->ihl * 4;
	tot = ntohs(ip->tot_len);
	if (ihl < sizeof(*ip) || tot < ihl + sizeof(*udp) ||
	    sizeof(*eth) + tot > len)
		return -EPROTO;
	udp = (const void *)((const __u8 *)ip + ihl);
	ulen = ntohs(udp->len);
	if (ulen < sizeof(*udp) || ulen > tot - ihl)
		return -EPROTO;
	u->dmac = eth->h_dest;
	u->smac = eth->h_source;
	u->saddr = ip->saddr;
	u->daddr = ip->daddr;
	u->sport = ntohs(udp->source);
	u->dport = ntohs(udp->dest);
	u->payload = (const __u8 *)(udp + 1);
	u->plen = ulen - sizeof(*udp);
	return 0;
}

/* ---- exo helpers shared by the NIC tests ------------------------------ */

void nictest_teardown(struct netenv *ne, int fd, int peer)
{
	if (fd >= 0) {
		exo_nic_detach(fd, NETENV_DEV);
		exo_close(fd);
	}
	if (peer >= 0)
		close(peer);
	netenv_teardown(ne);
}

struct exo_nic *nictest_bind(int fd, int proto, __u16 port, unsigned int rx,
			     unsigned int tx, exo_cap_t *flow)
{
	struct exo_nic *nic;
	int ret;

	*flow = 0;
	ret = exo_flow_alloc(fd, NETENV_DEV, proto, NETENV_ADDR, port, NULL,
			     0, flow);
	if (ret) {
		*flow = 0;
		errno = -ret;
		return NULL;
	}
	nic = exo_nic__bind(fd, *flow, rx, tx);
	return nic;
}

struct exo_nic_counters nictest_stat(struct exo_nic *nic)
{
	struct exo_nic_counters c;

	if (exo_nic__stat(nic, &c))
		memset(&c, 0, sizeof(c));
	return c;
}

unsigned int nictest_rx_payloads(struct exo_nic *nic, char *buf, size_t len)
{
	struct exo_nic_pkt pkts[64];
	struct netenv_udp u;
	unsigned int n, i;
	size_t used = 0;

	n = exo_nic__rx_burst(nic, pkts, 64);
	if (len)
		buf[0] = '\0';
	for (i = 0; i < n && used + 1 < len; i++) {
		int w;

		if (netenv_parse_udp(pkts[i].data, pkts[i].len, &u))
			w = snprintf(buf + used, len - used, "%s?",
				     i ? "," : "");
		else
			w = snprintf(buf + used, len - used, "%s%.*s",
				     i ? "," : "", (int)u.plen,
				     (const char *)u.payload);
		if (w < 0)
			break;
		used += w;
		if (used >= len)
			used = len - 1;
	}
	return n;
}

/* /proc/self/task/<tid>/<file> into @buf, NUL-terminated; length or <= 0. */
static int task_file(int tid, const char *file, char *buf, size_t size)
{
	char path[64];
	int fd, n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", tid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n > 0)
		buf[n] = '\0';
	return n;
}

int nictest_blocked_in_ioctl(int tid)
{
	char buf[256], *p;

	/* State: the field after "(comm)" in stat. */
	if (task_file(tid, "stat", buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] != 'S')
		return 0;
	/* The system call it sleeps in: its number comes first. */
	if (task_file(tid, "syscall", buf, sizeof(buf)) <= 0)
		return 0;
	return atoi(buf) == SYS_ioctl && buf[0] != 'r';	/* not "running" */
}

static void *waiter_main(void *p)
{
	struct nictest_waiter *w = p;

	__atomic_store_n(&w->tid, (int)gettid(), __ATOMIC_RELEASE);
	w->ret = exo_wait(w->fd, &w->opts, &w->reason, &w->evals);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

int nictest_waiter_done(struct nictest_waiter *w)
{
	return __atomic_load_n(&w->done, __ATOMIC_ACQUIRE);
}

int nictest_waiter_start(struct nictest_waiter *w)
{
	int ret, tid;

	w->tid = 0;
	w->done = 0;
	w->ret = 1;
	w->reason = w->evals = 0;
	ret = pthread_create(&w->thread, NULL, waiter_main, w);
	if (ret)
		return -ret;
	/* Asleep in the ioctl twice in a row, 20 ms apart: past its start. */
	for (ret = 0; ret < 1000; ret++) {
		tid = __atomic_load_n(&w->tid, __ATOMIC_ACQUIRE);
		if (nictest_waiter_done(w))
			return -ETIMEDOUT;
		if (tid && nictest_blocked_in_ioctl(tid)) {
			netenv_msleep(20);
			if (nictest_blocked_in_ioctl(tid))
				return 0;
		}
		netenv_msleep(10);
	}
	return -ETIMEDOUT;
}

int nictest_waiter_join(struct nictest_waiter *w, int ms)
{
	if (!NETENV_WAIT_FOR(nictest_waiter_done(w), ms))
		return -ETIMEDOUT;
	pthread_join(w->thread, NULL);
	return 0;
}
