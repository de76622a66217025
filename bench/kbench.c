// SPDX-License-Identifier: GPL-2.0
/*
 * kbench: kevent against epoll, poll and io_uring, in the same boot.
 *
 *   kbench pipe   IFACE NPIPES TOKENS EVENTS   pipe ping-pong
 *   kbench echo   IFACE CONNS SIZE REQUESTS    loopback TCP echo
 *   kbench idle   IFACE NREG ACTIVE            wait cost, NREG registered
 *   kbench stream IFACE CONNS SIZE MIB         loopback TCP bulk receive
 *   kbench inode  IFACE NFILES MODS            a burst of file changes
 *   kbench smoke                               every benchmark, tiny, TAP
 *
 * IFACE is kevent, epoll, poll or uring (io_uring through liburing, with
 * multishot poll) for the readiness benchmarks.  Every such variant
 * consumes an event with read() (and, for the echo, answers with
 * write()), so the work per event is the same and only the waiting
 * differs.  The echo also takes two servers that never call read() or
 * write(), the kernel moving the data: naio (kevent network AIO,
 * KEVENT_TYPE_NAIO) and uring_io (io_uring IORING_OP_RECV and _SEND).
 * The stream benchmark compares receivers: epoll with recv(), naio,
 * uring_io, uring_fixed (IORING_OP_READ_FIXED into registered buffers)
 * and uring_mshot (multishot receive into a ring of provided buffers).
 * The inode benchmark compares kevent's KEVENT_TYPE_INODE with inotify.
 * Each run prints one line per figure:
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
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
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
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <liburing.h>
#include <libkevent.h>

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

/* A check that failed, not a call: there is no errno to tell */
static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("kbench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/*
 * The interfaces.  The first NR_WAITERS wait for readiness (struct waiter
 * below) and leave the data to read() and write(); the others complete
 * requests, the kernel moving the data.
 */
enum iface {
	KEVENT, EPOLL, POLL, URING, NR_WAITERS,
	NAIO = NR_WAITERS,	/* kevent network AIO */
	URING_IO,		/* io_uring IORING_OP_RECV and _SEND */
	URING_FIXED,		/* io_uring IORING_OP_READ_FIXED */
	URING_MSHOT,		/* io_uring multishot recv, buffer ring */
	INOTIFY,		/* inode events: inotify against kevent */
	NR_IFACES
};
static const char *const iface_name[] = {
	"kevent", "epoll", "poll", "uring",
	"naio", "uring_io", "uring_fixed", "uring_mshot", "inotify",
};

/* Sets of interfaces, for what each benchmark can run on */
#define IFACE(i)	(1U << (i))
#define WAITERS		(IFACE(NR_WAITERS) - 1)
#define ECHO_IFACES	(WAITERS | IFACE(NAIO) | IFACE(URING_IO))
#define STREAM_IFACES	(IFACE(EPOLL) | IFACE(NAIO) | IFACE(URING_IO) | \
			 IFACE(URING_FIXED) | IFACE(URING_MSHOT))
#define INODE_IFACES	(IFACE(KEVENT) | IFACE(INOTIFY))

