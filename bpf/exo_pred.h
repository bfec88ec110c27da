/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The conditions exo's wakeup predicates share (bpf/pred_batch and
 * bpf/tcp_wake): over the struct exo_wait_ctx at the start of the
 * predicate's data.
 */
#ifndef EXO_BPF_PRED_H
#define EXO_BPF_PRED_H

#include <linux/bpf.h>
#include <linux/exo.h>

/*
 * 1 to wake: an event is queued or frames are owed (revocation cannot
 * wait), @k or more packets wait in the ring, or one has waited @t_ns or
 * longer.
 */
static __always_inline int exo_pred_batch_due(const struct exo_wait_ctx *c,
					      __u32 k, __u64 t_ns)
{
	if (c->events_pending > 0 || c->revoke_owed > 0)
		return 1;
	if (c->rx_pending >= k)
		return 1;
	return c->rx_pending > 0 && c->rx_oldest_ns &&
	       c->now_ns >= c->rx_oldest_ns &&
	       c->now_ns - c->rx_oldest_ns >= t_ns;
}

#endif
