// SPDX-License-Identifier: GPL-2.0
/*
 * kevent selftests: the queue, user-posted events, and the errors of the
 * three system calls.
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/mman.h>
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
	ASSERT_EQ(0, offsetof(struct ukevent, id));
	ASSERT_EQ(8, offsetof(struct ukevent, udata));
	ASSERT_EQ(16, offsetof(struct ukevent, type));
	ASSERT_EQ(20, offsetof(struct ukevent, event));
	ASSERT_EQ(24, offsetof(struct ukevent, req_flags));
	ASSERT_EQ(28, offsetof(struct ukevent, ret_flags));
	ASSERT_EQ(32, offsetof(struct ukevent, ret_data));
	ASSERT_EQ(40, offsetof(struct ukevent, param));
	ASSERT_EQ(56, offsetof(struct ukevent, reserved));
	ASSERT_EQ(KEVENT_INIT_ARGS_SIZE_VER0, sizeof(struct kevent_init_args));
	ASSERT_EQ(KEVENT_WAIT_ARGS_SIZE_VER0, sizeof(struct kevent_wait_args));
	ASSERT_EQ(16, offsetof(struct kevent_wait_args, sigmask));
	ASSERT_EQ(28, offsetof(struct kevent_wait_args, clockid));
	ASSERT_EQ(36, offsetof(struct kevent_wait_args, reserved));
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
	uk.type = KEVENT_TYPE_MAX + 1;
	EXPECT_EQ(-1, kq_ctl1(self->fd, KEVENT_CTL_ADD, uk));
	EXPECT_EQ(EINVAL, errno);
	uk.type = ~0U;
	EXPECT_EQ(-1, kq_ctl1(self->fd, KEVENT_CTL_ADD, uk));
	EXPECT_EQ(EINVAL, errno);
}

/* Types reserved for sources this kernel does not have yet. */
TEST_F(kq, unimplemented_type_eopnotsupp)
{
	static const __u32 types[] = {
		KEVENT_TYPE_INODE, KEVENT_TYPE_AIO, KEVENT_TYPE_NAIO,
	};
	struct ukevent uk = kev_user(1, 0, 0);
	__u32 type, i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		type = types[i];
		uk.type = type;
		EXPECT_EQ(-1, kq_ctl1(self->fd, KEVENT_CTL_ADD, uk));
		EXPECT_EQ(EOPNOTSUPP, errno) {
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

	EXPECT_EQ(-1, sys_kevent_ctl(self->fd, 0, 1, &uk));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sys_kevent_ctl(self->fd, KEVENT_CTL_POST + 1, 1, &uk));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->fd));
}

TEST(ctl_bad_fd)
{
	struct ukevent uk = kev_user(1, 0, 0);
	int p[2];

	EXPECT_EQ(-1, sys_kevent_ctl(-1, KEVENT_CTL_ADD, 1, &uk));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, sys_kevent_ctl(9999, KEVENT_CTL_ADD, 1, &uk));
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(-1, sys_kevent_ctl(p[0], KEVENT_CTL_ADD, 1, &uk));
	EXPECT_EQ(EINVAL, errno);
	close(p[0]);
	close(p[1]);
}

TEST_F(kq, ctl_efault)
{
	void *unmapped = mmap(NULL, 4096, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(unmapped != MAP_FAILED);
	EXPECT_EQ(-1, sys_kevent_ctl(self->fd, KEVENT_CTL_ADD, 1, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, sys_kevent_ctl(self->fd, KEVENT_CTL_ADD, 1, unmapped));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, sys_kevent_ctl(self->fd, KEVENT_CTL_ADD, 0, NULL));
	munmap(unmapped, 4096);
}

TEST_F(kq, ctl_oversized_num_einval)
{
	struct ukevent uk = kev_user(1, 0, 0);

	EXPECT_EQ(-1, sys_kevent_ctl(self->fd, KEVENT_CTL_ADD, (1U << 16) + 1,
				     &uk));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sys_kevent_ctl(self->fd, KEVENT_CTL_ADD, ~0U, &uk));
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

	EXPECT_EQ(2, sys_kevent_ctl(self->fd, KEVENT_CTL_ADD, 4, uk));
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
	EXPECT_EQ(-1, sys_kevent_ctl(self->fd, KEVENT_CTL_ADD, 2, uk));
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
	EXPECT_EQ(64, sys_kevent_ctl(self->fd, KEVENT_CTL_ADD, 64, uk));
	EXPECT_EQ(64, kq_fdinfo_count(self->fd));
	EXPECT_EQ(64, sys_kevent_ctl(self->fd, KEVENT_CTL_REMOVE, 64, uk));
	EXPECT_EQ(0, kq_fdinfo_count(self->fd));
}

