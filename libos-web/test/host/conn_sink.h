/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * conn_sink.h — a transport for http_conn in the host tests: it collects
 * what the connection writes, and can be made to take only so many bytes
 * (a full send buffer) to drive the partial-write paths.
 */
#ifndef LIBOS_WEB_CONN_SINK_H
#define LIBOS_WEB_CONN_SINK_H

#include <stdlib.h>
#include <string.h>

#include "http.h"

struct sink {
	char *buf;
	size_t len, cap;
	size_t budget;		/* bytes it will still take (SIZE_MAX: any) */
	size_t per_call;	/* at most this per write() (0: any) */
	bool refs_full;		/* write_ref() takes nothing (no queue entry) */
	long refs, copies;	/* write_ref / write calls that took bytes */
	bool shut;
};

static void sink_put(struct sink *s, const void *p, size_t n)
{
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->buf = realloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->budget -= s->budget == SIZE_MAX ? 0 : (n < s->budget ? n : s->budget);
}

static long sink_write(void *ctx, const void *p, size_t len, bool more)
{
	struct sink *s = ctx;
	size_t n = len < s->budget ? len : s->budget;

	(void)more;
	if (s->per_call && n > s->per_call)
		n = s->per_call;
	if (s->shut)
		return -32;			/* -EPIPE */
	if (n) {
		sink_put(s, p, n);
		s->copies++;
	}
	return (long)n;
}

static long sink_write_ref(void *ctx, struct http_file *f, uint64_t off,
			   size_t len, bool more)
{
	struct sink *s = ctx;

	(void)more;
	if (s->shut)
		return -32;
	if (s->refs_full)
		return 0;
	sink_put(s, f->data + off, len);
	s->refs++;
	return (long)len;
}

static void sink_shutdown(void *ctx)
{
	((struct sink *)ctx)->shut = true;
}

static void sink_init(struct sink *s, struct http_io *io)
{
	memset(s, 0, sizeof(*s));
	s->budget = SIZE_MAX;
	io->ctx = s;
	io->write = sink_write;
	io->write_ref = sink_write_ref;
	io->shutdown = sink_shutdown;
}

/* Feed @n bytes of @p into @c, as much as it takes; returns bytes taken. */
static size_t conn_feed(struct http_conn *c, const void *p, size_t n)
{
	char *dst;
	size_t room = http_conn_in_space(c, &dst);

	if (n > room)
		n = room;
	memcpy(dst, p, n);
	http_conn_received(c, n);
	return n;
}

#endif /* LIBOS_WEB_CONN_SINK_H */
