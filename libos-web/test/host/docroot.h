/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * docroot.h — a document tree in a temporary directory for the host tests:
 *
 *   /index.html          "hello\n"
 *   /a.bin               1000 pseudo-random bytes
 *   /empty.txt           0 bytes
 *   /style.CSS           "p{}"
 *   /dir/index.html      "sub\n"
 *   /noindex/x.txt       "x"
 *   /noperm.txt          mode 000 (403 for a server that is not root)
 *   /big.dat             1 MiB + 1 bytes, pseudo-random
 *   /sp ace.html         "space"
 *   /link.html           symbolic link to index.html
 *   /dirlink             symbolic link to dir (not followed)
 *
 * Every file's mtime is DOC_MTIME.
 */
#ifndef LIBOS_WEB_DOCROOT_H
#define LIBOS_WEB_DOCROOT_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define DOC_MTIME 1796229012	/* Wed, 02 Dec 2026 16:30:12 GMT */

static char doc_root[64];

static void doc_file(const char *name, const void *data, size_t len)
{
	char path[256];
	struct timespec ts[2] = { { DOC_MTIME, 0 }, { DOC_MTIME, 0 } };
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", doc_root, name);
	f = fopen(path, "w");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(2);
	}
	utimensat(AT_FDCWD, path, ts, 0);
}

/* Byte i of a.bin / big.dat. */
static uint8_t doc_byte(size_t i)
{
	return (uint8_t)((i * 2654435761u) >> 13);
}

static const char *doc_make(void)
{
	char path[256];
	size_t big = (1 << 20) + 1;
	uint8_t *b = malloc(big);

	strcpy(doc_root, "/tmp/libos-web-test.XXXXXX");
	if (!mkdtemp(doc_root)) {
		perror("mkdtemp");
		exit(2);
	}
	chmod(doc_root, 0755);
	for (size_t i = 0; i < big; i++)
		b[i] = doc_byte(i);
	snprintf(path, sizeof(path), "%s/dir", doc_root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/noindex", doc_root);
	mkdir(path, 0755);
	doc_file("/index.html", "hello\n", 6);
	doc_file("/a.bin", b, 1000);
	doc_file("/empty.txt", "", 0);
	doc_file("/style.CSS", "p{}", 3);
	doc_file("/dir/index.html", "sub\n", 4);
	doc_file("/noindex/x.txt", "x", 1);
	doc_file("/noperm.txt", "secret", 6);
	doc_file("/big.dat", b, big);
	doc_file("/sp ace.html", "space", 5);
	snprintf(path, sizeof(path), "%s/noperm.txt", doc_root);
	chmod(path, 0);
	snprintf(path, sizeof(path), "%s/link.html", doc_root);
	if (symlink("index.html", path))
		perror("symlink");
	snprintf(path, sizeof(path), "%s/dirlink", doc_root);
	if (symlink("dir", path))
		perror("symlink");
	free(b);
	return doc_root;
}

static void doc_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", doc_root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", doc_root);
}

#endif /* LIBOS_WEB_DOCROOT_H */
