/**
 * The one interface every backend implements: an `__iomem`-style region of device memory.
 *
 * Offsets are byte offsets from the start of the region (what the kernel writes as `base + REG`).
 * Argument order follows the kernel: reads take `(offset)`, writes take `(value, offset)`, so
 * `writel(val, base + REG)` ports as `base.writel(val, REG)`.
 *
 * Errors every access can throw:
 * - `RangeError` with `code` `ERR_OUT_OF_RANGE`: offset negative, not an integer, or the access would end
 *   past `size`.
 * - `RangeError` with `code` `ERR_UNALIGNED`: offset not a multiple of the access width.
 * - `TypeError` with `code` `ERR_INVALID_ARG_TYPE`: offset or value of the wrong type.
 * - `Error` with `code` `ERR_IOMEM_UNMAPPED`: the region was unmapped by {@link IoRegion.iounmap}.
 *
 * @module
 */
import type { AbortSignalLike } from './interrupts.js';

/** Access width in bytes. */
export type AccessWidth = 1 | 2 | 4 | 8;

/**
 * A polling condition: either a predicate on the value read, or `{ mask, value }`, which is met when
 * `(read & mask) === value`. The `{ mask, value }` form runs entirely in native code for
 * `*_poll_timeout_atomic`, so it reacts fastest.
 */
export type PollCondition<T extends number | bigint> = ((value: T) => boolean) | { mask: T; value: T };

/**
 * Options of the sleeping polls (`readX_poll_timeout`), after the kernel-shaped positional arguments
 * (the kernel has no equivalent: a sleeping kernel poll ends only by its condition or its timeout).
 */
export interface PollOptions {
  /**
   * Abort the poll: it rejects with an `AbortError` (code `ABORT_ERR`, `cause` = the signal's reason), at once if the
   * signal is already aborted (before any read), else as soon as the signal fires (the pending sleep is
   * cancelled; no further read is made).
   */
  signal?: AbortSignalLike;
}

/** An element array that `ioread*_rep` / `iowrite*_rep` move data to and from. */
export type RepBuffer = Uint8Array | Uint16Array | Uint32Array;

/**
 * A mapped region of I/O memory with the Linux kernel's accessors (include/asm-generic/io.h).
 *
 * `readX` is a relaxed load followed by the architecture's read barrier; `writeX` is the write barrier
 * followed by a relaxed store; the `_relaxed` forms have no barrier. Every access is a single load or
 * store of exactly the stated width: never split, merged or narrowed.
 */
export interface IoRegion extends Disposable {
  /** Length of the region in bytes. */
  readonly size: number;
  /** Physical (or file) address of offset 0: the `phys` given to ioremap, or the backend's base. */
  readonly phys: bigint;
  /** What backs the region: a device file path such as `/dev/mem`, or `sim:<name>` for a simulated one. */
  readonly path: string;
  /** False once {@link IoRegion.iounmap} has run. */
  readonly mapped: boolean;

  /** 8-bit read (kernel `readb`). */
  readb(offset: number): number;
  /** 16-bit little-endian read (kernel `readw`). */
  readw(offset: number): number;
  /** 32-bit little-endian read (kernel `readl`); an unsigned number 0..2^32-1. */
  readl(offset: number): number;
  /** 64-bit little-endian read (kernel `readq`). */
  readq(offset: number): bigint;
  /** `readb` without the read barrier (kernel `readb_relaxed`). */
  readb_relaxed(offset: number): number;
  /** `readw` without the read barrier (kernel `readw_relaxed`). */
  readw_relaxed(offset: number): number;
  /** `readl` without the read barrier (kernel `readl_relaxed`). */
  readl_relaxed(offset: number): number;
  /** `readq` without the read barrier (kernel `readq_relaxed`). */
  readq_relaxed(offset: number): bigint;

  /** 8-bit write (kernel `writeb`); `value` is truncated to 8 bits. */
  writeb(value: number, offset: number): void;
  /** 16-bit little-endian write (kernel `writew`); `value` is truncated to 16 bits. */
  writew(value: number, offset: number): void;
  /** 32-bit little-endian write (kernel `writel`); `value` is truncated to 32 bits. */
  writel(value: number, offset: number): void;
  /** 64-bit little-endian write (kernel `writeq`); `value` is truncated to 64 bits. */
  writeq(value: bigint, offset: number): void;
  /** `writeb` without the write barrier (kernel `writeb_relaxed`). */
  writeb_relaxed(value: number, offset: number): void;
  /** `writew` without the write barrier (kernel `writew_relaxed`). */
  writew_relaxed(value: number, offset: number): void;
  /** `writel` without the write barrier (kernel `writel_relaxed`). */
  writel_relaxed(value: number, offset: number): void;
  /** `writeq` without the write barrier (kernel `writeq_relaxed`). */
  writeq_relaxed(value: bigint, offset: number): void;

  /** Same as `readb` (kernel `ioread8`, lib/iomap.c). */
  ioread8(offset: number): number;
  /** Same as `readw` (kernel `ioread16`). */
  ioread16(offset: number): number;
  /** Same as `readl` (kernel `ioread32`). */
  ioread32(offset: number): number;
  /** Same as `readq` (kernel `ioread64`). */
  ioread64(offset: number): bigint;
  /** 16-bit big-endian read: one 16-bit load, bytes swapped (kernel `ioread16be`). */
  ioread16be(offset: number): number;
  /** 32-bit big-endian read: one 32-bit load, bytes swapped (kernel `ioread32be`). */
  ioread32be(offset: number): number;
  /** Same as `writeb` (kernel `iowrite8`). */
  iowrite8(value: number, offset: number): void;
  /** Same as `writew` (kernel `iowrite16`). */
  iowrite16(value: number, offset: number): void;
  /** Same as `writel` (kernel `iowrite32`). */
  iowrite32(value: number, offset: number): void;
  /** Same as `writeq` (kernel `iowrite64`). */
  iowrite64(value: bigint, offset: number): void;
  /** 16-bit big-endian write: bytes swapped, one 16-bit store (kernel `iowrite16be`). */
  iowrite16be(value: number, offset: number): void;
  /** 32-bit big-endian write: bytes swapped, one 32-bit store (kernel `iowrite32be`). */
  iowrite32be(value: number, offset: number): void;

