// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * test_conn — one connection end to end over a collecting transport:
 * keep-alive, pipelining (answers in order), requests arriving a byte at a
 * time, a transport that takes a few bytes at a time, bodies discarded,
 * errors closing, end of input, 100-continue, the time limits (408, idle,
 * send, linger), and the input bound.
 */
#include "http.h"
#include "tap.h"
#include "docroot.h"
#include "conn_sink.h"

static struct http_cache cache;
static struct http_server_ctx ctx;
static struct http_conn conn;
static struct sink sink;
static struct http_io io;

static void reset(void)
{
	free(sink.buf);
	sink_init(&sink, &io);
	http_conn_init(&conn, 0);
}

/* Count responses and check their order by status line. */
static int count(const char *s, size_t len, const char *what)
{
	int n = 0;

	for (const char *p = s; (p = memmem(p, len - (size_t)(p - s), what,
					    strlen(what))); p++)
		n++;
	return n;
}

/* The response the whole server would give to one /index.html GET. */
static const char *expect_index(bool close)
{
	static char buf[2][512];
	int n = http_format_head(buf[close], sizeof(buf[close]), 200, ctx.date,
				 http_cache_lookup(&cache, "/index.html", 11),
				 "text/html", 6, close, NULL, NULL);

	memcpy(buf[close] + n, "hello\n", 7);
	return buf[close];
}

static void test_one(void)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	int ret;

	reset();
	conn_feed(&conn, req, sizeof(req) - 1);
	ret = http_conn_run(&conn, &ctx, &io, 1);
	tap_eq(ret, 1, "keep-alive: the connection goes on");
	tap_ok(sink.len == strlen(expect_index(false)) &&
	       !memcmp(sink.buf, expect_index(false), sink.len),
	       "head and body, byte for byte");
	tap_ok(conn.phase == HC_READ && conn.in_len == 0 && !sink.shut,
	       "back to reading, nothing left over");
	tap_eq(sink.refs, 1, "the body went by reference");

	reset();
	ctx.opts &= ~HTTP_OPT_ZEROCOPY;
	conn_feed(&conn, req, sizeof(req) - 1);
	http_conn_run(&conn, &ctx, &io, 1);
	tap_ok(sink.refs == 0 && sink.len == strlen(expect_index(false)) &&
	       !memcmp(sink.buf, expect_index(false), sink.len),
	       "without zero copy: the same bytes, copied");
	ctx.opts |= HTTP_OPT_ZEROCOPY;
}

static void test_pipelined(void)
{
	static const char reqs[] =
		"GET /dir/ HTTP/1.1\r\nHost: a\r\n\r\n"
		"GET /nope HTTP/1.1\r\nHost: a\r\n\r\n"
		"HEAD /a.bin HTTP/1.1\r\nHost: a\r\n\r\n"
		"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
		"GET /never HTTP/1.1\r\nHost: a\r\n\r\n";
	const char *p1, *p2, *p3, *p4;
	int ret;

	reset();
	conn_feed(&conn, reqs, sizeof(reqs) - 1);
	ret = http_conn_run(&conn, &ctx, &io, 1);
	tap_eq(ret, 0, "pipelined: ends after the Connection: close one");
	tap_ok(sink.shut, "and shuts down");
	sink_put(&sink, "", 1);		/* NUL-terminate for strstr */
	p1 = strstr(sink.buf, "HTTP/1.1 200 OK");
	p2 = strstr(sink.buf, "HTTP/1.1 404 Not Found");
	p3 = p2 ? strstr(p2, "HTTP/1.1 200 OK") : NULL;
	p4 = p3 ? strstr(p3 + 1, "HTTP/1.1 200 OK") : NULL;
	tap_ok(p1 && p2 && p3 && p4 && p1 < p2 && p2 < p3 && p3 < p4,
	       "four answers in the order asked");
	tap_ok(p1 && strstr(p1, "\r\n\r\nsub\n") == strstr(p1, "\r\n\r\n"),
	       "the first carries /dir/index.html");
	tap_ok(p3 && strstr(p3, "Content-Length: 1000") && p4 &&
	       !memcmp(strstr(p3, "\r\n\r\n") + 4, "HTTP/1.1", 8),
	       "the HEAD answer has no body");
	tap_eq(count(sink.buf, sink.len, "HTTP/1.1 "), 4,
	       "nothing after the close (the fifth is not answered)");
}

