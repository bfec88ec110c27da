// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * icmp.c — ICMP echo (RFC 792): an echo request to our address is
 * answered with the same identifier, sequence and data.  Only when the
 * stack also holds an ICMP flow (exonet_config.icmp, root); otherwise
 * Linux answers pings for the address itself.  Other ICMP messages
 * (unreachable, path MTU) are counted and ignored: the stack never lowers
 * its MSS on their word (not done: RFC 1191 path MTU discovery).
 */
#include <string.h>

#include "stack.h"

void en_icmp_input(struct exonet *st, const uint8_t *smac, const uint8_t *ip,
		   uint32_t ihl, const uint8_t *icmp, uint32_t len)
{
	uint8_t hdr[EN_ETH_HLEN + EN_IP_HLEN + 4];
	struct exonet_frag frag = { 0 };
	struct exonet_tx tx = { .hdr = hdr, .hdrlen = sizeof(hdr), .frags = &frag, .nfrags = 1 };
	uint32_t saddr, sum;
	uint16_t c;

	(void)ihl;
	if (len < 8 || len > EXONET_FRAME_MAX - EN_ETH_HLEN - EN_IP_HLEN ||
	    en_csum(icmp, len) != 0) {
		st->stats.rx_bad_ip++;
		return;
	}
	if (icmp[0] != 8 || icmp[1] != 0) {	/* echo request, code 0 */
		st->stats.rx_not_ours++;
		return;
	}
	memcpy(&saddr, ip + 12, 4);
	en_ip_header(st, hdr, smac, saddr, 1, len);
	hdr[34] = 0;			/* echo reply */
	hdr[35] = 0;
	memset(hdr + 36, 0, 2);
	frag.base = icmp + 4;
	frag.len = len - 4;
	sum = en_csum_add(0, hdr + 34, 4, false);
	sum = en_csum_add(sum, frag.base, frag.len, false);
	c = en_csum_fold(sum);
	memcpy(hdr + 36, &c, 2);
	if (!en_xmit(st, &tx))
		st->stats.icmp_echo++;
}
