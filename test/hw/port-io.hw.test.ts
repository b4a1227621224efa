import { describe, expect, it } from 'vitest';
import { inb, outb } from '../../lib/index.js';
import { findEduHardware } from './edu-hw.js';

const CMOS_INDEX = 0x70;
const CMOS_DATA = 0x71;
const RTC_SECONDS = 0x00;

function rtcSeconds(): number {
  outb(RTC_SECONDS, CMOS_INDEX);
  return inb(CMOS_DATA);
}
const fromBcd = (v: number) => (v >> 4) * 10 + (v & 0x0f);

describe('port I/O on x86: the CMOS real-time clock', () => {
  it('seconds are BCD 0..59 and advance', async () => {
    findEduHardware(); // only in the guest
    const first = rtcSeconds();
    expect(first & 0x0f).toBeLessThanOrEqual(9);
    expect(fromBcd(first)).toBeLessThanOrEqual(59);
    await new Promise((r) => setTimeout(r, 1500));
    const second = rtcSeconds();
    expect(fromBcd(second)).toBeLessThanOrEqual(59);
    expect(second).not.toBe(first);
  });

  it('rejects ports out of range before touching hardware', () => {
    expect(() => inb(0x10000)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => outb(0x100, 0x80)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});
