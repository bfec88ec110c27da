// SPDX-License-Identifier: GPL-2.0
/*
 * Who may mint which flow, and what happens to a binding when its holder
 * or its device goes away:
 *   - an unprivileged env: port < 1024 and port-less (ICMP) flows EPERM, a
 *     port a Linux socket holds or another flow holds EADDRINUSE (but a
 *     TCP port that only TIME_WAIT sockets hold is taken over), an
 *     address not on the device EADDRNOTAVAIL; root may do the first two;
 *     a minted port is reserved against Linux sockets;
 *   - kill -9 of the holder unbinds and frees everything (debugfs totals
 *     back where they were) and the port can be minted again; closing the
 *     flow capability, or closing or revoking a ring frame's, unbinds;
 *   - the device deleted (ip link del) or detached while bound: every call
 *     on the binding answers ENODEV, nothing crashes;
 *   - the errors of each call (raw ioctls, exact errno).
 *
 * Network: the veth pair of netenv.h (exo0 10.99.0.1 here, exo1 10.99.0.2
 * in a peer namespace).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/bpf.h>
#include <linux/filter.h>

#include "kselftest_harness.h"
#include "exo_test.h"
#include "netenv.h"

EXO_REQUIRE_DEVICE

#define WAIT_MS		10000
#define PEER_PORT	6000

static const struct exo_agent_creds nobody = {
	.uid = EXO_NOBODY_UID, .gid = EXO_NOBODY_GID, .ngroups = 0,
};

FIXTURE(pol) {
	struct netenv ne;
	int fd;
	struct exo_agent a;
};

FIXTURE_SETUP(pol)
{
	self->fd = -1;
	self->a.pid = -1;
	ASSERT_EQ(0, netenv_setup(&self->ne));
	self->fd = exo_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, exo_nic_attach(self->fd, NETENV_DEV));
}

FIXTURE_TEARDOWN(pol)
{
	if (self->a.pid > 0)
		exo_agent_kill(&self->a);
	nictest_teardown(&self->ne, self->fd, -1);
}

#define POL_TEST(name) TEST_F_TIMEOUT(pol, name, 180)

/* ---- in the agent ------------------------------------------------------------- */

static struct exo_nic *agent_nic;

/* "PROTO ADDR PORT": FLOW_ALLOC on NETENV_DEV; out: the cap. */
static int ag_flow(int fd, const char *arg, char *out, size_t len)
{
	char addr[32];
	unsigned int proto, port;
	exo_cap_t cap = 0;
	int ret;

	if (sscanf(arg, "%u %31s %u", &proto, addr, &port) != 3)
		return -EINVAL;
	ret = exo_flow_alloc(fd, NETENV_DEV, proto, addr, port, NULL, 0,
			     &cap);
	snprintf(out, len, "%llx", (unsigned long long)cap);
	return ret;
}

/* "PROTO IFINDEX": a raw FLOW_ALLOC of 10.99.0.1, port 0 or @lport. */
static int ag_flow_raw(int fd, const char *arg, char *out, size_t len)
{
	struct exo_flow_alloc fa = { .size = sizeof(fa) };
	unsigned int proto, ifindex, port;

	if (sscanf(arg, "%u %u %u", &proto, &ifindex, &port) != 3)
		return -EINVAL;
	fa.proto = proto;
	fa.ifindex = ifindex;
	fa.laddr = netenv_addr(NETENV_ADDR);
	fa.lport = port;
	return ioctl(fd, EXO_IOC_FLOW_ALLOC, &fa) ? -errno : 0;
}

/* "PORT": mint UDP NETENV_ADDR:PORT and bind it. */
static int ag_bind(int fd, const char *arg, char *out, size_t len)
{
	exo_cap_t flow;

	agent_nic = nictest_bind(fd, IPPROTO_UDP, atoi(arg), 1, 1, &flow);
	return agent_nic ? 0 : -errno;
}

static int ag_attach(int fd, const char *arg, char *out, size_t len)
{
	return exo_nic_attach(fd, arg);
}

static int ag_detach(int fd, const char *arg, char *out, size_t len)
{
	return exo_nic_detach(fd, arg);
}

static int agent_flow(struct exo_agent *a, int proto, const char *addr,
		      int port)
{
	char arg[64], out[64];

	snprintf(arg, sizeof(arg), "%d %s %d", proto, addr, port);
	return exo_agent_run(a, ag_flow, arg, out, sizeof(out));
}

/* A Linux TCP socket listening on @addr:@port in the test's namespace. */
static int tcp_listen(const char *addr, __u16 port)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = netenv_addr(addr),
	};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* ---- minting policy ------------------------------------------------------------ */