/* User events */

TEST_F(kq, post_once)
{
	struct ukevent ev[2];

	ASSERT_EQ(0, user_add(self->fd, 0x1234567890ULL, 0, 0xfeedULL << 40));
	EXPECT_EQ(0, kq_wait_ms(self->fd, 0, 2, ev, 0));
	ASSERT_EQ(0, user_post(self->fd, 0x1234567890ULL, 0x10));
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 2, ev, 1000));
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
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 2, ev, 1000));
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
	ASSERT_EQ(3, sys_kevent_ctl(self->fd, KEVENT_CTL_POST, 3, uk));
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
	ASSERT_EQ(3, kq_wait_ms(self->fd, 3, 4, ev, 1000));
	EXPECT_EQ(102, ev[0].udata);
	EXPECT_EQ(100, ev[1].udata);
	EXPECT_EQ(101, ev[2].udata);
}

TEST_F(kq, oneshot_removed_after_report)
{
	struct ukevent ev;

	ASSERT_EQ(0, user_add(self->fd, 1, KEVENT_REQ_ONESHOT, 0));
	ASSERT_EQ(0, user_post(self->fd, 1, 0));
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 1, &ev, 1000));
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
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 1, &ev, 1000));
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
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 1, &ev, 1000));
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

struct poster {
	int fd;
	__u64 id;
	long delay_ms;
};

static void *post_later(void *arg)
{
	struct poster *p = arg;

	usleep(p->delay_ms * 1000);
	user_post(p->fd, p->id, 0);
	return NULL;
}

TEST_F(kq, wait_min_nr_met_by_later_posts)
{
	struct poster p[2] = { { self->fd, 1, 50 }, { self->fd, 2, 100 } };
	struct ukevent ev[4];
	pthread_t t[2];
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, user_add(self->fd, i + 1, KEVENT_REQ_ET, 0));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, post_later, &p[i]));
	EXPECT_EQ(2, kq_wait_ms(self->fd, 2, 4, ev, 5000));
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
}

TEST_F(kq, wait_woken_by_post_without_timeout)
{
	struct poster p = { self->fd, 1, 50 };
	struct ukevent ev;
	pthread_t t;

	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, post_later, &p));
	EXPECT_EQ(1, kq_wait_ms(self->fd, 1, 1, &ev, -1));
	pthread_join(t, NULL);
}

TEST_F(kq, wait_zero_timeout_polls)
{
	struct ukevent ev;
	__s64 t0 = now_ns(CLOCK_MONOTONIC);

	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));
	EXPECT_EQ(0, kq_wait_ms(self->fd, 1, 1, &ev, 0));
	EXPECT_GT(t0 + 1000 * MS, now_ns(CLOCK_MONOTONIC));
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

TEST_F(kq_clock, absolute_timeout_in_the_past)
{
	__s64 t0 = now_ns(CLOCK_MONOTONIC);

	EXPECT_EQ(0, wait_clock(self->fd, variant->clock, 1, true));
	EXPECT_GT(t0 + 1000 * MS, now_ns(CLOCK_MONOTONIC));
}

/* Signal mask */

static int got_usr1;

static void on_usr1(int sig)
{
	__atomic_store_n(&got_usr1, 1, __ATOMIC_SEQ_CST);
}

