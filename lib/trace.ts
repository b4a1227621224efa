/**
 * An access trace for any {@link IoRegion}: a wrapper that records each device access as it happens, so the
 * same driver's traces on the simulator and on hardware can be compared entry by entry.
 *
 * What is recorded: one entry per single bus access, with the value as it crossed the bus (little-endian, as
 * the device saw it). So:
 * - `readX` / `writeX`, their `_relaxed` forms and `ioreadN` / `iowriteN`: one entry each.
 * - `ioread16be` / `ioread32be` / `iowrite16be` / `iowrite32be`: one entry, with the byte-swapped (bus) value,
 *   and `via` naming the accessor.
 * - `memcpy_fromio` / `memcpy_toio` / `memset_io`: one entry per access the split rule makes (widest naturally
 *   aligned 8/4/2/1 bytes, see forEachChunk), `via` naming the operation. The inner region does the copy in one
 *   call; the entries are derived from the buffers afterwards and share one timestamp.
 * - `ioreadN_rep` / `iowriteN_rep`: one entry per element, all at the same offset, `via` naming the operation.
 * - `*_poll_timeout` / `*_poll_timeout_atomic`: after the backends' own first checks (mapped, offset), run by
 *   lib/poll.ts over the traced read, so each poll read is one entry (`via` names the poll). This bypasses a
 *   backend's native spin while tracing.
 * - Accesses that throw record nothing.
 * @module
 */
import { checkAccess } from './checks.js';
import { unmappedError } from './errors.js';
import type { AccessWidth, IoRegion, PollCondition } from './io-region.js';
import { pollAsync, pollAtomic } from './poll.js';
import { forEachChunk, getLittleEndian } from './sim/memcpy-chunks.js';

/** Whether an entry is a read or a write. */
export type TraceOp = 'read' | 'write';

/** One device access. */
export interface TraceEntry {
  /** `'read'` or `'write'`. */
  op: TraceOp;
  /** Access width in bytes: 1, 2, 4 or 8. */
  width: AccessWidth;
  /** Byte offset in the region. */
  offset: number;
  /** The value on the bus: an unsigned `number` for widths 1, 2, 4; an unsigned `bigint` for width 8. */
  value: number | bigint;
  /** When the access completed: `process.hrtime.bigint()` nanoseconds (monotonic; compare differences only). */
  timeNs: bigint;
  /** The accessor when it was not a plain read/write: `'ioread32be'`, `'memcpy_toio'`, `'readl_poll_timeout'`… */
  via?: string;
  /** Set by {@link collapseRepeats}: how many identical accesses in a row this entry stands for (≥ 2). */
  repeat?: number;
}

/** An entry without its time (and `via`), the part that is compared across backends. */
export interface TraceAccess {
  /** `'read'` or `'write'`. */
  op: TraceOp;
  /** Access width in bytes: 1, 2, 4 or 8. */
  width: AccessWidth;
  /** Byte offset in the region. */
  offset: number;
  /** The value on the bus (`bigint` for width 8). */
  value: number | bigint;
}

/** An {@link IoRegion} that records its accesses in {@link TracedRegion.trace}. */
export interface TracedRegion extends IoRegion {
  /** The entries so far, oldest first. The array given to {@link traceRegion}, if one was. */
  readonly trace: TraceEntry[];
  /** The region being traced. */
  readonly inner: IoRegion;
}

/**
 * Wrap `region` so that every access is recorded (see the module description for what one entry is).
 * `size`, `phys`, `path` and `mapped` are the inner region's; `iounmap` and `Symbol.dispose` unmap the inner
 * region. Errors are the inner region's, unchanged.
 * @param region any backend's region
 * @param trace the array to append entries to (default: a new one), e.g. to share one trace between regions
 * @returns the wrapper, an IoRegion with `trace` and `inner`
 */
export function traceRegion(region: IoRegion, trace: TraceEntry[] = []): TracedRegion {
  return new TracingRegion(region, trace);
}

const now = (): bigint => process.hrtime.bigint();

class TracingRegion implements TracedRegion {
  constructor(
    readonly inner: IoRegion,
    readonly trace: TraceEntry[],
  ) {}

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

  private rd<T extends number | bigint>(width: AccessWidth, offset: number, value: T, via?: string): T {
    const entry: TraceEntry = { op: 'read', width, offset, value, timeNs: now() };
    if (via !== undefined) entry.via = via;
    this.trace.push(entry);
    return value;
  }

  private wr(width: AccessWidth, offset: number, value: number | bigint, via?: string): void {
    const entry: TraceEntry = { op: 'write', width, offset, value: busValue(value, width), timeNs: now() };
    if (via !== undefined) entry.via = via;
    this.trace.push(entry);
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
    this.wr(2, offset, swab16(value & 0xffff), 'iowrite16be');
  }
  iowrite32be(value: number, offset: number): void {
    this.inner.iowrite32be(value, offset);
    this.wr(4, offset, swab32(value >>> 0), 'iowrite32be');
  }

