// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * exofs — the tool: make an exofs on exo's attached device, copy a host
 * directory tree in, list, print, check.  The file system belongs to the
 * exo principal whose key is in the key file (-k, or $EXOFS_KEY).
 *
 *   exofs attach DEV [format]     root: attach a block device to exo
 *   exofs detach                  root: detach it
 *   exofs -k KEY mkfs [scatter]   a new principal, its file system
 *   exofs -k KEY cp -r HOSTDIR PATH   copy a tree in (PATH: a new directory,
 *                                     or / for the root itself)
 *   exofs -k KEY cp HOSTFILE PATH
 *   exofs -k KEY get PATH HOSTDIR copy a tree out (HOSTDIR: made, must not exist)
 *   exofs -k KEY mkdir PATH
 *   exofs -k KEY ls PATH          one line per entry: kind size name
 *   exofs -k KEY cat PATH         the file's bytes to stdout
 *   exofs -k KEY stat PATH        kind, size, and the blocks it references
 *   exofs -k KEY fsck             walk and check everything (exit 1 if not clean)
 *   exofs -k KEY readdir-all PATH read every file of a directory: reads, time
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <exo.h>

#include "dev_exo.h"
#include "exofs.h"

static struct exofs fs;

static int die(const char *what, int err)
{
	fprintf(stderr, "exofs: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

/* Split @path into its parent's inode and its last name. */
static int parent_of(const char *path, struct exofs_ino *parent, const char **name)
{
	char *dir = strdup(path), *slash;
	int ret;

	if (!dir)
		return -ENOMEM;
	while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = 0;
	slash = strrchr(dir, '/');
	if (!slash || !slash[1]) {
		free(dir);
		return -EINVAL;
	}
	*name = path + (slash + 1 - dir);
	*slash = 0;
	ret = exofs_lookup(&fs, dir, parent);
	free(dir);
	return ret;
}

static void *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	char *buf = NULL;
	size_t got = 0;

	if (fd < 0 || fstat(fd, &st))
		goto out;
	buf = malloc(st.st_size ? st.st_size : 1);
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, st.st_size - got);

		if (n <= 0) {
			free(buf);
			buf = NULL;
			break;
		}
		got += n;
	}
	*len = got;
out:
	if (fd >= 0)
		close(fd);
	return buf;
}

