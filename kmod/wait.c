// SPDX-License-Identifier: GPL-2.0
/*
 * exo — wakeups: poll() waiters and wakeup predicates (EXO_IOC_WAIT).
 *
 * Whatever happens to an env (a packet, a transmit, an extent I/O
 * completion, an event queued, a timer tick) goes through exo_env_wake().
 * A WAIT is a task asleep with a *wakeup predicate*, an XDP-type program
 * the kernel runs on each such event over the env's counters and a window
 * onto one of its frames; only a true verdict wakes the task.
 *
 * Locking: waiters sit on env->pred_waiters under env->pred_lock, taken
 * with bottom halves off (events come from softirq).  A window names a
 * frame capability: the wait hangs a use on it under exo_lock, so the
 * capability's death ends the wait (EKEYREVOKED).
 */
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/hrtimer.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/xdp.h>

#include "exo_priv.h"

static struct xdp_rxq_info exo_pred_rxq;	/* predicates' rxq */

/*
 * An event of @reason happened to @env: run its predicate waiters, wake
 * its poll waiters.  Process context or softirq; never hard irq.
 */
void exo_env_wake(struct exo_env *env, u32 reason)
{
	/* EPOLLIN promises read() returns events: packets are RDBAND. */
	__poll_t bits = reason & EXO_WAKE_TX ? EPOLLOUT | EPOLLWRNORM :
			reason & EXO_WAKE_RX ? EPOLLRDBAND :
			EPOLLIN | EPOLLRDNORM;

	/* Pairs with exo_wait_sleep(): the event is published by now. */
	smp_mb();
	if (!list_empty(&env->pred_waiters))
		exo_pred_run_all(env, reason);
	/*
	 * env->wq holds read() and poll() waiters of events and packets: an
	 * I/O completion is neither (only predicates wait for it).
	 */
	if (reason != EXO_WAKE_IO && waitqueue_active(&env->wq))
		__wake_up(&env->wq, TASK_INTERRUPTIBLE, 0,
			  poll_to_key(bits));
}

void exo_env_io_done(struct exo_env *env, u32 n)
{
	atomic64_add(n, &env->io_done);
	exo_env_wake(env, EXO_WAKE_IO);
}

/*
 * A WAIT in progress.  It sits on env->pred_waiters; whoever causes an
 * event evaluates every waiter of the env under env->pred_lock with bottom
 * halves off (the context XDP programs expect; a helper's own
 * local_bh_disable/enable nests), and wakes the task only on a true
 * verdict.  The lock serialises evaluations, so one buffer per waiter
 * suffices, and once the task has taken itself off the list under the
 * lock no one touches the waiter again.
 */
struct exo_waiter {
	struct list_head node;		/* env->pred_waiters */
	struct task_struct *task;
	struct exo_env *env;
	struct bpf_prog *prog;		/* NULL: any event */
	struct exo_nbind *b;		/* rx fields, or NULL */
	struct exo_cap *wcap;		/* the window's capability (exo_lock) */
	struct exo_cap_use use;		/* on wcap: its death ends the wait */
	const void *window;		/* kernel address in the frame */
	u32 window_len;
	u32 evals;
	u32 reason;			/* of the true evaluation */
	int err;			/* the wait ended by a death */
	bool done;
	u8 *buf;			/* headroom, ctx, window, tailroom */
};

#define EXO_PRED_HEADROOM	XDP_PACKET_HEADROOM
#define EXO_PRED_TAILROOM	SKB_DATA_ALIGN(sizeof(struct skb_shared_info))

/* Run the predicate for an event of @reason.  env->pred_lock held. */
static bool exo_pred_eval(struct exo_waiter *w, u32 reason)
{
	struct exo_wait_ctx *ctx = (void *)(w->buf + EXO_PRED_HEADROOM);
	struct exo_env *env = w->env;
	u32 len = sizeof(*ctx) + w->window_len;
	struct xdp_buff xdp = {};
	bool ok;

	lockdep_assert_held(&env->pred_lock);
	w->evals++;
	atomic64_inc(&env->pred_evals);
	if (!w->prog)
		return !(reason & EXO_WAKE_START);
	memset(ctx, 0, sizeof(*ctx));
	ctx->now_ns = ktime_get_ns();
	ctx->reason = reason;
	ctx->events_pending = READ_ONCE(env->ev_count);
	ctx->rx_packets = atomic64_read(&env->nic_rx);
	ctx->tx_packets = atomic64_read(&env->nic_tx);
	ctx->io_completions = atomic64_read(&env->io_done);
	ctx->revoke_owed = READ_ONCE(env->lease[EXO_KIND_FRAME].owed);
	ctx->evals = w->evals;
	if (w->b)
		ctx->rx_pending = exo_nbind_rx_pending(w->b, &ctx->rx_oldest_ns);
	if (w->window_len)
		memcpy(ctx + 1, w->window, w->window_len);
	xdp_init_buff(&xdp, EXO_PRED_HEADROOM + len + EXO_PRED_TAILROOM,
		      &exo_pred_rxq);
	xdp_prepare_buff(&xdp, w->buf, EXO_PRED_HEADROOM, len, false);
	rcu_read_lock();
	ok = bpf_prog_run_xdp(w->prog, &xdp) != 0;
	rcu_read_unlock();
	return ok;
}

