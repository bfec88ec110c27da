/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The network the NIC selftests run on (linked into exo_nic*, exo_wait*):
 *
 *     test's own netns                       peer netns
 *   +-----------------------+              +-----------------------+
 *   | exo0  10.99.0.1/24    |<--- veth --->| exo1  10.99.0.2/24    |
 *   | (exo attaches here)   |              | (ordinary sockets)    |
 *   +-----------------------+              +-----------------------+
 *
 * netenv_setup() moves the calling process into a fresh network namespace
 * (unshare), makes a second one for the peer and links them with a veth
 * pair (rtnetlink and the classic address ioctls: no exec of ip(8), which
 * costs up to seconds in a loaded TCG guest).  Both namespaces are
 * anonymous: they die with the test process, so nothing leaks into the
 * next test even if this one crashes; netenv_teardown() also deletes the
 * link at once.  Call it from FIXTURE_SETUP: the harness runs each test in
 * its own child process.
 *
 * The peer side is reached through sockets created in the peer namespace
 * (netenv_peer_socket()); a socket stays in the namespace it was created
 * in.  Like exo_test.h, nothing here asserts: 0/values or -errno.
 */
#ifndef EXO_NETENV_H
#define EXO_NETENV_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#define NETENV_DEV		"exo0"
#define NETENV_PEER_DEV		"exo1"
#define NETENV_ADDR		"10.99.0.1"
#define NETENV_PEER_ADDR	"10.99.0.2"
#define NETENV_OTHER_ADDR	"10.99.0.3"	/* on no device */

struct netenv {
	int test_ns;		/* fd: the test's namespace (holds exo0) */
	int peer_ns;		/* fd: the peer's namespace (holds exo1) */
	int ifindex;		/* of exo0, in test_ns */
	__u8 mac[6];		/* of exo0 */
	__u8 peer_mac[6];	/* of exo1 */
	__be32 addr;		/* NETENV_ADDR */
	__be32 peer_addr;	/* NETENV_PEER_ADDR */
};

/* Build the two namespaces and the veth pair.  Returns 0 or -errno. */
int netenv_setup(struct netenv *ne);

/* Delete the link (if still there) and close the namespace fds. */
void netenv_teardown(struct netenv *ne);

/* Delete exo0 (and with it exo1), as "ip link del" does.  0 or -errno. */
int netenv_link_del(struct netenv *ne);

/*
 * Run the shell command @fmt... (stdout to /dev/null) in the peer
 * namespace (@peer) or the test's, e.g. to look at it while debugging.
 * Returns the command's exit status (0 = success), or -errno.
 */
