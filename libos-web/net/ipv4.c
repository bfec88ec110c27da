// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * ipv4.c — IPv4 (RFC 791) input checks and output headers.
 *
 * Input trusts nothing: version, header length, total length against the
 * frame, header checksum, fragments (exo hands fragments to Linux, so one
 * here is malformed), destination (ours), source (a unicast host other
 * than us: RFC 1122 3.2.1.3 and RFC 9293 3.10.7: never answer a broadcast
 * or multicast source; martians are counted apart).  Options are skipped, not interpreted.  Output: no options, DF
 * set (we never fragment; the MSS keeps us within the MTU), TTL 64.
 */
#include <arpa/inet.h>
#include <string.h>

#include "stack.h"

/*
 * A source address no peer can have (RFC 1122 3.2.1.3, RFC 1812 5.3.7,
 * Linux's martians): "this network" 0/8, loopback 127/8, multicast,
 * limited broadcast and class E 240/4; or our own address (a spoofed or
 * looped frame: a connection to ourselves through exo is not one we serve).
 */
static bool martian(const struct exonet *st, uint32_t a)
{
	uint32_t h = ntohl(a);

	return a == st->laddr || (h >> 24) == 0 || (h >> 24) == 0x7f ||
	       (h >> 28) == 0xe || (h >> 28) == 0xf;
}

void en_ipv4_input(struct exonet *st, const uint8_t *smac, const uint8_t *p,
		   uint32_t len)
{
	uint32_t ihl, tot, saddr, daddr;
	uint16_t v, frag;

	if (len < EN_IP_HLEN || (p[0] >> 4) != 4)
		goto bad;
	ihl = (p[0] & 0xf) * 4u;
	memcpy(&v, p + 2, 2);
	tot = ntohs(v);
	/* the frame may carry Ethernet padding past tot_len, never less */
	if (ihl < EN_IP_HLEN || tot < ihl || tot > len)
		goto bad;
	if (en_csum(p, ihl) != 0) {
		st->stats.rx_bad_csum++;
		return;
	}
	memcpy(&frag, p + 6, 2);
	if (ntohs(frag) & 0x3fff)	/* MF or an offset: a fragment */
		goto bad;
	memcpy(&saddr, p + 12, 4);
	memcpy(&daddr, p + 16, 4);
	if (daddr != st->laddr) {
		st->stats.rx_not_ours++;
		return;
	}
	if (martian(st, saddr)) {
		st->stats.rx_martian++;
		return;
	}
	if (p[9] == 6) {
		struct en_seg seg;

		if (en_tcp_parse(st, p, ihl, p + ihl, tot - ihl, &seg))
			return;		/* counted by the parser */
		seg.smac = smac;
		en_tcp_input(st, &seg);
		return;
	}
	if (p[9] == 1) {
		en_icmp_input(st, smac, p, ihl, p + ihl, tot - ihl);
		return;
	}
	st->stats.rx_not_ours++;
	return;
bad:
	st->stats.rx_bad_ip++;
}

uint32_t en_ip_header(struct exonet *st, uint8_t *h, const uint8_t *dmac,
		      uint32_t daddr, uint8_t proto, uint32_t payload_len)
{
	uint16_t v, c;
	uint8_t *ip = h + EN_ETH_HLEN;

	memcpy(h, dmac, 6);
	memcpy(h + 6, st->dev.mac, 6);
	h[12] = 0x08;
	h[13] = 0x00;
	ip[0] = 0x45;
	ip[1] = 0;
	v = htons((uint16_t)(EN_IP_HLEN + payload_len));
	memcpy(ip + 2, &v, 2);
	memset(ip + 4, 0, 2);		/* ID: 0 is fine with DF (RFC 6864) */
	v = htons(0x4000);		/* DF */
	memcpy(ip + 6, &v, 2);
	ip[8] = 64;
	ip[9] = proto;
	memset(ip + 10, 0, 2);
	memcpy(ip + 12, &st->laddr, 4);
	memcpy(ip + 16, &daddr, 4);
	c = en_csum(ip, EN_IP_HLEN);
	memcpy(ip + 10, &c, 2);
	return EN_ETH_HLEN + EN_IP_HLEN;
}
