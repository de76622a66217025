// SPDX-License-Identifier: GPL-2.0
/*
 * kevent stress tests: races between threads on two or more CPUs.
 *
 * Each test runs several threads against one or more queues for
 * KEVENT_STRESS_SECONDS seconds (default 2, on the guest's
 * CLOCK_MONOTONIC) and then checks something exact that a race in the
 * kernel would break: a return value, a count of events, the absence of
 * an event that can no longer be reported.  Worker threads cannot use the
 * harness's ASSERT/EXPECT (they longjmp in the test's thread), so they
 * record failures with thr_err(), which prints the first few, and the test
 * expects none once every thread has been joined.  Each test prints its
 * throughput.
 *
 * Threads never order themselves with sleeps: they loop until the
 * deadline, waiters block in kevent_wait() with KQ_HANG_MS as a hang
 * guard only, and are woken at the end by a level-triggered user event
 * with KEVENT_REQ_WAKEUP_ALL (or need no wakeup: their sources stay
 * ready).  A thread that must see another's result (a oneshot report)
 * spins for it with sched_yield(), also bounded by KQ_HANG_MS.
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/futex.h>
#include <linux/time_types.h>

#include "../kselftest_harness.h"
#include "common.h"

#ifndef __NR_pidfd_open
#define __NR_pidfd_open		434
#endif

#define NSEC		1000000000LL
#define USEC		1000LL

/* Run time of each test */

static double stress_seconds(void)
{
	const char *s = getenv("KEVENT_STRESS_SECONDS");
	double d;
	char *end;

	if (!s || !*s)
		return 2;
	d = strtod(s, &end);
	if (*end || !(d > 0) || d > 86400)
		return 2;
	return d;
}

/*
 * The harness's timeout: the run, the hang guard of a blocking wait, and
 * as much again for setup and teardown on a slow debug kernel.
 */
static int stress_timeout(void)
{
	return (int)(2 * stress_seconds()) + 2 * KQ_HANG_MS / 1000 + 30;
}

/* Test-wide state; each test runs in a process of its own. */
static struct {
	int stop[3];		/* per phase: threads of phase N stop */
	unsigned long failures;
	__s64 start, deadline;
	double secs;
} g;

static __printf(2, 3) void wfail(int line, const char *fmt, ...)
{
	unsigned long n = __atomic_fetch_add(&g.failures, 1, __ATOMIC_SEQ_CST);
	char buf[300];
	va_list ap;

	if (n >= 10)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ksft_print_msg("FAIL (line %d): %s\n", line, buf);
}

/* A failure in a worker thread */
#define thr_err(...)	wfail(__LINE__, __VA_ARGS__)

static inline int running(int phase)
{
	return !__atomic_load_n(&g.stop[phase], __ATOMIC_RELAXED);
}

static void stop_phase(int phase)
{
	__atomic_store_n(&g.stop[phase], 1, __ATOMIC_SEQ_CST);
}

static void stress_go(void)
{
	g.secs = stress_seconds();
	g.start = now_ns(CLOCK_MONOTONIC);
	g.deadline = g.start + (__s64)(g.secs * NSEC);
}

static void sleep_until_deadline(void)
{
	struct timespec ts = {
		.tv_sec = g.deadline / NSEC,
		.tv_nsec = g.deadline % NSEC,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL))
		;
}

static double elapsed(void)
{
	return (double)(now_ns(CLOCK_MONOTONIC) - g.start) / NSEC;
}

/* Expect no failure from the workers; say how many and how soon. */
static void expect_no_failures(struct __test_metadata *_metadata)
{
	EXPECT_EQ(0, g.failures) {
		TH_LOG("%lu failures in %.1f s", g.failures, elapsed());
	}
}

