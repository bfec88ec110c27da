/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The XN metadata format of the XN tests: a big-endian count, then that
 * many EXO_XN_REF words; and its template, a classic BPF program that
 * answers A = ref[i], or 0 past the count.  Included by exo_xn,
 * exo_xn_update and exo_xn_share.
 */
#ifndef XN_LIST_H
#define XN_LIST_H

#include <linux/filter.h>
#include <linux/exo.h>

static const struct sock_filter list_prog[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, EXO_EXTENT_BLOCK),	/* A = i */
	BPF_STMT(BPF_ST, 0),				/* M[0] = i */
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),		/* A = count */
	BPF_STMT(BPF_LDX | BPF_W | BPF_MEM, 0),		/* X = i */
	BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 5),	/* count > i ? */
	BPF_STMT(BPF_MISC | BPF_TXA, 0),		/* A = i */
	BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 2),		/* A = 4i */
	BPF_STMT(BPF_MISC | BPF_TAX, 0),		/* X = 4i */
	BPF_STMT(BPF_LD | BPF_W | BPF_IND, 4),		/* A = ref[i] */
	BPF_STMT(BPF_RET | BPF_A, 0),
	BPF_STMT(BPF_RET | BPF_K, 0),
};
#define LIST_LEN	(sizeof(list_prog) / sizeof(list_prog[0]))

#endif /* XN_LIST_H */
