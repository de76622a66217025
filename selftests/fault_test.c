// SPDX-License-Identifier: GPL-2.0
/*
 * kevent selftests: allocation failures.
 *
 * Every system call path of kevent that allocates is run with its n-th
 * fault injection point failed, for n = 1, 2, 3, ... until the call passes
 * fewer than n points, through /proc/thread-self/fail-nth with the
 * kernel's failslab and fail_page_alloc (CONFIG_FAULT_INJECTION,
 * CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS).
 * Without fail-nth (a kernel without fault injection) the tests skip.
 *
 * An injected failure must be clean: the call fails with the errno
 * documented for it (ENOMEM; EAGAIN for timer_create()'s own timer
 * structures; EFAULT for an events array that cannot be faulted in), the
 * queue is exactly as before (same registrations, no event), the source
 * was left as it was (a pipe write, a signal, a futex wake reach nobody,
 * the file is not held), and the change can then be made normally and
 * works.  A call that succeeds although a failure was injected is
 * counted as "absorbed": the kernel met a failure it can do without
 * (kmemleak's metadata, which falls back to its pool; a __GFP_NOWARN page
 * allocation of a slab refill, retried at a lower order) and the call must
 * then have worked fully.
 *
 * For the run, sleeping allocations are failed too (ignore-gfp-wait N),
 * single pages too (fail_page_alloc/min-order 0, not 1), user memory pages
 * not (ignore-gfp-highmem Y), and injected failures print nothing
 * (verbose 0); the knobs, and the "times" that injected failures count
 * down, are restored after each test.
 *
 * Each value of n runs in a new process, so that what is allocated once
 * per process (the registrations list of signal and futex registrations)
 * or per object (a socket's kevent storage) fails for every n too.  The
 * process locks its memory before the call, so that no page fault of its
 * own passes a fault injection point; the events array of the "fresh"
 * delivery path is the exception, on purpose.
 *
 * FAULT_TRACE=1 in the environment makes the kernel print a stack trace
 * for every injected failure (verbose 2; none for __GFP_NOWARN
 * allocations) and marks each call: for diagnosis only, the traces fail
 * scripts/check-log.sh.
 */

#define _GNU_SOURCE
#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/futex.h>
#include <linux/time_types.h>

#include "../kselftest_harness.h"
#include "common.h"

#ifndef __NR_pidfd_open
#define __NR_pidfd_open		434
#endif

#ifdef __NR_timer_settime64
#define NR_timer_settime	__NR_timer_settime64
#else
#define NR_timer_settime	__NR_timer_settime
#endif

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define DEBUGFS		"/sys/kernel/debug"
#define MS		1000000LL
/* More points than any path passes: a loop that does not end is a bug. */
#define FAULT_MAX_N	200
#define RAW_PROTO	253	/* IANA: for experimentation */

/* How an injection run ended */
enum {
	OUT_NONE,	/* nothing was injected: the call passed fewer points */
	OUT_ERRNO,	/* the call failed with r->err */
	OUT_ERROR_EVENT,/* kevent_wait() reported the failed change */
	OUT_ABSORBED,	/* the call succeeded all the same */
};

/* Written by the process that made the call, read by the test */
struct fault_result {
	int outcome;
	int err;
	int clean;
	char why[480];
};

struct fault_totals {
	unsigned int paths, points, failed, absorbed, unclean;
};

static struct fault_totals *totals;

