#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the test VM's initramfs: the host's own tools and their shared
# libraries (found with ldd), cpns.ko and the kernel modules the tests
# need (resolved from modules.dep and depmod'ed in the image), and the
# tests.  Uncompressed: the kernel unpacks it faster than it inflates it.
#
# usage: mkinitramfs.sh OUT.cpio   (env: KVER, B, TOP; for another kernel
#        than the host's: MODROOT, the folder holding its lib/modules/,
#        CPNS_KO and WARNMOD_DIR, cpns.ko and the harness's modules built
#        for it, KSFT_TIMEOUT, the runner's per-test timeout; VM_PERF=1,
#        perf in the image; for arm64: SYSROOT, its root
#        (selftests/arm64/fetch-root.sh), which the programs and their
#        libraries then come from, B's programs and tests built for it
#        (make cross-arm64), CC, its compiler, which the collection's
#        install is given so that it never builds a test for the host,
#        and YNL_DIR, the host build's YNL tools)
set -euo pipefail

out=$1
: "${KVER:?}" "${B:?}" "${TOP:?}"
modroot=${MODROOT:-}
sysroot=${SYSROOT:-}
moddir=/lib/modules/$KVER
srcmod=$modroot$moddir
root=$(dirname "$out")/root

rm -rf "$root"
# Debian 12's merged /usr: /bin, /sbin, /lib and /lib64 are links.
mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,proc,sys,dev,tmp,run,etc,var,root}
for d in bin sbin lib lib64; do
	ln -s "usr/$d" "$root/$d"
done
ln -s ../run "$root/var/run"

# Tools the tests use.  Real binaries, not busybox applets: Debian's
# busybox-static runs its own ip/modprobe whatever PATH says.
tools="bash sh ip nft genl kmod setpriv unshare nsenter jq cat grep sleep
	mount umount dmesg seq timeout mkdir ls rm ln awk sed head tail wc
	tr cut sort uniq env id chmod cp mv kill ps date stat tee xargs find
	dd od cmp diff basename dirname sync uname mktemp touch pidof pkill
	flock printf true false readlink realpath nproc free getopt paste setsid
	openssl mkfifo tcpdump base64 md5sum"

