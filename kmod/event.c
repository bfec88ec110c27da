// SPDX-License-Identifier: GPL-2.0
/*
 * exo — the env's event queue: revocation requests, repossessions and
 * their outcomes, read() from the env's fd and poll()ed.
 *
 * A ring of EXO_EV_RING events under exo_lock.  When it is full the oldest
 * event is dropped and the next one read carries EXO_EVF_LOST; a read whose
 * buffer faults puts its events back in front, so nothing is lost that way.
 */
#include <linux/poll.h>
#include <linux/uaccess.h>

#include "exo_priv.h"

void exo_env_post(struct exo_env *env, const struct exo_event *ev)
{
	struct exo_event *slot;

	lockdep_assert_held(&exo_lock);
	if (env->ev_count == EXO_EV_RING) {
		/* Drop the oldest; the next one read says so. */
		env->ev_head = (env->ev_head + 1) % EXO_EV_RING;
		env->ev_count--;
		env->ev_lost = true;
	}
	slot = &env->events[(env->ev_head + env->ev_count) % EXO_EV_RING];
	*slot = *ev;
	env->ev_count++;
	exo_env_page_sync(env);
	exo_env_wake(env, EXO_WAKE_EVENT);
}

ssize_t exo_read(struct file *file, char __user *buf, size_t len,
		 loff_t *ppos)
{
	struct exo_env *env = file->private_data;
	struct exo_event evs[8];
	u32 n, i;
	int ret;

	if (len < sizeof(evs[0]))
		return -EINVAL;
	for (;;) {
		mutex_lock(&exo_lock);
		n = min3((u32)(len / sizeof(evs[0])), (u32)ARRAY_SIZE(evs),
			 env->ev_count);
		for (i = 0; i < n; i++) {
			evs[i] = env->events[env->ev_head];
			env->ev_head = (env->ev_head + 1) % EXO_EV_RING;
		}
		env->ev_count -= n;
		if (n && env->ev_lost) {
			evs[0].flags |= EXO_EVF_LOST;
			env->ev_lost = false;
		}
		if (n)
			exo_env_page_sync(env);
		mutex_unlock(&exo_lock);
		if (n)
			break;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(env->wq, READ_ONCE(env->ev_count));
		if (ret)
			return ret;
	}
	if (copy_to_user(buf, evs, n * sizeof(evs[0]))) {
		/* Put them back in front, so a bad buffer loses nothing. */
		mutex_lock(&exo_lock);
		while (n--) {
			if (env->ev_count == EXO_EV_RING) {
				env->ev_lost = true;
				continue;
			}
			env->ev_head = (env->ev_head + EXO_EV_RING - 1) %
				       EXO_EV_RING;
			env->events[env->ev_head] = evs[n];
			env->ev_count++;
		}
		exo_env_page_sync(env);
		mutex_unlock(&exo_lock);
		return -EFAULT;
	}
	return n * sizeof(evs[0]);
}

__poll_t exo_poll(struct file *file, struct poll_table_struct *wait)
{
	struct exo_env *env = file->private_data;

	__poll_t mask = 0;

	poll_wait(file, &env->wq, wait);
	if (READ_ONCE(env->ev_count))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (exo_env_rx_ready(env))
		mask |= EPOLLRDBAND;	/* not EPOLLIN: read() returns events */
	return mask;
}

