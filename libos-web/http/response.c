// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * response.c — what to answer a request for a static file (RFC 9110).
 *
 * The decisions, in the order they are taken:
 *  1. a request the parser refused: its 4xx/5xx, and the connection closes;
 *  2. a method other than GET or HEAD: 405 (nginx's static module; POST,
 *     PUT, OPTIONS and unknown methods alike);
 *  3. the target decoded and normalised (uri.c): 400 if it climbs out of
 *     the root or is malformed;
 *  4. the path looked up: a directory with a trailing '/' serves its
 *     index.html (403 if it has none: no listings), without one answers
 *     301 to the same path with '/', as nginx does; an entry the server may
 *     not read answers 403; nothing there, or a file named with a trailing
 *     '/', 404;
 *  5. If-Modified-Since (RFC 9110 13.1.3): 304 when the file is not newer
 *     than a valid date that is not in the future (nginx's default is an
 *     exact match; "if_modified_since before" is this rule);
 *  6. Range, one byte range (range.c), guarded by If-Range (a date equal to
 *     Last-Modified, or the ETag): 206, or 416 with "bytes *\/size";
 *  7. otherwise 200, from the file's prebuilt head when that switch is on.
 * HEAD gets the same head as GET and no body.  Errors carry a small HTML
 * page, as nginx's do.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "http.h"

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	}
	return NULL;
}

void http_ctx_clock(struct http_server_ctx *ctx, time_t now)
{
	if (ctx->now == now && ctx->date[0])
		return;
	ctx->now = now;
	http_date_format(now, ctx->date);
}

/* An appender that remembers running out of room. */
struct out {
	char *buf;
	size_t sz, n;
	bool full;
};

static void put(struct out *o, const char *s, size_t len)
{
	if (o->full || o->n + len >= o->sz) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->n, s, len);
	o->n += len;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void putu(struct out *o, uint64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);

	put(o, tmp, (size_t)n);
}

int http_format_head(char *buf, size_t sz, int status, const char *date,
		     const struct http_file *f, const char *type,
		     int64_t length, bool close, const char *extra,
		     uint16_t *date_off)
{
	struct out o = { buf, sz, 0, false };
	const char *reason = http_reason(status);

	puts_(&o, "HTTP/1.1 ");
	putu(&o, (uint64_t)status);
	puts_(&o, " ");
	puts_(&o, reason ? reason : "Unknown");
	puts_(&o, "\r\nServer: " HTTP_SERVER_NAME "\r\nDate: ");
	if (date_off)
		*date_off = (uint16_t)o.n;
	put(&o, date, HTTP_DATE_LEN);
	puts_(&o, "\r\n");
	if (type) {
		puts_(&o, "Content-Type: ");
		puts_(&o, type);
		puts_(&o, "\r\n");
	}
	if (length >= 0) {
		puts_(&o, "Content-Length: ");
		putu(&o, (uint64_t)length);
		puts_(&o, "\r\n");
	}
	if (f) {
		puts_(&o, "Last-Modified: ");
		put(&o, f->last_modified, HTTP_DATE_LEN);
		puts_(&o, "\r\n");
	}
	puts_(&o, close ? "Connection: close\r\n" : "Connection: keep-alive\r\n");
	if (f) {
		puts_(&o, "ETag: ");
		puts_(&o, f->etag);
		puts_(&o, "\r\n");
	}
	if (extra)
		puts_(&o, extra);
	if (f && status != 304)
		puts_(&o, "Accept-Ranges: bytes\r\n");
	puts_(&o, "\r\n");
	if (o.full)
		return -1;
	buf[o.n] = '\0';
	return (int)o.n;
}

static void finish(struct http_server_ctx *ctx, struct http_resp *r)
{
	r->hdr_sum = (ctx->opts & HTTP_OPT_CSUM) ?
			     http_csum(r->hdr, r->hdr_len, 0) : 0;
}