static void __attribute__((constructor)) fault_totals_init(void)
{
	totals = mmap(NULL, sizeof(*totals), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (totals == MAP_FAILED)
		totals = NULL;
	else
		memset(totals, 0, sizeof(*totals));
}

enum fault_kind {
	P_INIT,		/* kevent_init() */
	P_TIMER_CREATE,	/* timer_create() with SIGEV_KEVENT */
	P_CTL,		/* kevent_ctl() adding the sources */
	P_WAIT_CHANGES,	/* kevent_wait() adding them as changes */
	P_MODIFY_PIPE,	/* KEVENT_CTL_MODIFY of a pipe registration */
	P_MODIFY_TIMER,	/* KEVENT_CTL_MODIFY of a timer */
	P_POST,		/* KEVENT_CTL_POST */
	P_DELIVER,	/* kevent_wait() reporting two ready events */
	P_SLEEP,	/* kevent_wait() sleeping until an event comes */
};

struct fault_ctx;

/* An event source, as the ADD paths use it */
struct fault_source {
	/* Make the objects to watch and fill the change (not its cmd) */
	int (*prepare)(struct fault_ctx *c, struct ukevent *uk);
	/* Make the registration ready; NULL: it gets ready by itself */
	int (*fire)(struct fault_ctx *c, const struct ukevent *uk);
	/*
	 * After a failed ADD: poke the source and see that no leftover of
	 * the failed registration reacts, then put the source back.
	 */
	int (*stale)(struct fault_ctx *c, const struct ukevent *uk);
	/* Check the source-specific part of the reported event */
	int (*expect)(struct fault_ctx *c, const struct ukevent *ev);
	/* Close the objects; check that no reference to them was kept */
	int (*release)(struct fault_ctx *c);
};

struct fault_path {
	enum fault_kind kind;
	const struct fault_source *src[3];
	unsigned int nr;	/* entries in src[] */
	unsigned int max_nr;	/* P_WAIT_CHANGES: room in the events array */
	bool fresh;		/* P_DELIVER: an events array never touched */
	bool min_points;	/* the path must pass at least one point */
};

struct fault_ctx {
	const struct fault_path *p;
	struct fault_result *r;
	int kq;
	int base;		/* registrations of kq before the call */
	__u64 next_user;	/* next KEVENT_TYPE_USER id */
	int pfd[3];		/* pipe: read, write, read-write reopen */
	int sfd[3];		/* sockets: watched, peer, listener */
	int inner;		/* a queue watched by kq */
	int gate[2];		/* its write end closed: the child exits */
	pid_t pid;		/* the child a pidfd names */
	pid_t waker;		/* P_SLEEP: posts once we sleep */
	int pidfd;
	__u32 fword;		/* private futex word */
	__u32 *shared_fword;	/* shared futex word */
	/* the call */
	struct ukevent uk[3];
	struct ukevent ev[8];
	struct ukevent *evp;
	unsigned int min_nr;
	struct kevent_wait_args wa;
	struct kevent_init_args ia;
	struct kevent_sigevent sev;
	int timer_id;
	/* before the call */
	int nfds, lowest_fd, ntimers;
};

/* Record the first failed check of the run; returns false. */
static bool __printf(4, 5)
fault_bad(struct fault_ctx *c, int line, const char *cond, const char *fmt, ...)
{
	struct fault_result *r = c->r;
	size_t len;
	va_list ap;

	r->clean = 0;
	if (r->why[0])
		return false;
	snprintf(r->why, sizeof(r->why), "line %d: (%s) ", line, cond);
	len = strlen(r->why);
	va_start(ap, fmt);
	vsnprintf(r->why + len, sizeof(r->why) - len, fmt, ap);
	va_end(ap);
	return false;
}

/*
 * Whether @cond holds; if not, the failure is recorded.  The message's
 * arguments are evaluated only then, after @cond: errno is still the one
 * @cond left.  A check that fails ends its function with -1.
 */
#define CHECK(c, cond, fmt, ...)					\
	((cond) || fault_bad(c, __LINE__, #cond, fmt, ##__VA_ARGS__))

/* Events ready now, without waiting */
static int wait_now(int kq, struct ukevent *ev)
{
	return kq_wait_ms(kq, 0, 8, ev, 0);
}

static int count_fds(void)
{
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1;	/* the directory's own */
}

static int lowest_fd(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* POSIX timers of this process, from /proc/self/timers; -1 without it */
static int count_timers(void)
{
	FILE *f = fopen("/proc/self/timers", "r");
	char line[128];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "ID:", 3))
			n++;
	fclose(f);
	return n;
}

static void set_rcvtimeo(int fd)
{
	struct timeval tv = { .tv_sec = KQ_HANG_MS / 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static __u64 udata_of(const struct ukevent *uk)
{
	return 0xfa17ULL << 48 | (__u64)uk->type << 32 | (__u32)uk->id;
}

/* The part every reported event of a registration has */
static int check_event(struct fault_ctx *c, const struct ukevent *ev,
		       const struct ukevent *uk)
{
	if (!CHECK(c, ev->type == uk->type && ev->id == uk->id,
		   "event of type %u id %llu for type %u id %llu", ev->type,
		   (unsigned long long)ev->id, uk->type, (unsigned long long)uk->id))
		return -1;
	if (!CHECK(c, ev->udata == uk->udata, "udata %llx", (unsigned long long)ev->udata))
		return -1;
	if (!CHECK(c, ev->cmd == 0 && ev->ret_flags == 0 && ev->reserved == 0,
		   "cmd %u ret_flags %x ret_data %llu", ev->cmd, ev->ret_flags,
		   (unsigned long long)ev->ret_data))
		return -1;
	return 0;
}

/* KEVENT_TYPE_USER */

static int user_prepare(struct fault_ctx *c, struct ukevent *uk)
{
	*uk = kev_user(c->next_user++, 0, 0);
	uk->udata = udata_of(uk);
	return 0;
}

static int user_fire(struct fault_ctx *c, const struct ukevent *uk)
{
	if (!CHECK(c, user_post(c->kq, uk->id, 0x5) == 0, "post: %s", strerror(errno)))
		return -1;
	return 0;
}

static int user_stale(struct fault_ctx *c, const struct ukevent *uk)
{
	if (!CHECK(c, user_post(c->kq, uk->id, 0x5) == -1 && errno == ENOENT,
		   "post to the failed registration: %s", strerror(errno)))
		return -1;
	return 0;
}

static int user_expect(struct fault_ctx *c, const struct ukevent *ev)
{
	if (!CHECK(c, ev->event == 0x5 && ev->ret_data == 1, "event %x ret_data %llu",
		   ev->event, (unsigned long long)ev->ret_data))
		return -1;
	return 0;
}

static const struct fault_source src_user = {
	.prepare = user_prepare,
	.fire = user_fire,
	.stale = user_stale,
	.expect = user_expect,
};

/* KEVENT_TYPE_POLL and KEVENT_TYPE_PIPE on a pipe */

static int pipe_open(struct fault_ctx *c)
{
	if (!CHECK(c, pipe(c->pfd) == 0, "pipe: %s", strerror(errno)))
		return -1;
	return 0;
}

static int poll_pipe_prepare(struct fault_ctx *c, struct ukevent *uk)
{
	if (pipe_open(c) < 0)
		return -1;
	*uk = (struct ukevent){ .type = KEVENT_TYPE_POLL, .id = c->pfd[0],
				.event = KEVENT_POLL_IN };
	uk->udata = udata_of(uk);
	return 0;
}

/* Both ends in one file: a registration on two wait queues */
static int poll_rdwr_prepare(struct fault_ctx *c, struct ukevent *uk)
{
	char path[64];

	if (pipe_open(c) < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", c->pfd[0]);
	c->pfd[2] = open(path, O_RDWR);
	if (!CHECK(c, c->pfd[2] >= 0, "reopen %s: %s", path, strerror(errno)))
		return -1;
	*uk = (struct ukevent){ .type = KEVENT_TYPE_POLL, .id = c->pfd[2],
				.event = KEVENT_POLL_IN };
	uk->udata = udata_of(uk);
	return 0;
}

static int pipe_prepare(struct fault_ctx *c, struct ukevent *uk)
{
	if (pipe_open(c) < 0)
		return -1;
	*uk = (struct ukevent){ .type = KEVENT_TYPE_PIPE, .id = c->pfd[0],
				.event = KEVENT_POLL_IN };
	uk->udata = udata_of(uk);
	return 0;
}

static int pipe_fire(struct fault_ctx *c, const struct ukevent *uk)
{
	if (!CHECK(c, write(c->pfd[1], "x", 1) == 1, "write: %s", strerror(errno)))
		return -1;
	return 0;
}

static int pipe_stale(struct fault_ctx *c, const struct ukevent *uk)
{
	char b;

	if (pipe_fire(c, uk) < 0)
		return -1;
	if (!CHECK(c, wait_now(c->kq, c->ev) == 0, "an event after a write"))
		return -1;
	if (!CHECK(c, read(c->pfd[0], &b, 1) == 1, "read: %s", strerror(errno)))
		return -1;
	return 0;
}

static int poll_pipe_expect(struct fault_ctx *c, const struct ukevent *ev)
{
	if (!CHECK(c, ev->event == KEVENT_POLL_IN, "event %x", ev->event))
		return -1;
	return 0;
}

static int pipe_expect(struct fault_ctx *c, const struct ukevent *ev)
{
	if (!CHECK(c, ev->event == KEVENT_POLL_IN && KEVENT_DATA_IN(ev->ret_data) == 1,
		   "event %x ret_data %llx", ev->event, (unsigned long long)ev->ret_data))
		return -1;
	return 0;
}

/* Every reader gone, with no reference kept: the writer gets EPIPE. */
static int pipe_release(struct fault_ctx *c)
{
	close(c->pfd[0]);
	if (c->pfd[2] >= 0)
		close(c->pfd[2]);
	if (!CHECK(c, write(c->pfd[1], "x", 1) == -1 && errno == EPIPE,
		   "the read end is still open somewhere: %s", strerror(errno)))
		return -1;
	close(c->pfd[1]);
	return 0;
}

static const struct fault_source src_poll_pipe = {
	.prepare = poll_pipe_prepare,
	.fire = pipe_fire,
	.stale = pipe_stale,
	.expect = poll_pipe_expect,
	.release = pipe_release,
};

static const struct fault_source src_poll_rdwr = {
	.prepare = poll_rdwr_prepare,
	.fire = pipe_fire,
	.stale = pipe_stale,
	.expect = poll_pipe_expect,
	.release = pipe_release,
};

static const struct fault_source src_pipe = {
	.prepare = pipe_prepare,
	.fire = pipe_fire,
	.stale = pipe_stale,
	.expect = pipe_expect,
	.release = pipe_release,
};

/* KEVENT_TYPE_SOCKET */

static int sock_uk(struct fault_ctx *c, struct ukevent *uk)
{
	*uk = (struct ukevent){ .type = KEVENT_TYPE_SOCKET, .id = c->sfd[0],
				.event = KEVENT_SOCKET_RECV };
	uk->udata = udata_of(uk);
	set_rcvtimeo(c->sfd[0]);
	set_rcvtimeo(c->sfd[1]);
	return 0;
}

static int unix_prepare(struct fault_ctx *c, struct ukevent *uk)
{
	if (!CHECK(c, socketpair(AF_UNIX, SOCK_STREAM, 0, c->sfd) == 0,
		   "socketpair: %s", strerror(errno)))
		return -1;
	return sock_uk(c, uk);
}

static int tcp_prepare(struct fault_ctx *c, struct ukevent *uk)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->sfd[2] = socket(AF_INET, SOCK_STREAM, 0);
	if (!CHECK(c, c->sfd[2] >= 0, "socket: %s", strerror(errno)))
		return -1;
	if (!CHECK(c, bind(c->sfd[2], (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		   listen(c->sfd[2], 1) == 0 &&
		   getsockname(c->sfd[2], (struct sockaddr *)&sin, &len) == 0,
		   "listen: %s", strerror(errno)))
		return -1;
	c->sfd[1] = socket(AF_INET, SOCK_STREAM, 0);
	if (!CHECK(c, c->sfd[1] >= 0, "socket: %s", strerror(errno)))
		return -1;
	if (!CHECK(c, connect(c->sfd[1], (struct sockaddr *)&sin, sizeof(sin)) == 0,
		   "connect: %s", strerror(errno)))
		return -1;
	c->sfd[0] = accept(c->sfd[2], NULL, NULL);
	if (!CHECK(c, c->sfd[0] >= 0, "accept: %s", strerror(errno)))
		return -1;
	return sock_uk(c, uk);
}

/* A protocol whose readiness kevent takes from the wait queue */
static int raw_prepare(struct fault_ctx *c, struct ukevent *uk)
{
	c->sfd[0] = socket(AF_INET, SOCK_RAW, RAW_PROTO);
	c->sfd[1] = socket(AF_INET, SOCK_RAW, RAW_PROTO);
	if (!CHECK(c, c->sfd[0] >= 0 && c->sfd[1] >= 0, "raw socket: %s", strerror(errno)))
		return -1;
	return sock_uk(c, uk);
}

static int sock_fire(struct fault_ctx *c, const struct ukevent *uk)
{
	if (!CHECK(c, send(c->sfd[1], "x", 1, MSG_NOSIGNAL) == 1, "send: %s",
		   strerror(errno)))
		return -1;
	return 0;
}

static int raw_fire(struct fault_ctx *c, const struct ukevent *uk)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!CHECK(c, sendto(c->sfd[1], "x", 1, 0, (struct sockaddr *)&sin,
			     sizeof(sin)) == 1, "sendto: %s", strerror(errno)))
		return -1;
	return 0;
}

static int sock_drain(struct fault_ctx *c)
{
	char b[128];

	if (!CHECK(c, recv(c->sfd[0], b, sizeof(b), 0) > 0, "recv: %s", strerror(errno)))
		return -1;
	return 0;
}

static int sock_stale(struct fault_ctx *c, const struct ukevent *uk)
{
	if (sock_fire(c, uk) < 0)
		return -1;
	if (!CHECK(c, wait_now(c->kq, c->ev) == 0, "an event after a send"))
		return -1;
	return sock_drain(c);
}

static int raw_stale(struct fault_ctx *c, const struct ukevent *uk)
{
	if (raw_fire(c, uk) < 0)
		return -1;
	if (!CHECK(c, wait_now(c->kq, c->ev) == 0, "an event after a send"))
		return -1;
	return sock_drain(c);
}

static int sock_expect(struct fault_ctx *c, const struct ukevent *ev)
{
	if (!CHECK(c, ev->event == KEVENT_SOCKET_RECV && KEVENT_DATA_IN(ev->ret_data) == 1,
		   "event %x ret_data %llx", ev->event, (unsigned long long)ev->ret_data))
		return -1;
	return 0;
}

static int raw_expect(struct fault_ctx *c, const struct ukevent *ev)
{
	if (!CHECK(c, ev->event == KEVENT_SOCKET_RECV, "event %x", ev->event))
		return -1;
	return 0;
}

/* No reference kept on the socket: closing it closes the connection. */
static int sock_release(struct fault_ctx *c)
{
	char b[128];

	/* Unread data would make TCP reset the connection */
	while (recv(c->sfd[0], b, sizeof(b), MSG_DONTWAIT) > 0)
		;
	close(c->sfd[0]);
	if (!CHECK(c, recv(c->sfd[1], b, sizeof(b), 0) == 0,
		   "the peer does not see the close: %s", strerror(errno)))
		return -1;
	close(c->sfd[1]);
	if (c->sfd[2] >= 0)
		close(c->sfd[2]);
	return 0;
}

static int raw_release(struct fault_ctx *c)
{
	close(c->sfd[0]);
	close(c->sfd[1]);
	return 0;
}

static const struct fault_source src_unix = {
	.prepare = unix_prepare,
	.fire = sock_fire,
	.stale = sock_stale,
	.expect = sock_expect,
	.release = sock_release,
};

static const struct fault_source src_tcp = {
	.prepare = tcp_prepare,
	.fire = sock_fire,
	.stale = sock_stale,
	.expect = sock_expect,
	.release = sock_release,
};

static const struct fault_source src_raw = {
	.prepare = raw_prepare,
	.fire = raw_fire,
	.stale = raw_stale,
	.expect = raw_expect,
	.release = raw_release,
};

/* KEVENT_TYPE_NAIO: a receive on a UNIX stream socket */

static char naio_buf[8192];

static int naio_prepare(struct fault_ctx *c, struct ukevent *uk)
{
	if (!CHECK(c, socketpair(AF_UNIX, SOCK_STREAM, 0, c->sfd) == 0,
		   "socketpair: %s", strerror(errno)))
		return -1;
	set_rcvtimeo(c->sfd[0]);
	set_rcvtimeo(c->sfd[1]);
	/* Across a page boundary: two pages pinned */
	*uk = (struct ukevent){ .type = KEVENT_TYPE_NAIO, .id = c->sfd[0],
				.event = KEVENT_NAIO_RECV,
				.req_flags = KEVENT_REQ_ONESHOT,
				.param = { (uintptr_t)naio_buf + 4000, 200 } };
	uk->udata = udata_of(uk);
	return 0;
}

/* A failed ADD left nothing pinned, and no request takes the data. */
static int naio_stale(struct fault_ctx *c, const struct ukevent *uk)
{
	if (!CHECK(c, kq_vm_pin_kb() == 0, "%ld kB still pinned", kq_vm_pin_kb()))
		return -1;
	if (sock_fire(c, uk) < 0)
		return -1;
	if (!CHECK(c, wait_now(c->kq, c->ev) == 0, "an event after a send"))
		return -1;
	return sock_drain(c);
}

static int naio_expect(struct fault_ctx *c, const struct ukevent *ev)
{
	if (!CHECK(c, ev->event == KEVENT_NAIO_RECV && ev->ret_data == 1 &&
		   naio_buf[4000] == 'x', "event %x ret_data %llx",
		   ev->event, (unsigned long long)ev->ret_data))
		return -1;
	naio_buf[4000] = 0;
	return 0;
}

/* The request is gone with its completion: nothing left pinned */
static int naio_release(struct fault_ctx *c)
{
	if (!CHECK(c, kq_vm_pin_kb() == 0, "%ld kB still pinned", kq_vm_pin_kb()))
		return -1;
	return sock_release(c);
}

static const struct fault_source src_naio = {
	.prepare = naio_prepare,
	.fire = sock_fire,
	.stale = naio_stale,
	.expect = naio_expect,
	.release = naio_release,
};

/* KEVENT_TYPE_TIMER */

static int timer_prepare(struct fault_ctx *c, struct ukevent *uk)
{
	*uk = (struct ukevent){ .type = KEVENT_TYPE_TIMER, .id = 7,
				.param = { 1 * MS, 0 } };
	uk->udata = udata_of(uk);
	return 0;
}

static int timer_expect(struct fault_ctx *c, const struct ukevent *ev)
{
	if (!CHECK(c, ev->event == KEVENT_TIMER_EXPIRED && ev->ret_data == 1,
		   "event %x ret_data %llu", ev->event, (unsigned long long)ev->ret_data))
		return -1;
	return 0;
}

static const struct fault_source src_timer = {
	.prepare = timer_prepare,
	.expect = timer_expect,
};

/* KEVENT_TYPE_SIGNAL */

static int signal_prepare(struct fault_ctx *c, struct ukevent *uk)
{
	/* Ignored signals are counted all the same. */
	signal(SIGUSR1, SIG_IGN);
	*uk = (struct ukevent){ .type = KEVENT_TYPE_SIGNAL, .id = SIGUSR1,
				.event = KEVENT_SIGNAL_ARRIVED };
	uk->udata = udata_of(uk);
	return 0;
}

static int signal_fire(struct fault_ctx *c, const struct ukevent *uk)
{
	if (!CHECK(c, kill(getpid(), SIGUSR1) == 0, "kill: %s", strerror(errno)))
		return -1;
	return 0;
}

static int signal_stale(struct fault_ctx *c, const struct ukevent *uk)
{
	if (signal_fire(c, uk) < 0)
		return -1;
	if (!CHECK(c, wait_now(c->kq, c->ev) == 0, "an event after a signal"))
		return -1;
	return 0;
}

static int signal_expect(struct fault_ctx *c, const struct ukevent *ev)
{
	if (!CHECK(c, ev->event == KEVENT_SIGNAL_ARRIVED && ev->ret_data == 1,
		   "event %x ret_data %llu", ev->event, (unsigned long long)ev->ret_data))
		return -1;
	return 0;
}

static const struct fault_source src_signal = {
	.prepare = signal_prepare,
	.fire = signal_fire,
	.stale = signal_stale,
	.expect = signal_expect,
};

/* KEVENT_TYPE_PROC: a child that exits with 7 once the gate closes */

static int proc_prepare(struct fault_ctx *c, struct ukevent *uk)
{
	char b;

	if (!CHECK(c, pipe(c->gate) == 0, "pipe: %s", strerror(errno)))
		return -1;
	c->pid = fork();
	if (!CHECK(c, c->pid >= 0, "fork: %s", strerror(errno)))
		return -1;
	if (!c->pid) {
		close(c->gate[1]);
		while (read(c->gate[0], &b, 1) > 0)
			;
		_exit(7);
	}
	close(c->gate[0]);
	c->gate[0] = -1;
	c->pidfd = syscall(__NR_pidfd_open, c->pid, 0);
	if (!CHECK(c, c->pidfd >= 0, "pidfd_open: %s", strerror(errno)))
		return -1;
	*uk = (struct ukevent){ .type = KEVENT_TYPE_PROC, .id = c->pidfd,
				.event = KEVENT_PROC_EXIT };
	uk->udata = udata_of(uk);
	return 0;
}

static int proc_fire(struct fault_ctx *c, const struct ukevent *uk)
{
	close(c->gate[1]);
	c->gate[1] = -1;
	return 0;
}

static int proc_expect(struct fault_ctx *c, const struct ukevent *ev)
{
	int status = (int)ev->ret_data;

	if (!CHECK(c, ev->event == (KEVENT_PROC_EXIT | KEVENT_PROC_STATUS) &&
		   WIFEXITED(status) && WEXITSTATUS(status) == 7,
		   "event %x ret_data %llx", ev->event, (unsigned long long)ev->ret_data))
		return -1;
	return 0;
}

static int proc_release(struct fault_ctx *c)
{
	close(c->pidfd);
	if (c->gate[1] >= 0)
		close(c->gate[1]);
	if (!CHECK(c, waitpid(c->pid, NULL, 0) == c->pid, "waitpid: %s", strerror(errno)))
		return -1;
	return 0;
}

static const struct fault_source src_proc = {
	.prepare = proc_prepare,
	.fire = proc_fire,
	.expect = proc_expect,
	.release = proc_release,
};

/* KEVENT_TYPE_FUTEX */

static int futex_wake(__u32 *word, bool private)
{
	return syscall(SYS_futex, word, private ? FUTEX_WAKE_PRIVATE : FUTEX_WAKE,
		       1, NULL, NULL, 0);
}

static int futex_private_prepare(struct fault_ctx *c, struct ukevent *uk)
{
	c->fword = 0;
	*uk = (struct ukevent){ .type = KEVENT_TYPE_FUTEX,
				.id = (uintptr_t)&c->fword,
				.event = KEVENT_FUTEX_PRIVATE,
				.req_flags = KEVENT_REQ_ONESHOT };
	uk->udata = udata_of(uk);
	return 0;
}

static int futex_shared_prepare(struct fault_ctx *c, struct ukevent *uk)
{
	c->shared_fword = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!CHECK(c, c->shared_fword != MAP_FAILED, "mmap: %s", strerror(errno)))
		return -1;
	*c->shared_fword = 0;
	*uk = (struct ukevent){ .type = KEVENT_TYPE_FUTEX,
				.id = (uintptr_t)c->shared_fword,
				.req_flags = KEVENT_REQ_ONESHOT };
	uk->udata = udata_of(uk);
	return 0;
}

static __u32 *futex_word(const struct ukevent *uk)
{
	return (__u32 *)(uintptr_t)uk->id;
}

static int futex_fire(struct fault_ctx *c, const struct ukevent *uk)
{
	int n = futex_wake(futex_word(uk), uk->event & KEVENT_FUTEX_PRIVATE);

	if (!CHECK(c, n == 1, "FUTEX_WAKE woke %d: %s", n, strerror(errno)))
		return -1;
	return 0;
}

static int futex_stale(struct fault_ctx *c, const struct ukevent *uk)
{
	int n = futex_wake(futex_word(uk), uk->event & KEVENT_FUTEX_PRIVATE);

	if (!CHECK(c, n == 0, "FUTEX_WAKE woke %d waiters of a failed ADD", n))
		return -1;
	if (!CHECK(c, wait_now(c->kq, c->ev) == 0, "an event after a wake"))
		return -1;
	return 0;
}

static int futex_expect(struct fault_ctx *c, const struct ukevent *ev)
{
	if (!CHECK(c, ev->event == KEVENT_FUTEX_WOKEN && ev->ret_data == 1,
		   "event %x ret_data %llu", ev->event, (unsigned long long)ev->ret_data))
		return -1;
	return 0;
}

static const struct fault_source src_futex_private = {
	.prepare = futex_private_prepare,
	.fire = futex_fire,
	.stale = futex_stale,
	.expect = futex_expect,
};

static const struct fault_source src_futex_shared = {
	.prepare = futex_shared_prepare,
	.fire = futex_fire,
	.stale = futex_stale,
	.expect = futex_expect,
};

/* KEVENT_TYPE_POLL on another queue, which has a user event */

static int kq_prepare(struct fault_ctx *c, struct ukevent *uk)
{
	c->inner = kq_new(0);
	if (!CHECK(c, c->inner >= 0, "kevent_init: %s", strerror(errno)))
		return -1;
	if (!CHECK(c, user_add(c->inner, 1, 0, 0) == 0, "ADD: %s", strerror(errno)))
		return -1;
	*uk = (struct ukevent){ .type = KEVENT_TYPE_POLL, .id = c->inner,
				.event = KEVENT_POLL_IN };
	uk->udata = udata_of(uk);
	return 0;
}

static int kq_fire(struct fault_ctx *c, const struct ukevent *uk)
{
	if (!CHECK(c, user_post(c->inner, 1, 1) == 0, "post: %s", strerror(errno)))
		return -1;
	return 0;
}

/* Does the inner queue watching the outer one make a loop? */
static int kq_reverse_add(struct fault_ctx *c)
{
	struct ukevent rev = { .type = KEVENT_TYPE_POLL, .id = c->kq,
			       .event = KEVENT_POLL_IN };

	return kq_ctl1(c->inner, KEVENT_CTL_ADD, rev);
}

static int kq_stale(struct fault_ctx *c, const struct ukevent *uk)
{
	if (kq_fire(c, uk) < 0)
		return -1;
	if (!CHECK(c, wait_now(c->kq, c->ev) == 0, "an event from the inner queue"))
		return -1;
	/* MODIFY resets a level-triggered user event. */
	if (!CHECK(c, kq_ctl1(c->inner, KEVENT_CTL_MODIFY, kev_user(1, 0, 0)) == 0,
		   "MODIFY: %s", strerror(errno)))
		return -1;
	/* No link between the queues was left behind. */
	if (!CHECK(c, kq_reverse_add(c) == 0, "the inner queue cannot watch the outer one: %s",
		   strerror(errno)))
		return -1;
	if (!CHECK(c, kq_remove(c->inner, KEVENT_TYPE_POLL, c->kq) == 0, "REMOVE: %s",
		   strerror(errno)))
		return -1;
	return 0;
}

static int kq_expect(struct fault_ctx *c, const struct ukevent *ev)
{
	if (!CHECK(c, ev->event == KEVENT_POLL_IN, "event %x", ev->event))
		return -1;
	if (!CHECK(c, kq_reverse_add(c) == -1 && errno == ELOOP,
		   "a loop of queues was accepted: %s", strerror(errno)))
		return -1;
	return 0;
}

static int kq_release(struct fault_ctx *c)
{
	close(c->inner);
	return 0;
}

static const struct fault_source src_kq = {
	.prepare = kq_prepare,
	.fire = kq_fire,
	.stale = kq_stale,
	.expect = kq_expect,
	.release = kq_release,
};

/* The calls */

static int ptimer_set(int id, __s64 value)
{
	struct __kernel_itimerspec its = {
		.it_value = { value / 1000000000, value % 1000000000 },
	};

	return syscall(NR_timer_settime, id, 0, &its, NULL);
}

/* The process whose kevent_wait() it wakes is blocked in it: post. */
static void sleep_waker(int kq)
{
	char path[64], buf[64];
	pid_t parent = getppid();
	int i;

	snprintf(path, sizeof(path), "/proc/%d/syscall", parent);
	for (i = 0; i < KQ_HANG_MS; i++) {
		FILE *f = fopen(path, "r");

		if (!f)
			break;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
		if (strtol(buf, NULL, 10) == __NR_kevent_wait &&
		    strncmp(buf, "running", 7))
			break;
		usleep(1000);
	}
	_exit(user_post(kq, 1, 0x5) ? 1 : 0);
}

static int setup(struct fault_ctx *c)
{
	const struct fault_path *p = c->p;
	unsigned int i;

	c->kq = kq_new(0);
	if (!CHECK(c, c->kq >= 0, "kevent_init: %s", strerror(errno)))
		return -1;
	/* A registration that no call may disturb */
	if (!CHECK(c, user_add(c->kq, 1000, 0, 0xb6) == 0, "ADD: %s", strerror(errno)))
		return -1;
	c->base = kq_fdinfo_count(c->kq);
	if (!CHECK(c, c->base == 1, "%d registrations", c->base))
		return -1;
	c->next_user = 1;
	c->evp = c->ev;
	c->wa = (struct kevent_wait_args){ .flags = KEVENT_WAIT_TIMEOUT,
					   .clockid = CLOCK_MONOTONIC };

	switch (p->kind) {
	case P_INIT:
		c->nfds = count_fds();
		c->lowest_fd = lowest_fd();
		break;
	case P_TIMER_CREATE:
		c->sev = (struct kevent_sigevent){
			.sigev_value.sival_ptr = (void *)0x1234,
			.sigev_notify = SIGEV_KEVENT,
			.kevent_fd = c->kq,
		};
		c->timer_id = -1;
		c->ntimers = count_timers();
		break;
	case P_CTL:
	case P_WAIT_CHANGES:
		for (i = 0; i < p->nr; i++) {
			if (p->src[i]->prepare(c, &c->uk[i]) < 0)
				return -1;
			c->uk[i].cmd = KEVENT_CTL_ADD;
		}
		c->wa.changes = (uintptr_t)c->uk;
		c->wa.nr_changes = p->nr;
		break;
	case P_MODIFY_PIPE:
		if (poll_pipe_prepare(c, &c->uk[0]) < 0)
			return -1;
		if (!CHECK(c, kq_ctl1(c->kq, KEVENT_CTL_ADD, c->uk[0]) == 0, "ADD: %s",
			   strerror(errno)))
			return -1;
		c->uk[0].cmd = KEVENT_CTL_MODIFY;
		c->uk[0].udata ^= 0xff;
		break;
	case P_MODIFY_TIMER:
		if (timer_prepare(c, &c->uk[0]) < 0)
			return -1;
		c->uk[0].param[0] = 3600 * 1000 * MS;
		if (!CHECK(c, kq_ctl1(c->kq, KEVENT_CTL_ADD, c->uk[0]) == 0, "ADD: %s",
			   strerror(errno)))
			return -1;
		c->uk[0].cmd = KEVENT_CTL_MODIFY;
		c->uk[0].param[0] = 1 * MS;
		c->uk[0].udata ^= 0xff;
		break;
	case P_POST:
		if (user_prepare(c, &c->uk[0]) < 0)
			return -1;
		if (!CHECK(c, kq_ctl1(c->kq, KEVENT_CTL_ADD, c->uk[0]) == 0, "ADD: %s",
			   strerror(errno)))
			return -1;
		c->uk[0].cmd = KEVENT_CTL_POST;
		c->uk[0].event = 0x5;
		break;
	case P_DELIVER:
		/* A oneshot user event and a pipe with data: two ready */
		if (user_prepare(c, &c->uk[0]) < 0)
			return -1;
		c->uk[0].req_flags = KEVENT_REQ_ONESHOT;
		if (poll_pipe_prepare(c, &c->uk[1]) < 0)
			return -1;
		for (i = 0; i < 2; i++)
			if (!CHECK(c, kq_ctl1(c->kq, KEVENT_CTL_ADD, c->uk[i]) == 0,
				   "ADD: %s", strerror(errno)))
				return -1;
		if (user_fire(c, &c->uk[0]) < 0)
			return -1;
		if (pipe_fire(c, &c->uk[1]) < 0)
			return -1;
		break;
	case P_SLEEP:
		if (user_prepare(c, &c->uk[0]) < 0)
			return -1;
		if (!CHECK(c, kq_ctl1(c->kq, KEVENT_CTL_ADD, c->uk[0]) == 0, "ADD: %s",
			   strerror(errno)))
			return -1;
		c->min_nr = 1;
		c->wa.tv_sec = KQ_HANG_MS / 1000;
		c->waker = fork();
		if (!CHECK(c, c->waker >= 0, "fork: %s", strerror(errno)))
			return -1;
		if (!c->waker)
			sleep_waker(c->kq);
		break;
	}
	return 0;
}

/* Between arming fail-nth and reading it back: the system call only. */
static long call(struct fault_ctx *c)
{
	const struct fault_path *p = c->p;

	switch (p->kind) {
	case P_INIT:
		return syscall(__NR_kevent_init, &c->ia, sizeof(c->ia));
	case P_TIMER_CREATE:
		return syscall(__NR_timer_create, CLOCK_MONOTONIC, &c->sev,
			       &c->timer_id);
	case P_CTL:
		return syscall(__NR_kevent_ctl, c->kq, 0, p->nr, c->uk,
			       sizeof(struct ukevent));
	case P_MODIFY_PIPE:
	case P_MODIFY_TIMER:
	case P_POST:
		return syscall(__NR_kevent_ctl, c->kq, 0, 1, c->uk,
			       sizeof(struct ukevent));
	case P_WAIT_CHANGES:
		return syscall(__NR_kevent_wait, c->kq, 0, p->max_nr, c->ev,
			       &c->wa, sizeof(c->wa));
	case P_DELIVER:
	case P_SLEEP:
		return syscall(__NR_kevent_wait, c->kq, c->min_nr, 8, c->evp,
			       &c->wa, sizeof(c->wa));
	}
	return -1;
}

/* The call failed: with an injected failure, and an errno it may have? */
static int call_failed(struct fault_ctx *c, bool injected, int err, int ok1,
		       int ok2)
{
	if (!CHECK(c, injected, "failed without an injected failure: %s", strerror(err)))
		return -1;
	if (!CHECK(c, err == ok1 || (ok2 && err == ok2), "failed with errno %d (%s)",
		   err, strerror(err)))
		return -1;
	c->r->outcome = OUT_ERRNO;
	c->r->err = err;
	return 0;
}

static void call_passed(struct fault_ctx *c, bool injected)
{
	if (injected)
		c->r->outcome = OUT_ABSORBED;
}

static int count_is(struct fault_ctx *c, int extra)
{
	int n = kq_fdinfo_count(c->kq);

	if (!CHECK(c, n == c->base + extra, "%d registrations, %d expected", n,
		   c->base + extra))
		return -1;
	return 0;
}

/* Every change of the path is registered: each must report exactly once. */
static int verify_added(struct fault_ctx *c)
{
	const struct fault_path *p = c->p;
	unsigned int i, j, nr = p->nr;
	bool seen[3] = { false };
	struct ukevent ev[8];
	int got;

	if (count_is(c, nr) < 0)
		return -1;
	for (i = 0; i < nr; i++)
		if (p->src[i]->fire && p->src[i]->fire(c, &c->uk[i]) < 0)
			return -1;
	got = kq_wait_ms(c->kq, nr, 8, ev, KQ_HANG_MS);
	if (!CHECK(c, got == (int)nr, "%d events for %u registrations: %s", got, nr,
		   got < 0 ? strerror(errno) : ""))
		return -1;
	for (j = 0; j < nr; j++) {
		for (i = 0; i < nr; i++)
			if (!seen[i] && ev[j].type == c->uk[i].type &&
			    ev[j].id == c->uk[i].id)
				break;
		if (!CHECK(c, i < nr, "an event of type %u id %llu", ev[j].type,
			   (unsigned long long)ev[j].id))
			return -1;
		seen[i] = true;
		if (check_event(c, &ev[j], &c->uk[i]) < 0)
			return -1;
		if (p->src[i]->expect(c, &ev[j]) < 0)
			return -1;
	}
	for (i = 0; i < nr; i++) {
		if (c->uk[i].req_flags & KEVENT_REQ_ONESHOT)
			continue;
		if (!CHECK(c, kq_remove(c->kq, c->uk[i].type, c->uk[i].id) == 0,
			   "REMOVE: %s", strerror(errno)))
			return -1;
	}
	if (count_is(c, 0) < 0)
		return -1;
	for (i = 0; i < nr; i++)
		if (p->src[i]->release && p->src[i]->release(c) < 0)
			return -1;
	return 0;
}

/* P_CTL, P_WAIT_CHANGES: which changes were made, and was it said right? */
static int check_adds(struct fault_ctx *c, long ret, int err, bool injected)
{
	const struct fault_path *p = c->p;
	bool added[3] = { false };
	unsigned int i, nr = p->nr, napplied = 0;
	int failed = -1;

	if (p->kind == P_CTL) {
		/* Stops at the first failure: the number done, or its errno */
		if (ret == (long)nr) {
			call_passed(c, injected);
			failed = -1;
		} else {
			if (!CHECK(c, ret == -1 || (ret > 0 && ret < (long)nr),
				   "returned %ld", ret))
				return -1;
			failed = ret == -1 ? 0 : ret;
			if (ret == -1) {
				if (call_failed(c, injected, err, ENOMEM, 0) < 0)
					return -1;
			} else {
				/* Its errno is in the change, checked below. */
				if (!CHECK(c, injected, "change %d failed", failed))
					return -1;
				c->r->outcome = OUT_ERRNO;
				c->r->err = ENOMEM;
			}
			if (!CHECK(c, c->uk[failed].ret_flags == KEVENT_RET_ERROR &&
				   c->uk[failed].ret_data == ENOMEM,
				   "change %d: ret_flags %x ret_data %llu", failed,
				   c->uk[failed].ret_flags,
				   (unsigned long long)c->uk[failed].ret_data))
				return -1;
		}
		for (i = 0; i < nr; i++) {
			added[i] = failed < 0 || (int)i < failed;
			if ((int)i != failed &&
			    !CHECK(c, c->uk[i].ret_flags == 0, "change %u marked failed", i))
				return -1;
		}
	} else if (ret == 0) {
		call_passed(c, injected);
		for (i = 0; i < nr; i++)
			added[i] = true;
	} else if (p->max_nr == 0) {
		/* No room to report it: the call fails with its errno. */
		if (!CHECK(c, nr == 1 && ret == -1, "returned %ld", ret))
			return -1;
		if (call_failed(c, injected, err, ENOMEM, 0) < 0)
			return -1;
		failed = 0;
	} else {
		/* Reported as an event; the other changes are made. */
		const struct ukevent *ev = &c->ev[0];

		if (!CHECK(c, ret == 1, "returned %ld: %s", ret, strerror(err)))
			return -1;
		if (!CHECK(c, injected, "a change failed without an injected failure"))
			return -1;
		for (i = 0; i < nr; i++)
			if (ev->type == c->uk[i].type && ev->id == c->uk[i].id)
				break;
		if (!CHECK(c, i < nr, "an event of type %u id %llu", ev->type,
			   (unsigned long long)ev->id))
			return -1;
		if (!CHECK(c, ev->ret_flags == KEVENT_RET_ERROR && ev->ret_data == ENOMEM,
			   "ret_flags %x ret_data %llu", ev->ret_flags,
			   (unsigned long long)ev->ret_data))
			return -1;
		if (!CHECK(c, ev->udata == c->uk[i].udata && ev->event == c->uk[i].event &&
			   ev->cmd == KEVENT_CTL_ADD, "the change is not as given"))
			return -1;
		c->r->outcome = OUT_ERROR_EVENT;
		c->r->err = ENOMEM;
		failed = i;
		for (i = 0; i < nr; i++)
			added[i] = (int)i != failed;
	}

	for (i = 0; i < nr; i++)
		napplied += added[i];
	if (count_is(c, napplied) < 0)
		return -1;
	if (failed < 0)
		return verify_added(c);

	if (!CHECK(c, wait_now(c->kq, c->ev) == 0, "an event after a failed change"))
		return -1;
	for (i = 0; i < nr; i++) {
		if (added[i])
			continue;
		if (!CHECK(c, kq_remove(c->kq, c->uk[i].type, c->uk[i].id) == -1 &&
			   errno == ENOENT, "REMOVE of change %u not made: %s", i,
			   strerror(errno)))
			return -1;
	}
	if (p->src[failed]->stale && p->src[failed]->stale(c, &c->uk[failed]) < 0)
		return -1;
	if (count_is(c, napplied) < 0)
		return -1;
	/* The changes not made can be made now, and work. */
	for (i = 0; i < nr; i++) {
		if (added[i])
			continue;
		c->uk[i].ret_flags = 0;
		c->uk[i].ret_data = 0;
		if (!CHECK(c, kq_ctl1(c->kq, KEVENT_CTL_ADD, c->uk[i]) == 0,
			   "ADD of change %u after the failure: %s", i, strerror(errno)))
			return -1;
	}
	return verify_added(c);
}

static int check_init(struct fault_ctx *c, long ret, int err, bool injected)
{
	struct ukevent ev;
	int q = ret;

	if (ret < 0) {
		if (call_failed(c, injected, err, ENOMEM, 0) < 0)
			return -1;
		if (!CHECK(c, count_fds() == c->nfds, "a file descriptor was left"))
			return -1;
		if (!CHECK(c, lowest_fd() == c->lowest_fd, "a file descriptor was taken"))
			return -1;
		q = kq_new(0);
	} else {
		call_passed(c, injected);
	}
	if (!CHECK(c, q == c->lowest_fd, "queue fd %d, not %d", q, c->lowest_fd))
		return -1;
	if (!CHECK(c, kq_fdinfo_count(q) == 0, "a new queue has registrations"))
		return -1;
	if (!CHECK(c, user_add(q, 1, 0, 7) == 0 && user_post(q, 1, 0x5) == 0,
		   "ADD, POST: %s", strerror(errno)))
		return -1;
	if (!CHECK(c, kq_wait_ms(q, 1, 1, &ev, KQ_HANG_MS) == 1 && ev.udata == 7 &&
		   ev.event == 0x5, "the new queue does not work"))
		return -1;
	close(q);
	if (!CHECK(c, count_fds() == c->nfds, "%d fds, %d before", count_fds(), c->nfds))
		return -1;
	return 0;
}

static int check_timer_create(struct fault_ctx *c, long ret, int err, bool injected)
{
	struct kevent_sigevent sev = c->sev;
	struct ukevent ev;

	if (ret < 0) {
		/*
		 * timer_create() fails with EAGAIN when it cannot allocate
		 * its own structures (POSIX), ENOMEM when kevent cannot.
		 */
		if (call_failed(c, injected, err, EAGAIN, ENOMEM) < 0)
			return -1;
		if (count_is(c, 0) < 0)
			return -1;
		if (!CHECK(c, count_timers() == c->ntimers, "a timer was left"))
			return -1;
		if (!CHECK(c, wait_now(c->kq, c->ev) == 0, "an event after a failure"))
			return -1;
		if (!CHECK(c, syscall(__NR_timer_create, CLOCK_MONOTONIC, &sev,
				      &c->timer_id) == 0, "timer_create: %s", strerror(errno)))
			return -1;
	} else {
		call_passed(c, injected);
	}
	if (count_is(c, 1) < 0)
		return -1;
	if (!CHECK(c, c->ntimers < 0 || count_timers() == c->ntimers + 1, "%d timers",
		   count_timers()))
		return -1;
	if (!CHECK(c, ptimer_set(c->timer_id, 1 * MS) == 0, "timer_settime: %s",
		   strerror(errno)))
		return -1;
	if (!CHECK(c, kq_wait_ms(c->kq, 1, 8, &ev, KQ_HANG_MS) == 1, "no expiry"))
		return -1;
	if (!CHECK(c, ev.type == KEVENT_TYPE_POSIX_TIMER && ev.id == (__u64)c->timer_id &&
		   ev.udata == 0x1234 && ev.event == KEVENT_TIMER_EXPIRED &&
		   ev.ret_data == 1, "event type %u id %llu udata %llx event %x",
		   ev.type, (unsigned long long)ev.id, (unsigned long long)ev.udata,
		   ev.event))
		return -1;
	if (!CHECK(c, syscall(__NR_timer_delete, c->timer_id) == 0, "timer_delete: %s",
		   strerror(errno)))
		return -1;
	if (count_is(c, 0) < 0)
		return -1;
	if (!CHECK(c, count_timers() == c->ntimers, "%d timers", count_timers()))
		return -1;
	return 0;
}

/* P_MODIFY_*, P_POST: one change to an existing registration */
static int check_change(struct fault_ctx *c, long ret, int err, bool injected)
{
	const struct fault_path *p = c->p;
	struct ukevent *uk = &c->uk[0], ev;
	__u64 old_udata = uk->udata ^ (p->kind == P_POST ? 0 : 0xff);

	if (ret == 1) {
		call_passed(c, injected);
		if (p->kind == P_MODIFY_PIPE && pipe_fire(c, uk) < 0)
			return -1;
	} else {
		if (call_failed(c, injected, err, ENOMEM, 0) < 0)
			return -1;
		if (!CHECK(c, uk->ret_flags == KEVENT_RET_ERROR && uk->ret_data == ENOMEM,
			   "ret_flags %x ret_data %llu", uk->ret_flags,
			   (unsigned long long)uk->ret_data))
			return -1;
		if (count_is(c, 1) < 0)
			return -1;
		if (p->kind == P_MODIFY_PIPE) {
			/* Still as before the MODIFY */
			if (pipe_fire(c, uk) < 0)
				return -1;
			if (!CHECK(c, wait_now(c->kq, &ev) == 1 && ev.udata == old_udata,
				   "the registration changed"))
				return -1;
		} else {
			if (!CHECK(c, wait_now(c->kq, &ev) == 0, "an event after a failure"))
				return -1;
		}
		uk->ret_flags = 0;
		uk->ret_data = 0;
		if (!CHECK(c, kq_ctl1(c->kq, uk->cmd, *uk) == 0, "cmd %u: %s", uk->cmd,
			   strerror(errno)))
			return -1;
	}
	if (!CHECK(c, kq_wait_ms(c->kq, 1, 8, &ev, KQ_HANG_MS) == 1, "no event"))
		return -1;
	if (check_event(c, &ev, uk) < 0)
		return -1;
	switch (p->kind) {
	case P_MODIFY_PIPE:
		if (poll_pipe_expect(c, &ev) < 0)
			return -1;
		break;
	case P_MODIFY_TIMER:
		if (timer_expect(c, &ev) < 0)
			return -1;
		break;
	default:
		if (user_expect(c, &ev) < 0)
			return -1;
		break;
	}
	if (!CHECK(c, kq_remove(c->kq, uk->type, uk->id) == 0, "REMOVE: %s", strerror(errno)))
		return -1;
	if (count_is(c, 0) < 0)
		return -1;
	if (p->kind == P_MODIFY_PIPE && pipe_release(c) < 0)
		return -1;
	return 0;
}

/* P_DELIVER, P_SLEEP */
static int check_wait(struct fault_ctx *c, long ret, int err, bool injected)
{
	const struct fault_path *p = c->p;
	unsigned int i, nr = p->kind == P_DELIVER ? 2 : 1;
	struct ukevent *ev = c->evp;

	if (ret < 0) {
		/* Only a copy that cannot fault its page in may fail. */
		if (call_failed(c, injected, err, p->fresh ? EFAULT : 0, 0) < 0)
			return -1;
		/* The events stay ready, and the next call reports them. */
		if (count_is(c, nr) < 0)
			return -1;
		ev = c->ev;
		ret = kq_wait_ms(c->kq, 1, 8, ev, KQ_HANG_MS);
	} else {
		call_passed(c, injected);
	}
	if (!CHECK(c, ret == nr, "%ld events", ret))
		return -1;
	for (i = 0; i < nr; i++) {
		if (ev[i].type == KEVENT_TYPE_USER) {
			if (check_event(c, &ev[i], &c->uk[0]) < 0)
				return -1;
			if (user_expect(c, &ev[i]) < 0)
				return -1;
		} else {
			if (check_event(c, &ev[i], &c->uk[1]) < 0)
				return -1;
			if (poll_pipe_expect(c, &ev[i]) < 0)
				return -1;
		}
	}
	if (p->kind == P_SLEEP) {
		int status;

		if (!CHECK(c, waitpid(c->waker, &status, 0) == c->waker && status == 0,
			   "waker status %x", status))
			return -1;
		if (!CHECK(c, kq_remove(c->kq, KEVENT_TYPE_USER, c->uk[0].id) == 0,
			   "REMOVE: %s", strerror(errno)))
			return -1;
		return count_is(c, 0);
	}
	/* The oneshot user event went with its report. */
	if (count_is(c, 1) < 0)
		return -1;
	if (!CHECK(c, kq_remove(c->kq, c->uk[1].type, c->uk[1].id) == 0, "REMOVE: %s",
		   strerror(errno)))
		return -1;
	if (count_is(c, 0) < 0)
		return -1;
	return pipe_release(c);
}

static int check(struct fault_ctx *c, long ret, int err, bool injected)
{
	switch (c->p->kind) {
	case P_INIT:
		return check_init(c, ret, err, injected);
	case P_TIMER_CREATE:
		return check_timer_create(c, ret, err, injected);
	case P_CTL:
	case P_WAIT_CHANGES:
		return check_adds(c, ret, err, injected);
	case P_MODIFY_PIPE:
	case P_MODIFY_TIMER:
	case P_POST:
		return check_change(c, ret, err, injected);
	case P_DELIVER:
	case P_SLEEP:
		return check_wait(c, ret, err, injected);
	}
	return -1;
}

/*
 * Grow the stack now, so that the call's own stack is locked in memory:
 * its frame lies below the caller's, where the call's frames will be.
 */
static void prefault_stack(void)
{
	char buf[256 * 1024];

	memset(buf, 0, sizeof(buf));
	/* The compiler cannot see that nobody reads buf. */
	asm("" : : "r" (buf) : "memory");
}

/* Make the call of @p with its @n-th fault injection point failed. */
static void fault_child(const char *name, const struct fault_path *p,
			unsigned int n, struct fault_result *r)
{
	struct fault_ctx c = { .p = p, .r = r };
	void (*prefault)(void);
	char buf[32];
	int fd, len, err;
	unsigned long left;
	bool injected;
	long ret;

	memset(c.pfd, -1, sizeof(c.pfd));
	memset(c.sfd, -1, sizeof(c.sfd));
	c.gate[0] = -1;
	c.gate[1] = -1;
	c.inner = -1;
	c.pidfd = -1;
	r->clean = 1;
	signal(SIGPIPE, SIG_IGN);
	/* Before setup(): kevent_init()'s check counts the fds. */
	fd = open(FAIL_NTH, O_RDWR);
	if (fd < 0) {
		fault_bad(&c, __LINE__, "open", "%s: %s", FAIL_NTH, strerror(errno));
		return;
	}
	if (setup(&c))
		return;

	/* Called through an opaque pointer: never inlined into this frame */
	prefault = prefault_stack;
	asm("" : "+r" (prefault));
	prefault();
	if (mlockall(MCL_CURRENT)) {
		fault_bad(&c, __LINE__, "mlockall", "%s", strerror(errno));
		return;
	}
	if (p->fresh) {
		/* Two megabytes of their own: no page table maps them yet. */
		char *m = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED) {
			fault_bad(&c, __LINE__, "mmap", "%s", strerror(errno));
			return;
		}
		c.evp = (void *)(((uintptr_t)m + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1));
	}
	if (getenv("FAULT_TRACE"))
		fprintf(stderr, "# fault_test: %s, n=%u\n", name, n);
	len = snprintf(buf, sizeof(buf), "%u", n);

	if (write(fd, buf, len) != len) {
		fault_bad(&c, __LINE__, "write", "%s: %s", FAIL_NTH, strerror(errno));
		return;
	}
	ret = call(&c);
	err = errno;
	len = pread(fd, buf, sizeof(buf) - 1, 0);
	if (write(fd, "0", 1) != 1 || len <= 0) {
		fault_bad(&c, __LINE__, "fail-nth", "%s: %s", FAIL_NTH, strerror(errno));
		return;
	}
	buf[len] = 0;
	left = strtoul(buf, NULL, 10);
	injected = left == 0;
	check(&c, ret, err, injected);
	close(fd);
}

struct fault_counts {
	unsigned int points, errnos, events, absorbed, unclean;
	unsigned int enomem, eagain, efault;
	unsigned int last_eagain, first_enomem;
	char absorbed_at[160];
};

static void run_path(struct __test_metadata *_metadata, const char *name,
		     const struct fault_path *p)
{
	struct fault_result *r;
	struct fault_counts k = { 0 };
	unsigned int n;
	int status;
	pid_t pid;

	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(r != MAP_FAILED);
	for (n = 1; n <= FAULT_MAX_N; n++) {
		memset(r, 0, sizeof(*r));
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			fault_child(name, p, n, r);
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			TH_LOG("%s, n=%u: the process ended with status %#x",
			       name, n, status);
			k.unclean++;
			break;
		}
		if (!r->clean) {
			TH_LOG("%s, n=%u: %s", name, n, r->why);
			k.unclean++;
		}
		if (r->outcome == OUT_NONE)
			break;
		k.points++;
		switch (r->outcome) {
		case OUT_ABSORBED: {
			size_t len = strlen(k.absorbed_at);

			k.absorbed++;
			snprintf(k.absorbed_at + len, sizeof(k.absorbed_at) - len,
				 "%s%u", len ? "," : " n=", n);
			break;
		}
		case OUT_ERROR_EVENT:
			k.events++;
			break;
		default:
			k.errnos++;
			break;
		}
		if (r->outcome == OUT_ERRNO || r->outcome == OUT_ERROR_EVENT) {
			if (r->err == ENOMEM && !k.enomem++)
				k.first_enomem = n;
			if (r->err == EAGAIN) {
				k.eagain++;
				k.last_eagain = n;
			}
			k.efault += r->err == EFAULT;
		}
	}
	munmap(r, sizeof(*r));

	/* One line, in two parts */
	ksft_print_msg("%-26s %3u failure points: %u failed ", name, k.points,
		       k.errnos + k.events);
	printf("(%u ENOMEM, %u EAGAIN, %u EFAULT; %u as error events), %u absorbed%s\n",
	       k.enomem, k.eagain, k.efault, k.events, k.absorbed, k.absorbed_at);
	if (totals) {
		totals->paths++;
		totals->points += k.points;
		totals->failed += k.errnos + k.events;
		totals->absorbed += k.absorbed;
		totals->unclean += k.unclean;
	}
	EXPECT_GE(FAULT_MAX_N, n) TH_LOG("%s never passed fewer points than n", name);
	/* timer_create() allocates its timer before kevent's registration. */
	if (k.eagain && k.enomem)
		EXPECT_LT(k.last_eagain, k.first_enomem);
	if (p->min_points)
		EXPECT_LT(0, k.errnos + k.events)
			TH_LOG("%s: no allocation failed: is fault injection on?", name);
	EXPECT_EQ(0, k.unclean);
}

/* The debugfs knobs, set for the test and restored after it */
static const char *const knob_path[] = {
	DEBUGFS "/failslab/ignore-gfp-wait",
	DEBUGFS "/failslab/verbose",
	DEBUGFS "/fail_page_alloc/ignore-gfp-wait",
	DEBUGFS "/fail_page_alloc/ignore-gfp-highmem",
	DEBUGFS "/fail_page_alloc/min-order",
	DEBUGFS "/fail_page_alloc/verbose",
	DEBUGFS "/failslab/times",
	DEBUGFS "/fail_page_alloc/times",
};

static const char *const knob_value[] = {
	"N",	/* fail sleeping allocations too: GFP_KERNEL */
	"0",	/* no message, no stack trace for an injected failure */
	"N",
	"Y",	/* not the pages of user memory */
	"0",	/* single pages too (the default is 1) */
	"0",
	NULL,	/* counted down by each injected failure: restored */
	NULL,
};

#define NR_KNOBS	ARRAY_SIZE(knob_path)
static_assert(ARRAY_SIZE(knob_value) == NR_KNOBS, "a value for every knob");

static int knob_read(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY), len;

	if (fd < 0)
		return -1;
	len = read(fd, buf, size - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = 0;
	return 0;
}

static int knob_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret;

	if (fd < 0)
		return -1;
	ret = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -1;
	close(fd);
	return ret;
}

