// SPDX-License-Identifier: GPL-2.0
/*
 * kbench: kevent against epoll, poll and io_uring, in the same boot.
 *
 *   kbench pipe  IFACE NPIPES TOKENS EVENTS   pipe ping-pong
 *   kbench echo  IFACE CONNS SIZE REQUESTS    loopback TCP echo
 *   kbench idle  IFACE NREG ACTIVE            wait cost, NREG registered
 *   kbench smoke                              every benchmark, tiny, TAP
 *
 * IFACE is kevent, epoll, poll or uring (io_uring through liburing, with
 * multishot poll).  Every variant consumes an event with read() (and, for
 * the echo, answers with write()), so the work per event is the same and
 * only the waiting differs.  Each run prints one line per figure:
 *
 *   BENCH <bench> <param> <iface> <metric> <value>
 *
 * which scripts/bench-report.py collects.  The system calls the event
 * loop makes are counted at their call sites (io_uring: one per
 * io_uring_submit_and_wait() or io_uring_submit()).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <liburing.h>
#include <linux/kevent.h>

#ifndef __NR_kevent_init
#define __NR_kevent_init	474
#define __NR_kevent_ctl		475
#define __NR_kevent_wait	476
#endif

#define MAXEV	64

static unsigned long nsys;	/* system calls of the event loop */
#define SYS(call)	(nsys++, (call))

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "kbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* --- the four ways of waiting for a set of fds to become readable --- */

enum iface { KEVENT, EPOLL, POLL, URING, NR_IFACES };
static const char *const iface_name[] = { "kevent", "epoll", "poll", "uring" };

struct waiter {
	enum iface	iface;
	int		fd;		/* kevent or epoll fd */
	struct pollfd	*pfd;		/* poll */
	int		npfd;
	struct io_uring	ring;		/* uring */
	int		pending;	/* uring: SQEs not submitted */
};

static void w_init(struct waiter *w, enum iface iface, int max)
{
	struct kevent_init_args ka = { 0 };
	struct io_uring_params p = { 0 };

	memset(w, 0, sizeof(*w));
	w->iface = iface;
	switch (iface) {
	case KEVENT:
		w->fd = syscall(__NR_kevent_init, &ka, sizeof(ka));
		if (w->fd < 0)
			die("kevent_init");
		break;
	case EPOLL:
		w->fd = epoll_create1(0);
		if (w->fd < 0)
			die("epoll_create1");
		break;
	case POLL:
		w->pfd = calloc(max, sizeof(*w->pfd));
		if (!w->pfd)
			die("calloc");
		break;
	case URING:
		/* Room for a completion of every watched fd, up to the limit */
		p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
		p.cq_entries = max < 4096 ? 8192 : 2 * max;
		if (io_uring_queue_init_params(4096, &w->ring, &p))
			die("io_uring_queue_init");
		break;
	default:
		break;
	}
}

static void w_submit(struct waiter *w)
{
	if (w->pending) {
		if (SYS(io_uring_submit(&w->ring)) < 0)
			die("io_uring_submit");
		w->pending = 0;
	}
}

static void uring_poll(struct waiter *w, int fd, int tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	if (!sqe) {
		w_submit(w);
		sqe = io_uring_get_sqe(&w->ring);
	}
	io_uring_prep_poll_multishot(sqe, fd, POLLIN);
	io_uring_sqe_set_data64(sqe, tag);
	w->pending++;
}

/*
 * The kevent type for pipes and sockets: the native source of each, or
 * KEVENT_TYPE_POLL for both with KBENCH_KEVENT_POLL=1 in the environment.
 */
static bool kevent_poll_only;

/* "# " in smoke mode: the figures are TAP diagnostics there */
static const char *report_prefix = "";

/* Watch @fd, a pipe or a socket, for input; events carry @tag. */
static void w_add(struct waiter *w, int fd, int tag, bool sock)
{
	struct ukevent uk = {
		.id = fd, .udata = tag, .type = KEVENT_TYPE_PIPE,
		.cmd = KEVENT_CTL_ADD, .event = KEVENT_POLL_IN,
	};
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	if (kevent_poll_only) {
		uk.type = KEVENT_TYPE_POLL;
	} else if (sock) {
		uk.type = KEVENT_TYPE_SOCKET;
		uk.event = KEVENT_SOCKET_RECV;
	}
	switch (w->iface) {
	case KEVENT:
		if (SYS(syscall(__NR_kevent_ctl, w->fd, 0, 1, &uk,
				sizeof(uk))) != 1)
			die("kevent_ctl");
		break;
	case EPOLL:
		if (SYS(epoll_ctl(w->fd, EPOLL_CTL_ADD, fd, &ev)))
			die("epoll_ctl");
		break;
	case POLL:
		w->pfd[tag].fd = fd;
		w->pfd[tag].events = POLLIN;
		if (tag >= w->npfd)
			w->npfd = tag + 1;
		break;
	case URING:
		uring_poll(w, fd, tag);
		break;
	default:
		break;
	}
}

