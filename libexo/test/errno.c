// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The libexo error convention: a failing call returns -errno AND sets
 * errno; a successful one leaves errno alone.  Checked on fd -1 (EBADF
 * from the kernel) and on NULL output pointers (EINVAL from the library).
 */
#include <errno.h>
#include <unistd.h>
#include <sys/mman.h>

#include "exo.h"
#include "tap.h"

#define CHECK_ERR(expected, call) do {					\
		int __ret;						\
		errno = 0;						\
		__ret = (call);						\
		is(-(expected), __ret, #call " returns -" #expected);	\
		is(expected, errno, #call " sets errno = " #expected);	\
	} while (0)

static void bad_fd(void)
{
	struct exo_features feat;
	struct exo_env_info info;
	struct exo_cap_info ci;
	struct exo_key key = { 1, 2 };
	exo_cap_t cap = 1;
	__u64 id = 0, count;
	__u32 rights;
	struct exo_map_entry ent = { 0 };
	const struct exo_pool_info *pool;
	struct exo_event ev;
	struct exo_event_ops ops = { 0 };

	CHECK_ERR(EBADF, exo_close(-1));
	CHECK_ERR(EBADF, exo_get_features(-1, &feat));
	CHECK_ERR(EBADF, exo_env_info(-1, &info));
	CHECK_ERR(EBADF, exo_null_alloc(-1, &cap, &id));
	CHECK_ERR(EBADF, exo_null_alloc(-1, &cap, NULL));
	CHECK_ERR(EBADF, exo_cap_info(-1, 1, &ci));
	CHECK_ERR(EBADF, exo_cap_derive(-1, 1, EXO_RIGHT_READ, &cap));
	CHECK_ERR(EBADF, exo_cap_revoke(-1, 1, 0, &count));
	CHECK_ERR(EBADF, exo_cap_revoke(-1, 1, EXO_REVOKE_SELF, NULL));
	CHECK_ERR(EBADF, exo_cap_close(-1, 1));
	CHECK_ERR(EBADF, exo_cap_export(-1, 1, EXO_RIGHT_READ, 0, &key));
	CHECK_ERR(EBADF, exo_cap_import(-1, &key, &cap, &rights));
	CHECK_ERR(EBADF, exo_cap_import(-1, &key, &cap, NULL));
	CHECK_ERR(EBADF, exo_key_drop(-1, &key));
	CHECK_ERR(EBADF, exo_frame_alloc(-1, 1, &cap, NULL));
	CHECK_ERR(EBADF, exo_frame_alloc(-1, 1, &cap, &id));
	CHECK_ERR(EBADF, exo_frame_alloc_at(-1, 1, &id, &cap));
	CHECK_ERR(EBADF, exo_frame_map(-1, &ent, 1));
	CHECK_ERR(EBADF, exo_frame_unmap(-1, &id, 1));
	CHECK_ERR(EBADF, exo_frame_map_one(-1, NULL, cap, EXO_PROT_READ));
	CHECK_ERR(EBADF, exo_frame_unmap_one(-1, NULL));
	CHECK_ERR(EBADF, exo_caps_close(-1, &cap, 1));
	CHECK_ERR(EBADF, exo_caps_close(-1, &cap, 1));
	CHECK_ERR(EBADF, exo_set_quota(-1, 0, EXO_KIND_NULL, 1));
	CHECK_ERR(EBADF, exo_info__map(-1, &pool, NULL));
	CHECK_ERR(EBADF, exo_events_read(-1, &ev, 1, 0));
	CHECK_ERR(EBADF, exo_events_dispatch(-1, &ops, NULL, 0));
	errno = 0;
	ok(exo_region__create(-1, NULL, sysconf(_SC_PAGESIZE),
			      PROT_READ | PROT_WRITE) == NULL,
	   "exo_region__create(-1, ...) returns NULL");
	is(EBADF, errno, "exo_region__create(-1, ...) sets errno = EBADF");
}

static void null_pointers(void)
{
	struct exo_key key = { 1, 2 };
	struct exo_map_entry ent = { 0 };
	exo_cap_t cap = 1;

	CHECK_ERR(EINVAL, exo_get_features(-1, NULL));
	CHECK_ERR(EINVAL, exo_env_info(-1, NULL));
	CHECK_ERR(EINVAL, exo_null_alloc(-1, NULL, NULL));
	CHECK_ERR(EINVAL, exo_cap_info(-1, 1, NULL));
	CHECK_ERR(EINVAL, exo_cap_derive(-1, 1, EXO_RIGHT_READ, NULL));
	CHECK_ERR(EINVAL, exo_cap_export(-1, 1, EXO_RIGHT_READ, 0, NULL));
	CHECK_ERR(EINVAL, exo_cap_import(-1, NULL, &cap, NULL));
	CHECK_ERR(EINVAL, exo_cap_import(-1, &key, NULL, NULL));
	CHECK_ERR(EINVAL, exo_key_drop(-1, NULL));
	CHECK_ERR(EINVAL, exo_frame_alloc(-1, 1, NULL, NULL));
	CHECK_ERR(EINVAL, exo_frame_alloc(-1, 0, &cap, NULL));
	CHECK_ERR(EINVAL, exo_frame_alloc_at(-1, 1, NULL, &cap));
	CHECK_ERR(EINVAL, exo_frame_map(-1, NULL, 1));
	CHECK_ERR(EINVAL, exo_frame_map(-1, &ent, EXO_BATCH_MAX + 1));
	CHECK_ERR(EINVAL, exo_frame_unmap(-1, NULL, 1));
	CHECK_ERR(EINVAL, exo_caps_close(-1, NULL, 1));
	CHECK_ERR(EINVAL, exo_caps_close(-1, &cap, 0));
	CHECK_ERR(EINVAL, exo_info__map(-1, NULL, NULL));
	CHECK_ERR(EINVAL, exo_info__unmap(NULL));
	CHECK_ERR(EINVAL, exo_events_read(-1, NULL, 1, 0));
	CHECK_ERR(EINVAL, exo_events_dispatch(-1, NULL, NULL, 0));
	CHECK_ERR(EINVAL, exo_region__destroy(NULL, 4096));
	errno = 0;
	ok(exo_region__create(-1, NULL, 1, PROT_READ) == NULL && errno == EINVAL,
	   "exo_region__create with a length not a page multiple: EINVAL");
}

static void not_an_exo_fd(void)
{
	struct exo_features feat;
	int fds[2];

	if (pipe(fds)) {
		ok(0, "pipe");
		return;
	}
	/* A pipe has no exo ioctls: the kernel says ENOTTY. */
	CHECK_ERR(ENOTTY, exo_get_features(fds[0], &feat));
	close(fds[0]);
	close(fds[1]);
}

static void success_keeps_errno(void)
{
	struct exo_key key = { 3, 4 }, back;
	char buf[EXO_KEY_STRLEN + 1];

	errno = 12345;
	is(EXO_KEY_STRLEN, exo_key_to_string(&key, buf, sizeof(buf)),
	   "exo_key_to_string succeeds");
	is(12345, errno, "success leaves errno untouched (to_string)");
	is(0, exo_key_from_string(buf, &back), "exo_key_from_string succeeds");
	is(12345, errno, "success leaves errno untouched (from_string)");
}

static void open_without_module(void)
{
	int fd;

	if (access(EXO_DEVICE, F_OK) == 0) {
		/* Host has the module loaded: nothing to check here. */
		ok(1, "exo_open: # SKIP " EXO_DEVICE " exists on this host");
		return;
	}
	errno = 0;
	fd = exo_open();
	is(-ENOENT, fd, "exo_open without " EXO_DEVICE " returns -ENOENT");
	is(ENOENT, errno, "exo_open without " EXO_DEVICE " sets errno");
}

int main(void)
{
	bad_fd();
	null_pointers();
	not_an_exo_fd();
	success_keeps_errno();
	open_without_module();
	return done_testing();
}
