// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * parse.c — an incremental HTTP/1.x request-head parser (RFC 9112 2-5).
 *
 * The connection appends received bytes to one buffer and calls
 * http_parse() again; the parser walks each byte once, keeps its state
 * between calls and never copies: the request's fields are slices of the
 * buffer.  A request split into single-byte segments parses exactly as one
 * that arrived whole (the host tests check every split point).
 *
 * Errors are answered as nginx 1.22 answers them (checked against it):
 *  - a malformed request line or header, a lowercase or odd method, a
 *    target that is not "/..." or "http://...", HTTP/0.x, a missing or
 *    repeated Host in HTTP/1.1, repeated or malformed Content-Length,
 *    Transfer-Encoding with Content-Length or in HTTP/1.0, obsolete line
 *    folding, whitespace before a header's colon:               400
 *  - a request line longer than HTTP_LINE_MAX:                    414
 *  - a header line longer than HTTP_LINE_MAX, a head longer than
 *    HTTP_IN_MAX or more than HTTP_HEADERS_MAX fields:             431
 *    (nginx sends "400 Request Header Or Cookie Too Large"; 431 is the
 *    status RFC 6585 made for it, and the one the issue asks for)
 *  - Transfer-Encoding other than "chunked" in HTTP/1.1:          501
 *  - HTTP/2 or later in the request line:                         505
 * A header line without a colon, or whose name has characters outside
 * RFC 9110's token set, is ignored (nginx's ignore_invalid_headers).
 */
#include <string.h>

#include "http.h"

/* RFC 9110 5.6.2 tchar */
static bool is_tchar(unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return true;
	return ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static bool is_method_char(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '-';
}

void http_parser_init(struct http_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->state = HP_START;
	p->req.content_length = -1;
}

static bool slice_ieq(const char *buf, uint32_t off, uint32_t len,
		      const char *lit)
{
	size_t n = strlen(lit);

	if (len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = buf[off + i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch != lit[i])
			return false;
	}
	return true;
}

static struct http_slice mk_slice(uint32_t off, uint32_t len)
{
	struct http_slice s = { (uint16_t)off, (uint16_t)len };

	return s;
}

/* Connection: a comma-separated list of tokens (RFC 9110 7.6.1). */
static void parse_connection(struct http_req *r, const char *buf,
			     uint32_t off, uint32_t len)
{
	uint32_t i = off, end = off + len;

	while (i < end) {
		uint32_t s, e;

		while (i < end && (buf[i] == ' ' || buf[i] == '\t' ||
				   buf[i] == ','))
			i++;
		s = i;
		while (i < end && buf[i] != ',')
			i++;
		e = i;
		while (e > s && (buf[e - 1] == ' ' || buf[e - 1] == '\t'))
			e--;
		if (slice_ieq(buf, s, e - s, "close"))
			r->connection |= HTTP_CONN_CLOSE;
		else if (slice_ieq(buf, s, e - s, "keep-alive"))
			r->connection |= HTTP_CONN_KEEPALIVE;
	}
}

/* Content-Length: 1*DIGIT, at most 2^53 (nginx: NGX_MAX_OFF_T_VALUE). */
static int parse_length(const char *buf, uint32_t off, uint32_t len,
			int64_t *out)
{
	int64_t v = 0;

	if (len == 0 || len > 16)
		return -1;
	for (uint32_t i = off; i < off + len; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -1;
		v = v * 10 + (buf[i] - '0');
	}
	if (v > (INT64_C(1) << 53))
		return -1;
	*out = v;
	return 0;
}

/*
 * One complete header field.  Returns 0, or the status it earns.  Header
 * names are compared case-insensitively (RFC 9110 5.1).
 */
static int header_done(struct http_parser *p, const char *buf)
{
	struct http_req *r = &p->req;
	uint32_t no = p->name_off, nl = p->name_len;
	uint32_t vo = p->mark, vl = p->value_end > p->mark ?
					    p->value_end - p->mark : 0;

	if (++r->nheaders > HTTP_HEADERS_MAX)
		return 431;
	if (nl == 0)				/* ignored line */
		return 0;
	if (slice_ieq(buf, no, nl, "host")) {
		if (++r->nhost > 1)
			return 400;
		r->host = mk_slice(vo, vl);
	} else if (slice_ieq(buf, no, nl, "connection")) {
		parse_connection(r, buf, vo, vl);
	} else if (slice_ieq(buf, no, nl, "content-length")) {
		if (r->content_length >= 0 ||
		    parse_length(buf, vo, vl, &r->content_length))
			return 400;
	} else if (slice_ieq(buf, no, nl, "transfer-encoding")) {
		if (r->chunked)
			return 400;
		if (!slice_ieq(buf, vo, vl, "chunked"))
			return r->minor >= 1 ? 501 : 400;
		r->chunked = true;
	} else if (slice_ieq(buf, no, nl, "range")) {
		r->range = mk_slice(vo, vl);
	} else if (slice_ieq(buf, no, nl, "if-modified-since")) {
		r->if_modified_since = mk_slice(vo, vl);
	} else if (slice_ieq(buf, no, nl, "if-range")) {
		r->if_range = mk_slice(vo, vl);
	} else if (slice_ieq(buf, no, nl, "expect")) {
		r->expect_continue = slice_ieq(buf, vo, vl, "100-continue");
	}
	return 0;
}

/* Host: reg-name or IP literal, with an optional port (nginx's checks). */
static bool host_ok(const char *buf, struct http_slice h)
{
	if (h.len == 0 || buf[h.off] == '.')
		return false;
	for (uint32_t i = h.off; i < (uint32_t)h.off + h.len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch == '/' || ch == '\\' || ch <= ' ' || ch == 0x7f)
			return false;
		if (ch == '.' && i + 1 < (uint32_t)h.off + h.len &&
		    buf[i + 1] == '.')
			return false;
	}
	return true;
}

