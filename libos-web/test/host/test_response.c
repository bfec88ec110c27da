// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * test_response — what each request is answered: every status code the
 * server sends, with the request that earns it (nginx 1.22's answer for
 * the same request noted where it differs), Content-Type by extension,
 * HEAD, ranges, conditional GET, directories, traversal, HTTP/0.9, and
 * the prebuilt head equal to the one formatted field by field.
 */
#include "http.h"
#include "tap.h"
#include "docroot.h"

#define A10 "aaaaaaaaaa"
#define A100 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10
#define A1000 A100 A100 A100 A100 A100 A100 A100 A100 A100 A100
#define LONG7000 A1000 A1000 A1000 A1000 A1000 A1000 A1000

static struct http_cache cache;
static struct http_server_ctx ctx;
static struct http_resp resp;
static char hdr[HTTP_HDR_MAX + 1];

/* Parse @req whole and build its response into resp; hdr as a string. */
static int ask(const char *req)
{
	struct http_parser p;

	http_parser_init(&p);
	if (http_parse(&p, req, strlen(req)) == HTTP_PARSE_AGAIN)
		return -1;
	http_respond(&ctx, &p.req, req, &resp);
	memcpy(hdr, resp.hdr, resp.hdr_len);
	hdr[resp.hdr_len] = '\0';
	return resp.status;
}

static int has(const char *line)
{
	return strstr(hdr, line) != NULL;
}

