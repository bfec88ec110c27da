// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * NIC bindings without the module: argument checks that must fail before
 * any system call, the io_uring commands as the SQE carries them, and the
 * ring cursors of a binding laid over plain memory, with this test playing
 * the kernel's part (filling receive slots, advancing rx_head and tx_tail).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/filter.h>
#include <linux/io_uring.h>

#include "exo.h"
#include "libexo_internal.h"
#include "tap.h"

#define PAGE		4096
#define FLOW		0x0000000700000003ULL

#define CHECK_ERR(expected, call) do {					\
		long long __ret;					\
		errno = 0;						\
		__ret = (long long)(call);				\
		is(-(expected), __ret, #call " returns -" #expected);	\
		is(expected, errno, #call " sets errno = " #expected);	\
	} while (0)

/* A call that returns no error code: check errno alone. */
#define CHECK_ERRNO(expected, call) do {				\
		errno = 0;						\
		call;							\
		is(expected, errno, #call " sets errno = " #expected);	\
	} while (0)

static void bad_args(void)
{
	struct exo_nic_pkt pkt;
	struct exo_nic_counters c;
	struct sock_filter insn = BPF_STMT(BPF_RET | BPF_K, 0xffff);
	unsigned char sqe[2 * sizeof(struct io_uring_sqe)];
	const void *pp = &pkt;
	__u16 len = 60;
	exo_cap_t cap;

	/* Ring sizes are checked first: fd -1 never reaches the kernel. */
	CHECK_ERRNO(EINVAL, ok(!exo_nic__bind(-1, FLOW, 3, 16),
			       "bind with 3 receive frames fails"));
	CHECK_ERRNO(EINVAL, ok(!exo_nic__bind(-1, FLOW, 16, 6),
			       "bind with 6 transmit frames fails"));
	CHECK_ERRNO(EINVAL, ok(!exo_nic__bind(-1, FLOW, 1024, 16),
			       "bind with 1024 receive frames fails"));
	/* 0 picks the default, valid: the frame allocation then hits fd -1. */
	CHECK_ERRNO(EBADF, ok(!exo_nic__bind(-1, FLOW, 0, 0),
			      "bind with default frames reaches the kernel"));
	CHECK_ERRNO(EBADF, ok(!exo_nic__bind(-1, FLOW, 1, 512),
			      "bind with 1 and 512 frames reaches the kernel"));

	CHECK_ERR(EINVAL, exo_nic_attach(-1, NULL));
	CHECK_ERR(ENODEV, exo_nic_attach(-1, "exo-no-such0"));
	CHECK_ERR(EBADF, exo_nic_attach(-1, "lo"));
	CHECK_ERR(EBADF, exo_nic_detach(-1, "lo"));
	CHECK_ERR(EINVAL, exo_flow_alloc(-1, "lo", IPPROTO_UDP, "10.0.0.300",
					 5000, NULL, 0, &cap));
	CHECK_ERR(EINVAL, exo_flow_alloc(-1, "lo", IPPROTO_UDP, "127.0.0.1",
					 5000, "nowhere", 0, &cap));
	CHECK_ERR(EINVAL, exo_flow_alloc(-1, "lo", IPPROTO_UDP, NULL, 5000,
					 NULL, 0, &cap));
	CHECK_ERR(EINVAL, exo_flow_alloc(-1, "lo", IPPROTO_UDP, "127.0.0.1",
					 5000, NULL, 0, NULL));
	CHECK_ERR(ENODEV, exo_flow_alloc(-1, "exo-no-such0", IPPROTO_UDP,
					 "127.0.0.1", 5000, NULL, 0, &cap));
	CHECK_ERR(EBADF, exo_flow_alloc(-1, "lo", IPPROTO_UDP, "127.0.0.1",
					5000, "127.0.0.2", 6000, &cap));

	/* A NULL binding. */
	exo_nic__free(NULL);
	ok(1, "exo_nic__free(NULL) returns");
	CHECK_ERRNO(EINVAL, ok(!exo_nic__ring(NULL), "ring(NULL) is NULL"));
	CHECK_ERRNO(EINVAL, is(0, exo_nic__flow(NULL), "flow(NULL) is 0"));
	CHECK_ERR(EINVAL, exo_nic__env_fd(NULL));
	CHECK_ERRNO(EINVAL, is(0, exo_nic__rx_burst(NULL, &pkt, 1),
			       "rx_burst(NULL) is 0"));
	CHECK_ERRNO(EINVAL, exo_nic__rx_release(NULL, 1));
	CHECK_ERRNO(EINVAL, is(0, exo_nic__rx_pending(NULL),
			       "rx_pending(NULL) is 0"));
	CHECK_ERRNO(EINVAL, ok(!exo_nic__tx_slot(NULL), "tx_slot(NULL)"));
	CHECK_ERRNO(EINVAL, exo_nic__tx_commit(NULL, 60));
	CHECK_ERR(EINVAL, exo_nic__tx_kick(NULL, NULL));
	CHECK_ERR(EINVAL, exo_nic__tx_burst(NULL, &pp, &len, 1));
	CHECK_ERR(EINVAL, exo_nic__stat(NULL, &c));
	CHECK_ERR(EINVAL, exo_nic__filter_ebpf(NULL, 3));
	CHECK_ERR(EINVAL, exo_nic__filter_classic(NULL, &insn, 1));
	CHECK_ERR(EINVAL, exo_nic__filter_clear(NULL));
	CHECK_ERR(EINVAL, exo_nic__prep_tx((void *)sqe, NULL));
	CHECK_ERR(EINVAL, exo_nic__prep_rx((void *)sqe, NULL, 1000));
}

/* Zeroed, page-aligned rings for a binding of @rx and @tx frames. */
static void *rings(unsigned int rx, unsigned int tx)
{
	size_t len = (size_t)(1 + rx + tx) * PAGE;
	void *mem = aligned_alloc(PAGE, len);

	if (mem)
		memset(mem, 0, len);
	return mem;
}

/* The kernel's side: where slot @i of a direction lies. */
static unsigned char *kslot(void *mem, unsigned int first_frame,
			    unsigned int slots, __u32 i)
{
	i &= slots - 1;
	return (unsigned char *)mem + (first_frame + i / 2) * PAGE +
	       (i % 2) * EXO_NIC_SLOT_SIZE;
}

/* The kernel delivers a packet of @len bytes, each byte @fill. */
static void kdeliver(void *mem, unsigned int slots, __u16 len, __u8 fill,
		     __u64 tstamp)
{
	struct exo_nic_ring *r = mem;
	unsigned char *s = kslot(mem, 1, slots, r->rx_head);
	struct exo_nic_desc *d = (void *)s;

	d->len = len;
	d->flags = EXO_NIC_DESC_FILTERED;
	d->tstamp_ns = tstamp;
	memset(s + EXO_NIC_DATA_OFF, fill, len > EXO_NIC_MAX_LEN ?
	       EXO_NIC_MAX_LEN : len);
	__atomic_store_n(&r->rx_head, r->rx_head + 1, __ATOMIC_RELEASE);
}

static void rx_ring(void)
{
	void *mem = rings(2, 1);
	struct exo_nic_ring *r = mem;
	struct exo_nic_pkt pkts[8];
	struct exo_nic *nic;
	unsigned int n;

	nic = libexo_nic_over(-1, FLOW, mem, PAGE, 2, 1);
	if (!ok(nic != NULL, "a binding over plain memory")) {
		free(mem);
		return;
	}
	is(FLOW, exo_nic__flow(nic), "flow() is the flow");
	is(-1, exo_nic__env_fd(nic), "env_fd() is the fd");
	ok(exo_nic__ring(nic) == mem, "ring() is the header frame");
	is(0, exo_nic__rx_pending(nic), "new ring: nothing pending");
	is(0, exo_nic__rx_burst(nic, pkts, 8), "new ring: burst is empty");

	kdeliver(mem, 4, 60, 0xa1, 1000);
	kdeliver(mem, 4, 1500, 0xa2, 2000);
	kdeliver(mem, 4, 64, 0xa3, 3000);
	is(3, exo_nic__rx_pending(nic), "three delivered, three pending");
	n = exo_nic__rx_burst(nic, pkts, 8);
	is(3, n, "burst of 8 returns the three");
	ok(pkts[0].data == (unsigned char *)mem + PAGE + EXO_NIC_DATA_OFF,
	   "slot 0: frame 1, offset 256");
	ok(pkts[1].data == (unsigned char *)mem + PAGE + EXO_NIC_SLOT_SIZE +
	   EXO_NIC_DATA_OFF, "slot 1: frame 1, offset 2048 + 256");
	ok(pkts[2].data == (unsigned char *)mem + 2 * PAGE + EXO_NIC_DATA_OFF,
	   "slot 2: frame 2, offset 256");
	is(60, pkts[0].len, "packet 0 length");
	is(1500, pkts[1].len, "packet 1 length");
	is(0xa2, ((__u8 *)pkts[1].data)[1499], "packet 1 last byte");
	is(3000, pkts[2].tstamp_ns, "packet 2 arrival time");
	is(EXO_NIC_DESC_FILTERED, pkts[2].flags, "packet 2 flags");
	is(2, exo_nic__rx_burst(nic, pkts, 2), "burst of 2 returns 2");
	is(0xa1, ((__u8 *)pkts[0].data)[0], "peeking again: oldest first");
	is(0, r->rx_tail, "peeking does not advance rx_tail");

	exo_nic__rx_release(nic, 2);
	is(2, r->rx_tail, "release 2: rx_tail 2 in the ring");
	is(1, exo_nic__rx_pending(nic), "one left");
	is(1, exo_nic__rx_burst(nic, pkts, 8), "burst returns it");
	is(0xa3, ((__u8 *)pkts[0].data)[0], "the third packet");

	/* Fill the ring: slots 3, 0, 1 (wrapping), 4 pending of 4. */
	kdeliver(mem, 4, 100, 0xb1, 0);
	kdeliver(mem, 4, 100, 0xb2, 0);
	kdeliver(mem, 4, 100, 0xb3, 0);
	is(4, exo_nic__rx_burst(nic, pkts, 8), "a full ring: 4 of 4 slots");
	ok(pkts[1].data == (unsigned char *)mem + 2 * PAGE +
	   EXO_NIC_SLOT_SIZE + EXO_NIC_DATA_OFF, "index 3 is slot 3");
	ok(pkts[2].data == (unsigned char *)mem + PAGE + EXO_NIC_DATA_OFF,
	   "index 4 wraps to slot 0");
	exo_nic__rx_release(nic, 100);
	is(6, r->rx_tail, "release past the end stops at rx_head");
	is(0, exo_nic__rx_pending(nic), "empty again");

	/* A kernel that claims more than the ring holds is clamped. */
	r->rx_head = 6 + 50;
	is(4, exo_nic__rx_pending(nic), "rx_head too far: at most 4 pending");
	is(4, exo_nic__rx_burst(nic, pkts, 8), "burst: at most 4");
	/* A length over EXO_NIC_MAX_LEN is clamped. */
	((struct exo_nic_desc *)kslot(mem, 1, 4, 6))->len = 9000;
	exo_nic__rx_burst(nic, pkts, 1);
	is(EXO_NIC_MAX_LEN, pkts[0].len, "length clamped to the data area");
	exo_nic__free(nic);
	free(mem);
}

/* Free-running indices wrap at 2^32 without losing a slot. */
static void rx_wrap(void)
{
	void *mem = rings(1, 1);
	struct exo_nic_ring *r = mem;
	struct exo_nic_pkt pkts[2];
	struct exo_nic *nic;

	r->rx_head = r->rx_tail = 0xfffffffeU;
	nic = libexo_nic_over(-1, FLOW, mem, PAGE, 1, 1);
	if (!ok(nic != NULL, "a binding at indices 2^32 - 2")) {
		free(mem);
		return;
	}
	kdeliver(mem, 2, 70, 0xc1, 0);
	kdeliver(mem, 2, 71, 0xc2, 0);
	is(0, r->rx_head, "rx_head wrapped to 0");
	is(2, exo_nic__rx_pending(nic), "two pending across the wrap");
	is(2, exo_nic__rx_burst(nic, pkts, 2), "burst returns both");
	is(70, pkts[0].len, "first: index 2^32 - 2");
	is(71, pkts[1].len, "second: index 2^32 - 1");
	exo_nic__rx_release(nic, 2);
	is(0, r->rx_tail, "rx_tail wrapped to 0");
	kdeliver(mem, 2, 72, 0xc3, 0);
	is(1, exo_nic__rx_burst(nic, pkts, 2), "one more after the wrap");
	is(72, pkts[0].len, "index 0");
	exo_nic__free(nic);
	free(mem);
}

static void tx_ring(void)
{
	void *mem = rings(1, 2);
	struct exo_nic_ring *r = mem;
	struct exo_nic *nic;
	unsigned char *p, pkt[3][100];
	const void *pkts[3] = { pkt[0], pkt[1], pkt[2] };
	__u16 lens[3] = { 42, 60, 99 };
	unsigned int i;

	nic = libexo_nic_over(-1, FLOW, mem, PAGE, 1, 2);
	if (!ok(nic != NULL, "a binding with 4 transmit slots")) {
		free(mem);
		return;
	}
	/* Transmit frames follow the one receive frame: frames 2 and 3. */
	p = exo_nic__tx_slot(nic);
	ok(p == (unsigned char *)mem + 2 * PAGE + EXO_NIC_DATA_OFF,
	   "tx slot 0: frame 2, offset 256");
	ok(exo_nic__tx_slot(nic) == p, "the same slot until committed");
	memset(p, 0x11, 60);
	exo_nic__tx_commit(nic, 60);
	is(60, ((struct exo_nic_desc *)((unsigned char *)mem + 2 * PAGE))->len,
	   "commit writes the length into the descriptor");
	is(0, r->tx_head, "commit does not publish tx_head");
	p = exo_nic__tx_slot(nic);
	ok(p == (unsigned char *)mem + 2 * PAGE + EXO_NIC_SLOT_SIZE +
	   EXO_NIC_DATA_OFF, "tx slot 1: frame 2, offset 2048 + 256");
	exo_nic__tx_commit(nic, 61);
	exo_nic__tx_commit(nic, 62);
	ok(exo_nic__tx_slot(nic) == (unsigned char *)mem + 3 * PAGE +
	   EXO_NIC_SLOT_SIZE + EXO_NIC_DATA_OFF, "tx slot 3: frame 3");
	exo_nic__tx_commit(nic, 63);
	CHECK_ERRNO(ENOBUFS, ok(!exo_nic__tx_slot(nic), "4 of 4: no slot"));
	CHECK_ERRNO(ENOBUFS, exo_nic__tx_commit(nic, 64));
	is(0, r->tx_head, "a commit on a full ring changes nothing");

	/* The kick publishes tx_head before the ioctl (which fails: fd -1). */
	CHECK_ERR(EBADF, exo_nic__tx_kick(nic, NULL));
	is(4, r->tx_head, "kick published tx_head 4");

	/* The kernel sends two: two slots come free. */
	__atomic_store_n(&r->tx_tail, 2, __ATOMIC_RELEASE);
	p = exo_nic__tx_slot(nic);
	ok(p == (unsigned char *)mem + 2 * PAGE + EXO_NIC_DATA_OFF,
	   "index 4 wraps to tx slot 0");

	for (i = 0; i < 3; i++)
		memset(pkt[i], 0x40 + i, sizeof(pkt[i]));
	CHECK_ERR(ENOBUFS, exo_nic__tx_burst(nic, pkts, lens, 3));
	is(4, r->tx_head, "a refused burst queues nothing");
	lens[1] = EXO_NIC_MAX_LEN + 1;
	CHECK_ERR(EINVAL, exo_nic__tx_burst(nic, pkts, lens, 2));
	lens[1] = 60;
	pkts[1] = NULL;
	CHECK_ERR(EINVAL, exo_nic__tx_burst(nic, pkts, lens, 2));
	pkts[1] = pkt[1];
	is(4, r->tx_head, "refused bursts queue nothing");
	CHECK_ERR(EBADF, exo_nic__tx_burst(nic, pkts, lens, 2));
	is(6, r->tx_head, "a burst of 2 published tx_head 6");
	is(42, ((struct exo_nic_desc *)((unsigned char *)mem + 2 * PAGE))->len,
	   "burst: slot 0 length");
	is(0x41, *((unsigned char *)mem + 2 * PAGE + EXO_NIC_SLOT_SIZE +
		   EXO_NIC_DATA_OFF + 59), "burst: slot 1 data");
	CHECK_ERRNO(ENOBUFS, ok(!exo_nic__tx_slot(nic), "full again"));

	/* A kernel tx_tail past tx_head: treated as a full ring. */
	r->tx_tail = 100;
	CHECK_ERRNO(ENOBUFS, ok(!exo_nic__tx_slot(nic),
				"bogus tx_tail: no slot"));
	exo_nic__free(nic);
	free(mem);
}

static void uring(void)
{
	void *mem = rings(1, 1);
	struct exo_nic_ring *r = mem;
	struct io_uring_sqe sqe[2];
	struct exo_nic *nic;
	__u64 cmd[2];

	nic = libexo_nic_over(5, FLOW, mem, PAGE, 1, 1);
	if (!ok(nic != NULL, "a binding for the SQE tests")) {
		free(mem);
		return;
	}
	memset(sqe, 0xff, sizeof(sqe));
	exo_nic__tx_commit(nic, 60);
	is(0, exo_nic__prep_tx(sqe, nic), "prep_tx");
	is(IORING_OP_URING_CMD, sqe[0].opcode, "prep_tx: URING_CMD");
	is(5, sqe[0].fd, "prep_tx: the env fd");
	is(EXO_URING_NIC_TX, sqe[0].cmd_op, "prep_tx: EXO_URING_NIC_TX");
	memcpy(cmd, sqe[0].cmd, sizeof(cmd));
	is(FLOW, cmd[0], "prep_tx: the flow in the command area");
	is(0, cmd[1], "prep_tx: the rest of the command area zeroed");
	is(0, sqe[0].flags, "prep_tx: no stray SQE flags");
	is(0, sqe[1].user_data, "prep_tx: second half zeroed");
	is(1, r->tx_head, "prep_tx published tx_head");

	memset(sqe, 0xff, sizeof(sqe));
	is(0, exo_nic__prep_rx(sqe, nic, 2000000), "prep_rx");
	is(EXO_URING_NIC_RX, sqe[0].cmd_op, "prep_rx: EXO_URING_NIC_RX");
	memcpy(cmd, sqe[0].cmd, sizeof(cmd));
	is(FLOW, cmd[0], "prep_rx: the flow");
	is(2000000, cmd[1], "prep_rx: then the timeout");
	CHECK_ERR(EINVAL, exo_nic__prep_rx(sqe, nic, 0));
	CHECK_ERR(EINVAL, exo_nic__prep_rx(sqe, nic, EXO_URING_RX_MAX_NS + 1));
	is(0, exo_nic__prep_rx(sqe, nic, EXO_URING_RX_MAX_NS),
	   "prep_rx: the longest timeout");
	CHECK_ERR(EINVAL, exo_nic__prep_tx(NULL, nic));
	exo_nic__free(nic);
	free(mem);
}

static void filters_and_wait(void)
{
	void *mem = rings(1, 1);
	struct sock_filter insn = BPF_STMT(BPF_RET | BPF_K, 0xffff);
	struct exo_wait_opts opts = { .prog_fd = -1 };
	struct exo_nic_counters c;
	struct exo_nic *nic;

	nic = libexo_nic_over(-1, FLOW, mem, PAGE, 1, 1);
	if (!ok(nic != NULL, "a binding for the filter tests")) {
		free(mem);
		return;
	}
	CHECK_ERR(EBADF, exo_nic__filter_ebpf(nic, -1));
	CHECK_ERR(EBADF, exo_nic__filter_ebpf(nic, 3));
	CHECK_ERR(EINVAL, exo_nic__filter_classic(nic, NULL, 1));
	CHECK_ERR(EINVAL, exo_nic__filter_classic(nic, &insn, 0));
	CHECK_ERR(EINVAL, exo_nic__filter_classic(nic, &insn,
						  EXO_FILTER_MAX_CLASSIC + 1));
	CHECK_ERR(EBADF, exo_nic__filter_classic(nic, &insn, 1));
	CHECK_ERR(EBADF, exo_nic__filter_clear(nic));
	CHECK_ERR(EINVAL, exo_nic__stat(nic, NULL));
	CHECK_ERR(EBADF, exo_nic__stat(nic, &c));

	CHECK_ERR(EBADF, exo_wait(-1, NULL, NULL, NULL));
	CHECK_ERR(EBADF, exo_wait(-1, &opts, NULL, NULL));
	opts.window_len = EXO_WAIT_WINDOW_MAX + 1;
	opts.window = 1;
	CHECK_ERR(EINVAL, exo_wait(-1, &opts, NULL, NULL));
	opts.window_len = 8;
	opts.window = 0;
	CHECK_ERR(EINVAL, exo_wait(-1, &opts, NULL, NULL));
	opts.window_len = 0;
	opts.nic = nic;
	CHECK_ERR(EBADF, exo_wait(-1, &opts, NULL, NULL));
	CHECK_ERR(EINVAL, exo_wait(4, &opts, NULL, NULL));
	exo_nic__free(nic);
	free(mem);
}

int main(void)
{
	bad_args();
	rx_ring();
	rx_wrap();
	tx_ring();
	uring();
	filters_and_wait();
	return done_testing();
}
