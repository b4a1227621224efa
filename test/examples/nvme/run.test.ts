/**
 * The NVMe example's command line (examples/nvme/run.ts) and its demo (demo.ts): the demo on the simulated
 * controller in both completion modes, its comparisons shown able to fail, argument parsing, and the built
 * `node dist/examples/nvme/run.js sim` as a user runs it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSimNvme } from '../../../examples/nvme/index.js';
import { runNvmeDemo } from '../../../examples/nvme/demo.js';
import { parseNvmeArgs } from '../../../examples/nvme/run.js';

describe('the demo', () => {
  for (const completion of ['poll', 'interrupt'] as const) {
    it(`identifies, reads and compares, writes and restores (${completion})`, async () => {
      const sim = createSimNvme({ blocks: 4096 });
      for (let i = 0; i < sim.namespace.length; i++) sim.namespace[i] = (i * 5 + (i >>> 9)) & 0xff;
      const before = sim.namespace.slice();
      const { lines, ok } = await runNvmeDemo(sim.device, {
        completion,
        lba: 10n,
        blocks: 300,
        writeLba: 2000n,
        expected: (lba, n) => sim.namespace.slice(Number(lba) * 512, (Number(lba) + n) * 512),
      });
      expect(ok).toBe(true);
      expect(lines.join('\n')).toMatch(/sn 'SIMNVME0001'/);
      expect(lines.join('\n')).toMatch(/300 single-block reads \(PRP1\) == one 153600-byte read \(PRP list\)/);
      expect(lines.join('\n')).toMatch(/read them back: identical; old contents restored: yes/);
      expect(Buffer.from(sim.namespace).equals(Buffer.from(before))).toBe(true); // restored
      expect(sim.liveDmaBuffers).toBe(0);
      sim.close();
    });
  }

  it('reports a difference from the expected contents (the comparison can fail)', async () => {
    const sim = createSimNvme();
    const { lines, ok } = await runNvmeDemo(sim.device, { blocks: 8, expected: (_lba, n) => new Uint8Array(n * 512).fill(1) });
    expect(ok).toBe(false);
    expect(lines.join('\n')).toMatch(/compared with the namespace's contents: DIFFERENT/);
    sim.close();
  });
});

describe('the command line', () => {
  it('parses its options and refuses bad ones with the usage line', () => {
    expect(parseNvmeArgs(['sim', '--completion', 'interrupt', '--lba', '7', '--blocks', '9', '--write-lba', '100'])).toEqual({
      target: 'sim',
      options: { completion: 'interrupt', lba: 7n, blocks: 9, writeLba: 100n, timeoutMs: 5000 },
    });
    expect(parseNvmeArgs(['0000:00:04.0']).target).toBe('0000:00:04.0');
    expect(() => parseNvmeArgs([])).toThrow(/usage: run.js/);
    expect(() => parseNvmeArgs(['sim', '--completion', 'often'])).toThrow(/--completion must be poll or interrupt/);
    expect(() => parseNvmeArgs(['sim', '--blocks=-3'])).toThrow(/--blocks must be a positive integer/);
    expect(() => parseNvmeArgs(['sim', '--blocks', '0'])).toThrow(/--blocks must be a positive integer/);
    expect(() => parseNvmeArgs(['sim', '--lba', '1e3'])).toThrow(/--lba must be a non-negative integer/);
  });

  it('node dist/examples/nvme/run.js sim prints the Identify data and a successful compare, and exits 0', () => {
    const script = fileURLToPath(new URL('../../../dist/examples/nvme/run.js', import.meta.url));
    if (!existsSync(script)) throw new Error(`CANNOT RUN: ${script} is missing; run npm run build first`);
    const r = spawnSync(process.execPath, [script, 'sim', '--blocks', '100'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/mn 'mmio simulated NVMe'/);
    expect(r.stdout).toMatch(/compared with the namespace's contents: identical/);
    expect(r.stdout).toMatch(/DMA buffers still mapped: 0/);
    const bad = spawnSync(process.execPath, [script, 'sim', '--completion', 'never'], { encoding: 'utf8', timeout: 30_000 });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--completion must be poll or interrupt/);
  });
});
