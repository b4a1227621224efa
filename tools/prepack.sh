#!/usr/bin/env bash
# tools/prepack.sh — npm's `prepack` (runs on `npm pack` and `npm publish`): the tarball must hold
#   dist/ compiled afresh from lib/, cli/, examples/ (no leftovers of deleted modules), and
#   prebuilds/linux-x64, linux-arm64, linux-arm (armv7): stripped, of the right machine, and built from
#   the current native/ sources (prebuilds/SOURCES.sha256 equals tools/prebuild-sources.sh now).
# Prebuilds that are missing or stale are rebuilt (tools/arm/prebuild.sh, ~20 s; needs g++, make and the
# Debian cross compilers: tools/arm/setup-cross.sh compilers). When they cannot be, the pack FAILS:
# a tarball without its binaries is never made.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() {
  printf '\n######################################################################\n# mmio prepack: FAILED: %s\n######################################################################\n' "$*" >&2
  exit 1
}
log() { printf 'mmio prepack: %s\n' "$*" >&2; }

# ELF machine each prebuild must be (file(1)'s words).
declare -A MACHINE=([x64]='x86-64' [arm64]='ARM aarch64' [arm]='32-bit LSB shared object, ARM')

prebuilds_ok() {
  [[ -f prebuilds/SOURCES.sha256 ]] || { log "prebuilds/SOURCES.sha256 missing"; return 1; }
  cmp -s prebuilds/SOURCES.sha256 <(tools/prebuild-sources.sh) || { log "prebuilds are stale: native/, binding.gyp or the build changed since they were built"; return 1; }
  local arch f desc
  for arch in x64 arm64 arm; do
    f=$(ls prebuilds/linux-$arch/*.node 2>/dev/null | head -n 1) || true
    [[ -n $f ]] || { log "no prebuild for linux-$arch"; return 1; }
    desc=$(file -b "$f")
    [[ $desc == *"${MACHINE[$arch]}"* ]] || { log "$f is not linux-$arch: $desc"; return 1; }
    [[ $desc == *", stripped"* ]] || { log "$f is not stripped"; return 1; }
  done
}

command -v file >/dev/null || die "file(1) is needed to check the prebuilds"
if prebuilds_ok; then
  log "prebuilds up to date with native/ ($(tail -n 1 prebuilds/SOURCES.sha256))"
else
  log "building the prebuilds"
  MMIO_PREBUILD_NO_INSTALL=1 tools/arm/prebuild.sh x64 arm64 arm || die "cannot build the prebuilds; refusing to pack without them"
  prebuilds_ok || die "the prebuilds just built do not pass the checks above"
fi
for f in prebuilds/linux-*/*.node; do log "  $f ($(stat -c %s "$f") bytes)"; done

log "compiling dist/ afresh"
rm -rf dist/lib dist/cli dist/examples
node_modules/.bin/tsc -p tsconfig.json || die "tsc failed"
