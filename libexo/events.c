// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libexo: the event stream (revocation requests, their completion,
 * repossessions), read() from the env fd as an array of struct exo_event.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "exo.h"
#include "libexo_internal.h"

EXO_API int exo_events_read(int fd, struct exo_event *evs, int max,
			    int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int ret;

	if (!evs || max <= 0)
		return libexo_err(-EINVAL);
	if (fd < 0)	/* poll() would just ignore it */
		return libexo_err(-EBADF);
	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return libexo_errno();
	if (ret == 0)
		return 0;
	if (pfd.revents & POLLNVAL)
		return libexo_err(-EBADF);
	n = read(fd, evs, (size_t)max * sizeof(*evs));
	if (n < 0)
		return errno == EAGAIN ? 0 : libexo_errno();
	return n / sizeof(*evs);
}

EXO_API int exo_events_dispatch(int fd, const struct exo_event_ops *ops,
				void *ctx, int timeout_ms)
{
	struct exo_event evs[16];
	int n, i, ret = 0;

	if (!ops)
		return libexo_err(-EINVAL);
	n = exo_events_read(fd, evs, 16, timeout_ms);
	if (n <= 0)
		return n;
	for (i = 0; i < n && !ret; i++) {
		int (*fn)(void *, const struct exo_event *) = NULL;

		switch (evs[i].type) {
		case EXO_EV_REVOKE:
			fn = ops->revoke;
			break;
		case EXO_EV_REVOKE_DONE:
			fn = ops->revoke_done;
			break;
		case EXO_EV_REPOSSESSED:
			fn = ops->repossessed;
			break;
		case EXO_EV_ABORTED:
			fn = ops->aborted;
			break;
		}
		if (fn)
			ret = fn(ctx, &evs[i]);
	}
	return ret < 0 ? libexo_err(ret) : n;
}

/* libexo 0.1 names (exo.h: deprecated names). */
LIBEXO_ALIAS(exo_events__read, exo_events_read)
LIBEXO_ALIAS(exo_events__dispatch, exo_events_dispatch)
