/**
 * The kernel-named {@link IoRegion} family written once, over a few primitives (as include/asm-generic/io.h
 * builds readl, readl_relaxed, ioread32, ioread32be... on a handful of raw accessors).
 *
 * A backend extends {@link RegionBase} and implements:
 * - {@link RegionBase.read} and {@link RegionBase.write}: one access of one width, told which accessor asked
 *   for it (`via`: `'readl'`, `'readl_relaxed'`, `'ioread32be'`, `'readl_poll_timeout'`...), making the checks
 *   every access makes (mapped, offset, value) in that order;
 * - {@link RegionBase.busRead} and {@link RegionBase.busWrite}: one unchecked access, for the block and `_rep`
 *   operations, which check their whole range once;
 * - `size`, `phys`, `path`, `mapped` and `iounmap`.
 *
 * It gets every readX/writeX, their `_relaxed` forms, ioreadN/iowriteN, the big-endian forms, memcpy_fromio,
 * memcpy_toio, memset_io, the `_rep` forms and both polls. A backend may override any of them (the observing
 * wrappers pass block operations to their inner region whole; replay runs its own poll loop through
 * {@link RegionBase.pollSync} / {@link RegionBase.pollAsync}). NativeRegion (lib/linux/) keeps its own
 * hand-unrolled hot path and does not extend this class. Internal: not exported from the package.
 * @module
 */
import type { BusValue } from './bus-value.js';
import { forEachChunk, getLittleEndian, setLittleEndian } from './block-chunks.js';
import { checkAccess, checkBlock, checkBuffer, checkValue, checkValue64 } from './checks.js';
import { unmappedError } from './errors.js';
import type { AccessWidth, IoRegion, PollCondition, PollOptions } from './io-region.js';
import { pollAsync, pollAtomic } from './poll.js';
import { swab16, swab32 } from './swab.js';

/** The polls, as named in their `ETIMEDOUT` errors' `syscall`. */
export type PollAccessor = `read${'b' | 'w' | 'l' | 'q'}_poll_timeout${'' | '_atomic'}`;

/** The accessor a single read came through: a plain, relaxed, io or big-endian read, or a poll's read. */
export type ReadAccessor =
  | `read${'b' | 'w' | 'l' | 'q'}${'' | '_relaxed'}`
  | `ioread${8 | 16 | 32 | 64}`
  | 'ioread16be'
  | 'ioread32be'
  | PollAccessor;

/** The accessor a single write came through. */
export type WriteAccessor = `write${'b' | 'w' | 'l' | 'q'}${'' | '_relaxed'}` | `iowrite${8 | 16 | 32 | 64}` | 'iowrite16be' | 'iowrite32be';

/** True for the accessors whose value is byte-swapped between the CPU and the bus. */
export function isBigEndian(via: ReadAccessor | WriteAccessor): boolean {
  return via === 'ioread16be' || via === 'ioread32be' || via === 'iowrite16be' || via === 'iowrite32be';
}

/** The value as it crosses the bus for `via`: swapped for the big-endian accessors, unchanged otherwise. */
export function swabFor(via: ReadAccessor | WriteAccessor, value: number, width: AccessWidth): number {
  if (!isBigEndian(via)) return value;
  return width === 2 ? swab16(value) : swab32(value);
}

/** A `_rep` count: an integer 0..buffer length (elements). Uses checkBlock so messages match the native side. */
function checkRepCount(count: number, length: number): void {
  // The offset was checked before and every element goes to that same offset: only the count matters here.
  checkBlock(0, count, Infinity, length);
}

type RepArray = Uint8Array | Uint16Array | Uint32Array;
type RepCtor<T extends RepArray> = { new (n: number): T; name: string };

/** See the module description. */
export abstract class RegionBase implements IoRegion {
  abstract readonly size: number;
  abstract readonly phys: bigint;
  abstract readonly path: string;
  abstract readonly mapped: boolean;
  abstract iounmap(): void;

  /**
   * One read of `width` bytes at `offset` for the accessor `via`, after the checks (mapped, then the offset).
   * @returns the value as the accessor returns it: byte-swapped for the big-endian accessors; an unsigned
   *   `number` for widths 1, 2, 4, an unsigned `bigint` for 8
   */
  protected abstract read(via: ReadAccessor, offset: number, width: AccessWidth): BusValue;

  /**
   * One write of `value` (as the caller passed it, unchecked) at `offset` for the accessor `via`, after the
   * checks (mapped, the offset, then the value); big-endian accessors store it byte-swapped.
   */
  protected abstract write(via: WriteAccessor, value: number | bigint, offset: number, width: AccessWidth): void;

  /** One read with no checks: the range was checked by the block or `_rep` operation that makes it. */
  protected abstract busRead(offset: number, width: AccessWidth): BusValue;

