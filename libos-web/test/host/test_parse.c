// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * test_parse — the request parser: good requests, requests split at every
 * byte, pipelined requests, every error status with the request that earns
 * it (each checked against nginx 1.22), the size limits, keep-alive rules.
 */
#include <stdlib.h>

#include "http.h"
#include "tap.h"

/* Parse @s fed all at once. */
static enum http_parse_result parse1(struct http_parser *p, const char *s,
				     size_t len)
{
	http_parser_init(p);
	return http_parse(p, s, len);
}

/* Parse @s as if it arrived @step bytes at a time. */
static enum http_parse_result parse_split(struct http_parser *p, const char *s,
					  size_t len, size_t step)
{
	enum http_parse_result r = HTTP_PARSE_AGAIN;

	http_parser_init(p);
	for (size_t k = step; r == HTTP_PARSE_AGAIN; k += step) {
		if (k > len)
			k = len;
		r = http_parse(p, s, k);
		if (k == len)
			break;
	}
	return r;
}

static int slice_is(const char *buf, struct http_slice s, const char *want)
{
	return s.len == strlen(want) && !memcmp(buf + s.off, want, s.len);
}

static const struct {
	const char *req;
	int status;		/* 0: parses; else the error status */
	const char *why;
} cases[] = {
	{ "GET / HTTP/1.0\r\n\r\n", 0, "HTTP/1.0 without Host" },
	{ "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, "HTTP/1.1 with Host" },
	{ "HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n", 0, "HEAD" },
	{ "FOO / HTTP/1.0\r\n\r\n", 0, "unknown method parses (405 later)" },
	{ "GET / HTTP/1.0\n\n", 0, "bare LF line ends" },
	{ "\r\n\r\nGET / HTTP/1.0\r\n\r\n", 0, "leading empty lines" },
	{ "GET  / HTTP/1.0\r\n\r\n", 0, "two spaces after method" },
	{ "GET / HTTP/1.0 \r\n\r\n", 0, "space after version" },
	{ "GET /\r\n", 0, "HTTP/0.9 simple request" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nnocolon\r\n\r\n", 0,
	  "a line without colon is ignored" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX@Y: 1\r\n\r\n", 0,
	  "a name with a non-token byte is ignored" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n", 0, "empty value" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
	  0, "chunked body" },
	{ "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 0, "HTTP/1.2 is 1.1" },
	{ "get / HTTP/1.0\r\n\r\n", 400, "lowercase method" },
	{ "G@T / HTTP/1.0\r\n\r\n", 400, "odd method byte" },
	{ "GET / HTTP/1.1\r\n\r\n", 400, "HTTP/1.1 without Host" },
	{ "GET / HTTP/1.2\r\n\r\n", 400, "HTTP/1.2 without Host" },
	{ "GET / HTTP/0.9\r\n\r\n", 400, "explicit HTTP/0.9" },
	{ "GET / HTTX/1.0\r\n\r\n", 400, "not HTTP" },
	{ "GET / HTTP/1.\r\n\r\n", 400, "no minor version" },
	{ "GET / HTTP/1.0 x\r\n\r\n", 400, "text after version" },
	{ "GET /a\x01" "b HTTP/1.0\r\n\r\n", 400, "control byte in target" },
	{ "HEAD /\r\n", 400, "HTTP/0.9 is GET only" },
	{ "GET / HTTP/1.0\rX\n\r\n", 400, "CR not followed by LF" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "two Hosts" },
	{ "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "Host with '/'" },
	{ "GET / HTTP/1.1\r\nHost: ..\r\n\r\n", 400, "Host '..'" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", 400,
	  "space in a header name" },
	{ "GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", 400, "empty name" },
	{ "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400, "obs-fold" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 400, "NUL in value" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", 400,
	  "Content-Length not a number" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400,
	  "negative Content-Length" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999\r\n\r\n",
	  400, "huge Content-Length" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
	  400, "two Content-Lengths" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	  "Content-Length: 3\r\n\r\n", 400, "chunked and Content-Length" },
	{ "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
	  "Transfer-Encoding in HTTP/1.0" },
	{ "GET / HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\n", 400,
	  "unknown Transfer-Encoding in HTTP/1.0" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501,
	  "unknown Transfer-Encoding in HTTP/1.1" },
	{ "GET / HTTP/2.0\r\n\r\n", 505, "HTTP/2.0 request line" },
	{ "GET / HTTP/3.0\r\n\r\n", 505, "HTTP/3.0 request line" },
};

static void test_cases(void)
{
	struct http_parser p;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *s = cases[i].req;
		size_t len = strlen(s);
		enum http_parse_result want = cases[i].status ?
			HTTP_PARSE_ERROR : HTTP_PARSE_DONE;
		enum http_parse_result r;
		int same = 1;

		if (i == 31)	/* the NUL case: strlen stops at it */
			len = strlen(s) + 1 + strlen(s + strlen(s) + 1);
		r = parse1(&p, s, len);
		tap_eq(r, want, "%s: result", cases[i].why);
		tap_eq(p.req.status, cases[i].status, "%s: status",
		       cases[i].why);
		for (size_t step = 1; step <= 7; step++) {
			enum http_parse_result r2 = parse_split(&p, s, len, step);

			if (r2 != r || p.req.status != cases[i].status)
				same = 0;
		}
		tap_ok(same, "%s: same result split into pieces of 1..7 bytes",
		       cases[i].why);
	}
}

static void test_fields(void)
{
	static const char s[] =
		"GET /a%20b?q=1 HTTP/1.1\r\n"
		"host:  example.org  \r\n"
		"Range: bytes=0-9\r\n"
		"If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		"If-Range: \"abc\"\r\n"
		"Connection: foo, Close\r\n"
		"Expect: 100-continue\r\n"
		"Content-Length: 12\r\n"
		"\r\nNEXT";
	struct http_parser p;
	enum http_parse_result r = parse1(&p, s, sizeof(s) - 1);

	tap_eq(r, HTTP_PARSE_DONE, "all fields: parses");
	tap_eq(p.req.method, HTTP_M_GET, "method GET");
	tap_ok(p.req.major == 1 && p.req.minor == 1, "version 1.1");
	tap_ok(slice_is(s, p.req.target, "/a%20b?q=1"), "target as sent");
	tap_ok(slice_is(s, p.req.host, "example.org"),
	       "Host value without surrounding whitespace");
	tap_ok(slice_is(s, p.req.range, "bytes=0-9"), "Range value");
	tap_ok(slice_is(s, p.req.if_modified_since,
			"Sun, 06 Nov 1994 08:49:37 GMT"), "If-Modified-Since");
	tap_ok(slice_is(s, p.req.if_range, "\"abc\""), "If-Range");
	tap_ok(p.req.connection == HTTP_CONN_CLOSE, "Connection: close token");
	tap_ok(p.req.expect_continue, "Expect: 100-continue");
	tap_eq(p.req.content_length, 12, "Content-Length");
	tap_eq(p.req.length, sizeof(s) - 1 - 4, "head length stops before "
	       "the next bytes");
	tap_eq(p.req.nheaders, 7, "seven header fields");
}

static void test_pipelined(void)
{
	static const char s[] = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
				"HEAD /2 HTTP/1.1\r\nHost: a\r\n\r\n"
				"GET /3 HTTP/1.0\r\n\r\n";
	struct http_parser p;
	size_t off = 0, len = sizeof(s) - 1;
	const char *want[] = { "/1", "/2", "/3" };

	for (int i = 0; i < 3; i++) {
		enum http_parse_result r = parse1(&p, s + off, len - off);

		tap_eq(r, HTTP_PARSE_DONE, "pipelined request %d parses", i + 1);
		tap_ok(slice_is(s + off, p.req.target, want[i]),
		       "pipelined request %d has its own target", i + 1);
		off += p.req.length;
	}
	tap_eq(off, len, "three pipelined requests use every byte");
}

static void test_limits(void)
{
	char *s = malloc(HTTP_IN_MAX + 64);
	struct http_parser p;
	size_t n;

	/* a request line of HTTP_LINE_MAX bytes or more: 414 */
	n = (size_t)sprintf(s, "GET /");
	memset(s + n, 'a', 8200);
	n += 8200;
	n += (size_t)sprintf(s + n, " HTTP/1.0\r\n\r\n");
	tap_eq(parse1(&p, s, n), HTTP_PARSE_ERROR, "8 KiB URI: error");
	tap_eq(p.req.status, 414, "8 KiB URI: 414");
	tap_eq(parse_split(&p, s, n, 1000), HTTP_PARSE_ERROR,
	       "8 KiB URI in pieces: error");
	tap_eq(p.req.status, 414, "8 KiB URI in pieces: 414");

	/* 7000 bytes of URI is fine (nginx: 404, not 414) */
	n = (size_t)sprintf(s, "GET /");
	memset(s + n, 'a', 7000);
	n += 7000;
	n += (size_t)sprintf(s + n, " HTTP/1.0\r\n\r\n");
	tap_eq(parse1(&p, s, n), HTTP_PARSE_DONE, "7000-byte URI parses");

	/* one 8 KiB header line: 431 */
	n = (size_t)sprintf(s, "GET / HTTP/1.0\r\nX: ");
	memset(s + n, 'a', 8200);
	n += 8200;
	n += (size_t)sprintf(s + n, "\r\n\r\n");
	tap_eq(parse1(&p, s, n), HTTP_PARSE_ERROR, "8 KiB header: error");
	tap_eq(p.req.status, 431, "8 KiB header: 431");

	/* more than HTTP_HEADERS_MAX fields: 431 */
	n = (size_t)sprintf(s, "GET / HTTP/1.0\r\n");
	for (int i = 0; i < HTTP_HEADERS_MAX + 1; i++)
		n += (size_t)sprintf(s + n, "X: a\r\n");
	n += (size_t)sprintf(s + n, "\r\n");
	tap_eq(parse1(&p, s, n), HTTP_PARSE_ERROR, "101 fields: error");
	tap_eq(p.req.status, 431, "101 fields: 431");

	/* exactly HTTP_HEADERS_MAX fields is fine */
	n = (size_t)sprintf(s, "GET / HTTP/1.0\r\n");
	for (int i = 0; i < HTTP_HEADERS_MAX; i++)
		n += (size_t)sprintf(s + n, "X: a\r\n");
	n += (size_t)sprintf(s + n, "\r\n");
	tap_eq(parse1(&p, s, n), HTTP_PARSE_DONE, "100 fields parse");

	/* a head that fills the whole buffer unfinished: 431 */
	n = (size_t)sprintf(s, "GET / HTTP/1.0\r\n");
	while (n < HTTP_IN_MAX - 260)
		n += (size_t)sprintf(s + n, "X-Long: %0240d\r\n", 0);
	memset(s + n, 'b', HTTP_IN_MAX - n);
	tap_eq(parse1(&p, s, HTTP_IN_MAX), HTTP_PARSE_ERROR,
	       "a 16 KiB head that never ends: error");
	tap_eq(p.req.status, 431, "a 16 KiB head that never ends: 431");
	tap_eq(parse1(&p, s, HTTP_IN_MAX - 1), HTTP_PARSE_AGAIN,
	       "one byte less: still waiting");

	/* a method too long, and too many blank lines */
	memset(s, 'A', 40);
	tap_eq(parse1(&p, s, 40), HTTP_PARSE_ERROR, "40-byte method: error");
	tap_eq(p.req.status, 400, "40-byte method: 400");
	memset(s, '\n', 40);
	tap_eq(parse1(&p, s, 40), HTTP_PARSE_ERROR, "40 blank lines: error");
	free(s);
}

static void test_keepalive(void)
{
	static const struct {
		const char *req;
		bool keep;
	} k[] = {
		{ "GET / HTTP/1.1\r\nHost: a\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: x, CLOSE\r\n\r\n", false },
		{ "GET / HTTP/1.0\r\n\r\n", false },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true },
		{ "GET / HTTP/1.0\r\nConnection: Keep-Alive, close\r\n\r\n", false },
		{ "GET /\r\n", false },
	};
	struct http_parser p;

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		parse1(&p, k[i].req, strlen(k[i].req));
		tap_eq(http_req_keepalive(&p.req), k[i].keep,
		       "keep-alive rule %zu", i + 1);
	}
}

int main(void)
{
	test_cases();
	test_fields();
	test_pipelined();
	test_limits();
	test_keepalive();
	return tap_done();
}
