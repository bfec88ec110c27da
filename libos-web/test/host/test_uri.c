// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * test_uri — request-target to path: percent-decoding, normalisation,
 * traversal refused (each case as nginx 1.22 decides it).
 */
#include "http.h"
#include "tap.h"

static const struct {
	const char *target, *path;	/* path NULL: refused */
	int err;
} cases[] = {
	{ "/", "/", 0 },
	{ "/index.html", "/index.html", 0 },
	{ "/a/b/c", "/a/b/c", 0 },
	{ "/dir/", "/dir/", 0 },
	{ "//index.html", "/index.html", 0 },
	{ "/a//b///c", "/a/b/c", 0 },
	{ "/./index.html", "/index.html", 0 },
	{ "/a/./b/.", "/a/b/", 0 },
	{ "/dir/../index.html", "/index.html", 0 },
	{ "/dir/..", "/", 0 },
	{ "/a/b/../../c", "/c", 0 },
	{ "/a%20b", "/a b", 0 },
	{ "/%41%62%63", "/Abc", 0 },
	{ "/%2fdir%2f", "/dir/", 0 },
	{ "/caf%C3%A9", "/caf\xc3\xa9", 0 },
	{ "/?x=1", "/", 0 },
	{ "/a?x=/../../etc", "/a", 0 },
	{ "/index.html#frag", "/index.html", 0 },
	{ "/a%3Fb", "/a?b", 0 },
	{ "http://host/index.html", "/index.html", 0 },
	{ "HTTP://host:80/a/../b", "/b", 0 },
	{ "http://host", "/", 0 },
	{ "http://host?q", "/", 0 },
	{ "/..", NULL, 400 },
	{ "/../etc/passwd", NULL, 400 },
	{ "/a/../../etc/passwd", NULL, 400 },
	{ "/%2e%2e/x", NULL, 400 },
	{ "/%2E%2e%2fetc", NULL, 400 },
	{ "/a/%2e%2e/%2e%2e/x", NULL, 400 },
	{ "/a%00b", NULL, 400 },
	{ "/a%0ab", NULL, 400 },
	{ "/%zz", NULL, 400 },
	{ "/%4", NULL, 400 },
	{ "/%", NULL, 400 },
	{ "*", NULL, 400 },
	{ "noslash", NULL, 400 },
	{ "ftp://host/x", NULL, 400 },
	{ "http://host:80x", "/", 0 },
};

int main(void)
{
	char out[HTTP_PATH_MAX];
	char small[8];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = http_uri_path(cases[i].target, strlen(cases[i].target),
				      out, sizeof(out));

		if (cases[i].path) {
			tap_ok(n == (int)strlen(cases[i].path) &&
				       !strcmp(out, cases[i].path),
			       "\"%s\" -> \"%s\"", cases[i].target,
			       cases[i].path);
			if (n < 0)
				printf("#   got error %d\n", n);
			else if (strcmp(out, cases[i].path))
				printf("#   got \"%s\"\n", out);
		} else {
			tap_eq(n, -cases[i].err, "\"%s\" refused with %d",
			       cases[i].target, cases[i].err);
		}
	}
	tap_eq(http_uri_path("/abcdefghij", 11, small, sizeof(small)), -414,
	       "a path longer than the output: -414");
	tap_eq(http_uri_path("/abcdef", 7, small, sizeof(small)), 7,
	       "a path that just fits");
	return tap_done();
}
