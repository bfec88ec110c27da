/* SPDX-License-Identifier: GPL-2.0 */
/*
 * noisy.h — a noisy neighbour for the contention benchmarks (bench-pages,
 * bench-block): a child process with its own env that does nothing but
 * control calls, as fast as it can, until it is stopped.  One round is
 * frame alloc of 16, derive of a child capability, revoke of it, close of
 * the tombstone, free of the 16; with NOISY_EXTENTS also an extent alloc
 * of one block and its free (a table commit each: two writes and a flush).
 *
 * RATIO contention.<path> = the fast path's rate while a neighbour runs
 * divided by its rate alone; a path that shares no lock with the control
 * calls stays near 1 (on a guest with a vCPU for each).
 *
 * With NOISY_SPIN the neighbour makes no exo call at all: it writes a
 * 64 KiB buffer over and over.  The ratio beside it is what a second busy
 * vCPU alone costs the fast path (under TCG on a shared host, where the
 * two vCPU threads compete for the host's CPUs and caches), the floor
 * that a path sharing nothing with its neighbour can reach.
 */
#ifndef NOISY_H
#define NOISY_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <exo.h>

#define NOISY_EXTENTS	1	/* noisy_start() flags */
#define NOISY_SPIN	2

struct noisy {
	pid_t pid;
	int pipe;		/* the child's round count, when it stops */
	double t0;
};

static volatile sig_atomic_t noisy_stop_flag;

static void noisy_on_term(int sig)
{
	(void)sig;
	noisy_stop_flag = 1;
}

/* The child: rounds of control calls until SIGTERM; writes its count. */
static void noisy_child(int out, int flags)
{
	exo_cap_t caps[16], child, ext;
	unsigned long rounds = 0;
	static char buf[65536];
	int fd = exo_open();

	if (fd < 0)
		_exit(1);
	while ((flags & NOISY_SPIN) && !noisy_stop_flag) {
		memset(buf, (int)rounds, sizeof(buf));
		__asm__ volatile("" : : "r"(buf) : "memory");
		rounds++;
	}
	while (!(flags & NOISY_SPIN) && !noisy_stop_flag) {
		if (exo_frame_alloc(fd, 16, caps, NULL))
			_exit(2);
		if (exo_cap_derive(fd, caps[0], EXO_RIGHT_READ, &child) ||
		    exo_cap_revoke(fd, caps[0], 0, NULL) ||
		    exo_cap_close(fd, child))
			_exit(3);
		if (exo_caps_close(fd, caps, 16) != 16)
			_exit(4);
		if (flags & NOISY_EXTENTS) {
			if (exo_extent_alloc(fd, 1, &ext, NULL, NULL, NULL) ||
			    exo_extent_free(fd, ext))
				_exit(5);
		}
		rounds++;
	}
	if (write(out, &rounds, sizeof(rounds)) != sizeof(rounds))
		_exit(6);
	exo_close(fd);
	_exit(0);
}

/* Start a neighbour; returns 0 or -errno. */
static int noisy_start(struct noisy *n, int flags, double t0)
{
	void (*old)(int);
	int p[2], err;

	if (pipe(p))
		return -errno;
	noisy_stop_flag = 0;
	old = signal(SIGTERM, noisy_on_term);	/* the child's, from fork on */
	n->pid = fork();
	if (!n->pid) {
		close(p[0]);
		noisy_child(p[1], flags);
	}
	err = errno;
	signal(SIGTERM, old);
	close(p[1]);
	if (n->pid < 0) {
		close(p[0]);
		return -err;
	}
	n->pipe = p[0];
	n->t0 = t0;
	return 0;
}

/*
 * Stop it; returns its rounds per second (since @n->t0, to @t1), or a
 * negative value if it failed (its exit status says where).
 */
static double noisy_stop(struct noisy *n, double t1)
{
	unsigned long rounds = 0;
	int status;

	kill(n->pid, SIGTERM);
	if (read(n->pipe, &rounds, sizeof(rounds)) != sizeof(rounds))
		rounds = 0;
	close(n->pipe);
	if (waitpid(n->pid, &status, 0) != n->pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "noisy neighbour failed (status %#x)\n", status);
		return -1;
	}
	return rounds / (t1 - n->t0);
}

#endif /* NOISY_H */