int netenv_sh(struct netenv *ne, int peer, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A socket(@domain, @type, @proto) made in the peer namespace, or -errno. */
int netenv_peer_socket(struct netenv *ne, int domain, int type, int proto);

/*
 * A UDP socket bound to @addr:@port (host order; 0: any port), made in the
 * peer namespace (@peer) or in the test's.  Returns the fd or -errno.
 */
int netenv_udp_socket(struct netenv *ne, int peer, const char *addr,
		      __u16 port);

/* sendto() @addr:@port.  Returns 0 if the whole datagram went, or -errno. */
int netenv_udp_send(int fd, const char *addr, __u16 port, const void *buf,
		    size_t len);

/*
 * Receive one datagram within @ms milliseconds (non-blocking if 0).
 * Returns its length, -ETIMEDOUT (-EAGAIN for @ms 0) or -errno.
 */
int netenv_recv(int fd, void *buf, size_t len, int ms);

/* netenv_recv(), also giving the sender's address and port (host order). */
int netenv_recv_from(int fd, void *buf, size_t len, int ms, __be32 *addr,
		     __u16 *port);

/*
 * From the peer, one ICMP echo request to @addr (identifier @id, sequence
 * @seq, @plen bytes of payload) and wait up to @ms for its reply.  The
 * reply must carry the same identifier, sequence and payload and a valid
 * ICMP checksum.  Returns 0, -ETIMEDOUT, -EBADMSG (a reply that does not
 * match or check) or -errno.
 */
int netenv_ping(struct netenv *ne, const char *addr, __u16 id, __u16 seq,
		size_t plen, int ms);

/*
 * From the peer, one ICMP message of @type (code 0) to @addr, with a
 * correct checksum, without waiting for anything.  Returns 0 or -errno.
 */
int netenv_icmp_send(struct netenv *ne, const char *addr, __u8 type,
		     __u16 id, __u16 seq);

/* The Internet checksum of @len bytes (RFC 1071), folded, not inverted. */
__u16 netenv_csum_fold(const void *buf, size_t len, __u32 sum);

/*
 * Write an Ethernet + IPv4 + UDP frame into @buf (@size bytes): @smac to
 * @dmac, @saddr:@sport to @daddr:@dport (addresses in network order,
 * ports in host order), @plen bytes of @payload; correct IP and UDP
 * checksums.  Returns the frame's length, or -ENOSPC.
 */
int netenv_udp_frame(void *buf, size_t size, const __u8 *smac,
		     const __u8 *dmac, __be32 saddr, __be32 daddr,
		     __u16 sport, __u16 dport, const void *payload,
		     size_t plen);

/* What netenv_parse_udp() found in a frame. */
struct netenv_udp {
	const __u8 *dmac, *smac;
	__be32 saddr, daddr;
	__u16 sport, dport;	/* host order */
	const __u8 *payload;
	size_t plen;
};

/*
 * Parse @len bytes from an Ethernet header on as IPv4 + UDP, checking the
 * lengths agree.  Returns 0, or -EPROTO when it is not such a frame.
 */
int netenv_parse_udp(const void *frame, size_t len, struct netenv_udp *u);

/*
 * Check the IPv4 header checksum and the UDP checksum (0 = none is fine)
 * of a frame netenv_parse_udp() accepts.  Returns 0, -EBADMSG (a checksum
 * is wrong) or -EPROTO (not such a frame).
 */
int netenv_udp_csum_check(const void *frame, size_t len);

/* Dotted quad to network order (0 if malformed). */
__be32 netenv_addr(const char *dotted);

/* Sleep @ms milliseconds. */
void netenv_msleep(int ms);

/*
 * Poll @cond every 5 ms until it holds or @ms milliseconds pass; true if it
 * held.  Only a bound for waiting on asynchronous delivery: never a timing
 * assertion (the guest is TCG; be generous).
 */
#define NETENV_WAIT_FOR(cond, ms)					\
	({								\
		int __left = (ms), __ok;				\
		while (!(__ok = !!(cond)) && __left > 0) {		\
			netenv_msleep(5);				\
			__left -= 5;					\
		}							\
		__ok;							\
	})

/* ---- exo helpers shared by the NIC tests ------------------------------ */

#include <pthread.h>
#include "exo.h"

/*
 * Mint a @proto flow for NETENV_ADDR:@port on NETENV_DEV (attached
 * already) and bind it with @rx/@tx frames.  Returns the binding, or NULL
 * with errno set; *@flow gets the flow capability (0 if minting failed).
 */
struct exo_nic *nictest_bind(int fd, int proto, __u16 port, unsigned int rx,
			     unsigned int tx, exo_cap_t *flow);

/*
 * A NIC fixture's last steps: detach NETENV_DEV from env @fd and close it,
 * close the @peer socket (each if >= 0), then netenv_teardown(@ne).
 */
void nictest_teardown(struct netenv *ne, int fd, int peer);

/* The binding's counters (NIC_STAT); all zero, errno set, if that fails. */
struct exo_nic_counters nictest_stat(struct exo_nic *nic);

/*
 * Copy the payloads of the unread UDP packets of @nic (oldest first, not
 * released) into @buf as "p1,p2,..." (NUL-terminated; a packet that is not
 * UDP shows as "?").  Returns the number of packets.
 */
unsigned int nictest_rx_payloads(struct exo_nic *nic, char *buf, size_t len);

/* Whether thread @tid of this process sleeps inside an ioctl. */
int nictest_blocked_in_ioctl(int tid);

/* exo_wait() run by a thread of this process, so the test can act meanwhile. */
struct nictest_waiter {
	int fd;				/* in */
	struct exo_wait_opts opts;	/* in */
	pthread_t thread;
	int tid;
	int ret;			/* exo_wait()'s, once done */
	__u32 reason, evals;
	int done;
};

/*
 * Start the thread and wait (up to 10 s) until it sleeps in the ioctl.
 * Returns 0, -ETIMEDOUT if it never got there (or returned at once: see
 * done/ret), or -errno.
 */
int nictest_waiter_start(struct nictest_waiter *w);

/* Whether exo_wait() has returned. */
int nictest_waiter_done(struct nictest_waiter *w);

/*
 * Wait up to @ms for exo_wait() to return and join the thread.  Returns 0,
 * or -ETIMEDOUT (the thread is left behind; the test process ends it).
 */
int nictest_waiter_join(struct nictest_waiter *w, int ms);

#endif /* EXO_NETENV_H */
