// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * timewait.c — TIME_WAIT, kept compactly.
 *
 * A server that closes first (HTTP/1.0) leaves a TIME_WAIT per request for
 * 2*MSL.  Instead of a connection block with its buffers, such a pair
 * keeps a 48-byte entry: the sequence numbers, the last timestamp, the
 * MAC.  All entries live 2*MSL, so they form a FIFO in order of expiry
 * (no timer per entry: the FIFO's head owns one wheel entry) and a hash
 * finds them.  The table is bounded (cfg.max_timewait): when full, the
 * oldest entry is dropped early (counted), as Linux does with its
 * tw_buckets limit.
 *
 * RFC 6191: a new SYN for a pair in TIME_WAIT is accepted (the entry
 * dies, the SYN goes to LISTEN) if its timestamp is newer than the last
 * one seen, or, without timestamps, if its sequence number is beyond the
 * old connection's (RFC 1122 4.2.2.13); our ISN is then chosen above the
 * old connection's snd_nxt (syn.c), so the SYN needs state, not a
 * cookie.  Other SYNs are answered with an ACK (RFC 5961 4 / RFC 9293),
 * at most one per 500 ms per entry (RFC 5961 7),
 * a retransmitted FIN with an ACK, an RST is ignored (RFC 1337,
 * TIME-WAIT assassination), and the rest dropped.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"

_Static_assert(sizeof(struct en_tw) == 48, "a TIME_WAIT entry is 48 bytes (README)");

static uint32_t *bucket(struct exonet *st, uint32_t raddr, uint16_t rport)
{
	return &st->tw_hash[en_tuple_hash(st, raddr, rport) & st->hash_mask];
}

static void tw_unhash(struct exonet *st, struct en_tw *tw)
{
	uint32_t *pp = bucket(st, tw->raddr, tw->rport);
	uint32_t idx = (uint32_t)(tw - st->tw) + 1;

	while (*pp) {
		if (*pp == idx) {
			*pp = tw->hnext;
			break;
		}
		pp = &st->tw[*pp - 1].hnext;
	}
	tw->live = 0;
	st->tw_live--;
}

int en_tw_init(struct exonet *st)
{
	st->tw = calloc(st->cfg.max_timewait, sizeof(*st->tw));
	st->tw_hash = calloc(st->hash_mask + 1, sizeof(*st->tw_hash));
	st->tw_timer.fn = en_tw_reap;
	return st->tw && st->tw_hash ? 0 : -1;
}

struct en_tw *en_tw_lookup(struct exonet *st, uint32_t raddr, uint16_t rport)
{
	uint32_t i = *bucket(st, raddr, rport);

	while (i) {
		struct en_tw *tw = &st->tw[i - 1];

		if (tw->raddr == raddr && tw->rport == rport)
			return tw;
		i = tw->hnext;
	}
	return NULL;
}

/* Drop the head of the FIFO (unhashing it if still live). */
static void tw_pop(struct exonet *st)
{
	struct en_tw *tw = &st->tw[st->tw_head];

	if (tw->live)
		tw_unhash(st, tw);
	st->tw_head = (st->tw_head + 1) % st->cfg.max_timewait;
	st->tw_count--;
}

void en_tw_reap(struct exonet *st, struct en_timer *t)
{
	(void)t;
	while (st->tw_count) {
		struct en_tw *tw = &st->tw[st->tw_head];

		if (tw->live && tw->expires > st->now_ms)
			break;
		tw_pop(st);
	}
	if (st->tw_count)
		en_timer_arm(st, &st->tw_timer, st->tw[st->tw_head].expires);
}

/*
 * @s enters TIME_WAIT (RFC 9293 3.10.7.4): ACK the peer's FIN, keep the
 * pair's numbers in an entry, and let the connection block go.
 */
void en_tw_enter(struct exonet *st, struct exonet_sock *s)
{
	struct en_tw *tw;
	uint32_t *b;

	en_send_ack(st, s);
	if (st->tw_count == st->cfg.max_timewait) {
		tw_pop(st);
		st->stats.timewait_recycled++;
	}
	tw = &st->tw[(st->tw_head + st->tw_count) % st->cfg.max_timewait];
	st->tw_count++;
	memset(tw, 0, sizeof(*tw));
	tw->raddr = s->raddr;
	tw->rport = s->rport;
	tw->live = 1;
	tw->has_ts = !!(s->flags & CF_TS);
	tw->snd_nxt = s->snd_max;
	tw->rcv_nxt = s->rcv_nxt;
	tw->ts_recent = s->ts_recent;
	tw->tsoff = s->tsoff;
	tw->rcv_ws = s->rcv_ws;
	memcpy(tw->rmac, s->rmac, 6);
	tw->expires = st->now_ms + 2ull * st->cfg.msl_ms;
	b = bucket(st, tw->raddr, tw->rport);
	tw->hnext = *b;
	*b = (uint32_t)(tw - st->tw) + 1;
	st->tw_live++;
	st->stats.timewait++;
	if (!st->tw_timer.pprev)
		en_timer_arm(st, &st->tw_timer, st->tw[st->tw_head].expires);
	en_conn_close_state(st, s, 0);
}

static void tw_ack(struct exonet *st, struct en_tw *tw)
{
	uint8_t o[12];
	uint32_t n = 0, v;

	if (tw->has_ts) {
		o[n++] = 1, o[n++] = 1, o[n++] = 8, o[n++] = 10;
		v = htonl(en_ts_now(st, tw->tsoff));
		memcpy(o + n, &v, 4);
		v = htonl(tw->ts_recent);
		memcpy(o + n + 4, &v, 4);
		n += 8;
	}
	en_send_raw(st, tw->rmac, tw->raddr, tw->rport, tw->snd_nxt, tw->rcv_nxt,
		    TH_ACK, (uint16_t)EN_MIN(st->cfg.rcvbuf >> tw->rcv_ws, 65535u), o, n);
}

/*
 * RFC 5961 (7): the ACK that answers a SYN which may not reuse the pair is
 * a challenge ACK, limited like a connection's (en_oow_limited()): one per
 * EN_OOW_GAP_MS per entry, so a spoofer's SYN flood aimed at TIME_WAIT
 * pairs is not reflected one ACK for one SYN (Linux: tw_last_oow_ack_time).
 */
static bool tw_oow_limited(struct exonet *st, struct en_tw *tw)
{
	uint32_t now = (uint32_t)st->now_ms;

	if (tw->oow_ms && (int32_t)(now - tw->oow_ms) < 0)
		return true;
	tw->oow_ms = now + EN_OOW_GAP_MS;
	if (!tw->oow_ms)
		tw->oow_ms = 1;
	return false;
}

void en_tw_input(struct exonet *st, struct en_tw *tw, struct en_seg *seg)
{
	if (seg->flags & TH_RST)
		return;				/* RFC 1337 R1 */
	if ((seg->flags & (TH_SYN | TH_ACK)) == TH_SYN) {
		/*
		 * RFC 6191 (2): with timestamps, a newer one, or the same
		 * one and a sequence number beyond the old connection's;
		 * without, the sequence number alone (RFC 1122 4.2.2.13).
		 */
		bool newer = (tw->has_ts && seg->has_ts)
			? seq_gt(seg->tsval, tw->ts_recent) ||
			  (seg->tsval == tw->ts_recent && seq_gt(seg->seq, tw->rcv_nxt))
			: seq_gt(seg->seq, tw->rcv_nxt);

		if (newer && st->listening) {
			uint32_t above = tw->snd_nxt;

			/*
			 * The new ISN must be above the old connection's, and
			 * a cookie is whatever the hash says: without room
			 * for state the SYN is dropped (the peer sends it
			 * again) and the entry stays.
			 */
			if (en_syn_cookie_due(st)) {
				st->stats.syn_dropped++;
				return;
			}
			tw_unhash(st, tw);
			st->stats.timewait_reused++;
			en_listen_input(st, seg, &above);
			return;
		}
		if (tw_oow_limited(st, tw)) {
			st->stats.challenge_acks_limited++;
			return;
		}
		st->stats.challenge_acks++;
		tw_ack(st, tw);
		return;
	}
	if (seg->flags & TH_FIN) {
		/* a retransmitted FIN: our ACK was lost */
		tw_ack(st, tw);
		return;
	}
	if (seg->len)
		tw_ack(st, tw);
}
