// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkevent: the system call wrappers and the calls built on them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "libkevent.h"

/*
 * The system call numbers, until the C library's headers have them: those
 * of the kernel's tables (arch/.../syscall*.tbl, asm-generic/unistd.h).
 */
#ifndef __NR_kevent_init
# if defined(__alpha__)
#  define __NR_kevent_init	584
# elif defined(__mips__) && _MIPS_SIM == _MIPS_SIM_ABI32
#  define __NR_kevent_init	(4000 + 474)
# elif defined(__mips__) && _MIPS_SIM == _MIPS_SIM_NABI32
#  define __NR_kevent_init	(6000 + 474)
# elif defined(__mips__)
#  define __NR_kevent_init	(5000 + 474)
# elif defined(__x86_64__) && defined(__ILP32__)
#  define __NR_kevent_init	(0x40000000 + 474)
# else
#  define __NR_kevent_init	474
# endif
# define __NR_kevent_ctl	(__NR_kevent_init + 1)
# define __NR_kevent_wait	(__NR_kevent_init + 2)
#endif

int kevent_init(const struct kevent_init_args *args, size_t size)
{
	return syscall(__NR_kevent_init, args, size);
}

int kevent_ctl(int kq, unsigned int flags, unsigned int nr,
	       struct ukevent *changes, size_t size)
{
	return syscall(__NR_kevent_ctl, kq, flags, nr, changes, size);
}

int kevent_wait(int kq, unsigned int min_nr, unsigned int max_nr,
		struct ukevent *events, const struct kevent_wait_args *args,
		size_t size)
{
	return syscall(__NR_kevent_wait, kq, min_nr, max_nr, events, args,
		       size);
}

/* -1 not known yet, else the answer */
static int kevent_known = -1;

int kevent_available(void)
{
	int known = __atomic_load_n(&kevent_known, __ATOMIC_RELAXED);

	if (known < 0) {
		/*
		 * Fail closed: without /proc the numbers may be anything's,
		 * and only asking again once it is mounted finds out.
		 */
		if (access("/proc/sys/fs", F_OK))
			return 0;
		known = !access("/proc/sys/fs/kevent", F_OK);
		__atomic_store_n(&kevent_known, known, __ATOMIC_RELAXED);
	}
	return known;
}

int kevent_queue(uint64_t flags)
{
	struct kevent_init_args args = { .flags = flags };
	int fd;

	if (!kevent_available()) {
		errno = ENOSYS;
		return -1;
	}
	fd = kevent_init(&args, sizeof(args));
	if (fd < 0 && errno == ENOSYS)
		__atomic_store_n(&kevent_known, 0, __ATOMIC_RELAXED);
	return fd;
}

/* The most changes one kevent_ctl() takes (kevent_ctl(2)) */
#define KEVENT_APPLY_MAX	65536

int kevent_apply(int kq, struct ukevent *changes, unsigned int nr)
{
	unsigned int done = 0;
	int failed = 0, first = 0, ret;

	/* Output only: an entry reused from an earlier call may hold one */
	for (ret = 0; ret < (int)nr; ret++)
		changes[ret].ret_flags = 0;
	while (done < nr) {
		unsigned int chunk = nr - done;

		if (chunk > KEVENT_APPLY_MAX)
			chunk = KEVENT_APPLY_MAX;
		ret = kevent_ctl(kq, 0, chunk, changes + done,
				 sizeof(*changes));
		if (ret < 0) {
			/* The first change failed, or the call did */
			if (!kevent_change_error(&changes[done]))
				return -1;
			ret = 0;
		} else if (!ret && !kevent_change_error(&changes[done])) {
			/* Nothing applied and nothing refused: never loop */
			errno = EINTR;
			return -1;
		}
		done += ret;
		/* kevent_ctl() stops at a change that fails: skip it */
		if (done < nr && kevent_change_error(&changes[done])) {
			if (!failed++)
				first = kevent_change_error(&changes[done]);
			done++;
		}
	}
	if (failed)
		errno = first;
	return failed;
}

/* The arguments for a relative CLOCK_MONOTONIC @timeout and @sigmask */
static void kevent_wait_args_set(struct kevent_wait_args *args,
				 const struct timespec *timeout,
				 const sigset_t *sigmask)
{
	if (timeout) {
		args->tv_sec = timeout->tv_sec;
		args->tv_nsec = timeout->tv_nsec;
		args->clockid = CLOCK_MONOTONIC;
		args->flags = KEVENT_WAIT_TIMEOUT;
	}
	if (sigmask) {
		args->sigmask = (uintptr_t)sigmask;
		/* The kernel's sigset_t, not the C library's larger one */
		args->sigmask_size = _NSIG / 8;
	}
	args->ukevent_size = sizeof(struct ukevent);
}

int kevent_getevents(int kq, unsigned int min_nr, unsigned int max_nr,
		     struct ukevent *events, const struct timespec *timeout)
{
	struct kevent_wait_args args = {};

	if (!timeout)
		return kevent_wait(kq, min_nr, max_nr, events, NULL, 0);
	kevent_wait_args_set(&args, timeout, NULL);
	return kevent_wait(kq, min_nr, max_nr, events, &args, sizeof(args));
}

int kevent_submit_and_wait(int kq, const struct ukevent *changes,
			   unsigned int nr_changes, struct ukevent *events,
			   unsigned int min_nr, unsigned int max_nr,
			   const struct timespec *timeout,
			   const sigset_t *sigmask)
{
	struct kevent_wait_args args = {
		.changes = (uintptr_t)changes,
		.nr_changes = nr_changes,
	};

	kevent_wait_args_set(&args, timeout, sigmask);
	return kevent_wait(kq, min_nr, max_nr, events, &args, sizeof(args));
}
