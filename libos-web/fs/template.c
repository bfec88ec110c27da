// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * template.c — exofs's owns-udf: the classic BPF program exo runs over a
 * metadata block to learn which blocks it points to (EXO_IOC_XN_TEMPLATE,
 * uapi <linux/exo.h>).  Every exofs metadata type keeps its references
 * in the same place (format.h: nrefs at byte 4, refs from byte 32), so
 * one program serves the three types; exo calls it once per index i
 * (the big-endian word at byte 4096) and it returns refs[i], or 0 past
 * nrefs.  A zeroed block has nrefs 0: no references, as exo requires of
 * a block it hands out.
 */
#include <linux/filter.h>

#include "exofs.h"
#include "template.h"

static const struct sock_filter refs_prog[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, EXOFS_BLOCK),	/* A = i */
	BPF_STMT(BPF_ST, 0),					/* M[0] = i */
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4),			/* A = nrefs */
	BPF_STMT(BPF_LDX | BPF_W | BPF_MEM, 0),			/* X = i */
	BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 5),		/* nrefs > i ? */
	BPF_STMT(BPF_MISC | BPF_TXA, 0),
	BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 2),			/* A = 4i */
	BPF_STMT(BPF_MISC | BPF_TAX, 0),
	BPF_STMT(BPF_LD | BPF_W | BPF_IND, EXOFS_REFS_OFF),	/* A = refs[i] */
	BPF_STMT(BPF_RET | BPF_A, 0),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

const struct sock_filter *exofs_template(unsigned int *len)
{
	*len = sizeof(refs_prog) / sizeof(refs_prog[0]);
	return refs_prog;
}
