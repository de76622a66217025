// SPDX-License-Identifier: GPL-2.0
/*
 * kevent selftests: the queue, user-posted events, and the errors of the
 * three system calls.
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "common.h"

#define MS	1000000LL	/* nanoseconds */

FIXTURE(kq) {
	int fd;
};

FIXTURE_SETUP(kq)
{
	self->fd = kq_new(0);
	ASSERT_LE(0, self->fd) {
		TH_LOG("kevent_init: %s (CONFIG_KEVENT=n?)", strerror(errno));
	}
}

FIXTURE_TEARDOWN(kq)
{
	close(self->fd);
}

/* ABI: the layout is fixed, the same for 32 and 64 bit. */
TEST(abi_layout)
{
	ASSERT_EQ(64, sizeof(struct ukevent));
	ASSERT_EQ(KEVENT_UKEVENT_SIZE_VER0, sizeof(struct ukevent));
	ASSERT_EQ(0, offsetof(struct ukevent, id));
	ASSERT_EQ(8, offsetof(struct ukevent, udata));
	ASSERT_EQ(16, offsetof(struct ukevent, type));
	ASSERT_EQ(20, offsetof(struct ukevent, cmd));
	ASSERT_EQ(24, offsetof(struct ukevent, event));
	ASSERT_EQ(28, offsetof(struct ukevent, req_flags));
	ASSERT_EQ(32, offsetof(struct ukevent, ret_flags));
	ASSERT_EQ(36, offsetof(struct ukevent, reserved));
	ASSERT_EQ(40, offsetof(struct ukevent, ret_data));
	ASSERT_EQ(48, offsetof(struct ukevent, param));
	ASSERT_EQ(KEVENT_INIT_ARGS_SIZE_VER0, sizeof(struct kevent_init_args));
	ASSERT_EQ(KEVENT_WAIT_ARGS_SIZE_VER0, sizeof(struct kevent_wait_args));
	ASSERT_EQ(56, sizeof(struct kevent_wait_args));
	ASSERT_EQ(16, offsetof(struct kevent_wait_args, sigmask));
	ASSERT_EQ(28, offsetof(struct kevent_wait_args, clockid));
	ASSERT_EQ(36, offsetof(struct kevent_wait_args, nr_changes));
	ASSERT_EQ(40, offsetof(struct kevent_wait_args, changes));
	ASSERT_EQ(48, offsetof(struct kevent_wait_args, ukevent_size));
	ASSERT_EQ(52, offsetof(struct kevent_wait_args, reserved));
}

/* kevent_init() */

TEST(init_default_flags)
{
	int fd = kq_new(0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);
}

TEST(init_cloexec)
{
	int fd = kq_new(KEVENT_INIT_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

TEST(init_nonblock_wait_eagain)
{
	struct ukevent ev;
	int fd = kq_new(KEVENT_INIT_NONBLOCK);

	ASSERT_LE(0, fd);
	EXPECT_EQ(O_NONBLOCK, fcntl(fd, F_GETFL) & O_NONBLOCK);
	ASSERT_EQ(0, user_add(fd, 1, 0, 0));
	/* Would block forever without NONBLOCK. */
	EXPECT_EQ(-1, kq_wait_ms(fd, 1, 1, &ev, -1));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, user_post(fd, 1, 0));
	EXPECT_EQ(1, kq_wait_ms(fd, 1, 1, &ev, -1));
	close(fd);
}

TEST(init_unknown_flags_einval)
{
	EXPECT_EQ(-1, kq_new(1ULL << 2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, kq_new(1ULL << 63));
	EXPECT_EQ(EINVAL, errno);
}

TEST(init_short_size_einval)
{
	struct kevent_init_args args = { 0 };

	EXPECT_EQ(-1, sys_kevent_init(&args, 4));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sys_kevent_init(NULL, 0));
	EXPECT_EQ(EINVAL, errno);
}

TEST(init_extensible_size)
{
	struct {
		struct kevent_init_args args;
		__u64 future;
	} big = { { 0 }, 0 };
	char *page;
	int fd;

	/* A larger struct with zeroes where this kernel knows nothing. */
	fd = sys_kevent_init(&big.args, sizeof(big));
	ASSERT_LE(0, fd);
	close(fd);

	big.future = 1;
	EXPECT_EQ(-1, sys_kevent_init(&big.args, sizeof(big)));
	EXPECT_EQ(E2BIG, errno);

	page = calloc(2, getpagesize());
	ASSERT_TRUE(!!page);
	EXPECT_EQ(-1, sys_kevent_init((void *)page, getpagesize() + 8));
	EXPECT_EQ(E2BIG, errno);
	free(page);
}

TEST(init_efault)
{
	void *unmapped = mmap(NULL, 4096, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(unmapped != MAP_FAILED);
	EXPECT_EQ(-1, sys_kevent_init(NULL, KEVENT_INIT_ARGS_SIZE_VER0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, sys_kevent_init(unmapped, KEVENT_INIT_ARGS_SIZE_VER0));
	EXPECT_EQ(EFAULT, errno);
	munmap(unmapped, 4096);
}

/* Registration */

TEST_F(kq, add_remove)
{
	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));
	EXPECT_EQ(1, kq_fdinfo_count(self->fd));
	ASSERT_EQ(0, kq_remove(self->fd, KEVENT_TYPE_USER, 1));
	EXPECT_EQ(0, kq_fdinfo_count(self->fd));
	EXPECT_EQ(-1, kq_remove(self->fd, KEVENT_TYPE_USER, 1));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(kq, add_duplicate_eexist)
{
	ASSERT_EQ(0, user_add(self->fd, 7, 0, 0));
	EXPECT_EQ(-1, user_add(self->fd, 7, KEVENT_REQ_ET, 1));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(1, kq_fdinfo_count(self->fd));
	/* Another id is another registration. */
	EXPECT_EQ(0, user_add(self->fd, 8, 0, 0));
}

TEST_F(kq, unknown_key_enoent)
{
	struct ukevent uk = kev_user(42, 0, 0);

	EXPECT_EQ(-1, kq_ctl1(self->fd, KEVENT_CTL_REMOVE, uk));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, kq_ctl1(self->fd, KEVENT_CTL_MODIFY, uk));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, kq_ctl1(self->fd, KEVENT_CTL_POST, uk));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(kq, bad_type_einval)
{
	struct ukevent uk = kev_user(1, 0, 0);

	uk.type = 0;
	EXPECT_EQ(-1, kq_ctl1(self->fd, KEVENT_CTL_ADD, uk));
	EXPECT_EQ(EINVAL, errno);
	uk.type = 1000;
	EXPECT_EQ(-1, kq_ctl1(self->fd, KEVENT_CTL_ADD, uk));
	EXPECT_EQ(EINVAL, errno);
	uk.type = ~0U;
	EXPECT_EQ(-1, kq_ctl1(self->fd, KEVENT_CTL_ADD, uk));
	EXPECT_EQ(EINVAL, errno);
}

/* Numbers no source has yet are not reserved: they are unknown. */
TEST_F(kq, unassigned_type_einval)
{
	struct ukevent uk = kev_user(1, 0, 0);
	__u32 type;

	for (type = KEVENT_TYPE_INODE + 1; type < 64; type++) {
		uk.type = type;
		EXPECT_EQ(-1, kq_ctl1(self->fd, KEVENT_CTL_ADD, uk));
		EXPECT_EQ(EINVAL, errno) {
			TH_LOG("type %u", type);
		}
	}
	EXPECT_EQ(0, kq_fdinfo_count(self->fd));
}

TEST_F(kq, bad_req_flags_einval)
{
	EXPECT_EQ(-1, user_add(self->fd, 1, 1U << 4, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, user_add(self->fd, 1, 1U << 31, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, user_add(self->fd, 1,
			       KEVENT_REQ_ONESHOT | KEVENT_REQ_DISPATCH, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->fd));
}

TEST_F(kq, reserved_and_param_einval)
{
	struct ukevent uk = kev_user(1, 0, 0);

	uk.reserved = 1;
	EXPECT_EQ(-1, kq_ctl1(self->fd, KEVENT_CTL_ADD, uk));
	EXPECT_EQ(EINVAL, errno);
	uk.reserved = 0;
	uk.param[1] = 1;
	EXPECT_EQ(-1, kq_ctl1(self->fd, KEVENT_CTL_ADD, uk));
	EXPECT_EQ(EINVAL, errno);
	uk.param[1] = 0;
	uk.event = 1;	/* a user event has no events to select on ADD */
	EXPECT_EQ(-1, kq_ctl1(self->fd, KEVENT_CTL_ADD, uk));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->fd));

	uk.event = 0;
	ASSERT_EQ(0, kq_ctl1(self->fd, KEVENT_CTL_ADD, uk));
	uk.param[0] = 1;
	EXPECT_EQ(-1, kq_ctl1(self->fd, KEVENT_CTL_POST, uk));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, kq_ctl1(self->fd, KEVENT_CTL_MODIFY, uk));
	EXPECT_EQ(EINVAL, errno);
}