FIXTURE(fault) {
	char old[NR_KNOBS][32];
	bool saved[NR_KNOBS];
};

FIXTURE_VARIANT(fault) {
	const char *name;
	struct fault_path path;
};

FIXTURE_SETUP(fault)
{
	bool trace = getenv("FAULT_TRACE");
	unsigned int i;

	if (access(FAIL_NTH, F_OK))
		SKIP(return, "no %s: the kernel has no fault injection", FAIL_NTH);
	if (access(DEBUGFS "/failslab", F_OK))
		mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
	for (i = 0; i < NR_KNOBS; i++) {
		const char *val = knob_value[i];

		if (knob_read(knob_path[i], self->old[i], sizeof(self->old[i])))
			SKIP(return, "no %s: no failslab or fail_page_alloc in debugfs",
			     knob_path[i]);
		self->saved[i] = true;
		if (!val)
			continue;
		if (trace && strstr(knob_path[i], "verbose"))
			val = "2";
		ASSERT_EQ(0, knob_write(knob_path[i], val))
			TH_LOG("%s: %s", knob_path[i], strerror(errno));
	}
}

FIXTURE_TEARDOWN(fault)
{
	unsigned int i;

	for (i = 0; i < NR_KNOBS; i++)
		if (self->saved[i])
			EXPECT_EQ(0, knob_write(knob_path[i], self->old[i]));
}