copy() {	# copy a file of the host (or SYSROOT) to the same path in the image, keeping links
	local src=$1 dst
	dst=$root$src
	[ -e "$dst" ] || [ -L "$dst" ] && return 0
	mkdir -p "$(dirname "$dst")"
	if [ -L "$sysroot$src" ]; then
		local target
		target=$(readlink "$sysroot$src")
		ln -s "$target" "$dst"
		case $target in
		/*) copy "$target" ;;
		*) copy "$(dirname "$src")/$target" ;;
		esac
	else
		cp -p "$sysroot$src" "$dst"
	fi
}

resolve() {	# the file an image path names, links followed within SYSROOT
	local p=$1 t n=0
	while [ -L "$sysroot$p" ] && [ $n -lt 40 ]; do
		t=$(readlink "$sysroot$p")
		case $t in
		/*) p=$t ;;
		*) p=$(dirname "$p")/$t ;;
		esac
		n=$((n + 1))
	done
	echo "$sysroot$p"
}

find_tool() {	# a tool's path in the image, looked up as root's PATH would
	local d
	for d in /usr/sbin /usr/bin /sbin /bin; do
		if [ -e "$(resolve "$d/$1")" ]; then
			echo "$d/$1"
			return 0
		fi
	done
	return 1
}

libs_of() {	# copy the shared libraries a program (a real path) links
	local lib dir interp
	if [ -z "$sysroot" ]; then
		for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*' | sort -u); do
			copy "$lib"
		done
		return 0
	fi
	# ldd runs the program's own loader: not for another architecture.
	readelf -h "$1" >/dev/null 2>&1 || return 0	# a script
	interp=$(readelf -lW "$1" | sed -n 's/.*interpreter: \(.*\)\]$/\1/p')
	[ -n "$interp" ] && copy "$interp"
	for lib in $(readelf -dW "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
		for dir in /usr/lib/aarch64-linux-gnu /usr/lib; do
			[ -e "$(resolve "$dir/$lib")" ] || continue
			if [ ! -e "$root$dir/$lib" ]; then
				copy "$dir/$lib"
				libs_of "$(resolve "$dir/$lib")"
			fi
			continue 2
		done
		echo "mkinitramfs: $1 links $lib, which $sysroot lacks" >&2
		return 1
	done
}

copy_with_libs() {	# an image path: the program and its libraries
	copy "$1"
	libs_of "$(resolve "$1")"
}

for t in $tools busybox; do
	p=$(find_tool "$t") || {
		echo "mkinitramfs: $t not found in ${sysroot:-the host} (make deps)" >&2
		exit 1
	}
	copy_with_libs "$p"
done
for l in modprobe insmod rmmod lsmod depmod modinfo; do
	ln -sf /usr/bin/kmod "$root/sbin/$l"
done
# jq, awk and friends may sit behind /etc/alternatives.
[ -z "$sysroot" ] && { cp -a /etc/alternatives "$root/etc/" 2>/dev/null || true; }
echo "root:x:0:0:root:/root:/bin/bash" >"$root/etc/passwd"
echo "nobody:x:65534:65534:nobody:/nonexistent:/bin/false" >>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

# The Debian packages of make deb (PKG_DEBS), unpacked as dpkg unpacks
# them, with their md5sums for packages.sh to check what is installed.
pkgs=$root/var/lib/cpns-packages
for deb in ${PKG_DEBS:-}; do
	name=$(dpkg-deb -f "$deb" Package)
	# Through a folder: tar would replace the /lib link with a folder.
	rm -rf "$root.deb"
	dpkg-deb -x "$deb" "$root.deb"
	rsync -aK "$root.deb/" "$root/"
	rm -rf "$root.deb"
	mkdir -p "$pkgs"
	dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./md5sums >"$pkgs/$name.md5sums"
done

# Project binaries and tests.
# The sanitized build when there is one: the VM tests then check every
# cpnsctl and cpnsd run with ASan, UBSan and LeakSanitizer.
# VM_SANITIZE=0 keeps cpns-tools's programs where it is installed, else
# takes the shipped builds, for a second kernel's run: the sanitizers see
# the same userspace code on every kernel, at twice the time.
san=${VM_SANITIZE:-1}
for p in cpnsctl cpnsd/cpnsd; do
	dst=$root/usr/sbin/${p#*/}
	if [ "$san" = 1 ] && [ -x "$B/asan/$p" ]; then
		libs_of "$B/asan/$p"
		install -m 0755 "$B/asan/$p" "$dst"
		# No longer the package's file.
		[ -f "$pkgs/cpns-tools.md5sums" ] &&
			sed -i "\\# usr/sbin/${p#*/}\$#d" "$pkgs/cpns-tools.md5sums"
	elif [ -x "$dst" ] && [ -f "$pkgs/cpns-tools.md5sums" ]; then
		libs_of "$dst"
	elif [ -x "$B/$p" ]; then
		libs_of "$B/$p"
		install -m 0755 "$B/$p" "$dst"
	fi
done
# The test-only GKDK tool.
if [ -x "$B/tools/cpnsd-gkdk" ]; then
	libs_of "$B/tools/cpnsd-gkdk"
	install -m 0755 "$B/tools/cpnsd-gkdk" "$root/usr/sbin/cpnsd-gkdk"
fi
# The tests: the kselftest collection as selftests/Makefile installs it
# (run_kselftest.sh, kselftest/, cpns/), plus the harness's own tests as
# a second collection, "harness", that only check-harness.sh selects.
ksft=$(cd "$root" && pwd)/ksft
make -s -C "$TOP/selftests" B="$B" OUTPUT="$B/ksft" ${CC:+CC="$CC"} \
	install INSTALL_PATH="$ksft" >&2
for t in "$ksft"/cpns/*; do
	[ -f "$t" ] && [ -x "$t" ] && libs_of "$t"
done
mkdir -p "$ksft/harness"
cp "$TOP"/selftests/harness/tests/*.sh "$TOP"/selftests/lib/common.sh \
	"$TOP"/selftests/settings "$ksft/harness/"
[ -f "$B/harness/sanbug.so" ] && cp "$B/harness/sanbug.so" "$ksft/harness/"
if [ -n "${KSFT_TIMEOUT:-}" ]; then
	echo "timeout=$KSFT_TIMEOUT" >"$ksft/cpns/settings"
fi
for t in "$TOP"/selftests/harness/tests/*.sh; do
	echo "harness:${t##*/}"
