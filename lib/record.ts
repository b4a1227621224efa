/**
 * Record every device access a driver makes — on real hardware or any other backend — to a trace file that
 * {@link replayRegion} (lib/replay.ts) serves back, so CI can run the driver against exactly what the hardware
 * answered.
 *
 * What is recorded is what {@link traceRegion} records (one step per single bus access: operation, width, offset,
 * value on the bus, time, and `via` for accessors other than plain reads and writes), plus:
 * - `timeout`: a `*_poll_timeout*` that gave up (after its reads), so a replay gives up at the same read;
 * - `wait`, `unmask`, `mask`: interrupt waits (with the event count, or the error) and line control, when an
 *   {@link InterruptSource} is recorded along (`options.irq`).
 *
 * Cost: each access appends one row to typed-array columns in memory (no object per access, no I/O) and reads
 * the clock (`performance.now()`); nothing is formatted or written until {@link RecordingRegion.flush},
 * {@link RecordingRegion.iounmap}, process exit, or the buffer reaching `flushEvery` steps. Polls are run by
 * lib/poll.ts over recorded reads (as traceRegion does), so a native backend's spin is bypassed while recording.
 *
 * Put the recorder innermost, right on the device's region: a wrapper outside it that runs polls as plain reads
 * (traceRegion does) hides the polls from it, so a poll that gives up is recorded as its reads only, and its
 * replay then diverges after the last read instead of timing out.
 *
 * ## File format (JSON lines, version 1)
 * The first line is the header, every further line one step, in order (step N is on line N + 1):
 * ```
 * {"format":"mmio-recording","version":1,"path":"/dev/uio0","phys":"0xfea00000","size":1048576,"irq":"/dev/uio0","started":"2025-01-01T00:00:00.000Z"}
 * {"op":"read","width":4,"offset":"0x0","value":"0x010000ed","t":0}
 * {"op":"write","width":4,"offset":"0x4","value":"0x12345678","t":2100}
 * {"op":"read","width":4,"offset":"0x20","value":"0x00000001","t":5200,"via":"readl_poll_timeout"}
 * {"op":"timeout","width":4,"offset":"0x20","via":"readl_poll_timeout","t":9800}
 * {"op":"unmask","t":12000}
 * {"op":"wait","count":1,"missed":0,"t":80000}
 * {"op":"wait","error":{"code":"ETIMEDOUT","message":"..."},"t":90000}
 * ```
 * Offsets and values are hex strings (values: two digits per byte; 64-bit values do not fit a JSON number);
 * `t` is nanoseconds since the recording started (monotonic clock); the header's `meta` holds anything the
 * recorder was given (JSON).
 * @module
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { describe } from './checks.js';
import { DelegatingRegion, OBSERVED_VIAS, type ObservedPoll, type ObservedVia } from './delegating-region.js';
import { rangeError, typeError } from './errors.js';
import { interruptEvents, type InterruptEvent, type InterruptSource, type InterruptWaitOptions } from './interrupts.js';
import type { AccessWidth, IoRegion } from './io-region.js';
import type { TraceEntry, traceRegion } from './trace.js'; // for the documentation's links

/** The header's `format` value. */
export const RECORDING_FORMAT = 'mmio-recording';
/** The file format version this library writes and reads. */
export const RECORDING_VERSION = 1;

/** The first line of a recording: what was recorded, when, and anything the recorder added. */
export interface RecordingHeader {
  /** Always {@link RECORDING_FORMAT}. */
  format: typeof RECORDING_FORMAT;
  /** Always {@link RECORDING_VERSION}. */
  version: typeof RECORDING_VERSION;
  /** The recorded region's `path` (e.g. `/dev/uio0`, `/dev/mem`, `sim:edu`). */
  path: string;
  /** The recorded region's `phys`. */
  phys: bigint;
  /** The recorded region's `size` in bytes; a replay has the same size (so the same offsets are valid). */
  size: number;
  /** The recorded interrupt source's `path` (when it has one) or `'irq'`; absent when none was recorded. */
  irq?: string;
  /** When the recording started (ISO 8601, wall clock). */
  started: string;
  /** Anything JSON the recorder was given (`options.meta`), e.g. what the run returned. */
  meta?: unknown;
}

