#!/usr/bin/env bash
# tools/arm/prebuild.sh [ARCH...] — `npm run build:prebuilds`: the N-API prebuilds that npm install uses
# instead of compiling (node-gyp-build picks the one that fits, else builds from source; tools/install.cjs):
#   prebuilds/linux-x64/mmio.glibc.node
#   prebuilds/linux-arm64/mmio.glibc.node          (Raspberry Pi 3/4/5 with a 64-bit OS, ...)
#   prebuilds/linux-arm/mmio.armv7.glibc.node      (armhf: BeagleBone, Raspberry Pi 2/3 32-bit OS)
# (prebuildify names a --napi build <package name>[.armv<N>].<libc>.node: no ABI tag, and no "napi" tag
# once the package has a name; node-gyp-build matches it by the folder and those tags.)
# built with prebuildify + node-gyp from binding.gyp, cross-compiled with Debian's
# g++-aarch64-linux-gnu and g++-arm-linux-gnueabihf (tools/arm/setup-cross.sh installs them).
#
# The headers: Node-API only (the node-api-headers package, the same for every architecture and Node
# version >= 18; NAPI_VERSION=8) plus libuv's uv.h (uio_irq.cc), from the running node's include/node.
# Each architecture builds in its own copy of the sources under build/prebuild/<arch>, so the
# developer's build/Release is never replaced by a foreign-architecture binary. The shipped files are
# stripped (strip --strip-unneeded: the dynamic symbols Node needs stay); the unstripped link output is
# kept as build/prebuild/unstripped/linux-<arch>/*.node for test/arm/disasm, which also checks that its
# .text is byte for byte the shipped one's.
# With every architecture built, prebuilds/SOURCES.sha256 records what they were built from
# (tools/prebuild-sources.sh); `npm pack` (tools/prepack.sh) compares it with the working tree.
#   MMIO_PREBUILD_NO_INSTALL=1  do not apt-get the cross compilers; fail when they are missing (prepack)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

archs=("$@")
(( ${#archs[@]} )) || archs=(x64 arm64 arm)
if [[ -n ${MMIO_PREBUILD_NO_INSTALL:-} ]]; then
  for c in g++ make aarch64-linux-gnu-g++ arm-linux-gnueabihf-g++ aarch64-linux-gnu-strip arm-linux-gnueabihf-strip; do
    command -v "$c" >/dev/null || arm_die "'$c' is missing: the prebuilds need g++, make and the Debian cross compilers (run tools/arm/setup-cross.sh compilers)"
  done
else
  "$ARM_TOOLS_DIR/setup-cross.sh" compilers
fi

cd "$REPO_DIR"
[[ -x node_modules/.bin/prebuildify ]] || arm_die "node_modules/.bin/prebuildify missing: run npm ci first"
work=$REPO_DIR/build/prebuild
nodedir=$work/nodedir
rm -rf "$nodedir"
mkdir -p "$nodedir/include/node"

# --- the header directory node-gyp compiles against (npm_config_nodedir) -------------------------
napi_inc=$(node -p "require('node-api-headers').include_dir")
cp "$napi_inc"/*.h "$nodedir/include/node/"
uv_dir=
for d in "$(node -p "require('path').resolve(process.execPath, '../../include/node')")" /usr/include/node /usr/include; do
  [[ -f $d/uv.h ]] && { uv_dir=$d; break; }
done
[[ -n $uv_dir ]] || arm_die "uv.h not found (node's include/node or libuv1-dev): needed by native/uio_irq.cc"
cp -r "$uv_dir/uv.h" "$uv_dir/uv" "$nodedir/include/node/"
# node-gyp reads include/node/config.gypi (variables) and common.gypi (configurations, flags). A full
# node's common.gypi carries V8/OpenSSL settings an addon never needs; these are the parts node-gyp uses.
cat > "$nodedir/include/node/config.gypi" <<'GYP'
{ 'target_defaults': {}, 'variables': { 'napi_build_version': '8' } }
GYP
cat > "$nodedir/include/node/common.gypi" <<'GYP'
{
  'variables': { 'visibility%': 'default', 'library%': 'shared_library' },
  'target_defaults': {
    'default_configuration': 'Release',
    'configurations': {
      'Debug': { 'cflags': [ '-g', '-O0' ] },
      'Release': { 'cflags': [ '-O3' ] },
    },
    'cflags': [ '-pthread', '-Wall', '-Wextra', '-Wno-unused-parameter', '-fPIC' ],
    'cflags_cc': [ '-fno-rtti', '-fno-exceptions', '-std=gnu++17' ],
    'ldflags': [ '-pthread', '-rdynamic' ],
  },
}
GYP
# node-gyp takes the version from the headers' node_version.h when given a nodedir; Node-API builds do
# not depend on it, so name the running node's.
IFS=. read -r maj min pat <<< "$(node -p process.versions.node)"
cat > "$nodedir/include/node/node_version.h" <<H
#define NODE_MAJOR_VERSION $maj
#define NODE_MINOR_VERSION $min
#define NODE_PATCH_VERSION $pat
H

for arch in "${archs[@]}"; do
  t0=$EPOCHREALTIME
  stage=$work/$arch
  rm -rf "$stage" "prebuilds/linux-$arch" "$work/unstripped/linux-$arch" prebuilds/SOURCES.sha256
  mkdir -p "$stage"
  cp -r binding.gyp package.json native "$stage/"
  ln -s "$REPO_DIR/node_modules" "$stage/node_modules"
  env=(npm_config_nodedir="$nodedir" PREBUILD_PLATFORM=linux)
  flags=(--napi --tag-libc --arch "$arch" --target "node@$(node -p process.versions.node)" --out "$REPO_DIR")
  strip=strip
  case $arch in
    x64) ;;
    arm64|arm)
      tri=$(arm_triplet "$arch")
      env+=(CC="$tri-gcc" CXX="$tri-g++" LINK="$tri-g++" AR="$tri-ar")
      strip=$tri-strip
      # armhf: Debian's compiler defaults to armv7-a, VFPv3-D16, Thumb-2, hard float: the armhf ABI.
      [[ $arch == arm ]] && { env+=(PREBUILD_ARMV=7); flags+=(--tag-armv); }
      ;;
    *) arm_die "unknown architecture $arch (x64, arm64, arm)" 2 ;;
  esac
  arm_log "prebuild linux-$arch"
  (cd "$stage" && env "${env[@]}" "$REPO_DIR/node_modules/.bin/prebuildify" "${flags[@]}" --cwd "$stage" > "$stage/build.log" 2>&1) \
    || { tail -n 40 "$stage/build.log" >&2; arm_die "prebuild for linux-$arch failed (log: $stage/build.log)"; }
  out=$(ls prebuilds/linux-"$arch"/*.node)
  mkdir -p "$work/unstripped/linux-$arch"
  cp "$out" "$work/unstripped/linux-$arch/"
  "$strip" --strip-unneeded "$out" || arm_die "$strip failed on $out"
  arm_log "  $out: $(file -b "$out" | cut -d, -f1-2) ($(( $(stat -c %s "$out") / 1024 )) KiB, $(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $t0 }") s)"
done

# The record of the sources, only when the full set was (re)built from them.
if [[ " ${archs[*]} " == *" x64 "* && " ${archs[*]} " == *" arm64 "* && " ${archs[*]} " == *" arm "* ]]; then
  "$REPO_DIR/tools/prebuild-sources.sh" > prebuilds/SOURCES.sha256
  arm_log "prebuilds/SOURCES.sha256: $(tail -n 1 prebuilds/SOURCES.sha256)"
fi
