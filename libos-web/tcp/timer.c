// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * timer.c — the stack's one timer wheel, and what each timer does.
 *
 * A hashed wheel of EN_WHEEL_SLOTS one-millisecond slots (Varghese and
 * Lauck); a timer further out than one turn waits in its slot until its
 * turn comes.  A bitmap of non-empty slots gives the next deadline, which
 * is the timeout exonet_poll() sleeps with: the wait's timeout drives
 * every timer; there is no other clock.
 *
 * Each connection has ONE wheel entry; what it stands for is kept in
 * plain fields, rtx_at (retransmission, SYN-ACK, zero-window persist) and
 * ka_at (keep-alive, FIN_WAIT_2), and the entry is armed at the earlier.
 * Moving a deadline later costs nothing (the entry fires early, finds
 * nothing due and re-arms): the usual case, an ACK pushing the
 * retransmission timer out, touches no list.  TIME_WAIT entries live in a
 * FIFO whose head owns one more wheel entry (timewait.c).
 */
#include <errno.h>
#include <string.h>

#include "stack.h"

static void slot_set(struct exonet *st, uint32_t i, bool on)
{
	if (on)
		st->wheel_bits[i / 64] |= 1ULL << (i % 64);
	else
		st->wheel_bits[i / 64] &= ~(1ULL << (i % 64));
}

void en_timer_cancel(struct exonet *st, struct en_timer *t)
{
	if (!t->pprev)
		return;
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	else if (t->pprev == &st->wheel[t->expires % EN_WHEEL_SLOTS])
		slot_set(st, t->expires % EN_WHEEL_SLOTS, false);
	t->pprev = NULL;
	t->next = NULL;
	st->armed--;
}

void en_timer_arm(struct exonet *st, struct en_timer *t, uint64_t expires)
{
	uint32_t i;

	en_timer_cancel(st, t);
	if (expires <= st->wheel_now)
		expires = st->wheel_now + 1;	/* the next slot to run */
	t->expires = expires;
	i = expires % EN_WHEEL_SLOTS;
	t->next = st->wheel[i];
	if (t->next)
		t->next->pprev = &t->next;
	t->pprev = &st->wheel[i];
	st->wheel[i] = t;
	slot_set(st, i, true);
	st->armed++;
}

/* Run every slot from wheel_now + 1 to now. */
void en_timer_run(struct exonet *st)
{
	uint64_t now = st->now_ms, tick;

	if (now <= st->wheel_now)
		return;
	/* after a long sleep one turn visits every slot */
	tick = now - st->wheel_now > EN_WHEEL_SLOTS ? now - EN_WHEEL_SLOTS : st->wheel_now;
	while (tick < now) {
		struct en_timer *t, *due = NULL;
		uint32_t i;

		tick++;
		i = tick % EN_WHEEL_SLOTS;
		if (!(st->wheel_bits[i / 64] & (1ULL << (i % 64))))
			continue;
		/* detach the due ones first: handlers re-arm freely */
		for (t = st->wheel[i]; t; ) {
			struct en_timer *nx = t->next;

			if (t->expires <= now) {
				en_timer_cancel(st, t);
				t->next = due;
				due = t;
			}
			t = nx;
		}
		while (due) {
			t = due;
			due = t->next;
			t->next = NULL;
			t->fn(st, t);
		}
	}
	st->wheel_now = now;
}

/* The earliest slot time with a timer in it, or UINT64_MAX. */
uint64_t en_timer_next(const struct exonet *st)
{
	uint32_t start = (uint32_t)((st->wheel_now + 1) % EN_WHEEL_SLOTS), k;

	if (!st->armed)
		return UINT64_MAX;
	for (k = 0; k < EN_WHEEL_SLOTS; ) {
		uint32_t i = (start + k) % EN_WHEEL_SLOTS;
		uint64_t w = st->wheel_bits[i / 64] >> (i % 64);

		if (w) {
			k += (uint32_t)__builtin_ctzll(w);
			return st->wheel_now + 1 + k;
		}
		k += 64 - i % 64;
	}
	return st->wheel_now + EN_WHEEL_SLOTS;
}

/* ---- the connection timer ------------------------------------------------- */

void en_conn_timer_update(struct exonet *st, struct exonet_sock *s)
{
	uint64_t at = 0;

	if (s->rtx_at)
		at = s->rtx_at;
	if (s->ka_at && (!at || s->ka_at < at))
		at = s->ka_at;
	if (!at) {
		en_timer_cancel(st, &s->timer);
		return;
	}
	/* armed earlier: let it fire and re-evaluate (lazy) */
	if (s->timer.pprev && s->timer.expires <= at)
		return;
	en_timer_arm(st, &s->timer, at);
}