POL_TEST(mint_unprivileged)
{
	int lin, lin_any, lst, fd;
	char arg[64], out[64];

	ASSERT_EQ(0, exo_agent_start(&self->a, &nobody));
	ASSERT_EQ(0, exo_agent_open(&self->a));

	/* Privileged ports and port-less flows. */
	EXPECT_EQ(-EPERM, agent_flow(&self->a, IPPROTO_UDP, NETENV_ADDR, 80));
	EXPECT_EQ(-EPERM, agent_flow(&self->a, IPPROTO_TCP, NETENV_ADDR, 1023));
	EXPECT_EQ(-EPERM, agent_flow(&self->a, IPPROTO_UDP, NETENV_ADDR, 1));
	EXPECT_EQ(-EPERM, agent_flow(&self->a, IPPROTO_ICMP, NETENV_ADDR, 0));
	EXPECT_EQ(0, agent_flow(&self->a, IPPROTO_UDP, NETENV_ADDR, 1024));

	/* Ports Linux sockets hold: the address itself, the wildcard, TCP. */
	lin = netenv_udp_socket(&self->ne, 0, NETENV_ADDR, 5400);
	ASSERT_LE(0, lin);
	lin_any = netenv_udp_socket(&self->ne, 0, "0.0.0.0", 5401);
	ASSERT_LE(0, lin_any);
	lst = tcp_listen(NETENV_ADDR, 5402);
	ASSERT_LE(0, lst);
	EXPECT_EQ(-EADDRINUSE, agent_flow(&self->a, IPPROTO_UDP, NETENV_ADDR,
					  5400));
	EXPECT_EQ(-EADDRINUSE, agent_flow(&self->a, IPPROTO_UDP, NETENV_ADDR,
					  5401));
	EXPECT_EQ(-EADDRINUSE, agent_flow(&self->a, IPPROTO_TCP, NETENV_ADDR,
					  5402));
	/* Ports are per protocol. */
	EXPECT_EQ(0, agent_flow(&self->a, IPPROTO_TCP, NETENV_ADDR, 5400));

	/* A second flow on a minted port, by anyone. */
	EXPECT_EQ(0, agent_flow(&self->a, IPPROTO_UDP, NETENV_ADDR, 5403));
	EXPECT_EQ(-EADDRINUSE, agent_flow(&self->a, IPPROTO_UDP, NETENV_ADDR,
					  5403));
	EXPECT_EQ(-EADDRINUSE, exo_flow_alloc(self->fd, NETENV_DEV,
					      IPPROTO_UDP, NETENV_ADDR, 5403,
					      NULL, 0, &(exo_cap_t){ 0 }));
	EXPECT_EQ(-EADDRINUSE, exo_flow_alloc(self->fd, NETENV_DEV,
					      IPPROTO_UDP, NETENV_ADDR, 5403,
					      NETENV_PEER_ADDR, PEER_PORT,
					      &(exo_cap_t){ 0 }));
	/* ... and Linux cannot take it either. */
	fd = netenv_udp_socket(&self->ne, 0, NETENV_ADDR, 5403);
	EXPECT_EQ(-EADDRINUSE, fd);
	if (fd >= 0)
		close(fd);

	/* Addresses that are not the device's. */
	EXPECT_EQ(-EADDRNOTAVAIL, agent_flow(&self->a, IPPROTO_UDP,
					     NETENV_OTHER_ADDR, 5404));
	EXPECT_EQ(-EADDRNOTAVAIL, agent_flow(&self->a, IPPROTO_UDP,
					     "127.0.0.1", 5404));
	EXPECT_EQ(-EADDRNOTAVAIL, agent_flow(&self->a, IPPROTO_UDP,
					     NETENV_PEER_ADDR, 5404));

	/* Other protocols; a device exo does not have. */
	snprintf(arg, sizeof(arg), "%d %d 5405", 132, self->ne.ifindex);
	EXPECT_EQ(-EPROTONOSUPPORT, exo_agent_run(&self->a, ag_flow_raw, arg,
						  out, sizeof(out)));
	snprintf(arg, sizeof(arg), "%d %d 5405", IPPROTO_UDP, 1);	/* lo */
	EXPECT_EQ(-ENODEV, exo_agent_run(&self->a, ag_flow_raw, arg, out,
					 sizeof(out)));

	/* Attaching devices is root's. */
	EXPECT_EQ(-EPERM, exo_agent_run(&self->a, ag_attach, "lo", out,
					sizeof(out)));
	EXPECT_EQ(-EPERM, exo_agent_run(&self->a, ag_detach, NETENV_DEV, out,
					sizeof(out)));

	close(lst);
	close(lin_any);
	close(lin);
}

