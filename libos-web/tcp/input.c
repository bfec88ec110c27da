// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * input.c — segment arrival: parsing (nothing from the wire is trusted)
 * and the state machine of RFC 9293 3.10.7.4 for synchronized states,
 * hardened as RFC 5961 says (challenge ACKs for RSTs and SYNs that are
 * not exactly right, ACKs outside the window dropped) and RFC 7323 (PAWS).
 * LISTEN is syn.c's, TIME_WAIT timewait.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "stack.h"

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return ntohs(v);
}

/*
 * RFC 9293 3.1 and 3.2: options are kind, length, data; a length that
 * is below 2 or runs past the header, or a known option of the wrong
 * length, makes the segment malformed: it is dropped (3.1 allows that;
 * nothing in it is believed).  Unknown options are skipped.
 */
static int parse_options(const uint8_t *o, uint32_t n, struct en_seg *seg)
{
	uint32_t i = 0;

	while (i < n) {
		uint8_t kind = o[i], l;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n)
			return -1;
		l = o[i + 1];
		if (l < 2 || i + l > n)
			return -1;
		switch (kind) {
		case 2:				/* MSS, RFC 9293 3.2 */
			if (l != 4)
				return -1;
			seg->has_mss = true;
			seg->mss = rd16(o + i + 2);
			break;
		case 3:				/* window scale, RFC 7323 2.2 */
			if (l != 3)
				return -1;
			seg->has_ws = true;
			/* RFC 7323 2.3: a shift over 14 is taken as 14 */
			seg->ws = EN_MIN(o[i + 2], 14);
			break;
		case 4:				/* SACK-permitted, RFC 2018 2 */
			if (l != 2)
				return -1;
			seg->sack_ok = true;
			break;
		case 5: {			/* SACK, RFC 2018 3 */
			uint32_t k;

			if ((l - 2) % 8 || l == 2 || (l - 2) / 8 > 4)
				return -1;
			seg->nsack = (uint8_t)((l - 2) / 8);
			for (k = 0; k < seg->nsack; k++) {
				seg->sack[k][0] = rd32(o + i + 2 + 8 * k);
				seg->sack[k][1] = rd32(o + i + 6 + 8 * k);
			}
			break;
		}
		case 8:				/* timestamps, RFC 7323 3.2 */
			if (l != 10)
				return -1;
			seg->has_ts = true;
			seg->tsval = rd32(o + i + 2);
			seg->tsecr = rd32(o + i + 6);
			break;
		default:
			break;
		}
		i += l;
	}
	return 0;
}

int en_tcp_parse(struct exonet *st, const uint8_t *ip, uint32_t ihl,
		 const uint8_t *th, uint32_t len, struct en_seg *seg)
{
	uint32_t doff, saddr, daddr, sum;

	(void)ihl;
	if (len < EN_TCP_HLEN)
		goto bad;
	doff = (th[12] >> 4) * 4u;
	if (doff < EN_TCP_HLEN || doff > len)
		goto bad;
	memcpy(&saddr, ip + 12, 4);
	memcpy(&daddr, ip + 16, 4);
	sum = en_tcp_pseudo(saddr, daddr, len);
	if (en_csum_fold(en_csum_add(sum, th, len, false)) != 0) {
		st->stats.rx_bad_csum++;
		return -1;
	}
	memset(seg, 0, sizeof(*seg));
	seg->saddr = saddr;
	seg->sport = rd16(th);
	if (rd16(th + 2) != st->lport) {
		st->stats.rx_not_ours++;
		return -1;
	}
	if (seg->sport == 0)
		goto bad;
	seg->seq = rd32(th + 4);
	seg->ack = rd32(th + 8);
	seg->flags = th[13] & 0x3f;
	seg->wnd = rd16(th + 14);
	seg->data = th + doff;
	seg->len = len - doff;
	if (parse_options(th + EN_TCP_HLEN, doff - EN_TCP_HLEN, seg))
		goto bad;
	return 0;
bad:
	st->stats.rx_bad_tcp++;
	return -1;
}

