// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The bpf/ programs built into libexo.
 *
 * Without privilege: each built-in object opens (ELF, BTF) and holds its
 * program, XDP-typed, with the .rodata the library configures; bad paths
 * and names fail; an unprivileged load answers -EPERM and libbpf stays
 * quiet unless EXO_BPF_DEBUG is set; the caller's libbpf print hook is
 * left as it was.
 *
 * With CAP_BPF and CAP_NET_ADMIN (root on the host): the programs load
 * (the host's verifier accepts them) and run on packets and wait
 * contexts built here, through BPF_PROG_TEST_RUN, whose results are
 * checked against checksums computed here from scratch.  Without the
 * privilege those tests are reported as skipped.
 */
#define _GNU_SOURCE		/* setresuid() */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/wait.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "exo.h"
#include "libexo_internal.h"
#include "tap.h"

#ifndef EXO_BPF_DIR
#define EXO_BPF_DIR "../bpf"
#endif

#define CHECK_ERR(expected, call) do {					\
		int __ret;						\
		errno = 0;						\
		__ret = (call);						\
		is(-(expected), __ret, #call " returns -" #expected);	\
		is(expected, errno, #call " sets errno = " #expected);	\
	} while (0)

static void skip(const char *what, const char *why)
{
	ok(1, "%s # SKIP %s", what, why);
}

/* ---- objects, without privilege ---------------------------------------- */

static void object(const char *name, __u32 rodata_size)
{
	struct bpf_object *obj = libexo_bpf_open(name);
	struct bpf_program *prog;
	struct bpf_map *map;
	int nprogs = 0;

	if (!ok(obj != NULL, "%s: the built-in object opens", name))
		return;
	bpf_object__for_each_program(prog, obj)
		nprogs++;
	is(1, nprogs, "%s: one program", name);
	prog = bpf_object__find_program_by_name(obj, name);
	if (ok(prog != NULL, "%s: program %s is in it", name, name)) {
		is(BPF_PROG_TYPE_XDP, bpf_program__type(prog),
		   "%s: an XDP program", name);
		ok(!strcmp(bpf_program__section_name(prog), "xdp"),
		   "%s: in section xdp", name);
	}
	map = bpf_object__find_map_by_name(obj, ".rodata");
	if (rodata_size) {
		if (ok(map != NULL, "%s: has a .rodata", name))
			is(rodata_size, bpf_map__value_size(map),
			   "%s: .rodata holds %u bytes", name, rodata_size);
	} else {
		ok(map == NULL, "%s: no configuration", name);
	}
	bpf_object__close(obj);
}

/* tcp_wake: two programs (filter, predicate) and .rodata k, t_ns. */
static int tcp_wake_objects(void)
{
	struct bpf_object *obj = libexo_bpf_open("tcp_wake");
	struct bpf_map *map;
	int bad = 0;

	if (!obj)
		return -1;
	bad |= !bpf_object__find_program_by_name(obj, "tcp_wake_filter");
	bad |= !bpf_object__find_program_by_name(obj, "tcp_wake_pred");
	map = bpf_object__find_map_by_name(obj, ".rodata");
	bad |= !map || bpf_map__value_size(map) != 16;
	bad |= !bpf_object__find_map_by_name(obj, ".bss");
	bpf_object__close(obj);
	return bad;
}

static int app_prints;

static int app_print(enum libbpf_print_level level, const char *fmt,
		     va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	app_prints++;
	return 0;
}

static void objects(void)
{
	libbpf_print_fn_t prev;

	object("filter_drop", 4);
	object("ash_echo", 0);
	object("pred_batch", 16);	/* __u32 k, padding, __u64 t_ns */
	object("pred_window", 8);
	is(0, tcp_wake_objects(), "tcp_wake: the built-in object holds its two programs");
	errno = 0;
	ok(libexo_bpf_open("no_such_prog") == NULL && errno == ENOENT,
	   "an unknown built-in: ENOENT");

	CHECK_ERR(EINVAL, exo_bpf_load(NULL, "filter_drop"));
	CHECK_ERR(ENOENT, exo_bpf_load(EXO_BPF_DIR "/no_such.bpf.o",
				       "filter_drop"));
	CHECK_ERR(ENOENT, exo_bpf_load(EXO_BPF_DIR "/filter_drop.bpf.o",
				       "no_such_prog"));

	/* The application's own libbpf print hook survives our calls. */
	prev = libbpf_set_print(app_print);
	exo_bpf_load(EXO_BPF_DIR "/no_such.bpf.o", "x");
	is(0, app_prints, "libbpf's messages do not reach the app's hook");
	ok(libbpf_set_print(prev) == app_print,
	   "the app's libbpf print hook is restored");
}

/* ---- unprivileged: -EPERM, quietly -------------------------------------- */

struct unpriv_result {
	int ret_builtin, errno_builtin;
	int ret_path, errno_path;
	long quiet_bytes;	/* stderr output without EXO_BPF_DEBUG */
	long debug_bytes;	/* with EXO_BPF_DEBUG=1 */
};

static long stderr_of(int (*call)(void), int *ret, int *err)
{
	FILE *f = tmpfile();
	int saved = dup(2);
	long n;

	if (!f || saved < 0)
		return -1;
	dup2(fileno(f), 2);
	errno = 0;
	*ret = call();
	*err = errno;
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = lseek(fileno(f), 0, SEEK_END);
	fclose(f);
	return n;
}

static int load_builtin(void)
{
	return exo_bpf_filter_drop(0x12345678);
}

static int load_path(void)
{
	return exo_bpf_load(EXO_BPF_DIR "/filter_drop.bpf.o", "filter_drop");
}

static void unprivileged(void)
{
	struct unpriv_result r = { 0 };
	int p[2], status, dummy;
	pid_t pid;

	if (pipe(p)) {
		ok(0, "pipe");
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (geteuid() == 0 &&
		    (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		     setresuid(65534, 65534, 65534)))
			_exit(2);
		unsetenv("EXO_BPF_DEBUG");
		r.quiet_bytes = stderr_of(load_builtin, &r.ret_builtin,
					  &r.errno_builtin);
		stderr_of(load_path, &r.ret_path, &r.errno_path);
		setenv("EXO_BPF_DEBUG", "1", 1);
		r.debug_bytes = stderr_of(load_builtin, &dummy, &dummy);
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &r, sizeof(r)) != sizeof(r)) {
		ok(0, "unprivileged child ran");
		close(p[0]);
		if (pid > 0)
			waitpid(pid, &status, 0);
		return;
	}
	close(p[0]);
	waitpid(pid, &status, 0);
	is(-EPERM, r.ret_builtin, "unprivileged exo_bpf_filter_drop: -EPERM");
	is(EPERM, r.errno_builtin, "... and errno EPERM");
	is(-EPERM, r.ret_path, "unprivileged exo_bpf_load: -EPERM");
	is(EPERM, r.errno_path, "... and errno EPERM");
	is(0, r.quiet_bytes, "libbpf prints nothing without EXO_BPF_DEBUG");
	ok(r.debug_bytes > 0, "libbpf's warnings with EXO_BPF_DEBUG=1 (%ld bytes)",
	   r.debug_bytes);
}

/* ---- privileged: the programs run --------------------------------------- */

/* RFC 1071 sum of @len bytes at @p, added to @sum, unfolded. */
static __u32 sum16(const void *p, size_t len, __u32 sum)
{
	const __u8 *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (__u32)b[len - 1] << 8;
	return sum;
}

static __u16 fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* The checksum to store (network order) for data summing to @sum. */
static __u16 csum(__u32 sum)
{
	return htons((__u16)~fold(sum));
}

static const __u8 mac_a[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x0a };
static const __u8 mac_b[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x0b };
#define IP_A	htonl(0x0a000001)	/* 10.0.0.1, the sender */
#define IP_B	htonl(0x0a000002)	/* 10.0.0.2, us */

struct pkt {
	__u8 b[512];
	size_t len;
	struct iphdr *ip;
	__u8 *l4;
};

/* Ethernet + IPv4 (@opt_words of options) headers, for @l4_len bytes. */
static void build_ip(struct pkt *p, __u8 proto, size_t opt_words,
		     size_t l4_len)
{
	struct ethhdr *eth = (void *)p->b;
	size_t ihl = 5 + opt_words;

	memset(p, 0, sizeof(*p));
	memcpy(eth->h_dest, mac_b, ETH_ALEN);
	memcpy(eth->h_source, mac_a, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	p->ip = (void *)(eth + 1);
	p->ip->version = 4;
	p->ip->ihl = ihl;
	p->ip->tot_len = htons(ihl * 4 + l4_len);
	p->ip->id = htons(0x1234);
	p->ip->ttl = 64;
	p->ip->protocol = proto;
	p->ip->saddr = IP_A;
	p->ip->daddr = IP_B;
	memset(p->ip + 1, 1, opt_words * 4);	/* NOP options */
	p->l4 = (__u8 *)p->ip + ihl * 4;
	p->len = sizeof(*eth) + ihl * 4 + l4_len;
}

static void ip_csum(struct pkt *p)
{
	p->ip->check = 0;
	p->ip->check = csum(sum16(p->ip, p->ip->ihl * 4, 0));
}

static int ip_csum_ok(const struct iphdr *ip)
{
	return fold(sum16(ip, ip->ihl * 4, 0)) == 0xffff;
}

/* An ICMP message of @len bytes: type, code, checksum, id, seq, data. */
static void build_icmp(struct pkt *p, __u8 type, size_t opt_words,
		       size_t len, unsigned int seed)
{
	size_t i;

	build_ip(p, IPPROTO_ICMP, opt_words, len);
	p->l4[0] = type;
	p->l4[1] = 0;
	p->l4[4] = seed >> 8;
	p->l4[5] = seed;
	p->l4[6] = seed >> 3;
	p->l4[7] = seed * 7;
	for (i = 8; i < len; i++)
		p->l4[i] = (__u8)(seed * 31 + i * 17);
	*(__u16 *)(p->l4 + 2) = csum(sum16(p->l4, len, 0));
	ip_csum(p);
}

static __u32 pseudo(const struct iphdr *ip, size_t l4_len)
{
	__u32 s = sum16(&ip->saddr, 4, 0);

	s = sum16(&ip->daddr, 4, s);
	return s + ip->protocol + (__u32)l4_len;
}

static void build_udp(struct pkt *p, const void *payload, size_t plen,
		      int with_csum)
{
	struct udphdr *udp;

	build_ip(p, IPPROTO_UDP, 0, sizeof(*udp) + plen);
	udp = (void *)p->l4;
	udp->source = htons(40000);
	udp->dest = htons(7);
	udp->len = htons(sizeof(*udp) + plen);
	memcpy(udp + 1, payload, plen);
	if (with_csum)
		udp->check = csum(sum16(udp, sizeof(*udp) + plen,
					pseudo(p->ip, sizeof(*udp) + plen)));
	ip_csum(p);
}

static void build_tcp(struct pkt *p, size_t opt_words, const void *opts,
		      const void *payload, size_t plen)
{
	struct tcphdr *tcp;
	size_t hlen = sizeof(*tcp) + opt_words * 4;

	build_ip(p, IPPROTO_TCP, 0, hlen + plen);
	tcp = (void *)p->l4;
	tcp->source = htons(40000);
	tcp->dest = htons(80);
	tcp->doff = hlen / 4;
	tcp->ack = 1;
	if (opts)
		memcpy(tcp + 1, opts, opt_words * 4);
	memcpy(p->l4 + hlen, payload, plen);
	ip_csum(p);
}

/* Run @fd on @in; the output (same size) goes to @out.  Returns retval. */
static int run(int fd, const void *in, size_t len, void *out)
{
	__u8 tmp[1024];
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = in,
		.data_size_in = len,
		.data_out = out ? out : tmp,
		.data_size_out = sizeof(tmp),
		.repeat = 1,
	);
	int err = bpf_prog_test_run_opts(fd, &o);

	if (err)
		return -1000 + err;
	if (o.data_size_out != len)
		return -2000;
	return (int)o.retval;
}

static void prog_fd_ok(int fd, const char *name)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	ok(fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	   !strcmp(info.name, name) && info.type == BPF_PROG_TYPE_XDP,
	   "%s: the fd names a loaded XDP program %s", name, name);
	ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "%s: the fd is close-on-exec",
	   name);
}

