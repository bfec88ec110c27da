// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * conn.c — one HTTP connection, whatever carries it.
 *
 * The connection owns one input buffer of HTTP_IN_MAX bytes and answers
 * the requests in it one at a time, in order (RFC 9112 9.3.2: pipelined
 * requests get their responses in the order received).  While a response
 * is being handed to the transport, later requests wait in the buffer;
 * when the buffer is full the server stops reading and TCP's window closes
 * on the client: the memory a connection can make the server hold is
 * bounded by the buffer, whatever the client sends.
 *
 * A response is a head copied to the transport and a body handed over by
 * reference to the file cache (HTTP_OPT_ZEROCOPY) or copied.  The
 * transport may take less than offered; the connection remembers how far
 * it got and goes on at the next http_conn_run().
 *
 * Request bodies (a GET may carry one) are read and thrown away, counted
 * by Content-Length; a chunked body is not parsed: such a request is
 * answered with "Connection: close" (RFC 9112 9.6), which keeps a body
 * from being taken for the next request.
 *
 * After the last response the connection shuts its side (FIN after the
 * data) and keeps reading and discarding until the peer closes: closing
 * with unread input would send RST, which can destroy the response still
 * in flight at the client (nginx's lingering close).
 */
#include <errno.h>
#include <string.h>

#include "http.h"

void http_conn_init(struct http_conn *c, uint64_t now_ms)
{
	memset(c, 0, offsetof(struct http_conn, in));
	c->phase = HC_READ;
	http_parser_init(&c->p);
	c->since_ms = now_ms;
}

size_t http_conn_in_space(struct http_conn *c, char **p)
{
	if (c->phase == HC_CLOSING)
		c->in_len = 0;			/* everything is discarded */
	*p = c->in + c->in_len;
	return HTTP_IN_MAX - c->in_len;
}

/* Drop @n bytes from the front of the buffer. */
static void consume(struct http_conn *c, size_t n)
{
	if (n >= c->in_len) {
		c->in_len = 0;
		return;
	}
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= (uint32_t)n;
}

/* A request body at the front of the buffer is thrown away. */
static void discard_body(struct http_conn *c)
{
	size_t n = c->body_left < c->in_len ? (size_t)c->body_left : c->in_len;

	consume(c, n);
	c->body_left -= n;
}

void http_conn_received(struct http_conn *c, size_t n)
{
	if (n > HTTP_IN_MAX - c->in_len)	/* a transport bug */
		n = HTTP_IN_MAX - c->in_len;
	c->in_len += (uint32_t)n;
	if (c->phase == HC_CLOSING)
		c->in_len = 0;
	else if (c->body_left)
		discard_body(c);
}

void http_conn_eof(struct http_conn *c)
{
	c->eof = true;
}

/* Hand the rest of c->resp to the transport: 1 done, 0 full, -errno. */
static int send_resp(struct http_conn *c, struct http_server_ctx *ctx,
		     const struct http_io *io, uint64_t now_ms)
{
	struct http_resp *r = &c->resp;
	long n;

	while (c->hdr_sent < r->hdr_len) {
		n = io->write(io->ctx, r->hdr + c->hdr_sent,
			      r->hdr_len - c->hdr_sent, r->body_len != 0);
		if (n <= 0)
			return (int)n;
		c->hdr_sent += (uint64_t)n;
		c->since_ms = now_ms;
	}
	while (c->body_sent < r->body_len) {
		uint64_t left = r->body_len - c->body_sent;
		size_t len = left > (UINT64_C(1) << 24) ? (size_t)1 << 24 :
							   (size_t)left;
		bool more = len < left;

		if (io->write_ref && (ctx->opts & HTTP_OPT_ZEROCOPY))
			n = io->write_ref(io->ctx, r->file,
					  r->body_off + c->body_sent, len, more);
		else
			n = io->write(io->ctx,
				      r->file->data + r->body_off + c->body_sent,
				      len, more);
		if (n <= 0)
			return (int)n;
		c->body_sent += (uint64_t)n;
		c->since_ms = now_ms;
	}
	return 1;
}

/* RFC 9110 10.1.1: the interim 100 before the final response. */
static void prepend_continue(struct http_server_ctx *ctx, struct http_resp *r)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	size_t n = sizeof(cont) - 1;

	if (r->hdr_len + n > sizeof(r->hdr))
		return;
	memmove(r->hdr + n, r->hdr, r->hdr_len);
	memcpy(r->hdr, cont, n);
	r->hdr_len = (uint16_t)(r->hdr_len + n);
	r->hdr_sum = (ctx->opts & HTTP_OPT_CSUM) ?
			     http_csum(r->hdr, r->hdr_len, 0) : 0;
}

