/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Packet parsing for the exo XDP programs (filters and ASHs).
 *
 * exo hands a filter the copy of a packet in its ring slot, from the
 * Ethernet header on.  Every helper here checks its bounds against
 * data_end before it returns a pointer, so the verifier accepts each
 * access the caller makes through it; a packet too short or malformed
 * for a header yields NULL and the caller passes it on untouched.
 */
#ifndef EXO_BPF_PKT_H
#define EXO_BPF_PKT_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define IP_MF		0x2000	/* more fragments */
#define IP_OFFSET	0x1fff	/* fragment offset, in 8-byte units */

/*
 * The IPv4 header of the packet in [data, data_end), with its options
 * (ihl > 5) inside the packet, and *@l4 set to the byte after it; NULL if
 * the frame is not IPv4 or too short.
 */
static __always_inline struct iphdr *exo_ipv4(void *data, void *data_end,
					       void **l4)
{
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u32 ihl;

	if ((void *)(eth + 1) > data_end)
		return NULL;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return NULL;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return NULL;
	if (ip->version != 4)
		return NULL;
	ihl = ip->ihl;
	if (ihl < 5)
		return NULL;
	/* ihl is 4 bits: the verifier sees at most 60 bytes added. */
	*l4 = (void *)ip + ihl * 4;
	if (*l4 > data_end)
		return NULL;
	return ip;
}

/* True for a fragment that does not start at the transport header. */
static __always_inline int exo_ip_later_fragment(const struct iphdr *ip)
{
	return (ip->frag_off & bpf_htons(IP_OFFSET)) != 0;
}

/* True for any fragment, the first one included. */
static __always_inline int exo_ip_fragment(const struct iphdr *ip)
{
	return (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET)) != 0;
}

/* Fold a 32-bit one's-complement sum into 16 bits (RFC 1071). */
static __always_inline __u16 exo_csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/*
 * A checksum field @csum (network order) after the 16-bit word it covers
 * changed from @old to @new (both network order): RFC 1624, eqn. 3,
 * HC' = ~(~HC + ~m + m').
 *
 * Eqn. 3 answers 0x0000 when the data now sums to zero, either zero: -0
 * (0xffff), for which 0x0000 and 0xffff both verify, or +0 (every word
 * zero: an ICMP echo of id 0, sequence 0 and no data), for which only
 * 0xffff does.  So 0x0000 becomes 0xffff, which is right in both cases.
 */
static __always_inline __u16 exo_csum_replace2(__u16 csum, __u16 old,
					       __u16 new)
{
	__u32 sum = (__u16)~csum;
	__u16 res;

	sum += (__u16)~old;
	sum += new;
	res = (__u16)~exo_csum_fold(sum);
	return res ? res : 0xffff;
}

/* Exchange the Ethernet source and destination addresses. */
static __always_inline void exo_swap_mac(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

/*
 * Exchange the IPv4 addresses.  The header checksum is a sum of 16-bit
 * words, so it does not change; nor does a UDP or TCP checksum, whose
 * pseudo-header holds both addresses.
 */
static __always_inline void exo_swap_ip(struct iphdr *ip)
{
	__be32 tmp = ip->saddr;

	ip->saddr = ip->daddr;
	ip->daddr = tmp;
}

#endif /* EXO_BPF_PKT_H */
