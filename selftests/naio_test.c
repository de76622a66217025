// SPDX-License-Identifier: GPL-2.0
/*
 * kevent selftests: KEVENT_TYPE_NAIO, network AIO into pinned pages.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "common.h"

#define BUF_SIZE	0x100000

static int naio_ctl(int kq, unsigned int cmd, int fd, __u32 nr, void *buf,
		    __u64 len, __u32 event, __u32 req_flags)
{
	struct ukevent uk = {
		.id = (__u64)nr << 32 | (__u32)fd,
		.udata = nr,
		.type = KEVENT_TYPE_NAIO,
		.event = event,
		.req_flags = req_flags,
		.param = { (uintptr_t)buf, len },
	};

	return kq_ctl1(kq, cmd, uk);
}

static int naio_add(int kq, int fd, __u32 nr, void *buf, __u64 len,
		    __u32 event)
{
	return naio_ctl(kq, KEVENT_CTL_ADD, fd, nr, buf, len, event,
			KEVENT_REQ_ONESHOT);
}

/* A DISPATCH request on @fd: disabled, not removed, by its completion */
static int naio_dispatch(int kq, unsigned int cmd, int fd, __u32 nr,
			 void *buf, __u64 len, __u32 event)
{
	return naio_ctl(kq, cmd, fd, nr, buf, len, event,
			KEVENT_REQ_DISPATCH);
}

static int naio_enable(int kq, int fd, __u32 nr)
{
	struct ukevent uk = {
		.id = (__u64)nr << 32 | (__u32)fd,
		.type = KEVENT_TYPE_NAIO,
	};

	return kq_ctl1(kq, KEVENT_CTL_ENABLE, uk);
}

/* SENDFILE of @count bytes at @off of @file to @fd */
static int naio_sendfile(int kq, int fd, __u32 nr, int file, __u64 off,
			 __u32 count)
{
	struct ukevent uk = {
		.id = (__u64)nr << 32 | (__u32)fd,
		.udata = nr,
		.type = KEVENT_TYPE_NAIO,
		.event = KEVENT_NAIO_SENDFILE,
		.req_flags = KEVENT_REQ_ONESHOT,
		/* a 64-bit offset, on a 32-bit program too */
		.param = { off, (__u64)(__u32)file << 32 | count },
	};

	return kq_ctl1(kq, KEVENT_CTL_ADD, uk);
}

/* An unlinked file of @size bytes, byte i being (char)(i * 13) */
static int pattern_file(char *buf, long size)
{
	char name[] = "/tmp/naio-XXXXXX";
	int fd = mkstemp(name);
	long i;

	if (fd < 0)
		return -1;
	unlink(name);
	for (i = 0; i < size; i++)
		buf[i] = i * 13;
	if (write(fd, buf, size) != size) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read from @fd until the request on @kq completes; bytes read */
static long drain_until_complete(int kq, int fd, char *rb, long max,
				 struct ukevent *ev)
{
	long got = 0;
	int n;

	for (;;) {
		n = recv(fd, rb + got, max - got, MSG_DONTWAIT);
		if (n > 0)
			got += n;
		if (kq_wait_ms(kq, 0, 1, ev, 0) == 1)
			break;
		if (got >= max)
			return -1;
		if (n <= 0)
			usleep(1000);
	}
	while ((n = recv(fd, rb + got, max - got, MSG_DONTWAIT)) > 0)
		got += n;
	return got;
}

static int naio_remove(int kq, int fd, __u32 nr)
{
	return kq_remove(kq, KEVENT_TYPE_NAIO, (__u64)nr << 32 | (__u32)fd);
}

/* Does a line of /proc/self/fdinfo/@kq contain @what? */
static int fdinfo_has(int kq, const char *what)
{
	char path[64], line[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", kq);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, what))
			found = 1;
	fclose(f);
	return found;
}

/*
 * The second half of ustream.exec_cancels_requests, in the program the
 * test execs with "KEVENT_NAIOEXEC=kq" in the environment: the request
 * made before exec, on a socket fd that stays open, is gone.
 */
__attribute__((constructor)) static void naioexec_stage2(void)
{
	const char *env = getenv("KEVENT_NAIOEXEC");

	if (!env)
		return;
	_exit(kq_fdinfo_count(atoi(env)) == 0 ? 0 : 10);
}

FIXTURE(ustream) {
	int kq;
	int sv[2];
	char *buf;
};

FIXTURE_SETUP(ustream)
{
	self->kq = kq_new(0);
	ASSERT_LE(0, self->kq);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, self->sv));
	self->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(self->buf != MAP_FAILED);
}

FIXTURE_TEARDOWN(ustream)
{
	close(self->kq);
	close(self->sv[0]);
	close(self->sv[1]);
	munmap(self->buf, BUF_SIZE);
}

/* The data lands in the buffer, across a page boundary; one completion. */
TEST_F(ustream, recv_completes_with_bytes)
{
	struct ukevent ev;

	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 1, self->buf + 4090, 100,
			      KEVENT_NAIO_RECV));
	EXPECT_EQ(0, kq_wait_ms(self->kq, 0, 1, &ev, 0));
	ASSERT_EQ(11, write(self->sv[1], "hello world", 11));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(KEVENT_NAIO_RECV, ev.event);
	EXPECT_EQ(11, ev.ret_data);
	EXPECT_EQ(1, ev.udata);
	EXPECT_EQ(0, memcmp(self->buf + 4090, "hello world", 11));
	/* Oneshot: the request is gone. */
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

/* Data queued before the request completes it at once. */
TEST_F(ustream, recv_data_present_at_add)
{
	struct ukevent ev;

	ASSERT_EQ(3, write(self->sv[1], "xyz", 3));
	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 1, self->buf, 100,
			      KEVENT_NAIO_RECV));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 0, 1, &ev, 0));
	EXPECT_EQ(3, ev.ret_data);
}

TEST_F(ustream, recv_waitall_waits_for_all)
{
	struct ukevent ev;

	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 1, self->buf, 10,
			      KEVENT_NAIO_RECV | KEVENT_NAIO_WAITALL));
	ASSERT_EQ(4, write(self->sv[1], "abcd", 4));
	EXPECT_EQ(0, kq_wait_ms(self->kq, 0, 1, &ev, 0));
	ASSERT_EQ(6, write(self->sv[1], "efghij", 6));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(10, ev.ret_data);
	EXPECT_EQ(0, memcmp(self->buf, "abcdefghij", 10));
}

TEST_F(ustream, recv_eof_is_zero_bytes)
{
	struct ukevent ev;

	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 1, self->buf, 100,
			      KEVENT_NAIO_RECV));
	ASSERT_EQ(0, shutdown(self->sv[1], SHUT_WR));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(KEVENT_NAIO_RECV, ev.event);
	EXPECT_EQ(0, ev.ret_data);
}

/* Two RECVs on one socket complete in the order they were submitted. */
TEST_F(ustream, recvs_in_submission_order)
{
	struct ukevent ev[2];

	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 1, self->buf, 3,
			      KEVENT_NAIO_RECV | KEVENT_NAIO_WAITALL));
	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 2, self->buf + 100, 3,
			      KEVENT_NAIO_RECV | KEVENT_NAIO_WAITALL));
	ASSERT_EQ(6, write(self->sv[1], "abcdef", 6));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, ev, KQ_HANG_MS));
	EXPECT_EQ(1, ev[0].udata);
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, ev, KQ_HANG_MS));
	EXPECT_EQ(2, ev[0].udata);
	EXPECT_EQ(0, memcmp(self->buf, "abc", 3));
	EXPECT_EQ(0, memcmp(self->buf + 100, "def", 3));
}