/*
 * RFC 6298 (5.1): start the retransmission timer with the current RTO
 * when data (or SYN/FIN) is outstanding and it is not running.
 */
void en_rto_arm(struct exonet *st, struct exonet_sock *s)
{
	uint64_t rto = s->rto_ms;
	unsigned int i, n = EN_MAX(s->retries, s->backoff);

	for (i = 0; i < n && rto < st->cfg.rto_max_ms; i++)
		rto *= 2;	/* RFC 6298 (5.5): back off */
	rto = EN_MIN(rto, st->cfg.rto_max_ms);
	s->rtx_at = st->now_ms + rto;
	en_conn_timer_update(st, s);
}

/*
 * RFC 6298 (2.2, 2.3): SRTT and RTTVAR from a measurement R (in
 * microseconds here), alpha 1/8, beta 1/4, K 4, G the 1 ms clock; RTO
 * bounded below by cfg.rto_min_ms (RFC 6298 (2.4) says 1 s; like Linux we
 * use 200 ms by default) and above by cfg.rto_max_ms (2.5).
 */
void en_rtt_sample(struct exonet *st, struct exonet_sock *s, uint32_t r)
{
	uint64_t rto;
	uint32_t k;

	if (!s->srtt_us) {
		s->srtt_us = EN_MAX(r, 1);
		s->rttvar_us = r / 2;
	} else {
		uint32_t d = s->srtt_us > r ? s->srtt_us - r : r - s->srtt_us;

		s->rttvar_us = s->rttvar_us - s->rttvar_us / 4 + d / 4;
		s->srtt_us = s->srtt_us - s->srtt_us / 8 + r / 8;
	}
	/*
	 * RFC 6298 (5): a new measurement is what may collapse a backed-off
	 * RTO; an ACK alone does not (Karn: without timestamps the ACK of a
	 * retransmission is no sample, and the doubled RTO stays in force).
	 */
	s->backoff = 0;
	k = EN_MAX(4 * s->rttvar_us, 1000);
	rto = (s->srtt_us + k + 999) / 1000;
	rto = EN_MAX(rto, st->cfg.rto_min_ms);
	rto = EN_MIN(rto, st->cfg.rto_max_ms);
	s->rto_ms = (uint32_t)rto;
}

/* Activity: the keep-alive clock restarts (RFC 1122 4.2.3.6). */
void en_ka_touch(struct exonet *st, struct exonet_sock *s)
{
	s->idle_since = st->now_ms;
	s->ka_probes = 0;
	if (s->state == EXONET_ESTABLISHED || s->state == EXONET_CLOSE_WAIT) {
		if (!s->ka_at)
			s->ka_at = st->now_ms + st->cfg.keepalive_idle_ms;
		/* a later deadline is found when the entry fires */
	}
}

static void give_up(struct exonet *st, struct exonet_sock *s)
{
	/* RFC 1122 4.2.3.5: R2 reached */
	st->stats.conns_timedout++;
	en_send_ctl(st, s, TH_RST | TH_ACK, s->snd_nxt);
	en_conn_close_state(st, s, -ETIMEDOUT);
}

/*
 * RFC 9293 3.8.6.1, RFC 1122 4.2.2.17: the peer's window is zero: probe
 * it with one byte, backing off.  Also when the window closed with data
 * in flight and the RTO fired: that data is held back by the window, not
 * lost, so it is probed rather than retransmitted (and the congestion
 * window left alone), as Linux's tcp_retransmit_timer() does.
 *
 * The connection lives as long as the peer answers (4.2.2.17: a zero
 * window may last indefinitely), but an expiry with no segment from the
 * peer since the last one counts toward max_retries exactly like an RTO
 * (s->unanswered, zeroed by every acceptable ACK).  An orphan, which no
 * application will ever read or close, is held at most EN_ORPHAN_RETRIES
 * probes whatever the peer says (Linux's tcp_orphan_retries default):
 * otherwise a peer that answers with a zero window forever keeps a
 * closed connection, its buffers and its zero-copy references.
 */