/* Output fields are ignored on input: a reported entry can be re-added. */
TEST_F(kq, ret_fields_ignored_on_input)
{
	struct ukevent uk = kev_user(1, 0, 0);

	uk.ret_flags = ~0U;
	uk.ret_data = ~0ULL;
	EXPECT_EQ(0, kq_ctl1(self->fd, KEVENT_CTL_ADD, uk));
}

TEST_F(kq, bad_cmd_einval)
{
	struct ukevent uk = kev_user(1, 0, 0);

	EXPECT_EQ(-1, kq_ctl(self->fd, 0, 1, &uk));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, kq_ctl(self->fd, KEVENT_CTL_DISABLE + 1, 1, &uk));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, kq_ctl(self->fd, ~0U, 1, &uk));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->fd));
}

TEST_F(kq, ctl_flags_einval)
{
	struct ukevent uk = kev_user(1, 0, 0);
	unsigned int bit;

	uk.cmd = KEVENT_CTL_ADD;
	for (bit = 0; bit < 32; bit++) {
		EXPECT_EQ(-1, sys_kevent_ctl(self->fd, 1U << bit, 1, &uk,
					     sizeof(uk)));
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(0, kq_fdinfo_count(self->fd));
}

/* The entry size: 64 bytes or more, a multiple of 8, at most 256. */
TEST_F(kq, ctl_entry_size)
{
	struct {
		struct ukevent uk;
		__u64 more[24];
	} big[2];
	struct ukevent uk = kev_user(1, 0, 0);
	size_t size;

	uk.cmd = KEVENT_CTL_ADD;
	for (size = 0; size < sizeof(uk); size += 8) {
		EXPECT_EQ(-1, sys_kevent_ctl(self->fd, 0, 1, &uk, size));
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(-1, sys_kevent_ctl(self->fd, 0, 1, &uk, sizeof(uk) + 4));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sys_kevent_ctl(self->fd, 0, 1, &uk, 264));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->fd));

	/* Larger entries from a newer user space: their tail must be zero. */
	memset(big, 0, sizeof(big));
	big[0].uk = kev_user(1, 0, 0);
	big[0].uk.cmd = KEVENT_CTL_ADD;
	big[1].uk = kev_user(2, 0, 0);
	big[1].uk.cmd = KEVENT_CTL_ADD;
	EXPECT_EQ(2, sys_kevent_ctl(self->fd, 0, 2, &big[0].uk, sizeof(big[0])));
	EXPECT_EQ(2, kq_fdinfo_count(self->fd));
	big[0].uk.id = 3;
	big[0].more[23] = 1;
	EXPECT_EQ(-1, sys_kevent_ctl(self->fd, 0, 1, &big[0].uk, sizeof(big[0])));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(KEVENT_RET_ERROR, big[0].uk.ret_flags);
	EXPECT_EQ(E2BIG, big[0].uk.ret_data);
	EXPECT_EQ(2, kq_fdinfo_count(self->fd));
}

/* Each entry carries its own command: one call adds, posts and removes. */
TEST_F(kq, ctl_mixed_commands)
{
	struct ukevent uk[4], ev[4];

	uk[0] = kev_user(1, KEVENT_REQ_ET, 10);
	uk[0].cmd = KEVENT_CTL_ADD;
	uk[1] = kev_user(2, 0, 20);
	uk[1].cmd = KEVENT_CTL_ADD;
	uk[2] = kev_user(1, 0, 0);
	uk[2].cmd = KEVENT_CTL_POST;
	uk[2].event = 0x5;
	uk[3] = kev_user(2, 0, 0);
	uk[3].cmd = KEVENT_CTL_REMOVE;
	ASSERT_EQ(4, sys_kevent_ctl(self->fd, 0, 4, uk, sizeof(uk[0])));
	EXPECT_EQ(1, kq_fdinfo_count(self->fd));
	ASSERT_EQ(1, kq_wait_ms(self->fd, 0, 4, ev, 0));
	EXPECT_EQ(1, ev[0].id);
	EXPECT_EQ(10, ev[0].udata);
	EXPECT_EQ(0x5, ev[0].event);
	/* A reported event carries no command. */
	EXPECT_EQ(0, ev[0].cmd);
}

TEST(ctl_bad_fd)
{
	struct ukevent uk = kev_user(1, 0, 0);
	int p[2];

	EXPECT_EQ(-1, kq_ctl(-1, KEVENT_CTL_ADD, 1, &uk));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, kq_ctl(9999, KEVENT_CTL_ADD, 1, &uk));
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(-1, kq_ctl(p[0], KEVENT_CTL_ADD, 1, &uk));
	EXPECT_EQ(EINVAL, errno);
	close(p[0]);
	close(p[1]);
}

TEST_F(kq, ctl_efault)
{
	void *unmapped = mmap(NULL, 4096, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(unmapped != MAP_FAILED);
	EXPECT_EQ(-1, sys_kevent_ctl(self->fd, 0, 1, NULL,
				     sizeof(struct ukevent)));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, sys_kevent_ctl(self->fd, 0, 1, unmapped,
				     sizeof(struct ukevent)));
	EXPECT_EQ(EFAULT, errno);
	/* Nothing to read: nothing read, as documented. */
	EXPECT_EQ(0, sys_kevent_ctl(self->fd, 0, 0, NULL,
				    sizeof(struct ukevent)));
	munmap(unmapped, 4096);
}

TEST_F(kq, ctl_oversized_num_einval)
{
	struct ukevent uk = kev_user(1, 0, 0);

	uk.cmd = KEVENT_CTL_ADD;
	EXPECT_EQ(-1, sys_kevent_ctl(self->fd, 0, (1U << 16) + 1, &uk,
				     sizeof(uk)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sys_kevent_ctl(self->fd, 0, ~0U, &uk, sizeof(uk)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->fd));
}

/* A batch stops at its first bad entry, which says why; earlier ones stay. */
TEST_F(kq, batch_stops_at_bad_entry)
{
	struct ukevent uk[4];
	int i;

	for (i = 0; i < 4; i++)
		uk[i] = kev_user(i, 0, i);
	uk[2].req_flags = 1U << 20;

	EXPECT_EQ(2, kq_ctl(self->fd, KEVENT_CTL_ADD, 4, uk));
	EXPECT_EQ(0, uk[0].ret_flags);
	EXPECT_EQ(0, uk[1].ret_flags);
	EXPECT_EQ(KEVENT_RET_ERROR, uk[2].ret_flags);
	EXPECT_EQ(EINVAL, uk[2].ret_data);
	EXPECT_EQ(0, uk[3].ret_flags);

	EXPECT_EQ(2, kq_fdinfo_count(self->fd));
	EXPECT_EQ(0, kq_remove(self->fd, KEVENT_TYPE_USER, 0));
	EXPECT_EQ(0, kq_remove(self->fd, KEVENT_TYPE_USER, 1));
	EXPECT_EQ(-1, kq_remove(self->fd, KEVENT_TYPE_USER, 3));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(kq, batch_first_entry_fails)
{
	struct ukevent uk[2] = { kev_user(5, 0, 0), kev_user(6, 0, 0) };

	ASSERT_EQ(0, user_add(self->fd, 5, 0, 0));
	EXPECT_EQ(-1, kq_ctl(self->fd, KEVENT_CTL_ADD, 2, uk));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(KEVENT_RET_ERROR, uk[0].ret_flags);
	EXPECT_EQ(EEXIST, uk[0].ret_data);
	EXPECT_EQ(1, kq_fdinfo_count(self->fd));
}

TEST_F(kq, batch_all_applied)
{
	struct ukevent uk[64];
	int i;

	for (i = 0; i < 64; i++)
		uk[i] = kev_user(i, 0, 0);
	EXPECT_EQ(64, kq_ctl(self->fd, KEVENT_CTL_ADD, 64, uk));
	EXPECT_EQ(64, kq_fdinfo_count(self->fd));
	EXPECT_EQ(64, kq_ctl(self->fd, KEVENT_CTL_REMOVE, 64, uk));
	EXPECT_EQ(0, kq_fdinfo_count(self->fd));
}

/* User events */

TEST_F(kq, post_once)
{
	struct ukevent ev[2];

	ASSERT_EQ(0, user_add(self->fd, 0x1234567890ULL, 0, 0xfeedULL << 40));
	EXPECT_EQ(0, kq_wait_ms(self->fd, 0, 2, ev, 0));
	ASSERT_EQ(0, user_post(self->fd, 0x1234567890ULL, 0x10));
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 2, ev, KQ_HANG_MS));
	EXPECT_EQ(0x1234567890ULL, ev[0].id);
	EXPECT_EQ(0xfeedULL << 40, ev[0].udata);
	EXPECT_EQ(KEVENT_TYPE_USER, ev[0].type);
	EXPECT_EQ(0x10, ev[0].event);
	EXPECT_EQ(1, ev[0].ret_data);
	EXPECT_EQ(0, ev[0].ret_flags);
}

