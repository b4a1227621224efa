/**
 * The sleeping poll's semantics (lib/core/poll.ts, include/linux/iopoll.h), on every backend: it never gives up
 * before its timeout, the read made after the deadline decides, each sleep lasts at least usleep_range's
 * minimum, the documented slack bounds how late a timeout is reported, an AbortSignal ends it, and bad
 * sleep/timeout/options are rejected before any read. Timing assertions are lower bounds (exact by design)
 * or generous upper bounds (what a hang or a lost wake-up would break); speed is the bench's business.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { jsTimerSleeper, pollSleeper } from '../../lib/core/poll-sleep.js';
import type { IoRegion } from '../../lib/core/io-region.js';
import { mapFile } from '../../lib/index.js';
import { RegisterModel, SimRegion } from '../../lib/sim/index.js';
import { tempFile } from '../helpers/temp-file.js';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** How late past its deadline a timeout may be reported here, beyond the sleep's minimum: event-loop latency on a loaded CI machine. */
const LATENCY_MS = 150;

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const backends: [string, () => IoRegion][] = [
  [
    'native',
    () => {
      const file = tempFile(4096);
      const r = mapFile(file.path, 0, 4096);
      cleanups.push(() => {
        r.iounmap();
        file.cleanup();
      });
      return r;
    },
  ],
  ['sim', () => new SimRegion(new RegisterModel({ size: 4096 }), { name: 'poll' })],
];

/** Times (performance.now, ms) of every read a never-met poll makes. */
function recorder(): { times: number[]; cond: (v: number) => boolean } {
  const times: number[] = [];
  return { times, cond: () => (times.push(performance.now()), false) };
}

describe('the sleeping poll uses the native timer where the addon loads', () => {
  it('is the timerfd sleeper', () => {
    expect(pollSleeper().kind).toMatch(/^timerfd/);
  });
});

