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
	/* the libOS's: the urgent count (tally's high half) of the packets
	 * it has read from the ring, and whether every packet is urgent (a
	 * send waits on ACKs) */
	__u64 seen;
	__u32 eager;
	__u32 __pad;
	/* the filter's again, both counts in one word so that one atomic
	 * read gives a consistent pair: urgent packets << 32 | packets
	 * passed (each mod 2^32).  Passed packets are the ring's filtered
	 * ones in order (the filter runs on the slot at rx_head, after the
	 * ring-full check, and tcp_wake never changes a packet's length, so
	 * every packet it passes is committed), so when the libOS has read
	 * as many filtered packets as were passed, the high half is exactly
	 * the urgent packets it has read (libexo's exo_tcp_wake_arm()). */
	__u64 tally;
};

#endif
