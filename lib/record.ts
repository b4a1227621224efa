/**
 * Record every device access a driver makes — on real hardware or any other backend — to a trace file that
 * {@link replayRegion} (lib/replay.ts) serves back, so CI can run the driver against exactly what the hardware
 * answered.
 *
 * What is recorded is what {@link traceRegion} sees (one step per single bus access: operation, width, offset,
 * value on the bus, time, and `via` for accessors other than plain reads and writes), plus:
 * - `timeout`: a `*_poll_timeout*` that gave up (after its reads), so a replay gives up at the same read;
 * - `wait`, `unmask`, `mask`: interrupt waits (with the event count, or the error) and line control, when an
 *   {@link InterruptSource} is recorded along (`options.irq`).
 *
 * Cost: each access appends one small object to an in-memory buffer (plus `process.hrtime.bigint()` for its
 * time); nothing is formatted or written until {@link RecordingRegion.flush}, {@link RecordingRegion.iounmap},
 * process exit, or the buffer reaching `flushEvery` steps. Polls are run by lib/poll.ts over recorded reads
 * (as traceRegion does), so a native backend's spin is bypassed while recording.
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
import type { InterruptEvent, InterruptSource, InterruptWaitOptions } from './interrupts.js';
import type { AccessWidth, IoRegion, PollCondition } from './io-region.js';
import { rangeError, typeError } from './errors.js';
import { describe } from './checks.js';
import { traceRegion, type TraceEntry, type TracedRegion } from './trace.js';

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

/** What the buffer holds: trace entries (from traceRegion) and the other steps, all with absolute times. */
type Buffered =
  | TraceEntry
  | (Omit<RecordedTimeout, 'timeNs'> & { timeNs: bigint })
  | (Omit<RecordedWait, 'timeNs'> & { timeNs: bigint })
  | (Omit<RecordedLineControl, 'timeNs'> & { timeNs: bigint });

const now = (): bigint => process.hrtime.bigint();

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

class Recorder implements RecordingRegion {
  readonly irq: InterruptSource | undefined;
  private readonly buffer: Buffered[] = [];
  private readonly t: TracedRegion;
  private readonly start = now();
  private written = 0;

