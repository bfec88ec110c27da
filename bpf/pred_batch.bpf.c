// SPDX-License-Identifier: GPL-2.0
/*
 * pred_batch — an exo wakeup predicate (EXO_IOC_WAIT): wake the libOS
 * when a batch is worth the context switch,
 *   - @k or more packets wait in the flow's receive ring, or
 *   - some packet has waited @t_ns or longer (latency bound), or
 *   - an event is queued or frames are owed (revocation cannot wait).
 *
 * The data is a struct exo_wait_ctx (then the window, unused here).
 * Returns 1 to wake, 0 to sleep on.  libexo: exo_bpf_pred_batch(k, t_ns).
 */
#include <linux/bpf.h>
#include <linux/exo.h>
#include <bpf/bpf_helpers.h>

#include "exo_pred.h"

const volatile __u32 k = 1;
const volatile __u64 t_ns = 0;

SEC("xdp")
int pred_batch(struct xdp_md *xdp)
{
	void *data = (void *)(long)xdp->data;
	void *data_end = (void *)(long)xdp->data_end;
	struct exo_wait_ctx *c = data;

	/* A predicate that cannot read its input wakes: never a lost wakeup. */
	if ((void *)(c + 1) > data_end)
		return 1;
	return exo_pred_batch_due(c, k, t_ns);
}

char LICENSE[] SEC("license") = "GPL";
