// SPDX-License-Identifier: GPL-2.0
/*
 * Wakeup predicates (EXO_IOC_WAIT) and io_uring receive waits:
 *   - events that leave the predicate false wake nobody; the one that makes
 *     it true wakes the task exactly once (pred_window over a frame the
 *     test writes; pred_batch with k = N + 1 after N packets), with the
 *     exact number of evaluations: 1 at the start + 1 per event;
 *   - timeout: -ETIME; a signal: -EINTR;
 *   - the wait's tick evaluates the predicate with EXO_WAKE_TIMER (a
 *     predicate written here in raw eBPF instructions);
 *   - no program: any event ends the wait (a packet, a transmit);
 *   - a revocation request (a queued event) wakes pred_batch at once;
 *   - bad arguments;
 *   - EXO_URING_NIC_RX completes when a packet arrives, at once if packets
 *     are pending, with -ETIME at its timeout, and when the ring goes away;
 *     EXO_URING_NIC_TX sends.
 *
 * Network: the veth pair of netenv.h; a UDP flow 10.99.0.1:5800 bound in
 * the fixture, the peer's socket at 10.99.0.2:6000.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <liburing.h>

#include "kselftest_harness.h"
#include "exo_test.h"
#include "netenv.h"

EXO_REQUIRE_DEVICE

#define WAIT_MS		10000
#define PORT		5800
#define PEER_PORT	6000
#define SEC_NS		1000000000ULL
#define WIN_OFF		64	/* the window's place in its frame */

FIXTURE(wait) {
	struct netenv ne;
	int fd;
	int peer;
	struct exo_nic *nic;
	exo_cap_t flow;
	exo_cap_t win_cap;	/* one frame, mapped at win_page */
	char *win_page;
	volatile __u64 *win;	/* what pred_window reads */
	size_t page;
};

FIXTURE_SETUP(wait)
{
	self->fd = -1;
	self->peer = -1;
	self->page = sysconf(_SC_PAGESIZE);
	ASSERT_EQ(0, netenv_setup(&self->ne));
	self->fd = exo_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, exo_nic_attach(self->fd, NETENV_DEV));
	self->nic = nictest_bind(self->fd, IPPROTO_UDP, PORT, 4, 1,
				 &self->flow);
	ASSERT_NE(NULL, self->nic) TH_LOG("bind: %s", strerror(errno));
	self->peer = netenv_udp_socket(&self->ne, 1, NETENV_PEER_ADDR,
				       PEER_PORT);
	ASSERT_LE(0, self->peer);

	ASSERT_EQ(0, exo_frame_alloc(self->fd, 1, &self->win_cap, NULL));
	self->win_page = exo_region__create(self->fd, NULL, self->page,
					    PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, self->win_page);
	ASSERT_EQ(0, exo_frame_map_one(self->fd, self->win_page,
				       self->win_cap,
				       EXO_PROT_READ | EXO_PROT_WRITE));
	self->win = (volatile __u64 *)(self->win_page + WIN_OFF);
	*self->win = 0;
}

FIXTURE_TEARDOWN(wait)
{
	if (self->nic)
		exo_nic__free(self->nic);
	if (self->win_page)
		exo_region__destroy(self->win_page, self->page);
	nictest_teardown(&self->ne, self->fd, self->peer);
}

#define WAIT_TEST(name) TEST_F_TIMEOUT(wait, name, 180)

static int peer_send(int peer, const char *s)
{
	return netenv_udp_send(peer, NETENV_ADDR, PORT, s, strlen(s));
}

/* Send one packet to the flow and wait until the ring has @total packets. */
static int send_and_wait(FIXTURE_DATA(wait) *self, const char *s,
			 __u64 total)
{
	int ret = peer_send(self->peer, s);

	if (ret)
		return ret;
	if (!NETENV_WAIT_FOR(nictest_stat(self->nic).rx_packets >= total,
			     WAIT_MS))
		return -ETIMEDOUT;
	return nictest_stat(self->nic).rx_packets == total ? 0 : -EPROTO;
}

/* ---- predicates written here, in raw eBPF ------------------------------------- */

