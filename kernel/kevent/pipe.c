// SPDX-License-Identifier: GPL-2.0
/*
 * kevent: pipe and FIFO readiness (KEVENT_TYPE_PIPE).
 *
 * A pipe registration is a poll registration (poll.c) that only takes
 * pipes and FIFOs and also says how much can be moved: ret_data holds
 * the bytes that can be read, as FIONREAD counts them, and a lower bound
 * of the bytes that can be written without blocking (whole free buffers).
 */

#include <linux/fs.h>
#include <linux/pipe_fs_i.h>

#include "kevent.h"

#define KEVENT_PIPE_EVENTS	(KEVENT_POLL_IN | KEVENT_POLL_OUT | \
				 KEVENT_POLL_ERR | KEVENT_POLL_HUP)

static int kevent_pipe_check(struct file *file)
{
	return get_pipe_info(file, false) ? 0 : -EINVAL;
}

static int kevent_pipe_attach(struct kevent *k)
{
	return kevent_poll_attach_file(k, kevent_pipe_check);
}

static bool kevent_pipe_report(struct kevent *k, struct ukevent *out)
{
	struct kevent_poll *p = kevent_priv(k);
	struct file *file = p->kf.file;
	struct pipe_inode_info *pipe = get_pipe_info(file, false);
	unsigned int head, tail, mask, used, i;
	u32 in = 0, out_space = 0;

	if (!kevent_poll_report(k, out))
		return false;

	/*
	 * Not pipe->mutex, which is taken around splices from seq_files,
	 * whose locks are taken around kevent_user.mutex (fdinfo).  The
	 * wait queue lock keeps the ring from being resized under us, see
	 * pipe_resize_ring(); readers and writers may move head and tail
	 * meanwhile, so the counts are a snapshot, as FIONREAD's are.
	 */
	spin_lock_irq(&pipe->rd_wait.lock);
	head = READ_ONCE(pipe->head);
	tail = READ_ONCE(pipe->tail);
	mask = pipe->ring_size - 1;
	used = pipe_occupancy(head, tail);
	if (used > pipe->ring_size)
		used = 0;
	if (file->f_mode & FMODE_READ) {
		for (i = 0; i < used; i++)
			in += READ_ONCE(pipe->bufs[(tail + i) & mask].len);
	}
	if ((file->f_mode & FMODE_WRITE) && READ_ONCE(pipe->readers) &&
	    used < pipe->max_usage)
		out_space = (pipe->max_usage - used) * PAGE_SIZE;
	spin_unlock_irq(&pipe->rd_wait.lock);

	out->ret_data = (u64)out_space << 32 | in;
	return true;
}

const struct kevent_ops kevent_pipe_ops = {
	.priv_size	= sizeof(struct kevent_poll),
	.extra_size	= KEVENT_POLL_EXTRA_SIZE,
	.fd_based	= true,
	.event_mask	= KEVENT_PIPE_EVENTS,
	.attach		= kevent_pipe_attach,
	.detach		= kevent_poll_detach,
	.report		= kevent_pipe_report,
};