POL_TEST(mint_root)
{
	exo_cap_t udp80, icmp, tcp;
	int fd;

	/* Root: privileged ports and ICMP. */
	ASSERT_EQ(0, exo_flow_alloc(self->fd, NETENV_DEV, IPPROTO_UDP,
				    NETENV_ADDR, 80, NULL, 0, &udp80));
	ASSERT_EQ(0, exo_flow_alloc(self->fd, NETENV_DEV, IPPROTO_ICMP,
				    NETENV_ADDR, 0, NULL, 0, &icmp));
	EXPECT_EQ(-EADDRINUSE, exo_flow_alloc(self->fd, NETENV_DEV,
					      IPPROTO_ICMP, NETENV_ADDR, 0,
					      NULL, 0, &(exo_cap_t){ 0 }));
	/* The port is reserved against Linux while the flow lives. */
	fd = netenv_udp_socket(&self->ne, 0, NETENV_ADDR, 80);
	EXPECT_EQ(-EADDRINUSE, fd);
	if (fd >= 0)
		close(fd);
	/* Still: no address off the device, no port a Linux socket holds. */
	EXPECT_EQ(-EADDRNOTAVAIL, exo_flow_alloc(self->fd, NETENV_DEV,
						 IPPROTO_UDP,
						 NETENV_OTHER_ADDR, 80, NULL,
						 0, &(exo_cap_t){ 0 }));
	fd = tcp_listen(NETENV_ADDR, 81);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EADDRINUSE, exo_flow_alloc(self->fd, NETENV_DEV,
					      IPPROTO_TCP, NETENV_ADDR, 81,
					      NULL, 0, &tcp));
	close(fd);
	/* A device that is not attached. */
	EXPECT_EQ(-ENODEV, exo_flow_alloc(self->fd, "lo", IPPROTO_UDP,
					  "127.0.0.1", 5000, NULL, 0, &tcp));

	/* Closing the flow gives the port back to Linux. */
	ASSERT_EQ(0, exo_cap_close(self->fd, udp80));
	fd = netenv_udp_socket(&self->ne, 0, NETENV_ADDR, 80);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(0, exo_cap_close(self->fd, icmp));
}

/* ---- a port only TIME_WAIT sockets hold ------------------------------------------ */

/* A TCP socket on @addr:@port, SO_REUSEADDR if @reuse, listening if @lst. */
static int tcp_sock(const char *addr, __u16 port, int reuse, int lst)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = netenv_addr(addr),
	};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (lst && listen(fd, 4))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* TCP sockets of local port @port in state @st (hex, /proc/net/tcp). */
static int tcp_count(__u16 port, const char *st)
{
	char line[256], want[16];
	FILE *f = fopen("/proc/net/tcp", "r");
	int n = 0;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), ":%04X", port);
	while (fgets(line, sizeof(line), f)) {
		char loc[64], rem[64], state[8];

		if (sscanf(line, " %*s %63s %63s %7s", loc, rem, state) == 3 &&
		    strlen(loc) > 5 && !strcmp(loc + strlen(loc) - 5, want) &&
		    !strcmp(state, st))
			n++;
	}
	fclose(f);
	return n;
}

/*
 * A connection to @addr:@port that the server side closes first, as a web
 * server does: its end stays in TIME_WAIT.  The listener (SO_REUSEADDR if
 * @reuse, as nginx sets it) is closed; with @keep the server keeps a
 * second accepted connection open (returned), else returns 0.
 */
static int tcp_timewait(const char *addr, __u16 port, int reuse, int keep)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = netenv_addr(addr),
	};
	int lst = tcp_sock(addr, port, reuse, 1), c, a, c2 = -1, a2 = -1, i;
	char b;

	if (lst < 0)
		return lst;
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa)))
		return -errno;
	a = accept(lst, NULL, NULL);
	if (a < 0)
		return -errno;
	if (keep) {
		c2 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c2 < 0 || connect(c2, (struct sockaddr *)&sa, sizeof(sa)))
			return -errno;
		a2 = accept(lst, NULL, NULL);
		if (a2 < 0)
			return -errno;
	}
	close(lst);
	close(a);			/* the server's FIN first */
	if (read(c, &b, 1) != 0)	/* the client sees it ... */
		return -EPROTO;
	close(c);			/* ... and closes: server in TIME_WAIT */
	for (i = 0; i < 200 && tcp_count(port, "06") < 1; i++)
		usleep(10000);
	if (tcp_count(port, "06") < 1)
		return -ETIMEDOUT;
	return keep ? a2 : 0;
}