/* A SEND larger than the socket buffer completes once all is queued. */
TEST_F(ustream, send_completes_when_all_queued)
{
	char *rb = malloc(BUF_SIZE);
	struct ukevent ev;
	int got = 0, i, n;

	ASSERT_FALSE(!rb);
	for (i = 0; i < BUF_SIZE; i++)
		self->buf[i] = i * 13;
	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 1, self->buf, BUF_SIZE,
			      KEVENT_NAIO_SEND));
	EXPECT_EQ(0, kq_wait_ms(self->kq, 0, 1, &ev, 0));
	for (;;) {
		n = recv(self->sv[1], rb + got, BUF_SIZE - got, MSG_DONTWAIT);
		if (n > 0)
			got += n;
		if (kq_wait_ms(self->kq, 0, 1, &ev, 0) == 1)
			break;
		ASSERT_LT(got, BUF_SIZE);
	}
	EXPECT_EQ(KEVENT_NAIO_SEND, ev.event);
	EXPECT_EQ(BUF_SIZE, ev.ret_data);
	while (got < BUF_SIZE) {
		n = recv(self->sv[1], rb + got, BUF_SIZE - got, 0);
		ASSERT_LT(0, n);
		got += n;
	}
	EXPECT_EQ(0, memcmp(rb, self->buf, BUF_SIZE));
	free(rb);
}

#define BIG_SIZE	(3 << 20)

/*
 * A UNIX stream pair whose sv[1] has BIG_SIZE bytes of a pattern queued to
 * sv[0] at once (its send buffer forced up): more than the 1 MiB a look at
 * a request moves; and a WAITALL receive of them all added.
 */
FIXTURE(bigq) {
	int kq;
	int sv[2];
	char *src;
	char *rb;
};

FIXTURE_SETUP(bigq)
{
	int size = 4 * BIG_SIZE, i, n, sent = 0;

	self->kq = -1;
	self->sv[0] = -1;
	self->sv[1] = -1;
	self->rb = MAP_FAILED;
	self->src = malloc(BIG_SIZE);
	ASSERT_FALSE(!self->src);
	if (geteuid())
		SKIP(return, "needs CAP_NET_ADMIN for SO_SNDBUFFORCE");
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, self->sv));
	ASSERT_EQ(0, setsockopt(self->sv[1], SOL_SOCKET, SO_SNDBUFFORCE,
				&size, sizeof(size)));
	for (i = 0; i < BIG_SIZE; i++)
		self->src[i] = i * 7;
	while (sent < BIG_SIZE) {
		n = send(self->sv[1], self->src + sent, BIG_SIZE - sent,
			 MSG_DONTWAIT);
		ASSERT_LT(0, n);
		sent += n;
	}
	self->rb = mmap(NULL, BIG_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(self->rb != MAP_FAILED);
	self->kq = kq_new(0);
	ASSERT_LE(0, self->kq);
	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 1, self->rb, BIG_SIZE,
			      KEVENT_NAIO_RECV | KEVENT_NAIO_WAITALL));
}

FIXTURE_TEARDOWN(bigq)
{
	close(self->kq);
	close(self->sv[0]);
	close(self->sv[1]);
	if (self->rb != MAP_FAILED)
		munmap(self->rb, BIG_SIZE);
	free(self->src);
}

/*
 * One look at a request moves at most 1 MiB: the ADD that found 3 MiB
 * queued moved the first, the wait the rest, and the completion has it all.
 */
TEST_F(bigq, recv_moves_in_slices)
{
	struct ukevent ev;

	EXPECT_EQ(1, fdinfo_has(self->kq, " done:1048576"));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(BIG_SIZE, ev.ret_data);
	EXPECT_EQ(0, memcmp(self->rb, self->src, BIG_SIZE));
}

static void on_sigusr1(int sig)
{
}

/*
 * A signal that comes while a request has more to move ends the wait
 * between two slices with EINTR; the request goes on in the next wait.
 * The signal is pending from the start, blocked until the wait's own
 * signal mask lets it in.
 */
TEST_F(bigq, signal_ends_wait_between_slices)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct kevent_wait_args args = {};
	sigset_t block, none;
	struct ukevent ev;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&none);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &block, NULL));
	ASSERT_EQ(0, raise(SIGUSR1));
	args.sigmask = (uintptr_t)&none;
	args.sigmask_size = 8;
	EXPECT_EQ(-1, sys_kevent_wait(self->kq, 1, 1, &ev, &args,
				      sizeof(args)));
	EXPECT_EQ(EINTR, errno);
	/* One more slice moved, then the signal ended the call */
	EXPECT_EQ(1, fdinfo_has(self->kq, " done:2097152"));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(BIG_SIZE, ev.ret_data);
	EXPECT_EQ(0, memcmp(self->rb, self->src, BIG_SIZE));
}

/* An error completes the request with its errno. */
TEST_F(ustream, send_to_closed_peer_epipe)
{
	struct ukevent ev;

	close(self->sv[1]);
	self->sv[1] = -1;
	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 1, self->buf, 100,
			      KEVENT_NAIO_SEND));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(KEVENT_NAIO_SEND | KEVENT_NAIO_ERROR, ev.event);
	/* No byte moved, and the errno in the high half */
	EXPECT_EQ((__u64)EPIPE << 32, ev.ret_data);
}

/* A RECV and a SEND at once on one socket. */
TEST_F(ustream, recv_and_send_at_once)
{
	struct ukevent ev[2];
	char out[5];
	int n;

	memcpy(self->buf + 8192, "pong", 4);
	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 1, self->buf, 100,
			      KEVENT_NAIO_RECV));
	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 2, self->buf + 8192, 4,
			      KEVENT_NAIO_SEND));
	ASSERT_EQ(4, write(self->sv[1], "ping", 4));
	n = kq_wait_ms(self->kq, 2, 2, ev, KQ_HANG_MS);
	ASSERT_EQ(2, n);
	ASSERT_EQ(4, read(self->sv[1], out, 4));
	EXPECT_EQ(0, memcmp(out, "pong", 4));
	EXPECT_EQ(0, memcmp(self->buf, "ping", 4));
}

/* A request of another queue on the socket does not hold this one back. */
TEST_F(ustream, other_queue_does_not_block)
{
	int kq2 = kq_new(0);
	struct ukevent ev;

	ASSERT_LE(0, kq2);
	ASSERT_EQ(0, naio_add(kq2, self->sv[0], 1, self->buf + 8192, 1,
			      KEVENT_NAIO_RECV));
	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 2, self->buf, 100,
			      KEVENT_NAIO_RECV));
	ASSERT_EQ(5, write(self->sv[1], "hello", 5));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(2, ev.udata);
	EXPECT_EQ(5, ev.ret_data);
	close(kq2);
}

TEST_F(ustream, close_of_socket_removes)
{
	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 1, self->buf, 100,
			      KEVENT_NAIO_RECV));
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));
	close(self->sv[0]);
	self->sv[0] = -1;
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

