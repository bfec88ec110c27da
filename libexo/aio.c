// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libexo: asynchronous extent I/O over liburing.
 *
 * An exo_aio is an io_uring (IORING_SETUP_SQE128, so one SQE carries one
 * struct exo_extent_iovec) plus a table of callbacks indexed by user_data.
 * Queue many requests, submit them with one system call, reap completions:
 * each runs its callback with the request's status (0 or -errno).  Not
 * thread-safe: one exo_aio per thread.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <liburing.h>

#include "exo.h"
#include "libexo_internal.h"

struct exo_aio_slot {
	exo_aio_cb cb;
	void *ctx;
};

struct exo_aio {
	struct io_uring ring;
	int fd;
	unsigned int depth;
	unsigned int busy;		/* queued or in flight */
	unsigned int nfree;
	unsigned int *free;		/* free slot indices */
	struct exo_aio_slot *slots;
};

EXO_API struct exo_aio *exo_aio__new(int fd, unsigned int depth)
{
	struct exo_aio *aio;
	unsigned int i;
	int ret;

	if (fd < 0 || !depth || depth > 4096) {
		libexo_err(-EINVAL);
		return NULL;
	}
	aio = calloc(1, sizeof(*aio));
	if (!aio) {
		libexo_err(-ENOMEM);
		return NULL;
	}
	aio->slots = calloc(depth, sizeof(*aio->slots));
	aio->free = calloc(depth, sizeof(*aio->free));
	if (!aio->slots || !aio->free) {
		ret = -ENOMEM;
		goto err;
	}
	ret = io_uring_queue_init(depth, &aio->ring, IORING_SETUP_SQE128);
	if (ret)
		goto err;
	aio->fd = fd;
	aio->depth = depth;
	for (i = 0; i < depth; i++)
		aio->free[i] = depth - 1 - i;
	aio->nfree = depth;
	return aio;
err:
	free(aio->slots);
	free(aio->free);
	free(aio);
	libexo_err(ret);
	return NULL;
}

EXO_API void exo_aio__free(struct exo_aio *aio)
{
	if (!aio)
		return;
	io_uring_queue_exit(&aio->ring);
	free(aio->slots);
	free(aio->free);
	free(aio);
}

static int queue(struct exo_aio *aio, const struct exo_extent_iovec *v,
		 exo_aio_cb cb, void *ctx)
{
	struct io_uring_sqe *sqe;
	unsigned int slot;

	if (!aio)
		return libexo_err(-EINVAL);
	if (!aio->nfree)
		return libexo_err(-EBUSY);
	sqe = io_uring_get_sqe(&aio->ring);
	if (!sqe)
		return libexo_err(-EBUSY);
	if (v)
		exo_extent_prep_io(sqe, aio->fd, v);
	else
		exo_extent_prep_flush(sqe, aio->fd);
	slot = aio->free[--aio->nfree];
	aio->slots[slot].cb = cb;
	aio->slots[slot].ctx = ctx;
	sqe->user_data = slot;
	aio->busy++;
	return 0;
}

EXO_API int exo_aio__queue(struct exo_aio *aio,
			   const struct exo_extent_iovec *v, exo_aio_cb cb,
			   void *ctx)
{
	if (!v)
		return libexo_err(-EINVAL);
	return queue(aio, v, cb, ctx);
}

EXO_API int exo_aio__queue_flush(struct exo_aio *aio, exo_aio_cb cb,
				 void *ctx)
{
	return queue(aio, NULL, cb, ctx);
}

EXO_API int exo_aio__submit(struct exo_aio *aio)
{
	int ret;

	if (!aio)
		return libexo_err(-EINVAL);
	ret = io_uring_submit(&aio->ring);
	return ret < 0 ? libexo_err(ret) : ret;
}

EXO_API int exo_aio__reap(struct exo_aio *aio, unsigned int min)
{
	struct io_uring_cqe *cqe;
	unsigned int n = 0, slot;
	int ret;

	if (!aio || min > aio->busy)
		return libexo_err(-EINVAL);
	for (;;) {
		/* liburing returns -errno; it does not set errno. */
		ret = n < min ? io_uring_submit_and_wait(&aio->ring, 1) : 0;
		if (ret >= 0)
			ret = io_uring_peek_cqe(&aio->ring, &cqe);
		if (ret == -EAGAIN && n >= min)
			break;
		if (ret == -EAGAIN || ret == -EINTR)
			continue;
		if (ret < 0)
			return libexo_err(ret);
		slot = cqe->user_data;
		ret = cqe->res;
		io_uring_cqe_seen(&aio->ring, cqe);
		if (slot >= aio->depth)
			continue;	/* not ours */
		aio->free[aio->nfree++] = slot;
		aio->busy--;
		n++;
		if (aio->slots[slot].cb)
			aio->slots[slot].cb(aio->slots[slot].ctx, ret);
	}
	return n;
}

EXO_API unsigned int exo_aio__busy(const struct exo_aio *aio)
{
	return aio ? aio->busy : 0;
}