static const struct {
	const char *req;
	int status;
	const char *must;	/* a line the head must hold, or NULL */
	const char *why;
} cases[] = {
	{ "GET / HTTP/1.0\r\n\r\n", 200, "Content-Length: 6\r\n", "/ -> index.html" },
	{ "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n", 200,
	  "Content-Type: text/html\r\n", "a file" },
	{ "GET /dir/ HTTP/1.0\r\n\r\n", 200, "Content-Length: 4\r\n",
	  "a directory's index.html" },
	{ "GET /dir HTTP/1.0\r\n\r\n", 301, "Location: /dir/\r\n",
	  "a directory without '/': 301" },
	{ "GET /sp%20ace.html HTTP/1.0\r\n\r\n", 200, "Content-Length: 5\r\n",
	  "a percent-encoded name" },
	{ "GET /dir/../index.html HTTP/1.0\r\n\r\n", 200, NULL, "'..' inside the root" },
	{ "GET /noindex/ HTTP/1.0\r\n\r\n", 403, NULL, "a directory without index.html" },
	{ "GET /nope HTTP/1.0\r\n\r\n", 404, NULL, "a missing file" },
	{ "GET /a.bin/ HTTP/1.0\r\n\r\n", 404, NULL, "a file named with '/'" },
	{ "GET /nope/ HTTP/1.0\r\n\r\n", 404, NULL, "a missing directory" },
	{ "GET /" LONG7000 " HTTP/1.0\r\n\r\n", 404, NULL,
	  "a 7000-byte path: 404 (nginx too), not 414" },
	{ "POST / HTTP/1.0\r\n\r\n", 405, NULL, "POST" },
	{ "PUT / HTTP/1.1\r\nHost: a\r\n\r\n", 405, "Connection: keep-alive\r\n",
	  "PUT, and the connection stays" },
	{ "FOO / HTTP/1.0\r\n\r\n", 405, NULL, "an unknown method" },
	{ "GET /../etc/passwd HTTP/1.0\r\n\r\n", 400, "Connection: close\r\n",
	  "traversal above the root" },
	{ "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.0\r\n\r\n", 400, NULL,
	  "encoded traversal" },
	{ "GET /a%00b HTTP/1.0\r\n\r\n", 400, NULL, "encoded NUL" },
	{ "GET / HTTP/1.1\r\n\r\n", 400, NULL, "HTTP/1.1 without Host" },
	{ "GET / HTTP/2.0\r\n\r\n", 505, NULL, "HTTP/2.0" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501,
	  NULL, "unknown transfer coding" },
	{ "GET /a.bin HTTP/1.0\r\nRange: bytes=0-9\r\n\r\n", 206,
	  "Content-Range: bytes 0-9/1000\r\n", "a range" },
	{ "GET /a.bin HTTP/1.0\r\nRange: bytes=-5\r\n\r\n", 206,
	  "Content-Range: bytes 995-999/1000\r\n", "a suffix range" },
	{ "HEAD /a.bin HTTP/1.0\r\nRange: bytes=0-1\r\n\r\n", 206,
	  "Content-Length: 2\r\n", "HEAD with a range (as nginx)" },
	{ "GET /a.bin HTTP/1.0\r\nRange: bytes=1000-\r\n\r\n", 416,
	  "Content-Range: bytes */1000\r\n", "a range past the end" },
	{ "GET /empty.txt HTTP/1.0\r\nRange: bytes=0-\r\n\r\n", 416,
	  "Content-Range: bytes */0\r\n", "any range of an empty file" },
	{ "GET /a.bin HTTP/1.0\r\nRange: bytes=0-0,5-6\r\n\r\n", 200,
	  "Content-Length: 1000\r\n", "several ranges: the whole file" },
	{ "GET /a.bin HTTP/1.0\r\nRange: bytes=0-1\r\n"
	  "If-Range: Wed, 02 Dec 2020 16:30:12 GMT\r\n\r\n", 200, NULL,
	  "If-Range with another date: the whole file" },
	{ "GET /a.bin HTTP/1.0\r\nRange: bytes=0-1\r\n"
	  "If-Range: Wed, 02 Dec 2026 16:30:12 GMT\r\n\r\n", 206, NULL,
	  "If-Range with Last-Modified: the range" },
	{ "GET /a.bin HTTP/1.0\r\nRange: bytes=0-1\r\n"
	  "If-Range: \"6b104794-3e8\"\r\n\r\n", 206, NULL,
	  "If-Range with the ETag: the range" },
	{ "GET /a.bin HTTP/1.0\r\nRange: bytes=0-1\r\n"
	  "If-Range: \"other\"\r\n\r\n", 200, NULL,
	  "If-Range with another ETag: the whole file" },
	{ "GET /a.bin HTTP/1.0\r\n"
	  "If-Modified-Since: Wed, 02 Dec 2026 16:30:12 GMT\r\n\r\n", 304,
	  "ETag: \"6b104794-3e8\"\r\n", "If-Modified-Since = mtime: 304" },
	{ "GET /a.bin HTTP/1.0\r\n"
	  "If-Modified-Since: Wed, 02 Dec 2026 17:00:00 GMT\r\n\r\n", 304,
	  NULL, "If-Modified-Since after mtime: 304" },
	{ "GET /a.bin HTTP/1.0\r\n"
	  "If-Modified-Since: Wed, 02 Dec 2026 16:30:11 GMT\r\n\r\n", 200,
	  NULL, "If-Modified-Since before mtime: 200" },
	{ "GET /a.bin HTTP/1.0\r\n"
	  "If-Modified-Since: Wed, 02 Dec 2099 16:30:12 GMT\r\n\r\n", 200,
	  NULL, "If-Modified-Since in the future: ignored" },
	{ "GET /a.bin HTTP/1.0\r\nIf-Modified-Since: garbage\r\n\r\n", 200,
	  NULL, "If-Modified-Since malformed: ignored" },
	{ "HEAD /a.bin HTTP/1.0\r\n"
	  "If-Modified-Since: Wednesday, 02-Dec-26 16:30:12 GMT\r\n\r\n", 304,
	  NULL, "HEAD with an RFC 850 If-Modified-Since" },
	{ "GET /a.bin HTTP/1.0\r\nRange: bytes=0-1\r\n"
	  "If-Modified-Since: Wed, 02 Dec 2026 16:30:12 GMT\r\n\r\n", 304,
	  NULL, "304 wins over Range" },
	{ "GET /style.CSS HTTP/1.0\r\n\r\n", 200, "Content-Type: text/css\r\n",
	  "text/css" },
	{ "GET /empty.txt HTTP/1.0\r\n\r\n", 200, "Content-Type: text/plain\r\n",
	  "text/plain, empty" },
	{ "GET /big.dat HTTP/1.0\r\n\r\n", 200,
	  "Content-Type: application/octet-stream\r\n", "unknown extension" },
	{ "GET http://example.org/index.html HTTP/1.1\r\nHost: x\r\n\r\n", 200,
	  NULL, "absolute-form target" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 200,
	  "Connection: close\r\n", "a chunked body: answered, then close" },
};

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st = ask(cases[i].req);

		tap_eq(st, cases[i].status, "%s: %d", cases[i].why,
		       cases[i].status);
		if (cases[i].must && !tap_ok(has(cases[i].must), "%s: has %.*s",
					     cases[i].why,
					     (int)strlen(cases[i].must) - 2,
					     cases[i].must))
			printf("# head:\n%s", hdr);
	}
}

