#!/usr/bin/env python3
"""test/vm/guest-check.py — the rig's own self-check, run INSIDE the guest:

    test/vm/run.sh --uio -- test/vm/guest-check.py

Checks, independently of the mmio library, what the hardware tests rely on: /dev/mem and
/dev/port exist; each edu device's BAR0 reads 0x010000ed through sysfs resource0 and through
/dev/mem, and its liveness register inverts; /dev/port reads the CMOS RTC; with --uio, the bound
edu has /dev/uioN, its map0 reads the registers, and an interrupt raised through 0x60 wakes a
blocking read of /dev/uioN. Registers are accessed 32 bits wide (memoryview cast 'I'): edu
answers 8-bit reads with 0.
"""
import mmap
import os
import select
import struct
import sys

EDU_ID = 0x010000ED
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}{(': ' + detail) if detail else ''}", flush=True)


def regs(fd, size, offset=0):
    m = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=offset)
    return m, memoryview(m).cast("I")


def edu_checks(bdf):
    dev = f"/sys/bus/pci/devices/{bdf}"
    start, end, _flags = (int(x, 16) for x in open(f"{dev}/resource").readline().split())
    size = end - start + 1
    check(f"{bdf} BAR0 size", size == 1 << 20, f"{size:#x} at {start:#x}")

    fd = os.open(f"{dev}/resource0", os.O_RDWR | os.O_SYNC)
    m, r = regs(fd, size)
    check(f"{bdf} resource0 id", r[0] == EDU_ID, f"{r[0]:#010x}")
    r[1] = 0x12345678
    check(f"{bdf} resource0 liveness", r[1] == (~0x12345678 & 0xFFFFFFFF), f"{r[1]:#010x}")
    byte = m[0]
    check(f"{bdf} 8-bit read gives 0 (edu is 32/64-bit only)", byte == 0, f"{byte:#x}")
    r.release(); m.close(); os.close(fd)

    fd = os.open("/dev/mem", os.O_RDWR | os.O_SYNC)
    m, r = regs(fd, 4096, start)
    check(f"{bdf} /dev/mem at {start:#x} id", r[0] == EDU_ID, f"{r[0]:#010x}")
    r.release(); m.close(); os.close(fd)


def uio_checks(bdf, uio_dev):
    name = os.path.basename(uio_dev)
    cls = f"/sys/class/uio/{name}"
    uname = open(f"{cls}/name").read().strip()
    check(f"{uio_dev} name", uname == "uio_pci_generic", uname)
    drv = os.path.basename(os.readlink(f"/sys/bus/pci/devices/{bdf}/driver"))
    check(f"{bdf} bound to", drv == "uio_pci_generic", drv)
    fd = os.open(uio_dev, os.O_RDWR)
    m, r = regs(fd, 4096, 0)  # map N is at offset N * page size
    check(f"{uio_dev} map0 id", r[0] == EDU_ID, f"{r[0]:#010x}")

    # uio_pci_generic masks INTx (PCI_COMMAND bit 10) after each interrupt; unmask through sysfs
    cfg = os.open(f"/sys/bus/pci/devices/{bdf}/config", os.O_RDWR)
    hi = os.pread(cfg, 1, 5)[0]
    os.pwrite(cfg, bytes([hi & ~0x04]), 5)
    r[0x60 // 4] = 0x1  # raise interrupt
    ready = select.select([fd], [], [], 5)[0]
    count = struct.unpack("I", os.read(fd, 4))[0] if ready else -1
    status = r[0x24 // 4]
    check(f"{uio_dev} interrupt wakes read()", bool(ready), f"count {count}, status {status:#x}")
    r[0x64 // 4] = status  # acknowledge
    os.close(cfg)
    r.release(); m.close(); os.close(fd)


def main():
    for path in ("/dev/mem", "/dev/port"):
        check(f"{path} exists", os.path.exists(path))
    fd = os.open("/dev/port", os.O_RDWR)
    os.pwrite(fd, b"\x00", 0x70)  # CMOS index 0: RTC seconds (BCD)
    sec = os.pread(fd, 1, 0x71)[0]
    os.close(fd)
    check("/dev/port CMOS seconds", (sec >> 4) < 6 and (sec & 15) < 10, f"{sec:#04x}")

    edus = os.environ.get("MMIO_VM_EDU", "").split()
    check("edu devices present", len(edus) > 0, " ".join(edus))
    for bdf in edus:
        edu_checks(bdf)
    uio_bdf, uio_dev = os.environ.get("MMIO_VM_EDU_UIO"), os.environ.get("MMIO_VM_UIO_DEV")
    if uio_bdf:
        check(f"{uio_dev} exists", os.path.exists(uio_dev))
        uio_checks(uio_bdf, uio_dev)
    for bdf in os.environ.get("MMIO_VM_EDU_FREE", "").split():
        check(f"{bdf} is free (no driver)", not os.path.exists(f"/sys/bus/pci/devices/{bdf}/driver"))

    failed = results.count(False)
    print(f"guest-check: {len(results) - failed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
