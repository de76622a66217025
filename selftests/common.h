/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kevent selftests: raw system call wrappers and small helpers.
 */
#ifndef _KEVENT_SELFTEST_COMMON_H
#define _KEVENT_SELFTEST_COMMON_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/kevent.h>

#ifndef __NR_kevent_init
#define __NR_kevent_init	463
#define __NR_kevent_ctl		464
#define __NR_kevent_wait	465
#endif

static inline int sys_kevent_init(const struct kevent_init_args *args,
				  size_t size)
{
	return syscall(__NR_kevent_init, args, size);
}

static inline int sys_kevent_ctl(int fd, unsigned int cmd, unsigned int num,
				 struct ukevent *events)
{
	return syscall(__NR_kevent_ctl, fd, cmd, num, events);
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
	int ret = sys_kevent_ctl(fd, cmd, 1, &uk);

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

struct kq_waiter {
	int kq;
	int ret;
};

static inline void *kq_wait_thread(void *arg)
{
	struct kq_waiter *w = arg;
	struct ukevent ev;

	w->ret = kq_wait_ms(w->kq, 1, 1, &ev, 1500);
	return NULL;
}

/*
 * Start four threads waiting on @kq, write a byte to @wfd, and count the
 * threads that got an event.
 */
static inline int kq_wake_count(int kq, int wfd)
{
	struct kq_waiter w[4];
	pthread_t t[4];
	int i, woken = 0;

	for (i = 0; i < 4; i++) {
		w[i].kq = kq;
		if (pthread_create(&t[i], NULL, kq_wait_thread, &w[i]))
			return -1;
	}
	usleep(300 * 1000);
	if (write(wfd, "x", 1) != 1)
		return -1;
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		woken += w[i].ret == 1;
	}
	return woken;
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
