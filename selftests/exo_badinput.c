// SPDX-License-Identifier: GPL-2.0
/*
 * Every ioctl against malformed input, through raw ioctl(2): unknown
 * numbers (ENOTTY), inaccessible arguments (EFAULT), bad sizes (EINVAL),
 * unknown flags and non-zero reserved fields (EINVAL), growth with a zero
 * tail (accepted) or a non-zero one (E2BIG), rights outside
 * EXO_RIGHTS_ALL (EINVAL).  A rejected call must leave nothing behind: no
 * new slot, no key.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "exo_test.h"

EXO_REQUIRE_DEVICE

/* The calls this file knows how to build a valid argument for. */
#define NR_KNOWN	(EXO_NR_KEY_DROP + 1)

static const char *const names[NR_KNOWN] = {
	[EXO_NR_GET_FEATURES]	= "GET_FEATURES",
	[EXO_NR_ENV_INFO]	= "ENV_INFO",
	[EXO_NR_NULL_ALLOC]	= "NULL_ALLOC",
	[EXO_NR_CAP_INFO]	= "CAP_INFO",
	[EXO_NR_CAP_DERIVE]	= "CAP_DERIVE",
	[EXO_NR_CAP_REVOKE]	= "CAP_REVOKE",
	[EXO_NR_CAP_CLOSE]	= "CAP_CLOSE",
	[EXO_NR_CAP_EXPORT]	= "CAP_EXPORT",
	[EXO_NR_CAP_IMPORT]	= "CAP_IMPORT",
	[EXO_NR_KEY_DROP]	= "KEY_DROP",
};

static const __u32 sizes[NR_KNOWN] = {
	[EXO_NR_GET_FEATURES]	= sizeof(struct exo_features),
	[EXO_NR_ENV_INFO]	= sizeof(struct exo_env_info),
	[EXO_NR_NULL_ALLOC]	= sizeof(struct exo_null_alloc),
	[EXO_NR_CAP_INFO]	= sizeof(struct exo_cap_info),
	[EXO_NR_CAP_DERIVE]	= sizeof(struct exo_cap_derive),
	[EXO_NR_CAP_REVOKE]	= sizeof(struct exo_cap_revoke),
	[EXO_NR_CAP_CLOSE]	= sizeof(struct exo_cap_close),
	[EXO_NR_CAP_EXPORT]	= sizeof(struct exo_cap_export),
	[EXO_NR_CAP_IMPORT]	= sizeof(struct exo_cap_import),
	[EXO_NR_KEY_DROP]	= sizeof(struct exo_key_drop),
};

/* The flags each call knows; every other bit is EINVAL. */
static const __u32 known_flags[NR_KNOWN] = {
	[EXO_NR_CAP_REVOKE]	= EXO_REVOKE_SELF,
	[EXO_NR_CAP_EXPORT]	= EXO_KEY_REUSABLE,
};

#define CMD(nr)		_IO(EXO_IOC_TYPE, (nr))
#define BUF_WORDS	64	/* 512 bytes: room for any struct and a tail */

/* An argument of any call, with room for a tail. */
union arg {
	struct {
		__u32 size;
		__u32 flags;
	} hdr;
	struct exo_cap_info info;
	struct exo_cap_derive derive;
	struct exo_cap_revoke revoke;
	struct exo_cap_close close;
	struct exo_cap_export export;
	struct exo_cap_import import;
	struct exo_key_drop drop;
	unsigned char bytes[BUF_WORDS * 8];
	__u64 words[BUF_WORDS];
};

/* What a failing check was doing, beyond the call's name. */
static char ctx[64];

