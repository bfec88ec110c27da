// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * test_cache — the file cache: what a tree loads into, lookups, memory
 * from the provider (page aligned, all given back), prebuilt heads and
 * their sums (patched for the Date), checksum tables, limits, and a file
 * the server may not read (403).
 */
#include <errno.h>
#include <sys/wait.h>

#include "http.h"
#include "tap.h"
#include "docroot.h"

struct counting_mem {
	long allocs, frees;
	size_t live;
};

static void *cm_alloc(void *ctx, size_t len)
{
	struct counting_mem *m = ctx;
	void *p = aligned_alloc(4096, len);

	if (p) {
		m->allocs++;
		m->live += len;
	}
	return p;
}

static void cm_free(void *ctx, void *p, size_t len)
{
	struct counting_mem *m = ctx;

	m->frees++;
	m->live -= len;
	free(p);
}

static uint16_t norm(uint16_t s)
{
	return s == 0xffff ? 0 : s;
}

static void test_tree(const char *root)
{
	struct counting_mem cm = { 0 };
	struct http_mem mem = { &cm, cm_alloc, cm_free };
	struct http_cache c;
	struct http_file *f;
	int ret, same = 1;

	ret = http_cache_load(&c, root, HTTP_OPT_ALL, &mem, NULL);
	tap_eq(ret, 0, "the tree loads");
	tap_eq(c.nfiles, 13, "13 entries (a link to a directory is not one)");

	f = http_cache_lookup(&c, "/a.bin", 6);
	tap_ok(f && f->kind == HTTP_E_FILE && f->size == 1000, "/a.bin: 1000 bytes");
	for (size_t i = 0; f && i < 1000; i++)
		if (f->data[i] != doc_byte(i))
			same = 0;
	tap_ok(f && same, "/a.bin: the bytes of the file");
	tap_ok(f && ((uintptr_t)f->data & 4095) == 0, "data is page aligned");
	tap_streq(f ? f->type : NULL, "application/octet-stream", "/a.bin type");
	tap_streq(f ? f->etag : NULL, "\"6b104794-3e8\"", "ETag as nginx makes it");
	tap_streq(f ? f->last_modified : NULL, "Wed, 02 Dec 2026 16:30:12 GMT",
		  "Last-Modified");

	f = http_cache_lookup(&c, "", 0);
	tap_ok(f && f->kind == HTTP_E_DIR, "the root is a directory entry");
	f = http_cache_lookup(&c, "/dir", 4);
	tap_ok(f && f->kind == HTTP_E_DIR, "/dir is a directory entry");
	f = http_cache_lookup(&c, "/dir/index.html", 15);
	tap_ok(f && f->size == 4 && !memcmp(f->data, "sub\n", 4), "/dir/index.html");
	tap_ok(!http_cache_lookup(&c, "/dirlink", 8), "a link to a directory: none");
	f = http_cache_lookup(&c, "/link.html", 10);
	tap_ok(f && f->size == 6 && !memcmp(f->data, "hello\n", 6),
	       "a link to a file is followed");
	f = http_cache_lookup(&c, "/style.CSS", 10);
	tap_streq(f ? f->type : NULL, "text/css", "extension matched ignoring case");
	f = http_cache_lookup(&c, "/empty.txt", 10);
	tap_ok(f && f->size == 0 && f->data == NULL, "an empty file holds no memory");
	tap_ok(!http_cache_lookup(&c, "/nope", 5), "a missing path: none");
	tap_ok(!http_cache_lookup(&c, "/a.bi", 5), "a prefix of a name: none");

	/* the prebuilt heads */
	f = http_cache_lookup(&c, "/index.html", 11);
	if (f) {
		char want[HTTP_HDR_MAX], date[HTTP_DATE_LEN + 1];
		int n;

		http_date_format(1800000000, date);
		http_cache_touch(f, 1800000000, date);
		for (int close = 0; close < 2; close++) {
			n = http_format_head(want, sizeof(want), 200, date, f,
					     "text/html", 6, close, NULL, NULL);
			tap_ok(n == f->pre[close].len &&
				       !memcmp(want, f->pre[close].buf, (size_t)n),
			       "prebuilt head (%s) equals the formatted one",
			       close ? "close" : "keep-alive");
			tap_eq(norm(f->pre[close].sum),
			       norm(http_csum(want, (size_t)n, 0)),
			       "its sum was patched with the Date");
		}
		tap_ok(strstr(f->pre[0].buf, "Date: Fri, 15 Jan 2027 08:00:00 GMT\r\n")
			       != NULL, "the Date field shows the new second");
	}

	/* checksum tables */
	f = http_cache_lookup(&c, "/big.dat", 8);
	tap_ok(f && f->csum, "/big.dat has a checksum table");
	if (f) {
		int bad = 0;

		srand(3);
		for (int i = 0; i < 2000; i++) {
			size_t off = (size_t)rand() % f->size;
			size_t n = (size_t)rand() % 3000;

			if (off + n > f->size)
				n = f->size - off;
			if (norm(http_file_csum(f, off, n)) !=
			    norm(http_csum(f->data + off, n, 0)))
				bad++;
		}
		tap_eq(bad, 0, "file sums over 2000 ranges equal direct sums");
	}
	tap_ok(cm.allocs >= 8 && cm.live >= (1 << 20) + 4096,
	       "the non-empty files were placed in the provider's memory");
	http_cache_free(&c);
	tap_eq(cm.live, 0, "every block given back to the provider");
	tap_eq(cm.allocs, cm.frees, "as many frees as allocations");

	ret = http_cache_load(&c, root, 0, NULL, NULL);
	f = ret ? NULL : http_cache_lookup(&c, "/big.dat", 8);
	tap_ok(f && !f->csum && f->pre[0].len == 0,
	       "with the switches off: no tables, no prebuilt heads");
	http_cache_free(&c);
}