/* --- the four ways of waiting for a set of fds to become readable --- */

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
	struct io_uring_params p = { 0 };

	memset(w, 0, sizeof(*w));
	w->iface = iface;
	switch (iface) {
	case KEVENT:
		w->fd = kevent_queue(0);
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
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };
	struct ukevent uk;

	if (kevent_poll_only)
		kevent_prep_fd(&uk, KEVENT_CTL_ADD, KEVENT_TYPE_POLL, fd,
			       KEVENT_POLL_IN, 0, tag);
	else if (sock)
		kevent_prep_fd(&uk, KEVENT_CTL_ADD, KEVENT_TYPE_SOCKET, fd,
			       KEVENT_SOCKET_RECV, 0, tag);
	else
		kevent_prep_fd(&uk, KEVENT_CTL_ADD, KEVENT_TYPE_PIPE, fd,
			       KEVENT_POLL_IN, 0, tag);
	switch (w->iface) {
	case KEVENT:
		if (SYS(kevent_ctl(w->fd, 0, 1, &uk, sizeof(uk))) != 1)
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
		n = SYS(kevent_getevents(w->fd, 1, max, uk, NULL));
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

/* --- requests the kernel completes: kevent network AIO, io_uring I/O --- */

static int kq_init(void)
{
	int fd = kevent_queue(0);

	if (fd < 0)
		die("kevent_queue");
	return fd;
}

/*
 * A NAIO request, @cmd KEVENT_CTL_ADD, _MODIFY or _ENABLE: @op
 * (KEVENT_NAIO_RECV or _SEND) of @len bytes at @buf on socket @fd.  A
 * socket may have several requests at once: the request number @nr, the
 * high half of the id, tells them apart.  The requests are DISPATCH ones,
 * added once with their buffer pinned, and run again by ENABLE or MODIFY
 * after each completion, as a server keeps one per connection and buffer.
 */
static void naio_req(struct ukevent *uk, unsigned int cmd, int fd, __u32 nr,
		     unsigned int op, void *buf, size_t len, __u64 udata)
{
	kevent_prep_naio(uk, cmd, fd, nr, op, buf, len, KEVENT_REQ_DISPATCH,
			 udata);
}

/* The first requests, before there is a completion to wait for */
static void naio_submit(int kfd, struct ukevent *ch, int nch)
{
	if (SYS(kevent_ctl(kfd, 0, nch, ch, sizeof(*ch))) != nch)
		die("kevent_ctl(NAIO)");
}

/*
 * Submit the @nch requests at @ch and wait for completions, up to @max,
 * in one system call.  Returns the number of completions at @ev; a
 * request refused or failed is fatal, the benchmarks expect no error.
 */
static int naio_wait(int kfd, const struct ukevent *ch, int nch,
		     struct ukevent *ev, int max)
{
	int n, i;

	n = SYS(kevent_submit_and_wait(kfd, ch, nch, ev, 1, max, NULL, NULL));
	if (n < 0)
		die("kevent_wait");
	for (i = 0; i < n; i++) {
		if (kevent_change_error(&ev[i])) {
			errno = kevent_change_error(&ev[i]);
			die("NAIO request");
		}
		if (kevent_naio_error(&ev[i])) {
			errno = kevent_naio_error(&ev[i]);
			die("NAIO completion");
		}
	}
	return n;
}

/*
 * A ring for I/O requests, set up as liburing advises for networking
 * since 6.1: one task submits, and completions are run in its
 * io_uring_submit_and_wait() instead of interrupting it (no task work
 * IPIs).  That is io_uring at its best for these loops.
 */
static void uring_io_init(struct io_uring *ring, int max)
{
	struct io_uring_params p = { 0 };

	/* Room for a completion of every connection, up to the limit */
	p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP |
		  IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	p.cq_entries = max < 4096 ? 8192 : 2 * max;
	if (io_uring_queue_init_params(4096, ring, &p))
		die("io_uring_queue_init");
}

/* An SQE, handing the full SQ ring to the kernel first if need be */
static struct io_uring_sqe *uring_sqe(struct io_uring *ring, __u64 data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		if (SYS(io_uring_submit(ring)) < 0)
			die("io_uring_submit");
		sqe = io_uring_get_sqe(ring);
	}
	io_uring_sqe_set_data64(sqe, data);
	return sqe;
}

/* Hand the SQEs over and wait for at least one completion */
static void uring_submit_wait(struct io_uring *ring)
{
	if (SYS(io_uring_submit_and_wait(ring, 1)) < 0)
		die("io_uring_submit_and_wait");
}

/* @s among the interfaces of the set @can */
static enum iface parse_iface(const char *s, unsigned int can)
{
	int i;

