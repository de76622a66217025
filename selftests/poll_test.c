// SPDX-License-Identifier: GPL-2.0
/*
 * kevent selftests: KEVENT_TYPE_POLL, readiness of any pollable file, and
 * the lifetime of its registrations; KEVENT_TYPE_PIPE; queues watching
 * queues.
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "common.h"

static int poll_add(int kq, int fd, __u32 events, __u32 req_flags)
{
	return kq_add_fd(kq, KEVENT_TYPE_POLL, fd, events, req_flags);
}

/*
 * The second half of kq.signalfd_pollfree_reports_hangup, in the program
 * the test execs: "KEVENT_POLLFREE=kq,sfd,pipe,pid" in the environment.
 * Let the process that shares our old signal handlers exit and reap it:
 * their wait queue, which our registration of the signalfd hooks, is
 * freed.  The registration must report a hangup.
 */
__attribute__((constructor)) static void pollfree_stage2(void)
{
	const char *env = getenv("KEVENT_POLLFREE");
	int kq, sfd, wfd, pid;
	struct ukevent ev;

	if (!env)
		return;
	if (sscanf(env, "%d,%d,%d,%d", &kq, &sfd, &wfd, &pid) != 4)
		_exit(10);
	if (kq_fdinfo_count(kq) != 1)
		_exit(11);
	if (kq_wait_ms(kq, 0, 1, &ev, 0) != 0)
		_exit(12);
	if (write(wfd, "x", 1) != 1 || waitpid(pid, NULL, __WALL) != pid)
		_exit(13);
	if (kq_wait_ms(kq, 1, 1, &ev, KQ_HANG_MS) != 1)
		_exit(14);
	if (ev.id != sfd || !(ev.event & KEVENT_POLL_HUP))
		_exit(15);
	_exit(0);
}

FIXTURE(pipe) {
	int kq;
	int p[2];
};

FIXTURE_SETUP(pipe)
{
	self->kq = kq_new(0);
	ASSERT_LE(0, self->kq);
	ASSERT_EQ(0, pipe2(self->p, O_NONBLOCK));
}

FIXTURE_TEARDOWN(pipe)
{
	close(self->kq);
	close(self->p[0]);
	close(self->p[1]);
}

TEST_F(pipe, read_ready)
{
	struct ukevent ev;

	ASSERT_EQ(0, poll_add(self->kq, self->p[0], KEVENT_POLL_IN, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(self->p[0], ev.id);
	EXPECT_EQ(KEVENT_TYPE_POLL, ev.type);
	EXPECT_EQ(FD_UDATA(KEVENT_TYPE_POLL, self->p[0]), ev.udata);
}

struct late_writer {
	pid_t sleeper;
	int fd;
};

/* Write a byte once the sleeper sleeps in kevent_wait() */
static void *write_when_asleep(void *arg)
{
	struct late_writer *w = arg;

	if (kq_await_blocked(w->sleeper, __NR_kevent_wait) ||
	    write(w->fd, "x", 1) != 1)
		return (void *)1;
	return NULL;
}

TEST_F(pipe, woken_by_write)
{
	struct late_writer w = { kq_gettid(), self->p[1] };
	struct ukevent ev;
	void *ret;
	pthread_t t;

	ASSERT_EQ(0, poll_add(self->kq, self->p[0], KEVENT_POLL_IN, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, write_when_asleep, &w));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	ASSERT_EQ(0, pthread_join(t, &ret));
	EXPECT_EQ(0, (long)ret);
}

struct racing_writer {
	int fd;
	unsigned int go, stop;
};

/* Write a byte a random few microseconds after each go */
static void *write_on_go(void *arg)
{
	struct racing_writer *w = arg;
	unsigned int seen = 0, x = 1, i;

	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(&w->go, __ATOMIC_ACQUIRE) == seen)
			continue;
		seen++;
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		for (i = 0; i < x % 4096; i++)
			asm volatile("" ::: "memory");
		if (write(w->fd, "x", 1) != 1)
			return (void *)1;
	}
	return NULL;
}

/*
 * A write on another CPU while ADD looks at the pipe is reported: the
 * wakeup may come between ADD's ->poll() and the queue's lock, which must
 * not take it back.
 */
