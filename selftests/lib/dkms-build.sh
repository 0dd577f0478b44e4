#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build cpns.ko for kernel KVER the way the cpns-dkms package has DKMS
# build it: from SRCTREE/cpns-VERSION (the package's /usr/src, extracted),
# or without SRCTREE from the checkout's files laid out the same way (make
# dkms-install); dkms add and build run in private trees under $B/dkms,
# so nothing of the host's DKMS state is touched.  Prints the built
# module's path, $B/dkms/KVER/cpns.ko (uncompressed: 6.12's modules come
# out as .ko.xz).
#
# usage: dkms-build.sh KVER [SRCTREE]   (env: B, TOP; needs KVER's headers)
set -euo pipefail
kver=${1:?usage: dkms-build.sh KVER [SRCTREE]}
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${B:-$TOP/build}
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$TOP/dkms.conf")
d=$B/dkms
src=${2:-$d/src}
tree=$d/tree-$kver
out=$d/$kver
log=$d/build-$kver.log

[ -n "$ver" ] || { echo "dkms-build: no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
mkdir -p "$out"
if [ -z "${2:-}" ]; then
	rm -rf "$src"
	make -s -C "$TOP" dkms-install DESTDIR="$d/root" >/dev/null
	mkdir -p "$src"
	mv "$d/root/usr/src/cpns-$ver" "$src/"
	rm -rf "$d/root"
fi
[ -f "$src/cpns-$ver/dkms.conf" ] ||
	{ echo "dkms-build: no $src/cpns-$ver/dkms.conf" >&2; exit 1; }
rm -rf "$tree"
mkdir -p "$tree"
if ! { dkms add --sourcetree "$src" --dkmstree "$tree" -m cpns -v "$ver" &&
       dkms build --sourcetree "$src" --dkmstree "$tree" -m cpns -v "$ver" \
		-k "$kver"; } >"$log" 2>&1; then
	tail -20 "$log" >&2
	echo "dkms-build: dkms failed for $kver (log: $log)" >&2
	exit 1
fi
ko=$(find "$tree/cpns/$ver/$kver" -name 'cpns.ko*' | head -1)
case $ko in
*.xz) xz -dc "$ko" >"$out/cpns.ko" ;;
*.zst) zstd -qdc "$ko" >"$out/cpns.ko" ;;
*.ko) cp "$ko" "$out/cpns.ko" ;;
*) echo "dkms-build: dkms built no cpns.ko for $kver (log: $log)" >&2; exit 1 ;;
esac
echo "$out/cpns.ko"
