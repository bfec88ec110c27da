// SPDX-License-Identifier: GPL-2.0
/*
 * repro-flow-alloc-leak — found by exo_fuzz (objects.flow never drops to 0).
 *
 * EXO_IOC_FLOW_ALLOC leaks the flow object: exo_ioc_flow_alloc() makes
 * the object with exo_obj_init() (one reference), installs the root
 * capability (exo_cap_new() takes a second one) and, unlike null, frame
 * and extent allocation, drops the creation reference only when the
 * install fails.  Closing the capability (or the env) leaves the object
 * with one reference for ever: debugfs totals keeps counting it, its
 * owner env is never freed (exo_obj_init() took a reference on it), and
 * the socket reserving the port in Linux stays bound until the device is
 * detached, so the port stays taken (EADDRINUSE) with no flow left.
 *
 * Fixed; kept as a test (TAP, two results) that fails if the bug comes
 * back.  Built by make -C selftests and run by run.sh with the others
 * (scripts/vm --disk 64M -- selftests/run.sh repro-flow-alloc-leak), or by
 * hand as root in the test VM with exo loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/exo.h>

#include "kselftest.h"

static long long total(const char *name)
{
	char line[128], n[64];
	long long v, found = -1;
	FILE *f = fopen("/sys/kernel/debug/exo/totals", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", n, &v) == 2 && !strcmp(n, name))
			found = v;
	fclose(f);
	return found;
}

int main(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(20001) };
	struct exo_nic_attach at = { .size = sizeof(at) };
	struct exo_flow_alloc fa = { .size = sizeof(fa) };
	struct exo_cap_close cc = { .size = sizeof(cc) };
	long long before, after;
	int fd, s, err;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* what ran shows if it is killed */
	ksft_print_header();
	ksft_set_plan(2);

	/* A private network namespace with one veth end, 10.88.0.1/24. */
	if (unshare(CLONE_NEWNET) ||
	    system("ip link set lo up && ip link add rl0 type veth peer name rl1 && "
		   "ip addr add 10.88.0.1/24 dev rl0 && ip link set rl0 up && ip link set rl1 up"))
		ksft_exit_fail_msg("network set-up: %s\n", strerror(errno));
	fd = open(EXO_DEVICE, O_RDWR);
	at.ifindex = if_nametoindex("rl0");
	if (fd < 0 || ioctl(fd, EXO_IOC_NIC_ATTACH, &at))
		ksft_exit_fail_msg("open/NIC_ATTACH: %s\n", strerror(errno));
	before = total("objects.flow");

	/* Mint a UDP flow for 10.88.0.1:20001, then close its only capability. */
	fa.ifindex = at.ifindex;
	fa.proto = IPPROTO_UDP;
	fa.laddr = inet_addr("10.88.0.1");
	fa.lport = 20001;
	if (ioctl(fd, EXO_IOC_FLOW_ALLOC, &fa))
		ksft_exit_fail_msg("FLOW_ALLOC: %s\n", strerror(errno));
	cc.cap = fa.cap;
	if (ioctl(fd, EXO_IOC_CAP_CLOSE, &cc))
		ksft_exit_fail_msg("CAP_CLOSE: %s\n", strerror(errno));
	close(fd);
	usleep(200000);		/* the env's release is deferred (fput) */

	after = total("objects.flow");
	ksft_print_msg("objects.flow: %lld before FLOW_ALLOC, %lld after closing the flow and the env\n",
		       before, after);
	ksft_test_result(before >= 0 && after == before,
			 "the flow object dies with its last capability and its env\n");

	/* Its port must be free again for Linux. */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	sin.sin_addr.s_addr = fa.laddr;
	err = bind(s, (struct sockaddr *)&sin, sizeof(sin)) ? errno : 0;
	if (err)
		ksft_print_msg("bind: %s\n", strerror(err));
	ksft_test_result(s >= 0 && !err,
			 "port 20001 is free in Linux again once the flow is closed\n");
	close(s);

	/* Detaching unhooks the leaked flow (so the module can unload). */
	fd = open(EXO_DEVICE, O_RDWR);
	if (fd >= 0) {
		ioctl(fd, EXO_IOC_NIC_DETACH, &at);
		close(fd);
	}
	ksft_finished();
}
