// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * cache.c — the document tree, in memory the server owns.
 *
 * Cheetah's merged file cache and retransmission pool: every document is
 * read once, at start, into page-aligned blocks from the server's memory
 * provider (exo frames in exo-httpd), and the cache never changes while
 * the server runs.  A response's body is sent by reference to those bytes,
 * and the TCP stack rebuilds any retransmitted segment from them: there is
 * no per-connection copy of a document and no send buffer holding one.
 *
 * For each file the cache also keeps (each behind its HTTP_OPT_* switch):
 *  - the checksum table (csum.c): the ones'-complement sum of any byte
 *    range in O(1), for segments whose checksum is not recomputed;
 *  - two prebuilt "200 OK" heads (Connection: keep-alive / close), with
 *    their own sums; the Date in them is patched in place once a second
 *    (http_cache_touch) and the sum with it (RFC 1624), so answering a
 *    request is a copy of ~250 bytes, not a formatting of every field.
 *
 * Entries are found by path in an open-addressed hash table (FNV-1a,
 * linear probing, at most half full).  Directories are entries too, so
 * "/dir" can be told from a missing file (301 to "/dir/"), and a file the
 * server may not read is an entry that answers 403, as nginx does.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "http.h"

#define PAGE 4096UL

static void *anon_alloc(void *ctx, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)ctx;
	return p == MAP_FAILED ? NULL : p;
}

static void anon_free(void *ctx, void *p, size_t len)
{
	(void)ctx;
	munmap(p, len);
}

static uint32_t fnv1a(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)s[i];
		h *= 16777619u;
	}
	return h;
}

struct http_file *http_cache_lookup(const struct http_cache *c,
					  const char *path, size_t len)
{
	uint32_t h = fnv1a(path, len), mask = c->nslots - 1;

	if (!c->nslots)
		return NULL;
	for (uint32_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t slot = c->slots[i];
		struct http_file *f;

		if (!slot)
			return NULL;
		f = &c->files[slot - 1];
		if (f->hash == h && f->path_len == len &&
		    !memcmp(f->path, path, len))
			return f;
	}
}

static int grow_slots(struct http_cache *c)
{
	uint32_t n = c->nslots ? c->nslots * 2 : 64, mask = n - 1;
	uint32_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (uint32_t k = 0; k < c->nfiles; k++) {
		uint32_t i = c->files[k].hash & mask;

		while (slots[i])
			i = (i + 1) & mask;
		slots[i] = k + 1;
	}
	free(c->slots);
	c->slots = slots;
	c->nslots = n;
	return 0;
}

