// SPDX-License-Identifier: GPL-2.0
/*
 * kevent selftests: one queue carries a socket, a timer, a signal, a child
 * exit, a futex wake, a POSIX timer expiry, a network AIO completion and
 * a file's change together.
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/futex.h>
#include <linux/time_types.h>

#include "../kselftest_harness.h"
#include "common.h"

#ifndef __NR_pidfd_open
#define __NR_pidfd_open		434
#endif

#define MS	1000000ULL

static __u32 futex_word;

static void *futex_waker(void *arg)
{
	usleep(20 * 1000);
	syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	return NULL;
}

enum { SOCK, TIMER, SIG, CHILD, FUTEX, PTIMER, NAIO, INODE, NR_SOURCES };

/* A network AIO receive buffer */
static char naio_buf[4096];

TEST(one_queue_carries_every_source)
{
	struct kevent_sigevent sev = {
		.sigev_value.sival_int = PTIMER,
		.sigev_notify = SIGEV_KEVENT,
	};
	struct ukevent uk[7] = {
		{ .type = KEVENT_TYPE_SOCKET, .event = KEVENT_SOCKET_RECV,
		  .udata = SOCK, .req_flags = KEVENT_REQ_ONESHOT },
		{ .type = KEVENT_TYPE_TIMER, .id = 1, .udata = TIMER,
		  .param = { 30 * MS, 0 } },
		{ .type = KEVENT_TYPE_SIGNAL, .id = SIGUSR1, .udata = SIG },
		{ .type = KEVENT_TYPE_PROC, .event = KEVENT_PROC_EXIT,
		  .udata = CHILD, .req_flags = KEVENT_REQ_ONESHOT },
		{ .type = KEVENT_TYPE_FUTEX, .id = (uintptr_t)&futex_word,
		  .event = KEVENT_FUTEX_PRIVATE, .udata = FUTEX,
		  .req_flags = KEVENT_REQ_ONESHOT },
		{ .type = KEVENT_TYPE_NAIO, .event = KEVENT_NAIO_RECV,
		  .udata = NAIO, .req_flags = KEVENT_REQ_ONESHOT,
		  .param = { (uintptr_t)naio_buf, sizeof(naio_buf) } },
		{ .type = KEVENT_TYPE_INODE, .event = KEVENT_INODE_WRITE,
		  .udata = INODE },
	};
	char path[] = "/tmp/kevent-all-XXXXXX";
	struct __kernel_timespec its[2] = { { 0, 0 }, { 0, 25 * MS } };
	int kq, sv[2], nv[2], pidfd, timer, seen[NR_SOURCES] = { 0 }, i, n;
	int file;
	struct ukevent ev[8];
	pthread_t waker;
	__s64 t0;
	pid_t pid;

	kq = kq_new(0);
	ASSERT_LE(0, kq);
	signal(SIGUSR1, SIG_IGN);

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	uk[0].id = sv[0];
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, nv));
	uk[5].id = nv[0];
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		usleep(40 * 1000);
		_exit(5);
	}
	pidfd = syscall(__NR_pidfd_open, pid, 0);
	ASSERT_LE(0, pidfd);
	uk[3].id = pidfd;
	file = mkstemp(path);
	ASSERT_LE(0, file);
	unlink(path);
	uk[6].id = file;
	ASSERT_EQ(7, kq_ctl(kq, KEVENT_CTL_ADD, 7, uk));

	sev.kevent_fd = kq;
	ASSERT_EQ(0, syscall(__NR_timer_create, CLOCK_MONOTONIC, &sev, &timer));
#ifdef __NR_timer_settime64
	ASSERT_EQ(0, syscall(__NR_timer_settime64, timer, 0, its, NULL));
#else
	ASSERT_EQ(0, syscall(__NR_timer_settime, timer, 0, its, NULL));