/* An error page: head and HTML in r->hdr (the body is not a file). */
static void error_page(struct http_server_ctx *ctx, int status, bool close,
		       bool head, const char *extra, struct http_resp *r)
{
	char body[384];
	const char *reason = http_reason(status);
	int blen, n;

	blen = snprintf(body, sizeof(body),
			"<html>\r\n<head><title>%d %s</title></head>\r\n"
			"<body>\r\n<center><h1>%d %s</h1></center>\r\n"
			"<hr><center>" HTTP_SERVER_NAME "</center>\r\n"
			"</body>\r\n</html>\r\n",
			status, reason, status, reason);
	memset(r, 0, offsetof(struct http_resp, hdr));
	r->status = status;
	r->close = close;
	n = http_format_head(r->hdr, sizeof(r->hdr), status, ctx->date, NULL,
			     "text/html", blen, close, extra, NULL);
	if (n < 0) {			/* an @extra too long: drop it */
		n = http_format_head(r->hdr, sizeof(r->hdr), status, ctx->date,
				     NULL, "text/html", blen, close, NULL, NULL);
	}
	r->hdr_len = (uint16_t)n;
	if (!head && (size_t)n + (size_t)blen < sizeof(r->hdr)) {
		memcpy(r->hdr + n, body, (size_t)blen);
		r->hdr_len = (uint16_t)(n + blen);
	}
	finish(ctx, r);
}

void http_respond_error(struct http_server_ctx *ctx, int status, bool close,
			bool head, struct http_resp *r)
{
	error_page(ctx, status, close, head, NULL, r);
}

/* RFC 3986 2.1: escape what may not stand in a Location path. */
static void encode_path(struct out *o, const char *p)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("/-._~!$&'()*+,;=:@", ch)) {
			put(o, (const char *)&ch, 1);
		} else {
			char esc[3] = { '%', hex[ch >> 4], hex[ch & 15] };

			put(o, esc, 3);
		}
	}
}

static bool has(struct http_slice s)
{
	return s.len != 0;
}

/* 304 when the file is not newer than If-Modified-Since. */
static bool not_modified(struct http_server_ctx *ctx, const struct http_req *q,
			 const char *buf, const struct http_file *f)
{
	time_t ims;

	if (!has(q->if_modified_since) ||
	    http_date_parse(buf + q->if_modified_since.off,
			    q->if_modified_since.len, &ims))
		return false;
	return ims <= ctx->now && f->mtime <= ims;
}

/* If-Range (RFC 9110 13.1.5): the range applies only if it matches. */
static bool if_range_ok(const struct http_req *q, const char *buf,
			const struct http_file *f)
{
	const char *v = buf + q->if_range.off;
	size_t len = q->if_range.len;
	time_t t;

	if (!has(q->if_range))
		return true;
	if (len && v[0] == '"')
		return len == strlen(f->etag) && !memcmp(v, f->etag, len);
	return !http_date_parse(v, len, &t) && t == f->mtime;
}

static void file_response(struct http_server_ctx *ctx, const struct http_req *q,
			  const char *buf, struct http_file *f, bool close,
			  struct http_resp *r)
{
	bool head = q->method == HTTP_M_HEAD;
	uint64_t first = 0, last = 0;
	enum http_range_result rr = HTTP_RANGE_NONE;
	char extra[96];
	int n;

	memset(r, 0, offsetof(struct http_resp, hdr));
	r->close = close;
	r->file = f;