TEST_F(kq, post_twice_coalesced)
{
	struct ukevent ev[2];

	ASSERT_EQ(0, user_add(self->fd, 1, KEVENT_REQ_ET, 0));
	ASSERT_EQ(0, user_post(self->fd, 1, 0x1));
	ASSERT_EQ(0, user_post(self->fd, 1, 0x4));
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 2, ev, KQ_HANG_MS));
	EXPECT_EQ(0x5, ev[0].event);
	EXPECT_EQ(2, ev[0].ret_data);
	/* Edge-triggered: reported once. */
	EXPECT_EQ(0, kq_wait_ms(self->fd, 0, 2, ev, 0));
}

TEST_F(kq, post_batch_coalesced)
{
	struct ukevent uk[3] = { kev_user(3, 0, 0), kev_user(3, 0, 0),
				 kev_user(3, 0, 0) };
	struct ukevent ev[3];

	ASSERT_EQ(0, user_add(self->fd, 3, KEVENT_REQ_ET, 0));
	ASSERT_EQ(3, kq_ctl(self->fd, KEVENT_CTL_POST, 3, uk));
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 3, ev, 0));
	EXPECT_EQ(3, ev[0].ret_data);
}

/* Level-triggered: reported by every wait until MODIFY resets it. */
TEST_F(kq, level_triggered_until_reset)
{
	struct ukevent ev[2], uk = kev_user(1, 0, 9);

	ASSERT_EQ(0, user_add(self->fd, 1, 0, 9));
	ASSERT_EQ(0, user_post(self->fd, 1, 0x2));
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 2, ev, 0));
	EXPECT_EQ(1, ev[0].ret_data);
	/* Once per wait, not twice in one. */
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 2, ev, 0));
	EXPECT_EQ(0x2, ev[0].event);
	ASSERT_EQ(0, user_post(self->fd, 1, 0x1));
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 2, ev, 0));
	EXPECT_EQ(0x3, ev[0].event);
	EXPECT_EQ(2, ev[0].ret_data);

	ASSERT_EQ(0, kq_ctl1(self->fd, KEVENT_CTL_MODIFY, uk));
	EXPECT_EQ(0, kq_wait_ms(self->fd, 0, 2, ev, 0));
}

/* A reset event no longer makes the queue fd readable. */
TEST_F(kq, reset_clears_readiness)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	struct ukevent uk = kev_user(1, 0, 0);

	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));
	ASSERT_EQ(0, user_post(self->fd, 1, 0));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(0, kq_ctl1(self->fd, KEVENT_CTL_MODIFY, uk));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
}

TEST_F(kq, several_events_fifo)
{
	struct ukevent ev[4];
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, user_add(self->fd, i, KEVENT_REQ_ET, 100 + i));
	ASSERT_EQ(0, user_post(self->fd, 2, 0));
	ASSERT_EQ(0, user_post(self->fd, 0, 0));
	ASSERT_EQ(0, user_post(self->fd, 1, 0));
	ASSERT_EQ(3, kq_wait_ms(self->fd, 3, 4, ev, KQ_HANG_MS));
	EXPECT_EQ(102, ev[0].udata);
	EXPECT_EQ(100, ev[1].udata);
	EXPECT_EQ(101, ev[2].udata);
}

TEST_F(kq, oneshot_removed_after_report)
{
	struct ukevent ev;

	ASSERT_EQ(0, user_add(self->fd, 1, KEVENT_REQ_ONESHOT, 0));
	ASSERT_EQ(0, user_post(self->fd, 1, 0));
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(0, kq_fdinfo_count(self->fd));
	EXPECT_EQ(-1, user_post(self->fd, 1, 0));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, kq_remove(self->fd, KEVENT_TYPE_USER, 1));
	EXPECT_EQ(ENOENT, errno);
}

/* Dispatch: disabled after a report, posts kept until MODIFY re-enables. */
TEST_F(kq, dispatch_disabled_until_modify)
{
	struct ukevent ev, uk = kev_user(1, KEVENT_REQ_DISPATCH, 5);

	ASSERT_EQ(0, kq_ctl1(self->fd, KEVENT_CTL_ADD, uk));
	ASSERT_EQ(0, user_post(self->fd, 1, 0));
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 1, &ev, KQ_HANG_MS));
	ASSERT_EQ(0, user_post(self->fd, 1, 0x8));
	EXPECT_EQ(0, kq_wait_ms(self->fd, 0, 1, &ev, 0));
	EXPECT_EQ(1, kq_fdinfo_count(self->fd));

	uk.udata = 6;
	ASSERT_EQ(0, kq_ctl1(self->fd, KEVENT_CTL_MODIFY, uk));
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 1, &ev, 0));
	EXPECT_EQ(6, ev.udata);
	EXPECT_EQ(0x8, ev.event);
	EXPECT_EQ(1, ev.ret_data);
	EXPECT_EQ(0, kq_wait_ms(self->fd, 0, 1, &ev, 0));
}

TEST_F(kq, modify_changes_udata_and_flags)
{
	struct ukevent ev, uk = kev_user(1, KEVENT_REQ_ONESHOT, 77);

	ASSERT_EQ(0, user_add(self->fd, 1, 0, 1));
	ASSERT_EQ(0, kq_ctl1(self->fd, KEVENT_CTL_MODIFY, uk));
	ASSERT_EQ(0, user_post(self->fd, 1, 0));
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(77, ev.udata);
	EXPECT_EQ(KEVENT_REQ_ONESHOT, ev.req_flags);
	EXPECT_EQ(0, kq_fdinfo_count(self->fd));
}

TEST_F(kq, remove_drops_pending)
{
	struct ukevent ev;

	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));
	ASSERT_EQ(0, user_post(self->fd, 1, 0));
	ASSERT_EQ(0, kq_remove(self->fd, KEVENT_TYPE_USER, 1));
	EXPECT_EQ(0, kq_wait_ms(self->fd, 0, 1, &ev, 0));
}

/* kevent_wait() */

TEST_F(kq, wait_max_nr_limits)
{
	struct ukevent ev[8];
	int i;

	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, user_add(self->fd, i, KEVENT_REQ_ET, 0));
		ASSERT_EQ(0, user_post(self->fd, i, 0));
	}
	EXPECT_EQ(2, kq_wait_ms(self->fd, 1, 2, ev, 0));
	EXPECT_EQ(3, kq_wait_ms(self->fd, 1, 8, ev, 0));
	EXPECT_EQ(0, kq_wait_ms(self->fd, 0, 8, ev, 0));
}