/* exec cancels the requests of the process, whose pages it pinned. */
TEST_F(ustream, exec_cancels_requests)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid) {
		char env[16];

		if (naio_add(self->kq, self->sv[0], 1, self->buf, 100,
			     KEVENT_NAIO_RECV) || kq_fdinfo_count(self->kq) != 1)
			_exit(2);
		snprintf(env, sizeof(env), "%d", self->kq);
		setenv("KEVENT_NAIOEXEC", env, 1);
		execl("/proc/self/exe", "/proc/self/exe", (char *)NULL);
		_exit(3);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

/* The queue's fdinfo and the process's VmPin show the pinned pages. */
TEST_F(ustream, pinned_pages_shown)
{
	long base = kq_vm_pin_kb();

	ASSERT_LE(0, base);
	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 1, self->buf + 4090, 100,
			      KEVENT_NAIO_RECV));
	EXPECT_EQ(1, fdinfo_has(self->kq, " pinned:2 done:0"));
	EXPECT_EQ(base + 8, kq_vm_pin_kb());
	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 2, self->buf, BUF_SIZE,
			      KEVENT_NAIO_SEND));
	EXPECT_EQ(base + 8 + BUF_SIZE / 1024, kq_vm_pin_kb());
	EXPECT_EQ(0, naio_remove(self->kq, self->sv[0], 1));
	EXPECT_EQ(base + BUF_SIZE / 1024, kq_vm_pin_kb());
	close(self->kq);
	self->kq = -1;
	EXPECT_EQ(base, kq_vm_pin_kb());
}

/*
 * REMOVE of a request that moved data completes it: ECANCELED, with the
 * count of the bytes already in the buffer.
 */
TEST_F(ustream, remove_after_partial_recv_reports_count)
{
	long base = kq_vm_pin_kb();
	struct ukevent ev;

	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 1, self->buf, 100,
			      KEVENT_NAIO_RECV | KEVENT_NAIO_WAITALL));
	ASSERT_EQ(30, write(self->sv[1], "0123456789abcdefghijklmnopqrst",
			    30));
	/* The queue looks at the request: the 30 bytes move, no completion */
	EXPECT_EQ(0, kq_wait_ms(self->kq, 0, 1, &ev, 0));
	EXPECT_EQ(1, fdinfo_has(self->kq, " done:30"));
	EXPECT_EQ(0, naio_remove(self->kq, self->sv[0], 1));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 0, 1, &ev, 0));
	EXPECT_EQ(KEVENT_NAIO_RECV | KEVENT_NAIO_WAITALL | KEVENT_NAIO_ERROR,
		  ev.event);
	EXPECT_EQ((__u64)ECANCELED << 32 | 30, ev.ret_data);
	EXPECT_EQ(0, memcmp(self->buf, "0123456789abcdefghijklmnopqrst", 30));
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	EXPECT_EQ(base, kq_vm_pin_kb());
}

/* Until it is reported, the cancelled request still holds its id. */
TEST_F(ustream, cancelled_request_holds_id_until_reported)
{
	struct ukevent ev;

	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 1, self->buf, 100,
			      KEVENT_NAIO_RECV | KEVENT_NAIO_WAITALL));
	ASSERT_EQ(3, write(self->sv[1], "abc", 3));
	EXPECT_EQ(0, kq_wait_ms(self->kq, 0, 1, &ev, 0));
	EXPECT_EQ(0, naio_remove(self->kq, self->sv[0], 1));
	EXPECT_EQ(-1, naio_add(self->kq, self->sv[0], 1, self->buf, 100,
			       KEVENT_NAIO_RECV));
	EXPECT_EQ(EEXIST, errno);
	/* A second REMOVE changes nothing: it is complete already */
	EXPECT_EQ(0, naio_remove(self->kq, self->sv[0], 1));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 0, 1, &ev, 0));
	EXPECT_EQ((__u64)ECANCELED << 32 | 3, ev.ret_data);
	EXPECT_EQ(0, naio_add(self->kq, self->sv[0], 1, self->buf, 100,
			      KEVENT_NAIO_RECV));
}

/* A SEND stopped part way reports what the peer got. */
TEST_F(ustream, remove_after_partial_send_reports_count)
{
	struct ukevent ev;
	long got = 0;
	int n;

	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 1, self->buf, BUF_SIZE,
			      KEVENT_NAIO_SEND));
	EXPECT_EQ(0, kq_wait_ms(self->kq, 0, 1, &ev, 0));
	EXPECT_EQ(0, naio_remove(self->kq, self->sv[0], 1));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 0, 1, &ev, 0));
	EXPECT_EQ(KEVENT_NAIO_SEND | KEVENT_NAIO_ERROR, ev.event);
	EXPECT_EQ(ECANCELED, ev.ret_data >> 32);
	while ((n = recv(self->sv[1], self->buf, BUF_SIZE, MSG_DONTWAIT)) > 0)
		got += n;
	EXPECT_LT(0, got);
	EXPECT_EQ(got, (__u32)ev.ret_data);
}

/*
 * A forked child that reaps the shared queue completes the parent's
 * request into the parent's pages; the child owns none of the requests,
 * so its exit leaves them.
 */
TEST_F(ustream, fork_child_reaps_into_parents_pages)
{
	pid_t pid;
	int status;

	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 1, self->buf, 100,
			      KEVENT_NAIO_RECV));
	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 2, self->buf + 8192, 100,
			      KEVENT_NAIO_RECV));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct ukevent ev;

		if (write(self->sv[1], "child", 5) != 5 ||
		    kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS) != 1 ||
		    ev.udata != 1 || ev.ret_data != 5)
			_exit(2);
		/* The child's copy of the buffer did not get it */
		_exit(memcmp(self->buf, "child", 5) ? 0 : 3);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, memcmp(self->buf, "child", 5));
	/* The second request survived the child's exit */
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));
	EXPECT_EQ(1, fdinfo_has(self->kq, " pinned:1 "));
}

/* The exit of the process that added a request ends it. */
TEST_F(ustream, exit_cancels_requests)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid)
		_exit(naio_add(self->kq, self->sv[0], 1, self->buf, BUF_SIZE,
			       KEVENT_NAIO_RECV) ? 2 : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

/*
 * SENDFILE of a file larger than the socket buffer: the file's pages go to
 * the socket, one completion once all are queued, nothing pinned.
 */
TEST_F(ustream, sendfile_larger_than_socket_buffer)
{
	char *rb = malloc(BUF_SIZE);
	long base = kq_vm_pin_kb(), got;
	int file = pattern_file(self->buf, BUF_SIZE);
	struct ukevent ev;

	ASSERT_FALSE(!rb);
	ASSERT_LE(0, file);
	ASSERT_EQ(0, naio_sendfile(self->kq, self->sv[0], 1, file, 0,
				   BUF_SIZE));
	EXPECT_EQ(1, fdinfo_has(self->kq, " pinned:0 "));
	EXPECT_EQ(base, kq_vm_pin_kb());
	/* The request holds the file: closing the descriptor changes nothing */
	close(file);
	got = drain_until_complete(self->kq, self->sv[1], rb, BUF_SIZE, &ev);
	EXPECT_EQ(KEVENT_NAIO_SENDFILE, ev.event);
	EXPECT_EQ(BUF_SIZE, ev.ret_data);
	ASSERT_EQ(BUF_SIZE, got);
	EXPECT_EQ(0, memcmp(rb, self->buf, BUF_SIZE));
	free(rb);
}

/* From an offset, and short at the end of the file */
TEST_F(ustream, sendfile_offset_stops_at_eof)
{
	int file = pattern_file(self->buf, 1000);
	struct ukevent ev;
	char rb[1000];

	ASSERT_LE(0, file);
	ASSERT_EQ(0, naio_sendfile(self->kq, self->sv[0], 1, file, 100,
				   5000));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(KEVENT_NAIO_SENDFILE, ev.event);
	EXPECT_EQ(900, ev.ret_data);
	ASSERT_EQ(900, recv(self->sv[1], rb, sizeof(rb), MSG_DONTWAIT));
	EXPECT_EQ(0, memcmp(rb, self->buf + 100, 900));
	/* At or past the end: 0 bytes */
	ASSERT_EQ(0, naio_sendfile(self->kq, self->sv[0], 2, file, 1000, 10));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(0, ev.ret_data);
	close(file);
}

/* SENDFILE takes its place in the line of the socket's sends. */
TEST_F(ustream, sendfile_after_send_in_order)
{
	int file = pattern_file(self->buf + 8192, 100);
	struct ukevent ev[2];
	char rb[200];

	ASSERT_LE(0, file);
	memcpy(self->buf, "head:", 5);
	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 1, self->buf, 5,
			      KEVENT_NAIO_SEND));
	ASSERT_EQ(0, naio_sendfile(self->kq, self->sv[0], 2, file, 0, 100));
	ASSERT_EQ(2, kq_wait_ms(self->kq, 2, 2, ev, KQ_HANG_MS));
	EXPECT_EQ(1, ev[0].udata);
	EXPECT_EQ(2, ev[1].udata);
	ASSERT_EQ(105, recv(self->sv[1], rb, sizeof(rb), MSG_DONTWAIT));
	EXPECT_EQ(0, memcmp(rb, "head:", 5));
	EXPECT_EQ(0, memcmp(rb + 5, self->buf + 8192, 100));
	close(file);
}