static int call(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

FIXTURE(bad) {
	int fd;
	exo_cap_t root;
	struct exo_key key;	/* reusable, from root */
	void *pages;		/* two pages: read-write, then PROT_NONE */
	long page;
};

FIXTURE_SETUP(bad)
{
	self->pages = MAP_FAILED;
	self->fd = exo_open();
	ASSERT_LE(0, self->fd) TH_LOG("exo_open: %s", strerror(-self->fd));
	ASSERT_EQ(0, exo_null_alloc(self->fd, &self->root, NULL));
	ASSERT_EQ(0, exo_cap_export(self->fd, self->root, EXO_RIGHT_READ,
				    EXO_KEY_REUSABLE, &self->key));
	self->page = sysconf(_SC_PAGESIZE);
	self->pages = mmap(NULL, 2 * self->page, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->pages);
	ASSERT_EQ(0, mprotect((char *)self->pages + self->page, self->page,
			      PROT_NONE));
}

FIXTURE_TEARDOWN(bad)
{
	if (self->pages != MAP_FAILED)
		munmap(self->pages, 2 * self->page);
	if (self->fd >= 0)
		exo_close(self->fd);
}

/*
 * Fill @buf (zeroed first) with a valid argument for ioctl @nr, making
 * fresh scratch caps or keys where the call would consume one.  Returns
 * the struct's size, or -errno if a scratch object could not be made.
 */
static int make_arg(FIXTURE_DATA(bad) *self, unsigned int nr, union arg *buf)
{
	exo_cap_t scratch;
	struct exo_key key;
	int ret;

	memset(buf, 0, sizeof(*buf));
	buf->hdr.size = sizes[nr];
	ctx[0] = '\0';
	switch (nr) {
	case EXO_NR_CAP_INFO:
		buf->info.cap = self->root;
		break;
	case EXO_NR_CAP_DERIVE:
		buf->derive.cap = self->root;
		buf->derive.rights = EXO_RIGHT_READ;
		break;
	case EXO_NR_CAP_REVOKE:
	case EXO_NR_CAP_CLOSE:
		ret = exo_cap_derive(self->fd, self->root, EXO_RIGHTS_ALL, &scratch);
		if (ret)
			return ret;
		if (nr == EXO_NR_CAP_REVOKE)
			buf->revoke.cap = scratch;
		else
			buf->close.cap = scratch;
		break;
	case EXO_NR_CAP_EXPORT:
		buf->export.cap = self->root;
		buf->export.rights = EXO_RIGHT_READ;
		break;
	case EXO_NR_CAP_IMPORT:
		buf->import.key = self->key;
		break;
	case EXO_NR_KEY_DROP:
		ret = exo_cap_export(self->fd, self->root, EXO_RIGHT_READ, 0, &key);
		if (ret)
			return ret;
		buf->drop.key = key;
		break;
	}
	return sizes[nr];
}

/* Expect @call to fail with @err and to leave the env's tables as they were. */
#define EXPECT_REJECTED(err, nr, expr) do {				\
		struct exo_env_info __b, __a;				\
		ASSERT_EQ(0, exo_env_info(self->fd, &__b));		\
		EXPECT_EQ(-(err), (expr)) TH_LOG("%s %s", names[nr], ctx); \
		ASSERT_EQ(0, exo_env_info(self->fd, &__a));		\
		EXPECT_EQ(__b.caps, __a.caps) TH_LOG("%s made a slot", names[nr]); \
		EXPECT_EQ(__b.keys, __a.keys) TH_LOG("%s made a key", names[nr]); \
	} while (0)

TEST_F(bad, unknown_ioctl_nr_enotty)
{
	union arg buf = { .words = { 512 } };
	static const unsigned int nrs[] = { EXO_NR_MAX, EXO_NR_MAX + 1, 0x7f, 0xff };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nrs); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, _IO(EXO_IOC_TYPE, nrs[i]), &buf))
			TH_LOG("nr %#x", nrs[i]);
		EXPECT_EQ(ENOTTY, errno) TH_LOG("nr %#x", nrs[i]);
	}
}

