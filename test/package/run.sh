#!/usr/bin/env bash
# test/package/run.sh [MAJOR...]        (npm run test:package; .ci/run)
#
# The package as users receive it. Packs the repository (`npm pack`: prepack builds or verifies the three
# prebuilds and compiles dist/ afresh), checks the tarball's contents, then on Node 20 (this machine's) and the
# official 22, 24 and 26 builds (test/node-versions/install.sh, cached):
#   1. installs the tarball into a fresh consumer project (test/package/consumer) with NO compiler on PATH
#      (PATH holds only node and a few shell tools: no make, cc, gcc, g++, c++, python3), from npm's cache
#      (--prefer-offline: the dependencies come from the registry only when the cache lacks them);
#   2. type-checks the consumer (the quick start on the simulator, its own register map and simulated twin,
#      `using`, the exported types) strict under moduleResolution NodeNext, bundler and node10, with
#      skipLibCheck off, no @types/node and no lib "DOM";
#   3. runs it: the simulator, and mapFile on a temporary file through the shipped linux-x64 prebuild, which
#      must be what loads (no build/ folder may appear);
#   4. deletes the prebuilds in the consumer and runs it again: the simulator parts run, every native entry
#      point throws ERR_MMIO_NATIVE_UNAVAILABLE with a hint; `npm rebuild mmio` (no prebuild, no compiler)
#      still exits 0 (tools/install.cjs tolerates the failed source build); and with the CLI's dependencies
#      (commander, cli-progress and its tree) deleted, the library still runs.
# Prints each step's time; exits non-zero, loudly, on any failure.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"

die() {
  printf '\n######################################################################\n# test/package: FAILED: %s\n######################################################################\n' "$*" >&2
  exit 1
}
log() { printf 'test/package: %s\n' "$*" >&2; }
now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

