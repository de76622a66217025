// SPDX-License-Identifier: GPL-2.0
/*
 * kevent_echo: a loopback echo server on kevent (or epoll, to compare)
 * and a load generator on kevent.
 *
 *   kevent_echo run CONNS REQUESTS SIZE   server on kevent, on kevent's
 *                                         network AIO, then on epoll, each
 *                                         loaded by the client; prints a
 *                                         TAP line per server
 *
 * The kevent server watches the listener (KEVENT_SOCKET_ACCEPT) and every
 * connection (KEVENT_SOCKET_RECV) with KEVENT_TYPE_SOCKET, level-triggered,
 * and simply close()s a finished connection: the close removes its
 * registration.
 *
 * The network AIO server never reads or writes a socket itself: each
 * connection has one KEVENT_TYPE_NAIO request, added with
 * KEVENT_REQ_DISPATCH so that its buffer is pinned once: a receive, whose
 * completion it turns (KEVENT_CTL_MODIFY) into the send of the bytes
 * received, whose completion turns it back into the next receive.  The
 * kernel moves the data; the server's only
 * call in the loop is kevent_wait(), which submits the requests of one
 * batch and reaps the completions of the next.  To prove it, the server
 * installs a seccomp filter that kills it on any system call that reads
 * or writes data before it serves its first connection.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <libkevent.h>

#define BATCH 64

static int listener(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd, one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4096) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len))
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Echo what @fd has; false when the connection is finished. */
static int echo(int fd)
{
	char buf[8192];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0)
		return write(fd, buf, n) == n;
	return n < 0 && errno == EAGAIN;
}

static void accept_all(int lfd, int (*add)(int q, int fd), int q)
{
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		if (add(q, fd))
			close(fd);
	}
}

/* Watch socket @fd for @events, level-triggered, @udata the fd */
static int kq_add_socket(int kq, int fd, __u32 events)
{
	struct ukevent uk;

	kevent_prep_fd(&uk, KEVENT_CTL_ADD, KEVENT_TYPE_SOCKET, fd, events, 0,
		       fd);
	return kevent_apply(kq, &uk, 1) ? -1 : 0;
}

static int kq_add_conn(int kq, int fd)
{
	return kq_add_socket(kq, fd, KEVENT_SOCKET_RECV);
}

static void serve_kevent(int lfd)
{
	struct ukevent ev[BATCH];
	int kq = kevent_queue(KEVENT_INIT_CLOEXEC), i, n;

	if (kq < 0 || kq_add_socket(kq, lfd, KEVENT_SOCKET_ACCEPT))
		exit(1);
	for (;;) {
		n = kevent_getevents(kq, 1, BATCH, ev, NULL);
		for (i = 0; i < n; i++) {
			if ((int)ev[i].id == lfd)
				accept_all(lfd, kq_add_conn, kq);
			else if (!echo(ev[i].id))
				close(ev[i].id);	/* removes the registration */
		}
	}
}

#define NAIO_BUF		8192
#define NAIO_CHANGES		4096

static struct ukevent naio_changes[NAIO_CHANGES];
static unsigned int naio_nr;
static char (*naio_buf)[NAIO_BUF];	/* a buffer per fd */

#ifdef __x86_64__
#define ECHO_AUDIT_ARCH	AUDIT_ARCH_X86_64
#elif defined(__i386__)
#define ECHO_AUDIT_ARCH	AUDIT_ARCH_I386
#elif defined(__aarch64__)
#define ECHO_AUDIT_ARCH	AUDIT_ARCH_AARCH64
#endif

#define KILL_ON(nr)							\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1),		\
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)