/* A file sent to a datagram socket would be cut anywhere: refused. */
TEST_F(ustream, sendfile_to_datagram_eopnotsupp)
{
	int file = pattern_file(self->buf, 100), dv[2];

	ASSERT_LE(0, file);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, dv));
	EXPECT_EQ(-1, naio_sendfile(self->kq, dv[0], 1, file, 0, 100));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	close(dv[0]);
	close(dv[1]);
	close(file);
}

/* What sendfile() refuses as input, SENDFILE refuses at ADD. */
TEST_F(ustream, sendfile_bad_input)
{
	int file = pattern_file(self->buf, 100), wo, p[2];
	char name[64];

	ASSERT_LE(0, file);
	snprintf(name, sizeof(name), "/proc/self/fd/%d", file);
	ASSERT_LE(0, wo = open(name, O_WRONLY));
	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(-1, naio_sendfile(self->kq, self->sv[0], 1, 999, 0, 10));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, naio_sendfile(self->kq, self->sv[0], 1, wo, 0, 10));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, naio_sendfile(self->kq, self->sv[0], 1, p[0], 0, 10));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-1, naio_sendfile(self->kq, self->sv[0], 1, self->sv[1], 0,
				    10));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-1, naio_sendfile(self->kq, self->sv[0], 1, file, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, naio_sendfile(self->kq, self->sv[0], 1, file, -1ULL,
				    10));
	EXPECT_EQ(EINVAL, errno);
	/* WAITALL is a receive's */
	EXPECT_EQ(-1, naio_ctl(self->kq, KEVENT_CTL_ADD, self->sv[0], 1, NULL,
			       (__u64)file << 32 | 10,
			       KEVENT_NAIO_SENDFILE | KEVENT_NAIO_WAITALL,
			       KEVENT_REQ_ONESHOT));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	close(file);
	close(wo);
	close(p[0]);
	close(p[1]);
}

TEST_F(ustream, remove_cancels)
{
	struct ukevent ev;

	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 1, self->buf, 100,
			      KEVENT_NAIO_RECV));
	EXPECT_EQ(0, naio_remove(self->kq, self->sv[0], 1));
	ASSERT_EQ(3, write(self->sv[1], "abc", 3));
	EXPECT_EQ(0, kq_wait_ms(self->kq, 0, 1, &ev, 0));
	/* The data stays in the socket. */
	EXPECT_EQ(3, recv(self->sv[0], self->buf, 100, MSG_DONTWAIT));
}

TEST_F(ustream, modify_einval)
{
	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 1, self->buf, 100,
			      KEVENT_NAIO_RECV));
	EXPECT_EQ(-1, naio_ctl(self->kq, KEVENT_CTL_MODIFY, self->sv[0], 1,
			       self->buf, 50, KEVENT_NAIO_RECV,
			       KEVENT_REQ_ONESHOT));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * A DISPATCH request stays after its completion, its pages pinned, and
 * moves nothing until ENABLE runs it again, from the start of its buffer.
 */
TEST_F(ustream, dispatch_rearmed_by_enable)
{
	long base = kq_vm_pin_kb();
	struct ukevent ev;

	ASSERT_EQ(0, naio_dispatch(self->kq, KEVENT_CTL_ADD, self->sv[0], 1,
				   self->buf, 100, KEVENT_NAIO_RECV));
	ASSERT_EQ(3, write(self->sv[1], "abc", 3));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(KEVENT_NAIO_RECV, ev.event);
	EXPECT_EQ(3, ev.ret_data);
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));
	EXPECT_EQ(1, fdinfo_has(self->kq, " pinned:1 done:0"));
	EXPECT_EQ(base + 4, kq_vm_pin_kb());
	/* Disabled: the data waits in the socket */
	ASSERT_EQ(2, write(self->sv[1], "de", 2));
	EXPECT_EQ(0, kq_wait_ms(self->kq, 0, 1, &ev, 0));
	ASSERT_EQ(0, naio_enable(self->kq, self->sv[0], 1));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(2, ev.ret_data);
	EXPECT_EQ(0, memcmp(self->buf, "dec", 3));
	EXPECT_EQ(0, naio_remove(self->kq, self->sv[0], 1));
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	EXPECT_EQ(base, kq_vm_pin_kb());
}

/*
 * MODIFY turns a completed RECV into the SEND of what it received, and
 * back, on any part of the pages ADD pinned: an echo with one request,
 * pinned once.
 */
TEST_F(ustream, dispatch_modify_recv_to_send)
{
	long base = kq_vm_pin_kb();
	struct ukevent ev;
	char rb[16];
	int i;

	ASSERT_EQ(0, naio_dispatch(self->kq, KEVENT_CTL_ADD, self->sv[0], 1,
				   self->buf, 8192, KEVENT_NAIO_RECV));
	for (i = 0; i < 2; i++) {
		char *b = self->buf + i * 4000;

		ASSERT_EQ(4, write(self->sv[1], "ping", 4));
		ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
		EXPECT_EQ(KEVENT_NAIO_RECV, ev.event);
		ASSERT_EQ(4, ev.ret_data);
		EXPECT_EQ(0, memcmp(b, "ping", 4));
		b[1] = 'o';
		ASSERT_EQ(0, naio_dispatch(self->kq, KEVENT_CTL_MODIFY,
					   self->sv[0], 1, b, 4,
					   KEVENT_NAIO_SEND));
		ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
		EXPECT_EQ(KEVENT_NAIO_SEND, ev.event);
		EXPECT_EQ(4, ev.ret_data);
		ASSERT_EQ(4, recv(self->sv[1], rb, sizeof(rb), MSG_DONTWAIT));
		EXPECT_EQ(0, memcmp(rb, "pong", 4));
		/* The next receive into another part, across a page */
		ASSERT_EQ(0, naio_dispatch(self->kq, KEVENT_CTL_MODIFY,
					   self->sv[0], 1, b + 4000, 100,
					   KEVENT_NAIO_RECV));
		/* The pages stay pinned once */
		EXPECT_EQ(base + 8, kq_vm_pin_kb());
	}
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));
	close(self->kq);
	self->kq = -1;
	EXPECT_EQ(base, kq_vm_pin_kb());
}

/*
 * MODIFY changes a DISPATCH request only while it waits to be re-armed,
 * and only within what ADD took; a refused MODIFY leaves it as it was.
 */
