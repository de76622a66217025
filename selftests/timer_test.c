// SPDX-License-Identifier: GPL-2.0
/*
 * kevent selftests: KEVENT_TYPE_TIMER, high resolution timers.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "common.h"

#define MS	1000000ULL

static int timer_ctl(int kq, unsigned int cmd, __u64 id, __u32 options,
		     __u64 expiry, __u64 period, __u32 req_flags)
{
	struct ukevent uk = {
		.id = id,
		.udata = id + 100,
		.type = KEVENT_TYPE_TIMER,
		.event = options,
		.req_flags = req_flags,
		.param = { expiry, period },
	};

	return kq_ctl1(kq, cmd, uk);
}

static int timer_add(int kq, __u64 id, __u32 options, __u64 expiry,
		     __u64 period)
{
	return timer_ctl(kq, KEVENT_CTL_ADD, id, options, expiry, period, 0);
}

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

/* A relative timer fires, and not before its expiry. */
TEST_F(kq, relative_not_before_expiry)
{
	__s64 t0 = now_ns(CLOCK_MONOTONIC), t1;
	struct ukevent ev;

	ASSERT_EQ(0, timer_add(self->kq, 1, 0, 50 * MS, 0));
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	t1 = now_ns(CLOCK_MONOTONIC);
	EXPECT_LE(t0 + 50 * MS, t1);
	EXPECT_EQ(1, ev.id);
	EXPECT_EQ(101, ev.udata);
	EXPECT_EQ(KEVENT_TYPE_TIMER, ev.type);
	EXPECT_EQ(1, ev.ret_data);
}

/* A one-shot timer is reported once; the registration stays. */
TEST_F(kq, one_shot_reported_once)
{
	struct ukevent ev;

	ASSERT_EQ(0, timer_add(self->kq, 1, 0, 10 * MS, 0));
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(0, kq_wait_one(self->kq, 100, &ev));
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));
}

TEST_F(kq, zero_expiry_fires_at_once)
{
	struct ukevent ev;

	ASSERT_EQ(0, timer_add(self->kq, 1, 0, 0, 0));
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
}

/*
 * A periodic timer counts the periods that passed while nobody waited: at
 * least those of the sleep, at most those since it was added.
 */
TEST_F(kq, periodic_overruns)
{
	__s64 t0 = now_ns(CLOCK_MONOTONIC), t1;
	struct ukevent ev;

	ASSERT_EQ(0, timer_add(self->kq, 1, 0, 10 * MS, 10 * MS));
	usleep(105 * 1000);
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, 0, &ev));
	t1 = now_ns(CLOCK_MONOTONIC);
	EXPECT_LE(10, ev.ret_data);
	EXPECT_GE((t1 - t0) / (10 * MS), ev.ret_data);
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_LE(1, ev.ret_data);
}

/* Local timer interrupts so far, all CPUs: the LOC line of /proc/interrupts */
static long timer_interrupts(void)
{
	char line[4096];
	long sum = -1;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		long n;

		while (*p == ' ')
			p++;
		if (strncmp(p, "LOC:", 4))
			continue;
		sum = 0;
		for (p += 4; (n = strtol(p, &end, 10)), end != p; p = end)
			sum += n;
	}
	fclose(f);
	return sum;
}

/*
 * A periodic timer goes on when its expiration is reported: however short
 * its period, one that nobody waits for costs no interrupts (and cannot
 * storm the CPU), and the report still counts every period.
 */
TEST_F(kq, tiny_period_costs_no_interrupts)
{
	struct timespec ts = { 0, 200 * MS };
	__s64 t0 = now_ns(CLOCK_MONOTONIC);
	long irqs;
	struct ukevent ev;

	irqs = timer_interrupts();
	ASSERT_LE(0, irqs);
	ASSERT_EQ(0, timer_add(self->kq, 1, 0, 1, 1));
	ASSERT_EQ(0, nanosleep(&ts, NULL));
	irqs = timer_interrupts() - irqs;
	TH_LOG("%ld local timer interrupts in 200 ms", irqs);
	/* The tick of a few CPUs, not a storm */
	EXPECT_GT(1000, irqs);
	ASSERT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, 0, &ev));
	EXPECT_LE(200 * MS, ev.ret_data);
	EXPECT_GE(now_ns(CLOCK_MONOTONIC) - t0, ev.ret_data);
}

/*
 * Dispatch and ENABLE: expirations while the registration was disabled
 * are reported once it is enabled (MODIFY would re-arm and drop them).
 */