/* From here on, any system call that moves data kills the process. */
static void forbid_io(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ECHO_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		KILL_ON(__NR_read), KILL_ON(__NR_write),
		KILL_ON(__NR_readv), KILL_ON(__NR_writev),
		KILL_ON(__NR_recvfrom), KILL_ON(__NR_sendto),
		KILL_ON(__NR_recvmsg), KILL_ON(__NR_sendmsg),
		KILL_ON(__NR_recvmmsg), KILL_ON(__NR_sendmmsg),
		KILL_ON(__NR_sendfile), KILL_ON(__NR_splice),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		exit(1);
}

/* Queue a change to connection @fd's request */
static void naio_submit(int kq, unsigned int cmd, int fd, __u32 event,
			__u32 len)
{
	struct ukevent uk;

	kevent_prep_naio(&uk, cmd, fd, 0, event, naio_buf[fd], len,
			 KEVENT_REQ_DISPATCH, 0);

	/* Full (only after a burst of accepts): apply what is there */
	if (naio_nr == NAIO_CHANGES) {
		if (kevent_apply(kq, naio_changes, naio_nr))
			_exit(1);
		naio_nr = 0;
	}
	naio_changes[naio_nr++] = uk;
}

static int naio_add_conn(int kq, int fd)
{
	if (fd >= 65536)
		return -1;
	naio_submit(kq, KEVENT_CTL_ADD, fd, KEVENT_NAIO_RECV, NAIO_BUF);
	return 0;
}

static void serve_naio(int lfd)
{
	struct ukevent ev[NAIO_CHANGES + BATCH];
	int kq = kevent_queue(KEVENT_INIT_CLOEXEC), i, n, fd;
	__u32 bytes;

	naio_buf = calloc(65536, NAIO_BUF);
	if (kq < 0 || !naio_buf ||
	    kq_add_socket(kq, lfd, KEVENT_SOCKET_ACCEPT))
		exit(1);
	forbid_io();
	for (;;) {
		/* Room for every change to fail, and a batch of events */
		n = kevent_submit_and_wait(kq, naio_changes, naio_nr, ev, 1,
					   naio_nr + BATCH, NULL, NULL);
		if (n < 0)
			_exit(1);
		naio_nr = 0;
		for (i = 0; i < n; i++) {
			/* A change that failed is a bug here */
			if (ev[i].ret_flags & KEVENT_RET_ERROR)
				_exit(1);
			fd = (int)ev[i].id;
			bytes = (__u32)ev[i].ret_data;
			if (ev[i].type == KEVENT_TYPE_SOCKET) {
				accept_all(lfd, naio_add_conn, kq);
			} else if (ev[i].event & KEVENT_NAIO_ERROR || !bytes) {
				/* End of file or reset: the close removes
				 * the connection's request
				 */
				close(fd);
			} else if (ev[i].event & KEVENT_NAIO_RECV) {
				naio_submit(kq, KEVENT_CTL_MODIFY, fd,
					    KEVENT_NAIO_SEND, bytes);
			} else {
				naio_submit(kq, KEVENT_CTL_MODIFY, fd,
					    KEVENT_NAIO_RECV, NAIO_BUF);
			}
		}
	}
}