/* Checks that need the whole head (RFC 9112 3.2, 6.1, 6.3). */
static int head_done(struct http_req *r, const char *buf)
{
	if (r->major == 1 && r->minor >= 1 && r->nhost == 0)
		return 400;
	if (r->nhost && !host_ok(buf, r->host))
		return 400;
	if (r->chunked && r->content_length >= 0)
		return 400;
	if (r->chunked && r->minor == 0)
		return 400;
	return 0;
}

/* "HTTP/" 1*3DIGIT "." 1*3DIGIT; returns 0 or the status it earns. */
static int parse_version(struct http_req *r, const char *s, uint32_t len)
{
	uint32_t i = 5, maj = 0, min = 0, nd;

	if (len < 8 || memcmp(s, "HTTP/", 5))
		return 400;
	for (nd = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++)
		maj = maj * 10 + (uint32_t)(s[i] - '0');
	if (nd == 0 || nd > 3 || i >= len || s[i++] != '.')
		return 400;
	for (nd = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++)
		min = min * 10 + (uint32_t)(s[i] - '0');
	if (nd == 0 || nd > 3 || i != len)
		return 400;
	if (maj == 0)
		return 400;
	if (maj > 1)
		return 505;
	r->major = 1;
	r->minor = min > 1 ? 1 : (uint8_t)min;
	return 0;
}

static enum http_parse_result fail(struct http_parser *p, int status)
{
	p->req.status = status;
	p->state = HP_DONE;
	return HTTP_PARSE_ERROR;
}

/* The request line ended at p->pos (CR or LF) without a version: 0.9. */
static int simple_request(struct http_parser *p)
{
	if (p->req.method != HTTP_M_GET)
		return 400;
	p->req.major = 0;
	p->req.minor = 9;
	return 0;
}