TEST_F(ustream, dispatch_modify_errors)
{
	struct ukevent ev;
	int fd = self->sv[0];

	ASSERT_EQ(0, naio_dispatch(self->kq, KEVENT_CTL_ADD, fd, 1,
				   self->buf + 4096, 4096, KEVENT_NAIO_RECV));
	/* In flight */
	EXPECT_EQ(-1, naio_dispatch(self->kq, KEVENT_CTL_MODIFY, fd, 1,
				    self->buf + 4096, 10, KEVENT_NAIO_SEND));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(1, write(self->sv[1], "a", 1));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	/* Below, above, past the end of the pinned page */
	EXPECT_EQ(-1, naio_dispatch(self->kq, KEVENT_CTL_MODIFY, fd, 1,
				    self->buf + 4095, 10, KEVENT_NAIO_RECV));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, naio_dispatch(self->kq, KEVENT_CTL_MODIFY, fd, 1,
				    self->buf + 8192, 1, KEVENT_NAIO_RECV));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, naio_dispatch(self->kq, KEVENT_CTL_MODIFY, fd, 1,
				    self->buf + 8000, 193, KEVENT_NAIO_RECV));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, naio_dispatch(self->kq, KEVENT_CTL_MODIFY, fd, 1,
				    (void *)-4096L, 4096, KEVENT_NAIO_RECV));
	EXPECT_EQ(EINVAL, errno);
	/* Not a SENDFILE */
	EXPECT_EQ(-1, naio_ctl(self->kq, KEVENT_CTL_MODIFY, fd, 1, NULL,
			       (__u64)self->sv[1] << 32 | 10,
			       KEVENT_NAIO_SENDFILE, KEVENT_REQ_DISPATCH));
	EXPECT_EQ(EINVAL, errno);
	/* Neither oneshot nor dispatch */
	EXPECT_EQ(-1, naio_ctl(self->kq, KEVENT_CTL_MODIFY, fd, 1,
			       self->buf + 4096, 10, KEVENT_NAIO_RECV, 0));
	EXPECT_EQ(EINVAL, errno);
	/* Unchanged: ENABLE receives into the whole page again */
	ASSERT_EQ(0, naio_enable(self->kq, fd, 1));
	ASSERT_EQ(6, write(self->sv[1], "bcdefg", 6));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(KEVENT_NAIO_RECV, ev.event);
	EXPECT_EQ(6, ev.ret_data);
	EXPECT_EQ(0, memcmp(self->buf + 4096, "bcdefg", 6));
}

/* Pages pinned for a SEND are not written: such a request stays a SEND. */
TEST_F(ustream, dispatch_send_cannot_become_recv)
{
	struct ukevent ev;
	char rb[8];

	ASSERT_EQ(0, naio_dispatch(self->kq, KEVENT_CTL_ADD, self->sv[0], 1,
				   self->buf, 4, KEVENT_NAIO_SEND));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(-1, naio_dispatch(self->kq, KEVENT_CTL_MODIFY, self->sv[0],
				    1, self->buf, 4, KEVENT_NAIO_RECV));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(4, recv(self->sv[1], rb, sizeof(rb), MSG_DONTWAIT));
	EXPECT_EQ(0, kq_wait_ms(self->kq, 0, 1, &ev, 0));
}

/* Re-armed, a request joins its line behind those added meanwhile. */
TEST_F(ustream, dispatch_rearmed_joins_the_end_of_its_line)
{
	struct ukevent ev;

	ASSERT_EQ(0, naio_dispatch(self->kq, KEVENT_CTL_ADD, self->sv[0], 1,
				   self->buf, 3, KEVENT_NAIO_RECV));
	ASSERT_EQ(3, write(self->sv[1], "abc", 3));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(1, ev.udata);
	ASSERT_EQ(0, naio_add(self->kq, self->sv[0], 2, self->buf + 100, 3,
			      KEVENT_NAIO_RECV | KEVENT_NAIO_WAITALL));
	ASSERT_EQ(0, naio_enable(self->kq, self->sv[0], 1));
	ASSERT_EQ(6, write(self->sv[1], "defghi", 6));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(2, ev.udata);
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(1, ev.udata);
	EXPECT_EQ(0, memcmp(self->buf + 100, "def", 3));
	EXPECT_EQ(0, memcmp(self->buf, "ghi", 3));
}

/*
 * REMOVE of a DISPATCH request part way through completes it with the
 * count, and then it is gone: it is not kept disabled.
 */
TEST_F(ustream, dispatch_remove_after_partial_ends_it)
{
	long base = kq_vm_pin_kb();
	struct ukevent ev;

	ASSERT_EQ(0, naio_dispatch(self->kq, KEVENT_CTL_ADD, self->sv[0], 1,
				   self->buf, 10,
				   KEVENT_NAIO_RECV | KEVENT_NAIO_WAITALL));
	ASSERT_EQ(4, write(self->sv[1], "abcd", 4));
	EXPECT_EQ(0, kq_wait_ms(self->kq, 0, 1, &ev, 0));
	EXPECT_EQ(0, naio_remove(self->kq, self->sv[0], 1));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 0, 1, &ev, 0));
	EXPECT_EQ((__u64)ECANCELED << 32 | 4, ev.ret_data);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	EXPECT_EQ(base, kq_vm_pin_kb());
}

/* A DISPATCH SENDFILE re-armed on the next part of its open file */
TEST_F(ustream, dispatch_sendfile_modify_offset)
{
	struct ukevent uk = {
		.id = (__u64)1 << 32 | (__u32)self->sv[0],
		.type = KEVENT_TYPE_NAIO,
		.event = KEVENT_NAIO_SENDFILE,
		.req_flags = KEVENT_REQ_DISPATCH,
	};
	char src[100], rb[100];
	struct ukevent ev;
	int file, same, other;

	file = pattern_file(src, 100);
	ASSERT_LE(0, file);
	same = dup(file);
	ASSERT_LE(0, same);
	other = pattern_file(rb, 100);
	ASSERT_LE(0, other);
	uk.param[1] = (__u64)(__u32)file << 32 | 40;
	ASSERT_EQ(0, kq_ctl1(self->kq, KEVENT_CTL_ADD, uk));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(40, ev.ret_data);
	uk.param[0] = 40;
	/* Another file, a descriptor that is not open */
	uk.param[1] = (__u64)(__u32)other << 32 | 60;
	EXPECT_EQ(-1, kq_ctl1(self->kq, KEVENT_CTL_MODIFY, uk));
	EXPECT_EQ(EINVAL, errno);
	uk.param[1] = (__u64)(__u32)(other + 1000) << 32 | 60;
	EXPECT_EQ(-1, kq_ctl1(self->kq, KEVENT_CTL_MODIFY, uk));
	EXPECT_EQ(EBADF, errno);
	/* The same open file, by another descriptor */
	uk.param[1] = (__u64)(__u32)same << 32 | 60;
	ASSERT_EQ(0, kq_ctl1(self->kq, KEVENT_CTL_MODIFY, uk));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(60, ev.ret_data);
	ASSERT_EQ(100, recv(self->sv[1], rb, sizeof(rb), MSG_DONTWAIT));
	EXPECT_EQ(0, memcmp(rb, src, 100));
	close(other);
	close(same);
	close(file);
}

