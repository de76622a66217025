# SPDX-License-Identifier: GPL-2.0
# kevent: one front for the scripts in scripts/.  Each target installs
# what it needs (apt-get) and reuses the cache in $(KEVENT_CACHE)
# (default /var/cache/kevent).
#
#   make run      build the patched kernel, boot it, show kevent at work
#   make test     both kernels (vm and debug), every selftest, splat check
#   make series   export the RFC series to out/series and prove it
#   make bench    kevent against epoll, poll and io_uring, in the guest
#   make stress   race every source on every CPU, debug and KCSAN kernels
#   make help     the other targets

S := scripts

.PHONY: help run test series bench stress base tree kernel debug-kernel initramfs \
	boot-test boot-debug-test clean

help:
	@sed -n 's/^#   make /  make /p' Makefile
	@echo "  make base          fetch and extract the pristine base (cached)"
	@echo "  make tree          assemble the series onto the base"
	@echo "  make kernel        build the vm kernel; debug-kernel: the debug one"
	@echo "  make initramfs     selftests + demo + busybox"
	@echo "  make clean         remove out/ (the cache stays)"

base:
	@$(S)/fetch-base.sh

tree: base
	@$(S)/assemble.sh

kernel: tree
	@$(S)/build.sh vm

debug-kernel: tree
	@$(S)/build.sh debug

initramfs: kernel
	@$(S)/mkinitramfs.sh

run: initramfs
	@KEVENT_SHELL=1 $(S)/boot.sh vm demo
	@[ -t 0 ] || grep -q 'KEVENT-INIT: done rc=0' out/vm/demo.log

test:
	@$(S)/test.sh

series: tree
	@$(S)/series.sh

bench:
	@$(S)/bench.sh

stress:
	@$(S)/stress.sh

clean:
	rm -rf out
