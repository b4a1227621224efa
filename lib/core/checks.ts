/**
 * Argument checks shared by every backend, so each one rejects the same bad input with the same error.
 * The common case (a valid offset) costs a few comparisons; the diagnosis runs only when it fails.
 * @module
 */
import type { AbortSignalLike } from './interrupts.js';
import { abortError, rangeError, typeError } from './errors.js';

/** Throw the precise error for an offset that failed the fast test in {@link checkAccess}. */
export function diagnoseOffset(offset: unknown, width: number, size: number, what = 'offset'): never {
  const hint = offsetHint(width, size, what);
  if (typeof offset !== 'number') {
    throw typeError('ERR_INVALID_ARG_TYPE', `${what} must be a number of bytes, got ${describe(offset)}`, hint);
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw rangeError('ERR_OUT_OF_RANGE', `${what} must be a non-negative integer number of bytes, got ${offset}`, hint);
  }
  if (offset % width !== 0) {
    throw rangeError(
      'ERR_UNALIGNED',
      `${what} 0x${offset.toString(16)} is not aligned for a ${width * 8}-bit access (must be a multiple of ${width})`,
      hint,
    );
  }
  throw rangeError(
    'ERR_OUT_OF_RANGE',
    `${what} 0x${offset.toString(16)} + ${width} bytes is beyond the region's ${size} bytes`,
    hint,
  );
}

/** The hint of every offset error: the valid offsets of a `width`-byte access in `size` bytes. */
function offsetHint(width: number, size: number, what: string): string {
  const last = size - width;
  if (last < 0) return `the region's ${size} bytes hold no ${width * 8}-bit access: map a larger region.`;
  const top = `0x${last.toString(16)}`;
  return width === 1
    ? `${what}s are byte offsets inside the region: an integer number in 0..${top}.`
    : `${what}s are byte offsets inside the region: an integer number in 0..${top} (size - ${width}), a multiple of ${width}.`;
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
  const hint = `${write} takes an integer number in ${lo}..0x${hi.toString(16)} (negative values are stored as two's complement).`;
  if (typeof value !== 'number') {
    throw typeError('ERR_INVALID_ARG_TYPE', `value must be a number for ${write}, got ${describe(value)}`, hint);
  }
  throw rangeError('ERR_OUT_OF_RANGE', `value ${value} does not fit ${write} (integer ${lo}..${hi})`, hint);
}

const U64 = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const VALUE64_HINT = 'a 64-bit write takes a bigint in -(2n ** 63n)..2n ** 64n - 1n (or a safe-integer number), e.g. 0xffn.';

/**
 * Check a value for a 64-bit write: a bigint (or safe-integer number) in -2^63..2^64-1. Returns it unsigned.
 * @throws TypeError `ERR_INVALID_ARG_TYPE`, RangeError `ERR_OUT_OF_RANGE`.
 */
export function checkValue64(value: bigint | number): bigint {
  if (typeof value === 'bigint') {
    if (value >= 0n && value <= U64) return value;
    if (value < 0n && value >= I64_MIN) return value & U64;
    throw rangeError('ERR_OUT_OF_RANGE', `value ${value} does not fit a 64-bit write (-2^63..2^64-1)`, VALUE64_HINT);
  }
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value) & U64;
  if (typeof value === 'number') {
    throw rangeError('ERR_OUT_OF_RANGE', `value ${value} must be a safe integer or a bigint for a 64-bit write`, VALUE64_HINT);
  }
  throw typeError('ERR_INVALID_ARG_TYPE', `value must be a bigint for a 64-bit write, got ${describe(value)}`, VALUE64_HINT);
}

/**
 * Check a byte count for a block operation at `offset`, against the region and an optional buffer.
 * @throws TypeError `ERR_INVALID_ARG_TYPE`, RangeError `ERR_OUT_OF_RANGE`.
 */
