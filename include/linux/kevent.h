/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kevent: what the rest of the kernel calls.
 */
#ifndef _LINUX_KEVENT_H
#define _LINUX_KEVENT_H

#include <linux/fs.h>
#include <linux/jump_label.h>
#include <linux/net.h>
#include <uapi/linux/kevent.h>

struct k_itimer;
struct signal_struct;
struct task_struct;

#ifdef CONFIG_KEVENT
void kevent_flush(struct file *file, fl_owner_t owner);

DECLARE_STATIC_KEY_FALSE(kevent_socket_used);
void __kevent_socket_notify(struct socket_wq *wq, u32 events);

/**
 * kevent_socket_notify() - a socket's state changed
 * @wq: the socket's wait queue, rcu_dereference(sk->sk_wq), may be NULL
 * @events: the KEVENT_SOCKET_* events that may have become ready
 *
 * Called by the socket callbacks (data ready, write space, state change,
 * error) under rcu_read_lock(), in any context.  Costs a static branch
 * while no socket is watched.
 */
static inline void kevent_socket_notify(struct socket_wq *wq, u32 events)
{
	if (static_branch_unlikely(&kevent_socket_used) && wq)
		__kevent_socket_notify(wq, events);
}

/**
 * kevent_socket_init() - initialise the kevent part of a socket_wq
 * @wq: the socket_wq
 */
static inline void kevent_socket_init(struct socket_wq *wq)
{
	wq->kevent = NULL;
}

void kevent_socket_free(struct socket_wq *wq);

DECLARE_STATIC_KEY_FALSE(kevent_signal_used);
void __kevent_signal_notify(struct signal_struct *sig, int signo);

/**
 * kevent_signal_notify() - a signal is being sent to a process
 * @sig: the signal_struct of the target task
 * @signo: the signal
 *
 * Called for every signal generated, with the target's siglock held,
 * before the signal is queued, merged or ignored.  Costs a static branch
 * while no process watches a signal.
 */
static inline void kevent_signal_notify(struct signal_struct *sig, int signo)
{
	if (static_branch_unlikely(&kevent_signal_used))
		__kevent_signal_notify(sig, signo);
}

void kevent_exec(struct task_struct *tsk);
void kevent_exit(struct task_struct *tsk);
void kevent_process_free(struct signal_struct *sig);

int kevent_posix_timer_create(struct k_itimer *timr, int fd, u64 udata);
int kevent_posix_timer_fire(struct k_itimer *timr, int si_private);
void kevent_posix_timer_delete(struct k_itimer *timr);
#else
static inline void kevent_flush(struct file *file, fl_owner_t owner)
{
}

static inline void kevent_socket_notify(struct socket_wq *wq, u32 events)
{
}

static inline void kevent_socket_init(struct socket_wq *wq)
{
}

static inline void kevent_socket_free(struct socket_wq *wq)
{
}

static inline void kevent_signal_notify(struct signal_struct *sig, int signo)
{
}

static inline void kevent_exec(struct task_struct *tsk)
{
}

static inline void kevent_exit(struct task_struct *tsk)
{
}

static inline void kevent_process_free(struct signal_struct *sig)
{
}

static inline int kevent_posix_timer_create(struct k_itimer *timr, int fd,
					    u64 udata)
{
	return -EINVAL;
}

static inline int kevent_posix_timer_fire(struct k_itimer *timr,
					  int si_private)
{
	return 0;
}

static inline void kevent_posix_timer_delete(struct k_itimer *timr)
{
}
#endif

#endif /* _LINUX_KEVENT_H */
