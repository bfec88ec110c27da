// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libexo: one thin wrapper per /dev/exo ioctl.
 *
 * Each wrapper zeroes its argument struct, sets size = sizeof() the struct
 * as this library was built with, fills the inputs, issues the ioctl once
 * and copies the outputs.  Errors come back as -errno with errno set.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "exo.h"
#include "libexo_internal.h"

EXO_API int exo_open(void)
{
	int fd = open(EXO_DEVICE, O_RDWR | O_CLOEXEC);

	return fd < 0 ? libexo_errno() : fd;
}

EXO_API int exo_close(int fd)
{
	/* Like close(2): the fd is gone even on EINTR, so never retry. */
	return close(fd) ? libexo_errno() : 0;
}

/* ioctl() on an exo fd: 0, or -errno with errno set. */
static int exo_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? libexo_errno() : 0;
}

EXO_API int exo_get_features(int fd, struct exo_features *feat)
{
	if (!feat)
		return libexo_err(-EINVAL);
	memset(feat, 0, sizeof(*feat));
	feat->size = sizeof(*feat);
	return exo_ioctl(fd, EXO_IOC_GET_FEATURES, feat);
}

EXO_API int exo_env_info(int fd, struct exo_env_info *info)
{
	if (!info)
		return libexo_err(-EINVAL);
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return exo_ioctl(fd, EXO_IOC_ENV_INFO, info);
}

EXO_API int exo_null_alloc(int fd, exo_cap_t *cap, __u64 *obj_id)
{
	struct exo_null_alloc arg = { .size = sizeof(arg) };
	int ret;

	if (!cap)
		return libexo_err(-EINVAL);
	ret = exo_ioctl(fd, EXO_IOC_NULL_ALLOC, &arg);
	if (ret)
		return ret;
	*cap = arg.cap;
	if (obj_id)
		*obj_id = arg.obj_id;
	return 0;
}

EXO_API int exo_cap_info(int fd, exo_cap_t cap, struct exo_cap_info *info)
{
	if (!info)
		return libexo_err(-EINVAL);
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->cap = cap;
	return exo_ioctl(fd, EXO_IOC_CAP_INFO, info);
}

EXO_API int exo_cap_derive(int fd, exo_cap_t cap, __u32 rights,
			   exo_cap_t *child)
{
	struct exo_cap_derive arg = {
		.size = sizeof(arg),
		.cap = cap,
		.rights = rights,
	};
	int ret;

	if (!child)
		return libexo_err(-EINVAL);
	ret = exo_ioctl(fd, EXO_IOC_CAP_DERIVE, &arg);
	if (ret)
		return ret;
	*child = arg.child;
	return 0;
}

EXO_API int exo_cap_revoke(int fd, exo_cap_t cap, __u32 flags, __u64 *count)
{
	struct exo_cap_revoke arg = {
		.size = sizeof(arg),
		.flags = flags,
		.cap = cap,
	};
	int ret;

	ret = exo_ioctl(fd, EXO_IOC_CAP_REVOKE, &arg);
	if (ret)
		return ret;
	if (count)
		*count = arg.count;
	return 0;
}

EXO_API int exo_cap_close(int fd, exo_cap_t cap)
{
	struct exo_cap_close arg = { .size = sizeof(arg), .cap = cap };

	return exo_ioctl(fd, EXO_IOC_CAP_CLOSE, &arg);
}

EXO_API int exo_cap_export(int fd, exo_cap_t cap, __u32 rights, __u32 flags,
			   struct exo_key *key)
{
	struct exo_cap_export arg = {
		.size = sizeof(arg),
		.flags = flags,
		.cap = cap,
		.rights = rights,
	};
	int ret;

	if (!key)
		return libexo_err(-EINVAL);
	ret = exo_ioctl(fd, EXO_IOC_CAP_EXPORT, &arg);
	if (ret)
		return ret;
	*key = arg.key;
	return 0;
}

EXO_API int exo_cap_import(int fd, const struct exo_key *key, exo_cap_t *cap,
			   __u32 *rights)
{
	struct exo_cap_import arg = { .size = sizeof(arg) };
	int ret;

	if (!key || !cap)
		return libexo_err(-EINVAL);
	arg.key = *key;
	ret = exo_ioctl(fd, EXO_IOC_CAP_IMPORT, &arg);
	if (ret)
		return ret;
	*cap = arg.cap;
	if (rights)
		*rights = arg.rights;
	return 0;
}

EXO_API int exo_key_drop(int fd, const struct exo_key *key)
{
	struct exo_key_drop arg = { .size = sizeof(arg) };

	if (!key)
		return libexo_err(-EINVAL);
	arg.key = *key;
	return exo_ioctl(fd, EXO_IOC_KEY_DROP, &arg);
}