POL_TEST(timewait_port)
{
	exo_cap_t flow;
	int fd, conn;

	/*
	 * Only TIME_WAIT sockets hold the port (a server that closed its
	 * connections): Linux refuses a plain bind for 60 s; exo takes it,
	 * whether the server had SO_REUSEADDR or not.
	 */
	ASSERT_EQ(0, tcp_timewait(NETENV_ADDR, 5600, 1, 0));
	EXPECT_EQ(-EADDRINUSE, tcp_sock(NETENV_ADDR, 5600, 0, 0));
	ASSERT_EQ(0, exo_flow_alloc(self->fd, NETENV_DEV, IPPROTO_TCP,
				     NETENV_ADDR, 5600, NULL, 0, &flow));
	/* Then it is the flow's alone: no Linux bind, reuse or not. */
	EXPECT_EQ(-EADDRINUSE, tcp_sock(NETENV_ADDR, 5600, 1, 1));
	EXPECT_EQ(-EADDRINUSE, tcp_sock(NETENV_ADDR, 5600, 1, 0));
	EXPECT_EQ(-EADDRINUSE, tcp_sock("0.0.0.0", 5600, 1, 1));
	EXPECT_EQ(-EADDRINUSE, exo_flow_alloc(self->fd, NETENV_DEV,
					       IPPROTO_TCP, NETENV_ADDR, 5600,
					       NULL, 0, &(exo_cap_t){ 0 }));
	/* Closing the flow gives it back (SO_REUSEADDR: the TIME_WAIT). */
	ASSERT_EQ(0, exo_cap_close(self->fd, flow));
	fd = tcp_sock(NETENV_ADDR, 5600, 1, 1);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);

	ASSERT_EQ(0, tcp_timewait(NETENV_ADDR, 5601, 0, 0));
	EXPECT_EQ(0, exo_flow_alloc(self->fd, NETENV_DEV, IPPROTO_TCP,
				     NETENV_ADDR, 5601, NULL, 0, &flow));
	EXPECT_EQ(0, exo_cap_close(self->fd, flow));

	/* A SO_REUSEADDR listener keeps its port, on its address or any. */
	fd = tcp_sock(NETENV_ADDR, 5602, 1, 1);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EADDRINUSE, exo_flow_alloc(self->fd, NETENV_DEV,
					       IPPROTO_TCP, NETENV_ADDR, 5602,
					       NULL, 0, &flow));
	close(fd);
	fd = tcp_sock("0.0.0.0", 5604, 1, 1);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EADDRINUSE, exo_flow_alloc(self->fd, NETENV_DEV,
					       IPPROTO_TCP, NETENV_ADDR, 5604,
					       NULL, 0, &flow));
	close(fd);
	/* So does a bound SO_REUSEADDR socket that does not listen. */
	fd = tcp_sock(NETENV_ADDR, 5605, 1, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EADDRINUSE, exo_flow_alloc(self->fd, NETENV_DEV,
					       IPPROTO_TCP, NETENV_ADDR, 5605,
					       NULL, 0, &flow));
	close(fd);
	/* TIME_WAIT beside a live connection of the port: the port stays. */
	conn = tcp_timewait(NETENV_ADDR, 5603, 1, 1);
	ASSERT_LE(0, conn);
	EXPECT_EQ(-EADDRINUSE, exo_flow_alloc(self->fd, NETENV_DEV,
					       IPPROTO_TCP, NETENV_ADDR, 5603,
					       NULL, 0, &flow));
	close(conn);
	/* A holder on another address of the host does not share it. */
	fd = tcp_sock("127.0.0.1", 5606, 1, 1);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, exo_flow_alloc(self->fd, NETENV_DEV, IPPROTO_TCP,
				     NETENV_ADDR, 5606, NULL, 0, &flow));
	EXPECT_EQ(0, exo_cap_close(self->fd, flow));
	close(fd);
}

/* ---- the holder dies -------------------------------------------------------------- */

static long long total(const char *name)
{
	long long v = -1;

	return exo_totals_value(name, &v) ? -1 : v;
}