  /**
   * Copy `count` bytes from the region at `offset` into `dst` (kernel `memcpy_fromio`). Uses the widest
   * naturally aligned accesses (8, then 4, 2, 1 bytes), each a single volatile load: never libc memcpy.
   * @throws RangeError `ERR_OUT_OF_RANGE` if `count` exceeds `dst.byteLength` or the region.
   */
  memcpy_fromio(dst: Uint8Array, offset: number, count: number): void;
  /** Copy `count` bytes from `src` into the region at `offset` (kernel `memcpy_toio`); accesses as memcpy_fromio. */
  memcpy_toio(offset: number, src: Uint8Array, count: number): void;
  /** Fill `count` bytes at `offset` with the byte `value` (kernel `memset_io`). */
  memset_io(offset: number, value: number, count: number): void;
  /**
   * Read `count` 8-bit values from the same register at `offset` into `dst` (a FIFO; kernel `ioread8_rep`).
   * @throws RangeError `ERR_OUT_OF_RANGE` if `count` exceeds `dst.length`.
   */
  ioread8_rep(offset: number, dst: Uint8Array, count: number): void;
  /** Read `count` 16-bit values from the same register into `dst` (kernel `ioread16_rep`). */
  ioread16_rep(offset: number, dst: Uint16Array, count: number): void;
  /** Read `count` 32-bit values from the same register into `dst` (kernel `ioread32_rep`). */
  ioread32_rep(offset: number, dst: Uint32Array, count: number): void;
  /** Write `count` 8-bit values from `src` to the same register at `offset` (kernel `iowrite8_rep`). */
  iowrite8_rep(offset: number, src: Uint8Array, count: number): void;
  /** Write `count` 16-bit values from `src` to the same register (kernel `iowrite16_rep`). */
  iowrite16_rep(offset: number, src: Uint16Array, count: number): void;
  /** Write `count` 32-bit values from `src` to the same register (kernel `iowrite32_rep`). */
  iowrite32_rep(offset: number, src: Uint32Array, count: number): void;

  /**
   * Poll `readb(offset)` until `cond` holds, busy-waiting (include/linux/iopoll.h
   * `readb_poll_timeout_atomic`). Spins with the CPU's pause/yield hint and `delayUs` microseconds between
   * reads; gives up after `timeoutUs` microseconds (0: wait forever).
   * @returns the last value read (which meets `cond`).
   * @throws Error `ETIMEDOUT` with `.value` = the last value read.
   */
  readb_poll_timeout_atomic(offset: number, cond: PollCondition<number>, delayUs: number, timeoutUs: number): number;
  /** 16-bit form of {@link IoRegion.readb_poll_timeout_atomic}. */
  readw_poll_timeout_atomic(offset: number, cond: PollCondition<number>, delayUs: number, timeoutUs: number): number;
  /** 32-bit form of {@link IoRegion.readb_poll_timeout_atomic} (kernel `readl_poll_timeout_atomic`). */
  readl_poll_timeout_atomic(offset: number, cond: PollCondition<number>, delayUs: number, timeoutUs: number): number;
  /** 64-bit form of {@link IoRegion.readb_poll_timeout_atomic}. */
  readq_poll_timeout_atomic(offset: number, cond: PollCondition<bigint>, delayUs: number, timeoutUs: number): bigint;
  /**
   * Poll `readb(offset)` until `cond` holds, sleeping between reads without blocking the event loop
   * (include/linux/iopoll.h `readb_poll_timeout`): as the kernel, `usleep_range((sleepUs >> 2) + 1, sleepUs)`
   * µs between reads (sleepUs 0: one event-loop turn), and once `timeoutUs` has passed (0: never) the read
   * made after noticing it decides. The sleep is a real one (a timerfd where the addon loads, 1 ms-resolution
   * Node timers elsewhere), never shorter than its minimum; see docs/design-fast-path.md for the slack.
   * @param sleepUs longest sleep between reads, µs, 0..MAX_WAIT_US (2^31 - 1 ms in µs)
   * @param timeoutUs µs before giving up, 0..MAX_WAIT_US (0: never)
   * @param options `{ signal }`: abort the poll.
   * @returns a promise of the last value read.
   * @throws (rejects) Error `ETIMEDOUT` with `.value` = the last value read; `AbortError` (code `ABORT_ERR`)
   *   when the signal fires; TypeError `ERR_INVALID_ARG_TYPE` / RangeError `ERR_OUT_OF_RANGE` for bad
   *   sleepUs, timeoutUs or options.
   */
  readb_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<number>;
  /** 16-bit form of {@link IoRegion.readb_poll_timeout}. */
  readw_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<number>;
  /** 32-bit form of {@link IoRegion.readb_poll_timeout} (kernel `readl_poll_timeout`). */
  readl_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<number>;
  /** 64-bit form of {@link IoRegion.readb_poll_timeout}. */
  readq_poll_timeout(offset: number, cond: PollCondition<bigint>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<bigint>;

  /**
   * Unmap the region (kernel `iounmap`). Every later access throws `ERR_IOMEM_UNMAPPED`; calling it again
   * does nothing. Also run by `using` (Symbol.dispose).
   */
  iounmap(): void;
}