static inline unsigned int rnd(unsigned int *s)
{
	unsigned int x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* Spin for up to @ns: time spent with something armed, not ordering. */
static void dwell(__s64 ns)
{
	__s64 end = now_ns(CLOCK_MONOTONIC) + ns;

	while (now_ns(CLOCK_MONOTONIC) < end)
		;
}

struct thr {
	pthread_t t;
	int idx;
	unsigned int seed;
	unsigned long ops;
	pid_t tid;
	void *ctx;
};

static int thr_start(struct thr *t, void *(*fn)(void *), void *ctx, int idx)
{
	t->idx = idx;
	t->ctx = ctx;
	t->ops = 0;
	t->tid = 0;
	t->seed = 0x9e3779b9u * (idx + 1) ^ (unsigned int)getpid() ^
		  (unsigned int)now_ns(CLOCK_MONOTONIC);
	if (!t->seed)
		t->seed = 1;
	return pthread_create(&t->t, NULL, fn, t);
}

static unsigned long thr_join(struct thr *t, int n)
{
	unsigned long ops = 0;
	int i;

	for (i = 0; i < n; i++) {
		pthread_join(t[i].t, NULL);
		ops += t[i].ops;
	}
	return ops;
}

static __printf(3, 4) void report(const char *name, unsigned long ops, const char *fmt, ...)
{
	double secs = elapsed();
	char buf[300] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ksft_print_msg("STRESS %s: %lu ops in %.1f s: %.0f ops/s (%s)\n",
		       name, ops, secs, ops / (secs > 0 ? secs : 1), buf);
}

/*
 * The end of a test: a level-triggered user event that wakes every
 * waiter and stays ready for those that come later.
 */
#define STOP_ID		0x5709ULL
#define STOP_UDATA	0ULL

static int stop_add(int kq)
{
	return user_add(kq, STOP_ID, KEVENT_REQ_WAKEUP_ALL, STOP_UDATA);
}

static int is_stop(const struct ukevent *ev)
{
	return ev->type == KEVENT_TYPE_USER && ev->id == STOP_ID;
}

/*
 * Generations.  A registration's udata names a producer (a slot that has
 * at most one registration at a time) and a generation, increasing per
 * producer.  Once a producer's registration is gone for sure (close() of
 * its fd, REMOVE, timer_delete() returned) it retires its generation: a
 * kevent_wait() that starts after that must not report it.
 */
#define MAXPROD		64
#define GEN_MASK	((1ULL << 48) - 1)

struct gens {
	unsigned int n;
	__u64 retired[MAXPROD];
};

static inline __u64 mk_udata(unsigned int p, __u64 gen)
{
	return (__u64)(p + 1) << 48 | gen;
}

static inline unsigned int udata_prod(__u64 udata)
{
	return (unsigned int)(udata >> 48) - 1;
}

static inline __u64 udata_gen(__u64 udata)
{
	return udata & GEN_MASK;
}

static void gens_retire(struct gens *gs, unsigned int p, __u64 gen)
{
	__atomic_store_n(&gs->retired[p], gen, __ATOMIC_SEQ_CST);
}

static void gens_snap(struct gens *gs, __u64 *snap)
{
	unsigned int i;

	for (i = 0; i < gs->n; i++)
		snap[i] = __atomic_load_n(&gs->retired[i], __ATOMIC_SEQ_CST);
}

/* Is @ev, of a producer, reported after its generation retired? */
static int gens_check(struct gens *gs, const __u64 *snap,
		      const struct ukevent *ev, const char *what)
{
	unsigned int p = udata_prod(ev->udata);
	__u64 gen = udata_gen(ev->udata);

	if (p >= gs->n) {
		thr_err("%s: event with unknown udata %llx (type %u id %llu)",
			what, (unsigned long long)ev->udata, ev->type,
			(unsigned long long)ev->id);
		return -1;
	}
	if (gen <= snap[p]) {
		thr_err("%s: producer %u generation %llu reported after it retired (%llu) before the wait: type %u id %llu event %x",
			what, p, (unsigned long long)gen,
			(unsigned long long)snap[p], ev->type,
			(unsigned long long)ev->id, ev->event);
		return -1;
	}
	return 0;
}

/*
 * A waiter's kevent_wait() for 1 to @max events, KQ_HANG_MS at most; a
 * failure or nothing for so long is a worker failure.  Returns n, or <= 0.
 */
static int wait_events(int kq, struct ukevent *ev, unsigned int max)
{
	int n = kq_wait_ms(kq, 1, max, ev, KQ_HANG_MS);

	if (n <= 0)
		thr_err("kevent_wait: %d (%s)", n,
			n ? strerror(errno) : "no event for KQ_HANG_MS");
	return n;
}

/*
 * Producer @p's generation @gen was reported: after any later one, or one
 * that REMOVE took (*@removed), it is a duplicate or a ghost.
 */
static void gen_reported(const char *what, unsigned int p, __u64 gen,
			 __u64 *reported, const __u64 *removed)
{
	__u64 old = __atomic_exchange_n(reported, gen, __ATOMIC_SEQ_CST);

	if (old >= gen)
		thr_err("%s %u gen %llu reported after gen %llu", what, p,
			(unsigned long long)gen, (unsigned long long)old);
	if (__atomic_load_n(removed, __ATOMIC_SEQ_CST) == gen)
		thr_err("%s %u gen %llu reported after REMOVE succeeded", what,
			p, (unsigned long long)gen);
}

/* Wait with a hang guard until *@word == @val; 0, or -1 after KQ_HANG_MS. */
static int await_u64(__u64 *word, __u64 val)
{
	__s64 end = now_ns(CLOCK_MONOTONIC) + KQ_HANG_MS * 1000000LL;

	while (__atomic_load_n(word, __ATOMIC_SEQ_CST) != val) {
		if (now_ns(CLOCK_MONOTONIC) > end)
			return -1;
		sched_yield();
	}
	return 0;
}

FIXTURE(stress) {
	int unused;
};

FIXTURE_SETUP(stress)
{
	int kq;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one CPU: nothing would race");
	kq = kq_new(0);
	ASSERT_LE(0, kq) {
		TH_LOG("kevent_init: %s (CONFIG_KEVENT=n?)", strerror(errno));
	}
	close(kq);
	memset(&g, 0, sizeof(g));
}

FIXTURE_TEARDOWN(stress)
{
}

/*
 * 1. close() of a watched fd against writer wakeups.
 *
 * Slots of pipes and AF_UNIX socket pairs.  The watched fd of a slot is a
 * dup() of its read end, registered as KEVENT_TYPE_POLL, _PIPE or _SOCKET
 * (by generation); closers close it (after a REMOVE, sometimes) and
 * register a new dup, writers write to the other end all the while, and
 * waiters report and drain.  Exact: every ADD, REMOVE and close succeeds;
 * a wait never reports a registration whose close() returned before the
 * wait began; each report is the event asked for; nothing is left at the
 * end.
 */
#define S1_SLOTS	8
#define S1_CLOSERS	2
#define S1_WRITERS	2
#define S1_WAITERS	2

struct s1 {
	int kq;
	int master[S1_SLOTS];	/* read end / socket; never registered */
	int w[S1_SLOTS];	/* write end / peer */
	struct gens gens;
};

static int s1_is_pipe(int s)
{
	return (s & 3) < 2;
}

static __u32 s1_type(int s, __u64 gen)
{
	if (s1_is_pipe(s))
		return gen & 1 ? KEVENT_TYPE_POLL : KEVENT_TYPE_PIPE;
	return gen & 1 ? KEVENT_TYPE_SOCKET : KEVENT_TYPE_POLL;
}

static __u32 s1_event(__u32 type)
{
	return type == KEVENT_TYPE_SOCKET ? KEVENT_SOCKET_RECV : KEVENT_POLL_IN;
}

static void *s1_closer(void *arg)
{
	struct thr *t = arg;
	struct s1 *c = t->ctx;
	int fd[S1_SLOTS], s;
	__u64 gen[S1_SLOTS] = { 0 };

	for (s = 0; s < S1_SLOTS; s++)
		fd[s] = -1;
	while (running(0)) {
		for (s = t->idx; s < S1_SLOTS; s += S1_CLOSERS) {
			struct ukevent uk = { 0 };
			__u32 type;

			if (fd[s] >= 0) {
				type = s1_type(s, gen[s]);
				if (!(rnd(&t->seed) & 3) &&
				    kq_remove(c->kq, type, fd[s]))
					thr_err("REMOVE of slot %d fd %d: %s", s,
						fd[s], strerror(errno));
				if (close(fd[s]))
					thr_err("close(%d): %s", fd[s],
						strerror(errno));
				gens_retire(&c->gens, s, gen[s]);
				fd[s] = -1;
				t->ops++;
			}
			if (!running(0))
				break;
			fd[s] = fcntl(c->master[s], F_DUPFD_CLOEXEC, 0);
			if (fd[s] < 0) {
				thr_err("dup: %s", strerror(errno));
				continue;
			}
			gen[s]++;
			type = s1_type(s, gen[s]);
			uk.id = fd[s];
			uk.type = type;
			uk.event = s1_event(type);
			uk.udata = mk_udata(s, gen[s]);
			if (kq_ctl1(c->kq, KEVENT_CTL_ADD, uk))
				thr_err("ADD type %u of fd %d (slot %d): %s", type,
					fd[s], s, strerror(errno));
			t->ops++;
		}
	}
	for (s = 0; s < S1_SLOTS; s++) {
		if (fd[s] < 0)
			continue;
		if (close(fd[s]))
			thr_err("close(%d): %s", fd[s], strerror(errno));
		gens_retire(&c->gens, s, gen[s]);
	}
	return NULL;
}

static void *s1_writer(void *arg)
{
	struct thr *t = arg;
	struct s1 *c = t->ctx;

	while (running(0)) {
		int s = rnd(&t->seed) % S1_SLOTS;
		ssize_t n = write(c->w[s], "x", 1);

		if (n != 1 && errno != EAGAIN)
			thr_err("write to slot %d: %s", s, strerror(errno));
		t->ops++;
	}
	return NULL;
}

static void *s1_waiter(void *arg)
{
	struct thr *t = arg;
	struct s1 *c = t->ctx;
	__u64 snap[MAXPROD];
	struct ukevent ev[16];
	char buf[512];
	int n, i;

	while (running(0)) {
		gens_snap(&c->gens, snap);
		n = wait_events(c->kq, ev, 16);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			unsigned int s;
			__u32 type;

			if (is_stop(&ev[i]))
				continue;
			t->ops++;
			if (gens_check(&c->gens, snap, &ev[i], "close"))
				continue;
			s = udata_prod(ev[i].udata);
			type = s1_type(s, udata_gen(ev[i].udata));
			if (ev[i].type != type || ev[i].event != s1_event(type) ||
			    ev[i].ret_flags)
				thr_err("slot %d: type %u event %x ret_flags %x, not type %u event %x",
					s, ev[i].type, ev[i].event,
					ev[i].ret_flags, type, s1_event(type));
			while (read(c->master[s], buf, sizeof(buf)) > 0)
				;
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(stress, close_vs_writers, stress_timeout())
{
	struct thr cl[S1_CLOSERS], wr[S1_WRITERS], wa[S1_WAITERS];
	unsigned long closes, writes, events;
	struct s1 c = { .gens.n = S1_SLOTS };
	int s, i, p[2];

	c.kq = kq_new(0);
	ASSERT_LE(0, c.kq);
	ASSERT_EQ(0, stop_add(c.kq));
	for (s = 0; s < S1_SLOTS; s++) {
		if (s1_is_pipe(s)) {
			ASSERT_EQ(0, pipe2(p, O_NONBLOCK | O_CLOEXEC));
		} else {
			ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM |
						SOCK_NONBLOCK | SOCK_CLOEXEC,
						0, p));
		}
		c.master[s] = p[0];
		c.w[s] = p[1];
	}

	stress_go();
	for (i = 0; i < S1_CLOSERS; i++)
		ASSERT_EQ(0, thr_start(&cl[i], s1_closer, &c, i));
	for (i = 0; i < S1_WRITERS; i++)
		ASSERT_EQ(0, thr_start(&wr[i], s1_writer, &c, i));
	for (i = 0; i < S1_WAITERS; i++)
		ASSERT_EQ(0, thr_start(&wa[i], s1_waiter, &c, i));
	sleep_until_deadline();
	stop_phase(0);
	EXPECT_EQ(0, user_post(c.kq, STOP_ID, 1));
	closes = thr_join(cl, S1_CLOSERS);
	writes = thr_join(wr, S1_WRITERS);
	events = thr_join(wa, S1_WAITERS);
	report("close_vs_writers", closes + writes + events,
	       "%lu add/close, %lu writes, %lu events", closes, writes, events);

	expect_no_failures(_metadata);
	/* Every watched fd was closed: only the stop event is left. */
	EXPECT_EQ(0, kq_remove(c.kq, KEVENT_TYPE_USER, STOP_ID));
	EXPECT_EQ(0, kq_fdinfo_count(c.kq));
	for (s = 0; s < S1_SLOTS; s++) {
		close(c.master[s]);
		close(c.w[s]);
	}
	close(c.kq);
}

/*
 * 2. fd-number reuse.
 *
 * a) Threads loop pipe2(), ADD of the read end (and sometimes of the
 *    write end), a byte written, close() of both ends.  Another thread's
 *    new file often gets the number just closed, whose registration may
 *    not be gone yet: the ADD must never fail (EEXIST would be the stale
 *    registration blocking it).
 * b) Slot fds registered and removed by their owner thread while another
 *    thread dup2()s fresh pipes over them: ADD may fail only with EBADF
 *    and REMOVE only with ENOENT, and only if a dup2() overlapped.
 *
 * Waiters report throughout; a registration is never reported after its
 * close(), dup2() or REMOVE returned.  Nothing is left at the end.
 */
#define S2_PIPERS	2
#define S2_SLOTS	2
#define S2_WAITERS	2

struct s2 {
	int kq;
	int x[S2_SLOTS];		/* slot fd numbers, fixed */
	int xw[S2_SLOTS];		/* the write end of the first pipe */
	__u64 dup_started[S2_SLOTS];
	__u64 dup_finished[S2_SLOTS];
	struct gens gens;		/* pipers, then slot owners */
};

static void *s2_piper(void *arg)
{
	struct thr *t = arg;
	struct s2 *c = t->ctx;
	__u64 gen = 0;
	int p[2];

	while (running(0)) {
		struct ukevent uk = {
			.type = KEVENT_TYPE_POLL,
			.event = KEVENT_POLL_IN,
		};
		unsigned int r = rnd(&t->seed);

		if (pipe2(p, O_NONBLOCK | O_CLOEXEC)) {
			thr_err("pipe2: %s", strerror(errno));
			break;
		}
		gen++;
		uk.id = p[0];
		uk.udata = mk_udata(t->idx, gen);
		if (kq_ctl1(c->kq, KEVENT_CTL_ADD, uk))
			thr_err("ADD of new pipe fd %d: %s", p[0], strerror(errno));
		if (r & 1) {
			uk.id = p[1];
			uk.event = KEVENT_POLL_OUT;
			if (kq_ctl1(c->kq, KEVENT_CTL_ADD, uk))
				thr_err("ADD of new pipe fd %d: %s", p[1],
					strerror(errno));
		}
		if (r & 2 && write(p[1], "x", 1) != 1)
			thr_err("write: %s", strerror(errno));
		if (r & 4) {
			if (close(p[0]) || close(p[1]))
				thr_err("close: %s", strerror(errno));
		} else {
			if (close(p[1]) || close(p[0]))
				thr_err("close: %s", strerror(errno));
		}
		gens_retire(&c->gens, t->idx, gen);
		t->ops++;
	}
	return NULL;
}

static void *s2_owner(void *arg)
{
	struct thr *t = arg;
	struct s2 *c = t->ctx;
	int s = t->idx, prod = S2_PIPERS + s;
	__u64 gen = 0, f0, s1;

	while (running(0)) {
		struct ukevent uk = {
			.id = c->x[s],
			.type = KEVENT_TYPE_POLL,
			.event = KEVENT_POLL_IN,
			.req_flags = KEVENT_REQ_ET,
		};

		f0 = __atomic_load_n(&c->dup_finished[s], __ATOMIC_SEQ_CST);
		uk.udata = mk_udata(prod, ++gen);
		if (kq_ctl1(c->kq, KEVENT_CTL_ADD, uk)) {
			int e = errno;

			s1 = __atomic_load_n(&c->dup_started[s], __ATOMIC_SEQ_CST);
			if (e != EBADF || s1 == f0)
				thr_err("ADD of slot fd %d: %s (dup2s started %llu, finished before ADD %llu)",
					c->x[s], strerror(e),
					(unsigned long long)s1,
					(unsigned long long)f0);
			gens_retire(&c->gens, prod, gen);
			t->ops++;
			continue;
		}
		if (kq_remove(c->kq, KEVENT_TYPE_POLL, c->x[s])) {
			int e = errno;

			s1 = __atomic_load_n(&c->dup_started[s], __ATOMIC_SEQ_CST);
			if (e != ENOENT || s1 == f0)
				thr_err("REMOVE of slot fd %d: %s (dup2s started %llu, finished before ADD %llu)",
					c->x[s], strerror(e),
					(unsigned long long)s1,
					(unsigned long long)f0);
		}
		gens_retire(&c->gens, prod, gen);
		t->ops += 2;
	}
	return NULL;
}

static void *s2_dupper(void *arg)
{
	struct thr *t = arg;
	struct s2 *c = t->ctx;
	int p[2];

	while (running(0)) {
		int s = rnd(&t->seed) % S2_SLOTS;

		if (pipe2(p, O_NONBLOCK | O_CLOEXEC)) {
			thr_err("pipe2: %s", strerror(errno));
			break;
		}
		__atomic_fetch_add(&c->dup_started[s], 1, __ATOMIC_SEQ_CST);
		if (dup2(p[0], c->x[s]) != c->x[s])
			thr_err("dup2 over %d: %s", c->x[s], strerror(errno));
		__atomic_fetch_add(&c->dup_finished[s], 1, __ATOMIC_SEQ_CST);
		if (close(p[0]) || close(p[1]))
			thr_err("close: %s", strerror(errno));
		t->ops++;
	}
	return NULL;
}

static void *s2_waiter(void *arg)
{
	struct thr *t = arg;
	struct s2 *c = t->ctx;
	__u64 snap[MAXPROD];
	struct ukevent ev[16];
	int n, i;

	while (running(0)) {
		gens_snap(&c->gens, snap);
		n = wait_events(c->kq, ev, 16);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (is_stop(&ev[i]))
				continue;
			t->ops++;
			if (gens_check(&c->gens, snap, &ev[i], "fd reuse"))
				continue;
			if (ev[i].type != KEVENT_TYPE_POLL ||
			    (ev[i].event & ~(KEVENT_POLL_IN | KEVENT_POLL_OUT |
					     KEVENT_POLL_HUP | KEVENT_POLL_ERR)) ||
			    !ev[i].event)
				thr_err("type %u event %x", ev[i].type,
					ev[i].event);
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(stress, fd_reuse, stress_timeout())
{
	struct thr pi[S2_PIPERS], ow[S2_SLOTS], du, wa[S2_WAITERS];
	unsigned long pipes, owners, dups, events;
	struct s2 c = { .gens.n = S2_PIPERS + S2_SLOTS };
	int s, i, p[2];

	c.kq = kq_new(0);
	ASSERT_LE(0, c.kq);
	ASSERT_EQ(0, stop_add(c.kq));
	for (s = 0; s < S2_SLOTS; s++) {
		ASSERT_EQ(0, pipe2(p, O_NONBLOCK | O_CLOEXEC));
		c.x[s] = p[0];
		c.xw[s] = p[1];
	}

	stress_go();
	for (i = 0; i < S2_PIPERS; i++)
		ASSERT_EQ(0, thr_start(&pi[i], s2_piper, &c, i));
	for (i = 0; i < S2_SLOTS; i++)
		ASSERT_EQ(0, thr_start(&ow[i], s2_owner, &c, i));
	ASSERT_EQ(0, thr_start(&du, s2_dupper, &c, 0));
	for (i = 0; i < S2_WAITERS; i++)
		ASSERT_EQ(0, thr_start(&wa[i], s2_waiter, &c, i));
	sleep_until_deadline();
	stop_phase(0);
	EXPECT_EQ(0, user_post(c.kq, STOP_ID, 1));
	pipes = thr_join(pi, S2_PIPERS);
	owners = thr_join(ow, S2_SLOTS);
	dups = thr_join(&du, 1);
	events = thr_join(wa, S2_WAITERS);
	report("fd_reuse", pipes + owners + dups + events,
	       "%lu pipe add/close, %lu slot add/remove, %lu dup2, %lu events",
	       pipes, owners, dups, events);

	expect_no_failures(_metadata);
	EXPECT_EQ(0, kq_remove(c.kq, KEVENT_TYPE_USER, STOP_ID));
	EXPECT_EQ(0, kq_fdinfo_count(c.kq));
	for (s = 0; s < S2_SLOTS; s++) {
		close(c.x[s]);
		close(c.xw[s]);
	}
	close(c.kq);
}

/*
 * 3. REMOVE and MODIFY against short periodic timers.
 *
 * Churners ADD timers of 10-100 us periods (level-triggered, edge-
 * triggered, dispatch or oneshot), MODIFY them (new period and udata) and
 * REMOVE them, while waiters report.  Exact: ADD and MODIFY succeed, and
 * REMOVE too, but for a oneshot timer already reported, which ENOENT says
 * and which a waiter must then have received; a oneshot timer is reported
 * once; no wait reports a generation removed or modified away before it
 * began; and the expirations reported for one arming never exceed what
 * its expiry and period allow by the time of the report.
 */
#define S3_IDS		16
#define S3_CHURNERS	2
#define S3_WAITERS	2

struct s3_rec {
	pthread_mutex_t lock;
	__u64 gen;		/* the arming the bound is for */
	__s64 t0, expiry, period;
	__u64 sum;		/* expirations reported for it */
	__s64 last;		/* latest time a report of it was seen */
};

struct s3 {
	int kq;
	struct gens gens;
	__u64 reported[S3_IDS];	/* last oneshot generation reported */
	struct s3_rec rec[S3_IDS];
	unsigned long oneshot_enoent;
};

static void s3_rec_set(struct s3 *c, int id, __u64 gen, __s64 t0,
		       __s64 expiry, __s64 period)
{
	struct s3_rec *r = &c->rec[id];

	pthread_mutex_lock(&r->lock);
	r->gen = gen;
	r->t0 = t0;
	r->expiry = expiry;
	r->period = period;
	r->sum = 0;
	r->last = 0;
	pthread_mutex_unlock(&r->lock);
}

/* A oneshot timer is gone (@op: ENOENT): it fired, so it is reported. */
static void s3_gone(struct s3 *c, int id, __u64 gen, const char *op)
{
	c->oneshot_enoent++;
	if (await_u64(&c->reported[id], gen))
		thr_err("oneshot timer %d gen %llu gone (%s: ENOENT) but never reported",
			id, (unsigned long long)gen, op);
}

static void *s3_churner(void *arg)
{
	static const __u32 flags[] = {
		0, KEVENT_REQ_ET, KEVENT_REQ_DISPATCH, KEVENT_REQ_ONESHOT,
	};
	struct thr *t = arg;
	struct s3 *c = t->ctx;
	__u64 gen[S3_IDS] = { 0 };
	int id;

	while (running(0)) {
		for (id = t->idx; id < S3_IDS && running(0); id += S3_CHURNERS) {
			struct ukevent uk = {
				.id = id,
				.type = KEVENT_TYPE_TIMER,
				.req_flags = flags[rnd(&t->seed) % 4],
			};
			int oneshot = uk.req_flags & KEVENT_REQ_ONESHOT;
			int live = 1, k, nmod = rnd(&t->seed) % 4;
			__u64 cur;

			uk.param[0] = 10 * USEC + rnd(&t->seed) % (40 * USEC);
			uk.param[1] = 10 * USEC + rnd(&t->seed) % (90 * USEC);
			uk.udata = mk_udata(id, cur = ++gen[id]);
			s3_rec_set(c, id, cur, now_ns(CLOCK_MONOTONIC),
				   uk.param[0], uk.param[1]);
			if (kq_ctl1(c->kq, KEVENT_CTL_ADD, uk)) {
				thr_err("ADD timer %d: %s", id, strerror(errno));
				gens_retire(&c->gens, id, cur);
				continue;
			}
			t->ops++;
			for (k = 0; k < nmod && live; k++) {
				dwell(rnd(&t->seed) % (100 * USEC));
				uk.param[0] = 10 * USEC +
					      rnd(&t->seed) % (40 * USEC);
				uk.param[1] = 10 * USEC +
					      rnd(&t->seed) % (90 * USEC);
				uk.udata = mk_udata(id, ++gen[id]);
				s3_rec_set(c, id, gen[id],
					   now_ns(CLOCK_MONOTONIC), uk.param[0],
					   uk.param[1]);
				t->ops++;
				if (!kq_ctl1(c->kq, KEVENT_CTL_MODIFY, uk)) {
					gens_retire(&c->gens, id, gen[id] - 1);
					cur = gen[id];
					continue;
				}
				if (!oneshot || errno != ENOENT) {
					thr_err("MODIFY timer %d flags %x: %s", id,
						uk.req_flags, strerror(errno));
				} else {
					s3_gone(c, id, cur, "MODIFY");
				}
				live = 0;
			}
			if (live) {
				dwell(rnd(&t->seed) % (100 * USEC));
				t->ops++;
				if (kq_remove(c->kq, KEVENT_TYPE_TIMER, id)) {
					if (!oneshot || errno != ENOENT) {
						thr_err("REMOVE timer %d flags %x: %s",
							id, uk.req_flags,
							strerror(errno));
					} else {
						s3_gone(c, id, cur, "REMOVE");
					}
				}
			}
			gens_retire(&c->gens, id, gen[id]);
		}
	}
	return NULL;
}

static void s3_account(struct s3 *c, const struct ukevent *ev, __s64 now)
{
	int id = (int)ev->id;
	__u64 gen = udata_gen(ev->udata);
	struct s3_rec *r = &c->rec[id];

	pthread_mutex_lock(&r->lock);
	if (r->gen == gen) {
		__s64 bound = 1;

		/*
		 * The reports summed so far came before the latest time a
		 * waiter read after its wait returned: another waiter's
		 * report may be later than ours and accounted first.
		 */
		if (now < r->last)
			now = r->last;
		r->last = now;
		if (now - r->t0 > r->expiry)
			bound += (now - r->t0 - r->expiry) / r->period;
		r->sum += ev->ret_data;
		if (r->sum > (__u64)bound)
			thr_err("timer %d gen %llu: %llu expirations reported, at most %lld possible (expiry %lld ns, period %lld ns, %lld ns since armed)",
				id, (unsigned long long)gen,
				(unsigned long long)r->sum, (long long)bound,
				(long long)r->expiry, (long long)r->period,
				(long long)(now - r->t0));
	}
	pthread_mutex_unlock(&r->lock);
}

static void *s3_waiter(void *arg)
{
	struct thr *t = arg;
	struct s3 *c = t->ctx;
	__u64 snap[MAXPROD];
	struct ukevent ev[16];
	__s64 now;
	int n, i;

	while (running(0)) {
		gens_snap(&c->gens, snap);
		n = wait_events(c->kq, ev, 16);
		now = now_ns(CLOCK_MONOTONIC);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			__u64 gen = udata_gen(ev[i].udata), old;
			int id = (int)ev[i].id;

			if (is_stop(&ev[i]))
				continue;
			t->ops++;
			if (ev[i].type != KEVENT_TYPE_TIMER || ev[i].id >= S3_IDS ||
			    ev[i].event != KEVENT_TIMER_EXPIRED ||
			    !ev[i].ret_data || udata_prod(ev[i].udata) != id) {
				thr_err("bad timer event: type %u id %llu event %x ret_data %llu udata %llx",
					ev[i].type, (unsigned long long)ev[i].id,
					ev[i].event,
					(unsigned long long)ev[i].ret_data,
					(unsigned long long)ev[i].udata);
				continue;
			}
			if (gens_check(&c->gens, snap, &ev[i], "timer"))
				continue;
			if (ev[i].req_flags & KEVENT_REQ_ONESHOT) {
				old = __atomic_exchange_n(&c->reported[id], gen,
							  __ATOMIC_SEQ_CST);
				if (old >= gen)
					thr_err("oneshot timer %d gen %llu reported again (last %llu)",
						id, (unsigned long long)gen,
						(unsigned long long)old);
			}
			s3_account(c, &ev[i], now);
			/* Dispatched: back on, unless removed meanwhile */
			if ((ev[i].req_flags & KEVENT_REQ_DISPATCH) &&
			    kq_ctl1(c->kq, KEVENT_CTL_ENABLE, ev[i]) &&
			    errno != ENOENT)
				thr_err("ENABLE timer %d: %s", id,
					strerror(errno));
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(stress, timer_remove_modify, stress_timeout())
{
	struct thr ch[S3_CHURNERS], wa[S3_WAITERS];
	unsigned long ops, events;
	struct s3 c = { .gens.n = S3_IDS };
	int i;

	for (i = 0; i < S3_IDS; i++)
		pthread_mutex_init(&c.rec[i].lock, NULL);
	c.kq = kq_new(0);
	ASSERT_LE(0, c.kq);
	ASSERT_EQ(0, stop_add(c.kq));

	stress_go();
	for (i = 0; i < S3_CHURNERS; i++)
		ASSERT_EQ(0, thr_start(&ch[i], s3_churner, &c, i));
	for (i = 0; i < S3_WAITERS; i++)
		ASSERT_EQ(0, thr_start(&wa[i], s3_waiter, &c, i));
	sleep_until_deadline();
	stop_phase(0);
	ops = thr_join(ch, S3_CHURNERS);
	EXPECT_EQ(0, user_post(c.kq, STOP_ID, 1));
	events = thr_join(wa, S3_WAITERS);
	report("timer_remove_modify", ops + events,
	       "%lu add/modify/remove, %lu events, %lu oneshot reported first",
	       ops, events, c.oneshot_enoent);

	expect_no_failures(_metadata);
	EXPECT_EQ(0, kq_remove(c.kq, KEVENT_TYPE_USER, STOP_ID));
	EXPECT_EQ(0, kq_fdinfo_count(c.kq));
	close(c.kq);
}

/*
 * 4. Queue close against a signal storm.
 *
 * Cyclers create a queue, register SIGUSR1 and SIGUSR2, sometimes wait on
 * it, and close it, in a loop; meanwhile threads (kill, tgkill,
 * rt_sigqueueinfo) and a child process (kill) send both signals as fast
 * as they can, and a forker forks children that register in a queue of
 * their own and in the shared witness queue, signal themselves and exit.
 * Exact: every call succeeds; each child counts its own signals exactly;
 * and a witness queue, registered for the whole run, counts exactly the
 * signals that were sent successfully.
 */
#define S4_CYCLERS	2
#define S4_SENDERS	2
#define S4_CHILD_SIGS	64

#define W_USR1		1ULL
#define W_USR2		2ULL
#define W_CHILD		3ULL

struct s4_shared {
	int stop;
	unsigned long sent[2];
};

struct s4 {
	int w;				/* witness queue */
	pid_t pid;
	pid_t tids[S4_CYCLERS + S4_SENDERS + 2];
	int ntids;
	unsigned long sum[2];		/* witness reports */
	unsigned long children;
	int parked;			/* cyclers done cycling */
	int release;			/* senders joined: cyclers may exit */
	struct s4_shared *sh;
};

static void s4_sig(int sig)
{
}

static int s4_add_sig(int kq, int sig, __u64 udata)
{
	struct ukevent uk = {
		.id = sig,
		.type = KEVENT_TYPE_SIGNAL,
		.event = KEVENT_SIGNAL_ARRIVED,
		.udata = udata,
	};

	return kq_ctl1(kq, KEVENT_CTL_ADD, uk);
}

static int s4_check_event(const struct ukevent *ev)
{
	return ev->type == KEVENT_TYPE_SIGNAL &&
	       (ev->id == SIGUSR1 || ev->id == SIGUSR2) &&
	       ev->event == KEVENT_SIGNAL_ARRIVED && ev->ret_data;
}

static void *s4_cycler(void *arg)
{
	struct thr *t = arg;
	struct s4 *c = t->ctx;
	struct ukevent ev[4];
	sigset_t set;
	int q, n, i;

	/* Handle SIGUSR2 here: kevent_wait() sees EINTR. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	__atomic_store_n(&t->tid, kq_gettid(), __ATOMIC_SEQ_CST);
	while (running(0)) {
		unsigned int r = rnd(&t->seed);

		q = kq_new(0);
		if (q < 0) {
			thr_err("kevent_init: %s", strerror(errno));
			break;
		}
		if (s4_add_sig(q, SIGUSR1, 1) || s4_add_sig(q, SIGUSR2, 2))
			thr_err("ADD signal: %s", strerror(errno));
		switch (r % 4) {
		case 1:		/* what arrived so far */
		case 2:		/* the next one, blocking */
			n = kq_wait_ms(q, r % 4 == 2, 4, ev,
				       r % 4 == 2 ? KQ_HANG_MS : 0);
			if (n < 0 && errno != EINTR)
				thr_err("kevent_wait: %s", strerror(errno));
			for (i = 0; i < n; i++)
				if (!s4_check_event(&ev[i]))
					thr_err("bad signal event: type %u id %llu event %x ret_data %llu",
						ev[i].type,
						(unsigned long long)ev[i].id,
						ev[i].event,
						(unsigned long long)ev[i].ret_data);
			break;
		case 3:
			if (kq_remove(q, KEVENT_TYPE_SIGNAL, SIGUSR1))
				thr_err("REMOVE signal: %s", strerror(errno));
			break;
		}
		if (close(q))
			thr_err("close: %s", strerror(errno));
		t->ops++;
	}
	/*
	 * Stay until the senders are done: tgkill() of a thread that is
	 * exiting returns 0 and sends nothing (do_send_specific()), which
	 * the witness could not count.
	 */
	__atomic_fetch_add(&c->parked, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&c->release, __ATOMIC_SEQ_CST))
		sched_yield();
	return NULL;
}

static void *s4_sender(void *arg)
{
	struct thr *t = arg;
	struct s4 *c = t->ctx;
	unsigned long sent[2] = { 0, 0 };

	while (running(1)) {
		unsigned int r = rnd(&t->seed);
		int sig = r & 1 ? SIGUSR2 : SIGUSR1;
		siginfo_t si = { .si_signo = sig, .si_code = SI_QUEUE };
		int ret;

		switch ((r >> 1) % 3) {
		case 0:
			ret = kill(c->pid, sig);
			break;
		case 1:
			ret = syscall(SYS_tgkill, c->pid,
				      c->tids[(r >> 4) % c->ntids], sig);
			break;
		default:
			si.si_pid = c->pid;
			si.si_uid = getuid();
			ret = syscall(SYS_rt_sigqueueinfo, c->pid, sig, &si);
			break;
		}
		if (!ret)
			sent[sig == SIGUSR2]++;
		else
			thr_err("send signal %d: %s", sig, strerror(errno));
		t->ops++;
	}
	__atomic_fetch_add(&c->sh->sent[0], sent[0], __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&c->sh->sent[1], sent[1], __ATOMIC_SEQ_CST);
	return NULL;
}

/* A child: signals of its own, counted exactly in its own queue. */
static int s4_child(int w)
{
	struct ukevent ev[4];
	unsigned long sum = 0;
	int q, i, n;

	q = kq_new(0);
	if (q < 0)
		return 1;
	if (s4_add_sig(q, SIGUSR1, 1) || s4_add_sig(w, SIGUSR1, W_CHILD))
		return 2;
	for (i = 0; i < S4_CHILD_SIGS; i++)
		if (kill(getpid(), SIGUSR1))
			return 3;
	while ((n = kq_wait_ms(q, 0, 4, ev, 0)) > 0)
		for (i = 0; i < n; i++)
			sum += ev[i].ret_data;
	if (n < 0)
		return 4;
	return sum == S4_CHILD_SIGS ? 0 : 5;
	/* exit removes the registrations */
}

static void *s4_forker(void *arg)
{
	struct thr *t = arg;
	struct s4 *c = t->ctx;
	int status;
	pid_t pid;

	while (running(0)) {
		pid = fork();
		if (pid < 0) {
			thr_err("fork: %s", strerror(errno));
			break;
		}
		if (!pid)
			_exit(s4_child(c->w));
		if (waitpid(pid, &status, 0) != pid)
			thr_err("waitpid: %s", strerror(errno));
		else if (status)
			thr_err("child status %x", status);
		t->ops++;
		c->children++;
	}
	return NULL;
}

static void s4_witness_account(struct s4 *c, const struct ukevent *ev)
{
	if (is_stop(ev) || ev->udata == W_CHILD)
		return;
	if (!s4_check_event(ev) ||
	    ev->udata != (ev->id == SIGUSR1 ? W_USR1 : W_USR2)) {
		thr_err("bad witness event: type %u id %llu udata %llx",
			ev->type, (unsigned long long)ev->id,
			(unsigned long long)ev->udata);
		return;
	}
	c->sum[ev->id == SIGUSR2] += ev->ret_data;
}

static void *s4_witness(void *arg)
{
	struct thr *t = arg;
	struct s4 *c = t->ctx;
	struct ukevent ev[8];
	int n, i;

	while (running(2)) {
		n = wait_events(c->w, ev, 8);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			s4_witness_account(c, &ev[i]);
		t->ops += n;
	}
	return NULL;
}

TEST_F_TIMEOUT(stress, queue_close_vs_signals, stress_timeout())
{
	struct thr cy[S4_CYCLERS], se[S4_SENDERS], fo, wi;
	struct sigaction sa = { .sa_handler = s4_sig };
	unsigned long cycles, sends, forks, wevents, sent[2];
	struct ukevent ev[8];
	struct s4 c = { 0 };
	pid_t child;
	sigset_t set;
	int i, n, status;

	c.sh = mmap(NULL, sizeof(*c.sh), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(c.sh != MAP_FAILED);
	c.pid = getpid();
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, sigaction(SIGUSR2, &sa, NULL));
	/* Blocked everywhere but in the cyclers (SIGUSR2): pending, merged */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, &set, NULL));
	c.w = kq_new(0);
	ASSERT_LE(0, c.w);
	ASSERT_EQ(0, stop_add(c.w));
	ASSERT_EQ(0, s4_add_sig(c.w, SIGUSR1, W_USR1));
	ASSERT_EQ(0, s4_add_sig(c.w, SIGUSR2, W_USR2));

	stress_go();
	/* A process sending signals to this one, till told to stop */
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		pid_t ppid = getppid();
		unsigned long k = 0, ok[2] = { 0, 0 };

		while (!__atomic_load_n(&c.sh->stop, __ATOMIC_SEQ_CST)) {
			int sig = ++k & 1 ? SIGUSR1 : SIGUSR2;

			if (!kill(ppid, sig))
				ok[sig == SIGUSR2]++;
			else
				_exit(1);
		}
		__atomic_fetch_add(&c.sh->sent[0], ok[0], __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&c.sh->sent[1], ok[1], __ATOMIC_SEQ_CST);
		_exit(0);
	}
	for (i = 0; i < S4_CYCLERS; i++)
		ASSERT_EQ(0, thr_start(&cy[i], s4_cycler, &c, i));
	ASSERT_EQ(0, thr_start(&wi, s4_witness, &c, 0));
	for (i = 0; i < S4_CYCLERS; i++) {
		while (!__atomic_load_n(&cy[i].tid, __ATOMIC_SEQ_CST))
			sched_yield();
		c.tids[c.ntids++] = cy[i].tid;
	}
	c.tids[c.ntids++] = kq_gettid();
	for (i = 0; i < S4_SENDERS; i++)
		ASSERT_EQ(0, thr_start(&se[i], s4_sender, &c, i));
	ASSERT_EQ(0, thr_start(&fo, s4_forker, &c, 0));
	sleep_until_deadline();
	/* Cyclers first: the signals wake those that wait. */
	stop_phase(0);
	forks = thr_join(&fo, 1);
	while (__atomic_load_n(&c.parked, __ATOMIC_SEQ_CST) < S4_CYCLERS)
		sched_yield();
	stop_phase(1);
	__atomic_store_n(&c.sh->stop, 1, __ATOMIC_SEQ_CST);
	sends = thr_join(se, S4_SENDERS);
	__atomic_store_n(&c.release, 1, __ATOMIC_SEQ_CST);
	cycles = thr_join(cy, S4_CYCLERS);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, status);
	/* Every signal has been sent: the witness reports, then drain it */
	stop_phase(2);
	EXPECT_EQ(0, user_post(c.w, STOP_ID, 1));
	wevents = thr_join(&wi, 1);
	EXPECT_EQ(0, kq_remove(c.w, KEVENT_TYPE_USER, STOP_ID));
	while ((n = kq_wait_ms(c.w, 0, 8, ev, 0)) > 0)
		for (i = 0; i < n; i++)
			s4_witness_account(&c, &ev[i]);
	EXPECT_EQ(0, n);
	sent[0] = c.sh->sent[0];
	sent[1] = c.sh->sent[1];
	report("queue_close_vs_signals", cycles + sent[0] + sent[1] + forks,
	       "%lu queues, %lu SIGUSR1 + %lu SIGUSR2 sent (%lu by threads), %lu children, %lu witness events",
	       cycles, sent[0], sent[1], sends, forks, wevents);

	expect_no_failures(_metadata);
	/* The witness counted every signal sent, no more, no less. */
	EXPECT_EQ(sent[0], c.sum[0]);
	EXPECT_EQ(sent[1], c.sum[1]);
	/* The children's registrations went with them. */
	EXPECT_EQ(2, kq_fdinfo_count(c.w));
	close(c.w);
	munmap(c.sh, sizeof(*c.sh));
}

