/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* template.h — exofs's XN template (template.c). */
#ifndef EXOFS_TEMPLATE_H
#define EXOFS_TEMPLATE_H

struct sock_filter;

/* The classic BPF program of every exofs metadata type; its length in *@len. */
const struct sock_filter *exofs_template(unsigned int *len);

#endif
