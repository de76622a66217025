/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kevent selftests: raw system call wrappers and small helpers.
 */
#ifndef _KEVENT_SELFTEST_COMMON_H
#define _KEVENT_SELFTEST_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/kevent.h>
#include <linux/userfaultfd.h>

#ifndef __NR_kevent_init
#define __NR_kevent_init	474
#define __NR_kevent_ctl		475
#define __NR_kevent_wait	476
#endif

static inline int sys_kevent_init(const struct kevent_init_args *args,
				  size_t size)
{
	return syscall(__NR_kevent_init, args, size);
}

static inline int sys_kevent_ctl(int fd, unsigned int flags, unsigned int nr,
				 struct ukevent *changes, size_t size)
{
	return syscall(__NR_kevent_ctl, fd, flags, nr, changes, size);
}

/* kevent_ctl() of @nr changes, all with command @cmd */
static inline int kq_ctl(int fd, unsigned int cmd, unsigned int nr,
			 struct ukevent *changes)
{
	unsigned int i;

	for (i = 0; changes && i < nr; i++)
		changes[i].cmd = cmd;
	return sys_kevent_ctl(fd, 0, nr, changes, sizeof(struct ukevent));
}

static inline int sys_kevent_wait(int fd, unsigned int min_nr,
				  unsigned int max_nr, struct ukevent *events,
				  const struct kevent_wait_args *args,
				  size_t size)
{
	return syscall(__NR_kevent_wait, fd, min_nr, max_nr, events, args,
		       size);
}

/* A new queue with @flags, or -1 with errno set. */
static inline int kq_new(__u64 flags)
{
	struct kevent_init_args args = { .flags = flags };

	return sys_kevent_init(&args, sizeof(args));
}

static inline struct ukevent kev_user(__u64 id, __u32 req_flags, __u64 udata)
{
	struct ukevent uk = {
		.id = id,
		.udata = udata,
		.type = KEVENT_TYPE_USER,
		.req_flags = req_flags,
	};
	return uk;
}

/* One kevent_ctl() entry; 0 or -1 with errno set, like a plain call. */
static inline int kq_ctl1(int fd, unsigned int cmd, struct ukevent uk)
{
	int ret = kq_ctl(fd, cmd, 1, &uk);

	return ret == 1 ? 0 : -1;
}

static inline int user_add(int fd, __u64 id, __u32 req_flags, __u64 udata)
{
	return kq_ctl1(fd, KEVENT_CTL_ADD, kev_user(id, req_flags, udata));
}

static inline int user_post(int fd, __u64 id, __u32 bits)
{
	struct ukevent uk = kev_user(id, 0, 0);

	uk.event = bits;
	return kq_ctl1(fd, KEVENT_CTL_POST, uk);
}

static inline int kq_remove(int fd, __u32 type, __u64 id)
{
	struct ukevent uk = { .type = type, .id = id };

	return kq_ctl1(fd, KEVENT_CTL_REMOVE, uk);
}

/* Wait with a relative CLOCK_MONOTONIC timeout in milliseconds; -1: none. */
static inline int kq_wait_ms(int fd, unsigned int min_nr, unsigned int max_nr,
			     struct ukevent *events, long ms)
{
	struct kevent_wait_args args = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000,
		.clockid = CLOCK_MONOTONIC,
		.flags = KEVENT_WAIT_TIMEOUT,
	};

	if (ms < 0)
		return sys_kevent_wait(fd, min_nr, max_nr, events, NULL, 0);
	return sys_kevent_wait(fd, min_nr, max_nr, events, &args,
			       sizeof(args));
}

static inline __s64 now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (__s64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Number of registrations listed in /proc/self/fdinfo/@fd. */
static inline int kq_fdinfo_count(int fd)
{
	char path[64], line[256];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "type:", 5))
			n++;
	fclose(f);
	return n;
}

