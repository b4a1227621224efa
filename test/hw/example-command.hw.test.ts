import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findEduHardware } from './edu-hw.js';
import { findVfioEdu } from './vfio-hw.js';

const run = (backend: string, ...extra: string[]) =>
  execFileSync(process.execPath, ['dist/examples/edu/run.js', '--backend', backend, ...extra], { encoding: 'utf8' });

const body = (report: string) =>
  report
    .split('\n')
    .slice(1) // the first line names the path
    .filter((l) => !/EDU_REG_STATUS|EDU_REG_DMA_CMD  \[readl_poll/.test(l) && !/access trace/.test(l)) // polls differ in number
    .map((l) => l.replace(/count \d+/, 'count N')); // the UIO count is the device's running total

describe('the example command (npm start) on the real edu', () => {
  it.each(['uio', 'resource', 'devmem'])('--backend %s prints the same report as the simulated edu (without DMA), but for the path', (backend) => {
    findEduHardware();
    const sim = run('sim', '--no-dma');
    const real = run(backend);
    expect(real).toContain('10! = 3628800');
    expect(body(real)).toEqual(body(sim));
  });

  it('--backend vfio: the same report and register trace as the simulated edu, DMA round trip included', () => {
    findVfioEdu();
    const sim = run('sim');
    const real = run('vfio');
    expect(real).toMatch(/^edu at vfio:0000:00:0\d\.0\/bar0\n/);
    expect(real).toContain('dma:       4000 bytes RAM -> edu -> RAM via bus addresses 0x1000, 0x2000: match');
    expect(body(real)).toEqual(body(sim));
  });
});
