#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# memcached for the guest, a real server on kevent: Debian's memcached
# source (apt-get source), built statically against the kevent-enabled
# libevent that libevent.sh installed, to out/memcached/memcached.  Its
# load generator is Debian's own memcaslap (libmemcached-tools), a
# dynamically linked program: out/memcached/files.list gives
# mkinitramfs.sh the program and the shared libraries it loads.
#
#   memcached.sh LIBKEVENT_ROOT LIBEVENT_ROOT
. "$(dirname "$0")/lib.sh"

lk=${1:?usage: memcached.sh LIBKEVENT_ROOT LIBEVENT_ROOT}
le=${2:?usage: memcached.sh LIBKEVENT_ROOT LIBEVENT_ROOT}
# Bookworm's memcached: 1.6.18-1 today
upstream=1.6.18
work=$CACHE/memcached-build
load=/usr/bin/memcaslap

need_pkgs

build() {
	say "building memcached $upstream on the kevent-enabled libevent"
	rm -rf "$work"
	mkdir -p "$work"
	cp -a "$CACHE/src/memcached/memcached-$upstream" "$work/src"
	# SASL and TLS would need static libraries Debian does not ship
	(cd "$work/src" && CC="ccache gcc" ./configure -q \
		--with-libevent="$le/usr" --disable-sasl --disable-tls \
		--disable-docs LDFLAGS=-static \
		LIBS="$lk/usr/lib/libkevent.a -lpthread") >"$work/configure.log" 2>&1 ||
		die "memcached's configure failed: $work/configure.log"
	make -s -C "$work/src" -j"$(nproc)" memcached >"$work/make.log" 2>&1 ||
		die "memcached build failed: $work/make.log"
	mkdir -p "$OUT/memcached"
	cp "$work/src/memcached" "$OUT/memcached/"
}

# gen_init_cpio lines for the load generator and what ld.so loads for it
load_files() {
	local lib path
	echo "file /bin/memcaslap $load 0755 0 0"
	echo "dir /lib 0755 0 0"
	echo "dir /lib64 0755 0 0"
	echo "dir /lib/x86_64-linux-gnu 0755 0 0"
	# "name => path (addr)" for a library, "path (addr)" for ld.so
	ldd "$load" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
		$1 ~ /^\/.*ld-linux/ { print $1 }' | while read -r lib; do
		path=$(realpath "$lib")
		case $lib in
		/lib64/*) echo "file $lib $path 0755 0 0" ;;
		*) echo "file /lib/x86_64-linux-gnu/${lib##*/} $path 0755 0 0" ;;
		esac
	done
}

with_cache_lock apt_source memcached "memcached-$upstream"
with_cache_lock build
[ -x "$load" ] || die "no $load: scripts/packages lists libmemcached-tools"
load_files >"$OUT/memcached/files.list"
grep -q ' /lib64/ld-linux' "$OUT/memcached/files.list" ||
	die "ldd $load named no ld.so"
say "memcached: $OUT/memcached/memcached, load generator memcaslap"
