// SPDX-License-Identifier: GPL-2.0
/*
 * EXO_FRAME_RECYCLE: a frame this env itself held last may come back with
 * its old contents (no zeroing) when the env asks for it; without the flag
 * every frame comes back zeroed, and a frame another env held last comes
 * back zeroed whatever the flag says.  Unknown flag bits are EINVAL.
 *
 * EXO_FRAME_BY_PFN pins down the exact frame, so "the same frame" is never
 * left to the free list's order.  The ABI only says a recycled frame *may*
 * keep its contents; the module promises more (its own frames always come
 * back untouched, page.c exo_frame_take), and these tests hold it to that,
 * since a recycle that zeroes anyway would silently lose what it is for.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

#define N	4
#define RW	(EXO_PROT_READ | EXO_PROT_WRITE)

FIXTURE(recycle) {
	int fd;
	long page;
	char *region;		/* N pages, to look into frames */
};

FIXTURE_SETUP(recycle)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = exo_open();
	ASSERT_LE(0, self->fd) TH_LOG("exo_open: %s", strerror(-self->fd));
	self->region = exo_region__create(self->fd, NULL, N * self->page,
					  PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, self->region) TH_LOG("exo_region__create: %s",
					     strerror(errno));
}

FIXTURE_TEARDOWN(recycle)
{
	if (self->region)
		exo_region__destroy(self->region, N * self->page);
	if (self->fd >= 0)
		exo_close(self->fd);
}

/* Fill frame @cap of env @fd with @val through region page @at. */
static int fill(int fd, char *at, exo_cap_t cap, int val, long page)
{
	int ret = exo_frame_map_one(fd, at, cap, RW);

	if (ret)
		return ret;
	memset(at, val, page);
	return exo_frame_unmap_one(fd, at);
}

/*
 * What frame @cap holds, seen through region page @at: @val if every byte
 * is @val, 0 if every byte is 0, -1 for anything else (a mix: half a page
 * zeroed, or someone else's bytes), -2 if it could not be mapped.
 */
static int contents(int fd, char *at, exo_cap_t cap, int val, long page)
{
	int all_val = 1, all_zero = 1;
	long i;

	if (exo_frame_map_one(fd, at, cap, EXO_PROT_READ))
		return -2;
	for (i = 0; i < page; i++) {
		all_val &= at[i] == (char)val;
		all_zero &= at[i] == 0;
	}
	if (exo_frame_unmap_one(fd, at))
		return -2;
	return all_val ? val : all_zero ? 0 : -1;
}

/*
 * Allocate exactly frame @pfn in env @fd with EXO_FRAME_BY_PFN | @flags
 * (raw ioctl: libexo's alloc_at takes no flags).  Returns 0 or -errno.
 */
static int alloc_pfn(int fd, __u32 flags, __u64 pfn, exo_cap_t *cap)
{
	struct exo_frame_alloc fa = {
		.size = sizeof(fa),
		.flags = EXO_FRAME_BY_PFN | flags,
		.count = 1,
		.caps = (__u64)(unsigned long)cap,
		.pfns = (__u64)(unsigned long)&pfn,
	};

	return ioctl(fd, EXO_IOC_FRAME_ALLOC, &fa) ? -errno : 0;
}

/* Free frame @pfn of env @fd (cap @cap), then ask for it again with @flags. */
static int realloc_pfn(int fd, exo_cap_t *cap, __u64 pfn, __u32 flags)
{
	if (exo_caps_close(fd, cap, 1) != 1)
		return -errno;
	return alloc_pfn(fd, flags, pfn, cap);
}

TEST_F(recycle, own_frame_keeps_contents_with_flag)
{
	exo_cap_t cap;
	__u64 pfn;

	ASSERT_EQ(0, exo_frame_alloc(self->fd, 1, &cap, &pfn));
	ASSERT_EQ(0, fill(self->fd, self->region, cap, 0x5a, self->page));
	ASSERT_EQ(0, realloc_pfn(self->fd, &cap, pfn, EXO_FRAME_RECYCLE));
	EXPECT_EQ(0x5a, contents(self->fd, self->region, cap, 0x5a, self->page))
		TH_LOG("pfn %llu: own frame recycled, old contents expected",
		       (unsigned long long)pfn);
	/* Twice in a row: still ours, still untouched. */
	ASSERT_EQ(0, realloc_pfn(self->fd, &cap, pfn, EXO_FRAME_RECYCLE));
	EXPECT_EQ(0x5a, contents(self->fd, self->region, cap, 0x5a, self->page));
	EXPECT_EQ(1, exo_caps_close(self->fd, &cap, 1));
}