TEST_F(pipe, write_during_add_not_lost)
{
	struct racing_writer w = { .fd = self->p[1] };
	struct ukevent ev;
	pthread_t t;
	void *ret;
	char c;
	int i;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one CPU: nothing would race");
	ASSERT_EQ(0, pthread_create(&t, NULL, write_on_go, &w));
	for (i = 0; i < 20000; i++) {
		__atomic_store_n(&w.go, i + 1, __ATOMIC_RELEASE);
		ASSERT_EQ(0, poll_add(self->kq, self->p[0], KEVENT_POLL_IN,
				      KEVENT_REQ_ONESHOT));
		ASSERT_EQ(KEVENT_POLL_IN,
			  kq_wait_one(self->kq, KQ_HANG_MS, &ev)) {
			TH_LOG("write lost at ADD %d", i);
		}
		ASSERT_EQ(1, read(self->p[0], &c, 1));
	}
	__atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(t, &ret));
	EXPECT_EQ(0, (long)ret);
}

TEST_F(pipe, write_space)
{
	char buf[4096] = { 0 };
	struct ukevent ev;

	ASSERT_EQ(0, poll_add(self->kq, self->p[1], KEVENT_POLL_OUT, 0));
	EXPECT_EQ(KEVENT_POLL_OUT, kq_wait_one(self->kq, 0, &ev));
	while (write(self->p[1], buf, sizeof(buf)) > 0)
		;
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	while (read(self->p[0], buf, sizeof(buf)) > 0)
		;
	EXPECT_EQ(KEVENT_POLL_OUT, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
}

TEST_F(pipe, hangup_on_writer_close)
{
	struct ukevent ev;

	ASSERT_EQ(0, poll_add(self->kq, self->p[0], KEVENT_POLL_IN, 0));
	close(self->p[1]);
	self->p[1] = -1;
	EXPECT_EQ(KEVENT_POLL_HUP, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
}

TEST_F(pipe, error_on_reader_close)
{
	struct ukevent ev;

	/* ERR is reported though only OUT was asked for. */
	ASSERT_EQ(0, poll_add(self->kq, self->p[1], KEVENT_POLL_OUT, 0));
	close(self->p[0]);
	self->p[0] = -1;
	EXPECT_EQ(KEVENT_POLL_OUT | KEVENT_POLL_ERR,
		  kq_wait_one(self->kq, KQ_HANG_MS, &ev));
}

TEST_F(pipe, level_triggered_repeats_until_drained)
{
	struct ukevent ev;
	char c;

	ASSERT_EQ(0, poll_add(self->kq, self->p[0], KEVENT_POLL_IN, 0));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, 0, &ev));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, 0, &ev));
	ASSERT_EQ(1, read(self->p[0], &c, 1));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
}

TEST_F(pipe, edge_triggered_once_per_arrival)
{
	struct ukevent ev;

	ASSERT_EQ(0, poll_add(self->kq, self->p[0], KEVENT_POLL_IN,
			      KEVENT_REQ_ET));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	/* Not drained, but nothing new arrived. */
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	ASSERT_EQ(1, write(self->p[1], "y", 1));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
}

TEST_F(pipe, oneshot)
{
	struct ukevent ev;

	ASSERT_EQ(0, poll_add(self->kq, self->p[0], KEVENT_POLL_IN,
			      KEVENT_REQ_ONESHOT));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

TEST_F(pipe, dispatch_until_modify)
{
	struct ukevent ev, uk = {
		.id = self->p[0],
		.type = KEVENT_TYPE_POLL,
		.event = KEVENT_POLL_IN,
		.req_flags = KEVENT_REQ_DISPATCH,
	};

	ASSERT_EQ(0, kq_ctl1(self->kq, KEVENT_CTL_ADD, uk));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	ASSERT_EQ(0, kq_ctl1(self->kq, KEVENT_CTL_MODIFY, uk));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, 0, &ev));
}

TEST_F(pipe, modify_changes_mask)
{
	struct ukevent ev, uk = {
		.id = self->p[1],
		.type = KEVENT_TYPE_POLL,
		.event = 0,
	};

	/* Asked for nothing: only ERR and HUP would come. */
	ASSERT_EQ(0, kq_ctl1(self->kq, KEVENT_CTL_ADD, uk));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	uk.event = KEVENT_POLL_OUT;
	ASSERT_EQ(0, kq_ctl1(self->kq, KEVENT_CTL_MODIFY, uk));
	EXPECT_EQ(KEVENT_POLL_OUT, kq_wait_one(self->kq, 0, &ev));
}

TEST_F(pipe, remove_stops_events)
{
	struct ukevent ev;

	ASSERT_EQ(0, poll_add(self->kq, self->p[0], KEVENT_POLL_IN, 0));
	ASSERT_EQ(0, kq_remove(self->kq, KEVENT_TYPE_POLL, self->p[0]));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
}