	for (i = 0; i < NR_IFACES; i++)
		if ((can & IFACE(i)) && !strcmp(s, iface_name[i]))
			return i;
	fprintf(stderr, "kbench: unknown interface %s for this benchmark\n", s);
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

/* @n buffers of @size bytes, one after the other, page aligned */
static char *conn_bufs(int n, size_t size)
{
	char *p = mmap(NULL, n * size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

/* A connection of the NAIO echo server */
struct naio_conn {
	char	*buf[2];
	int	recv;		/* the buffer the RECV is on */
	bool	added[2];	/* its request was added */
	bool	sending[2];	/* its SEND is not complete */
	bool	deferred;	/* the RECV waits for its buffer's SEND */
};

/* Receive into buffer @b of connection @i, with @b's request */
static void echo_naio_recv(struct ukevent *uk, struct naio_conn *c, int b,
			   int fd, int size, int i)
{
	naio_req(uk, c->added[b] ? KEVENT_CTL_MODIFY : KEVENT_CTL_ADD, fd, b,
		 KEVENT_NAIO_RECV, c->buf[b], size, i);
	c->added[b] = true;
}

/*
 * The echo server on kevent network AIO: the kernel receives into and
 * sends from the connections' buffers, the loop only says what comes
 * next.  Each connection has two buffers, each with a DISPATCH request
 * pinned once, and a RECV always outstanding: when it completes, MODIFY
 * turns it into the SEND of what it received and the other buffer's
 * request into the next RECV, so the next request never waits for the
 * server to ask for it.  (A RECV into the buffer being sent waits for
 * that SEND to complete; in this echo, where the client sends its next
 * request once it has the whole answer, it never has to.)  Everything a
 * batch of completions calls for is submitted by the kevent_wait() that
 * waits for the next batch.  A SEND usually completes in the call that
 * submits it, which then returns at once: a lone connection makes two
 * calls per request, many share them.
 */
static void echo_naio(int *fds, int conns, int size, long requests,
		      const char *param)
{
	struct naio_conn *conn = calloc(conns, sizeof(*conn));
	struct ukevent ev[MAXEV], *ch;
	int kfd = kq_init(), open = conns, nch = 0, i, k;
	char *buf = conn_bufs(2 * conns, size);

	/* Each completion calls for two requests at most */
	ch = malloc((conns > 2 * MAXEV ? conns : 2 * MAXEV) * sizeof(*ch));
	if (!conn || !ch)
		die("malloc");
	for (i = 0; i < conns; i++) {
		conn[i].buf[0] = buf + 2L * i * size;
		conn[i].buf[1] = conn[i].buf[0] + size;
		echo_naio_recv(&ch[i], &conn[i], 0, fds[i], size, i);
	}
	naio_submit(kfd, ch, conns);
	while (open > 0) {
		int nr = naio_wait(kfd, ch, nch, ev, MAXEV);

		nch = 0;
		for (k = 0; k < nr; k++) {
			__u32 moved = kevent_naio_bytes(&ev[k]);
			struct naio_conn *c;
			int b;

			i = ev[k].udata;
			c = &conn[i];
			if (ev[k].event & KEVENT_NAIO_SEND) {
				if (moved != ev[k].param[1])
					fail("NAIO SEND of %llu bytes moved %u",
					     ev[k].param[1], moved);
				b = ev[k].id >> 32;
				c->sending[b] = false;
				if (c->deferred && c->recv == b) {
					c->deferred = false;
					echo_naio_recv(&ch[nch++], c, b, fds[i],
						       size, i);
				}
				continue;
			}
			if (!moved) {
				/* End of file: the client is done */
				close(fds[i]);
				open--;
				continue;
			}
			b = c->recv;
			naio_req(&ch[nch++], KEVENT_CTL_MODIFY, fds[i], b,
				 KEVENT_NAIO_SEND, c->buf[b], moved, i);
			c->sending[b] = true;
			c->recv = b ^= 1;
			if (c->sending[b])
				c->deferred = true;
			else
				echo_naio_recv(&ch[nch++], c, b, fds[i], size,
					       i);
		}
	}
	report("echo", param, NAIO, "server_syscalls_per_request",
	       (double)nsys / requests);
	close(kfd);
	free(ch);
	free(conn);
	munmap(buf, 2L * conns * size);
}

/* What an io_uring echo request is doing, in the high half of user_data */
#define URING_RECV	0
#define URING_SEND	1

/*
 * The echo server on io_uring as its users write it: an IORING_OP_RECV
 * per connection, an IORING_OP_SEND of what it received when it
 * completes (the rest again after a short send), the RECV again when
 * that completes.  What the completions call for is submitted by the
 * io_uring_submit_and_wait() that waits for the next ones.
 */
static void echo_uring_io(int *fds, int conns, int size, long requests,
			  const char *param)
{
	int open = conns, *len = calloc(conns, sizeof(int)), i;
	int *sent = calloc(conns, sizeof(int));
	char *buf = conn_bufs(conns, size);
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	unsigned int head, n;

	if (!len || !sent)
		die("calloc");
	uring_io_init(&ring, conns);
	for (i = 0; i < conns; i++)
		io_uring_prep_recv(uring_sqe(&ring, i), fds[i],
				   buf + (long)i * size, size, 0);
	while (open > 0) {
		uring_submit_wait(&ring);
		n = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			__u64 op = cqe->user_data >> 32;
			char *b;

			n++;
			i = (__u32)cqe->user_data;
			b = buf + (long)i * size;
			if (cqe->res < 0) {
				errno = -cqe->res;
				die(op == URING_SEND ? "uring send" :
				    "uring recv");
			}
			if (op == URING_RECV) {
				if (!cqe->res) {
					/* End of file: the client is done */
					close(fds[i]);
					open--;
					continue;
				}
				len[i] = cqe->res;
				sent[i] = 0;
			} else {
				sent[i] += cqe->res;
				if (sent[i] == len[i]) {
					io_uring_prep_recv(uring_sqe(&ring, i),
							   fds[i], b, size, 0);
					continue;
				}
			}
			/* The answer, or its rest after a short send */
			io_uring_prep_send(uring_sqe(&ring,
					   (__u64)URING_SEND << 32 | i), fds[i],
					   b + sent[i], len[i] - sent[i], 0);
		}
		io_uring_cq_advance(&ring, n);
	}
	report("echo", param, URING_IO, "server_syscalls_per_request",
	       (double)nsys / requests);
	io_uring_queue_exit(&ring);
	free(len);
	free(sent);
	munmap(buf, (long)conns * size);
}

/*
 * Loopback TCP echo: @conns connections, each with one request of @size
 * bytes outstanding, @requests in all.  The client is the same epoll
 * loop for every server interface and measures each round trip.  The
 * first byte of a request counts the requests of its connection, and the
 * answer must start with it: a byte to check that each answer is its
 * request's, which the servers that move the data themselves need.
 */
static int bench_echo(enum iface iface, int conns, int size, long requests)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int lfd, *sfd, *cfd, *got, ep, i, one = 1, status;
	unsigned char *seq;
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
	seq = calloc(conns, 1);
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
		if (iface == NAIO)
			echo_naio(sfd, conns, size, requests, param);
		else if (iface == URING_IO)
			echo_uring_io(sfd, conns, size, requests, param);
		else
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
		buf[0] = seq[i];
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
			if (!got[i] && (unsigned char)buf[0] != seq[i])
				fail("echo: connection %d answered %#x to "
				     "request %#x", i, (unsigned char)buf[0],
				     seq[i]);
			got[i] += r;
			if (got[i] < size)
				continue;
			got[i] = 0;
			seq[i]++;
			lat[done++] = now() - start[i];
			if (sent < requests) {
				sent++;
				start[i] = now();
				buf[0] = seq[i];
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
	free(seq);
	free(start);
	free(lat);
	free(buf);
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : 1;
}

/*
 * The stream benchmark: @conns loopback TCP connections each carry an
 * equal part of a bulk transfer, from a sender that is the same for
 * every receiver under test.
 */
struct stream {
	int	conns;
	int	size;		/* of a message, and of a buffer */
	long	per_conn;	/* bytes each connection carries */
	int	*fd;		/* the receiving ends, -1 once closed */
	long	*got;		/* bytes received, per connection */
	int	open;		/* connections not at end of file yet */
	long	bytes;		/* received in all */
	int	go;		/* the sender starts when it is written */
	double	t0;
	double	cpu0;		/* the receiver's CPU time at t0 */
};

/* CPU time of the whole process, every thread (io_uring's workers too) */
static double cpu_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The receiver is set up: measure from here, and let the sender go. */
static void stream_start(struct stream *s)
{
	nsys = 0;
	s->cpu0 = cpu_time();
	s->t0 = now();
	if (write(s->go, "g", 1) != 1)
		die("start the sender");
}

/*
 * @n bytes of connection @i arrived at @data; none is the end of file.
 * The sender starts each message with a byte of the message's number
 * plus the connection's, on a constant background: check that byte of
 * every message that starts in them (a byte per message keeps the check
 * cheap), and at the end of file the count.
 */
static void stream_got(struct stream *s, int i, const unsigned char *data,
		       long n)
{
	long off = s->got[i], b;

	if (!n) {
		if (off != s->per_conn)
			fail("stream: connection %d ended after %ld of %ld "
			     "bytes", i, off, s->per_conn);
		close(s->fd[i]);
		s->fd[i] = -1;
		s->open--;
		return;
	}
	if (off + n > s->per_conn)
		fail("stream: connection %d got %ld bytes, %ld sent", i,
		     off + n, s->per_conn);
	for (b = (off + s->size - 1) / s->size * s->size; b < off + n;
	     b += s->size)
		if (data[b - off] != (unsigned char)(b / s->size + i))
			fail("stream: connection %d, byte %ld is %#x, not %#x",
			     i, b, data[b - off],
			     (unsigned char)(b / s->size + i));
	s->got[i] = off + n;
	s->bytes += n;
}

/* epoll, and a recv() per readiness event into one buffer */
static void stream_epoll(struct stream *s)
{
	unsigned char *buf = (unsigned char *)conn_bufs(1, s->size);
	struct epoll_event ev[MAXEV];
	int ep = epoll_create1(0), i, k;

	if (ep < 0)
		die("epoll_create1");
	for (i = 0; i < s->conns; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };

		if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd[i], &e))
			die("epoll_ctl");
	}
	stream_start(s);
	while (s->open) {
		int nr = SYS(epoll_wait(ep, ev, MAXEV, -1));

		if (nr < 0)
			die("epoll_wait");
		for (k = 0; k < nr; k++) {
			ssize_t r;

			i = ev[k].data.u32;
			r = SYS(recv(s->fd[i], buf, s->size, 0));
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r < 0)
				die("recv");
			stream_got(s, i, buf, r);
		}
	}
	close(ep);
	munmap(buf, s->size);
}

