/**
 * The sleeping polls' timer where the addon loads: native/poll_timer.cc (one timerfd per thread, watched by
 * the event loop; microsecond resolution, no thread). Importing this module installs it for every backend
 * (lib/core/poll-sleep.ts); if the addon cannot load, the polls keep the JS timer.
 * @module
 */
import { setPollSleeperProvider, type PollSleeper } from '../core/poll-sleep.js';
import { addon, type Addon } from './addon.js';

/** A {@link PollSleeper} over the addon's timerfd. Call once per thread (module instance). */
export function nativePollSleeper(native: Addon): PollSleeper {
  const wakes = new Map<number, () => void>();
  native.pollSleepInit((ticket) => {
    const wake = wakes.get(ticket);
    if (wake === undefined) return;
    wakes.delete(ticket);
    wake();
  });
  let next = 0;
  return {
    kind: 'timerfd (native/poll_timer.cc)',
    sleep(minUs, maxUs, wake) {
      const ticket = (next = (next + 1) % 2 ** 32);
      wakes.set(ticket, wake);
      native.pollSleep(ticket, minUs, maxUs);
      return ticket;
    },
    cancel(ticket) {
      if (wakes.delete(ticket)) native.pollSleepCancel(ticket);
    },
  };
}

setPollSleeperProvider(() => {
  let native: Addon;
  try {
    native = addon();
  } catch {
    return undefined; // no build for this platform: the simulator still polls, on the JS timer
  }
  try {
    return nativePollSleeper(native);
  } catch {
    // A second copy of the library in this thread (the timer is already another copy's): the JS timer serves it.
    return undefined;
  }
});
