/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * exofs_fake.h — a stand-in for exo's XN calls on the host, for exofs's
 * host tests (exofs_fake.c): blocks in a file, ownership in memory.
 */
#ifndef EXOFS_FAKE_H
#define EXOFS_FAKE_H

#include "exofs.h"

struct exofs_dev *fake_new(uint64_t nblocks);
void fake_free(struct exofs_dev *dev);
/* Another principal takes @block: exo answers EBUSY when it is claimed. */
void fake_foreign(struct exofs_dev *dev, uint64_t block);
/* Flip bits @x of byte @off of @block, behind exofs's back. */
void fake_poke(struct exofs_dev *dev, uint64_t block, size_t off, uint8_t x);
/* The XN type exo would report for @block: -1 if not ours. */
int fake_type(struct exofs_dev *dev, uint64_t block);

#endif
