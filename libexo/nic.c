// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libexo: NIC bindings — devices, flows, receive and transmit rings,
 * packet filters and wakeup predicates.
 *
 * A binding's rings live in 1 + rx_frames + tx_frames frames of the env,
 * mapped in that order into one region of the process:
 *
 *   region                 + page                  + (1 + rx_frames) pages
 *   +--------------------+ +-----------+-----------+ +---------+---------+
 *   | struct exo_nic_ring| | rx slot 0 | rx slot 1 | | tx slot0| tx slot1| ..
 *   +--------------------+ +-----------+-----------+ +---------+---------+
 *
 * Slot i of a direction is in that direction's frame i / 2, at byte
 * (i % 2) * EXO_NIC_SLOT_SIZE.  The kernel owns rx_head and tx_tail, the
 * library rx_tail and tx_head; each side reads the other's index with an
 * acquire load and publishes its own with a release store, so a slot's
 * contents are complete before the index that hands it over is seen.
 * The library keeps its own cursors and only ever writes them to the
 * ring, so nothing the ring holds can make it touch memory outside it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/io_uring.h>

#include "exo.h"
#include "libexo_internal.h"

#define NIC_DEFAULT_FRAMES	16
#define SLOTS_PER_FRAME		2

struct exo_nic {
	int fd;
	exo_cap_t flow;
	struct exo_nic_ring *ring;
	unsigned char *rx_base;		/* first receive frame */
	unsigned char *tx_base;		/* first transmit frame */
	size_t page;
	__u32 rx_slots;
	__u32 tx_slots;
	__u32 rx_tail;			/* ours: next slot to read */
	__u32 tx_head;			/* ours: next slot to fill */
	__u32 bind_flags;		/* EXO_NIC_BIND_* */
	__u32 tx_error;			/* the last kick's first drop */
	__u32 tx_error_index;
	/* What exo_nic__bind() took, given back by exo_nic__free(). */
	bool bound;
	void *region;
	size_t region_len;
	exo_cap_t *frames;
	__u32 nframes;
};

static bool pow2_frames(unsigned int n)
{
	return n && n <= EXO_NIC_MAX_RING_FRAMES && !(n & (n - 1));
}

/* Slot @i (free-running) of the direction starting at @base, @slots big. */
static inline void *slot(const struct exo_nic *nic, unsigned char *base,
			 __u32 slots, __u32 i)
{
	i &= slots - 1;
	return base + (size_t)(i / SLOTS_PER_FRAME) * nic->page +
	       (i % SLOTS_PER_FRAME) * EXO_NIC_SLOT_SIZE;
}

static inline __u32 kernel_rx_head(const struct exo_nic *nic)
{
	return __atomic_load_n(&nic->ring->rx_head, __ATOMIC_ACQUIRE);
}

static inline __u32 kernel_tx_tail(const struct exo_nic *nic)
{
	return __atomic_load_n(&nic->ring->tx_tail, __ATOMIC_ACQUIRE);
}

/* Unread receive slots, never more than the ring holds. */
static inline __u32 rx_avail(const struct exo_nic *nic)
{
	__u32 n = kernel_rx_head(nic) - nic->rx_tail;

	return n > nic->rx_slots ? nic->rx_slots : n;
}

/* Free transmit slots (committed ones count as used). */
static inline __u32 tx_free(const struct exo_nic *nic)
{
	__u32 used = nic->tx_head - kernel_tx_tail(nic);

	return used >= nic->tx_slots ? 0 : nic->tx_slots - used;
}

/*
 * Lay the cursors of @nic over rings at @mem (1 + @rx_frames + @tx_frames
 * pages of @page bytes, laid out as above).  Makes no system call.
 */
