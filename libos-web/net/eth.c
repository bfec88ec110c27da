// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * eth.c — Ethernet II in and out.
 *
 * exo's transmit checks admit IPv4 frames with the device's own source MAC
 * only, so this stack never sends ARP: Linux keeps answering ARP for the
 * device's address, and the stack learns each peer's MAC from the frames
 * it receives (the source MAC of the latest segment of a connection is
 * where its replies go; a reply to a lone segment, an RST or an ICMP echo
 * reply, goes back to that segment's source).  A server never needs to
 * ask.  What is not IPv4 is not ours (exo only delivers a flow's frames:
 * anything else here is counted and dropped).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "stack.h"

#define ETH_P_IPV4 0x0800

void en_eth_input(struct exonet *st, const uint8_t *frame, uint32_t len)
{
	uint16_t type;

	st->stats.rx_frames++;
	if (len < EN_ETH_HLEN) {
		st->stats.rx_bad_eth++;
		return;
	}
	memcpy(&type, frame + 12, 2);
	if (ntohs(type) != ETH_P_IPV4) {
		st->stats.rx_bad_eth++;
		return;
	}
	if ((frame[6] & 1) || !memcmp(frame + 6, st->dev.mac, 6)) {
		/* a multicast/broadcast source or our own: never a peer,
		 * never a MAC to learn */
		st->stats.rx_martian++;
		return;
	}
	en_ipv4_input(st, frame + 6, frame + EN_ETH_HLEN, len - EN_ETH_HLEN);
}

/*
 * The one output function: every descriptor the stack sends passes here on
 * its way to the device (headers built, checksums filled or left to the
 * device, payload as copied and referenced fragments: tcp/output.c).
 */
int en_xmit(struct exonet *st, struct exonet_tx *tx)
{
	int ret = st->dev.xmit(st->dev.ctx, tx);

	if (ret == -ENOBUFS) {
		/* ring full: push what is queued out and try once more */
		st->dev.xmit_flush(st->dev.ctx);
		ret = st->dev.xmit(st->dev.ctx, tx);
	}
	if (ret) {
		st->stats.tx_ring_full++;
	} else {
		st->stats.tx_frames++;
		st->stats.tx_tso += !!(tx->flags & EXONET_TX_TSO);
	}
	return ret;
}
