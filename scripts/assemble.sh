#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the series described by patches/series as commits on top of the
# base in $TREE (branch "kevent") and check the work tree out at its tip.
#
# New files are kept in their final form.  A later patch may change a file
# an earlier one added (the source table, a Makefile): the earlier commit
# gets the final form with the later hunks taken back.
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
	local tmp idx parent line k n f mode blob tree
	local -a patch files inc
	check_listed
	tmp=$(mktemp -d)
	idx=$tmp/index

	# Read the series: patch[k], files[k] (repository paths).
	n=0
	while IFS= read -r line; do
		case "$line" in ''|'#'*) continue ;; esac
		n=$((n + 1))
		patch[n]=${line%%:*}
		files[n]=${line#*:}
		[ -f "$TOP/patches/${patch[n]}" ] || die "missing patches/${patch[n]}"
		sed "s/@KEVENT_MAINTAINER@/$name <$mail>/" "$TOP/patches/${patch[n]}" |
			git mailinfo -b "$tmp/$n.msg" "$tmp/$n.diff" >"$tmp/$n.info"
	done <"$TOP/patches/series"

	# New files at every commit: the final form, minus the hunks of the
	# patches after it, taken back one patch at a time.
	inc=()
	mkdir -p "$tmp/state"
	for ((k = 1; k <= n; k++)); do
		for f in ${files[k]}; do
			[ -f "$TOP/$f" ] || die "patches/series names missing $f"
			mkdir -p "$tmp/state/$(dirname "$(kpath "$f")")"
			cp -p "$TOP/$f" "$tmp/state/$(kpath "$f")"
			inc+=("--include=$(kpath "$f")")
		done
	done
	for ((k = n; k >= 1; k--)); do
		cp -a "$tmp/state" "$tmp/state.$k"
		[ -s "$tmp/$k.diff" ] || continue
		(cd "$tmp/state" && git apply -R "${inc[@]}" "$tmp/$k.diff") ||
			die "patches/${patch[k]}: its hunks to new files do not fit them"
	done

	export GIT_DIR=$TREE/.git GIT_INDEX_FILE=$idx
	export GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$mail GIT_AUTHOR_DATE=$date
	export GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$mail GIT_COMMITTER_DATE=$date
	git read-tree base
	parent=$(git rev-parse base)
	local -a added=()
	for ((k = 1; k <= n; k++)); do
		added+=(${files[k]})
		for f in "${added[@]}"; do
			mode=100644; [ -x "$TOP/$f" ] && mode=100755
			blob=$(git hash-object -w "$tmp/state.$k/$(kpath "$f")")
			git update-index --add --cacheinfo "$mode,$blob,$(kpath "$f")"
		done
		if [ -s "$tmp/$k.diff" ]; then
			git apply --cached "${inc[@]/--include/--exclude}" "$tmp/$k.diff" ||
				die "patches/${patch[k]} does not apply"
		fi
		{
			sed -n 's/^Subject: //p' "$tmp/$k.info"
			echo
			cat "$tmp/$k.msg"
			echo
			echo "Signed-off-by: $name <$mail>"
		} | git stripspace >"$tmp/commit"
		tree=$(git write-tree)
		parent=$(git commit-tree "$tree" -p "$parent" -F "$tmp/commit")
	done

	unset GIT_INDEX_FILE GIT_DIR
	rm -rf "$tmp"
	git -C "$TREE" update-ref refs/heads/kevent "$parent"
	git -C "$TREE" checkout -q --detach "$parent"
	say "assembled $n commits on Linux $(base_version): $TREE"
}

[ -d "$TREE/.git" ] || "$TOP/scripts/fetch-base.sh"
with_cache_lock assemble