#define INSN(c, d, s, o, i)						\
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
			    .off = (o), .imm = (i) })

static int load_xdp(const struct bpf_insn *insns, unsigned int n)
{
	static char log[4096];
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_XDP;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = n;
	attr.license = (uintptr_t)"GPL";
	attr.log_buf = (uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0) {
		fd = -errno;
		fprintf(stderr, "# BPF_PROG_LOAD: %s\n%s", strerror(errno), log);
	}
	return fd;
}

/* return (ctx->reason & EXO_WAKE_TIMER) != 0 */
static int load_pred_timer(void)
{
	const struct bpf_insn insns[] = {
		INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 1,
		     offsetof(struct xdp_md, data), 0),
		INSN(BPF_LDX | BPF_MEM | BPF_W, 3, 1,
		     offsetof(struct xdp_md, data_end), 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0,
		     sizeof(struct exo_wait_ctx)),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
		INSN(BPF_JMP | BPF_JGT | BPF_X, 4, 3, 2, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_W, 0, 2,
		     offsetof(struct exo_wait_ctx, reason), 0),
		INSN(BPF_ALU64 | BPF_AND | BPF_K, 0, 0, 0, EXO_WAKE_TIMER),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};

	return load_xdp(insns, ARRAY_SIZE(insns));
}

