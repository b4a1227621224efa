#!/usr/bin/env bash
# test/vm/setup.sh — prepare everything the x86-64 guest needs, once.
#
#   1. host tools: qemu-system-x86_64, cpio, xz (apt-get install, only when missing)
#   2. the Debian kernel package that linux-image-amd64 depends on, and busybox-static:
#      `apt-get download` + `dpkg -x` into the cache — never installed into the host
#   3. the ELF vmlinux extracted from the bzImage (fast PVH boot)      -> extract-vmlinux.sh
#   4. the initramfs (busybox, /init = init.sh, the kernel modules)     -> build-initramfs.sh
#
# Idempotent: a second run only compares a few checksums. Re-resolve the kernel (newer Debian
# kernel ABI) with MMIO_VM_REFRESH=1 or by deleting the cache ($MMIO_VM_CACHE, default
# <repo>/.cache/vm). MMIO_VM_KERNEL_PKG=linux-image-X-amd64 pins a kernel package.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.lock"
flock 9   # concurrent run.sh calls wait for one setup

APT_UPDATED=
apt_update_once() {
  [[ -n $APT_UPDATED ]] && return 0
  APT_UPDATED=1
  if [[ $(id -u) -ne 0 ]]; then
    vm_log "not root: skipping apt-get update (using the package lists as they are)"
    return 0
  fi
  vm_log "apt-get update"
  apt-get update -qq > "$CACHE_DIR/apt-update.log" 2>&1 || { cat "$CACHE_DIR/apt-update.log" >&2; vm_die "apt-get update failed"; }
}

# ensure_tool COMMAND PACKAGE: install PACKAGE if COMMAND is missing.
ensure_tool() {
  command -v "$1" >/dev/null 2>&1 && return 0
  [[ $(id -u) -eq 0 ]] || vm_die "'$1' is missing and installing it ($2) needs root: run 'sudo apt-get install -y $2'"
  apt_update_once
  vm_log "installing $2 (for $1)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2" \
       > "$CACHE_DIR/apt-install.log" 2>&1; then
    tail -n 30 "$CACHE_DIR/apt-install.log" >&2
    vm_die "apt-get install $2 failed: cannot run the guest without $1"
  fi
  command -v "$1" >/dev/null 2>&1 || vm_die "$2 is installed but '$1' is still missing"
}

