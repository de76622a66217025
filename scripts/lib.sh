# SPDX-License-Identifier: GPL-2.0
# Common settings for the kevent scripts; sourced, not run.

set -euo pipefail
# Debian's tools first: the kernel's Python helpers (checkpatch's
# spdxcheck) need Debian's python3-ply and python3-git.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything expensive lives outside the checkout so that a fresh clone
# reuses it: the pristine base, the assembled tree, build dirs, ccache.
CACHE=${KEVENT_CACHE:-/var/cache/kevent}
BASE_TARBALL=/usr/src/linux-source-6.12.tar.xz
PRISTINE=$CACHE/pristine		# extracted base, never built in
TREE=$CACHE/tree			# git: base commit + our series
OUT=$TOP/out
JOBS=${JOBS:-$(nproc)}
export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
export CCACHE_BASEDIR=$CACHE
export CCACHE_NOHASHDIR=1

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run "$@" with an exclusive lock on the cache: one build at a time.
with_cache_lock() {
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.lock"
	flock 9
	"$@"
}

# apt-get update takes the lists lock without waiting for it: retry
# while another apt (a fresh machine's apt-daily) holds it.
apt_update() {
	local try
	for try in $(seq 60); do
		apt-get -o Acquire::Retries=3 update -qq && return 0
		[ "$try" -lt 60 ] || die "apt-get update keeps failing"
		sleep 10
	done
}

# Install what scripts/packages lists and is missing: every target calls
# this first, so that the one list is all a fresh machine needs.  Waits
# for the dpkg lock (unattended upgrades hold it on a fresh machine).
need_pkgs() {
	local missing=() p
	for p in $(sed 's/#.*//' "$TOP/scripts/packages"); do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing ${missing[*]}"
	[ "$(id -u)" -eq 0 ] || die "need root to apt-get install ${missing[*]}"
	local apt=(apt-get -o DPkg::Lock::Timeout=900 -o Acquire::Retries=3)
	export DEBIAN_FRONTEND=noninteractive
	apt_update
	# Bookworm has 6.12 only in its security suite, which a Debian
	# installer configures and a bare debootstrap does not.
	if [[ " ${missing[*]} " == *" linux-source-6.12 "* ]] &&
	   [[ "$(apt-cache policy linux-source-6.12)" != *"Candidate: "[0-9]* ]]; then
		die "no linux-source-6.12 in the apt sources: it comes from bookworm-security," \
		    "add \"deb http://deb.debian.org/debian-security bookworm-security main\"" \
		    "to /etc/apt/sources.list and run this again"
	fi
	"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# apt_source PACKAGE DIR: Debian's source of PACKAGE (apt-get source,
# which unpacks it with Debian's patches applied) into $CACHE/src/DIR,
# once.  A machine with no deb-src entry gets bookworm's.
apt_source() {
	local pkg=$1 dir=$2 src=$CACHE/src/$1
	[ -d "$src/$dir" ] && return 0
	if ! apt-get source --print-uris "$pkg" >/dev/null 2>&1; then
		[ "$(id -u)" -eq 0 ] ||
			die "no deb-src entry, and only root can add one"
		say "no deb-src entry: adding bookworm's"
		cat >/etc/apt/sources.list.d/kevent-src.sources <<-EOS
		Types: deb-src
		URIs: http://deb.debian.org/debian
		Suites: bookworm
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOS
		apt_update
	fi
	say "fetching $pkg (apt-get source)"
	rm -rf "$src.tmp"
	mkdir -p "$src.tmp"
	(cd "$src.tmp" && apt-get -o APT::Sandbox::User=root source -qq \
		"$pkg" >/dev/null) || die "apt-get source $pkg failed"
	[ -d "$src.tmp/$dir" ] ||
		die "apt-get source gave no $dir: $(ls "$src.tmp")"
	mv "$src.tmp" "$src"
}

base_version() {
	make -s -C "$PRISTINE" kernelversion
}
