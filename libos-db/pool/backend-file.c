// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The file backend: the same engine over pread/pwrite on two files (PATH,
 * the data pages; PATH-wal, the log) and anonymous memory for the pool,
 * i.e. through Linux's page cache.  The host tests run on it, and the
 * benchmark uses it to show what exo itself adds.  "Frames" are just
 * numbers here: memory comes with the first touch of the anonymous range
 * and goes back with MADV_DONTNEED at eviction.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../internal.h"

/* Test hook (test/crash.c): every write and sync, in order. */
void (*exodb_file_hook)(void *ctx, int area, uint64_t block, const void *data);
void *exodb_file_hook_ctx;

struct be_file {
	struct backend be;
	int fd[2];		/* BE_DATA, BE_LOG */
	uint64_t next_frame;
};

static int ff_get(struct backend *b, uint32_t n, uint64_t *frames)
{
	struct be_file *f = (struct be_file *)b;

	for (uint32_t i = 0; i < n; i++)
		frames[i] = ++f->next_frame;
	return 0;
}

static int ff_put(struct backend *b, const uint64_t *frames, uint32_t n)
{
	(void)b, (void)frames, (void)n;
	return 0;
}

static int ff_map(struct backend *b, const struct be_vec *v, uint32_t n)
{
	(void)b, (void)v, (void)n;
	return 0;
}

static int ff_unmap(struct backend *b, const struct be_vec *v, uint32_t n)
{
	(void)b;
	for (uint32_t i = 0; i < n; i++)
		if (madvise(v[i].addr, PAGE, MADV_DONTNEED))
			return -errno;
	return 0;
}

static int ff_read(struct backend *b, enum be_area a, const struct be_vec *v,
		   uint32_t n)
{
	struct be_file *f = (struct be_file *)b;

	/* a run of blocks at consecutive addresses (read-ahead): one pread */
	for (uint32_t i = 0, k; i < n; i += k) {
		size_t len;
		ssize_t r;

		for (k = 1; i + k < n && v[i + k].block == v[i].block + k &&
		     (char *)v[i + k].addr == (char *)v[i].addr + k * PAGE; k++)
			;
		len = (size_t)k * PAGE;
		r = pread(f->fd[a], v[i].addr, len, (off_t)(v[i].block * PAGE));
		if (r < 0)
			return -errno;
		if ((size_t)r < len)	/* past the end: never written */
			memset((char *)v[i].addr + r, 0, len - r);
	}
	return 0;
}

static int ff_sync(struct backend *b, enum be_area a)
{
	struct be_file *f = (struct be_file *)b;

	if (exodb_file_hook)
		exodb_file_hook(exodb_file_hook_ctx, a, UINT64_MAX, NULL);
	if (b->no_sync)
		return 0;
	return fdatasync(f->fd[a]) ? -errno : 0;
}

static int ff_write(struct backend *b, enum be_area a, const struct be_vec *v,
		    uint32_t n, bool durable)
{
	struct be_file *f = (struct be_file *)b;

	for (uint32_t i = 0; i < n; i++) {
		ssize_t r = pwrite(f->fd[a], v[i].addr, PAGE,
				   (off_t)(v[i].block * PAGE));
		if (r < 0)
			return -errno;
		if (r != PAGE)
			return -EIO;
		if (exodb_file_hook)
			exodb_file_hook(exodb_file_hook_ctx, a, v[i].block,
					v[i].addr);
	}
	return durable ? ff_sync(b, a) : 0;
}

static int ff_grow(struct backend *b, uint64_t npages)
{
	if (npages > b->data_pages)
		b->data_pages = npages;
	return 0;
}

static void *ff_reserve(struct backend *b, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	(void)b;
	return p == MAP_FAILED ? NULL : p;
}

static void ff_release(struct backend *b, void *addr, size_t len)
{
	(void)b;
	munmap(addr, len);
}

static int ff_poll(struct backend *b, struct exodb *db, int timeout_ms)
{
	(void)b, (void)db, (void)timeout_ms;
	return 0;
}

static void ff_close(struct backend *b)
{
	struct be_file *f = (struct be_file *)b;

	close(f->fd[0]);
	close(f->fd[1]);
	free(f);
}

static const struct be_ops file_ops = {
	.name = "file", .frames_get = ff_get, .frames_put = ff_put,
	.map = ff_map, .unmap = ff_unmap, .read = ff_read, .write = ff_write,
	.sync = ff_sync, .grow = ff_grow, .reserve = ff_reserve,
	.release = ff_release, .poll_events = ff_poll, .close = ff_close,
};

int be_file_open(const char *path, const struct exodb_opts *o,
		 struct backend **bep)
{
	struct be_file *f = calloc(1, sizeof(*f));
	char wal[4096];
	struct stat st;
	int fl = O_RDWR | O_CLOEXEC, ret;

	if (!f)
		return -ENOMEM;
	if (snprintf(wal, sizeof(wal), "%s-wal", path) >= (int)sizeof(wal)) {
		free(f);
		return -ENAMETOOLONG;
	}
	f->fd[0] = open(path, fl);
	if (f->fd[0] < 0 && errno == ENOENT && o->create) {
		f->fd[0] = open(path, fl | O_CREAT | O_EXCL, 0600);
		f->be.created = true;
	}
	if (f->fd[0] < 0) {
		ret = -errno;
		free(f);
		return ret;
	}
	f->fd[1] = open(wal, fl | (f->be.created ? O_CREAT | O_TRUNC : 0),
			0600);
	if (f->fd[1] < 0) {
		ret = -errno;
		close(f->fd[0]);
		free(f);
		return ret;
	}
	if (fstat(f->fd[0], &st) == 0)
		f->be.data_pages = (uint64_t)st.st_size / PAGE;
	f->be.ops = &file_ops;
	f->be.log_blocks = LOG_HDR_BLOCKS + (o->log_blocks ? o->log_blocks : 4096);
	f->be.no_sync = o->no_sync;
	f->be.read_ahead = o->read_ahead;
	*bep = &f->be;
	return 0;
}