/*
 * 5. timer_delete() against kevent_wait() for POSIX timers (SIGEV_KEVENT).
 *
 * Churners create a timer delivering into the shared queue, arm it
 * (10-50 us, periodic or not), let it run a little, sometimes disarm it,
 * and delete it; another creates timers on queues of its own and closes
 * the queue before or after deleting the timer.  Waiters report
 * throughout.  Exact: every timer call succeeds; no wait reports a timer
 * deleted before it began; the id reported is the timer's; and the
 * expirations reported for a timer never exceed what its value and
 * interval allow by the time of the report.
 */
#define S5_CHURNERS	2
#define S5_WAITERS	2

#ifdef __NR_timer_settime64
#define NR_timer_settime	__NR_timer_settime64
#define NR_timer_gettime	__NR_timer_gettime64
#else
#define NR_timer_settime	__NR_timer_settime
#define NR_timer_gettime	__NR_timer_gettime
#endif

/* sigev_value is 32 bits for a 32-bit program: producer and sequence */
#define S5_SEQ_MASK	0x0fffffffU

static int ptimer_create(int kq, __u32 value, int *id)
{
	struct kevent_sigevent sev = {
		.sigev_value.sival_ptr = (void *)(uintptr_t)value,
		.sigev_notify = SIGEV_KEVENT,
		.kevent_fd = kq,
	};

	return syscall(__NR_timer_create, CLOCK_MONOTONIC, &sev, id);
}

