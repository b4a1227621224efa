/**
 * Argument checks shared by every backend, so each one rejects the same bad input with the same error.
 * The common case (a valid offset) costs a few comparisons; the diagnosis runs only when it fails.
 * @module
 */
import { rangeError, typeError } from './errors.js';

/** Throw the precise error for an offset that failed the fast test in {@link checkAccess}. */
export function diagnoseOffset(offset: unknown, width: number, size: number, what = 'offset'): never {
  if (typeof offset !== 'number') {
    throw typeError('ERR_INVALID_ARG_TYPE', `${what} must be a number of bytes, got ${describe(offset)}`);
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw rangeError('ERR_OUT_OF_RANGE', `${what} must be a non-negative integer number of bytes, got ${offset}`);
  }
  if (offset % width !== 0) {
    throw rangeError(
      'ERR_UNALIGNED',
      `${what} 0x${offset.toString(16)} is not aligned for a ${width * 8}-bit access (must be a multiple of ${width})`,
    );
  }
  throw rangeError(
    'ERR_OUT_OF_RANGE',
    `${what} 0x${offset.toString(16)} + ${width} bytes is beyond the region's ${size} bytes`,
  );
}

/**
 * Check that a `width`-byte access at `offset` lies inside a region of `size` bytes and is naturally aligned.
 * @throws TypeError `ERR_INVALID_ARG_TYPE`, RangeError `ERR_OUT_OF_RANGE` or `ERR_UNALIGNED`.
 */
export function checkAccess(offset: number, width: number, size: number): void {
  if (typeof offset === 'number' && offset >= 0 && offset <= size - width && offset % width === 0) return;
  diagnoseOffset(offset, width, size);
}

/** Largest unsigned value of each width; the smallest signed one is -(max + 1) / 2. */
function maxOf(width: 1 | 2 | 4): number {
  return width === 1 ? 0xff : width === 2 ? 0xffff : 0xffff_ffff;
}

/**
 * Check a value for an 8/16/32-bit write: an integer that fits the width, signed or unsigned
 * (so `~x` works). Returns it as the unsigned value that is stored.
 * @throws TypeError `ERR_INVALID_ARG_TYPE`, RangeError `ERR_OUT_OF_RANGE`.
 */
export function checkValue(value: number, width: 1 | 2 | 4): number {
  // Plain arithmetic, no table lookup: destructuring a per-width table here made V8 deoptimize every caller.
  const hi = maxOf(width);
  const lo = -(hi + 1) / 2;
  if (typeof value === 'number' && value >= lo && value <= hi && Number.isInteger(value)) {
    return width === 4 ? value >>> 0 : value & hi;
  }
  const write = `${width === 1 ? 'an' : 'a'} ${width * 8}-bit write`;
  if (typeof value !== 'number') {
    throw typeError('ERR_INVALID_ARG_TYPE', `value must be a number for ${write}, got ${describe(value)}`);
  }
  throw rangeError('ERR_OUT_OF_RANGE', `value ${value} does not fit ${write} (integer ${lo}..${hi})`);
}

const U64 = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);

/**
 * Check a value for a 64-bit write: a bigint (or safe-integer number) in -2^63..2^64-1. Returns it unsigned.
 * @throws TypeError `ERR_INVALID_ARG_TYPE`, RangeError `ERR_OUT_OF_RANGE`.
 */
export function checkValue64(value: bigint | number): bigint {
  if (typeof value === 'bigint') {
    if (value >= 0n && value <= U64) return value;
    if (value < 0n && value >= I64_MIN) return value & U64;
    throw rangeError('ERR_OUT_OF_RANGE', `value ${value} does not fit a 64-bit write (-2^63..2^64-1)`);
  }
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value) & U64;
  if (typeof value === 'number') {
    throw rangeError('ERR_OUT_OF_RANGE', `value ${value} must be a safe integer or a bigint for a 64-bit write`);
  }
  throw typeError('ERR_INVALID_ARG_TYPE', `value must be a bigint for a 64-bit write, got ${describe(value)}`);
}

/**
 * Check a byte count for a block operation at `offset`, against the region and an optional buffer.
 * @throws TypeError `ERR_INVALID_ARG_TYPE`, RangeError `ERR_OUT_OF_RANGE`.
 */
export function checkBlock(offset: number, count: number, size: number, bufferLength?: number, what = 'count'): void {
  if (typeof count !== 'number') {
    throw typeError('ERR_INVALID_ARG_TYPE', `${what} must be a number, got ${describe(count)}`);
  }
  if (!Number.isInteger(count) || count < 0) {
    throw rangeError('ERR_OUT_OF_RANGE', `${what} must be a non-negative integer, got ${count}`);
  }
  if (bufferLength !== undefined && count > bufferLength) {
    throw rangeError('ERR_OUT_OF_RANGE', `${what} ${count} is more than the buffer holds (${bufferLength})`);
  }
  if (typeof offset === 'number' && offset >= 0 && offset <= size - count && Number.isInteger(offset)) return;
  if (typeof offset === 'number' && offset >= 0 && Number.isInteger(offset)) {
    throw rangeError('ERR_OUT_OF_RANGE', `offset 0x${offset.toString(16)} + ${count} bytes is beyond the region's ${size} bytes`);
  }
  diagnoseOffset(offset, 1, size);
}

/**
 * Check that `buffer` is an instance of `ctor` (e.g. Uint32Array for `ioread32_rep`).
 * @throws TypeError `ERR_INVALID_ARG_TYPE`.
 */
export function checkBuffer(buffer: unknown, ctor: { new (n: number): ArrayBufferView; name: string }, what: string): void {
  if (!(buffer instanceof ctor)) {
    throw typeError('ERR_INVALID_ARG_TYPE', `${what} must be a ${ctor.name}, got ${describe(buffer)}`);
  }
}

/**
 * Check a time in microseconds (a poll's delay, sleep or timeout): a number in 0 .. 2^53 - 1 (285 years).
 * @throws TypeError `ERR_INVALID_ARG_TYPE`, RangeError `ERR_OUT_OF_RANGE`.
 */
export function checkMicros(us: number, what: string): void {
  if (typeof us !== 'number') {
    throw typeError('ERR_INVALID_ARG_TYPE', `${what} must be a number of microseconds, got ${describe(us)}`);
  }
  if (!(us >= 0) || !Number.isFinite(us)) {
    throw rangeError('ERR_OUT_OF_RANGE', `${what} must be a finite number of microseconds >= 0, got ${us}`);
  }
  if (us > Number.MAX_SAFE_INTEGER) {
    throw rangeError('ERR_OUT_OF_RANGE', `${what} must be at most 2^53 - 1 microseconds, got ${us}`);
  }
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return `bigint ${value}n`;
  if (typeof value === 'string') return `string '${value.length > 20 ? value.slice(0, 20) + '…' : value}'`;
  if (typeof value === 'object') return `an instance of ${(value as object).constructor?.name ?? 'Object'}`;
  return `${typeof value} ${String(value)}`;
}
