/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* libexo internals: not installed. */
#ifndef LIBEXO_INTERNAL_H
#define LIBEXO_INTERNAL_H

#include <errno.h>

/* Return @err (a negative errno) after setting errno to it (libxdp_err). */
static inline int libexo_err(int err)
{
	if (err < 0)
		errno = -err;
	return err;
}

/* -errno of a failed libc call; errno is already set. */
static inline int libexo_errno(void)
{
	return errno > 0 ? -errno : libexo_err(-EIO);
}

#endif /* LIBEXO_INTERNAL_H */
