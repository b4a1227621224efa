/**
 * Record/replay of DMA (format version 2): a driver's run on the simulated edu's DMA engine is recorded with its
 * DMA device, then replayed with no device at all: the same results, the bytes the device wrote handed back to
 * the driver, and the driver's own data checked at each doorbell.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { demoDmaPattern, DEMO_DMA_SIZE, runEduDemo, type EduDemoResult } from '../../examples/edu/demo.js';
import { EDU_REG_DMA_CMD, eduDmaRoundTrip } from '../../examples/edu/driver.js';
import { dma_alloc_coherent, dma_free_coherent } from '../../lib/core/dma.js';
import { recordRegion } from '../../lib/observe/record.js';
import { parseRecording, readRecording, type RecordedStep } from '../../lib/observe/recording-format.js';
import type { RecordedDmaData } from '../../lib/observe/dma-steps.js';
import { diffInto } from '../../lib/observe/dma-record.js';
import { replayRegion, type ReplayDivergedError } from '../../lib/observe/replay.js';
import { createSimEdu, type SimEdu } from '../../lib/sim/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mmio-dma-record-test-'));
let fileCount = 0;
const traceFile = () => join(dir, `dma-${++fileCount}.jsonl`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const edus: SimEdu[] = [];
function makeEdu(): SimEdu {
  const edu = createSimEdu({ dmaDelayMs: 1 });
  edus.push(edu);
  return edu;
}
afterEach(() => {
  for (const edu of edus.splice(0)) edu.close();
});

const data = (n: number, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed + 1) & 0xff);
const dataSteps = (steps: RecordedStep[]) => steps.filter((s): s is RecordedDmaData => s.op === 'dma-data');
const bytesIn = (steps: RecordedDmaData[]) => steps.reduce((n, s) => n + s.changes.reduce((m, c) => m + c.bytes.length, 0), 0);

/** Record one eduDmaRoundTrip of `payload` on a fresh simulated edu. */
async function recordRoundTrip(payload: Uint8Array, options: { doorbells?: number[] } = {}) {
  const edu = makeEdu();
  const file = traceFile();
  const rec = recordRegion(edu.regs, file, { irq: edu.irq, dma: edu, ...options });
  const result = await eduDmaRoundTrip(rec, rec.dma, payload, { sleepUs: 100 });
  rec.flush();
  return { file, result };
}