#define ADD_PATH(_name, _src)						\
	.name = _name,							\
	.path = { .kind = P_CTL, .src = { &(_src) }, .nr = 1,		\
		  .min_points = true }

FIXTURE_VARIANT_ADD(fault, init) {
	.name = "kevent_init",
	.path = { .kind = P_INIT, .min_points = true },
};

FIXTURE_VARIANT_ADD(fault, timer_create) {
	.name = "timer_create SIGEV_KEVENT",
	.path = { .kind = P_TIMER_CREATE, .min_points = true },
};

FIXTURE_VARIANT_ADD(fault, add_user) {
	ADD_PATH("ADD USER", src_user)
};

FIXTURE_VARIANT_ADD(fault, add_poll_pipe) {
	ADD_PATH("ADD POLL pipe", src_poll_pipe)
};

FIXTURE_VARIANT_ADD(fault, add_poll_pipe_rdwr) {
	ADD_PATH("ADD POLL pipe O_RDWR", src_poll_rdwr)
};

FIXTURE_VARIANT_ADD(fault, add_pipe) {
	ADD_PATH("ADD PIPE", src_pipe)
};

FIXTURE_VARIANT_ADD(fault, add_socket_unix) {
	ADD_PATH("ADD SOCKET unix", src_unix)
};

