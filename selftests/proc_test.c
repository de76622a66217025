// SPDX-License-Identifier: GPL-2.0
/*
 * kevent selftests: KEVENT_TYPE_PROC, process exit by pidfd.
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "common.h"

#ifndef __NR_pidfd_open
#define __NR_pidfd_open		434
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD		O_EXCL
#endif

static int pidfd_open(pid_t pid, unsigned int flags)
{
	return syscall(__NR_pidfd_open, pid, flags);
}

static int proc_add(int kq, int pidfd, __u32 req_flags)
{
	return kq_add_fd(kq, KEVENT_TYPE_PROC, pidfd, KEVENT_PROC_EXIT,
			 req_flags);
}

/* A child that waits for a byte (or EOF) on @fd, then exits with @code. */
static pid_t child_exit_on_read(int fd, int code)
{
	pid_t pid = fork();
	char c;

	if (!pid) {
		if (read(fd, &c, 1) < 0)
			_exit(99);
		_exit(code);
	}
	return pid;
}

/* Fork a child_exit_on_read() child: its pidfd, or -1 */
static int spawn(int fd, int code, pid_t *pid)
{
	*pid = child_exit_on_read(fd, code);
	return *pid < 0 ? -1 : pidfd_open(*pid, 0);
}

FIXTURE(kq) {
	int kq;
	int pipe[2];
};

FIXTURE_SETUP(kq)
{
	self->kq = kq_new(0);
	ASSERT_LE(0, self->kq);
	ASSERT_EQ(0, pipe(self->pipe));
}

FIXTURE_TEARDOWN(kq)
{
	close(self->kq);
	close(self->pipe[0]);
	close(self->pipe[1]);
}

