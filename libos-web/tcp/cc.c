// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * cc.c — congestion control: NewReno.  The policy of the stack in one
 * place; another algorithm replaces these four functions.
 *
 *   en_cc_init     RFC 6928: initial window of 10 segments (IW10),
 *                  min(10*MSS, max(2*MSS, 14600))
 *   en_cc_ack      RFC 5681 (3.1): slow start below ssthresh, counting
 *                  bytes (RFC 3465: cwnd grows by the bytes acked, at
 *                  most L = 2 SMSS per ACK, or 64 KiB with TSO, 1 SMSS
 *                  while retransmitting after a timeout), then congestion avoidance (one SMSS
 *                  per cwnd acked);
 *                  RFC 6582 (3.2): partial and full ACKs in recovery
 *   en_cc_dupack   RFC 5681 (3.2): the third duplicate ACK starts fast
 *                  retransmit and fast recovery; more inflate cwnd
 *   en_cc_timeout  RFC 5681 (3.1, eq. 4): ssthresh = max(flight/2,
 *                  2*SMSS), cwnd = one segment (the loss window)
 *
 * Bytes in flight are snd_max - snd_una (no SACK-based pipe: we do not
 * use the peer's SACK blocks to skip what it holds; see README).
 */
#include "stack.h"

uint32_t en_flight(const struct exonet_sock *s)
{
	return s->snd_max - s->snd_una;
}

void en_cc_init(struct exonet *st, struct exonet_sock *s)
{
	uint32_t mss = s->mss;

	(void)st;
	s->cwnd = EN_MIN(10 * mss, EN_MAX(2 * mss, 14600u));
	s->ssthresh = UINT32_MAX / 2;	/* RFC 5681 (3.1): arbitrarily high */
	s->recover = s->iss;
}

void en_cc_ack(struct exonet *st, struct exonet_sock *s, uint32_t acked)
{
	uint32_t mss = s->mss;

	(void)st;
	if (s->flags & CF_RECOVERY) {
		if (seq_ge(s->snd_una, s->recover)) {
			/*
			 * RFC 6582 (3.2 step 3, full ACK): deflate to
			 * min(ssthresh, flight + SMSS) and leave recovery.
			 */
			s->cwnd = EN_MIN(s->ssthresh, en_flight(s) + mss);
			s->flags &= ~CF_RECOVERY;
			s->dupacks = 0;
		} else {
			/*
			 * RFC 6582 (3.2 step 4, partial ACK): retransmit the
			 * first unacked segment, deflate by the amount acked,
			 * add back one SMSS if that was at least one SMSS.
			 */
			s->cwnd = s->cwnd > acked ? s->cwnd - acked : mss;
			if (acked >= mss)
				s->cwnd += mss;
			s->snd_nxt = s->snd_una;	/* output resends it */
			st->stats.fast_retransmits++;
		}
		return;
	}
	s->dupacks = 0;
	/*
	 * recover marks the last reduction (RFC 6582): once SND.UNA has
	 * passed it, all that matters is that it stays behind SND.UNA.
	 * Kept just behind it, or 2 GiB later the modulo-2^32 comparisons
	 * below and in en_cc_dupack() see a stale value as ahead: no fast
	 * retransmit, and slow start counting as if after a timeout.
	 */
	if (seq_gt(s->snd_una, s->recover))
		s->recover = s->snd_una - 1;
	if (s->cwnd < s->ssthresh) {
		/*
		 * Slow start, RFC 3465 (2.2, 2.3): an ACK covering two
		 * segments (delayed ACKs) grows cwnd by two; L = 1 SMSS while
		 * the data of a timeout is resent (recover is snd_max then),
		 * since those ACKs may cover segments that left long ago.
		 */
		uint32_t l = seq_lt(s->snd_una, s->recover) ? mss : 2 * mss;

		/*
		 * With TSO (the connection sent a TSO descriptor) a
		 * receiver sees one packet per descriptor and
		 * acknowledges it with one ACK: stretch ACKs are the norm,
		 * and L = 2 SMSS would make slow start linear.  L is then a
		 * descriptor's worth (as Linux, which has no L at all).
		 */
		if ((s->flags & CF_TSO) && l > mss)
			l = EXONET_TSO_MAX;

		s->cwnd += EN_MIN(acked, l);
	} else {
		s->cwnd += EN_MAX(1u, (uint32_t)((uint64_t)mss * mss / s->cwnd));
	}
	s->cwnd = EN_MIN(s->cwnd, 1u << 30);
}

/* Returns true when the segment at snd_una should be sent again now. */
bool en_cc_dupack(struct exonet *st, struct exonet_sock *s)
{
	uint32_t mss = s->mss;

	if (s->flags & CF_RECOVERY) {
		/* RFC 6582 (3.2 step 3): inflate, bounded as en_cc_ack() */
		s->cwnd = EN_MIN(s->cwnd + mss, 1u << 30);
		return false;
	}
	if (++s->dupacks < 3)
		return false;
	/*
	 * RFC 6582 (3.2 step 2): only if the cumulative ACK covers more than
	 * recover, so one window of losses is one reduction.
	 */
	if (!seq_gt(s->snd_una, s->recover)) {
		s->dupacks = 0;
		return false;
	}
	s->ssthresh = EN_MAX(en_flight(s) / 2, 2 * mss);
	s->cwnd = s->ssthresh + 3 * mss;
	s->recover = s->snd_max;
	s->flags |= CF_RECOVERY;
	st->stats.fast_retransmits++;
	return true;
}

void en_cc_timeout(struct exonet *st, struct exonet_sock *s)
{
	(void)st;
	s->ssthresh = EN_MAX(en_flight(s) / 2, 2u * s->mss);
	s->cwnd = s->mss;
	/* RFC 6582 (4): after a timeout, recover = the highest sent */
	s->recover = s->snd_max;
	s->flags &= ~CF_RECOVERY;
	s->dupacks = 0;
}