  memcpy_fromio(dst: Uint8Array, offset: number, count: number): void {
    this.inner.memcpy_fromio(dst, offset, count);
    this.recordChunks('read', 'memcpy_fromio', offset, count, dst);
  }
  memcpy_toio(offset: number, src: Uint8Array, count: number): void {
    this.inner.memcpy_toio(offset, src, count);
    this.recordChunks('write', 'memcpy_toio', offset, count, src);
  }
  memset_io(offset: number, value: number, count: number): void {
    this.inner.memset_io(offset, value, count);
    const pattern = new Uint8Array(Math.min(count, 8)).fill(value & 0xff);
    const timeNs = now();
    forEachChunk(offset, count, (at, width) => {
      const bytes = new DataView(pattern.buffer, 0, width);
      this.trace.push({ op: 'write', width, offset: at, value: getLittleEndian(bytes, 0, width), timeNs, via: 'memset_io' });
    });
  }

  private recordChunks(op: TraceOp, via: string, offset: number, count: number, buffer: Uint8Array): void {
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    const timeNs = now();
    forEachChunk(offset, count, (at, width, index) => {
      this.trace.push({ op, width, offset: at, value: getLittleEndian(view, index, width), timeNs, via });
    });
  }

  private recordRep(op: TraceOp, via: string, width: 1 | 2 | 4, offset: number, elements: ArrayLike<number>, count: number): void {
    const timeNs = now();
    for (let i = 0; i < count; i++) this.trace.push({ op, width, offset, value: elements[i], timeNs, via });
  }

  ioread8_rep(offset: number, dst: Uint8Array, count: number): void {
    this.inner.ioread8_rep(offset, dst, count);
    this.recordRep('read', 'ioread8_rep', 1, offset, dst, count);
  }
  ioread16_rep(offset: number, dst: Uint16Array, count: number): void {
    this.inner.ioread16_rep(offset, dst, count);
    this.recordRep('read', 'ioread16_rep', 2, offset, dst, count);
  }
  ioread32_rep(offset: number, dst: Uint32Array, count: number): void {
    this.inner.ioread32_rep(offset, dst, count);
    this.recordRep('read', 'ioread32_rep', 4, offset, dst, count);
  }
  iowrite8_rep(offset: number, src: Uint8Array, count: number): void {
    this.inner.iowrite8_rep(offset, src, count);
    this.recordRep('write', 'iowrite8_rep', 1, offset, src, count);
  }
  iowrite16_rep(offset: number, src: Uint16Array, count: number): void {
    this.inner.iowrite16_rep(offset, src, count);
    this.recordRep('write', 'iowrite16_rep', 2, offset, src, count);
  }
  iowrite32_rep(offset: number, src: Uint32Array, count: number): void {
    this.inner.iowrite32_rep(offset, src, count);
    this.recordRep('write', 'iowrite32_rep', 4, offset, src, count);
  }

  readb_poll_timeout_atomic(offset: number, cond: PollCondition<number>, delayUs: number, timeoutUs: number): number {
    const call = 'readb_poll_timeout_atomic';
    this.checkPoll(offset, 1);
    return pollAtomic(call, () => this.rd(1, offset, this.inner.readb(offset), call), offset, cond, delayUs, timeoutUs, this.path);
  }
  readw_poll_timeout_atomic(offset: number, cond: PollCondition<number>, delayUs: number, timeoutUs: number): number {
    const call = 'readw_poll_timeout_atomic';
    this.checkPoll(offset, 2);
    return pollAtomic(call, () => this.rd(2, offset, this.inner.readw(offset), call), offset, cond, delayUs, timeoutUs, this.path);
  }
  readl_poll_timeout_atomic(offset: number, cond: PollCondition<number>, delayUs: number, timeoutUs: number): number {
    const call = 'readl_poll_timeout_atomic';
    this.checkPoll(offset, 4);
    return pollAtomic(call, () => this.rd(4, offset, this.inner.readl(offset), call), offset, cond, delayUs, timeoutUs, this.path);
  }
  readq_poll_timeout_atomic(offset: number, cond: PollCondition<bigint>, delayUs: number, timeoutUs: number): bigint {
    const call = 'readq_poll_timeout_atomic';
    this.checkPoll(offset, 8);
    return pollAtomic(call, () => this.rd(8, offset, this.inner.readq(offset), call), offset, cond, delayUs, timeoutUs, this.path);
  }
  async readb_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number): Promise<number> {
    const call = 'readb_poll_timeout';
    this.checkPoll(offset, 1);
    return pollAsync(call, () => this.rd(1, offset, this.inner.readb(offset), call), offset, cond, sleepUs, timeoutUs, this.path);
  }
  async readw_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number): Promise<number> {
    const call = 'readw_poll_timeout';
    this.checkPoll(offset, 2);
    return pollAsync(call, () => this.rd(2, offset, this.inner.readw(offset), call), offset, cond, sleepUs, timeoutUs, this.path);
  }
  async readl_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number): Promise<number> {
    const call = 'readl_poll_timeout';
    this.checkPoll(offset, 4);
    return pollAsync(call, () => this.rd(4, offset, this.inner.readl(offset), call), offset, cond, sleepUs, timeoutUs, this.path);
  }
  async readq_poll_timeout(offset: number, cond: PollCondition<bigint>, sleepUs: number, timeoutUs: number): Promise<bigint> {
    const call = 'readq_poll_timeout';
    this.checkPoll(offset, 8);
    return pollAsync(call, () => this.rd(8, offset, this.inner.readq(offset), call), offset, cond, sleepUs, timeoutUs, this.path);
  }

  /** Before a poll: the checks the backends make before their first read (mapped, then the offset). */
  private checkPoll(offset: number, width: AccessWidth): void {
    if (!this.inner.mapped) throw unmappedError(this.inner.path);
    checkAccess(offset, width, this.inner.size);
  }

  iounmap(): void {
    this.inner.iounmap();
  }
  [Symbol.dispose](): void {
    this.inner.iounmap();
  }
}

