// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * range.c — the Range header, one byte range (RFC 9110 14.1.2, 14.2).
 *
 *   bytes=FIRST-LAST   FIRST..min(LAST, size-1)
 *   bytes=FIRST-       FIRST..size-1
 *   bytes=-N           the last N bytes (all of them if N >= size)
 *
 * As nginx 1.22: a FIRST at or past the end, a suffix of 0, FIRST > LAST
 * or a malformed "bytes=" set earn 416 (RFC 9110 would also allow ignoring
 * a malformed one); whitespace around the numbers and commas is allowed;
 * another unit is ignored (200).  Several ranges are answered with the
 * whole document (200), which RFC 9110 14.2 allows; nginx would send
 * multipart/byteranges.
 */
#include <string.h>
#include <strings.h>

#include "http.h"

static void skip_ws(const char **s, const char *end)
{
	while (*s < end && (**s == ' ' || **s == '\t'))
		(*s)++;
}

/* Decimal digits, at most 2^62; returns false if none or too big. */
static bool number(const char **s, const char *end, uint64_t *v)
{
	const char *start = *s;

	*v = 0;
	while (*s < end && **s >= '0' && **s <= '9') {
		if (*v > (UINT64_C(1) << 62) / 10)
			return false;
		*v = *v * 10 + (uint64_t)(**s - '0');
		(*s)++;
	}
	return *s > start;
}

enum http_range_result http_range_parse(const char *s, size_t len,
					uint64_t size, uint64_t *first,
					uint64_t *last)
{
	const char *end = s + len;
	uint64_t a, b;
	bool have_a, have_b;

	if (len < 6 || strncasecmp(s, "bytes=", 6))
		return HTTP_RANGE_NONE;
	s += 6;
	skip_ws(&s, end);
	have_a = number(&s, end, &a);
	if (!have_a && s < end && *s >= '0' && *s <= '9')
		return HTTP_RANGE_UNSATISFIABLE;	/* too big */
	skip_ws(&s, end);
	if (s >= end || *s != '-')
		return HTTP_RANGE_UNSATISFIABLE;
	s++;
	skip_ws(&s, end);
	have_b = number(&s, end, &b);
	skip_ws(&s, end);
	if (s < end && *s == ',')
		return HTTP_RANGE_NONE;			/* several ranges */
	if (s != end || (!have_a && !have_b))
		return HTTP_RANGE_UNSATISFIABLE;

	if (!have_a) {					/* suffix: -N */
		if (b == 0 || size == 0)
			return HTTP_RANGE_UNSATISFIABLE;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return HTTP_RANGE_OK;
	}
	if (a >= size || (have_b && b < a))
		return HTTP_RANGE_UNSATISFIABLE;
	*first = a;
	*last = have_b && b < size - 1 ? b : size - 1;
	return HTTP_RANGE_OK;
}
