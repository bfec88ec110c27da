// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * uri.c — from request-target to a path inside the document root.
 *
 * RFC 9112 3.2: the target is origin-form ("/path?query") or, which a
 * server must accept too, absolute-form ("http://host/path").  Everything
 * from '?' (the query) or '#' (a fragment a client should not send) on is
 * not part of the path.  Percent-escapes are decoded first (RFC 3986 2.1;
 * "%2F" is a '/' then, as nginx treats it), then the segments are
 * normalised (RFC 3986 5.2.4): empty and "." segments go, ".." removes the
 * previous one; a ".." that would climb above the root is refused with
 * 400 (nginx does the same), so no path can name a file outside the tree.
 * A decoded NUL or control byte is refused too: the path is used as a C
 * string and as a lookup key.
 */
#include <string.h>

#include "http.h"

static int hexval(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Skip "http://authority" (case-insensitive scheme); NULL if not that. */
static const char *skip_authority(const char *s, const char *end)
{
	static const char scheme[] = "http://";

	if ((size_t)(end - s) < sizeof(scheme) - 1)
		return NULL;
	for (size_t i = 0; i < sizeof(scheme) - 1; i++) {
		char ch = s[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch != scheme[i])
			return NULL;
	}
	s += sizeof(scheme) - 1;
	while (s < end && *s != '/' && *s != '?' && *s != '#')
		s++;
	return s;
}

int http_uri_path(const char *target, size_t len, char *out, size_t outsz)
{
	const char *s = target, *end = target + len;
	size_t n = 0;

	if (outsz < 2)
		return -414;
	if (len && s[0] != '/') {
		s = skip_authority(s, end);
		if (!s)
			return -400;
		if (s == end || *s != '/') {	/* "http://host" means "/" */
			if (s != end && *s != '?' && *s != '#')
				return -400;
			end = s;
		}
	}
	if (len == 0)
		return -400;

	/*
	 * One pass: decode into out[], and at each '/' (literal or decoded)
	 * look back at the segment just finished to drop "" and "." and to
	 * resolve "..".  out[] always starts with '/'.
	 */
	out[n++] = '/';
	if (s < end && *s == '/')
		s++;
	for (;;) {
		int ch;
		bool at_end = s >= end || *s == '?' || *s == '#';

		if (at_end) {
			ch = '/';		/* finish the last segment */
		} else if (*s == '%') {
			int hi, lo;

			if (end - s < 3)
				return -400;
			hi = hexval((unsigned char)s[1]);
			lo = hexval((unsigned char)s[2]);
			if (hi < 0 || lo < 0)
				return -400;
			ch = hi << 4 | lo;
			s += 3;
		} else {
			ch = (unsigned char)*s++;
		}
		if (ch < ' ' || ch == 0x7f)
			return -400;

		if (ch == '/') {
			/* The segment just ended is out[seg, n). */
			size_t seg = n;

			while (seg > 0 && out[seg - 1] != '/')
				seg--;
			if (n == seg) {
				/* empty segment: "//" merges */
			} else if (n - seg == 1 && out[seg] == '.') {
				n = seg;
			} else if (n - seg == 2 && out[seg] == '.' &&
				   out[seg + 1] == '.') {
				if (seg == 1)		/* above the root */
					return -400;
				n = seg - 1;		/* drop "/.." */
				while (out[n - 1] != '/')
					n--;
			} else {
				if (at_end)
					break;		/* no trailing '/' */
				if (n + 1 >= outsz)
					return -414;
				out[n++] = '/';
			}
			if (at_end)
				break;
			continue;
		}
		if (n + 1 >= outsz)
			return -414;
		out[n++] = (char)ch;
	}
	/*
	 * The loop left a trailing '/' when the path ended with one, or with
	 * "." or ".." (which name directories): keep those, they mean
	 * "this directory" and select its index.html.
	 */
	out[n] = '\0';
	return (int)n;
}