/** The unsigned bus value of a write that the inner region accepted (so it is an integer in range). */
function busValue(value: number | bigint, width: AccessWidth): number | bigint {
  if (width === 8) return BigInt.asUintN(64, BigInt(value));
  const n = value as number;
  return width === 4 ? n >>> 0 : n & (width === 2 ? 0xffff : 0xff);
}

function swab16(v: number): number {
  return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
}

function swab32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** Drop times (and `via`, `repeat`) from entries: what to compare between two backends' traces. */
export function withoutTime(entries: readonly TraceEntry[]): TraceAccess[] {
  return entries.map(({ op, width, offset, value }) => ({ op, width, offset, value }));
}

/**
 * Merge runs of identical accesses (same op, width, offset and value) into one entry with `repeat` = the run's
 * length, keeping the first entry's time and `via`. Polling loops differ in length between backends; after
 * collapsing, a sim trace and a hardware trace of the same driver line up.
 */
export function collapseRepeats(entries: readonly TraceEntry[]): TraceEntry[] {
  const out: TraceEntry[] = [];
  for (const entry of entries) {
    const last = out[out.length - 1];
    const times = entry.repeat ?? 1;
    if (
      last !== undefined &&
      last.op === entry.op &&
      last.width === entry.width &&
      last.offset === entry.offset &&
      last.value === entry.value
    ) {
      last.repeat = (last.repeat ?? 1) + times;
    } else {
      out.push({ ...entry });
    }
  }
  return out;
}

/** Options of {@link formatTrace}. */
export interface FormatTraceOptions {
  /** Register names by offset, or a function giving one, appended to each line. */
  names?: Readonly<Record<number, string>> | ((offset: number, width: AccessWidth) => string | undefined);
  /** Prefix each line with the time since the first entry, in microseconds. Default false. */
  time?: boolean;
}

/**
 * A readable table of `entries`, one line per access, e.g. `W32 +0x004 = 0x12345678  LIVENESS`:
 * `R`/`W` and the width in bits; the offset in hex, padded to the widest offset; the value in hex with two
 * digits per byte; then the register name, `via` in brackets and `x<repeat>` when present.
 * @returns the lines joined with `\n` (no trailing newline); `''` for no entries.
 */
export function formatTrace(entries: readonly TraceEntry[], options: FormatTraceOptions = {}): string {
  if (entries.length === 0) return '';
  const { names, time = false } = options;
  const widest = entries.reduce((max, e) => Math.max(max, e.offset), 0);
  const offsetDigits = Math.max(3, widest.toString(16).length);
  const start = entries[0].timeNs;
  return entries
    .map((e) => {
      const kind = `${e.op === 'read' ? 'R' : 'W'}${e.width * 8}`.padEnd(3);
      const offset = `+0x${e.offset.toString(16).padStart(offsetDigits, '0')}`;
      const value = `0x${e.value.toString(16).padStart(e.width * 2, '0')}`;
      let line = `${kind} ${offset} = ${value}`;
      const name = typeof names === 'function' ? names(e.offset, e.width) : names?.[e.offset];
      if (name !== undefined) line += `  ${name}`;
      if (e.via !== undefined) line += `  [${e.via}]`;
      if (e.repeat !== undefined) line += `  x${e.repeat}`;
      if (time) line = `${(Number(e.timeNs - start) / 1000).toFixed(3).padStart(12)} us  ${line}`;
      return line;
    })
    .join('\n');
}