static void filter_drop(void)
{
	__u32 magic = 0xdeadbeef, other = 0x01020304;
	__u8 opts[12] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	__u8 payload[16];
	struct pkt p;
	int fd, fd2;

	errno = EXDEV;
	fd = exo_bpf_filter_drop(magic);
	if (!ok(fd >= 0, "exo_bpf_filter_drop loads (%d)", fd))
		return;
	is(EXDEV, errno, "a successful load leaves errno alone");
	prog_fd_ok(fd, "filter_drop");
	memcpy(payload, &magic, 4);
	memset(payload + 4, 'x', sizeof(payload) - 4);

	build_udp(&p, payload, sizeof(payload), 1);
	is(XDP_DROP, run(fd, p.b, p.len, NULL), "UDP with the magic: drop");
	build_udp(&p, payload, 4, 0);
	is(XDP_DROP, run(fd, p.b, p.len, NULL),
	   "UDP with just the magic: drop");
	build_udp(&p, payload, 3, 0);
	is(XDP_PASS, run(fd, p.b, p.len, NULL), "UDP with 3 bytes: pass");
	build_udp(&p, payload + 1, 8, 1);
	is(XDP_PASS, run(fd, p.b, p.len, NULL), "UDP, other payload: pass");
	build_tcp(&p, 0, NULL, payload, 8);
	is(XDP_DROP, run(fd, p.b, p.len, NULL), "TCP with the magic: drop");
	build_tcp(&p, 3, opts, payload, 8);
	is(XDP_DROP, run(fd, p.b, p.len, NULL),
	   "TCP with 12 bytes of options, then the magic: drop");
	memcpy(opts + 8, &magic, 4);
	build_tcp(&p, 3, opts, "GET / HTTP/1.0", 14);
	is(XDP_PASS, run(fd, p.b, p.len, NULL),
	   "TCP with the magic in its options only: pass");
	build_icmp(&p, 8, 0, 8, 0);
	memcpy(p.l4 + 4, &magic, 4);
	is(XDP_PASS, run(fd, p.b, p.len, NULL), "ICMP: pass");
	build_udp(&p, payload, sizeof(payload), 0);
	p.ip->frag_off = htons(10);
	ip_csum(&p);
	is(XDP_PASS, run(fd, p.b, p.len, NULL),
	   "a later fragment that looks like the magic: pass");
	build_udp(&p, payload, sizeof(payload), 0);
	is(XDP_PASS, run(fd, p.b, 20, NULL), "a truncated frame: pass");

	/* The configuration is per load. */
	fd2 = exo_bpf_filter_drop(other);
	build_udp(&p, payload, sizeof(payload), 1);
	is(XDP_PASS, run(fd2, p.b, p.len, NULL),
	   "a second filter, other magic: pass");
	is(XDP_DROP, run(fd, p.b, p.len, NULL), "the first still drops");
	close(fd2);
	close(fd);

	/* By path: the object's own .rodata, magic 0. */
	errno = EXDEV;
	fd = exo_bpf_load(EXO_BPF_DIR "/filter_drop.bpf.o", "filter_drop");
	if (ok(fd >= 0, "exo_bpf_load(filter_drop.bpf.o) loads (%d)", fd)) {
		is(EXDEV, errno, "exo_bpf_load leaves errno alone");
		prog_fd_ok(fd, "filter_drop");
		memset(payload, 0, 4);
		build_udp(&p, payload, 8, 0);
		is(XDP_DROP, run(fd, p.b, p.len, NULL),
		   "by path: magic 0 drops zeroes");
		close(fd);
	}
	fd = exo_bpf_load(EXO_BPF_DIR "/ash_echo.bpf.o", NULL);
	ok(fd >= 0, "exo_bpf_load(ash_echo.bpf.o, NULL): the first program");
	if (fd >= 0)
		prog_fd_ok(fd, "ash_echo");
	close(fd);
}