/* A program of another type (socket filter) that returns 1. */
static int load_socket_filter(void)
{
	const struct bpf_insn insns[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = ARRAY_SIZE(insns);
	attr.license = (uintptr_t)"GPL";
	return syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
}

/* ---- predicates ------------------------------------------------------------------ */

WAIT_TEST(window_false_events_then_true_wakes_once)
{
	struct nictest_waiter w = { .fd = self->fd };
	const int n = 5;
	char p[8];
	int prog, i;

	prog = exo_bpf_pred_window(5);
	ASSERT_LE(0, prog) TH_LOG("exo_bpf_pred_window: %s", strerror(-prog));
	w.opts = (struct exo_wait_opts){
		.prog_fd = prog, .nic = self->nic, .window = self->win_cap,
		.window_off = WIN_OFF, .window_len = sizeof(__u64),
		.timeout_ns = 60 * SEC_NS,
	};
	ASSERT_EQ(0, nictest_waiter_start(&w)) TH_LOG("waiter ret %d", w.ret);

	/* N events, the window still below 5: evaluated, nobody woken. */
	for (i = 1; i <= n; i++) {
		snprintf(p, sizeof(p), "e%d", i);
		ASSERT_EQ(0, send_and_wait(self, p, i));
		*self->win = i - 1;
	}
	EXPECT_FALSE(nictest_waiter_done(&w));
	EXPECT_TRUE(nictest_blocked_in_ioctl(w.tid));
	EXPECT_EQ(0, nictest_stat(self->nic).wakeups);

	/* Writing the window is no event: still asleep. */
	*self->win = 5;
	netenv_msleep(200);
	EXPECT_FALSE(nictest_waiter_done(&w));

	/* The next event finds it true: one wakeup. */
	ASSERT_EQ(0, peer_send(self->peer, "true"));
	ASSERT_EQ(0, nictest_waiter_join(&w, WAIT_MS));
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(EXO_WAKE_RX, w.reason);
	EXPECT_EQ(n + 2, w.evals);	/* start + n + the true one */
	EXPECT_EQ(1, nictest_stat(self->nic).wakeups);
	EXPECT_EQ(n + 1, nictest_stat(self->nic).rx_packets);
	EXPECT_EQ(n + 1, exo_nic__rx_pending(self->nic));

	/* True at the start: returns at once, one evaluation, no wakeup. */
	w.opts.nic = NULL;
	EXPECT_EQ(0, exo_wait(self->fd, &w.opts, &w.reason, &w.evals));
	EXPECT_EQ(EXO_WAKE_START, w.reason);
	EXPECT_EQ(1, w.evals);
	EXPECT_EQ(1, nictest_stat(self->nic).wakeups);
	close(prog);
}

WAIT_TEST(batch_k_wakes_after_k_packets)
{
	struct nictest_waiter w = { .fd = self->fd };
	const int n = 3;	/* k = n + 1 */
	char p[8];
	int prog, i;

	prog = exo_bpf_pred_batch(n + 1, 3600 * SEC_NS);
	ASSERT_LE(0, prog) TH_LOG("exo_bpf_pred_batch: %s", strerror(-prog));
	w.opts = (struct exo_wait_opts){
		.prog_fd = prog, .nic = self->nic, .timeout_ns = 60 * SEC_NS,
	};
	ASSERT_EQ(0, nictest_waiter_start(&w)) TH_LOG("waiter ret %d", w.ret);
	for (i = 1; i <= n; i++) {
		snprintf(p, sizeof(p), "b%d", i);
		ASSERT_EQ(0, send_and_wait(self, p, i));
	}
	EXPECT_FALSE(nictest_waiter_done(&w));
	EXPECT_EQ(0, nictest_stat(self->nic).wakeups);
	EXPECT_EQ(n, exo_nic__rx_pending(self->nic));

	ASSERT_EQ(0, peer_send(self->peer, "last"));
	ASSERT_EQ(0, nictest_waiter_join(&w, WAIT_MS));
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(EXO_WAKE_RX, w.reason);
	EXPECT_EQ(n + 2, w.evals);
	EXPECT_EQ(1, nictest_stat(self->nic).wakeups);
	EXPECT_EQ(n + 1, exo_nic__rx_pending(self->nic));

	/* Read them: the next wait sleeps again, until its timeout. */
	exo_nic__rx_release(self->nic, n + 1);
	w.opts.timeout_ns = SEC_NS / 5;
	EXPECT_EQ(-ETIME, exo_wait(self->fd, &w.opts, NULL, NULL));
	close(prog);
}

WAIT_TEST(timeout_etime)
{
	struct exo_wait_opts o = {
		.prog_fd = -1, .timeout_ns = SEC_NS / 10,
	};
	int prog;

	/* No program, no event. */
	EXPECT_EQ(-ETIME, exo_wait(self->fd, &o, NULL, NULL));
	o.nic = self->nic;
	EXPECT_EQ(-ETIME, exo_wait(self->fd, &o, NULL, NULL));

	/* A predicate that stays false. */
	prog = exo_bpf_pred_window(5);
	ASSERT_LE(0, prog) TH_LOG("exo_bpf_pred_window: %s", strerror(-prog));
	o = (struct exo_wait_opts){
		.prog_fd = prog, .window = self->win_cap,
		.window_off = WIN_OFF, .window_len = sizeof(__u64),
		.timeout_ns = SEC_NS / 10,
	};
	EXPECT_EQ(-ETIME, exo_wait(self->fd, &o, NULL, NULL));
	/* ... also with a tick evaluating it meanwhile. */
	o.tick_ns = SEC_NS / 100;
	EXPECT_EQ(-ETIME, exo_wait(self->fd, &o, NULL, NULL));
	EXPECT_EQ(0, nictest_stat(self->nic).wakeups);
	close(prog);
}

WAIT_TEST(tick_evaluates_with_timer_reason)
{
	struct exo_wait_opts o = {
		.tick_ns = SEC_NS / 50, .timeout_ns = 60 * SEC_NS,
	};
	__u32 reason = 0, evals = 0;
	int prog;

	prog = load_pred_timer();
	ASSERT_LE(0, prog);
	o.prog_fd = prog;
	ASSERT_EQ(0, exo_wait(self->fd, &o, &reason, &evals));
	EXPECT_EQ(EXO_WAKE_TIMER, reason);
	EXPECT_EQ(2, evals);	/* the start (false), the first tick */

	/* Without a tick it never sees a timer. */
	o.tick_ns = 0;
	o.timeout_ns = SEC_NS / 5;
	EXPECT_EQ(-ETIME, exo_wait(self->fd, &o, NULL, NULL));
	close(prog);
}

WAIT_TEST(window_seen_on_tick)
{
	struct nictest_waiter w = { .fd = self->fd };
	int prog;

	prog = exo_bpf_pred_window(7);
	ASSERT_LE(0, prog) TH_LOG("exo_bpf_pred_window: %s", strerror(-prog));
	w.opts = (struct exo_wait_opts){
		.prog_fd = prog, .window = self->win_cap,
		.window_off = WIN_OFF, .window_len = sizeof(__u64),
		.tick_ns = SEC_NS / 100, .timeout_ns = 60 * SEC_NS,
	};
	ASSERT_EQ(0, nictest_waiter_start(&w)) TH_LOG("waiter ret %d", w.ret);
	*self->win = 6;
	netenv_msleep(100);
	EXPECT_FALSE(nictest_waiter_done(&w));
	/* No event at all: the tick notices the frame changed. */
	*self->win = 7;
	ASSERT_EQ(0, nictest_waiter_join(&w, WAIT_MS));
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(EXO_WAKE_TIMER, w.reason);
	EXPECT_LE(3, w.evals);	/* the start, >= 1 false tick, the true one */
	EXPECT_EQ(0, nictest_stat(self->nic).wakeups);
	close(prog);
}

WAIT_TEST(no_program_any_event)
{
	struct nictest_waiter w = { .fd = self->fd };
	void *slot;
	int len;

	/* A packet. */
	w.opts = (struct exo_wait_opts){ .prog_fd = -1, .nic = self->nic };
	ASSERT_EQ(0, nictest_waiter_start(&w)) TH_LOG("waiter ret %d", w.ret);
	ASSERT_EQ(0, peer_send(self->peer, "any"));
	ASSERT_EQ(0, nictest_waiter_join(&w, WAIT_MS));
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(EXO_WAKE_RX, w.reason);
	EXPECT_EQ(2, w.evals);
	EXPECT_EQ(1, nictest_stat(self->nic).wakeups);

	/* A transmit batch of this env. */
	w.opts.nic = NULL;
	ASSERT_EQ(0, nictest_waiter_start(&w)) TH_LOG("waiter ret %d", w.ret);
	slot = exo_nic__tx_slot(self->nic);
	ASSERT_NE(NULL, slot);
	len = netenv_udp_frame(slot, EXO_NIC_MAX_LEN, self->ne.mac,
			       self->ne.peer_mac, self->ne.addr,
			       self->ne.peer_addr, PORT, PEER_PORT, "tx", 2);
	ASSERT_LT(0, len);
	exo_nic__tx_commit(self->nic, len);
	EXPECT_EQ(1, exo_nic__tx_kick(self->nic, NULL));
	ASSERT_EQ(0, nictest_waiter_join(&w, WAIT_MS));
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(EXO_WAKE_TX, w.reason);
	EXPECT_EQ(2, w.evals);
	EXPECT_EQ(1, nictest_stat(self->nic).wakeups);
}

/* EXO_WAIT_TX: the committed slot goes out, then the wait sleeps. */
WAIT_TEST(send_then_wait)
{
	struct exo_wait_opts o = { .prog_fd = -1, .nic = self->nic,
				   .timeout_ns = SEC_NS / 20,
				   .flags = EXO_WAIT_TX };
	struct exo_wait wt = { .size = sizeof(wt), .prog_fd = -1,
			       .flags = EXO_WAIT_TX, .flow = self->flow,
			       .timeout_ns = SEC_NS / 100 };
	__u64 tx0 = nictest_stat(self->nic).tx_packets;
	char buf[16];
	exo_cap_t ro;
	void *slot;
	int len, prog;

	prog = exo_bpf_pred_batch(100, 3600 * SEC_NS);
	ASSERT_LE(0, prog) TH_LOG("exo_bpf_pred_batch: %s", strerror(-prog));
	o.prog_fd = prog;
	slot = exo_nic__tx_slot(self->nic);
	ASSERT_NE(NULL, slot);
	len = netenv_udp_frame(slot, EXO_NIC_MAX_LEN, self->ne.mac,
			       self->ne.peer_mac, self->ne.addr,
			       self->ne.peer_addr, PORT, PEER_PORT, "wtx", 3);
	ASSERT_LT(0, len);
	exo_nic__tx_commit(self->nic, len);
	/* sent by the wait (no kick), which then times out: nothing came */
	EXPECT_EQ(-ETIME, exo_wait(self->fd, &o, NULL, NULL));
	EXPECT_EQ(3, netenv_recv(self->peer, buf, sizeof(buf), WAIT_MS));
	EXPECT_EQ(0, memcmp(buf, "wtx", 3));
	EXPECT_EQ(tx0 + 1, nictest_stat(self->nic).tx_packets);
	EXPECT_EQ(exo_nic__tx_index(self->nic),
		  __atomic_load_n(&exo_nic__ring(self->nic)->tx_tail,
				  __ATOMIC_ACQUIRE));
	/* nothing left to send: an ordinary wait */
	EXPECT_EQ(-ETIME, exo_wait(self->fd, &o, NULL, NULL));
	EXPECT_EQ(tx0 + 1, nictest_stat(self->nic).tx_packets);
	EXPECT_EQ(-EAGAIN, netenv_recv(self->peer, buf, sizeof(buf), 0));

	/* the send's errors are the call's; bad flags are refused */
	wt.prog_fd = prog;
	ASSERT_EQ(0, exo_cap_derive(self->fd, self->flow, EXO_RIGHT_READ, &ro));
	wt.flow = ro;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_WAIT, &wt));
	EXPECT_EQ(EACCES, errno);
	wt.flow = 0;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_WAIT, &wt));
	EXPECT_EQ(EINVAL, errno);
	wt.flow = self->flow;
	wt.flags = EXO_WAIT_TX << 1;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_WAIT, &wt));
	EXPECT_EQ(EINVAL, errno);
	wt.flags = EXO_WAIT_TX;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_WAIT, &wt));
	EXPECT_EQ(ETIME, errno);
	o.nic = NULL;
	EXPECT_EQ(-EINVAL, exo_wait(self->fd, &o, NULL, NULL));
	EXPECT_EQ(0, exo_cap_close(self->fd, ro));
	close(prog);
}