done >>"$ksft/kselftest-list.txt"
# Every test runs through ksft-guard.sh, which fails it for a kernel
# warning or a sanitizer report it left behind.
install -m 0755 "$TOP/selftests/vm/ksft-guard.sh" "$ksft/ksft-guard.sh"
cp "$TOP/selftests/vm/kernel-errors.re" "$root/kernel-errors.re"
while IFS=: read -r coll t; do
	mkdir -p "$ksft/$coll/.tests"
	mv "$ksft/$coll/$t" "$ksft/$coll/.tests/$t"
	ln -s ../ksft-guard.sh "$ksft/$coll/$t"
done <"$ksft/kselftest-list.txt"
mkdir -p "$root/bench"
cp "$TOP"/selftests/lib/*.sh "$root/bench/"
for f in "$TOP"/selftests/bench/*.sh; do
	[ -f "$f" ] && cp "$f" "$root/bench/"
done
# The benchmark measures the daemon as shipped, not the sanitized one.
[ -x "$B/cpnsd/cpnsd" ] && libs_of "$B/cpnsd/cpnsd" &&
	cp "$B/cpnsd/cpnsd" "$root/bench/cpnsd"
# VM_PERF=1: perf and its 33 MB of libraries, for the benchmarks'
# profiles (FANOUT_PERF); not in every image, which would boot slower.
if [ -n "${VM_PERF:-}" ] && [ -z "$sysroot" ]; then
	copy_with_libs "$(PATH=/usr/sbin:/usr/bin type -P perf)"
fi
for f in "$B"/vmbench/*; do
	[ -x "$f" ] && libs_of "$f" && cp "$f" "$root/bench/"
done
# make demo: its scripts and the builds as shipped, as for the benchmarks.
mkdir -p "$root/demo"
cp "$TOP"/selftests/demo/demo*.sh "$TOP"/selftests/demo/udp.py \
	"$TOP"/selftests/lib/*.sh "$root/demo/"
for f in "$B/cpnsctl" "$B/cpnsd/cpnsd"; do
	[ -x "$f" ] && libs_of "$f" && cp "$f" "$root/demo/"
done
# ---- python3 and the kernel's YNL tools (selftests/cpns/ynl_*.sh) ----
# When the Makefile has extracted them into $B/ynl.  Not the whole
# standard library (54 MB): the modules the host's python3 has loaded
# once it has run the YNL client (JSON and pretty-printed output) and
# imported what selftests/spec's VM scripts add to it, with their
# compiled forms (cp -p keeps the mtimes they are checked by), and the
# YNL tools compiled, so that the guest compiles nothing under TCG.  A
# chroot run of the client against the host's nlctrl family proves the
# image's interpreter has what it needs.  With SYSROOT, the same modules
# are taken from there (named by its architecture, the .so ones), the
# host compiles them (bytecode does not depend on the architecture) and
# no chroot can run them: a module missing there fails the copy.
# (_distutils_hack: setuptools' .pth hook on the host, not in the image.)
ynl=${YNL_DIR:-$B/ynl}
if [ -f "$ynl/tools/net/ynl/cli.py" ]; then
	py=/usr/bin/python3
	mkdir -p "$root/ynl/tools/net/ynl/lib" "$root/ynl/spec" \
		"$root/ynl/Documentation/netlink/specs"
	cp "$ynl"/tools/net/ynl/cli.py "$root/ynl/tools/net/ynl/"
	cp "$ynl"/tools/net/ynl/lib/*.py "$root/ynl/tools/net/ynl/lib/"
	cp "$ynl/Documentation/netlink/specs/nlctrl.yaml" \
		"$TOP/Documentation/netlink/specs/cpns.yaml" \
		"$root/ynl/Documentation/netlink/specs/"
	cp "$TOP"/selftests/spec/ynl_*.py "$root/ynl/spec/"
	if [ -n "$sysroot" ]; then
		copy_with_libs "$py"
	else
		copy_with_libs "$(readlink -f "$py")"
		copy "$py"
	fi
	"$py" -c '
import contextlib, io, os, runpy, sys
ynl = sys.argv[1]
sys.path.insert(0, ynl + "/tools/net/ynl")
import errno, yaml
# cpnsd_server.sh plays a gateway with these; ynl_cli.sh runs cli.py in
# one interpreter with those.
import encodings.idna, ssl, socket, struct
import contextlib, copy, io, json, os, runpy, traceback
spec = ynl + "/Documentation/netlink/specs/nlctrl.yaml"
for out in (["--output-json"], []):
    sys.argv = ["cli.py", "--no-schema", "--spec", spec, "--do", "getfamily",
                "--json", "{\"family-name\": \"nlctrl\"}"] + out
    with contextlib.redirect_stdout(io.StringIO()):
        runpy.run_path(ynl + "/tools/net/ynl/cli.py", run_name="__main__")
for m in list(sys.modules.values()):
    f = getattr(m, "__file__", None)
    if f and f.startswith("/usr/lib/"):
        print(f)
' "$ynl" | sort -u | grep -v /_distutils_hack/ | while read -r f; do
		[ -n "$sysroot" ] && f=${f//x86_64-linux-gnu/aarch64-linux-gnu}
		case $f in
		*.so) copy_with_libs "$f" ;;
		*.py)
			copy "$f"
			c=$(dirname "$f")/__pycache__/$(basename "$f" .py).cpython-311.pyc
			if [ -z "$sysroot" ] && [ -f "$c" ]; then
				copy "$c"
			fi ;;
		esac
	done
	if [ -n "$sysroot" ]; then
		"$py" -m compileall -q -s "$root" -p / "$root/usr/lib/python3"* >/dev/null
	else
		chroot "$root" /usr/bin/python3 /ynl/tools/net/ynl/cli.py --no-schema \
			--spec /ynl/Documentation/netlink/specs/nlctrl.yaml \
			--do getfamily --json '{"family-name": "nlctrl"}' >/dev/null || {
			echo "mkinitramfs: python3 in the image cannot run the YNL client" >&2
			exit 1
		}
	fi
	"$py" -m compileall -q "$root/ynl" >/dev/null
fi

install -m 0755 "$TOP/selftests/vm/init" "$root/init"

# Kernel modules: the whole crypto folders (DRBG, jitterentropy and the
# hmac/sha variants are easier to include than to guess), plus what the
# tests load, with their dependencies.
mkdir -p "$root$moddir"
for f in modules.order modules.builtin modules.builtin.modinfo; do
	cp "$srcmod/$f" "$root$moddir/"
done
for d in kernel/crypto kernel/arch/x86/crypto kernel/arch/arm64/crypto \
	kernel/lib/crypto; do
	[ -d "$srcmod/$d" ] && mkdir -p "$root$moddir/$d" &&
		cp -r "$srcmod/$d/." "$root$moddir/$d/"
done
mods="veth nf_defrag_ipv4 nf_defrag_ipv6 nf_tables nft_ct nft_chain_nat nf_conntrack macsec esp4 esp6
	xfrm_user xfrm_interface dummy"
# Where a kernel lacks these (the debug kernel's config predates them),
# the tests that need them skip, and only an allow-list entry of that
# kernel's lets the skip pass.
optional="nft_dup_ipv4 bridge"
# Where the test results leave by virtio (the arm64 virt machine has one
# UART, the console): init loads these.
[ -n "$sysroot" ] && mods+=" virtio_mmio virtio_console"
for m in $mods $optional; do
	case " $optional " in
	*" $m "*) modprobe ${modroot:+-d "$modroot"} -S "$KVER" \
			--show-depends "$m" 2>/dev/null || true ;;
	*) modprobe ${modroot:+-d "$modroot"} -S "$KVER" --show-depends "$m" ;;
	esac | awk '$1 == "insmod" { print $2 }'
done | sort -u | while read -r ko; do
	rel=${ko#"$modroot"}
	mkdir -p "$root$(dirname "$rel")"
	cp "$ko" "$root$rel"
done
mkdir -p "$root$moddir/extra"
cp "${CPNS_KO:-$TOP/cpns.ko}" "$root$moddir/extra/cpns.ko"
for f in "${WARNMOD_DIR:-$B/warnmod}"/cpns_selftest_*.ko; do
	[ -f "$f" ] && cp "$f" "$root$moddir/extra/"
done
depmod -b "$root" "$KVER"
if [ -n "$sysroot" ]; then
	# A host program in the image would only fail inside the guest.
	host=$(find "$root" -type f -print0 | xargs -0 file -N -F ' ::' |
		awk -F ' :: ' '$2 ~ /^ELF/ && $2 !~ /aarch64/ && n++ < 3')
	if [ -n "$host" ]; then
		echo "mkinitramfs: not built for $sysroot's architecture: $host" >&2
		exit 1
	fi
fi

(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
