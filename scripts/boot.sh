#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot out/FLAVOUR/bzImage with out/initramfs.cpio.gz in QEMU.
#
#   boot.sh FLAVOUR MODE    MODE is test, demo, bench or stress (see
#                           initramfs/init)
#
# The serial console goes to out/FLAVOUR/MODE.log.  Interactive (a
# terminal on stdin and KEVENT_SHELL=1) the guest ends in a shell.
# QEMU uses TCG: KVM is only tried with KEVENT_ACCEL=auto, behind a probe.
. "$(dirname "$0")/lib.sh"

flavour=${1:?usage: boot.sh FLAVOUR MODE}
mode=${2:?usage: boot.sh FLAVOUR MODE}
kernel=$OUT/$flavour/bzImage
log=$OUT/$flavour/$mode${KEVENT_ICOUNT:+-icount}.log
[ -f "$kernel" ] || die "no $kernel: run scripts/build.sh $flavour"
[ -f "$OUT/initramfs.cpio.gz" ] || die "no initramfs: run scripts/mkinitramfs.sh"
need_pkgs

case $flavour in
debug) mem=2G ;;
*) mem=1G ;;
esac
# 100,000 pipes and their registrations
[ "$mode" = bench ] && mem=3G

# Every vCPU must come up: /init fails the run if the guest sees fewer.
cpus=${KEVENT_SMP:-2}
qemu=(qemu-system-x86_64 -smp "$cpus" -m "$mem" -no-reboot -display none
      -kernel "$kernel" -initrd "$OUT/initramfs.cpio.gz")
append="console=ttyS0 panic=-1 oops=panic kevent.mode=$mode kevent.cpus=$cpus"
[ "$mode" = bench ] && append+=" kevent.bench=${KEVENT_BENCH:-full}"
[ "$mode" = stress ] && append+=" kevent.stress=${KEVENT_STRESS:-600}"
# libevent's regress suite on both backends: on the vm kernel only, where
# it takes 3 minutes
[ "$mode" = test ] && [ "$flavour" = vm ] && append+=" kevent.libevent=1"

# KVM on these machines is nested and may hang a guest: use it only if a
# short boot under it reaches /init.
accel=tcg
if [ "${KEVENT_ACCEL:-tcg}" = auto ] && [ -w /dev/kvm ]; then
	probe=$(mktemp)
	timeout 30 "${qemu[@]}" -accel kvm -serial "file:$probe" \
		-append "$append kevent.mode=probe" </dev/null >/dev/null 2>&1 || true
	grep -q "KEVENT-INIT: start" "$probe" && accel=kvm
	rm -f "$probe"
fi

extra=()
[ "$mode" = bench ] && [ -n "${KEVENT_ICOUNT:-}" ] && extra+=(-icount shift=0)
# qemu64 lacks ERMS: the kernel's "rep movsb" copies (a bio_vec, a page)
# then cost an instruction per byte under -icount, eight times what
# copy_to_user() pays, and skew every comparison of ways to move data.
[ "$mode" = bench ] && extra+=(-cpu qemu64,+erms)
if [ -t 0 ] && [ "${KEVENT_SHELL:-0}" = 1 ]; then
	say "booting $flavour kernel ($accel), mode $mode, shell at the end"
	exec "${qemu[@]}" -accel "$accel" "${extra[@]}" -serial mon:stdio \
		-append "$append kevent.shell=1"
fi

say "booting $flavour kernel ($accel), mode $mode; console in $log"
rc=0
# Not the last boot's lines: tail may open the file before QEMU truncates it.
rm -f "$log"
timeout "${KEVENT_BOOT_TIMEOUT:-1200}" "${qemu[@]}" -accel "$accel" \
	"${extra[@]}" -serial "file:$log" -append "$append" \
	</dev/null >/dev/null 2>&1 &
qpid=$!
# Show progress: the console lines that matter, as they come.
tail -n +1 -F "$log" 2>/dev/null --pid=$qpid |
	grep --line-buffered -E '^(ok|not ok|KEVENT|  event|kevent_demo|kevent_echo)|BUG|WARNING|KASAN|UBSAN|Oops|Kernel panic' || true
wait $qpid || rc=$?
[ $rc -eq 124 ] && say "timeout: the guest did not power off"
exit 0