/* RFC 9293 3.10.7.4, first check: is any of the segment in the window? */
static bool acceptable(struct exonet *st, struct exonet_sock *s,
		       const struct en_seg *seg, uint32_t seglen)
{
	uint32_t wnd = en_rcv_space(st, s);

	/* what we advertised may exceed today's space by rounding: honour it */
	if (seq_gt(s->rcv_adv, s->rcv_nxt))
		wnd = EN_MAX(wnd, s->rcv_adv - s->rcv_nxt);
	if (seglen == 0) {
		if (wnd == 0)
			return seg->seq == s->rcv_nxt;
		return seq_le(s->rcv_nxt, seg->seq) &&
		       seq_lt(seg->seq, s->rcv_nxt + wnd);
	}
	/*
	 * RFC 9293 3.10.7.4: with RCV.WND zero no segment is acceptable,
	 * "but special allowance should be made to accept valid ACKs, URGs,
	 * and RSTs": a segment that starts exactly at RCV.NXT (a peer's
	 * zero-window probe, data sent as the window closed) is taken for
	 * its ACK, window and RST; its data is trimmed to the window (none)
	 * below, and so is a FIN (its sequence number needs room).  Otherwise
	 * a peer that sends data while we send into its window has its
	 * ACKs of our data thrown away until our application reads.
	 */
	if (wnd == 0)
		return seg->seq == s->rcv_nxt;
	return (seq_le(s->rcv_nxt, seg->seq) && seq_lt(seg->seq, s->rcv_nxt + wnd)) ||
	       (seq_le(s->rcv_nxt, seg->seq + seglen - 1) &&
		seq_lt(seg->seq + seglen - 1, s->rcv_nxt + wnd));
}

/*
 * The peer's FIN is now in sequence: consume it and change state.  In
 * FIN_WAIT_1 our FIN is not acknowledged (its ACK, even on this very
 * segment, moved us to FIN_WAIT_2 already) and may not even have left
 * (a full transmit ring): CLOSING, whose ACK of our FIN leads to
 * TIME_WAIT (RFC 9293 3.10.7.4, eighth).
 */
static bool fin_arrived(struct exonet *st, struct exonet_sock *s)
{
	s->rcv_nxt++;
	s->nooo = 0;		/* nothing follows a FIN: bytes past it are bogus */
	s->flags |= CF_FIN_RCVD | CF_ACKNOW;
	s->flags &= ~CF_FIN_OOO;
	en_notify(st, s, EXONET_EV_READ | EXONET_EV_HUP);
	switch (s->state) {
	case EXONET_ESTABLISHED:
		s->state = EXONET_CLOSE_WAIT;
		break;
	case EXONET_FIN_WAIT_1:
		s->state = EXONET_CLOSING;
		break;
	case EXONET_FIN_WAIT_2:
		en_tw_enter(st, s);
		return true;
	default:
		break;
	}
	return false;
}

/*
 * RFC 7323 (4.1): an RTT sample from the peer's TSecr, taken only from a
 * segment that advances SND.UNA (the callers).  The echo is the peer's
 * word: believe it only if we could have sent it, i.e. it lies between
 * our first TSval on this connection and our clock now (a "negative" RTT
 * would wrap to hours), and it is not older than the largest RTO (such a
 * segment would have been retransmitted, and the peer echoes the
 * retransmission's TSval).  A sample of 0 means under the clock's
 * millisecond, which is what the clock can say.
 */
static void ts_rtt(struct exonet *st, struct exonet_sock *s, const struct en_seg *seg)
{
	uint32_t now = en_ts_now(st, s->tsoff), rtt;

	if (!(s->flags & CF_TS) || !seg->has_ts || !seg->tsecr ||
	    seq_gt(seg->tsecr, now) || seq_lt(seg->tsecr, s->ts_first))
		return;
	rtt = now - seg->tsecr;
	if (rtt > st->cfg.rto_max_ms)
		return;
	en_rtt_sample(st, s, rtt * 1000);
}

