import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devm_ioremap_resource, release_mem_region, request_mem_region } from '../../lib/index.js';
import { tempFile } from '../helpers/temp-file.js';

let lockDir: string;
beforeAll(() => {
  lockDir = mkdtempSync(join(tmpdir(), 'mmio-claims-'));
  process.env.MMIO_LOCK_DIR = lockDir;
});
afterAll(() => {
  delete process.env.MMIO_LOCK_DIR;
  rmSync(lockDir, { recursive: true, force: true });
});

/** A child process that claims [start, start + n) as `name`, says "held" on stdout, and waits to be killed. */
function holdInChild(start: bigint, n: number, name: string) {
  const script = `
    const { request_mem_region } = await import(${JSON.stringify(new URL('../../dist/lib/index.js', import.meta.url).href)});
    request_mem_region(${start}n, ${n}, ${JSON.stringify(name)});
    process.stdout.write('held\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, MMIO_LOCK_DIR: lockDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
    child.once('exit', (code) => reject(new Error(`claim holder exited early with ${code}`)));
  });
  return { child, ready };
}

describe('request_mem_region', () => {
  it('refuses an overlapping claim in the same process with EBUSY naming the holder, until released', () => {
    const a = request_mem_region(0xfe200000n, 0x1000, 'gpio-driver');
    expect(() => request_mem_region(0xfe200800n, 0x1000, 'other')).toThrow(
      expect.objectContaining({ code: 'EBUSY', message: expect.stringContaining("'gpio-driver'") }),
    );
    const b = request_mem_region(0xfe201000n, 0x1000, 'next-door');
    a.release();
    expect(a.held).toBe(false);
    const again = request_mem_region(0xfe200800n, 0x800, 'other');
    again.release();
    b.release();
  });

  it('release_mem_region releases by range and refuses a range it does not hold', () => {
    request_mem_region(0x1000, 0x100, 'x');
    release_mem_region(0x1000, 0x100);
    expect(() => release_mem_region(0x1000, 0x100)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    request_mem_region(0x1000, 0x100, 'y').release();
  });

  it('rejects bad ranges', () => {
    expect(() => request_mem_region(0, 0, 'z')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => request_mem_region(1n << 63n, 1, 'z')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => request_mem_region(-1, 1, 'z')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => request_mem_region(0, 1, 5 as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  it('holds across processes: refused while another process holds it, free once that process is killed', async () => {
    const { child, ready } = holdInChild(0x40000000n, 0x10000, 'edu-in-child');
    await ready;
    try {
      expect(() => request_mem_region(0x40008000n, 0x10, 'parent')).toThrow(
        expect.objectContaining({ code: 'EBUSY', message: expect.stringContaining(`'edu-in-child' (pid ${child.pid}`) }),
      );
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    request_mem_region(0x40008000n, 0x10, 'parent').release();
  });

  it('devm_ioremap_resource claims and maps; iounmap releases the claim; a failed map releases it too', () => {
    const file = tempFile(0x2000);
    try {
      const r = devm_ioremap_resource({ start: 0x1000, size: 0x1000, name: 'devm' }, { path: file.path });
      r.writel(1, 0);
      expect(() => request_mem_region(0x1000, 4, 'late')).toThrow(expect.objectContaining({ code: 'EBUSY' }));
      r.iounmap();
      request_mem_region(0x1000, 4, 'late').release();
      expect(() => devm_ioremap_resource({ start: 0x2000, size: 0x1000, name: 'beyond' }, { path: file.path })).toThrow(
        expect.objectContaining({ code: 'ENXIO' }),
      );
      request_mem_region(0x2000, 0x1000, 'after-failure').release();
    } finally {
      file.cleanup();
    }
  });
});
