// SPDX-License-Identifier: GPL-2.0
/*
 * The ABI pinned: every struct size, field offset and size, and constant
 * of <linux/exo.h> against the hand-computed table shared with libexo's
 * host test (libexo/test/abi_pins.h), built here with the guest's
 * toolchain flags; plus the module's own view (GET_FEATURES) of which
 * ioctls exist.
 */
#include <stddef.h>
#include <string.h>

#include "kselftest_harness.h"
#include "exo_test.h"

#define FIELD_SIZE(type, member)	sizeof(((type *)0)->member)

TEST(struct_sizes)
{
#define EXO_PIN_STRUCT(type, sz)					\
	EXPECT_EQ(sz, sizeof(type)) TH_LOG("sizeof(%s)", #type);	\
	EXPECT_EQ(0, sizeof(type) % 8) TH_LOG("%s not a multiple of 8", #type);
#define EXO_PIN_FIELD(type, member, off, sz)
#define EXO_PIN_CONST(name, value)
#include "abi_pins.h"
#undef EXO_PIN_STRUCT
#undef EXO_PIN_FIELD
#undef EXO_PIN_CONST
}

TEST(field_offsets)
{
#define EXO_PIN_STRUCT(type, sz)
#define EXO_PIN_FIELD(type, member, off, sz)				\
	EXPECT_EQ(off, offsetof(type, member))				\
		TH_LOG("offsetof(%s, %s)", #type, #member);		\
	EXPECT_EQ(sz, FIELD_SIZE(type, member))				\
		TH_LOG("sizeof(%s.%s)", #type, #member);
#define EXO_PIN_CONST(name, value)
#include "abi_pins.h"
#undef EXO_PIN_STRUCT
#undef EXO_PIN_FIELD
#undef EXO_PIN_CONST
}

TEST(header_first)
{
	/* Every call's struct starts with __u32 size, __u32 flags. */
#define HDR(type)							\
	EXPECT_EQ(0, offsetof(type, size));				\
	EXPECT_EQ(4, offsetof(type, flags));				\
	EXPECT_EQ(4, FIELD_SIZE(type, size));				\
	EXPECT_EQ(4, FIELD_SIZE(type, flags));
	HDR(struct exo_features)
	HDR(struct exo_env_info)
	HDR(struct exo_null_alloc)
	HDR(struct exo_cap_info)
	HDR(struct exo_cap_derive)
	HDR(struct exo_cap_revoke)
	HDR(struct exo_cap_close)
	HDR(struct exo_cap_export)
	HDR(struct exo_cap_import)
	HDR(struct exo_key_drop)
	HDR(struct exo_frame_alloc)
	HDR(struct exo_frame_map)
	HDR(struct exo_frame_unmap)
	HDR(struct exo_caps_close)
	HDR(struct exo_set_quota)
#undef HDR
}

TEST(constants)
{
#define EXO_PIN_STRUCT(type, sz)
#define EXO_PIN_FIELD(type, member, off, sz)
#define EXO_PIN_CONST(name, value)					\
	EXPECT_EQ((unsigned long long)(value), (unsigned long long)(name)) \
		TH_LOG("%s", #name);
#include "abi_pins.h"
#undef EXO_PIN_STRUCT
#undef EXO_PIN_FIELD
#undef EXO_PIN_CONST
}

TEST(module_reports_every_ioctl)
{
	struct exo_features f;
	int fd;

	fd = exo_open();
	if (fd == -ENOENT)
		SKIP(return, "%s: module not loaded", EXO_DEVICE);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, exo_get_features(fd, &f));
	EXPECT_EQ(EXO_API_VERSION, f.api_version);
	EXPECT_EQ(EXO_TEST_IOCTLS, f.ioctls);
	EXPECT_EQ(EXO_RIGHTS_ALL, f.rights);
	EXPECT_EQ(0, exo_close(fd));
}

TEST_HARNESS_MAIN
