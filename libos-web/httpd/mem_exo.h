/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * mem_exo.h — the file cache's memory in exo page frames (see mem_exo.c).
 */
#ifndef LIBOS_WEB_MEM_EXO_H
#define LIBOS_WEB_MEM_EXO_H

#include <stddef.h>
#include <stdint.h>

#include <exo.h>

#include "http.h"

struct mem_exo {
	int fd;				/* the env holding the frames */
	uint8_t *base;			/* the region */
	size_t len, used;		/* bytes reserved, bytes bound */
	exo_cap_t *caps;		/* frame capability per page */
	__u64 *pfns;			/* physical name per page */
};

/* Open an env and reserve a region of @max bytes.  Returns 0 or -errno. */
int mem_exo_init(struct mem_exo *m, size_t max);

/* The http_mem provider over @m. */
void mem_exo_provider(struct mem_exo *m, struct http_mem *out);

/* The frame number of the page holding @p (for zero-copy transmit). */
uint64_t mem_exo_pfn(const struct mem_exo *m, const void *p);

/* Unbind and free every frame, drop the region, close the env. */
void mem_exo_fini(struct mem_exo *m);

#endif /* LIBOS_WEB_MEM_EXO_H */