static void nic_setup(struct exo_nic *nic, int fd, exo_cap_t flow,
		      void *mem, size_t page, __u32 rx_frames,
		      __u32 tx_frames)
{
	unsigned char *p = mem;

	nic->fd = fd;
	nic->flow = flow;
	nic->page = page;
	nic->ring = mem;
	nic->rx_base = p + page;
	nic->tx_base = p + (1 + (size_t)rx_frames) * page;
	nic->rx_slots = rx_frames * SLOTS_PER_FRAME;
	nic->tx_slots = tx_frames * SLOTS_PER_FRAME;
	nic->rx_tail = __atomic_load_n(&nic->ring->rx_tail, __ATOMIC_RELAXED);
	nic->tx_head = __atomic_load_n(&nic->ring->tx_head, __ATOMIC_RELAXED);
}

/* A binding over rings in plain memory, for the host tests. */
struct exo_nic *libexo_nic_over(int fd, exo_cap_t flow, void *mem,
				size_t page, __u32 rx_frames, __u32 tx_frames)
{
	struct exo_nic *nic;

	if (!mem || !page || page < SLOTS_PER_FRAME * EXO_NIC_SLOT_SIZE ||
	    !pow2_frames(rx_frames) || !pow2_frames(tx_frames)) {
		errno = EINVAL;
		return NULL;
	}
	nic = calloc(1, sizeof(*nic));
	if (!nic)
		return NULL;
	nic_setup(nic, fd, flow, mem, page, rx_frames, tx_frames);
	return nic;
}

static int nic_attach(int fd, unsigned long cmd, const char *ifname)
{
	struct exo_nic_attach arg = { .size = sizeof(arg) };

	if (!ifname)
		return libexo_err(-EINVAL);
	arg.ifindex = if_nametoindex(ifname);
	if (!arg.ifindex)
		return libexo_err(-ENODEV);
	return ioctl(fd, cmd, &arg) ? libexo_errno() : 0;
}

EXO_API int exo_nic_attach(int fd, const char *ifname)
{
	return nic_attach(fd, EXO_IOC_NIC_ATTACH, ifname);
}

EXO_API int exo_nic_detach(int fd, const char *ifname)
{
	return nic_attach(fd, EXO_IOC_NIC_DETACH, ifname);
}

EXO_API int exo_flow_alloc(int fd, const char *ifname, int proto,
			   const char *laddr, __u16 lport, const char *raddr,
			   __u16 rport, exo_cap_t *cap)
{
	struct exo_flow_alloc arg = {
		.size = sizeof(arg),
		.proto = (__u32)proto,
		.lport = lport,
		.rport = rport,
	};
	struct in_addr a;

	if (!ifname || !laddr || !cap)
		return libexo_err(-EINVAL);
	if (inet_pton(AF_INET, laddr, &a) != 1)
		return libexo_err(-EINVAL);
	arg.laddr = a.s_addr;
	if (raddr) {
		if (inet_pton(AF_INET, raddr, &a) != 1)
			return libexo_err(-EINVAL);
		arg.raddr = a.s_addr;
	}
	arg.ifindex = if_nametoindex(ifname);
	if (!arg.ifindex)
		return libexo_err(-ENODEV);
	if (ioctl(fd, EXO_IOC_FLOW_ALLOC, &arg))
		return libexo_errno();
	*cap = arg.cap;
	return 0;
}

static int nic_unbind(int fd, exo_cap_t flow)
{
	struct exo_nic_unbind arg = { .size = sizeof(arg), .flow = flow };

	return ioctl(fd, EXO_IOC_NIC_UNBIND, &arg) ? libexo_errno() : 0;
}

EXO_API struct exo_nic *exo_nic__bind(int fd, exo_cap_t flow,
				      unsigned int rx_frames,
				      unsigned int tx_frames)
{
	return exo_nic__bind_flags(fd, flow, rx_frames, tx_frames, 0);
}

