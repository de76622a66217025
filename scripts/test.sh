#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The whole test run: assemble, build the vm and the debug kernel, boot
# each with the selftests, judge both logs, then prove the RFC series
# (scripts/series.sh) and the README's benchmark table.  Ends with the
# totals line "N passed, N failed".
. "$(dirname "$0")/lib.sh"

start=$SECONDS
"$TOP/scripts/fetch-base.sh"
"$TOP/scripts/assemble.sh"
"$TOP/scripts/build.sh" vm
"$TOP/scripts/mkinitramfs.sh"
"$TOP/scripts/build.sh" debug bzImage

pass=0 fail=0 skip=0
for flavour in vm debug; do
	"$TOP/scripts/boot.sh" "$flavour" test
	line=$("$TOP/scripts/check-log.sh" "$OUT/$flavour/test.log" "$flavour" | tail -n1) || true
	echo "$line"
	set -- $(sed 's/^[^:]*: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/' <<<"$line")
	pass=$((pass + ${1:-0})) fail=$((fail + ${2:-1})) skip=$((skip + ${3:-0}))
done
# The series: git am, checkpatch, kernel-doc, W=1/sparse, every patch
# builds.  Each check counts as one test.
"$TOP/scripts/series.sh" | tee "$OUT/series.log" || true
line=$(tail -n1 "$OUT/series.log")
set -- $(sed -n 's/^series: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' <<<"$line")
pass=$((pass + ${1:-0})) fail=$((fail + ${2:-1}))

# The README quotes the benchmark table of bench/results/results.csv
# (written by make bench): it must be the one that file gives.
need_pkgs
if python3 "$TOP/scripts/bench-report.py" check "$TOP/bench/results/results.csv" \
	"$TOP/README.md"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
fi

say "make test took $((SECONDS - start)) s"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
