// SPDX-License-Identifier: GPL-2.0
/*
 * ash_echo — an application-specific handler (ASH): answer in the kernel,
 * without waking the libOS,
 *   - an ICMP echo request with the echo reply, rewritten in place;
 *   - a UDP datagram whose payload starts with "ECHO" by sending it back
 *     to where it came from;
 * and deliver everything else to the ring (XDP_PASS).
 *
 * exo sends an XDP_TX packet only if it passes the transmit checks (the
 * device's MAC as source, the flow's address and port as source), so a
 * request sent to a multicast or broadcast MAC is not answered here: its
 * reply would carry that group address as source.  Fragments go to the
 * ring too (the reply would need the whole datagram).
 */
#include "exo_pkt.h"
#include <linux/udp.h>

/*
 * <linux/icmp.h> pulls in libc headers (through <linux/if.h>) that do not
 * build for -target bpf; the header of an echo message is all we need.
 */
#define ICMP_ECHOREPLY	0
#define ICMP_ECHO	8
struct icmp_echo_hdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 seq;
};

static __always_inline int icmp_echo(struct iphdr *ip, void *l4,
				     void *data_end)
{
	struct icmp_echo_hdr *icmp = l4;
	__u16 old, new;

	if ((void *)(icmp + 1) > data_end)
		return XDP_PASS;
	if (icmp->type != ICMP_ECHO)
		return XDP_PASS;
	/* The first 16-bit word of the header is type << 8 | code. */
	old = bpf_htons(ICMP_ECHO << 8 | icmp->code);
	new = bpf_htons(ICMP_ECHOREPLY << 8 | icmp->code);
	icmp->type = ICMP_ECHOREPLY;
	icmp->checksum = exo_csum_replace2(icmp->checksum, old, new);
	exo_swap_ip(ip);
	return XDP_TX;
}

static __always_inline int udp_echo(struct iphdr *ip, void *l4,
				    void *data_end)
{
	struct udphdr *udp = l4;
	__u8 *p = (__u8 *)(udp + 1);
	__be16 port;

	if ((void *)(p + 4) > data_end)
		return XDP_PASS;
	if (p[0] != 'E' || p[1] != 'C' || p[2] != 'H' || p[3] != 'O')
		return XDP_PASS;
	/*
	 * Swapping the ports and the addresses permutes the words the UDP
	 * checksum sums: it stays valid as it is (and 0 stays "none").
	 */
	port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;
	exo_swap_ip(ip);
	return XDP_TX;
}

SEC("xdp")
int ash_echo(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	void *l4;
	int verdict;

	ip = exo_ipv4(data, data_end, &l4);
	if (!ip || exo_ip_fragment(ip))
		return XDP_PASS;
	if (eth->h_dest[0] & 1)		/* multicast or broadcast */
		return XDP_PASS;
	if (ip->protocol == IPPROTO_ICMP)
		verdict = icmp_echo(ip, l4, data_end);
	else if (ip->protocol == IPPROTO_UDP)
		verdict = udp_echo(ip, l4, data_end);
	else
		verdict = XDP_PASS;
	if (verdict == XDP_TX)
		exo_swap_mac(eth);
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";
