#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install Debian's linux-source-6.12, extract it pristine into the cache
# and make a git repository of it ($TREE, tag "base") to apply the series
# to.  Idempotent: does nothing when the cache matches the tarball.
# patches/base-version records the version the series was made against;
# a newer one in the archive is used, and said.
. "$(dirname "$0")/lib.sh"

fetch() {
	need_pkgs
	local stamp=$CACHE/.base-stamp
	local want
	want=$(dpkg-query -W -f='${Version}' linux-source-6.12)
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
	   git -C "$TREE" rev-parse -q --verify base >/dev/null; then
		return 0
	fi

	say "extracting linux-source-6.12 $want into $PRISTINE"
	rm -rf "$PRISTINE" "$TREE"
	mkdir -p "$PRISTINE"
	tar -xf "$BASE_TARBALL" -C "$PRISTINE" --strip-components=1
	chmod -R a-w "$PRISTINE"

	say "making the base git repository $TREE"
	git init -q "$TREE"
	cp -a "$PRISTINE/." "$TREE/"
	chmod -R u+w "$TREE"
	# Debian's .gitignore ignores the whole top level: add by force
	git -C "$TREE" add -A -f
	git -C "$TREE" -c user.name=kevent -c user.email=kevent@localhost \
		commit -q -m "Linux $(base_version) (Debian linux-source-6.12 $want)"
	git -C "$TREE" tag -f base >/dev/null
	echo "$want" >"$stamp"
}
with_cache_lock fetch
have=$(cat "$CACHE/.base-stamp")
made=$(cat "$TOP/patches/base-version")
say "base: Linux $(base_version), Debian linux-source-6.12 $have"
if [ "$have" != "$made" ]; then
	say "note: the series was made against linux-source-6.12 $made;"
	say "      Debian's archive now has $have, which is used instead"
fi
