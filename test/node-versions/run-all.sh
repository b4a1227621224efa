#!/usr/bin/env bash
# test/node-versions/run-all.sh [--no-vm] [MAJOR...]        (npm run test:all-node)
#
# Runs the whole test suite on every supported Node.js version with the ONE addon binary that the
# machine's node built (build/Release/mmio.node, from `npm ci`; N-API, so every version loads it):
#
#   the machine's node (20)   `npm test` and `npm run test:vm` (docs/testing.md)
#   22, 24, 26                the official builds pinned in test/node-versions/versions, installed from
#                             the npm registry by install.sh (cached); for each:
#                               <node> node_modules/vitest/vitest.mjs run
#                               test/vm/run.sh --uio --iommu --nvme --env CI=true -- <node> node_modules/vitest/vitest.mjs
#                                 run --config vitest.hw.config.ts
#                             with that node first on PATH (so anything a test spawns as `node` is it too)
#
# The host suites run one after the other; then the guest suites, up to two boots at once on a machine with
# two or more cores (each TCG guest keeps one core busy; env MMIO_NODE_VERSIONS_GUESTS sets the number), each
# guest's log printed whole when it ends.
# Before the suites, each version loads the addon (addon-info.mjs) on the host, and for 22/24/26 in the
# guest too, and must map exactly build/Release/mmio.node with the sha256 it had before the run.
# Prints a per-version summary and exits non-zero if any suite failed, ran no test, or any version loaded
# another binary: it never passes silently.
#
#   --no-vm   skip the hardware suite (shown as "skipped" in the summary; CI never passes this)
#   MAJOR...  only these versions, e.g. `run-all.sh 24 26` (default: all)
# Env: MMIO_NODE_CACHE (install.sh's cache), MMIO_VM_* (test/vm/run.sh).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO" || exit 1

die() {
  printf '\n######################################################################\n# node-versions: FAILED: %s\n######################################################################\n' "$*" >&2
  exit 1
}
trap 'die "interrupted"' INT TERM

vm=1 only=()
while (( $# )); do
  case $1 in
    --no-vm) vm='' ;;
    -h|--help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    [0-9]*) [[ $1 =~ ^[0-9]+$ ]] || die "a major version is a whole number, not '$1'"; only+=("$1") ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done
