// SPDX-License-Identifier: GPL-2.0
/*
 * bench_xsk — the AF_XDP peer of `make bench-nic` (examples/bench-nic.c),
 * attached to the receiving veth: IPv4 UDP frames for @port are redirected
 * to the AF_XDP socket in xsks[rx queue]; everything else goes on to
 * Linux, as a program serving one application's flow would do.
 * Self-contained: it shares nothing with the exo filters and predicates.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Set before load (skeleton rodata): the benchmark flow's UDP port. */
const volatile __u16 port = 0;

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

SEC("xdp")
int bench_xsk(struct xdp_md *xdp)
{
	void *data = (void *)(long)xdp->data;
	void *data_end = (void *)(long)xdp->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	/* Options are not expected on this flow: such frames go to Linux. */
	if ((void *)(udp + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_UDP || udp->dest != bpf_htons(port))
		return XDP_PASS;
	return bpf_redirect_map(&xsks, xdp->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