struct killer {
	pthread_t target;
	long delay_ms;
	int stop;
};

/* Signal @target every @delay_ms until told to stop: no timing races. */
static void *kill_later(void *arg)
{
	struct killer *k = arg;

	do {
		usleep(k->delay_ms * 1000);
		pthread_kill(k->target, SIGUSR1);
	} while (!__atomic_load_n(&k->stop, __ATOMIC_SEQ_CST));
	return NULL;
}

static void stop_killer(struct killer *k, pthread_t t)
{
	__atomic_store_n(&k->stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(t, NULL);
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
	struct killer k = { pthread_self(), 50, 0 };
	sigset_t block, waitmask;
	pthread_t t;

	signal(SIGUSR1, on_usr1);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &block, NULL));
	sigemptyset(&waitmask);
	got_usr1 = 0;

	ASSERT_EQ(0, pthread_create(&t, NULL, kill_later, &k));
	EXPECT_EQ(-1, wait_sigmask(self->fd, &waitmask, 5000));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(1, __atomic_load_n(&got_usr1, __ATOMIC_SEQ_CST));
	stop_killer(&k, t);
}

/* Blocked by the wait's mask, the signal waits until the call returns. */
TEST_F(kq, sigmask_blocks_during_wait)
{
	struct killer k = { pthread_self(), 50, 0 };
	sigset_t waitmask, cur;
	pthread_t t;

	signal(SIGUSR1, on_usr1);
	sigemptyset(&waitmask);
	sigaddset(&waitmask, SIGUSR1);
	got_usr1 = 0;

	ASSERT_EQ(0, pthread_create(&t, NULL, kill_later, &k));
	EXPECT_EQ(0, wait_sigmask(self->fd, &waitmask, 300));
	/* The original mask is back and the handler ran on return. */
	EXPECT_EQ(1, __atomic_load_n(&got_usr1, __ATOMIC_SEQ_CST));
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, NULL, &cur));
	EXPECT_EQ(0, sigismember(&cur, SIGUSR1));
	stop_killer(&k, t);
}

/* Without a mask, an unblocked signal interrupts; events beat signals. */
TEST_F(kq, signal_interrupts_plain_wait)
{
	struct killer k = { pthread_self(), 50, 0 };
	struct ukevent ev;
	pthread_t t;

	signal(SIGUSR1, on_usr1);
	ASSERT_EQ(0, pthread_create(&t, NULL, kill_later, &k));
	EXPECT_EQ(-1, kq_wait_ms(self->fd, 1, 1, &ev, -1));
	EXPECT_EQ(EINTR, errno);
	stop_killer(&k, t);
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
	EXPECT_EQ(-1, sys_kevent_wait(self->fd, 0, 1, &ev, &big.args, 32));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sys_kevent_wait(self->fd, 0, 1, &ev, unmapped, 40));
	EXPECT_EQ(EFAULT, errno);
	munmap(unmapped, 4096);
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

static int write_limit(long v)
{
	FILE *f = fopen(max_path, "w");
	int ret;

	if (!f)
		return -1;
	ret = fprintf(f, "%ld\n", v) > 0 ? 0 : -1;
	return fclose(f) ? -1 : ret;
}

TEST(sysctl_default)
{
	EXPECT_LT(1000, read_limit());
}

TEST_F(kq, per_user_limit_enospc)
{
	long old = read_limit();
	int i, other;

	ASSERT_LT(0, old);
	if (getuid() || write_limit(3))
		SKIP(return, "cannot change %s", max_path);

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
	EXPECT_EQ(0, write_limit(old));
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
	struct poster p = { self->fd, 1, 50 };
	pthread_t t;

	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, post_later, &p));
	EXPECT_EQ(1, poll(&pfd, 1, 5000));
	pthread_join(t, NULL);
}

