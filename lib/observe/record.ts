/**
 * Record every device access a driver makes — on real hardware or any other backend — to a trace file that
 * {@link replayRegion} (lib/replay.ts) serves back, so CI can run the driver against exactly what the hardware
 * answered.
 *
 * What is recorded is what {@link traceRegion} records (one step per single bus access: operation, width, offset,
 * value on the bus, time, and `via` for accessors other than plain reads and writes), plus:
 * - `timeout`: a `*_poll_timeout*` that gave up (after its reads), so a replay gives up at the same read;
 * - `wait`, `unmask`, `mask`: interrupt waits (with the event count, or the error) and line control, when an
 *   {@link InterruptSource} is recorded along (`options.irq`);
 * - with `options.dma` (a {@link DmaDevice}: VFIO, physdma, the simulated edu; file format version 2): its
 *   `dma_set_mask`, `dma_alloc_coherent` (size, `dma_handle`), `dma_free_coherent`, config-space accesses, and at
 *   each sync point the bytes of the DMA buffers that changed since the previous one (lib/observe/dma-record.ts):
 *   before each doorbell write (`options.doorbells`, default every single register write) what the driver put
 *   there for the device, after each completion (a poll that succeeded, an interrupt wait, a register read:
 *   `options.completions`, default every single one) what the device wrote.
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
 * The file format is described in lib/observe/recording-format.ts.
 * @module
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { describe } from '../core/checks.js';
import { ObservingRegion, OBSERVED_VIAS, type ObservedPoll, type ObservedVia } from './observing-region.js';
import { rangeError, typeError } from '../core/errors.js';
import { interruptEvents, type InterruptEvent, type InterruptSource, type InterruptWaitOptions } from '../core/interrupts.js';
import type { AccessWidth, IoRegion } from '../core/io-region.js';
import {
  formatHeader,
  formatStep,
  RECORDING_FORMAT,
  RECORDING_VERSION,
  type RecordedStep,
  type RecordedWait,
  type RecordingHeader,
} from './recording-format.js';
import type { RecordingDmaSettings } from './dma-steps.js';
import type { traceRegion } from './trace.js'; // for the documentation's links
import type { DmaDevice } from '../core/dma.js';
import type { PollAccessor, ReadAccessor, WriteAccessor } from '../core/region-base.js';
import type { BusValue } from '../core/bus-value.js';
import type { PollCondition, PollOptions } from '../core/io-region.js';
import { DmaRecorder, type UntimedDmaStep } from './dma-record.js';

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
  /**
   * A DMA device to record along (a VFIO device, physdma, the simulated edu): use the returned region's `dma` in
   * its place. Its DMA calls, config-space accesses and the changed bytes of its buffers are recorded (version 2).
   */
  dma?: DmaDevice;
  /**
   * With `dma`: the register offsets whose writes may start a transfer (doorbells): before each, the bytes the
   * driver changed in the DMA buffers are recorded (and a replay checks them). Default: every single register
   * write (each compares the live buffers with their shadows: a memcmp per buffer).
   */
  doorbells?: readonly number[];
  /**
   * With `dma`: register offsets whose reads may tell the driver that the device is done (the status register it
   * polls): after each, the bytes the device changed are recorded (and a replay writes them). Polls that succeed
   * and interrupt waits are completions anyway. Default: every single register read (a memcmp per live buffer
   * each); narrow it for a driver that reads registers in a hot loop while large buffers are live.
   */
  completions?: readonly number[];
}

