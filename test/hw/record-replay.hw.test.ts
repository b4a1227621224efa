/**
 * Record and replay on the real edu (QEMU guest, `npm run test:vm`): record the unchanged example driver on the
 * device through UIO, /dev/mem and resource0, replay the file in the same guest run with the same results and the
 * same accesses; a poll that gives up on the hardware gives up at the same read in the replay; a driver that
 * diverges from what the hardware answered is told the step. And the recording committed for the host's replay
 * test (test/fixtures/edu-demo.uio.jsonl, made by test/fixtures/record-edu-demo.mjs) still matches what the
 * hardware answers today.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEduDemo, type EduDemoResult } from '../../examples/edu/demo.js';
import { EDU_REG_ID, EDU_REG_STATUS, EDU_STATUS_COMPUTING, eduCheckLiveness, eduFactorialAtomic, eduIdentify } from '../../examples/edu/driver.js';
import { ioremap, openPci, openUio, type IoRegion, type UioDevice } from '../../lib/index.js';
import { recordRegion } from '../../lib/observe/record.js';
import { parseRecording, readRecording, type RecordedStep } from '../../lib/observe/recording-format.js';
import { replayRegion } from '../../lib/observe/replay.js';
import { withoutTime } from '../../lib/observe/trace.js';
import { EDU_ID, findEduHardware, type EduHardware } from './edu-hw.js';

const FIXTURE = 'test/fixtures/edu-demo.uio.jsonl';
const results = ({ trace, path, ...rest }: EduDemoResult) => (void trace, void path, rest);

let hw: EduHardware;
let dir: string;
beforeAll(() => {
  hw = findEduHardware();
  dir = mkdtempSync(join(tmpdir(), 'mmio-record-hw-'));
});
afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('recorded on the real edu, replayed in the same guest', () => {
  let uio: UioDevice;
  beforeAll(() => {
    uio = openUio(hw.uio.number);
  });
  afterAll(() => uio?.close());

  it('the demo through UIO map0 and UIO interrupts replays with the same results (event count too) and accesses', async () => {
    const file = join(dir, 'uio.jsonl');
    const rec = recordRegion(uio.map(0), file, { irq: uio.irq });
    let real: EduDemoResult;
    try {
      real = await runEduDemo(rec, rec.irq);
    } finally {
      rec.iounmap();
    }
    expect(real.identity.id).toBe(EDU_ID);
    expect(real.factorial).toBe(3_628_800);

    const replay = replayRegion(file);
    expect(replay.recording.header).toMatchObject({ path: `/dev/uio${hw.uio.number}`, size: 0x10_0000, phys: hw.uioEdu.bars[0].start });
    const replayed = await runEduDemo(replay, replay.irq);
    replay.finish();
    expect(results(replayed)).toEqual(results(real));
    expect(withoutTime(replayed.trace)).toEqual(withoutTime(real.trace));
  });

  const backends: Array<[string, () => IoRegion]> = [
    ['/dev/mem', () => ioremap(hw.uioEdu.bars[0].start, 0x1000)],
    ['PCI resource0', () => openPci(hw.uioEdu.bdf).map(0, { size: 0x1000 })],
  ];
  it.each(backends)('%s: every width as the device answered it, and an atomic poll', (_name, open) => {
    const file = join(dir, `${_name.replace(/\W/g, '_')}.jsonl`);
    const run = (regs: IoRegion) => ({
      widths: [regs.readb(EDU_REG_ID), regs.readw(EDU_REG_ID), regs.readl(EDU_REG_ID), regs.readq(EDU_REG_ID)],
      identity: eduIdentify(regs),
      factorial: eduFactorialAtomic(regs, 12),
    });
    const rec = recordRegion(open(), file);
    let real: ReturnType<typeof run>;
    try {
      real = run(rec);
    } finally {
      rec.iounmap();
    }
    expect(real.widths).toEqual([0, 0, EDU_ID, 0xffff_ffff_ffff_ffffn]); // edu answers 32-bit accesses only
    expect(real.factorial).toBe(479_001_600);
    const replay = replayRegion(file);
    expect(run(replay)).toEqual(real);
    replay.finish();
    expect(readRecording(file).steps.some((s) => s.op === 'read' && s.via === 'readl_poll_timeout_atomic')).toBe(true);
  });

  it('a poll that gives up on the hardware gives up at the same read in the replay, with the same .value', async () => {
    const file = join(dir, 'timeout.jsonl');
    const rec = recordRegion(uio.map(0), file);
    const never = { mask: 0xffff, value: 0 }; // ID's low half is always 0x00ed
    try {
      await expect(rec.readl_poll_timeout(EDU_REG_ID, never, 200, 3_000)).rejects.toMatchObject({ code: 'ETIMEDOUT', value: EDU_ID });
      expect(() => rec.readl_poll_timeout_atomic(EDU_REG_ID, never, 10, 1_000)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
    } finally {
      rec.iounmap();
    }
    const steps = readRecording(file).steps;
    const reads = steps.filter((s) => s.op === 'read').length;
    expect(steps.filter((s) => s.op === 'timeout')).toHaveLength(2);
    const replay = replayRegion(file);
    await expect(replay.readl_poll_timeout(EDU_REG_ID, never, 200, 3_000)).rejects.toMatchObject({ code: 'ETIMEDOUT', value: EDU_ID });
    expect(() => replay.readl_poll_timeout_atomic(EDU_REG_ID, never, 10, 1_000)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT', value: EDU_ID }));
    replay.finish();
    expect(replay.position).toBe(reads + 2);
  });

  it('a driver that diverges from what the hardware answered gets ERR_REPLAY_DIVERGED naming the step', async () => {
    const file = join(dir, 'diverge.jsonl');
    const rec = recordRegion(uio.map(0), file, { irq: uio.irq });
    try {
      await runEduDemo(rec, rec.irq);
    } finally {
      rec.iounmap();
    }
    const replay = replayRegion(file);
    eduIdentify(replay);
    expect(() => eduCheckLiveness(replay, 0xdead_beef)).toThrow(
      expect.objectContaining({
        code: 'ERR_REPLAY_DIVERGED',
        step: 2,
        expected: expect.objectContaining({ op: 'write', offset: 4, value: 0x1234_5678 }),
        actual: { op: 'write', width: 4, offset: 4, value: 0xdead_beef },
        message: expect.stringContaining('diverged at step 2 (line 3): expected W32 +0x004 = 0x12345678, got W32 +0x004 = 0xdeadbeef'),
      }),
    );
  });
});

describe('the committed recording (test/fixtures/edu-demo.uio.jsonl)', () => {
  /** What must not change between runs: accesses (without the status polls that saw "computing", which depend on timing), waits without the running count. */
  const comparable = (steps: RecordedStep[]) =>
    steps
      .filter((s) => !(s.op === 'read' && s.offset === EDU_REG_STATUS && (Number(s.value) & EDU_STATUS_COMPUTING) !== 0))
      .map((s) => {
        if (s.op === 'read' || s.op === 'write') return { op: s.op, width: s.width, offset: s.offset, value: s.value };
        if (s.op === 'wait') return { op: s.op, missed: s.missed, error: s.error?.code };
        return { op: s.op };
      });
  type Meta = { results: Omit<EduDemoResult, 'trace' | 'path'> };
  /** The interrupt count is the UIO device's running total since boot: not comparable across runs. */
  const withoutCount = (r: Meta['results']) => ({ ...r, irq: { status: r.irq.status, missed: r.irq.event.missed } });

  it('matches what the hardware answers today; the script’s output replays with the results it reports', async () => {
    // The script needs the built library (npm run build), as the example command does.
    const out = execFileSync(process.execPath, ['test/fixtures/record-edu-demo.mjs'], { encoding: 'utf8' });
    const fresh = parseRecording(out, 'record-edu-demo.mjs output');
    const committed = readRecording(FIXTURE);
    expect(comparable(fresh.steps)).toEqual(comparable(committed.steps));
    const freshMeta = fresh.header.meta as Meta;
    expect(withoutCount(freshMeta.results)).toEqual(withoutCount((committed.header.meta as Meta).results));

    const replay = replayRegion(fresh);
    const replayed = await runEduDemo(replay, replay.irq);
    replay.finish();
    expect(results(replayed)).toEqual(freshMeta.results);
  });
});