static void test_details(void)
{
	char date[HTTP_DATE_LEN + 1];

	ask("GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n");
	http_date_format(ctx.now, date);
	tap_ok(!strncmp(hdr, "HTTP/1.1 200 OK\r\nServer: exo-httpd\r\nDate: ", 42) &&
	       !strncmp(hdr + 42, date, HTTP_DATE_LEN),
	       "status line, Server, then today's Date");
	tap_ok(has("Last-Modified: Wed, 02 Dec 2026 16:30:12 GMT\r\n"),
	       "Last-Modified");
	tap_ok(has("Connection: keep-alive\r\n") && has("Accept-Ranges: bytes\r\n"),
	       "keep-alive and Accept-Ranges");
	tap_ok(resp.file && resp.body_off == 0 && resp.body_len == 6 &&
	       !resp.close, "the body is the whole file, by reference");
	tap_eq(resp.hdr_sum == 0xffff ? 0 : resp.hdr_sum,
	       http_csum(resp.hdr, resp.hdr_len, 0) == 0xffff ? 0 :
	       http_csum(resp.hdr, resp.hdr_len, 0), "the head's sum is right");

	ask("HEAD /a.bin HTTP/1.0\r\n\r\n");
	tap_ok(resp.status == 200 && resp.body_len == 0 &&
	       has("Content-Length: 1000\r\n") && has("Connection: close\r\n"),
	       "HEAD: the GET head, no body, HTTP/1.0 closes");

	ask("GET /a.bin HTTP/1.0\r\nRange: bytes=10-19\r\n\r\n");
	tap_ok(resp.body_off == 10 && resp.body_len == 10,
	       "a range's body is bytes 10-19 of the file");

	ask("GET /nope HTTP/1.0\r\n\r\n");
	tap_ok(!resp.file && strstr(hdr, "\r\n\r\n<html>") &&
	       has("<title>404 Not Found</title>") && has("Content-Type: text/html"),
	       "an error carries an HTML page");
	{
		const char *body = strstr(hdr, "\r\n\r\n") + 4;
		char want[40];

		snprintf(want, sizeof(want), "Content-Length: %zu\r\n",
			 strlen(body));
		tap_ok(has(want), "whose length is its Content-Length");
	}
	ask("HEAD /nope HTTP/1.0\r\n\r\n");
	tap_ok(resp.status == 404 && !strstr(hdr, "<html>"),
	       "HEAD of an error: no page");

	ask("GET /\r\n");
	tap_ok(resp.status == 200 && resp.hdr_len == 0 && resp.body_len == 6 &&
	       resp.close, "HTTP/0.9: the body alone, then close");
	ask("GET /nope\r\n");
	tap_ok(resp.status == 404 && !strncmp(hdr, "<html>", 6) && resp.close,
	       "HTTP/0.9 error: the page alone");

	ask("GET /a.bin HTTP/1.0\r\n\r\n");
	tap_ok(!has("Content-Range"), "a 200 has no Content-Range");
}

/* The prebuilt head is byte for byte the head built field by field. */
static void test_prebuilt(void)
{
	static const char *const reqs[] = {
		"GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /index.html HTTP/1.0\r\n\r\n",
		"HEAD /big.dat HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
	};
	char a[HTTP_HDR_MAX];

	for (size_t i = 0; i < 3; i++) {
		uint16_t len, sum;

		ctx.opts = HTTP_OPT_ALL;
		ask(reqs[i]);
		memcpy(a, resp.hdr, resp.hdr_len);
		len = resp.hdr_len;
		sum = resp.hdr_sum;
		ctx.opts = HTTP_OPT_CSUM;
		ask(reqs[i]);
		tap_ok(len == resp.hdr_len && !memcmp(a, resp.hdr, len) &&
		       (sum == 0xffff ? 0 : sum) ==
			       (resp.hdr_sum == 0xffff ? 0 : resp.hdr_sum),
		       "prebuilt and formatted heads agree (%zu)", i + 1);
	}
	ctx.opts = HTTP_OPT_ALL;
}

int main(void)
{
	int ret = http_cache_load(&cache, doc_make(), HTTP_OPT_ALL, NULL, NULL);

	tap_eq(ret, 0, "document tree loaded");
	ctx.cache = &cache;
	ctx.opts = HTTP_OPT_ALL;
	http_ctx_clock(&ctx, DOC_MTIME + 86400);
	test_cases();
	test_details();
	test_prebuilt();
	http_cache_free(&cache);
	doc_remove();
	return tap_done();
}