/** An {@link IoRegion} that records its accesses to a trace file (from {@link recordRegion}). */
export interface RecordingRegion extends IoRegion {
  /** The trace file. */
  readonly file: string;
  /** The region being recorded. */
  readonly inner: IoRegion;
  /** The recorded interrupt source standing in for `options.irq`, if one was given. */
  readonly irq: InterruptSource | undefined;
  /** The recorded DMA device standing in for `options.dma` (the same object's other methods), if one was given. */
  readonly dma: DmaDevice | undefined;
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
 * Record every access to `region` (and, with `options.irq`, every interrupt wait and line control; with
 * `options.dma`, the device's DMA calls, config-space accesses and the DMA buffers' changed bytes) into `file`.
 * The file is created (or truncated) with its header now, so a bad path fails here; steps are buffered in
 * memory and appended on `flush()`, `iounmap()`, at process exit, or every `flushEvery` steps.
 *
 * The returned region has the inner region's `size`, `phys`, `path` and `mapped`; errors are the inner region's,
 * unchanged, and accesses that throw record nothing.
 *
 * @param region any backend's region (the real device while recording)
 * @param file the trace file to write (JSON lines, see the module description)
 * @returns the recording region; pass it (and its `irq`, its `dma`) to the driver in place of the originals
 * @throws the file system's error for `file` (`ENOENT`, `EACCES`…); TypeError `ERR_INVALID_ARG_TYPE` for a
 *   region that is not one, a `file` that is not a string, a `dma` that is not a DmaDevice, or `doorbells` /
 *   `completions` that are not arrays of offsets inside the region; RangeError `ERR_OUT_OF_RANGE` for a bad
 *   `flushEvery`; TypeError from `JSON.stringify` for `meta` that is not JSON.
 */
export function recordRegion<O extends RecordOptions>(
  region: IoRegion,
  file: string,
  options?: O,
): RecordingRegion & (O extends { irq: InterruptSource } ? { readonly irq: InterruptSource } : unknown) & (O extends { dma: infer D } ? { readonly dma: D } : unknown);
export function recordRegion(region: IoRegion, file: string, options: RecordOptions = {}): RecordingRegion {
  if (region === null || typeof region !== 'object' || typeof region.readl !== 'function') {
    throw typeError('ERR_INVALID_ARG_TYPE', `recordRegion needs an IoRegion, got ${describe(region)}`, 'pass the region to record: one that ioremap, mapFile, a UIO/PCI map() or new SimRegion returned.');
  }
  if (typeof file !== 'string') throw typeError('ERR_INVALID_ARG_TYPE', `file must be a path string, got ${describe(file)}`, 'file is the path of the recording to write, a string, e.g. \'edu.mmio-rec\'.');
  const flushEvery = options.flushEvery ?? 65_536;
  if (typeof flushEvery !== 'number' || !(flushEvery >= 1)) {
    throw rangeError('ERR_OUT_OF_RANGE', `flushEvery must be a number of steps >= 1 (or Infinity), got ${describe(flushEvery)}`, 'flushEvery is a number of steps, an integer >= 1, or Infinity to write the file only at close().');
  }
  const dma = options.dma;
  if (dma !== undefined && (dma === null || typeof dma !== 'object' || typeof dma.allocCoherent !== 'function')) {
    throw typeError('ERR_INVALID_ARG_TYPE', `options.dma must be a DmaDevice, got ${describe(dma)}`, 'pass the device the driver is given for DMA: a VfioDevice (openVfio), openPhysDma\'s device, or the simulated edu (createSimEdu).');
  }
  const offsets = (list: unknown, name: string): number[] => {
    if (!Array.isArray(list) || !list.every((o) => Number.isSafeInteger(o) && o >= 0 && o < region.size)) {
      throw typeError('ERR_INVALID_ARG_TYPE', `options.${name} must be an array of register offsets in 0..${region.size - 1}, got ${describe(list)}`, `list the byte offsets of the registers (e.g. [0x98]), or leave ${name} out for every register.`);
    }
    return [...list] as number[];
  };
  const settings =
    dma === undefined
      ? undefined
      : {
          doorbells: options.doorbells === undefined ? ('all' as const) : offsets(options.doorbells, 'doorbells'),
          completions: options.completions === undefined ? ('all' as const) : offsets(options.completions, 'completions'),
        };
  return new Recorder(region, file, options.irq, flushEvery, options.meta, dma, settings);
}

const VIA_NONE = 0;

/**
 * The in-memory buffer: one row per step in typed-array columns (no object per access), times from
 * `performance.now()` (a double; no BigInt allocation). Rare data (waits) goes to a side map.
 */
class StepBuffer {
  /** Step kinds: 0 read, 1 write, 2 timeout, 3 wait, 4 unmask, 5 mask, 6 a DMA or config step (in `extra`). */
  private kind: Uint8Array;
  private width: Uint8Array;
  private via: Uint8Array;
  private offset: Float64Array;
  private value: Float64Array;
  private value64: BigUint64Array | undefined;
  private time: Float64Array;
  private readonly extra = new Map<number, Omit<RecordedWait, 'op' | 'timeNs'> | UntimedDmaStep>();
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

