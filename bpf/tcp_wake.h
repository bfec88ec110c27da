/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * tcp_wake.h — the state the tcp_wake filter and predicate share with the
 * libOS (the object's .bss, mapped into the libOS by libexo).
 */
#ifndef EXO_BPF_TCP_WAKE_H
#define EXO_BPF_TCP_WAKE_H

#include <linux/types.h>

struct exo_tcp_wake_state {
	/* the filter's: packets it passed that want the libOS soon (SYN,
	 * RST, payload, anything not plain TCP), and that can wait (an ACK
	 * or FIN alone, while the libOS is not eager) */
	__u64 urgent;
	__u64 lazy;
	/* the libOS's: @urgent as it read it before its last drain of the
	 * ring, and whether every packet is urgent (a send waits on ACKs) */
	__u64 seen;
	__u32 eager;
	__u32 __pad;
};

#endif
