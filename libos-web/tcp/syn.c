// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * syn.c — LISTEN: the SYN queue, SYN cookies, the accept queue.
 *
 * A SYN makes a SYN_RCVD connection from the pool while fewer than
 * cfg.syn_backlog are half-open; beyond that (or with the pool empty) the
 * SYN is answered with a SYN cookie (RFC 4987 3.6) and no state at all,
 * so a flood fills neither memory nor the queue, and a real client, whose
 * ACK carries the cookie back, still gets its connection.
 *
 * The cookie is our ISN: 5 bits of a 64-second counter, then 27 bits of
 * SipHash(secret, addresses, ports, the peer's ISN, counter) plus the
 * index of the MSS (one of four).  It is valid for the current and the
 * previous counter value.  Window scale and SACK-permitted ride in the
 * low 6 bits of our timestamp when the peer uses timestamps (and are
 * lost otherwise, as RFC 4987 says).
 *
 * A cookie ACK is believed only within EN_COOKIE_RECENT_MS of the last
 * cookie sent: outside a flood, no cookie is outstanding, and every ACK
 * that guessed one (one chance in 2^25) would be a blind attacker's
 * connection (Linux takes cookies for 2 minutes after the last overflow;
 * we take one counter period).  A good cookie that finds the accept
 * queue full, or the pool empty, is dropped without an answer, as Linux
 * does: the client sends its ACK (or data) again and gets in then; an RST
 * would kill a connection the client believes established.
 */
#include <arpa/inet.h>
#include <string.h>

#include "stack.h"

static const uint16_t cookie_mss[4] = { 536, 1220, 1440, 1460 };

#define EN_COOKIE_RECENT_MS	64000	/* one counter period */

static uint32_t cookie_hash(struct exonet *st, const struct en_seg *seg,
			    uint32_t peer_isn, uint32_t t)
{
	uint8_t b[20];

	memcpy(b, &seg->saddr, 4);
	memcpy(b + 4, &seg->sport, 2);
	memcpy(b + 6, &st->laddr, 4);
	memcpy(b + 10, &st->lport, 2);
	memcpy(b + 12, &peer_isn, 4);
	memcpy(b + 16, &t, 4);
	return (uint32_t)en_siphash(st->cookie_key, b, sizeof(b));
}

static uint32_t our_wscale(const struct exonet *st)
{
	uint32_t ws = 0;

	while (ws < 14 && (st->cfg.rcvbuf >> ws) > 65535)
		ws++;
	return ws;
}

static uint16_t clamp_mss(const struct exonet *st, const struct en_seg *seg)
{
	/* RFC 9293 3.7.1: 536 when absent; ours bounds it; below 64 is
	 * taken as 64 (a tiny MSS only multiplies our work) */
	uint32_t m = seg->has_mss ? seg->mss : 536;

	m = EN_MIN(m, (uint32_t)st->mss);
	return (uint16_t)EN_MAX(m, 64u);
}

void en_syn_options(struct exonet_sock *s, const struct en_seg *seg, struct exonet *st)
{
	s->mss = clamp_mss(st, seg);
	if (seg->has_ws && !(st->cfg.flags & EXONET_CFG_NO_WSCALE)) {
		s->flags |= CF_WS;
		s->snd_ws = seg->ws;
		s->rcv_ws = (uint8_t)our_wscale(st);
	}
	if (seg->sack_ok && !(st->cfg.flags & EXONET_CFG_NO_SACK))
		s->flags |= CF_SACK;
	if (seg->has_ts && !(st->cfg.flags & EXONET_CFG_NO_TS)) {
		s->flags |= CF_TS;
		s->ts_recent = seg->tsval;
		s->ts_recent_ms = st->now_ms;
	}
}

void en_acceptq_add(struct exonet *st, struct exonet_sock *s)
{
	s->flags |= CF_ACCEPTQ;
	s->next_accept = NULL;
	if (st->acceptq_tail)
		st->acceptq_tail->next_accept = s;
	else
		st->acceptq_head = s;
	st->acceptq_tail = s;
	st->acceptq_len++;
	en_notify(st, &st->listener, EXONET_EV_ACCEPT);
}

void en_acceptq_del(struct exonet *st, struct exonet_sock *s)
{
	struct exonet_sock **pp = &st->acceptq_head, *prev = NULL;

	while (*pp && *pp != s)
		prev = *pp, pp = &(*pp)->next_accept;
	if (!*pp)
		return;
	*pp = s->next_accept;
	if (st->acceptq_tail == s)
		st->acceptq_tail = prev;
	s->flags &= ~CF_ACCEPTQ;
	s->next_accept = NULL;
	st->acceptq_len--;
}

static void init_common(struct exonet *st, struct exonet_sock *s, const struct en_seg *seg)
{
	memcpy(s->rmac, seg->smac, 6);
	s->tsoff = en_tsoff(st, seg->saddr, seg->sport);
	s->ts_first = en_ts_now(st, s->tsoff);	/* the SYN-ACK's, or later */
	s->rto_ms = st->cfg.rto_init_ms;
	s->irs = seg->seq;
	s->rcv_nxt = s->rd_seq = s->last_ack_sent = seg->seq + 1;
	s->rcv_adv = s->rcv_nxt + EN_MIN(en_rcv_space(st, s), 65535u);
}

/* Answer a SYN with a cookie instead of state. */
static void send_cookie(struct exonet *st, const struct en_seg *seg)
{
	uint32_t t = (uint32_t)(st->now_ms / 64000), idx = 0, cookie, n = 0, v;
	uint16_t mss = clamp_mss(st, seg), h;
	uint8_t o[EN_TCP_OPT_MAX];

	while (idx < 3 && cookie_mss[idx + 1] <= mss)
		idx++;
	cookie = ((t & 0x1f) << 27) |
		 ((cookie_hash(st, seg, seg->seq, t) + idx) & 0x7ffffff);
	o[n++] = 2, o[n++] = 4;
	h = htons(cookie_mss[idx]);
	memcpy(o + n, &h, 2);
	n += 2;
	if (seg->has_ts && !(st->cfg.flags & EXONET_CFG_NO_TS)) {
		/* low 6 bits: peer's shift (15: none), SACK-permitted */
		uint32_t bits = (seg->has_ws && !(st->cfg.flags & EXONET_CFG_NO_WSCALE))
				? seg->ws : 15;
		uint32_t now = en_ts_now(st, en_tsoff(st, seg->saddr, seg->sport));
		uint32_t ts;

		if (seg->sack_ok && !(st->cfg.flags & EXONET_CFG_NO_SACK))
			bits |= 16;
		/*
		 * The bits replace the clock's low 6: that may put the TSval
		 * up to 63 ahead of the clock, and the connection's next
		 * segments (stamped from the clock) would then go backwards
		 * and die in the peer's PAWS (RFC 7323 5.4).  Step back one
		 * 64 instead: never ahead, at most 63 behind (Linux does the
		 * same in cookie_init_timestamp()).
		 */
		ts = (now & ~0x3fu) | bits;
		if (seq_gt(ts, now))
			ts -= 64;
		o[n++] = 1, o[n++] = 1, o[n++] = 8, o[n++] = 10;
		v = htonl(ts);
		memcpy(o + n, &v, 4);
		v = htonl(seg->tsval);
		memcpy(o + n + 4, &v, 4);
		n += 8;
		if ((bits & 15) != 15)
			o[n++] = 1, o[n++] = 3, o[n++] = 3, o[n++] = (uint8_t)our_wscale(st);
	}
	en_send_raw(st, seg->smac, seg->saddr, seg->sport, cookie, seg->seq + 1,
		    TH_SYN | TH_ACK, (uint16_t)EN_MIN(st->cfg.rcvbuf, 65535u), o, n);
	st->stats.syn_cookies_sent++;
	st->cookie_until_ms = st->now_ms + EN_COOKIE_RECENT_MS;
}

/*
 * The ACK of a cookie SYN-ACK.  Returns 1 with *@out the connection, 0
 * for a good cookie with no room (drop it), -1 if it is no cookie of
 * ours (the listener answers RST).
 */
static int cookie_ack(struct exonet *st, struct en_seg *seg,
		      struct exonet_sock **out)
{
	uint32_t cookie = seg->ack - 1, peer_isn = seg->seq - 1;
	uint32_t now = (uint32_t)(st->now_ms / 64000), k, idx = 4;
	struct exonet_sock *s;

	if (st->now_ms >= st->cookie_until_ms)
		return -1;		/* no cookie outstanding */
	for (k = 0; k < 2 && idx > 3; k++) {
		uint32_t t = now - k;

		if ((t & 0x1f) != cookie >> 27)
			continue;
		idx = ((cookie & 0x7ffffff) - cookie_hash(st, seg, peer_isn, t)) & 0x7ffffff;
	}
	if (idx > 3) {
		st->stats.syn_cookies_bad++;
		return -1;
	}
	if (st->acceptq_len >= st->backlog)
		return 0;
	s = en_conn_alloc(st, seg->saddr, seg->sport);
	if (!s)
		return 0;
	st->stats.syn_cookies_ok++;
	init_common(st, s, seg);
	s->irs = peer_isn;
	s->rcv_nxt = s->rd_seq = s->last_ack_sent = seg->seq;
	s->rcv_adv = s->rcv_nxt + EN_MIN(en_rcv_space(st, s), 65535u);
	s->mss = (uint16_t)EN_MIN(cookie_mss[idx], st->mss);
	if (seg->has_ts && !(st->cfg.flags & EXONET_CFG_NO_TS)) {
		uint32_t bits = seg->tsecr & 0x3f;

		s->flags |= CF_TS;
		s->ts_recent = seg->tsval;
		s->ts_recent_ms = st->now_ms;
		/*
		 * The cookie's SYN-ACK left at most two counter periods ago,
		 * stamped up to 63 below the clock then.
		 */
		s->ts_first = en_ts_now(st, s->tsoff) - 2 * 64000 - 64;
		if ((bits & 15) != 15 && (bits & 15) <= 14) {
			s->flags |= CF_WS;
			s->snd_ws = (uint8_t)(bits & 15);
			s->rcv_ws = (uint8_t)our_wscale(st);
		}
		if (bits & 16)
			s->flags |= CF_SACK;
	}
	s->iss = cookie;
	s->snd_una = s->snd_nxt = s->snd_max = seg->ack;
	s->snd_wnd = seg->wnd << s->snd_ws;
	s->max_sndwnd = s->snd_wnd;
	s->snd_wl1 = seg->seq - 1;
	s->snd_wl2 = seg->ack;
	s->state = EXONET_ESTABLISHED;
	en_cc_init(st, s);
	en_ka_touch(st, s);
	en_acceptq_add(st, s);
	st->stats.conns_accepted++;
	*out = s;
	return 1;
}

/* A SYN now would be answered with a cookie (no state). */
bool en_syn_cookie_due(const struct exonet *st)
{
	return (st->cfg.flags & EXONET_CFG_ALWAYS_COOKIES) ||
	       st->half_open >= st->cfg.syn_backlog || !st->free_head;
}

/*
 * RFC 9293 3.10.7.2: a segment for the listener.  @isn_above: a SYN that
 * reuses a TIME_WAIT pair; our ISN must be beyond the old connection's
 * sequence space (RFC 1122 4.2.2.13, RFC 6191), so its old duplicates
 * cannot land in the new connection's window.  The RFC 6528 ISN is kept
 * when it already is; otherwise a 64 KiB window past it, as Linux does.
 * Such a SYN always gets state (timewait.c checks), never a cookie.
 */
void en_listen_input(struct exonet *st, struct en_seg *seg, const uint32_t *isn_above)
{
	struct exonet_sock *s;

	if (seg->flags & TH_RST)
		return;				/* first: ignore an RST */
	if (seg->flags & TH_ACK) {
		/* second: an ACK is bad here, unless it returns a cookie */
		if (!(seg->flags & TH_SYN) && !(st->cfg.flags & EXONET_CFG_NO_COOKIES)) {
			int r = cookie_ack(st, seg, &s);

			if (r > 0)
				en_conn_input(st, s, seg);
			if (r >= 0)
				return;
		}
		en_send_rst_for(st, seg);
		return;
	}
	if (!(seg->flags & TH_SYN))
		return;				/* fourth: anything else, drop */
	st->stats.syn_recv++;
	if (en_syn_cookie_due(st)) {
		if (st->cfg.flags & EXONET_CFG_NO_COOKIES)
			st->stats.syn_dropped++;
		else
			send_cookie(st, seg);
		return;
	}
	s = en_conn_alloc(st, seg->saddr, seg->sport);
	s->state = EXONET_SYN_RCVD;
	st->half_open++;
	init_common(st, s, seg);
	en_syn_options(s, seg, st);
	s->iss = en_isn(st, seg->saddr, seg->sport);
	if (isn_above && !seq_gt(s->iss, *isn_above))
		s->iss = *isn_above + 65535 + 2;
	s->snd_una = s->snd_nxt = s->snd_max = s->iss;
	s->snd_wnd = seg->wnd;		/* RFC 7323 (2.2): never scaled in a SYN */
	s->snd_wl1 = seg->seq;
	s->recover = s->iss;
	/* data on the SYN is not kept (the peer sends it again) */
	s->flags |= CF_SYNACK;
	en_want_output(st, s);
	en_rto_arm(st, s);
	st->stats.conns_accepted++;
}
