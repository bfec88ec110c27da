/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* dev_exo.h — exofs's block layer on /dev/exo (dev_exo.c). */
#ifndef EXOFS_DEV_EXO_H
#define EXOFS_DEV_EXO_H

#include "exofs.h"

/*
 * Become the principal of @keyfile on the attached device (EXTENT_RECLAIM
 * with the saved key) or, with @create and no such file, a new principal
 * whose key is saved there, with exofs's templates registered.  The
 * principal's one extent block records where its superblock is.
 * Returns 0 and *@devp, or -errno.
 */
int exofs_exo_open(const char *keyfile, int create, struct exofs_dev **devp);
void exofs_exo_close(struct exofs_dev *dev);

/* The superblock recorded in the principal's extent, or -ENOENT. */
int exofs_exo_super(struct exofs_dev *dev, uint64_t *super);
int exofs_exo_set_super(struct exofs_dev *dev, uint64_t super);

/* The env's /dev/exo fd (for reading into frames of one's own). */
int exofs_exo_fd(struct exofs_dev *dev);

#endif
