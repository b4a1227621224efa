/**
 * One access or poll of an {@link IoRegion} at a width known only at run time: the `switch (width)` to
 * `readb`/`readw`/`readl`/`readq` (and the writes and polls) that register maps, the access wrappers, replay and
 * the command line would otherwise each write out. Each call makes exactly the one accessor call the width
 * names, so the region's own checks, barriers and errors apply unchanged. Internal: not exported from the
 * package.
 * @module
 */
import type { AccessWidth, IoRegion, PollCondition, PollOptions } from './io-region.js';
import { swab64 } from './swab.js';

/**
 * One read of `width` bytes at `offset` (kernel `readb`/`readw`/`readl`/`readq`; with `bigEndian`, `ioread16be`
 * / `ioread32be`, and for 8 bytes `readq` with the bytes swapped, as the kernel has no `ioread64be`).
 * @param region the region to read
 * @param width access width in bytes: 1, 2, 4 or 8
 * @param offset byte offset in the region, naturally aligned for `width`
 * @param bigEndian swap the bytes of a 2-, 4- or 8-byte value (one access of the full width); ignored for 1 byte
 * @returns the value: an unsigned `number` for widths 1, 2, 4; an unsigned `bigint` for width 8
 * @throws the region's access errors (`ERR_OUT_OF_RANGE`, `ERR_UNALIGNED`, `ERR_IOMEM_UNMAPPED`, `EFAULT`…)
 */
export function readByWidth(region: IoRegion, width: AccessWidth, offset: number, bigEndian = false): number | bigint {
  switch (width) {
    case 1:
      return region.readb(offset);
    case 2:
      return bigEndian ? region.ioread16be(offset) : region.readw(offset);
    case 4:
      return bigEndian ? region.ioread32be(offset) : region.readl(offset);
    default:
      return bigEndian ? swab64(region.readq(offset)) : region.readq(offset);
  }
}

/**
 * One write of `width` bytes at `offset` (kernel `writeb`/`writew`/`writel`/`writeq`; with `bigEndian`,
 * `iowrite16be` / `iowrite32be`, and for 8 bytes `writeq` of the byte-swapped value). `value` goes to the
 * accessor as it is, so the region's value checks apply.
 * @param region the region to write
 * @param width access width in bytes: 1, 2, 4 or 8
 * @param value a `number` for widths 1, 2, 4; a `bigint` (or a safe-integer `number`) for 8; a `bigint` for 8
 *   with `bigEndian`
 * @param offset byte offset in the region, naturally aligned for `width`
 * @param bigEndian swap the bytes of a 2-, 4- or 8-byte value (one access of the full width); ignored for 1 byte
 * @throws the region's access errors (`ERR_OUT_OF_RANGE`, `ERR_UNALIGNED`, `ERR_INVALID_ARG_TYPE`,
 *   `ERR_IOMEM_UNMAPPED`, `ERR_IOMEM_READONLY`, `EFAULT`…)
 */
export function writeByWidth(region: IoRegion, width: AccessWidth, value: number | bigint, offset: number, bigEndian = false): void {
  switch (width) {
    case 1:
      return region.writeb(value as number, offset);
    case 2:
      return bigEndian ? region.iowrite16be(value as number, offset) : region.writew(value as number, offset);
    case 4:
      return bigEndian ? region.iowrite32be(value as number, offset) : region.writel(value as number, offset);
    default:
      return region.writeq(bigEndian ? swab64(value as bigint) : (value as bigint), offset);
  }
}

/**
 * The region's sleeping poll of `width` bytes (kernel `readb_poll_timeout` … `readq_poll_timeout`,
 * include/linux/iopoll.h).
 * @param cond a predicate or `{ mask, value }`, of `number`s for widths 1, 2, 4 and `bigint`s for 8
 * @param sleepUs microseconds to sleep between reads
 * @param timeoutUs microseconds before giving up (0: never)
 * @param options `{ signal }` to abort the poll
 * @returns a promise of the last value read (`bigint` for width 8)
 * @throws (rejects) Error `ETIMEDOUT` carrying `.value`; the region's access and argument errors
 */
export function pollByWidth(
  region: IoRegion,
  width: AccessWidth,
  offset: number,
  cond: PollCondition<number | bigint>,
  sleepUs: number,
  timeoutUs: number,
  options?: PollOptions,
): Promise<number | bigint> {
  switch (width) {
    case 1:
      return region.readb_poll_timeout(offset, cond as PollCondition<number>, sleepUs, timeoutUs, options);
    case 2:
      return region.readw_poll_timeout(offset, cond as PollCondition<number>, sleepUs, timeoutUs, options);
    case 4:
      return region.readl_poll_timeout(offset, cond as PollCondition<number>, sleepUs, timeoutUs, options);
    default:
      return region.readq_poll_timeout(offset, cond as PollCondition<bigint>, sleepUs, timeoutUs, options);
  }
}

/**
 * The region's busy-waiting poll of `width` bytes (kernel `readb_poll_timeout_atomic` …
 * `readq_poll_timeout_atomic`, include/linux/iopoll.h).
 * @param cond a predicate or `{ mask, value }`, of `number`s for widths 1, 2, 4 and `bigint`s for 8
 * @param delayUs microseconds to busy-wait between reads (0: none)
 * @param timeoutUs microseconds before giving up (0: never)
 * @returns the last value read (`bigint` for width 8)
 * @throws Error `ETIMEDOUT` carrying `.value`; the region's access and argument errors
 */
export function pollAtomicByWidth(
  region: IoRegion,
  width: AccessWidth,
  offset: number,
  cond: PollCondition<number | bigint>,
  delayUs: number,
  timeoutUs: number,
): number | bigint {
  switch (width) {
    case 1:
      return region.readb_poll_timeout_atomic(offset, cond as PollCondition<number>, delayUs, timeoutUs);
    case 2:
      return region.readw_poll_timeout_atomic(offset, cond as PollCondition<number>, delayUs, timeoutUs);
    case 4:
      return region.readl_poll_timeout_atomic(offset, cond as PollCondition<number>, delayUs, timeoutUs);
    default:
      return region.readq_poll_timeout_atomic(offset, cond as PollCondition<bigint>, delayUs, timeoutUs);
  }
}