TEST_F(kq, child_exit_status)
{
	struct ukevent ev;
	int pidfd, status;
	pid_t pid;

	pidfd = spawn(self->pipe[0], 7, &pid);
	ASSERT_LE(0, pidfd);
	ASSERT_EQ(0, proc_add(self->kq, pidfd, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 50, &ev));

	ASSERT_EQ(1, write(self->pipe[1], "x", 1));
	EXPECT_EQ(KEVENT_PROC_EXIT | KEVENT_PROC_STATUS,
		  kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(KEVENT_TYPE_PROC, ev.type);
	EXPECT_EQ(pidfd, ev.id);
	EXPECT_EQ(FD_UDATA(KEVENT_TYPE_PROC, pidfd), ev.udata);
	EXPECT_TRUE(WIFEXITED((int)ev.ret_data));
	EXPECT_EQ(7, WEXITSTATUS((int)ev.ret_data));
	/* The registration does not reap the child. */
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(status, (int)ev.ret_data);
	close(pidfd);
}

TEST_F(kq, child_killed_status)
{
	struct ukevent ev;
	int pidfd, status;
	pid_t pid;

	pidfd = spawn(self->pipe[0], 0, &pid);
	ASSERT_LE(0, pidfd);
	ASSERT_EQ(0, proc_add(self->kq, pidfd, 0));
	ASSERT_EQ(0, kill(pid, SIGTERM));
	EXPECT_EQ(KEVENT_PROC_EXIT | KEVENT_PROC_STATUS,
		  kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_TRUE(WIFSIGNALED((int)ev.ret_data));
	EXPECT_EQ(SIGTERM, WTERMSIG((int)ev.ret_data));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(status, (int)ev.ret_data);
	close(pidfd);
}

/* A child that SIGCHLD=SIG_IGN reaps at once still has its status. */
TEST_F(kq, autoreaped_child_status)
{
	struct ukevent ev;
	int pidfd;
	pid_t pid;

	signal(SIGCHLD, SIG_IGN);
	pidfd = spawn(self->pipe[0], 3, &pid);
	ASSERT_LE(0, pidfd);
	ASSERT_EQ(0, proc_add(self->kq, pidfd, 0));
	ASSERT_EQ(1, write(self->pipe[1], "x", 1));
	EXPECT_EQ(KEVENT_PROC_EXIT | KEVENT_PROC_STATUS,
		  kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(3, WEXITSTATUS((int)ev.ret_data));
	EXPECT_EQ(-1, waitpid(pid, NULL, 0));
	EXPECT_EQ(ECHILD, errno);
	signal(SIGCHLD, SIG_DFL);
	close(pidfd);
}

/*
 * A process that is not our child: reported as exited, without a status.
 * The middle child forks it, sends its pid and waits for it.
 */
TEST_F(kq, non_child_exit)
{
	int report[2], pidfd, status;
	struct ukevent ev;
	pid_t mid, grandchild;

	ASSERT_EQ(0, pipe(report));
	mid = fork();
	ASSERT_LE(0, mid);
	if (!mid) {
		grandchild = child_exit_on_read(self->pipe[0], 5);
		if (write(report[1], &grandchild, sizeof(grandchild)) < 0)
			_exit(1);
		waitpid(grandchild, &status, 0);
		_exit(WEXITSTATUS(status) == 5 ? 0 : 1);
	}
	ASSERT_EQ(sizeof(grandchild),
		  read(report[0], &grandchild, sizeof(grandchild)));
	pidfd = pidfd_open(grandchild, 0);
	ASSERT_LE(0, pidfd);
	ASSERT_EQ(0, proc_add(self->kq, pidfd, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 50, &ev));
	ASSERT_EQ(1, write(self->pipe[1], "x", 1));
	EXPECT_EQ(KEVENT_PROC_EXIT, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(0, ev.ret_data);
	ASSERT_EQ(mid, waitpid(mid, &status, 0));
	EXPECT_EQ(0, status);
	close(pidfd);
	close(report[0]);
	close(report[1]);
}

/* A zombie child is reported at once, with its status. */
TEST_F(kq, already_exited_child)
{
	siginfo_t info = { 0 };
	struct ukevent ev;
	int pidfd;
	pid_t pid;

	pidfd = spawn(self->pipe[0], 9, &pid);
	ASSERT_LE(0, pidfd);
	ASSERT_EQ(1, write(self->pipe[1], "x", 1));
	/* Wait for the zombie without reaping it */
	ASSERT_EQ(0, waitid(P_PID, pid, &info, WEXITED | WNOWAIT));
	ASSERT_EQ(0, proc_add(self->kq, pidfd, 0));
	EXPECT_EQ(KEVENT_PROC_EXIT | KEVENT_PROC_STATUS,
		  kq_wait_one(self->kq, 0, &ev));
	EXPECT_EQ(9, WEXITSTATUS((int)ev.ret_data));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	close(pidfd);
}

/* The pidfd of a process already reaped: exited, status unknown. */
TEST_F(kq, already_reaped_pidfd)
{
	struct ukevent ev;
	int pidfd;
	pid_t pid;

	pidfd = spawn(self->pipe[0], 9, &pid);
	ASSERT_LE(0, pidfd);
	ASSERT_EQ(1, write(self->pipe[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	ASSERT_EQ(0, proc_add(self->kq, pidfd, 0));
	EXPECT_EQ(KEVENT_PROC_EXIT, kq_wait_one(self->kq, 0, &ev));
	EXPECT_EQ(0, ev.ret_data);
	close(pidfd);
}

/*
 * The process exits when its last thread does, not its first: that one
 * exits once the parent has seen no exit and closes the gate's write end.
 */
static void *exit_later(void *arg)
{
	char c;

	if (read(*(int *)arg, &c, 1) < 0)
		exit(1);
	exit(4);
}

TEST_F(kq, exit_when_last_thread_exits)
{
	struct ukevent ev;
	int pidfd;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		pthread_t t;

		close(self->pipe[1]);
		if (pthread_create(&t, NULL, exit_later, &self->pipe[0]))
			_exit(1);
		pthread_exit(NULL);
	}
	pidfd = pidfd_open(pid, 0);
	ASSERT_LE(0, pidfd);
	ASSERT_EQ(0, proc_add(self->kq, pidfd, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 50, &ev));
	close(self->pipe[1]);
	self->pipe[1] = -1;
	EXPECT_EQ(KEVENT_PROC_EXIT | KEVENT_PROC_STATUS,
		  kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(4, WEXITSTATUS((int)ev.ret_data));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	close(pidfd);
}

/* Level-triggered by default: reported again until removed. */
TEST_F(kq, oneshot_reports_once)
{
	struct ukevent ev;
	int pidfd;
	pid_t pid;

	pidfd = spawn(self->pipe[0], 0, &pid);
	ASSERT_LE(0, pidfd);
	ASSERT_EQ(0, proc_add(self->kq, pidfd, KEVENT_REQ_ONESHOT));
	ASSERT_EQ(1, write(self->pipe[1], "x", 1));
	EXPECT_EQ(KEVENT_PROC_EXIT | KEVENT_PROC_STATUS,
		  kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	close(pidfd);
}

TEST_F(kq, remove_before_exit)
{
	struct ukevent ev;
	int pidfd;
	pid_t pid;

	pidfd = spawn(self->pipe[0], 0, &pid);
	ASSERT_LE(0, pidfd);
	ASSERT_EQ(0, proc_add(self->kq, pidfd, 0));
	ASSERT_EQ(0, kq_remove(self->kq, KEVENT_TYPE_PROC, pidfd));
	ASSERT_EQ(1, write(self->pipe[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 50, &ev));
	close(pidfd);
}

TEST_F(kq, close_pidfd_removes)
{
	int pidfd;
	pid_t pid;

	pidfd = spawn(self->pipe[0], 0, &pid);
	ASSERT_LE(0, pidfd);
	ASSERT_EQ(0, proc_add(self->kq, pidfd, 0));
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));
	close(pidfd);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	ASSERT_EQ(1, write(self->pipe[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
}

TEST_F(kq, bad_pidfd_ebadf)
{
	EXPECT_EQ(-1, proc_add(self->kq, 1000, 0));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, proc_add(self->kq, -1, 0));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

TEST_F(kq, not_a_pidfd_einval)
{
	EXPECT_EQ(-1, proc_add(self->kq, self->pipe[0], 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

TEST_F(kq, thread_pidfd_einval)
{
	int pidfd = pidfd_open(getpid(), PIDFD_THREAD);

	ASSERT_LE(0, pidfd);
	EXPECT_EQ(-1, proc_add(self->kq, pidfd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	close(pidfd);
}

TEST_F(kq, bad_event_or_param_einval)
{
	int pidfd = pidfd_open(getpid(), 0);
	struct ukevent uk = {
		.id = pidfd,
		.type = KEVENT_TYPE_PROC,
		.event = KEVENT_PROC_STATUS,
	};

	ASSERT_LE(0, pidfd);
	EXPECT_EQ(-1, kq_ctl1(self->kq, KEVENT_CTL_ADD, uk));
	EXPECT_EQ(EINVAL, errno);
	uk.event = KEVENT_PROC_EXIT;
	uk.param[1] = 1;
	EXPECT_EQ(-1, kq_ctl1(self->kq, KEVENT_CTL_ADD, uk));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	close(pidfd);
}

TEST_HARNESS_MAIN
