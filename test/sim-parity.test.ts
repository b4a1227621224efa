/**
 * The simulated backend against the native one on a file mapping: the same calls give the same results, and
 * the same bad calls throw the same errors (class, code and message). Poll conditions, masks and argument types
 * are checked across every poll (b/w/l/q, atomic and sleeping) on native, sim and replay (a replay of an empty
 * recording: its checks run before it looks for a recorded step).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mapFile, type IoRegion } from '../lib/index.js';
import { RegisterModel, SimRegion } from '../lib/sim/index.js';
import { parseRecording, ReplayRegion } from '../lib/index.js';
import { tempFile } from './helpers/temp-file.js';

const SIZE = 4096;

let file: ReturnType<typeof tempFile>;
let native: IoRegion;
let sim: IoRegion;

beforeEach(() => {
  file = tempFile(SIZE);
  native = mapFile(file.path, 0, SIZE);
  sim = new SimRegion(new RegisterModel({ size: SIZE }), { name: 'parity' });
});
afterEach(() => {
  native.iounmap();
  file.cleanup();
});

type Outcome = { ok: unknown } | { error: string; code: unknown; message?: string };

function outcome(call: () => unknown, withMessage = true): Outcome {
  try {
    return { ok: call() };
  } catch (error) {
    const e = error as Error & { code?: unknown };
    return withMessage ? { error: e.constructor.name, code: e.code, message: e.message } : { error: e.constructor.name, code: e.code };
  }
}

async function asyncOutcome(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: await call() };
  } catch (error) {
    const e = error as Error & { code?: unknown };
    return { error: e.constructor.name, code: e.code, message: e.message };
  }
}

const u8 = (n: number) => new Uint8Array(n);
const badCalls: [string, (r: IoRegion) => unknown][] = [
  ['readl unaligned', (r) => r.readl(2)],
  ['readq past the end', (r) => r.readq(SIZE)],
  ['readb negative', (r) => r.readb(-1)],
  ['readw fractional', (r) => r.readw(1.5)],
  ['readl string offset', (r) => r.readl('0' as unknown as number)],
  ['readl NaN offset', (r) => r.readl(NaN)],
  ['writel too big', (r) => r.writel(2 ** 32, 0)],
  ['writeb string value', (r) => r.writeb('1' as unknown as number, 0)],
  ['writel bad offset and value', (r) => r.writel('x' as unknown as number, 3)],
  ['writeq number too big', (r) => r.writeq(2 ** 60 as unknown as bigint, 0)],
  ['writeq bigint too big', (r) => r.writeq(1n << 64n, 0)],
  ['iowrite32be too big', (r) => r.iowrite32be(2 ** 32, 0)],
  ['memcpy_fromio count > buffer', (r) => r.memcpy_fromio(u8(4), 0, 8)],
  ['memcpy_fromio past the end', (r) => r.memcpy_fromio(u8(16), SIZE - 8, 16)],
  ['memcpy_fromio not a Uint8Array', (r) => r.memcpy_fromio([] as unknown as Uint8Array, 0, 0)],
  ['memcpy_toio negative count', (r) => r.memcpy_toio(0, u8(4), -1)],
  ['memset_io bad value', (r) => r.memset_io(0, 256, 4)],
  ['memset_io past the end', (r) => r.memset_io(SIZE - 2, 0, 4)],
  ['ioread32_rep wrong buffer', (r) => r.ioread32_rep(0, u8(4) as unknown as Uint32Array, 1)],
  ['ioread16_rep unaligned', (r) => r.ioread16_rep(1, new Uint16Array(1), 1)],
  ['iowrite8_rep count > buffer', (r) => r.iowrite8_rep(0, u8(1), 2)],
  ['readl_poll_timeout_atomic bad cond', (r) => r.readl_poll_timeout_atomic(0, 5 as never, 0, 0)],
  ['readl_poll_timeout_atomic bad offset and cond', (r) => r.readl_poll_timeout_atomic(2, 5 as never, 0, 0)],
  ['readl_poll_timeout_atomic negative delay', (r) => r.readl_poll_timeout_atomic(0, () => false, -1, 0)],
  ['readl_poll_timeout_atomic times out', (r) => r.readl_poll_timeout_atomic(0, { mask: 1, value: 1 }, 0, 500)],
];

describe('sim and native backends reject bad calls identically', () => {
  it.each(badCalls)('%s', (_name, call) => {
    const n = outcome(() => call(native), false);
    const s = outcome(() => call(sim), false);
    expect('error' in n).toBe(true);
    expect(s).toEqual(n);
  });

  it.each(badCalls.filter(([name]) => !name.includes('times out')))('%s (same message)', (_name, call) => {
    expect(outcome(() => call(sim))).toEqual(outcome(() => call(native)));
  });

  it.each(badCalls)('%s, after iounmap', (_name, call) => {
    native.iounmap();
    sim.iounmap();
    expect(outcome(() => call(sim), false)).toEqual(outcome(() => call(native), false));
  });

  it.each([
    ['unaligned', (r: IoRegion) => r.readl_poll_timeout(2, () => true, 0, 0)],
    ['bad cond', (r: IoRegion) => r.readl_poll_timeout(0, 'x' as never, 0, 0)],
    ['negative sleep', (r: IoRegion) => r.readq_poll_timeout(0, () => true, -1, 0)],
    ['timeout', (r: IoRegion) => r.readw_poll_timeout(0, { mask: 1, value: 1 }, 100, 1000)],
    ['sleep beyond 2^53 - 1 µs', (r: IoRegion) => r.readl_poll_timeout(0, () => false, 2 ** 53, 0)],
    ['options not an object', (r: IoRegion) => r.readl_poll_timeout(0, () => false, 10, 0, 'x' as never)],
    ['signal not an AbortSignal', (r: IoRegion) => r.readl_poll_timeout(0, () => false, 10, 0, { signal: 1 as never })],
    ['already aborted', (r: IoRegion) => r.readl_poll_timeout(0, () => false, 10, 0, { signal: AbortSignal.abort() })],
    ['aborted while sleeping', (r: IoRegion) => r.readl_poll_timeout(0, () => false, 1_000_000, 0, { signal: AbortSignal.timeout(5) })],
  ] as const)('async poll: %s', async (_name, call) => {
    const n = await asyncOutcome(() => call(native));
    const s = await asyncOutcome(() => call(sim));
    expect('error' in n).toBe(true);
    expect({ ...s, message: undefined }).toEqual({ ...n, message: undefined });
  });
});

describe('sim and native backends give the same results', () => {
  it('for a sequence of accesses of every kind', () => {
    const run = (r: IoRegion): unknown[] => {
      const out: unknown[] = [];
      r.writel(-2, 0);
      r.writeq(-3n, 8);
      r.iowrite32be(0x1122_3344, 16);
      r.iowrite16be(0xa1b2, 20);
      r.memset_io(23, 0x5c, 13);
      r.memcpy_toio(41, Uint8Array.from({ length: 30 }, (_, i) => i * 7), 30);
      r.iowrite16_rep(80, Uint16Array.of(1, 2, 3), 3);
      out.push(r.readl(0), r.readq(8), r.ioread32be(16), r.ioread16be(20), r.readb(23), r.readw(36));
      const copy = new Uint8Array(100);
      r.memcpy_fromio(copy, 3, 97);
      out.push([...copy]);
      const rep = new Uint32Array(2);
      r.ioread32_rep(80, rep, 2);
      out.push([...rep], r.readl_poll_timeout_atomic(0, { mask: 0xff, value: 0xfe }, 0, 1000));
      return out;
    };
    expect(run(sim)).toEqual(run(native));
  });
});

const POLLS = ['readb', 'readw', 'readl', 'readq'].flatMap((r) => [`${r}_poll_timeout_atomic`, `${r}_poll_timeout`]);
const widthOf = (poll: string) => ({ b: 1, w: 2, l: 4, q: 8 })[poll.charAt(4) as 'b'];

/** Conditions for a poll of `w` bytes whose register holds all ones; `ok` ones are met at once. */
function conditions(w: number): [string, unknown, 'ok' | 'error' | 'error-after-read'][] {
  const big = w === 8;
  return [
    ['all-ones mask and value', big ? { mask: -1n, value: -1n } : { mask: -1, value: -1 }, 'ok'],
    ['unsigned all-ones', big ? { mask: (1n << 64n) - 1n, value: (1n << 64n) - 1n } : { mask: 2 ** (w * 8) - 1, value: 2 ** (w * 8) - 1 }, 'ok'],
    ['mask 0, value 0', big ? { mask: 0n, value: 0n } : { mask: 0, value: 0 }, 'ok'],
    ['mask past the width', big ? { mask: 1n << 64n, value: 0n } : { mask: 2 ** (w * 8), value: 0 }, 'error'],
    ['value past the width', big ? { mask: -1n, value: 1n << 64n } : { mask: -1, value: 2 ** (w * 8) }, 'error'],
    ['mask below the signed range', big ? { mask: -(1n << 63n) - 1n, value: 0n } : { mask: -(2 ** (w * 8 - 1)) - 1, value: 0 }, 'error'],
    ['fractional mask', { mask: 1.5, value: 0 }, 'error'],
    ['NaN mask', { mask: NaN, value: 0 }, 'error'],
    ['mask of the other type', big ? { mask: 1, value: 1 } : { mask: 1n, value: 1n }, big ? 'ok' : 'error'],
    ['string mask', { mask: '1', value: 1 }, 'error'],
    ['no value', { mask: 1 }, 'error'],
    ['null', null, 'error'],
    ['a number', 5, 'error'],
    // Found out only from what it returns, after a read (a replay of an empty recording has none to give).
    ['a Promise-returning predicate', async () => true, 'error-after-read'],
    ['a predicate', () => true, 'ok'],
  ];
}
const times: [string, unknown, unknown][] = [
  ['string timeout', 0, '100'],
  ['negative delay', -1, 100],
  ['NaN timeout', 0, NaN],
  ['timeout past MAX_WAIT_US', 0, 0x7fff_ffff * 1000 + 1],
  ['bigint delay', 1n, 100],
];

