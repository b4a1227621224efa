#!/usr/bin/env bash
# test/vm/run.sh [options] -- COMMAND [ARG...]
#
# Runs COMMAND as root inside an x86-64 QEMU (TCG) guest booting a stock Debian kernel, with the
# host's root filesystem shared read-only (writes go to a RAM overlay), in the current directory,
# prints its output and exits with its exit status. See test/vm/README.md.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
  cat <<'EOF'
usage: test/vm/run.sh [options] -- COMMAND [ARG...]

  --uio            load uio + uio_pci_generic and bind the first edu device to it (/dev/uio0)
  --uio-load       only load uio + uio_pci_generic (the test binds devices itself)
  --iommu          emulated Intel IOMMU (before the other devices) + intel_iommu=on, the vfio modules
                   loaded, and the LAST edu bound to vfio-pci (/dev/vfio/<group>); default edu count 3
                   then, so one stays free (env MMIO_VM_IOMMU=1)
  --nvme           one QEMU NVMe controller (serial a1, 4 KiB LBAs) over a 64 MiB image in the exchange directory
                   that the host fills with a known pattern (test/vm/nvme-image.mjs) and checks after the guest
                   powers off; with --iommu bound to vfio-pci (MSI-X, a sparse BAR, a reset), else with --uio or
                   --uio-load to uio_pci_generic (env MMIO_VM_NVME=1; MMIO_VM_NVME_MB sets the size)
  --nvme-kernel    --nvme plus a second, identical controller (serial b2, its own image) on the kernel's nvme
                   driver: /dev/nvmeXn1 (env MMIO_VM_NVME_KERNEL=1)
  --hugepages N    reserve N 2 MiB huge pages at boot (kernel hugepages=N), while memory is not yet fragmented
                   (env MMIO_VM_HUGEPAGES)
  --edu N          number of QEMU edu devices (default 2, 3 with --iommu; env MMIO_VM_EDU_COUNT)
  --timeout SEC    give up (exit 124) when the guest has not reported after SEC seconds
                   (default 900; env MMIO_VM_TIMEOUT)
  --env NAME[=VAL] pass one more environment variable to the command (repeatable)
  --qemu-arg ARG   one more QEMU argument (repeatable; env MMIO_VM_QEMU_ARGS, split on spaces)
  --bzimage        boot the bzImage instead of the extracted ELF vmlinux (slower; env MMIO_VM_BOOT=bzimage)
  -v, --verbose    show kernel messages and the init's progress (env MMIO_VM_VERBOSE=1)
Env: MMIO_VM_CACHE (default <repo>/.cache/vm), MMIO_VM_MEM (1G), MMIO_VM_SMP (1).
Exit: the command's status; 124 when the guest timed out; 125 when the rig itself failed.
EOF
}

UIO=${MMIO_VM_UIO:-} EDU_COUNT=${MMIO_VM_EDU_COUNT:-} IOMMU=${MMIO_VM_IOMMU:-} NVME=${MMIO_VM_NVME:-} NVME_KERNEL=${MMIO_VM_NVME_KERNEL:-} TIMEOUT=${MMIO_VM_TIMEOUT:-900} HUGEPAGES=${MMIO_VM_HUGEPAGES:-}
VERBOSE=${MMIO_VM_VERBOSE:-} BOOT=${MMIO_VM_BOOT:-}
extra_env=()
read -r -a qemu_extra <<< "${MMIO_VM_QEMU_ARGS:-}"
need_arg() { (( $1 >= 2 )) || { usage >&2; vm_die "$2 needs a value" 2; }; }
while (( $# )); do
  case $1 in
    --uio) UIO=bind ;;
    --uio-load) UIO=load ;;
    --iommu) IOMMU=1 ;;
    --nvme) NVME=1 ;;
    --nvme-kernel) NVME=1 NVME_KERNEL=1 ;;
    --edu) need_arg $# "$1"; EDU_COUNT=$2; shift ;;
    --hugepages) need_arg $# "$1"; HUGEPAGES=$2; shift ;;
    --timeout) need_arg $# "$1"; TIMEOUT=$2; shift ;;
    --env) need_arg $# "$1"; extra_env+=("$2"); shift ;;
    --qemu-arg) need_arg $# "$1"; qemu_extra+=("$2"); shift ;;
    --bzimage) BOOT=bzimage ;;
    -v|--verbose) VERBOSE=1 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    -*) usage >&2; vm_die "unknown option $1" 2 ;;
    *) break ;;
  esac
  shift