TEST_F(bad, wrong_type_enotty)
{
	/*
	 * Not type 0: _IO(0, 1) and _IO(0, 2) are FIBMAP and FIGETBSZ, which
	 * the VFS answers for every file before the driver sees them.
	 */
	union arg buf;
	unsigned int nr;

	for (nr = 0; nr < NR_KNOWN; nr++) {
		ASSERT_LE(0, make_arg(self, nr, &buf));
		EXPECT_REJECTED(ENOTTY, nr, call(self->fd, _IO(EXO_IOC_TYPE + 1, nr), &buf));
		EXPECT_REJECTED(ENOTTY, nr, call(self->fd, _IO(EXO_IOC_TYPE - 1, nr), &buf));
		EXPECT_REJECTED(ENOTTY, nr, call(self->fd, _IO('T', nr), &buf));
	}
	/* A terminal ioctl on /dev/exo. */
	EXPECT_EQ(-ENOTTY, call(self->fd, TCGETS, &buf));
}

TEST_F(bad, direction_or_size_bits_enotty)
{
	/* The numbers are _IO(): the same nr with _IOC dir/size bits is another ioctl. */
	union arg buf;
	unsigned int nr;

	for (nr = 0; nr < NR_KNOWN; nr++) {
		ASSERT_LE(0, make_arg(self, nr, &buf));
		EXPECT_REJECTED(ENOTTY, nr,
			call(self->fd, _IOC(_IOC_READ | _IOC_WRITE, EXO_IOC_TYPE, nr, sizes[nr]), &buf));
		EXPECT_REJECTED(ENOTTY, nr,
			call(self->fd, _IOC(_IOC_WRITE, EXO_IOC_TYPE, nr, 8), &buf));
	}
}

TEST_F(bad, null_arg_efault)
{
	unsigned int nr;

	for (nr = 0; nr < NR_KNOWN; nr++)
		EXPECT_REJECTED(EFAULT, nr, call(self->fd, CMD(nr), NULL));
}

TEST_F(bad, prot_none_arg_efault)
{
	void *none = (char *)self->pages + self->page;
	unsigned int nr;

	for (nr = 0; nr < NR_KNOWN; nr++)
		EXPECT_REJECTED(EFAULT, nr, call(self->fd, CMD(nr), none));
	/* A kernel address is no better. */
	for (nr = 0; nr < NR_KNOWN; nr++)
		EXPECT_REJECTED(EFAULT, nr,
			call(self->fd, CMD(nr), (void *)0xffffffff81000000UL));
}

TEST_F(bad, struct_straddles_unmapped_page_efault)
{
	union arg buf;
	char *end = (char *)self->pages + self->page;	/* first PROT_NONE byte */
	unsigned int nr;

	for (nr = 0; nr < NR_KNOWN; nr++) {
		int sz;

		/* Only size and flags are mapped. */
		sz = make_arg(self, nr, &buf);
		ASSERT_LE(0, sz);
		memcpy(end - 8, &buf, 8);
		EXPECT_REJECTED(EFAULT, nr, call(self->fd, CMD(nr), end - 8));

		/* All but the last 8 bytes are mapped. */
		sz = make_arg(self, nr, &buf);
		memcpy(end - (sz - 8), &buf, sz - 8);
		EXPECT_REJECTED(EFAULT, nr, call(self->fd, CMD(nr), end - (sz - 8)));
	}
}

TEST_F(bad, size_zero_einval)
{
	union arg buf;
	unsigned int nr;

	for (nr = 0; nr < NR_KNOWN; nr++) {
		ASSERT_LE(0, make_arg(self, nr, &buf));
		buf.hdr.size = 0;
		EXPECT_REJECTED(EINVAL, nr, call(self->fd, CMD(nr), &buf));
	}
}

