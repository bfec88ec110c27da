// SPDX-License-Identifier: GPL-2.0
/*
 * filter_drop — an exo packet filter: drop every UDP or TCP packet whose
 * payload starts with the four bytes of @magic (as they lie in memory),
 * deliver everything else to the ring (XDP_PASS).
 *
 * libexo: exo_bpf_filter_drop(magic) sets @magic before loading.
 */
#include "exo_pkt.h"
#include <linux/tcp.h>
#include <linux/udp.h>

const volatile __u32 magic = 0;

/* The start of the UDP or TCP payload, or NULL if there is none. */
static __always_inline void *payload(struct iphdr *ip, void *l4,
				     void *data_end)
{
	if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = l4;

		if ((void *)(udp + 1) > data_end)
			return NULL;
		return udp + 1;
	}
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;
		__u32 doff;

		if ((void *)(tcp + 1) > data_end)
			return NULL;
		doff = tcp->doff;
		if (doff < 5)
			return NULL;
		return (void *)tcp + doff * 4;
	}
	return NULL;
}

SEC("xdp")
int filter_drop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip;
	void *l4;
	__u8 *p;
	__u32 word;

	ip = exo_ipv4(data, data_end, &l4);
	if (!ip || exo_ip_later_fragment(ip))
		return XDP_PASS;
	p = payload(ip, l4, data_end);
	if (!p || (void *)(p + sizeof(word)) > data_end)
		return XDP_PASS;
	__builtin_memcpy(&word, p, sizeof(word));
	return word == magic ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