majors=("$@")
(( ${#majors[@]} )) || majors=(20 22 24 26)

work=$(mktemp -d "${TMPDIR:-/tmp}/mmio-package-XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- pack -------------------------------------------------------------------------------------------------
t=$(now)
npm pack --pack-destination "$work" --json > "$work/pack.json" 2> "$work/pack.log" || { tail -n 30 "$work/pack.log" >&2; die "npm pack failed"; }
tgz=$work/$(node -p "require('$work/pack.json')[0].filename")
log "packed $(basename "$tgz"): $(stat -c %s "$tgz") bytes, $(node -p "require('$work/pack.json')[0].entryCount") files ($(secs "$t") s)"

# --- what the tarball holds -------------------------------------------------------------------------------
tar -tzf "$tgz" | sed 's|^package/||' | sort > "$work/files"
for f in LICENSE package.json tools/install.cjs binding.gyp dist/lib/index.js dist/lib/index.d.ts dist/lib/sim/index.d.ts \
  prebuilds/linux-x64/mmio.glibc.node prebuilds/linux-arm64/mmio.glibc.node prebuilds/linux-arm/mmio.armv7.glibc.node; do
  grep -qxF "$f" "$work/files" || die "the tarball lacks $f"
done
mkdir "$work/unpacked" && tar -xzf "$tgz" -C "$work/unpacked"
pkg=$work/unpacked/package
for f in "$pkg"/prebuilds/*/*.node; do
  file -b "$f" | grep -q ', stripped' || die "$f is not stripped: $(file -b "$f")"
done
# Every source map's sources ship with it (else --enable-source-maps names files that do not exist).
node -e '
  const fs = require("fs"), path = require("path");
  const root = process.argv[1]; let maps = 0; const missing = [];
  const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (p.endsWith(".map")) { maps++; for (const s of JSON.parse(fs.readFileSync(p, "utf8")).sources) {
      const src = path.resolve(path.dirname(p), s); if (!fs.existsSync(src)) missing.push(path.relative(root, p) + " -> " + s); } }
  } };
  walk(root);
  if (missing.length) { console.error(missing.slice(0, 10).join("\n")); process.exit(1); }
  console.error(`test/package: ${maps} source maps, every source present`);
' "$pkg" || die "source maps name sources the tarball does not hold"
! grep -q '"os"' "$pkg/package.json" || die "package.json has an os field: npm would refuse the install on other platforms"

# --- the Node versions --------------------------------------------------------------------------------------
declare -A NODE=([20]=$(command -v node))
[[ $("${NODE[20]}" -p 'process.versions.node.split(".")[0]') == 20 ]] || die "this machine's node is not 20: $(node --version)"
want_official=()
for m in "${majors[@]}"; do [[ $m == 20 ]] || want_official+=("$m"); done
if (( ${#want_official[@]} )); then
  while read -r major _version path; do NODE[$major]=$path; done < <(test/node-versions/install.sh --print "${want_official[@]}")
fi
npm_cli=$(readlink -f "$(command -v npm)")
[[ $npm_cli == *.js ]] || npm_cli=$(dirname "$npm_cli")/../lib/node_modules/npm/bin/npm-cli.js
tsc=$REPO/node_modules/typescript/bin/tsc
[[ -f $tsc ]] || die "typescript missing: run npm ci first"

# A PATH without any compiler: node and the few tools npm's scripts and this test use.
nocc=$work/bin
mkdir "$nocc"
for tool in sh bash env cat ls rm mkdir cp mv uname sed grep awk cut du tail dirname basename readlink tr; do
  ln -s "$(command -v "$tool")" "$nocc/$tool"
done

results=()
for m in "${majors[@]}"; do
  node_bin=${NODE[$m]:-}
  [[ -x $node_bin ]] || die "no node $m"
  log "== node $m ($("$node_bin" --version))"
  c=$work/consumer-$m
  cp -r "$HERE/consumer" "$c"
  ln -sf "$node_bin" "$nocc/node"
  (
    cd "$c"
    export PATH=$nocc
    for cc in make cc gcc g++ c++ python3 python; do
      ! command -v "$cc" >/dev/null 2>&1 || die "$cc is on the consumer's PATH"
    done
    t=$(now)
    "$node_bin" "$npm_cli" install --prefer-offline --no-audit --no-fund --loglevel=error "$tgz" > install.log 2>&1 \
      || { cat install.log >&2; die "node $m: npm install of the tarball failed without a compiler"; }
    log "installed without a compiler in $(secs "$t") s"
    [[ ! -e node_modules/mmio/build ]] || die "node $m: the install built from source (node_modules/mmio/build exists)"
    for res in nodenext bundler node10; do
      t=$(now)
      "$node_bin" "$tsc" -p "tsconfig.$res.json" > "tsc-$res.log" 2>&1 || { cat "tsc-$res.log" >&2; die "node $m: the consumer does not type-check under moduleResolution $res"; }
      log "type-checks: moduleResolution $res, strict, no @types/node ($(secs "$t") s)"
    done
    "$node_bin" run.mjs native || die "node $m: the consumer failed with the prebuild"
    "$node_bin" -e "
      const p = require('path').resolve('node_modules/mmio');
      const loaded = require(require.resolve('node-gyp-build', { paths: [p] })).path(p);
      if (!loaded.includes('/prebuilds/linux-x64/')) { console.error('loaded ' + loaded); process.exit(1); }
    " || die "node $m: the addon that loads is not the shipped prebuild"
    rm -rf node_modules/mmio/prebuilds
    "$node_bin" run.mjs no-native || die "node $m: the consumer failed without the addon"
    t=$(now)
    "$node_bin" "$npm_cli" rebuild mmio --loglevel=error > rebuild.log 2>&1 || { cat rebuild.log >&2; die "node $m: npm rebuild without prebuild and compiler failed the install"; }
    log "npm rebuild with no prebuild and no compiler: exit 0 ($(secs "$t") s)"
    "$node_bin" run.mjs no-native > /dev/null || die "node $m: the consumer failed after the failed rebuild"
    # The library never loads the CLI's dependencies (docs/install.md): without them it still runs.
    log "node_modules: $(du -sk node_modules | cut -f1) KiB; the CLI's commander + cli-progress tree: $(du -skc node_modules/{commander,cli-progress,string-width,strip-ansi,ansi-regex,emoji-regex,is-fullwidth-code-point} | tail -n 1 | cut -f1) KiB"
    rm -rf node_modules/{commander,cli-progress,string-width,strip-ansi,ansi-regex,emoji-regex,is-fullwidth-code-point}
    "$node_bin" run.mjs no-native > /dev/null || die "node $m: the library needed the CLI's dependencies"
  ) || exit 1
  results+=("node $m: ok")
done
printf 'test/package: %s\n' "${results[@]}" >&2
