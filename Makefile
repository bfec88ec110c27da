# exo — top-level build.  `make help` lists the targets.
#
# Everything that needs the guest kernel (the module, the selftests, the
# examples that use /dev/exo, the benchmarks) runs inside the test VM
# (scripts/vm): this machine's own kernel never loads exo.ko.

TOP      := $(CURDIR)
EXO_CACHE ?= /var/cache/exo
export EXO_CACHE

# The kernel version the VM boots and the module is built for; scripts/deps
# installs what is missing (quick when nothing is) and prints it.  It runs
# once per make, here, while the Makefile is read (a simply-expanded
# variable: `KVER ?= $(shell ...)` is expanded again for every recipe, since
# an exported variable is put in each recipe's environment), and not at all
# for goals that need nothing installed (help) or when KVER is given (the
# command line, the environment: sub-makes and scripts inherit it).
NODEPS_GOALS := help dkms-install dkms-remove
ifeq ($(origin KVER),undefined)
ifneq ($(filter-out $(NODEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
KVER := $(shell $(TOP)/scripts/deps | tail -1)
ifeq ($(KVER),)
$(error scripts/deps failed: no kernel version)
endif
export KVER
endif
endif

CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror
UAPI     := -I$(TOP)/kmod/include/uapi

.PHONY: all deps kmod libexo bpf examples selftests check check-host \
	check-vm run vm-shell install dkms-install dkms-remove clean help checkpatch bench-pages \
	bench-block bench-nic bench-web bench-db check-extent-crash check-xn-crash check-db-crash check-db-logwrites fuzz fuzz-db check-debug libos-web libos-db

all: kmod libexo bpf examples selftests libos-web libos-db

deps:
	@echo "KVER=$(KVER)"

kmod:
	$(MAKE) -C kmod KVER=$(KVER)

libexo: bpf
	$(MAKE) -C libexo

bpf:
	$(MAKE) -C bpf

examples: libexo bpf
	$(MAKE) -C examples

selftests: libexo bpf
	$(MAKE) -C selftests

# The library operating systems (libos-*/README.md): each builds against
# libexo and has host unit tests (make -C libos-X check) and guest tests in
# libos-X/test/vm/ that selftests/run.sh runs beside the kselftests.
libos-web: libexo bpf
	$(MAKE) -C libos-web

libos-db: libexo bpf
	$(MAKE) -C libos-db

# make check: host unit tests, then the kselftests in the VM; prints TAP
# and ends with "N passed, N failed".
check: all
	@$(TOP)/scripts/check

check-host: libexo libos-web libos-db
	$(MAKE) -C libexo check
	$(MAKE) -C libos-web check
	$(MAKE) -C libos-db check

check-vm: all
	$(TOP)/scripts/vm -- selftests/run.sh $(T)

# make fuzz: selftests/exo_fuzz with a large budget (CALLS=, PROCS=, SEED=,
# PROFILE=short|long; from 200000 calls exo_fuzz picks long by default).
FUZZ_CALLS ?= $(or $(CALLS),1000000)
fuzz: kmod selftests
	EXO_FUZZ_CALLS=$(FUZZ_CALLS) $(if $(PROCS),EXO_FUZZ_PROCS=$(PROCS)) \
	$(if $(SEED),EXO_FUZZ_SEED=$(SEED)) $(if $(PROFILE),EXO_FUZZ_PROFILE=$(PROFILE)) \
	EXO_TEST_TIMEOUT=$${EXO_TEST_TIMEOUT:-14400} \
	$(TOP)/scripts/vm --disk 64M --timeout 0 -- selftests/run.sh exo_fuzz

# libos-db's disk fuzzer on the host (make check runs 40 images per kind):
# ITERS= images per kind (default 1000), SEED= (default: from the time).
fuzz-db: libos-db
	d=$$(mktemp -d) && trap 'rm -rf $$d' EXIT && \
	EXODB_TMP=$$d $(TOP)/libos-db/test/fuzzdisk $(or $(ITERS),1000) $(SEED)

# make check-debug: the selftests under a KASAN/UBSAN/kmemleak/lockdep
# kernel built once into $(EXO_CACHE) (scripts/debug-kernel), then a
# fixed-length exo_fuzz run (EXO_DEBUG_FUZZ_CALLS=, default 10^6;
# EXO_DEBUG_FUZZ_SEED=, default 1) and a kmemleak scan.
check-debug: libexo bpf selftests
	@$(TOP)/scripts/check-debug $(T)

# make run: boot the VM, load exo, run the examples, unload.
run: all
	$(TOP)/scripts/vm -- scripts/run-examples

# Benchmarks: ratios of exo against Linux, measured in the same guest run.
bench-pages: all
	$(TOP)/scripts/vm -- scripts/bench pages

bench-block: all
	$(TOP)/scripts/vm --disk 64M -- scripts/bench block

# libos-db vs LMDB under one memory budget (libos-db/bench/bench-db.sh says
# how); the host's load average is kept in a file the guest reads, so that
# each figure is printed with it.  EXO_BENCH_DB_M=MiB changes the budget.
bench-db: all
	@f=$(TOP)/libos-db/bench/.hostload; \
	(while :; do cat /proc/loadavg >$$f.tmp; mv $$f.tmp $$f; sleep 2; done) & \
	pid=$$!; trap 'kill $$pid 2>/dev/null; rm -f $$f $$f.tmp' EXIT; \
	echo "# host load before: $$(cat /proc/loadavg)"; \
	EXO_BENCH_DB_HOSTLOAD=$$f $(TOP)/scripts/vm --disk 2G --disk 2G \
		--timeout 2700 -- scripts/bench db; st=$$?; \
	echo "# host load after: $$(cat /proc/loadavg)"; exit $$st

# EXO_BENCH_NIC_ARGS passes options to examples/bench-nic (-w, -r, -S, -L, -t).
bench-nic: all
	$(TOP)/scripts/vm -- scripts/bench nic

# exo-httpd (libos-web) against nginx over a veth pair: scripts/bench-web
# (EXO_BENCH_WEB_SECS=, _ROUNDS=, _ROWS=, _EXO_ARGS=, _PERF="ROW...").
bench-web: all
	$(TOP)/scripts/vm --timeout 1200 --disk 64M -- scripts/bench web

# The extent table survives guests killed from the host mid-update.
check-extent-crash: all
	$(TOP)/scripts/extent-crash

# XN's checked metadata updates survive the same kills (ROUNDS=, default 3).
check-xn-crash: all
	EXO_CRASH_TEST=xn $(TOP)/scripts/extent-crash $(or $(ROUNDS),3)

# libos-db on exo keeps every acknowledged commit across machine crashes
# (QEMU killed from the host, or the guest reset: RESETS=, default 10).
check-db-crash: all
	$(TOP)/scripts/db-crash $(or $(RESETS),10)

# libos-db on exo recovers from every disk state a power cut could leave
# (dm-log-writes; WRITERS=, COMMITS=, LOSSY= states per flush, a recovery
# cut at each of its flush points every RCUT= states: 4 20 3 19).
check-db-logwrites: all
	$(TOP)/scripts/db-logwrites $(or $(WRITERS),4) $(or $(COMMITS),20) \
		$(or $(LOSSY),3) $(or $(RCUT),19)

vm-shell: all
	$(TOP)/scripts/vm --shell --insmod

install: libexo
	$(MAKE) -C libexo install DESTDIR=$(DESTDIR) PREFIX=$(or $(PREFIX),/usr/local)

# exo.ko under DKMS (kmod/dkms.conf): rebuilt for each new kernel.  As root;
# DKMS_ARGS= passes options to dkms (e.g. -k KERNEL, --dkmstree DIR).
DKMS_VERSION = $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' kmod/dkms.conf)
DKMS_SRC     ?= /usr/src/exo-$(DKMS_VERSION)
dkms-install:
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)
	cp kmod/Kbuild kmod/dkms.conf kmod/*.c kmod/*.h $(DKMS_SRC)/
	cp -r kmod/include $(DKMS_SRC)/
	dkms install $(DKMS_ARGS) exo/$(DKMS_VERSION)

dkms-remove:
	dkms remove $(DKMS_ARGS) exo/$(DKMS_VERSION) --all
	rm -rf $(DKMS_SRC)

checkpatch:
	$(EXO_CACHE)/linux-source-6.1/scripts/checkpatch.pl --no-tree --terse \
		--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES \
		-f kmod/*.c kmod/*.h kmod/include/uapi/linux/exo.h

clean:
	$(MAKE) -C kmod clean KVER=$(KVER)
	$(MAKE) -C libexo clean
	$(MAKE) -C bpf clean
	$(MAKE) -C examples clean
	$(MAKE) -C selftests clean
	$(MAKE) -C libos-web clean
	$(MAKE) -C libos-db clean

help:
	@echo "exo targets:"
	@echo "  make            build exo.ko, libexo, bpf programs, examples, selftests"
	@echo "  make check      host unit tests + kselftests in the test VM (TAP, 'N passed, N failed')"
	@echo "  make check-vm T=exo_grant   one selftest file in the VM"
	@echo "  make fuzz-db    libos-db/test/fuzzdisk on the host: damaged pages and log records, ASan/UBSan (ITERS= SEED=)"
	@echo "  make fuzz       exo_fuzz in the VM, 10^6 calls (CALLS= PROCS= SEED= PROFILE=); prints FUZZ calls=N crashes=N"
	@echo "  make check-debug  selftests and a 10^6-call fuzz under a KASAN/UBSAN/lockdep/kmemleak kernel (first build ~30+ min)"
	@echo "  make run        boot the VM, insmod exo, run the examples, rmmod"
	@echo "  make bench-pages  exo frames vs Linux anonymous memory (RATIO lines)"
	@echo "  make check-extent-crash  kill guests mid extent-table update, re-attach, reclaim"
	@echo "  make check-xn-crash  kill guests mid XN metadata update, re-attach, walk the roots"
	@echo "  make check-db-crash  libos-db: kill (host) or reset (guest) mid-commit, reboot, every acked commit there (RESETS=, EXO_DB_CRASH=kill|reset|mixed)"
	@echo "  make check-db-logwrites  libos-db recovers from every flush point of a dm-log-writes log (WRITERS= COMMITS= LOSSY= RCUT=)"
	@echo "  make bench-block  exo extents (uring_cmd) vs io_uring O_DIRECT, 4 KiB random (RATIO lines)"
	@echo "  make bench-db     libos-db on exo vs LMDB, one memory budget (RATIO lines)"
	@echo "  make bench-nic    exo NIC binding vs AF_PACKET TPACKET_V3 and AF_XDP, 64-byte UDP over veth (RATIO lines)"
	@echo "  make bench-web    exo-httpd (libos-web) vs nginx over veth: req/s and server CPU per request (RATIO lines)"
	@echo "  make vm-shell   interactive shell in the VM with exo loaded"
	@echo "  make install    install libexo (DESTDIR=, PREFIX=)"
	@echo "  make dkms-install  exo.ko under DKMS (rebuilt for new kernels; root); make dkms-remove"
	@echo "  make checkpatch run the kernel's checkpatch.pl over kmod/"
	@echo "  make deps       install prerequisites, print the guest kernel version"
	@echo "  make clean"
