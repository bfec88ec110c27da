// SPDX-License-Identifier: GPL-2.0
/*
 * exo — leases: visible revocation, one engine for every revocable kind
 * (frames, extents; a kind is revocable when its ops carry lease ops).
 *
 * The abort protocol of the MIT exokernel: the kernel asks an env for N
 * units of a kind back by a deadline (EXO_EV_REVOKE), the libOS chooses
 * what to give back, and only at the deadline does the kernel take what
 * is still owed, newest first, telling the env what it took
 * (EXO_EV_REPOSSESSED each, the kind's repossession record, then
 * EXO_EV_ABORTED with the count).  The rules, the same for every kind:
 *
 *  - a request may grow, never be postponed: a new one counts only if it
 *    leaves the env less than the one in progress, and its deadline is
 *    the earlier of the two;
 *  - it is honoured (EXO_EV_REVOKE_DONE) when the env holds no more than
 *    it was told to keep: units taken and given back after the request
 *    do not count;
 *  - deadlines are CLOCK_MONOTONIC nanoseconds, published in the event,
 *    and the abort never runs before the deadline it announced.
 *
 * Every field of a lease is under exo_lock.  The abort runs from the
 * system workqueue; a kind whose taking sleeps (an extent waits for its
 * I/O and commits the table) takes its own lock first (ops->lock), and
 * may drop exo_lock while it takes one unit.
 */
#include <linux/ktime.h>
#include <linux/workqueue.h>

#include "exo_priv.h"
#include "trace.h"

static const struct exo_lease_ops *exo_lease_ops(u32 kind)
{
	return kind < EXO_KIND_MAX && exo_kinds[kind] ? exo_kinds[kind]->lease
						      : NULL;
}

static void exo_lease_post(struct exo_lease *l, u32 type, u64 count,
			   u64 deadline_ns, const struct exo_lease_rec *rec)
{
	struct exo_event ev = {
		.type = type,
		.flags = exo_lease_ops(l->kind)->ev_flags,
		.seq = l->seq,
		.count = count,
		.deadline_ns = deadline_ns,
	};

	if (rec) {
		ev.name = rec->name;	/* .pfn of a frame, .block of an extent */
		ev.cap = rec->cap;
	}
	exo_env_post(l->env, &ev);
}

/* Arm the abort for the lease's deadline (+ 1: never before it). */
static void exo_lease_arm(struct exo_lease *l)
{
	u64 now = ktime_get_ns();

	mod_delayed_work(system_wq, &l->abort_work,
			 nsecs_to_jiffies(l->deadline_ns -
					  min(l->deadline_ns, now)) + 1);
}

/*
 * Ask @env for @count units of @kind back by now + @deadline_ms.  Returns
 * the number asked for (at most what the env holds), 0 if the request
 * changes nothing (none held, the env closing, or no more than the one in
 * progress asks).  exo_lock held.
 */
int exo_lease_request(struct exo_env *env, u32 kind, u64 count,
		      u32 deadline_ms)
{
	const struct exo_lease_ops *ops = exo_lease_ops(kind);
	u64 deadline = ktime_get_ns() + (u64)deadline_ms * NSEC_PER_MSEC;
	struct exo_lease *l = &env->lease[kind];
	u64 held;

	lockdep_assert_held(&exo_lock);
	if (WARN_ON_ONCE(!ops))
		return 0;
	held = ops->held(env);
	count = min(count, held);
	if (env->closed || !count)
		return 0;
	/* A request in progress may grow, never be postponed. */
	if (l->owed) {
		if (held - count >= l->keep)
			return 0;
		deadline = min(deadline, l->deadline_ns);
	}
	l->seq++;
	l->keep = held - count;
	l->owed = count;
	l->deadline_ns = deadline;
	exo_stats.revocations++;
	exo_lease_post(l, EXO_EV_REVOKE, count, deadline, NULL);
	trace_exo_revoke_request(env->id, l->seq, count, deadline_ms);
	/*
	 * Armed for the deadline just published: a new request, or a pending
	 * one this request brought forward (the min() of both: never later).
	 */
	exo_lease_arm(l);
	return count;
}

