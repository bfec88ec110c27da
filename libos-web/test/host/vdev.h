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
	uint64_t tstamp_ns;		/* the virtual clock at injection */
};

/* One transmit descriptor as the stack handed it to the device. */
struct vdesc {
	uint32_t flags;			/* EXONET_TX_* */
	uint32_t mss, segs;		/* frames it became */
	uint32_t nfrags, nref;		/* fragments, of them referenced */
	uint32_t inline_len;		/* headers + copied bytes */
	uint32_t payload;
	uint32_t token;
	uint32_t first_frame;		/* index in tx[] of its first frame */
	const uint8_t *ref[EXONET_XMIT_MAX_FRAGS];	/* referenced bytes */
	uint32_t ref_len[EXONET_XMIT_MAX_FRAGS];
};

/* Is any byte of [p, p+len) referenced by a descriptor not yet complete? */
struct vdev;
int vdev_in_flight(const struct vdev *v, const void *p, size_t len);

struct vdev {
	struct vframe rx[VDEV_RX_MAX];
	unsigned int rx_head, rx_count, rx_peeked;
	struct vframe *tx;		/* captured, in order */
	unsigned int tx_count, tx_pending;	/* pending: xmit'ed, not flushed */
	unsigned int tx_limit;		/* ring size: xmit fails beyond it */
	unsigned int flushes;
	uint64_t now_ns;
	/* offloads (vdev_offload): the device cuts TSO descriptors and
	 * finishes checksums as exo's kernel side does, and checks every
	 * referenced fragment against the registered frames */
	uint32_t features;
	const uint8_t *zc_base;
	size_t zc_len;
	const unsigned long long *zc_frames;
	uint32_t tx_index, tx_done;	/* tokens; completions at flush */
	int tx_hold;			/* 1: flush completes nothing */
	struct vdesc *descs;		/* every descriptor, in order */
	unsigned int ndescs;
};

extern const uint8_t vdev_mac[6], vdev_peer_mac[6];

/* A device for exonet_new() over @v (MAC vdev_mac, MTU 1500). */
void vdev_init(struct vdev *v, struct exonet_dev *dev);
void vdev_fini(struct vdev *v);
/*
 * Give the device @features (EXONET_DEV_*) and the frames of the stack's
 * transmit region (@base, @len, @frames as exonet_tx_region() gets them).
 */
void vdev_offload(struct vdev *v, struct exonet_dev *dev, uint32_t features,
		  const void *base, size_t len, const unsigned long long *frames);
/* Complete every descriptor queued so far (tx_done catches up). */
void vdev_complete(struct vdev *v);
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