export function checkBlock(offset: number, count: number, size: number, bufferLength?: number, what = 'count'): void {
  const limit = bufferLength === undefined ? `size - offset` : `min(buffer length ${bufferLength}, size - offset)`;
  const countHint = (): string => `${what} is a whole number of bytes (or elements) in 0..${limit}, the region being ${size} bytes.`;
  if (typeof count !== 'number') {
    throw typeError('ERR_INVALID_ARG_TYPE', `${what} must be a number, got ${describe(count)}`, countHint());
  }
  if (!Number.isInteger(count) || count < 0) {
    throw rangeError('ERR_OUT_OF_RANGE', `${what} must be a non-negative integer, got ${count}`, countHint());
  }
  if (bufferLength !== undefined && count > bufferLength) {
    throw rangeError('ERR_OUT_OF_RANGE', `${what} ${count} is more than the buffer holds (${bufferLength})`, countHint());
  }
  if (typeof offset === 'number' && offset >= 0 && offset <= size - count && Number.isInteger(offset)) return;
  if (typeof offset === 'number' && offset >= 0 && Number.isInteger(offset)) {
    throw rangeError(
      'ERR_OUT_OF_RANGE',
      `offset 0x${offset.toString(16)} + ${count} bytes is beyond the region's ${size} bytes`,
      `a block of ${count} bytes fits at offsets 0..0x${Math.max(size - count, 0).toString(16)} of this ${size}-byte region: start lower or move fewer bytes.`,
    );
  }
  diagnoseOffset(offset, 1, size);
}

/**
 * Check that `buffer` is an instance of `ctor` (e.g. Uint32Array for `ioread32_rep`).
 * @throws TypeError `ERR_INVALID_ARG_TYPE`.
 */
export function checkBuffer(buffer: unknown, ctor: { new (n: number): ArrayBufferView; name: string }, what: string): void {
  if (!(buffer instanceof ctor)) {
    throw typeError(
      'ERR_INVALID_ARG_TYPE',
      `${what} must be a ${ctor.name}, got ${describe(buffer)}`,
      `pass a ${ctor.name} (e.g. new ${ctor.name}(count)); its element size is the access width.`,
    );
  }
}

/**
 * The longest timeout, delay or sleep any call takes: 2^31 - 1 ms (about 24.8 days), the longest a Node.js
 * timer can wait. Every `timeoutMs` is checked against 0..MAX_WAIT_MS and every microsecond delay, sleep or
 * timeout against 0..MAX_WAIT_MS * 1000, so a wait is either honoured in full or refused before it starts.
 */
export const MAX_WAIT_MS = 0x7fff_ffff;

/** {@link MAX_WAIT_MS} in microseconds. */
export const MAX_WAIT_US = MAX_WAIT_MS * 1000;

/**
 * Check a time in microseconds (a poll's delay, sleep or timeout): a number in 0..{@link MAX_WAIT_US}.
 * @throws TypeError `ERR_INVALID_ARG_TYPE`, RangeError `ERR_OUT_OF_RANGE`.
 */
export function checkMicros(us: number, what: string): void {
  const hint = (): string => `${what} is a number of microseconds in 0..${MAX_WAIT_US} (2^31-1 ms, about 24.8 days), e.g. 1000 for 1 ms.`;
  if (typeof us !== 'number') {
    throw typeError('ERR_INVALID_ARG_TYPE', `${what} must be a number of microseconds, got ${describe(us)}`, hint());
  }
  if (!(us >= 0 && us <= MAX_WAIT_US)) {
    throw rangeError('ERR_OUT_OF_RANGE', `${what} must be a number of microseconds in 0..${MAX_WAIT_US}, got ${us}`, hint());
  }
}

/**
 * Check a time in milliseconds (an interrupt wait's `timeoutMs`): a number in 0..{@link MAX_WAIT_MS}.
 * @throws TypeError `ERR_INVALID_ARG_TYPE`, RangeError `ERR_OUT_OF_RANGE`.
 */