done
(( $# )) || { usage >&2; vm_die "no command given" 2; }
[[ -n $EDU_COUNT ]] || { if [[ -n $IOMMU ]]; then EDU_COUNT=3; else EDU_COUNT=2; fi; }
[[ $EDU_COUNT =~ ^[0-9]+$ && $TIMEOUT =~ ^[0-9]+$ ]] || vm_die "--edu and --timeout take whole numbers" 2
[[ -n $NVME_KERNEL ]] && NVME=1
[[ -z $HUGEPAGES || $HUGEPAGES =~ ^[0-9]+$ ]] || vm_die "--hugepages takes a whole number" 2
NVME_MB=${MMIO_VM_NVME_MB:-64}
[[ $NVME_MB =~ ^[1-9][0-9]*$ ]] || vm_die "MMIO_VM_NVME_MB takes a whole number of MiB, not '$NVME_MB'" 2

"$VM_DIR/setup.sh" || vm_die "setup failed (see above): cannot boot the guest"
# shellcheck source=/dev/null
source "$CACHE_DIR/boot.env"
kernel=$VM_KERNEL
[[ $BOOT == bzimage ]] && kernel=$VM_BZIMAGE

# --- the exchange directory: config + cmd in, status out ------------------------------------
xfer=$(mktemp -d "${TMPDIR:-/tmp}/mmio-vm.XXXXXX") || vm_die "mktemp failed"
qpid=
cleanup() {
  if [[ -n $qpid ]] && kill -0 "$qpid" 2>/dev/null; then
    kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null
  fi
  rm -rf "$xfer"
}
trap cleanup EXIT
trap 'vm_die "interrupted; the guest was stopped" 130' INT TERM

cols='' rows='' tty=''
if [[ -t 1 ]]; then
  tty=1
  read -r rows cols < <(stty size < /dev/tty 2>/dev/null)
  [[ ${cols:-0} -gt 0 && ${rows:-0} -gt 0 ]] || cols='' rows=''
fi
{
  echo "VM_UIO=$(vm_shquote "$UIO")"
  echo "VM_IOMMU=$(vm_shquote "$IOMMU")"
  echo "VM_NVME_KERNEL=$(vm_shquote "$NVME_KERNEL")"
  echo "VM_COLS=$(vm_shquote "$cols")"
  echo "VM_ROWS=$(vm_shquote "$rows")"
  echo "VM_TTY=$tty"
} > "$xfer/config"

# The command's environment: a fixed list, LC_*, npm_config_*, MMIO_* (not the rig's MMIO_VM*),
# and --env. Without a terminal on the host side, TERM=dumb (the guest's console is a tty).
env_args=()
add_env() { [[ -n ${!1+set} ]] && env_args+=("$(vm_shquote "$1=${!1}")"); }
for name in PATH HOME USER LOGNAME LANG LANGUAGE TZ CI NODE_OPTIONS NODE_ENV NO_COLOR FORCE_COLOR \
            GITHUB_ACTIONS $(compgen -e | grep -E '^(LC_|npm_config_|MMIO_)' | grep -v '^MMIO_VM'); do
  add_env "$name"
done
if [[ -n $tty ]]; then add_env TERM; else env_args+=("TERM=dumb"); fi
for e in "${extra_env[@]}"; do
  if [[ $e == *=* ]]; then env_args+=("$(vm_shquote "$e")"); else add_env "$e"; fi
done
for name in MMIO_VM_EDU MMIO_VM_EDU_UIO MMIO_VM_UIO_DEV MMIO_VM_EDU_FREE MMIO_VM_EDU_VFIO MMIO_VM_VFIO_GROUP MMIO_VM_NVME_VFIO \
            MMIO_VM_NVME_UIO MMIO_VM_NVME_UIO_DEV MMIO_VM_NVME_KERNEL MMIO_VM_NVME_KERNEL_DEV MMIO_VM_NVME_WRITES; do
  env_args+=("\"$name=\$$name\"")   # values from guest.env, written by the init
done
[[ -n $NVME ]] && env_args+=("MMIO_VM_NVME_BYTES=$(( NVME_MB << 20 ))")
cmd_words=()
for w in "$@"; do cmd_words+=("$(vm_shquote "$w")"); done
cat > "$xfer/cmd" <<EOF
# written by test/vm/run.sh, run by the host's /bin/sh inside the guest
. /run/mmio-vm/guest.env
cd $(vm_shquote "$PWD") || { echo "mmio-vm: cannot cd to $(vm_shquote "$PWD") in the guest" >&2; exit 125; }
exec env -i MMIO_VM=x86_64 ${env_args[*]} ${cmd_words[*]}
EOF

# --- QEMU ----------------------------------------------------------------------------------
# The console is the second serial port (ttyS1): SeaBIOS prints its banner on the first one.
append="console=ttyS1 panic=-1 rdinit=/init"
# no_timer_check: with interrupt remapping, the kernel's early test of the timer through the IO-APIC sometimes
# fails under TCG on a loaded host and panics ("timer doesn't work through Interrupt-remapped IO-APIC"); the
# timer itself works, so skip the test.
[[ -n $IOMMU ]] && append+=" intel_iommu=on no_timer_check"
[[ -n $HUGEPAGES ]] && append+=" hugepages=$HUGEPAGES"
if [[ -n $VERBOSE ]]; then append+=" mmio.verbose"; else append+=" quiet loglevel=1"; fi
qemu=(qemu-system-x86_64 -machine q35 -accel tcg -cpu max
  -m "${MMIO_VM_MEM:-1G}" -smp "${MMIO_VM_SMP:-1}" -nographic -no-reboot -nic none
  -serial null -serial mon:stdio
  -kernel "$kernel" -initrd "$CACHE_DIR/initramfs.cpio" -append "$append")
# The IOMMU must come before the devices it translates for (QEMU attaches them to it as they are created).
[[ -n $IOMMU ]] && qemu+=(-device intel-iommu)
qemu+=(
  -fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
  -fsdev "local,id=xfer,path=${xfer//,/,,},security_model=none,multidevs=remap"
  -device virtio-9p-pci,fsdev=xfer,mount_tag=xfer)
for (( i = 0; i < EDU_COUNT; i++ )); do qemu+=(-device edu); done
# NVMe: the images hold a known pattern (nvme-image.mjs); 4 KiB logical blocks. The first controller (serial a1) is
# the one the init binds to vfio-pci / uio_pci_generic; the second (b2, --nvme-kernel) gets the kernel's nvme driver.
nvme_images=()
if [[ -n $NVME ]]; then
  nvme_images=(nvme.img)
  [[ -n $NVME_KERNEL ]] && nvme_images+=(nvme-kernel.img)
  serials=(a1 b2)
  for i in "${!nvme_images[@]}"; do
    node "$VM_DIR/nvme-image.mjs" create "$xfer/${nvme_images[i]}" $(( NVME_MB << 20 )) || vm_die "cannot write the NVMe image ${nvme_images[i]}"
    qemu+=(-drive "file=${xfer//,/,,}/${nvme_images[i]},if=none,format=raw,id=nv$i"
      -device "nvme,serial=${serials[i]},drive=nv$i,logical_block_size=4096,physical_block_size=4096")
  done
fi
qemu+=("${qemu_extra[@]}")
[[ -n $VERBOSE ]] && vm_log "${qemu[*]}"

now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "${t#0}"; }
fmt_us() { printf '%d.%02d' $(( $1 / 1000000 )) $(( $1 % 1000000 / 10000 )); }

t_launch=$(now_us) t_init='' timed_out=''
SECONDS=0
# stdin from /dev/null: QEMU leaves the host terminal alone (no raw mode), Ctrl-C reaches this script
"${qemu[@]}" < /dev/null &
qpid=$!
while kill -0 "$qpid" 2>/dev/null; do
  if [[ -z $t_init ]]; then
    [[ -e $xfer/started ]] && t_init=$(now_us)
    sleep 0.05
  else
    sleep 0.2
  fi
  if (( SECONDS >= TIMEOUT )); then timed_out=1; kill "$qpid" 2>/dev/null; break; fi
done
wait "$qpid"; qrc=$?
qpid=
t_end=$(now_us)

if [[ -n $timed_out ]]; then
  vm_die "the guest did not report an exit status within ${TIMEOUT} s and was killed (raise it with --timeout or MMIO_VM_TIMEOUT)" 124
fi
if [[ ! -s $xfer/status ]]; then
  vm_die "the guest stopped without reporting an exit status (qemu exit $qrc): QEMU, the kernel or the init failed; rerun with --verbose" 125
fi
read -r status g0 g1 < "$xfer/status"
cmd_us=$(( (10#${g1/./} - 10#${g0/./}) * 10000 ))
boot=${t_init:+$(fmt_us $(( t_init - t_launch ))) s}
printf 'mmio-vm: exit %d | boot %s (launch -> init ready, %s) | command %s s | total %s s\n' \
  "$status" "${boot:-?}" "${BOOT:-$VM_BOOT}" "$(fmt_us "$cmd_us")" "$(fmt_us $(( t_end - t_launch )))" >&2
# After the guest: each NVMe image holds the pattern, except the blocks the guest listed in nvme-writes (the first
# controller's) as written with another seed. A mismatch fails the run whatever the command said.
for img in "${nvme_images[@]}"; do
  writes=
  [[ $img == nvme.img ]] && writes=$xfer/nvme-writes
  node "$VM_DIR/nvme-image.mjs" check "$xfer/$img" $writes \
    || vm_die "the NVMe image $img does not hold what the guest wrote and the pattern elsewhere (listed above)" $(( status == 0 ? 1 : status ))
done
exit "$status"