/*
 * kevent network AIO: a RECV of a buffer per connection, run again by
 * ENABLE when it completes, in the kevent_wait() that waits for the next
 * completions.  Without KEVENT_NAIO_WAITALL a RECV completes with what
 * one recv() would return, as the other receivers do.
 */
static void stream_naio(struct stream *s)
{
	unsigned char *buf = (unsigned char *)conn_bufs(s->conns, s->size);
	int kfd = kq_init(), nch = 0, i, k;
	struct ukevent ev[MAXEV], *ch;

	ch = malloc((s->conns > MAXEV ? s->conns : MAXEV) * sizeof(*ch));
	if (!ch)
		die("malloc");
	for (i = 0; i < s->conns; i++)
		naio_req(&ch[i], KEVENT_CTL_ADD, s->fd[i], 0, KEVENT_NAIO_RECV,
			 buf + (long)i * s->size, s->size, i);
	naio_submit(kfd, ch, s->conns);
	stream_start(s);
	while (s->open) {
		int nr = naio_wait(kfd, ch, nch, ev, MAXEV);

		nch = 0;
		for (k = 0; k < nr; k++) {
			__u32 moved = kevent_naio_bytes(&ev[k]);
			unsigned char *b;

			i = ev[k].udata;
			b = buf + (long)i * s->size;
			stream_got(s, i, b, moved);
			if (moved)
				naio_req(&ch[nch++], KEVENT_CTL_ENABLE,
					 s->fd[i], 0, KEVENT_NAIO_RECV, b,
					 s->size, i);
		}
	}
	close(kfd);
	free(ch);
	munmap(buf, (long)s->conns * s->size);
}

