/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * docroot_exofs.h — exo-httpd's document tree from an exofs (--exofs KEY):
 * the cache loaded through http_cache_load_src(), each file's data blocks
 * read by XN_READ straight into the cache's frames (docroot_exofs.c).
 */
#ifndef LIBOS_WEB_DOCROOT_EXOFS_H
#define LIBOS_WEB_DOCROOT_EXOFS_H

#include "exofs.h"
#include "http.h"
#include "mem_exo.h"

struct docroot_exofs {
	struct exofs fs;
	struct exofs_dev *dev;
	const struct mem_exo *mem;	/* the cache's frames, or NULL */
};

/*
 * Become the principal of @keyfile in the env of @mem (NULL: an env of
 * its own, and reads are copied) and open its file system; @src is
 * filled for http_cache_load_src().  Returns 0 or -errno.
 */
int docroot_exofs_open(struct docroot_exofs *d, const char *keyfile,
		       const struct mem_exo *mem, struct http_docsrc *src);
void docroot_exofs_close(struct docroot_exofs *d);

#endif
