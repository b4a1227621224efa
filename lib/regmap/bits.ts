/**
 * Bit and bit-field helpers with the Linux kernel's names and meaning (include/linux/bits.h: `BIT`, `BIT_ULL`,
 * `GENMASK`, `GENMASK_ULL`; include/linux/bitfield.h: `FIELD_GET`, `FIELD_PREP`, `FIELD_FIT`, `FIELD_MAX`), so
 * register code ports line by line:
 *
 * ```ts
 * const CTRL_MODE = GENMASK(6, 4);
 * writel(FIELD_PREP(CTRL_MODE, 3) | BIT(0), CTRL);
 * const mode = FIELD_GET(CTRL_MODE, readl(CTRL));
 * ```
 *
 * Numbers: 32-bit masks and values are unsigned `number`s (0..2^32-1; `BIT(31)` is 0x80000000, never negative),
 * 64-bit ones are `bigint`s (0..2^64-1): the `_ULL` forms return bigints, and `FIELD_*` work on a bigint mask
 * with bigint values. A mask and its value must be of the same kind.
 *
 * What the kernel checks at compile time is checked here at run time, and more strictly: the kernel rejects a
 * constant value too large for its field at build time but silently truncates a variable one; here every value
 * that does not fit throws.
 *
 * Errors (Node-style, with `code`):
 * - RangeError `ERR_OUT_OF_RANGE`: a bit number outside 0..31 (0..63 for `_ULL`), a value that does not fit its
 *   field (`FIELD_PREP`), a register value beyond 32 (64) bits (`FIELD_GET`).
 * - RangeError `ERR_INVALID_ARG_VALUE`: `GENMASK(h, l)` with `h < l`; a mask that is zero or not one contiguous
 *   run of ones (the kernel's "mask is zero" / "mask is not contiguous").
 * - TypeError `ERR_INVALID_ARG_TYPE`: not a number (bigint for the 64-bit forms), or a number mask with a
 *   bigint value or the reverse.
 * @module
 */
import { describe } from '../core/checks.js';
import { rangeError, typeError } from '../core/errors.js';

const U32 = 0xffff_ffff;
const U64 = (1n << 64n) - 1n;

function checkBitNumber(nr: unknown, max: number, what: string, call: string): number {
  if (typeof nr !== 'number') throw typeError('ERR_INVALID_ARG_TYPE', `${call}: ${what} must be a number, got ${describe(nr)}`, `${what} is a bit number, an integer number in 0..${max}.`);
  if (!Number.isInteger(nr) || nr < 0 || nr > max) {
    throw rangeError('ERR_OUT_OF_RANGE', `${call}: ${what} must be an integer bit number 0..${max}, got ${nr}`, `${what} is a bit number, an integer number in 0..${max}.`);
  }
  return nr;
}

/**
 * The 32-bit value with only bit `nr` set (kernel `BIT(nr)`).
 * @param nr bit number 0..31
 * @returns `2 ** nr`, unsigned (`BIT(31)` = 0x80000000)
 * @throws RangeError `ERR_OUT_OF_RANGE` for `nr` outside 0..31 or not an integer; TypeError `ERR_INVALID_ARG_TYPE`.
 */
export function BIT(nr: number): number {
  return 2 ** checkBitNumber(nr, 31, 'nr', 'BIT');
}

/**
 * The 64-bit value with only bit `nr` set (kernel `BIT_ULL(nr)`).
 * @param nr bit number 0..63
 * @returns `1n << nr`
 * @throws RangeError `ERR_OUT_OF_RANGE` for `nr` outside 0..63; TypeError `ERR_INVALID_ARG_TYPE`.
 */
export function BIT_ULL(nr: number): bigint {
  return 1n << BigInt(checkBitNumber(nr, 63, 'nr', 'BIT_ULL'));
}

/**
 * A contiguous 32-bit mask from bit `l` up to and including bit `h` (kernel `GENMASK(h, l)`, high bit first).
 * @param h the highest bit, 0..31
 * @param l the lowest bit, 0..h
 * @returns the unsigned mask, e.g. `GENMASK(7, 4)` = 0xf0, `GENMASK(31, 0)` = 0xffffffff
 * @throws RangeError `ERR_OUT_OF_RANGE` for a bit outside 0..31; RangeError `ERR_INVALID_ARG_VALUE` if `h < l`
 *   (the kernel's GENMASK_INPUT_CHECK); TypeError `ERR_INVALID_ARG_TYPE`.
 */