TEST_F(recycle, own_frame_zeroed_without_flag)
{
	exo_cap_t cap, caps[N];
	__u64 pfn, pfns[N];
	int i;

	ASSERT_EQ(0, exo_frame_alloc(self->fd, 1, &cap, &pfn));
	ASSERT_EQ(0, fill(self->fd, self->region, cap, 0x77, self->page));
	/* By name, no flag. */
	ASSERT_EQ(0, realloc_pfn(self->fd, &cap, pfn, 0));
	EXPECT_EQ(0, contents(self->fd, self->region, cap, 0x77, self->page));

	/* By count, no flag: whatever frames come, they are zeroed. */
	ASSERT_EQ(0, exo_frame_alloc(self->fd, N - 1, caps, pfns));
	caps[N - 1] = cap;
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, fill(self->fd, self->region, caps[i], 0x31 + i,
				  self->page));
	ASSERT_EQ(N, exo_caps_close(self->fd, caps, N));
	ASSERT_EQ(0, exo_frame_alloc(self->fd, N, caps, pfns));
	for (i = 0; i < N; i++) {
		EXPECT_EQ(0, contents(self->fd, self->region + i * self->page,
				      caps[i], 0x31 + i, self->page))
			TH_LOG("frame %d (pfn %llu) not zeroed", i,
			       (unsigned long long)pfns[i]);
	}
	EXPECT_EQ(N, exo_caps_close(self->fd, caps, N));
}

TEST_F(recycle, recycle_by_count_only_returns_own_or_zeroed)
{
	/*
	 * By count the kernel picks the frames (most recently freed first,
	 * so usually ours); each must hold exactly what we wrote to it if it
	 * is one of ours, zeroes if not.
	 */
	exo_cap_t caps[N];
	__u64 pfns[N], old[N];
	int i, j, ours = 0;

	ASSERT_EQ(0, exo_frame_alloc(self->fd, N, caps, old));
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, fill(self->fd, self->region, caps[i], 0x41 + i,
				  self->page));
	ASSERT_EQ(N, exo_caps_close(self->fd, caps, N));
	ASSERT_EQ(0, exo_frame_alloc_flags(self->fd, EXO_FRAME_RECYCLE, N,
					   caps, pfns));
	for (i = 0; i < N; i++) {
		int want = 0;

		for (j = 0; j < N; j++)
			if (pfns[i] == old[j])
				want = 0x41 + j;
		ours += want != 0;
		EXPECT_EQ(want, contents(self->fd, self->region + i * self->page,
					 caps[i], want ?: 0x41, self->page))
			TH_LOG("frame %d pfn %llu", i, (unsigned long long)pfns[i]);
	}
	TH_LOG("%d of %d frames came back recycled", ours, N);
	EXPECT_EQ(N, exo_caps_close(self->fd, caps, N));
}

TEST_F(recycle, other_envs_frame_zeroed_even_with_flag)
{
	exo_cap_t cap, cap2;
	__u64 pfn;
	char *r2;
	int fd2;

	/* Env A writes a frame and frees it. */
	ASSERT_EQ(0, exo_frame_alloc(self->fd, 1, &cap, &pfn));
	ASSERT_EQ(0, fill(self->fd, self->region, cap, 0xa5, self->page));
	ASSERT_EQ(1, exo_caps_close(self->fd, &cap, 1));

	/* Env B asks for exactly that frame, recycling: zeroes. */
	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	r2 = exo_region__create(fd2, NULL, self->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, r2);
	ASSERT_EQ(0, alloc_pfn(fd2, EXO_FRAME_RECYCLE, pfn, &cap2));
	EXPECT_EQ(0, contents(fd2, r2, cap2, 0xa5, self->page))
		TH_LOG("env B saw env A's bytes in pfn %llu",
		       (unsigned long long)pfn);

	/* B writes its own bytes and frees; now B held it last. */
	ASSERT_EQ(0, fill(fd2, r2, cap2, 0xb6, self->page));
	ASSERT_EQ(1, exo_caps_close(fd2, &cap2, 1));

	/* A held it before B, but not last: zeroes, neither A's nor B's. */
	ASSERT_EQ(0, alloc_pfn(self->fd, EXO_FRAME_RECYCLE, pfn, &cap));
	EXPECT_EQ(0, contents(self->fd, self->region, cap, 0xb6, self->page))
		TH_LOG("env A saw env B's bytes in pfn %llu",
		       (unsigned long long)pfn);
	EXPECT_EQ(1, exo_caps_close(self->fd, &cap, 1));
	exo_region__destroy(r2, self->page);
	EXPECT_EQ(0, exo_close(fd2));
}