/* A new entry for @path (copied); NULL with *err set. */
static struct http_file *add_entry(struct http_cache *c, const char *path,
				   size_t len, int *err)
{
	struct http_file *f;
	uint32_t mask, i;

	if (c->nfiles >= c->lim.max_files) {
		*err = -ENFILE;
		return NULL;
	}
	if (c->nfiles == c->cap) {
		uint32_t cap = c->cap ? c->cap * 2 : 64;

		f = realloc(c->files, cap * sizeof(*f));
		if (!f) {
			*err = -ENOMEM;
			return NULL;
		}
		c->files = f;
		c->cap = cap;
	}
	if ((c->nfiles + 1) * 2 > c->nslots && (*err = grow_slots(c)))
		return NULL;
	f = &c->files[c->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = malloc(len + 1);
	if (!f->path) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(f->path, path, len);
	f->path[len] = '\0';
	f->path_len = (uint32_t)len;
	f->hash = fnv1a(path, len);
	mask = c->nslots - 1;
	for (i = f->hash & mask; c->slots[i]; i = (i + 1) & mask)
		;
	c->slots[i] = ++c->nfiles;
	return f;
}

static void build_prebuilt(struct http_file *f, const char *date)
{
	for (int i = 0; i < 2; i++) {
		struct http_prebuilt *pb = &f->pre[i];
		int n = http_format_head(pb->buf, sizeof(pb->buf), 200, date, f,
					 f->type, (int64_t)f->size, i == 1,
					 NULL, &pb->date_off);

		/* Paths are bounded and types are short: it always fits. */
		pb->len = n < 0 ? 0 : (uint16_t)n;
		pb->sum = http_csum(pb->buf, pb->len, 0);
	}
}

void http_cache_touch(struct http_file *f, time_t now, const char *date)
{
	if (f->prebuilt_date == now || f->kind != HTTP_E_FILE)
		return;
	for (int i = 0; i < 2; i++) {
		struct http_prebuilt *pb = &f->pre[i];
		char *at = pb->buf + pb->date_off;
		uint16_t old = http_csum(at, HTTP_DATE_LEN, 0);
		uint16_t new = http_csum(date, HTTP_DATE_LEN, 0);

		if (!pb->len)
			continue;
		if (pb->date_off & 1) {
			old = http_csum_swap(old);
			new = http_csum_swap(new);
		}
		memcpy(at, date, HTTP_DATE_LEN);
		pb->sum = http_csum_add(http_csum_sub(pb->sum, old), new);
	}
	f->prebuilt_date = now;
}

uint16_t http_file_csum(const struct http_file *f, size_t off, size_t len)
{
	return http_csum_range(f->data, f->csum, off, len);
}

/* Read @size bytes of the file open at *@ctx into @p. */
static int fill_fd(void *ctx, void *p, uint64_t size)
{
	int fd = *(int *)ctx;
	size_t got = 0;

	while (got < size) {
		ssize_t n = read(fd, (uint8_t *)p + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)			/* error, or it shrank */
			return n < 0 ? -errno : -EIO;
		got += (size_t)n;
	}
	return 0;
}

/* Fill @f's bytes into the cache's memory with @fill(@ctx, p, size). */
static int load_data(struct http_cache *c, struct http_file *f,
		     int (*fill)(void *ctx, void *p, uint64_t size), void *ctx)
{
	size_t alloc = (f->size + PAGE - 1) & ~(PAGE - 1);
	uint8_t *p;
	int err;

	if (f->size == 0)
		return 0;
	if (c->bytes + alloc > c->lim.max_bytes)
		return -EFBIG;
	p = c->mem.alloc(c->mem.ctx, alloc);
	if (!p)
		return -ENOMEM;
	err = fill(ctx, p, f->size);
	if (err) {
		c->mem.free(c->mem.ctx, p, alloc);
		return err;
	}
	f->data = p;
	f->alloc = alloc;
	c->bytes += alloc;
	if (c->opts & HTTP_OPT_CSUM) {
		f->csum = malloc(http_csum_table_len(f->size) * sizeof(uint16_t));
		if (!f->csum)
			return -ENOMEM;
		http_csum_table(f->data, f->size, f->csum);
	}
	return 0;
}

/* A file's bytes are in: its validators and prebuilt heads. */
static void file_done(struct http_cache *c, struct http_file *f)
{
	char date[HTTP_DATE_LEN + 1];

	http_date_format(f->mtime, f->last_modified);
	snprintf(f->etag, sizeof(f->etag), "\"%llx-%llx\"",
		 (unsigned long long)f->mtime, (unsigned long long)f->size);
	http_date_format(0, date);
	f->prebuilt_date = 0;
	if (c->opts & HTTP_OPT_PREBUILT)
		build_prebuilt(f, date);
}

static int load_file(struct http_cache *c, int dirfd, const char *name,
		     const char *path, size_t len, const struct stat *st)
{
	struct http_file *f;
	int err = 0, fd;

	f = add_entry(c, path, len, &err);
	if (!f)
		return err;
	f->mtime = st->st_mtime;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != EACCES && errno != EPERM)
			return -errno;
		f->kind = HTTP_E_FORBIDDEN;	/* 403, as nginx */
		return 0;
	}
	f->kind = HTTP_E_FILE;
	f->size = (uint64_t)st->st_size;
	f->type = http_mime_type(f->path);
	err = load_data(c, f, fill_fd, &fd);
	close(fd);
	if (!err)
		file_done(c, f);
	return err;
}