TEST_F(kq, wait_min_nr_times_out_with_fewer)
{
	struct ukevent ev[4];
	__s64 t0;

	ASSERT_EQ(0, user_add(self->fd, 1, KEVENT_REQ_ET, 0));
	ASSERT_EQ(0, user_post(self->fd, 1, 0));
	t0 = now_ns(CLOCK_MONOTONIC);
	EXPECT_EQ(1, kq_wait_ms(self->fd, 2, 4, ev, 100));
	EXPECT_LE(t0 + 100 * MS, now_ns(CLOCK_MONOTONIC));
}

/* Posts ids @id .. @id + @n - 1, each once @target sleeps in a call. */
struct poster {
	int fd;
	__u64 id;
	int n;
	pid_t target;
};

static void *post_when_blocked(void *arg)
{
	struct poster *p = arg;
	int i;

	for (i = 0; i < p->n; i++) {
		if (kq_await_blocked(p->target, -1))
			return NULL;
		user_post(p->fd, p->id + i, 0);
	}
	return NULL;
}

/* min_nr is met by two posts that come while the call sleeps. */
TEST_F(kq, wait_min_nr_met_by_later_posts)
{
	struct poster p = { self->fd, 1, 2, kq_gettid() };
	struct ukevent ev[4];
	pthread_t t;
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, user_add(self->fd, i + 1, KEVENT_REQ_ET, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, post_when_blocked, &p));
	EXPECT_EQ(2, kq_wait_ms(self->fd, 2, 4, ev, KQ_HANG_MS));
	pthread_join(t, NULL);
}

TEST_F(kq, wait_woken_by_post_without_timeout)
{
	struct poster p = { self->fd, 1, 1, kq_gettid() };
	struct ukevent ev;
	pthread_t t;

	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, post_when_blocked, &p));
	EXPECT_EQ(1, kq_wait_ms(self->fd, 1, 1, &ev, -1));
	pthread_join(t, NULL);
}

/* A zero timeout checks and returns: it never goes to sleep. */
TEST_F(kq, wait_zero_timeout_does_not_sleep)
{
	pid_t me = kq_gettid();
	struct ukevent ev;
	long sleeps;
	int i;

	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));
	sleeps = kq_task_sleeps(me);
	ASSERT_LE(0, sleeps);
	for (i = 0; i < 100; i++)
		EXPECT_EQ(0, kq_wait_ms(self->fd, 1, 1, &ev, 0));
	EXPECT_EQ(sleeps, kq_task_sleeps(me));
}

/* A level-triggered event is reported once per call, however many it asks. */
TEST_F(kq, level_triggered_once_per_call)
{
	struct ukevent ev[4];

	ASSERT_EQ(0, user_add(self->fd, 1, 0, 7));
	ASSERT_EQ(0, user_post(self->fd, 1, 0));
	memset(ev, 0, sizeof(ev));
	EXPECT_EQ(1, kq_wait_ms(self->fd, 2, 2, ev, 100));
	EXPECT_EQ(7, ev[0].udata);
	EXPECT_EQ(0, ev[1].udata);
	EXPECT_EQ(1, kq_wait_ms(self->fd, 4, 4, ev, 0));
	/* and still there for the next call */
	EXPECT_EQ(1, kq_wait_ms(self->fd, 1, 4, ev, 0));
}

/* A second level-triggered event that arrives meanwhile meets min_nr. */
TEST_F(kq, level_triggered_min_nr_met_by_another)
{
	struct poster p = { self->fd, 2, 1, kq_gettid() };
	struct ukevent ev[4];
	pthread_t t;

	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));
	ASSERT_EQ(0, user_add(self->fd, 2, 0, 0));
	ASSERT_EQ(0, user_post(self->fd, 1, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, post_when_blocked, &p));
	ASSERT_EQ(2, kq_wait_ms(self->fd, 2, 4, ev, KQ_HANG_MS));
	EXPECT_NE(ev[0].id, ev[1].id);
	pthread_join(t, NULL);
}

FIXTURE(kq_clock) {
	int fd;
};

FIXTURE_VARIANT(kq_clock) {
	clockid_t clock;
};

FIXTURE_VARIANT_ADD(kq_clock, monotonic) { .clock = CLOCK_MONOTONIC };
FIXTURE_VARIANT_ADD(kq_clock, realtime) { .clock = CLOCK_REALTIME };
FIXTURE_VARIANT_ADD(kq_clock, boottime) { .clock = CLOCK_BOOTTIME };

FIXTURE_SETUP(kq_clock)
{
	self->fd = kq_new(0);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));
}

FIXTURE_TEARDOWN(kq_clock)
{
	close(self->fd);
}

static int wait_clock(int fd, clockid_t clock, __s64 ns, bool abs)
{
	struct kevent_wait_args args = {
		.tv_sec = ns / 1000000000,
		.tv_nsec = ns % 1000000000,
		.clockid = clock,
		.flags = KEVENT_WAIT_TIMEOUT | (abs ? KEVENT_WAIT_ABSTIME : 0),
	};
	struct ukevent ev;

	return sys_kevent_wait(fd, 1, 1, &ev, &args, sizeof(args));
}

TEST_F(kq_clock, relative_timeout)
{
	__s64 t0 = now_ns(variant->clock);

	EXPECT_EQ(0, wait_clock(self->fd, variant->clock, 50 * MS, false));
	EXPECT_LE(t0 + 50 * MS, now_ns(variant->clock));
}

TEST_F(kq_clock, absolute_timeout)
{
	__s64 deadline = now_ns(variant->clock) + 80 * MS;

	EXPECT_EQ(0, wait_clock(self->fd, variant->clock, deadline, true));
	EXPECT_LE(deadline, now_ns(variant->clock));
}

/* A time that has passed is a zero timeout: no sleep. */
TEST_F(kq_clock, absolute_timeout_in_the_past)
{
	pid_t me = kq_gettid();
	long sleeps = kq_task_sleeps(me);

	EXPECT_EQ(0, wait_clock(self->fd, variant->clock, 1, true));
	EXPECT_EQ(sleeps, kq_task_sleeps(me));
}

/*
 * A relative timeout is a duration: setting CLOCK_REALTIME forward while a
 * relative REALTIME wait sleeps does not end it (it would, were the
 * timeout turned into a REALTIME time).  Needs CAP_SYS_TIME.
 */
struct clock_jump {
	pid_t	tid;
	int	err;
};

static void *jump_clock_when_blocked(void *arg)
{
	struct clock_jump *j = arg;
	struct timespec ts;

	j->err = kq_await_blocked(j->tid, __NR_kevent_wait) ? ETIMEDOUT : 0;
	if (j->err)
		return NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 3600;
	if (clock_settime(CLOCK_REALTIME, &ts))
		j->err = errno;
	return NULL;
}

TEST(relative_realtime_timeout_is_a_duration)
{
	struct clock_jump j = { .tid = kq_gettid(), .err = -1 };
	struct timespec ts;
	pthread_t t;
	__s64 t0;
	int fd;

	ASSERT_LE(0, fd = kq_new(0));
	ASSERT_EQ(0, user_add(fd, 1, 0, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, jump_clock_when_blocked, &j));
	t0 = now_ns(CLOCK_MONOTONIC);
	EXPECT_EQ(0, wait_clock(fd, CLOCK_REALTIME, 500 * MS, false));
	EXPECT_LE(t0 + 500 * MS, now_ns(CLOCK_MONOTONIC));
	pthread_join(t, NULL);
	close(fd);
	if (j.err == EPERM)
		SKIP(return, "cannot set CLOCK_REALTIME");
	ASSERT_EQ(0, j.err);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec -= 3600;
	EXPECT_EQ(0, clock_settime(CLOCK_REALTIME, &ts));
}

/* Signal mask */

static int got_usr1;

static void on_usr1(int sig)
{
	__atomic_store_n(&got_usr1, 1, __ATOMIC_SEQ_CST);
}

/*
 * Once @target sleeps in kevent_wait(), send it SIGUSR1, and then, if
 * @post_fd is a queue, post user event 1 to it.
 */
struct killer {
	pthread_t target;
	pid_t tid;
	int post_fd;
};

