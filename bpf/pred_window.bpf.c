// SPDX-License-Identifier: GPL-2.0
/*
 * pred_window — an exo wakeup predicate (EXO_IOC_WAIT): wake when the
 * first __u64 of the window (a counter in one of the env's frames, e.g.
 * bumped by another process sharing the frame) reaches @v.
 *
 * The data is a struct exo_wait_ctx, then the window.  Returns 1 to wake,
 * 0 to sleep on.  libexo: exo_bpf_pred_window(v).
 */
#include <linux/bpf.h>
#include <linux/exo.h>
#include <bpf/bpf_helpers.h>

const volatile __u64 v = 0;

SEC("xdp")
int pred_window(struct xdp_md *xdp)
{
	void *data = (void *)(long)xdp->data;
	void *data_end = (void *)(long)xdp->data_end;
	__u8 *win = data + sizeof(struct exo_wait_ctx);
	__u64 val;

	/* No window to read: wake, so that the caller sees its mistake. */
	if ((void *)(win + sizeof(val)) > data_end)
		return 1;
	__builtin_memcpy(&val, win, sizeof(val));
	return val >= v;
}

char LICENSE[] SEC("license") = "GPL";