static void test_limits(const char *root)
{
	struct http_cache c;
	struct http_cache_limits lim = { .max_bytes = 1 << 20, .max_files = 100,
					 .max_depth = 8 };

	tap_eq(http_cache_load(&c, root, 0, NULL, &lim), -EFBIG,
	       "documents over max_bytes: -EFBIG");
	tap_eq(c.nfiles, 0, "and the cache is left empty");
	lim.max_bytes = 1 << 30;
	lim.max_files = 5;
	tap_eq(http_cache_load(&c, root, 0, NULL, &lim), -ENFILE,
	       "entries over max_files: -ENFILE");
	lim.max_files = 100;
	lim.max_depth = 0;
	tap_eq(http_cache_load(&c, root, 0, NULL, &lim), -ELOOP,
	       "nesting over max_depth: -ELOOP");
	tap_eq(http_cache_load(&c, "/nonexistent-dir", 0, NULL, NULL), -ENOENT,
	       "a missing root: -ENOENT");
}

/* As an unprivileged user, a file without read permission is a 403 entry. */
static void test_forbidden(const char *root)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		struct http_cache c;
		struct http_file *f;

		if (getuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(3);
		if (http_cache_load(&c, root, HTTP_OPT_ALL, NULL, NULL))
			_exit(4);
		f = http_cache_lookup(&c, "/noperm.txt", 11);
		_exit(f && f->kind == HTTP_E_FORBIDDEN ? 0 : 5);
	}
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "an unreadable file is a 403 entry (exit %d)",
	       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/*
 * A document source other than a directory (http_cache_load_src): the
 * root holds "a.html" (5 bytes) and "d/", which holds "b.txt" (5000
 * bytes); @fail_read makes every read fail.
 */
static int fail_read;
static uint8_t big[5000];

static int src_list(void *ctx, const char *path,
		    int (*fn)(void *, const char *, bool, uint64_t, time_t),
		    void *arg)
{
	int ret;

	(void)ctx;
	if (!strcmp(path, ""))
		return (ret = fn(arg, "a.html", false, 5, 1000)) ? ret :
		       fn(arg, "d", true, 0, 1000);
	if (!strcmp(path, "/d"))
		return fn(arg, "b.txt", false, sizeof(big), 2000);
	return -ENOENT;
}

static int src_read(void *ctx, const char *path, void *dst, uint64_t size)
{
	(void)ctx;
	if (fail_read)
		return -EILSEQ;
	if (!strcmp(path, "/a.html") && size == 5)
		memcpy(dst, "hello", 5);
	else if (!strcmp(path, "/d/b.txt") && size == sizeof(big))
		memcpy(dst, big, sizeof(big));
	else
		return -ENOENT;
	return 0;
}

static void test_src(void)
{
	const struct http_docsrc src = { .list = src_list, .read = src_read };
	struct http_cache c;
	struct http_file *f;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	tap_eq(http_cache_load_src(&c, &src, HTTP_OPT_ALL, NULL, NULL), 0,
	       "load from a document source");
	tap_eq(c.nfiles, 4, "four entries: the root, a.html, d, d/b.txt");
	f = http_cache_lookup(&c, "/a.html", 7);
	tap_ok(f && f->kind == HTTP_E_FILE && f->size == 5 &&
	       !memcmp(f->data, "hello", 5), "/a.html: its bytes");
	tap_ok(f && f->mtime == 1000 && f->pre[0].len, "/a.html: mtime, a prebuilt head");
	f = http_cache_lookup(&c, "/d", 2);
	tap_ok(f && f->kind == HTTP_E_DIR, "/d: a directory");
	f = http_cache_lookup(&c, "/d/b.txt", 8);
	tap_ok(f && f->size == sizeof(big) && !memcmp(f->data, big, sizeof(big)) &&
	       f->csum, "/d/b.txt: its bytes and checksum table");
	http_cache_free(&c);
	fail_read = 1;
	tap_eq(http_cache_load_src(&c, &src, HTTP_OPT_ALL, NULL, NULL), -EILSEQ,
	       "a read that fails fails the load");
	tap_eq(c.nfiles, 0, "and leaves the cache empty");
	fail_read = 0;
}

int main(void)
{
	const char *root = doc_make();

	test_src();
	test_tree(root);
	test_limits(root);
	test_forbidden(root);
	doc_remove();
	return tap_done();
}