POL_TEST(kill9_unbinds_and_frees)
{
	long long flows0, binds0, free0, envs0;
	char buf[64];
	exo_cap_t flow;
	int lin, peer, status;

	flows0 = total("objects.flow");
	binds0 = total("nic_binds");
	free0 = total("frames_free");
	envs0 = total("envs");
	ASSERT_LE(0, flows0);
	ASSERT_LE(0, binds0);
	ASSERT_LE(0, free0);

	ASSERT_EQ(0, exo_agent_start(&self->a, &nobody));
	ASSERT_EQ(0, exo_agent_open(&self->a));
	ASSERT_EQ(0, exo_agent_run(&self->a, ag_bind, "5500", NULL, 0));
	EXPECT_EQ(flows0 + 1, total("objects.flow"));
	EXPECT_EQ(binds0 + 1, total("nic_binds"));
	EXPECT_EQ(free0 - 3, total("frames_free"));
	EXPECT_EQ(-EADDRINUSE, exo_flow_alloc(self->fd, NETENV_DEV,
					      IPPROTO_UDP, NETENV_ADDR, 5500,
					      NULL, 0, &flow));

	status = exo_agent_kill(&self->a);
	ASSERT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));

	/* Everything back: flow, binding, ring frames, env. */
	EXPECT_TRUE(NETENV_WAIT_FOR(total("objects.flow") == flows0 &&
				    total("nic_binds") == binds0 &&
				    total("frames_free") == free0 &&
				    total("envs") == envs0, WAIT_MS))
		TH_LOG("flows %lld/%lld binds %lld/%lld free %lld/%lld",
		       total("objects.flow"), flows0, total("nic_binds"),
		       binds0, total("frames_free"), free0);

	/* The port can be minted again, and then given to Linux. */
	ASSERT_EQ(0, exo_flow_alloc(self->fd, NETENV_DEV, IPPROTO_UDP,
				    NETENV_ADDR, 5500, NULL, 0, &flow));
	ASSERT_EQ(0, exo_cap_close(self->fd, flow));
	lin = netenv_udp_socket(&self->ne, 0, NETENV_ADDR, 5500);
	ASSERT_LE(0, lin);
	peer = netenv_udp_socket(&self->ne, 1, NETENV_PEER_ADDR, PEER_PORT);
	ASSERT_LE(0, peer);
	ASSERT_EQ(0, netenv_udp_send(peer, NETENV_ADDR, 5500, "linux", 5));
	EXPECT_EQ(5, netenv_recv(lin, buf, sizeof(buf), WAIT_MS));
	close(peer);
	close(lin);
}

POL_TEST(close_flow_cap_unbinds)
{
	struct exo_nic *nic;
	exo_cap_t flow;
	long long binds0 = total("nic_binds");

	ASSERT_LE(0, binds0);
	nic = nictest_bind(self->fd, IPPROTO_UDP, 5510, 1, 1, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));
	EXPECT_EQ(binds0 + 1, total("nic_binds"));
	/* The binding dies with the capability it was made through. */
	ASSERT_EQ(0, exo_cap_close(self->fd, flow));
	EXPECT_TRUE(NETENV_WAIT_FOR(total("nic_binds") == binds0, WAIT_MS));
	exo_nic__free(nic);
}

POL_TEST(ring_frame_death_unbinds)
{
	struct exo_nic_bind nb = { .size = sizeof(nb) };
	struct exo_nic_stat st = { .size = sizeof(st) };
	long long binds0 = total("nic_binds");
	exo_cap_t flow, f[5];
	__u64 count;

	ASSERT_LE(0, binds0);
	ASSERT_EQ(0, exo_flow_alloc(self->fd, NETENV_DEV, IPPROTO_UDP,
				    NETENV_ADDR, 5520, NULL, 0, &flow));
	ASSERT_EQ(0, exo_frame_alloc(self->fd, 5, f, NULL));
	nb.flow = st.flow = flow;
	nb.frames = (uintptr_t)f;
	nb.rx_frames = 1;
	nb.tx_frames = 1;

	/* A transmit frame's capability closed: unbound. */
	ASSERT_EQ(0, ioctl(self->fd, EXO_IOC_NIC_BIND, &nb));
	EXPECT_EQ(binds0 + 1, total("nic_binds"));
	EXPECT_EQ(0, ioctl(self->fd, EXO_IOC_NIC_STAT, &st));
	ASSERT_EQ(0, exo_cap_close(self->fd, f[2]));
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_STAT, &st));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_TRUE(NETENV_WAIT_FOR(total("nic_binds") == binds0, WAIT_MS));

	/* The ring header's capability revoked: unbound too. */
	f[2] = f[3];
	ASSERT_EQ(0, ioctl(self->fd, EXO_IOC_NIC_BIND, &nb));
	EXPECT_EQ(0, ioctl(self->fd, EXO_IOC_NIC_STAT, &st));
	ASSERT_EQ(0, exo_cap_revoke(self->fd, f[0], EXO_REVOKE_SELF, &count));
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_STAT, &st));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_TRUE(NETENV_WAIT_FOR(total("nic_binds") == binds0, WAIT_MS));

	/* With live frames the flow binds again. */
	f[0] = f[4];
	ASSERT_EQ(0, ioctl(self->fd, EXO_IOC_NIC_BIND, &nb));
	EXPECT_EQ(0, ioctl(self->fd, EXO_IOC_NIC_STAT, &st));
	ASSERT_EQ(0, exo_cap_close(self->fd, flow));
	EXPECT_TRUE(NETENV_WAIT_FOR(total("nic_binds") == binds0, WAIT_MS));
}

