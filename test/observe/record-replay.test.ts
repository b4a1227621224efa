/**
 * Record and replay: recordRegion writes every access (and interrupt wait) to a JSON-lines trace file, buffered
 * until flush; replayRegion serves it back and names the step where a driver diverges. The committed fixture
 * test/fixtures/edu-demo.uio.jsonl was recorded on the real edu in the QEMU guest (test/fixtures/record-edu-demo.mjs)
 * and is replayed here, on the host, with the unchanged demo driver.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runEduDemo, type EduDemoResult } from '../../examples/edu/demo.js';
import { eduCheckLiveness, eduFactorial, eduFactorialAtomic, eduIdentify, eduInterruptRoundTrip } from '../../examples/edu/driver.js';
import type { IoRegion } from '../../lib/core/io-region.js';
import { mapFile } from '../../lib/linux/map-file.js';
import { recordRegion } from '../../lib/observe/record.js';
import { formatRecording, parseRecording, readRecording, type RecordedStep } from '../../lib/observe/recording-format.js';
import { replayRegion, type ReplayDivergedError } from '../../lib/observe/replay.js';
import { createSimEdu, RegisterModel, SimInterrupts, SimRegion, type SimEdu, type SimEduOptions } from '../../lib/sim/index.js';
import { withoutTime } from '../../lib/observe/trace.js';
import { tempFile } from '../helpers/temp-file.js';

const FIXTURE = new URL('../fixtures/edu-demo.uio.jsonl', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mmio-record-test-'));
let fileCount = 0;
const traceFile = () => join(dir, `trace-${++fileCount}.jsonl`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const edus: SimEdu[] = [];
function makeEdu(options: SimEduOptions = {}): SimEdu {
  const edu = createSimEdu(options);
  edus.push(edu);
  return edu;
}
afterEach(() => {
  for (const edu of edus.splice(0)) edu.close();
});

const lines = (file: string) => readFileSync(file, 'utf8').trimEnd().split('\n');
/** A demo result without what differs between backends by nature: the path and the trace's times. */
const results = ({ trace, path, ...rest }: EduDemoResult) => (void trace, void path, rest);

/** Record `run` on a fresh simulated edu; return the file and what `run` returned. */
async function recordOnSimEdu<T>(run: (regs: SimRegion | ReturnType<typeof recordRegion>, irq: SimInterrupts) => Promise<T> | T, options: SimEduOptions = {}) {
  const edu = makeEdu({ factorialBusyUs: Infinity, ...options });
  const file = traceFile();
  const rec = recordRegion(edu.regs, file, { irq: edu.irq });
  let value: T;
  try {
    value = await run(rec, rec.irq as SimInterrupts);
  } finally {
    rec.iounmap();
  }
  return { file, value };
}

async function divergence(run: () => unknown): Promise<ReplayDivergedError> {
  try {
    await run();
  } catch (error) {
    expect(error).toMatchObject({ code: 'ERR_REPLAY_DIVERGED' });
    return error as ReplayDivergedError;
  }
  throw new Error('expected ERR_REPLAY_DIVERGED, nothing was thrown');
}