#endif

	ASSERT_EQ(0, pthread_create(&waker, NULL, futex_waker, NULL));
	ASSERT_EQ(0, raise(SIGUSR1));
	ASSERT_EQ(3, write(sv[1], "abc", 3));
	ASSERT_EQ(5, write(nv[1], "naio!", 5));
	ASSERT_EQ(4, write(file, "file", 4));

	/* Collect until every source was reported (or a hang guard) */
	t0 = now_ns(CLOCK_MONOTONIC);
	for (;;) {
		int all = 1;

		for (i = 0; i < NR_SOURCES; i++)
			all &= seen[i] > 0;
		if (all || now_ns(CLOCK_MONOTONIC) - t0 > KQ_HANG_MS * MS)
			break;
		n = kq_wait_ms(kq, 1, 8, ev, 500);
		ASSERT_LE(0, n);
		for (i = 0; i < n; i++) {
			ASSERT_GT(NR_SOURCES, ev[i].udata);
			seen[ev[i].udata]++;
			switch (ev[i].udata) {
			case SOCK:
				EXPECT_EQ(KEVENT_SOCKET_RECV, ev[i].event);
				EXPECT_EQ(3, KEVENT_DATA_IN(ev[i].ret_data));
				break;
			case TIMER:
				EXPECT_EQ(KEVENT_TIMER_EXPIRED, ev[i].event);
				EXPECT_EQ(1, ev[i].ret_data);
				break;
			case SIG:
				EXPECT_EQ(KEVENT_SIGNAL_ARRIVED, ev[i].event);
				EXPECT_EQ(1, ev[i].ret_data);
				break;
			case CHILD:
				EXPECT_EQ(KEVENT_PROC_EXIT | KEVENT_PROC_STATUS,
					  ev[i].event);
				EXPECT_TRUE(WIFEXITED((int)ev[i].ret_data));
				EXPECT_EQ(5, WEXITSTATUS((int)ev[i].ret_data));
				break;
			case FUTEX:
				EXPECT_EQ(KEVENT_FUTEX_WOKEN, ev[i].event);
				EXPECT_EQ(1, ev[i].ret_data);
				break;
			case PTIMER:
				EXPECT_EQ(KEVENT_TYPE_POSIX_TIMER, ev[i].type);
				EXPECT_EQ(timer, ev[i].id);
				EXPECT_EQ(KEVENT_TIMER_EXPIRED, ev[i].event);
				EXPECT_EQ(1, ev[i].ret_data);
				break;
			case NAIO:
				EXPECT_EQ(KEVENT_NAIO_RECV, ev[i].event);
				EXPECT_EQ(5, ev[i].ret_data);
				EXPECT_EQ(0, memcmp(naio_buf, "naio!", 5));
				break;
			case INODE:
				EXPECT_EQ(KEVENT_INODE_WRITE, ev[i].event);
				EXPECT_EQ(1, ev[i].ret_data);
				break;
			}
		}
	}
	/* Nothing is reported twice */
	EXPECT_EQ(0, kq_wait_ms(kq, 1, 8, ev, 100));
	EXPECT_EQ(1, seen[SOCK]);
	EXPECT_EQ(1, seen[TIMER]);
	EXPECT_EQ(1, seen[SIG]);
	EXPECT_EQ(1, seen[CHILD]);
	EXPECT_EQ(1, seen[FUTEX]);
	EXPECT_EQ(1, seen[PTIMER]);
	EXPECT_EQ(1, seen[NAIO]);
	EXPECT_EQ(1, seen[INODE]);

	pthread_join(waker, NULL);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	syscall(__NR_timer_delete, timer);
	close(pidfd);
	close(sv[0]);
	close(sv[1]);
	close(nv[0]);
	close(nv[1]);
	close(file);
	close(kq);
}

/*
 * Every source's registrations are charged to the queue's creator and
 * given back when they go: with fs.kevent.max_user_kevents at 3, a fourth
 * is -ENOSPC, and once one is removed (or the queue closed) it fits.
 */
struct charge {
	int kq;
	int fd[4][2];
	int timer[4];
	__u32 word[4];
};