WAIT_TEST(revocation_event_wakes)
{
	struct nictest_waiter w = { .fd = self->fd };
	struct exo_env_info info;
	int prog;

	/* pred_batch wakes for queued events and owed frames, not k = 100. */
	prog = exo_bpf_pred_batch(100, 3600 * SEC_NS);
	ASSERT_LE(0, prog) TH_LOG("exo_bpf_pred_batch: %s", strerror(-prog));
	ASSERT_EQ(0, exo_env_info(self->fd, &info));
	w.opts = (struct exo_wait_opts){
		.prog_fd = prog, .nic = self->nic, .timeout_ns = 60 * SEC_NS,
	};
	ASSERT_EQ(0, nictest_waiter_start(&w)) TH_LOG("waiter ret %d", w.ret);
	ASSERT_EQ(0, send_and_wait(self, "not-yet", 1));
	EXPECT_FALSE(nictest_waiter_done(&w));

	/* Root asks for a frame back, with a deadline past the test. */
	ASSERT_EQ(0, exo_request_revoke(NULL, info.env_id, 1, 120000));
	ASSERT_EQ(0, nictest_waiter_join(&w, WAIT_MS));
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(EXO_WAKE_EVENT, w.reason);
	EXPECT_EQ(3, w.evals);	/* start, the packet, the event */
	EXPECT_EQ(0, nictest_stat(self->nic).wakeups);	/* not a packet's */
	close(prog);
}