/* Lifetime: a registration follows its fd in the registering process. */

TEST_F(pipe, close_removes)
{
	ASSERT_EQ(0, poll_add(self->kq, self->p[0], KEVENT_POLL_IN, 0));
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));
	close(self->p[0]);
	self->p[0] = -1;
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

/* The epoll trap: a dup'd copy must not keep the registration alive. */
TEST_F(pipe, close_removes_despite_dup)
{
	struct ukevent ev;
	int copy = dup(self->p[0]);

	ASSERT_LE(0, copy);
	ASSERT_EQ(0, poll_add(self->kq, self->p[0], KEVENT_POLL_IN, 0));
	close(self->p[0]);
	self->p[0] = copy;
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
}

TEST_F(pipe, closing_a_dup_keeps)
{
	struct ukevent ev;
	int copy = dup(self->p[0]);

	ASSERT_LE(0, copy);
	ASSERT_EQ(0, poll_add(self->kq, self->p[0], KEVENT_POLL_IN, 0));
	close(copy);
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
}

TEST_F(pipe, dup2_over_removes)
{
	int q[2];

	ASSERT_EQ(0, pipe(q));
	ASSERT_EQ(0, poll_add(self->kq, self->p[0], KEVENT_POLL_IN, 0));
	ASSERT_EQ(self->p[0], dup2(q[0], self->p[0]));
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	close(q[0]);
	close(q[1]);
}

/* A new file with the old fd number sees nothing of the old registration. */
TEST_F(pipe, fd_number_reuse)
{
	struct ukevent ev;
	int fd = self->p[0], q[2];

	ASSERT_EQ(0, poll_add(self->kq, fd, KEVENT_POLL_IN, 0));
	close(fd);
	ASSERT_EQ(0, pipe(q));
	ASSERT_EQ(fd, q[0]);	/* lowest free number */
	self->p[0] = q[0];
	ASSERT_EQ(1, write(q[1], "x", 1));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	/* The number can be registered again, for the new file. */
	ASSERT_EQ(0, poll_add(self->kq, fd, KEVENT_POLL_IN, 0));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, 0, &ev));
	close(q[1]);
}

