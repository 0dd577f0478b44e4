#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# An arm64 Debian 12 root: the tools the VM tests run, the libraries
# cpnsctl, cpnsd and the tests link, and their -dev packages.  It is
# both the cross-compiler's --sysroot (make cross-arm64) and where the
# arm64 test VM's image takes its programs from (mkinitramfs.sh
# SYSROOT=).  The packages and everything they depend on are fetched
# with apt-get download (after adding arm64 to dpkg's foreign
# architectures once, as fetch-kernel.sh does) and unpacked, not
# installed: no package is installed on the host and no maintainer
# script runs, so the one link the image needs from one (awk, an
# alternative) is made here.  /bin, /sbin and /lib are links into /usr,
# as on an installed Debian 12, and the packages' absolute links are
# made relative: one such as libm.so -> /lib/aarch64-linux-gnu/libm.so.6
# would otherwise name the host's file to the linker.  Cached by the
# package list and this script; prints the folder.
#
# usage: fetch-root.sh   (env: CPNS_ARM64_CACHE, default
#                         $XDG_CACHE_HOME/cpns-arm64-root)
set -euo pipefail

# The VM image's tools (mkinitramfs.sh's list, by package) and python3
# (the YNL client, the daemon tests' peers), then what the programs
# link.
pkgs="bash dash coreutils diffutils findutils grep sed mawk iproute2 jq
	kmod mount util-linux procps sysvinit-utils nftables openssl tcpdump
	busybox-static python3 python3-yaml
	libc6-dev libmnl-dev libnl-3-dev libnl-genl-3-dev libssl-dev
	libsqlite3-dev libevent-dev libinih-dev libsystemd-dev"
pkgs=$(echo $pkgs)
key=$({ echo "$pkgs"; cat "$0"; } | md5sum | cut -c1-12)
base=${CPNS_ARM64_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cpns-arm64-root}
root=$base/$key
if [ -f "$root/.complete" ]; then
	echo "$root"
	exit 0
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
	apt-get update -qq >/dev/null
fi
# Every dependency, recursively; arm64's own packages only (the
# architecture-independent ones it names hold data no test reads).
list=$(apt-cache depends --recurse --no-recommends --no-suggests \
	--no-conflicts --no-breaks --no-replaces --no-enhances \
	$(printf '%s:arm64 ' $pkgs) | grep -o '^[a-z0-9][^ <>]*:arm64$' |
	sort -u) || true
[ -n "$list" ] || {
	echo "fetch-root: apt-cache knows no arm64 packages (apt-get update?)" >&2
	exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$root.new"' EXIT
# shellcheck disable=SC2086 # one package per word
(cd "$tmp" && apt-get download -qq $list >"$tmp/log" 2>&1) || {
	tail -5 "$tmp/log" >&2
	echo "fetch-root: apt-get download of the arm64 packages failed" >&2
	exit 1
}
rm -rf "$root.new"
mkdir -p "$root.new"/usr/{bin,sbin,lib}
for d in bin sbin lib; do
	ln -s "usr/$d" "$root.new/$d"
done
for deb in "$tmp"/*.deb; do
	# Through a folder, as mkinitramfs.sh does: rsync -K keeps the
	# links above where a package has real /bin or /lib folders.
	rm -rf "$tmp/x"
	dpkg-deb -x "$deb" "$tmp/x"
	rsync -aK "$tmp/x/" "$root.new/"
done
find "$root.new" -type l -lname '/*' -print0 | while IFS= read -r -d '' l; do
	ln -sfnr "$root.new$(readlink "$l")" "$l"
done
ln -s mawk "$root.new/usr/bin/awk"
touch "$root.new/.complete"
rm -rf "$root"
mv "$root.new" "$root"
# Roots of other package lists or versions of this script.
find "$base" -mindepth 1 -maxdepth 1 ! -name "$key" ! -name "$key.new" \
	-exec rm -rf {} +
echo "$root"
