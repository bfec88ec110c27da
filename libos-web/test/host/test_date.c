// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * test_date — HTTP-date: formatting against gmtime_r over many instants,
 * RFC 9110's three forms parsed, malformed dates refused.
 */
#include <stdlib.h>
#include <time.h>

#include "http.h"
#include "tap.h"

int main(void)
{
	char buf[HTTP_DATE_LEN + 1], ref[64];
	time_t t;
	int bad = 0;

	http_date_format(784111777, buf);
	tap_streq(buf, "Sun, 06 Nov 1994 08:49:37 GMT", "RFC 9110's example");
	http_date_format(0, buf);
	tap_streq(buf, "Thu, 01 Jan 1970 00:00:00 GMT", "the epoch");
	http_date_format(951782400, buf);
	tap_streq(buf, "Tue, 29 Feb 2000 00:00:00 GMT", "a leap day of 2000");
	http_date_format(4102444799, buf);
	tap_streq(buf, "Thu, 31 Dec 2099 23:59:59 GMT", "end of 2099");

	/* against the C library over 200,000 instants from 1970 to 2200 */
	srand(1);
	for (int i = 0; i < 200000; i++) {
		struct tm tm;

		t = (time_t)(((uint64_t)rand() << 16 ^ (uint64_t)rand()) %
			     UINT64_C(7258118400));
		gmtime_r(&t, &tm);
		strftime(ref, sizeof(ref), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		http_date_format(t, buf);
		if (strcmp(buf, ref) || strlen(buf) != HTTP_DATE_LEN) {
			if (!bad++)
				printf("# %lld: \"%s\" vs \"%s\"\n",
				       (long long)t, buf, ref);
		}
		time_t back;
		if (http_date_parse(buf, HTTP_DATE_LEN, &back) || back != t)
			bad++;
	}
	tap_eq(bad, 0, "200000 instants format as strftime does and parse back");

	tap_ok(!http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", 29, &t) &&
	       t == 784111777, "IMF-fixdate parses");
	tap_ok(!http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", 30, &t) &&
	       t == 784111777, "RFC 850 date parses");
	tap_ok(!http_date_parse("Sun Nov  6 08:49:37 1994", 24, &t) &&
	       t == 784111777, "asctime date parses");
	tap_ok(!http_date_parse("Wednesday, 02-Dec-26 16:30:12 GMT", 33, &t) &&
	       t == 1796229012, "RFC 850 two-digit year 26 is 2026");

	static const char *const badd[] = {
		"", "garbage", "Sun, 06 Nov 1994 08:49:37",
		"Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
		"Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:49:37 GMT",
		"Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMTx",
		"Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 94", "Sun, 06 Nov 1969 08:49:37 GMT",
	};
	for (size_t i = 0; i < sizeof(badd) / sizeof(badd[0]); i++)
		tap_ok(http_date_parse(badd[i], strlen(badd[i]), &t) == -1,
		       "refused: \"%s\"", badd[i]);
	return tap_done();
}
