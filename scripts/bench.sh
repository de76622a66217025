#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: boot the vm kernel twice with bench/kbench-run, under plain
# QEMU TCG and under TCG with -icount shift=0, and turn both consoles into
# out/bench/ (results.csv, table.md, PNG plots).  The guest has
# KEVENT_SMP vCPUs (default 2), so that the echo client and server run on
# CPUs of their own; under -icount QEMU runs the vCPUs in turn on one host
# thread, and guest time still counts the instructions executed.
#
#   KEVENT_BENCH=quick   one run at small sizes (default: full, 3 runs)
. "$(dirname "$0")/lib.sh"

need_pkgs
start=$SECONDS
"$TOP/scripts/fetch-base.sh"
"$TOP/scripts/assemble.sh"
"$TOP/scripts/build.sh" vm
"$TOP/scripts/mkinitramfs.sh"

logs=()
for mode in tcg icount; do
	if [ $mode = icount ]; then
		export KEVENT_ICOUNT=1
		log=$OUT/vm/bench-icount.log
	else
		unset KEVENT_ICOUNT
		log=$OUT/vm/bench.log
	fi
	say "benchmarks under $mode ($((SECONDS - start)) s so far)"
	KEVENT_BOOT_TIMEOUT=${KEVENT_BOOT_TIMEOUT:-1500} \
		"$TOP/scripts/boot.sh" vm bench
	grep -q 'KEVENT-BENCH: done rc=0' "$log" ||
		die "the benchmarks did not finish under $mode: see $log"
	logs+=("$log:$mode")
done
python3 "$TOP/scripts/bench-report.py" collect "$OUT/bench" "${logs[@]}"
say "make bench took $((SECONDS - start)) s; results in $OUT/bench"
