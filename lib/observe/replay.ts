/**
 * Replay a recording made by {@link recordRegion} (lib/record.ts): a backend that answers each access with the
 * value recorded for it, in order, and checks that the driver makes exactly the recorded accesses. CI runs the
 * driver against exactly what the hardware answered; a driver that changed its accesses fails with an error
 * naming the step.
 *
 * ```ts
 * using regs = replayRegion('test/fixtures/edu-demo.uio.jsonl');
 * const result = await runEduDemo(regs, regs.irq);   // the same results as on the hardware
 * regs.finish();                                     // and every recorded step was used
 * ```
 *
 * Matching: step by step, a read must have the recorded width and offset (it returns the recorded value); a
 * write must have the recorded width, offset and value (as it crossed the bus); an interrupt `wait`, `unmask`
 * or `mask` must come where one was recorded. `via` (which accessor made an access) is not compared: a
 * `readl_relaxed` replays a recorded `readl`. A `*_poll_timeout*` reads recorded steps until its condition holds,
 * and gives up with `ETIMEDOUT` (with `.value`) exactly where the recording has a `timeout` step; it never
 * sleeps. An interrupt wait resolves (or rejects) as recorded, at once.
 *
 * The first mismatch throws a {@link ReplayDivergedError} (`code` `ERR_REPLAY_DIVERGED`) naming the step, what
 * the recording expected and what the driver did; the replay stays failed, and every later step throws the same
 * error. {@link ReplayRegion.finish} checks that nothing recorded was left over.
 *
 * A version-2 recording (made with `recordRegion(..., { dma })`) also replays the DMA device: `replay.dma` is a
 * {@link DmaDevice} and {@link PciConfigSpace} to give the driver in the device's place (lib/observe/dma-replay.ts):
 * allocations at the recorded bus addresses, the driver's data checked at each doorbell, the device's data written
 * into the buffers at each completion.
 *
 * Record/replay assumes one deterministic order of accesses (a driver that does one thing at a time, as the
 * kernel's do under a lock); concurrent tasks that interleave differently will diverge.
 * @module
 */
import { checkMicros, checkWaitOptions, describe } from '../core/checks.js';
import { abortError, irqClosedError, pollTimeoutError, typeError } from '../core/errors.js';
import { interruptEvents, type InterruptEvent, type InterruptSource, type InterruptWaitOptions } from '../core/interrupts.js';
import type { AccessWidth, PollCondition, PollOptions } from '../core/io-region.js';
import { conditionPredicate, pollSignal } from '../core/poll.js';
import type { PollAccessor } from '../core/region-base.js';
import { readByWidth } from '../core/width-dispatch.js';
import {
  readRecording,
  type RecordedAccess,
  type RecordedStep,
  type RecordedWait,
  type Recording,
} from './recording-format.js';
import type { BusValue } from '../core/bus-value.js';
import type { ReadAccessor, WriteAccessor } from '../core/region-base.js';
import type { DmaDevice } from '../core/dma.js';
import type { PciConfigSpace } from '../core/pci-config.js';
import { ReplayDma } from './dma-replay.js';
import type { SimDevice } from '../sim/sim-device.js';
import { SimRegion } from '../sim/sim-region.js';

/** What the driver did at a step where the replay diverged. */
export interface ReplayAttempt {
  /**
   * The operation: an access, an interrupt call, a DMA or config call (version 2), or `'end'` (the driver
   * finished, from {@link ReplayRegion.finish}).
   */
  op: 'read' | 'write' | 'wait' | 'unmask' | 'mask' | 'end' | 'config-read' | 'config-write' | 'dma-mask' | 'dma-alloc' | 'dma-free';
  /** Access width in bytes (accesses only). */
  width?: AccessWidth;
  /** Byte offset (accesses only). */
  offset?: number;
  /** The value written, on the bus (writes only). */
  value?: number | bigint;
  /** `dma-alloc`: the size asked, in bytes. */
  size?: number;
  /** `dma-mask`: the mask. */
  mask?: bigint;
  /** `dma-free`: the buffer's number in the recording. */
  buf?: number;
}