/** A read or write of the region: one bus access, as {@link TraceEntry} records it. */
export interface RecordedAccess {
  /** `'read'` or `'write'`. */
  op: 'read' | 'write';
  /** Access width in bytes. */
  width: AccessWidth;
  /** Byte offset in the region. */
  offset: number;
  /** The value on the bus: unsigned `number` for widths 1, 2, 4; unsigned `bigint` for 8. */
  value: number | bigint;
  /** Nanoseconds since the recording started. */
  timeNs: number;
  /** The accessor, when not a plain read/write (`'readl_poll_timeout'`, `'memcpy_toio'`, `'ioread32be'`…). */
  via?: string;
}

/** A poll that gave up with `ETIMEDOUT` after the reads recorded before it. */
export interface RecordedTimeout {
  /** `'timeout'`. */
  op: 'timeout';
  /** Width of the polled register. */
  width: AccessWidth;
  /** Offset of the polled register. */
  offset: number;
  /** The poll: `'readl_poll_timeout'`, `'readl_poll_timeout_atomic'`… */
  via: string;
  /** Nanoseconds since the recording started. */
  timeNs: number;
}

/** An interrupt wait and how it ended: an event, or an error (`code`, `message`). */
export interface RecordedWait {
  /** `'wait'`. */
  op: 'wait';
  /** The event's count (absent when the wait failed). */
  count?: number;
  /** The event's missed count (absent when the wait failed). */
  missed?: number;
  /** Why the wait failed: `ETIMEDOUT`, `ABORT_ERR`, `ERR_IRQ_CLOSED`…, with its message. */
  error?: { code?: string; message: string };
  /** Nanoseconds since the recording started (when the wait ended). */
  timeNs: number;
}

/** An `unmask()` or `mask()` of the interrupt line. */
export interface RecordedLineControl {
  /** `'unmask'` or `'mask'`. */
  op: 'unmask' | 'mask';
  /** Nanoseconds since the recording started. */
  timeNs: number;
}

/** One step of a recording. */
export type RecordedStep = RecordedAccess | RecordedTimeout | RecordedWait | RecordedLineControl;

/** A whole recording: the header and the steps in order (step N is `steps[N - 1]`). */
export interface Recording {
  /** The header line. */
  header: RecordingHeader;
  /** The steps. */
  steps: RecordedStep[];
}

const hexValue = (value: number | bigint, width: number): string => `0x${value.toString(16).padStart(width * 2, '0')}`;

/** One step as its JSON line (without the newline). */
export function formatStep(step: RecordedStep): string {
  switch (step.op) {
    case 'read':
    case 'write': {
      const line: Record<string, unknown> = {
        op: step.op,
        width: step.width,
        offset: `0x${step.offset.toString(16)}`,
        value: hexValue(step.value, step.width),
        t: step.timeNs,
      };
      if (step.via !== undefined) line.via = step.via;
      return JSON.stringify(line);
    }
    case 'timeout':
      return JSON.stringify({ op: 'timeout', width: step.width, offset: `0x${step.offset.toString(16)}`, via: step.via, t: step.timeNs });
    case 'wait':
      return step.error !== undefined
        ? JSON.stringify({ op: 'wait', error: step.error, t: step.timeNs })
        : JSON.stringify({ op: 'wait', count: step.count, missed: step.missed, t: step.timeNs });
    default:
      return JSON.stringify({ op: step.op, t: step.timeNs });
  }
}

/** The header as its JSON line (without the newline). */
export function formatHeader(header: RecordingHeader): string {
  const line: Record<string, unknown> = {
    format: RECORDING_FORMAT,
    version: RECORDING_VERSION,
    path: header.path,
    phys: `0x${header.phys.toString(16)}`,
    size: header.size,
  };
  if (header.irq !== undefined) line.irq = header.irq;
  line.started = header.started;
  if (header.meta !== undefined) line.meta = header.meta;
  return JSON.stringify(line);
}

/**
 * A whole recording as the text of a trace file (header line, one line per step, each ending in `\n`), e.g. to
 * print a recording made where files do not survive (a VM guest) or to rewrite one with other `meta`.
 */