/* Settle @w with @reason (and @err); pred_lock held. */
static void exo_pred_fire(struct exo_waiter *w, u32 reason, int err)
{
	w->done = true;
	w->reason = reason;
	w->err = err;
	atomic64_inc(&w->env->pred_wakeups);
	wake_up_process(w->task);
}

/*
 * One event of @reason for @w: settle it if its binding died or its
 * predicate holds.  @wake: the event comes from elsewhere, so the task
 * is woken (and counted); the task's own evaluations just settle it.
 * pred_lock held.  Returns whether @w is settled.
 */
static bool exo_pred_check(struct exo_waiter *w, u32 reason, bool wake)
{
	int err = 0;

	if (w->done)
		return true;
	if (w->b && exo_nbind_dead(w->b)) {
		err = -ENOTCONN;
		reason = 0;
	} else if (!exo_pred_eval(w, reason)) {
		return false;
	}
	if (wake) {
		exo_pred_fire(w, reason, err);
	} else {
		w->done = true;
		w->reason = reason;
		w->err = err;
	}
	return true;
}

void exo_pred_run_all(struct exo_env *env, u32 reason)
{
	struct exo_waiter *w;

	spin_lock_bh(&env->pred_lock);
	list_for_each_entry(w, &env->pred_waiters, node)
		exo_pred_check(w, reason, true);
	spin_unlock_bh(&env->pred_lock);
}

/* The window frame's capability dies: end the wait (exo_lock held). */
static void exo_wait_cap_dies(struct exo_cap_use *use)
{
	struct exo_waiter *w = container_of(use, struct exo_waiter, use);

	lockdep_assert_held(&exo_lock);
	w->wcap = NULL;
	spin_lock_bh(&w->env->pred_lock);
	if (!w->done)
		exo_pred_fire(w, 0, -EKEYREVOKED);
	spin_unlock_bh(&w->env->pred_lock);
}

/* A frame is the window of one WAIT at a time. */
static const struct exo_use_ops exo_wait_use = {
	.dies = exo_wait_cap_dies,
};

/* Evaluate from the waiting task itself (start, timer). */
static bool exo_pred_eval_self(struct exo_waiter *w, u32 reason)
{
	struct exo_env *env = w->env;
	bool done;

	spin_lock_bh(&env->pred_lock);
	done = exo_pred_check(w, reason, false);
	spin_unlock_bh(&env->pred_lock);
	return done;
}

static int exo_wait_sleep(struct exo_waiter *w, u64 timeout_ns, u64 tick_ns)
{
	struct exo_env *env = w->env;
	u64 start = ktime_get_ns(), next_tick = U64_MAX, deadline = U64_MAX;
	int ret = 0;

	/* Both bounded at entry: no sum below wraps. */
	if (timeout_ns)
		deadline = start + timeout_ns;
	if (tick_ns)
		next_tick = start + tick_ns;
	spin_lock_bh(&env->pred_lock);
	list_add_tail(&w->node, &env->pred_waiters);
	spin_unlock_bh(&env->pred_lock);
	/* Pairs with exo_env_wake(): an event either sees us or we see it. */
	smp_mb();
	if (exo_pred_eval_self(w, EXO_WAKE_START))
		goto out;
	for (;;) {
		ktime_t until;
		u64 now;

		set_current_state(TASK_INTERRUPTIBLE);
		if (READ_ONCE(w->done))
			break;
		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		now = ktime_get_ns();
		if (now >= deadline) {
			ret = -ETIME;
			break;
		}
		if (now >= next_tick) {
			__set_current_state(TASK_RUNNING);
			next_tick += ((now - next_tick) / tick_ns + 1) * tick_ns;
			if (exo_pred_eval_self(w, EXO_WAKE_TIMER))
				break;
			continue;
		}
		if (deadline == U64_MAX && next_tick == U64_MAX) {
			schedule();
			continue;
		}
		until = ns_to_ktime(min(deadline, next_tick));
		schedule_hrtimeout_range_clock(&until, 0, HRTIMER_MODE_ABS,
					       CLOCK_MONOTONIC);
	}
	__set_current_state(TASK_RUNNING);
out:
	spin_lock_bh(&env->pred_lock);
	list_del(&w->node);
	spin_unlock_bh(&env->pred_lock);
	if (w->done && w->err)
		ret = w->err;
	else if (w->done)
		ret = 0;	/* true just as the time ran out: still true */
	return ret;
}

