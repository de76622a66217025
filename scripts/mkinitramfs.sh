#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the selftests, as 64- and 32-bit programs, against the assembled
# tree's uapi headers, and libkevent, the demo and the benchmarks, all
# statically; pack them with busybox and initramfs/init into
# out/initramfs.cpio.gz (one userland for every kernel).
. "$(dirname "$0")/lib.sh"

need_pkgs

hdr=$OUT/vm/include
[ -f "$hdr/linux/kevent.h" ] || die "no uapi headers in $hdr: run scripts/build.sh vm first"

say "building selftests and demo (static)"
# The same tests as 32-bit programs prove the ABI has no compat holes.
for bits in 64 32; do
	mkdir -p "$OUT/selftests$bits"
	make -s -C "$TREE/tools/testing/selftests/kevent" CC="gcc -m$bits" \
		OUTPUT="$OUT/selftests$bits" KHDR_INCLUDES="-isystem $hdr" \
		LDFLAGS=-static 2>&1 | tee "$OUT/selftests$bits.log"
	! grep -q 'warning:' "$OUT/selftests$bits.log" ||
		die "the $bits-bit selftests build with warnings"
done
# libkevent, installed into $lk and checked there (pkg-config, static and
# shared); the demo and the benchmarks are its users
say "building libkevent"
lk=$OUT/libkevent/root
rm -rf "$OUT/libkevent"
mkdir -p "$OUT/libkevent"
make -s -C "$TOP/libkevent" O="$OUT/libkevent" DESTDIR="$lk" PREFIX=/usr \
	WERROR=-Werror check
cmp -s "$hdr/linux/kevent.h" "$lk/usr/include/libkevent/kevent.h" ||
	die "libkevent's <libkevent/kevent.h> is not the kernel's <linux/kevent.h>"
lkflags="-I$lk/usr/include"
for prog in kevent_demo kevent_echo; do
	gcc -O2 -Wall -Werror -static $lkflags -o "$OUT/$prog" \
		"$TOP/demo/$prog.c" "$lk/usr/lib/libkevent.a" -lpthread
done
# io_uring through Debian's liburing, linked statically
gcc -O2 -Wall -Werror -static $lkflags -o "$OUT/kbench" \
	"$TOP/bench/kbench.c" "$lk/usr/lib/libkevent.a" -luring
# libevent with its kevent backend: its regress suite and benchmarks
"$TOP/scripts/libevent.sh" "$lk"
# memcached on that libevent, and Debian's memcaslap to load it
"$TOP/scripts/memcached.sh" "$lk" "$OUT/libevent/root"
gcc -O2 -o "$OUT/gen_init_cpio" "$TREE/usr/gen_init_cpio.c"

list=$OUT/initramfs.list
{
	sed "s|^\(file [^ ]* \)\([^/]\)|\1$TOP/\2|" "$TOP/initramfs/files.list"
	echo "file /bin/busybox $(command -v busybox || echo /bin/busybox) 0755 0 0"
	echo "file /bin/kevent_demo $OUT/kevent_demo 0755 0 0"
	echo "file /bin/kevent_echo $OUT/kevent_echo 0755 0 0"
	echo "file /bin/kbench $OUT/kbench 0755 0 0"
	echo "file /bin/libkevent_check $OUT/libkevent/check-static 0755 0 0"
	for prog in regress bench bench_cascade; do
		echo "file /bin/$prog $OUT/libevent/$prog 0755 0 0"
	done
	echo "file /bin/memcached $OUT/memcached/memcached 0755 0 0"
	cat "$OUT/memcached/files.list"
	echo "file /etc/services /etc/services 0644 0 0"
	echo "file /etc/protocols /etc/protocols 0644 0 0"
	echo "file /bin/kbench-run $TOP/bench/kbench-run 0755 0 0"
	for t in "$OUT"/selftests64/*_test; do
		echo "file /kselftest/kevent/${t##*/} $t 0755 0 0"
	done
	for t in "$OUT"/selftests32/*_test; do
		echo "file /kselftest/kevent/m32/${t##*/} $t 0755 0 0"
	done
} >"$list"
"$OUT/gen_init_cpio" "$list" | gzip -1 >"$OUT/initramfs.cpio.gz"
say "initramfs: $OUT/initramfs.cpio.gz ($(du -h "$OUT/initramfs.cpio.gz" | cut -f1))"
