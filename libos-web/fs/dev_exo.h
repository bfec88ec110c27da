/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* dev_exo.h — exofs's block layer on /dev/exo (dev_exo.c). */
#ifndef EXOFS_DEV_EXO_H
#define EXOFS_DEV_EXO_H

#include <exo.h>

#include "exofs.h"

/*
 * Become the principal of @keyfile on the attached device (EXTENT_RECLAIM
 * with the saved key) or, with @create and no such file, a new principal
 * whose key is saved there, with exofs's templates registered.  The
 * principal's one extent block records where its superblock is.
 * Returns 0 and *@devp, or -errno.
 */
int exofs_exo_open(const char *keyfile, int create, struct exofs_dev **devp);
/* The same, in the env of the /dev/exo fd @fd (kept open at close). */
int exofs_exo_open_fd(int fd, const char *keyfile, int create,
		      struct exofs_dev **devp);
void exofs_exo_close(struct exofs_dev *dev);

/*
 * Let exofs_read_pages() read data blocks straight into pages of one's
 * own exo frames: @cap_of gives the frame capability bound at a page of
 * this env's (0: not one of them).
 */
void exofs_exo_frames(struct exofs_dev *dev,
		      exo_cap_t (*cap_of)(void *ctx, const void *page), void *ctx);

/* The superblock recorded in the principal's extent, or -ENOENT. */
int exofs_exo_super(struct exofs_dev *dev, uint64_t *super);
int exofs_exo_set_super(struct exofs_dev *dev, uint64_t super);

/* The env's /dev/exo fd (for reading into frames of one's own). */
int exofs_exo_fd(struct exofs_dev *dev);

#endif
