// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * test_range — one byte range: 206 cases, 416 cases and ignored headers,
 * each as nginx 1.22 answers it for a 1000-byte file.
 */
#include "http.h"
#include "tap.h"

static const struct {
	const char *v;
	uint64_t size;
	enum http_range_result want;
	uint64_t first, last;
} cases[] = {
	{ "bytes=0-9", 1000, HTTP_RANGE_OK, 0, 9 },
	{ "bytes=990-", 1000, HTTP_RANGE_OK, 990, 999 },
	{ "bytes=-5", 1000, HTTP_RANGE_OK, 995, 999 },
	{ "bytes=0-2000", 1000, HTTP_RANGE_OK, 0, 999 },
	{ "bytes=-2000", 1000, HTTP_RANGE_OK, 0, 999 },
	{ "bytes= 0-1", 1000, HTTP_RANGE_OK, 0, 1 },
	{ "BYTES=5-5", 1000, HTTP_RANGE_OK, 5, 5 },
	{ "bytes=999-999", 1000, HTTP_RANGE_OK, 999, 999 },
	{ "bytes=0-0", 1, HTTP_RANGE_OK, 0, 0 },
	{ "bytes=1000-", 1000, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
	{ "bytes=5-2", 1000, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
	{ "bytes=abc", 1000, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
	{ "bytes=-0", 1000, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
	{ "bytes=-", 1000, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
	{ "bytes=1-2x", 1000, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
	{ "bytes=0-", 0, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
	{ "bytes=-1", 0, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
	{ "bytes=99999999999999999999999-", 1000, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
	{ "lines=1-2", 1000, HTTP_RANGE_NONE, 0, 0 },
	{ "bytes=0-0,5-6", 1000, HTTP_RANGE_NONE, 0, 0 },
	{ "", 1000, HTTP_RANGE_NONE, 0, 0 },
};

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t a = 77, b = 77;
		enum http_range_result r = http_range_parse(
			cases[i].v, strlen(cases[i].v), cases[i].size, &a, &b);

		tap_eq(r, cases[i].want, "\"%s\" of %llu bytes: result",
		       cases[i].v, (unsigned long long)cases[i].size);
		if (cases[i].want == HTTP_RANGE_OK)
			tap_ok(a == cases[i].first && b == cases[i].last,
			       "\"%s\": bytes %llu-%llu", cases[i].v,
			       (unsigned long long)cases[i].first,
			       (unsigned long long)cases[i].last);
	}
	return tap_done();
}
