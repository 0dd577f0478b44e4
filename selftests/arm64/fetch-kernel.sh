#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian's arm64 kernel KVER (e.g. 6.1.0-56-cloud-arm64): its image and
# headers, fetched with apt-get download (arm64 added to dpkg's foreign
# architectures once) and unpacked into a cache, not installed.  The
# headers' scripts/ and tools/ point at ../../lib/linux-kbuild-X, which
# is linked to the host's: kbuild's programs run on the build machine,
# whatever the target.  Their Makefile includes the host's
# /usr/src/linux-headers-ABI-common (the same package for every
# architecture; make deps installs it with the amd64 headers).  The
# modules are depmod'ed, for the arm64 VM's image (modprobe -d).
# Prints the cache folder.
#
# usage: fetch-kernel.sh KVER   (env: CPNS_KERNEL_CACHE, default
#                               $XDG_CACHE_HOME/cpns-kernels)
set -euo pipefail
k=${1:?usage: fetch-kernel.sh KVER}
cache=${CPNS_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cpns-kernels}/$k
if [ -f "$cache/.unpacked" ]; then
	echo "$cache"
	exit 0
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
	apt-get update -qq >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$cache.new"' EXIT
(cd "$tmp" && apt-get download -qq "linux-image-$k:arm64" \
	"linux-headers-$k:arm64" >/dev/null 2>&1) || {
	echo "fetch-kernel: apt-get download linux-image-$k:arm64 failed (still in the archive?)" >&2
	exit 1
}
rm -rf "$cache.new"
mkdir -p "$cache.new"
for deb in "$tmp"/*.deb; do
	dpkg-deb -x "$deb" "$cache.new"
done
kbuild=$(readlink "$cache.new/usr/src/linux-headers-$k/scripts")
kbuild=${kbuild#../../lib/}
kbuild=${kbuild%/scripts}
mkdir -p "$cache.new/usr/lib"
ln -sfn "/usr/lib/$kbuild" "$cache.new/usr/lib/$kbuild"
[ -d "/usr/lib/$kbuild/scripts" ] || {
	echo "fetch-kernel: /usr/lib/$kbuild missing (make deps installs it)" >&2
	exit 1
}
depmod -b "$cache.new" "$k"
touch "$cache.new/.unpacked"
rm -rf "$cache"
mv "$cache.new" "$cache"
echo "$cache"
