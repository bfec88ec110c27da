// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * mem_exo.c — where exo-httpd's file cache lives: page frames the server's
 * own env holds, bound into one region of its address space.
 *
 * The cache asks for page-aligned blocks once, at start, and never gives
 * one back while the server runs, so this is a bump allocator over the
 * region: each block gets fresh frames (one batched FRAME_ALLOC, one
 * batched FRAME_MAP).  Keeping each page's capability and PFN is what lets
 * a later zero-copy transmit (issue 14) hand the NIC the physical frames a
 * cached document sits in; mem_exo_pfn() names them.  A kill -9 gives all
 * of it back with the env.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <exo.h>

#include "mem_exo.h"

#define PAGE 4096UL

int mem_exo_init(struct mem_exo *m, size_t max)
{
	memset(m, 0, sizeof(*m));
	m->len = (max + PAGE - 1) & ~(PAGE - 1);
	m->fd = exo_open();
	if (m->fd < 0)
		return m->fd;
	m->caps = calloc(m->len / PAGE, sizeof(*m->caps));
	m->pfns = calloc(m->len / PAGE, sizeof(*m->pfns));
	m->base = m->caps && m->pfns ?
		exo_region__create(m->fd, NULL, m->len, PROT_READ | PROT_WRITE) :
		NULL;
	if (!m->base) {
		int err = m->caps && m->pfns ? -errno : -ENOMEM;

		free(m->caps);
		free(m->pfns);
		exo_close(m->fd);
		memset(m, 0, sizeof(*m));
		m->fd = -1;
		return err;
	}
	return 0;
}

static void *mem_exo_alloc(void *ctx, size_t len)
{
	struct mem_exo *m = ctx;
	size_t first = m->used / PAGE, n = (len + PAGE - 1) / PAGE;
	struct exo_map_entry *ents;
	int ret;

	if (n == 0 || n > (m->len - m->used) / PAGE || n > EXO_BATCH_MAX)
		return NULL;
	if (exo_frame_alloc(m->fd, (__u32)n, m->caps + first, m->pfns + first))
		return NULL;
	ents = calloc(n, sizeof(*ents));
	if (!ents) {
		exo_caps_close(m->fd, m->caps + first, (__u32)n);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		ents[i].addr = (uintptr_t)(m->base + (first + i) * PAGE);
		ents[i].cap = m->caps[first + i];
		ents[i].prot = EXO_PROT_READ | EXO_PROT_WRITE;
	}
	ret = exo_frame_map(m->fd, ents, (__u32)n);
	free(ents);
	if (ret != (int)n) {
		if (ret > 0) {
			__u64 *addrs = calloc((size_t)ret, sizeof(*addrs));

			for (int i = 0; addrs && i < ret; i++)
				addrs[i] = (uintptr_t)(m->base + (first + (size_t)i) * PAGE);
			if (addrs)
				exo_frame_unmap(m->fd, addrs, (__u32)ret);
			free(addrs);
		}
		exo_caps_close(m->fd, m->caps + first, (__u32)n);
		memset(m->caps + first, 0, n * sizeof(*m->caps));
		return NULL;
	}
	m->used += n * PAGE;
	return m->base + first * PAGE;
}

/* Blocks are only given back all together, at mem_exo_fini(). */
static void mem_exo_free(void *ctx, void *p, size_t len)
{
	(void)ctx;
	(void)p;
	(void)len;
}

void mem_exo_provider(struct mem_exo *m, struct http_mem *out)
{
	out->ctx = m;
	out->alloc = mem_exo_alloc;
	out->free = mem_exo_free;
}

uint64_t mem_exo_pfn(const struct mem_exo *m, const void *p)
{
	size_t off = (size_t)((const uint8_t *)p - m->base);

	return off < m->used ? m->pfns[off / PAGE] : 0;
}

void mem_exo_fini(struct mem_exo *m)
{
	size_t n = m->used / PAGE;

	if (m->fd < 0)
		return;
	if (m->base)
		exo_region__destroy(m->base, m->len);	/* unbinds the pages */
	for (size_t i = 0; i < n; i += EXO_BATCH_MAX) {
		size_t k = n - i < EXO_BATCH_MAX ? n - i : EXO_BATCH_MAX;

		exo_caps_close(m->fd, m->caps + i, (__u32)k);
	}
	free(m->caps);
	free(m->pfns);
	exo_close(m->fd);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
}