/* Wait for at least one event; the tags that fired go to @tags. */
static int w_wait(struct waiter *w, int *tags, int max, int *fds)
{
	struct ukevent uk[MAXEV];
	struct epoll_event ev[MAXEV];
	struct io_uring_cqe *cqe;
	unsigned int head;
	int n = 0, i;

	if (max > MAXEV)
		max = MAXEV;
	switch (w->iface) {
	case KEVENT:
		n = SYS(syscall(__NR_kevent_wait, w->fd, 1, max, uk, NULL, 0));
		if (n < 0)
			die("kevent_wait");
		for (i = 0; i < n; i++)
			tags[i] = uk[i].udata;
		break;
	case EPOLL:
		n = SYS(epoll_wait(w->fd, ev, max, -1));
		if (n < 0)
			die("epoll_wait");
		for (i = 0; i < n; i++)
			tags[i] = ev[i].data.u64;
		break;
	case POLL:
		if (SYS(poll(w->pfd, w->npfd, -1)) < 0)
			die("poll");
		for (i = 0; i < w->npfd && n < max; i++)
			if (w->pfd[i].revents)
				tags[n++] = i;
		break;
	case URING:
		if (SYS(io_uring_submit_and_wait(&w->ring, 1)) < 0)
			die("io_uring_submit_and_wait");
		w->pending = 0;
		i = 0;
		io_uring_for_each_cqe(&w->ring, head, cqe) {
			int tag = io_uring_cqe_get_data64(cqe);

			/* The rest stays for the next call */
			if (n == max)
				break;
			i++;
			/* A multishot poll that ended must be armed again */
			if (!(cqe->flags & IORING_CQE_F_MORE))
				uring_poll(w, fds[tag], tag);
			if (cqe->res > 0)
				tags[n++] = tag;
		}
		io_uring_cq_advance(&w->ring, i);
		break;
	default:
		break;
	}
	return n;
}

static void w_exit(struct waiter *w)
{
	switch (w->iface) {
	case KEVENT:
	case EPOLL:
		close(w->fd);
		break;
	case POLL:
		free(w->pfd);
		break;
	case URING:
		io_uring_queue_exit(&w->ring);
		break;
	default:
		break;
	}
}

static enum iface parse_iface(const char *s)
{
	int i;

	for (i = 0; i < NR_IFACES; i++)
		if (!strcmp(s, iface_name[i]))
			return i;
	fprintf(stderr, "kbench: unknown interface %s\n", s);
	exit(2);
}

static void raise_nofile(int n)
{
	struct rlimit rl = { n, n };

	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit(RLIMIT_NOFILE)");
}

/* Pipes, non-blocking: rfd[i], wfd[i] */
static void make_pipes(int n, int **rfd, int **wfd)
{
	int i, p[2];

	*rfd = malloc(n * sizeof(int));
	*wfd = malloc(n * sizeof(int));
	if (!*rfd || !*wfd)
		die("malloc");
	for (i = 0; i < n; i++) {
		if (pipe2(p, O_NONBLOCK))
			die("pipe2");
		(*rfd)[i] = p[0];
		(*wfd)[i] = p[1];
	}
}

static void close_pipes(int n, int *rfd, int *wfd)
{
	int i;

	for (i = 0; i < n; i++) {
		close(rfd[i]);
		close(wfd[i]);
	}
	free(rfd);
	free(wfd);
}

static void report(const char *bench, const char *param, enum iface iface,
		   const char *metric, double value)
{
	const char *name = iface_name[iface];

	if (iface == KEVENT && kevent_poll_only)
		name = "kevent_poll";
	printf("%sBENCH %s %s %s %s %.6g\n", report_prefix, bench, param, name,
	       metric, value);
	fflush(stdout);
}

/*
 * Pipe ping-pong: @tokens bytes circulate through @n pipes; an event is
 * a byte read from pipe i and written to pipe i + 1.
 */