describe('recordRegion', () => {
  it('writes the header at once and the steps on flush (buffered in memory until then)', () => {
    const edu = makeEdu();
    const file = traceFile();
    const rec = recordRegion(edu.regs, file, { meta: { board: 'sim' } });
    expect(lines(file)).toHaveLength(1);
    expect(JSON.parse(lines(file)[0])).toMatchObject({
      format: 'mmio-recording',
      version: 1,
      path: 'sim:edu',
      phys: '0xfea00000',
      size: 0x10_0000,
      meta: { board: 'sim' },
    });
    expect(rec.readl(0)).toBe(0x0100_00ed);
    rec.writel(0x1234_5678, 4);
    expect(rec.steps).toBe(2);
    expect(lines(file)).toHaveLength(1);
    rec.flush();
    expect(lines(file).slice(1).map((l) => JSON.parse(l))).toEqual([
      { op: 'read', width: 4, offset: '0x0', value: '0x010000ed', t: expect.any(Number) },
      { op: 'write', width: 4, offset: '0x4', value: '0x12345678', t: expect.any(Number) },
    ]);
    rec.readq(8);
    rec.iounmap();
    expect(JSON.parse(lines(file)[3])).toMatchObject({ op: 'read', width: 8, offset: '0x8', value: '0xffffffffffffffff' });
    expect(rec.mapped).toBe(false);
    expect(() => rec.readl(0)).toThrow(expect.objectContaining({ code: 'ERR_IOMEM_UNMAPPED' }));
  });

  it('times are nanoseconds since the start, in order', async () => {
    const { file } = await recordOnSimEdu((regs, irq) => runEduDemo(regs, irq));
    const times = lines(file).slice(1).map((l) => JSON.parse(l).t as number);
    expect(times.every((t, i) => Number.isInteger(t) && t >= 0 && (i === 0 || t >= times[i - 1]))).toBe(true);
  });

  it('flushes on its own every flushEvery steps', () => {
    const edu = makeEdu();
    const file = traceFile();
    const rec = recordRegion(edu.regs, file, { flushEvery: 3 });
    rec.readl(0);
    rec.readl(0);
    expect(lines(file)).toHaveLength(1);
    rec.readl(0);
    expect(lines(file)).toHaveLength(4);
    rec.iounmap();
  });

  it('accesses that throw record nothing; bad arguments are the region’s errors', () => {
    const edu = makeEdu();
    const rec = recordRegion(edu.regs, traceFile());
    expect(() => rec.readl(2)).toThrow(expect.objectContaining({ code: 'ERR_UNALIGNED' }));
    expect(() => rec.writel(2 ** 40, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(rec.steps).toBe(0);
    rec.iounmap();
  });

  it('fails at once for a file it cannot create, and for bad arguments', () => {
    const edu = makeEdu();
    expect(() => recordRegion(edu.regs, join(dir, 'no/such/dir/x.jsonl'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => recordRegion({} as never, traceFile())).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => recordRegion(edu.regs, 5 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => recordRegion(edu.regs, traceFile(), { flushEvery: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('records interrupt waits, unmasks and failed waits (code, message and hint), and replays the failure', async () => {
    let failure: { code?: string; message?: string; hint?: string } = {};
    const { file } = await recordOnSimEdu(async (regs, irq) => {
      await eduInterruptRoundTrip(regs, irq, 0x4);
      irq.mask();
      failure = await irq.wait({ timeoutMs: 5 }).catch((e: typeof failure) => e);
    });
    expect(failure).toMatchObject({ code: 'ETIMEDOUT', hint: expect.stringMatching(/./) });
    const ops = lines(file).slice(1).map((l) => JSON.parse(l));
    expect(ops.map((s) => s.op)).toEqual(['unmask', 'write', 'wait', 'read', 'write', 'unmask', 'mask', 'wait']);
    expect(ops[2]).toMatchObject({ count: 1, missed: 0 });
    expect(ops[7]).toMatchObject({ error: { code: 'ETIMEDOUT', message: expect.stringContaining('no interrupt within 5 ms'), hint: failure.hint } });
    expect(JSON.parse(lines(file)[0]).irq).toBe('sim:edu');
    const replay = replayRegion(file);
    await eduInterruptRoundTrip(replay, replay.irq, 0x4);
    replay.irq.mask();
    await expect(replay.irq.wait({ timeoutMs: 5 })).rejects.toMatchObject({ code: 'ETIMEDOUT', message: failure.message, hint: failure.hint });
    replay.iounmap();
  });

  it('costs little per access: buffered objects, no formatting or I/O until flush', () => {
    const file = tempFile(4096);
    try {
      const region = mapFile(file.path, 0, 4096);
      const rec = recordRegion(region, traceFile(), { flushEvery: Infinity });
      const N = 200_000;
      const time = (r: IoRegion) => {
        const start = process.hrtime.bigint();
        for (let i = 0; i < N; i++) r.readl((i & 63) * 4);
        return Number(process.hrtime.bigint() - start) / N;
      };
      time(region);
      time(rec);
      const plain = Math.min(time(region), time(region));
      const recorded = Math.min(time(rec), time(rec));
      const flushStart = process.hrtime.bigint();
      rec.iounmap();
      const flushNs = Number(process.hrtime.bigint() - flushStart) / rec.steps;
      console.log(`readl: ${plain.toFixed(0)} ns plain, ${recorded.toFixed(0)} ns recorded; flush ${flushNs.toFixed(0)} ns per step`);
      expect(rec.steps).toBe(3 * N);
      expect(recorded - plain).toBeLessThan(5_000); // generous: a regression to per-access I/O costs far more
    } finally {
      file.cleanup();
    }
  });
});

describe('replayRegion', () => {
  it('replays the edu demo: the same results and the same accesses, every step used', async () => {
    const { file, value: recorded } = await recordOnSimEdu((regs, irq) => runEduDemo(regs, irq));
    const replay = replayRegion(file);
    expect(replay.path).toBe('replay:sim:edu');
    expect(replay.size).toBe(0x10_0000);
    expect(replay.phys).toBe(0xfea0_0000n);
    expect(replay.irq.path).toBe('replay:sim:edu');
    const replayed = await runEduDemo(replay, replay.irq);
    expect(results(replayed)).toEqual(results(recorded));
    expect(withoutTime(replayed.trace)).toEqual(withoutTime(recorded.trace));
    expect(replay.remaining).toBe(0);
    expect(() => replay.finish()).not.toThrow();
  });

  it('replays every accessor: widths, relaxed, big-endian, block and rep operations, 64-bit', async () => {
    const model = new RegisterModel({ size: 0x100 });
    for (let i = 0; i < 0x100; i++) model.bytes[i] = (i * 37 + 11) & 0xff;
    const file = traceFile();
    const script = (r: ReturnType<typeof replayRegion> | ReturnType<typeof recordRegion>) => {
      const out: unknown[] = [];
      out.push(r.readb(1), r.readw(2), r.readl(4), r.readq(8), r.readb_relaxed(3), r.readw_relaxed(6), r.readl_relaxed(12), r.readq_relaxed(16));
      out.push(r.ioread8(5), r.ioread16(10), r.ioread32(20), r.ioread64(24), r.ioread16be(30), r.ioread32be(32));
      r.writeb(0xab, 0x40);
      r.writew(-2, 0x42);
      r.writel(~0x1234, 0x44);
      r.writeq(0x0102_0304_0506_0708n, 0x48);
      r.writeb_relaxed(1, 0x50);
      r.writew_relaxed(2, 0x52);
      r.writel_relaxed(3, 0x54);
      r.writeq_relaxed(4n, 0x58);
      r.iowrite8(5, 0x60);
      r.iowrite16(6, 0x62);
      r.iowrite32(7, 0x64);
      r.iowrite64(8n, 0x68);
      r.iowrite16be(0x1234, 0x70);
      r.iowrite32be(0x1234_5678, 0x74);
      const block = new Uint8Array(19);
      r.memcpy_fromio(block, 0x81, 19);
      out.push([...block]);
      r.memcpy_toio(0x90, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 11);
      r.memset_io(0xa1, 0x5a, 13);
      const b8 = new Uint8Array(3);
      const b16 = new Uint16Array(3);
      const b32 = new Uint32Array(3);
      r.ioread8_rep(0xb0, b8, 3);
      r.ioread16_rep(0xb2, b16, 3);
      r.ioread32_rep(0xb4, b32, 3);
      out.push([...b8], [...b16], [...b32]);
      r.iowrite8_rep(0xc0, new Uint8Array([1, 2]), 2);
      r.iowrite16_rep(0xc2, new Uint16Array([3, 4]), 2);
      r.iowrite32_rep(0xc4, new Uint32Array([5, 6]), 2);
      out.push(r.readl_poll_timeout_atomic(4, () => true, 0, 1000), r.readq_poll_timeout_atomic(8, { mask: 0n, value: 0n }, 0, 1000));
      return out;
    };
    const rec = recordRegion(new SimRegion(model), file);
    const recorded = script(rec);
    rec.iounmap();
    const replay = replayRegion(file);
    expect(script(replay)).toEqual(recorded);
    replay.finish();
  });

  it('a poll that gave up while recording gives up at the same read, with the same ETIMEDOUT and .value', async () => {
    const busy = { factorialBusyReads: 1e9, factorialBusyUs: Infinity };
    const { file, value } = await recordOnSimEdu(async (regs) => {
      const error = await eduFactorial(regs, 5, { sleepUs: 100, timeoutUs: 2_000 }).catch((e: unknown) => e);
      const atomic = (() => {
        try {
          return eduFactorialAtomic(regs, 5, { timeoutUs: 500 });
        } catch (e) {
          return e;
        }
      })();
      return { error, atomic, after: regs.readl(0) };
    }, busy);
    expect(value.error).toMatchObject({ code: 'ETIMEDOUT', value: 1 });
    const steps = readRecording(file).steps;
    expect(steps.filter((s) => s.op === 'timeout')).toEqual([
      expect.objectContaining({ op: 'timeout', width: 4, offset: 0x20, via: 'readl_poll_timeout' }),
      expect.objectContaining({ op: 'timeout', width: 4, offset: 0x20, via: 'readl_poll_timeout_atomic' }),
    ]);
    const replay = replayRegion(file);
    // The timeouts given here are ignored: the recording says where each poll gave up.
    await expect(eduFactorial(replay, 5, { sleepUs: 100, timeoutUs: 10_000_000 })).rejects.toMatchObject({ code: 'ETIMEDOUT', value: 1, syscall: 'readl_poll_timeout' });
    expect(() => eduFactorialAtomic(replay, 5, { timeoutUs: 0 })).toThrow(expect.objectContaining({ code: 'ETIMEDOUT', value: 1 }));
    expect(replay.readl(0)).toBe(value.after);
    replay.finish();
  });

  it('replays failed interrupt waits with the recorded code and message', async () => {
    const { file } = await recordOnSimEdu(async (_regs, irq) => {
      await expect(irq.wait({ timeoutMs: 5 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      const aborted = new AbortController();
      aborted.abort();
      await expect(irq.wait({ signal: aborted.signal })).rejects.toMatchObject({ code: 'ABORT_ERR' });
    });
    const replay = replayRegion(file);
    await expect(replay.irq.wait({ timeoutMs: 1 })).rejects.toMatchObject({ code: 'ETIMEDOUT', message: expect.stringContaining('no interrupt within 5 ms') });
    await expect(replay.irq.wait()).rejects.toMatchObject({ code: 'ABORT_ERR', name: 'AbortError' });
    replay.finish();
    replay.irq.close();
    await expect(replay.irq.wait()).rejects.toMatchObject({ code: 'ERR_IRQ_CLOSED' });
  });

  it('takes a parsed recording, and has the same argument checks as every backend', async () => {
    const { file } = await recordOnSimEdu((regs) => eduIdentify(regs));
    const replay = replayRegion(readRecording(file));
    expect(replay.source).toBe('<recording>');
    expect(() => replay.readl(1)).toThrow(expect.objectContaining({ code: 'ERR_UNALIGNED' }));
    expect(() => replay.readl(0x10_0000)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => replay.writel(2 ** 33, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(replay.position).toBe(0); // checks come first: no step used
    expect(eduIdentify(replay)).toEqual({ id: 0x0100_00ed, major: 1, minor: 0 });
    replay.iounmap();
    expect(() => replay.readl(0)).toThrow(expect.objectContaining({ code: 'ERR_IOMEM_UNMAPPED', message: expect.stringContaining('replay:sim:edu') }));
    expect(() => replayRegion(5 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('replay divergence: ERR_REPLAY_DIVERGED names the step, what was recorded and what the driver did', () => {
  let demoFile: string;
  const demo = async () => {
    if (demoFile === undefined) demoFile = (await recordOnSimEdu((regs, irq) => runEduDemo(regs, irq))).file;
    return replayRegion(demoFile);
  };

  it('another written value', async () => {
    const replay = await demo();
    eduIdentify(replay);
    const error = await divergence(() => eduCheckLiveness(replay, 0xabcd));
    expect(error).toMatchObject({
      step: 2,
      expected: { op: 'write', width: 4, offset: 4, value: 0x1234_5678 },
      actual: { op: 'write', width: 4, offset: 4, value: 0xabcd },
    });
    expect(error.message).toBe(
      `replay of ${demoFile} diverged at step 2 (line 3): expected W32 +0x004 = 0x12345678, got W32 +0x004 = 0x0000abcd`,
    );
  });

  it('another offset, another width, a write instead of a read', async () => {
    let replay = await demo();
    expect((await divergence(() => replay.readl(4))).message).toMatch(/step 1 \(line 2\): expected R32 \+0x000 = 0x010000ed, got R32 \+0x004$/);
    replay = await demo();
    expect(await divergence(() => replay.readq(0))).toMatchObject({ step: 1, actual: { op: 'read', width: 8, offset: 0 } });
    replay = await demo();
    expect(await divergence(() => replay.writel(0, 0))).toMatchObject({ step: 1, expected: { op: 'read' }, actual: { op: 'write', value: 0 } });
  });

  it('an interrupt call where an access was recorded, and the reverse', async () => {
    const replay = await demo();
    await expect(replay.irq.wait()).rejects.toMatchObject({ code: 'ERR_REPLAY_DIVERGED', step: 1, actual: { op: 'wait' } });
    const other = await demo();
    eduIdentify(other);
    expect(await divergence(() => other.irq.unmask())).toMatchObject({ step: 2, actual: { op: 'unmask' } });
  });

  it('stays failed: every later step throws the first error', async () => {
    const replay = await demo();
    const first = await divergence(() => replay.readl(8));
    expect(() => replay.readl(0)).toThrow(first);
    expect(() => replay.finish()).toThrow(first);
    expect(replay.diverged).toBe(first);
  });

  it('past the end of the recording, and a driver that stops early', async () => {
    const replay = await demo();
    await runEduDemo(replay, replay.irq);
    const error = await divergence(() => replay.readl(0));
    expect(error.expected).toBeUndefined();
    expect(error.message).toMatch(/the recording ended after 15 steps, but the driver made R32 \+0x000$/);
    const early = await demo();
    eduIdentify(early);
    const stopped = await divergence(() => early.finish());
    expect(stopped).toMatchObject({ step: 2, actual: { op: 'end' }, expected: { op: 'write', offset: 4 } });
    expect(stopped.message).toMatch(/the driver finished, but the recording has 14 more steps, the next: W32 \+0x004 = 0x12345678$/);
  });

  it('a poll whose condition the recording never meets diverges after the last recorded read', async () => {
    const replay = await demo();
    eduIdentify(replay);
    eduCheckLiveness(replay);
    replay.writel(10, 8);
    const error = await divergence(() => replay.readl_poll_timeout(0x20, () => false, 10, 1000));
    expect(error).toMatchObject({ step: 9, expected: { op: 'read', offset: 8 }, actual: { op: 'read', offset: 0x20 } });
  });
});

describe('trace files', () => {
  it('formatRecording and parseRecording round-trip', async () => {
    const { file } = await recordOnSimEdu((regs, irq) => runEduDemo(regs, irq));
    const text = readFileSync(file, 'utf8');
    expect(formatRecording(parseRecording(text))).toBe(text);
  });

  it('invalid files fail with ERR_INVALID_RECORDING naming the line', () => {
    const header = '{"format":"mmio-recording","version":1,"path":"x","phys":"0x0","size":16,"started":""}';
    const bad = (text: string, line: number, message: RegExp) => {
      const error = (() => {
        try {
          parseRecording(text, 'bad.jsonl');
        } catch (e) {
          return e;
        }
      })();
      expect(error).toMatchObject({ code: 'ERR_INVALID_RECORDING', line });
      expect((error as Error).message).toMatch(new RegExp(`^bad\\.jsonl:${line}: .*${message.source}`));
    };
    bad('', 1, /empty/);
    bad('{"format":"other"}', 1, /not an mmio recording/);
    bad(header.replace('"version":1', '"version":3'), 1, /recording version 3 is not supported/);
    bad(header.replace('"version":1', '"version":2'), 1, /a version-2 header needs dma/);
    bad(`${header}\n{"op":"read","width":4,"offset":"0x0","value":"0x1"}\nnot json`, 3, /not JSON/);
    bad(`${header}\n{"op":"peek"}`, 2, /op must be one of/);
    bad(`${header}\n{"op":"read","width":3,"offset":"0x0","value":"0x1"}`, 2, /width must be/);
    bad(`${header}\n{"op":"read","width":4,"offset":"0x2","value":"0x1"}`, 2, /not aligned/);
    bad(`${header}\n{"op":"read","width":2,"offset":"0x0","value":"0x10000"}`, 2, /does not fit 16 bits/);
    bad(`${header}\n\n{"op":"unmask"}`, 3, /blank lines may only come at the end/);
    bad(`${header}\n{"op":"wait"}`, 2, /a wait needs/);
    expect(parseRecording(`${header}\n{"op":"unmask"}\n\n`).steps).toEqual([{ op: 'unmask', timeNs: 0 }]);
    const missing = join(dir, 'missing.jsonl');
    expect(() => replayRegion(missing)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    const garbage = traceFile();
    writeFileSync(garbage, 'garbage');
    expect(() => replayRegion(garbage)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_RECORDING', message: expect.stringContaining(`${garbage}:1:`) }));
  });
});

describe('the real edu, recorded in the QEMU guest (test/fixtures/edu-demo.uio.jsonl), replayed here', () => {
  const recording = readRecording(FIXTURE);
  const meta = recording.header.meta as { results: Omit<EduDemoResult, 'trace' | 'path'>; accesses: number };

  it('is a recording of the real device through UIO', () => {
    expect(recording.header).toMatchObject({ path: '/dev/uio0', size: 0x10_0000, irq: expect.any(String) });
    expect(recording.steps.filter((s) => s.op === 'wait')).toHaveLength(1);
  });

  it('the unchanged demo driver gets what the hardware answered, step by step', async () => {
    const replay = replayRegion(FIXTURE);
    const replayed = await runEduDemo(replay, replay.irq);
    replay.finish();
    expect(results(replayed)).toEqual(meta.results);
    expect(replayed.trace).toHaveLength(meta.accesses);
    const accesses = recording.steps.filter((s): s is Extract<RecordedStep, { op: 'read' | 'write' }> => s.op === 'read' || s.op === 'write');
    expect(withoutTime(replayed.trace)).toEqual(accesses.map(({ op, width, offset, value }) => ({ op, width, offset, value })));
  });

  it('gives the same results as the simulated edu (but for the interrupt count, the device’s running total)', async () => {
    const edu = makeEdu();
    const simulated = await runEduDemo(edu.regs, edu.irq);
    const replay = replayRegion(FIXTURE);
    const replayed = await runEduDemo(replay, replay.irq);
    const comparable = (r: EduDemoResult) => ({ ...results(r), irq: { status: r.irq.status } });
    expect(comparable(replayed)).toEqual(comparable(simulated));
    expect(replayed.factorial).toBe(3_628_800);
  });
});
