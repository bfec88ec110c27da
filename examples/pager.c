// SPDX-License-Identifier: GPL-2.0
/*
 * pager — an application-level pager on exo frames.
 *
 * The application sees a region of VPAGES pages but may hold at most
 * `budget` frames.  Paging is entirely its own business:
 *
 *   fault      an access to an unbound page raises SIGBUS; the handler
 *              takes a free frame or evicts a victim, binds the frame at the
 *              faulting page, fills it from the backing store, and returns,
 *              so the access is retried and succeeds;
 *   policy     CLOCK (second chance) over the resident pages, with a
 *              reference bit the application sets itself, and only for
 *              accesses it expects to repeat: a one-pass sweep leaves it
 *              clear, so the sweep cannot flush the hot set, as LRU (or
 *              a kernel guessing from hardware bits) would — a libOS knows
 *              its own access pattern, the kernel does not;
 *   revocation when the kernel asks for frames back (EXO_EV_REVOKE), the
 *              pager picks its own victims with the same policy, writes them
 *              back and frees their frames before the deadline.
 *
 * The backing store is plain memory until disk extents exist.  Every page
 * carries a pattern derived from its number and a version; the run checks
 * all of them at the end, so any lost write-back shows.
 *
 * Run as root in the test VM with exo loaded (make run).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <exo.h>

#define VPAGES		256	/* virtual pages */
#define BUDGET		64	/* frames held at most */
#define REVOKE		24	/* frames the kernel will ask back */

static int fd;
static long psz;
static char *region;

static struct {
	exo_cap_t cap[BUDGET];		/* frames held */
	int page_of[BUDGET];		/* virtual page bound to it, -1: free */
	int frame_of[VPAGES];		/* frame bound at page, -1: none */
	unsigned char ref[VPAGES];	/* CLOCK reference bits */
	unsigned char dirty[VPAGES];
	int held;			/* frames in cap[] */
	int budget;
	int hand;
	unsigned long faults, evictions, writebacks;
} pg;

static char *store;			/* backing store, VPAGES pages */

static char *page_addr(int vp)
{
	return region + (size_t)vp * psz;
}

/* Write a resident page back (if dirty) and unbind it; its frame is free. */
static void evict(int f)
{
	int vp = pg.page_of[f];

	if (pg.dirty[vp]) {
		memcpy(store + (size_t)vp * psz, page_addr(vp), psz);
		pg.writebacks++;
	}
	if (exo_frame_unmap_one(fd, page_addr(vp)))
		abort();
	pg.frame_of[vp] = -1;
	pg.page_of[f] = -1;
	pg.dirty[vp] = 0;
	pg.evictions++;
}

/* CLOCK: sweep the held frames, clearing reference bits, until one is 0. */
static int choose_victim(void)
{
	for (;;) {
		int f = pg.hand;
		int vp = pg.page_of[f];

		pg.hand = (pg.hand + 1) % pg.held;
		if (vp < 0)
			return f;
		if (!pg.ref[vp])
			return f;
		pg.ref[vp] = 0;
	}
}

static int free_frame(void)
{
	int f;

	for (f = 0; f < pg.held; f++)
		if (pg.page_of[f] < 0)
			return f;
	if (pg.held < pg.budget) {
		__u64 pfn;

		if (exo_frame_alloc(fd, 1, &pg.cap[pg.held], &pfn) == 0) {
			pg.page_of[pg.held] = -1;
			return pg.held++;
		}
	}
	f = choose_victim();
	evict(f);
	return f;
}

/* Page fault: bind a frame at the faulting page and fill it. */
static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	long vp = ((char *)si->si_addr - region) / psz;
	int f;

	(void)sig;
	(void)uc;
	if ((char *)si->si_addr < region || vp >= VPAGES)
		abort();		/* not ours: a real bug */
	pg.faults++;
	f = free_frame();
	if (exo_frame_map_one(fd, page_addr(vp), pg.cap[f],
			      EXO_PROT_READ | EXO_PROT_WRITE))
		abort();
	memcpy(page_addr(vp), store + (size_t)vp * psz, psz);
	pg.page_of[f] = vp;
	pg.frame_of[vp] = f;
	pg.ref[vp] = 0;		/* the access itself says whether it will repeat */
}

