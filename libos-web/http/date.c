// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * date.c — HTTP-date (RFC 9110 5.6.7).
 *
 * A server sends only IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", always
 * 29 bytes, which is what lets a prebuilt header have its Date patched in
 * place); a recipient must also accept the obsolete RFC 850 form
 * ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime()'s
 * ("Sun Nov  6 08:49:37 1994").  Conversions use the proleptic Gregorian
 * calendar directly (days from civil), never the C library's time zone.
 */
#include <string.h>

#include "http.h"

static const char wdays[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};
static const char months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1..12). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

void http_date_format(time_t t, char *out)
{
	int64_t days = (int64_t)t / 86400, secs = (int64_t)t % 86400, y;
	unsigned m, d, wd;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	wd = (unsigned)((days % 7 + 11) % 7);	/* 1970-01-01 was a Thursday */
	if (y < 0)
		y = 0;
	if (y > 9999)
		y = 9999;
	memcpy(out, wdays[wd], 3);
	memcpy(out + 3, ", ", 2);
	put2(out + 5, d);
	out[7] = ' ';
	memcpy(out + 8, months[m - 1], 3);
	out[11] = ' ';
	put2(out + 12, (unsigned)(y / 100));
	put2(out + 14, (unsigned)(y % 100));
	out[16] = ' ';
	put2(out + 17, (unsigned)(secs / 3600));
	out[19] = ':';
	put2(out + 20, (unsigned)(secs / 60 % 60));
	out[22] = ':';
	put2(out + 23, (unsigned)(secs % 60));
	memcpy(out + 25, " GMT", 4);
	out[HTTP_DATE_LEN] = '\0';
}

/* A little cursor over the input. */
struct rd {
	const char *s, *end;
};

static bool lit(struct rd *r, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(r->end - r->s) < n || memcmp(r->s, w, n))
		return false;
	r->s += n;
	return true;
}

/* Exactly @n digits (n 1..4), or 1..@n digits when @var. */
static bool num(struct rd *r, unsigned n, bool var, unsigned *v)
{
	unsigned i = 0;

	*v = 0;
	while (i < n && r->s < r->end && *r->s >= '0' && *r->s <= '9') {
		*v = *v * 10 + (unsigned)(*r->s++ - '0');
		i++;
	}
	return var ? i > 0 : i == n;
}

static bool month(struct rd *r, unsigned *m)
{
	for (unsigned i = 0; i < 12; i++)
		if (lit(r, months[i])) {
			*m = i + 1;
			return true;
		}
	return false;
}

static bool clock_hms(struct rd *r, unsigned *h, unsigned *mi, unsigned *s)
{
	return num(r, 2, false, h) && lit(r, ":") && num(r, 2, false, mi) &&
	       lit(r, ":") && num(r, 2, false, s);
}

static bool day_name(struct rd *r, bool longname)
{
	static const char *const longs[7] = {
		"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday",
		"Friday", "Saturday",
	};

	for (unsigned i = 0; i < 7; i++)
		if (lit(r, longname ? longs[i] : wdays[i]))
			return true;
	return false;
}

int http_date_parse(const char *s, size_t len, time_t *t)
{
	struct rd r = { s, s + len };
	unsigned y, m, d, h, mi, sec;
	struct rd save;

	save = r;
	if (day_name(&r, false) && lit(&r, ", ")) {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		if (!(num(&r, 2, false, &d) && lit(&r, " ") && month(&r, &m) &&
		      lit(&r, " ") && num(&r, 4, false, &y) && lit(&r, " ") &&
		      clock_hms(&r, &h, &mi, &sec) && lit(&r, " GMT")))
			return -1;
	} else if ((r = save, day_name(&r, true)) && lit(&r, ", ")) {
		/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
		if (!(num(&r, 2, false, &d) && lit(&r, "-") && month(&r, &m) &&
		      lit(&r, "-") && num(&r, 2, false, &y) && lit(&r, " ") &&
		      clock_hms(&r, &h, &mi, &sec) && lit(&r, " GMT")))
			return -1;
		/* RFC 9110 5.6.7: a two-digit year more than 50 years in the
		 * future is in the past; as a fixed rule: 70..99 -> 19xx. */
		y += y >= 70 ? 1900 : 2000;
	} else if ((r = save, day_name(&r, false)) && lit(&r, " ")) {
		/* asctime: "Sun Nov  6 08:49:37 1994" */
		if (!month(&r, &m) || !lit(&r, " "))
			return -1;
		if (r.s < r.end && *r.s == ' ')
			r.s++;
		if (!(num(&r, 2, true, &d) && lit(&r, " ") &&
		      clock_hms(&r, &h, &mi, &sec) && lit(&r, " ") &&
		      num(&r, 4, false, &y)))
			return -1;
	} else {
		return -1;
	}
	if (r.s != r.end)
		return -1;
	if (d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
		return -1;
	*t = (time_t)(days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 +
		      sec);
	return 0;
}
