import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findEduHardware } from './edu-hw.js';

const run = (backend: string) =>
  execFileSync(process.execPath, ['dist/examples/edu/run.js', '--backend', backend], { encoding: 'utf8' });

describe('the example command (npm start) on the real edu', () => {
  it.each(['uio', 'resource', 'devmem'])('--backend %s prints the same report as the simulated edu, but for the path', (backend) => {
    findEduHardware();
    const sim = run('sim');
    const real = run(backend);
    expect(real).toContain('10! = 3628800');
    const body = (report: string) =>
      report
        .split('\n')
        .slice(1) // the first line names the path
        .filter((l) => !/EDU_REG_STATUS/.test(l) && !/access trace/.test(l)) // polls differ in number
        .map((l) => l.replace(/count \d+/, 'count N')); // the UIO count is the device's running total
    expect(body(real)).toEqual(body(sim));
  });
});
