/**
 * The shared half of the wrappers that observe another region's accesses (`traceRegion` in lib/observe/trace.ts,
 * `recordRegion` in lib/observe/record.ts): an {@link IoRegion} that passes every call to an inner region and then
 * reports each single bus access it made to one hook, {@link ObservingRegion.observe}. A subclass says only what
 * it does with an access. Internal: not exported from the package.
 *
 * What one observation is (the contract both wrappers document):
 * - `readX` / `writeX`, their `_relaxed` forms and `ioreadN` / `iowriteN`: one, with the value as it crossed the
 *   bus (unsigned, little-endian as the device saw it; writes truncated to the width as the inner region stored
 *   them).
 * - `ioread16be` / `ioread32be` / `iowrite16be` / `iowrite32be`: one, with the byte-swapped (bus) value and `via`
 *   naming the accessor.
 * - `memcpy_fromio` / `memcpy_toio` / `memset_io`: one per access the split rule makes (widest naturally aligned
 *   8/4/2/1 bytes, see forEachChunk), derived from the buffers after the inner region's one call, `via` naming the
 *   operation. `ioreadN_rep` / `iowriteN_rep`: one per element, all at the same offset. Each of these operations
 *   is observed inside one {@link ObservingRegion.batch}.
 * - `*_poll_timeout` / `*_poll_timeout_atomic`: after the backends' own first checks (mapped, offset), run by
 *   lib/poll.ts over observed reads of the inner region (`via` naming the poll), so a native backend's spin is
 *   bypassed; a poll that gives up with its own `ETIMEDOUT` is reported to {@link ObservingRegion.pollTimedOut}.
 * - The inner region is called first, so its checks and errors come first, unchanged, and an access that
 *   throws is not observed.
 * @module
 */
import { checkAccess } from '../core/checks.js';
import { unmappedError } from '../core/errors.js';
import type { AccessWidth, IoRegion, PollCondition, PollOptions } from '../core/io-region.js';
import { pollAsync, pollAtomic } from '../core/poll.js';
import { forEachChunk, getLittleEndian } from '../core/block-chunks.js';
import { toBusValue } from '../core/bus-value.js';
import { swab16, swab32 } from '../core/swab.js';
import { readByWidth } from '../core/width-dispatch.js';

/** Every accessor that is named as an observation's `via` (plain reads and writes have none). */
export const OBSERVED_VIAS = [
  'ioread16be',
  'ioread32be',
  'iowrite16be',
  'iowrite32be',
  'memcpy_fromio',
  'memcpy_toio',
  'memset_io',
  'ioread8_rep',
  'ioread16_rep',
  'ioread32_rep',
  'iowrite8_rep',
  'iowrite16_rep',
  'iowrite32_rep',
  'readb_poll_timeout_atomic',
  'readw_poll_timeout_atomic',
  'readl_poll_timeout_atomic',
  'readq_poll_timeout_atomic',
  'readb_poll_timeout',
  'readw_poll_timeout',
  'readl_poll_timeout',
  'readq_poll_timeout',
] as const;

/** One of {@link OBSERVED_VIAS}: the accessor an observation came through, when not a plain read or write. */
export type ObservedVia = (typeof OBSERVED_VIAS)[number];

/** The polls among {@link OBSERVED_VIAS}, as named in their `ETIMEDOUT` errors' `syscall`. */
export type ObservedPoll = Extract<ObservedVia, `${string}_poll_timeout${string}`>;

/**
 * An {@link IoRegion} over `inner` that observes every access (see the module description). `size`, `phys`,
 * `path` and `mapped` are the inner region's; `iounmap` and `Symbol.dispose` unmap it; errors are its own.
 */
export abstract class ObservingRegion implements IoRegion {
  /** @param inner the region every call goes to */
  constructor(readonly inner: IoRegion) {}

  /**
   * One bus access the inner region made, after it returned.
   * @param op `'read'` or `'write'`
   * @param width access width in bytes: 1, 2, 4 or 8
   * @param offset byte offset in the region
   * @param value the value on the bus: an unsigned `number` for widths 1, 2, 4; an unsigned `bigint` for 8
   * @param via the accessor, when not a plain read or write
   */
  protected abstract observe(op: 'read' | 'write', width: AccessWidth, offset: number, value: number | bigint, via: ObservedVia | undefined): void;

  /**
   * Run the observations of one block or `_rep` operation (a whole `memcpy_fromio`, `iowrite32_rep`…). The
   * default just runs them; a subclass may, e.g., give them one timestamp.
   */
  protected batch(observeAll: () => void): void {
    observeAll();
  }

  /**
   * A poll gave up with its own `ETIMEDOUT`, after its reads were observed (the error is thrown on afterwards).
   * The default does nothing.
   * @param call the poll, e.g. `'readl_poll_timeout'`
   * @param width the polled register's width in bytes
   * @param offset the polled register's byte offset
   */
  protected pollTimedOut(call: ObservedPoll, width: AccessWidth, offset: number): void {}