static int charge_add_fd(struct charge *c, int i, __u32 type, __u32 events)
{
	return kq_add_fd(c->kq, type, c->fd[i][0], events, 0);
}

static int charge_pipe(struct charge *c, int i, __u32 type)
{
	if (!c->fd[i][0] && pipe(c->fd[i]))
		return -1;
	return charge_add_fd(c, i, type, KEVENT_POLL_IN);
}

static int add_poll(struct charge *c, int i)
{
	return charge_pipe(c, i, KEVENT_TYPE_POLL);
}

static int add_pipe(struct charge *c, int i)
{
	return charge_pipe(c, i, KEVENT_TYPE_PIPE);
}

static int add_socket(struct charge *c, int i)
{
	if (!c->fd[i][0] && socketpair(AF_UNIX, SOCK_STREAM, 0, c->fd[i]))
		return -1;
	return charge_add_fd(c, i, KEVENT_TYPE_SOCKET, KEVENT_SOCKET_RECV);
}

static int add_proc(struct charge *c, int i)
{
	if (!c->fd[i][0]) {
		c->fd[i][0] = syscall(__NR_pidfd_open, getpid(), 0);
		c->fd[i][1] = -1;
	}
	return charge_add_fd(c, i, KEVENT_TYPE_PROC, KEVENT_PROC_EXIT);
}

static int add_naio(struct charge *c, int i)
{
	struct ukevent uk = {
		.type = KEVENT_TYPE_NAIO, .event = KEVENT_NAIO_RECV,
		.req_flags = KEVENT_REQ_ONESHOT,
		.param = { (uintptr_t)naio_buf, sizeof(naio_buf) },
	};

	if (!c->fd[i][0] && socketpair(AF_UNIX, SOCK_STREAM, 0, c->fd[i]))
		return -1;
	uk.id = c->fd[i][0];
	return kq_ctl1(c->kq, KEVENT_CTL_ADD, uk);
}

static int add_inode(struct charge *c, int i)
{
	char path[] = "/tmp/kevent-charge-XXXXXX";

	if (!c->fd[i][0]) {
		c->fd[i][0] = mkstemp(path);
		if (c->fd[i][0] < 0)
			return -1;
		unlink(path);
		c->fd[i][1] = -1;
	}
	return charge_add_fd(c, i, KEVENT_TYPE_INODE, KEVENT_INODE_WRITE);
}

static int add_user(struct charge *c, int i)
{
	return user_add(c->kq, i, 0, 0);
}

static int add_timer(struct charge *c, int i)
{
	struct ukevent uk = {
		.id = i, .type = KEVENT_TYPE_TIMER, .param = { 1000000 * MS },
	};

	return kq_ctl1(c->kq, KEVENT_CTL_ADD, uk);
}

static int add_signal(struct charge *c, int i)
{
	struct ukevent uk = { .id = SIGRTMIN + i, .type = KEVENT_TYPE_SIGNAL };

	return kq_ctl1(c->kq, KEVENT_CTL_ADD, uk);
}

static int add_futex(struct charge *c, int i)
{
	struct ukevent uk = {
		.id = (uintptr_t)&c->word[i], .type = KEVENT_TYPE_FUTEX,
		.event = KEVENT_FUTEX_PRIVATE, .req_flags = KEVENT_REQ_ONESHOT,
	};

	return kq_ctl1(c->kq, KEVENT_CTL_ADD, uk);
}

static int add_posix_timer(struct charge *c, int i)
{
	struct kevent_sigevent sev = {
		.sigev_notify = SIGEV_KEVENT,
		.kevent_fd = c->kq,
	};

	return syscall(__NR_timer_create, CLOCK_MONOTONIC, &sev, &c->timer[i]);
}

