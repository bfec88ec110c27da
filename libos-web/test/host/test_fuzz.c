// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * test_fuzz — hostile input through a whole connection: random bytes
 * (answered with a 4xx, or nothing if they never end a request line; never
 * a crash), and valid requests with bytes flipped, inserted and deleted
 * (answered only with statuses this server sends), each fed in random
 * pieces.  Fixed seeds: the same inputs every run.  Run it under
 * ASan/UBSan with `make -C libos-web check CFLAGS="-O1 -g
 * -fsanitize=address,undefined"`.
 */
#include <stdlib.h>

#include "http.h"
#include "tap.h"
#include "docroot.h"
#include "conn_sink.h"

static struct http_cache cache;
static struct http_server_ctx ctx;
static struct http_conn conn;
static struct sink sink;
static struct http_io io;

static bool status_known(int st)
{
	static const int known[] = { 200, 206, 301, 304, 400, 403, 404, 405,
				     408, 414, 416, 431, 501, 505 };

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (st == known[i])
			return true;
	return false;
}

/* Statuses of the responses in the sink (heads found by status line). */
static int statuses(int *out, int max)
{
	int n = 0;
	const char *p = sink.buf, *end = sink.buf + sink.len;

	while (p && n < max &&
	       (p = memmem(p, (size_t)(end - p), "HTTP/1.1 ", 9)) &&
	       end - p >= 12) {
		int st = atoi(p + 9);

		if (st != 100)
			out[n++] = st;
		p += 9;
	}
	return n;
}

/* Feed @len bytes in random pieces, running after each, then EOF. */
static void feed_random_pieces(const uint8_t *buf, size_t len)
{
	size_t off = 0;

	free(sink.buf);
	sink_init(&sink, &io);
	http_conn_init(&conn, 0);
	while (off < len) {
		size_t n = 1 + (size_t)rand() % 64;

		if (n > len - off)
			n = len - off;
		off += conn_feed(&conn, buf + off, n);
		if (http_conn_run(&conn, &ctx, &io, 1) <= 0)
			break;
	}
	http_conn_eof(&conn);
	http_conn_run(&conn, &ctx, &io, 1);
}

static void test_random_bytes(void)
{
	uint8_t buf[4096];
	int answered = 0, bad = 0, st[64];

	srand(5);
	for (int i = 0; i < 20000; i++) {
		size_t len = 1 + (size_t)rand() % sizeof(buf);
		int mode = rand() % 3, n;

		for (size_t k = 0; k < len; k++) {
			int r = rand();

			/* raw bytes; printable text; text with many CR/LF */
			buf[k] = mode == 0 ? (uint8_t)r :
				 mode == 1 ? (uint8_t)(32 + r % 95) :
				 (r % 8 == 0 ? '\n' : r % 8 == 1 ? '\r' :
				  (uint8_t)(32 + r % 95));
		}
		feed_random_pieces(buf, len);
		n = statuses(st, 64);
		if (n)
			answered++;
		for (int k = 0; k < n; k++)
			if (st[k] < 400 || st[k] > 499)
				bad++;
		if (n > 1 || !sink.shut)
			bad++;
	}
	tap_eq(bad, 0, "20000 random inputs: only a 4xx, then the connection "
	       "shuts");
	tap_ok(answered > 10000, "most of them were answered (%d)", answered);
}

static void test_mutations(void)
{
	static const char *const seeds[] = {
		"GET /index.html HTTP/1.1\r\nHost: a\r\nRange: bytes=1-3\r\n\r\n",
		"GET /a.bin HTTP/1.0\r\nIf-Modified-Since: Wed, 02 Dec 2026 "
		"16:30:12 GMT\r\nConnection: keep-alive\r\n\r\n",
		"HEAD /dir/ HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
		"GET /%2e%2e/x HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /sp%20ace.html HTTP/1.1\r\nHost: a\r\nIf-Range: \"x\"\r\n"
		"Range: bytes=-5\r\nExpect: 100-continue\r\n\r\n",
	};
	uint8_t buf[512];
	int bad = 0, total = 0, st[64];

	srand(6);
	for (int i = 0; i < 40000; i++) {
		const char *s = seeds[i % 4];
		size_t len = strlen(s);
		int edits = 1 + rand() % 4, n;

		memcpy(buf, s, len);
		for (int e = 0; e < edits; e++) {
			size_t at = (size_t)rand() % len;

			switch (rand() % 3) {
			case 0:
				buf[at] = (uint8_t)rand();
				break;
			case 1:
				if (len < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = (uint8_t)rand();
					len++;
				}
				break;
			case 2:
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
				break;
			}
		}
		feed_random_pieces(buf, len);
		n = statuses(st, 64);
		total += n;
		for (int k = 0; k < n; k++)
			if (!status_known(st[k]))
				bad++;
	}
	tap_eq(bad, 0, "40000 mutated requests: every status one this server "
	       "sends (%d responses)", total);
}

int main(void)
{
	int ret = http_cache_load(&cache, doc_make(), HTTP_OPT_ALL, NULL, NULL);

	tap_eq(ret, 0, "document tree loaded");
	ctx.cache = &cache;
	ctx.opts = HTTP_OPT_ALL;
	http_ctx_clock(&ctx, DOC_MTIME + 86400);
	test_random_bytes();
	test_mutations();
	free(sink.buf);
	http_cache_free(&cache);
	doc_remove();
	return tap_done();
}
