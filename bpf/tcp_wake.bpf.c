// SPDX-License-Identifier: GPL-2.0
/*
 * tcp_wake — lazy wakeups for a TCP libOS: a packet filter and a wakeup
 * predicate (EXO_IOC_WAIT) that share one struct exo_tcp_wake_state.
 *
 * The filter, run by exo on each packet of the flow as it lands in the
 * ring, passes every packet and counts it: urgent if the libOS has
 * something to do for it at once (a SYN or RST, payload, anything that is
 * not a well-formed TCP segment), lazy if it is an ACK or FIN alone and
 * the libOS has said it is not waiting on its peer's ACKs (state.eager 0:
 * nothing of its own is held back by the window).  Such a segment only
 * releases acknowledged data or asks for an ACK, and is read with the
 * next urgent one, or after @t_ns at most.
 *
 * The predicate wakes the libOS when an urgent packet came that it has not
 * read (the urgent half of state.tally != state.seen: exact, see
 * tcp_wake.h and exo_tcp_wake_arm()), when @k or more packets wait (the
 * ring is filling), when a packet has waited @t_ns or longer (the bound
 * on laziness: wait with tick_ns = @t_ns), or for a queued event or owed
 * frames, as pred_batch does.  libexo: exo_tcp_wake_load(k, t_ns).
 */
#include "exo_pkt.h"
#include <linux/exo.h>
#include <linux/tcp.h>

#include "exo_pred.h"
#include "tcp_wake.h"

const volatile __u32 k = 64;
const volatile __u64 t_ns = 10000000;

struct exo_tcp_wake_state state;

/* 1 if the segment in [data, data_end) wants the libOS at once. */
static __always_inline int urgent(void *data, void *data_end)
{
	struct tcphdr *tcp;
	struct iphdr *ip;
	void *l4;
	__u32 doff, len;

	ip = exo_ipv4(data, data_end, &l4);
	if (!ip || ip->protocol != IPPROTO_TCP || exo_ip_fragment(ip))
		return 1;
	tcp = l4;
	if ((void *)(tcp + 1) > data_end)
		return 1;
	if (tcp->syn || tcp->rst || tcp->urg || !tcp->ack)
		return 1;
	doff = tcp->doff * 4;
	len = bpf_ntohs(ip->tot_len);
	/* payload: IP length less both headers (a short datagram: urgent) */
	if (len < ip->ihl * 4 + doff || len > ip->ihl * 4 + doff)
		return 1;
	return state.eager != 0;
}

SEC("xdp")
int tcp_wake_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (urgent(data, data_end)) {
		__sync_fetch_and_add(&state.urgent, 1);
		__sync_fetch_and_add(&state.tally, (1ull << 32) + 1);
	} else {
		__sync_fetch_and_add(&state.lazy, 1);
		__sync_fetch_and_add(&state.tally, 1);
	}
	return XDP_PASS;
}

SEC("xdp")
int tcp_wake_pred(struct xdp_md *xdp)
{
	void *data = (void *)(long)xdp->data;
	void *data_end = (void *)(long)xdp->data_end;
	struct exo_wait_ctx *c = data;

	/* A predicate that cannot read its input wakes: never a lost wakeup. */
	if ((void *)(c + 1) > data_end)
		return 1;
	if ((__u32)(state.tally >> 32) != (__u32)state.seen)
		return 1;
	return exo_pred_batch_due(c, k, t_ns);
}

char LICENSE[] SEC("license") = "GPL";