export function checkMillis(ms: number, what: string): void {
  const hint = (): string => `${what} is a number of milliseconds in 0..${MAX_WAIT_MS} (about 24.8 days); leave it out to wait without a limit.`;
  if (typeof ms !== 'number') {
    throw typeError('ERR_INVALID_ARG_TYPE', `${what} must be a number of milliseconds, got ${describe(ms)}`, hint());
  }
  if (!(ms >= 0 && ms <= MAX_WAIT_MS)) {
    throw rangeError('ERR_OUT_OF_RANGE', `${what} must be a number of milliseconds in 0..${MAX_WAIT_MS}, got ${ms}`, hint());
  }
}

/**
 * Check a file path as Node's fs checks one: a non-empty string with no NUL byte (the kernel would stop at the
 * NUL and open the file named by the prefix).
 * @throws TypeError `ERR_INVALID_ARG_TYPE` (not a non-empty string), `ERR_INVALID_ARG_VALUE` (a NUL byte).
 */
export function checkPath(path: unknown, what = 'path'): asserts path is string {
  if (typeof path !== 'string' || path.length === 0) {
    throw typeError(
      'ERR_INVALID_ARG_TYPE',
      `${what} must be a non-empty string, got ${describe(path)}`,
      `${what} is a file name as a string, e.g. '/dev/uio0' or '/sys/bus/pci/devices/0000:00:04.0/resource0'.`,
    );
  }
  if (path.includes('\0')) {
    throw typeError(
      'ERR_INVALID_ARG_VALUE',
      `${what} must be a string without null bytes, got ${describe(path)}`,
      `${what} holds a NUL byte (\\0), which no file name can: the kernel would open the part before it; remove it.`,
    );
  }
}

/**
 * Check an options argument: `undefined` (no options) or an object (not null, not a primitive).
 * @returns the options, `{}` for `undefined`
 * @throws TypeError `ERR_INVALID_ARG_TYPE`.
 */
export function checkOptions<T extends object>(options: T | undefined, what = 'options'): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') {
    throw typeError(
      'ERR_INVALID_ARG_TYPE',
      `${what} must be an object, got ${describe(options)}`,
      `${what} is an object of named settings (e.g. { readOnly: true }), or leave it out.`,
    );
  }
  return options;
}

/**
 * Check an argument that must be an object (a region, a device, a resource): not null, not a primitive.
 * @throws TypeError `ERR_INVALID_ARG_TYPE`.
 */
export function checkObject(value: unknown, what: string): asserts value is object {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    throw typeError(
      'ERR_INVALID_ARG_TYPE',
      `${what} must be an object, got ${describe(value)}`,
      `${what} is the object the library gave you (a region from ioremap/mapFile/map(), a device, a resource), not ${describe(value)}.`,
    );
  }
}

/** A poll condition after {@link checkCondition}: a predicate, or a mask and value as bus values of the width. */
export type CheckedCondition =
  | { readonly kind: 'predicate'; readonly test: (value: number | bigint) => boolean }
  | { readonly kind: 'mask'; readonly mask: number | bigint; readonly value: number | bigint };