static void test_bytewise(void)
{
	static const char reqs[] =
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
		"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	char want[1024];
	size_t wlen;

	strcpy(want, expect_index(false));
	strcat(want, expect_index(true));
	wlen = strlen(want);
	reset();
	for (size_t i = 0; i < sizeof(reqs) - 1; i++) {
		conn_feed(&conn, reqs + i, 1);
		http_conn_run(&conn, &ctx, &io, 1);
	}
	tap_ok(sink.len == wlen && !memcmp(sink.buf, want, wlen),
	       "two requests a byte at a time: the same two answers");

	/* and a transport that takes 7 bytes at a time, then nothing */
	reset();
	sink.per_call = 7;
	sink.budget = 0;
	conn_feed(&conn, reqs, sizeof(reqs) - 1);
	for (int i = 0; i < 1000 && !sink.shut; i++) {
		sink.budget = 13;
		http_conn_run(&conn, &ctx, &io, 1);
	}
	tap_ok(sink.len == wlen && !memcmp(sink.buf, want, wlen),
	       "a transport taking 7 bytes at a time: the same bytes");
}

static void test_big(void)
{
	static const char req[] = "GET /big.dat HTTP/1.0\r\n\r\n";
	struct http_file *f = http_cache_lookup(&cache, "/big.dat", 8);
	const char *body;

	for (int zc = 0; zc < 2; zc++) {
		int calls = 0;

		reset();
		if (!zc)
			ctx.opts &= ~HTTP_OPT_ZEROCOPY;
		conn_feed(&conn, req, sizeof(req) - 1);
		while (!sink.shut && calls++ < 100000) {
			sink.budget = 65536;	/* a send buffer's worth */
			if (http_conn_run(&conn, &ctx, &io, 1) < 0)
				break;
		}
		ctx.opts |= HTTP_OPT_ZEROCOPY;
		body = memmem(sink.buf, sink.len, "\r\n\r\n", 4);
		tap_ok(body && sink.len - (size_t)(body + 4 - sink.buf) == f->size &&
		       !memcmp(body + 4, f->data, f->size),
		       "1 MiB + 1 body, byte for byte, %s",
		       zc ? "by reference" : "copied 64 KiB at a time");
		tap_ok(zc ? sink.refs == 1 : sink.copies > 16,
		       "%s", zc ? "in one reference" : "in many copies");
	}
}

static void test_bodies(void)
{
	static const char req[] =
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
		"abcde"
		"GET /dir/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	static const char cont[] =
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
		"Expect: 100-continue\r\n\r\n";

	reset();
	conn_feed(&conn, req, sizeof(req) - 1);
	http_conn_run(&conn, &ctx, &io, 1);
	tap_eq(count(sink.buf, sink.len, "HTTP/1.1 200 OK"), 2,
	       "a body is skipped: two answers");
	tap_ok(memmem(sink.buf, sink.len, "sub\n", 4) != NULL,
	       "the second answer is the request after the body");

	/* the body arrives a byte at a time, after the answer */
	reset();
	conn_feed(&conn, req, 50);
	http_conn_run(&conn, &ctx, &io, 1);
	for (size_t i = 50; i < sizeof(req) - 1; i++) {
		conn_feed(&conn, req + i, 1);
		http_conn_run(&conn, &ctx, &io, 1);
	}
	tap_eq(count(sink.buf, sink.len, "HTTP/1.1 200 OK"), 2,
	       "a body in single bytes is skipped too");

	reset();
	conn_feed(&conn, cont, sizeof(cont) - 1);
	http_conn_run(&conn, &ctx, &io, 1);
	tap_ok(sink.len > 25 &&
	       !memcmp(sink.buf, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK", 40),
	       "Expect: 100-continue: 100, then the answer");
}

static void test_errors(void)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
				  "GARBAGE\x01\r\n\r\n"
				  "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	int ret;

	reset();
	conn_feed(&conn, req, sizeof(req) - 1);
	ret = http_conn_run(&conn, &ctx, &io, 1);
	tap_eq(ret, 0, "a malformed request ends the connection");
	tap_ok(count(sink.buf, sink.len, "HTTP/1.1 200") == 1 &&
	       count(sink.buf, sink.len, "HTTP/1.1 400 Bad Request") == 1 &&
	       sink.shut, "200, then 400, then shutdown; nothing after");
	tap_ok(memmem(sink.buf, sink.len, "Connection: close", 17) != NULL,
	       "the 400 says Connection: close");

	/* in HC_CLOSING input is read and thrown away */
	{
		char *p;
		size_t room = http_conn_in_space(&conn, &p);

		tap_eq(room, HTTP_IN_MAX, "closing: all input is discarded");
	}
}

static void test_eof(void)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTT";
	int ret;

	reset();
	conn_feed(&conn, req, sizeof(req) - 1);
	http_conn_eof(&conn);
	ret = http_conn_run(&conn, &ctx, &io, 1);
	tap_ok(ret == 0 && sink.shut &&
	       count(sink.buf, sink.len, "HTTP/1.1 200 OK") == 1,
	       "EOF: the whole request is answered, the partial one is not");
	reset();
	http_conn_eof(&conn);
	tap_ok(http_conn_run(&conn, &ctx, &io, 1) == 0 && sink.len == 0 &&
	       sink.shut, "EOF on an idle connection: shutdown, nothing sent");
}