static void ash_icmp(int fd, size_t opt_words, size_t len, unsigned int seed,
		     int *all)
{
	struct pkt p, out;
	int ret;

	build_icmp(&p, 8, opt_words, len, seed);
	memset(&out, 0, sizeof(out));
	ret = run(fd, p.b, p.len, out.b);
	out.ip = (void *)(out.b + ETH_HLEN);
	out.l4 = (__u8 *)out.ip + out.ip->ihl * 4;
	*all &= ret == XDP_TX &&
		!memcmp(out.b, mac_a, ETH_ALEN) &&
		!memcmp(out.b + ETH_ALEN, mac_b, ETH_ALEN) &&
		out.ip->saddr == IP_B && out.ip->daddr == IP_A &&
		ip_csum_ok(out.ip) &&
		out.l4[0] == 0 && out.l4[1] == 0 &&
		!memcmp(out.l4 + 4, p.l4 + 4, len - 4) &&
		fold(sum16(out.l4, len, 0)) == 0xffff;
}

static void ash_echo(void)
{
	struct pkt p, out;
	struct udphdr *udp;
	int fd, all = 1;
	unsigned int i;

	fd = exo_bpf_ash_echo();
	if (!ok(fd >= 0, "exo_bpf_ash_echo loads (%d)", fd))
		return;
	prog_fd_ok(fd, "ash_echo");

	for (i = 0; i < 300; i++)
		ash_icmp(fd, 0, 8 + (i % 64), i * 2654435761U, &all);
	/* XDP_TX, MACs and IPs swapped, type 0, both checksums valid */
	ok(all, "300 echo requests of 8..71 bytes answered");
	all = 1;
	ash_icmp(fd, 1, 64, 7, &all);
	ash_icmp(fd, 10, 64, 9, &all);
	ok(all, "echo requests with IP options (ihl 6, 15) answered too");

	build_icmp(&p, 0, 0, 64, 1);
	is(XDP_PASS, run(fd, p.b, p.len, NULL), "an echo reply: pass");
	build_icmp(&p, 8, 0, 64, 1);
	memset(p.b, 0xff, ETH_ALEN);
	is(XDP_PASS, run(fd, p.b, p.len, NULL),
	   "a request to the broadcast MAC: pass");
	build_icmp(&p, 8, 0, 64, 1);
	p.ip->frag_off = htons(0x2000);
	ip_csum(&p);
	is(XDP_PASS, run(fd, p.b, p.len, NULL), "a first fragment: pass");
	build_icmp(&p, 8, 0, 64, 1);
	is(XDP_PASS, run(fd, p.b, ETH_HLEN + 20 + 4, NULL),
	   "an ICMP header cut short: pass");
	build_icmp(&p, 8, 0, 64, 1);
	((struct ethhdr *)p.b)->h_proto = htons(ETH_P_ARP);
	is(XDP_PASS, run(fd, p.b, p.len, NULL), "not IPv4: pass");

	build_udp(&p, "ECHO hello", 10, 1);
	memset(&out, 0, sizeof(out));
	is(XDP_TX, run(fd, p.b, p.len, out.b), "UDP \"ECHO...\": XDP_TX");
	out.ip = (void *)(out.b + ETH_HLEN);
	udp = (void *)(out.ip + 1);
	ok(!memcmp(out.b, mac_a, ETH_ALEN) &&
	   !memcmp(out.b + ETH_ALEN, mac_b, ETH_ALEN), "UDP: MACs swapped");
	ok(out.ip->saddr == IP_B && out.ip->daddr == IP_A && ip_csum_ok(out.ip),
	   "UDP: IPs swapped, IP checksum valid");
	ok(udp->source == htons(7) && udp->dest == htons(40000),
	   "UDP: ports swapped");
	is(0xffff, fold(sum16(udp, 18, pseudo(out.ip, 18))),
	   "UDP: checksum valid for the reply");
	ok(!memcmp(udp + 1, "ECHO hello", 10), "UDP: payload unchanged");
	build_udp(&p, "ECHO", 4, 0);
	is(XDP_TX, run(fd, p.b, p.len, out.b), "UDP \"ECHO\", no checksum");
	is(0, ((struct udphdr *)(out.b + ETH_HLEN + 20))->check,
	   "UDP: no checksum stays none");
	build_udp(&p, "ECHX", 4, 1);
	is(XDP_PASS, run(fd, p.b, p.len, out.b), "UDP \"ECHX\": pass");
	ok(!memcmp(out.b, p.b, p.len), "a passed packet is untouched");
	build_udp(&p, "ECH", 3, 1);
	is(XDP_PASS, run(fd, p.b, p.len, NULL), "UDP \"ECH\": pass");
	build_tcp(&p, 0, NULL, "ECHO", 4);
	is(XDP_PASS, run(fd, p.b, p.len, NULL), "TCP \"ECHO\": pass");
	close(fd);
}