describe('recording DMA', () => {
  it('writes a version-2 recording: config accesses, mask, allocations with their bus addresses, frees, and the changed bytes', async () => {
    const payload = data(1000);
    const { file, result } = await recordRoundTrip(payload);
    expect(result.match).toBe(true);
    const recording = readRecording(file);
    expect(recording.header.version).toBe(2);
    expect(recording.header.dma).toEqual({ doorbells: 'all', completions: 'all' });
    const ops = recording.steps.map((s) => s.op);
    expect(ops.slice(0, 2)).toEqual(['config-read', 'config-write']); // pci_set_master
    expect(ops).toContain('dma-mask');
    const allocs = recording.steps.filter((s) => s.op === 'dma-alloc');
    expect(allocs.map((a) => [a.buf, a.size, a.dma_handle])).toEqual([
      [1, 1000, result.handles[0]],
      [2, 1000, result.handles[1]],
    ]);
    expect(recording.steps.filter((s) => s.op === 'dma-free').map((s) => s.buf)).toEqual([2, 1]);
    const synced = dataSteps(recording.steps);
    // To the device: buffer 1's bytes once, before the first register write of the first transfer.
    const toDevice = synced.filter((s) => s.at === 'doorbell');
    expect(toDevice).toHaveLength(1);
    expect(toDevice[0].changes.map((c) => c.buf)).toEqual([1]);
    expect(Buffer.concat(toDevice[0].changes.map((c) => c.bytes))).toEqual(Buffer.from(payload));
    // From the device: buffer 2's bytes, once, after the poll of the second transfer.
    const fromDevice = synced.filter((s) => s.at === 'completion');
    expect(fromDevice).toHaveLength(1);
    expect(fromDevice[0].changes.every((c) => c.buf === 2)).toBe(true);
    expect(bytesIn(synced)).toBe(2 * payload.length);
  });

  it('keeps recordings small: only changed bytes, never whole buffers again', async () => {
    const edu = makeEdu();
    const file = traceFile();
    const rec = recordRegion(edu.regs, file, { dma: edu });
    const buf = dma_alloc_coherent(rec.dma, 65536);
    for (let i = 0; i < 20; i++) {
      buf.cpu[i * 100] = i + 1; // one byte changed per doorbell
      rec.writel(i, 0x04);
    }
    dma_free_coherent(rec.dma, buf);
    rec.flush();
    const synced = dataSteps(readRecording(file).steps);
    expect(synced).toHaveLength(20);
    expect(bytesIn(synced)).toBe(20);
    expect(readFileSync(file, 'utf8').length).toBeLessThan(8000); // the 64 KiB buffer is never written out
  });

  it('merges nearby changed runs and splits distant ones', () => {
    const shadow = new Uint8Array(64);
    const cur = new Uint8Array(64);
    cur[0] = 1;
    cur[4] = 2; // 3 unchanged bytes between: one run
    cur[40] = 3; // far: a second run
    const out: Parameters<typeof diffInto>[3] = [];
    diffInto(7, cur, shadow, out);
    expect(out.map((c) => [c.buf, c.offset, [...c.bytes]])).toEqual([
      [7, 0, [1, 0, 0, 0, 2]],
      [7, 40, [3]],
    ]);
    expect(shadow).toEqual(cur);
    out.length = 0;
    diffInto(7, cur, shadow, out);
    expect(out).toEqual([]);
  });

  it('writes version 1 when no DMA device is recorded (older readers still read it)', () => {
    const edu = makeEdu();
    const file = traceFile();
    const rec = recordRegion(edu.regs, file);
    rec.readl(0);
    rec.flush();
    expect(JSON.parse(readFileSync(file, 'utf8').split('\n')[0]).version).toBe(1);
    expect(rec.dma).toBeUndefined();
  });

  it('rejects a bad dma option and bad doorbell offsets', () => {
    const edu = makeEdu();
    expect(() => recordRegion(edu.regs, traceFile(), { dma: {} as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', hint: expect.stringMatching(/VfioDevice/) }));
    expect(() => recordRegion(edu.regs, traceFile(), { dma: edu, doorbells: [-4] })).toThrow(/doorbells must be an array of register offsets/);
    expect(() => recordRegion(edu.regs, traceFile(), { dma: edu, completions: [1 << 30] })).toThrow(/completions/);
  });
});

describe('replaying DMA with no device', () => {
  it('gives the driver what the device wrote: the same round-trip result', async () => {
    const payload = data(DEMO_DMA_SIZE);
    const { file, result } = await recordRoundTrip(payload);
    using replay = replayRegion(file);
    const again = await eduDmaRoundTrip(replay, replay.dma, payload, { sleepUs: 100 });
    expect(again).toEqual(result);
    expect(again.match).toBe(true);
    replay.finish();
  });

  it('the whole demo (behind traceRegion) replays with the DMA command register as a completion', async () => {
    const edu = makeEdu();
    const file = traceFile();
    const rec = recordRegion(edu.regs, file, { irq: edu.irq, dma: edu, completions: [EDU_REG_DMA_CMD] });
    const recorded = await runEduDemo(rec, rec.irq, rec.dma as SimEdu);
    rec.flush();
    expect(recorded.dma?.match).toBe(true);
    using replay = replayRegion(file);
    const replayed = await runEduDemo(replay, replay.irq, replay.dma);
    const strip = ({ trace, path, ...rest }: EduDemoResult) => (void path, { ...rest, trace: trace.map(({ timeNs, ...a }) => (void timeNs, a)) });
    expect(strip(replayed)).toEqual(strip(recorded));
    replay.finish();
  });

  it('the whole demo replays with the defaults (every read a completion)', async () => {
    const edu = makeEdu();
    const file = traceFile();
    const rec = recordRegion(edu.regs, file, { irq: edu.irq, dma: edu });
    const recorded = await runEduDemo(rec, rec.irq, rec.dma as SimEdu);
    rec.flush();
    using replay = replayRegion(file);
    const replayed = await runEduDemo(replay, replay.irq, replay.dma);
    expect(replayed.dma).toEqual(recorded.dma);
    replay.finish();
  });

  it('with no completion register, the demo behind traceRegion (its polls become plain reads) does not get the device data back', async () => {
    const edu = makeEdu();
    const file = traceFile();
    const rec = recordRegion(edu.regs, file, { irq: edu.irq, dma: edu, completions: [] });
    await runEduDemo(rec, rec.irq, rec.dma as SimEdu);
    rec.flush();
    using replay = replayRegion(file);
    const replayed = await runEduDemo(replay, replay.irq, replay.dma);
    expect(replayed.dma?.match).toBe(false);
  });

  it('fails with a clear error when the driver puts different data in a to-device buffer', async () => {
    const payload = data(500);
    const { file } = await recordRoundTrip(payload);
    using replay = replayRegion(file);
    const changed = payload.slice();
    changed[17] ^= 0xff;
    const err = (await eduDmaRoundTrip(replay, replay.dma, changed, { sleepUs: 100 }).catch((e: unknown) => e)) as ReplayDivergedError;
    expect(err.code).toBe('ERR_REPLAY_DIVERGED');
    expect((err as { hint?: string }).hint).toMatch(/^the driver's DMA buffers do not hold what was recorded at step \d+/);
    expect(err.message).toMatch(
      new RegExp(`the driver's DMA data differs before the write W64 \\+0x080: buffer 1 \\(dma_handle 0x[0-9a-f]+, 500 bytes\\) at \\+0x11 holds 0x${changed[17].toString(16).padStart(2, '0')}, the recording has 0x${payload[17].toString(16).padStart(2, '0')} \\(1 byte differ\\)`),
    );
    expect(replay.diverged).toBe(err);
  });

  it('at a completion, bytes the driver wrote must be recorded ones', () => {
    const edu = makeEdu();
    const file = traceFile();
    const rec = recordRegion(edu.regs, file, { dma: edu });
    const buf = dma_alloc_coherent(rec.dma, 32);
    buf.cpu[5] = 0x11;
    rec.readl(0); // a completion: the change is recorded there
    rec.flush();
    expect(dataSteps(readRecording(file).steps).map((s) => s.at)).toEqual(['completion']);
    using same = replayRegion(file);
    const b1 = dma_alloc_coherent(same.dma, 32);
    b1.cpu[5] = 0x11;
    same.readl(0);
    same.finish();
    using missing = replayRegion(file);
    const b2 = dma_alloc_coherent(missing.dma, 32);
    missing.readl(0);
    expect(b2.cpu[5]).toBe(0x11); // written in: the recording cannot tell who wrote it
    using other = replayRegion(file);
    const b3 = dma_alloc_coherent(other.dma, 32);
    b3.cpu[5] = 0x22;
    b3.cpu[9] = 0x01;
    expect(() => other.readl(0)).toThrow(/differs at a completion \(the bytes the driver wrote since the last sync point\): buffer 1 \(dma_handle 0x[0-9a-f]+, 32 bytes\) at \+0x5 holds 0x22, the recording has 0x11 \(2 bytes differ\)/);
  });

  it('checks the data only at the recorded doorbells when they were named', async () => {
    const payload = data(300);
    const { file, result } = await recordRoundTrip(payload, { doorbells: [EDU_REG_DMA_CMD] });
    expect(readRecording(file).header.dma?.doorbells).toEqual([EDU_REG_DMA_CMD]);
    using replay = replayRegion(file);
    expect(await eduDmaRoundTrip(replay, replay.dma, payload, { sleepUs: 100 })).toEqual(result);
    replay.finish();
    using bad = replayRegion(file);
    const changed = payload.slice();
    changed[299] = changed[299] ^ 1;
    await expect(eduDmaRoundTrip(bad, bad.dma, changed, { sleepUs: 100 })).rejects.toThrow(/differs before the write W64 \+0x098: buffer 1 .* at \+0x12b/);
  });

  it('diverges on a different allocation size, mask or config write, naming both', async () => {
    const { file } = await recordRoundTrip(data(64));
    using replay = replayRegion(file);
    replay.dma.readConfig(4, 2);
    expect(() => replay.dma.writeConfig(4, 2, 0)).toThrow(/expected pci_write_config \(2 bytes at 0x4\) = 0x0[0-9a-f]{3}, got pci_write_config \(2 bytes at 0x4\) = 0x0000/);
    using r2 = replayRegion(file);
    r2.dma.readConfig(4, 2);
    r2.dma.writeConfig(4, 2, (readRecording(file).steps[1] as { value: number }).value);
    expect(() => r2.dma.setDmaMask(0xffffffffn)).toThrow(/expected dma_set_mask\(0xfffffff\), got dma_set_mask\(0xffffffff\)/);
    using r3 = replayRegion({ ...readRecording(file), steps: readRecording(file).steps.filter((s) => s.op !== 'config-read' && s.op !== 'config-write' && s.op !== 'dma-mask') });
    expect(() => r3.dma.allocCoherent(65)).toThrow(/expected dma_alloc_coherent of 64 bytes \(buffer 1, dma_handle 0x[0-9a-f]+\), got dma_alloc_coherent of 65 bytes/);
  });

  it('frees as recorded; the CPU view is empty after; a second free does nothing', async () => {
    const { file } = await recordRoundTrip(data(64));
    const steps = readRecording(file).steps.filter((s) => s.op === 'dma-alloc' || s.op === 'dma-free');
    using replay = replayRegion({ ...readRecording(file), steps });
    const a = replay.dma.allocCoherent(64);
    const b = replay.dma.allocCoherent(64);
    expect(a.cpu.length).toBe(64);
    expect(() => replay.dma.freeCoherent(a)).toThrow(/expected dma_free_coherent of buffer 2, got dma_free_coherent of buffer 1/);
    using again = replayRegion({ ...readRecording(file), steps });
    const a2 = again.dma.allocCoherent(64);
    const b2 = again.dma.allocCoherent(64);
    again.dma.freeCoherent(b2);
    again.dma.freeCoherent(b2);
    again.dma.freeCoherent(a2);
    expect(a2.cpu.length).toBe(0);
    again.finish();
    void b;
  });

  it('a version-1 recording has no DMA: its dma stand-in diverges at once', () => {
    const v1 = parseRecording('{"format":"mmio-recording","version":1,"path":"sim:edu","phys":"0x0","size":4096,"started":""}\n{"op":"read","width":4,"offset":"0x0","value":"0x010000ed","t":0}\n');
    using replay = replayRegion(v1);
    expect(() => replay.dma.allocCoherent(16)).toThrow(/expected R32 \+0x000 = 0x010000ed, got dma_alloc_coherent of 16 bytes/);
  });
});

describe('a recording made on the real edu through VFIO (test/fixtures/edu-dma.vfio.jsonl)', () => {
  const FIXTURE = new URL('../fixtures/edu-dma.vfio.jsonl', import.meta.url).pathname;

  it('replays the unchanged demo, DMA included, with the results the hardware gave', async () => {
    const recording = readRecording(FIXTURE);
    expect(recording.header.version).toBe(2);
    expect(recording.header.path).toMatch(/^vfio:/);
    using replay = replayRegion(FIXTURE);
    const { trace, path, ...results } = await runEduDemo(replay, replay.irq, replay.dma);
    void path;
    const expected = (recording.header.meta as { results: Record<string, unknown>; accesses: number }).results as { dma: { handles: string[] } };
    expect(results).toEqual({ ...expected, dma: { ...expected.dma, handles: expected.dma.handles.map((h) => BigInt(h)) } });
    expect(results.dma?.match).toBe(true);
    expect(trace).toHaveLength((recording.header.meta as { accesses: number }).accesses);
    replay.finish();
  });

  it('fails at the doorbell when the demo sends other bytes', async () => {
    using replay = replayRegion(FIXTURE);
    const regs = replay;
    const { eduDmaRoundTrip: roundTrip, eduIdentify, eduCheckLiveness, eduFactorial, eduInterruptRoundTrip } = await import('../../examples/edu/driver.js');
    eduIdentify(regs);
    eduCheckLiveness(regs, 0x1234_5678);
    await eduFactorial(regs, 10);
    await eduInterruptRoundTrip(regs, replay.irq);
    const other = demoDmaPattern();
    other[100] ^= 0x80;
    await expect(roundTrip(regs, replay.dma, other)).rejects.toThrow(/the driver's DMA data differs before the write W64 \+0x080: buffer 1 \(dma_handle 0x1000, 4000 bytes\) at \+0x64/);
  });
});

describe('the version-2 format', () => {
  const header2 = '{"format":"mmio-recording","version":2,"path":"sim:edu","phys":"0x0","size":4096,"started":"","dma":{"doorbells":"all","completions":["0x98"]}}';
  const bad = (line: string, header = header2) => () => parseRecording(`${header}\n${line}\n`, 'x.jsonl');

  it('parses what it writes', async () => {
    const { file } = await recordRoundTrip(data(33));
    const text = readFileSync(file, 'utf8');
    const again = join(dir, 'rewritten.jsonl');
    const { formatRecording } = await import('../../lib/observe/recording-format.js');
    writeFileSync(again, formatRecording(readRecording(file)));
    expect(readFileSync(again, 'utf8').replace(/"started":"[^"]*"/, '')).toBe(text.replace(/"started":"[^"]*"/, ''));
  });

  it('rejects malformed DMA steps with ERR_INVALID_RECORDING naming the line', () => {
    expect(bad('{"op":"dma-data","at":"doorbell","changes":[{"buf":1,"offset":"0x0","bytes":"abc"}]}')).toThrow(/x\.jsonl:2: bytes must be a non-empty string of hex digit pairs/);
    expect(bad('{"op":"dma-data","at":"later","changes":[]}')).toThrow(/x\.jsonl:2: a dma-data step is at "doorbell" or "completion"/);
    expect(bad('{"op":"dma-alloc","buf":0,"size":4,"dma":"0x1000"}')).toThrow(/buf must be a buffer number >= 1/);
    expect(bad('{"op":"dma-alloc","buf":1,"size":-4,"dma":"0x1000"}')).toThrow(/needs size/);
    expect(bad('{"op":"dma-mask","mask":"0x1ffffffffffffffff"}')).toThrow(/up to 64 bits/);
    expect(bad('{"op":"config-read","width":2,"offset":"0x3","value":"0x1"}')).toThrow(/not an aligned offset/);
    expect(bad('{"op":"config-write","width":1,"offset":"0x4","value":"0x100"}')).toThrow(/does not fit 8 bits/);
    expect(bad('{"op":"dma-free","buf":1}', header2.replace('"version":2', '"version":1'))).toThrow(/x\.jsonl:2: a dma-free step needs a version-2 recording/);
    expect(() => parseRecording(header2.replace(/,"dma":.*\}\}$/, '}'))).toThrow(/a version-2 header needs dma/);
    expect(() => parseRecording(header2.replace('"version":2', '"version":3'))).toThrow(/version 3 is not supported \(this library reads versions 1 and 2\)/);
    for (const thrower of [bad('{"op":"dma-data","at":"doorbell","changes":{}}')]) expect(thrower).toThrow(expect.objectContaining({ code: 'ERR_INVALID_RECORDING', line: 2 }));
  });

  it('a recorded change to a buffer that is not allocated diverges instead of writing anywhere', () => {
    const rec = parseRecording(`${header2}\n{"op":"dma-alloc","buf":1,"size":4,"dma":"0x1000"}\n{"op":"read","width":4,"offset":"0x98","value":"0x0"}\n{"op":"dma-data","at":"completion","changes":[{"buf":1,"offset":"0x2","bytes":"aabbcc"}]}\n`);
    using replay = replayRegion(rec);
    replay.dma.allocCoherent(4);
    // the completion comes after the read of 0x98 (a completion register in the header)
    expect(() => replay.readl(0x98)).toThrow(/changes bytes \+0x2\.\.\+0x5 of DMA buffer 1, which is not allocated or not that large here/);
  });
});

