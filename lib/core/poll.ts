/**
 * Polling with the contract of include/linux/iopoll.h (`read_poll_timeout` and `read_poll_timeout_atomic`):
 * read, test the condition, give up once the timeout has passed (after one last read), else wait and repeat.
 * Backends with a native spin override the `{ mask, value }` atomic case; everything else runs here.
 * @module
 */
import { setTimeout as sleepMs } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { checkMicros } from './checks.js';
import { pollTimeoutError, typeError } from './errors.js';
import type { PollCondition } from './io-region.js';

/** Turn a {@link PollCondition} into a predicate. @throws TypeError `ERR_INVALID_ARG_TYPE`. */
export function conditionPredicate<T extends number | bigint>(cond: PollCondition<T>): (value: T) => boolean {
  if (typeof cond === 'function') return cond;
  if (cond !== null && typeof cond === 'object' && typeof cond.mask === typeof cond.value) {
    const { mask, value } = cond;
    if (typeof mask === 'bigint') return (v: T) => ((v as bigint) & mask) === value;
    if (typeof mask === 'number') {
      const m = (mask as number) >>> 0;
      const want = (value as number) >>> 0;
      return (v: T) => (((v as number) & m) >>> 0) === want;
    }
  }
  throw typeError('ERR_INVALID_ARG_TYPE', 'cond must be a function (value) => boolean or { mask, value }');
}

/** Busy-wait `us` microseconds (the kernel's udelay), yielding nothing: the caller asked for a spin. */
export function udelay(us: number): void {
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
  const test = conditionPredicate(cond);
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
    udelay(delayUs);
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
  const test = conditionPredicate(cond);
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
    if (sleepUs >= 1000) await sleepMs(sleepUs / 1000);
    else await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