static int run_ctx(int fd, const struct exo_wait_ctx *c, const __u64 *win)
{
	__u8 buf[sizeof(*c) + sizeof(*win)];

	memcpy(buf, c, sizeof(*c));
	if (win)
		memcpy(buf + sizeof(*c), win, sizeof(*win));
	return run(fd, buf, sizeof(*c) + (win ? sizeof(*win) : 0), NULL);
}

static void predicates(void)
{
	struct exo_wait_ctx c;
	__u8 shortbuf[40] = { 0 };
	__u64 w;
	int fd;

	fd = exo_bpf_pred_batch(4, 1000);
	if (ok(fd >= 0, "exo_bpf_pred_batch loads (%d)", fd)) {
		prog_fd_ok(fd, "pred_batch");
		memset(&c, 0, sizeof(c));
		c.now_ns = 1000000;
		is(0, run_ctx(fd, &c, NULL), "batch: nothing pending: sleep");
		c.rx_pending = 3;
		c.rx_oldest_ns = c.now_ns - 999;
		is(0, run_ctx(fd, &c, NULL), "batch: 3 < k, young: sleep");
		c.rx_oldest_ns = c.now_ns - 1000;
		is(1, run_ctx(fd, &c, NULL), "batch: 3 < k, t old: wake");
		c.rx_oldest_ns = c.now_ns + 5;
		is(0, run_ctx(fd, &c, NULL),
		   "batch: arrival after now (no wrap): sleep");
		c.rx_pending = 4;
		is(1, run_ctx(fd, &c, NULL), "batch: k pending: wake");
		c.rx_pending = 0;
		c.rx_oldest_ns = 0;
		c.events_pending = 1;
		is(1, run_ctx(fd, &c, NULL), "batch: an event queued: wake");
		c.events_pending = 0;
		c.revoke_owed = 2;
		is(1, run_ctx(fd, &c, NULL), "batch: frames owed: wake");
		is(1, run(fd, shortbuf, sizeof(shortbuf), NULL),
		   "batch: a context cut short: wake");
		close(fd);
	}

	fd = exo_bpf_pred_window(100);
	if (ok(fd >= 0, "exo_bpf_pred_window loads (%d)", fd)) {
		prog_fd_ok(fd, "pred_window");
		memset(&c, 0, sizeof(c));
		c.revoke_owed = 5;	/* not its business */
		w = 99;
		is(0, run_ctx(fd, &c, &w), "window 99 < 100: sleep");
		w = 100;
		is(1, run_ctx(fd, &c, &w), "window 100: wake");
		w = 1ULL << 63;
		is(1, run_ctx(fd, &c, &w), "window 2^63: wake");
		is(1, run_ctx(fd, &c, NULL), "no window: wake");
		close(fd);
	}
}

