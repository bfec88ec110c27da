// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * reasm.c — the receive buffer and the out-of-order scoreboard.
 *
 * The receive buffer is a ring of cfg.rcvbuf bytes indexed by sequence
 * number (seq & (rcvbuf - 1)).  Bytes rd_seq .. rcv_nxt - 1 are in order
 * and readable; bytes past rcv_nxt that arrived early are written straight
 * to their place in the ring, and their extents kept in at most
 * EN_OOO_MAX ranges [start, end), sorted and disjoint.  When the hole at
 * rcv_nxt fills, rcv_nxt jumps over every range it now touches: no
 * segment is ever copied twice, overlapping and duplicate segments just
 * rewrite the same bytes (RFC 9293 3.10.7.4: data is accepted once, in
 * sequence), and the ranges are the receive side's SACK scoreboard
 * (RFC 2018: the blocks we report).  Data beyond the window was trimmed
 * by the caller; a segment that would need one range more than the
 * scoreboard holds is dropped (the sender will send it again).
 */
#include <string.h>

#include "stack.h"

/* The sequence number after the last data byte (the FIN is not data). */
uint32_t en_rcv_end(const struct exonet_sock *s)
{
	return s->rcv_nxt - !!(s->flags & CF_FIN_RCVD);
}

uint32_t en_rcv_readable(const struct exonet_sock *s)
{
	return en_rcv_end(s) - s->rd_seq;
}

/* Free space from rcv_nxt to the ring's end: what we may advertise. */
uint32_t en_rcv_space(const struct exonet *st, const struct exonet_sock *s)
{
	uint32_t used = s->rcv_nxt - s->rd_seq;	/* a FIN counts one */

	return used >= st->cfg.rcvbuf ? 0 : st->cfg.rcvbuf - used;
}

static void ring_put(struct exonet *st, struct exonet_sock *s, uint32_t seq,
		     const uint8_t *data, uint32_t len)
{
	uint32_t mask = st->cfg.rcvbuf - 1, off = seq & mask;
	uint32_t first = EN_MIN(len, st->cfg.rcvbuf - off);

	memcpy(s->rbuf + off, data, first);
	if (len > first)
		memcpy(s->rbuf, data + first, len - first);
}

/* Record [a, b) as held; returns false when the scoreboard is full. */
static bool ooo_add(struct exonet_sock *s, uint32_t a, uint32_t b)
{
	uint32_t i, j, n = s->nooo;

	/* find the first range that ends at or after a */
	for (i = 0; i < n && seq_lt(s->ooo[i][1], a); i++)
		;
	if (i == n || seq_lt(b, s->ooo[i][0])) {
		/* disjoint: insert at i */
		if (n == EN_OOO_MAX)
			return false;
		memmove(&s->ooo[i + 1], &s->ooo[i], (n - i) * sizeof(s->ooo[0]));
		s->ooo[i][0] = a;
		s->ooo[i][1] = b;
		s->nooo++;
		s->ooo_last = (uint8_t)i;
		return true;
	}
	/* overlaps or touches range i (and maybe the following ones) */
	s->ooo[i][0] = seq_min(s->ooo[i][0], a);
	s->ooo[i][1] = seq_max(s->ooo[i][1], b);
	for (j = i + 1; j < n && seq_le(s->ooo[j][0], s->ooo[i][1]); j++)
		s->ooo[i][1] = seq_max(s->ooo[i][1], s->ooo[j][1]);
	if (j > i + 1) {
		memmove(&s->ooo[i + 1], &s->ooo[j], (n - j) * sizeof(s->ooo[0]));
		s->nooo -= (uint8_t)(j - i - 1);
	}
	s->ooo_last = (uint8_t)i;
	return true;
}

/*
 * Place @len bytes at @seq (already trimmed to [rcv_nxt, rcv_nxt +
 * space)).  Advances rcv_nxt over everything now contiguous.
 */
void en_rcv_data(struct exonet *st, struct exonet_sock *s, uint32_t seq,
		 const uint8_t *data, uint32_t len)
{
	uint32_t i;

	if (!len)
		return;
	if (seq != s->rcv_nxt) {
		if (!ooo_add(s, seq, seq + len)) {
			st->stats.ooo_dropped++;
			return;
		}
		st->stats.ooo_segments++;
		ring_put(st, s, seq, data, len);
		return;
	}
	ring_put(st, s, seq, data, len);
	s->rcv_nxt = seq + len;
	/* swallow every range the new bytes reach */
	for (i = 0; i < s->nooo && seq_le(s->ooo[i][0], s->rcv_nxt); i++)
		s->rcv_nxt = seq_max(s->rcv_nxt, s->ooo[i][1]);
	if (i) {
		memmove(&s->ooo[0], &s->ooo[i], (s->nooo - i) * sizeof(s->ooo[0]));
		s->nooo -= (uint8_t)i;
		s->ooo_last = 0;
	}
}