FIXTURE_VARIANT_ADD(fault, add_socket_tcp) {
	ADD_PATH("ADD SOCKET tcp", src_tcp)
};

FIXTURE_VARIANT_ADD(fault, add_socket_raw) {
	ADD_PATH("ADD SOCKET raw", src_raw)
};

FIXTURE_VARIANT_ADD(fault, add_naio) {
	ADD_PATH("ADD NAIO recv", src_naio)
};

FIXTURE_VARIANT_ADD(fault, add_timer) {
	ADD_PATH("ADD TIMER", src_timer)
};

FIXTURE_VARIANT_ADD(fault, add_signal) {
	ADD_PATH("ADD SIGNAL", src_signal)
};

FIXTURE_VARIANT_ADD(fault, add_proc) {
	ADD_PATH("ADD PROC", src_proc)
};

FIXTURE_VARIANT_ADD(fault, add_futex_private) {
	ADD_PATH("ADD FUTEX private", src_futex_private)
};

FIXTURE_VARIANT_ADD(fault, add_futex_shared) {
	ADD_PATH("ADD FUTEX shared", src_futex_shared)
};

FIXTURE_VARIANT_ADD(fault, add_poll_kevent) {
	ADD_PATH("ADD POLL kevent", src_kq)
};

FIXTURE_VARIANT_ADD(fault, ctl_batch) {
	.name = "kevent_ctl USER,PIPE,USER",
	.path = { .kind = P_CTL, .src = { &src_user, &src_pipe, &src_user },
		  .nr = 3, .min_points = true },
};

