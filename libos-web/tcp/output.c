// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * output.c — building segments.
 *
 * The send queue holds the unacknowledged and unsent bytes as a list of
 * entries, each either a reference to the application's own immutable
 * memory (exonet_write_ref: Cheetah's file cache as retransmission pool)
 * or a run of the connection's copy ring (exonet_write).  A segment is
 * described by its sequence number and length alone; its payload is
 * gathered from the queue as fragments at that moment, so a
 * retransmission is built exactly like a first transmission and no
 * segment is ever kept.  Every frame leaves through en_xmit().
 */
#include <arpa/inet.h>
#include <string.h>

#include "stack.h"

uint32_t en_ts_now(struct exonet *st, uint32_t tsoff)
{
	return (uint32_t)st->now_ms + tsoff;
}

/*
 * The window field for the next segment.  RFC 9293 3.8.6.2.2 (receiver
 * SWS avoidance): the right edge moves only by min(rcvbuf/2, MSS) or
 * more; it never moves left (RFC 9293 3.8.6: shrinking is discouraged),
 * and RFC 7323 (2.3) scales it by our shift.
 */
uint32_t en_rcv_window(struct exonet *st, struct exonet_sock *s)
{
	uint32_t right = s->rcv_nxt + en_rcv_space(st, s), wnd;
	uint32_t step = EN_MIN(st->cfg.rcvbuf / 2, (uint32_t)st->mss);

	if (seq_gt(right, s->rcv_adv) && right - s->rcv_adv >= step)
		s->rcv_adv = right;
	wnd = seq_gt(s->rcv_adv, s->rcv_nxt) ? s->rcv_adv - s->rcv_nxt : 0;
	return EN_MIN(wnd >> s->rcv_ws, 65535u);
}

/* TCP options of a synchronized segment: timestamps and SACK blocks. */
static uint32_t data_options(struct exonet *st, struct exonet_sock *s, uint8_t *o)
{
	uint32_t n = 0, i, blocks, v;

	if (s->flags & CF_TS) {
		/* RFC 7323 appendix A: NOP NOP TS */
		o[n++] = 1, o[n++] = 1, o[n++] = 8, o[n++] = 10;
		v = htonl(en_ts_now(st, s->tsoff));
		memcpy(o + n, &v, 4);
		v = htonl(s->ts_recent);
		memcpy(o + n + 4, &v, 4);
		n += 8;
	}
	if ((s->flags & CF_SACK) && s->nooo) {
		/*
		 * RFC 2018 (4): the first block is the one holding the latest
		 * segment, then the others, as many as fit (3 beside TS).
		 */
		blocks = EN_MIN((uint32_t)s->nooo, (s->flags & CF_TS) ? 3u : 4u);
		o[n++] = 1, o[n++] = 1, o[n++] = 5, o[n++] = (uint8_t)(2 + 8 * blocks);
		for (i = 0; i < blocks; i++) {
			uint32_t k = i == 0 ? s->ooo_last :
				     (i <= s->ooo_last ? i - 1 : i);

			if (k >= s->nooo)
				k = i;
			v = htonl(s->ooo[k][0]);
			memcpy(o + n, &v, 4);
			v = htonl(s->ooo[k][1]);
			memcpy(o + n + 4, &v, 4);
			n += 8;
		}
	}
	return n;
}

/*
 * Build and queue one descriptor: headers for @flags, @seq, TCP options
 * @opts/@optlen, payload @frags.  With the device's checksum offload the
 * checksum field is left 0 for it (EXONET_TX_CSUM); otherwise the sum
 * covers the pseudo-header, the header and every fragment (RFC 9293
 * 3.1).  @mss non-zero: a TSO descriptor cut into segments of @mss bytes.
 * *@token (may be NULL): the descriptor's completion token.
 */
static int xmit_seg(struct exonet *st, const uint8_t *dmac, uint32_t daddr,
		    uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
		    uint16_t wnd, const uint8_t *opts, uint32_t optlen,
		    const struct exonet_frag *frags, unsigned int nfrags,
		    uint16_t mss, uint32_t *token)
{
	uint8_t hdr[EN_HDR_MAX];
	uint8_t *th = hdr + EN_ETH_HLEN + EN_IP_HLEN;
	uint32_t plen = 0, thlen = EN_TCP_HLEN + optlen, sum, v;
	struct exonet_tx tx = {
		.hdr = hdr, .hdrlen = EN_ETH_HLEN + EN_IP_HLEN + thlen,
		.frags = frags, .nfrags = nfrags,
	};
	uint16_t h, c;
	unsigned int i;
	bool odd;
	int ret;

	for (i = 0; i < nfrags; i++)
		plen += frags[i].len;
	en_ip_header(st, hdr, dmac, daddr, 6, thlen + plen);
	h = htons(st->lport);
	memcpy(th, &h, 2);
	h = htons(dport);
	memcpy(th + 2, &h, 2);
	v = htonl(seq);
	memcpy(th + 4, &v, 4);
	v = htonl(ack);
	memcpy(th + 8, &v, 4);
	th[12] = (uint8_t)((thlen / 4) << 4);
	th[13] = flags;
	h = htons(wnd);
	memcpy(th + 14, &h, 2);
	memset(th + 16, 0, 4);		/* checksum, urgent pointer */
	if (optlen)
		memcpy(th + EN_TCP_HLEN, opts, optlen);
	if (mss) {
		tx.flags |= EXONET_TX_TSO | EXONET_TX_CSUM;
		tx.mss = mss;
	} else if (st->features & EXONET_DEV_CSUM) {
		tx.flags |= EXONET_TX_CSUM;
	} else {
		sum = en_tcp_pseudo(st->laddr, daddr, thlen + plen);
		sum = en_csum_add(sum, th, thlen, false);
		odd = false;
		for (i = 0; i < nfrags; i++) {
			sum = en_csum_add(sum, frags[i].base, frags[i].len, odd);
			odd ^= frags[i].len & 1;
		}
		c = en_csum_fold(sum);
		memcpy(th + 16, &c, 2);
	}
	ret = en_xmit(st, &tx);
	if (!ret && token)
		*token = tx.token;
	return ret;
}

void en_send_raw(struct exonet *st, const uint8_t *dmac, uint32_t daddr,
		 uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
		 uint16_t wnd, const uint8_t *opts, uint32_t optlen)
{
	xmit_seg(st, dmac, daddr, dport, seq, ack, flags, wnd, opts, optlen,
		 NULL, 0, 0, NULL);
}

/*
 * A segment's payload, gathered from the send queue: copied fragments
 * (the copy ring, or references outside the transmit region) first, then
 * fragments referenced in the region's frames, each within one page.
 */
struct en_gather {
	struct exonet_frag f[EXONET_XMIT_MAX_FRAGS];
	uint32_t ent[EXONET_XMIT_MAX_FRAGS];	/* each one's queue entry */
	unsigned int nf, nref;
	uint32_t len, copied;
	bool layout;		/* stopped: a copy after a reference */
};

/* Add @len bytes at @p (queue entry @ent) as fragments; false: stop. */
static bool gather_piece(struct exonet *st, struct en_gather *g, const uint8_t *p,
			 uint32_t len, uint32_t ent, bool refs, uint32_t room)
{
	while (len) {
		size_t off = (size_t)(p - st->zc_base);
		uint64_t frame = 0;
		uint32_t take = len;

		if (refs && st->zc_base && p >= st->zc_base && off < st->zc_len) {
			frame = st->zc_frames[off / 4096];
			take = (uint32_t)EN_MIN((size_t)len, 4096 - off % 4096);
			take = (uint32_t)EN_MIN((size_t)take, st->zc_len - off);
		}
		if (g->nf == EXONET_XMIT_MAX_FRAGS)
			return false;
		if (frame) {
			g->f[g->nf].frame = frame;
			g->f[g->nf].off = (uint32_t)(off % 4096);
			g->nref++;
		} else {
			if (g->nref) {
				g->layout = true;	/* copies go first */
				return false;
			}
			take = EN_MIN(take, room - g->copied);
			if (!take)
				return false;
			g->f[g->nf].frame = 0;
			g->f[g->nf].off = 0;
			g->copied += take;
		}
		g->f[g->nf].base = p;
		g->f[g->nf].len = take;
		g->ent[g->nf] = ent;
		g->nf++;
		g->len += take;
		p += take;
		len -= take;
	}
	return true;
}

/*
 * Gather [seq, seq+len) from the send queue into @g: references in the
 * transmit region as such when @refs, everything else copied (at most
 * @room bytes).  Returns the bytes gathered (fewer when a limit stopped it).
 */
static uint32_t gather(struct exonet *st, struct exonet_sock *s, uint32_t seq,
		       uint32_t len, struct en_gather *g, bool refs, uint32_t room)
{
	uint32_t mask = st->cfg.sndbuf - 1, qmask = st->cfg.sndq_refs - 1;
	uint32_t off = seq - s->snd_una + s->sq_off, i, cp;
	const struct en_sref *head = &s->sq[s->sq_head & qmask];

	g->nf = g->nref = 0;
	g->len = g->copied = 0;
	g->layout = false;
	/* ring position where the head entry's bytes start, if a copy */
	cp = (s->sb_head - (head->base ? 0 : s->sq_off)) & mask;
	for (i = 0; i < s->sq_count && g->len < len; i++) {
		uint32_t ent = s->sq_head + i;
		const struct en_sref *e = &s->sq[ent & qmask];
		uint32_t take;

		if (off >= e->len) {
			off -= e->len;
			if (!e->base)
				cp = (cp + e->len) & mask;
			continue;
		}
		take = EN_MIN(e->len - off, len - g->len);
		if (e->base) {
			if (!gather_piece(st, g, e->base + off, take, ent, refs, room))
				break;
		} else {
			uint32_t at = (cp + off) & mask;
			uint32_t first = EN_MIN(take, st->cfg.sndbuf - at);

			if (!gather_piece(st, g, s->sbuf + at, first, ent, false, room) ||
			    (first < take &&
			     !gather_piece(st, g, s->sbuf, take - first, ent, false, room)))
				break;
			cp = (cp + e->len) & mask;
		}
		off = 0;
	}
	return g->len;
}

/* Keep only the first @len bytes of @g. */
static void gather_trim(struct en_gather *g, uint32_t len)
{
	uint32_t at = 0;
	unsigned int i;

	for (i = 0; i < g->nf && at + g->f[i].len <= len; i++)
		at += g->f[i].len;
	if (i < g->nf && at < len) {
		g->f[i].len = len - at;
		i++;
	}
	g->nf = i;
	g->nref = 0;
	for (i = 0; i < g->nf; i++)
		g->nref += !!g->f[i].frame;
	g->len = len;
}

/*
 * One descriptor of @s at @seq with up to @len bytes (and FIN if @fin):
 * one segment, or with TSO (@len over one segment: the caller allows it)
 * up to EXONET_TSO_MAX bytes of whole segments, cut by the device.
 * Returns 1 if the FIN went, 0, or -errno (the ring is full).
 */
static int send_data(struct exonet *st, struct exonet_sock *s, uint32_t seq,
		     uint32_t len, bool fin, uint32_t *sent)
{
	struct en_gather g;
	uint8_t opts[EN_TCP_OPT_MAX];
	uint32_t optlen, got = 0, seg, hdrlen, end;
	uint32_t qmask = st->cfg.sndq_refs - 1, token = 0;
	uint8_t flags = TH_ACK;
	uint32_t want;
	bool refs = st->features & EXONET_DEV_ZC;
	unsigned int i;
	int ret;

	/*
	 * RFC 9293 3.7.1 / RFC 6691: the MSS bounds data plus options, so a
	 * segment carrying SACK blocks carries that much less data.
	 */
	optlen = data_options(st, s, opts);
	seg = s->mss > optlen ? s->mss - optlen : 0;
	hdrlen = EN_ETH_HLEN + EN_IP_HLEN + EN_TCP_HLEN + optlen;
	if (!(st->features & EXONET_DEV_TSO) || !refs || !seg)
		len = EN_MIN(len, seg);
	len = EN_MIN(len, EXONET_TSO_MAX - EN_IP_HLEN - EN_TCP_HLEN - optlen);
	want = len;
	g.nf = g.nref = 0;
	if (len) {
		got = gather(st, s, seq, len, &g, refs, EXONET_INLINE_MAX - hdrlen);
		if (got <= seg && got < EN_MIN(len, seg) && g.layout) {
			/* a copy after a reference: copy it all (one segment) */
			got = gather(st, s, seq, EN_MIN(len, seg), &g, false,
				     EXONET_FRAME_MAX - hdrlen);
		}
		if (!g.nref && got > seg)
			gather_trim(&g, got = seg);
		if (got <= seg && g.nref && (st->features & EXONET_DEV_TSO))
			/*
			 * One segment: copied into the slot.  Attaching a
			 * frame costs exo more than copying 1,460 bytes (a
			 * capability lookup, a completion to publish): with
			 * TSO, references go in TSO descriptors only.
			 */
			got = gather(st, s, seq, got, &g, false,
				     EXONET_FRAME_MAX - hdrlen);
		end = s->snd_una + s->sq_bytes;
		if (got > seg && got % seg &&
		    (seq + got != end ||
		     ((s->flags & CF_MORE) && !(s->flags & CF_FORCE))))
			/*
			 * Whole segments, but for the end of the data: the
			 * rest goes in the next descriptor (where a copy
			 * follows a reference, a segment copied whole).
			 */
			gather_trim(&g, got -= got % seg);
	}
	if (got < want)
		fin = false;	/* cut short: the FIN goes with the rest */
	if (got)
		flags |= TH_PSH * (seq + got == s->snd_una + s->sq_bytes);
	if (fin)
		flags |= TH_FIN;
	ret = xmit_seg(st, s->rmac, s->raddr, s->rport, seq, s->rcv_nxt, flags,
		       (uint16_t)en_rcv_window(st, s), opts, optlen, g.f, g.nf,
		       got > seg ? (uint16_t)seg : 0, &token);
	if (ret)
		return ret;
	if (got > seg)
		s->flags |= CF_TSO;
	for (i = 0; i < g.nf; i++) {
		struct en_sref *e;

		if (!g.f[i].frame)
			continue;
		e = &s->sq[g.ent[i] & qmask];
		e->token = token;
		e->zc = true;
		st->stats.tx_zc_frags++;
	}
	s->last_ack_sent = s->rcv_nxt;
	s->flags &= ~(CF_ACKNOW | CF_DELACK);
	*sent = got;
	return fin;
}

int en_send_ack(struct exonet *st, struct exonet_sock *s)
{
	uint32_t sent;

	return send_data(st, s, s->snd_nxt, 0, false, &sent);
}

/* A bare control segment from @s (RST, or ACK-only probes). */
void en_send_ctl(struct exonet *st, struct exonet_sock *s, uint8_t flags,
		 uint32_t seq)
{
	uint8_t opts[EN_TCP_OPT_MAX] = { 0 };
	uint32_t optlen = 0;

	if (!(flags & TH_RST))
		optlen = data_options(st, s, opts);
	xmit_seg(st, s->rmac, s->raddr, s->rport, seq, s->rcv_nxt, flags,
		 (flags & TH_RST) ? 0 : (uint16_t)en_rcv_window(st, s),
		 opts, optlen, NULL, 0, 0, NULL);
	if (flags & TH_RST)
		st->stats.rst_sent++;
}

/*
 * RFC 5961 (3.2, 4.2, 5.2): answer a suspicious RST, SYN or ACK with an
 * ACK of our current state, within two limits (7):
 *
 * - per connection, one per EN_OOW_GAP_MS (Linux's
 *   tcp_invalid_ratelimit, 500 ms), shared with en_oow_ack(): one
 *   connection's flood spends only its own answers;
 * - for the stack, a budget a second of limit/2 + random(limit), the
 *   random part a keyed hash of the second: with one global counter of
 *   exactly cfg.challenge_ack_limit, an off-path attacker exhausts it
 *   and counts the answers it sees to learn whether its guess hit a
 *   live connection (CVE-2016-5696); an unknown budget tells it nothing.
 */
void en_challenge_ack(struct exonet *st, struct exonet_sock *s)
{
	uint64_t sec = st->now_ms / 1000;

	if (en_oow_limited(st, s)) {
		st->stats.challenge_acks_limited++;
		return;
	}
	if (st->chal_second != sec + 1) {	/* + 1: 0 is "never" */
		uint32_t limit = EN_MAX(st->cfg.challenge_ack_limit, 1u);

		st->chal_second = sec + 1;
		st->chal_count = (limit + 1) / 2 +
				 (uint32_t)(en_siphash(st->key, &sec, sizeof(sec)) % limit);
	}
	if (!st->chal_count) {
		st->stats.challenge_acks_limited++;
		return;
	}
	st->chal_count--;
	s->oow_next_ms = st->now_ms + EN_OOW_GAP_MS;
	st->stats.challenge_acks++;
	en_send_ack(st, s);
}

/*
 * Answers to invalid segments share one gap per connection: challenge
 * ACKs, and the duplicate ACKs owed to pure ACKs that are outside the
 * window or fail PAWS.  Two ends that disagree about the window (or a
 * spoofer posing as one) would otherwise ACK each other's ACKs as fast
 * as they arrive, an ACK loop.  Segments with data are always answered:
 * no loop is made of data.  Linux: tcp_oow_rate_limited().
 */
bool en_oow_limited(struct exonet *st, struct exonet_sock *s)
{
	return st->now_ms < s->oow_next_ms;
}

/* A duplicate ACK for an invalid segment, unless a pure ACK within the gap. */
void en_oow_ack(struct exonet *st, struct exonet_sock *s, const struct en_seg *seg)
{
	if (!seg->len && !(seg->flags & (TH_SYN | TH_FIN))) {
		if (en_oow_limited(st, s))
			return;
		s->oow_next_ms = st->now_ms + EN_OOW_GAP_MS;
	}
	s->flags |= CF_ACKNOW;
	en_want_output(st, s);
}

/* SYN-ACK options: MSS, SACK-permitted, timestamps, window scale. */
void en_send_synack(struct exonet *st, struct exonet_sock *s)
{
	uint8_t o[EN_TCP_OPT_MAX];
	uint32_t n = 0, v;
	uint16_t h;

	o[n++] = 2, o[n++] = 4;				/* MSS (RFC 9293 3.7.1) */
	h = htons(st->mss);
	memcpy(o + n, &h, 2);
	n += 2;
	if (s->flags & CF_SACK) {
		o[n++] = 4, o[n++] = 2;			/* SACK-permitted */
		if (!(s->flags & CF_TS))
			o[n++] = 1, o[n++] = 1;
	}
	if (s->flags & CF_TS) {
		if (!(s->flags & CF_SACK))
			o[n++] = 1, o[n++] = 1;
		o[n++] = 8, o[n++] = 10;
		v = htonl(en_ts_now(st, s->tsoff));
		memcpy(o + n, &v, 4);
		v = htonl(s->ts_recent);
		memcpy(o + n + 4, &v, 4);
		n += 8;
	}
	if (s->flags & CF_WS)
		o[n++] = 1, o[n++] = 3, o[n++] = 3, o[n++] = s->rcv_ws;
	/* RFC 7323 (2.2): the window of a SYN segment is never scaled */
	xmit_seg(st, s->rmac, s->raddr, s->rport, s->iss, s->rcv_nxt,
		 TH_SYN | TH_ACK, (uint16_t)EN_MIN(en_rcv_space(st, s), 65535u),
		 o, n, NULL, 0, 0, NULL);
	s->last_ack_sent = s->rcv_nxt;
	s->snd_max = seq_max(s->snd_max, s->iss + 1);
	s->snd_nxt = s->iss + 1;
}

/*
 * RFC 9293 3.10.7.1 (CLOSED): a segment for no connection is answered by
 * RST — <SEQ=SEG.ACK><CTL=RST> if it carried an ACK, else <SEQ=0>
 * <ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> — and an RST is never answered.
 */
void en_send_rst_for(struct exonet *st, const struct en_seg *seg)
{
	if (seg->flags & TH_RST)
		return;
	if (seg->flags & TH_ACK)
		en_send_raw(st, seg->smac, seg->saddr, seg->sport, seg->ack, 0,
			    TH_RST, 0, NULL, 0);
	else
		en_send_raw(st, seg->smac, seg->saddr, seg->sport, 0,
			    seg->seq + seg->len + !!(seg->flags & TH_SYN) +
			    !!(seg->flags & TH_FIN), TH_RST | TH_ACK, 0, NULL, 0);
	st->stats.rst_sent++;
}

/* ---- the send queue ----------------------------------------------------- */

/* @acked bytes at the head are acknowledged: free copies, release refs. */
void en_sq_release(struct exonet *st, struct exonet_sock *s, uint32_t acked)
{
	uint32_t qmask = st->cfg.sndq_refs - 1;

	s->sq_bytes -= acked;
	if (s->flags & CF_ORPHAN)
		st->orphan_bytes -= acked;
	while (acked && s->sq_count) {
		struct en_sref *e = &s->sq[s->sq_head & qmask];
		uint32_t take = EN_MIN(acked, e->len - s->sq_off);

		if (!e->base) {
			s->sb_head = (s->sb_head + take) & (st->cfg.sndbuf - 1);
			s->sb_len -= take;
		}
		s->sq_off += take;
		acked -= take;
		if (s->sq_off == e->len) {
			en_release(st, e);
			s->sq_head++;
			s->sq_count--;
			s->sq_off = 0;
		}
	}
}

/* Drop the whole queue (reset, abort, free): every reference released. */
void en_sq_drop(struct exonet *st, struct exonet_sock *s)
{
	uint32_t qmask = st->cfg.sndq_refs - 1;

	while (s->sq_count) {
		en_release(st, &s->sq[s->sq_head & qmask]);
		s->sq_head++;
		s->sq_count--;
	}
	if (s->flags & CF_ORPHAN)
		st->orphan_bytes -= s->sq_bytes;
	s->sq_off = s->sq_bytes = 0;
	s->sb_len = 0;
}

/* ---- tcp_output ------------------------------------------------------------ */

static bool can_send_data(const struct exonet_sock *s)
{
	switch (s->state) {
	case EXONET_ESTABLISHED: case EXONET_CLOSE_WAIT: case EXONET_FIN_WAIT_1:
	case EXONET_CLOSING: case EXONET_LAST_ACK:
		return true;
	default:
		return false;
	}
}

/*
 * Send what the windows allow: min(cwnd, peer's window) bounds the bytes
 * in flight (RFC 5681 (3.1), RFC 9293 3.8.6), MSS the segment size.
 */
/*
 * Whether @s now waits on its peer's ACKs (CF_HELD, counted in st->nheld):
 * a device that wakes lazily for a lone ACK (bpf/tcp_wake) wakes for every
 * one while any connection does.
 */
void en_note_held(struct exonet *st, struct exonet_sock *s, bool held)
{
	if (held == !!(s->flags & CF_HELD))
		return;
	s->flags ^= CF_HELD;
	if (held)
		st->nheld++;
	else
		st->nheld--;
}

void en_tcp_output(struct exonet *st, struct exonet_sock *s)
{
	bool sent_any = false, ring_full = false;
	uint32_t data_end, sent;
	/* data per segment: the MSS less the options every segment carries */
	uint32_t smss = s->mss - ((s->flags & CF_TS) ? 12u : 0u);
	/* per descriptor: with TSO from referenced frames, up to 64 KiB */
	uint32_t seg_max = (st->features & EXONET_DEV_TSO) &&
			   (st->features & EXONET_DEV_ZC) ? EXONET_TSO_MAX : smss;

	if (s->state == EXONET_SYN_RCVD) {
		if (s->flags & CF_SYNACK) {
			s->flags &= ~CF_SYNACK;
			en_send_synack(st, s);
		}
		return;
	}
	if (!can_send_data(s)) {
		if ((s->flags & (CF_ACKNOW | CF_DELACK)) &&
		    (s->state == EXONET_FIN_WAIT_2 || s->state == EXONET_TIME_WAIT))
			en_send_ack(st, s);
		s->flags &= ~(CF_ACKNOW | CF_DELACK);
		en_note_held(st, s, false);
		return;
	}
	data_end = s->snd_una + s->sq_bytes;

	if (s->flags & CF_PROBE) {
		/* RFC 1122 4.2.2.17: one byte into the zero window */
		s->flags &= ~CF_PROBE;
		s->snd_nxt = s->snd_una;
		if (s->sq_bytes) {
			int r = send_data(st, s, s->snd_una, 1, false, &sent);

			/*
			 * The byte counts as sent (snd_max) but snd_nxt stays:
			 * when the window opens it goes again with the rest.
			 */
			if (r >= 0 && sent) {
				s->snd_max = seq_max(s->snd_max, s->snd_una + 1);
				sent_any = true;
			} else if (r < 0) {
				s->flags |= CF_PROBE;	/* again at the retry */
				ring_full = true;
			}
		}
		en_rto_arm(st, s);
	}

	for (;;) {
		uint32_t off = s->snd_nxt - s->snd_una;
		uint32_t avail = seq_lt(s->snd_nxt, data_end) ? data_end - s->snd_nxt : 0;
		uint32_t win = EN_MIN(s->snd_wnd, s->cwnd);
		uint32_t usable = win > off ? win - off : 0;
		uint32_t len;
		bool fin = false;
		int r;

		/* a fast retransmission is one segment (RFC 6582) */
		len = (s->flags & CF_RECOVERY) && seq_lt(s->snd_nxt, s->snd_max) ?
		      smss : seg_max;
		len = EN_MIN(EN_MIN(avail, len), usable);
		if ((s->flags & CF_FIN_QUEUED) && s->snd_nxt + len == data_end &&
		    seq_le(s->snd_nxt, data_end) && (len || usable || !avail))
			fin = true;	/* FIN rides on the last data segment */
		if (!len && !fin)
			break;
		if (len < avail && len < smss) {
			/*
			 * RFC 9293 3.8.6.2.1 (sender SWS avoidance): a
			 * window-limited runt goes only if it is at least half
			 * the largest window seen, or nothing is in flight.
			 */
			if (len < s->max_sndwnd / 2 && s->snd_una != s->snd_max)
				break;
		}
		if (len == avail && len < smss && !fin &&
		    (s->flags & CF_MORE) && !(s->flags & CF_FORCE))
			break;		/* EXONET_WR_MORE: hold the runt tail */
		r = send_data(st, s, s->snd_nxt, len, fin, &sent);
		if (r < 0) {
			ring_full = true;	/* retried below */
			break;
		}
		if (len && !sent && r != 1)
			break;		/* nothing could be gathered */
		if (sent && !(s->flags & (CF_TS | CF_RTT_TIMING)) &&
		    seq_ge(s->snd_nxt, s->snd_max)) {
			/* RFC 6298 (3): time one new segment (Karn) */
			s->flags |= CF_RTT_TIMING;
			s->rtt_seq = s->snd_nxt + sent;
			s->rtt_start_ms = st->now_ms;
		}
		if (seq_lt(s->snd_nxt, s->snd_max))
			st->stats.retransmits++;
		s->snd_nxt += sent + (r == 1);
		s->snd_max = seq_max(s->snd_max, s->snd_nxt);
		sent_any = true;
		if (!s->rtx_at || (s->flags & CF_PERSIST)) {
			s->flags &= ~CF_PERSIST;
			en_rto_arm(st, s);
		}
		if (r == 1)
			break;
		if (s->flags & CF_RECOVERY && seq_le(s->snd_nxt, s->snd_una + s->mss) &&
		    seq_lt(s->snd_nxt, s->snd_max)) {
			/* fast retransmit: one segment, then new data only */
			s->snd_nxt = s->snd_max;
		}
	}
	s->flags &= ~CF_FORCE;
	/*
	 * RFC 9293 3.8.6.1: data waits, the peer's window is zero and
	 * nothing is in flight: the persist timer probes it.
	 */
	if (s->snd_wnd == 0 && seq_lt(s->snd_nxt, data_end) &&
	    s->snd_una == s->snd_max) {
		if (!(s->flags & CF_PERSIST)) {
			s->flags |= CF_PERSIST;
			s->retries = 0;
		}
		if (!s->rtx_at)
			en_rto_arm(st, s);
	}
	if (s->flags & CF_KEEPALIVE) {
		/* RFC 1122 4.2.3.6: a probe the peer must acknowledge */
		s->flags &= ~CF_KEEPALIVE;
		en_send_ctl(st, s, TH_ACK, s->snd_una - 1);
	}
	if (!sent_any && (s->flags & (CF_ACKNOW | CF_DELACK)) &&
	    en_send_ack(st, s) < 0)
		ring_full = true;
	/*
	 * The device's ring was full (even after en_xmit's flush): with
	 * nothing in flight no timer would ever bring us back, so the
	 * connection asks for output again; the poll loop retries it at
	 * its next step and never sleeps more than a tick while it waits.
	 */
	if (ring_full)
		en_want_output(st, s);
	/* data or the FIN not sent yet, or recovering a loss */
	en_note_held(st, s, seq_lt(s->snd_nxt, data_end + !!(s->flags & CF_FIN_QUEUED)) ||
			    (s->flags & CF_RECOVERY));
}