static void *kill_when_blocked(void *arg)
{
	struct killer *k = arg;

	if (kq_await_blocked(k->tid, __NR_kevent_wait))
		return NULL;
	pthread_kill(k->target, SIGUSR1);
	if (k->post_fd >= 0) {
		/* Still asleep: the signal did not end the call. */
		kq_await_blocked(k->tid, __NR_kevent_wait);
		user_post(k->post_fd, 1, 0);
	}
	return NULL;
}

static int wait_sigmask(int fd, const sigset_t *mask, long ms)
{
	struct kevent_wait_args args = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000,
		.clockid = CLOCK_MONOTONIC,
		.flags = KEVENT_WAIT_TIMEOUT,
		.sigmask = (uintptr_t)mask,
		.sigmask_size = 8,	/* the kernel's sigset_t */
	};
	struct ukevent ev;

	return sys_kevent_wait(fd, 1, 1, &ev, &args, sizeof(args));
}

/* Unblocked by the wait's mask, the signal interrupts the wait. */
TEST_F(kq, sigmask_unblocks_and_interrupts)
{
	struct killer k = { pthread_self(), kq_gettid(), -1 };
	sigset_t block, waitmask;
	pthread_t t;

	signal(SIGUSR1, on_usr1);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &block, NULL));
	sigemptyset(&waitmask);
	got_usr1 = 0;

	ASSERT_EQ(0, pthread_create(&t, NULL, kill_when_blocked, &k));
	EXPECT_EQ(-1, wait_sigmask(self->fd, &waitmask, KQ_HANG_MS));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(1, __atomic_load_n(&got_usr1, __ATOMIC_SEQ_CST));
	pthread_join(t, NULL);
}

/*
 * Blocked by the wait's mask, the signal waits until the call returns:
 * the call ends with the event posted after it, not EINTR.
 */
TEST_F(kq, sigmask_blocks_during_wait)
{
	struct killer k = { pthread_self(), kq_gettid(), self->fd };
	sigset_t waitmask, cur;
	pthread_t t;

	signal(SIGUSR1, on_usr1);
	sigemptyset(&waitmask);
	sigaddset(&waitmask, SIGUSR1);
	got_usr1 = 0;
	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));

	ASSERT_EQ(0, pthread_create(&t, NULL, kill_when_blocked, &k));
	EXPECT_EQ(1, wait_sigmask(self->fd, &waitmask, KQ_HANG_MS));
	/* The original mask is back and the handler ran on return. */
	EXPECT_EQ(1, __atomic_load_n(&got_usr1, __ATOMIC_SEQ_CST));
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, NULL, &cur));
	EXPECT_EQ(0, sigismember(&cur, SIGUSR1));
	pthread_join(t, NULL);
}

/* Without a mask, an unblocked signal interrupts. */
TEST_F(kq, signal_interrupts_plain_wait)
{
	struct killer k = { pthread_self(), kq_gettid(), -1 };
	struct ukevent ev;
	pthread_t t;

	signal(SIGUSR1, on_usr1);
	ASSERT_EQ(0, pthread_create(&t, NULL, kill_when_blocked, &k));
	EXPECT_EQ(-1, kq_wait_ms(self->fd, 1, 1, &ev, -1));
	EXPECT_EQ(EINTR, errno);
	pthread_join(t, NULL);
}

TEST_F(kq, sigmask_bad_args)
{
	struct kevent_wait_args args = { .sigmask_size = 8 };
	sigset_t mask;
	struct ukevent ev;

	sigemptyset(&mask);
	args.sigmask = (uintptr_t)&mask;
	args.sigmask_size = 4;
	EXPECT_EQ(-1, sys_kevent_wait(self->fd, 0, 1, &ev, &args, sizeof(args)));
	EXPECT_EQ(EINVAL, errno);

	args.sigmask = 0;	/* a size without a mask */
	args.sigmask_size = 8;
	EXPECT_EQ(-1, sys_kevent_wait(self->fd, 0, 1, &ev, &args, sizeof(args)));
	EXPECT_EQ(EINVAL, errno);

	args.sigmask = 8;	/* unmapped */
	EXPECT_EQ(-1, sys_kevent_wait(self->fd, 0, 1, &ev, &args, sizeof(args)));
	EXPECT_EQ(EFAULT, errno);
}

/* Bad arguments of kevent_wait() */