TEST_F(kq, enable_reports_expirations_while_disabled)
{
	struct ukevent ev;

	ASSERT_EQ(0, timer_ctl(self->kq, KEVENT_CTL_ADD, 1, 0, 10 * MS, 10 * MS,
			       KEVENT_REQ_DISPATCH));
	ASSERT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	usleep(50 * 1000);
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	ASSERT_EQ(0, kq_ctl1(self->kq, KEVENT_CTL_ENABLE, ev));
	ASSERT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, 0, &ev));
	EXPECT_LE(4, ev.ret_data);
}

/*
 * In a time namespace, an absolute time is one of the namespace's clocks:
 * a timer 50 ms ahead of a clock moved 1000 s ahead fires in 50 ms.
 */
TEST(absolute_time_in_time_namespace)
{
	int status, kq;
	pid_t pid;
	FILE *f;

	if (unshare(CLONE_NEWTIME))
		SKIP(return, "no time namespaces: %s", strerror(errno));
	f = fopen("/proc/self/timens_offsets", "w");
	ASSERT_TRUE(!!f);
	ASSERT_LT(0, fprintf(f, "%d 1000 0\n%d 1000 0\n", CLOCK_MONOTONIC,
			     CLOCK_BOOTTIME));
	ASSERT_EQ(0, fclose(f));
	pid = fork();	/* in the namespace */
	ASSERT_LE(0, pid);
	if (!pid) {
		static const __u32 clocks[] = { 0, KEVENT_TIMER_BOOTTIME };
		struct ukevent ev;
		int i;

		kq = kq_new(0);
		for (i = 0; i < 2; i++) {
			clockid_t c = clocks[i] ? CLOCK_BOOTTIME : CLOCK_MONOTONIC;

			if (timer_add(kq, i, KEVENT_TIMER_ABSTIME | clocks[i],
				      now_ns(c) + 50 * MS, 0))
				_exit(1);
			if (kq_wait_one(kq, KQ_HANG_MS, &ev) != KEVENT_TIMER_EXPIRED)
				_exit(2);
		}
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
}

TEST_F(kq, absolute_monotonic)
{
	__s64 when = now_ns(CLOCK_MONOTONIC) + 50 * MS;
	struct ukevent ev;

	ASSERT_EQ(0, timer_add(self->kq, 1, KEVENT_TIMER_ABSTIME, when, 0));
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_LE(when, now_ns(CLOCK_MONOTONIC));
}

TEST_F(kq, absolute_realtime)
{
	__s64 when = now_ns(CLOCK_REALTIME) + 50 * MS;
	struct ukevent ev;

	ASSERT_EQ(0, timer_add(self->kq, 1,
			       KEVENT_TIMER_ABSTIME | KEVENT_TIMER_REALTIME,
			       when, 0));
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_LE(when, now_ns(CLOCK_REALTIME));
}

TEST_F(kq, absolute_in_the_past_fires)
{
	struct ukevent ev;

	ASSERT_EQ(0, timer_add(self->kq, 1, KEVENT_TIMER_ABSTIME, 1, 0));
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
}

/*
 * A timer that expires while it is being added is reported: its interrupt
 * may come between ADD's look at the new registration and the queue's
 * lock, which must not take the expiry back.  Expiries of 0 to 10 us
 * spread the interrupt over the ADD.
 */
TEST_F(kq, expiry_during_add_not_lost)
{
	struct ukevent ev;
	int i;

	for (i = 0; i < 20000; i++) {
		ASSERT_EQ(0, timer_ctl(self->kq, KEVENT_CTL_ADD, 1, 0,
				       i % 50 * 200, 0, KEVENT_REQ_ONESHOT));
		ASSERT_EQ(KEVENT_TIMER_EXPIRED,
			  kq_wait_one(self->kq, KQ_HANG_MS, &ev)) {
			TH_LOG("expiry %d ns lost at ADD %d", i % 50 * 200, i);
		}
	}
}

TEST_F(kq, relative_boottime)
{
	__s64 t0 = now_ns(CLOCK_BOOTTIME);
	struct ukevent ev;

	ASSERT_EQ(0, timer_add(self->kq, 1, KEVENT_TIMER_BOOTTIME, 30 * MS, 0));
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_LE(t0 + 30 * MS, now_ns(CLOCK_BOOTTIME));
}

/* An absolute CLOCK_REALTIME timer follows clock_settime(). */
TEST_F(kq, realtime_follows_settime)
{
	struct timespec now, later;
	struct ukevent ev;
	int ret;

	ASSERT_EQ(0, clock_gettime(CLOCK_REALTIME, &now));
	ASSERT_EQ(0, timer_add(self->kq, 1,
			       KEVENT_TIMER_ABSTIME | KEVENT_TIMER_REALTIME,
			       (now.tv_sec + 1800) * 1000000000ULL, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 50, &ev));
	later = now;
	later.tv_sec += 3600;
	ret = clock_settime(CLOCK_REALTIME, &later);
	if (ret && errno == EPERM)
		SKIP(return, "cannot set CLOCK_REALTIME");
	ASSERT_EQ(0, ret);
	ret = kq_wait_one(self->kq, KQ_HANG_MS, &ev);
	/* Put the clock back before judging. */
	clock_gettime(CLOCK_REALTIME, &later);
	later.tv_sec -= 3600;
	clock_settime(CLOCK_REALTIME, &later);
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, ret);
}