static int bench_pipe(enum iface iface, int n, int tokens, long events)
{
	int *rfd, *wfd, tags[MAXEV], i, k;
	char param[64], c = 'x';
	struct waiter w;
	long done = 0;
	double t0, t;

	raise_nofile(2 * n + 64);
	make_pipes(n, &rfd, &wfd);
	w_init(&w, iface, n);
	for (i = 0; i < n; i++)
		w_add(&w, rfd[i], i, false);
	if (iface == URING)
		w_submit(&w);
	for (i = 0; i < tokens; i++)
		if (write(wfd[(long)i * n / tokens], &c, 1) != 1)
			die("write");

	nsys = 0;
	t0 = now();
	while (done < events) {
		int nr = w_wait(&w, tags, MAXEV, rfd);

		for (k = 0; k < nr; k++) {
			i = tags[k];
			if (SYS(read(rfd[i], &c, 1)) != 1)
				continue;	/* taken by an earlier event */
			if (SYS(write(wfd[(i + 1) % n], &c, 1)) != 1)
				die("write");
			done++;
		}
	}
	t = now() - t0;

	snprintf(param, sizeof(param), "n=%d,tokens=%d", n, tokens);
	report("pipe", param, iface, "events_per_s", done / t);
	report("pipe", param, iface, "ns_per_event", t * 1e9 / done);
	report("pipe", param, iface, "syscalls_per_event", (double)nsys / done);
	w_exit(&w);
	close_pipes(n, rfd, wfd);
	return 0;
}

static long slab_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * Idle scaling: @n pipes registered, @active of them written and read
 * each round.  Reports the cost of a round, and the slab memory the
 * registrations took.
 */
