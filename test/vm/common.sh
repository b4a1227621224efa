# Sourced by the other test/vm scripts: paths, defaults, small helpers.
# shellcheck shell=bash

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$VM_DIR/../.." && pwd)
CACHE_DIR=${MMIO_VM_CACHE:-$REPO_DIR/.cache/vm}

# What setup.sh leaves in $CACHE_DIR (run.sh reads boot.env):
#   kernel/          the Debian kernel package, dpkg -x'd (never installed)
#   kernel.release   e.g. 6.1.0-56-amd64
#   busybox/         busybox-static, dpkg -x'd
#   vmlinux          the ELF kernel extracted from the bzImage (PVH boot), if that worked
#   initramfs.cpio   busybox + /init + modules
#   boot.env         VM_KERNEL=<file to pass to -kernel>, VM_BOOT=pvh|bzimage, VM_RELEASE=...

vm_log() { printf 'mmio-vm: %s\n' "$*" >&2; }

# vm_die MESSAGE [EXIT_CODE]: loud, never silent; 125 = the rig itself failed.
vm_die() {
  {
    printf '\n'
    printf '######################################################################\n'
    printf '# mmio-vm: FAILED: %s\n' "$1"
    printf '######################################################################\n'
  } >&2
  exit "${2:-125}"
}

# Single-quote a word for a POSIX shell (the guest runs the host's /bin/sh).
vm_shquote() {
  local s=${1//\'/\'\\\'\'}
  printf "'%s'" "$s"
}
