#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# For developers: take the series back from a branch of the kernel tree.
#
#   import-series.sh [BRANCH]      (default: the branch checked out in $TREE)
#
# The way to change the series is to work on it as commits in $TREE:
#
#   scripts/assemble.sh && git -C $TREE checkout -B dev kevent
#   ... edit, git commit --fixup, git rebase -i --autosquash base ...
#   scripts/import-series.sh dev
#
# This writes patches/series and one patch file per commit (its message
# and its hunks, less the files the commit adds), and copies every file
# the series adds, in its form at the tip of BRANCH, to its repository
# path.  scripts/assemble.sh then rebuilds the same tree from them; the
# import checks that it does.
. "$(dirname "$0")/lib.sh"

branch=${1:-$(git -C "$TREE" symbolic-ref --short HEAD)}
ident=${KEVENT_IDENTITY:-"$(git -C "$TOP" config user.name || echo kevent) <$(git -C "$TOP" config user.email || echo kevent@localhost)>"}

# Kernel path -> repository path (the inverse of assemble.sh's kpath)
rpath() {
	case "$1" in
	tools/testing/selftests/kevent/*) echo "selftests/${1#tools/testing/selftests/kevent/}" ;;
	*) echo "$1" ;;
	esac
}

# Keep a patch's file name while its subject stays, else make one.
name_for() {
	local n=$1 subject=$2 old slug
	for old in "$TOP"/patches/[0-9][0-9][0-9][0-9]-*.patch; do
		[ -f "$old" ] || continue
		if [ "$(sed -n '1s/^Subject: //p' "$old")" = "$subject" ]; then
			printf '%04d-%s\n' "$n" "$(basename "$old" | cut -d- -f2-)"
			return
		fi
	done
	slug=$(tr -c 'A-Za-z0-9\n' - <<<"$subject" | tr -s - | cut -c1-52 | sed 's/-$//')
	printf '%04d-%s.patch\n' "$n" "$slug"
}

import() {
	local tmp n=0 c subject f added kp
	local -a commits new=()
	tmp=$(mktemp -d)
	mapfile -t commits < <(git -C "$TREE" rev-list --reverse "base..$branch")
	[ ${#commits[@]} -gt 0 ] || die "no commits between base and $branch"
	{
		sed -n '1,/^$/p' "$TOP/patches/series"
	} >"$tmp/series"
	for c in "${commits[@]}"; do
		n=$((n + 1))
		subject=$(git -C "$TREE" log -1 --format=%s "$c")
		f=$(name_for "$n" "$subject")
		mapfile -t added < <(git -C "$TREE" diff --name-only --diff-filter=A "$c^" "$c")
		local excl=() rp=()
		for kp in "${added[@]}"; do
			excl+=(":(exclude)$kp")
			rp+=("$(rpath "$kp")")
			new+=("$kp")
		done
		{
			echo "Subject: $subject"
			echo
			git -C "$TREE" log -1 --format=%b "$c" |
				grep -v "^Signed-off-by: $ident\$" | git stripspace
			echo "---"
			git -C "$TREE" diff --no-renames "$c^" "$c" -- . "${excl[@]}" |
				sed "s/^\([-+ ]M:\t\)$ident\$/\1@KEVENT_MAINTAINER@/"
		} >"$tmp/$f"
		echo "$f:${rp[*]:+ ${rp[*]}}" >>"$tmp/series"
	done

	rm -f "$TOP"/patches/[0-9][0-9][0-9][0-9]-*.patch
	cp "$tmp"/[0-9]*.patch "$TOP/patches/"
	cp "$tmp/series" "$TOP/patches/series"
	for kp in "${new[@]}"; do
		mkdir -p "$TOP/$(dirname "$(rpath "$kp")")"
		git -C "$TREE" show "$branch:$kp" >"$TOP/$(rpath "$kp")"
	done
	rm -rf "$tmp"
	say "imported $n commits from $branch"
}

(with_cache_lock import)
# The round trip: assembling what was imported gives the branch's tree.
tip=$(git -C "$TREE" rev-parse "$branch")
head=$(git -C "$TREE" symbolic-ref -q --short HEAD || true)
"$TOP/scripts/assemble.sh"
git -C "$TREE" diff --quiet "$tip" kevent ||
	die "assembling the import does not give $branch: git -C $TREE diff $branch kevent"
# assemble.sh checks out the series detached: return to the branch.
[ -z "$head" ] || git -C "$TREE" checkout -q "$head"
say "patches/ and the new files are $branch's"