  /** Append an interrupt step (3 wait, 4 unmask, 5 mask) or a DMA step (6, the step in `extra`). */
  irq(kind: number, extra?: Omit<RecordedWait, 'op' | 'timeNs'> | UntimedDmaStep): void {
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
        step = { op: 'wait', ...(this.extra.get(i) as Omit<RecordedWait, 'op' | 'timeNs'>), timeNs };
      } else if (kind === 6) {
        step = { ...(this.extra.get(i) as UntimedDmaStep), timeNs } as RecordedStep;
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
class Recorder extends ObservingRegion implements RecordingRegion {
  readonly irq: InterruptSource | undefined;
  readonly dma: DmaDevice | undefined;
  /** The DMA buffers' shadows and sync points, with `options.dma`. */
  readonly dmaRecorder: DmaRecorder | undefined;
  private readonly buffer: StepBuffer;
  private readonly start = performance.now();
  private written = 0;

  constructor(
    inner: IoRegion,
    readonly file: string,
    irq: InterruptSource | undefined,
    private readonly flushEvery: number,
    meta: unknown,
    dma?: DmaDevice,
    dmaSettings?: RecordingDmaSettings,
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
    if (dmaSettings !== undefined) header.dma = dmaSettings;
    else header.version = 1;
    const line = formatHeader(header) + '\n';
    writeFileSync(file, line);
    this.irq = irq === undefined ? undefined : new RecordingInterrupts(irq, this);
    this.dmaRecorder = dma === undefined ? undefined : new DmaRecorder(dma, dmaSettings!, (step) => this.irqStep(6, step));
    this.dma = this.dmaRecorder?.device;
    live.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', flushAllAtExit);
    }
  }

  get steps(): number {
    return this.written + this.buffer.length;
  }

  /** Record an interrupt step (3 wait, 4 unmask, 5 mask) or a DMA step (6). */
  irqStep(kind: number, extra?: Omit<RecordedWait, 'op' | 'timeNs'> | UntimedDmaStep): void {
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

  /** A doorbell: the driver's DMA data is recorded before the write reaches the device. */
  protected override write(via: WriteAccessor, value: number | bigint, offset: number, width: AccessWidth): void {
    if (this.dmaRecorder?.isDoorbell(offset)) this.dmaRecorder.sync('doorbell');
    super.write(via, value, offset, width);
  }

  /** A read of a completion register: the device's DMA data is recorded after it. */
  protected override read(via: ReadAccessor, offset: number, width: AccessWidth): BusValue {
    const value = super.read(via, offset, width);
    if (this.dmaRecorder?.isCompletion(offset)) this.dmaRecorder.sync('completion');
    return value;
  }

  /** A busy-wait poll that succeeded is a completion. */
  protected override pollSync<T extends number | bigint>(call: PollAccessor, width: AccessWidth, offset: number, cond: PollCondition<T>, delayUs: number, timeoutUs: number): T {
    const value = super.pollSync(call, width, offset, cond, delayUs, timeoutUs);
    this.dmaRecorder?.sync('completion');
    return value;
  }

  /** A sleeping poll that succeeded is a completion. */
  protected override async pollAsync<T extends number | bigint>(call: PollAccessor, width: AccessWidth, offset: number, cond: PollCondition<T>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<T> {
    const value = await super.pollAsync(call, width, offset, cond, sleepUs, timeoutUs, options);
    this.dmaRecorder?.sync('completion');
    return value;
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
      const e = error as { code?: unknown; message?: unknown; hint?: unknown };
      const recorded: RecordedWait['error'] = { message: String(e?.message ?? error) };
      if (typeof e?.code === 'string') recorded.code = e.code;
      if (typeof e?.hint === 'string') recorded.hint = e.hint;
      this.recorder.irqStep(3, { error: recorded });
      this.recorder.dmaRecorder?.sync('completion');
      throw error;
    }
    this.recorder.irqStep(3, { count: event.count, missed: event.missed });
    this.recorder.dmaRecorder?.sync('completion');
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
