// SPDX-License-Identifier: GPL-2.0
/*
 * kevent selftests: one queue carries a socket, a timer, a signal, a child
 * exit, a futex wake and a POSIX timer expiry together.
 */

#define _GNU_SOURCE
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

enum { SOCK, TIMER, SIG, CHILD, FUTEX, PTIMER, NR_SOURCES };

TEST(one_queue_carries_every_source)
{
	struct kevent_sigevent sev = {
		.sigev_value.sival_int = PTIMER,
		.sigev_notify = SIGEV_KEVENT,
	};
	struct ukevent uk[5] = {
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
	};
	struct __kernel_timespec its[2] = { { 0, 0 }, { 0, 25 * MS } };
	int kq, sv[2], pidfd, timer, seen[NR_SOURCES] = { 0 }, i, n;
	struct ukevent ev[8];
	pthread_t waker;
	__s64 t0;
	pid_t pid;

	kq = kq_new(0);
	ASSERT_LE(0, kq);
	signal(SIGUSR1, SIG_IGN);

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	uk[0].id = sv[0];
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		usleep(40 * 1000);
		_exit(5);
	}
	pidfd = syscall(__NR_pidfd_open, pid, 0);
	ASSERT_LE(0, pidfd);
	uk[3].id = pidfd;
	ASSERT_EQ(5, sys_kevent_ctl(kq, KEVENT_CTL_ADD, 5, uk));

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

	/* Collect for up to 5 s, until every source was reported */
	t0 = now_ns(CLOCK_MONOTONIC);
	for (;;) {
		int all = 1;

		for (i = 0; i < NR_SOURCES; i++)
			all &= seen[i] > 0;
		if (all || now_ns(CLOCK_MONOTONIC) - t0 > 5000 * MS)
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

	pthread_join(waker, NULL);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	syscall(__NR_timer_delete, timer);
	close(pidfd);
	close(sv[0]);
	close(sv[1]);
	close(kq);
}

TEST_HARNESS_MAIN
