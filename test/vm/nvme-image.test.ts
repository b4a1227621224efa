/**
 * test/vm/nvme-image.mjs, the NVMe rig's image pattern and the host's check after the guest (run by test/vm/run.sh
 * --nvme): it must pass an untouched image and blocks written as listed, and fail (exit 1, naming the block) on any
 * changed byte, a listed block that does not hold its seed, or a listed block beyond the image.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module shared with the shell scripts (no declaration file)
import { firstMismatch, ORIGINAL_SEED, pattern } from './nvme-image.mjs';

const script = fileURLToPath(new URL('nvme-image.mjs', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
let dir: string;
let img: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nvme-image-'));
  img = join(dir, 'nvme.img');
  expect(run('create', img, String(64 * 4096)).status).toBe(0);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writeBlock(block: number, seed: number, data: Uint8Array = pattern(block, 1, seed)): void {
  const image = readFileSync(img);
  image.set(data, block * 4096);
  writeFileSync(img, image);
}

describe('nvme-image.mjs', () => {
  it('the pattern: word w of block b is seed ^ (b << 10 | w); another block or seed never matches', () => {
    const b5 = pattern(5);
    const v = new DataView(b5.buffer);
    expect(v.getUint32(0, true)).toBe((ORIGINAL_SEED ^ (5 << 10)) >>> 0);
    expect(v.getUint32(4092, true)).toBe((ORIGINAL_SEED ^ ((5 << 10) | 1023)) >>> 0);
    expect(firstMismatch(b5, 5)).toBe(-1);
    expect(firstMismatch(b5, 6)).toBe(0);
    expect(firstMismatch(b5, 5, 0x1234)).toBe(0);
    expect(readFileSync(img).subarray(5 * 4096, 6 * 4096).equals(Buffer.from(b5))).toBe(true);
  });

  it('check passes an untouched image and blocks written as listed', () => {
    expect(run('check', img).status).toBe(0);
    writeBlock(3, 0xabc);
    writeBlock(9, 0x77);
    writeFileSync(join(dir, 'w'), '3 1\n3 abc\n9 0x77\n'); // a later line for the same block wins
    const r = run('check', img, join(dir, 'w'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/64 blocks of 4 KiB as expected \(2 written by the guest, 62 unchanged\)/);
  });

  it('check fails on one changed byte, on a listed block without its seed, on a block beyond the image, on a bad list', () => {
    const one = pattern(20);
    one[1000] ^= 1;
    writeBlock(20, ORIGINAL_SEED, one);
    let r = run('check', img);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/block 20 \(never written \(original pattern\)\): word 250/);
    writeBlock(20, ORIGINAL_SEED);
    writeFileSync(join(dir, 'w'), '7 abc\n');
    r = run('check', img, join(dir, 'w'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/block 7 \(written with seed 0xabc\)/);
    writeFileSync(join(dir, 'w'), '64 1\n');
    expect(run('check', img, join(dir, 'w')).stderr).toMatch(/block 64 is listed as written but lies beyond the image/);
    writeFileSync(join(dir, 'w'), 'seven abc\n');
    expect(run('check', img, join(dir, 'w')).status).not.toBe(0);
    expect(run('create', img, '4095').status).toBe(2);
  });
});