/*
 * Spread @count units of @kind over every env, in proportion to what each
 * holds.  Returns the number asked for.  exo_lock held.
 */
int exo_lease_request_all(u32 kind, u64 count, u32 deadline_ms)
{
	const struct exo_lease_ops *ops = exo_lease_ops(kind);
	u64 held = 0, asked = 0, h;
	struct exo_env *env;

	lockdep_assert_held(&exo_lock);
	if (WARN_ON_ONCE(!ops))
		return 0;
	list_for_each_entry(env, &exo_envs, node)
		held += ops->held(env);
	if (!held)
		return 0;
	count = min(count, held);	/* and count * h cannot overflow */
	list_for_each_entry(env, &exo_envs, node) {
		h = ops->held(env);
		asked += exo_lease_request(env, kind,
					   DIV_ROUND_UP_ULL(count * h, held),
					   deadline_ms);
	}
	return asked;
}

/*
 * What @env holds of @kind may have changed (a unit given back, or a new
 * one): recount what a request in progress is still owed, and tell the
 * env when it is honoured.  Cheap when no request is in progress.
 * exo_lock held.
 */
void exo_lease_update(struct exo_env *env, u32 kind)
{
	struct exo_lease *l = &env->lease[kind];
	u64 held;

	lockdep_assert_held(&exo_lock);
	if (!l->owed)
		return;
	held = exo_lease_ops(kind)->held(env);
	l->owed = held > l->keep ? held - l->keep : 0;
	if (!l->owed && !l->aborting) {
		exo_stats.revocations_honoured++;
		exo_lease_post(l, EXO_EV_REVOKE_DONE, 0, 0, NULL);
	}
}

/*
 * The deadline passed: take what is still owed, newest first.  Counts
 * the units taken (capabilities killed), not the units back: a frame a
 * NIC ring or an I/O in flight still holds comes back a little later.
 */
static void exo_lease_abort(struct work_struct *work)
{
	struct exo_lease *l = container_of(to_delayed_work(work),
					   struct exo_lease, abort_work);
	const struct exo_lease_ops *ops = exo_lease_ops(l->kind);
	struct exo_env *env = l->env;
	struct exo_lease_rec rec;
	u64 taken = 0, owed;
	u32 pos = U32_MAX;
	int ret;

	if (ops->lock)
		ops->lock();
	mutex_lock(&exo_lock);
	if (env->closed || !l->owed)
		goto out;
	/*
	 * The timer counts jiffies, the deadline was published in ktime:
	 * under emulation they drift.  Never abort before the deadline.
	 */
	if (ktime_get_ns() < l->deadline_ns) {
		exo_lease_arm(l);
		goto out;
	}
	l->aborting = true;
	for (owed = l->owed; owed && !env->closed; owed--) {
		ret = ops->take(env, &pos, &rec);
		if (ret <= 0)
			break;
		if (ops->record)
			ops->record(env, &rec);
		exo_lease_post(l, EXO_EV_REPOSSESSED, 0, 0, &rec);
		taken++;
	}
	l->owed = 0;
	l->aborting = false;
	exo_stats.revocations_aborted++;
	if (!env->closed)
		exo_lease_post(l, EXO_EV_ABORTED, taken, 0, NULL);
	trace_exo_abort(env->id, l->seq, taken);
	exo_env_page_sync(env);
out:
	mutex_unlock(&exo_lock);
	if (ops->unlock)
		ops->unlock();
}

/* A new env: a lease per revocable kind, none in progress. */
void exo_env_leases_init(struct exo_env *env)
{
	u32 k;

	for (k = 0; k < EXO_KIND_MAX; k++) {
		env->lease[k].env = env;
		env->lease[k].kind = k;
		if (exo_lease_ops(k))
			INIT_DELAYED_WORK(&env->lease[k].abort_work,
					  exo_lease_abort);
	}
}

/* The env is closing (closed is set): no abort may run after this. */
void exo_env_leases_stop(struct exo_env *env)
{
	u32 k;

	for (k = 0; k < EXO_KIND_MAX; k++)
		if (exo_lease_ops(k))
			cancel_delayed_work_sync(&env->lease[k].abort_work);
}