export function GENMASK(h: number, l: number): number {
  checkBitNumber(h, 31, 'h', 'GENMASK');
  checkBitNumber(l, 31, 'l', 'GENMASK');
  if (h < l) throw rangeError('ERR_INVALID_ARG_VALUE', `GENMASK(h, l): h must be >= l (high bit first), got GENMASK(${h}, ${l})`, 'GENMASK takes the high bit first: GENMASK(7, 4) is 0xf0.');
  return (2 ** (h + 1) - 2 ** l) >>> 0;
}

/**
 * A contiguous 64-bit mask from bit `l` up to and including bit `h` (kernel `GENMASK_ULL(h, l)`).
 * @param h the highest bit, 0..63
 * @param l the lowest bit, 0..h
 * @returns the mask as a bigint, e.g. `GENMASK_ULL(39, 32)` = 0xff00000000n
 * @throws RangeError `ERR_OUT_OF_RANGE` for a bit outside 0..63; RangeError `ERR_INVALID_ARG_VALUE` if `h < l`;
 *   TypeError `ERR_INVALID_ARG_TYPE`.
 */
export function GENMASK_ULL(h: number, l: number): bigint {
  checkBitNumber(h, 63, 'h', 'GENMASK_ULL');
  checkBitNumber(l, 63, 'l', 'GENMASK_ULL');
  if (h < l) throw rangeError('ERR_INVALID_ARG_VALUE', `GENMASK_ULL(h, l): h must be >= l (high bit first), got GENMASK_ULL(${h}, ${l})`, 'GENMASK_ULL takes the high bit first: GENMASK_ULL(39, 32) is 0xff00000000n.');
  return (1n << BigInt(h + 1)) - (1n << BigInt(l));
}

const hex = (v: number | bigint): string => `0x${v.toString(16)}`;

/** A checked mask: the unsigned mask, its shift (the lowest set bit) and its field's largest value. */
interface Mask32 {
  mask: number;
  shift: number;
  max: number;
}
interface Mask64 {
  mask: bigint;
  shift: bigint;
  max: bigint;
}

/** A 32-bit mask: an integer in -2^31..2^32-1 (so `~x` works), non-zero and contiguous. */
function mask32(mask: number, call: string): Mask32 {
  if (!Number.isInteger(mask) || mask < -0x8000_0000 || mask > U32) {
    throw rangeError('ERR_OUT_OF_RANGE', `${call}: a number mask must be a 32-bit integer, got ${mask}; use a bigint mask for 64 bits`, 'a number mask is a 32-bit integer (0..0xffffffff, e.g. GENMASK(7, 4)); for 64-bit registers use a bigint mask (GENMASK_ULL).');
  }
  const m = mask >>> 0;
  if (m === 0) throw rangeError('ERR_INVALID_ARG_VALUE', `${call}: mask is zero`, 'a field mask has at least one bit set: build it with GENMASK(h, l) or BIT(n).');
  const shift = 31 - Math.clz32(m & -m);
  const width = 32 - Math.clz32(m) - shift;
  const max = 2 ** width - 1;
  if (m !== max * 2 ** shift) {
    throw rangeError('ERR_INVALID_ARG_VALUE', `${call}: mask ${hex(m)} is not one contiguous run of ones (use GENMASK(h, l))`, 'a field mask is one contiguous run of ones: build it with GENMASK(h, l).');
  }
  return { mask: m, shift, max };
}