/* Remove the i-th registration the way its source removes it */
static int charge_remove(struct charge *c, int i, __u32 type)
{
	struct ukevent uk = { .type = type, .id = i };

	switch (type) {
	case KEVENT_TYPE_POSIX_TIMER:
		return syscall(__NR_timer_delete, c->timer[i]);
	case KEVENT_TYPE_SIGNAL:
		uk.id = SIGRTMIN + i;
		break;
	case KEVENT_TYPE_FUTEX:
		uk.id = (uintptr_t)&c->word[i];
		break;
	case KEVENT_TYPE_POLL:
	case KEVENT_TYPE_PIPE:
	case KEVENT_TYPE_SOCKET:
	case KEVENT_TYPE_PROC:
	case KEVENT_TYPE_NAIO:
	case KEVENT_TYPE_INODE:
		/* the close hook */
		close(c->fd[i][0]);
		close(c->fd[i][1]);
		c->fd[i][0] = 0;
		return 0;
	}
	return kq_ctl1(c->kq, KEVENT_CTL_REMOVE, uk);
}

static const char max_path[] = "/proc/sys/fs/kevent/max_user_kevents";

FIXTURE(charge) {
	struct charge c;
	long old;
};

FIXTURE_VARIANT(charge) {
	__u32 type;
	int (*add)(struct charge *c, int i);
};

FIXTURE_VARIANT_ADD(charge, user) {
	.type = KEVENT_TYPE_USER,
	.add = add_user,
};

FIXTURE_VARIANT_ADD(charge, poll) {
	.type = KEVENT_TYPE_POLL,
	.add = add_poll,
};

FIXTURE_VARIANT_ADD(charge, pipe) {
	.type = KEVENT_TYPE_PIPE,
	.add = add_pipe,
};

FIXTURE_VARIANT_ADD(charge, socket) {
	.type = KEVENT_TYPE_SOCKET,
	.add = add_socket,
};

FIXTURE_VARIANT_ADD(charge, timer) {
	.type = KEVENT_TYPE_TIMER,
	.add = add_timer,
};

FIXTURE_VARIANT_ADD(charge, signal) {
	.type = KEVENT_TYPE_SIGNAL,
	.add = add_signal,
};

FIXTURE_VARIANT_ADD(charge, proc) {
	.type = KEVENT_TYPE_PROC,
	.add = add_proc,
};

FIXTURE_VARIANT_ADD(charge, futex) {
	.type = KEVENT_TYPE_FUTEX,
	.add = add_futex,
};

FIXTURE_VARIANT_ADD(charge, naio) {
	.type = KEVENT_TYPE_NAIO,
	.add = add_naio,
};

FIXTURE_VARIANT_ADD(charge, inode) {
	.type = KEVENT_TYPE_INODE,
	.add = add_inode,
};

FIXTURE_VARIANT_ADD(charge, posix_timer) {
	.type = KEVENT_TYPE_POSIX_TIMER,
	.add = add_posix_timer,
};

FIXTURE_SETUP(charge)
{
	memset(&self->c, 0, sizeof(self->c));
	self->old = kq_sysctl(max_path, -1);
	ASSERT_LT(0, self->old);
	if (getuid())
		SKIP(return, "not root: cannot change %s", max_path);
	self->c.kq = kq_new(0);
	ASSERT_LE(0, self->c.kq);
	ASSERT_EQ(3, kq_sysctl(max_path, 3));
}

/* The limit is global: put it back whatever happened. */
FIXTURE_TEARDOWN(charge)
{
	if (self->old > 0)
		kq_sysctl(max_path, self->old);
	close(self->c.kq);
}

TEST_F(charge, limited_and_given_back)
{
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, variant->add(&self->c, i));
	EXPECT_EQ(-1, variant->add(&self->c, 3));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(3, kq_fdinfo_count(self->c.kq));

	ASSERT_EQ(0, charge_remove(&self->c, 0, variant->type));
	EXPECT_EQ(2, kq_fdinfo_count(self->c.kq));
	EXPECT_EQ(0, variant->add(&self->c, 3));

	/* Closing the queue gives back the rest. */
	close(self->c.kq);
	self->c.kq = kq_new(0);
	ASSERT_LE(0, self->c.kq);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, variant->add(&self->c, i));
}

TEST_HARNESS_MAIN