/* Parse what is buffered; build the next response.  true if one is ready. */
static bool next_request(struct http_conn *c, struct http_server_ctx *ctx,
			 uint64_t now_ms)
{
	enum http_parse_result res;
	struct http_req *q = &c->p.req;

	if (c->in_len == 0)
		return false;
	if (!c->started) {
		c->started = true;		/* the 408 clock starts */
		c->since_ms = now_ms;
	}
	res = http_parse(&c->p, c->in, c->in_len);
	if (res == HTTP_PARSE_AGAIN)
		return false;
	http_respond(ctx, q, c->in, &c->resp);
	if (res == HTTP_PARSE_ERROR)
		c->resp.close = true;
	if (q->expect_continue && q->major == 1 && q->minor >= 1 &&
	    (q->content_length > 0 || q->chunked) && !c->resp.close)
		prepend_continue(ctx, &c->resp);
	if (res == HTTP_PARSE_DONE) {
		consume(c, q->length);
		c->body_left = q->content_length > 0 ?
				       (uint64_t)q->content_length : 0;
		discard_body(c);
	}
	http_parser_init(&c->p);
	c->started = false;
	c->hdr_sent = c->body_sent = 0;
	c->phase = HC_WRITE;
	c->since_ms = now_ms;
	return true;
}

int http_conn_run(struct http_conn *c, struct http_server_ctx *ctx,
		  const struct http_io *io, uint64_t now_ms)
{
	int ret;

	for (;;) {
		switch (c->phase) {
		case HC_READ:
			if (c->body_left == 0 && next_request(c, ctx, now_ms))
				break;
			if (!c->eof)
				return 1;		/* wait for input */
			/* the peer is gone before a (whole) request */
			io->shutdown(io->ctx);
			c->phase = HC_CLOSING;
			c->since_ms = now_ms;
			return 0;

		case HC_WRITE:
			ret = send_resp(c, ctx, io, now_ms);
			if (ret <= 0)
				return ret == 0 ? 1 : ret;
			c->requests++;
			if (c->resp.close) {
				io->shutdown(io->ctx);
				c->phase = HC_CLOSING;
				c->in_len = 0;
				c->since_ms = now_ms;
				return 0;
			}
			c->phase = HC_READ;
			c->since_ms = now_ms;
			break;

		case HC_CLOSING:
			return 0;
		}
	}
}

bool http_conn_timeout(struct http_conn *c, struct http_server_ctx *ctx,
		       const struct http_timeouts *t, uint64_t now_ms)
{
	uint64_t waited = now_ms - c->since_ms;

	switch (c->phase) {
	case HC_READ:
		if (!c->started && c->body_left == 0)
			return waited >= t->idle_ms;	/* silently, as nginx */
		if (waited < t->header_ms)
			return false;
		/* RFC 9110 15.5.9: 408, and close */
		http_respond_error(ctx, 408, true, false, &c->resp);
		http_parser_init(&c->p);
		c->started = false;
		c->body_left = 0;
		c->in_len = 0;
		c->hdr_sent = c->body_sent = 0;
		c->phase = HC_WRITE;
		c->since_ms = now_ms;
		return false;
	case HC_WRITE:
		return waited >= t->send_ms;
	case HC_CLOSING:
		return waited >= (c->draining ? t->send_ms : t->linger_ms);
	}
	return true;
}

void http_conn_closing(struct http_conn *c, bool fin_acked, bool progress,
		       uint64_t now_ms)
{
	if (c->phase != HC_CLOSING)
		return;
	if (!fin_acked) {
		c->draining = true;
		if (progress)
			c->since_ms = now_ms;
	} else if (c->draining) {
		c->draining = false;	/* the client has it all: linger */
		c->since_ms = now_ms;
	}
}