static int ep_add_conn(int ep, int fd)
{
	struct epoll_event e = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

static void serve_epoll(int lfd)
{
	struct epoll_event ev[BATCH];
	int ep = epoll_create1(EPOLL_CLOEXEC), i, n;

	if (ep < 0 || ep_add_conn(ep, lfd))
		exit(1);
	for (;;) {
		n = epoll_wait(ep, ev, BATCH, -1);
		for (i = 0; i < n; i++) {
			if (ev[i].data.fd == lfd)
				accept_all(lfd, ep_add_conn, ep);
			else if (!echo(ev[i].data.fd))
				close(ev[i].data.fd);
		}
	}
}

struct conn {
	int fd;
	int done;	/* requests answered */
	int got;	/* bytes of the current answer */
};

/*
 * Open @nconns connections and have each make @nreq requests of @size
 * bytes, one at a time.  Returns the number of requests answered.
 */
static long load(int port, int nconns, int nreq, int size)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct conn *c = calloc(nconns, sizeof(*c));
	char *buf = malloc(size), rbuf[8192];
	struct timespec timeout = { .tv_sec = 20 };
	int kq = kevent_queue(0), i, n, open = 0, one = 1;
	struct ukevent ev[BATCH];
	long answered = 0;

	if (!c || !buf || kq < 0)
		return -1;
	memset(buf, 'k', size);
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < nconns; i++) {
		c[i].fd = socket(AF_INET, SOCK_STREAM, 0);
		if (c[i].fd < 0 ||
		    connect(c[i].fd, (struct sockaddr *)&sa, sizeof(sa)))
			return -1;
		setsockopt(c[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
		/* udata: index of the connection */
		struct ukevent uk;

		kevent_prep_fd(&uk, KEVENT_CTL_ADD, KEVENT_TYPE_SOCKET, c[i].fd,
			       KEVENT_SOCKET_RECV, 0, i);
		if (kevent_apply(kq, &uk, 1))
			return -1;
	}
	/* All connected: every one sends its first request. */
	for (i = 0; i < nconns; i++) {
		if (write(c[i].fd, buf, size) != size)
			return -1;
		open++;
	}
	while (open) {
		n = kevent_getevents(kq, 1, BATCH, ev, &timeout);
		if (n <= 0)
			break;		/* a lost answer: the caller sees it */
		for (int e = 0; e < n; e++) {
			struct conn *k = &c[ev[e].udata];
			ssize_t r = read(k->fd, rbuf, sizeof(rbuf));

			if (r < 0 && errno == EAGAIN)
				continue;
			if (r <= 0) {
				/* The server went away: its answers are lost */
				close(k->fd);
				open--;
				continue;
			}
			k->got += r;
			if (k->got < size)
				continue;
			k->got = 0;
			answered++;
			if (++k->done == nreq) {
				close(k->fd);
				open--;
			} else if (write(k->fd, buf, size) != size) {
				return -1;
			}
		}
	}
	close(kq);
	free(c);
	free(buf);
	return answered;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run(const char *name, void (*serve)(int), int nconns, int nreq,
	       int size, int test)
{
	long want = (long)nconns * nreq, got;
	int lfd, port, status;
	double t0;
	pid_t pid;

	lfd = listener(&port);
	if (lfd < 0) {
		perror("listener");
		return 1;
	}
	pid = fork();
	if (!pid)
		serve(lfd);
	close(lfd);
	t0 = now_s();
	got = load(port, nconns, nreq, size);
	t0 = now_s() - t0;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
		printf("# %s server killed by signal %d\n", name,
		       WTERMSIG(status));
	printf("%sok %d %s server: %d connections, %ld of %ld requests of %d bytes answered in %.2f s (%.0f/s)\n",
	       got == want ? "" : "not ", test, name, nconns, got, want, size,
	       t0, got > 0 ? got / t0 : 0.0);
	fflush(stdout);
	return got != want;
}

int main(int argc, char **argv)
{
	struct rlimit rl = { 65536, 65536 };
	int nconns, nreq, size, fail = 0;

	if (argc != 5 || strcmp(argv[1], "run")) {
		fprintf(stderr, "usage: %s run CONNS REQUESTS SIZE\n", argv[0]);
		return 2;
	}
	nconns = atoi(argv[2]);
	nreq = atoi(argv[3]);
	size = atoi(argv[4]);
	if (nconns < 1 || nreq < 1 || size < 1 || size > 8192)
		return 2;
	setrlimit(RLIMIT_NOFILE, &rl);
	signal(SIGPIPE, SIG_IGN);

	printf("1..3\n");
	fail |= run("kevent", serve_kevent, nconns, nreq, size, 1);
	fail |= run("kevent network AIO", serve_naio, nconns, nreq, size, 2);
	fail |= run("epoll", serve_epoll, nconns, nreq, size, 3);
	return fail;
}