/**
 * The error of a replay that diverged from its recording: `code` `ERR_REPLAY_DIVERGED`. The message reads e.g.
 * `replay of edu.jsonl diverged at step 2 (line 3): expected W32 +0x004 = 0x12345678, got W32 +0x004 = 0x0000abcd`.
 */
export interface ReplayDivergedError extends Error {
  /** `'ERR_REPLAY_DIVERGED'`. */
  code: 'ERR_REPLAY_DIVERGED';
  /** The 1-based step number (the file's line number minus 1). */
  step: number;
  /** The recorded step (`undefined`: the recording had ended). */
  expected: RecordedStep | undefined;
  /** What the driver did instead. */
  actual: ReplayAttempt;
  /** One line saying what to do. */
  hint: string;
  /** The recording's file name (or `'<recording>'`). */
  source: string;
}

const hex = (v: number | bigint, width: number): string => `0x${v.toString(16).padStart(width * 2, '0')}`;
const at = (offset: number): string => `+0x${offset.toString(16).padStart(3, '0')}`;

/** A recorded step in words, as formatTrace writes accesses: `R32 +0x020 = 0x00000001 [readl_poll_timeout]`. */
export function describeStep(step: RecordedStep | undefined): string {
  if (step === undefined) return 'the end of the recording';
  switch (step.op) {
    case 'read':
    case 'write': {
      const text = `${step.op === 'read' ? 'R' : 'W'}${step.width * 8} ${at(step.offset)} = ${hex(step.value, step.width)}`;
      return step.via === undefined ? text : `${text} [${step.via}]`;
    }
    case 'timeout':
      return `${step.via} giving up (ETIMEDOUT) at ${at(step.offset)}`;
    case 'wait':
      return step.error === undefined
        ? `an interrupt wait (count ${step.count}, missed ${step.missed})`
        : `an interrupt wait failing with ${step.error.code ?? 'an error'}`;
    case 'unmask':
    case 'mask':
      return `${step.op}() of the interrupt line`;
    case 'config-read':
      return `pci_read_config (${step.width} bytes at ${hex(step.offset, 0)}) = ${hex(step.value, step.width)}`;
    case 'config-write':
      return `pci_write_config (${step.width} bytes at ${hex(step.offset, 0)}) = ${hex(step.value, step.width)}`;
    case 'dma-mask':
      return `dma_set_mask(0x${step.mask.toString(16)})`;
    case 'dma-alloc':
      return `dma_alloc_coherent of ${step.size} bytes (buffer ${step.buf}, dma_handle 0x${step.dma_handle.toString(16)})`;
    case 'dma-free':
      return `dma_free_coherent of buffer ${step.buf}`;
    default:
      return `the DMA data at a ${step.at} (${step.changes.length} changed run${step.changes.length === 1 ? '' : 's'})`;
  }
}