/** A mask or value operand for a poll of `width`: what a write of that width accepts, as the unsigned bus value. */
function checkOperand(x: unknown, width: 1 | 2 | 4 | 8, what: string): number | bigint {
  const read = `${width === 1 ? 'an' : 'a'} ${width * 8}-bit read`;
  if (width === 8) {
    if (typeof x === 'bigint' && x >= I64_MIN && x <= U64) return x & U64;
    if (typeof x === 'number' && Number.isSafeInteger(x)) return BigInt(x) & U64;
    const hint64 = `cond.${what} of ${read} is a bigint in -(2n ** 63n)..2n ** 64n - 1n (or a safe-integer number), e.g. { mask: 1n, value: 1n }.`;
    if (typeof x !== 'bigint' && typeof x !== 'number') {
      throw typeError('ERR_INVALID_ARG_TYPE', `cond.${what} must be a bigint for ${read}, got ${describe(x)}`, hint64);
    }
    throw rangeError('ERR_OUT_OF_RANGE', `cond.${what} ${String(x)} does not fit ${read} (-2^63..2^64-1)`, hint64);
  }
  const hi = maxOf(width);
  const lo = -(hi + 1) / 2;
  const hint = (): string => `cond.${what} of ${read} is an integer number in ${lo}..0x${hi.toString(16)} (not a bigint), e.g. { mask: 0x1, value: 0x1 }.`;
  if (typeof x !== 'number') throw typeError('ERR_INVALID_ARG_TYPE', `cond.${what} must be a number for ${read}, got ${describe(x)}`, hint());
  if (!(x >= lo && x <= hi && Number.isInteger(x))) {
    throw rangeError('ERR_OUT_OF_RANGE', `cond.${what} ${x} does not fit ${read} (integer ${lo}..${hi})`, hint());
  }
  return width === 4 ? x >>> 0 : x & hi;
}

/**
 * Check a poll condition for a read of `width` bytes, the same way for every backend:
 * - a function `(value) => boolean`: met when it returns a truthy value; one that returns a Promise (or any
 *   thenable) makes the poll throw TypeError `ERR_INVALID_RETURN_VALUE` (a poll cannot await it);
 * - `{ mask, value }`: met when `(read & mask) === value`; both operands must fit the width as a write's value
 *   must (numbers for 8/16/32 bits, signed or unsigned; a bigint or safe-integer number for 64 bits), and
 *   are taken as unsigned bus values (so `-1` / `-1n` is all ones).
 * @throws TypeError `ERR_INVALID_ARG_TYPE` (neither form, or an operand of the wrong type), RangeError
 *   `ERR_OUT_OF_RANGE` (an operand that does not fit the width).
 */
