#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build a bzImage of the assembled tree out of tree, with ccache.
#
#   build.sh FLAVOUR [make targets...]
#
# FLAVOUR is vm, debug, kcsan, nokevent or minimal: tinyconfig +
# configs/vm.config (+ configs/FLAVOUR.config).  Objects go to
# $CACHE/build-FLAVOUR, and the image and uapi headers to out/FLAVOUR/.
. "$(dirname "$0")/lib.sh"

flavour=${1:?usage: build.sh vm|debug|kcsan|nokevent|minimal [targets]}
shift
targets=${*:-bzImage headers_install}
frags=("$TOP/scripts/configs/vm.config")
[ "$flavour" = vm ] || frags+=("$TOP/scripts/configs/$flavour.config")
for f in "${frags[@]}"; do [ -f "$f" ] || die "no config $f"; done

# Say every 30 s how far the build in $2 has got, until process $1 ends;
# return its exit status.
heartbeat() {
	local pid=$1 obj=$2 t=0
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		t=$((t + 1))
		[ $((t % 30)) -ne 0 ] ||
			say "  $flavour: ${t}s, $(find "$obj" -name '*.o' | wc -l) objects"
	done
	wait "$pid"
}

build() {
	local obj=$CACHE/build-$flavour tmp sym
	local mk=(make -s -C "$TREE" O="$obj" ARCH=x86_64 CC="ccache gcc"
		  KBUILD_BUILD_TIMESTAMP=2026-11-24 KBUILD_BUILD_USER=kevent
		  KBUILD_BUILD_HOST=kevent)
	mkdir -p "$obj" "$OUT/$flavour"

	# Make the config in a scratch dir; replace the build's only if it
	# changed, so an unchanged config rebuilds nothing.
	tmp=$(mktemp -d)
	"${mk[@]}" O="$tmp" tinyconfig >/dev/null
	"$TREE/scripts/kconfig/merge_config.sh" -m -O "$tmp" "$tmp/.config" \
		"${frags[@]}" >/dev/null
	"${mk[@]}" O="$tmp" olddefconfig >/dev/null
	# Every symbol the fragments set (the last setting wins) must stick.
	while read -r sym val; do
		case $val in
		y) grep -qx "$sym=y" "$tmp/.config" ||
			die "$flavour: $sym=y did not stick (dependency missing?)" ;;
		n) ! grep -q "^$sym=y" "$tmp/.config" ||
			die "$flavour: $sym=n did not stick" ;;
		esac
	done < <(cat "${frags[@]}" | sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=\([yn]\)$/\1 \2/p' |
		 awk '{ v[$1] = $2 } END { for (s in v) print s, v[s] }')
	cmp -s "$tmp/.config" "$obj/.config" || cp "$tmp/.config" "$obj/.config"
	rm -rf "$tmp"

	say "building $flavour kernel ($targets) in $obj"
	"${mk[@]}" -j"$JOBS" olddefconfig $targets &
	heartbeat $! "$obj"
	if [ -f "$obj/arch/x86/boot/bzImage" ]; then
		cp "$obj/arch/x86/boot/bzImage" "$OUT/$flavour/bzImage"
	fi
	if [ -d "$obj/usr/include" ]; then
		rm -rf "$OUT/$flavour/include"
		cp -r "$obj/usr/include" "$OUT/$flavour/include"
	fi
}
need_pkgs
with_cache_lock build
