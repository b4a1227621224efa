/**
 * Byte swaps of 16-, 32- and 64-bit values, as the kernel's include/uapi/linux/swab.h (`swab16`, `swab32`,
 * `swab64`): what the big-endian accessors (`ioread32be`…) do to a value between the bus and the caller.
 * Internal: not exported from the package.
 * @module
 */

/**
 * Swap the two bytes of a 16-bit value (kernel `swab16`).
 * @param v an integer; only its low 16 bits are used
 * @returns the swapped value, an unsigned number 0..0xffff
 */
export function swab16(v: number): number {
  return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
}

/**
 * Swap the four bytes of a 32-bit value (kernel `swab32`).
 * @param v an integer; only its low 32 bits are used
 * @returns the swapped value, an unsigned number 0..0xffff_ffff
 */
export function swab32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/**
 * Swap the eight bytes of a 64-bit value (kernel `swab64`): for big-endian 64-bit accesses, which the kernel's
 * accessor API has none of.
 * @param value a bigint; only its low 64 bits are used
 * @returns the swapped value, an unsigned bigint 0..2^64-1
 * @throws TypeError (from BigInt.asUintN) if `value` is not a bigint
 */
export function swab64(value: bigint): bigint {
  let v = BigInt.asUintN(64, value);
  let r = 0n;
  for (let i = 0; i < 8; i++) {
    r = (r << 8n) | (v & 0xffn);
    v >>= 8n;
  }
  return r;
}