  /** One write of a bus value (unsigned, of the width) with no checks, as {@link RegionBase.busRead}. */
  protected abstract busWrite(offset: number, width: AccessWidth, value: BusValue): void;

  /** The checks before a block operation's, a `_rep`'s or a poll's first access: mapped, then the offset. */
  protected checkAccess(offset: number, width: AccessWidth): void {
    if (!this.mapped) throw unmappedError(this.path);
    checkAccess(offset, width, this.size);
  }

  /** The checks of a write's value, after the offset's: a `number` of the width, or a 64-bit `bigint`. */
  protected checkWriteValue(value: number | bigint, width: AccessWidth): BusValue {
    return width === 8 ? checkValue64(value) : checkValue(value as number, width);
  }

  readb(offset: number): number {
    return this.read('readb', offset, 1) as number;
  }
  readw(offset: number): number {
    return this.read('readw', offset, 2) as number;
  }
  readl(offset: number): number {
    return this.read('readl', offset, 4) as number;
  }
  readq(offset: number): bigint {
    return this.read('readq', offset, 8) as bigint;
  }
  readb_relaxed(offset: number): number {
    return this.read('readb_relaxed', offset, 1) as number;
  }
  readw_relaxed(offset: number): number {
    return this.read('readw_relaxed', offset, 2) as number;
  }
  readl_relaxed(offset: number): number {
    return this.read('readl_relaxed', offset, 4) as number;
  }
  readq_relaxed(offset: number): bigint {
    return this.read('readq_relaxed', offset, 8) as bigint;
  }
  ioread8(offset: number): number {
    return this.read('ioread8', offset, 1) as number;
  }
  ioread16(offset: number): number {
    return this.read('ioread16', offset, 2) as number;
  }
  ioread32(offset: number): number {
    return this.read('ioread32', offset, 4) as number;
  }
  ioread64(offset: number): bigint {
    return this.read('ioread64', offset, 8) as bigint;
  }
  ioread16be(offset: number): number {
    return this.read('ioread16be', offset, 2) as number;
  }
  ioread32be(offset: number): number {
    return this.read('ioread32be', offset, 4) as number;
  }

  writeb(value: number, offset: number): void {
    this.write('writeb', value, offset, 1);
  }
  writew(value: number, offset: number): void {
    this.write('writew', value, offset, 2);
  }
  writel(value: number, offset: number): void {
    this.write('writel', value, offset, 4);
  }
  writeq(value: bigint, offset: number): void {
    this.write('writeq', value, offset, 8);
  }
  writeb_relaxed(value: number, offset: number): void {
    this.write('writeb_relaxed', value, offset, 1);
  }
  writew_relaxed(value: number, offset: number): void {
    this.write('writew_relaxed', value, offset, 2);
  }
  writel_relaxed(value: number, offset: number): void {
    this.write('writel_relaxed', value, offset, 4);
  }
  writeq_relaxed(value: bigint, offset: number): void {
    this.write('writeq_relaxed', value, offset, 8);
  }
  iowrite8(value: number, offset: number): void {
    this.write('iowrite8', value, offset, 1);
  }
  iowrite16(value: number, offset: number): void {
    this.write('iowrite16', value, offset, 2);
  }
  iowrite32(value: number, offset: number): void {
    this.write('iowrite32', value, offset, 4);
  }
  iowrite64(value: bigint, offset: number): void {
    this.write('iowrite64', value, offset, 8);
  }
  iowrite16be(value: number, offset: number): void {
    this.write('iowrite16be', value, offset, 2);
  }
  iowrite32be(value: number, offset: number): void {
    this.write('iowrite32be', value, offset, 4);
  }

  /** Checks in the native backend's order: the buffer's type, mapped, then the range. */
  memcpy_fromio(dst: Uint8Array, offset: number, count: number): void {
    checkBuffer(dst, Uint8Array, 'dst');
    if (!this.mapped) throw unmappedError(this.path);
    checkBlock(offset, count, this.size, dst.byteLength);
    const out = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
    forEachChunk(offset, count, (at, width, index) => setLittleEndian(out, index, width, this.busRead(at, width)));
  }

  memcpy_toio(offset: number, src: Uint8Array, count: number): void {
    checkBuffer(src, Uint8Array, 'src');
    if (!this.mapped) throw unmappedError(this.path);
    checkBlock(offset, count, this.size, src.byteLength);
    const from = new DataView(src.buffer, src.byteOffset, src.byteLength);
    forEachChunk(offset, count, (at, width, index) => this.busWrite(at, width, getLittleEndian(from, index, width)));
  }

  /** Checks in the native backend's order: the byte value, mapped, then the range. */
  memset_io(offset: number, value: number, count: number): void {
    const byte = checkValue(value, 1);
    if (!this.mapped) throw unmappedError(this.path);
    checkBlock(offset, count, this.size);
    const pattern = { 1: byte, 2: byte * 0x101, 4: (byte * 0x0101_0101) >>> 0, 8: BigInt(byte) * 0x0101_0101_0101_0101n };
    forEachChunk(offset, count, (at, width) => this.busWrite(at, width, pattern[width]));
  }

