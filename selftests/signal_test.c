// SPDX-License-Identifier: GPL-2.0
/*
 * kevent selftests: KEVENT_TYPE_SIGNAL, signal arrival counts.
 */

#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "common.h"

static int sig_ctl(int kq, unsigned int cmd, __u64 signo)
{
	struct ukevent uk = {
		.id = signo,
		.udata = signo + 100,
		.type = KEVENT_TYPE_SIGNAL,
	};

	return kq_ctl1(kq, cmd, uk);
}

static int sig_add(int kq, __u64 signo)
{
	return sig_ctl(kq, KEVENT_CTL_ADD, signo);
}

/* Runs of count_handler(), which may interrupt a reader */
static int handled;

static void count_handler(int sig)
{
	__atomic_fetch_add(&handled, 1, __ATOMIC_RELAXED);
}

static int handled_count(void)
{
	return __atomic_load_n(&handled, __ATOMIC_RELAXED);
}

/*
 * The second half of exec_removes_registrations, in the program the test
 * execs with "KEVENT_SIGEXEC=kq" in the environment: the queue is still
 * open, and the registration made before the exec is gone.
 */
__attribute__((constructor)) static void sigexec_stage2(void)
{
	const char *env = getenv("KEVENT_SIGEXEC");
	struct ukevent ev;
	int kq;

	if (!env)
		return;
	kq = atoi(env);
	if (kq_fdinfo_count(kq) != 0)
		_exit(10);
	if (kill(getpid(), SIGUSR1) || kq_wait_ms(kq, 0, 1, &ev, 0) != 0)
		_exit(11);
	_exit(0);
}

FIXTURE(kq) {
	int kq;
};

FIXTURE_SETUP(kq)
{
	self->kq = kq_new(0);
	ASSERT_LE(0, self->kq);
	/* The signals used here do nothing unless a test says otherwise */
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	__atomic_store_n(&handled, 0, __ATOMIC_RELAXED);
}

FIXTURE_TEARDOWN(kq)
{
	close(self->kq);
}

TEST_F(kq, arrival_reported)
{
	struct ukevent ev;

	ASSERT_EQ(0, sig_add(self->kq, SIGUSR1));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	EXPECT_EQ(KEVENT_SIGNAL_ARRIVED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(KEVENT_TYPE_SIGNAL, ev.type);
	EXPECT_EQ(SIGUSR1, ev.id);
	EXPECT_EQ(SIGUSR1 + 100, ev.udata);
	EXPECT_EQ(1, ev.ret_data);
}

/* Three arrivals before a wait are one event with a count of three. */
TEST_F(kq, arrivals_coalesced_and_counted)
{
	struct ukevent ev[4];

	ASSERT_EQ(0, sig_add(self->kq, SIGUSR1));
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));
	ASSERT_EQ(0, raise(SIGUSR1));
	EXPECT_EQ(1, kq_wait_ms(self->kq, 1, 4, ev, KQ_HANG_MS));
	EXPECT_EQ(3, ev[0].ret_data);
	EXPECT_EQ(0, kq_wait_ms(self->kq, 1, 4, ev, 50));
}

TEST_F(kq, count_restarts_after_report)
{
	struct ukevent ev;

	ASSERT_EQ(0, sig_add(self->kq, SIGUSR1));
	ASSERT_EQ(0, raise(SIGUSR1));
	ASSERT_EQ(0, raise(SIGUSR1));
	EXPECT_EQ(KEVENT_SIGNAL_ARRIVED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(2, ev.ret_data);
	ASSERT_EQ(0, raise(SIGUSR1));
	EXPECT_EQ(KEVENT_SIGNAL_ARRIVED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(1, ev.ret_data);
}

/* The signal is still delivered: its handler runs. */
TEST_F(kq, handler_still_runs)
{
	struct ukevent ev;

	signal(SIGUSR1, count_handler);
	ASSERT_EQ(0, sig_add(self->kq, SIGUSR1));
	ASSERT_EQ(0, raise(SIGUSR1));
	EXPECT_EQ(1, handled_count());
	EXPECT_EQ(KEVENT_SIGNAL_ARRIVED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(1, ev.ret_data);
	signal(SIGUSR1, SIG_IGN);
}

/*
 * A blocked signal stays pending, and is counted each time it is sent
 * even though the standard signal is queued once.
 */
TEST_F(kq, blocked_signal_stays_pending)
{
	struct timespec zero = { 0 };
	struct ukevent ev;
	sigset_t set, old;

	signal(SIGUSR2, count_handler);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, &old));
	ASSERT_EQ(0, sig_add(self->kq, SIGUSR2));
	ASSERT_EQ(0, raise(SIGUSR2));
	ASSERT_EQ(0, raise(SIGUSR2));
	EXPECT_EQ(KEVENT_SIGNAL_ARRIVED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(2, ev.ret_data);
	EXPECT_EQ(SIGUSR2, sigtimedwait(&set, NULL, &zero));
	EXPECT_EQ(-1, sigtimedwait(&set, NULL, &zero));
	EXPECT_EQ(0, handled_count());
	ASSERT_EQ(0, sigprocmask(SIG_SETMASK, &old, NULL));
	signal(SIGUSR2, SIG_IGN);
}

/* Every queued real-time signal counts. */
TEST_F(kq, realtime_signals_counted)
{
	union sigval v = { .sival_int = 1 };
	struct ukevent ev;
	sigset_t set, old;
	int i;

	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, &old));
	ASSERT_EQ(0, sig_add(self->kq, SIGRTMIN));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, sigqueue(getpid(), SIGRTMIN, v));
	EXPECT_EQ(KEVENT_SIGNAL_ARRIVED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(5, ev.ret_data);
	signal(SIGRTMIN, SIG_IGN);	/* drops the queued ones */
	ASSERT_EQ(0, sigprocmask(SIG_SETMASK, &old, NULL));
	signal(SIGRTMIN, SIG_DFL);
}

