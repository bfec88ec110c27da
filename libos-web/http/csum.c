// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * csum.c — the Internet checksum's ones'-complement sum (RFC 1071) and the
 * per-file tables that make Cheetah's precomputed checksums possible.
 *
 * The sum of a TCP segment's payload is the sum of its pieces, each
 * byte-swapped if it starts at an odd offset (RFC 1071 2(B)), so a segment
 * of [response header][file bytes a..b) costs the header's sum (prebuilt,
 * patched for the Date by RFC 1624 arithmetic) plus the sum of the file's
 * range.  Cheetah stored one sum per MSS-sized chunk, which fixes the
 * segment boundaries; here the table holds prefix sums every
 * HTTP_CSUM_STEP bytes, so any range -- whatever the header length before
 * it, the MSS, or where a retransmission after a partial ACK starts --
 * costs two table reads and at most 2 * (HTTP_CSUM_STEP - 1) bytes read
 * at its edges, for 2 / HTTP_CSUM_STEP of the file's size in memory.
 */
#include <string.h>

#include "http.h"

static uint16_t fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

uint16_t http_csum_add(uint16_t a, uint16_t b)
{
	return fold((uint32_t)a + b);
}

/* a - b in ones' complement: a + ~b (RFC 1624 eqn. 3). */
uint16_t http_csum_sub(uint16_t a, uint16_t b)
{
	return fold((uint32_t)a + (uint16_t)~b);
}

uint16_t http_csum(const void *buf, size_t len, uint16_t sum)
{
	const uint8_t *p = buf;
	uint64_t s = 0;

	/* Big-endian 16-bit words, 4 at a time into a 64-bit accumulator
	 * (no carry can be lost: 2^48 words before it could overflow). */
	while (len >= 8) {
		s += (uint32_t)(p[0] << 8 | p[1]) + (uint32_t)(p[2] << 8 | p[3]) +
		     (uint32_t)(p[4] << 8 | p[5]) + (uint32_t)(p[6] << 8 | p[7]);
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		s += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)p[0] << 8;
	return http_csum_add(fold(s), sum);
}

size_t http_csum_table_len(size_t len)
{
	return len / HTTP_CSUM_STEP + 1;
}

void http_csum_table(const void *buf, size_t len, uint16_t *tab)
{
	const uint8_t *p = buf;
	uint16_t s = 0;
	size_t k;

	tab[0] = 0;
	for (k = 1; k * HTTP_CSUM_STEP <= len; k++) {
		s = http_csum(p + (k - 1) * HTTP_CSUM_STEP, HTTP_CSUM_STEP, s);
		tab[k] = s;
	}
}

/*
 * Sum of buf[off, off + len) in the buffer's own lanes (byte i is a high
 * byte when i is even), from the table and the bytes at the two edges.
 * HTTP_CSUM_STEP is even, so table entries are lane-aligned.
 */
static uint16_t lane_sum(const uint8_t *buf, const uint16_t *tab, size_t off,
			 size_t len)
{
	size_t end = off + len;
	size_t ka = (off + HTTP_CSUM_STEP - 1) / HTTP_CSUM_STEP;
	size_t kb = end / HTTP_CSUM_STEP;
	uint16_t s, edge;

	if (ka >= kb) {			/* within two steps: just add it up */
		s = http_csum(buf + off, len, 0);
		return off & 1 ? http_csum_swap(s) : s;
	}
	s = http_csum_sub(tab[kb], tab[ka]);
	edge = http_csum(buf + off, ka * HTTP_CSUM_STEP - off, 0);
	s = http_csum_add(s, off & 1 ? http_csum_swap(edge) : edge);
	edge = http_csum(buf + kb * HTTP_CSUM_STEP, end - kb * HTTP_CSUM_STEP, 0);
	return http_csum_add(s, edge);
}

uint16_t http_csum_range(const void *buf, const uint16_t *tab, size_t off,
			 size_t len)
{
	uint16_t s;

	if (!tab) {
		return http_csum((const uint8_t *)buf + off, len, 0);
	}
	s = lane_sum(buf, tab, off, len);
	return off & 1 ? http_csum_swap(s) : s;
}