static void test_timeouts(void)
{
	struct http_timeouts t = { .header_ms = 1000, .idle_ms = 5000,
				   .send_ms = 3000, .linger_ms = 2000 };

	reset();
	conn_feed(&conn, "GET / HT", 8);
	http_conn_run(&conn, &ctx, &io, 100);
	tap_ok(!http_conn_timeout(&conn, &ctx, &t, 1099),
	       "a partial request before header_ms: nothing");
	tap_ok(!http_conn_timeout(&conn, &ctx, &t, 1100),
	       "at header_ms: no abort, a 408 is queued");
	tap_eq(http_conn_run(&conn, &ctx, &io, 1100), 0,
	       "the 408 is sent and the connection shuts");
	tap_ok(sink.len > 30 && !memcmp(sink.buf, "HTTP/1.1 408 Request Timeout", 28),
	       "408 Request Timeout");
	tap_ok(!http_conn_timeout(&conn, &ctx, &t, 3099) &&
	       http_conn_timeout(&conn, &ctx, &t, 3100),
	       "then it lingers linger_ms and must go");

	reset();
	conn_feed(&conn, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27);
	http_conn_run(&conn, &ctx, &io, 10);
	tap_ok(!http_conn_timeout(&conn, &ctx, &t, 5009) &&
	       http_conn_timeout(&conn, &ctx, &t, 5010) && sink.len > 0 &&
	       count(sink.buf, sink.len, "408") == 0,
	       "idle keep-alive: closed after idle_ms without a 408");

	reset();
	sink.budget = 10;
	conn_feed(&conn, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27);
	http_conn_run(&conn, &ctx, &io, 10);
	tap_ok(!http_conn_timeout(&conn, &ctx, &t, 3009) &&
	       http_conn_timeout(&conn, &ctx, &t, 3010),
	       "a response stuck for send_ms must go");

	/*
	 * A transport that knows when its FIN is acked (exo-httpd): the
	 * lingering close counts from the ack, and before it the wait is
	 * bounded by send_ms without progress, however long the peer keeps
	 * a zero window open (it used to be restarted every second).
	 */
	reset();
	conn_feed(&conn, "GET / HTTP/1.0\r\n\r\n", 18);
	tap_eq(http_conn_run(&conn, &ctx, &io, 10), 0, "HTTP/1.0: answered, shut");
	http_conn_closing(&conn, false, false, 1000);
	tap_ok(!http_conn_timeout(&conn, &ctx, &t, 2010),
	       "FIN not acked: no lingering timeout yet");
	http_conn_closing(&conn, false, true, 2500);
	tap_ok(!http_conn_timeout(&conn, &ctx, &t, 5499) &&
	       http_conn_timeout(&conn, &ctx, &t, 5500),
	       "FIN not acked: send_ms after the last progress it must go");
	http_conn_closing(&conn, true, false, 4000);
	tap_ok(!http_conn_timeout(&conn, &ctx, &t, 5999) &&
	       http_conn_timeout(&conn, &ctx, &t, 6000),
	       "FIN acked: then it lingers linger_ms from the ack");
	http_conn_closing(&conn, true, true, 5000);
	tap_ok(http_conn_timeout(&conn, &ctx, &t, 6000),
	       "after the ack, progress reports change nothing");
}

static void test_bound(void)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	char *p;

	reset();
	sink.budget = 0;		/* the client never reads */
	while (conn_feed(&conn, req, sizeof(req) - 1) > 0)
		http_conn_run(&conn, &ctx, &io, 1);
	tap_eq(conn.in_len, HTTP_IN_MAX,
	       "a client that sends and never reads fills the input buffer");
	tap_eq(http_conn_in_space(&conn, &p), 0, "then no more is taken");
	tap_ok(conn.phase == HC_WRITE && conn.requests == 0,
	       "and the first answer waits for the transport");
	sink.budget = SIZE_MAX;
	http_conn_run(&conn, &ctx, &io, 1);
	tap_ok(conn.requests > 500 && http_conn_in_space(&conn, &p) > 0,
	       "once it reads, the pipelined requests are answered");
}

int main(void)
{
	int ret = http_cache_load(&cache, doc_make(), HTTP_OPT_ALL, NULL, NULL);

	tap_eq(ret, 0, "document tree loaded");
	ctx.cache = &cache;
	ctx.opts = HTTP_OPT_ALL;
	http_ctx_clock(&ctx, DOC_MTIME + 86400);
	test_one();
	test_pipelined();
	test_bytewise();
	test_big();
	test_bodies();
	test_errors();
	test_eof();
	test_timeouts();
	test_bound();
	free(sink.buf);
	http_cache_free(&cache);
	doc_remove();
	return tap_done();
}
