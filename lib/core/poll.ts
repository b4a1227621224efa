/**
 * Polling with the contract of include/linux/iopoll.h (`read_poll_timeout` and `read_poll_timeout_atomic`):
 * read, test the condition, give up once the timeout has passed (the read made after noticing decides), else wait
 * and repeat.
 * Backends with a native spin override the `{ mask, value }` atomic case; everything else runs here.
 * @module
 */
import { performance } from 'node:perf_hooks';
import { checkCondition, checkMicros, checkSignal } from './checks.js';
import { abortError, pollTimeoutError, typeError } from './errors.js';
import type { AbortSignalLike } from './interrupts.js';
import type { AccessWidth, PollCondition, PollOptions } from './io-region.js';
import { pollSleeper } from './poll-sleep.js';

/**
 * Turn a {@link PollCondition} for a read of `width` bytes into a predicate, after the checks of
 * {@link checkCondition} (the same for every backend).
 * @throws TypeError `ERR_INVALID_ARG_TYPE`, RangeError `ERR_OUT_OF_RANGE`.
 */
export function conditionPredicate<T extends number | bigint>(cond: PollCondition<T>, width: AccessWidth): (value: T) => boolean {
  const checked = checkCondition(cond, width);
  if (checked.kind === 'predicate') return checked.test as (value: T) => boolean;
  const { mask, value } = checked;
  if (typeof mask === 'bigint') return (v: T) => ((v as bigint) & mask) === value;
  return (v: T) => (((v as number) & (mask as number)) >>> 0) === value;
}

/** The width a poll reads, from its name (`readb_poll_timeout` → 1, `readq_poll_timeout_atomic` → 8). */
export function pollWidth(call: string): AccessWidth {
  const letter = call.charAt(4);
  return letter === 'b' ? 1 : letter === 'w' ? 2 : letter === 'q' ? 8 : 4;
}

/**
 * Busy-wait `us` microseconds (the kernel's udelay), yielding nothing: the caller asked for a spin.
 * @throws TypeError `ERR_INVALID_ARG_TYPE`, RangeError `ERR_OUT_OF_RANGE` outside 0..MAX_WAIT_US (so
 *   `udelay(Infinity)` cannot spin forever).
 */
export function udelay(us: number): void {
  checkMicros(us, 'us');
  if (us <= 0) return;
  const until = performance.now() + us / 1000;
  while (performance.now() < until) {
    /* spin */
  }
}

/**
 * The kernel's `read_poll_timeout_atomic`: spin on `read` until `cond` holds.
 * @param call name used in the ETIMEDOUT error, e.g. `readl_poll_timeout_atomic`
 * @param delayUs microseconds to busy-wait between reads (0: none)
 * @param timeoutUs microseconds before giving up (0: never)
 * @throws Error `ETIMEDOUT` carrying `.value`.
 */
export function pollAtomic<T extends number | bigint>(
  call: string,
  read: () => T,
  offset: number,
  cond: PollCondition<T>,
  delayUs: number,
  timeoutUs: number,
  path?: string,
): T {
  const test = conditionPredicate(cond, pollWidth(call));
  checkMicros(delayUs, 'delayUs');
  checkMicros(timeoutUs, 'timeoutUs');
  const deadline = timeoutUs === 0 ? Infinity : performance.now() + timeoutUs / 1000;
  for (;;) {
    // As poll_timeout_us_atomic: the expiry is noted before the read, so the read after it decides.
    const expired = performance.now() > deadline;
    const value = read();
    if (test(value)) return value;
    if (expired) throw pollTimeoutError(call, offset, value, timeoutUs, path);
    // Never spin past the deadline: the read after it comes on time.
    udelay(Math.max(0, Math.min(delayUs, (deadline - performance.now()) * 1000)));
  }
}

/** The signal of `options`, checked. @throws TypeError `ERR_INVALID_ARG_TYPE`. */
export function pollSignal(options: PollOptions | undefined): AbortSignalLike | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') {
    throw typeError('ERR_INVALID_ARG_TYPE', `options must be an object like { signal }, got ${options === null ? 'null' : typeof options}`, 'options is an object such as { signal }, or leave it out.');
  }
  return checkSignal(options.signal, 'options.signal');
}

