/**
 * The value of one bus access as the device sees it: unsigned, truncated to the access width.
 * @module
 */
import type { AccessWidth } from './io-region.js';

/**
 * A value on the bus: an unsigned `number` for 1-, 2- and 4-byte accesses (0..2^32-1), an unsigned
 * `bigint` for 8-byte accesses (0..2^64-1).
 */
export type BusValue = number | bigint;

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
