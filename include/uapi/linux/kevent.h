/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kevent: one kernel event queue for every kind of event.
 *
 * Every structure here is made of naturally aligned __u64 and __u32 fields
 * only, with a size that is a multiple of 8, so that its layout is the same
 * for 32-bit and 64-bit user space and no compat translation is needed.
 * Fields marked "must be zero" are reserved: a non-zero value is -EINVAL.
 */
#ifndef _UAPI_LINUX_KEVENT_H
#define _UAPI_LINUX_KEVENT_H

#include <linux/types.h>

/* Flags for struct kevent_init_args.flags */
#define KEVENT_INIT_CLOEXEC	(1ULL << 0)	/* close the queue fd on exec */
#define KEVENT_INIT_NONBLOCK	(1ULL << 1)	/* kevent_wait() never sleeps */

/**
 * struct kevent_init_args - arguments of kevent_init()
 * @flags: KEVENT_INIT_* flags
 *
 * Versioned by size like clone3() and openat2(): a larger structure from a
 * newer user space is accepted as long as the bytes this kernel does not
 * know are zero, otherwise kevent_init() fails with -E2BIG.
 */
struct kevent_init_args {
	__u64 flags;
};

#define KEVENT_INIT_ARGS_SIZE_VER0	8

/* Event source types; any other number is -EINVAL. */
#define KEVENT_TYPE_USER	1	/* posted by KEVENT_CTL_POST */
#define KEVENT_TYPE_SOCKET	2	/* socket readiness */
#define KEVENT_TYPE_PIPE	3	/* pipe and FIFO readiness */
#define KEVENT_TYPE_POLL	4	/* any pollable file */
#define KEVENT_TYPE_TIMER	5	/* high resolution timer */
#define KEVENT_TYPE_SIGNAL	6	/* signal arrival */
#define KEVENT_TYPE_PROC	7	/* process exit, by pidfd */
#define KEVENT_TYPE_FUTEX	8	/* FUTEX_WAKE on a futex word */
#define KEVENT_TYPE_POSIX_TIMER	9	/* timer_create() with SIGEV_KEVENT */
#define KEVENT_TYPE_NAIO	10	/* network AIO request */
#define KEVENT_TYPE_INODE	11	/* changes to a file or directory */

/*
 * KEVENT_TYPE_POLL: id is a file descriptor of the caller; event is a mask
 * of these, the values of the EPOLL bits of the same names.
 * ERR and HUP are reported whether asked for or not.
 */
#define KEVENT_POLL_IN		0x0001U
#define KEVENT_POLL_PRI		0x0002U
#define KEVENT_POLL_OUT		0x0004U
#define KEVENT_POLL_ERR		0x0008U
#define KEVENT_POLL_HUP		0x0010U
#define KEVENT_POLL_RDHUP	0x2000U

/*
 * KEVENT_TYPE_SOCKET: id is a socket file descriptor of the caller; event
 * is a mask of these.  ERR and HUP are reported whether asked for or not.
 */
#define KEVENT_SOCKET_ACCEPT	0x0001U	/* a connection waits on a listener */
#define KEVENT_SOCKET_RECV	0x0002U	/* data (or end of file) to read */
#define KEVENT_SOCKET_SEND	0x0004U	/* send buffer space */
#define KEVENT_SOCKET_HUP	0x0008U	/* peer closed or shut down, or closed */
#define KEVENT_SOCKET_ERR	0x0010U	/* pending error, see SO_ERROR */

/*
 * KEVENT_TYPE_PIPE takes the KEVENT_POLL_IN, _OUT, _ERR and _HUP bits.
 *
 * For KEVENT_TYPE_SOCKET and KEVENT_TYPE_PIPE, ret_data holds two counts:
 * the bytes that can be read (on a listening socket: the connections
 * waiting to be accepted) and the bytes that can be written without
 * blocking, at least.
 */