TEST_F(bad, size_below_minimum_einval)
{
	union arg buf;
	unsigned int nr;

	for (nr = 0; nr < NR_KNOWN; nr++) {
		static const int less[] = { 1, 4, 8 };
		unsigned int i;

		for (i = 0; i < ARRAY_SIZE(less); i++) {
			ASSERT_LE(0, make_arg(self, nr, &buf));
			buf.hdr.size = sizes[nr] - less[i];
			snprintf(ctx, sizeof(ctx), "size %u", buf.hdr.size);
			EXPECT_REJECTED(EINVAL, nr, call(self->fd, CMD(nr), &buf));
		}
		/* Just the header. */
		ASSERT_LE(0, make_arg(self, nr, &buf));
		buf.hdr.size = 8;
		EXPECT_REJECTED(EINVAL, nr, call(self->fd, CMD(nr), &buf));
	}
}

TEST_F(bad, unknown_flag_einval)
{
	union arg buf;
	unsigned int nr, bit;

	for (nr = 0; nr < NR_KNOWN; nr++) {
		for (bit = 0; bit < 32; bit++) {
			if (known_flags[nr] & (1U << bit))
				continue;
			ASSERT_LE(0, make_arg(self, nr, &buf));
			buf.hdr.flags = 1U << bit;
			snprintf(ctx, sizeof(ctx), "flag bit %u", bit);
			EXPECT_REJECTED(EINVAL, nr, call(self->fd, CMD(nr), &buf));
		}
	}
}