static void persist_timeout(struct exonet *st, struct exonet_sock *s)
{
	s->flags |= CF_PERSIST;
	s->flags &= ~CF_RTT_TIMING;	/* Karn: the probe resends snd_una */
	if (s->unanswered < UINT8_MAX)
		s->unanswered++;
	if (s->unanswered > st->cfg.max_retries ||
	    (!(s->flags & CF_APP) && s->retries >= EN_ORPHAN_RETRIES)) {
		give_up(st, s);
		return;
	}
	st->stats.persist_probes++;
	if (s->retries < 16)
		s->retries++;
	s->flags |= CF_PROBE;
	en_want_output(st, s);	/* output sends the probe, re-arms */
}

static void rtx_timeout(struct exonet *st, struct exonet_sock *s)
{
	s->rtx_at = 0;
	if (s->state == EXONET_SYN_RCVD) {
		/* RFC 9293 3.8.1 / RFC 6298 (5.7): SYN-ACK again, backed off */
		if (++s->retries > 5) {
			st->stats.conns_timedout++;
			en_conn_close_state(st, s, -ETIMEDOUT);
			return;
		}
		s->flags |= CF_SYNACK;
		en_want_output(st, s);
		en_rto_arm(st, s);
		return;
	}
	if ((s->flags & CF_PERSIST) && !s->sq_bytes && s->snd_una == s->snd_max) {
		s->flags &= ~CF_PERSIST;	/* nothing left to push */
		s->retries = 0;
		return;
	}
	if ((s->flags & CF_PERSIST) || (!s->snd_wnd && s->snd_una != s->snd_max)) {
		persist_timeout(st, s);
		return;
	}
	if (s->snd_una == s->snd_max)
		return;			/* everything was acked meanwhile */
	/*
	 * An orphan gets EN_ORPHAN_RETRIES (Linux's tcp_orphan_retries, 8:
	 * over 100 s from a 200 ms RTO) rather than max_retries: nobody
	 * waits for it, and it holds its buffers and references meanwhile.
	 */
	if (++s->retries > ((s->flags & CF_APP) ? st->cfg.max_retries :
			    EN_MIN(st->cfg.max_retries, (uint32_t)EN_ORPHAN_RETRIES))) {
		give_up(st, s);
		return;
	}
	st->stats.rto_expired++;
	s->backoff = s->retries;
	/* RFC 6298 (5.4-5.6): retransmit the earliest, back off, restart */
	en_cc_timeout(st, s);
	/* Karn: no RTT sample from a retransmitted segment */
	s->flags &= ~CF_RTT_TIMING;
	s->snd_nxt = s->snd_una;	/* go back N: resend from snd_una */
	en_want_output(st, s);
	en_rto_arm(st, s);
}

static void ka_timeout(struct exonet *st, struct exonet_sock *s)
{
	s->ka_at = 0;
	if (s->state == EXONET_FIN_WAIT_2) {
		/*
		 * An orphan waiting for the peer's FIN forever: reset it, as
		 * Linux's tcp_keepalive_timer() does when tcp_fin_timeout
		 * runs out (the peer, in CLOSE_WAIT, learns it is over).
		 */
		if (!(s->flags & CF_APP)) {
			en_orphan_reset(st, s);
			return;
		}
	}
	if (s->state != EXONET_ESTABLISHED && s->state != EXONET_CLOSE_WAIT)
		return;
	if (st->now_ms < s->idle_since + st->cfg.keepalive_idle_ms && !s->ka_probes) {
		s->ka_at = s->idle_since + st->cfg.keepalive_idle_ms;
		return;
	}
	/* RFC 1122 4.2.3.6: idle: probe; no answer to N probes: reset */
	if (s->ka_probes >= st->cfg.keepalive_probes) {
		st->stats.conns_timedout++;
		en_send_ctl(st, s, TH_RST | TH_ACK, s->snd_nxt);
		en_conn_close_state(st, s, -ETIMEDOUT);
		return;
	}
	s->ka_probes++;
	st->stats.keepalive_probes++;
	s->flags |= CF_KEEPALIVE;
	en_want_output(st, s);
	s->ka_at = st->now_ms + st->cfg.keepalive_intvl_ms;
}

void en_conn_timer_fire(struct exonet *st, struct en_timer *t)
{
	struct exonet_sock *s = container_of(t, struct exonet_sock, timer);

	if (s->rtx_at && s->rtx_at <= st->now_ms)
		rtx_timeout(st, s);
	if (!(s->flags & CF_USED) || s->state == EXONET_CLOSED)
		return;
	if (s->ka_at && s->ka_at <= st->now_ms)
		ka_timeout(st, s);
	if (!(s->flags & CF_USED) || s->state == EXONET_CLOSED)
		return;
	en_conn_timer_update(st, s);
}