#define KEVENT_DATA_IN(ret_data)	((__u32)(ret_data))
#define KEVENT_DATA_OUT(ret_data)	((__u32)((ret_data) >> 32))

/*
 * KEVENT_TYPE_TIMER: id is any number the caller chooses.  param[0] is the
 * expiry in nanoseconds, relative to now or, with KEVENT_TIMER_ABSTIME, a
 * time on the timer's clock; param[1] the period in nanoseconds, 0 for a
 * one-shot timer.  event selects the clock and options on input and is
 * KEVENT_TIMER_EXPIRED on output, with the number of expirations since the
 * last report in ret_data.
 */
#define KEVENT_TIMER_ABSTIME	0x0001U	/* param[0] is an absolute time */
#define KEVENT_TIMER_REALTIME	0x0002U	/* CLOCK_REALTIME, not MONOTONIC */
#define KEVENT_TIMER_BOOTTIME	0x0004U	/* CLOCK_BOOTTIME, not MONOTONIC */
#define KEVENT_TIMER_EXPIRED	0x0100U	/* output: the timer expired */

/*
 * KEVENT_TYPE_SIGNAL: id is a signal number, 1 to _NSIG (64; 128 on MIPS)
 * except SIGKILL and SIGSTOP.  Every time the signal is sent to the process that added the
 * registration, or to one of its threads, it is counted, whether it is
 * then delivered, blocked, ignored or merged with a pending one; the
 * signal itself is handled as usual.  event is KEVENT_SIGNAL_ARRIVED on
 * output, with the number of times since the last report in ret_data.
 */
#define KEVENT_SIGNAL_ARRIVED	0x0001U

/*
 * KEVENT_TYPE_PROC: id is a pidfd of the caller, for a process (not a
 * PIDFD_THREAD pidfd).  KEVENT_PROC_EXIT is reported once the process has
 * exited.  If it was a child of the caller's process when the registration
 * was added, KEVENT_PROC_STATUS is set too and ret_data holds its wait
 * status, as waitpid() gives it.  Waiting for the process is still up to
 * the caller.
 */
#define KEVENT_PROC_EXIT	0x0001U	/* the process exited */
#define KEVENT_PROC_STATUS	0x0002U	/* output: ret_data is the status */

/*
 * KEVENT_TYPE_FUTEX: id is the user address of a 32-bit futex word,
 * aligned to 4 bytes; param[0] the value it is expected to hold.  Like
 * futex_waitv(), ADD fails with -EAGAIN if the word holds another value,
 * and otherwise waits: a FUTEX_WAKE on the word wakes the registration
 * like any other waiter and reports KEVENT_FUTEX_WOKEN, with ret_data 1.
 * A futex registration waits once: it must have KEVENT_REQ_ONESHOT.
 */
#define KEVENT_FUTEX_PRIVATE	0x0001U	/* as FUTEX_PRIVATE_FLAG */
#define KEVENT_FUTEX_WOKEN	0x0100U	/* output: the futex was woken */

/*
 * KEVENT_TYPE_POSIX_TIMER: added by timer_create() with sigev_notify
 * SIGEV_KEVENT, removed by timer_delete().  id is the timer's id, udata
 * the sigev_value given to timer_create().  event is KEVENT_TIMER_EXPIRED
 * on output and ret_data the number of expirations since the last report,
 * that is one more than the overrun count of a timer signal.
 */