EXO_API struct exo_nic *exo_nic__bind_flags(int fd, exo_cap_t flow,
					    unsigned int rx_frames,
					    unsigned int tx_frames,
					    __u32 flags)
{
	struct exo_nic_bind arg = {
		.size = sizeof(arg), .flow = flow, .flags = flags,
	};
	struct exo_map_entry *ents = NULL;
	struct exo_nic *nic;
	long page = sysconf(_SC_PAGESIZE);
	__u32 i, n;
	int err, ret;

	if (!rx_frames)
		rx_frames = NIC_DEFAULT_FRAMES;
	if (!tx_frames)
		tx_frames = NIC_DEFAULT_FRAMES;
	if (!pow2_frames(rx_frames) || !pow2_frames(tx_frames)) {
		errno = EINVAL;
		return NULL;
	}
	if (page < SLOTS_PER_FRAME * EXO_NIC_SLOT_SIZE) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	nic = calloc(1, sizeof(*nic));
	if (!nic)
		return NULL;
	n = 1 + rx_frames + tx_frames;
	nic->fd = fd;
	nic->flow = flow;
	nic->frames = calloc(n, sizeof(*nic->frames));
	ents = calloc(n, sizeof(*ents));
	if (!nic->frames || !ents) {
		err = -ENOMEM;
		goto fail;
	}

	err = exo_frame_alloc(fd, n, nic->frames, NULL);
	if (err)
		goto fail;
	nic->nframes = n;

	nic->region_len = (size_t)n * page;
	nic->region = exo_region__create(fd, NULL, nic->region_len,
					 PROT_READ | PROT_WRITE);
	if (!nic->region) {
		err = -errno;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		ents[i].addr = (uintptr_t)nic->region + (size_t)i * page;
		ents[i].cap = nic->frames[i];
		ents[i].prot = EXO_PROT_READ | EXO_PROT_WRITE;
	}
	ret = exo_frame_map(fd, ents, n);
	if (ret < 0 || (__u32)ret < n) {
		err = ret < 0 ? ret : -errno;
		goto fail;
	}

	arg.frames = (uintptr_t)nic->frames;
	arg.rx_frames = rx_frames;
	arg.tx_frames = tx_frames;
	if (ioctl(fd, EXO_IOC_NIC_BIND, &arg)) {
		err = libexo_errno();
		goto fail;
	}
	nic->bound = true;
	nic_setup(nic, fd, flow, nic->region, page, rx_frames, tx_frames);
	nic->bind_flags = flags;
	/* The kernel wrote the geometry at bind: it must be ours. */
	if (nic->ring->rx_slots != nic->rx_slots ||
	    nic->ring->tx_slots != nic->tx_slots ||
	    nic->ring->slot_size != EXO_NIC_SLOT_SIZE ||
	    nic->ring->data_off != EXO_NIC_DATA_OFF) {
		err = -EPROTO;
		goto fail;
	}
	free(ents);
	return nic;

fail:
	free(ents);
	exo_nic__free(nic);
	errno = err < 0 ? -err : EIO;
	return NULL;
}

EXO_API void exo_nic__free(struct exo_nic *nic)
{
	int saved = errno;

	if (!nic)
		return;
	/* The binding may have died already with its flow or a frame. */
	if (nic->bound)
		nic_unbind(nic->fd, nic->flow);
	if (nic->region)
		exo_region__destroy(nic->region, nic->region_len);
	if (nic->nframes)
		exo_caps_close(nic->fd, nic->frames, nic->nframes);
	free(nic->frames);
	free(nic);
	errno = saved;
}

EXO_API struct exo_nic_ring *exo_nic__ring(struct exo_nic *nic)
{
	if (!nic) {
		errno = EINVAL;
		return NULL;
	}
	return nic->ring;
}

EXO_API exo_cap_t exo_nic__flow(const struct exo_nic *nic)
{
	if (!nic) {
		errno = EINVAL;
		return 0;
	}
	return nic->flow;
}

EXO_API int exo_nic__env_fd(const struct exo_nic *nic)
{
	return nic ? nic->fd : libexo_err(-EINVAL);
}