static void *kill_thread(void *arg)
{
	pthread_t *target = arg;

	pthread_kill(*target, SIGUSR1);
	return NULL;
}

/* A signal sent to any thread of the process counts. */
TEST_F(kq, thread_directed_signal_counted)
{
	pthread_t self_thread = pthread_self(), t;
	struct ukevent ev;

	ASSERT_EQ(0, sig_add(self->kq, SIGUSR1));
	ASSERT_EQ(0, pthread_create(&t, NULL, kill_thread, &self_thread));
	pthread_join(t, NULL);
	EXPECT_EQ(KEVENT_SIGNAL_ARRIVED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(1, ev.ret_data);
}

TEST_F(kq, signal_from_another_process_counted)
{
	struct ukevent ev;
	pid_t parent = getpid(), pid;
	int status;

	ASSERT_EQ(0, sig_add(self->kq, SIGUSR1));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(kill(parent, SIGUSR1) ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(KEVENT_SIGNAL_ARRIVED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(1, ev.ret_data);
}

/* A POSIX timer's signal takes another path (send_sigqueue()). */
TEST_F(kq, timer_signal_counted)
{
	struct sigevent sev = {
		.sigev_notify = SIGEV_SIGNAL,
		.sigev_signo = SIGUSR1,
	};
	struct itimerspec its = { .it_value.tv_nsec = 10 * 1000 * 1000 };
	struct ukevent ev;
	timer_t timer;

	ASSERT_EQ(0, sig_add(self->kq, SIGUSR1));
	ASSERT_EQ(0, timer_create(CLOCK_MONOTONIC, &sev, &timer));
	ASSERT_EQ(0, timer_settime(timer, 0, &its, NULL));
	EXPECT_EQ(KEVENT_SIGNAL_ARRIVED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(1, ev.ret_data);
	timer_delete(timer);
}

TEST_F(kq, other_signal_not_reported)
{
	struct ukevent ev;

	ASSERT_EQ(0, sig_add(self->kq, SIGUSR1));
	ASSERT_EQ(0, raise(SIGUSR2));
	EXPECT_EQ(0, kq_wait_one(self->kq, 50, &ev));
}

/* A registration watches the process that added it, not its children. */
TEST_F(kq, child_signal_not_counted)
{
	struct ukevent ev;
	int status;
	pid_t pid;

	ASSERT_EQ(0, sig_add(self->kq, SIGUSR1));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(raise(SIGUSR1) ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, kq_wait_one(self->kq, 50, &ev));
}

/* SIGCHLD, ignored by default, counts a child's exit. */
TEST_F(kq, default_ignored_sigchld_counted)
{
	struct ukevent ev;
	int status;
	pid_t pid;

	signal(SIGCHLD, SIG_DFL);
	ASSERT_EQ(0, sig_add(self->kq, SIGCHLD));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(0);
	EXPECT_EQ(KEVENT_SIGNAL_ARRIVED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(1, ev.ret_data);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
}

TEST_F(kq, remove_stops_counting)
{
	struct ukevent ev;

	ASSERT_EQ(0, sig_add(self->kq, SIGUSR1));
	ASSERT_EQ(0, kq_remove(self->kq, KEVENT_TYPE_SIGNAL, SIGUSR1));
	ASSERT_EQ(0, raise(SIGUSR1));
	EXPECT_EQ(0, kq_wait_one(self->kq, 50, &ev));
	ASSERT_EQ(0, sig_add(self->kq, SIGUSR1));
	EXPECT_EQ(0, kq_wait_one(self->kq, 50, &ev));
}

/* Two queues watching one signal count it each. */
TEST_F(kq, two_queues_both_count)
{
	int kq2 = kq_new(0);
	struct ukevent ev;

	ASSERT_LE(0, kq2);
	ASSERT_EQ(0, sig_add(self->kq, SIGUSR1));
	ASSERT_EQ(0, sig_add(kq2, SIGUSR1));
	ASSERT_EQ(0, raise(SIGUSR1));
	EXPECT_EQ(KEVENT_SIGNAL_ARRIVED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(1, ev.ret_data);
	EXPECT_EQ(KEVENT_SIGNAL_ARRIVED, kq_wait_one(kq2, KQ_HANG_MS, &ev));
	EXPECT_EQ(1, ev.ret_data);
	close(kq2);
}

TEST_F(kq, sigkill_einval)
{
	EXPECT_EQ(-1, sig_add(self->kq, SIGKILL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

TEST_F(kq, sigstop_einval)
{
	EXPECT_EQ(-1, sig_add(self->kq, SIGSTOP));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

TEST_F(kq, bad_signal_number_einval)
{
	static const __u64 bad[] = { 0, 65, 1ULL << 32 | SIGUSR1, ~0ULL };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, sig_add(self->kq, bad[i]));
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

TEST_F(kq, nonzero_param_einval)
{
	struct ukevent uk = {
		.id = SIGUSR1,
		.type = KEVENT_TYPE_SIGNAL,
		.param = { 1, 0 },
	};

	EXPECT_EQ(-1, kq_ctl1(self->kq, KEVENT_CTL_ADD, uk));
	EXPECT_EQ(EINVAL, errno);
	uk.param[0] = 0;
	uk.event = 2;
	EXPECT_EQ(-1, kq_ctl1(self->kq, KEVENT_CTL_ADD, uk));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

/*
 * A signal registration belongs to the process that made it, and goes when
 * it execs: the new program, perhaps a setuid one, is not watched through a
 * queue it inherited (or that another process holds).
 */
TEST_F(kq, exec_removes_registrations)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char env[16];

		if (sig_add(self->kq, SIGUSR1) || sig_add(self->kq, SIGUSR2))
			_exit(1);
		snprintf(env, sizeof(env), "%d", self->kq);
		setenv("KEVENT_SIGEXEC", env, 1);
		execl("/proc/self/exe", "/proc/self/exe", (char *)NULL);
		_exit(2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

/* ... and when it exits, whoever holds the queue. */
TEST_F(kq, exit_removes_registrations)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(sig_add(self->kq, SIGUSR1) || kq_fdinfo_count(self->kq) != 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

/*
 * After fork, the child watches its own signals under the same (type, id):
 * a signal sent to one process is counted by its registration only.
 */
TEST_F(kq, fork_child_watches_its_own)
{
	int up[2], down[2], status;
	struct ukevent ev;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	ASSERT_EQ(0, sig_add(self->kq, SIGUSR1));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (sig_add(self->kq, SIGUSR1))
			_exit(1);
		if (write(up[1], "x", 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(1, read(up[0], &c, 1));
	EXPECT_EQ(2, kq_fdinfo_count(self->kq));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(1, ev.ret_data);
	/* the parent's was not counted */
	EXPECT_EQ(0, kq_wait_ms(self->kq, 0, 1, &ev, 0));
	ASSERT_EQ(1, write(down[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));
}

/*
 * One signal of one process is watched by 64 queues at most: sending it
 * walks its registrations with the signal lock held.
 */
TEST_F(kq, sixty_four_queues_per_signal)
{
	int q[65], i;

	for (i = 0; i < 65; i++) {
		ASSERT_LE(0, q[i] = kq_new(0));
		if (i < 64) {
			ASSERT_EQ(0, sig_add(q[i], SIGUSR1));
		} else {
			EXPECT_EQ(-1, sig_add(q[i], SIGUSR1));
			EXPECT_EQ(ENOSPC, errno);
		}
	}
	/* another signal has room, and so has this one after a removal */
	EXPECT_EQ(0, sig_add(q[64], SIGUSR2));
	close(q[0]);
	EXPECT_EQ(0, sig_add(q[64], SIGUSR1));
	for (i = 1; i < 65; i++)
		close(q[i]);
}

TEST_HARNESS_MAIN
