/**
 * The asynchronous readl_poll_timeout's cost per read: a poll whose condition fails `reads` times with
 * sleepUs 0, so every read is followed by the library's yield to the event loop (a setImmediate turn).
 * The bare setImmediate turn is measured beside it, as the floor any non-blocking poll pays.
 * @module
 */
import type { NativeRegion } from '../lib/linux/native-region.js';
import { REG } from './layout.js';

/** ns per read of `region.readl_poll_timeout(REG, cond, 0, 0)` over `reads` reads. */
export async function asyncPollNsPerRead(region: NativeRegion, reads: number): Promise<number> {
  let seen = 0;
  const t0 = process.hrtime.bigint();
  await region.readl_poll_timeout(REG, () => ++seen >= reads, 0, 0);
  return Number(process.hrtime.bigint() - t0) / reads;
}

/** ns per `await new Promise(setImmediate)`, the yield readl_poll_timeout makes between reads. */
export async function setImmediateNsPerTurn(turns: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  return Number(process.hrtime.bigint() - t0) / turns;
}
