#!/bin/sh
# test/vm/init.sh — the guest's /init (busybox sh), copied into the initramfs by build-initramfs.sh.
#
# 1. mounts proc, sysfs, devtmpfs; silences kernel messages on the console
# 2. insmods the modules of /etc/mmio-vm/modules.boot (virtio PCI, 9p, overlay)
# 3. mounts the host's root (9p tag "hostroot", read-only) under a tmpfs overlay at /newroot, so
#    the guest can write anywhere (writes stay in guest RAM and vanish at power-off), and the
#    host's writable exchange directory (9p tag "xfer") at /newroot/run/mmio-vm
# 4. reads run.sh's settings from xfer/config; with VM_UIO=load|bind loads uio + uio_pci_generic,
#    with bind also binds the first edu device to uio_pci_generic (-> /dev/uio0); with VM_IOMMU=1 loads the
#    vfio modules and binds the last edu device to vfio-pci (-> /dev/vfio/<group>); the first NVMe controller goes
#    to vfio-pci (VM_IOMMU=1) or uio_pci_generic (UIO loaded), the others, with VM_NVME_KERNEL=1, to the nvme driver
# 5. chroots into /newroot and runs xfer/cmd (written by run.sh: cd, environment, the command)
#    with the host's /bin/sh, as root, stdin /dev/null, stdout/stderr on the serial console — or,
#    when the host's stdout is not a terminal (VM_TTY empty), on a pipe that cat copies to it
# 6. writes "<exit status> <uptime at start> <uptime at end>" to xfer/status and powers off.
# Any failure prints a line and powers off without a status: run.sh reports it loudly.

PATH=/bin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

fail() {
  echo "mmio-vm(init): FAILED: $*"
  stty -F /dev/console sane 2>/dev/null   # tcsetattr(TCSADRAIN): lets the message out first
  echo 0 > /proc/sys/kernel/printk
  poweroff -f
}

case " $(cat /proc/cmdline) " in *" mmio.verbose "*) VERBOSE=1 ;; *) VERBOSE= ; dmesg -n 1 ;; esac

# DMA without an IOMMU (openPhysDma) hands the device the physical addresses of mlocked 4 KiB pages; compaction may
# still move mlocked pages (to a new physical address the device does not know) unless this is 0. (A no-IOMMU NVMe
# run once lost every I/O completion, intermittently; moved pages are one cause this rules out.) See docs/vfio.md.
echo 0 > /proc/sys/vm/compact_unevictable_allowed 2>/dev/null || true

for m in $(cat /etc/mmio-vm/modules.boot); do
  insmod "/lib/modules/$m.ko" || fail "insmod $m"
done

P9=trans=virtio,version=9p2000.L,msize=262144
mkdir -p /lower /rw /newroot
mount -t 9p -o "$P9,ro,cache=loose" hostroot /lower || fail "mounting the host root (9p hostroot)"
mount -t tmpfs -o mode=0755 rw /rw && mkdir -p /rw/upper /rw/work || fail "tmpfs for the overlay"
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot \
  || fail "overlay over the host root"
mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -t devtmpfs devtmpfs /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 shm /newroot/dev/shm
X=/newroot/run/mmio-vm
mkdir -p "$X"
mount -t 9p -o "$P9" xfer "$X" || fail "mounting the exchange directory (9p xfer)"
read -r up _ < /proc/uptime
echo "$up" > "$X/started"
[ -f "$X/config" ] || fail "no config in the exchange directory"
. "$X/config"

# --- edu devices and UIO -------------------------------------------------------------------
EDU=
for d in /sys/bus/pci/devices/*; do
  [ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] && EDU="$EDU ${d##*/}"
