/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libkevent: user space helpers for the kevent event queue.
 *
 * The system call wrappers that libc does not have yet, a check for a
 * kernel with kevent, and inline helpers that fill a struct ukevent for
 * each event source and read a reported one.  The ABI itself, the
 * structures and constants, is the kernel's <linux/kevent.h>, installed
 * with this header as <libkevent/kevent.h>; see kevent_init(2),
 * kevent_ctl(2), kevent_wait(2) and libkevent(3).
 *
 * Functions return -1 and set errno on failure, as libc's do.  The header
 * needs POSIX's sigset_t and struct timespec: compile with _GNU_SOURCE,
 * _POSIX_C_SOURCE or a gnu C standard, not a bare -std=c11.
 */
#ifndef LIBKEVENT_H
#define LIBKEVENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <libkevent/kevent.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * kevent_apply(), kevent_getevents() and kevent_submit_and_wait() walk
 * arrays of the struct ukevent this library was built with.  A program
 * built against a kernel header whose struct has grown must not hand
 * them its arrays: it calls kevent_ctl() and kevent_wait() with its own
 * size instead, until a libkevent that knows the new size.
 */
#ifdef __cplusplus
static_assert(sizeof(struct ukevent) == KEVENT_UKEVENT_SIZE_VER0,
	      "struct ukevent is not the one libkevent knows");
#else
_Static_assert(sizeof(struct ukevent) == KEVENT_UKEVENT_SIZE_VER0,
	       "struct ukevent is not the one libkevent knows");
#endif

/* The version of this library: LIBKEVENT_VERSION_MAJOR.MINOR */
#define LIBKEVENT_VERSION_MAJOR	0
#define LIBKEVENT_VERSION_MINOR	1

/* The system calls, with the kernel's arguments: see their man pages. */
int kevent_init(const struct kevent_init_args *args, size_t size);
int kevent_ctl(int kq, unsigned int flags, unsigned int nr,
	       struct ukevent *changes, size_t size);
int kevent_wait(int kq, unsigned int min_nr, unsigned int max_nr,
		struct ukevent *events, const struct kevent_wait_args *args,
		size_t size);

/*
 * kevent_available() - does the running kernel have kevent?
 *
 * Kernels without kevent may give its system call numbers to other calls,
 * so the answer comes from /proc/sys/fs/kevent, which only a kernel with
 * kevent has, before any of them is called.  Without /proc mounted, it is
 * 0, not kept: no number is tried that may belong to another call.
 * Otherwise the answer is kept.
 *
 * Return: 1 if it has, 0 if not.
 */
int kevent_available(void);

/*
 * kevent_queue() - a new queue
 * @flags: KEVENT_INIT_CLOEXEC, KEVENT_INIT_NONBLOCK
 *
 * Return: its file descriptor, or -1 with errno set: ENOSYS on a kernel
 * without kevent (kevent_available()), else as kevent_init(2).
 */
int kevent_queue(uint64_t flags);

/*
 * kevent_apply() - apply changes, all that can be
 * @kq: the queue
 * @changes: @nr changes, each with its cmd
 * @nr: how many
 *
 * Where kevent_ctl(2) stops at the first change that fails, this goes on
 * with the next: each failed change has KEVENT_RET_ERROR in ret_flags and
 * its errno in ret_data (kevent_change_error()); the others are applied.
 *
 * Any number of changes: more than one system call takes are applied in
 * several.
 *
 * Return: the number of changes that failed, 0 if none, with errno set to
 * the error of the first; -1 with errno set if a call itself failed (a
 * bad @kq), with the changes before applied.
 */
int kevent_apply(int kq, struct ukevent *changes, unsigned int nr);

/*
 * kevent_getevents() - wait for events
 * @kq: the queue
 * @min_nr: return once this many are copied (0: do not wait)
 * @max_nr: copy at most this many to @events
 * @events: where they go
 * @timeout: relative, on CLOCK_MONOTONIC; NULL waits without a timeout
 *
 * Return: the number of events copied, or -1 with errno set.
 */
int kevent_getevents(int kq, unsigned int min_nr, unsigned int max_nr,
		     struct ukevent *events, const struct timespec *timeout);

/*
 * kevent_submit_and_wait() - apply changes and wait, in one system call
 * @kq: the queue
 * @changes: @nr_changes changes, or NULL
 * @nr_changes: how many
 * @events: where events go
 * @min_nr: return once this many are copied
 * @max_nr: copy at most this many.  A change that fails does not stop the
 *	others: it takes an entry (kevent_change_error()), and the call then
 *	returns without waiting; with @max_nr at least @nr_changes there is
 *	always room for them (see kevent_wait(2))
 * @timeout: relative, on CLOCK_MONOTONIC; NULL: none
 * @sigmask: the signal mask to wait with, as ppoll(); NULL: unchanged
 *
 * Return: the number of entries written to @events, or -1 with errno set.
 */
int kevent_submit_and_wait(int kq, const struct ukevent *changes,
			   unsigned int nr_changes, struct ukevent *events,
			   unsigned int min_nr, unsigned int max_nr,
			   const struct timespec *timeout,
			   const sigset_t *sigmask);

/* Filling a change.  Each sets every field, the reserved ones to zero. */

static inline void kevent_prep(struct ukevent *uk, uint32_t cmd,
			       uint32_t type, uint64_t id, uint32_t event,
			       uint32_t req_flags, uint64_t udata)
{
	memset(uk, 0, sizeof(*uk));
	uk->id = id;
	uk->udata = udata;
	uk->type = type;
	uk->cmd = cmd;
	uk->event = event;
	uk->req_flags = req_flags;
}