EXO_API unsigned int exo_nic__rx_burst(struct exo_nic *nic,
				       struct exo_nic_pkt *pkts,
				       unsigned int max)
{
	__u32 n, i;

	if (!nic || (!pkts && max)) {
		errno = EINVAL;
		return 0;
	}
	n = rx_avail(nic);
	if (n > max)
		n = max;
	for (i = 0; i < n; i++) {
		unsigned char *s = slot(nic, nic->rx_base, nic->rx_slots,
					nic->rx_tail + i);
		const struct exo_nic_desc *d = (const void *)s;
		__u16 len = d->len;

		pkts[i].data = s + EXO_NIC_DATA_OFF;
		pkts[i].len = len > EXO_NIC_MAX_LEN ? EXO_NIC_MAX_LEN : len;
		pkts[i].flags = d->flags;
		pkts[i].__pad = 0;
		pkts[i].tstamp_ns = d->tstamp_ns;
	}
	return n;
}

EXO_API void exo_nic__rx_release(struct exo_nic *nic, unsigned int n)
{
	__u32 avail;

	if (!nic) {
		errno = EINVAL;
		return;
	}
	avail = rx_avail(nic);
	if (n > avail)
		n = avail;
	nic->rx_tail += n;
	/* Our reads of the slots are done before the kernel may refill them. */
	__atomic_store_n(&nic->ring->rx_tail, nic->rx_tail, __ATOMIC_RELEASE);
}

EXO_API unsigned int exo_nic__rx_pending(const struct exo_nic *nic)
{
	if (!nic) {
		errno = EINVAL;
		return 0;
	}
	return rx_avail(nic);
}

EXO_API void *exo_nic__tx_slot(struct exo_nic *nic)
{
	if (!nic) {
		errno = EINVAL;
		return NULL;
	}
	if (!tx_free(nic)) {
		errno = ENOBUFS;
		return NULL;
	}
	return (unsigned char *)slot(nic, nic->tx_base, nic->tx_slots,
				     nic->tx_head) + EXO_NIC_DATA_OFF;
}

EXO_API void exo_nic__tx_commit(struct exo_nic *nic, __u16 len)
{
	struct exo_nic_desc *d;

	if (!nic) {
		errno = EINVAL;
		return;
	}
	if (!tx_free(nic)) {
		errno = ENOBUFS;
		return;
	}
	d = slot(nic, nic->tx_base, nic->tx_slots, nic->tx_head);
	d->len = len;
	d->flags = 0;
	d->__reserved = 0;
	d->tstamp_ns = 0;
	nic->tx_head++;
}

/* Hand the committed slots to the kernel (their contents first). */
static inline void tx_publish(struct exo_nic *nic)
{
	__atomic_store_n(&nic->ring->tx_head, nic->tx_head, __ATOMIC_RELEASE);
}

EXO_API int exo_nic__tx_kick(struct exo_nic *nic, unsigned int *dropped)
{
	struct exo_nic_tx arg = { .size = sizeof(arg) };

	if (!nic)
		return libexo_err(-EINVAL);
	if (dropped)
		*dropped = 0;
	/*
	 * The kernel has read every slot committed so far: nothing to send,
	 * and no kernel entry (a poll loop kicks every step, most with
	 * nothing new).  A slot it stopped at (its frames' last packet still
	 * in flight) leaves tx_tail short of tx_head: that kick does enter.
	 */
	if (kernel_tx_tail(nic) == nic->tx_head) {
		nic->tx_error = 0;
		return 0;
	}
	tx_publish(nic);
	arg.flow = nic->flow;
	if (ioctl(nic->fd, EXO_IOC_NIC_TX, &arg))
		return libexo_errno();
	if (dropped)
		*dropped = arg.dropped;
	nic->tx_error = arg.error;
	nic->tx_error_index = arg.error_index;
	return (int)arg.sent;
}

EXO_API int exo_nic__tx_error(const struct exo_nic *nic, __u32 *index)
{
	if (!nic)
		return libexo_err(-EINVAL);
	if (index)
		*index = nic->tx_error_index;
	return (int)nic->tx_error;
}

