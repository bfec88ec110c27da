// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * stack.c — a stack instance and its loop.
 *
 * exonet_poll() is one step: build and send what is owed (one kick for
 * all of it), take a burst of frames from the device and run each through
 * eth -> ipv4 -> tcp, run the timers that are due, and hand the
 * application the sockets whose state changed.  When nothing happened it
 * sleeps in the device's wait (exo's wakeup predicate) with the next
 * timer's deadline as timeout.
 *
 * ACKs owed for in-order data are not sent at the end of the burst but at
 * the start of the next step, after the application has had its events:
 * the response it writes carries the ACK (Cheetah's "ACK on the
 * response"); exonet_poll() never sleeps with one owed.
 *
 * EXONET_CFG_WAKE_PER_PACKET turns the batching off for measurement: one
 * frame per step and the device's wait after each step, as a server woken
 * once per packet would run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include "stack.h"

void exonet_config_init(struct exonet_config *c)
{
	memset(c, 0, sizeof(*c));
	c->sz = sizeof(*c);
}

static void defaults(struct exonet_config *c)
{
#define DEF(f, v) do { if (!c->f) c->f = (v); } while (0)
	DEF(max_conns, 1024);
	DEF(max_timewait, 4096);
	DEF(syn_backlog, 128);
	DEF(rcvbuf, 65536);
	DEF(sndbuf, 65536);
	DEF(sndq_refs, 64);
	DEF(rto_min_ms, 200);
	DEF(rto_max_ms, 60000);
	DEF(rto_init_ms, 1000);
	DEF(msl_ms, 30000);
	DEF(fin_wait2_ms, 60000);
	DEF(keepalive_idle_ms, 7200000);
	DEF(keepalive_intvl_ms, 75000);
	DEF(keepalive_probes, 9);
	DEF(max_retries, 12);
	DEF(challenge_ack_limit, 1000);
	/* 512 receive frames (1024 slots, Linux's netdev_max_backlog): with 64
	 * the vCPU descheduling seen in note 12's rate.1k rows dropped up to
	 * 694 frames per load, with 512 none in 8 loads (exo-httpd's default) */
	DEF(rx_frames, 512);
	DEF(tx_frames, 64);
	DEF(max_orphans, EN_MAX(c->max_conns / 2, 1u));
	DEF(max_orphan_bytes, 64u << 20);
	DEF(orphan_lifetime_ms, 600000);
#undef DEF
}

static bool pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

struct exonet *exonet_new(const struct exonet_dev *dev, uint32_t addr,
			  uint16_t port, const struct exonet_config *cfg)
{
	struct exonet *st;
	uint32_t i, hsize = 1;
	size_t per;

	if (!dev || !dev->rx_burst || !dev->rx_release || !dev->xmit ||
	    !dev->xmit_flush || !dev->now_ns || !port) {
		errno = EINVAL;
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->dev = *dev;
	if (cfg) {
		size_t n = EN_MIN(cfg->sz ? cfg->sz : sizeof(*cfg), sizeof(*cfg));

		memcpy(&st->cfg, cfg, n);
	}
	st->cfg.sz = sizeof(st->cfg);
	defaults(&st->cfg);
	if (!pow2(st->cfg.rcvbuf) || !pow2(st->cfg.sndbuf) || !pow2(st->cfg.sndq_refs) ||
	    st->cfg.rcvbuf < 2048 || st->cfg.rcvbuf > (1u << 30) ||
	    st->cfg.sndbuf < 2048 || st->cfg.sndbuf > (1u << 30) ||
	    st->cfg.max_conns > (1u << 20) || st->cfg.max_timewait > (1u << 22) ||
	    st->cfg.rto_min_ms > st->cfg.rto_max_ms) {
		free(st);
		errno = EINVAL;
		return NULL;
	}
	st->laddr = addr;
	st->lport = port;
	st->features = st->dev.features & (EXONET_DEV_CSUM | EXONET_DEV_TSO | EXONET_DEV_ZC);
	if (st->cfg.flags & EXONET_CFG_NO_CSUM_OFFLOAD)
		st->features &= ~EXONET_DEV_CSUM;
	if (st->cfg.flags & EXONET_CFG_NO_TSO)
		st->features &= ~EXONET_DEV_TSO;
	if ((st->cfg.flags & EXONET_CFG_NO_ZC_TX) || !st->dev.tx_done)
		st->features &= ~EXONET_DEV_ZC;
	/* the device segments only what carries checksums it finishes */
	if (!(st->dev.features & EXONET_DEV_CSUM))
		st->features &= ~EXONET_DEV_TSO;
	if (!st->dev.mtu)
		st->dev.mtu = 1500;
	/* MSS: the MTU less IPv4 and TCP headers, bounded by the ring slot */
	st->mss = (uint16_t)EN_MIN((uint32_t)st->dev.mtu - 40,
				   (uint32_t)EXONET_FRAME_MAX - EN_ETH_HLEN - 40);
	if (st->cfg.mss && st->cfg.mss < st->mss)
		st->mss = (uint16_t)EN_MAX(st->cfg.mss, 128u);
	if (getrandom(st->key, sizeof(st->key), 0) != sizeof(st->key) ||
	    getrandom(st->cookie_key, sizeof(st->cookie_key), 0) != sizeof(st->cookie_key))
		goto fail;
	while (hsize < 2 * EN_MAX(st->cfg.max_conns, st->cfg.max_timewait))
		hsize <<= 1;
	st->hash_mask = hsize - 1;
	st->hash = calloc(hsize, sizeof(*st->hash));
	st->conns = calloc(st->cfg.max_conns, sizeof(*st->conns));
	st->sqmem = calloc((size_t)st->cfg.max_conns * st->cfg.sndq_refs, sizeof(*st->sqmem));
	/* buffers: reserved, touched only when used (the kernel's zero pages) */
	per = (size_t)st->cfg.rcvbuf + st->cfg.sndbuf;
	st->bufmem_len = per * st->cfg.max_conns;
	st->bufmem = mmap(NULL, st->bufmem_len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (st->bufmem == MAP_FAILED)
		st->bufmem = NULL;
	if (st->features & EXONET_DEV_ZC)
		st->defer = calloc(EN_DEFER_MAX, sizeof(*st->defer));
	if (!st->hash || !st->conns || !st->sqmem || !st->bufmem || en_tw_init(st) ||
	    ((st->features & EXONET_DEV_ZC) && !st->defer))
		goto fail;
	en_orphan_init(st);
	for (i = st->cfg.max_conns; i-- > 0; ) {
		struct exonet_sock *s = &st->conns[i];

		s->idx = i;
		s->rbuf = st->bufmem + per * i;
		s->sbuf = s->rbuf + st->cfg.rcvbuf;
		s->sq = st->sqmem + (size_t)st->cfg.sndq_refs * i;
		s->timer.fn = en_conn_timer_fire;
		s->st = st;
		s->hnext = st->free_head;
		st->free_head = i + 1;
	}
	st->listener.flags = CF_LISTENER | CF_APP;
	st->listener.st = st;
	st->listener.state = EXONET_CLOSED;
	st->now_ns = st->dev.now_ns(st->dev.ctx);
	st->now_ms = st->now_ns / 1000000;
	st->wheel_now = st->now_ms;
	return st;
fail:
	exonet_free(st);
	errno = ENOMEM;
	return NULL;
}

void exonet_free(struct exonet *st)
{
	uint32_t i;

	if (!st)
		return;
	if (st->conns) {
		for (i = 0; i < st->cfg.max_conns; i++)
			if (st->conns[i].flags & CF_USED)
				en_sq_drop(st, &st->conns[i]);
	}
	if (st->defer_count) {
		/*
		 * Releases still waiting for packets in flight: give the
		 * device a while (bounded) to finish with them, then
		 * release anyway (the application's frames stay safe: exo
		 * holds a frame until its packets are gone).
		 */
		st->dev.xmit_flush(st->dev.ctx);
		for (i = 0; i < 2000 && st->defer_count; i++) {
			struct timespec ts = { 0, 1000000 };

			en_defer_run(st);
			if (st->defer_count)
				nanosleep(&ts, NULL);
		}
		while (st->defer_count) {
			struct en_defer *d = &st->defer[st->defer_head++ % EN_DEFER_MAX];

			st->defer_count--;
			d->release(d->cookie);
			st->stats.refs_released++;
		}
	}
	if (st->dev.destroy)
		st->dev.destroy(st->dev.ctx);
	if (st->bufmem)
		munmap(st->bufmem, st->bufmem_len);
	free(st->sqmem);
	free(st->conns);
	free(st->hash);
	free(st->tw);
	free(st->tw_hash);
	free(st->defer);
	free(st);
}

/* ---- zero-copy transmit: the region, completions, deferred releases ---- */

int exonet_tx_region(struct exonet *st, const void *base, size_t len,
		     const unsigned long long *frames)
{
	if (!(st->features & EXONET_DEV_ZC))
		return -EOPNOTSUPP;
	if (len && (!base || !frames || ((uintptr_t)base & 4095) || (len & 4095)))
		return -EINVAL;
	st->zc_base = len ? base : NULL;
	st->zc_len = len;
	st->zc_frames = len ? frames : NULL;
	return 0;
}

uint32_t exonet_features(const struct exonet *st)
{
	return st->features;
}

/* Is the descriptor of @token sent and gone? */
bool en_tx_complete(struct exonet *st, uint32_t token)
{
	return (int32_t)(st->dev.tx_done(st->dev.ctx) - token) > 0;
}

/*
 * Release a send-queue entry the stack is done with (acknowledged or
 * dropped): at once, unless a descriptor that referenced its bytes may
 * still be in flight; then when the device's completion passes it.
 */
void en_release(struct exonet *st, struct en_sref *e)
{
	if (e->release) {
		if (e->zc && !en_tx_complete(st, e->token)) {
			struct en_defer *d;

			if (st->defer_count == EN_DEFER_MAX) {
				/* never seen: the bound is the ring's frames
				 * in flight; wait for the oldest */
				struct timespec ts = { 0, 100000 };

				st->dev.xmit_flush(st->dev.ctx);
				while (!en_tx_complete(st, st->defer[st->defer_head % EN_DEFER_MAX].token))
					nanosleep(&ts, NULL);
				en_defer_run(st);
			}
			d = &st->defer[(st->defer_head + st->defer_count++) % EN_DEFER_MAX];
			d->release = e->release;
			d->cookie = e->cookie;
			d->token = e->token;
			st->stats.tx_releases_deferred++;
		} else {
			e->release(e->cookie);
			st->stats.refs_released++;
		}
	}
	e->release = NULL;
	e->zc = false;
}

/* Run the deferred releases whose descriptors are complete, in order. */
void en_defer_run(struct exonet *st)
{
	while (st->defer_count) {
		struct en_defer *d = &st->defer[st->defer_head % EN_DEFER_MAX];

		if (!en_tx_complete(st, d->token))
			break;
		st->defer_head++;
		st->defer_count--;
		d->release(d->cookie);
		st->stats.refs_released++;
	}
}

/* Queue an event for @s (edge: once until the application is told). */
void en_notify(struct exonet *st, struct exonet_sock *s, uint32_t ev)
{
	if (!(s->flags & CF_APP))
		return;		/* nobody to tell: not accepted, or closed */
	s->ev_pending |= ev;
	if (s->flags & CF_READYQ)
		return;
	s->flags |= CF_READYQ;
	s->next_ready = NULL;
	if (st->ready_tail)
		st->ready_tail->next_ready = s;
	else
		st->ready_head = s;
	st->ready_tail = s;
}

void en_want_output(struct exonet *st, struct exonet_sock *s)
{
	if (s->flags & CF_OUTQ)
		return;
	s->flags |= CF_OUTQ;
	s->next_out = st->out_head;
	st->out_head = s;
}

/* Only an ACK for in-order data is owed: it may wait for a response. */
static bool delack_only(const struct exonet_sock *s)
{
	return (s->flags & (CF_DELACK | CF_ACKNOW | CF_SYNACK | CF_PROBE |
			    CF_KEEPALIVE)) == CF_DELACK &&
	       s->snd_nxt == s->snd_una + s->sq_bytes + 0 &&
	       !(s->flags & CF_FIN_QUEUED);
}

/* Run output for every connection that asked; @all: delayed ACKs too. */
static void output_all(struct exonet *st, bool all)
{
	struct exonet_sock *s = st->out_head, *keep = NULL;

	st->out_head = NULL;
	while (s) {
		struct exonet_sock *nx = s->next_out;

		if (!all && delack_only(s)) {
			s->next_out = keep;
			keep = s;
		} else {
			s->flags &= ~CF_OUTQ;
			if (s->flags & CF_USED)
				en_tcp_output(st, s);
		}
		s = nx;
	}
	/* output may have queued more (it does not); keep the deferred */
	while (keep) {
		struct exonet_sock *nx = keep->next_out;

		keep->next_out = st->out_head;
		st->out_head = keep;
		keep = nx;
	}
}

static void clock_tick(struct exonet *st)
{
	st->now_ns = st->dev.now_ns(st->dev.ctx);
	st->now_ms = st->now_ns / 1000000;
}

int exonet_flush(struct exonet *st)
{
	struct exonet_sock *s;
	int ret;

	clock_tick(st);
	for (s = st->out_head; s; s = s->next_out)
		s->flags |= CF_FORCE;
	output_all(st, true);
	ret = st->dev.xmit_flush(st->dev.ctx);
	if (st->defer_count)
		en_defer_run(st);
	return ret < 0 ? ret : 0;
}

/*
 * A drain at @now found @n frames, the oldest stamped @oldest: account
 * how long it waited and what the interval before was spent on (asleep,
 * the application, the stack).  Frames the ring drops when full are
 * counted by the device; these maxima say why it filled.
 */
static void drain_note(struct exonet *st, uint64_t now, unsigned int n, uint64_t oldest)
{
	struct exonet_stats *x = &st->stats;
	uint64_t gap = st->drain_ns && now > st->drain_ns ? now - st->drain_ns : 0;
	uint64_t awake = gap > st->gap_sleep_ns ? gap - st->gap_sleep_ns : 0;

	if (n && oldest && oldest <= now && (now - oldest) / 1000 > x->rx_wait_max_us) {
		x->rx_wait_max_us = (now - oldest) / 1000;
		x->rx_wait_sleep_us = st->gap_sleep_ns / 1000;
		x->rx_wait_app_us = st->gap_app_ns / 1000;
		x->rx_wait_gap_us = gap / 1000;
		x->rx_wait_frames = n;
	}
	if (awake / 1000 > x->rx_gap_max_us) {
		x->rx_gap_max_us = awake / 1000;
		x->rx_gap_app_us = st->gap_app_ns / 1000;
	}
	st->drain_ns = now;
	st->gap_sleep_ns = st->gap_app_ns = 0;
}

/*
 * Receive one burst and process it.  Returns the frames processed, and in
 * *@oldest the first one's arrival stamp (0: none, or not stamped).
 */
static unsigned int rx_step(struct exonet *st, uint64_t *oldest)
{
	struct exonet_rxpkt pkts[EN_RX_BURST];
	unsigned int n, i;

	pkts[0].tstamp_ns = 0;
	n = st->dev.rx_burst(st->dev.ctx, pkts,
			     st->cfg.flags & EXONET_CFG_WAKE_PER_PACKET ? 1 : EN_RX_BURST);
	*oldest = n ? pkts[0].tstamp_ns : 0;
	for (i = 0; i < n; i++)
		en_eth_input(st, pkts[i].data, pkts[i].len);
	if (n)
		st->dev.rx_release(st->dev.ctx, n);
	return n;
}

/*
 * One step of exonet_poll() ran from @t0 to @end: output and the receive
 * burst (@got frames) until @t2, then timers, output and events.  Keep
 * the longest, and where its time went.  (One clock read per step more
 * than the stack needs: @end.)
 */
static void step_note(struct exonet *st, uint64_t t0, uint64_t t2, uint64_t end,
		      unsigned int got)
{
	struct exonet_stats *x = &st->stats;

	if (end < t2 || t2 < t0 || (end - t0) / 1000 <= x->step_max_us)
		return;
	x->step_max_us = (end - t0) / 1000;
	x->step_rx_us = (t2 - t0) / 1000;
	x->step_timer_us = (end - t2) / 1000;
	x->step_frames = got;
}

static int take_events(struct exonet *st, struct exonet_event *evs, int max)
{
	int n = 0;

	while (st->ready_head && n < max) {
		struct exonet_sock *s = st->ready_head;

		st->ready_head = s->next_ready;
		if (!st->ready_head)
			st->ready_tail = NULL;
		s->flags &= ~CF_READYQ;
		if (!s->ev_pending)
			continue;
		evs[n].sock = s;
		evs[n].user = s->user;
		evs[n].events = s->ev_pending;
		evs[n].__pad = 0;
		s->ev_pending = 0;
		n++;
	}
	return n;
}

int exonet_poll(struct exonet *st, struct exonet_event *evs, int max,
		int timeout_ms)
{
	uint64_t limit;
	int n, ret;

	if (max <= 0)
		return -EINVAL;
	clock_tick(st);
	if (st->poll_out_ns && st->now_ns > st->poll_out_ns)
		st->gap_app_ns += st->now_ns - st->poll_out_ns;
	st->poll_out_ns = 0;
	limit = timeout_ms < 0 ? UINT64_MAX : st->now_ns + (uint64_t)timeout_ms * 1000000;
	for (;;) {
		uint64_t t0 = st->now_ns, end, oldest;
		unsigned int got;
		bool sleep;

		/* what the application wrote since the last step, ACKs on it */
		output_all(st, true);
		got = rx_step(st, &oldest);
		if (st->defer_count)
			en_defer_run(st);
		clock_tick(st);
		drain_note(st, st->now_ns, got, oldest);
		en_timer_run(st);
		output_all(st, false);
		n = take_events(st, evs, max);
		end = st->dev.now_ns(st->dev.ctx);
		step_note(st, t0, st->now_ns, end, got);
		/*
		 * The step ends in a sleep when there is nothing to hand back,
		 * time left, and no frame read (more may be waiting: no sleep
		 * yet, unless each frame is to cost a wakeup,
		 * EXONET_CFG_WAKE_PER_PACKET).  A device whose wait sends
		 * first (EXONET_DEV_WAIT_TX) is then not kicked separately.
		 */
		sleep = !n && st->now_ns < limit && st->dev.wait &&
			(!got || (st->cfg.flags & EXONET_CFG_WAKE_PER_PACKET));
		if (!sleep || !(st->dev.features & EXONET_DEV_WAIT_TX)) {
			ret = st->dev.xmit_flush(st->dev.ctx);
			if (ret < 0 && ret != -ENOBUFS) {
				st->poll_out_ns = end;
				return ret;
			}
		}
		if (n || st->now_ns >= limit) {
			st->poll_out_ns = end;
			return n;
		}
		if (got && !(st->cfg.flags & EXONET_CFG_WAKE_PER_PACKET))
			continue;
		{
			uint64_t next = en_timer_next(st), dl = limit;

			if (st->out_head) {
				output_all(st, true);
				if (!(st->dev.features & EXONET_DEV_WAIT_TX))
					st->dev.xmit_flush(st->dev.ctx);
			}
			if (next != UINT64_MAX && next * 1000000 < dl)
				dl = next * 1000000;
			/*
			 * still owed: the transmit ring was full; retry soon
			 * (also releases waiting for transmit completions,
			 * which wake nobody)
			 */
			if ((st->out_head || st->defer_count) &&
			    st->now_ns + 1000000 < dl)
				dl = st->now_ns + 1000000;
			if (!st->dev.wait) {
				if (dl > st->now_ns) {
					/* no way to sleep: the caller loops */
					st->poll_out_ns = end;
					return 0;
				}
				continue;
			}
			ret = st->dev.wait(st->dev.ctx, dl);
			clock_tick(st);
			if (st->now_ns > end)
				st->gap_sleep_ns += st->now_ns - end;
			/* a signal, or the device gone (ENODEV): the caller's */
			if (ret < 0 && ret != -ETIME) {
				st->poll_out_ns = st->now_ns;
				return ret;
			}
		}
	}
}

uint64_t exonet_now_ms(const struct exonet *st)
{
	return st->dev.now_ns(st->dev.ctx) / 1000000;
}

void exonet_stats(const struct exonet *st, struct exonet_stats *out)
{
	*out = st->stats;
}

void exonet_stats_clear_max(struct exonet *st)
{
	struct exonet_stats *x = &st->stats;

	x->rx_wait_max_us = x->rx_wait_sleep_us = x->rx_wait_app_us = 0;
	x->rx_wait_gap_us = x->rx_wait_frames = 0;
	x->rx_gap_max_us = x->rx_gap_app_us = 0;
	x->step_max_us = x->step_rx_us = x->step_timer_us = x->step_frames = 0;
}

unsigned int exonet_conn_count(const struct exonet *st)
{
	return st->nconns;
}

unsigned int exonet_timewait_count(const struct exonet *st)
{
	return st->tw_live;
}