/*
 * KEVENT_TYPE_NAIO: a network AIO request.  The low 32 bits of id are a
 * socket file descriptor of the caller (a TCP, UDP or UNIX stream or
 * datagram socket), the high 32 bits a request number of its choosing;
 * param[0] is the address of a buffer and param[1] its length, 1 to 2 GiB
 * less a page.  The buffer is pinned when the request is added and charged to the
 * caller's RLIMIT_MEMLOCK.  event is KEVENT_NAIO_RECV, with or without
 * KEVENT_NAIO_WAITALL, or KEVENT_NAIO_SEND; or KEVENT_NAIO_SENDFILE, with
 * param[0] the offset in a file and param[1] the count in its low 32 bits
 * and the file's descriptor in its high 32 bits.  The request must have
 * KEVENT_REQ_ONESHOT, ended by its completion, or KEVENT_REQ_DISPATCH,
 * kept with its pages pinned and run again by KEVENT_CTL_ENABLE, or by
 * KEVENT_CTL_MODIFY as RECV or SEND on any part of those pages (RECV only
 * if ADD pinned them for RECV), or as SENDFILE of the same file (-EBUSY
 * until its completion is reported).  The kernel moves the data;
 * the completion reports event as asked, and ret_data holds the bytes
 * moved in its low 32 bits and, with KEVENT_NAIO_ERROR in event, the errno
 * that stopped the request in its high 32 bits.  The requests of one queue
 * on one socket complete in the order they were added, RECVs and SENDs
 * each.  KEVENT_CTL_REMOVE of a request that moved data completes it, with
 * ECANCELED and the count.
 */
#define KEVENT_NAIO_RECV	0x0001U	/* receive into the buffer */
#define KEVENT_NAIO_SEND	0x0002U	/* send the buffer */
#define KEVENT_NAIO_SENDFILE	0x0004U	/* send from a file */
#define KEVENT_NAIO_WAITALL	0x0100U	/* RECV: fill the buffer, EOF or error */
#define KEVENT_NAIO_ERROR	0x80000000U	/* output: an errno in ret_data */

/*
 * KEVENT_TYPE_INODE: id is a file descriptor of the caller, O_PATH ones
 * too, of a file or directory it may read.  event is a mask of these, the
 * changes to report; on output, those that came since the last report,
 * with ret_data the number of fsnotify events that brought them.  Changes
 * are counted, never queued one by one: a registration cannot overflow.
 * The first six have the values of kqueue's NOTE_ bits of the same names;
 * the others are above every kqueue bit.
 */
#define KEVENT_INODE_DELETE	0x0001U	/* the last link went */
#define KEVENT_INODE_WRITE	0x0002U	/* written, or grown by truncate() */
#define KEVENT_INODE_EXTEND	0x0004U	/* the size grew */
#define KEVENT_INODE_ATTRIB	0x0008U	/* mode, owner, times or xattrs */
#define KEVENT_INODE_LINK	0x0010U	/* the link count changed */
#define KEVENT_INODE_RENAME	0x0020U	/* renamed or moved */
#define KEVENT_INODE_TRUNCATE	0x00010000U	/* the size shrank */
#define KEVENT_INODE_ENTRY_CREATE	0x00020000U	/* directory: an entry created */
#define KEVENT_INODE_ENTRY_DELETE	0x00040000U	/* directory: an entry deleted */
#define KEVENT_INODE_ENTRY_MOVED_FROM	0x00080000U	/* directory: an entry moved out */
#define KEVENT_INODE_ENTRY_MOVED_TO	0x00100000U	/* directory: an entry moved in */

/**
 * struct ukevent - one change, or one reported event
 * @id: identifies the source object within @type (user event id, fd, ...)
 * @udata: opaque to the kernel, returned untouched with every event
 * @type: KEVENT_TYPE_*
 * @cmd: in a change: KEVENT_CTL_*; 0 in a reported event
 * @event: in: the events of interest; out: the events that fired.
 *	For KEVENT_TYPE_USER: must be zero on ADD, any bits on POST; reported
 *	as the OR of the bits posted since the last report.
 * @req_flags: KEVENT_REQ_* flags
 * @ret_flags: out: KEVENT_RET_* flags; ignored on input
 * @reserved: must be zero
 * @ret_data: out: source-specific result, ignored on input.
 *	For KEVENT_TYPE_USER: the number of posts since the last report.
 * @param: source-specific parameters; must be zero where a source uses none
 *
 * A registration is named by (@type, @id) and, for the sources that watch
 * something of a process (a file descriptor, a signal, a futex, a POSIX
 * timer), the process that added it: see Documentation/userspace-api/kevent.rst.
 *
 * The system calls take the size of struct ukevent as an argument, so that
 * it can grow: a larger entry from a newer user space, up to 256 bytes
 * (else -EINVAL), is accepted as long as the bytes this kernel does not
 * know are zero (else -E2BIG), and a reported event fills only the bytes
 * this kernel knows and zeroes the rest.
 */