/** A 64-bit mask: a bigint in -2^63..2^64-1, non-zero and contiguous. */
function mask64(mask: bigint, call: string): Mask64 {
  if (mask < -(1n << 63n) || mask > U64) {
    throw rangeError('ERR_OUT_OF_RANGE', `${call}: a bigint mask must fit 64 bits, got ${hex(mask)}`, 'a bigint mask fits 64 bits (0n..2n ** 64n - 1n): build it with GENMASK_ULL(h, l).');
  }
  const m = BigInt.asUintN(64, mask);
  if (m === 0n) throw rangeError('ERR_INVALID_ARG_VALUE', `${call}: mask is zero`, 'a field mask has at least one bit set: build it with GENMASK_ULL(h, l) or BIT_ULL(n).');
  let shift = 0n;
  while (((m >> shift) & 1n) === 0n) shift++;
  const max = m >> shift;
  if ((max & (max + 1n)) !== 0n) {
    throw rangeError('ERR_INVALID_ARG_VALUE', `${call}: mask ${hex(m)} is not one contiguous run of ones (use GENMASK_ULL(h, l))`, 'a field mask is one contiguous run of ones: build it with GENMASK_ULL(h, l).');
  }
  return { mask: m, shift, max };
}

function checkPair(mask: unknown, value: unknown, what: string, call: string): 'number' | 'bigint' {
  if (typeof mask !== 'number' && typeof mask !== 'bigint') {
    throw typeError('ERR_INVALID_ARG_TYPE', `${call}: mask must be a number or a bigint, got ${describe(mask)}`, 'the mask is a number (32-bit, GENMASK) or a bigint (64-bit, GENMASK_ULL).');
  }
  if (typeof value !== typeof mask) {
    throw typeError(
      'ERR_INVALID_ARG_TYPE',
      `${call}: ${what} must be a ${typeof mask} like the mask (${typeof mask === 'bigint' ? '64-bit' : '32-bit'}), got ${describe(value)}`,
      typeof mask === 'bigint' ? `a bigint mask takes a bigint ${what}, e.g. 1n.` : `a number mask takes a number ${what}, e.g. 1.`,
    );
  }
  return typeof mask === 'bigint' ? 'bigint' : 'number';
}

/**
 * The largest value the field `mask` holds (kernel `FIELD_MAX(mask)`): the mask shifted down to bit 0.
 * @param mask a contiguous mask: a 32-bit number or a 64-bit bigint
 * @returns `mask >> shift`, of the mask's type
 * @throws RangeError `ERR_INVALID_ARG_VALUE` for a zero or non-contiguous mask, `ERR_OUT_OF_RANGE` for a mask
 *   beyond 32 (64) bits; TypeError `ERR_INVALID_ARG_TYPE`.
 */
export function FIELD_MAX(mask: number): number;
export function FIELD_MAX(mask: bigint): bigint;
export function FIELD_MAX(mask: number | bigint): number | bigint {
  if (typeof mask === 'bigint') return mask64(mask, 'FIELD_MAX').max;
  if (typeof mask === 'number') return mask32(mask, 'FIELD_MAX').max;
  throw typeError('ERR_INVALID_ARG_TYPE', `FIELD_MAX: mask must be a number or a bigint, got ${describe(mask)}`, 'the mask is a number (32-bit, GENMASK) or a bigint (64-bit, GENMASK_ULL).');
}

/**
 * Extract the field `mask` from a register value (kernel `FIELD_GET(mask, reg)`): `(reg & mask) >> shift`.
 * @param mask a contiguous mask (32-bit number, or 64-bit bigint)
 * @param reg the register value, of the mask's type: a number in -2^31..2^32-1 (read as 32 bits unsigned) or a
 *   bigint in -2^63..2^64-1
 * @returns the field's value, unsigned, of the mask's type
 * @throws RangeError `ERR_INVALID_ARG_VALUE` for a bad mask; RangeError `ERR_OUT_OF_RANGE` if `reg` does not fit
 *   the mask's width (the kernel's "type of reg too small for mask", inverted) or is not an integer; TypeError
 *   `ERR_INVALID_ARG_TYPE` if `reg` is not of the mask's type.
 */
