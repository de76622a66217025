#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the series described by patches/series as commits on top of the
# base in $TREE (branch "kevent") and check the work tree out at its tip.
#
# Commits are made with a temporary index, so nothing is written to the
# work tree but the files that differ from the previous checkout, and the
# same inputs always give the same commits (fixed dates): rebuilding after
# an unchanged assembly compiles nothing.
. "$(dirname "$0")/lib.sh"

# Identity for authorship and Signed-off-by: KEVENT_IDENTITY="Name <mail>"
ident=${KEVENT_IDENTITY:-"$(git -C "$TOP" config user.name || echo kevent) <$(git -C "$TOP" config user.email || echo kevent@localhost)>"}
name=${ident% <*}
mail=${ident##*<}; mail=${mail%>}
date=2026-11-24T00:00:00Z

# Repository path -> path in the kernel tree
kpath() {
	case "$1" in
	selftests/*) echo "tools/testing/selftests/kevent/${1#selftests/}" ;;
	*) echo "$1" ;;
	esac
}

# Every kernel-side file of the repository must be in the series.
check_listed() {
	local listed f
	listed=$(sed -n 's/^[^#][^:]*:\(.*\)$/\1/p' "$TOP/patches/series" | tr ' ' '\n' | sort -u)
	for f in $(cd "$TOP" && git ls-files --cached --others --exclude-standard \
			kernel include Documentation selftests); do
		grep -qxF "$f" <<<"$listed" || die "$f is not in patches/series"
	done
}

assemble() {
	local tmp idx parent line patch files f mode blob tree
	check_listed
	tmp=$(mktemp -d)
	idx=$tmp/index
	export GIT_DIR=$TREE/.git GIT_INDEX_FILE=$idx
	export GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$mail GIT_AUTHOR_DATE=$date
	export GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$mail GIT_COMMITTER_DATE=$date
	git read-tree base
	parent=$(git rev-parse base)

	while IFS= read -r line; do
		case "$line" in ''|'#'*) continue ;; esac
		patch=${line%%:*}
		files=${line#*:}
		[ -f "$TOP/patches/$patch" ] || die "missing patches/$patch"
		sed "s/@KEVENT_MAINTAINER@/$name <$mail>/" "$TOP/patches/$patch" |
			git mailinfo -b "$tmp/msg" "$tmp/diff" >"$tmp/info"
		for f in $files; do
			[ -f "$TOP/$f" ] || die "patches/series names missing $f"
			mode=100644; [ -x "$TOP/$f" ] && mode=100755
			blob=$(git hash-object -w "$TOP/$f")
			git update-index --add --cacheinfo "$mode,$blob,$(kpath "$f")"
		done
		if [ -s "$tmp/diff" ]; then
			git apply --cached "$tmp/diff" ||
				die "patches/$patch does not apply"
		fi
		{
			sed -n 's/^Subject: //p' "$tmp/info"
			echo
			cat "$tmp/msg"
			echo
			echo "Signed-off-by: $name <$mail>"
		} | git stripspace >"$tmp/commit"
		tree=$(git write-tree)
		parent=$(git commit-tree "$tree" -p "$parent" -F "$tmp/commit")
	done <"$TOP/patches/series"

	unset GIT_INDEX_FILE GIT_DIR
	rm -rf "$tmp"
	git -C "$TREE" update-ref refs/heads/kevent "$parent"
	git -C "$TREE" checkout -q --detach "$parent"
	say "assembled $(git -C "$TREE" rev-list --count base..kevent) commits on Linux $(base_version): $TREE"
}

[ -d "$TREE/.git" ] || "$TOP/scripts/fetch-base.sh"
with_cache_lock assemble
