// SPDX-License-Identifier: GPL-2.0
/*
 * kevent selftests: KEVENT_TYPE_POSIX_TIMER, timer_create() with
 * SIGEV_KEVENT.
 *
 * The timer system calls are made directly, with the kernel's timer ids
 * and 64-bit times, so that the tests do not depend on how the C library
 * wraps them.
 */

#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/wait.h>
#include <linux/time_types.h>

#include "../kselftest_harness.h"
#include "common.h"

#ifdef __NR_timer_settime64
#define NR_timer_settime	__NR_timer_settime64
#else
#define NR_timer_settime	__NR_timer_settime
#endif

#define MS	1000000LL

static int ptimer_create_clock(int clock, int kq, void *value, int *id)
{
	struct kevent_sigevent sev = {
		.sigev_value.sival_ptr = value,
		.sigev_notify = SIGEV_KEVENT,
		.kevent_fd = kq,
	};

	return syscall(__NR_timer_create, clock, &sev, id);
}

static int ptimer_create(int kq, void *value, int *id)
{
	return ptimer_create_clock(CLOCK_MONOTONIC, kq, value, id);
}

static int ptimer_set(int id, __s64 value, __s64 interval)
{
	struct __kernel_itimerspec its = {
		.it_value = { value / 1000000000, value % 1000000000 },
		.it_interval = { interval / 1000000000, interval % 1000000000 },
	};

	return syscall(NR_timer_settime, id, 0, &its, NULL);
}

static int ptimer_delete(int id)
{
	return syscall(__NR_timer_delete, id);
}

static int ptimer_getoverrun(int id)
{
	return syscall(__NR_timer_getoverrun, id);
}

FIXTURE(kq) {
	int kq;
	int id;
};

FIXTURE_SETUP(kq)
{
	self->kq = kq_new(0);
	ASSERT_LE(0, self->kq);
	self->id = -1;
}

FIXTURE_TEARDOWN(kq)
{
	if (self->id >= 0)
		ptimer_delete(self->id);
	close(self->kq);
}

TEST_F(kq, expiry_delivered)
{
	__s64 t0 = now_ns(CLOCK_MONOTONIC);
	struct ukevent ev;

	ASSERT_EQ(0, ptimer_create(self->kq, (void *)0x1234, &self->id));
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	ASSERT_EQ(0, ptimer_set(self->id, 20 * MS, 0));
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_LE(t0 + 20 * MS, now_ns(CLOCK_MONOTONIC));
	EXPECT_EQ(KEVENT_TYPE_POSIX_TIMER, ev.type);
	EXPECT_EQ(self->id, ev.id);
	EXPECT_EQ(0x1234, ev.udata);
	EXPECT_EQ(1, ev.ret_data);
	/* One-shot: reported once */
	EXPECT_EQ(0, kq_wait_one(self->kq, 50, &ev));
}

/*
 * A periodic timer rearms when reported; the periods missed are counted:
 * at least those of the sleep, at most those since it was set.
 */
TEST_F(kq, periodic_overruns)
{
	__s64 t0 = now_ns(CLOCK_MONOTONIC), t1;
	struct ukevent ev;

	ASSERT_EQ(0, ptimer_create(self->kq, NULL, &self->id));
	ASSERT_EQ(0, ptimer_set(self->id, 10 * MS, 10 * MS));
	usleep(105 * 1000);
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	t1 = now_ns(CLOCK_MONOTONIC);
	EXPECT_LE(10, ev.ret_data);
	EXPECT_GE((t1 - t0) / (10 * MS), ev.ret_data);
	/* As after a signal: timer_getoverrun() is the expiries but one */
	EXPECT_EQ(ev.ret_data - 1, ptimer_getoverrun(self->id));
	/* And it goes on */
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_LE(1, ev.ret_data);
}

/* No signal is sent: SIGALRM's default action would kill the test. */
TEST_F(kq, no_signal_sent)
{
	struct ukevent ev;
	sigset_t pending;

	ASSERT_EQ(0, ptimer_create(self->kq, NULL, &self->id));
	ASSERT_EQ(0, ptimer_set(self->id, 1 * MS, 0));
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	sigpending(&pending);
	EXPECT_FALSE(sigismember(&pending, SIGALRM));
}

