// SPDX-License-Identifier: GPL-2.0
/*
 * kevent: system call entry points.  Only argument copying and checking
 * lives here; the queue itself is in core.c.
 */

#include <linux/compat.h>
#include <linux/file.h>
#include <linux/sched/signal.h>
#include <linux/syscalls.h>
#include <linux/time64.h>
#include <linux/time_namespace.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "kevent.h"

#define KEVENT_INIT_FLAGS	(KEVENT_INIT_CLOEXEC | KEVENT_INIT_NONBLOCK)
#define KEVENT_WAIT_FLAGS	(KEVENT_WAIT_TIMEOUT | KEVENT_WAIT_ABSTIME)

/* Most entries one kevent_ctl() or kevent_wait() call may take */
#define KEVENT_BATCH_MAX	65536U
/* Largest struct ukevent a caller may pass, for structures yet to come */
#define KEVENT_UKEVENT_SIZE_MAX	256U

static void kevent_check_abi(void)
{
	BUILD_BUG_ON(sizeof(struct kevent_init_args) !=
		     KEVENT_INIT_ARGS_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kevent_wait_args) !=
		     KEVENT_WAIT_ARGS_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct ukevent) != KEVENT_UKEVENT_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct ukevent, ret_data) != 40);
	BUILD_BUG_ON(offsetof(struct ukevent, param) != 48);
	BUILD_BUG_ON(offsetof(struct kevent_wait_args, changes) != 40);
}

/*
 * Copy a size-versioned argument structure: smaller than its first
 * version is -EINVAL, larger than a page -E2BIG, and bytes beyond what
 * this kernel knows must be zero (-E2BIG).
 */
static int kevent_copy_args(void *dst, size_t ksize, size_t ver0,
			    const void __user *src, size_t usize)
{
	if (usize < ver0)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(dst, ksize, src, usize);
}

/* The size of a struct ukevent of the caller's: 0 if it cannot be one */
static unsigned int kevent_entry_size(size_t size)
{
	if (size < KEVENT_UKEVENT_SIZE_VER0 || size > KEVENT_UKEVENT_SIZE_MAX ||
	    size % sizeof(__u64))
		return 0;
	return size;
}

SYSCALL_DEFINE2(kevent_init, const struct kevent_init_args __user *, uargs,
		size_t, usize)
{
	struct kevent_init_args args;
	int err;

	kevent_check_abi();

	err = kevent_copy_args(&args, sizeof(args), KEVENT_INIT_ARGS_SIZE_VER0,
			       uargs, usize);
	if (err)
		return err;
	if (args.flags & ~KEVENT_INIT_FLAGS)
		return -EINVAL;

	return kevent_create(args.flags);
}

/*
 * Mark a failed change with its errno.  Best effort: if the entry cannot be
 * written, the return value of kevent_ctl() still says which one failed.
 */
static void kevent_ctl_set_error(struct ukevent __user *uk, int err)
{
	if (!put_user((u64)-err, &uk->ret_data))
		put_user(KEVENT_RET_ERROR, &uk->ret_flags);
}

SYSCALL_DEFINE5(kevent_ctl, int, fd, unsigned int, flags, unsigned int, nr,
		struct ukevent __user *, changes, size_t, size)
{
	CLASS(fd, f)(fd);
	struct kevent_batch b = { .uptr = changes, .nr = nr };
	struct kevent_user *ku;
	struct ukevent uk;
	unsigned int i;
	int err = 0;

	if (fd_empty(f))
		return -EBADF;
	ku = kevent_user_from_file(fd_file(f));
	if (!ku)
		return -EINVAL;
	b.size = kevent_entry_size(size);
	if (flags || !b.size || nr > KEVENT_BATCH_MAX)
		return -EINVAL;

	for (i = 0; i < nr; i++) {
		if (i && fatal_signal_pending(current))
			break;
		err = kevent_get_change(&b, i, &uk);
		if (err == -EFAULT)
			break;
		if (!err)
			err = kevent_ctl_entry(ku, &uk);
		if (err) {
			kevent_ctl_set_error((void __user *)b.uptr +
					     (size_t)i * b.size, err);
			break;
		}
		cond_resched();
	}
	/* i is unsigned: keep err negative rather than "i ? i : err". */
	if (i)
		return i;
	return err;
}

static clockid_t kevent_wait_clock(u32 clockid)
{
	switch (clockid) {
	case CLOCK_MONOTONIC:
	case CLOCK_REALTIME:
	case CLOCK_BOOTTIME:
		return clockid;
	default:
		return -1;
	}
}