/* ---- the device goes away ------------------------------------------------------------ */

/* Every call on @nic's flow (and a second, unbound @spare) answers ENODEV. */
static void expect_enodev(struct __test_metadata *_metadata, int fd,
			  struct exo_nic *nic, exo_cap_t spare, int ifindex)
{
	struct exo_nic_unbind ub = { .size = sizeof(ub) };
	struct exo_flow_alloc fa = { .size = sizeof(fa) };
	struct exo_nic_bind nb = { .size = sizeof(nb) };
	struct exo_nic_attach at = { .size = sizeof(at) };
	struct exo_wait_opts wo = { .prog_fd = -1, .nic = nic,
				    .timeout_ns = 1000000000ULL };
	struct exo_nic_counters c;
	exo_cap_t frames[3];
	void *slot;

	/* Nothing to send: the kick does not enter the kernel. */
	EXPECT_EQ(0, exo_nic__tx_kick(nic, NULL));
	/* A frame to send: the kernel refuses the kick. */
	slot = exo_nic__tx_slot(nic);
	ASSERT_NE(NULL, slot);
	memset(slot, 0, 64);
	exo_nic__tx_commit(nic, 64);
	EXPECT_EQ(-ENODEV, exo_nic__tx_kick(nic, NULL));
	EXPECT_EQ(-ENODEV, exo_nic__stat(nic, &c));
	EXPECT_EQ(-ENODEV, exo_nic__filter_clear(nic));
	EXPECT_EQ(-ENODEV, exo_wait(fd, &wo, NULL, NULL));
	ub.flow = exo_nic__flow(nic);
	EXPECT_EQ(-1, ioctl(fd, EXO_IOC_NIC_UNBIND, &ub));
	EXPECT_EQ(ENODEV, errno);

	/* The other flow of that device cannot be bound. */
	ASSERT_EQ(0, exo_frame_alloc(fd, 3, frames, NULL));
	nb.flow = spare;
	nb.frames = (uintptr_t)frames;
	nb.rx_frames = 1;
	nb.tx_frames = 1;
	EXPECT_EQ(-1, ioctl(fd, EXO_IOC_NIC_BIND, &nb));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(3, exo_caps_close(fd, frames, 3));

	/* No new flows on it, nothing to detach. */
	fa.ifindex = ifindex;
	fa.proto = IPPROTO_UDP;
	fa.laddr = netenv_addr(NETENV_ADDR);
	fa.lport = 5602;
	EXPECT_EQ(-1, ioctl(fd, EXO_IOC_FLOW_ALLOC, &fa));
	EXPECT_EQ(ENODEV, errno);
	at.ifindex = ifindex;
	EXPECT_EQ(-1, ioctl(fd, EXO_IOC_NIC_DETACH, &at));
	EXPECT_EQ(ENODEV, errno);
}

POL_TEST(device_deleted_while_bound)
{
	long long devs0 = total("nic_devs"), flows0 = total("objects.flow");
	long long binds0 = total("nic_binds");
	struct exo_nic *nic;
	exo_cap_t flow, spare;

	ASSERT_LE(1, devs0);
	nic = nictest_bind(self->fd, IPPROTO_UDP, 5600, 1, 1, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, exo_flow_alloc(self->fd, NETENV_DEV, IPPROTO_UDP,
				    NETENV_ADDR, 5601, NULL, 0, &spare));

	ASSERT_EQ(0, netenv_link_del(&self->ne));
	EXPECT_EQ(devs0 - 1, total("nic_devs"));
	expect_enodev(_metadata, self->fd, nic, spare, self->ne.ifindex);

	/* Everything can still be given back. */
	exo_nic__free(nic);
	EXPECT_EQ(0, exo_cap_close(self->fd, flow));
	EXPECT_EQ(0, exo_cap_close(self->fd, spare));
	EXPECT_TRUE(NETENV_WAIT_FOR(total("objects.flow") == flows0 &&
				    total("nic_binds") == binds0, WAIT_MS))
		TH_LOG("flows %lld/%lld binds %lld/%lld",
		       total("objects.flow"), flows0, total("nic_binds"),
		       binds0);
}

