import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findEduHardware } from '../hw/edu-hw.js';

const run = (backend: string) => execFileSync(process.execPath, ['dist/examples/edu/run.js', '--backend', backend], { encoding: 'utf8' });

/** The report without what must differ: the path, poll counts, the UIO count, and the DMA bus addresses. */
function body(report: string, handles: string[]): string[] {
  let text = report;
  handles.forEach((h, i) => (text = text.split(h).join(`<buffer${i}>`)));
  return text
    .split('\n')
    .slice(1)
    .filter((l) => !/EDU_REG_STATUS|EDU_REG_DMA_CMD  \[readl_poll/.test(l) && !/access trace/.test(l))
    .map((l) => l.replace(/count \d+/, 'count N'));
}

/** The two DMA bus addresses the report names, as hex without 0x, and as they show in the 64-bit trace values. */
function handlesOf(report: string): string[] {
  const m = /via bus addresses 0x([0-9a-f]+), 0x([0-9a-f]+): match/.exec(report);
  if (!m) throw new Error(`no DMA line in the report:\n${report}`);
  return [m[1].padStart(16, '0'), m[2].padStart(16, '0'), `0x${m[1]}`, `0x${m[2]}`];
}

describe('the example command on UIO without an IOMMU, DMA to physical addresses', () => {
  it('--backend physdma: the same report and register trace as the simulated edu, but for the bus addresses', () => {
    findEduHardware();
    if (process.env.MMIO_VM_EDU_VFIO) throw new Error('HARDWARE TEST CANNOT RUN HERE: needs the guest without an IOMMU (npm run test:vm:nommu)');
    const sim = run('sim');
    const real = run('physdma');
    expect(real).toMatch(/dma: {7}4000 bytes RAM -> edu -> RAM via bus addresses 0x[0-9a-f]+, 0x[0-9a-f]+: match/);
    expect(body(real, handlesOf(real))).toEqual(body(sim, handlesOf(sim)));
  });
});
