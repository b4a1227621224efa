import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ioremap } from '../../lib/index.js';
import { findEduHardware } from './edu-hw.js';

/** A System RAM range above 16 MiB from /proc/iomem (root sees the addresses). */
function systemRamAddress(): bigint {
  for (const line of readFileSync('/proc/iomem', 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) : System RAM$/.exec(line.trim());
    if (m && BigInt(`0x${m[2]}`) > 0x2000000n) return BigInt(`0x${m[1]}`) > 0x1000000n ? BigInt(`0x${m[1]}`) : 0x1000000n;
  }
  throw new Error('no System RAM line in /proc/iomem');
}

describe('/dev/mem', () => {
  it('maps the edu BAR at its physical address', () => {
    const { uioEdu } = findEduHardware();
    const regs = ioremap(uioEdu.bars[0].start, 16);
    try {
      expect(regs.readl(0)).toBe(0x010000ed);
      expect(regs.phys).toBe(uioEdu.bars[0].start);
    } finally {
      regs.iounmap();
    }
  });

  it('over System RAM is refused: EPERM with the STRICT_DEVMEM hint', () => {
    findEduHardware();
    const ram = systemRamAddress();
    expect(() => ioremap(ram, 4096)).toThrow(
      expect.objectContaining({
        code: 'EPERM',
        errno: -1,
        syscall: 'mmap',
        path: '/dev/mem',
        hint: expect.stringContaining('STRICT_DEVMEM'),
      }),
    );
  });
});
