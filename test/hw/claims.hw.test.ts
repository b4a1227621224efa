import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { devm_ioremap_resource, request_mem_region } from '../../lib/index.js';
import { findEduHardware } from './edu-hw.js';

describe('request_mem_region on the real edu BAR', () => {
  it('two processes: the second gets EBUSY; after the first is killed, it succeeds', async () => {
    const bar = findEduHardware().uioEdu.bars[0];
    const script = `
      const { devm_ioremap_resource } = await import(${JSON.stringify(new URL('../../dist/lib/index.js', import.meta.url).href)});
      const regs = devm_ioremap_resource({ start: ${bar.start}n, size: 0x1000, name: 'edu-first' });
      process.stdout.write('held ' + regs.readl(0).toString(16) + '\\n');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => resolve(d.toString()));
      child.once('exit', (code) => reject(new Error(`first process exited with ${code}`)));
    });
    expect(line.trim()).toBe('held 10000ed');
    try {
      expect(() => devm_ioremap_resource({ start: bar.start, size: 0x1000, name: 'edu-second' })).toThrow(
        expect.objectContaining({ code: 'EBUSY', message: expect.stringContaining(`'edu-first' (pid ${child.pid}`) }),
      );
    } finally {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
    const regs = devm_ioremap_resource({ start: bar.start, size: 0x1000, name: 'edu-second' });
    expect(regs.readl(0)).toBe(0x010000ed);
    regs.iounmap();
    request_mem_region(bar.start, 0x1000, 'after-unmap').release();
  });
});
