// SPDX-License-Identifier: GPL-2.0
/*
 * kevent selftests: KEVENT_TYPE_FUTEX, futex wakeups.
 */

#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/futex.h>

#include "../kselftest_harness.h"
#include "common.h"

static int futex_wake(__u32 *word, int nr, bool private)
{
	return syscall(SYS_futex, word,
		       FUTEX_WAKE | (private ? FUTEX_PRIVATE_FLAG : 0), nr,
		       NULL, NULL, 0);
}

static int futex_ctl(int kq, unsigned int cmd, const void *word,
		     __u64 expected, __u32 options, __u32 req_flags)
{
	struct ukevent uk = {
		.id = (uintptr_t)word,
		.udata = 42,
		.type = KEVENT_TYPE_FUTEX,
		.event = options,
		.req_flags = req_flags,
		.param = { expected, 0 },
	};

	return kq_ctl1(kq, cmd, uk);
}

static int futex_add(int kq, const void *word, __u64 expected, __u32 options)
{
	return futex_ctl(kq, KEVENT_CTL_ADD, word, expected, options,
			 KEVENT_REQ_ONESHOT);
}

/*
 * The second half of exec_removes_registration, in the program the test
 * execs with "KEVENT_FUTEXEC=kq" in the environment.
 */
__attribute__((constructor)) static void futexec_stage2(void)
{
	const char *env = getenv("KEVENT_FUTEXEC");

	if (!env)
		return;
	_exit(kq_fdinfo_count(atoi(env)) == 0 ? 0 : 10);
}

FIXTURE(kq) {
	int kq;
	__u32 *shared;		/* MAP_SHARED, survives fork as one word */
	__u32 word[4];
};

FIXTURE_SETUP(kq)
{
	self->kq = kq_new(0);
	ASSERT_LE(0, self->kq);
	self->shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_FALSE(self->shared == MAP_FAILED);
	memset(self->word, 0, sizeof(self->word));
}

FIXTURE_TEARDOWN(kq)
{
	close(self->kq);
	munmap(self->shared, 4096);
}

