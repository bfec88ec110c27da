// SPDX-License-Identifier: GPL-2.0
/*
 * page-colour — page colouring by physical name, measured.
 *
 * A physically indexed cache of S bytes with W ways and L-byte lines has
 * S / (W * L) sets; a page of P bytes covers P / L consecutive sets, so
 * the sets fall into C = S / (W * P) groups, the page *colours*: frame
 * number pfn has colour pfn % C, and only frames of the same colour can
 * evict each other's lines.  A kernel hands out frames it chooses; an
 * exokernel lets the libOS ask for frames *by name*, so it can colour.
 *
 * This program:
 *   1. reads the cache geometry from /sys/devices/system/cpu/cpu0/cache/
 *      and picks the largest data cache it can colour with exo's pool;
 *   2. from the pool's PFN ranges (the info page), asks by name
 *      (exo_frame_alloc_at) for N frames of ONE colour, N = 2 * ways, and
 *      for N frames of N different colours;
 *   3. binds both sets in one region and times a pointer chase over one
 *      line per page, the same offset in every page, round and round: in
 *      the one-colour set the N lines share one cache set of W < N ways
 *      and miss every time; in the spread set each line has a set of its
 *      own and hits;
 *   4. prints both times and their ratio.
 *
 * Under QEMU TCG (the test VM) a guest-physical frame is just an offset
 * into QEMU's RAM mapping on the host: its colour reaches the host's
 * caches only where the host happens to back that RAM with huge pages
 * (then the low 21 address bits, and so small colours, carry over), so the
 * effect may or may not show there.  On real hardware the one-colour set
 * is several times slower.  (Last-level caches that hash addresses over slices, as
 * many large ones do, spread one colour over several slices and blur the
 * effect; a colour is then a property of the slice hash too, which sysfs
 * does not describe.)
 *
 * Run as root in the test VM with exo loaded (make run).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <exo.h>

#define MAX_N		64		/* frames per set at most */
#define ACCESSES	(1L << 21)	/* timed loads per set */

struct cache {
	int level;
	long size, ways, line;
	long colours;			/* size / (ways * page) */
};

static long psz;

/* Read a small sysfs value; "2048K" and "16M" are scaled.  -1 if absent. */
static long sysfs_long(int index, const char *name)
{
	char path[128], buf[64], *end;
	FILE *f;
	long v;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/cpu0/cache/index%d/%s", index, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	v = strtol(buf, &end, 10);
	if (end == buf)
		return -1;
	if (*end == 'K')
		v <<= 10;
	else if (*end == 'M')
		v <<= 20;
	return v;
}

static int sysfs_is_data(int index)
{
	char path[128], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/cpu0/cache/index%d/type", index);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return !strncmp(buf, "Data", 4) || !strncmp(buf, "Unified", 7);
}

/* The data and unified caches of cpu0, lowest level first.  Returns how many. */
static int read_caches(struct cache *c, int max)
{
	int i, n = 0;

	for (i = 0; i < 16 && n < max; i++) {
		struct cache k;

		if (sysfs_long(i, "size") < 0)
			break;
		if (!sysfs_is_data(i))
			continue;
		k.level = sysfs_long(i, "level");
		k.size = sysfs_long(i, "size");
		k.ways = sysfs_long(i, "ways_of_associativity");
		k.line = sysfs_long(i, "coherency_line_size");
		if (k.size <= 0 || k.ways <= 0 || k.line <= 0)
			continue;
		k.colours = k.size / (k.ways * psz);
		c[n++] = k;
	}
	return n;
}

/* Free frames of @colour (mod @colours) the pool ranges could hold, up to @want. */
static long frames_of_colour(const struct exo_pool_info *pool, long colours,
			     long colour, long want)
{
	long n = 0;
	__u32 r;

	for (r = 0; r < pool->nr_ranges && n < want; r++) {
		__u64 s = pool->ranges[r].start, e = s + pool->ranges[r].count;
		__u64 pfn = s + ((colour - (long)(s % colours)) % colours +
				 colours) % colours;

		for (; pfn < e && n < want; pfn += colours)
			n++;
	}
	return n;
}

/*
 * The largest cache with at least two colours whose conflict set (2 * ways
 * frames of one colour) the pool can supply.  Returns its index, or -1.
 */
