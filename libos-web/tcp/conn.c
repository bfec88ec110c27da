// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * conn.c — the connection pool, the lookup hash, initial sequence numbers.
 *
 * Every connection block, its receive buffer, copy send buffer and send
 * queue come from arrays sized once at exonet_new() (cfg.max_conns): a
 * flood of peers finds the pool empty, never malloc.  Lookup is by the
 * remote (address, port) alone, the local pair being the stack's one
 * flow; the hash is keyed SipHash (a random key), so a peer cannot aim
 * its ports at one chain.
 */
#include <string.h>

#include "stack.h"

uint32_t en_tuple_hash(const struct exonet *st, uint32_t raddr, uint16_t rport)
{
	uint8_t t[6];

	memcpy(t, &raddr, 4);
	memcpy(t + 4, &rport, 2);
	return (uint32_t)en_siphash(st->key, t, sizeof(t));
}

/*
 * RFC 6528 (3): ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), M a timer ticking every 4 microseconds, F a keyed hash
 * (SipHash-2-4 over the four-tuple; the key is random per stack).
 */
uint32_t en_isn(struct exonet *st, uint32_t raddr, uint16_t rport)
{
	uint8_t t[12];

	memcpy(t, &st->laddr, 4);
	memcpy(t + 4, &st->lport, 2);
	memcpy(t + 6, &raddr, 4);
	memcpy(t + 10, &rport, 2);
	return (uint32_t)(st->now_ns / 4000) +
	       (uint32_t)en_siphash(st->key, t, sizeof(t));
}

/*
 * RFC 7323 (5.4, 7.1): timestamps start at a random offset per
 * connection, so they reveal neither uptime nor other connections.  The
 * offset is a hash of the pair, so a SYN cookie's connection finds it
 * again without state.
 */
uint32_t en_tsoff(struct exonet *st, uint32_t raddr, uint16_t rport)
{
	return en_tuple_hash(st, raddr ^ 0x5a5a5a5a, rport) * 2654435761u;
}

struct exonet_sock *en_conn_lookup(struct exonet *st, uint32_t raddr, uint16_t rport)
{
	uint32_t i = st->hash[en_tuple_hash(st, raddr, rport) & st->hash_mask];

	while (i) {
		struct exonet_sock *s = &st->conns[i - 1];

		if (s->raddr == raddr && s->rport == rport)
			return s;
		i = s->hnext;
	}
	return NULL;
}

/* A fresh connection block for the pair, hashed, or NULL (pool empty). */
struct exonet_sock *en_conn_alloc(struct exonet *st, uint32_t raddr, uint16_t rport)
{
	struct exonet_sock *s;
	uint32_t h, idx;
	uint8_t *rbuf, *sbuf;
	struct en_sref *sq;

	if (!st->free_head)
		return NULL;
	idx = st->free_head - 1;
	s = &st->conns[idx];
	st->free_head = s->hnext;
	rbuf = s->rbuf, sbuf = s->sbuf, sq = s->sq;
	memset(s, 0, sizeof(*s));
	s->rbuf = rbuf, s->sbuf = sbuf, s->sq = sq;
	s->st = st;
	s->timer.fn = en_conn_timer_fire;
	s->idx = idx;
	s->flags = CF_USED;
	s->raddr = raddr;
	s->rport = rport;
	h = en_tuple_hash(st, raddr, rport) & st->hash_mask;
	s->hnext = st->hash[h];
	st->hash[h] = idx + 1;
	st->nconns++;
	return s;
}

static void unhash(struct exonet *st, struct exonet_sock *s)
{
	uint32_t *pp = &st->hash[en_tuple_hash(st, s->raddr, s->rport) & st->hash_mask];

	while (*pp) {
		struct exonet_sock *c = &st->conns[*pp - 1];

		if (c == s) {
			*pp = c->hnext;
			return;
		}
		pp = &c->hnext;
	}
}

static void list_del(struct exonet_sock **head, struct exonet_sock *s,
		     size_t link_off)
{
	struct exonet_sock **pp = head;

	while (*pp) {
		struct exonet_sock **nx = (struct exonet_sock **)((char *)*pp + link_off);

		if (*pp == s) {
			*pp = *nx;
			return;
		}
		pp = nx;
	}
}

/* Back to the pool: references released, off every list and the wheel. */
void en_conn_free(struct exonet *st, struct exonet_sock *s)
{
	if (!(s->flags & CF_USED))
		return;
	en_sq_drop(st, s);
	en_timer_cancel(st, &s->timer);
	if (s->flags & CF_ACCEPTQ)
		en_acceptq_del(st, s);
	if (s->flags & CF_READYQ) {
		struct exonet_sock *p;

		list_del(&st->ready_head, s, offsetof(struct exonet_sock, next_ready));
		st->ready_tail = NULL;
		for (p = st->ready_head; p; p = p->next_ready)
			st->ready_tail = p;
	}
	if (s->flags & CF_OUTQ)
		list_del(&st->out_head, s, offsetof(struct exonet_sock, next_out));
	en_note_held(st, s, false);
	en_orphan_del(st, s);
	if (s->state == EXONET_SYN_RCVD)
		st->half_open--;
	unhash(st, s);
	s->flags = 0;
	s->state = EXONET_CLOSED;
	s->hnext = st->free_head;
	st->free_head = s->idx + 1;
	st->nconns--;
}

/*
 * The connection is over (RFC 9293 "delete the TCB"): with @err a reset or
 * timeout.  A socket the application holds stays allocated in CLOSED
 * until it calls exonet_close() (it gets EXONET_EV_ERR or _HUP); anything
 * else goes back to the pool now.
 */
void en_conn_close_state(struct exonet *st, struct exonet_sock *s, int err)
{
	if (s->state == EXONET_SYN_RCVD)
		st->half_open--;
	s->state = EXONET_CLOSED;
	if (err && !s->err)
		s->err = err;
	if (!(s->flags & CF_APP)) {
		en_conn_free(st, s);	/* CLOSED now: half_open counted once */
		return;
	}
	unhash(st, s);		/* the pair is free for a new connection */
	en_sq_drop(st, s);
	s->rtx_at = s->ka_at = 0;
	en_timer_cancel(st, &s->timer);
	s->flags &= ~(CF_ACKNOW | CF_DELACK | CF_SYNACK | CF_KEEPALIVE);
	en_notify(st, s, err ? EXONET_EV_ERR | EXONET_EV_READ | EXONET_EV_WRITE
			     : EXONET_EV_HUP | EXONET_EV_READ);
}