export function formatRecording(recording: Recording): string {
  return [formatHeader(recording.header), ...recording.steps.map(formatStep)].join('\n') + '\n';
}

/** Options of {@link recordRegion}. */
export interface RecordOptions {
  /** An interrupt source to record along: use the returned region's `irq` in its place. */
  irq?: InterruptSource;
  /**
   * Flush to the file once this many steps are buffered. Default 65 536; `Infinity`: only on `flush()`,
   * `iounmap()` and process exit. Each flush is a synchronous append, in the middle of the driver's run.
   */
  flushEvery?: number;
  /** JSON data for the header's `meta` (e.g. the kernel version, the device's serial). */
  meta?: unknown;
}

/** An {@link IoRegion} that records its accesses to a trace file (from {@link recordRegion}). */
export interface RecordingRegion extends IoRegion {
  /** The trace file. */
  readonly file: string;
  /** The region being recorded. */
  readonly inner: IoRegion;
  /** The recorded interrupt source standing in for `options.irq`, if one was given. */
  readonly irq: InterruptSource | undefined;
  /** Steps recorded so far (written or still buffered). */
  readonly steps: number;
  /**
   * Append the buffered steps to the file (synchronously).
   * @throws the file system's error (`ENOSPC`, `EACCES`…), shaped as Node's fs errors; the steps stay buffered.
   */
  flush(): void;
  /** Flush, stop flushing at exit, and unmap the inner region (kernel `iounmap`). Also run by `using`. */
  iounmap(): void;
}

/**
 * Record every access to `region` (and, with `options.irq`, every interrupt wait and line control) into `file`.
 * The file is created (or truncated) with its header now, so a bad path fails here; steps are buffered in
 * memory and appended on `flush()`, `iounmap()`, at process exit, or every `flushEvery` steps.
 *
 * The returned region has the inner region's `size`, `phys`, `path` and `mapped`; errors are the inner region's,
 * unchanged, and accesses that throw record nothing.
 *
 * @param region any backend's region (the real device while recording)
 * @param file the trace file to write (JSON lines, see the module description)
 * @returns the recording region; pass it (and its `irq`) to the driver in place of the originals
 * @throws the file system's error for `file` (`ENOENT`, `EACCES`…); TypeError `ERR_INVALID_ARG_TYPE` for a
 *   region that is not one or a `file` that is not a string; RangeError `ERR_OUT_OF_RANGE` for a bad
 *   `flushEvery`; TypeError from `JSON.stringify` for `meta` that is not JSON.
 */
export function recordRegion(
  region: IoRegion,
  file: string,
  options: RecordOptions & { irq: InterruptSource },
): RecordingRegion & { readonly irq: InterruptSource };
export function recordRegion(region: IoRegion, file: string, options?: RecordOptions): RecordingRegion;
export function recordRegion(region: IoRegion, file: string, options: RecordOptions = {}): RecordingRegion {
  if (region === null || typeof region !== 'object' || typeof region.readl !== 'function') {
    throw typeError('ERR_INVALID_ARG_TYPE', `recordRegion needs an IoRegion, got ${describe(region)}`);
  }
  if (typeof file !== 'string') throw typeError('ERR_INVALID_ARG_TYPE', `file must be a path string, got ${describe(file)}`);
  const flushEvery = options.flushEvery ?? 65_536;
  if (typeof flushEvery !== 'number' || !(flushEvery >= 1)) {
    throw rangeError('ERR_OUT_OF_RANGE', `flushEvery must be a number of steps >= 1 (or Infinity), got ${describe(flushEvery)}`);
  }
  return new Recorder(region, file, options.irq, flushEvery, options.meta);
}

const VIA_NONE = 0;

/**
 * The in-memory buffer: one row per step in typed-array columns (no object per access), times from
 * `performance.now()` (a double; no BigInt allocation). Rare data (waits) goes to a side map.
 */
class StepBuffer {
  /** Step kinds: 0 read, 1 write, 2 timeout, 3 wait, 4 unmask, 5 mask. */
  private kind: Uint8Array;
  private width: Uint8Array;
  private via: Uint8Array;
  private offset: Float64Array;
  private value: Float64Array;
  private value64: BigUint64Array | undefined;
  private time: Float64Array;
  private readonly extra = new Map<number, Omit<RecordedWait, 'op' | 'timeNs'>>();
  private readonly vias = ['', ...OBSERVED_VIAS];
  length = 0;