/* The kernel wants frames back: the pager picks which, by its own policy. */
static int on_revoke(void *ctx, const struct exo_event *ev)
{
	int n = (int)ev->count, i;

	(void)ctx;
	printf("  revocation #%llu: give back %d frames\n",
	       (unsigned long long)ev->seq, n);
	pg.budget = pg.budget > n ? pg.budget - n : 0;
	for (i = 0; i < n && pg.held > 0; i++) {
		int v = choose_victim(), last = pg.held - 1;

		if (pg.page_of[v] >= 0)
			evict(v);
		/* Keep cap[] dense: the last slot's frame moves into v. */
		if (v != last) {
			exo_cap_t c = pg.cap[v];

			pg.cap[v] = pg.cap[last];
			pg.cap[last] = c;
			pg.page_of[v] = pg.page_of[last];
			pg.page_of[last] = -1;
			if (pg.page_of[v] >= 0)
				pg.frame_of[pg.page_of[v]] = v;
		}
		if (exo_caps_close(fd, &pg.cap[last], 1) != 1)
			return -errno;
		pg.held--;
		if (pg.hand >= pg.held)
			pg.hand = 0;
	}
	return 0;
}

static int on_done(void *ctx, const struct exo_event *ev)
{
	(void)ctx;
	printf("  revocation #%llu honoured in full\n",
	       (unsigned long long)ev->seq);
	return 0;
}

/* The application: sweeps with a hot set, touching pages via the pager. */
static unsigned char pattern(int vp, int version, size_t off)
{
	return (unsigned char)(vp * 31 + version * 7 + off);
}

static void write_page(int vp, int version, int reuse)
{
	char *p = page_addr(vp);
	size_t off;

	for (off = 0; off < (size_t)psz; off += 512)
		p[off] = (char)pattern(vp, version, off);
	pg.ref[vp] = reuse;
	pg.dirty[vp] = 1;
}

static int check_page(int vp, int version)
{
	const char *p = page_addr(vp);
	size_t off;

	pg.ref[vp] = 1;
	for (off = 0; off < (size_t)psz; off += 512)
		if ((unsigned char)p[off] != pattern(vp, version, off))
			return -1;
	return 0;
}

static void request_revocation(__u64 env_id, int n)
{
	char cmd[64];
	int d = open("/sys/kernel/debug/exo/revoke", O_WRONLY), len;

	if (d < 0) {
		perror("debugfs revoke");
		exit(1);
	}
	len = snprintf(cmd, sizeof(cmd), "%llu %d 2000",
		       (unsigned long long)env_id, n);
	if (write(d, cmd, len) != len) {
		perror("debugfs revoke");
		exit(1);
	}
	close(d);
}

int main(void)
{
	const struct exo_event_ops ops = {
		.revoke = on_revoke, .revoke_done = on_done,
	};
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO | SA_NODEFER };
	static int version[VPAGES];
	struct exo_env_info info;
	int round, vp, bad = 0, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	psz = sysconf(_SC_PAGESIZE);
	fd = exo_open();
	if (fd < 0) {
		fprintf(stderr, "pager: exo_open: %s\n", strerror(-fd));
		return 1;
	}
	exo_env_info(fd, &info);
	store = calloc(VPAGES, psz);
	region = exo_region__create(fd, NULL, (size_t)VPAGES * psz,
				    PROT_READ | PROT_WRITE);
	if (!store || !region) {
		perror("pager: setup");
		return 1;
	}
	for (i = 0; i < BUDGET; i++)
		pg.page_of[i] = -1;
	for (vp = 0; vp < VPAGES; vp++)
		pg.frame_of[vp] = -1;
	pg.budget = BUDGET;
	sigaction(SIGBUS, &sa, NULL);

	printf("pager: %d virtual pages over at most %d frames, CLOCK replacement\n",
	       VPAGES, BUDGET);
	printf("  each round rewrites a hot set of 16 pages and sweeps 30 new ones\n");
	for (round = 0; round < 8; round++) {
		/* A hot set of 16 pages written every round, and a sweep. */
		for (vp = 0; vp < 16; vp++)
			write_page(vp, ++version[vp], 1);
		for (vp = 16 + round * 30;
		     vp < VPAGES && vp < 16 + (round + 1) * 30; vp++)
			write_page(vp, ++version[vp], 0);
		for (vp = 0; vp < 16; vp++)
			bad += check_page(vp, version[vp]) != 0;
		if (round == 3) {
			request_revocation(info.env_id, REVOKE);
			while (exo_events_dispatch(fd, &ops, NULL, 0) > 0)
				;
		}
		printf("  round %d: %lu faults, %lu evictions, %lu write-backs, %d frames held\n",
		       round, pg.faults, pg.evictions, pg.writebacks, pg.held);
	}
	while (exo_events_dispatch(fd, &ops, NULL, 0) > 0)
		;
	for (vp = 0; vp < VPAGES; vp++)
		bad += check_page(vp, version[vp]) != 0;
	printf("pager: every page checked: %s (budget now %d frames)\n",
	       bad ? "CORRUPT" : "all intact", pg.budget);
	exo_region__destroy(region, (size_t)VPAGES * psz);
	exo_close(fd);
	return bad ? 1 : 0;
}