/* The next read of connection @i into its buffer */
static void stream_uring_read(struct io_uring *ring, struct stream *s,
			      unsigned char *buf, int i, bool fixed)
{
	struct io_uring_sqe *sqe = uring_sqe(ring, i);

	if (fixed)
		io_uring_prep_read_fixed(sqe, s->fd[i], buf, s->size, 0, i);
	else
		io_uring_prep_recv(sqe, s->fd[i], buf, s->size, 0);
}

/*
 * io_uring, a read per connection outstanding, submitted again when it
 * completes: IORING_OP_RECV into a plain buffer (uring_io), or, with
 * @fixed, IORING_OP_READ_FIXED into a registered one (uring_fixed).
 * IORING_OP_RECV has no registered-buffer variant in 6.12 (only the
 * zero-copy SEND has one): a read of the socket as a file is how
 * io_uring's users receive into registered buffers, pinned once for
 * the ring's life rather than for each request as NAIO does.
 */
static void stream_uring(struct stream *s, bool fixed)
{
	unsigned char *buf = (unsigned char *)conn_bufs(s->conns, s->size);
	struct iovec *iov = calloc(s->conns, sizeof(*iov));
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	unsigned int head, n;
	int i, err;

	if (!iov)
		die("calloc");
	uring_io_init(&ring, s->conns);
	for (i = 0; i < s->conns; i++) {
		iov[i].iov_base = buf + (long)i * s->size;
		iov[i].iov_len = s->size;
	}
	if (fixed) {
		err = io_uring_register_buffers(&ring, iov, s->conns);
		if (err) {
			errno = -err;
			die("io_uring_register_buffers");
		}
	}
	for (i = 0; i < s->conns; i++)
		stream_uring_read(&ring, s, iov[i].iov_base, i, fixed);
	if (io_uring_submit(&ring) < 0)
		die("io_uring_submit");
	stream_start(s);
	while (s->open) {
		uring_submit_wait(&ring);
		n = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			n++;
			i = cqe->user_data;
			if (cqe->res < 0) {
				errno = -cqe->res;
				die(fixed ? "uring read_fixed" : "uring recv");
			}
			stream_got(s, i, iov[i].iov_base, cqe->res);
			if (cqe->res)
				stream_uring_read(&ring, s, iov[i].iov_base, i,
						  fixed);
		}
		io_uring_cq_advance(&ring, n);
	}
	io_uring_queue_exit(&ring);
	free(iov);
	munmap(buf, (long)s->conns * s->size);
}

#define MSHOT_BGID	0	/* the buffer group of uring_mshot */

