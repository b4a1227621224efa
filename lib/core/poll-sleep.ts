/**
 * The sleep between the reads of a sleeping poll (`readX_poll_timeout`): the kernel's
 * `usleep_range(min, max)` (include/linux/delay.h, kernel/time/sleep_timeout.c), without blocking the event loop.
 *
 * Two implementations stand behind one interface:
 * - where the native addon is loaded, lib/linux/poll-timer.ts: one timerfd per thread watched by the event
 *   loop (native/poll_timer.cc), microsecond resolution, and no thread;
 * - elsewhere (the simulator without the addon, e.g. on macOS), {@link jsTimerSleeper}: Node's timers, whose
 *   resolution is 1 ms, so a sub-millisecond sleep lasts about 1 ms there.
 * Either way a sleep never ends before its `minUs`; it may end after `maxUs` when the event loop is busy.
 * @module
 */
import { performance } from 'node:perf_hooks';

/** Something that ends sleeps: `sleep` calls `wake` once, between `minUs` and `maxUs` from now (later if busy). */
export interface PollSleeper {
  /** What the bench and docs call this sleeper, e.g. `timerfd` or `setTimeout`. */
  readonly kind: string;
  /**
   * Start a sleep of `minUs`..`maxUs` microseconds (0 <= minUs <= maxUs, finite). `wake` runs once, as a
   * macrotask, unless the sleep is cancelled first.
   * @returns a ticket for {@link PollSleeper.cancel}.
   */
  sleep(minUs: number, maxUs: number, wake: () => void): number;
  /** Cancel a pending sleep: its `wake` will not run. Unknown or finished tickets are ignored. */
  cancel(ticket: number): void;
}

/** Node's setTimeout holds at most 2^31 - 1 ms; longer sleeps wait in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The portable sleeper: Node timers (1 ms resolution), re-armed until `minUs` has passed, because a
 * libuv timer may fire up to 1 ms early against the monotonic clock (it counts from the loop's cached time).
 */
export function jsTimerSleeper(): PollSleeper {
  const timers = new Map<number, NodeJS.Timeout>();
  let next = 0;
  return {
    kind: 'setTimeout (1 ms resolution)',
    sleep(minUs, maxUs, wake) {
      const ticket = (next = (next + 1) % 2 ** 32);
      const earliest = performance.now() + minUs / 1000;
      const arm = (ms: number): void => {
        timers.set(ticket, setTimeout(fire, Math.min(MAX_TIMER_MS, Math.max(1, ms))));
      };
      const fire = (): void => {
        const left = earliest - performance.now();
        if (left > 0) return arm(Math.ceil(left));
        timers.delete(ticket);
        wake();
      };
      arm(Math.floor(maxUs / 1000));
      return ticket;
    },
    cancel(ticket) {
      const t = timers.get(ticket);
      if (t === undefined) return;
      clearTimeout(t);
      timers.delete(ticket);
    },
  };
}

let fallback: PollSleeper | undefined;
let current: PollSleeper | undefined;
let provider: (() => PollSleeper | undefined) | undefined;

/**
 * Install where the sleeping polls get their sleeper from: `get` is asked once, on the first sleeping poll;
 * `undefined` means "not here", and the JS timer serves from then on. lib/linux does this, so that every backend
 * (simulated, replayed, observed, native) sleeps on the same timer where the addon loads.
 * @internal
 */
export function setPollSleeperProvider(get: () => PollSleeper | undefined): void {
  provider = get;
  current = undefined;
}

/** The sleeper the sleeping polls use now (see {@link setPollSleeperProvider}). @internal */
export function pollSleeper(): PollSleeper {
  if (current !== undefined) return current;
  return (current = provider?.() ?? (fallback ??= jsTimerSleeper()));
}
