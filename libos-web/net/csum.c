// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * csum.c — the Internet checksum (RFC 1071) and SipHash-2-4, the keyed
 * hash behind the ISNs (RFC 6528), SYN cookies and the lookup tables.
 */
#include <arpa/inet.h>
#include <string.h>

#include "stack.h"

/*
 * One's-complement sum of @len bytes at @data added to @sum.  @odd: the
 * bytes before these had an odd length, so these start in the low byte of
 * a 16-bit word (RFC 1071 2(B): byte order independence lets us sum
 * swapped and swap back).  Returns the 32-bit running sum (not folded).
 */
uint32_t en_csum_add(uint32_t sum, const void *data, size_t len, bool odd)
{
	const uint8_t *p = data;
	uint64_t acc = 0;
	uint32_t w;

	while (len >= 4) {
		memcpy(&w, p, 4);
		acc += w;
		p += 4, len -= 4;
	}
	if (len >= 2) {
		uint16_t h;

		memcpy(&h, p, 2);
		acc += h;
		p += 2, len -= 2;
	}
	if (len) {
		uint16_t h = 0;

		memcpy(&h, p, 1);	/* a lone last byte, padded with zero */
		acc += h;
	}
	/* fold 64 -> 32 */
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	/*
	 * The words were loaded in host order: the sum is in host order of
	 * the lanes, which RFC 1071 2(B) allows as long as the result is
	 * stored back the same way (memcpy, no byte swap).  Bytes that start
	 * at an odd offset of the whole were summed one lane off: swap the
	 * lanes of their folded sum.
	 */
	if (odd) {
		uint32_t s = (uint32_t)acc;

		/* rotate by 8 within 16-bit lanes after folding to 16 */
		s = (s & 0xffff) + (s >> 16);
		s = (s & 0xffff) + (s >> 16);
		s = ((s & 0xff) << 8) | (s >> 8);
		acc = s;
	}
	acc += sum;
	acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t en_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t en_csum(const void *data, size_t len)
{
	return en_csum_fold(en_csum_add(0, data, len, false));
}

/* The TCP pseudo-header (RFC 9293 3.1): addresses, protocol, length. */
uint32_t en_tcp_pseudo(uint32_t saddr, uint32_t daddr, uint32_t len)
{
	uint8_t ph[12];
	uint16_t l = htons((uint16_t)len);

	memcpy(ph, &saddr, 4);
	memcpy(ph + 4, &daddr, 4);
	ph[8] = 0;
	ph[9] = 6;
	memcpy(ph + 10, &l, 2);
	return en_csum_add(0, ph, sizeof(ph), false);
}

/* SipHash-2-4 (Aumasson and Bernstein, 2012), little-endian. */
#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
} while (0)

uint64_t en_siphash(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0, k1, m, b = (uint64_t)len << 56;
	uint64_t v0, v1, v2, v3;
	size_t i;

	memcpy(&k0, key, 8);
	memcpy(&k1, key + 8, 8);
	v0 = k0 ^ 0x736f6d6570736575ULL;
	v1 = k1 ^ 0x646f72616e646f6dULL;
	v2 = k0 ^ 0x6c7967656e657261ULL;
	v3 = k1 ^ 0x7465646279746573ULL;
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&m, p, 8);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (i = 0; i < len; i++)
		b |= (uint64_t)p[i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}