/* Load directory @fd, whose path is @path[0, len) ("" for the root). */
static int load_dir(struct http_cache *c, int fd, char *path, size_t len,
		    unsigned depth)
{
	DIR *d;
	struct dirent *de;
	int err = 0;

	if (depth > c->lim.max_depth)
		return -ELOOP;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while (!err && (errno = 0, de = readdir(d))) {
		size_t nl = strlen(de->d_name);
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (len + 1 + nl >= HTTP_PATH_MAX)
			continue;		/* no request could name it */
		path[len] = '/';
		memcpy(path + len + 1, de->d_name, nl + 1);
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;		/* vanished */
		if (S_ISLNK(st.st_mode)) {
			/* follow links to files, not to directories */
			if (fstatat(fd, de->d_name, &st, 0) ||
			    !S_ISREG(st.st_mode))
				continue;
		}
		if (S_ISREG(st.st_mode)) {
			err = load_file(c, fd, de->d_name, path,
					len + 1 + nl, &st);
		} else if (S_ISDIR(st.st_mode)) {
			struct http_file *f;
			int sub;

			f = add_entry(c, path, len + 1 + nl, &err);
			if (!f)
				break;
			f->kind = HTTP_E_DIR;
			f->mtime = st.st_mtime;
			sub = openat(fd, de->d_name,
				     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (sub < 0) {
				if (errno != EACCES && errno != EPERM)
					err = -errno;
				continue;	/* its contents: 404 */
			}
			err = load_dir(c, sub, path, len + 1 + nl, depth + 1);
		}
	}
	if (!err && errno)
		err = -errno;
	closedir(d);
	return err;
}

static void cache_init(struct http_cache *c, uint32_t opts,
		       const struct http_mem *mem,
		       const struct http_cache_limits *lim)
{
	static const struct http_cache_limits deflim = {
		.max_bytes = UINT64_C(1) << 30,
		.max_files = 65536,
		.max_depth = 32,
	};

	memset(c, 0, sizeof(*c));
	c->opts = opts;
	c->lim = lim ? *lim : deflim;
	if (mem) {
		c->mem = *mem;
	} else {
		c->mem.alloc = anon_alloc;
		c->mem.free = anon_free;
	}
}

int http_cache_load(struct http_cache *c, const char *root, uint32_t opts,
		    const struct http_mem *mem,
		    const struct http_cache_limits *lim)
{
	char *path;
	struct http_file *f;
	struct stat st;
	int fd, err = 0;

	cache_init(c, opts, mem, lim);
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	path = malloc(HTTP_PATH_MAX);
	f = path ? add_entry(c, "", 0, &err) : NULL;
	if (!f) {
		free(path);
		close(fd);
		http_cache_free(c);
		return path ? err : -ENOMEM;
	}
	f->kind = HTTP_E_DIR;
	f->mtime = st.st_mtime;
	err = load_dir(c, fd, path, 0, 0);
	free(path);
	if (err)
		http_cache_free(c);
	return err;
}

/* ---- a tree from a http_docsrc (exo-httpd --exofs) ---- */

struct src_walk {
	struct http_cache *c;
	const struct http_docsrc *src;
	char *path;
	size_t len;
	unsigned depth;
};

struct src_file {
	const struct http_docsrc *src;
	const char *path;
};

static int fill_src(void *ctx, void *p, uint64_t size)
{
	struct src_file *sf = ctx;

	return sf->src->read(sf->src->ctx, sf->path, p, size);
}

static int src_entry(void *arg, const char *name, bool is_dir, uint64_t size,
		     time_t mtime)
{
	struct src_walk *w = arg;
	size_t nl = strlen(name), len = w->len;
	struct http_file *f;
	int err = 0;

	if (len + 1 + nl >= HTTP_PATH_MAX)
		return 0;			/* no request could name it */
	w->path[len] = '/';
	memcpy(w->path + len + 1, name, nl + 1);
	f = add_entry(w->c, w->path, len + 1 + nl, &err);
	if (!f)
		return err;
	f->mtime = mtime;
	if (is_dir) {
		f->kind = HTTP_E_DIR;
		if (w->depth + 1 > w->c->lim.max_depth)
			return -ELOOP;
		w->len = len + 1 + nl;
		w->depth++;
		err = w->src->list(w->src->ctx, w->path, src_entry, w);
		w->depth--;
		w->len = len;
		return err;
	}
	f->kind = HTTP_E_FILE;
	f->size = size;
	f->type = http_mime_type(f->path);
	err = load_data(w->c, f, fill_src,
			&(struct src_file){ .src = w->src, .path = f->path });
	if (!err)
		file_done(w->c, f);
	return err;
}

int http_cache_load_src(struct http_cache *c, const struct http_docsrc *src,
			uint32_t opts, const struct http_mem *mem,
			const struct http_cache_limits *lim)
{
	struct src_walk w = { .c = c, .src = src };
	struct http_file *f;
	int err = 0;

	cache_init(c, opts, mem, lim);
	w.path = malloc(HTTP_PATH_MAX);
	f = w.path ? add_entry(c, "", 0, &err) : NULL;
	if (f) {
		f->kind = HTTP_E_DIR;
		w.path[0] = 0;
		err = src->list(src->ctx, "", src_entry, &w);
	} else if (!w.path) {
		err = -ENOMEM;
	}
	free(w.path);
	if (err)
		http_cache_free(c);
	return err;
}

void http_cache_free(struct http_cache *c)
{
	for (uint32_t i = 0; i < c->nfiles; i++) {
		struct http_file *f = &c->files[i];

		if (f->data)
			c->mem.free(c->mem.ctx, (void *)f->data, f->alloc);
		free(f->csum);
		free(f->path);
	}
	free(c->files);
	free(c->slots);
	memset(c, 0, sizeof(*c));
}