describe.each(backends)('readX_poll_timeout on %s', (_name, make) => {
  it('never gives up before timeoutUs, the last read comes after the deadline, and the timeout is not late beyond the slack', async () => {
    const r = make();
    const { times, cond } = recorder();
    const sleepUs = 2000;
    const timeoutUs = 20_000;
    const t0 = performance.now();
    await expect(r.readl_poll_timeout(0, cond, sleepUs, timeoutUs)).rejects.toMatchObject({ code: 'ETIMEDOUT', value: 0 });
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(timeoutUs / 1000);
    expect(times.at(-1)! - t0).toBeGreaterThanOrEqual(timeoutUs / 1000);
    // Documented slack: the sleep is cut to the deadline where usleep_range allows, so at most its minimum
    // ((sleepUs >> 2) + 1 µs) plus the event loop's latency.
    expect(elapsed).toBeLessThan(timeoutUs / 1000 + ((sleepUs >> 2) + 1) / 1000 + LATENCY_MS);
    // Only one read after the deadline decides (Linux 6.18 poll_timeout_us). The poll's deadline lies between t0 and
    // the first read plus timeoutUs: at most one read comes after the latter (an old-style second read would too).
    expect(times.filter((t) => t > times[0] + timeoutUs / 1000).length).toBeLessThanOrEqual(1);
  });

  it.each([10, 100, 400, 3000])('sleeps at least (sleepUs >> 2) + 1 µs between reads (sleepUs %i)', async (sleepUs) => {
    const r = make();
    const { times, cond } = recorder();
    await expect(r.readl_poll_timeout(0, cond, sleepUs, 60_000)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    const minMs = ((sleepUs >> 2) + 1) / 1000;
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    // Sleeps to judge (a loaded machine may stall the loop for most of the 60 ms).
    expect(gaps.length).toBeGreaterThan(1);
    // The last sleep is cut to end at the deadline (a poll never sleeps past it); every other lasted the minimum.
    for (const g of gaps.slice(0, -1)) expect(g).toBeGreaterThanOrEqual(minMs - 0.002);
  });

  it('returns the first value that meets the condition', async () => {
    const r = make();
    let n = 0;
    await expect(r.readl_poll_timeout(0, () => ++n === 5, 50, 0)).resolves.toBe(0);
    expect(n).toBe(5);
  });

  it('sleepUs 0 still lets the event loop run between reads', async () => {
    const r = make();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    let n = 0;
    await r.readl_poll_timeout(0, () => ticks >= 3 || ++n > 1e7, 0, 0);
    clearInterval(timer);
    expect(ticks).toBeGreaterThanOrEqual(3);
  });

  it('rejects at once, before any read, with an already aborted signal', async () => {
    const r = make();
    const reason = new Error('stop');
    const { times, cond } = recorder();
    await expect(r.readl_poll_timeout(0, cond, 100, 0, { signal: AbortSignal.abort(reason) })).rejects.toMatchObject({
      name: 'AbortError',
      code: 'ABORT_ERR',
      cause: reason,
    });
    expect(times.length).toBe(0);
  });

  it('an abort during a long sleep ends the poll at once, with no further read', async () => {
    const r = make();
    const ac = new AbortController();
    const { times, cond } = recorder();
    const t0 = performance.now();
    setTimeout(() => ac.abort(), 20);
    await expect(r.readq_poll_timeout(0, (v) => cond(Number(v)), 10_000_000, 0, { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORT_ERR' });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(times.length).toBe(1);
  });

  it('an abort from inside the condition ends the poll before its next read', async () => {
    const r = make();
    const ac = new AbortController();
    let n = 0;
    const p = r.readw_poll_timeout(0, () => (++n === 3 && ac.abort(), false), 20, 0, { signal: ac.signal });
    await expect(p).rejects.toMatchObject({ code: 'ABORT_ERR' });
    expect(n).toBe(3);
  });

  it('a signal that never fires changes nothing', async () => {
    const r = make();
    const ac = new AbortController();
    await expect(r.readb_poll_timeout(0, { mask: 1, value: 1 }, 100, 2000, { signal: ac.signal })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });

  it.each([
    ['sleepUs above 2^53 - 1', (r: IoRegion) => r.readl_poll_timeout(0, () => true, 2 ** 53, 0), 'ERR_OUT_OF_RANGE'],
    ['timeoutUs above 2^53 - 1', (r: IoRegion) => r.readl_poll_timeout(0, () => true, 10, 2 ** 60), 'ERR_OUT_OF_RANGE'],
    ['sleepUs Infinity', (r: IoRegion) => r.readl_poll_timeout(0, () => true, Infinity, 0), 'ERR_OUT_OF_RANGE'],
    ['sleepUs NaN', (r: IoRegion) => r.readl_poll_timeout(0, () => true, NaN, 0), 'ERR_OUT_OF_RANGE'],
    ['timeoutUs negative', (r: IoRegion) => r.readl_poll_timeout(0, () => true, 10, -1), 'ERR_OUT_OF_RANGE'],
    ['sleepUs a bigint', (r: IoRegion) => r.readl_poll_timeout(0, () => true, 10n as never, 0), 'ERR_INVALID_ARG_TYPE'],
    ['options not an object', (r: IoRegion) => r.readl_poll_timeout(0, () => true, 10, 0, 5 as never), 'ERR_INVALID_ARG_TYPE'],
    ['options null', (r: IoRegion) => r.readl_poll_timeout(0, () => true, 10, 0, null as never), 'ERR_INVALID_ARG_TYPE'],
    ['signal not an AbortSignal', (r: IoRegion) => r.readl_poll_timeout(0, () => true, 10, 0, { signal: {} as never }), 'ERR_INVALID_ARG_TYPE'],
  ] as const)('rejects %s before any read', async (_what, call, code) => {
    const r = make();
    await expect(call(r)).rejects.toMatchObject({ code });
  });

  it('serves many concurrent polls, each with its own sleep', async () => {
    const r = make();
    const counts = Array.from({ length: 40 }, () => 0);
    const polls = counts.map((_, i) => r.readl_poll_timeout(0, () => ++counts[i] === 4, 50 + i * 37, 0));
    await expect(Promise.all(polls)).resolves.toEqual(counts.map(() => 0));
    expect(counts.every((c) => c === 4)).toBe(true);
  });
});

describe('the JS timer sleeper (where the addon does not load)', () => {
  it('never wakes before minUs, and cancel stops a wake', async () => {
    const s = jsTimerSleeper();
    const woke: number[] = [];
    const t0 = performance.now();
    await new Promise<void>((resolve) => s.sleep(1500, 2000, () => (woke.push(performance.now() - t0), resolve())));
    expect(woke[0]).toBeGreaterThanOrEqual(1.5);
    let cancelled = true;
    const ticket = s.sleep(100, 1000, () => (cancelled = false));
    s.cancel(ticket);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(cancelled).toBe(true);
  });
});

describe('the native timer and the event loop (child processes)', () => {
  // As test/workers.test.ts: the child runs the built library (dist/, from npm run build).
  const child = (code: string) =>
    run(process.execPath, ['--input-type=module', '-e', code], { cwd: root, timeout: 20_000 }).catch((e: { stdout?: string; code?: unknown }) => e);

  it('a pending sleep keeps the process alive; a finished or aborted one does not', async () => {
    const lib = JSON.stringify(join(root, 'dist', 'lib', 'index.js'));
    const code = `
      import { SimRegion, RegisterModel } from ${lib};
      const r = new SimRegion(new RegisterModel({ size: 16 }), { name: 'x' });
      const t0 = Date.now();
      await r.readl_poll_timeout(0, () => false, 300_000, 200_000).catch((e) => console.log(e.code));
      const ac = new AbortController();
      const p = r.readl_poll_timeout(0, () => false, 60_000_000, 0, { signal: ac.signal }).catch((e) => console.log(e.code));
      setTimeout(() => ac.abort(), 10);
      await p;
      console.log('done', Date.now() - t0 >= 200);
    `;
    const out = (await child(code)) as { stdout?: string };
    expect(out.stdout?.trim().split('\n')).toEqual(['ETIMEDOUT', 'ABORT_ERR', 'done true']);
  });
});
