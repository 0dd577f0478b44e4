# SPDX-License-Identifier: GPL-2.0
#
# cpns: top-level build.  The module itself is described by Kbuild; this
# file drives it and builds the userspace programs, tests and benchmarks.
#
#   make deps        install every Debian 12 package the project needs
#   make             cpns.ko (against KDIR) and the userspace programs
#   make demo        figures a and b between real daemons, in the VM
#   make check       host unit tests, static checks, then the VM tests
#   make check T=x   only the VM test whose file name starts with x
#   make check-debug the VM tests on a debug kernel (KASAN, lockdep,
#                    kmemleak, failslab), built once and cached
#   make check-arm64 the VM tests on Debian's arm64 kernel, everything
#                    cross-built (qemu-system-aarch64)
#   make vm-shell    boot the test VM with an interactive shell
#   make bench       benchmarks (host and VM)
#   make fuzz        run every fuzz target for FUZZ_SECONDS each
#   make deb         the Debian packages cpns-dkms and cpns-tools

# The kernel the VM tests boot.  Pinned: the module is built against its
# headers, and the harness boots exactly this image.
KVER ?= 6.1.0-56-cloud-amd64
KDIR ?= /usr/src/linux-headers-$(KVER)
# The second kernel of Debian 12 that gateways run (bookworm-security's
# 6.12): make check builds cpns.ko for it with DKMS and runs the VM tests
# on it too.  KVER2= (empty) leaves it out.
KVER2 ?= 6.12.117+deb12-cloud-amd64
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)
B := build
BA := $(CURDIR)/$(B)
LINUX_SRC ?= /usr/src/linux-source-6.1.tar.xz

CC ?= gcc
CLANG ?= clang
CPPFLAGS += -I$(CURDIR)/include/uapi -I$(CURDIR)/userspace/lib \
	    -isystem $(BA)/kselftest $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE
LDLIBS += -lmnl -lnl-genl-3 -lnl-3 -lssl -lcrypto -lsqlite3 -lpthread -lm
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
       -fno-sanitize-recover=all