static void stream_mshot_arm(struct io_uring *ring, struct stream *s, int i)
{
	struct io_uring_sqe *sqe = uring_sqe(ring, i);

	io_uring_prep_recv_multishot(sqe, s->fd[i], NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = MSHOT_BGID;
}

/*
 * io_uring multishot receive: one request per connection completes each
 * time data arrives, into a buffer the kernel takes from a ring of them
 * the program provides (two per connection, at least 16), and which the
 * program gives back once it has looked at the data.
 */
static void stream_uring_mshot(struct stream *s)
{
	struct io_uring_buf_reg reg = { .bgid = MSHOT_BGID };
	unsigned int nbufs = 16, head, n, back, bid;
	struct io_uring_buf_ring *br;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	unsigned char *buf;
	int i, err, mask;

	while (nbufs < 2U * s->conns)
		nbufs *= 2;
	buf = (unsigned char *)conn_bufs(nbufs, s->size);
	br = (struct io_uring_buf_ring *)conn_bufs(nbufs,
						   sizeof(struct io_uring_buf));
	uring_io_init(&ring, s->conns);
	reg.ring_addr = (uintptr_t)br;
	reg.ring_entries = nbufs;
	io_uring_buf_ring_init(br);
	err = io_uring_register_buf_ring(&ring, &reg, 0);
	if (err) {
		errno = -err;
		die("io_uring_register_buf_ring");
	}
	mask = io_uring_buf_ring_mask(nbufs);
	for (bid = 0; bid < nbufs; bid++)
		io_uring_buf_ring_add(br, buf + (long)bid * s->size, s->size,
				      bid, mask, bid);
	io_uring_buf_ring_advance(br, nbufs);
	for (i = 0; i < s->conns; i++)
		stream_mshot_arm(&ring, s, i);
	if (io_uring_submit(&ring) < 0)
		die("io_uring_submit");
	stream_start(s);
	while (s->open) {
		uring_submit_wait(&ring);
		n = back = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			n++;
			i = cqe->user_data;
			/* Out of buffers ends the request: armed again below */
			if (cqe->res < 0 && cqe->res != -ENOBUFS) {
				errno = -cqe->res;
				die("uring multishot recv");
			}
			if (cqe->flags & IORING_CQE_F_BUFFER) {
				unsigned char *b;

				bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
				b = buf + (long)bid * s->size;
				stream_got(s, i, b, cqe->res);
				/* Back to the kernel after the batch */
				io_uring_buf_ring_add(br, b, s->size, bid, mask,
						      back++);
			} else if (!cqe->res) {
				stream_got(s, i, NULL, 0);
			}
			/* Ended (out of buffers, CQ overflow), not at EOF */
			if (!(cqe->flags & IORING_CQE_F_MORE) && s->fd[i] >= 0)
				stream_mshot_arm(&ring, s, i);
		}
		io_uring_buf_ring_advance(br, back);
		io_uring_cq_advance(&ring, n);
	}
	io_uring_queue_exit(&ring);
	munmap(br, nbufs * sizeof(struct io_uring_buf));
	munmap(buf, (long)nbufs * s->size);
}

/*
 * The sender: on every connection, @s->size-byte messages as fast as the
 * connection takes them (writes until EAGAIN on each ready one), then
 * close.  Each message starts with a byte of its number plus the
 * connection's, the rest is a constant: one byte to set per message.
 */
static void stream_send(struct stream *s, int *cfd, int go)
{
	unsigned char *buf = malloc(s->size);
	long *sent = calloc(s->conns, sizeof(long));
	int ep = epoll_create1(0), left = s->conns, i, k;
	struct epoll_event ev[MAXEV];
	char c;

	if (!buf || !sent || ep < 0)
		die("stream sender");
	memset(buf, 0xa5, s->size);
	for (i = 0; i < s->conns; i++) {
		struct epoll_event e = { .events = EPOLLOUT, .data.u32 = i };

		fcntl(cfd[i], F_SETFL, O_NONBLOCK);
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cfd[i], &e))
			die("epoll_ctl");
	}
	if (read(go, &c, 1) != 1)
		die("stream sender start");
	while (left) {
		int nr = epoll_wait(ep, ev, MAXEV, 10000);

		if (nr <= 0)
			die("sender epoll_wait (timeout?)");
		for (k = 0; k < nr; k++) {
			i = ev[k].data.u32;
			while (sent[i] < s->per_conn) {
				long off = sent[i] % s->size;
				long len = s->size - off;
				ssize_t r;

				if (len > s->per_conn - sent[i])
					len = s->per_conn - sent[i];
				if (!off)
					buf[0] = sent[i] / s->size + i;
				r = write(cfd[i], buf + off, len);
				if (r < 0 && errno == EAGAIN)
					break;
				if (r < 0)
					die("sender write");
				sent[i] += r;
			}
			if (sent[i] == s->per_conn) {
				close(cfd[i]);
				left--;
			}
		}
	}
}

/*
 * Loopback TCP bulk transfer: @mib MiB over @conns connections in
 * @size-byte messages, received by @iface.  Reports MiB/s, the
 * receiver's system calls per MiB and its CPU time per byte.
 *
 * The sender and the receiver share CPU 0.  Under -icount QEMU runs the
 * vCPUs in turn on one host thread and guest time is one clock for all
 * of them: a task running on a vCPU is charged what the other vCPU
 * executes meanwhile, so with a CPU each the receiver's CPU time would
 * count the sender's instructions too.  On one CPU it counts only its
 * own, and ns_per_byte there is instructions per byte.
 * KBENCH_STREAM_SMP=1 in the environment leaves them unpinned.
 */
