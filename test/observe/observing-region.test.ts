// The pieces shared by the access wrappers, register maps, replay and the command line: the width dispatch
// (lib/width-dispatch.ts), the byte swaps (lib/swab.ts), and the delegating region under traceRegion and
// recordRegion (lib/observing-region.ts), which must give both wrappers the same accesses.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AccessWidth, IoRegion } from '../../lib/core/io-region.js';
import { readRecording, type RecordedAccess } from '../../lib/index.js';
import { recordRegion } from '../../lib/observe/record.js';
import { RegisterModel, SimRegion } from '../../lib/sim/index.js';
import { swab16, swab32, swab64 } from '../../lib/core/swab.js';
import { traceRegion, withoutTime } from '../../lib/observe/trace.js';
import { pollAtomicByWidth, pollByWidth, readByWidth, writeByWidth } from '../../lib/core/width-dispatch.js';

function memory(size = 64): SimRegion {
  return new SimRegion(new RegisterModel({ size }), { name: 'mem', phys: 0x4000n });
}

const dir = mkdtempSync(join(tmpdir(), 'mmio-delegating-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('swab16/32/64', () => {
  it('reverse the bytes of the low 16, 32 and 64 bits', () => {
    expect(swab16(0x1234)).toBe(0x3412);
    expect(swab16(0xff_1234)).toBe(0x3412);
    expect(swab32(0x1122_3344)).toBe(0x4433_2211);
    expect(swab32(0xff00_0000)).toBe(0xff);
    expect(swab64(0x1122_3344_5566_7788n)).toBe(0x8877_6655_4433_2211n);
    expect(swab64(-1n)).toBe(0xffff_ffff_ffff_ffffn);
  });
});

describe('readByWidth / writeByWidth', () => {
  const cases: [AccessWidth, number | bigint][] = [
    [1, 0xa5],
    [2, 0x1234],
    [4, 0x89ab_cdef],
    [8, 0x0102_0304_0506_0708n],
  ];

  it.each(cases)('make one access of %i bytes with the width’s accessor', (width, value) => {
    const traced = traceRegion(memory());
    writeByWidth(traced, width, value, 8);
    expect(readByWidth(traced, width, 8)).toBe(value);
    expect(withoutTime(traced.trace)).toEqual([
      { op: 'write', width, offset: 8, value },
      { op: 'read', width, offset: 8, value },
    ]);
    expect(traced.trace.every((e) => e.via === undefined)).toBe(true);
  });

  it('big-endian: ioread16be/32be, and readq/writeq with the bytes swapped for 8 bytes', () => {
    const r = memory();
    writeByWidth(r, 2, 0x1122, 0, true);
    writeByWidth(r, 4, 0x3344_5566, 4, true);
    writeByWidth(r, 8, 0x0102_0304_0506_0708n, 8, true);
    writeByWidth(r, 1, 0x7f, 16, true);
    expect([r.readw(0), r.readl(4), r.readq(8), r.readb(16)]).toEqual([0x2211, 0x6655_4433, 0x0807_0605_0403_0201n, 0x7f]);
    expect([readByWidth(r, 2, 0, true), readByWidth(r, 4, 4, true), readByWidth(r, 8, 8, true), readByWidth(r, 1, 16, true)]).toEqual([
      0x1122, 0x3344_5566, 0x0102_0304_0506_0708n, 0x7f,
    ]);
  });

  it('passes the region’s errors through', () => {
    expect(() => readByWidth(memory(), 4, 2)).toThrow(expect.objectContaining({ code: 'ERR_UNALIGNED' }));
    expect(() => writeByWidth(memory(), 2, 0x1_0000, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});

describe('pollByWidth / pollAtomicByWidth', () => {
  it('call the region’s poll of that width', async () => {
    const r = memory();
    r.writeq(0x8000_0000_0000_0001n, 8);
    r.writew(0x0100, 2);
    const traced = traceRegion(r);
    expect(await pollByWidth(traced, 2, 2, { mask: 0x0100, value: 0x0100 }, 0, 1000)).toBe(0x0100);
    expect(pollAtomicByWidth(traced, 8, 8, { mask: 1n, value: 1n }, 0, 1000)).toBe(0x8000_0000_0000_0001n);
    expect(traced.trace.map((e) => [e.width, e.via])).toEqual([
      [2, 'readw_poll_timeout'],
      [8, 'readq_poll_timeout_atomic'],
    ]);
  });
});

describe('the delegating region under traceRegion and recordRegion', () => {
  function drive(r: IoRegion): void {
    r.writel(-1, 0);
    r.readq(0);
    r.iowrite16be(0x1234, 8);
    r.ioread32be(8);
    r.memcpy_toio(3, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13), 13);
    r.memcpy_fromio(new Uint8Array(13), 3, 13);
    r.memset_io(17, 0xab, 11);
    r.iowrite16_rep(32, Uint16Array.of(1, 2, 3), 3);
    r.ioread8_rep(40, new Uint8Array(2), 2);
    r.readl_poll_timeout_atomic(0, { mask: 0xff, value: 0xff }, 0, 1000);
  }

  it('give both wrappers the same accesses, values and via', () => {
    const traced = traceRegion(memory());
    drive(traced);
    const file = join(dir, 'same.jsonl');
    const recorded = recordRegion(memory(), file);
    drive(recorded);
    recorded.iounmap();
    const steps = readRecording(file).steps as RecordedAccess[];
    const shape = (e: { op: string; width: number; offset: number; value: number | bigint; via?: string }) => [e.op, e.width, e.offset, e.value, e.via];
    expect(steps.map(shape)).toEqual(traced.trace.map(shape));
    expect(traced.trace.length).toBe(20);
  });

  it('trace: the entries of one block operation share one timestamp', () => {
    const traced = traceRegion(memory());
    traced.memcpy_toio(1, new Uint8Array(15), 15);
    const times = new Set(traced.trace.map((e) => e.timeNs));
    expect(traced.trace.map((e) => e.width)).toEqual([1, 2, 4, 8]);
    expect(times.size).toBe(1);
  });

  it('a poll that gives up: a timeout step in the recording, none in the trace; the error passes through', () => {
    const file = join(dir, 'timeout.jsonl');
    const recorded = recordRegion(memory(), file);
    expect(() => recorded.readb_poll_timeout_atomic(4, (v) => v === 1, 0, 1)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
    recorded.iounmap();
    const steps = readRecording(file).steps;
    expect(steps.at(-1)).toMatchObject({ op: 'timeout', width: 1, offset: 4, via: 'readb_poll_timeout_atomic' });
    expect(steps.slice(0, -1).every((s) => s.op === 'read')).toBe(true);

    const traced = traceRegion(memory());
    expect(() => traced.readb_poll_timeout_atomic(4, (v) => v === 1, 0, 1)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
    expect(traced.trace.every((e) => e.op === 'read' && e.via === 'readb_poll_timeout_atomic')).toBe(true);
  });
});
