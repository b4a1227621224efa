# Sourced by the test/vm-arm64 scripts.
# shellcheck shell=bash
# vm_log, vm_die, vm_shquote: the x86 rig's helpers (it also sets VM_DIR/CACHE_DIR: set ours after it)
source "$(dirname "${BASH_SOURCE[0]}")/../vm/common.sh"
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$VM_DIR/../.." && pwd)
CACHE_DIR=${MMIO_VM_ARM64_CACHE:-$REPO_DIR/.cache/vm-arm64}
# The machine: the device tree is dumped from exactly this, so keep setup.sh and run.sh on one definition.
vm_machine_args() { echo "-M virt -cpu cortex-a53 -m ${MMIO_VM_MEM:-1G} -smp ${MMIO_VM_SMP:-1}"; }
