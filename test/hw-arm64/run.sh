#!/usr/bin/env bash
# test/hw-arm64/run.sh [--arch arm] — `npm run test:vm:arm64` / `test:vm:armv7`: the hardware tests in the
# arm64 (or armv7) guest.
# Bundles test/hw-arm64/*.hw-arm64.ts for node 18 (test/arm/bundle-tests.mjs: vitest cannot start on
# Debian's node 18; vitest's expect, node:test's runner), checks the arm64 prebuild is there, boots the
# guest once and runs every file in it with Debian's arm64 node (PREBUILDS_ONLY=1: the arm64 prebuild),
# then the native suite's files (as test/arm/run-native.sh bundles them) on the real arm64 kernel.
set -euo pipefail
cd "$(dirname "$0")/../.."
# --arch arm: the armv7 guest and the armv7 prebuild (`npm run test:vm:armv7`)
arch=arm64
[[ ${1:-} == --arch ]] && { arch=$2; shift 2; }
export MMIO_VM_ARM_ARCH=$arch
[[ -f dist/lib/index.js ]] || { echo "test:vm:$arch: run npm run build first (dist/)" >&2; exit 2; }
ls prebuilds/linux-$arch/*.node > /dev/null 2>&1 || tools/arm/prebuild.sh $arch
out=.cache/hw-$arch   # at the tests' depth below the repository (see bundle-tests.mjs)
rm -rf "$out"
mapfile -t files < <(ls test/hw-arm64/*.hw-arm64.ts)
node test/arm/bundle-tests.mjs "$out" "${files[@]}" > /dev/null
# and the native suite (file mappings, lifetime, bus faults, claims across processes) on the real arm64 kernel
native=(native-region native-lifetime differential mem-region-claim bus-fault)
native_files=()
for f in "${native[@]}"; do native_files+=("test/$f.test.ts"); done
node test/arm/bundle-tests.mjs .cache "${native_files[@]}" > /dev/null
script='fail=0; pass=0; failed=0
for f in '"$out"'/node18.*.mjs '"$(printf '.cache/node18.%s.test.mjs ' "${native[@]}")"'; do
  echo "== $f"
  node "$f" > /tmp/t.log 2>&1; rc=$?
  grep -E "^ *(not )?ok |^# (pass|fail)" /tmp/t.log
  [ $rc -eq 0 ] || { fail=1; cat /tmp/t.log | tail -n 60; }
  p=$(sed -n "s/^# pass //p" /tmp/t.log); fl=$(sed -n "s/^# fail //p" /tmp/t.log)
  pass=$((pass + ${p:-0})); failed=$((failed + ${fl:-1}))
done
echo "test:vm:'"$arch"': $pass passed, $failed failed"
exit $fail'
exec test/vm-arm64/run.sh -- sh -c "$script"
