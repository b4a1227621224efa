import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPci, type IoRegion } from '../../lib/index.js';
import { createSimEdu } from '../../lib/sim/index.js';
import { EDU_ID, findEduHardware } from './edu-hw.js';

let real: IoRegion;
beforeAll(() => {
  real = openPci(findEduHardware().uioEdu.bdf).map(0, { size: 0x1000 });
});
afterAll(() => real?.iounmap());

describe('access width on a real device (edu answers 32- and 64-bit accesses only)', () => {
  it('an 8-bit read of the ID returns 0, a 32-bit read returns 0x010000ed', () => {
    expect(real.readb(0)).toBe(0);
    expect(real.readb_relaxed(0)).toBe(0);
    expect(real.readl(0)).toBe(EDU_ID);
    expect(real.readl_relaxed(0)).toBe(EDU_ID);
    expect(real.ioread32be(0)).toBe(0xed000001);
  });

  it('the simulated edu answers every width at every modelled register as the real one does', () => {
    const sim = createSimEdu().regs;
    for (const regs of [real, sim]) {
      regs.writel(0x0f0f_1234, 0x04);
    }
    for (const offset of [0x00, 0x04, 0x20, 0x24, 0x40]) {
      const read = (r: IoRegion) => [r.readb(offset), r.readw(offset), r.readl(offset), r.readq(offset & ~7)];
      expect({ offset, values: read(sim) }).toEqual({ offset, values: read(real) });
    }
  });

  it('writes of the wrong width are ignored by the device, a 32-bit write is not', () => {
    real.writel(0, 0x04);
    real.writeb(0xff, 0x04);
    real.writew(0xffff, 0x04);
    expect(real.readl(0x04)).toBe(0xffffffff); // ~0: the narrow writes did not land
    real.writel(0x0000ffff, 0x04);
    expect(real.readl(0x04)).toBe(0xffff0000);
  });
});