function replayOf(size: number): IoRegion {
  const header = { format: 'mmio-recording', version: 1, path: '/dev/uio0', phys: '0x0', size, irq: null, started: '2026-01-01T00:00:00.000Z' };
  return new ReplayRegion(parseRecording(`${JSON.stringify(header)}\n`, 'empty'), 'empty');
}

async function pollOutcome(r: IoRegion, poll: string, cond: unknown, delay: unknown, timeout: unknown): Promise<Outcome> {
  const w = widthOf(poll);
  if (w === 8) r.writeq(-1n, 8);
  else if (w === 4) r.writel(-1, 8);
  else if (w === 2) r.writew(-1, 8);
  else r.writeb(-1, 8);
  const call = () => (r as unknown as Record<string, (...a: unknown[]) => unknown>)[poll](8, cond, delay, timeout);
  return poll.endsWith('_atomic') ? outcome(call) : asyncOutcome(async () => call());
}

describe('one answer per poll condition, mask and argument type: native, sim and replay', () => {
  const cases = POLLS.flatMap((poll) => [
    ...conditions(widthOf(poll)).map(([what, cond, kind]) => ({ poll, what, cond, delay: 0 as unknown, timeout: 1000 as unknown, kind })),
    ...times.map(([what, delay, timeout]) => ({ poll, what, cond: () => true, delay, timeout, kind: 'error' as const })),
  ]);

  it.each(cases)('$poll, $what', async ({ poll, cond, delay, timeout, kind }) => {
    const n = await pollOutcome(native, poll, cond, delay, timeout);
    const s = await pollOutcome(sim, poll, cond, delay, timeout);
    expect(s).toEqual(n);
    if (kind === 'ok') {
      const w = widthOf(poll);
      expect(n).toEqual({ ok: w === 8 ? (1n << 64n) - 1n : 2 ** (w * 8) - 1 });
    } else {
      expect('error' in n && typeof n.code === 'string').toBe(true);
      if (kind === 'error-after-read') return;
      // A replay checks the arguments before it looks for a recorded step: the same error.
      const replay = replayOf(SIZE);
      const call = () => (replay as unknown as Record<string, (...a: unknown[]) => unknown>)[poll](8, cond, delay, timeout);
      const rep = poll.endsWith('_atomic') ? outcome(call) : await asyncOutcome(async () => call());
      expect(rep).toEqual(n);
    }
  });
});