int exo_ioc_wait(struct exo_env *env, void *arg)
{
	struct exo_wait *wt = arg;
	struct exo_waiter w = { .env = env, .task = current };
	struct exo_obj *frame = NULL;
	u64 pfn;
	int ret;

	if ((wt->flags & ~EXO_WAIT_TX) || wt->__reserved || wt->prog_fd < -1)
		return -EINVAL;
	if ((wt->flags & EXO_WAIT_TX) && !wt->flow)
		return -EINVAL;
	if (wt->window_len > EXO_WAIT_WINDOW_MAX ||
	    (u64)wt->window_off + wt->window_len > PAGE_SIZE ||
	    (!wt->window && (wt->window_len || wt->window_off)))
		return -EINVAL;
	if (wt->prog_fd == -1 && (wt->window || wt->tick_ns))
		return -EINVAL;
	if (wt->timeout_ns > EXO_WAIT_MAX_NS || wt->tick_ns > EXO_WAIT_MAX_NS ||
	    (wt->tick_ns && wt->tick_ns < EXO_WAIT_MIN_TICK_NS))
		return -EINVAL;
	if (wt->flags & EXO_WAIT_TX) {
		ret = exo_nic_tx_flow(env, wt->flow);
		if (ret)
			return ret;
	}
	w.buf = kzalloc(EXO_PRED_HEADROOM + sizeof(struct exo_wait_ctx) +
			wt->window_len + EXO_PRED_TAILROOM, GFP_KERNEL);
	if (!w.buf)
		return -ENOMEM;
	if (wt->prog_fd >= 0) {
		w.prog = exo_xdp_prog_get(wt->prog_fd);
		if (IS_ERR(w.prog)) {
			ret = PTR_ERR(w.prog);
			w.prog = NULL;
			goto out;
		}
	}
	if (wt->window) {
		struct exo_cap *wcap;

		mutex_lock(&exo_lock);
		ret = exo_cap_get(env, wt->window, EXO_KIND_FRAME,
				  EXO_RIGHT_READ, &wcap);
		if (!ret && exo_cap_find_use(wcap, &exo_wait_use))
			ret = -EBUSY;
		if (!ret) {
			/* The frame stays out of the pool while we read it. */
			frame = wcap->obj;
			kref_get(&frame->ref);
			pfn = exo_frame_pfn(frame);
			exo_cap_use_add(wcap, &w.use, &exo_wait_use);
			w.wcap = wcap;
		}
		mutex_unlock(&exo_lock);
		if (ret)
			goto out;
		w.window = page_address(pfn_to_page(pfn)) + wt->window_off;
		w.window_len = wt->window_len;
	}
	if (wt->flow) {
		ret = exo_nbind_get(env, wt->flow, EXO_RIGHT_READ, &w.b);
		if (ret)
			goto out;
	}
	ret = exo_wait_sleep(&w, wt->timeout_ns, wt->tick_ns);
	wt->evals = w.evals;
	wt->reason = w.reason;
	if (!ret && w.b && (w.reason & EXO_WAKE_RX))
		exo_nbind_count_wakeup(w.b);
out:
	if (w.wcap || frame) {
		mutex_lock(&exo_lock);
		if (w.wcap)
			list_del_init(&w.use.node);
		mutex_unlock(&exo_lock);
	}
	if (w.b)
		exo_nbind_put(w.b);
	if (frame)
		exo_obj_put_unlocked(frame);
	if (w.prog)
		bpf_prog_put(w.prog);
	kfree(w.buf);
	return ret;
}

void exo_wait_init(void)
{
	exo_pred_rxq.dev = init_net.loopback_dev;
	exo_pred_rxq.mem.type = MEM_TYPE_PAGE_SHARED;
}