/* REMOVE, ENABLE or DISABLE of (type, id) */
static inline void kevent_prep_cmd(struct ukevent *uk, uint32_t cmd,
				   uint32_t type, uint64_t id)
{
	kevent_prep(uk, cmd, type, id, 0, 0, 0);
}

/* A user event, KEVENT_TYPE_USER (ADD or MODIFY) */
static inline void kevent_prep_user(struct ukevent *uk, uint32_t cmd,
				    uint64_t id, uint32_t req_flags,
				    uint64_t udata)
{
	kevent_prep(uk, cmd, KEVENT_TYPE_USER, id, 0, req_flags, udata);
}

/* KEVENT_CTL_POST of @bits to user event @id */
static inline void kevent_prep_post(struct ukevent *uk, uint64_t id,
				    uint32_t bits)
{
	kevent_prep(uk, KEVENT_CTL_POST, KEVENT_TYPE_USER, id, bits, 0, 0);
}

/*
 * A file descriptor: KEVENT_TYPE_SOCKET, _PIPE or _POLL with their event
 * bits, KEVENT_TYPE_PROC with a pidfd and KEVENT_PROC_EXIT, or
 * KEVENT_TYPE_INODE with a file or directory and KEVENT_INODE_* bits
 */
static inline void kevent_prep_fd(struct ukevent *uk, uint32_t cmd,
				  uint32_t type, int fd, uint32_t events,
				  uint32_t req_flags, uint64_t udata)
{
	kevent_prep(uk, cmd, type, (uint32_t)fd, events, req_flags, udata);
}

/*
 * A timer @id: first expiry @ns from now (or at @ns with
 * KEVENT_TIMER_ABSTIME in @opts), then every @period_ns (0: once)
 */
static inline void kevent_prep_timer(struct ukevent *uk, uint32_t cmd,
				     uint64_t id, uint64_t ns,
				     uint64_t period_ns, uint32_t opts,
				     uint32_t req_flags, uint64_t udata)
{
	kevent_prep(uk, cmd, KEVENT_TYPE_TIMER, id, opts, req_flags, udata);
	uk->param[0] = ns;
	uk->param[1] = period_ns;
}

/* Arrivals of signal @signo */
static inline void kevent_prep_signal(struct ukevent *uk, uint32_t cmd,
				      int signo, uint32_t req_flags,
				      uint64_t udata)
{
	kevent_prep(uk, cmd, KEVENT_TYPE_SIGNAL, (uint32_t)signo,
		    KEVENT_SIGNAL_ARRIVED, req_flags, udata);
}

/* One FUTEX_WAKE of the word at @uaddr, if it holds @val (ADD, oneshot) */
static inline void kevent_prep_futex(struct ukevent *uk,
				     const uint32_t *uaddr, uint32_t val,
				     uint32_t opts, uint64_t udata)
{
	kevent_prep(uk, KEVENT_CTL_ADD, KEVENT_TYPE_FUTEX,
		    (uintptr_t)uaddr, opts, KEVENT_REQ_ONESHOT, udata);
	uk->param[0] = val;
}

/* The id of network AIO request @nr on socket @fd */
static inline uint64_t kevent_naio_id(int fd, uint32_t nr)
{
	return (uint64_t)nr << 32 | (uint32_t)fd;
}

/*
 * A network AIO request @nr on socket @fd: @op KEVENT_NAIO_RECV (with
 * KEVENT_NAIO_WAITALL) or KEVENT_NAIO_SEND of @len bytes at @buf;
 * @req_flags KEVENT_REQ_ONESHOT or KEVENT_REQ_DISPATCH
 */
static inline void kevent_prep_naio(struct ukevent *uk, uint32_t cmd,
				    int fd, uint32_t nr, uint32_t op,
				    const void *buf, uint32_t len,
				    uint32_t req_flags, uint64_t udata)
{
	kevent_prep(uk, cmd, KEVENT_TYPE_NAIO, kevent_naio_id(fd, nr), op,
		    req_flags, udata);
	uk->param[0] = (uintptr_t)buf;
	uk->param[1] = len;
}

/* SENDFILE request @nr: @count bytes at @offset of @file to socket @fd */
static inline void kevent_prep_sendfile(struct ukevent *uk, uint32_t cmd,
					int fd, uint32_t nr, int file,
					uint64_t offset, uint32_t count,
					uint32_t req_flags, uint64_t udata)
{
	kevent_prep(uk, cmd, KEVENT_TYPE_NAIO, kevent_naio_id(fd, nr),
		    KEVENT_NAIO_SENDFILE, req_flags, udata);
	uk->param[0] = offset;
	uk->param[1] = (uint64_t)(uint32_t)file << 32 | count;
}

/* Reading what came back. */

/* The errno of a change that failed, 0 for an event or a change applied */
static inline int kevent_change_error(const struct ukevent *uk)
{
	return uk->ret_flags & KEVENT_RET_ERROR ? (int)uk->ret_data : 0;
}

/* The bytes a network AIO completion moved */
static inline uint32_t kevent_naio_bytes(const struct ukevent *ev)
{
	return (uint32_t)ev->ret_data;
}

/* The errno that stopped a network AIO request, 0 if none */
static inline int kevent_naio_error(const struct ukevent *ev)
{
	return ev->event & KEVENT_NAIO_ERROR ? (int)(ev->ret_data >> 32) : 0;
}

#ifdef __cplusplus
}
#endif

#endif /* LIBKEVENT_H */
