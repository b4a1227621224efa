import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEduDemo, type EduDemoResult } from '../../examples/edu/demo.js';
import { EDU_REG_STATUS, EDU_STATUS_COMPUTING } from '../../examples/edu/driver.js';
import { ioremap, openPci, openUio, type IoRegion, type UioDevice } from '../../lib/index.js';
import { createSimEdu } from '../../lib/sim/index.js';
import { collapseRepeats, withoutTime, type TraceEntry } from '../../lib/observe/trace.js';
import { EDU_ID, findEduHardware, type EduHardware } from './edu-hw.js';

/** The accesses a driver run made, without its timing-dependent part: the polls that saw the device busy. */
function comparableTrace(trace: TraceEntry[]) {
  return withoutTime(
    collapseRepeats(trace.filter((e) => !(e.op === 'read' && e.offset === EDU_REG_STATUS && (Number(e.value) & EDU_STATUS_COMPUTING) !== 0))),
  );
}

let hw: EduHardware;
let uio: UioDevice;
let simulated: EduDemoResult;

beforeAll(async () => {
  hw = findEduHardware();
  uio = openUio(hw.uio.number);
  const sim = createSimEdu();
  simulated = await runEduDemo(sim.regs, sim.irq);
});
afterAll(() => uio?.close());

const backends: Array<[string, () => IoRegion]> = [
  ['/dev/mem', () => ioremap(hw.uioEdu.bars[0].start, 0x1000)],
  ['PCI resource0', () => openPci(hw.uioEdu.bdf).map(0, { size: 0x1000 })],
  ['UIO map0', () => uio.map(0)],
];

describe.each(backends)('the example driver, unchanged, on the real edu through %s', (_name, open) => {
  it('gets the same results and makes the same accesses as on the simulated edu', async () => {
    const regs = open();
    try {
      const real = await runEduDemo(regs, uio.irq);
      expect(real.identity).toEqual({ id: EDU_ID, major: 1, minor: 0 });
      expect(real.identity).toEqual(simulated.identity);
      expect(real.liveness).toBe(simulated.liveness);
      expect(real.factorial).toBe(3628800);
      expect(real.factorial).toBe(simulated.factorial);
      expect(real.irq.status).toBe(simulated.irq.status);
      expect(comparableTrace(real.trace)).toEqual(comparableTrace(simulated.trace));
      expect(real.trace.length).toBeGreaterThan(8);
    } finally {
      regs.iounmap();
    }
  });
});
