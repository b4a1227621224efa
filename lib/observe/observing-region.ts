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
import { forEachChunk, getLittleEndian } from '../core/block-chunks.js';
import { toBusValue, type BusValue } from '../core/bus-value.js';
import type { AccessWidth, IoRegion, PollCondition, PollOptions } from '../core/io-region.js';
import { RegionBase, swabFor, type PollAccessor, type ReadAccessor, type WriteAccessor } from '../core/region-base.js';
import { readByWidth } from '../core/width-dispatch.js';
import { internalError } from '../core/errors.js';

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
export abstract class ObservingRegion extends RegionBase {
  /** @param inner the region every call goes to */
  constructor(readonly inner: IoRegion) {
    super();
  }

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

  /** The accessor names that are an observation's `via` (plain reads and writes have none). */
  private static readonly VIAS: ReadonlySet<string> = new Set(OBSERVED_VIAS);

  /** One read by the inner region's own accessor `via` (a poll's reads: its plain read of the width), observed. */
  protected read(via: ReadAccessor, offset: number, width: AccessWidth): BusValue {
    const value = via.includes('_poll_timeout')
      ? readByWidth(this.inner, width, offset)
      : (this.inner[via as Exclude<ReadAccessor, PollAccessor>] as (offset: number) => BusValue).call(this.inner, offset);
    const bus = width === 8 ? value : swabFor(via, value as number, width);
    this.observe('read', width, offset, bus, ObservingRegion.VIAS.has(via) ? (via as ObservedVia) : undefined);
    return value;
  }

  /** One write by the inner region's own accessor `via`; once it is accepted, its bus value is observed. */
  protected write(via: WriteAccessor, value: number | bigint, offset: number, width: AccessWidth): void {
    (this.inner[via] as (value: number | bigint, offset: number) => void).call(this.inner, value, offset);
    const bus = toBusValue(value, width);
    this.observe('write', width, offset, width === 8 ? bus : swabFor(via, bus as number, width), ObservingRegion.VIAS.has(via) ? (via as ObservedVia) : undefined);
  }

  /** Not used: block and `_rep` operations go to the inner region whole (below), then are observed. */
  protected busRead(): never {
    throw internalError('an observing region makes no unchecked access of its own');
  }

  /** Not used, as {@link ObservingRegion.busRead}. */
  protected busWrite(): never {
    throw internalError('an observing region makes no unchecked access of its own');
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

  override memcpy_fromio(dst: Uint8Array, offset: number, count: number): void {
    this.inner.memcpy_fromio(dst, offset, count);
    this.chunks('read', 'memcpy_fromio', offset, count, dst);
  }
  override memcpy_toio(offset: number, src: Uint8Array, count: number): void {
    this.inner.memcpy_toio(offset, src, count);
    this.chunks('write', 'memcpy_toio', offset, count, src);
  }
  override memset_io(offset: number, value: number, count: number): void {
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

  override ioread8_rep(offset: number, dst: Uint8Array, count: number): void {
    this.inner.ioread8_rep(offset, dst, count);
    this.rep('read', 'ioread8_rep', 1, offset, dst, count);
  }
  override ioread16_rep(offset: number, dst: Uint16Array, count: number): void {
    this.inner.ioread16_rep(offset, dst, count);
    this.rep('read', 'ioread16_rep', 2, offset, dst, count);
  }
  override ioread32_rep(offset: number, dst: Uint32Array, count: number): void {
    this.inner.ioread32_rep(offset, dst, count);
    this.rep('read', 'ioread32_rep', 4, offset, dst, count);
  }
  override iowrite8_rep(offset: number, src: Uint8Array, count: number): void {
    this.inner.iowrite8_rep(offset, src, count);
    this.rep('write', 'iowrite8_rep', 1, offset, src, count);
  }
  override iowrite16_rep(offset: number, src: Uint16Array, count: number): void {
    this.inner.iowrite16_rep(offset, src, count);
    this.rep('write', 'iowrite16_rep', 2, offset, src, count);
  }
  override iowrite32_rep(offset: number, src: Uint32Array, count: number): void {
    this.inner.iowrite32_rep(offset, src, count);
    this.rep('write', 'iowrite32_rep', 4, offset, src, count);
  }

  /** After a poll that threw: tell {@link ObservingRegion.pollTimedOut} if it gave up (its own ETIMEDOUT). */
  private noteTimeout(error: unknown, call: PollAccessor, width: AccessWidth, offset: number): void {
    const e = error as { code?: unknown; syscall?: unknown } | null | undefined;
    if (e?.code === 'ETIMEDOUT' && e.syscall === call) this.pollTimedOut(call, width, offset);
  }

  /** The base's poll loop over observed reads (a native backend's own spin is bypassed), noting a give-up. */
  protected override pollSync<T extends number | bigint>(call: PollAccessor, width: AccessWidth, offset: number, cond: PollCondition<T>, delayUs: number, timeoutUs: number): T {
    try {
      return super.pollSync(call, width, offset, cond, delayUs, timeoutUs);
    } catch (error) {
      this.noteTimeout(error, call, width, offset);
      throw error;
    }
  }

  /** As {@link ObservingRegion.pollSync}, for the sleeping polls. */
  protected override async pollAsync<T extends number | bigint>(call: PollAccessor, width: AccessWidth, offset: number, cond: PollCondition<T>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<T> {
    try {
      return await super.pollAsync(call, width, offset, cond, sleepUs, timeoutUs, options);
    } catch (error) {
      this.noteTimeout(error, call, width, offset);
      throw error;
    }
  }
}
