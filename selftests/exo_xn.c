// SPDX-License-Identifier: GPL-2.0
/*
 * XN templates: a principal registers, per metadata type, a classic BPF
 * function that says which blocks a metadata block points to; exo runs
 * it over the principal's blocks (EXO_IOC_XN_OWNS).  The metadata format
 * of these tests: a big-endian count, then that many EXO_XN_REF words.
 * Checked: the references come back exact (also to another env holding a
 * read capability, with the owner's function), a short array, never
 * written blocks, determinism, per-principal templates, replace and
 * remove; and every refusal: an ancillary load (nondeterministic), a
 * program that would loop or jump out, no final return, bad sizes and
 * types (each leaving exo's table on disk byte for byte as it was), no
 * principal, no device, too many or malformed references.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/filter.h>

#include "kselftest_harness.h"
#include "exo_test.h"
#include "xn_list.h"

EXO_REQUIRE_DEVICE

#define BLK	EXO_EXTENT_BLOCK

FIXTURE(xn) {
	const char *disk;
	int fd;
	char *buf;
	exo_cap_t f, x;
	__u64 start;
	struct exo_extent_stat st;
};

FIXTURE_SETUP(xn)
{
	self->fd = -1;
	self->buf = NULL;
	self->disk = exo_test_disk();
	if (!self->disk)
		return;
	self->fd = exo_open();
	ASSERT_LE(0, self->fd);
	exo_extent_detach(self->fd);
	ASSERT_EQ(0, exo_extent_attach(self->fd, self->disk,
				       EXO_ATTACH_FORMAT, &self->st));
	self->buf = exo_region__create(self->fd, NULL, BLK,
				       PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, exo_frame_alloc(self->fd, 1, &self->f, NULL));
	ASSERT_EQ(0, exo_frame_map_one(self->fd, self->buf, self->f,
				       EXO_PROT_READ | EXO_PROT_WRITE));
	ASSERT_EQ(0, exo_extent_alloc(self->fd, 8, &self->x, &self->start,
				      NULL, NULL));
}

FIXTURE_TEARDOWN(xn)
{
	if (self->buf)
		exo_region__destroy(self->buf, BLK);
	if (self->fd >= 0)
		exo_close(self->fd);
}

/* Write a metadata block: @n references (type, block) at block @b. */
static int put_meta(FIXTURE_DATA(xn) *self, __u64 b, __u32 n,
		    const __u32 *types, const __u64 *blocks)
{
	__u32 *w = (__u32 *)self->buf;
	__u32 i;

	memset(self->buf, 0, BLK);
	w[0] = htonl(n);
	for (i = 0; i < n && i < BLK / 4 - 1; i++)
		w[1 + i] = htonl(EXO_XN_REF(types[i], blocks[i]));
	return exo_extent_write(self->fd, self->x, b, self->f, 0);
}

TEST_F(xn, references_come_back_exact)
{
	__u32 types[3] = { 1, 0, 2 };
	__u64 blocks[3];
	struct exo_xn_ref refs[8];
	long long n;
	int i, round;

	NEED_DISK();
	for (i = 0; i < 3; i++)
		blocks[i] = self->start + 1 + i;
	ASSERT_EQ(0, put_meta(self, 0, 3, types, blocks));
	ASSERT_EQ(0, exo_xn_template_set(self->fd, 1, list_prog, LIST_LEN));
	ASSERT_EQ(0, exo_extents_value("xn_templates", &n));
	EXPECT_EQ(1, n);
	/* The same block gives the same answer every time. */
	for (round = 0; round < 3; round++) {
		memset(refs, 0xff, sizeof(refs));
		ASSERT_EQ(3, exo_xn_owns(self->fd, self->x, 0, 1, refs, 8));
		for (i = 0; i < 3; i++) {
			EXPECT_EQ(blocks[i], refs[i].block);
			EXPECT_EQ(types[i], refs[i].type);
		}
	}
	/* A short array: the count still says 3, one entry written. */
	memset(refs, 0xff, sizeof(refs));
	ASSERT_EQ(3, exo_xn_owns(self->fd, self->x, 0, 1, refs, 1));
	EXPECT_EQ(blocks[0], refs[0].block);
	EXPECT_EQ(~0ULL, refs[1].block);
	EXPECT_EQ(3, exo_xn_owns(self->fd, self->x, 0, 1, NULL, 0));
	/* A block never written reads as zeroes: a count of 0. */
	EXPECT_EQ(0, exo_xn_owns(self->fd, self->x, 5, 1, refs, 8));
	EXPECT_EQ(-ERANGE, exo_xn_owns(self->fd, self->x, 8, 1, refs, 8));
	EXPECT_EQ(-ENOENT, exo_xn_owns(self->fd, self->x, 0, 2, refs, 8));
}

