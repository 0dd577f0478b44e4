#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build, once, the debug kernel `make check-debug` boots: Debian's
# linux-source-6.1 with KASAN, lockdep, kmemleak and fault injection
# (selftests/debug/config).  About 30-60 minutes on two cores, so the
# result is cached outside the build folder, keyed by the fragment, the
# source package's version and the compiler: `make clean` and fresh
# clones on the same machine reuse it.  The built tree stays in the
# cache because out-of-tree modules are built against it (M=).
#
# usage: build-kernel.sh [--print-dir]
#        env: LINUX_SRC (default /usr/src/linux-source-6.1.tar.xz)
#             CPNS_DEBUG_CACHE (default $XDG_CACHE_HOME/cpns-debug-kernel)
#             JOBS (default 2)
# Prints the cache directory on success; it holds bzImage, linux/ (the
# built tree, for M=) and mods/lib/modules/<release>/.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=${LINUX_SRC:-/usr/src/linux-source-6.1.tar.xz}
frag=$here/config
cache=${CPNS_DEBUG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cpns-debug-kernel}

[ -r "$src" ] || { echo "build-kernel: $src missing (make deps)" >&2; exit 1; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null ||
	 stat -c '%s-%Y' "$src")
key=$( { cat "$frag"; echo "$srcver"; ${CC:-gcc} --version | head -1; } |
	sha256sum | cut -c1-16)
dir=$cache/$key

if [ "${1:-}" = --print-dir ]; then
	echo "$dir"
	exit 0
fi
if [ -f "$dir/done" ]; then
	echo "$dir"
	exit 0
fi

mkdir -p "$dir"
# One build per key, even when two check-debug runs start together.
exec 9>"$dir/lock"
if ! flock -n 9; then
	echo "build-kernel: waiting for another build of $dir" >&2
	flock 9
fi
if [ -f "$dir/done" ]; then
	echo "$dir"
	exit 0
fi

start=$(date +%s)
tree=$dir/linux
if [ ! -f "$tree/Makefile" ]; then
	echo "build-kernel: extracting $src" >&2
	rm -rf "$tree" "$tree.tmp"
	mkdir -p "$tree.tmp"
	tar -I 'xz -T0' -xf "$src" -C "$tree.tmp" --strip-components=1
	mv "$tree.tmp" "$tree"
fi

mk() { nice -n 19 make -C "$tree" -j"${JOBS:-2}" LOCALVERSION=-cpns-debug "$@"; }

mk x86_64_defconfig >&2
(cd "$tree" && scripts/kconfig/merge_config.sh -m .config \
	kernel/configs/kvm_guest.config "$frag") >&2
mk olddefconfig >&2
# merge_config only warns when an option does not stick (a missing
# dependency); a debug kernel without its checks would pass silently.
missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$frag" | while read -r l; do
	grep -qx "$l" "$tree/.config" || echo "$l"
done)
if [ -n "$missing" ]; then
	echo "build-kernel: options that did not stick:" $missing >&2
	exit 1
fi

echo "build-kernel: building in $tree (nice 19, -j${JOBS:-2})" >&2
mk bzImage modules >&2
rm -rf "$dir/mods"
mk modules_install INSTALL_MOD_PATH="$dir/mods" INSTALL_MOD_STRIP=1 >&2
cp "$tree/arch/x86/boot/bzImage" "$dir/bzImage"
mk -s kernelrelease >"$dir/release"
echo "$(( $(date +%s) - start ))" >"$dir/build-seconds"
touch "$dir/done"
echo "build-kernel: done in $(cat "$dir/build-seconds")s" >&2
echo "$dir"