/* Another process closing its copy does not remove ours. */
TEST_F(pipe, child_close_keeps)
{
	struct ukevent ev;
	int status;
	pid_t pid;

	ASSERT_EQ(0, poll_add(self->kq, self->p[0], KEVENT_POLL_IN, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(self->p[0]);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
}

/*
 * A registration on an fd belongs to the process that made it: after
 * fork(), the child's fd N is a registration of its own, even for another
 * file, and neither process can remove the other's.
 */
TEST_F(pipe, fork_child_registers_its_own_fd)
{
	struct ukevent ev;
	int status, fd = self->p[0];
	pid_t pid;

	ASSERT_EQ(0, poll_add(self->kq, fd, KEVENT_POLL_IN, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int q[2];

		close(fd);
		if (pipe(q) || q[0] != fd)
			_exit(1);
		/* the same (type, id): the child's own */
		if (poll_add(self->kq, fd, KEVENT_POLL_IN, 0))
			_exit(2);
		if (kq_fdinfo_count(self->kq) != 2)
			_exit(3);
		/* removing fd N removes the child's only */
		if (kq_remove(self->kq, KEVENT_TYPE_POLL, fd))
			_exit(4);
		if (kq_remove(self->kq, KEVENT_TYPE_POLL, fd) != -1 ||
		    errno != ENOENT)
			_exit(5);
		_exit(kq_fdinfo_count(self->kq) == 1 ? 0 : 6);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	ASSERT_EQ(1, kq_fdinfo_count(self->kq));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	ASSERT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(fd, ev.id);
}

/* The queue does not keep a file open once the registration is gone. */
TEST_F(pipe, queue_close_drops_file)
{
	struct ukevent ev;
	int kq2 = kq_new(0);

	ASSERT_LE(0, kq2);
	ASSERT_EQ(0, poll_add(kq2, self->p[1], KEVENT_POLL_OUT, 0));
	close(kq2);
	/* Our close of the writer is the last: the reader sees EOF. */
	ASSERT_EQ(0, poll_add(self->kq, self->p[0], KEVENT_POLL_IN, 0));
	close(self->p[1]);
	self->p[1] = -1;
	EXPECT_EQ(KEVENT_POLL_HUP, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
}

/* Errors */

TEST_F(pipe, bad_fd_ebadf)
{
	EXPECT_EQ(-1, poll_add(self->kq, 999, KEVENT_POLL_IN, 0));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, poll_add(self->kq, -1, KEVENT_POLL_IN, 0));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

TEST_F(pipe, bad_mask_and_param_einval)
{
	struct ukevent uk = {
		.id = self->p[0],
		.type = KEVENT_TYPE_POLL,
		.event = KEVENT_POLL_IN,
	};

	EXPECT_EQ(-1, poll_add(self->kq, self->p[0], 0x100, 0));
	EXPECT_EQ(EINVAL, errno);
	uk.param[0] = 1;
	EXPECT_EQ(-1, kq_ctl1(self->kq, KEVENT_CTL_ADD, uk));
	EXPECT_EQ(EINVAL, errno);
	uk.param[0] = 0;
	EXPECT_EQ(-1, kq_ctl1(self->kq, KEVENT_CTL_POST, uk));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

TEST_F(pipe, duplicate_eexist)
{
	ASSERT_EQ(0, poll_add(self->kq, self->p[0], KEVENT_POLL_IN, 0));
	EXPECT_EQ(-1, poll_add(self->kq, self->p[0], KEVENT_POLL_OUT, 0));
	EXPECT_EQ(EEXIST, errno);
}

/* Regular files on tmpfs have no ->poll. */
TEST_F(pipe, not_pollable_eperm)
{
	char path[] = "/tmp/kevent_poll.XXXXXX";
	int fd = mkstemp(path);

	ASSERT_LE(0, fd);
	unlink(path);
	EXPECT_EQ(-1, poll_add(self->kq, fd, KEVENT_POLL_IN, 0));
	EXPECT_EQ(EPERM, errno);
	close(fd);
}

TEST_F(pipe, epoll_fd_eopnotsupp)
{
	int ep = epoll_create1(0);

	ASSERT_LE(0, ep);
	EXPECT_EQ(-1, poll_add(self->kq, ep, KEVENT_POLL_IN, 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	close(ep);
}

/* A queue watching a queue hears of the inner queue's events. */
TEST_F(pipe, nested_queue)
{
	int inner = kq_new(0);
	struct ukevent ev;

	ASSERT_LE(0, inner);
	ASSERT_EQ(0, poll_add(inner, self->p[0], KEVENT_POLL_IN, 0));
	ASSERT_EQ(0, poll_add(self->kq, inner, KEVENT_POLL_IN, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(inner, ev.id);
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(inner, 0, &ev));
	EXPECT_EQ(self->p[0], ev.id);
	close(inner);
}

TEST_F(pipe, watch_itself_eloop)
{
	EXPECT_EQ(-1, poll_add(self->kq, self->kq, KEVENT_POLL_IN, 0));
	EXPECT_EQ(ELOOP, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

/* kq -> a -> b, then b -> kq would close a loop. */
TEST_F(pipe, loop_through_others_eloop)
{
	int a = kq_new(0), b = kq_new(0);

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, poll_add(self->kq, a, KEVENT_POLL_IN, 0));
	ASSERT_EQ(0, poll_add(a, b, KEVENT_POLL_IN, 0));
	EXPECT_EQ(-1, poll_add(b, self->kq, KEVENT_POLL_IN, 0));
	EXPECT_EQ(ELOOP, errno);
	EXPECT_EQ(0, kq_fdinfo_count(b));
	/* Once a no longer watches b, b may watch kq. */
	ASSERT_EQ(0, kq_remove(a, KEVENT_TYPE_POLL, b));
	EXPECT_EQ(0, poll_add(b, self->kq, KEVENT_POLL_IN, 0));
	close(a);
	close(b);
}

/* Chains of queues are at most four registrations long. */
TEST_F(pipe, chain_too_long_eloop)
{
	int q[6], i;

	for (i = 0; i < 6; i++)
		ASSERT_LE(0, q[i] = kq_new(0));
	/* q0 <- q1 <- q2 <- q3 <- q4: four registrations */
	for (i = 1; i < 5; i++)
		ASSERT_EQ(0, poll_add(q[i], q[i - 1], KEVENT_POLL_IN, 0));
	EXPECT_EQ(-1, poll_add(q[5], q[4], KEVENT_POLL_IN, 0));
	EXPECT_EQ(ELOOP, errno);
	/* Also when the chain is made longer from below. */
	EXPECT_EQ(-1, poll_add(q[0], q[5], KEVENT_POLL_IN, 0));
	EXPECT_EQ(ELOOP, errno);
	for (i = 0; i < 6; i++)
		close(q[i]);
}

/*
 * The chains of watching queues above a queue are bounded per length, as
 * epoll's paths are: 1000 queues may watch one, but then they may not all
 * be watched by many others.  A queue watched by 25 queues, each watched by
 * the same 20 queues, has 500 chains of two above it; one more is -ELOOP.
 */
TEST_F(pipe, too_many_chains_eloop)
{
	int mid[25], top[21], i, j;
	struct rlimit rl;

	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur < 1200)
		SKIP(return, "RLIMIT_NOFILE %ld", (long)rl.rlim_cur);
	for (i = 0; i < 25; i++) {
		ASSERT_LE(0, mid[i] = kq_new(0));
		ASSERT_EQ(0, poll_add(mid[i], self->kq, KEVENT_POLL_IN, 0));
	}
	for (j = 0; j < 21; j++) {
		ASSERT_LE(0, top[j] = kq_new(0));
		for (i = 0; i < 25; i++) {
			int ret = poll_add(top[j], mid[i], KEVENT_POLL_IN, 0);

			if (j < 20) {
				ASSERT_EQ(0, ret);
				continue;
			}
			/* the 501st chain of two */
			EXPECT_EQ(-1, ret);
			EXPECT_EQ(ELOOP, errno);
			break;
		}
	}
	EXPECT_EQ(0, kq_fdinfo_count(top[20]));
	/* The chains still work. */
	ASSERT_EQ(0, poll_add(self->kq, self->p[0], KEVENT_POLL_IN, 0));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	for (j = 0; j < 20; j++) {
		struct ukevent ev[25];

		EXPECT_EQ(25, kq_wait_ms(top[j], 25, 25, ev, KQ_HANG_MS));
	}
	for (j = 0; j < 21; j++)
		close(top[j]);
	for (i = 0; i < 25; i++)
		close(mid[i]);
}

/* A queue watched by more than 1000 queues: too many chains of one. */
TEST_F(pipe, too_many_watchers_eloop)
{
	int q[1001], i;
	struct rlimit rl;

	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur < 1100)
		SKIP(return, "RLIMIT_NOFILE %ld", (long)rl.rlim_cur);
	for (i = 0; i < 1001; i++) {
		ASSERT_LE(0, q[i] = kq_new(0));
		if (i < 1000) {
			ASSERT_EQ(0, poll_add(q[i], self->kq, KEVENT_POLL_IN, 0));
		} else {
			EXPECT_EQ(-1, poll_add(q[i], self->kq, KEVENT_POLL_IN, 0));
			EXPECT_EQ(ELOOP, errno);
		}
	}
	for (i = 0; i < 1001; i++)
		close(q[i]);
}

/*
 * One wakeup reaches each queue above its source once, however many chains
 * lead there: a queue wakes its pollers once for the events that come
 * before it gets to them.  400 queues watch a pipe and one queue watches
 * the 400, so a write runs about 800 callbacks; 200 more queues watching
 * the top one must add about 200, not a callback per chain (400 x 200,
 * with interrupts off).  The callbacks run in the writer's write(), timed
 * by CLOCK_MONOTONIC, the fewest nanoseconds of seven writes each, the two
 * cases taking turns, with a 4x margin against a difference of 50x or more.
 * Not the thread's CPU clock: once the guest finds its TSC unstable, that
 * clock may stand still for a whole tick and time a write at 0 ns.
 */
#define FAN_MID	400
#define FAN_TOP	200

/* Time taken by one write, after which nothing stays ready; -1 on error */
static long fan_write_ns(int mid[], int top, int watch[], int nwatch, int p[])
{
	struct ukevent ev[FAN_MID];
	struct timespec a, b;
	int i;
	char c;

	clock_gettime(CLOCK_MONOTONIC, &a);
	if (write(p[1], "x", 1) != 1)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (read(p[0], &c, 1) != 1)
		return -1;
	/* The next write queues every kevent anew. */
	for (i = 0; i < FAN_MID; i++)
		if (kq_wait_ms(mid[i], 0, 1, ev, 0))
			return -1;
	if (kq_wait_ms(top, 0, FAN_MID, ev, 0))
		return -1;
	for (i = 0; i < nwatch; i++)
		if (kq_wait_ms(watch[i], 0, 1, ev, 0))
			return -1;
	return (b.tv_sec - a.tv_sec) * 1000000000L + b.tv_nsec - a.tv_nsec;
}

TEST_F(pipe, fan_in_wakes_each_queue_once)
{
	int mid[FAN_MID], watch[FAN_TOP], top, i, r;
	long base = -1, fanned = -1, ns;
	struct rlimit rl;

	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur < FAN_MID + FAN_TOP + 100)
		SKIP(return, "RLIMIT_NOFILE %ld", (long)rl.rlim_cur);
	ASSERT_LE(0, top = kq_new(0));
	for (i = 0; i < FAN_MID; i++) {
		ASSERT_LE(0, mid[i] = kq_new(0));
		ASSERT_EQ(0, poll_add(mid[i], self->p[0], KEVENT_POLL_IN, 0));
		ASSERT_EQ(0, poll_add(top, mid[i], KEVENT_POLL_IN, 0));
	}
	for (r = 0; r < 7; r++) {
		ns = fan_write_ns(mid, top, watch, 0, self->p);
		ASSERT_LT(0, ns);
		if (base < 0 || ns < base)
			base = ns;
		for (i = 0; i < FAN_TOP; i++) {
			ASSERT_LE(0, watch[i] = kq_new(0));
			ASSERT_EQ(0, poll_add(watch[i], top, KEVENT_POLL_IN, 0));
		}
		ns = fan_write_ns(mid, top, watch, FAN_TOP, self->p);
		ASSERT_LT(0, ns);
		if (fanned < 0 || ns < fanned)
			fanned = ns;
		if (r == 6)
			break;
		for (i = 0; i < FAN_TOP; i++)
			close(watch[i]);
	}
	TH_LOG("write: %ld ns, with %d queues above: %ld ns", base, FAN_TOP,
	       fanned);
	EXPECT_LT(fanned, 4 * base);
	/* Every queue above still sees the event. */
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	for (i = 0; i < FAN_TOP; i++) {
		struct ukevent ev;

		EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(watch[i], KQ_HANG_MS, &ev));
		close(watch[i]);
	}
	for (i = 0; i < FAN_MID; i++)
		close(mid[i]);
	close(top);
}

/* An event at the bottom of a full chain reaches its top. */
TEST_F(pipe, nested_chain_delivers)
{
	struct ukevent ev;
	int q[5], i;

	for (i = 0; i < 5; i++)
		ASSERT_LE(0, q[i] = kq_new(0));
	ASSERT_EQ(0, poll_add(q[0], self->p[0], KEVENT_POLL_IN, 0));
	for (i = 1; i < 5; i++)
		ASSERT_EQ(0, poll_add(q[i], q[i - 1], KEVENT_POLL_IN, 0));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(q[4], KQ_HANG_MS, &ev));
	EXPECT_EQ(q[3], ev.id);
	for (i = 0; i < 5; i++)
		close(q[i]);
}

/* epoll can watch a kevent queue. */
TEST_F(pipe, epoll_watches_queue)
{
	struct epoll_event eev = { .events = EPOLLIN };
	int ep = epoll_create1(0);

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->kq, &eev));
	ASSERT_EQ(0, poll_add(self->kq, self->p[0], KEVENT_POLL_IN, 0));
	EXPECT_EQ(0, epoll_wait(ep, &eev, 1, 0));
	ASSERT_EQ(1, write(self->p[1], "x", 1));
	EXPECT_EQ(1, epoll_wait(ep, &eev, 1, KQ_HANG_MS));
	close(ep);
}

/* Wake-one: four threads wait, one write wakes exactly one. */

TEST_F(pipe, wake_one)
{
	ASSERT_EQ(0, poll_add(self->kq, self->p[0], KEVENT_POLL_IN,
			      KEVENT_REQ_ET));
	EXPECT_EQ(1, kq_wake_count(self->kq, self->p[1]));
}

/* With KEVENT_REQ_WAKEUP_ALL, the four wake, and being LT all report. */
TEST_F(pipe, wake_all)
{
	ASSERT_EQ(0, poll_add(self->kq, self->p[0], KEVENT_POLL_IN,
			      KEVENT_REQ_WAKEUP_ALL));
	EXPECT_EQ(4, kq_wake_count(self->kq, self->p[1]));
}

/* KEVENT_TYPE_PIPE: pipes and FIFOs, with byte counts */

static int pipe_add(int kq, int fd, __u32 events, __u32 req_flags)
{
	return kq_add_fd(kq, KEVENT_TYPE_PIPE, fd, events, req_flags);
}

TEST_F(pipe, pipe_type_bytes_to_read)
{
	struct ukevent ev;

	ASSERT_EQ(0, pipe_add(self->kq, self->p[0], KEVENT_POLL_IN, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	ASSERT_EQ(5, write(self->p[1], "hello", 5));
	ASSERT_EQ(3, write(self->p[1], "abc", 3));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(KEVENT_TYPE_PIPE, ev.type);
	EXPECT_EQ(FD_UDATA(KEVENT_TYPE_PIPE, self->p[0]), ev.udata);
	EXPECT_EQ(8, KEVENT_DATA_IN(ev.ret_data));
}

TEST_F(pipe, pipe_type_write_space)
{
	char buf[4096] = {};
	struct ukevent ev;
	ssize_t r;

	ASSERT_EQ(0, pipe_add(self->kq, self->p[1], KEVENT_POLL_OUT, 0));
	EXPECT_EQ(KEVENT_POLL_OUT, kq_wait_one(self->kq, 0, &ev));
	/* An empty pipe of 16 pages takes 64 KiB. */
	EXPECT_EQ(16 * 4096, KEVENT_DATA_OUT(ev.ret_data));
	do
		r = write(self->p[1], buf, sizeof(buf));
	while (r > 0);
	ASSERT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	ASSERT_EQ(4096, read(self->p[0], buf, sizeof(buf)));
	EXPECT_EQ(KEVENT_POLL_OUT, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(4096, KEVENT_DATA_OUT(ev.ret_data));
}

TEST_F(pipe, pipe_type_hangup)
{
	struct ukevent ev;

	ASSERT_EQ(0, pipe_add(self->kq, self->p[0], KEVENT_POLL_IN, 0));
	close(self->p[1]);
	self->p[1] = -1;
	EXPECT_EQ(KEVENT_POLL_HUP, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(0, KEVENT_DATA_IN(ev.ret_data));
}

TEST_F(pipe, pipe_type_fifo)
{
	char dir[] = "/tmp/kevent_fifo.XXXXXX", path[64];
	struct ukevent ev;
	int r, w;

	ASSERT_FALSE(!mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	ASSERT_EQ(0, mkfifo(path, 0600));
	r = open(path, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, r);
	w = open(path, O_WRONLY | O_NONBLOCK);
	ASSERT_LE(0, w);
	unlink(path);
	rmdir(dir);
	ASSERT_EQ(0, pipe_add(self->kq, r, KEVENT_POLL_IN, 0));
	ASSERT_EQ(2, write(w, "ab", 2));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(2, KEVENT_DATA_IN(ev.ret_data));
	close(r);
	close(w);
}

TEST_F(pipe, pipe_type_not_a_pipe_einval)
{
	char path[] = "/tmp/kevent_pipe.XXXXXX";
	int efd = eventfd(0, 0), ep = epoll_create1(0), fd = mkstemp(path);

	ASSERT_LE(0, efd);
	ASSERT_LE(0, ep);
	ASSERT_LE(0, fd);
	unlink(path);
	EXPECT_EQ(-1, pipe_add(self->kq, efd, KEVENT_POLL_IN, 0));
	EXPECT_EQ(EINVAL, errno);
	/* whatever else is wrong with the file */
	EXPECT_EQ(-1, pipe_add(self->kq, ep, KEVENT_POLL_IN, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pipe_add(self->kq, fd, KEVENT_POLL_IN, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pipe_add(self->kq, self->kq, KEVENT_POLL_IN, 0));
	EXPECT_EQ(EINVAL, errno);
	close(ep);
	close(fd);
	EXPECT_EQ(-1, pipe_add(self->kq, self->p[0], KEVENT_POLL_RDHUP, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	close(efd);
}

TEST_F(pipe, pipe_type_close_removes)
{
	ASSERT_EQ(0, pipe_add(self->kq, self->p[0], KEVENT_POLL_IN, 0));
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));
	close(self->p[0]);
	self->p[0] = -1;
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

/* Other pollable files */

FIXTURE(kq) {
	int kq;
};

FIXTURE_SETUP(kq)
{
	self->kq = kq_new(0);
	ASSERT_LE(0, self->kq);
}

FIXTURE_TEARDOWN(kq)
{
	close(self->kq);
}

TEST_F(kq, eventfd)
{
	int efd = eventfd(0, EFD_NONBLOCK);
	struct ukevent ev;
	__u64 one = 1;

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, poll_add(self->kq, efd, KEVENT_POLL_IN, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	ASSERT_EQ(8, write(efd, &one, 8));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	close(efd);
}

TEST_F(kq, timerfd)
{
	struct itimerspec its = { .it_value = { .tv_nsec = 50 * 1000000 } };
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct ukevent ev;

	ASSERT_LE(0, tfd);
	ASSERT_EQ(0, poll_add(self->kq, tfd, KEVENT_POLL_IN, 0));
	ASSERT_EQ(0, timerfd_settime(tfd, 0, &its, NULL));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	close(tfd);
}

TEST_F(kq, signalfd)
{
	struct ukevent ev;
	sigset_t mask;
	int sfd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &mask, NULL));
	sfd = signalfd(-1, &mask, SFD_NONBLOCK);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, poll_add(self->kq, sfd, KEVENT_POLL_IN, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	ASSERT_EQ(0, kill(getpid(), SIGUSR2));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	close(sfd);
}

static int pollfree_sibling(void *arg)
{
	char c;

	read(*(int *)arg, &c, 1);
	return 0;
}

/*
 * A signalfd polls the signal handlers of the process that polls it.
 * Register one while sharing our handlers with another process
 * (CLONE_SIGHAND), exec so that ours become a copy, and let the other go:
 * the shared ones are freed (POLLFREE).  The registration reports a
 * hangup, as epoll does, rather than going silent.
 */
TEST_F(kq, signalfd_pollfree_reports_hangup)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		size_t size = 64 * 1024;
		char *stack = malloc(size), env[128];
		int p[2], sfd, sib;
		sigset_t mask;

		if (!stack || pipe(p))
			_exit(1);
		sib = clone(pollfree_sibling, stack + size,
			    CLONE_VM | CLONE_SIGHAND | SIGCHLD, &p[0]);
		if (sib < 0)
			_exit(2);
		sigemptyset(&mask);
		sigaddset(&mask, SIGUSR2);
		sfd = signalfd(-1, &mask, 0);
		if (sfd < 0 || poll_add(self->kq, sfd, KEVENT_POLL_IN, 0))
			_exit(3);
		snprintf(env, sizeof(env), "%d,%d,%d,%d", self->kq, sfd, p[1],
			 sib);
		setenv("KEVENT_POLLFREE", env, 1);
		execl("/proc/self/exe", "/proc/self/exe", (char *)NULL);
		_exit(4);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(kq, pidfd_exit)
{
	struct ukevent ev;
	int pidfd;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		usleep(100 * 1000);
		_exit(7);
	}
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	ASSERT_LE(0, pidfd);
	ASSERT_EQ(0, poll_add(self->kq, pidfd, KEVENT_POLL_IN, 0));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, KQ_HANG_MS, &ev) & KEVENT_POLL_IN);
	waitpid(pid, NULL, 0);
	close(pidfd);
}

TEST_F(kq, unix_socketpair)
{
	struct ukevent ev;
	int sv[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
	ASSERT_EQ(0, poll_add(self->kq, sv[0], KEVENT_POLL_IN | KEVENT_POLL_RDHUP, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	ASSERT_EQ(1, send(sv[1], "x", 1, 0));
	EXPECT_EQ(KEVENT_POLL_IN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	ASSERT_EQ(0, shutdown(sv[1], SHUT_WR));
	EXPECT_EQ(KEVENT_POLL_IN | KEVENT_POLL_RDHUP, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	close(sv[0]);
	close(sv[1]);
}

/* Many registrations, a few active: exactly those are reported. */
TEST_F(kq, thousand_pipes_three_active)
{
	struct rlimit rl = { 4096, 4096 };
	struct ukevent ev[8];
	int p[1000][2], i, n;

	if (setrlimit(RLIMIT_NOFILE, &rl))
		SKIP(return, "cannot raise RLIMIT_NOFILE");
	for (i = 0; i < 1000; i++) {
		ASSERT_EQ(0, pipe(p[i]));
		ASSERT_EQ(0, poll_add(self->kq, p[i][0], KEVENT_POLL_IN, 0));
	}
	ASSERT_EQ(1, write(p[10][1], "x", 1));
	ASSERT_EQ(1, write(p[500][1], "x", 1));
	ASSERT_EQ(1, write(p[999][1], "x", 1));
	n = kq_wait_ms(self->kq, 3, 8, ev, KQ_HANG_MS);
	ASSERT_EQ(3, n);
	EXPECT_EQ(p[10][0], ev[0].id);
	EXPECT_EQ(p[500][0], ev[1].id);
	EXPECT_EQ(p[999][0], ev[2].id);
	for (i = 0; i < 1000; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

TEST_HARNESS_MAIN