static int bench_stream(enum iface iface, int conns, int size, long mib)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct stream s = { .conns = conns, .size = size, .open = conns };
	socklen_t len = sizeof(sa);
	int lfd, *cfd, go[2], i, status;
	double t, cpu, mb;
	char param[64];
	cpu_set_t cpus;
	pid_t pid;

	if (conns < 1 || size < 1 || mib < 1)
		fail("stream: CONNS, SIZE and MIB must be positive");
	s.per_conn = (mib << 20) / conns;
	raise_nofile(2 * conns + 64);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (void *)&sa, sizeof(sa)) ||
	    listen(lfd, conns) || getsockname(lfd, (void *)&sa, &len))
		die("listen");
	s.fd = malloc(conns * sizeof(int));
	s.got = calloc(conns, sizeof(long));
	cfd = malloc(conns * sizeof(int));
	if (!s.fd || !s.got || !cfd)
		die("malloc");
	for (i = 0; i < conns; i++) {
		cfd[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (cfd[i] < 0 || connect(cfd[i], (void *)&sa, sizeof(sa)))
			die("connect");
		s.fd[i] = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		if (s.fd[i] < 0)
			die("accept");
	}
	if (!getenv("KBENCH_STREAM_SMP")) {
		CPU_ZERO(&cpus);
		CPU_SET(0, &cpus);
		if (sched_setaffinity(0, sizeof(cpus), &cpus))
			die("sched_setaffinity");
	}
	if (pipe(go))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		for (i = 0; i < conns; i++)
			close(s.fd[i]);
		close(go[1]);
		stream_send(&s, cfd, go[0]);
		_exit(0);
	}
	for (i = 0; i < conns; i++)
		close(cfd[i]);
	close(go[0]);
	s.go = go[1];

	switch (iface) {
	case EPOLL:
		stream_epoll(&s);
		break;
	case NAIO:
		stream_naio(&s);
		break;
	case URING_IO:
	case URING_FIXED:
		stream_uring(&s, iface == URING_FIXED);
		break;
	default:
		stream_uring_mshot(&s);
		break;
	}
	t = now() - s.t0;
	cpu = cpu_time() - s.cpu0;
	waitpid(pid, &status, 0);
	if (s.bytes != s.per_conn * conns)
		fail("stream: %ld bytes received, %ld sent", s.bytes,
		     s.per_conn * conns);

	mb = s.bytes / (double)(1 << 20);
	snprintf(param, sizeof(param), "conns=%d,size=%d", conns, size);
	report("stream", param, iface, "mb_per_s", mb / t);
	report("stream", param, iface, "ns_per_byte", cpu * 1e9 / s.bytes);
	report("stream", param, iface, "syscalls_per_mb", nsys / mb);
	close(go[1]);
	close(lfd);
	free(s.fd);
	free(s.got);
	free(cfd);
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : 1;
}

/*
 * Inode events: @nfiles files in a tmpfs each watched for modification,
 * then a burst of @mods one-byte writes spread over them, nothing read
 * until it ends.  kevent reports each file once, with the number of its
 * changes; inotify queues an event per change, merging only one that
 * repeats the event before it, up to its queue's 16,384, and after one
 * IN_Q_OVERFLOW drops the rest.  Reports the changes each reports and
 * loses, the records read, and the slab memory per watch.
 */
static int bench_inode(enum iface iface, int nfiles, long mods)
{
	bool kev = iface == KEVENT;
	long slab0, slab1, reported = 0, records = 0, i;
	char path[64], param[64];
	struct ukevent ev[MAXEV];
	int *fds, qfd, n;
	double t0, t;

	raise_nofile(nfiles + 64);
	mkdir("/tmp/kbench-inode", 0755);
	fds = calloc(nfiles, sizeof(*fds));
	if (!fds)
		die("calloc");
	for (i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), "/tmp/kbench-inode/%ld", i);
		fds[i] = open(path, O_RDWR | O_CREAT, 0644);
		if (fds[i] < 0)
			die("open");
	}
	sync();
	slab0 = slab_kb();
	qfd = kev ? kevent_queue(0) : inotify_init1(IN_NONBLOCK);
	if (qfd < 0)
		die(iface_name[iface]);
	for (i = 0; i < nfiles; i++) {
		if (kev) {
			kevent_prep_fd(&ev[0], KEVENT_CTL_ADD, KEVENT_TYPE_INODE,
				       fds[i], KEVENT_INODE_WRITE, 0, i);
			if (kevent_ctl(qfd, 0, 1, ev, sizeof(ev[0])) != 1)
				die("kevent_ctl(INODE)");
		} else {
			snprintf(path, sizeof(path), "/tmp/kbench-inode/%ld", i);
			if (inotify_add_watch(qfd, path, IN_MODIFY) < 0)
				die("inotify_add_watch");
		}
	}
	slab1 = slab_kb();

	t0 = now();
	for (i = 0; i < mods; i++)
		if (pwrite(fds[i % nfiles], "x", 1, 0) != 1)
			die("pwrite");
	t = now() - t0;

	if (kev) {
		while ((n = kevent_getevents(qfd, 0, MAXEV, ev, NULL)) > 0) {
			for (i = 0; i < n; i++)
				reported += ev[i].ret_data;
			records += n;
		}
		if (n < 0)
			die("kevent_getevents");
	} else {
		static char buf[65536]
			__attribute__((aligned(__alignof__(struct inotify_event))));
		ssize_t len;

		while ((len = read(qfd, buf, sizeof(buf))) > 0) {
			char *p = buf;

			while (p < buf + len) {
				struct inotify_event *e = (void *)p;

				if (e->mask & IN_MODIFY)
					reported++;
				records++;
				p += sizeof(*e) + e->len;
			}
		}
		if (len < 0 && errno != EAGAIN)
			die("read(inotify)");
	}

	snprintf(param, sizeof(param), "files=%d,mods=%ld", nfiles, mods);
	report("inode", param, iface, "changes_lost",
	       mods - reported);
	report("inode", param, iface, "records_read",
	       records);
	report("inode", param, iface, "ns_per_change",
	       t * 1e9 / mods);
	report("inode", param, iface, "bytes_per_watch",
	       (slab1 - slab0) * 1024.0 / nfiles);
	close(qfd);
	for (i = 0; i < nfiles; i++) {
		close(fds[i]);
		snprintf(path, sizeof(path), "/tmp/kbench-inode/%ld", i);
		unlink(path);
	}
	free(fds);
	return reported == mods || !kev ? 0 : 1;
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