/* A range from the start of the first pinned page to the end of the last */
TEST_F(ustream, dispatch_modify_whole_pinned_pages)
{
	struct ukevent ev;

	ASSERT_EQ(0, naio_dispatch(self->kq, KEVENT_CTL_ADD, self->sv[0], 1,
				   self->buf + 4100, 100, KEVENT_NAIO_RECV));
	ASSERT_EQ(1, write(self->sv[1], "a", 1));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	ASSERT_EQ(0, naio_dispatch(self->kq, KEVENT_CTL_MODIFY, self->sv[0],
				   1, self->buf + 4096, 4096,
				   KEVENT_NAIO_RECV | KEVENT_NAIO_WAITALL));
	memset(self->buf + 8192, 'z', 4096);
	ASSERT_EQ(4096, send(self->sv[1], self->buf + 8192, 4096, 0));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(4096, ev.ret_data);
	EXPECT_EQ(0, memcmp(self->buf + 4096, self->buf + 8192, 4096));
}

/* Complete but not reported yet: MODIFY must wait for the report */
TEST_F(ustream, dispatch_modify_before_report_ebusy)
{
	struct ukevent ev;

	ASSERT_EQ(3, write(self->sv[1], "abc", 3));
	ASSERT_EQ(0, naio_dispatch(self->kq, KEVENT_CTL_ADD, self->sv[0], 1,
				   self->buf, 100, KEVENT_NAIO_RECV));
	EXPECT_EQ(1, fdinfo_has(self->kq, " done:3"));
	EXPECT_EQ(-1, naio_dispatch(self->kq, KEVENT_CTL_MODIFY, self->sv[0],
				    1, self->buf, 3, KEVENT_NAIO_SEND));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(1, kq_wait_ms(self->kq, 0, 1, &ev, 0));
	EXPECT_EQ(3, ev.ret_data);
	EXPECT_EQ(0, naio_dispatch(self->kq, KEVENT_CTL_MODIFY, self->sv[0],
				   1, self->buf, 3, KEVENT_NAIO_SEND));
}

/*
 * REMOVE of a DISPATCH request that completed, not reported yet: the
 * completion is reported, as a oneshot one, and the request is gone.
 */
TEST_F(ustream, dispatch_remove_completed_unreported)
{
	struct ukevent ev;

	ASSERT_EQ(3, write(self->sv[1], "abc", 3));
	ASSERT_EQ(0, naio_dispatch(self->kq, KEVENT_CTL_ADD, self->sv[0], 1,
				   self->buf, 100, KEVENT_NAIO_RECV));
	EXPECT_EQ(0, naio_remove(self->kq, self->sv[0], 1));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 0, 1, &ev, 0));
	EXPECT_EQ(KEVENT_NAIO_RECV, ev.event);
	EXPECT_EQ(3, ev.ret_data);
	EXPECT_EQ(KEVENT_REQ_ONESHOT, ev.req_flags);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

/* The uid that SCM_CREDENTIALS of the next message on @fd carries */
static long passed_uid(int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	char c;
	struct iovec iov = { &c, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	struct ucred cred;

	if (recvmsg(fd, &msg, MSG_DONTWAIT) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_CREDENTIALS)
		return -1;
	memcpy(&cred, CMSG_DATA(cm), sizeof(cred));
	return cred.uid;
}

/*
 * Re-armed, a request is submitted anew: it sends with the credentials
 * of the task that re-armed it, not those it had when it was added.
 */
TEST_F(ustream, dispatch_rearm_takes_current_creds)
{
	int status, one = 1;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root to become another user");
	ASSERT_EQ(0, setsockopt(self->sv[1], SOL_SOCKET, SO_PASSCRED, &one,
				sizeof(one)));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int kq = kq_new(0), fd = self->sv[0];
		struct ukevent ev;

		self->buf[0] = 'x';
		if (kq < 0 || naio_dispatch(kq, KEVENT_CTL_ADD, fd, 1,
					    self->buf, 1, KEVENT_NAIO_SEND) ||
		    kq_wait_ms(kq, 1, 1, &ev, KQ_HANG_MS) != 1)
			_exit(2);
		if (passed_uid(self->sv[1]) != 0)
			_exit(3);
		if (setresuid(65534, 65534, 65534) ||
		    naio_enable(kq, fd, 1) ||
		    kq_wait_ms(kq, 1, 1, &ev, KQ_HANG_MS) != 1)
			_exit(4);
		_exit(passed_uid(self->sv[1]) == 65534 ? 0 : 5);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/*
 * A process that shares the file table but not the address space finds
 * the request, but cannot point it at pages that are not its own: MODIFY
 * fails, ENABLE completes it with EPERM.
 */
TEST_F(ustream, dispatch_rearm_from_other_mm_eperm)
{
	struct ukevent ev;
	int status;
	pid_t pid;

	ASSERT_EQ(0, naio_dispatch(self->kq, KEVENT_CTL_ADD, self->sv[0], 1,
				   self->buf, 100, KEVENT_NAIO_RECV));
	ASSERT_EQ(1, write(self->sv[1], "a", 1));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	pid = syscall(__NR_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
	ASSERT_LE(0, pid);
	if (!pid) {
		if (!naio_dispatch(self->kq, KEVENT_CTL_MODIFY, self->sv[0], 1,
				   self->buf, 10, KEVENT_NAIO_RECV) ||
		    errno != EPERM)
			_exit(2);
		_exit(naio_enable(self->kq, self->sv[0], 1) ? 3 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 0, 1, &ev, 0));
	EXPECT_EQ(KEVENT_NAIO_RECV | KEVENT_NAIO_ERROR, ev.event);
	EXPECT_EQ((__u64)EPERM << 32, ev.ret_data);
	/* The owner re-arms it */
	ASSERT_EQ(0, naio_enable(self->kq, self->sv[0], 1));
	ASSERT_EQ(1, write(self->sv[1], "b", 1));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(KEVENT_NAIO_RECV, ev.event);
	EXPECT_EQ('b', self->buf[0]);
}

TEST_F(ustream, bad_requests_einval)
{
	int fd = self->sv[0];

	EXPECT_EQ(-1, naio_ctl(self->kq, KEVENT_CTL_ADD, fd, 1, self->buf, 10,
			       KEVENT_NAIO_RECV, 0));	/* neither oneshot nor dispatch */
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, naio_add(self->kq, fd, 1, self->buf, 0,
			       KEVENT_NAIO_RECV));	/* no length */
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, naio_add(self->kq, fd, 1, self->buf, 10,
			       KEVENT_NAIO_SEND | KEVENT_NAIO_WAITALL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, naio_add(self->kq, fd, 1, self->buf, 10, 0x4000));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

TEST_F(ustream, bad_buffers_efault)
{
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);

	ASSERT_TRUE(ro != MAP_FAILED);
	EXPECT_EQ(-1, naio_add(self->kq, self->sv[0], 1, NULL, 10,
			       KEVENT_NAIO_RECV));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, naio_add(self->kq, self->sv[0], 1,
			       (void *)(uintptr_t)-4096, 10,
			       KEVENT_NAIO_RECV));
	EXPECT_EQ(EFAULT, errno);
	/* A RECV writes: a read-only buffer is refused; a SEND takes it. */
	EXPECT_EQ(-1, naio_add(self->kq, self->sv[0], 1, ro, 10,
			       KEVENT_NAIO_RECV));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, naio_add(self->kq, self->sv[0], 2, ro, 10,
			      KEVENT_NAIO_SEND));
	munmap(ro, 4096);
}

/* Records (SEQPACKET) are not a byte stream nor datagrams: refused. */
TEST_F(ustream, seqpacket_eopnotsupp)
{
	int p[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, p));
	EXPECT_EQ(-1, naio_add(self->kq, p[0], 1, self->buf, 10,
			       KEVENT_NAIO_RECV));
	EXPECT_EQ(EOPNOTSUPP, errno);
	close(p[0]);
	close(p[1]);
}

