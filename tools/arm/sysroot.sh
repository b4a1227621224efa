#!/usr/bin/env bash
# tools/arm/sysroot.sh ARCH — Debian's Node.js for ARCH (arm64 | arm), unpacked into a sysroot:
#   $MMIO_ARM_CACHE/sysroot-<arm64|armhf>/usr/bin/node  (+ its libraries and the busybox-static binary)
# Prints the sysroot's path. The packages are `apt-get download`ed with a private apt state for that
# architecture and `dpkg -x`ed: the host's dpkg architecture list and installed packages are not changed.
# Run it with qemu-user: qemu-aarch64-static -L <sysroot> <sysroot>/usr/bin/node (tools/arm/node.sh).
# Cached; MMIO_ARM_REFRESH=1 downloads again.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

arch=${1:?usage: sysroot.sh arm64|arm}
debarch=$(arm_debarch "$arch") || arm_die "unknown architecture $arch" 2
root=$ARM_CACHE/sysroot-$debarch
# Debian 12's nodejs 18 and what it loads (measured: ldd of node and its require()s at start-up).
PKGS=(nodejs libnode108 libc6 libstdc++6 libgcc-s1 gcc-12-base libicu72 libssl3 libuv1 libbrotli1
      libc-ares2 libnghttp2-14 zlib1g node-acorn node-cjs-module-lexer node-undici node-busboy node-xtend
      busybox-static)
stamp=$(printf '%s\n' "${PKGS[@]}" | sha256sum | cut -c1-16)

mkdir -p "$ARM_CACHE"
exec 8>"$ARM_CACHE/.sysroot-$debarch.lock"
flock 8
if [[ -z ${MMIO_ARM_REFRESH:-} && -x $root/usr/bin/node && $(cat "$root/.mmio-stamp" 2>/dev/null) == "$stamp" ]]; then
  echo "$root"; exit 0
fi
command -v dpkg >/dev/null && command -v apt-get >/dev/null || arm_die "apt-get and dpkg are needed to fetch Debian's $debarch node"

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
arm_log "downloading ${#PKGS[@]} $debarch packages (nodejs $(apt-cache "${o[@]}" policy nodejs | sed -n 's/ *Candidate: //p'))"
(cd "$dl" && apt-get "${o[@]}" download -qq "${PKGS[@]}" >&2) || arm_die "apt-get download of the $debarch packages failed"
rm -rf "$root.new"
mkdir -p "$root.new"
for deb in "$dl"/*.deb; do dpkg -x "$deb" "$root.new"; done
[[ -x $root.new/usr/bin/node ]] || arm_die "no usr/bin/node in the $debarch packages"
echo "$stamp" > "$root.new/.mmio-stamp"
rm -rf "$root"
mv "$root.new" "$root"
arm_log "sysroot: $root ($(du -sm "$root" | cut -f1) MB)"
echo "$root"
