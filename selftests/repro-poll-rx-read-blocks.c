// SPDX-License-Identifier: GPL-2.0
/*
 * repro-poll-rx-read-blocks — found by exo_fuzz (a worker hung in exo_read
 * after poll() said the env fd was readable).
 *
 * exo_poll() sets EPOLLIN (with EPOLLRDBAND) when one of the env's
 * receive rings holds unread packets (exo_env_rx_ready()), and the receive
 * path wakes pollers with EPOLLIN.  But read() on the fd returns events
 * only; with packets waiting and no event queued it sleeps.  So the usual
 * poll()-then-read() loop blocks for ever as soon as a packet arrives --
 * libexo's exo_events_read()/exo_events_dispatch() do exactly that and
 * then ignore their timeout_ms.  POLLIN promises that read() will not block.
 *
 * Fixed (ring readiness is EPOLLRDBAND only); kept as a test (TAP, three
 * results) that fails if the bug comes back: the packet reaches the ring,
 * poll() shows it as POLLRDBAND, and if it ever says POLLIN, read() does
 * not block.  Built by make -C selftests and run by run.sh with the others
 * (scripts/vm --disk 64M -- selftests/run.sh repro-poll-rx-read-blocks), or
 * by hand as root in the test VM with exo loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <linux/exo.h>

#include "kselftest.h"

static void on_alarm(int sig) { (void)sig; }

int main(void)
{
	struct exo_nic_attach at = { .size = sizeof(at) };
	struct exo_flow_alloc fa = { .size = sizeof(fa) };
	struct exo_frame_alloc fr = { .size = sizeof(fr) };
	struct exo_nic_bind nb = { .size = sizeof(nb) };
	struct exo_nic_stat st = { .size = sizeof(st) };
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	exo_cap_t frames[3];
	__u64 pfns[3];
	struct exo_event ev[4];
	struct pollfd pfd;
	int fd, i, peer;
	ssize_t n;
	char peerns[64];

	setvbuf(stdout, NULL, _IOLBF, 0);	/* what ran shows if it is killed */
	ksft_print_header();
	ksft_set_plan(3);

	/* Our netns holds rp0 (10.89.0.1); a peer netns holds rp1 (10.89.0.2). */
	if (unshare(CLONE_NEWNET) || system("ip link set lo up"))
		ksft_exit_fail_msg("network namespace: %s\n", strerror(errno));
	peer = fork();
	if (peer == 0) {		/* the peer namespace lives in this child */
		if (unshare(CLONE_NEWNET))
			_exit(1);
		pause();
		_exit(0);
	}
	usleep(200000);
	snprintf(peerns, sizeof(peerns), "/proc/%d/ns/net", peer);
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd),
			 "ip link add rp0 type veth peer name rp1 netns %s && "
			 "ip addr add 10.89.0.1/24 dev rp0 && ip link set rp0 up && "
			 "nsenter --net=%s sh -c 'ip addr add 10.89.0.2/24 dev rp1 && "
			 "ip link set rp1 up && ip link set lo up'", peerns, peerns);
		if (system(cmd)) {
			kill(peer, SIGKILL);
			ksft_exit_fail_msg("network set-up failed\n");
		}
	}

	/* Attach rp0, mint a UDP flow on 10.89.0.1:20002, bind a 1+1+1 ring. */
	fd = open(EXO_DEVICE, O_RDWR);
	at.ifindex = if_nametoindex("rp0");
	fa.ifindex = at.ifindex;
	fa.proto = IPPROTO_UDP;
	fa.laddr = inet_addr("10.89.0.1");
	fa.lport = 20002;
	fr.count = 3;
	fr.caps = (__u64)(unsigned long)frames;
	fr.pfns = (__u64)(unsigned long)pfns;
	if (fd < 0 || ioctl(fd, EXO_IOC_NIC_ATTACH, &at) ||
	    ioctl(fd, EXO_IOC_FLOW_ALLOC, &fa) ||
	    ioctl(fd, EXO_IOC_FRAME_ALLOC, &fr)) {
		i = errno;
		kill(peer, SIGKILL);
		ksft_exit_fail_msg("attach/flow/frames: %s\n", strerror(i));
	}
	nb.flow = fa.cap;
	nb.frames = (__u64)(unsigned long)frames;
	nb.rx_frames = 1;
	nb.tx_frames = 1;
	if (ioctl(fd, EXO_IOC_NIC_BIND, &nb)) {
		i = errno;
		kill(peer, SIGKILL);
		ksft_exit_fail_msg("NIC_BIND: %s\n", strerror(i));
	}

	/* No event is queued: read() would block, and poll() says so. */
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	ksft_print_msg("before the packet: poll -> %d, revents %#x\n",
		       poll(&pfd, 1, 0), pfd.revents);

	/* One datagram from the peer to the flow. */
	if (fork() == 0) {
		struct sockaddr_in to = {
			.sin_family = AF_INET, .sin_port = htons(20002),
			.sin_addr.s_addr = inet_addr("10.89.0.1"),
		};
		int ns = open(peerns, O_RDONLY), s;

		if (ns < 0 || setns(ns, CLONE_NEWNET))
			_exit(1);
		s = socket(AF_INET, SOCK_DGRAM, 0);
		_exit(sendto(s, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to)) != 5);
	}
	wait(NULL);
	st.flow = fa.cap;
	for (i = 0; i < 200; i++) {
		if (!ioctl(fd, EXO_IOC_NIC_STAT, &st) && st.c.rx_packets)
			break;
		usleep(10000);
	}
	ksft_test_result(st.c.rx_packets >= 1,
			 "the datagram reached the flow's ring (rx_packets %llu)\n",
			 (unsigned long long)st.c.rx_packets);

	pfd = (struct pollfd){ .fd = fd, .events = POLLIN | POLLRDBAND };
	i = poll(&pfd, 1, 0);
	ksft_print_msg("after the packet: poll -> %d, revents %#x (POLLIN %#x POLLRDNORM %#x POLLRDBAND %#x)\n",
		       i, pfd.revents, POLLIN, POLLRDNORM, POLLRDBAND);
	ksft_test_result(i == 1 && (pfd.revents & POLLRDBAND),
			 "poll() shows the waiting packet as POLLRDBAND\n");
	if (i == 1 && (pfd.revents & POLLIN)) {
		sigaction(SIGALRM, &sa, NULL);
		alarm(2);
		n = read(fd, ev, sizeof(ev));	/* must not block: poll said POLLIN */
		alarm(0);
		ksft_print_msg("read() -> %zd\n", n);
		ksft_test_result(!(n < 0 && errno == EINTR),
				 "POLLIN with a packet waiting: read() does not block\n");
	} else {
		ksft_test_result_pass("POLLIN with a packet waiting: not reported, so read() may block\n");
	}

	ioctl(fd, EXO_IOC_NIC_DETACH, &at);
	close(fd);
	kill(peer, SIGKILL);
	waitpid(peer, NULL, 0);
	ksft_finished();
}
