#!/usr/bin/env bash
# tools/arm/cmake-check.sh — the addon built by cmake-js (CMakeLists.txt) passes the native test suite:
# a copy of the package in .cache/cmake-check (sources, tests, dist; node_modules linked) is built with
# `cmake-js rebuild` only — no node-gyp build and no prebuilds there, so the cmake-js binary is the one the
# tests load — then the native vitest files run on the host. Also cross-builds arm64 with the toolchain
# file and checks the result is an aarch64 ELF. `npm run test:cmake`. Needs `npm run build` (dist/) first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_DIR"
"$ARM_TOOLS_DIR/setup-cross.sh" >&2

stage=$REPO_DIR/.cache/cmake-check
rm -rf "$stage"
mkdir -p "$stage"
cp -r lib test native dist binding.gyp CMakeLists.txt cmake package.json tsconfig.json vitest.config.ts "$stage/"
ln -s "$REPO_DIR/node_modules" "$stage/node_modules"
cd "$stage"

t0=$EPOCHREALTIME
arm_log "cmake-js rebuild (host)"
node_modules/.bin/cmake-js rebuild > cmake-host.log 2>&1 || { tail -n 30 cmake-host.log; arm_die "cmake-js build failed"; }
arm_log "  $(file -b build/Release/mmio.node | cut -d, -f1-2) ($(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $t0 }") s)"
node -e "const p = require('node-gyp-build').path(process.cwd()); if (!p.endsWith('build/Release/mmio.node')) { console.error('loads', p); process.exit(1) }" \
  || arm_die "node-gyp-build does not load the cmake-js build"
node node_modules/vitest/vitest.mjs run test/linux/native-region.test.ts test/linux/native-lifetime.test.ts \
  test/differential.test.ts test/linux/mem-region-claim.test.ts test/linux/bus-fault.test.ts

t0=$EPOCHREALTIME
arm_log "cmake-js rebuild --arch arm64 with cmake/aarch64-linux-gnu.cmake"
node_modules/.bin/cmake-js rebuild --out build-arm64 --arch arm64 --CDCMAKE_TOOLCHAIN_FILE="$stage/cmake/aarch64-linux-gnu.cmake" \
  > cmake-arm64.log 2>&1 || { tail -n 30 cmake-arm64.log; arm_die "cmake-js arm64 cross build failed"; }
info=$(file -b build-arm64/Release/mmio.node)
[[ $info == *"ARM aarch64"* ]] || arm_die "the arm64 cmake-js build is not an aarch64 binary: $info"
arm_log "  arm64: $(cut -d, -f1-2 <<< "$info") ($(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $t0 }") s)"
