#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build Debian's libevent with the project's kevent backend (the patches in
# libevent/), statically and against libkevent installed in $1, for the
# guest: regress, bench and bench_cascade go to out/libevent/, the
# installed libraries and headers to out/libevent/root/usr.  The source
# comes from apt-get source (lib.sh's apt_source) and is kept in the cache.
. "$(dirname "$0")/lib.sh"

lk=${1:?usage: libevent.sh LIBKEVENT_ROOT}
# Bookworm's libevent: 2.1.12-stable-8 today; a later Debian revision of
# 2.1.12 takes the same patches
upstream=2.1.12-stable
work=$CACHE/libevent-build

need_pkgs

build() {
	say "building libevent $upstream with the kevent backend"
	rm -rf "$work"
	mkdir -p "$work"
	cp -a "$CACHE/src/libevent/libevent-$upstream" "$work/src"
	for p in "$TOP"/libevent/*.patch; do
		# Outside any git repository: git apply patches the current directory
		(cd "$work/src" && GIT_DIR=/nonexistent git apply -p1 "$p") ||
			die "$(basename "$p") does not apply to libevent $upstream"
	done
	cmake -S "$work/src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_C_COMPILER_LAUNCHER=ccache \
		-DEVENT__LIBRARY_TYPE=STATIC -DCMAKE_EXE_LINKER_FLAGS=-static \
		-DEVENT__DISABLE_OPENSSL=ON -DEVENT__DISABLE_MBEDTLS=ON \
		-DEVENT__DISABLE_SAMPLES=ON -DCMAKE_INSTALL_PREFIX=/usr \
		-DLIBKEVENT_INCLUDE_DIR="$lk/usr/include" \
		-DLIBKEVENT_LIBRARY="$lk/usr/lib/libkevent.a" >"$work/cmake.log" 2>&1 ||
		die "cmake failed: $work/cmake.log"
	grep -q '^-- kevent backend: ' "$work/cmake.log" ||
		die "libevent's cmake did not find libkevent: $work/cmake.log"
	make -s -C "$work/build" -j"$(nproc)" >"$work/make.log" 2>&1 ||
		die "libevent build failed: $work/make.log"
	rm -rf "$OUT/libevent"
	mkdir -p "$OUT/libevent"
	# The static libraries and headers, for memcached.sh
	make -s -C "$work/build" install DESTDIR="$OUT/libevent/root" \
		>"$work/install.log" 2>&1 ||
		die "libevent install failed: $work/install.log"
	cp "$work"/build/bin/{regress,bench,bench_cascade} "$OUT/libevent/"
	say "libevent: $OUT/libevent/{regress,bench,bench_cascade,root}"
}

# The source and the build directory are the cache's: one at a time
with_cache_lock apt_source libevent "libevent-$upstream"
with_cache_lock build
