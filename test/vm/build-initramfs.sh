#!/usr/bin/env bash
# test/vm/build-initramfs.sh KERNEL_ROOT RELEASE BUSYBOX INIT OUT
#
# Builds the guest's initramfs (an uncompressed newc cpio, ~4 MB):
#   /bin/busybox + a link per applet (not the applet named "busybox": a link of that name would
#     replace the binary with a link to itself, and the boot fails with error -40, ELOOP)
#   /init                      = test/vm/init.sh
#   /lib/modules/<name>.ko     the modules below, decompressed if the package compresses them
#   /etc/mmio-vm/modules.boot  load order for booting: virtio PCI, 9p over virtio, overlay
#   /etc/mmio-vm/modules.uio   load order for UIO (loaded by the init only when asked)
#   /etc/mmio-vm/modules.vfio  load order for VFIO (--iommu): vfio_iommu_type1 is only a soft dependency of
#                              vfio, so it is named here explicitly
#   /etc/mmio-vm/modules.nvme  load order for the kernel's NVMe driver (--nvme-kernel): nvme_core, nvme
# The load order is computed from the modules' own dependency lists (dependencies first);
# modules built into the kernel (modules.builtin) are skipped.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

kroot=$1 release=$2 busybox=$3 init=$4 out=$5
moddir=$kroot/lib/modules/$release
BOOT_MODULES=(virtio_pci 9pnet_virtio 9p overlay)
UIO_MODULES=(uio uio_pci_generic)
VFIO_MODULES=(vfio vfio_iommu_type1 vfio_pci)
NVME_MODULES=(nvme)

stage=$(mktemp -d); trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,etc/mmio-vm,lib/modules}

cp "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list); do
  [[ $applet == busybox ]] && continue
  ln -s busybox "$stage/bin/$applet"
done
cp "$init" "$stage/init"
chmod 755 "$stage/init" "$stage/bin/busybox"

# --- modules, in dependency order ----------------------------------------------------------
# (Debian's package has no modules.dep — depmod runs at install — so the "depends=" field of
# each module's .modinfo is read directly.)
declare -A mod_path=() done_mods=()
while IFS= read -r -d '' f; do
  b=${f##*/}; b=${b%%.ko*}; mod_path[${b//-/_}]=$f
done < <(find "$moddir" -name '*.ko*' -print0)
mod_cat() {
  case $1 in
    *.ko) cat "$1" ;; *.ko.xz) xz -dc "$1" ;; *.ko.zst) zstd -dcq "$1" ;; *.ko.gz) gzip -dc "$1" ;;
  esac
}
mod_depends() { mod_cat "$1" | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '; }
is_builtin() { tr '-' '_' < "$moddir/modules.builtin" | grep -q "/$1\.ko$"; }
order=()
resolve() {
  local name=${1//-/_} dep
  [[ -n ${done_mods[$name]:-} ]] && return 0
  done_mods[$name]=1
  if [[ -z ${mod_path[$name]:-} ]]; then
    is_builtin "$name" && return 0
    vm_die "kernel module $name is neither in $moddir nor built in"
  fi
  for dep in $(mod_depends "${mod_path[$name]}"); do resolve "$dep"; done
  order+=("$name")
}
install_modules() {   # install_modules LIST_FILE MODULE...
  local list=$1 name; shift
  order=()
  for name in "$@"; do resolve "$name"; done
  : > "$stage/etc/mmio-vm/$list"
  for name in "${order[@]}"; do
    mod_cat "${mod_path[$name]}" > "$stage/lib/modules/$name.ko"
    echo "$name" >> "$stage/etc/mmio-vm/$list"
  done
}
install_modules modules.boot "${BOOT_MODULES[@]}"
install_modules modules.uio "${UIO_MODULES[@]}"   # uio deps already in modules.boot are not repeated
# VFIO is for --iommu (the x86-64 guest); not every kernel has it (Debian's armmp has no vfio): an empty list then,
# and an --iommu boot fails loudly when it finds no /dev/vfio.
if [[ -n ${mod_path[vfio]:-} ]] || is_builtin vfio; then
  install_modules modules.vfio "${VFIO_MODULES[@]}"
else
  : > "$stage/etc/mmio-vm/modules.vfio"
fi

# The kernel's NVMe driver, for --nvme-kernel (x86-64; an empty list where the kernel has no nvme module).
if [[ -n ${mod_path[nvme]:-} ]] || is_builtin nvme; then
  install_modules modules.nvme "${NVME_MODULES[@]}"
else
  : > "$stage/etc/mmio-vm/modules.nvme"
fi

(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z \
   | cpio --quiet --null -o -H newc -R 0:0) > "$out.new"
mv "$out.new" "$out"
vm_log "initramfs: $(( $(stat -c %s "$out") / 1024 )) KiB; boot modules: $(tr '\n' ' ' < "$stage/etc/mmio-vm/modules.boot")"