/* Another env reading the extent runs the owner's function, not its own. */
TEST_F(xn, other_env_runs_the_owners_template)
{
	static const struct sock_filter none[] = {
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	__u32 types[2] = { 1, 1 };
	__u64 blocks[2] = { self->start + 2, self->start + 3 };
	struct exo_xn_ref refs[4];
	struct exo_key key;
	exo_cap_t mine, x2, f2;
	__u32 rights;
	char *b2;
	int fd2;

	NEED_DISK();
	ASSERT_EQ(0, put_meta(self, 1, 2, types, blocks));
	ASSERT_EQ(0, exo_xn_template_set(self->fd, 1, list_prog, LIST_LEN));
	ASSERT_EQ(0, exo_cap_export(self->fd, self->x, EXO_RIGHT_READ, 0,
				    &key));
	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, exo_cap_import(fd2, &key, &x2, &rights));
	EXPECT_EQ(2, exo_xn_owns(fd2, x2, 1, 1, refs, 4));
	EXPECT_EQ(blocks[1], refs[1].block);
	/* fd2 becomes a principal of its own, with its own type 1. */
	ASSERT_EQ(0, exo_extent_alloc(fd2, 1, &mine, NULL, NULL, NULL));
	ASSERT_EQ(0, exo_xn_template_set(fd2, 1, none, 1));
	EXPECT_EQ(2, exo_xn_owns(fd2, x2, 1, 1, refs, 4));
	b2 = exo_region__create(fd2, NULL, BLK, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, b2);
	ASSERT_EQ(0, exo_frame_alloc(fd2, 1, &f2, NULL));
	ASSERT_EQ(0, exo_frame_map_one(fd2, b2, f2,
				       EXO_PROT_READ | EXO_PROT_WRITE));
	memcpy(b2, self->buf, BLK);
	ASSERT_EQ(0, exo_extent_write(fd2, mine, 0, f2, 0));
	EXPECT_EQ(0, exo_xn_owns(fd2, mine, 0, 1, refs, 4));
	/* Read rights only: the write is refused, the owns still answers. */
	EXPECT_EQ(-EACCES, exo_extent_write(fd2, x2, 1, f2, 0));
	ASSERT_EQ(0, exo_extent_free(fd2, mine));
	exo_region__destroy(b2, BLK);
	exo_close(fd2);
}

TEST_F(xn, replace_and_remove)
{
	static const struct sock_filter one[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, BLK),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, EXO_XN_REF(3, 100)),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct exo_xn_ref refs[2];
	long long n;

	NEED_DISK();
	ASSERT_EQ(0, exo_xn_template_set(self->fd, 7, list_prog, LIST_LEN));
	EXPECT_EQ(0, exo_xn_owns(self->fd, self->x, 0, 7, refs, 2));
	ASSERT_EQ(0, exo_xn_template_set(self->fd, 7, one, 4));
	ASSERT_EQ(1, exo_xn_owns(self->fd, self->x, 0, 7, refs, 2));
	EXPECT_EQ(100, refs[0].block);
	EXPECT_EQ(3, refs[0].type);
	ASSERT_EQ(0, exo_extents_value("xn_templates", &n));
	EXPECT_EQ(1, n);
	ASSERT_EQ(0, exo_xn_template_remove(self->fd, 7));
	EXPECT_EQ(-ENOENT, exo_xn_owns(self->fd, self->x, 0, 7, refs, 2));
	EXPECT_EQ(-ENOENT, exo_xn_template_remove(self->fd, 7));
	ASSERT_EQ(0, exo_extents_value("xn_templates", &n));
	EXPECT_EQ(0, n);
	/* Freeing the principal's last extent forgets its templates. */
	ASSERT_EQ(0, exo_xn_template_set(self->fd, 7, one, 4));
	ASSERT_EQ(0, exo_extent_free(self->fd, self->x));
	ASSERT_EQ(0, exo_extents_value("xn_templates", &n));
	EXPECT_EQ(0, n);
}

