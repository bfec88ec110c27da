/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * vdev.h — a virtual wire for host tests of exonet: frames are injected
 * into the stack's receive path and every frame it transmits is captured;
 * the clock is virtual and moves only when the test says so.
 */
#ifndef EXONET_VDEV_H
#define EXONET_VDEV_H

#include <stdint.h>

#include "exonet.h"

#define VDEV_RX_MAX	256
#define VDEV_TX_MAX	4096

struct vframe {
	uint8_t data[EXONET_FRAME_MAX];
	uint32_t len;
};

struct vdev {
	struct vframe rx[VDEV_RX_MAX];
	unsigned int rx_head, rx_count, rx_peeked;
	struct vframe *tx;		/* captured, in order */
	unsigned int tx_count, tx_pending;	/* pending: xmit'ed, not flushed */
	unsigned int tx_limit;		/* ring size: xmit fails beyond it */
	unsigned int flushes;
	uint64_t now_ns;
};

extern const uint8_t vdev_mac[6], vdev_peer_mac[6];

/* A device for exonet_new() over @v (MAC vdev_mac, MTU 1500). */
void vdev_init(struct vdev *v, struct exonet_dev *dev);
void vdev_fini(struct vdev *v);
/* Queue a frame for the stack to receive.  Returns 0, -1 if full. */
int vdev_inject(struct vdev *v, const void *frame, uint32_t len);

#endif

/* A TCP segment as the tests write and read them (host byte order). */
struct vseg {
	uint32_t saddr, daddr;		/* network order */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	uint8_t opts[40];
	uint8_t optlen;
	const uint8_t *data;
	uint32_t len;
	/* parsed options (vdev_parse) */
	int mss, ws, sackok, has_ts;
	uint32_t tsval, tsecr;
	int nsack;
	uint32_t sack[4][2];
	uint8_t smac[6], dmac[6];
};

/* Build an Ethernet/IPv4/TCP frame (checksums right).  Returns its length. */
uint32_t vdev_build(uint8_t *buf, const struct vseg *s);
/* Parse and verify a frame the stack sent.  Returns 0 or a message. */
const char *vdev_parse(const uint8_t *buf, uint32_t len, struct vseg *s);

/* Check the stack's internal invariants.  Returns NULL or what is broken. */
struct exonet;
const char *vdev_invariants(struct exonet *st);