export function checkCondition(cond: unknown, width: 1 | 2 | 4 | 8): CheckedCondition {
  if (typeof cond === 'function') {
    const fn = cond as (value: number | bigint) => unknown;
    return {
      kind: 'predicate',
      test: (value) => {
        const met = fn(value);
        if (met !== null && (typeof met === 'object' || typeof met === 'function') && typeof (met as { then?: unknown }).then === 'function') {
          throw typeError(
            'ERR_INVALID_RETURN_VALUE',
            'cond must return a boolean, not a Promise: a poll cannot await it',
            'make cond a plain (not async) function (value) => boolean; do any awaiting before or after the poll.',
          );
        }
        return Boolean(met);
      },
    };
  }
  if (cond === null || typeof cond !== 'object' || !('mask' in cond) || !('value' in cond)) {
    throw typeError(
      'ERR_INVALID_ARG_TYPE',
      `cond must be a function (value) => boolean or { mask, value }, got ${describe(cond)}`,
      'pass (value) => boolean, or { mask, value } to wait until (read & mask) === value, e.g. { mask: 0x1, value: 0x1 }.',
    );
  }
  const { mask, value } = cond as { mask: unknown; value: unknown };
  return { kind: 'mask', mask: checkOperand(mask, width, 'mask'), value: checkOperand(value, width, 'value') };
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

/**
 * Check an AbortSignal argument structurally, as {@link AbortSignalLike} declares it (a boolean `aborted`,
 * `addEventListener` and `removeEventListener` functions): Node's, the DOM's, or any object of that shape. The one
 * check of every `signal` the package takes (interrupt waits and sleeping polls).
 * @param what the argument's name in the message (`signal`, `options.signal`)
 * @returns the signal, or `undefined` when it was left out
 * @throws TypeError `ERR_INVALID_ARG_TYPE`.
 */
export function checkSignal(signal: unknown, what = 'signal'): AbortSignalLike | undefined {
  if (signal === undefined) return undefined;
  const s = signal as Partial<AbortSignalLike> | null;
  if (s !== null && typeof s === 'object' && typeof s.aborted === 'boolean' && typeof s.addEventListener === 'function' && typeof s.removeEventListener === 'function') {
    return signal as AbortSignalLike;
  }
  throw typeError(
    'ERR_INVALID_ARG_TYPE',
    `${what} must be an AbortSignal, got ${describe(signal)}`,
    `${what} is an AbortSignal (e.g. AbortSignal.timeout(100) or new AbortController().signal), or leave it out.`,
  );
}

/**
 * The longest `busyPollUs` of an interrupt wait, µs: 10 ms. Beyond that the thread's event loop would stall for
 * longer than any interrupt latency worth spinning for; sleep in the event loop instead.
 */
export const MAX_BUSY_POLL_US = 10_000;

/** The options of an interrupt wait after {@link checkWaitOptions}. */
export interface CheckedWaitOptions {
  /** Milliseconds in 0..{@link MAX_WAIT_MS}; `undefined`: wait forever. */
  readonly timeoutMs?: number;
  /** The wait's AbortSignal, if one was given. */
  readonly signal?: AbortSignalLike;
  /** Microseconds in 0..{@link MAX_BUSY_POLL_US}; 0 when not given. */
  readonly busyPollUs: number;
}

/** The checked form of no options: wait forever, no signal, no busy poll. */
const NO_WAIT_OPTIONS: CheckedWaitOptions = Object.freeze({ busyPollUs: 0 });

/**
 * Check the options of an interrupt wait (lib/core/interrupts.ts), the same for every backend: `undefined` or
 * an object; `timeoutMs` undefined (forever) or milliseconds in 0..{@link MAX_WAIT_MS}; `signal` undefined or
 * an AbortSignal ({@link checkSignal}); `busyPollUs` undefined (0) or microseconds in 0..{@link MAX_BUSY_POLL_US}.
 * @throws TypeError `ERR_INVALID_ARG_TYPE`, RangeError `ERR_OUT_OF_RANGE`.
 */
export function checkWaitOptions(options: unknown): CheckedWaitOptions {
  if (options === undefined) return NO_WAIT_OPTIONS; // the common call, wait() with no options: nothing to build
  const { timeoutMs, signal, busyPollUs } = checkOptions(options as { timeoutMs?: number; signal?: unknown; busyPollUs?: number } | undefined);
  if (timeoutMs !== undefined) checkMillis(timeoutMs, 'timeoutMs');
  if (busyPollUs !== undefined) checkBusyPoll(busyPollUs);
  return { timeoutMs, signal: checkSignal(signal), busyPollUs: busyPollUs ?? 0 };
}

/** An interrupt wait's `busyPollUs`: a number of µs in 0..{@link MAX_BUSY_POLL_US}. */
function checkBusyPoll(us: unknown): void {
  const hint = (): string =>
    `busyPollUs is how long to spin before sleeping, in microseconds 0..${MAX_BUSY_POLL_US} (e.g. 50); leave it out to sleep at once.`;
  if (typeof us !== 'number') {
    throw typeError('ERR_INVALID_ARG_TYPE', `busyPollUs must be a number of microseconds, got ${describe(us)}`, hint());
  }
  if (!(us >= 0 && us <= MAX_BUSY_POLL_US)) {
    throw rangeError('ERR_OUT_OF_RANGE', `busyPollUs must be a number of microseconds in 0..${MAX_BUSY_POLL_US}, got ${us}`, hint());
  }
}

/**
 * The start of every backend's interrupt wait: the options checked ({@link checkWaitOptions}) and a signal that
 * has already fired refused, before anything waits.
 * @returns the checked options, or the rejected Promise the wait returns (the options' TypeError/RangeError, or
 *   `ABORT_ERR` with the signal's reason)
 */
export function beginWait(options: unknown): CheckedWaitOptions | Promise<never> {
  let checked: CheckedWaitOptions;
  try {
    checked = checkWaitOptions(options);
  } catch (e) {
    return Promise.reject(e);
  }
  if (checked.signal?.aborted) return Promise.reject(abortError(checked.signal.reason));
  return checked;
}
