/**
 * What a {@link SimRegion} talks to: a simulated device that answers single, width-exact bus accesses.
 * @module
 */
import type { AccessWidth } from '../io-region.js';

/**
 * A value on the simulated bus: an unsigned `number` for 1-, 2- and 4-byte accesses (0..2^32-1), an unsigned
 * `bigint` for 8-byte accesses (0..2^64-1).
 */
export type BusValue = number | bigint;

/**
 * A simulated device behind a {@link SimRegion}: the counterpart of a device's MMIO read/write handlers
 * (QEMU's `MemoryRegionOps.read/write`). The region has already checked bounds, alignment and value types;
 * the device sees only valid, naturally aligned accesses inside `size`, one call per bus access.
 */
export interface SimDevice {
  /** Size of the device's address space in bytes; the region's `size`. */
  readonly size: number;
  /**
   * One `width`-byte read at byte `offset`.
   * @returns an unsigned `number` for widths 1, 2 and 4; an unsigned `bigint` for width 8.
   */
  read(offset: number, width: AccessWidth): BusValue;
  /**
   * One `width`-byte write at byte `offset`. `value` is already unsigned and truncated to the width: a
   * `number` for widths 1, 2 and 4, a `bigint` for width 8.
   */
  write(offset: number, width: AccessWidth, value: BusValue): void;
}

/** `value` as the unsigned bus value of a `width`-byte access: `number` for 1/2/4, `bigint` for 8 (truncating). */
export function toBusValue(value: BusValue, width: AccessWidth): BusValue {
  if (width === 8) return BigInt.asUintN(64, typeof value === 'bigint' ? value : BigInt(value));
  const n = typeof value === 'bigint' ? Number(BigInt.asUintN(32, value)) : value;
  if (width === 4) return n >>> 0;
  return n & (width === 2 ? 0xffff : 0xff);
}

/** All ones for a `width`-byte access (what a read of nothing returns on many buses). */
export function allOnes(width: AccessWidth): BusValue {
  if (width === 8) return 0xffff_ffff_ffff_ffffn;
  return width === 4 ? 0xffff_ffff : width === 2 ? 0xffff : 0xff;
}