static int bench_idle(enum iface iface, int n, int active)
{
	int *rfd, *wfd, tags[MAXEV], i, k, got;
	long rounds = 0, slab0, slab1;
	char param[64], c = 'x';
	struct waiter w;
	double t0, t;

	raise_nofile(2 * n + 64);
	make_pipes(n, &rfd, &wfd);
	sync();
	slab0 = slab_kb();
	w_init(&w, iface, n);
	for (i = 0; i < n; i++)
		w_add(&w, rfd[i], i, false);
	if (iface == URING)
		w_submit(&w);
	slab1 = slab_kb();

	nsys = 0;
	t0 = now();
	do {
		for (k = 0; k < active; k++)
			if (write(wfd[(long)k * n / active], &c, 1) != 1)
				die("write");
		for (got = 0; got < active;) {
			int nr = w_wait(&w, tags, MAXEV, rfd);

			for (k = 0; k < nr; k++)
				if (SYS(read(rfd[tags[k]], &c, 1)) == 1)
					got++;
		}
		rounds++;
		t = now() - t0;
	} while ((t < 0.3 || rounds < 20) && rounds < 100000);

	snprintf(param, sizeof(param), "n=%d,active=%d", n, active);
	report("idle", param, iface, "us_per_round", t * 1e6 / rounds);
	/* Meminfo counts kB: too coarse for fewer registrations */
	if (iface != POLL && n >= 10000)
		report("mem", param, iface, "bytes_per_registration",
		       (slab1 - slab0) * 1024.0 / n);
	w_exit(&w);
	close_pipes(n, rfd, wfd);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Echo server: answer what each connection sends until all are closed. */
static void echo_server(enum iface iface, int *fds, int conns, int size,
			long requests, const char *param)
{
	int tags[MAXEV], open = conns, i, k;
	char *buf = malloc(size);
	struct waiter w;

	w_init(&w, iface, conns);
	for (i = 0; i < conns; i++)
		w_add(&w, fds[i], i, true);
	if (iface == URING)
		w_submit(&w);
	while (open > 0) {
		int nr = w_wait(&w, tags, MAXEV, fds);

		for (k = 0; k < nr; k++) {
			i = tags[k];
			if (fds[i] < 0)
				continue;
			ssize_t r = SYS(read(fds[i], buf, size));

			if (r > 0) {
				if (SYS(write(fds[i], buf, r)) != r)
					die("server write");
			} else if (r == 0) {
				if (iface == POLL)
					w.pfd[i].fd = -1;
				close(fds[i]);
				fds[i] = -1;
				open--;
			}
		}
	}
	report("echo", param, iface, "server_syscalls_per_request",
	       (double)nsys / requests);
	w_exit(&w);
	free(buf);
}

/*
 * Loopback TCP echo: @conns connections, each with one request of @size
 * bytes outstanding, @requests in all.  The client is the same epoll
 * loop for every server interface and measures each round trip.
 */
static int bench_echo(enum iface iface, int conns, int size, long requests)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int lfd, *sfd, *cfd, *got, ep, i, one = 1, status;
	long sent = 0, done = 0;
	double *lat, *start, t0, t;
	socklen_t len = sizeof(sa);
	struct epoll_event ev[MAXEV];
	char param[64], *buf;
	pid_t pid;

	raise_nofile(2 * conns + 64);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (void *)&sa, sizeof(sa)) ||
	    listen(lfd, conns) || getsockname(lfd, (void *)&sa, &len))
		die("listen");
	sfd = malloc(conns * sizeof(int));
	cfd = malloc(conns * sizeof(int));
	got = calloc(conns, sizeof(int));
	start = calloc(conns, sizeof(double));
	lat = malloc(requests * sizeof(double));
	buf = calloc(1, size);
	for (i = 0; i < conns; i++) {
		cfd[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (cfd[i] < 0 || connect(cfd[i], (void *)&sa, sizeof(sa)))
			die("connect");
		setsockopt(cfd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		sfd[i] = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		if (sfd[i] < 0)
			die("accept");
		setsockopt(sfd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	snprintf(param, sizeof(param), "conns=%d,size=%d", conns, size);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		for (i = 0; i < conns; i++)
			close(cfd[i]);
		echo_server(iface, sfd, conns, size, requests, param);
		_exit(0);
	}
	for (i = 0; i < conns; i++)
		close(sfd[i]);

	ep = epoll_create1(0);
	for (i = 0; i < conns; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };

		fcntl(cfd[i], F_SETFL, O_NONBLOCK);
		epoll_ctl(ep, EPOLL_CTL_ADD, cfd[i], &e);
	}
	t0 = now();
	for (i = 0; i < conns && sent < requests; i++, sent++) {
		start[i] = now();
		if (write(cfd[i], buf, size) != size)
			die("client write");
	}
	while (done < requests) {
		int nr = epoll_wait(ep, ev, MAXEV, 10000), k;

		if (nr <= 0)
			die("client epoll_wait (timeout?)");
		for (k = 0; k < nr; k++) {
			i = ev[k].data.u32;
			ssize_t r = read(cfd[i], buf, size);

			if (r <= 0)
				continue;
			got[i] += r;
			if (got[i] < size)
				continue;
			got[i] = 0;
			lat[done++] = now() - start[i];
			if (sent < requests) {
				sent++;
				start[i] = now();
				if (write(cfd[i], buf, size) != size)
					die("client write");
			}
		}
	}
	t = now() - t0;
	for (i = 0; i < conns; i++)
		close(cfd[i]);
	waitpid(pid, &status, 0);

	qsort(lat, done, sizeof(double), cmp_double);
	report("echo", param, iface, "requests_per_s", done / t);
	report("echo", param, iface, "p50_us", lat[done / 2] * 1e6);
	report("echo", param, iface, "p99_us", lat[done * 99 / 100] * 1e6);
	close(ep);
	close(lfd);
	free(sfd);
	free(cfd);
	free(got);
	free(start);
	free(lat);
	free(buf);
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : 1;
}

/* Run @fn in a child so that each run starts from a clean process. */
static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (!pid)
		_exit(fn(arg));
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

struct smoke { int what; enum iface iface; };

static int smoke_one(void *arg)
{
	struct smoke *s = arg;

	switch (s->what) {
	case 0:
		return bench_pipe(s->iface, 10, 2, 200);
	case 1:
		return bench_echo(s->iface, 4, 64, 40);
	default:
		return bench_idle(s->iface, 50, 2);
	}
}

/* Every benchmark at a tiny size on every interface, as TAP. */
static int smoke(void)
{
	static const char *const what[] = { "pipe", "echo", "idle" };
	int w, i, n = 0, fail = 0;

	report_prefix = "# ";
	printf("TAP version 13\n1..%d\n", 3 * NR_IFACES);
	for (w = 0; w < 3; w++) {
		for (i = 0; i < NR_IFACES; i++) {
			struct smoke s = { w, i };
			int rc;

			fflush(stdout);
			rc = in_child(smoke_one, &s);
			printf("%sok %d %s %s\n", rc ? "not " : "", ++n, what[w],
			       iface_name[i]);
			fail |= rc;
		}
	}
	return fail;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	kevent_poll_only = getenv("KBENCH_KEVENT_POLL") != NULL;
	if (argc == 2 && !strcmp(argv[1], "smoke"))
		return smoke();
	if (argc == 6 && !strcmp(argv[1], "pipe"))
		return bench_pipe(parse_iface(argv[2]), atoi(argv[3]),
				  atoi(argv[4]), atol(argv[5]));
	if (argc == 6 && !strcmp(argv[1], "echo"))
		return bench_echo(parse_iface(argv[2]), atoi(argv[3]),
				  atoi(argv[4]), atol(argv[5]));
	if (argc == 5 && !strcmp(argv[1], "idle"))
		return bench_idle(parse_iface(argv[2]), atoi(argv[3]),
				  atoi(argv[4]));
	fprintf(stderr, "usage: kbench smoke | pipe IFACE NPIPES TOKENS EVENTS | "
		"echo IFACE CONNS SIZE REQUESTS | idle IFACE NREG ACTIVE\n");
	return 2;
}