enum { SMOKE_PIPE, SMOKE_ECHO, SMOKE_IDLE, SMOKE_STREAM, SMOKE_INODE,
       NR_SMOKE };
static const char *const smoke_name[] = {
	"pipe", "echo", "idle", "stream", "inode",
};
static const unsigned int smoke_ifaces[] = {
	WAITERS, ECHO_IFACES, WAITERS, STREAM_IFACES, INODE_IFACES,
};

struct smoke { int what; enum iface iface; };

static int smoke_one(void *arg)
{
	struct smoke *s = arg;

	switch (s->what) {
	case SMOKE_PIPE:
		return bench_pipe(s->iface, 10, 2, 200);
	case SMOKE_ECHO:
		return bench_echo(s->iface, 4, 64, 40);
	case SMOKE_IDLE:
		return bench_idle(s->iface, 50, 2);
	case SMOKE_STREAM:
		return bench_stream(s->iface, 2, 65536, 1);
	default:
		return bench_inode(s->iface, 10, 1000);
	}
}

/* Every benchmark at a tiny size on every interface it takes, as TAP. */
static int smoke(void)
{
	int w, i, n = 0, failed = 0;

	report_prefix = "# ";
	for (w = 0; w < NR_SMOKE; w++)
		n += __builtin_popcount(smoke_ifaces[w]);
	printf("TAP version 13\n1..%d\n", n);
	n = 0;
	for (w = 0; w < NR_SMOKE; w++) {
		for (i = 0; i < NR_IFACES; i++) {
			struct smoke s = { w, i };
			int rc;

			if (!(smoke_ifaces[w] & IFACE(i)))
				continue;
			fflush(stdout);
			rc = in_child(smoke_one, &s);
			printf("%sok %d %s %s\n", rc ? "not " : "", ++n,
			       smoke_name[w], iface_name[i]);
			failed |= rc;
		}
	}
	return failed;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	kevent_poll_only = getenv("KBENCH_KEVENT_POLL") != NULL;
	if (argc == 2 && !strcmp(argv[1], "smoke"))
		return smoke();
	if (argc == 6 && !strcmp(argv[1], "pipe"))
		return bench_pipe(parse_iface(argv[2], WAITERS), atoi(argv[3]),
				  atoi(argv[4]), atol(argv[5]));
	if (argc == 6 && !strcmp(argv[1], "echo"))
		return bench_echo(parse_iface(argv[2], ECHO_IFACES),
				  atoi(argv[3]), atoi(argv[4]), atol(argv[5]));
	if (argc == 5 && !strcmp(argv[1], "idle"))
		return bench_idle(parse_iface(argv[2], WAITERS), atoi(argv[3]),
				  atoi(argv[4]));
	if (argc == 6 && !strcmp(argv[1], "stream"))
		return bench_stream(parse_iface(argv[2], STREAM_IFACES),
				    atoi(argv[3]), atoi(argv[4]),
				    atol(argv[5]));
	if (argc == 5 && !strcmp(argv[1], "inode"))
		return bench_inode(parse_iface(argv[2], INODE_IFACES),
				   atoi(argv[3]), atol(argv[4]));
	fprintf(stderr, "usage: kbench smoke | pipe IFACE NPIPES TOKENS EVENTS | "
		"echo IFACE CONNS SIZE REQUESTS | idle IFACE NREG ACTIVE | "
		"stream IFACE CONNS SIZE MIB | inode IFACE NFILES MODS\n");
	return 2;
}
