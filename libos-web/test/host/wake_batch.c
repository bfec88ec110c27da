// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * wake_batch.c — exonet_poll()'s batching of received frames, on and off
 * (EXONET_CFG_WAKE_PER_PACKET, exo-httpd --no-batch-wakeup).
 *
 * Eight SYNs wait on the virtual wire; one exonet_poll() with a 50 ms
 * timeout answers them.  Batched: one receive burst takes all eight, one
 * flush sends the eight SYN-ACKs, and the device's wait is entered once
 * (when nothing is left).  Per packet: eight bursts of one frame, a flush
 * and a wait after each (the last one, the wire empty, sleeps).  The
 * wait here returns at once while a frame waits (as exo's does: the
 * predicate sees it) and otherwise moves the virtual clock to its
 * deadline, as a sleep would.
 *
 * A device whose wait sends first (EXONET_DEV_WAIT_TX, exo's EXO_WAIT_TX):
 * the eight connections established, a write on each between two polls;
 * the poll that ends in a sleep sends the eight segments through the wait
 * alone, with no flush (kick) of its own, where a device without the
 * feature is flushed and then waits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "vdev.h"

#define NSYN	8
#define TH_SYN	0x02
#define TH_ACK	0x10

static struct vdev v;
static unsigned int waits, bursts, frames_in_bursts[NSYN + 4], kicks;
static unsigned int sent_by_wait;
static bool wait_tx;			/* the device's wait sends first */
static unsigned int (*v_burst)(void *, struct exonet_rxpkt *, unsigned int);
static int (*v_flush)(void *);

static int count_wait(void *ctx, uint64_t deadline)
{
	struct vdev *d = ctx;

	waits++;
	if (wait_tx) {
		int n = v_flush(ctx);

		sent_by_wait += n > 0 ? (unsigned int)n : 0;
	}
	if (d->rx_count)
		return 0;	/* a frame waits: exo's predicate sees it */
	if (deadline > d->now_ns)
		d->now_ns = deadline;
	return -ETIME;
}

static unsigned int count_burst(void *ctx, struct exonet_rxpkt *p, unsigned int max)
{
	unsigned int n = v_burst(ctx, p, max);

	if (n && bursts < sizeof(frames_in_bursts) / sizeof(frames_in_bursts[0]))
		frames_in_bursts[bursts++] = n;
	return n;
}

/* Flushes that sent something: exo's transmit kicks. */
static int count_flush(void *ctx)
{
	int n = v_flush(ctx);

	kicks += n > 0;
	return n;
}

static struct vseg seg(uint32_t paddr, uint32_t laddr, unsigned int i,
		       uint32_t seq, uint8_t flags)
{
	struct vseg s = { 0 };

	s.saddr = paddr, s.daddr = laddr, s.sport = (uint16_t)(5000 + i);
	s.dport = 80, s.seq = seq, s.flags = flags, s.wnd = 65535;
	return s;
}

/*
 * Returns the SYN-ACKs sent, each port once; with @write, then the data
 * segments of a write on each connection, sent by the poll after it.
 */
static unsigned int run(uint32_t flags, bool write)
{
	struct exonet_config cfg;
	struct exonet_dev dev;
	struct exonet_event ev[16];
	struct exonet *st;
	struct exonet_sock *ls = NULL;
	uint32_t laddr, paddr;
	unsigned int i, synacks = 0;

	unsigned int seen = 0;
	uint32_t isn[NSYN];

	waits = bursts = kicks = sent_by_wait = 0;
	memset(&v, 0, sizeof(v));
	vdev_init(&v, &dev);
	v_burst = dev.rx_burst;
	dev.rx_burst = count_burst;
	dev.wait = count_wait;
	v_flush = dev.xmit_flush;
	dev.xmit_flush = count_flush;
	if (wait_tx)
		dev.features |= EXONET_DEV_WAIT_TX;
	inet_pton(AF_INET, "10.0.0.1", &laddr);
	inet_pton(AF_INET, "10.0.0.2", &paddr);
	exonet_config_init(&cfg);
	cfg.flags = flags;
	st = exonet_new(&dev, laddr, 80, &cfg);
	if (!st || !(ls = exonet_listen(st, 16))) {
		printf("Bail out! exonet_new/listen: %s\n", strerror(errno));
		return 0;
	}
	for (i = 0; i < NSYN; i++) {
		struct vseg s = seg(paddr, laddr, i, 1000 * i, TH_SYN);
		uint8_t f[200];

		memcpy(s.opts, (const uint8_t[]){ 2, 4, 5, 0xb4 }, 4);
		s.optlen = 4;
		vdev_inject(&v, f, vdev_build(f, &s));
	}
	exonet_poll(st, ev, 16, 50);
	for (i = 0; i < v.tx_count; i++) {
		struct vseg r;

		if (!vdev_parse(v.tx[i].data, v.tx[i].len, &r) &&
		    r.flags == (TH_SYN | TH_ACK) && r.dport >= 5000 &&
		    r.dport < 5000 + NSYN && !(seen & (1u << (r.dport - 5000)))) {
			seen |= 1u << (r.dport - 5000);
			isn[r.dport - 5000] = r.seq;
			synacks++;
		}
	}
	if (write && synacks == NSYN) {
		unsigned int acc = 0, before;

		for (i = 0; i < NSYN; i++) {
			struct vseg s = seg(paddr, laddr, i, 1000 * i + 1, TH_ACK);
			uint8_t f[200];

			s.ack = isn[i] + 1;
			vdev_inject(&v, f, vdev_build(f, &s));
		}
		exonet_poll(st, ev, 16, 50);
		for (struct exonet_sock *c; (c = exonet_accept(ls));
		     acc++)
			exonet_write(c, "x", 1, 0);
		if (acc != NSYN)
			printf("# %u connections accepted of %u\n", acc, NSYN);
		before = v.tx_count;
		waits = kicks = sent_by_wait = 0;
		exonet_poll(st, ev, 16, 50);
		synacks = 0;
		for (i = before; i < v.tx_count; i++) {
			struct vseg r;

			if (!vdev_parse(v.tx[i].data, v.tx[i].len, &r) && r.len == 1)
				synacks++;	/* here: the data segments */
		}
	}
	exonet_free(st);
	vdev_fini(&v);
	return synacks;
}

int main(void)
{
	unsigned int i, ones = 0;

	tap_eq(run(0, false), NSYN, "batched: every SYN answered");
	tap_eq(bursts, 1, "batched: one receive burst");
	tap_eq(frames_in_bursts[0], NSYN, "batched: the burst took every frame");
	tap_eq(kicks, 1, "batched: one transmit kick for all the SYN-ACKs");
	tap_eq(waits, 1, "batched: the wait entered once, when nothing was left");

	tap_eq(run(EXONET_CFG_WAKE_PER_PACKET, false), NSYN, "per packet: every SYN answered");
	tap_eq(bursts, NSYN, "per packet: one burst per frame");
	for (i = 0; i < bursts; i++)
		ones += frames_in_bursts[i] == 1;
	tap_eq(ones, NSYN, "per packet: each burst took one frame");
	tap_eq(kicks, NSYN, "per packet: a transmit kick per SYN-ACK");
	tap_eq(waits, NSYN, "per packet: a wait after each frame (the last one sleeps)");

	tap_eq(run(0, true), NSYN, "writes, plain device: each connection's segment sent");
	tap_eq(kicks, 1, "writes, plain device: sent by one flush");
	tap_eq(sent_by_wait, 0, "writes, plain device: the wait sends nothing");
	wait_tx = true;
	tap_eq(run(0, true), NSYN, "writes, EXONET_DEV_WAIT_TX: each connection's segment sent");
	tap_eq(kicks, 0, "writes, EXONET_DEV_WAIT_TX: no flush sent anything");
	tap_eq(sent_by_wait, NSYN, "writes, EXONET_DEV_WAIT_TX: the wait sent all eight");
	tap_eq(waits, 1, "writes, EXONET_DEV_WAIT_TX: one wait");
	wait_tx = false;
	return tap_done();
}