TEST(wait_bad_fd)
{
	struct ukevent ev;
	int p[2];

	EXPECT_EQ(-1, sys_kevent_wait(-1, 0, 1, &ev, NULL, 0));
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(-1, sys_kevent_wait(p[0], 0, 1, &ev, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	close(p[0]);
	close(p[1]);
}

TEST_F(kq, wait_bad_counts_einval)
{
	struct ukevent ev[2];

	EXPECT_EQ(-1, sys_kevent_wait(self->fd, 0, 0, ev, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sys_kevent_wait(self->fd, 3, 2, ev, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sys_kevent_wait(self->fd, 1, (1U << 16) + 1, ev, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sys_kevent_wait(self->fd, 1, 2, ev, NULL, 8));
	EXPECT_EQ(EINVAL, errno);
}

/* A failed copy loses nothing: the event is still there afterwards. */
TEST_F(kq, wait_efault_keeps_event)
{
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	struct ukevent ev;

	ASSERT_TRUE(ro != MAP_FAILED);
	ASSERT_EQ(0, user_add(self->fd, 1, KEVENT_REQ_ET, 0));
	ASSERT_EQ(0, user_post(self->fd, 1, 0x3));
	EXPECT_EQ(-1, sys_kevent_wait(self->fd, 1, 1, NULL, NULL, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, sys_kevent_wait(self->fd, 1, 1, ro, NULL, 0));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 1, &ev, 0));
	EXPECT_EQ(0x3, ev.event);
	EXPECT_EQ(1, ev.ret_data);
	munmap(ro, 4096);
}

TEST_F(kq, wait_args_einval)
{
	struct kevent_wait_args good = {
		.tv_nsec = 1000,
		.clockid = CLOCK_MONOTONIC,
		.flags = KEVENT_WAIT_TIMEOUT,
	}, a;
	struct ukevent ev;

	ASSERT_EQ(0, sys_kevent_wait(self->fd, 0, 1, &ev, &good, sizeof(good)));

#define EXPECT_WAIT_EINVAL(field, value) do {				\
		a = good;						\
		a.field = value;					\
		EXPECT_EQ(-1, sys_kevent_wait(self->fd, 0, 1, &ev, &a,	\
					      sizeof(a)));		\
		EXPECT_EQ(EINVAL, errno) {				\
			TH_LOG(#field " = " #value);			\
		}							\
	} while (0)

	EXPECT_WAIT_EINVAL(flags, KEVENT_WAIT_TIMEOUT | (1U << 2));
	EXPECT_WAIT_EINVAL(flags, 0);		/* timeout fields without flag */
	EXPECT_WAIT_EINVAL(flags, KEVENT_WAIT_ABSTIME);
	EXPECT_WAIT_EINVAL(reserved, 1);
	EXPECT_WAIT_EINVAL(tv_nsec, 1000000000);
	EXPECT_WAIT_EINVAL(tv_nsec, -1);
	EXPECT_WAIT_EINVAL(tv_sec, -1);
	EXPECT_WAIT_EINVAL(clockid, CLOCK_PROCESS_CPUTIME_ID);
	EXPECT_WAIT_EINVAL(clockid, 1000);
	EXPECT_WAIT_EINVAL(nr_changes, 1);	/* changes without an array */
	EXPECT_WAIT_EINVAL(ukevent_size, 8);
	EXPECT_WAIT_EINVAL(ukevent_size, 68);
	EXPECT_WAIT_EINVAL(ukevent_size, 264);
#undef EXPECT_WAIT_EINVAL
}

TEST_F(kq, wait_args_size)
{
	struct {
		struct kevent_wait_args args;
		__u64 future;
	} big = { { 0 }, 0 };
	struct ukevent ev;
	void *unmapped = mmap(NULL, 4096, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(unmapped != MAP_FAILED);
	big.args.flags = KEVENT_WAIT_TIMEOUT;
	big.args.clockid = CLOCK_MONOTONIC;
	EXPECT_EQ(0, sys_kevent_wait(self->fd, 0, 1, &ev, &big.args, sizeof(big)));
	big.future = 1;
	EXPECT_EQ(-1, sys_kevent_wait(self->fd, 0, 1, &ev, &big.args, sizeof(big)));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(-1, sys_kevent_wait(self->fd, 0, 1, &ev, &big.args,
				      KEVENT_WAIT_ARGS_SIZE_VER0 - 8));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sys_kevent_wait(self->fd, 0, 1, &ev, unmapped,
				      KEVENT_WAIT_ARGS_SIZE_VER0));
	EXPECT_EQ(EFAULT, errno);
	munmap(unmapped, 4096);
}

/* kevent_wait() with changes */

static int wait_changes(int fd, unsigned int min_nr, unsigned int max_nr,
			struct ukevent *ev, struct ukevent *changes,
			unsigned int nr, long ms)
{
	struct kevent_wait_args args = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000,
		.clockid = CLOCK_MONOTONIC,
		.flags = KEVENT_WAIT_TIMEOUT,
		.changes = (uintptr_t)changes,
		.nr_changes = nr,
	};

	return sys_kevent_wait(fd, min_nr, max_nr, ev, &args, sizeof(args));
}

/* One call adds, posts and waits: the event of its own changes comes back. */
TEST_F(kq, wait_applies_changes_first)
{
	struct ukevent ch[2], ev[2];

	ch[0] = kev_user(1, 0, 11);
	ch[0].cmd = KEVENT_CTL_ADD;
	ch[1] = kev_user(1, 0, 0);
	ch[1].cmd = KEVENT_CTL_POST;
	ch[1].event = 0x2;
	ASSERT_EQ(1, wait_changes(self->fd, 1, 2, ev, ch, 2, KQ_HANG_MS));
	EXPECT_EQ(1, ev[0].id);
	EXPECT_EQ(11, ev[0].udata);
	EXPECT_EQ(0x2, ev[0].event);
	EXPECT_EQ(0, ev[0].ret_flags);
	EXPECT_EQ(1, kq_fdinfo_count(self->fd));
}

/*
 * A change that fails is reported as an event, with KEVENT_RET_ERROR and
 * its errno, the others are applied, and the call returns without
 * waiting, as kqueue's kevent() does.  The changes are only read.
 */
TEST_F(kq, wait_change_error_is_an_event)
{
	struct ukevent *ch, ev[4];

	ch = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(ch != MAP_FAILED);
	ch[0] = kev_user(1, 0, 0);
	ch[0].cmd = KEVENT_CTL_ADD;
	ch[1] = kev_user(99, 0, 42);
	ch[1].cmd = KEVENT_CTL_REMOVE;
	ch[2] = kev_user(2, 0, 0);
	ch[2].cmd = KEVENT_CTL_ADD;
	ASSERT_EQ(0, mprotect(ch, 4096, PROT_READ));
	ASSERT_EQ(1, wait_changes(self->fd, 1, 4, ev, ch, 3, KQ_HANG_MS));
	EXPECT_EQ(KEVENT_RET_ERROR, ev[0].ret_flags);
	EXPECT_EQ(ENOENT, ev[0].ret_data);
	EXPECT_EQ(99, ev[0].id);
	EXPECT_EQ(42, ev[0].udata);
	EXPECT_EQ(KEVENT_CTL_REMOVE, ev[0].cmd);
	EXPECT_EQ(2, kq_fdinfo_count(self->fd));
	munmap(ch, 4096);
}

/* With no room for the error, the call fails with it and stops there. */
TEST_F(kq, wait_change_error_without_room)
{
	struct ukevent ch[3], ev;

	ch[0] = kev_user(1, 0, 0);
	ch[0].cmd = KEVENT_CTL_ADD;
	ch[1] = kev_user(99, 0, 0);
	ch[1].cmd = KEVENT_CTL_POST;
	ch[2] = kev_user(2, 0, 0);
	ch[2].cmd = KEVENT_CTL_ADD;
	EXPECT_EQ(-1, wait_changes(self->fd, 0, 0, NULL, ch, 3, 0));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(1, kq_fdinfo_count(self->fd));

	/* max_nr 0 and only changes: apply them and return 0 */
	EXPECT_EQ(0, wait_changes(self->fd, 0, 0, NULL, &ch[2], 1, 0));
	EXPECT_EQ(2, kq_fdinfo_count(self->fd));
	/* nothing to do at all is a mistake */
	EXPECT_EQ(-1, wait_changes(self->fd, 0, 0, &ev, NULL, 0, 0));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(kq, wait_changes_efault)
{
	void *unmapped = mmap(NULL, 4096, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct ukevent ev;

	ASSERT_TRUE(unmapped != MAP_FAILED);
	EXPECT_EQ(-1, wait_changes(self->fd, 0, 1, &ev, unmapped, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->fd));
	munmap(unmapped, 4096);
}

/* Entries larger than struct ukevent: the unknown part is written as 0. */
TEST_F(kq, wait_larger_entries)
{
	struct big {
		struct ukevent uk;
		__u64 more[8];
	} ch[2], ev[2];
	struct kevent_wait_args args = {
		.changes = (uintptr_t)ch,
		.nr_changes = 2,
		.ukevent_size = sizeof(struct big),
	};
	int i;

	memset(ch, 0, sizeof(ch));
	memset(ev, 0xff, sizeof(ev));
	ch[0].uk = kev_user(1, KEVENT_REQ_ET, 5);
	ch[0].uk.cmd = KEVENT_CTL_ADD;
	ch[1].uk = kev_user(1, 0, 0);
	ch[1].uk.cmd = KEVENT_CTL_POST;
	ASSERT_EQ(1, sys_kevent_wait(self->fd, 1, 2, &ev[0].uk, &args,
				     sizeof(args)));
	EXPECT_EQ(5, ev[0].uk.udata);
	for (i = 0; i < 8; i++)
		EXPECT_EQ(0, ev[0].more[i]);
	/* the second entry was not written */
	EXPECT_EQ(~0ULL, ev[1].uk.udata);
}

/*
 * ENABLE takes an event as it was received: a dispatched registration is
 * reported again, and what came while it was disabled is reported then.
 */
TEST_F(kq, enable_with_event_as_received)
{
	struct ukevent ev;

	ASSERT_EQ(0, user_add(self->fd, 1, KEVENT_REQ_DISPATCH, 5));
	ASSERT_EQ(0, user_post(self->fd, 1, 0x1));
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 1, &ev, 0));
	ASSERT_EQ(0, user_post(self->fd, 1, 0x2));
	EXPECT_EQ(0, kq_wait_ms(self->fd, 0, 1, &ev, 0));

	ASSERT_EQ(0, kq_ctl1(self->fd, KEVENT_CTL_ENABLE, ev));
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 1, &ev, 0));
	EXPECT_EQ(0x2, ev.event);
	EXPECT_EQ(5, ev.udata);
	EXPECT_EQ(0, kq_wait_ms(self->fd, 0, 1, &ev, 0));
}

TEST_F(kq, disable_stops_reporting)
{
	struct ukevent ev, uk = kev_user(1, 0, 0);

	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));
	ASSERT_EQ(0, user_post(self->fd, 1, 0));
	ASSERT_EQ(0, kq_ctl1(self->fd, KEVENT_CTL_DISABLE, uk));
	EXPECT_EQ(0, kq_wait_ms(self->fd, 0, 1, &ev, 0));
	ASSERT_EQ(0, user_post(self->fd, 1, 0));
	EXPECT_EQ(0, kq_wait_ms(self->fd, 0, 1, &ev, 0));
	ASSERT_EQ(0, kq_ctl1(self->fd, KEVENT_CTL_ENABLE, uk));
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 1, &ev, 0));
	EXPECT_EQ(2, ev.ret_data);

	uk.id = 2;
	EXPECT_EQ(-1, kq_ctl1(self->fd, KEVENT_CTL_ENABLE, uk));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, kq_ctl1(self->fd, KEVENT_CTL_DISABLE, uk));
	EXPECT_EQ(ENOENT, errno);
}

