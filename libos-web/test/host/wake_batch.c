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
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "vdev.h"

#define NSYN	8
#define TH_SYN	0x02
#define TH_ACK	0x10

static struct vdev v;
static unsigned int waits, bursts, frames_in_bursts[NSYN + 4], kicks;
static unsigned int (*v_burst)(void *, struct exonet_rxpkt *, unsigned int);
static int (*v_flush)(void *);

static int count_wait(void *ctx, uint64_t deadline)
{
	struct vdev *d = ctx;

	waits++;
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

/* Returns the SYN-ACKs sent, each port once. */
static unsigned int run(uint32_t flags)
{
	struct exonet_config cfg;
	struct exonet_dev dev;
	struct exonet_event ev[16];
	struct exonet *st;
	uint32_t laddr, paddr;
	unsigned int i, synacks = 0;

	unsigned int seen = 0;

	waits = bursts = kicks = 0;
	memset(&v, 0, sizeof(v));
	vdev_init(&v, &dev);
	v_burst = dev.rx_burst;
	dev.rx_burst = count_burst;
	dev.wait = count_wait;
	v_flush = dev.xmit_flush;
	dev.xmit_flush = count_flush;
	inet_pton(AF_INET, "10.0.0.1", &laddr);
	inet_pton(AF_INET, "10.0.0.2", &paddr);
	exonet_config_init(&cfg);
	cfg.flags = flags;
	st = exonet_new(&dev, laddr, 80, &cfg);
	if (!st || !exonet_listen(st, 16)) {
		printf("Bail out! exonet_new/listen: %s\n", strerror(errno));
		return 0;
	}
	for (i = 0; i < NSYN; i++) {
		struct vseg s = { 0 };
		uint8_t f[200];

		s.saddr = paddr, s.daddr = laddr, s.sport = (uint16_t)(5000 + i);
		s.dport = 80, s.seq = 1000 * i, s.flags = TH_SYN, s.wnd = 65535;
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
			synacks++;
		}
	}
	exonet_free(st);
	vdev_fini(&v);
	return synacks;
}

int main(void)
{
	unsigned int i, ones = 0;

	tap_eq(run(0), NSYN, "batched: every SYN answered");
	tap_eq(bursts, 1, "batched: one receive burst");
	tap_eq(frames_in_bursts[0], NSYN, "batched: the burst took every frame");
	tap_eq(kicks, 1, "batched: one transmit kick for all the SYN-ACKs");
	tap_eq(waits, 1, "batched: the wait entered once, when nothing was left");

	tap_eq(run(EXONET_CFG_WAKE_PER_PACKET), NSYN, "per packet: every SYN answered");
	tap_eq(bursts, NSYN, "per packet: one burst per frame");
	for (i = 0; i < bursts; i++)
		ones += frames_in_bursts[i] == 1;
	tap_eq(ones, NSYN, "per packet: each burst took one frame");
	tap_eq(kicks, NSYN, "per packet: a transmit kick per SYN-ACK");
	tap_eq(waits, NSYN, "per packet: a wait after each frame (the last one sleeps)");
	return tap_done();
}