static void on_usr1(int sig)
{
}

WAIT_TEST(signal_eintr)
{
	struct nictest_waiter w = { .fd = self->fd };
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	w.opts = (struct exo_wait_opts){ .prog_fd = -1, .nic = self->nic };
	ASSERT_EQ(0, nictest_waiter_start(&w)) TH_LOG("waiter ret %d", w.ret);
	ASSERT_EQ(0, pthread_kill(w.thread, SIGUSR1));
	ASSERT_EQ(0, nictest_waiter_join(&w, WAIT_MS));
	EXPECT_EQ(-EINTR, w.ret);
	EXPECT_EQ(0, nictest_stat(self->nic).wakeups);
}

WAIT_TEST(bad_arguments)
{
	struct exo_wait wt;
	exo_cap_t wo;
	int sf, pw;

	pw = exo_bpf_pred_window(1);
	ASSERT_LE(0, pw) TH_LOG("exo_bpf_pred_window: %s", strerror(-pw));
#define RESET(prog) (wt = (struct exo_wait){ .size = sizeof(wt),	\
					     .prog_fd = (prog),		\
					     .timeout_ns = SEC_NS / 100 })
	RESET(-1);
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_WAIT, &wt));
	EXPECT_EQ(ETIME, errno);

	RESET(-1);
	wt.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_WAIT, &wt));
	EXPECT_EQ(EINVAL, errno);
	RESET(-1);
	wt.__reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_WAIT, &wt));
	EXPECT_EQ(EINVAL, errno);
	RESET(-2);
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_WAIT, &wt));
	EXPECT_EQ(EINVAL, errno);

	/* Not an XDP program; not a program. */
	sf = load_socket_filter();
	ASSERT_LE(0, sf);
	RESET(sf);
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_WAIT, &wt));
	EXPECT_EQ(EINVAL, errno);
	RESET(self->peer);
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_WAIT, &wt));
	EXPECT_EQ(EINVAL, errno);
	close(sf);

	/* The window, with a program that reads it: it works... */
	RESET(pw);
	wt.window = self->win_cap;
	wt.window_off = WIN_OFF;
	wt.window_len = 8;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_WAIT, &wt));
	EXPECT_EQ(ETIME, errno);
	/* ... too long, past the page, without a frame, not a frame. */
	wt.window_len = EXO_WAIT_WINDOW_MAX + 1;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_WAIT, &wt));
	EXPECT_EQ(EINVAL, errno);
	wt.window_len = 8;
	wt.window_off = self->page - 4;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_WAIT, &wt));
	EXPECT_EQ(EINVAL, errno);
	wt.window_off = 0;
	wt.window = 0;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_WAIT, &wt));
	EXPECT_EQ(EINVAL, errno);
	wt.window = self->flow;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_WAIT, &wt));
	EXPECT_EQ(EINVAL, errno);
	/* A frame capability without READ; then a stale one. */
	ASSERT_EQ(0, exo_cap_derive(self->fd, self->win_cap, EXO_RIGHT_WRITE,
				    &wo));
	wt.window = wo;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_WAIT, &wt));
	EXPECT_EQ(EACCES, errno);
	ASSERT_EQ(0, exo_cap_close(self->fd, wo));
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_WAIT, &wt));
	EXPECT_EQ(ESTALE, errno);

	/* A flow argument that is a frame. */
	RESET(-1);
	wt.flow = self->win_cap;
	EXPECT_EQ(-1, ioctl(self->fd, EXO_IOC_WAIT, &wt));
	EXPECT_EQ(EINVAL, errno);