TEST_F(kq, timer_delete_removes_pending)
{
	struct ukevent ev;

	ASSERT_EQ(0, ptimer_create(self->kq, NULL, &self->id));
	ASSERT_EQ(0, ptimer_set(self->id, 1 * MS, 0));
	/* Pending: the queue is readable */
	ASSERT_EQ(1, poll(&(struct pollfd){ self->kq, POLLIN }, 1, KQ_HANG_MS));
	ASSERT_EQ(0, ptimer_delete(self->id));
	self->id = -1;
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
}

/* Re-setting a timer re-arms it; its registration stays. */
TEST_F(kq, settime_rearms)
{
	struct ukevent ev;

	ASSERT_EQ(0, ptimer_create(self->kq, NULL, &self->id));
	ASSERT_EQ(0, ptimer_set(self->id, 10 * MS, 0));
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	ASSERT_EQ(0, ptimer_set(self->id, 10 * MS, 0));
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(1, ev.ret_data);
}

TEST_F(kq, disarm_cancels)
{
	struct ukevent ev;

	ASSERT_EQ(0, ptimer_create(self->kq, NULL, &self->id));
	ASSERT_EQ(0, ptimer_set(self->id, 30 * MS, 0));
	ASSERT_EQ(0, ptimer_set(self->id, 0, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 100, &ev));
}

/* Each clock's timer code queues the same way. */
TEST_F(kq, realtime_and_boottime_clocks)
{
	struct ukevent ev;
	int id2;

	ASSERT_EQ(0, ptimer_create_clock(CLOCK_REALTIME, self->kq, NULL,
					 &self->id));
	ASSERT_EQ(0, ptimer_create_clock(CLOCK_BOOTTIME, self->kq, NULL, &id2));
	ASSERT_EQ(0, ptimer_set(self->id, 10 * MS, 0));
	ASSERT_EQ(0, ptimer_set(id2, 10 * MS, 0));
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(0, ptimer_delete(id2));
}

/*
 * A timer on the process's CPU clock fires after 5 ms of CPU time: burn CPU
 * polling the queue until it does, or until the process has had 1000 times
 * that (the guest's own clock, whatever the host's load).
 */
TEST_F(kq, cpu_clock_timer)
{
	struct ukevent ev;
	int ret;

	ASSERT_EQ(0, ptimer_create_clock(CLOCK_PROCESS_CPUTIME_ID, self->kq,
					 NULL, &self->id));
	ASSERT_EQ(0, ptimer_set(self->id, 5 * MS, 0));
	do
		ret = kq_wait_one(self->kq, 0, &ev);
	while (!ret && now_ns(CLOCK_PROCESS_CPUTIME_ID) < 5000 * MS);
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, ret);
	EXPECT_EQ(KEVENT_TYPE_POSIX_TIMER, ev.type);
}

/*
 * A CPU-clock timer whose queue fd is bad fails before the clock takes
 * anything (the debug kernel's leak check sees a struct pid otherwise).
 */
TEST_F(kq, cpu_clock_bad_fd_ebadf)
{
	int status, id;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (ptimer_create_clock(CLOCK_PROCESS_CPUTIME_ID, -1, NULL,
					&id) != -1 || errno != EBADF)
			_exit(1);
		if (ptimer_create_clock(CLOCK_THREAD_CPUTIME_ID, -1, NULL,
					&id) != -1 || errno != EBADF)
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
}

/*
 * /proc/PID/timers, which CRIU reads, names the notification of a
 * SIGEV_KEVENT timer "kevent".
 */
TEST_F(kq, proc_timers_names_kevent)
{
	char line[256], want[64];
	int found = 0;
	FILE *f;

	ASSERT_EQ(0, ptimer_create(self->kq, NULL, &self->id));
	f = fopen("/proc/self/timers", "r");
	if (!f)
		SKIP(return, "no /proc/self/timers (CONFIG_CHECKPOINT_RESTORE)");
	snprintf(want, sizeof(want), "notify: kevent/pid.%d\n", getpid());
	while (fgets(line, sizeof(line), f))
		found += !strcmp(line, want);
	fclose(f);
	EXPECT_EQ(1, found);
}