FIXTURE_VARIANT_ADD(fault, modify_pipe) {
	.name = "MODIFY POLL pipe",
	.path = { .kind = P_MODIFY_PIPE },
};

FIXTURE_VARIANT_ADD(fault, modify_timer) {
	.name = "MODIFY TIMER",
	.path = { .kind = P_MODIFY_TIMER },
};

FIXTURE_VARIANT_ADD(fault, post) {
	.name = "POST USER",
	.path = { .kind = P_POST },
};

FIXTURE_VARIANT_ADD(fault, wait_deliver) {
	.name = "kevent_wait deliver",
	.path = { .kind = P_DELIVER },
};

FIXTURE_VARIANT_ADD(fault, wait_deliver_fault) {
	.name = "kevent_wait deliver fault",
	.path = { .kind = P_DELIVER, .fresh = true, .min_points = true },
};

FIXTURE_VARIANT_ADD(fault, wait_sleep) {
	.name = "kevent_wait sleep",
	.path = { .kind = P_SLEEP },
};

FIXTURE_VARIANT_ADD(fault, wait_changes) {
	.name = "kevent_wait changes PIPE",
	.path = { .kind = P_WAIT_CHANGES, .src = { &src_pipe }, .nr = 1,
		  .max_nr = 4, .min_points = true },
};