enum http_parse_result http_parse(struct http_parser *p, const char *buf,
				  size_t len)
{
	struct http_req *r = &p->req;
	int st;

	if (p->state == HP_DONE)
		return r->status ? HTTP_PARSE_ERROR : HTTP_PARSE_DONE;

	for (; p->pos < len; p->pos++) {
		unsigned char ch = (unsigned char)buf[p->pos];
		uint32_t pos = p->pos;

		switch (p->state) {
		case HP_START:			/* RFC 9112 2.2: skip CRLFs */
			if (ch == '\r' || ch == '\n') {
				if (++p->blank > HTTP_BLANK_MAX)
					return fail(p, 400);
				break;
			}
			if (!is_method_char(ch))
				return fail(p, 400);
			p->mark = p->line_start = pos;
			p->state = HP_METHOD;
			break;

		case HP_METHOD:
			if (ch == ' ') {
				uint32_t n = pos - p->mark;

				if (n == 3 && !memcmp(buf + p->mark, "GET", 3))
					r->method = HTTP_M_GET;
				else if (n == 4 &&
					 !memcmp(buf + p->mark, "HEAD", 4))
					r->method = HTTP_M_HEAD;
				else
					r->method = HTTP_M_OTHER;
				p->state = HP_SP1;
				break;
			}
			if (!is_method_char(ch) ||
			    pos - p->mark >= HTTP_METHOD_MAX)
				return fail(p, 400);
			break;

		case HP_SP1:
			if (ch == ' ')
				break;
			if (ch <= ' ' || ch == 0x7f)
				return fail(p, 400);
			p->mark = pos;
			p->state = HP_TARGET;
			break;

		case HP_TARGET:
			if (ch == ' ') {
				r->target = mk_slice(p->mark, pos - p->mark);
				p->state = HP_SP2;
				break;
			}
			if (ch == '\r' || ch == '\n') {
				r->target = mk_slice(p->mark, pos - p->mark);
				st = simple_request(p);
				if (st)
					return fail(p, st);
				if (ch == '\n')
					goto done;
				p->state = HP_END_CR;
				break;
			}
			if (ch < ' ' || ch == 0x7f)
				return fail(p, 400);
			break;

		case HP_SP2:
			if (ch == ' ')
				break;
			if (ch == '\r' || ch == '\n') {
				st = simple_request(p);
				if (st)
					return fail(p, st);
				if (ch == '\n')
					goto done;
				p->state = HP_END_CR;
				break;
			}
			p->mark = pos;
			p->value_end = 0;
			p->state = HP_VERSION;
			break;

		case HP_VERSION:
			if (ch == ' ' || ch == '\r' || ch == '\n') {
				if (!p->value_end)
					p->value_end = pos;
				if (ch == ' ')
					break;
				st = parse_version(r, buf + p->mark,
						   p->value_end - p->mark);
				if (st)
					return fail(p, st);
				if (ch == '\n') {
					p->state = HP_HDR_START;
					p->line_start = pos + 1;
				} else {
					p->state = HP_RL_CR;
				}
				break;
			}
			if (p->value_end)	/* text after trailing space */
				return fail(p, 400);
			if (pos - p->mark > 16)
				return fail(p, 400);
			break;

		case HP_RL_CR:
			if (ch != '\n')
				return fail(p, 400);
			p->state = HP_HDR_START;
			p->line_start = pos + 1;
			break;

		case HP_HDR_START:
			p->line_start = pos;
			if (ch == '\r') {
				p->state = HP_END_CR;
				break;
			}
			if (ch == '\n')
				goto done;
			if (ch == ' ' || ch == '\t' || ch == ':')
				return fail(p, 400);	/* obs-fold, no name */
			if (ch < ' ' || ch == 0x7f)
				return fail(p, 400);
			p->name_off = pos;
			p->name_len = is_tchar(ch) ? 1 : 0;
			p->mark = p->value_end = 0;
			p->state = HP_HDR_NAME;
			if (!is_tchar(ch))		/* ignored line */
				p->state = HP_HDR_VALUE;
			break;

		case HP_HDR_NAME:
			if (ch == ':') {
				p->name_len = pos - p->name_off;
				p->state = HP_HDR_COLON_WS;
				break;
			}
			if (ch == ' ' || ch == '\t')
				return fail(p, 400);	/* RFC 9112 5.1 */
			if (ch == '\r' || ch == '\n' || !is_tchar(ch)) {
				/* no colon, or an invalid name: ignore */
				p->name_len = 0;
				p->mark = p->value_end = pos;
				p->state = HP_HDR_VALUE;
				p->pos--;		/* see ch again there */
				break;
			}
			break;

		case HP_HDR_COLON_WS:
			if (ch == ' ' || ch == '\t')
				break;
			p->mark = p->value_end = pos;
			p->state = HP_HDR_VALUE;
			p->pos--;
			break;

		case HP_HDR_VALUE:
			if (ch == '\r' || ch == '\n') {
				if (!p->mark)
					p->mark = p->value_end = pos;
				st = header_done(p, buf);
				if (st)
					return fail(p, st);
				if (ch == '\r') {
					p->state = HP_HDR_CR;
				} else {
					p->state = HP_HDR_START;
				}
				break;
			}
			if (ch == 0)
				return fail(p, 400);
			if (ch != ' ' && ch != '\t')
				p->value_end = pos + 1;
			break;

		case HP_HDR_CR:
			if (ch != '\n')
				return fail(p, 400);
			p->state = HP_HDR_START;
			break;

		case HP_END_CR:
			if (ch != '\n')
				return fail(p, 400);
			goto done;

		case HP_DONE:
			break;
		}

		/* Line length limits: 414 in the request line, 431 after. */
		if (p->state != HP_START &&
		    pos + 1 - p->line_start > HTTP_LINE_MAX)
			return fail(p, p->state <= HP_RL_CR && r->major == 0 &&
					       r->minor == 0 ? 414 : 431);
	}

	/* Not complete yet, and the buffer can hold no more of it. */
	if (len >= HTTP_IN_MAX)
		return fail(p, p->state <= HP_RL_CR && r->major == 0 &&
				       r->minor == 0 ? 414 : 431);
	return HTTP_PARSE_AGAIN;

done:
	p->pos++;
	r->length = p->pos;
	p->state = HP_DONE;
	if (r->major == 1) {
		st = head_done(r, buf);
		if (st)
			return fail(p, st);
	}
	return HTTP_PARSE_DONE;
}

bool http_req_keepalive(const struct http_req *r)
{
	if (r->major != 1 || (r->connection & HTTP_CONN_CLOSE))
		return false;
	if (r->minor >= 1)
		return true;
	return (r->connection & HTTP_CONN_KEEPALIVE) != 0;
}