done
EDU=${EDU# }
EDU_UIO='' UIO_DEV=''
if [ "$VM_UIO" = load ] || [ "$VM_UIO" = bind ]; then
  for m in $(cat /etc/mmio-vm/modules.uio); do
    insmod "/lib/modules/$m.ko" || fail "insmod $m"
  done
fi
if [ "$VM_UIO" = bind ]; then
  EDU_UIO=${EDU%% *}
  [ -n "$EDU_UIO" ] || fail "--uio: no edu device to bind"
  echo uio_pci_generic > "/sys/bus/pci/devices/$EDU_UIO/driver_override"
  echo "$EDU_UIO" > /sys/bus/pci/drivers_probe
  for u in "/sys/bus/pci/devices/$EDU_UIO/uio/"uio*; do UIO_DEV=/dev/${u##*/}; done
  [ -e "/newroot$UIO_DEV" ] || fail "--uio: binding $EDU_UIO to uio_pci_generic gave no /dev/uioN"
fi
EDU_VFIO='' VFIO_GROUP='' NVME_VFIO=''
if [ "$VM_IOMMU" = 1 ]; then
  for m in $(cat /etc/mmio-vm/modules.vfio); do
    insmod "/lib/modules/$m.ko" || fail "insmod $m"
  done
  EDU_VFIO=${EDU##* }
  [ -n "$EDU_VFIO" ] && [ "$EDU_VFIO" != "$EDU_UIO" ] || fail "--iommu: no edu device left to bind to vfio-pci (use --edu 2 or more)"
  [ -e "/sys/bus/pci/devices/$EDU_VFIO/iommu_group" ] || fail "--iommu: $EDU_VFIO has no IOMMU group (is the IOMMU on?)"
  echo vfio-pci > "/sys/bus/pci/devices/$EDU_VFIO/driver_override"
  echo "$EDU_VFIO" > /sys/bus/pci/drivers_probe
  VFIO_GROUP=$(readlink "/sys/bus/pci/devices/$EDU_VFIO/iommu_group"); VFIO_GROUP=${VFIO_GROUP##*/}
  [ -e "/newroot/dev/vfio/$VFIO_GROUP" ] || fail "--iommu: binding $EDU_VFIO to vfio-pci gave no /dev/vfio/$VFIO_GROUP"
fi
# --- NVMe (--nvme, --nvme-kernel) ----------------------------------------------------------
# QEMU's NVMe controllers (class 0x010802), in PCI order: the first (serial a1) goes to vfio-pci with --iommu, else
# to uio_pci_generic when the UIO modules are loaded (DMA without an IOMMU); with VM_NVME_KERNEL=1 the others go to
# the kernel's nvme driver (loaded only then), and the init waits for their namespace's block device.
NVME=
for d in /sys/bus/pci/devices/*; do
  [ "$(cat "$d/class")" = 0x010802 ] && NVME="$NVME ${d##*/}"
done
NVME=${NVME# }
NVME_FIRST=${NVME%% *} NVME_UIO='' NVME_UIO_DEV='' NVME_KERNEL='' NVME_KERNEL_DEV=''
bind_to() {   # bind_to DRIVER BDF
  echo "$1" > "/sys/bus/pci/devices/$2/driver_override"
  echo "$2" > /sys/bus/pci/drivers_probe
  [ -e "/sys/bus/pci/devices/$2/driver" ] || fail "--nvme: binding $2 to $1 failed"
}
if [ -n "$NVME_FIRST" ]; then
  if [ "$VM_IOMMU" = 1 ]; then
    bind_to vfio-pci "$NVME_FIRST"
    NVME_VFIO=$NVME_FIRST
  elif [ "$VM_UIO" = load ] || [ "$VM_UIO" = bind ]; then
    bind_to uio_pci_generic "$NVME_FIRST"
    NVME_UIO=$NVME_FIRST
    for u in "/sys/bus/pci/devices/$NVME_UIO/uio/"uio*; do NVME_UIO_DEV=/dev/${u##*/}; done
  else
    echo none > "/sys/bus/pci/devices/$NVME_FIRST/driver_override"   # stays free: not even the nvme driver takes it
  fi
fi
if [ "$VM_NVME_KERNEL" = 1 ]; then
  # poll_queues=1: one polled queue besides the interrupt-driven ones, so polled I/O (io_uring IOPOLL) can be
  # measured against the kernel too; ordinary reads still complete by interrupt
  for m in $(cat /etc/mmio-vm/modules.nvme); do
    p=''; [ "$m" = nvme ] && p=poll_queues=1
    insmod "/lib/modules/$m.ko" $p || fail "insmod $m $p"
  done
  for b in $NVME; do
    [ "$b" = "$NVME_FIRST" ] && continue
    bind_to nvme "$b"
    NVME_KERNEL="$NVME_KERNEL $b"
    # the controller's reset and the namespace scan run asynchronously after the probe
    n=0 dev=''
    while [ -z "$dev" ]; do
      for ns in "/sys/bus/pci/devices/$b/nvme/"nvme*/nvme*n1; do [ -e "$ns" ] && [ -e "/newroot/dev/${ns##*/}" ] && dev=/dev/${ns##*/}; done
      n=$((n + 1)); [ -n "$dev" ] || [ $n -lt 300 ] || fail "--nvme-kernel: no namespace block device for $b after 30 s"
      [ -n "$dev" ] || sleep 0.1
    done
    NVME_KERNEL_DEV="$NVME_KERNEL_DEV $dev"
  done
  [ -n "$NVME_KERNEL" ] || fail "--nvme-kernel: no second NVMe controller found"
fi
EDU_FREE=
for b in $EDU; do [ "$b" = "$EDU_UIO" ] || [ "$b" = "$EDU_VFIO" ] || EDU_FREE="$EDU_FREE $b"; done
{
  echo "MMIO_VM_EDU='$EDU'"
  echo "MMIO_VM_EDU_UIO='$EDU_UIO'"
  echo "MMIO_VM_UIO_DEV='$UIO_DEV'"
  echo "MMIO_VM_EDU_FREE='${EDU_FREE# }'"
  echo "MMIO_VM_EDU_VFIO='$EDU_VFIO'"
  echo "MMIO_VM_VFIO_GROUP='$VFIO_GROUP'"
  echo "MMIO_VM_NVME_VFIO='$NVME_VFIO'"
  echo "MMIO_VM_NVME_UIO='$NVME_UIO'"
  echo "MMIO_VM_NVME_UIO_DEV='$NVME_UIO_DEV'"
  echo "MMIO_VM_NVME_KERNEL='${NVME_KERNEL# }'"
  echo "MMIO_VM_NVME_KERNEL_DEV='${NVME_KERNEL_DEV# }'"
  [ -n "$NVME_FIRST" ] && echo "MMIO_VM_NVME_WRITES=/run/mmio-vm/nvme-writes"
} > "$X/guest.env"

# --- the console: size of the host's terminal, "\n" not turned into "\r\n" -----------------
stty -F /dev/console -onlcr
[ -n "$VM_COLS" ] && stty -F /dev/console cols "$VM_COLS" rows "$VM_ROWS" 2>/dev/null

# --- the command ---------------------------------------------------------------------------
[ -n "$VERBOSE" ] && echo "mmio-vm(init): edu: $EDU; uio: ${EDU_UIO:-none} ${UIO_DEV}"
read -r t0 _ < /proc/uptime
if [ "$VM_TTY" = 1 ]; then
  chroot /newroot /bin/sh /run/mmio-vm/cmd < /dev/null
  status=$?
else
  # The host's stdout is not a terminal, so the command's is not either: a pipe to the console
  # (tools then pick their non-interactive output, as they would on the host).
  mkfifo /out
  cat /out > /dev/console &
  catpid=$!
  chroot /newroot /bin/sh /run/mmio-vm/cmd < /dev/null > /out 2>&1
  status=$?
  # Leftover background processes would hold the pipe open: end them, then let cat finish.
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [ "$pid" = 1 ] || [ "$pid" = "$catpid" ] || kill -9 "$pid" 2>/dev/null
  done
  wait "$catpid"
fi
read -r t1 _ < /proc/uptime
stty -F /dev/console -onlcr 2>/dev/null   # tcsetattr(TCSADRAIN): waits until the output is out
echo "$status $t0 $t1" > "$X/status.tmp" && mv "$X/status.tmp" "$X/status"
umount "$X"
echo 0 > /proc/sys/kernel/printk   # not even the "reboot: Power down" line
poweroff -f