/* The kB of pages this process has pinned (VmPin), or -1 */
static inline long kq_vm_pin_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Read (@v < 0) or write a sysctl holding one number: its value, or -1 */
static inline long kq_sysctl(const char *path, long v)
{
	FILE *f = fopen(path, v < 0 ? "r" : "w");
	long old = -1;

	if (!f)
		return -1;
	if (v < 0 ? fscanf(f, "%ld", &old) != 1 : fprintf(f, "%ld\n", v) < 0)
		old = -1;
	else if (v >= 0)
		old = v;
	return fclose(f) ? -1 : old;
}

/* The udata kq_add_fd() gives a registration */
#define FD_UDATA(type, fd)	((__u64)(type) << 32 | (__u64)(fd))

/* Register @fd with a source whose id is a file descriptor. */
static inline int kq_add_fd(int kq, __u32 type, __u64 fd, __u32 events,
			    __u32 req_flags)
{
	struct ukevent uk = {
		.id = fd,
		.udata = FD_UDATA(type, fd),
		.type = type,
		.event = events,
		.req_flags = req_flags,
	};

	return kq_ctl1(kq, KEVENT_CTL_ADD, uk);
}

/* Wait up to @ms for one event; its mask, 0 on timeout, -1 on error. */
static inline int kq_wait_one(int kq, long ms, struct ukevent *ev)
{
	int n = kq_wait_ms(kq, 1, 1, ev, ms);

	return n == 1 ? (int)ev->event : n;
}

/*
 * The guest is emulated on a shared host: the harness's timeout of a test
 * is a guard against hangs, as long as the slowest test may need when the
 * host is loaded, not a measure of speed.
 */
#ifdef TEST_TIMEOUT_DEFAULT
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	300
#endif

/*
 * Ceiling for waits on events that are bound to come: only a guard
 * against hangs, never a measure of the host's speed.
 */
#define KQ_HANG_MS	60000

static inline pid_t kq_gettid(void)
{
	return syscall(SYS_gettid);
}

/*
 * The system call thread @tid of this process is blocked in, -1 while it
 * runs, -2 if it is gone: from /proc/self/task/TID/syscall.
 */
static inline long kq_task_syscall(pid_t tid)
{
	char path[64], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	f = fopen(path, "r");
	if (!f)
		return -2;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	if (!buf[0])
		return -2;
	if (!strncmp(buf, "running", 7))
		return -1;
	return strtol(buf, NULL, 10);
}

/*
 * Wait until thread @tid is blocked in system call @nr, or in any if @nr
 * is -1 (a sleeper, not a guess of how long it takes to get there).  0, or
 * -1 after KQ_HANG_MS.
 */
static inline int kq_await_blocked(pid_t tid, long nr)
{
	long cur;
	int i;

	for (i = 0; i < KQ_HANG_MS; i++) {
		cur = kq_task_syscall(tid);
		if (cur == nr || (nr == -1 && cur >= 0))
			return 0;
		usleep(1000);
	}
	return -1;
}

/* The times thread @tid went to sleep, from /proc/self/task/TID/status */
static inline long kq_task_sleeps(pid_t tid)
{
	char path[64], line[128];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/*
 * The state letter of thread @tid (R, S, D...), from
 * /proc/self/task/TID/stat; 0 if it is gone.  A thread woken but not yet
 * running on its CPU shows R, still blocked in its system call.
 */
static inline char kq_task_state(pid_t tid)
{
	char path[64], line[256], *p = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(line, sizeof(line), f))
		p = strrchr(line, ')');
	fclose(f);
	return p && p[1] == ' ' ? p[2] : 0;
}

struct kq_waiter {
	int kq;
	int ret;
	pid_t tid;
	int done;
};

