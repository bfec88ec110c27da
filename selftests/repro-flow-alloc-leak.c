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
 * Build and run (as root, in the test VM, exo loaded):
 *   cc -D_GNU_SOURCE -Ikmod/include/uapi -o selftests/repro-flow-alloc-leak \
 *      selftests/repro-flow-alloc-leak.c
 *   scripts/vm -- bash -c 'insmod kmod/exo.ko && selftests/repro-flow-alloc-leak; rmmod exo'
 * Exit status 1 and "BUG" lines while the bug is there, 0 once fixed.
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
	int fd, s, bad = 0;

	/* A private network namespace with one veth end, 10.88.0.1/24. */
	if (unshare(CLONE_NEWNET) ||
	    system("ip link set lo up && ip link add rl0 type veth peer name rl1 && "
		   "ip addr add 10.88.0.1/24 dev rl0 && ip link set rl0 up && ip link set rl1 up")) {
		perror("network set-up");
		return 2;
	}
	fd = open(EXO_DEVICE, O_RDWR);
	at.ifindex = if_nametoindex("rl0");
	if (fd < 0 || ioctl(fd, EXO_IOC_NIC_ATTACH, &at)) {
		perror("open/NIC_ATTACH");
		return 2;
	}
	before = total("objects.flow");

	/* Mint a UDP flow for 10.88.0.1:20001, then close its only capability. */
	fa.ifindex = at.ifindex;
	fa.proto = IPPROTO_UDP;
	fa.laddr = inet_addr("10.88.0.1");
	fa.lport = 20001;
	if (ioctl(fd, EXO_IOC_FLOW_ALLOC, &fa)) {
		perror("FLOW_ALLOC");
		return 2;
	}
	cc.cap = fa.cap;
	if (ioctl(fd, EXO_IOC_CAP_CLOSE, &cc)) {
		perror("CAP_CLOSE");
		return 2;
	}
	close(fd);
	usleep(200000);		/* the env's release is deferred (fput) */

	after = total("objects.flow");
	printf("objects.flow: %lld before FLOW_ALLOC, %lld after closing the flow and the env\n",
	       before, after);
	if (after != before) {
		printf("BUG: the flow object outlives its last capability and its env\n");
		bad = 1;
	}

	/* Its port must be free again for Linux. */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	sin.sin_addr.s_addr = fa.laddr;
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin))) {
		printf("BUG: port 20001 is still reserved after the flow was closed: bind: %s\n",
		       strerror(errno));
		bad = 1;
	}
	close(s);

	/* Detaching unhooks the leaked flow (so the module can unload). */
	fd = open(EXO_DEVICE, O_RDWR);
	if (fd >= 0) {
		ioctl(fd, EXO_IOC_NIC_DETACH, &at);
		close(fd);
	}
	printf("%s\n", bad ? "FAIL" : "ok: no leak");
	return bad;
}