FIXTURE_VARIANT_ADD(fault, wait_changes_no_room) {
	.name = "kevent_wait changes, no room",
	.path = { .kind = P_WAIT_CHANGES, .src = { &src_pipe }, .nr = 1,
		  .max_nr = 0, .min_points = true },
};

FIXTURE_VARIANT_ADD(fault, wait_changes_batch) {
	.name = "kevent_wait USER,PIPE,USER",
	.path = { .kind = P_WAIT_CHANGES,
		  .src = { &src_user, &src_pipe, &src_user }, .nr = 3,
		  .max_nr = 4, .min_points = true },
};

TEST_F_TIMEOUT(fault, inject, 900)
{
	run_path(_metadata, variant->name, &variant->path);
}

/* Last: the totals of the paths above */
FIXTURE(summary) {};

FIXTURE_SETUP(summary)
{
	if (access(FAIL_NTH, F_OK))
		SKIP(return, "no %s: the kernel has no fault injection", FAIL_NTH);
}

FIXTURE_TEARDOWN(summary)
{
}

TEST_F(summary, totals)
{
	ASSERT_TRUE(!!totals);
	/* One line, in two parts */
	ksft_print_msg("%u paths, %u injected failures, ", totals->paths,
		       totals->points);
	if (totals->unclean)
		printf("%u NOT clean (%u failed, %u absorbed by the kernel)\n",
		       totals->unclean, totals->failed, totals->absorbed);
	else
		printf("all clean (%u failed, %u absorbed by the kernel)\n",
		       totals->failed, totals->absorbed);
	EXPECT_LT(0, totals->failed);
}

TEST_HARNESS_MAIN
