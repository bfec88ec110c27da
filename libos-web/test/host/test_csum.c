// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * test_csum — ones'-complement sums: RFC 1071's worked example, a real
 * TCP checksum, the prefix-sum table against direct sums over random
 * ranges (odd and even offsets, every edge), incremental patching.
 */
#include <stdlib.h>

#include "http.h"
#include "tap.h"

/* 0 and 0xffff are the same ones'-complement number. */
static uint16_t norm(uint16_t s)
{
	return s == 0xffff ? 0 : s;
}

int main(void)
{
	static const uint8_t rfc1071[] = { 0x00, 0x01, 0xf2, 0x03,
					   0xf4, 0xf5, 0xf6, 0xf7 };
	/* An IPv4 header whose checksum field (bytes 10-11) is 0xb861. */
	static const uint8_t ip[] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
	};
	size_t len = 1 << 20;
	uint8_t *buf = malloc(len);
	uint16_t *tab = malloc(http_csum_table_len(len) * sizeof(*tab));
	int bad = 0;

	tap_eq(http_csum(rfc1071, sizeof(rfc1071), 0), 0xddf2,
	       "RFC 1071 section 3's example sums to ddf2");
	tap_eq(norm(http_csum(ip, sizeof(ip), 0)), 0,
	       "an IPv4 header with its checksum sums to ffff");
	tap_eq(http_csum("\x12", 1, 0), 0x1200, "an odd byte is a high byte");

	srand(2);
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)rand();
	http_csum_table(buf, len, tab);
	for (int i = 0; i < 20000; i++) {
		size_t off = (size_t)rand() % len;
		size_t n = (size_t)rand() % (len - off + 1);

		if (i % 4 == 0)
			n %= 3 * HTTP_CSUM_STEP;	/* short ranges */
		if (norm(http_csum_range(buf, tab, off, n)) !=
		    norm(http_csum(buf + off, n, 0)))
			bad++;
	}
	tap_eq(bad, 0, "table sums equal direct sums over 20000 random ranges");

	bad = 0;
	for (size_t off = 0; off < 3 * HTTP_CSUM_STEP; off++)
		for (size_t n = 0; n < 3 * HTTP_CSUM_STEP; n++)
			if (norm(http_csum_range(buf, tab, off, n)) !=
			    norm(http_csum(buf + off, n, 0)))
				bad++;
	tap_eq(bad, 0, "every offset and length near the table's steps");

	/* a segment = header (odd length) + file bytes: the sum of pieces */
	{
		uint8_t seg[1460];
		size_t h = 251, foff = 12345;
		uint16_t whole, parts;

		memset(seg, 'H', h);
		memcpy(seg + h, buf + foff, sizeof(seg) - h);
		whole = http_csum(seg, sizeof(seg), 0);
		parts = http_csum_add(http_csum(seg, h, 0),
				      http_csum_swap(http_csum_range(
					      buf, tab, foff, sizeof(seg) - h)));
		tap_eq(norm(parts), norm(whole),
		       "an odd-length head then file bytes: sum of the pieces");
	}

	/* RFC 1624: replace 29 bytes in place, patch the sum */
	{
		char a[300];
		uint16_t s, old, new;

		memset(a, 'x', sizeof(a));
		s = http_csum(a, sizeof(a), 0);
		old = http_csum_swap(http_csum(a + 101, 29, 0));
		memcpy(a + 101, "Sun, 06 Nov 1994 08:49:37 GMT", 29);
		new = http_csum_swap(http_csum(a + 101, 29, 0));
		s = http_csum_add(http_csum_sub(s, old), new);
		tap_eq(norm(s), norm(http_csum(a, sizeof(a), 0)),
		       "a patched sum equals the sum recomputed");
	}
	tap_eq(http_csum_table_len(0), 1, "an empty file has one table entry");
	free(buf);
	free(tab);
	return tap_done();
}