/* REMOVE, ENABLE and DISABLE name a registration; the rest is ignored. */
TEST_F(kq, remove_takes_only_the_key)
{
	struct ukevent uk = kev_user(1, 0, 0);

	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));
	uk.event = 0xffff;
	uk.param[0] = 1;
	uk.udata = 3;
	EXPECT_EQ(0, kq_ctl1(self->fd, KEVENT_CTL_DISABLE, uk));
	EXPECT_EQ(0, kq_ctl1(self->fd, KEVENT_CTL_ENABLE, uk));
	EXPECT_EQ(0, kq_ctl1(self->fd, KEVENT_CTL_REMOVE, uk));
	EXPECT_EQ(0, kq_fdinfo_count(self->fd));
}

/* POST with no event bits counts as a post. */
TEST_F(kq, post_without_bits)
{
	struct ukevent ev;

	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));
	ASSERT_EQ(0, user_post(self->fd, 1, 0));
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 1, &ev, 0));
	EXPECT_EQ(0, ev.event);
	EXPECT_EQ(1, ev.ret_data);
}

/*
 * The copy of an event to a page that is not mapped in yet faults it in
 * outside the queue's lock: the event arrives, nothing is lost.
 */
TEST_F(kq, wait_faults_in_events_page)
{
	struct ukevent *ev;

	ev = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(ev != MAP_FAILED);
	ASSERT_EQ(0, user_add(self->fd, 1, KEVENT_REQ_ET, 9));
	ASSERT_EQ(0, user_post(self->fd, 1, 0));
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 1, ev, 0));
	EXPECT_EQ(9, ev->udata);
	munmap(ev, 4096);
}

/*
 * A copy to a page whose fault stalls (userfaultfd) does not hold the
 * queue: while the waiter's fault waits, others change the queue.
 */
struct uffd_waiter {
	int kq;
	struct ukevent *ev;
	int ret;
};

static void *uffd_wait_thread(void *arg)
{
	struct uffd_waiter *w = arg;

	w->ret = kq_wait_ms(w->kq, 1, 1, w->ev, KQ_HANG_MS);
	return NULL;
}

TEST_F(kq, stalled_fault_does_not_hold_queue)
{
	struct uffd_waiter w = { .kq = self->fd };
	pthread_t t;
	void *page;
	int uffd;

	uffd = kq_uffd_page(&page);
	if (uffd == -1)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	ASSERT_LE(0, uffd);

	ASSERT_EQ(0, user_add(self->fd, 1, KEVENT_REQ_ET, 0));
	ASSERT_EQ(0, user_post(self->fd, 1, 0));
	w.ev = page;
	ASSERT_EQ(0, pthread_create(&t, NULL, uffd_wait_thread, &w));

	/* The waiter's copy faults, and the fault waits for us. */
	ASSERT_EQ(0, kq_uffd_await_fault(uffd));

	/* Meanwhile the queue is free. */
	EXPECT_EQ(0, user_add(self->fd, 2, 0, 0));
	EXPECT_EQ(2, kq_fdinfo_count(self->fd));

	ASSERT_EQ(0, kq_uffd_release(uffd, page));
	pthread_join(t, NULL);
	EXPECT_EQ(1, w.ret);
	EXPECT_EQ(1, ((struct ukevent *)page)->id);
	munmap(page, 4096);
	close(uffd);
}

/*
 * In a time namespace, an absolute timeout is a time of the namespace's
 * clock: 50 ms ahead of a clock moved 1000 s ahead is 50 ms.
 */
TEST(absolute_timeout_in_time_namespace)
{
	int status;
	pid_t pid;
	FILE *f;

	if (unshare(CLONE_NEWTIME))
		SKIP(return, "no time namespaces: %s", strerror(errno));
	f = fopen("/proc/self/timens_offsets", "w");
	ASSERT_TRUE(!!f);
	ASSERT_LT(0, fprintf(f, "%d 1000 0\n%d 1000 0\n", CLOCK_MONOTONIC,
			     CLOCK_BOOTTIME));
	ASSERT_EQ(0, fclose(f));
	pid = fork();	/* in the namespace */
	ASSERT_LE(0, pid);
	if (!pid) {
		int kq = kq_new(0);

		if (kq < 0 || user_add(kq, 1, 0, 0))
			_exit(1);
		if (wait_clock(kq, CLOCK_MONOTONIC,
			       now_ns(CLOCK_MONOTONIC) + 50 * MS, true))
			_exit(2);
		if (wait_clock(kq, CLOCK_BOOTTIME,
			       now_ns(CLOCK_BOOTTIME) + 50 * MS, true))
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
}

/* Limits */

static const char max_path[] = "/proc/sys/fs/kevent/max_user_kevents";

static long read_limit(void)
{
	long v = -1;
	FILE *f = fopen(max_path, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static long meminfo_kb(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

static int write_limit(long v)
{
	FILE *f = fopen(max_path, "w");
	int ret;

	if (!f)
		return -1;
	ret = fprintf(f, "%ld\n", v) > 0 ? 0 : -1;
	return fclose(f) ? -1 : ret;
}

/* The bytes a kmalloc-64 object takes in its slab, over its size */
static double slab_overhead(void)
{
	long obj = -1, slab = -1;
	FILE *f;

	f = fopen("/sys/kernel/slab/kmalloc-64/object_size", "r");
	if (f) {
		if (fscanf(f, "%ld", &obj) != 1)
			obj = -1;
		fclose(f);
	}
	f = fopen("/sys/kernel/slab/kmalloc-64/slab_size", "r");
	if (f) {
		if (fscanf(f, "%ld", &slab) != 1)
			slab = -1;
		fclose(f);
	}
	return obj > 0 && slab > 0 ? (double)slab / obj : 1;
}

/*
 * The default limit keeps registrations within 4% of memory: it is 4% of
 * memory divided by what one registration may hold, and that is at least
 * what the most expensive kind (a pipe, with its wait queue entries) takes
 * from the slab allocator.  A debugging allocator (red zones, KASAN) makes
 * every object several times larger: there the limit is not about memory.
 */
TEST(sysctl_default)
{
	long limit = read_limit(), before, after, cost, n = 2000;
	int (*p)[2], kq, i;
	struct sysinfo si;
	__u64 mem;

	ASSERT_LT(0, limit);
	if (slab_overhead() > 1.5)
		SKIP(return, "debugging slab allocator: %.1f times the size",
		     slab_overhead());
	ASSERT_EQ(0, sysinfo(&si));
	mem = (__u64)(si.totalram - si.totalhigh) * si.mem_unit;
	cost = mem / 25 / limit;
	TH_LOG("limit %ld: %ld bytes per registration", limit, cost);

	p = calloc(n, sizeof(*p));
	ASSERT_TRUE(!!p);
	kq = kq_new(0);
	ASSERT_LE(0, kq);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, pipe(p[i]));
	before = meminfo_kb("Slab:");
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, kq_add_fd(kq, KEVENT_TYPE_PIPE, p[i][0],
				       KEVENT_POLL_IN, 0));
	after = meminfo_kb("Slab:");
	TH_LOG("%ld bytes of slab per registration",
	       (after - before) * 1024 / n);
	EXPECT_GE(cost, (after - before) * 1024 / n);
	close(kq);
	for (i = 0; i < n; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
	free(p);
}

/* Tests that change the limit put it back, whatever happens. */
FIXTURE(limit) {
	int fd;
	long old;
};

FIXTURE_SETUP(limit)
{
	self->old = read_limit();
	ASSERT_LT(0, self->old);
	if (getuid() || write_limit(self->old))
		SKIP(return, "cannot change %s", max_path);
	self->fd = kq_new(0);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(limit)
{
	write_limit(self->old);
	close(self->fd);
}

TEST_F(limit, per_user_limit_enospc)
{
	int i, other;

	ASSERT_EQ(0, write_limit(3));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, user_add(self->fd, i, 0, 0));
	EXPECT_EQ(-1, user_add(self->fd, 3, 0, 0));
	EXPECT_EQ(ENOSPC, errno);

	/* The limit is per user, not per queue. */
	other = kq_new(0);
	ASSERT_LE(0, other);
	EXPECT_EQ(-1, user_add(other, 3, 0, 0));
	EXPECT_EQ(ENOSPC, errno);

	/* Removing and closing give the charge back. */
	EXPECT_EQ(0, kq_remove(self->fd, KEVENT_TYPE_USER, 0));
	EXPECT_EQ(0, user_add(other, 3, 0, 0));
	close(other);
	EXPECT_EQ(0, user_add(self->fd, 4, 0, 0));
}

/*
 * Registrations are charged to the user who created the queue, as epoll's
 * watches are, whoever adds them: another user that holds the queue cannot
 * add past the creator's limit, and has its own for its own queues.
 */
TEST_F(limit, creator_is_charged)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, write_limit(2));
	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));
	ASSERT_EQ(0, user_add(self->fd, 2, 0, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int mine;

		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(1);
		if (user_add(self->fd, 3, 0, 0) != -1 || errno != ENOSPC)
			_exit(2);
		mine = kq_new(0);
		if (mine < 0 || user_add(mine, 1, 0, 0) || user_add(mine, 2, 0, 0))
			_exit(3);
		if (user_add(mine, 3, 0, 0) != -1 || errno != ENOSPC)
			_exit(4);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
}

TEST_F(limit, close_releases_registrations)
{
	int i, fd;

	ASSERT_EQ(0, write_limit(10));
	/* Twice the limit over two queues: closing must uncharge. */
	for (i = 0; i < 2; i++) {
		fd = kq_new(0);
		ASSERT_LE(0, fd);
		EXPECT_EQ(0, user_add(fd, 1, 0, 0));
		EXPECT_EQ(0, user_post(fd, 1, 0));
		close(fd);
	}
	for (i = 0; i < 10; i++)
		EXPECT_EQ(0, user_add(self->fd, i, 0, 0));
}

/* The queue fd */

TEST_F(kq, poll_on_queue_fd)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	struct ukevent ev;

	ASSERT_EQ(0, user_add(self->fd, 1, KEVENT_REQ_ET, 0));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, user_post(self->fd, 1, 0));
	EXPECT_EQ(1, poll(&pfd, 1, 1000));
	EXPECT_EQ(POLLIN, pfd.revents);
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 1, &ev, 0));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
}

