#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Export the RFC series to out/series/ and prove it:
#
#   1. git format-patch --rfc --cover-letter --base, To/Cc from
#      get_maintainer.pl, the cover letter from patches/cover-letter.txt;
#   2. the patches apply with git am to the pristine base and give
#      exactly the assembled tree;
#   3. checkpatch.pl --strict: 0 errors, 0 warnings, 0 checks per patch;
#   4. kernel-doc -Wall, and W=1 plus sparse on kernel/kevent/: silent;
#   5. every patch builds (vm config), and the first also with KEVENT=n;
#      the last also without networking, futexes and POSIX timers.
#
# Prints one "series: <check>: ok|FAIL" line per check and a last line
# "series: N passed, N failed".  KEVENT_SERIES_QUICK=1 skips step 5.
. "$(dirname "$0")/lib.sh"

need_pkgs
dir=$OUT/series
pass=0 fail=0
# check NAME FUNCTION: run one check, count and print its result.
check() {
	if "$2"; then
		echo "series: $1: ok"; pass=$((pass + 1))
	else
		echo "series: $1: FAIL"; fail=$((fail + 1))
	fi
}

export_series() {
	local base_ver deb to cc
	base_ver=$(base_version)
	deb=$(cat "$CACHE/.base-stamp")
	rm -rf "$dir"
	mkdir -p "$dir"

	cc=$(git -C "$TREE" diff base kevent |
		(cd "$TREE" && ./scripts/get_maintainer.pl --no-git --no-git-fallback \
			--norolestats --no-tree --separator=, 2>/dev/null)) || cc=
	to="linux-kernel@vger.kernel.org,linux-api@vger.kernel.org"
	local args=()
	local IFS=,
	for a in $to; do args+=("--to=$a"); done
	for a in $cc; do
		case ",$to," in *",$a,"*) continue ;; esac
		# Our own MAINTAINERS entry names the sender: no Cc to oneself.
		case "$a" in *"<$(git -C "$TREE" log -1 --format=%ae kevent)>"*) continue ;; esac
		args+=("--cc=$a")
	done
	unset IFS
	# The cover letter is from the patches' author; a fresh machine has
	# no git identity of its own.
	git -C "$TREE" -c user.name="$(git -C "$TREE" log -1 --format=%an kevent)" \
		-c user.email="$(git -C "$TREE" log -1 --format=%ae kevent)" \
		format-patch -q --rfc --cover-letter --thread=shallow \
		--base=base -o "$dir" "${args[@]}" base..kevent

	# Fill the cover letter from patches/cover-letter.txt: its first line
	# is the subject, the rest the blurb.
	python3 - "$dir"/0000-cover-letter.patch "$TOP/patches/cover-letter.txt" \
		"$base_ver" "$deb" <<'PY'
import sys
path, src, ver, deb = sys.argv[1:]
text = open(src).read().replace('@BASE@', f'Linux {ver} (Debian linux-source-6.12 {deb})')
subject, blurb = text.split('\n', 1)
cover = open(path).read()
cover = cover.replace('*** SUBJECT HERE ***', subject.strip())
cover = cover.replace('*** BLURB HERE ***', blurb.strip('\n'))
open(path, 'w').write(cover)
PY
	say "exported $(ls "$dir" | wc -l) files to $dir"
}

# 2. git am on the pristine base gives the assembled tree.
check_am() {
	local head ok=1
	head=$(git -C "$TREE" rev-parse kevent)
	git -C "$TREE" checkout -q --detach base
	if git -C "$TREE" -c user.name=am -c user.email=am@localhost \
		am -q $(ls "$dir"/0*.patch | grep -v /0000-cover-letter.patch); then
		git -C "$TREE" diff --quiet HEAD "$head" && ok=0
	else
		git -C "$TREE" am --abort || true
	fi
	git -C "$TREE" checkout -q --detach "$head"
	return $ok
}

check_checkpatch() {
	local p out rc=0
	for p in "$dir"/0*.patch; do
		[ "${p##*/}" = 0000-cover-letter.patch ] && continue
		out=$(cd "$TREE" && ./scripts/checkpatch.pl --strict "$p" 2>&1 | tail -n 20)
		if ! grep -q "total: 0 errors, 0 warnings, 0 checks" <<<"$out"; then
			echo "checkpatch: ${p##*/}:" >&2
			(cd "$TREE" && ./scripts/checkpatch.pl --strict --terse "$p" >&2) || true
			rc=1
		fi
	done
	return $rc
}

check_kerneldoc() {
	local out
	out=$(cd "$TREE" && ./scripts/kernel-doc -none -Wall kernel/kevent/*.c \
		kernel/kevent/*.h include/uapi/linux/kevent.h 2>&1)
	[ -z "$out" ] || { echo "$out" >&2; return 1; }
}

check_w1_sparse() {
	local out
	out=$("$TOP/scripts/build.sh" vm "C=2 W=1 kernel/kevent/" 2>&1 |
		grep -E 'warning|error' | grep -v '^==>' || true)
	"$TOP/scripts/build.sh" vm >/dev/null 2>&1
	[ -z "$out" ] || { echo "$out" >&2; return 1; }
}

# 5. Build every commit; the first also with CONFIG_KEVENT=n, the last
# also with the minimal config.
check_builds() {
	local head c n=0 rc=0
	head=$(git -C "$TREE" rev-parse kevent)
	for c in $(git -C "$TREE" rev-list --reverse base..kevent); do
		n=$((n + 1))
		git -C "$TREE" checkout -q --detach "$c"
		if ! "$TOP/scripts/build.sh" vm bzImage >"$OUT/series-build-$n.log" 2>&1; then
			echo "patch $n does not build: $OUT/series-build-$n.log" >&2
			rc=1
		elif [ $n -eq 1 ] &&
		     ! "$TOP/scripts/build.sh" nokevent bzImage >"$OUT/series-build-nokevent.log" 2>&1; then
			echo "patch 1 does not build with CONFIG_KEVENT=n" >&2
			rc=1
		fi
	done
	git -C "$TREE" checkout -q --detach "$head"
	# The per-commit checkouts must not leave a stale image behind.
	"$TOP/scripts/build.sh" vm >/dev/null 2>&1 || rc=1
	# With kevent off, the syscalls are there and say ENOSYS.
	"$TOP/scripts/build.sh" nokevent bzImage >>"$OUT/series-build-nokevent.log" 2>&1 || rc=1
	# Without the subsystems some sources need, the others still link.
	if ! "$TOP/scripts/build.sh" minimal bzImage >"$OUT/series-build-minimal.log" 2>&1; then
		echo "the series does not build with configs/minimal.config" >&2
		rc=1
	fi
	return $rc
}

export_series
check "applies with git am to the base" check_am
check "checkpatch --strict silent on every patch" check_checkpatch
check "kernel-doc -Wall silent" check_kerneldoc
check "W=1 and sparse silent on kernel/kevent" check_w1_sparse
[ -n "${KEVENT_SERIES_QUICK:-}" ] ||
	check "every patch builds, CONFIG_KEVENT=n and minimal too" check_builds
echo "series: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