static inline void *kq_wait_thread(void *arg)
{
	struct kq_waiter *w = arg;
	struct ukevent ev;

	__atomic_store_n(&w->tid, kq_gettid(), __ATOMIC_SEQ_CST);
	w->ret = kq_wait_ms(w->kq, 1, 1, &ev, KQ_HANG_MS);
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static inline void kq_wake_sig(int sig)
{
}

/*
 * Start four threads waiting on @kq for one event each; once all sleep in
 * kevent_wait(), write a byte to @wfd.  Return how many were woken: once
 * one has returned, those woken with it are runnable, have returned or
 * went to sleep again; the others sleep as before.  The rest are then
 * interrupted by a signal.
 */
static inline int kq_wake_count(int kq, int wfd)
{
	struct sigaction sa = { .sa_handler = kq_wake_sig };
	struct kq_waiter w[4];
	long sleeps[4];
	pthread_t t[4];
	int i, n, woken = 0;

	sigaction(SIGUSR2, &sa, NULL);	/* no SA_RESTART: EINTR */
	for (i = 0; i < 4; i++) {
		w[i] = (struct kq_waiter){ .kq = kq };
		if (pthread_create(&t[i], NULL, kq_wait_thread, &w[i]))
			return -1;
	}
	for (i = 0; i < 4; i++) {
		while (!__atomic_load_n(&w[i].tid, __ATOMIC_SEQ_CST))
			usleep(1000);
		if (kq_await_blocked(w[i].tid, __NR_kevent_wait))
			return -1;
		sleeps[i] = kq_task_sleeps(w[i].tid);
	}
	if (write(wfd, "x", 1) != 1)
		return -1;
	for (n = 0; !n; usleep(1000))
		for (i = 0; i < 4; i++)
			n += __atomic_load_n(&w[i].done, __ATOMIC_SEQ_CST);
	for (i = 0; i < 4; i++) {
		if (__atomic_load_n(&w[i].done, __ATOMIC_SEQ_CST) ||
		    kq_task_syscall(w[i].tid) != __NR_kevent_wait ||
		    kq_task_sleeps(w[i].tid) != sleeps[i] ||
		    kq_task_state(w[i].tid) == 'R')
			woken++;
	}
	for (i = 0; i < 4; i++) {
		if (!__atomic_load_n(&w[i].done, __ATOMIC_SEQ_CST))
			pthread_kill(t[i], SIGUSR2);
		pthread_join(t[i], NULL);
	}
	return woken;
}

/*
 * A page of anonymous memory registered with a new userfaultfd, so that
 * the first access to it waits for kq_uffd_release().  Returns the
 * userfaultfd; -1 if the kernel has none (the test skips), -2 if setting
 * it up failed.
 */
static inline int kq_uffd_page(void **page)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int uffd;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		return -1;
	*page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (uintptr_t)*page;
	reg.range.len = 4096;
	if (*page == MAP_FAILED || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		close(uffd);
		return -2;
	}
	return uffd;
}

/* Wait until an access to the page waits for us: 0, or -1 after KQ_HANG_MS */
static inline int kq_uffd_await_fault(int uffd)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, KQ_HANG_MS) != 1 ||
	    read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		return -1;
	return msg.event == UFFD_EVENT_PAGEFAULT ? 0 : -1;
}

/* Let the access go on, with a page of zeroes */
static inline int kq_uffd_release(int uffd, void *page)
{
	struct uffdio_zeropage zero = {
		.range = { .start = (uintptr_t)page, .len = 4096 },
	};

	return ioctl(uffd, UFFDIO_ZEROPAGE, &zero);
}

#ifndef SIGEV_KEVENT
#define SIGEV_KEVENT		8
#endif

/*
 * struct sigevent as the kernel reads it, with the queue fd that
 * SIGEV_KEVENT takes (sigev_notify_kevent_fd): the C library's struct has
 * no name for it.
 */
struct kevent_sigevent {
	union {
		int	sival_int;
		void	*sival_ptr;
	} sigev_value;
	int	sigev_signo;
	int	sigev_notify;
	union {
		int	pad[16];
		int	kevent_fd;
	};
};

#endif /* _KEVENT_SELFTEST_COMMON_H */