static int ptimer_set(int id, __s64 value, __s64 interval)
{
	struct __kernel_itimerspec its = {
		.it_value = { value / NSEC, value % NSEC },
		.it_interval = { interval / NSEC, interval % NSEC },
	};

	return syscall(NR_timer_settime, id, 0, &its, NULL);
}

struct s5_rec {
	pthread_mutex_t lock;
	__u32 seq;
	int id;
	__s64 t0, value, interval;
	__u64 sum;
	__s64 last;		/* as in struct s3_rec */
};

struct s5 {
	int kq;
	__u32 retired[S5_CHURNERS];
	struct s5_rec rec[S5_CHURNERS];
};

static void *s5_churner(void *arg)
{
	struct thr *t = arg;
	struct s5 *c = t->ctx;
	struct s5_rec *r = &c->rec[t->idx];
	__u32 seq = 0;
	int id;

	while (running(0)) {
		unsigned int x = rnd(&t->seed);
		__s64 value = 10 * USEC + x % (40 * USEC);
		__s64 interval = x & 1 ? 10 * USEC + (x >> 8) % (90 * USEC) : 0;

		seq = (seq + 1) & S5_SEQ_MASK;
		if (ptimer_create(c->kq, (t->idx + 1) << 28 | seq, &id)) {
			thr_err("timer_create: %s", strerror(errno));
			break;
		}
		pthread_mutex_lock(&r->lock);
		r->seq = seq;
		r->id = id;
		r->t0 = now_ns(CLOCK_MONOTONIC);
		r->value = value;
		r->interval = interval;
		r->sum = 0;
		r->last = 0;
		pthread_mutex_unlock(&r->lock);
		if (ptimer_set(id, value, interval))
			thr_err("timer_settime: %s", strerror(errno));
		dwell((x >> 4) % (200 * USEC));
		if (!(x & 0x10000) && ptimer_set(id, 0, 0))
			thr_err("timer_settime (disarm): %s", strerror(errno));
		if (syscall(__NR_timer_delete, id))
			thr_err("timer_delete(%d): %s", id, strerror(errno));
		__atomic_store_n(&c->retired[t->idx], seq, __ATOMIC_SEQ_CST);
		t->ops++;
	}
	return NULL;
}

/* Timers whose queue is closed before or after they are deleted */
static void *s5_orphaner(void *arg)
{
	struct thr *t = arg;
	struct __kernel_itimerspec cur;
	int q, id;

	while (running(0)) {
		unsigned int x = rnd(&t->seed);

		q = kq_new(0);
		if (q < 0 || ptimer_create(q, 0, &id)) {
			thr_err("kevent_init/timer_create: %s", strerror(errno));
			break;
		}
		if (ptimer_set(id, 10 * USEC, 10 * USEC))
			thr_err("timer_settime: %s", strerror(errno));
		dwell(x % (100 * USEC));
		if (x & 0x100) {
			if (close(q))
				thr_err("close: %s", strerror(errno));
			dwell((x >> 10) % (100 * USEC));
			/* The timer stays, telling nobody */
			if (syscall(NR_timer_gettime, id, &cur))
				thr_err("timer_gettime: %s", strerror(errno));
			if (syscall(__NR_timer_delete, id))
				thr_err("timer_delete: %s", strerror(errno));
		} else {
			if (syscall(__NR_timer_delete, id))
				thr_err("timer_delete: %s", strerror(errno));
			if (kq_fdinfo_count(q) != 0)
				thr_err("registration left after timer_delete");
			if (close(q))
				thr_err("close: %s", strerror(errno));
		}
		t->ops++;
	}
	return NULL;
}