POL_TEST(detach_while_bound)
{
	struct exo_nic *nic, *nic2;
	exo_cap_t flow, spare, flow2;
	int peer;

	nic = nictest_bind(self->fd, IPPROTO_UDP, 5610, 1, 1, &flow);
	ASSERT_NE(NULL, nic) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, exo_flow_alloc(self->fd, NETENV_DEV, IPPROTO_UDP,
				    NETENV_ADDR, 5611, NULL, 0, &spare));
	ASSERT_EQ(0, exo_nic_detach(self->fd, NETENV_DEV));
	expect_enodev(_metadata, self->fd, nic, spare, self->ne.ifindex);

	/* Linux has the device to itself again: pings are answered. */
	EXPECT_EQ(0, netenv_ping(&self->ne, NETENV_ADDR, 9, 1, 32, WAIT_MS));

	/* Attached again, it works as new. */
	ASSERT_EQ(0, exo_nic_attach(self->fd, NETENV_DEV));
	nic2 = nictest_bind(self->fd, IPPROTO_UDP, 5612, 1, 1, &flow2);
	ASSERT_NE(NULL, nic2) TH_LOG("bind: %s", strerror(errno));
	peer = netenv_udp_socket(&self->ne, 1, NETENV_PEER_ADDR, PEER_PORT);
	ASSERT_LE(0, peer);
	ASSERT_EQ(0, netenv_udp_send(peer, NETENV_ADDR, 5612, "again", 5));
	EXPECT_TRUE(NETENV_WAIT_FOR(exo_nic__rx_pending(nic2) == 1, WAIT_MS));
	/* The old binding stays dead. */
	EXPECT_EQ(-ENODEV, exo_nic__tx_kick(nic, NULL));
	close(peer);
	exo_nic__free(nic2);
	exo_nic__free(nic);
}

/* ---- errors of each call -------------------------------------------------------------- */

/* A loaded BPF program of @type that returns 0. */
static int load_prog(int type)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = type;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = 2;
	attr.license = (uintptr_t)"GPL";
	return syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
}