/**
 * The waits of one sleeping poll: sleeps (or, for sleepUs 0, event-loop turns) that the poll's AbortSignal
 * cuts short. One abort listener for the whole poll, not one per sleep.
 */
class PollWaits {
  #ticket = -1;
  #immediate: NodeJS.Immediate | undefined;
  #reject: ((e: unknown) => void) | undefined;
  readonly #sleeper = pollSleeper();
  readonly #signal: AbortSignalLike | undefined;
  readonly #onAbort = (): void => {
    if (this.#ticket >= 0) this.#sleeper.cancel(this.#ticket);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#ticket = -1;
    this.#immediate = undefined;
    this.#reject?.(abortError(this.#signal?.reason));
  };

  constructor(signal: AbortSignalLike | undefined) {
    this.#signal = signal;
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Sleep minUs..maxUs (0, 0: one event-loop turn). Rejects with the AbortError if the signal fires. */
  wait(minUs: number, maxUs: number): Promise<void> {
    if (this.#signal?.aborted) return Promise.reject(abortError(this.#signal.reason));
    return new Promise<void>((resolve, reject) => {
      this.#reject = reject;
      const done = (): void => {
        this.#ticket = -1;
        this.#immediate = undefined;
        this.#reject = undefined;
        resolve();
      };
      if (maxUs === 0) this.#immediate = setImmediate(done);
      else this.#ticket = this.#sleeper.sleep(minUs, maxUs, done);
    });
  }

  close(): void {
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}

/**
 * The kernel's `read_poll_timeout` (include/linux/iopoll.h, as `poll_timeout_us` since Linux 6.18): read, test
 * `cond`; once the timeout has passed, the read made after noticing it decides; else sleep
 * `usleep_range((sleepUs >> 2) + 1, sleepUs)` and repeat. The sleep never blocks the event loop (see
 * lib/core/poll-sleep.ts) and never runs past the deadline (the range, its minimum too, is cut to it), so a
 * timeout is reported about the event loop's latency after `timeoutUs`. sleepUs 0 yields one
 * event-loop turn (setImmediate) between reads, as the kernel's 0 is a tight loop.
 * @param sleepUs the longest sleep between reads, µs (0..MAX_WAIT_US)
 * @param timeoutUs µs before giving up (0: never; at most MAX_WAIT_US)
 * @throws (rejects) Error `ETIMEDOUT` carrying `.value`; `AbortError` (`ABORT_ERR`) on abort; TypeError
 *   `ERR_INVALID_ARG_TYPE` / RangeError `ERR_OUT_OF_RANGE` for bad arguments (before any read).
 */
export async function pollAsync<T extends number | bigint>(
  call: string,
  read: () => T,
  offset: number,
  cond: PollCondition<T>,
  sleepUs: number,
  timeoutUs: number,
  path?: string,
  options?: PollOptions,
): Promise<T> {
  const test = conditionPredicate(cond, pollWidth(call));
  checkMicros(sleepUs, 'sleepUs');
  checkMicros(timeoutUs, 'timeoutUs');
  const signal = pollSignal(options);
  if (signal?.aborted) throw abortError(signal.reason);
  const deadline = timeoutUs === 0 ? Infinity : performance.now() + timeoutUs / 1000;
  // usleep_range's range; for a fractional sleepUs below 4 the minimum is sleepUs itself.
  const minUs = Math.min(sleepUs, Math.floor(sleepUs / 4) + 1);
  const waits = new PollWaits(signal);
  try {
    for (;;) {
      const expired = performance.now() > deadline;
      const value = read();
      if (test(value)) return value;
      if (expired) throw pollTimeoutError(call, offset, value, timeoutUs, path);
      // Never sleep past the deadline (the range is cut to it, the minimum too): the read after it comes on time.
      const leftUs = Math.max(0, (deadline - performance.now()) * 1000);
      const maxUs = Math.min(sleepUs, leftUs);
      await waits.wait(Math.min(minUs, maxUs), maxUs);
    }
  } finally {
    waits.close();
  }
}
