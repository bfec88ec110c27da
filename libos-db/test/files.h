/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Whole files in and out of memory, for the host tests that copy database
 * images (test/crash, test/fuzzdisk).
 */
#ifndef EXODB_TEST_FILES_H
#define EXODB_TEST_FILES_H

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* The file at @p in a new buffer (one byte spare), its size in *@len. */
static inline uint8_t *slurp(const char *p, size_t *len)
{
	struct stat st;
	uint8_t *b = NULL;
	int fd = open(p, O_RDONLY | O_CLOEXEC);

	if (fd >= 0 && fstat(fd, &st) == 0 && (b = malloc(st.st_size + 1)) &&
	    pread(fd, b, st.st_size, 0) == st.st_size) {
		*len = st.st_size;
	} else {
		free(b);
		b = NULL;
	}
	if (fd >= 0)
		close(fd);
	return b;
}

/* @len bytes of @b as the whole file at @p: 0, or -1. */
static inline int spit(const char *p, const uint8_t *b, size_t len)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ok = fd >= 0 && write(fd, b, len) == (ssize_t)len;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

#endif