static void established(struct exonet *st, struct exonet_sock *s)
{
	bool synack_lost = s->retries > 0;	/* its timer resent it */

	s->state = EXONET_ESTABLISHED;
	st->half_open--;
	s->retries = 0;
	s->rtx_at = 0;
	en_cc_init(st, s);
	if (synack_lost) {
		/*
		 * RFC 5681 (3.1): after a lost SYN-ACK the initial window
		 * MUST be one segment; RFC 6298 (5.7): without an RTT sample
		 * from the handshake the RTO is 3 s once data flows (the 1 s
		 * initial RTO just proved too short for this path).
		 */
		s->cwnd = s->mss;
		if (!s->srtt_us)
			s->rto_ms = EN_MAX(s->rto_ms, 3000u);
	}
	en_ka_touch(st, s);
	en_acceptq_add(st, s);
}

static void conn_input(struct exonet *st, struct exonet_sock *s, struct en_seg *seg)
{
	uint32_t seglen = seg->len + !!(seg->flags & TH_SYN) + !!(seg->flags & TH_FIN);
	uint32_t data_end, wnd, rcv_before;
	bool fin_acked = false;

	if (s->state == EXONET_SYN_RCVD && (seg->flags & TH_SYN) &&
	    !(seg->flags & (TH_ACK | TH_RST)) && seg->seq == s->irs) {
		/* our SYN-ACK was lost: the peer sent its SYN again */
		s->flags |= CF_SYNACK;
		en_want_output(st, s);
		return;
	}
	/*
	 * RFC 7323 (3.2): once timestamps are negotiated every non-RST
	 * segment carries one, and one without "SHOULD" be dropped silently
	 * (never the connection: MUST NOT abort).  Linux 6.1 accepts it
	 * (tcp_validate_incoming() applies PAWS only when saw_tstamp, and
	 * tcp_replace_ts_recent() leaves TS.Recent alone); FreeBSD drops it
	 * unless told to tolerate it.  We drop it: every stack that offers
	 * timestamps sends them on every segment once both sides did (Linux,
	 * the BSDs, Windows), so such a segment is a forgery or a broken
	 * middlebox, and accepting it would let a blind injector skip PAWS,
	 * the one check a forged segment with a timestamp must also pass
	 * (it cannot know the peer's clock).  A bare RST is still judged by
	 * its sequence number alone (the RFC asks only that RSTs SHOULD
	 * carry the option), and nothing is answered: an ACK to a forgery
	 * helps nobody.
	 */
	if ((s->flags & CF_TS) && !seg->has_ts && !(seg->flags & TH_RST)) {
		st->stats.ts_missing++;
		return;
	}
	/*
	 * RFC 7323 (5.3) PAWS: a segment whose timestamp is older than
	 * ts_recent is an old duplicate: ACK (unless RST) and drop.  (5.5):
	 * unless TS.Recent is over 24 days old: the peer's clock may have
	 * wrapped its sign bit since, so "older" means nothing and the idle
	 * connection would drop every segment forever; the segment is
	 * judged as if TS.Recent were unset, and its TSval becomes TS.Recent
	 * if it is acceptable (Linux: TCP_PAWS_24DAYS in tcp_paws_check()).
	 */
	if ((s->flags & CF_TS) && seg->has_ts && !(seg->flags & TH_RST) &&
	    seq_lt(seg->tsval, s->ts_recent) &&
	    st->now_ms - s->ts_recent_ms < EN_PAWS_IDLE_MS) {
		st->stats.dup_segments++;
		en_oow_ack(st, s, seg);
		return;
	}
	if (!acceptable(st, s, seg, seglen)) {
		/* RFC 5961 (3.2): an RST outside the window is dropped */
		if (seg->flags & TH_RST)
			return;
		if (seg->flags & TH_SYN) {
			en_challenge_ack(st, s);	/* RFC 5961 (4.2) */
			return;
		}
		st->stats.dup_segments++;
		en_oow_ack(st, s, seg);	/* RFC 9293: <SEQ=SND.NXT><ACK=RCV.NXT> */
		return;
	}
	/* the segment is in the window: it may teach us the peer's MAC */
	memcpy(s->rmac, seg->smac, 6);
	en_ka_touch(st, s);

	if (seg->flags & TH_RST) {
		/*
		 * RFC 5961 (3.2): reset only if SEG.SEQ is exactly RCV.NXT;
		 * otherwise (in window) answer with a challenge ACK.
		 */
		if (seg->seq != s->rcv_nxt) {
			en_challenge_ack(st, s);
			return;
		}
		st->stats.rst_recv++;
		/*
		 * RFC 9293 3.10.7.4 (SYN-RECEIVED, passive open): back to
		 * LISTEN, i.e. the half-open connection's state is freed.
		 */
		if (s->state == EXONET_SYN_RCVD) {
			en_conn_close_state(st, s, 0);
			return;
		}
		st->stats.conns_reset++;
		en_conn_close_state(st, s, (s->state == EXONET_CLOSING ||
					    s->state == EXONET_LAST_ACK) ? 0 : -ECONNRESET);
		return;
	}
	if (seg->flags & TH_SYN) {
		/* RFC 5961 (4.2): a SYN in a synchronized state: challenge */
		en_challenge_ack(st, s);
		return;
	}
	if (!(seg->flags & TH_ACK))
		return;		/* RFC 9293: drop segments without ACK */

	if (s->state == EXONET_SYN_RCVD) {
		if (seg->ack != s->iss + 1) {
			/* RFC 9293: unacceptable ACK in SYN-RECEIVED: RST */
			en_send_rst_for(st, seg);
			return;
		}
		if (st->acceptq_len >= st->backlog)
			return;	/* accept queue full: the peer retries */
		ts_rtt(st, s, seg);
		s->snd_una = s->snd_nxt = s->snd_max = seg->ack;
		s->snd_wnd = seg->wnd << s->snd_ws;
		s->max_sndwnd = s->snd_wnd;
		s->snd_wl1 = seg->seq;
		s->snd_wl2 = seg->ack;
		established(st, s);
	}

	/* ---- ACK processing (RFC 9293 3.10.7.4 fifth, RFC 5961 (5.2)) ---- */
	data_end = s->snd_una + s->sq_bytes;
	if (seq_gt(seg->ack, s->snd_max)) {
		en_challenge_ack(st, s);	/* acks what we never sent */
		return;
	}
	if (seq_lt(seg->ack, s->snd_una - EN_MAX(s->max_sndwnd, (uint32_t)s->mss))) {
		en_challenge_ack(st, s);	/* RFC 5961 (5.2): too old */
		return;
	}
	/*
	 * RFC 7323 (4.3): remember the timestamp to echo, from a segment
	 * that passed every check, its ACK included: a blind injector that
	 * hit the window but not the ACK range (RFC 5961 5.2) must not set
	 * TS.Recent far ahead, or every real segment after it would fail
	 * PAWS (Linux's tcp_replace_ts_recent() waits for tcp_ack() too).
	 */
	if ((s->flags & CF_TS) && seg->has_ts && seq_le(seg->seq, s->last_ack_sent)) {
		s->ts_recent = seg->tsval;
		s->ts_recent_ms = st->now_ms;
	}
	s->unanswered = 0;	/* the peer is there: probes were answered */
	wnd = seg->wnd << s->snd_ws;
	if (seq_gt(seg->ack, s->snd_una)) {
		uint32_t acked = seg->ack - s->snd_una;
		uint32_t data_acked = EN_MIN(acked, s->sq_bytes);

		/* RFC 7323 (4.1) / RFC 6298 (3): one RTT sample per ACK */
		if (s->flags & CF_TS)
			ts_rtt(st, s, seg);
		else if ((s->flags & CF_RTT_TIMING) && seq_ge(seg->ack, s->rtt_seq)) {
			en_rtt_sample(st, s, (uint32_t)(st->now_ms - s->rtt_start_ms) * 1000);
			s->flags &= ~CF_RTT_TIMING;
		}
		fin_acked = (s->flags & CF_FIN_QUEUED) && seq_gt(seg->ack, data_end);
		en_sq_release(st, s, data_acked);
		s->snd_una = seg->ack;
		if (seq_lt(s->snd_nxt, s->snd_una))
			s->snd_nxt = s->snd_una;
		s->retries = 0;
		en_cc_ack(st, s, acked);
		/* RFC 6298 (5.2, 5.3): stop when all is acked, else restart */
		if (s->snd_una == s->snd_max)
			s->rtx_at = 0;
		else
			en_rto_arm(st, s);
		en_conn_timer_update(st, s);
		if (data_acked && (s->flags & CF_APP))
			en_notify(st, s, EXONET_EV_WRITE);
		en_want_output(st, s);
	} else if (seg->ack == s->snd_una && seg->len == 0 &&
		   !(seg->flags & TH_FIN) && wnd == s->snd_wnd &&
		   s->snd_una != s->snd_max && !(s->flags & CF_PERSIST)) {
		/* RFC 5681 (2): a duplicate ACK */
		if (en_cc_dupack(st, s))
			s->snd_nxt = s->snd_una;	/* fast retransmit */
		en_want_output(st, s);
	}
	/*
	 * RFC 9293 3.10.7.4: window update from a newer segment only, and
	 * only if SND.UNA =< SEG.ACK: a window is relative to its ACK, and
	 * an older ACK (RFC 5961 5.2 lets some through) is no one to take
	 * the window from (a blind injector that hit the sequence window
	 * could otherwise close ours with any ACK of the last MAX.SND.WND).
	 */
	if (seq_ge(seg->ack, s->snd_una) &&
	    (seq_lt(s->snd_wl1, seg->seq) ||
	     (s->snd_wl1 == seg->seq && seq_le(s->snd_wl2, seg->ack)))) {
		bool opened = wnd > s->snd_wnd;

		s->snd_wnd = wnd;
		s->snd_wl1 = seg->seq;
		s->snd_wl2 = seg->ack;
		s->max_sndwnd = EN_MAX(s->max_sndwnd, wnd);
		if (wnd && (s->flags & CF_PERSIST)) {
			s->flags &= ~CF_PERSIST;
			s->retries = 0;
			s->rtx_at = 0;
			if (s->snd_una != s->snd_max)
				en_rto_arm(st, s);
		}
		if (opened)
			en_want_output(st, s);
	}
	switch (s->state) {
	case EXONET_FIN_WAIT_1:
		if (fin_acked) {
			s->state = EXONET_FIN_WAIT_2;
			if (!(s->flags & CF_APP)) {
				s->ka_at = st->now_ms + st->cfg.fin_wait2_ms;
				en_conn_timer_update(st, s);
			}
		}
		break;
	case EXONET_CLOSING:
		if (fin_acked) {
			en_tw_enter(st, s);
			return;
		}
		break;
	case EXONET_LAST_ACK:
		if (fin_acked) {
			en_conn_close_state(st, s, 0);
			return;
		}
		break;
	default:
		break;
	}

	/* ---- data (RFC 9293 3.10.7.4 seventh) ---- */
	rcv_before = s->rcv_nxt;
	if (seg->len && (s->state == EXONET_ESTABLISHED || s->state == EXONET_FIN_WAIT_1 ||
			 s->state == EXONET_FIN_WAIT_2) && !(s->flags & CF_FIN_RCVD)) {
		uint32_t seq = seg->seq, len = seg->len, right;
		const uint8_t *d = seg->data;

		if (seq_lt(seq, s->rcv_nxt)) {		/* old bytes in front */
			uint32_t cut = s->rcv_nxt - seq;

			cut = EN_MIN(cut, len);
			d += cut, len -= cut, seq += cut;
		}
		right = s->rcv_nxt + en_rcv_space(st, s);
		if (len && seq_gt(seq + len, right)) {	/* past the window */
			len = seq_lt(seq, right) ? right - seq : 0;
			seg->flags &= (uint8_t)~TH_FIN;
		}
		if (!len) {
			st->stats.dup_segments++;
			s->flags |= CF_ACKNOW;
		} else if ((s->flags & CF_RD_SHUT) && !(s->flags & CF_APP)) {
			/*
			 * New data for an orphan: nobody will ever read it, and
			 * a peer that keeps sending would keep it alive.  Reset,
			 * as Linux does for data after the close in FIN_WAIT_1/2
			 * (tcp_rcv_state_process, TCPAbortOnData).
			 */
			en_orphan_reset(st, s);
			return;
		} else if (s->flags & CF_RD_SHUT) {
			/* shut for reading: acknowledged, then thrown away */
			en_rcv_data(st, s, seq, d, len);
			s->rd_seq = s->rcv_nxt;
			s->flags |= CF_ACKNOW;
		} else {
			bool ooo = seq != s->rcv_nxt || s->nooo;

			en_rcv_data(st, s, seq, d, len);
			/*
			 * A full-sized segment is the peer's, which is neither
			 * our MSS nor its own when it sends timestamps: estimate
			 * it by the largest segment seen (bounded by what we
			 * offered), starting from 536 or its MSS if smaller, as
			 * Linux's rcv_mss does.
			 */
			if (!s->rcv_mss)
				s->rcv_mss = EN_MIN(536u, (uint32_t)s->mss);
			if (seg->len > s->rcv_mss)
				s->rcv_mss = (uint16_t)EN_MIN(seg->len, (uint32_t)st->mss);
			/*
			 * RFC 5681 (4.2): ACK at once when out of order or when
			 * filling a hole; otherwise at least every second full
			 * segment; the rest waits for the application's answer.
			 */
			if (ooo || s->rcv_nxt - s->last_ack_sent >= 2u * s->rcv_mss)
				s->flags |= CF_ACKNOW;
			else
				s->flags |= CF_DELACK;
		}
		en_want_output(st, s);
	}
	if (s->rcv_nxt != rcv_before)
		en_notify(st, s, EXONET_EV_READ);

	/* ---- FIN (RFC 9293 3.10.7.4 eighth) ---- */
	if (seg->flags & TH_FIN) {
		uint32_t fseq = seg->seq + seg->len;

		if (s->flags & CF_FIN_RCVD) {
			s->flags |= CF_ACKNOW;	/* a retransmitted FIN */
			en_want_output(st, s);
		} else if (fseq == s->rcv_nxt && !en_rcv_space(st, s)) {
			/* a full buffer has no room for it: refused as data */
			st->stats.dup_segments++;
			s->flags |= CF_ACKNOW;
			en_want_output(st, s);
		} else if (fseq == s->rcv_nxt) {
			if (fin_arrived(st, s))
				return;
			en_want_output(st, s);
		} else if (seq_gt(fseq, s->rcv_nxt)) {
			/*
			 * A FIN beyond a hole: remember where the stream ends
			 * (it takes effect when the hole fills, below or in a
			 * later segment) and, as for any segment out of order,
			 * ACK at once (RFC 5681 4.2): the duplicate ACK tells
			 * the peer what is missing.
			 */
			s->flags |= CF_FIN_OOO | CF_ACKNOW;
			s->fin_seq = fseq;
			en_want_output(st, s);
		}
	}
	if ((s->flags & CF_FIN_OOO) && s->fin_seq == s->rcv_nxt && !(s->flags & CF_FIN_RCVD)) {
		if (fin_arrived(st, s))
			return;
		en_want_output(st, s);
	}
}

void en_tcp_input(struct exonet *st, struct en_seg *seg)
{
	struct exonet_sock *s = en_conn_lookup(st, seg->saddr, seg->sport);
	struct en_tw *tw;

	if (s) {
		conn_input(st, s, seg);
		return;
	}
	tw = en_tw_lookup(st, seg->saddr, seg->sport);
	if (tw) {
		en_tw_input(st, tw, seg);
		return;
	}
	if (st->listening) {
		en_listen_input(st, seg, NULL);
		return;
	}
	en_send_rst_for(st, seg);	/* RFC 9293 3.10.7.1: a closed port */
}

/* A connection made from a SYN cookie continues with its first ACK. */
void en_conn_input(struct exonet *st, struct exonet_sock *s, struct en_seg *seg)
{
	conn_input(st, s, seg);
}
