// SPDX-License-Identifier: GPL-2.0
/*
 * kevent: futex wakeups (KEVENT_TYPE_FUTEX).
 *
 * A registration is a futex waiter, as one of futex_waitv() or of
 * io_uring's FUTEX_WAIT: ADD reads the futex word and, if it holds the
 * expected value, queues a struct futex_q on the futex's hash bucket, with
 * no task behind it and a wake function of its own.  FUTEX_WAKE (and
 * anything else that wakes futex waiters) picks it like any other waiter,
 * counts it in the number it returns, takes it off the hash bucket and
 * calls kevent_futex_wake() with the bucket's lock held; that queues the
 * kevent.  A word that holds another value at ADD time fails the ADD with
 * -EAGAIN, as futex_waitv() does, so that no wakeup is lost between a
 * check in user space and the registration.
 *
 * What may fault is done before the queue's mutex is taken, in
 * kevent_futex_prepare(): the futex key is looked up and the word faulted
 * in.  With the mutex held the word is read with page faults disabled, as
 * futex_wait_setup() reads it under the hash bucket lock; if the page went
 * meanwhile the ADD is prepared again.  A fault that stalls (userfaultfd)
 * holds only the caller.
 *
 * A futex waiter waits once, so the registration must be a oneshot one:
 * it is removed when its wakeup is reported.  REMOVE dequeues a waiter
 * that was not woken.  Only 32-bit futexes, private or shared, and no
 * PI futexes.
 *
 * The key of a private futex is the address in an mm: the registration
 * holds a reference on the mm_struct (mmgrab()), so that no other mm can
 * take its address while the key is queued.  It belongs to the registering
 * process, which lists it in its struct kevent_process (process.c), and is
 * removed when the process execs or exits: a queue that outlives it does
 * not watch another program's memory.
 */

#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>

#include "../futex/futex.h"
#include "kevent.h"

#define KEVENT_FUTEX_OPTIONS	KEVENT_FUTEX_PRIVATE

/* The private part of a KEVENT_TYPE_FUTEX kevent */
struct kevent_futex {
	/* From kevent_futex_prepare(), copied to q.key by attach */
	union futex_key			key;
	struct futex_q			q;
	struct kevent			*k;
	struct kevent_storage_entry	entry;	/* in kevent_process.futexes */
	struct kevent_process		*kp;
	struct mm_struct		*mm;	/* of a private futex, grabbed */
	bool				woken;
};

static void kevent_futex_wake(struct wake_q_head *wake_q, struct futex_q *q)
{
	struct kevent_futex *f = container_of(q, struct kevent_futex, q);

	/*
	 * Queue the kevent first: once __futex_wake_mark() has cleared
	 * q->lock_ptr, futex_unqueue() in kevent_futex_detach() no longer
	 * waits for the hash bucket lock we hold, and the kevent may go.
	 * Our waiters are never PI waiters, so the mark cannot fail.
	 */
	WRITE_ONCE(f->woken, true);
	kevent_ready(f->k);
	__futex_wake_mark(q);
}

static int kevent_futex_check(const struct ukevent *uk)
{
	if (uk->id % sizeof(u32) || uk->param[0] > U32_MAX || uk->param[1])
		return -EINVAL;
	if (!(uk->req_flags & KEVENT_REQ_ONESHOT))
		return -EINVAL;
	return 0;
}

static_assert(offsetof(struct kevent_futex, key) == 0);
static_assert(sizeof(union futex_key) <= KEVENT_PREP_SIZE);

/* Without the queue's mutex: what may fault or sleep */
static int kevent_futex_prepare(const struct ukevent *uk, void *prep)
{
	u32 __user *uaddr = u64_to_user_ptr(uk->id);
	unsigned int flags = FLAGS_SIZE_32;
	int err;

	if (!(uk->event & KEVENT_FUTEX_PRIVATE))
		flags |= FLAGS_SHARED;
	err = get_futex_key(uaddr, flags, prep, FUTEX_READ);
	if (err)
		return err;
	if (fault_in_readable((const char __user *)uaddr, sizeof(*uaddr)))
		return -EFAULT;
	return 0;
}

static int kevent_futex_attach(struct kevent *k)
{
	struct kevent_futex *f = kevent_priv(k);
	u32 __user *uaddr = u64_to_user_ptr(k->uk.id);
	struct futex_hash_bucket *hb;
	u32 uval;
	int err;

	f->kp = kevent_process_get();
	if (!f->kp)
		return -ENOMEM;
	f->k = k;
	f->q = futex_q_init;
	f->q.wake = kevent_futex_wake;
	f->q.key = f->key;

	hb = futex_q_lock(&f->q);
	__acquire(&hb->lock);
	/* As futex_wait_setup(): page faults disabled, -EFAULT if it is gone */
	err = futex_get_value_locked(&uval, uaddr);
	if (!err && uval != k->uk.param[0])
		err = -EAGAIN;
	if (err) {
		__release(&hb->lock);
		futex_q_unlock(hb);
		return err;
	}
	f->mm = NULL;
	if (k->uk.event & KEVENT_FUTEX_PRIVATE) {
		f->mm = current->mm;
		mmgrab(f->mm);
	}
	/* Unlocks hb; no task: kevent_futex_wake() does the waking. */
	futex_queue(&f->q, hb, NULL);
	kevent_process_add(f->kp, &f->kp->futexes, &f->entry, k);
	return 0;
}

static void kevent_futex_detach(struct kevent *k)
{
	struct kevent_futex *f = kevent_priv(k);

	/* Nothing if woken; after return kevent_futex_wake() cannot run. */
	futex_unqueue(&f->q);
	kevent_process_del(f->kp, &f->entry);
	if (f->mm)
		mmdrop(f->mm);
}

static int kevent_futex_modify(struct kevent *k, const struct ukevent *uk)
{
	/* The waiter is queued for one value of one word. */
	if (uk->event != k->uk.event || uk->param[0] != k->uk.param[0])
		return -EINVAL;
	return 0;
}

static bool kevent_futex_report(struct kevent *k, struct ukevent *out)
{
	struct kevent_futex *f = kevent_priv(k);

	if (!READ_ONCE(f->woken))
		return false;
	out->event = KEVENT_FUTEX_WOKEN;
	out->ret_data = 1;
	return true;
}

const struct kevent_ops kevent_futex_ops = {
	.priv_size	= sizeof(struct kevent_futex),
	.per_process	= true,
	.event_mask	= KEVENT_FUTEX_OPTIONS,
	.prep_size	= sizeof(union futex_key),
	.check		= kevent_futex_check,
	.prepare	= kevent_futex_prepare,
	.attach		= kevent_futex_attach,
	.detach		= kevent_futex_detach,
	.modify		= kevent_futex_modify,
	.report		= kevent_futex_report,
};