  ioread8_rep(offset: number, dst: Uint8Array, count: number): void {
    this.#readRep(offset, dst, count, 1, Uint8Array);
  }
  ioread16_rep(offset: number, dst: Uint16Array, count: number): void {
    this.#readRep(offset, dst, count, 2, Uint16Array);
  }
  ioread32_rep(offset: number, dst: Uint32Array, count: number): void {
    this.#readRep(offset, dst, count, 4, Uint32Array);
  }
  iowrite8_rep(offset: number, src: Uint8Array, count: number): void {
    this.#writeRep(offset, src, count, 1, Uint8Array);
  }
  iowrite16_rep(offset: number, src: Uint16Array, count: number): void {
    this.#writeRep(offset, src, count, 2, Uint16Array);
  }
  iowrite32_rep(offset: number, src: Uint32Array, count: number): void {
    this.#writeRep(offset, src, count, 4, Uint32Array);
  }

  /** `count` reads of the register at `offset` into `dst`; checks: the buffer's type, mapped and offset, count. */
  #readRep<T extends RepArray>(offset: number, dst: T, count: number, width: 1 | 2 | 4, ctor: RepCtor<T>): void {
    checkBuffer(dst, ctor, 'dst');
    this.checkAccess(offset, width);
    checkRepCount(count, dst.length);
    for (let i = 0; i < count; i++) dst[i] = this.busRead(offset, width) as number;
  }

  /** `count` writes from `src` to the register at `offset`; checks as #readRep. */
  #writeRep<T extends RepArray>(offset: number, src: T, count: number, width: 1 | 2 | 4, ctor: RepCtor<T>): void {
    checkBuffer(src, ctor, 'src');
    this.checkAccess(offset, width);
    checkRepCount(count, src.length);
    for (let i = 0; i < count; i++) this.busWrite(offset, width, src[i]);
  }

  /**
   * The busy-waiting poll of every `*_poll_timeout_atomic` (lib/core/poll.ts over {@link RegionBase.read} with
   * `via` the poll), after the checks of its first read. A backend with its own loop overrides this.
   */
  protected pollSync<T extends number | bigint>(call: PollAccessor, width: AccessWidth, offset: number, cond: PollCondition<T>, delayUs: number, timeoutUs: number): T {
    this.checkAccess(offset, width);
    return pollAtomic(call, () => this.read(call, offset, width) as T, offset, cond, delayUs, timeoutUs, this.path);
  }

  /** The sleeping poll of every `*_poll_timeout`, as {@link RegionBase.pollSync}. */
  protected pollAsync<T extends number | bigint>(call: PollAccessor, width: AccessWidth, offset: number, cond: PollCondition<T>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<T> {
    this.checkAccess(offset, width);
    return pollAsync(call, () => this.read(call, offset, width) as T, offset, cond, sleepUs, timeoutUs, this.path, options);
  }

  readb_poll_timeout_atomic(offset: number, cond: PollCondition<number>, delayUs: number, timeoutUs: number): number {
    return this.pollSync('readb_poll_timeout_atomic', 1, offset, cond, delayUs, timeoutUs);
  }
  readw_poll_timeout_atomic(offset: number, cond: PollCondition<number>, delayUs: number, timeoutUs: number): number {
    return this.pollSync('readw_poll_timeout_atomic', 2, offset, cond, delayUs, timeoutUs);
  }
  readl_poll_timeout_atomic(offset: number, cond: PollCondition<number>, delayUs: number, timeoutUs: number): number {
    return this.pollSync('readl_poll_timeout_atomic', 4, offset, cond, delayUs, timeoutUs);
  }
  readq_poll_timeout_atomic(offset: number, cond: PollCondition<bigint>, delayUs: number, timeoutUs: number): bigint {
    return this.pollSync('readq_poll_timeout_atomic', 8, offset, cond, delayUs, timeoutUs);
  }
  async readb_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<number> {
    return this.pollAsync('readb_poll_timeout', 1, offset, cond, sleepUs, timeoutUs, options);
  }
  async readw_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<number> {
    return this.pollAsync('readw_poll_timeout', 2, offset, cond, sleepUs, timeoutUs, options);
  }
  async readl_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<number> {
    return this.pollAsync('readl_poll_timeout', 4, offset, cond, sleepUs, timeoutUs, options);
  }
  async readq_poll_timeout(offset: number, cond: PollCondition<bigint>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<bigint> {
    return this.pollAsync('readq_poll_timeout', 8, offset, cond, sleepUs, timeoutUs, options);
  }

  /** Same as `iounmap`, for `using`. */
  [Symbol.dispose](): void {
    this.iounmap();
  }
}