TEST_F(kq, poll_wakes_on_post)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	struct poster p = { self->fd, 1, 1, kq_gettid() };
	pthread_t t;

	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, post_when_blocked, &p));
	EXPECT_EQ(1, poll(&pfd, 1, KQ_HANG_MS));
	pthread_join(t, NULL);
}

TEST_F(kq, epoll_on_queue_fd)
{
	struct epoll_event e = { .events = EPOLLIN, .data.u64 = 99 };
	struct poster p = { self->fd, 1, 1, kq_gettid() };
	int ep = epoll_create1(0);
	pthread_t t;

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &e));
	EXPECT_EQ(0, epoll_wait(ep, &e, 1, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, post_when_blocked, &p));
	EXPECT_EQ(1, epoll_wait(ep, &e, 1, KQ_HANG_MS));
	EXPECT_EQ(99, e.data.u64);
	EXPECT_EQ(EPOLLIN, e.events);
	pthread_join(t, NULL);
	close(ep);
}

TEST_F(kq, fork_shares_queue)
{
	struct ukevent ev;
	int status;
	pid_t pid;

	ASSERT_EQ(0, user_add(self->fd, 1, KEVENT_REQ_ET, 0));
	ASSERT_EQ(0, user_add(self->fd, 2, KEVENT_REQ_ET, 0));

	/* A child posts to the queue it inherited ... */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(user_post(self->fd, 1, 0x1) ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(1, ev.id);

	/* ... and another waits on it for the parent's post. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (kq_wait_ms(self->fd, 1, 1, &ev, KQ_HANG_MS) != 1 ||
		    ev.id != 2)
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(0, user_post(self->fd, 2, 0));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Wake-one and wake-all with four waiting threads */

#define NR_WAITERS 4

struct waiter {
	int fd;
	int ret;
	pid_t tid;
	int done;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	struct ukevent ev;

	__atomic_store_n(&w->tid, kq_gettid(), __ATOMIC_SEQ_CST);
	w->ret = kq_wait_ms(w->fd, 1, 1, &ev, KQ_HANG_MS);
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Start the waiters and return once every one sleeps in kevent_wait(). */
static int start_waiters(int fd, struct waiter *w, pthread_t *t)
{
	int i;

	for (i = 0; i < NR_WAITERS; i++) {
		w[i] = (struct waiter){ .fd = fd };
		if (pthread_create(&t[i], NULL, wait_thread, &w[i]))
			return -1;
	}
	for (i = 0; i < NR_WAITERS; i++) {
		while (!__atomic_load_n(&w[i].tid, __ATOMIC_SEQ_CST))
			usleep(1000);
		if (kq_await_blocked(w[i].tid, __NR_kevent_wait))
			return -1;
	}
	return 0;
}

/* Wait until @n waiters have returned; the last one that did */
static int await_done(struct waiter *w, int n)
{
	int i, done, last;

	for (;;) {
		done = 0;
		for (i = 0; i < NR_WAITERS; i++) {
			if (__atomic_load_n(&w[i].done, __ATOMIC_SEQ_CST)) {
				done++;
				last = i;
			}
		}
		if (done >= n)
			return last;
		usleep(1000);
	}
}

/* Join the waiters; how many got an event */
static int join_waiters(struct waiter *w, pthread_t *t)
{
	int i, woken = 0;

	for (i = 0; i < NR_WAITERS; i++) {
		pthread_join(t[i], NULL);
		woken += w[i].ret == 1;
	}
	return woken;
}

/*
 * An edge wakes one waiter.  The others are not even woken: once the one
 * returned, each is blocked again and went to sleep no more times than
 * before the post.
 */
TEST_F(kq, wake_one_by_default)
{
	struct waiter w[NR_WAITERS];
	long sleeps[NR_WAITERS];
	pthread_t t[NR_WAITERS];
	int i, done;

	ASSERT_EQ(0, user_add(self->fd, 1, KEVENT_REQ_ET, 0));
	ASSERT_EQ(0, start_waiters(self->fd, w, t));
	for (i = 0; i < NR_WAITERS; i++)
		sleeps[i] = kq_task_sleeps(w[i].tid);
	ASSERT_EQ(0, user_post(self->fd, 1, 0));
	done = await_done(w, 1);
	EXPECT_EQ(1, w[done].ret);
	for (i = 0; i < NR_WAITERS; i++) {
		if (i == done)
			continue;
		ASSERT_EQ(0, kq_await_blocked(w[i].tid, __NR_kevent_wait));
		EXPECT_EQ(sleeps[i], kq_task_sleeps(w[i].tid)) {
			TH_LOG("waiter %d was woken", i);
		}
		EXPECT_EQ(0, __atomic_load_n(&w[i].done, __ATOMIC_SEQ_CST));
	}
	/* One post each for the others, one at a time: posts coalesce */
	for (i = 1; i < NR_WAITERS; i++) {
		ASSERT_EQ(0, user_post(self->fd, 1, 0));
		await_done(w, i + 1);
	}
	EXPECT_EQ(NR_WAITERS, join_waiters(w, t));
}

TEST_F(kq, wake_all_on_request)
{
	struct waiter w[NR_WAITERS];
	pthread_t t[NR_WAITERS];

	/* Level-triggered: every woken thread reports it. */
	ASSERT_EQ(0, user_add(self->fd, 1, KEVENT_REQ_WAKEUP_ALL, 0));
	ASSERT_EQ(0, start_waiters(self->fd, w, t));
	ASSERT_EQ(0, user_post(self->fd, 1, 0));
	EXPECT_EQ(NR_WAITERS, join_waiters(w, t));
}

/*
 * Level-triggered without WAKEUP_ALL wakes one waiter; when it returns,
 * the event is still there and its wakeup is passed on, as epoll does: a
 * pool whose threads do not drain the source does not stall.
 */
TEST_F(kq, level_triggered_passes_wakeup_on)
{
	struct waiter w[NR_WAITERS];
	pthread_t t[NR_WAITERS];

	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));
	ASSERT_EQ(0, start_waiters(self->fd, w, t));
	ASSERT_EQ(0, user_post(self->fd, 1, 0));
	EXPECT_EQ(NR_WAITERS, join_waiters(w, t));
}

TEST_HARNESS_MAIN
