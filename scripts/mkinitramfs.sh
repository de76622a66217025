#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the selftests and the demo statically against the assembled
# tree's uapi headers and pack them with busybox and initramfs/init into
# out/initramfs.cpio.gz (the same userland serves every kernel flavour).
. "$(dirname "$0")/lib.sh"

need_pkgs busybox-static gcc make libc6-dev cpio gzip

hdr=$OUT/vm/include
[ -f "$hdr/linux/kevent.h" ] || die "no uapi headers in $hdr: run scripts/build.sh vm first"

say "building selftests and demo (static)"
mkdir -p "$OUT/selftests"
make -s -C "$TREE/tools/testing/selftests/kevent" OUTPUT="$OUT/selftests" \
	KHDR_INCLUDES="-isystem $hdr" LDFLAGS=-static
gcc -O2 -Wall -static -isystem "$hdr" -o "$OUT/kevent_demo" \
	"$TOP/demo/kevent_demo.c" -lpthread
gcc -O2 -o "$OUT/gen_init_cpio" "$TREE/usr/gen_init_cpio.c"

list=$OUT/initramfs.list
{
	sed "s|^\(file [^ ]* \)\([^/]\)|\1$TOP/\2|" "$TOP/initramfs/files.list"
	echo "file /bin/busybox $(command -v busybox || echo /bin/busybox) 0755 0 0"
	echo "file /bin/kevent_demo $OUT/kevent_demo 0755 0 0"
	for t in "$OUT"/selftests/*_test; do
		echo "file /kselftest/kevent/${t##*/} $t 0755 0 0"
	done
} >"$list"
"$OUT/gen_init_cpio" "$list" | gzip -1 >"$OUT/initramfs.cpio.gz"
say "initramfs: $OUT/initramfs.cpio.gz ($(du -h "$OUT/initramfs.cpio.gz" | cut -f1))"
