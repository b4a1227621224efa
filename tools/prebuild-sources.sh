#!/usr/bin/env bash
# tools/prebuild-sources.sh — on stdout, what the prebuilds are built from: the sha256 of every native
# source, binding.gyp and the build script, the node-addon-api and node-api-headers versions in
# node_modules, and last a `total` line (the sha256 of the lines above). tools/arm/prebuild.sh writes it
# to prebuilds/SOURCES.sha256; tools/prepack.sh compares that file with a fresh run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
body=$(
  sha256sum binding.gyp tools/arm/prebuild.sh $(find native -type f -not -name "*~" | LC_ALL=C sort) | LC_ALL=C sort -k2
  for p in node-addon-api node-api-headers; do
    printf '%s %s\n' "$p" "$(node -p "require('./node_modules/$p/package.json').version")"
  done
)
printf '%s\n' "$body"
printf 'total %s\n' "$(printf '%s\n' "$body" | sha256sum | cut -d' ' -f1)"