static int pick_cache(const struct cache *c, int n,
		      const struct exo_pool_info *pool)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		long need = 2 * c[i].ways;

		if (c[i].colours < 2 || need > MAX_N)
			continue;
		if (frames_of_colour(pool, c[i].colours, 0, need) >= need)
			return i;
	}
	return -1;
}

/*
 * Allocate, by name, @n frames with colours @colour, @colour + @step, ...
 * (mod @colours): for each, the first pool frame of that colour that is
 * still free.  Returns 0, or -errno.
 */
static int alloc_coloured(int fd, const struct exo_pool_info *pool,
			  long colours, long colour, long step, int n,
			  exo_cap_t *caps, __u64 *pfns)
{
	int i;

	for (i = 0; i < n; i++) {
		long want = (colour + i * step) % colours;
		int got = 0;
		__u32 r;

		for (r = 0; r < pool->nr_ranges && !got; r++) {
			__u64 s = pool->ranges[r].start;
			__u64 e = s + pool->ranges[r].count;
			__u64 pfn = s + ((want - (long)(s % colours)) % colours +
					 colours) % colours;

			for (; pfn < e && !got; pfn += colours) {
				__u64 p = pfn;
				int ret, k, dup = 0;

				/* Skip frames this set already holds. */
				for (k = 0; k < i; k++)
					dup |= pfns[k] == p;
				if (dup)
					continue;
				ret = exo_frame_alloc_at(fd, 1, &p, &caps[i]);
				if (ret == -EBUSY)
					continue;	/* someone holds it */
				if (ret)
					return ret;
				pfns[i] = p;
				got = 1;
			}
		}
		if (!got) {
			if (i)
				exo_caps_close(fd, caps, i);
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * Link line @off of each of @n pages at @base into a ring in a shuffled
 * order (so no prefetcher follows it), and chase it for @count loads.
 * Returns nanoseconds per load.
 */
static double chase(char *base, int n, long off, long count)
{
	int order[MAX_N], i, j, t;
	struct timespec a, b;
	void **p;
	long k;

	for (i = 0; i < n; i++)
		order[i] = i;
	srand(42);
	for (i = n - 1; i > 0; i--) {
		j = rand() % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++)
		*(void **)(base + order[i] * psz + off) =
			base + order[(i + 1) % n] * psz + off;

	p = (void **)(base + order[0] * psz + off);
	for (k = 0; k < count / 8; k++)		/* warm up */
		p = *p;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (k = 0; k < count; k++)
		p = *p;
	clock_gettime(CLOCK_MONOTONIC, &b);
	/* Keep the chain's end alive so the loop is not optimised away. */
	__asm__ __volatile__("" : : "r"(p) : "memory");
	return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / count;
}

int main(void)
{
	exo_cap_t same[MAX_N], spread[MAX_N];
	__u64 same_pfn[MAX_N], spread_pfn[MAX_N];
	struct exo_map_entry ents[2 * MAX_N];
	const struct exo_pool_info *pool;
	struct cache caches[8], *c;
	int fd, ncaches, pick, n, i, ret, status = 1;
	double t_same, t_spread;
	char *region = NULL;
	long step;

	psz = sysconf(_SC_PAGESIZE);
	fd = exo_open();
	if (fd < 0) {
		fprintf(stderr, "page-colour: open /dev/exo: %s\n", strerror(-fd));
		return 1;
	}
	ret = exo_info__map(fd, &pool, NULL);
	if (ret) {
		fprintf(stderr, "page-colour: info page: %s\n", strerror(-ret));
		goto out_close;
	}

	ncaches = read_caches(caches, 8);
	printf("cache geometry (cpu0, sysfs):\n");
	for (i = 0; i < ncaches; i++)
		printf("  L%d  %6ld KiB  %2ld ways  %ld-byte lines  -> %ld colours of %ld-byte pages\n",
		       caches[i].level, caches[i].size >> 10, caches[i].ways,
		       caches[i].line, caches[i].colours, psz);
	if (!ncaches) {
		/* No sysfs cache data: assume a common 2 MiB, 16-way L2. */
		caches[0] = (struct cache){ 2, 2 << 20, 16, 64, 0 };
		caches[0].colours = caches[0].size / (caches[0].ways * psz);
		ncaches = 1;
		printf("  (none listed; assuming a 2 MiB 16-way cache)\n");
	}
	pick = pick_cache(caches, ncaches, pool);
	if (pick < 0) {
		printf("no cache here can be coloured with exo's pool of %llu frames; nothing to show\n",
		       (unsigned long long)pool->frames_total);
		status = 0;
		goto out_info;
	}
	c = &caches[pick];
	n = 2 * c->ways;
	/* Spread colours as far apart as the cache has them. */
	step = c->colours >= n ? c->colours / n : 1;
	printf("colouring L%d: %ld colours; %d frames of colour 0 (twice its %ld ways) against %d frames of %ld different colours\n",
	       c->level, c->colours, n, c->ways, n,
	       c->colours < n ? c->colours : (long)n);

	ret = alloc_coloured(fd, pool, c->colours, 0, 0, n, same, same_pfn);
	if (ret) {
		fprintf(stderr, "page-colour: one-colour frames: %s\n", strerror(-ret));
		goto out_info;
	}
	ret = alloc_coloured(fd, pool, c->colours, 0, step, n, spread,
			     spread_pfn);
	if (ret) {
		fprintf(stderr, "page-colour: spread frames: %s\n", strerror(-ret));
		goto out_same;
	}
	printf("  one colour: pfn %llu, %llu, %llu, ... (all %% %ld == 0)\n",
	       (unsigned long long)same_pfn[0], (unsigned long long)same_pfn[1],
	       (unsigned long long)same_pfn[2], c->colours);
	printf("  spread:     pfn %llu, %llu, %llu, ... (colours 0, %ld, %ld, ...)\n",
	       (unsigned long long)spread_pfn[0],
	       (unsigned long long)spread_pfn[1],
	       (unsigned long long)spread_pfn[2],
	       (long)(spread_pfn[1] % c->colours),
	       (long)(spread_pfn[2] % c->colours));

	region = exo_region__create(fd, NULL, 2 * n * psz, PROT_READ | PROT_WRITE);
	if (!region) {
		fprintf(stderr, "page-colour: region: %s\n", strerror(errno));
		goto out_spread;
	}
	for (i = 0; i < n; i++) {
		ents[i] = (struct exo_map_entry){
			.addr = (__u64)(uintptr_t)(region + i * psz),
			.cap = same[i],
			.prot = EXO_PROT_READ | EXO_PROT_WRITE,
		};
		ents[n + i] = (struct exo_map_entry){
			.addr = (__u64)(uintptr_t)(region + (n + i) * psz),
			.cap = spread[i],
			.prot = EXO_PROT_READ | EXO_PROT_WRITE,
		};
	}
	ret = exo_frame_map(fd, ents, 2 * n);
	if (ret != 2 * n) {
		fprintf(stderr, "page-colour: map: %d of %d (%s)\n", ret < 0 ? 0 : ret,
			2 * n, strerror(ret < 0 ? -ret : errno));
		goto out_region;
	}

	/* Same line offset in every page: same set within a colour. */
	t_same = chase(region, n, 0, ACCESSES);
	t_spread = chase(region + n * psz, n, 0, ACCESSES);
	printf("pointer chase over %d lines, %ld loads each:\n", n, ACCESSES);
	printf("  one colour  %7.2f ns/load\n", t_same);
	printf("  spread      %7.2f ns/load\n", t_spread);
	printf("  ratio       %7.2f (one colour / spread)\n", t_same / t_spread);
	printf("note: under QEMU TCG guest-physical colours are not host cache sets; they\n"
	       "      carry over only where the host backs guest RAM with huge pages, so\n"
	       "      the effect may or may not show in the test VM.  On real hardware the\n"
	       "      one-colour set misses in L%d on every load and is several times slower.\n",
	       c->level);
	status = 0;

out_region:
	if (region)
		exo_region__destroy(region, 2 * n * psz);
out_spread:
	exo_caps_close(fd, spread, n);
out_same:
	exo_caps_close(fd, same, n);
out_info:
	exo_info__unmap(pool);
out_close:
	exo_close(fd);
	return status;
}