#undef RESET
	close(pw);
}

/* ---- io_uring ---------------------------------------------------------------------- */

static int uring_wait(struct io_uring *ring, int ms, int *res)
{
	struct __kernel_timespec ts = { ms / 1000, (ms % 1000) * 1000000LL };
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret)
		return ret;
	*res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

static int uring_rx(struct io_uring *ring, struct exo_nic *nic, __u64 ns)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	int ret;

	if (!sqe)
		return -EBUSY;
	ret = exo_nic__prep_rx(sqe, nic, ns);
	if (ret)
		return ret;
	return io_uring_submit(ring) == 1 ? 0 : -EIO;
}

WAIT_TEST(uring_rx_completes_on_packet_and_etime)
{
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int res = 1;

	ASSERT_EQ(0, io_uring_queue_init(8, &ring, IORING_SETUP_SQE128));

	/* Parked: no packet yet, no completion. */
	ASSERT_EQ(0, uring_rx(&ring, self->nic, 10 * SEC_NS));
	netenv_msleep(100);
	EXPECT_EQ(-EAGAIN, io_uring_peek_cqe(&ring, &cqe));
	ASSERT_EQ(0, peer_send(self->peer, "wake"));
	ASSERT_EQ(0, uring_wait(&ring, 20000, &res));
	EXPECT_EQ(1, res);
	EXPECT_EQ(1, exo_nic__rx_pending(self->nic));

	/* Packets already there: at once, with their number. */
	ASSERT_EQ(0, send_and_wait(self, "two", 2));
	ASSERT_EQ(0, uring_rx(&ring, self->nic, 10 * SEC_NS));
	ASSERT_EQ(0, uring_wait(&ring, 20000, &res));
	EXPECT_EQ(2, res);

	/* Empty ring, short timeout. */
	exo_nic__rx_release(self->nic, 2);
	ASSERT_EQ(0, uring_rx(&ring, self->nic, SEC_NS / 10));
	ASSERT_EQ(0, uring_wait(&ring, 20000, &res));
	EXPECT_EQ(-ETIME, res);

	io_uring_queue_exit(&ring);
}