TEST_F(kq, modify_rearms)
{
	struct ukevent ev;

	ASSERT_EQ(0, timer_add(self->kq, 1, 0, 10000 * MS, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 50, &ev));
	ASSERT_EQ(0, timer_ctl(self->kq, KEVENT_CTL_MODIFY, 1, 0, 20 * MS, 0, 0));
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(1, ev.ret_data);
}

/* MODIFY drops the expirations not yet reported. */
TEST_F(kq, modify_drops_pending)
{
	struct ukevent ev;

	ASSERT_EQ(0, timer_add(self->kq, 1, 0, 1 * MS, 0));
	/* Pending: the queue is readable */
	ASSERT_EQ(1, poll(&(struct pollfd){ self->kq, POLLIN }, 1, KQ_HANG_MS));
	ASSERT_EQ(0, timer_ctl(self->kq, KEVENT_CTL_MODIFY, 1, 0,
			       10000 * MS, 0, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
}

TEST_F(kq, remove_cancels)
{
	struct ukevent ev;

	ASSERT_EQ(0, timer_add(self->kq, 1, 0, 50 * MS, 0));
	ASSERT_EQ(0, kq_remove(self->kq, KEVENT_TYPE_TIMER, 1));
	EXPECT_EQ(0, kq_wait_one(self->kq, 200, &ev));
	EXPECT_EQ(-1, kq_remove(self->kq, KEVENT_TYPE_TIMER, 1));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(kq, oneshot_flag_removes)
{
	struct ukevent ev;

	ASSERT_EQ(0, timer_ctl(self->kq, KEVENT_CTL_ADD, 1, 0, 10 * MS,
			       10 * MS, KEVENT_REQ_ONESHOT));
	EXPECT_EQ(KEVENT_TIMER_EXPIRED, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	EXPECT_EQ(0, kq_wait_one(self->kq, 100, &ev));
}

TEST_F(kq, two_clocks_einval)
{
	EXPECT_EQ(-1, timer_add(self->kq, 1,
				KEVENT_TIMER_REALTIME | KEVENT_TIMER_BOOTTIME,
				MS, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, timer_add(self->kq, 1, KEVENT_TIMER_EXPIRED, MS, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

TEST_F(kq, negative_time_einval)
{
	EXPECT_EQ(-1, timer_add(self->kq, 1, 0, -1ULL, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, timer_add(self->kq, 1, 0, MS, -5ULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	/* MODIFY with a bad time leaves the timer as it was. */
	ASSERT_EQ(0, timer_add(self->kq, 1, 0, 10000 * MS, 0));
	EXPECT_EQ(-1, timer_ctl(self->kq, KEVENT_CTL_MODIFY, 1, 0, -1ULL, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));
}

/* 10,000 armed timers each expire exactly once. */
TEST_F(kq, ten_thousand_timers)
{
	struct ukevent ev[512];
	char *seen = calloc(10000, 1);
	int i, n, got = 0, dup = 0;

	ASSERT_FALSE(!seen);
	for (i = 0; i < 10000; i++)
		ASSERT_EQ(0, timer_add(self->kq, i, 0, (100 + i % 100) * MS, 0));
	while (got < 10000) {
		n = kq_wait_ms(self->kq, 1, 512, ev, KQ_HANG_MS);
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++) {
			dup += seen[ev[i].id]++ != 0;
			EXPECT_EQ(1, ev[i].ret_data);
		}
		got += n;
	}
	EXPECT_EQ(0, dup);
	EXPECT_EQ(0, kq_wait_ms(self->kq, 1, 512, ev, 200));
	free(seen);
}

TEST_HARNESS_MAIN