  constructor(
    readonly inner: IoRegion,
    readonly file: string,
    irq: InterruptSource | undefined,
    private readonly flushEvery: number,
    meta: unknown,
  ) {
    this.t = traceRegion(inner, this.buffer as TraceEntry[]);
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

  /** Add a non-access step (timeout, wait, line control). */
  push(step: Buffered): void {
    this.buffer.push(step);
    this.check();
  }

  private check(): void {
    if (this.buffer.length >= this.flushEvery) this.flush();
  }

  private done<T>(value: T): T {
    if (this.buffer.length >= this.flushEvery) this.flush();
    return value;
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    let text = '';
    for (const entry of this.buffer) text += formatStep(this.relative(entry)) + '\n';
    appendFileSync(this.file, text);
    this.written += this.buffer.length;
    this.buffer.length = 0;
  }

  private relative(entry: Buffered): RecordedStep {
    const timeNs = Number(entry.timeNs - this.start);
    if (entry.op === 'read' || entry.op === 'write') {
      const { op, width, offset, value, via } = entry as TraceEntry;
      return via === undefined ? { op, width, offset, value, timeNs } : { op, width, offset, value, timeNs, via };
    }
    return { ...entry, timeNs } as RecordedStep;
  }

  iounmap(): void {
    try {
      this.flush();
    } finally {
      live.delete(this);
      this.inner.iounmap();
    }
  }
  [Symbol.dispose](): void {
    this.iounmap();
  }

  readb(offset: number): number {
    return this.done(this.t.readb(offset));
  }
  readw(offset: number): number {
    return this.done(this.t.readw(offset));
  }
  readl(offset: number): number {
    return this.done(this.t.readl(offset));
  }
  readq(offset: number): bigint {
    return this.done(this.t.readq(offset));
  }
  readb_relaxed(offset: number): number {
    return this.done(this.t.readb_relaxed(offset));
  }
  readw_relaxed(offset: number): number {
    return this.done(this.t.readw_relaxed(offset));
  }
  readl_relaxed(offset: number): number {
    return this.done(this.t.readl_relaxed(offset));
  }
  readq_relaxed(offset: number): bigint {
    return this.done(this.t.readq_relaxed(offset));
  }
  writeb(value: number, offset: number): void {
    this.done(this.t.writeb(value, offset));
  }
  writew(value: number, offset: number): void {
    this.done(this.t.writew(value, offset));
  }
  writel(value: number, offset: number): void {
    this.done(this.t.writel(value, offset));
  }
  writeq(value: bigint, offset: number): void {
    this.done(this.t.writeq(value, offset));
  }
  writeb_relaxed(value: number, offset: number): void {
    this.done(this.t.writeb_relaxed(value, offset));
  }
  writew_relaxed(value: number, offset: number): void {
    this.done(this.t.writew_relaxed(value, offset));
  }
  writel_relaxed(value: number, offset: number): void {
    this.done(this.t.writel_relaxed(value, offset));
  }
  writeq_relaxed(value: bigint, offset: number): void {
    this.done(this.t.writeq_relaxed(value, offset));
  }
  ioread8(offset: number): number {
    return this.done(this.t.ioread8(offset));
  }
  ioread16(offset: number): number {
    return this.done(this.t.ioread16(offset));
  }
  ioread32(offset: number): number {
    return this.done(this.t.ioread32(offset));
  }
  ioread64(offset: number): bigint {
    return this.done(this.t.ioread64(offset));
  }
  ioread16be(offset: number): number {
    return this.done(this.t.ioread16be(offset));
  }
  ioread32be(offset: number): number {
    return this.done(this.t.ioread32be(offset));
  }
  iowrite8(value: number, offset: number): void {
    this.done(this.t.iowrite8(value, offset));
  }
  iowrite16(value: number, offset: number): void {
    this.done(this.t.iowrite16(value, offset));
  }
  iowrite32(value: number, offset: number): void {
    this.done(this.t.iowrite32(value, offset));
  }
  iowrite64(value: bigint, offset: number): void {
    this.done(this.t.iowrite64(value, offset));
  }
  iowrite16be(value: number, offset: number): void {
    this.done(this.t.iowrite16be(value, offset));
  }
  iowrite32be(value: number, offset: number): void {
    this.done(this.t.iowrite32be(value, offset));
  }
  memcpy_fromio(dst: Uint8Array, offset: number, count: number): void {
    this.done(this.t.memcpy_fromio(dst, offset, count));
  }
  memcpy_toio(offset: number, src: Uint8Array, count: number): void {
    this.done(this.t.memcpy_toio(offset, src, count));
  }
  memset_io(offset: number, value: number, count: number): void {
    this.done(this.t.memset_io(offset, value, count));
  }
  ioread8_rep(offset: number, dst: Uint8Array, count: number): void {
    this.done(this.t.ioread8_rep(offset, dst, count));
  }
  ioread16_rep(offset: number, dst: Uint16Array, count: number): void {
    this.done(this.t.ioread16_rep(offset, dst, count));
  }
  ioread32_rep(offset: number, dst: Uint32Array, count: number): void {
    this.done(this.t.ioread32_rep(offset, dst, count));
  }
  iowrite8_rep(offset: number, src: Uint8Array, count: number): void {
    this.done(this.t.iowrite8_rep(offset, src, count));
  }
  iowrite16_rep(offset: number, src: Uint16Array, count: number): void {
    this.done(this.t.iowrite16_rep(offset, src, count));
  }
  iowrite32_rep(offset: number, src: Uint32Array, count: number): void {
    this.done(this.t.iowrite32_rep(offset, src, count));
  }

  /** Run a poll; if it gives up (ETIMEDOUT), record a timeout step after its reads. */
  private pollSync<T>(call: string, width: AccessWidth, offset: number, run: () => T): T {
    try {
      return this.done(run());
    } catch (error) {
      this.noteTimeout(error, call, width, offset);
      throw error;
    }
  }

  private async pollAsync<T>(call: string, width: AccessWidth, offset: number, run: () => Promise<T>): Promise<T> {
    try {
      return this.done(await run());
    } catch (error) {
      this.noteTimeout(error, call, width, offset);
      throw error;
    }
  }

  private noteTimeout(error: unknown, call: string, width: AccessWidth, offset: number): void {
    if ((error as { code?: unknown }).code === 'ETIMEDOUT' && (error as { syscall?: unknown }).syscall === call) {
      this.push({ op: 'timeout', width, offset, via: call, timeNs: now() });
    }
  }

  readb_poll_timeout_atomic(offset: number, cond: PollCondition<number>, delayUs: number, timeoutUs: number): number {
    return this.pollSync('readb_poll_timeout_atomic', 1, offset, () => this.t.readb_poll_timeout_atomic(offset, cond, delayUs, timeoutUs));
  }
  readw_poll_timeout_atomic(offset: number, cond: PollCondition<number>, delayUs: number, timeoutUs: number): number {
    return this.pollSync('readw_poll_timeout_atomic', 2, offset, () => this.t.readw_poll_timeout_atomic(offset, cond, delayUs, timeoutUs));
  }
  readl_poll_timeout_atomic(offset: number, cond: PollCondition<number>, delayUs: number, timeoutUs: number): number {
    return this.pollSync('readl_poll_timeout_atomic', 4, offset, () => this.t.readl_poll_timeout_atomic(offset, cond, delayUs, timeoutUs));
  }
  readq_poll_timeout_atomic(offset: number, cond: PollCondition<bigint>, delayUs: number, timeoutUs: number): bigint {
    return this.pollSync('readq_poll_timeout_atomic', 8, offset, () => this.t.readq_poll_timeout_atomic(offset, cond, delayUs, timeoutUs));
  }
  readb_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number): Promise<number> {
    return this.pollAsync('readb_poll_timeout', 1, offset, () => this.t.readb_poll_timeout(offset, cond, sleepUs, timeoutUs));
  }
  readw_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number): Promise<number> {
    return this.pollAsync('readw_poll_timeout', 2, offset, () => this.t.readw_poll_timeout(offset, cond, sleepUs, timeoutUs));
  }
  readl_poll_timeout(offset: number, cond: PollCondition<number>, sleepUs: number, timeoutUs: number): Promise<number> {
    return this.pollAsync('readl_poll_timeout', 4, offset, () => this.t.readl_poll_timeout(offset, cond, sleepUs, timeoutUs));
  }
  readq_poll_timeout(offset: number, cond: PollCondition<bigint>, sleepUs: number, timeoutUs: number): Promise<bigint> {
    return this.pollAsync('readq_poll_timeout', 8, offset, () => this.t.readq_poll_timeout(offset, cond, sleepUs, timeoutUs));
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
      this.recorder.push({ op: 'wait', error: recorded, timeNs: now() });
      throw error;
    }
    this.recorder.push({ op: 'wait', count: event.count, missed: event.missed, timeNs: now() });
    return event;
  }

  unmask(): void {
    this.inner.unmask();
    this.recorder.push({ op: 'unmask', timeNs: now() });
  }

  mask(): void {
    this.inner.mask();
    this.recorder.push({ op: 'mask', timeNs: now() });
  }

  close(): void {
    this.inner.close();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<InterruptEvent, void, undefined> {
    for (;;) {
      let event: InterruptEvent;
      try {
        event = await this.wait();
      } catch (error) {
        if ((error as { code?: unknown }).code === 'ERR_IRQ_CLOSED') return;
        throw error;
      }
      yield event;
    }
  }
}
