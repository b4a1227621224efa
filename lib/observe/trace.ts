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
import { ObservingRegion } from './observing-region.js';
import type { AccessWidth, IoRegion } from '../core/io-region.js';

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

/** The trace wrapper: each access the shared delegating region observes becomes one {@link TraceEntry}. */
class TracingRegion extends ObservingRegion implements TracedRegion {
  /** While a block or `_rep` operation is observed: the one timestamp its entries share. */
  private batchTime: bigint | undefined;

  constructor(
    inner: IoRegion,
    readonly trace: TraceEntry[],
  ) {
    super(inner);
  }

  protected override observe(op: TraceOp, width: AccessWidth, offset: number, value: number | bigint, via: string | undefined): void {
    const entry: TraceEntry = { op, width, offset, value, timeNs: this.batchTime ?? now() };
    if (via !== undefined) entry.via = via;
    this.trace.push(entry);
  }

  protected override batch(observeAll: () => void): void {
    this.batchTime = now();
    try {
      observeAll();
    } finally {
      this.batchTime = undefined;
    }
  }
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