TEST_F(xn, nondeterministic_and_malformed_programs_refused)
{
	static const struct sock_filter rnd[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_RANDOM),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	static const struct sock_filter cpu[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_CPU),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	static const struct sock_filter ll[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_LL_OFF),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	static const struct sock_filter loop[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
		BPF_JUMP(BPF_JMP | BPF_JA, (__u32)-2, 0, 0),	/* back */
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	static const struct sock_filter out[] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0),	/* past end */
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	static const struct sock_filter noret[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
	};
	static const struct sock_filter unset[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_MEM, 3),		/* M[3] unset */
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	static const struct sock_filter ret0[] = {
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	size_t tlen = self->st.data_start * BLK;
	struct sock_filter *big;
	char *table, *now;
	long long n;

	NEED_DISK();
	/* exo's table area (both copies), to find it unchanged. */
	ASSERT_EQ(0, posix_memalign((void **)&table, BLK, tlen));
	ASSERT_EQ(0, posix_memalign((void **)&now, BLK, tlen));
	ASSERT_EQ(0, exo_raw_read(self->disk, 0, table, self->st.data_start));
	EXPECT_EQ(-ENOEXEC, exo_xn_template_set(self->fd, 1, rnd, 2));
	EXPECT_EQ(-ENOEXEC, exo_xn_template_set(self->fd, 1, cpu, 2));
	EXPECT_EQ(-ENOEXEC, exo_xn_template_set(self->fd, 1, ll, 2));
	EXPECT_EQ(-EINVAL, exo_xn_template_set(self->fd, 1, loop, 3));
	EXPECT_EQ(-EINVAL, exo_xn_template_set(self->fd, 1, out, 2));
	EXPECT_EQ(-EINVAL, exo_xn_template_set(self->fd, 1, noret, 1));
	EXPECT_EQ(-EINVAL, exo_xn_template_set(self->fd, 1, unset, 2));
	EXPECT_EQ(-EINVAL, exo_xn_template_set(self->fd, 1, ret0, 0));
	EXPECT_EQ(-EINVAL, exo_xn_template_set(self->fd, 0, ret0, 1));
	EXPECT_EQ(-EINVAL, exo_xn_template_set(self->fd, EXO_XN_MAX_TYPES,
					       ret0, 1));
	EXPECT_EQ(-EFAULT, exo_xn_template_set(self->fd, 1,
					       (void *)8, 1));
	big = calloc(EXO_XN_MAX_INSNS + 1, sizeof(*big));
	ASSERT_NE(NULL, big);
	big[EXO_XN_MAX_INSNS] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	EXPECT_EQ(-EINVAL, exo_xn_template_set(self->fd, 1, big,
					       EXO_XN_MAX_INSNS + 1));
	/* Every refusal left the table on disk as it was. */
	ASSERT_EQ(0, exo_extents_value("xn_templates", &n));
	EXPECT_EQ(0, n);
	ASSERT_EQ(0, exo_raw_read(self->disk, 0, now, self->st.data_start));
	EXPECT_EQ(0, memcmp(table, now, tlen));
	/* ... and an accepted template changes it. */
	big[EXO_XN_MAX_INSNS - 1] = big[EXO_XN_MAX_INSNS];
	EXPECT_EQ(0, exo_xn_template_set(self->fd, 1, big, EXO_XN_MAX_INSNS));
	free(big);
	ASSERT_EQ(0, exo_raw_read(self->disk, 0, now, self->st.data_start));
	EXPECT_NE(0, memcmp(table, now, tlen));
	free(table);
	free(now);
	ASSERT_EQ(0, exo_extents_value("xn_templates", &n));
	EXPECT_EQ(1, n);
}

TEST_F(xn, bad_functions_fail_on_the_block)
{
	static const struct sock_filter forever[] = {	/* never returns 0 */
		BPF_STMT(BPF_RET | BPF_K, EXO_XN_REF(1, 100)),
	};
	static const struct sock_filter badtype[] = {
		BPF_STMT(BPF_RET | BPF_K, EXO_XN_REF(EXO_XN_MAX_TYPES, 100)),
	};
	struct sock_filter pastend[] = {
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct exo_xn_ref refs[4];
	__u32 types[EXO_XN_MAX_REFS + 1];
	__u64 blocks[EXO_XN_MAX_REFS + 1];
	int i;

	NEED_DISK();
	pastend[0].k = EXO_XN_REF(1, self->st.nblocks);
	ASSERT_EQ(0, exo_xn_template_set(self->fd, 1, forever, 1));
	EXPECT_EQ(-EOVERFLOW, exo_xn_owns(self->fd, self->x, 0, 1, refs, 4));
	ASSERT_EQ(0, exo_xn_template_set(self->fd, 2, badtype, 1));
	EXPECT_EQ(-EBADMSG, exo_xn_owns(self->fd, self->x, 0, 2, refs, 4));
	ASSERT_EQ(0, exo_xn_template_set(self->fd, 3, pastend, 1));
	EXPECT_EQ(-EBADMSG, exo_xn_owns(self->fd, self->x, 0, 3, refs, 4));
	/* Exactly the bound is fine; one more is not. */
	for (i = 0; i <= EXO_XN_MAX_REFS; i++) {
		types[i] = 0;
		blocks[i] = self->start;
	}
	ASSERT_EQ(0, exo_xn_template_set(self->fd, 4, list_prog, LIST_LEN));
	ASSERT_EQ(0, put_meta(self, 0, EXO_XN_MAX_REFS, types, blocks));
	EXPECT_EQ(EXO_XN_MAX_REFS, exo_xn_owns(self->fd, self->x, 0, 4,
					       refs, 4));
	ASSERT_EQ(0, put_meta(self, 0, EXO_XN_MAX_REFS + 1, types, blocks));
	EXPECT_EQ(-EOVERFLOW, exo_xn_owns(self->fd, self->x, 0, 4, refs, 4));
}

TEST_F(xn, principal_and_device_needed)
{
	static const struct sock_filter ret0[] = {
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct exo_xn_owns o = { .size = sizeof(o), .type = 1 };
	int fd2;

	NEED_DISK();
	fd2 = exo_open();
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-ENOKEY, exo_xn_template_set(fd2, 1, ret0, 1));
	exo_close(fd2);
	o.extent = self->x;
	o.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_XN_OWNS, &o));
	EXPECT_EQ(EINVAL, errno);
	o.flags = 0;
	o.__reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_XN_OWNS, &o));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, exo_xn_template_set(self->fd, 1, ret0, 1));
	ASSERT_EQ(0, exo_extent_detach(self->fd));
	EXPECT_EQ(-ENODEV, exo_xn_template_set(self->fd, 1, ret0, 1));
	EXPECT_EQ(-ENODEV, exo_xn_owns(self->fd, self->x, 0, 1, NULL, 0));
	/* Re-attached: the templates went with the old attachment. */
	ASSERT_EQ(0, exo_extent_attach(self->fd, self->disk, 0, NULL));
	EXPECT_EQ(-ENODEV, exo_xn_owns(self->fd, self->x, 0, 1, NULL, 0));
}

TEST_HARNESS_MAIN