/*
 * tcp_wake: the filter's classification and counts, the predicate's
 * decisions on the shared state (through the mapping the library made).
 */
static void tcp_wake(void)
{
	struct exo_tcp_wake *w = exo_tcp_wake_load(8, 5000);
	__u64 urgent, lazy, u0, l0;
	unsigned int passed = 0;	/* packets the filter counted */
	struct exo_wait_ctx c;
	struct tcphdr *tcp;
	struct pkt p;
	int f, pr;

	errno = 0;
	ok(exo_tcp_wake_load(0, 5000) == NULL && errno == EINVAL,
	   "tcp_wake: k 0: EINVAL");
	if (!ok(w != NULL, "tcp_wake: loads (%s)", w ? "ok" : strerror(errno)))
		return;
	f = exo_tcp_wake_filter(w);
	pr = exo_tcp_wake_pred(w);
	prog_fd_ok(f, "tcp_wake_filter");
	prog_fd_ok(pr, "tcp_wake_pred");

#define CLASSIFY(what, want_urgent) do {					\
	exo_tcp_wake_counts(w, &u0, &l0);					\
	is(XDP_PASS, run(f, p.b, p.len, NULL), "tcp_wake: " what ": passed");	\
	passed++;								\
	exo_tcp_wake_counts(w, &urgent, &lazy);					\
	ok(urgent - u0 == (want_urgent) && lazy - l0 == !(want_urgent),		\
	   "tcp_wake: " what ": counted %s", (want_urgent) ? "urgent" : "lazy"); \
} while (0)
	build_tcp(&p, 0, NULL, NULL, 0);
	CLASSIFY("an ACK alone", 0);
	tcp = (void *)p.l4;
	tcp->fin = 1;
	CLASSIFY("FIN+ACK, no data", 0);
	build_tcp(&p, 2, "\x01\x01\x08\x0a\0\0\0\x01", NULL, 0);
	CLASSIFY("an ACK with options", 0);
	build_tcp(&p, 0, NULL, "GET /", 5);
	CLASSIFY("data", 1);
	build_tcp(&p, 0, NULL, NULL, 0);
	tcp = (void *)p.l4;
	tcp->syn = 1;
	tcp->ack = 0;
	CLASSIFY("a SYN", 1);
	tcp->syn = 0;
	tcp->rst = 1;
	CLASSIFY("a RST", 1);
	tcp->rst = 0;
	CLASSIFY("no flags", 1);
	build_udp(&p, "x", 1, 1);
	CLASSIFY("UDP", 1);
	build_tcp(&p, 0, NULL, NULL, 0);
	p.ip->tot_len = htons(ntohs(p.ip->tot_len) - 4);
	CLASSIFY("an IP length short of the headers", 1);
	build_tcp(&p, 0, NULL, NULL, 0);
	p.ip->frag_off = htons(0x2000);
	CLASSIFY("a fragment", 1);
	build_tcp(&p, 0, NULL, NULL, 0);
	p.len = 14 + 20 + 10;
	CLASSIFY("a TCP header cut short", 1);
	build_tcp(&p, 0, NULL, NULL, 0);
	exo_tcp_wake_arm(w, 1);
	CLASSIFY("an ACK alone, eager", 1);

	/* the predicate */
	memset(&c, 0, sizeof(c));
	c.now_ns = 1000000;
	is(1, run_ctx(pr, &c, NULL), "tcp_wake: urgent packets not yet seen: wake");
	/* the race of a mark before the drain: counted is not read */
	exo_tcp_wake_mark(w);
	exo_tcp_wake_drained(w, passed - 1);
	exo_tcp_wake_arm(w, 0);
	is(1, run_ctx(pr, &c, NULL),
	   "tcp_wake: all but the last counted packet read (it is on its way to the ring): wake");
	exo_tcp_wake_drained(w, 1);
	exo_tcp_wake_arm(w, 0);
	is(0, run_ctx(pr, &c, NULL), "tcp_wake: all read, nothing pending: sleep");
	c.rx_pending = 7;
	c.rx_oldest_ns = c.now_ns - 4999;
	is(0, run_ctx(pr, &c, NULL), "tcp_wake: 7 lazy < k, young: sleep");
	c.rx_oldest_ns = c.now_ns - 5000;
	is(1, run_ctx(pr, &c, NULL), "tcp_wake: a lazy packet t old: wake");
	c.rx_oldest_ns = c.now_ns - 1;
	c.rx_pending = 8;
	is(1, run_ctx(pr, &c, NULL), "tcp_wake: k pending: wake");
	c.rx_pending = 1;
	build_tcp(&p, 0, NULL, "x", 1);
	run(f, p.b, p.len, NULL);
	is(1, run_ctx(pr, &c, NULL), "tcp_wake: an urgent packet after the arm: wake");
	exo_tcp_wake_arm(w, 0);
	is(1, run_ctx(pr, &c, NULL), "tcp_wake: armed again without reading it: still wake");
	exo_tcp_wake_drained(w, 1);
	exo_tcp_wake_arm(w, 0);
	is(0, run_ctx(pr, &c, NULL), "tcp_wake: read and armed again: sleep");
	/* a lazy packet on its way leaves what was seen alone */
	build_tcp(&p, 0, NULL, NULL, 0);
	run(f, p.b, p.len, NULL);
	exo_tcp_wake_arm(w, 0);
	is(0, run_ctx(pr, &c, NULL), "tcp_wake: a lazy packet not read yet: sleep (the tick's)");
	c.events_pending = 1;
	is(1, run_ctx(pr, &c, NULL), "tcp_wake: an event queued: wake");
	c.events_pending = 0;
	c.revoke_owed = 1;
	is(1, run_ctx(pr, &c, NULL), "tcp_wake: frames owed: wake");
	exo_tcp_wake_free(w);
#undef CLASSIFY
}

int main(void)
{
	int fd;

	objects();
	unprivileged();

	fd = exo_bpf_ash_echo();
	if (fd == -EPERM) {
		skip("programs run (BPF_PROG_TEST_RUN)",
		     "needs CAP_BPF and CAP_NET_ADMIN");
	} else {
		close(fd);
		filter_drop();
		ash_echo();
		predicates();
		tcp_wake();
	}
	return done_testing();
}