TEST_F(kq, private_wake_reported)
{
	struct ukevent ev;

	ASSERT_EQ(0, futex_add(self->kq, &self->word[0], 0,
			       KEVENT_FUTEX_PRIVATE));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	/* The registration is a waiter, counted by FUTEX_WAKE. */
	EXPECT_EQ(1, futex_wake(&self->word[0], 1, true));
	EXPECT_EQ(KEVENT_FUTEX_WOKEN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(KEVENT_TYPE_FUTEX, ev.type);
	EXPECT_EQ((uintptr_t)&self->word[0], ev.id);
	EXPECT_EQ(42, ev.udata);
	EXPECT_EQ(1, ev.ret_data);
	/* Oneshot: gone, and not woken again */
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	EXPECT_EQ(0, futex_wake(&self->word[0], 1, true));
}

/* A shared futex in shared memory, woken by another process. */
TEST_F(kq, shared_wake_across_fork)
{
	struct ukevent ev;
	int status;
	pid_t pid;

	ASSERT_EQ(0, futex_add(self->kq, self->shared, 0, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(futex_wake(self->shared, 1, false));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(1, WEXITSTATUS(status));
	EXPECT_EQ(KEVENT_FUTEX_WOKEN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ((uintptr_t)self->shared, ev.id);
}

/* As with futex_waitv(), a word that no longer holds the value is EAGAIN. */
TEST_F(kq, value_mismatch_eagain)
{
	struct ukevent ev;

	self->word[0] = 1;
	EXPECT_EQ(-1, futex_add(self->kq, &self->word[0], 0,
				KEVENT_FUTEX_PRIVATE));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	EXPECT_EQ(0, futex_wake(&self->word[0], 1, true));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
}

/* FUTEX_WAKE of 2 wakes 2 of 3 registrations in 3 queues, then the last. */
TEST_F(kq, wake_n_of_m)
{
	int kq[3], i, woken = 0;
	struct ukevent ev;

	for (i = 0; i < 3; i++) {
		kq[i] = kq_new(0);
		ASSERT_LE(0, kq[i]);
		ASSERT_EQ(0, futex_add(kq[i], self->shared, 0, 0));
	}
	EXPECT_EQ(2, futex_wake(self->shared, 2, false));
	for (i = 0; i < 3; i++)
		woken += kq_wait_one(kq[i], 0, &ev) == KEVENT_FUTEX_WOKEN;
	EXPECT_EQ(2, woken);
	EXPECT_EQ(1, futex_wake(self->shared, 2, false));
	for (i = 0; i < 3; i++)
		woken += kq_wait_one(kq[i], 0, &ev) == KEVENT_FUTEX_WOKEN;
	EXPECT_EQ(3, woken);
	for (i = 0; i < 3; i++)
		close(kq[i]);
}

struct futex_waiter {
	__u32 *word;
	pid_t tid;
};

static void *futex_wait_thread(void *arg)
{
	struct futex_waiter *w = arg;

	__atomic_store_n(&w->tid, kq_gettid(), __ATOMIC_SEQ_CST);
	syscall(SYS_futex, w->word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	return NULL;
}

/* A registration and a thread in FUTEX_WAIT are waiters alike. */
TEST_F(kq, wakes_threads_and_registrations)
{
	struct futex_waiter w = { .word = &self->word[1] };
	struct ukevent ev;
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, futex_wait_thread, &w));
	while (!__atomic_load_n(&w.tid, __ATOMIC_SEQ_CST))
		usleep(1000);
	ASSERT_EQ(0, kq_await_blocked(w.tid, SYS_futex));
	ASSERT_EQ(0, futex_add(self->kq, &self->word[1], 0,
			       KEVENT_FUTEX_PRIVATE));
	EXPECT_EQ(2, futex_wake(&self->word[1], 2, true));
	pthread_join(t, NULL);
	EXPECT_EQ(KEVENT_FUTEX_WOKEN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
}

/* Private and shared registrations are different futexes, as in futex(2). */
TEST_F(kq, private_not_woken_by_shared_wake)
{
	struct ukevent ev;

	ASSERT_EQ(0, futex_add(self->kq, &self->word[0], 0,
			       KEVENT_FUTEX_PRIVATE));
	EXPECT_EQ(0, futex_wake(&self->word[0], 1, false));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	EXPECT_EQ(1, futex_wake(&self->word[0], 1, true));
}

/* REMOVE takes the waiter off the futex: FUTEX_WAKE finds nobody. */
TEST_F(kq, remove_dequeues_waiter)
{
	ASSERT_EQ(0, futex_add(self->kq, &self->word[0], 0,
			       KEVENT_FUTEX_PRIVATE));
	ASSERT_EQ(0, kq_remove(self->kq, KEVENT_TYPE_FUTEX,
			       (uintptr_t)&self->word[0]));
	EXPECT_EQ(0, futex_wake(&self->word[0], 1, true));
}

TEST_F(kq, close_queue_dequeues_waiter)
{
	ASSERT_EQ(0, futex_add(self->kq, self->shared, 0, 0));
	close(self->kq);
	EXPECT_EQ(0, futex_wake(self->shared, 1, false));
	self->kq = kq_new(0);
}

TEST_F(kq, two_words_in_one_queue)
{
	struct ukevent ev;

	ASSERT_EQ(0, futex_add(self->kq, &self->word[0], 0,
			       KEVENT_FUTEX_PRIVATE));
	ASSERT_EQ(0, futex_add(self->kq, &self->word[1], 0,
			       KEVENT_FUTEX_PRIVATE));
	EXPECT_EQ(1, futex_wake(&self->word[1], 1, true));
	EXPECT_EQ(KEVENT_FUTEX_WOKEN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ((uintptr_t)&self->word[1], ev.id);
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));
}

TEST_F(kq, unaligned_address_einval)
{
	char *p = (char *)&self->word[0];

	EXPECT_EQ(-1, futex_add(self->kq, p + 1, 0, KEVENT_FUTEX_PRIVATE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, futex_add(self->kq, p + 2, 0, KEVENT_FUTEX_PRIVATE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

TEST_F(kq, bad_address_efault)
{
	void *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);

	ASSERT_FALSE(none == MAP_FAILED);
	EXPECT_EQ(-1, futex_add(self->kq, none, 0, KEVENT_FUTEX_PRIVATE));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, futex_add(self->kq, (void *)8, 0, KEVENT_FUTEX_PRIVATE));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	munmap(none, 4096);
}

TEST_F(kq, without_oneshot_einval)
{
	EXPECT_EQ(-1, futex_ctl(self->kq, KEVENT_CTL_ADD, &self->word[0], 0,
				KEVENT_FUTEX_PRIVATE, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, futex_ctl(self->kq, KEVENT_CTL_ADD, &self->word[0], 0,
				KEVENT_FUTEX_PRIVATE, KEVENT_REQ_ET));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

TEST_F(kq, bad_value_or_option_einval)
{
	EXPECT_EQ(-1, futex_add(self->kq, &self->word[0], 1ULL << 32,
				KEVENT_FUTEX_PRIVATE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, futex_add(self->kq, &self->word[0], 0, 0x2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, futex_add(self->kq, &self->word[0], 0,
				KEVENT_FUTEX_WOKEN));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

/* MODIFY may change udata, not the value or the kind of futex. */
TEST_F(kq, modify_cannot_change_the_wait)
{
	struct ukevent ev;

	ASSERT_EQ(0, futex_add(self->kq, &self->word[0], 0,
			       KEVENT_FUTEX_PRIVATE));
	EXPECT_EQ(-1, futex_ctl(self->kq, KEVENT_CTL_MODIFY, &self->word[0],
				1, KEVENT_FUTEX_PRIVATE, KEVENT_REQ_ONESHOT));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, futex_ctl(self->kq, KEVENT_CTL_MODIFY, &self->word[0],
				0, 0, KEVENT_REQ_ONESHOT));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, futex_ctl(self->kq, KEVENT_CTL_MODIFY, &self->word[0],
			       0, KEVENT_FUTEX_PRIVATE, KEVENT_REQ_ONESHOT));
	EXPECT_EQ(1, futex_wake(&self->word[0], 1, true));
	EXPECT_EQ(KEVENT_FUTEX_WOKEN, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
}

/*
 * A futex registration belongs to the process that made it, and goes when
 * it execs: the key of a private futex is an address in the old mm, which
 * no queue may keep watching once another mm can take its place.
 */
TEST_F(kq, exec_removes_registration)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char env[16];

		if (futex_add(self->kq, &self->word[0], 0, KEVENT_FUTEX_PRIVATE) ||
		    futex_add(self->kq, self->shared, 0, 0))
			_exit(1);
		snprintf(env, sizeof(env), "%d", self->kq);
		setenv("KEVENT_FUTEXEC", env, 1);
		execl("/proc/self/exe", "/proc/self/exe", (char *)NULL);
		_exit(2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

/* ... and when it exits: a wake of the word finds no waiter of ours. */
TEST_F(kq, exit_removes_registration)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(futex_add(self->kq, self->shared, 0, 0) ||
		      kq_fdinfo_count(self->kq) != 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	EXPECT_EQ(0, futex_wake(self->shared, 1, false));
}

struct stalled_add {
	int kq;
	void *word;
	int ret;
	int err;
};

static void *stalled_add_thread(void *arg)
{
	struct stalled_add *a = arg;

	a->ret = futex_add(a->kq, a->word, 1, KEVENT_FUTEX_PRIVATE);
	a->err = errno;
	return NULL;
}

/* What the queue's other users do while an ADD's fault waits */
struct queue_user {
	int kq, fd, closed, count, added, waited;
	__u32 *word;
	unsigned int done;
};

static void *queue_user_thread(void *arg)
{
	struct queue_user *u = arg;
	struct ukevent ev;

	u->closed = close(u->fd);
	u->count = kq_fdinfo_count(u->kq);
	u->added = futex_add(u->kq, u->word, 0, KEVENT_FUTEX_PRIVATE);
	u->waited = kq_wait_one(u->kq, 0, &ev);
	__atomic_store_n(&u->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * An ADD faults its futex word in before it takes the queue's mutex: while
 * the fault waits (userfaultfd), the queue is free.  The close of a watched
 * fd removes its registration, changes are made and a wait returns; each
 * of them would wait for the stalled ADD if it held the queue.
 */
TEST_F(kq, stalled_add_does_not_hold_queue)
{
	struct stalled_add a = { .kq = self->kq };
	struct queue_user u = { .kq = self->kq, .word = &self->word[0] };
	struct timespec deadline;
	pthread_t ta, tu;
	int uffd, p[2], joined;
	void *page;

	uffd = kq_uffd_page(&page);
	if (uffd == -1)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	ASSERT_LE(0, uffd);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, kq_add_fd(self->kq, KEVENT_TYPE_POLL, p[0],
			       KEVENT_POLL_IN, 0));

	/* The ADD faults on the word, and the fault waits for us. */
	a.word = page;
	ASSERT_EQ(0, pthread_create(&ta, NULL, stalled_add_thread, &a));
	ASSERT_EQ(0, kq_uffd_await_fault(uffd));

	/* A hang guard only: the other user must not wait for the fault. */
	u.fd = p[0];
	ASSERT_EQ(0, pthread_create(&tu, NULL, queue_user_thread, &u));
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += KQ_HANG_MS / 1000;
	joined = pthread_timedjoin_np(tu, NULL, &deadline);

	ASSERT_EQ(0, kq_uffd_release(uffd, page));
	pthread_join(ta, NULL);
	if (joined)
		pthread_join(tu, NULL);
	EXPECT_EQ(0, joined);
	EXPECT_EQ(0, u.closed);
	EXPECT_EQ(0, u.count);
	EXPECT_EQ(0, u.added);
	EXPECT_EQ(0, u.waited);
	/* The word was 0, not 1: nothing was added. */
	EXPECT_EQ(-1, a.ret);
	EXPECT_EQ(EAGAIN, a.err);
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));

	close(p[1]);
	munmap(page, 4096);
	close(uffd);
}

struct remapper {
	void *page;
	unsigned int stop;
};

/* Replace the page with a new one, not yet faulted in, again and again */
static void *remap_thread(void *arg)
{
	struct remapper *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
		if (mmap(r->page, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			 -1, 0) != r->page)
			return (void *)1;
	return NULL;
}

/*
 * A race, on two CPUs: a word whose page goes between the ADD's fault-in
 * and its read under the queue's mutex is faulted in again, so an ADD of
 * a word that stays mapped never fails with EFAULT.  Without the retry,
 * one of the first few dozen ADDs fails in the test guest; the test
 * cannot fail for want of a race, only if an ADD fails.
 */
TEST_F(kq, add_refaults_a_word_whose_page_went)
{
	struct remapper r = { 0 };
	int i, err = 0;
	pthread_t t;
	void *ret;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one CPU: nothing would race");
	r.page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_FALSE(r.page == MAP_FAILED);
	ASSERT_EQ(0, pthread_create(&t, NULL, remap_thread, &r));
	for (i = 0; i < 20000; i++) {
		if (futex_add(self->kq, r.page, 0, KEVENT_FUTEX_PRIVATE) ||
		    kq_remove(self->kq, KEVENT_TYPE_FUTEX,
			      (uintptr_t)r.page)) {
			err = errno;
			break;
		}
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(t, &ret));
	EXPECT_EQ(20000, i) {
		TH_LOG("ADD or REMOVE %d: %s", i, strerror(err));
	}
	EXPECT_EQ(0, (long)ret);
	munmap(r.page, 4096);
}

TEST_HARNESS_MAIN