EXO_API int exo_nic__tx_commit_ext(struct exo_nic *nic, __u16 len,
				   __u16 flags, __u16 mss,
				   const struct exo_nic_frag *frags,
				   unsigned int nr_frags)
{
	struct exo_nic_txdesc *d;
	unsigned char *s;

	if (!nic || (nr_frags && !frags))
		return libexo_err(-EINVAL);
	if (!(nic->bind_flags & EXO_NIC_BIND_TX_OFFLOAD))
		return libexo_err(-EOPNOTSUPP);
	if (nr_frags > EXO_NIC_TX_MAX_FRAGS)
		return libexo_err(-E2BIG);
	if (!tx_free(nic))
		return libexo_err(-ENOBUFS);
	s = slot(nic, nic->tx_base, nic->tx_slots, nic->tx_head);
	d = (struct exo_nic_txdesc *)s;
	d->len = len;
	d->flags = flags;
	d->mss = mss;
	d->nr_frags = (__u8)nr_frags;
	d->__reserved0 = 0;
	d->__reserved1 = 0;
	if (nr_frags)
		memcpy(s + EXO_NIC_TX_FRAG_OFF, frags,
		       nr_frags * sizeof(*frags));
	nic->tx_head++;
	return 0;
}

EXO_API __u32 exo_nic__tx_index(const struct exo_nic *nic)
{
	return nic ? nic->tx_head : 0;
}

EXO_API __u32 exo_nic__tx_done(const struct exo_nic *nic)
{
	if (!nic)
		return 0;
	return __atomic_load_n(&nic->ring->tx_done, __ATOMIC_ACQUIRE);
}

EXO_API int exo_nic__tx_complete(const struct exo_nic *nic, __u32 index)
{
	if (!nic)
		return 0;
	/* Free-running: index is done once tx_done is past it. */
	return (__s32)(exo_nic__tx_done(nic) - index) > 0;
}

EXO_API int exo_nic__tx_burst(struct exo_nic *nic, const void *const *pkts,
			      const __u16 *lens, unsigned int n)
{
	unsigned int i;

	if (!nic || (n && (!pkts || !lens)))
		return libexo_err(-EINVAL);
	for (i = 0; i < n; i++)
		if (!pkts[i] || lens[i] > EXO_NIC_MAX_LEN)
			return libexo_err(-EINVAL);
	if (tx_free(nic) < n)
		return libexo_err(-ENOBUFS);
	for (i = 0; i < n; i++) {
		unsigned char *s = slot(nic, nic->tx_base, nic->tx_slots,
					nic->tx_head);

		memcpy(s + EXO_NIC_DATA_OFF, pkts[i], lens[i]);
		exo_nic__tx_commit(nic, lens[i]);
	}
	return exo_nic__tx_kick(nic, NULL);
}

EXO_API int exo_nic__stat(struct exo_nic *nic, struct exo_nic_counters *c)
{
	struct exo_nic_stat arg = { .size = sizeof(arg) };

	if (!nic || !c)
		return libexo_err(-EINVAL);
	arg.flow = nic->flow;
	if (ioctl(nic->fd, EXO_IOC_NIC_STAT, &arg))
		return libexo_errno();
	*c = arg.c;
	return 0;
}

static int nic_filter(struct exo_nic *nic, struct exo_nic_filter *arg)
{
	if (!nic)
		return libexo_err(-EINVAL);
	arg->size = sizeof(*arg);
	arg->flow = nic->flow;
	return ioctl(nic->fd, EXO_IOC_NIC_FILTER, arg) ? libexo_errno() : 0;
}

EXO_API int exo_nic__filter_ebpf(struct exo_nic *nic, int prog_fd)
{
	struct exo_nic_filter arg = {
		.flags = EXO_FILTER_EBPF,
		.prog_fd = prog_fd,
	};

	if (prog_fd < 0)
		return libexo_err(nic ? -EBADF : -EINVAL);
	return nic_filter(nic, &arg);
}

