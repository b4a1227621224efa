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

/** Short runs before the doubling, so that TurboFan compiles each case's function on entry (see calibrate). */
const SHORT_WARM_UP_RUNS = 1000;

/**
 * The call count for a sample of about `targetNs`: doubles n until a run takes a quarter of the target.
 * First, {@link SHORT_WARM_UP_RUNS} short runs: V8 then optimizes the case's function on entry, as it does a
 * driver's function that is called again and again, not by on-stack replacement inside one long first run;
 * on V8 13.6 and 14.6 the two shapes of the same loop differ by about 1 ns per access (docs/design-fast-path.md,
 * "The caller's loop decides"), and without this a run measured one or the other by chance. The doubling
 * runs continue the warm-up; a few more runs follow before the count is final.
 */
export function calibrate(c: JsCase, targetNs: number): number {
  const short = c.opsPerCall > 1 ? 1 : 16; // a block case's single call already moves a whole block
  for (let k = 0; k < SHORT_WARM_UP_RUNS; k++) sink ^= c.run(short);
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