  constructor(private capacity: number) {
    this.kind = new Uint8Array(capacity);
    this.width = new Uint8Array(capacity);
    this.via = new Uint8Array(capacity);
    this.offset = new Float64Array(capacity);
    this.value = new Float64Array(capacity);
    this.time = new Float64Array(capacity);
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const grown = <T extends Uint8Array | Float64Array | BigUint64Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old as never);
      return next;
    };
    this.kind = grown(this.kind, (n) => new Uint8Array(n));
    this.width = grown(this.width, (n) => new Uint8Array(n));
    this.via = grown(this.via, (n) => new Uint8Array(n));
    this.offset = grown(this.offset, (n) => new Float64Array(n));
    this.value = grown(this.value, (n) => new Float64Array(n));
    this.time = grown(this.time, (n) => new Float64Array(n));
    if (this.value64 !== undefined) this.value64 = grown(this.value64, (n) => new BigUint64Array(n));
    this.capacity = capacity;
  }

  /** Append one access (or timeout) row; `value` is the bus value. */
  access(kind: number, width: AccessWidth, offset: number, value: number, via: number): void {
    const n = this.length;
    if (n === this.capacity) this.grow();
    this.kind[n] = kind;
    this.width[n] = width;
    this.offset[n] = offset;
    this.value[n] = value;
    this.via[n] = via;
    this.time[n] = performance.now();
    this.length = n + 1;
  }

  /** Append one 64-bit access row. */
  access64(kind: number, offset: number, value: bigint, via: number): void {
    const n = this.length;
    if (n === this.capacity) this.grow();
    this.value64 ??= new BigUint64Array(this.capacity);
    this.value64[n] = value;
    this.access(kind, 8, offset, 0, via);
  }

  /** Append an interrupt step (3 wait, 4 unmask, 5 mask). */
  irq(kind: number, extra?: Omit<RecordedWait, 'op' | 'timeNs'>): void {
    if (extra !== undefined) this.extra.set(this.length, extra);
    this.access(kind, 1, 0, 0, VIA_NONE);
  }

  /** Rows as JSON lines, times relative to `start` (a performance.now() value) in nanoseconds. */
  format(start: number): string {
    let text = '';
    for (let i = 0; i < this.length; i++) {
      const timeNs = Math.max(0, Math.round((this.time[i] - start) * 1e6));
      const kind = this.kind[i];
      let step: RecordedStep;
      if (kind <= 1) {
        const width = this.width[i] as AccessWidth;
        const value = width === 8 ? (this.value64 as BigUint64Array)[i] : this.value[i];
        step = { op: kind === 0 ? 'read' : 'write', width, offset: this.offset[i], value, timeNs };
        if (this.via[i] !== VIA_NONE) step.via = this.vias[this.via[i]];
      } else if (kind === 2) {
        step = { op: 'timeout', width: this.width[i] as AccessWidth, offset: this.offset[i], via: this.vias[this.via[i]], timeNs };
      } else if (kind === 3) {
        step = { op: 'wait', ...this.extra.get(i), timeNs };
      } else {
        step = { op: kind === 4 ? 'unmask' : 'mask', timeNs };
      }
      text += formatStep(step) + '\n';
    }
    return text;
  }

  clear(): void {
    this.length = 0;
    this.extra.clear();
  }
}

/** The accessors recorded as `via`, by their index in the buffer's `via` column (0 is {@link VIA_NONE}). */
const V = Object.fromEntries(OBSERVED_VIAS.map((via, i) => [via, i + 1])) as Record<ObservedVia, number>;
const READ = 0;
const WRITE = 1;
const TIMEOUT = 2;

/** Recorders not yet unmapped: flushed at process exit. */
const live = new Set<Recorder>();
let exitHookInstalled = false;
function flushAllAtExit(): void {
  for (const recorder of live) {
    try {
      recorder.flush();
    } catch {
      // At exit there is no one left to tell; the steps flushed before are in the file.
    }
  }
}