EXO_API int exo_nic__filter_classic(struct exo_nic *nic,
				    const struct sock_filter *insns,
				    unsigned int len)
{
	struct exo_nic_filter arg = {
		.flags = EXO_FILTER_CLASSIC,
		.len = len,
		.insns = (uintptr_t)insns,
	};

	if (!insns || !len || len > EXO_FILTER_MAX_CLASSIC)
		return libexo_err(-EINVAL);
	return nic_filter(nic, &arg);
}

EXO_API int exo_nic__filter_clear(struct exo_nic *nic)
{
	struct exo_nic_filter arg = { 0 };

	return nic_filter(nic, &arg);
}

/* An SQE128 entry is two struct io_uring_sqe; the command area is 80 bytes. */
static int prep_cmd(struct io_uring_sqe *sqe, struct exo_nic *nic, __u32 op,
		    const void *cmd, size_t len)
{
	if (!sqe || !nic)
		return libexo_err(-EINVAL);
	memset(sqe, 0, 2 * sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = nic->fd;
	sqe->cmd_op = op;
	memcpy(sqe->cmd, cmd, len);
	return 0;
}

EXO_API int exo_nic__prep_tx(struct io_uring_sqe *sqe, struct exo_nic *nic)
{
	exo_cap_t flow;

	if (!sqe || !nic)
		return libexo_err(-EINVAL);
	/* The command runs when submitted: publish what is committed now. */
	tx_publish(nic);
	flow = nic->flow;
	return prep_cmd(sqe, nic, EXO_URING_NIC_TX, &flow, sizeof(flow));
}

EXO_API int exo_nic__prep_rx(struct io_uring_sqe *sqe, struct exo_nic *nic,
			     __u64 timeout_ns)
{
	__u64 cmd[2];

	if (!nic || !timeout_ns || timeout_ns > EXO_URING_RX_MAX_NS)
		return libexo_err(-EINVAL);
	cmd[0] = nic->flow;
	cmd[1] = timeout_ns;
	return prep_cmd(sqe, nic, EXO_URING_NIC_RX, cmd, sizeof(cmd));
}

EXO_API int exo_wait(int fd, const struct exo_wait_opts *opts,
		     __u32 *reason, __u32 *evals)
{
	struct exo_wait arg = { .size = sizeof(arg), .prog_fd = -1 };

	if (opts) {
		if (opts->nic && opts->nic->fd != fd)
			return libexo_err(-EINVAL);
		if (opts->window_len > EXO_WAIT_WINDOW_MAX ||
		    (opts->window_len && !opts->window) ||
		    (opts->flags & ~EXO_WAIT_TX) ||
		    ((opts->flags & EXO_WAIT_TX) && !opts->nic))
			return libexo_err(-EINVAL);
		/* the kick of exo_nic__tx_kick(), only if there is something */
		if ((opts->flags & EXO_WAIT_TX) &&
		    kernel_tx_tail(opts->nic) != opts->nic->tx_head) {
			tx_publish(opts->nic);
			arg.flags = EXO_WAIT_TX;
		}
		arg.prog_fd = opts->prog_fd;
		arg.window = opts->window;
		arg.window_off = opts->window_off;
		arg.window_len = opts->window_len;
		arg.flow = opts->nic ? opts->nic->flow : 0;
		arg.timeout_ns = opts->timeout_ns;
		arg.tick_ns = opts->tick_ns;
	}
	if (ioctl(fd, EXO_IOC_WAIT, &arg))
		return libexo_errno();
	if (reason)
		*reason = arg.reason;
	if (evals)
		*evals = arg.evals;
	return 0;
}

/* libexo 0.1 names (exo.h: deprecated names). */
LIBEXO_ALIAS(exo_nic__attach, exo_nic_attach)
LIBEXO_ALIAS(exo_nic__detach, exo_nic_detach)
LIBEXO_ALIAS(exo_flow__alloc, exo_flow_alloc)
