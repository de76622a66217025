#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make stress: the stress lane.  Boots the debug kernel (KASAN, lockdep,
# kmemleak...) and then the KCSAN kernel, each running stress_test, whose
# scenarios race on every CPU (threads and processes that add, remove,
# close, post, wait and fire sources all at once), for a total of
# KEVENT_STRESS_DURATION seconds (default 600) per kernel split over the
# scenarios, with 2 vCPUs (KEVENT_SMP).  Any failed check or kernel splat
# fails the run; the ops/s of each scenario are printed.
#
#   KEVENT_STRESS_KERNELS="debug kcsan"   the kernels to run on
. "$(dirname "$0")/lib.sh"

need_pkgs
start=$SECONDS
duration=${KEVENT_STRESS_DURATION:-600}
kernels=${KEVENT_STRESS_KERNELS:-debug kcsan}
"$TOP/scripts/fetch-base.sh"
"$TOP/scripts/assemble.sh"
"$TOP/scripts/build.sh" vm
"$TOP/scripts/mkinitramfs.sh"

rc=0
for flavour in $kernels; do
	"$TOP/scripts/build.sh" "$flavour" bzImage
	say "stress on the $flavour kernel, $duration s ($((SECONDS - start)) s so far)"
	KEVENT_BOOT_TIMEOUT=$((duration * 3 + 900)) \
	KEVENT_STRESS=$duration "$TOP/scripts/boot.sh" "$flavour" stress
	log=$OUT/$flavour/stress.log
	grep -a 'ops/s\|^# .*scenario' "$log" | tr -d '\r' | sed "s/^/$flavour: /" || true
	if ! "$TOP/scripts/check-log.sh" "$log" "$flavour stress"; then
		rc=1
	fi
done
say "make stress took $((SECONDS - start)) s"
exit $rc