/**
 * The recording region. Each accessor calls the inner region first (so its checks and errors come first and an
 * access that throws records nothing), then appends the bus value: what traceRegion records, in columns.
 */
class Recorder extends DelegatingRegion implements RecordingRegion {
  readonly irq: InterruptSource | undefined;
  private readonly buffer: StepBuffer;
  private readonly start = performance.now();
  private written = 0;

  constructor(
    inner: IoRegion,
    readonly file: string,
    irq: InterruptSource | undefined,
    private readonly flushEvery: number,
    meta: unknown,
  ) {
    super(inner);
    this.buffer = new StepBuffer(Math.min(flushEvery, 4096));
    const header: RecordingHeader = {
      format: RECORDING_FORMAT,
      version: RECORDING_VERSION,
      path: inner.path,
      phys: inner.phys,
      size: inner.size,
      started: new Date().toISOString(),
    };
    if (irq !== undefined) {
      const irqPath = (irq as { path?: unknown }).path;
      header.irq = typeof irqPath === 'string' ? irqPath : 'irq';
    }
    if (meta !== undefined) header.meta = meta;
    const line = formatHeader(header) + '\n';
    writeFileSync(file, line);
    this.irq = irq === undefined ? undefined : new RecordingInterrupts(irq, this);
    live.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', flushAllAtExit);
    }
  }

  get steps(): number {
    return this.written + this.buffer.length;
  }

  /** Record an interrupt step (3 wait, 4 unmask, 5 mask). */
  irqStep(kind: number, extra?: Omit<RecordedWait, 'op' | 'timeNs'>): void {
    this.buffer.irq(kind, extra);
    if (this.buffer.length >= this.flushEvery) this.flush();
  }

  protected override observe(op: 'read' | 'write', width: AccessWidth, offset: number, value: number | bigint, via: ObservedVia | undefined): void {
    const kind = op === 'read' ? READ : WRITE;
    const v = via === undefined ? VIA_NONE : V[via];
    if (width === 8) this.buffer.access64(kind, offset, value as bigint, v);
    else this.buffer.access(kind, width, offset, value as number, v);
    if (this.buffer.length >= this.flushEvery) this.flush();
  }

  /** A poll that gave up: a `timeout` step after its reads, so a replay gives up at the same read. */
  protected override pollTimedOut(call: ObservedPoll, width: AccessWidth, offset: number): void {
    this.buffer.access(TIMEOUT, width, offset, 0, V[call]);
    if (this.buffer.length >= this.flushEvery) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    appendFileSync(this.file, this.buffer.format(this.start));
    this.written += this.buffer.length;
    this.buffer.clear();
  }

  override iounmap(): void {
    try {
      this.flush();
    } finally {
      live.delete(this);
      this.inner.iounmap();
    }
  }
}

/** The recorded stand-in for an interrupt source: each wait, unmask and mask becomes a step. */
class RecordingInterrupts implements InterruptSource {
  constructor(
    private readonly inner: InterruptSource,
    private readonly recorder: Recorder,
  ) {}

  /** The inner source's `path`, when it has one. */
  get path(): string | undefined {
    const path = (this.inner as { path?: unknown }).path;
    return typeof path === 'string' ? path : undefined;
  }

  async wait(options?: InterruptWaitOptions): Promise<InterruptEvent> {
    let event: InterruptEvent;
    try {
      event = await this.inner.wait(options);
    } catch (error) {
      const e = error as { code?: unknown; message?: unknown };
      const recorded: RecordedWait['error'] = { message: String(e?.message ?? error) };
      if (typeof e?.code === 'string') recorded.code = e.code;
      this.recorder.irqStep(3, { error: recorded });
      throw error;
    }
    this.recorder.irqStep(3, { count: event.count, missed: event.missed });
    return event;
  }

  unmask(): void {
    this.inner.unmask();
    this.recorder.irqStep(4);
  }

  mask(): void {
    this.inner.mask();
    this.recorder.irqStep(5);
  }

  close(): void {
    this.inner.close();
  }

  [Symbol.asyncIterator](): AsyncGenerator<InterruptEvent, void, undefined> {
    return interruptEvents(this);
  }
}
