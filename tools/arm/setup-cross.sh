#!/usr/bin/env bash
# tools/arm/setup-cross.sh — install what the ARM builds and checks need, only what is missing
# (Debian/Ubuntu, apt-get; needs root the first time):
#   g++-aarch64-linux-gnu, g++-arm-linux-gnueabihf   cross compilers (with binutils: objdump, strip)
#   cmake, ninja-build                               the cmake-js build
#   qemu-user-static                                 running the arm64/armhf prebuilds on the host
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

want=${1:-all}   # all | compilers
arm_ensure aarch64-linux-gnu-g++ g++-aarch64-linux-gnu
arm_ensure arm-linux-gnueabihf-g++ g++-arm-linux-gnueabihf
arm_ensure aarch64-linux-gnu-objdump binutils-aarch64-linux-gnu
arm_ensure arm-linux-gnueabihf-objdump binutils-arm-linux-gnueabihf
[[ $want == compilers ]] && exit 0
arm_ensure cmake cmake
arm_ensure ninja ninja-build
arm_ensure qemu-aarch64-static qemu-user-static