TEST_F(recycle, closed_env_frames_zeroed_for_new_env)
{
	/*
	 * An env closes with its frames; a new env (ids are never reused)
	 * recycling the same PFN gets zeroes.
	 */
	int fd2, tries, ret = 0;
	exo_cap_t cap;
	__u64 pfn;
	char *r2;

	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	r2 = exo_region__create(fd2, NULL, self->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, r2);
	ASSERT_EQ(0, exo_frame_alloc(fd2, 1, &cap, &pfn));
	ASSERT_EQ(0, fill(fd2, r2, cap, 0xc3, self->page));
	exo_region__destroy(r2, self->page);
	ASSERT_EQ(0, exo_close(fd2));

	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	/* The old env's release may still be in flight (deferred fput). */
	for (tries = 0; tries < 100; tries++) {
		ret = alloc_pfn(fd2, EXO_FRAME_RECYCLE, pfn, &cap);
		if (ret != -EBUSY)
			break;
		usleep(10000);
	}
	ASSERT_EQ(0, ret) TH_LOG("alloc of pfn %llu: %s",
				 (unsigned long long)pfn, strerror(-ret));
	r2 = exo_region__create(fd2, NULL, self->page, PROT_READ);
	ASSERT_NE(NULL, r2);
	EXPECT_EQ(0, contents(fd2, r2, cap, 0xc3, self->page));
	exo_region__destroy(r2, self->page);
	EXPECT_EQ(0, exo_close(fd2));
}

TEST_F(recycle, frame_shared_then_recycled_by_owner)
{
	/*
	 * A frame A owns but B wrote through a granted capability is still
	 * A's: A recycling it gets what is there, B's bytes included.  (The
	 * rule is about who held the frame, not who wrote it last.)
	 */
	struct exo_key key;
	exo_cap_t cap, bcap;
	__u64 pfn;
	char *r2;
	int fd2;

	ASSERT_EQ(0, exo_frame_alloc(self->fd, 1, &cap, &pfn));
	ASSERT_EQ(0, exo_cap_export(self->fd, cap, EXO_RIGHT_READ |
				    EXO_RIGHT_WRITE | EXO_RIGHT_MAP, 0, &key));
	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, exo_cap_import(fd2, &key, &bcap, NULL));
	r2 = exo_region__create(fd2, NULL, self->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, r2);
	ASSERT_EQ(0, fill(fd2, r2, bcap, 0x6b, self->page));
	ASSERT_EQ(0, realloc_pfn(self->fd, &cap, pfn, EXO_FRAME_RECYCLE));
	EXPECT_EQ(0x6b, contents(self->fd, self->region, cap, 0x6b, self->page));
	/* B's capability died with A's first one. */
	EXPECT_EQ(-EKEYREVOKED, exo_frame_map_one(fd2, r2, bcap, EXO_PROT_READ));
	EXPECT_EQ(1, exo_caps_close(self->fd, &cap, 1));
	exo_region__destroy(r2, self->page);
	EXPECT_EQ(0, exo_close(fd2));
}

TEST_F(recycle, unknown_flags_einval)
{
	struct exo_frame_alloc fa = { .size = sizeof(fa), .count = 1 };
	struct exo_env_info before, after;
	__u32 bad[] = { 1U << 2, 1U << 31, ~0U,
			~(EXO_FRAME_BY_PFN | EXO_FRAME_RECYCLE) };
	exo_cap_t cap = 0;
	__u64 pfn = 0;
	unsigned int i;

	fa.caps = (__u64)(unsigned long)&cap;
	fa.pfns = (__u64)(unsigned long)&pfn;
	ASSERT_EQ(0, exo_env_info(self->fd, &before));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fa.flags = bad[i] | EXO_FRAME_RECYCLE;
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_FRAME_ALLOC, &fa));
		EXPECT_EQ(EINVAL, errno) TH_LOG("flags %#x", fa.flags);
	}
	/* A non-zero reserved field too. */
	fa.flags = EXO_FRAME_RECYCLE;
	fa.__reserved = 1;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_FRAME_ALLOC, &fa));
	EXPECT_EQ(EINVAL, errno);
	/* libexo passes unknown bits to the kernel unchanged. */
	EXPECT_EQ(-EINVAL, exo_frame_alloc_flags(self->fd, 1U << 5, 1, &cap,
						 &pfn));
	/* Nothing was allocated by any of them. */
	ASSERT_EQ(0, exo_env_info(self->fd, &after));
	EXPECT_EQ(before.used[EXO_KIND_FRAME], after.used[EXO_KIND_FRAME]);
	EXPECT_EQ(before.caps, after.caps);
	/* And the flag alone is fine. */
	fa.__reserved = 0;
	EXPECT_EQ(0, ioctl(self->fd, EXO_IOC_FRAME_ALLOC, &fa));
	EXPECT_EQ(1, exo_caps_close(self->fd, &cap, 1));
}

TEST_HARNESS_MAIN