WAIT_TEST(uring_rx_bad_timeout_and_unbind)
{
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	__u64 cmd[2];
	int res = 1;

	ASSERT_EQ(0, io_uring_queue_init(8, &ring, IORING_SETUP_SQE128));

	/* Timeouts outside 1 .. EXO_URING_RX_MAX_NS. */
	sqe = io_uring_get_sqe(&ring);
	ASSERT_NE(NULL, sqe);
	ASSERT_EQ(0, exo_nic__prep_rx(sqe, self->nic, SEC_NS));
	cmd[0] = self->flow;
	cmd[1] = 0;
	memcpy(sqe->cmd, cmd, sizeof(cmd));
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(0, uring_wait(&ring, 20000, &res));
	EXPECT_EQ(-EINVAL, res);
	sqe = io_uring_get_sqe(&ring);
	ASSERT_NE(NULL, sqe);
	ASSERT_EQ(0, exo_nic__prep_rx(sqe, self->nic, SEC_NS));
	cmd[1] = EXO_URING_RX_MAX_NS + 1;
	memcpy(sqe->cmd, cmd, sizeof(cmd));
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(0, uring_wait(&ring, 20000, &res));
	EXPECT_EQ(-EINVAL, res);

	/* Parked when the binding goes: completes with an error, at once. */
	ASSERT_EQ(0, uring_rx(&ring, self->nic, EXO_URING_RX_MAX_NS));
	netenv_msleep(100);
	exo_nic__free(self->nic);
	self->nic = NULL;
	ASSERT_EQ(0, uring_wait(&ring, 5000, &res));
	EXPECT_GT(0, res);
	EXPECT_NE(-ETIME, res);

	io_uring_queue_exit(&ring);
}

WAIT_TEST(uring_tx_sends)
{
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	char buf[64];
	void *slot;
	int res = 0, len;

	ASSERT_EQ(0, io_uring_queue_init(8, &ring, IORING_SETUP_SQE128));
	slot = exo_nic__tx_slot(self->nic);
	ASSERT_NE(NULL, slot);
	len = netenv_udp_frame(slot, EXO_NIC_MAX_LEN, self->ne.mac,
			       self->ne.peer_mac, self->ne.addr,
			       self->ne.peer_addr, PORT, PEER_PORT, "uring", 5);
	ASSERT_LT(0, len);
	exo_nic__tx_commit(self->nic, len);
	sqe = io_uring_get_sqe(&ring);
	ASSERT_NE(NULL, sqe);
	ASSERT_EQ(0, exo_nic__prep_tx(sqe, self->nic));
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(0, uring_wait(&ring, 20000, &res));
	EXPECT_EQ(1, res);
	ASSERT_EQ(5, netenv_recv(self->peer, buf, sizeof(buf), WAIT_MS));
	EXPECT_EQ(0, memcmp(buf, "uring", 5));
	EXPECT_EQ(1, nictest_stat(self->nic).tx_packets);
	io_uring_queue_exit(&ring);
}

TEST_HARNESS_MAIN