# fetch_deb PACKAGE DEST: apt-get download PACKAGE and dpkg -x it into DEST (replacing DEST).
fetch_deb() {
  local pkg=$1 dest=$2 tmp
  apt_update_once
  tmp=$(mktemp -d "$CACHE_DIR/.dl.XXXXXX")
  # apt downloads as the unprivileged _apt user when it can write there (else it warns)
  if [[ $(id -u) -eq 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
  vm_log "downloading $pkg"
  (cd "$tmp" && apt-get download -qq "$pkg" >&2) || { rm -rf "$tmp"; vm_die "apt-get download $pkg failed"; }
  rm -rf "$dest.new"
  mkdir -p "$dest.new"
  dpkg -x "$tmp"/*.deb "$dest.new" || { rm -rf "$tmp" "$dest.new"; vm_die "dpkg -x $pkg failed"; }
  rm -rf "$tmp" "$dest"
  mv "$dest.new" "$dest"
}

# The kernel image package: what linux-image-amd64 depends on (Debian), or
# linux-image-generic (Ubuntu; untested), unless pinned with MMIO_VM_KERNEL_PKG.
kernel_package() {
  if [[ -n ${MMIO_VM_KERNEL_PKG:-} ]]; then echo "$MMIO_VM_KERNEL_PKG"; return; fi
  apt_update_once
  local meta dep
  for meta in linux-image-amd64 linux-image-generic; do
    dep=$(apt-cache depends "$meta" 2>/dev/null \
          | sed -n 's/^ *Depends: \(linux-image-\(unsigned-\)\?[0-9][^ ]*\)$/\1/p' | head -n1)
    if [[ -n $dep ]]; then echo "$dep"; return; fi
  done
  vm_die "cannot find the kernel package: neither linux-image-amd64 nor linux-image-generic is known to apt (apt-get update?)"
}

fetch_kernel() {
  local pkg release extra
  pkg=$(kernel_package)
  release=${pkg#linux-image-}; release=${release#unsigned-}
  fetch_deb "$pkg" "$CACHE_DIR/kernel"
  # Ubuntu splits the modules into linux-modules-<release> and linux-modules-extra-<release>.
  for extra in "linux-modules-$release" "linux-modules-extra-$release"; do
    if apt-cache show "$extra" >/dev/null 2>&1; then
      fetch_deb "$extra" "$CACHE_DIR/.extra"
      cp -a "$CACHE_DIR/.extra/." "$CACHE_DIR/kernel/"
      rm -rf "$CACHE_DIR/.extra"
    fi
  done
  [[ -d $CACHE_DIR/kernel/lib/modules/$release ]] || vm_die "$pkg has no lib/modules/$release"
  [[ -f $CACHE_DIR/kernel/boot/vmlinuz-$release ]] || vm_die "$pkg has no boot/vmlinuz-$release"
  echo "$release" > "$CACHE_DIR/kernel.release"
  rm -f "$CACHE_DIR/boot.env" "$CACHE_DIR/initramfs.stamp"
}

fetch_busybox() {
  fetch_deb busybox-static "$CACHE_DIR/busybox"
  busybox_bin >/dev/null || vm_die "busybox-static has no busybox binary"
}

busybox_bin() {
  local f
  for f in bin/busybox usr/bin/busybox; do
    [[ -x $CACHE_DIR/busybox/$f ]] && { echo "$CACHE_DIR/busybox/$f"; return 0; }
  done
  return 1
}

# --- 1. host tools -----------------------------------------------------------------------
ensure_tool qemu-system-x86_64 qemu-system-x86
ensure_tool cpio cpio
ensure_tool xz xz-utils

# --- 2. kernel and busybox ---------------------------------------------------------------
if [[ -n ${MMIO_VM_REFRESH:-} || ! -s $CACHE_DIR/kernel.release ]]; then
  fetch_kernel
fi
busybox_bin >/dev/null 2>&1 || fetch_busybox
RELEASE=$(cat "$CACHE_DIR/kernel.release")
BZIMAGE=$CACHE_DIR/kernel/boot/vmlinuz-$RELEASE

# --- 3. the kernel to boot: ELF vmlinux (PVH) or the bzImage ------------------------------
if [[ ! -s $CACHE_DIR/boot.env ]]; then
  if "$VM_DIR/extract-vmlinux.sh" "$BZIMAGE" "$CACHE_DIR/vmlinux"; then
    printf 'VM_KERNEL=%q\nVM_BOOT=pvh\n' "$CACHE_DIR/vmlinux" > "$CACHE_DIR/boot.env"
  else
    vm_log "WARNING: no PVH-bootable ELF vmlinux; booting the bzImage (about 3x slower)"
    rm -f "$CACHE_DIR/vmlinux"
    printf 'VM_KERNEL=%q\nVM_BOOT=bzimage\n' "$BZIMAGE" > "$CACHE_DIR/boot.env"
  fi
  printf 'VM_BZIMAGE=%q\nVM_RELEASE=%q\n' "$BZIMAGE" "$RELEASE" >> "$CACHE_DIR/boot.env"
fi

# --- 4. initramfs: rebuilt when the kernel, busybox, init.sh or the builder change ---------
BUSYBOX=$(busybox_bin)
stamp=$(cat "$VM_DIR/init.sh" "$VM_DIR/build-initramfs.sh" "$CACHE_DIR/kernel.release" "$BUSYBOX" | sha256sum)
if [[ ! -s $CACHE_DIR/initramfs.cpio || $(cat "$CACHE_DIR/initramfs.stamp" 2>/dev/null) != "$stamp" ]]; then
  "$VM_DIR/build-initramfs.sh" "$CACHE_DIR/kernel" "$RELEASE" "$BUSYBOX" "$VM_DIR/init.sh" "$CACHE_DIR/initramfs.cpio"
  echo "$stamp" > "$CACHE_DIR/initramfs.stamp"
fi