/* A UNIX datagram RECV takes one datagram. */
TEST_F(ustream, unix_datagram)
{
	struct ukevent ev;
	int p[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, p));
	ASSERT_EQ(0, naio_add(self->kq, p[0], 1, self->buf, 100,
			      KEVENT_NAIO_RECV | KEVENT_NAIO_WAITALL));
	ASSERT_EQ(3, write(p[1], "one", 3));
	ASSERT_EQ(3, write(p[1], "two", 3));
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(3, ev.ret_data);
	EXPECT_EQ(0, memcmp(self->buf, "one", 3));
	close(p[0]);
	close(p[1]);
}

TEST_F(ustream, not_a_socket)
{
	int p[2];

	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(-1, naio_add(self->kq, p[0], 1, self->buf, 10,
			       KEVENT_NAIO_RECV));
	EXPECT_EQ(ENOTSOCK, errno);
	EXPECT_EQ(-1, naio_add(self->kq, 999, 1, self->buf, 10,
			       KEVENT_NAIO_RECV));
	EXPECT_EQ(EBADF, errno);
	close(p[0]);
	close(p[1]);
}

/*
 * Pinned pages are charged to RLIMIT_MEMLOCK of an unprivileged user:
 * past it ENOMEM, and a failed ADD (EEXIST), REMOVE and the queue's close
 * give the pages back.
 */
/*
 * Run @fn(fd, peer, buf) in a child that became user 65534 with a 64 KiB
 * RLIMIT_MEMLOCK, with a queue of its own (the fixture's is shared with
 * the parent): its exit status, 0 if all went well, -1 if it did not exit.
 */
static int as_limited_user(int (*fn)(int, int, char *), int fd, int peer,
			   char *b)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		struct rlimit rl = { 65536, 65536 };

		if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(65534) ||
		    setuid(65534))
			_exit(2);
		_exit(fn(fd, peer, b));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Pinned pages never go past the limit; ENOMEM for what would */
static int memlock_limit_child(int fd, int peer, char *b)
{
	int kq = kq_new(0), i;

	if (kq < 0)
		return 2;
	for (i = 0; i < 100; i++) {
		if (naio_add(kq, fd, 1, b, 32768, KEVENT_NAIO_RECV))
			return 3;
		if (!naio_add(kq, fd, 1, b, 32768, KEVENT_NAIO_RECV) ||
		    errno != EEXIST)
			return 4;
		if (naio_remove(kq, fd, 1))
			return 5;
	}
	if (!naio_add(kq, fd, 2, b, 81920, KEVENT_NAIO_RECV) ||
	    errno != ENOMEM)
		return 6;
	if (naio_add(kq, fd, 3, b, 32768, KEVENT_NAIO_RECV) ||
	    naio_add(kq, fd, 4, b + 65536, 32768, KEVENT_NAIO_RECV))
		return 7;
	if (!naio_add(kq, fd, 5, b + 131072, 4096, KEVENT_NAIO_RECV) ||
	    errno != ENOMEM)
		return 8;
	close(kq);
	kq = kq_new(0);
	if (naio_add(kq, fd, 6, b, 65536, KEVENT_NAIO_RECV))
		return 9;
	return 0;
}

TEST_F(ustream, memlock_limit)
{
	if (geteuid())
		SKIP(return, "needs root to become another user");
	EXPECT_EQ(0, as_limited_user(memlock_limit_child, self->sv[0],
				     self->sv[1], self->buf));
}

/*
 * Under a 64 KiB limit, pin all of it, end the request one way, and pin
 * all of it again: every way out gives the charge back.
 */
static int naio_charge_cycle(int path, int kq, int fd, int peer, char *b)
{
	struct ukevent ev;
	int status, sv[2];
	pid_t pid;

	switch (path) {
	case 0:		/* completion */
		if (naio_add(kq, fd, 1, b, 65536, KEVENT_NAIO_RECV) ||
		    write(peer, "x", 1) != 1 ||
		    kq_wait_ms(kq, 1, 1, &ev, KQ_HANG_MS) != 1)
			return 10;
		break;
	case 1:		/* REMOVE */
		if (naio_add(kq, fd, 1, b, 65536, KEVENT_NAIO_RECV) ||
		    naio_remove(kq, fd, 1))
			return 11;
		break;
	case 2:		/* REMOVE after some data moved, then reaped */
		if (naio_add(kq, fd, 1, b, 65536,
			     KEVENT_NAIO_RECV | KEVENT_NAIO_WAITALL) ||
		    write(peer, "xy", 2) != 2 ||
		    kq_wait_ms(kq, 0, 1, &ev, 0) != 0 ||
		    naio_remove(kq, fd, 1) ||
		    kq_wait_ms(kq, 0, 1, &ev, 0) != 1)
			return 12;
		break;
	case 3:		/* close of the socket */
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) ||
		    naio_add(kq, sv[0], 1, b, 65536, KEVENT_NAIO_RECV))
			return 13;
		close(sv[0]);
		close(sv[1]);
		break;
	case 4:		/* exit of a child that added it to the shared queue */
		pid = fork();
		if (pid < 0)
			return 14;
		if (!pid)
			_exit(naio_add(kq, fd, 1, b, 65536, KEVENT_NAIO_RECV));
		if (waitpid(pid, &status, 0) != pid || status)
			return 14;
		break;
	case 5:		/* REMOVE of a DISPATCH request, completed: not before */
		if (naio_dispatch(kq, KEVENT_CTL_ADD, fd, 1, b, 65536,
				  KEVENT_NAIO_RECV) ||
		    write(peer, "x", 1) != 1 ||
		    kq_wait_ms(kq, 1, 1, &ev, KQ_HANG_MS) != 1 ||
		    !naio_add(kq, fd, 2, b, 4096, KEVENT_NAIO_RECV) ||
		    errno != ENOMEM || naio_remove(kq, fd, 1))
			return 15;
		break;
	case 6:		/* close of the socket of a completed DISPATCH request */
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) ||
		    naio_dispatch(kq, KEVENT_CTL_ADD, sv[0], 1, b, 65536,
				  KEVENT_NAIO_RECV) ||
		    write(sv[1], "x", 1) != 1 ||
		    kq_wait_ms(kq, 1, 1, &ev, KQ_HANG_MS) != 1)
			return 16;
		close(sv[0]);
		close(sv[1]);
		break;
	}
	/* All of the limit is free again */
	if (naio_add(kq, fd, 9, b, 65536, KEVENT_NAIO_RECV) ||
	    naio_remove(kq, fd, 9))
		return 20 + path;
	return 0;
}

static int charge_given_back_child(int fd, int peer, char *b)
{
	int kq, path, ret;

	for (path = 0; path < 7; path++) {
		kq = kq_new(0);
		if (kq < 0)
			return 3;
		ret = naio_charge_cycle(path, kq, fd, peer, b);
		if (ret)
			return ret;
		close(kq);
	}
	/* The close of the queue, last */
	kq = kq_new(0);
	if (naio_add(kq, fd, 1, b, 65536, KEVENT_NAIO_RECV))
		return 4;
	close(kq);
	kq = kq_new(0);
	if (naio_add(kq, fd, 1, b, 65536, KEVENT_NAIO_RECV))
		return 5;
	return kq_vm_pin_kb() == 64 ? 0 : 6;
}

TEST_F(ustream, charge_given_back_on_every_path)
{
	if (geteuid())
		SKIP(return, "needs root to become another user");
	EXPECT_EQ(0, as_limited_user(charge_given_back_child, self->sv[0],
				     self->sv[1], self->buf));
}