POL_TEST(call_errors)
{
	struct exo_nic_attach at = { .size = sizeof(at) };
	struct exo_flow_alloc fa = { .size = sizeof(fa) };
	struct exo_nic_bind nb = { .size = sizeof(nb) };
	struct exo_nic_filter nf = { .size = sizeof(nf) };
	struct exo_nic_tx tx = { .size = sizeof(tx) };
	struct exo_nic_stat st = { .size = sizeof(st) };
	struct exo_nic_unbind ub = { .size = sizeof(ub) };
	struct exo_wait wt = { .size = sizeof(wt), .prog_fd = -1,
			       .timeout_ns = 1000000 };
	struct sock_filter bad_jump[] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 5),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	exo_cap_t flow, ro, tmp, frames[6], other[3];
	struct exo_nic_bind nb2;
	int sf;

	/* Attach. */
	at.ifindex = self->ne.ifindex;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_ATTACH, &at));
	EXPECT_EQ(EBUSY, errno);
	at.ifindex = 99999;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_ATTACH, &at));
	EXPECT_EQ(ENODEV, errno);
	at.ifindex = self->ne.ifindex;
	at.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_ATTACH, &at));
	EXPECT_EQ(EINVAL, errno);

	/* Flow alloc. */
	fa.ifindex = self->ne.ifindex;
	fa.laddr = netenv_addr(NETENV_ADDR);
	fa.proto = IPPROTO_ICMP;
	fa.lport = 7;		/* ICMP has no ports */
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_FLOW_ALLOC, &fa));
	EXPECT_EQ(EINVAL, errno);
	fa.proto = IPPROTO_UDP;
	fa.lport = 5700;
	fa.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_FLOW_ALLOC, &fa));
	EXPECT_EQ(EINVAL, errno);
	fa.flags = 0;
	fa.__reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_FLOW_ALLOC, &fa));
	EXPECT_EQ(EINVAL, errno);
	fa.__reserved = 0;
	ASSERT_EQ(0, ioctl(self->fd, EXO_IOC_FLOW_ALLOC, &fa));
	flow = fa.cap;

	/* Calls that need a binding. */
	tx.flow = st.flow = ub.flow = nf.flow = wt.flow = flow;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_TX, &tx));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_STAT, &st));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_UNBIND, &ub));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_FILTER, &nf));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_WAIT, &wt));
	EXPECT_EQ(ENOTCONN, errno);

	/* Bind geometry. */
	ASSERT_EQ(0, exo_frame_alloc(self->fd, 6, frames, NULL));
	nb.flow = flow;
	nb.frames = (uintptr_t)frames;
	nb.rx_frames = 3;
	nb.tx_frames = 1;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_BIND, &nb));
	EXPECT_EQ(EINVAL, errno);
	nb.rx_frames = 0;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_BIND, &nb));
	EXPECT_EQ(EINVAL, errno);
	nb.rx_frames = EXO_NIC_MAX_RING_FRAMES * 2;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_BIND, &nb));
	EXPECT_EQ(EINVAL, errno);
	/* The flow capability is not a frame. */
	nb.rx_frames = 1;
	tmp = frames[1];
	frames[1] = flow;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_BIND, &nb));
	EXPECT_EQ(EINVAL, errno);
	frames[1] = tmp;
	/* Through a flow capability without READ. */
	ASSERT_EQ(0, exo_cap_derive(self->fd, flow, EXO_RIGHT_WRITE, &ro));
	nb.flow = ro;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_BIND, &nb));
	EXPECT_EQ(EACCES, errno);
	nb.flow = flow;
	ASSERT_EQ(0, ioctl(self->fd, EXO_IOC_NIC_BIND, &nb));
	/* A flow has one binding. */
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_BIND, &nb));
	EXPECT_EQ(EBUSY, errno);

	/* Transmit, filter through a READ-only capability: EACCES. */
	EXPECT_EQ(0, exo_cap_close(self->fd, ro));
	ASSERT_EQ(0, exo_cap_derive(self->fd, flow, EXO_RIGHT_READ, &ro));
	tx.flow = ro;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_TX, &tx));
	EXPECT_EQ(EACCES, errno);
	nf.flow = ro;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_FILTER, &nf));
	EXPECT_EQ(EACCES, errno);
	nf.flow = flow;

	/* Filters: a program that is not XDP, a bad classic one, flags. */
	sf = load_prog(BPF_PROG_TYPE_SOCKET_FILTER);
	ASSERT_LE(0, sf);
	nf.flags = EXO_FILTER_EBPF;
	nf.prog_fd = sf;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_FILTER, &nf));
	EXPECT_EQ(EINVAL, errno);
	nf.prog_fd = self->fd;		/* not a program at all */
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_FILTER, &nf));
	EXPECT_EQ(EINVAL, errno);
	nf.flags = EXO_FILTER_EBPF | EXO_FILTER_CLASSIC;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_FILTER, &nf));
	EXPECT_EQ(EINVAL, errno);
	nf.flags = EXO_FILTER_CLASSIC;
	nf.prog_fd = 0;
	nf.len = 0;
	nf.insns = (uintptr_t)bad_jump;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_FILTER, &nf));
	EXPECT_EQ(EINVAL, errno);
	nf.len = EXO_FILTER_MAX_CLASSIC + 1;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_FILTER, &nf));
	EXPECT_EQ(EINVAL, errno);
	nf.len = ARRAY_SIZE(bad_jump);
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_FILTER, &nf));
	EXPECT_EQ(EINVAL, errno);

	/* Unbind, then the calls answer ENOTCONN again. */
	EXPECT_EQ(0, ioctl(self->fd, EXO_IOC_NIC_UNBIND, &ub));
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_STAT, &st));
	EXPECT_EQ(ENOTCONN, errno);

	/* Bound again after the unbind, with the same frames. */
	ASSERT_EQ(0, ioctl(self->fd, EXO_IOC_NIC_BIND, &nb));
	/* A frame of that binding cannot be part of another one. */
	fa.lport = 5701;
	ASSERT_EQ(0, ioctl(self->fd, EXO_IOC_FLOW_ALLOC, &fa));
	other[0] = frames[3];
	other[1] = frames[4];
	other[2] = frames[0];
	nb2 = nb;
	nb2.flow = fa.cap;
	nb2.frames = (uintptr_t)other;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_NIC_BIND, &nb2));
	EXPECT_EQ(EBUSY, errno);
	other[2] = frames[5];
	EXPECT_EQ(0, ioctl(self->fd, EXO_IOC_NIC_BIND, &nb2));

	EXPECT_EQ(0, ioctl(self->fd, EXO_IOC_NIC_UNBIND, &ub));
	ub.flow = fa.cap;
	EXPECT_EQ(0, ioctl(self->fd, EXO_IOC_NIC_UNBIND, &ub));
	close(sf);
	EXPECT_EQ(6, exo_caps_close(self->fd, frames, 6));
}

TEST_HARNESS_MAIN
