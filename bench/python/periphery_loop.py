"""The python-periphery baseline: MMIO.read32/write32 on the same file the JS cases map.

    python3 periphery_loop.py <file> <size> <reg-offset> <target-ms> read32|write32 ...

Prints "<op> <ns per call>" for each op: one timed run of about <target-ms>. Exit status 3 when the
periphery module is missing (Debian: apt-get install python3-periphery).
"""
import sys
import time

try:
    from periphery import MMIO
except ImportError:
    sys.exit(3)


def ns_per_call(run, target_ns):
    """Double n until run(n) takes a quarter of target_ns, then time one run of about target_ns."""
    n = 64
    while True:
        t0 = time.perf_counter_ns()
        run(n)
        dt = time.perf_counter_ns() - t0
        if dt >= target_ns // 4:
            timed = n * target_ns // dt + 1
            t0 = time.perf_counter_ns()
            run(timed)
            return (time.perf_counter_ns() - t0) / timed
        n *= 2


def main():
    path, size, offset, target_ms = sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3], 0), int(sys.argv[4])
    mmio = MMIO(0, size, path=path)

    def read32(n):
        read = mmio.read32
        for _ in range(n):
            read(offset)

    def write32(n):
        write = mmio.write32
        for _ in range(n):
            write(offset, 0x12345678)

    ops = {"read32": read32, "write32": write32}
    for op in sys.argv[5:]:
        print(f"{op} {ns_per_call(ops[op], target_ms * 1_000_000):.2f}")
    mmio.close()


if __name__ == "__main__":
    main()