TEST_F(kq, epoll_on_queue_fd)
{
	struct epoll_event e = { .events = EPOLLIN, .data.u64 = 99 };
	struct poster p = { self->fd, 1, 50 };
	int ep = epoll_create1(0);
	pthread_t t;

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &e));
	EXPECT_EQ(0, epoll_wait(ep, &e, 1, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, post_later, &p));
	EXPECT_EQ(1, epoll_wait(ep, &e, 1, 5000));
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
	ASSERT_EQ(1, kq_wait_ms(self->fd, 1, 1, &ev, 5000));
	EXPECT_EQ(1, ev.id);

	/* ... and another waits on it for the parent's post. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (kq_wait_ms(self->fd, 1, 1, &ev, 5000) != 1 || ev.id != 2)
			_exit(2);
		_exit(0);
	}
	usleep(50 * 1000);
	ASSERT_EQ(0, user_post(self->fd, 2, 0));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST(close_releases_registrations)
{
	long old = read_limit();
	int i, fd;

	if (getuid() || write_limit(10))
		SKIP(return, "cannot change %s", max_path);
	/* Twice the limit over two queues: closing must uncharge. */
	for (i = 0; i < 2; i++) {
		fd = kq_new(0);
		ASSERT_LE(0, fd);
		EXPECT_EQ(0, user_add(fd, 1, 0, 0));
		EXPECT_EQ(0, user_post(fd, 1, 0));
		close(fd);
	}
	fd = kq_new(0);
	for (i = 0; i < 10; i++)
		EXPECT_EQ(0, user_add(fd, i, 0, 0));
	close(fd);
	EXPECT_EQ(0, write_limit(old));
}

/* Wake-one and wake-all with four waiting threads */

#define NR_WAITERS 4

struct waiter {
	int fd;
	int ret;
	__s64 ns;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	struct ukevent ev;
	__s64 t0 = now_ns(CLOCK_MONOTONIC);

	w->ret = kq_wait_ms(w->fd, 1, 1, &ev, 1500);
	w->ns = now_ns(CLOCK_MONOTONIC) - t0;
	return NULL;
}

static int run_waiters(int fd, struct waiter *w)
{
	pthread_t t[NR_WAITERS];
	int i, woken = 0;

	for (i = 0; i < NR_WAITERS; i++) {
		w[i].fd = fd;
		pthread_create(&t[i], NULL, wait_thread, &w[i]);
	}
	usleep(300 * 1000);	/* let them all sleep */
	user_post(fd, 1, 0);
	for (i = 0; i < NR_WAITERS; i++) {
		pthread_join(t[i], NULL);
		if (w[i].ret == 1)
			woken++;
	}
	return woken;
}

TEST_F(kq, wake_one_by_default)
{
	struct waiter w[NR_WAITERS];
	int i, early = 0;

	ASSERT_EQ(0, user_add(self->fd, 1, KEVENT_REQ_ET, 0));
	EXPECT_EQ(1, run_waiters(self->fd, w));
	for (i = 0; i < NR_WAITERS; i++) {
		if (w[i].ret) {
			early++;
			continue;
		}
		EXPECT_LE(1500 * MS, w[i].ns);
	}
	EXPECT_EQ(1, early);
}

TEST_F(kq, wake_all_on_request)
{
	struct waiter w[NR_WAITERS];
	int i;

	/* Level-triggered: every woken thread reports it. */
	ASSERT_EQ(0, user_add(self->fd, 1, KEVENT_REQ_WAKEUP_ALL, 0));
	EXPECT_EQ(NR_WAITERS, run_waiters(self->fd, w));
	for (i = 0; i < NR_WAITERS; i++)
		EXPECT_GT(1500 * MS, w[i].ns);
}

/* Level-triggered without WAKEUP_ALL still wakes just one. */
TEST_F(kq, wake_one_level_triggered)
{
	struct waiter w[NR_WAITERS];
	int i, early = 0;

	ASSERT_EQ(0, user_add(self->fd, 1, 0, 0));
	run_waiters(self->fd, w);
	for (i = 0; i < NR_WAITERS; i++)
		if (w[i].ns < 1500 * MS)
			early++;
	EXPECT_EQ(1, early);
}

TEST_HARNESS_MAIN