export function FIELD_GET(mask: number, reg: number): number;
export function FIELD_GET(mask: bigint, reg: bigint): bigint;
export function FIELD_GET(mask: number | bigint, reg: number | bigint): number | bigint {
  if (checkPair(mask, reg, 'reg', 'FIELD_GET') === 'bigint') {
    const m = mask64(mask as bigint, 'FIELD_GET');
    const r = reg as bigint;
    if (r < -(1n << 63n) || r > U64) throw rangeError('ERR_OUT_OF_RANGE', `FIELD_GET: reg ${hex(r)} does not fit 64 bits`, 'a 64-bit register value is a bigint in -(2n ** 63n)..2n ** 64n - 1n.');
    return (BigInt.asUintN(64, r) & m.mask) >> m.shift;
  }
  const m = mask32(mask as number, 'FIELD_GET');
  const r = reg as number;
  if (!Number.isInteger(r) || r < -0x8000_0000 || r > U32) {
    throw rangeError('ERR_OUT_OF_RANGE', `FIELD_GET: reg ${r} is not a 32-bit integer; use bigints for 64-bit registers`, 'a number register value is a 32-bit integer (-2^31..0xffffffff); use bigints (GENMASK_ULL masks) for 64-bit registers.');
  }
  return ((r & m.mask) >>> 0) / 2 ** m.shift;
}

/**
 * Shift `value` into the field `mask` (kernel `FIELD_PREP(mask, val)`), to OR into a register value.
 * @param mask a contiguous mask (32-bit number, or 64-bit bigint)
 * @param value the field's value: an integer 0..FIELD_MAX(mask), of the mask's type
 * @returns `value << shift`, unsigned, of the mask's type
 * @throws RangeError `ERR_OUT_OF_RANGE` if `value` is negative, not an integer or larger than the field holds
 *   (the kernel's "value too large for the field", checked for every value, not only constants); RangeError
 *   `ERR_INVALID_ARG_VALUE` for a bad mask; TypeError `ERR_INVALID_ARG_TYPE` if `value` is not of the mask's type.
 */
export function FIELD_PREP(mask: number, value: number): number;
export function FIELD_PREP(mask: bigint, value: bigint): bigint;
export function FIELD_PREP(mask: number | bigint, value: number | bigint): number | bigint {
  if (checkPair(mask, value, 'value', 'FIELD_PREP') === 'bigint') {
    const m = mask64(mask as bigint, 'FIELD_PREP');
    const v = value as bigint;
    if (v < 0n || v > m.max) {
      throw rangeError('ERR_OUT_OF_RANGE', `FIELD_PREP: value ${hex(v)} does not fit the field ${hex(m.mask)} (0..${hex(m.max)})`, `the field ${hex(m.mask)} holds 0..${hex(m.max)}: pass a value in that range (FIELD_MAX gives the top).`);
    }
    return v << m.shift;
  }
  const m = mask32(mask as number, 'FIELD_PREP');
  const v = value as number;
  if (!Number.isInteger(v) || v < 0 || v > m.max) {
    const shown = Number.isInteger(v) && v >= 0 ? hex(v) : String(v);
    throw rangeError('ERR_OUT_OF_RANGE', `FIELD_PREP: value ${shown} does not fit the field ${hex(m.mask)} (0..${hex(m.max)})`, `the field ${hex(m.mask)} holds 0..${hex(m.max)}: pass an integer in that range (FIELD_MAX gives the top).`);
  }
  return v * 2 ** m.shift;
}

/**
 * Whether `value` fits the field `mask` (kernel `FIELD_FIT(mask, val)`): an integer 0..FIELD_MAX(mask).
 * Negative, fractional and too-large values do not fit (false); only a bad mask or a wrong type throws.
 * @returns true if {@link FIELD_PREP} would accept `value`
 * @throws RangeError `ERR_INVALID_ARG_VALUE` / `ERR_OUT_OF_RANGE` for a bad mask; TypeError
 *   `ERR_INVALID_ARG_TYPE` if `value` is not of the mask's type.
 */
export function FIELD_FIT(mask: number, value: number): boolean;
export function FIELD_FIT(mask: bigint, value: bigint): boolean;
export function FIELD_FIT(mask: number | bigint, value: number | bigint): boolean {
  if (checkPair(mask, value, 'value', 'FIELD_FIT') === 'bigint') {
    const m = mask64(mask as bigint, 'FIELD_FIT');
    return (value as bigint) >= 0n && (value as bigint) <= m.max;
  }
  const m = mask32(mask as number, 'FIELD_FIT');
  const v = value as number;
  return Number.isInteger(v) && v >= 0 && v <= m.max;
}
