/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* libexo internals: not installed. */
#ifndef LIBEXO_INTERNAL_H
#define LIBEXO_INTERNAL_H

#include <errno.h>
#include <stddef.h>
#include <linux/exo.h>

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

/*
 * For the host tests (linked with libexo.a; hidden in libexo.so).
 *
 * libexo_nic_over(): a binding whose rings are @mem, 1 + @rx_frames +
 * @tx_frames pages of @page bytes in plain memory (no kernel binding):
 * exercises the ring cursors; exo_nic__free() frees only the struct.
 * Returns it, or NULL with errno set.
 *
 * libexo_bpf_open(): open (do not load) the built-in object of program
 * @name; close it with bpf_object__close().  Returns it, or NULL with
 * errno set.
 */
struct exo_nic;
struct bpf_object;
struct exo_nic *libexo_nic_over(int fd, exo_cap_t flow, void *mem,
				size_t page, __u32 rx_frames, __u32 tx_frames);
struct bpf_object *libexo_bpf_open(const char *name);

/*
 * Export @old, a deprecated name (LIBEXO_DEPRECATED_NAMES in exo.h), as an
 * alias of @new; in the file that defines @new.
 */
#define LIBEXO_ALIAS(old, new)						\
	extern __typeof__(new) old					\
		__attribute__((alias(#new), visibility("default")));

#endif /* LIBEXO_INTERNAL_H */