  get size(): number {
    return this.inner.size;
  }
  get phys(): bigint {
    return this.inner.phys;
  }
  get path(): string {
    return this.inner.path;
  }
  get mapped(): boolean {
    return this.inner.mapped;
  }

  /** Unmap the inner region (kernel `iounmap`). */
  iounmap(): void {
    this.inner.iounmap();
  }
  [Symbol.dispose](): void {
    this.iounmap();
  }

  private rd<T extends number | bigint>(width: AccessWidth, offset: number, value: T, via?: ObservedVia): T {
    this.observe('read', width, offset, value, via);
    return value;
  }

  /** A write the inner region accepted: observe its bus value (so it is an integer in range). */
  private wr(width: AccessWidth, offset: number, value: number | bigint): void {
    this.observe('write', width, offset, toBusValue(value, width), undefined);
  }

  readb(offset: number): number {
    return this.rd(1, offset, this.inner.readb(offset));
  }
  readw(offset: number): number {
    return this.rd(2, offset, this.inner.readw(offset));
  }
  readl(offset: number): number {
    return this.rd(4, offset, this.inner.readl(offset));
  }
  readq(offset: number): bigint {
    return this.rd(8, offset, this.inner.readq(offset));
  }
  readb_relaxed(offset: number): number {
    return this.rd(1, offset, this.inner.readb_relaxed(offset));
  }
  readw_relaxed(offset: number): number {
    return this.rd(2, offset, this.inner.readw_relaxed(offset));
  }
  readl_relaxed(offset: number): number {
    return this.rd(4, offset, this.inner.readl_relaxed(offset));
  }
  readq_relaxed(offset: number): bigint {
    return this.rd(8, offset, this.inner.readq_relaxed(offset));
  }

  writeb(value: number, offset: number): void {
    this.inner.writeb(value, offset);
    this.wr(1, offset, value);
  }
  writew(value: number, offset: number): void {
    this.inner.writew(value, offset);
    this.wr(2, offset, value);
  }
  writel(value: number, offset: number): void {
    this.inner.writel(value, offset);
    this.wr(4, offset, value);
  }
  writeq(value: bigint, offset: number): void {
    this.inner.writeq(value, offset);
    this.wr(8, offset, value);
  }
  writeb_relaxed(value: number, offset: number): void {
    this.inner.writeb_relaxed(value, offset);
    this.wr(1, offset, value);
  }
  writew_relaxed(value: number, offset: number): void {
    this.inner.writew_relaxed(value, offset);
    this.wr(2, offset, value);
  }
  writel_relaxed(value: number, offset: number): void {
    this.inner.writel_relaxed(value, offset);
    this.wr(4, offset, value);
  }
  writeq_relaxed(value: bigint, offset: number): void {
    this.inner.writeq_relaxed(value, offset);
    this.wr(8, offset, value);
  }

  ioread8(offset: number): number {
    return this.rd(1, offset, this.inner.ioread8(offset));
  }
  ioread16(offset: number): number {
    return this.rd(2, offset, this.inner.ioread16(offset));
  }
  ioread32(offset: number): number {
    return this.rd(4, offset, this.inner.ioread32(offset));
  }
  ioread64(offset: number): bigint {
    return this.rd(8, offset, this.inner.ioread64(offset));
  }
  ioread16be(offset: number): number {
    const value = this.inner.ioread16be(offset);
    this.rd(2, offset, swab16(value), 'ioread16be');
    return value;
  }
  ioread32be(offset: number): number {
    const value = this.inner.ioread32be(offset);
    this.rd(4, offset, swab32(value), 'ioread32be');
    return value;
  }
  iowrite8(value: number, offset: number): void {
    this.inner.iowrite8(value, offset);
    this.wr(1, offset, value);
  }
  iowrite16(value: number, offset: number): void {
    this.inner.iowrite16(value, offset);
    this.wr(2, offset, value);
  }
  iowrite32(value: number, offset: number): void {
    this.inner.iowrite32(value, offset);
    this.wr(4, offset, value);
  }
  iowrite64(value: bigint, offset: number): void {
    this.inner.iowrite64(value, offset);
    this.wr(8, offset, value);
  }
  iowrite16be(value: number, offset: number): void {
    this.inner.iowrite16be(value, offset);
    this.observe('write', 2, offset, swab16(value & 0xffff), 'iowrite16be');
  }
  iowrite32be(value: number, offset: number): void {
    this.inner.iowrite32be(value, offset);
    this.observe('write', 4, offset, swab32(value >>> 0), 'iowrite32be');
  }

  /** One observation per access the split rule makes, values from `buffer` (at `index` for the access at `at`). */
  private chunks(op: 'read' | 'write', via: ObservedVia, offset: number, count: number, buffer: Uint8Array, repeating = false): void {
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.batch(() => {
      forEachChunk(offset, count, (at, width, index) => {
        this.observe(op, width, at, getLittleEndian(view, repeating ? 0 : index, width), via);
      });
    });
  }

