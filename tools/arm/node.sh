#!/usr/bin/env bash
# tools/arm/node.sh ARCH [NODE ARGS...] — run Debian's ARCH (arm64 | arm) node on this x86-64 host under
# qemu-user, with the sysroot of tools/arm/sysroot.sh: the ARM prebuilds can be loaded and exercised
# here. Environment: the caller's; the current directory is kept.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
arch=${1:?usage: node.sh arm64|arm [args...]}; shift
qemu=$(arm_qemu_user "$arch") || arm_die "unknown architecture $arch" 2
command -v "$qemu" >/dev/null || "$ARM_TOOLS_DIR/setup-cross.sh"
root=$("$ARM_TOOLS_DIR/sysroot.sh" "$arch")
# QEMU_LD_PREFIX: the guest's dynamic loader and libraries (absolute paths in the binary) come from the sysroot.
QEMU_LD_PREFIX=$root exec "$qemu" "$root/usr/bin/node" "$@"