LIB_SRC := $(wildcard userspace/lib/*.c)
CTL_SRC := $(wildcard userspace/cpnsctl/*.c)
# The daemon: main.c is the program, the rest (DMN_SRC) an archive that
# host tests link too (the store's tests need no event loop).
DMN_SRC := $(filter-out userspace/cpnsd/main.c,$(wildcard userspace/cpnsd/*.c))
DMN_HDR := $(wildcard userspace/cpnsd/*.h)
DMN_LIBS := -levent -levent_openssl -linih -lsystemd
TEST_SRC := $(wildcard userspace/tests/test_*.c)
TOOL_SRC := $(wildcard userspace/tools/*.c)
BENCH_SRC := $(wildcard userspace/bench/bench_*.c)
FUZZ_SRC := $(wildcard userspace/fuzz/fuzz_*.c)
VMTEST_C := $(wildcard selftests/cpns/*.c) selftests/debug/failnth.c
VMBENCH_C := $(wildcard selftests/bench/*.c)
LIB_HDR := $(wildcard userspace/lib/*.h include/uapi/linux/*.h)

LIB := $(B)/lib/libcpns.a
ASAN_LIB := $(B)/asan/lib/libcpns.a
CPNSCTL := $(B)/cpnsctl
ASAN_CPNSCTL := $(B)/asan/cpnsctl
DMN := $(B)/cpnsd/libcpnsd.a
ASAN_DMN := $(B)/asan/cpnsd/libcpnsd.a
CPNSD := $(B)/cpnsd/cpnsd
ASAN_CPNSD := $(B)/asan/cpnsd/cpnsd
TESTS := $(TEST_SRC:userspace/tests/%.c=$(B)/tests/%)
ASAN_TESTS := $(TEST_SRC:userspace/tests/%.c=$(B)/asan/tests/%)
TOOLS := $(TOOL_SRC:userspace/tools/%.c=$(B)/tools/%)
BENCHES := $(BENCH_SRC:userspace/bench/%.c=$(B)/bench/%)
FUZZERS := $(FUZZ_SRC:userspace/fuzz/%.c=$(B)/fuzz/%)
VMTESTS := $(patsubst selftests/%.c,$(B)/ksft/%,$(VMTEST_C))
VMBENCHES := $(VMBENCH_C:selftests/bench/%.c=$(B)/vmbench/%)
KSFT := $(B)/kselftest/kselftest_harness.h
CHECKPATCH := $(B)/scripts/checkpatch.pl
YNL := $(B)/ynl/tools/net/ynl/ynl-gen-c.py
YNL_SRC ?= /usr/src/linux-source-6.12.tar.xz
WARNMOD := $(B)/warnmod/cpns_selftest_warn.ko $(B)/warnmod/cpns_selftest_uaf.ko
SANBUG := $(B)/harness/sanbug.so

DEB_PKGS := gcc make git perl pkg-config clang libclang-rt-14-dev \
	linux-image-$(KVER) linux-headers-$(KVER) linux-source-6.1 \
	qemu-system-x86 busybox-static cpio xz-utils kmod \
	libmnl-dev libnl-3-dev libnl-genl-3-dev libssl-dev libsqlite3-dev \
	sparse rsync iproute2 nftables util-linux procps jq python3 python3-yaml \
	linux-source-6.12 python3-jsonschema python3-cryptography \
	flex bison bc libelf-dev \
	libevent-dev libinih-dev libsystemd-dev linux-perf \
	$(if $(KVER2),linux-image-$(KVER2) linux-headers-$(KVER2)) \
	dkms dh-dkms debhelper dpkg-dev fakeroot lintian tshark tcpdump \
	gcc-aarch64-linux-gnu qemu-system-arm file
# Debian's arm64 kernel of KVER's ABI, which make check cross-builds
# cpns.ko for (fetched and unpacked into a cache, not installed).
KVER_ARM64 ?= $(patsubst %-amd64,%-arm64,$(KVER))

.PHONY: all module userspace tests deps check vm-check vm-shell bench fuzz \
	clean modules_install install static-check help check-debug demo \
	programs dkms-install deb cross-arm64 cross-programs check-arm64
.DELETE_ON_ERROR:

all: module userspace

help:
	@sed -n '3,19p' Makefile

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

modules_install:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

PREFIX ?= /usr/local
# systemd looks for units in /usr/local/lib/systemd/system too: a local
# install stays out of /lib/systemd/system, which belongs to dpkg, and
# PREFIX=/usr (a package) gives /usr/lib/systemd/system.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# Wireshark's personal Lua plugin folder would be per user; this one is
# read by every user's Wireshark on Debian (tshark -G folders).
DOCDIR ?= $(PREFIX)/share/doc/cpns
LUADIR ?= $(PREFIX)/lib/$(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)/wireshark/plugins
install: programs
	install -D -m 0755 $(CPNSCTL) $(DESTDIR)$(PREFIX)/sbin/cpnsctl
	install -D -m 0644 Documentation/cpnsctl.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/cpnsctl.8
	install -D -m 0644 userspace/completion/cpnsctl \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/cpnsctl
	install -D -m 0755 $(CPNSD) $(DESTDIR)$(PREFIX)/sbin/cpnsd
	install -D -m 0644 Documentation/cpnsd.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/cpnsd.8
	install -D -m 0644 Documentation/cpnsd.conf.5 \
		$(DESTDIR)$(PREFIX)/share/man/man5/cpnsd.conf.5
	sed 's|/usr/local/sbin/cpnsd|$(PREFIX)/sbin/cpnsd|' \
		userspace/cpnsd/cpnsd.service >$(B)/cpnsd.service
	install -D -m 0644 $(B)/cpnsd.service \
		$(DESTDIR)$(SYSTEMDUNITDIR)/cpnsd.service
	install -D -m 0644 userspace/cpnsd/cpnsd.conf.example \
		$(DESTDIR)$(DOCDIR)/cpnsd.conf.example
	install -D -m 0644 userspace/wireshark/cpns.lua \
		$(DESTDIR)$(LUADIR)/cpns.lua

userspace: programs $(TOOLS) tests

# What a package ships: no kernel headers or kernel sources needed.
programs: $(CPNSCTL) $(CPNSD)

# The module's sources as DKMS takes them, /usr/src/cpns-$(VERSION).
DKMS_FILES := dkms.conf Kbuild $(wildcard kmod/*.[ch] include/uapi/linux/*.h)
dkms-install:
	for f in $(DKMS_FILES); do \
		install -D -m 0644 $$f $(DESTDIR)/usr/src/cpns-$(VERSION)/$$f || exit 1; \
	done

# The Debian packages cpns-dkms and cpns-tools, built from a copy of the
# tracked files (dpkg-buildpackage writes next to its source folder).
deb:
	rm -rf $(B)/deb && mkdir -p $(B)/deb/cpns-$(VERSION)
	git ls-files -z | rsync -a --from0 --files-from=- ./ $(B)/deb/cpns-$(VERSION)/
	cd $(B)/deb/cpns-$(VERSION) && dpkg-buildpackage -us -uc >../build.log 2>&1 || \
		{ tail -30 $(B)/deb/build.log; exit 1; }
	lintian --info --display-info --pedantic --fail-on error,warning,info,pedantic \
		$(B)/deb/cpns_$(VERSION)_*.changes

tests: $(TESTS) $(ASAN_TESTS) $(VMTESTS) $(VMBENCHES) $(ASAN_CPNSCTL) \
	$(ASAN_CPNSD)

# Quiet and idempotent: apt runs only when something is missing.
deps:
	@missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing $$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq >/dev/null && \
		apt-get install -y -qq --no-install-recommends $$missing \
			>$(CURDIR)/.deps.log 2>&1 || \
			{ tail -20 $(CURDIR)/.deps.log; \
			  echo "deps: apt-get failed (are linux-image-$(KVER) and linux-image-$(KVER2) still in the archive? update KVER, KVER2)"; \
			  exit 1; }; \
		rm -f $(CURDIR)/.deps.log; \
	fi
	@selftests/arm64/fetch-kernel.sh $(KVER_ARM64) >/dev/null
	@selftests/arm64/fetch-root.sh >/dev/null

$(B)/lib/%.o: userspace/lib/%.c $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/asan/lib/%.o: userspace/lib/%.c $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -c -o $@ $<

$(LIB): $(LIB_SRC:userspace/lib/%.c=$(B)/lib/%.o)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(ASAN_LIB): $(LIB_SRC:userspace/lib/%.c=$(B)/asan/lib/%.o)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(CPNSCTL): $(CTL_SRC) $(wildcard userspace/cpnsctl/*.h) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iuserspace/cpnsctl $(CFLAGS) $(LDFLAGS) -o $@ $(CTL_SRC) $(LIB) $(LDLIBS)

# The VM tests drive this one: every cpnsctl run there is checked by
# ASan, UBSan and LeakSanitizer.
$(ASAN_CPNSCTL): $(CTL_SRC) $(wildcard userspace/cpnsctl/*.h) $(ASAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iuserspace/cpnsctl $(CFLAGS) $(SAN) -o $@ $(CTL_SRC) $(ASAN_LIB) $(LDLIBS)

$(B)/cpnsd/%.o: userspace/cpnsd/%.c $(DMN_HDR) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iuserspace/cpnsd $(CFLAGS) -c -o $@ $<

$(B)/asan/cpnsd/%.o: userspace/cpnsd/%.c $(DMN_HDR) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iuserspace/cpnsd $(CFLAGS) $(SAN) -c -o $@ $<

$(DMN): $(DMN_SRC:userspace/cpnsd/%.c=$(B)/cpnsd/%.o)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(ASAN_DMN): $(DMN_SRC:userspace/cpnsd/%.c=$(B)/asan/cpnsd/%.o)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(CPNSD): $(B)/cpnsd/main.o $(DMN) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(DMN) $(LIB) $(DMN_LIBS) $(LDLIBS)

# The VM tests run this one, as they do the sanitized cpnsctl.
$(ASAN_CPNSD): $(B)/asan/cpnsd/main.o $(ASAN_DMN) $(ASAN_LIB)
	$(CC) $(CFLAGS) $(SAN) -o $@ $< $(ASAN_DMN) $(ASAN_LIB) $(DMN_LIBS) $(LDLIBS)

$(B)/tests/%: userspace/tests/%.c userspace/tests/keytest.h $(LIB) $(DMN) $(KSFT)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iuserspace/cpnsd $(CFLAGS) -o $@ $< $(DMN) $(LIB) $(DMN_LIBS) $(LDLIBS)

$(B)/asan/tests/%: userspace/tests/%.c userspace/tests/keytest.h $(ASAN_LIB) $(ASAN_DMN) $(KSFT)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iuserspace/cpnsd $(CFLAGS) $(SAN) -o $@ $< $(ASAN_DMN) $(ASAN_LIB) $(DMN_LIBS) $(LDLIBS)

$(B)/tools/%: userspace/tools/%.c $(LIB) $(DMN)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iuserspace/cpnsd $(CFLAGS) -o $@ $< $(DMN) $(LIB) $(DMN_LIBS) $(LDLIBS)

$(B)/bench/%: userspace/bench/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# Fuzz targets link the library sources directly so that libFuzzer's
# coverage instrumentation reaches the parsers.
$(B)/fuzz/%: userspace/fuzz/%.c $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CLANG) $(CPPFLAGS) -std=gnu11 -g -O1 -D_GNU_SOURCE -DCPNS_FUZZING \
		-fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_SRC) $(LDLIBS)

# The VM tests are a kselftest collection built by selftests/Makefile on
# the kernel's lib.mk; they run inside the guest against the host's
# shared libraries, which the initramfs builder copies in with ldd.
$(VMTESTS) &: $(VMTEST_C) $(wildcard selftests/cpns/*.h) $(LIB) $(KSFT) \
		$(B)/src/tools/testing/selftests/lib.mk
	$(MAKE) -C selftests B=$(BA) OUTPUT=$(BA)/ksft

$(B)/vmbench/%: selftests/bench/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# kselftest's headers, lib.mk and runner, and checkpatch, come from
# Debian's linux-source-6.1, extracted once into the build folder; never
# committed.
$(KSFT) $(CHECKPATCH) $(B)/src/tools/testing/selftests/lib.mk &:
	@mkdir -p $(B)/kselftest $(B)/scripts $(B)/src
	tar -I 'xz -T0' -xf $(LINUX_SRC) -C $(B)/src --strip-components=1 \
		linux-source-6.1/tools/testing/selftests/kselftest.h \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/tools/testing/selftests/lib.mk \
		linux-source-6.1/tools/testing/selftests/run_kselftest.sh \
		linux-source-6.1/tools/testing/selftests/kselftest \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	cp $(B)/src/tools/testing/selftests/kselftest*.h $(B)/kselftest/
	cp $(B)/src/scripts/* $(B)/scripts/
	touch $(KSFT) $(CHECKPATCH) $(B)/src/tools/testing/selftests/lib.mk

# The kernel's YNL tools (ynl-gen-c, cli.py) and genetlink schemas come
# from Debian's linux-source-6.12: 6.1 has none of the schema checks or
# the uapi generator.  build/ynl keeps the kernel tree's layout, by which
# the tools find a spec's schema (../genetlink-legacy.yaml) and its path
# relative to the tree's root (marked by a MAINTAINERS file).
$(YNL):
	@mkdir -p $(B)/ynl
	tar -I 'xz -T0' -xf $(YNL_SRC) -C $(B)/ynl --strip-components=1 \
		--wildcards 'linux-source-6.12/tools/net/ynl/*.py' \
		'linux-source-6.12/Documentation/netlink/genetlink*.yaml' \
		linux-source-6.12/Documentation/netlink/specs/nlctrl.yaml
	touch $(B)/ynl/MAINTAINERS $@

# The harness's test-only modules and preload: never installed.
$(WARNMOD) &: $(wildcard selftests/harness/warnmod/*)
	@mkdir -p $(B)/warnmod
	cp $^ $(B)/warnmod/
	$(MAKE) -C $(KDIR) M=$(BA)/warnmod modules

$(SANBUG): selftests/harness/sanbug.c
	@mkdir -p $(@D)
	$(CC) -shared -fPIC -O1 -o $@ $<

# KVER given on the command line means that kernel alone.
check: all $(CHECKPATCH) $(YNL) $(WARNMOD) $(SANBUG) $(FUZZERS)
	KVER=$(KVER) KVER2=$(if $(filter command,$(origin KVER)),,$(KVER2)) \
		KVER_ARM64=$(KVER_ARM64) B=$(BA) T='$(T)' selftests/check.sh

# arm64: Debian's arm64 kernel of KVER's ABI in qemu-system-aarch64, with
# cpns.ko, the programs and the tests cross-built (against the arm64
# root selftests/arm64/fetch-root.sh fetches, the compiler's sysroot and
# the image's programs).  Not part of check: see Documentation/testing.rst.
B64 := $(B)/cross-arm64
# A new root (its cache key changed) rebuilds everything against it.
cross-arm64:
	@root=$$(selftests/arm64/fetch-root.sh) && \
	if [ "$$(cat $(B64)/.sysroot 2>/dev/null)" != "$$root" ]; then \
		rm -rf $(B64) && mkdir -p $(B64) && echo "$$root" >$(B64)/.sysroot; \
	fi && \
	PKG_CONFIG_SYSROOT_DIR=$$root \
	PKG_CONFIG_LIBDIR=$$root/usr/lib/aarch64-linux-gnu/pkgconfig:$$root/usr/share/pkgconfig \
	$(MAKE) B=$(B64) CC="aarch64-linux-gnu-gcc --sysroot=$$root" \
		AR=aarch64-linux-gnu-ar cross-programs

cross-programs: programs $(TOOLS) $(VMTESTS)

check-arm64: cross-arm64 $(YNL)
	KVER=$(KVER) KVER_ARM64=$(KVER_ARM64) B=$(BA) B64=$(CURDIR)/$(B64) \
		CHECK_DIR=$(BA)/check-arm64 \
		T='$(T)' selftests/check.sh arm64

# Only the VM part, for iterating on kernel tests.
vm-check: all $(YNL) $(WARNMOD) $(SANBUG)
	KVER=$(KVER) B=$(BA) T='$(T)' selftests/check.sh vm

# Not part of check: the first run builds a kernel (30-60 minutes on two
# cores, cached outside build/ by selftests/debug/build-kernel.sh).
check-debug: userspace $(YNL) $(SANBUG)
	B=$(BA) T='$(T)' selftests/debug/check-debug.sh

static-check: $(CHECKPATCH) $(YNL)
	KVER=$(KVER) B=$(BA) KDIR=$(KDIR) selftests/check.sh static

vm-shell: all $(YNL)
	KVER=$(KVER) B=$(BA) selftests/vm/run.sh --shell

# Not part of check, but a smoke test: a step that fails fails the demo.
# The VM image takes python3 from where the YNL tools are.
demo: all $(YNL)
	KVER=$(KVER) B=$(BA) selftests/demo/run.sh

bench: all $(BENCHES)
	KVER=$(KVER) B=$(BA) selftests/bench.sh

fuzz: $(FUZZERS)
	B=$(BA) selftests/fuzz.sh $(FUZZ_SECONDS)

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(B)