/* The exit of the process deletes its timers and their registrations. */
TEST_F(kq, exit_removes_registration)
{
	int status, id;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (ptimer_create(self->kq, NULL, &id) ||
		    ptimer_set(id, 5000 * MS, 0))
			_exit(1);
		_exit(kq_fdinfo_count(self->kq) == 1 ? 0 : 2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

/* Closing the queue leaves the timer, which no longer tells anybody. */
TEST_F(kq, close_queue_keeps_timer)
{
	struct __kernel_itimerspec cur;

	ASSERT_EQ(0, ptimer_create(self->kq, NULL, &self->id));
	ASSERT_EQ(0, ptimer_set(self->id, 10 * MS, 10 * MS));
	close(self->kq);
	usleep(50 * 1000);
	self->kq = kq_new(0);
#ifdef __NR_timer_gettime64
	EXPECT_EQ(0, syscall(__NR_timer_gettime64, self->id, &cur));
#else
	EXPECT_EQ(0, syscall(__NR_timer_gettime, self->id, &cur));
#endif
	EXPECT_EQ(0, ptimer_delete(self->id));
	self->id = -1;
}

TEST_F(kq, remove_registration_keeps_timer)
{
	struct ukevent ev;

	ASSERT_EQ(0, ptimer_create(self->kq, NULL, &self->id));
	ASSERT_EQ(0, kq_remove(self->kq, KEVENT_TYPE_POSIX_TIMER, self->id));
	ASSERT_EQ(0, ptimer_set(self->id, 1 * MS, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 50, &ev));
	EXPECT_EQ(0, ptimer_delete(self->id));
	self->id = -1;
}

TEST_F(kq, modify_changes_udata)
{
	struct ukevent uk = { .type = KEVENT_TYPE_POSIX_TIMER, .udata = 7 };
	struct ukevent ev;

	ASSERT_EQ(0, ptimer_create(self->kq, NULL, &self->id));
	uk.id = self->id;
	ASSERT_EQ(0, kq_ctl1(self->kq, KEVENT_CTL_MODIFY, uk));
	ASSERT_EQ(0, ptimer_set(self->id, 1 * MS, 0));
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(7, ev.udata);
}

TEST_F(kq, ctl_add_einval)
{
	struct ukevent uk = { .type = KEVENT_TYPE_POSIX_TIMER, .id = 1 };

	EXPECT_EQ(-1, kq_ctl1(self->kq, KEVENT_CTL_ADD, uk));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

TEST_F(kq, bad_fd_ebadf)
{
	int id;

	EXPECT_EQ(-1, ptimer_create(1000, NULL, &id));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, ptimer_create(-1, NULL, &id));
	EXPECT_EQ(EBADF, errno);
}

TEST_F(kq, not_a_queue_einval)
{
	int p[2], id;

	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(-1, ptimer_create(p[0], NULL, &id));
	EXPECT_EQ(EINVAL, errno);
	close(p[0]);
	close(p[1]);
}

/*
 * A POSIX timer registration belongs to its process: a timer of another
 * process sharing the queue with the same id is a registration of its own.
 */
TEST_F(kq, same_id_of_another_process)
{
	struct kevent_sigevent none = { .sigev_notify = 1 /* SIGEV_NONE */ };
	int status, i, id;
	pid_t pid;

	ASSERT_EQ(0, ptimer_create(self->kq, NULL, &self->id));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Take the ids below ours, then ask for ours */
		for (i = 0; i < self->id; i++)
			if (syscall(__NR_timer_create, CLOCK_MONOTONIC, &none,
				    &id))
				_exit(1);
		if (ptimer_create(self->kq, NULL, &id) || id != self->id)
			_exit(2);
		if (kq_fdinfo_count(self->kq) != 2)
			_exit(3);
		/* Its exit removes its own only */
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));
}

TEST_F(kq, bad_clock_einval)
{
	int id;

	EXPECT_EQ(-1, ptimer_create_clock(12345, self->kq, NULL, &id));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

TEST_F(kq, signo_or_thread_id_einval)
{
	struct kevent_sigevent sev = {
		.sigev_signo = SIGUSR1,
		.sigev_notify = SIGEV_KEVENT,
		.kevent_fd = self->kq,
	};
	int id;

	EXPECT_EQ(-1, syscall(__NR_timer_create, CLOCK_MONOTONIC, &sev, &id));
	EXPECT_EQ(EINVAL, errno);
	sev.sigev_signo = 0;
	sev.sigev_notify = SIGEV_KEVENT | 4 /* SIGEV_THREAD_ID */;
	EXPECT_EQ(-1, syscall(__NR_timer_create, CLOCK_MONOTONIC, &sev, &id));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

TEST_HARNESS_MAIN