  memcpy_fromio(dst: Uint8Array, offset: number, count: number): void {
    this.inner.memcpy_fromio(dst, offset, count);
    this.chunks('read', 'memcpy_fromio', offset, count, dst);
  }
  memcpy_toio(offset: number, src: Uint8Array, count: number): void {
    this.inner.memcpy_toio(offset, src, count);
    this.chunks('write', 'memcpy_toio', offset, count, src);
  }
  memset_io(offset: number, value: number, count: number): void {
    this.inner.memset_io(offset, value, count);
    // Every access stores the same byte: one access's worth of it stands for the whole range.
    this.chunks('write', 'memset_io', offset, count, new Uint8Array(Math.min(count, 8)).fill(value & 0xff), true);
  }

  /** One observation per element, all at `offset`. */
  private rep(op: 'read' | 'write', via: ObservedVia, width: 1 | 2 | 4, offset: number, elements: ArrayLike<number>, count: number): void {
    this.batch(() => {
      for (let i = 0; i < count; i++) this.observe(op, width, offset, elements[i], via);
    });
  }

  ioread8_rep(offset: number, dst: Uint8Array, count: number): void {
    this.inner.ioread8_rep(offset, dst, count);
    this.rep('read', 'ioread8_rep', 1, offset, dst, count);
  }
  ioread16_rep(offset: number, dst: Uint16Array, count: number): void {
    this.inner.ioread16_rep(offset, dst, count);
    this.rep('read', 'ioread16_rep', 2, offset, dst, count);
  }
  ioread32_rep(offset: number, dst: Uint32Array, count: number): void {
    this.inner.ioread32_rep(offset, dst, count);
    this.rep('read', 'ioread32_rep', 4, offset, dst, count);
  }
  iowrite8_rep(offset: number, src: Uint8Array, count: number): void {
    this.inner.iowrite8_rep(offset, src, count);
    this.rep('write', 'iowrite8_rep', 1, offset, src, count);
  }
  iowrite16_rep(offset: number, src: Uint16Array, count: number): void {
    this.inner.iowrite16_rep(offset, src, count);
    this.rep('write', 'iowrite16_rep', 2, offset, src, count);
  }
  iowrite32_rep(offset: number, src: Uint32Array, count: number): void {
    this.inner.iowrite32_rep(offset, src, count);
    this.rep('write', 'iowrite32_rep', 4, offset, src, count);
  }

  /** Before a poll: the checks the backends make before their first read (mapped, then the offset). */
  private checkPoll(offset: number, width: AccessWidth): void {
    if (!this.inner.mapped) throw unmappedError(this.inner.path);
    checkAccess(offset, width, this.inner.size);
  }

  /** After a poll that threw: tell {@link ObservingRegion.pollTimedOut} if it gave up (its own ETIMEDOUT). */
  private noteTimeout(error: unknown, call: ObservedPoll, width: AccessWidth, offset: number): void {
    const e = error as { code?: unknown; syscall?: unknown } | null | undefined;
    if (e?.code === 'ETIMEDOUT' && e.syscall === call) this.pollTimedOut(call, width, offset);
  }

  /** The observed read a poll repeats. */
  private pollRead<T extends number | bigint>(call: ObservedPoll, width: AccessWidth, offset: number): () => T {
    return () => this.rd(width, offset, readByWidth(this.inner, width, offset) as T, call);
  }

  private pollSync<T extends number | bigint>(call: ObservedPoll, width: AccessWidth, offset: number, cond: PollCondition<T>, delayUs: number, timeoutUs: number): T {
    this.checkPoll(offset, width);
    try {
      return pollAtomic(call, this.pollRead<T>(call, width, offset), offset, cond, delayUs, timeoutUs, this.path);
    } catch (error) {
      this.noteTimeout(error, call, width, offset);
      throw error;
    }
  }

  private async pollAsync<T extends number | bigint>(call: ObservedPoll, width: AccessWidth, offset: number, cond: PollCondition<T>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<T> {
    this.checkPoll(offset, width);
    try {
      return await pollAsync(call, this.pollRead<T>(call, width, offset), offset, cond, sleepUs, timeoutUs, this.path, options);
    } catch (error) {
      this.noteTimeout(error, call, width, offset);
      throw error;
    }
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
  readb_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<number> {
    return this.pollAsync('readb_poll_timeout', 1, offset, cond, sleepUs, timeoutUs, options);
  }
  readw_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<number> {
    return this.pollAsync('readw_poll_timeout', 2, offset, cond, sleepUs, timeoutUs, options);
  }
  readl_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<number> {
    return this.pollAsync('readl_poll_timeout', 4, offset, cond, sleepUs, timeoutUs, options);
  }
  readq_poll_timeout(offset: number, cond: PollCondition<bigint>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<bigint> {
    return this.pollAsync('readq_poll_timeout', 8, offset, cond, sleepUs, timeoutUs, options);
  }
}
