// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * orphan.c — connections the application closed that TCP still finishes.
 *
 * exonet_close() on a connection with data (or only its FIN) still to
 * deliver leaves an orphan: no application will read it, close it or time
 * it out, so only the peer decides how long it lives, and a hostile peer
 * decides "forever": it acknowledges one segment per RTO (every ACK
 * clears the retransmission count), answers zero-window probes with a zero
 * window, or never sends its FIN.  Every orphan holds a connection block
 * and its queued bytes, zero-copy references to the application's memory
 * among them.  Linux bounds them (net/ipv4/tcp_timer.c): fewer
 * retransmissions and probes for an orphan (tcp_orphan_retries, 8), a cap
 * on their number (tcp_max_orphans, checked as their timers fire), a
 * FIN_WAIT_2 timeout (tcp_fin_timeout, ended with a RST).  exonet does the
 * same, and two things more:
 *
 *   - retries: timer.c counts an orphan's RTOs and probes against
 *     EN_ORPHAN_RETRIES instead of max_retries;
 *   - number and bytes: at most cfg.max_orphans orphans holding at most
 *     cfg.max_orphan_bytes queued bytes; over either, the OLDEST orphans
 *     are reset (the one that has been draining longest is the likeliest
 *     to be held on purpose, and a new close must not be refused);
 *   - lifetime: an orphan is reset cfg.orphan_lifetime_ms after the close
 *     whatever the peer does (a trickle of ACKs cannot keep it);
 *   - FIN_WAIT_2: cfg.fin_wait2_ms after the close or our FIN's ACK,
 *     whichever is later, reset (input.c, socket.c, timer.c); new data to
 *     an orphan shut for reading resets it at once (Linux's
 *     TCPAbortOnData: nobody will read it).
 *
 * The orphans are a FIFO in close order, linked through the connection
 * blocks (index + 1), so the oldest is the head and one stack timer, armed
 * for the head's deadline, serves every lifetime (like TIME_WAIT's).
 */
#include <errno.h>

#include "stack.h"

static struct exonet_sock *conn_at(struct exonet *st, uint32_t i)
{
	return i ? &st->conns[i - 1] : NULL;
}

/* Reset and free orphan @s: the peer learns that nothing more will come. */
void en_orphan_reset(struct exonet *st, struct exonet_sock *s)
{
	st->stats.orphans_reset++;
	st->stats.conns_reset++;
	en_send_ctl(st, s, TH_RST | TH_ACK, s->snd_nxt);
	en_conn_close_state(st, s, -ECONNABORTED);	/* frees it */
}

static void arm(struct exonet *st)
{
	struct exonet_sock *h = conn_at(st, st->orph_head);

	if (h)
		en_timer_arm(st, &st->orph_timer, h->orphan_at + st->cfg.orphan_lifetime_ms);
	else
		en_timer_cancel(st, &st->orph_timer);
}

static void orphan_expire(struct exonet *st, struct en_timer *t)
{
	struct exonet_sock *h;

	(void)t;
	while ((h = conn_at(st, st->orph_head)) &&
	       h->orphan_at + st->cfg.orphan_lifetime_ms <= st->now_ms)
		en_orphan_reset(st, h);
	arm(st);
}

void en_orphan_init(struct exonet *st)
{
	st->orph_timer.fn = orphan_expire;
}

/* exonet_close() left @s to TCP: count it, and enforce the caps. */
void en_orphan_add(struct exonet *st, struct exonet_sock *s)
{
	struct exonet_sock *h;

	s->flags |= CF_ORPHAN;
	s->orphan_at = st->now_ms;
	s->orph_next = 0;
	s->orph_prev = st->orph_tail;
	if (st->orph_tail)
		conn_at(st, st->orph_tail)->orph_next = s->idx + 1;
	else
		st->orph_head = s->idx + 1;
	st->orph_tail = s->idx + 1;
	st->norphans++;
	st->orphan_bytes += s->sq_bytes;
	while ((st->norphans > st->cfg.max_orphans ||
		st->orphan_bytes > st->cfg.max_orphan_bytes) &&
	       (h = conn_at(st, st->orph_head)))
		en_orphan_reset(st, h);
	if (!st->orph_timer.pprev)
		arm(st);
}

/* @s is freed (en_conn_free): off the FIFO. */
void en_orphan_del(struct exonet *st, struct exonet_sock *s)
{
	struct exonet_sock *p = conn_at(st, s->orph_prev), *n = conn_at(st, s->orph_next);

	if (!(s->flags & CF_ORPHAN))
		return;
	if (p)
		p->orph_next = s->orph_next;
	else
		st->orph_head = s->orph_next;
	if (n)
		n->orph_prev = s->orph_prev;
	else
		st->orph_tail = s->orph_prev;
	st->norphans--;
	st->orphan_bytes -= s->sq_bytes;
	s->flags &= ~CF_ORPHAN;
	/* the timer, if it was the head's, fires early and re-arms */
}
