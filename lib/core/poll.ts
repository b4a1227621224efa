/**
 * Polling with the contract of include/linux/iopoll.h (`read_poll_timeout` and `read_poll_timeout_atomic`):
 * read, test the condition, give up once the timeout has passed (after one last read), else wait and repeat.
 * Backends with a native spin override the `{ mask, value }` atomic case; everything else runs here.
 * @module
 */
import { setTimeout as sleepMs } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { checkCondition, checkMicros } from './checks.js';
import { pollTimeoutError } from './errors.js';
import type { AccessWidth, PollCondition } from './io-region.js';

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
    const value = read();
    if (test(value)) return value;
    if (performance.now() > deadline) {
      const last = read();
      if (test(last)) return last;
      throw pollTimeoutError(call, offset, last, timeoutUs, path);
    }
    // Never spin past the deadline: the last read comes on time.
    udelay(Math.max(0, Math.min(delayUs, (deadline - performance.now()) * 1000)));
  }
}

/**
 * The kernel's `read_poll_timeout`: like {@link pollAtomic}, but sleeps `sleepUs` between reads without
 * blocking the event loop (sub-millisecond sleeps yield to the loop with setImmediate, as timers are 1 ms).
 * @throws (rejects) Error `ETIMEDOUT` carrying `.value`.
 */
export async function pollAsync<T extends number | bigint>(
  call: string,
  read: () => T,
  offset: number,
  cond: PollCondition<T>,
  sleepUs: number,
  timeoutUs: number,
  path?: string,
): Promise<T> {
  const test = conditionPredicate(cond, pollWidth(call));
  checkMicros(sleepUs, 'sleepUs');
  checkMicros(timeoutUs, 'timeoutUs');
  const deadline = timeoutUs === 0 ? Infinity : performance.now() + timeoutUs / 1000;
  for (;;) {
    const value = read();
    if (test(value)) return value;
    if (performance.now() > deadline) {
      const last = read();
      if (test(last)) return last;
      throw pollTimeoutError(call, offset, last, timeoutUs, path);
    }
    // Never sleep past the deadline: the last read comes on time.
    const us = Math.min(sleepUs, Math.max(0, (deadline - performance.now()) * 1000));
    if (us >= 1000) await sleepMs(us / 1000);
    else await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