struct ukevent {
	__u64 id;
	__u64 udata;
	__u32 type;
	__u32 cmd;
	__u32 event;
	__u32 req_flags;
	__u32 ret_flags;
	__u32 reserved;
	__u64 ret_data;
	__u64 param[2];
};

#define KEVENT_UKEVENT_SIZE_VER0	64

/* Commands, struct ukevent.cmd of a change */
#define KEVENT_CTL_ADD		1	/* register (type, id) */
#define KEVENT_CTL_REMOVE	2	/* unregister (type, id) */
#define KEVENT_CTL_MODIFY	3	/* change event, flags, udata, param;
					 * enables a disabled registration
					 */
#define KEVENT_CTL_POST		4	/* make a KEVENT_TYPE_USER kevent ready */
#define KEVENT_CTL_ENABLE	5	/* report again, changing nothing else */
#define KEVENT_CTL_DISABLE	6	/* stop reporting until ENABLE or MODIFY */

/* Request flags, struct ukevent.req_flags.  Level-triggered is the default. */
#define KEVENT_REQ_ONESHOT	(1U << 0)	/* removed after it is reported */
#define KEVENT_REQ_ET		(1U << 1)	/* edge-triggered */
#define KEVENT_REQ_DISPATCH	(1U << 2)	/* disabled after it is reported */
#define KEVENT_REQ_WAKEUP_ALL	(1U << 3)	/* wake every waiter, not one */

/* Return flags, struct ukevent.ret_flags.  Output only. */
#define KEVENT_RET_ERROR	(1U << 0)	/* the change failed: ret_data
						 * holds its errno
						 */

/* Flags for struct kevent_wait_args.flags */
#define KEVENT_WAIT_TIMEOUT	(1U << 0)	/* tv_sec/tv_nsec/clockid are valid */
#define KEVENT_WAIT_ABSTIME	(1U << 1)	/* the timeout is an absolute time */

/**
 * struct kevent_wait_args - optional arguments of kevent_wait()
 * @tv_sec: timeout, seconds (with KEVENT_WAIT_TIMEOUT, else zero)
 * @tv_nsec: timeout, nanoseconds, 0..999999999 (else zero)
 * @sigmask: user address of a sigset_t to install while waiting, or zero
 * @sigmask_size: size of that sigset_t in bytes, zero without @sigmask
 * @clockid: CLOCK_MONOTONIC, CLOCK_REALTIME or CLOCK_BOOTTIME
 *	(with KEVENT_WAIT_TIMEOUT, else zero)
 * @flags: KEVENT_WAIT_* flags
 * @nr_changes: number of entries at @changes
 * @changes: user address of changes to apply before waiting, or zero
 * @ukevent_size: size of an entry of @changes and of the events array,
 *	sizeof(struct ukevent); 0 means KEVENT_UKEVENT_SIZE_VER0
 * @reserved: must be zero
 *
 * Versioned by size like struct kevent_init_args.
 */
struct kevent_wait_args {
	__s64 tv_sec;
	__s64 tv_nsec;
	__u64 sigmask;
	__u32 sigmask_size;
	__u32 clockid;
	__u32 flags;
	__u32 nr_changes;
	__u64 changes;
	__u32 ukevent_size;
	__u32 reserved;
};

#define KEVENT_WAIT_ARGS_SIZE_VER0	56

#endif /* _UAPI_LINUX_KEVENT_H */