/* A connected TCP pair on loopback: *@c the client, *@s the server end */
static int tcp_pair(int *c, int *s)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t al = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	*c = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || *c < 0 || bind(l, (void *)&a, sizeof(a)) ||
	    listen(l, 1) || getsockname(l, (void *)&a, &al) ||
	    connect(*c, (void *)&a, sizeof(a)))
		return -1;
	*s = accept(l, NULL, NULL);
	close(l);
	return *s < 0 ? -1 : 0;
}

FIXTURE(inet) {
	int kq;
	char *buf;
};

FIXTURE_SETUP(inet)
{
	self->kq = kq_new(0);
	ASSERT_LE(0, self->kq);
	self->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(self->buf != MAP_FAILED);
}

FIXTURE_TEARDOWN(inet)
{
	close(self->kq);
	munmap(self->buf, BUF_SIZE);
}

TEST_F(inet, tcp_waitall_100k)
{
	int c, s, i, w;
	static char out[100000];
	struct ukevent ev;

	ASSERT_EQ(0, tcp_pair(&c, &s));
	ASSERT_EQ(0, naio_add(self->kq, s, 1, self->buf, sizeof(out),
			      KEVENT_NAIO_RECV | KEVENT_NAIO_WAITALL));
	for (i = 0; i < (int)sizeof(out); i++)
		out[i] = i * 7;
	for (i = 0; i < (int)sizeof(out); i += w) {
		w = write(c, out + i, sizeof(out) - i);
		ASSERT_LT(0, w);
	}
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(sizeof(out), ev.ret_data);
	EXPECT_EQ(0, memcmp(self->buf, out, sizeof(out)));
	close(s);
	close(c);
}

/* SENDFILE on TCP: a file larger than the socket buffers */
TEST_F(inet, tcp_sendfile_4m)
{
	long size = 4 * BUF_SIZE, got;
	char *src = malloc(size), *rb = malloc(size);
	struct ukevent ev;
	int c, s, file;

	ASSERT_FALSE(!src || !rb);
	ASSERT_LE(0, file = pattern_file(src, size));
	ASSERT_EQ(0, tcp_pair(&c, &s));
	ASSERT_EQ(0, naio_sendfile(self->kq, s, 1, file, 0, size));
	got = drain_until_complete(self->kq, c, rb, size, &ev);
	EXPECT_EQ(size, ev.ret_data);
	ASSERT_EQ(size, got);
	EXPECT_EQ(0, memcmp(rb, src, size));
	close(s);
	close(c);
	close(file);
	free(src);
	free(rb);
}

/* A reset after part of a WAITALL receive: the errno and the count */
TEST_F(inet, tcp_reset_after_partial_waitall)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct ukevent ev;
	int c, s;

	ASSERT_EQ(0, tcp_pair(&c, &s));
	ASSERT_EQ(0, naio_add(self->kq, s, 1, self->buf, 100,
			      KEVENT_NAIO_RECV | KEVENT_NAIO_WAITALL));
	ASSERT_EQ(10, write(c, "0123456789", 10));
	/* Wait until the queue moved the 10 bytes */
	while (fdinfo_has(self->kq, " done:10") != 1)
		ASSERT_EQ(0, kq_wait_ms(self->kq, 0, 1, &ev, 10));
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(c);
	ASSERT_EQ(1, kq_wait_ms(self->kq, 1, 1, &ev, KQ_HANG_MS));
	EXPECT_EQ(KEVENT_NAIO_RECV | KEVENT_NAIO_WAITALL | KEVENT_NAIO_ERROR,
		  ev.event);
	EXPECT_EQ((__u64)ECONNRESET << 32 | 10, ev.ret_data);
	EXPECT_EQ(0, memcmp(self->buf, "0123456789", 10));
	close(s);
}

/* 10,000 receives pending on 10,000 sockets; a few get data. */
TEST_F(inet, many_pending_few_active)
{
	enum { N = 10000, ACTIVE = 10 };
	struct rlimit rl = { 2 * N + 100, 2 * N + 100 };
	int (*sv)[2] = calloc(N, sizeof(*sv)), i, n, got = 0;
	struct ukevent ev[ACTIVE + 1];
	char seen[N] = { 0 };

	ASSERT_FALSE(!sv);
	if (setrlimit(RLIMIT_NOFILE, &rl))
		SKIP(return, "cannot have %d files open", 2 * N);
	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]));
		/* 64 bytes each: many requests share a page, each pins it */
		ASSERT_EQ(0, naio_add(self->kq, sv[i][0], i, self->buf + 64 * i,
				      64, KEVENT_NAIO_RECV));
	}
	EXPECT_EQ(0, kq_wait_ms(self->kq, 0, ACTIVE + 1, ev, 0));
	for (i = 0; i < ACTIVE; i++)
		ASSERT_EQ(2, write(sv[i * (N / ACTIVE)][1], "hi", 2));
	while (got < ACTIVE) {
		n = kq_wait_ms(self->kq, 1, ACTIVE + 1, ev, KQ_HANG_MS);
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++) {
			ASSERT_EQ(0, ev[i].udata % (N / ACTIVE));
			EXPECT_EQ(2, ev[i].ret_data);
			EXPECT_EQ(0, seen[ev[i].udata]++);
			EXPECT_EQ(0, memcmp(self->buf + 64 * ev[i].udata, "hi",
					    2));
		}
		got += n;
	}
	EXPECT_EQ(ACTIVE, got);
	EXPECT_EQ(0, kq_wait_ms(self->kq, 0, ACTIVE + 1, ev, 0));
	EXPECT_EQ(N - ACTIVE, kq_fdinfo_count(self->kq));
	for (i = 0; i < N; i++) {
		close(sv[i][0]);
		close(sv[i][1]);
	}
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	free(sv);
}

/* UDP: a RECV takes one datagram, cut to the buffer, in order. */
TEST_F(inet, udp_one_datagram_per_recv)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t al = sizeof(a);
	struct ukevent ev[2];
	int u, v, n, got = 0;

	ASSERT_LE(0, u = socket(AF_INET, SOCK_DGRAM, 0));
	ASSERT_LE(0, v = socket(AF_INET, SOCK_DGRAM, 0));
	ASSERT_EQ(0, bind(u, (void *)&a, sizeof(a)));
	ASSERT_EQ(0, getsockname(u, (void *)&a, &al));
	ASSERT_EQ(0, naio_add(self->kq, u, 1, self->buf, 4, KEVENT_NAIO_RECV));
	ASSERT_EQ(0, naio_add(self->kq, u, 2, self->buf + 100, 100,
			      KEVENT_NAIO_RECV));
	ASSERT_EQ(9, sendto(v, "datagram1", 9, 0, (void *)&a, sizeof(a)));
	ASSERT_EQ(3, sendto(v, "dg2", 3, 0, (void *)&a, sizeof(a)));
	while (got < 2) {
		n = kq_wait_ms(self->kq, 1, 2, ev + got, KQ_HANG_MS);
		ASSERT_LT(0, n);
		got += n;
	}
	EXPECT_EQ(1, ev[0].udata);
	EXPECT_EQ(4, ev[0].ret_data);
	EXPECT_EQ(2, ev[1].udata);
	EXPECT_EQ(3, ev[1].ret_data);
	EXPECT_EQ(0, memcmp(self->buf, "data", 4));
	EXPECT_EQ(0, memcmp(self->buf + 100, "dg2", 3));
	close(u);
	close(v);
}

TEST_HARNESS_MAIN