function describeAttempt(attempt: ReplayAttempt): string {
  switch (attempt.op) {
    case 'read':
      return `R${(attempt.width ?? 0) * 8} ${at(attempt.offset ?? 0)}`;
    case 'write':
      return `W${(attempt.width ?? 0) * 8} ${at(attempt.offset ?? 0)} = ${hex(attempt.value ?? 0, attempt.width ?? 4)}`;
    case 'wait':
      return 'an interrupt wait';
    case 'end':
      return 'no more steps (the driver finished)';
    case 'config-read':
      return `pci_read_config (${attempt.width} bytes at ${hex(attempt.offset ?? 0, 0)})`;
    case 'config-write':
      return `pci_write_config (${attempt.width} bytes at ${hex(attempt.offset ?? 0, 0)}) = ${hex(attempt.value ?? 0, attempt.width ?? 4)}`;
    case 'dma-mask':
      return `dma_set_mask(0x${(attempt.mask ?? 0n).toString(16)})`;
    case 'dma-alloc':
      return `dma_alloc_coherent of ${attempt.size} bytes`;
    case 'dma-free':
      return `dma_free_coherent of buffer ${attempt.buf}`;
    default:
      return `${attempt.op}() of the interrupt line`;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The replay.

/** The position in a recording, shared by the region and its interrupt source. */
class Cursor {
  index = 0;
  failure: ReplayDivergedError | undefined;

  constructor(
    readonly steps: readonly RecordedStep[],
    readonly source: string,
  ) {}

  diverge(expected: RecordedStep | undefined, actual: ReplayAttempt): ReplayDivergedError {
    const step = this.index + 1;
    const where = `replay of ${this.source} diverged at step ${step} (line ${step + 1})`;
    const message =
      expected === undefined
        ? `${where}: the recording ended after ${this.steps.length} steps, but the driver made ${describeAttempt(actual)}`
        : actual.op === 'end'
          ? `${where}: the driver finished, but the recording has ${this.steps.length - this.index} more steps, the next: ${describeStep(expected)}`
          : `${where}: expected ${describeStep(expected)}, got ${describeAttempt(actual)}`;
    const err = new Error(message) as ReplayDivergedError;
    err.code = 'ERR_REPLAY_DIVERGED';
    err.hint = `the driver did not repeat what was recorded at step ${step}: compare its code with the recording's line ${step + 1}, or record it again.`;
    err.step = step;
    err.expected = expected;
    err.actual = actual;
    err.source = this.source;
    this.failure = err;
    return err;
  }

  /** The next step if `matches` accepts it (and consume it); else the replay diverges. */
  take(actual: ReplayAttempt, matches: (step: RecordedStep) => boolean): RecordedStep {
    if (this.failure !== undefined) throw this.failure;
    const step = this.steps[this.index];
    if (step === undefined || !matches(step)) throw this.diverge(step, actual);
    this.index++;
    return step;
  }

  /** The next step, not consumed. */
  peek(): RecordedStep | undefined {
    return this.steps[this.index];
  }

  /** Consume the next step unchecked. */
  skip(): void {
    this.index++;
  }

  /** Diverge with `detail` as the message's end (the replay's earlier failure, if there was one). */
  fail(detail: string): never {
    if (this.failure !== undefined) throw this.failure;
    const step = this.index + 1;
    const err = new Error(`replay of ${this.source} diverged at step ${step} (line ${step + 1}): ${detail}`) as ReplayDivergedError;
    err.code = 'ERR_REPLAY_DIVERGED';
    // One line saying what to do, as every error of the package carries.
    (err as { hint?: string }).hint = `the driver's DMA buffers do not hold what was recorded at step ${step}: compare what it puts there (or what it expects back) with the recording's line ${step + 1}, or record it again.`;
    err.step = step;
    err.expected = this.steps[this.index];
    err.actual = { op: 'write' };
    err.source = this.source;
    this.failure = err;
    throw err;
  }

  /** Consume a `timeout` step of the poll at (width, offset) if one comes next. */
  takeTimeout(call: string, width: AccessWidth, offset: number): boolean {
    if (this.failure !== undefined) throw this.failure;
    const step = this.steps[this.index];
    if (step?.op !== 'timeout') return false;
    if (step.width !== width || step.offset !== offset) throw this.diverge(step, { op: 'read', width, offset });
    void call;
    this.index++;
    return true;
  }
}

/** The simulated device of a replay: every access consumes one recorded step. */
class ReplayDevice implements SimDevice {
  constructor(
    readonly size: number,
    private readonly cursor: Cursor,
  ) {}

  read(offset: number, width: AccessWidth): BusValue {
    const step = this.cursor.take({ op: 'read', width, offset }, (s) => s.op === 'read' && s.width === width && s.offset === offset);
    return (step as RecordedAccess).value;
  }

  write(offset: number, width: AccessWidth, value: BusValue): void {
    this.cursor.take(
      { op: 'write', width, offset, value },
      (s) => s.op === 'write' && s.width === width && s.offset === offset && (s as RecordedAccess).value === value,
    );
  }
}

/**
 * A region that replays a recording (from {@link replayRegion}). An {@link IoRegion} with the recorded region's
 * `size` and `phys`, `path` `replay:<recorded path>`, the same argument checks and errors as every backend (it is
 * a {@link SimRegion} over a device that answers from the recording), plus the replay's state.
 */
export class ReplayRegion extends SimRegion {
  /** The recording being replayed. */
  readonly recording: Recording;
  /** The file name, or `'<recording>'` when given a parsed recording. */
  readonly source: string;
  /** The recorded interrupt source's stand-in: waits, unmasks and masks are steps of the same recording. */
  readonly irq: ReplayInterrupts;
  /**
   * The recorded DMA device's stand-in (version 2): give it to the driver where it was given the device. On a
   * version-1 recording it has nothing to replay: each call diverges.
   */
  readonly dma: DmaDevice & PciConfigSpace;
  readonly #dma: ReplayDma;
  private readonly cursor: Cursor;

  /** Prefer {@link replayRegion}. */
  constructor(recording: Recording, source = '<recording>') {
    const cursor = new Cursor(recording.steps, source);
    super(new ReplayDevice(recording.header.size, cursor), { phys: recording.header.phys });
    (this as { path: string }).path = `replay:${recording.header.path}`;
    this.recording = recording;
    this.source = source;
    this.cursor = cursor;
    this.#dma = new ReplayDma(cursor, recording.header.dma);
    this.dma = this.#dma;
    this.irq = new ReplayInterrupts(cursor, `replay:${recording.header.irq ?? 'irq'}`, () => this.#dma.completion());
  }

  /** A doorbell write first checks the driver's DMA data. */
  protected override write(via: WriteAccessor, value: number | bigint, offset: number, width: AccessWidth): void {
    this.#dma.beforeWrite(offset);
    super.write(via, value, offset, width);
  }

  /** A read of a completion register then writes the device's DMA data. */
  protected override read(via: ReadAccessor, offset: number, width: AccessWidth): BusValue {
    const value = super.read(via, offset, width);
    this.#dma.afterRead(offset);
    return value;
  }

  /** Steps used so far. */
  get position(): number {
    return this.cursor.index;
  }

  /** Steps not yet used. */
  get remaining(): number {
    return this.cursor.steps.length - this.cursor.index;
  }

  /** The divergence, once there was one. */
  get diverged(): ReplayDivergedError | undefined {
    return this.cursor.failure;
  }

  /**
   * Check that the replay went through the whole recording: call it when the driver is done.
   * @throws {@link ReplayDivergedError} `ERR_REPLAY_DIVERGED`: the replay diverged earlier (that error), or steps
   *   are left over (`actual.op` `'end'`, `expected` the next recorded step).
   */
  finish(): void {
    if (this.cursor.failure !== undefined) throw this.cursor.failure;
    const next = this.cursor.steps[this.cursor.index];
    if (next !== undefined) throw this.cursor.diverge(next, { op: 'end' });
  }

  /** A replayed `*_poll_timeout_atomic`: reads recorded steps until `cond` holds or the recording gives up. */
  protected override pollSync<T extends number | bigint>(call: PollAccessor, width: AccessWidth, offset: number, cond: PollCondition<T>, delayUs: number, timeoutUs: number): T {
    this.checkAccess(offset, width);
    const test = conditionPredicate(cond, width);
    checkMicros(delayUs, 'delayUs');
    checkMicros(timeoutUs, 'timeoutUs');
    for (;;) {
      const value = readByWidth(this, width, offset) as T;
      if (test(value)) {
        this.#dma.completion();
        return value;
      }
      if (this.cursor.takeTimeout(call, width, offset)) throw pollTimeoutError(call, offset, value, timeoutUs, this.path);
    }
  }

  /**
   * A replayed `*_poll_timeout`: as {@link ReplayRegion.pollSync}. The recording decides when it timed out, so no
   * real sleep: a turn of the event loop between reads; the signal is honoured before each read.
   */
  protected override async pollAsync<T extends number | bigint>(call: PollAccessor, width: AccessWidth, offset: number, cond: PollCondition<T>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<T> {
    this.checkAccess(offset, width);
    const test = conditionPredicate(cond, width);
    checkMicros(sleepUs, 'sleepUs');
    checkMicros(timeoutUs, 'timeoutUs');
    const signal = pollSignal(options);
    for (;;) {
      if (signal?.aborted) throw abortError(signal.reason);
      const value = readByWidth(this, width, offset) as T;
      if (test(value)) {
        this.#dma.completion();
        return value;
      }
      if (this.cursor.takeTimeout(call, width, offset)) throw pollTimeoutError(call, offset, value, timeoutUs, this.path);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

/**
 * The interrupt source of a replay: `wait()` resolves with the recorded event (or rejects with the recorded
 * error: same `code` and message) on the next turn of the event loop, without waiting; `unmask()` and `mask()`
 * must come where they were recorded. A wait, unmask or mask the recording does not have at that point rejects
 * (throws) {@link ReplayDivergedError}.
 */
export class ReplayInterrupts implements InterruptSource {
  private closed = false;

  /**
   * Made by {@link ReplayRegion}; use its `irq`.
   * @internal
   */
  constructor(
    private readonly cursor: Cursor,
    /** `replay:<recorded interrupt source's path>`. */
    readonly path: string,
    /** After each wait's step: the device's DMA data at the completion. */
    private readonly completion: () => void = () => {},
  ) {}

  /**
   * The recorded outcome of the next interrupt wait. `options` are accepted and not used: the recording decides.
   * @throws (rejects) the recorded error (`ETIMEDOUT`, `ABORT_ERR`…); `ERR_IRQ_CLOSED` after close;
   *   `ERR_REPLAY_DIVERGED`.
   */
  async wait(options?: InterruptWaitOptions): Promise<InterruptEvent> {
    if (this.closed) throw irqClosedError(this.path);
    checkWaitOptions(options); // checked as every backend checks them, then not used: the recording decides
    const step = this.cursor.take({ op: 'wait' }, (s) => s.op === 'wait') as RecordedWait;
    this.completion();
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (step.error !== undefined) {
      const err = new Error(step.error.message) as Error & { code?: string; hint: string };
      if (step.error.code !== undefined) err.code = step.error.code;
      // The hint the device's error had (recordings before it was kept have none: say where the error comes from).
      err.hint = step.error.hint ?? `the recording (${this.cursor.source}) holds this wait's failure as the device gave it; record again to keep its hint`;
      if (step.error.code === 'ABORT_ERR') err.name = 'AbortError';
      throw err;
    }
    return { count: step.count as number, missed: step.missed as number };
  }

  /** A recorded `unmask()`. @throws `ERR_IRQ_CLOSED` after close; `ERR_REPLAY_DIVERGED`. */
  unmask(): void {
    if (this.closed) throw irqClosedError(this.path);
    this.cursor.take({ op: 'unmask' }, (s) => s.op === 'unmask');
  }

  /** A recorded `mask()`. @throws `ERR_IRQ_CLOSED` after close; `ERR_REPLAY_DIVERGED`. */
  mask(): void {
    if (this.closed) throw irqClosedError(this.path);
    this.cursor.take({ op: 'mask' }, (s) => s.op === 'mask');
  }

  /** Close: later calls throw (reject) `ERR_IRQ_CLOSED`. Not a step. Idempotent. */
  close(): void {
    this.closed = true;
  }

  /** Same as {@link ReplayInterrupts.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** One `wait()` per step; ends at `ERR_IRQ_CLOSED`. */
  [Symbol.asyncIterator](): AsyncGenerator<InterruptEvent, void, undefined> {
    return interruptEvents(this);
  }
}

/**
 * A backend that replays a recording: pass it (and its `irq`) to the driver in place of the device.
 * @param source a trace file path, or a parsed {@link Recording}
 * @returns the region, positioned at step 1
 * @throws the file system's error (`ENOENT`…); Error `ERR_INVALID_RECORDING` naming the line; TypeError
 *   `ERR_INVALID_ARG_TYPE`.
 */
export function replayRegion(source: string | Recording): ReplayRegion {
  if (typeof source === 'string') return new ReplayRegion(readRecording(source), source);
  if (source === null || typeof source !== 'object' || !Array.isArray(source.steps) || typeof source.header !== 'object') {
    throw typeError('ERR_INVALID_ARG_TYPE', `replayRegion needs a file path or a recording { header, steps }, got ${describe(source)}`, 'pass the path of a recording file, or the { header, steps } that parseRecording returned.');
  }
  return new ReplayRegion(source);
}
