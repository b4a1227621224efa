/**
 * A busy period for simulated devices: an operation that ends after the status register has been read a
 * number of times, or after a time, whichever comes first. Read counts make polling loops visible and
 * deterministic in tests; the time lets an operation end when nobody polls (a device that interrupts when done).
 * @module
 */
import { performance } from 'node:perf_hooks';
import { rangeError } from '../core/errors.js';

/** Options of a {@link BusyCountdown}. */
export interface BusyCountdownOptions {
  /** Status reads that still see "busy" after {@link BusyCountdown.start}; the next one sees "done". Default 3. */
  reads?: number;
  /**
   * Microseconds after {@link BusyCountdown.start} when the operation ends on its own, even if nobody reads;
   * a timer ends it then. `Infinity`: only reads end it. Default 10 000 (10 ms).
   */
  timeUs?: number;
  /** Runs once when the operation ends (by reads, by time or by {@link BusyCountdown.finish}). */
  onDone(): void;
}

/**
 * The countdown of one busy period at a time. A status register's `onRead` hook calls
 * {@link BusyCountdown.countRead}; the device's "start" write calls {@link BusyCountdown.start}.
 * @throws (constructor) RangeError `ERR_OUT_OF_RANGE` if `reads` is not a non-negative integer or `timeUs` is
 *   negative or NaN.
 */
export class BusyCountdown {
  private readonly reads: number;
  private readonly timeUs: number;
  private readonly onDone: () => void;
  private readsSeen = 0;
  private deadline = Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;

  constructor(options: BusyCountdownOptions) {
    this.reads = options.reads ?? 3;
    this.timeUs = options.timeUs ?? 10_000;
    if (!Number.isInteger(this.reads) || this.reads < 0) {
      throw rangeError('ERR_OUT_OF_RANGE', `reads must be a non-negative integer, got ${this.reads}`, 'reads is how many reads the register stays busy for: an integer >= 0.');
    }
    if (!(this.timeUs >= 0)) throw rangeError('ERR_OUT_OF_RANGE', `timeUs must be >= 0 microseconds, got ${this.timeUs}`, 'timeUs is how long the register stays busy, in microseconds: a number >= 0.');
    this.onDone = options.onDone;
  }

  /** True from {@link BusyCountdown.start} until the operation ends. Ends it first if its time has passed. */
  get busy(): boolean {
    if (this.running && performance.now() >= this.deadline) this.finish();
    return this.running;
  }

  /** Begin a busy period (restarting the count and the time if one is running). */
  start(): void {
    this.cancel();
    this.running = true;
    this.readsSeen = 0;
    // Beyond setTimeout's limit (2^31-1 ms, about 24.8 days) counts as never.
    if (this.timeUs / 1000 <= 0x7fff_ffff) {
      this.deadline = performance.now() + this.timeUs / 1000;
      // Kept referenced: a program awaiting the "done" interrupt must not exit before it comes.
      this.timer = setTimeout(() => this.finish(), this.timeUs / 1000);
    }
  }

  /**
   * Count one read of the status register. The first `reads` reads after `start` see busy; the next one ends
   * the operation (running `onDone` before the read takes its value).
   * @returns true while still busy.
   */
  countRead(): boolean {
    if (!this.busy) return false;
    if (this.readsSeen >= this.reads) {
      this.finish();
      return false;
    }
    this.readsSeen++;
    return true;
  }

  /** End the busy period now and run `onDone` (nothing if none is running). */
  finish(): void {
    if (!this.running) return;
    this.cancel();
    this.onDone();
  }

  /** Drop the busy period without running `onDone`, and stop its timer. */
  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.running = false;
    this.deadline = Infinity;
  }
}