TEST_F(bad, revoke_unknown_flags_einval)
{
	struct exo_cap_revoke r;
	struct exo_cap_info ci;
	exo_cap_t child;

	ASSERT_EQ(0, exo_cap_derive(self->fd, self->root, EXO_RIGHT_READ, &child));
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.cap = self->root;
	r.flags = EXO_REVOKE_SELF << 1;
	EXPECT_EQ(-EINVAL, call(self->fd, EXO_IOC_CAP_REVOKE, &r));
	r.flags = EXO_REVOKE_SELF | 0x80000000U;
	EXPECT_EQ(-EINVAL, call(self->fd, EXO_IOC_CAP_REVOKE, &r));
	EXPECT_EQ(-EINVAL, exo_cap_revoke(self->fd, self->root, ~0U, NULL));
	/* Nothing was revoked. */
	ASSERT_EQ(0, exo_cap_info(self->fd, child, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
	ASSERT_EQ(0, exo_cap_info(self->fd, self->root, &ci));
	EXPECT_EQ(EXO_CAP_LIVE, ci.state);
}

TEST_F(bad, reserved_field_einval)
{
	struct exo_cap_derive d;
	struct exo_cap_export e;

	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.cap = self->root;
	d.rights = EXO_RIGHT_READ;
	d.__reserved = 1;
	EXPECT_REJECTED(EINVAL, EXO_NR_CAP_DERIVE, call(self->fd, EXO_IOC_CAP_DERIVE, &d));
	d.__reserved = 0x80000000U;
	EXPECT_REJECTED(EINVAL, EXO_NR_CAP_DERIVE, call(self->fd, EXO_IOC_CAP_DERIVE, &d));

	memset(&e, 0, sizeof(e));
	e.size = sizeof(e);
	e.cap = self->root;
	e.rights = EXO_RIGHT_READ;
	e.__reserved = 1;
	EXPECT_REJECTED(EINVAL, EXO_NR_CAP_EXPORT, call(self->fd, EXO_IOC_CAP_EXPORT, &e));
}

TEST_F(bad, rights_outside_all_einval)
{
	struct exo_key key;
	exo_cap_t out;

	EXPECT_REJECTED(EINVAL, EXO_NR_CAP_DERIVE,
		exo_cap_derive(self->fd, self->root, EXO_RIGHTS_ALL + 1, &out));
	EXPECT_REJECTED(EINVAL, EXO_NR_CAP_DERIVE,
		exo_cap_derive(self->fd, self->root, EXO_RIGHT_READ | 0x80000000U, &out));
	EXPECT_REJECTED(EINVAL, EXO_NR_CAP_DERIVE,
		exo_cap_derive(self->fd, self->root, ~0U, &out));
	EXPECT_REJECTED(EINVAL, EXO_NR_CAP_EXPORT,
		exo_cap_export(self->fd, self->root, 1U << 6, 0, &key));
	EXPECT_REJECTED(EINVAL, EXO_NR_CAP_EXPORT,
		exo_cap_export(self->fd, self->root, ~0U, 0, &key));
}

TEST_F(bad, larger_size_zero_tail_ok)
{
	static const unsigned int extra[] = { 8, 64 };
	union arg buf;
	unsigned int nr, i, j;

	for (nr = 0; nr < NR_KNOWN; nr++) {
		for (i = 0; i < ARRAY_SIZE(extra); i++) {
			unsigned char *tail = buf.bytes + sizes[nr];
			int nonzero = 0;

			ASSERT_LE(0, make_arg(self, nr, &buf));
			buf.hdr.size = sizes[nr] + extra[i];
			EXPECT_EQ(0, call(self->fd, CMD(nr), &buf))
				TH_LOG("%s size %u", names[nr], sizes[nr] + extra[i]);
			/* The kernel writes back only what it knows. */
			for (j = 0; j < extra[i]; j++)
				nonzero |= tail[j];
			EXPECT_EQ(0, nonzero) TH_LOG("%s wrote into the tail", names[nr]);
			EXPECT_EQ(sizes[nr] + extra[i], buf.hdr.size);
		}
	}
}

TEST_F(bad, larger_size_nonzero_tail_e2big)
{
	union arg buf;
	unsigned int nr;

	for (nr = 0; nr < NR_KNOWN; nr++) {
		/* First byte past the struct. */
		ASSERT_LE(0, make_arg(self, nr, &buf));
		buf.hdr.size = sizes[nr] + 8;
		buf.bytes[sizes[nr]] = 1;
		EXPECT_REJECTED(E2BIG, nr, call(self->fd, CMD(nr), &buf));
		/* Last byte of a long tail. */
		ASSERT_LE(0, make_arg(self, nr, &buf));
		buf.hdr.size = sizes[nr] + 64;
		buf.bytes[sizes[nr] + 63] = 0x80;
		EXPECT_REJECTED(E2BIG, nr, call(self->fd, CMD(nr), &buf));
	}
}

TEST_F(bad, readonly_arg_efault_leaves_nothing)
{
	/* The kernel can read the struct but not write the result back. */
	struct exo_env_info before, after;
	struct exo_totals t0, t1;
	unsigned int nrs[] = { EXO_NR_NULL_ALLOC, EXO_NR_CAP_DERIVE,
			       EXO_NR_CAP_EXPORT, EXO_NR_CAP_IMPORT };
	union arg buf;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nrs); i++) {
		unsigned int nr = nrs[i];

		ASSERT_EQ(0, mprotect(self->pages, self->page, PROT_READ | PROT_WRITE));
		ASSERT_LE(0, make_arg(self, nr, &buf));
		memcpy(self->pages, &buf, sizes[nr]);
		ASSERT_EQ(0, mprotect(self->pages, self->page, PROT_READ));
		ASSERT_EQ(0, exo_env_info(self->fd, &before));
		ASSERT_EQ(0, exo_totals(&t0));
		EXPECT_EQ(-EFAULT, call(self->fd, CMD(nr), self->pages))
			TH_LOG("%s", names[nr]);
		ASSERT_EQ(0, exo_env_info(self->fd, &after));
		ASSERT_EQ(0, exo_totals(&t1));
		EXPECT_EQ(before.caps, after.caps) TH_LOG("%s leaked a slot", names[nr]);
		EXPECT_EQ(before.keys, after.keys) TH_LOG("%s leaked a key", names[nr]);
		EXPECT_EQ(before.used[EXO_KIND_NULL], after.used[EXO_KIND_NULL])
			TH_LOG("%s leaked quota", names[nr]);
		EXPECT_EQ(t0.objects_null, t1.objects_null)
			TH_LOG("%s leaked an object", names[nr]);
	}
}

TEST_HARNESS_MAIN
