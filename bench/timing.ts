/**
 * Timing one JS case: calibrate a call count once, then take one sample per round.
 * @module
 */
import type { JsCase } from './js-cases.js';

/** Where results go so no JIT can prove a case's loop result unused. */
export let sink = 0;

/** ns per operation of one run of `n` calls. */
export function sampleNs(c: JsCase, n: number): number {
  const t0 = process.hrtime.bigint();
  sink ^= c.run(n);
  const dt = Number(process.hrtime.bigint() - t0);
  return dt / (n * c.opsPerCall);
}

/**
 * The call count for a sample of about `targetNs`: doubles n until a run takes a quarter of the target.
 * The doubling runs double as the JIT warm-up; a few more runs follow before the count is final.
 */
export function calibrate(c: JsCase, targetNs: number): number {
  let n = 16;
  for (;;) {
    const t0 = process.hrtime.bigint();
    sink ^= c.run(n);
    const dt = Number(process.hrtime.bigint() - t0);
    if (dt >= targetNs / 4) {
      // The doubling ran partly unoptimized code: warm up at the estimated count, then rescale once.
      const calls = Math.max(1, Math.round((n * targetNs) / dt));
      for (let k = 0; k < 3; k++) sampleNs(c, calls);
      const warmNs = sampleNs(c, calls) * calls * c.opsPerCall;
      return Math.max(1, Math.round((calls * targetNs) / warmNs));
    }
    n *= 2;
  }
}