static int put_file(const struct exofs_ino *parent, const char *name, const char *host)
{
	size_t len;
	void *data = slurp(host, &len);
	int ret;

	if (!data)
		return -errno;
	ret = exofs_create(&fs, parent, name, data, len);
	free(data);
	return ret;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Copy host directory @host into the new exofs directory @name of @parent
 * (@name NULL: into @parent itself).
 */
static int put_tree(const struct exofs_ino *parent, const char *name, const char *host)
{
	struct exofs_ino dir = *parent;
	DIR *d;
	struct dirent *e;
	char **names = NULL, path[4096];
	size_t n = 0;
	int ret = name ? exofs_mkdir(&fs, parent, name) : 0;

	if (!ret && name)
		ret = exofs_dir_lookup(&fs, EXOFS_REF_BLOCK(parent->refs[0]), name, &dir);
	if (ret)
		return ret;
	d = opendir(host);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char **more;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		more = realloc(names, (n + 1) * sizeof(*names));
		if (!more || !(more[n] = strdup(e->d_name))) {
			names = more ? more : names;
			ret = -ENOMEM;
			break;
		}
		names = more;
		n++;
	}
	closedir(d);
	/* files first, in name order: a page's files land together */
	qsort(names, n, sizeof(*names), name_cmp);
	for (int pass = 0; pass < 2 && !ret; pass++) {
		for (size_t i = 0; i < n && !ret; i++) {
			struct stat st;

			snprintf(path, sizeof(path), "%s/%s", host, names[i]);
			if (lstat(path, &st))
				ret = -errno;
			else if (pass == 0 && S_ISREG(st.st_mode))
				ret = put_file(&dir, names[i], path);
			else if (pass == 1 && S_ISDIR(st.st_mode))
				ret = put_tree(&dir, names[i], path);
			if (ret)
				fprintf(stderr, "exofs: %s: %s\n", path, strerror(-ret));
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

struct get_ctx {
	char host[4096];
	int err;
};

static int get_tree(const struct exofs_ino *dir, const char *host);

static int get_one(void *ctx, const char *name, const struct exofs_ino *ino)
{
	struct get_ctx *g = ctx;
	char path[sizeof(g->host) + EXOFS_NAME_MAX + 2];
	void *buf;
	FILE *f;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", g->host, name) >= sizeof(g->host))
		return g->err = -ENAMETOOLONG;
	if (ino->kind == EXOFS_E_DIR) {
		struct exofs_ino sub = *ino;

		return get_tree(&sub, path);
	}
	buf = malloc(ino->size ? ino->size : 1);
	g->err = buf ? exofs_read(&fs, ino, buf) : -ENOMEM;
	if (!g->err) {
		f = fopen(path, "wx");
		if (!f || fwrite(buf, 1, ino->size, f) != ino->size)
			g->err = -errno ? -errno : -EIO;
		if (f && fclose(f) && !g->err)
			g->err = -errno;
	}
	if (g->err)
		fprintf(stderr, "exofs: %s: %s\n", path, strerror(-g->err));
	free(buf);
	return g->err;
}

static int get_tree(const struct exofs_ino *dir, const char *host)
{
	struct get_ctx *g = malloc(sizeof(*g));
	int ret;

	if (!g)
		return -ENOMEM;
	snprintf(g->host, sizeof(g->host), "%s", host);
	g->err = 0;
	ret = mkdir(host, 0755) ? -errno :
	      exofs_dir_each(&fs, EXOFS_REF_BLOCK(dir->refs[0]), get_one, g);
	free(g);
	return ret;
}

static const char *kind_name(uint8_t kind)
{
	switch (kind) {
	case EXOFS_E_DIR: return "dir";
	case EXOFS_E_INLINE: return "inline";
	case EXOFS_E_FILE: return "file";
	case EXOFS_E_FILE_IND: return "file-ind";
	}
	return "?";
}

static int ls_one(void *ctx, const char *name, const struct exofs_ino *ino)
{
	(void)ctx;
	printf("%-8s %10llu %s\n", kind_name(ino->kind),
	       (unsigned long long)ino->size, name);
	return 0;
}

struct readall {
	size_t files;
	uint64_t bytes;
	int err;
};

static int read_one(void *ctx, const char *name, const struct exofs_ino *ino)
{
	struct readall *r = ctx;
	void *buf;

	(void)name;
	if (ino->kind == EXOFS_E_DIR)
		return 0;
	buf = malloc(ino->size ? ino->size : 1);
	r->err = buf ? exofs_read(&fs, ino, buf) : -ENOMEM;
	free(buf);
	r->files++;
	r->bytes += ino->size;
	return r->err;
}

static int cmd(int argc, char **argv)
{
	struct exofs_ino ino, parent;
	const char *name;
	int ret;

	if (!strcmp(argv[0], "ls") && argc == 2) {
		ret = exofs_lookup(&fs, argv[1], &ino);
		if (!ret && ino.kind != EXOFS_E_DIR)
			ret = ls_one(NULL, argv[1], &ino);
		else if (!ret)
			ret = exofs_dir_each(&fs, EXOFS_REF_BLOCK(ino.refs[0]), ls_one, NULL);
		return ret ? die(argv[1], ret) : 0;
	}
	if (!strcmp(argv[0], "cat") && argc == 2) {
		void *buf;

		ret = exofs_lookup(&fs, argv[1], &ino);
		if (ret)
			return die(argv[1], ret);
		buf = malloc(ino.size ? ino.size : 1);
		ret = buf ? exofs_read(&fs, &ino, buf) : -ENOMEM;
		if (!ret && fwrite(buf, 1, ino.size, stdout) != ino.size)
			ret = -EIO;
		free(buf);
		return ret ? die(argv[1], ret) : 0;
	}
	if (!strcmp(argv[0], "stat") && argc == 2) {
		ret = exofs_lookup(&fs, argv[1], &ino);
		if (ret)
			return die(argv[1], ret);
		printf("%s %llu in %llu:", kind_name(ino.kind),
		       (unsigned long long)ino.size, (unsigned long long)ino.dir);
		for (uint32_t i = 0; i < ino.nref; i++)
			printf(" %u", EXOFS_REF_BLOCK(ino.refs[i]));
		printf("\n");
		return 0;
	}
	if (!strcmp(argv[0], "get") && argc == 3) {
		ret = exofs_lookup(&fs, argv[1], &ino);
		if (!ret && ino.kind != EXOFS_E_DIR)
			ret = -ENOTDIR;
		if (!ret)
			ret = get_tree(&ino, argv[2]);
		return ret ? die(argv[1], ret) : 0;
	}
	if (!strcmp(argv[0], "mkdir") && argc == 2) {
		ret = parent_of(argv[1], &parent, &name);
		if (!ret)
			ret = exofs_mkdir(&fs, &parent, name);
		return ret ? die(argv[1], ret) : 0;
	}
	if (!strcmp(argv[0], "cp") && (argc == 3 || (argc == 4 && !strcmp(argv[1], "-r")))) {
		const char *dst = argv[argc - 1], *src = argv[argc - 2];

		if (argc == 4 && !strcmp(dst, "/")) {	/* into the root */
			exofs_root_ino(&fs, &parent);
			ret = put_tree(&parent, NULL, src);
		} else {
			ret = parent_of(dst, &parent, &name);
		}
		if (!ret && !(argc == 4 && !strcmp(dst, "/")))
			ret = argc == 4 ? put_tree(&parent, name, src) :
					  put_file(&parent, name, src);
		if (!ret)
			ret = fs.dev->ops->sync(fs.dev);
		return ret ? die(dst, ret) : 0;
	}
	if (!strcmp(argv[0], "fsck") && argc == 1) {
		uint64_t blocks = 0;
		long bad = exofs_fsck(&fs, stderr, &blocks);

		printf("exofs fsck: %llu blocks, %ld problems\n",
		       (unsigned long long)blocks, bad);
		return bad ? 1 : 0;
	}
	if (!strcmp(argv[0], "readdir-all") && argc == 2) {
		struct readall r = { 0 };
		struct timespec a, b;
		uint64_t reads;

		ret = exofs_lookup(&fs, argv[1], &ino);
		if (ret || ino.kind != EXOFS_E_DIR)
			return die(argv[1], ret ? ret : -ENOTDIR);
		reads = fs.dev->reads;
		clock_gettime(CLOCK_MONOTONIC, &a);
		ret = exofs_dir_each(&fs, EXOFS_REF_BLOCK(ino.refs[0]), read_one, &r);
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (ret || r.err)
			return die(argv[1], ret ? ret : r.err);
		printf("files %zu bytes %llu reads %llu usec %.0f\n", r.files,
		       (unsigned long long)r.bytes,
		       (unsigned long long)(fs.dev->reads - reads),
		       (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3);
		return 0;
	}
	fprintf(stderr, "exofs: bad command (see the comment at the top of exofs.c)\n");
	return 2;
}

/* attach/detach need no principal. */
static int device_cmd(int argc, char **argv)
{
	struct exo_extent_stat st;
	int fd = exo_open(), ret;

	if (fd < 0)
		return die("/dev/exo", fd);
	if (!strcmp(argv[0], "detach"))
		ret = exo_extent_detach(fd);
	else if (argc >= 2)
		ret = exo_extent_attach(fd, argv[1],
					 argc == 3 && !strcmp(argv[2], "format") ?
					 EXO_ATTACH_FORMAT : 0, &st);
	else
		ret = -EINVAL;
	exo_close(fd);
	return ret ? die(argv[0], ret) : 0;
}

int main(int argc, char **argv)
{
	const char *key = getenv("EXOFS_KEY");
	struct exofs_dev *dev;
	uint64_t super;
	int ret, mkfs;

	if (argc >= 3 && !strcmp(argv[1], "-k")) {
		key = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		return cmd(1, (char *[]){ "help", NULL });
	if (!strcmp(argv[1], "attach") || !strcmp(argv[1], "detach"))
		return device_cmd(argc - 1, argv + 1);
	if (!key) {
		fprintf(stderr, "exofs: no key file (-k KEY or EXOFS_KEY)\n");
		return 2;
	}
	mkfs = !strcmp(argv[1], "mkfs");
	ret = exofs_exo_open(key, mkfs, &dev);
	if (ret)
		return die(key, ret);
	if (mkfs) {
		ret = exofs_exo_super(dev, &super);
		if (!ret)
			ret = -EEXIST;		/* made already */
		else
			ret = exofs_mkfs(dev, argc > 2 && !strcmp(argv[2], "scatter") ?
					 EXOFS_SCATTER : 0, &super);
		if (!ret)
			ret = exofs_exo_set_super(dev, super);
		if (!ret)
			printf("exofs: superblock at block %llu\n", (unsigned long long)super);
		exofs_exo_close(dev);
		return ret ? die("mkfs", ret) : 0;
	}
	ret = exofs_exo_super(dev, &super);
	if (!ret)
		ret = exofs_open(&fs, dev, super);
	if (ret) {
		exofs_exo_close(dev);
		return die("open", ret);
	}
	ret = cmd(argc - 1, argv + 1);
	exofs_close(&fs);
	exofs_exo_close(dev);
	return ret;
}