	if (not_modified(ctx, q, buf, f)) {
		r->status = 304;
		n = http_format_head(r->hdr, sizeof(r->hdr), 304, ctx->date, f,
				     NULL, -1, close, NULL, NULL);
		r->hdr_len = (uint16_t)n;
		r->file = NULL;
		finish(ctx, r);
		return;
	}
	if (has(q->range) && if_range_ok(q, buf, f))
		rr = http_range_parse(buf + q->range.off, q->range.len,
				      f->size, &first, &last);
	if (rr == HTTP_RANGE_UNSATISFIABLE) {
		snprintf(extra, sizeof(extra), "Content-Range: bytes */%llu\r\n",
			 (unsigned long long)f->size);
		error_page(ctx, 416, close, head, extra, r);
		return;
	}
	if (rr == HTTP_RANGE_OK) {
		snprintf(extra, sizeof(extra),
			 "Content-Range: bytes %llu-%llu/%llu\r\n",
			 (unsigned long long)first, (unsigned long long)last,
			 (unsigned long long)f->size);
		r->status = 206;
		n = http_format_head(r->hdr, sizeof(r->hdr), 206, ctx->date, f,
				     f->type, (int64_t)(last - first + 1), close,
				     extra, NULL);
		r->hdr_len = (uint16_t)n;
		r->body_off = first;
		r->body_len = head ? 0 : last - first + 1;
		finish(ctx, r);
		return;
	}
	r->status = 200;
	r->body_len = head ? 0 : f->size;
	if ((ctx->opts & HTTP_OPT_PREBUILT) && f->pre[close].len) {
		const struct http_prebuilt *pb = &f->pre[close];

		http_cache_touch(f, ctx->now, ctx->date);
		memcpy(r->hdr, pb->buf, pb->len);
		r->hdr_len = pb->len;
		r->hdr_sum = pb->sum;
		return;
	}
	n = http_format_head(r->hdr, sizeof(r->hdr), 200, ctx->date, f, f->type,
			     (int64_t)f->size, close, NULL, NULL);
	r->hdr_len = (uint16_t)n;
	finish(ctx, r);
}

/* HTTP/0.9 (RFC 1945 4.1): the body alone, no head; then close. */
static void simple_response(struct http_resp *r)
{
	if (r->file) {
		r->hdr_len = 0;
		r->hdr_sum = 0;
	} else {
		char *body = strstr(r->hdr, "\r\n\r\n");
		size_t skip = body ? (size_t)(body + 4 - r->hdr) : 0;

		memmove(r->hdr, r->hdr + skip, r->hdr_len - skip);
		r->hdr_len = (uint16_t)(r->hdr_len - skip);
		r->hdr_sum = 0;
	}
	r->close = true;
}

void http_respond(struct http_server_ctx *ctx, const struct http_req *q,
		  const char *buf, struct http_resp *r)
{
	bool head = q->method == HTTP_M_HEAD;
	bool close = !http_req_keepalive(q) || q->chunked;
	char path[HTTP_PATH_MAX + 16];
	struct http_file *f;
	int len;

	if (q->status) {
		error_page(ctx, q->status, true, head, NULL, r);
		return;
	}
	if (q->method == HTTP_M_OTHER) {
		error_page(ctx, 405, close, false, NULL, r);
		return;
	}
	len = http_uri_path(buf + q->target.off, q->target.len, path,
			    HTTP_PATH_MAX);
	if (len < 0) {
		error_page(ctx, -len, true, head, NULL, r);
		goto out;
	}
	if (path[len - 1] == '/') {
		/* "/dir/": the directory's index.html */
		f = http_cache_lookup(ctx->cache, path, (size_t)len - 1);
		if (!f || f->kind != HTTP_E_DIR) {
			error_page(ctx, 404, close, head, NULL, r);
			goto out;
		}
		memcpy(path + len, "index.html", sizeof("index.html"));
		len += (int)sizeof("index.html") - 1;
		f = http_cache_lookup(ctx->cache, path, (size_t)len);
		if (!f || f->kind != HTTP_E_FILE) {
			/* no index.html (or not a readable file): no
			 * listing, 403 as nginx without autoindex */
			error_page(ctx, 403, close, head, NULL, r);
			goto out;
		}
	} else {
		f = http_cache_lookup(ctx->cache, path, (size_t)len);
		if (!f) {
			error_page(ctx, 404, close, head, NULL, r);
			goto out;
		}
		if (f->kind == HTTP_E_FORBIDDEN) {
			error_page(ctx, 403, close, head, NULL, r);
			goto out;
		}
		if (f->kind == HTTP_E_DIR) {
			char loc[HTTP_HDR_MAX / 2];
			struct out o = { loc, sizeof(loc), 0, false };

			puts_(&o, "Location: ");
			encode_path(&o, path);
			puts_(&o, "/\r\n");
			error_page(ctx, 301, close, head, o.full ? NULL : loc, r);
			goto out;
		}
	}
	file_response(ctx, q, buf, f, close, r);
out:
	if (q->major == 0)
		simple_response(r);
}