wanted() { (( ${#only[@]} == 0 )) && return 0; local m; for m in "${only[@]}"; do [[ $m == "$1" ]] && return 0; done; return 1; }

now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
t_start=$(now)

# --- the one binary -------------------------------------------------------------------------
ADDON=$REPO/build/Release/mmio.node
[[ -f $ADDON ]] || die "$ADDON is missing: build it once with the machine's node (npm ci)"
[[ -f $REPO/dist/lib/linux/addon.js ]] || die "dist/ is missing: npm run build"
[[ -f $REPO/node_modules/vitest/vitest.mjs ]] || die "node_modules/vitest is missing: npm ci"
ADDON_SHA=$(sha256sum "$ADDON" | cut -d' ' -f1)
EXPECT="$ADDON:$ADDON_SHA"

# --- the versions: label, node binary -------------------------------------------------------
default_node=$(command -v node) || die "no node on PATH"
default_version=$("$default_node" --version)
default_major=${default_version#v}; default_major=${default_major%%.*}
echo "== node-versions: the addon $ADDON (sha256 $ADDON_SHA), built by the machine's node $default_version"

labels=() nodes=()
wanted "$default_major" && { labels+=("$default_version"); nodes+=(""); }   # "" = the machine's node, via npm
pinned=$("$HERE/install.sh" --print) || die "install.sh could not install the Node versions"
while read -r major version path; do
  [[ $major == "$default_major" ]] && { echo "   (node $major: the machine's $default_version is tested; skipping the pinned $version)"; continue; }
  wanted "$major" || continue
  labels+=("v$version") nodes+=("$path")
done <<< "$pinned"
(( ${#labels[@]} )) || die "no version selected"

# --- run ------------------------------------------------------------------------------------
logdir=$(mktemp -d "${TMPDIR:-/tmp}/mmio-node-versions.XXXXXX") || die "mktemp failed"
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$logdir"' EXIT

# count_suite NAME RC: reads NAME's log, sets $rc, $counts and adds to the totals.
count_suite() {
  local name=$1 log="$logdir/$1.log" line p f s
  rc=$2
  # vitest's closing line, e.g. "Tests  7 failed | 285 passed | 2 skipped (294)"
  line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ *Tests +[0-9]' | tail -n1)
  p=$(grep -oE '[0-9]+ passed' <<< "$line" | grep -oE '[0-9]+' || true)
  f=$(grep -oE '[0-9]+ failed' <<< "$line" | grep -oE '[0-9]+' || true)
  s=$(grep -oE '[0-9]+ skipped' <<< "$line" | grep -oE '[0-9]+' || true)
  p=${p:-0} f=${f:-0} s=${s:-0}
  if (( rc == 0 && p == 0 )); then
    echo "node-versions: $name exited 0 but ran no test: counted as a failure" >&2
    rc=1
  fi
  (( rc != 0 && f == 0 )) && f=1   # a crash before any test result still counts as a failure
  counts="$p passed, $f failed"; (( s )) && counts+=", $s skipped"
  total_passed=$(( total_passed + p )) total_failed=$(( total_failed + f ))
}

# run_suite NAME -- COMMAND...: streams the output, keeps it in a log, sets $rc, $dur, $counts.
run_suite() {
  local name=$1; shift 2
  local t0
  t0=$(now)
  "$@" 2>&1 | tee "$logdir/$name.log"
  local code=${PIPESTATUS[0]}
  dur=$(secs "$t0" "$(now)")
  count_suite "$name" "$code"
}

# start_guest NAME -- COMMAND...: runs a guest suite in the background into its log; when it ends, NAME.rc
# holds its exit status and NAME.dur its duration. The guests are independent (own QEMU, own exchange
# directory) and each TCG guest keeps one host core busy, so on a machine with 2+ cores two of them run at once.
start_guest() {
  local name=$1; shift 2
  ( trap 'kill "$cpid" 2>/dev/null' TERM   # the guest's run.sh stops its QEMU on TERM
    t0=$(now); "$@" > "$logdir/$name.log" 2>&1 < /dev/null & cpid=$!; wait "$cpid"; code=$?
    secs "$t0" "$(now)" > "$logdir/$name.dur"; echo "$code" > "$logdir/$name.rc" ) &
}
cores=$(nproc 2>/dev/null || echo 1)
jobs_max=${MMIO_NODE_VERSIONS_GUESTS:-$(( cores >= 2 ? 2 : 1 ))}
[[ $jobs_max =~ ^[1-9][0-9]*$ ]] || die "MMIO_NODE_VERSIONS_GUESTS must be a positive whole number, not '$jobs_max'"

total_passed=0 total_failed=0 failures=0
hosts=() loaded=()
# 1. per version, in turn: which binary it loads, then the default suite on the host (streamed)
for i in "${!labels[@]}"; do
  label=${labels[$i]} node=${nodes[$i]}
  echo
  echo "================================================================ node $label"
  if [[ -z $node ]]; then
    info=$(node "$HERE/addon-info.mjs" --expect "$EXPECT")
  else
    info=$("$node" "$HERE/addon-info.mjs" --expect "$EXPECT")
  fi
  info_rc=$?
  echo "$info"
  if (( info_rc != 0 )); then
    failures=$(( failures + 1 )) total_failed=$(( total_failed + 1 ))
    hosts+=("FAILED to load $ADDON (see above); suites not run") loaded+=("")
    continue
  fi
  loaded+=(1)
  echo "---------------------------------------------------------------- node $label: default suite"
  if [[ -z $node ]]; then
    run_suite "$label-default" -- npm test
  else
    run_suite "$label-default" -- env PATH="$(dirname "$node"):$PATH" "$node" node_modules/vitest/vitest.mjs run
  fi
  (( rc )) && failures=$(( failures + 1 ))
  hosts+=("$( ((rc)) && echo FAILED || echo passed) $(printf '%7s s' "$dur")  $counts")
done

# 2. the hardware suite in the x86-64 guest, one boot per version, up to $jobs_max at once; each log is
#    printed whole when its guest ends (so the logs do not interleave)
guests=()
if [[ -n $vm ]]; then
  echo
  echo "== node-versions: the hardware suite in the guest, ${#labels[@]} boots, $jobs_max at a time"
  for i in "${!labels[@]}"; do
    label=${labels[$i]} node=${nodes[$i]}
    [[ -n ${loaded[$i]} ]] || continue
    while (( $(jobs -rp | wc -l) >= jobs_max )); do wait -n; done
    echo "   started: node $label"
    if [[ -z $node ]]; then
      start_guest "$label-hw" -- npm run test:vm
    else
      # The guest loads the addon with this node first, then runs the suite (one boot).
      # shellcheck disable=SC2016
      start_guest "$label-hw" -- env PATH="$(dirname "$node"):$PATH" test/vm/run.sh --uio --iommu --nvme --env CI=true -- \
        /bin/sh -c '"$0" test/node-versions/addon-info.mjs --expect "$1" &&
                    exec "$0" node_modules/vitest/vitest.mjs run --config vitest.hw.config.ts' "$node" "$EXPECT"
    fi
  done
  wait
fi
rows=()
for i in "${!labels[@]}"; do
  label=${labels[$i]}
  if [[ -z ${loaded[$i]} ]]; then
    rows+=("$(printf '%-10s %s' "$label" "${hosts[$i]}")")
    continue
  fi
  if [[ -z $vm ]]; then
    guest="skipped (--no-vm)"
  else
    echo
    echo "---------------------------------------------------------------- node $label: hardware suite (guest)"
    cat "$logdir/$label-hw.log"
    count_suite "$label-hw" "$(cat "$logdir/$label-hw.rc" 2>/dev/null || echo 1)"
    (( rc )) && failures=$(( failures + 1 ))
    guest="$( ((rc)) && echo FAILED || echo passed) $(printf '%7s s' "$(cat "$logdir/$label-hw.dur" 2>/dev/null || echo '?')")  $counts"
  fi
  rows+=("$(printf '%-10s %-42s %s' "$label" "${hosts[$i]}" "$guest")")
done

# The binary must not have been rebuilt by anything above.
after=$(sha256sum "$ADDON" | cut -d' ' -f1)
if [[ $after != "$ADDON_SHA" ]]; then
  echo "node-versions: $ADDON changed during the run ($ADDON_SHA -> $after)" >&2
  failures=$(( failures + 1 )) total_failed=$(( total_failed + 1 ))
fi

echo
echo "== node-versions: summary (one addon: $ADDON, sha256 ${ADDON_SHA:0:16}…, loaded by every version)"
printf '%-10s %-42s %s\n' "node" "default suite (host)" "hardware suite (x86-64 guest)"
printf '%s\n' "${rows[@]}"
echo "total $(secs "$t_start" "$(now)") s"
if (( failures )); then
  echo "node-versions: FAILED: $failures suite(s) or check(s) failed (see above)"
fi
echo "node-versions: $total_passed passed, $total_failed failed"
(( failures == 0 ))
