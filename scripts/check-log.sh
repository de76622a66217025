#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Judge a test boot's console log:
#
#   check-log.sh LOG NAME
#
# Counts the kselftest TAP results, and fails the run for any failed or
# missing test, a boot that never reached /init or never finished, a
# guest that brought up fewer CPUs than QEMU gave it, or a
# kernel splat (BUG, WARNING, Oops, KASAN, UBSAN, lockdep, kmemleak,
# hung task, panic), showing the offending lines.  Prints
# "NAME: N passed, N failed, N skipped" and exits non-zero on failure.
set -uo pipefail
log=${1:?usage: check-log.sh LOG NAME}
name=${2:-kernel}
bad=0
fail() { printf '%s: FAIL: %s\n' "$name" "$*" >&2; bad=1; }

[ -f "$log" ] || { echo "$name: no log $log" >&2; echo "$name: 0 passed, 1 failed, 0 skipped"; exit 1; }
# Serial consoles end lines with CR LF.
clean=$(tr -d '\r' <"$log")

grep -q '^KEVENT-INIT: start' <<<"$clean" || fail "the guest never reached /init"
grep -q '^KEVENT-INIT: done' <<<"$clean" || fail "the guest did not finish (hang, crash or timeout)"
cpus=$(grep '^KEVENT-INIT: only .* CPUs came up' <<<"$clean" || true)
[ -z "$cpus" ] || fail "${cpus#KEVENT-INIT: }"

# TAP from the kselftest harness: "1..N" per program, "ok N name [# SKIP]".
planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' <<<"$clean" | paste -sd+ | bc)
pass=$(grep -cE '^ok [0-9]+ ' <<<"$clean" | tr -d ' ')
skip=$(grep -cE '^ok [0-9]+ .*# SKIP' <<<"$clean" | tr -d ' ')
failed=$(grep -cE '^not ok [0-9]+ ' <<<"$clean" | tr -d ' ')
pass=$((pass - skip))
planned=${planned:-0}
if [ "$planned" -eq 0 ]; then
	fail "no test ran"
fi
missing=$((planned - pass - skip - failed))
if [ "$missing" -gt 0 ]; then
	fail "$missing planned tests never reported"
	failed=$((failed + missing))
fi
# Every program /init ran must have printed a plan and exited 0: one that
# crashed or never started prints no "not ok" of its own.
while read -r prog; do
	block=$(awk -v p="$prog" '$0 == "KEVENT-TEST: " p { on = 1; next }
		on && /^KEVENT-TEST(-EXIT)?: / { exit } on { print }' <<<"$clean")
	if ! grep -qE '^1\.\.[0-9]+$' <<<"$block"; then
		fail "$prog printed no TAP plan"
		failed=$((failed + 1))
	fi
	if ! grep -qxF "KEVENT-TEST-EXIT: $prog rc=0" <<<"$clean"; then
		fail "$prog did not exit 0: $(grep -F "KEVENT-TEST-EXIT: $prog " <<<"$clean" || echo 'no exit status')"
		grep -qE '^not ok ' <<<"$block" || failed=$((failed + 1))
	fi
done < <(sed -n 's/^KEVENT-TEST: //p' <<<"$clean")
if [ "$failed" -gt 0 ]; then
	fail "failed tests:"
	grep -E '^not ok [0-9]+ ' <<<"$clean" | sed 's/^/    /' >&2
fi

# KCSAN reports a race wherever it sees one.  A report whose stacks show
# no kevent code is the kernel's own (pipe_write() updates the inode's
# times after it drops the pipe's lock, for one): it is listed, not counted.
clean=$(awk '
	function flush() {
		if (ours)
			printf "%s", blk
		else
			print "KEVENT-KCSAN-ELSEWHERE: " hdr
		on = 0; ours = 0; blk = ""
	}
	/^BUG: KCSAN: / { on = 1; hdr = substr($0, 6); blk = "" }
	on {
		blk = blk $0 "\n"
		# A stack frame (symbol+offset) or the header in kevent code,
		# not a task that merely has kevent in its name.
		if (/kevent[a-z_0-9]*(\+0x| \/|$)/ && !/Comm:/)
			ours = 1
		if (/^=+$/)
			flush()
		next
	}
	{ print }
	END { if (on) printf "%s", blk }' <<<"$clean")
grep '^KEVENT-KCSAN-ELSEWHERE: ' <<<"$clean" | sort | uniq -c |
	sed "s/ *\([0-9]*\) KEVENT-KCSAN-ELSEWHERE: \(.*\)/$name: not counted, no kevent frame: \2 (\1x)/" >&2

# Kernel splats.  Each counts as one more failure.
splat_re='BUG:|WARNING:|Oops|general protection fault|Kernel panic|KASAN:|UBSAN:|'
splat_re+='possible circular locking|possible recursive locking|inconsistent lock state|'
splat_re+='suspicious RCU usage|DEBUG_LOCKS_WARN_ON|ODEBUG:|blocked for more than|'
splat_re+='unreferenced object|sleeping function called from invalid context|'
splat_re+='soft lockup|hard LOCKUP|kernel BUG at|Call Trace:'
splats=$(grep -nE "$splat_re" <<<"$clean" | grep -v '^[0-9]*:#' || true)
if [ -n "$splats" ]; then
	nsplat=$(grep -cE 'BUG:|WARNING:|Oops|KASAN:|UBSAN:|possible|inconsistent|suspicious|ODEBUG:|blocked for more|unreferenced object|invalid context|lockup|kernel BUG|Kernel panic|general protection' <<<"$splats")
	[ "$nsplat" -gt 0 ] || nsplat=1
	fail "$nsplat kernel splat(s):"
	first=$(head -n1 <<<"$splats" | cut -d: -f1)
	sed -n "$((first > 5 ? first - 5 : 1)),$((first + 40))p" <<<"$clean" | sed 's/^/    /' >&2
	failed=$((failed + nsplat))
fi

# A failure that is no test's (no /init, missing CPUs) still counts.
[ "$bad" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "$name: $pass passed, $failed failed, $skip skipped"
exit $bad