static void *s5_waiter(void *arg)
{
	struct thr *t = arg;
	struct s5 *c = t->ctx;
	__u32 snap[S5_CHURNERS];
	struct ukevent ev[16];
	__s64 now;
	int n, i, p;

	while (running(0)) {
		for (p = 0; p < S5_CHURNERS; p++)
			snap[p] = __atomic_load_n(&c->retired[p],
						  __ATOMIC_SEQ_CST);
		n = wait_events(c->kq, ev, 16);
		now = now_ns(CLOCK_MONOTONIC);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			__u32 seq = ev[i].udata & S5_SEQ_MASK;
			struct s5_rec *r;

			if (is_stop(&ev[i]))
				continue;
			t->ops++;
			p = (int)(ev[i].udata >> 28) - 1;
			if (ev[i].type != KEVENT_TYPE_POSIX_TIMER ||
			    ev[i].event != KEVENT_TIMER_EXPIRED ||
			    !ev[i].ret_data || p < 0 || p >= S5_CHURNERS ||
			    ev[i].udata >> 32) {
				thr_err("bad POSIX timer event: type %u id %llu event %x ret_data %llu udata %llx",
					ev[i].type, (unsigned long long)ev[i].id,
					ev[i].event,
					(unsigned long long)ev[i].ret_data,
					(unsigned long long)ev[i].udata);
				continue;
			}
			if (seq <= snap[p]) {
				thr_err("timer %llu of churner %d (seq %u) reported after timer_delete() returned (seq %u)",
					(unsigned long long)ev[i].id, p, seq,
					snap[p]);
				continue;
			}
			r = &c->rec[p];
			pthread_mutex_lock(&r->lock);
			if (r->seq == seq) {
				__s64 last = now > r->last ? now : r->last;
				__s64 bound = 1;

				r->last = last;
				if (r->interval && last - r->t0 > r->value)
					bound += (last - r->t0 - r->value) /
						 r->interval;
				r->sum += ev[i].ret_data;
				if (ev[i].id != (__u64)r->id)
					thr_err("timer id %llu reported, not %d",
						(unsigned long long)ev[i].id,
						r->id);
				if (r->sum > (__u64)bound)
					thr_err("POSIX timer %d: %llu expirations reported, at most %lld possible (value %lld ns, interval %lld ns, %lld ns since armed)",
						r->id, (unsigned long long)r->sum,
						(long long)bound,
						(long long)r->value,
						(long long)r->interval,
						(long long)(last - r->t0));
			}
			pthread_mutex_unlock(&r->lock);
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(stress, posix_timer_delete_vs_wait, stress_timeout())
{
	struct thr ch[S5_CHURNERS], orph, wa[S5_WAITERS];
	unsigned long timers, orphans, events;
	struct s5 c = { 0 };
	int i;

	for (i = 0; i < S5_CHURNERS; i++)
		pthread_mutex_init(&c.rec[i].lock, NULL);
	c.kq = kq_new(0);
	ASSERT_LE(0, c.kq);
	ASSERT_EQ(0, stop_add(c.kq));

	stress_go();
	for (i = 0; i < S5_CHURNERS; i++)
		ASSERT_EQ(0, thr_start(&ch[i], s5_churner, &c, i));
	ASSERT_EQ(0, thr_start(&orph, s5_orphaner, &c, 0));
	for (i = 0; i < S5_WAITERS; i++)
		ASSERT_EQ(0, thr_start(&wa[i], s5_waiter, &c, i));
	sleep_until_deadline();
	stop_phase(0);
	timers = thr_join(ch, S5_CHURNERS);
	orphans = thr_join(&orph, 1);
	EXPECT_EQ(0, user_post(c.kq, STOP_ID, 1));
	events = thr_join(wa, S5_WAITERS);
	report("posix_timer_delete_vs_wait", timers + orphans + events,
	       "%lu timers, %lu on closed queues, %lu events",
	       timers, orphans, events);

	expect_no_failures(_metadata);
	EXPECT_EQ(0, kq_remove(c.kq, KEVENT_TYPE_USER, STOP_ID));
	EXPECT_EQ(0, kq_fdinfo_count(c.kq));
	close(c.kq);
}

/*
 * 6. Nested-queue teardown against writers.
 *
 * Builders make chains of queues: L watches pipes, M watches L, T watches
 * M (and sometimes L too), wait on T for the writers' data to come up the
 * chain, and close the three in a random order, while writers and a
 * drainer keep the pipes' wait queues busy and pokers report on M.
 * Exact: every call succeeds; the wait on T returns the chain's event
 * (a lost nested wakeup hangs it until KQ_HANG_MS).
 */
#define S6_PIPES	4
#define S6_CHAINS	2
#define S6_WRITERS	2

#define S6_L_TAG	0x1111ULL
#define S6_M_TAG	0x2222ULL
#define S6_PIPE_TAG	0x3333ULL

struct s6 {
	int r[S6_PIPES], w[S6_PIPES];
	pthread_mutex_t lock[S6_CHAINS];
	int m[S6_CHAINS];		/* M of each chain, under lock */
	unsigned long pokes;
};

static int s6_add(int kq, int fd, __u64 udata)
{
	struct ukevent uk = {
		.id = fd,
		.type = KEVENT_TYPE_POLL,
		.event = KEVENT_POLL_IN,
		.udata = udata,
	};

	return kq_ctl1(kq, KEVENT_CTL_ADD, uk);
}

static void *s6_builder(void *arg)
{
	static const int orders[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
		{ 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	struct thr *t = arg;
	struct s6 *c = t->ctx;
	struct ukevent ev[4];
	int q[3], i, n, p;

	while (running(0)) {
		unsigned int x = rnd(&t->seed);
		const int *order = orders[x % 6];

		for (i = 0; i < 3; i++) {
			q[i] = kq_new(0);
			if (q[i] < 0)
				thr_err("kevent_init: %s", strerror(errno));
		}
		for (p = 0; p < S6_PIPES; p++)
			if (s6_add(q[0], c->r[p], S6_PIPE_TAG + p))
				thr_err("ADD pipe to L: %s", strerror(errno));
		if (s6_add(q[1], q[0], S6_L_TAG))
			thr_err("ADD L to M: %s", strerror(errno));
		if (s6_add(q[2], q[1], S6_M_TAG))
			thr_err("ADD M to T: %s", strerror(errno));
		if (x & 0x100 && s6_add(q[2], q[0], S6_L_TAG))
			thr_err("ADD L to T: %s", strerror(errno));
		pthread_mutex_lock(&c->lock[t->idx]);
		c->m[t->idx] = q[1];
		pthread_mutex_unlock(&c->lock[t->idx]);

		n = kq_wait_ms(q[2], 1, 4, ev, KQ_HANG_MS);
		if (n <= 0)
			thr_err("wait on T: %d (%s)", n,
				n ? strerror(errno) : "no event for KQ_HANG_MS");
		for (i = 0; i < n; i++)
			if (ev[i].type != KEVENT_TYPE_POLL ||
			    ev[i].event != KEVENT_POLL_IN ||
			    !(ev[i].udata == S6_M_TAG ||
			      (ev[i].udata == S6_L_TAG && x & 0x100)))
				thr_err("T reported type %u id %llu event %x udata %llx",
					ev[i].type, (unsigned long long)ev[i].id,
					ev[i].event,
					(unsigned long long)ev[i].udata);

		pthread_mutex_lock(&c->lock[t->idx]);
		c->m[t->idx] = -1;
		pthread_mutex_unlock(&c->lock[t->idx]);
		if (x & 0x200)
			dwell((x >> 12) % (100 * USEC));
		for (i = 0; i < 3; i++)
			if (close(q[order[i]]))
				thr_err("close: %s", strerror(errno));
		t->ops++;
	}
	return NULL;
}

static void *s6_poker(void *arg)
{
	struct thr *t = arg;
	struct s6 *c = t->ctx;
	struct ukevent ev[4];
	int n, i;

	while (running(0)) {
		pthread_mutex_lock(&c->lock[t->idx]);
		n = 0;
		if (c->m[t->idx] >= 0) {
			n = kq_wait_ms(c->m[t->idx], 0, 4, ev, 0);
			if (n < 0)
				thr_err("wait on M: %s", strerror(errno));
		}
		pthread_mutex_unlock(&c->lock[t->idx]);
		for (i = 0; i < n; i++)
			if (ev[i].udata != S6_L_TAG ||
			    ev[i].event != KEVENT_POLL_IN)
				thr_err("M reported udata %llx event %x",
					(unsigned long long)ev[i].udata,
					ev[i].event);
		t->ops++;
		sched_yield();
	}
	return NULL;
}

static void *s6_writer(void *arg)
{
	struct thr *t = arg;
	struct s6 *c = t->ctx;

	while (running(1)) {
		int p = rnd(&t->seed) % S6_PIPES;

		if (write(c->w[p], "x", 1) != 1 && errno != EAGAIN)
			thr_err("write: %s", strerror(errno));
		t->ops++;
	}
	return NULL;
}

static void *s6_drainer(void *arg)
{
	struct thr *t = arg;
	struct s6 *c = t->ctx;
	char buf[256];
	int p;

	while (running(1)) {
		for (p = 0; p < S6_PIPES; p++)
			while (read(c->r[p], buf, sizeof(buf)) > 0)
				;
		t->ops++;
	}
	return NULL;
}

TEST_F_TIMEOUT(stress, nested_teardown_vs_writers, stress_timeout())
{
	struct thr bu[S6_CHAINS], po[S6_CHAINS], wr[S6_WRITERS], dr;
	unsigned long builds, pokes, writes;
	struct s6 c = { 0 };
	int i, p[2];

	for (i = 0; i < S6_PIPES; i++) {
		ASSERT_EQ(0, pipe2(p, O_NONBLOCK | O_CLOEXEC));
		c.r[i] = p[0];
		c.w[i] = p[1];
	}
	for (i = 0; i < S6_CHAINS; i++) {
		pthread_mutex_init(&c.lock[i], NULL);
		c.m[i] = -1;
	}

	stress_go();
	for (i = 0; i < S6_WRITERS; i++)
		ASSERT_EQ(0, thr_start(&wr[i], s6_writer, &c, i));
	ASSERT_EQ(0, thr_start(&dr, s6_drainer, &c, 0));
	for (i = 0; i < S6_CHAINS; i++) {
		ASSERT_EQ(0, thr_start(&bu[i], s6_builder, &c, i));
		ASSERT_EQ(0, thr_start(&po[i], s6_poker, &c, i));
	}
	sleep_until_deadline();
	/* Builders wait for data: the writers go on until they are done. */
	stop_phase(0);
	builds = thr_join(bu, S6_CHAINS);
	pokes = thr_join(po, S6_CHAINS);
	stop_phase(1);
	writes = thr_join(wr, S6_WRITERS);
	thr_join(&dr, 1);
	report("nested_teardown_vs_writers", builds * 3 + pokes + writes,
	       "%lu chains of 3 queues built and torn down, %lu pokes, %lu writes",
	       builds, pokes, writes);

	expect_no_failures(_metadata);
	for (i = 0; i < S6_PIPES; i++) {
		close(c.r[i]);
		close(c.w[i]);
	}
}

/*
 * 7. Futex REMOVE against FUTEX_WAKE storms.
 *
 * Registrars add oneshot KEVENT_TYPE_FUTEX registrations on words they
 * own (EAGAIN when a waker changed the word: counted) and remove them;
 * wakers change words and FUTEX_WAKE them; waiters report.  Exact: ADD
 * fails only with EAGAIN; REMOVE fails only with ENOENT, when a waiter
 * received the wakeup, and then it did; each registration ends exactly
 * once, reported or removed; the wakes counted by FUTEX_WAKE lie between
 * the reports and the registrations.
 */
#define S7_WORDS	16
#define S7_REGISTRARS	2
#define S7_WAKERS	2
#define S7_WAITERS	2

struct s7 {
	int kq;
	__u32 word[S7_WORDS];
	__u64 reported[S7_WORDS];	/* last generation reported */
	__u64 removed[S7_WORDS];	/* last generation REMOVEd */
	unsigned long added, eagain, removed_ok, reported_n, woken;
};

static void *s7_registrar(void *arg)
{
	struct thr *t = arg;
	struct s7 *c = t->ctx;
	__u64 gen[S7_WORDS] = { 0 };
	int live[S7_WORDS] = { 0 };
	unsigned long added = 0, eagain = 0, removed = 0;
	int w, last = 0;

	while (!last) {
		last = !running(0);
		for (w = t->idx; w < S7_WORDS; w += S7_REGISTRARS) {
			struct ukevent uk = {
				.id = (uintptr_t)&c->word[w],
				.type = KEVENT_TYPE_FUTEX,
				.event = KEVENT_FUTEX_PRIVATE,
				.req_flags = KEVENT_REQ_ONESHOT,
			};

			if (live[w]) {
				/* Leave most for the wakers a while */
				if (!last && rnd(&t->seed) & 3)
					continue;
				t->ops++;
				live[w] = 0;
				if (!kq_remove(c->kq, KEVENT_TYPE_FUTEX, uk.id)) {
					removed++;
					__atomic_store_n(&c->removed[w], gen[w],
							 __ATOMIC_SEQ_CST);
					if (__atomic_load_n(&c->reported[w],
							    __ATOMIC_SEQ_CST) == gen[w])
						thr_err("futex %d gen %llu both removed and reported",
							w, (unsigned long long)gen[w]);
				} else if (errno != ENOENT) {
					thr_err("REMOVE futex: %s", strerror(errno));
				} else if (await_u64(&c->reported[w], gen[w])) {
					thr_err("futex %d gen %llu gone (REMOVE: ENOENT) but never reported",
						w, (unsigned long long)gen[w]);
				}
				continue;
			}
			if (last)
				continue;
			uk.param[0] = __atomic_load_n(&c->word[w],
						      __ATOMIC_SEQ_CST);
			uk.udata = mk_udata(w, ++gen[w]);
			t->ops++;
			if (!kq_ctl1(c->kq, KEVENT_CTL_ADD, uk)) {
				live[w] = 1;
				added++;
			} else if (errno == EAGAIN) {
				eagain++;
			} else {
				thr_err("ADD futex: %s", strerror(errno));
			}
		}
	}
	__atomic_fetch_add(&c->added, added, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&c->eagain, eagain, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&c->removed_ok, removed, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *s7_waker(void *arg)
{
	struct thr *t = arg;
	struct s7 *c = t->ctx;
	unsigned long woken = 0;

	while (running(0)) {
		unsigned int x = rnd(&t->seed);
		int w = x % S7_WORDS;
		long n;

		if (!(x & 0x700))
			__atomic_fetch_add(&c->word[w], 1, __ATOMIC_SEQ_CST);
		n = syscall(SYS_futex, &c->word[w], FUTEX_WAKE_PRIVATE, INT_MAX,
			    NULL, NULL, 0);
		if (n < 0)
			thr_err("FUTEX_WAKE: %s", strerror(errno));
		else
			woken += n;
		t->ops++;
	}
	__atomic_fetch_add(&c->woken, woken, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *s7_waiter(void *arg)
{
	struct thr *t = arg;
	struct s7 *c = t->ctx;
	struct ukevent ev[16];
	unsigned long reported = 0;
	int n, i;

	while (running(1)) {
		n = wait_events(c->kq, ev, 16);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			unsigned int w = udata_prod(ev[i].udata);
			__u64 gen = udata_gen(ev[i].udata);

			if (is_stop(&ev[i]))
				continue;
			t->ops++;
			if (ev[i].type != KEVENT_TYPE_FUTEX || w >= S7_WORDS ||
			    ev[i].id != (uintptr_t)&c->word[w] ||
			    ev[i].event != KEVENT_FUTEX_WOKEN ||
			    ev[i].ret_data != 1) {
				thr_err("bad futex event: type %u id %llx event %x ret_data %llu udata %llx",
					ev[i].type, (unsigned long long)ev[i].id,
					ev[i].event,
					(unsigned long long)ev[i].ret_data,
					(unsigned long long)ev[i].udata);
				continue;
			}
			reported++;
			gen_reported("futex", w, gen, &c->reported[w],
				     &c->removed[w]);
		}
	}
	__atomic_fetch_add(&c->reported_n, reported, __ATOMIC_SEQ_CST);
	return NULL;
}

TEST_F_TIMEOUT(stress, futex_remove_vs_wake, stress_timeout())
{
	struct thr re[S7_REGISTRARS], wk[S7_WAKERS], wa[S7_WAITERS];
	unsigned long regs, wakes, events;
	struct s7 *c;
	int i;

	c = calloc(1, sizeof(*c));
	ASSERT_TRUE(!!c);
	c->kq = kq_new(0);
	ASSERT_LE(0, c->kq);
	ASSERT_EQ(0, stop_add(c->kq));

	stress_go();
	for (i = 0; i < S7_WAITERS; i++)
		ASSERT_EQ(0, thr_start(&wa[i], s7_waiter, c, i));
	for (i = 0; i < S7_REGISTRARS; i++)
		ASSERT_EQ(0, thr_start(&re[i], s7_registrar, c, i));
	for (i = 0; i < S7_WAKERS; i++)
		ASSERT_EQ(0, thr_start(&wk[i], s7_waker, c, i));
	sleep_until_deadline();
	/* Registrars remove what is left while the waiters still report. */
	stop_phase(0);
	regs = thr_join(re, S7_REGISTRARS);
	wakes = thr_join(wk, S7_WAKERS);
	stop_phase(1);
	EXPECT_EQ(0, user_post(c->kq, STOP_ID, 1));
	events = thr_join(wa, S7_WAITERS);
	report("futex_remove_vs_wake", regs + wakes + events,
	       "%lu added, %lu EAGAIN, %lu removed, %lu reported, %lu woken by %lu FUTEX_WAKE",
	       c->added, c->eagain, c->removed_ok, c->reported_n, c->woken,
	       wakes);

	expect_no_failures(_metadata);
	/* Each registration ended once: reported or removed. */
	EXPECT_EQ(c->added, c->reported_n + c->removed_ok);
	/* Nothing but our registrations waits on these words. */
	EXPECT_LE(c->reported_n, c->woken);
	EXPECT_GE(c->added, c->woken);
	EXPECT_EQ(0, kq_remove(c->kq, KEVENT_TYPE_USER, STOP_ID));
	EXPECT_EQ(0, kq_fdinfo_count(c->kq));
	close(c->kq);
	free(c);
}

/*
 * 8. User events from many threads, counted exactly.
 *
 * Posters post to ids that are never removed (edge-triggered, or
 * dispatched and re-enabled by whoever reports them), one at a time or in
 * batches; a modifier MODIFYs them (same flags: no reset), DISABLEs and
 * ENABLEs them; churners ADD, POST, MODIFY and REMOVE ids of their own,
 * some through kevent_wait()'s change list; waiters report.  Exact: every
 * call succeeds (ENOENT only for a oneshot id already reported); and once
 * every thread stopped and the queue was drained, the posts counted in
 * the reports (ret_data) of the posted ids equal the successful posts.
 */
#define S8_POSTED	32
#define S8_CHURN_IDS	8		/* per churner */
#define S8_POSTERS	2
#define S8_CHURNERS	2
#define S8_WAITERS	2

#define S8_POSTED_TAG	((__u64)1 << 40)
#define S8_CHURN_TAG	((__u64)2 << 40)

struct s8 {
	int kq;
	unsigned long posts;		/* successful posts to posted ids */
	unsigned long sum;		/* ret_data of their reports */
	unsigned long churn_events;
	pthread_mutex_t lock;
};

static __u32 s8_flags(int id)
{
	return id & 1 ? KEVENT_REQ_DISPATCH : KEVENT_REQ_ET;
}

/* Count what a report says; re-enable a dispatched posted id. */
static void s8_account(struct s8 *c, const struct ukevent *ev, int n)
{
	unsigned long sum = 0, churn = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (is_stop(&ev[i]))
			continue;
		if (ev[i].ret_flags & KEVENT_RET_ERROR) {
			thr_err("change cmd %u id %llu failed: %s", ev[i].cmd,
				(unsigned long long)ev[i].id,
				strerror((int)ev[i].ret_data));
			continue;
		}
		if (ev[i].type != KEVENT_TYPE_USER || !ev[i].ret_data ||
		    !ev[i].event || ev[i].event & ~0xffU) {
			thr_err("bad user event: type %u id %llu event %x ret_data %llu",
				ev[i].type, (unsigned long long)ev[i].id,
				ev[i].event, (unsigned long long)ev[i].ret_data);
			continue;
		}
		if (ev[i].udata == (S8_POSTED_TAG | ev[i].id) &&
		    ev[i].id < S8_POSTED) {
			sum += ev[i].ret_data;
			if (ev[i].req_flags != s8_flags(ev[i].id))
				thr_err("posted id %llu flags %x",
					(unsigned long long)ev[i].id,
					ev[i].req_flags);
			if ((ev[i].req_flags & KEVENT_REQ_DISPATCH) &&
			    kq_ctl1(c->kq, KEVENT_CTL_ENABLE, ev[i]))
				thr_err("ENABLE of posted id %llu: %s",
					(unsigned long long)ev[i].id,
					strerror(errno));
		} else if ((ev[i].udata & ~0xffffULL) == S8_CHURN_TAG) {
			churn++;
		} else {
			thr_err("unknown user event id %llu udata %llx",
				(unsigned long long)ev[i].id,
				(unsigned long long)ev[i].udata);
		}
	}
	__atomic_fetch_add(&c->sum, sum, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&c->churn_events, churn, __ATOMIC_SEQ_CST);
}

static void *s8_poster(void *arg)
{
	struct thr *t = arg;
	struct s8 *c = t->ctx;
	unsigned long posts = 0;
	struct ukevent uk[4];
	int i, n;

	while (running(0)) {
		unsigned int x = rnd(&t->seed);

		n = x & 0x10000 ? 4 : 1;
		for (i = 0; i < n; i++) {
			uk[i] = kev_user((x >> (i * 4)) % S8_POSTED, 0, 0);
			uk[i].event = 1U << ((x >> (16 + i * 3)) & 7);
		}
		if (kq_ctl(c->kq, KEVENT_CTL_POST, n, uk) != n)
			thr_err("POST of %d: %s", n, strerror(errno));
		else
			posts += n;
		t->ops += n;
	}
	__atomic_fetch_add(&c->posts, posts, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *s8_modifier(void *arg)
{
	struct thr *t = arg;
	struct s8 *c = t->ctx;

	while (running(0)) {
		int id = rnd(&t->seed) % S8_POSTED;
		struct ukevent uk = kev_user(id, s8_flags(id),
					     S8_POSTED_TAG | id);

		if (rnd(&t->seed) & 1) {
			if (kq_ctl1(c->kq, KEVENT_CTL_MODIFY, uk))
				thr_err("MODIFY posted id %d: %s", id,
					strerror(errno));
		} else {
			if (kq_ctl1(c->kq, KEVENT_CTL_DISABLE, uk) ||
			    kq_ctl1(c->kq, KEVENT_CTL_ENABLE, uk))
				thr_err("DISABLE/ENABLE posted id %d: %s", id,
					strerror(errno));
		}
		t->ops++;
	}
	return NULL;
}

/* One change through kevent_wait(), which may report events too. */
static int s8_wait_change(struct s8 *c, struct ukevent *change)
{
	struct kevent_wait_args args = {
		.flags = KEVENT_WAIT_TIMEOUT,
		.clockid = CLOCK_MONOTONIC,
		.nr_changes = 1,
		.changes = (uintptr_t)change,
		.ukevent_size = sizeof(*change),
	};
	struct ukevent ev[4];
	int n, i, err = 0;

	n = sys_kevent_wait(c->kq, 0, 4, ev, &args, sizeof(args));
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (ev[i].ret_flags & KEVENT_RET_ERROR &&
		    ev[i].type == change->type && ev[i].id == change->id &&
		    ev[i].cmd == change->cmd) {
			err = (int)ev[i].ret_data;
			ev[i] = ev[--n];
			i--;
		}
	}
	s8_account(c, ev, n);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

static void *s8_churner(void *arg)
{
	static const __u32 flags[] = {
		0, KEVENT_REQ_ET, KEVENT_REQ_ONESHOT, KEVENT_REQ_DISPATCH,
	};
	struct thr *t = arg;
	struct s8 *c = t->ctx;
	int k;

	while (running(0)) {
		unsigned int x = rnd(&t->seed);
		int id = S8_POSTED + t->idx * S8_CHURN_IDS + x % S8_CHURN_IDS;
		__u32 f = flags[(x >> 4) % 4];
		struct ukevent uk = kev_user(id, f, S8_CHURN_TAG | id);
		int oneshot = f & KEVENT_REQ_ONESHOT, gone = 0;

		uk.cmd = KEVENT_CTL_ADD;
		if (x & 0x100 ? s8_wait_change(c, &uk) :
				kq_ctl1(c->kq, KEVENT_CTL_ADD, uk)) {
			thr_err("ADD churn id %d: %s", id, strerror(errno));
			continue;
		}
		t->ops++;
		for (k = 0; k < (int)((x >> 9) % 4) && !gone; k++) {
			struct ukevent p = kev_user(id, 0, 0);

			p.event = 0x80;
			t->ops++;
			if (kq_ctl1(c->kq, KEVENT_CTL_POST, p)) {
				if (!oneshot || errno != ENOENT)
					thr_err("POST churn id %d flags %x: %s",
						id, f, strerror(errno));
				gone = 1;
			}
		}
		if (!gone && x & 0x800) {
			t->ops++;
			if (kq_ctl1(c->kq, KEVENT_CTL_MODIFY, uk)) {
				if (!oneshot || errno != ENOENT)
					thr_err("MODIFY churn id %d flags %x: %s",
						id, f, strerror(errno));
				gone = 1;
			}
		}
		if (!gone) {
			uk.cmd = KEVENT_CTL_REMOVE;
			t->ops++;
			if (x & 0x1000 ? s8_wait_change(c, &uk) :
					 kq_remove(c->kq, KEVENT_TYPE_USER, id)) {
				if (!oneshot || errno != ENOENT)
					thr_err("REMOVE churn id %d flags %x: %s",
						id, f, strerror(errno));
			}
		}
	}
	return NULL;
}

static void *s8_waiter(void *arg)
{
	struct thr *t = arg;
	struct s8 *c = t->ctx;
	struct ukevent ev[16];
	int n;

	while (running(1)) {
		n = wait_events(c->kq, ev, 16);
		if (n <= 0)
			break;
		s8_account(c, ev, n);
		t->ops += n;
	}
	return NULL;
}

TEST_F_TIMEOUT(stress, user_events_exact, stress_timeout())
{
	struct thr po[S8_POSTERS], ch[S8_CHURNERS], mo, wa[S8_WAITERS];
	unsigned long posts, churns, mods, events;
	struct ukevent ev[64];
	struct s8 c = { 0 };
	int i, n;

	c.kq = kq_new(0);
	ASSERT_LE(0, c.kq);
	ASSERT_EQ(0, stop_add(c.kq));
	for (i = 0; i < S8_POSTED; i++)
		ASSERT_EQ(0, user_add(c.kq, i, s8_flags(i),
				      S8_POSTED_TAG | i));

	stress_go();
	for (i = 0; i < S8_WAITERS; i++)
		ASSERT_EQ(0, thr_start(&wa[i], s8_waiter, &c, i));
	for (i = 0; i < S8_POSTERS; i++)
		ASSERT_EQ(0, thr_start(&po[i], s8_poster, &c, i));
	for (i = 0; i < S8_CHURNERS; i++)
		ASSERT_EQ(0, thr_start(&ch[i], s8_churner, &c, i));
	ASSERT_EQ(0, thr_start(&mo, s8_modifier, &c, 0));
	sleep_until_deadline();
	stop_phase(0);
	posts = thr_join(po, S8_POSTERS);
	churns = thr_join(ch, S8_CHURNERS);
	mods = thr_join(&mo, 1);
	stop_phase(1);
	EXPECT_EQ(0, user_post(c.kq, STOP_ID, 1));
	events = thr_join(wa, S8_WAITERS);
	/* What nobody reported yet */
	EXPECT_EQ(0, kq_remove(c.kq, KEVENT_TYPE_USER, STOP_ID));
	while ((n = kq_wait_ms(c.kq, 0, 64, ev, 0)) > 0)
		s8_account(&c, ev, n);
	EXPECT_EQ(0, n);
	report("user_events_exact", posts + churns + mods + events,
	       "%lu posts, %lu churn ops, %lu modify/disable/enable, %lu events",
	       posts, churns, mods, events);

	expect_no_failures(_metadata);
	/* Every post was reported, once. */
	EXPECT_EQ(c.posts, c.sum);
	EXPECT_EQ(S8_POSTED, kq_fdinfo_count(c.kq));
	close(c.kq);
}

/*
 * 9. kevent_wait() with min_nr > 1 from several threads, on level-
 * triggered sources (user events, pipes and sockets with data, always
 * ready), while a toggler resets and re-posts user events, MODIFYs and
 * DISABLEs/ENABLEs the fd registrations.  Exact: no call reports one
 * registration twice; every call gets at least min_nr events (the sum of
 * the waiters' min_nr is below the number of registrations, so all can
 * be served: a call that starves reaches KQ_HANG_MS).
 */
#define S9_EACH		8
#define S9_N		(3 * S9_EACH)
#define S9_WAITERS	4
#define S9_MAX_MIN	5	/* S9_WAITERS * S9_MAX_MIN < S9_N */

struct s9 {
	int kq;
	int fd[S9_N];		/* registered fds, -1 for user events */
	int peer[S9_N];
	unsigned long dups;
};

static struct ukevent s9_uk(struct s9 *c, int i)
{
	struct ukevent uk = { .udata = i };

	if (i < S9_EACH) {
		uk.type = KEVENT_TYPE_USER;
		uk.id = i + 1;
	} else if (i < 2 * S9_EACH) {
		uk.type = KEVENT_TYPE_POLL;
		uk.id = c->fd[i];
		uk.event = KEVENT_POLL_IN;
	} else {
		uk.type = KEVENT_TYPE_SOCKET;
		uk.id = c->fd[i];
		uk.event = KEVENT_SOCKET_RECV;
	}
	return uk;
}

static void *s9_waiter(void *arg)
{
	struct thr *t = arg;
	struct s9 *c = t->ctx;
	struct ukevent ev[2 * S9_N];

	while (running(0)) {
		unsigned int x = rnd(&t->seed);
		unsigned int min = 2 + x % (S9_MAX_MIN - 1);
		unsigned int max = min + (x >> 8) % (2 * S9_N - min);
		__u32 seen = 0;
		int n, i;

		n = kq_wait_ms(c->kq, min, max, ev, KQ_HANG_MS);
		if (n < (int)min || n > (int)max) {
			thr_err("kevent_wait(min %u, max %u): %d (%s)", min, max,
				n, n < 0 ? strerror(errno) : "short");
			if (n < 0)
				break;
		}
		for (i = 0; i < n; i++) {
			unsigned int u = ev[i].udata;

			if (u >= S9_N) {
				thr_err("unknown udata %llx",
					(unsigned long long)ev[i].udata);
				continue;
			}
			if (seen & 1U << u) {
				__atomic_fetch_add(&c->dups, 1, __ATOMIC_SEQ_CST);
				thr_err("one kevent_wait(min %u, max %u) of %d events reported registration %u (type %u id %llu) twice",
					min, max, n, u, ev[i].type,
					(unsigned long long)ev[i].id);
			}
			seen |= 1U << u;
		}
		t->ops++;
	}
	return NULL;
}

static void *s9_toggler(void *arg)
{
	struct thr *t = arg;
	struct s9 *c = t->ctx;

	while (running(0)) {
		int i = rnd(&t->seed) % S9_N;
		struct ukevent uk = s9_uk(c, i);

		if (uk.type == KEVENT_TYPE_USER) {
			/* MODIFY resets a level-triggered user event */
			if (kq_ctl1(c->kq, KEVENT_CTL_MODIFY, uk) ||
			    user_post(c->kq, uk.id, 1))
				thr_err("MODIFY/POST user %llu: %s",
					(unsigned long long)uk.id, strerror(errno));
		} else if (rnd(&t->seed) & 1) {
			if (kq_ctl1(c->kq, KEVENT_CTL_MODIFY, uk))
				thr_err("MODIFY fd %llu: %s",
					(unsigned long long)uk.id, strerror(errno));
		} else {
			if (kq_ctl1(c->kq, KEVENT_CTL_DISABLE, uk) ||
			    kq_ctl1(c->kq, KEVENT_CTL_ENABLE, uk))
				thr_err("DISABLE/ENABLE fd %llu: %s",
					(unsigned long long)uk.id, strerror(errno));
		}
		t->ops++;
	}
	return NULL;
}

TEST_F_TIMEOUT(stress, min_nr_no_duplicates, stress_timeout())
{
	struct thr wa[S9_WAITERS], to;
	unsigned long calls, toggles;
	struct s9 c = { 0 };
	int i, p[2];

	c.kq = kq_new(0);
	ASSERT_LE(0, c.kq);
	for (i = 0; i < S9_N; i++) {
		struct ukevent uk;

		c.fd[i] = -1;
		c.peer[i] = -1;
		if (i >= 2 * S9_EACH) {
			ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM |
						SOCK_CLOEXEC, 0, p));
		} else if (i >= S9_EACH) {
			ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
		}
		if (i >= S9_EACH) {
			c.fd[i] = p[0];
			c.peer[i] = p[1];
			ASSERT_EQ(1, write(p[1], "x", 1));
		}
		uk = s9_uk(&c, i);
		ASSERT_EQ(0, kq_ctl1(c.kq, KEVENT_CTL_ADD, uk));
		if (uk.type == KEVENT_TYPE_USER)
			ASSERT_EQ(0, user_post(c.kq, uk.id, 1));
	}

	stress_go();
	for (i = 0; i < S9_WAITERS; i++)
		ASSERT_EQ(0, thr_start(&wa[i], s9_waiter, &c, i));
	ASSERT_EQ(0, thr_start(&to, s9_toggler, &c, 0));
	sleep_until_deadline();
	stop_phase(0);
	toggles = thr_join(&to, 1);
	calls = thr_join(wa, S9_WAITERS);
	report("min_nr_no_duplicates", calls + toggles,
	       "%lu kevent_wait calls, %lu toggles, %lu duplicate reports",
	       calls, toggles, c.dups);

	expect_no_failures(_metadata);
	EXPECT_EQ(0, c.dups);
	EXPECT_EQ(S9_N, kq_fdinfo_count(c.kq));
	for (i = S9_EACH; i < S9_N; i++) {
		close(c.fd[i]);
		close(c.peer[i]);
	}
	close(c.kq);
}

/*
 * 10. Process exit against REMOVE and close() of the pidfd.
 *
 * Spawners fork children that exit at once, or after a short dwell, with
 * a status of their generation's; each opens a pidfd and ADDs it
 * (oneshot, udata: spawner and generation) while its child exits, then
 * keeps the registration until a waiter reports it, REMOVEs it or closes
 * the pidfd, racing the exit notification and the waiters, and reaps the
 * child.  Exact: every call succeeds (REMOVE: ENOENT only when a waiter
 * reported it, which must then happen), every report carries the child's
 * status, a REMOVEd registration is never reported, none twice, none after
 * its pidfd was closed.
 */
#define S10_SPAWNERS	2
#define S10_WAITERS	2

struct s10 {
	int kq;
	struct gens gens;
	__u64 reported[S10_SPAWNERS];	/* the last generation reported */
	__u64 removed[S10_SPAWNERS];	/* the last one REMOVE took */
	unsigned long kept, removed_ok, enoent, closed, reported_n;
};

static void s10_await(struct s10 *c, unsigned int p, __u64 gen)
{
	if (await_u64(&c->reported[p], gen))
		thr_err("spawner %u gen %llu: exit never reported",
			p, (unsigned long long)gen);
}

static void *s10_spawner(void *arg)
{
	struct thr *t = arg;
	struct s10 *c = t->ctx;
	unsigned long kept = 0, removed = 0, enoent = 0, closed = 0;
	unsigned int p = t->idx;
	__u64 gen = 0;

	while (running(0)) {
		unsigned int x = rnd(&t->seed);
		struct ukevent uk = {
			.type = KEVENT_TYPE_PROC,
			.event = KEVENT_PROC_EXIT,
			.req_flags = KEVENT_REQ_ONESHOT,
		};
		int pidfd, st, ret;
		pid_t pid;

		gen++;
		pid = fork();
		if (pid < 0) {
			thr_err("fork: %s", strerror(errno));
			break;
		}
		if (!pid) {
			if (x & 1)
				dwell(x & 0x3ff00);
			_exit(gen & 0x7f);
		}
		pidfd = syscall(__NR_pidfd_open, pid, 0);
		if (pidfd < 0) {
			thr_err("pidfd_open: %s", strerror(errno));
			waitpid(pid, NULL, 0);
			break;
		}
		uk.id = pidfd;
		uk.udata = mk_udata(p, gen);
		if (kq_ctl1(c->kq, KEVENT_CTL_ADD, uk)) {
			thr_err("ADD pidfd %d: %s", pidfd, strerror(errno));
			close(pidfd);
			waitpid(pid, NULL, 0);
			break;
		}
		switch (x >> 20 & 3) {
		case 0:
			ret = kq_remove(c->kq, KEVENT_TYPE_PROC, pidfd);
			if (!ret) {
				__atomic_store_n(&c->removed[p], gen,
						 __ATOMIC_SEQ_CST);
				gens_retire(&c->gens, p, gen);
				removed++;
				break;
			}
			if (errno != ENOENT) {
				thr_err("REMOVE pidfd %d: %s", pidfd,
					strerror(errno));
				break;
			}
			/* A waiter took it: it must be reported. */
			enoent++;
			s10_await(c, p, gen);
			break;
		case 1:
			s10_await(c, p, gen);
			kept++;
			break;
		default:
			if (x & 2)
				dwell(x & 0xff00);
			closed++;
			break;
		}
		close(pidfd);
		gens_retire(&c->gens, p, gen);
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != (gen & 0x7f))
			thr_err("child %d: status %x, want exit %llu", pid, st,
				(unsigned long long)(gen & 0x7f));
		t->ops++;
	}
	__atomic_fetch_add(&c->kept, kept, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&c->removed_ok, removed, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&c->enoent, enoent, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&c->closed, closed, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *s10_waiter(void *arg)
{
	struct thr *t = arg;
	struct s10 *c = t->ctx;
	unsigned long reported = 0;
	__u64 snap[S10_SPAWNERS];
	struct ukevent ev[16];
	int n, i;

	while (running(1)) {
		gens_snap(&c->gens, snap);
		n = wait_events(c->kq, ev, 16);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			unsigned int p = udata_prod(ev[i].udata);
			__u64 gen = udata_gen(ev[i].udata);
			int status = (int)ev[i].ret_data;

			if (is_stop(&ev[i]))
				continue;
			t->ops++;
			if (gens_check(&c->gens, snap, &ev[i], "pidfd"))
				continue;
			if (ev[i].type != KEVENT_TYPE_PROC ||
			    ev[i].event != (KEVENT_PROC_EXIT | KEVENT_PROC_STATUS) ||
			    !WIFEXITED(status) ||
			    WEXITSTATUS(status) != (gen & 0x7f)) {
				thr_err("bad exit event: type %u event %x ret_data %llx for gen %llu",
					ev[i].type, ev[i].event,
					(unsigned long long)ev[i].ret_data,
					(unsigned long long)gen);
				continue;
			}
			reported++;
			gen_reported("spawner", p, gen, &c->reported[p],
				     &c->removed[p]);
		}
	}
	__atomic_fetch_add(&c->reported_n, reported, __ATOMIC_SEQ_CST);
	return NULL;
}

TEST_F_TIMEOUT(stress, proc_exit_vs_remove_close, stress_timeout())
{
	struct thr sp[S10_SPAWNERS], wa[S10_WAITERS];
	unsigned long children, events;
	struct s10 *c;
	int i;

	c = calloc(1, sizeof(*c));
	ASSERT_TRUE(!!c);
	c->gens.n = S10_SPAWNERS;
	c->kq = kq_new(0);
	ASSERT_LE(0, c->kq);
	ASSERT_EQ(0, stop_add(c->kq));

	stress_go();
	for (i = 0; i < S10_WAITERS; i++)
		ASSERT_EQ(0, thr_start(&wa[i], s10_waiter, c, i));
	for (i = 0; i < S10_SPAWNERS; i++)
		ASSERT_EQ(0, thr_start(&sp[i], s10_spawner, c, i));
	sleep_until_deadline();
	stop_phase(0);
	children = thr_join(sp, S10_SPAWNERS);
	stop_phase(1);
	EXPECT_EQ(0, user_post(c->kq, STOP_ID, 1));
	events = thr_join(wa, S10_WAITERS);
	report("proc_exit_vs_remove_close", children + events,
	       "%lu children: %lu kept, %lu removed, %lu ENOENT, %lu closed; %lu reported",
	       children, c->kept, c->removed_ok, c->enoent, c->closed,
	       c->reported_n);

	expect_no_failures(_metadata);
	/* Kept ones and those REMOVE found gone: once; closed: at most once */
	EXPECT_LE(c->kept + c->enoent, c->reported_n);
	EXPECT_GE(c->kept + c->enoent + c->closed, c->reported_n);
	EXPECT_EQ(children, c->kept + c->removed_ok + c->enoent + c->closed);
	EXPECT_EQ(0, kq_remove(c->kq, KEVENT_TYPE_USER, STOP_ID));
	EXPECT_EQ(0, kq_fdinfo_count(c->kq));
	close(c->kq);
	free(c);
}

/*
 * 11. Network AIO both ways, reaped by threads on every CPU.
 *
 * Slots of AF_UNIX stream pairs.  On each, S11_DEPTH SEND requests of
 * random lengths carry a byte stream (byte i is i * 7 + slot) from one end
 * and S11_DEPTH RECV requests of random lengths take it at the other, all
 * in one queue that S11_REAPERS threads reap, each completion bringing the
 * next request of its kind.  The kernel moves every byte from its socket
 * callbacks' wakeups on whichever CPU.  Exact: every SEND completes whole,
 * the RECVs of a slot complete in submission order with the stream's next
 * bytes, no request errs, and at the end nothing is left pinned.
 */
#define S11_SLOTS	8
#define S11_DEPTH	4
#define S11_REAPERS	3
#define S11_MAXLEN	6000

struct s11_req {
	char buf[S11_MAXLEN];
	__u32 len;
	__u32 done;
	__u64 seq;		/* in its slot's line */
	int complete;
};

struct s11_slot {
	pthread_mutex_t lock;
	int sv[2];
	unsigned int seed;
	struct s11_req send[S11_DEPTH], recv[S11_DEPTH];
	__u64 send_seq, recv_seq;	/* next to submit */
	__u64 sent;			/* stream offset of the next SEND */
	__u64 recv_next;		/* next RECV seq to check */
	__u64 received;			/* bytes checked */
};

struct s11 {
	int kq;
	struct s11_slot slot[S11_SLOTS];
	unsigned long completions;
};

static char s11_byte(unsigned int slot, __u64 off)
{
	return (char)(off * 7 + slot);
}

/* udata: slot, direction, index in the slot's array */
static int s11_submit(struct s11 *c, unsigned int si, int send, int i)
{
	struct s11_slot *sl = &c->slot[si];
	struct s11_req *r = send ? &sl->send[i] : &sl->recv[i];
	struct ukevent uk = {
		.type = KEVENT_TYPE_NAIO,
		.udata = si << 8 | send << 4 | i,
		.event = send ? KEVENT_NAIO_SEND : KEVENT_NAIO_RECV,
		.req_flags = KEVENT_REQ_ONESHOT,
	};
	__u32 k;

	r->len = 1 + rnd(&sl->seed) % S11_MAXLEN;
	r->done = 0;
	r->complete = 0;
	if (send) {
		r->seq = sl->send_seq++;
		for (k = 0; k < r->len; k++)
			r->buf[k] = s11_byte(si, sl->sent + k);
		sl->sent += r->len;
		uk.id = (__u64)(S11_DEPTH + i) << 32 | sl->sv[1];
	} else {
		r->seq = sl->recv_seq++;
		uk.id = (__u64)i << 32 | sl->sv[0];
	}
	uk.param[0] = (uintptr_t)r->buf;
	uk.param[1] = r->len;
	if (kq_ctl1(c->kq, KEVENT_CTL_ADD, uk)) {
		thr_err("slot %u: ADD %s: %s", si, send ? "SEND" : "RECV",
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Check the completed RECVs of @sl in order; resubmit each checked one. */
static void s11_check_recvs(struct s11 *c, unsigned int si)
{
	struct s11_slot *sl = &c->slot[si];
	int i, found = 1;

	while (found) {
		found = 0;
		for (i = 0; i < S11_DEPTH; i++) {
			struct s11_req *r = &sl->recv[i];
			__u32 k;

			if (!r->complete || r->seq != sl->recv_next)
				continue;
			found = 1;
			for (k = 0; k < r->done; k++) {
				if (r->buf[k] != s11_byte(si, sl->received + k)) {
					thr_err("slot %u: byte %llu wrong", si,
						(unsigned long long)(sl->received + k));
					break;
				}
			}
			__atomic_store_n(&sl->received, sl->received + r->done,
					 __ATOMIC_SEQ_CST);
			sl->recv_next++;
			s11_submit(c, si, 0, i);
		}
	}
}

static void *s11_reaper(void *arg)
{
	struct thr *t = arg;
	struct s11 *c = t->ctx;
	struct ukevent ev[16];
	int n, e;

	for (;;) {
		n = wait_events(c->kq, ev, 16);
		if (n <= 0)
			return NULL;
		for (e = 0; e < n; e++) {
			unsigned int si = ev[e].udata >> 8, i = ev[e].udata & 15;
			int send = ev[e].udata >> 4 & 1;
			struct s11_slot *sl;
			struct s11_req *r;

			if (is_stop(&ev[e]))
				return NULL;
			if (ev[e].type != KEVENT_TYPE_NAIO || si >= S11_SLOTS ||
			    i >= S11_DEPTH) {
				thr_err("unexpected event type %u udata %llx",
					ev[e].type,
					(unsigned long long)ev[e].udata);
				continue;
			}
			sl = &c->slot[si];
			pthread_mutex_lock(&sl->lock);
			r = send ? &sl->send[i] : &sl->recv[i];
			r->done = (__u32)ev[e].ret_data;
			if (ev[e].event & KEVENT_NAIO_ERROR)
				thr_err("slot %u: %s errno %llu", si,
					send ? "SEND" : "RECV",
					(unsigned long long)(ev[e].ret_data >> 32));
			else if (send && r->done != r->len)
				thr_err("slot %u: SEND of %u completed with %u",
					si, r->len, r->done);
			else if (!send && (!r->done || r->done > r->len))
				thr_err("slot %u: RECV of %u completed with %u",
					si, r->len, r->done);
			if (send) {
				if (running(0))
					s11_submit(c, si, 1, i);
			} else {
				r->complete = 1;
				s11_check_recvs(c, si);
			}
			pthread_mutex_unlock(&sl->lock);
			t->ops++;
		}
	}
}

TEST_F_TIMEOUT(stress, naio_both_ways_exact, stress_timeout())
{
	struct thr re[S11_REAPERS];
	unsigned long ops, bytes = 0;
	long pinned = kq_vm_pin_kb();
	struct ukevent ev[16];
	unsigned int si;
	struct s11 *c;
	int i;

	ASSERT_LE(0, pinned);
	c = calloc(1, sizeof(*c));
	ASSERT_TRUE(!!c);
	c->kq = kq_new(0);
	ASSERT_LE(0, c->kq);
	ASSERT_EQ(0, stop_add(c->kq));
	for (si = 0; si < S11_SLOTS; si++) {
		struct s11_slot *sl = &c->slot[si];

		pthread_mutex_init(&sl->lock, NULL);
		sl->seed = 0x2545f491u * (si + 1);
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sl->sv));
		pthread_mutex_lock(&sl->lock);
		for (i = 0; i < S11_DEPTH; i++) {
			ASSERT_EQ(0, s11_submit(c, si, 0, i));
			ASSERT_EQ(0, s11_submit(c, si, 1, i));
		}
		pthread_mutex_unlock(&sl->lock);
	}

	stress_go();
	for (i = 0; i < S11_REAPERS; i++)
		ASSERT_EQ(0, thr_start(&re[i], s11_reaper, c, i));
	sleep_until_deadline();
	/*
	 * No new SENDs: the RECVs drain what is in flight, then stop.  A
	 * reaper decides to resubmit under the slot's lock, so once the lock
	 * has been taken after stop_phase() the slot's stream has its length.
	 */
	stop_phase(0);
	for (si = 0; si < S11_SLOTS; si++) {
		struct s11_slot *sl = &c->slot[si];
		__u64 sent;

		pthread_mutex_lock(&sl->lock);
		sent = sl->sent;
		pthread_mutex_unlock(&sl->lock);
		ASSERT_EQ(0, await_u64(&sl->received, sent)) {
			TH_LOG("slot %u: %llu of %llu bytes received", si,
			       (unsigned long long)sl->received,
			       (unsigned long long)sent);
		}
	}
	EXPECT_EQ(0, user_post(c->kq, STOP_ID, 1));
	ops = thr_join(re, S11_REAPERS);
	for (si = 0; si < S11_SLOTS; si++)
		bytes += c->slot[si].received;
	report("naio_both_ways_exact", ops, "%lu bytes through %d sockets",
	       bytes, S11_SLOTS);
	expect_no_failures(_metadata);
	/* Only the RECVs waiting for more are left, and no completion */
	EXPECT_EQ(1 + S11_SLOTS * S11_DEPTH, kq_fdinfo_count(c->kq));
	EXPECT_EQ(1, kq_wait_ms(c->kq, 0, 16, ev, 0));
	EXPECT_TRUE(is_stop(&ev[0]));
	close(c->kq);
	EXPECT_EQ(pinned, kq_vm_pin_kb());
	for (si = 0; si < S11_SLOTS; si++) {
		close(c->slot[si].sv[0]);
		close(c->slot[si].sv[1]);
	}
	free(c);
}

/*
 * 12. Inode registrations against writers.
 *
 * Slots of files in a tmpfs.  Closers open a slot's file (O_RDWR, or
 * O_PATH by generation), register it for writes, sometimes MODIFY it
 * (writes, then attributes and writes) or REMOVE it, and close it;
 * writers pwrite() to the slots through descriptors of their own all the
 * while, and waiters report.  Exact: every ADD, MODIFY, REMOVE and close
 * succeeds; a wait never reports a registration whose close() returned
 * before the wait began; each report is a write with a count of at least
 * one; nothing is left at the end.
 */
#define S12_SLOTS	8
#define S12_CLOSERS	2
#define S12_WRITERS	2
#define S12_WAITERS	2

struct s12 {
	int kq;
	char path[S12_SLOTS][64];
	int w[S12_SLOTS];	/* the writers' descriptors; never registered */
	struct gens gens;
};

static void *s12_closer(void *arg)
{
	struct thr *t = arg;
	struct s12 *c = t->ctx;
	__u64 gen[S12_SLOTS] = { 0 };
	int fd[S12_SLOTS], s;

	for (s = 0; s < S12_SLOTS; s++)
		fd[s] = -1;
	while (running(0)) {
		for (s = t->idx; s < S12_SLOTS; s += S12_CLOSERS) {
			struct ukevent uk = { .type = KEVENT_TYPE_INODE };

			if (fd[s] >= 0) {
				uk.id = fd[s];
				if (!(rnd(&t->seed) & 3) &&
				    kq_ctl1(c->kq, KEVENT_CTL_REMOVE, uk))
					thr_err("REMOVE of slot %d fd %d: %s", s,
						fd[s], strerror(errno));
				if (close(fd[s]))
					thr_err("close(%d): %s", fd[s],
						strerror(errno));
				gens_retire(&c->gens, s, gen[s]);
				fd[s] = -1;
				t->ops++;
			}
			if (!running(0))
				break;
			gen[s]++;
			fd[s] = open(c->path[s], gen[s] & 1 ? O_PATH : O_RDWR);
			if (fd[s] < 0) {
				thr_err("open slot %d: %s", s, strerror(errno));
				continue;
			}
			uk.id = fd[s];
			uk.event = KEVENT_INODE_WRITE;
			uk.udata = mk_udata(s, gen[s]);
			if (kq_ctl1(c->kq, KEVENT_CTL_ADD, uk))
				thr_err("ADD of slot %d fd %d: %s", s, fd[s],
					strerror(errno));
			uk.event |= KEVENT_INODE_ATTRIB;
			if (!(rnd(&t->seed) & 3) &&
			    kq_ctl1(c->kq, KEVENT_CTL_MODIFY, uk))
				thr_err("MODIFY of slot %d fd %d: %s", s, fd[s],
					strerror(errno));
			t->ops++;
		}
	}
	for (s = 0; s < S12_SLOTS; s++) {
		if (fd[s] < 0)
			continue;
		if (close(fd[s]))
			thr_err("close(%d): %s", fd[s], strerror(errno));
		gens_retire(&c->gens, s, gen[s]);
	}
	return NULL;
}

static void *s12_writer(void *arg)
{
	struct thr *t = arg;
	struct s12 *c = t->ctx;

	while (running(0)) {
		int s = rnd(&t->seed) % S12_SLOTS;

		if (pwrite(c->w[s], "x", 1, 0) != 1)
			thr_err("pwrite to slot %d: %s", s, strerror(errno));
		t->ops++;
	}
	return NULL;
}

static void *s12_waiter(void *arg)
{
	struct thr *t = arg;
	struct s12 *c = t->ctx;
	__u64 snap[MAXPROD];
	struct ukevent ev[16];
	int n, i;

	while (running(0)) {
		gens_snap(&c->gens, snap);
		n = wait_events(c->kq, ev, 16);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (is_stop(&ev[i]))
				continue;
			t->ops++;
			if (gens_check(&c->gens, snap, &ev[i], "inode"))
				continue;
			if (ev[i].type != KEVENT_TYPE_INODE ||
			    ev[i].event != KEVENT_INODE_WRITE ||
			    !ev[i].ret_data || ev[i].ret_flags)
				thr_err("slot %u: type %u event %x count %llu ret_flags %x",
					udata_prod(ev[i].udata), ev[i].type,
					ev[i].event,
					(unsigned long long)ev[i].ret_data,
					ev[i].ret_flags);
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(stress, inode_close_vs_writers, stress_timeout())
{
	struct thr cl[S12_CLOSERS], wr[S12_WRITERS], wa[S12_WAITERS];
	char dir[] = "/tmp/kevent-stress-XXXXXX";
	struct s12 c = { .gens.n = S12_SLOTS };
	unsigned long closes, writes, events;
	int s, i;

	ASSERT_TRUE(!!mkdtemp(dir));
	c.kq = kq_new(0);
	ASSERT_LE(0, c.kq);
	ASSERT_EQ(0, stop_add(c.kq));
	for (s = 0; s < S12_SLOTS; s++) {
		snprintf(c.path[s], sizeof(c.path[s]), "%s/%d", dir, s);
		c.w[s] = open(c.path[s], O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		ASSERT_LE(0, c.w[s]);
	}

	stress_go();
	for (i = 0; i < S12_CLOSERS; i++)
		ASSERT_EQ(0, thr_start(&cl[i], s12_closer, &c, i));
	for (i = 0; i < S12_WRITERS; i++)
		ASSERT_EQ(0, thr_start(&wr[i], s12_writer, &c, i));
	for (i = 0; i < S12_WAITERS; i++)
		ASSERT_EQ(0, thr_start(&wa[i], s12_waiter, &c, i));
	sleep_until_deadline();
	stop_phase(0);
	EXPECT_EQ(0, user_post(c.kq, STOP_ID, 1));
	closes = thr_join(cl, S12_CLOSERS);
	writes = thr_join(wr, S12_WRITERS);
	events = thr_join(wa, S12_WAITERS);
	report("inode_close_vs_writers", closes + writes + events,
	       "%lu add/close, %lu writes, %lu events", closes, writes, events);

	expect_no_failures(_metadata);
	/* Every watched fd was closed: only the stop event is left. */
	EXPECT_EQ(0, kq_remove(c.kq, KEVENT_TYPE_USER, STOP_ID));
	EXPECT_EQ(0, kq_fdinfo_count(c.kq));
	for (s = 0; s < S12_SLOTS; s++) {
		close(c.w[s]);
		unlink(c.path[s]);
	}
	rmdir(dir);
	close(c.kq);
}

TEST_HARNESS_MAIN
