/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kevent: what the rest of the kernel calls.
 */
#ifndef _LINUX_KEVENT_H
#define _LINUX_KEVENT_H

#include <linux/fs.h>

#ifdef CONFIG_KEVENT
void kevent_flush(struct file *file, fl_owner_t owner);
#else
static inline void kevent_flush(struct file *file, fl_owner_t owner)
{
}
#endif

#endif /* _LINUX_KEVENT_H */