/*
 * Turn the timeout of @args into an absolute time of the host on @clock.
 * An absolute time is one of the caller's clock, in its time namespace.
 * A relative one is a duration, which clock_settime() does not stretch:
 * CLOCK_REALTIME's is measured on CLOCK_MONOTONIC, CLOCK_BOOTTIME's counts
 * time in suspend.
 */
static int kevent_wait_timeout(const struct kevent_wait_args *args,
			       ktime_t *expires, clockid_t *clock)
{
	struct timespec64 ts = {
		.tv_sec = args->tv_sec,
		.tv_nsec = args->tv_nsec,
	};

	if (kevent_wait_clock(args->clockid) < 0)
		return -EINVAL;
	if (!timespec64_valid(&ts))
		return -EINVAL;

	*expires = timespec64_to_ktime(ts);
	*clock = args->clockid;
	if (args->flags & KEVENT_WAIT_ABSTIME) {
		*expires = timens_ktime_to_host(*clock, *expires);
		return 0;
	}
	if (*clock == CLOCK_BOOTTIME) {
		*expires = ktime_add_safe(ktime_get_boottime(), *expires);
	} else {
		*clock = CLOCK_MONOTONIC;
		*expires = ktime_add_safe(ktime_get(), *expires);
	}
	return 0;
}

static int kevent_wait_check(const struct kevent_wait_args *args)
{
	if (args->reserved || (args->flags & ~KEVENT_WAIT_FLAGS))
		return -EINVAL;
	if (!(args->flags & KEVENT_WAIT_TIMEOUT) &&
	    (args->tv_sec || args->tv_nsec || args->clockid ||
	     (args->flags & KEVENT_WAIT_ABSTIME)))
		return -EINVAL;
	if (!args->sigmask && args->sigmask_size)
		return -EINVAL;
	if (!args->changes && args->nr_changes)
		return -EINVAL;
	if (args->nr_changes > KEVENT_BATCH_MAX)
		return -EINVAL;
	if (args->ukevent_size && !kevent_entry_size(args->ukevent_size))
		return -EINVAL;
	return 0;
}

static int kevent_set_sigmask(const struct kevent_wait_args *args)
{
	void __user *mask = u64_to_user_ptr(args->sigmask);

#ifdef CONFIG_COMPAT
	if (in_compat_syscall())
		return set_compat_user_sigmask(mask, args->sigmask_size);
#endif
	return set_user_sigmask(mask, args->sigmask_size);
}

SYSCALL_DEFINE6(kevent_wait, int, fd, unsigned int, min_nr,
		unsigned int, max_nr, struct ukevent __user *, events,
		const struct kevent_wait_args __user *, uargs, size_t, usize)
{
	CLASS(fd, f)(fd);
	struct kevent_batch eb = { .uptr = events, .nr = max_nr };
	struct kevent_batch cb = {};
	struct kevent_wait_args args = {};
	clockid_t clock = CLOCK_MONOTONIC;
	ktime_t expires, *to = NULL;
	struct kevent_user *ku;
	int ret;

	if (fd_empty(f))
		return -EBADF;
	ku = kevent_user_from_file(fd_file(f));
	if (!ku)
		return -EINVAL;
	if (max_nr > KEVENT_BATCH_MAX || min_nr > max_nr)
		return -EINVAL;

	if (uargs) {
		ret = kevent_copy_args(&args, sizeof(args),
				       KEVENT_WAIT_ARGS_SIZE_VER0, uargs, usize);
		if (ret)
			return ret;
		ret = kevent_wait_check(&args);
		if (ret)
			return ret;
	} else if (usize) {
		return -EINVAL;
	}
	/* Nothing to do is a mistake: an events array or changes. */
	if (!max_nr && !args.nr_changes)
		return -EINVAL;

	eb.size = args.ukevent_size ?: KEVENT_UKEVENT_SIZE_VER0;
	if (!access_ok(events, (size_t)max_nr * eb.size))
		return -EFAULT;
	cb.uptr = u64_to_user_ptr(args.changes);
	cb.nr = args.nr_changes;
	cb.size = eb.size;

	if (args.flags & KEVENT_WAIT_TIMEOUT) {
		ret = kevent_wait_timeout(&args, &expires, &clock);
		if (ret)
			return ret;
		to = &expires;
	}

	if (args.sigmask) {
		ret = kevent_set_sigmask(&args);
		if (ret)
			return ret;
	}

	ret = kevent_wait_events(ku, min_nr, &eb, &cb, to, clock,
				 fd_file(f)->f_flags & O_NONBLOCK);

	if (args.sigmask)
		restore_saved_sigmask_unless(ret == -EINTR);
	return ret;
}
